/*
 * A one-pass scanner for the top-level members of a JSON object, for the
 * hot path of provider answers where a full parse (and its allocations)
 * costs more than the whole rest of the classification. Pure, no
 * allocation; a malformed document is reported as such.
 */
#ifndef AMUDDU_JSON_SCAN_H
#define AMUDDU_JSON_SCAN_H

#include <stdbool.h>
#include <stddef.h>

enum json_scan_result {
	JSON_SCAN_FOUND = 0,
	JSON_SCAN_ABSENT,    /* well-formed object without that member (or not a string/integer) */
	JSON_SCAN_MALFORMED, /* not a JSON object, truncated, or the value does not fit out */
};

/*
 * Looks for the top-level member key of the object in s[0..len). A string
 * value is unescaped into out (a \u escape outside ASCII becomes '?'); an
 * integer value is copied as its digits. Other
 * members are skipped, nested ones whole.
 */
enum json_scan_result json_scan_member(const char *s, size_t len, const char *key, char *out, size_t outlen);

#endif
