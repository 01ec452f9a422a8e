/*
 * Unit tests for handlers/phone.c: which numbers are accepted and how they
 * are normalised to E.164, that a masked number hides the subscriber
 * digits, and that pseudonyms are keyed HMAC-SHA256 prefixes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "gateway/util/phone.h"

static void expect_number(const char *in, const char *want);
static void expect_reject(const char *in);
static void test_moroccan_mobile_national(void **state);
static void test_moroccan_fixed_national(void **state);
static void test_international_prefix_00(void **state);
static void test_country_code_without_plus(void **state);
static void test_separators(void **state);
static void test_foreign_numbers(void **state);
static void test_reject_empty_and_letters(void **state);
static void test_reject_lengths(void **state);
static void test_reject_moroccan_trunk_zero(void **state);
static void test_reject_moroccan_bad_ranges(void **state);
static void test_reject_short_and_lone_plus(void **state);
static void test_reject_country_code_zero(void **state);
static void test_mask_moroccan(void **state);
static void test_mask_hides_middle_digits(void **state);
static void test_mask_short_input(void **state);
static void test_pseudonym_is_keyed_hmac(void **state);
static void test_pseudonym_differs(void **state);
static void test_pseudonym_key_reused(void **state);

static void
expect_number(const char *in, const char *want)
{
	char out[PHONE_E164_MAX];
	const char *reason = NULL;

	memset(out, 'X', sizeof out);
	if (phone_normalise(in, out, &reason) != 0)
		fail_msg("'%s' refused: %s", in, reason != NULL ? reason : "(no reason)");
	assert_string_equal(out, want);
}

static void
expect_reject(const char *in)
{
	char out[PHONE_E164_MAX];
	const char *reason = NULL;

	if (phone_normalise(in, out, &reason) == 0)
		fail_msg("'%s' accepted as %s", in, out);
	assert_non_null(reason);
	assert_true(strlen(reason) > 0);
}

static void
test_moroccan_mobile_national(void **state)
{
	(void)state;
	expect_number("0612345678", "+212612345678");
	expect_number("0712345678", "+212712345678");
}

static void
test_moroccan_fixed_national(void **state)
{
	(void)state;
	expect_number("0512345678", "+212512345678");
}

static void
test_international_prefix_00(void **state)
{
	(void)state;
	expect_number("00212612345678", "+212612345678");
	expect_number("0033612345678", "+33612345678");
}

static void
test_country_code_without_plus(void **state)
{
	(void)state;
	expect_number("212612345678", "+212612345678");
	expect_number("+212612345678", "+212612345678");
}

static void
test_separators(void **state)
{
	(void)state;
	expect_number("+212 6 12-34-56.78", "+212612345678");
	expect_number("  06 12 34 56 78", "+212612345678");
	expect_number("(0612) 34.56.78", "+212612345678");
}

static void
test_foreign_numbers(void **state)
{
	(void)state;
	expect_number("+33612345678", "+33612345678");
	expect_number("+14155550100", "+14155550100");
	/* The longest E.164 number: 15 digits. */
	expect_number("+123456789012345", "+123456789012345");
}

static void
test_reject_empty_and_letters(void **state)
{
	(void)state;
	expect_reject("");
	expect_reject("   ");
	expect_reject("06123456ab");
	expect_reject("+212 6I2345678");
	expect_reject("call me");
}

static void
test_reject_lengths(void **state)
{
	(void)state;
	expect_reject("+1234567");          /* 7 digits */
	expect_reject("+1234567890123456"); /* 16 digits */
	expect_reject("061234567");         /* 9-digit national */
	expect_reject("06123456789");       /* 11-digit national */
	expect_reject("+21261234567");      /* 8 national digits */
	expect_reject("+2126123456789");    /* 10 national digits */
	expect_reject("+1234567890123456789012345678901234567890");
}

static void
test_reject_moroccan_trunk_zero(void **state)
{
	char out[PHONE_E164_MAX];
	const char *reason = NULL;

	(void)state;
	expect_reject("+2120612345678");
	expect_reject("002120612345678");
	/* The reason ends up in the dead-letter: it must tell the producer what to fix. */
	assert_int_equal(phone_normalise("+2120612345678", out, &reason), -1);
	assert_non_null(strstr(reason, "trunk 0"));
}

