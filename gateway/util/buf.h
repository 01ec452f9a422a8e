/*
 * A growable byte buffer, always NUL-terminated, for building request bodies,
 * URLs and log fields. The owner of a struct buf calls buf_free().
 */
#ifndef AMUDDU_BUF_H
#define AMUDDU_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct buf {
	char *data;
	size_t len;
	size_t cap;
};

void buf_init(struct buf *b);
void buf_free(struct buf *b);
void buf_reset(struct buf *b);
void buf_append(struct buf *b, const void *data, size_t len);
void buf_puts(struct buf *b, const char *s);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends s percent-encoded as application/x-www-form-urlencoded (space as +). */
void buf_append_form(struct buf *b, const char *s, size_t len);
/* Appends s escaped as the inside of a JSON string (no quotes added). */
void buf_append_json(struct buf *b, const char *s, size_t len);
/* Appends name=value form-encoded, with a leading & unless the buffer is empty. */
void buf_add_form_field(struct buf *b, const char *name, const char *value);
/* Takes the data out of the buffer; the caller frees it. The buffer is left empty. */
char *buf_release(struct buf *b);

/* The value of a hex digit, or -1. */
int hex_digit_value(unsigned char c);

/* True when s[0..len) is well-formed UTF-8 (no overlongs, surrogates or values past U+10FFFF). */
bool utf8_valid(const char *s, size_t len);
/* The longest prefix of s[0..len) that ends on a whole UTF-8 character (a cut string stays valid). */
size_t utf8_prefix(const char *s, size_t len);
/* Writes code point cp (at most U+10FFFF, not a surrogate) as UTF-8 into out; returns its length, 0 for none. */
size_t utf8_encode(uint32_t cp, char out[4]);

#endif
