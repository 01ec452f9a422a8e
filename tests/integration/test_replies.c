/*
 * People who write to us, end to end over loopback: the sandbox posts
 * their messages to the gateway's webhooks as Twilio, Meta and a local
 * aggregator (the generic provider) would, signed; the gateway answers on
 * the reply lane through the provider the message came by, and the
 * sandbox records what it was sent. Keywords and menus in several
 * languages, STOP and START reaching queued campaign messages, a menu
 * that expires, the agents' inbox with its roles, the reply-loop limiter,
 * and the answers' latency while a 100,000-message broadcast drains.
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

#include "tests/integration/harness.h"

#define WA_TOKEN "wa-token"
#define APP_SECRET "app-secret"
#define GEN_SECRET "gen-secret"
#define AGENT "Bearer " HARNESS_AGENT_SECRET
#define MONITORING "Bearer " HARNESS_MONITORING_SECRET

/* Starts Redis, the sandbox (posting to this gateway's webhooks) and a gateway answering people. */
static struct harness *
replies_new(const char *name, const char *more)
{
	struct harness *h = calloc(1, sizeof *h);
	char wa[160], tw[160], gen[160], extra[4096];
	int gp;

	assert_non_null(h);
	harness_init(h, name);
	harness_redis_start(h, false);
	gp = harness_gateway_port(h);
	snprintf(wa, sizeof wa, "http://127.0.0.1:%d/webhooks/whatsapp", gp);
	snprintf(tw, sizeof tw, "http://127.0.0.1:%d/webhooks/twilio/inbound", gp);
	snprintf(gen, sizeof gen, "http://127.0.0.1:%d/webhooks/generic/inbound", gp);
	{
		const char *args[] = { "--wa-webhook", wa, "--wa-app-secret", APP_SECRET, "--wa-token", WA_TOKEN,
			"--twilio-inbound", tw, "--generic-inbound", gen, "--generic-secret", GEN_SECRET,
			"--wa-phone-number-id", "1234567890", NULL };

		harness_sandbox_start(h, args);
	}
	snprintf(extra, sizeof extra,
	    "[whatsapp]\nbase_url = http://127.0.0.1:%d\nphone_number_id = 1234567890\ntoken = " WA_TOKEN "\n"
	    "app_secret = " APP_SECRET "\nverify_token = v\n"
	    /* The aggregator, aimed at the sandbox's Cloud API endpoint as a stand-in for its own JSON. */
	    "[generic]\nurl = http://127.0.0.1:%d/v23.0/1234567890/messages\n"
	    "body = {\"messaging_product\":\"whatsapp\",\"recipient_type\":\"individual\",\"to\":\"${to_digits}\","
	    "\"type\":\"text\",\"text\":{\"body\":\"${text}\"}}\n"
	    "auth_header = Authorization: Bearer " WA_TOKEN "\nid_field = messages.0.id\nwebhook_secret = " GEN_SECRET
	    "\n"
	    "[gateway]\nsms_provider = twilio\n"
	    "[replies]\nenabled = yes\nagent_hours = off\n%s\n",
	    h->sandbox_port, h->sandbox_port, more != NULL ? more : "");
	harness_api_section(extra, sizeof extra);
	harness_gateway_config(h, 0, extra);
	harness_gateway_start(h);
	harness_gateway_wait_http(h);
	return h;
}

static int
setup(void **state)
{
	*state = replies_new("replies", "menu_ttl_s = 10\nmax_per_minute = 6\nmute_s = 120\n");
	return 0;
}

