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
};

void cmdargs_add(struct cmdargs *a, const char *s, size_t len);
void cmdargs_str(struct cmdargs *a, const char *s);
void cmdargs_num(struct cmdargs *a, long long v);
void cmdargs_free(struct cmdargs *a);

#endif
