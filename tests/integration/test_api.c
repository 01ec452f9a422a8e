/*
 * The /v1 API as its callers meet it, over loopback HTTP to a running
 * gateway: tokens and roles (401 without a valid token, 403 for a role
 * that may not), errors in their one JSON shape, and each endpoint's
 * answers, also sent through Prism's validating proxy so that the server
 * and docs/openapi.yaml cannot drift apart.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/integration/harness.h"

#define AGENT "Bearer " HARNESS_AGENT_SECRET
#define MONITORING "Bearer " HARNESS_MONITORING_SECRET
#define ADMIN "Bearer " HARNESS_ADMIN_SECRET

static long call(struct harness *h, int port, const char *method, const char *path, const char *auth, const char *type,
    const char *body, json_t **answer);
static void expect_error(json_t *j, const char *code, const char *field);

/* One call; the answer's JSON into *answer (NULL when it is not JSON). */
static long
call(struct harness *h, int port, const char *method, const char *path, const char *auth, const char *type,
    const char *body, json_t **answer)
{
	(void)h;
	return harness_api(port, method, path, auth, type, body, body != NULL ? strlen(body) : 0, NULL, answer);
}

static void
expect_error(json_t *j, const char *code, const char *field)
{
	json_t *e = json_object_get(j, "error");

	assert_non_null(e);
	assert_string_equal(json_string_value(json_object_get(e, "code")), code);
	assert_true(json_string_length(json_object_get(e, "message")) > 0);
	if (field != NULL)
		assert_string_equal(json_string_value(json_object_get(e, "field")), field);
	else
		assert_true(json_is_null(json_object_get(e, "field")));
	json_decref(j);
}

static int
setup(void **state)
{
	*state = harness_api_new("api", NULL);
	return 0;
}

static void
test_tokens_and_roles(void **state)
{
	struct harness *h = *state;
	int port = harness_gateway_port(h);
	const char *body = "{\"text\": \"Salam\"}";
	json_t *j;

	/* No token, a wrong one, another scheme: 401, whatever the path. */
	assert_int_equal(call(h, port, "POST", "/v1/segments", NULL, "application/json", body, &j), 401);
	expect_error(j, "unauthorized", NULL);
	assert_int_equal(
	    call(h, port, "POST", "/v1/segments", "Bearer agent-secret-2", "application/json", body, &j), 401);
	expect_error(j, "unauthorized", NULL);
	assert_int_equal(
	    call(h, port, "POST", "/v1/segments", "Basic YWdlbnQ6c2VjcmV0", "application/json", body, &j), 401);
	expect_error(j, "unauthorized", NULL);
	assert_int_equal(call(h, port, "GET", "/v1/nothing-here", NULL, NULL, NULL, &j), 401);
	expect_error(j, "unauthorized", NULL);
	/* The right token with a role that may not: 403. */
	assert_int_equal(call(h, port, "POST", "/v1/segments", MONITORING, "application/json", body, &j), 403);
	expect_error(j, "forbidden", NULL);
	/* Agents and admins may. */
	assert_int_equal(call(h, port, "POST", "/v1/segments", AGENT, "application/json", body, &j), 200);
	json_decref(j);
	assert_int_equal(call(h, port, "POST", "/v1/segments", ADMIN, "application/json", body, &j), 200);
	json_decref(j);
	/* Unknown paths and methods, once the caller is known. */
	assert_int_equal(call(h, port, "GET", "/v1/nothing-here", AGENT, NULL, NULL, &j), 404);
	expect_error(j, "not_found", NULL);
	assert_int_equal(call(h, port, "GET", "/v1/segments", AGENT, NULL, NULL, &j), 405);
	expect_error(j, "method_not_allowed", NULL);
}

static void
test_segments_bad_bodies(void **state)
{
	struct harness *h = *state;
	int port = harness_gateway_port(h);
	json_t *j;

	assert_int_equal(call(h, port, "POST", "/v1/segments", AGENT, "text/plain", "Salam", &j), 415);
	expect_error(j, "unsupported_media_type", NULL);
	assert_int_equal(call(h, port, "POST", "/v1/segments", AGENT, NULL, "{\"text\": \"x\"}", &j), 415);
	expect_error(j, "unsupported_media_type", NULL);
	assert_int_equal(call(h, port, "POST", "/v1/segments", AGENT, "application/json", "{\"text\": ", &j), 400);
	expect_error(j, "malformed_json", NULL);
	assert_int_equal(call(h, port, "POST", "/v1/segments", AGENT, "application/json", "[\"text\"]", &j), 400);
	expect_error(j, "malformed_json", NULL);
	assert_int_equal(
	    call(h, port, "POST", "/v1/segments", AGENT, "application/json", "{\"text\": \"\xC3\x28\"}", &j), 400);
	expect_error(j, "malformed_json", NULL);
	assert_int_equal(
	    call(h, port, "POST", "/v1/segments", AGENT, "application/json", "{\"txt\": \"Salam\"}", &j), 422);
	expect_error(j, "invalid", "text");
	assert_int_equal(call(h, port, "POST", "/v1/segments", AGENT, "application/json", "{\"text\": 160}", &j), 422);
	expect_error(j, "invalid", "text");
	/* The gateway is still there and answering. */
	assert_int_equal(
	    call(h, port, "POST", "/v1/segments", AGENT, "application/json", "{\"text\": \"ok\"}", &j), 200);
	json_decref(j);
}

