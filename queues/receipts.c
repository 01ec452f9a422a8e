/*
 * Status callbacks and inbound messages into Redis, through the status and
 * inbound scripts (queues/scripts.c) on a connection of their own, so that
 * a burst of webhooks never waits behind the send pipeline's commands.
 * Submissions made in one turn of the loop share one call per script.
 */
#include "queues/receipts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/time.h>

#include "gateway/util/log.h"
#include "gateway/util/xmalloc.h"
#include "queues/cmdargs.h"
#include "queues/redis_conn.h"
#include "queues/scripts.h"

/* Most events in one script call; a script holds Redis for its whole run. */
#define RECEIPTS_BATCH 512

struct receipts_sub {
	const char *provider, *channel;
	const struct status_event *status;
	size_t nstatus;
	const struct receipts_inbound *inbound;
	size_t ninbound;
	receipts_done_cb *done;
	void *arg;
	struct receipts_outcome out;
	int calls; /* script calls not yet answered */
	TAILQ_ENTRY(receipts_sub) entry;
};
TAILQ_HEAD(receipts_sub_list, receipts_sub);

/* One script call and the submissions whose events it carries, in order. */
struct receipts_call {
	struct receipts *r;
	bool inbound;
	struct receipts_sub **subs;
	size_t nsubs;
};

struct receipts {
	struct receipts_settings s;
	char *prefix, *group;
	struct redis_conn *conn;
	struct event *flush_ev;
	struct receipts_sub_list queue;
};

static void receipts_conn_up(struct redis_conn *rc, void *arg);
static void receipts_flush_cb(evutil_socket_t fd, short what, void *arg);
static void receipts_send(struct receipts *r, bool inbound);
static void receipts_reply(struct redis_conn *rc, redisReply *reply, void *privdata);
static void receipts_sub_unref(struct receipts_sub *sub);
static void receipts_prologue(struct receipts *r, struct cmdargs *a, enum scripts_id id);
static size_t receipts_countable(const struct receipts_sub *sub, bool inbound);

struct receipts *
receipts_new(struct event_base *base, const struct receipts_settings *s)
{
	struct receipts *r = xcalloc(1, sizeof *r);

	r->s = *s;
	r->prefix = xstrdup(s->prefix);
	r->group = xstrdup(s->group);
	r->s.prefix = r->prefix;
	r->s.group = r->group;
	TAILQ_INIT(&r->queue);
	r->conn = redis_conn_new(base, s->target, "receipts", 10000, receipts_conn_up, NULL, r);
	if ((r->flush_ev = event_new(base, -1, 0, receipts_flush_cb, r)) == NULL)
		fatalx("cannot create the receipts flush event");
	return r;
}

void
receipts_start(struct receipts *r)
{
	redis_conn_start(r->conn);
}

void
receipts_free(struct receipts *r)
{
	struct receipts_sub *sub;

	if (r == NULL)
		return;
	/* Fail what never reached Redis, so every caller hears back once. */
	while ((sub = TAILQ_FIRST(&r->queue)) != NULL) {
		TAILQ_REMOVE(&r->queue, sub, entry);
		sub->out.ok = false;
		sub->done(sub->arg, &sub->out);
		free(sub);
	}
	redis_conn_free(r->conn);
	event_free(r->flush_ev);
	free(r->prefix);
	free(r->group);
	free(r);
}

bool
receipts_up(const struct receipts *r)
{
	return redis_conn_is_up(r->conn);
}

unsigned long
receipts_reconnects(const struct receipts *r)
{
	return redis_conn_reconnects(r->conn);
}

static void
receipts_conn_up(struct redis_conn *rc, void *arg)
{
	struct receipts *r = arg;
	const enum scripts_id ids[] = { SCRIPTS_STATUS, SCRIPTS_INBOUND };

	(void)rc;
	/* A restarted Redis has no scripts; loading is idempotent across connections. */
	for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
		const char *argv[3] = { "SCRIPT", "LOAD", scripts_text(ids[i]) };
		size_t lens[3] = { 6, 4, strlen(argv[2]) };

		if (redis_conn_command(r->conn, receipts_reply, NULL, 3, argv, lens) != 0)
			return;
	}
}

int
receipts_submit(struct receipts *r, const char *provider, const char *channel, const struct status_event *status,
    size_t nstatus, const struct receipts_inbound *inbound, size_t ninbound, receipts_done_cb *done, void *arg)
{
	struct receipts_sub *sub;

	if (!redis_conn_is_up(r->conn))
		return -1;
	sub = xcalloc(1, sizeof *sub);
	sub->provider = provider;
	sub->channel = channel;
	sub->status = status;
	sub->nstatus = nstatus;
	sub->inbound = inbound;
	sub->ninbound = ninbound;
	sub->done = done;
	sub->arg = arg;
	sub->out.ok = true;
	if (TAILQ_EMPTY(&r->queue))
		event_active(r->flush_ev, EV_TIMEOUT, 0);
	TAILQ_INSERT_TAIL(&r->queue, sub, entry);
	return 0;
}

static size_t
receipts_countable(const struct receipts_sub *sub, bool inbound)
{
	size_t n = 0;

	if (inbound)
		return sub->ninbound;
	for (size_t i = 0; i < sub->nstatus; i++)
		if (sub->status[i].status != DELIVERY_NONE)
			n++;
	return n;
}

