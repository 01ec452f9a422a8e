/*
 * Unit tests for handlers/twilio_webhook.c: status callbacks and incoming
 * SMS as Twilio posts them become the events the gateway records, and each
 * kind of bad request gets the HTTP answer Twilio (or an attacker) should
 * see, with errors that never quote a number or a message.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "handlers/form.h"
#include "handlers/provider.h"
#include "handlers/signature.h"
#include "handlers/twilio_webhook.h"

#define TOKEN "s3cr3t-token"
#define PUBLIC "https://gw.example.ma/webhooks/twilio"
#define FORM "application/x-www-form-urlencoded"
#define GET_STATUS_QUERY                                                                                               \
	"MessageSid=SM1f0e8ae6ade43cb3c0ce4525424e404f&MessageStatus=undelivered&ErrorCode=30003"                      \
	"&To=%2B212612345678"
/* printf '%s' PUBLIC'/status?'GET_STATUS_QUERY | openssl dgst -sha1 -hmac s3cr3t-token -binary | base64 */
#define GET_STATUS_SIG "/OXyds0zaB+pifBHOigwuESNoMk="

struct request {
	struct provider_webhook_request wr;
	char url[256];
	char sig[SIGNATURE_TWILIO_LEN];
	const char *sig_header; /* what X-Twilio-Signature says, NULL for none */
};

static const char *header(void *arg, const char *name);
static void request(struct request *r, const char *route, const char *body);
static enum provider_webhook_result run(struct request *r, struct provider_events *ev, char *err, size_t errlen);
static void test_status_delivered(void **state);
static void test_status_long_sid(void **state);
static void test_status_words(void **state);
static void test_status_error_code(void **state);
static void test_status_missing_fields(void **state);
static void test_inbound_text(void **state);
static void test_inbound_media(void **state);
static void test_inbound_national_number(void **state);
static void test_inbound_bad_phone(void **state);
static void test_inbound_invalid_utf8(void **state);
static void test_content_type(void **state);
static void test_signature(void **state);
static void test_route_and_method(void **state);
static void test_malformed_form(void **state);
static void test_signature_default_port(void **state);
static void request_get(struct request *r, const char *route, const char *query, const char *sig);
static void test_get_status(void **state);
static void test_get_inbound(void **state);
static void test_get_signature(void **state);
static void test_get_malformed_query(void **state);
static void test_post_ignores_query(void **state);

static const char *
header(void *arg, const char *name)
{
	struct request *r = arg;

	return strcasecmp(name, "X-Twilio-Signature") == 0 ? r->sig_header : NULL;
}

/* A POST to PUBLIC + route with body, signed as Twilio signs it. */
static void
request(struct request *r, const char *route, const char *body)
{
	size_t len = strlen(body);
	struct form f;
	char err[128];

	memset(r, 0, sizeof *r);
	snprintf(r->url, sizeof r->url, "%s%s", PUBLIC, route);
	r->wr.method = "POST";
	r->wr.route = route;
	r->wr.url = r->url;
	r->wr.query = "";
	r->wr.content_type = FORM;
	r->wr.header = header;
	r->wr.header_arg = r;
	r->wr.body = body;
	r->wr.body_len = len;
	if (form_parse(&f, body, len, err, sizeof err) == 0)
		signature_twilio(TOKEN, r->url, &f, r->sig);
	form_free(&f);
	r->sig_header = r->sig;
}

/*
 * A GET to PUBLIC + route + "?" + query, as Twilio sends it when an account
 * chose GET: no body, no content type, and sig (computed outside this
 * program) in X-Twilio-Signature.
 */
static void
request_get(struct request *r, const char *route, const char *query, const char *sig)
{
	memset(r, 0, sizeof *r);
	snprintf(r->url, sizeof r->url, "%s%s?%s", PUBLIC, route, query);
	r->wr.method = "GET";
	r->wr.route = route;
	r->wr.url = r->url;
	r->wr.query = query;
	r->wr.content_type = "";
	r->wr.header = header;
	r->wr.header_arg = r;
	r->wr.body = "";
	r->wr.body_len = 0;
	r->sig_header = sig;
}

