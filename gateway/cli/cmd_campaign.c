/*
 * amuddu audience preview, campaign create|list|preview|schedule|pause|
 * resume|cancel|status, and send: the campaigns and messages API for a
 * terminal. Audience filters are options (--city Rabat --locale fr …);
 * campaign status --watch redraws the counts until the campaign ends.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gateway/cli/commands.h"

static int cmd_audience_option(json_t *aud, int argc, char **argv, int *i);
static void cmd_campaign_show(const json_t *j);
static void cmd_counts_show(const json_t *j);
static void cmd_preview_show(const json_t *j);
static const char *cmd_num(const json_t *o, const char *name, char *out, size_t len);
static void cmd_sent_show(const json_t *j);
static int cmd_finish(const struct client *c, struct client_answer *a, int rc, void (*show)(const json_t *j));

static int
cmd_finish(const struct client *c, struct client_answer *a, int rc, void (*show)(const json_t *j))
{
	if (rc != CLIENT_OK)
		return rc;
	if (a->status >= 300)
		rc = client_refused(a);
	else if (c->json)
		client_print_json(a->json);
	else
		show(a->json);
	client_answer_free(a);
	return rc;
}

/* One audience option at argv[*i] (and its value) into aud: 1 taken, 0 not one, -1 missing value. */
static int
cmd_audience_option(json_t *aud, int argc, char **argv, int *i)
{
	static const struct {
		const char *opt, *key;
	} lists[] = { { "--city", "city" }, { "--locale", "locale" }, { "--channel", "channel" }, { "--sex", "sex" },
		{ "--tag", "tags_any" }, { "--all-tags", "tags_all" } };

	for (size_t k = 0; k < sizeof lists / sizeof lists[0]; k++) {
		json_t *l;

		if (strcmp(argv[*i], lists[k].opt) != 0)
			continue;
		if (*i + 1 >= argc)
			return -1;
		if ((l = json_object_get(aud, lists[k].key)) == NULL) {
			l = json_array();
			json_object_set_new(aud, lists[k].key, l);
		}
		json_array_append_new(l, json_string(argv[++*i]));
		return 1;
	}
	if (strcmp(argv[*i], "--replied-to") == 0 || strcmp(argv[*i], "--not-replied-to") == 0) {
		if (*i + 1 >= argc)
			return -1;
		json_object_set_new(
		    aud, argv[*i][2] == 'r' ? "replied_to" : "not_replied_to", json_string(argv[*i + 1]));
		++*i;
		return 1;
	}
	return 0;
}

static void
cmd_counts_show(const json_t *j)
{
	const char *k;
	json_t *v;

	printf("audience    %lld\nrecipients  %lld\n", (long long)json_integer_value(json_object_get(j, "audience")),
	    (long long)json_integer_value(json_object_get(j, "recipients")));
	json_object_foreach(json_object_get((json_t *)j, "excluded"), k, v)
	    printf("  left out: %-16s %lld\n", k, (long long)json_integer_value(v));
	json_object_foreach(json_object_get((json_t *)j, "by_locale"), k, v)
	    printf("  locale    %-16s %lld\n", k, (long long)json_integer_value(v));
	json_object_foreach(json_object_get((json_t *)j, "by_channel"), k, v)
	    printf("  channel   %-16s %lld\n", k, (long long)json_integer_value(v));
}

int
cmd_audience_preview(const struct client *c, int argc, char **argv)
{
	struct client_answer a;
	json_t *aud = json_object(), *body;
	int rc;

	for (int i = 0; i < argc; i++) {
		if (cmd_audience_option(aud, argc, argv, &i) != 1) {
			fprintf(stderr,
			    "amuddu: audience preview [--city C] [--locale L] [--channel C] [--sex S] [--tag T] "
			    "[--all-tags T] [--replied-to ID | --not-replied-to ID] (lists repeat the option)\n");
			json_decref(aud);
			return CLIENT_USAGE;
		}
	}
	body = json_pack("{s:o}", "audience", aud);
	rc = client_json(c, "POST", "/v1/audiences/preview", body, &a);
	json_decref(body);
	return cmd_finish(c, &a, rc, cmd_counts_show);
}

