/*
 * application/x-www-form-urlencoded decoding, for webhook POST bodies and
 * query strings. A struct form owns decoded copies of every name and value
 * (binary-safe lengths, each also NUL-terminated); its owner calls
 * form_free().
 */
#ifndef AMUDDU_FORM_H
#define AMUDDU_FORM_H

#include <stddef.h>

/* More pairs than this is an error: no webhook of ours sends nearly as many. */
#define FORM_MAX_PAIRS 256

struct form_pair {
	char *name; /* decoded, NUL-terminated; may itself contain NUL bytes (%00) */
	size_t name_len;
	char *value;
	size_t value_len;
};

struct form {
	struct form_pair *v; /* in the order of the input */
	size_t n, cap;
};

void form_init(struct form *f);
/*
 * Decodes s[0..len) into f, which need not be initialised: '&' separates
 * pairs, the first '=' separates name from value, '+' is a space, %XX a
 * byte. Empty pairs are skipped; a pair without '=' has an empty value.
 * Returns 0, or -1 with "byte N: reason" in err and f left empty. Either
 * way form_free(f) is safe.
 */
int form_parse(struct form *f, const char *s, size_t len, char *err, size_t errlen) __attribute__((warn_unused_result));
/* The first pair named name (compared over its full length), or NULL. */
const struct form_pair *form_find(const struct form *f, const char *name);
/* The first value of name, or NULL. */
const char *form_get(const struct form *f, const char *name);
void form_free(struct form *f);

#endif
