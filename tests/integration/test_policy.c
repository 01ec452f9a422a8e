/*
 * Sending rules applied at send time, end to end: quiet hours hold bulk
 * and notify back until they end (in Casablanca's local time, from the
 * system's zone data) and never hold reply; a held message is parked, not
 * attempted, and goes once when they end.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tests/integration/harness.h"

static long long quiet_now(char *window, size_t len);

/*
 * Quiet hours from this local minute to the next, at a moment with at
 * least 10 seconds of the minute left: returns when they end (epoch s).
 */
static long long
quiet_now(char *window, size_t len)
{
	struct tm tm;
	time_t now;

	setenv("TZ", "Africa/Casablanca", 1);
	tzset();
	while ((now = time(NULL)) % 60 >= 50)
		harness_sleep_ms(500);
	localtime_r(&now, &tm);
	snprintf(window, len, "%02d:%02d-%02d:%02d", tm.tm_hour, tm.tm_min, (tm.tm_hour + (tm.tm_min + 1) / 60) % 24,
	    (tm.tm_min + 1) % 60);
	return (long long)now - now % 60 + 60;
}

static void
test_quiet_hours_hold_campaigns_not_replies(void **state)
{
	struct harness *h = calloc(1, sizeof *h);
	char window[16], extra[96], *s;
	long long end;

	(void)state;
	assert_non_null(h);
	harness_init(h, "policy");
	harness_redis_start(h, false);
	harness_sandbox_start(h, NULL);
	end = quiet_now(window, sizeof window);
	snprintf(extra, sizeof extra, "[gateway]\nquiet_hours = %s\n", window);
	harness_gateway_config(h, 0, extra);
	harness_gateway_start(h);
	harness_xadd(h, "bulk", "id", "night-bulk", "to", "0612345678", "text", "Formation gratuite", "campaign",
	    "formation", NULL);
	harness_xadd(h, "notify", "id", "night-notify", "to", "0612345679", "text", "Rendez-vous demain", NULL);
	harness_xadd(h, "reply", "id", "night-reply", "to", "0612345680", "text", "Merci, voici l'adresse", NULL);
	harness_xadd(h, "bulk", "id", "night-expiring", "to", "0612345681", "text", "Ce soir seulement", "expires",
	    "4102444800", NULL);
	snprintf(extra, sizeof extra, "%lld", end - 5);
	harness_xadd(h, "bulk", "id", "night-gone", "to", "0612345682", "text", "Trop tard", "expires", extra, NULL);
	/* The answer to a person who wrote goes at once. */
	assert_int_equal(harness_wait_log(h, "sent", 1, 10000), 1);
	s = harness_msg_field(h, "night-reply", "state");
	assert_string_equal(s, "sent");
	free(s);
	assert_int_equal(harness_wait_log(h, "scheduled", 3, 10000), 3);
	/* The others are parked until the quiet hours end, not attempted, and say why. */
	s = harness_msg_field(h, "night-bulk", "state");
	assert_string_equal(s, "scheduled");
	free(s);
	s = harness_msg_field(h, "night-notify", "error");
	assert_string_equal(s, "quiet_hours");
	free(s);
	s = harness_msg_field(h, "night-bulk", "due");
	assert_non_null(s);
	assert_int_equal(atoll(s), end * 1000);
	free(s);
	assert_int_equal(harness_sandbox_stat(h, "accepted"), 1);
	/* One that would expire before they end is not held: it ends now. */
	assert_int_equal(harness_wait_log(h, "expired", 1, 5000), 1);
	assert_int_equal(harness_hget_ll(h, HARNESS_PREFIX "stats", "deferred"), 3);
	assert_int_equal(harness_hget_ll(h, HARNESS_PREFIX "campaign:formation", "deferred"), 1);
	assert_int_equal(harness_hget_ll(h, HARNESS_PREFIX "campaign:formation", "queued"), 1);
	assert_true(harness_metric(h, "\namuddu_deferred_total ") == 3);
	/* When they end, each goes once, as a first attempt: nothing counts as resent or retried. */
	assert_int_equal(harness_wait_log(h, "sent", 4, 75000), 4);
	harness_sleep_ms(300);
	assert_int_equal(harness_sandbox_stat(h, "accepted"), 4);
	assert_true(harness_now_ms() >= end * 1000);
	s = harness_msg_field(h, "night-bulk", "attempts");
	assert_true(s == NULL || strcmp(s, "1") == 0);
	free(s);
	s = harness_msg_field(h, "night-notify", "error");
	assert_null(s);
	s = harness_msg_field(h, "night-notify", "due");
	assert_null(s);
	assert_int_equal(harness_hget_ll(h, HARNESS_PREFIX "stats", "resent"), 0);
	assert_int_equal(harness_hget_ll(h, HARNESS_PREFIX "stats", "retries"), 0);
	assert_int_equal(harness_hget_ll(h, HARNESS_PREFIX "stats", "queued"), 5);
	assert_int_equal(harness_hget_ll(h, HARNESS_PREFIX "campaign:formation", "sent"), 1);
	assert_int_equal(harness_finish(h, 10000), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quiet_hours_hold_campaigns_not_replies),
	};

	return cmocka_run_group_tests_name("policy", tests, NULL, NULL);
}
