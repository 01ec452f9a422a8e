/*
 * Unit tests for handlers/whatsapp.c through whatsapp_ops: the checks of a
 * [whatsapp] section, the Cloud API request exactly as Meta reads it (free
 * text inside the window, a template chosen by kind and locale outside
 * it), the verdict for each kind of answer and Meta error code, and that
 * no phone number from an answer reaches the error text.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handlers/provider.h"
#include "handlers/signature.h"
#include "handlers/whatsapp.h"

#define PNID "106540352242922"
#define TOKEN "EAAGm0PX4ZCpsBA-test-token"
#define SECRET "app-secret"
#define VERIFY "verify-me-1234"
#define TO "+212612345678"
#define FULL "phone_number_id", PNID, "token", TOKEN, "app_secret", SECRET, "verify_token", VERIFY

#define MAX_SETTINGS 32

/* A section as create() sees it, from a NULL-terminated list of key, value pairs. */
struct section {
	struct provider_setting v[MAX_SETTINGS];
	struct provider_settings s;
};

static const struct provider_settings *section(struct section *sec, const char *const *kv);
static void *create_ok(const char *const *kv);
static void expect_refused(const char *const *kv, const char *needle);
static int build(
    const void *w, const struct provider_message *m, struct provider_request *req, char *error, size_t errorlen);
static json_t *build_json(const void *w, const struct provider_message *m, struct provider_request *req);
static json_t *jpath(json_t *root, const char *path);
static const char *jstr(json_t *root, const char *path);
static const char *header(const struct provider_request *req, const char *prefix);
static void classify(long status, const char *body, struct provider_result *out);
static const char *webhook_header(void *arg, const char *name);
static void test_create_needs_phone_number_id(void **state);
static void test_create_needs_token(void **state);
static void test_create_needs_webhook_secrets(void **state);
static void test_create_base_url_scheme(void **state);
static void test_create_template_key_needs_locale(void **state);
static void test_create_template_value_needs_language(void **state);
static void test_create_template_too_many_params(void **state);
static void test_url_default(void **state);
static void test_url_base_and_version(void **state);
static void test_text_request(void **state);
static void test_text_preserved(void **state);
static void test_template_request(void **state);
static void test_template_whitespace_collapsed(void **state);
static void test_template_without_params(void **state);
static void test_template_missing_var(void **state);
static void test_template_vars_not_object(void **state);
static void test_template_var_wrong_type(void **state);
static void test_webhook_uses_section_secrets(void **state);
static void test_accepted(void **state);
static void test_2xx_without_id(void **state);
static void test_rate_limit_codes_retry(void **state);
static void test_429_and_5xx_retry(void **state);
static void test_token_refused_retry(void **state);
static void test_unreachable_falls_back(void **state);
static void test_invalid_parameter_permanent(void **state);
static void test_marketing_limit_and_stop(void **state);
static void test_error_never_quotes_number(void **state);
static void test_garbage_answer(void **state);
static void test_transport_error(void **state);

static const struct provider_settings *
section(struct section *sec, const char *const *kv)
{
	size_t n = 0;

	for (; kv[2 * n] != NULL; n++) {
		assert_true(n < MAX_SETTINGS);
		sec->v[n].key = kv[2 * n];
		sec->v[n].value = kv[2 * n + 1];
	}
	sec->s.v = sec->v;
	sec->s.n = n;
	sec->s.public_url = "https://gw.example";
	return &sec->s;
}

static void *
create_ok(const char *const *kv)
{
	struct section sec;
	char err[256] = "";
	void *w;

	w = whatsapp_ops.create(section(&sec, kv), err, sizeof err);
	if (w == NULL)
		fail_msg("create refused: %s", err);
	return w;
}

/* Refused, with an error that names what to fix. */
static void
expect_refused(const char *const *kv, const char *needle)
{
	struct section sec;
	char err[256] = "";
	void *w;

	w = whatsapp_ops.create(section(&sec, kv), err, sizeof err);
	if (w != NULL) {
		whatsapp_ops.destroy(w);
		fail_msg("create accepted, expected an error naming '%s'", needle);
	}
	if (strstr(err, needle) == NULL)
		fail_msg("error '%s' does not name '%s'", err, needle);
}

/*
 * Builds m; a message with a kind and a locale goes as the template
 * configured for exactly them, if there is one (routing chooses templates:
 * tests/unit/test_route.c).
 */
static int
build(const void *w, const struct provider_message *m, struct provider_request *req, char *error, size_t errorlen)
{
	struct provider_message tm = *m;

	if (m->kind != NULL && m->locale != NULL)
		tm.template = whatsapp_ops.template_find(w, m->kind, m->locale);
	m = &tm;
	provider_request_init(req);
	error[0] = '\0';
	return whatsapp_ops.build_request(w, m, req, error, errorlen);
}

