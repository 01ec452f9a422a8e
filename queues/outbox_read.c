/*
 * Claiming: this consumer's own pending list first (entries it claimed
 * before a restart or a Redis outage), then new entries from all lanes in
 * priority order; XAUTOCLAIM for entries a dead process left; and the
 * leases that keep this process's claims from being taken over while
 * their messages wait to be sent. Entries deleted from their stream while
 * pending are handed to outbox_lost().
 */
#include "queues/outbox_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/util/log.h"
#include "gateway/util/xmalloc.h"

/* One XREADGROUP: which lane's history it reads (-1: new entries) and when it was sent. */
struct outbox_read_call {
	struct outbox *ob;
	int history_lane;
	long long sent_ms;
};

/* One XAUTOCLAIM. */
struct outbox_claim_call {
	struct outbox *ob;
	enum lane lane;
	long long sent_ms;
};

/* One lease renewal: the held keys it asked about, in order. */
struct outbox_lease_call {
	struct outbox *ob;
	long long sent_ms;
	char **keys;
	size_t n;
};

static void outbox_read_reply(struct redis_conn *rc, redisReply *r, void *privdata);
static void outbox_reclaim_reply(struct redis_conn *rc, redisReply *r, void *privdata);
static void outbox_lease_reply(redisReply *r, void *arg);
static void outbox_lease_send(struct outbox *ob, enum lane lane, struct outbox_item **items, size_t n);
static void outbox_take_entries(
    struct outbox *ob, enum lane lane, const redisReply *entries, bool reclaimed, long long sent_ms);
static struct outbox_item *outbox_item_new(
    struct outbox *ob, enum lane lane, const redisReply *entry, long long sent_ms);
static enum lane outbox_lane_of(const struct outbox *ob, const char *key, size_t len);
static void outbox_lost_ids(struct outbox *ob, enum lane lane, const redisReply *ids);

void
outbox_read_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	outbox_read_more(arg);
}

/* The next reads go through this consumer's pending list, lane by lane, before new entries. */
void
outbox_read_history(struct outbox *ob)
{
	for (int i = 0; i < LANE_COUNT; i++) {
		ob->history[i] = true;
		snprintf(ob->history_cursor[i], sizeof ob->history_cursor[i], "0-0");
	}
	outbox_read_more(ob);
}

/*
 * Reads what fits in the window. Each read remembers what it asked for,
 * so a reply is never taken for another kind of read (the flags may be
 * set again by a reconnect while a blocking read is outstanding).
 */
void
outbox_read_more(struct outbox *ob)
{
	const char *argv[16];
	size_t lens[16];
	char count[24], block[24];
	struct outbox_read_call *call;
	long cap;
	int argc = 0, lane = -1;

	if (ob->stopping || ob->read_outstanding || !ob->groups_ready || !redis_conn_is_up(ob->reader))
		return;
	cap = (long)ob->s.max_inflight - (long)ob->held;
	if (cap <= 0)
		return;
	snprintf(count, sizeof count, "%ld", cap);
	snprintf(block, sizeof block, "%ld", ob->s.block_ms);
	for (int i = 0; i < LANE_COUNT; i++) {
		if (ob->history[i]) {
			lane = i;
			break;
		}
	}
	argv[argc++] = "XREADGROUP";
	argv[argc++] = "GROUP";
	argv[argc++] = ob->group;
	argv[argc++] = ob->consumer;
	argv[argc++] = "COUNT";
	argv[argc++] = count;
	if (lane >= 0) {
		argv[argc++] = "STREAMS";
		argv[argc++] = ob->keys[lane];
		argv[argc++] = ob->history_cursor[lane];
	} else {
		argv[argc++] = "BLOCK";
		argv[argc++] = block;
		argv[argc++] = "STREAMS";
		for (int i = 0; i < LANE_COUNT; i++)
			argv[argc++] = ob->keys[i];
		for (int i = 0; i < LANE_COUNT; i++)
			argv[argc++] = ">";
	}
	for (int i = 0; i < argc; i++)
		lens[i] = strlen(argv[i]);
	call = xmalloc(sizeof *call);
	call->ob = ob;
	call->history_lane = lane;
	call->sent_ms = outbox_mono_ms();
	if (redis_conn_command(ob->reader, outbox_read_reply, call, argc, argv, lens) == 0)
		ob->read_outstanding = true;
	else
		free(call);
}

static enum lane
outbox_lane_of(const struct outbox *ob, const char *key, size_t len)
{
	for (int i = 0; i < LANE_COUNT; i++)
		if (strlen(ob->keys[i]) == len && memcmp(ob->keys[i], key, len) == 0)
			return (enum lane)i;
	return LANE_COUNT;
}

