/*
 * Campaigns after creation: GET /v1/campaigns (paged), GET
 * /v1/campaigns/{id} with its live counts, POST /v1/campaigns/{id}/
 * schedule|pause|resume|cancel, and POST /v1/campaigns/{id}/preview: who
 * will get it (by locale and channel), who will not and why, its SMS
 * length per text, its estimated cost and when it will finish, given the
 * rate, WhatsApp's tier and the quiet hours.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gateway/api_int.h"
#include "gateway/util/xmalloc.h"
#include "gateway/util/zone.h"
#include "handlers/template.h"
#include "locales/fallback.h"
#include "locales/segments.h"
#include "queues/campaigns.h"

struct campaign_preview {
	struct api_call *c;
	json_t *def; /* the campaign's fields, as an object */
};

static json_t *campaign_object(const json_t *pairs);
static json_t *campaign_json(const json_t *def, const json_t *counters);
static json_t *campaign_iso(const json_t *def, const char *field);
static long long campaign_num(const json_t *o, const char *field);
static void campaign_shown(void *arg, json_t *reply, const char *err);
static void campaigns_listed(void *arg, json_t *reply, const char *err);
static void campaign_acted(void *arg, json_t *reply, const char *err);
static void campaign_preview_def(void *arg, json_t *reply, const char *err);
static void campaign_preview_counted(void *arg, json_t *reply, const char *err);
static bool campaign_fail(struct api_call *c, const char *err);
static const char *campaign_sample(void *arg, const char *name);
static bool campaign_has(void *arg, const char *locale);
static long long campaign_finish(const struct api_estimates *e, long long start, long long n, double rate, long tier);

static bool
campaign_fail(struct api_call *c, const char *err)
{
	if (err == NULL)
		return false;
	if (!api_store_down(c))
		api_error(c, 503, "unavailable", NULL, "the store could not answer: try again");
	return true;
}

static json_t *
campaign_object(const json_t *pairs)
{
	json_t *o = json_object();

	for (size_t i = 0; i + 1 < json_array_size(pairs); i += 2)
		json_object_set(o, json_string_value(json_array_get(pairs, i)), json_array_get(pairs, i + 1));
	return o;
}

static long long
campaign_num(const json_t *o, const char *field)
{
	const char *v = json_string_value(json_object_get(o, field));

	return v != NULL ? atoll(v) : 0;
}

static json_t *
campaign_iso(const json_t *def, const char *field)
{
	char iso[40];
	long long ms = campaign_num(def, field);

	if (ms <= 0)
		return json_null();
	zone_format(ms / 1000, iso, sizeof iso);
	return json_string(iso);
}

/* A campaign as the API shows it: its definition, state, and counts. */
static json_t *
campaign_json(const json_t *def, const json_t *counters)
{
	json_t *o, *n = campaign_object(counters),
		   *aud = json_loads(json_string_value(json_object_get(def, "audience")), 0, NULL);
	json_t *texts = json_loads(json_string_value(json_object_get(def, "texts")), 0, NULL);
	json_t *vars = json_loads(json_string_value(json_object_get(def, "vars")), 0, NULL);
	long long excluded = campaign_num(def, "excluded_no_consent") + campaign_num(def, "excluded_opted_out") +
	    campaign_num(def, "excluded_no_text") + campaign_num(def, "excluded_marketing_optout");
	long long sent = campaign_num(n, "sent"), failed = campaign_num(n, "failed"),
		  skipped = campaign_num(n, "skipped") + campaign_num(n, "expired");
	long long to_send = campaign_num(def, "recipients") - campaign_num(def, "excluded_no_text") -
	    campaign_num(def, "excluded_marketing_optout");
	bool started = json_object_get(def, "audience_size") != NULL;
	const char *state = json_string_value(json_object_get(def, "state"));

	o = json_pack("{s:O, s:O, s:O, s:O, s:O, s:O, s:O, s:b}", "id", json_object_get(def, "id"), "name",
	    json_object_get(def, "name"), "kind", json_object_get(def, "kind"), "state", json_object_get(def, "state"),
	    "lane", json_object_get(def, "lane"), "channel", json_object_get(def, "channel"), "template_category",
	    json_object_get(def, "template_category"), "substitute",
	    strcmp(json_string_value(json_object_get(def, "substitute")) != NULL
		    ? json_string_value(json_object_get(def, "substitute"))
		    : "0",
		"1") == 0);
	json_object_set_new(o, "audience", aud != NULL ? aud : json_object());
	json_object_set_new(o, "texts", texts != NULL ? texts : json_object());
	json_object_set_new(o, "vars", vars != NULL ? vars : json_object());
	json_object_set_new(o, "start_at", campaign_iso(def, "start_at"));
	json_object_set_new(o, "expires_at", campaign_iso(def, "expires_at"));
	json_object_set_new(o, "created", campaign_iso(def, "created"));
	json_object_set_new(o, "started", campaign_iso(def, "started"));
	json_object_set(o, "created_by", json_object_get(def, "created_by"));
	json_object_set_new(o, "counts",
	    json_pack("{s:o, s:o, s:I, s:I, s:I, s:I, s:I, s:o}", "audience",
		started ? json_integer(campaign_num(def, "audience_size")) : json_null(), "excluded",
		started ? json_integer(excluded) : json_null(), "queued", (json_int_t)campaign_num(def, "expanded"),
		"sent", (json_int_t)sent, "delivered", (json_int_t)campaign_num(n, "delivered"), "failed",
		(json_int_t)failed, "skipped", (json_int_t)skipped, "remaining",
		started && state != NULL && strcmp(state, "cancelled") != 0
		    ? json_integer(to_send - sent - failed - skipped > 0 ? to_send - sent - failed - skipped : 0)
		    : started ? json_integer(0)
			      : json_null()));
	json_object_set_new(o, "excluded",
	    json_pack("{s:I, s:I, s:I, s:I}", "no_consent", (json_int_t)campaign_num(def, "excluded_no_consent"),
		"opted_out", (json_int_t)campaign_num(def, "excluded_opted_out"), "no_text",
		(json_int_t)campaign_num(def, "excluded_no_text"), "marketing_optout",
		(json_int_t)campaign_num(def, "excluded_marketing_optout")));
	json_decref(n);
	return o;
}

