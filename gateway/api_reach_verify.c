/*
 * POST /v1/reach/verify (amuddu reach --verify): recomputes every reach
 * counter from the records — the delivery log, the inbox, the topics
 * chosen, the consent histories, the referrals and the contact records —
 * and compares. The work is cut into steps of a few thousand records
 * (queues/reach.c, reach_verify), one script call each, so that Redis
 * and the gateway keep serving while it runs; the answer lists every
 * difference, and "ok" is false when there is one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/api_int.h"
#include "gateway/util/xmalloc.h"
#include "gateway/util/zone.h"
#include "queues/reach.h"

/* Differences listed in the answer (all are counted). */
#define VERIFY_LIST_MAX 1000

static const char *const verify_steps[] = { "log", "inbox", "topics", "consent", "tagged", "attrs", "compare",
	"clean" };
#define VERIFY_STEPS (sizeof verify_steps / sizeof verify_steps[0])

static const struct {
	char code;
	const char *name;
} verify_metrics[] = { { 's', "sent" }, { 'd', "delivered" }, { 'r', "read" }, { 'h', "reached" }, { 'p', "replied" },
	{ 'i', "informed" }, { 'f', "referred" }, { 'o', "opted_out" } };

struct verify {
	struct api_call *c;
	char run[24];
	size_t step;
	char cursor[64];
	long long read[VERIFY_STEPS];
	json_t *diffs;
	size_t ndiffs;
	json_t *cuts; /* streams trimmed: the last day they no longer fully hold */
	int tries;    /* Redis's passing errors, retried */
	char *failed; /* why the check stopped: its keys are being deleted before the answer */
};

static void verify_next(struct verify *v);
static void verify_stepped(void *arg, json_t *reply, const char *err);

static const char *
verify_metric(const char *code)
{
	for (size_t i = 0; i < sizeof verify_metrics / sizeof verify_metrics[0]; i++)
		if (code[0] == verify_metrics[i].code && code[1] == '\0')
			return verify_metrics[i].name;
	return code;
}

/* One difference as the answer gives it: the indicator (or attribute), the day or period, the combination. */
static json_t *
verify_diff(const json_t *d)
{
	const char *what = json_string_value(json_array_get(d, 0)), *combo = json_string_value(json_array_get(d, 2));
	char campaign[1100] = "", kind[64] = "", channel[32] = "", name[160];
	const char *a, *b;
	json_t *o;

	if (combo != NULL && (a = strchr(combo, '\x1f')) != NULL && (b = strchr(a + 1, '\x1f')) != NULL) {
		snprintf(campaign, sizeof campaign, "%.*s", (int)(a - combo), combo);
		snprintf(kind, sizeof kind, "%.*s", (int)(b - a - 1), a + 1);
		snprintf(channel, sizeof channel, "%s", b + 1);
	}
	if (what != NULL && strncmp(what, "f~", 2) == 0) {
		snprintf(name, sizeof name, "referred:%s", what + 2);
		what = name;
	}
	o = json_pack("{s:s, s:s, s:I, s:I}", "indicator", verify_metric(what != NULL ? what : ""), "day",
	    json_string_value(json_array_get(d, 1)) != NULL ? json_string_value(json_array_get(d, 1)) : "", "live",
	    (json_int_t)json_integer_value(json_array_get(d, 3)), "recomputed",
	    (json_int_t)json_integer_value(json_array_get(d, 4)));
	if (combo != NULL && strchr(combo, '\x1f') != NULL) {
		json_object_set_new(o, "campaign", json_string(campaign));
		json_object_set_new(o, "kind", json_string(kind));
		json_object_set_new(o, "channel", json_string(channel));
	} else if (combo != NULL && *combo != '\0') {
		json_object_set_new(o, "detail", json_string(combo));
	}
	return o;
}

static void
verify_free(struct verify *v)
{
	json_decref(v->diffs);
	json_decref(v->cuts);
	free(v->failed);
	free(v);
}

