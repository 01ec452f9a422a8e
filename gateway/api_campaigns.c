/*
 * POST /v1/campaigns: a campaign as a draft. Everything that can be wrong
 * with it is refused now, each with its field and reason: its kind, lane,
 * channel and times, an audience filter it cannot apply, a text that is
 * empty, not UTF-8 or has a placeholder without a value, and a locale its
 * audience needs that no text or fallback serves (which takes the
 * audience's counts from Redis). POST /v1/audiences/preview gives those
 * counts alone.
 */
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gateway/api_int.h"
#include "gateway/util/buf.h"
#include "gateway/util/domain.h"
#include "gateway/util/xmalloc.h"
#include "gateway/util/zone.h"
#include "handlers/template.h"
#include "locales/catalog.h"
#include "locales/fallback.h"
#include "queues/campaigns.h"

#define CAMPAIGN_TEXT_MAX 1600

/* A campaign being created: checked, waiting for its audience's counts, then stored. */
struct campaign_new {
	struct api_call *c;
	json_t *body;
	char id[16];
	long long start_ms, expires_ms;
};

static const char *campaign_known(void *arg, const char *name);
static const char *campaign_longest(void *arg, const char *name);
static bool campaign_has(void *arg, const char *locale);
static int campaign_audience_ok(struct api_call *c, const json_t *a);
static void campaign_counted(void *arg, json_t *reply, const char *err);
static void campaign_created(void *arg, json_t *reply, const char *err);
static void audience_counted(void *arg, json_t *reply, const char *err);
static int campaign_time(struct api_call *c, json_t *body, const char *field, bool required, long long *ms);

/* Placeholders a text may use: first_name, and the campaign's vars. */
static const char *
campaign_known(void *arg, const char *name)
{
	if (strcmp(name, "first_name") == 0)
		return "";
	return json_string_value(json_object_get(arg, name));
}

/* Placeholders filled as long as they can be: the vars, and a first name of the longest kept (64 letters). */
static const char *
campaign_longest(void *arg, const char *name)
{
	if (strcmp(name, "first_name") == 0)
		return "MMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMM";
	return json_string_value(json_object_get(arg, name));
}

static bool
campaign_has(void *arg, const char *locale)
{
	return json_object_get(arg, locale) != NULL;
}

/* Refuses (422, naming the field) an audience filter the gateway cannot apply. */
static int
campaign_audience_ok(struct api_call *c, const json_t *a)
{
	static const char *const lists[] = { "city", "locale", "channel", "sex", "tags_all", "tags_any" };
	const char *key;
	json_t *v;

	if (!json_is_object(a)) {
		api_error(c, 422, "invalid", "audience", "audience is an object such as {\"city\": [\"Rabat\"]}");
		return -1;
	}
	json_object_foreach((json_t *)a, key, v)
	{
		size_t k, i;
		json_t *e;

		for (k = 0; k < sizeof lists / sizeof lists[0] && strcmp(lists[k], key) != 0; k++)
			;
		if (k < sizeof lists / sizeof lists[0]) {
			if (!json_is_array(v) || json_array_size(v) > 100)
				goto bad;
			json_array_foreach(v, i, e)
			{
				if (!json_is_string(e) || json_string_length(e) == 0 || json_string_length(e) > 100)
					goto bad;
			}
			continue;
		}
		if ((strcmp(key, "replied_to") == 0 || strcmp(key, "not_replied_to") == 0) && json_is_string(v) &&
		    json_string_length(v) > 0 && json_string_length(v) < 64)
			continue;
	bad:
		api_error(c, 422, "invalid", "audience",
		    "audience.%s: filters are city, locale, channel, sex, tags_all, tags_any (lists of text), "
		    "replied_to and not_replied_to (a campaign id)",
		    key);
		return -1;
	}
	if (json_object_get(a, "replied_to") != NULL && json_object_get(a, "not_replied_to") != NULL) {
		api_error(c, 422, "invalid", "audience", "audience has replied_to or not_replied_to, not both");
		return -1;
	}
	return 0;
}

static int
campaign_time(struct api_call *c, json_t *body, const char *field, bool required, long long *ms)
{
	json_t *v = json_object_get(body, field);
	char why[200];
	long long t;

	*ms = 0;
	if (v == NULL && !required)
		return 0;
	if (!json_is_string(v) || zone_parse(json_string_value(v), &t, why, sizeof why) != 0) {
		api_error(c, 422, "invalid", field, "%s: %s", field,
		    json_is_string(v) ? why : "required, as an ISO 8601 time (local time unless an offset is given)");
		return -1;
	}
	*ms = t * 1000;
	return 0;
}

