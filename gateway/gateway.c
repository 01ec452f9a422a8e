/*
 * Wiring: the outbox hands out messages to send; each becomes a provider
 * request on the dispatch; its answer is classified by the provider and
 * recorded by the outbox. Messages wait in a FIFO when all max_inflight
 * transfer slots are busy. Owns the event base, signals and the shutdown
 * sequence (first signal drains, second exits at once).
 */
#include "gateway/gateway.h"

#include <curl/curl.h>
#include <event2/event.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include "gateway/dispatch.h"
#include "gateway/util/log.h"
#include "gateway/util/xmalloc.h"
#include "handlers/twilio.h"
#include "queues/outbox.h"

struct gateway_send {
	struct gateway *gw;
	struct message *m;
	const struct provider_ops *ops;
	const void *ctx;
	const char *channel;
	TAILQ_ENTRY(gateway_send) entry;
};
TAILQ_HEAD(gateway_send_list, gateway_send);

struct gateway {
	struct config *cfg;
	struct event_base *base;
	struct redis_target target;
	struct outbox *outbox;
	struct dispatch *dispatch;
	struct twilio *twilio;
	struct gateway_send_list waiting;
	size_t nwaiting;
	size_t max_concurrent; /* transfers at once: max_inflight, or max_connections if lower */
	struct event *sigterm_ev, *sigint_ev, *shutdown_ev, *progress_ev;
	int signals;
	int exit_code;
	bool draining;
};

static void gateway_send(void *arg, struct message *m);
static bool gateway_channel_available(void *arg, enum message_channel channel, char *why, size_t whylen);
static void gateway_drained(void *arg);
static void gateway_pump(struct gateway *gw);
static void gateway_done(void *arg, const struct provider_answer *a, long long elapsed_us);
static void gateway_signal_cb(evutil_socket_t sig, short what, void *arg);
static void gateway_shutdown_timeout_cb(evutil_socket_t fd, short what, void *arg);
static void gateway_progress_cb(evutil_socket_t fd, short what, void *arg);
static void gateway_libevent_log(int severity, const char *msg);
static void gateway_release_waiting(struct gateway *gw);

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
	TAILQ_INIT(&gw->waiting);
	if (log_parse_level(cfg->log_level, &level) == 0)
		log_set_level(level);
	if (redis_target_parse(cfg->redis_url, &gw->target, err, errlen) != 0)
		goto fail;
	if (!config_twilio_enabled(cfg)) {
		snprintf(err, errlen, "no channel is configured: [twilio] needs account_sid and auth_token");
		goto fail;
	}
	gw->twilio = twilio_new(cfg->twilio_base_url, cfg->twilio_account_sid, cfg->twilio_auth_token, cfg->twilio_from,
	    cfg->twilio_messaging_service_sid, cfg->twilio_status_callback);
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
	gw->outbox = outbox_new(gw->base, &os, &oh, gw);
	memset(&ds, 0, sizeof ds);
	ds.connect_timeout_ms = cfg->connect_timeout_ms;
	ds.request_timeout_ms = cfg->request_timeout_ms;
	gw->max_concurrent = cfg->max_connections > 0 && cfg->max_connections < cfg->max_inflight
	    ? (size_t)cfg->max_connections
	    : (size_t)cfg->max_inflight;
	ds.max_connections = (int)gw->max_concurrent;
	gw->dispatch = dispatch_new(gw->base, &ds);
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
	log_info("gateway starting consumer=%s group=%s prefix=%s max_inflight=%d sms=twilio", gw->cfg->consumer,
	    gw->cfg->group, gw->cfg->prefix, gw->cfg->max_inflight);
	outbox_start(gw->outbox);
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
	twilio_free(gw->twilio);
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
	config_free(gw->cfg);
	free(gw);
}

static bool
gateway_channel_available(void *arg, enum message_channel channel, char *why, size_t whylen)
{
	struct gateway *gw = arg;

	switch (channel) {
	case MESSAGE_CHANNEL_SMS:
	case MESSAGE_CHANNEL_AUTO:
		if (gw->twilio != NULL)
			return true;
		snprintf(why, whylen, "channel %s is not configured", message_channel_name(channel));
		return false;
	case MESSAGE_CHANNEL_WHATSAPP:
		snprintf(why, whylen, "channel whatsapp is not configured");
		return false;
	}
	snprintf(why, whylen, "unknown channel");
	return false;
}

static void
gateway_send(void *arg, struct message *m)
{
	struct gateway *gw = arg;
	struct gateway_send *s = xcalloc(1, sizeof *s);

	s->gw = gw;
	s->m = m;
	s->ops = &twilio_ops;
	s->ctx = gw->twilio;
	s->channel = "sms";
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

	while (dispatch_inflight(gw->dispatch) < gw->max_concurrent && (s = TAILQ_FIRST(&gw->waiting)) != NULL) {
		TAILQ_REMOVE(&gw->waiting, s, entry);
		gw->nwaiting--;
		pm.id = s->m->id;
		pm.to = s->m->to;
		pm.text = s->m->text;
		provider_request_init(&req);
		memset(&r, 0, sizeof r);
		r.channel = s->channel;
		r.provider = s->ops->name;
		if (s->ops->build_request(s->ctx, &pm, &req, err, sizeof err) != 0) {
			provider_request_free(&req);
			r.outcome = OUTBOX_FAILED;
			r.error = err;
			log_warn("cannot build request id=%s reason=\"%s\"", s->m->id, err);
			outbox_record(gw->outbox, s->m, &r);
			free(s);
			continue;
		}
		if (dispatch_submit(gw->dispatch, &req, gateway_done, s) != 0) {
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
	s->ops->classify(s->ctx, a, &pr);
	memset(&r, 0, sizeof r);
	r.channel = s->channel;
	r.provider = s->ops->name;
	r.error = pr.error;
	switch (pr.verdict) {
	case PROVIDER_ACCEPTED:
		r.outcome = OUTBOX_SENT;
		r.provider_id = pr.provider_id;
		log_debug("sent id=%s to=%s provider_id=%s attempt=%d elapsed_us=%lld", s->m->id, s->m->to_masked,
		    pr.provider_id, s->m->attempt, elapsed_us);
		break;
	case PROVIDER_RETRY:
		r.outcome = OUTBOX_RETRY;
		r.retry_after_ms = pr.retry_after_ms;
		log_info("retryable failure id=%s to=%s attempt=%d error=\"%s\"", s->m->id, s->m->to_masked,
		    s->m->attempt, pr.error);
		break;
	case PROVIDER_PERMANENT:
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
