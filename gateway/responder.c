/*
 * One batch at a time: read (new entries, blocking; this consumer's own
 * pending ones after a reconnect; every few seconds, entries another
 * process left pending too long), then each entry in turn: read the
 * person, decide, apply. Entries of one batch are handled in order, so a
 * person's messages are answered in the order they came; between
 * processes, apply refuses a plan made from a state that has changed since
 * (the conversation's version) and the entry is decided again.
 */
#include "gateway/responder.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/util/log.h"
#include "gateway/util/xmalloc.h"
#include "gateway/util/zone.h"
#include "queues/conversations.h"
#include "queues/store.h"

#define RESPONDER_GROUP "amuddu-responder"
#define RESPONDER_BATCH 64
#define RESPONDER_BLOCK_MS "2000"
/* An entry pending this long belongs to a process that died: another takes it. */
#define RESPONDER_CLAIM_IDLE_MS "30000"
#define RESPONDER_RECLAIM_EVERY_MS 10000
#define RESPONDER_RETRY_MS 1000
/* How far back the first gateway that answers starts: messages that came while it was being set up. */
#define RESPONDER_LOOKBACK_MS 300000LL
/* Times an entry is decided again when its person's state keeps changing under it. */
#define RESPONDER_CONFLICTS 5

struct responder_entry {
	char *id;                                        /* the inbox entry */
	char *person, *channel, *provider, *type, *text; /* NULL when the entry was deleted or lacks them */
};

struct responder {
	struct store *store;
	struct keywords *kw;
	char *consumer, *inbox, *prefix;
	struct responder_settings s;
	struct event *wake_ev;
	bool stopping, group_ready, busy, own_pending;
	long long last_reclaim_ms;
	struct responder_entry *batch;
	size_t n, next;
	int conflicts;
	struct responder_stats st;
};

static void responder_wake_cb(evutil_socket_t fd, short what, void *arg);
static void responder_next(struct responder *r);

static void
responder_later(struct responder *r, long ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	evtimer_add(r->wake_ev, &tv);
}

struct responder *
responder_new(struct event_base *base, const struct redis_target *t, const struct config *cfg,
    const struct catalog *cat, char *err, size_t errlen)
{
	struct responder *r;
	struct keywords *kw;
	char why[256];

	if ((kw = keywords_new(cat, why, sizeof why)) == NULL) {
		snprintf(err, errlen, "%s: keywords: %s", cfg->locales_dir, why);
		return NULL;
	}
	r = xcalloc(1, sizeof *r);
	r->kw = kw;
	r->s.catalog = cat;
	r->s.keywords = kw;
	r->s.chain = cfg->locale_fallback;
	r->s.answer = cfg->replies_on;
	r->s.menu_ttl_s = cfg->menu_ttl_s;
	r->s.max_per_minute = cfg->replies_max_per_minute;
	r->s.mute_s = cfg->replies_mute_s;
	r->s.links = (const char *const *)cfg->reply_links;
	r->s.tags = (const char *const *)cfg->reply_tags;
	r->s.hours = cfg->agent_hours;
	if (zone_days_parse(cfg->agent_days, &r->s.days, why, sizeof why) != 0)
		r->s.days = 0; /* checked with the configuration: cannot happen */
	r->store = store_new(base, t, cfg->prefix, "responder");
	r->consumer = xstrdup(cfg->consumer);
	r->prefix = xstrdup(cfg->prefix);
	r->inbox = xasprintf("%sinbox", cfg->prefix);
	r->own_pending = true;
	if ((r->wake_ev = evtimer_new(base, responder_wake_cb, r)) == NULL)
		fatalx("cannot create the responder's timer");
	return r;
}

static void
responder_batch_free(struct responder *r)
{
	for (size_t i = 0; i < r->n; i++) {
		struct responder_entry *e = &r->batch[i];

		free(e->id);
		free(e->person);
		free(e->channel);
		free(e->provider);
		free(e->type);
		free(e->text);
	}
	free(r->batch);
	r->batch = NULL;
	r->n = r->next = 0;
}

