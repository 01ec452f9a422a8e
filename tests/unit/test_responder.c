/*
 * Unit tests for handlers/responder.c with the shipped catalogs: what a
 * message does for its person — STOP and START with their confirmation,
 * the menu and the numbers that answer it while it is open, the answers
 * of the information topics with their links and tags, the inbox and its
 * acknowledgement (during the agents' hours, later today, the next
 * working day), the pause of a reply loop, and the locale that follows
 * the person. Times are written as UTC by hand; Casablanca is at +00.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "handlers/responder.h"

static struct catalog *cat;
static struct keywords *kw;
static struct responder_settings settings;
static const char *const links[] = { "https://e.ma/f", "https://a.ma/e", "", "https://s.ma/c" };
static const char *const tags[] = { "interest:training referred:entraide", "interest:employment referred:anapec",
	"interest:residency", "interest:covid" };

/* 2026-12-03 (a Thursday) at h:m UTC, in ms. */
static long long
thursday(int h, int m)
{
	struct tm tm = { .tm_year = 126, .tm_mon = 11, .tm_mday = 3, .tm_hour = h, .tm_min = m };

	return (long long)timegm(&tm) * 1000;
}

static int
setup(void **state)
{
	char why[300];

	(void)state;
	setenv("TZ", "Africa/Casablanca", 1);
	tzset();
	cat = catalog_new();
	assert_int_equal(catalog_load_dir(cat, "locales", why, sizeof why), 0);
	kw = keywords_new(cat, why, sizeof why);
	if (kw == NULL)
		fail_msg("keywords: %s", why);
	settings.catalog = cat;
	settings.keywords = kw;
	settings.chain = "ary-Latn ary ar fr en";
	settings.answer = true;
	settings.menu_ttl_s = 1800;
	settings.max_per_minute = 10;
	settings.mute_s = 900;
	settings.links = links;
	settings.tags = tags;
	assert_int_equal(zone_quiet_parse("09:00-17:00", &settings.hours, why, sizeof why), 0);
	assert_int_equal(zone_days_parse("mon-fri", &settings.days, why, sizeof why), 0);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	keywords_free(kw);
	catalog_free(cat);
	return 0;
}

/* A person with stored locale loc and nothing open. */
static void
person(struct responder_state *st, const char *loc)
{
	memset(st, 0, sizeof *st);
	st->locale = loc;
	st->first_name = "";
	st->menu = "";
	st->recent = 1;
}

static void
decide(const struct responder_state *st, const char *text, long long now, struct responder_plan *p)
{
	struct responder_in in = { text, strlen(text), "text", now };

	responder_decide(&settings, st, &in, p);
}

static void
test_stop_and_start(void **state)
{
	struct responder_state st;
	struct responder_plan p;

	(void)state;
	person(&st, "fr");
	decide(&st, "STOP", thursday(10, 0), &p);
	assert_int_equal(p.topic, KEYWORDS_STOP);
	assert_string_equal(p.consent, "no");
	assert_string_equal(p.reply, catalog_get(cat, "fr", "confirm.stop"));
	assert_string_equal(p.menu, "");
	assert_false(p.converse);
	responder_plan_free(&p);
	decide(&st, "start", thursday(10, 0), &p);
	assert_int_equal(p.topic, KEYWORDS_START);
	assert_string_equal(p.consent, "yes");
	assert_string_equal(p.reply, catalog_get(cat, "fr", "confirm.start"));
	responder_plan_free(&p);
	/* Muted or not, STOP is STOP; only the confirmation waits. */
	st.recent = 11;
	decide(&st, "stop", thursday(10, 0), &p);
	assert_string_equal(p.consent, "no");
	assert_null(p.reply);
	assert_true(p.muted);
	responder_plan_free(&p);
}

