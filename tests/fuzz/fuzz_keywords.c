/*
 * libFuzzer target for keyword matching with the shipped catalogs
 * (locales/, relative to the working directory, as scripts/run-fuzz runs
 * it): any bytes as an inbound text, the first byte also choosing the
 * person's stored locale. The normalised text is UTF-8, lower case, words
 * joined by single spaces, and normalising it again changes nothing; the
 * topic, locale and number are among the documented values.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/util/buf.h"
#include "handlers/keywords.h"
#include "handlers/normalise.h"
#include "locales/catalog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const hints[] = { NULL, "fr", "ar", "ary", "ary-Latn", "en", "ARY-LATN", "de", "" };

static const struct keywords *fuzz_keywords(void);
static void fuzz_check_normalised(const char *s);

/* The shipped keywords, loaded at the first input and kept (reachable) for the run. */
static const struct keywords *
fuzz_keywords(void)
{
	static struct keywords *k;
	struct catalog *c;
	char why[300];

	if (k != NULL)
		return k;
	c = catalog_new();
	if (catalog_load_dir(c, "locales", why, sizeof why) != 0 || (k = keywords_new(c, why, sizeof why)) == NULL) {
		fprintf(stderr, "fuzz_keywords: %s\n", why);
		abort();
	}
	catalog_free(c);
	return k;
}

static void
fuzz_check_normalised(const char *s)
{
	size_t len = strlen(s);
	struct buf again;

	if (!utf8_valid(s, len) || (len > 0 && (s[0] == ' ' || s[len - 1] == ' ')) || strstr(s, "  ") != NULL)
		abort();
	for (size_t i = 0; i < len; i++)
		if ((s[i] >= 'A' && s[i] <= 'Z') || (unsigned char)s[i] < ' ')
			abort();
	/* A text that grew past the bound would be cut the second time. */
	if (len > NORMALISE_TEXT_MAX)
		return;
	buf_init(&again);
	normalise_text(s, len, &again);
	if (strcmp(again.data != NULL ? again.data : "", s) != 0)
		abort();
	buf_free(&again);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct keywords *k = fuzz_keywords();
	const char *hint = size > 0 ? hints[data[0] % (sizeof hints / sizeof hints[0])] : NULL;
	char *in = malloc(size > 0 ? size : 1);
	struct keywords_result r;

	if (in == NULL)
		abort();
	memcpy(in, data, size);
	keywords_match(k, in, size, hint, &r);
	fuzz_check_normalised(r.normalised);
	if ((unsigned)r.topic >= KEYWORDS_TOPIC_COUNT || (r.topic == KEYWORDS_NONE) != (r.keyword == NULL))
		abort();
	if (r.number < -1 || (r.number >= 0 && r.topic != KEYWORDS_NONE))
		abort();
	if (r.locale != NULL && strcmp(r.locale, "fr") != 0 && strcmp(r.locale, "ar") != 0 &&
	    strcmp(r.locale, "ary") != 0 && strcmp(r.locale, "ary-Latn") != 0 && strcmp(r.locale, "en") != 0)
		abort();
	if (r.topic != KEYWORDS_NONE && r.locale == NULL)
		abort();
	keywords_result_free(&r);
	free(in);
	return 0;
}