/* The sandbox posts one message from from (E.164) on channel by provider ("twilio", "generic", "whatsapp"). */
static long long
say(struct harness *h, const char *provider, const char *from, const char *text)
{
	json_t *j = json_pack("{s:s, s:s, s:s}", "channel", strcmp(provider, "whatsapp") == 0 ? "whatsapp" : "sms",
	    "from", from, "text", text);
	struct harness_http hc = { 0 };
	const char *hdr[] = { "Content-Type: application/json", NULL };
	long long at = harness_now_ms();
	char *body;

	if (strcmp(provider, "generic") == 0)
		json_object_set_new(j, "provider", json_string("generic"));
	body = json_dumps(j, JSON_COMPACT);
	assert_int_equal(
	    harness_request(&hc, h->sandbox_port, "POST", "/sandbox/inbound", hdr, body, strlen(body), NULL), 202);
	harness_http_close(&hc);
	free(body);
	json_decref(j);
	return at;
}

/* The record file's lines for to (E.164, or its digits for WhatsApp), in order: "<receipt_us>\t<body>". */
static int
received(struct harness *h, const char *to, char lines[][1024], int max)
{
	char path[400], line[4096];
	const char *digits = to[0] == '+' ? to + 1 : to;
	FILE *f;
	int n = 0;

	json_decref(harness_sandbox_get(h, "/sandbox/stats")); /* flushes the record file */
	snprintf(path, sizeof path, "%s/sandbox.record", h->dir);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	while (n < max && fgets(line, sizeof line, f) != NULL) {
		char *t1 = strchr(line, '\t'), *t2 = t1 != NULL ? strchr(t1 + 1, '\t') : NULL;
		char *t3 = t2 != NULL ? strchr(t2 + 1, '\t') : NULL;

		if (t3 == NULL)
			continue;
		*t3 = '\0';
		*t1 = '\0';
		if (strcmp(t2 + 1, to) != 0 && strcmp(t2 + 1, digits) != 0)
			continue;
		t3[1 + strcspn(t3 + 1, "\n")] = '\0';
		snprintf(lines[n++], 1024, "%.20s\t%.1000s", line, t3 + 1);
	}
	fclose(f);
	return n;
}

/* Waits up to ms for the n-th message to to; returns its body (static), failing the test if none comes. */
static const char *
answer(struct harness *h, const char *to, int n, int ms)
{
	static char lines[64][1024];
	long long end = harness_now_ms() + ms;
	int got;

	while ((got = received(h, to, lines, 64)) < n && harness_now_ms() < end)
		harness_sleep_ms(50);
	if (got < n)
		fail_msg("%s got %d messages, not %d", to, got, n);
	return strchr(lines[n - 1], '\t') + 1;
}

/* How many messages to has been sent after waiting ms (for "nothing more came"). */
static int
count_after(struct harness *h, const char *to, int ms)
{
	static char lines[64][1024];

	harness_sleep_ms(ms);
	return received(h, to, lines, 64);
}

static char *
contact_field(struct harness *h, const char *e164, const char *field)
{
	char person[32];
	redisReply *r;
	char *v;

	harness_person(e164, person);
	r = harness_cmd(h, "HGET " HARNESS_PREFIX "contact:%s %s", person, field);
	v = r->type == REDIS_REPLY_STRING ? strdup(r->str) : NULL;
	freeReplyObject(r);
	return v;
}

/* The last reply-lane record for person: its provider and channel. */
static void
reply_route(struct harness *h, const char *e164, char *provider, char *channel)
{
	char person[32];
	redisReply *r, *m;

	harness_person(e164, person);
	r = harness_cmd(h, "XREVRANGE " HARNESS_PREFIX "outbox:reply + - COUNT 200");
	provider[0] = channel[0] = '\0';
	for (size_t i = 0; i < r->elements; i++) {
		redisReply *f = r->element[i]->element[1];
		const char *id = NULL, *contact = NULL;

		for (size_t k = 0; k + 1 < f->elements; k += 2) {
			if (strcmp(f->element[k]->str, "id") == 0)
				id = f->element[k + 1]->str;
			if (strcmp(f->element[k]->str, "contact") == 0)
				contact = f->element[k + 1]->str;
		}
		if (id == NULL || contact == NULL || strcmp(contact, person) != 0)
			continue;
		for (int tries = 0; tries < 50 && provider[0] == '\0'; tries++) {
			m = harness_cmd(h, "HMGET " HARNESS_PREFIX "msg:%s provider channel", id);
			if (m->element[0]->type == REDIS_REPLY_STRING && m->element[0]->len > 0) {
				snprintf(provider, 32, "%s", m->element[0]->str);
				snprintf(channel, 32, "%s", m->element[1]->str);
			}
			freeReplyObject(m);
			if (provider[0] == '\0')
				harness_sleep_ms(100);
		}
		break;
	}
	freeReplyObject(r);
}

