/*
 * Twilio webhooks, as in Twilio's "Messaging webhooks" page: a status
 * callback carries MessageSid, MessageStatus and ErrorCode; an incoming
 * message carries MessageSid, From, To, Body and NumMedia, in a POST form
 * or, when the account chose GET, in the query string. The signature
 * ("Webhooks security") covers the URL and every POST parameter, so the
 * parameters are decoded first and nothing in them is believed before it
 * verifies.
 */
#include "handlers/twilio_webhook.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "gateway/util/xmalloc.h"
#include "handlers/form.h"
#include "handlers/signature.h"

static enum delivery twilio_webhook_status(const char *word);
static bool twilio_webhook_digits(const char *s, size_t maxlen);
static enum provider_webhook_result twilio_webhook_sid(
    const struct form *f, char out[DOMAIN_PROVIDER_ID_MAX], char *err, size_t errlen);
static enum provider_webhook_result twilio_webhook_status_event(
    const struct form *f, struct provider_events *ev, char *err, size_t errlen);
static int twilio_webhook_other_port(const char *url, char *out, size_t outlen);
static enum provider_webhook_result twilio_webhook_inbound_event(
    const struct form *f, struct provider_events *ev, char *err, size_t errlen);

/*
 * The same URL with the scheme's default port written out when it is not,
 * or taken away when it is: Twilio may sign either form, so its own
 * validators accept both (Security, "Validating Requests"). Returns -1 when
 * the URL has another port or does not fit.
 */
static int
twilio_webhook_other_port(const char *url, char *out, size_t outlen)
{
	const char *def, *host, *end, *colon;
	size_t hostlen;
	int n;

	if (strncmp(url, "https://", 8) == 0) {
		def = "443";
		host = url + 8;
	} else if (strncmp(url, "http://", 7) == 0) {
		def = "80";
		host = url + 7;
	} else
		return -1;
	end = host + strcspn(host, "/?#");
	colon = memchr(host, ':', (size_t)(end - host));
	if (colon == NULL) {
		hostlen = (size_t)(end - host);
		n = snprintf(out, outlen, "%.*s%.*s:%s%s", (int)(host - url), url, (int)hostlen, host, def, end);
	} else {
		if ((size_t)(end - colon - 1) != strlen(def) || strncmp(colon + 1, def, strlen(def)) != 0)
			return -1;
		n = snprintf(out, outlen, "%.*s%s", (int)(colon - url), url, end);
	}
	return n > 0 && (size_t)n < outlen ? 0 : -1;
}

/*
 * Twilio's MessageStatus values. An unknown word is acknowledged without
 * recording anything: a 400 would make Twilio retry it forever.
 */
static enum delivery
twilio_webhook_status(const char *word)
{
	static const struct {
		const char *word;
		enum delivery status;
	} map[] = {
		{ "sent", DELIVERY_SENT },
		{ "delivered", DELIVERY_DELIVERED },
		{ "undelivered", DELIVERY_UNDELIVERED },
		{ "failed", DELIVERY_UNDELIVERED },
		{ "canceled", DELIVERY_UNDELIVERED },
		{ "read", DELIVERY_READ },
	};

	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
		if (strcmp(word, map[i].word) == 0)
			return map[i].status;
	return DELIVERY_NONE; /* queued, accepted, scheduled, sending, receiving, received, … */
}

static bool
twilio_webhook_digits(const char *s, size_t maxlen)
{
	size_t n = strspn(s, "0123456789");

	return n > 0 && s[n] == '\0' && n <= maxlen;
}

static enum provider_webhook_result
twilio_webhook_sid(const struct form *f, char out[DOMAIN_PROVIDER_ID_MAX], char *err, size_t errlen)
{
	const struct form_pair *p = form_find(f, "MessageSid");

	if (p == NULL || p->value_len == 0) {
		snprintf(err, errlen, "MessageSid: missing");
		return PROVIDER_WEBHOOK_MALFORMED;
	}
	if (memchr(p->value, '\0', p->value_len) != NULL) {
		snprintf(err, errlen, "MessageSid: not a message sid");
		return PROVIDER_WEBHOOK_MALFORMED;
	}
	domain_provider_id(out, p->value, p->value_len);
	return PROVIDER_WEBHOOK_OK;
}

static enum provider_webhook_result
twilio_webhook_status_event(const struct form *f, struct provider_events *ev, char *err, size_t errlen)
{
	struct status_event *se;
	char sid[sizeof se->provider_id];
	const char *status, *code;
	enum provider_webhook_result r;

	if ((r = twilio_webhook_sid(f, sid, err, errlen)) != PROVIDER_WEBHOOK_OK)
		return r;
	status = form_get(f, "MessageStatus");
	if (status == NULL || *status == '\0') {
		snprintf(err, errlen, "MessageStatus: missing");
		return PROVIDER_WEBHOOK_MALFORMED;
	}
	se = provider_events_add_status(ev);
	memcpy(se->provider_id, sid, sizeof sid);
	se->status = twilio_webhook_status(status);
	code = form_get(f, "ErrorCode");
	/* Anything but a plain number is ignored: the code is for metrics, not worth a retry loop. */
	if (code != NULL && twilio_webhook_digits(code, sizeof se->error - 1))
		snprintf(se->error, sizeof se->error, "%s", code);
	return PROVIDER_WEBHOOK_OK;
}

