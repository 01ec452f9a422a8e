/*
 * Latency samples in a growable array of uint32 microseconds. Percentiles
 * come from a two-pass radix sort of a copy, so a stats request over ten
 * million samples stays well under a second and adding stays O(1).
 */
#include "sandbox_latency.h"

#include <stdlib.h>
#include <string.h>

#include "gateway/util/xmalloc.h"

struct sandbox_latency {
	uint32_t *samples;
	size_t len;
	size_t cap;
	uint32_t max;
};

static void sandbox_latency_sort(uint32_t *v, size_t n);
static uint32_t sandbox_latency_rank(const uint32_t *sorted, size_t n, unsigned int per_mille);

struct sandbox_latency *
sandbox_latency_new(void)
{
	return xcalloc(1, sizeof(struct sandbox_latency));
}

void
sandbox_latency_free(struct sandbox_latency *lat)
{
	if (lat == NULL)
		return;
	free(lat->samples);
	free(lat);
}

void
sandbox_latency_reset(struct sandbox_latency *lat)
{
	free(lat->samples);
	lat->samples = NULL;
	lat->len = lat->cap = 0;
	lat->max = 0;
}

void
sandbox_latency_add(struct sandbox_latency *lat, uint32_t us)
{
	if (us > lat->max)
		lat->max = us;
	if (lat->len == SANDBOX_LATENCY_MAX_SAMPLES)
		return;
	if (lat->len == lat->cap) {
		lat->cap = lat->cap == 0 ? 4096 : lat->cap * 2;
		if (lat->cap > SANDBOX_LATENCY_MAX_SAMPLES)
			lat->cap = SANDBOX_LATENCY_MAX_SAMPLES;
		lat->samples = xreallocarray(lat->samples, lat->cap, sizeof *lat->samples);
	}
	lat->samples[lat->len++] = us;
}

/* LSD radix sort on two 16-bit digits. */
static void
sandbox_latency_sort(uint32_t *v, size_t n)
{
	uint32_t *tmp = xreallocarray(NULL, n, sizeof *tmp);
	size_t *count = xcalloc(65536, sizeof *count);

	for (int shift = 0; shift < 32; shift += 16) {
		size_t pos = 0;

		memset(count, 0, 65536 * sizeof *count);
		for (size_t i = 0; i < n; i++)
			count[(v[i] >> shift) & 0xffff]++;
		for (size_t d = 0; d < 65536; d++) {
			size_t c = count[d];

			count[d] = pos;
			pos += c;
		}
		for (size_t i = 0; i < n; i++)
			tmp[count[(v[i] >> shift) & 0xffff]++] = v[i];
		memcpy(v, tmp, n * sizeof *v);
	}
	free(count);
	free(tmp);
}

/* Nearest-rank percentile: the smallest sample with at least p of them at or below it. */
static uint32_t
sandbox_latency_rank(const uint32_t *sorted, size_t n, unsigned int per_mille)
{
	size_t rank = (n * per_mille + 999) / 1000;

	if (rank == 0)
		rank = 1;
	return sorted[rank - 1];
}

void
sandbox_latency_summarize(const struct sandbox_latency *lat, struct sandbox_latency_summary *out)
{
	uint32_t *copy;

	memset(out, 0, sizeof *out);
	out->count = lat->len;
	out->max = lat->max;
	if (lat->len == 0)
		return;
	copy = xreallocarray(NULL, lat->len, sizeof *copy);
	memcpy(copy, lat->samples, lat->len * sizeof *copy);
	sandbox_latency_sort(copy, lat->len);
	out->p50 = sandbox_latency_rank(copy, lat->len, 500);
	out->p90 = sandbox_latency_rank(copy, lat->len, 900);
	out->p99 = sandbox_latency_rank(copy, lat->len, 990);
	free(copy);
}
