/*
 * application/x-www-form-urlencoded bodies, decoded in place into one
 * reusable buffer. The caller owns the struct sandbox_form and frees it
 * with sandbox_form_free(); fields point into it until the next parse.
 */
#ifndef AMUDDU_SANDBOX_FORM_H
#define AMUDDU_SANDBOX_FORM_H

#include <stddef.h>

#include "gateway/util/buf.h"

#define SANDBOX_FORM_MAX_FIELDS 64

struct sandbox_form_field {
	const char *name; /* NUL-terminated; may also hold NULs from %00 */
	size_t name_len;
	const char *value; /* NUL-terminated */
	size_t value_len;
};

struct sandbox_form {
	struct buf data;
	struct sandbox_form_field fields[SANDBOX_FORM_MAX_FIELDS];
	size_t nfields;
};

void sandbox_form_init(struct sandbox_form *form);
void sandbox_form_free(struct sandbox_form *form);
/* Decodes raw[0..len); -1 when it holds more than SANDBOX_FORM_MAX_FIELDS fields. */
int sandbox_form_parse(struct sandbox_form *form, const char *raw, size_t len) __attribute__((warn_unused_result));
/* The first field called name, or NULL. */
const struct sandbox_form_field *sandbox_form_get(const struct sandbox_form *form, const char *name);
/* How many fields are called name. */
size_t sandbox_form_count(const struct sandbox_form *form, const char *name);

#endif
