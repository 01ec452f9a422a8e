/*
 * WhatsApp Cloud API webhooks ("Webhooks" and "Webhooks components" pages;
 * the WebhookPayload schema of specs/whatsapp-business-messaging-api): a
 * payload is entry[].changes[] and a change whose field is "messages"
 * carries value.statuses[] and/or value.messages[]. Other fields (groups,
 * account updates) are acknowledged and ignored.
 */
#include "handlers/whatsapp_webhook.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/util/xmalloc.h"
#include "handlers/form.h"
#include "handlers/signature.h"
#include "handlers/whatsapp.h"

#define WHATSAPP_WEBHOOK_PATH_MAX 160

static void whatsapp_webhook_path(char *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static const char *whatsapp_webhook_type_name(json_type t);
static enum provider_webhook_result whatsapp_webhook_handshake(const char *verify_token,
    const struct provider_webhook_request *wr, struct provider_events *ev, char *err, size_t errlen);
static enum provider_webhook_result whatsapp_webhook_notification(const char *app_secret,
    const struct provider_webhook_request *wr, struct provider_events *ev, char *err, size_t errlen);
static int whatsapp_webhook_payload(json_t *root, struct provider_events *ev, char *err, size_t errlen);
static int whatsapp_webhook_change(
    json_t *change, const char *path, struct provider_events *ev, char *err, size_t errlen);
static int whatsapp_webhook_status(json_t *st, const char *path, struct provider_events *ev, char *err, size_t errlen);
static int whatsapp_webhook_message(
    json_t *msg, const char *path, struct provider_events *ev, char *err, size_t errlen);
static int whatsapp_webhook_member(json_t *obj, const char *key, json_type type, bool required, const char *path,
    json_t **out, char *err, size_t errlen);
static int whatsapp_webhook_string(
    json_t *obj, const char *key, bool required, const char *path, const char **out, char *err, size_t errlen);
static int whatsapp_webhook_id(
    json_t *obj, const char *path, char out[DOMAIN_PROVIDER_ID_MAX], char *err, size_t errlen);
static int whatsapp_webhook_time(json_t *obj, const char *path, long long *out, char *err, size_t errlen);
static int whatsapp_webhook_reply_title(json_t *msg, const char *path, const char **out, char *err, size_t errlen);
static enum delivery whatsapp_webhook_status_word(const char *word);
static void whatsapp_webhook_rollback(struct provider_events *ev, size_t nstatus, size_t ninbound);

/* A JSON path for error messages into out (WHATSAPP_WEBHOOK_PATH_MAX bytes); a deeper one is cut short. */
static void
whatsapp_webhook_path(char *out, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(out, WHATSAPP_WEBHOOK_PATH_MAX, fmt, ap);
	va_end(ap);
}

static const char *
whatsapp_webhook_type_name(json_type t)
{
	switch (t) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
		return "an integer";
	default:
		return "of the expected type";
	}
}

/*
 * obj[key] into *out when it has type (NULL when absent and not required).
 * Returns -1 with "path.key: reason" in err otherwise.
 */
static int
whatsapp_webhook_member(json_t *obj, const char *key, json_type type, bool required, const char *path, json_t **out,
    char *err, size_t errlen)
{
	json_t *v = json_object_get(obj, key);

	*out = NULL;
	if (v == NULL || json_is_null(v)) {
		if (!required)
			return 0;
		snprintf(err, errlen, "%s%s%s: missing", path, *path != '\0' ? "." : "", key);
		return -1;
	}
	if (json_typeof(v) != type) {
		snprintf(err, errlen, "%s%s%s: not %s", path, *path != '\0' ? "." : "", key,
		    whatsapp_webhook_type_name(type));
		return -1;
	}
	*out = v;
	return 0;
}

static int
whatsapp_webhook_string(
    json_t *obj, const char *key, bool required, const char *path, const char **out, char *err, size_t errlen)
{
	json_t *v;

	if (whatsapp_webhook_member(obj, key, JSON_STRING, required, path, &v, err, errlen) != 0)
		return -1;
	*out = v != NULL ? json_string_value(v) : NULL;
	return 0;
}

