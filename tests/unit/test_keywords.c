/*
 * Unit tests for handlers/keywords.c and keywords_match.c with the
 * shipped catalogs (locales/<locale>.po): real inbound texts reach their topic
 * and locale (tests/unit/test_keywords_table.h), near misses reach none,
 * stop and start only in short messages, the locale rules, bare numbers,
 * menus, broken input, and catalogs refused with the entry and its line.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handlers/keywords.h"
#include "locales/catalog.h"
#include "tests/unit/test_keywords_table.h"

struct shipped {
	struct catalog *c;
	struct keywords *k;
};

static const char *const locales[] = { "fr", "ar", "ary", "ary-Latn", "en" };

static int setup(void **state);
static int teardown(void **state);
static void check(
    const struct keywords *k, const char *text, const char *hint, enum keywords_topic topic, const char *locale);

static int
setup(void **state)
{
	struct shipped *s = calloc(1, sizeof *s);
	char why[300];

	s->c = catalog_new();
	if (catalog_load_dir(s->c, "locales", why, sizeof why) != 0)
		fail_msg("%s", why);
	if ((s->k = keywords_new(s->c, why, sizeof why)) == NULL)
		fail_msg("%s", why);
	*state = s;
	return 0;
}

static int
teardown(void **state)
{
	struct shipped *s = *state;

	keywords_free(s->k);
	catalog_free(s->c);
	free(s);
	return 0;
}

/* text (with the person's locale hint) reaches topic, and locale unless it is NULL. */
static void
check(const struct keywords *k, const char *text, const char *hint, enum keywords_topic topic, const char *locale)
{
	struct keywords_result r;

	keywords_match(k, text, strlen(text), hint, &r);
	if (r.topic != topic)
		fail_msg("\"%s\": topic %s (keyword '%s'), want %s", text, keywords_topic_name(r.topic),
		    r.keyword != NULL ? r.keyword : "", keywords_topic_name(topic));
	if (locale != NULL && (r.locale == NULL || strcmp(r.locale, locale) != 0))
		fail_msg("\"%s\" (hint %s): locale %s, want %s", text, hint != NULL ? hint : "none",
		    r.locale != NULL ? r.locale : "NULL", locale);
	keywords_result_free(&r);
}

static void
test_inbound_texts(void **state)
{
	struct shipped *s = *state;
	size_t n = sizeof keywords_rows / sizeof keywords_rows[0];

	for (size_t i = 0; i < n; i++)
		check(s->k, keywords_rows[i].text, NULL, keywords_rows[i].topic, keywords_rows[i].locale);
	print_message("%zu inbound texts reach their topic\n", n);
	assert_true(n >= 170);
}

static void
test_near_misses_reach_none(void **state)
{
	struct shipped *s = *state;
	size_t n = sizeof keywords_none / sizeof keywords_none[0];

	for (size_t i = 0; i < n; i++)
		check(s->k, keywords_none[i], NULL, KEYWORDS_NONE, NULL);
	assert_true(n >= 30);
}

/* Stop and start count in a short message only: the keywords and at most two courtesy phrases. */
static void
test_stop_only_when_short(void **state)
{
	struct shipped *s = *state;

	check(s->k, "stop merci svp", NULL, KEYWORDS_STOP, "fr");
	check(s->k, "bonjour stop s'il vous plaît merci", NULL, KEYWORDS_NONE, "fr");
	check(s->k, "stop svp svp svp", NULL, KEYWORDS_NONE, "fr");
	check(s->k, "stop maintenant", NULL, KEYWORDS_NONE, "fr");
	check(s->k, "arrêter de fumer", NULL, KEYWORDS_NONE, "fr");
	check(s->k, "stop, je veux une formation", NULL, KEYWORDS_TRAINING, "fr");
	/* Stop beats start; start needs the exact word. */
	check(s->k, "start stop", NULL, KEYWORDS_STOP, "fr");
	check(s->k, "strat", NULL, KEYWORDS_NONE, NULL);
	check(s->k, "stopp", NULL, KEYWORDS_STOP, NULL);
	check(s->k, "desabonement", NULL, KEYWORDS_STOP, "fr");
	check(s->k, "start over", NULL, KEYWORDS_MENU, "en");
}