/* The status of one /v1 call whose answer is not looked at. */
static long
api_status(struct harness *h, const char *method, const char *path, const char *auth, const char *body)
{
	json_t *ans = NULL;
	long code = harness_api(harness_gateway_port(h), method, path, auth, body != NULL ? "application/json" : NULL,
	    body, body != NULL ? strlen(body) : 0, NULL, &ans);

	json_decref(ans);
	return code;
}

/* A keyword in each language, on each channel: the answer comes back by the way it came, in that language. */
static void
test_keywords_answered_on_each_channel(void **state)
{
	struct harness *h = *state;
	char provider[32], channel[32], *v;
	const char *a;

	say(h, "twilio", "+212770000001", "bghit formation");
	a = answer(h, "+212770000001", 1, 10000);
	assert_non_null(strstr(a, "Takwinat"));
	reply_route(h, "+212770000001", provider, channel);
	assert_string_equal(provider, "twilio");
	assert_string_equal(channel, "sms");

	say(h, "generic", "+212770000002", "  Emploi ?? ");
	a = answer(h, "+212770000002", 1, 10000);
	assert_non_null(strstr(a, "ANAPEC"));
	assert_non_null(strstr(a, "Emploi"));
	reply_route(h, "+212770000002", provider, channel);
	assert_string_equal(provider, "generic");
	assert_string_equal(channel, "sms");

	say(h, "whatsapp", "+212770000003", "بطاقة الإقامة");
	a = answer(h, "+212770000003", 1, 10000);
	reply_route(h, "+212770000003", provider, channel);
	assert_string_equal(provider, "whatsapp");
	assert_string_equal(channel, "whatsapp");
	/* Arabic script in, Arabic script out (the sandbox's record escapes nothing but \, tab and new line). */
	assert_non_null(strstr(a, "\xd8"));
	v = contact_field(h, "+212770000003", "tags");
	assert_non_null(v);
	assert_non_null(strstr(v, "interest:residency"));
	free(v);
	v = contact_field(h, "+212770000002", "tags");
	assert_non_null(strstr(v, "referred:anapec"));
	free(v);
	/* The topics people chose are a stream for M&E: pseudonymous. */
	assert_true(harness_stream_len(h, HARNESS_PREFIX "topics") >= 3);
}

/* The stored locale follows the language the person writes in. */
static void
test_locale_follows_the_person(void **state)
{
	struct harness *h = *state;
	char *v;

	say(h, "twilio", "+212770000011", "formation svp");
	(void)answer(h, "+212770000011", 1, 10000);
	v = contact_field(h, "+212770000011", "locale");
	assert_string_equal(v, "fr");
	free(v);
	say(h, "twilio", "+212770000011", "خدمة");
	(void)answer(h, "+212770000011", 2, 10000);
	v = contact_field(h, "+212770000011", "locale");
	assert_true(strcmp(v, "ar") == 0 || strcmp(v, "ary") == 0);
	free(v);
}