/* The required "id" of a status or message, as a provider id. */
static int
whatsapp_webhook_id(json_t *obj, const char *path, char out[DOMAIN_PROVIDER_ID_MAX], char *err, size_t errlen)
{
	const char *id;

	if (whatsapp_webhook_string(obj, "id", true, path, &id, err, errlen) != 0)
		return -1;
	if (*id == '\0') {
		snprintf(err, errlen, "%s.id: empty", path);
		return -1;
	}
	domain_provider_id(out, id, strlen(id));
	return 0;
}

/* "timestamp": epoch seconds as a string (the schema), or an integer; 0 when absent. */
static int
whatsapp_webhook_time(json_t *obj, const char *path, long long *out, char *err, size_t errlen)
{
	json_t *v = json_object_get(obj, "timestamp");
	const char *s;
	size_t n;

	*out = 0;
	if (v == NULL || json_is_null(v))
		return 0;
	if (json_is_integer(v) && json_integer_value(v) >= 0) {
		*out = (long long)json_integer_value(v);
		return 0;
	}
	if (!json_is_string(v)) {
		snprintf(err, errlen, "%s.timestamp: not a string", path);
		return -1;
	}
	s = json_string_value(v);
	n = strspn(s, "0123456789");
	if (n == 0 || s[n] != '\0' || n > 18) {
		snprintf(err, errlen, "%s.timestamp: not epoch seconds", path);
		return -1;
	}
	*out = strtoll(s, NULL, 10);
	return 0;
}

/* Meta's status values; "deleted", "warning" and anything new are acknowledged without recording. */
static enum delivery
whatsapp_webhook_status_word(const char *word)
{
	if (strcmp(word, "sent") == 0)
		return DELIVERY_SENT;
	if (strcmp(word, "delivered") == 0)
		return DELIVERY_DELIVERED;
	if (strcmp(word, "read") == 0)
		return DELIVERY_READ;
	if (strcmp(word, "failed") == 0)
		return DELIVERY_UNDELIVERED;
	return DELIVERY_NONE;
}

static void
whatsapp_webhook_rollback(struct provider_events *ev, size_t nstatus, size_t ninbound)
{
	for (size_t i = ninbound; i < ev->ninbound; i++) {
		free(ev->inbound[i].text);
		ev->inbound[i].text = NULL;
	}
	ev->ninbound = ninbound;
	ev->nstatus = nstatus;
}

static int
whatsapp_webhook_status(json_t *st, const char *path, struct provider_events *ev, char *err, size_t errlen)
{
	struct status_event se;
	json_t *errors, *e0, *code;
	const char *status;
	char sub[WHATSAPP_WEBHOOK_PATH_MAX];

	memset(&se, 0, sizeof se);
	if (!json_is_object(st)) {
		snprintf(err, errlen, "%s: not an object", path);
		return -1;
	}
	if (whatsapp_webhook_id(st, path, se.provider_id, err, errlen) != 0 ||
	    whatsapp_webhook_string(st, "status", true, path, &status, err, errlen) != 0 ||
	    whatsapp_webhook_time(st, path, &se.time_s, err, errlen) != 0 ||
	    whatsapp_webhook_member(st, "errors", JSON_ARRAY, false, path, &errors, err, errlen) != 0)
		return -1;
	se.status = whatsapp_webhook_status_word(status);
	if (errors != NULL && json_array_size(errors) > 0) {
		whatsapp_webhook_path(sub, "%s.errors[0]", path);
		e0 = json_array_get(errors, 0);
		if (!json_is_object(e0)) {
			snprintf(err, errlen, "%s: not an object", sub);
			return -1;
		}
		if (whatsapp_webhook_member(e0, "code", JSON_INTEGER, false, sub, &code, err, errlen) != 0)
			return -1;
		if (code != NULL) {
			snprintf(se.error, sizeof se.error, "%" JSON_INTEGER_FORMAT, json_integer_value(code));
			/* Meta says it in the status of a marketing template that did not go: it goes on the contact. */
			se.optout = json_integer_value(code) == WHATSAPP_CODE_MARKETING_STOPPED;
		}
	}
	*provider_events_add_status(ev) = se;
	return 0;
}

/*
 * What a person answered to a menu: interactive.button_reply.title or
 * interactive.list_reply.title; NULL for other interactive kinds (flows).
 */
