/*
 * Prometheus text exposition of the gateway's counters. Label values are
 * the gateway's own static names (lanes, providers, outcomes), so nothing
 * from outside ever reaches a label.
 */
#include "gateway/metrics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/util/log.h"
#include "gateway/util/xmalloc.h"

#define METRICS_LATENCY_BUCKETS 12

struct metrics {
	const char *provider[METRICS_MAX_PROVIDERS];
	const char *channel[METRICS_MAX_PROVIDERS];
	size_t nproviders;
	unsigned long long messages[LANE_COUNT][METRICS_MAX_PROVIDERS][OUTCOME_COUNT];
	unsigned long long latency_bucket[METRICS_MAX_PROVIDERS][METRICS_LATENCY_BUCKETS];
	unsigned long long latency_count[METRICS_MAX_PROVIDERS];
	double latency_sum[METRICS_MAX_PROVIDERS];
	/* the last row: requests for no known provider */
	unsigned long long webhooks[METRICS_MAX_PROVIDERS + 1][METRICS_WEBHOOK_COUNT];
	unsigned long long receipts[METRICS_MAX_PROVIDERS][METRICS_RECEIPT_COUNT];
	unsigned long long signins[METRICS_SIGNIN_COUNT];
};

static const double metrics_bounds[METRICS_LATENCY_BUCKETS - 1] = {
	0.005,
	0.01,
	0.025,
	0.05,
	0.1,
	0.25,
	0.5,
	1,
	2.5,
	5,
	10,
};
static const char *const metrics_webhook_names[METRICS_WEBHOOK_COUNT] = {
	"ok",
	"unsigned",
	"forbidden",
	"malformed",
	"not_found",
	"method",
	"media_type",
	"unavailable",
	"too_large",
	"bad_request",
	"timeout",
	"evicted",
};
static const char *const metrics_signin_names[METRICS_SIGNIN_COUNT] = {
	"ok",
	"wrong",
	"throttled",
	"busy",
	"unavailable",
	"invalid",
};
static const char *const metrics_receipt_names[METRICS_RECEIPT_COUNT] = {
	"recorded",
	"unchanged",
	"early",
	"orphaned",
	"ignored",
	"stored",
	"duplicate",
	"failed",
};

static void metrics_header(struct buf *out, const char *name, const char *type, const char *help);

struct metrics *
metrics_new(void)
{
	return xcalloc(1, sizeof(struct metrics));
}

void
metrics_free(struct metrics *mt)
{
	free(mt);
}

size_t
metrics_add_provider(struct metrics *mt, const char *provider, enum channel channel)
{
	if (mt->nproviders == METRICS_MAX_PROVIDERS)
		fatalx("more than %d providers", METRICS_MAX_PROVIDERS);
	mt->provider[mt->nproviders] = provider;
	mt->channel[mt->nproviders] = channel_name(channel);
	return mt->nproviders++;
}

size_t
metrics_provider_find(const struct metrics *mt, const char *name)
{
	for (size_t p = 0; p < mt->nproviders; p++)
		if (strcmp(mt->provider[p], name) == 0)
			return p;
	return METRICS_NO_PROVIDER;
}

void
metrics_count_message(struct metrics *mt, enum lane lane, size_t provider, enum outcome outcome)
{
	if ((size_t)lane < LANE_COUNT && provider < mt->nproviders && (size_t)outcome < OUTCOME_COUNT)
		mt->messages[lane][provider][outcome]++;
}

void
metrics_count_webhook(struct metrics *mt, size_t provider, enum metrics_webhook result)
{
	if (provider >= mt->nproviders)
		provider = mt->nproviders;
	if ((size_t)result < METRICS_WEBHOOK_COUNT)
		mt->webhooks[provider][result]++;
}

void
metrics_count_receipts(struct metrics *mt, size_t provider, enum metrics_receipt result, unsigned long long n)
{
	if (provider < mt->nproviders && (size_t)result < METRICS_RECEIPT_COUNT)
		mt->receipts[provider][result] += n;
}