void
api_campaigns_create(struct api_call *c)
{
	static const char *const allowed[] = { "name", "kind", "audience", "texts", "start_at", "expires_at", "lane",
		"channel", "template_category", "vars", "substitute" };
	json_t *body = api_body_json(c), *texts, *vars, *v;
	struct campaign_new *cn;
	const char *key, *s;
	struct cmdargs a;
	unsigned char rnd[6];
	long long start, expires;
	char why[300];

	if (body == NULL)
		return;
	json_object_foreach(body, key, v)
	{
		size_t k;

		for (k = 0; k < sizeof allowed / sizeof allowed[0] && strcmp(allowed[k], key) != 0; k++)
			;
		if (k == sizeof allowed / sizeof allowed[0]) {
			api_error(c, 422, "invalid", key, "%s is not a field of a campaign", key);
			goto fail;
		}
	}
	s = json_string_value(json_object_get(body, "name"));
	if (s == NULL || *s == '\0' || strlen(s) > 200) {
		api_error(c, 422, "invalid", "name", "name is required, 1 to 200 characters");
		goto fail;
	}
	s = json_string_value(json_object_get(body, "kind"));
	if (s == NULL || kind_from_name(s) < 0 || strcmp(s, "reply") == 0) {
		api_error(c, 422, "invalid", "kind",
		    "kind is training_offer, residency_followup, covid_info, event or custom");
		goto fail;
	}
	s = json_string_value(json_object_get(body, "lane"));
	if (json_object_get(body, "lane") != NULL &&
	    (s == NULL || (strcmp(s, "bulk") != 0 && strcmp(s, "notify") != 0))) {
		api_error(c, 422, "invalid", "lane", "lane is bulk (the default) or notify");
		goto fail;
	}
	s = json_string_value(json_object_get(body, "channel"));
	if (json_object_get(body, "channel") != NULL &&
	    (s == NULL || (strcmp(s, "sms") != 0 && strcmp(s, "whatsapp") != 0 && strcmp(s, "auto") != 0))) {
		api_error(c, 422, "invalid", "channel", "channel is sms, whatsapp or auto (the default)");
		goto fail;
	}
	s = json_string_value(json_object_get(body, "template_category"));
	if (json_object_get(body, "template_category") != NULL &&
	    (s == NULL || (strcmp(s, "marketing") != 0 && strcmp(s, "utility") != 0))) {
		api_error(
		    c, 422, "invalid", "template_category", "template_category is marketing (the default) or utility");
		goto fail;
	}
	if (json_object_get(body, "substitute") != NULL && !json_is_boolean(json_object_get(body, "substitute"))) {
		api_error(c, 422, "invalid", "substitute", "substitute is true or false");
		goto fail;
	}
	vars = json_object_get(body, "vars");
	if (vars != NULL) {
		json_object_foreach(vars, key, v)
		{
			if (!json_is_string(v) || json_string_length(v) > 500) {
				api_error(c, 422, "invalid", "vars",
				    "vars.%s: each variable is text of up to 500 bytes", key);
				goto fail;
			}
		}
	}
	if (vars != NULL && !json_is_object(vars)) {
		api_error(c, 422, "invalid", "vars", "vars is an object of texts, such as {\"centre\": \"Salé\"}");
		goto fail;
	}
	texts = json_object_get(body, "texts");
	if (texts == NULL && c->api->catalog != NULL) {
		/* No texts: the standard ones for the kind, in every locale the catalogs have. */
		static const char *const locales[] = { "fr", "ar", "ary", "ary-Latn", "en" };
		char ckey[64];
		const char *t;

		snprintf(ckey, sizeof ckey, "campaign.%s", json_string_value(json_object_get(body, "kind")));
		texts = json_object();
		for (size_t i = 0; i < sizeof locales / sizeof locales[0]; i++)
			if ((t = catalog_get(c->api->catalog, locales[i], ckey)) != NULL)
				json_object_set_new(texts, locales[i], json_string(t));
		json_object_set_new(body, "texts", texts);
	}
	if (!json_is_object(texts) || json_object_size(texts) == 0) {
		api_error(c, 422, "invalid", "texts",
		    "texts is required: an object from locale to text, such as {\"fr\": \"…\"}");
		goto fail;
	}
	json_object_foreach(texts, key, v)
	{
		if (fallback_locale(key, strlen(key)) == NULL || strcmp(fallback_locale(key, strlen(key)), key) != 0) {
			api_error(
			    c, 422, "invalid", "texts", "texts.%s: the locales are fr, ar, ary, ary-Latn and en", key);
			goto fail;
		}
		if (!json_is_string(v) || json_string_length(v) > CAMPAIGN_TEXT_MAX ||
		    template_check(
			json_string_value(v), json_string_length(v), campaign_known, vars, why, sizeof why) != 0) {
			api_error(c, 422, "invalid", "texts", "texts.%s: %s", key,
			    !json_is_string(v)                              ? "a text is required"
				: json_string_length(v) > CAMPAIGN_TEXT_MAX ? "longer than 1,600 bytes"
									    : why);
			goto fail;
		}
		{
			struct buf full;
			size_t n;

			buf_init(&full);
			template_render(json_string_value(v), json_string_length(v), campaign_longest, vars, &full);
			buf_append(&full, "", 1);
			n = api_chars(full.data);
			buf_free(&full);
			if (n > 1600) {
				api_error(c, 422, "invalid", "texts",
				    "texts.%s: %zu characters once its placeholders are filled, more than an SMS or "
				    "WhatsApp "
				    "message may have (1,600)",
				    key, n);
				goto fail;
			}
		}
	}
	if (campaign_audience_ok(c, json_object_get(body, "audience")) != 0)
		goto fail;
	if (campaign_time(c, body, "start_at", true, &start) != 0 ||
	    campaign_time(c, body, "expires_at", false, &expires) != 0)
		goto fail;
	if (expires != 0 && expires <= start) {
		api_error(c, 422, "invalid", "expires_at", "expires_at must come after start_at");
		goto fail;
	}
	if (api_store_down(c))
		goto fail;
	cn = xcalloc(1, sizeof *cn);
	cn->c = c;
	cn->body = body;
	cn->start_ms = start;
	cn->expires_ms = expires;
	if (RAND_bytes(rnd, sizeof rnd) != 1)
		memset(rnd, 0, sizeof rnd);
	snprintf(cn->id, sizeof cn->id, "c%02x%02x%02x%02x%02x%02x", rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5]);
	/* Which locales the audience needs: each must have a text, or one down the fallback chain. */
	memset(&a, 0, sizeof a);
	cmdargs_dup(&a, store_prefix(c->api->store), strlen(store_prefix(c->api->store)));
	{
		char *aud = json_dumps(json_object_get(body, "audience"), JSON_COMPACT);

		cmdargs_dup(&a, aud, strlen(aud));
		free(aud);
	}
	store_run(c->api->store, &campaigns_audience, &a, campaign_counted, cn);
	return;
