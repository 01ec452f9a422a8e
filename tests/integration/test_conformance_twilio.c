/*
 * Conformance: every request the gateway sends to the SMS provider must
 * validate against Twilio's own OpenAPI description (shared/specs, or the
 * npm package in .deps/), served by Prism with --errors, which answers 422,
 * 401 or 415 to any request that breaks it. The sandbox is not the judge
 * here; the provider's description is.
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

#define MESSAGES "/2010-04-01/Accounts/" HARNESS_SID "/Messages.json"

static int group_setup(void **state);
static void need_spec(void);
static int group_teardown(void **state);
static void send_all_and_check(struct harness *h, const char *config, const char *tag);

/* Why the provider's description is missing, or "" when Prism serves it. */
static char spec_missing[1024];

static int
group_setup(void **state)
{
	struct harness *h = calloc(1, sizeof *h);
	const char *spec;

	harness_init(h, "conformance");
	*state = h;
	if ((spec = harness_spec_path("twilio_api_v2010.json", spec_missing, sizeof spec_missing)) == NULL) {
		/* Printed once here; each test then skips (or, when required, the group fails) naming it. */
		fprintf(stderr, "%s: %s\n", harness_specs_required() ? "error" : "skipping", spec_missing);
		return harness_specs_required() ? -1 : 0;
	}
	harness_redis_start(h, false);
	harness_prism_start(h, spec);
	return 0;
}

/* Without the provider's description there is nothing to judge by: the test is skipped, never passed. */
static void
need_spec(void)
{
	if (spec_missing[0] == '\0')
		return;
	print_message("skipped: %s\n", spec_missing);
	skip();
}

static int
group_teardown(void **state)
{
	struct harness *h = *state;

	harness_cleanup(h);
	free(h);
	return 0;
}

/* Prism really judges: a request that breaks the description is refused. */
static void
test_prism_refuses_bad_requests(void **state)
{
	struct harness *h = *state;

	need_spec();
	assert_int_equal(harness_http_post(h->prism_port, MESSAGES, "To=%2B212612345678&Body=hi", NULL), 401);
	assert_int_equal(harness_http_post(h->prism_port, MESSAGES, "Body=no+recipient&From=%2B15005550006",
			     HARNESS_SID ":" HARNESS_TOKEN),
	    422);
	assert_int_equal(
	    harness_http_post(h->prism_port, MESSAGES, "To=%2B212612345678&Body=x&MessagingServiceSid=MGnot-a-sid",
		HARNESS_SID ":" HARNESS_TOKEN),
	    422);
	assert_int_equal(harness_http_post(h->prism_port, MESSAGES, "To=%2B212612345678&From=%2B15005550006&Body=ok",
			     HARNESS_SID ":" HARNESS_TOKEN),
	    201);
}

static void
send_all_and_check(struct harness *h, const char *config, const char *tag)
{
	static char long_ar[1600 * 2 + 1];
	const char *bodies[] = {
		"Bonjour ! Une formation qualifiante en électricité commence à Salé. Répondez OUI.",
		"مرحبا، تكوين مهني مجاني في الرباط. أجب بنعم للتسجيل.",
		"السلام، كاين تكوين فالدار البيضاء، جاوب ب 1",
		"Salam, kayn formation f Casa, jawb b 1 wla STOP",
		long_ar,
		" ",
		"\xe2\x80\x8b", /* a zero-width space alone */
		"\n\n",
		"& = + % # ? / : ; 100% < > \" '",
		"\xf0\x9f\x93\x85 Semaine des migrants \xf0\x9f\x8e\x89",
	};
	size_t n = sizeof bodies / sizeof bodies[0];
	long long before_sent = harness_log_count(h, "sent"), got;

	for (size_t i = 0; i < 1600; i++)
		memcpy(long_ar + 2 * i, "\xd8\xa8", 2); /* ب, 1,600 characters */
	harness_gateway_config(h, h->prism_port, config);
	harness_gateway_start(h);
	for (size_t i = 0; i < n; i++) {
		char id[32];

		snprintf(id, sizeof id, "%s-%zu", tag, i);
		harness_xadd(h, "bulk", "id", id, "to", i % 2 ? "0612345678" : "+33612345678", "text", bodies[i],
		    "campaign", tag, NULL);
	}
	got = harness_wait_log(h, "sent", before_sent + (long long)n, 30000) - before_sent;
	if (got != (long long)n)
		fail_msg("%s: %lld of %zu requests accepted by Twilio's description; failed=%lld retries=%lld "
			 "(see prism.log)",
		    tag, got, n, harness_log_count(h, "failed"), harness_log_count(h, "retry_wait"));
	assert_int_equal(harness_log_count(h, "failed"), 0);
	assert_int_equal(harness_log_count(h, "retry_wait"), 0);
	harness_gateway_signal(h, SIGTERM);
	assert_int_equal(harness_gateway_wait(h, 10000), 0);
}

static void
test_requests_with_from(void **state)
{
	need_spec();
	send_all_and_check(
	    *state, "[twilio]\nstatus_callback = https://gateway.example.org/webhooks/twilio/status\n", "from");
}

static void
test_requests_with_messaging_service(void **state)
{
	need_spec();
	send_all_and_check(
	    *state, "[twilio]\nfrom =\nmessaging_service_sid = MG0123456789abcdef0123456789abcdef\n", "mgs");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prism_refuses_bad_requests),
		cmocka_unit_test(test_requests_with_from),
		cmocka_unit_test(test_requests_with_messaging_service),
	};

	return cmocka_run_group_tests_name("conformance_twilio", tests, group_setup, group_teardown);
}
