/*
 * Wiring: the outbox hands out messages to send; each is routed to a
 * channel and provider, becomes a provider request on the dispatch, and
 * its answer is classified by the provider and recorded by the outbox.
 * Messages wait in a FIFO when all transfer slots are busy. The HTTP
 * server takes webhooks into the receipts. Owns the event base, the
 * providers, signals and the shutdown sequence (first signal drains,
 * second exits at once).
 */
#include "gateway/gateway.h"

#include <curl/curl.h>
#include <event2/event.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <time.h>

#include "gateway/dispatch.h"
#include "gateway/http.h"
#include "gateway/metrics.h"
#include "gateway/util/log.h"
#include "gateway/util/xmalloc.h"
#include "gateway/webhook.h"
#include "queues/outbox.h"
#include "queues/receipts.h"

/*
 * Free text on WhatsApp is allowed for 24 hours after the person's last
 * message; a little is kept back so that a send in flight at the edge does
 * not fail with 131047.
 */
#define GATEWAY_WINDOW_S (24 * 3600 - 300)

/* One configured provider. */
struct gateway_provider {
	const struct provider_ops *ops;
	void *ctx;
	size_t mi; /* metrics index */
};

struct gateway_send {
	struct gateway *gw;
	struct message *m;
	struct gateway_provider *p;
	bool may_fall_back; /* channel=auto on WhatsApp, with SMS configured */
	TAILQ_ENTRY(gateway_send) entry;
};
TAILQ_HEAD(gateway_send_list, gateway_send);

struct gateway {
	struct config *cfg;
	struct event_base *base;
	struct redis_target target;
	struct outbox *outbox;
	struct dispatch *dispatch;
	struct receipts *receipts;
	struct webhook *webhook;
	struct http *http;
	struct metrics *metrics;
	struct gateway_provider providers[METRICS_MAX_PROVIDERS];
	size_t nproviders;
	struct gateway_provider *sms, *whatsapp;
	struct gateway_send_list waiting;
	size_t nwaiting;
	size_t max_concurrent; /* transfers at once: max_inflight, or max_connections if lower */
	struct event *sigterm_ev, *sigint_ev, *shutdown_ev, *progress_ev;
	int signals;
	int exit_code;
	bool draining;
};

static void gateway_send(void *arg, struct message *m);
static bool gateway_channel_available(void *arg, enum channel channel, char *why, size_t whylen);
static void gateway_drained(void *arg);
static void gateway_pump(struct gateway *gw);
static void gateway_done(void *arg, const struct provider_answer *a, long long elapsed_us);
static void gateway_signal_cb(evutil_socket_t sig, short what, void *arg);
static void gateway_shutdown_timeout_cb(evutil_socket_t fd, short what, void *arg);
static void gateway_progress_cb(evutil_socket_t fd, short what, void *arg);
static void gateway_libevent_log(int severity, const char *msg);
static void gateway_release_waiting(struct gateway *gw);
static int gateway_providers_new(struct gateway *gw, char *err, size_t errlen);
static void gateway_route(struct gateway *gw, struct gateway_send *s);
static void gateway_count(struct gateway *gw, const struct gateway_send *s, enum outcome o);
static void gateway_fall_back(struct gateway *gw, struct gateway_send *s, const char *why);
static bool gateway_ready(void *arg, char *why, size_t whylen);
static void gateway_metrics(void *arg, struct buf *out);
static void gateway_webhook(void *arg, struct evhttp_request *req, const char *name, const char *route);

static void
gateway_libevent_log(int severity, const char *msg)
{
	if (severity >= EVENT_LOG_ERR)
		log_error("libevent: %s", msg);
	else if (severity >= EVENT_LOG_WARN)
		log_warn("libevent: %s", msg);
	else
		log_debug("libevent: %s", msg);
}

