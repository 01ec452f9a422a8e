/*
 * Text normalisation for keyword matching, in three passes: bad bytes and
 * control characters become spaces (so utf8proc always sees valid UTF-8),
 * utf8proc applies NFKC, case folding and mark stripping, and a last pass
 * merges the Arabic letter variants people type interchangeably and cuts
 * the text into words. Owns nothing between calls.
 */
#include "handlers/normalise.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "gateway/util/xmalloc.h"

/*
 * NFKC (COMPAT + COMPOSE) with case folding; STRIPMARK drops combining
 * marks, which after decomposition are the accents of Latin letters, the
 * Arabic harakat, shadda and the hamza of أ إ آ ؤ ئ, and the keycap of
 * "2️⃣"; IGNORE drops default-ignorable characters (ZWJ, ZWNJ, variation
 * selectors, direction marks).
 */
#define NORMALISE_OPTIONS                                                                                              \
	(UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT | UTF8PROC_CASEFOLD | UTF8PROC_STRIPMARK |               \
	    UTF8PROC_IGNORE)

#define NORMALISE_TATWEEL 0x0640

/*
 * The Arabic article with the particles written joined to it ("al", "wal",
 * "bal", "kal", "fal", "lil"): a word's key is its stem, so "الشغل",
 * "والشغل" and "شغل" are one word. The stem keeps NORMALISE_STEM_MIN
 * letters at least, so short words that merely start the same way stay.
 */
#define NORMALISE_STEM_MIN 3
static const uint32_t normalise_articles[][3] = {
	{ 0x0648, 0x0627, 0x0644 }, /* وال */
	{ 0x0628, 0x0627, 0x0644 }, /* بال */
	{ 0x0643, 0x0627, 0x0644 }, /* كال */
	{ 0x0641, 0x0627, 0x0644 }, /* فال */
	{ 0x0627, 0x0644, 0 },      /* ال */
	{ 0x0644, 0x0644, 0 },      /* لل */
};

/* The letters an Arabizi digit stands for (hamza, written 2, is mostly left unwritten in Latin letters). */
static const char *const normalise_arabizi[10] = { [2] = "", [3] = "a", [5] = "kh", [7] = "h", [9] = "q" };

static void normalise_clean(const char *text, size_t len, struct buf *out);
static utf8proc_int32_t *normalise_map(const struct buf *clean, size_t *n);
static uint32_t normalise_letter(uint32_t cp);
static bool normalise_word_char(uint32_t cp);
static bool normalise_latin(uint32_t cp);
static void normalise_put(struct buf *out, uint32_t cp);

/* Copies text as valid UTF-8: a byte that starts no character, or a control character, becomes a space. */
static void
normalise_clean(const char *text, size_t len, struct buf *out)
{
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)text;
	size_t i = 0;

	while (i < len) {
		utf8proc_int32_t cp;
		utf8proc_ssize_t n = utf8proc_iterate(p + i, (utf8proc_ssize_t)(len - i), &cp);

		if (n <= 0 || cp < 0x20 || (cp >= 0x7F && cp < 0xA0)) {
			buf_append(out, " ", 1);
			i += n > 0 ? (size_t)n : 1;
		} else {
			buf_append(out, p + i, (size_t)n);
			i += (size_t)n;
		}
	}
}

/* The code points of clean after utf8proc's NFKC, case folding and stripping; *n their count. */
static utf8proc_int32_t *
normalise_map(const struct buf *clean, size_t *n)
{
	const utf8proc_uint8_t *s = (const utf8proc_uint8_t *)(clean->data != NULL ? clean->data : "");
	/* Most texts do not grow; the first call says how much room a text that does needs. */
	size_t cap = clean->len + 16;
	utf8proc_int32_t *cps = xreallocarray(NULL, cap, sizeof *cps);
	utf8proc_ssize_t got;

	got = utf8proc_decompose(s, (utf8proc_ssize_t)clean->len, cps, (utf8proc_ssize_t)cap, NORMALISE_OPTIONS);
	if (got > (utf8proc_ssize_t)cap) {
		cap = (size_t)got;
		cps = xreallocarray(cps, cap, sizeof *cps);
		got =
		    utf8proc_decompose(s, (utf8proc_ssize_t)clean->len, cps, (utf8proc_ssize_t)cap, NORMALISE_OPTIONS);
	}
	if (got >= 0)
		got = utf8proc_normalize_utf32(cps, got, NORMALISE_OPTIONS);
	/* The input is valid UTF-8 and the options are fixed: only a broken invariant gets here. */
	if (got < 0)
		abort();
	*n = (size_t)got;
	return cps;
}

/*
 * The letter cp is written as: Arabic letter variants merged (alef wasla
 * to alef, taa marbuta to haa, alef maqsura and the Persian yeh to yeh,
 * keheh to kaf), Arabic-Indic and Extended Arabic-Indic digits as ASCII,
 * and 0 for the tatweel, which only stretches a word and is dropped.
 */
