/*
 * Wiring: builds the configured providers, the routing, the outbox
 * (Redis), the dispatch (HTTP to providers) and the sender between them,
 * the receipts and the HTTP server for webhooks; owns the event base,
 * signals and the shutdown sequence (the first signal drains, a second
 * exits at once).
 */
#include "gateway/gateway.h"

#include <curl/curl.h>
#include <event2/event.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/api.h"
#include "gateway/campaign_run.h"
#include "locales/catalog.h"
#include "gateway/dispatch.h"
#include "gateway/http.h"
#include "gateway/import_resume.h"
#include "gateway/metrics.h"
#include "gateway/reach_gauges.h"
#include "gateway/responder.h"
#include "gateway/route.h"
#include "gateway/sender.h"
#include "gateway/util/log.h"
#include "gateway/util/xmalloc.h"
#include "gateway/util/zone.h"
#include "gateway/webhook.h"
#include "queues/store.h"
#include "queues/outbox.h"
#include "queues/receipts.h"

struct gateway {
	struct config *cfg;
	struct event_base *base;
	struct redis_target target;
	struct outbox *outbox;
	struct dispatch *dispatch;
	struct sender *sender;
	struct route *route;
	struct receipts *receipts;
	struct webhook *webhook;
	struct api *api;
	struct store *store; /* the API's and the campaigns' Redis connection */
	struct campaign_run *campaigns;
	char noreceipt[256]; /* providers without delivery receipts (config_noreceipt()) */
	struct reach_gauges *gauges; /* /metrics: people counted this year by kind */
	struct responder *responder; /* answers people who write */
	struct import_resume *imports; /* finishes imports a dead gateway left half written */
	struct throttle *throttle;
	struct catalog *catalog; /* the standard messages, [locales] dir */
	struct http *http;
	struct metrics *metrics;
	struct route_provider providers[METRICS_MAX_PROVIDERS];
	size_t nproviders;
	struct route_provider *sms, *whatsapp;
	struct event *sigterm_ev, *sigint_ev, *shutdown_ev, *progress_ev;
	int signals;
	int exit_code;
	bool draining;
	char stale_zone[320]; /* why local times are off, when [time] allow_stale_tzdata let it run; else "" */
};

static void gateway_send(void *arg, struct message *m);
static void gateway_leases(void *arg);
static void gateway_drained(void *arg);
static void gateway_signal_cb(evutil_socket_t sig, short what, void *arg);
static void gateway_shutdown_timeout_cb(evutil_socket_t fd, short what, void *arg);
static void gateway_progress_cb(evutil_socket_t fd, short what, void *arg);
static void gateway_libevent_log(int severity, const char *msg);
static bool gateway_ready(void *arg, char *why, size_t whylen);
static void gateway_metrics(void *arg, struct buf *out);
static void gateway_webhook(void *arg, struct evhttp_request *req, const char *name, const char *route);
static void gateway_api(void *arg, struct evhttp_request *req, const char *path);
static int gateway_outbox_new(struct gateway *gw);
static void gateway_throttle_new(struct gateway *gw);
static int gateway_http_new(struct gateway *gw, char *err, size_t errlen);
static void gateway_timer(struct event *ev, long ms);

static void
gateway_timer(struct event *ev, long ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	evtimer_add(ev, &tv);
}

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

/*
 * Builds each configured provider. The SMS channel is [gateway]
 * sms_provider, or the first SMS provider configured in registry order.
 * On success the providers are gw's; on failure those built are freed.
 */
int
gateway_providers_new(const struct config *cfg, struct route_provider *out, size_t *n, struct route_provider **sms,
    struct route_provider **whatsapp, char *err, size_t errlen)
{
	char why[200];

