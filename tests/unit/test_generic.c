/*
 * Unit tests for handlers/generic.c through generic_ops: the checks of a
 * [generic] section, the body template filled with JSON-escaped values
 * (parsed back with jansson), the headers, the verdict for each answer,
 * and the signed status webhook, with signatures computed here with
 * OpenSSL rather than by the code under test.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handlers/generic.h"
#include "handlers/provider.h"

#define URL "https://sms.example.ma/api/v1/send"
#define SECRET "whsec-0123456789"
#define TO "+212612345678"
#define BODY                                                                                                           \
	"{\"to\":\"${to}\",\"msisdn\":\"${to_digits}\",\"message\":\"${text}\",\"ref\":\"${id}\",\"kind\":\"${kind}"   \
	"\"}"
#define BASIC "url", URL, "body", BODY, "webhook_secret", SECRET

#define MAX_SETTINGS 16

struct section {
	struct provider_setting v[MAX_SETTINGS];
	struct provider_settings s;
};

/* A webhook request and what came of it. */
struct hook {
	struct provider_webhook_request wr;
	char sig[80];
	const char *sig_header; /* the X-Signature value, NULL for none */
	struct provider_events ev;
	char err[256];
};

static const struct provider_settings *section(struct section *sec, const char *const *kv);
static void *create_ok(const char *const *kv);
static void expect_refused(const char *const *kv, const char *needle);
static json_t *build_json(const void *g, const struct provider_message *m, struct provider_request *req);
static const char *header(const struct provider_request *req, const char *prefix);
static void classify(const char *const *kv, long status, const char *body, struct provider_result *out);
static void sign(const char *secret, const char *body, char *out, size_t outlen);
static const char *hook_header(void *arg, const char *name);
static enum provider_webhook_result hook_run(
    const void *g, struct hook *h, const char *method, const char *route, const char *content_type, const char *body);
static void test_create_needs_url(void **state);
static void test_create_needs_body(void **state);
static void test_create_body_must_give_json(void **state);
static void test_create_unknown_placeholder(void **state);
static void test_create_auth_header_shape(void **state);
static void test_create_needs_webhook_secret(void **state);
static void test_build_substitutes(void **state);
static void test_build_escapes_text(void **state);
static void test_build_repeated_placeholders(void **state);
static void test_headers_default(void **state);
static void test_headers_configured(void **state);
static void test_accepted(void **state);
static void test_2xx_without_id(void **state);
static void test_accepted_nested_id(void **state);
static void test_configuration_refused_retry(void **state);
static void test_rejected_permanent(void **state);
static void test_throttled_and_transport_retry(void **state);
static void test_webhook_single(void **state);
static void test_webhook_array(void **state);
static void test_webhook_custom_fields(void **state);
static void test_webhook_unsigned(void **state);
static void test_webhook_media_type(void **state);
static void test_webhook_method(void **state);
static void test_webhook_malformed(void **state);
static void test_webhook_malformed_quotes_nothing(void **state);
static void test_webhook_not_found(void **state);

static const struct provider_settings *
section(struct section *sec, const char *const *kv)
{
	size_t n = 0;

	for (; kv[2 * n] != NULL; n++) {
		assert_true(n < MAX_SETTINGS);
		sec->v[n].key = kv[2 * n];
		sec->v[n].value = kv[2 * n + 1];
	}
	sec->s.v = sec->v;
	sec->s.n = n;
	sec->s.public_url = "https://gw.example";
	return &sec->s;
}

static void *
create_ok(const char *const *kv)
{
	struct section sec;
	char err[256] = "";
	void *g;

	g = generic_ops.create(section(&sec, kv), err, sizeof err);
	if (g == NULL)
		fail_msg("create refused: %s", err);
	return g;
}

static void
expect_refused(const char *const *kv, const char *needle)
{
	struct section sec;
	char err[256] = "";
	void *g;

	g = generic_ops.create(section(&sec, kv), err, sizeof err);
	if (g != NULL) {
		generic_ops.destroy(g);
		fail_msg("create accepted, expected an error naming '%s'", needle);
	}
	if (strstr(err, needle) == NULL)
		fail_msg("error '%s' does not name '%s'", err, needle);
}

static json_t *
build_json(const void *g, const struct provider_message *m, struct provider_request *req)
{
	char error[192] = "";
	json_error_t jerr;
	json_t *root;
	int rc;

	provider_request_init(req);
	if ((rc = generic_ops.build_request(g, m, req, error, sizeof error)) != 0)
		fail_msg("build_request returned %d: %s", rc, error);
	assert_int_equal(req->body.len, strlen(req->body.data));
	root = json_loadb(req->body.data, req->body.len, 0, &jerr);
	if (root == NULL)
		fail_msg("body is not JSON (%s): %s", jerr.text, req->body.data);
	return root;
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
classify(const char *const *kv, long status, const char *body, struct provider_result *out)
{
	void *g = create_ok(kv);
	struct provider_answer a = { .status = status, .body = body, .body_len = body != NULL ? strlen(body) : 0 };

	memset(out, 0x55, sizeof *out);
	generic_ops.classify(g, &a, out);
	generic_ops.destroy(g);
}

/* sha256=<hex HMAC-SHA256(secret, body)>, with OpenSSL directly. */
static void
sign(const char *secret, const char *body, char *out, size_t outlen)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	size_t o;

	assert_non_null(
	    HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)body, strlen(body), md, &mdlen));
	assert_int_equal(mdlen, 32);
	o = (size_t)snprintf(out, outlen, "sha256=");
	for (unsigned int i = 0; i < mdlen; i++)
		o += (size_t)snprintf(out + o, outlen - o, "%02x", md[i]);
}

