/*
 * The outbox's side roads: entries parked until their not_before, parked
 * messages moved back into their lane when due (the schedule poll),
 * malformed entries dead-lettered, and pending entries a producer deleted
 * from their stream ended visibly. Each is its own script call; an entry
 * whose call fails stays pending and is read again.
 */
#include "queues/outbox_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/util/log.h"
#include "gateway/util/xmalloc.h"

static void outbox_side_reply(redisReply *r, void *arg);
static void outbox_lost_send(struct outbox_lost_call *call);
static void outbox_lost_call_free(struct outbox_lost_call *call);
static void outbox_lost_reply(redisReply *r, void *arg);
static void outbox_due_reply(redisReply *r, void *arg);

size_t
outbox_fields_count(const struct message *m)
{
	return m->nkept * 2 + (!m->has_id && m->id != NULL ? 2 : 0);
}

void
outbox_call_fields(struct script_call *c, const struct message *m)
{
	static const char *const id_field[1] = { "id" };

	script_call_values(c, (const char *const *)m->fields, m->field_lens, m->nkept * 2);
	if (!m->has_id && m->id != NULL) {
		script_call_values(c, id_field, NULL, 1);
		script_call_values(c, (const char *const *)&m->id, NULL, 1);
	}
}

/* The reply of a schedule or reject call about one item. */
static void
outbox_side_reply(redisReply *r, void *arg)
{
	struct outbox_item *it = arg;
	const redisReply *e = r != NULL && r->type == REDIS_REPLY_ARRAY && r->elements >= 1 ? r->element[0] : NULL;

	if (e != NULL && e->type == REDIS_REPLY_INTEGER && e->integer == SCRIPTS_R_ERROR && r->elements >= 2 &&
	    !outbox_transient(r->element[1])) {
		outbox_poison(it, r->element[1]->str, r->element[1]->len);
		return;
	}
	/* On failure the entry stays pending in Redis and is read again later. */
	if (e == NULL && r != NULL)
		(void)outbox_reply_failed(r, "schedule/reject");
	if (e != NULL && e->type == REDIS_REPLY_INTEGER && e->integer == SCRIPTS_R_DUPLICATE) {
		it->ob->stats.not_sent++;
		log_info("duplicate id, not sent id=%s entry=%s", it->msg.kid, it->msg.entry_id);
	}
	outbox_item_release(it);
}

void
outbox_schedule(struct outbox_item *it, long long due_ms)
{
	struct outbox *ob = it->ob;
	struct script_call *c = outbox_call(ob, SCRIPTS_SCHEDULE);
	const struct message *m = &it->msg;
	const char *head[SCRIPTS_SCHEDULE_H_COUNT], *item[SCRIPTS_SCHEDULE_I_COUNT];

	head[SCRIPTS_SCHEDULE_H_ttl] = script_call_num(c, ob->s.msg_ttl_s);
	script_call_head(c, head);
	item[SCRIPTS_SCHEDULE_I_lane] = lane_name(m->lane);
	item[SCRIPTS_SCHEDULE_I_entry] = m->entry_id;
	item[SCRIPTS_SCHEDULE_I_id] = m->id;
	item[SCRIPTS_SCHEDULE_I_kid] = m->kid;
	item[SCRIPTS_SCHEDULE_I_person] = m->person;
	item[SCRIPTS_SCHEDULE_I_campaign] = m->campaign;
	item[SCRIPTS_SCHEDULE_I_ckey] = m->ckey;
	item[SCRIPTS_SCHEDULE_I_kind] = kind_name(m->kind);
	item[SCRIPTS_SCHEDULE_I_channel] = channel_name(m->channel);
	item[SCRIPTS_SCHEDULE_I_due] = script_call_num(c, due_ms);
	item[SCRIPTS_SCHEDULE_I_nf] = script_call_num(c, (long long)outbox_fields_count(m));
	script_call_item(c, item, NULL);
	outbox_call_fields(c, m);
	if (script_call_send(c, ob->cmd, outbox_side_reply, it) != 0)
		outbox_item_release(it);
}