void
responder_start(struct responder *r)
{
	store_start(r->store);
	responder_later(r, 0);
}

void
responder_stop(struct responder *r)
{
	r->stopping = true;
	evtimer_del(r->wake_ev);
}

void
responder_free(struct responder *r)
{
	if (r == NULL)
		return;
	r->stopping = true;
	/* Calls still waiting are answered "unavailable" now, and find it stopping. */
	store_free(r->store);
	responder_batch_free(r);
	keywords_free(r->kw);
	event_free(r->wake_ev);
	free(r->consumer);
	free(r->inbox);
	free(r->prefix);
	free(r);
}

bool
responder_up(const struct responder *r)
{
	return store_up(r->store);
}

void
responder_get_stats(const struct responder *r, struct responder_stats *out)
{
	*out = r->st;
}

/* Something went wrong with Redis: what this consumer holds is read again from its pending list. */
static void
responder_retry(struct responder *r, const char *err)
{
	if (r->stopping)
		return;
	if (strcmp(err, "unavailable") != 0)
		log_warn("inbound answers: redis error reason=\"%.200s\"", err);
	/* The group is gone (Redis restarted empty, the stream deleted): made again before the next read. */
	if (strncmp(err, "NOGROUP", 7) == 0)
		r->group_ready = false;
	responder_batch_free(r);
	r->busy = false;
	r->own_pending = true;
	responder_later(r, RESPONDER_RETRY_MS);
}

static char *
responder_field(json_t *fields, const char *name)
{
	size_t i;
	json_t *v;

	json_array_foreach(fields, i, v)
	{
		if (i % 2 == 0 && json_is_string(v) && strcmp(json_string_value(v), name) == 0) {
			json_t *val = json_array_get(fields, i + 1);

			/* Text that is not UTF-8 comes as null: the webhooks never store such. */
			return xstrdup(json_is_string(val) ? json_string_value(val) : "");
		}
	}
	return NULL;
}

/* Takes a list of [id, [field, value, …] or null] into the batch. */
static void
responder_take(struct responder *r, json_t *entries)
{
	size_t i;
	json_t *e;

	r->batch = xcalloc(json_array_size(entries) + 1, sizeof *r->batch);
	json_array_foreach(entries, i, e)
	{
		json_t *id = json_array_get(e, 0), *fields = json_array_get(e, 1);
		struct responder_entry *x;

		if (!json_is_string(id))
			continue;
		x = &r->batch[r->n++];
		x->id = xstrdup(json_string_value(id));
		if (!json_is_array(fields))
			continue;
		x->person = responder_field(fields, "contact");
		x->channel = responder_field(fields, "channel");
		x->provider = responder_field(fields, "provider");
		x->type = responder_field(fields, "type");
		x->text = responder_field(fields, "text");
	}
	r->next = 0;
	r->conflicts = 0;
}

static void
responder_read_cb(void *arg, json_t *reply, const char *err)
{
	struct responder *r = arg;
	json_t *entries = NULL;

	if (r->stopping)
		return;
	if (err != NULL) {
		responder_retry(r, err);
		return;
	}
	/* XREADGROUP: null, or [[stream, entries]]; XAUTOCLAIM: [cursor, entries] (and deleted ids from Redis 7). */
	if (json_is_array(reply) && json_array_size(reply) >= 2 && json_is_string(json_array_get(reply, 0))) {
		entries = json_array_get(reply, 1);
		/* More abandoned entries than one batch: the next read takes over the rest. */
		if (strcmp(json_string_value(json_array_get(reply, 0)), "0-0") != 0)
			r->last_reclaim_ms = 0;
	} else if (json_is_array(reply) && json_array_size(reply) > 0)
		entries = json_array_get(json_array_get(reply, 0), 1);
	if (!json_is_array(entries) || json_array_size(entries) == 0) {
		/* This consumer's own pending list is empty: on to new entries. */
		r->own_pending = false;
		r->busy = false;
		responder_later(r, 0);
		return;
	}
	responder_take(r, entries);
	responder_next(r);
}

