/*
 * The contacts file: its encoding, its header, and each row's values.
 * Bytes are checked as UTF-8 on the way in (a sequence split between two
 * pieces is carried over); Windows-1252 is converted byte by byte with the
 * WHATWG mapping. Row strings are trimmed into a scratch area the size of
 * the longest record, reused for every row.
 */
#include "handlers/contacts_csv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "gateway/util/buf.h"
#include "gateway/util/xmalloc.h"
#include "gateway/util/zone.h"
#include "handlers/charset.h"
#include "handlers/csv.h"

#define CONTACTS_N(a) (sizeof(a) / sizeof((a)[0]))

enum contacts_col {
	COL_PHONE = 0,
	COL_NAME,
	COL_FIRST_NAME,
	COL_LOCALE,
	COL_CITY,
	COL_SEX,
	COL_CHANNEL,
	COL_TAGS,
	COL_CONSENT,
	COL_CONSENT_DATE,
	COL_COUNT,
	COL_EXTRA = COL_COUNT,
};

/* Header names (lower case, accents and separators folded) for each column. */
static const char *const contacts_aliases[COL_COUNT][8] = {
	[COL_PHONE] = { "telephone", "phone", "tel", "mobile", "numero", "gsm", "phone_number", NULL },
	[COL_NAME] = { "nom", "name", "nom_complet", "full_name", NULL },
	[COL_FIRST_NAME] = { "prenom", "first_name", "firstname", NULL },
	[COL_LOCALE] = { "langue", "locale", "language", "lang", NULL },
	[COL_CITY] = { "ville", "city", NULL },
	[COL_SEX] = { "sexe", "sex", "genre", "gender", NULL },
	[COL_CHANNEL] = { "canal", "channel", NULL },
	[COL_TAGS] = { "tags", "etiquettes", "tag", NULL },
	[COL_CONSENT] = { "consentement", "consent", NULL },
	[COL_CONSENT_DATE] = { "date_consentement", "consent_date", "date_du_consentement", NULL },
};

static const unsigned contacts_has[COL_COUNT] = { [COL_NAME] = CONTACT_HAS_NAME,
	[COL_FIRST_NAME] = CONTACT_HAS_FIRST_NAME,
	[COL_LOCALE] = CONTACT_HAS_LOCALE,
	[COL_CITY] = CONTACT_HAS_CITY,
	[COL_SEX] = CONTACT_HAS_SEX,
	[COL_CHANNEL] = CONTACT_HAS_CHANNEL,
	[COL_TAGS] = CONTACT_HAS_TAGS };

/* Values people write, and what they mean. */
static const struct {
	const char *in, *out;
} contacts_locales[] = { { "fr", "fr" }, { "francais", "fr" }, { "français", "fr" }, { "french", "fr" }, { "ar", "ar" },
	{ "arabe", "ar" }, { "arabic", "ar" }, { "ary", "ary" }, { "darija", "ary" }, { "ary-latn", "ary-Latn" },
	{ "ary_latn", "ary-Latn" }, { "arabizi", "ary-Latn" }, { "en", "en" }, { "anglais", "en" },
	{ "english", "en" } },
  contacts_sexes[] = { { "f", "f" }, { "femme", "f" }, { "female", "f" }, { "woman", "f" }, { "m", "m" },
	  { "homme", "m" }, { "male", "m" }, { "man", "m" }, { "h", "m" }, { "x", "x" }, { "autre", "x" },
	  { "other", "x" } },
  contacts_channels[] = { { "sms", "sms" }, { "whatsapp", "whatsapp" }, { "wa", "whatsapp" }, { "auto", "auto" } };

struct contacts_csv {
	struct contacts_csv_settings s;
	struct contacts_csv_handlers h;
	void *arg;
	struct csv_reader *csv;
	bool have_header;
	long line_offset;
	unsigned present; /* CONTACT_HAS_* of the header's columns */
	const char *phone_col;
	int cols[CSV_MAX_FIELDS]; /* enum contacts_col of each column, COL_EXTRA for a field, -1 ignored */
	char *colnames[CSV_MAX_FIELDS];
	size_t ncols;
	long rows;
	unsigned char carry[4]; /* the start of a UTF-8 sequence cut by the end of a piece */
	size_t ncarry;
	long newlines; /* in the bytes checked so far, for the line of an encoding error */
	struct buf conv;
	char *scratch;
	size_t used, cap;
	char why[256];
};

