/*
 * Unit tests for gateway/metrics.c: the Prometheus text exposition as a
 * scraper reads it — HELP and TYPE once per family, one sample per label
 * set, histogram buckets cumulative and ending in +Inf equal to _count.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/metrics.h"

static void render(struct metrics *mt, struct buf *out);
static long long sample(const char *text, const char *series);
static void test_messages_by_labels(void **state);
static void test_latency_histogram(void **state);
static void test_families_and_gauges(void **state);

static void
render(struct metrics *mt, struct buf *out)
{
	struct metrics_gauges g = { .inflight = 3,
		.waiting = 7,
		.held = 10,
		.redis_up = 1,
		.redis_reconnects = 2,
		.claimed = 100,
		.reclaimed = 1,
		.malformed = 4,
		.deadletters = 5,
		.not_sent = 6 };

	buf_init(out);
	metrics_render(mt, &g, out);
}

/* The value of the sample whose name and labels are exactly series, or -1. */
static long long
sample(const char *text, const char *series)
{
	size_t n = strlen(series);

	for (const char *p = text; (p = strstr(p, series)) != NULL; p += n)
		if ((p == text || p[-1] == '\n') && p[n] == ' ')
			return strtoll(p + n + 1, NULL, 10);
	return -1;
}

static void
test_messages_by_labels(void **state)
{
	struct metrics *mt = metrics_new();
	struct buf b;
	size_t tw, wa;

	(void)state;
	tw = metrics_add_provider(mt, "twilio", CHANNEL_SMS);
	wa = metrics_add_provider(mt, "whatsapp", CHANNEL_WHATSAPP);
	for (int i = 0; i < 41; i++)
		metrics_count_message(mt, LANE_BULK, tw, OUTCOME_SENT);
	metrics_count_message(mt, LANE_REPLY, wa, OUTCOME_FALLBACK);
	metrics_count_message(mt, LANE_REPLY, wa, OUTCOME_FALLBACK);
	for (int i = 0; i < 9; i++)
		metrics_count_webhook(mt, wa, METRICS_WEBHOOK_UNSIGNED);
	metrics_count_webhook(mt, METRICS_NO_PROVIDER, METRICS_WEBHOOK_NOT_FOUND);
	/* What the HTTP server drops before the webhook code runs, by the provider its path names. */
	assert_int_equal(metrics_provider_find(mt, "whatsapp"), wa);
	assert_int_equal(metrics_provider_find(mt, "whatsap"), METRICS_NO_PROVIDER);
	metrics_count_webhook(mt, metrics_provider_find(mt, "whatsapp"), METRICS_WEBHOOK_TOO_LARGE);
	metrics_count_webhook(mt, metrics_provider_find(mt, "nobody"), METRICS_WEBHOOK_EVICTED);
	metrics_count_webhook(mt, tw, METRICS_WEBHOOK_TIMEOUT);
	metrics_count_webhook(mt, METRICS_NO_PROVIDER, METRICS_WEBHOOK_BAD_REQUEST);
	metrics_count_receipts(mt, tw, METRICS_STATUS_EARLY, 3);
	/* Out of range is ignored, not a crash. */
	metrics_count_message(mt, LANE_BULK, 7, OUTCOME_SENT);
	metrics_count_receipts(mt, 7, METRICS_STATUS_EARLY, 1);
	render(mt, &b);
	assert_int_equal(
	    sample(b.data, "amuddu_messages_total{lane=\"bulk\",channel=\"sms\",provider=\"twilio\",outcome=\"sent\"}"),
	    41);
	assert_int_equal(sample(b.data,
			     "amuddu_messages_total{lane=\"reply\",channel=\"whatsapp\",provider=\"whatsapp\","
			     "outcome=\"fallback\"}"),
	    2);
	assert_int_equal(
	    sample(
		b.data, "amuddu_messages_total{lane=\"notify\",channel=\"sms\",provider=\"twilio\",outcome=\"retry\"}"),
	    0);
	assert_int_equal(sample(b.data, "amuddu_webhook_requests_total{provider=\"whatsapp\",result=\"unsigned\"}"), 9);
	assert_int_equal(sample(b.data, "amuddu_webhook_requests_total{provider=\"none\",result=\"not_found\"}"), 1);
	assert_int_equal(
	    sample(b.data, "amuddu_webhook_requests_total{provider=\"whatsapp\",result=\"too_large\"}"), 1);
	assert_int_equal(sample(b.data, "amuddu_webhook_requests_total{provider=\"none\",result=\"evicted\"}"), 1);
	assert_int_equal(sample(b.data, "amuddu_webhook_requests_total{provider=\"twilio\",result=\"timeout\"}"), 1);
	assert_int_equal(sample(b.data, "amuddu_webhook_requests_total{provider=\"none\",result=\"bad_request\"}"), 1);
	assert_int_equal(sample(b.data, "amuddu_webhook_requests_total{provider=\"twilio\",result=\"evicted\"}"), 0);
	assert_int_equal(sample(b.data, "amuddu_receipts_total{provider=\"twilio\",result=\"early\"}"), 3);
	buf_free(&b);
	metrics_free(mt);
}