struct gateway *
gateway_new(struct config *cfg, char *err, size_t errlen)
{
	struct gateway *gw = xcalloc(1, sizeof *gw);
	struct outbox_settings os;
	struct outbox_handlers oh = { gateway_send, gateway_channel_available, gateway_drained };
	struct dispatch_settings ds;
	enum log_level level;
	const char *key;
	struct timeval tv = { 10, 0 };

	gw->cfg = cfg;
	gw->metrics = metrics_new();
	TAILQ_INIT(&gw->waiting);
	if (log_parse_level(cfg->log_level, &level) == 0)
		log_set_level(level);
	if (redis_target_parse(cfg->redis_url, &gw->target, err, errlen) != 0)
		goto fail;
	if (gateway_providers_new(gw, err, errlen) != 0)
		goto fail;
	event_set_log_callback(gateway_libevent_log);
	if ((gw->base = event_base_new()) == NULL) {
		snprintf(err, errlen, "cannot create the event loop");
		goto fail;
	}
	key = cfg->pseudonym_key;
	if (*key == '\0')
		log_warn("no [gateway] pseudonym_key: person pseudonyms are unkeyed hashes; set one");
	memset(&os, 0, sizeof os);
	os.target = &gw->target;
	os.prefix = cfg->prefix;
	os.group = cfg->group;
	os.consumer = cfg->consumer;
	os.pseudonym_key = key;
	os.max_inflight = cfg->max_inflight;
	os.max_attempts = cfg->max_attempts;
	os.claim_idle_ms = cfg->claim_idle_ms;
	os.retry_base_ms = cfg->retry_base_ms;
	os.retry_max_ms = cfg->retry_max_ms;
	os.msg_ttl_s = cfg->msg_ttl_s;
	os.log_maxlen = cfg->log_maxlen;
	os.contacts = gw->whatsapp != NULL;
	gw->outbox = outbox_new(gw->base, &os, &oh, gw);
	memset(&ds, 0, sizeof ds);
	ds.connect_timeout_ms = cfg->connect_timeout_ms;
	ds.request_timeout_ms = cfg->request_timeout_ms;
	gw->max_concurrent = cfg->max_connections > 0 && cfg->max_connections < cfg->max_inflight
	    ? (size_t)cfg->max_connections
	    : (size_t)cfg->max_inflight;
	ds.max_connections = (int)gw->max_concurrent;
	gw->dispatch = dispatch_new(gw->base, &ds);
	{
		/*
		 * A status waits a day for its send (Redis away longer than that
		 * means the provider's retries have stopped too); inbound ids are
		 * remembered for a week, longer than Meta retries a webhook.
		 */
		struct receipts_settings rs = { &gw->target, cfg->prefix, cfg->group, cfg->log_maxlen, cfg->log_maxlen,
			86400, 7 * 86400 };
		struct webhook_provider wp[METRICS_MAX_PROVIDERS];
		struct http_handlers hh = { gateway_ready, gateway_metrics, gateway_webhook };
		struct http_settings hs = { cfg->http_listen, cfg->http_max_body_bytes, cfg->http_max_connections,
			cfg->http_request_timeout_ms };

		gw->receipts = receipts_new(gw->base, &rs);
		for (size_t i = 0; i < gw->nproviders; i++) {
			wp[i].ops = gw->providers[i].ops;
			wp[i].ctx = gw->providers[i].ctx;
			wp[i].metrics_index = gw->providers[i].mi;
		}
		gw->webhook = webhook_new(wp, gw->nproviders, gw->receipts, gw->metrics, cfg->http_public_url, key);
		if (strcmp(cfg->http_listen, "off") != 0 &&
		    (gw->http = http_new(gw->base, &hs, gw->metrics, &hh, gw, err, errlen)) == NULL)
			goto fail;
	}
	gw->sigterm_ev = evsignal_new(gw->base, SIGTERM, gateway_signal_cb, gw);
	gw->sigint_ev = evsignal_new(gw->base, SIGINT, gateway_signal_cb, gw);
	gw->shutdown_ev = evtimer_new(gw->base, gateway_shutdown_timeout_cb, gw);
	gw->progress_ev = event_new(gw->base, -1, EV_PERSIST, gateway_progress_cb, gw);
	if (gw->sigterm_ev == NULL || gw->sigint_ev == NULL || gw->shutdown_ev == NULL || gw->progress_ev == NULL) {
		snprintf(err, errlen, "cannot create signal and timer events");
		goto fail;
	}
	evsignal_add(gw->sigterm_ev, NULL);
	evsignal_add(gw->sigint_ev, NULL);
	evtimer_add(gw->progress_ev, &tv);
	return gw;
fail:
	gw->cfg = NULL; /* the caller still owns it on failure */
	gateway_free(gw);
	return NULL;
}

