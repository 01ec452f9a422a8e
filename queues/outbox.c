/*
 * Outbox consumer. Two Redis connections: "reader" runs XREADGROUP (it
 * blocks, so it has its own connection) and "cmd" runs the scripts,
 * XAUTOCLAIM and the scheduled-set poll. Every message claimed is "held"
 * (counted against max_inflight and remembered by stream entry id) until
 * its outcome is recorded or it is released; a held entry seen again
 * through XAUTOCLAIM or a pending-list read is ignored, so this process
 * never works on one entry twice. Outcomes that could not be written
 * (Redis away) are kept and written again when Redis is back.
 */
#include "queues/outbox.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/random.h>
#include <sys/time.h>
#include <time.h>

#include "gateway/util/log.h"
#include "gateway/util/strset.h"
#include "gateway/util/xmalloc.h"
#include "queues/backoff.h"
#include "queues/redis_conn.h"
#include "queues/cmdargs.h"
#include "queues/scripts.h"

/* Outcomes written by one finish call at most. */
#define OUTBOX_FINISH_BATCH 256

struct outbox_item {
	struct message msg; /* first: the gateway's pointer is ours */
	struct outbox *ob;
	char held_key[64];
	/* The outcome as the finish script takes it; strings live here until recorded. */
	const char *outcome;
	const char *channel, *provider;
	char provider_id[96];
	char error[320];
	char attempt_s[16], retry_at_s[24];
	TAILQ_ENTRY(outbox_item) entry;
};
TAILQ_HEAD(outbox_item_list, outbox_item);

/* One begin-script call for a batch of items. */
struct outbox_batch {
	struct outbox *ob;
	struct outbox_item **items;
	size_t n;
};

struct outbox {
	struct event_base *base;
	struct outbox_settings s;
	struct outbox_handlers h;
	void *arg;
	char *prefix, *group, *consumer, *pseudonym_key;
	char *keys[LANE_COUNT];
	char history_cursor[LANE_COUNT][48];
	bool history[LANE_COUNT];
	char claim_cursor[LANE_COUNT][48];
	struct redis_conn *cmd, *reader;
	bool groups_ready;
	int groups_pending;
	bool read_outstanding;
	bool due_outstanding;
	bool stopping;
	bool drained_sent;
	size_t held;
	struct strset held_ids;
	struct outbox_item_list unrecorded;
	struct outbox_item_list to_record; /* outcomes waiting for the next finish batch */
	size_t nto_record;
	struct event *flush_ev;
	struct event *reclaim_ev, *due_ev, *read_retry_ev, *replay_ev;
	uint64_t rng;
	struct outbox_stats stats;
};

static void outbox_argv_prologue(struct outbox *ob, struct cmdargs *a, enum scripts_id id, long long now);
static void outbox_argv_fields(struct cmdargs *a, const struct message *m);
static long long outbox_now_ms(void);
static uint64_t outbox_random(struct outbox *ob);
static void outbox_cmd_up(struct redis_conn *rc, void *arg);
static void outbox_cmd_down(struct redis_conn *rc, void *arg);
static void outbox_reader_up(struct redis_conn *rc, void *arg);
static void outbox_reader_down(struct redis_conn *rc, void *arg);
static void outbox_group_reply(struct redis_conn *rc, redisReply *r, void *privdata);
static void outbox_ignore_reply(struct redis_conn *rc, redisReply *r, void *privdata);
static void outbox_create_groups(struct outbox *ob);
static void outbox_read_more(struct outbox *ob);
static void outbox_read_reply(struct redis_conn *rc, redisReply *r, void *privdata);
static void outbox_read_retry_cb(evutil_socket_t fd, short what, void *arg);
static void outbox_take_entries(struct outbox *ob, enum lane lane, redisReply *entries, bool reclaimed);
static struct outbox_item *outbox_item_new(struct outbox *ob, enum lane lane, redisReply *entry);
static void outbox_item_release(struct outbox_item *it);
static void outbox_reject(struct outbox_item *it);
static void outbox_schedule(struct outbox_item *it, long long due_ms);
static void outbox_item_reply(struct redis_conn *rc, redisReply *r, void *privdata);
static void outbox_begin(struct outbox *ob, struct outbox_item **items, size_t n);
static void outbox_begin_reply(struct redis_conn *rc, redisReply *r, void *privdata);
static void outbox_contact_fill(struct message *m, const redisReply *wa, const redisReply *ch, const redisReply *loc);
static int outbox_contact_phone(struct message *m, const redisReply *phone);
static void outbox_finish_queue(struct outbox_item *it);
static void outbox_finish_send(struct outbox *ob);
static void outbox_flush_cb(evutil_socket_t fd, short what, void *arg);
static void outbox_finish_reply(struct redis_conn *rc, redisReply *r, void *privdata);
static void outbox_replay_cb(evutil_socket_t fd, short what, void *arg);
static void outbox_reclaim_cb(evutil_socket_t fd, short what, void *arg);
static void outbox_reclaim_reply(struct redis_conn *rc, redisReply *r, void *privdata);
static void outbox_due_cb(evutil_socket_t fd, short what, void *arg);
static void outbox_due_reply(struct redis_conn *rc, redisReply *r, void *privdata);
static int outbox_eval(struct outbox *ob, struct cmdargs *a, redis_conn_reply_cb *cb, void *privdata)
    __attribute__((warn_unused_result));
