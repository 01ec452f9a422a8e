/*
 * Inside struct keywords, shared by handlers/keywords.c (loading and
 * indexing the catalogs' lists) and handlers/keywords_match.c (matching a
 * text against them). Not for other modules.
 */
#ifndef AMUDDU_KEYWORDS_INT_H
#define AMUDDU_KEYWORDS_INT_H

#include <stddef.h>
#include <stdint.h>

#include "handlers/keywords.h"

/* The courtesy words ("svp", "3afak", "please") are a pseudo-topic after the real ones. */
#define KEYWORDS_COURTESY KEYWORDS_TOPIC_COUNT
/* The most words one keyword phrase may have. */
#define KEYWORDS_PHRASE_MAX 8
/* The most letters (code points of its key) one keyword word may have. */
#define KEYWORDS_WORD_MAX 32
/* A keyword word this long or longer also matches a word one typing mistake away. */
#define KEYWORDS_APPROX_MIN 5
/* The locales, in the order a tie between them is broken: indexes in keywords_locales[]. */
enum keywords_locale { KEYWORDS_ARY_LATN, KEYWORDS_ARY, KEYWORDS_AR, KEYWORDS_FR, KEYWORDS_EN, KEYWORDS_LOCALES };

extern const char *const keywords_locales[KEYWORDS_LOCALES];

/* A word's key (normalise_key()), as code points in struct keywords' cps. */
struct keywords_word {
	uint32_t off, len;
};

/* One keyword phrase of one topic, with the locales whose lists have it. */
struct keywords_phrase {
	uint32_t word[KEYWORDS_PHRASE_MAX]; /* indexes in words */
	uint8_t nwords;
	uint8_t topic;   /* enum keywords_topic, or KEYWORDS_COURTESY */
	uint8_t locales; /* bit i: keywords_locales[i] */
	char *text;      /* normalised, for the result and for error messages */
};

struct keywords {
	uint32_t *cps; /* every key, one after another */
	size_t ncps, capcps;
	struct keywords_word *words; /* each distinct key once */
	size_t nwords, capwords;
	/* words' indexes by key length: those of length l are by_len[first_len[l] .. first_len[l + 1]). */
	uint32_t *by_len;
	size_t first_len[KEYWORDS_WORD_MAX + 2];
	struct keywords_phrase *phrases; /* sorted by their first word once loaded */
	size_t nphrases, capphrases;
	size_t *first_phrase; /* the phrases that start with word w: first_phrase[w] .. first_phrase[w + 1] */
	struct keywords_word *exceptions; /* words never taken for a keyword one typing mistake away */
	size_t nexceptions, capexceptions;
};

#endif
