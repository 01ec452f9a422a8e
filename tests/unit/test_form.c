/*
 * Unit tests for handlers/form.c: form-encoded bodies and query strings
 * decode as providers send them (+, %XX, UTF-8, empty and repeated
 * fields), and malformed input is an error naming the byte, never a crash.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/util/buf.h"
#include "handlers/form.h"

static void parse_ok(struct form *f, const char *s);
static void parse_fails(const char *s, const char *want_err);
static void test_twilio_status_body(void **state);
static void test_plus_and_escapes(void **state);
static void test_utf8_body(void **state);
static void test_empty_and_bare(void **state);
static void test_repeated_names(void **state);
static void test_nul_byte(void **state);
static void test_bad_escape(void **state);
static void test_too_many_pairs(void **state);
static void test_not_terminated(void **state);

static void
parse_ok(struct form *f, const char *s)
{
	char err[128] = "";

	if (form_parse(f, s, strlen(s), err, sizeof err) != 0)
		fail_msg("form_parse(\"%s\") failed: %s", s, err);
}

static void
parse_fails(const char *s, const char *want_err)
{
	struct form f;
	char err[128] = "";

	assert_int_equal(form_parse(&f, s, strlen(s), err, sizeof err), -1);
	assert_string_equal(err, want_err);
	assert_int_equal(f.n, 0);
	form_free(&f);
}

static void
test_twilio_status_body(void **state)
{
	struct form f;

	(void)state;
	parse_ok(&f,
	    "AccountSid=AC123&MessageSid=SM1f0e8ae6&MessageStatus=delivered&To=%2B212612345678&ApiVersion="
	    "2010-04-01");
	assert_int_equal(f.n, 5);
	assert_string_equal(form_get(&f, "MessageSid"), "SM1f0e8ae6");
	assert_string_equal(form_get(&f, "MessageStatus"), "delivered");
	assert_string_equal(form_get(&f, "To"), "+212612345678");
	assert_string_equal(f.v[0].name, "AccountSid");
	assert_string_equal(f.v[4].value, "2010-04-01");
	assert_null(form_get(&f, "ErrorCode"));
	/* Names are exact: no prefix or case folding. */
	assert_null(form_get(&f, "Message"));
	assert_null(form_get(&f, "messagesid"));
	form_free(&f);
}

static void
test_plus_and_escapes(void **state)
{
	struct form f;

	(void)state;
	parse_ok(&f, "Body=Formation+%C3%A9t%c3%a9+%26+co%3D1%2B1&a%20b=c+d");
	assert_string_equal(form_get(&f, "Body"), "Formation \xC3\xA9t\xC3\xA9 & co=1+1");
	assert_int_equal(f.v[0].value_len, strlen("Formation \xC3\xA9t\xC3\xA9 & co=1+1"));
	assert_string_equal(form_get(&f, "a b"), "c d");
	form_free(&f);
	/* Only the first '=' separates; later ones belong to the value. */
	parse_ok(&f, "url=https://x.example/?a=1&b=2");
	assert_string_equal(form_get(&f, "url"), "https://x.example/?a=1");
	assert_string_equal(form_get(&f, "b"), "2");
	form_free(&f);
}

/* What buf_append_form writes, form_parse reads back. */
static void
test_utf8_body(void **state)
{
	static const char text[] = "\xD8\xB3\xD9\x84\xD8\xA7\xD9\x85 3afak, wa9t? 100% & +";
	struct buf b;
	struct form f;

	(void)state;
	buf_init(&b);
	buf_add_form_field(&b, "Body", text);
	buf_add_form_field(&b, "From", "+212612345678");
	parse_ok(&f, b.data);
	assert_int_equal(f.n, 2);
	assert_string_equal(form_get(&f, "Body"), text);
	assert_string_equal(form_get(&f, "From"), "+212612345678");
	form_free(&f);
	buf_free(&b);
}

