/*
 * Channels end to end: SMS (Twilio wire format) and WhatsApp (Cloud API)
 * through the sandbox provider, its signed status callbacks and inbound
 * messages into the gateway's webhooks, and what a user then sees: the
 * delivery log (each change exactly once), the message record, the reach
 * counters, the inbox, the contacts, and the HTTP answers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tests/integration/harness.h"

#define APP_SECRET "test-app-secret"
#define VERIFY_TOKEN "test-verify-token"
#define WA_TOKEN "sandbox-wa-token"

static int setup(void **state);
static int teardown(void **state);
static int setup_generic(void **state);
static long long events(struct harness *h, const char *id, const char *state);
static long twilio_status_post(
    struct harness *h, struct harness_http *hc, const char *token, const char *signed_path, const char *form);
static char *msg_field(struct harness *h, const char *id, const char *field);
static long long stat(struct harness *h, const char *field);
static void wait_callbacks(struct harness *h);
static void wait_state(struct harness *h, const char *id, const char *state);
static char *recorded_body(struct harness *h, const char *to);
static char *recorded_body_once(struct harness *h, const char *to);
static void inbound(struct harness *h, const char *channel, const char *from, const char *text, int repeat);

static int
setup(void **state)
{
	struct harness *h = calloc(1, sizeof *h);
	char wa[160], tw[160], extra[1024];
	int gp;

	harness_init(h, "channels");
	harness_redis_start(h, false);
	gp = harness_gateway_port(h);
	snprintf(wa, sizeof wa, "http://127.0.0.1:%d/webhooks/whatsapp", gp);
	snprintf(tw, sizeof tw, "http://127.0.0.1:%d/webhooks/twilio/inbound", gp);
	{
		const char *args[] = { "--wa-webhook", wa, "--wa-app-secret", APP_SECRET, "--wa-token", WA_TOKEN,
			"--twilio-inbound", tw, "--wa-not-on-whatsapp", "21269", "--wa-phone-number-id", "1234567890",
			/* After the answer, as real providers do: only chains marked early overtake the recording. */
			"--callback-delay-ms", "50", NULL };

		harness_sandbox_start(h, args);
	}
	snprintf(extra, sizeof extra,
	    "[whatsapp]\nbase_url = http://127.0.0.1:%d\nphone_number_id = 1234567890\ntoken = " WA_TOKEN "\n"
	    "app_secret = " APP_SECRET "\nverify_token = " VERIFY_TOKEN "\n"
	    "template.training_offer.fr = amuddu_training fr text\n"
	    "template.event.ar = amuddu_event ar title date\n",
	    h->sandbox_port);
	harness_gateway_config(h, 0, extra);
	harness_gateway_start(h);
	harness_gateway_wait_http(h);
	*state = h;
	return 0;
}

/*
 * The generic provider as SMS channel, aimed at the sandbox's Cloud API
 * endpoint as a stand-in for a local aggregator with its own JSON shape.
 */
static int
setup_generic(void **state)
{
	struct harness *h = calloc(1, sizeof *h);
	char extra[1024];

	harness_init(h, "channels-generic");
	harness_redis_start(h, false);
	harness_sandbox_start(h, NULL);
	snprintf(extra, sizeof extra,
	    "[gateway]\nsms_provider = generic\n"
	    "[generic]\nurl = http://127.0.0.1:%d/v23.0/1234567890/messages\n"
	    "body = {\"messaging_product\":\"whatsapp\",\"recipient_type\":\"individual\",\"to\":\"${to_digits}\","
	    "\"type\":\"text\",\"text\":{\"body\":\"${text}\"}}\n"
	    "auth_header = Authorization: Bearer " WA_TOKEN "\nid_field = messages.0.id\nwebhook_secret = gen-secret\n",
	    h->sandbox_port);
	harness_gateway_config(h, 0, extra);
	harness_gateway_start(h);
	harness_gateway_wait_http(h);
	*state = h;
	return 0;
}

static int
teardown(void **state)
{
	assert_int_equal(harness_finish(*state, 15000), 0);
	return 0;
}

/*
 * POSTs form to /webhooks/twilio/status signed with token for the URL of
 * signed_path (no signature when token is NULL); returns the status.
 */
static long
twilio_status_post(
    struct harness *h, struct harness_http *hc, const char *token, const char *signed_path, const char *form)
{
	char url[200], sig[64], hsig[100];
	const char *hdr[3] = { "Content-Type: application/x-www-form-urlencoded", token != NULL ? hsig : NULL, NULL };

	snprintf(url, sizeof url, "http://127.0.0.1:%d%s", h->gateway_port, signed_path);
	if (token != NULL) {
		harness_sign_twilio(token, url, form, sig);
		snprintf(hsig, sizeof hsig, "X-Twilio-Signature: %s", sig);
	}
	return harness_request(hc, h->gateway_port, "POST", "/webhooks/twilio/status", hdr, form, strlen(form), NULL);
}

/* Delivery log events of message id with this state. */
static long long
events(struct harness *h, const char *id, const char *state)
{
	redisReply *r = harness_cmd(h, "XRANGE " HARNESS_PREFIX "log - +");
	long long n = 0;

	for (size_t i = 0; i < r->elements; i++) {
		redisReply *f = r->element[i]->element[1];
		const char *eid = NULL, *est = NULL;

		for (size_t j = 0; j + 1 < f->elements; j += 2) {
			if (strcmp(f->element[j]->str, "id") == 0)
				eid = f->element[j + 1]->str;
			else if (strcmp(f->element[j]->str, "state") == 0)
				est = f->element[j + 1]->str;
		}
		if (eid != NULL && est != NULL && strcmp(eid, id) == 0 && strcmp(est, state) == 0)
			n++;
	}
	freeReplyObject(r);
	return n;
}

static char *
msg_field(struct harness *h, const char *id, const char *field)
{
	redisReply *r = harness_cmd(h, "HGET " HARNESS_PREFIX "msg:%s %s", id, field);
	char *s = strdup(r->type == REDIS_REPLY_STRING ? r->str : "");

	freeReplyObject(r);
	return s;
}

