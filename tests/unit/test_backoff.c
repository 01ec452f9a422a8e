/*
 * Unit tests for queues/backoff.c: the retry delay stays within the equal
 * jitter band of the nominal exponential delay, is capped, and honours a
 * provider's Retry-After with at most 10% added.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>

#include "queues/backoff.h"

static const uint64_t rnds[] = { 0, 1, 2, 499, 500, 501, 1000, 123456789, 0x8000000000000000ULL, UINT64_MAX - 1,
	UINT64_MAX };

static long nominal(int attempt, long base, long max);
static void test_band_per_attempt(void **state);
static void test_first_attempts_exact_bounds(void **state);
static void test_jitter_spreads(void **state);
static void test_hint(void **state);
static void test_small_hint(void **state);
static void test_never_exceeds_max(void **state);

static long
nominal(int attempt, long base, long max)
{
	long d = base;

	for (int i = 1; i < attempt; i++) {
		if (d >= max)
			break;
		d *= 2;
	}
	return d < max ? d : max;
}

static void
test_band_per_attempt(void **state)
{
	(void)state;
	for (int attempt = 1; attempt <= 10; attempt++) {
		long d = nominal(attempt, 1000, 60000);

		for (size_t i = 0; i < sizeof rnds / sizeof rnds[0]; i++) {
			long v = backoff_delay_ms(attempt, 1000, 60000, 0, rnds[i]);

			if (v < d / 2 || v > d)
				fail_msg("attempt %d rnd %llu: %ld not in [%ld, %ld]", attempt,
				    (unsigned long long)rnds[i], v, d / 2, d);
		}
	}
}

/* The schedule a user sees: 1 s, 2 s, 4 s ... then a 60 s ceiling. */
static void
test_first_attempts_exact_bounds(void **state)
{
	(void)state;
	assert_int_equal(backoff_delay_ms(1, 1000, 60000, 0, 0), 500);
	assert_int_equal(backoff_delay_ms(1, 1000, 60000, 0, 500), 1000);
	assert_int_equal(backoff_delay_ms(2, 1000, 60000, 0, 0), 1000);
	assert_int_equal(backoff_delay_ms(2, 1000, 60000, 0, 1000), 2000);
	assert_int_equal(backoff_delay_ms(3, 1000, 60000, 0, 0), 2000);
	assert_int_equal(backoff_delay_ms(7, 1000, 60000, 0, 30000), 60000);
	assert_int_equal(backoff_delay_ms(7, 1000, 60000, 0, 0), 30000);
	assert_int_equal(backoff_delay_ms(10, 1000, 60000, 0, 0), 30000);
}

/* Different random values give different delays: a burst does not retry in step. */
static void
test_jitter_spreads(void **state)
{
	long first = backoff_delay_ms(5, 1000, 60000, 0, 0);
	int different = 0;

	(void)state;
	for (uint64_t r = 1; r < 100; r++)
		different += backoff_delay_ms(5, 1000, 60000, 0, r * 7919) != first;
	assert_true(different > 90);
}

static void
test_hint(void **state)
{
	(void)state;
	for (int attempt = 1; attempt <= 10; attempt++) {
		for (size_t i = 0; i < sizeof rnds / sizeof rnds[0]; i++) {
			long v = backoff_delay_ms(attempt, 1000, 60000, 5000, rnds[i]);

			assert_in_range(v, 5000, 5500);
		}
	}
	assert_int_equal(backoff_delay_ms(1, 1000, 60000, 5000, 0), 5000);
	assert_int_equal(backoff_delay_ms(1, 1000, 60000, 5000, 500), 5500);
}

static void
test_small_hint(void **state)
{
	(void)state;
	assert_int_equal(backoff_delay_ms(3, 1000, 60000, 9, UINT64_MAX), 9);
	assert_in_range(backoff_delay_ms(3, 1000, 60000, 10, UINT64_MAX), 10, 11);
}

static void
test_never_exceeds_max(void **state)
{
	static const int attempts[] = { 1, 5, 6, 7, 8, 20, 62, 63, 64, 100, 1000, INT_MAX };

	(void)state;
	for (size_t a = 0; a < sizeof attempts / sizeof attempts[0]; a++) {
		for (size_t i = 0; i < sizeof rnds / sizeof rnds[0]; i++) {
			long v = backoff_delay_ms(attempts[a], 1000, 60000, 0, rnds[i]);

			assert_in_range(v, 30000 * (attempts[a] >= 7), 60000);
			v = backoff_delay_ms(attempts[a], 2000, 900000, 0, rnds[i]);
			assert_in_range(v, 1000, 900000);
			v = backoff_delay_ms(attempts[a], 1, 604800000, 0, rnds[i]);
			assert_in_range(v, 0, 604800000);
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_band_per_attempt),
		cmocka_unit_test(test_first_attempts_exact_bounds),
		cmocka_unit_test(test_jitter_spreads),
		cmocka_unit_test(test_hint),
		cmocka_unit_test(test_small_hint),
		cmocka_unit_test(test_never_exceeds_max),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