int
gateway_run(struct gateway *gw)
{
	log_info("gateway starting consumer=%s group=%s prefix=%s max_inflight=%d sms=%s whatsapp=%s http_port=%d",
	    gw->cfg->consumer, gw->cfg->group, gw->cfg->prefix, gw->cfg->max_inflight,
	    gw->sms != NULL ? gw->sms->ops->name : "none", gw->whatsapp != NULL ? gw->whatsapp->ops->name : "none",
	    gw->http != NULL ? http_port(gw->http) : 0);
	outbox_start(gw->outbox);
	receipts_start(gw->receipts);
	{
		sigset_t stop;

		/* main() held these back until the signal events existed. */
		sigemptyset(&stop);
		sigaddset(&stop, SIGTERM);
		sigaddset(&stop, SIGINT);
		sigprocmask(SIG_UNBLOCK, &stop, NULL);
	}
	event_base_dispatch(gw->base);
	gateway_progress_cb(-1, 0, gw);
	log_info("gateway stopped exit=%d", gw->exit_code);
	return gw->exit_code;
}

void
gateway_free(struct gateway *gw)
{
	if (gw == NULL)
		return;
	if (gw->dispatch != NULL)
		dispatch_abort_all(gw->dispatch);
	if (gw->outbox != NULL)
		gateway_release_waiting(gw);
	outbox_free(gw->outbox);
	dispatch_free(gw->dispatch);
	/* Webhooks still waiting for Redis are answered 503 here, while their connections exist. */
	receipts_free(gw->receipts);
	http_free(gw->http);
	webhook_free(gw->webhook);
	for (size_t i = 0; i < gw->nproviders; i++)
		gw->providers[i].ops->destroy(gw->providers[i].ctx);
	if (gw->sigterm_ev != NULL)
		event_free(gw->sigterm_ev);
	if (gw->sigint_ev != NULL)
		event_free(gw->sigint_ev);
	if (gw->shutdown_ev != NULL)
		event_free(gw->shutdown_ev);
	if (gw->progress_ev != NULL)
		event_free(gw->progress_ev);
	if (gw->base != NULL)
		event_base_free(gw->base);
	redis_target_free(&gw->target);
	metrics_free(gw->metrics);
	config_free(gw->cfg);
	free(gw);
}

/*
 * Builds each configured provider. The SMS channel is [gateway]
 * sms_provider, or the first SMS provider configured in registry order.
 */
static int
gateway_providers_new(struct gateway *gw, char *err, size_t errlen)
{
	struct config *cfg = gw->cfg;
	char why[200];

	for (size_t i = 0; i < cfg->nproviders; i++) {
		const struct config_provider *cp = &cfg->providers[i];
		struct gateway_provider *p;
		struct provider_settings ps;

		if (!cp->enabled)
			continue;
		p = &gw->providers[gw->nproviders];
		config_provider_settings(cfg, cp, &ps);
		if ((p->ctx = cp->ops->create(&ps, why, sizeof why)) == NULL) {
			snprintf(err, errlen, "[%s] %s", cp->ops->name, why);
			return -1;
		}
		p->ops = cp->ops;
		p->mi = metrics_add_provider(gw->metrics, p->ops->name, p->ops->channel);
		gw->nproviders++;
		if (p->ops->channel == CHANNEL_WHATSAPP && gw->whatsapp == NULL)
			gw->whatsapp = p;
		if (p->ops->channel == CHANNEL_SMS &&
		    (cfg->sms_provider[0] != '\0' ? strcmp(cfg->sms_provider, p->ops->name) == 0 : gw->sms == NULL))
			gw->sms = p;
	}
	if (gw->sms == NULL && gw->whatsapp == NULL) {
		snprintf(err, errlen,
		    "no channel is configured: add a [twilio], [generic] or [whatsapp] section with its credentials");
		return -1;
	}
	return 0;
}