static enum provider_webhook_result
twilio_webhook_inbound_event(const struct form *f, struct provider_events *ev, char *err, size_t errlen)
{
	struct inbound_event *ie;
	char sid[sizeof ie->provider_id], from[PHONE_E164_MAX];
	const struct form_pair *p, *body;
	const char *reason, *nummedia;
	enum provider_webhook_result r;
	bool media;

	if ((r = twilio_webhook_sid(f, sid, err, errlen)) != PROVIDER_WEBHOOK_OK)
		return r;
	p = form_find(f, "From");
	if (p == NULL || p->value_len == 0) {
		snprintf(err, errlen, "From: missing");
		return PROVIDER_WEBHOOK_MALFORMED;
	}
	if (memchr(p->value, '\0', p->value_len) != NULL) {
		snprintf(err, errlen, "From: unexpected character in phone number");
		return PROVIDER_WEBHOOK_MALFORMED;
	}
	if (phone_normalise(p->value, from, &reason) != 0) {
		/* The reason is a static description; the number itself never goes into err. */
		snprintf(err, errlen, "From: %s", reason);
		return PROVIDER_WEBHOOK_MALFORMED;
	}
	body = form_find(f, "Body");
	if (body != NULL && !utf8_valid(body->value, body->value_len)) {
		snprintf(err, errlen, "Body: not valid UTF-8");
		return PROVIDER_WEBHOOK_MALFORMED;
	}
	if (body != NULL && memchr(body->value, '\0', body->value_len) != NULL) {
		snprintf(err, errlen, "Body: contains a NUL byte");
		return PROVIDER_WEBHOOK_MALFORMED;
	}
	nummedia = form_get(f, "NumMedia");
	media = nummedia != NULL && twilio_webhook_digits(nummedia, 9) && strspn(nummedia, "0") != strlen(nummedia);

	ie = provider_events_add_inbound(ev);
	memcpy(ie->provider_id, sid, sizeof sid);
	memcpy(ie->from, from, sizeof from);
	ie->text = xstrdup(body != NULL ? body->value : "");
	snprintf(ie->type, sizeof ie->type, "%s", media && ie->text[0] == '\0' ? "media" : "text");
	return PROVIDER_WEBHOOK_OK;
}

enum provider_webhook_result
twilio_webhook_parse(const char *auth_token, const struct provider_webhook_request *wr, struct provider_events *ev,
    char *err, size_t errlen)
{
	enum provider_webhook_result r;
	const struct form *signed_params;
	const char *sig, *query;
	char other[2048];
	struct form f, none;
	bool status, get;

	form_init(&f);
	form_init(&none);
	if (wr->route != NULL && strcmp(wr->route, "/status") == 0) {
		status = true;
	} else if (wr->route != NULL && strcmp(wr->route, "/inbound") == 0) {
		status = false;
	} else {
		snprintf(err, errlen, "no such route");
		return PROVIDER_WEBHOOK_NOT_FOUND;
	}
	get = wr->method != NULL && strcmp(wr->method, "GET") == 0;
	if (!get && (wr->method == NULL || strcmp(wr->method, "POST") != 0)) {
		snprintf(err, errlen, "method not allowed: use POST or GET");
		return PROVIDER_WEBHOOK_METHOD;
	}
	if (get) {
		/*
		 * An account may have Twilio call its URLs with GET: the
		 * parameters come in the query string, which the signed URL
		 * already holds, so no parameter is appended to it ("Webhooks
		 * security": POST parameters only). There is no body to type.
		 */
		query = wr->query != NULL ? wr->query : "";
		if (form_parse(&f, query, strlen(query), err, errlen) != 0)
			return PROVIDER_WEBHOOK_MALFORMED;
		signed_params = &none;
	} else {
		if (!provider_media_type_is(wr->content_type, "application/x-www-form-urlencoded")) {
			snprintf(err, errlen, "content type must be application/x-www-form-urlencoded");
			return PROVIDER_WEBHOOK_MEDIA_TYPE;
		}
		if (form_parse(&f, wr->body, wr->body_len, err, errlen) != 0)
			return PROVIDER_WEBHOOK_MALFORMED;
		signed_params = &f;
	}

	sig = wr->header != NULL ? wr->header(wr->header_arg, "X-Twilio-Signature") : NULL;
	if (sig == NULL) {
		snprintf(err, errlen, "X-Twilio-Signature: missing");
		r = PROVIDER_WEBHOOK_UNSIGNED;
		goto out;
	}
	if (!signature_twilio_verify(auth_token, wr->url, signed_params, sig) &&
	    (twilio_webhook_other_port(wr->url, other, sizeof other) != 0 ||
		!signature_twilio_verify(auth_token, other, signed_params, sig))) {
		snprintf(err, errlen, "X-Twilio-Signature: does not match");
		r = PROVIDER_WEBHOOK_UNSIGNED;
		goto out;
	}

	if (status) {
		r = twilio_webhook_status_event(&f, ev, err, errlen);
		if (r == PROVIDER_WEBHOOK_OK) {
			buf_reset(&ev->reply);
			ev->reply_type = NULL;
		}
	} else {
		r = twilio_webhook_inbound_event(&f, ev, err, errlen);
		if (r == PROVIDER_WEBHOOK_OK) {
			buf_reset(&ev->reply);
			buf_puts(&ev->reply, TWILIO_WEBHOOK_EMPTY_TWIML);
			ev->reply_type = "text/xml";
		}
	}
out:
	form_free(&f);
	return r;
}