static void
test_menu_numbers(void **state)
{
	struct responder_state st;
	struct responder_plan p;
	long long now = thursday(10, 0);

	(void)state;
	person(&st, "ary-Latn");
	decide(&st, "menu", now, &p);
	assert_int_equal(p.topic, KEYWORDS_MENU);
	assert_string_equal(p.menu, "training employment residency covid agent");
	assert_int_equal(p.menu_until_ms, now + 1800 * 1000);
	assert_string_equal(p.reply, catalog_get(cat, "ary-Latn", "reply.menu"));
	responder_plan_free(&p);
	/* Open: 2 is employment, ٤ (Eastern 4) covid, 5 the agent. */
	st.menu = "training employment residency covid agent";
	st.menu_until_ms = now + 60000;
	decide(&st, "2", now, &p);
	assert_int_equal(p.topic, KEYWORDS_EMPLOYMENT);
	assert_true(p.by_menu);
	assert_string_equal(p.tags, tags[1]);
	assert_non_null(strstr(p.reply, "https://a.ma/e"));
	responder_plan_free(&p);
	decide(&st, "\xd9\xa4", now, &p);
	assert_int_equal(p.topic, KEYWORDS_COVID);
	responder_plan_free(&p);
	decide(&st, "5", now, &p);
	assert_int_equal(p.topic, KEYWORDS_AGENT);
	assert_true(p.converse);
	responder_plan_free(&p);
	/* Muted: the menu is not sent, so it does not open. */
	st.recent = 11;
	decide(&st, "menu", now, &p);
	assert_null(p.reply);
	assert_null(p.menu);
	responder_plan_free(&p);
	st.recent = 1;
	/* Past its end, or once it expired: the menu again. */
	decide(&st, "9", now, &p);
	assert_int_equal(p.topic, KEYWORDS_MENU);
	assert_false(p.by_menu);
	responder_plan_free(&p);
	st.menu_until_ms = now - 1;
	decide(&st, "2", now, &p);
	assert_int_equal(p.topic, KEYWORDS_MENU);
	assert_string_equal(p.reply, catalog_get(cat, "ary-Latn", "reply.menu"));
	responder_plan_free(&p);
}

static void
test_information_topic(void **state)
{
	struct responder_state st;
	struct responder_plan p;

	(void)state;
	person(&st, "fr");
	decide(&st, "je cherche une formation", thursday(10, 0), &p);
	assert_int_equal(p.topic, KEYWORDS_TRAINING);
	assert_string_equal(p.tags, tags[0]);
	assert_non_null(strstr(p.reply, "https://e.ma/f"));
	assert_null(strstr(p.reply, "{link}"));
	assert_null(p.consent);
	assert_null(p.menu);
	responder_plan_free(&p);
	/* Answers off: the choice is recorded, nothing is sent. */
	settings.answer = false;
	decide(&st, "formation", thursday(10, 0), &p);
	assert_int_equal(p.topic, KEYWORDS_TRAINING);
	assert_null(p.reply);
	assert_string_equal(p.tags, tags[0]);
	settings.answer = true;
	responder_plan_free(&p);
}

/* The acknowledgement says when an agent will answer: today before closing, later today, the next working day. */
static void
test_inbox_acknowledgement(void **state)
{
	struct responder_state st;
	struct responder_plan p;
	char want[512];

	(void)state;
	person(&st, "fr");
	decide(&st, "Bonjour, j'ai perdu mon passeport", thursday(10, 0), &p);
	assert_int_equal(p.topic, KEYWORDS_NONE);
	assert_true(p.converse);
	assert_string_equal(p.reply_key, "inbox.ack_open");
	assert_non_null(strstr(p.reply, "17:00"));
	responder_plan_free(&p);
	decide(&st, "Bonjour, j'ai perdu mon passeport", thursday(7, 30), &p);
	assert_string_equal(p.reply_key, "inbox.ack_later");
	snprintf(want, sizeof want, "%s", catalog_get(cat, "fr", "day.today"));
	assert_non_null(strstr(p.reply, want));
	assert_non_null(strstr(p.reply, "09:00"));
	responder_plan_free(&p);
	decide(&st, "Bonjour, j'ai perdu mon passeport", thursday(18, 0), &p);
	assert_non_null(strstr(p.reply, catalog_get(cat, "fr", "day.tomorrow")));
	responder_plan_free(&p);
	/* Friday evening: Monday. */
	decide(&st, "Bonjour, j'ai perdu mon passeport", thursday(18, 0) + 86400000LL, &p);
	assert_non_null(strstr(p.reply, catalog_get(cat, "fr", "day.mon")));
	responder_plan_free(&p);
	/* Once the conversation is open: no second acknowledgement; asking for an agent gets a short answer. */
	st.conversation_open = true;
	decide(&st, "Vous êtes là ?", thursday(10, 0), &p);
	assert_true(p.converse);
	assert_null(p.reply);
	responder_plan_free(&p);
	decide(&st, "agent", thursday(10, 0), &p);
	assert_string_equal(p.reply, catalog_get(cat, "fr", "reply.agent"));
	responder_plan_free(&p);
	/* And a topic still gets its answer, the message going to the conversation too. */
	decide(&st, "emploi", thursday(10, 0), &p);
	assert_int_equal(p.topic, KEYWORDS_EMPLOYMENT);
	assert_true(p.converse);
	assert_non_null(p.reply);
	responder_plan_free(&p);
}