static int
whatsapp_webhook_reply_title(json_t *msg, const char *path, const char **out, char *err, size_t errlen)
{
	static const char *const kinds[] = { "button_reply", "list_reply" };
	char sub[WHATSAPP_WEBHOOK_PATH_MAX], sub2[WHATSAPP_WEBHOOK_PATH_MAX];
	json_t *inter, *reply;

	*out = NULL;
	if (whatsapp_webhook_member(msg, "interactive", JSON_OBJECT, false, path, &inter, err, errlen) != 0)
		return -1;
	if (inter == NULL)
		return 0;
	whatsapp_webhook_path(sub, "%s.interactive", path);
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
		if (whatsapp_webhook_member(inter, kinds[i], JSON_OBJECT, false, sub, &reply, err, errlen) != 0)
			return -1;
		if (reply == NULL)
			continue;
		whatsapp_webhook_path(sub2, "%s.%s", sub, kinds[i]);
		return whatsapp_webhook_string(reply, "title", false, sub2, out, err, errlen);
	}
	return 0;
}

static int
whatsapp_webhook_message(json_t *msg, const char *path, struct provider_events *ev, char *err, size_t errlen)
{
	struct inbound_event ie, *dst;
	char sub[WHATSAPP_WEBHOOK_PATH_MAX], e164[PHONE_E164_MAX + 1];
	const char *from, *type, *text = NULL, *reason;
	json_t *part;
	size_t n;

	memset(&ie, 0, sizeof ie);
	if (!json_is_object(msg)) {
		snprintf(err, errlen, "%s: not an object", path);
		return -1;
	}
	if (whatsapp_webhook_string(msg, "from", true, path, &from, err, errlen) != 0 ||
	    whatsapp_webhook_id(msg, path, ie.provider_id, err, errlen) != 0 ||
	    whatsapp_webhook_time(msg, path, &ie.time_s, err, errlen) != 0 ||
	    whatsapp_webhook_string(msg, "type", true, path, &type, err, errlen) != 0)
		return -1;

	/* "from" is the number in international form without the plus. */
	n = strspn(from, "0123456789");
	if (n == 0 || from[n] != '\0' || n > PHONE_E164_MAX - 2) {
		snprintf(err, errlen, "%s.from: not an international number in digits", path);
		return -1;
	}
	e164[0] = '+';
	memcpy(e164 + 1, from, n + 1);
	if (phone_normalise(e164, ie.from, &reason) != 0) {
		snprintf(err, errlen, "%s.from: %s", path, reason);
		return -1;
	}
	if (*type == '\0') {
		snprintf(err, errlen, "%s.type: empty", path);
		return -1;
	}
	/* A type too long for the event is one we have no use for anyway. */
	snprintf(ie.type, sizeof ie.type, "%s", strlen(type) < sizeof ie.type ? type : "unknown");

	if (strcmp(type, "text") == 0) {
		whatsapp_webhook_path(sub, "%s.text", path);
		if (whatsapp_webhook_member(msg, "text", JSON_OBJECT, true, path, &part, err, errlen) != 0 ||
		    whatsapp_webhook_string(part, "body", true, sub, &text, err, errlen) != 0)
			return -1;
	} else if (strcmp(type, "button") == 0) {
		whatsapp_webhook_path(sub, "%s.button", path);
		if (whatsapp_webhook_member(msg, "button", JSON_OBJECT, false, path, &part, err, errlen) != 0 ||
		    (part != NULL && whatsapp_webhook_string(part, "text", false, sub, &text, err, errlen) != 0))
			return -1;
	} else if (strcmp(type, "interactive") == 0) {
		if (whatsapp_webhook_reply_title(msg, path, &text, err, errlen) != 0)
			return -1;
	}
	dst = provider_events_add_inbound(ev);
	*dst = ie;
	dst->text = xstrdup(text != NULL ? text : "");
	return 0;
}