fail:
	json_decref(body);
}

static void
campaign_counted(void *arg, json_t *reply, const char *err)
{
	struct campaign_new *cn = arg;
	struct api_call *c = cn->c;
	json_t *counts = json_is_string(reply) ? json_loads(json_string_value(reply), 0, NULL) : NULL, *texts, *by, *n;
	const char *loc, *fallback = c->api->fallback;
	struct cmdargs a;
	char *s;

	if (err != NULL || counts == NULL) {
		if (!api_store_down(c))
			api_error(c, 503, "unavailable", NULL, "the audience could not be counted: try again");
		goto out;
	}
	texts = json_object_get(cn->body, "texts");
	by = json_object_get(counts, "by_locale");
	json_object_foreach(by, loc, n)
	{
		const char *who = strcmp(loc, "none") == 0 ? NULL : loc;

		if (fallback_pick(who, fallback, campaign_has, texts) == NULL) {
			api_error(c, 422, "invalid", "texts",
			    "%lld people of the audience read %s, and no text serves them (none in that locale or down "
			    "[locales] fallback: %s)",
			    (long long)json_integer_value(n), who != NULL ? who : "no known locale", fallback);
			goto out;
		}
	}
	memset(&a, 0, sizeof a);
	cmdargs_dup(&a, store_prefix(c->api->store), strlen(store_prefix(c->api->store)));
	cmdargs_dup(&a, cn->id, strlen(cn->id));
	cmdargs_num(&a, (long long)time(NULL) * 1000);
#define CAMPAIGN_PAIR(k, v)                                                                                            \
	do {                                                                                                           \
		cmdargs_str(&a, k);                                                                                    \
		cmdargs_dup(&a, v, strlen(v));                                                                         \
	} while (0)
	CAMPAIGN_PAIR("name", json_string_value(json_object_get(cn->body, "name")));
	CAMPAIGN_PAIR("kind", json_string_value(json_object_get(cn->body, "kind")));
	s = json_dumps(json_object_get(cn->body, "audience"), JSON_COMPACT | JSON_SORT_KEYS);
	CAMPAIGN_PAIR("audience", s);
	free(s);
	s = json_dumps(texts, JSON_COMPACT | JSON_SORT_KEYS);
	CAMPAIGN_PAIR("texts", s);
	free(s);
	s = json_object_get(cn->body, "vars") != NULL
	    ? json_dumps(json_object_get(cn->body, "vars"), JSON_COMPACT | JSON_SORT_KEYS)
	    : NULL;
	CAMPAIGN_PAIR("vars", s != NULL ? s : "{}");
	free(s);
	CAMPAIGN_PAIR("lane",
	    json_object_get(cn->body, "lane") != NULL ? json_string_value(json_object_get(cn->body, "lane")) : "bulk");
	CAMPAIGN_PAIR("channel",
	    json_object_get(cn->body, "channel") != NULL ? json_string_value(json_object_get(cn->body, "channel"))
							 : "auto");
	CAMPAIGN_PAIR("template_category",
	    json_object_get(cn->body, "template_category") != NULL
		? json_string_value(json_object_get(cn->body, "template_category"))
		: "marketing");
	CAMPAIGN_PAIR("substitute", json_is_true(json_object_get(cn->body, "substitute")) ? "1" : "0");
	CAMPAIGN_PAIR("created_by", c->token->name);
#undef CAMPAIGN_PAIR
	cmdargs_str(&a, "start_at");
	cmdargs_num(&a, cn->start_ms);
	if (cn->expires_ms != 0) {
		cmdargs_str(&a, "expires_at");
		cmdargs_num(&a, cn->expires_ms);
	}
	store_run(c->api->store, &campaigns_create, &a, campaign_created, cn);
	json_decref(counts);
	return;
out:
	json_decref(counts);
	json_decref(cn->body);
	free(cn);
}

