/*
 * GET /v1/contacts' q and filters into the search script's filter
 * (queues/contacts_search.h). Locales, sexes and channels are read as an
 * import reads its columns ("Français", "femme"), so a filter takes the
 * words a file does. A q written as a number is read as the gateway reads
 * numbers everywhere: national forms in [contacts] default_country.
 */
#include "handlers/contacts_query.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/util/buf.h"
#include "gateway/util/phone.h"
#include "gateway/util/xmalloc.h"
#include "handlers/contacts_csv.h"

/* Bytes of q at most: CONTACTS_QUERY_TEXT_MAX characters of up to four bytes. */
#define CONTACTS_QUERY_BYTES_MAX (4 * CONTACTS_QUERY_TEXT_MAX)
/* Characters of one city or tag (tags are 1 to 64 characters wherever they are written). */
#define CONTACTS_QUERY_CITY_MAX 100
#define CONTACTS_QUERY_TAG_MAX 64

const char *const contacts_query_names[CONTACTS_Q_COUNT] = { "q", "city", "locale", "sex", "channel", "tag",
	"consent" };

/* What each list takes, for the refusal. */
static const char *const contacts_query_takes[CONTACTS_Q_COUNT] = {
	[CONTACTS_Q_CITY] = "a city of 1 to 100 characters",
	[CONTACTS_Q_LOCALE] = "a language: fr, ar, ary, ary-Latn or en",
	[CONTACTS_Q_SEX] = "f, m or x",
	[CONTACTS_Q_CHANNEL] = "sms, whatsapp or auto",
	[CONTACTS_Q_TAG] = "a tag of 1 to 64 characters",
	[CONTACTS_Q_CONSENT] = "yes, no or none (no consent on record)",
};

static size_t contacts_query_chars(const char *s);
static char *contacts_query_trim(char *s);
static const char *contacts_query_value(enum contacts_query_param p, char *v);
static int contacts_query_list(json_t *f, enum contacts_query_param p, const char *value, char *why, size_t whylen);
static int contacts_query_text(
    json_t *f, const char *q, const struct contacts_query_settings *s, char *why, size_t whylen);
static bool contacts_query_number(json_t *f, const char *q, const struct contacts_query_settings *s);

static size_t
contacts_query_chars(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80;
	return n;
}