/* The next read: this consumer's pending entries, others' abandoned ones now and then, else new ones. */
static void
responder_read(struct responder *r)
{
	struct cmdargs a;
	long long now = zone_now_ms();

	memset(&a, 0, sizeof a);
	if (!r->own_pending && now - r->last_reclaim_ms >= RESPONDER_RECLAIM_EVERY_MS) {
		r->last_reclaim_ms = now;
		cmdargs_str(&a, "XAUTOCLAIM");
		cmdargs_str(&a, r->inbox);
		cmdargs_str(&a, RESPONDER_GROUP);
		cmdargs_str(&a, r->consumer);
		cmdargs_str(&a, RESPONDER_CLAIM_IDLE_MS);
		cmdargs_str(&a, "0-0");
		cmdargs_str(&a, "COUNT");
		cmdargs_num(&a, RESPONDER_BATCH);
	} else {
		cmdargs_str(&a, "XREADGROUP");
		cmdargs_str(&a, "GROUP");
		cmdargs_str(&a, RESPONDER_GROUP);
		cmdargs_str(&a, r->consumer);
		cmdargs_str(&a, "COUNT");
		cmdargs_num(&a, RESPONDER_BATCH);
		if (!r->own_pending) {
			cmdargs_str(&a, "BLOCK");
			cmdargs_str(&a, RESPONDER_BLOCK_MS);
		}
		cmdargs_str(&a, "STREAMS");
		cmdargs_str(&a, r->inbox);
		cmdargs_str(&a, r->own_pending ? "0" : ">");
	}
	r->busy = true;
	store_command(r->store, &a, responder_read_cb, r);
}

static void
responder_group_cb(void *arg, json_t *reply, const char *err)
{
	struct responder *r = arg;

	(void)reply;
	if (r->stopping)
		return;
	if (err != NULL && strncmp(err, "BUSYGROUP", 9) != 0) {
		responder_retry(r, err);
		return;
	}
	r->group_ready = true;
	r->busy = false;
	responder_later(r, 0);
}

static void
responder_wake_cb(evutil_socket_t fd, short what, void *arg)
{
	struct responder *r = arg;
	struct cmdargs a;
	char start[32];

	(void)fd;
	(void)what;
	if (r->stopping || r->busy)
		return;
	if (!store_up(r->store)) {
		responder_later(r, RESPONDER_RETRY_MS);
		return;
	}
	if (r->group_ready) {
		responder_read(r);
		return;
	}
	/*
	 * The first gateway to answer makes the group a few minutes back: the
	 * messages of those minutes are answered, not those of the years before.
	 */
	snprintf(start, sizeof start, "%lld-0", zone_now_ms() - RESPONDER_LOOKBACK_MS);
	memset(&a, 0, sizeof a);
	cmdargs_str(&a, "XGROUP");
	cmdargs_str(&a, "CREATE");
	cmdargs_str(&a, r->inbox);
	cmdargs_str(&a, RESPONDER_GROUP);
	cmdargs_dup(&a, start, strlen(start));
	cmdargs_str(&a, "MKSTREAM");
	r->busy = true;
	store_command(r->store, &a, responder_group_cb, r);
}

/* On to the batch's next entry. */
static void
responder_advance(struct responder *r)
{
	r->next++;
	r->conflicts = 0;
	responder_next(r);
}

/* Whether err is Redis's own passing trouble (memory, loading, a failover): the entry is tried again. */
static bool
responder_transient(const char *err)
{
	return strcmp(err, "unavailable") == 0 || store_error_transient(err) || strncmp(err, "NOGROUP", 7) == 0;
}

static void
responder_acked_cb(void *arg, json_t *reply, const char *err)
{
	struct responder *r = arg;

	(void)reply;
	if (r->stopping)
		return;
	if (err != NULL) {
		responder_retry(r, err);
		return;
	}
	responder_advance(r);
}

