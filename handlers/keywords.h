/*
 * What a person's inbound message asks for: its topic (menu, training,
 * employment, residency, covid, agent, stop, start, or none) and the
 * locale to answer in, from the keyword lists of the catalogs
 * (keywords.<topic> in locales/<locale>.po). Rules in docs/design.md,
 * "Keywords". Pure: it keeps no state about people; a bare number is for
 * the caller to resolve against the menu the person has open.
 * The creator owns struct keywords (keywords_free()) and each
 * struct keywords_result (keywords_result_free()).
 */
#ifndef AMUDDU_KEYWORDS_H
#define AMUDDU_KEYWORDS_H

#include <stdbool.h>
#include <stddef.h>

#include "locales/catalog.h"

/* The topics; their names are fixed (reports use them). */
enum keywords_topic {
	KEYWORDS_NONE,
	KEYWORDS_MENU,
	KEYWORDS_TRAINING,
	KEYWORDS_EMPLOYMENT,
	KEYWORDS_RESIDENCY,
	KEYWORDS_COVID,
	KEYWORDS_AGENT,
	KEYWORDS_STOP,
	KEYWORDS_START,
	KEYWORDS_TOPIC_COUNT
};

/* A menu has at most this many choices, so each answer is one digit. */
#define KEYWORDS_MENU_MAX 9

struct keywords;

struct keywords_result {
	enum keywords_topic topic;
	const char *locale; /* the locale to answer in (a static name), or NULL when nothing tells */
	int number;         /* the whole text as a number ("2", " 2. ", "٢", "2️⃣"), else -1 */
	char *normalised;   /* the text as it was matched (normalise_text()) */
	const char
	    *keyword;     /* the keyword that decided the topic, normalised; NULL for none (owned by struct keywords) */
	bool approximate; /* that keyword matched with one typing mistake */
};

/* "none", "menu", "training", …; "none" for a value out of range. */
const char *keywords_topic_name(enum keywords_topic t);
/* The topic named name; KEYWORDS_NONE for an unknown name. */
enum keywords_topic keywords_topic_parse(const char *name);

/*
 * The keyword lists of every locale in c, normalised and indexed. NULL
 * with why ("<locale>.po line N: <entry>: <reason>") when a list, the
 * courtesy words, the exceptions or menu.main is bad: an empty
 * alternative, one with no letter or digit, a bare number, more than 8
 * words, a word of more than 32 letters, or the same keyword in two
 * topics. c is not kept.
 */
struct keywords *keywords_new(const struct catalog *c, char *why, size_t whylen);
void keywords_free(struct keywords *k);

/*
 * Matches text[0..len) (its first NORMALISE_TEXT_MAX bytes): r's topic,
 * the locale to answer in (hint is the person's stored locale, or NULL),
 * the bare number, the normalised text. Any bytes are accepted.
 */
void keywords_match(
    const struct keywords *k, const char *text, size_t len, const char *hint, struct keywords_result *r);
void keywords_result_free(struct keywords_result *r);

/*
 * The topics of the menu called name (the catalog's menu.<name>, topic
 * names separated by spaces, e.g. menu.main = "training employment
 * residency covid agent"), for a person of locale down the fallback chain:
 * answer N is topics[N - 1]. Returns how many there are, or -1 with why
 * when there is no such menu or it is bad.
 */
int keywords_menu(const struct catalog *c, const char *name, const char *locale, const char *chain,
    enum keywords_topic topics[KEYWORDS_MENU_MAX], char *why, size_t whylen) __attribute__((warn_unused_result));

#endif
