/*
 * The contacts one by one: GET /v1/contacts (searched and filtered, paged
 * by a cursor), GET /v1/contacts/{id} (with the consent history), PATCH
 * /v1/contacts/{id}, DELETE /v1/contacts/{id} (erasure: admin) and
 * GET /v1/contacts/export (CSV with the numbers: admin). Agents see
 * numbers masked; every change is audited with the contact's id, which
 * is a pseudonym.
 */
#include <event2/buffer.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gateway/api_int.h"
#include "gateway/util/buf.h"
#include "gateway/util/xmalloc.h"
#include "gateway/util/zone.h"
#include "handlers/contacts_csv.h"
#include "handlers/contacts_query.h"
#include "queues/contacts.h"
#include "queues/contacts_search.h"

#define CONTACTS_PAGE_MAX 500
#define CONTACTS_EXPORT_CHUNK 500
/* Contacts one search call looks at, at most: Redis is held for a few milliseconds, whatever their number. */
#define CONTACTS_EXAMINE "2000"

/* An export being gathered, page by page. */
struct export
{
	struct api_call *c;
	struct evbuffer *out;
	long rows;
};

static json_t *contact_json(const json_t *pairs, const char *id, bool unmasked);
static json_t *contact_time(const char *ms);
static bool contact_id_ok(struct api_call *c);
static struct cmdargs contact_args(struct api_call *c);
static bool contacts_cursor_ok(const char *cursor);
static void contacts_search_run(
    struct api_call *c, const char *cursor, long limit, const json_t *filter, store_cb *cb, void *arg);
static void contacts_listed(void *arg, json_t *reply, const char *err);
static void contacts_shown(void *arg, json_t *reply, const char *err);
static void contacts_updated(void *arg, json_t *reply, const char *err);
static void contacts_erased(void *arg, json_t *reply, const char *err);
static void contacts_export_page(struct export *e, const char *after);
static void contacts_exported(void *arg, json_t *reply, const char *err);
static void contacts_csv_cell(struct evbuffer *out, const char *v, bool last);
static bool contacts_failed(struct api_call *c, const char *err);

/* An epoch-ms string as local ISO 8601 with its offset, or null. */
static json_t *
contact_time(const char *ms)
{
	char iso[40];

	if (ms == NULL || *ms == '\0')
		return json_null();
	zone_format(atoll(ms) / 1000, iso, sizeof iso);
	return json_string(iso);
}

/* A contact's hash ([field, value, …]) as the API shows it. */
static json_t *
contact_json(const json_t *pairs, const char *id, bool unmasked)
{
	static const char *const plain[] = { "name", "first_name", "city", "locale", "sex", "channel", "source" };
	json_t *o = json_object(), *fields = json_object(), *tags = json_array();
	const char *phone = NULL, *consent = NULL, *consent_at = NULL, *consent_source = NULL;

	json_object_set_new(o, "id", json_string(id));
	for (size_t i = 0; i + 1 < json_array_size(pairs); i += 2) {
		const char *k = json_string_value(json_array_get(pairs, i));
		const char *v = json_string_value(json_array_get(pairs, i + 1));

		if (k == NULL || v == NULL)
			continue;
		if (strcmp(k, "phone") == 0)
			phone = v;
		else if (strcmp(k, "consent") == 0)
			consent = v;
		else if (strcmp(k, "consent_at") == 0)
			consent_at = v;
		else if (strcmp(k, "consent_source") == 0)
			consent_source = v;
		else if (strcmp(k, "created") == 0 || strcmp(k, "updated") == 0)
			json_object_set_new(o, k, contact_time(v));
		else if (strcmp(k, "marketing_optout") == 0)
			json_object_set_new(o, "marketing_optout", contact_time(v));
		else if (strcmp(k, "tags") == 0) {
			char *t = xstrdup(v), *save = NULL;

			for (char *tok = strtok_r(t, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save))
				json_array_append_new(tags, json_string(tok));
			free(t);
		} else if (strncmp(k, "f:", 2) == 0) {
			json_object_set_new(fields, k + 2, json_string(v));
		} else {
			for (size_t p = 0; p < sizeof plain / sizeof plain[0]; p++)
				if (strcmp(k, plain[p]) == 0)
					json_object_set_new(o, k, json_string(v));
		}
	}
	if (phone != NULL) {
		char masked[PHONE_MASK_MAX];

		phone_mask(phone, masked);
		json_object_set_new(o, "phone", json_string(unmasked ? phone : masked));
	}
	json_object_set_new(o, "tags", tags);
	json_object_set_new(o, "fields", fields);
	json_object_set_new(o, "consent",
	    consent != NULL ? json_pack("{s:s, s:o, s:s}", "value", consent, "at", contact_time(consent_at), "source",
				  consent_source != NULL ? consent_source : "")
			    : json_null());
	return o;
}

