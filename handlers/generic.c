/*
 * Generic HTTP JSON: POST the configured body template to the configured
 * URL, with ${to}, ${to_digits}, ${text}, ${id} and ${kind} replaced by the
 * message's values escaped for a JSON string. An answer in 2xx with the
 * id member (id_field) is accepted. Status webhooks are JSON objects (or
 * arrays of them) POSTed to /webhooks/generic (or /webhooks/generic/status),
 * inbound messages likewise to /webhooks/generic/inbound, both signed like
 * Meta's: X-Signature: sha256=<hex HMAC-SHA256(webhook_secret, body)>. The
 * members each reads are named in the configuration.
 */
#include "handlers/generic.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gateway/util/phone.h"
#include "gateway/util/xmalloc.h"
#include "handlers/json_scan.h"
#include "handlers/signature.h"

struct generic {
	char *url;
	char *body;        /* the template */
	char *id_field;    /* member of the answer holding the provider's id */
	char *auth_header; /* "Name: value", or NULL */
	char *content_type_header;
	char *webhook_secret;
	char *status_id_field;
	char *status_field;
	char *inbound_id_field, *inbound_from_field, *inbound_text_field, *inbound_time_field;
};

static void *generic_create(const struct provider_settings *s, char *err, size_t errlen);
static void generic_destroy(void *ctx);
static int generic_build_request(
    const void *ctx, const struct provider_message *m, struct provider_request *req, char *error, size_t errorlen);
static void generic_classify(const void *ctx, const struct provider_answer *a, struct provider_result *out);
static enum provider_webhook_result generic_webhook(const void *ctx, const struct provider_webhook_request *wr,
    struct provider_events *ev, char *error, size_t errorlen);
static int generic_render(
    const char *tpl, const struct provider_message *m, struct buf *out, char *error, size_t errorlen);
static int generic_status_one(
    const struct generic *g, json_t *o, size_t i, struct provider_events *ev, char *error, size_t errorlen);
static int generic_inbound_one(
    const struct generic *g, json_t *o, size_t i, struct provider_events *ev, char *error, size_t errorlen);
static void generic_secret_free(char *s);
static int generic_answer_id(const char *path, const char *body, size_t len, char *out, size_t outlen);

static const struct provider_key generic_keys[] = {
	{ "rate", false, false }, /* messages per second across the gateway processes (gateway/), 0 for none */
	{ "receipts", false, false }, /* yes (default) or no: whether delivery receipts come (gateway/, the reach counts) */
	{ "url", false, false },
	{ "body", false, false },
	{ "id_field", false, false },
	{ "auth_header", true, false },
	{ "content_type", false, false },
	{ "webhook_secret", true, false },
	{ "status_id_field", false, false },
	{ "status_field", false, false },
	{ "inbound_id_field", false, false },
	{ "inbound_from_field", false, false },
	{ "inbound_text_field", false, false },
	{ "inbound_time_field", false, false },
	{ NULL, false, false },
};

const struct provider_ops generic_ops = {
	.name = "generic",
	.channel = CHANNEL_SMS,
	.keys = generic_keys,
	.create = generic_create,
	.destroy = generic_destroy,
	.build_request = generic_build_request,
	.classify = generic_classify,
	.webhook = generic_webhook,
};

static void
generic_secret_free(char *s)
{
	if (s == NULL)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}

/* A setting, or def when it is absent or empty. */
static const char *
generic_setting(const struct provider_settings *s, const char *key, const char *def)
{
	const char *v = provider_settings_get(s, key);

	return v != NULL && *v != '\0' ? v : def;
}