static void
receipts_flush_cb(evutil_socket_t fd, short what, void *arg)
{
	struct receipts *r = arg;
	struct receipts_sub *sub;

	(void)fd;
	(void)what;
	/* Each submission holds one reference per call it is in, plus one while it is being placed. */
	TAILQ_FOREACH(sub, &r->queue, entry)
	sub->calls = 1;
	receipts_send(r, false);
	receipts_send(r, true);
	while ((sub = TAILQ_FIRST(&r->queue)) != NULL) {
		TAILQ_REMOVE(&r->queue, sub, entry);
		receipts_sub_unref(sub);
	}
}

static void
receipts_prologue(struct receipts *r, struct cmdargs *a, enum scripts_id id)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	scripts_call_start(
	    a, id, r->prefix, r->group, (long long)tv.tv_sec * 1000 + tv.tv_usec / 1000, r->s.log_maxlen);
}

/* Sends the queue's statuses (or inbound messages) in calls of up to RECEIPTS_BATCH events. */
static void
receipts_send(struct receipts *r, bool inbound)
{
	struct receipts_sub *sub = TAILQ_FIRST(&r->queue);

	while (sub != NULL) {
		struct receipts_call *call = xcalloc(1, sizeof *call);
		struct cmdargs a = { 0 };
		size_t events = 0, capsubs = 0;
		int nslot;

		call->r = r;
		call->inbound = inbound;
		receipts_prologue(r, &a, inbound ? SCRIPTS_INBOUND : SCRIPTS_STATUS);
		if (inbound) {
			cmdargs_num(&a, r->s.dedup_ttl_s);
			cmdargs_num(&a, r->s.inbox_maxlen);
		} else
			cmdargs_num(&a, r->s.early_ttl_s);
		nslot = a.n;
		cmdargs_str(&a, "0"); /* the count, set below */
		/* A submission is never split: its reply is read in one place. */
		for (; sub != NULL && (events == 0 || events + receipts_countable(sub, inbound) <= RECEIPTS_BATCH);
		     sub = TAILQ_NEXT(sub, entry)) {
			size_t n = receipts_countable(sub, inbound);

			if (n == 0)
				continue;
			if (call->nsubs == capsubs) {
				capsubs = capsubs == 0 ? 8 : capsubs * 2;
				call->subs = xreallocarray(call->subs, capsubs, sizeof *call->subs);
			}
			call->subs[call->nsubs++] = sub;
			events += n;
			if (inbound) {
				for (size_t i = 0; i < sub->ninbound; i++) {
					const struct receipts_inbound *in = &sub->inbound[i];

					cmdargs_str(&a, sub->provider);
					cmdargs_str(&a, sub->channel);
					cmdargs_str(&a, in->ev->provider_id);
					cmdargs_str(&a, in->person);
					cmdargs_str(&a, in->ev->from);
					cmdargs_str(&a, in->ev->text != NULL ? in->ev->text : "");
					cmdargs_num(&a, in->ev->time_s);
					cmdargs_str(&a, in->ev->type);
					cmdargs_str(&a, in->locale != NULL ? in->locale : "");
				}
			} else {
				for (size_t i = 0; i < sub->nstatus; i++) {
					const struct status_event *st = &sub->status[i];

					if (st->status == DELIVERY_NONE)
						continue;
					cmdargs_str(&a, sub->provider);
					cmdargs_str(&a, st->provider_id);
					cmdargs_str(&a, delivery_name(st->status));
					cmdargs_str(&a, st->error);
				}
			}
		}
		if (call->nsubs == 0) {
			cmdargs_free(&a);
			free(call);
			break;
		}
		{
			char count[24];

			snprintf(count, sizeof count, "%zu", events);
			a.v[nslot] = count;
			a.lens[nslot] = strlen(count);
			for (size_t i = 0; i < call->nsubs; i++)
				call->subs[i]->calls++;
			if (redis_conn_command(r->conn, receipts_reply, call, a.n, a.v, a.lens) != 0)
				receipts_reply(NULL, NULL, call);
		}
		cmdargs_free(&a);
	}
}

static void
receipts_sub_unref(struct receipts_sub *sub)
{
	if (--sub->calls > 0)
		return;
	sub->done(sub->arg, &sub->out);
	free(sub);
}

static void
receipts_reply(struct redis_conn *rc, redisReply *reply, void *privdata)
{
	struct receipts_call *call = privdata;
	size_t k = 0;
	bool ok;

	(void)rc;
	if (call == NULL) { /* SCRIPT LOAD */
		if (reply == NULL || reply->type == REDIS_REPLY_ERROR)
			log_warn(
			    "redis error op=script_load reason=\"%s\"", reply != NULL ? reply->str : "connection lost");
		return;
	}
	ok = reply != NULL && reply->type == REDIS_REPLY_ARRAY;
	if (reply != NULL && reply->type == REDIS_REPLY_ERROR)
		log_warn("redis error op=%s reason=\"%.*s\"", call->inbound ? "inbound" : "status",
		    (int)(reply->len > 200 ? 200 : reply->len), reply->str);
	for (size_t i = 0; i < call->nsubs; i++) {
		struct receipts_sub *sub = call->subs[i];
		size_t n = receipts_countable(sub, call->inbound);

		if (!ok || k + n > reply->elements) {
			sub->out.ok = false;
		} else {
			for (size_t j = 0; j < n; j++, k++) {
				long long v =
				    reply->element[k]->type == REDIS_REPLY_INTEGER ? reply->element[k]->integer : -1;

				if (call->inbound) {
					if (v == 1)
						sub->out.stored++;
					else
						sub->out.duplicates++;
				} else if (v == 1)
					sub->out.recorded++;
				else if (v == 2)
					sub->out.unchanged++;
				else if (v == 3)
					sub->out.orphaned++;
				else
					sub->out.early++;
			}
		}
		receipts_sub_unref(sub);
	}
	free(call->subs);
	free(call);
}