static void outbox_check_drained(struct outbox *ob);
static bool outbox_reply_is_error(redisReply *r, const char *what);
static enum lane outbox_lane_of(struct outbox *ob, const char *key, size_t len);

/* Per lane argument for XAUTOCLAIM replies. */
struct outbox_claim_call {
	struct outbox *ob;
	enum lane lane;
};

static long long
outbox_now_ms(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (long long)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

/* xorshift64*, seeded from getrandom(): jitter only, not secrets. */
static uint64_t
outbox_random(struct outbox *ob)
{
	ob->rng ^= ob->rng >> 12;
	ob->rng ^= ob->rng << 25;
	ob->rng ^= ob->rng >> 27;
	return ob->rng * 2685821657736338717ULL;
}

/* EVALSHA sha 0 prefix group now maxlen */
static void
outbox_argv_prologue(struct outbox *ob, struct cmdargs *a, enum scripts_id id, long long now)
{
	scripts_call_start(a, id, ob->prefix, ob->group, now, ob->s.log_maxlen);
}

/* The entry's fields as received, plus the derived id when the producer gave none. */
static void
outbox_argv_fields(struct cmdargs *a, const struct message *m)
{
	for (size_t i = 0; i < m->nfields * 2; i++)
		cmdargs_add(a, m->fields[i], m->field_lens[i]);
	if (!m->has_id && m->id != NULL) {
		cmdargs_str(a, "id");
		cmdargs_str(a, m->id);
	}
}

static int
outbox_eval(struct outbox *ob, struct cmdargs *a, redis_conn_reply_cb *cb, void *privdata)
{
	return redis_conn_command(ob->cmd, cb, privdata, a->n, a->v, a->lens);
}

static bool
outbox_reply_is_error(redisReply *r, const char *what)
{
	if (r == NULL)
		return true;
	if (r->type == REDIS_REPLY_ERROR) {
		log_warn("redis error op=%s reason=\"%.*s\"", what, (int)(r->len > 200 ? 200 : r->len), r->str);
		return true;
	}
	return false;
}

struct outbox *
outbox_new(struct event_base *base, const struct outbox_settings *s, const struct outbox_handlers *h, void *arg)
{
	struct outbox *ob = xcalloc(1, sizeof *ob);
	long reply_timeout;

	ob->base = base;
	ob->s = *s;
	ob->h = *h;
	ob->arg = arg;
	ob->prefix = xstrdup(s->prefix);
	ob->group = xstrdup(s->group);
	ob->consumer = xstrdup(s->consumer);
	ob->pseudonym_key = xstrdup(s->pseudonym_key != NULL ? s->pseudonym_key : "");
	ob->s.prefix = ob->prefix;
	ob->s.group = ob->group;
	ob->s.consumer = ob->consumer;
	ob->s.pseudonym_key = ob->pseudonym_key;
	if (ob->s.block_ms <= 0)
		ob->s.block_ms = 1000;
	if (ob->s.due_poll_ms <= 0)
		ob->s.due_poll_ms = 200;
	for (int i = 0; i < LANE_COUNT; i++) {
		ob->keys[i] = xasprintf("%soutbox:%s", ob->prefix, lane_name((enum lane)i));
		snprintf(ob->claim_cursor[i], sizeof ob->claim_cursor[i], "0-0");
	}
	strset_init(&ob->held_ids);
	TAILQ_INIT(&ob->unrecorded);
	TAILQ_INIT(&ob->to_record);
	if (getrandom(&ob->rng, sizeof ob->rng, 0) != (ssize_t)sizeof ob->rng || ob->rng == 0)
		ob->rng = (uint64_t)outbox_now_ms() | 1;

	reply_timeout = 10000;
	ob->cmd = redis_conn_new(base, s->target, "cmd", reply_timeout, outbox_cmd_up, outbox_cmd_down, ob);
	ob->reader = redis_conn_new(
	    base, s->target, "reader", reply_timeout + ob->s.block_ms, outbox_reader_up, outbox_reader_down, ob);
	ob->reclaim_ev = event_new(base, -1, EV_PERSIST, outbox_reclaim_cb, ob);
	ob->due_ev = event_new(base, -1, EV_PERSIST, outbox_due_cb, ob);
	ob->read_retry_ev = evtimer_new(base, outbox_read_retry_cb, ob);
	ob->replay_ev = event_new(base, -1, EV_PERSIST, outbox_replay_cb, ob);
	ob->flush_ev = event_new(base, -1, 0, outbox_flush_cb, ob);
	if (ob->reclaim_ev == NULL || ob->due_ev == NULL || ob->read_retry_ev == NULL || ob->replay_ev == NULL ||
	    ob->flush_ev == NULL)
		fatalx("outbox_new: cannot create timers");
	return ob;
}

void
outbox_start(struct outbox *ob)
{
	long every = ob->s.claim_idle_ms / 2;
	struct timeval tv;

	if (every < 100)
		every = 100;
	tv.tv_sec = every / 1000;
	tv.tv_usec = (every % 1000) * 1000;
	evtimer_add(ob->reclaim_ev, &tv);
	tv.tv_sec = ob->s.due_poll_ms / 1000;
	tv.tv_usec = (ob->s.due_poll_ms % 1000) * 1000;
	evtimer_add(ob->due_ev, &tv);
	tv.tv_sec = 1;
	tv.tv_usec = 0;
	evtimer_add(ob->replay_ev, &tv);
	redis_conn_start(ob->cmd);
	redis_conn_start(ob->reader);
}

void
outbox_stop(struct outbox *ob)
{
	ob->stopping = true;
	event_del(ob->reclaim_ev);
	event_del(ob->due_ev);
	event_del(ob->read_retry_ev);
	log_info("outbox stops claiming held=%zu", ob->held);
	outbox_check_drained(ob);
}

static void
outbox_check_drained(struct outbox *ob)
{
	if (!ob->stopping || ob->drained_sent || ob->held != 0 || ob->read_outstanding)
		return;
	ob->drained_sent = true;
	if (ob->h.drained != NULL)
		ob->h.drained(ob->arg);
}

void
outbox_free(struct outbox *ob)
{
	struct outbox_item *it;

	if (ob == NULL)
		return;
	ob->stopping = true;
	ob->drained_sent = true;
	/* Freeing the connections fails their pending callbacks, which release items. */
	redis_conn_free(ob->reader);
	redis_conn_free(ob->cmd);
	ob->reader = ob->cmd = NULL;
	while ((it = TAILQ_FIRST(&ob->unrecorded)) != NULL) {
		TAILQ_REMOVE(&ob->unrecorded, it, entry);
		outbox_item_release(it);
	}
	while ((it = TAILQ_FIRST(&ob->to_record)) != NULL) {
		TAILQ_REMOVE(&ob->to_record, it, entry);
		outbox_item_release(it);
	}
	if (ob->held != 0)
		log_warn("outbox freed with messages held held=%zu (they stay pending in Redis)", ob->held);
	event_free(ob->reclaim_ev);
	event_free(ob->due_ev);
	event_free(ob->read_retry_ev);
	event_free(ob->replay_ev);
	event_free(ob->flush_ev);
	for (int i = 0; i < LANE_COUNT; i++)
		free(ob->keys[i]);
	strset_free(&ob->held_ids);
	free(ob->prefix);
	free(ob->group);
	free(ob->consumer);
	explicit_bzero(ob->pseudonym_key, strlen(ob->pseudonym_key));
	free(ob->pseudonym_key);
	free(ob);
}

bool
outbox_redis_up(const struct outbox *ob)
{
	return redis_conn_is_up(ob->cmd) && redis_conn_is_up(ob->reader);
}

unsigned long
outbox_redis_reconnects(const struct outbox *ob)
{
	return redis_conn_reconnects(ob->cmd) + redis_conn_reconnects(ob->reader);
}

void
outbox_get_stats(const struct outbox *ob, struct outbox_stats *out)
{
	*out = ob->stats;
	out->held = ob->held;
}

/* --- connections ------------------------------------------------------- */

static void
outbox_cmd_up(struct redis_conn *rc, void *arg)
{
	struct outbox *ob = arg;
	const char *argv[3];
	size_t lens[3];

	(void)rc;
	/* Scripts are cached per server; a restarted Redis has none. Loaded first, so later EVALSHAs find them. */
	for (int i = 0; i < SCRIPTS_COUNT; i++) {
		argv[0] = "SCRIPT";
		argv[1] = "LOAD";
		argv[2] = scripts_text((enum scripts_id)i);
		for (int j = 0; j < 3; j++)
			lens[j] = strlen(argv[j]);
		if (redis_conn_command(ob->cmd, outbox_ignore_reply, (void *)"SCRIPT LOAD", 3, argv, lens) != 0)
			return;
	}
	outbox_create_groups(ob);
	/* Entries released while Redis was away are in our pending list: read it again. */
	for (int i = 0; i < LANE_COUNT; i++) {
		ob->history[i] = true;
		snprintf(ob->history_cursor[i], sizeof ob->history_cursor[i], "0-0");
	}
	outbox_replay_cb(-1, 0, ob);
}

static void
outbox_cmd_down(struct redis_conn *rc, void *arg)
{
	struct outbox *ob = arg;

	(void)rc;
	ob->groups_ready = false;
	ob->due_outstanding = false;
}

static void
outbox_reader_up(struct redis_conn *rc, void *arg)
{
	struct outbox *ob = arg;

	(void)rc;
	for (int i = 0; i < LANE_COUNT; i++) {
		ob->history[i] = true;
		snprintf(ob->history_cursor[i], sizeof ob->history_cursor[i], "0-0");
	}
	outbox_read_more(ob);
}

static void
outbox_reader_down(struct redis_conn *rc, void *arg)
{
	struct outbox *ob = arg;

	(void)rc;
	ob->read_outstanding = false;
	outbox_check_drained(ob);
}

static void
outbox_ignore_reply(struct redis_conn *rc, redisReply *r, void *privdata)
{
	(void)rc;
	(void)outbox_reply_is_error(r, privdata);
}

/* Groups start at 0 so entries added before the first gateway ran are read too. */
static void
outbox_create_groups(struct outbox *ob)
{
	const char *argv[6];
	size_t lens[6];

	ob->groups_pending = LANE_COUNT;
	for (int i = 0; i < LANE_COUNT; i++) {
		argv[0] = "XGROUP";
		argv[1] = "CREATE";
		argv[2] = ob->keys[i];
		argv[3] = ob->group;
		argv[4] = "0";
		argv[5] = "MKSTREAM";
		for (int j = 0; j < 6; j++)
			lens[j] = strlen(argv[j]);
		if (redis_conn_command(ob->cmd, outbox_group_reply, ob, 6, argv, lens) != 0)
			return;
	}
}

static void
outbox_group_reply(struct redis_conn *rc, redisReply *r, void *privdata)
{
	struct outbox *ob = privdata;

	(void)rc;
	if (r == NULL)
		return;
	if (r->type == REDIS_REPLY_ERROR && strncmp(r->str, "BUSYGROUP", 9) != 0) {
		log_error("cannot create consumer group reason=\"%.*s\"", (int)r->len, r->str);
		return;
	}
	if (--ob->groups_pending == 0) {
		ob->groups_ready = true;
		log_info("outbox ready group=%s consumer=%s", ob->group, ob->consumer);
		outbox_read_more(ob);
	}
}

/* --- reading ------------------------------------------------------------ */

static void
outbox_read_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	outbox_read_more(arg);
}

