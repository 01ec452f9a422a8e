/*
 * The five locales the programme writes in, and the walk down a fallback
 * chain. Names compare without regard to case (ary-Latn, ary-latn).
 */
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "locales/fallback.h"

static const char *const fallback_names[] = { "fr", "ar", "ary", "ary-Latn", "en" };

const char *
fallback_locale(const char *name, size_t len)
{
	for (size_t i = 0; i < sizeof fallback_names / sizeof fallback_names[0]; i++)
		if (strlen(fallback_names[i]) == len && strncasecmp(fallback_names[i], name, len) == 0)
			return fallback_names[i];
	return NULL;
}

const char *
fallback_pick(const char *locale, const char *chain, fallback_has *has, void *arg)
{
	const char *own = locale != NULL ? fallback_locale(locale, strlen(locale)) : NULL, *l, *p;
	bool after = false;

	if (own != NULL && has(arg, own))
		return own;
	/* First the locales after the person's own, then the whole chain. */
	for (int pass = 0; pass < 2; pass++) {
		for (p = chain; *p != '\0';) {
			size_t n = strcspn(p, " ");

			l = fallback_locale(p, n);
			if (pass == 1 || after) {
				if (l != NULL && has(arg, l))
					return l;
			}
			if (l != NULL && l == own)
				after = true;
			p += n;
			p += strspn(p, " ");
		}
	}
	return NULL;
}