static const char *
hook_header(void *arg, const char *name)
{
	struct hook *h = arg;

	return strcmp(name, "X-Signature") == 0 ? h->sig_header : NULL;
}

/* Runs the webhook with body signed by SECRET unless h->sig_header was set beforehand. */
static enum provider_webhook_result
hook_run(
    const void *g, struct hook *h, const char *method, const char *route, const char *content_type, const char *body)
{
	memset(&h->wr, 0, sizeof h->wr);
	h->wr.method = method;
	h->wr.route = route;
	h->wr.url = "https://gw.example/webhooks/generic";
	h->wr.query = "";
	h->wr.content_type = content_type;
	h->wr.header = hook_header;
	h->wr.header_arg = h;
	h->wr.body = body;
	h->wr.body_len = strlen(body);
	if (h->sig_header == NULL) {
		sign(SECRET, body, h->sig, sizeof h->sig);
		h->sig_header = h->sig;
	}
	provider_events_init(&h->ev);
	h->err[0] = '\0';
	return generic_ops.webhook(g, &h->wr, &h->ev, h->err, sizeof h->err);
}

static void
test_create_needs_url(void **state)
{
	const char *missing[] = { "body", BODY, "webhook_secret", SECRET, NULL };
	const char *ftp[] = { "url", "ftp://sms.example.ma/send", "body", BODY, "webhook_secret", SECRET, NULL };

	(void)state;
	expect_refused(missing, "url");
	expect_refused(ftp, "url");
}

static void
test_create_needs_body(void **state)
{
	const char *missing[] = { "url", URL, "webhook_secret", SECRET, NULL };
	const char *empty[] = { "url", URL, "body", "", "webhook_secret", SECRET, NULL };

	(void)state;
	expect_refused(missing, "body");
	expect_refused(empty, "body");
}

/* The check runs with a text holding quotes and a new line, as real messages do. */
static void
test_create_body_must_give_json(void **state)
{
	const char *unquoted[] = { "url", URL, "body", "{\"to\":\"${to}\",\"text\":${text}}", "webhook_secret", SECRET,
		NULL };
	const char *unclosed[] = { "url", URL, "body", "{\"to\":\"${to}\"", "webhook_secret", SECRET, NULL };
	const char *single_quoted[] = { "url", URL, "body", "{'to':'${to}'}", "webhook_secret", SECRET, NULL };
	const char *number[] = { "url", URL, "body", "{\"msisdn\":${to_digits},\"text\":\"${text}\"}", "webhook_secret",
		SECRET, NULL };

	(void)state;
	expect_refused(unquoted, "body");
	expect_refused(unclosed, "body");
	expect_refused(single_quoted, "body");
	/* Digits alone are a JSON number: that one is fine. */
	generic_ops.destroy(create_ok(number));
}

static void
test_create_unknown_placeholder(void **state)
{
	const char *foo[] = { "url", URL, "body", "{\"to\":\"${to}\",\"x\":\"${foo}\"}", "webhook_secret", SECRET,
		NULL };
	const char *unclosed[] = { "url", URL, "body", "{\"to\":\"${to\"}", "webhook_secret", SECRET, NULL };
	const char *empty[] = { "url", URL, "body", "{\"to\":\"${}\"}", "webhook_secret", SECRET, NULL };

	(void)state;
	expect_refused(foo, "${foo}");
	expect_refused(foo, "body");
	expect_refused(unclosed, "body");
	expect_refused(empty, "body");
}

static void
test_create_auth_header_shape(void **state)
{
	const char *no_colon[] = { BASIC, "auth_header", "Bearer abc", NULL };
	const char *two_lines[] = { BASIC, "auth_header", "Authorization: Bearer abc\r\nX-Evil: 1", NULL };
	const char *ok[] = { BASIC, "auth_header", "X-Api-Key: abc", NULL };

	(void)state;
	expect_refused(no_colon, "auth_header");
	expect_refused(two_lines, "auth_header");
	generic_ops.destroy(create_ok(ok));
}

static void
test_create_needs_webhook_secret(void **state)
{
	const char *missing[] = { "url", URL, "body", BODY, NULL };
	const char *empty[] = { "url", URL, "body", BODY, "webhook_secret", "", NULL };

	(void)state;
	expect_refused(missing, "webhook_secret");
	expect_refused(empty, "webhook_secret");
}

