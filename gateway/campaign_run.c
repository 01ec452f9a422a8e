/*
 * The expansion loop: claim, read the campaign, then read a chunk of its
 * audience and write one outbox entry per person, until the audience is
 * done, the campaign is paused or cancelled, or another process holds the
 * lease. Each step is one script call, so the loop never blocks: replies
 * to people keep going out while a 100,000-person campaign expands. The
 * message id is <campaign>:<person>, so however often a chunk is
 * replayed, a person gets one message.
 */
#include "gateway/campaign_run.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gateway/util/buf.h"
#include "gateway/util/log.h"
#include "gateway/util/xmalloc.h"
#include "handlers/template.h"
#include "locales/fallback.h"
#include "locales/segments.h"
#include "queues/campaigns.h"

#define CAMPAIGN_LEASE_MS "15000"

struct campaign_state {
	char *id, *state;
};

struct campaign_run {
	struct store *store;
	char *consumer, *fallback;
	long chunk;
	struct event *tick_ev, *states_ev;
	bool stopping, busy;
	bool loaded; /* the states were read at least once */
	struct campaign_state *states;
	size_t nstates;
	/* The expansion under way. */
	char id[64], fence[24], cursor[32];
	json_t *def; /* the campaign's fields */
	json_t *texts, *vars;
};

/* One person as the chunk gives them. */
struct campaign_person {
	const char *id, *phone, *name, *first_name, *locale, *channel, *marketing_optout;
	char first[128];
	json_t *vars;
};

static void campaign_tick_cb(evutil_socket_t fd, short what, void *arg);
static void campaign_states_cb(evutil_socket_t fd, short what, void *arg);
static void campaign_states_read(void *arg, json_t *reply, const char *err);
static void campaign_claimed(void *arg, json_t *reply, const char *err);
static void campaign_defined(void *arg, json_t *reply, const char *err);
static void campaign_read_chunk(struct campaign_run *r);
static void campaign_chunk_read(void *arg, json_t *reply, const char *err);
static void campaign_written(void *arg, json_t *reply, const char *err);
static void campaign_end(struct campaign_run *r, const char *why);
static const char *campaign_value(void *arg, const char *name);
static bool campaign_has_text(void *arg, const char *locale);
static const char *campaign_field(const struct campaign_run *r, const char *name);
static void campaign_timer(struct event *ev, long ms);

struct campaign_run *
campaign_run_new(struct event_base *base, const struct campaign_run_settings *s)
{
	struct campaign_run *r = xcalloc(1, sizeof *r);

	r->store = s->store;
	r->consumer = xstrdup(s->consumer);
	r->fallback = xstrdup(s->fallback);
	r->chunk = s->chunk > 0 ? s->chunk : 500;
	r->tick_ev = evtimer_new(base, campaign_tick_cb, r);
	r->states_ev = evtimer_new(base, campaign_states_cb, r);
	return r;
}

static void
campaign_timer(struct event *ev, long ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	evtimer_add(ev, &tv);
}

void
campaign_run_start(struct campaign_run *r)
{
	campaign_timer(r->tick_ev, 1000);
	campaign_timer(r->states_ev, 200);
}

void
campaign_run_stop(struct campaign_run *r)
{
	r->stopping = true;
	evtimer_del(r->tick_ev);
}

static void
campaign_states_free(struct campaign_run *r)
{
	for (size_t i = 0; i < r->nstates; i++) {
		free(r->states[i].id);
		free(r->states[i].state);
	}
	free(r->states);
	r->states = NULL;
	r->nstates = 0;
}

void
campaign_run_free(struct campaign_run *r)
{
	if (r == NULL)
		return;
	if (r->tick_ev != NULL)
		event_free(r->tick_ev);
	if (r->states_ev != NULL)
		event_free(r->states_ev);
	campaign_states_free(r);
	json_decref(r->def);
	free(r->consumer);
	free(r->fallback);
	free(r);
}

const char *
campaign_run_state(void *arg, const char *id)
{
	struct campaign_run *r = arg;

	for (size_t i = 0; i < r->nstates; i++)
		if (strcmp(r->states[i].id, id) == 0)
			return r->states[i].state;
	/* Read, and not there: the campaign ended more than a month ago (or never was): nothing holds it. */
	return r->loaded ? "unknown" : NULL;
}

