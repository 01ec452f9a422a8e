/*
 * Unit tests for gateway/util/zone.c: Casablanca's local time on both
 * sides of Morocco's move to permanent UTC+0 (2026-09-20, tzdata 2026c),
 * zone data that predates it refused, ISO 8601 in and out, and quiet
 * hours across midnight and across the change. Expected instants are
 * written out as UTC by hand; scripts/install-deps brings the zone data.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gateway/util/zone.h"

static long long utc(int y, int mo, int d, int h, int mi, int s);
static long long parsed(const char *s);
static int setup_casablanca(void **state);

/* An instant written as UTC fields (timegm() reads no zone data). */
static long long
utc(int y, int mo, int d, int h, int mi, int s)
{
	struct tm tm = { .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi, .tm_sec = s };

	return (long long)timegm(&tm);
}

static long long
parsed(const char *s)
{
	long long t = -2;
	char why[256];

	assert_int_equal(zone_parse(s, &t, why, sizeof why), 0);
	return t;
}

static int
setup_casablanca(void **state)
{
	char why[256];

	(void)state;
	unsetenv("TZDIR");
	assert_int_equal(zone_init("Africa/Casablanca", why, sizeof why), 0);
	return 0;
}

static void
test_zone_data_is_current(void **state)
{
	char why[512] = "";

	(void)state;
	assert_true(zone_data_current(why, sizeof why));
	assert_int_equal(zone_offset(utc(2026, 12, 1, 12, 0, 0)), 0);
}

/* Before 2026-09-20 Morocco was on +01 outside Ramadan; after it, +00 for good. */
static void
test_local_time_across_the_change(void **state)
{
	char out[64];

	(void)state;
	assert_int_equal(parsed("2026-09-19T12:00"), utc(2026, 9, 19, 11, 0, 0));
	assert_int_equal(parsed("2026-09-21T12:00"), utc(2026, 9, 21, 12, 0, 0));
	assert_int_equal(parsed("2026-12-03 09:30:15"), utc(2026, 12, 3, 9, 30, 15));
	/* Ramadan 2026 (+00) and after it (+01), both before the change. */
	assert_int_equal(parsed("2026-03-01T10:00"), utc(2026, 3, 1, 10, 0, 0));
	assert_int_equal(parsed("2026-04-01T10:00"), utc(2026, 4, 1, 9, 0, 0));
	zone_format(utc(2026, 9, 19, 11, 0, 0), out, sizeof out);
	assert_string_equal(out, "2026-09-19T12:00:00+01:00");
	zone_format(utc(2026, 9, 21, 12, 0, 0), out, sizeof out);
	assert_string_equal(out, "2026-09-21T12:00:00+00:00");
	/* The last hour on +01 and the first on +00 both read 01:xx local. */
	zone_format(utc(2026, 9, 20, 0, 59, 59), out, sizeof out);
	assert_string_equal(out, "2026-09-20T01:59:59+01:00");
	zone_format(utc(2026, 9, 20, 1, 0, 0), out, sizeof out);
	assert_string_equal(out, "2026-09-20T01:00:00+00:00");
}

static void
test_parse_offsets_and_refusals(void **state)
{
	static const char *const bad[] = { "", "2026-12-03T", "2026-12-3T09:30", "2026-02-30", "2026-12-03T24:00",
		"2026-12-03T09:30+5", "2026-12-03T09:30:00Zjunk", "03/12/2026", "2026-13-01", "tomorrow",
		"2026-12-03T09:60" };
	long long t;
	char why[256];

	(void)state;
	assert_int_equal(parsed("2026-12-03T09:30:00Z"), utc(2026, 12, 3, 9, 30, 0));
	assert_int_equal(parsed("2026-12-03T09:30:00+01:00"), utc(2026, 12, 3, 8, 30, 0));
	assert_int_equal(parsed("2026-12-03T09:30-0230"), utc(2026, 12, 3, 12, 0, 0));
	assert_int_equal(parsed("2026-12-03T09:30:00.250Z"), utc(2026, 12, 3, 9, 30, 0));
	assert_int_equal(parsed("2026-09-19"), utc(2026, 9, 18, 23, 0, 0));
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		why[0] = '\0';
		assert_int_equal(zone_parse(bad[i], &t, why, sizeof why), -1);
		assert_non_null(strstr(why, "is not a time"));
	}
}