static long long
stat(struct harness *h, const char *field)
{
	return harness_hget_ll(h, HARNESS_PREFIX "stats", field);
}

/* Until the sandbox has no callback left to deliver (each answered or given up). */
static void
wait_callbacks(struct harness *h)
{
	long long end = harness_now_ms() + 15000;

	while (harness_now_ms() < end) {
		if (harness_sandbox_stat2(h, "callbacks", "pending") == 0)
			return;
		harness_sleep_ms(50);
	}
	fail_msg("sandbox callbacks still pending");
}

static void
wait_state(struct harness *h, const char *id, const char *state)
{
	long long end = harness_now_ms() + 15000;
	char *s = NULL;

	while (harness_now_ms() < end) {
		free(s);
		s = msg_field(h, id, "state");
		if (strcmp(s, state) == 0) {
			free(s);
			return;
		}
		harness_sleep_ms(50);
	}
	fail_msg("message %s is in state '%s', not '%s'", id, s, state);
}

/*
 * The body the sandbox recorded for the last message to this number ("" if
 * none after a moment: the sandbox writes its record in blocks).
 */
static char *
recorded_body(struct harness *h, const char *to)
{
	long long end = harness_now_ms() + 3000;
	char *b;

	while ((b = recorded_body_once(h, to))[0] == '\0' && harness_now_ms() < end) {
		free(b);
		harness_sleep_ms(100);
	}
	return b;
}

static char *
recorded_body_once(struct harness *h, const char *to)
{
	char path[400], line[4096], *found = strdup("");
	FILE *f;

	snprintf(path, sizeof path, "%s/sandbox.record", h->dir);
	if ((f = fopen(path, "r")) == NULL)
		return found;
	while (fgets(line, sizeof line, f) != NULL) {
		char *t1 = strchr(line, '\t'), *t2 = t1 != NULL ? strchr(t1 + 1, '\t') : NULL;
		char *t3 = t2 != NULL ? strchr(t2 + 1, '\t') : NULL;

		if (t3 == NULL)
			continue;
		*t3 = '\0';
		if (strcmp(t2 + 1, to) == 0) {
			free(found);
			found = strdup(t3 + 1);
			found[strcspn(found, "\n")] = '\0';
		}
	}
	fclose(f);
	return found;
}

static void
inbound(struct harness *h, const char *channel, const char *from, const char *text, int repeat)
{
	json_t *j = json_pack("{s:s, s:s, s:s, s:i}", "channel", channel, "from", from, "text", text, "repeat", repeat);
	char *body = json_dumps(j, JSON_COMPACT);
	struct harness_http hc = { 0 };
	const char *hdr[] = { "Content-Type: application/json", NULL };

	assert_int_equal(
	    harness_request(&hc, h->sandbox_port, "POST", "/sandbox/inbound", hdr, body, strlen(body), NULL), 202);
	harness_http_close(&hc);
	free(body);
	json_decref(j);
}

/* sent → delivered → read, in order: each change once, reach counted once. */
static void
test_sms_statuses_in_order(void **state)
{
	struct harness *h = *state;
	char *s;

	harness_xadd(h, "bulk", "id", "sms-1", "to", "+212612345001", "channel", "sms", "campaign", "c1", "text",
	    "Formation en soudure [[cb:sent,delivered,read]]", NULL);
	wait_state(h, "sms-1", "read");
	wait_callbacks(h);
	assert_int_equal(events(h, "sms-1", "sent"), 1);
	assert_int_equal(events(h, "sms-1", "delivered"), 1);
	assert_int_equal(events(h, "sms-1", "read"), 1);
	assert_int_equal(harness_hget_ll(h, HARNESS_PREFIX "campaign:c1", "delivered"), 1);
	assert_int_equal(harness_hget_ll(h, HARNESS_PREFIX "campaign:c1", "read"), 1);
	assert_int_equal(harness_hget_ll(h, HARNESS_PREFIX "stats", "delivered.sms"), 1);
	{
		redisReply *r = harness_cmd(h, "SCARD " HARNESS_PREFIX "campaign:c1:reached");

		assert_int_equal(r->integer, 1);
		freeReplyObject(r);
	}
	s = msg_field(h, "sms-1", "provider");
	assert_string_equal(s, "twilio");
	free(s);
	assert_int_equal(harness_sandbox_stat2(h, "callbacks", "failed"), 0);
}

/* read, then the late delivered and sent: read implies delivered; the late ones change nothing. */
static void
test_sms_statuses_out_of_order(void **state)
{
	struct harness *h = *state;

	harness_xadd(h, "bulk", "id", "sms-2", "to", "+212612345002", "channel", "sms", "campaign", "c2", "text",
	    "Carte de séjour [[cb:read,delivered,sent]]", NULL);
	wait_state(h, "sms-2", "read");
	wait_callbacks(h);
	assert_int_equal(events(h, "sms-2", "read"), 1);
	assert_int_equal(events(h, "sms-2", "delivered"), 0);
	assert_int_equal(harness_hget_ll(h, HARNESS_PREFIX "campaign:c2", "delivered"), 1);
	assert_int_equal(harness_hget_ll(h, HARNESS_PREFIX "campaign:c2", "read"), 1);
	assert_int_equal(stat(h, "status_unchanged"), 2);
	{
		char *s = msg_field(h, "sms-2", "state");

		assert_string_equal(s, "read");
		free(s);
	}
}

/* The same status three times is one change. */
static void
test_sms_duplicate_statuses(void **state)
{
	struct harness *h = *state;

	harness_xadd(h, "bulk", "id", "sms-3", "to", "+212612345003", "channel", "sms", "campaign", "c3", "text",
	    "Semaine des migrants [[cb:delivered,delivered,delivered]]", NULL);
	wait_state(h, "sms-3", "delivered");
	wait_callbacks(h);
	assert_int_equal(events(h, "sms-3", "delivered"), 1);
	assert_int_equal(harness_hget_ll(h, HARNESS_PREFIX "campaign:c3", "delivered"), 1);
	assert_int_equal(stat(h, "status_unchanged"), 2);
}

