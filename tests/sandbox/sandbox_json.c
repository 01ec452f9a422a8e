/*
 * JSON string escaping straight into an evbuffer. Safe runs are copied in
 * one piece; only quotes, backslashes and control bytes cost extra.
 */
#include "sandbox_json.h"

#include <stdbool.h>
#include <stdio.h>

#include <event2/buffer.h>

#include "gateway/util/buf.h"

void
sandbox_json_add_string(struct evbuffer *out, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	bool raw_high = utf8_valid(s, len);
	size_t run = 0;

	evbuffer_add(out, "\"", 1);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[6];
		size_t n = 0;

		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			n = 2;
		} else if (c == '\n') {
			esc[0] = '\\';
			esc[1] = 'n';
			n = 2;
		} else if (c == '\t') {
			esc[0] = '\\';
			esc[1] = 't';
			n = 2;
		} else if (c == '\r') {
			esc[0] = '\\';
			esc[1] = 'r';
			n = 2;
		} else if (c < 0x20 || c == 0x7f || (c >= 0x80 && !raw_high)) {
			esc[0] = '\\';
			esc[1] = 'u';
			esc[2] = '0';
			esc[3] = '0';
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			n = 6;
		}
		if (n == 0) {
			run++;
			continue;
		}
		if (run > 0)
			evbuffer_add(out, s + i - run, run);
		run = 0;
		evbuffer_add(out, esc, n);
	}
	if (run > 0)
		evbuffer_add(out, s + len - run, run);
	evbuffer_add(out, "\"", 1);
}