static enum provider_webhook_result
run(struct request *r, struct provider_events *ev, char *err, size_t errlen)
{
	provider_events_init(ev);
	err[0] = '\0';
	return twilio_webhook_parse(TOKEN, &r->wr, ev, err, errlen);
}

static void
test_status_delivered(void **state)
{
	static const char body[] =
	    "SmsSid=SM1f0e8ae6ade43cb3c0ce4525424e404f&SmsStatus=delivered&MessageStatus=delivered"
	    "&To=%2B212612345678&MessageSid=SM1f0e8ae6ade43cb3c0ce4525424e404f"
	    "&AccountSid=AC0123456789abcdef0123456789abcdef&From=%2B15005550006&ApiVersion="
	    "2010-04-01";
	struct provider_events ev;
	struct request r;
	char err[128];

	(void)state;
	request(&r, "/status", body);
	assert_int_equal(run(&r, &ev, err, sizeof err), PROVIDER_WEBHOOK_OK);
	assert_int_equal(ev.nstatus, 1);
	assert_int_equal(ev.ninbound, 0);
	assert_string_equal(ev.status[0].provider_id, "SM1f0e8ae6ade43cb3c0ce4525424e404f");
	assert_int_equal(ev.status[0].status, DELIVERY_DELIVERED);
	assert_string_equal(ev.status[0].error, "");
	assert_int_equal(ev.reply.len, 0);
	assert_null(ev.reply_type);
	provider_events_free(&ev);
}

/* A sid longer than any Twilio gives is matched the way the send answer recorded it. */
static void
test_status_long_sid(void **state)
{
	char body[1400], sid[1000], want[DOMAIN_PROVIDER_ID_MAX];
	struct provider_events ev;
	struct request r;
	char err[128];

	(void)state;
	memset(sid, 'b', sizeof sid - 1);
	sid[sizeof sid - 1] = '\0';
	snprintf(body, sizeof body, "MessageSid=%s&MessageStatus=delivered", sid);
	request(&r, "/status", body);
	assert_int_equal(run(&r, &ev, err, sizeof err), PROVIDER_WEBHOOK_OK);
	assert_int_equal(ev.nstatus, 1);
	domain_provider_id(want, sid, strlen(sid));
	assert_string_equal(ev.status[0].provider_id, want);
	provider_events_free(&ev);
}

static void
test_status_words(void **state)
{
	static const struct {
		const char *word;
		enum delivery want;
	} cases[] = {
		{ "queued", DELIVERY_NONE },
		{ "accepted", DELIVERY_NONE },
		{ "scheduled", DELIVERY_NONE },
		{ "sending", DELIVERY_NONE },
		{ "receiving", DELIVERY_NONE },
		{ "received", DELIVERY_NONE },
		{ "sent", DELIVERY_SENT },
		{ "delivered", DELIVERY_DELIVERED },
		{ "undelivered", DELIVERY_UNDELIVERED },
		{ "failed", DELIVERY_UNDELIVERED },
		{ "canceled", DELIVERY_UNDELIVERED },
		{ "read", DELIVERY_READ },
		/* Unknown words are acknowledged (200), so Twilio does not retry forever. */
		{ "partially_delivered", DELIVERY_NONE },
		{ "DELIVERED", DELIVERY_NONE },
	};
	struct provider_events ev;
	struct request r;
	char body[128], err[128];

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		snprintf(body, sizeof body, "MessageSid=SMabc&MessageStatus=%s", cases[i].word);
		request(&r, "/status", body);
		assert_int_equal(run(&r, &ev, err, sizeof err), PROVIDER_WEBHOOK_OK);
		assert_int_equal(ev.nstatus, 1);
		if (ev.status[0].status != cases[i].want)
			fail_msg("%s: status %d, want %d", cases[i].word, ev.status[0].status, cases[i].want);
		provider_events_free(&ev);
	}
}

