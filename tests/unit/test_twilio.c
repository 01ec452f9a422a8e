/*
 * Unit tests for handlers/twilio.c and handlers/provider.c: the Messages
 * API request exactly as Twilio reads it (URL, form body, Basic auth), the
 * verdict for each kind of answer, and Retry-After parsing.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "handlers/provider.h"
#include "handlers/twilio.h"

#define SID "AC0123456789abcdef0123456789abcdef"
#define TOKEN "s3cr3t-token"
#define TO "+212612345678"

static char *base64(const char *s);
static void build(struct twilio *t, const char *text, struct provider_request *req);
static void classify(
    long status, const char *retry_after, const char *body, const char *terr, struct provider_result *out);
static const char *header(const struct provider_request *req, const char *prefix);
static void http_date(time_t t, char *out, size_t len);
static void test_url(void **state);
static void test_url_trailing_slash(void **state);
static void test_body_from(void **state);
static void test_body_messaging_service(void **state);
static void test_body_status_callback(void **state);
static void test_body_encoding(void **state);
static void test_body_arabic(void **state);
static void test_auth_header(void **state);
static void test_content_type(void **state);
static void test_no_sender(void **state);
static void test_accepted(void **state);
static void test_accepted_long_sid(void **state);
static void test_2xx_without_sid(void **state);
static void test_429_retry_after_seconds(void **state);
static void test_429_retry_after_date(void **state);
static void test_429_without_header(void **state);
static void test_5xx(void **state);
static void test_400_permanent(void **state);
static void test_401_credentials(void **state);
static void test_transport_error(void **state);
static void test_parse_retry_after(void **state);
static void test_retry_after_capped_at_a_day(void **state);

/* An encoder of our own, so the header is not checked against itself. */
static char *
base64(const char *s)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t len = strlen(s), o = 0;
	char *out = malloc(4 * ((len + 2) / 3) + 1);
	const unsigned char *p = (const unsigned char *)s;

	assert_non_null(out);
	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16;

		if (i + 1 < len)
			v |= (uint32_t)p[i + 1] << 8;
		if (i + 2 < len)
			v |= p[i + 2];
		out[o++] = tab[(v >> 18) & 63];
		out[o++] = tab[(v >> 12) & 63];
		out[o++] = i + 1 < len ? tab[(v >> 6) & 63] : '=';
		out[o++] = i + 2 < len ? tab[v & 63] : '=';
	}
	out[o] = '\0';
	return out;
}

static void
build(struct twilio *t, const char *text, struct provider_request *req)
{
	struct provider_message m = { .id = "m-1", .to = TO, .text = text };
	char error[128];

	provider_request_init(req);
	if (twilio_ops.build_request(t, &m, req, error, sizeof error) != 0)
		fail_msg("build_request failed: %s", error);
}

static void
classify(long status, const char *retry_after, const char *body, const char *terr, struct provider_result *out)
{
	struct twilio *t = twilio_new("https://api.twilio.com", SID, TOKEN, "+15005550006", NULL, NULL);
	struct provider_answer a = { .status = status,
		.retry_after = retry_after,
		.body = body,
		.body_len = body != NULL ? strlen(body) : 0,
		.transport_error = terr };

	memset(out, 0x55, sizeof *out);
	twilio_ops.classify(t, &a, out);
	twilio_free(t);
}

static const char *
header(const struct provider_request *req, const char *prefix)
{
	for (size_t i = 0; i < req->nheaders; i++)
		if (strncmp(req->headers[i], prefix, strlen(prefix)) == 0)
			return req->headers[i];
	return NULL;
}

static void
http_date(time_t t, char *out, size_t len)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, len, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

static void
test_url(void **state)
{
	struct twilio *t = twilio_new("https://api.twilio.com", SID, TOKEN, "+15005550006", NULL, NULL);
	struct provider_request req;

	(void)state;
	build(t, "hi", &req);
	assert_string_equal(req.url, "https://api.twilio.com/2010-04-01/Accounts/" SID "/Messages.json");
	provider_request_free(&req);
	twilio_free(t);
}

