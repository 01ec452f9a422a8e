/*
 * Backoff computation, kept pure so the schedule is unit-tested exactly.
 * Equal jitter spreads retries of a burst that failed together without
 * ever retrying sooner than half the nominal delay.
 */
#include "queues/backoff.h"

long
backoff_delay_ms(int attempt, long base_ms, long max_ms, long hint_ms, uint64_t rnd)
{
	long d = base_ms;

	if (hint_ms > 0) {
		long extra = hint_ms / 10;

		return hint_ms + (extra > 0 ? (long)(rnd % (uint64_t)(extra + 1)) : 0);
	}
	for (int i = 1; i < attempt && d < max_ms; i++)
		d *= 2;
	if (d > max_ms)
		d = max_ms;
	return d / 2 + (long)(rnd % (uint64_t)(d / 2 + 1));
}