static void
campaign_states_cb(evutil_socket_t fd, short what, void *arg)
{
	struct campaign_run *r = arg;
	struct cmdargs a;
	const char *prefix = store_prefix(r->store);

	(void)fd;
	(void)what;
	memset(&a, 0, sizeof a);
	cmdargs_dup(&a, prefix, strlen(prefix));
	store_run(r->store, &campaigns_states, &a, campaign_states_read, r);
}

static void
campaign_states_read(void *arg, json_t *reply, const char *err)
{
	struct campaign_run *r = arg;

	/* Redis away: the last states read stay in force. */
	if (err == NULL && json_is_array(reply)) {
		campaign_states_free(r);
		r->states = xcalloc(json_array_size(reply) / 2 + 1, sizeof *r->states);
		for (size_t i = 0; i + 1 < json_array_size(reply); i += 2) {
			const char *id = json_string_value(json_array_get(reply, i));
			const char *st = json_string_value(json_array_get(reply, i + 1));

			if (id == NULL || st == NULL)
				continue;
			r->states[r->nstates].id = xstrdup(id);
			r->states[r->nstates++].state = xstrdup(st);
		}
		r->loaded = true;
	}
	/* A cancel must reach messages already in the outbox within a second. */
	campaign_timer(r->states_ev, 500);
}

static void
campaign_tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct campaign_run *r = arg;
	struct cmdargs a;
	const char *prefix = store_prefix(r->store);

	(void)fd;
	(void)what;
	if (r->stopping)
		return;
	campaign_timer(r->tick_ev, 1000);
	if (r->busy || !store_up(r->store))
		return;
	r->busy = true;
	memset(&a, 0, sizeof a);
	cmdargs_dup(&a, prefix, strlen(prefix));
	cmdargs_dup(&a, r->consumer, strlen(r->consumer));
	cmdargs_num(&a, (long long)time(NULL) * 1000);
	cmdargs_str(&a, CAMPAIGN_LEASE_MS);
	store_run(r->store, &campaigns_claim, &a, campaign_claimed, r);
}

static void
campaign_end(struct campaign_run *r, const char *why)
{
	if (why != NULL)
		log_info("campaign expansion stops id=%s reason=\"%s\"", r->id, why);
	json_decref(r->def);
	r->def = NULL;
	r->texts = r->vars = NULL;
	r->busy = false;
}

static void
campaign_claimed(void *arg, json_t *reply, const char *err)
{
	struct campaign_run *r = arg;
	struct cmdargs a;
	const char *prefix = store_prefix(r->store);

	if (err != NULL || json_array_size(reply) != 3) {
		if (err != NULL)
			log_warn("campaigns: cannot claim: %s", err);
		r->busy = false;
		return;
	}
	snprintf(r->id, sizeof r->id, "%s", json_string_value(json_array_get(reply, 0)));
	snprintf(r->fence, sizeof r->fence, "%s", json_string_value(json_array_get(reply, 1)));
	snprintf(r->cursor, sizeof r->cursor, "%s", json_string_value(json_array_get(reply, 2)));
	log_info("campaign expansion id=%s fence=%s from=%s", r->id, r->fence, r->cursor);
	memset(&a, 0, sizeof a);
	cmdargs_dup(&a, prefix, strlen(prefix));
	cmdargs_dup(&a, r->id, strlen(r->id));
	store_run(r->store, &campaigns_get, &a, campaign_defined, r);
}