void
api_campaigns_show(struct api_call *c)
{
	struct cmdargs a;

	if (api_store_down(c))
		return;
	memset(&a, 0, sizeof a);
	cmdargs_dup(&a, store_prefix(c->api->store), strlen(store_prefix(c->api->store)));
	cmdargs_dup(&a, c->params[0], strlen(c->params[0]));
	store_run(c->api->store, &campaigns_get, &a, campaign_shown, c);
}

static void
campaign_shown(void *arg, json_t *reply, const char *err)
{
	struct api_call *c = arg;
	json_t *def, *o;

	if (campaign_fail(c, err))
		return;
	if (json_array_size(reply) != 2) {
		api_error(c, 404, "not_found", NULL, "no such campaign");
		return;
	}
	def = campaign_object(json_array_get(reply, 0));
	json_object_set_new(def, "id", json_string(c->params[0]));
	o = campaign_json(def, json_array_get(reply, 1));
	json_decref(def);
	api_reply(c, c->created ? 201 : 200, o);
}

void
api_campaigns_list(struct api_call *c)
{
	char *cursor = api_query(c, "cursor");
	struct cmdargs a;

	if (api_store_down(c))
		goto out;
	memset(&a, 0, sizeof a);
	cmdargs_dup(&a, store_prefix(c->api->store), strlen(store_prefix(c->api->store)));
	cmdargs_dup(&a, cursor != NULL ? cursor : "", cursor != NULL ? strlen(cursor) : 0);
	cmdargs_str(&a, "50");
	store_run(c->api->store, &campaigns_page, &a, campaigns_listed, c);
out:
	free(cursor);
}

static void
campaigns_listed(void *arg, json_t *reply, const char *err)
{
	struct api_call *c = arg;
	json_t *list = json_array(), *page;
	size_t i;

	if (campaign_fail(c, err)) {
		json_decref(list);
		return;
	}
	json_array_foreach(reply, i, page)
	{
		json_t *def = campaign_object(json_array_get(page, 2)), *none = json_array();

		json_object_set(def, "id", json_array_get(page, 0));
		json_array_append_new(list, campaign_json(def, none));
		json_decref(def);
		json_decref(none);
	}
	api_reply_page(c, "campaigns", list, reply, 50);
}

void
api_campaigns_action(struct api_call *c)
{
	const char *act = c->params[1];
	struct cmdargs a;

	if (strcmp(act, "schedule") != 0 && strcmp(act, "pause") != 0 && strcmp(act, "resume") != 0 &&
	    strcmp(act, "cancel") != 0) {
		api_error(c, 404, "not_found", NULL, "no such action: schedule, pause, resume, cancel or preview");
		return;
	}
	if (api_store_down(c))
		return;
	memset(&a, 0, sizeof a);
	cmdargs_dup(&a, store_prefix(c->api->store), strlen(store_prefix(c->api->store)));
	cmdargs_dup(&a, c->params[0], strlen(c->params[0]));
	cmdargs_dup(&a, act, strlen(act));
	cmdargs_num(&a, (long long)time(NULL) * 1000);
	store_run(c->api->store, &campaigns_act, &a, campaign_acted, c);
}

