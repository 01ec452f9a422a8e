/*
 * Contacts from a spreadsheet's CSV: the header row names the columns in
 * French or English, in any order (téléphone/phone, nom/name, prénom/
 * first_name, langue/locale, ville/city, sexe/sex, canal/channel, tags,
 * consentement/consent, date_consentement/consent_date); other columns
 * become contact fields. Each data row comes out checked and normalised
 * (E.164 numbers, locales, sex, consent) or refused with its line, column
 * and reason. Windows-1252 (French Excel's plain "CSV") is told apart from
 * UTF-8 and converted when asked. Streaming: bytes in pieces of any size.
 * The creator owns struct contacts_csv; contacts_csv_free().
 */
#ifndef AMUDDU_CONTACTS_CSV_H
#define AMUDDU_CONTACTS_CSV_H

#include <stdbool.h>
#include <stddef.h>

#include "gateway/util/phone.h"

#define CONTACTS_CSV_MAX_TAGS 32
#define CONTACTS_CSV_MAX_EXTRA 32

/* Which columns the file has (a column it lacks leaves the contact's value alone). */
enum {
	CONTACT_HAS_NAME = 1 << 0,
	CONTACT_HAS_FIRST_NAME = 1 << 1,
	CONTACT_HAS_CITY = 1 << 2,
	CONTACT_HAS_LOCALE = 1 << 3,
	CONTACT_HAS_SEX = 1 << 4,
	CONTACT_HAS_CHANNEL = 1 << 5,
	CONTACT_HAS_TAGS = 1 << 6,
};

/* One valid row; the strings live until the callback returns. */
struct contact_row {
	long line;
	unsigned present; /* CONTACT_HAS_* */
	char phone[PHONE_E164_MAX];
	const char *name, *first_name, *city;    /* trimmed; "" when absent */
	const char *locale;                      /* fr, ar, ary, ary-Latn, en, or "" */
	const char *sex;                         /* f, m, x, or "" */
	const char *channel;                     /* sms, whatsapp, auto, or "" */
	const char *tags[CONTACTS_CSV_MAX_TAGS]; /* lower case, trimmed, each once */
	size_t ntags;
	int consent;          /* 1 yes, 0 no, -1 not given */
	long long consent_at; /* epoch seconds, 0 when not given */
	const char *extra_name[CONTACTS_CSV_MAX_EXTRA], *extra_value[CONTACTS_CSV_MAX_EXTRA];
	size_t nextra;
};

/*
 * Why a row is refused, as codes a console translates (with {value} the
 * value at fault, or for too_many_tags the most a row may have): X(code).
 */
#define CONTACTS_CSV_REFUSALS(X)                                                                                       \
	X(phone_empty)                                                                                                 \
	X(phone_invalid)                                                                                               \
	X(phone_missing)                                                                                               \
	X(locale_invalid)                                                                                              \
	X(sex_invalid)                                                                                                 \
	X(channel_invalid)                                                                                             \
	X(tag_too_long)                                                                                                \
	X(too_many_tags)                                                                                               \
	X(consent_invalid)                                                                                             \
	X(date_invalid)                                                                                                \
	X(date_future)                                                                                                 \
	X(date_without_consent)

struct contacts_csv_settings {
	const char *country; /* default country of national numbers ("MA") */
	bool windows1252;    /* the bytes are Windows-1252: convert them */
};

struct contacts_csv_handlers {
	/* A valid row; return -1 to stop reading. */
	int (*row)(void *arg, const struct contact_row *r);
	/*
	 * A refused row: its line, the column at fault (as the header wrote it,
	 * or ""), why as a code (CONTACTS_CSV_REFUSALS) with the value at fault
	 * (shortened; "" when none, and never a phone number; for too_many_tags
	 * the most a row may have), and why in words.
	 */
	void (*refused)(void *arg, long line, const char *column, const char *code, const char *value, const char *why);
	/* Something about the file worth saying that refuses nothing (a column kept as a field, …). */
	void (*note)(void *arg, const char *what);
};

struct contacts_csv;

struct contacts_csv *contacts_csv_new(
    const struct contacts_csv_settings *s, const struct contacts_csv_handlers *h, void *arg);
void contacts_csv_free(struct contacts_csv *p);
/*
 * More of the file. -1 with why when the file as a whole cannot be read:
 * not UTF-8 (why says when it looks like Windows-1252), no phone column,
 * a row over the size limits, or a handler stopped.
 */
int contacts_csv_feed(struct contacts_csv *p, const char *data, size_t len, char *why, size_t whylen)
    __attribute__((warn_unused_result));
/* The end of the file; -1 with why as for feed (an unclosed quote, a file without a header). */
int contacts_csv_finish(struct contacts_csv *p, char *why, size_t whylen) __attribute__((warn_unused_result));
/*
 * A locale, sex or channel as people write it ("Français", "femme", "wa"),
 * in its canonical form ("fr", "f", "whatsapp"; "" for ""), or NULL when it
 * is none: the same rules as the file's columns, for the API's updates.
 */
const char *contacts_csv_locale(const char *v);
const char *contacts_csv_sex(const char *v);
const char *contacts_csv_channel(const char *v);
/* The header's name of the phone column (for refusals found later, such as duplicates). */
const char *contacts_csv_phone_column(const struct contacts_csv *p);
/* The file is a part of a larger one: its data rows are reported offset lines further down. */
void contacts_csv_set_line_offset(struct contacts_csv *p, long offset);
/* Data rows seen so far (valid and refused), and the separator. */
long contacts_csv_rows(const struct contacts_csv *p);
char contacts_csv_separator(const struct contacts_csv *p);

#endif