/* What matched, and whether with a typing mistake; the mistakes a long word may have, and a short one not. */
static void
test_approximate(void **state)
{
	static const char *const one_edit[] = { "formartion", "formaton", "fromation", "formatiom" };
	struct shipped *s = *state;
	struct keywords_result r;

	for (size_t i = 0; i < sizeof one_edit / sizeof one_edit[0]; i++) {
		keywords_match(s->k, one_edit[i], strlen(one_edit[i]), NULL, &r);
		assert_int_equal(r.topic, KEYWORDS_TRAINING);
		assert_string_equal(r.keyword, "formation");
		assert_true(r.approximate);
		keywords_result_free(&r);
	}
	keywords_match(s->k, "Carte de Séjour", strlen("Carte de Séjour"), NULL, &r);
	assert_int_equal(r.topic, KEYWORDS_RESIDENCY);
	assert_string_equal(r.keyword, "carte de sejour");
	assert_false(r.approximate);
	assert_string_equal(r.normalised, "carte de sejour");
	keywords_result_free(&r);
	/* Four letters: exact only ("mnu", "agen" are nothing). */
	check(s->k, "mnu", NULL, KEYWORDS_NONE, NULL);
	check(s->k, "menuu", NULL, KEYWORDS_MENU, NULL);
	check(s->k, "ajde", NULL, KEYWORDS_NONE, NULL);
}

/* The hint is the person's stored locale; the script of the text always wins over it. */
static void
test_locale_choice(void **state)
{
	struct shipped *s = *state;

	check(s->k, "stop", "en", KEYWORDS_STOP, "en");
	check(s->k, "stop", "ary-latn", KEYWORDS_STOP, "ary-Latn");
	check(s->k, "formation", "ary-Latn", KEYWORDS_TRAINING, "ary-Latn");
	/* A Latin text never answers in Arabic script, nor an Arabic one in Latin letters. */
	check(s->k, "stop", "ar", KEYWORDS_STOP, "fr");
	check(s->k, "وقف", "fr", KEYWORDS_STOP, "ar");
	check(s->k, "وقف", "ary", KEYWORDS_STOP, "ary");
	/* Darija is Darija in either script. */
	check(s->k, "stop", "ary", KEYWORDS_STOP, "ary-Latn");
	check(s->k, "وقف", "ary-Latn", KEYWORDS_STOP, "ary");
	/* A keyword of one locale only answers in it, whatever the guess. */
	check(s->k, "baraka", "fr", KEYWORDS_STOP, "ary-Latn");
	check(s->k, "باركا", NULL, KEYWORDS_STOP, "ary");
	/* No keyword: the hint if the script agrees, else the guess, else nothing. */
	check(s->k, "ok", "en", KEYWORDS_NONE, "en");
	check(s->k, "ok", "ar", KEYWORDS_NONE, "fr");
	check(s->k, "مرحبا", "fr", KEYWORDS_NONE, "ar");
	check(s->k, "2", "ary", KEYWORDS_NONE, "ary");
	check(s->k, "2", NULL, KEYWORDS_NONE, NULL);
	check(s->k, "👍", NULL, KEYWORDS_NONE, NULL);
	check(s->k, "stop", "de", KEYWORDS_STOP, "fr");
}

static void
test_bare_numbers(void **state)
{
	static const struct {
		const char *text;
		int number;
	} numbers[] = { { "2", 2 }, { " 2. ", 2 }, { "٢", 2 }, { "۳", 3 }, { "2\xef\xb8\x8f\xe2\x83\xa3", 2 },
		{ "(5)", 5 }, { "10", 10 }, { "05", 5 }, { "1234567890", -1 }, { "2 3", -1 }, { "2 formation", -1 },
		{ "n°2", -1 }, { "", -1 } };
	struct shipped *s = *state;

	for (size_t i = 0; i < sizeof numbers / sizeof numbers[0]; i++) {
		struct keywords_result r;

		keywords_match(s->k, numbers[i].text, strlen(numbers[i].text), NULL, &r);
		if (r.number != numbers[i].number)
			fail_msg("\"%s\": number %d, want %d", numbers[i].text, r.number, numbers[i].number);
		if (numbers[i].number >= 0)
			assert_int_equal(r.topic, KEYWORDS_NONE);
		keywords_result_free(&r);
	}
}

