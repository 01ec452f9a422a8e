/*
 * amuddu contacts import|list|show|set|delete|export: the contacts API
 * (docs/api.md) for a terminal; list searches and filters with the API's
 * parameters as options. Readable output by default, the API's JSON
 * with --json.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/cli/commands.h"
#include "gateway/util/buf.h"

static int cmd_answer(const struct client *c, struct client_answer *a, int rc, void (*show)(const json_t *j));
static void cmd_contact_line(const json_t *o);
static void cmd_contact_show(const json_t *o);
static void cmd_import_show(const json_t *j);

/* The usual end of a command: refused, --json, or the readable form. */
static int
cmd_answer(const struct client *c, struct client_answer *a, int rc, void (*show)(const json_t *j))
{
	if (rc != CLIENT_OK)
		return rc;
	if (a->status >= 300) {
		if (a->status == 422 && json_object_get(a->json, "import") != NULL && !c->json)
			cmd_import_show(json_object_get(a->json, "import"));
		rc = client_refused(a);
	} else if (c->json) {
		client_print_json(a->json);
	} else if (show != NULL) {
		show(a->json);
	}
	client_answer_free(a);
	return rc;
}

static void
cmd_import_show(const json_t *j)
{
	size_t i;
	json_t *e;

	printf("%lld rows: %lld created, %lld updated, %lld unchanged, %lld refused%s%s\n",
	    (long long)json_integer_value(json_object_get(j, "rows")),
	    (long long)json_integer_value(json_object_get(j, "created")),
	    (long long)json_integer_value(json_object_get(j, "updated")),
	    (long long)json_integer_value(json_object_get(j, "unchanged")),
	    (long long)json_integer_value(json_object_get(j, "refused")),
	    json_is_true(json_object_get(j, "dry_run")) ? " (dry run: nothing written)" : "",
	    json_is_false(json_object_get(j, "written")) && !json_is_true(json_object_get(j, "dry_run"))
		? " (nothing written)"
		: "");
	json_array_foreach(json_object_get(j, "errors"), i, e)
	{
		printf("  line %lld, %s: %s\n", (long long)json_integer_value(json_object_get(e, "line")),
		    *json_string_value(json_object_get(e, "column")) != '\0'
			? json_string_value(json_object_get(e, "column"))
			: "row",
		    json_string_value(json_object_get(e, "reason")));
	}
	json_array_foreach(json_object_get(j, "notes"), i, e) printf("  note: %s\n", json_string_value(e));
}

int
cmd_contacts_import(const struct client *c, int argc, char **argv)
{
	struct client_answer a;
	char path[256] = "/v1/contacts/import?";
	const char *file = NULL;

	bool dry = false, valid = false, cp1252 = false;

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--dry-run") == 0)
			dry = true;
		else if (strcmp(argv[i], "--valid") == 0)
			valid = true;
		else if (strcmp(argv[i], "--windows-1252") == 0)
			cp1252 = true;
		else if (argv[i][0] == '-' || file != NULL) {
			fprintf(stderr, "amuddu: contacts import FILE [--dry-run] [--valid] [--windows-1252]\n");
			return CLIENT_USAGE;
		} else
			file = argv[i];
	}
	if (file == NULL) {
		fprintf(stderr, "amuddu: contacts import needs the CSV FILE\n");
		return CLIENT_USAGE;
	}
	snprintf(path, sizeof path, "/v1/contacts/import?%s%s%s", dry ? "dry_run=true&" : "",
	    valid ? "mode=valid&" : "", cp1252 ? "encoding=windows-1252&" : "");
	path[strlen(path) - 1] = '\0';
	{
		/* Larger than one request takes ([http] max_body_bytes, 64 KiB by default): in parts. */
		const char *env = getenv("AMUDDU_IMPORT_PART_BYTES");
		size_t part = env != NULL && atol(env) > 1024 ? (size_t)atol(env) : 48 * 1024;
		FILE *f = fopen(file, "rb");
		long size = -1;

		if (f != NULL) {
			fseek(f, 0, SEEK_END);
			size = ftell(f);
			fclose(f);
		}
		if (size > (long)part)
			return cmd_answer(c, &a,
			    client_upload_csv(c, path + strlen("/v1/contacts/import?"), file, part, &a),
			    cmd_import_show);
	}
	return cmd_answer(c, &a, client_upload(c, path, file, "text/csv", &a), cmd_import_show);
}

