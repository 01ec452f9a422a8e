/*
 * The gateway's standard messages in gettext PO catalogs (locales/<locale>.po,
 * the files translators' tools such as Poedit and Weblate edit): loaded once,
 * looked up by key and locale, down the fallback chain when a translation is
 * missing. Entries marked fuzzy, and empty translations, count as missing.
 * The creator owns struct catalog; catalog_free().
 */
#ifndef AMUDDU_CATALOG_H
#define AMUDDU_CATALOG_H

#include <stddef.h>

struct catalog;

struct catalog *catalog_new(void);
void catalog_free(struct catalog *c);
/* Adds the entries of one PO text for locale; -1 with why (naming the line) when it is not PO. */
int catalog_add(struct catalog *c, const char *locale, const char *text, size_t len, char *why, size_t whylen)
    __attribute__((warn_unused_result));
/* Loads dir/<locale>.po for each of the five locales present; -1 with why for a file that is not PO. */
int catalog_load_dir(struct catalog *c, const char *dir, char *why, size_t whylen) __attribute__((warn_unused_result));
/* The translation of key in locale exactly, or NULL. */
const char *catalog_get(const struct catalog *c, const char *locale, const char *key);
/* The line of the PO text where the entry of key in locale starts (its msgctxt or msgid), or 0 when none. */
long catalog_line(const struct catalog *c, const char *locale, const char *key);
/* The translation of key for a person of locale, down chain ([locales] fallback); *chosen its locale. NULL when none. */
const char *catalog_lookup(
    const struct catalog *c, const char *locale, const char *key, const char *chain, const char **chosen);
/* Calls fn for each translation in locale whose key begins with prefix, in the catalog's order. */
void catalog_each(const struct catalog *c, const char *locale, const char *prefix,
    void (*fn)(void *arg, const char *key, const char *text), void *arg);
/* How many translations were loaded. */
size_t catalog_size(const struct catalog *c);

#endif
