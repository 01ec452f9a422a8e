/*
 * Form decoding as the WHATWG URL standard describes
 * application/x-www-form-urlencoded parsing, except that a malformed
 * %-escape is an error rather than kept literally: a provider never sends
 * one, so it means a broken or forged request.
 */
#include "handlers/form.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/util/buf.h"
#include "gateway/util/xmalloc.h"

static int form_decode(const char *s, size_t len, size_t base, char **out, size_t *outlen, char *err, size_t errlen);

/* Decodes s[0..len), which starts at byte base of the whole input, into a new NUL-terminated string. */
static int
form_decode(const char *s, size_t len, size_t base, char **out, size_t *outlen, char *err, size_t errlen)
{
	char *d = xmalloc(len + 1);
	size_t o = 0;
	int hi, lo;

	for (size_t i = 0; i < len; i++) {
		if (s[i] == '+') {
			d[o++] = ' ';
		} else if (s[i] == '%') {
			if (len - i < 3 || (hi = hex_digit_value((unsigned char)s[i + 1])) < 0 ||
			    (lo = hex_digit_value((unsigned char)s[i + 2])) < 0) {
				snprintf(err, errlen, "byte %zu: bad %%-escape", base + i);
				free(d);
				return -1;
			}
			d[o++] = (char)(hi << 4 | lo);
			i += 2;
		} else {
			d[o++] = s[i];
		}
	}
	d[o] = '\0';
	*out = d;
	*outlen = o;
	return 0;
}

void
form_init(struct form *f)
{
	memset(f, 0, sizeof *f);
}

int
form_parse(struct form *f, const char *s, size_t len, char *err, size_t errlen)
{
	size_t start = 0, end, eq;
	struct form_pair *p;
	const char *amp, *sep;

	form_init(f);
	while (start < len) {
		amp = memchr(s + start, '&', len - start);
		end = amp != NULL ? (size_t)(amp - s) : len;
		if (end == start) {
			start++;
			continue;
		}
		if (f->n == FORM_MAX_PAIRS) {
			snprintf(err, errlen, "byte %zu: more than %d fields", start, FORM_MAX_PAIRS);
			goto fail;
		}
		if (f->n == f->cap) {
			f->cap = f->cap == 0 ? 16 : f->cap * 2;
			f->v = xreallocarray(f->v, f->cap, sizeof *f->v);
		}
		p = &f->v[f->n];
		memset(p, 0, sizeof *p);
		sep = memchr(s + start, '=', end - start);
		eq = sep != NULL ? (size_t)(sep - s) : end;
		if (form_decode(s + start, eq - start, start, &p->name, &p->name_len, err, errlen) != 0)
			goto fail;
		if (form_decode(s + eq + (eq < end), end - eq - (eq < end), eq + (eq < end), &p->value, &p->value_len,
			err, errlen) != 0) {
			free(p->name);
			goto fail;
		}
		f->n++;
		start = end + 1;
	}
	return 0;
fail:
	form_free(f);
	return -1;
}

const struct form_pair *
form_find(const struct form *f, const char *name)
{
	size_t len = strlen(name);

	for (size_t i = 0; i < f->n; i++)
		if (f->v[i].name_len == len && memcmp(f->v[i].name, name, len) == 0)
			return &f->v[i];
	return NULL;
}

const char *
form_get(const struct form *f, const char *name)
{
	const struct form_pair *p = form_find(f, name);

	return p != NULL ? p->value : NULL;
}

void
form_free(struct form *f)
{
	for (size_t i = 0; i < f->n; i++) {
		free(f->v[i].name);
		free(f->v[i].value);
	}
	free(f->v);
	form_init(f);
}