static bool
gateway_channel_available(void *arg, enum channel channel, char *why, size_t whylen)
{
	struct gateway *gw = arg;

	switch (channel) {
	case CHANNEL_SMS:
		if (gw->sms != NULL)
			return true;
		break;
	case CHANNEL_WHATSAPP:
		if (gw->whatsapp != NULL)
			return true;
		break;
	case CHANNEL_AUTO:
		if (gw->sms != NULL || gw->whatsapp != NULL)
			return true;
		break;
	case CHANNEL_COUNT:
		break;
	}
	snprintf(why, whylen, "channel %s is not configured", channel_name(channel));
	return false;
}

/*
 * channel=auto takes the contact's preferred channel when it is WhatsApp
 * and WhatsApp is configured (with SMS kept as the fallback), and SMS
 * otherwise.
 */
static void
gateway_route(struct gateway *gw, struct gateway_send *s)
{
	const struct message *m = s->m;

	switch (m->channel) {
	case CHANNEL_SMS:
		s->p = gw->sms;
		break;
	case CHANNEL_WHATSAPP:
		s->p = gw->whatsapp;
		break;
	case CHANNEL_AUTO:
		if (gw->whatsapp != NULL && (gw->sms == NULL || strcmp(m->contact_channel, "whatsapp") == 0)) {
			s->p = gw->whatsapp;
			s->may_fall_back = gw->sms != NULL;
		} else
			s->p = gw->sms;
		break;
	case CHANNEL_COUNT:
		break;
	}
}

static void
gateway_count(struct gateway *gw, const struct gateway_send *s, enum outcome o)
{
	metrics_count_message(gw->metrics, s->m->lane, s->p->mi, o);
}

/* Hands a message WhatsApp cannot carry to SMS, first in line: it has waited its turn already. */
static void
gateway_fall_back(struct gateway *gw, struct gateway_send *s, const char *why)
{
	log_info("fallback to sms id=%s to=%s reason=\"%s\"", s->m->id, s->m->to_masked, why);
	gateway_count(gw, s, OUTCOME_FALLBACK);
	s->p = gw->sms;
	s->may_fall_back = false;
	TAILQ_INSERT_HEAD(&gw->waiting, s, entry);
	gw->nwaiting++;
}

static void
gateway_send(void *arg, struct message *m)
{
	struct gateway *gw = arg;
	struct gateway_send *s = xcalloc(1, sizeof *s);

	s->gw = gw;
	s->m = m;
	gateway_route(gw, s);
	TAILQ_INSERT_TAIL(&gw->waiting, s, entry);
	gw->nwaiting++;
	gateway_pump(gw);
}