static void
cmd_contact_line(const json_t *o)
{
	const json_t *consent = json_object_get(o, "consent");

	printf("%-24s  %-14s  %-24.24s  %-12.12s  %-8s  %s\n", json_string_value(json_object_get(o, "id")),
	    json_string_value(json_object_get(o, "phone")) != NULL ? json_string_value(json_object_get(o, "phone"))
								   : "",
	    json_string_value(json_object_get(o, "name")) != NULL ? json_string_value(json_object_get(o, "name")) : "",
	    json_string_value(json_object_get(o, "city")) != NULL ? json_string_value(json_object_get(o, "city")) : "",
	    json_string_value(json_object_get(o, "locale")) != NULL ? json_string_value(json_object_get(o, "locale"))
								    : "",
	    json_is_object(consent) ? json_string_value(json_object_get(consent, "value")) : "-");
}

/*
 * A page of contacts (--limit, 50 by default), searched and filtered as
 * GET /v1/contacts is; a list option given again adds to its list. A
 * search can answer short pages with more to look through: pages are
 * asked for until the page is full or nothing is left (--all: until
 * nothing is left).
 */
int
cmd_contacts_list(const struct client *c, int argc, char **argv)
{
	static const char *const filters[] = { "q", "city", "locale", "sex", "channel", "tag", "consent" };
	struct buf given[sizeof filters / sizeof filters[0]], query, path;
	struct client_answer a;
	char *cursor = NULL;
	int rc = CLIENT_OK;
	long shown = 0, limit = 50;
	bool all = false;

	for (size_t k = 0; k < sizeof filters / sizeof filters[0]; k++)
		buf_init(&given[k]);
	buf_init(&query);
	buf_init(&path);
	for (int i = 0; i < argc; i++) {
		size_t k;

		for (k = 0; k < sizeof filters / sizeof filters[0]; k++)
			if (strncmp(argv[i], "--", 2) == 0 && strcmp(argv[i] + 2, filters[k]) == 0)
				break;
		if (strcmp(argv[i], "--all") == 0) {
			all = true;
		} else if (strcmp(argv[i], "--limit") == 0 && i + 1 < argc) {
			limit = strtol(argv[++i], NULL, 10);
		} else if (k < sizeof filters / sizeof filters[0] && i + 1 < argc) {
			if (given[k].len > 0)
				buf_puts(&given[k], k == 0 ? " " : ",");
			buf_puts(&given[k], argv[++i]);
		} else {
			fprintf(stderr,
			    "amuddu: contacts list [--q TEXT] [--city C] [--locale L] [--sex S] [--channel C] "
			    "[--tag T] [--consent yes|no|none] [--limit N] [--all]\n");
			rc = CLIENT_USAGE;
			goto out;
		}
	}
	for (size_t k = 0; k < sizeof filters / sizeof filters[0]; k++)
		if (given[k].len > 0)
			buf_add_form_field(&query, filters[k], given[k].data);
	if (!c->json)
		printf("%-24s  %-14s  %-24s  %-12s  %-8s  %s\n", "id", "phone", "name", "city", "locale", "consent");
	do {
		size_t i;
		json_t *o;
		long want = all ? limit : limit - shown;

		buf_reset(&path);
		buf_printf(&path, "/v1/contacts?limit=%ld%s%s", want > 500 ? 500 : want, query.len > 0 ? "&" : "",
		    query.len > 0 ? query.data : "");
		if (cursor != NULL)
			buf_printf(&path, "&cursor=%s", cursor);
		free(cursor);
		cursor = NULL;
		if ((rc = client_expect(c, "GET", path.data, NULL, 200, &a)) != CLIENT_OK)
			break;
		json_array_foreach(json_object_get(a.json, "contacts"), i, o)
		{
			if (c->json)
				client_print_json(o);
			else
				cmd_contact_line(o);
			shown++;
		}
		if (json_is_string(json_object_get(a.json, "next_cursor")))
			cursor = strdup(json_string_value(json_object_get(a.json, "next_cursor")));
		client_answer_free(&a);
	} while (cursor != NULL && (all || shown < limit));
	if (cursor != NULL && !c->json)
		printf("(more: --all shows them all)\n");
out:
	free(cursor);
	for (size_t k = 0; k < sizeof filters / sizeof filters[0]; k++)
		buf_free(&given[k]);
	buf_free(&query);
	buf_free(&path);
	return rc;
}

