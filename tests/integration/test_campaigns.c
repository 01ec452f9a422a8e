/*
 * Campaigns as a community agent runs them, over the /v1 API of a running
 * gateway with a real Redis and the sandbox provider: created with texts
 * in several locales (everything wrong refused at creation), previewed
 * (who, who not and why, length, cost, end), scheduled, expanded (each
 * person one message, in their locale; no consent or opted out: none),
 * paused, resumed and cancelled (nothing more goes out within a second),
 * and the API held to docs/openapi.yaml through Prism's proxy.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gateway/util/buf.h"
#include "tests/integration/harness.h"

#define AGENT "Bearer " HARNESS_AGENT_SECRET
#define BODY(s) s, strlen(s)

/* What the provider received: messages, distinct numbers, and how many began with each greeting. */
struct received {
	long messages, numbers, fr, ar, ary_latn;
};

static void received(struct harness *h, struct received *r);
static long post(int port, const char *path, const char *body, json_t **j);
static char *campaign(int port, const char *audience, const char *extra, long long start_s);
static json_t *campaign_get(int port, const char *id);
static long long count(json_t *c, const char *name);
static void wait_state(int port, const char *id, const char *state, int timeout_ms);
static void local_iso(long long t, char *out, size_t len);

static void
received(struct harness *h, struct received *r)
{
	char path[400], line[4096], seen[512][20];
	size_t nseen = 0;
	FILE *f;

	memset(r, 0, sizeof *r);
	json_decref(harness_sandbox_get(h, "/sandbox/stats"));
	snprintf(path, sizeof path, "%s/sandbox.record", h->dir);
	if ((f = fopen(path, "r")) == NULL)
		return;
	while (fgets(line, sizeof line, f) != NULL) {
		char *to = strchr(line, '\t'), *body;
		bool dup = false;

		if (to == NULL || (to = strchr(to + 1, '\t')) == NULL || (body = strchr(++to, '\t')) == NULL)
			continue;
		*body++ = '\0';
		r->messages++;
		for (size_t i = 0; i < nseen; i++)
			dup |= strcmp(seen[i], to) == 0;
		if (!dup && nseen < 512) {
			snprintf(seen[nseen++], sizeof seen[0], "%s", to);
			r->numbers++;
		}
		r->fr += strncmp(body, "Bonjour", 7) == 0;
		r->ar += strncmp(body, "مرحبا", strlen("مرحبا")) == 0;
		r->ary_latn += strncmp(body, "Salam", 5) == 0;
	}
	fclose(f);
}

static long
post(int port, const char *path, const char *body, json_t **j)
{
	return harness_api(port, "POST", path, AGENT, body != NULL ? "application/json" : NULL, body,
	    body != NULL ? strlen(body) : 0, NULL, j);
}

static void
local_iso(long long t, char *out, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	setenv("TZ", "Africa/Casablanca", 1);
	tzset();
	localtime_r(&tt, &tm);
	strftime(out, len, "%Y-%m-%dT%H:%M:%S", &tm);
}

/* A campaign to audience (JSON) starting at start_s; its id (caller frees). */
static char *
campaign(int port, const char *audience, const char *extra, long long start_s)
{
	char body[2048], at[40];
	json_t *j;
	char *id;

	local_iso(start_s, at, sizeof at);
	snprintf(body, sizeof body,
	    "{\"name\": \"Formation électricité Salé\", \"kind\": \"training_offer\", \"audience\": %s, \"texts\": "
	    "{\"fr\": \"Bonjour {first_name}, formation gratuite à {centre}.\", \"ar\": \"مرحبا {first_name}، تكوين "
	    "مجاني في {centre}\", \"ary-Latn\": \"Salam {first_name}, formation f {centre} bla flous.\"}, \"vars\": "
	    "{\"centre\": \"Salé\"}, \"start_at\": \"%s\", \"channel\": \"sms\"%s}",
	    audience, at, extra != NULL ? extra : "");
	assert_int_equal(post(port, "/v1/campaigns", body, &j), 201);
	assert_string_equal(json_string_value(json_object_get(j, "state")), "draft");
	id = strdup(json_string_value(json_object_get(j, "id")));
	json_decref(j);
	return id;
}