/* STOP skips the person's queued campaign messages and confirms once; START restores them. */
static void
test_stop_and_start_reach_queued_messages(void **state)
{
	struct harness *h = *state;
	char due[32], *s;
	const char *a;
	int before;

	say(h, "twilio", "+212770000021", "salam");
	(void)answer(h, "+212770000021", 1, 10000); /* the inbox's acknowledgement */
	snprintf(due, sizeof due, "%lld", (long long)time(NULL) + 3);
	harness_xadd(h, "bulk", "id", "stop-queued-1", "to", "+212770000021", "text", "Formation en soudure",
	    "campaign", "soudure", "not_before", due, NULL);
	say(h, "twilio", "+212770000021", "STOP");
	a = answer(h, "+212770000021", 2, 10000);
	assert_non_null(strstr(a, "START"));
	s = contact_field(h, "+212770000021", "consent");
	assert_string_equal(s, "no");
	free(s);
	s = contact_field(h, "+212770000021", "consent_source");
	assert_string_equal(s, "keyword");
	free(s);
	/* When its time comes, the campaign message is skipped as opted out. */
	for (int i = 0; i < 100; i++) {
		s = harness_msg_field(h, "stop-queued-1", "state");
		if (s != NULL && strcmp(s, "skipped") == 0)
			break;
		free(s);
		s = NULL;
		harness_sleep_ms(100);
	}
	assert_non_null(s);
	assert_string_equal(s, "skipped");
	free(s);
	s = harness_msg_field(h, "stop-queued-1", "error");
	assert_string_equal(s, "opted_out");
	free(s);
	before = count_after(h, "+212770000021", 200);
	assert_int_equal(before, 2);
	/* START: one confirmation, and campaign messages reach them again. */
	say(h, "twilio", "+212770000021", "start");
	a = answer(h, "+212770000021", 3, 10000);
	assert_non_null(strstr(a, "MENU"));
	harness_xadd(h, "bulk", "id", "stop-queued-2", "to", "+212770000021", "text", "Formation en plomberie",
	    "campaign", "plomberie", NULL);
	a = answer(h, "+212770000021", 4, 10000);
	assert_string_equal(a, "Formation en plomberie");
	s = contact_field(h, "+212770000021", "consent");
	assert_string_equal(s, "yes");
	free(s);
	{
		char person[32];
		redisReply *r;

		harness_person("+212770000021", person);
		r = harness_cmd(h, "XLEN " HARNESS_PREFIX "consent:%s", person);
		assert_int_equal(r->integer, 2);
		freeReplyObject(r);
	}
}

/* MENU opens a numbered menu; a number answers it while it is open, and only then. */
static void
test_menu_and_its_expiry(void **state)
{
	struct harness *h = *state;
	const char *a;

	say(h, "whatsapp", "+212770000031", "menu");
	a = answer(h, "+212770000031", 1, 10000);
	assert_non_null(strstr(a, "1"));
	/* Eastern Arabic 2: the second choice, employment. */
	say(h, "whatsapp", "+212770000031", "\xd9\xa2");
	a = answer(h, "+212770000031", 2, 10000);
	assert_non_null(strstr(a, "ANAPEC"));
	/* After menu_ttl_s (10 s here) the menu is gone: a number gets the menu again, not a topic. */
	harness_sleep_ms(10500);
	say(h, "whatsapp", "+212770000031", "2");
	a = answer(h, "+212770000031", 3, 10000);
	assert_null(strstr(a, "ANAPEC"));
	assert_non_null(strstr(a, "1"));
}

/* Too many messages in a minute: the automatic answers pause, which stops a loop with another robot. */
static void
test_reply_loop_limiter(void **state)
{
	struct harness *h = *state;
	int n;

	for (int i = 0; i < 15; i++)
		say(h, "twilio", "+212770000041", "formation");
	(void)answer(h, "+212770000041", 6, 10000);
	n = count_after(h, "+212770000041", 1500);
	/* max_per_minute = 6: six answers, then none (even if the minute turned, the pause lasts 120 s). */
	assert_int_equal(n, 6);
	assert_true(harness_hget_ll(h, HARNESS_PREFIX "stats", "replies_muted") >= 9);
	assert_true(harness_metric(h, "\namuddu_replies_muted_total ") >= 9);
}

