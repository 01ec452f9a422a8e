/*
 * Top-level JSON member scanner (RFC 8259 grammar, checked as far as the
 * scan goes: strings, numbers, literals, nesting up to 64 levels). The
 * member may be anywhere in the object; the rest of the document after it
 * is not validated, which is enough to read a provider's answer safely.
 */
#include "handlers/json_scan.h"

#include <string.h>

#define JSON_SCAN_MAX_DEPTH 64

struct json_scan {
	const char *p, *end;
};

static void json_scan_ws(struct json_scan *js);
static bool json_scan_string(struct json_scan *js, char *out, size_t outlen, size_t *n);
static bool json_scan_value(struct json_scan *js, int depth);
static bool json_scan_number(struct json_scan *js);
static bool json_scan_literal(struct json_scan *js, const char *word);

static void
json_scan_ws(struct json_scan *js)
{
	while (js->p < js->end && (*js->p == ' ' || *js->p == '\t' || *js->p == '\n' || *js->p == '\r'))
		js->p++;
}

/*
 * Reads a string at p (which is '"'). When out is not NULL, copies what fits
 * of it unescaped; *n is the full unescaped length, so n >= outlen means it
 * did not fit.
 */
static bool
json_scan_string(struct json_scan *js, char *out, size_t outlen, size_t *n)
{
	size_t len = 0;

	if (js->p >= js->end || *js->p != '"')
		return false;
	js->p++;
	while (js->p < js->end) {
		unsigned char c = (unsigned char)*js->p++;

		if (c == '"') {
			if (out != NULL)
				out[len < outlen ? len : outlen - 1] = '\0';
			if (n != NULL)
				*n = len;
			return true;
		}
		if (c < 0x20)
			return false;
		if (c == '\\') {
			if (js->p >= js->end)
				return false;
			c = (unsigned char)*js->p++;
			switch (c) {
			case '"':
			case '\\':
			case '/':
				break;
			case 'b':
				c = '\b';
				break;
			case 'f':
				c = '\f';
				break;
			case 'n':
				c = '\n';
				break;
			case 'r':
				c = '\r';
				break;
			case 't':
				c = '\t';
				break;
			case 'u': {
				unsigned v = 0;

				if (js->end - js->p < 4)
					return false;
				for (int i = 0; i < 4; i++) {
					char h = js->p[i];

					v <<= 4;
					if (h >= '0' && h <= '9')
						v |= (unsigned)(h - '0');
					else if (h >= 'a' && h <= 'f')
						v |= (unsigned)(h - 'a' + 10);
					else if (h >= 'A' && h <= 'F')
						v |= (unsigned)(h - 'A' + 10);
					else
						return false;
				}
				js->p += 4;
				/* Ids and codes are ASCII: anything else stands as '?' and matches nothing. */
				c = v < 0x80 ? (unsigned char)v : '?';
				break;
			}
			default:
				return false;
			}
		}
		if (out != NULL && len + 1 < outlen)
			out[len] = (char)c;
		len++;
	}
	return false;
}

static bool
json_scan_number(struct json_scan *js)
{
	const char *start = js->p;

	if (js->p < js->end && *js->p == '-')
		js->p++;
	if (js->p >= js->end || *js->p < '0' || *js->p > '9')
		return false;
	while (js->p < js->end &&
	    ((*js->p >= '0' && *js->p <= '9') || *js->p == '.' || *js->p == 'e' || *js->p == 'E' || *js->p == '+' ||
		*js->p == '-'))
		js->p++;
	return js->p > start;
}

static bool
json_scan_literal(struct json_scan *js, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(js->end - js->p) < n || memcmp(js->p, word, n) != 0)
		return false;
	js->p += n;
	return true;
}

/* Skips one value of any kind. */
static bool
json_scan_value(struct json_scan *js, int depth)
{
	char close;

	json_scan_ws(js);
	if (js->p >= js->end)
		return false;
	switch (*js->p) {
	case '"':
		return json_scan_string(js, NULL, 0, NULL);
	case 't':
		return json_scan_literal(js, "true");
	case 'f':
		return json_scan_literal(js, "false");
	case 'n':
		return json_scan_literal(js, "null");
	case '{':
	case '[':
		if (depth >= JSON_SCAN_MAX_DEPTH)
			return false;
		close = *js->p == '{' ? '}' : ']';
		js->p++;
		json_scan_ws(js);
		if (js->p < js->end && *js->p == close) {
			js->p++;
			return true;
		}
		for (;;) {
			if (close == '}') {
				json_scan_ws(js);
				if (!json_scan_string(js, NULL, 0, NULL))
					return false;
				json_scan_ws(js);
				if (js->p >= js->end || *js->p++ != ':')
					return false;
			}
			if (!json_scan_value(js, depth + 1))
				return false;
			json_scan_ws(js);
			if (js->p >= js->end)
				return false;
			if (*js->p == ',') {
				js->p++;
				continue;
			}
			if (*js->p++ != close)
				return false;
			return true;
		}
	default:
		return json_scan_number(js);
	}
}

enum json_scan_result
json_scan_member(const char *s, size_t len, const char *key, char *out, size_t outlen)
{
	struct json_scan js = { s, s + len };
	char name[64];
	size_t klen = strlen(key), n;

	if (outlen == 0)
		return JSON_SCAN_MALFORMED;
	json_scan_ws(&js);
	if (js.p >= js.end || *js.p++ != '{')
		return JSON_SCAN_MALFORMED;
	json_scan_ws(&js);
	if (js.p < js.end && *js.p == '}')
		return JSON_SCAN_ABSENT;
	for (;;) {
		bool match;

		json_scan_ws(&js);
		if (!json_scan_string(&js, name, sizeof name, &n))
			return JSON_SCAN_MALFORMED;
		match = n == klen && n < sizeof name && memcmp(name, key, klen) == 0;
		json_scan_ws(&js);
		if (js.p >= js.end || *js.p++ != ':')
			return JSON_SCAN_MALFORMED;
		json_scan_ws(&js);
		if (match && js.p < js.end && *js.p == '"')
			return json_scan_string(&js, out, outlen, &n) && n < outlen ? JSON_SCAN_FOUND
										    : JSON_SCAN_MALFORMED;
		if (match && js.p < js.end && (*js.p == '-' || (*js.p >= '0' && *js.p <= '9'))) {
			const char *start = js.p;

			if (!json_scan_number(&js))
				return JSON_SCAN_MALFORMED;
			if ((size_t)(js.p - start) >= outlen || memchr(start, '.', (size_t)(js.p - start)) != NULL)
				return JSON_SCAN_MALFORMED;
			memcpy(out, start, (size_t)(js.p - start));
			out[js.p - start] = '\0';
			return JSON_SCAN_FOUND;
		}
		if (!json_scan_value(&js, 1))
			return JSON_SCAN_MALFORMED;
		json_scan_ws(&js);
		if (js.p >= js.end)
			return JSON_SCAN_MALFORMED;
		if (*js.p == ',') {
			js.p++;
			continue;
		}
		return *js.p == '}' ? JSON_SCAN_ABSENT : JSON_SCAN_MALFORMED;
	}
}
