/*
 * Form decoding: '+' is a space, %XX a byte; a malformed escape is kept as
 * it stands, as most servers do. Decoding never grows a field, so each one
 * is rewritten in place over its own bytes and NUL-terminated there.
 */
#include "sandbox_form.h"

#include <string.h>

static int sandbox_form_hexval(char c);
static size_t sandbox_form_decode(char *s, size_t len);

void
sandbox_form_init(struct sandbox_form *form)
{
	buf_init(&form->data);
	form->nfields = 0;
}

void
sandbox_form_free(struct sandbox_form *form)
{
	buf_free(&form->data);
	form->nfields = 0;
}

static int
sandbox_form_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes s[0..len) in place, NUL-terminates it and returns the new length. */
static size_t
sandbox_form_decode(char *s, size_t len)
{
	size_t r, w = 0;

	for (r = 0; r < len; r++) {
		int hi, lo;

		if (s[r] == '+')
			s[w++] = ' ';
		else if (s[r] == '%' && r + 2 < len && (hi = sandbox_form_hexval(s[r + 1])) >= 0 &&
		    (lo = sandbox_form_hexval(s[r + 2])) >= 0) {
			s[w++] = (char)(hi << 4 | lo);
			r += 2;
		} else
			s[w++] = s[r];
	}
	s[w] = '\0';
	return w;
}

int
sandbox_form_parse(struct sandbox_form *form, const char *raw, size_t len)
{
	char *p, *end;

	form->nfields = 0;
	buf_reset(&form->data);
	buf_append(&form->data, raw, len);
	p = form->data.data;
	end = p + len;
	while (p < end) {
		char *amp, *eq;
		struct sandbox_form_field *f;
		size_t seg;

		if ((amp = memchr(p, '&', (size_t)(end - p))) == NULL)
			amp = end;
		seg = (size_t)(amp - p);
		if (seg == 0) {
			p = amp + 1;
			continue;
		}
		if (form->nfields == SANDBOX_FORM_MAX_FIELDS)
			return -1;
		f = &form->fields[form->nfields++];
		if ((eq = memchr(p, '=', seg)) == NULL) {
			f->name = p;
			f->name_len = sandbox_form_decode(p, seg);
			/* The terminating NUL of the name doubles as an empty value. */
			f->value = p + f->name_len;
			f->value_len = 0;
		} else {
			f->name = p;
			f->name_len = sandbox_form_decode(p, (size_t)(eq - p));
			f->value = eq + 1;
			f->value_len = sandbox_form_decode(eq + 1, (size_t)(amp - eq - 1));
		}
		p = amp + 1;
	}
	return 0;
}

const struct sandbox_form_field *
sandbox_form_get(const struct sandbox_form *form, const char *name)
{
	size_t len = strlen(name);

	for (size_t i = 0; i < form->nfields; i++) {
		const struct sandbox_form_field *f = &form->fields[i];

		if (f->name_len == len && memcmp(f->name, name, len) == 0)
			return f;
	}
	return NULL;
}

size_t
sandbox_form_count(const struct sandbox_form *form, const char *name)
{
	size_t len = strlen(name), n = 0;

	for (size_t i = 0; i < form->nfields; i++) {
		const struct sandbox_form_field *f = &form->fields[i];

		if (f->name_len == len && memcmp(f->name, name, len) == 0)
			n++;
	}
	return n;
}