/*
 * Reads what fits in the window: first this consumer's own pending list
 * (entries claimed before a restart or a Redis outage), lane by lane, then
 * new entries from all lanes in priority order with BLOCK.
 */
static void
outbox_read_more(struct outbox *ob)
{
	const char *argv[16];
	size_t lens[16];
	char count[24], block[24];
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
	if (redis_conn_command(ob->reader, outbox_read_reply, ob, argc, argv, lens) == 0)
		ob->read_outstanding = true;
}

static enum lane
outbox_lane_of(struct outbox *ob, const char *key, size_t len)
{
	for (int i = 0; i < LANE_COUNT; i++)
		if (strlen(ob->keys[i]) == len && memcmp(ob->keys[i], key, len) == 0)
			return (enum lane)i;
	return LANE_COUNT;
}

static void
outbox_read_reply(struct redis_conn *rc, redisReply *r, void *privdata)
{
	struct outbox *ob = privdata;
	struct timeval tv = { 1, 0 };
	int history_lane = -1;

	(void)rc;
	ob->read_outstanding = false;
	for (int i = 0; i < LANE_COUNT; i++) {
		if (ob->history[i]) {
			history_lane = i;
			break;
		}
	}
	if (r == NULL) {
		outbox_check_drained(ob);
		return;
	}
	if (r->type == REDIS_REPLY_ERROR) {
		if (strncmp(r->str, "NOGROUP", 7) == 0) {
			/* The streams or the group vanished (a Redis without persistence restarted). */
			log_warn("consumer group missing, creating it again");
			ob->groups_ready = false;
			outbox_create_groups(ob);
		} else
			(void)outbox_reply_is_error(r, "XREADGROUP");
		evtimer_add(ob->read_retry_ev, &tv);
		outbox_check_drained(ob);
		return;
	}
	if (r->type == REDIS_REPLY_NIL) {
		if (history_lane >= 0)
			ob->history[history_lane] = false;
	} else if (r->type == REDIS_REPLY_ARRAY) {
		for (size_t i = 0; i < r->elements; i++) {
			redisReply *st = r->element[i];
			enum lane lane;

			if (st->type != REDIS_REPLY_ARRAY || st->elements != 2 ||
			    st->element[0]->type != REDIS_REPLY_STRING || st->element[1]->type != REDIS_REPLY_ARRAY)
				continue;
			lane = outbox_lane_of(ob, st->element[0]->str, st->element[0]->len);
			if (lane == LANE_COUNT)
				continue;
			if (history_lane >= 0) {
				redisReply *entries = st->element[1];

				if (entries->elements == 0)
					ob->history[lane] = false;
				else {
					redisReply *last = entries->element[entries->elements - 1];

					if (last->type == REDIS_REPLY_ARRAY && last->elements >= 1 &&
					    last->element[0]->type == REDIS_REPLY_STRING)
						snprintf(ob->history_cursor[lane], sizeof ob->history_cursor[lane],
						    "%s", last->element[0]->str);
				}
			}
			outbox_take_entries(ob, lane, st->element[1], false);
		}
	}
	outbox_read_more(ob);
	outbox_check_drained(ob);
}