/* Unmatched text opens a conversation; the agent answers it on the same channel and closes it. */
static void
test_inbox(void **state)
{
	struct harness *h = *state;
	json_t *ans = NULL, *conv;
	char person[32], path[160];
	const char *a, *body = "{\"text\":\"Salam, ghadi n3ayet lik ghedda.\"}";
	long code;
	size_t i;
	bool found = false;

	harness_person("+212770000051", person);
	say(h, "generic", "+212770000051", "Salam, smiti Amina, ana f Sale");
	a = answer(h, "+212770000051", 1, 10000);
	assert_non_null(a); /* the acknowledgement */
	code = harness_api(harness_gateway_port(h), "GET", "/v1/inbox", AGENT, NULL, NULL, 0, NULL, &ans);
	assert_int_equal(code, 200);
	json_array_foreach(json_object_get(ans, "conversations"), i, conv)
	{
		if (strcmp(json_string_value(json_object_get(conv, "id")), person) != 0)
			continue;
		found = true;
		assert_string_equal(json_string_value(json_object_get(conv, "number")), "+2127******51");
		assert_string_equal(json_string_value(json_object_get(conv, "channel")), "sms");
		assert_true(json_is_true(json_object_get(conv, "open")));
	}
	assert_true(found);
	json_decref(ans);
	/* Roles: no token 401, monitoring 403. */
	assert_int_equal(api_status(h, "GET", "/v1/inbox", NULL, NULL), 401);
	assert_int_equal(api_status(h, "GET", "/v1/inbox", MONITORING, NULL), 403);
	snprintf(path, sizeof path, "/v1/inbox/%s/reply", person);
	assert_int_equal(api_status(h, "POST", path, MONITORING, body), 403);
	/* The thread holds what they wrote and the acknowledgement. */
	snprintf(path, sizeof path, "/v1/inbox/%s", person);
	assert_int_equal(harness_api(harness_gateway_port(h), "GET", path, AGENT, NULL, NULL, 0, NULL, &ans), 200);
	assert_int_equal(json_array_size(json_object_get(ans, "messages")), 2);
	assert_string_equal(
	    json_string_value(json_object_get(json_array_get(json_object_get(ans, "messages"), 0), "topic")), "none");
	json_decref(ans);
	/* The agent's answer goes back through the aggregator it came by. */
	snprintf(path, sizeof path, "/v1/inbox/%s/reply", person);
	code = harness_api(
	    harness_gateway_port(h), "POST", path, AGENT, "application/json", body, strlen(body), NULL, &ans);
	assert_int_equal(code, 202);
	json_decref(ans);
	a = answer(h, "+212770000051", 2, 10000);
	assert_string_equal(a, "Salam, ghadi n3ayet lik ghedda.");
	{
		char provider[32], channel[32];

		reply_route(h, "+212770000051", provider, channel);
		assert_string_equal(provider, "generic");
	}
	snprintf(path, sizeof path, "/v1/inbox/%s/close", person);
	assert_int_equal(api_status(h, "POST", path, AGENT, NULL), 200);
	assert_int_equal(api_status(h, "POST", path, AGENT, NULL), 409);
	assert_int_equal(
	    harness_api(harness_gateway_port(h), "GET", "/v1/inbox", AGENT, NULL, NULL, 0, NULL, &ans), 200);
	json_array_foreach(json_object_get(ans, "conversations"), i, conv)
	    assert_string_not_equal(json_string_value(json_object_get(conv, "id")), person);
	json_decref(ans);
	/* Erasing the person erases the conversation. */
	snprintf(path, sizeof path, "/v1/contacts/%s", person);
	assert_int_equal(api_status(h, "DELETE", path, "Bearer " HARNESS_ADMIN_SECRET, NULL), 200);
	{
		redisReply *r =
		    harness_cmd(h, "EXISTS " HARNESS_PREFIX "thread:%s " HARNESS_PREFIX "conv:%s", person, person);

		assert_int_equal(r->integer, 0);
		freeReplyObject(r);
	}
}