static void *
generic_create(const struct provider_settings *s, char *err, size_t errlen)
{
	const char *url = provider_settings_get(s, "url"), *body = provider_settings_get(s, "body");
	const char *idf = provider_settings_get(s, "id_field"), *auth = provider_settings_get(s, "auth_header");
	const char *ct = provider_settings_get(s, "content_type");
	const char *secret = provider_settings_get(s, "webhook_secret");
	const char *sid = provider_settings_get(s, "status_id_field"), *sf = provider_settings_get(s, "status_field");
	struct provider_message sample = { "id-1", "+212612345678", "sample \"text\"\n", "custom", "fr", NULL, false };
	struct buf b;
	json_error_t jerr;
	json_t *j;
	struct generic *g;
	char why[160];

	if (url == NULL || (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)) {
		snprintf(err, errlen, "url must be an http:// or https:// URL");
		return NULL;
	}
	if (body == NULL || *body == '\0') {
		snprintf(err, errlen, "needs body, a JSON template such as {\"to\":\"${to}\",\"text\":\"${text}\"}");
		return NULL;
	}
	if (auth != NULL && (strchr(auth, ':') == NULL || strpbrk(auth, "\r\n") != NULL)) {
		snprintf(err, errlen, "auth_header must be 'Name: value' on one line");
		return NULL;
	}
	if (secret == NULL || *secret == '\0') {
		snprintf(
		    err, errlen, "needs webhook_secret to verify status webhooks (or AMUDDU_GENERIC_WEBHOOK_SECRET)");
		return NULL;
	}
	/* The template must give valid JSON for any text: try it with quotes and a new line. */
	buf_init(&b);
	if (generic_render(body, &sample, &b, why, sizeof why) != 0) {
		snprintf(err, errlen, "body: %s", why);
		buf_free(&b);
		return NULL;
	}
	if ((j = json_loadb(b.data, b.len, 0, &jerr)) == NULL) {
		snprintf(err, errlen, "body does not give valid JSON: %s (column %d)", jerr.text, jerr.column);
		buf_free(&b);
		return NULL;
	}
	json_decref(j);
	buf_free(&b);
	g = xcalloc(1, sizeof *g);
	g->url = xstrdup(url);
	g->body = xstrdup(body);
	g->id_field = xstrdup(idf != NULL && *idf != '\0' ? idf : "id");
	g->auth_header = auth != NULL && *auth != '\0' ? xstrdup(auth) : NULL;
	g->content_type_header = xasprintf("Content-Type: %s", ct != NULL && *ct != '\0' ? ct : "application/json");
	g->webhook_secret = xstrdup(secret);
	g->status_id_field = xstrdup(sid != NULL && *sid != '\0' ? sid : "id");
	g->status_field = xstrdup(sf != NULL && *sf != '\0' ? sf : "status");
	g->inbound_id_field = xstrdup(generic_setting(s, "inbound_id_field", "id"));
	g->inbound_from_field = xstrdup(generic_setting(s, "inbound_from_field", "from"));
	g->inbound_text_field = xstrdup(generic_setting(s, "inbound_text_field", "text"));
	g->inbound_time_field = xstrdup(generic_setting(s, "inbound_time_field", "time"));
	return g;
}

static void
generic_destroy(void *ctx)
{
	struct generic *g = ctx;

	if (g == NULL)
		return;
	free(g->url);
	free(g->body);
	free(g->id_field);
	generic_secret_free(g->auth_header);
	free(g->content_type_header);
	generic_secret_free(g->webhook_secret);
	free(g->status_id_field);
	free(g->status_field);
	free(g->inbound_id_field);
	free(g->inbound_from_field);
	free(g->inbound_text_field);
	free(g->inbound_time_field);
	free(g);
}

static int
generic_render(const char *tpl, const struct provider_message *m, struct buf *out, char *error, size_t errorlen)
{
	const char *p = tpl, *open, *close;

	while ((open = strstr(p, "${")) != NULL) {
		const char *v;
		size_t n;

		buf_append(out, p, (size_t)(open - p));
		if ((close = strchr(open, '}')) == NULL) {
			snprintf(error, errorlen, "unclosed ${ at offset %zu", (size_t)(open - tpl));
			return -1;
		}
		n = (size_t)(close - open - 2);
		if (n == 2 && strncmp(open + 2, "to", 2) == 0)
			v = m->to;
		else if (n == 9 && strncmp(open + 2, "to_digits", 9) == 0)
			v = m->to[0] == '+' ? m->to + 1 : m->to;
		else if (n == 4 && strncmp(open + 2, "text", 4) == 0)
			v = m->text;
		else if (n == 2 && strncmp(open + 2, "id", 2) == 0)
			v = m->id;
		else if (n == 4 && strncmp(open + 2, "kind", 4) == 0)
			v = m->kind != NULL ? m->kind : "custom";
		else {
			snprintf(error, errorlen, "unknown placeholder ${%.*s} (to, to_digits, text, id, kind)",
			    (int)(n > 32 ? 32 : n), open + 2);
			return -1;
		}
		buf_append_json(out, v, strlen(v));
		p = close + 1;
	}
	buf_puts(out, p);
	return 0;
}

static int
generic_build_request(
    const void *ctx, const struct provider_message *m, struct provider_request *req, char *error, size_t errorlen)
{
	const struct generic *g = ctx;

	if (generic_render(g->body, m, &req->body, error, errorlen) != 0)
		return PROVIDER_BUILD_ERROR;
	req->url = g->url;
	req->headers[req->nheaders++] = g->content_type_header;
	if (g->auth_header != NULL)
		req->headers[req->nheaders++] = g->auth_header;
	req->mode = "text";
	return 0;
}

/*
 * The provider's id in an answer: a top-level member (the fast scanner), or
 * a dotted path through objects and array indexes ("messages.0.id"). A
 * number is taken as its decimal text.
 */
