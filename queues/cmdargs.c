/*
 * Argument vectors for EVALSHA calls with many arguments, without a copy
 * of each string.
 */
#include "queues/cmdargs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/util/xmalloc.h"
#include "gateway/util/zone.h"

struct cmdargs_numchunk {
	struct cmdargs_numchunk *next;
	int used;
	char num[32][24];
};

void
cmdargs_add(struct cmdargs *a, const char *s, size_t len)
{
	if (a->n == a->cap) {
		a->cap = a->cap == 0 ? 32 : a->cap * 2;
		a->v = xreallocarray(a->v, (size_t)a->cap, sizeof *a->v);
		a->lens = xreallocarray(a->lens, (size_t)a->cap, sizeof *a->lens);
	}
	a->v[a->n] = s;
	a->lens[a->n] = len;
	a->n++;
}

void
cmdargs_str(struct cmdargs *a, const char *s)
{
	cmdargs_add(a, s, strlen(s));
}

void
cmdargs_num(struct cmdargs *a, long long v)
{
	struct cmdargs_numchunk *c = a->nums;
	int len;

	if (c == NULL || c->used == (int)(sizeof c->num / sizeof c->num[0])) {
		c = xcalloc(1, sizeof *c);
		c->next = a->nums;
		a->nums = c;
	}
	len = snprintf(c->num[c->used], sizeof c->num[0], "%lld", v);
	cmdargs_add(a, c->num[c->used++], (size_t)len);
}

void
cmdargs_dup(struct cmdargs *a, const char *s, size_t len)
{
	char *c = xmalloc(len + 1);

	memcpy(c, s, len);
	c[len] = '\0';
	a->owned = xreallocarray(a->owned, a->nowned + 1, sizeof *a->owned);
	a->owned[a->nowned++] = c;
	cmdargs_add(a, c, len);
}

void
cmdargs_append(struct cmdargs *dst, struct cmdargs *src)
{
	struct cmdargs_numchunk *last;

	for (int i = 0; i < src->n; i++)
		cmdargs_add(dst, src->v[i], src->lens[i]);
	if (src->nums != NULL) {
		for (last = src->nums; last->next != NULL; last = last->next)
			;
		last->next = dst->nums;
		dst->nums = src->nums;
		src->nums = NULL;
	}
	dst->owned = xreallocarray(dst->owned, dst->nowned + src->nowned + 1, sizeof *dst->owned);
	memcpy(dst->owned + dst->nowned, src->owned, src->nowned * sizeof *src->owned);
	dst->nowned += src->nowned;
	free(src->owned);
	src->owned = NULL;
	src->nowned = 0;
	cmdargs_free(src);
}

void
cmdargs_free(struct cmdargs *a)
{
	struct cmdargs_numchunk *c, *next;

	for (c = a->nums; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	for (size_t i = 0; i < a->nowned; i++)
		free(a->owned[i]);
	free(a->owned);
	free(a->v);
	free(a->lens);
	memset(a, 0, sizeof *a);
}

void
cmdargs_day(struct cmdargs *a, long long ms)
{
	char day[16];

	zone_day(ms / 1000, day, sizeof day);
	cmdargs_dup(a, day, strlen(day));
}