/* Callbacks answered before the send itself: kept, then applied in order once the send is recorded. */
static void
test_sms_status_before_send_recorded(void **state)
{
	struct harness *h = *state;
	redisReply *r;
	size_t sent = 0, delivered = 0, read = 0;

	harness_xadd(h, "bulk", "id", "sms-4", "to", "+212612345004", "channel", "sms", "campaign", "c4", "text",
	    "COVID-19 : vaccination gratuite [[cb:early:delivered,read]]", NULL);
	wait_state(h, "sms-4", "read");
	wait_callbacks(h);
	assert_true(stat(h, "status_early") >= 2);
	assert_int_equal(stat(h, "status_early_applied"), 1);
	assert_int_equal(events(h, "sms-4", "delivered"), 1);
	assert_int_equal(events(h, "sms-4", "read"), 1);
	/* The log tells the story in order: sent, then delivered, then read. */
	r = harness_cmd(h, "XRANGE " HARNESS_PREFIX "log - +");
	for (size_t i = 0; i < r->elements; i++) {
		redisReply *f = r->element[i]->element[1];

		for (size_t j = 0; j + 1 < f->elements; j += 2) {
			if (strcmp(f->element[j]->str, "state") != 0)
				continue;
			if (strcmp(f->element[j + 1]->str, "sent") == 0)
				sent = i + 1;
			else if (strcmp(f->element[j + 1]->str, "delivered") == 0)
				delivered = i + 1;
			else if (strcmp(f->element[j + 1]->str, "read") == 0)
				read = i + 1;
		}
	}
	freeReplyObject(r);
	assert_true(sent > 0 && sent < delivered && delivered < read);
}

/* A delivery failure after acceptance: undelivered with the code, not reached. */
static void
test_sms_undelivered(void **state)
{
	struct harness *h = *state;
	char *s;
	redisReply *r;

	harness_xadd(h, "bulk", "id", "sms-5", "to", "+212612345005", "channel", "sms", "campaign", "c5", "text",
	    "Offre d'emploi [[cb:sent,failed]]", NULL);
	wait_state(h, "sms-5", "undelivered");
	wait_callbacks(h);
	assert_int_equal(events(h, "sms-5", "undelivered"), 1);
	s = msg_field(h, "sms-5", "status_error");
	assert_string_equal(s, "30003");
	free(s);
	assert_int_equal(harness_hget_ll(h, HARNESS_PREFIX "campaign:c5", "undelivered"), 1);
	r = harness_cmd(h, "SCARD " HARNESS_PREFIX "campaign:c5:reached");
	assert_int_equal(r->integer, 0);
	freeReplyObject(r);
}

/*
 * An account that chose GET for its status callbacks: the parameters come
 * in the query string and Twilio signs the URL with it, nothing appended.
 * Such a callback moves the message forward; one signed the POST way does not.
 */
static void
test_sms_status_by_get(void **state)
{
	struct harness *h = *state;
	struct harness_http hc = { 0 };
	char query[256], path[320], url[400], bare[200], sig[64], hsig[100];
	const char *hdr[] = { hsig, NULL };
	char *sid;

	harness_xadd(h, "bulk", "id", "sms-get", "to", "+212612345006", "channel", "sms", "campaign", "cg", "text",
	    "Atelier CV à Rabat", NULL);
	wait_state(h, "sms-get", "sent");
	sid = msg_field(h, "sms-get", "provider_id");
	assert_true(sid[0] != '\0');
	snprintf(query, sizeof query, "MessageSid=%s&MessageStatus=delivered&To=%%2B212612345006", sid);
	free(sid);
	snprintf(path, sizeof path, "/webhooks/twilio/status?%s", query);
	snprintf(url, sizeof url, "http://127.0.0.1:%d%s", h->gateway_port, path);
	snprintf(bare, sizeof bare, "http://127.0.0.1:%d/webhooks/twilio/status", h->gateway_port);
	harness_sign_twilio(HARNESS_TOKEN, bare, query, sig);
	snprintf(hsig, sizeof hsig, "X-Twilio-Signature: %s", sig);
	assert_int_equal(harness_request(&hc, h->gateway_port, "GET", path, hdr, NULL, 0, NULL), 401);
	harness_sign_twilio(HARNESS_TOKEN, url, "", sig);
	snprintf(hsig, sizeof hsig, "X-Twilio-Signature: %s", sig);
	assert_int_equal(harness_request(&hc, h->gateway_port, "GET", path, hdr, NULL, 0, NULL), 200);
	harness_http_close(&hc);
	wait_state(h, "sms-get", "delivered");
	assert_int_equal(events(h, "sms-get", "delivered"), 1);
	assert_int_equal(harness_hget_ll(h, HARNESS_PREFIX "campaign:cg", "delivered"), 1);
}

/* Inside the 24-hour window WhatsApp carries free text; statuses come back through Meta's webhook. */
static void
test_whatsapp_text_in_window(void **state)
{
	struct harness *h = *state;
	char *body;

	inbound(h, "whatsapp", "+212612346001", "Salam, bghit nt3allem lhssaba", 1);
	{
		long long end = harness_now_ms() + 10000;

		while (harness_stream_len(h, HARNESS_PREFIX "inbox") < 1 && harness_now_ms() < end)
			harness_sleep_ms(50);
	}
	harness_xadd(h, "reply", "id", "wa-1", "to", "+212612346001", "channel", "whatsapp", "campaign", "w1", "kind",
	    "training_offer", "text", "Marhba! L'formation katbda nhar letnin [[cb:read,sent,delivered]]", NULL);
	wait_state(h, "wa-1", "read");
	wait_callbacks(h);
	body = recorded_body(h, "+212612346001");
	assert_non_null(strstr(body, "L'formation katbda"));
	assert_null(strstr(body, "template:"));
	free(body);
	assert_int_equal(events(h, "wa-1", "sent"), 1);
	assert_int_equal(events(h, "wa-1", "read"), 1);
	assert_int_equal(events(h, "wa-1", "delivered"), 0);
	assert_int_equal(harness_hget_ll(h, HARNESS_PREFIX "stats", "read.whatsapp"), 1);
	body = msg_field(h, "wa-1", "channel");
	assert_string_equal(body, "whatsapp");
	free(body);
}