static int
generic_answer_id(const char *path, const char *body, size_t len, char *out, size_t outlen)
{
	json_error_t jerr;
	json_t *root, *v;
	char *copy, *tok, *save = NULL;
	int rc = -1;

	if (strchr(path, '.') == NULL)
		return json_scan_member(body, len, path, out, outlen) == JSON_SCAN_FOUND && out[0] != '\0' ? 0 : -1;
	if ((root = json_loadb(body, len, 0, &jerr)) == NULL)
		return -1;
	copy = xstrdup(path);
	v = root;
	for (tok = strtok_r(copy, ".", &save); tok != NULL && v != NULL; tok = strtok_r(NULL, ".", &save)) {
		if (json_is_array(v) && strspn(tok, "0123456789") == strlen(tok))
			v = json_array_get(v, strtoul(tok, NULL, 10));
		else
			v = json_object_get(v, tok);
	}
	if (json_is_string(v) && json_string_length(v) > 0 && json_string_length(v) < outlen) {
		snprintf(out, outlen, "%s", json_string_value(v));
		rc = 0;
	} else if (json_is_integer(v)) {
		snprintf(out, outlen, "%lld", (long long)json_integer_value(v));
		rc = 0;
	}
	free(copy);
	json_decref(root);
	return rc;
}

static void
generic_classify(const void *ctx, const struct provider_answer *a, struct provider_result *out)
{
	const struct generic *g = ctx;
	char id[PROVIDER_ANSWER_ID_MAX];

	if (provider_classify_transport(a, out, (long long)time(NULL)))
		return;
	if (a->status >= 200 && a->status < 300) {
		if (generic_answer_id(g->id_field, a->body, a->body_len, id, sizeof id) != 0) {
			out->verdict = PROVIDER_RETRY;
			snprintf(
			    out->error, sizeof out->error, "http %ld: answer without '%s'", a->status, g->id_field);
		} else {
			out->verdict = PROVIDER_ACCEPTED;
			domain_provider_id(out->provider_id, id, strlen(id));
		}
		return;
	}
	if (a->status == 401 || a->status == 403 || a->status == 404) {
		out->verdict = PROVIDER_RETRY;
		snprintf(out->error, sizeof out->error, "generic: http %ld: URL or credentials refused", a->status);
		return;
	}
	out->verdict = PROVIDER_PERMANENT;
	snprintf(out->error, sizeof out->error, "generic: http %ld: rejected", a->status);
}

static int
generic_status_one(
    const struct generic *g, json_t *o, size_t i, struct provider_events *ev, char *error, size_t errorlen)
{
	json_t *id = json_object_get(o, g->status_id_field), *st = json_object_get(o, g->status_field);
	json_t *code = json_object_get(o, "error");
	struct status_event *e;
	const char *s;

	if (!json_is_object(o) || !json_is_string(id) || !json_is_string(st) || json_string_length(id) == 0) {
		snprintf(error, errorlen, "item %zu: needs string members '%s' and '%s'", i, g->status_id_field,
		    g->status_field);
		return -1;
	}
	e = provider_events_add_status(ev);
	domain_provider_id(e->provider_id, json_string_value(id), json_string_length(id));
	s = json_string_value(st);
	if (strcmp(s, "sent") == 0)
		e->status = DELIVERY_SENT;
	else if (strcmp(s, "delivered") == 0)
		e->status = DELIVERY_DELIVERED;
	else if (strcmp(s, "read") == 0)
		e->status = DELIVERY_READ;
	else if (strcmp(s, "failed") == 0 || strcmp(s, "undelivered") == 0 || strcmp(s, "rejected") == 0)
		e->status = DELIVERY_UNDELIVERED;
	else
		e->status = DELIVERY_NONE;
	if (json_is_integer(code))
		snprintf(e->error, sizeof e->error, "%lld", (long long)json_integer_value(code));
	else if (json_is_string(code) && strspn(json_string_value(code), "0123456789") == json_string_length(code))
		snprintf(e->error, sizeof e->error, "%s", json_string_value(code));
	return 0;
}

/*
 * One inbound message: its id, the sender's number (E.164, "00…", or the
 * international digits without a plus that aggregators often send), the
 * text (absent or null: a message without text, such as a picture), and
 * optionally its time (epoch seconds, a number or a string of digits).
 */
