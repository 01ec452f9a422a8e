/*
 * Unit tests for locales/segments.c. Every expected figure is worked out
 * by hand in the comments from the rules carriers apply (GSM 03.38 basic
 * and extension tables; 160/153 septets, 70/67 UCS-2 units; no part splits
 * an escape sequence or a surrogate pair), never by calling the code.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "locales/segments.h"

static struct segments_result count(const char *text);
static char *repeat(const char *unit, int n, char *into);

static struct segments_result
count(const char *text)
{
	struct segments_result r;
	char why[128];

	assert_int_equal(segments_count(text, strlen(text), &r, why, sizeof why), 0);
	return r;
}

/* Appends unit n times to into (which must be big enough) and returns into. */
static char *
repeat(const char *unit, int n, char *into)
{
	for (int i = 0; i < n; i++)
		strcat(into, unit);
	return into;
}

static void
test_gsm7_single_and_parts(void **state)
{
	char *t = calloc(1, 4096);
	struct segments_result r;

	(void)state;
	r = count("Hello");
	assert_int_equal(r.encoding, SEGMENTS_GSM7);
	assert_int_equal(r.units, 5);
	assert_int_equal(r.segments, 1);
	assert_int_equal(r.per_segment, 160);
	/* 160 septets fit one SMS; 161 need two parts of at most 153. */
	r = count(repeat("a", 160, t));
	assert_int_equal(r.segments, 1);
	assert_int_equal(r.units, 160);
	r = count(strcat(t, "a"));
	assert_int_equal(r.segments, 2);
	assert_int_equal(r.units, 161);
	assert_int_equal(r.per_segment, 153);
	/* 306 = 2 x 153 exactly; 307 needs a third part. */
	t[0] = '\0';
	r = count(repeat("a", 306, t));
	assert_int_equal(r.segments, 2);
	r = count(strcat(t, "a"));
	assert_int_equal(r.segments, 3);
	r = count("");
	assert_int_equal(r.segments, 0);
	assert_int_equal(r.units, 0);
	free(t);
}

static void
test_gsm7_tables(void **state)
{
	/* The 128 positions of the basic table but the escape (0x1B): 127 characters, a septet each. */
	static const char basic[] = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
				    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
	struct segments_result r;

	(void)state;
	r = count(basic);
	assert_int_equal(r.encoding, SEGMENTS_GSM7);
	assert_int_equal(r.characters, 127);
	assert_int_equal(r.units, 127);
	assert_int_equal(r.nforced, 0);
	/* The extension table: ten characters, two septets each. */
	r = count("^{}\\[~]|€\f");
	assert_int_equal(r.encoding, SEGMENTS_GSM7);
	assert_int_equal(r.characters, 10);
	assert_int_equal(r.units, 20);
	/* 80 euro signs are 160 septets: one SMS; 81 are 162: parts of 152 (76 signs) and 10 (5). */
	{
		char t[400] = "";

		r = count(repeat("€", 80, t));
		assert_int_equal(r.segments, 1);
		r = count(strcat(t, "€"));
		assert_int_equal(r.units, 162);
		assert_int_equal(r.segments, 2);
	}
}

/* An escape sequence is never split: 152 + 2 + 152 = 306 septets make three parts, not two. */
static void
test_extension_at_part_boundary(void **state)
{
	char t[512] = "";
	struct segments_result r;

	(void)state;
	repeat("a", 152, t);
	strcat(t, "€");
	repeat("b", 152, t);
	r = count(t);
	assert_int_equal(r.encoding, SEGMENTS_GSM7);
	assert_int_equal(r.units, 306);
	/* Part 1: 152 a (the euro's two septets would make 154); part 2: € + 151 b = 153; part 3: 1 b. */
	assert_int_equal(r.segments, 3);
	/* One b fewer: 305 septets, and part 2 holds the rest (€ + 151 b = 153): two parts. */
	t[strlen(t) - 1] = '\0';
	r = count(t);
	assert_int_equal(r.units, 305);
	assert_int_equal(r.segments, 2);
	/* The escape exactly at the end of part 1: 151 a + € = 153, then 153 b: two parts. */
	memset(t, 0, sizeof t);
	repeat("a", 151, t);
	strcat(t, "€");
	repeat("b", 153, t);
	r = count(t);
	assert_int_equal(r.units, 306);
	assert_int_equal(r.segments, 2);
}