/* An integer member as text, or "-" when it is null. */
static const char *
cmd_num(const json_t *o, const char *name, char *out, size_t len)
{
	const json_t *v = json_object_get(o, name);

	if (!json_is_integer(v))
		return "-";
	snprintf(out, len, "%lld", (long long)json_integer_value(v));
	return out;
}

static void
cmd_campaign_show(const json_t *j)
{
	const json_t *n = json_object_get(j, "counts");
	char b[8][24];

	printf("%s  %s  [%s]  %s, from %s\n", json_string_value(json_object_get(j, "id")),
	    json_string_value(json_object_get(j, "name")), json_string_value(json_object_get(j, "state")),
	    json_string_value(json_object_get(j, "kind")), json_string_value(json_object_get(j, "start_at")));
	printf("  audience %s  left out %s  queued %s  sent %s  delivered %s  failed %s  skipped %s  remaining %s\n",
	    cmd_num(n, "audience", b[0], 24), cmd_num(n, "excluded", b[1], 24), cmd_num(n, "queued", b[2], 24),
	    cmd_num(n, "sent", b[3], 24), cmd_num(n, "delivered", b[4], 24), cmd_num(n, "failed", b[5], 24),
	    cmd_num(n, "skipped", b[6], 24), cmd_num(n, "remaining", b[7], 24));
}

int
cmd_campaign_create(const struct client *c, int argc, char **argv)
{
	struct client_answer a;
	json_t *body = json_object(), *aud = json_object(), *texts = json_object(), *vars = json_object();
	int rc, r;

	json_object_set_new(body, "audience", aud);
	json_object_set_new(body, "texts", texts);
	json_object_set_new(body, "vars", vars);
	for (int i = 0; i < argc; i++) {
		const char *opt = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if ((r = cmd_audience_option(aud, argc, argv, &i)) == 1)
			continue;
		if (r == 0 && strcmp(opt, "--substitute") == 0) {
			json_object_set_new(body, "substitute", json_true());
			continue;
		}
		if (r < 0 || v == NULL)
			goto usage;
		i++;
		if (strcmp(opt, "--text") == 0 || strcmp(opt, "--var") == 0) {
			const char *eq = strchr(v, '=');

			if (eq == NULL)
				goto usage;
			{
				char key[64];

				snprintf(key, sizeof key, "%.*s", (int)(eq - v), v);
				json_object_set_new(opt[2] == 't' ? texts : vars, key, json_string(eq + 1));
			}
		} else if (strcmp(opt, "--name") == 0 || strcmp(opt, "--kind") == 0 || strcmp(opt, "--lane") == 0 ||
		    strcmp(opt, "--category") == 0) {
			json_object_set_new(
			    body, strcmp(opt, "--category") == 0 ? "template_category" : opt + 2, json_string(v));
		} else if (strcmp(opt, "--start") == 0) {
			json_object_set_new(body, "start_at", json_string(v));
		} else if (strcmp(opt, "--expires") == 0) {
			json_object_set_new(body, "expires_at", json_string(v));
		} else if (strcmp(opt, "--via") == 0) {
			json_object_set_new(body, "channel", json_string(v));
		} else {
			goto usage;
		}
	}
	/* No --text: the standard texts of the kind. */
	if (json_object_size(texts) == 0)
		json_object_del(body, "texts");
	rc = client_json(c, "POST", "/v1/campaigns", body, &a);
	json_decref(body);
	return cmd_finish(c, &a, rc, cmd_campaign_show);
usage:
	json_decref(body);
	fprintf(stderr,
	    "amuddu: campaign create --name N --kind K --text LOCALE=TEXT... --start TIME [--expires TIME]\n"
	    "       [--var NAME=VALUE...] [--lane bulk|notify] [--via sms|whatsapp|auto] [--category "
	    "marketing|utility]\n"
	    "       [--substitute] [audience options as for audience preview]\n");
	return CLIENT_USAGE;
}

