/*
 * What the sandbox has seen: requests received, answers by HTTP status,
 * held and delayed requests, accepted messages split into unique and
 * duplicate bodies, their latencies, per-channel counts, and the outcome
 * of the callbacks it sent. The owner frees it with sandbox_stats_free().
 */
#ifndef AMUDDU_SANDBOX_STATS_H
#define AMUDDU_SANDBOX_STATS_H

#include <stdbool.h>
#include <stdint.h>

struct evbuffer;
struct sandbox_stats;

/* The provider API a request or message belongs to. */
enum sandbox_channel {
	SANDBOX_CHANNEL_SMS = 0, /* the zero value: what a zeroed message is */
	SANDBOX_CHANNEL_WHATSAPP,
	SANDBOX_CHANNEL_N,
};

struct sandbox_stats *sandbox_stats_new(void);
void sandbox_stats_free(struct sandbox_stats *stats);
/* Zeroes every counter and forgets every body and latency sample. */
void sandbox_stats_reset(struct sandbox_stats *stats);

void sandbox_stats_count_received(struct sandbox_stats *stats);
void sandbox_stats_count_status(struct sandbox_stats *stats, int code);
void sandbox_stats_count_held(struct sandbox_stats *stats);
void sandbox_stats_count_delayed(struct sandbox_stats *stats);
/* A held or delayed request whose client went away before any answer. */
void sandbox_stats_count_abandoned(struct sandbox_stats *stats);
/* An accepted message; latency_us < 0 when the body carried no @t= stamp. */
void sandbox_stats_count_accepted(struct sandbox_stats *stats, uint64_t body_hash, int64_t latency_us);

/* A provider request that reached the endpoint of channel. */
void sandbox_stats_count_channel_received(struct sandbox_stats *stats, enum sandbox_channel channel);
void sandbox_stats_count_channel_accepted(struct sandbox_stats *stats, enum sandbox_channel channel);

/*
 * Callbacks (status callbacks and inbound messages the sandbox sends):
 * n more are due, one attempt went out, one failed attempt will be tried
 * again, one callback is over (answered 2xx, or given up; was_queued when
 * it ended without an attempt in flight). "queued" (due, not in flight)
 * and "pending" (due, not over) are gauges and survive sandbox_stats_reset().
 */
void sandbox_stats_count_callback_queued(struct sandbox_stats *stats, unsigned int n);
void sandbox_stats_count_callback_sent(struct sandbox_stats *stats);
void sandbox_stats_count_callback_retried(struct sandbox_stats *stats);
void sandbox_stats_count_callback_done(struct sandbox_stats *stats, bool ok, bool was_queued);

/* Writes the GET /sandbox/stats JSON object. */
void sandbox_stats_write_json(const struct sandbox_stats *stats, struct evbuffer *out);

#endif
