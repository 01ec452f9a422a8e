/*
 * The recording scripts, driven directly against a real redis-server:
 * every step may be replayed (a reply lost on a dropped connection is sent
 * again) and every read may be out of date (a pending list read before an
 * outcome was recorded), and none of that may send a message twice, count
 * it twice or bring it back. Arguments are built by the layouts' names
 * (queues/scripts.h), as the outbox builds them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "queues/scripts.h"
#include "tests/integration/harness.h"

#define STREAM HARNESS_PREFIX "outbox:bulk"

struct call {
	const char *argv[256];
	size_t lens[256];
	int n, count_at;
	size_t items;
	char nums[32][24];
	int nnums;
};

static const char *
num(struct call *c, long long v)
{
	snprintf(c->nums[c->nnums], sizeof c->nums[0], "%lld", v);
	return c->nums[c->nnums++];
}

static void
add(struct call *c, const char *s)
{
	c->argv[c->n] = s;
	c->lens[c->n++] = strlen(s);
}

/* EVAL of script id as consumer, with its head arguments. */
static void
call_start(struct call *c, enum scripts_id id, const char *consumer, const char *const *head)
{
	memset(c, 0, sizeof *c);
	add(c, "EVAL");
	add(c, scripts_text(id));
	add(c, "0");
	add(c, HARNESS_PREFIX);
	add(c, "amuddu-gateway");
	add(c, consumer);
	add(c, num(c, harness_now_ms()));
	add(c, "20261203");
	add(c, "0");
	for (size_t i = 0; i < scripts_head_args(id); i++)
		add(c, head[i]);
	c->count_at = c->n;
	add(c, "0");
}

static void
call_item(struct call *c, enum scripts_id id, const char *const *item)
{
	for (size_t i = 0; i < scripts_item_args(id); i++)
		add(c, item[i]);
	c->items++;
}

static redisReply *
call_run(struct harness *h, struct call *c)
{
	redisReply *r;

	c->argv[c->count_at] = num(c, (long long)c->items);
	c->lens[c->count_at] = strlen(c->argv[c->count_at]);
	r = redisCommandArgv(h->r, c->n, c->argv, c->lens);
	assert_non_null(r);
	if (r->type == REDIS_REPLY_ERROR)
		fail_msg("script error: %s", r->str);
	return r;
}

/* The first integer of a script's reply. */
static long long
first(redisReply *r)
{
	long long v;

	assert_int_equal(r->type, REDIS_REPLY_ARRAY);
	assert_true(r->elements >= 1);
	assert_int_equal(r->element[0]->type, REDIS_REPLY_INTEGER);
	v = r->element[0]->integer;
	freeReplyObject(r);
	return v;
}

/* A new entry for id, claimed by consumer c1; returns its entry id (static). */
static const char *
claim_entry(struct harness *h, const char *id)
{
	static char entry[64];
	redisReply *r;

	snprintf(entry, sizeof entry, "%s",
	    harness_xadd(h, "bulk", "id", id, "to", "+212612345678", "text", "hi", "campaign", "c", NULL));
	r = harness_cmd(h, "XREADGROUP GROUP amuddu-gateway c1 COUNT 100 STREAMS " STREAM " >");
	freeReplyObject(r);
	return entry;
}

static long long
begin(struct harness *h, const char *entry, const char *id)
{
	const char *head[SCRIPTS_BEGIN_H_COUNT], *item[SCRIPTS_BEGIN_I_COUNT];
	struct call c;

	head[SCRIPTS_BEGIN_H_ttl] = "3600";
	call_start(&c, SCRIPTS_BEGIN, "c1", head);
	item[SCRIPTS_BEGIN_I_lane] = "bulk";
	item[SCRIPTS_BEGIN_I_entry] = entry;
	item[SCRIPTS_BEGIN_I_id] = id;
	item[SCRIPTS_BEGIN_I_kid] = id;
	item[SCRIPTS_BEGIN_I_person] = "p1";
	item[SCRIPTS_BEGIN_I_campaign] = "c";
	item[SCRIPTS_BEGIN_I_ckey] = "c";
	item[SCRIPTS_BEGIN_I_kind] = "custom";
	item[SCRIPTS_BEGIN_I_contact] = "";
	call_item(&c, SCRIPTS_BEGIN, item);
	return first(call_run(h, &c));
}

/* The due time finish_item() gives a retry: now + this. */
static long long retry_in_ms = 60000;
/* The person finish_item() gives a message. */
static const char *finish_person = "p1";

/* One finish item for id's attempt on entry. */
static void
finish_item(struct call *c, const char *entry, const char *id, const char *attempt, const char *outcome)
{
	static const char *fields[6];
	const char *item[SCRIPTS_FINISH_I_COUNT];

	fields[0] = "id";
	fields[1] = id;
	fields[2] = "to";
	fields[3] = "+212612345678";
	fields[4] = "text";
	fields[5] = "hi";
	item[SCRIPTS_FINISH_I_lane] = "bulk";
	item[SCRIPTS_FINISH_I_entry] = entry;
	item[SCRIPTS_FINISH_I_id] = id;
	item[SCRIPTS_FINISH_I_kid] = id;
	item[SCRIPTS_FINISH_I_attempt] = attempt;
	item[SCRIPTS_FINISH_I_outcome] = outcome;
	item[SCRIPTS_FINISH_I_channel] = "sms";
	item[SCRIPTS_FINISH_I_provider] = "twilio";
	item[SCRIPTS_FINISH_I_pid] = strcmp(outcome, "sent") == 0 ? "SM1" : "";
	item[SCRIPTS_FINISH_I_pkey] = item[SCRIPTS_FINISH_I_pid];
	item[SCRIPTS_FINISH_I_err] = strcmp(outcome, "sent") == 0 ? "" : "http 500: provider error";
	item[SCRIPTS_FINISH_I_due] = num(c, harness_now_ms() + retry_in_ms);
	item[SCRIPTS_FINISH_I_person] = finish_person;
	item[SCRIPTS_FINISH_I_campaign] = "c";
	item[SCRIPTS_FINISH_I_ckey] = "c";
	item[SCRIPTS_FINISH_I_kind] = "custom";
	item[SCRIPTS_FINISH_I_optout] = "";
	item[SCRIPTS_FINISH_I_rcv] = "";
	item[SCRIPTS_FINISH_I_nf] = "6";
	call_item(c, SCRIPTS_FINISH, item);
	for (size_t i = 0; i < 6; i++)
		add(c, fields[i]);
}