static void
test_url_trailing_slash(void **state)
{
	struct twilio *t = twilio_new("http://127.0.0.1:8080//", SID, TOKEN, "+15005550006", NULL, NULL);
	struct provider_request req;

	(void)state;
	build(t, "hi", &req);
	assert_string_equal(req.url, "http://127.0.0.1:8080/2010-04-01/Accounts/" SID "/Messages.json");
	provider_request_free(&req);
	twilio_free(t);
}

static void
test_body_from(void **state)
{
	struct twilio *t = twilio_new("https://api.twilio.com", SID, TOKEN, "+15005550006", "", "");
	struct provider_request req;

	(void)state;
	build(t, "Salam", &req);
	assert_string_equal(req.body.data, "To=%2B212612345678&From=%2B15005550006&Body=Salam");
	assert_int_equal(req.body.len, strlen(req.body.data));
	provider_request_free(&req);
	twilio_free(t);
}

static void
test_body_messaging_service(void **state)
{
	struct twilio *t = twilio_new("https://api.twilio.com", SID, TOKEN, "+15005550006", "MG0123", NULL);
	struct provider_request req;

	(void)state;
	build(t, "Salam", &req);
	assert_string_equal(req.body.data, "To=%2B212612345678&MessagingServiceSid=MG0123&Body=Salam");
	assert_null(strstr(req.body.data, "From="));
	provider_request_free(&req);
	twilio_free(t);
}

static void
test_body_status_callback(void **state)
{
	struct twilio *t = twilio_new(
	    "https://api.twilio.com", SID, TOKEN, "+15005550006", NULL, "https://gw.example/twilio/status?x=1");
	struct provider_request req;

	(void)state;
	build(t, "Salam", &req);
	assert_string_equal(req.body.data,
	    "To=%2B212612345678&From=%2B15005550006&Body=Salam"
	    "&StatusCallback=https%3A%2F%2Fgw.example%2Ftwilio%2Fstatus%3Fx%3D1");
	provider_request_free(&req);
	twilio_free(t);
	t = twilio_new("https://api.twilio.com", SID, TOKEN, "+15005550006", NULL, NULL);
	build(t, "Salam", &req);
	assert_null(strstr(req.body.data, "StatusCallback"));
	provider_request_free(&req);
	twilio_free(t);
}

static void
test_body_encoding(void **state)
{
	struct twilio *t = twilio_new("https://api.twilio.com", SID, TOKEN, "+15005550006", NULL, NULL);
	struct provider_request req;
	const char *body;

	(void)state;
	build(t, "Formation \xC3\xA9t\xC3\xA9 & co=1+1", &req);
	body = strstr(req.body.data, "&Body=");
	assert_non_null(body);
	assert_string_equal(body, "&Body=Formation+%C3%A9t%C3%A9+%26+co%3D1%2B1");
	provider_request_free(&req);
	twilio_free(t);
}

static void
test_body_arabic(void **state)
{
	struct twilio *t = twilio_new("https://api.twilio.com", SID, TOKEN, "+15005550006", NULL, NULL);
	struct provider_request req;
	const char *body;

	(void)state;
	/* "سلام" then a newline. */
	build(t, "\xD8\xB3\xD9\x84\xD8\xA7\xD9\x85\n", &req);
	body = strstr(req.body.data, "&Body=");
	assert_non_null(body);
	assert_string_equal(body, "&Body=%D8%B3%D9%84%D8%A7%D9%85%0A");
	provider_request_free(&req);
	twilio_free(t);
}

static void
test_auth_header(void **state)
{
	struct twilio *t = twilio_new("https://api.twilio.com", SID, TOKEN, "+15005550006", NULL, NULL);
	struct provider_request req;
	char *b64 = base64(SID ":" TOKEN), want[256];
	const char *h;

	(void)state;
	/* printf 'AC0123456789abcdef0123456789abcdef:s3cr3t-token' | base64 */
	assert_string_equal(b64, "QUMwMTIzNDU2Nzg5YWJjZGVmMDEyMzQ1Njc4OWFiY2RlZjpzM2NyM3QtdG9rZW4=");
	snprintf(want, sizeof want, "Authorization: Basic %s", b64);
	build(t, "hi", &req);
	h = header(&req, "Authorization:");
	assert_non_null(h);
	assert_string_equal(h, want);
	/* The token is never in clear anywhere in the request. */
	assert_null(strstr(req.url, TOKEN));
	assert_null(strstr(req.body.data, TOKEN));
	provider_request_free(&req);
	twilio_free(t);
	free(b64);

	/* Lengths 1 and 2 modulo 3 need padding. */
	t = twilio_new("https://api.twilio.com", "AC1", "ab", "+15005550006", NULL, NULL);
	b64 = base64("AC1:ab");
	snprintf(want, sizeof want, "Authorization: Basic %s", b64);
	build(t, "hi", &req);
	assert_string_equal(header(&req, "Authorization:"), want);
	provider_request_free(&req);
	twilio_free(t);
	free(b64);
}