/* Any bytes: bad UTF-8 separates words, a long text is read up to its first 4,096 bytes. */
static void
test_broken_and_long_input(void **state)
{
	struct shipped *s = *state;
	char *text = malloc(10000);
	struct keywords_result r;

	check(s->k, "\xff\xfeSTOP\xfe", NULL, KEYWORDS_STOP, "fr");
	check(s->k, "formation\xc3", NULL, KEYWORDS_TRAINING, "fr");
	check(s->k, "\xc0\xaf\xed\xa0\x80", NULL, KEYWORDS_NONE, NULL);
	keywords_match(s->k, "stop\0svp", 8, NULL, &r);
	assert_int_equal(r.topic, KEYWORDS_STOP);
	assert_string_equal(r.normalised, "stop svp");
	keywords_result_free(&r);
	for (int i = 0; i < 256; i++)
		text[i] = (char)i;
	keywords_match(s->k, text, 256, NULL, &r);
	keywords_result_free(&r);

	memset(text, 'x', 10000);
	memcpy(text + 9990, " emploi", 7);
	keywords_match(s->k, text, 10000, NULL, &r);
	assert_int_equal(r.topic, KEYWORDS_NONE);
	keywords_result_free(&r);
	memcpy(text + 10, " emploi ", 8);
	keywords_match(s->k, text, 10000, NULL, &r);
	assert_int_equal(r.topic, KEYWORDS_EMPLOYMENT);
	keywords_result_free(&r);
	free(text);
}

static void
test_topic_names(void **state)
{
	(void)state;
	for (int t = 0; t < KEYWORDS_TOPIC_COUNT; t++)
		assert_int_equal(keywords_topic_parse(keywords_topic_name((enum keywords_topic)t)), t);
	assert_string_equal(keywords_topic_name(KEYWORDS_EMPLOYMENT), "employment");
	assert_string_equal(keywords_topic_name(KEYWORDS_TOPIC_COUNT), "none");
	assert_int_equal(keywords_topic_parse("Stop"), KEYWORDS_NONE);
	assert_int_equal(keywords_topic_parse("jobs"), KEYWORDS_NONE);
}

/* Every locale has every list, and the main menu in reply.menu's order. */
static void
test_shipped_lists_and_menu(void **state)
{
	static const char *const lists[] = { "keywords.menu", "keywords.training", "keywords.employment",
		"keywords.residency", "keywords.covid", "keywords.agent", "keywords.stop", "keywords.start",
		"keywords.courtesy", "keywords.exceptions" };
	static const enum keywords_topic main_menu[] = { KEYWORDS_TRAINING, KEYWORDS_EMPLOYMENT, KEYWORDS_RESIDENCY,
		KEYWORDS_COVID, KEYWORDS_AGENT };
	struct shipped *s = *state;
	enum keywords_topic topics[KEYWORDS_MENU_MAX];
	char why[200];

	for (size_t l = 0; l < sizeof locales / sizeof locales[0]; l++) {
		for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++)
			if (catalog_get(s->c, locales[l], lists[i]) == NULL)
				fail_msg("%s has no %s", locales[l], lists[i]);
		assert_int_equal(keywords_menu(s->c, "main", locales[l], "fr", topics, why, sizeof why), 5);
		assert_memory_equal(topics, main_menu, sizeof main_menu);
	}
	assert_int_equal(keywords_menu(s->c, "nope", "fr", "fr en", topics, why, sizeof why), -1);
	assert_string_equal(why, "no menu 'nope' in the catalogs");
}

