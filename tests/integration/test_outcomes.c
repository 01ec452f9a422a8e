/*
 * Every outcome of the dispatch pipeline, end to end: a real redis-server,
 * the sandbox provider over loopback HTTP and the gateway process. Each
 * test checks what a user of the gateway would look at: the delivery log,
 * the message record, the dead-letter stream, the counters, and what the
 * provider received.
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
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "tests/integration/harness.h"

static int setup_with(void **state, const char *extra);
static int setup(void **state);
static int setup_one_connection(void **state);
static int setup_acl_ipv6(void **state);
static int teardown_acl_ipv6(void **state);
static int ipv6_loopback_port(void);
static int teardown(void **state);
static char *msg_field(struct harness *h, const char *id, const char *field);
static long long event_time_ms(struct harness *h, const char *id, const char *state);

static int
setup_with(void **state, const char *extra)
{
	struct harness *h = calloc(1, sizeof *h);

	harness_init(h, "outcomes");
	harness_redis_start(h, false);
	harness_sandbox_start(h, NULL);
	harness_gateway_config(h, 0, extra);
	harness_gateway_start(h);
	*state = h;
	return 0;
}

static int
setup(void **state)
{
	return setup_with(state, NULL);
}

static int
setup_one_connection(void **state)
{
	return setup_with(state, "[gateway]\nmax_connections = 1\n");
}

/* A port free on [::1] a moment ago, or -1 when this machine has no IPv6 loopback. */
static int
ipv6_loopback_port(void)
{
	struct sockaddr_in6 sa;
	socklen_t len = sizeof sa;
	int fd = socket(AF_INET6, SOCK_STREAM, 0), port = -1;

	memset(&sa, 0, sizeof sa);
	sa.sin6_family = AF_INET6;
	sa.sin6_addr = in6addr_loopback;
	if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
		port = ntohs(sa.sin6_port);
	if (fd >= 0)
		close(fd);
	return port;
}

/*
 * Redis as a shared server is often set up: reached over IPv6, an ACL user
 * of its own whose password holds '@', ':' and '/', and a database above
 * 15. The gateway is given that as a URL (percent-encoded) and nothing else.
 */
static int
setup_acl_ipv6(void **state)
{
	static char port[16];
	static const char *const args[] = { "--bind", "::1", "--port", port, "--databases", "32", "--user", "amuddu-gw",
		"on", ">p@ss:w/rd", "~*", "&*", "+@all", NULL };
	struct harness *h = calloc(1, sizeof *h);
	char extra[256];
	int p;

	harness_init(h, "outcomes-acl");
	*state = h;
	if ((p = ipv6_loopback_port()) < 0)
		return 0; /* the test skips, saying why */
	snprintf(port, sizeof port, "%d", p);
	h->redis_args = args;
	harness_redis_start(h, false);
	/* The harness's own connection (unix socket, default user) looks at the same database. */
	freeReplyObject(harness_cmd(h, "SELECT 20"));
	harness_sandbox_start(h, NULL);
	snprintf(extra, sizeof extra, "[redis]\nurl = redis://amuddu-gw:p%%40ss%%3Aw%%2Frd@[::1]:%d/20\n", p);
	harness_gateway_config(h, 0, extra);
	harness_gateway_start(h);
	return 0;
}

/* As teardown(), and when the test was skipped (no gateway started), only the clean-up. */
static int
teardown_acl_ipv6(void **state)
{
	struct harness *h = *state;

	if (h->gateway_pid > 0)
		return teardown(state);
	harness_cleanup(h);
	free(h);
	return 0;
}

static int
teardown(void **state)
{
	assert_int_equal(harness_finish(*state, 10000), 0);
	return 0;
}

/* The message record's field, or NULL; caller frees. */
static char *
msg_field(struct harness *h, const char *id, const char *field)
{
	redisReply *r = harness_cmd(h, "HGET " HARNESS_PREFIX "msg:%s %s", id, field);
	char *v = r->type == REDIS_REPLY_STRING ? strdup(r->str) : NULL;

	freeReplyObject(r);
	return v;
}