/* The campaign's definition: its hash as an object; texts and vars parsed. */
static void
campaign_defined(void *arg, json_t *reply, const char *err)
{
	struct campaign_run *r = arg;
	json_t *pairs = json_array_get(reply, 0), *t, *v;

	if (err != NULL || json_array_size(pairs) == 0) {
		campaign_end(r, err != NULL ? err : "campaign gone");
		return;
	}
	r->def = json_object();
	for (size_t i = 0; i + 1 < json_array_size(pairs); i += 2)
		json_object_set(r->def, json_string_value(json_array_get(pairs, i)), json_array_get(pairs, i + 1));
	t = json_loads(campaign_field(r, "texts"), 0, NULL);
	v = json_loads(campaign_field(r, "vars"), 0, NULL);
	json_object_set_new(r->def, "_texts", json_is_object(t) ? t : json_object());
	json_object_set_new(r->def, "_vars", json_is_object(v) ? v : json_object());
	if (!json_is_object(t))
		json_decref(t);
	if (!json_is_object(v))
		json_decref(v);
	r->texts = json_object_get(r->def, "_texts");
	r->vars = json_object_get(r->def, "_vars");
	campaign_read_chunk(r);
}

static const char *
campaign_field(const struct campaign_run *r, const char *name)
{
	const char *v = json_string_value(json_object_get(r->def, name));

	return v != NULL ? v : "";
}

static void
campaign_read_chunk(struct campaign_run *r)
{
	struct cmdargs a;
	const char *prefix = store_prefix(r->store);

	if (r->stopping) {
		campaign_end(r, "shutting down");
		return;
	}
	memset(&a, 0, sizeof a);
	cmdargs_dup(&a, prefix, strlen(prefix));
	cmdargs_dup(&a, r->id, strlen(r->id));
	cmdargs_dup(&a, r->fence, strlen(r->fence));
	cmdargs_dup(&a, r->cursor, strlen(r->cursor));
	cmdargs_num(&a, r->chunk);
	store_run(r->store, &campaigns_read, &a, campaign_chunk_read, r);
}

static bool
campaign_has_text(void *arg, const char *locale)
{
	return json_is_string(json_object_get(arg, locale));
}

/* A placeholder's value for one person: first_name from the contact, the rest from the campaign's vars. */
static const char *
campaign_value(void *arg, const char *name)
{
	struct campaign_person *p = arg;

	if (strcmp(name, "first_name") == 0)
		return p->first;
	return json_string_value(json_object_get(p->vars, name));
}