static void
test_quiet_hours_across_midnight(void **state)
{
	struct zone_quiet q;
	char why[256];

	(void)state;
	assert_int_equal(zone_quiet_parse("21:00-08:00", &q, why, sizeof why), 0);
	assert_true(q.on);
	assert_int_equal(zone_quiet_until(&q, utc(2026, 12, 3, 20, 59, 59)), 0);
	assert_int_equal(zone_quiet_until(&q, utc(2026, 12, 3, 21, 0, 0)), utc(2026, 12, 4, 8, 0, 0));
	assert_int_equal(zone_quiet_until(&q, utc(2026, 12, 3, 23, 59, 0)), utc(2026, 12, 4, 8, 0, 0));
	assert_int_equal(zone_quiet_until(&q, utc(2026, 12, 4, 0, 0, 0)), utc(2026, 12, 4, 8, 0, 0));
	assert_int_equal(zone_quiet_until(&q, utc(2026, 12, 4, 7, 59, 59)), utc(2026, 12, 4, 8, 0, 0));
	assert_int_equal(zone_quiet_until(&q, utc(2026, 12, 4, 8, 0, 0)), 0);
	/* New Year's Eve: the end is in the next month and year. */
	assert_int_equal(zone_quiet_until(&q, utc(2026, 12, 31, 22, 0, 0)), utc(2027, 1, 1, 8, 0, 0));
}

/* Quiet from 21:00 (+01) on 19 September to 08:00 (+00) on the 20th: ten hours, not nine. */
/* The agents' days: ranges, lists, a range across the week's end; nonsense refused. */
static void
test_days(void **state)
{
	unsigned m;
	char why[256];

	(void)state;
	assert_int_equal(zone_days_parse("mon-fri", &m, why, sizeof why), 0);
	assert_int_equal(m, 0x3e);
	assert_int_equal(zone_days_parse("sun-thu", &m, why, sizeof why), 0);
	assert_int_equal(m, 0x1f);
	assert_int_equal(zone_days_parse("fri-mon", &m, why, sizeof why), 0);
	assert_int_equal(m, 0x63);
	assert_int_equal(zone_days_parse("Mon,wed,FRI", &m, why, sizeof why), 0);
	assert_int_equal(m, 0x2a);
	assert_int_equal(zone_days_parse("mon-wed,sat", &m, why, sizeof why), 0);
	assert_int_equal(m, 0x4e);
	assert_int_equal(zone_days_parse("all", &m, why, sizeof why), 0);
	assert_int_equal(m, 0x7f);
	assert_int_equal(zone_days_parse("lundi", &m, why, sizeof why), -1);
	assert_int_equal(zone_days_parse("mon-", &m, why, sizeof why), -1);
	assert_int_equal(zone_days_parse("", &m, why, sizeof why), -1);
	/* 2026-12-04 is a Friday; Casablanca is at +00. */
	assert_int_equal(zone_weekday(utc(2026, 12, 4, 12, 0, 0)), 5);
}

/* When the agents next work: now (until today's close), later today, or the next working day. */
static void
test_next_open(void **state)
{
	struct zone_quiet h;
	unsigned m;
	long long until;
	char why[256];

	(void)state;
	assert_int_equal(zone_quiet_parse("09:00-17:00", &h, why, sizeof why), 0);
	assert_int_equal(zone_days_parse("mon-fri", &m, why, sizeof why), 0);
	/* Thursday 10:00: open until 17:00. */
	assert_int_equal(zone_next_open(&h, m, utc(2026, 12, 3, 10, 0, 0), &until), 0);
	assert_int_equal(until, utc(2026, 12, 3, 17, 0, 0));
	/* Thursday 07:30: at 09:00 today. */
	assert_int_equal(zone_next_open(&h, m, utc(2026, 12, 3, 7, 30, 0), &until), utc(2026, 12, 3, 9, 0, 0));
	/* Thursday 17:00: Friday 09:00. */
	assert_int_equal(zone_next_open(&h, m, utc(2026, 12, 3, 17, 0, 0), &until), utc(2026, 12, 4, 9, 0, 0));
	/* Friday evening and Saturday: Monday 09:00. */
	assert_int_equal(zone_next_open(&h, m, utc(2026, 12, 4, 18, 0, 0), &until), utc(2026, 12, 7, 9, 0, 0));
	assert_int_equal(zone_next_open(&h, m, utc(2026, 12, 5, 10, 0, 0), &until), utc(2026, 12, 7, 9, 0, 0));
	/* Hours off: nothing to say. */
	h.on = false;
	assert_int_equal(zone_next_open(&h, m, utc(2026, 12, 3, 10, 0, 0), &until), -1);
}

