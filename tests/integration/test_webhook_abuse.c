/*
 * Webhook abuse while a campaign goes out: 10,000 unsigned requests,
 * oversized bodies, truncated JSON, invalid UTF-8, wrong content types and
 * methods. Every one gets the right answer, none changes anything, they are
 * counted, and the gateway sends the whole campaign meanwhile.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/integration/harness.h"

#define APP_SECRET "abuse-app-secret"
#define BURST 3000
#define UNSIGNED 10000

static int setup(void **state);
static int teardown(void **state);
static long post(struct harness *h, struct harness_http *hc, const char *path, const char *type, const char *sighdr,
    const char *body, size_t len);

static int
setup(void **state)
{
	struct harness *h = calloc(1, sizeof *h);
	char extra[512];

	harness_init(h, "abuse");
	harness_redis_start(h, false);
	harness_sandbox_start(h, NULL);
	snprintf(extra, sizeof extra,
	    "[whatsapp]\nbase_url = http://127.0.0.1:%d\nphone_number_id = 1\ntoken = t\napp_secret = " APP_SECRET "\n"
	    "verify_token = v\n[http]\nmax_body_bytes = 65536\n[gateway]\nmax_inflight = 256\n",
	    h->sandbox_port);
	harness_gateway_config(h, 0, extra);
	harness_gateway_start(h);
	harness_gateway_wait_http(h);
	*state = h;
	return 0;
}

static int
teardown(void **state)
{
	assert_int_equal(harness_finish(*state, 20000), 0);
	return 0;
}

static long
post(struct harness *h, struct harness_http *hc, const char *path, const char *type, const char *sighdr,
    const char *body, size_t len)
{
	const char *hdr[3] = { type, sighdr, NULL };

	return harness_request(hc, h->gateway_port, "POST", path, hdr, body, len, NULL);
}

static void
test_abuse_during_campaign(void **state)
{
	struct harness *h = *state;
	struct harness_http hc = { 0 };
	const char *ftype = "Content-Type: application/x-www-form-urlencoded";
	const char *jtype = "Content-Type: application/json";
	const char *status = "MessageSid=SM0123&MessageStatus=delivered";
	long wrong = 0, code;
	long long sent;
	char sig[80], sighdr[120], url[200];
	char *big;

	/* 10 rounds: 300 new messages, then 1,000 unsigned callbacks (alternating providers). */
	for (int round = 0; round < 10; round++) {
		char tag[16];

		snprintf(tag, sizeof tag, "abuse%d", round);
		harness_xadd_burst(h, "bulk", tag, BURST / 10, NULL);
		for (int i = 0; i < UNSIGNED / 10; i++) {
			if (i % 2 == 0)
				code = post(h, &hc, "/webhooks/twilio/status", ftype, NULL, status, strlen(status));
			else
				code = post(h, &hc, "/webhooks/whatsapp", jtype, "X-Hub-Signature-256: sha256=00",
				    "{\"object\":\"whatsapp_business_account\",\"entry\":[]}", 48);
			if (code != 401)
				wrong++;
		}
		/* Sending went on meanwhile: something of this round is already out. */
		sent = harness_log_count(h, "sent");
		assert_true(sent > (long long)round * (BURST / 10));
	}
	assert_int_equal(wrong, 0);
	/* A body over max_body_bytes. */
	big = malloc(200000);
	memset(big, 'a', 200000);
	assert_int_equal(post(h, &hc, "/webhooks/whatsapp", jtype, NULL, big, 200000), 413);
	harness_http_close(&hc);
	free(big);
	/* Signed, but truncated JSON. */
	{
		const char *trunc = "{\"object\":\"whatsapp_business_account\",\"entry\":[{\"id\":\"1\",\"changes\":[";

		harness_sign_meta(APP_SECRET, trunc, strlen(trunc), sig);
		snprintf(sighdr, sizeof sighdr, "X-Hub-Signature-256: %s", sig);
		assert_int_equal(post(h, &hc, "/webhooks/whatsapp", jtype, sighdr, trunc, strlen(trunc)), 400);
	}
	/* Signed, but not UTF-8. */
	{
		const char *bad = "{\"object\":\"whatsapp_business_account\",\"entry\":[],\"x\":\"\xc3\x28\"}";

		harness_sign_meta(APP_SECRET, bad, strlen(bad), sig);
		snprintf(sighdr, sizeof sighdr, "X-Hub-Signature-256: %s", sig);
		assert_int_equal(post(h, &hc, "/webhooks/whatsapp", jtype, sighdr, bad, strlen(bad)), 400);
	}
	{
		const char *bad = "MessageSid=SM1&From=%2B212612345678&To=%2B1555&Body=%C3%28";

		snprintf(url, sizeof url, "http://127.0.0.1:%d/webhooks/twilio/inbound", h->gateway_port);
		harness_sign_twilio(HARNESS_TOKEN, url, bad, sig);
		snprintf(sighdr, sizeof sighdr, "X-Twilio-Signature: %s", sig);
		assert_int_equal(post(h, &hc, "/webhooks/twilio/inbound", ftype, sighdr, bad, strlen(bad)), 400);
	}
	/* Wrong content types and methods, unknown providers and routes. */
	assert_int_equal(post(h, &hc, "/webhooks/twilio/status", jtype, NULL, "{}", 2), 415);
	assert_int_equal(post(h, &hc, "/webhooks/whatsapp", "Content-Type: text/plain", NULL, "x", 1), 415);
	assert_int_equal(
	    harness_request(&hc, h->gateway_port, "PUT", "/webhooks/twilio/status", NULL, NULL, 0, NULL), 405);
	/* Twilio may call by GET, but an unsigned GET is refused like an unsigned POST. */
	assert_int_equal(harness_request(&hc, h->gateway_port, "GET",
			     "/webhooks/twilio/status?MessageSid=SM1&MessageStatus=delivered", NULL, NULL, 0, NULL),
	    401);
	assert_int_equal(harness_request(&hc, h->gateway_port, "PUT", "/webhooks/whatsapp", NULL, "x", 1, NULL), 405);
	assert_int_equal(post(h, &hc, "/webhooks/nobody", jtype, NULL, "{}", 2), 404);
	assert_int_equal(post(h, &hc, "/webhooks/twilio/other", ftype, NULL, "a=b", 3), 404);
	assert_int_equal(post(h, &hc, "/webhooks/", ftype, NULL, "a=b", 3), 404);
	harness_http_close(&hc);
	/* The campaign went out whole, and nothing else changed. */
	assert_int_equal(harness_wait_log(h, "sent", BURST, 60000), BURST);
	for (int round = 0; round < 10; round++) {
		char tag[16];

		snprintf(tag, sizeof tag, "abuse%d", round);
		assert_int_equal(harness_accepted_unrecorded(h, tag), 0);
	}
	assert_int_equal(harness_log_count(h, "delivered"), 0);
	assert_int_equal(harness_stream_len(h, HARNESS_PREFIX "inbox"), 0);
	assert_int_equal(harness_metric(h, "amuddu_webhook_requests_total{provider=\"twilio\",result=\"unsigned\"} "),
	    UNSIGNED / 2 + 1);
	assert_int_equal(harness_metric(h, "amuddu_webhook_requests_total{provider=\"whatsapp\",result=\"unsigned\"} "),
	    UNSIGNED / 2);
	assert_int_equal(
	    harness_metric(h, "amuddu_webhook_requests_total{provider=\"whatsapp\",result=\"malformed\"} "), 2);
	assert_int_equal(
	    harness_metric(h, "amuddu_webhook_requests_total{provider=\"twilio\",result=\"malformed\"} "), 1);
	assert_int_equal(
	    harness_metric(h, "amuddu_webhook_requests_total{provider=\"none\",result=\"not_found\"} "), 2);
	/* evhttp refused the oversized body before the gateway saw it; the path still names the provider. */
	assert_int_equal(
	    harness_metric(h, "amuddu_webhook_requests_total{provider=\"whatsapp\",result=\"too_large\"} "), 1);
	assert_int_equal(
	    harness_metric(h, "amuddu_webhook_requests_total{provider=\"none\",result=\"too_large\"} "), 0);
	assert_int_equal(harness_request(&hc, h->gateway_port, "GET", "/readyz", NULL, NULL, 0, NULL), 200);
	harness_http_close(&hc);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_abuse_during_campaign, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
