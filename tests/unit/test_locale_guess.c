/*
 * Unit tests for locales/locale_guess.c: replies people actually send in
 * Morocco — French, Arabic, Darija in Arabic script or in Latin letters and
 * digits, mixes of them — get the locale a reader would pick, and text with
 * no letters (or broken UTF-8) leaves the choice to the caller.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "locales/locale_guess.h"

static void expect(const char *text, const char *want);
static void test_french(void **state);
static void test_arabic(void **state);
static void test_darija_arabic_script(void **state);
static void test_arabizi(void **state);
static void test_darija_words(void **state);
static void test_french_with_numbers(void **state);
static void test_mixed(void **state);
static void test_no_letters(void **state);
static void test_invalid_utf8(void **state);
static void test_length_respected(void **state);

static void
expect(const char *text, const char *want)
{
	const char *got = locale_guess(text, strlen(text));

	if (want == NULL && got != NULL)
		fail_msg("\"%s\": got %s, want NULL", text, got);
	if (want != NULL && (got == NULL || strcmp(got, want) != 0))
		fail_msg("\"%s\": got %s, want %s", text, got != NULL ? got : "NULL", want);
}

static void
test_french(void **state)
{
	(void)state;
	expect("Bonjour, je voudrais m'inscrire \xc3\xa0 la formation", "fr");
	expect("Merci beaucoup", "fr");
	expect("STOP", "fr");
	expect("Oui", "fr");
	expect("\xc3\x87"
	       "a marche tr\xc3\xa8s bien, \xc3\xa0 demain !",
	    "fr");
	/* "fin" is Darija for "where", but not in a French sentence. */
	expect("C'est la fin de la formation ?", "fr");
	/* A greeting in Darija does not make the rest Darija. */
	expect("Salam, je voudrais savoir o\xc3\xb9 est le centre", "fr");
}

static void
test_arabic(void **state)
{
	(void)state;
	/* "السلام عليكم" */
	expect("\xd8\xa7\xd9\x84\xd8\xb3\xd9\x84\xd8\xa7\xd9\x85 \xd8\xb9\xd9\x84\xd9\x8a\xd9\x83\xd9\x85", "ar");
	/* "شكرا جزيلا؟" with an Arabic question mark and Arabic-Indic digits "١٢" */
	expect(
	    "\xd8\xb4\xd9\x83\xd8\xb1\xd8\xa7 \xd8\xac\xd8\xb2\xd9\x8a\xd9\x84\xd8\xa7\xd8\x9f \xd9\xa1\xd9\xa2", "ar");
	/* Presentation forms: "ﻻ" (U+FEFB) */
	expect("\xef\xbb\xbb", "ar");
	/* Arabic supplement (U+0750) and extended-A (U+08A0). */
	expect("\xdd\x90\xe0\xa2\xa0", "ar");
}

static void
test_darija_arabic_script(void **state)
{
	(void)state;
	/* "بغيت نعرف واش كاين التكوين" */
	expect("\xd8\xa8\xd8\xba\xd9\x8a\xd8\xaa \xd9\x86\xd8\xb9\xd8\xb1\xd9\x81 \xd9\x88\xd8\xa7\xd8\xb4 "
	       "\xd9\x83\xd8\xa7\xd9\x8a\xd9\x86 \xd8\xa7\xd9\x84\xd8\xaa\xd9\x83\xd9\x88\xd9\x8a\xd9\x86",
	    "ar");
	/* "مزيان بزاف" */
	expect("\xd9\x85\xd8\xb2\xd9\x8a\xd8\xa7\xd9\x86 \xd8\xa8\xd8\xb2\xd8\xa7\xd9\x81", "ar");
}

static void
test_arabizi(void **state)
{
	(void)state;
	expect("3afak", "ary-Latn");
	expect("7na hna", "ary-Latn");
	expect("wa9t l formation?", "ary-Latn");
	expect("bghit n3ref chhal taman", "ary-Latn");
	expect("M3A LA3CHIYA", "ary-Latn");
	expect("lbe7 kan mzyan", "ary-Latn");
	expect("sa7bi", "ary-Latn");
	expect("2ahlan", "ary-Latn");
	expect("5ouya", "ary-Latn");
}