static json_t *
campaign_get(int port, const char *id)
{
	char path[128];
	json_t *j;

	snprintf(path, sizeof path, "/v1/campaigns/%s", id);
	assert_int_equal(harness_api(port, "GET", path, AGENT, NULL, NULL, 0, NULL, &j), 200);
	return j;
}

static long long
count(json_t *c, const char *name)
{
	return json_integer_value(json_object_get(json_object_get(c, "counts"), name));
}

static void
wait_state(int port, const char *id, const char *state, int timeout_ms)
{
	long long end = harness_now_ms() + timeout_ms;
	json_t *j;

	for (;;) {
		j = campaign_get(port, id);
		if (strcmp(json_string_value(json_object_get(j, "state")), state) == 0) {
			json_decref(j);
			return;
		}
		if (harness_now_ms() > end)
			fail_msg(
			    "campaign %s is %s, not %s", id, json_string_value(json_object_get(j, "state")), state);
		json_decref(j);
		harness_sleep_ms(100);
	}
}

static int
setup(void **state)
{
	struct harness *h = harness_api_new(
	    "campaigns", "[prices]\nsms_segment = 0.35\ncurrency = MAD\n[gateway]\nmax_connections = 1\n");
	int port = harness_gateway_port(h);
	json_t *j;
	/* 30 people with consent in three locales, 3 without, 1 who said no, 2 who opted out. */
	struct buf csv;

	buf_init(&csv);
	buf_puts(&csv, "phone,first_name,locale,city,consent\n");
	for (int i = 0; i < 30; i++)
		buf_printf(&csv, "06123400%02d,P%d,%s,%s,yes\n", i, i,
		    i % 3 == 0       ? "fr"
			: i % 3 == 1 ? "ar"
				     : "ary-Latn",
		    i < 20 ? "Rabat" : "Salé");
	for (int i = 30; i < 33; i++)
		buf_printf(&csv, "06123400%02d,P%d,fr,Rabat,\n", i, i);
	buf_printf(&csv, "0612340033,P33,fr,Rabat,no\n");
	buf_printf(&csv, "0612340034,P34,fr,Rabat,yes\n0612340035,P35,ar,Rabat,yes\n");
	assert_int_equal(
	    harness_api(port, "POST", "/v1/contacts/import", AGENT, "text/csv", csv.data, csv.len, NULL, &j), 200);
	json_decref(j);
	buf_free(&csv);
	for (int i = 34; i < 36; i++) {
		char person[32];
		redisReply *r;

		harness_person(i == 34 ? "+212612340034" : "+212612340035", person);
		r = harness_cmd(h, "SADD " HARNESS_PREFIX "optout %s", person);
		freeReplyObject(r);
	}
	*state = h;
	return 0;
}

