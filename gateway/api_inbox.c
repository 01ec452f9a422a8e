/*
 * The agents' inbox: GET /v1/inbox lists open conversations (the oldest
 * first: who has waited longest), GET /v1/inbox/{id} reads one thread,
 * POST /v1/inbox/{id}/reply answers on the reply lane by the channel and
 * provider the person last wrote on, POST /v1/inbox/{id}/close closes it.
 * A conversation shows what an agent needs to answer — the person's
 * language, city and the campaigns they were sent — with the number
 * masked, and nothing else of the contact.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/api_int.h"
#include "gateway/util/xmalloc.h"
#include "gateway/util/zone.h"
#include "queues/conversations.h"

#define INBOX_PAGE_MAX 200

struct inbox_reply_call {
	struct api_call *c;
	char id[40];
};

/* Now in epoch ms, as text: an agent's answers and closings take their place in the thread to the millisecond. */
static void
inbox_now_ms(char out[24])
{
	snprintf(out, 24, "%lld", zone_now_ms());
}

static json_t *
inbox_time(const char *ms)
{
	char iso[40];

	if (ms == NULL || *ms == '\0' || atoll(ms) <= 0)
		return json_null();
	zone_format(atoll(ms) / 1000, iso, sizeof iso);
	return json_string(iso);
}

static const char *
inbox_get(const json_t *pairs, const char *name)
{
	for (size_t i = 0; i + 1 < json_array_size(pairs); i += 2) {
		const char *k = json_string_value(json_array_get(pairs, i));

		if (k != NULL && strcmp(k, name) == 0)
			return json_string_value(json_array_get(pairs, i + 1));
	}
	return NULL;
}

/* A conversation as agents see it: conv is its hash ([field, value, …]), contact [phone, locale, city]. */
static json_t *
inbox_conversation(const char *id, const json_t *conv, const json_t *contact, const json_t *campaigns)
{
	char masked[PHONE_MASK_MAX] = "";
	const char *phone = json_string_value(json_array_get(contact, 0)), *v;
	json_t *o, *cl = json_array();
	size_t i;
	json_t *cp;

	if (phone != NULL)
		phone_mask(phone, masked);
	json_array_foreach(campaigns, i, cp)
	{
		json_array_append_new(cl,
		    json_pack("{s:s?, s:s?}", "id", json_string_value(json_array_get(cp, 0)), "name",
			json_string_value(json_array_get(cp, 1))));
	}
	v = inbox_get(conv, "unread");
	o = json_pack("{s:s, s:s, s:s?, s:s?, s:s?, s:b, s:i, s:o, s:o, s:o, s:o}", "id", id, "number", masked,
	    "locale", json_string_value(json_array_get(contact, 1)), "city",
	    json_string_value(json_array_get(contact, 2)), "channel", inbox_get(conv, "channel"), "open",
	    inbox_get(conv, "open") != NULL && strcmp(inbox_get(conv, "open"), "1") == 0, "unread",
	    v != NULL ? atoi(v) : 0, "opened_at", inbox_time(inbox_get(conv, "opened")), "last_in_at",
	    inbox_time(inbox_get(conv, "last_in")), "answered_at", inbox_time(inbox_get(conv, "answered")), "campaigns",
	    cl);
	return o;
}

static void
inbox_listed(void *arg, json_t *reply, const char *err)
{
	struct api_call *c = arg;
	json_t *list = json_array(), *item;
	size_t i, limit = 50;
	char *q = api_query(c, "limit");

	if (q != NULL)
		limit = strtoul(q, NULL, 10);
	free(q);
	if (err != NULL) {
		json_decref(list);
		if (!api_store_down(c))
			api_error(c, 503, "unavailable", NULL, "the store could not answer: try again");
		return;
	}
	json_array_foreach(reply, i, item)
	{
		json_array_append_new(list,
		    inbox_conversation(json_string_value(json_array_get(item, 0)), json_array_get(item, 2),
			json_array_get(item, 3), json_array_get(item, 4)));
	}
	api_reply_page(c, "conversations", list, reply, limit);
}

