/*
 * Recording: the begin step (a batch of claimed entries: dedup, attempt
 * count, the facts routing needs) and the finish step (every outcome of
 * one turn of the loop, up to OUTBOX_FINISH_BATCH, in one call). A call
 * Redis refuses for reasons of its own (out of memory, a replica) is kept
 * and made again later; a call that fails for one item is split until the
 * item stands alone, and that item alone is dead-lettered as poison, so
 * one bad message never holds up the others.
 */
#include "queues/outbox_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/util/log.h"
#include "gateway/util/xmalloc.h"
#include "queues/backoff.h"
#include "queues/keys.h"

/* One script call's items, in the order they were put in. */
struct outbox_batch {
	struct outbox *ob;
	struct outbox_item **items;
	size_t n;
};

static void outbox_begin_reply(redisReply *r, void *arg);
static void outbox_begin_facts(struct outbox_item *it, const redisReply *r, size_t *k);
static void outbox_finish_queue(struct outbox_item *it);
static void outbox_finish_send(struct outbox *ob);
static void outbox_finish_reply(redisReply *r, void *arg);
static void outbox_unrecorded(struct outbox_item *it);
static void outbox_poison_reply(redisReply *r, void *arg);
static void outbox_batch_free(struct outbox_batch *b);
static const char *outbox_reply_str(const redisReply *r, size_t *len);

bool
outbox_transient(const redisReply *r)
{
	return r == NULL || (r->type == REDIS_REPLY_ERROR && script_call_error_is_transient(r->str, r->len)) ||
	    (r->type == REDIS_REPLY_STRING && script_call_error_is_transient(r->str, r->len));
}

static const char *
outbox_reply_str(const redisReply *r, size_t *len)
{
	if (r != NULL && (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_ERROR)) {
		*len = r->len;
		return r->str;
	}
	*len = 0;
	return "";
}

static void
outbox_batch_free(struct outbox_batch *b)
{
	free(b->items);
	free(b);
}

/* --- begin -------------------------------------------------------------- */

void
outbox_begin(struct outbox *ob, struct outbox_item **items, size_t n)
{
	struct script_call *c = outbox_call(ob, SCRIPTS_BEGIN);
	struct outbox_batch *b = xcalloc(1, sizeof *b);
	const char *head[SCRIPTS_BEGIN_H_COUNT];

	b->ob = ob;
	b->items = items;
	b->n = n;
	head[SCRIPTS_BEGIN_H_ttl] = script_call_num(c, ob->s.msg_ttl_s);
	script_call_head(c, head);
	for (size_t i = 0; i < n; i++) {
		struct outbox_item *it = items[i];
		const struct message *m = &it->msg;
		const char *item[SCRIPTS_BEGIN_I_COUNT];

		/* The contact record is read only when routing or the address needs it. */
		it->contact = m->by_contact || (ob->s.contacts && m->channel != CHANNEL_SMS) ||
		    (ob->s.require_consent && m->lane == LANE_BULK);
		item[SCRIPTS_BEGIN_I_lane] = lane_name(m->lane);
		item[SCRIPTS_BEGIN_I_entry] = m->entry_id;
		item[SCRIPTS_BEGIN_I_id] = m->id;
		item[SCRIPTS_BEGIN_I_kid] = m->kid;
		item[SCRIPTS_BEGIN_I_person] = m->person;
		item[SCRIPTS_BEGIN_I_campaign] = m->campaign;
		item[SCRIPTS_BEGIN_I_ckey] = m->ckey;
		item[SCRIPTS_BEGIN_I_kind] = kind_name(m->kind);
		item[SCRIPTS_BEGIN_I_contact] = it->contact ? "1" : "";
		script_call_item(c, item, NULL);
	}
	if (script_call_send(c, ob->cmd, outbox_begin_reply, b) != 0)
		outbox_begin_reply(NULL, b);
}