/* Builds m and parses the body as Meta would. */
static json_t *
build_json(const void *w, const struct provider_message *m, struct provider_request *req)
{
	char error[192];
	json_error_t jerr;
	json_t *root;
	int rc;

	rc = build(w, m, req, error, sizeof error);
	if (rc != 0)
		fail_msg("build_request returned %d: %s", rc, error);
	assert_int_equal(req->body.len, strlen(req->body.data));
	root = json_loadb(req->body.data, req->body.len, 0, &jerr);
	if (root == NULL)
		fail_msg("body is not JSON (%s): %s", jerr.text, req->body.data);
	return root;
}

/* A member by dotted path; numbers index arrays: "template.components.0.type". */
static json_t *
jpath(json_t *root, const char *path)
{
	char buf[128], *tok, *save = NULL;
	json_t *j = root;

	snprintf(buf, sizeof buf, "%s", path);
	for (tok = strtok_r(buf, ".", &save); tok != NULL && j != NULL; tok = strtok_r(NULL, ".", &save)) {
		if (json_is_array(j))
			j = json_array_get(j, strtoul(tok, NULL, 10));
		else
			j = json_object_get(j, tok);
	}
	return j;
}

static const char *
jstr(json_t *root, const char *path)
{
	json_t *j = jpath(root, path);

	if (!json_is_string(j))
		fail_msg("%s is not a string", path);
	return json_string_value(j);
}

static const char *
header(const struct provider_request *req, const char *prefix)
{
	for (size_t i = 0; i < req->nheaders; i++)
		if (strncmp(req->headers[i], prefix, strlen(prefix)) == 0)
			return req->headers[i];
	return NULL;
}

static void
classify(long status, const char *body, struct provider_result *out)
{
	const char *kv[] = { FULL, NULL };
	void *w = create_ok(kv);
	struct provider_answer a = { .status = status, .body = body, .body_len = body != NULL ? strlen(body) : 0 };

	memset(out, 0x55, sizeof *out);
	whatsapp_ops.classify(w, &a, out);
	whatsapp_ops.destroy(w);
}

/* arg is the X-Hub-Signature-256 value. */
static const char *
webhook_header(void *arg, const char *name)
{
	return strcmp(name, "X-Hub-Signature-256") == 0 ? arg : NULL;
}

static void
test_create_needs_phone_number_id(void **state)
{
	const char *missing[] = { "token", TOKEN, "app_secret", SECRET, "verify_token", VERIFY, NULL };
	const char *empty[] = { "phone_number_id", "", "token", TOKEN, "app_secret", SECRET, "verify_token", VERIFY,
		NULL };
	const char *letters[] = { "phone_number_id", "1065abc", "token", TOKEN, "app_secret", SECRET, "verify_token",
		VERIFY, NULL };
	/* The display number is not the id. */
	const char *number[] = { "phone_number_id", "+15550783881", "token", TOKEN, "app_secret", SECRET,
		"verify_token", VERIFY, NULL };

	(void)state;
	expect_refused(missing, "phone_number_id");
	expect_refused(empty, "phone_number_id");
	expect_refused(letters, "phone_number_id");
	expect_refused(number, "phone_number_id");
}

static void
test_create_needs_token(void **state)
{
	const char *missing[] = { "phone_number_id", PNID, "app_secret", SECRET, "verify_token", VERIFY, NULL };
	const char *empty[] = { "phone_number_id", PNID, "token", "", "app_secret", SECRET, "verify_token", VERIFY,
		NULL };

	(void)state;
	expect_refused(missing, "token");
	expect_refused(empty, "token");
}

static void
test_create_needs_webhook_secrets(void **state)
{
	const char *no_secret[] = { "phone_number_id", PNID, "token", TOKEN, "verify_token", VERIFY, NULL };
	const char *no_verify[] = { "phone_number_id", PNID, "token", TOKEN, "app_secret", SECRET, NULL };
	const char *empty_secret[] = { "phone_number_id", PNID, "token", TOKEN, "app_secret", "", "verify_token",
		VERIFY, NULL };

	(void)state;
	expect_refused(no_secret, "app_secret");
	expect_refused(no_verify, "verify_token");
	expect_refused(empty_secret, "app_secret");
}

static void
test_create_base_url_scheme(void **state)
{
	const char *ftp[] = { FULL, "base_url", "ftp://graph.facebook.com", NULL };
	const char *bare[] = { FULL, "base_url", "graph.facebook.com", NULL };

	(void)state;
	expect_refused(ftp, "base_url");
	expect_refused(bare, "base_url");
}