/* An entry with nothing to answer (deleted when its person was erased, or not written by the webhooks). */
static void
responder_ack(struct responder *r, const struct responder_entry *e)
{
	struct cmdargs a;

	memset(&a, 0, sizeof a);
	cmdargs_str(&a, "XACK");
	cmdargs_str(&a, r->inbox);
	cmdargs_str(&a, RESPONDER_GROUP);
	cmdargs_dup(&a, e->id, strlen(e->id));
	store_command(r->store, &a, responder_acked_cb, r);
}

static const char *
responder_str(json_t *a, size_t i)
{
	json_t *v = json_array_get(a, i);

	return json_is_string(v) ? json_string_value(v) : "";
}

/* The plan as conv_apply reads it (queues/conversations.c). */
static char *
responder_plan_json(const struct responder_plan *p, const struct responder_entry *e)
{
	json_t *o = json_object();
	char *s;

	json_object_set_new(o, "ch", json_string(e->channel));
	json_object_set_new(o, "pv", json_string(e->provider != NULL ? e->provider : ""));
	json_object_set_new(o, "text", json_string(e->text != NULL ? e->text : ""));
	json_object_set_new(o, "type", json_string(e->type != NULL ? e->type : "text"));
	json_object_set_new(o, "topic", json_string(keywords_topic_name(p->topic)));
	json_object_set_new(o, "menu", json_boolean(p->by_menu));
	json_object_set_new(o, "rl", json_string(p->locale != NULL ? p->locale : ""));
	if (p->set_locale != NULL)
		json_object_set_new(o, "locale", json_string(p->set_locale));
	if (p->consent != NULL)
		json_object_set_new(o, "consent", json_string(p->consent));
	if (p->menu != NULL) {
		json_object_set_new(o, "menu_open", json_string(p->menu));
		json_object_set_new(o, "mu", json_integer(p->menu_until_ms));
	}
	if (p->tags != NULL)
		json_object_set_new(o, "tags", json_string(p->tags));
	if (p->converse)
		json_object_set_new(o, "converse", json_true());
	if (p->mute_until_ms > 0)
		json_object_set_new(o, "mute", json_integer(p->mute_until_ms));
	if (p->muted)
		json_object_set_new(o, "muted", json_true());
	if (p->reply != NULL) {
		json_object_set_new(o, "reply", json_string(p->reply));
		json_object_set_new(o, "rkey", json_string(p->reply_key));
	}
	s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return s;
}

static void
responder_applied_cb(void *arg, json_t *reply, const char *err)
{
	struct responder *r = arg;
	long long v = json_is_integer(reply) ? json_integer_value(reply) : -1;

	if (r->stopping)
		return;
	if (err != NULL && responder_transient(err)) {
		responder_retry(r, err);
		return;
	}
	if (v == 3) {
		/* Another process took the entry over meanwhile (this one was slow): it is theirs now. */
		log_warn("inbound entry taken over by another process entry=%s", r->batch[r->next].id);
		responder_advance(r);
		return;
	}
	if (v == 0 && ++r->conflicts < RESPONDER_CONFLICTS) {
		/* The person's state changed since it was read (another process, another message): again. */
		responder_next(r);
		return;
	}
	if (err != NULL || v == 0) {
		/* Redis refused the step for what it touches: the message stays in the inbox, unanswered. */
		log_error("inbound message not answered entry=%s reason=\"%.200s\"", r->batch[r->next].id,
		    err != NULL ? err : "its conversation kept changing");
		r->st.refused++;
		responder_ack(r, &r->batch[r->next]);
		return;
	}
	responder_advance(r);
}

