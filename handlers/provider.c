/*
 * Pieces shared by every provider implementation: request lifetime,
 * Retry-After parsing and the classification of answers that mean the same
 * for every HTTP API (no answer, 429, 5xx).
 */
#include "handlers/provider.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

long
provider_parse_retry_after(const char *value, long long now_s)
{
	struct tm tm;
	const char *end;
	char *e;
	long long secs;
	time_t t;

	if (value == NULL)
		return -1;
	while (*value == ' ')
		value++;
	if (*value >= '0' && *value <= '9') {
		errno = 0;
		secs = strtoll(value, &e, 10);
		while (*e == ' ' || *e == '\r' || *e == '\n')
			e++;
		if (errno != 0 || *e != '\0' || secs > 86400)
			return -1;
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
	if (t - now_s > 86400)
		return 86400L * 1000;
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