static void
test_empty_and_bare(void **state)
{
	struct form f;
	char err[64];

	(void)state;
	assert_int_equal(form_parse(&f, "", 0, err, sizeof err), 0);
	assert_int_equal(f.n, 0);
	form_free(&f);
	assert_int_equal(form_parse(&f, NULL, 0, err, sizeof err), 0);
	assert_int_equal(f.n, 0);
	form_free(&f);
	parse_ok(&f, "&&Body=&flag&&=v&");
	assert_int_equal(f.n, 3);
	assert_string_equal(form_get(&f, "Body"), "");
	assert_string_equal(form_get(&f, "flag"), "");
	assert_string_equal(form_get(&f, ""), "v");
	form_free(&f);
}

static void
test_repeated_names(void **state)
{
	struct form f;

	(void)state;
	parse_ok(&f, "a=1&b=2&a=3");
	assert_int_equal(f.n, 3);
	assert_string_equal(form_get(&f, "a"), "1");
	assert_string_equal(f.v[2].name, "a");
	assert_string_equal(f.v[2].value, "3");
	form_free(&f);
}

static void
test_nul_byte(void **state)
{
	const struct form_pair *p;
	struct form f;

	(void)state;
	parse_ok(&f, "Bo%00dy=x%00y");
	/* The name has a NUL inside: it is not "Bo". */
	assert_null(form_get(&f, "Bo"));
	assert_int_equal(f.v[0].name_len, 5);
	assert_int_equal(f.v[0].value_len, 3);
	assert_memory_equal(f.v[0].value, "x\0y", 4);
	p = form_find(&f, "Bo");
	assert_null(p);
	form_free(&f);
}

static void
test_bad_escape(void **state)
{
	(void)state;
	parse_fails("Body=100%", "byte 8: bad %-escape");
	parse_fails("Body=100%2", "byte 8: bad %-escape");
	parse_fails("Body=%zz", "byte 5: bad %-escape");
	parse_fails("a=1&b%g1=2", "byte 5: bad %-escape");
	parse_fails("%", "byte 0: bad %-escape");
	/* The escape does not run into the next pair. */
	parse_fails("a=%2&b=1", "byte 2: bad %-escape");
}

static void
test_too_many_pairs(void **state)
{
	struct buf b;
	struct form f;
	char err[128] = "";

	(void)state;
	buf_init(&b);
	for (int i = 0; i < FORM_MAX_PAIRS; i++)
		buf_printf(&b, "%sk%d=v", i > 0 ? "&" : "", i);
	parse_ok(&f, b.data);
	assert_int_equal(f.n, FORM_MAX_PAIRS);
	assert_string_equal(form_get(&f, "k255"), "v");
	form_free(&f);
	buf_puts(&b, "&one=more");
	assert_int_equal(form_parse(&f, b.data, b.len, err, sizeof err), -1);
	assert_non_null(strstr(err, "more than 256 fields"));
	assert_int_equal(f.n, 0);
	form_free(&f);
	buf_free(&b);
}

/* Only len bytes are read: the input need not be NUL-terminated. */
static void
test_not_terminated(void **state)
{
	char *s = malloc(7);
	struct form f;
	char err[64];

	(void)state;
	assert_non_null(s);
	memcpy(s, "a=1&b=2", 7);
	assert_int_equal(form_parse(&f, s, 7, err, sizeof err), 0);
	assert_string_equal(form_get(&f, "b"), "2");
	form_free(&f);
	memcpy(s, "a=1&b%2", 7);
	assert_int_equal(form_parse(&f, s, 7, err, sizeof err), -1);
	form_free(&f);
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_twilio_status_body),
		cmocka_unit_test(test_plus_and_escapes),
		cmocka_unit_test(test_utf8_body),
		cmocka_unit_test(test_empty_and_bare),
		cmocka_unit_test(test_repeated_names),
		cmocka_unit_test(test_nul_byte),
		cmocka_unit_test(test_bad_escape),
		cmocka_unit_test(test_too_many_pairs),
		cmocka_unit_test(test_not_terminated),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
