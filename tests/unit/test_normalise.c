/*
 * Unit tests for handlers/normalise.c: each rule of docs/design.md,
 * "Keywords", on texts written by hand (case, accents, ligatures, NFKC,
 * Arabic harakat, tatweel and letter variants, Eastern digits,
 * separators, the length bound), broken UTF-8, and the keys words are
 * matched by (Arabizi digits, repeated letters, the Arabic article).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "gateway/util/buf.h"
#include "handlers/normalise.h"

static void expect_len(const char *text, size_t len, const char *want, size_t words);
static void expect(const char *text, const char *want, size_t words);
static void expect_key(const char *word, const char *want);

/* Normalises text[0..len) and checks the result and its word count. */
static void
expect_len(const char *text, size_t len, const char *want, size_t words)
{
	struct buf out;
	size_t n;

	buf_init(&out);
	n = normalise_text(text, len, &out);
	if (strcmp(out.data != NULL ? out.data : "", want) != 0 || n != words)
		fail_msg("\"%s\": got \"%s\" (%zu words), want \"%s\" (%zu)", text, out.data != NULL ? out.data : "", n,
		    want, words);
	buf_free(&out);
}

static void
expect(const char *text, const char *want, size_t words)
{
	expect_len(text, strlen(text), want, words);
}

/* The key of one normalised word, written back as UTF-8 to compare. */
static void
expect_key(const char *word, const char *want)
{
	uint32_t key[64];
	size_t n = normalise_key(word, strlen(word), key);
	struct buf got;

	buf_init(&got);
	for (size_t i = 0; i < n; i++) {
		char u[4];

		buf_append(&got, u, utf8_encode(key[i], u));
	}
	if (strcmp(got.data != NULL ? got.data : "", want) != 0)
		fail_msg("key of \"%s\": got \"%s\", want \"%s\"", word, got.data != NULL ? got.data : "", want);
	buf_free(&got);
}

static void
test_case_and_accents(void **state)
{
	(void)state;
	expect("STOP", "stop", 1);
	expect("Arrêtez", "arretez", 1);
	expect("é è ê ë à â ç ô î ï ù û ü ÿ ñ", "e e e e a a c o i i u u u y n", 15);
	expect("ÉCOLE Santé", "ecole sante", 2);
	/* Full case folding: ß is "ss", the dotted capital I is i. */
	expect("Straße İstanbul", "strasse istanbul", 2);
	/* French ligatures typed either way are one spelling. */
	expect("Œuvre cœur Æsop", "oeuvre coeur aesop", 3);
}

static void
test_compatibility_forms(void **state)
{
	(void)state;
	/* Full-width letters, the fi ligature, circled and superscript digits (NFKC). */
	expect("ＳＴＯＰ", "stop", 1);
	expect("ﬁn", "fin", 1);
	expect("①", "1", 1);
	expect("x²", "x2", 1);
	/* A keycap emoji is its digit: the variation selector and the keycap mark go. */
	expect("2\xef\xb8\x8f\xe2\x83\xa3", "2", 1);
}

static void
test_arabic(void **state)
{
	(void)state;
	/* Harakat and shadda. */
	expect("وَقِّف", "وقف", 1);
	expect("خِدْمَة", "خدمه", 1);
	/* Tatweel stretches a word without cutting it. */
	expect("وقـــف", "وقف", 1);
	expect("خــدمـة", "خدمه", 1);
	/* أ إ آ ٱ are alef; ى is yeh; ة is haa. */
	expect("أنا إلى آخر ٱلطريق", "انا الي اخر الطريق", 4);
	expect("صحة مستشفى", "صحه مستشفي", 2);
	/* The hamza on waw and yeh goes too. */
	expect("مسؤول قائمة", "مسوول قايمه", 2);
	/* The Persian yeh and keheh are the Arabic letters. */
	expect("\xdb\x8c\xda\xa9", "يك", 1);
	/* Presentation forms (the lam-alef ligature, a final taa marbuta). */
	expect("\xef\xbb\xbb \xef\xba\x94", "لا ه", 2);
	/* Direction marks and joiners vanish without cutting the word. */
	expect("\xe2\x80\x8fوقف\xe2\x80\x8c", "وقف", 1);
	expect("ab\xe2\x80\x8d"
	       "c",
	    "abc", 1);
}