/*
 * Turns stream entries into held items: malformed ones are rejected,
 * delayed ones parked, the rest begun in one script call.
 */
static void
outbox_take_entries(struct outbox *ob, enum lane lane, redisReply *entries, bool reclaimed)
{
	struct outbox_item **batch;
	size_t n = 0;
	long long now = outbox_now_ms();
	char why[160];

	batch = xcalloc(entries->elements + 1, sizeof *batch);
	for (size_t i = 0; i < entries->elements; i++) {
		redisReply *e = entries->element[i];
		struct outbox_item *it;

		if (e->type != REDIS_REPLY_ARRAY || e->elements < 2 || e->element[0]->type != REDIS_REPLY_STRING)
			continue;
		if (e->element[1]->type != REDIS_REPLY_ARRAY) {
			/* Pending but deleted from the stream: nothing left to send. */
			const char *argv[4] = { "XACK", ob->keys[lane], ob->group, e->element[0]->str };
			size_t lens[4];

			for (int j = 0; j < 4; j++)
				lens[j] = strlen(argv[j]);
			log_warn("pending entry was deleted from its stream lane=%s entry=%s", lane_name(lane),
			    e->element[0]->str);
			if (redis_conn_command(ob->cmd, outbox_ignore_reply, (void *)"XACK", 4, argv, lens) != 0)
				log_warn("cannot acknowledge deleted entry now; it will be seen again");
			continue;
		}
		if ((it = outbox_item_new(ob, lane, e)) == NULL)
			continue; /* this process holds it already */
		if (reclaimed)
			ob->stats.reclaimed++;
		else
			ob->stats.claimed++;
		if (it->msg.error[0] != '\0') {
			ob->stats.malformed++;
			log_warn("malformed entry lane=%s entry=%s reason=\"%s\"", lane_name(lane), it->msg.entry_id,
			    it->msg.error);
			outbox_reject(it);
		} else if (!ob->h.channel_available(ob->arg, it->msg.channel, why, sizeof why)) {
			snprintf(it->msg.error, sizeof it->msg.error, "%s", why);
			ob->stats.malformed++;
			log_warn("entry for an unavailable channel lane=%s entry=%s reason=\"%s\"", lane_name(lane),
			    it->msg.entry_id, why);
			outbox_reject(it);
		} else if (it->msg.not_before > 0 && it->msg.not_before * 1000 > now) {
			ob->stats.scheduled++;
			outbox_schedule(it, it->msg.not_before * 1000);
		} else
			batch[n++] = it;
	}
	if (n > 0)
		outbox_begin(ob, batch, n);
	else
		free(batch);
}

