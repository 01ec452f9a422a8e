/*
 * A set of strings (open addressing, linear probing), optionally with a
 * pointer beside each, for the stream entries a gateway process holds. The
 * set owns copies of its keys, not the values; strset_free().
 */
#ifndef AMUDDU_STRSET_H
#define AMUDDU_STRSET_H

#include <stdbool.h>
#include <stddef.h>

struct strset {
	char **slots;
	void **values; /* beside each slot: what strset_put() gave */
	size_t cap;    /* power of two */
	size_t count;  /* live keys */
	size_t used;   /* live keys and tombstones */
};

void strset_init(struct strset *s);
void strset_free(struct strset *s);
/* Returns true when key was added, false when it was already there. */
bool strset_add(struct strset *s, const char *key);
/* Adds key with a value; false (nothing changed) when key is there already. */
bool strset_put(struct strset *s, const char *key, void *value);
/* The value of key, or NULL when it is absent (or was added without one). */
void *strset_get(const struct strset *s, const char *key);
bool strset_has(const struct strset *s, const char *key);
/* Returns true when key was there. */
bool strset_del(struct strset *s, const char *key);

#endif
