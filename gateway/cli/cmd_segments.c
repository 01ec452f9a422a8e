/*
 * amuddu segments TEXT: how carriers will count an SMS (POST /v1/segments),
 * shown as a short table, or as the API's JSON with --json.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/cli/commands.h"

static void cmd_segments_count(const char *label, const json_t *j);

static void
cmd_segments_count(const char *label, const json_t *j)
{
	const char *enc = json_string_value(json_object_get(j, "encoding"));
	json_int_t n = json_integer_value(json_object_get(j, "segments"));

	printf("%-13s %s, %lld SMS part%s (%lld %s, %lld per part)\n", label,
	    enc != NULL && strcmp(enc, "gsm7") == 0 ? "GSM-7" : "UCS-2", (long long)n, n == 1 ? "" : "s",
	    (long long)json_integer_value(json_object_get(j, "units")),
	    enc != NULL && strcmp(enc, "gsm7") == 0 ? "septets" : "UCS-2 units",
	    (long long)json_integer_value(json_object_get(j, "per_segment")));
}

int
cmd_segments(const struct client *c, int argc, char **argv)
{
	struct client_answer a;
	json_t *body, *forced, *sub;
	char *text;
	int rc;

	if (argc != 1) {
		fprintf(stderr, "amuddu: segments takes one TEXT (quote it)\n");
		return CLIENT_USAGE;
	}
	body = json_pack("{s:s}", "text", argv[0]);
	if (body == NULL) {
		fprintf(stderr, "amuddu: TEXT is not valid UTF-8\n");
		return CLIENT_USAGE;
	}
	text = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	rc = client_call(c, "POST", "/v1/segments", "application/json", text, strlen(text), &a);
	free(text);
	if (rc != CLIENT_OK)
		return rc;
	if (a.status != 200) {
		rc = client_refused(&a);
		client_answer_free(&a);
		return rc;
	}
	if (c->json) {
		client_print_json(a.json);
		client_answer_free(&a);
		return CLIENT_OK;
	}
	cmd_segments_count("as written", a.json);
	forced = json_object_get(a.json, "forced");
	if (json_array_size(forced) > 0) {
		size_t i;
		json_t *f;

		printf("%-13s", "UCS-2 due to");
		json_array_foreach(forced, i, f)
		{
			const char *s = json_string_value(json_object_get(f, "substitute"));

			printf(" %s (%s) x%lld%s%s%s", json_string_value(json_object_get(f, "character")),
			    json_string_value(json_object_get(f, "code_point")),
			    (long long)json_integer_value(json_object_get(f, "count")), s != NULL ? " -> \"" : "",
			    s != NULL ? s : "", s != NULL ? "\"" : "");
		}
		printf("%s\n", json_is_true(json_object_get(a.json, "forced_more")) ? " and more" : "");
	}
	sub = json_object_get(a.json, "substitution");
	if (json_is_object(sub)) {
		cmd_segments_count("substituted", sub);
		printf("%-13s %s\n", "", json_string_value(json_object_get(sub, "text")));
	}
	client_answer_free(&a);
	return CLIENT_OK;
}