static void
test_quiet_hours_across_the_change(void **state)
{
	struct zone_quiet q;
	char why[256];

	(void)state;
	assert_int_equal(zone_quiet_parse("21:00-08:00", &q, why, sizeof why), 0);
	assert_int_equal(zone_quiet_until(&q, utc(2026, 9, 19, 20, 0, 0)), utc(2026, 9, 20, 8, 0, 0));
	assert_int_equal(zone_quiet_until(&q, utc(2026, 9, 19, 19, 59, 59)), 0);
	/* In the hour that happens twice. */
	assert_int_equal(zone_quiet_until(&q, utc(2026, 9, 20, 0, 30, 0)), utc(2026, 9, 20, 8, 0, 0));
	assert_int_equal(zone_quiet_until(&q, utc(2026, 9, 20, 1, 30, 0)), utc(2026, 9, 20, 8, 0, 0));
}

static void
test_quiet_hours_forms(void **state)
{
	static const char *const bad[] = { "21-08", "21:00", "21:00-8:00", "25:00-08:00", "21:00-08:60", "yes", "" };
	struct zone_quiet q;
	char why[256];

	(void)state;
	assert_int_equal(zone_quiet_parse("off", &q, why, sizeof why), 0);
	assert_false(q.on);
	assert_int_equal(zone_quiet_until(&q, utc(2026, 12, 3, 23, 0, 0)), 0);
	assert_int_equal(zone_quiet_parse("12:00-14:00", &q, why, sizeof why), 0);
	assert_int_equal(zone_quiet_until(&q, utc(2026, 12, 3, 11, 59, 0)), 0);
	assert_int_equal(zone_quiet_until(&q, utc(2026, 12, 3, 13, 0, 0)), utc(2026, 12, 3, 14, 0, 0));
	assert_int_equal(zone_quiet_until(&q, utc(2026, 12, 3, 14, 0, 0)), 0);
	assert_int_equal(zone_quiet_parse("22:00-24:00", &q, why, sizeof why), 0);
	assert_int_equal(zone_quiet_until(&q, utc(2026, 12, 3, 23, 0, 0)), utc(2026, 12, 4, 0, 0, 0));
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		why[0] = '\0';
		assert_int_equal(zone_quiet_parse(bad[i], &q, why, sizeof why), -1);
		assert_non_null(strstr(why, "quiet hours"));
	}
}

/* Zone data from before the change, compiled here with zic: refused, with the reason. */
static void
test_stale_zone_data_refused(void **state)
{
	char dir[] = "/tmp/amuddu-tz-XXXXXX", cmd[1024], src[64], why[512] = "";
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(src, sizeof src, "%s/africa", dir);
	f = fopen(src, "w");
	assert_non_null(f);
	fputs("Zone Africa/Casablanca 0:00 - +00 2018 Oct 28 3:00\n\t1:00 - +01\n", f);
	fclose(f);
	snprintf(cmd, sizeof cmd, "zic -d %s %s 2>/dev/null || /usr/sbin/zic -d %s %s", dir, src, dir, src);
	assert_int_equal(system(cmd), 0);
	setenv("TZDIR", dir, 1);
	assert_int_equal(zone_init("Africa/Casablanca", why, sizeof why), 0);
	assert_false(zone_data_current(why, sizeof why));
	assert_non_null(strstr(why, "UTC+1:00 on 2026-12-01"));
	assert_non_null(strstr(why, "allow_stale_tzdata"));
	assert_int_equal(zone_init("Africa/Nowhere", why, sizeof why), -1);
	assert_non_null(strstr(why, "not in the system's zone data"));
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
	unsetenv("TZDIR");
	assert_int_equal(zone_init("Africa/Casablanca", why, sizeof why), 0);
	assert_true(zone_data_current(why, sizeof why));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_zone_data_is_current),
		cmocka_unit_test(test_local_time_across_the_change),
		cmocka_unit_test(test_parse_offsets_and_refusals),
		cmocka_unit_test(test_quiet_hours_across_midnight),
		cmocka_unit_test(test_quiet_hours_across_the_change),
		cmocka_unit_test(test_quiet_hours_forms),
		cmocka_unit_test(test_days),
		cmocka_unit_test(test_next_open),
		cmocka_unit_test(test_stale_zone_data_refused),
	};

	return cmocka_run_group_tests_name("zone", tests, setup_casablanca, NULL);
}