static void
outbox_read_reply(struct redis_conn *rc, redisReply *r, void *privdata)
{
	struct outbox_read_call *call = privdata;
	struct outbox *ob = call->ob;
	int history_lane = call->history_lane;
	long long sent_ms = call->sent_ms;

	(void)rc;
	free(call);
	ob->read_outstanding = false;
	if (r == NULL) {
		outbox_check_drained(ob);
		return;
	}
	if (r->type == REDIS_REPLY_ERROR) {
		if (strncmp(r->str, "NOGROUP", 7) == 0) {
			/* The streams or the group vanished (a Redis without persistence restarted). */
			log_warn("consumer group missing, creating it again");
			outbox_create_groups(ob);
		} else
			(void)outbox_reply_failed(r, "XREADGROUP");
		outbox_timer(ob->read_retry_ev, 1000);
		outbox_check_drained(ob);
		return;
	}
	if (r->type == REDIS_REPLY_NIL && history_lane >= 0)
		ob->history[history_lane] = false;
	for (size_t i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements; i++) {
		const redisReply *st = r->element[i], *entries;
		enum lane lane;

		if (st->type != REDIS_REPLY_ARRAY || st->elements != 2 || st->element[0]->type != REDIS_REPLY_STRING ||
		    st->element[1]->type != REDIS_REPLY_ARRAY)
			continue;
		lane = outbox_lane_of(ob, st->element[0]->str, st->element[0]->len);
		entries = st->element[1];
		if (lane == LANE_COUNT)
			continue;
		if (history_lane >= 0) {
			const redisReply *last = entries->elements > 0 ? entries->element[entries->elements - 1] : NULL;

			if (last == NULL)
				ob->history[lane] = false;
			else if (last->type == REDIS_REPLY_ARRAY && last->elements >= 1 &&
			    last->element[0]->type == REDIS_REPLY_STRING)
				snprintf(ob->history_cursor[lane], sizeof ob->history_cursor[lane], "%s",
				    last->element[0]->str);
		}
		outbox_take_entries(ob, lane, entries, false, sent_ms);
	}
	outbox_read_more(ob);
	outbox_check_drained(ob);
}

/*
 * Turns stream entries into held items: malformed ones are rejected,
 * delayed ones parked, the rest begun in one script call. Entries whose
 * fields are gone (deleted from the stream while pending) go to
 * outbox_lost() unless this process holds them (it still has their fields).
 */
static void
outbox_take_entries(struct outbox *ob, enum lane lane, const redisReply *entries, bool reclaimed, long long sent_ms)
{
	struct outbox_item **batch = xcalloc(entries->elements + 1, sizeof *batch);
	const char **gone = xcalloc(entries->elements + 1, sizeof *gone);
	size_t n = 0, ngone = 0;
	long long now = outbox_now_ms();

	for (size_t i = 0; i < entries->elements; i++) {
		const redisReply *e = entries->element[i];
		struct outbox_item *it;
		char key[64];

		if (e->type != REDIS_REPLY_ARRAY || e->elements < 2 || e->element[0]->type != REDIS_REPLY_STRING)
			continue;
		snprintf(key, sizeof key, "%d/%s", (int)lane, e->element[0]->str);
		if (strset_get(&ob->held_ids, key) != NULL)
			continue; /* this process holds it already */
		if (e->element[1]->type != REDIS_REPLY_ARRAY) {
			gone[ngone++] = e->element[0]->str;
			continue;
		}
		it = outbox_item_new(ob, lane, e, sent_ms);
		if (reclaimed)
			ob->stats.reclaimed++;
		else
			ob->stats.claimed++;
		if (it->msg.error[0] != '\0') {
			ob->stats.malformed++;
			log_warn("malformed entry lane=%s entry=%s reason=\"%s\"", lane_name(lane), it->msg.entry_id,
			    it->msg.error);
			outbox_reject(it);
		} else if (it->msg.not_before > 0 && it->msg.not_before * 1000 > now) {
			ob->stats.scheduled++;
			outbox_schedule(it, it->msg.not_before * 1000);
		} else
			batch[n++] = it;
	}
	if (ngone > 0)
		outbox_lost(ob, lane, gone, ngone);
	free(gone);
	if (n > 0)
		outbox_begin(ob, batch, n);
	else
		free(batch);
}

