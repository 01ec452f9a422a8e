/*
 * Counters, the set of accepted body hashes (open addressing, 0 = empty;
 * sandbox_hash64 never yields 0) and the latency samples. Every update is
 * O(1) amortised, so counting costs nothing next to the HTTP work.
 */
#include "sandbox_stats.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "gateway/util/xmalloc.h"
#include "sandbox_latency.h"

#define SANDBOX_STATS_INITIAL_SET 1024

enum sandbox_stats_status {
	SANDBOX_STATS_200,
	SANDBOX_STATS_201,
	SANDBOX_STATS_400,
	SANDBOX_STATS_401,
	SANDBOX_STATS_404,
	SANDBOX_STATS_429,
	SANDBOX_STATS_500,
	SANDBOX_STATS_OTHER,
	SANDBOX_STATS_NSTATUS,
};

struct sandbox_stats {
	uint64_t received;
	uint64_t accepted;
	uint64_t unique;
	uint64_t duplicates;
	uint64_t held;
	uint64_t delayed;
	uint64_t abandoned;
	uint64_t status[SANDBOX_STATS_NSTATUS];
	uint64_t channel_received[SANDBOX_CHANNEL_N];
	uint64_t channel_accepted[SANDBOX_CHANNEL_N];

	uint64_t cb_total;
	uint64_t cb_sent;
	uint64_t cb_ok;
	uint64_t cb_failed;
	uint64_t cb_retried;
	uint64_t cb_queued;  /* a gauge: kept across resets */
	uint64_t cb_pending; /* likewise */

	uint64_t *seen;  /* accepted body hashes */
	size_t seen_cap; /* a power of two */
	size_t seen_used;

	struct sandbox_latency *latency;
};

static const char *sandbox_stats_status_names[SANDBOX_STATS_NSTATUS] = {
	"200",
	"201",
	"400",
	"401",
	"404",
	"429",
	"500",
	"other",
};

static const char *sandbox_stats_channel_names[SANDBOX_CHANNEL_N] = {
	"sms",
	"whatsapp",
};

static void sandbox_stats_seen_grow(struct sandbox_stats *stats);
static int sandbox_stats_seen_add(struct sandbox_stats *stats, uint64_t hash);

struct sandbox_stats *
sandbox_stats_new(void)
{
	struct sandbox_stats *stats = xcalloc(1, sizeof *stats);

	stats->seen_cap = SANDBOX_STATS_INITIAL_SET;
	stats->seen = xcalloc(stats->seen_cap, sizeof *stats->seen);
	stats->latency = sandbox_latency_new();
	return stats;
}

void
sandbox_stats_free(struct sandbox_stats *stats)
{
	if (stats == NULL)
		return;
	sandbox_latency_free(stats->latency);
	free(stats->seen);
	free(stats);
}

void
sandbox_stats_reset(struct sandbox_stats *stats)
{
	struct sandbox_latency *latency = stats->latency;
	uint64_t cb_queued = stats->cb_queued, cb_pending = stats->cb_pending;

	free(stats->seen);
	memset(stats, 0, sizeof *stats);
	stats->cb_queued = cb_queued;
	stats->cb_pending = cb_pending;
	stats->seen_cap = SANDBOX_STATS_INITIAL_SET;
	stats->seen = xcalloc(stats->seen_cap, sizeof *stats->seen);
	stats->latency = latency;
	sandbox_latency_reset(latency);
}

void
sandbox_stats_count_received(struct sandbox_stats *stats)
{
	stats->received++;
}

void
sandbox_stats_count_status(struct sandbox_stats *stats, int code)
{
	enum sandbox_stats_status s;

	switch (code) {
	case 200:
		s = SANDBOX_STATS_200;
		break;
	case 201:
		s = SANDBOX_STATS_201;
		break;
	case 400:
		s = SANDBOX_STATS_400;
		break;
	case 401:
		s = SANDBOX_STATS_401;
		break;
	case 404:
		s = SANDBOX_STATS_404;
		break;
	case 429:
		s = SANDBOX_STATS_429;
		break;
	case 500:
		s = SANDBOX_STATS_500;
		break;
	default:
		s = SANDBOX_STATS_OTHER;
		break;
	}
	stats->status[s]++;
}

void
sandbox_stats_count_held(struct sandbox_stats *stats)
{
	stats->held++;
}

void
sandbox_stats_count_delayed(struct sandbox_stats *stats)
{
	stats->delayed++;
}

void
sandbox_stats_count_abandoned(struct sandbox_stats *stats)
{
	stats->abandoned++;
}

static void
sandbox_stats_seen_grow(struct sandbox_stats *stats)
{
	uint64_t *old = stats->seen;
	size_t old_cap = stats->seen_cap, mask;

	stats->seen_cap *= 2;
	mask = stats->seen_cap - 1;
	stats->seen = xcalloc(stats->seen_cap, sizeof *stats->seen);
	for (size_t i = 0; i < old_cap; i++) {
		size_t j;

		if (old[i] == 0)
			continue;
		for (j = old[i] & mask; stats->seen[j] != 0; j = (j + 1) & mask)
			;
		stats->seen[j] = old[i];
	}
	free(old);
}