static void
test_create_template_key_needs_locale(void **state)
{
	const char *no_locale[] = { FULL, "template.event", "event_invite fr", NULL };
	const char *empty_locale[] = { FULL, "template.event.", "event_invite fr", NULL };
	const char *empty_kind[] = { FULL, "template..fr", "event_invite fr", NULL };

	(void)state;
	expect_refused(no_locale, "template.event");
	expect_refused(empty_locale, "template.event.");
	expect_refused(empty_kind, "template..fr");
}

static void
test_create_template_value_needs_language(void **state)
{
	const char *name_only[] = { FULL, "template.event.fr", "event_invite", NULL };
	const char *blank[] = { FULL, "template.event.fr", "  ", NULL };

	(void)state;
	expect_refused(name_only, "template.event.fr");
	expect_refused(blank, "template.event.fr");
}

static void
test_create_template_too_many_params(void **state)
{
	const char *eleven[] = { FULL, "template.event.fr", "ev fr a b c d e f g h i j k", NULL };
	const char *ten[] = { FULL, "template.event.fr", "ev fr a b c d e f g h i j", NULL };

	(void)state;
	expect_refused(eleven, "template.event.fr");
	whatsapp_ops.destroy(create_ok(ten));
}

static void
test_url_default(void **state)
{
	const char *kv[] = { FULL, NULL };
	struct provider_message m = { .id = "m-1", .to = TO, .text = "Salam" };
	struct provider_request req;
	void *w = create_ok(kv);

	(void)state;
	json_decref(build_json(w, &m, &req));
	assert_string_equal(req.url, "https://graph.facebook.com/v23.0/" PNID "/messages");
	provider_request_free(&req);
	whatsapp_ops.destroy(w);
}

static void
test_url_base_and_version(void **state)
{
	const char *kv[] = { FULL, "base_url", "http://127.0.0.1:9000//", "api_version", "v21.0", NULL };
	const char *bad_version[] = { FULL, "api_version", "23.0", NULL };
	struct provider_message m = { .id = "m-1", .to = TO, .text = "Salam" };
	struct provider_request req;
	void *w = create_ok(kv);

	(void)state;
	json_decref(build_json(w, &m, &req));
	assert_string_equal(req.url, "http://127.0.0.1:9000/v21.0/" PNID "/messages");
	provider_request_free(&req);
	whatsapp_ops.destroy(w);
	expect_refused(bad_version, "api_version");
}

static void
test_text_request(void **state)
{
	const char *kv[] = { FULL, "template.custom.fr", "generic_notice fr text", NULL };
	struct provider_message m = { .id = "m-1", .to = TO, .text = "Salam" };
	struct provider_request req;
	json_t *root, *preview;
	void *w = create_ok(kv);

	(void)state;
	/* Without a template, free text goes out, even when one is configured (routing chooses). */
	root = build_json(w, &m, &req);
	assert_string_equal(jstr(root, "messaging_product"), "whatsapp");
	assert_string_equal(jstr(root, "recipient_type"), "individual");
	assert_string_equal(jstr(root, "to"), "212612345678");
	assert_string_equal(jstr(root, "type"), "text");
	assert_string_equal(jstr(root, "text.body"), "Salam");
	preview = jpath(root, "text.preview_url");
	assert_true(preview == NULL || json_is_false(preview));
	assert_null(jpath(root, "template"));
	assert_int_equal(json_object_size(root), 5);
	assert_string_equal(req.mode, "text");
	assert_int_equal(req.nheaders, 2);
	assert_string_equal(header(&req, "Authorization:"), "Authorization: Bearer " TOKEN);
	assert_string_equal(header(&req, "Content-Type:"), "Content-Type: application/json");
	assert_null(strstr(req.body.data, TOKEN));
	assert_null(strstr(req.url, TOKEN));
	json_decref(root);
	provider_request_free(&req);

	/* A number given without the plus goes out the same. */
	m.to = "212612345678";
	root = build_json(w, &m, &req);
	assert_string_equal(jstr(root, "to"), "212612345678");
	json_decref(root);
	provider_request_free(&req);
	whatsapp_ops.destroy(w);
}