/* WhatsApp statuses in every order: in order, duplicated, before the send is recorded, failed. */
static void
test_whatsapp_statuses_every_order(void **state)
{
	struct harness *h = *state;
	char person[32], now[24], *s;
	struct {
		const char *id, *marker, *final;
	} m[] = {
		{ "wo-order", "[[cb:sent,delivered,read]]", "read" },
		{ "wo-dup", "[[cb:delivered,delivered,sent]]", "delivered" },
		{ "wo-early", "[[cb:early:delivered,read]]", "read" },
		{ "wo-failed", "[[cb:sent,failed]]", "undelivered" },
	};

	harness_person("+212612346030", person);
	snprintf(now, sizeof now, "%lld", (long long)time(NULL));
	freeReplyObject(harness_cmd(h, "HSET " HARNESS_PREFIX "contact:%s wa_last_in %s", person, now));
	for (size_t i = 0; i < 4; i++) {
		char text[96];

		snprintf(text, sizeof text, "Information COVID-19 %s", m[i].marker);
		harness_xadd(h, "notify", "id", m[i].id, "to", "+212612346030", "channel", "whatsapp", "campaign", "wo",
		    "text", text, NULL);
	}
	for (size_t i = 0; i < 4; i++)
		wait_state(h, m[i].id, m[i].final);
	wait_callbacks(h);
	for (size_t i = 0; i < 4; i++) {
		assert_int_equal(events(h, m[i].id, "sent"), 1);
		assert_int_equal(events(h, m[i].id, m[i].final), 1);
	}
	assert_int_equal(events(h, "wo-order", "delivered"), 1);
	assert_int_equal(events(h, "wo-early", "delivered"), 1);
	s = msg_field(h, "wo-failed", "status_error");
	assert_string_equal(s, "131026");
	free(s);
	assert_int_equal(harness_hget_ll(h, HARNESS_PREFIX "campaign:wo", "delivered"), 3);
	assert_int_equal(harness_hget_ll(h, HARNESS_PREFIX "campaign:wo", "read"), 2);
	assert_int_equal(harness_hget_ll(h, HARNESS_PREFIX "campaign:wo", "undelivered"), 1);
	assert_int_equal(harness_hget_ll(h, HARNESS_PREFIX "campaign:wo", "status_early_applied"), 1);
	{
		redisReply *r = harness_cmd(h, "SCARD " HARNESS_PREFIX "campaign:wo:reached");

		assert_int_equal(r->integer, 1); /* one person, however many messages reached them */
		freeReplyObject(r);
	}
}

/*
 * Read after a failure report: the person did get it. The message counts
 * as delivered and read, no longer as undelivered, and reached its person.
 */
static void
test_read_after_undelivered(void **state)
{
	struct harness *h = *state;
	char person[32], now[24];
	redisReply *r;

	harness_person("+212612346035", person);
	snprintf(now, sizeof now, "%lld", (long long)time(NULL));
	freeReplyObject(harness_cmd(h, "HSET " HARNESS_PREFIX "contact:%s wa_last_in %s", person, now));
	harness_xadd(h, "bulk", "id", "wu-1", "to", "+212612346035", "channel", "whatsapp", "campaign", "wu", "text",
	    "Atelier CV à l'ANAPEC [[cb:sent,failed,read]]", NULL);
	wait_state(h, "wu-1", "read");
	wait_callbacks(h);
	assert_int_equal(events(h, "wu-1", "undelivered"), 1);
	assert_int_equal(events(h, "wu-1", "read"), 1);
	assert_int_equal(harness_hget_ll(h, HARNESS_PREFIX "campaign:wu", "undelivered"), 0);
	assert_int_equal(harness_hget_ll(h, HARNESS_PREFIX "campaign:wu", "delivered"), 1);
	assert_int_equal(harness_hget_ll(h, HARNESS_PREFIX "campaign:wu", "read"), 1);
	assert_int_equal(harness_hget_ll(h, HARNESS_PREFIX "campaign:wu", "undelivered.whatsapp"), 0);
	assert_int_equal(stat(h, "undelivered"), 0);
	assert_int_equal(stat(h, "delivered"), 1);
	r = harness_cmd(h, "SCARD " HARNESS_PREFIX "campaign:wu:reached");
	assert_int_equal(r->integer, 1);
	freeReplyObject(r);
}

/*
 * Meta's marketing codes, in the send's answer and in a status callback:
 * 131050 (the person stopped marketing messages) is final and goes on the
 * contact; 131049 (Meta's per-person limit) waits a day before the retry.
 */