static long long
finish(struct harness *h, const char *entry, const char *id, const char *attempt, const char *outcome)
{
	const char *head[SCRIPTS_FINISH_H_COUNT];
	struct call c;

	head[SCRIPTS_FINISH_H_ttl] = "3600";
	head[SCRIPTS_FINISH_H_noreceipt] = "";
	call_start(&c, SCRIPTS_FINISH, "c1", head);
	finish_item(&c, entry, id, attempt, outcome);
	return first(call_run(h, &c));
}

/* Parks id's entry until due_ms, as the outbox does with a not_before. */
static long long
schedule(struct harness *h, const char *entry, const char *id, long long due_ms)
{
	const char *head[SCRIPTS_SCHEDULE_H_COUNT], *item[SCRIPTS_SCHEDULE_I_COUNT];
	struct call c;

	head[SCRIPTS_SCHEDULE_H_ttl] = "3600";
	call_start(&c, SCRIPTS_SCHEDULE, "c1", head);
	item[SCRIPTS_SCHEDULE_I_lane] = "bulk";
	item[SCRIPTS_SCHEDULE_I_entry] = entry;
	item[SCRIPTS_SCHEDULE_I_id] = id;
	item[SCRIPTS_SCHEDULE_I_kid] = id;
	item[SCRIPTS_SCHEDULE_I_person] = "p1";
	item[SCRIPTS_SCHEDULE_I_campaign] = "c";
	item[SCRIPTS_SCHEDULE_I_ckey] = "c";
	item[SCRIPTS_SCHEDULE_I_kind] = "custom";
	item[SCRIPTS_SCHEDULE_I_channel] = "sms";
	item[SCRIPTS_SCHEDULE_I_due] = num(&c, due_ms);
	item[SCRIPTS_SCHEDULE_I_nf] = "4";
	call_item(&c, SCRIPTS_SCHEDULE, item);
	add(&c, "to");
	add(&c, "+212612345678");
	add(&c, "text");
	add(&c, "hi");
	return first(call_run(h, &c));
}

/* Makes id due at once and runs the due script; returns how many it took off the schedule. */
static long long
due_now(struct harness *h, const char *id)
{
	const char *head[SCRIPTS_DUE_H_COUNT] = { "100" };
	struct call c;
	redisReply *r;
	long long n;

	freeReplyObject(harness_cmd(h, "ZADD " HARNESS_PREFIX "scheduled 1 %s", id));
	call_start(&c, SCRIPTS_DUE, "c1", head);
	r = call_run(h, &c);
	assert_int_equal(r->type, REDIS_REPLY_INTEGER);
	n = r->integer;
	freeReplyObject(r);
	return n;
}

/* Claims the next new entry of the lane for c1, as a read does; returns its id (static). */
static const char *
read_new_entry(struct harness *h)
{
	static char entry[64];
	redisReply *r = harness_cmd(h, "XREADGROUP GROUP amuddu-gateway c1 COUNT 1 STREAMS " STREAM " >");

	assert_int_equal(r->type, REDIS_REPLY_ARRAY);
	snprintf(entry, sizeof entry, "%s", r->element[0]->element[1]->element[0]->element[0]->str);
	freeReplyObject(r);
	return entry;
}

/* A call of script id with one item of one argument (lost, lease) and the given head. */
static redisReply *
one_arg_call(struct harness *h, enum scripts_id id, const char *const *head, const char *arg)
{
	struct call c;

	call_start(&c, id, "c1", head);
	call_item(&c, id, &arg);
	return call_run(h, &c);
}

static long long
ttl(struct harness *h, const char *key)
{
	redisReply *r = harness_cmd(h, "TTL " HARNESS_PREFIX "%s", key);
	long long v = r->integer;

	freeReplyObject(r);
	return v;
}

static char *
field(struct harness *h, const char *id, const char *name)
{
	redisReply *r = harness_cmd(h, "HGET " HARNESS_PREFIX "msg:%s %s", id, name);
	char *v = r->type == REDIS_REPLY_STRING ? strdup(r->str) : NULL;

	freeReplyObject(r);
	return v;
}

static long long
pending(struct harness *h)
{
	redisReply *r = harness_cmd(h, "XPENDING " STREAM " amuddu-gateway");
	long long n = r->element[0]->integer;

	freeReplyObject(r);
	return n;
}