static void
test_build_substitutes(void **state)
{
	const char *kv[] = { BASIC, NULL };
	struct provider_message m = { .id = "01J2M3-abc", .to = TO, .text = "Salam", .kind = "training_offer" };
	struct provider_request req;
	json_t *root;
	void *g = create_ok(kv);

	(void)state;
	root = build_json(g, &m, &req);
	assert_int_equal(json_object_size(root), 5);
	assert_string_equal(json_string_value(json_object_get(root, "to")), TO);
	assert_string_equal(json_string_value(json_object_get(root, "msisdn")), "212612345678");
	assert_string_equal(json_string_value(json_object_get(root, "message")), "Salam");
	assert_string_equal(json_string_value(json_object_get(root, "ref")), "01J2M3-abc");
	assert_string_equal(json_string_value(json_object_get(root, "kind")), "training_offer");
	assert_string_equal(req.url, URL);
	assert_string_equal(req.mode, "text");
	json_decref(root);
	provider_request_free(&req);
	/* A message without a kind is "custom". */
	m.kind = NULL;
	root = build_json(g, &m, &req);
	assert_string_equal(json_string_value(json_object_get(root, "kind")), "custom");
	json_decref(root);
	provider_request_free(&req);
	generic_ops.destroy(g);
}

static void
test_build_escapes_text(void **state)
{
	static const char *const texts[] = {
		"say \"hi\" to C:\\temp\\new",
		"line one\nline two\r\n\ttabbed",
		"bell \x01 esc \x1b unit \x1f del \x7f end",
		/* "سلام عليكم" */
		"\xD8\xB3\xD9\x84\xD8\xA7\xD9\x85 \xD8\xB9\xD9\x84\xD9\x8A\xD9\x83\xD9\x85",
		/* été 👍 */
		"\xC3\xA9t\xC3\xA9 \xF0\x9F\x91\x8D",
		"${to} and ${text} in the text stay as written",
		"\\u0041 is not an escape here, nor is \\\"",
		"}{\"],[",
	};
	const char *kv[] = { BASIC, NULL };
	struct provider_message m = { .id = "m\"1\\", .to = TO, .kind = "custom" };
	struct provider_request req;
	void *g = create_ok(kv);

	(void)state;
	for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
		json_t *root, *v;

		m.text = texts[i];
		root = build_json(g, &m, &req);
		v = json_object_get(root, "message");
		assert_true(json_is_string(v));
		if (json_string_length(v) != strlen(texts[i]) ||
		    memcmp(json_string_value(v), texts[i], strlen(texts[i])) != 0)
			fail_msg("text %zu does not round-trip: %s", i, req.body.data);
		assert_string_equal(json_string_value(json_object_get(root, "ref")), "m\"1\\");
		assert_string_equal(json_string_value(json_object_get(root, "to")), TO);
		json_decref(root);
		provider_request_free(&req);
	}
	generic_ops.destroy(g);
}

static void
test_build_repeated_placeholders(void **state)
{
	const char *kv[] = { "url", URL, "body",
		"{\"data\":{\"ref\":\"gw-${id}-${id}\",\"dest\":[\"${to_digits}\"]},\"n\":1,\"t\":\"${text}\"}",
		"webhook_secret", SECRET, NULL };
	struct provider_message m = { .id = "7", .to = TO, .text = "a\"b" };
	struct provider_request req;
	json_t *root;
	void *g = create_ok(kv);

	(void)state;
	root = build_json(g, &m, &req);
	assert_string_equal(json_string_value(json_object_get(json_object_get(root, "data"), "ref")), "gw-7-7");
	assert_string_equal(
	    json_string_value(json_array_get(json_object_get(json_object_get(root, "data"), "dest"), 0)),
	    "212612345678");
	assert_int_equal(json_integer_value(json_object_get(root, "n")), 1);
	assert_string_equal(json_string_value(json_object_get(root, "t")), "a\"b");
	json_decref(root);
	provider_request_free(&req);
	generic_ops.destroy(g);
}

static void
test_headers_default(void **state)
{
	const char *kv[] = { BASIC, NULL };
	struct provider_message m = { .id = "m-1", .to = TO, .text = "hi" };
	struct provider_request req;
	void *g = create_ok(kv);

	(void)state;
	json_decref(build_json(g, &m, &req));
	assert_int_equal(req.nheaders, 1);
	assert_string_equal(header(&req, "Content-Type:"), "Content-Type: application/json");
	provider_request_free(&req);
	generic_ops.destroy(g);
}

