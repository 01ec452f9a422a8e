/*
 * Unit tests for the top-level JSON member scanner that reads provider
 * answers: real answer shapes, nesting, escapes, and malformed input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "handlers/json_scan.h"

static enum json_scan_result scan(const char *doc, const char *key, char *out, size_t outlen);

static enum json_scan_result
scan(const char *doc, const char *key, char *out, size_t outlen)
{
	return json_scan_member(doc, strlen(doc), key, out, outlen);
}

static void
test_twilio_answer(void **state)
{
	const char *doc =
	    "{\"account_sid\": \"AC00000000000000000000000000000000\", \"api_version\": \"2010-04-01\", "
	    "\"body\": \"Bonjour \\\"Sal\\u00e9\\\" {not: nested}\", \"subresource_uris\": {\"media\": "
	    "\"/x\", \"sid\": \"SMnested\"}, \"num_segments\": \"1\", \"price\": null, \"error_code\": null, "
	    "\"tags\": [1, 2.5, -3e2, true, false, {\"sid\": \"SMinarray\"}], \"sid\": "
	    "\"SM1f0e8ae6ade43cb3c0ce4525424e404f\", \"status\": \"queued\"}";
	char out[64];

	(void)state;
	assert_int_equal(scan(doc, "sid", out, sizeof out), JSON_SCAN_FOUND);
	assert_string_equal(out, "SM1f0e8ae6ade43cb3c0ce4525424e404f");
	assert_int_equal(scan(doc, "status", out, sizeof out), JSON_SCAN_FOUND);
	assert_string_equal(out, "queued");
	assert_int_equal(scan(doc, "missing", out, sizeof out), JSON_SCAN_ABSENT);
	/* null is not a string or an integer. */
	assert_int_equal(scan(doc, "price", out, sizeof out), JSON_SCAN_ABSENT);
}

static void
test_integer_member(void **state)
{
	char out[16];

	(void)state;
	assert_int_equal(scan("{\"code\": 21211, \"message\": \"x\"}", "code", out, sizeof out), JSON_SCAN_FOUND);
	assert_string_equal(out, "21211");
	assert_int_equal(scan(" \n{\"message\":\"x\",\"code\":-5}", "code", out, sizeof out), JSON_SCAN_FOUND);
	assert_string_equal(out, "-5");
	assert_int_equal(scan("{\"code\": 1.5}", "code", out, sizeof out), JSON_SCAN_MALFORMED);
	assert_int_equal(scan("{}", "code", out, sizeof out), JSON_SCAN_ABSENT);
}

static void
test_escapes(void **state)
{
	char out[32];

	(void)state;
	assert_int_equal(scan("{\"s\\u0069d\": \"SM\\/a\\u0041\"}", "sid", out, sizeof out), JSON_SCAN_FOUND);
	assert_string_equal(out, "SM/aA");
	assert_int_equal(scan("{\"sid\": \"SM\\u00e9\"}", "sid", out, sizeof out), JSON_SCAN_FOUND);
	assert_string_equal(out, "SM?");
	assert_int_equal(scan("{\"sid\": \"bad \\x escape\"}", "sid", out, sizeof out), JSON_SCAN_MALFORMED);
}

static void
test_does_not_fit(void **state)
{
	char out[8];

	(void)state;
	assert_int_equal(scan("{\"sid\": \"SM0123456789\"}", "sid", out, sizeof out), JSON_SCAN_MALFORMED);
	assert_int_equal(scan("{\"sid\": \"SM01234\"}", "sid", out, sizeof out), JSON_SCAN_FOUND);
	assert_string_equal(out, "SM01234");
	/* A member name longer than any buffer is skipped, not an error. */
	{
		char doc[400];

		memset(doc, 0, sizeof doc);
		strcpy(doc, "{\"");
		memset(doc + 2, 'k', 200);
		strcat(doc, "\": 1, \"sid\": \"SMx\"}");
		assert_int_equal(scan(doc, "sid", out, sizeof out), JSON_SCAN_FOUND);
		assert_string_equal(out, "SMx");
	}
}

static void
test_malformed(void **state)
{
	static const char *bad[] = {
		"",
		"<html>upstream error</html>",
		"[\"sid\", \"SMx\"]",
		"{",
		"{\"sid\"",
		"{\"sid\":",
		"{\"sid\": \"SMx",
		"{\"a\": tru, \"sid\": \"SMx\"}",
		"{\"a\": {\"b\": [1, 2}, \"sid\": \"SMx\"}",
		"{\"a\" 1, \"sid\": \"SMx\"}",
		"{\"a\": 1 \"sid\": \"SMx\"}",
		"{\"a\": \"ctrl\x01char\", \"sid\": \"SMx\"}",
		"{'sid': 'SMx'}",
	};
	char out[16];

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (scan(bad[i], "sid", out, sizeof out) != JSON_SCAN_MALFORMED)
			fail_msg("accepted malformed document #%zu: %s", i, bad[i]);
	}
}

static void
test_deep_nesting_refused(void **state)
{
	char doc[400] = "{\"a\": ";
	char out[16];

	(void)state;
	for (int i = 0; i < 100; i++)
		strcat(doc, "[");
	assert_int_equal(scan(doc, "sid", out, sizeof out), JSON_SCAN_MALFORMED);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_twilio_answer),
		cmocka_unit_test(test_integer_member),
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_does_not_fit),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_deep_nesting_refused),
	};

	return cmocka_run_group_tests_name("json_scan", tests, NULL, NULL);
}
