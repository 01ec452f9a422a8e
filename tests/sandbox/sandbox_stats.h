/*
 * What the sandbox has seen: requests received, answers by HTTP status,
 * held and delayed requests, accepted messages split into unique and
 * duplicate bodies, and their latencies. The owner frees it with
 * sandbox_stats_free().
 */
#ifndef AMUDDU_SANDBOX_STATS_H
#define AMUDDU_SANDBOX_STATS_H

#include <stdint.h>

struct evbuffer;
struct sandbox_stats;

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

/* Writes the GET /sandbox/stats JSON object. */
void sandbox_stats_write_json(const struct sandbox_stats *stats, struct evbuffer *out);

#endif
