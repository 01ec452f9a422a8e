/*
 * The one form in which inbound texts and keywords are compared: Unicode
 * NFKC with case folding, accents and Arabic harakat stripped, Arabic
 * letter variants merged, every digit ASCII, and everything that is not a
 * letter or a digit a separator between words (docs/design.md, "Keywords").
 * Pure: utf8proc and the caller's buffers, nothing else.
 */
#ifndef AMUDDU_NORMALISE_H
#define AMUDDU_NORMALISE_H

#include <stddef.h>
#include <stdint.h>

#include "gateway/util/buf.h"

/* Only the first NORMALISE_TEXT_MAX bytes of a text are read (an SMS or a WhatsApp reply is far shorter). */
#define NORMALISE_TEXT_MAX 4096

/*
 * Appends the normalised form of text[0..len) to out: its words, lower
 * case, joined by single spaces, with no space before or after. Bytes
 * that start no UTF-8 character are separators. Returns how many words
 * it has.
 */
size_t normalise_text(const char *text, size_t len, struct buf *out);

/*
 * The key one normalised word is matched by, into out (room for 2 * len
 * code points): an Arabic word loses its article and the particles joined
 * to it (ال وال بال كال فال لل) when three letters are left; in a word
 * with a Latin letter the Arabizi digits become letters (2 is dropped,
 * 3 a, 5 kh, 7 h, 9 q); then every run of one letter repeated becomes
 * that letter once ("se77a" and "seha" are both "seha", "stoooop" is
 * "stop"). Returns its length in code points.
 */
size_t normalise_key(const char *word, size_t len, uint32_t *out);

#endif