void
outbox_reject(struct outbox_item *it)
{
	struct outbox *ob = it->ob;
	struct script_call *c = outbox_call(ob, SCRIPTS_REJECT);
	const struct message *m = &it->msg;
	const char *item[SCRIPTS_REJECT_I_COUNT];
	/* A campaign that failed validation is neither counted nor used in a key. */
	bool campaign_ok = m->ckey != NULL;

	script_call_head(c, NULL);
	item[SCRIPTS_REJECT_I_lane] = lane_name(m->lane);
	item[SCRIPTS_REJECT_I_entry] = m->entry_id;
	item[SCRIPTS_REJECT_I_reason] = m->error;
	item[SCRIPTS_REJECT_I_id] = m->has_id && m->id != NULL ? m->id : "";
	item[SCRIPTS_REJECT_I_campaign] = campaign_ok ? m->campaign : "";
	item[SCRIPTS_REJECT_I_ckey] = campaign_ok ? m->ckey : "";
	item[SCRIPTS_REJECT_I_nf] = script_call_num(c, (long long)m->nkept * 2);
	script_call_item(c, item, NULL);
	script_call_values(c, (const char *const *)m->fields, m->field_lens, m->nkept * 2);
	if (script_call_send(c, ob->cmd, outbox_side_reply, it) != 0)
		outbox_item_release(it);
}

/* --- entries deleted while pending --------------------------------------- */

/*
 * XAUTOCLAIM drops the deleted ids it reports from the pending list, so
 * nothing would report them again: a call that Redis did not take is kept
 * and sent again (the script counts each entry once).
 */
struct outbox_lost_call {
	struct outbox *ob;
	enum lane lane;
	size_t n;
	char **entries;
	TAILQ_ENTRY(outbox_lost_call) entry;
};

void
outbox_lost(struct outbox *ob, enum lane lane, const char *const *entries, size_t n)
{
	struct outbox_lost_call *call = xcalloc(1, sizeof *call);

	log_warn("pending entries were deleted from their stream (trimmed by a producer?) lane=%s count=%zu",
	    lane_name(lane), n);
	call->ob = ob;
	call->lane = lane;
	call->n = n;
	/* Copied: the reply the ids came in is gone before this call's reply comes. */
	call->entries = xcalloc(n, sizeof *call->entries);
	for (size_t i = 0; i < n; i++)
		call->entries[i] = xstrdup(entries[i]);
	outbox_lost_send(call);
}

static void
outbox_lost_send(struct outbox_lost_call *call)
{
	struct outbox *ob = call->ob;
	struct script_call *c = outbox_call(ob, SCRIPTS_LOST);
	const char *head[SCRIPTS_LOST_H_COUNT];

	head[SCRIPTS_LOST_H_lane] = lane_name(call->lane);
	head[SCRIPTS_LOST_H_ttl] = script_call_num(c, ob->s.msg_ttl_s);
	script_call_head(c, head);
	for (size_t i = 0; i < call->n; i++) {
		const char *item[SCRIPTS_LOST_I_COUNT];

		item[SCRIPTS_LOST_I_entry] = call->entries[i];
		script_call_item(c, item, NULL);
	}
	/* Counted before it is sent: a call that cannot be sent is answered (and uncounted) at once. */
	ob->lost_outstanding++;
	if (script_call_send(c, ob->cmd, outbox_lost_reply, call) != 0)
		outbox_lost_reply(NULL, call);
}