static void
test_content_type(void **state)
{
	struct twilio *t = twilio_new("https://api.twilio.com", SID, TOKEN, "+15005550006", NULL, NULL);
	struct provider_request req;

	(void)state;
	build(t, "hi", &req);
	assert_string_equal(header(&req, "Content-Type:"), "Content-Type: application/x-www-form-urlencoded");
	assert_true(req.nheaders <= PROVIDER_MAX_HEADERS);
	provider_request_free(&req);
	twilio_free(t);
}

static void
test_no_sender(void **state)
{
	struct twilio *t = twilio_new("https://api.twilio.com", SID, TOKEN, NULL, NULL, NULL);
	struct provider_message m = { .id = "m-1", .to = TO, .text = "hi" };
	struct provider_request req;
	char error[128] = "";

	(void)state;
	provider_request_init(&req);
	assert_int_equal(twilio_ops.build_request(t, &m, &req, error, sizeof error), -1);
	assert_non_null(strstr(error, "from"));
	provider_request_free(&req);
	twilio_free(t);
}

static void
test_accepted(void **state)
{
	static const char body[] = "{\"account_sid\": \"" SID "\", \"api_version\": \"2010-04-01\", "
				   "\"body\": \"Salam\", \"direction\": \"outbound-api\", \"from\": \"+15005550006\", "
				   "\"num_segments\": \"1\", \"sid\": \"SM1f0e8ae6ade43cb3c0ce4525424e404f\", "
				   "\"status\": \"queued\", \"to\": \"+212612345678\", \"error_code\": null}";
	struct provider_result r;

	(void)state;
	classify(201, NULL, body, NULL, &r);
	assert_int_equal(r.verdict, PROVIDER_ACCEPTED);
	assert_string_equal(r.provider_id, "SM1f0e8ae6ade43cb3c0ce4525424e404f");
	classify(200, NULL, "{\"sid\":\"SMabc\"}", NULL, &r);
	assert_int_equal(r.verdict, PROVIDER_ACCEPTED);
	assert_string_equal(r.provider_id, "SMabc");
}

/* A long message id is still an answer: sent, never resent for its length. */
static void
test_accepted_long_sid(void **state)
{
	char body[1200], sid[1100], want[DOMAIN_PROVIDER_ID_MAX];
	struct provider_result r;

	(void)state;
	memset(sid, 'a', sizeof sid - 1);
	sid[sizeof sid - 1] = '\0';
	memcpy(sid, "SM", 2);
	snprintf(body, sizeof body, "{\"sid\":\"%s\"}", sid);
	classify(201, NULL, body, NULL, &r);
	assert_int_equal(r.verdict, PROVIDER_ACCEPTED);
	domain_provider_id(want, sid, strlen(sid));
	assert_string_equal(r.provider_id, want);
	assert_int_equal(strncmp(r.provider_id, "h:", 2), 0);
	/* 200 characters: kept as it is. */
	sid[200] = '\0';
	snprintf(body, sizeof body, "{\"sid\":\"%s\"}", sid);
	classify(201, NULL, body, NULL, &r);
	assert_int_equal(r.verdict, PROVIDER_ACCEPTED);
	assert_string_equal(r.provider_id, sid);
}

/* An answer that does not prove the message was taken is retried (at least once). */
static void
test_2xx_without_sid(void **state)
{
	struct provider_result r;

	(void)state;
	classify(201, NULL, "{\"status\":\"queued\"}", NULL, &r);
	assert_int_equal(r.verdict, PROVIDER_RETRY);
	classify(201, NULL, "<html>ok</html>", NULL, &r);
	assert_int_equal(r.verdict, PROVIDER_RETRY);
	classify(200, NULL, "", NULL, &r);
	assert_int_equal(r.verdict, PROVIDER_RETRY);
	classify(201, NULL, "{\"sid\":42}", NULL, &r);
	assert_int_equal(r.verdict, PROVIDER_RETRY);
	assert_true(strlen(r.error) > 0);
}

