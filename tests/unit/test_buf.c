/*
 * Unit tests for gateway/util/buf.c: form encoding as a provider decodes
 * it, growth past the first allocation, and the UTF-8 check that guards
 * every text taken from outside.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "gateway/util/buf.h"

static void expect_form(const char *in, size_t len, const char *want);
static void test_form_unreserved(void **state);
static void test_form_reserved(void **state);
static void test_form_utf8_and_binary(void **state);
static void test_form_appends(void **state);
static void test_form_fields(void **state);
static void test_printf_grows(void **state);
static void test_append_and_release(void **state);
static void test_reset(void **state);
static void test_utf8_valid(void **state);
static void test_utf8_invalid(void **state);

static void
expect_form(const char *in, size_t len, const char *want)
{
	struct buf b;

	buf_init(&b);
	buf_append_form(&b, in, len);
	assert_string_equal(b.data, want);
	assert_int_equal(b.len, strlen(want));
	buf_free(&b);
}

static void
test_form_unreserved(void **state)
{
	(void)state;
	expect_form("AZaz09-_.*", 10, "AZaz09-_.*");
	expect_form("", 0, "");
}

static void
test_form_reserved(void **state)
{
	(void)state;
	expect_form("a b", 3, "a+b");
	expect_form("&=+%", 4, "%26%3D%2B%25");
	expect_form("/?#:@!$'(),;[]~\"<>\\", 19, "%2F%3F%23%3A%40%21%24%27%28%29%2C%3B%5B%5D%7E%22%3C%3E%5C");
	expect_form("\r\n\t", 3, "%0D%0A%09");
}

static void
test_form_utf8_and_binary(void **state)
{
	(void)state;
	expect_form("\xC3\xA9t\xC3\xA9", 5, "%C3%A9t%C3%A9");
	expect_form("\xD8\xB3\xD9\x84\xD8\xA7\xD9\x85", 8, "%D8%B3%D9%84%D8%A7%D9%85");
	expect_form("\xF0\x9F\x98\x80", 4, "%F0%9F%98%80");
	/* The length is what counts, not a NUL. */
	expect_form("a\0b", 3, "a%00b");
	expect_form("abcdef", 3, "abc");
	expect_form("\xFF\x80", 2, "%FF%80");
}

static void
test_form_appends(void **state)
{
	struct buf b;
	char big[1000];

	(void)state;
	buf_init(&b);
	buf_puts(&b, "x=");
	buf_append_form(&b, "a&b", 3);
	assert_string_equal(b.data, "x=a%26b");
	/* Every byte expanding to three must still fit. */
	memset(big, '&', sizeof big);
	buf_append_form(&b, big, sizeof big);
	assert_int_equal(b.len, 7 + 3 * sizeof big);
	assert_int_equal(strlen(b.data), b.len);
	assert_memory_equal(b.data + b.len - 3, "%26", 3);
	buf_free(&b);
}

static void
test_form_fields(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b);
	buf_add_form_field(&b, "To", "+212612345678");
	assert_string_equal(b.data, "To=%2B212612345678");
	buf_add_form_field(&b, "Body", "Salut \xC3\xA9 & =");
	assert_string_equal(b.data, "To=%2B212612345678&Body=Salut+%C3%A9+%26+%3D");
	buf_add_form_field(&b, "a b", "");
	assert_string_equal(b.data, "To=%2B212612345678&Body=Salut+%C3%A9+%26+%3D&a+b=");
	buf_free(&b);
	assert_null(b.data);
}

static void
test_printf_grows(void **state)
{
	struct buf b;
	char *chunk = malloc(1001);

	(void)state;
	assert_non_null(chunk);
	memset(chunk, 'q', 1000);
	chunk[1000] = '\0';
	buf_init(&b);
	buf_printf(&b, "n=%d ", 42);
	assert_string_equal(b.data, "n=42 ");
	buf_printf(&b, "%s|%s", chunk, "end");
	assert_int_equal(b.len, 5 + 1000 + 4);
	assert_int_equal(strlen(b.data), b.len);
	assert_true(b.cap > b.len);
	assert_memory_equal(b.data, "n=42 qqq", 8);
	assert_string_equal(b.data + b.len - 4, "|end");
	for (int i = 0; i < 100; i++)
		buf_printf(&b, "%04d", i);
	assert_int_equal(b.len, 1009 + 400);
	assert_string_equal(b.data + b.len - 8, "00980099");
	buf_printf(&b, "%s", "");
	assert_int_equal(b.len, 1409);
	buf_free(&b);
	free(chunk);
}

static void
test_append_and_release(void **state)
{
	struct buf b;
	char *s;

	(void)state;
	buf_init(&b);
	s = buf_release(&b);
	assert_string_equal(s, "");
	free(s);
	buf_append(&b, "ab\0cd", 5);
	assert_int_equal(b.len, 5);
	assert_memory_equal(b.data, "ab\0cd", 6);
	s = buf_release(&b);
	assert_memory_equal(s, "ab\0cd", 6);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	free(s);
}

