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
#include "queues/keys.h"
#include "queues/redis_conn.h"
#include "queues/script_call.h"

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
	struct script_common sc;
	struct redis_conn *conn;
	struct event *flush_ev;
	struct receipts_sub_list queue;
};

static void receipts_flush_cb(evutil_socket_t fd, short what, void *arg);
static void receipts_send(struct receipts *r, bool inbound);
static void receipts_reply(redisReply *reply, void *arg);
static void receipts_sub_unref(struct receipts_sub *sub);
static size_t receipts_countable(const struct receipts_sub *sub, bool inbound);
static void receipts_add_inbound(struct script_call *c, const struct receipts_sub *sub);
static void receipts_add_status(struct script_call *c, const struct receipts_sub *sub);

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
	r->sc.prefix = r->prefix;
	r->sc.group = r->group;
	r->sc.consumer = "";
	r->sc.log_maxlen = s->log_maxlen;
	r->conn = redis_conn_new(base, s->target, "receipts", 10000, NULL, NULL, r);
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

/* Sends the queue's statuses (or inbound messages) in calls of up to RECEIPTS_BATCH events. */
static void
receipts_send(struct receipts *r, bool inbound)
{
	struct receipts_sub *sub = TAILQ_FIRST(&r->queue);

	while (sub != NULL) {
		struct receipts_call *call = xcalloc(1, sizeof *call);
		struct script_call *c = script_call_new(inbound ? SCRIPTS_INBOUND : SCRIPTS_STATUS, &r->sc);
		size_t events = 0, capsubs = 0;

		call->r = r;
		call->inbound = inbound;
		if (inbound) {
			const char *head[SCRIPTS_INBOUND_H_COUNT];

			head[SCRIPTS_INBOUND_H_ttl] = script_call_num(c, r->s.dedup_ttl_s);
			head[SCRIPTS_INBOUND_H_inbox_maxlen] = script_call_num(c, r->s.inbox_maxlen);
			script_call_head(c, head);
		} else {
			const char *head[SCRIPTS_STATUS_H_COUNT];

			head[SCRIPTS_STATUS_H_ttl] = script_call_num(c, r->s.early_ttl_s);
			script_call_head(c, head);
		}
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
			if (inbound)
				receipts_add_inbound(c, sub);
			else
				receipts_add_status(c, sub);
		}
		if (call->nsubs == 0) {
			script_call_free(c);
			free(call);
			break;
		}
		for (size_t i = 0; i < call->nsubs; i++)
			call->subs[i]->calls++;
		if (script_call_send(c, r->conn, receipts_reply, call) != 0)
			receipts_reply(NULL, call);
	}
}

static void
receipts_add_inbound(struct script_call *c, const struct receipts_sub *sub)
{
	for (size_t i = 0; i < sub->ninbound; i++) {
		const struct receipts_inbound *in = &sub->inbound[i];
		const char *item[SCRIPTS_INBOUND_I_COUNT];

		item[SCRIPTS_INBOUND_I_provider] = sub->provider;
		item[SCRIPTS_INBOUND_I_channel] = sub->channel;
		item[SCRIPTS_INBOUND_I_pid] = in->ev->provider_id;
		item[SCRIPTS_INBOUND_I_pkey] =
		    script_call_take(c, keys_encode(in->ev->provider_id, strlen(in->ev->provider_id)));
		item[SCRIPTS_INBOUND_I_person] = in->person;
		item[SCRIPTS_INBOUND_I_phone] = in->ev->from;
		item[SCRIPTS_INBOUND_I_text] = in->ev->text != NULL ? in->ev->text : "";
		item[SCRIPTS_INBOUND_I_time] = script_call_num(c, in->ev->time_s);
		item[SCRIPTS_INBOUND_I_mtype] = in->ev->type;
		item[SCRIPTS_INBOUND_I_locale] = in->locale != NULL ? in->locale : "";
		script_call_item(c, item, NULL);
	}
}

static void
receipts_add_status(struct script_call *c, const struct receipts_sub *sub)
{
	for (size_t i = 0; i < sub->nstatus; i++) {
		const struct status_event *st = &sub->status[i];
		const char *item[SCRIPTS_STATUS_I_COUNT];

		if (st->status == DELIVERY_NONE)
			continue;
		item[SCRIPTS_STATUS_I_provider] = sub->provider;
		item[SCRIPTS_STATUS_I_pid] = st->provider_id;
		item[SCRIPTS_STATUS_I_pkey] =
		    script_call_take(c, keys_encode(st->provider_id, strlen(st->provider_id)));
		item[SCRIPTS_STATUS_I_status] = delivery_name(st->status);
		item[SCRIPTS_STATUS_I_err] = st->error;
		item[SCRIPTS_STATUS_I_optout] = st->optout ? "provider" : "";
		script_call_item(c, item, NULL);
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

/*
 * Each event's result, in order. An event Redis refuses for a reason of
 * its own (out of memory) fails its submission, so the provider sends it
 * again; one refused for what it touches (a key of the wrong type) is
 * logged and counted, and does not hold the others back for ever.
 */
static void
receipts_reply(redisReply *reply, void *arg)
{
	struct receipts_call *call = arg;
	size_t k = 0;
	bool ok = reply != NULL && reply->type == REDIS_REPLY_ARRAY;

	if (reply != NULL && reply->type == REDIS_REPLY_ERROR)
		log_warn("redis error op=%s reason=\"%.*s\"", call->inbound ? "inbound" : "status",
		    (int)(reply->len > 200 ? 200 : reply->len), reply->str);
	for (size_t i = 0; i < call->nsubs; i++) {
		struct receipts_sub *sub = call->subs[i];
		size_t n = receipts_countable(sub, call->inbound);

		for (size_t j = 0; j < n; j++) {
			const redisReply *e = ok && k < reply->elements ? reply->element[k++] : NULL;
			long long v = e != NULL && e->type == REDIS_REPLY_INTEGER ? e->integer : SCRIPTS_R_ERROR;

			if (v == SCRIPTS_R_ERROR) {
				const redisReply *why =
				    ok && e != NULL && k < reply->elements ? reply->element[k++] : NULL;

				if (why == NULL || why->type != REDIS_REPLY_STRING ||
				    script_call_error_is_transient(why->str, why->len)) {
					sub->out.ok = false;
				} else {
					log_error("a receipt cannot be recorded provider=%s reason=\"%.*s\"",
					    sub->provider, (int)(why->len > 200 ? 200 : why->len), why->str);
					sub->out.failed++;
				}
			} else if (call->inbound) {
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
		receipts_sub_unref(sub);
	}
	free(call->subs);
	free(call);
}
