/*
 * Campaign texts with placeholders: "{first_name}", "{centre}", "{date}",
 * "{link}" and the campaign's own variables, "{{" and "}}" for a brace.
 * Checked once when a campaign is created (every placeholder known, the
 * text valid UTF-8 and not empty), rendered for each person. Pure.
 */
#ifndef AMUDDU_TEMPLATE_H
#define AMUDDU_TEMPLATE_H

#include <stdbool.h>
#include <stddef.h>

#include "gateway/util/buf.h"

/* A placeholder's value: NULL when it has none. */
typedef const char *template_lookup(void *arg, const char *name);

/*
 * Checks text: -1 with why (naming the placeholder or the byte) when it is
 * empty, not UTF-8, has an unclosed or empty brace, or a placeholder that
 * known() gives no value for.
 */
int template_check(const char *text, size_t len, template_lookup *known, void *arg, char *why, size_t whylen)
    __attribute__((warn_unused_result));
/* Appends text with its placeholders replaced (a placeholder without a value becomes ""). */
void template_render(const char *text, size_t len, template_lookup *value, void *arg, struct buf *out);

#endif
