/*
 * What producers, operators and Redis itself can throw at the outbox, end
 * to end: names that look like the gateway's own keys, an entry with
 * thousands of fields, a key of the wrong type under one message, Redis
 * forgetting its scripts, pending entries trimmed away by a producer, and
 * the command connection dropping while a blocking read waits. Each time
 * the rest goes out, and the odd one ends visibly, with its reason.
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

#include "queues/keys.h"
#include "tests/integration/harness.h"

static int
setup_with(void **state, const char *const *sandbox, const char *extra)
{
	struct harness *h = calloc(1, sizeof *h);

	harness_init(h, "robustness");
	harness_redis_start(h, false);
	harness_sandbox_start(h, sandbox);
	harness_gateway_config(h, 0, extra);
	harness_gateway_start(h);
	*state = h;
	return 0;
}

static int
setup(void **state)
{
	return setup_with(state, NULL, NULL);
}

static int
setup_slow(void **state)
{
	const char *slow[] = { "--delay", "1", "--delay-ms", "3000", NULL };

	return setup_with(state, slow, "[gateway]\nrequest_timeout_ms = 5000\nclaim_idle_ms = 6000\n");
}

/* One connection to a provider that answers after 400 ms, and claims that must be renewed often. */
static int
setup_one_slow(void **state)
{
	const char *slow[] = { "--delay", "1", "--delay-ms", "400", NULL };

	return setup_with(state, slow,
	    "[gateway]\nmax_connections = 1\nconnect_timeout_ms = 500\nrequest_timeout_ms = 1000\n"
	    "claim_idle_ms = 2000\n");
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
pending(struct harness *h, const char *lane)
{
	redisReply *r = harness_cmd(h, "XPENDING " HARNESS_PREFIX "outbox:%s amuddu-gateway", lane);
	long long n = r->type == REDIS_REPLY_ARRAY && r->elements > 0 ? r->element[0]->integer : -1;

	freeReplyObject(r);
	return n;
}

/* A field of the message record of id (encoded into its key as the gateway does); caller frees. */
static char *
msg_field(struct harness *h, const char *id, const char *field)
{
	char *kid = keys_encode(id, strlen(id));
	const char *argv[3] = { "HGET", NULL, field };
	char key[4096];
	redisReply *r;
	char *v;

	snprintf(key, sizeof key, HARNESS_PREFIX "msg:%s", kid);
	argv[1] = key;
	r = redisCommandArgv(h->r, 3, argv, NULL);
	v = r != NULL && r->type == REDIS_REPLY_STRING ? strdup(r->str) : NULL;
	if (r != NULL)
		freeReplyObject(r);
	free(kid);
	return v;
}

static long long
campaign_count(struct harness *h, const char *campaign, const char *field)
{
	char *ckey = keys_encode(campaign, strlen(campaign));
	char key[2048];
	long long v;

	snprintf(key, sizeof key, HARNESS_PREFIX "campaign:%s", ckey);
	v = harness_hget_ll(h, key, field);
	free(ckey);
	return v;
}

static void
stop_gateway(struct harness *h)
{
	harness_gateway_signal(h, SIGTERM);
	assert_int_equal(harness_gateway_wait(h, 15000), 0);
}

/*
 * Campaign x beside campaigns named like its own keys (x:sent, x:reached),
 * and ids and names a producer might send: each is counted apart, nothing
 * stalls. Before key parts were encoded, "x:sent" was the set of x's
 * people and every message of that campaign failed with WRONGTYPE.
 */
static void
test_hostile_names(void **state)
{
	struct harness *h = *state;
	char *kb = malloc(1025), *s;
	static const struct {
		const char *id, *campaign, *to;
	} m[] = {
		{ "x-1", "x", "0612340001" },
		{ "x-2", "x", "0612340002" },
		{ "xs-1", "x:sent", "0612340003" },
		{ "xs-2", "x:sent", "0612340004" },
		{ "xr-1", "x:reached", "0612340005" },
		{ "a:b", ":", "0612340006" },
		{ "{x}", "{}", "0612340007" },
		{ "line\nbreak", "new\nline", "0612340008" },
		{ "\xd8\xb1\xd8\xb3\xd8\xa7\xd9\x84\xd8\xa9-1",
		    "\xd8\xad\xd9\x85\xd9\x84\xd8\xa9 \xd8\xaa\xd9\x83\xd9\x88\xd9\x8a\xd9\x86", "0612340009" },
		{ "no-campaign", "", "0612340010" },
		{ "%41", "%41", "0612340011" },
		{ "A", "A", "0612340012" },
	};
	size_t n = sizeof m / sizeof m[0];

	memset(kb, 'k', 1024);
	kb[1024] = '\0';
	for (size_t i = 0; i < n; i++)
		harness_xadd(
		    h, "bulk", "id", m[i].id, "to", m[i].to, "text", "Formation", "campaign", m[i].campaign, NULL);
	harness_xadd(h, "notify", "id", kb, "to", "0612340013", "text", "a 1 kB id", NULL);
	assert_int_equal(harness_wait_log(h, "sent", (long long)n + 1, 20000), (long long)n + 1);
	for (size_t i = 0; i < n; i++) {
		s = msg_field(h, m[i].id, "state");
		if (s == NULL || strcmp(s, "sent") != 0)
			fail_msg("message %zu: state %s", i, s != NULL ? s : "(none)");
		free(s);
	}
	s = msg_field(h, kb, "state");
	assert_string_equal(s, "sent");
	free(s);
	assert_int_equal(campaign_count(h, "x", "sent"), 2);
	assert_int_equal(campaign_count(h, "x:sent", "sent"), 2);
	assert_int_equal(campaign_count(h, "x:reached", "sent"), 1);
	assert_int_equal(campaign_count(h, "%41", "sent"), 1);
	assert_int_equal(campaign_count(h, "A", "sent"), 1);
	{
		redisReply *r = harness_cmd(h, "SCARD " HARNESS_PREFIX "campaign:x:sent");

		assert_int_equal(r->type, REDIS_REPLY_INTEGER);
		assert_int_equal(r->integer, 2); /* x's two people, not x:sent's counters */
		freeReplyObject(r);
	}
	assert_int_equal(harness_stream_len(h, HARNESS_PREFIX "deadletter"), 0);
	assert_int_equal(pending(h, "bulk"), 0);
	assert_int_equal(pending(h, "notify"), 0);
	free(kb);
	stop_gateway(h);
}

/* An entry with 5,000 fields is refused on its own; the first fields are kept for review. */
static void
test_entry_with_thousands_of_fields(void **state)
{
	struct harness *h = *state;
	const char *argv[3 + 2 * 5000];
	size_t lens[3 + 2 * 5000];
	char(*names)[16] = calloc(5000, sizeof *names);
	int argc = 0;
	redisReply *r;
	char *why;

	argv[argc++] = "XADD";
	argv[argc++] = HARNESS_PREFIX "outbox:bulk";
	argv[argc++] = "*";
	argv[argc++] = "id";
	argv[argc++] = "wide";
	argv[argc++] = "to";
	argv[argc++] = "0612345678";
	argv[argc++] = "text";
	argv[argc++] = "x";
	for (int i = 3; i < 5000; i++) {
		snprintf(names[i], sizeof names[i], "f%d", i);
		argv[argc++] = names[i];
		argv[argc++] = "v";
	}
	for (int i = 0; i < argc; i++)
		lens[i] = strlen(argv[i]);
	harness_xadd_burst(h, "bulk", "narrow", 20, NULL);
	r = redisCommandArgv(h->r, argc, argv, lens);
	assert_int_equal(r->type, REDIS_REPLY_STRING);
	freeReplyObject(r);
	harness_xadd_burst(h, "bulk", "after", 20, NULL);
	assert_int_equal(harness_wait_log(h, "sent", 40, 20000), 40);
	assert_int_equal(harness_wait_log(h, "failed", 1, 10000), 1);
	why = harness_deadletter_reason(h, "wide");
	assert_non_null(why);
	assert_non_null(strstr(why, "5000 fields"));
	free(why);
	assert_int_equal(harness_hget_ll(h, HARNESS_PREFIX "stats", "malformed"), 1);
	assert_int_equal(pending(h, "bulk"), 0);
	free(names);
	stop_gateway(h);
}

/*
 * A key of the wrong type under one message (an operator's mistake, a
 * restore gone wrong): that message is dead-lettered with Redis's reason
 * and counted; the others of its batch go out and are recorded. A broken
 * key of a campaign costs only that campaign's aggregate, which is logged
 * and counted: its messages are still recorded as what they are (sent).
 */
static void
test_poison_message_isolated(void **state)
{
	struct harness *h = *state;
	char *why;

	/* Broken where begin reads. */
	freeReplyObject(harness_cmd(h, "SET " HARNESS_PREFIX "msg:poison-1 not-a-hash"));
	/* Broken where finish writes: campaign pc's set of people. */
	freeReplyObject(harness_cmd(h, "SET " HARNESS_PREFIX "campaign:pc:sent not-a-set"));
	harness_xadd(h, "bulk", "id", "ok-1", "to", "0612345671", "text", "one", "campaign", "ok", NULL);
	harness_xadd(h, "bulk", "id", "poison-1", "to", "0612345672", "text", "two", "campaign", "ok", NULL);
	harness_xadd(h, "bulk", "id", "ok-2", "to", "0612345673", "text", "three", "campaign", "ok", NULL);
	harness_xadd(h, "bulk", "id", "pc-1", "to", "0612345674", "text", "four", "campaign", "pc", NULL);
	harness_xadd(h, "bulk", "id", "ok-3", "to", "0612345675", "text", "five", "campaign", "ok", NULL);
	assert_int_equal(harness_wait_log(h, "sent", 4, 20000), 4);
	assert_int_equal(harness_hget_ll(h, HARNESS_PREFIX "campaign:ok", "sent"), 3);
	assert_int_equal(harness_hget_ll(h, HARNESS_PREFIX "campaign:pc", "sent"), 1);
	why = msg_field(h, "pc-1", "state");
	assert_string_equal(why, "sent");
	free(why);
	for (long long end = harness_now_ms() + 10000;
	     harness_hget_ll(h, HARNESS_PREFIX "stats", "poison") < 1 && harness_now_ms() < end;)
		harness_sleep_ms(50);
	assert_int_equal(harness_hget_ll(h, HARNESS_PREFIX "stats", "poison"), 1);
	assert_true(harness_hget_ll(h, HARNESS_PREFIX "stats", "write_errors") >= 1);
	why = harness_deadletter_reason(h, "poison-1");
	assert_non_null(why);
	assert_non_null(strstr(why, "WRONGTYPE"));
	free(why);
	assert_null(harness_deadletter_reason(h, "pc-1"));
	assert_int_equal(harness_metric(h, "\namuddu_poison_total "), 1);
	assert_int_equal(pending(h, "bulk"), 0);
	/* Nothing is stuck: the window is free and later messages go out. */
	assert_int_equal(harness_metric(h, "\namuddu_inflight_messages "), 0);
	harness_xadd_burst(h, "bulk", "later", 50, NULL);
	assert_int_equal(harness_wait_log(h, "sent", 54, 20000), 54);
	stop_gateway(h);
}

/* Redis forgets its scripts (SCRIPT FLUSH): the next call loads them again, nothing waits. */
static void
test_scripts_flushed(void **state)
{
	struct harness *h = *state;

	harness_xadd_burst(h, "bulk", "before", 10, NULL);
	assert_int_equal(harness_wait_log(h, "sent", 10, 10000), 10);
	freeReplyObject(harness_cmd(h, "SCRIPT FLUSH"));
	harness_xadd_burst(h, "bulk", "after", 10, NULL);
	assert_int_equal(harness_wait_log(h, "sent", 20, 5000), 20);
	assert_int_equal(pending(h, "bulk"), 0);
	stop_gateway(h);
}

/*
 * Pending entries a producer trimmed away (XTRIM, XADD MAXLEN) while their
 * gateway was dead: the messages they carried end failed, dead-lettered
 * and counted, whether the same consumer reads its pending list again or
 * another takes them over.
 */
static void
test_trimmed_pending_entries(void **state)
{
	struct harness *h = *state;
	char *s, *why;

	harness_xadd_burst(h, "bulk", "trim", 4, NULL);
	for (long long end = harness_now_ms() + 10000;
	     harness_sandbox_stat(h, "received") < 4 && harness_now_ms() < end;)
		harness_sleep_ms(20);
	harness_gateway_signal(h, SIGKILL);
	harness_gateway_wait(h, 5000);
	freeReplyObject(harness_cmd(h, "XTRIM " HARNESS_PREFIX "outbox:bulk MAXLEN 0"));
	assert_int_equal(pending(h, "bulk"), 4);
	/* The same consumer again: its pending list gives the entries back without their fields. */
	harness_gateway_start(h);
	for (long long end = harness_now_ms() + 10000;
	     harness_hget_ll(h, HARNESS_PREFIX "stats", "trimmed") < 4 && harness_now_ms() < end;)
		harness_sleep_ms(50);
	assert_int_equal(harness_hget_ll(h, HARNESS_PREFIX "stats", "trimmed"), 4);
	assert_int_equal(pending(h, "bulk"), 0);
	s = msg_field(h, "trim-0", "state");
	assert_string_equal(s, "failed");
	free(s);
	why = harness_deadletter_reason(h, "trim-2");
	assert_non_null(why);
	assert_non_null(strstr(why, "deleted from its stream"));
	free(why);
	assert_int_equal(harness_hget_ll(h, HARNESS_PREFIX "campaign:trim", "failed"), 4);
	{
		redisReply *r = harness_cmd(h, "TTL " HARNESS_PREFIX "msg:trim-1");

		assert_true(r->integer > 0); /* the record ends; the id is not held for ever */
		freeReplyObject(r);
	}
	stop_gateway(h);
}

/*
 * Three messages of campaign tag in flight when their gateway is killed,
 * their entries trimmed, and a gateway under another consumer name started.
 */
static void
kill_trim_and_take_over(struct harness *h, const char *tag)
{
	harness_xadd_burst(h, "bulk", tag, 3, NULL);
	for (long long end = harness_now_ms() + 10000;
	     harness_sandbox_stat(h, "received") < 3 && harness_now_ms() < end;)
		harness_sleep_ms(20);
	harness_gateway_signal(h, SIGKILL);
	harness_gateway_wait(h, 5000);
	freeReplyObject(harness_cmd(h, "XTRIM " HARNESS_PREFIX "outbox:bulk MAXLEN 0"));
	harness_gateway_config(h, 0, "[gateway]\nrequest_timeout_ms = 5000\nclaim_idle_ms = 6000\nconsumer = other\n");
	harness_gateway_start(h);
}

/* The same, found by another process's XAUTOCLAIM, which returns the ids it found deleted. */
static void
test_trimmed_entries_taken_over(void **state)
{
	struct harness *h = *state;

	kill_trim_and_take_over(h, "gone");
	for (long long end = harness_now_ms() + 20000;
	     harness_hget_ll(h, HARNESS_PREFIX "stats", "trimmed") < 3 && harness_now_ms() < end;)
		harness_sleep_ms(100);
	assert_int_equal(harness_hget_ll(h, HARNESS_PREFIX "stats", "trimmed"), 3);
	assert_int_equal(harness_hget_ll(h, HARNESS_PREFIX "campaign:gone", "failed"), 3);
	assert_int_equal(pending(h, "bulk"), 0);
	stop_gateway(h);
}

/* Whether the gateway's log has a line with text in it. */
static bool
gateway_logged(struct harness *h, const char *text)
{
	char path[512], line[2048];
	bool found = false;
	FILE *f;

	snprintf(path, sizeof path, "%s/gateway.log", h->dir);
	if ((f = fopen(path, "r")) == NULL)
		return false;
	while (!found && fgets(line, sizeof line, f) != NULL)
		found = strstr(line, text) != NULL;
	fclose(f);
	return found;
}

/*
 * Deleted entries found while Redis refuses the gateway's scripts for a
 * while. XAUTOCLAIM has already taken them off the pending list, so
 * nothing would report them again: the gateway keeps them and ends their
 * messages once Redis takes its scripts again.
 */
static void
test_trimmed_entries_scripts_refused(void **state)
{
	struct harness *h = *state;

	kill_trim_and_take_over(h, "full");
	/*
	 * Once the new gateway is ready, and before the entries are idle long
	 * enough to be taken over, its scripts are refused (NOPERM, which it
	 * takes for a passing fault, as it takes OOM or READONLY): XAUTOCLAIM
	 * still goes through, and the ending of the messages does not.
	 */
	for (long long end = harness_now_ms() + 5000;
	     !gateway_logged(h, "outbox ready group=amuddu-gateway consumer=other") && harness_now_ms() < end;)
		harness_sleep_ms(20);
	freeReplyObject(harness_cmd(h, "ACL SETUSER default -evalsha -eval"));
	for (long long end = harness_now_ms() + 20000;
	     !gateway_logged(h, "redis error op=lost") && harness_now_ms() < end;)
		harness_sleep_ms(100);
	assert_true(gateway_logged(h, "redis error op=lost"));
	assert_int_equal(pending(h, "bulk"), 0); /* XAUTOCLAIM took them off: only the gateway knows them now */
	harness_sleep_ms(1500);
	assert_int_equal(harness_hget_ll(h, HARNESS_PREFIX "stats", "trimmed"), 0);
	freeReplyObject(harness_cmd(h, "ACL SETUSER default +evalsha +eval"));
	for (long long end = harness_now_ms() + 10000;
	     harness_hget_ll(h, HARNESS_PREFIX "stats", "trimmed") < 3 && harness_now_ms() < end;)
		harness_sleep_ms(100);
	assert_int_equal(harness_hget_ll(h, HARNESS_PREFIX "stats", "trimmed"), 3);
	assert_int_equal(campaign_count(h, "full", "failed"), 3);
	stop_gateway(h);
}

/*
 * Entries a producer trims while this live gateway holds their messages,
 * waiting their turn for the one connection. A renewal cannot keep such a
 * claim (XCLAIM would silently drop it), so each message is either sent,
 * if it could start while its claim held, or ends failed with its
 * dead-letter; none stays claimed and unseen, and the counts agree.
 */
static void
test_trimmed_while_held(void **state)
{
	struct harness *h = *state;
	long long sent = 0, failed = 0;
	redisReply *r;

	harness_xadd_burst(h, "bulk", "held", 8, NULL);
	for (long long end = harness_now_ms() + 10000;
	     harness_sandbox_stat(h, "received") < 1 && harness_now_ms() < end;)
		harness_sleep_ms(20);
	freeReplyObject(harness_cmd(h, "XTRIM " HARNESS_PREFIX "outbox:bulk MAXLEN 0"));
	for (long long end = harness_now_ms() + 15000; harness_now_ms() < end; harness_sleep_ms(100)) {
		sent = campaign_count(h, "held", "sent");
		failed = campaign_count(h, "held", "failed");
		if (sent + failed >= 8)
			break;
	}
	print_message("trimmed while held: %lld sent, %lld ended failed\n", sent, failed);
	assert_int_equal(sent + failed, 8);
	assert_true(sent >= 1);
	assert_int_equal(harness_hget_ll(h, HARNESS_PREFIX "stats", "trimmed"), failed);
	assert_int_equal(harness_sandbox_stat(h, "received"), sent);
	for (int i = 0; i < 8; i++) {
		char id[16], *st;

		snprintf(id, sizeof id, "held-%d", i);
		st = msg_field(h, id, "state");
		assert_non_null(st);
		if (strcmp(st, "failed") == 0) {
			char *why = harness_deadletter_reason(h, id);

			assert_non_null(why);
			assert_non_null(strstr(why, "deleted from its stream"));
			free(why);
		} else
			assert_string_equal(st, "sent");
		free(st);
		r = harness_cmd(h, "TTL " HARNESS_PREFIX "msg:%s", id);
		assert_true(r->integer > 0);
		freeReplyObject(r);
	}
	assert_int_equal(pending(h, "bulk"), 0);
	stop_gateway(h);
}

/*
 * The command connection drops while the blocking read waits: this
 * consumer's own pending entries are read again at once, not left for
 * XAUTOCLAIM to find claim_idle_ms later.
 */
static void
test_history_after_command_reconnect(void **state)
{
	struct harness *h = *state;
	long long t0;
	redisReply *r;

	char ids[3][64];

	harness_gateway_wait_http(h);
	harness_sleep_ms(300); /* idle: its blocking read is waiting */
	/*
	 * Entries this consumer holds in Redis but not in memory, as after a
	 * Redis error: added behind the group's last-delivered id, so its
	 * blocking read does not take them, then put in its pending list.
	 */
	freeReplyObject(harness_cmd(h, "XGROUP SETID " HARNESS_PREFIX "outbox:reply amuddu-gateway 9999999999999-0"));
	for (int i = 0; i < 3; i++) {
		char id[16], to[16];

		snprintf(id, sizeof id, "own-%d", i);
		snprintf(to, sizeof to, "061234560%d", i);
		snprintf(
		    ids[i], sizeof ids[i], "%s", harness_xadd(h, "reply", "id", id, "to", to, "text", "own", NULL));
	}
	r = harness_cmd(h, "XCLAIM " HARNESS_PREFIX "outbox:reply amuddu-gateway gw-test 0 %s %s %s FORCE JUSTID",
	    ids[0], ids[1], ids[2]);
	assert_int_equal(r->elements, 3);
	freeReplyObject(r);
	assert_int_equal(pending(h, "reply"), 3);
	t0 = harness_now_ms();
	assert_int_equal(harness_client_kill(h, "amuddu-cmd"), 1);
	assert_int_equal(harness_wait_log(h, "sent", 3, 10000), 3);
	print_message("own pending entries sent %lld ms after the command connection dropped\n", harness_now_ms() - t0);
	/* claim_idle_ms is 3000 here: XAUTOCLAIM would have taken longer. */
	assert_true(harness_now_ms() - t0 < 2500);
	stop_gateway(h);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_hostile_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_entry_with_thousands_of_fields, setup, teardown),
		cmocka_unit_test_setup_teardown(test_poison_message_isolated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scripts_flushed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_trimmed_pending_entries, setup_slow, teardown),
		cmocka_unit_test_setup_teardown(test_trimmed_entries_taken_over, setup_slow, teardown),
		cmocka_unit_test_setup_teardown(test_trimmed_while_held, setup_one_slow, teardown),
		cmocka_unit_test_setup_teardown(test_trimmed_entries_scripts_refused, setup_slow, teardown),
		cmocka_unit_test_setup_teardown(test_history_after_command_reconnect, setup, teardown),
	};

	if (getenv("AMUDDU_TEST_FILTER") != NULL)
		cmocka_set_test_filter(getenv("AMUDDU_TEST_FILTER"));
	return cmocka_run_group_tests_name("robustness", tests, NULL, NULL);
}
