/*
 * GSM 03.38 tables (as the Unicode Consortium's GSM0338 mapping gives
 * them) and the part arithmetic of concatenated SMS: a 6-octet user data
 * header leaves 153 septets or 67 UCS-2 units per part. Substitutions are
 * the usual ones for French typography and accents, each to GSM-7 text.
 */
#include "locales/segments.h"

#include <stdio.h>
#include <string.h>

#define SEGMENTS_GSM_SINGLE 160
#define SEGMENTS_GSM_PART 153
#define SEGMENTS_UCS2_SINGLE 70
#define SEGMENTS_UCS2_PART 67

struct segments_sub {
	uint32_t cp;
	const char *to;
};

/* The basic table outside printable ASCII (which is all in it but ` ^ { } \ [ ] ~ |). */
static const uint32_t segments_basic[] = {
	0x00A3,
	0x00A5,
	0x00E8,
	0x00E9,
	0x00F9,
	0x00EC,
	0x00F2,
	0x00C7,
	0x000A,
	0x00D8,
	0x00F8,
	0x000D,
	0x00C5,
	0x00E5,
	0x0394,
	0x03A6,
	0x0393,
	0x039B,
	0x03A9,
	0x03A0,
	0x03A8,
	0x03A3,
	0x0398,
	0x039E,
	0x00C6,
	0x00E6,
	0x00DF,
	0x00C9,
	0x00A4,
	0x00A1,
	0x00C4,
	0x00D6,
	0x00D1,
	0x00DC,
	0x00A7,
	0x00BF,
	0x00E4,
	0x00F6,
	0x00F1,
	0x00FC,
	0x00E0,
};
/* The extension table: an escape septet and one more. */
static const uint32_t segments_ext[] = { 0x000C, '^', '{', '}', '\\', '[', '~', ']', '|', 0x20AC };

/* GSM-7 text for characters that force UCS-2; the accented ones lose only their accent. */
static const struct segments_sub segments_subs[] = {
	{ 0x2019, "'" },   /* ’ */
	{ 0x2018, "'" },   /* ‘ */
	{ 0x02BC, "'" },   /* ʼ */
	{ 0x00B4, "'" },   /* ´ */
	{ 0x0060, "'" },   /* ` */
	{ 0x00AB, "\"" },  /* « */
	{ 0x00BB, "\"" },  /* » */
	{ 0x201C, "\"" },  /* “ */
	{ 0x201D, "\"" },  /* ” */
	{ 0x201E, "\"" },  /* „ */
	{ 0x2013, "-" },   /* – */
	{ 0x2014, "-" },   /* — */
	{ 0x2026, "..." }, /* … */
	{ 0x00A0, " " },   /* no-break space */
	{ 0x202F, " " },   /* narrow no-break space, before ; : ! ? in French */
	{ 0x2009, " " },   /* thin space */
	{ 0x0009, " " },   /* tab */
	{ 0x00E7, "c" },   /* ç */
	{ 0x00E2, "a" },   /* â */
	{ 0x00EA, "e" },   /* ê */
	{ 0x00EE, "i" },   /* î */
	{ 0x00F4, "o" },   /* ô */
	{ 0x00FB, "u" },   /* û */
	{ 0x00EB, "e" },   /* ë */
	{ 0x00EF, "i" },   /* ï */
	{ 0x00FF, "y" },   /* ÿ */
	{ 0x00E1, "a" },   /* á */
	{ 0x00ED, "i" },   /* í */
	{ 0x00F3, "o" },   /* ó */
	{ 0x00FA, "u" },   /* ú */
	{ 0x0153, "oe" },  /* œ */
	{ 0x0152, "OE" },  /* Œ */
	{ 0x00C0, "A" },   /* À */
	{ 0x00C2, "A" },   /* Â */
	{ 0x00C8, "E" },   /* È */
	{ 0x00CA, "E" },   /* Ê */
	{ 0x00CB, "E" },   /* Ë */
	{ 0x00CE, "I" },   /* Î */
	{ 0x00CF, "I" },   /* Ï */
	{ 0x00D4, "O" },   /* Ô */
	{ 0x00D9, "U" },   /* Ù */
	{ 0x00DB, "U" },   /* Û */
};

static int segments_gsm_cost(uint32_t cp);
static int segments_decode(const unsigned char *s, size_t len, size_t *at, uint32_t *cp);
static const char *segments_sub_for(uint32_t cp);
static void segments_note(struct segments_result *r, uint32_t cp);
static unsigned segments_parts(const char *text, size_t len, bool gsm, unsigned part);

const char *
segments_encoding_name(enum segments_encoding e)
{
	return e == SEGMENTS_GSM7 ? "gsm7" : "ucs2";
}

/* Septets for cp in GSM-7 (1 or 2), or 0 when it has none. */
static int
segments_gsm_cost(uint32_t cp)
{
	if (cp >= 0x20 && cp < 0x7F) {
		for (size_t i = 0; i < sizeof segments_ext / sizeof segments_ext[0]; i++)
			if (segments_ext[i] == cp)
				return 2;
		return cp == '`' ? 0 : 1;
	}
	for (size_t i = 0; i < sizeof segments_basic / sizeof segments_basic[0]; i++)
		if (segments_basic[i] == cp)
			return 1;
	return cp == 0x000C || cp == 0x20AC ? 2 : 0;
}