/* Adds hash to the set; returns 1 when it was new, 0 when already there. */
static int
sandbox_stats_seen_add(struct sandbox_stats *stats, uint64_t hash)
{
	size_t mask, i;

	/* Keep the load at or under one half so probe runs stay short. */
	if ((stats->seen_used + 1) * 2 > stats->seen_cap)
		sandbox_stats_seen_grow(stats);
	mask = stats->seen_cap - 1;
	for (i = hash & mask; stats->seen[i] != 0; i = (i + 1) & mask) {
		if (stats->seen[i] == hash)
			return 0;
	}
	stats->seen[i] = hash;
	stats->seen_used++;
	return 1;
}

void
sandbox_stats_count_accepted(struct sandbox_stats *stats, uint64_t body_hash, int64_t latency_us)
{
	stats->accepted++;
	if (sandbox_stats_seen_add(stats, body_hash == 0 ? 1 : body_hash))
		stats->unique++;
	else
		stats->duplicates++;
	if (latency_us >= 0)
		sandbox_latency_add(stats->latency, latency_us > UINT32_MAX ? UINT32_MAX : (uint32_t)latency_us);
}

void
sandbox_stats_count_channel_received(struct sandbox_stats *stats, enum sandbox_channel channel)
{
	stats->channel_received[channel]++;
}

void
sandbox_stats_count_channel_accepted(struct sandbox_stats *stats, enum sandbox_channel channel)
{
	stats->channel_accepted[channel]++;
}

void
sandbox_stats_count_callback_queued(struct sandbox_stats *stats, unsigned int n)
{
	stats->cb_total += n;
	stats->cb_queued += n;
	stats->cb_pending += n;
}

void
sandbox_stats_count_callback_sent(struct sandbox_stats *stats)
{
	stats->cb_sent++;
	if (stats->cb_queued > 0)
		stats->cb_queued--;
}

void
sandbox_stats_count_callback_retried(struct sandbox_stats *stats)
{
	stats->cb_retried++;
	stats->cb_queued++;
}

void
sandbox_stats_count_callback_done(struct sandbox_stats *stats, bool ok, bool was_queued)
{
	if (was_queued && stats->cb_queued > 0)
		stats->cb_queued--;
	if (ok)
		stats->cb_ok++;
	else
		stats->cb_failed++;
	if (stats->cb_pending > 0)
		stats->cb_pending--;
}

void
sandbox_stats_write_json(const struct sandbox_stats *stats, struct evbuffer *out)
{
	struct sandbox_latency_summary lat;

	sandbox_latency_summarize(stats->latency, &lat);
	evbuffer_add_printf(out,
	    "{\"received\":%" PRIu64 ",\"accepted\":%" PRIu64 ",\"unique\":%" PRIu64 ",\"duplicates\":%" PRIu64
	    ",\"timeouts_held\":%" PRIu64 ",\"delayed\":%" PRIu64 ",\"abandoned\":%" PRIu64 ",\"status\":{",
	    stats->received, stats->accepted, stats->unique, stats->duplicates, stats->held, stats->delayed,
	    stats->abandoned);
	for (int i = 0; i < SANDBOX_STATS_NSTATUS; i++)
		evbuffer_add_printf(
		    out, "%s\"%s\":%" PRIu64, i == 0 ? "" : ",", sandbox_stats_status_names[i], stats->status[i]);
	evbuffer_add_printf(out, "},\"channels\":{");
	for (int i = 0; i < SANDBOX_CHANNEL_N; i++)
		evbuffer_add_printf(out, "%s\"%s\":{\"received\":%" PRIu64 ",\"accepted\":%" PRIu64 "}",
		    i == 0 ? "" : ",", sandbox_stats_channel_names[i], stats->channel_received[i],
		    stats->channel_accepted[i]);
	evbuffer_add_printf(out,
	    "},\"callbacks\":{\"total\":%" PRIu64 ",\"queued\":%" PRIu64 ",\"sent\":%" PRIu64 ",\"ok\":%" PRIu64
	    ",\"failed\":%" PRIu64 ",\"retried\":%" PRIu64 ",\"pending\":%" PRIu64,
	    stats->cb_total, stats->cb_queued, stats->cb_sent, stats->cb_ok, stats->cb_failed, stats->cb_retried,
	    stats->cb_pending);
	evbuffer_add_printf(out,
	    "},\"latency_us\":{\"count\":%zu,\"p50\":%" PRIu32 ",\"p90\":%" PRIu32 ",\"p99\":%" PRIu32
	    ",\"max\":%" PRIu32 "}}\n",
	    lat.count, lat.p50, lat.p90, lat.p99, lat.max);
}