static void
verify_next(struct verify *v)
{
	struct cmdargs a;
	const char *prefix = store_prefix(v->c->api->store);
	const char *count = v->step < 3 ? "2000" : v->step == 6 ? "100" : "500";

	memset(&a, 0, sizeof a);
	cmdargs_dup(&a, prefix, strlen(prefix));
	cmdargs_str(&a, verify_steps[v->step]);
	cmdargs_dup(&a, v->cursor, strlen(v->cursor));
	cmdargs_str(&a, count);
	cmdargs_dup(&a, v->run, strlen(v->run));
	cmdargs_dup(&a, v->c->api->noreceipt, strlen(v->c->api->noreceipt));
	store_run(v->c->api->store, &reach_verify, &a, verify_stepped, v);
}

static void
verify_done(struct verify *v)
{
	json_t *checked = json_object();

	for (size_t i = 0; i + 2 < VERIFY_STEPS; i++)
		json_object_set_new(checked, verify_steps[i], json_integer(v->read[i]));
	json_object_set_new(checked, "keys", json_integer(v->read[VERIFY_STEPS - 2]));
	if (v->failed != NULL) {
		json_decref(checked);
		api_error(v->c, 503, "unavailable", NULL, "the check stopped: %s; run it again", v->failed);
		verify_free(v);
		return;
	}
	api_reply(v->c, 200,
	    json_pack("{s:b, s:I, s:O, s:o, s:O}", "ok", v->ndiffs == 0, "differences_total", (json_int_t)v->ndiffs,
		"differences", v->diffs, "checked", checked, "unchecked_through", v->cuts));
	verify_free(v);
}

static void
verify_stepped(void *arg, json_t *reply, const char *err)
{
	struct verify *v = arg;
	const char *next;
	json_t *d;
	size_t i;

	if (err != NULL) {
		if (store_error_transient(err) && strcmp(err, "unavailable") != 0 && v->tries++ < 5) {
			verify_next(v);
			return;
		}
		/* Its own keys (a copy of every counter) are deleted before it answers, unless Redis is gone. */
		if (v->failed == NULL && strcmp(err, "unavailable") != 0) {
			v->failed = xstrdup(err);
			v->step = VERIFY_STEPS - 1;
			snprintf(v->cursor, sizeof v->cursor, "0");
			verify_next(v);
			return;
		}
		api_error(v->c, 503, "unavailable", NULL, "the check stopped: %s; run it again",
		    v->failed != NULL ? v->failed : err);
		verify_free(v);
		return;
	}
	next = json_string_value(json_array_get(reply, 0));
	v->read[v->step] += json_integer_value(json_array_get(reply, 1));
	json_array_foreach(json_array_get(reply, 2), i, d)
	{
		if (v->ndiffs++ < VERIFY_LIST_MAX)
			json_array_append_new(v->diffs, verify_diff(d));
	}
	for (i = 0; i + 1 < json_array_size(json_array_get(reply, 3)); i += 2)
		json_object_set(v->cuts, json_string_value(json_array_get(json_array_get(reply, 3), i)),
		    json_array_get(json_array_get(reply, 3), i + 1));
	if (next == NULL || strcmp(next, "0") == 0) {
		snprintf(v->cursor, sizeof v->cursor, "0");
		if (++v->step == VERIFY_STEPS) {
			verify_done(v);
			return;
		}
	} else {
		snprintf(v->cursor, sizeof v->cursor, "%s", next);
	}
	verify_next(v);
}

void
api_reach_verify(struct api_call *c)
{
	struct verify *v;

	if (api_store_down(c))
		return;
	v = xcalloc(1, sizeof *v);
	v->c = c;
	v->diffs = json_array();
	v->cuts = json_object();
	snprintf(v->run, sizeof v->run, "%llx", (unsigned long long)zone_now_ms() ^ (unsigned long long)random());
	snprintf(v->cursor, sizeof v->cursor, "0");
	verify_next(v);
}