static int
generic_inbound_one(
    const struct generic *g, json_t *o, size_t i, struct provider_events *ev, char *error, size_t errorlen)
{
	json_t *id = json_object_get(o, g->inbound_id_field), *from = json_object_get(o, g->inbound_from_field);
	json_t *text = json_object_get(o, g->inbound_text_field), *t = json_object_get(o, g->inbound_time_field);
	char e164[64], number[PHONE_E164_MAX];
	const char *reason, *f;
	struct inbound_event *ie;
	size_t n;

	if (!json_is_object(o) || !json_is_string(id) || json_string_length(id) == 0 || !json_is_string(from)) {
		snprintf(error, errorlen, "item %zu: needs string members '%s' and '%s'", i, g->inbound_id_field,
		    g->inbound_from_field);
		return -1;
	}
	if (text != NULL && !json_is_null(text) && !json_is_string(text)) {
		snprintf(error, errorlen, "item %zu: '%s' must be a string", i, g->inbound_text_field);
		return -1;
	}
	if (json_is_string(text) && memchr(json_string_value(text), '\0', json_string_length(text)) != NULL) {
		snprintf(error, errorlen, "item %zu: '%s' contains a NUL character", i, g->inbound_text_field);
		return -1;
	}
	f = json_string_value(from);
	n = strspn(f, "0123456789");
	if (n >= 11 && f[n] == '\0' && f[0] != '0' && n < sizeof e164 - 1)
		snprintf(e164, sizeof e164, "+%s", f);
	else if (json_string_length(from) < sizeof e164)
		snprintf(e164, sizeof e164, "%s", f);
	else
		e164[0] = '\0';
	if (memchr(f, '\0', json_string_length(from)) != NULL || e164[0] == '\0') {
		snprintf(error, errorlen, "item %zu: '%s': not a phone number", i, g->inbound_from_field);
		return -1;
	}
	if (phone_normalise(e164, number, &reason) != 0) {
		/* The reason is a static description; the number itself never goes into error. */
		snprintf(error, errorlen, "item %zu: '%s': %s", i, g->inbound_from_field, reason);
		return -1;
	}
	ie = provider_events_add_inbound(ev);
	memcpy(ie->from, number, sizeof number);
	domain_provider_id(ie->provider_id, json_string_value(id), json_string_length(id));
	ie->text = xstrdup(json_is_string(text) ? json_string_value(text) : "");
	snprintf(ie->type, sizeof ie->type, "%s", json_is_string(text) ? "text" : "media");
	if (json_is_integer(t) && json_integer_value(t) > 0)
		ie->time_s = (long long)json_integer_value(t);
	else if (json_is_string(t) && json_string_length(t) > 0 && json_string_length(t) < 16 &&
	    strspn(json_string_value(t), "0123456789") == json_string_length(t))
		ie->time_s = strtoll(json_string_value(t), NULL, 10);
	/* Some aggregators give milliseconds: anything past the year 5000 in seconds is taken as such. */
	if (ie->time_s > 100000000000LL)
		ie->time_s /= 1000;
	return 0;
}

static enum provider_webhook_result
generic_webhook(const void *ctx, const struct provider_webhook_request *wr, struct provider_events *ev, char *error,
    size_t errorlen)
{
	const struct generic *g = ctx;
	json_t *root;
	json_error_t jerr;
	const char *near;
	enum provider_webhook_result rc = PROVIDER_WEBHOOK_MALFORMED;
	int (*one)(const struct generic *, json_t *, size_t, struct provider_events *, char *, size_t);

	if (strcmp(wr->route, "") == 0 || strcmp(wr->route, "/status") == 0)
		one = generic_status_one;
	else if (strcmp(wr->route, "/inbound") == 0)
		one = generic_inbound_one;
	else {
		snprintf(error, errorlen, "no such webhook");
		return PROVIDER_WEBHOOK_NOT_FOUND;
	}
	if (strcmp(wr->method, "POST") != 0) {
		snprintf(error, errorlen, "only POST");
		return PROVIDER_WEBHOOK_METHOD;
	}
	if (!provider_media_type_is(wr->content_type, "application/json")) {
		snprintf(error, errorlen, "content type must be application/json");
		return PROVIDER_WEBHOOK_MEDIA_TYPE;
	}
	if (!signature_meta_verify(g->webhook_secret, wr->body, wr->body_len,
		wr->header != NULL ? wr->header(wr->header_arg, "X-Signature") : NULL)) {
		snprintf(error, errorlen, "X-Signature missing or wrong");
		return PROVIDER_WEBHOOK_UNSIGNED;
	}
	if ((root = json_loadb(wr->body, wr->body_len, 0, &jerr)) == NULL) {
		/* jansson quotes the offending token after " near "; that part could be a number or a text. */
		near = strstr(jerr.text, " near ");
		snprintf(error, errorlen, "not JSON: %.*s (line %d, column %d)",
		    near != NULL ? (int)(near - jerr.text) : (int)strlen(jerr.text), jerr.text, jerr.line, jerr.column);
		return PROVIDER_WEBHOOK_MALFORMED;
	}
	if (json_is_array(root)) {
		size_t i;
		json_t *o;

		json_array_foreach(root, i, o) if (one(g, o, i, ev, error, errorlen) != 0) goto out;
	} else if (one(g, root, 0, ev, error, errorlen) != 0)
		goto out;
	rc = PROVIDER_WEBHOOK_OK;
out:
	json_decref(root);
	return rc;
}
