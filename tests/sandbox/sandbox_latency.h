/*
 * End-to-end latency samples (receipt time minus the sender's @t= stamp),
 * in microseconds, and their percentiles. The owner frees the struct with
 * sandbox_latency_free().
 */
#ifndef AMUDDU_SANDBOX_LATENCY_H
#define AMUDDU_SANDBOX_LATENCY_H

#include <stddef.h>
#include <stdint.h>

#define SANDBOX_LATENCY_MAX_SAMPLES 10000000

struct sandbox_latency_summary {
	size_t count; /* samples kept */
	uint32_t p50;
	uint32_t p90;
	uint32_t p99;
	uint32_t max; /* over every sample, kept or not */
};

struct sandbox_latency;

struct sandbox_latency *sandbox_latency_new(void);
void sandbox_latency_free(struct sandbox_latency *lat);
void sandbox_latency_reset(struct sandbox_latency *lat);
/* Keeps one sample; past SANDBOX_LATENCY_MAX_SAMPLES only the maximum moves. */
void sandbox_latency_add(struct sandbox_latency *lat, uint32_t us);
/* Sorts a copy of the samples: O(n), meant for the rare stats request. */
void sandbox_latency_summarize(const struct sandbox_latency *lat, struct sandbox_latency_summary *out);

#endif