static void
test_digits(void **state)
{
	(void)state;
	expect("٠١٢٣٤٥٦٧٨٩", "0123456789", 1);
	expect("۱۲۳", "123", 1);
	expect("٢", "2", 1);
	expect("الخيار ٣", "الخيار 3", 2);
}

static void
test_separators(void **state)
{
	(void)state;
	expect("stop!!!svp", "stop svp", 2);
	expect("STOP🙏svp", "stop svp", 2);
	expect("l'emploi", "l emploi", 2);
	expect("l’emploi", "l emploi", 2);
	expect("covid-19", "covid 19", 2);
	expect("a,b;c.d/e", "a b c d e", 5);
	expect("«formation»", "formation", 1);
	expect("👍 formation 👍🏽", "formation", 1);
	expect("  a \t\r\n b  ", "a b", 2);
	expect("a\xc2\xa0"
	       "b",
	    "a b", 2);
	expect(" 2. ", "2", 1);
	expect("a\x01"
	       "b\x7f"
	       "c",
	    "a b c", 3);
	expect("¿¡...!?", "", 0);
	expect("🙏🙏", "", 0);
	expect("", "", 0);
}

static void
test_invalid_utf8(void **state)
{
	(void)state;
	/* A byte that starts no character separates words, whatever it is. */
	expect("\xff", "", 0);
	expect("a\xff"
	       "b",
	    "a b", 2);
	expect("ab\xc3"
	       "cd",
	    "ab cd", 2);
	/* Overlong, surrogate and past-U+10FFFF encodings, a cut character at the end. */
	expect("x\xc0\xaf"
	       "y",
	    "x y", 2);
	expect("x\xed\xa0\x80"
	       "y",
	    "x y", 2);
	expect("x\xf4\x90\x80\x80"
	       "y",
	    "x y", 2);
	expect("stop\xe2\x82", "stop", 1);
	expect("\xfe\xfeSTOP\xfe", "stop", 1);
	/* A NUL byte inside the given length is a separator, not the end. */
	expect_len("a\0b", 3, "a b", 2);
}

static void
test_length_bound(void **state)
{
	char *text = malloc(NORMALISE_TEXT_MAX + 1000), *want = malloc(NORMALISE_TEXT_MAX + 1);

	(void)state;
	memset(text, 'a', NORMALISE_TEXT_MAX + 1000);
	memset(want, 'a', NORMALISE_TEXT_MAX);
	want[NORMALISE_TEXT_MAX] = '\0';
	expect_len(text, NORMALISE_TEXT_MAX + 1000, want, 1);
	/* A character cut by the bound is dropped, the rest kept. */
	text[NORMALISE_TEXT_MAX - 1] = '\xc3';
	text[NORMALISE_TEXT_MAX] = '\xa9';
	want[NORMALISE_TEXT_MAX - 1] = '\0';
	expect_len(text, NORMALISE_TEXT_MAX + 1000, want, 1);
	free(text);
	free(want);
}

static void
test_keys(void **state)
{
	(void)state;
	/* Arabizi digits in a Latin word: 5 kh, 7 h, 9 q, 3 a, 2 dropped. */
	expect_key("5edma", "khedma");
	expect_key("w9ef", "wqef");
	expect_key("sa7a", "saha");
	expect_key("3afak", "afak");
	expect_key("mas2ala", "masala");
	/* Then repeated letters once: "se77a" is "sehha" is "seha". */
	expect_key("se77a", "seha");
	expect_key("sehha", "seha");
	expect_key("stoooop", "stop");
	expect_key("arret", "aret");
	/* A word of digits alone is a number, kept as it is. */
	expect_key("2000", "2000");
	expect_key("12", "12");
	/* Other digits in a Latin word stay. */
	expect_key("covid19", "covid1q");
	/* The Arabic article and the particles joined to it, when three letters stay. */
	expect_key("الشغل", "شغل");
	expect_key("والشغل", "شغل");
	expect_key("بالتكوين", "تكوين");
	expect_key("للتكوين", "تكوين");
	expect_key("الدوا", "دوا");
	expect_key("الم", "الم");
	/* Digits in an Arabic word are not Arabizi. */
	expect_key("كوفيد19", "كوفيد19");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_case_and_accents),
		cmocka_unit_test(test_compatibility_forms),
		cmocka_unit_test(test_arabic),
		cmocka_unit_test(test_digits),
		cmocka_unit_test(test_separators),
		cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_length_bound),
		cmocka_unit_test(test_keys),
	};

	return cmocka_run_group_tests_name("normalise", tests, NULL, NULL);
}