/* The time (stream id ms) of the first log event for id with state, or -1. */
static long long
event_time_ms(struct harness *h, const char *id, const char *state)
{
	redisReply *r = harness_cmd(h, "XRANGE " HARNESS_PREFIX "log - +");
	long long t = -1;

	for (size_t i = 0; i < r->elements && t < 0; i++) {
		redisReply *f = r->element[i]->element[1];
		bool id_ok = false, st_ok = false;

		for (size_t j = 0; j + 1 < f->elements; j += 2) {
			if (strcmp(f->element[j]->str, "id") == 0 && strcmp(f->element[j + 1]->str, id) == 0)
				id_ok = true;
			if (strcmp(f->element[j]->str, "state") == 0 && strcmp(f->element[j + 1]->str, state) == 0)
				st_ok = true;
		}
		if (id_ok && st_ok)
			t = atoll(r->element[i]->element[0]->str);
	}
	freeReplyObject(r);
	return t;
}

static void
test_success(void **state)
{
	struct harness *h = *state;
	char *s;

	harness_xadd(h, "bulk", "id", "ok-fr", "to", "0612345678", "text",
	    "Formation en électricité à Salé, inscrivez-vous", "campaign", "train-2026", "kind", "training_offer",
	    NULL);
	harness_xadd(h, "bulk", "id", "ok-ar", "to", "+212612345679", "text", "تكوين مهني مجاني في الرباط", "campaign",
	    "train-2026", "kind", "training_offer", NULL);
	harness_xadd(h, "notify", "id", "ok-ary", "to", "00212612345680", "text",
	    "Salam, l'formation ghadi tbda nhar letnin", "campaign", "train-2026", "channel", "sms", "producer_note",
	    "unknown fields are kept", NULL);
	assert_int_equal(harness_wait_log(h, "sent", 3, 10000), 3);
	assert_int_equal(harness_sandbox_stat(h, "accepted"), 3);
	s = msg_field(h, "ok-fr", "state");
	assert_string_equal(s, "sent");
	free(s);
	s = msg_field(h, "ok-ar", "provider_id");
	assert_non_null(s);
	assert_true(strncmp(s, "SM", 2) == 0);
	free(s);
	assert_int_equal(harness_hget_ll(h, HARNESS_PREFIX "campaign:train-2026", "sent"), 3);
	assert_int_equal(harness_hget_ll(h, HARNESS_PREFIX "campaign:train-2026", "queued"), 3);
	/* One log event per outcome: a message sent at once has no separate "queued" event. */
	assert_int_equal(harness_log_count(h, NULL), 3);
	/* Pending list empty: every entry acknowledged. */
	{
		redisReply *r = harness_cmd(h, "XPENDING " HARNESS_PREFIX "outbox:bulk amuddu-gateway");

		assert_int_equal(r->element[0]->integer, 0);
		freeReplyObject(r);
	}
}

static void
test_retry_then_success(void **state)
{
	struct harness *h = *state;
	char *s;

	harness_xadd(h, "bulk", "id", "flaky", "to", "0612345678", "text", "retry me [[500x2]]", NULL);
	assert_int_equal(harness_wait_log(h, "sent", 1, 15000), 1);
	assert_int_equal(harness_log_count(h, "retry_wait"), 2);
	s = msg_field(h, "flaky", "attempts");
	assert_string_equal(s, "3");
	free(s);
	assert_int_equal(harness_sandbox_stat(h, "accepted"), 1);
	assert_int_equal(harness_hget_ll(h, HARNESS_PREFIX "stats", "retries"), 2);
}

static void
test_retry_after_honoured(void **state)
{
	struct harness *h = *state;
	long long t_retry, t_sent;

	harness_xadd(h, "reply", "id", "throttled", "to", "0612345678", "text", "slow down [[429x1:2]]", NULL);
	assert_int_equal(harness_wait_log(h, "sent", 1, 15000), 1);
	t_retry = event_time_ms(h, "throttled", "retry_wait");
	t_sent = event_time_ms(h, "throttled", "sent");
	assert_true(t_retry > 0);
	/* retry_base_ms is 100 here: only Retry-After: 2 explains a 2-second wait. */
	assert_true(t_sent - t_retry >= 2000);
	assert_true(t_sent - t_retry < 4000);
}