	*n = 0;
	*sms = *whatsapp = NULL;
	for (size_t i = 0; i < cfg->nproviders; i++) {
		const struct config_provider *cp = &cfg->providers[i];
		struct route_provider *p;
		struct provider_settings ps;

		if (!cp->enabled)
			continue;
		if (*n == METRICS_MAX_PROVIDERS) {
			snprintf(err, errlen, "more than %d providers", METRICS_MAX_PROVIDERS);
			goto fail;
		}
		p = &out[*n];
		config_provider_settings(cfg, cp, &ps);
		if ((p->ctx = cp->ops->create(&ps, why, sizeof why)) == NULL) {
			snprintf(err, errlen, "[%s] %s", cp->ops->name, why);
			goto fail;
		}
		p->ops = cp->ops;
		(*n)++;
		if (p->ops->channel == CHANNEL_WHATSAPP && *whatsapp == NULL)
			*whatsapp = p;
		if (p->ops->channel == CHANNEL_SMS &&
		    (cfg->sms_provider[0] != '\0' ? strcmp(cfg->sms_provider, p->ops->name) == 0 : *sms == NULL))
			*sms = p;
	}
	if (*sms == NULL && *whatsapp == NULL) {
		snprintf(err, errlen,
		    "no channel is configured: add a [twilio], [generic] or [whatsapp] section with its credentials");
		goto fail;
	}
	return 0;
fail:
	gateway_providers_free(out, *n);
	*n = 0;
	return -1;
}

int
gateway_check_time(const struct config *cfg, char *stale, size_t stalelen, char *err, size_t errlen)
{
	char why[320];

	stale[0] = '\0';
	if (zone_init(cfg->time_zone, why, sizeof why) != 0) {
		snprintf(err, errlen, "[time] zone: %s", why);
		return -1;
	}
	if (zone_data_current(why, sizeof why))
		return 0;
	if (!cfg->allow_stale_tzdata) {
		snprintf(err, errlen, "%s", why);
		return -1;
	}
	snprintf(stale, stalelen, "%s", why);
	return 0;
}

void
gateway_providers_free(struct route_provider *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i].ops->destroy(p[i].ctx);
}

static int
gateway_outbox_new(struct gateway *gw)
{
	struct config *cfg = gw->cfg;
	struct outbox_settings os;
	struct outbox_handlers oh = { gateway_send, gateway_leases, gateway_drained };
	struct dispatch_settings ds;
	size_t max_concurrent;

	memset(&os, 0, sizeof os);
	os.target = &gw->target;
	os.prefix = cfg->prefix;
	os.group = cfg->group;
	os.consumer = cfg->consumer;
	os.pseudonym_key = cfg->pseudonym_key;
	os.max_inflight = cfg->max_inflight;
	os.max_attempts = cfg->max_attempts;
	os.claim_idle_ms = cfg->claim_idle_ms;
	os.attempt_ms = cfg->connect_timeout_ms + cfg->request_timeout_ms;
	os.retry_base_ms = cfg->retry_base_ms;
	os.retry_max_ms = cfg->retry_max_ms;
	os.msg_ttl_s = cfg->msg_ttl_s;
	os.log_maxlen = cfg->log_maxlen;
	config_noreceipt(cfg, gw->noreceipt, sizeof gw->noreceipt);
	os.noreceipt = gw->noreceipt;
	os.contacts = gw->whatsapp != NULL;
	os.require_consent = cfg->require_consent;
	gw->outbox = outbox_new(gw->base, &os, &oh, gw);
	memset(&ds, 0, sizeof ds);
	ds.connect_timeout_ms = cfg->connect_timeout_ms;
	ds.request_timeout_ms = cfg->request_timeout_ms;
	max_concurrent = cfg->max_connections > 0 && cfg->max_connections < cfg->max_inflight
	    ? (size_t)cfg->max_connections
	    : (size_t)cfg->max_inflight;
	ds.max_connections = (int)max_concurrent;
	gw->dispatch = dispatch_new(gw->base, &ds);
	gw->route = route_new(gw->sms, gw->whatsapp);
	route_set_providers(gw->route, gw->providers, gw->nproviders);
	route_set_quiet(gw->route, &cfg->quiet_hours);
	gw->store = store_new(gw->base, &gw->target, cfg->prefix, "api");
	gw->gauges = reach_gauges_new(gw->base, gw->store);
	{
		struct campaign_run_settings cs = { gw->store, cfg->consumer, cfg->locale_fallback, 500 };

		gw->campaigns = campaign_run_new(gw->base, &cs);
	}
	route_set_campaigns(gw->route, campaign_run_state, gw->campaigns, cfg->require_consent);
	gw->sender = sender_new(gw->outbox, gw->dispatch, gw->route, gw->metrics, max_concurrent);
	gateway_throttle_new(gw);
	return 0;
}