static void
test_headers_configured(void **state)
{
	const char *kv[] = { BASIC, "auth_header", "Authorization: Bearer k-123", "content_type",
		"application/vnd.sms+json; charset=utf-8", NULL };
	struct provider_message m = { .id = "m-1", .to = TO, .text = "hi" };
	struct provider_request req;
	void *g = create_ok(kv);

	(void)state;
	json_decref(build_json(g, &m, &req));
	assert_int_equal(req.nheaders, 2);
	assert_string_equal(header(&req, "Content-Type:"), "Content-Type: application/vnd.sms+json; charset=utf-8");
	assert_string_equal(header(&req, "Authorization:"), "Authorization: Bearer k-123");
	assert_null(strstr(req.body.data, "k-123"));
	assert_null(strstr(req.url, "k-123"));
	provider_request_free(&req);
	generic_ops.destroy(g);
}

static void
test_accepted(void **state)
{
	const char *kv[] = { BASIC, NULL };
	const char *named[] = { BASIC, "id_field", "message_id", NULL };
	struct provider_result r;

	(void)state;
	classify(kv, 200, "{\"status\":\"queued\",\"id\":\"agg-7781\",\"to\":\"" TO "\"}", &r);
	assert_int_equal(r.verdict, PROVIDER_ACCEPTED);
	assert_string_equal(r.provider_id, "agg-7781");
	classify(kv, 202, "{\"id\":987654321}", &r);
	assert_int_equal(r.verdict, PROVIDER_ACCEPTED);
	assert_string_equal(r.provider_id, "987654321");
	classify(named, 201, "{\"id\":\"not-this\",\"message_id\":\"mid-1\"}", &r);
	assert_int_equal(r.verdict, PROVIDER_ACCEPTED);
	assert_string_equal(r.provider_id, "mid-1");
}

/* A dotted id_field walks objects and array indexes, as nested answers need. */
static void
test_accepted_nested_id(void **state)
{
	const char *path[] = { BASIC, "id_field", "messages.0.id", NULL };
	const char *deep[] = { BASIC, "id_field", "data.result.ref", NULL };
	struct provider_result r;

	(void)state;
	classify(path, 200, "{\"messages\":[{\"id\":\"wamid.A1\"},{\"id\":\"wamid.B2\"}]}", &r);
	assert_int_equal(r.verdict, PROVIDER_ACCEPTED);
	assert_string_equal(r.provider_id, "wamid.A1");
	classify(deep, 200, "{\"data\":{\"result\":{\"ref\":4411}}}", &r);
	assert_int_equal(r.verdict, PROVIDER_ACCEPTED);
	assert_string_equal(r.provider_id, "4411");
	classify(path, 200, "{\"messages\":[]}", &r);
	assert_int_equal(r.verdict, PROVIDER_RETRY);
	classify(path, 200, "{\"messages\":{\"0\":{\"id\":\"\"}}}", &r);
	assert_int_equal(r.verdict, PROVIDER_RETRY);
	classify(deep, 200, "{\"data\":", &r);
	assert_int_equal(r.verdict, PROVIDER_RETRY);
}

/* Without the id the outcome is unknown: resending is the at-least-once choice. */
static void
test_2xx_without_id(void **state)
{
	const char *kv[] = { BASIC, NULL };
	const char *named[] = { BASIC, "id_field", "message_id", NULL };
	struct provider_result r;

	(void)state;
	classify(kv, 200, "{\"status\":\"queued\"}", &r);
	assert_int_equal(r.verdict, PROVIDER_RETRY);
	assert_non_null(strstr(r.error, "'id'"));
	classify(kv, 200, "{\"id\":\"\"}", &r);
	assert_int_equal(r.verdict, PROVIDER_RETRY);
	classify(kv, 200, "OK", &r);
	assert_int_equal(r.verdict, PROVIDER_RETRY);
	classify(kv, 204, "", &r);
	assert_int_equal(r.verdict, PROVIDER_RETRY);
	classify(named, 200, "{\"id\":\"agg-1\"}", &r);
	assert_int_equal(r.verdict, PROVIDER_RETRY);
	assert_non_null(strstr(r.error, "'message_id'"));
}

/* A wrong URL or key refuses every message alike: the operator's to fix, the messages stay. */
static void
test_configuration_refused_retry(void **state)
{
	const char *kv[] = { BASIC, NULL };
	static const long statuses[] = { 401, 403, 404 };
	struct provider_result r;

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		classify(kv, statuses[i], "{\"error\":\"unauthorized\"}", &r);
		assert_int_equal(r.verdict, PROVIDER_RETRY);
		assert_false(r.fallback);
	}
}

static void
test_rejected_permanent(void **state)
{
	const char *kv[] = { BASIC, NULL };
	struct provider_result r;

	(void)state;
	classify(kv, 400, "{\"error\":\"invalid destination " TO "\"}", &r);
	assert_int_equal(r.verdict, PROVIDER_PERMANENT);
	assert_false(r.fallback);
	assert_non_null(strstr(r.error, "400"));
	assert_null(strstr(r.error, "612345678"));
	classify(kv, 422, "", &r);
	assert_int_equal(r.verdict, PROVIDER_PERMANENT);
}