static void
campaign_acted(void *arg, json_t *reply, const char *err)
{
	struct api_call *c = arg;
	const char *v = json_string_value(reply);

	if (campaign_fail(c, err))
		return;
	if (v == NULL || *v == '\0') {
		api_error(c, 404, "not_found", NULL, "no such campaign");
		return;
	}
	if (strncmp(v, "from:", 5) == 0) {
		api_error(c, 409, "conflict", NULL, "a %s campaign cannot be %s", v + 5,
		    strcmp(c->params[1], "schedule") == 0     ? "scheduled"
			: strcmp(c->params[1], "pause") == 0  ? "paused"
			: strcmp(c->params[1], "resume") == 0 ? "resumed"
							      : "cancelled");
		return;
	}
	{
		char action[160];

		snprintf(action, sizeof action, "campaigns.%s", c->params[1]);
		api_audit(c, action, c->params[0], v);
	}
	api_campaigns_show(c);
}

void
api_campaigns_preview(struct api_call *c)
{
	struct campaign_preview *p;
	struct cmdargs a;

	if (api_store_down(c))
		return;
	p = xcalloc(1, sizeof *p);
	p->c = c;
	memset(&a, 0, sizeof a);
	cmdargs_dup(&a, store_prefix(c->api->store), strlen(store_prefix(c->api->store)));
	cmdargs_dup(&a, c->params[0], strlen(c->params[0]));
	store_run(c->api->store, &campaigns_get, &a, campaign_preview_def, p);
}

static void
campaign_preview_def(void *arg, json_t *reply, const char *err)
{
	struct campaign_preview *p = arg;
	struct api_call *c = p->c;
	struct cmdargs a;
	const char *aud;

	if (campaign_fail(c, err) || json_array_size(reply) != 2) {
		if (err == NULL)
			api_error(c, 404, "not_found", NULL, "no such campaign");
		free(p);
		return;
	}
	p->def = campaign_object(json_array_get(reply, 0));
	aud = json_string_value(json_object_get(p->def, "audience"));
	memset(&a, 0, sizeof a);
	cmdargs_dup(&a, store_prefix(c->api->store), strlen(store_prefix(c->api->store)));
	cmdargs_dup(&a, aud != NULL ? aud : "{}", aud != NULL ? strlen(aud) : 2);
	store_run(c->api->store, &campaigns_audience, &a, campaign_preview_counted, p);
}

/* Placeholders for counting a text's length: the campaign's vars, and a first name of ten letters. */
static const char *
campaign_sample(void *arg, const char *name)
{
	if (strcmp(name, "first_name") == 0)
		return "Mohammed-A";
	return json_string_value(json_object_get(arg, name));
}

static bool
campaign_has(void *arg, const char *locale)
{
	return json_object_get(arg, locale) != NULL;
}

/*
 * When n messages at rate a second, at most tier people a day on
 * WhatsApp, starting at start (epoch s), are all sent, the quiet hours
 * skipped: the end, in epoch seconds.
 */
static long long
campaign_finish(const struct api_estimates *e, long long start, long long n, double rate, long tier)
{
	long long t = start, until, q;
	int guard = 0;

	if (n <= 0)
		return start;
	/* A full tier takes tier people a day: whole days first, the rest at the rate. */
	if (tier > 0 && n > tier) {
		long long days = (n - 1) / tier;

		t += days * 86400;
		n -= days * tier;
	}
	while (n > 0 && guard++ < 1000) {
		long long can;

		if ((until = zone_quiet_until(&e->quiet, t)) != 0) {
			t = until;
			continue;
		}
		if (rate <= 0)
			return t;
		/* Until the next quiet hours, found in steps of a quarter of an hour, at most a day ahead. */
		for (q = t; q < t + 86400 && zone_quiet_until(&e->quiet, q + 900) == 0; q += 900)
			;
		q += 900;
		can = (long long)floor(rate * (double)(q - t));
		if (can >= n)
			return t + (long long)ceil((double)n / rate);
		n -= can;
		t = q;
	}
	return t;
}