/* Starts waiting messages while transfer slots are free. */
static void
gateway_pump(struct gateway *gw)
{
	struct gateway_send *s;
	struct provider_request req;
	struct provider_message pm;
	struct outbox_result r;
	char err[192];
	int rc;

	while (dispatch_inflight(gw->dispatch) < gw->max_concurrent && (s = TAILQ_FIRST(&gw->waiting)) != NULL) {
		TAILQ_REMOVE(&gw->waiting, s, entry);
		gw->nwaiting--;
		memset(&pm, 0, sizeof pm);
		pm.id = s->m->id;
		pm.to = s->m->to;
		pm.text = s->m->text;
		pm.kind = kind_name(s->m->kind);
		pm.locale = s->m->locale[0] != '\0' ? s->m->locale : s->m->contact_locale;
		pm.vars = s->m->vars;
		pm.window_open =
		    s->m->wa_last_in_s > 0 && (long long)time(NULL) - s->m->wa_last_in_s < GATEWAY_WINDOW_S;
		provider_request_init(&req);
		memset(&r, 0, sizeof r);
		r.channel = channel_name(s->p->ops->channel);
		r.provider = s->p->ops->name;
		if ((rc = s->p->ops->build_request(s->p->ctx, &pm, &req, err, sizeof err)) != 0) {
			provider_request_free(&req);
			if (rc == PROVIDER_BUILD_UNAVAILABLE && s->may_fall_back) {
				gateway_fall_back(gw, s, err);
				continue;
			}
			r.outcome = rc == PROVIDER_BUILD_UNAVAILABLE ? OUTBOX_SKIPPED : OUTBOX_FAILED;
			r.error = err;
			gateway_count(gw, s, rc == PROVIDER_BUILD_UNAVAILABLE ? OUTCOME_SKIPPED : OUTCOME_FAILED);
			if (rc == PROVIDER_BUILD_UNAVAILABLE)
				log_info("not sent id=%s to=%s reason=%s", s->m->id, s->m->to_masked, err);
			else
				log_warn("cannot build request id=%s reason=\"%s\"", s->m->id, err);
			outbox_record(gw->outbox, s->m, &r);
			free(s);
			continue;
		}
		if (dispatch_submit(gw->dispatch, &req, gateway_done, s) != 0) {
			gateway_count(gw, s, OUTCOME_RETRY);
			r.outcome = OUTBOX_RETRY;
			r.error = "transport: cannot start request";
			outbox_record(gw->outbox, s->m, &r);
			free(s);
		}
	}
}

static void
gateway_done(void *arg, const struct provider_answer *a, long long elapsed_us)
{
	struct gateway_send *s = arg;
	struct gateway *gw = s->gw;
	struct provider_result pr;
	struct outbox_result r;

	if (a->status == 0 && a->transport_error != NULL && strcmp(a->transport_error, "aborted") == 0) {
		/* Shutdown timed out: the outcome is unknown, so the entry stays pending. */
		outbox_release(gw->outbox, s->m);
		free(s);
		return;
	}
	metrics_count_latency(gw->metrics, s->p->mi, elapsed_us);
	s->p->ops->classify(s->p->ctx, a, &pr);
	if (pr.verdict == PROVIDER_PERMANENT && pr.fallback && s->may_fall_back) {
		/* WhatsApp cannot reach this number: SMS may. */
		gateway_fall_back(gw, s, pr.error);
		gateway_pump(gw);
		return;
	}
	memset(&r, 0, sizeof r);
	r.channel = channel_name(s->p->ops->channel);
	r.provider = s->p->ops->name;
	r.error = pr.error;
	switch (pr.verdict) {
	case PROVIDER_ACCEPTED:
		gateway_count(gw, s, OUTCOME_SENT);
		r.outcome = OUTBOX_SENT;
		r.provider_id = pr.provider_id;
		log_debug("sent id=%s to=%s provider_id=%s attempt=%d elapsed_us=%lld", s->m->id, s->m->to_masked,
		    pr.provider_id, s->m->attempt, elapsed_us);
		break;
	case PROVIDER_RETRY:
		gateway_count(gw, s, OUTCOME_RETRY);
		r.outcome = OUTBOX_RETRY;
		r.retry_after_ms = pr.retry_after_ms;
		log_info("retryable failure id=%s to=%s attempt=%d error=\"%s\"", s->m->id, s->m->to_masked,
		    s->m->attempt, pr.error);
		break;
	case PROVIDER_PERMANENT:
		gateway_count(gw, s, OUTCOME_FAILED);
		r.outcome = OUTBOX_FAILED;
		log_warn("permanent failure id=%s to=%s attempt=%d error=\"%s\"", s->m->id, s->m->to_masked,
		    s->m->attempt, pr.error);
		break;
	}
	outbox_record(gw->outbox, s->m, &r);
	free(s);
	gateway_pump(gw);
}

static void
gateway_release_waiting(struct gateway *gw)
{
	struct gateway_send *s;

	while ((s = TAILQ_FIRST(&gw->waiting)) != NULL) {
		TAILQ_REMOVE(&gw->waiting, s, entry);
		gw->nwaiting--;
		outbox_release(gw->outbox, s->m);
		free(s);
	}
}