/* A reaction is kept in the thread only; a voice note (media without text) reaches an agent. */
static void
test_silent_types(void **state)
{
	struct responder_state st;
	struct responder_plan p;
	struct responder_in reaction = { "", 0, "reaction", thursday(10, 0) };
	struct responder_in voice = { "", 0, "audio", thursday(10, 0) };

	(void)state;
	person(&st, "fr");
	responder_decide(&settings, &st, &reaction, &p);
	assert_false(p.converse);
	assert_null(p.reply);
	responder_plan_free(&p);
	responder_decide(&settings, &st, &voice, &p);
	assert_true(p.converse);
	assert_string_equal(p.reply_key, "inbox.ack_open");
	responder_plan_free(&p);
}

static void
test_reply_loop_paused(void **state)
{
	struct responder_state st;
	struct responder_plan p;
	long long now = thursday(10, 0);

	(void)state;
	person(&st, "fr");
	st.recent = 10;
	decide(&st, "formation", now, &p);
	assert_false(p.muted);
	assert_non_null(p.reply);
	responder_plan_free(&p);
	/* The 11th in the minute starts the pause, once. */
	st.recent = 11;
	decide(&st, "formation", now, &p);
	assert_true(p.muted);
	assert_null(p.reply);
	assert_int_equal(p.mute_until_ms, now + 900 * 1000);
	responder_plan_free(&p);
	st.recent = 12;
	decide(&st, "formation", now, &p);
	assert_true(p.muted);
	assert_int_equal(p.mute_until_ms, 0);
	responder_plan_free(&p);
	/* The minute turned, the pause has not ended. */
	st.recent = 1;
	st.muted_until_ms = now + 1000;
	decide(&st, "formation", now, &p);
	assert_true(p.muted);
	responder_plan_free(&p);
	st.muted_until_ms = now - 1;
	decide(&st, "formation", now, &p);
	assert_false(p.muted);
	responder_plan_free(&p);
}

/* The answer's language is the one written in; the stored locale follows. */
static void
test_locale_follows(void **state)
{
	struct responder_state st;
	struct responder_plan p;

	(void)state;
	person(&st, "fr");
	decide(&st, "خدمة", thursday(10, 0), &p);
	assert_int_equal(p.topic, KEYWORDS_EMPLOYMENT);
	assert_non_null(p.set_locale);
	assert_true(strcmp(p.locale, "ar") == 0 || strcmp(p.locale, "ary") == 0);
	assert_string_equal(
	    p.reply, catalog_get(cat, p.locale, "reply.employment") != NULL ? p.reply : "no reply.employment");
	responder_plan_free(&p);
	/* A number says nothing of a language: the stored one stays. */
	decide(&st, "3", thursday(10, 0), &p);
	assert_null(p.set_locale);
	assert_string_equal(p.locale, "fr");
	responder_plan_free(&p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stop_and_start),
		cmocka_unit_test(test_menu_numbers),
		cmocka_unit_test(test_information_topic),
		cmocka_unit_test(test_inbox_acknowledgement),
		cmocka_unit_test(test_reply_loop_paused),
		cmocka_unit_test(test_silent_types),
		cmocka_unit_test(test_locale_follows),
	};

	return cmocka_run_group_tests_name("responder", tests, setup, teardown);
}
