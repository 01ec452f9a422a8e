/*
 * One webhook request's life: find the provider by the path, let it verify
 * and parse the request, guess the locale of new contacts from inbound
 * text, submit the events to the receipts and answer when they are
 * recorded. Refusals are counted by provider and result and never change
 * anything; their reasons carry no personal data.
 */
#include "gateway/webhook.h"

#include <event2/buffer.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/http.h"
#include "gateway/util/log.h"
#include "gateway/util/xmalloc.h"
#include "locales/locale_guess.h"

struct webhook {
	struct webhook_provider *p;
	size_t n;
	struct receipts *receipts;
	struct metrics *mt;
	char *public_url;
	struct phone_key *pseudonyms;
	size_t pending;
	size_t text_max; /* bytes of an inbound text kept ([replies] text_max_bytes) */
};

/* A request waiting for Redis. */
struct webhook_call {
	struct webhook *wh;
	struct evhttp_request *req;
	const struct webhook_provider *p;
	struct provider_events ev;
	struct receipts_inbound *inbound;
};

/* How each refusal is answered and counted, by enum provider_webhook_result. */
static const struct {
	enum metrics_webhook metric;
	int code;
} webhook_refusals[] = {
	[PROVIDER_WEBHOOK_OK] = { METRICS_WEBHOOK_OK, 200 },
	[PROVIDER_WEBHOOK_UNSIGNED] = { METRICS_WEBHOOK_UNSIGNED, 401 },
	[PROVIDER_WEBHOOK_FORBIDDEN] = { METRICS_WEBHOOK_FORBIDDEN, 403 },
	[PROVIDER_WEBHOOK_MALFORMED] = { METRICS_WEBHOOK_MALFORMED, 400 },
	[PROVIDER_WEBHOOK_NOT_FOUND] = { METRICS_WEBHOOK_NOT_FOUND, 404 },
	[PROVIDER_WEBHOOK_METHOD] = { METRICS_WEBHOOK_METHOD, 405 },
	[PROVIDER_WEBHOOK_MEDIA_TYPE] = { METRICS_WEBHOOK_MEDIA_TYPE, 415 },
};

static const char *webhook_header(void *arg, const char *name);
static void webhook_done(void *arg, const struct receipts_outcome *o);
static void webhook_refuse(
    struct webhook *wh, struct evhttp_request *req, size_t mi, enum metrics_webhook m, int code, const char *why);
static void webhook_call_free(struct webhook_call *c);

void
webhook_set_text_max(struct webhook *wh, size_t max)
{
	wh->text_max = max;
}

struct webhook *
webhook_new(const struct webhook_provider *providers, size_t n, struct receipts *receipts, struct metrics *mt,
    const char *public_url, const char *pseudonym_key)
{
	struct webhook *wh = xcalloc(1, sizeof *wh);

	wh->p = xcalloc(n > 0 ? n : 1, sizeof *wh->p);
	memcpy(wh->p, providers, n * sizeof *providers);
	wh->n = n;
	wh->receipts = receipts;
	wh->mt = mt;
	wh->public_url = xstrdup(public_url);
	wh->pseudonyms = phone_key_new(pseudonym_key);
	return wh;
}

void
webhook_free(struct webhook *wh)
{
	if (wh == NULL)
		return;
	free(wh->p);
	free(wh->public_url);
	phone_key_free(wh->pseudonyms);
	free(wh);
}

size_t
webhook_pending(const struct webhook *wh)
{
	return wh->pending;
}

static const char *
webhook_header(void *arg, const char *name)
{
	return evhttp_find_header(evhttp_request_get_input_headers(arg), name);
}

static void
webhook_refuse(
    struct webhook *wh, struct evhttp_request *req, size_t mi, enum metrics_webhook m, int code, const char *why)
{
	char body[256];
	int len;

	metrics_count_webhook(wh->mt, mi, m);
	log_info(
	    "webhook refused provider=%s code=%d reason=\"%s\"", mi < wh->n ? wh->p[mi].ops->name : "none", code, why);
	len = snprintf(body, sizeof body, "%s\n", why);
	if (code == 503)
		evhttp_add_header(evhttp_request_get_output_headers(req), "Retry-After", "5");
	http_reply(req, code, "text/plain; charset=utf-8", body,
	    len > 0 && (size_t)len < sizeof body ? (size_t)len : strlen(body));
}