/* Contact ids are 24 hex digits: anything else is no contact. */
static bool
contact_id_ok(struct api_call *c)
{
	const char *id = c->params[0];

	if (strlen(id) == 24 && strspn(id, "0123456789abcdef") == 24)
		return true;
	api_error(c, 404, "not_found", NULL, "no such contact");
	return false;
}

static struct cmdargs
contact_args(struct api_call *c)
{
	struct cmdargs a;
	const char *prefix = store_prefix(c->api->store);

	memset(&a, 0, sizeof a);
	cmdargs_dup(&a, prefix, strlen(prefix));
	return a;
}

static bool
contacts_failed(struct api_call *c, const char *err)
{
	if (err == NULL)
		return false;
	if (!api_store_down(c))
		api_error(c, 503, "unavailable", NULL, "the store could not answer: try again");
	return true;
}

/*
 * A page of contacts, searched and filtered (handlers/contacts_query.h).
 * A number in q finds only a whole number for a role that sees numbers
 * masked.
 */
void
api_contacts_list(struct api_call *c)
{
	char *cursor = api_query(c, "cursor"), *limit = api_query(c, "limit"), *v[CONTACTS_Q_COUNT];
	struct contacts_query_settings s = { c->api->country, c->token->role != ROLE_ADMIN };
	char *end = NULL;
	long n = limit != NULL && *limit != '\0' ? strtol(limit, &end, 10) : 50;
	const char *field = NULL;
	json_t *filter = NULL;
	char why[200];

	for (int i = 0; i < CONTACTS_Q_COUNT; i++)
		v[i] = api_query(c, contacts_query_names[i]);
	if (n < 1 || n > CONTACTS_PAGE_MAX || (end != NULL && *end != '\0') || !contacts_cursor_ok(cursor)) {
		api_error(c, 422, "invalid", contacts_cursor_ok(cursor) ? "limit" : "cursor",
		    "limit is 1 to %d; cursor is the next_cursor of the page before", CONTACTS_PAGE_MAX);
		goto out;
	}
	if ((filter = contacts_query_parse((const char *const *)v, &s, &field, why, sizeof why)) == NULL) {
		api_error(c, 422, "invalid", field, "%s", why);
		goto out;
	}
	if (api_store_down(c))
		goto out;
	contacts_search_run(c, cursor != NULL ? cursor : "", n, filter, contacts_listed, c);
out:
	for (int i = 0; i < CONTACTS_Q_COUNT; i++)
		free(v[i]);
	json_decref(filter);
	free(cursor);
	free(limit);
}

/* A cursor this list gave: "<ms>:<id>" (none: the first page). */
static bool
contacts_cursor_ok(const char *cursor)
{
	const char *colon = cursor != NULL ? strchr(cursor, ':') : NULL;

	if (cursor == NULL || *cursor == '\0')
		return true;
	return colon != NULL && colon > cursor && colon - cursor <= 16 &&
	    strspn(cursor, "0123456789") == (size_t)(colon - cursor) && strlen(colon + 1) > 0 &&
	    strlen(colon + 1) <= 64 && strspn(colon + 1, "0123456789abcdef") == strlen(colon + 1);
}