static void
test_audience_preview_and_refusals(void **state)
{
	struct harness *h = *state;
	int port = harness_gateway_port(h);
	json_t *j;

	assert_int_equal(post(port, "/v1/audiences/preview", "{\"audience\": {\"city\": [\"rabat\"]}}", &j), 200);
	/* Rabat: 20 with consent, 3 without, 1 who said no, 2 opted out. */
	assert_int_equal(json_integer_value(json_object_get(j, "audience")), 26);
	assert_int_equal(json_integer_value(json_object_get(j, "recipients")), 20);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "excluded"), "no_consent")), 4);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "excluded"), "opted_out")), 2);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "by_locale"), "fr")), 7);
	json_decref(j);
	assert_int_equal(post(port, "/v1/audiences/preview", "{\"audience\": {\"town\": [\"x\"]}}", &j), 422);
	json_decref(j);
	/* Refused at creation, each with its field. */
	assert_int_equal(
	    post(port, "/v1/campaigns",
		"{\"name\": \"x\", \"kind\": \"training_offer\", \"audience\": {}, \"texts\": {\"fr\": \"Bonjour "
		"{prenom}\"}, \"start_at\": \"2026-12-24T10:00\"}",
		&j),
	    422);
	assert_string_equal(json_string_value(json_object_get(json_object_get(j, "error"), "field")), "texts");
	assert_non_null(strstr(json_string_value(json_object_get(json_object_get(j, "error"), "message")), "{prenom}"));
	json_decref(j);
	assert_int_equal(
	    post(port, "/v1/campaigns",
		"{\"name\": \"x\", \"kind\": \"promo\", \"audience\": {}, \"texts\": {\"fr\": \"x\"}, \"start_at\": "
		"\"2026-12-24T10:00\"}",
		&j),
	    422);
	assert_string_equal(json_string_value(json_object_get(json_object_get(j, "error"), "field")), "kind");
	json_decref(j);
	/* Without texts: the standard ones of its kind, from the catalogs, in all five locales. */
	assert_int_equal(
	    post(port, "/v1/campaigns",
		"{\"name\": \"Semaine des migrants\", \"kind\": \"event\", \"audience\": {}, \"vars\": "
		"{\"centre\": \"Rabat\", \"date\": \"18/12\", \"link\": \"https://x.ma/e\"}, \"start_at\": "
		"\"2026-12-24T10:00\"}",
		&j),
	    201);
	assert_int_equal(json_object_size(json_object_get(j, "texts")), 5);
	assert_non_null(
	    strstr(json_string_value(json_object_get(json_object_get(j, "texts"), "ary-Latn")), "{centre}"));
	json_decref(j);
	/* The standard texts use {link}: without a value for it, refused. */
	assert_int_equal(
	    post(port, "/v1/campaigns",
		"{\"name\": \"x\", \"kind\": \"event\", \"audience\": {}, \"start_at\": \"2026-12-24T10:00\"}", &j),
	    422);
	assert_non_null(
	    strstr(json_string_value(json_object_get(json_object_get(j, "error"), "message")), "unknown placeholder"));
	json_decref(j);
	assert_int_equal(
	    post(port, "/v1/campaigns",
		"{\"name\": \"x\", \"kind\": \"event\", \"audience\": {}, \"texts\": {\"fr\": \"  \"}, \"start_at\": "
		"\"2026-12-24T10:00\"}",
		&j),
	    422);
	json_decref(j);
	assert_int_equal(
	    post(port, "/v1/campaigns",
		"{\"name\": \"x\", \"kind\": \"event\", \"audience\": {}, \"texts\": {\"fr\": \"x\"}, \"start_at\": "
		"\"24/12/2026\"}",
		&j),
	    422);
	assert_string_equal(json_string_value(json_object_get(json_object_get(j, "error"), "field")), "start_at");
	json_decref(j);
	assert_int_equal(
	    post(port, "/v1/campaigns",
		"{\"name\": \"x\", \"kind\": \"event\", \"audience\": {}, \"texts\": {\"fr\": \"x\"}, \"start_at\": "
		"\"2026-12-24T10:00\", \"expires_at\": \"2026-12-24T09:00\"}",
		&j),
	    422);
	json_decref(j);
}