static void
test_permanent_failure(void **state)
{
	struct harness *h = *state;
	char *s;

	harness_xadd(
	    h, "bulk", "id", "refused", "to", "0612345678", "text", "never [[400]]", "campaign", "c-fail", NULL);
	assert_int_equal(harness_wait_log(h, "failed", 1, 10000), 1);
	s = msg_field(h, "refused", "attempts");
	assert_string_equal(s, "1");
	free(s);
	s = harness_deadletter_reason(h, "refused");
	assert_non_null(s);
	assert_non_null(strstr(s, "21211"));
	assert_null(strstr(s, "612345678")); /* no phone number in the reason */
	free(s);
	assert_int_equal(harness_hget_ll(h, HARNESS_PREFIX "campaign:c-fail", "failed"), 1);
	assert_int_equal(harness_hget_ll(h, HARNESS_PREFIX "campaign:c-fail", "deadletter"), 1);
}

static void
test_retries_exhausted(void **state)
{
	struct harness *h = *state;
	char *s;

	/* max_attempts is 4 in the harness config. */
	harness_xadd(h, "bulk", "id", "down", "to", "0612345678", "text", "provider down [[500x99]]", NULL);
	assert_int_equal(harness_wait_log(h, "failed", 1, 20000), 1);
	s = msg_field(h, "down", "attempts");
	assert_string_equal(s, "4");
	free(s);
	s = harness_deadletter_reason(h, "down");
	assert_non_null(s);
	assert_non_null(strstr(s, "gave up after 4 attempts"));
	free(s);
	assert_int_equal(harness_sandbox_stat(h, "accepted"), 0);
}

static void
test_malformed_entries(void **state)
{
	struct harness *h = *state;
	static const struct {
		const char *to, *field, *value, *reason;
	} bad[] = {
		{ NULL, "text", "no recipient", "'to' is missing" },
		{ "06123", "text", "short number", "not a valid phone number" },
		{ "0612345601", "text", "caf\xc3\x28 invalid", "not valid UTF-8" },
		{ "0612345602", "channel", "pigeon", "unknown value 'pigeon'" },
		{ "0612345603", "kind", "spam", "'kind' has unknown value" },
		{ "0612345604", "channel", "whatsapp", "whatsapp is not configured" },
		{ "0612345605", "not_before", "tomorrow", "not_before" },
	};
	char good_id[32], good_text[64];
	size_t nbad = sizeof bad / sizeof bad[0];

	for (size_t i = 0; i < nbad; i++) {
		char bad_id[32];

		snprintf(bad_id, sizeof bad_id, "bad-%zu", i);
		if (bad[i].to == NULL)
			harness_xadd(h, "bulk", "id", bad_id, bad[i].field, bad[i].value, NULL);
		else if (strcmp(bad[i].field, "text") == 0)
			harness_xadd(h, "bulk", "id", bad_id, "to", bad[i].to, "text", bad[i].value, NULL);
		else
			harness_xadd(
			    h, "bulk", "id", bad_id, "to", bad[i].to, "text", "x", bad[i].field, bad[i].value, NULL);
		snprintf(good_id, sizeof good_id, "good-%zu", i);
		snprintf(good_text, sizeof good_text, "good message %zu", i);
		harness_xadd(h, "bulk", "id", good_id, "to", "0612345678", "text", good_text, NULL);
	}
	assert_int_equal(harness_wait_log(h, "sent", (long long)nbad, 10000), (long long)nbad);
	assert_int_equal(harness_wait_log(h, "failed", (long long)nbad, 10000), (long long)nbad);
	assert_int_equal(harness_stream_len(h, HARNESS_PREFIX "deadletter"), (long long)nbad);
	for (size_t i = 0; i < nbad; i++) {
		char bad_id[32], *why;

		snprintf(bad_id, sizeof bad_id, "bad-%zu", i);
		why = harness_deadletter_reason(h, bad_id);
		assert_non_null(why);
		if (strstr(why, bad[i].reason) == NULL)
			fail_msg("dead-letter reason for %s is \"%s\", expected it to mention \"%s\"", bad_id, why,
			    bad[i].reason);
		free(why);
	}
	/* A channel that is not configured is routing's refusal of a well-formed entry: failed, not malformed. */
	assert_int_equal(harness_hget_ll(h, HARNESS_PREFIX "stats", "malformed"), (long long)nbad - 1);
	assert_int_equal(harness_hget_ll(h, HARNESS_PREFIX "stats", "failed"), 1);
	assert_int_equal(harness_sandbox_stat(h, "accepted"), (long long)nbad);
}