void
api_inbox_list(struct api_call *c)
{
	char *limit = api_query(c, "limit"), *cursor = api_query(c, "cursor");
	long n = 50;
	struct cmdargs a;
	const char *prefix = store_prefix(c->api->store);

	if (limit != NULL &&
	    ((n = strtol(limit, NULL, 10)) < 1 || n > INBOX_PAGE_MAX || strspn(limit, "0123456789") != strlen(limit))) {
		api_error(c, 400, "invalid", "limit", "limit is a number from 1 to %d", INBOX_PAGE_MAX);
		goto out;
	}
	if (cursor != NULL && (strlen(cursor) > 64 || strspn(cursor, "0123456789:abcdef") != strlen(cursor))) {
		api_error(c, 400, "invalid", "cursor", "cursor is the next_cursor of an earlier page");
		goto out;
	}
	if (api_store_down(c))
		goto out;
	memset(&a, 0, sizeof a);
	cmdargs_dup(&a, prefix, strlen(prefix));
	cmdargs_dup(&a, cursor != NULL ? cursor : "", cursor != NULL ? strlen(cursor) : 0);
	cmdargs_num(&a, n);
	store_run(c->api->store, &inbox_page, &a, inbox_listed, c);
out:
	free(limit);
	free(cursor);
}

static bool
inbox_id_ok(struct api_call *c)
{
	if (strlen(c->params[0]) != 24 || strspn(c->params[0], "0123456789abcdef") != 24) {
		api_error(c, 404, "not_found", NULL, "no such conversation");
		return false;
	}
	return !api_store_down(c);
}

static void
inbox_shown(void *arg, json_t *reply, const char *err)
{
	struct api_call *c = arg;
	json_t *o, *msgs, *item;
	size_t i;

	if (err != NULL) {
		if (!api_store_down(c))
			api_error(c, 503, "unavailable", NULL, "the store could not answer: try again");
		return;
	}
	if (json_array_size(reply) < 4) {
		api_error(c, 404, "not_found", NULL, "no such conversation");
		return;
	}
	o = inbox_conversation(
	    c->params[0], json_array_get(reply, 0), json_array_get(reply, 1), json_array_get(reply, 2));
	msgs = json_array();
	json_array_foreach(json_array_get(reply, 3), i, item)
	{
		const char *s = json_string_value(item);
		json_t *m = s != NULL ? json_loads(s, 0, NULL) : NULL, *at;
		const char *d = json_string_value(json_object_get(m, "d"));
		char ms[24];

		if (d == NULL) {
			json_decref(m);
			continue;
		}
		snprintf(ms, sizeof ms, "%lld", (long long)json_integer_value(json_object_get(m, "at")));
		at = inbox_time(ms);
		json_array_append_new(msgs,
		    json_pack("{s:s, s:o, s:O?, s:O?, s:O?, s:O?, s:b}", "direction",
			strcmp(d, "in") == 0        ? "in"
			    : strcmp(d, "out") == 0 ? "out"
						    : "closed",
			"at", at, "text", json_object_get(m, "text"), "topic", json_object_get(m, "topic"), "type",
			json_object_get(m, "type"), "by", json_object_get(m, "by"), "automatic",
			json_is_string(json_object_get(m, "auto"))));
		json_decref(m);
	}
	json_object_set_new(o, "messages", msgs);
	api_reply(c, 200, o);
}

void
api_inbox_show(struct api_call *c)
{
	struct cmdargs a;
	const char *prefix = store_prefix(c->api->store);

	if (!inbox_id_ok(c))
		return;
	memset(&a, 0, sizeof a);
	cmdargs_dup(&a, prefix, strlen(prefix));
	cmdargs_dup(&a, c->params[0], strlen(c->params[0]));
	store_run(c->api->store, &inbox_thread, &a, inbox_shown, c);
}