static void
test_429_retry_after_seconds(void **state)
{
	struct provider_result r;

	(void)state;
	classify(429, "7", "{\"code\":20429,\"message\":\"Too Many Requests\"}", NULL, &r);
	assert_int_equal(r.verdict, PROVIDER_RETRY);
	assert_int_equal(r.retry_after_ms, 7000);
}

static void
test_429_retry_after_date(void **state)
{
	struct provider_result r;
	char date[64];

	(void)state;
	http_date(time(NULL) + 30, date, sizeof date);
	classify(429, date, "", NULL, &r);
	assert_int_equal(r.verdict, PROVIDER_RETRY);
	assert_in_range(r.retry_after_ms, 28000, 30000);
	http_date(time(NULL) - 3600, date, sizeof date);
	classify(429, date, "", NULL, &r);
	assert_int_equal(r.verdict, PROVIDER_RETRY);
	assert_int_equal(r.retry_after_ms, 0);
}

static void
test_429_without_header(void **state)
{
	struct provider_result r;

	(void)state;
	classify(429, NULL, "", NULL, &r);
	assert_int_equal(r.verdict, PROVIDER_RETRY);
	assert_int_equal(r.retry_after_ms, 0);
	classify(429, "soon", "", NULL, &r);
	assert_int_equal(r.verdict, PROVIDER_RETRY);
	assert_int_equal(r.retry_after_ms, 0);
}

static void
test_5xx(void **state)
{
	struct provider_result r;

	(void)state;
	classify(500, NULL, "{\"code\":20500,\"message\":\"Internal Server Error\"}", NULL, &r);
	assert_int_equal(r.verdict, PROVIDER_RETRY);
	classify(503, "120", "Service Unavailable", NULL, &r);
	assert_int_equal(r.verdict, PROVIDER_RETRY);
	assert_int_equal(r.retry_after_ms, 120000);
	classify(502, NULL, "", NULL, &r);
	assert_int_equal(r.verdict, PROVIDER_RETRY);
}

static void
test_400_permanent(void **state)
{
	static const char body[] =
	    "{\"code\": 21211, \"message\": \"The 'To' number +212612345678 is not a "
	    "valid phone number.\", \"more_info\": \"https://www.twilio.com/docs/errors/21211\", "
	    "\"status\": 400}";
	struct provider_result r;

	(void)state;
	classify(400, NULL, body, NULL, &r);
	assert_int_equal(r.verdict, PROVIDER_PERMANENT);
	assert_non_null(strstr(r.error, "21211"));
	assert_null(strstr(r.error, "612345678"));
	assert_null(strstr(r.error, "not a valid"));
	classify(400, NULL, "not json", NULL, &r);
	assert_int_equal(r.verdict, PROVIDER_PERMANENT);
	assert_true(strlen(r.error) > 0);
}

/* Refused credentials are the operator's to fix; the message stays. */
static void
test_401_credentials(void **state)
{
	struct provider_result r;

	(void)state;
	classify(401, NULL, "{\"code\":20003,\"message\":\"Authenticate\",\"status\":401}", NULL, &r);
	assert_int_equal(r.verdict, PROVIDER_RETRY);
	assert_non_null(strstr(r.error, "20003"));
	classify(403, NULL, "", NULL, &r);
	assert_int_equal(r.verdict, PROVIDER_RETRY);
	/* A wrong account SID in the URL: Twilio answers 404 for every message alike. */
	classify(404, NULL, "{\"code\":20404,\"message\":\"The requested resource was not found\"}", NULL, &r);
	assert_int_equal(r.verdict, PROVIDER_RETRY);
	assert_non_null(strstr(r.error, "20404"));
}

static void
test_transport_error(void **state)
{
	struct provider_result r;

	(void)state;
	classify(0, NULL, NULL, "Connection refused", &r);
	assert_int_equal(r.verdict, PROVIDER_RETRY);
	assert_non_null(strstr(r.error, "Connection refused"));
	classify(0, NULL, NULL, NULL, &r);
	assert_int_equal(r.verdict, PROVIDER_RETRY);
}

