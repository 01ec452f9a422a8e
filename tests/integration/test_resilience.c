/*
 * Nothing is lost: the gateway killed with SIGKILL in the middle of a
 * burst, Redis restarted under it, and a SIGTERM drain. Each test counts
 * what the provider received against what the delivery log says.
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

static int setup(void **state);
static int teardown(void **state);
static long long pending_count(struct harness *h);

static int
setup(void **state)
{
	struct harness *h = calloc(1, sizeof *h);

	harness_init(h, "resilience");
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

static long long
pending_count(struct harness *h)
{
	static const char *lanes[] = { "reply", "notify", "bulk" };
	long long n = 0;

	for (int i = 0; i < 3; i++) {
		redisReply *r = harness_cmd(h, "XPENDING " HARNESS_PREFIX "outbox:%s amuddu-gateway", lanes[i]);

		if (r->type == REDIS_REPLY_ARRAY && r->elements > 0 && r->element[0]->type == REDIS_REPLY_INTEGER)
			n += r->element[0]->integer;
		freeReplyObject(r);
	}
	return n;
}

static void
test_kill9_mid_burst(void **state)
{
	struct harness *h = *state;
	const char *slow[] = { "--delay", "0.05", "--delay-ms", "20", NULL };
	long long sent_before, unique, accepted, dups, resent;

	harness_redis_start(h, false);
	harness_sandbox_start(h, slow);
	harness_gateway_config(h, 0, "[gateway]\nmax_inflight = 256\n");
	harness_gateway_start(h);
	harness_xadd_burst(h, "bulk", "crash", 10000, NULL);
	sent_before = harness_wait_log(h, "sent", 2500, 60000);
	assert_true(sent_before >= 2500);
	harness_gateway_signal(h, SIGKILL);
	harness_gateway_wait(h, 5000);
	sent_before = harness_log_count(h, "sent");
	assert_true(sent_before < 10000);

	/* A live process under another name reclaims what the dead one held (XAUTOCLAIM). */
	harness_gateway_config(h, 0, "[gateway]\nmax_inflight = 256\nconsumer = gw-test-2\n");
	harness_gateway_start(h);
	assert_int_equal(harness_wait_log(h, "sent", 10000, 120000), 10000);
	harness_sleep_ms(500);

	unique = harness_sandbox_stat(h, "unique");
	accepted = harness_sandbox_stat(h, "accepted");
	dups = harness_sandbox_stat(h, "duplicates");
	resent = harness_hget_ll(h, HARNESS_PREFIX "stats", "resent");
	print_message("kill -9 after %lld sent: provider got %lld unique of 10000, %lld resent to it; "
		      "gateway reported %lld resent\n",
	    sent_before, unique, dups, resent);
	assert_int_equal(unique, 10000);
	assert_int_equal(accepted, unique + dups);
	/* Every message the provider got twice is one the gateway counted as resent. */
	assert_true(dups <= resent);
	assert_int_equal(harness_log_count(h, "sent"), 10000);
	assert_int_equal(harness_hget_ll(h, HARNESS_PREFIX "campaign:crash", "sent"), 10000);
	assert_int_equal(pending_count(h), 0);
	harness_gateway_signal(h, SIGTERM);
	assert_int_equal(harness_gateway_wait(h, 10000), 0);
}

static void
test_redis_restart_mid_burst(void **state)
{
	struct harness *h = *state;
	const char *slow[] = { "--delay", "0.05", "--delay-ms", "20", NULL };
	long long unique;

	harness_redis_start(h, true);
	harness_sandbox_start(h, slow);
	harness_gateway_config(h, 0, "[gateway]\nmax_inflight = 128\n");
	harness_gateway_start(h);
	harness_xadd_burst(h, "bulk", "restart", 5000, NULL);
	assert_true(harness_wait_log(h, "sent", 1000, 60000) >= 1000);
	harness_redis_stop(h);
	harness_sleep_ms(1500); /* the gateway keeps running without Redis */
	harness_redis_start(h, true);
	assert_int_equal(harness_wait_log(h, "sent", 5000, 120000), 5000);
	harness_sleep_ms(500);
	unique = harness_sandbox_stat(h, "unique");
	print_message("redis restart: provider got %lld unique, %lld resent; gateway reported %lld resent\n", unique,
	    harness_sandbox_stat(h, "duplicates"), harness_hget_ll(h, HARNESS_PREFIX "stats", "resent"));
	assert_int_equal(unique, 5000);
	assert_int_equal(harness_log_count(h, "sent"), 5000);
	assert_int_equal(harness_hget_ll(h, HARNESS_PREFIX "campaign:restart", "sent"), 5000);
	assert_int_equal(pending_count(h), 0);
	harness_gateway_signal(h, SIGTERM);
	assert_int_equal(harness_gateway_wait(h, 10000), 0);
}