static void
test_latency_histogram(void **state)
{
	struct metrics *mt = metrics_new();
	struct buf b;
	size_t p;

	(void)state;
	p = metrics_add_provider(mt, "twilio", CHANNEL_SMS);
	metrics_count_latency(mt, p, 3000);     /* 3 ms: le 0.005 */
	metrics_count_latency(mt, p, 5000);     /* exactly on a bound: counted in it */
	metrics_count_latency(mt, p, 120000);   /* 120 ms: le 0.25 */
	metrics_count_latency(mt, p, 60000000); /* a minute: only +Inf */
	render(mt, &b);
	assert_int_equal(sample(b.data, "amuddu_provider_request_seconds_bucket{provider=\"twilio\",le=\"0.005\"}"), 2);
	assert_int_equal(sample(b.data, "amuddu_provider_request_seconds_bucket{provider=\"twilio\",le=\"0.1\"}"), 2);
	assert_int_equal(sample(b.data, "amuddu_provider_request_seconds_bucket{provider=\"twilio\",le=\"0.25\"}"), 3);
	assert_int_equal(sample(b.data, "amuddu_provider_request_seconds_bucket{provider=\"twilio\",le=\"10\"}"), 3);
	assert_int_equal(sample(b.data, "amuddu_provider_request_seconds_bucket{provider=\"twilio\",le=\"+Inf\"}"), 4);
	assert_int_equal(sample(b.data, "amuddu_provider_request_seconds_count{provider=\"twilio\"}"), 4);
	assert_non_null(strstr(b.data, "amuddu_provider_request_seconds_sum{provider=\"twilio\"} 60.128000\n"));
	buf_free(&b);
	metrics_free(mt);
}

static void
test_families_and_gauges(void **state)
{
	static const char *const families[] = { "amuddu_messages_total", "amuddu_provider_request_seconds",
		"amuddu_webhook_requests_total", "amuddu_receipts_total", "amuddu_inflight_messages", "amuddu_redis_up",
		"amuddu_redis_reconnects_total", "amuddu_deadletters_total" };
	struct metrics *mt = metrics_new();
	struct buf b;
	char want[128];

	(void)state;
	metrics_add_provider(mt, "twilio", CHANNEL_SMS);
	render(mt, &b);
	for (size_t i = 0; i < sizeof families / sizeof families[0]; i++) {
		const char *first;

		snprintf(want, sizeof want, "# TYPE %s ", families[i]);
		assert_non_null(first = strstr(b.data, want));
		assert_null(strstr(first + 1, want)); /* once */
		snprintf(want, sizeof want, "# HELP %s ", families[i]);
		assert_non_null(strstr(b.data, want));
	}
	assert_non_null(strstr(b.data, "# TYPE amuddu_provider_request_seconds histogram\n"));
	assert_int_equal(sample(b.data, "amuddu_inflight_messages"), 10);
	assert_int_equal(sample(b.data, "amuddu_inflight_requests"), 3);
	assert_int_equal(sample(b.data, "amuddu_waiting_messages"), 7);
	assert_int_equal(sample(b.data, "amuddu_deadletters_total"), 5);
	assert_int_equal(sample(b.data, "amuddu_redis_reconnects_total"), 2);
	assert_int_equal(b.data[b.len - 1], '\n');
	buf_free(&b);
	metrics_free(mt);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_messages_by_labels),
		cmocka_unit_test(test_latency_histogram),
		cmocka_unit_test(test_families_and_gauges),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