static void
test_darija_words(void **state)
{
	(void)state;
	expect("Salam", "ary-Latn");
	expect("salam khoya", "ary-Latn");
	expect("WACH kayn chi formation daba?", "ary-Latn");
	expect("Chokran bezzaf", "ary-Latn");
	expect("choukran", "ary-Latn");
	expect("shukran!", "ary-Latn");
	expect("labas, safi wakha", "ary-Latn");
	expect("kifach ndir?", "ary-Latn");
	expect("fin?", "ary-Latn");
	expect("Mzyana bzaf", "ary-Latn");
	expect("3lach?", "ary-Latn");
	/* A mostly Darija reply with a French word. */
	expect("merci bzaf khoya, safi", "ary-Latn");
	/* Whole words only: "salamandre" and "safari" are not Darija. */
	expect("salamandre", "fr");
	expect("safari", "fr");
}

/* Numbers next to letters in French are times, ordinals, units and names, not Arabizi. */
static void
test_french_with_numbers(void **state)
{
	(void)state;
	expect("Rendez-vous a 9h30", "fr");
	expect("9h", "fr");
	expect("au 2eme etage", "fr");
	expect("5km", "fr");
	expect("3D", "fr");
	expect("un mp3", "fr");
	expect("niveau B2", "fr");
	expect("covid19", "fr");
	expect("25km", "fr");
	expect("h24", "fr");
}

static void
test_mixed(void **state)
{
	(void)state;
	/* Mostly Arabic with a Latin word: "شكرا OK بزاف" */
	expect("\xd8\xb4\xd9\x83\xd8\xb1\xd8\xa7 OK \xd8\xa8\xd8\xb2\xd8\xa7\xd9\x81", "ar");
	/* Mostly French with an Arabic word. */
	expect("Bonjour \xd8\xb3\xd9\x84\xd8\xa7\xd9\x85, je veux des informations sur la formation", "fr");
	/* Mostly Arabizi with an Arabic word. */
	expect("salam \xd8\xb3\xd9\x84\xd8\xa7\xd9\x85 bghit n3ref wach kayna", "ary-Latn");
	/* Emoji and digits around words do not count. */
	expect("\xf0\x9f\x91\x8d\xf0\x9f\x91\x8d 3afak \xf0\x9f\x99\x8f 0612345678", "ary-Latn");
	expect("\xf0\x9f\x91\x8d merci", "fr");
}

static void
test_no_letters(void **state)
{
	(void)state;
	assert_null(locale_guess("", 0));
	assert_null(locale_guess(NULL, 0));
	expect("1", NULL);
	expect("0612345678", NULL);
	expect("  ?!...  ", NULL);
	expect("3", NULL);
	expect("\xf0\x9f\x91\x8d", NULL);
	expect("\xf0\x9f\x99\x8f\xf0\x9f\x8f\xbd \xe2\x9d\xa4\xef\xb8\x8f", NULL);
	/* Arabic-Indic digits and punctuation only. */
	expect("\xd9\xa1\xd9\xa2\xd9\xa3\xd8\x9f", NULL);
	/* A byte order mark is not a letter. */
	expect("\xef\xbb\xbf", NULL);
}

static void
test_invalid_utf8(void **state)
{
	(void)state;
	expect("\xff\xfe\xc0\xaf\xed\xa0\x80", NULL);
	/* Latin-1 "café" with the bad byte skipped. */
	expect("merci caf\xe9", "fr");
	/* A truncated Arabic letter at the end, after an Arabic word. */
	expect("\xd8\xb3\xd9\x84\xd8\xa7\xd9\x85 \xd8", "ar");
	/* Continuation bytes alone, then Arabizi. */
	expect("\x80\x80\xbf 3afak", "ary-Latn");
	/* A bad byte in the middle splits a word: "sa" and "lam" are neither Darija nor French. */
	expect("sa\xfflam", "fr");
}

/* Only len bytes are read. */
static void
test_length_respected(void **state)
{
	static const char text[] = "3afak \xd8\xb3\xd9\x84\xd8\xa7\xd9\x85\xd8\xb3\xd9\x84\xd8\xa7\xd9\x85";

	(void)state;
	assert_string_equal(locale_guess(text, 5), "ary-Latn");
	assert_string_equal(locale_guess(text, sizeof text - 1), "ar");
	assert_null(locale_guess(text, 0));
	/* Cut inside a letter. */
	assert_string_equal(locale_guess(text + 6, 3), "ar");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_french),
		cmocka_unit_test(test_arabic),
		cmocka_unit_test(test_darija_arabic_script),
		cmocka_unit_test(test_arabizi),
		cmocka_unit_test(test_darija_words),
		cmocka_unit_test(test_french_with_numbers),
		cmocka_unit_test(test_mixed),
		cmocka_unit_test(test_no_letters),
		cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_length_respected),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
