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

/* Receipt times (µs) of what the sandbox accepted, sorted; returns how many (at most max). */
static size_t
receipts(struct harness *h, long long *us, size_t max)
{
	char path[400], line[4096];
	size_t n = 0;
	FILE *f;

	json_decref(harness_sandbox_get(h, "/sandbox/stats"));
	snprintf(path, sizeof path, "%s/sandbox.record", h->dir);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	while (n < max && fgets(line, sizeof line, f) != NULL)
		us[n++] = atoll(line);
	fclose(f);
	for (size_t i = 1; i < n; i++)
		for (size_t k = i; k > 0 && us[k - 1] > us[k]; k--) {
			long long t = us[k];

			us[k] = us[k - 1];
			us[k - 1] = t;
		}
	return n;
}

/* [twilio] rate holds for two gateway processes together: 60 messages at 20 a second take about 3 s. */
static void
test_rate_across_processes(void **state)
{
	struct harness *h = calloc(1, sizeof *h);
	long long us[128], span;
	size_t n;

	(void)state;
	assert_non_null(h);
	harness_init(h, "policy-rate");
	harness_redis_start(h, false);
	harness_sandbox_start(h, NULL);
	harness_gateway_config(h, 0, "[twilio]\nrate = 20\n");
	harness_gateway_start(h);
	harness_gateway_spawn(h, "gw-second", "[twilio]\nrate = 20\n");
	harness_sleep_ms(500);
	harness_xadd_burst(h, "bulk", "rated", 60, NULL);
	assert_int_equal(harness_wait_log(h, "sent", 60, 20000), 60);
	n = receipts(h, us, sizeof us / sizeof us[0]);
	assert_int_equal(n, 60);
	span = us[59] - us[0];
	/* A bucket of a fifth of a second (4 tokens) may go at once; the other 56 take 2.8 s at 20 a second. */
	if (span < 2500000 || span > 8000000)
		fail_msg("60 messages at rate 20 took %lld ms", span / 1000);
	/* No second holds more than 20 and the burst. */
	for (size_t i = 0, k = 0; i < n; i++) {
		while (us[i] - us[k] >= 1000000)
			k++;
		if (i - k + 1 > 25)
			fail_msg("%zu messages within one second", i - k + 1);
	}
	assert_int_equal(harness_finish(h, 10000), 0);
}

/*
 * WhatsApp's tier: with 250, business-initiated messages (templates) reach
 * 250 people in 24 hours; the 251st person waits for room, parked, not
 * refused; a second message to someone already reached goes.
 */
static void
test_whatsapp_tier(void **state)
{
	struct harness *h = calloc(1, sizeof *h);
	const char *args[] = { "--wa-token", "tier-token", "--wa-phone-number-id", "1234567890", NULL };
	char extra[512], to[32], id[32], *s;

	(void)state;
	assert_non_null(h);
	harness_init(h, "policy-tier");
	harness_redis_start(h, false);
	harness_sandbox_start(h, args);
	snprintf(extra, sizeof extra,
	    "[whatsapp]\nbase_url = http://127.0.0.1:%d\nphone_number_id = 1234567890\ntoken = tier-token\n"
	    "app_secret = s\nverify_token = v\ntier = 250\ntemplate.event.fr = amuddu_event fr text\n",
	    h->sandbox_port);
	harness_gateway_config(h, 0, extra);
	harness_gateway_start(h);
	for (int i = 0; i < 255; i++) {
		snprintf(to, sizeof to, "+2126123%05d", i);
		snprintf(id, sizeof id, "tier-%d", i);
		harness_xadd(h, "bulk", "id", id, "to", to, "channel", "whatsapp", "kind", "event", "locale", "fr",
		    "text", "Semaine des migrants", NULL);
	}
	assert_int_equal(harness_wait_log(h, "sent", 250, 30000), 250);
	assert_int_equal(harness_wait_log(h, "scheduled", 5, 10000), 5);
	harness_sleep_ms(500);
	assert_int_equal(harness_log_count(h, "sent"), 250);
	s = harness_msg_field(h, "tier-254", "error");
	assert_non_null(s);
	assert_string_equal(s, "whatsapp_tier");
	free(s);
	/* Someone already reached today may get another. */
	harness_xadd(h, "bulk", "id", "tier-again", "to", "+212612300007", "channel", "whatsapp", "kind", "event",
	    "locale", "fr", "text", "Rappel", NULL);
	assert_int_equal(harness_wait_log(h, "sent", 251, 10000), 251);
	assert_int_equal(harness_finish(h, 10000), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rate_across_processes),
		cmocka_unit_test(test_whatsapp_tier),
		cmocka_unit_test(test_quiet_hours_hold_campaigns_not_replies),
	};

	return cmocka_run_group_tests_name("policy", tests, NULL, NULL);
}