static void
test_throttled_and_transport_retry(void **state)
{
	const char *kv[] = { BASIC, NULL };
	const struct provider_answer limited = { .status = 429, .retry_after = "12", .body = "", .body_len = 0 };
	const struct provider_answer down = { .status = 0, .transport_error = "Could not resolve host" };
	struct provider_result r;
	void *g = create_ok(kv);

	(void)state;
	generic_ops.classify(g, &limited, &r);
	assert_int_equal(r.verdict, PROVIDER_RETRY);
	assert_int_equal(r.retry_after_ms, 12000);
	generic_ops.classify(g, &down, &r);
	assert_int_equal(r.verdict, PROVIDER_RETRY);
	generic_ops.destroy(g);
	classify(kv, 503, "busy", &r);
	assert_int_equal(r.verdict, PROVIDER_RETRY);
}

static void
test_webhook_single(void **state)
{
	const char *kv[] = { BASIC, NULL };
	struct hook h = { .sig_header = NULL };
	void *g = create_ok(kv);

	(void)state;
	assert_int_equal(hook_run(g, &h, "POST", "", "application/json",
			     "{\"id\":\"agg-7781\",\"status\":\"delivered\",\"error\":null,\"to\":\"" TO "\"}"),
	    PROVIDER_WEBHOOK_OK);
	assert_int_equal(h.ev.nstatus, 1);
	assert_int_equal(h.ev.ninbound, 0);
	assert_string_equal(h.ev.status[0].provider_id, "agg-7781");
	assert_int_equal(h.ev.status[0].status, DELIVERY_DELIVERED);
	assert_string_equal(h.ev.status[0].error, "");
	provider_events_free(&h.ev);
	/* The /status route and a content type with parameters are the same. */
	h.sig_header = NULL;
	assert_int_equal(hook_run(g, &h, "POST", "/status", "application/json; charset=utf-8",
			     "{\"id\":\"agg-7782\",\"status\":\"failed\",\"error\":\"4012\"}"),
	    PROVIDER_WEBHOOK_OK);
	assert_int_equal(h.ev.nstatus, 1);
	assert_int_equal(h.ev.status[0].status, DELIVERY_UNDELIVERED);
	assert_string_equal(h.ev.status[0].error, "4012");
	provider_events_free(&h.ev);
	/* Media types are case-insensitive (RFC 9110, section 8.3.1). */
	h.sig_header = NULL;
	assert_int_equal(hook_run(g, &h, "POST", "", "Application/JSON", "{\"id\":\"agg-7783\",\"status\":\"read\"}"),
	    PROVIDER_WEBHOOK_OK);
	assert_int_equal(h.ev.status[0].status, DELIVERY_READ);
	provider_events_free(&h.ev);
	generic_ops.destroy(g);
}

static void
test_webhook_array(void **state)
{
	static const char body[] = "[{\"id\":\"a1\",\"status\":\"sent\"},"
				   "{\"id\":\"a2\",\"status\":\"delivered\"},"
				   "{\"id\":\"a3\",\"status\":\"read\"},"
				   "{\"id\":\"a4\",\"status\":\"failed\",\"error\":30008},"
				   "{\"id\":\"a5\",\"status\":\"undelivered\"},"
				   "{\"id\":\"a6\",\"status\":\"rejected\"},"
				   "{\"id\":\"a7\",\"status\":\"queued\"},"
				   "{\"id\":\"a8\",\"status\":\"DELIVERED-ish\"},"
				   "{\"id\":\"a9\",\"status\":\"failed\",\"error\":\"bad " TO "\"}]";
	static const enum delivery want[] = { DELIVERY_SENT, DELIVERY_DELIVERED, DELIVERY_READ, DELIVERY_UNDELIVERED,
		DELIVERY_UNDELIVERED, DELIVERY_UNDELIVERED, DELIVERY_NONE, DELIVERY_NONE, DELIVERY_UNDELIVERED };
	const char *kv[] = { BASIC, NULL };
	struct hook h = { .sig_header = NULL };
	char id[8];
	void *g = create_ok(kv);

	(void)state;
	assert_int_equal(hook_run(g, &h, "POST", "", "application/json", body), PROVIDER_WEBHOOK_OK);
	assert_int_equal(h.ev.nstatus, 9);
	for (size_t i = 0; i < 9; i++) {
		snprintf(id, sizeof id, "a%zu", i + 1);
		assert_string_equal(h.ev.status[i].provider_id, id);
		assert_int_equal(h.ev.status[i].status, want[i]);
	}
	assert_string_equal(h.ev.status[3].error, "30008");
	/* An error that is not a code is not kept: it may hold the number. */
	assert_string_equal(h.ev.status[8].error, "");
	provider_events_free(&h.ev);
	h.sig_header = NULL;
	assert_int_equal(hook_run(g, &h, "POST", "", "application/json", "[]"), PROVIDER_WEBHOOK_OK);
	assert_int_equal(h.ev.nstatus, 0);
	provider_events_free(&h.ev);
	generic_ops.destroy(g);
}