static void
test_whatsapp_marketing_codes(void **state)
{
	struct harness *h = *state;
	char p_async[32], p_sync[32], p_limit[32], p_early[32], now[24], *s;
	long long due;

	harness_person("+212612346040", p_async);
	harness_person("+212612346041", p_sync);
	harness_person("+212612346042", p_limit);
	harness_person("+212612346043", p_early);
	snprintf(now, sizeof now, "%lld", (long long)time(NULL));
	freeReplyObject(harness_cmd(h, "HSET " HARNESS_PREFIX "contact:%s wa_last_in %s", p_async, now));
	freeReplyObject(harness_cmd(h, "HSET " HARNESS_PREFIX "contact:%s wa_last_in %s", p_sync, now));
	freeReplyObject(harness_cmd(h, "HSET " HARNESS_PREFIX "contact:%s wa_last_in %s", p_limit, now));
	freeReplyObject(harness_cmd(h, "HSET " HARNESS_PREFIX "contact:%s wa_last_in %s", p_early, now));
	harness_xadd(h, "bulk", "id", "wm-async", "to", "+212612346040", "channel", "whatsapp", "campaign", "wm",
	    "text", "Formation en couture [[cb:sent,failed=131050]]", NULL);
	harness_xadd(h, "bulk", "id", "wm-sync", "to", "+212612346041", "channel", "whatsapp", "campaign", "wm", "text",
	    "Formation en cuisine [[wa:131050]]", NULL);
	harness_xadd(h, "bulk", "id", "wm-limit", "to", "+212612346042", "channel", "whatsapp", "campaign", "wm",
	    "text", "Formation en plomberie [[wa:131049]]", NULL);
	/* The failure report overtakes the recording of the send. */
	harness_xadd(h, "bulk", "id", "wm-early", "to", "+212612346043", "channel", "whatsapp", "campaign", "wm",
	    "text", "Formation en menuiserie [[cb:early:failed=131050]]", NULL);
	wait_state(h, "wm-async", "undelivered");
	wait_state(h, "wm-sync", "failed");
	wait_state(h, "wm-limit", "retry_wait");
	wait_state(h, "wm-early", "undelivered");
	wait_callbacks(h);
	s = msg_field(h, "wm-async", "status_error");
	assert_string_equal(s, "131050");
	free(s);
	for (int i = 0; i < 3; i++) {
		const char *p = i == 0 ? p_async : i == 1 ? p_sync : p_early;
		redisReply *r = harness_cmd(h, "HGET " HARNESS_PREFIX "contact:%s marketing_optout_source", p);

		assert_int_equal(r->type, REDIS_REPLY_STRING);
		assert_string_equal(r->str, "provider");
		freeReplyObject(r);
	}
	assert_int_equal(harness_hget_ll(h, HARNESS_PREFIX "campaign:wm", "status_early_applied"), 1);
	s = msg_field(h, "wm-sync", "error");
	assert_non_null(strstr(s, "131050"));
	free(s);
	/* Final, not tried again, not sent by SMS instead. */
	assert_int_equal(events(h, "wm-sync", "retry_wait"), 0);
	assert_int_equal(events(h, "wm-sync", "sent"), 0);
	/* The marketing limit: no opt-out, and the retry waits a day. */
	{
		redisReply *r = harness_cmd(h, "HEXISTS " HARNESS_PREFIX "contact:%s marketing_optout", p_limit);

		assert_int_equal(r->integer, 0);
		freeReplyObject(r);
	}
	s = msg_field(h, "wm-limit", "due");
	due = atoll(s);
	free(s);
	/* A day, and at most a tenth more to spread a burst. */
	assert_in_range(due - harness_now_ms(), 86400000LL - 120000, 86400000LL + 8640000);
	assert_int_equal(events(h, "wm-limit", "retry_wait"), 1);
	/* From now on, checked at each attempt: no marketing message by WhatsApp; a utility one goes. */
	harness_xadd(h, "bulk", "id", "wm-after", "to", "+212612346041", "channel", "whatsapp", "category", "marketing",
	    "campaign", "wm", "text", "Formation en soudure", NULL);
	harness_xadd(h, "bulk", "id", "wm-utility", "to", "+212612346041", "channel", "whatsapp", "category", "utility",
	    "campaign", "wm", "text", "Votre rendez-vous est confirmé", NULL);
	wait_state(h, "wm-after", "skipped");
	s = msg_field(h, "wm-after", "error");
	assert_string_equal(s, "marketing_optout");
	free(s);
	wait_state(h, "wm-utility", "sent");
}

/* Outside the window: the approved template for the kind and locale, or skipped/window_closed. */
static void
test_whatsapp_template_or_skipped(void **state)
{
	struct harness *h = *state;
	char *s;

	harness_xadd(h, "bulk", "id", "wa-2", "to", "+212612346002", "channel", "whatsapp", "kind", "training_offer",
	    "locale", "fr", "text", "Formation en électricité à Salé", NULL);
	harness_xadd(h, "bulk", "id", "wa-3", "to", "+212612346003", "channel", "whatsapp", "kind", "event", "locale",
	    "ar", "vars", "{\"title\":\"أسبوع المهاجرين\",\"date\":\"18 ديسمبر\"}", "text", "أسبوع المهاجرين", NULL);
	harness_xadd(h, "bulk", "id", "wa-4", "to", "+212612346004", "channel", "whatsapp", "kind", "covid_info",
	    "text", "Vaccination", NULL);
	wait_state(h, "wa-2", "sent");
	wait_state(h, "wa-3", "sent");
	wait_state(h, "wa-4", "skipped");
	s = recorded_body(h, "+212612346002");
	assert_string_equal(s, "template:amuddu_training:fr:Formation en électricité à Salé");
	free(s);
	s = recorded_body(h, "+212612346003");
	assert_string_equal(s, "template:amuddu_event:ar:أسبوع المهاجرين|18 ديسمبر");
	free(s);
	s = recorded_body(h, "+212612346004");
	assert_string_equal(s, "");
	free(s);
	s = msg_field(h, "wa-4", "error");
	assert_string_equal(s, "window_closed");
	free(s);
	assert_int_equal(events(h, "wa-4", "skipped"), 1);
}