static void
inbox_replied(void *arg, json_t *reply, const char *err)
{
	struct inbox_reply_call *rc = arg;
	struct api_call *c = rc->c;
	const char *v = json_string_value(reply);

	if (err != NULL) {
		if (!api_store_down(c))
			api_error(c, 503, "unavailable", NULL, "the answer could not be queued: try again");
	} else if (v != NULL && strcmp(v, "unknown") == 0) {
		api_error(c, 404, "not_found", NULL, "no such conversation");
	} else if (v != NULL && strcmp(v, "opted_out") == 0) {
		api_error(
		    c, 409, "conflict", NULL, "this person sent STOP: nothing is sent to them until they send START");
	} else if (v != NULL && strcmp(v, "no_channel") == 0) {
		api_error(c, 409, "conflict", NULL, "this person never wrote to us: send them a message instead");
	} else {
		api_audit(c, "inbox.reply", c->params[0], rc->id);
		c->created = true;
		api_reply(c, 202,
		    json_pack("{s:s, s:s, s:s}", "id", rc->id, "conversation", c->params[0], "state", "queued"));
	}
	free(rc);
}

void
api_inbox_reply(struct api_call *c)
{
	json_t *body = api_body_json(c);
	const char *text, *key, *prefix;
	struct inbox_reply_call *rc;
	struct cmdargs a;
	json_t *val;
	char now[24];

	if (body == NULL)
		return;
	json_object_foreach(body, key, val)
	{
		if (strcmp(key, "text") != 0) {
			api_error(c, 422, "invalid", key, "%s is not a field of an answer (text)", key);
			goto out;
		}
	}
	text = json_string_value(json_object_get(body, "text"));
	if (text == NULL || *text == '\0' || api_chars(text) > 1600) {
		api_error(c, 422, "invalid", "text", "text is required: 1 to 1,600 characters");
		goto out;
	}
	if (!inbox_id_ok(c))
		goto out;
	prefix = store_prefix(c->api->store);
	rc = xcalloc(1, sizeof *rc);
	rc->c = c;
	api_message_id(rc->id);
	inbox_now_ms(now);
	memset(&a, 0, sizeof a);
	cmdargs_dup(&a, prefix, strlen(prefix));
	cmdargs_dup(&a, c->params[0], strlen(c->params[0]));
	cmdargs_dup(&a, rc->id, strlen(rc->id));
	cmdargs_dup(&a, text, strlen(text));
	cmdargs_dup(&a, c->token->name, strlen(c->token->name));
	cmdargs_dup(&a, now, strlen(now));
	store_run(c->api->store, &inbox_reply, &a, inbox_replied, rc);
out:
	json_decref(body);
}

static void
inbox_closed(void *arg, json_t *reply, const char *err)
{
	struct api_call *c = arg;
	const char *v = json_string_value(reply);

	if (err != NULL) {
		if (!api_store_down(c))
			api_error(c, 503, "unavailable", NULL, "the store could not answer: try again");
	} else if (v != NULL && strcmp(v, "unknown") == 0) {
		api_error(c, 404, "not_found", NULL, "no such conversation");
	} else if (v != NULL && strcmp(v, "closed") == 0) {
		api_error(c, 409, "conflict", NULL, "this conversation is not open");
	} else {
		api_audit(c, "inbox.close", c->params[0], NULL);
		api_reply(c, 200, json_pack("{s:s, s:b}", "id", c->params[0], "open", 0));
	}
}

void
api_inbox_close(struct api_call *c)
{
	struct cmdargs a;
	const char *prefix = store_prefix(c->api->store);
	char now[24];

	if (!inbox_id_ok(c))
		return;
	inbox_now_ms(now);
	memset(&a, 0, sizeof a);
	cmdargs_dup(&a, prefix, strlen(prefix));
	cmdargs_dup(&a, c->params[0], strlen(c->params[0]));
	cmdargs_dup(&a, c->token->name, strlen(c->token->name));
	cmdargs_dup(&a, now, strlen(now));
	store_run(c->api->store, &inbox_close, &a, inbox_closed, c);
}