static char *
contacts_query_trim(char *s)
{
	size_t n;

	s += strspn(s, " \t");
	for (n = strlen(s); n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'); n--)
		s[n - 1] = '\0';
	return s;
}

/* The value as the search script looks for it, or NULL when the list does not take it. */
static const char *
contacts_query_value(enum contacts_query_param p, char *v)
{
	switch (p) {
	case CONTACTS_Q_CITY:
		return contacts_query_chars(v) <= CONTACTS_QUERY_CITY_MAX ? v : NULL;
	case CONTACTS_Q_LOCALE:
		return contacts_csv_locale(v);
	case CONTACTS_Q_SEX:
		return contacts_csv_sex(v);
	case CONTACTS_Q_CHANNEL:
		return contacts_csv_channel(v);
	case CONTACTS_Q_TAG:
		/* Tags are kept in lower case. */
		for (char *c = v; *c != '\0'; c++)
			if (*c >= 'A' && *c <= 'Z')
				*c = (char)(*c - 'A' + 'a');
		return contacts_query_chars(v) <= CONTACTS_QUERY_TAG_MAX ? v : NULL;
	case CONTACTS_Q_CONSENT:
		return strcmp(v, "yes") == 0 || strcmp(v, "no") == 0 || strcmp(v, "none") == 0 ? v : NULL;
	default:
		return NULL;
	}
}

static int
contacts_query_list(json_t *f, enum contacts_query_param p, const char *value, char *why, size_t whylen)
{
	const char *name = contacts_query_names[p];
	char *copy = xstrdup(value), *save = NULL;
	json_t *l = json_array();
	int rc = -1;

	for (char *v = strtok_r(copy, ",", &save); v != NULL; v = strtok_r(NULL, ",", &save)) {
		const char *put;

		v = contacts_query_trim(v);
		if (*v == '\0')
			continue;
		if ((put = contacts_query_value(p, v)) == NULL) {
			/* The value as it was given, cut on a whole character. */
			int shown = (int)utf8_prefix(v, strnlen(v, 40));

			snprintf(why, whylen, "%s: '%.*s' is not %s", name, shown, v, contacts_query_takes[p]);
			goto out;
		}
		if (json_array_size(l) == CONTACTS_QUERY_VALUES_MAX) {
			snprintf(
			    why, whylen, "%s: at most %d values, separated by ','", name, CONTACTS_QUERY_VALUES_MAX);
			goto out;
		}
		json_array_append_new(l, json_string(put));
	}
	if (json_array_size(l) > 0)
		json_object_set(f, name, l);
	rc = 0;
out:
	json_decref(l);
	free(copy);
	return rc;
}

/*
 * q: the number it is written as, or its words, each to be found in the
 * name or the first name ("words" is empty for a number, so that a number
 * an agent may not search by finds nobody rather than everybody).
 */
static int
contacts_query_text(json_t *f, const char *q, const struct contacts_query_settings *s, char *why, size_t whylen)
{
	char *copy, *save = NULL;
	json_t *words;

	if (contacts_query_chars(q) > CONTACTS_QUERY_TEXT_MAX || strlen(q) > CONTACTS_QUERY_BYTES_MAX) {
		snprintf(why, whylen, "q is a text of 1 to %d characters: part of a name, or a number",
		    CONTACTS_QUERY_TEXT_MAX);
		return -1;
	}
	words = json_array();
	if (!contacts_query_number(f, q, s)) {
		copy = xstrdup(q);
		for (char *w = strtok_r(copy, " \t\r\n", &save); w != NULL; w = strtok_r(NULL, " \t\r\n", &save))
			json_array_append_new(words, json_string(w));
		free(copy);
		if (json_array_size(words) == 0) {
			/* Only blanks: no search. */
			json_decref(words);
			return 0;
		}
	}
	json_object_set_new(f, "words", words);
	return 0;
}

/*
 * q written as a number ("0612 34", "+212 612", "٠٦١٢"): the digits to
 * find and how. "+" or "00" begins an international number and "0" a
 * national one: the number's digits in E.164 begin with them ("prefix").
 * Other digits may stand anywhere in it ("within"). A role that sees
 * numbers masked finds only a whole number (a part could be widened digit
 * by digit into the number the mask hides). False when q is not written
 * as a number.
 */
static bool
contacts_query_number(json_t *f, const char *q, const struct contacts_query_settings *s)
{
	char ascii[CONTACTS_QUERY_BYTES_MAX + 1], digits[CONTACTS_QUERY_BYTES_MAX + 1], e164[PHONE_E164_MAX];
	char number[CONTACTS_QUERY_BYTES_MAX + 8];
	const unsigned char *p = (const unsigned char *)q;
	const char *reason, *cc, *match = "prefix";
	size_t na = 0, nd = 0;

	while (*p != '\0') {
		/* Arabic-Indic (U+0660…) and Extended Arabic-Indic (U+06F0…) digits, as an Arabic keyboard types them. */
		if (p[0] == 0xD9 && p[1] >= 0xA0 && p[1] <= 0xA9) {
			ascii[na++] = (char)('0' + p[1] - 0xA0);
			p += 2;
		} else if (p[0] == 0xDB && p[1] >= 0xB0 && p[1] <= 0xB9) {
			ascii[na++] = (char)('0' + p[1] - 0xB0);
			p += 2;
		} else if (strchr("0123456789 .-()+\t", *p) != NULL && (*p != '+' || nd == 0)) {
			ascii[na++] = (char)*p++;
		} else {
			return false;
		}
		if (ascii[na - 1] >= '0' && ascii[na - 1] <= '9')
			digits[nd++] = ascii[na - 1];
	}
	ascii[na] = '\0';
	digits[nd] = '\0';
	if (nd == 0)
		return false;
	if (s->whole_numbers) {
		if (phone_normalise_in(ascii, s->country, e164, &reason) == 0) {
			json_object_set_new(f, "number", json_string(e164 + 1));
			json_object_set_new(f, "match", json_string("whole"));
		}
		return true;
	}
	if (strchr(ascii, '+') != NULL) {
		snprintf(number, sizeof number, "%s", digits);
	} else if (strncmp(digits, "00", 2) == 0) {
		snprintf(number, sizeof number, "%s", digits + 2);
	} else if (digits[0] == '0' && (cc = phone_country_code(s->country)) != NULL) {
		snprintf(number, sizeof number, "%s%s", cc, digits + 1);
	} else {
		snprintf(number, sizeof number, "%s", digits);
		match = "within";
	}
	if (number[0] != '\0') {
		json_object_set_new(f, "number", json_string(number));
		json_object_set_new(f, "match", json_string(match));
	}
	return true;
}

json_t *
contacts_query_parse(const char *const values[CONTACTS_Q_COUNT], const struct contacts_query_settings *s,
    const char **field, char *why, size_t whylen)
{
	json_t *f = json_object();

	for (int p = 0; p < CONTACTS_Q_COUNT; p++) {
		const char *v = values[p];
		int rc;

		if (v == NULL || *v == '\0')
			continue;
		*field = contacts_query_names[p];
		if (!utf8_valid(v, strlen(v))) {
			snprintf(why, whylen, "%s is not UTF-8 text", *field);
			goto fail;
		}
		rc = p == CONTACTS_Q_Q ? contacts_query_text(f, v, s, why, whylen)
				       : contacts_query_list(f, (enum contacts_query_param)p, v, why, whylen);
		if (rc != 0)
			goto fail;
	}
	*field = NULL;
	return f;
fail:
	json_decref(f);
	return NULL;
}
