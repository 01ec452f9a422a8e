/*
 * Unit tests for handlers/contacts_query.c: GET /v1/contacts' q and
 * filters as the search script gets them: words, numbers in national and
 * international forms (and Arabic-Indic digits), whole numbers for a role
 * that sees them masked, lists in canonical form, and each refusal naming
 * its parameter.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handlers/contacts_query.h"

static const struct contacts_query_settings admin = { "MA", false }, agent = { "MA", true };

static json_t *parse_one(enum contacts_query_param p, const char *v, const struct contacts_query_settings *s);
static void expect_filter(
    enum contacts_query_param p, const char *v, const struct contacts_query_settings *s, const char *want);
static void expect_refused(enum contacts_query_param p, const char *v, const char *why_part);

static json_t *
parse_one(enum contacts_query_param p, const char *v, const struct contacts_query_settings *s)
{
	const char *values[CONTACTS_Q_COUNT] = { NULL };
	const char *field = "unset";
	char why[200] = "";
	json_t *f;

	values[p] = v;
	f = contacts_query_parse(values, s, &field, why, sizeof why);
	if (f != NULL)
		assert_null(field);
	return f;
}

/* The filter for one parameter, as compact JSON with sorted keys. */
static void
expect_filter(enum contacts_query_param p, const char *v, const struct contacts_query_settings *s, const char *want)
{
	json_t *f = parse_one(p, v, s);
	char *got;

	assert_non_null(f);
	got = json_dumps(f, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII);
	if (strcmp(got, want) != 0)
		fail_msg("%s=%s: %s, not %s", contacts_query_names[p], v, got, want);
	free(got);
	json_decref(f);
}

static void
expect_refused(enum contacts_query_param p, const char *v, const char *why_part)
{
	const char *values[CONTACTS_Q_COUNT] = { NULL };
	const char *field = NULL;
	char why[200] = "";

	values[p] = v;
	assert_null(contacts_query_parse(values, &admin, &field, why, sizeof why));
	assert_non_null(field);
	assert_string_equal(field, contacts_query_names[p]);
	if (strstr(why, why_part) == NULL)
		fail_msg("%s=%s refused with '%s', which does not say '%s'", field, v, why, why_part);
}

/* Nothing given, or only blanks and commas: every contact. */
static void
test_nothing_is_everyone(void **state)
{
	const char *values[CONTACTS_Q_COUNT] = { "   ", "", ", ,", NULL, NULL, NULL, NULL };
	const char *field = "unset";
	char why[200];
	json_t *f;

	(void)state;
	f = contacts_query_parse(values, &admin, &field, why, sizeof why);
	assert_non_null(f);
	assert_int_equal(json_object_size(f), 0);
	json_decref(f);
}

/* Names: the words as typed (the script folds case and accents), whatever the script. */
static void
test_words(void **state)
{
	(void)state;
	expect_filter(CONTACTS_Q_Q, "  Aminata   DI ", &admin, "{\"words\":[\"Aminata\",\"DI\"]}");
	expect_filter(CONTACTS_Q_Q, "Hélène", &admin, "{\"words\":[\"H\\u00E9l\\u00E8ne\"]}");
	expect_filter(CONTACTS_Q_Q, "فاطمة", &agent, "{\"words\":[\"\\u0641\\u0627\\u0637\\u0645\\u0629\"]}");
}

/* Numbers for a role that sees them whole: a part of one is found where it stands. */
static void
test_numbers_in_part(void **state)
{
	(void)state;
	/* National: the country's code in place of the trunk 0, from the start. */
	expect_filter(CONTACTS_Q_Q, "0612 34", &admin, "{\"match\":\"prefix\",\"number\":\"21261234\",\"words\":[]}");
	/* International, with + or 00. */
	expect_filter(CONTACTS_Q_Q, "+212612", &admin, "{\"match\":\"prefix\",\"number\":\"212612\",\"words\":[]}");
	expect_filter(CONTACTS_Q_Q, "00 33 6", &admin, "{\"match\":\"prefix\",\"number\":\"336\",\"words\":[]}");
	/* Other digits, anywhere in the number. */
	expect_filter(CONTACTS_Q_Q, "34-56-78", &admin, "{\"match\":\"within\",\"number\":\"345678\",\"words\":[]}");
	/* Arabic-Indic digits, as an Arabic keyboard types them. */
	expect_filter(CONTACTS_Q_Q, "٠٦١٢", &admin, "{\"match\":\"prefix\",\"number\":\"212612\",\"words\":[]}");
	expect_filter(CONTACTS_Q_Q, "۰۶۱۲", &admin, "{\"match\":\"prefix\",\"number\":\"212612\",\"words\":[]}");
	/* Another default country reads national forms as its own. */
	{
		struct contacts_query_settings fr = { "FR", false };

		expect_filter(CONTACTS_Q_Q, "06 12", &fr, "{\"match\":\"prefix\",\"number\":\"33612\",\"words\":[]}");
	}
	/* Letters among the digits: a name, not a number. */
	expect_filter(CONTACTS_Q_Q, "Promo 2026", &admin, "{\"words\":[\"Promo\",\"2026\"]}");
	expect_filter(CONTACTS_Q_Q, "06+12", &admin, "{\"words\":[\"06+12\"]}");
}

