/*
 * The gateway's counters and their Prometheus text exposition (format
 * 0.0.4): messages by lane, channel, provider and outcome, provider
 * latency, webhook requests by result, receipts, and the gauges the caller
 * samples at scrape time. One struct metrics per gateway, owned by it.
 */
#ifndef AMUDDU_METRICS_H
#define AMUDDU_METRICS_H

#include <stddef.h>

#include "gateway/util/buf.h"
#include "queues/message.h"

#define METRICS_MAX_PROVIDERS 8
#define METRICS_LATENCY_BUCKETS 12

enum metrics_outcome {
	METRICS_SENT = 0,
	METRICS_RETRY,
	METRICS_FAILED,
	METRICS_SKIPPED,
	METRICS_FALLBACK, /* handed to another channel */
	METRICS_OUTCOME_COUNT,
};

enum metrics_webhook {
	METRICS_WEBHOOK_OK = 0,
	METRICS_WEBHOOK_UNSIGNED,
	METRICS_WEBHOOK_FORBIDDEN,
	METRICS_WEBHOOK_MALFORMED,
	METRICS_WEBHOOK_NOT_FOUND,
	METRICS_WEBHOOK_METHOD,
	METRICS_WEBHOOK_MEDIA_TYPE,
	METRICS_WEBHOOK_UNAVAILABLE, /* Redis unreachable: 503, the provider sends it again */
	METRICS_WEBHOOK_COUNT,
};

enum metrics_receipt {
	METRICS_STATUS_RECORDED = 0,
	METRICS_STATUS_UNCHANGED,
	METRICS_STATUS_EARLY,
	METRICS_STATUS_ORPHANED,
	METRICS_STATUS_IGNORED, /* queued, sending…: nothing to record */
	METRICS_INBOUND_STORED,
	METRICS_INBOUND_DUPLICATE,
	METRICS_RECEIPT_COUNT,
};

struct metrics {
	const char *provider[METRICS_MAX_PROVIDERS];
	const char *channel[METRICS_MAX_PROVIDERS];
	size_t nproviders;
	unsigned long long messages[MESSAGE_LANE_COUNT][METRICS_MAX_PROVIDERS][METRICS_OUTCOME_COUNT];
	unsigned long long latency_bucket[METRICS_MAX_PROVIDERS][METRICS_LATENCY_BUCKETS];
	unsigned long long latency_count[METRICS_MAX_PROVIDERS];
	double latency_sum[METRICS_MAX_PROVIDERS];
	/* index nproviders: requests for no known provider */
	unsigned long long webhooks[METRICS_MAX_PROVIDERS + 1][METRICS_WEBHOOK_COUNT];
	unsigned long long receipts[METRICS_MAX_PROVIDERS][METRICS_RECEIPT_COUNT];
};

/* Sampled when /metrics is read. */
struct metrics_gauges {
	size_t inflight, waiting, held;
	int redis_up;
	unsigned long long redis_reconnects;
	unsigned long long claimed, reclaimed, malformed, deadletters, not_sent;
};

/* Adds a provider; returns its index. */
size_t metrics_add_provider(struct metrics *mt, const char *provider, const char *channel);
void metrics_latency(struct metrics *mt, size_t provider, long long elapsed_us);
void metrics_render(const struct metrics *mt, const struct metrics_gauges *g, struct buf *out);

#endif
