/*
 * A small PO reader: comments (a "#," line with "fuzzy" marks the next
 * entry), msgctxt, msgid and msgstr with their continuation lines, and the
 * C escapes PO uses. Plural forms are not used by the gateway's messages
 * and are refused, so that a translator's plural is not silently dropped.
 */
#include "locales/catalog.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/util/buf.h"
#include "gateway/util/xmalloc.h"
#include "locales/fallback.h"

struct catalog_entry {
	const char *locale; /* static, from locales/fallback.c */
	char *key, *text;
	long line; /* of its msgctxt or msgid in the PO text */
};

struct catalog {
	struct catalog_entry *e;
	size_t n, cap;
};

enum catalog_field { CATALOG_NONE, CATALOG_CTXT, CATALOG_ID, CATALOG_STR };

static int catalog_string(const char *p, const char *end, struct buf *out);
static int catalog_put(struct catalog *c, const char *locale, struct buf *id, struct buf *str, bool fuzzy, long line);
static const struct catalog_entry *catalog_entry(const struct catalog *c, const char *locale, const char *key);
static bool catalog_has(void *arg, const char *locale);

struct catalog *
catalog_new(void)
{
	return xcalloc(1, sizeof(struct catalog));
}

void
catalog_free(struct catalog *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->n; i++) {
		free(c->e[i].key);
		free(c->e[i].text);
	}
	free(c->e);
	free(c);
}

size_t
catalog_size(const struct catalog *c)
{
	return c->n;
}

/* Appends the quoted string at p (up to end) to out, unescaped; -1 when it is not one. */
static int
catalog_string(const char *p, const char *end, struct buf *out)
{
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if (p >= end || *p++ != '"')
		return -1;
	while (p < end && *p != '"') {
		char ch = *p++;

		/* Control characters are written as escapes in PO; a raw one (a NUL) is not text. */
		if ((unsigned char)ch < 0x20 && ch != '\t')
			return -1;
		if (ch == '\\') {
			if (p >= end)
				return -1;
			switch (*p++) {
			case 'n':
				ch = '\n';
				break;
			case 't':
				ch = '\t';
				break;
			case 'r':
				ch = '\r';
				break;
			case '"':
				ch = '"';
				break;
			case '\\':
				ch = '\\';
				break;
			default:
				return -1;
			}
		}
		buf_append(out, &ch, 1);
	}
	if (p >= end)
		return -1;
	for (p++; p < end; p++)
		if (*p != ' ' && *p != '\t' && *p != '\r')
			return -1;
	return 0;
}

/* Keeps one translation, which starts on line; -1 when it is not UTF-8. */
static int
catalog_put(struct catalog *c, const char *locale, struct buf *id, struct buf *str, bool fuzzy, long line)
{
	if (!utf8_valid(id->data != NULL ? id->data : "", id->len) ||
	    !utf8_valid(str->data != NULL ? str->data : "", str->len))
		return -1;
	/* The header (msgid "") and untranslated or fuzzy entries are not translations. */
	if (id->len == 0 || str->len == 0 || fuzzy)
		return 0;
	if (c->n == c->cap) {
		c->cap = c->cap == 0 ? 32 : c->cap * 2;
		c->e = xreallocarray(c->e, c->cap, sizeof *c->e);
	}
	c->e[c->n].locale = locale;
	c->e[c->n].key = xstrndup(id->data, id->len);
	c->e[c->n].text = xstrndup(str->data, str->len);
	c->e[c->n].line = line;
	c->n++;
	return 0;
}