static void
cmd_contact_show(const json_t *o)
{
	size_t i;
	json_t *e;

	cmd_contact_line(o);
	json_array_foreach(json_object_get(o, "consent_history"), i, e) printf("  consent %-3s at %s by %s (%s)\n",
	    json_string_value(json_object_get(e, "value")), json_string_value(json_object_get(e, "at")),
	    json_string_value(json_object_get(e, "by")), json_string_value(json_object_get(e, "source")));
}

int
cmd_contacts_show(const struct client *c, int argc, char **argv)
{
	struct client_answer a;
	char path[128];

	if (argc != 1) {
		fprintf(stderr, "amuddu: contacts show ID\n");
		return CLIENT_USAGE;
	}
	snprintf(path, sizeof path, "/v1/contacts/%.64s", argv[0]);
	return cmd_answer(c, &a, client_call(c, "GET", path, NULL, NULL, 0, &a), cmd_contact_show);
}

int
cmd_contacts_set(const struct client *c, int argc, char **argv)
{
	struct client_answer a;
	json_t *body = json_object();
	char path[128];
	int rc;

	if (argc < 2) {
		fprintf(stderr,
		    "amuddu: contacts set ID FIELD=VALUE... (name, first_name, city, locale, sex, channel, "
		    "tags=a,b, consent=yes|no)\n");
		json_decref(body);
		return CLIENT_USAGE;
	}
	for (int i = 1; i < argc; i++) {
		char *eq = strchr(argv[i], '=');

		if (eq == NULL) {
			fprintf(stderr, "amuddu: '%s' is not FIELD=VALUE\n", argv[i]);
			json_decref(body);
			return CLIENT_USAGE;
		}
		*eq = '\0';
		if (strcmp(argv[i], "tags") == 0) {
			json_t *tags = json_array();
			char *save = NULL;

			for (char *t = strtok_r(eq + 1, ",", &save); t != NULL; t = strtok_r(NULL, ",", &save))
				json_array_append_new(tags, json_string(t));
			json_object_set_new(body, "tags", tags);
		} else {
			json_object_set_new(body, argv[i], json_string(eq + 1));
		}
	}
	snprintf(path, sizeof path, "/v1/contacts/%.64s", argv[0]);
	rc = client_json(c, "PATCH", path, body, &a);
	json_decref(body);
	return cmd_answer(c, &a, rc, cmd_contact_show);
}

int
cmd_contacts_delete(const struct client *c, int argc, char **argv)
{
	struct client_answer a;
	char path[128];
	int rc;

	if (argc != 1) {
		fprintf(stderr, "amuddu: contacts delete ID\n");
		return CLIENT_USAGE;
	}
	snprintf(path, sizeof path, "/v1/contacts/%.64s", argv[0]);
	rc = cmd_answer(c, &a, client_call(c, "DELETE", path, NULL, NULL, 0, &a), NULL);
	if (rc == CLIENT_OK && !c->json)
		printf("erased %s\n", argv[0]);
	return rc;
}

int
cmd_contacts_export(const struct client *c, int argc, char **argv)
{
	struct client_answer a;
	FILE *out = stdout;
	int rc;

	if (argc > 1) {
		fprintf(stderr, "amuddu: contacts export [FILE]\n");
		return CLIENT_USAGE;
	}
	if (argc == 1 && (out = fopen(argv[0], "wb")) == NULL) {
		fprintf(stderr, "amuddu: cannot write %s\n", argv[0]);
		return CLIENT_USAGE;
	}
	rc = client_download(c, "/v1/contacts/export", out, &a);
	if (out != stdout)
		fclose(out);
	if (rc == CLIENT_OK && a.status != 200) {
		fprintf(stderr, "amuddu: refused (HTTP %ld)%s\n", a.status,
		    a.status == 403 ? ": export with numbers is for the admin role" : "");
		rc = a.status == 401 || a.status == 403 ? CLIENT_DENIED : CLIENT_REFUSED;
	}
	client_answer_free(&a);
	return rc;
}