/* Through Prism's validating proxy: every answer must match docs/openapi.yaml. */
static void
test_segments_through_prism(void **state)
{
	struct harness *h = *state;
	json_t *j, *f, *s;

	harness_prism_proxy_start(h, "docs/openapi.yaml", harness_gateway_port(h));
	assert_int_equal(call(h, h->prism_port, "POST", "/v1/segments", AGENT, "application/json",
			     "{\"text\": \"Bientôt : la leçon « Électricité » à Salé\"}", &j),
	    200);
	assert_string_equal(json_string_value(json_object_get(j, "encoding")), "ucs2");
	/* Bientôt 7, " : " 3, la 2, space, leçon 5, " « " 3, Électricité 11, " » " 3, à 1, space, Salé 4: 41 units. */
	assert_int_equal(json_integer_value(json_object_get(j, "units")), 41);
	assert_int_equal(json_integer_value(json_object_get(j, "segments")), 1);
	f = json_object_get(j, "forced");
	assert_int_equal(json_array_size(f), 4);
	assert_string_equal(json_string_value(json_object_get(json_array_get(f, 0), "character")), "ô");
	assert_string_equal(json_string_value(json_object_get(json_array_get(f, 0), "code_point")), "U+00F4");
	assert_string_equal(json_string_value(json_object_get(json_array_get(f, 2), "character")), "«");
	assert_string_equal(json_string_value(json_object_get(json_array_get(f, 2), "substitute")), "\"");
	s = json_object_get(j, "substitution");
	assert_string_equal(json_string_value(json_object_get(s, "encoding")), "gsm7");
	assert_string_equal(
	    json_string_value(json_object_get(s, "text")), "Bientot : la lecon \" Électricité \" à Salé");
	json_decref(j);
	/* Arabic: UCS-2, nothing to substitute. */
	assert_int_equal(call(h, h->prism_port, "POST", "/v1/segments", AGENT, "application/json",
			     "{\"text\": \"التكوين المهني مجاني\"}", &j),
	    200);
	assert_string_equal(json_string_value(json_object_get(j, "encoding")), "ucs2");
	assert_true(json_is_null(json_object_get(j, "substitution")));
	json_decref(j);
	/* Refusals match the spec too. */
	assert_int_equal(
	    call(h, h->prism_port, "POST", "/v1/segments", MONITORING, "application/json", "{\"text\": \"x\"}", &j),
	    403);
	expect_error(j, "forbidden", NULL);
	/* A single message: queued, then found by its id. */
	{
		char path[96];

		assert_int_equal(call(h, h->prism_port, "POST", "/v1/messages", AGENT, "application/json",
				     "{\"to\": \"06 12 34 56 78\", \"text\": \"Rendez-vous confirmé jeudi 10h\"}", &j),
		    202);
		snprintf(path, sizeof path, "/v1/messages/%s", json_string_value(json_object_get(j, "id")));
		json_decref(j);
		assert_int_equal(harness_wait_log(h, "sent", 1, 10000), 1);
		assert_int_equal(call(h, h->prism_port, "GET", path, AGENT, NULL, NULL, &j), 200);
		assert_string_equal(json_string_value(json_object_get(j, "state")), "sent");
		json_decref(j);
		assert_int_equal(call(h, h->prism_port, "POST", "/v1/messages", AGENT, "application/json",
				     "{\"to\": \"12\", \"text\": \"x\"}", &j),
		    422);
		expect_error(j, "invalid", "to");
	}
	/* The indicators, the verification and a campaign's funnel, as the spec describes them. */
	assert_int_equal(
	    call(h, h->prism_port, "GET", "/v1/reach?by=kind,sex,period&period=day", MONITORING, NULL, NULL, &j), 200);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "totals"), "sent")), 1);
	json_decref(j);
	assert_int_equal(call(h, h->prism_port, "GET", "/v1/reach?by=nothing", MONITORING, NULL, NULL, &j), 422);
	expect_error(j, "invalid", "by");
	/* The charts: an image the description names, and a breakdown a chart cannot draw. */
	assert_int_equal(
	    call(h, h->prism_port, "GET", "/v1/reach?by=kind&format=svg&lang=ar", MONITORING, NULL, NULL, &j), 200);
	assert_null(j);
	assert_int_equal(
	    call(h, h->prism_port, "GET", "/v1/reach?by=period,sex&format=svg", MONITORING, NULL, NULL, &j), 200);
	assert_null(j);
	assert_int_equal(
	    call(h, h->prism_port, "GET", "/v1/reach?by=kind,sex&format=svg", MONITORING, NULL, NULL, &j), 422);
	expect_error(j, "invalid", "by");
	assert_int_equal(call(h, h->prism_port, "GET", "/v1/reach?by=period,sex&format=svg&indicators=sent,replied",
			     MONITORING, NULL, NULL, &j),
	    422);
	expect_error(j, "invalid", "indicators");
	assert_int_equal(call(h, h->prism_port, "POST", "/v1/reach/verify", MONITORING, NULL, NULL, &j), 200);
	assert_true(json_is_true(json_object_get(j, "ok")));
	json_decref(j);
	assert_int_equal(
	    call(h, h->prism_port, "GET", "/v1/reach/funnel?campaign=none", MONITORING, NULL, NULL, &j), 404);
	expect_error(j, "not_found", "campaign");
	harness_prism_stop(h);
}

