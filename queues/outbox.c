/*
 * The outbox's life and connections. Two Redis connections: "reader" runs
 * XREADGROUP (it blocks, so it has its own connection) and "cmd" runs the
 * scripts, XAUTOCLAIM and the timers' calls. Every message claimed is
 * "held" (counted against max_inflight and found by stream entry id) until
 * its outcome is recorded or it is released; an entry already held that is
 * seen again through XAUTOCLAIM or a pending-list read is ignored, so this
 * process never works on one entry twice.
 */
#include "queues/outbox_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/time.h>
#include <time.h>

#include "gateway/util/log.h"
#include "gateway/util/xmalloc.h"

static void outbox_cmd_up(struct redis_conn *rc, void *arg);
static void outbox_cmd_down(struct redis_conn *rc, void *arg);
static void outbox_reader_up(struct redis_conn *rc, void *arg);
static void outbox_reader_down(struct redis_conn *rc, void *arg);
static void outbox_group_reply(struct redis_conn *rc, redisReply *r, void *privdata);
static void outbox_groups_cb(evutil_socket_t fd, short what, void *arg);
static void outbox_ignore_reply(struct redis_conn *rc, redisReply *r, void *privdata);

long long
outbox_now_ms(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (long long)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

long long
outbox_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* xorshift64*, seeded from getrandom(): jitter only, not secrets. */
uint64_t
outbox_random(struct outbox *ob)
{
	ob->rng ^= ob->rng >> 12;
	ob->rng ^= ob->rng << 25;
	ob->rng ^= ob->rng >> 27;
	return ob->rng * 2685821657736338717ULL;
}

bool
outbox_reply_failed(const redisReply *r, const char *what)
{
	if (r == NULL)
		return true;
	if (r->type == REDIS_REPLY_ERROR) {
		log_warn("redis error op=%s reason=\"%.*s\"", what, (int)(r->len > 200 ? 200 : r->len), r->str);
		return true;
	}
	return false;
}

struct script_call *
outbox_call(struct outbox *ob, enum scripts_id id)
{
	return script_call_new(id, &ob->sc);
}

void
outbox_timer(struct event *ev, long ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	evtimer_add(ev, &tv);
}

struct outbox *
outbox_new(struct event_base *base, const struct outbox_settings *s, const struct outbox_handlers *h, void *arg)
{
	struct outbox *ob = xcalloc(1, sizeof *ob);
	long reply_timeout = 10000, slack;

	ob->base = base;
	ob->s = *s;
	ob->h = *h;
	ob->arg = arg;
	ob->prefix = xstrdup(s->prefix);
	ob->group = xstrdup(s->group);
	ob->consumer = xstrdup(s->consumer);
	ob->pseudonyms = phone_key_new(s->pseudonym_key != NULL ? s->pseudonym_key : "");
	ob->s.prefix = ob->sc.prefix = ob->prefix;
	ob->s.group = ob->sc.group = ob->group;
	ob->s.consumer = ob->sc.consumer = ob->consumer;
	ob->sc.log_maxlen = s->log_maxlen;
	ob->s.pseudonym_key = NULL; /* only ob->pseudonyms holds it */
	if (ob->s.block_ms <= 0)
		ob->s.block_ms = 1000;
	if (ob->s.due_poll_ms <= 0)
		ob->s.due_poll_ms = 200;
	/*
	 * Claims are renewed often enough that a message can always start
	 * within the slack claim_idle_ms leaves over attempt_ms (config
	 * refuses a claim_idle_ms that leaves none).
	 */
	slack = ob->s.claim_idle_ms - ob->s.attempt_ms;
	ob->renew_ms = ob->s.claim_idle_ms / 4;
	if (slack / 3 < ob->renew_ms)
		ob->renew_ms = slack / 3;
	if (ob->renew_ms < 20)
		ob->renew_ms = 20;
	for (int i = 0; i < LANE_COUNT; i++) {
		ob->keys[i] = xasprintf("%soutbox:%s", ob->prefix, lane_name((enum lane)i));
		snprintf(ob->claim_cursor[i], sizeof ob->claim_cursor[i], "0-0");
	}
	strset_init(&ob->held_ids);
	TAILQ_INIT(&ob->held_list);
	TAILQ_INIT(&ob->unrecorded);
	TAILQ_INIT(&ob->to_record);
	TAILQ_INIT(&ob->lost_retry);
	if (getrandom(&ob->rng, sizeof ob->rng, 0) != (ssize_t)sizeof ob->rng || ob->rng == 0)
		ob->rng = (uint64_t)outbox_now_ms() | 1;
	ob->cmd = redis_conn_new(base, s->target, "cmd", reply_timeout, outbox_cmd_up, outbox_cmd_down, ob);
	ob->reader = redis_conn_new(
	    base, s->target, "reader", reply_timeout + ob->s.block_ms, outbox_reader_up, outbox_reader_down, ob);
	ob->reclaim_ev = event_new(base, -1, EV_PERSIST, outbox_reclaim_cb, ob);
	ob->due_ev = event_new(base, -1, EV_PERSIST, outbox_due_cb, ob);
	ob->read_retry_ev = evtimer_new(base, outbox_read_retry_cb, ob);
	ob->groups_ev = evtimer_new(base, outbox_groups_cb, ob);
	ob->replay_ev = event_new(base, -1, EV_PERSIST, outbox_replay_cb, ob);
	ob->lease_ev = event_new(base, -1, EV_PERSIST, outbox_lease_cb, ob);
	ob->flush_ev = event_new(base, -1, 0, outbox_flush_cb, ob);
	if (ob->reclaim_ev == NULL || ob->due_ev == NULL || ob->read_retry_ev == NULL || ob->replay_ev == NULL ||
	    ob->groups_ev == NULL || ob->lease_ev == NULL || ob->flush_ev == NULL)
		fatalx("outbox_new: cannot create timers");
	return ob;
}

void
outbox_start(struct outbox *ob)
{
	long every = ob->s.claim_idle_ms / 2;

	outbox_timer(ob->reclaim_ev, every < 100 ? 100 : every);
	outbox_timer(ob->due_ev, ob->s.due_poll_ms);
	outbox_timer(ob->replay_ev, 1000);
	outbox_timer(ob->lease_ev, ob->renew_ms);
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

void
outbox_check_drained(struct outbox *ob)
{
	if (!ob->stopping || ob->drained_sent || ob->held != 0 || ob->read_outstanding)
		return;
	/* Deleted entries XAUTOCLAIM reported are on no pending list: recorded before the end, if Redis lets. */
	if (ob->lost_outstanding > 0 || (!TAILQ_EMPTY(&ob->lost_retry) && redis_conn_is_up(ob->cmd)))
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
	ob->freeing = true;
	ob->stopping = true;
	ob->drained_sent = true;
	/* Freeing the connections fails their pending callbacks, which release items. */
	redis_conn_free(ob->reader);
	redis_conn_free(ob->cmd);
	ob->reader = ob->cmd = NULL;
	while ((it = TAILQ_FIRST(&ob->unrecorded)) != NULL) {
		TAILQ_REMOVE(&ob->unrecorded, it, queue);
		outbox_item_release(it);
	}
	while ((it = TAILQ_FIRST(&ob->to_record)) != NULL) {
		TAILQ_REMOVE(&ob->to_record, it, queue);
		outbox_item_release(it);
	}
	if (ob->held != 0)
		log_warn("outbox freed with messages held held=%zu (they stay pending in Redis)", ob->held);
	while ((it = TAILQ_FIRST(&ob->held_list)) != NULL)
		outbox_item_release(it);
	if (!TAILQ_EMPTY(&ob->lost_retry))
		log_warn("outbox freed with deleted entries not yet recorded (their messages stay claimed)");
	outbox_lost_forget(ob);
	event_free(ob->reclaim_ev);
	event_free(ob->due_ev);
	event_free(ob->read_retry_ev);
	event_free(ob->groups_ev);
	event_free(ob->replay_ev);
	event_free(ob->lease_ev);
	event_free(ob->flush_ev);
	for (int i = 0; i < LANE_COUNT; i++)
		free(ob->keys[i]);
	strset_free(&ob->held_ids);
	free(ob->prefix);
	free(ob->group);
	free(ob->consumer);
	phone_key_free(ob->pseudonyms);
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

void
outbox_item_release(struct outbox_item *it)
{
	struct outbox *ob = it->ob;

	strset_del(&ob->held_ids, it->held_key);
	TAILQ_REMOVE(&ob->held_list, it, held);
	ob->held--;
	message_free(&it->msg);
	free(it->provider_id);
	free(it->pkey);
	free(it->error);
	free(it);
	if (ob->freeing)
		return;
	outbox_read_more(ob);
	outbox_check_drained(ob);
}

void
outbox_release(struct outbox *ob, struct message *m)
{
	(void)ob;
	outbox_item_release((struct outbox_item *)m);
}

enum outbox_lease
outbox_lease(struct outbox *ob, struct message *m)
{
	struct outbox_item *it = (struct outbox_item *)m;

	if (it->lost) {
		ob->stats.lease_lost++;
		log_warn("another process took this message over: not sending it here id=%s", m->kid);
		return OUTBOX_LEASE_LOST;
	}
	/*
	 * The claim (or its last renewal) reset the entry's idle time no
	 * earlier than lease_ms, so no live process can take it over before
	 * lease_ms + claim_idle_ms: the attempt must end before that.
	 */
	if (outbox_mono_ms() - it->lease_ms + ob->s.attempt_ms < ob->s.claim_idle_ms)
		return OUTBOX_LEASE_OK;
	if (it->gone) {
		/*
		 * A producer deleted its entry: the claim cannot be renewed, and
		 * another process would find it deleted once it is idle long
		 * enough. Ended here, visibly, rather than sent late.
		 */
		const char *entry = m->entry_id;

		outbox_lost(ob, m->lane, &entry, 1);
		return OUTBOX_LEASE_LOST;
	}
	if (!ob->lease_wanted) {
		ob->lease_wanted = true;
		if (ob->leases_outstanding == 0)
			event_active(ob->lease_ev, EV_TIMEOUT, 0);
	}
	return OUTBOX_LEASE_STALE;
}

/* --- connections ------------------------------------------------------- */

static void
outbox_cmd_up(struct redis_conn *rc, void *arg)
{
	struct outbox *ob = arg;

	(void)rc;
	/* Loaded first so that the calls that follow find them (NOSCRIPT is handled, but costs a round trip). */
	for (int i = 0; i < SCRIPTS_COUNT; i++) {
		const char *argv[3] = { "SCRIPT", "LOAD", scripts_text((enum scripts_id)i) };
		size_t lens[3] = { 6, 4, strlen(argv[2]) };

		if (redis_conn_command(ob->cmd, outbox_ignore_reply, (void *)"SCRIPT LOAD", 3, argv, lens) != 0)
			return;
	}
	outbox_create_groups(ob);
	/* Entries released while Redis was away are in our pending list: read it again. */
	outbox_read_history(ob);
	outbox_replay_cb(-1, 0, ob);
}

static void
outbox_cmd_down(struct redis_conn *rc, void *arg)
{
	struct outbox *ob = arg;

	(void)rc;
	ob->groups_ready = false;
	ob->due_outstanding = false;
	ob->leases_outstanding = 0;
}

static void
outbox_reader_up(struct redis_conn *rc, void *arg)
{
	struct outbox *ob = arg;

	(void)rc;
	outbox_read_history(ob);
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
	(void)outbox_reply_failed(r, privdata);
}

/* Groups start at 0 so entries added before the first gateway ran are read too. */
static void
outbox_groups_cb(evutil_socket_t fd, short what, void *arg)
{
	struct outbox *ob = arg;

	(void)fd;
	(void)what;
	if (!ob->stopping && redis_conn_is_up(ob->cmd) && ob->groups_pending == 0 && !ob->groups_ready)
		outbox_create_groups(ob);
}

void
outbox_create_groups(struct outbox *ob)
{
	ob->groups_ready = false;
	ob->groups_failed = false;
	ob->groups_pending = LANE_COUNT;
	for (int i = 0; i < LANE_COUNT; i++) {
		const char *argv[6] = { "XGROUP", "CREATE", ob->keys[i], ob->group, "0", "MKSTREAM" };
		size_t lens[6];

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
		if (!ob->groups_failed && !ob->groups_warned)
			log_error("cannot create consumer group, trying again every second reason=\"%.*s\"",
			    (int)(r->len > 200 ? 200 : r->len), r->str);
		ob->groups_failed = ob->groups_warned = true;
	}
	if (--ob->groups_pending > 0)
		return;
	if (ob->groups_failed) {
		/* Redis full (MKSTREAM is refused at maxmemory even for a group that exists), say: again later. */
		outbox_timer(ob->groups_ev, 1000);
		return;
	}
	ob->groups_warned = false;
	ob->groups_ready = true;
	log_info("outbox ready group=%s consumer=%s", ob->group, ob->consumer);
	outbox_read_more(ob);
}
