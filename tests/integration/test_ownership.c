/*
 * One sender per message among live processes. Three gateways share one
 * consumer group; the provider takes half a second per request and each
 * gateway has four connections, so messages wait inside a process several
 * times longer than claim_idle_ms, after which another process would take
 * them over if the claim were not kept fresh. Every message must reach the
 * provider exactly once; and with one of the three killed (SIGKILL) in the
 * middle, none may be lost.
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

/* One public_url for all three, so the provider sees the same request from whichever process sends it. */
#define OWN_CONFIG                                                                                                     \
	"[gateway]\nmax_connections = 4\nmax_inflight = 64\nrequest_timeout_ms = 1500\nconnect_timeout_ms = 500\n"     \
	"claim_idle_ms = 2100\n[http]\npublic_url = http://127.0.0.1:9\n"

static int
setup(void **state)
{
	struct harness *h = calloc(1, sizeof *h);
	const char *slow[] = { "--delay", "1", "--delay-ms", "500", NULL };

	harness_init(h, "ownership");
	harness_redis_start(h, false);
	harness_sandbox_start(h, slow);
	*state = h;
	return 0;
}

static int
teardown(void **state)
{
	struct harness *h = *state;

	harness_cleanup(h);
	free(h);
	return 0;
}

/* Waits until the provider has had no request for 1.5 s: nothing a process still holds is on its way. */
static void
wait_quiet(struct harness *h)
{
	long long last = -1, since = harness_now_ms(), end = harness_now_ms() + 60000;

	while (harness_now_ms() < end) {
		long long n = harness_sandbox_stat(h, "received");

		if (n != last) {
			last = n;
			since = harness_now_ms();
		} else if (harness_now_ms() - since >= 1500)
			return;
		harness_sleep_ms(100);
	}
	fail_msg("the provider kept receiving requests");
}

static long long
pending(struct harness *h)
{
	redisReply *r = harness_cmd(h, "XPENDING " HARNESS_PREFIX "outbox:bulk amuddu-gateway");
	long long n = r->type == REDIS_REPLY_ARRAY && r->elements > 0 ? r->element[0]->integer : -1;

	freeReplyObject(r);
	return n;
}

/* The measurement: 240 messages, three live processes, nobody dies. */
static void
test_three_live_processes_send_once(void **state)
{
	struct harness *h = *state;
	pid_t gw[3];
	long long unique, dups;

	gw[0] = harness_gateway_spawn(h, "gw-a", OWN_CONFIG);
	gw[1] = harness_gateway_spawn(h, "gw-b", OWN_CONFIG);
	gw[2] = harness_gateway_spawn(h, "gw-c", OWN_CONFIG);
	harness_xadd_burst(h, "bulk", "own", 240, NULL);
	assert_int_equal(harness_wait_log(h, "sent", 240, 90000), 240);
	wait_quiet(h);
	unique = harness_sandbox_stat(h, "unique");
	dups = harness_sandbox_stat(h, "duplicates");
	print_message("3 live gateways, 240 messages: provider got %lld unique, %lld twice; %lld resent\n", unique,
	    dups, harness_hget_ll(h, HARNESS_PREFIX "stats", "resent"));
	assert_int_equal(unique, 240);
	assert_int_equal(dups, 0);
	assert_int_equal(harness_hget_ll(h, HARNESS_PREFIX "stats", "resent"), 0);
	assert_int_equal(harness_hget_ll(h, HARNESS_PREFIX "stats", "sent"), 240);
	assert_int_equal(harness_log_count(h, "sent"), 240);
	assert_int_equal(pending(h), 0);
	for (int i = 0; i < 3; i++) {
		harness_pid_signal(gw[i], SIGTERM);
		assert_int_equal(harness_pid_wait(h, gw[i], 15000), 0);
	}
}

/* One of three killed mid-burst: its messages are taken over, none lost, every resend counted. */
static void
test_kill9_one_of_three_loses_nothing(void **state)
{
	struct harness *h = *state;
	pid_t gw[3];
	long long unique, dups, resent;

	gw[0] = harness_gateway_spawn(h, "gw-a", OWN_CONFIG);
	gw[1] = harness_gateway_spawn(h, "gw-b", OWN_CONFIG);
	gw[2] = harness_gateway_spawn(h, "gw-c", OWN_CONFIG);
	harness_xadd_burst(h, "bulk", "kill", 240, NULL);
	assert_true(harness_wait_log(h, "sent", 60, 60000) >= 60);
	harness_pid_signal(gw[1], SIGKILL);
	assert_int_equal(harness_pid_wait(h, gw[1], 5000), 128 + SIGKILL);
	assert_int_equal(harness_wait_log(h, "sent", 240, 120000), 240);
	wait_quiet(h);
	unique = harness_sandbox_stat(h, "unique");
	dups = harness_sandbox_stat(h, "duplicates");
	resent = harness_hget_ll(h, HARNESS_PREFIX "stats", "resent");
	print_message("kill -9 of one of three: provider got %lld unique of 240, %lld twice; gateway counted %lld "
		      "resent\n",
	    unique, dups, resent);
	assert_int_equal(unique, 240);
	/* Only what the dead process may have sent is sent again, and each such resend is counted. */
	assert_true(dups <= resent);
	assert_int_equal(harness_log_count(h, "sent"), 240);
	assert_int_equal(harness_hget_ll(h, HARNESS_PREFIX "campaign:kill", "sent"), 240);
	assert_int_equal(pending(h), 0);
	harness_pid_signal(gw[0], SIGTERM);
	harness_pid_signal(gw[2], SIGTERM);
	assert_int_equal(harness_pid_wait(h, gw[0], 15000), 0);
	assert_int_equal(harness_pid_wait(h, gw[2], 15000), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_three_live_processes_send_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kill9_one_of_three_loses_nothing, setup, teardown),
	};

	if (getenv("AMUDDU_TEST_FILTER") != NULL)
		cmocka_set_test_filter(getenv("AMUDDU_TEST_FILTER"));
	return cmocka_run_group_tests_name("ownership", tests, NULL, NULL);
}