/* Catalogs (French entries after a header) that keywords_new() refuses, and why it says. */
static void
test_bad_catalogs(void **state)
{
	static const struct {
		const char *entries, *why;
	} bad[] = {
		{ "msgid \"keywords.stop\"\nmsgstr \"stop||arret\"\n",
		    "fr.po line 5: keywords.stop: alternative 2 is empty ('|' at an end, or two in a row)" },
		{ "msgid \"keywords.stop\"\nmsgstr \"stop|\"\n",
		    "fr.po line 5: keywords.stop: alternative 2 is empty ('|' at an end, or two in a row)" },
		{ "msgid \"keywords.menu\"\nmsgstr \"menu|!!!\"\n",
		    "fr.po line 5: keywords.menu: '!!!' has no letter or digit" },
		{ "msgid \"keywords.menu\"\nmsgstr \"menu|٢\"\n",
		    "fr.po line 5: keywords.menu: '2' is a number, and numbers are answers to menus" },
		{ "msgid \"keywords.agent\"\nmsgstr \"a b c d e f g h i\"\n",
		    "fr.po line 5: keywords.agent: 'a b c d e f g h i' has more than 8 words" },
		{ "msgid \"keywords.agent\"\nmsgstr \"abcdefghijklmnopqrstuvwxyzabcdefghijk\"\n",
		    "fr.po line 5: keywords.agent: 'abcdefghijklmnopqrstuvwxyzabcdefghijk' has a word of more than 32 "
		    "letters" },
		{ "msgid \"keywords.menu\"\nmsgstr \"aide\"\n\nmsgid \"keywords.agent\"\nmsgstr \"AIDE\"\n",
		    "fr.po line 8: keywords.agent: 'aide' is already a keyword of the topic menu" },
		{ "msgid \"keywords.stop\"\nmsgstr \"stop\"\n\nmsgid \"keywords.courtesy\"\nmsgstr \"Stop\"\n",
		    "fr.po line 8: keywords.courtesy: 'stop' is already a keyword of the topic stop" },
		{ "msgid \"keywords.courtesy\"\nmsgstr \"merci\"\n\nmsgid \"keywords.menu\"\nmsgstr \"Merci\"\n",
		    "fr.po line 5: keywords.courtesy: 'merci' is already a keyword of the topic menu" },
		{ "msgid \"keywords.exceptions\"\nmsgstr \"argent\"\n\nmsgid \"keywords.agent\"\nmsgstr \"argent\"\n",
		    "fr.po line 5: keywords.exceptions: 'argent' is a keyword of the topic agent, so it cannot be an "
		    "exception" },
		{ "msgid \"keywords.exceptions\"\nmsgstr \"mon argent\"\n",
		    "fr.po line 5: keywords.exceptions: 'mon argent': an exception is one word" },
		{ "msgid \"menu.main\"\nmsgstr \"training jobs\"\n",
		    "fr.po line 5: menu.main: 'jobs' is not a topic (menu, training, employment, residency, covid, "
		    "agent, "
		    "stop, start)" },
		{ "msgid \"menu.main\"\nmsgstr \"training training\"\n",
		    "fr.po line 5: menu.main: 'training' is in the menu twice" },
		{ "msgid \"menu.main\"\nmsgstr \"none\"\n",
		    "fr.po line 5: menu.main: 'none' is not a topic (menu, training, employment, residency, covid, "
		    "agent, "
		    "stop, start)" },
		{ "msgid \"menu.main\"\nmsgstr \"menu training employment residency covid agent stop start menu\"\n",
		    "fr.po line 5: menu.main: 'menu' is in the menu twice" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct catalog *c = catalog_new();
		struct keywords *k;
		char po[600], why[300] = "";

		snprintf(po, sizeof po, "msgid \"\"\nmsgstr \"\"\n\n#. comment\n%s", bad[i].entries);
		assert_int_equal(catalog_add(c, "fr", po, strlen(po), why, sizeof why), 0);
		k = keywords_new(c, why, sizeof why);
		if (k != NULL || strcmp(why, bad[i].why) != 0)
			fail_msg(
			    "%s: got \"%s\", want \"%s\"", bad[i].entries, k != NULL ? "accepted" : why, bad[i].why);
		catalog_free(c);
	}
}

/* A keyword is a catalog edit: a new one works at once, in any of its spellings. */
static void
test_catalog_edit(void **state)
{
	static const char po[] = "msgid \"keywords.residency\"\nmsgstr \"passeport|جواز السفر\"\n"
				 "msgid \"menu.main\"\nmsgstr \"residency agent\"\n";
	struct catalog *c = catalog_new();
	struct keywords *k;
	enum keywords_topic topics[KEYWORDS_MENU_MAX];
	char why[200];

	(void)state;
	assert_int_equal(catalog_add(c, "ar", po, strlen(po), why, sizeof why), 0);
	assert_non_null(k = keywords_new(c, why, sizeof why));
	/* Only Arabic has it, but a text in Latin letters is answered in a Latin-script locale. */
	check(k, "PASSEPORT", NULL, KEYWORDS_RESIDENCY, "fr");
	check(k, "جَواز السّفر", NULL, KEYWORDS_RESIDENCY, "ar");
	check(k, "passport", NULL, KEYWORDS_RESIDENCY, "fr");
	check(k, "stop", NULL, KEYWORDS_NONE, "fr");
	assert_int_equal(keywords_menu(c, "main", "fr", "ar", topics, why, sizeof why), 2);
	assert_int_equal(topics[1], KEYWORDS_AGENT);
	keywords_free(k);
	catalog_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_inbound_texts),
		cmocka_unit_test(test_near_misses_reach_none),
		cmocka_unit_test(test_stop_only_when_short),
		cmocka_unit_test(test_approximate),
		cmocka_unit_test(test_locale_choice),
		cmocka_unit_test(test_bare_numbers),
		cmocka_unit_test(test_broken_and_long_input),
		cmocka_unit_test(test_topic_names),
		cmocka_unit_test(test_shipped_lists_and_menu),
		cmocka_unit_test(test_bad_catalogs),
		cmocka_unit_test(test_catalog_edit),
	};

	return cmocka_run_group_tests_name("keywords", tests, setup, teardown);
}