static void
test_webhook_custom_fields(void **state)
{
	const char *kv[] = { BASIC, "status_id_field", "message_id", "status_field", "state", NULL };
	struct hook h = { .sig_header = NULL };
	void *g = create_ok(kv);

	(void)state;
	assert_int_equal(
	    hook_run(g, &h, "POST", "", "application/json",
		"{\"id\":\"other\",\"status\":\"failed\",\"message_id\":\"mid-9\",\"state\":\"delivered\"}"),
	    PROVIDER_WEBHOOK_OK);
	assert_int_equal(h.ev.nstatus, 1);
	assert_string_equal(h.ev.status[0].provider_id, "mid-9");
	assert_int_equal(h.ev.status[0].status, DELIVERY_DELIVERED);
	provider_events_free(&h.ev);
	h.sig_header = NULL;
	assert_int_equal(hook_run(g, &h, "POST", "", "application/json", "{\"id\":\"agg-1\",\"status\":\"delivered\"}"),
	    PROVIDER_WEBHOOK_MALFORMED);
	assert_non_null(strstr(h.err, "message_id"));
	provider_events_free(&h.ev);
	generic_ops.destroy(g);
}

static void
test_webhook_unsigned(void **state)
{
	static const char body[] = "{\"id\":\"agg-1\",\"status\":\"delivered\"}";
	const char *kv[] = { BASIC, NULL };
	struct hook h;
	char other[80];
	void *g = create_ok(kv);

	(void)state;
	/* No header. */
	memset(&h, 0, sizeof h);
	h.sig_header = NULL;
	h.sig[0] = '\0';
	{
		struct provider_webhook_request wr = { .method = "POST",
			.route = "",
			.url = "https://gw.example/webhooks/generic",
			.query = "",
			.content_type = "application/json",
			.header = hook_header,
			.header_arg = &h,
			.body = body,
			.body_len = strlen(body) };

		provider_events_init(&h.ev);
		assert_int_equal(generic_ops.webhook(g, &wr, &h.ev, h.err, sizeof h.err), PROVIDER_WEBHOOK_UNSIGNED);
		assert_int_equal(h.ev.nstatus, 0);
		provider_events_free(&h.ev);
	}
	/* Another secret. */
	sign("not-the-secret", body, other, sizeof other);
	h.sig_header = other;
	assert_int_equal(hook_run(g, &h, "POST", "", "application/json", body), PROVIDER_WEBHOOK_UNSIGNED);
	assert_int_equal(h.ev.nstatus, 0);
	provider_events_free(&h.ev);
	/* Another body. */
	sign(SECRET, "{\"id\":\"agg-1\",\"status\":\"failed\"}", other, sizeof other);
	h.sig_header = other;
	assert_int_equal(hook_run(g, &h, "POST", "", "application/json", body), PROVIDER_WEBHOOK_UNSIGNED);
	provider_events_free(&h.ev);
	/* The right hex without its prefix, and a truncated one. */
	sign(SECRET, body, other, sizeof other);
	h.sig_header = other + strlen("sha256=");
	assert_int_equal(hook_run(g, &h, "POST", "", "application/json", body), PROVIDER_WEBHOOK_UNSIGNED);
	provider_events_free(&h.ev);
	other[strlen(other) - 2] = '\0';
	h.sig_header = other;
	assert_int_equal(hook_run(g, &h, "POST", "", "application/json", body), PROVIDER_WEBHOOK_UNSIGNED);
	provider_events_free(&h.ev);
	/* And the right one, so the refusals above are about the signature. */
	h.sig_header = NULL;
	assert_int_equal(hook_run(g, &h, "POST", "", "application/json", body), PROVIDER_WEBHOOK_OK);
	provider_events_free(&h.ev);
	generic_ops.destroy(g);
}

static void
test_webhook_media_type(void **state)
{
	static const char body[] = "{\"id\":\"agg-1\",\"status\":\"delivered\"}";
	static const char *const types[] = { "application/x-www-form-urlencoded", "text/plain", "", "application/jsonp",
		"application/json-seq" };
	const char *kv[] = { BASIC, NULL };
	struct hook h;
	void *g = create_ok(kv);

	(void)state;
	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
		h.sig_header = NULL;
		if (hook_run(g, &h, "POST", "", types[i], body) != PROVIDER_WEBHOOK_MEDIA_TYPE)
			fail_msg("content type '%s' accepted", types[i]);
		assert_int_equal(h.ev.nstatus, 0);
		provider_events_free(&h.ev);
	}
	generic_ops.destroy(g);
}

static void
test_webhook_method(void **state)
{
	const char *kv[] = { BASIC, NULL };
	struct hook h = { .sig_header = NULL };
	void *g = create_ok(kv);

	(void)state;
	assert_int_equal(hook_run(g, &h, "GET", "", "", ""), PROVIDER_WEBHOOK_METHOD);
	provider_events_free(&h.ev);
	h.sig_header = NULL;
	assert_int_equal(hook_run(g, &h, "OTHER", "/status", "application/json", "{}"), PROVIDER_WEBHOOK_METHOD);
	provider_events_free(&h.ev);
	generic_ops.destroy(g);
}

