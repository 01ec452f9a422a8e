/*
 * Which locale's text a person gets: their own, then the ones after it in
 * the fallback chain ([locales] fallback, e.g. "ary-Latn ary ar fr en"),
 * then the whole chain in order. Used for campaign texts and catalogs.
 */
#ifndef AMUDDU_FALLBACK_H
#define AMUDDU_FALLBACK_H

#include <stdbool.h>

/* Whether there is a text in locale. */
typedef bool fallback_has(void *arg, const char *locale);

/* The first locale with a text, as a static name ("fr", "ary-Latn", …), or NULL when none has one. */
const char *fallback_pick(const char *locale, const char *chain, fallback_has *has, void *arg);
/* The canonical name of a locale ("ary-latn" -> "ary-Latn"), or NULL when it is not one of the five. */
const char *fallback_locale(const char *name, size_t len);

#endif