static void
test_ucs2_and_emoji_boundary(void **state)
{
	char t[1024] = "";
	struct segments_result r;

	(void)state;
	/* ê is not GSM-7: 70 of them fit one UCS-2 SMS, 71 need parts of 67. */
	r = count(repeat("ê", 70, t));
	assert_int_equal(r.encoding, SEGMENTS_UCS2);
	assert_int_equal(r.units, 70);
	assert_int_equal(r.segments, 1);
	assert_int_equal(r.per_segment, 70);
	r = count(strcat(t, "ê"));
	assert_int_equal(r.segments, 2);
	assert_int_equal(r.per_segment, 67);
	/* An emoji is outside the BMP: two units. 66 ê + 😀 + 66 x = 134 units, but the pair cannot
	 * straddle parts: 66 | 😀 + 65 x | 1 x, three parts where 134 / 67 would say two. */
	memset(t, 0, sizeof t);
	repeat("ê", 66, t);
	strcat(t, "😀");
	repeat("x", 66, t);
	r = count(t);
	assert_int_equal(r.units, 134);
	assert_int_equal(r.characters, 133);
	assert_int_equal(r.segments, 3);
	/* 69 x and one emoji: 71 units, over one SMS: 67 x | 2 x + 😀. */
	memset(t, 0, sizeof t);
	repeat("x", 69, t);
	strcat(t, "😀");
	r = count(t);
	assert_int_equal(r.units, 71);
	assert_int_equal(r.segments, 2);
	assert_int_equal(r.nforced, 1);
	assert_int_equal(r.forced[0].cp, 0x1F600);
	assert_null(r.forced[0].substitute);
	assert_false(r.substitutable);
}

static void
test_french(void **state)
{
	struct segments_result r;
	struct buf b;

	(void)state;
	/* é è à ù É Ç are in the basic table. */
	r = count("Formation gratuite à Salé : Électricité, inscrivez-vous. Ça commence lundi où vous voulez.");
	assert_int_equal(r.encoding, SEGMENTS_GSM7);
	/* ô and ç are not: named, with what could stand in for them. */
	r = count("Bientôt la leçon, bientôt");
	assert_int_equal(r.encoding, SEGMENTS_UCS2);
	assert_int_equal(r.nforced, 2);
	assert_int_equal(r.forced[0].cp, 0xF4);
	assert_int_equal(r.forced[0].count, 2);
	assert_string_equal(r.forced[0].substitute, "o");
	assert_int_equal(r.forced[1].cp, 0xE7);
	assert_string_equal(r.forced[1].substitute, "c");
	assert_true(r.substitutable);
	r = count("l’atelier « Emploi » — â ê î û ë ï œ");
	assert_true(r.substitutable);
	assert_int_equal(r.nforced, 11);
	buf_init(&b);
	segments_substitute("l’atelier « Emploi » — â ê î û ë ï œ", strlen("l’atelier « Emploi » — â ê î û ë ï œ"), &b);
	buf_append(&b, "", 1);
	assert_string_equal(b.data, "l'atelier \" Emploi \" - a e i u e i oe");
	r = count(b.data);
	assert_int_equal(r.encoding, SEGMENTS_GSM7);
	buf_free(&b);
}

static void
test_arabic_and_mixed(void **state)
{
	/* 5 Arabic letters, a space and 4 digits: ten UCS-2 units, in the order written. */
	static const char ar[] = "مرحبا 2026";
	struct segments_result r;
	struct buf b;

	(void)state;
	r = count(ar);
	assert_int_equal(r.encoding, SEGMENTS_UCS2);
	assert_int_equal(r.units, 10);
	assert_int_equal(r.segments, 1);
	assert_false(r.substitutable);
	/* Substitution leaves Arabic text as it is, byte for byte. */
	buf_init(&b);
	segments_substitute(ar, strlen(ar), &b);
	assert_int_equal(b.len, strlen(ar));
	assert_memory_equal(b.data, ar, b.len);
	buf_free(&b);
	/* Darija in Arabizi is plain GSM-7. */
	r = count("Salam, 3andek formation f Sla l'khamis 9bel 10h");
	assert_int_equal(r.encoding, SEGMENTS_GSM7);
	/* Mixed: French and Arabic, with a link: "Inscription ouverte " 20, 5 letters, a space, 14 = 40 units. */
	r = count("Inscription ouverte مجاني https://x.ma/a");
	assert_int_equal(r.encoding, SEGMENTS_UCS2);
	assert_int_equal(r.units, 40);
}

static void
test_invalid_utf8(void **state)
{
	static const char *const bad[] = { "\xC3\x28", "ab\xC0\xAF", "\xED\xA0\x80", "abc\xE2\x82", "\xF5\x80\x80\x80",
		"\xFF" };
	struct segments_result r;
	char why[128];

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		why[0] = '\0';
		assert_int_equal(segments_count(bad[i], strlen(bad[i]), &r, why, sizeof why), -1);
		assert_non_null(strstr(why, "not valid UTF-8 at byte"));
	}
	assert_int_equal(segments_count("a\0b", 3, &r, why, sizeof why), -1);
	assert_string_equal(why, "not valid UTF-8 at byte 1");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gsm7_single_and_parts),
		cmocka_unit_test(test_gsm7_tables),
		cmocka_unit_test(test_extension_at_part_boundary),
		cmocka_unit_test(test_ucs2_and_emoji_boundary),
		cmocka_unit_test(test_french),
		cmocka_unit_test(test_arabic_and_mixed),
		cmocka_unit_test(test_invalid_utf8),
	};

	return cmocka_run_group_tests_name("segments", tests, NULL, NULL);
}