int
cmd_campaign_list(const struct client *c, int argc, char **argv)
{
	struct client_answer a;
	size_t i;
	json_t *o;
	int rc;

	(void)argv;
	if (argc != 0) {
		fprintf(stderr, "amuddu: campaign list\n");
		return CLIENT_USAGE;
	}
	if ((rc = client_expect(c, "GET", "/v1/campaigns", NULL, 200, &a)) != CLIENT_OK)
		return rc;
	if (c->json)
		client_print_json(a.json);
	else
		json_array_foreach(json_object_get(a.json, "campaigns"), i, o) cmd_campaign_show(o);
	client_answer_free(&a);
	return rc;
}

static void
cmd_preview_show(const json_t *j)
{
	const char *k;
	json_t *v;

	cmd_counts_show(j);
	json_object_foreach(json_object_get((json_t *)j, "segments"), k, v)
	    printf("  text %-8s %s, %lld SMS part%s\n", k, json_string_value(json_object_get(v, "encoding")),
		(long long)json_integer_value(json_object_get(v, "segments")),
		json_integer_value(json_object_get(v, "segments")) == 1 ? "" : "s");
	printf("cost        %.2f %s (estimate)\nstarts      %s\nfinishes    %s (estimate)\n",
	    json_number_value(json_object_get(json_object_get(j, "cost"), "estimate")),
	    json_string_value(json_object_get(json_object_get(j, "cost"), "currency")),
	    json_string_value(json_object_get(j, "starts_at")), json_string_value(json_object_get(j, "finishes_at")));
}

/* campaign preview|schedule|pause|resume|cancel|status ID: argv[-1] names the verb. */
int
cmd_campaign_act(const struct client *c, int argc, char **argv)
{
	const char *verb = argv[-1];
	struct client_answer a;
	char path[160];
	bool watch = false;
	int rc;

	if (argc == 2 && strcmp(verb, "status") == 0 && strcmp(argv[1], "--watch") == 0)
		watch = true;
	else if (argc != 1) {
		fprintf(stderr, "amuddu: campaign %s ID%s\n", verb, strcmp(verb, "status") == 0 ? " [--watch]" : "");
		return CLIENT_USAGE;
	}
	if (strcmp(verb, "status") == 0) {
		snprintf(path, sizeof path, "/v1/campaigns/%.64s", argv[0]);
		for (;;) {
			const char *st;

			if ((rc = client_expect(c, "GET", path, NULL, 200, &a)) != CLIENT_OK)
				return rc;
			if (c->json)
				client_print_json(a.json);
			else
				cmd_campaign_show(a.json);
			st = json_string_value(json_object_get(a.json, "state"));
			if (!watch || st == NULL || strcmp(st, "done") == 0 || strcmp(st, "cancelled") == 0 ||
			    strcmp(st, "draft") == 0) {
				client_answer_free(&a);
				return CLIENT_OK;
			}
			client_answer_free(&a);
			fflush(stdout);
			sleep(2);
		}
	}
	snprintf(path, sizeof path, "/v1/campaigns/%.64s/%s", argv[0], verb);
	rc = client_call(c, "POST", path, NULL, NULL, 0, &a);
	return cmd_finish(c, &a, rc, strcmp(verb, "preview") == 0 ? cmd_preview_show : cmd_campaign_show);
}

static void
cmd_sent_show(const json_t *j)
{
	printf("%s %s\n", json_string_value(json_object_get(j, "id")), json_string_value(json_object_get(j, "state")));
}

int
cmd_send(const struct client *c, int argc, char **argv)
{
	struct client_answer a;
	json_t *body = json_object();
	int rc;

	for (int i = 0; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--to") == 0 || strcmp(argv[i], "--contact") == 0 ||
		    strcmp(argv[i], "--text") == 0 || strcmp(argv[i], "--channel") == 0 ||
		    strcmp(argv[i], "--locale") == 0)
			json_object_set_new(body, argv[i] + 2, json_string(argv[i + 1]));
		else
			argc = -1;
	}
	if (argc < 0 || argc % 2 != 0 || json_object_get(body, "text") == NULL) {
		json_decref(body);
		fprintf(stderr,
		    "amuddu: send (--to NUMBER | --contact ID) --text TEXT [--channel sms|whatsapp|auto] [--locale "
		    "L]\n");
		return CLIENT_USAGE;
	}
	rc = client_json(c, "POST", "/v1/messages", body, &a);
	json_decref(body);
	return cmd_finish(c, &a, rc, cmd_sent_show);
}