static void
test_sigterm_drains(void **state)
{
	struct harness *h = *state;
	const char *slow[] = { "--delay", "1", "--delay-ms", "200", NULL };
	long long accepted, sent, pending;
	int rc;

	harness_redis_start(h, false);
	harness_sandbox_start(h, slow);
	harness_gateway_config(
	    h, 0, "[gateway]\nmax_inflight = 200\nrequest_timeout_ms = 5000\nclaim_idle_ms = 8000\n");
	harness_gateway_start(h);
	harness_xadd_burst(h, "bulk", "drain", 3000, NULL);
	assert_true(harness_wait_log(h, "sent", 300, 30000) >= 300);
	harness_gateway_signal(h, SIGTERM);
	rc = harness_gateway_wait(h, 15000);
	assert_int_equal(rc, 0);
	accepted = harness_sandbox_stat(h, "accepted");
	sent = harness_log_count(h, "sent");
	pending = pending_count(h);
	print_message(
	    "SIGTERM: provider accepted %lld, log has %lld sent, %lld left pending\n", accepted, sent, pending);
	/* Everything the provider accepted is recorded; nothing else was claimed and left. */
	assert_int_equal(harness_accepted_unrecorded(h, "drain"), 0);
	assert_int_equal(accepted, sent);
	assert_true(sent < 3000);
	assert_int_equal(pending, 0);
	/* The rest goes out on the next start, none twice. */
	harness_gateway_start(h);
	assert_int_equal(harness_wait_log(h, "sent", 3000, 60000), 3000);
	assert_int_equal(harness_sandbox_stat(h, "duplicates"), 0);
	harness_gateway_signal(h, SIGTERM);
	assert_int_equal(harness_gateway_wait(h, 15000), 0);
}

/* A second signal does not wait for slow requests; what it abandons is sent on the next start. */
static void
test_second_signal_exits_at_once(void **state)
{
	struct harness *h = *state;
	const char *slow[] = { "--delay", "1", "--delay-ms", "3000", NULL };
	long long t0;
	int rc;

	harness_redis_start(h, false);
	harness_sandbox_start(h, slow);
	harness_gateway_config(h, 0, "[gateway]\nrequest_timeout_ms = 10000\nclaim_idle_ms = 12000\n");
	harness_gateway_start(h);
	harness_xadd_burst(h, "bulk", "twice", 50, NULL);
	for (t0 = harness_now_ms(); harness_sandbox_stat(h, "received") < 50 && harness_now_ms() - t0 < 10000;)
		harness_sleep_ms(20);
	assert_int_equal(harness_sandbox_stat(h, "received"), 50);
	harness_gateway_signal(h, SIGTERM);
	harness_sleep_ms(100);
	t0 = harness_now_ms();
	harness_gateway_signal(h, SIGINT);
	rc = harness_gateway_wait(h, 5000);
	assert_int_equal(rc, 1);
	assert_true(harness_now_ms() - t0 < 2000);
	assert_int_equal(harness_log_count(h, "sent"), 0);
	/* The same consumer name reads its own pending entries at once on the next start. */
	harness_sandbox_stop(h);
	harness_sandbox_start(h, NULL);
	harness_gateway_config(h, 0, NULL);
	harness_gateway_start(h);
	assert_int_equal(harness_wait_log(h, "sent", 50, 20000), 50);
	assert_int_equal(harness_hget_ll(h, HARNESS_PREFIX "campaign:twice", "sent"), 50);
	harness_gateway_signal(h, SIGTERM);
	assert_int_equal(harness_gateway_wait(h, 10000), 0);
}

/*
 * A stop asked for while the gateway is still starting is a clean drain.
 * The gateway is spawned with SIGTERM blocked, so the signal is certainly
 * pending before its signal events exist: it must be held, not lost and
 * not fatal.
 */
static void
test_sigterm_during_start(void **state)
{
	struct harness *h = *state;

	harness_redis_start(h, false);
	harness_sandbox_start(h, NULL);
	harness_xadd_burst(h, "bulk", "early", 20, NULL);
	harness_gateway_config(h, 0, NULL);
	h->start_signals_blocked = true;
	harness_gateway_start(h);
	harness_gateway_signal(h, SIGTERM);
	assert_int_equal(harness_gateway_wait(h, 15000), 0);
	h->start_signals_blocked = false;
	/* Whatever it claimed was recorded; the rest is read by the next start. */
	assert_int_equal(harness_accepted_unrecorded(h, "early"), 0);
	harness_gateway_start(h);
	assert_int_equal(harness_wait_log(h, "sent", 20, 20000), 20);
	assert_int_equal(harness_sandbox_stat(h, "duplicates"), 0);
	harness_gateway_signal(h, SIGTERM);
	assert_int_equal(harness_gateway_wait(h, 10000), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_kill9_mid_burst, setup, teardown),
		cmocka_unit_test_setup_teardown(test_redis_restart_mid_burst, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sigterm_drains, setup, teardown),
		cmocka_unit_test_setup_teardown(test_second_signal_exits_at_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sigterm_during_start, setup, teardown),
	};

	if (getenv("AMUDDU_TEST_FILTER") != NULL)
		cmocka_set_test_filter(getenv("AMUDDU_TEST_FILTER"));
	return cmocka_run_group_tests_name("resilience", tests, NULL, NULL);
}