static void
test_webhook_malformed(void **state)
{
	static const char *const bodies[] = { "{\"id\":\"agg-1\",", "not json", "", "{\"status\":\"delivered\"}",
		"{\"id\":\"agg-1\"}", "{\"id\":7,\"status\":\"delivered\"}", "{\"id\":\"\",\"status\":\"delivered\"}",
		"[{\"id\":\"a1\",\"status\":\"sent\"},42]", "\"delivered\"" };
	const char *kv[] = { BASIC, NULL };
	struct hook h;
	void *g = create_ok(kv);

	(void)state;
	for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
		h.sig_header = NULL;
		if (hook_run(g, &h, "POST", "", "application/json", bodies[i]) != PROVIDER_WEBHOOK_MALFORMED)
			fail_msg("body '%s' not refused as malformed", bodies[i]);
		assert_true(strlen(h.err) > 0);
		provider_events_free(&h.ev);
	}
	generic_ops.destroy(g);
}

/* The error goes to the log and the answer: it must not quote the body. */
static void
test_webhook_malformed_quotes_nothing(void **state)
{
	static const char *const bodies[] = { "{\"id\":\"agg-1\",\"to\":\"" TO, "{\"id\":\"agg-1\",\"to\":" TO "}",
		"{\"id\":\"agg-1\",\"text\":\"Amina\x01\"}" };
	const char *kv[] = { BASIC, NULL };
	struct hook h;
	void *g = create_ok(kv);

	(void)state;
	for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
		h.sig_header = NULL;
		assert_int_equal(
		    hook_run(g, &h, "POST", "", "application/json", bodies[i]), PROVIDER_WEBHOOK_MALFORMED);
		if (strstr(h.err, "612345678") != NULL || strstr(h.err, "Amina") != NULL)
			fail_msg("error '%s' quotes the body", h.err);
		provider_events_free(&h.ev);
	}
	generic_ops.destroy(g);
}

static void
test_webhook_not_found(void **state)
{
	const char *kv[] = { BASIC, NULL };
	struct hook h = { .sig_header = NULL };
	void *g = create_ok(kv);

	(void)state;
	assert_int_equal(hook_run(g, &h, "POST", "/other", "application/json", "{\"id\":\"a\",\"status\":\"sent\"}"),
	    PROVIDER_WEBHOOK_NOT_FOUND);
	assert_int_equal(h.ev.nstatus, 0);
	provider_events_free(&h.ev);
	h.sig_header = NULL;
	assert_int_equal(hook_run(g, &h, "POST", "/inbound/x", "application/json", "{}"), PROVIDER_WEBHOOK_NOT_FOUND);
	provider_events_free(&h.ev);
	generic_ops.destroy(g);
}

/* Inbound SMS through a local aggregator: the default member names, numbers in each form it may send. */
static void
test_inbound(void **state)
{
	const char *kv[] = { BASIC, NULL };
	const char *body = "[{\"id\":\"in-1\",\"from\":\"212612345678\",\"text\":\"bghit formation\",\"time\":1796000000},"
			   "{\"id\":\"in-2\",\"from\":\"+212 6 12 34 56 79\",\"text\":\"وقف\",\"time\":\"1796000001\"},"
			   "{\"id\":\"in-3\",\"from\":\"0612345670\"}]";
	struct hook h = { .sig_header = NULL };
	void *g = create_ok(kv);

	(void)state;
	assert_int_equal(hook_run(g, &h, "POST", "/inbound", "application/json", body), PROVIDER_WEBHOOK_OK);
	assert_int_equal(h.ev.nstatus, 0);
	assert_int_equal(h.ev.ninbound, 3);
	assert_string_equal(h.ev.inbound[0].provider_id, "in-1");
	assert_string_equal(h.ev.inbound[0].from, "+212612345678");
	assert_string_equal(h.ev.inbound[0].text, "bghit formation");
	assert_string_equal(h.ev.inbound[0].type, "text");
	assert_int_equal(h.ev.inbound[0].time_s, 1796000000);
	assert_string_equal(h.ev.inbound[1].from, "+212612345679");
	assert_string_equal(h.ev.inbound[1].text, "وقف");
	assert_int_equal(h.ev.inbound[1].time_s, 1796000001);
	/* No text: a picture or a message the aggregator could not carry. */
	assert_string_equal(h.ev.inbound[2].from, "+212612345670");
	assert_string_equal(h.ev.inbound[2].text, "");
	assert_string_equal(h.ev.inbound[2].type, "media");
	assert_int_equal(h.ev.inbound[2].time_s, 0);
	provider_events_free(&h.ev);
	generic_ops.destroy(g);
}

