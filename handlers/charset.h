/*
 * UTF-8 checked piece by piece, and Windows-1252 converted to UTF-8 (the
 * WHATWG mapping: its five holes map to the C1 controls). Pure.
 */
#ifndef AMUDDU_CHARSET_H
#define AMUDDU_CHARSET_H

#include <stdbool.h>
#include <stddef.h>

#include "gateway/util/buf.h"

/*
 * The length of the longest prefix of s that is whole, valid UTF-8; *bad
 * when what follows is invalid (not merely cut by the end of s).
 */
size_t charset_utf8_prefix(const unsigned char *s, size_t len, bool *bad);
/* Appends data (Windows-1252) to out as UTF-8. */
void charset_cp1252_to_utf8(const char *data, size_t len, struct buf *out);

#endif