static void
test_status_error_code(void **state)
{
	static const struct {
		const char *code;
		const char *want;
	} cases[] = {
		{ "30003", "30003" },
		{ "30007", "30007" },
		{ "", "" },
		{ "-1", "" },
		{ "300x3", "" },
		{ "%3Cscript%3E", "" },
		{ "123456789012345678901234567890123", "" },
	};
	struct provider_events ev;
	struct request r;
	char body[128], err[128];

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		snprintf(body, sizeof body, "MessageSid=SMabc&MessageStatus=undelivered&ErrorCode=%s", cases[i].code);
		request(&r, "/status", body);
		assert_int_equal(run(&r, &ev, err, sizeof err), PROVIDER_WEBHOOK_OK);
		assert_int_equal(ev.status[0].status, DELIVERY_UNDELIVERED);
		assert_string_equal(ev.status[0].error, cases[i].want);
		provider_events_free(&ev);
	}
}

static void
test_status_missing_fields(void **state)
{
	static const char *const bodies[] = { "MessageStatus=delivered", "MessageSid=&MessageStatus=delivered",
		"MessageSid=SMabc", "MessageSid=SMabc&MessageStatus=", "" };
	struct provider_events ev;
	struct request r;
	char err[128];

	(void)state;
	for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
		request(&r, "/status", bodies[i]);
		assert_int_equal(run(&r, &ev, err, sizeof err), PROVIDER_WEBHOOK_MALFORMED);
		assert_int_equal(ev.nstatus, 0);
		assert_true(strstr(err, "MessageSid") != NULL || strstr(err, "MessageStatus") != NULL);
		provider_events_free(&ev);
	}
}

static void
test_inbound_text(void **state)
{
	static const char body[] =
	    "ToCountry=MA&SmsMessageSid=SM99&NumMedia=0&Body=Salam%2C+bghit+n3ref+%D8%B3%D9%84%D8%A7%D9%85"
	    "&From=%2B212612345678&To=%2B212522000000&MessageSid=SM99&NumSegments=1"
	    "&AccountSid=AC0123&ApiVersion=2010-04-01";
	struct provider_events ev;
	struct request r;
	char err[128];

	(void)state;
	request(&r, "/inbound", body);
	assert_int_equal(run(&r, &ev, err, sizeof err), PROVIDER_WEBHOOK_OK);
	assert_int_equal(ev.ninbound, 1);
	assert_int_equal(ev.nstatus, 0);
	assert_string_equal(ev.inbound[0].provider_id, "SM99");
	assert_string_equal(ev.inbound[0].from, "+212612345678");
	assert_string_equal(ev.inbound[0].type, "text");
	assert_string_equal(ev.inbound[0].text, "Salam, bghit n3ref \xD8\xB3\xD9\x84\xD8\xA7\xD9\x85");
	/* An empty TwiML answer: Twilio sends nothing back on its own. */
	assert_string_equal(ev.reply.data, "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response></Response>");
	assert_string_equal(ev.reply_type, "text/xml");
	provider_events_free(&ev);
}

static void
test_inbound_media(void **state)
{
	static const char *const bodies[] = {
		"MessageSid=MM1&From=%2B212612345678&Body=&NumMedia=1&MediaUrl0=https%3A%2F%2Fapi.twilio.com%2Fm",
		"MessageSid=MM1&From=%2B212612345678&NumMedia=2",
	};
	struct provider_events ev;
	struct request r;
	char err[128];

	(void)state;
	for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
		request(&r, "/inbound", bodies[i]);
		assert_int_equal(run(&r, &ev, err, sizeof err), PROVIDER_WEBHOOK_OK);
		assert_string_equal(ev.inbound[0].type, "media");
		assert_string_equal(ev.inbound[0].text, "");
		provider_events_free(&ev);
	}
	/* A caption with the picture is text; no media and no body is an empty text. */
	request(&r, "/inbound", "MessageSid=MM1&From=%2B212612345678&Body=voila&NumMedia=1");
	assert_int_equal(run(&r, &ev, err, sizeof err), PROVIDER_WEBHOOK_OK);
	assert_string_equal(ev.inbound[0].type, "text");
	assert_string_equal(ev.inbound[0].text, "voila");
	provider_events_free(&ev);
	request(&r, "/inbound", "MessageSid=SM1&From=%2B212612345678&Body=&NumMedia=0");
	assert_int_equal(run(&r, &ev, err, sizeof err), PROVIDER_WEBHOOK_OK);
	assert_string_equal(ev.inbound[0].type, "text");
	assert_string_equal(ev.inbound[0].text, "");
	provider_events_free(&ev);
}

