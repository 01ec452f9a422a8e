/*
 * What to do with one message a person sent us: the topic it reaches (a
 * keyword, or a number answering the menu they were sent), the language
 * to answer in, the answer itself from the catalogs, and what changes for
 * the person (opt-out or back in, the menu they may answer, the tags of
 * the topic they chose, a conversation for the agents). Pure: the person's
 * state comes in, the plan goes out; gateway/responder.c reads and writes
 * Redis around it.
 */
#ifndef AMUDDU_RESPONDER_H
#define AMUDDU_RESPONDER_H

#include <stdbool.h>
#include <stddef.h>

#include "gateway/util/zone.h"
#include "handlers/keywords.h"
#include "locales/catalog.h"

#define RESPONDER_INFO_TOPICS 4 /* training, employment, residency, covid: the information topics */

struct responder_settings {
	const struct catalog *catalog;
	const struct keywords *keywords;
	const char *chain;  /* [locales] fallback */
	bool answer;        /* [replies] enabled: automatic answers at all */
	long menu_ttl_s;    /* how long a menu stays open */
	int max_per_minute; /* more from one person in a minute: no automatic answers for mute_s */
	long mute_s;
	const char *const *links; /* {link} of each information topic (RESPONDER_INFO_TOPICS), "" for none */
	const char *const *tags;  /* the tags choosing each information topic gives, space-separated */
	struct zone_quiet hours;  /* the agents' working hours (a window of the day), for the acknowledgement */
	unsigned days;            /* and days (zone_days_parse) */
};

/* The person as Redis holds them when their message is handled. */
struct responder_state {
	const char *locale;     /* stored locale, or "" */
	const char *first_name; /* or "" */
	const char *menu;       /* the topics of the menu they were sent, space-separated, or "" */
	long long menu_until_ms;
	bool conversation_open; /* an agent has an open conversation with them */
	long long muted_until_ms;
	long long recent; /* messages from them in the current minute, this one included */
};

/* One message: its text (UTF-8), type ("text", "image", …), and when it is handled. */
struct responder_in {
	const char *text;
	size_t len;
	const char *type;
	long long now_ms;
};

struct responder_plan {
	enum keywords_topic topic; /* what the message reached (KEYWORDS_NONE: nothing) */
	bool by_menu;              /* a number answering an open menu */
	const char *locale;        /* the language of the answer (static), or NULL */
	const char *set_locale;    /* the person's stored locale changes to this (static), or NULL */
	char *reply;               /* the automatic answer (owned), or NULL */
	const char *reply_key;     /* its catalog key, for logs and counts */
	const char *consent;       /* "no" (STOP), "yes" (START), or NULL */
	const char *menu;          /* the menu now open (owned by the catalog), "" to close it, NULL unchanged */
	long long menu_until_ms;
	const char *tags;        /* tags to give the person (space-separated, the settings'), or NULL */
	bool converse;           /* goes to the agents' inbox: opens the conversation, or adds to it */
	bool muted;              /* no automatic answer: too many messages in a minute */
	long long mute_until_ms; /* set when this message starts the pause */
	char normalised[256];    /* the text as matched, cut short: for the inbox and debugging */
};

/* Decides the plan for in from st; release with responder_plan_free(). */
void responder_decide(const struct responder_settings *s, const struct responder_state *st,
    const struct responder_in *in, struct responder_plan *plan);
void responder_plan_free(struct responder_plan *plan);

#endif