/* One call of the search script: up to limit contacts after cursor that filter takes. */
static void
contacts_search_run(struct api_call *c, const char *cursor, long limit, const json_t *filter, store_cb *cb, void *arg)
{
	struct cmdargs a = contact_args(c);
	char *f = json_dumps(filter, JSON_COMPACT);

	cmdargs_dup(&a, cursor, strlen(cursor));
	cmdargs_num(&a, limit);
	cmdargs_str(&a, CONTACTS_EXAMINE);
	cmdargs_dup(&a, f, strlen(f));
	free(f);
	store_run(c->api->store, &contacts_search, &a, cb, arg);
}

static void
contacts_listed(void *arg, json_t *reply, const char *err)
{
	struct api_call *c = arg;
	const char *next = json_string_value(json_array_get(reply, 0));
	json_t *list, *row;
	size_t i;

	if (contacts_failed(c, err))
		return;
	list = json_array();
	json_array_foreach(json_array_get(reply, 1), i, row)
	{
		json_array_append_new(list,
		    contact_json(json_array_get(row, 2), json_string_value(json_array_get(row, 0)),
			c->token->role == ROLE_ADMIN));
	}
	api_reply(c, 200,
	    json_pack("{s:o, s:o}", "contacts", list, "next_cursor",
		next != NULL && *next != '\0' ? json_string(next) : json_null()));
}

void
api_contacts_show(struct api_call *c)
{
	struct cmdargs a;

	if (!contact_id_ok(c) || api_store_down(c))
		return;
	a = contact_args(c);
	cmdargs_dup(&a, c->params[0], strlen(c->params[0]));
	store_run(c->api->store, &contacts_get, &a, contacts_shown, c);
}

static void
contacts_shown(void *arg, json_t *reply, const char *err)
{
	struct api_call *c = arg;
	json_t *o, *history = json_array(), *e;
	size_t i;

	if (contacts_failed(c, err)) {
		json_decref(history);
		return;
	}
	if (json_array_size(json_array_get(reply, 0)) == 0) {
		json_decref(history);
		api_error(c, 404, "not_found", NULL, "no such contact");
		return;
	}
	o = contact_json(json_array_get(reply, 0), c->params[0], c->token->role == ROLE_ADMIN);
	json_array_foreach(json_array_get(reply, 1), i, e)
	{
		json_t *f = json_array_get(e, 1), *ev = json_object();

		for (size_t k = 0; k + 1 < json_array_size(f); k += 2) {
			const char *name = json_string_value(json_array_get(f, k));
			const char *v = json_string_value(json_array_get(f, k + 1));

			if (name == NULL || v == NULL)
				continue;
			json_object_set_new(ev, name, strcmp(name, "at") == 0 ? contact_time(v) : json_string(v));
		}
		json_array_append_new(history, ev);
	}
	json_object_set_new(o, "consent_history", history);
	api_reply(c, 200, o);
}

