/*
 * Key names built from outside strings (message ids, campaign names,
 * provider message ids): every byte outside A-Z a-z 0-9 - . _ ~ @ / is
 * written %XX, so an encoded part never holds ':' (which separates the
 * parts of a key name) or '%' unescaped, and two different strings never
 * give the same key. docs/redis.md states the rule for producers that read
 * these keys.
 */
#ifndef AMUDDU_KEYS_H
#define AMUDDU_KEYS_H

#include <stddef.h>

/* The encoded form of s (len bytes), NUL-terminated; the caller frees it. */
char *keys_encode(const char *s, size_t len);
/* Whether s (len bytes) is its own encoded form. */
int keys_is_plain(const char *s, size_t len);

#endif