static int contacts_csv_record(void *arg, const struct csv_record *r);
static int contacts_csv_header(struct contacts_csv *p, const struct csv_record *r);
static int contacts_csv_row(struct contacts_csv *p, const struct csv_record *r);
static void contacts_fold(const char *in, char *out, size_t outlen);
static const char *contacts_keep(struct contacts_csv *p, const char *s, size_t len);
static int contacts_choice(const void *table, size_t n, const char *v, const char **out);
static const char *contacts_shown(const struct contacts_csv *p, const char *v, char *out, size_t outlen);
static int contacts_date(const char *s, long long *t);
static int contacts_pass(struct contacts_csv *p, const char *data, size_t len, char *why, size_t whylen);

struct contacts_csv *
contacts_csv_new(const struct contacts_csv_settings *s, const struct contacts_csv_handlers *h, void *arg)
{
	struct contacts_csv *p = xcalloc(1, sizeof *p);

	p->s = *s;
	p->h = *h;
	p->arg = arg;
	p->csv = csv_reader_new(contacts_csv_record, p);
	p->cap = CSV_MAX_RECORD + 2 * CSV_MAX_FIELDS + 64;
	p->scratch = xmalloc(p->cap);
	buf_init(&p->conv);
	return p;
}

void
contacts_csv_free(struct contacts_csv *p)
{
	if (p == NULL)
		return;
	csv_reader_free(p->csv);
	for (size_t i = 0; i < p->ncols; i++)
		free(p->colnames[i]);
	buf_free(&p->conv);
	free(p->scratch);
	free(p);
}

const char *
contacts_csv_locale(const char *v)
{
	const char *out;

	return contacts_choice(contacts_locales, CONTACTS_N(contacts_locales), v, &out) == 0 ? out : NULL;
}

const char *
contacts_csv_sex(const char *v)
{
	const char *out;

	return contacts_choice(contacts_sexes, CONTACTS_N(contacts_sexes), v, &out) == 0 ? out : NULL;
}

const char *
contacts_csv_channel(const char *v)
{
	const char *out;

	return contacts_choice(contacts_channels, CONTACTS_N(contacts_channels), v, &out) == 0 ? out : NULL;
}

void
contacts_csv_set_line_offset(struct contacts_csv *p, long offset)
{
	p->line_offset = offset;
}

const char *
contacts_csv_phone_column(const struct contacts_csv *p)
{
	return p->phone_col != NULL ? p->phone_col : "";
}

long
contacts_csv_rows(const struct contacts_csv *p)
{
	return p->rows;
}

char
contacts_csv_separator(const struct contacts_csv *p)
{
	return csv_reader_separator(p->csv);
}

/* Lower case, common Latin accents dropped, spaces and dashes as '_', trimmed. */
static void
contacts_fold(const char *in, char *out, size_t outlen)
{
	static const struct {
		const char *from;
		char to;
	} acc[] = { { "é", 'e' }, { "è", 'e' }, { "ê", 'e' }, { "ë", 'e' }, { "É", 'e' }, { "à", 'a' }, { "â", 'a' },
		{ "î", 'i' }, { "ï", 'i' }, { "ô", 'o' }, { "ù", 'u' }, { "û", 'u' }, { "ç", 'c' } };
	size_t o = 0;

	while (*in == ' ' || *in == '\t')
		in++;
	while (*in != '\0' && o + 1 < outlen) {
		size_t k;

		for (k = 0; k < sizeof acc / sizeof acc[0]; k++)
			if (strncmp(in, acc[k].from, strlen(acc[k].from)) == 0)
				break;
		if (k < sizeof acc / sizeof acc[0]) {
			out[o++] = acc[k].to;
			in += strlen(acc[k].from);
			continue;
		}
		out[o++] = *in == ' ' || *in == '-' ? '_' : *in >= 'A' && *in <= 'Z' ? (char)(*in - 'A' + 'a') : *in;
		in++;
	}
	while (o > 0 && (out[o - 1] == '_' || out[o - 1] == '\t'))
		o--;
	out[o] = '\0';
}