static void
test_text_preserved(void **state)
{
	static const char *const texts[] = {
		/* « Formation "été" à Agadir : inscrivez-vous ! » and a second line */
		"Formation \"\xC3\xA9t\xC3\xA9\" \xC3\xA0 Agadir : inscrivez-vous !\nR\xC3\xA9ponse avant le 12/07.",
		/* "سلام عليكم" */
		"\xD8\xB3\xD9\x84\xD8\xA7\xD9\x85 \xD8\xB9\xD9\x84\xD9\x8A\xD9\x83\xD9\x85",
		/* 👍🎓 with text around */
		"Bravo \xF0\x9F\x91\x8D\xF0\x9F\x8E\x93 !",
		"quote \" backslash \\ slash / tab\tCRLF\r\nend\n\n",
		"    leading and   inner   spaces   ",
	};
	const char *kv[] = { FULL, NULL };
	struct provider_message m = { .id = "m-1", .to = TO };
	struct provider_request req;
	void *w = create_ok(kv);

	(void)state;
	for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
		json_t *root, *body;

		m.text = texts[i];
		root = build_json(w, &m, &req);
		body = jpath(root, "text.body");
		assert_true(json_is_string(body));
		assert_int_equal(json_string_length(body), strlen(texts[i]));
		assert_memory_equal(json_string_value(body), texts[i], strlen(texts[i]));
		json_decref(root);
		provider_request_free(&req);
	}
	whatsapp_ops.destroy(w);
}

static void
test_template_request(void **state)
{
	const char *kv[] = { FULL, "template.training_offer.fr", "training_offer_v2 fr text name seats", NULL };
	struct provider_message m = { .id = "m-1",
		.to = TO,
		.text = "Formation \xC3\xA9t\xC3\xA9",
		.kind = "training_offer",
		.locale = "fr",
		.vars = "{\"name\":\"Amina\",\"seats\":12,\"unused\":true}" };
	struct provider_request req;
	json_t *root, *params;
	void *w = create_ok(kv);

	(void)state;
	root = build_json(w, &m, &req);
	assert_string_equal(jstr(root, "messaging_product"), "whatsapp");
	assert_string_equal(jstr(root, "recipient_type"), "individual");
	assert_string_equal(jstr(root, "to"), "212612345678");
	assert_string_equal(jstr(root, "type"), "template");
	assert_null(jpath(root, "text"));
	assert_int_equal(json_object_size(root), 5);
	assert_string_equal(jstr(root, "template.name"), "training_offer_v2");
	assert_string_equal(jstr(root, "template.language.policy"), "deterministic");
	assert_string_equal(jstr(root, "template.language.code"), "fr");
	assert_int_equal(json_array_size(jpath(root, "template.components")), 1);
	assert_string_equal(jstr(root, "template.components.0.type"), "body");
	params = jpath(root, "template.components.0.parameters");
	assert_int_equal(json_array_size(params), 3);
	for (size_t i = 0; i < 3; i++)
		assert_string_equal(jstr(json_array_get(params, i), "type"), "text");
	assert_string_equal(jstr(params, "0.text"), "Formation \xC3\xA9t\xC3\xA9");
	assert_string_equal(jstr(params, "1.text"), "Amina");
	assert_string_equal(jstr(params, "2.text"), "12");
	assert_string_equal(req.mode, "template");
	assert_string_equal(header(&req, "Authorization:"), "Authorization: Bearer " TOKEN);
	assert_string_equal(header(&req, "Content-Type:"), "Content-Type: application/json");
	assert_string_equal(req.url, "https://graph.facebook.com/v23.0/" PNID "/messages");
	json_decref(root);
	provider_request_free(&req);
	whatsapp_ops.destroy(w);
}

/* Meta refuses parameters with new lines, tabs or runs of spaces (error 132018). */
static void
test_template_whitespace_collapsed(void **state)
{
	const char *kv[] = { FULL, "template.event.fr", "event_invite fr text place", NULL };
	struct provider_message m = { .id = "m-1",
		.to = TO,
		.text = "Atelier\n\nsamedi\t\t10h     au centre\r\nfin",
		.kind = "event",
		.locale = "fr",
		.vars = "{\"place\":\"Maison  des\\njeunes\"}" };
	struct provider_request req;
	json_t *root;
	void *w = create_ok(kv);

	(void)state;
	root = build_json(w, &m, &req);
	assert_string_equal(jstr(root, "template.components.0.parameters.0.text"), "Atelier samedi 10h au centre fin");
	assert_string_equal(jstr(root, "template.components.0.parameters.1.text"), "Maison des jeunes");
	json_decref(root);
	provider_request_free(&req);
	whatsapp_ops.destroy(w);
}

static void
test_template_without_params(void **state)
{
	const char *kv[] = { FULL, "template.event.fr", "event_reminder fr", NULL };
	struct provider_message m = { .id = "m-1", .to = TO, .text = "Rappel", .kind = "event", .locale = "fr" };
	struct provider_request req;
	json_t *root;
	void *w = create_ok(kv);

	(void)state;
	root = build_json(w, &m, &req);
	assert_string_equal(jstr(root, "type"), "template");
	assert_string_equal(jstr(root, "template.name"), "event_reminder");
	assert_null(jpath(root, "template.components"));
	json_decref(root);
	provider_request_free(&req);
	whatsapp_ops.destroy(w);
}

