/*
 * Character sets of the files people bring: how much of a piece is whole,
 * valid UTF-8 (a character may be cut by the end of a piece), and
 * Windows-1252, which French Excel writes for "CSV", to UTF-8.
 */
#include "handlers/charset.h"

#include <stdint.h>

/* The length of the longest prefix of s that is whole, valid UTF-8; *bad when what follows is invalid. */
size_t
charset_utf8_prefix(const unsigned char *s, size_t len, bool *bad)
{
	size_t i = 0;

	*bad = false;
	while (i < len) {
		size_t n = s[i] < 0x80      ? 1
		    : (s[i] & 0xE0) == 0xC0 ? 2
		    : (s[i] & 0xF0) == 0xE0 ? 3
		    : (s[i] & 0xF8) == 0xF0 ? 4
					    : 0;

		if (n == 0) {
			*bad = true;
			return i;
		}
		if (i + n > len) {
			/* Cut by the end of the piece, unless what is there is already wrong. */
			for (size_t k = i + 1; k < len; k++)
				if ((s[k] & 0xC0) != 0x80)
					*bad = true;
			return i;
		}
		if (!utf8_valid((const char *)s + i, n)) {
			*bad = true;
			return i;
		}
		i += n;
	}
	return i;
}

/* Windows-1252's 0x80-0x9F (WHATWG encoding standard; its five holes map to the C1 controls). */
static const unsigned short charset_cp1252[32] = { 0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
	0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F, 0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
	0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178 };

void
charset_cp1252_to_utf8(const char *data, size_t len, struct buf *out)
{
	const unsigned char *s = (const unsigned char *)data;

	for (size_t i = 0; i < len; i++) {
		char u[4];
		uint32_t cp = s[i] < 0x80 ? s[i] : s[i] < 0xA0 ? charset_cp1252[s[i] - 0x80] : s[i];

		buf_append(out, u, utf8_encode(cp, u));
	}
}