static void
gateway_drained(void *arg)
{
	struct gateway *gw = arg;

	log_info("drained: every claimed message is recorded");
	event_base_loopexit(gw->base, NULL);
}

static void
gateway_signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct gateway *gw = arg;
	struct timeval tv;

	(void)what;
	if (++gw->signals > 1) {
		log_warn("second signal %d: exiting now; unfinished messages stay pending in Redis", (int)sig);
		gw->exit_code = 1;
		event_base_loopbreak(gw->base);
		return;
	}
	log_info("signal %d: draining inflight=%zu waiting=%zu timeout_ms=%ld", (int)sig,
	    dispatch_inflight(gw->dispatch), gw->nwaiting, gw->cfg->shutdown_timeout_ms);
	gw->draining = true;
	tv.tv_sec = gw->cfg->shutdown_timeout_ms / 1000;
	tv.tv_usec = (gw->cfg->shutdown_timeout_ms % 1000) * 1000;
	evtimer_add(gw->shutdown_ev, &tv);
	outbox_stop(gw->outbox);
}

static void
gateway_shutdown_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	struct gateway *gw = arg;
	struct outbox_stats st;

	(void)fd;
	(void)what;
	log_warn("shutdown timeout: abandoning inflight=%zu waiting=%zu (they stay pending in Redis)",
	    dispatch_inflight(gw->dispatch), gw->nwaiting);
	dispatch_abort_all(gw->dispatch);
	gateway_release_waiting(gw);
	outbox_get_stats(gw->outbox, &st);
	if (st.held > 0)
		log_warn("outcomes not yet written to Redis count=%zu: those messages will be sent again", st.held);
	event_base_loopexit(gw->base, NULL);
}

static void
gateway_progress_cb(evutil_socket_t fd, short what, void *arg)
{
	struct gateway *gw = arg;
	struct outbox_stats st;

	(void)fd;
	(void)what;
	outbox_get_stats(gw->outbox, &st);
	log_info("progress claimed=%llu reclaimed=%llu sent=%llu retried=%llu failed=%llu malformed=%llu "
		 "scheduled=%llu not_sent=%llu held=%zu inflight=%zu redis=%s",
	    st.claimed, st.reclaimed, st.sent, st.retried, st.failed, st.malformed, st.scheduled, st.not_sent, st.held,
	    dispatch_inflight(gw->dispatch), outbox_redis_up(gw->outbox) ? "up" : "down");
}

static bool
gateway_ready(void *arg, char *why, size_t whylen)
{
	struct gateway *gw = arg;

	if (!outbox_redis_up(gw->outbox) || !receipts_up(gw->receipts)) {
		snprintf(why, whylen, "redis unreachable");
		return false;
	}
	if (gw->draining) {
		snprintf(why, whylen, "shutting down");
		return false;
	}
	if (gw->nproviders == 0) {
		snprintf(why, whylen, "no provider configured");
		return false;
	}
	return true;
}

static void
gateway_metrics(void *arg, struct buf *out)
{
	struct gateway *gw = arg;
	struct outbox_stats st;
	struct metrics_gauges g;

	outbox_get_stats(gw->outbox, &st);
	memset(&g, 0, sizeof g);
	g.inflight = dispatch_inflight(gw->dispatch);
	g.waiting = gw->nwaiting;
	g.held = st.held;
	g.redis_up = outbox_redis_up(gw->outbox) && receipts_up(gw->receipts);
	g.redis_reconnects = outbox_redis_reconnects(gw->outbox) + receipts_reconnects(gw->receipts);
	g.claimed = st.claimed;
	g.reclaimed = st.reclaimed;
	g.malformed = st.malformed;
	g.deadletters = st.failed + st.malformed;
	g.not_sent = st.not_sent;
	metrics_render(gw->metrics, &g, out);
}

static void
gateway_webhook(void *arg, struct evhttp_request *req, const char *name, const char *route)
{
	struct gateway *gw = arg;

	webhook_handle(gw->webhook, req, name, route);
}