/* A trimmed copy of s in the row's scratch area. */
static const char *
contacts_keep(struct contacts_csv *p, const char *s, size_t len)
{
	char *d = p->scratch + p->used;

	while (len > 0 && (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')) {
		s++;
		len--;
	}
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\n' || s[len - 1] == '\r'))
		len--;
	if (p->used + len + 1 > p->cap)
		len = p->cap - p->used - 1;
	memcpy(d, s, len);
	d[len] = '\0';
	p->used += len + 1;
	return d;
}

/*
 * At most 40 bytes of v for a message, cut on a whole character, into out;
 * returns it as the value at fault. A phone number in the wrong column (a
 * file whose columns are shifted) is personal data: out says "…" and the
 * value returned is "" (none shown).
 */
static const char *
contacts_shown(const struct contacts_csv *p, const char *v, char *out, size_t outlen)
{
	size_t n = strlen(v) < 40 ? strlen(v) : 40;
	char e164[PHONE_E164_MAX];
	const char *reason;

	if (phone_normalise_in(v, p->s.country, e164, &reason) == 0) {
		snprintf(out, outlen, "%s", "…");
		return "";
	}
	snprintf(out, outlen, "%.*s", (int)utf8_prefix(v, n), v);
	return out;
}

/* The meaning of v in table (n entries): "" for an empty v; -1 when v is none of them. */
static int
contacts_choice(const void *table, size_t n, const char *v, const char **out)
{
	const struct {
		const char *in, *out;
	} *t = table;

	*out = "";
	if (*v == '\0')
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (strcasecmp(t[i].in, v) == 0) {
			*out = t[i].out;
			return 0;
		}
	}
	return -1;
}

/* ISO 8601 (local time without an offset) or French DD/MM/YYYY [HH:MM[:SS]]. */
static int
contacts_date(const char *s, long long *t)
{
	char iso[64], why[160];
	int d, m, y, n = 0;

	if (sscanf(s, "%2d/%2d/%4d%n", &d, &m, &y, &n) == 3 && n >= 8) {
		const char *rest = s + n;

		while (*rest == ' ')
			rest++;
		snprintf(iso, sizeof iso, "%04d-%02d-%02d%s%s", y, m, d, *rest != '\0' ? "T" : "", rest);
		return zone_parse(iso, t, why, sizeof why);
	}
	return zone_parse(s, t, why, sizeof why);
}

static int
contacts_csv_header(struct contacts_csv *p, const struct csv_record *r)
{
	char folded[128], note[200];
	bool seen[COL_COUNT] = { false };

	p->have_header = true;
	p->ncols = r->n;
	for (size_t i = 0; i < r->n; i++) {
		int col = COL_EXTRA;

		p->colnames[i] = xstrdup(contacts_keep(p, r->fields[i], r->len[i]));
		contacts_fold(p->colnames[i], folded, sizeof folded);
		for (int c = 0; c < COL_COUNT && col == COL_EXTRA; c++)
			for (size_t k = 0; contacts_aliases[c][k] != NULL; k++)
				if (strcmp(folded, contacts_aliases[c][k]) == 0)
					col = c;
		if (col != COL_EXTRA && seen[col]) {
			snprintf(p->why, sizeof p->why, "line %ld: column '%s' appears twice", r->line, p->colnames[i]);
			return -1;
		}
		if (col != COL_EXTRA)
			seen[col] = true;
		if (col == COL_PHONE)
			p->phone_col = p->colnames[i];
		if (col >= COL_NAME && col <= COL_TAGS)
			p->present |= contacts_has[col];
		if (col == COL_EXTRA && folded[0] == '\0') {
			col = -1;
		} else if (col == COL_EXTRA) {
			/* A field named as a contact's own would be confused with it. */
			free(p->colnames[i]);
			p->colnames[i] = xstrdup(folded);
			snprintf(
			    note, sizeof note, "column '%s' is kept as the contact field '%s'", r->fields[i], folded);
			if (p->h.note != NULL)
				p->h.note(p->arg, note);
		}
		p->cols[i] = col;
	}
	if (!seen[COL_PHONE]) {
		snprintf(p->why, sizeof p->why,
		    "line %ld: no phone column: the first row must name the columns, one of them téléphone or phone",
		    r->line);
		return -1;
	}
	return 0;
}