/* Allocates an item for a stream entry, parsing it; NULL when this process already holds it. */
static struct outbox_item *
outbox_item_new(struct outbox *ob, enum lane lane, redisReply *e)
{
	struct outbox_item *it;
	redisReply *f = e->element[1];
	const char **values;
	size_t *lens;
	char key[64];

	snprintf(key, sizeof key, "%d/%s", (int)lane, e->element[0]->str);
	if (!strset_add(&ob->held_ids, key))
		return NULL;
	it = xcalloc(1, sizeof *it);
	it->ob = ob;
	snprintf(it->held_key, sizeof it->held_key, "%s", key);
	ob->held++;
	values = xcalloc(f->elements + 1, sizeof *values);
	lens = xcalloc(f->elements + 1, sizeof *lens);
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
			phone_pseudonym(ob->pseudonym_key, it->msg.to, it->msg.person);
		it->msg.error[0] = '\0';
	} else if (it->msg.error[0] == '\0')
		snprintf(it->msg.error, sizeof it->msg.error, "malformed entry");
	free(values);
	free(lens);
	return it;
}

static void
outbox_item_release(struct outbox_item *it)
{
	struct outbox *ob = it->ob;

	strset_del(&ob->held_ids, it->held_key);
	ob->held--;
	message_free(&it->msg);
	free(it);
	outbox_read_more(ob);
	outbox_check_drained(ob);
}

static void
outbox_item_reply(struct redis_conn *rc, redisReply *r, void *privdata)
{
	struct outbox_item *it = privdata;

	(void)rc;
	/* On failure the entry stays pending in Redis and is read again later. */
	(void)outbox_reply_is_error(r, "reject/schedule");
	outbox_item_release(it);
}