/* Every inbox endpoint through Prism's validating proxy: the answers match docs/openapi.yaml. */
static void
test_inbox_through_prism(void **state)
{
	struct harness *h = *state;
	char person[32], path[160];
	const char *body = "{\"text\":\"Salam, ghadi n3ayet lik.\"}";
	json_t *ans = NULL;
	int port;

	harness_person("+212770000071", person);
	say(h, "whatsapp", "+212770000071", "Bonjour, je suis arrivé hier à Rabat");
	(void)answer(h, "+212770000071", 1, 10000);
	harness_prism_proxy_start(h, "docs/openapi.yaml", harness_gateway_port(h));
	port = h->prism_port;
	assert_int_equal(harness_api(port, "GET", "/v1/inbox?limit=2", AGENT, NULL, NULL, 0, NULL, &ans), 200);
	json_decref(ans);
	snprintf(path, sizeof path, "/v1/inbox/%s", person);
	assert_int_equal(harness_api(port, "GET", path, AGENT, NULL, NULL, 0, NULL, &ans), 200);
	json_decref(ans);
	snprintf(path, sizeof path, "/v1/inbox/%s/reply", person);
	assert_int_equal(
	    harness_api(port, "POST", path, AGENT, "application/json", body, strlen(body), NULL, &ans), 202);
	json_decref(ans);
	assert_int_equal(harness_api(port, "POST", path, AGENT, "application/json", "{\"txt\":1}", 9, NULL, &ans), 422);
	json_decref(ans);
	snprintf(path, sizeof path, "/v1/inbox/%s/close", person);
	assert_int_equal(harness_api(port, "POST", path, AGENT, NULL, NULL, 0, NULL, &ans), 200);
	json_decref(ans);
	assert_int_equal(harness_api(port, "POST", path, AGENT, NULL, NULL, 0, NULL, &ans), 409);
	json_decref(ans);
	assert_int_equal(
	    harness_api(port, "GET", "/v1/inbox/000000000000000000000000", AGENT, NULL, NULL, 0, NULL, &ans), 404);
	json_decref(ans);
	/* A person who sent STOP gets no agent's answer either. */
	say(h, "whatsapp", "+212770000071", "stop");
	(void)answer(h, "+212770000071", 3, 10000);
	snprintf(path, sizeof path, "/v1/inbox/%s/reply", person);
	assert_int_equal(
	    harness_api(port, "POST", path, AGENT, "application/json", body, strlen(body), NULL, &ans), 409);
	json_decref(ans);
	harness_prism_stop(h);
}

/* The aggregator's webhook is signed and deduplicated like the others. */
static void
test_generic_inbound_signed_and_deduplicated(void **state)
{
	struct harness *h = *state;
	struct harness_http hc = { 0 };
	const char *hdr[] = { "Content-Type: application/json", NULL };
	const char *body = "{\"id\":\"agg-dup-1\",\"from\":\"212770000061\",\"text\":\"covid\"}";
	char sig[80], sh[120];
	const char *signed_hdr[] = { "Content-Type: application/json", sh, NULL };
	long long before = harness_stream_len(h, HARNESS_PREFIX "inbox");

	assert_int_equal(harness_request(&hc, harness_gateway_port(h), "POST", "/webhooks/generic/inbound", hdr, body,
			     strlen(body), NULL),
	    401);
	harness_sign_meta(GEN_SECRET, body, strlen(body), sig);
	snprintf(sh, sizeof sh, "X-Signature: %s", sig);
	for (int i = 0; i < 2; i++)
		assert_int_equal(harness_request(&hc, harness_gateway_port(h), "POST", "/webhooks/generic/inbound",
				     signed_hdr, body, strlen(body), NULL),
		    200);
	harness_http_close(&hc);
	assert_int_equal(harness_stream_len(h, HARNESS_PREFIX "inbox"), before + 1);
	(void)answer(h, "+212770000061", 1, 10000);
	assert_int_equal(count_after(h, "+212770000061", 500), 1);
}

