/*
 * A set of strings (open addressing, linear probing), for the stream entry
 * ids a gateway process holds. The set owns copies of its keys; strset_free().
 */
#ifndef AMUDDU_STRSET_H
#define AMUDDU_STRSET_H

#include <stdbool.h>
#include <stddef.h>

struct strset {
	char **slots;
	size_t cap;   /* power of two */
	size_t count; /* live keys */
	size_t used;  /* live keys and tombstones */
};

void strset_init(struct strset *s);
void strset_free(struct strset *s);
/* Returns true when key was added, false when it was already there. */
bool strset_add(struct strset *s, const char *key);
bool strset_has(const struct strset *s, const char *key);
/* Returns true when key was there. */
bool strset_del(struct strset *s, const char *key);

#endif