/* Scheduled now: every person with consent gets one message in their locale; the others none. */
static void
test_campaign_goes_out(void **state)
{
	struct harness *h = *state;
	int port = harness_gateway_port(h);
	struct received r;
	char path[128], *id = campaign(port, "{\"city\": [\"Rabat\", \"Salé\"]}", NULL, (long long)time(NULL));
	json_t *j;

	snprintf(path, sizeof path, "/v1/campaigns/%s/preview", id);
	assert_int_equal(post(port, path, NULL, &j), 200);
	assert_int_equal(json_integer_value(json_object_get(j, "recipients")), 30);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "excluded"), "opted_out")), 2);
	/* "Bonjour Mohammed-A, formation gratuite à Salé." is GSM-7: one part each; 10 French speakers. */
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(json_object_get(j, "segments"), "fr"), "encoding")),
	    "gsm7");
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(json_object_get(j, "segments"), "ar"), "encoding")),
	    "ucs2");
	assert_true(json_real_value(json_object_get(json_object_get(j, "cost"), "estimate")) > 10.0);
	assert_non_null(json_string_value(json_object_get(j, "finishes_at")));
	json_decref(j);
	snprintf(path, sizeof path, "/v1/campaigns/%s/schedule", id);
	assert_int_equal(post(port, path, NULL, &j), 200);
	assert_string_equal(json_string_value(json_object_get(j, "state")), "scheduled");
	json_decref(j);
	/* Scheduling twice is a conflict. */
	assert_int_equal(post(port, path, NULL, &j), 409);
	json_decref(j);
	assert_int_equal(harness_wait_log(h, "sent", 30, 20000), 30);
	harness_sleep_ms(500);
	received(h, &r);
	assert_int_equal(r.messages, 30);
	assert_int_equal(r.numbers, 30);
	assert_int_equal(r.fr, 10);
	assert_int_equal(r.ar, 10);
	assert_int_equal(r.ary_latn, 10);
	wait_state(port, id, "done", 10000);
	j = campaign_get(port, id);
	assert_int_equal(count(j, "audience"), 36);
	assert_int_equal(count(j, "excluded"), 6);
	assert_int_equal(count(j, "sent"), 30);
	assert_int_equal(count(j, "remaining"), 0);
	json_decref(j);
	free(id);
}

/* Paused before it starts: nothing goes until it is resumed. Resuming a draft is a conflict. */
static void
test_pause_and_resume(void **state)
{
	struct harness *h = *state;
	int port = harness_gateway_port(h);
	char path[128], *id = campaign(port, "{\"city\": [\"Salé\"]}", NULL, (long long)time(NULL) + 1);
	long long sent = harness_log_count(h, "sent");
	json_t *j;

	snprintf(path, sizeof path, "/v1/campaigns/%s/resume", id);
	assert_int_equal(post(port, path, NULL, &j), 409);
	json_decref(j);
	snprintf(path, sizeof path, "/v1/campaigns/%s/schedule", id);
	assert_int_equal(post(port, path, NULL, &j), 200);
	json_decref(j);
	snprintf(path, sizeof path, "/v1/campaigns/%s/pause", id);
	assert_int_equal(post(port, path, NULL, &j), 200);
	assert_string_equal(json_string_value(json_object_get(j, "state")), "paused");
	json_decref(j);
	harness_sleep_ms(2500);
	assert_int_equal(harness_log_count(h, "sent"), sent);
	snprintf(path, sizeof path, "/v1/campaigns/%s/resume", id);
	assert_int_equal(post(port, path, NULL, &j), 200);
	assert_string_equal(json_string_value(json_object_get(j, "state")), "scheduled");
	json_decref(j);
	/* Salé: the 10 with consent. */
	assert_int_equal(harness_wait_log(h, "sent", sent + 10, 15000), sent + 10);
	wait_state(port, id, "done", 10000);
	free(id);
}

