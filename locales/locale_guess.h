/*
 * A guess at the language of a short message people send us (an SMS or
 * WhatsApp reply), so the answer goes back in the same one: Arabic script,
 * Darija written in Latin letters and digits ("Arabizi"), or French.
 */
#ifndef AMUDDU_LOCALE_GUESS_H
#define AMUDDU_LOCALE_GUESS_H

#include <stddef.h>

/*
 * "ar" when most letters of text[0..len) are Arabic script, "ary-Latn" when
 * Latin-script words read as Darija, "fr" for other Latin-script text, and
 * NULL when there are no letters (digits, emoji, empty, other scripts): the
 * caller keeps its default. Invalid UTF-8 bytes are skipped. The result is a
 * static string.
 */
const char *locale_guess(const char *text, size_t len);

#endif