static void
campaign_preview_counted(void *arg, json_t *reply, const char *err)
{
	struct campaign_preview *p = arg;
	struct api_call *c = p->c;
	const struct api_estimates *e = &c->api->est;
	json_t *counts = json_is_string(reply) ? json_loads(json_string_value(reply), 0, NULL) : NULL;
	json_t *texts, *vars, *lengths = json_object(), *by, *n, *o;
	const char *loc, *channel = json_string_value(json_object_get(p->def, "channel"));
	const char *category = json_string_value(json_object_get(p->def, "template_category"));
	bool substitute = strcmp(json_string_value(json_object_get(p->def, "substitute")) != NULL
				  ? json_string_value(json_object_get(p->def, "substitute"))
				  : "0",
			      "1") == 0;
	long long recipients, wa = 0, sms = 0, start, end_sms, end_wa;
	double cost = 0, segs_total = 0;
	char iso[40];

	if (campaign_fail(c, err) || counts == NULL) {
		if (err == NULL && counts == NULL)
			api_error(c, 503, "unavailable", NULL, "the audience could not be counted: try again");
		goto out;
	}
	texts = json_loads(json_string_value(json_object_get(p->def, "texts")), 0, NULL);
	vars = json_loads(json_string_value(json_object_get(p->def, "vars")), 0, NULL);
	/* Each text's length as carriers will count it (placeholders filled with the vars and a sample name). */
	json_object_foreach(texts, loc, n)
	{
		struct buf body, sub;
		struct segments_result r;
		char why[64];
		json_t *one;

		buf_init(&body);
		template_render(json_string_value(n), json_string_length(n), campaign_sample, vars, &body);
		if (substitute) {
			buf_init(&sub);
			segments_substitute(body.data != NULL ? body.data : "", body.len, &sub);
			buf_free(&body);
			body = sub;
		}
		if (segments_count(body.data != NULL ? body.data : "", body.len, &r, why, sizeof why) == 0) {
			one = json_pack("{s:s, s:I, s:I, s:b}", "encoding", segments_encoding_name(r.encoding),
			    "segments", (json_int_t)r.segments, "units", (json_int_t)r.units, "substitutable",
			    r.substitutable);
			if (r.nforced > 0) {
				json_t *f = json_array();

				for (size_t i = 0; i < r.nforced; i++) {
					char ch[5];
					size_t l = utf8_encode(r.forced[i].cp, ch);

					ch[l] = '\0';
					json_array_append_new(f, json_string(ch));
				}
				json_object_set_new(one, "forced_by", f);
			}
			json_object_set_new(lengths, loc, one);
		}
		buf_free(&body);
	}
	/* Who reads which text: each locale of the audience down the fallback chain. */
	recipients = json_integer_value(json_object_get(counts, "recipients"));
	by = json_object_get(counts, "by_channel");
	if (channel != NULL && strcmp(channel, "whatsapp") == 0)
		wa = recipients;
	else if (channel != NULL && strcmp(channel, "auto") == 0)
		wa = json_integer_value(json_object_get(by, "whatsapp"));
	sms = recipients - wa;
	json_object_foreach(json_object_get(counts, "by_locale"), loc, n)
	{
		const char *t =
		    fallback_pick(strcmp(loc, "none") == 0 ? NULL : loc, c->api->fallback, campaign_has, texts);
		long long people = json_integer_value(n);

		if (t != NULL && recipients > 0)
			segs_total += (double)people * (double)sms / (double)recipients *
			    (double)json_integer_value(json_object_get(json_object_get(lengths, t), "segments"));
	}
	cost = segs_total * e->price_sms_segment +
	    (double)wa *
		(category != NULL && strcmp(category, "utility") == 0 ? e->price_wa_utility : e->price_wa_marketing);
	start = campaign_num(p->def, "start_at") / 1000;
	if (start < (long long)time(NULL))
		start = (long long)time(NULL);
	end_sms = campaign_finish(e, start, sms, e->sms_rate, 0);
	end_wa = campaign_finish(e, start, wa, e->wa_rate, e->wa_tier);
	o = json_pack("{s:s, s:O, s:O, s:O, s:O, s:o, s:{s:I, s:I}}", "id", c->params[0], "audience",
	    json_object_get(counts, "audience"), "recipients", json_object_get(counts, "recipients"), "by_locale",
	    json_object_get(counts, "by_locale"), "by_channel", json_object_get(counts, "by_channel"), "segments",
	    lengths, "messages", "sms", (json_int_t)sms, "whatsapp", (json_int_t)wa);
	json_object_set(o, "excluded", json_object_get(counts, "excluded"));
	json_object_set_new(o, "cost",
	    json_pack("{s:f, s:s, s:f}", "estimate", round(cost * 100) / 100, "currency", e->currency, "sms_segments",
		round(segs_total)));
	zone_format(end_sms > end_wa ? end_sms : end_wa, iso, sizeof iso);
	json_object_set_new(o, "finishes_at", json_string(iso));
	zone_format(start, iso, sizeof iso);
	json_object_set_new(o, "starts_at", json_string(iso));
	json_decref(texts);
	json_decref(vars);
	api_reply(c, 200, o);
	lengths = NULL;
out:
	json_decref(lengths);
	json_decref(counts);
	json_decref(p->def);
	free(p);
}