/* Cancelled while it goes out slowly: within a second nothing more is sent, and the rest is skipped. */
static void
test_cancel_midway(void **state)
{
	struct harness *h = *state;
	int port = harness_gateway_port(h);
	struct harness_http hc = { 0 };
	char path[128], *id;
	long long before = harness_log_count(h, "sent"), at_cancel, later;
	struct received r0, r1, r2;
	json_t *j;

	/* The provider answers each message after 100 ms, one at a time. */
	assert_int_equal(
	    harness_request(&hc, h->sandbox_port, "POST", "/sandbox/config", NULL, "delay=1&delay_ms=100", 20, NULL),
	    200);
	harness_http_close(&hc);
	received(h, &r0);
	id = campaign(port, "{}", ", \"lane\": \"notify\"", (long long)time(NULL));
	snprintf(path, sizeof path, "/v1/campaigns/%s/schedule", id);
	assert_int_equal(post(port, path, NULL, &j), 200);
	json_decref(j);
	assert_true(harness_wait_log(h, "sent", before + 5, 15000) >= before + 5);
	snprintf(path, sizeof path, "/v1/campaigns/%s/cancel", id);
	assert_int_equal(post(port, path, NULL, &j), 200);
	assert_string_equal(json_string_value(json_object_get(j, "state")), "cancelled");
	json_decref(j);
	at_cancel = harness_now_ms();
	received(h, &r1);
	harness_sleep_ms(1000);
	received(h, &r2);
	harness_sleep_ms(2000);
	later = harness_log_count(h, "sent");
	/* What was on the wire at the cancel may still land; nothing starts a second after it. */
	received(h, &r0);
	assert_int_equal(r0.messages, r2.messages);
	assert_true(r2.messages - r1.messages <= 11);
	assert_true(later - before < 30);
	(void)at_cancel;
	j = campaign_get(port, id);
	assert_string_equal(json_string_value(json_object_get(j, "state")), "cancelled");
	assert_int_equal(count(j, "remaining"), 0);
	json_decref(j);
	/* The rest ended skipped, with the reason. */
	{
		long long skipped = harness_hget_ll(h, HARNESS_PREFIX "stats", "skipped");

		assert_true(skipped >= 1);
	}
	assert_int_equal(
	    harness_request(&hc, h->sandbox_port, "POST", "/sandbox/config", NULL, "delay=0", 7, NULL), 200);
	harness_http_close(&hc);
	free(id);
}

/* Through Prism's validating proxy: every campaign endpoint's answers match docs/openapi.yaml. */
static void
test_campaigns_through_prism(void **state)
{
	struct harness *h = *state;
	int port;
	char path[128], *id;
	json_t *j;

	harness_prism_proxy_start(h, "docs/openapi.yaml", harness_gateway_port(h));
	port = h->prism_port;
	id = campaign(
	    port, "{\"locale\": [\"ar\"]}", ", \"expires_at\": \"2036-01-01T00:00\"", (long long)time(NULL) + 3600);
	assert_int_equal(post(port, "/v1/audiences/preview", "{\"audience\": {\"tags_any\": [\"x\"]}}", &j), 200);
	json_decref(j);
	snprintf(path, sizeof path, "/v1/campaigns/%s/preview", id);
	assert_int_equal(post(port, path, NULL, &j), 200);
	json_decref(j);
	json_decref(campaign_get(port, id));
	assert_int_equal(harness_api(port, "GET", "/v1/campaigns", AGENT, NULL, NULL, 0, NULL, &j), 200);
	assert_true(json_array_size(json_object_get(j, "campaigns")) >= 1);
	json_decref(j);
	snprintf(path, sizeof path, "/v1/campaigns/%s/schedule", id);
	assert_int_equal(post(port, path, NULL, &j), 200);
	json_decref(j);
	snprintf(path, sizeof path, "/v1/campaigns/%s/cancel", id);
	assert_int_equal(post(port, path, NULL, &j), 200);
	json_decref(j);
	assert_int_equal(post(port, path, NULL, &j), 409);
	json_decref(j);
	assert_int_equal(harness_api(port, "GET", "/v1/campaigns/c000000000000", AGENT, NULL, NULL, 0, NULL, &j), 404);
	json_decref(j);
	harness_prism_stop(h);
	free(id);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_audience_preview_and_refusals),
		cmocka_unit_test(test_campaign_goes_out),
		cmocka_unit_test(test_pause_and_resume),
		cmocka_unit_test(test_cancel_midway),
		cmocka_unit_test(test_campaigns_through_prism),
	};

	return cmocka_run_group_tests_name("campaigns", tests, setup, harness_teardown);
}
