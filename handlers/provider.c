/*
 * Pieces shared by every provider implementation: request lifetime,
 * Retry-After parsing and the classification of answers that mean the same
 * for every HTTP API (no answer, 429, 5xx).
 */
#include "handlers/provider.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "gateway/util/xmalloc.h"

void
provider_request_init(struct provider_request *req)
{
	memset(req, 0, sizeof *req);
	buf_init(&req->body);
}

void
provider_request_free(struct provider_request *req)
{
	free(req->url_owned);
	buf_free(&req->body);
	memset(req, 0, sizeof *req);
}

/*
 * Both forms are capped at PROVIDER_RETRY_AFTER_MAX_S: a provider asking for
 * more than a day is asking for a pause, not for its messages to be held
 * for weeks. delta-seconds too large to represent count as that cap, as RFC
 * 9111 section 1.2.2 has caches treat them.
 */
long
provider_parse_retry_after(const char *value, long long now_s)
{
	struct tm tm;
	const char *end;
	long long secs;
	time_t t;

	if (value == NULL)
		return -1;
	while (*value == ' ')
		value++;
	if (*value >= '0' && *value <= '9') {
		secs = 0;
		for (end = value; *end >= '0' && *end <= '9'; end++)
			if (secs <= PROVIDER_RETRY_AFTER_MAX_S)
				secs = secs * 10 + (*end - '0');
		while (*end == ' ' || *end == '\r' || *end == '\n')
			end++;
		if (*end != '\0')
			return -1;
		if (secs > PROVIDER_RETRY_AFTER_MAX_S)
			secs = PROVIDER_RETRY_AFTER_MAX_S;
		return (long)(secs * 1000);
	}
	memset(&tm, 0, sizeof tm);
	end = strptime(value, "%a, %d %b %Y %H:%M:%S GMT", &tm);
	if (end == NULL)
		return -1;
	t = timegm(&tm);
	if (t == (time_t)-1)
		return -1;
	if (t <= now_s)
		return 0;
	if (t - now_s > PROVIDER_RETRY_AFTER_MAX_S)
		return PROVIDER_RETRY_AFTER_MAX_S * 1000;
	return (long)(t - now_s) * 1000;
}

int
provider_classify_transport(const struct provider_answer *a, struct provider_result *out, long long now_s)
{
	long ra;

	memset(out, 0, sizeof *out);
	if (a->status == 0) {
		out->verdict = PROVIDER_RETRY;
		snprintf(out->error, sizeof out->error, "transport: %s",
		    a->transport_error != NULL ? a->transport_error : "no answer");
		return 1;
	}
	if (a->status == 429) {
		out->verdict = PROVIDER_RETRY;
		ra = provider_parse_retry_after(a->retry_after, now_s);
		out->retry_after_ms = ra > 0 ? ra : 0;
		snprintf(out->error, sizeof out->error, "http 429: throttled");
		return 1;
	}
	if (a->status >= 500 || a->status == 408) {
		out->verdict = PROVIDER_RETRY;
		ra = provider_parse_retry_after(a->retry_after, now_s);
		out->retry_after_ms = ra > 0 ? ra : 0;
		snprintf(out->error, sizeof out->error, "http %ld: provider error", a->status);
		return 1;
	}
	return 0;
}

bool
provider_media_type_is(const char *content_type, const char *want)
{
	size_t n = strlen(want);
	const char *p;

	if (content_type == NULL || strncasecmp(content_type, want, n) != 0)
		return false;
	p = content_type + n;
	while (*p == ' ' || *p == '\t')
		p++;
	return *p == '\0' || *p == ';';
}

const char *
provider_settings_get(const struct provider_settings *s, const char *key)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->v[i].key, key) == 0)
			return s->v[i].value;
	return NULL;
}

void
provider_events_init(struct provider_events *ev)
{
	memset(ev, 0, sizeof *ev);
	buf_init(&ev->reply);
}

void
provider_events_free(struct provider_events *ev)
{
	for (size_t i = 0; i < ev->ninbound; i++)
		free(ev->inbound[i].text);
	free(ev->status);
	free(ev->inbound);
	buf_free(&ev->reply);
	memset(ev, 0, sizeof *ev);
}

struct status_event *
provider_events_add_status(struct provider_events *ev)
{
	if (ev->nstatus == ev->capstatus) {
		ev->capstatus = ev->capstatus == 0 ? 4 : ev->capstatus * 2;
		ev->status = xreallocarray(ev->status, ev->capstatus, sizeof *ev->status);
	}
	memset(&ev->status[ev->nstatus], 0, sizeof ev->status[0]);
	return &ev->status[ev->nstatus++];
}

struct inbound_event *
provider_events_add_inbound(struct provider_events *ev)
{
	if (ev->ninbound == ev->capinbound) {
		ev->capinbound = ev->capinbound == 0 ? 4 : ev->capinbound * 2;
		ev->inbound = xreallocarray(ev->inbound, ev->capinbound, sizeof *ev->inbound);
	}
	memset(&ev->inbound[ev->ninbound], 0, sizeof ev->inbound[0]);
	return &ev->inbound[ev->ninbound++];
}
