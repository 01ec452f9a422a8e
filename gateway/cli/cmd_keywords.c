/*
 * amuddu keywords test TEXT: which topic and locale an inbound TEXT gets
 * from the keyword lists of the catalogs, worked out here from the PO
 * files (--locales DIR, else AMUDDU_LOCALES, else ./locales) with no
 * gateway, so a translator can try a catalog before it is deployed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/cli/commands.h"
#include "handlers/keywords.h"
#include "locales/catalog.h"

static void cmd_keywords_show(const struct keywords_result *r);

static void
cmd_keywords_show(const struct keywords_result *r)
{
	printf("%-11s %s\n", "topic", keywords_topic_name(r->topic));
	printf("%-11s %s\n", "locale", r->locale != NULL ? r->locale : "(none: the caller's default)");
	printf("%-11s %s\n", "normalised", r->normalised);
	if (r->keyword != NULL)
		printf("%-11s %s%s\n", "keyword", r->keyword, r->approximate ? " (with one typing mistake)" : "");
	if (r->number >= 0)
		printf("%-11s %d (an answer to the menu the person has open)\n", "number", r->number);
}

int
cmd_keywords_test(const struct client *c, int argc, char **argv)
{
	const char *dir = getenv("AMUDDU_LOCALES"), *locale = NULL, *text = NULL;
	struct keywords_result r;
	struct catalog *cat;
	struct keywords *k;
	char why[600];

	if (dir == NULL || *dir == '\0')
		dir = "locales";
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--locales") == 0 && i + 1 < argc) {
			dir = argv[++i];
		} else if (strcmp(argv[i], "--locale") == 0 && i + 1 < argc) {
			locale = argv[++i];
		} else if (text != NULL) {
			fprintf(stderr, "amuddu: keywords test takes one TEXT (quote it)\n");
			return CLIENT_USAGE;
		} else {
			text = argv[i];
		}
	}
	if (text == NULL) {
		fprintf(stderr, "amuddu: keywords test takes one TEXT (quote it)\n");
		return CLIENT_USAGE;
	}
	cat = catalog_new();
	if (catalog_load_dir(cat, dir, why, sizeof why) != 0) {
		fprintf(stderr, "amuddu: %s\n", why);
		catalog_free(cat);
		return CLIENT_REFUSED;
	}
	if (catalog_size(cat) == 0) {
		fprintf(stderr, "amuddu: %s holds no catalog (fr.po, ar.po, ary.po, ary-Latn.po, en.po)\n", dir);
		catalog_free(cat);
		return CLIENT_REFUSED;
	}
	k = keywords_new(cat, why, sizeof why);
	catalog_free(cat);
	if (k == NULL) {
		fprintf(stderr, "amuddu: %s/%s\n", dir, why);
		return CLIENT_REFUSED;
	}
	keywords_match(k, text, strlen(text), locale, &r);
	if (c->json) {
		json_t *j = json_pack("{s:s, s:s?, s:s}", "topic", keywords_topic_name(r.topic), "locale", r.locale,
		    "normalised", r.normalised);
		char *s = j != NULL ? json_dumps(j, 0) : NULL;

		/* The normalised text is valid UTF-8 whatever the TEXT was, so this holds. */
		if (s == NULL)
			abort();
		printf("%s\n", s);
		free(s);
		json_decref(j);
	} else {
		cmd_keywords_show(&r);
	}
	keywords_result_free(&r);
	keywords_free(k);
	return CLIENT_OK;
}
