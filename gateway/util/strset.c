/*
 * String set (and map: a value beside each key) with linear probing and
 * tombstones; grows at half load so probes stay short, and rebuilds when
 * tombstones pile up.
 */
#include "gateway/util/strset.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/util/xmalloc.h"

static char strset_tombstone;
#define STRSET_TOMB (&strset_tombstone)

static uint64_t strset_hash(const char *key);
static void strset_rehash(struct strset *s, size_t cap);
static size_t strset_find(const struct strset *s, const char *key);

/* FNV-1a: keys are short stream ids, not attacker-chosen in bulk. */
static uint64_t
strset_hash(const char *key)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *key != '\0'; key++) {
		h ^= (unsigned char)*key;
		h *= 1099511628211ULL;
	}
	return h;
}

void
strset_init(struct strset *s)
{
	memset(s, 0, sizeof *s);
}

void
strset_free(struct strset *s)
{
	for (size_t i = 0; i < s->cap; i++)
		if (s->slots[i] != NULL && s->slots[i] != STRSET_TOMB)
			free(s->slots[i]);
	free(s->slots);
	free(s->values);
	strset_init(s);
}

static void
strset_rehash(struct strset *s, size_t cap)
{
	char **old = s->slots;
	void **oldv = s->values;
	size_t oldcap = s->cap;

	s->slots = xcalloc(cap, sizeof *s->slots);
	s->values = xcalloc(cap, sizeof *s->values);
	s->cap = cap;
	s->used = s->count;
	for (size_t i = 0; i < oldcap; i++) {
		size_t j;

		if (old[i] == NULL || old[i] == STRSET_TOMB)
			continue;
		j = strset_hash(old[i]) & (cap - 1);
		while (s->slots[j] != NULL)
			j = (j + 1) & (cap - 1);
		s->slots[j] = old[i];
		s->values[j] = oldv[i];
	}
	free(old);
	free(oldv);
}

/* Index of key, or s->cap when absent. */
static size_t
strset_find(const struct strset *s, const char *key)
{
	size_t i;

	if (s->cap == 0)
		return 0;
	i = strset_hash(key) & (s->cap - 1);
	while (s->slots[i] != NULL) {
		if (s->slots[i] != STRSET_TOMB && strcmp(s->slots[i], key) == 0)
			return i;
		i = (i + 1) & (s->cap - 1);
	}
	return s->cap;
}

bool
strset_add(struct strset *s, const char *key)
{
	return strset_put(s, key, NULL);
}

void *
strset_get(const struct strset *s, const char *key)
{
	size_t i = strset_find(s, key);

	return s->cap == 0 || i == s->cap ? NULL : s->values[i];
}

bool
strset_put(struct strset *s, const char *key, void *value)
{
	size_t i;

	if (strset_has(s, key))
		return false;
	if ((s->used + 1) * 2 > s->cap) {
		size_t cap = 16;

		while (cap < (s->count + 1) * 4)
			cap *= 2;
		strset_rehash(s, cap);
	}
	i = strset_hash(key) & (s->cap - 1);
	while (s->slots[i] != NULL && s->slots[i] != STRSET_TOMB)
		i = (i + 1) & (s->cap - 1);
	if (s->slots[i] == NULL)
		s->used++;
	s->slots[i] = xstrdup(key);
	s->values[i] = value;
	s->count++;
	return true;
}

bool
strset_has(const struct strset *s, const char *key)
{
	return s->cap != 0 && strset_find(s, key) != s->cap;
}

bool
strset_del(struct strset *s, const char *key)
{
	size_t i = strset_find(s, key);

	if (s->cap == 0 || i == s->cap)
		return false;
	free(s->slots[i]);
	s->slots[i] = STRSET_TOMB;
	s->values[i] = NULL;
	s->count--;
	return true;
}