static void
outbox_reject(struct outbox_item *it)
{
	struct outbox *ob = it->ob;
	struct cmdargs a = { 0 };
	const struct message *m = &it->msg;
	bool campaign_ok =
	    m->campaign[0] != '\0' && strlen(m->campaign) <= MESSAGE_CAMPAIGN_MAX && strchr(m->campaign, ' ') == NULL;

	outbox_argv_prologue(ob, &a, SCRIPTS_REJECT, outbox_now_ms());
	cmdargs_str(&a, lane_name(m->lane));
	cmdargs_str(&a, m->entry_id);
	cmdargs_str(&a, m->error);
	cmdargs_str(&a, m->has_id && m->id != NULL ? m->id : "");
	/* A campaign that failed validation is not used as a key. */
	cmdargs_str(&a, campaign_ok && !strstr(m->error, "'campaign'") ? m->campaign : "");
	for (size_t i = 0; i < m->nfields * 2; i++)
		cmdargs_add(&a, m->fields[i], m->field_lens[i]);
	if (outbox_eval(ob, &a, outbox_item_reply, it) != 0)
		outbox_item_release(it);
	cmdargs_free(&a);
}

static void
outbox_schedule(struct outbox_item *it, long long due_ms)
{
	struct outbox *ob = it->ob;
	struct cmdargs a = { 0 };
	const struct message *m = &it->msg;

	outbox_argv_prologue(ob, &a, SCRIPTS_SCHEDULE, outbox_now_ms());
	cmdargs_str(&a, lane_name(m->lane));
	cmdargs_str(&a, m->entry_id);
	cmdargs_str(&a, m->id);
	cmdargs_str(&a, m->person);
	cmdargs_str(&a, m->campaign);
	cmdargs_str(&a, kind_name(m->kind));
	cmdargs_str(&a, channel_name(m->channel));
	cmdargs_num(&a, due_ms);
	outbox_argv_fields(&a, m);
	if (outbox_eval(ob, &a, outbox_item_reply, it) != 0)
		outbox_item_release(it);
	cmdargs_free(&a);
}

static void
outbox_begin(struct outbox *ob, struct outbox_item **items, size_t n)
{
	struct cmdargs a = { 0 };
	struct outbox_batch *b = xcalloc(1, sizeof *b);

	b->ob = ob;
	b->items = items;
	b->n = n;
	outbox_argv_prologue(ob, &a, SCRIPTS_BEGIN, outbox_now_ms());
	cmdargs_num(&a, ob->s.msg_ttl_s);
	cmdargs_num(&a, (long long)n);
	for (size_t i = 0; i < n; i++) {
		const struct message *m = &items[i]->msg;

		cmdargs_str(&a, lane_name(m->lane));
		cmdargs_str(&a, m->entry_id);
		cmdargs_str(&a, m->id);
		cmdargs_str(&a, m->person);
		cmdargs_str(&a, m->campaign);
		cmdargs_num(&a, m->expires);
		cmdargs_str(&a, kind_name(m->kind));
		cmdargs_str(&a, channel_name(m->channel));
		cmdargs_str(&a, m->by_contact ? "2" : ob->s.contacts && m->channel != CHANNEL_SMS ? "1" : "");
	}
	if (outbox_eval(ob, &a, outbox_begin_reply, b) != 0)
		outbox_begin_reply(NULL, NULL, b);
	cmdargs_free(&a);
}

/* The contact record as the begin script read it: strings, possibly empty. */
static void
outbox_contact_fill(struct message *m, const redisReply *wa, const redisReply *ch, const redisReply *loc)
{
	if (wa->type == REDIS_REPLY_STRING)
		m->wa_last_in_s = strtoll(wa->str, NULL, 10);
	if (ch->type == REDIS_REPLY_STRING)
		snprintf(m->contact_channel, sizeof m->contact_channel, "%s", ch->str);
	if (loc->type == REDIS_REPLY_STRING)
		snprintf(m->contact_locale, sizeof m->contact_locale, "%s", loc->str);
}

/* The number of an entry addressed by contact id, from its contact record; -1 with the reason in m->error. */
static int
outbox_contact_phone(struct message *m, const redisReply *phone)
{
	const char *reason;

	if (phone->type != REDIS_REPLY_STRING || phone->len == 0) {
		snprintf(m->error, sizeof m->error, "unknown contact: no contact record with a phone number");
		return -1;
	}
	if (phone_normalise(phone->str, m->to, &reason) != 0) {
		snprintf(m->error, sizeof m->error, "contact record's phone is not valid: %s", reason);
		return -1;
	}
	return 0;
}