static void
test_inbound_national_number(void **state)
{
	static const char body[] = "MessageSid=SM1&From=0612345678&Body=hi";
	struct provider_events ev;
	struct request r;
	char err[128];

	(void)state;
	request(&r, "/inbound", body);
	assert_int_equal(run(&r, &ev, err, sizeof err), PROVIDER_WEBHOOK_OK);
	assert_string_equal(ev.inbound[0].from, "+212612345678");
	provider_events_free(&ev);
}

static void
test_inbound_bad_phone(void **state)
{
	static const char *const bodies[] = {
		"MessageSid=SM1&From=%2B2120612345678&Body=hi",
		"MessageSid=SM1&From=whatsapp%3A%2B212612345678&Body=hi",
		"MessageSid=SM1&From=%2B21261234567812345&Body=hi",
		"MessageSid=SM1&From=612345678&Body=hi",
	};
	struct provider_events ev;
	struct request r;
	char err[128];

	(void)state;
	for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
		request(&r, "/inbound", bodies[i]);
		assert_int_equal(run(&r, &ev, err, sizeof err), PROVIDER_WEBHOOK_MALFORMED);
		assert_int_equal(ev.ninbound, 0);
		assert_non_null(strstr(err, "From: "));
		/* The reason, never the number. */
		assert_null(strstr(err, "612345678"));
		assert_null(strstr(err, "12345"));
		assert_null(ev.reply_type);
		provider_events_free(&ev);
	}
	request(&r, "/inbound", "MessageSid=SM1&Body=hi");
	assert_int_equal(run(&r, &ev, err, sizeof err), PROVIDER_WEBHOOK_MALFORMED);
	assert_string_equal(err, "From: missing");
	provider_events_free(&ev);
}

static void
test_inbound_invalid_utf8(void **state)
{
	static const char *const bodies[] = {
		"MessageSid=SM1&From=%2B212612345678&Body=caf%E9",          /* Latin-1 é */
		"MessageSid=SM1&From=%2B212612345678&Body=%C0%AF",          /* overlong / */
		"MessageSid=SM1&From=%2B212612345678&Body=%ED%A0%80",       /* a surrogate */
		"MessageSid=SM1&From=%2B212612345678&Body=%D8",             /* truncated */
		"MessageSid=SM1&From=%2B212612345678&Body=secret%00hidden", /* a NUL would cut the text */
	};
	struct provider_events ev;
	struct request r;
	char err[128];

	(void)state;
	for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
		request(&r, "/inbound", bodies[i]);
		assert_int_equal(run(&r, &ev, err, sizeof err), PROVIDER_WEBHOOK_MALFORMED);
		assert_int_equal(ev.ninbound, 0);
		assert_non_null(strstr(err, "Body"));
		assert_null(strstr(err, "caf"));
		assert_null(strstr(err, "secret"));
		provider_events_free(&ev);
	}
}

static void
test_content_type(void **state)
{
	static const char body[] = "MessageSid=SMabc&MessageStatus=sent";
	static const char *const good[] = { FORM, FORM "; charset=utf-8", "Application/X-WWW-Form-URLEncoded",
		FORM " ;charset=UTF-8" };
	static const char *const bad[] = { "", "application/json", "multipart/form-data; boundary=x", "text/plain",
		FORM "x", "application/x-www-form", NULL };
	struct provider_events ev;
	struct request r;
	char err[128];

	(void)state;
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		request(&r, "/status", body);
		r.wr.content_type = good[i];
		assert_int_equal(run(&r, &ev, err, sizeof err), PROVIDER_WEBHOOK_OK);
		provider_events_free(&ev);
	}
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		request(&r, "/status", body);
		r.wr.content_type = bad[i];
		assert_int_equal(run(&r, &ev, err, sizeof err), PROVIDER_WEBHOOK_MEDIA_TYPE);
		assert_int_equal(ev.nstatus, 0);
		provider_events_free(&ev);
	}
}