static void
responder_state_cb(void *arg, json_t *reply, const char *err)
{
	struct responder *r = arg;
	struct responder_entry *e;
	struct responder_state st;
	struct responder_in in;
	struct responder_plan plan;
	struct cmdargs a;
	char *pj;

	if (r->stopping)
		return;
	if (err != NULL && responder_transient(err)) {
		responder_retry(r, err);
		return;
	}
	if (err != NULL || !json_is_array(reply) || json_array_size(reply) < 9) {
		/* What this person's keys hold is not what the gateway wrote: this message is not answered, the others are. */
		log_error("inbound message not answered entry=%s reason=\"%.200s\"", r->batch[r->next].id,
		    err != NULL ? err : "conv_read: unexpected reply");
		r->st.refused++;
		responder_ack(r, &r->batch[r->next]);
		return;
	}
	e = &r->batch[r->next];
	if (strcmp(responder_str(reply, 8), "1") != 0) {
		/* Erased since it wrote. */
		responder_ack(r, e);
		return;
	}
	memset(&st, 0, sizeof st);
	st.locale = responder_str(reply, 0);
	st.first_name = responder_str(reply, 1);
	st.menu = responder_str(reply, 2);
	st.menu_until_ms = strtoll(responder_str(reply, 3), NULL, 10);
	st.conversation_open = strcmp(responder_str(reply, 4), "1") == 0;
	st.muted_until_ms = strtoll(responder_str(reply, 5), NULL, 10);
	st.recent = json_integer_value(json_array_get(reply, 7));
	in.text = e->text != NULL ? e->text : "";
	in.len = strlen(in.text);
	in.type = e->type != NULL ? e->type : "text";
	in.now_ms = zone_now_ms();
	responder_decide(&r->s, &st, &in, &plan);
	pj = responder_plan_json(&plan, e);
	log_info("inbound answered entry=%s topic=%s locale=%s reply=%s%s%s", e->id, keywords_topic_name(plan.topic),
	    plan.locale != NULL ? plan.locale : "-", plan.reply_key != NULL ? plan.reply_key : "none",
	    plan.muted ? " muted=1" : "", plan.converse ? " inbox=1" : "");
	if (r->conflicts == 0) {
		r->st.handled++;
		r->st.answered += plan.reply != NULL;
		r->st.muted += plan.muted;
	}
	memset(&a, 0, sizeof a);
	cmdargs_dup(&a, r->prefix, strlen(r->prefix));
	cmdargs_str(&a, RESPONDER_GROUP);
	cmdargs_dup(&a, e->id, strlen(e->id));
	cmdargs_dup(&a, e->person, strlen(e->person));
	cmdargs_dup(&a, responder_str(reply, 6), strlen(responder_str(reply, 6)));
	cmdargs_num(&a, in.now_ms);
	cmdargs_dup(&a, pj, strlen(pj));
	cmdargs_dup(&a, r->consumer, strlen(r->consumer));
	cmdargs_day(&a, in.now_ms);
	free(pj);
	responder_plan_free(&plan);
	store_run(r->store, &conv_apply, &a, responder_applied_cb, r);
}

static bool
responder_entry_ok(const struct responder_entry *e)
{
	return e->person != NULL && strlen(e->person) == 24 && strspn(e->person, "0123456789abcdef") == 24 &&
	    e->channel != NULL && (strcmp(e->channel, "sms") == 0 || strcmp(e->channel, "whatsapp") == 0);
}

/* The batch's next entry, or the next read when it is done. */
static void
responder_next(struct responder *r)
{
	struct responder_entry *e;
	struct cmdargs a;

	if (r->stopping)
		return;
	if (r->next >= r->n) {
		responder_batch_free(r);
		r->busy = false;
		responder_later(r, 0);
		return;
	}
	e = &r->batch[r->next];
	if (!responder_entry_ok(e)) {
		/* Deleted: its person erased (nothing to say), or trimmed by [redis] log_maxlen before it was answered. */
		log_warn("inbound entry not answered entry=%s reason=\"%s\"", e->id,
		    e->person == NULL && e->channel == NULL ? "deleted from the inbox before it was answered"
							    : "no contact or channel");
		r->st.refused++;
		responder_ack(r, e);
		return;
	}
	memset(&a, 0, sizeof a);
	cmdargs_dup(&a, r->prefix, strlen(r->prefix));
	cmdargs_dup(&a, e->person, strlen(e->person));
	cmdargs_num(&a, zone_now_ms());
	cmdargs_str(&a, r->conflicts == 0 ? "1" : "0");
	store_run(r->store, &conv_read, &a, responder_state_cb, r);
}