static int
whatsapp_webhook_change(json_t *change, const char *path, struct provider_events *ev, char *err, size_t errlen)
{
	char sub[WHATSAPP_WEBHOOK_PATH_MAX], item[WHATSAPP_WEBHOOK_PATH_MAX];
	json_t *value, *list, *it;
	const char *field;
	size_t i;

	if (!json_is_object(change)) {
		snprintf(err, errlen, "%s: not an object", path);
		return -1;
	}
	if (whatsapp_webhook_string(change, "field", true, path, &field, err, errlen) != 0)
		return -1;
	if (strcmp(field, "messages") != 0)
		return 0;
	if (whatsapp_webhook_member(change, "value", JSON_OBJECT, true, path, &value, err, errlen) != 0)
		return -1;
	whatsapp_webhook_path(sub, "%s.value", path);

	if (whatsapp_webhook_member(value, "statuses", JSON_ARRAY, false, sub, &list, err, errlen) != 0)
		return -1;
	json_array_foreach(list, i, it)
	{
		whatsapp_webhook_path(item, "%s.statuses[%zu]", sub, i);
		if (whatsapp_webhook_status(it, item, ev, err, errlen) != 0)
			return -1;
	}
	if (whatsapp_webhook_member(value, "messages", JSON_ARRAY, false, sub, &list, err, errlen) != 0)
		return -1;
	json_array_foreach(list, i, it)
	{
		whatsapp_webhook_path(item, "%s.messages[%zu]", sub, i);
		if (whatsapp_webhook_message(it, item, ev, err, errlen) != 0)
			return -1;
	}
	return 0;
}

static int
whatsapp_webhook_payload(json_t *root, struct provider_events *ev, char *err, size_t errlen)
{
	char path[WHATSAPP_WEBHOOK_PATH_MAX], cpath[WHATSAPP_WEBHOOK_PATH_MAX];
	json_t *entries, *entry, *changes, *change;
	const char *object;
	size_t i, j;

	if (!json_is_object(root)) {
		snprintf(err, errlen, "body: not a JSON object");
		return -1;
	}
	if (whatsapp_webhook_string(root, "object", true, "", &object, err, errlen) != 0)
		return -1;
	if (strcmp(object, "whatsapp_business_account") != 0) {
		snprintf(err, errlen, "object: not whatsapp_business_account");
		return -1;
	}
	if (whatsapp_webhook_member(root, "entry", JSON_ARRAY, true, "", &entries, err, errlen) != 0)
		return -1;
	json_array_foreach(entries, i, entry)
	{
		whatsapp_webhook_path(path, "entry[%zu]", i);
		if (!json_is_object(entry)) {
			snprintf(err, errlen, "%s: not an object", path);
			return -1;
		}
		if (whatsapp_webhook_member(entry, "changes", JSON_ARRAY, true, path, &changes, err, errlen) != 0)
			return -1;
		json_array_foreach(changes, j, change)
		{
			whatsapp_webhook_path(cpath, "%s.changes[%zu]", path, j);
			if (whatsapp_webhook_change(change, cpath, ev, err, errlen) != 0)
				return -1;
		}
	}
	return 0;
}

/* Meta's "Verification Requests": echo hub.challenge when hub.verify_token is ours. */
static enum provider_webhook_result
whatsapp_webhook_handshake(const char *verify_token, const struct provider_webhook_request *wr,
    struct provider_events *ev, char *err, size_t errlen)
{
	const struct form_pair *token, *challenge;
	enum provider_webhook_result r = PROVIDER_WEBHOOK_MALFORMED;
	const char *mode, *query = wr->query != NULL ? wr->query : "";
	struct form q;