static void
test_signature(void **state)
{
	static const char body[] = "MessageSid=SMabc&MessageStatus=delivered";
	struct provider_events ev;
	struct request r;
	char err[128], sig[SIGNATURE_TWILIO_LEN];

	(void)state;
	/* Missing. */
	request(&r, "/status", body);
	r.sig_header = NULL;
	assert_int_equal(run(&r, &ev, err, sizeof err), PROVIDER_WEBHOOK_UNSIGNED);
	assert_int_equal(ev.nstatus, 0);
	provider_events_free(&ev);
	r.wr.header = NULL;
	assert_int_equal(run(&r, &ev, err, sizeof err), PROVIDER_WEBHOOK_UNSIGNED);
	provider_events_free(&ev);

	/* Signed for another body: the status was changed on the way. */
	request(&r, "/status", "MessageSid=SMabc&MessageStatus=failed");
	memcpy(sig, r.sig, sizeof sig);
	request(&r, "/status", body);
	r.sig_header = sig;
	assert_int_equal(run(&r, &ev, err, sizeof err), PROVIDER_WEBHOOK_UNSIGNED);
	assert_int_equal(ev.nstatus, 0);
	provider_events_free(&ev);

	/* Signed for another URL (http instead of https, another route). */
	request(&r, "/status", body);
	r.wr.url = "http://gw.example.ma/webhooks/twilio/status";
	assert_int_equal(run(&r, &ev, err, sizeof err), PROVIDER_WEBHOOK_UNSIGNED);
	provider_events_free(&ev);
	request(&r, "/inbound", body);
	memcpy(sig, r.sig, sizeof sig);
	request(&r, "/status", body);
	r.sig_header = sig;
	assert_int_equal(run(&r, &ev, err, sizeof err), PROVIDER_WEBHOOK_UNSIGNED);
	provider_events_free(&ev);

	/* Truncated. */
	request(&r, "/status", body);
	r.sig[10] = '\0';
	assert_int_equal(run(&r, &ev, err, sizeof err), PROVIDER_WEBHOOK_UNSIGNED);
	provider_events_free(&ev);

	/* Signed with another token. */
	request(&r, "/status", body);
	provider_events_init(&ev);
	assert_int_equal(twilio_webhook_parse("other-token", &r.wr, &ev, err, sizeof err), PROVIDER_WEBHOOK_UNSIGNED);
	provider_events_free(&ev);
	provider_events_init(&ev);
	assert_int_equal(twilio_webhook_parse("", &r.wr, &ev, err, sizeof err), PROVIDER_WEBHOOK_UNSIGNED);
	provider_events_free(&ev);

	/* The signature is checked before the fields: a forged bad number is a 401, not a 400. */
	request(&r, "/inbound", "MessageSid=SM1&From=123&Body=hi");
	r.sig_header = "AAAAAAAAAAAAAAAAAAAAAAAAAAA=";
	assert_int_equal(run(&r, &ev, err, sizeof err), PROVIDER_WEBHOOK_UNSIGNED);
	assert_null(strstr(err, "123"));
	provider_events_free(&ev);
}