/* After a positive attempt number: the contact record, when asked for. */
static void
outbox_begin_facts(struct outbox_item *it, const redisReply *r, size_t *k)
{
	struct message *m = &it->msg;
	const redisReply *e;
	size_t len;
	const char *s;

	if (!it->contact)
		return;
	for (int j = 0; j < 6; j++) {
		e = *k < r->elements ? r->element[(*k)++] : NULL;
		s = outbox_reply_str(e, &len);
		switch (j) {
		case 0:
			m->wa_last_in_s = strtoll(s, NULL, 10);
			break;
		case 1:
			snprintf(m->contact_channel, sizeof m->contact_channel, "%.*s", (int)len, s);
			break;
		case 2:
			snprintf(m->contact_locale, sizeof m->contact_locale, "%.*s", (int)len, s);
			break;
		case 4:
			snprintf(m->contact_consent, sizeof m->contact_consent, "%.*s", (int)len, s);
			break;
		case 5:
			m->marketing_optout = len > 0;
			break;
		default:
			if (!m->by_contact)
				break;
			if (len == 0)
				snprintf(m->error, sizeof m->error,
				    "unknown contact: no contact record with a phone number");
			else if (phone_normalise(s, m->to, &s) != 0)
				snprintf(m->error, sizeof m->error, "contact record's phone is not valid: %s", s);
			else
				phone_mask(m->to, m->to_masked);
			break;
		}
	}
}

static void
outbox_begin_reply(redisReply *r, void *arg)
{
	struct outbox_batch *b = arg;
	struct outbox *ob = b->ob;
	const redisReply *optout;
	size_t k = 0, len;
	const char *err;

	if (r == NULL || outbox_transient(r)) {
		/* They stay pending: read again after the reconnect, or taken over when idle. */
		if (r != NULL)
			(void)outbox_reply_failed(r, "begin");
		for (size_t i = 0; i < b->n; i++)
			outbox_item_release(b->items[i]);
		goto out;
	}
	if (r->type != REDIS_REPLY_ARRAY) {
		err = outbox_reply_str(r, &len);
		log_warn("begin failed for a batch, trying its messages one by one count=%zu reason=\"%.*s\"", b->n,
		    (int)(len > 200 ? 200 : len), err);
		if (b->n == 1)
			outbox_poison(b->items[0], err, len);
		else
			for (size_t i = 0; i < b->n; i++) {
				struct outbox_item **one = xmalloc(sizeof *one);

				*one = b->items[i];
				outbox_begin(ob, one, 1);
			}
		goto out;
	}
	/* The opt-out flags come last, one per message of the batch. */
	optout = r->elements > 0 ? r->element[r->elements - 1] : NULL;
	if (optout == NULL || optout->type != REDIS_REPLY_ARRAY || optout->elements != b->n)
		optout = NULL;
	for (size_t i = 0; i < b->n; i++) {
		struct outbox_item *it = b->items[i];
		struct message *m = &it->msg;
		const redisReply *e = k < r->elements ? r->element[k++] : NULL;
		long long res = e != NULL && e->type == REDIS_REPLY_INTEGER ? e->integer : 0;

		if (res > 0 && optout == NULL) {
			/* Not the reply begin gives: the message stays pending and is read again. */
			log_error("begin answered without the opt-out flags: leaving the batch pending");
			res = 0;
		}
		if (res > 0) {
			m->attempt = (int)res;
			m->opted_out =
			    optout->element[i]->type == REDIS_REPLY_INTEGER && optout->element[i]->integer == 1;
			outbox_begin_facts(it, r, &k);
			it->phase = OUTBOX_PHASE_READY;
			if (m->error[0] != '\0') {
				log_warn("not sent id=%s to=%s reason=\"%s\"", m->kid, m->to_masked, m->error);
				outbox_record(
				    ob, m, &(struct outbox_result){ .outcome = OUTCOME_FAILED, .error = m->error });
			} else
				ob->h.send(ob->arg, m);
			continue;
		}
		if (res == SCRIPTS_R_ERROR) {
			e = k < r->elements ? r->element[k++] : NULL;
			err = outbox_reply_str(e, &len);
			if (outbox_transient(e))
				outbox_item_release(it);
			else
				outbox_poison(it, err, len);
			continue;
		}
		if (res == SCRIPTS_R_DUPLICATE) {
			ob->stats.not_sent++;
			log_info("duplicate id, not sent id=%s entry=%s", m->kid, m->entry_id);
		}
		outbox_item_release(it);
	}
out:
	outbox_batch_free(b);
}

/* --- finish ------------------------------------------------------------- */

