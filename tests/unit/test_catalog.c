/*
 * Unit tests for locales/catalog.c and locales/fallback.c: PO as
 * translators' tools write it (escapes, continuation lines, fuzzy entries,
 * the header), refusals with the line, the shipped catalogs complete in
 * all five locales, and the fallback chain for missing translations.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "locales/catalog.h"
#include "locales/fallback.h"

static const char po[] = "# a comment\n"
			 "msgid \"\"\n"
			 "msgstr \"\"\n"
			 "\"Language: fr\\n\"\n"
			 "\n"
			 "#. for translators\n"
			 "msgid \"reply.agent\"\n"
			 "msgstr \"Un agent \"\n"
			 "\"vous répondra « bientôt ».\\n\\\"Merci\\\"\"\n"
			 "\n"
			 "#, fuzzy\n"
			 "msgid \"reply.menu\"\n"
			 "msgstr \"à revoir\"\n"
			 "\n"
			 "msgid \"reply.stop\"\n"
			 "msgstr \"\"\n"
			 "\n"
			 "msgctxt \"sms\"\n"
			 "msgid \"confirm.stop\"\n"
			 "msgstr \"Arrêté.\"\r\n";

static void
test_parse(void **state)
{
	struct catalog *c = catalog_new();
	char why[160];

	(void)state;
	assert_int_equal(catalog_add(c, "fr", po, strlen(po), why, sizeof why), 0);
	assert_string_equal(catalog_get(c, "fr", "reply.agent"), "Un agent vous répondra « bientôt ».\n\"Merci\"");
	/* Fuzzy and empty translations are missing, not shown. */
	assert_null(catalog_get(c, "fr", "reply.menu"));
	assert_null(catalog_get(c, "fr", "reply.stop"));
	assert_string_equal(catalog_get(c, "fr", "confirm.stop"), "Arrêté.");
	assert_int_equal(catalog_size(c), 2);
	/* Where each entry starts, its msgctxt if it has one, for messages about it. */
	assert_int_equal(catalog_line(c, "fr", "reply.agent"), 7);
	assert_int_equal(catalog_line(c, "fr", "confirm.stop"), 18);
	assert_int_equal(catalog_line(c, "fr", "reply.menu"), 0);
	assert_int_equal(catalog_line(c, "ar", "reply.agent"), 0);
	catalog_free(c);
}

static void
test_refusals(void **state)
{
	static const struct {
		const char *text, *why;
	} bad[] = {
		{ "msgid \"a\"\nmsgstr \"b\n", "line 2" },
		{ "msgid \"a\"\nmsgstr \"b\" junk\n", "line 2" },
		{ "msgid \"a\"\nmsgid_plural \"as\"\nmsgstr[0] \"b\"\n", "plural" },
		{ "msgid \"a\"\n\"\\q\"\n", "line 2" },
		{ "hello\n", "line 1" },
	};
	char why[160];

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct catalog *c = catalog_new();

		why[0] = '\0';
		assert_int_equal(catalog_add(c, "fr", bad[i].text, strlen(bad[i].text), why, sizeof why), -1);
		if (strstr(why, bad[i].why) == NULL)
			fail_msg("'%s' does not say '%s'", why, bad[i].why);
		catalog_free(c);
	}
	{
		struct catalog *c = catalog_new();

		assert_int_equal(catalog_add(c, "de", "", 0, why, sizeof why), -1);
		catalog_free(c);
	}
}

struct console_want {
	const struct catalog *c;
	const char *locale; /* NULL: only count the keys */
	size_t n;
};

/* A console key of the French catalog: in ar and en, and never in the Darija catalogs. */
static void
console_key(void *arg, const char *key, const char *text)
{
	struct console_want *w = arg;

	(void)text;
	w->n++;
	if (w->locale != NULL && (catalog_get(w->c, w->locale, key) == NULL) != (strncmp(w->locale, "ary", 3) == 0))
		fail_msg("%s: %s, which is for the console's fr, ar and en", w->locale, key);
}