/* Allocates and parses the item for a stream entry this process does not hold yet. */
static struct outbox_item *
outbox_item_new(struct outbox *ob, enum lane lane, const redisReply *e, long long sent_ms)
{
	struct outbox_item *it = xcalloc(1, sizeof *it);
	const redisReply *f = e->element[1];
	const char **values = xcalloc(f->elements + 1, sizeof *values);
	size_t *lens = xcalloc(f->elements + 1, sizeof *lens);

	it->ob = ob;
	it->claimed_ms = it->lease_ms = sent_ms;
	snprintf(it->held_key, sizeof it->held_key, "%d/%s", (int)lane, e->element[0]->str);
	if (!strset_put(&ob->held_ids, it->held_key, it))
		fatalx("outbox: entry %s held twice", it->held_key);
	TAILQ_INSERT_TAIL(&ob->held_list, it, held);
	ob->held++;
	for (size_t i = 0; i < f->elements; i++) {
		if (f->element[i]->type == REDIS_REPLY_STRING) {
			values[i] = f->element[i]->str;
			lens[i] = f->element[i]->len;
		} else {
			values[i] = "";
			lens[i] = 0;
		}
	}
	if (message_parse(&it->msg, lane, e->element[0]->str, values, lens, f->elements) == 0) {
		if (!it->msg.by_contact)
			phone_pseudonym_with(ob->pseudonyms, it->msg.to, it->msg.person);
		it->msg.error[0] = '\0';
	} else if (it->msg.error[0] == '\0')
		snprintf(it->msg.error, sizeof it->msg.error, "malformed entry");
	free(values);
	free(lens);
	return it;
}

/* --- taking over from dead processes ------------------------------------ */

void
outbox_reclaim_cb(evutil_socket_t fd, short what, void *arg)
{
	struct outbox *ob = arg;
	char idle[24], count[24];
	long cap;

	(void)fd;
	(void)what;
	if (ob->stopping || !ob->groups_ready || !redis_conn_is_up(ob->cmd))
		return;
	cap = (long)ob->s.max_inflight - (long)ob->held;
	if (cap <= 0)
		return;
	snprintf(idle, sizeof idle, "%ld", ob->s.claim_idle_ms);
	snprintf(count, sizeof count, "%ld", cap);
	for (int i = 0; i < LANE_COUNT; i++) {
		const char *argv[8] = { "XAUTOCLAIM", ob->keys[i], ob->group, ob->consumer, idle, ob->claim_cursor[i],
			"COUNT", count };
		size_t lens[8];
		struct outbox_claim_call *call = xmalloc(sizeof *call);

		call->ob = ob;
		call->lane = (enum lane)i;
		call->sent_ms = outbox_mono_ms();
		for (int j = 0; j < 8; j++)
			lens[j] = strlen(argv[j]);
		if (redis_conn_command(ob->cmd, outbox_reclaim_reply, call, 8, argv, lens) != 0) {
			free(call);
			return;
		}
	}
}

/*
 * The ids XAUTOCLAIM found deleted (and took off the pending list). One
 * this process holds (it was away from Redis for longer than
 * claim_idle_ms) cannot be renewed any more: it is sent if it can start
 * in time, or ended like the others (outbox_lease).
 */
static void
outbox_lost_ids(struct outbox *ob, enum lane lane, const redisReply *ids)
{
	const char **gone = xcalloc(ids->elements + 1, sizeof *gone);
	size_t n = 0;

	for (size_t i = 0; i < ids->elements; i++) {
		struct outbox_item *it;
		char key[64];

		if (ids->element[i]->type != REDIS_REPLY_STRING)
			continue;
		snprintf(key, sizeof key, "%d/%s", (int)lane, ids->element[i]->str);
		if ((it = strset_get(&ob->held_ids, key)) == NULL)
			gone[n++] = ids->element[i]->str;
		else
			it->gone = true;
	}
	if (n > 0)
		outbox_lost(ob, lane, gone, n);
	free(gone);
}

/* XAUTOCLAIM answers the next cursor, the entries taken over, and (Redis 7) the ids it found deleted. */
static void
outbox_reclaim_reply(struct redis_conn *rc, redisReply *r, void *privdata)
{
	struct outbox_claim_call *call = privdata;
	struct outbox *ob = call->ob;
	enum lane lane = call->lane;
	long long sent_ms = call->sent_ms;

	(void)rc;
	free(call);
	if (outbox_reply_failed(r, "XAUTOCLAIM") || r->type != REDIS_REPLY_ARRAY || r->elements < 2)
		return;
	if (r->element[0]->type == REDIS_REPLY_STRING)
		snprintf(ob->claim_cursor[lane], sizeof ob->claim_cursor[lane], "%s", r->element[0]->str);
	if (r->elements >= 3 && r->element[2]->type == REDIS_REPLY_ARRAY && r->element[2]->elements > 0)
		outbox_lost_ids(ob, lane, r->element[2]);
	if (ob->stopping || r->element[1]->type != REDIS_REPLY_ARRAY || r->element[1]->elements == 0)
		return;
	log_info("reclaimed idle entries lane=%s count=%zu", lane_name(lane), r->element[1]->elements);
	outbox_take_entries(ob, lane, r->element[1], true, sent_ms);
}

