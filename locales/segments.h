/*
 * SMS length as carriers count it: GSM 03.38 (basic table, and the
 * extension table at two septets a character) in 160 septets, or 153 per
 * part of a longer message; otherwise UCS-2 in 70 units, or 67 per part,
 * a character outside the BMP costing two. A part never splits an escape
 * sequence or a surrogate pair. Also names the characters that forced
 * UCS-2 and the substitutions that would avoid it, and applies them when
 * asked. Pure: no allocation but the caller's substitution output.
 */
#ifndef AMUDDU_SEGMENTS_H
#define AMUDDU_SEGMENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gateway/util/buf.h"

enum segments_encoding {
	SEGMENTS_GSM7 = 0,
	SEGMENTS_UCS2,
};

/* Distinct characters that forced UCS-2, in order of first appearance, at most this many. */
#define SEGMENTS_MAX_FORCED 32

struct segments_forced {
	uint32_t cp;            /* the character */
	unsigned count;         /* how many times it occurs */
	const char *substitute; /* GSM-7 text that could stand in for it, or NULL */
};

struct segments_result {
	enum segments_encoding encoding;
	unsigned segments;    /* parts (0 for an empty text) */
	unsigned units;       /* septets for GSM-7, 16-bit units for UCS-2 */
	unsigned per_segment; /* 160 or 70 for one part, 153 or 67 each for more */
	unsigned characters;  /* Unicode code points */
	struct segments_forced forced[SEGMENTS_MAX_FORCED];
	size_t nforced;
	bool forced_more;   /* more distinct characters than SEGMENTS_MAX_FORCED forced it */
	bool substitutable; /* every forcing character has a substitute: substituted, it is GSM-7 */
};

/*
 * Counts text (len bytes of UTF-8) into r. -1 with why (naming the byte
 * offset) when it is not valid UTF-8 or holds a NUL.
 */
int segments_count(const char *text, size_t len, struct segments_result *r, char *why, size_t whylen)
    __attribute__((warn_unused_result));
/*
 * Appends text to out with every character that has a GSM-7 substitute
 * replaced by it (’ → ', « » → ", â → a, …); other characters are kept.
 * text must be valid UTF-8 (segments_count() said so).
 */
void segments_substitute(const char *text, size_t len, struct buf *out);
/* The name of an encoding: "gsm7" or "ucs2". */
const char *segments_encoding_name(enum segments_encoding e);

#endif