/* One code point of strict UTF-8 at *at (no overlong forms, surrogates or NUL); -1 when there is none. */
static int
segments_decode(const unsigned char *s, size_t len, size_t *at, uint32_t *cp)
{
	size_t i = *at, n;
	uint32_t c = s[i];

	if (c == 0)
		return -1;
	if (c < 0x80) {
		*cp = c;
		*at = i + 1;
		return 0;
	}
	if (c >= 0xC2 && c <= 0xDF) {
		n = 1;
		c &= 0x1F;
	} else if (c >= 0xE0 && c <= 0xEF) {
		n = 2;
		c &= 0x0F;
	} else if (c >= 0xF0 && c <= 0xF4) {
		n = 3;
		c &= 0x07;
	} else {
		return -1;
	}
	if (i + n >= len)
		return -1;
	for (size_t k = 1; k <= n; k++) {
		if ((s[i + k] & 0xC0) != 0x80)
			return -1;
		c = (c << 6) | (s[i + k] & 0x3F);
	}
	if ((n == 2 && c < 0x800) || (n == 3 && (c < 0x10000 || c > 0x10FFFF)) || (c >= 0xD800 && c <= 0xDFFF))
		return -1;
	*cp = c;
	*at = i + n + 1;
	return 0;
}

static const char *
segments_sub_for(uint32_t cp)
{
	for (size_t i = 0; i < sizeof segments_subs / sizeof segments_subs[0]; i++)
		if (segments_subs[i].cp == cp)
			return segments_subs[i].to;
	return NULL;
}

static void
segments_note(struct segments_result *r, uint32_t cp)
{
	for (size_t i = 0; i < r->nforced; i++) {
		if (r->forced[i].cp == cp) {
			r->forced[i].count++;
			return;
		}
	}
	if (r->nforced == SEGMENTS_MAX_FORCED) {
		r->forced_more = true;
		if (segments_sub_for(cp) == NULL)
			r->substitutable = false;
		return;
	}
	r->forced[r->nforced].cp = cp;
	r->forced[r->nforced].count = 1;
	r->forced[r->nforced].substitute = segments_sub_for(cp);
	if (r->forced[r->nforced].substitute == NULL)
		r->substitutable = false;
	r->nforced++;
}

/* Parts of at most part units, never splitting one character's units (an escape, a surrogate pair). */
static unsigned
segments_parts(const char *text, size_t len, bool gsm, unsigned part)
{
	const unsigned char *s = (const unsigned char *)text;
	unsigned parts = 1, used = 0;
	size_t at = 0;
	uint32_t cp;

	while (at < len && segments_decode(s, len, &at, &cp) == 0) {
		unsigned cost = gsm ? (unsigned)segments_gsm_cost(cp) : (cp > 0xFFFF ? 2u : 1u);

		if (used + cost > part) {
			parts++;
			used = 0;
		}
		used += cost;
	}
	return parts;
}

int
segments_count(const char *text, size_t len, struct segments_result *r, char *why, size_t whylen)
{
	const unsigned char *s = (const unsigned char *)text;
	unsigned septets = 0, ucs2 = 0;
	size_t at = 0;
	uint32_t cp;
	bool gsm = true;

	memset(r, 0, sizeof *r);
	r->substitutable = true;
	while (at < len) {
		size_t start = at;
		int cost;

		if (segments_decode(s, len, &at, &cp) != 0) {
			snprintf(why, whylen, "not valid UTF-8 at byte %zu", start);
			return -1;
		}
		r->characters++;
		ucs2 += cp > 0xFFFF ? 2 : 1;
		if ((cost = segments_gsm_cost(cp)) == 0) {
			gsm = false;
			segments_note(r, cp);
		}
		septets += (unsigned)cost;
	}
	if (gsm)
		r->substitutable = false; /* nothing to substitute */
	r->encoding = gsm ? SEGMENTS_GSM7 : SEGMENTS_UCS2;
	r->units = gsm ? septets : ucs2;
	if (r->units == 0) {
		r->per_segment = gsm ? SEGMENTS_GSM_SINGLE : SEGMENTS_UCS2_SINGLE;
		return 0;
	}
	if (r->units <= (gsm ? SEGMENTS_GSM_SINGLE : SEGMENTS_UCS2_SINGLE)) {
		r->segments = 1;
		r->per_segment = gsm ? SEGMENTS_GSM_SINGLE : SEGMENTS_UCS2_SINGLE;
		return 0;
	}
	r->per_segment = gsm ? SEGMENTS_GSM_PART : SEGMENTS_UCS2_PART;
	r->segments = segments_parts(text, len, gsm, r->per_segment);
	return 0;
}

void
segments_substitute(const char *text, size_t len, struct buf *out)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t at = 0, start;
	uint32_t cp;
	const char *to;

	while (at < len) {
		start = at;
		if (segments_decode(s, len, &at, &cp) != 0) {
			buf_append(out, text + start, len - start);
			return;
		}
		if (segments_gsm_cost(cp) == 0 && (to = segments_sub_for(cp)) != NULL)
			buf_append(out, to, strlen(to));
		else
			buf_append(out, text + start, at - start);
	}
}