/* Meta's throttling codes are retried with backoff; other codes are final and recorded with the code. */
static void
test_whatsapp_throttled_then_sent(void **state)
{
	struct harness *h = *state;
	char p1[32], now[24];
	char *s;

	harness_person("+212612346020", p1);
	snprintf(now, sizeof now, "%lld", (long long)time(NULL));
	freeReplyObject(harness_cmd(h, "HSET " HARNESS_PREFIX "contact:%s wa_last_in %s", p1, now));
	harness_xadd(h, "reply", "id", "wa-thr", "to", "+212612346020", "channel", "whatsapp", "text",
	    "Rendez-vous confirmé [[wa:130429x1]]", NULL);
	harness_xadd(h, "reply", "id", "wa-pair", "to", "+212612346020", "channel", "whatsapp", "text",
	    "Deuxième message [[wa:131056x2]]", NULL);
	harness_xadd(h, "reply", "id", "wa-bad", "to", "+212612346020", "channel", "whatsapp", "text",
	    "Paramètre refusé [[wa:131009]]", NULL);
	wait_state(h, "wa-thr", "sent");
	wait_state(h, "wa-pair", "sent");
	wait_state(h, "wa-bad", "failed");
	assert_int_equal(events(h, "wa-thr", "retry_wait"), 1);
	assert_int_equal(events(h, "wa-pair", "retry_wait"), 2);
	s = msg_field(h, "wa-bad", "error");
	assert_string_equal(s, "whatsapp 131009: http 400");
	free(s);
	assert_int_equal(harness_stream_len(h, HARNESS_PREFIX "deadletter"), 1);
}

/* channel=auto: WhatsApp for contacts who prefer it, SMS when WhatsApp cannot carry it. */
static void
test_auto_falls_back_to_sms(void **state)
{
	struct harness *h = *state;
	char p1[32], p2[32], now[24];
	char *s;

	harness_person("+212612346010", p1);
	harness_person("+212690000011", p2);
	snprintf(now, sizeof now, "%lld", (long long)time(NULL));
	freeReplyObject(harness_cmd(h, "HSET " HARNESS_PREFIX "contact:%s channel whatsapp", p1));
	freeReplyObject(harness_cmd(h, "HSET " HARNESS_PREFIX "contact:%s channel whatsapp wa_last_in %s", p2, now));
	/* No template for covid_info and the window is closed: SMS. */
	harness_xadd(h, "notify", "id", "auto-1", "to", "+212612346010", "kind", "covid_info", "text",
	    "Centre de vaccination ouvert samedi", NULL);
	/* The window is open, but the number is not on WhatsApp (131026): SMS. */
	harness_xadd(h, "notify", "id", "auto-2", "to", "+212690000011", "kind", "covid_info", "text",
	    "Centre de vaccination ouvert dimanche", NULL);
	/* Asked for WhatsApp only: that same error is final. */
	harness_person("+212690000012", p1);
	freeReplyObject(harness_cmd(h, "HSET " HARNESS_PREFIX "contact:%s wa_last_in %s", p1, now));
	harness_xadd(h, "notify", "id", "wa-only", "to", "+212690000012", "channel", "whatsapp", "text", "x", NULL);
	/* A contact with no preference goes by SMS. */
	harness_xadd(h, "notify", "id", "auto-3", "to", "+212612346013", "text", "Bonjour", NULL);
	wait_state(h, "auto-1", "sent");
	wait_state(h, "auto-2", "sent");
	wait_state(h, "auto-3", "sent");
	wait_state(h, "wa-only", "failed");
	for (int i = 0; i < 3; i++) {
		const char *id = i == 0 ? "auto-1" : i == 1 ? "auto-2" : "auto-3";

		s = msg_field(h, id, "channel");
		assert_string_equal(s, "sms");
		free(s);
		assert_int_equal(events(h, id, "sent"), 1);
		assert_int_equal(events(h, id, "failed"), 0);
	}
	s = msg_field(h, "wa-only", "error");
	assert_non_null(strstr(s, "whatsapp 131026"));
	free(s);
	assert_true(harness_metric(h,
			"amuddu_messages_total{lane=\"notify\",channel=\"whatsapp\",provider=\"whatsapp\","
			"outcome=\"fallback\"} ") == 2);
}

/* Inbound SMS and WhatsApp: stored once per provider id, with a new contact and a guessed locale. */
static void
test_inbound_stored_once(void **state)
{
	struct harness *h = *state;
	char person[32];
	redisReply *r;
	long long end = harness_now_ms() + 10000;

	inbound(h, "sms", "+212612347001", "Bonjour, je voudrais des informations sur la formation", 3);
	inbound(h, "whatsapp", "+212612347002", "السلام عليكم، أريد التسجيل في التكوين", 2);
	while (harness_now_ms() < end && (stat(h, "inbound") < 2 || stat(h, "inbound_duplicates") < 3))
		harness_sleep_ms(50);
	wait_callbacks(h);
	assert_int_equal(harness_stream_len(h, HARNESS_PREFIX "inbox"), 2);
	assert_int_equal(stat(h, "inbound"), 2);
	assert_int_equal(stat(h, "inbound_duplicates"), 3);
	assert_int_equal(stat(h, "contacts_created"), 2);
	harness_person("+212612347001", person);
	r = harness_cmd(h, "HMGET " HARNESS_PREFIX "contact:%s phone locale wa_last_in", person);
	assert_string_equal(r->element[0]->str, "+212612347001");
	assert_string_equal(r->element[1]->str, "fr");
	assert_int_equal(r->element[2]->type, REDIS_REPLY_NIL);
	freeReplyObject(r);
	harness_person("+212612347002", person);
	r = harness_cmd(h, "HMGET " HARNESS_PREFIX "contact:%s locale wa_last_in channel", person);
	assert_string_equal(r->element[0]->str, "ar");
	assert_true(llabs(strtoll(r->element[1]->str, NULL, 10) - (long long)time(NULL)) < 120);
	assert_string_equal(r->element[2]->str, "whatsapp");
	freeReplyObject(r);
	/* Each inbox entry names the channel and the contact, never the number. */
	r = harness_cmd(h, "XRANGE " HARNESS_PREFIX "inbox - +");
	assert_int_equal(r->elements, 2);
	for (size_t i = 0; i < r->elements; i++) {
		redisReply *f = r->element[i]->element[1];
		bool channel = false, contact = false;

		for (size_t j = 0; j + 1 < f->elements; j += 2) {
			assert_null(strstr(f->element[j + 1]->str, "61234700"));
			if (strcmp(f->element[j]->str, "channel") == 0)
				channel = strcmp(f->element[j + 1]->str, "sms") == 0 ||
				    strcmp(f->element[j + 1]->str, "whatsapp") == 0;
			if (strcmp(f->element[j]->str, "contact") == 0)
				contact = strlen(f->element[j + 1]->str) == 24;
		}
		assert_true(channel);
		assert_true(contact);
	}
	freeReplyObject(r);
}