static void
campaign_created(void *arg, json_t *reply, const char *err)
{
	struct campaign_new *cn = arg;
	struct api_call *c = cn->c;

	if (err != NULL || json_integer_value(reply) != 1) {
		if (!api_store_down(c))
			api_error(c, 503, "unavailable", NULL, "the campaign could not be stored: try again");
	} else {
		api_audit(c, "campaigns.create", cn->id, NULL);
		/* The answer is the campaign as GET shows it. */
		snprintf(c->params[0], sizeof c->params[0], "%s", cn->id);
		c->nparams = 1;
		c->created = true;
		api_campaigns_show(c);
	}
	json_decref(cn->body);
	free(cn);
}

void
api_audiences_preview(struct api_call *c)
{
	json_t *body = api_body_json(c);
	struct cmdargs a;
	char *aud;

	if (body == NULL)
		return;
	if (campaign_audience_ok(c, json_object_get(body, "audience")) != 0 || api_store_down(c)) {
		json_decref(body);
		return;
	}
	memset(&a, 0, sizeof a);
	cmdargs_dup(&a, store_prefix(c->api->store), strlen(store_prefix(c->api->store)));
	aud = json_dumps(json_object_get(body, "audience"), JSON_COMPACT);
	cmdargs_dup(&a, aud, strlen(aud));
	free(aud);
	json_decref(body);
	store_run(c->api->store, &campaigns_audience, &a, audience_counted, c);
}

static void
audience_counted(void *arg, json_t *reply, const char *err)
{
	struct api_call *c = arg;
	json_t *counts = json_is_string(reply) ? json_loads(json_string_value(reply), 0, NULL) : NULL;

	if (err != NULL || counts == NULL) {
		json_decref(counts);
		if (!api_store_down(c))
			api_error(c, 503, "unavailable", NULL, "the audience could not be counted: try again");
		return;
	}
	api_reply(c, 200, counts);
}