void
api_contacts_update(struct api_call *c)
{
	static const char *const attrs[] = { "name", "first_name", "city", "locale", "sex", "channel" };
	json_t *body, *row, *a, *v;
	struct cmdargs args;
	const char *key;
	char *text;

	if (!contact_id_ok(c) || (body = api_body_json(c)) == NULL)
		return;
	row = json_pack("{s:o}", "a", json_object());
	a = json_object_get(row, "a");
	json_object_foreach(body, key, v)
	{
		const char *s = json_string_value(v), *canon = s;
		size_t k;

		for (k = 0; k < sizeof attrs / sizeof attrs[0] && strcmp(attrs[k], key) != 0; k++)
			;
		if (k < sizeof attrs / sizeof attrs[0]) {
			if (s != NULL && strcmp(key, "locale") == 0)
				canon = contacts_csv_locale(s);
			else if (s != NULL && strcmp(key, "sex") == 0)
				canon = contacts_csv_sex(s);
			else if (s != NULL && strcmp(key, "channel") == 0)
				canon = contacts_csv_channel(s);
			if (s == NULL || canon == NULL || strlen(s) > 200) {
				api_error(c, 422, "invalid", key, "%s is not a valid value for this field", key);
				goto fail;
			}
			json_object_set_new(a, key, json_string(canon));
		} else if (strcmp(key, "tags") == 0 && json_is_array(v) && json_array_size(v) <= 32) {
			size_t i;
			json_t *t, *tags = json_array();

			json_array_foreach(v, i, t)
			{
				char *lower;

				if (!json_is_string(t) || json_string_length(t) == 0 || json_string_length(t) > 64 ||
				    strchr(json_string_value(t), ',') != NULL) {
					json_decref(tags);
					api_error(
					    c, 422, "invalid", "tags", "tags are 1 to 64 characters each, without ','");
					goto fail;
				}
				lower = xstrdup(json_string_value(t));
				for (char *p = lower; *p != '\0'; p++)
					if (*p >= 'A' && *p <= 'Z')
						*p = (char)(*p - 'A' + 'a');
				json_array_append_new(tags, json_string(lower));
				free(lower);
			}
			json_object_set_new(row, "t", tags);
		} else if (strcmp(key, "fields") == 0 && json_is_object(v)) {
			const char *fk;
			json_t *fv;

			json_object_foreach(v, fk, fv)
			{
				if (!json_is_string(fv) || json_string_length(fv) > 1000 || *fk == '\0' ||
				    strlen(fk) > 64 ||
				    strspn(fk, "abcdefghijklmnopqrstuvwxyz0123456789_") != strlen(fk)) {
					api_error(c, 422, "invalid", "fields",
					    "fields are names of a-z, 0-9 and _ (up to 64) with text values of up to "
					    "1,000 bytes");
					goto fail;
				}
			}
			json_object_set(row, "x", v);
		} else if (strcmp(key, "consent") == 0 && s != NULL &&
		    (strcmp(s, "yes") == 0 || strcmp(s, "no") == 0)) {
			json_object_set_new(row, "co", json_string(s));
			json_object_set_new(row, "ca", json_integer((json_int_t)time(NULL) * 1000));
		} else {
			api_error(c, 422, "invalid", key, "%s cannot be changed this way", key);
			goto fail;
		}
	}
	if (api_store_down(c))
		goto fail;
	text = json_dumps(row, JSON_COMPACT);
	args = contact_args(c);
	cmdargs_dup(&args, c->params[0], strlen(c->params[0]));
	cmdargs_num(&args, (long long)time(NULL) * 1000);
	/* An agent's change of consent is the agent's; an admin's token is the API's own. */
	cmdargs_str(&args, c->token->role == ROLE_AGENT ? "agent" : "api");
	cmdargs_dup(&args, c->token->name, strlen(c->token->name));
	cmdargs_dup(&args, text, strlen(text));
	cmdargs_day(&args, (long long)time(NULL) * 1000);
	free(text);
	store_run(c->api->store, &contacts_update, &args, contacts_updated, c);
fail:
	json_decref(row);
	json_decref(body);
}

static void
contacts_updated(void *arg, json_t *reply, const char *err)
{
	struct api_call *c = arg;
	struct cmdargs a;

	if (contacts_failed(c, err))
		return;
	if (json_integer_value(reply) != 1) {
		api_error(c, 404, "not_found", NULL, "no such contact");
		return;
	}
	api_audit(c, "contacts.update", c->params[0], NULL);
	/* The answer is the contact as it is now. */
	a = contact_args(c);
	cmdargs_dup(&a, c->params[0], strlen(c->params[0]));
	store_run(c->api->store, &contacts_get, &a, contacts_shown, c);
}

void
api_contacts_delete(struct api_call *c)
{
	struct cmdargs a;

	if (!contact_id_ok(c) || api_store_down(c))
		return;
	a = contact_args(c);
	cmdargs_dup(&a, c->params[0], strlen(c->params[0]));
	store_run(c->api->store, &contacts_erase, &a, contacts_erased, c);
}

static void
contacts_erased(void *arg, json_t *reply, const char *err)
{
	struct api_call *c = arg;

	if (contacts_failed(c, err))
		return;
	if (json_integer_value(reply) != 1) {
		api_error(c, 404, "not_found", NULL, "no such contact");
		return;
	}
	api_audit(c, "contacts.erase", c->params[0], NULL);
	api_reply(c, 200, json_pack("{s:s, s:b}", "id", c->params[0], "erased", 1));
}

