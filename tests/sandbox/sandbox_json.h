/*
 * JSON string output for the sandbox's hand-built answers: faster than
 * building a jansson tree per request. Owns nothing.
 */
#ifndef AMUDDU_SANDBOX_JSON_H
#define AMUDDU_SANDBOX_JSON_H

#include <stddef.h>

struct evbuffer;

/*
 * Appends s[0..len) as a quoted JSON string. Bytes that are not part of
 * well-formed UTF-8 are written as \u00XX so the output always parses.
 */
void sandbox_json_add_string(struct evbuffer *out, const char *s, size_t len);

#endif
