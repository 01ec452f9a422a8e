/*
 * Phone numbers: validation and normalisation to E.164, Moroccan national
 * forms included, and the masked form that is the only one logs may show.
 */
#ifndef AMUDDU_PHONE_H
#define AMUDDU_PHONE_H

#include <stddef.h>

/* "+" then up to 15 digits, and a NUL. */
#define PHONE_E164_MAX 17
/* Enough for any masked form. */
#define PHONE_MASK_MAX 24

/*
 * Normalises in to E.164 in out (PHONE_E164_MAX bytes). Accepts "+CC…",
 * "00CC…", Moroccan national "0[5-7]XXXXXXXX" and "212…" without a plus,
 * with spaces, dots, dashes and parentheses as separators. Returns 0, or -1
 * with *reason set to a static description.
 */
int phone_normalise(const char *in, char *out, const char **reason) __attribute__((warn_unused_result));
/*
 * The same, with national numbers (a trunk 0, then the national number)
 * read as numbers of country (ISO 3166 alpha-2: "MA", "FR", "SN", …; NULL
 * or "" is "MA"). -1 with *reason also for a country it does not know.
 */
int phone_normalise_in(const char *in, const char *country, char *out, const char **reason)
    __attribute__((warn_unused_result));
/* Whether country is one phone_normalise_in() knows. */
int phone_country_known(const char *country);
/* The calling code of country ("212" for "MA"; NULL or "" is "MA"), or NULL for one it does not know. */
const char *phone_country_code(const char *country);
/* Writes a masked copy of an E.164 number (+2126******78, same length) to out (PHONE_MASK_MAX bytes). */
void phone_mask(const char *e164, char *out);

/* Hex length of a pseudonym, and a NUL. */
#define PHONE_PSEUDONYM_MAX 25
/*
 * A keyed pseudonym of an E.164 number (HMAC-SHA256, first 96 bits in
 * hex): stable for one key, so reach counts stay unique per person, and
 * not reversible without the key.
 */
void phone_pseudonym(const char *key, const char *e164, char *out);

/* A pseudonym key made ready once, for many pseudonyms; the creator frees it with phone_key_free(). */
struct phone_key;
struct phone_key *phone_key_new(const char *key);
void phone_key_free(struct phone_key *k);
/* The same as phone_pseudonym() with k's key. k is not shared between threads (it has scratch space). */
void phone_pseudonym_with(struct phone_key *k, const char *e164, char *out);

#endif
