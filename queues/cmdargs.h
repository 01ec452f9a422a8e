/*
 * A Redis command's argument vector built piece by piece: strings are
 * borrowed (they must outlive the call), numbers are formatted into
 * storage the vector owns. The builder owns it; cmdargs_free().
 */
#ifndef AMUDDU_CMDARGS_H
#define AMUDDU_CMDARGS_H

#include <stddef.h>

struct cmdargs_numchunk;

struct cmdargs {
	const char **v;
	size_t *lens;
	int n, cap;
	struct cmdargs_numchunk *nums;
	char **owned; /* copies made by cmdargs_dup() */
	size_t nowned;
};

void cmdargs_add(struct cmdargs *a, const char *s, size_t len);
/* s is borrowed: it must outlive the call (a literal, a static name); else cmdargs_dup(). */
void cmdargs_str(struct cmdargs *a, const char *s);
void cmdargs_num(struct cmdargs *a, long long v);
/* A copy of s (len bytes) that the vector owns, for strings that would not outlive the call. */
void cmdargs_dup(struct cmdargs *a, const char *s, size_t len);
/* Moves what src owns (numbers, copies) and its arguments onto the end of dst; src is left empty. */
void cmdargs_append(struct cmdargs *dst, struct cmdargs *src);
void cmdargs_free(struct cmdargs *a);
/* The local date of ms (epoch milliseconds) as "YYYYMMDD": the day the reach counters count on. */
void cmdargs_day(struct cmdargs *a, long long ms);

#endif