static void
test_template_missing_var(void **state)
{
	const char *kv[] = { FULL, "template.event.fr", "event_invite fr name date", NULL };
	struct provider_message m = {
		.id = "m-1", .to = TO, .text = "x", .kind = "event", .locale = "fr", .vars = "{\"name\":\"Amina\"}"
	};
	struct provider_request req;
	char error[192];
	void *w = create_ok(kv);

	(void)state;
	assert_int_equal(build(w, &m, &req, error, sizeof error), PROVIDER_BUILD_ERROR);
	assert_non_null(strstr(error, "'date'"));
	assert_non_null(strstr(error, "event_invite"));
	provider_request_free(&req);
	m.vars = NULL;
	assert_int_equal(build(w, &m, &req, error, sizeof error), PROVIDER_BUILD_ERROR);
	assert_non_null(strstr(error, "'name'"));
	provider_request_free(&req);
	/* A variable that is only spaces would leave an empty parameter, which Meta refuses. */
	m.vars = "{\"name\":\" \\n \",\"date\":\"samedi\"}";
	assert_int_equal(build(w, &m, &req, error, sizeof error), PROVIDER_BUILD_ERROR);
	assert_non_null(strstr(error, "'name'"));
	provider_request_free(&req);
	whatsapp_ops.destroy(w);
}

/*
 * The queue only checks that vars starts with '{'. A broken object must be
 * reported as such, not as a missing variable the entry plainly has.
 */
static void
test_template_vars_not_object(void **state)
{
	static const char *const bad[] = { "{\"name\":\"Amina\"", "{name: Amina}", "[\"Amina\"]", "\"Amina\"" };
	const char *kv[] = { FULL, "template.event.fr", "event_invite fr name", NULL };
	struct provider_message m = { .id = "m-1", .to = TO, .text = "x", .kind = "event", .locale = "fr" };
	struct provider_request req;
	char error[192];
	void *w = create_ok(kv);

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		m.vars = bad[i];
		assert_int_equal(build(w, &m, &req, error, sizeof error), PROVIDER_BUILD_ERROR);
		if (strstr(error, "'name'") == NULL || strstr(error, "not a JSON object") == NULL)
			fail_msg("vars %s: error '%s'", bad[i], error);
		assert_null(strstr(error, "Amina"));
		provider_request_free(&req);
	}
	whatsapp_ops.destroy(w);
}

/* Present but neither text nor a whole number: say so rather than "missing". */
static void
test_template_var_wrong_type(void **state)
{
	static const char *const bad[] = { "{\"seats\":12.5}", "{\"seats\":true}", "{\"seats\":null}",
		"{\"seats\":{\"n\":1}}" };
	const char *kv[] = { FULL, "template.event.fr", "event_invite fr seats", NULL };
	struct provider_message m = { .id = "m-1", .to = TO, .text = "x", .kind = "event", .locale = "fr" };
	struct provider_request req;
	char error[192];
	json_t *root;
	void *w = create_ok(kv);

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		m.vars = bad[i];
		assert_int_equal(build(w, &m, &req, error, sizeof error), PROVIDER_BUILD_ERROR);
		if (strstr(error, "'seats'") == NULL || strstr(error, "string or a whole number") == NULL)
			fail_msg("vars %s: error '%s'", bad[i], error);
		provider_request_free(&req);
	}
	m.vars = "{\"seats\":-3}";
	root = build_json(w, &m, &req);
	assert_string_equal(jstr(root, "template.components.0.parameters.0.text"), "-3");
	json_decref(root);
	provider_request_free(&req);
	whatsapp_ops.destroy(w);
}