/* --- leases ------------------------------------------------------------- */

/*
 * Renews this process's claim on every message it holds, lane by lane:
 * each call resets the entries' idle time, and answers which ones another
 * process has taken over meanwhile (this one went silent for longer than
 * claim_idle_ms, Redis being away) and which a producer deleted from the
 * stream. Outcomes waiting to be recorded are renewed too, so that after
 * an outage their replay is not beaten by another process's XAUTOCLAIM.
 */
void
outbox_lease_cb(evutil_socket_t fd, short what, void *arg)
{
	struct outbox *ob = arg;
	struct outbox_item **items[LANE_COUNT] = { NULL };
	size_t n[LANE_COUNT] = { 0 };
	struct outbox_item *it;

	(void)fd;
	(void)what;
	if (ob->leases_outstanding > 0 || !ob->groups_ready || !redis_conn_is_up(ob->cmd))
		return;
	ob->lease_wanted = false;
	TAILQ_FOREACH(it, &ob->held_list, held)
	{
		enum lane lane = it->msg.lane;

		if (it->lost || it->gone)
			continue;
		if (items[lane] == NULL)
			items[lane] = xcalloc(ob->held, sizeof *items[lane]);
		items[lane][n[lane]++] = it;
		if (n[lane] == OUTBOX_LEASE_BATCH) {
			outbox_lease_send(ob, lane, items[lane], n[lane]);
			n[lane] = 0;
		}
	}
	for (int i = 0; i < LANE_COUNT; i++) {
		if (n[i] > 0)
			outbox_lease_send(ob, (enum lane)i, items[i], n[i]);
		free(items[i]);
	}
}

static void
outbox_lease_send(struct outbox *ob, enum lane lane, struct outbox_item **items, size_t n)
{
	struct script_call *c = outbox_call(ob, SCRIPTS_LEASE);
	struct outbox_lease_call *call = xcalloc(1, sizeof *call);
	const char *head[SCRIPTS_LEASE_H_COUNT];

	call->ob = ob;
	call->sent_ms = outbox_mono_ms();
	call->keys = xcalloc(n, sizeof *call->keys);
	call->n = n;
	head[SCRIPTS_LEASE_H_lane] = lane_name(lane);
	script_call_head(c, head);
	for (size_t i = 0; i < n; i++) {
		const char *item[SCRIPTS_LEASE_I_COUNT];

		call->keys[i] = xstrdup(items[i]->held_key);
		item[SCRIPTS_LEASE_I_entry] = strchr(call->keys[i], '/') + 1;
		script_call_item(c, item, NULL);
	}
	/* Counted before it is sent: a call that cannot be sent is answered (and uncounted) at once. */
	ob->leases_outstanding++;
	if (script_call_send(c, ob->cmd, outbox_lease_reply, call) != 0)
		outbox_lease_reply(NULL, call);
}

static void
outbox_lease_reply(redisReply *r, void *arg)
{
	struct outbox_lease_call *call = arg;
	struct outbox *ob = call->ob;
	bool ok = !outbox_reply_failed(r, "lease") && r->type == REDIS_REPLY_ARRAY && r->elements == call->n;

	for (size_t i = 0; i < call->n; i++) {
		struct outbox_item *it = strset_get(&ob->held_ids, call->keys[i]);

		/* Only what this call really asked about: not an item claimed again since. */
		if (ok && it != NULL && it->claimed_ms <= call->sent_ms && r->element[i]->type == REDIS_REPLY_INTEGER) {
			if (r->element[i]->integer == 1) {
				if (it->lease_ms < call->sent_ms)
					it->lease_ms = call->sent_ms;
			} else if (it->phase == OUTBOX_PHASE_RECORDING || it->gone) {
				/* Acknowledged by its outcome meanwhile, or not ours: its finish knows; or deleted. */
			} else if (r->element[i]->integer == 2)
				it->gone = true;
			else
				it->lost = true;
		}
		free(call->keys[i]);
	}
	free(call->keys);
	free(call);
	if (ob->freeing)
		return;
	if (ob->leases_outstanding > 0 && --ob->leases_outstanding == 0 && ob->h.leases != NULL)
		ob->h.leases(ob->arg);
}