static void
test_duplicate_sent_once(void **state)
{
	struct harness *h = *state;

	harness_xadd(h, "bulk", "id", "twice", "to", "0612345678", "text", "only once please", NULL);
	harness_xadd(h, "bulk", "id", "twice", "to", "0612345678", "text", "only once please", NULL);
	harness_xadd(h, "notify", "id", "marker", "to", "0612345678", "text", "after the duplicate", NULL);
	assert_int_equal(harness_wait_log(h, "sent", 2, 10000), 2);
	harness_sleep_ms(300);
	assert_int_equal(harness_log_count(h, "sent"), 2);
	assert_int_equal(harness_sandbox_stat(h, "accepted"), 2);
	assert_int_equal(harness_hget_ll(h, HARNESS_PREFIX "stats", "duplicates"), 1);
	/* The duplicate comes again later, after the first was sent: still not sent. */
	harness_xadd(h, "reply", "id", "twice", "to", "0612345678", "text", "only once please", NULL);
	harness_sleep_ms(500);
	assert_int_equal(harness_sandbox_stat(h, "accepted"), 2);
	assert_int_equal(harness_hget_ll(h, HARNESS_PREFIX "stats", "duplicates"), 2);
}

static void
test_expired_skipped(void **state)
{
	struct harness *h = *state;
	char past[32], *s;

	snprintf(past, sizeof past, "%lld", (long long)time(NULL) - 60);
	harness_xadd(h, "bulk", "id", "late", "to", "0612345678", "text", "the training already started", "expires",
	    past, "campaign", "c-exp", NULL);
	harness_xadd(h, "bulk", "id", "ontime", "to", "0612345678", "text", "still useful", NULL);
	assert_int_equal(harness_wait_log(h, "sent", 1, 10000), 1);
	assert_int_equal(harness_wait_log(h, "expired", 1, 5000), 1);
	s = msg_field(h, "late", "state");
	assert_string_equal(s, "expired");
	free(s);
	assert_int_equal(harness_sandbox_stat(h, "accepted"), 1);
	assert_int_equal(harness_hget_ll(h, HARNESS_PREFIX "campaign:c-exp", "expired"), 1);
}

static void
test_not_before_waits_alone(void **state)
{
	struct harness *h = *state;
	char later[32];
	long long t_queued, t_sent, t_other;

	snprintf(later, sizeof later, "%lld", (long long)time(NULL) + 2);
	harness_xadd(
	    h, "bulk", "id", "wait", "to", "0612345678", "text", "see you in two seconds", "not_before", later, NULL);
	harness_xadd(h, "bulk", "id", "now", "to", "0612345678", "text", "right now", NULL);
	assert_int_equal(harness_wait_log(h, "sent", 1, 5000), 1);
	t_other = event_time_ms(h, "now", "sent");
	assert_true(t_other > 0);
	assert_int_equal(event_time_ms(h, "wait", "sent"), -1);
	assert_int_equal(harness_wait_log(h, "sent", 2, 10000), 2);
	t_queued = event_time_ms(h, "wait", "queued");
	t_sent = event_time_ms(h, "wait", "sent");
	assert_true(t_sent >= atoll(later) * 1000);
	assert_true(t_other < t_sent);
	assert_true(t_queued <= t_other);
}

/*
 * Messages without an id, parked (not_before, a retry) and back: each
 * keeps the id the gateway gave it, one record, counted once.
 */
