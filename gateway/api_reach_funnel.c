/*
 * GET /v1/reach/funnel?campaign=…: one campaign from its audience to its
 * referrals — audience, left out (by reason), then people sent,
 * delivered, read, replied, informed, referred and opted out (the reach
 * counters, all time), beside its message counts and why messages were
 * not sent or not delivered, the providers' error codes grouped.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/api_int.h"
#include "gateway/api_reach.h"
#include "gateway/util/xmalloc.h"
#include "handlers/reach_period.h"
#include "queues/keys.h"
#include "queues/reach.h"

struct funnel {
	struct api_call *c;
	struct reach_ask ask;
	json_t *first; /* the campaign's record, counters and reasons */
	char *name;
};

/* A provider's error code (or a rule) as the group the funnel shows it in. */
static const char *
funnel_group(const char *reason)
{
	static const struct {
		const char *code, *group;
	} codes[] = {
		{ "twilio 21211", "invalid_number" },
		{ "twilio 21614", "invalid_number" },
		{ "twilio 21217", "invalid_number" },
		{ "twilio 21401", "invalid_number" },
		{ "twilio 21610", "opted_out" },
		{ "twilio 30003", "unreachable" },
		{ "twilio 30005", "unreachable" },
		{ "twilio 30006", "unreachable" },
		{ "twilio 30004", "blocked_or_filtered" },
		{ "twilio 30007", "blocked_or_filtered" },
		{ "twilio 20429", "rate_limited" },
		{ "twilio 14107", "rate_limited" },
		{ "twilio 63016", "window_closed" },
		{ "whatsapp 131026", "unreachable" },
		{ "whatsapp 131047", "window_closed" },
		{ "whatsapp 131049", "marketing_limit" },
		{ "whatsapp 131050", "marketing_optout" },
		{ "whatsapp 130429", "rate_limited" },
		{ "whatsapp 131048", "rate_limited" },
		{ "whatsapp 131056", "rate_limited" },
		{ "whatsapp 80007", "rate_limited" },
		{ "whatsapp 131021", "invalid_number" },
		{ "whatsapp 131030", "invalid_number" },
		{ "whatsapp 131008", "invalid_request" },
		{ "whatsapp 131009", "invalid_request" },
		{ "whatsapp 100", "invalid_request" },
	};
	static const char *const rules[] = { "opted_out", "window_closed", "marketing_optout", "quiet_hours" };

	for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
		if (strcmp(reason, codes[i].code) == 0)
			return codes[i].group;
	if (strncmp(reason, "whatsapp 132", 12) == 0)
		return "template";
	for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++)
		if (strcmp(reason, rules[i]) == 0)
			return rules[i];
	if (strcmp(reason, "expires") == 0 || strcmp(reason, "expired") == 0)
		return "expired";
	if (strcmp(reason, "gave") == 0)
		return "attempts_exhausted";
	return strchr(reason, ' ') != NULL ? "provider_error" : "other";
}

static long long
funnel_get(const json_t *pairs, const char *name)
{
	for (size_t i = 0; i + 1 < json_array_size(pairs); i += 2)
		if (strcmp(json_string_value(json_array_get(pairs, i)), name) == 0)
			return atoll(json_string_value(json_array_get(pairs, i + 1)));
	return 0;
}

/* {"<outcome>": {"<group>": {"count", "codes": {"twilio 30003": n}}}} from the why hash ("failed:twilio 30003"). */
static json_t *
funnel_reasons(const json_t *why)
{
	json_t *out = json_object();

	for (size_t i = 0; i + 1 < json_array_size(why); i += 2) {
		const char *k = json_string_value(json_array_get(why, i)), *colon = strchr(k, ':');
		long long n = atoll(json_string_value(json_array_get(why, i + 1)));
		char outcome[32];
		const char *group;
		json_t *o, *g, *codes;

		if (colon == NULL)
			continue;
		snprintf(outcome, sizeof outcome, "%.*s", (int)(colon - k), k);
		group = funnel_group(colon + 1);
		if ((o = json_object_get(out, outcome)) == NULL)
			json_object_set_new(out, outcome, o = json_object());
		if ((g = json_object_get(o, group)) == NULL)
			json_object_set_new(
			    o, group, g = json_pack("{s:I, s:o}", "count", (json_int_t)0, "codes", json_object()));
		json_object_set_new(g, "count", json_integer(json_integer_value(json_object_get(g, "count")) + n));
		codes = json_object_get(g, "codes");
		json_object_set_new(
		    codes, colon + 1, json_integer(json_integer_value(json_object_get(codes, colon + 1)) + n));
	}
	return out;
}