/* The webhook checks against this section's app_secret and verify_token. */
static void
test_webhook_uses_section_secrets(void **state)
{
	static const char body[] = "{\"object\":\"whatsapp_business_account\",\"entry\":[]}";
	const char *kv[] = { FULL, NULL };
	struct provider_webhook_request wr = { .method = "GET",
		.route = "",
		.url = "https://gw.example/webhooks/whatsapp",
		.query = "hub.mode=subscribe&hub.verify_token=" VERIFY "&hub.challenge=1158201444",
		.content_type = "",
		.header = webhook_header,
		.body = "",
		.body_len = 0 };
	struct provider_events ev;
	char sig[SIGNATURE_META_LEN], error[256];
	void *w = create_ok(kv);

	(void)state;
	provider_events_init(&ev);
	assert_int_equal(whatsapp_ops.webhook(w, &wr, &ev, error, sizeof error), PROVIDER_WEBHOOK_OK);
	assert_int_equal(ev.reply.len, 10);
	assert_memory_equal(ev.reply.data, "1158201444", 10);
	provider_events_free(&ev);
	wr.query = "hub.mode=subscribe&hub.verify_token=" SECRET "&hub.challenge=1158201444";
	provider_events_init(&ev);
	assert_int_equal(whatsapp_ops.webhook(w, &wr, &ev, error, sizeof error), PROVIDER_WEBHOOK_FORBIDDEN);
	provider_events_free(&ev);

	wr.method = "POST";
	wr.query = "";
	wr.content_type = "application/json";
	wr.body = body;
	wr.body_len = strlen(body);
	signature_meta(SECRET, body, strlen(body), sig);
	wr.header_arg = sig;
	provider_events_init(&ev);
	assert_int_equal(whatsapp_ops.webhook(w, &wr, &ev, error, sizeof error), PROVIDER_WEBHOOK_OK);
	provider_events_free(&ev);
	signature_meta(VERIFY, body, strlen(body), sig);
	provider_events_init(&ev);
	assert_int_equal(whatsapp_ops.webhook(w, &wr, &ev, error, sizeof error), PROVIDER_WEBHOOK_UNSIGNED);
	provider_events_free(&ev);
	whatsapp_ops.destroy(w);
}

static void
test_accepted(void **state)
{
	static const char body[] =
	    "{\"messaging_product\":\"whatsapp\",\"contacts\":[{\"input\":\"+16505551234\",\"wa_id\":\"16505551234\"}],"
	    "\"messages\":[{\"id\":\"wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI3N0EyQUJDMjFEQzZBRUY4NkEA\","
	    "\"message_status\":\"accepted\"}]}";
	struct provider_result r;

	(void)state;
	classify(200, body, &r);
	assert_int_equal(r.verdict, PROVIDER_ACCEPTED);
	assert_string_equal(r.provider_id, "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI3N0EyQUJDMjFEQzZBRUY4NkEA");
	classify(200, "{\"messages\":[{\"id\":\"wamid.X\"}]}", &r);
	assert_int_equal(r.verdict, PROVIDER_ACCEPTED);
	assert_string_equal(r.provider_id, "wamid.X");
}

/* An answer that does not prove the message was taken is retried (at least once). */
static void
test_2xx_without_id(void **state)
{
	static const char *const bodies[] = { "{\"messaging_product\":\"whatsapp\",\"contacts\":[]}",
		"{\"messages\":[]}", "{\"messages\":[{\"id\":42}]}", "{\"messages\":[{\"id\":\"\"}]}",
		"{\"messages\":{\"id\":\"wamid.X\"}}", "<html>ok</html>", "" };
	struct provider_result r;

	(void)state;
	for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
		classify(200, bodies[i], &r);
		if (r.verdict != PROVIDER_RETRY)
			fail_msg("200 %s: verdict %d", bodies[i], r.verdict);
		assert_true(strlen(r.error) > 0);
	}
	classify(200, NULL, &r);
	assert_int_equal(r.verdict, PROVIDER_RETRY);
}

static void
test_rate_limit_codes_retry(void **state)
{
	static const long codes[] = { 130429, 131056, 131048, 80007, 4, 131000, 131016, 133004, 1, 2 };
	struct provider_result r;
	char body[256], code[16];

	(void)state;
	for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
		snprintf(body, sizeof body,
		    "{\"error\":{\"message\":\"(#%ld) Rate limit hit\",\"type\":\"OAuthException\",\"code\":%ld,"
		    "\"fbtrace_id\":\"Az8or2yhqkZfEZ-_4Qn_Bam\"}}",
		    codes[i], codes[i]);
		classify(400, body, &r);
		if (r.verdict != PROVIDER_RETRY)
			fail_msg("code %ld: verdict %d", codes[i], r.verdict);
		snprintf(code, sizeof code, "%ld", codes[i]);
		assert_non_null(strstr(r.error, code));
		assert_false(r.fallback);
	}
}

static void
test_429_and_5xx_retry(void **state)
{
	struct provider_result r;
	const struct provider_answer limited = { .status = 429,
		.retry_after = "30",
		.body = "{\"error\":{\"code\":130429}}",
		.body_len = strlen("{\"error\":{\"code\":130429}}") };
	const char *kv[] = { FULL, NULL };
	void *w = create_ok(kv);

	(void)state;
	whatsapp_ops.classify(w, &limited, &r);
	assert_int_equal(r.verdict, PROVIDER_RETRY);
	assert_int_equal(r.retry_after_ms, 30000);
	assert_non_null(strstr(r.error, "130429"));
	whatsapp_ops.destroy(w);
	classify(429, "", &r);
	assert_int_equal(r.verdict, PROVIDER_RETRY);
	classify(500, "{\"error\":{\"message\":\"An unknown error occurred\",\"code\":1}}", &r);
	assert_int_equal(r.verdict, PROVIDER_RETRY);
	classify(503, "Service Unavailable", &r);
	assert_int_equal(r.verdict, PROVIDER_RETRY);
	classify(502, NULL, &r);
	assert_int_equal(r.verdict, PROVIDER_RETRY);
	/* A 5xx with a code that would be permanent in a 400 is still Meta's fault. */
	classify(500, "{\"error\":{\"code\":100}}", &r);
	assert_int_equal(r.verdict, PROVIDER_RETRY);
}