/*
 * The limits across processes: [<provider>] rate (0 or none: not limited;
 * WhatsApp 80 a second unless set, Meta's default per number) and
 * [whatsapp] tier (250 unless set, a new number's tier).
 */
static void
gateway_throttle_new(struct gateway *gw)
{
	double rates[METRICS_MAX_PROVIDERS];
	const char *names[METRICS_MAX_PROVIDERS], *v;
	size_t n = 0;
	long tier = 0;

	for (size_t i = 0; i < gw->nproviders; i++) {
		const char *name = gw->providers[i].ops->name;
		size_t mi = gw->providers[i].mi;

		if (mi >= METRICS_MAX_PROVIDERS)
			continue;
		while (n <= mi) {
			rates[n] = 0;
			names[n++] = "";
		}
		v = config_provider_get(gw->cfg, name, "rate");
		rates[mi] = v != NULL ? strtod(v, NULL) : gw->providers[i].ops->channel == CHANNEL_WHATSAPP ? 80 : 0;
		names[mi] = name;
	}
	if (gw->whatsapp != NULL) {
		v = config_provider_get(gw->cfg, "whatsapp", "tier");
		tier = v == NULL ? 250 : strcmp(v, "unlimited") == 0 ? 0 : atol(v);
	}
	gw->throttle = throttle_new(gw->base, gw->store, rates, names, n, tier);
	sender_set_throttle(gw->sender, gw->throttle);
}

static int
gateway_http_new(struct gateway *gw, char *err, size_t errlen)
{
	struct config *cfg = gw->cfg;
	/*
	 * A status waits a day for its send (Redis away longer than that means
	 * the provider's retries have stopped too); inbound ids are remembered
	 * for a week, longer than Meta retries a webhook.
	 */
	struct receipts_settings rs = { &gw->target, cfg->prefix, cfg->group, cfg->log_maxlen, cfg->log_maxlen, 86400,
		7 * 86400 };
	struct webhook_provider wp[METRICS_MAX_PROVIDERS];
	struct http_handlers hh = { gateway_ready, gateway_metrics, gateway_webhook, gateway_api };
	struct http_settings hs = { cfg->http_listen, cfg->http_max_body_bytes, cfg->http_max_connections,
		cfg->http_request_timeout_ms, cfg->http_import_max_bytes, cfg->http_import_connections,
		cfg->http_import_timeout_ms };

	gw->receipts = receipts_new(gw->base, &rs);
	for (size_t i = 0; i < gw->nproviders; i++) {
		wp[i].ops = gw->providers[i].ops;
		wp[i].ctx = gw->providers[i].ctx;
		wp[i].metrics_index = gw->providers[i].mi;
	}
	gw->webhook =
	    webhook_new(wp, gw->nproviders, gw->receipts, gw->metrics, cfg->http_public_url, cfg->pseudonym_key);
	webhook_set_text_max(gw->webhook, (size_t)cfg->inbound_text_max);
	if (strcmp(cfg->http_listen, "off") == 0)
		return 0;
	{
		struct api_settings as = { &cfg->api, gw->store, cfg->pseudonym_key, cfg->default_country,
			cfg->locale_fallback, NULL, NULL, &cfg->reach, gw->noreceipt, gw->metrics };
		struct api_estimates est;
		const char *v;

		memset(&est, 0, sizeof est);
		est.price_sms_segment = strtod(cfg->price_sms_segment, NULL);
		est.price_wa_marketing = strtod(cfg->price_wa_marketing, NULL);
		est.price_wa_utility = strtod(cfg->price_wa_utility, NULL);
		snprintf(est.currency, sizeof est.currency, "%s", cfg->price_currency);
		if (gw->sms != NULL && (v = config_provider_get(cfg, gw->sms->ops->name, "rate")) != NULL)
			est.sms_rate = strtod(v, NULL);
		/* WhatsApp's own limit is 80 a second per number unless raised. */
		est.wa_rate = 80;
		if ((v = config_provider_get(cfg, "whatsapp", "rate")) != NULL)
			est.wa_rate = strtod(v, NULL);
		v = config_provider_get(cfg, "whatsapp", "tier");
		est.wa_tier = v == NULL ? 250 : strcmp(v, "unlimited") == 0 ? 0 : atol(v);
		est.quiet = cfg->quiet_hours;
		as.estimates = &est;
		as.catalog = gw->catalog;
		gw->api = api_new(&as);
	}
	gw->http = http_new(gw->base, &hs, gw->metrics, &hh, gw, err, errlen);
	return gw->http != NULL ? 0 : -1;
}

