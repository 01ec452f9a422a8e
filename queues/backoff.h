/*
 * The retry schedule: exponential backoff with jitter, bounded, and never
 * earlier than what the provider asked for with Retry-After.
 */
#ifndef AMUDDU_BACKOFF_H
#define AMUDDU_BACKOFF_H

#include <stdint.h>

/*
 * Delay before attempt number attempt+1 after attempt failed: a random
 * value in [d/2, d] with d = min(max_ms, base_ms * 2^(attempt-1)) ("equal
 * jitter"), or hint_ms plus up to 10% when the provider gave one. rnd is
 * a uniformly distributed 64-bit value from the caller.
 */
long backoff_delay_ms(int attempt, long base_ms, long max_ms, long hint_ms, uint64_t rnd);

#endif