/* An expired token or a missing permission is the operator's to fix; the message stays. */
static void
test_token_refused_retry(void **state)
{
	struct provider_result r;

	(void)state;
	classify(401,
	    "{\"error\":{\"message\":\"Error validating access token: Session has expired\",\"type\":"
	    "\"OAuthException\",\"code\":190,\"error_subcode\":463}}",
	    &r);
	assert_int_equal(r.verdict, PROVIDER_RETRY);
	assert_non_null(strstr(r.error, "190"));
	classify(400, "{\"error\":{\"message\":\"Invalid OAuth access token.\",\"code\":190}}", &r);
	assert_int_equal(r.verdict, PROVIDER_RETRY);
	classify(401, "", &r);
	assert_int_equal(r.verdict, PROVIDER_RETRY);
	classify(403, "{\"error\":{\"code\":200}}", &r);
	assert_int_equal(r.verdict, PROVIDER_RETRY);
	classify(400, "{\"error\":{\"message\":\"(#10) Application does not have permission\",\"code\":10}}", &r);
	assert_int_equal(r.verdict, PROVIDER_RETRY);
}

/* The number cannot use WhatsApp now; SMS may still reach it. */
static void
test_unreachable_falls_back(void **state)
{
	struct provider_result r;

	(void)state;
	classify(400, "{\"error\":{\"message\":\"(#131026) Message Undeliverable.\",\"code\":131026}}", &r);
	assert_int_equal(r.verdict, PROVIDER_PERMANENT);
	assert_true(r.fallback);
	assert_string_equal(r.error, "whatsapp 131026: http 400");
	classify(400,
	    "{\"error\":{\"message\":\"(#131047) Re-engagement message\",\"code\":131047,\"error_data\":{"
	    "\"messaging_product\":\"whatsapp\",\"details\":\"More than 24 hours have passed\"}}}",
	    &r);
	assert_int_equal(r.verdict, PROVIDER_PERMANENT);
	assert_true(r.fallback);
	assert_non_null(strstr(r.error, "131047"));
}

static void
test_invalid_parameter_permanent(void **state)
{
	struct provider_result r;

	(void)state;
	classify(400,
	    "{\"error\":{\"message\":\"(#100) Invalid parameter\",\"type\":\"OAuthException\",\"code\":100,"
	    "\"fbtrace_id\":\"AbCdEf\"}}",
	    &r);
	assert_int_equal(r.verdict, PROVIDER_PERMANENT);
	assert_false(r.fallback);
	assert_string_equal(r.error, "whatsapp 100: http 400");
	/* Subcode 33: the phone_number_id does not exist, which is the operator's to fix. */
	classify(400,
	    "{\"error\":{\"message\":\"Unsupported post request\",\"type\":\"GraphMethodException\",\"code\":100,"
	    "\"error_subcode\":33,\"fbtrace_id\":\"AbCdEf\"}}",
	    &r);
	assert_int_equal(r.verdict, PROVIDER_RETRY);
}

/*
 * 131049 (Meta's per-person marketing limit) is retried, but not before a
 * day; 131050 (the person stopped marketing messages) is final, recorded
 * as an opt-out, and never falls back to SMS.
 */
static void
test_marketing_limit_and_stop(void **state)
{
	struct provider_result r;

	(void)state;
	classify(400,
	    "{\"error\":{\"message\":\"(#131049) Meta chose not to deliver.\",\"type\":\"OAuthException\","
	    "\"code\":131049,\"fbtrace_id\":\"Az\"}}",
	    &r);
	assert_int_equal(r.verdict, PROVIDER_RETRY);
	assert_int_equal(r.retry_after_ms, 24L * 3600 * 1000);
	assert_false(r.optout);
	assert_false(r.fallback);
	assert_non_null(strstr(r.error, "131049"));
	classify(
	    400, "{\"error\":{\"message\":\"(#131050) User has stopped marketing messages\",\"code\":131050}}", &r);
	assert_int_equal(r.verdict, PROVIDER_PERMANENT);
	assert_true(r.optout);
	assert_false(r.fallback);
	assert_non_null(strstr(r.error, "131050"));
	/* Other permanent codes are no opt-out. */
	classify(400, "{\"error\":{\"code\":131026}}", &r);
	assert_false(r.optout);
}