static void
test_parse_retry_after(void **state)
{
	const long long now = 1445412480; /* Wed, 21 Oct 2015 07:28:00 GMT */

	(void)state;
	assert_int_equal(provider_parse_retry_after("0", now), 0);
	assert_int_equal(provider_parse_retry_after("120", now), 120000);
	assert_int_equal(provider_parse_retry_after(" 5\r\n", now), 5000);
	assert_int_equal(provider_parse_retry_after("garbage", now), -1);
	assert_int_equal(provider_parse_retry_after("12abc", now), -1);
	assert_int_equal(provider_parse_retry_after("-5", now), -1);
	assert_int_equal(provider_parse_retry_after("", now), -1);
	assert_int_equal(provider_parse_retry_after(NULL, now), -1);
	assert_int_equal(provider_parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now + 60), 0);
	assert_int_equal(provider_parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now), 0);
	assert_int_equal(provider_parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now - 90), 90000);
	/* Never more than a day, whatever the provider says. */
	assert_int_equal(provider_parse_retry_after("Wed, 21 Oct 2025 07:28:00 GMT", now), 86400000L);
}

/* Either form of Retry-After asks for at most a day: below it as said, at it and above it a day. */
static void
test_retry_after_capped_at_a_day(void **state)
{
	const long long now = 1445412480; /* Wed, 21 Oct 2015 07:28:00 GMT */
	static const struct {
		const char *delta, *date;
		long want_ms;
	} cases[] = {
		{ "86399", "Thu, 22 Oct 2015 07:27:59 GMT", 86399000L },
		{ "86400", "Thu, 22 Oct 2015 07:28:00 GMT", 86400000L },
		{ "86401", "Thu, 22 Oct 2015 07:28:01 GMT", 86400000L },
		{ "604800", "Wed, 28 Oct 2015 07:28:00 GMT", 86400000L },
		{ "31536000", "Fri, 21 Oct 2016 07:28:00 GMT", 86400000L },
	};
	struct provider_result r;

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		assert_int_equal(provider_parse_retry_after(cases[i].delta, now), cases[i].want_ms);
		assert_int_equal(provider_parse_retry_after(cases[i].date, now), cases[i].want_ms);
	}
	/* More digits than any integer holds is still "a long time", not garbage. */
	assert_int_equal(provider_parse_retry_after("99999999999999999999999999", now), 86400000L);
	assert_int_equal(provider_parse_retry_after("0000000000000000000000086400", now), 86400000L);
	assert_int_equal(provider_parse_retry_after("0000000000000000000000000007", now), 7000);
	/* What the retry schedule gets from a 429 or a 503 asking for two days: a day, not the backoff. */
	classify(429, "172800", "", NULL, &r);
	assert_int_equal(r.verdict, PROVIDER_RETRY);
	assert_int_equal(r.retry_after_ms, 86400000L);
	classify(503, "172800", "", NULL, &r);
	assert_int_equal(r.retry_after_ms, 86400000L);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_url),
		cmocka_unit_test(test_url_trailing_slash),
		cmocka_unit_test(test_body_from),
		cmocka_unit_test(test_body_messaging_service),
		cmocka_unit_test(test_body_status_callback),
		cmocka_unit_test(test_body_encoding),
		cmocka_unit_test(test_body_arabic),
		cmocka_unit_test(test_auth_header),
		cmocka_unit_test(test_content_type),
		cmocka_unit_test(test_no_sender),
		cmocka_unit_test(test_accepted),
		cmocka_unit_test(test_accepted_long_sid),
		cmocka_unit_test(test_2xx_without_sid),
		cmocka_unit_test(test_429_retry_after_seconds),
		cmocka_unit_test(test_429_retry_after_date),
		cmocka_unit_test(test_429_without_header),
		cmocka_unit_test(test_5xx),
		cmocka_unit_test(test_400_permanent),
		cmocka_unit_test(test_401_credentials),
		cmocka_unit_test(test_transport_error),
		cmocka_unit_test(test_parse_retry_after),
		cmocka_unit_test(test_retry_after_capped_at_a_day),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
