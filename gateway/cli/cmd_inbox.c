/*
 * amuddu inbox [list] | inbox show ID | inbox close ID | reply ID TEXT:
 * the agents' inbox over /v1/inbox. Numbers are masked by the gateway.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/cli/commands.h"

static const char *
cmd_inbox_str(const json_t *o, const char *k)
{
	const char *v = json_string_value(json_object_get(o, k));

	return v != NULL ? v : "-";
}

static void
cmd_inbox_line(const json_t *o)
{
	const json_t *cl = json_object_get(o, "campaigns");
	size_t i;
	json_t *cp;

	printf("%s  %s  %-8s %-12s %-8s unread %lld  since %s\n", cmd_inbox_str(o, "id"), cmd_inbox_str(o, "number"),
	    cmd_inbox_str(o, "locale"), cmd_inbox_str(o, "city"), cmd_inbox_str(o, "channel"),
	    (long long)json_integer_value(json_object_get(o, "unread")), cmd_inbox_str(o, "opened_at"));
	if (json_array_size(cl) > 0) {
		printf("    campaigns:");
		json_array_foreach(cl, i, cp) printf("%s %s", i > 0 ? "," : "", cmd_inbox_str(cp, "name"));
		printf("\n");
	}
}

/* One call, its answer printed as JSON (--json) or by show; the exit code. */
static int
cmd_inbox_call(const struct client *c, const char *method, const char *path, const json_t *body, int ok,
    void (*show)(const json_t *))
{
	struct client_answer a;
	int rc;

	if ((rc = client_expect(c, method, path, body, ok, &a)) != CLIENT_OK)
		return rc;
	if (c->json)
		client_print_json(a.json);
	else
		show(a.json);
	client_answer_free(&a);
	return rc;
}

static void
cmd_inbox_list_show(const json_t *j)
{
	const json_t *l = json_object_get(j, "conversations");
	size_t i;
	json_t *o;

	if (json_array_size(l) == 0)
		printf("no open conversations\n");
	json_array_foreach(l, i, o) cmd_inbox_line(o);
}

/* Every open conversation, a page at a time (--json: one JSON answer per page). */
int
cmd_inbox_list(const struct client *c, int argc, char **argv)
{
	struct client_answer a;
	char path[160] = "/v1/inbox?limit=200";
	const char *next;
	int rc, shown = 0;

	(void)argv;
	if (argc != 0) {
		fprintf(stderr, "amuddu: inbox takes no arguments\n");
		return CLIENT_USAGE;
	}
	for (;;) {
		if ((rc = client_expect(c, "GET", path, NULL, 200, &a)) != CLIENT_OK)
			return rc;
		if (c->json)
			client_print_json(a.json);
		else if (shown == 0 || json_array_size(json_object_get(a.json, "conversations")) > 0)
			cmd_inbox_list_show(a.json);
		shown++;
		next = json_string_value(json_object_get(a.json, "next_cursor"));
		if (next == NULL || strlen(next) > 100) {
			client_answer_free(&a);
			return CLIENT_OK;
		}
		snprintf(path, sizeof path, "/v1/inbox?limit=200&cursor=%s", next);
		client_answer_free(&a);
	}
}

static void
cmd_inbox_thread_show(const json_t *j)
{
	size_t i;
	json_t *m;

	cmd_inbox_line(j);
	json_array_foreach(json_object_get(j, "messages"), i, m)
	{
		const char *d = cmd_inbox_str(m, "direction");

		if (strcmp(d, "closed") == 0) {
			printf("  %s  -- closed by %s\n", cmd_inbox_str(m, "at"), cmd_inbox_str(m, "by"));
			continue;
		}
		if (strcmp(d, "in") == 0)
			printf("  %s  << (%s)\n      %s\n", cmd_inbox_str(m, "at"), cmd_inbox_str(m, "topic"),
			    cmd_inbox_str(m, "text"));
		else
			printf("  %s  >> %s\n      %s\n", cmd_inbox_str(m, "at"),
			    json_is_true(json_object_get(m, "automatic")) ? "(automatic)" : cmd_inbox_str(m, "by"),
			    cmd_inbox_str(m, "text"));
	}
}

static int
cmd_inbox_id(int argc, char **argv, int want, const char *usage)
{
	if (argc != want || strlen(argv[0]) != 24 || strspn(argv[0], "0123456789abcdef") != 24) {
		fprintf(stderr, "amuddu: %s (ID: a conversation's id, 24 hex digits, as amuddu inbox shows)\n", usage);
		return -1;
	}
	return 0;
}

int
cmd_inbox_show(const struct client *c, int argc, char **argv)
{
	char path[64];

	if (cmd_inbox_id(argc, argv, 1, "inbox show ID") != 0)
		return CLIENT_USAGE;
	snprintf(path, sizeof path, "/v1/inbox/%s", argv[0]);
	return cmd_inbox_call(c, "GET", path, NULL, 200, cmd_inbox_thread_show);
}

static void
cmd_inbox_closed_show(const json_t *j)
{
	printf("closed %s\n", cmd_inbox_str(j, "id"));
}

int
cmd_inbox_close(const struct client *c, int argc, char **argv)
{
	char path[64];

	if (cmd_inbox_id(argc, argv, 1, "inbox close ID") != 0)
		return CLIENT_USAGE;
	snprintf(path, sizeof path, "/v1/inbox/%s/close", argv[0]);
	return cmd_inbox_call(c, "POST", path, NULL, 200, cmd_inbox_closed_show);
}

static void
cmd_inbox_replied_show(const json_t *j)
{
	printf("answer queued: message %s\n", cmd_inbox_str(j, "id"));
}

int
cmd_reply(const struct client *c, int argc, char **argv)
{
	char path[64];
	json_t *body;
	int rc;

	if (argc != 2 || cmd_inbox_id(1, argv, 1, "reply ID TEXT") != 0) {
		if (argc != 2)
			fprintf(stderr, "amuddu: reply ID TEXT (quote the text)\n");
		return CLIENT_USAGE;
	}
	snprintf(path, sizeof path, "/v1/inbox/%s/reply", argv[0]);
	body = json_pack("{s:s}", "text", argv[1]);
	rc = cmd_inbox_call(c, "POST", path, body, 202, cmd_inbox_replied_show);
	json_decref(body);
	return rc;
}