/* Twilio may sign the URL with or without the scheme's default port; both are the same URL. */
static void
test_signature_default_port(void **state)
{
	static const char body[] = "MessageSid=SMabc&MessageStatus=delivered";
	struct provider_events ev;
	struct request r;
	struct form f;
	char err[128];

	(void)state;
	/* Twilio signed https://host:443/…; the gateway knows https://host/…. */
	request(&r, "/status", body);
	assert_int_equal(form_parse(&f, body, strlen(body), err, sizeof err), 0);
	signature_twilio(TOKEN, "https://gw.example.ma:443/webhooks/twilio/status", &f, r.sig);
	assert_int_equal(run(&r, &ev, err, sizeof err), PROVIDER_WEBHOOK_OK);
	provider_events_free(&ev);
	/* And the other way round. */
	r.wr.url = "https://gw.example.ma:443/webhooks/twilio/status";
	signature_twilio(TOKEN, "https://gw.example.ma/webhooks/twilio/status", &f, r.sig);
	assert_int_equal(run(&r, &ev, err, sizeof err), PROVIDER_WEBHOOK_OK);
	provider_events_free(&ev);
	/* Another port is another URL. */
	r.wr.url = "https://gw.example.ma/webhooks/twilio/status";
	signature_twilio(TOKEN, "https://gw.example.ma:8443/webhooks/twilio/status", &f, r.sig);
	assert_int_equal(run(&r, &ev, err, sizeof err), PROVIDER_WEBHOOK_UNSIGNED);
	provider_events_free(&ev);
	/* http's default is 80, not 443. */
	r.wr.url = "http://gw.example.ma/webhooks/twilio/status";
	signature_twilio(TOKEN, "http://gw.example.ma:443/webhooks/twilio/status", &f, r.sig);
	assert_int_equal(run(&r, &ev, err, sizeof err), PROVIDER_WEBHOOK_UNSIGNED);
	provider_events_free(&ev);
	signature_twilio(TOKEN, "http://gw.example.ma:80/webhooks/twilio/status", &f, r.sig);
	assert_int_equal(run(&r, &ev, err, sizeof err), PROVIDER_WEBHOOK_OK);
	provider_events_free(&ev);
	form_free(&f);
}

static void
test_route_and_method(void **state)
{
	static const char body[] = "MessageSid=SMabc&MessageStatus=delivered";
	static const char *const routes[] = { "", "/", "/statuses", "/status/", "/inbound/x", "/STATUS" };
	static const char *const methods[] = { "PUT", "DELETE", "HEAD", "OTHER", "get", "post", NULL };
	struct provider_events ev;
	struct request r;
	char err[128];

	(void)state;
	for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
		request(&r, routes[i], body);
		assert_int_equal(run(&r, &ev, err, sizeof err), PROVIDER_WEBHOOK_NOT_FOUND);
		provider_events_free(&ev);
	}
	/* POST and GET (tested above) are Twilio's two methods; nothing else is. */
	for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++) {
		request(&r, i % 2 ? "/inbound" : "/status", body);
		r.wr.method = methods[i];
		assert_int_equal(run(&r, &ev, err, sizeof err), PROVIDER_WEBHOOK_METHOD);
		assert_int_equal(ev.nstatus, 0);
		provider_events_free(&ev);
	}
	/* An unknown route is unknown whatever the method. */
	request_get(&r, "/statuses", GET_STATUS_QUERY, GET_STATUS_SIG);
	assert_int_equal(run(&r, &ev, err, sizeof err), PROVIDER_WEBHOOK_NOT_FOUND);
	provider_events_free(&ev);
}

static void
test_malformed_form(void **state)
{
	static const char body[] = "MessageSid=SMabc&MessageStatus=deliv%ZZered";
	struct provider_events ev;
	struct request r;
	char err[128];

	(void)state;
	request(&r, "/status", body);
	r.sig_header = "AAAAAAAAAAAAAAAAAAAAAAAAAAA=";
	assert_int_equal(run(&r, &ev, err, sizeof err), PROVIDER_WEBHOOK_MALFORMED);
	assert_string_equal(err, "byte 36: bad %-escape");
	assert_int_equal(ev.nstatus, 0);
	provider_events_free(&ev);
}