void
metrics_count_signin(struct metrics *mt, enum metrics_signin result)
{
	if (mt != NULL && (size_t)result < METRICS_SIGNIN_COUNT)
		mt->signins[result]++;
}

void
metrics_count_latency(struct metrics *mt, size_t p, long long elapsed_us)
{
	double s = (double)elapsed_us / 1e6;
	size_t b = 0;

	if (p >= mt->nproviders)
		return;
	while (b < METRICS_LATENCY_BUCKETS - 1 && s > metrics_bounds[b])
		b++;
	mt->latency_bucket[p][b]++;
	mt->latency_count[p]++;
	mt->latency_sum[p] += s;
}

static void
metrics_header(struct buf *out, const char *name, const char *type, const char *help)
{
	buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

void
metrics_render(const struct metrics *mt, const struct metrics_gauges *g, struct buf *out)
{
	metrics_header(out, "amuddu_messages_total", "counter",
	    "Messages handled by this process, by lane, channel, provider and outcome.");
	for (int l = 0; l < LANE_COUNT; l++)
		for (size_t p = 0; p < mt->nproviders; p++)
			for (int o = 0; o < OUTCOME_COUNT; o++)
				buf_printf(out,
				    "amuddu_messages_total{lane=\"%s\",channel=\"%s\",provider=\"%s\",outcome=\"%s\"} "
				    "%llu\n",
				    lane_name((enum lane)l), mt->channel[p], mt->provider[p],
				    outcome_name((enum outcome)o), mt->messages[l][p][o]);
	metrics_header(out, "amuddu_provider_request_seconds", "histogram",
	    "Time from submitting a request to a provider to its answer.");
	for (size_t p = 0; p < mt->nproviders; p++) {
		unsigned long long cum = 0;

		for (size_t b = 0; b < METRICS_LATENCY_BUCKETS; b++) {
			cum += mt->latency_bucket[p][b];
			if (b < METRICS_LATENCY_BUCKETS - 1)
				buf_printf(out,
				    "amuddu_provider_request_seconds_bucket{provider=\"%s\",le=\"%g\"} %llu\n",
				    mt->provider[p], metrics_bounds[b], cum);
			else
				buf_printf(out,
				    "amuddu_provider_request_seconds_bucket{provider=\"%s\",le=\"+Inf\"} %llu\n",
				    mt->provider[p], cum);
		}
		buf_printf(out, "amuddu_provider_request_seconds_sum{provider=\"%s\"} %.6f\n", mt->provider[p],
		    mt->latency_sum[p]);
		buf_printf(out, "amuddu_provider_request_seconds_count{provider=\"%s\"} %llu\n", mt->provider[p],
		    mt->latency_count[p]);
	}
	metrics_header(out, "amuddu_webhook_requests_total", "counter", "Webhook requests by provider and result.");
	for (size_t p = 0; p <= mt->nproviders; p++)
		for (int r = 0; r < METRICS_WEBHOOK_COUNT; r++)
			buf_printf(out, "amuddu_webhook_requests_total{provider=\"%s\",result=\"%s\"} %llu\n",
			    p < mt->nproviders ? mt->provider[p] : "none", metrics_webhook_names[r],
			    mt->webhooks[p][r]);
	metrics_header(out, "amuddu_receipts_total", "counter",
	    "Status callbacks and inbound messages from webhooks, by provider and what became of them.");
	for (size_t p = 0; p < mt->nproviders; p++)
		for (int r = 0; r < METRICS_RECEIPT_COUNT; r++)
			buf_printf(out, "amuddu_receipts_total{provider=\"%s\",result=\"%s\"} %llu\n", mt->provider[p],
			    metrics_receipt_names[r], mt->receipts[p][r]);
	metrics_header(out, "amuddu_console_sign_ins_total", "counter", "Console sign-ins by result.");
	for (int r = 0; r < METRICS_SIGNIN_COUNT; r++)
		buf_printf(out, "amuddu_console_sign_ins_total{result=\"%s\"} %llu\n", metrics_signin_names[r],
		    mt->signins[r]);
	metrics_header(out, "amuddu_inflight_messages", "gauge", "Messages claimed and not yet recorded.");
	buf_printf(out, "amuddu_inflight_messages %zu\n", g->held);
	metrics_header(out, "amuddu_inflight_requests", "gauge", "Requests to providers running now.");
	buf_printf(out, "amuddu_inflight_requests %zu\n", g->inflight);
	metrics_header(out, "amuddu_waiting_messages", "gauge", "Messages waiting for a free request slot.");
	buf_printf(out, "amuddu_waiting_messages %zu\n", g->waiting);
	metrics_header(out, "amuddu_claimed_total", "counter", "Outbox entries claimed (reclaimed ones included).");
	buf_printf(out, "amuddu_claimed_total %llu\n", g->claimed);
	metrics_header(out, "amuddu_reclaimed_total", "counter", "Entries taken over from idle consumers.");
	buf_printf(out, "amuddu_reclaimed_total %llu\n", g->reclaimed);
	metrics_header(out, "amuddu_malformed_total", "counter", "Outbox entries refused as malformed.");
	buf_printf(out, "amuddu_malformed_total %llu\n", g->malformed);
	metrics_header(out, "amuddu_deadletters_total", "counter", "Entries moved to the dead-letter stream.");
	buf_printf(out, "amuddu_deadletters_total %llu\n", g->deadletters);
	metrics_header(out, "amuddu_not_sent_total", "counter",
	    "Messages not sent by rule: duplicate, expired, opted out, window closed.");
	buf_printf(out, "amuddu_not_sent_total %llu\n", g->not_sent);
	metrics_header(out, "amuddu_deferred_total", "counter",
	    "Messages held back and parked: quiet hours, a paused campaign, WhatsApp's tier.");
	buf_printf(out, "amuddu_deferred_total %llu\n", g->deferred);
	metrics_header(out, "amuddu_inbound_handled_total", "counter",
	    "Messages people sent that the responder handled (keywords, menus, the inbox).");
	buf_printf(out, "amuddu_inbound_handled_total %llu\n", g->replies.handled);
	metrics_header(out, "amuddu_replies_auto_total", "counter", "Automatic answers queued on the reply lane.");
	buf_printf(out, "amuddu_replies_auto_total %llu\n", g->replies.answered);
	metrics_header(out, "amuddu_replies_muted_total", "counter",
	    "Messages left without an automatic answer: their sender wrote too often ([replies] max_per_minute).");
	buf_printf(out, "amuddu_replies_muted_total %llu\n", g->replies.muted);
	metrics_header(out, "amuddu_inbound_refused_total", "counter",
	    "Inbound entries the responder could not handle (logged with the reason).");
	buf_printf(out, "amuddu_inbound_refused_total %llu\n", g->replies.refused);
	metrics_header(out, "amuddu_lease_lost_total", "counter",
	    "Messages this process let go unsent because another process had taken them over.");
	buf_printf(out, "amuddu_lease_lost_total %llu\n", g->lease_lost);
	metrics_header(out, "amuddu_poison_total", "counter",
	    "Messages whose recording failed inside Redis on their own, dead-lettered apart from their batch.");
	buf_printf(out, "amuddu_poison_total %llu\n", g->poison);
	metrics_header(out, "amuddu_redis_up", "gauge", "1 when every Redis connection is up.");
	buf_printf(out, "amuddu_redis_up %d\n", g->redis_up);
	metrics_header(out, "amuddu_redis_reconnects_total", "counter", "Redis reconnects after the first connect.");
	buf_printf(out, "amuddu_redis_reconnects_total %llu\n", g->redis_reconnects);
}