/*
 * One CSV cell, quoted when it must be. A cell a spreadsheet would take
 * for a formula (=, +, @, -, a tab or CR first) gets a leading apostrophe,
 * so that a name someone typed cannot run in the admin's spreadsheet;
 * phone numbers (+ and digits only) are left as they are.
 */
static void
contacts_csv_cell(struct evbuffer *out, const char *v, bool last)
{
	bool formula = *v == '=' || *v == '@' || *v == '-' || *v == '\t' || *v == '\r' ||
	    (*v == '+' && (v[1] == '\0' || strspn(v + 1, "0123456789") != strlen(v + 1)));
	bool quote = formula || strpbrk(v, ",\"\r\n") != NULL;

	if (quote) {
		evbuffer_add(out, formula ? "\"'" : "\"", formula ? 2 : 1);
		for (const char *p = v; *p != '\0'; p++) {
			if (*p == '"')
				evbuffer_add(out, "\"", 1);
			evbuffer_add(out, p, 1);
		}
		evbuffer_add(out, "\"", 1);
	} else {
		evbuffer_add(out, v, strlen(v));
	}
	evbuffer_add(out, last ? "\r\n" : ",", last ? 2 : 1);
}

void
api_contacts_export(struct api_call *c)
{
	struct export *e;

	if (api_store_down(c))
		return;
	e = xcalloc(1, sizeof *e);
	e->c = c;
	e->out = evbuffer_new();
	/* UTF-8 with a BOM, so that Excel opens names in Arabic script as they are. */
	evbuffer_add_printf(
	    e->out, "\xEF\xBB\xBFid,phone,name,first_name,city,locale,sex,channel,tags,consent,consent_at\r\n");
	contacts_export_page(e, "");
}

static void
contacts_export_page(struct export *e, const char *after)
{
	json_t *all = json_object();

	contacts_search_run(e->c, after, CONTACTS_EXPORT_CHUNK, all, contacts_exported, e);
	json_decref(all);
}

static void
contacts_exported(void *arg, json_t *reply, const char *err)
{
	static const char *const cols[] = { "phone", "name", "first_name", "city", "locale", "sex", "channel", "tags",
		"consent", "consent_at" };
	struct export *e = arg;
	const char *next = json_string_value(json_array_get(reply, 0));
	json_t *page;
	size_t i;

	if (contacts_failed(e->c, err)) {
		evbuffer_free(e->out);
		free(e);
		return;
	}
	json_array_foreach(json_array_get(reply, 1), i, page)
	{
		json_t *pairs = json_array_get(page, 2);

		contacts_csv_cell(e->out, json_string_value(json_array_get(page, 0)), false);
		for (size_t k = 0; k < sizeof cols / sizeof cols[0]; k++) {
			const char *v = "";
			char iso[40];

			for (size_t p = 0; p + 1 < json_array_size(pairs); p += 2)
				if (strcmp(json_string_value(json_array_get(pairs, p)), cols[k]) == 0)
					v = json_string_value(json_array_get(pairs, p + 1));
			if (strcmp(cols[k], "consent_at") == 0 && *v != '\0') {
				zone_format(atoll(v) / 1000, iso, sizeof iso);
				v = iso;
			}
			contacts_csv_cell(e->out, v != NULL ? v : "", k + 1 == sizeof cols / sizeof cols[0]);
		}
		e->rows++;
	}
	if (next != NULL && *next != '\0') {
		contacts_export_page(e, next);
		return;
	}
	{
		char detail[32];
		struct evkeyvalq *h = evhttp_request_get_output_headers(e->c->req);

		snprintf(detail, sizeof detail, "rows=%ld", e->rows);
		api_audit(e->c, "contacts.export", "", detail);
		evhttp_add_header(h, "Content-Type", "text/csv; charset=utf-8");
		evhttp_add_header(h, "Content-Disposition", "attachment; filename=\"contacts.csv\"");
		evhttp_add_header(h, "Cache-Control", "no-store");
		api_send(e->c, 200, e->out);
	}
	evbuffer_free(e->out);
	free(e);
}