static int
setup(void **state)
{
	struct harness *h = calloc(1, sizeof *h);

	harness_init(h, "scripts");
	finish_person = "p1";
	harness_redis_start(h, false);
	freeReplyObject(harness_cmd(h, "XGROUP CREATE " STREAM " amuddu-gateway 0 MKSTREAM"));
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

/* A finish sent again after its reply was lost counts once, logs once. */
static void
test_finish_replayed(void **state)
{
	struct harness *h = *state;
	const char *entry = claim_entry(h, "r1");
	char *s;

	assert_int_equal(begin(h, entry, "r1"), 1);
	assert_int_equal(finish(h, entry, "r1", "1", "retry"), SCRIPTS_R_DONE);
	assert_int_equal(finish(h, entry, "r1", "1", "retry"), SCRIPTS_R_UNCHANGED);
	assert_int_equal(harness_hget_ll(h, HARNESS_PREFIX "stats", "retries"), 1);
	assert_int_equal(harness_log_count(h, "retry_wait"), 1);
	s = field(h, "r1", "state");
	assert_string_equal(s, "retry_wait");
	free(s);
	assert_int_equal(pending(h), 0);
	/* The same for a sent outcome. */
	entry = claim_entry(h, "s1");
	assert_int_equal(begin(h, entry, "s1"), 1);
	assert_int_equal(finish(h, entry, "s1", "1", "sent"), SCRIPTS_R_DONE);
	assert_int_equal(finish(h, entry, "s1", "1", "sent"), SCRIPTS_R_UNCHANGED);
	assert_int_equal(harness_hget_ll(h, HARNESS_PREFIX "stats", "sent"), 1);
	assert_int_equal(harness_log_count(h, "sent"), 1);
}

/*
 * A pending-list read from before the outcome was recorded brings back an
 * entry whose message is parked for a retry: it is not begun again (it
 * would be sent now and again when due).
 */
static void
test_stale_read_of_parked_message(void **state)
{
	struct harness *h = *state;
	const char *entry = claim_entry(h, "p1");
	char saved[64], *s;

	snprintf(saved, sizeof saved, "%s", entry);
	assert_int_equal(begin(h, saved, "p1"), 1);
	assert_int_equal(finish(h, saved, "p1", "1", "retry"), SCRIPTS_R_DONE);
	assert_int_equal(begin(h, saved, "p1"), SCRIPTS_R_STALE);
	s = field(h, "p1", "attempts");
	assert_string_equal(s, "1");
	free(s);
	s = field(h, "p1", "state");
	assert_string_equal(s, "retry_wait");
	free(s);
	assert_int_equal(harness_hget_ll(h, HARNESS_PREFIX "stats", "resent"), 0);
	assert_int_equal(harness_hget_ll(h, HARNESS_PREFIX "stats", "duplicates"), 0);
}

/* A stale read of an old entry of a message that came back from the schedule is no duplicate. */
static void
test_stale_read_is_not_a_duplicate(void **state)
{
	struct harness *h = *state;
	const char *entry = claim_entry(h, "d1");
	char first_entry[64];

	snprintf(first_entry, sizeof first_entry, "%s", entry);
	assert_int_equal(begin(h, first_entry, "d1"), 1);
	assert_int_equal(finish(h, first_entry, "d1", "1", "retry"), SCRIPTS_R_DONE);
	/* Back in its lane as a new entry, as the schedule does it. */
	freeReplyObject(harness_cmd(h, "HSET " HARNESS_PREFIX "msg:d1 entry 999999999999-0 state queued"));
	assert_int_equal(begin(h, first_entry, "d1"), SCRIPTS_R_STALE);
	assert_int_equal(harness_hget_ll(h, HARNESS_PREFIX "stats", "duplicates"), 0);
	/* A really different entry with the same id, pending for this consumer, is one. */
	entry = claim_entry(h, "d1");
	assert_int_equal(begin(h, entry, "d1"), SCRIPTS_R_DUPLICATE);
	assert_int_equal(harness_hget_ll(h, HARNESS_PREFIX "stats", "duplicates"), 1);
}

/* The outcome of an attempt another process took over is not recorded over its attempt, nor acknowledged. */
static void
test_finish_of_an_attempt_taken_over(void **state)
{
	struct harness *h = *state;
	const char *entry = claim_entry(h, "t1");
	char *s;

	assert_int_equal(begin(h, entry, "t1"), 1);
	/* Another process took the entry over and began attempt 2. */
	assert_int_equal(begin(h, entry, "t1"), 2);
	assert_int_equal(finish(h, entry, "t1", "1", "retry"), SCRIPTS_R_UNCHANGED);
	s = field(h, "t1", "state");
	assert_string_equal(s, "sending");
	free(s);
	assert_int_equal(pending(h), 1);
	assert_int_equal(finish(h, entry, "t1", "2", "sent"), SCRIPTS_R_DONE);
	assert_int_equal(pending(h), 0);
	assert_int_equal(harness_hget_ll(h, HARNESS_PREFIX "stats", "resent"), 1);
}

/*
 * One message whose key breaks between its begin and its finish: it comes
 * back as an error of its own, and the others of the batch are recorded,
 * counted and acknowledged.
 */
static void
test_finish_isolates_one_item(void **state)
{
	struct harness *h = *state;
	const char *head[SCRIPTS_FINISH_H_COUNT];
	char e[3][64], id[3][8];
	struct call c;
	redisReply *r;

	for (int i = 0; i < 3; i++) {
		snprintf(id[i], sizeof id[i], "b%d", i);
		snprintf(e[i], sizeof e[i], "%s", claim_entry(h, id[i]));
		assert_int_equal(begin(h, e[i], id[i]), 1);
	}
	freeReplyObject(harness_cmd(h, "DEL " HARNESS_PREFIX "msg:b1"));
	freeReplyObject(harness_cmd(h, "SADD " HARNESS_PREFIX "msg:b1 not-a-hash"));
	head[SCRIPTS_FINISH_H_ttl] = "3600";
	head[SCRIPTS_FINISH_H_noreceipt] = "";
	call_start(&c, SCRIPTS_FINISH, "c1", head);
	for (int i = 0; i < 3; i++)
		finish_item(&c, e[i], id[i], "1", "sent");
	r = call_run(h, &c);
	assert_int_equal(r->elements, 4);
	assert_int_equal(r->element[0]->integer, SCRIPTS_R_DONE);
	assert_int_equal(r->element[1]->integer, SCRIPTS_R_ERROR);
	assert_non_null(strstr(r->element[2]->str, "WRONGTYPE"));
	assert_int_equal(r->element[3]->integer, SCRIPTS_R_DONE);
	freeReplyObject(r);
	assert_int_equal(harness_hget_ll(h, HARNESS_PREFIX "stats", "sent"), 2);
	assert_int_equal(harness_log_count(h, "sent"), 2);
	assert_int_equal(pending(h), 1); /* b1 stays pending, for the poison step */
}

/* An integer reply's value; the reply is freed. */
static long long
reply_int(redisReply *r)
{
	long long v;

	assert_non_null(r);
	assert_int_equal(r->type, REDIS_REPLY_INTEGER);
	v = r->integer;
	freeReplyObject(r);
	return v;
}

/* A string reply, copied into out and freed. */
static void
reply_str(redisReply *r, char *out, size_t n)
{
	assert_non_null(r);
	assert_int_equal(r->type, REDIS_REPLY_STRING);
	snprintf(out, n, "%s", r->str);
	freeReplyObject(r);
}

/*
 * One message to each of persons[0..n) (new entries, begun one by one),
 * finished as sent in one call; every outcome recorded. Writes the name of
 * the day's "sent" bitmap of their (campaign, kind, channel) into key.
 */
static void
finish_sent_to(struct harness *h, const char *const *persons, int n, char *key, size_t keylen)
{
	const char *head[SCRIPTS_FINISH_H_COUNT];
	char e[8][64], id[8][8];
	struct call c;
	redisReply *r;

	assert_true(n <= 8);
	for (int i = 0; i < n; i++) {
		snprintf(id[i], sizeof id[i], "r%d", i);
		snprintf(e[i], sizeof e[i], "%s", claim_entry(h, id[i]));
		assert_int_equal(begin(h, e[i], id[i]), 1);
	}
	head[SCRIPTS_FINISH_H_ttl] = "3600";
	head[SCRIPTS_FINISH_H_noreceipt] = "";
	call_start(&c, SCRIPTS_FINISH, "c1", head);
	for (int i = 0; i < n; i++) {
		finish_person = persons[i];
		finish_item(&c, e[i], id[i], "1", "sent");
	}
	finish_person = "p1";
	r = call_run(h, &c);
	for (size_t i = 0; i < r->elements; i++)
		assert_int_equal(r->element[i]->integer, SCRIPTS_R_DONE);
	freeReplyObject(r);
	r = harness_cmd(h, "HVALS " HARNESS_PREFIX "rx:combo");
	assert_int_equal(r->elements, 1); /* (c, custom, sms), made at first use */
	snprintf(key, keylen, HARNESS_PREFIX "r:s:20261203:%s", r->element[0]->str);
	freeReplyObject(r);
}

/*
 * Reach counters written once per call: two messages to one new person and
 * one to a known person in one batch give the new person one index, set one
 * bit each in the day's "sent" bitmap, and write each one's last message.
 */
static void
test_finish_counts_reach_once_per_person(void **state)
{
	struct harness *h = *state;
	static const char *const persons[3] = { "p1", "p2", "p1" };
	char key[128], v[64];
	const char *combo;

	freeReplyObject(harness_cmd(h, "SET " HARNESS_PREFIX "rx:n 7"));
	freeReplyObject(harness_cmd(h, "HSET " HARNESS_PREFIX "rx:p p2 7"));
	finish_sent_to(h, persons, 3, key, sizeof key);
	combo = strrchr(key, ':') + 1;
	/* One new index, for p1; p2 kept its own. */
	reply_str(harness_cmd(h, "GET " HARNESS_PREFIX "rx:n"), v, sizeof v);
	assert_string_equal(v, "8");
	reply_str(harness_cmd(h, "HGET " HARNESS_PREFIX "rx:p p1"), v, sizeof v);
	assert_int_equal(strncmp(v, "8,", 2), 0);
	assert_int_equal(strncmp(v + 2, combo, strlen(combo)), 0);
	reply_str(harness_cmd(h, "HGET " HARNESS_PREFIX "rx:p p2"), v, sizeof v);
	assert_int_equal(strncmp(v, "7,", 2), 0);
	/* Sent: the two people, once each, on the call's day; everyone: the new one. */
	assert_int_equal(reply_int(harness_cmd(h, "BITCOUNT %s", key)), 2);
	assert_int_equal(reply_int(harness_cmd(h, "GETBIT %s 7", key)), 1);
	assert_int_equal(reply_int(harness_cmd(h, "GETBIT %s 8", key)), 1);
	assert_int_equal(reply_int(harness_cmd(h, "BITCOUNT " HARNESS_PREFIX "ra:all")), 1);
	assert_int_equal(reply_int(harness_cmd(h, "GETBIT " HARNESS_PREFIX "ra:all 8")), 1);
	assert_int_equal(harness_hget_ll(h, HARNESS_PREFIX "stats", "sent"), 3);
}

/* An index Redis refuses as a bit offset (another program wrote it) costs only that person's bit. */
static void
test_finish_reach_bit_refused_alone(void **state)
{
	struct harness *h = *state;
	static const char *const persons[2] = { "p1", "p2" };
	char key[128];

	freeReplyObject(harness_cmd(h, "SET " HARNESS_PREFIX "rx:n 3"));
	freeReplyObject(harness_cmd(h, "HSET " HARNESS_PREFIX "rx:p p2 99999999999"));
	finish_sent_to(h, persons, 2, key, sizeof key);
	assert_int_equal(reply_int(harness_cmd(h, "BITCOUNT %s", key)), 1);
	assert_int_equal(reply_int(harness_cmd(h, "GETBIT %s 4", key)), 1);
	assert_int_equal(harness_hget_ll(h, HARNESS_PREFIX "stats", "sent"), 2);
	assert_int_equal(harness_hget_ll(h, HARNESS_PREFIX "stats", "write_errors"), 1);
}

/* A bitmap some other program made a list: its bits are lost, logged; the messages and the other counters are not. */
static void
test_finish_reach_bitmap_of_wrong_type(void **state)
{
	struct harness *h = *state;
	static const char *const persons[2] = { "p1", "p2" };
	char key[128];
	redisReply *r;
	static const char combo[] = "c\x1f"
				    "custom\x1f"
				    "sms"; /* (campaign, kind, channel) as the scripts name it */

	r = redisCommand(h->r, "HSET " HARNESS_PREFIX "rx:combo %b 1", combo, sizeof combo - 1);
	freeReplyObject(r);
	freeReplyObject(harness_cmd(h, "HSET " HARNESS_PREFIX "rx:combos 1 x"));
	freeReplyObject(harness_cmd(h, "SET " HARNESS_PREFIX "rx:nc 1"));
	freeReplyObject(harness_cmd(h, "RPUSH " HARNESS_PREFIX "r:s:20261203:1 not-a-bitmap"));
	finish_sent_to(h, persons, 2, key, sizeof key);
	assert_string_equal(key, HARNESS_PREFIX "r:s:20261203:1");
	assert_int_equal(reply_int(harness_cmd(h, "LLEN %s", key)), 1);
	assert_int_equal(reply_int(harness_cmd(h, "BITCOUNT " HARNESS_PREFIX "ra:all")), 2);
	assert_int_equal(reply_int(harness_cmd(h, "HLEN " HARNESS_PREFIX "rx:p")), 2);
	assert_int_equal(harness_hget_ll(h, HARNESS_PREFIX "stats", "sent"), 2);
	/* Each bit lost is a failed write, counted (logged by Redis once). */
	assert_int_equal(harness_hget_ll(h, HARNESS_PREFIX "stats", "write_errors"), 2);
}

/* The schedule never brings a message that moved on (sent) back into its lane. */
static void
test_due_leaves_finished_messages(void **state)
{
	struct harness *h = *state;
	const char *entry = claim_entry(h, "u1"), *head[SCRIPTS_DUE_H_COUNT];
	struct call c;
	char *s;

	assert_int_equal(begin(h, entry, "u1"), 1);
	assert_int_equal(finish(h, entry, "u1", "1", "sent"), SCRIPTS_R_DONE);
	/* Left on the schedule by a replay from before the fix, say. */
	freeReplyObject(harness_cmd(h, "ZADD " HARNESS_PREFIX "scheduled 1 u1"));
	freeReplyObject(harness_cmd(h, "HSET " HARNESS_PREFIX "fields:u1 to +212612345678 text hi id u1"));
	head[SCRIPTS_DUE_H_limit] = "100";
	call_start(&c, SCRIPTS_DUE, "c1", head);
	freeReplyObject(call_run(h, &c));
	s = field(h, "u1", "state");
	assert_string_equal(s, "sent");
	free(s);
	assert_int_equal(harness_stream_len(h, STREAM), 1);
	{
		redisReply *r = harness_cmd(h, "ZCARD " HARNESS_PREFIX "scheduled");

		assert_int_equal(r->integer, 0);
		freeReplyObject(r);
	}
}

/*
 * Another entry with the same id, to be parked, while the first one's
 * attempt is under way (its record has no state yet): a duplicate, which
 * neither takes the claim nor stops the first from being recorded.
 */
static void
test_schedule_while_first_attempt_runs(void **state)
{
	struct harness *h = *state;
	char e1[64], e2[64], *s;

	snprintf(e1, sizeof e1, "%s", claim_entry(h, "q1"));
	assert_int_equal(begin(h, e1, "q1"), 1);
	snprintf(e2, sizeof e2, "%s", claim_entry(h, "q1"));
	assert_int_equal(schedule(h, e2, "q1", harness_now_ms() + 60000), SCRIPTS_R_DUPLICATE);
	s = field(h, "q1", "entry");
	assert_string_equal(s, e1);
	free(s);
	assert_null(field(h, "q1", "state"));
	assert_int_equal(finish(h, e1, "q1", "1", "sent"), SCRIPTS_R_DONE);
	s = field(h, "q1", "state");
	assert_string_equal(s, "sent");
	free(s);
	assert_int_equal(harness_hget_ll(h, HARNESS_PREFIX "stats", "queued"), 1);
	assert_int_equal(harness_hget_ll(h, HARNESS_PREFIX "stats", "duplicates"), 1);
	{
		redisReply *r = harness_cmd(h, "ZCARD " HARNESS_PREFIX "scheduled");

		assert_int_equal(r->integer, 0);
		freeReplyObject(r);
	}
	assert_int_equal(pending(h), 0);
}

/*
 * Begun by a process that died before its outcome, then found not yet due
 * by another's clock: parked without being counted again, and its next
 * attempt is a resend.
 */
static void
test_schedule_of_a_begun_message(void **state)
{
	struct harness *h = *state;
	char e1[64], *s;

	snprintf(e1, sizeof e1, "%s", claim_entry(h, "k1"));
	assert_int_equal(begin(h, e1, "k1"), 1);
	assert_int_equal(schedule(h, e1, "k1", harness_now_ms() + 60000), SCRIPTS_R_DONE);
	s = field(h, "k1", "state");
	assert_string_equal(s, "scheduled");
	free(s);
	s = field(h, "k1", "attempts");
	assert_string_equal(s, "1");
	free(s);
	assert_int_equal(harness_hget_ll(h, HARNESS_PREFIX "stats", "queued"), 1);
	assert_int_equal(harness_hget_ll(h, HARNESS_PREFIX "stats", "resent"), 1);
	assert_true(ttl(h, "fields:k1") > 3600);
	/* When due it comes back as a new entry, and its next attempt is the second. */
	assert_int_equal(due_now(h, "k1"), 1);
	assert_int_equal(begin(h, read_new_entry(h), "k1"), 2);
	assert_int_equal(harness_hget_ll(h, HARNESS_PREFIX "stats", "resent"), 1);
	assert_int_equal(harness_hget_ll(h, HARNESS_PREFIX "stats", "queued"), 1);
}

/* The same for a message whose second attempt was under way (state sending) when its process died. */
static void
test_schedule_of_a_sending_message(void **state)
{
	struct harness *h = *state;
	char e1[64], *s;

	snprintf(e1, sizeof e1, "%s", claim_entry(h, "k2"));
	assert_int_equal(begin(h, e1, "k2"), 1);
	assert_int_equal(begin(h, e1, "k2"), 2); /* taken over: attempt 2 */
	assert_int_equal(schedule(h, e1, "k2", harness_now_ms() + 60000), SCRIPTS_R_DONE);
	s = field(h, "k2", "state");
	assert_string_equal(s, "scheduled");
	free(s);
	s = field(h, "k2", "lane");
	assert_string_equal(s, "bulk");
	free(s);
	assert_int_equal(pending(h), 0);
	assert_int_equal(due_now(h, "k2"), 1);
	assert_int_equal(begin(h, read_new_entry(h), "k2"), 3);
	assert_int_equal(harness_hget_ll(h, HARNESS_PREFIX "stats", "queued"), 1);
}

/* A retry that waits longer than the records live: the record and its fields outlive the wait. */
static void
test_retry_outlives_its_wait(void **state)
{
	struct harness *h = *state;
	const char *entry = claim_entry(h, "w1");

	assert_int_equal(begin(h, entry, "w1"), 1);
	retry_in_ms = 2 * 86400000LL;
	assert_int_equal(finish(h, entry, "w1", "1", "retry"), SCRIPTS_R_DONE);
	retry_in_ms = 60000;
	assert_true(ttl(h, "msg:w1") > 2 * 86400);
	assert_true(ttl(h, "fields:w1") > 2 * 86400);
}

/*
 * A finish that wrote its record and then failed (the status that came
 * early for it is in a key some other program broke), then the poison
 * step: the send it wrote stands and counts (a sent message is not made
 * failed), and the dead-letter says what broke.
 */
static void
test_poison_keeps_a_written_outcome(void **state)
{
	struct harness *h = *state;
	const char *entry = claim_entry(h, "z1"), *head[SCRIPTS_POISON_H_COUNT], *item[SCRIPTS_POISON_I_COUNT];
	char saved[64], *s;
	struct call c;

	snprintf(saved, sizeof saved, "%s", entry);
	assert_int_equal(begin(h, saved, "z1"), 1);
	freeReplyObject(harness_cmd(h, "ZADD " HARNESS_PREFIX "early %lld twilio:SM1", harness_now_ms() + 60000));
	freeReplyObject(harness_cmd(h, "SET " HARNESS_PREFIX "early:twilio:SM1 not-a-hash"));
	{
		const char *fh[SCRIPTS_FINISH_H_COUNT] = { "3600", "" };
		redisReply *r;

		call_start(&c, SCRIPTS_FINISH, "c1", fh);
		finish_item(&c, saved, "z1", "1", "sent");
		r = call_run(h, &c);
		assert_int_equal(r->element[0]->integer, SCRIPTS_R_ERROR);
		freeReplyObject(r);
	}
	s = field(h, "z1", "state");
	assert_string_equal(s, "sent"); /* written before the failure */
	free(s);
	assert_int_equal(harness_hget_ll(h, HARNESS_PREFIX "stats", "sent"), 0);
	head[SCRIPTS_POISON_H_ttl] = "3600";
	call_start(&c, SCRIPTS_POISON, "c1", head);
	item[SCRIPTS_POISON_I_lane] = "bulk";
	item[SCRIPTS_POISON_I_entry] = saved;
	item[SCRIPTS_POISON_I_id] = "z1";
	item[SCRIPTS_POISON_I_kid] = "z1";
	item[SCRIPTS_POISON_I_attempt] = "1";
	item[SCRIPTS_POISON_I_person] = "p1";
	item[SCRIPTS_POISON_I_campaign] = "c";
	item[SCRIPTS_POISON_I_ckey] = "c";
	item[SCRIPTS_POISON_I_kind] = "custom";
	item[SCRIPTS_POISON_I_reason] = "WRONGTYPE of a key the outcome touched";
	item[SCRIPTS_POISON_I_nf] = "0";
	call_item(&c, SCRIPTS_POISON, item);
	assert_int_equal(first(call_run(h, &c)), SCRIPTS_R_DONE);
	s = field(h, "z1", "state");
	assert_string_equal(s, "sent");
	free(s);
	assert_int_equal(harness_hget_ll(h, HARNESS_PREFIX "stats", "failed"), 0);
	assert_int_equal(harness_hget_ll(h, HARNESS_PREFIX "stats", "sent"), 1);
	assert_int_equal(harness_hget_ll(h, HARNESS_PREFIX "campaign:c", "sent"), 1);
	assert_int_equal(harness_hget_ll(h, HARNESS_PREFIX "stats", "sent.sms"), 1);
	assert_int_equal(harness_hget_ll(h, HARNESS_PREFIX "stats", "poison"), 1);
	assert_int_equal(harness_stream_len(h, HARNESS_PREFIX "deadletter"), 1);
	assert_int_equal(pending(h), 0);
}

/* A status callback for a message that was never sent (failed, skipped) changes nothing. */
static void
test_status_of_an_unsent_message(void **state)
{
	struct harness *h = *state;
	const char *head[SCRIPTS_STATUS_H_COUNT], *item[SCRIPTS_STATUS_I_COUNT];
	struct call c;
	char *s;

	freeReplyObject(harness_cmd(h, "HSET " HARNESS_PREFIX "msg:f1 state failed campaign c person p1"));
	freeReplyObject(harness_cmd(h, "SET " HARNESS_PREFIX "pid:twilio:SMf1 f1"));
	head[SCRIPTS_STATUS_H_ttl] = "3600";
	call_start(&c, SCRIPTS_STATUS, "c1", head);
	item[SCRIPTS_STATUS_I_provider] = "twilio";
	item[SCRIPTS_STATUS_I_pid] = "SMf1";
	item[SCRIPTS_STATUS_I_pkey] = "SMf1";
	item[SCRIPTS_STATUS_I_status] = "delivered";
	item[SCRIPTS_STATUS_I_err] = "";
	item[SCRIPTS_STATUS_I_optout] = "";
	call_item(&c, SCRIPTS_STATUS, item);
	assert_int_equal(first(call_run(h, &c)), 2);
	s = field(h, "f1", "state");
	assert_string_equal(s, "failed");
	free(s);
	assert_int_equal(harness_hget_ll(h, HARNESS_PREFIX "campaign:c", "delivered"), 0);
	assert_int_equal(harness_hget_ll(h, HARNESS_PREFIX "stats", "status_unchanged"), 1);
}

/* A deleted entry reported twice (two reads, or a call sent again) ends its message once. */
static void
test_lost_counts_once(void **state)
{
	struct harness *h = *state;
	const char *head[SCRIPTS_LOST_H_COUNT] = { "bulk", "3600" };
	char entry[64], *s;

	snprintf(entry, sizeof entry, "%s", claim_entry(h, "l1"));
	assert_int_equal(begin(h, entry, "l1"), 1);
	/* begin's in-flight index is written when the call ends; the entry is then deleted by a producer. */
	freeReplyObject(harness_cmd(h, "XDEL " STREAM " %s", entry));
	assert_int_equal(first(one_arg_call(h, SCRIPTS_LOST, head, entry)), SCRIPTS_R_DONE);
	assert_int_equal(first(one_arg_call(h, SCRIPTS_LOST, head, entry)), SCRIPTS_R_UNCHANGED);
	assert_int_equal(harness_hget_ll(h, HARNESS_PREFIX "stats", "trimmed"), 1);
	assert_int_equal(harness_hget_ll(h, HARNESS_PREFIX "stats", "deadletter"), 1);
	assert_int_equal(harness_hget_ll(h, HARNESS_PREFIX "campaign:c", "failed"), 1);
	assert_int_equal(harness_stream_len(h, HARNESS_PREFIX "deadletter"), 1);
	s = field(h, "l1", "state");
	assert_string_equal(s, "failed");
	free(s);
	assert_true(ttl(h, "msg:l1") > 0);
	assert_int_equal(pending(h), 0);
}

/*
 * A renewal of a pending entry that a producer deleted: reported as such
 * (2) and left in the pending list, where XCLAIM would have dropped it
 * without a word; a live one is renewed (1), an acknowledged one is not
 * this consumer's (0).
 */
static void
test_lease_reports_deleted_entries(void **state)
{
	struct harness *h = *state;
	const char *head[SCRIPTS_LEASE_H_COUNT] = { "bulk" };
	char live[64], gone[64], done[64];
	struct call c;
	redisReply *r;

	snprintf(live, sizeof live, "%s", claim_entry(h, "a1"));
	snprintf(gone, sizeof gone, "%s", claim_entry(h, "a2"));
	snprintf(done, sizeof done, "%s", claim_entry(h, "a3"));
	freeReplyObject(harness_cmd(h, "XDEL " STREAM " %s", gone));
	freeReplyObject(harness_cmd(h, "XACK " STREAM " amuddu-gateway %s", done));
	call_start(&c, SCRIPTS_LEASE, "c1", head);
	call_item(&c, SCRIPTS_LEASE, (const char *[]){ live });
	call_item(&c, SCRIPTS_LEASE, (const char *[]){ gone });
	call_item(&c, SCRIPTS_LEASE, (const char *[]){ done });
	r = call_run(h, &c);
	assert_int_equal(r->elements, 3);
	assert_int_equal(r->element[0]->integer, 1);
	assert_int_equal(r->element[1]->integer, 2);
	assert_int_equal(r->element[2]->integer, 0);
	freeReplyObject(r);
	assert_int_equal(pending(h), 2); /* the deleted entry is still there, for the lost step */
}

/* One begin call with more messages than Lua's unpack() takes at once: opt-outs are checked for all. */
static void
test_begin_large_batch(void **state)
{
	struct harness *h = *state;
	enum { N = 9000 };
	/* EVAL, the script, no keys, the six common arguments, the head (ttl), the count; then the items. */
	size_t per = scripts_item_args(SCRIPTS_BEGIN), total = 11 + per * N, k = 0;
	const char **argv = calloc(total, sizeof *argv);
	size_t *lens = calloc(total, sizeof *lens);
	char(*strs)[3][24] = calloc(N, sizeof *strs), now[24], count[24];
	redisReply *r, *flags;

	freeReplyObject(harness_cmd(h, "SADD " HARNESS_PREFIX "optout p4500 p8999"));
	snprintf(now, sizeof now, "%lld", harness_now_ms());
	snprintf(count, sizeof count, "%d", N);
	argv[k++] = "EVAL";
	argv[k++] = scripts_text(SCRIPTS_BEGIN);
	argv[k++] = "0";
	argv[k++] = HARNESS_PREFIX;
	argv[k++] = "amuddu-gateway";
	argv[k++] = "c1";
	argv[k++] = now;
	argv[k++] = "20261203";
	argv[k++] = "0";
	argv[k++] = "3600";
	argv[k++] = count;
	assert_int_equal(k, total - per * N);
	for (int i = 0; i < N; i++) {
		const char *item[SCRIPTS_BEGIN_I_COUNT];

		snprintf(strs[i][0], sizeof strs[i][0], "1-%d", i);
		snprintf(strs[i][1], sizeof strs[i][1], "big%d", i);
		snprintf(strs[i][2], sizeof strs[i][2], "p%d", i);
		item[SCRIPTS_BEGIN_I_lane] = "bulk";
		item[SCRIPTS_BEGIN_I_entry] = strs[i][0];
		item[SCRIPTS_BEGIN_I_id] = strs[i][1];
		item[SCRIPTS_BEGIN_I_kid] = strs[i][1];
		item[SCRIPTS_BEGIN_I_person] = strs[i][2];
		item[SCRIPTS_BEGIN_I_campaign] = "";
		item[SCRIPTS_BEGIN_I_ckey] = "";
		item[SCRIPTS_BEGIN_I_kind] = "custom";
		item[SCRIPTS_BEGIN_I_contact] = "";
		for (size_t j = 0; j < per; j++)
			argv[k++] = item[j];
	}
	for (size_t i = 0; i < total; i++)
		lens[i] = strlen(argv[i]);
	r = redisCommandArgv(h->r, (int)total, argv, lens);
	assert_non_null(r);
	if (r->type == REDIS_REPLY_ERROR)
		fail_msg("script error: %s", r->str);
	assert_int_equal(r->elements, N + 1);
	flags = r->element[N];
	assert_int_equal(flags->elements, N);
	for (int i = 0; i < N; i++)
		assert_int_equal(flags->element[i]->integer, i == 4500 || i == 8999);
	freeReplyObject(r);
	assert_int_equal(harness_hget_ll(h, HARNESS_PREFIX "stats", "queued"), N);
	free(argv);
	free(lens);
	free(strs);
}

/* A delivery-log key some other program broke: outcomes are still recorded and counted. */
static void
test_broken_log_key(void **state)
{
	struct harness *h = *state;
	const char *entry = claim_entry(h, "g1");
	char saved[64], *s;

	snprintf(saved, sizeof saved, "%s", entry);
	freeReplyObject(harness_cmd(h, "SET " HARNESS_PREFIX "log not-a-stream"));
	assert_int_equal(begin(h, saved, "g1"), 1);
	assert_int_equal(finish(h, saved, "g1", "1", "sent"), SCRIPTS_R_DONE);
	s = field(h, "g1", "state");
	assert_string_equal(s, "sent");
	free(s);
	assert_int_equal(harness_hget_ll(h, HARNESS_PREFIX "stats", "sent"), 1);
	assert_true(harness_hget_ll(h, HARNESS_PREFIX "stats", "write_errors") >= 1);
	assert_int_equal(pending(h), 0);
}

/* A parked message that cannot go back to its lane ends failed and dead-lettered with its fields. */
static void
test_due_cannot_move_back(void **state)
{
	struct harness *h = *state;
	const char *head[SCRIPTS_DUE_H_COUNT] = { "100" };
	struct call c;
	redisReply *r;
	char *s;

	freeReplyObject(harness_cmd(h, "HSET " HARNESS_PREFIX "msg:m1 state retry_wait lane bulk id m1"));
	freeReplyObject(harness_cmd(h, "HSET " HARNESS_PREFIX "fields:m1 to +212612345678 text hi id m1"));
	freeReplyObject(harness_cmd(h, "ZADD " HARNESS_PREFIX "scheduled 1 m1"));
	freeReplyObject(harness_cmd(h, "DEL " STREAM));
	freeReplyObject(harness_cmd(h, "SET " STREAM " not-a-stream"));
	call_start(&c, SCRIPTS_DUE, "c1", head);
	freeReplyObject(call_run(h, &c));
	s = field(h, "m1", "state");
	assert_string_equal(s, "failed");
	free(s);
	r = harness_cmd(h, "EXISTS " HARNESS_PREFIX "fields:m1");
	assert_int_equal(r->integer, 0);
	freeReplyObject(r);
	r = harness_cmd(h, "XRANGE " HARNESS_PREFIX "deadletter - +");
	assert_int_equal(r->elements, 1);
	{
		redisReply *f = r->element[0]->element[1];
		int found = 0;

		for (size_t i = 0; i + 1 < f->elements; i += 2)
			if (strcmp(f->element[i]->str, "text") == 0 && strcmp(f->element[i + 1]->str, "hi") == 0)
				found = 1;
		assert_true(found);
	}
	freeReplyObject(r);
	assert_int_equal(harness_hget_ll(h, HARNESS_PREFIX "stats", "failed"), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_finish_replayed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stale_read_of_parked_message, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stale_read_is_not_a_duplicate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_finish_of_an_attempt_taken_over, setup, teardown),
		cmocka_unit_test_setup_teardown(test_due_leaves_finished_messages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_finish_isolates_one_item, setup, teardown),
		cmocka_unit_test_setup_teardown(test_finish_counts_reach_once_per_person, setup, teardown),
		cmocka_unit_test_setup_teardown(test_finish_reach_bit_refused_alone, setup, teardown),
		cmocka_unit_test_setup_teardown(test_finish_reach_bitmap_of_wrong_type, setup, teardown),
		cmocka_unit_test_setup_teardown(test_schedule_while_first_attempt_runs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_schedule_of_a_begun_message, setup, teardown),
		cmocka_unit_test_setup_teardown(test_schedule_of_a_sending_message, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retry_outlives_its_wait, setup, teardown),
		cmocka_unit_test_setup_teardown(test_poison_keeps_a_written_outcome, setup, teardown),
		cmocka_unit_test_setup_teardown(test_status_of_an_unsent_message, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lost_counts_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lease_reports_deleted_entries, setup, teardown),
		cmocka_unit_test_setup_teardown(test_begin_large_batch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_due_cannot_move_back, setup, teardown),
		cmocka_unit_test_setup_teardown(test_broken_log_key, setup, teardown),
	};

	if (getenv("AMUDDU_TEST_FILTER") != NULL)
		cmocka_set_test_filter(getenv("AMUDDU_TEST_FILTER"));
	return cmocka_run_group_tests_name("scripts", tests, NULL, NULL);
}
