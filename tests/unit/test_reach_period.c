/*
 * Unit tests for handlers/reach_period.c: dates as day numbers across
 * leap years, period bounds and labels, and the blocks that cover a range
 * (ended months, quarters, semesters and years as one block each, days
 * elsewhere).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "handlers/reach_period.h"

static long
day(const char *s)
{
	long d;

	assert_int_equal(reach_date_parse(s, &d), 0);
	return d;
}

/* The cover as one string, blocks separated by spaces. */
static char *
cover(const char *from, const char *to, const char *closed)
{
	json_t *a = reach_cover(day(from), day(to), day(closed)), *v;
	size_t i, n = 0;
	char *out = calloc(1, 4096);

	json_array_foreach(a, i, v)
	{
		n += (size_t)snprintf(out + n, 4096 - n, "%s%s", i > 0 ? " " : "", json_string_value(v));
	}
	json_decref(a);
	return out;
}

static void
test_dates(void **state)
{
	long d;
	char s[16];

	(void)state;
	assert_int_equal(day("1970-01-01"), 0);
	assert_int_equal(day("2000-03-01") - day("2000-02-28"), 2); /* 2000 is a leap year */
	assert_int_equal(day("2100-03-01") - day("2100-02-28"), 1); /* 2100 is not */
	assert_int_equal(day("20261203"), day("2026-12-03"));
	assert_int_equal(reach_date_parse("2026-02-29", &d), -1);
	assert_int_equal(reach_date_parse("2026-13-01", &d), -1);
	assert_int_equal(reach_date_parse("2026-1-01", &d), -1);
	assert_int_equal(reach_date_parse("26-01-01", &d), -1);
	reach_date_format(day("2028-02-29"), s, sizeof s);
	assert_string_equal(s, "2028-02-29");
}

static void
test_periods(void **state)
{
	long f, l;
	char s[16];

	(void)state;
	reach_period_bounds(REACH_PERIOD_QUARTER, day("2026-08-15"), &f, &l);
	assert_int_equal(f, day("2026-07-01"));
	assert_int_equal(l, day("2026-09-30"));
	reach_period_bounds(REACH_PERIOD_SEMESTER, day("2026-12-31"), &f, &l);
	assert_int_equal(f, day("2026-07-01"));
	assert_int_equal(l, day("2026-12-31"));
	reach_period_bounds(REACH_PERIOD_MONTH, day("2028-02-10"), &f, &l);
	assert_int_equal(l, day("2028-02-29"));
	reach_period_bounds(REACH_PERIOD_YEAR, day("2026-05-05"), &f, &l);
	assert_int_equal(f, day("2026-01-01"));
	assert_int_equal(l, day("2026-12-31"));
	reach_period_label(REACH_PERIOD_QUARTER, day("2026-11-02"), s, sizeof s);
	assert_string_equal(s, "2026-Q4");
	reach_period_label(REACH_PERIOD_SEMESTER, day("2026-06-30"), s, sizeof s);
	assert_string_equal(s, "2026-S1");
	reach_period_label(REACH_PERIOD_MONTH, day("2026-06-30"), s, sizeof s);
	assert_string_equal(s, "2026-06");
	reach_period_label(REACH_PERIOD_DAY, day("2026-06-30"), s, sizeof s);
	assert_string_equal(s, "2026-06-30");
	reach_period_label(REACH_PERIOD_YEAR, day("2026-06-30"), s, sizeof s);
	assert_string_equal(s, "2026");
}

static void
test_cover(void **state)
{
	char *c;

	(void)state;
	/* A whole year that has ended is one block. */
	c = cover("2025-01-01", "2025-12-31", "2026-12-01");
	assert_string_equal(c, "2025");
	free(c);
	/* The quarter under way is days; the months of it that ended are months. */
	c = cover("2026-10-01", "2026-12-02", "2026-11-30");
	assert_string_equal(c, "202610 202611 20261201 20261202");
	free(c);
	/* Ragged edges: days, then a quarter, then a month, then days. */
	c = cover("2026-03-30", "2026-08-02", "2026-11-30");
	assert_string_equal(c, "20260330 20260331 2026Q2 202607 20260801 20260802");
	free(c);
	/* A semester, and nothing ended yet: all days. */
	c = cover("2026-01-01", "2026-06-30", "2026-12-01");
	assert_string_equal(c, "2026S1");
	free(c);
	c = cover("2026-12-01", "2026-12-03", "2026-11-30");
	assert_string_equal(c, "20261201 20261202 20261203");
	free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dates),
		cmocka_unit_test(test_periods),
		cmocka_unit_test(test_cover),
	};

	return cmocka_run_group_tests_name("reach_period", tests, NULL, NULL);
}