static uint32_t
normalise_letter(uint32_t cp)
{
	if (cp >= 0x0660 && cp <= 0x0669)
		return '0' + (cp - 0x0660);
	if (cp >= 0x06F0 && cp <= 0x06F9)
		return '0' + (cp - 0x06F0);
	switch (cp) {
	case NORMALISE_TATWEEL:
		return 0;
	case 0x0671: /* ٱ */
		return 0x0627;
	case 0x0629: /* ة */
		return 0x0647;
	case 0x0649: /* ى */
	case 0x06CC: /* ی */
		return 0x064A;
	case 0x06A9: /* ک */
		return 0x0643;
	default:
		return cp;
	}
}

/* Letters and digits make words; format characters have been dropped and everything else separates. */
static bool
normalise_word_char(uint32_t cp)
{
	switch (utf8proc_category((utf8proc_int32_t)cp)) {
	case UTF8PROC_CATEGORY_LU:
	case UTF8PROC_CATEGORY_LL:
	case UTF8PROC_CATEGORY_LT:
	case UTF8PROC_CATEGORY_LM:
	case UTF8PROC_CATEGORY_LO:
	case UTF8PROC_CATEGORY_ND:
	case UTF8PROC_CATEGORY_NL:
	case UTF8PROC_CATEGORY_NO:
		return true;
	default:
		return false;
	}
}

/* A Latin letter as case folding and mark stripping leave them (a-z, ø, đ, ł, œ…). */
static bool
normalise_latin(uint32_t cp)
{
	return (cp >= 'a' && cp <= 'z') || (cp >= 0xC0 && cp <= 0x24F && cp != 0xD7 && cp != 0xF7) ||
	    (cp >= 0x1E00 && cp <= 0x1EFF);
}

/* Appends cp as UTF-8, the French ligatures œ and æ as two letters (people type "oeuvre" as often). */
static void
normalise_put(struct buf *out, uint32_t cp)
{
	char u[4];

	if (cp == 0x0153) {
		buf_append(out, "oe", 2);
	} else if (cp == 0x00E6) {
		buf_append(out, "ae", 2);
	} else {
		size_t n = utf8_encode(cp, u);

		buf_append(out, u, n);
	}
}

size_t
normalise_text(const char *text, size_t len, struct buf *out)
{
	struct buf clean;
	utf8proc_int32_t *cps;
	size_t n, words = 0;
	bool in_word = false;

	buf_init(&clean);
	normalise_clean(text, len < NORMALISE_TEXT_MAX ? len : NORMALISE_TEXT_MAX, &clean);
	cps = normalise_map(&clean, &n);
	buf_free(&clean);
	for (size_t i = 0; i < n; i++) {
		uint32_t cp = (uint32_t)cps[i];

		if (utf8proc_category(cps[i]) == UTF8PROC_CATEGORY_CF)
			continue;
		if ((cp = normalise_letter(cp)) == 0)
			continue;
		if (!normalise_word_char(cp)) {
			in_word = false;
			continue;
		}
		if (!in_word) {
			if (words > 0)
				buf_append(out, " ", 1);
			words++;
			in_word = true;
		}
		normalise_put(out, cp);
	}
	free(cps);
	return words;
}

size_t
normalise_key(const char *word, size_t len, uint32_t *out)
{
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)word;
	uint32_t head[3] = { 0, 0, 0 };
	size_t i, n = 0, count = 0, skip = 0;
	bool latin = false;
	utf8proc_int32_t cp;
	utf8proc_ssize_t step;

	for (i = 0; i < len; i += (size_t)step, count++) {
		if ((step = utf8proc_iterate(p + i, (utf8proc_ssize_t)(len - i), &cp)) <= 0)
			break;
		latin = latin || normalise_latin((uint32_t)cp);
		if (count < 3)
			head[count] = (uint32_t)cp;
	}
	for (size_t a = 0; a < sizeof normalise_articles / sizeof normalise_articles[0] && skip == 0; a++) {
		size_t alen = normalise_articles[a][2] != 0 ? 3 : 2;

		if (count >= alen + NORMALISE_STEM_MIN && memcmp(head, normalise_articles[a], alen * sizeof *head) == 0)
			skip = alen;
	}
	for (i = 0, count = 0; i < len; i += (size_t)step) {
		const char *fold = NULL;

		if ((step = utf8proc_iterate(p + i, (utf8proc_ssize_t)(len - i), &cp)) <= 0)
			break;
		if (count++ < skip)
			continue;
		if (latin && cp >= '0' && cp <= '9')
			fold = normalise_arabizi[cp - '0'];
		if (fold == NULL) {
			/* Digits are never letters repeated for emphasis: "2000" stays. */
			if (n == 0 || out[n - 1] != (uint32_t)cp || (cp >= '0' && cp <= '9'))
				out[n++] = (uint32_t)cp;
			continue;
		}
		for (; *fold != '\0'; fold++)
			if (n == 0 || out[n - 1] != (uint32_t)*fold)
				out[n++] = (uint32_t)*fold;
	}
	return n;
}
