/*
 * The search and filters of GET /v1/contacts, checked and put in the form
 * the contacts' search script takes (queues/contacts_search.h): q's words
 * for the names and, when q is written as a number, the digits to find in
 * the numbers; each filter a list of canonical values. Pure: the caller's
 * strings in, a JSON object out.
 */
#ifndef AMUDDU_CONTACTS_QUERY_H
#define AMUDDU_CONTACTS_QUERY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

enum contacts_query_param {
	CONTACTS_Q_Q,
	CONTACTS_Q_CITY,
	CONTACTS_Q_LOCALE,
	CONTACTS_Q_SEX,
	CONTACTS_Q_CHANNEL,
	CONTACTS_Q_TAG,
	CONTACTS_Q_CONSENT,
	CONTACTS_Q_COUNT
};

/* The query parameters' names, by enum contacts_query_param. */
extern const char *const contacts_query_names[CONTACTS_Q_COUNT];

/* The most characters of q, and of values in one filter. */
#define CONTACTS_QUERY_TEXT_MAX 100
#define CONTACTS_QUERY_VALUES_MAX 20

struct contacts_query_settings {
	const char *country; /* whose national numbers q may be written in ([contacts] default_country) */
	bool whole_numbers;  /* a number in q finds only the whole number it is (for a role that sees numbers masked) */
};

/*
 * The filter for values (by enum contacts_query_param; NULL or "" for a
 * parameter not given) as a JSON object the caller frees, or NULL with
 * *field the parameter at fault and why a sentence that says what it
 * takes. Lists are separated by ','; blanks around values and empty
 * values are passed over.
 */
json_t *contacts_query_parse(const char *const values[CONTACTS_Q_COUNT], const struct contacts_query_settings *s,
    const char **field, char *why, size_t whylen);

#endif