/*
 * An answer's p99 stays under a second while a 100,000-message broadcast
 * drains: answers go on the reply lane, ahead of the broadcast's messages.
 */
static void
test_answers_fast_during_a_broadcast(void **state)
{
	struct harness *h = replies_new("replies-load", "max_per_minute = 100\n");
	enum { N = 120 };
	long long lat[N], sent_at;
	char to[N][20];
	int slow = 0;

	(void)state;
	/* A provider that takes 100 ms to answer: the broadcast fills every transfer slot for minutes. */
	{
		struct harness_http hc = { 0 };

		assert_int_equal(harness_request(&hc, h->sandbox_port, "POST", "/sandbox/config", NULL,
				     "delay=1&delay_ms=100", 20, NULL),
		    200);
		harness_http_close(&hc);
	}
	harness_xadd_burst(h, "bulk", "drain", 100000, NULL);
	/* The broadcast is under way. */
	while (harness_hget_ll(h, HARNESS_PREFIX "stats", "sent") < 500)
		harness_sleep_ms(50);
	for (int i = 0; i < N; i++) {
		snprintf(to[i], sizeof to[i], "+2127710%05d", i);
		lat[i] = say(h,
		    i % 3 == 0       ? "twilio"
			: i % 3 == 1 ? "generic"
				     : "whatsapp",
		    to[i], i % 2 == 0 ? "formation" : "menu");
		harness_sleep_ms(40);
	}
	for (int i = 0; i < N; i++) {
		static char lines[4][1024];
		long long end = harness_now_ms() + 20000;

		while (received(h, to[i], lines, 4) < 1 && harness_now_ms() < end)
			harness_sleep_ms(20);
		assert_true(received(h, to[i], lines, 4) >= 1);
		sent_at = strtoll(lines[0], NULL, 10) / 1000;
		lat[i] = sent_at - lat[i];
	}
	/* Still draining when the last answer went: the answers did not wait for it. */
	sent_at = harness_hget_ll(h, HARNESS_PREFIX "stats", "sent");
	printf("answers during a broadcast: %d answers, broadcast sent %lld of 100000 meanwhile\n", N, sent_at);
	assert_true(sent_at < 100000);
	for (int i = 0; i < N; i++)
		slow += lat[i] >= 1000;
	{
		long long sorted[N];

		memcpy(sorted, lat, sizeof sorted);
		for (int i = 1; i < N; i++)
			for (int j = i; j > 0 && sorted[j - 1] > sorted[j]; j--) {
				long long t = sorted[j];

				sorted[j] = sorted[j - 1];
				sorted[j - 1] = t;
			}
		printf("answer latency ms: p50 %lld p99 %lld max %lld\n", sorted[N / 2], sorted[N * 99 / 100],
		    sorted[N - 1]);
		assert_true(sorted[N * 99 / 100] < 1000);
	}
	(void)slow;
	harness_cleanup(h);
	free(h);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keywords_answered_on_each_channel),
		cmocka_unit_test(test_locale_follows_the_person),
		cmocka_unit_test(test_stop_and_start_reach_queued_messages),
		cmocka_unit_test(test_menu_and_its_expiry),
		cmocka_unit_test(test_reply_loop_limiter),
		cmocka_unit_test(test_inbox),
		cmocka_unit_test(test_inbox_through_prism),
		cmocka_unit_test(test_generic_inbound_signed_and_deduplicated),
	};
	const struct CMUnitTest load[] = {
		cmocka_unit_test(test_answers_fast_during_a_broadcast),
	};
	int rc;

	if (getenv("AMUDDU_TEST_FILTER") != NULL)
		cmocka_set_test_filter(getenv("AMUDDU_TEST_FILTER"));
	rc = cmocka_run_group_tests_name("replies", tests, setup, harness_teardown);

	return rc + cmocka_run_group_tests_name("replies under load", load, NULL, NULL);
}