/* Numbers for a role that sees them masked: only a whole number, in any written form. */
static void
test_numbers_whole(void **state)
{
	(void)state;
	expect_filter(
	    CONTACTS_Q_Q, "06 12 34 56 78", &agent, "{\"match\":\"whole\",\"number\":\"212612345678\",\"words\":[]}");
	expect_filter(
	    CONTACTS_Q_Q, "+212 612-345-678", &agent, "{\"match\":\"whole\",\"number\":\"212612345678\",\"words\":[]}");
	expect_filter(
	    CONTACTS_Q_Q, "00221771234567", &agent, "{\"match\":\"whole\",\"number\":\"221771234567\",\"words\":[]}");
	/* A part: nothing to look for, so nobody is found (not everybody). */
	expect_filter(CONTACTS_Q_Q, "0612 34", &agent, "{\"words\":[]}");
	expect_filter(CONTACTS_Q_Q, "+212612", &agent, "{\"words\":[]}");
}

/* Lists: any of their values, in the form the indexes keep. */
static void
test_lists(void **state)
{
	(void)state;
	expect_filter(CONTACTS_Q_CITY, "Rabat, Salé ,", &admin, "{\"city\":[\"Rabat\",\"Sal\\u00E9\"]}");
	expect_filter(CONTACTS_Q_LOCALE, "fr,Darija,ary-latn", &admin, "{\"locale\":[\"fr\",\"ary\",\"ary-Latn\"]}");
	expect_filter(CONTACTS_Q_SEX, "femme,M", &admin, "{\"sex\":[\"f\",\"m\"]}");
	expect_filter(CONTACTS_Q_CHANNEL, "wa,sms", &admin, "{\"channel\":[\"whatsapp\",\"sms\"]}");
	expect_filter(CONTACTS_Q_TAG, "Referred:ANAPEC", &admin, "{\"tag\":[\"referred:anapec\"]}");
	expect_filter(CONTACTS_Q_CONSENT, "yes,none", &admin, "{\"consent\":[\"yes\",\"none\"]}");
}

static void
test_refusals(void **state)
{
	char big[600];

	(void)state;
	expect_refused(CONTACTS_Q_LOCALE, "fr,de", "locale: 'de' is not a language");
	expect_refused(CONTACTS_Q_SEX, "q", "sex: 'q' is not f, m or x");
	expect_refused(CONTACTS_Q_CHANNEL, "fax", "channel: 'fax' is not sms, whatsapp or auto");
	expect_refused(CONTACTS_Q_CONSENT, "maybe", "consent: 'maybe' is not yes, no or none");
	expect_refused(CONTACTS_Q_CONSENT, "oui", "consent");
	expect_refused(CONTACTS_Q_Q, "\xC3\x28", "q is not UTF-8");
	expect_refused(CONTACTS_Q_CITY, "Rabat,\xFF", "city is not UTF-8");
	memset(big, 'a', 101);
	big[101] = '\0';
	expect_refused(CONTACTS_Q_Q, big, "1 to 100 characters");
	expect_refused(CONTACTS_Q_CITY, big, "city");
	memset(big, 'a', 65);
	big[65] = '\0';
	expect_refused(CONTACTS_Q_TAG, big, "a tag of 1 to 64 characters");
	/* 100 Arabic letters are 100 characters (200 bytes): taken. */
	big[0] = '\0';
	for (int i = 0; i < 100; i++)
		strcat(big, "ب");
	json_decref(parse_one(CONTACTS_Q_Q, big, &admin));
	/* At most 20 values in a list. */
	big[0] = '\0';
	for (int i = 0; i < 21; i++)
		strcat(big, "fr,");
	expect_refused(CONTACTS_Q_LOCALE, big, "at most 20 values");
	/* A refused value is shown cut on a whole character. */
	{
		const char *values[CONTACTS_Q_COUNT] = { NULL };
		const char *field = NULL;
		char why[200];

		values[CONTACTS_Q_LOCALE] = "ééééééééééééééééééééééééé";
		assert_null(contacts_query_parse(values, &admin, &field, why, sizeof why));
		assert_string_equal(field, "locale");
		assert_non_null(strstr(why, "'éééééééééééééééééééé'"));
	}
}

/* The first parameter at fault is the one named. */
static void
test_first_fault_named(void **state)
{
	const char *values[CONTACTS_Q_COUNT] = { "Aminata", "Rabat", "fr", "z", "fax", NULL, NULL };
	const char *field = NULL;
	char why[200];

	(void)state;
	assert_null(contacts_query_parse(values, &admin, &field, why, sizeof why));
	assert_string_equal(field, "sex");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nothing_is_everyone),
		cmocka_unit_test(test_words),
		cmocka_unit_test(test_numbers_in_part),
		cmocka_unit_test(test_numbers_whole),
		cmocka_unit_test(test_lists),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_first_fault_named),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