static int
contacts_csv_row(struct contacts_csv *p, const struct csv_record *r)
{
	struct contact_row row;
	const char *v, *reason, *col = "", *code = "", *value = "";
	char why[200], shown[48];

	memset(&row, 0, sizeof row);
	row.line = r->line + p->line_offset;
	row.present = p->present;
	row.name = row.first_name = row.city = row.locale = row.sex = row.channel = "";
	row.consent = -1;
	p->rows++;
	for (size_t i = 0; i < r->n && i < p->ncols; i++) {
		if (p->cols[i] < 0)
			continue;
		v = contacts_keep(p, r->fields[i], r->len[i]);
		col = p->colnames[i];
		switch (p->cols[i]) {
		case COL_PHONE:
			if (*v == '\0') {
				code = "phone_empty";
				snprintf(why, sizeof why, "the phone number is empty");
				goto refused;
			}
			if (phone_normalise_in(v, p->s.country, row.phone, &reason) != 0) {
				code = "phone_invalid";
				snprintf(why, sizeof why, "not a phone number: %s", reason);
				goto refused;
			}
			break;
		case COL_NAME:
			row.name = v;
			break;
		case COL_FIRST_NAME:
			row.first_name = v;
			break;
		case COL_CITY:
			row.city = v;
			break;
		case COL_LOCALE:
			if (contacts_choice(contacts_locales, CONTACTS_N(contacts_locales), v, &row.locale) != 0) {
				code = "locale_invalid";
				value = contacts_shown(p, v, shown, sizeof shown);
				snprintf(why, sizeof why, "'%s' is not a language: fr, ar, ary, ary-Latn or en", shown);
				goto refused;
			}
			break;
		case COL_SEX:
			if (contacts_choice(contacts_sexes, CONTACTS_N(contacts_sexes), v, &row.sex) != 0) {
				code = "sex_invalid";
				value = contacts_shown(p, v, shown, sizeof shown);
				snprintf(why, sizeof why, "'%s' is not f, m, x (femme, homme) or empty", shown);
				goto refused;
			}
			break;
		case COL_CHANNEL:
			if (contacts_choice(contacts_channels, CONTACTS_N(contacts_channels), v, &row.channel) != 0) {
				code = "channel_invalid";
				value = contacts_shown(p, v, shown, sizeof shown);
				snprintf(why, sizeof why, "'%s' is not sms, whatsapp or auto", shown);
				goto refused;
			}
			break;
		case COL_TAGS: {
			char *t = (char *)v, *save = NULL, *tok;

			for (tok = strtok_r(t, ",;|", &save); tok != NULL; tok = strtok_r(NULL, ",;|", &save)) {
				char *e;
				bool dup = false;

				while (*tok == ' ')
					tok++;
				for (e = tok + strlen(tok); e > tok && e[-1] == ' '; e--)
					;
				*e = '\0';
				for (char *c = tok; *c != '\0'; c++)
					if (*c >= 'A' && *c <= 'Z')
						*c = (char)(*c - 'A' + 'a');
				if (*tok == '\0')
					continue;
				if (strlen(tok) > 64) {
					code = "tag_too_long";
					snprintf(why, sizeof why, "a tag is longer than 64 bytes");
					goto refused;
				}
				for (size_t k = 0; k < row.ntags; k++)
					dup |= strcmp(row.tags[k], tok) == 0;
				if (dup)
					continue;
				if (row.ntags == CONTACTS_CSV_MAX_TAGS) {
					code = "too_many_tags";
					snprintf(shown, sizeof shown, "%d", CONTACTS_CSV_MAX_TAGS);
					value = shown; /* the most a row may have */
					snprintf(why, sizeof why, "more than %d tags", CONTACTS_CSV_MAX_TAGS);
					goto refused;
				}
				row.tags[row.ntags++] = tok;
			}
			break;
		}
		case COL_CONSENT:
			if (*v == '\0')
				break;
			if (strcasecmp(v, "oui") == 0 || strcasecmp(v, "yes") == 0 || strcasecmp(v, "o") == 0 ||
			    strcasecmp(v, "y") == 0 || strcmp(v, "1") == 0 || strcasecmp(v, "true") == 0 ||
			    strcasecmp(v, "vrai") == 0 || strcasecmp(v, "x") == 0) {
				row.consent = 1;
			} else if (strcasecmp(v, "non") == 0 || strcasecmp(v, "no") == 0 || strcasecmp(v, "n") == 0 ||
			    strcmp(v, "0") == 0 || strcasecmp(v, "false") == 0 || strcasecmp(v, "faux") == 0) {
				row.consent = 0;
			} else {
				code = "consent_invalid";
				value = contacts_shown(p, v, shown, sizeof shown);
				snprintf(why, sizeof why, "'%s' is not oui/yes or non/no", shown);
				goto refused;
			}
			break;
		case COL_CONSENT_DATE:
			if (*v != '\0' && (contacts_date(v, &row.consent_at) != 0 || row.consent_at <= 0)) {
				code = "date_invalid";
				value = contacts_shown(p, v, shown, sizeof shown);
				snprintf(why, sizeof why, "'%s' is not a date (2026-11-30, 30/11/2026 or with a time)",
				    shown);
				goto refused;
			}
			if (row.consent_at > (long long)time(NULL) + 86400) {
				code = "date_future";
				snprintf(why, sizeof why, "the consent date is in the future");
				goto refused;
			}
			break;
		default:
			if (row.nextra < CONTACTS_CSV_MAX_EXTRA && *v != '\0') {
				row.extra_name[row.nextra] = p->colnames[i];
				row.extra_value[row.nextra++] = v;
			}
			break;
		}
	}
	if (row.phone[0] == '\0') {
		col = "";
		for (size_t i = 0; i < p->ncols; i++)
			if (p->cols[i] == COL_PHONE)
				col = p->colnames[i];
		code = "phone_missing";
		snprintf(why, sizeof why, "the phone number is missing");
		goto refused;
	}
	if (row.consent_at != 0 && row.consent < 0) {
		col = "";
		code = "date_without_consent";
		snprintf(why, sizeof why, "a consent date without consent (oui or non)");
		goto refused;
	}
	return p->h.row(p->arg, &row);
refused:
	p->h.refused(p->arg, r->line + p->line_offset, col, code, value, why);
	return 0;
}