static void
test_reset(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b);
	buf_reset(&b);
	buf_puts(&b, "hello");
	buf_reset(&b);
	assert_int_equal(b.len, 0);
	assert_string_equal(b.data, "");
	buf_puts(&b, "x");
	assert_string_equal(b.data, "x");
	buf_free(&b);
}

static void
test_utf8_valid(void **state)
{
	static const char *good[] = {
		"", "plain ASCII", "\xC3\xA9t\xC3\xA9", /* été */
		"\xD8\xB3\xD9\x84\xD8\xA7\xD9\x85",     /* سلام */
		"\xE2\x82\xAC",                         /* € */
		"\xE2\xB5\xA3",                         /* Tifinagh ⵣ */
		"\xEF\xBF\xBF",                         /* U+FFFF */
		"\xED\x9F\xBF",                         /* U+D7FF, just below the surrogates */
		"\xF0\x9F\x98\x80",                     /* 😀 */
		"\xF4\x8F\xBF\xBF",                     /* U+10FFFF */
		"\xC2\x80",                             /* smallest 2-byte */
		"\xE0\xA0\x80",                         /* smallest 3-byte */
		"\xF0\x90\x80\x80",                     /* smallest 4-byte */
	};

	(void)state;
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
		if (!utf8_valid(good[i], strlen(good[i])))
			fail_msg("valid case %zu refused", i);
	/* An embedded NUL is a valid character; the length decides. */
	assert_true(utf8_valid("a\0b", 3));
	/* Only the first len bytes are looked at. */
	assert_true(utf8_valid("ok\xFF", 2));
}

static void
test_utf8_invalid(void **state)
{
	static const char *bad[] = {
		"\x80", /* lone continuation */
		"a\xBF"
		"b",                    /* lone continuation inside */
		"\xC0\xAF",             /* overlong '/' */
		"\xC1\xBF",             /* overlong 2-byte */
		"\xE0\x80\xAF",         /* overlong 3-byte */
		"\xE0\x9F\xBF",         /* overlong 3-byte, top */
		"\xF0\x80\x80\xAF",     /* overlong 4-byte */
		"\xF0\x8F\xBF\xBF",     /* overlong 4-byte, top */
		"\xED\xA0\x80",         /* U+D800 surrogate */
		"\xED\xBF\xBF",         /* U+DFFF surrogate */
		"\xF4\x90\x80\x80",     /* U+110000 */
		"\xF5\x80\x80\x80",     /* lead byte past U+10FFFF */
		"\xF8\x88\x80\x80\x80", /* 5-byte form */
		"\xFE",
		"\xFF",
		"\xC3",         /* truncated 2-byte */
		"\xE2\x82",     /* truncated 3-byte */
		"\xF0\x9F\x98", /* truncated 4-byte */
		"\xE2\x28\xA1", /* bad continuation */
		"\xC3\x41",     /* ASCII where a continuation belongs */
		"\xF0\x9F\x98\x41",
	};

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (utf8_valid(bad[i], strlen(bad[i])))
			fail_msg("invalid case %zu accepted", i);
	/* A sequence cut by the length is truncated even if the bytes go on. */
	assert_false(utf8_valid("\xC3\xA9", 1));
	assert_false(utf8_valid("\xF0\x9F\x98\x80", 3));
}

/* A string cut at a byte count keeps only whole characters; encoding gives back the bytes. */
static void
test_utf8_prefix_and_encode(void **state)
{
	char out[4];

	(void)state;
	assert_int_equal(utf8_prefix("abc", 3), 3);
	assert_int_equal(utf8_prefix("a\xC3\xA9", 3), 3);
	assert_int_equal(utf8_prefix("a\xC3\xA9", 2), 1);
	assert_int_equal(utf8_prefix("\xD9\x85\xD8", 3), 2);
	assert_int_equal(utf8_prefix("\xF0\x9F\x98\x80", 3), 0);
	assert_int_equal(utf8_prefix("\xF0\x9F\x98\x80", 4), 4);
	assert_int_equal(utf8_prefix("", 0), 0);
	assert_int_equal(utf8_encode(0x41, out), 1);
	assert_int_equal(utf8_encode(0xE9, out), 2);
	assert_memory_equal(out, "\xC3\xA9", 2);
	assert_int_equal(utf8_encode(0x20AC, out), 3);
	assert_memory_equal(out, "\xE2\x82\xAC", 3);
	assert_int_equal(utf8_encode(0x1F600, out), 4);
	assert_memory_equal(out, "\xF0\x9F\x98\x80", 4);
	assert_int_equal(utf8_encode(0xD800, out), 0);
	assert_int_equal(utf8_encode(0x110000, out), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_form_unreserved),
		cmocka_unit_test(test_form_reserved),
		cmocka_unit_test(test_form_utf8_and_binary),
		cmocka_unit_test(test_form_appends),
		cmocka_unit_test(test_form_fields),
		cmocka_unit_test(test_printf_grows),
		cmocka_unit_test(test_append_and_release),
		cmocka_unit_test(test_reset),
		cmocka_unit_test(test_utf8_valid),
		cmocka_unit_test(test_utf8_invalid),
		cmocka_unit_test(test_utf8_prefix_and_encode),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