/* A status callback by GET: the parameters are in the query string, the signature covers the URL alone. */
static void
test_get_status(void **state)
{
	struct provider_events ev;
	struct request r;
	char err[128];

	(void)state;
	request_get(&r, "/status", GET_STATUS_QUERY, GET_STATUS_SIG);
	assert_int_equal(run(&r, &ev, err, sizeof err), PROVIDER_WEBHOOK_OK);
	assert_int_equal(ev.nstatus, 1);
	assert_int_equal(ev.ninbound, 0);
	assert_string_equal(ev.status[0].provider_id, "SM1f0e8ae6ade43cb3c0ce4525424e404f");
	assert_int_equal(ev.status[0].status, DELIVERY_UNDELIVERED);
	assert_string_equal(ev.status[0].error, "30003");
	assert_int_equal(ev.reply.len, 0);
	assert_null(ev.reply_type);
	provider_events_free(&ev);
	/* A GET has no body, so whatever content type it names does not matter. */
	request_get(&r, "/status", GET_STATUS_QUERY, GET_STATUS_SIG);
	r.wr.content_type = "application/json";
	assert_int_equal(run(&r, &ev, err, sizeof err), PROVIDER_WEBHOOK_OK);
	assert_int_equal(ev.nstatus, 1);
	provider_events_free(&ev);
}

/* An incoming SMS by GET is stored like a POSTed one and answered with the same empty TwiML. */
static void
test_get_inbound(void **state)
{
	/* printf '%s' PUBLIC'/inbound?'query | openssl dgst -sha1 -hmac s3cr3t-token -binary | base64 */
	static const char query[] = "MessageSid=SM77&From=%2B212612345678&To=%2B212522000000"
				    "&Body=Salam+khouya%2C+%D8%B3%D9%84%D8%A7%D9%85&NumMedia=0";
	struct provider_events ev;
	struct request r;
	char err[128];

	(void)state;
	request_get(&r, "/inbound", query, "EoxcuKctkrBoGdF4ej+unvWdl6I=");
	assert_int_equal(run(&r, &ev, err, sizeof err), PROVIDER_WEBHOOK_OK);
	assert_int_equal(ev.ninbound, 1);
	assert_int_equal(ev.nstatus, 0);
	assert_string_equal(ev.inbound[0].provider_id, "SM77");
	assert_string_equal(ev.inbound[0].from, "+212612345678");
	assert_string_equal(ev.inbound[0].type, "text");
	assert_string_equal(ev.inbound[0].text, "Salam khouya, \xD8\xB3\xD9\x84\xD8\xA7\xD9\x85");
	assert_string_equal(ev.reply.data, TWILIO_WEBHOOK_EMPTY_TWIML);
	assert_string_equal(ev.reply_type, "text/xml");
	provider_events_free(&ev);
}

/* What a GET's signature must cover: the URL with its query, nothing appended, nothing changed. */
static void
test_get_signature(void **state)
{
	static const struct {
		const char *sig;
		enum provider_webhook_result want;
	} cases[] = {
		{ GET_STATUS_SIG, PROVIDER_WEBHOOK_OK },
		/* The same URL with the default port written out (Twilio may sign either). */
		{ "oFBfuBtnpZOQOAzsIWYPrXcTCpw=", PROVIDER_WEBHOOK_OK },
		/* Signed as a POST: the URL without the query, the parameters appended. */
		{ "QEhiHIUGFN5dNHFCyKK0RIEf07s=", PROVIDER_WEBHOOK_UNSIGNED },
		/* The URL with the query and the parameters appended again. */
		{ "V0bTlZYoj4+9HXb9AJOKQk5+0B8=", PROVIDER_WEBHOOK_UNSIGNED },
		{ "AAAAAAAAAAAAAAAAAAAAAAAAAAA=", PROVIDER_WEBHOOK_UNSIGNED },
		{ NULL, PROVIDER_WEBHOOK_UNSIGNED },
	};
	struct provider_events ev;
	struct request r;
	char err[128];

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		request_get(&r, "/status", GET_STATUS_QUERY, cases[i].sig);
		assert_int_equal(run(&r, &ev, err, sizeof err), cases[i].want);
		assert_int_equal(ev.nstatus, cases[i].want == PROVIDER_WEBHOOK_OK ? 1 : 0);
		provider_events_free(&ev);
	}
	/* The query changed on the way (undelivered made delivered): the signature no longer matches. */
	request_get(&r, "/status",
	    "MessageSid=SM1f0e8ae6ade43cb3c0ce4525424e404f&MessageStatus=delivered&ErrorCode=30003&To=%2B212612345678",
	    GET_STATUS_SIG);
	assert_int_equal(run(&r, &ev, err, sizeof err), PROVIDER_WEBHOOK_UNSIGNED);
	assert_int_equal(ev.nstatus, 0);
	provider_events_free(&ev);
	/* Another route with the same query. */
	request_get(&r, "/inbound", GET_STATUS_QUERY, GET_STATUS_SIG);
	assert_int_equal(run(&r, &ev, err, sizeof err), PROVIDER_WEBHOOK_UNSIGNED);
	provider_events_free(&ev);
	/* A body sent with a GET is not read, so it cannot stand in for the query. */
	request_get(&r, "/status", "", GET_STATUS_SIG);
	r.wr.body = GET_STATUS_QUERY;
	r.wr.body_len = strlen(GET_STATUS_QUERY);
	assert_int_equal(run(&r, &ev, err, sizeof err), PROVIDER_WEBHOOK_UNSIGNED);
	assert_int_equal(ev.nstatus, 0);
	provider_events_free(&ev);
}