	if (form_parse(&q, query, strlen(query), err, errlen) != 0)
		return PROVIDER_WEBHOOK_MALFORMED;
	mode = form_get(&q, "hub.mode");
	token = form_find(&q, "hub.verify_token");
	challenge = form_find(&q, "hub.challenge");
	if (mode == NULL || strcmp(mode, "subscribe") != 0) {
		snprintf(err, errlen, "hub.mode: %s", mode == NULL ? "missing" : "not subscribe");
		goto out;
	}
	if (token == NULL) {
		snprintf(err, errlen, "hub.verify_token: missing");
		goto out;
	}
	if (challenge == NULL || challenge->value_len == 0) {
		snprintf(err, errlen, "hub.challenge: missing");
		goto out;
	}
	if (verify_token == NULL || *verify_token == '\0' ||
	    !signature_equal(token->value, token->value_len, verify_token, strlen(verify_token))) {
		snprintf(err, errlen, "hub.verify_token: does not match");
		r = PROVIDER_WEBHOOK_FORBIDDEN;
		goto out;
	}
	/* It is echoed into our answer: keep it short and plain. */
	if (challenge->value_len > WHATSAPP_WEBHOOK_CHALLENGE_MAX) {
		snprintf(err, errlen, "hub.challenge: longer than %d bytes", WHATSAPP_WEBHOOK_CHALLENGE_MAX);
		goto out;
	}
	for (size_t i = 0; i < challenge->value_len; i++) {
		unsigned char c = (unsigned char)challenge->value[i];

		if (c < 0x20 || c > 0x7e) {
			snprintf(err, errlen, "hub.challenge: not printable");
			goto out;
		}
	}
	buf_reset(&ev->reply);
	buf_append(&ev->reply, challenge->value, challenge->value_len);
	ev->reply_type = "text/plain";
	r = PROVIDER_WEBHOOK_OK;
out:
	form_free(&q);
	return r;
}

static enum provider_webhook_result
whatsapp_webhook_notification(const char *app_secret, const struct provider_webhook_request *wr,
    struct provider_events *ev, char *err, size_t errlen)
{
	size_t nstatus = ev->nstatus, ninbound = ev->ninbound;
	const char *sig, *near;
	json_error_t jerr;
	json_t *root;
	int rc;

	if (!provider_media_type_is(wr->content_type, "application/json")) {
		snprintf(err, errlen, "content type must be application/json");
		return PROVIDER_WEBHOOK_MEDIA_TYPE;
	}
	sig = wr->header != NULL ? wr->header(wr->header_arg, "X-Hub-Signature-256") : NULL;
	if (sig == NULL) {
		snprintf(err, errlen, "X-Hub-Signature-256: missing");
		return PROVIDER_WEBHOOK_UNSIGNED;
	}
	if (!signature_meta_verify(app_secret, wr->body, wr->body_len, sig)) {
		snprintf(err, errlen, "X-Hub-Signature-256: does not match");
		return PROVIDER_WEBHOOK_UNSIGNED;
	}
	if (!utf8_valid(wr->body != NULL ? wr->body : "", wr->body_len)) {
		snprintf(err, errlen, "body: not valid UTF-8");
		return PROVIDER_WEBHOOK_MALFORMED;
	}
	root = json_loadb(wr->body != NULL ? wr->body : "", wr->body_len, 0, &jerr);
	if (root == NULL) {
		/* jansson quotes the offending token after " near "; that part could be message text. */
		near = strstr(jerr.text, " near ");
		snprintf(err, errlen, "body: invalid JSON at line %d column %d: %.*s", jerr.line, jerr.column,
		    near != NULL ? (int)(near - jerr.text) : (int)strlen(jerr.text), jerr.text);
		return PROVIDER_WEBHOOK_MALFORMED;
	}
	rc = whatsapp_webhook_payload(root, ev, err, errlen);
	json_decref(root);
	if (rc != 0) {
		whatsapp_webhook_rollback(ev, nstatus, ninbound);
		return PROVIDER_WEBHOOK_MALFORMED;
	}
	buf_reset(&ev->reply);
	ev->reply_type = NULL;
	return PROVIDER_WEBHOOK_OK;
}

enum provider_webhook_result
whatsapp_webhook_parse(const char *app_secret, const char *verify_token, const struct provider_webhook_request *wr,
    struct provider_events *ev, char *err, size_t errlen)
{
	if (wr->route != NULL && *wr->route != '\0') {
		snprintf(err, errlen, "no such route");
		return PROVIDER_WEBHOOK_NOT_FOUND;
	}
	if (wr->method != NULL && strcmp(wr->method, "GET") == 0)
		return whatsapp_webhook_handshake(verify_token, wr, ev, err, errlen);
	if (wr->method != NULL && strcmp(wr->method, "POST") == 0)
		return whatsapp_webhook_notification(app_secret, wr, ev, err, errlen);
	snprintf(err, errlen, "method not allowed: use GET or POST");
	return PROVIDER_WEBHOOK_METHOD;
}