struct gateway *
gateway_new(struct config *cfg, char *err, size_t errlen)
{
	struct gateway *gw = xcalloc(1, sizeof *gw);
	enum log_level level;

	gw->cfg = cfg;
	gw->metrics = metrics_new();
	if (log_parse_level(cfg->log_level, &level) == 0)
		log_set_level(level);
	if (redis_target_parse(cfg->redis_url, &gw->target, err, errlen) != 0)
		goto fail;
	if (gateway_check_time(cfg, gw->stale_zone, sizeof gw->stale_zone, err, errlen) != 0)
		goto fail;
	gw->catalog = catalog_new();
	if (catalog_load_dir(gw->catalog, cfg->locales_dir, err, errlen) != 0)
		goto fail;
	if (catalog_size(gw->catalog) == 0)
		log_warn("no catalogs in [locales] dir %s: campaigns need their own texts", cfg->locales_dir);
	if (gw->stale_zone[0] != '\0')
		log_warn("running on stale zone data ([time] allow_stale_tzdata): %s", gw->stale_zone);
	if (gateway_providers_new(cfg, gw->providers, &gw->nproviders, &gw->sms, &gw->whatsapp, err, errlen) != 0)
		goto fail;
	for (size_t i = 0; i < gw->nproviders; i++)
		gw->providers[i].mi =
		    metrics_add_provider(gw->metrics, gw->providers[i].ops->name, gw->providers[i].ops->channel);
	event_set_log_callback(gateway_libevent_log);
	if ((gw->base = event_base_new()) == NULL) {
		snprintf(err, errlen, "cannot create the event loop");
		goto fail;
	}
	if (*cfg->pseudonym_key == '\0')
		log_warn("no [gateway] pseudonym_key: person pseudonyms are unkeyed hashes; set one");
	if (gateway_outbox_new(gw) != 0 || gateway_http_new(gw, err, errlen) != 0)
		goto fail;
	if ((gw->responder = responder_new(gw->base, &gw->target, cfg, gw->catalog, err, errlen)) == NULL)
		goto fail;
	gw->imports = import_resume_new(gw->base, gw->store);
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
	gateway_timer(gw->progress_ev, 10000);
	return gw;
fail:
	gw->cfg = NULL; /* the caller still owns it on failure */
	gateway_free(gw);
	return NULL;
}

