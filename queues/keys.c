/*
 * The key-part encoding of keys.h: percent-encoding of everything but an
 * unreserved set, so that ordinary ids and campaign names stay readable
 * in key names (train-2026-11-0001) and hostile ones stay apart.
 */
#include "queues/keys.h"

#include <stdbool.h>
#include <string.h>

#include "gateway/util/xmalloc.h"

static bool keys_plain_byte(unsigned char c);

static bool
keys_plain_byte(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
	    c == '_' || c == '~' || c == '@' || c == '/';
}

int
keys_is_plain(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!keys_plain_byte((unsigned char)s[i]))
			return 0;
	return 1;
}

char *
keys_encode(const char *s, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = 0;
	char *out, *o;

	for (size_t i = 0; i < len; i++)
		n += keys_plain_byte((unsigned char)s[i]) ? 1 : 3;
	out = o = xmalloc(n + 1);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (keys_plain_byte(c)) {
			*o++ = (char)c;
		} else {
			*o++ = '%';
			*o++ = hex[c >> 4];
			*o++ = hex[c & 15];
		}
	}
	*o = '\0';
	return out;
}