/* Meta's messages and details can quote the recipient: only the code is kept. */
static void
test_error_never_quotes_number(void **state)
{
	static const char body[] =
	    "{\"error\":{\"message\":\"(#%ld) Recipient +212612345678 (212612345678) is not valid\","
	    "\"type\":\"OAuthException\",\"code\":%ld,\"error_data\":{\"messaging_product\":\"whatsapp\","
	    "\"details\":\"The number +212612345678 is not a WhatsApp user\"},\"fbtrace_id\":\"Az\"}}";
	static const long statuses[] = { 400, 400, 400, 400, 401, 404, 429, 500 };
	static const long codes[] = { 131026, 100, 131056, 0, 190, 100, 130429, 131000 };
	struct provider_result r;
	char text[512];

	(void)state;
	for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
		snprintf(text, sizeof text, body, codes[i], codes[i]);
		classify(statuses[i], text, &r);
		if (strstr(r.error, "612345678") != NULL || strstr(r.error, "Recipient") != NULL ||
		    strstr(r.error, "WhatsApp user") != NULL)
			fail_msg("http %ld code %ld: error '%s' quotes the answer", statuses[i], codes[i], r.error);
		assert_true(strlen(r.error) > 0);
	}
}

static void
test_garbage_answer(void **state)
{
	struct provider_result r;

	(void)state;
	/* A 400 we cannot read is still a refusal of this message. */
	classify(400, "<html><body>Bad Request</body></html>", &r);
	assert_int_equal(r.verdict, PROVIDER_PERMANENT);
	assert_false(r.fallback);
	assert_string_equal(r.error, "http 400: rejected");
	classify(400, "{\"error\":{\"code\":\"131026\"}}", &r);
	assert_int_equal(r.verdict, PROVIDER_PERMANENT);
	assert_false(r.fallback);
	classify(400, "", &r);
	assert_int_equal(r.verdict, PROVIDER_PERMANENT);
	classify(502, "<html>Bad Gateway</html>", &r);
	assert_int_equal(r.verdict, PROVIDER_RETRY);
	classify(200, "{\"messages\":[{\"id\":\"wamid.X\"", &r);
	assert_int_equal(r.verdict, PROVIDER_RETRY);
}

static void
test_transport_error(void **state)
{
	const char *kv[] = { FULL, NULL };
	const struct provider_answer a = { .status = 0, .transport_error = "Connection timed out" };
	struct provider_result r;
	void *w = create_ok(kv);

	(void)state;
	memset(&r, 0x55, sizeof r);
	whatsapp_ops.classify(w, &a, &r);
	assert_int_equal(r.verdict, PROVIDER_RETRY);
	assert_non_null(strstr(r.error, "Connection timed out"));
	assert_false(r.fallback);
	whatsapp_ops.destroy(w);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_needs_phone_number_id),
		cmocka_unit_test(test_create_needs_token),
		cmocka_unit_test(test_create_needs_webhook_secrets),
		cmocka_unit_test(test_create_base_url_scheme),
		cmocka_unit_test(test_create_template_key_needs_locale),
		cmocka_unit_test(test_create_template_value_needs_language),
		cmocka_unit_test(test_create_template_too_many_params),
		cmocka_unit_test(test_url_default),
		cmocka_unit_test(test_url_base_and_version),
		cmocka_unit_test(test_text_request),
		cmocka_unit_test(test_text_preserved),
		cmocka_unit_test(test_template_request),
		cmocka_unit_test(test_template_whitespace_collapsed),
		cmocka_unit_test(test_template_without_params),
		cmocka_unit_test(test_template_missing_var),
		cmocka_unit_test(test_template_vars_not_object),
		cmocka_unit_test(test_template_var_wrong_type),
		cmocka_unit_test(test_webhook_uses_section_secrets),
		cmocka_unit_test(test_accepted),
		cmocka_unit_test(test_2xx_without_id),
		cmocka_unit_test(test_rate_limit_codes_retry),
		cmocka_unit_test(test_429_and_5xx_retry),
		cmocka_unit_test(test_token_refused_retry),
		cmocka_unit_test(test_unreachable_falls_back),
		cmocka_unit_test(test_invalid_parameter_permanent),
		cmocka_unit_test(test_marketing_limit_and_stop),
		cmocka_unit_test(test_error_never_quotes_number),
		cmocka_unit_test(test_garbage_answer),
		cmocka_unit_test(test_transport_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