static void
funnel_free(struct funnel *f)
{
	reach_ask_free(&f->ask);
	json_decref(f->first);
	free(f->name);
	free(f);
}

static void
funnel_people(void *arg, json_t *reply, const char *err)
{
	struct funnel *f = arg;
	const json_t *rec = json_array_get(f->first, 0), *ctr = json_array_get(f->first, 1);
	json_t *out, *people = json_object(), *msgs = json_object(), *aud = json_null();
	struct reach_report r;
	static const char *const mnames[] = { "queued", "sent", "delivered", "read", "undelivered", "failed", "skipped",
		"expired", "retries", "resent" };

	if (err != NULL) {
		if (!api_store_down(f->c))
			api_error(f->c, 503, "unavailable", NULL, "the counters could not be read: try again");
		funnel_free(f);
		return;
	}
	reach_report_from(&f->ask, reply, f->c->api->reach->suppress_below, f->c->api->noreceipt[0] != '\0', &r);
	out = reach_json(&r);
	json_object_update(people, json_object_get(out, "totals"));
	json_decref(out);
	reach_report_free(&r);
	for (size_t i = 0; i < sizeof mnames / sizeof mnames[0]; i++)
		json_object_set_new(msgs, mnames[i], json_integer(funnel_get(ctr, mnames[i])));
	if (json_array_size(rec) > 0) {
		aud = json_pack("{s:I, s:I, s:{s:I, s:I, s:I, s:I}}", "audience",
		    (json_int_t)funnel_get(rec, "audience_size"), "recipients",
		    (json_int_t)funnel_get(rec, "recipients"), "excluded", "no_consent",
		    (json_int_t)funnel_get(rec, "excluded_no_consent"), "opted_out",
		    (json_int_t)funnel_get(rec, "excluded_opted_out"), "no_text",
		    (json_int_t)funnel_get(rec, "excluded_no_text"), "marketing_optout",
		    (json_int_t)funnel_get(rec, "excluded_marketing_optout"));
	}
	api_reply(f->c, 200,
	    json_pack("{s:s, s:o, s:o, s:o, s:o}", "campaign", f->name, "audience", aud, "people", people, "messages",
		msgs, "not_sent_or_not_delivered", funnel_reasons(json_array_get(f->first, 2))));
	funnel_free(f);
}

static void
funnel_read(void *arg, json_t *reply, const char *err)
{
	struct funnel *f = arg;

	if (err != NULL) {
		if (!api_store_down(f->c))
			api_error(f->c, 503, "unavailable", NULL, "the campaign could not be read: try again");
		funnel_free(f);
		return;
	}
	if (json_array_size(json_array_get(reply, 0)) == 0 && json_array_size(json_array_get(reply, 1)) == 0) {
		api_error(f->c, 404, "not_found", "campaign", "no campaign of that name or id has any message");
		funnel_free(f);
		return;
	}
	f->first = json_incref(reply);
	reach_run(f->c->api->store, &f->ask, reach_today(), funnel_people, f);
}

void
api_reach_funnel(struct api_call *c)
{
	char *name = api_query(c, "campaign"), *ckey;
	const char *q[REACH_Q_COUNT] = { NULL };
	char field[32], why[160], from[16], to[16];
	struct funnel *f;
	struct cmdargs a;
	long today = reach_today();

	if (name == NULL || *name == '\0') {
		free(name);
		api_error(
		    c, 422, "invalid", "campaign", "campaign is the campaign's id or name as its messages carry it");
		return;
	}
	if (api_store_down(c)) {
		free(name);
		return;
	}
	f = xcalloc(1, sizeof *f);
	f->c = c;
	f->name = name;
	/* All time: the ten years the counters can be asked about. */
	reach_date_format(today - 3650, from, sizeof from);
	reach_date_format(today, to, sizeof to);
	q[REACH_Q_FROM] = from;
	q[REACH_Q_TO] = to;
	q[REACH_Q_CAMPAIGN] = name;
	if (reach_ask_parse(&f->ask, q, today, field, sizeof field, why, sizeof why) != 0) {
		api_error(c, 422, "invalid", field, "%s", why);
		funnel_free(f);
		return;
	}
	/* The name is one value, commas and all. */
	json_object_set_new(f->ask.filters, "campaign", json_pack("[s]", name));
	ckey = keys_encode(name, strlen(name));
	memset(&a, 0, sizeof a);
	cmdargs_dup(&a, store_prefix(c->api->store), strlen(store_prefix(c->api->store)));
	cmdargs_dup(&a, name, strlen(name));
	cmdargs_dup(&a, ckey, strlen(ckey));
	free(ckey);
	store_run(c->api->store, &reach_funnel, &a, funnel_read, f);
}