/*
 * The shipped catalogs: every key of the French one in every locale, but
 * the console's (console.*), which are in its languages: fr, ar and en.
 */
static void
test_shipped_catalogs_complete(void **state)
{
	static const char *const keys[] = { "confirm.consent", "confirm.stop", "confirm.start",
		"campaign.training_offer", "campaign.residency_followup", "campaign.covid_info", "campaign.event",
		"reply.menu", "reply.training", "reply.employment", "reply.residency", "reply.covid", "reply.agent",
		"reply.unknown", "menu.main", "keywords.menu", "keywords.training", "keywords.employment",
		"keywords.residency", "keywords.covid", "keywords.agent", "keywords.stop", "keywords.start",
		"keywords.courtesy", "keywords.exceptions", "inbox.ack", "inbox.ack_open", "inbox.ack_later",
		"day.today", "day.tomorrow", "day.mon", "day.tue", "day.wed", "day.thu", "day.fri", "day.sat",
		"day.sun" };
	static const char *const locales[] = { "fr", "ar", "ary", "ary-Latn", "en" };
	struct catalog *c = catalog_new();
	struct console_want w = { NULL, NULL, 0 };
	char why[300];

	(void)state;
	assert_int_equal(catalog_load_dir(c, "locales", why, sizeof why), 0);
	for (size_t l = 0; l < sizeof locales / sizeof locales[0]; l++) {
		for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
			if (catalog_get(c, locales[l], keys[k]) == NULL)
				fail_msg("%s has no %s", locales[l], keys[k]);
		w.c = c;
		w.locale = locales[l];
		catalog_each(c, "fr", "console.", console_key, &w);
	}
	w.n = 0;
	w.locale = NULL;
	catalog_each(c, "fr", "console.", console_key, &w);
	assert_true(w.n > 0);
	assert_int_equal(catalog_size(c), 5 * (sizeof keys / sizeof keys[0]) + 3 * w.n);
	catalog_free(c);
}

/* A missing translation falls back along the chain: ary-Latn -> ary -> ar -> fr. */
static void
test_fallback(void **state)
{
	struct catalog *c = catalog_new();
	const char *chosen;
	char why[160];
	static const char ar[] = "msgid \"k\"\nmsgstr \"عربية\"\n";
	static const char fr[] = "msgid \"k\"\nmsgstr \"français\"\nmsgid \"only_fr\"\nmsgstr \"seul\"\n";

	(void)state;
	assert_int_equal(catalog_add(c, "ar", ar, strlen(ar), why, sizeof why), 0);
	assert_int_equal(catalog_add(c, "fr", fr, strlen(fr), why, sizeof why), 0);
	assert_string_equal(catalog_lookup(c, "ary-Latn", "k", "ary-Latn ary ar fr", &chosen), "عربية");
	assert_string_equal(chosen, "ar");
	assert_string_equal(catalog_lookup(c, "ary-latn", "only_fr", "ary-Latn ary ar fr", &chosen), "seul");
	assert_string_equal(chosen, "fr");
	assert_string_equal(catalog_lookup(c, "fr", "k", "ary-Latn ary ar fr", &chosen), "français");
	/* A locale after its own in the chain is not found from it; then the whole chain in order. */
	assert_string_equal(catalog_lookup(c, "en", "k", "ary-Latn ary ar fr", &chosen), "عربية");
	assert_string_equal(catalog_lookup(c, NULL, "k", "fr ar", &chosen), "français");
	assert_null(catalog_lookup(c, "fr", "none", "ary-Latn ary ar fr", &chosen));
	assert_null(chosen);
	assert_string_equal(fallback_locale("ARY-latn", 8), "ary-Latn");
	assert_null(fallback_locale("de", 2));
	catalog_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_shipped_catalogs_complete),
		cmocka_unit_test(test_fallback),
	};

	return cmocka_run_group_tests_name("catalog", tests, NULL, NULL);
}