static void
campaign_chunk_read(void *arg, json_t *reply, const char *err)
{
	struct campaign_run *r = arg;
	struct cmdargs a;
	const char *prefix = store_prefix(r->store), *next;
	const char *kind = campaign_field(r, "kind"), *lane = campaign_field(r, "lane");
	const char *channel = campaign_field(r, "channel"), *expires = campaign_field(r, "expires_at");
	bool substitute = strcmp(campaign_field(r, "substitute"), "1") == 0;
	bool marketing = strcmp(campaign_field(r, "template_category"), "marketing") == 0;
	/* WhatsApp only: no SMS to fall back on, so a person who stopped our marketing there gets nothing. */
	bool marketing_wa = marketing && strcmp(channel, "whatsapp") == 0;
	struct cmdargs entries;
	long n = 0, no_text = 0, marketing_optout = 0;
	char expires_s[24] = "";

	if (err != NULL || !json_is_array(reply)) {
		campaign_end(r, err != NULL ? err : "stale: paused, cancelled or taken over");
		return;
	}
	next = json_string_value(json_array_get(reply, 0));
	if (next == NULL) {
		campaign_end(r, "bad reply");
		return;
	}
	if (*expires != '\0')
		snprintf(expires_s, sizeof expires_s, "%lld", atoll(expires) / 1000);
	memset(&entries, 0, sizeof entries);
	for (size_t i = 1; i < json_array_size(reply); i++) {
		json_t *row = json_array_get(reply, i);
		struct campaign_person p;
		const char *loc, *text, *chosen;
		struct buf body, sub;
		char id[160];
		int nf = 0;
		struct cmdargs one;

		memset(&p, 0, sizeof p);
		p.id = json_string_value(json_array_get(row, 0));
		p.phone = json_string_value(json_array_get(row, 1));
		p.name = json_string_value(json_array_get(row, 2));
		p.first_name = json_string_value(json_array_get(row, 3));
		p.locale = json_string_value(json_array_get(row, 4));
		p.marketing_optout = json_string_value(json_array_get(row, 6));
		p.vars = r->vars;
		if (p.id == NULL || p.phone == NULL || *p.phone == '\0')
			continue;
		if (marketing_wa && p.marketing_optout != NULL && *p.marketing_optout != '\0') {
			marketing_optout++;
			continue;
		}
		/* First name: the contact's, else the first word of the name. */
		{
			const char *fn = p.first_name != NULL && *p.first_name != '\0' ? p.first_name
			    : p.name != NULL                                           ? p.name
										       : "";
			size_t fl = fn == p.first_name ? strlen(fn) : strcspn(fn, " ");

			/* At most 64 bytes, cut on a whole character: the length checked at creation. */
			fl = utf8_prefix(fn, fl < 64 ? fl : 64);
			snprintf(p.first, sizeof p.first, "%.*s", (int)fl, fn);
		}
		loc = fallback_pick(p.locale, r->fallback, campaign_has_text, r->texts);
		if (loc == NULL) {
			no_text++;
			continue;
		}
		chosen = loc;
		text = json_string_value(json_object_get(r->texts, chosen));
		buf_init(&body);
		template_render(text, strlen(text), campaign_value, &p, &body);
		if (substitute && strcmp(channel, "whatsapp") != 0) {
			buf_init(&sub);
			segments_substitute(body.data != NULL ? body.data : "", body.len, &sub);
			buf_free(&body);
			body = sub;
		}
		snprintf(id, sizeof id, "%s:%s", r->id, p.id);
		memset(&one, 0, sizeof one);
#define CAMPAIGN_FIELD(k, v, l)                                                                                        \
	do {                                                                                                           \
		cmdargs_str(&one, k);                                                                                  \
		cmdargs_dup(&one, v, l);                                                                               \
		nf += 2;                                                                                               \
	} while (0)
		CAMPAIGN_FIELD("id", id, strlen(id));
		CAMPAIGN_FIELD("contact", p.id, strlen(p.id));
		CAMPAIGN_FIELD("text", body.data != NULL ? body.data : "", body.len);
		CAMPAIGN_FIELD("campaign", r->id, strlen(r->id));
		CAMPAIGN_FIELD("kind", kind, strlen(kind));
		CAMPAIGN_FIELD("locale", chosen, strlen(chosen));
		CAMPAIGN_FIELD("channel", channel, strlen(channel));
		CAMPAIGN_FIELD("origin", "campaign", 8);
		/* Checked again at each attempt: the person may stop marketing messages after this. */
		if (marketing && strcmp(channel, "sms") != 0)
			CAMPAIGN_FIELD("category", "marketing", 9);
		if (expires_s[0] != '\0')
			CAMPAIGN_FIELD("expires", expires_s, strlen(expires_s));
#undef CAMPAIGN_FIELD
		buf_free(&body);
		cmdargs_num(&entries, nf);
		cmdargs_append(&entries, &one);
		n++;
	}
	memset(&a, 0, sizeof a);
	cmdargs_dup(&a, prefix, strlen(prefix));
	cmdargs_dup(&a, r->id, strlen(r->id));
	cmdargs_dup(&a, r->fence, strlen(r->fence));
	cmdargs_dup(&a, r->consumer, strlen(r->consumer));
	cmdargs_str(&a, CAMPAIGN_LEASE_MS);
	cmdargs_dup(&a, next, strlen(next));
	cmdargs_dup(&a, lane, strlen(lane));
	cmdargs_num(&a, n);
	cmdargs_append(&a, &entries);
	cmdargs_str(&a, "excluded_no_text");
	cmdargs_num(&a, no_text);
	cmdargs_str(&a, "excluded_marketing_optout");
	cmdargs_num(&a, marketing_optout);
	snprintf(r->cursor, sizeof r->cursor, "%s", next);
	store_run(r->store, &campaigns_write, &a, campaign_written, r);
}

static void
campaign_written(void *arg, json_t *reply, const char *err)
{
	struct campaign_run *r = arg;
	const char *v = json_string_value(reply);

	if (err != NULL || v == NULL || strcmp(v, "stale") == 0) {
		campaign_end(r, err != NULL ? err : "stale: paused, cancelled or taken over");
		return;
	}
	if (strcmp(v, "done") == 0) {
		log_info("campaign expanded id=%s", r->id);
		campaign_end(r, NULL);
		return;
	}
	campaign_read_chunk(r);
}