static void
test_reject_moroccan_bad_ranges(void **state)
{
	(void)state;
	expect_reject("+212312345678");
	expect_reject("0312345678");
	expect_reject("0112345678");
}

static void
test_reject_short_and_lone_plus(void **state)
{
	(void)state;
	expect_reject("12");
	expect_reject("+");
	expect_reject("612345678");
}

static void
test_reject_country_code_zero(void **state)
{
	(void)state;
	expect_reject("+0612345678");
	expect_reject("000612345678");
}

static void
test_mask_moroccan(void **state)
{
	char out[PHONE_MASK_MAX];

	(void)state;
	phone_mask("+212612345678", out);
	assert_string_equal(out, "+2126******78");
}

/* Whatever the country, the subscriber digits between head and tail are hidden. */
static void
test_mask_hides_middle_digits(void **state)
{
	static const char *numbers[] = { "+212612345678", "+33698765432", "+14155550100", "+882345678901234",
		"+491701234" };
	char out[PHONE_MASK_MAX];

	(void)state;
	for (size_t i = 0; i < sizeof numbers / sizeof numbers[0]; i++) {
		const char *n = numbers[i];
		size_t len = strlen(n), stars = 0;

		memset(out, 0, sizeof out);
		phone_mask(n, out);
		assert_int_equal(strlen(out), len);
		assert_int_equal(out[0], '+');
		/* The last two digits stay, for support staff to match a complaint. */
		assert_memory_equal(out + len - 2, n + len - 2, 2);
		/* Never more than "+", a 3-digit country code and one digit in front. */
		for (size_t j = 5; j < len - 2; j++)
			assert_int_equal(out[j], '*');
		for (size_t j = 0; j < len; j++)
			stars += out[j] == '*';
		assert_true(stars >= len - 7);
		/* No run of three middle digits may appear anywhere in the masked form. */
		for (size_t j = 5; j + 3 <= len - 2; j++) {
			char run[4];

			memcpy(run, n + j, 3);
			run[3] = '\0';
			assert_null(strstr(out, run));
		}
	}
	phone_mask("+212612345678", out);
	assert_null(strstr(out, "1234"));
	assert_null(strstr(out, "3456"));
	assert_null(strchr(out, '3'));
	assert_null(strchr(out, '4'));
}

static void
test_mask_short_input(void **state)
{
	char out[PHONE_MASK_MAX];

	(void)state;
	phone_mask("+123", out);
	assert_null(strstr(out, "123"));
	phone_mask("+1234567890123456789", out);
	assert_true(strlen(out) < PHONE_MASK_MAX);
	assert_null(strstr(out, "456"));
}

/* Reference values: printf '+212612345678' | openssl dgst -sha256 -hmac k1 */
static void
test_pseudonym_is_keyed_hmac(void **state)
{
	char a[PHONE_PSEUDONYM_MAX], b[PHONE_PSEUDONYM_MAX];

	(void)state;
	phone_pseudonym("k1", "+212612345678", a);
	phone_pseudonym("k1", "+212612345678", b);
	assert_int_equal(strlen(a), 24);
	assert_int_equal(strspn(a, "0123456789abcdef"), 24);
	assert_string_equal(a, b);
	assert_string_equal(a, "cf8866b9b658719ad689df9b");
	phone_pseudonym("k2", "+212612345678", b);
	assert_string_equal(b, "b2d42730c41f12adcf5d4b73");
}

static void
test_pseudonym_differs(void **state)
{
	char a[PHONE_PSEUDONYM_MAX], b[PHONE_PSEUDONYM_MAX];

	(void)state;
	phone_pseudonym("k1", "+212612345678", a);
	phone_pseudonym("k2", "+212612345678", b);
	assert_string_not_equal(a, b);
	phone_pseudonym("k1", "+212612345679", b);
	assert_string_not_equal(a, b);
	/* The pseudonym must not leak the number itself. */
	assert_null(strstr(a, "612345678"));
}