void
webhook_handle(struct webhook *wh, struct evhttp_request *req, const char *name, const char *route)
{
	const struct webhook_provider *p = NULL;
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	struct provider_webhook_request wr;
	struct webhook_call *c;
	enum provider_webhook_result res;
	const char *ct, *q;
	char err[256];
	char *url;
	size_t mi;

	for (size_t i = 0; i < wh->n; i++)
		if (strcmp(wh->p[i].ops->name, name) == 0 && wh->p[i].ops->webhook != NULL)
			p = &wh->p[i];
	if (p == NULL) {
		webhook_refuse(wh, req, METRICS_NO_PROVIDER, METRICS_WEBHOOK_NOT_FOUND, 404, "no such webhook");
		return;
	}
	mi = p->metrics_index;
	memset(&wr, 0, sizeof wr);
	switch (evhttp_request_get_command(req)) {
	case EVHTTP_REQ_GET:
		wr.method = "GET";
		break;
	case EVHTTP_REQ_POST:
		wr.method = "POST";
		break;
	default:
		wr.method = "OTHER";
		break;
	}
	url = xasprintf("%s%s", wh->public_url, evhttp_request_get_uri(req));
	ct = webhook_header(req, "Content-Type");
	q = uri != NULL ? evhttp_uri_get_query(uri) : NULL;
	wr.route = route;
	wr.url = url;
	wr.query = q != NULL ? q : "";
	wr.content_type = ct != NULL ? ct : "";
	wr.header = webhook_header;
	wr.header_arg = req;
	wr.body_len = evbuffer_get_length(in);
	wr.body = wr.body_len > 0 ? (const char *)evbuffer_pullup(in, -1) : "";
	c = xcalloc(1, sizeof *c);
	c->wh = wh;
	c->req = req;
	c->p = p;
	provider_events_init(&c->ev);
	err[0] = '\0';
	res = p->ops->webhook(p->ctx, &wr, &c->ev, err, sizeof err);
	free(url);
	if ((size_t)res >= sizeof webhook_refusals / sizeof webhook_refusals[0])
		fatalx("provider %s returned webhook result %d", p->ops->name, (int)res);
	if (res != PROVIDER_WEBHOOK_OK) {
		webhook_refuse(wh, req, mi, webhook_refusals[res].metric, webhook_refusals[res].code, err);
		goto refused;
	}
	for (size_t i = 0; i < c->ev.nstatus; i++)
		if (c->ev.status[i].status == DELIVERY_NONE)
			metrics_count_receipts(wh->mt, mi, METRICS_STATUS_IGNORED, 1);
	if (c->ev.ninbound > 0) {
		c->inbound = xcalloc(c->ev.ninbound, sizeof *c->inbound);
		for (size_t i = 0; i < c->ev.ninbound; i++) {
			struct inbound_event *e = &c->ev.inbound[i];
			const char *loc;

			/* Texts are bounded: cut on a whole character, so that what is kept stays UTF-8. */
			if (e->text != NULL && wh->text_max > 0 && strlen(e->text) > wh->text_max)
				e->text[utf8_prefix(e->text, wh->text_max)] = '\0';
			loc = e->text != NULL ? locale_guess(e->text, strlen(e->text)) : NULL;

			c->inbound[i].ev = e;
			c->inbound[i].locale = loc != NULL ? loc : "";
			phone_pseudonym_with(wh->pseudonyms, e->from, c->inbound[i].person);
		}
	}
	if (c->ev.nstatus == 0 && c->ev.ninbound == 0) {
		webhook_done(c, &(struct receipts_outcome){ .ok = true });
		return;
	}
	if (receipts_submit(wh->receipts, p->ops->name, channel_name(p->ops->channel), c->ev.status, c->ev.nstatus,
		c->inbound, c->ev.ninbound, webhook_done, c) != 0) {
		webhook_refuse(wh, req, mi, METRICS_WEBHOOK_UNAVAILABLE, 503, "storage unavailable, send again later");
		goto refused;
	}
	wh->pending++;
	return;
refused:
	webhook_call_free(c);
}

static void
webhook_call_free(struct webhook_call *c)
{
	provider_events_free(&c->ev);
	free(c->inbound);
	free(c);
}

static void
webhook_done(void *arg, const struct receipts_outcome *o)
{
	struct webhook_call *c = arg;
	struct webhook *wh = c->wh;
	size_t mi = c->p->metrics_index;

	if (c->ev.nstatus > 0 || c->ev.ninbound > 0)
		wh->pending--;
	if (!o->ok) {
		webhook_refuse(
		    wh, c->req, mi, METRICS_WEBHOOK_UNAVAILABLE, 503, "storage unavailable, send again later");
		webhook_call_free(c);
		return;
	}
	metrics_count_receipts(wh->mt, mi, METRICS_STATUS_RECORDED, o->recorded);
	metrics_count_receipts(wh->mt, mi, METRICS_STATUS_UNCHANGED, o->unchanged);
	metrics_count_receipts(wh->mt, mi, METRICS_STATUS_EARLY, o->early);
	metrics_count_receipts(wh->mt, mi, METRICS_STATUS_ORPHANED, o->orphaned);
	metrics_count_receipts(wh->mt, mi, METRICS_INBOUND_STORED, o->stored);
	metrics_count_receipts(wh->mt, mi, METRICS_INBOUND_DUPLICATE, o->duplicates);
	metrics_count_receipts(wh->mt, mi, METRICS_RECEIPT_FAILED, o->failed);
	if (o->early > 0)
		log_info("status for a send not yet recorded provider=%s count=%zu: kept until it is", c->p->ops->name,
		    o->early);
	if (o->orphaned > 0)
		log_info("status for an unknown message provider=%s count=%zu", c->p->ops->name, o->orphaned);
	metrics_count_webhook(wh->mt, mi, METRICS_WEBHOOK_OK);
	http_reply(c->req, 200, c->ev.reply_type, c->ev.reply.data, c->ev.reply.len);
	webhook_call_free(c);
}