static void
outbox_lost_reply(redisReply *r, void *arg)
{
	struct outbox_lost_call *call = arg;
	struct outbox *ob = call->ob;

	ob->lost_outstanding--;
	if (!ob->freeing && (r == NULL || outbox_transient(r))) {
		if (r != NULL)
			(void)outbox_reply_failed(r, "lost");
		TAILQ_INSERT_TAIL(&ob->lost_retry, call, entry);
		outbox_check_drained(ob);
		return;
	}
	if (r != NULL && r->type == REDIS_REPLY_ARRAY) {
		struct outbox_lost_call *again = NULL;
		size_t item = 0;

		/* One result per entry, in order; an error is two elements (the code, then Redis's message). */
		for (size_t i = 0; i < r->elements && item < call->n; i++, item++) {
			const redisReply *e = r->element[i];

			if (e->type == REDIS_REPLY_INTEGER && e->integer == SCRIPTS_R_DONE)
				ob->stats.trimmed++;
			if (e->type != REDIS_REPLY_INTEGER || e->integer != SCRIPTS_R_ERROR || i + 1 >= r->elements)
				continue;
			e = r->element[++i];
			log_warn("cannot end the message of a deleted entry entry=%s reason=\"%.*s\"",
			    call->entries[item], (int)(e->len > 200 ? 200 : e->len), e->str != NULL ? e->str : "");
			if (!outbox_transient(e))
				continue;
			/* Redis full, say: the entry may be off every pending list, so it is kept here. */
			if (again == NULL) {
				again = xcalloc(1, sizeof *again);
				again->ob = ob;
				again->lane = call->lane;
				again->entries = xcalloc(call->n, sizeof *again->entries);
			}
			again->entries[again->n++] = call->entries[item];
			call->entries[item] = NULL;
		}
		if (again != NULL)
			TAILQ_INSERT_TAIL(&ob->lost_retry, again, entry);
	} else if (r != NULL)
		(void)outbox_reply_failed(r, "lost");
	outbox_lost_call_free(call);
	if (!ob->freeing)
		outbox_check_drained(ob);
}

static void
outbox_lost_call_free(struct outbox_lost_call *call)
{
	for (size_t i = 0; i < call->n; i++)
		free(call->entries[i]);
	free(call->entries);
	free(call);
}

void
outbox_lost_forget(struct outbox *ob)
{
	struct outbox_lost_call *call;

	while ((call = TAILQ_FIRST(&ob->lost_retry)) != NULL) {
		TAILQ_REMOVE(&ob->lost_retry, call, entry);
		outbox_lost_call_free(call);
	}
}

void
outbox_lost_retry(struct outbox *ob)
{
	struct outbox_lost_call *call;
	struct outbox_lost_call_list calls = TAILQ_HEAD_INITIALIZER(calls);

	if (TAILQ_EMPTY(&ob->lost_retry) || !redis_conn_is_up(ob->cmd))
		return;
	TAILQ_CONCAT(&calls, &ob->lost_retry, entry);
	while ((call = TAILQ_FIRST(&calls)) != NULL) {
		TAILQ_REMOVE(&calls, call, entry);
		outbox_lost_send(call);
	}
}

/* --- the schedule --------------------------------------------------------- */

void
outbox_due_cb(evutil_socket_t fd, short what, void *arg)
{
	struct outbox *ob = arg;
	struct script_call *c;
	const char *head[SCRIPTS_DUE_H_COUNT];

	(void)fd;
	(void)what;
	if (ob->stopping || ob->due_outstanding || !redis_conn_is_up(ob->cmd))
		return;
	c = outbox_call(ob, SCRIPTS_DUE);
	head[SCRIPTS_DUE_H_limit] = "1000";
	script_call_head(c, head);
	if (script_call_send(c, ob->cmd, outbox_due_reply, ob) == 0)
		ob->due_outstanding = true;
}

static void
outbox_due_reply(redisReply *r, void *arg)
{
	struct outbox *ob = arg;

	ob->due_outstanding = false;
	if (outbox_reply_failed(r, "due") || r->type != REDIS_REPLY_INTEGER)
		return;
	if (r->integer > 0)
		log_debug("scheduled messages due count=%lld", r->integer);
	if (r->integer >= 1000)
		outbox_due_cb(-1, 0, ob); /* more are due: keep going */
}