/*
 * A reply to someone who wrote, addressed by the contact id the inbox
 * gives (the inbox never carries the number): it goes by WhatsApp inside
 * the window the message opened. An unknown contact fails with a reason.
 */
static void
test_reply_by_contact(void **state)
{
	struct harness *h = *state;
	char contact[32] = "", *s;
	long long end = harness_now_ms() + 10000;
	redisReply *r;

	inbound(h, "whatsapp", "+212612347100", "1", 1);
	while (harness_stream_len(h, HARNESS_PREFIX "inbox") < 1 && harness_now_ms() < end)
		harness_sleep_ms(50);
	r = harness_cmd(h, "XRANGE " HARNESS_PREFIX "inbox - +");
	assert_int_equal(r->elements, 1);
	for (size_t j = 0; j + 1 < r->element[0]->element[1]->elements; j += 2)
		if (strcmp(r->element[0]->element[1]->element[j]->str, "contact") == 0)
			snprintf(contact, sizeof contact, "%s", r->element[0]->element[1]->element[j + 1]->str);
	freeReplyObject(r);
	assert_int_equal(strlen(contact), 24);
	harness_xadd(h, "reply", "id", "rep-1", "contact", contact, "kind", "reply", "text",
	    "Merci ! Voici les centres de formation à Rabat : …", NULL);
	harness_xadd(h, "reply", "id", "rep-2", "contact", "000000000000000000000000", "text", "x", NULL);
	wait_state(h, "rep-1", "sent");
	wait_state(h, "rep-2", "failed");
	s = msg_field(h, "rep-1", "channel");
	assert_string_equal(s, "whatsapp");
	free(s);
	s = recorded_body(h, "+212612347100");
	assert_string_equal(s, "Merci ! Voici les centres de formation à Rabat : …");
	free(s);
	s = msg_field(h, "rep-1", "person");
	assert_string_equal(s, contact);
	free(s);
	s = msg_field(h, "rep-2", "error");
	assert_non_null(strstr(s, "unknown contact"));
	free(s);
	assert_int_equal(harness_stream_len(h, HARNESS_PREFIX "deadletter"), 1);
}

/* Missing, wrong or misdirected signatures: 401, nothing changes, counted. */
static void
test_signatures_refused(void **state)
{
	struct harness *h = *state;
	struct harness_http hc = { 0 };
	const char *form = "MessageSid=SM00000000000000000000000000000001&MessageStatus=delivered";
	const char *json = "{\"object\":\"whatsapp_business_account\",\"entry\":[]}";
	char msig[80], hmeta[120];
	const char *jtype = "Content-Type: application/json";
	char *body = NULL;

	assert_int_equal(twilio_status_post(h, &hc, NULL, "/webhooks/twilio/status", form), 401);
	assert_int_equal(twilio_status_post(h, &hc, "wrong-token", "/webhooks/twilio/status", form), 401);
	/* Signed for another URL (the inbound one). */
	assert_int_equal(twilio_status_post(h, &hc, HARNESS_TOKEN, "/webhooks/twilio/inbound", form), 401);
	/* Rightly signed, for a message nobody sent: accepted and kept, never an error loop. */
	assert_int_equal(twilio_status_post(h, &hc, HARNESS_TOKEN, "/webhooks/twilio/status", form), 200);
	/* Meta: no signature, then a tampered body. */
	{
		const char *hdr[] = { jtype, NULL };

		assert_int_equal(
		    harness_request(&hc, h->gateway_port, "POST", "/webhooks/whatsapp", hdr, json, strlen(json), NULL),
		    401);
	}
	harness_sign_meta(APP_SECRET, json, strlen(json), msig);
	snprintf(hmeta, sizeof hmeta, "X-Hub-Signature-256: %s", msig);
	{
		const char *hdr[] = { jtype, hmeta, NULL };
		char tampered[128];

		snprintf(tampered, sizeof tampered, "%s ", json);
		assert_int_equal(harness_request(&hc, h->gateway_port, "POST", "/webhooks/whatsapp", hdr, tampered,
				     strlen(tampered), NULL),
		    401);
		assert_int_equal(
		    harness_request(&hc, h->gateway_port, "POST", "/webhooks/whatsapp", hdr, json, strlen(json), NULL),
		    200);
	}
	/* The verification handshake. */
	assert_int_equal(
	    harness_request(&hc, h->gateway_port, "GET",
		"/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=" VERIFY_TOKEN "&hub.challenge=1158201444",
		NULL, NULL, 0, &body),
	    200);
	assert_string_equal(body, "1158201444");
	free(body);
	assert_int_equal(
	    harness_request(&hc, h->gateway_port, "GET",
		"/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=guess&hub.challenge=1", NULL, NULL, 0, NULL),
	    403);
	harness_http_close(&hc);
	assert_int_equal(
	    harness_metric(h, "amuddu_webhook_requests_total{provider=\"twilio\",result=\"unsigned\"} "), 3);
	assert_int_equal(
	    harness_metric(h, "amuddu_webhook_requests_total{provider=\"whatsapp\",result=\"unsigned\"} "), 2);
	assert_int_equal(
	    harness_metric(h, "amuddu_webhook_requests_total{provider=\"whatsapp\",result=\"forbidden\"} "), 1);
	assert_int_equal(stat(h, "status_early"), 1);
	assert_int_equal(harness_log_count(h, "delivered"), 0);
}