static void
outbox_begin_reply(struct redis_conn *rc, redisReply *r, void *privdata)
{
	struct outbox_batch *b = privdata;
	struct outbox *ob = b->ob;
	bool ok;

	(void)rc;
	ok = !outbox_reply_is_error(r, "begin") && r->type == REDIS_REPLY_ARRAY && r->elements == b->n;
	for (size_t i = 0; i < b->n; i++) {
		struct outbox_item *it = b->items[i];
		redisReply *e = ok ? r->element[i] : NULL;
		long long res = 0;

		if (e != NULL && e->type == REDIS_REPLY_ARRAY && e->elements >= 1 &&
		    e->element[0]->type == REDIS_REPLY_INTEGER)
			res = e->element[0]->integer;
		if (res > 0 && e->elements == 5) {
			outbox_contact_fill(&it->msg, e->element[1], e->element[2], e->element[3]);
			it->msg.attempt = (int)res;
			if (it->msg.by_contact && outbox_contact_phone(&it->msg, e->element[4]) != 0) {
				struct outbox_result fr = { .outcome = OUTBOX_FAILED, .error = it->msg.error };

				log_warn(
				    "not sent id=%s to=%s reason=\"%s\"", it->msg.id, it->msg.to_masked, it->msg.error);
				outbox_record(ob, &it->msg, &fr);
				continue;
			}
			ob->h.send(ob->arg, &it->msg);
			continue;
		}
		if (res < 0)
			ob->stats.not_sent++;
		outbox_item_release(it);
	}
	free(b->items);
	free(b);
}

/* --- recording ---------------------------------------------------------- */

void
outbox_record(struct outbox *ob, struct message *m, const struct outbox_result *r)
{
	struct outbox_item *it = (struct outbox_item *)m;
	long long now = outbox_now_ms(), retry_at = 0;
	enum outbox_outcome oc = r->outcome;

	snprintf(it->error, sizeof it->error, "%s", r->error != NULL ? r->error : "");
	if (oc == OUTBOX_RETRY && m->attempt >= ob->s.max_attempts) {
		snprintf(it->error, sizeof it->error, "gave up after %d attempts: %s", m->attempt,
		    r->error != NULL ? r->error : "retryable error");
		oc = OUTBOX_FAILED;
	}
	if (oc == OUTBOX_RETRY)
		retry_at = now +
		    backoff_delay_ms(
			m->attempt, ob->s.retry_base_ms, ob->s.retry_max_ms, r->retry_after_ms, outbox_random(ob));
	switch (oc) {
	case OUTBOX_SENT:
		it->outcome = "sent";
		ob->stats.sent++;
		break;
	case OUTBOX_RETRY:
		it->outcome = "retry";
		ob->stats.retried++;
		break;
	case OUTBOX_SKIPPED:
		it->outcome = "skipped";
		ob->stats.not_sent++;
		break;
	default:
		it->outcome = "failed";
		ob->stats.failed++;
		break;
	}
	/* Channel and provider names are static strings of the gateway's. */
	it->channel = r->channel != NULL ? r->channel : "";
	it->provider = r->provider != NULL ? r->provider : "";
	snprintf(it->provider_id, sizeof it->provider_id, "%s",
	    oc == OUTBOX_SENT && r->provider_id != NULL ? r->provider_id : "");
	snprintf(it->attempt_s, sizeof it->attempt_s, "%d", m->attempt);
	snprintf(it->retry_at_s, sizeof it->retry_at_s, "%lld", retry_at);
	outbox_finish_queue(it);
}

/*
 * Outcomes are written in batches: every outcome recorded during one turn
 * of the event loop goes into one finish call (up to OUTBOX_FINISH_BATCH),
 * which saves a script call and a reply per message.
 */
static void
outbox_finish_queue(struct outbox_item *it)
{
	struct outbox *ob = it->ob;

	TAILQ_INSERT_TAIL(&ob->to_record, it, entry);
	if (ob->nto_record++ == 0)
		event_active(ob->flush_ev, EV_TIMEOUT, 0);
}

static void
outbox_flush_cb(evutil_socket_t fd, short what, void *arg)
{
	struct outbox *ob = arg;

	(void)fd;
	(void)what;
	while (!TAILQ_EMPTY(&ob->to_record))
		outbox_finish_send(ob);
}