/* The aggregator's own member names come from the configuration, as the status ones do. */
static void
test_inbound_configured_fields(void **state)
{
	const char *kv[] = { BASIC, "inbound_id_field", "msg_ref", "inbound_from_field", "msisdn", "inbound_text_field",
		"content", "inbound_time_field", "ts", NULL };
	struct hook h = { .sig_header = NULL };
	void *g = create_ok(kv);

	(void)state;
	assert_int_equal(hook_run(g, &h, "POST", "/inbound", "application/json",
			     "{\"msg_ref\":\"r-9\",\"msisdn\":\"00212612345678\",\"content\":\"STOP\",\"ts\":17}"),
	    PROVIDER_WEBHOOK_OK);
	assert_int_equal(h.ev.ninbound, 1);
	assert_string_equal(h.ev.inbound[0].provider_id, "r-9");
	assert_string_equal(h.ev.inbound[0].from, "+212612345678");
	assert_string_equal(h.ev.inbound[0].text, "STOP");
	assert_int_equal(h.ev.inbound[0].time_s, 17);
	provider_events_free(&h.ev);
	/* The default names mean nothing now. */
	h.sig_header = NULL;
	assert_int_equal(hook_run(g, &h, "POST", "/inbound", "application/json",
			     "{\"id\":\"r-9\",\"from\":\"+212612345678\",\"text\":\"STOP\"}"),
	    PROVIDER_WEBHOOK_MALFORMED);
	assert_non_null(strstr(h.err, "msg_ref"));
	provider_events_free(&h.ev);
	generic_ops.destroy(g);
}

/* Signed like the status webhook; each malformed item is refused with a reason that quotes nothing. */
static void
test_inbound_refused(void **state)
{
	static const char *const bodies[] = { "{\"from\":\"+212612345678\",\"text\":\"x\"}",
		"{\"id\":\"i\",\"text\":\"x\"}", "{\"id\":\"i\",\"from\":\"+212612\",\"text\":\"x\"}",
		"{\"id\":\"i\",\"from\":\"+212612345678\",\"text\":5}",
		"{\"id\":\"i\",\"from\":\"Amina 0612345678\",\"text\":\"x\"}",
		"{\"id\":\"i\",\"from\":\"+212612345678\",\"text\":\"a\\u0000b\"}", "[42]" };
	const char *kv[] = { BASIC, NULL };
	struct hook h;
	void *g = create_ok(kv);

	(void)state;
	for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
		h.sig_header = NULL;
		if (hook_run(g, &h, "POST", "/inbound", "application/json", bodies[i]) != PROVIDER_WEBHOOK_MALFORMED)
			fail_msg("inbound body '%s' not refused", bodies[i]);
		assert_int_equal(h.ev.ninbound, 0);
		if (strstr(h.err, "612345678") != NULL || strstr(h.err, "Amina") != NULL || h.err[0] == '\0')
			fail_msg("error '%s' for '%s'", h.err, bodies[i]);
		provider_events_free(&h.ev);
	}
	h.sig_header = "sha256=00";
	assert_int_equal(hook_run(g, &h, "POST", "/inbound", "application/json",
			     "{\"id\":\"i\",\"from\":\"+212612345678\",\"text\":\"x\"}"),
	    PROVIDER_WEBHOOK_UNSIGNED);
	assert_int_equal(h.ev.ninbound, 0);
	provider_events_free(&h.ev);
	generic_ops.destroy(g);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_needs_url),
		cmocka_unit_test(test_create_needs_body),
		cmocka_unit_test(test_create_body_must_give_json),
		cmocka_unit_test(test_create_unknown_placeholder),
		cmocka_unit_test(test_create_auth_header_shape),
		cmocka_unit_test(test_create_needs_webhook_secret),
		cmocka_unit_test(test_build_substitutes),
		cmocka_unit_test(test_build_escapes_text),
		cmocka_unit_test(test_build_repeated_placeholders),
		cmocka_unit_test(test_headers_default),
		cmocka_unit_test(test_headers_configured),
		cmocka_unit_test(test_accepted),
		cmocka_unit_test(test_2xx_without_id),
		cmocka_unit_test(test_accepted_nested_id),
		cmocka_unit_test(test_configuration_refused_retry),
		cmocka_unit_test(test_rejected_permanent),
		cmocka_unit_test(test_throttled_and_transport_retry),
		cmocka_unit_test(test_webhook_single),
		cmocka_unit_test(test_webhook_array),
		cmocka_unit_test(test_webhook_custom_fields),
		cmocka_unit_test(test_webhook_unsigned),
		cmocka_unit_test(test_webhook_media_type),
		cmocka_unit_test(test_webhook_method),
		cmocka_unit_test(test_webhook_malformed),
		cmocka_unit_test(test_webhook_malformed_quotes_nothing),
		cmocka_unit_test(test_webhook_not_found),
		cmocka_unit_test(test_inbound),
		cmocka_unit_test(test_inbound_configured_fields),
		cmocka_unit_test(test_inbound_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