/* The generic provider carries SMS, and its signed status webhook moves the message forward. */
static void
test_generic_provider(void **state)
{
	struct harness *h = *state;
	struct harness_http hc = { 0 };
	const char *jtype = "Content-Type: application/json";
	char *pid, body[256], sig[80], sighdr[120], *s;

	harness_xadd(h, "notify", "id", "gen-1", "to", "0612345690", "campaign", "g1", "text",
	    "Rendez-vous à l'agence ANAPEC \"Hay Riad\" lundi", NULL);
	wait_state(h, "gen-1", "sent");
	s = msg_field(h, "gen-1", "provider");
	assert_string_equal(s, "generic");
	free(s);
	s = recorded_body(h, "+212612345690");
	assert_string_equal(s, "Rendez-vous à l'agence ANAPEC \"Hay Riad\" lundi");
	free(s);
	pid = msg_field(h, "gen-1", "provider_id");
	assert_true(strncmp(pid, "wamid.", 6) == 0);
	snprintf(body, sizeof body, "[{\"id\":\"%s\",\"status\":\"delivered\"}]", pid);
	{
		const char *hdr[] = { jtype, "X-Signature: sha256=00", NULL };

		assert_int_equal(
		    harness_request(&hc, h->gateway_port, "POST", "/webhooks/generic", hdr, body, strlen(body), NULL),
		    401);
	}
	harness_sign_meta("gen-secret", body, strlen(body), sig);
	snprintf(sighdr, sizeof sighdr, "X-Signature: %s", sig);
	{
		const char *hdr[] = { jtype, sighdr, NULL };

		assert_int_equal(
		    harness_request(&hc, h->gateway_port, "POST", "/webhooks/generic", hdr, body, strlen(body), NULL),
		    200);
	}
	harness_http_close(&hc);
	wait_state(h, "gen-1", "delivered");
	assert_int_equal(events(h, "gen-1", "delivered"), 1);
	assert_int_equal(harness_hget_ll(h, HARNESS_PREFIX "campaign:g1", "delivered"), 1);
	assert_int_equal(harness_sandbox_stat(h, "accepted"), 1);
	free(pid);
}

/* Health is the process; readiness needs Redis; metrics speak Prometheus. */
static void
test_health_ready_metrics(void **state)
{
	struct harness *h = *state;
	struct harness_http hc = { 0 };
	char *body = NULL;
	long long end;

	harness_xadd(h, "bulk", "id", "m-1", "to", "+212612348001", "channel", "sms", "text", "Bonjour", NULL);
	wait_state(h, "m-1", "sent");
	assert_int_equal(harness_request(&hc, h->gateway_port, "GET", "/healthz", NULL, NULL, 0, NULL), 200);
	assert_int_equal(harness_request(&hc, h->gateway_port, "GET", "/readyz", NULL, NULL, 0, NULL), 200);
	assert_int_equal(harness_request(&hc, h->gateway_port, "GET", "/metrics", NULL, NULL, 0, &body), 200);
	assert_non_null(strstr(body, "# TYPE amuddu_messages_total counter"));
	assert_non_null(strstr(body,
	    "amuddu_messages_total{lane=\"bulk\",channel=\"sms\",provider=\"twilio\","
	    "outcome=\"sent\"} 1\n"));
	assert_non_null(strstr(body, "amuddu_provider_request_seconds_count{provider=\"twilio\"} 1\n"));
	assert_non_null(strstr(body, "amuddu_provider_request_seconds_bucket{provider=\"twilio\",le=\"+Inf\"} 1\n"));
	assert_non_null(strstr(body, "amuddu_redis_up 1\n"));
	free(body);
	assert_int_equal(harness_request(&hc, h->gateway_port, "POST", "/healthz", NULL, "x", 1, NULL), 405);
	assert_int_equal(harness_request(&hc, h->gateway_port, "GET", "/nothing", NULL, NULL, 0, NULL), 404);
	harness_redis_stop(h);
	end = harness_now_ms() + 10000;
	while (harness_now_ms() < end &&
	    harness_request(&hc, h->gateway_port, "GET", "/readyz", NULL, NULL, 0, NULL) != 503)
		harness_sleep_ms(50);
	assert_int_equal(harness_request(&hc, h->gateway_port, "GET", "/readyz", NULL, NULL, 0, NULL), 503);
	assert_int_equal(harness_request(&hc, h->gateway_port, "GET", "/healthz", NULL, NULL, 0, NULL), 200);
	/* A signed status while Redis is away: 503, so the provider sends it again. */
	assert_int_equal(twilio_status_post(h, &hc, HARNESS_TOKEN, "/webhooks/twilio/status",
			     "MessageSid=SM1&MessageStatus=delivered"),
	    503);
	harness_redis_start(h, false);
	end = harness_now_ms() + 15000;
	while (harness_now_ms() < end &&
	    harness_request(&hc, h->gateway_port, "GET", "/readyz", NULL, NULL, 0, NULL) != 200)
		harness_sleep_ms(100);
	assert_int_equal(harness_request(&hc, h->gateway_port, "GET", "/readyz", NULL, NULL, 0, NULL), 200);
	harness_http_close(&hc);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_sms_statuses_in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sms_statuses_out_of_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sms_duplicate_statuses, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sms_status_before_send_recorded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sms_undelivered, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sms_status_by_get, setup, teardown),
		cmocka_unit_test_setup_teardown(test_whatsapp_text_in_window, setup, teardown),
		cmocka_unit_test_setup_teardown(test_whatsapp_statuses_every_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_after_undelivered, setup, teardown),
		cmocka_unit_test_setup_teardown(test_whatsapp_marketing_codes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_whatsapp_template_or_skipped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_whatsapp_throttled_then_sent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_auto_falls_back_to_sms, setup, teardown),
		cmocka_unit_test_setup_teardown(test_inbound_stored_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reply_by_contact, setup, teardown),
		cmocka_unit_test_setup_teardown(test_signatures_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_health_ready_metrics, setup, teardown),
		cmocka_unit_test_setup_teardown(test_generic_provider, setup_generic, teardown),
	};

	if (getenv("AMUDDU_TEST_FILTER") != NULL)
		cmocka_set_test_filter(getenv("AMUDDU_TEST_FILTER"));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