/* Sends one batch from the head of to_record. */
static void
outbox_finish_send(struct outbox *ob)
{
	struct cmdargs a = { 0 };
	struct outbox_batch *b = xcalloc(1, sizeof *b);
	struct outbox_item *it;
	size_t nitems = ob->nto_record < OUTBOX_FINISH_BATCH ? ob->nto_record : OUTBOX_FINISH_BATCH;

	b->ob = ob;
	b->items = xcalloc(nitems, sizeof *b->items);
	outbox_argv_prologue(ob, &a, SCRIPTS_FINISH, outbox_now_ms());
	cmdargs_num(&a, ob->s.msg_ttl_s);
	cmdargs_num(&a, ob->s.msg_ttl_s);
	cmdargs_num(&a, (long long)nitems);
	while (b->n < nitems && (it = TAILQ_FIRST(&ob->to_record)) != NULL) {
		const struct message *m = &it->msg;
		bool with_fields = strcmp(it->outcome, "retry") == 0 || strcmp(it->outcome, "failed") == 0;

		TAILQ_REMOVE(&ob->to_record, it, entry);
		ob->nto_record--;
		b->items[b->n++] = it;
		cmdargs_str(&a, lane_name(m->lane));
		cmdargs_str(&a, m->entry_id);
		cmdargs_str(&a, m->id);
		cmdargs_str(&a, it->outcome);
		cmdargs_str(&a, it->channel);
		cmdargs_str(&a, it->provider);
		cmdargs_str(&a, it->provider_id);
		cmdargs_str(&a, it->error);
		cmdargs_str(&a, it->attempt_s);
		cmdargs_str(&a, it->retry_at_s);
		cmdargs_str(&a, m->person);
		cmdargs_str(&a, m->campaign);
		cmdargs_str(&a, kind_name(m->kind));
		cmdargs_num(&a, with_fields ? (long long)(m->nfields * 2 + (m->has_id ? 0 : 2)) : 0);
		if (with_fields)
			outbox_argv_fields(&a, m);
	}
	if (outbox_eval(ob, &a, outbox_finish_reply, b) != 0)
		outbox_finish_reply(NULL, NULL, b);
	cmdargs_free(&a);
}

static void
outbox_finish_reply(struct redis_conn *rc, redisReply *r, void *privdata)
{
	struct outbox_batch *b = privdata;
	struct outbox *ob = b->ob;

	(void)rc;
	if (r == NULL || outbox_reply_is_error(r, "finish")) {
		/* Keep the outcomes: they are written again when Redis answers. */
		for (size_t i = 0; i < b->n; i++) {
			ob->stats.record_retries++;
			TAILQ_INSERT_TAIL(&ob->unrecorded, b->items[i], entry);
		}
	} else {
		for (size_t i = 0; i < b->n; i++)
			outbox_item_release(b->items[i]);
	}
	free(b->items);
	free(b);
}

static void
outbox_replay_cb(evutil_socket_t fd, short what, void *arg)
{
	struct outbox *ob = arg;
	struct outbox_item *it;
	size_t n = 0;

	(void)fd;
	(void)what;
	if (TAILQ_EMPTY(&ob->unrecorded) || !redis_conn_is_up(ob->cmd))
		return;
	while ((it = TAILQ_FIRST(&ob->unrecorded)) != NULL) {
		TAILQ_REMOVE(&ob->unrecorded, it, entry);
		n++;
		outbox_finish_queue(it);
	}
	log_info("recording outcomes again after a Redis error count=%zu", n);
}

void
outbox_release(struct outbox *ob, struct message *m)
{
	(void)ob;
	outbox_item_release((struct outbox_item *)m);
}

/* --- reclaiming and the schedule ---------------------------------------- */

static void
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
		for (int j = 0; j < 8; j++)
			lens[j] = strlen(argv[j]);
		if (redis_conn_command(ob->cmd, outbox_reclaim_reply, call, 8, argv, lens) != 0) {
			free(call);
			return;
		}
	}
}

static void
outbox_reclaim_reply(struct redis_conn *rc, redisReply *r, void *privdata)
{
	struct outbox_claim_call *call = privdata;
	struct outbox *ob = call->ob;
	enum lane lane = call->lane;

	(void)rc;
	free(call);
	if (outbox_reply_is_error(r, "XAUTOCLAIM") || r->type != REDIS_REPLY_ARRAY || r->elements < 2)
		return;
	if (r->element[0]->type == REDIS_REPLY_STRING)
		snprintf(ob->claim_cursor[lane], sizeof ob->claim_cursor[lane], "%s", r->element[0]->str);
	if (r->element[1]->type != REDIS_REPLY_ARRAY || r->element[1]->elements == 0)
		return;
	log_info("reclaimed idle entries lane=%s count=%zu", lane_name(lane), r->element[1]->elements);
	outbox_take_entries(ob, lane, r->element[1], true);
}

static void
outbox_due_cb(evutil_socket_t fd, short what, void *arg)
{
	struct outbox *ob = arg;
	struct cmdargs a = { 0 };

	(void)fd;
	(void)what;
	if (ob->stopping || ob->due_outstanding || !redis_conn_is_up(ob->cmd))
		return;
	outbox_argv_prologue(ob, &a, SCRIPTS_DUE, outbox_now_ms());
	cmdargs_num(&a, 1000);
	if (outbox_eval(ob, &a, outbox_due_reply, ob) == 0)
		ob->due_outstanding = true;
	cmdargs_free(&a);
}

static void
outbox_due_reply(struct redis_conn *rc, redisReply *r, void *privdata)
{
	struct outbox *ob = privdata;

	(void)rc;
	ob->due_outstanding = false;
	if (outbox_reply_is_error(r, "due") || r->type != REDIS_REPLY_INTEGER)
		return;
	if (r->integer > 0)
		log_debug("scheduled messages due count=%lld", r->integer);
	if (r->integer >= 1000)
		outbox_due_cb(-1, 0, ob); /* more are due: keep going */
}