int
catalog_add(struct catalog *c, const char *locale, const char *text, size_t len, char *why, size_t whylen)
{
	const char *loc = fallback_locale(locale, strlen(locale)), *p = text, *end = text + len;
	enum catalog_field field = CATALOG_NONE;
	struct buf id, str, ctxt;
	bool fuzzy = false, next_fuzzy = false;
	long line = 0, entry_line = 0;
	int rc = -1;

	if (loc == NULL) {
		snprintf(why, whylen, "'%s' is not a locale of the gateway", locale);
		return -1;
	}
	buf_init(&id);
	buf_init(&str);
	buf_init(&ctxt);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *le = nl != NULL ? nl : end, *q = p;

		line++;
		while (q < le && (*q == ' ' || *q == '\t'))
			q++;
		if (q == le || *q == '\r') {
			/* A blank line ends nothing by itself; the next msgid does. */
		} else if (*q == '#') {
			if (q + 1 < le && q[1] == ',' && memmem(q, (size_t)(le - q), "fuzzy", 5) != NULL)
				next_fuzzy = true;
		} else if (*q == '"') {
			struct buf *b = field == CATALOG_ID ? &id
			    : field == CATALOG_STR          ? &str
			    : field == CATALOG_CTXT         ? &ctxt
							    : NULL;

			if (b == NULL || catalog_string(q, le, b) != 0)
				goto bad;
		} else if (le - q >= 7 && strncmp(q, "msgctxt", 7) == 0) {
			if (catalog_put(c, loc, &id, &str, fuzzy, entry_line) != 0)
				goto not_utf8;
			buf_reset(&id);
			buf_reset(&str);
			buf_reset(&ctxt);
			fuzzy = next_fuzzy;
			next_fuzzy = false;
			entry_line = line;
			field = CATALOG_CTXT;
			if (catalog_string(q + 7, le, &ctxt) != 0)
				goto bad;
		} else if (le - q >= 12 && strncmp(q, "msgid_plural", 12) == 0) {
			snprintf(why, whylen, "line %ld: plural forms are not used in the gateway's messages", line);
			goto out;
		} else if (le - q >= 5 && strncmp(q, "msgid", 5) == 0) {
			if (field != CATALOG_CTXT) {
				if (catalog_put(c, loc, &id, &str, fuzzy, entry_line) != 0)
					goto not_utf8;
				buf_reset(&id);
				buf_reset(&str);
				fuzzy = next_fuzzy;
				next_fuzzy = false;
				entry_line = line;
			}
			field = CATALOG_ID;
			if (catalog_string(q + 5, le, &id) != 0)
				goto bad;
		} else if (le - q >= 6 && strncmp(q, "msgstr", 6) == 0 && field == CATALOG_ID) {
			field = CATALOG_STR;
			if (catalog_string(q + 6, le, &str) != 0)
				goto bad;
		} else {
			goto bad;
		}
		p = nl != NULL ? nl + 1 : end;
	}
	if (catalog_put(c, loc, &id, &str, fuzzy, entry_line) != 0)
		goto not_utf8;
	rc = 0;
	goto out;
not_utf8:
	snprintf(why, whylen, "line %ld: the entry before it is not UTF-8 (the catalogs are UTF-8)", line);
	goto out;
bad:
	snprintf(why, whylen, "line %ld: not PO (a comment, msgctxt, msgid, msgstr or a quoted continuation)", line);
out:
	buf_free(&id);
	buf_free(&str);
	buf_free(&ctxt);
	return rc;
}

int
catalog_load_dir(struct catalog *c, const char *dir, char *why, size_t whylen)
{
	static const char *const locales[] = { "fr", "ar", "ary", "ary-Latn", "en" };

	for (size_t i = 0; i < sizeof locales / sizeof locales[0]; i++) {
		char path[512], sub[200];
		struct buf b;
		FILE *f;
		size_t n;
		char chunk[4096];
		int rc;

		snprintf(path, sizeof path, "%s/%s.po", dir, locales[i]);
		if ((f = fopen(path, "r")) == NULL) {
			if (errno == ENOENT)
				continue;
			snprintf(why, whylen, "%s: %s", path, strerror(errno));
			return -1;
		}
		buf_init(&b);
		while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
			buf_append(&b, chunk, n);
		fclose(f);
		rc = catalog_add(c, locales[i], b.data != NULL ? b.data : "", b.len, sub, sizeof sub);
		buf_free(&b);
		if (rc != 0) {
			snprintf(why, whylen, "%s: %s", path, sub);
			return -1;
		}
	}
	return 0;
}

/* The entry of key in locale exactly, or NULL. */
static const struct catalog_entry *
catalog_entry(const struct catalog *c, const char *locale, const char *key)
{
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->e[i].locale, locale) == 0 && strcmp(c->e[i].key, key) == 0)
			return &c->e[i];
	return NULL;
}

const char *
catalog_get(const struct catalog *c, const char *locale, const char *key)
{
	const struct catalog_entry *e = catalog_entry(c, locale, key);

	return e != NULL ? e->text : NULL;
}

long
catalog_line(const struct catalog *c, const char *locale, const char *key)
{
	const struct catalog_entry *e = catalog_entry(c, locale, key);

	return e != NULL ? e->line : 0;
}

struct catalog_want {
	const struct catalog *c;
	const char *key;
};

static bool
catalog_has(void *arg, const char *locale)
{
	struct catalog_want *w = arg;

	return catalog_get(w->c, locale, w->key) != NULL;
}

const char *
catalog_lookup(const struct catalog *c, const char *locale, const char *key, const char *chain, const char **chosen)
{
	struct catalog_want w = { c, key };
	const char *l = fallback_pick(locale, chain, catalog_has, &w);

	if (chosen != NULL)
		*chosen = l;
	return l != NULL ? catalog_get(c, l, key) : NULL;
}

void
catalog_each(const struct catalog *c, const char *locale, const char *prefix,
    void (*fn)(void *arg, const char *key, const char *text), void *arg)
{
	size_t pl = strlen(prefix);
	const char *loc = fallback_locale(locale, strlen(locale));

	for (size_t i = 0; loc != NULL && i < c->n; i++)
		if (strcmp(c->e[i].locale, loc) == 0 && strncmp(c->e[i].key, prefix, pl) == 0)
			fn(arg, c->e[i].key, c->e[i].text);
}