static int
contacts_csv_record(void *arg, const struct csv_record *r)
{
	struct contacts_csv *p = arg;

	p->used = 0;
	if (!p->have_header)
		return contacts_csv_header(p, r);
	return contacts_csv_row(p, r);
}

static int
contacts_pass(struct contacts_csv *p, const char *data, size_t len, char *why, size_t whylen)
{
	p->why[0] = '\0';
	if (csv_reader_feed(p->csv, data, len, why, whylen) == 0)
		return 0;
	if (p->why[0] != '\0')
		snprintf(why, whylen, "%s", p->why);
	return -1;
}

int
contacts_csv_feed(struct contacts_csv *p, const char *data, size_t len, char *why, size_t whylen)
{
	const unsigned char *s = (const unsigned char *)data;
	size_t ok;
	bool bad;

	if (p->s.windows1252) {
		buf_reset(&p->conv);
		charset_cp1252_to_utf8(data, len, &p->conv);
		return contacts_pass(p, p->conv.data, p->conv.len, why, whylen);
	}
	/* Finish a sequence the last piece cut, then check this one. */
	while (p->ncarry > 0 && len > 0) {
		p->carry[p->ncarry++] = *s++;
		len--;
		ok = charset_utf8_prefix(p->carry, p->ncarry, &bad);
		if (bad)
			goto not_utf8;
		if (ok == p->ncarry) {
			if (contacts_pass(p, (const char *)p->carry, ok, why, whylen) != 0)
				return -1;
			p->ncarry = 0;
		} else if (p->ncarry == 4) {
			goto not_utf8;
		}
	}
	if (p->ncarry > 0) /* still cut: this piece was all of it */
		return 0;
	ok = charset_utf8_prefix(s, len, &bad);
	for (size_t i = 0; i < ok; i++)
		p->newlines += s[i] == '\n';
	if (bad) {
		if (contacts_pass(p, (const char *)s, ok, why, whylen) != 0)
			return -1;
		goto not_utf8;
	}
	memcpy(p->carry, s + ok, len - ok);
	p->ncarry = len - ok;
	return contacts_pass(p, (const char *)s, ok, why, whylen);
not_utf8:
	snprintf(why, whylen,
	    "line %ld: the file is not UTF-8; it looks like Windows-1252, which French Excel writes for \"CSV\": "
	    "import it with encoding=windows-1252, or save it as \"CSV UTF-8\"",
	    p->newlines + 1);
	return -1;
}

int
contacts_csv_finish(struct contacts_csv *p, char *why, size_t whylen)
{
	if (p->ncarry > 0) {
		snprintf(why, whylen, "line %ld: the file ends inside a UTF-8 character", p->newlines + 1);
		return -1;
	}
	p->why[0] = '\0';
	if (csv_reader_finish(p->csv, why, whylen) != 0) {
		if (p->why[0] != '\0')
			snprintf(why, whylen, "%s", p->why);
		return -1;
	}
	if (!p->have_header) {
		snprintf(why, whylen, "the file is empty: the first row must name the columns (téléphone or phone, …)");
		return -1;
	}
	return 0;
}
