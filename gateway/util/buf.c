/*
 * Growable byte buffer and form encoding; also the UTF-8 well-formedness
 * check, which every layer needs for outside input.
 */
#include "buf.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"

static void buf_reserve(struct buf *b, size_t extra);

void
buf_init(struct buf *b)
{
	b->data = NULL;
	b->len = b->cap = 0;
}

void
buf_free(struct buf *b)
{
	free(b->data);
	buf_init(b);
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->data != NULL)
		b->data[0] = '\0';
}

static void
buf_reserve(struct buf *b, size_t extra)
{
	size_t want = b->len + extra + 1;

	if (want <= b->cap)
		return;
	if (b->cap == 0)
		b->cap = 64;
	while (b->cap < want)
		b->cap *= 2;
	b->data = xrealloc(b->data, b->cap);
}

void
buf_append(struct buf *b, const void *data, size_t len)
{
	buf_reserve(b, len);
	if (len > 0)
		memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
}

void
buf_puts(struct buf *b, const char *s)
{
	buf_append(b, s, strlen(s));
}

void
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	buf_reserve(b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void
buf_append_form(struct buf *b, const char *s, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";

	buf_reserve(b, len * 3);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
		    c == '_' || c == '.' || c == '*')
			b->data[b->len++] = (char)c;
		else if (c == ' ')
			b->data[b->len++] = '+';
		else {
			b->data[b->len++] = '%';
			b->data[b->len++] = hex[c >> 4];
			b->data[b->len++] = hex[c & 15];
		}
	}
	b->data[b->len] = '\0';
}

void
buf_append_json(struct buf *b, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";

	buf_reserve(b, len + 2);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\') {
			buf_append(b, "\\", 1);
			buf_append(b, &s[i], 1);
		} else if (c < 0x20) {
			char esc[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };

			buf_append(b, esc, sizeof esc);
		} else
			buf_append(b, &s[i], 1);
	}
}

void
buf_add_form_field(struct buf *b, const char *name, const char *value)
{
	if (b->len > 0)
		buf_append(b, "&", 1);
	buf_append_form(b, name, strlen(name));
	buf_append(b, "=", 1);
	buf_append_form(b, value, strlen(value));
}

char *
buf_release(struct buf *b)
{
	char *p = b->data;

	if (p == NULL)
		p = xstrdup("");
	buf_init(b);
	return p;
}

size_t
utf8_prefix(const char *s, size_t len)
{
	size_t n = len;

	/* Back over continuation bytes to a lead byte, then keep that character only if it is whole. */
	while (n > 0 && ((unsigned char)s[n - 1] & 0xC0) == 0x80)
		n--;
	if (n > 0 && (unsigned char)s[n - 1] >= 0xC0) {
		unsigned char lead = (unsigned char)s[n - 1];
		size_t need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;

		return len - (n - 1) >= need ? len : n - 1;
	}
	return len;
}

size_t
utf8_encode(uint32_t cp, char out[4])
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xC0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp >= 0xD800 && cp <= 0xDFFF)
		return 0;
	if (cp < 0x10000) {
		out[0] = (char)(0xE0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		out[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	if (cp > 0x10FFFF)
		return 0;
	out[0] = (char)(0xF0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	out[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

bool
utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;

	while (p < end) {
		uint32_t cp;
		int n;

		if (*p < 0x80) {
			p++;
			continue;
		}
		if ((*p & 0xE0) == 0xC0) {
			n = 1;
			cp = *p & 0x1F;
		} else if ((*p & 0xF0) == 0xE0) {
			n = 2;
			cp = *p & 0x0F;
		} else if ((*p & 0xF8) == 0xF0) {
			n = 3;
			cp = *p & 0x07;
		} else
			return false;
		if (end - p <= n)
			return false;
		for (int i = 1; i <= n; i++) {
			if ((p[i] & 0xC0) != 0x80)
				return false;
			cp = (cp << 6) | (p[i] & 0x3F);
		}
		if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10FFFF ||
		    (cp >= 0xD800 && cp <= 0xDFFF))
			return false;
		p += n + 1;
	}
	return true;
}

int
hex_digit_value(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}