/* The item's outcome reason, cut at OUTBOX_ERROR_MAX - 1 bytes; fmt's arguments may be the old reason. */
static void outbox_item_error(struct outbox_item *it, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
outbox_item_error(struct outbox_item *it, const char *fmt, ...)
{
	char s[OUTBOX_ERROR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s, sizeof s, fmt, ap);
	va_end(ap);
	free(it->error);
	it->error = xstrdup(s);
}

void
outbox_record(struct outbox *ob, struct message *m, const struct outbox_result *r)
{
	struct outbox_item *it = (struct outbox_item *)m;
	long long now = outbox_now_ms(), due = 0;
	enum outcome oc = r->outcome;

	it->phase = OUTBOX_PHASE_RECORDING;
	outbox_item_error(it, "%s", r->error != NULL ? r->error : "");
	if (oc == OUTCOME_RETRY && m->attempt >= ob->s.max_attempts) {
		outbox_item_error(
		    it, "gave up after %d attempts: %s", m->attempt, r->error != NULL ? r->error : "retryable error");
		oc = OUTCOME_FAILED;
	}
	if (oc == OUTCOME_RETRY) {
		due = now +
		    backoff_delay_ms(
			m->attempt, ob->s.retry_base_ms, ob->s.retry_max_ms, r->retry_after_ms, outbox_random(ob));
		if (m->expires > 0 && due >= m->expires * 1000) {
			outbox_item_error(it, "expires before the next attempt is due: %s",
			    r->error != NULL ? r->error : "retryable error");
			oc = OUTCOME_EXPIRED;
		}
	}
	if (oc == OUTCOME_DEFERRED) {
		due = r->due_ms;
		if (m->expires > 0 && due >= m->expires * 1000) {
			outbox_item_error(
			    it, "expires before it may go: %s", r->error != NULL ? r->error : "held back");
			oc = OUTCOME_EXPIRED;
		}
	}
	switch (oc) {
	case OUTCOME_SENT:
		ob->stats.sent++;
		break;
	case OUTCOME_DEFERRED:
		ob->stats.deferred++;
		break;
	case OUTCOME_RETRY:
		ob->stats.retried++;
		break;
	case OUTCOME_SKIPPED:
	case OUTCOME_EXPIRED:
		ob->stats.not_sent++;
		break;
	default:
		oc = OUTCOME_FAILED;
		ob->stats.failed++;
		break;
	}
	it->outcome = oc;
	it->channel = r->channel != CHANNEL_AUTO ? channel_name(r->channel) : "";
	it->provider = r->provider != NULL ? r->provider : "";
	{
		char pid[DOMAIN_PROVIDER_ID_MAX];

		snprintf(pid, sizeof pid, "%s", oc == OUTCOME_SENT && r->provider_id != NULL ? r->provider_id : "");
		free(it->provider_id);
		it->provider_id = xstrdup(pid);
	}
	free(it->pkey);
	it->pkey = keys_encode(it->provider_id, strlen(it->provider_id));
	snprintf(it->optout, sizeof it->optout, "%s", r->optout != NULL ? r->optout : "");
	snprintf(it->attempt_s, sizeof it->attempt_s, "%d", m->attempt);
	snprintf(it->due_s, sizeof it->due_s, "%lld", due);
	outbox_finish_queue(it);
}

/*
 * Outcomes are written in batches: every outcome recorded during one turn
 * of the event loop goes into one finish call, which saves a script call
 * and a reply per message.
 */
static void
outbox_finish_queue(struct outbox_item *it)
{
	struct outbox *ob = it->ob;

	TAILQ_INSERT_TAIL(&ob->to_record, it, queue);
	if (ob->nto_record++ == 0)
		event_active(ob->flush_ev, EV_TIMEOUT, 0);
}

void
outbox_flush_cb(evutil_socket_t fd, short what, void *arg)
{
	struct outbox *ob = arg;

	(void)fd;
	(void)what;
	while (!TAILQ_EMPTY(&ob->to_record))
		outbox_finish_send(ob);
}

/* Sends one batch from the head of to_record; an item marked alone goes in a call of its own. */
static void
outbox_finish_send(struct outbox *ob)
{
	struct script_call *c = outbox_call(ob, SCRIPTS_FINISH);
	struct outbox_batch *b = xcalloc(1, sizeof *b);
	const char *head[SCRIPTS_FINISH_H_COUNT];
	struct outbox_item *it;
	size_t cap = ob->nto_record < OUTBOX_FINISH_BATCH ? ob->nto_record : OUTBOX_FINISH_BATCH;

	b->ob = ob;
	b->items = xcalloc(cap, sizeof *b->items);
	head[SCRIPTS_FINISH_H_ttl] = script_call_num(c, ob->s.msg_ttl_s);
	head[SCRIPTS_FINISH_H_noreceipt] = ob->s.noreceipt != NULL ? ob->s.noreceipt : "";
	script_call_head(c, head);
	while (b->n < cap && (it = TAILQ_FIRST(&ob->to_record)) != NULL) {
		const struct message *m = &it->msg;
		bool fields =
		    it->outcome == OUTCOME_RETRY || it->outcome == OUTCOME_FAILED || it->outcome == OUTCOME_DEFERRED;
		const char *item[SCRIPTS_FINISH_I_COUNT];

		if (it->alone && b->n > 0)
			break;
		TAILQ_REMOVE(&ob->to_record, it, queue);
		ob->nto_record--;
		b->items[b->n++] = it;
		item[SCRIPTS_FINISH_I_lane] = lane_name(m->lane);
		item[SCRIPTS_FINISH_I_entry] = m->entry_id;
		item[SCRIPTS_FINISH_I_id] = m->id;
		item[SCRIPTS_FINISH_I_kid] = m->kid;
		item[SCRIPTS_FINISH_I_attempt] = it->attempt_s;
		item[SCRIPTS_FINISH_I_outcome] = outcome_name(it->outcome);
		item[SCRIPTS_FINISH_I_channel] = it->channel;
		item[SCRIPTS_FINISH_I_provider] = it->provider;
		item[SCRIPTS_FINISH_I_pid] = it->provider_id;
		item[SCRIPTS_FINISH_I_pkey] = it->pkey;
		item[SCRIPTS_FINISH_I_err] = it->error;
		item[SCRIPTS_FINISH_I_due] = it->due_s;
		item[SCRIPTS_FINISH_I_person] = m->person;
		item[SCRIPTS_FINISH_I_campaign] = m->campaign;
		item[SCRIPTS_FINISH_I_ckey] = m->ckey;
		item[SCRIPTS_FINISH_I_kind] = kind_name(m->kind);
		item[SCRIPTS_FINISH_I_optout] = it->optout;
		/* The campaigns a contact was sent (the inbox, a reply's campaign): kept for people addressed as contacts. */
		item[SCRIPTS_FINISH_I_rcv] = m->by_contact ? "1" : "";
		item[SCRIPTS_FINISH_I_nf] = script_call_num(c, fields ? (long long)outbox_fields_count(m) : 0);
		script_call_item(c, item, NULL);
		if (fields)
			outbox_call_fields(c, m);
		if (it->alone)
			break;
	}
	if (script_call_send(c, ob->cmd, outbox_finish_reply, b) != 0)
		outbox_finish_reply(NULL, b);
}

/* Keeps an outcome Redis did not take; it is written again when Redis answers. */
static void
outbox_unrecorded(struct outbox_item *it)
{
	it->ob->stats.record_retries++;
	TAILQ_INSERT_TAIL(&it->ob->unrecorded, it, queue);
}

static void
outbox_finish_reply(redisReply *r, void *arg)
{
	struct outbox_batch *b = arg;
	size_t k = 0, len;
	const char *err;

	if (r == NULL || outbox_transient(r)) {
		if (r != NULL)
			(void)outbox_reply_failed(r, "finish");
		for (size_t i = 0; i < b->n; i++)
			outbox_unrecorded(b->items[i]);
		goto out;
	}
	if (r->type != REDIS_REPLY_ARRAY) {
		err = outbox_reply_str(r, &len);
		log_warn("finish failed for a batch, recording its messages one by one count=%zu reason=\"%.*s\"", b->n,
		    (int)(len > 200 ? 200 : len), err);
		if (b->n == 1) {
			outbox_poison(b->items[0], err, len);
			goto out;
		}
		for (size_t i = 0; i < b->n; i++) {
			b->items[i]->alone = true;
			outbox_finish_queue(b->items[i]);
		}
		goto out;
	}
	for (size_t i = 0; i < b->n; i++) {
		struct outbox_item *it = b->items[i];
		const redisReply *e = k < r->elements ? r->element[k++] : NULL;
		long long res = e != NULL && e->type == REDIS_REPLY_INTEGER ? e->integer : SCRIPTS_R_ERROR;

		if (res != SCRIPTS_R_ERROR) {
			outbox_item_release(it);
			continue;
		}
		e = k < r->elements ? r->element[k++] : NULL;
		if (outbox_transient(e))
			outbox_unrecorded(it);
		else {
			err = outbox_reply_str(e, &len);
			outbox_poison(it, err, len);
		}
	}
out:
	outbox_batch_free(b);
}

void
outbox_replay_cb(evutil_socket_t fd, short what, void *arg)
{
	struct outbox *ob = arg;
	struct outbox_item *it;
	size_t n = 0;

	(void)fd;
	(void)what;
	outbox_lost_retry(ob);
	if (TAILQ_EMPTY(&ob->unrecorded) || !redis_conn_is_up(ob->cmd))
		return;
	while ((it = TAILQ_FIRST(&ob->unrecorded)) != NULL) {
		TAILQ_REMOVE(&ob->unrecorded, it, queue);
		n++;
		if (it->poisoned)
			outbox_poison(it, it->error, strlen(it->error)); /* set when it was poisoned */
		else
			outbox_finish_queue(it);
	}
	log_info("recording outcomes again after a Redis error count=%zu", n);
}

/* --- poison ------------------------------------------------------------- */

/*
 * A message Redis cannot record while the others of its batch can (one of
 * its keys has the wrong type, say): it is dead-lettered with Redis's
 * reason and counted, apart from its batch.
 */
void
outbox_poison(struct outbox_item *it, const char *reason, size_t len)
{
	struct outbox *ob = it->ob;
	struct script_call *c = outbox_call(ob, SCRIPTS_POISON);
	const struct message *m = &it->msg;
	const char *head[SCRIPTS_POISON_H_COUNT], *item[SCRIPTS_POISON_I_COUNT];

	if (!it->poisoned) {
		log_error("a message cannot be recorded: dead-lettering it id=%s entry=%s reason=\"%.*s\"",
		    m->kid != NULL ? m->kid : "", m->entry_id, (int)(len > 200 ? 200 : len), reason);
		outbox_item_error(it, "cannot be recorded: %.*s", (int)(len > 280 ? 280 : len), reason);
	}
	it->poisoned = true;
	it->phase = OUTBOX_PHASE_RECORDING;
	snprintf(it->attempt_s, sizeof it->attempt_s, "%d", m->attempt);
	head[SCRIPTS_POISON_H_ttl] = script_call_num(c, ob->s.msg_ttl_s);
	script_call_head(c, head);
	item[SCRIPTS_POISON_I_lane] = lane_name(m->lane);
	item[SCRIPTS_POISON_I_entry] = m->entry_id;
	item[SCRIPTS_POISON_I_id] = m->id != NULL ? m->id : "";
	item[SCRIPTS_POISON_I_kid] = m->kid != NULL ? m->kid : "";
	item[SCRIPTS_POISON_I_attempt] = it->attempt_s;
	item[SCRIPTS_POISON_I_person] = m->person;
	item[SCRIPTS_POISON_I_campaign] = m->campaign != NULL ? m->campaign : "";
	item[SCRIPTS_POISON_I_ckey] = m->ckey != NULL ? m->ckey : "";
	item[SCRIPTS_POISON_I_kind] = kind_name(m->kind);
	item[SCRIPTS_POISON_I_reason] = it->error;
	item[SCRIPTS_POISON_I_nf] = script_call_num(c, (long long)outbox_fields_count(m));
	script_call_item(c, item, NULL);
	outbox_call_fields(c, m);
	if (script_call_send(c, ob->cmd, outbox_poison_reply, it) != 0)
		outbox_poison_reply(NULL, it);
}

static void
outbox_poison_reply(redisReply *r, void *arg)
{
	struct outbox_item *it = arg;

	if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements < 1 ||
	    r->element[0]->type != REDIS_REPLY_INTEGER) {
		/* Even the dead-letter could not be written: keep it and try again with the outcomes. */
		if (r != NULL)
			(void)outbox_reply_failed(r, "poison");
		outbox_unrecorded(it);
		return;
	}
	if (r->element[0]->integer == SCRIPTS_R_DONE)
		it->ob->stats.poison++;
	else if (r->element[0]->integer == SCRIPTS_R_ERROR)
		/* Not even the dead-letter stream takes it: it stays pending, to be taken over and tried again. */
		log_error("a message can be neither recorded nor dead-lettered id=%s entry=%s reason=\"%.*s\"",
		    it->msg.kid != NULL ? it->msg.kid : "", it->msg.entry_id,
		    r->elements > 1 && r->element[1]->type == REDIS_REPLY_STRING ? (int)r->element[1]->len : 0,
		    r->elements > 1 && r->element[1]->type == REDIS_REPLY_STRING ? r->element[1]->str : "");
	outbox_item_release(it);
}