/* Expected pseudonym by OpenSSL's one-shot HMAC(), as a second opinion. */
static void
reference(const char *key, const char *e164, char *out)
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	HMAC(EVP_sha256(), key, (int)strlen(key), (const unsigned char *)e164, strlen(e164), mac, &n);
	for (int i = 0; i < (PHONE_PSEUDONYM_MAX - 1) / 2; i++)
		snprintf(out + 2 * i, 3, "%02x", mac[i]);
}

/* A key made ready once gives the same pseudonyms, number after number, as a fresh HMAC each time; keys
 * longer than a SHA-256 block (which HMAC hashes first) and empty keys included. */
static void
test_pseudonym_key_reused(void **state)
{
	static const char *keys[] = {
		"k1",
		"",
		"a key that is much longer than the sixty-four bytes of one SHA-256 block, so HMAC hashes it",
	};
	char got[PHONE_PSEUDONYM_MAX], want[PHONE_PSEUDONYM_MAX], e164[32];

	(void)state;
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		struct phone_key *k = phone_key_new(keys[i]);

		for (int j = 0; j < 200; j++) {
			snprintf(e164, sizeof(e164), "+2126%08d", j * 7919);
			phone_pseudonym_with(k, e164, got);
			reference(keys[i], e164, want);
			assert_string_equal(got, want);
			phone_pseudonym(keys[i], e164, want);
			assert_string_equal(got, want);
		}
		phone_key_free(k);
	}
	phone_key_free(NULL);
}

/* A default country other than Morocco reads national numbers with its own calling code. */
static void
test_default_country(void **state)
{
	char out[PHONE_E164_MAX];
	const char *why = NULL;

	(void)state;
	assert_int_equal(phone_normalise_in("06 12 34 56 78", "MA", out, &why), 0);
	assert_string_equal(out, "+212612345678");
	assert_int_equal(phone_normalise_in("0612345678", NULL, out, &why), 0);
	assert_string_equal(out, "+212612345678");
	assert_int_equal(phone_normalise_in("06.12.34.56.78", "FR", out, &why), 0);
	assert_string_equal(out, "+33612345678");
	assert_int_equal(phone_normalise_in("07 71 23 45 67", "SN", out, &why), 0);
	assert_string_equal(out, "+221771234567");
	/* International forms do not depend on it. */
	assert_int_equal(phone_normalise_in("+212 6 12 34 56 78", "FR", out, &why), 0);
	assert_string_equal(out, "+212612345678");
	assert_int_equal(phone_normalise_in("00212612345678", "SN", out, &why), 0);
	assert_string_equal(out, "+212612345678");
	assert_int_equal(phone_normalise_in("0612345678", "ZZ", out, &why), -1);
	assert_string_equal(why, "unknown default country");
	assert_int_equal(phone_normalise_in("06 12 ab", "FR", out, &why), -1);
	assert_true(phone_country_known("fr"));
	assert_false(phone_country_known("ZZ"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_moroccan_mobile_national),
		cmocka_unit_test(test_moroccan_fixed_national),
		cmocka_unit_test(test_international_prefix_00),
		cmocka_unit_test(test_country_code_without_plus),
		cmocka_unit_test(test_separators),
		cmocka_unit_test(test_foreign_numbers),
		cmocka_unit_test(test_reject_empty_and_letters),
		cmocka_unit_test(test_reject_lengths),
		cmocka_unit_test(test_reject_moroccan_trunk_zero),
		cmocka_unit_test(test_reject_moroccan_bad_ranges),
		cmocka_unit_test(test_reject_short_and_lone_plus),
		cmocka_unit_test(test_reject_country_code_zero),
		cmocka_unit_test(test_mask_moroccan),
		cmocka_unit_test(test_mask_hides_middle_digits),
		cmocka_unit_test(test_mask_short_input),
		cmocka_unit_test(test_pseudonym_is_keyed_hmac),
		cmocka_unit_test(test_pseudonym_differs),
		cmocka_unit_test(test_pseudonym_key_reused),
		cmocka_unit_test(test_default_country),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