static void
test_get_malformed_query(void **state)
{
	struct provider_events ev;
	struct request r;
	char err[128];

	(void)state;
	request_get(&r, "/status", "MessageSid=SMabc&MessageStatus=deliv%ZZered", "AAAAAAAAAAAAAAAAAAAAAAAAAAA=");
	assert_int_equal(run(&r, &ev, err, sizeof err), PROVIDER_WEBHOOK_MALFORMED);
	assert_string_equal(err, "byte 36: bad %-escape");
	assert_int_equal(ev.nstatus, 0);
	provider_events_free(&ev);
}

/*
 * A POST to a URL with a query string (a status callback URL with its own
 * parameters) is read from its body as before; the query only counts as
 * part of the signed URL.
 */
static void
test_post_ignores_query(void **state)
{
	static const char body[] = "MessageSid=SMabc&MessageStatus=failed";
	struct provider_events ev;
	struct request r;
	struct form f;
	char err[128];

	(void)state;
	request(&r, "/status", body);
	snprintf(r.url, sizeof r.url, "%s/status?MessageSid=SMxyz&MessageStatus=delivered", PUBLIC);
	r.wr.query = "MessageSid=SMxyz&MessageStatus=delivered";
	assert_int_equal(form_parse(&f, body, strlen(body), err, sizeof err), 0);
	signature_twilio(TOKEN, r.url, &f, r.sig);
	form_free(&f);
	assert_int_equal(run(&r, &ev, err, sizeof err), PROVIDER_WEBHOOK_OK);
	assert_int_equal(ev.nstatus, 1);
	assert_string_equal(ev.status[0].provider_id, "SMabc");
	assert_int_equal(ev.status[0].status, DELIVERY_UNDELIVERED);
	provider_events_free(&ev);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_status_delivered),
		cmocka_unit_test(test_status_long_sid),
		cmocka_unit_test(test_status_words),
		cmocka_unit_test(test_status_error_code),
		cmocka_unit_test(test_status_missing_fields),
		cmocka_unit_test(test_inbound_text),
		cmocka_unit_test(test_inbound_media),
		cmocka_unit_test(test_inbound_national_number),
		cmocka_unit_test(test_inbound_bad_phone),
		cmocka_unit_test(test_inbound_invalid_utf8),
		cmocka_unit_test(test_content_type),
		cmocka_unit_test(test_signature),
		cmocka_unit_test(test_signature_default_port),
		cmocka_unit_test(test_route_and_method),
		cmocka_unit_test(test_malformed_form),
		cmocka_unit_test(test_get_status),
		cmocka_unit_test(test_get_inbound),
		cmocka_unit_test(test_get_signature),
		cmocka_unit_test(test_get_malformed_query),
		cmocka_unit_test(test_post_ignores_query),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