/* Every endpoint: 401 without a token, 403 for a role that may not call it, 400 for a malformed body. */
static void
test_every_endpoint_refuses(void **state)
{
	static const struct {
		const char *method, *path;
		const char *denied; /* a role's token that may not call it */
		bool json;          /* takes a JSON body */
	} eps[] = {
		{ "POST", "/v1/segments", MONITORING, true },
		{ "POST", "/v1/contacts/import", MONITORING, false },
		{ "GET", "/v1/contacts", MONITORING, false },
		{ "GET", "/v1/contacts/export", AGENT, false },
		{ "GET", "/v1/contacts/0123456789abcdef01234567", MONITORING, false },
		{ "PATCH", "/v1/contacts/0123456789abcdef01234567", MONITORING, true },
		{ "DELETE", "/v1/contacts/0123456789abcdef01234567", AGENT, false },
		{ "POST", "/v1/audiences/preview", MONITORING, true },
		{ "POST", "/v1/campaigns", MONITORING, true },
		{ "GET", "/v1/campaigns", MONITORING, false },
		{ "GET", "/v1/campaigns/c000000000000", MONITORING, false },
		{ "POST", "/v1/campaigns/c000000000000/preview", MONITORING, false },
		{ "POST", "/v1/campaigns/c000000000000/schedule", MONITORING, false },
		{ "POST", "/v1/campaigns/c000000000000/pause", MONITORING, false },
		{ "POST", "/v1/campaigns/c000000000000/resume", MONITORING, false },
		{ "POST", "/v1/campaigns/c000000000000/cancel", MONITORING, false },
		{ "POST", "/v1/messages", MONITORING, true },
		{ "GET", "/v1/messages/m0123456789abcdef", MONITORING, false },
		{ "GET", "/v1/inbox", MONITORING, false },
		{ "GET", "/v1/inbox/0123456789abcdef01234567", MONITORING, false },
		{ "POST", "/v1/inbox/0123456789abcdef01234567/reply", MONITORING, true },
		{ "POST", "/v1/inbox/0123456789abcdef01234567/close", MONITORING, false },
		{ "GET", "/v1/reach", AGENT, false },
		{ "GET", "/v1/reach/funnel?campaign=x", AGENT, false },
		{ "POST", "/v1/reach/verify", AGENT, false },
	};
	struct harness *h = *state;
	int port = harness_gateway_port(h);
	json_t *j;
	long code;

	for (size_t i = 0; i < sizeof eps / sizeof eps[0]; i++) {
		const char *type = eps[i].json ? "application/json" : NULL, *body = eps[i].json ? "{\"x\": " : NULL;

		if (call(h, port, eps[i].method, eps[i].path, NULL, type, body, &j) != 401)
			fail_msg("%s %s without a token: not 401", eps[i].method, eps[i].path);
		expect_error(j, "unauthorized", NULL);
		if (call(h, port, eps[i].method, eps[i].path, eps[i].denied, type, body, &j) != 403)
			fail_msg("%s %s with the wrong role: not 403", eps[i].method, eps[i].path);
		expect_error(j, "forbidden", NULL);
		if (!eps[i].json)
			continue;
		if ((code = call(h, port, eps[i].method, eps[i].path, ADMIN, type, body, &j)) != 400)
			fail_msg("%s %s with a malformed body: %ld, not 400", eps[i].method, eps[i].path, code);
		expect_error(j, "malformed_json", NULL);
	}
	/* The import's body is CSV: a malformed one is an unreadable file. */
	assert_int_equal(call(h, port, "POST", "/v1/contacts/import", AGENT, "text/csv", "phone\n\"0612", &j), 422);
	expect_error(j, "unreadable_file", NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tokens_and_roles),
		cmocka_unit_test(test_segments_bad_bodies),
		cmocka_unit_test(test_every_endpoint_refuses),
		cmocka_unit_test(test_segments_through_prism),
	};

	return cmocka_run_group_tests_name("api", tests, setup, harness_teardown);
}
