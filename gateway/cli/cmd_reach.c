/*
 * amuddu reach [options] | reach --verify | reach funnel CAMPAIGN: the
 * programme's indicators over /v1/reach, with the API's options as
 * --from, --to, --period, --by and the filters; a table by default, or
 * --format csv (Excel), json, dhis2-json, dhis2-csv, svg (a chart: --indicators,
 * --lang), to stdout or --out.
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/util/buf.h"
#include "gateway/cli/commands.h"

static const char *const cmd_reach_opts[] = { "from", "to", "period", "by", "campaign", "kind", "city", "locale",
	"channel", "sex", "format", "sep", "referral", "indicators", "lang" };

static void
cmd_reach_param(struct buf *q, const char *name, const char *value)
{
	char *e = curl_easy_escape(NULL, value, 0);

	buf_printf(q, "%s%s=%s", q->len > 0 ? "&" : "", name, e != NULL ? e : "");
	curl_free(e);
}

static int
cmd_reach_verify(const struct client *c)
{
	struct client_answer a;
	const json_t *d;
	size_t i;
	int rc;

	if ((rc = client_expect(c, "POST", "/v1/reach/verify", NULL, 200, &a)) != CLIENT_OK)
		return rc;
	if (c->json) {
		client_print_json(a.json);
	} else {
		json_array_foreach(json_object_get(a.json, "differences"), i, d)
		{
			const char *camp = json_string_value(json_object_get(d, "campaign"));

			printf("differs: %s day %s%s%s%s%s: counters %lld, records %lld\n",
			    json_string_value(json_object_get(d, "indicator")),
			    json_string_value(json_object_get(d, "day")), camp != NULL ? " campaign " : "",
			    camp != NULL ? (*camp != '\0' ? camp : "(none)") : "",
			    json_object_get(d, "detail") != NULL ? " " : "",
			    json_object_get(d, "detail") != NULL ? json_string_value(json_object_get(d, "detail")) : "",
			    (long long)json_integer_value(json_object_get(d, "live")),
			    (long long)json_integer_value(json_object_get(d, "recomputed")));
		}
		printf(
		    "%s: %lld difference(s); checked %lld log events, %lld inbox messages, %lld topics, %lld people\n",
		    json_is_true(json_object_get(a.json, "ok")) ? "counters agree with the records" : "COUNTERS DIFFER",
		    (long long)json_integer_value(json_object_get(a.json, "differences_total")),
		    (long long)json_integer_value(json_object_get(json_object_get(a.json, "checked"), "log")),
		    (long long)json_integer_value(json_object_get(json_object_get(a.json, "checked"), "inbox")),
		    (long long)json_integer_value(json_object_get(json_object_get(a.json, "checked"), "topics")),
		    (long long)json_integer_value(json_object_get(json_object_get(a.json, "checked"), "attrs")));
	}
	rc = json_is_true(json_object_get(a.json, "ok")) ? CLIENT_OK : CLIENT_REFUSED;
	client_answer_free(&a);
	return rc;
}

/* The answer in f to out (stdout when NULL). */
static int
cmd_reach_copy(FILE *f, const char *out)
{
	FILE *to = out != NULL ? fopen(out, "wb") : stdout;
	char chunk[8192];
	size_t n;
	bool ok = true;

	if (to == NULL) {
		fprintf(stderr, "amuddu reach: cannot write %s\n", out);
		return CLIENT_USAGE;
	}
	rewind(f);
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		ok = ok && fwrite(chunk, 1, n, to) == n;
	if (to != stdout)
		ok = fclose(to) == 0 && ok;
	else
		ok = fflush(stdout) == 0 && ok;
	if (!ok) {
		fprintf(stderr, "amuddu reach: cannot write %s\n", out != NULL ? out : "the answer");
		return CLIENT_USAGE;
	}
	if (out != NULL)
		fprintf(stderr, "amuddu reach: written to %s\n", out);
	return CLIENT_OK;
}

int
cmd_reach(const struct client *c, int argc, char **argv)
{
	struct buf q, path;
	const char *format = c->json ? "json" : "table", *out = NULL;
	bool skip = false;
	struct client_answer a;
	FILE *f;
	int rc = CLIENT_OK;

	if (argc == 1 && strcmp(argv[0], "--verify") == 0)
		return cmd_reach_verify(c);
	buf_init(&q);
	for (int i = 0; i < argc; i++) {
		bool known = false;

		if (strcmp(argv[i], "--skip-unmapped") == 0) {
			skip = true;
			continue;
		}
		if (strncmp(argv[i], "--", 2) != 0 || i + 1 == argc) {
			fprintf(stderr,
			    "amuddu reach: '%s' needs a value, or is not an option (see amuddu reach --help)\n",
			    argv[i]);
			buf_free(&q);
			return CLIENT_USAGE;
		}
		if (strcmp(argv[i], "--out") == 0) {
			out = argv[++i];
			continue;
		}
		if (strcmp(argv[i], "--format") == 0) {
			format = argv[++i];
			continue;
		}
		for (size_t k = 0; k < sizeof cmd_reach_opts / sizeof cmd_reach_opts[0]; k++) {
			if (strcmp(argv[i] + 2, cmd_reach_opts[k]) == 0) {
				cmd_reach_param(&q, cmd_reach_opts[k], argv[++i]);
				known = true;
				break;
			}
		}
		if (!known) {
			fprintf(stderr, "amuddu reach: unknown option '%s' (see amuddu reach --help)\n", argv[i]);
			buf_free(&q);
			return CLIENT_USAGE;
		}
	}
	cmd_reach_param(&q, "format", format);
	if (skip)
		cmd_reach_param(&q, "unmapped", "skip");
	buf_init(&path);
	buf_printf(&path, "/v1/reach?%s", q.data);
	buf_free(&q);
	/* Into a file of its own first: --out is written only with a whole answer. */
	if ((f = tmpfile()) == NULL) {
		fprintf(stderr, "amuddu reach: cannot make a temporary file\n");
		buf_free(&path);
		return CLIENT_USAGE;
	}
	if ((rc = client_download(c, path.data, f, &a)) == CLIENT_OK && (a.status < 200 || a.status > 299)) {
		const json_t *cell;
		size_t i;

		/* DHIS2: each count with no place there, and why. */
		json_array_foreach(json_object_get(json_object_get(a.json, "error"), "cells"), i, cell)
		{
			fprintf(stderr, "  %s: %s (%lld)\n", json_string_value(json_object_get(cell, "cell")),
			    json_string_value(json_object_get(cell, "reason")),
			    (long long)json_integer_value(json_object_get(cell, "value")));
		}
		rc = client_refused(&a);
	}
	if (rc == CLIENT_OK)
		rc = cmd_reach_copy(f, out);
	fclose(f);
	client_answer_free(&a);
	buf_free(&path);
	return rc;
}

int
cmd_reach_funnel(const struct client *c, int argc, char **argv)
{
	struct buf path;
	struct client_answer a;
	char *e;
	int rc;

	if (argc != 1) {
		fprintf(stderr, "amuddu reach funnel: give the campaign's id or name\n");
		return CLIENT_USAGE;
	}
	e = curl_easy_escape(NULL, argv[0], 0);
	buf_init(&path);
	buf_printf(&path, "/v1/reach/funnel?campaign=%s", e != NULL ? e : "");
	curl_free(e);
	rc = client_expect(c, "GET", path.data, NULL, 200, &a);
	buf_free(&path);
	if (rc != CLIENT_OK)
		return rc;
	client_print_json(a.json);
	client_answer_free(&a);
	return rc;
}