static void
test_parked_without_id(void **state)
{
	struct harness *h = *state;
	char later[32], want[2][96];
	redisReply *r;

	snprintf(later, sizeof later, "%lld", (long long)time(NULL) + 2);
	snprintf(want[0], sizeof want[0], HARNESS_PREFIX "msg:~bulk-%s",
	    harness_xadd(h, "bulk", "to", "0612345678", "text", "later, no id", "not_before", later, NULL));
	snprintf(want[1], sizeof want[1], HARNESS_PREFIX "msg:~bulk-%s",
	    harness_xadd(h, "bulk", "to", "0612345679", "text", "retried, no id [[500x1]]", NULL));
	assert_int_equal(harness_wait_log(h, "sent", 2, 15000), 2);
	harness_sleep_ms(300);
	assert_int_equal(harness_log_count(h, "sent"), 2);
	assert_int_equal(harness_log_count(h, "scheduled"), 1);
	assert_int_equal(harness_log_count(h, "retry_wait"), 1);
	assert_int_equal(harness_hget_ll(h, HARNESS_PREFIX "stats", "queued"), 2);
	assert_int_equal(harness_hget_ll(h, HARNESS_PREFIX "stats", "sent"), 2);
	r = harness_cmd(h, "KEYS " HARNESS_PREFIX "msg:*");
	assert_int_equal(r->elements, 2);
	freeReplyObject(r);
	for (int i = 0; i < 2; i++) {
		r = harness_cmd(h, "HGET %s state", want[i]);
		assert_int_equal(r->type, REDIS_REPLY_STRING);
		assert_string_equal(r->str, "sent");
		freeReplyObject(r);
	}
	r = harness_cmd(h, "HGET %s attempts", want[1]);
	assert_string_equal(r->str, "2");
	freeReplyObject(r);
}

/*
 * One connection: every answer leaves no transfer running and starts the
 * next from inside the completion. Each must go out at once, not wait for
 * a timeout (a lost libcurl timer once stalled exactly this).
 */
static void
test_one_connection_in_turn(void **state)
{
	struct harness *h = *state;
	long long start;

	start = harness_now_ms();
	harness_xadd_burst(h, "bulk", "serial", 50, NULL);
	assert_int_equal(harness_wait_log(h, "sent", 50, 10000), 50);
	assert_true(harness_now_ms() - start < 5000);
}

/* Sent and recorded through that Redis, authenticated as the ACL user, in database 20 only. */
static void
test_redis_acl_user_ipv6_db(void **state)
{
	struct harness *h = *state;
	redisReply *r;
	size_t as_user = 0;

	if (h->redis_pid == 0) {
		print_message("skipped: no IPv6 loopback ([::1]) on this machine\n");
		skip();
	}
	harness_xadd_burst(h, "bulk", "acl", 20, NULL);
	assert_int_equal(harness_wait_log(h, "sent", 20, 15000), 20);
	assert_int_equal(harness_accepted_unrecorded(h, "acl"), 0);
	/* Every connection of the gateway is the ACL user's, over [::1], in database 20. */
	r = harness_cmd(h, "CLIENT LIST");
	assert_int_equal(r->type, REDIS_REPLY_STRING);
	for (const char *line = r->str, *next; *line != '\0'; line = next) {
		const char *eol = strchr(line, '\n');
		int n = eol != NULL ? (int)(eol - line) : (int)strlen(line);
		char one[1024];

		next = line + n + (eol != NULL);
		snprintf(one, sizeof one, "%.*s", n, line);
		if (strstr(one, " user=amuddu-gw ") == NULL)
			continue;
		as_user++;
		if (strstr(one, " addr=[::1]:") == NULL || strstr(one, " db=20 ") == NULL)
			fail_msg("a gateway connection not over [::1] in database 20: %s", one);
	}
	freeReplyObject(r);
	assert_true(as_user >= 2); /* the outbox and the receipts connections, at least */
	/* Nothing went to database 0. */
	freeReplyObject(harness_cmd(h, "SELECT 0"));
	r = harness_cmd(h, "DBSIZE");
	assert_int_equal(r->integer, 0);
	freeReplyObject(r);
	freeReplyObject(harness_cmd(h, "SELECT 20"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_success, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retry_then_success, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retry_after_honoured, setup, teardown),
		cmocka_unit_test_setup_teardown(test_permanent_failure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retries_exhausted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed_entries, setup, teardown),
		cmocka_unit_test_setup_teardown(test_duplicate_sent_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_expired_skipped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_before_waits_alone, setup, teardown),
		cmocka_unit_test_setup_teardown(test_parked_without_id, setup, teardown),
		cmocka_unit_test_setup_teardown(test_one_connection_in_turn, setup_one_connection, teardown),
		cmocka_unit_test_setup_teardown(test_redis_acl_user_ipv6_db, setup_acl_ipv6, teardown_acl_ipv6),
	};

	return cmocka_run_group_tests_name("outcomes", tests, NULL, NULL);
}