int
gateway_run(struct gateway *gw)
{
	sigset_t stop;

	log_info("gateway starting consumer=%s group=%s prefix=%s max_inflight=%d sms=%s whatsapp=%s http_port=%d",
	    gw->cfg->consumer, gw->cfg->group, gw->cfg->prefix, gw->cfg->max_inflight,
	    gw->sms != NULL ? gw->sms->ops->name : "none", gw->whatsapp != NULL ? gw->whatsapp->ops->name : "none",
	    gw->http != NULL ? http_port(gw->http) : 0);
	/* The campaigns' states first: campaign messages wait for them. */
	store_start(gw->store);
	campaign_run_start(gw->campaigns);
	responder_start(gw->responder);
	import_resume_start(gw->imports);
	outbox_start(gw->outbox);
	receipts_start(gw->receipts);
	/* main() held these back until the signal events existed. */
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	sigprocmask(SIG_UNBLOCK, &stop, NULL);
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
	/* First: calls still waiting for the store are answered while those who wait for them exist. */
	if (gw->imports != NULL)
		import_resume_stop(gw->imports);
	store_free(gw->store);
	reach_gauges_free(gw->gauges);
	responder_free(gw->responder);
	import_resume_free(gw->imports);
	sender_free(gw->sender);
	outbox_free(gw->outbox);
	dispatch_free(gw->dispatch);
	route_free(gw->route);
	/* Webhooks still waiting for Redis are answered 503 here, while their connections exist. */
	receipts_free(gw->receipts);
	http_free(gw->http);
	api_free(gw->api);
	campaign_run_free(gw->campaigns);
	throttle_free(gw->throttle);
	catalog_free(gw->catalog);
	webhook_free(gw->webhook);
	gateway_providers_free(gw->providers, gw->nproviders);
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

static void
gateway_send(void *arg, struct message *m)
{
	struct gateway *gw = arg;

	sender_send(gw->sender, m);
}

static void
gateway_leases(void *arg)
{
	struct gateway *gw = arg;

	sender_pump(gw->sender);
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
	long ms = gw->cfg->shutdown_timeout_ms;

	(void)what;
	if (++gw->signals > 1) {
		log_warn("second signal %d: exiting now; unfinished messages stay pending in Redis", (int)sig);
		gw->exit_code = 1;
		event_base_loopbreak(gw->base);
		return;
	}
	log_info("signal %d: draining inflight=%zu waiting=%zu timeout_ms=%ld", (int)sig,
	    dispatch_inflight(gw->dispatch), sender_waiting(gw->sender), ms);
	gw->draining = true;
	gateway_timer(gw->shutdown_ev, ms);
	outbox_stop(gw->outbox);
	campaign_run_stop(gw->campaigns);
	responder_stop(gw->responder);
	import_resume_stop(gw->imports);
}

static void
gateway_shutdown_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	struct gateway *gw = arg;
	struct outbox_stats st;

	(void)fd;
	(void)what;
	log_warn("shutdown timeout: abandoning inflight=%zu waiting=%zu (they stay pending in Redis)",
	    dispatch_inflight(gw->dispatch), sender_waiting(gw->sender));
	dispatch_abort_all(gw->dispatch);
	sender_release_waiting(gw->sender);
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
		 "scheduled=%llu not_sent=%llu lease_lost=%llu poison=%llu trimmed=%llu deferred=%llu held=%zu "
		 "inflight=%zu "
		 "redis=%s",
	    st.claimed, st.reclaimed, st.sent, st.retried, st.failed, st.malformed, st.scheduled, st.not_sent,
	    st.lease_lost, st.poison, st.trimmed, st.deferred, st.held, dispatch_inflight(gw->dispatch),
	    outbox_redis_up(gw->outbox) ? "up" : "down");
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
	/* Allowed to run, but the times it shows and the quiet hours it keeps are off: said here too. */
	if (gw->stale_zone[0] != '\0')
		snprintf(why, whylen, "warning: %s", gw->stale_zone);
	return true;
}

static void
gateway_metrics(void *arg, struct buf *out)
{
	struct gateway *gw = arg;
	struct outbox_stats st;
	struct metrics_gauges g;
	struct responder_stats rs;

	outbox_get_stats(gw->outbox, &st);
	memset(&g, 0, sizeof g);
	g.inflight = dispatch_inflight(gw->dispatch);
	g.waiting = sender_waiting(gw->sender);
	g.held = st.held;
	g.redis_up = outbox_redis_up(gw->outbox) && receipts_up(gw->receipts);
	g.redis_reconnects = outbox_redis_reconnects(gw->outbox) + receipts_reconnects(gw->receipts);
	g.claimed = st.claimed;
	g.reclaimed = st.reclaimed;
	g.malformed = st.malformed;
	g.deadletters = st.failed + st.malformed + st.poison + st.trimmed;
	g.not_sent = st.not_sent;
	g.lease_lost = st.lease_lost;
	g.poison = st.poison;
	g.deferred = st.deferred;
	responder_get_stats(gw->responder, &rs);
	g.replies.handled = rs.handled;
	g.replies.answered = rs.answered;
	g.replies.muted = rs.muted;
	g.replies.refused = rs.refused;
	metrics_render(gw->metrics, &g, out);
	reach_gauges_render(gw->gauges, out);
}

static void
gateway_webhook(void *arg, struct evhttp_request *req, const char *name, const char *route)
{
	struct gateway *gw = arg;

	webhook_handle(gw->webhook, req, name, route);
}

static void
gateway_api(void *arg, struct evhttp_request *req, const char *path)
{
	struct gateway *gw = arg;

	api_handle(gw->api, req, path);
}
