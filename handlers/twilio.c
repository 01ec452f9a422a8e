/*
 * Twilio Messages API (2010-04-01): POST form-encoded To, From or
 * MessagingServiceSid, Body and StatusCallback to
 * {base}/2010-04-01/Accounts/{AccountSid}/Messages.json with HTTP Basic
 * auth; a 201 carries the Message resource whose "sid" identifies it.
 * Twilio's error messages can quote the phone number, so only the numeric
 * error code is kept.
 */
#include "handlers/twilio.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gateway/util/xmalloc.h"
#include "handlers/json_scan.h"
#include "handlers/twilio_webhook.h"

static int twilio_build_request(
    const void *ctx, const struct provider_message *m, struct provider_request *req, char *error, size_t errorlen);
static void twilio_classify(const void *ctx, const struct provider_answer *a, struct provider_result *out);
static void *twilio_create(const struct provider_settings *s, char *err, size_t errlen);
static void twilio_destroy(void *ctx);
static enum provider_webhook_result twilio_webhook(const void *ctx, const struct provider_webhook_request *wr,
    struct provider_events *ev, char *error, size_t errorlen);

static const struct provider_key twilio_keys[] = {
	{ "base_url", false, false },
	{ "rate", false, false }, /* messages per second across the gateway processes (gateway/), 0 for none */
	{ "receipts", false, false }, /* yes (default) or no: whether delivery receipts come (gateway/, the reach counts) */
	{ "account_sid", true, false },
	{ "auth_token", true, false },
	{ "from", false, false },
	{ "messaging_service_sid", false, false },
	{ "status_callback", false, false },
	{ NULL, false, false },
};

const struct provider_ops twilio_ops = {
	.name = "twilio",
	.channel = CHANNEL_SMS,
	.keys = twilio_keys,
	.create = twilio_create,
	.destroy = twilio_destroy,
	.build_request = twilio_build_request,
	.classify = twilio_classify,
	.webhook = twilio_webhook,
};

static const char twilio_form_header[] = "Content-Type: application/x-www-form-urlencoded";

struct twilio *
twilio_new(const char *base_url, const char *account_sid, const char *auth_token, const char *from,
    const char *messaging_service_sid, const char *status_callback)
{
	struct twilio *t = xcalloc(1, sizeof *t);
	char *cred;
	unsigned char *b64;
	size_t len, blen;

	t->base_url = xstrdup(base_url);
	len = strlen(t->base_url);
	while (len > 0 && t->base_url[len - 1] == '/')
		t->base_url[--len] = '\0';
	t->account_sid = xstrdup(account_sid);
	t->from = from != NULL && *from != '\0' ? xstrdup(from) : NULL;
	t->messaging_service_sid =
	    messaging_service_sid != NULL && *messaging_service_sid != '\0' ? xstrdup(messaging_service_sid) : NULL;
	t->status_callback = status_callback != NULL && *status_callback != '\0' ? xstrdup(status_callback) : NULL;
	t->messages_url = xasprintf("%s/2010-04-01/Accounts/%s/Messages.json", t->base_url, account_sid);

	cred = xasprintf("%s:%s", account_sid, auth_token);
	len = strlen(cred);
	blen = 4 * ((len + 2) / 3) + 1;
	b64 = xmalloc(blen);
	EVP_EncodeBlock(b64, (const unsigned char *)cred, (int)len);
	t->auth_header = xasprintf("Authorization: Basic %s", (char *)b64);
	t->auth_token = xstrdup(auth_token);
	explicit_bzero(cred, len);
	explicit_bzero(b64, blen);
	free(cred);
	free(b64);
	return t;
}

void
twilio_free(struct twilio *t)
{
	if (t == NULL)
		return;
	free(t->base_url);
	free(t->account_sid);
	free(t->from);
	free(t->messaging_service_sid);
	free(t->status_callback);
	free(t->messages_url);
	if (t->auth_header != NULL) {
		explicit_bzero(t->auth_header, strlen(t->auth_header));
		free(t->auth_header);
	}
	if (t->auth_token != NULL) {
		explicit_bzero(t->auth_token, strlen(t->auth_token));
		free(t->auth_token);
	}
	free(t);
}

/*
 * Without a status_callback key, callbacks go to the gateway's own webhook
 * under [http] public_url; an empty status_callback asks for none.
 */
static void *
twilio_create(const struct provider_settings *s, char *err, size_t errlen)
{
	const char *base = provider_settings_get(s, "base_url"), *sid = provider_settings_get(s, "account_sid");
	const char *token = provider_settings_get(s, "auth_token"), *from = provider_settings_get(s, "from");
	const char *mss = provider_settings_get(s, "messaging_service_sid");
	const char *cb = provider_settings_get(s, "status_callback");
	char *derived = NULL;
	struct twilio *t;

	if (base == NULL)
		base = "https://api.twilio.com";
	if (sid == NULL || *sid == '\0' || token == NULL || *token == '\0') {
		snprintf(err, errlen, "needs both account_sid and auth_token (or AMUDDU_TWILIO_AUTH_TOKEN)");
		return NULL;
	}
	if ((from == NULL || *from == '\0') && (mss == NULL || *mss == '\0')) {
		snprintf(err, errlen, "needs from or messaging_service_sid");
		return NULL;
	}
	if (strncmp(base, "http://", 7) != 0 && strncmp(base, "https://", 8) != 0) {
		snprintf(err, errlen, "base_url must be an http:// or https:// URL");
		return NULL;
	}
	if (cb == NULL && s->public_url != NULL && *s->public_url != '\0')
		cb = derived = xasprintf("%s/webhooks/twilio/status", s->public_url);
	t = twilio_new(base, sid, token, from, mss, cb);
	free(derived);
	return t;
}

static void
twilio_destroy(void *ctx)
{
	twilio_free(ctx);
}

static enum provider_webhook_result
twilio_webhook(const void *ctx, const struct provider_webhook_request *wr, struct provider_events *ev, char *error,
    size_t errorlen)
{
	const struct twilio *t = ctx;

	return twilio_webhook_parse(t->auth_token, wr, ev, error, errorlen);
}

static int
twilio_build_request(
    const void *ctx, const struct provider_message *m, struct provider_request *req, char *error, size_t errorlen)
{
	const struct twilio *t = ctx;

	if (t->from == NULL && t->messaging_service_sid == NULL) {
		snprintf(error, errorlen, "twilio: neither from nor messaging_service_sid is configured");
		return -1;
	}
	req->url = t->messages_url;
	buf_add_form_field(&req->body, "To", m->to);
	/* MessagingServiceSid wins when both are set: Twilio picks the sender from the pool. */
	if (t->messaging_service_sid != NULL)
		buf_add_form_field(&req->body, "MessagingServiceSid", t->messaging_service_sid);
	else
		buf_add_form_field(&req->body, "From", t->from);
	buf_add_form_field(&req->body, "Body", m->text);
	if (t->status_callback != NULL)
		buf_add_form_field(&req->body, "StatusCallback", t->status_callback);
	req->headers[0] = t->auth_header;
	req->headers[1] = twilio_form_header;
	req->nheaders = 2;
	return 0;
}

static void
twilio_classify(const void *ctx, const struct provider_answer *a, struct provider_result *out)
{
	char sid[PROVIDER_ANSWER_ID_MAX], code[24];

	(void)ctx;
	if (provider_classify_transport(a, out, (long long)time(NULL)))
		return;
	if (a->status >= 200 && a->status < 300) {
		if (json_scan_member(a->body, a->body_len, "sid", sid, sizeof sid) != JSON_SCAN_FOUND ||
		    strlen(sid) < 3) {
			/* The outcome is unknown: resending is the at-least-once choice. */
			out->verdict = PROVIDER_RETRY;
			snprintf(out->error, sizeof out->error, "http %ld: answer without a message sid", a->status);
		} else {
			out->verdict = PROVIDER_ACCEPTED;
			domain_provider_id(out->provider_id, sid, strlen(sid));
		}
		return;
	}
	if (json_scan_member(a->body, a->body_len, "code", code, sizeof code) != JSON_SCAN_FOUND || code[0] == '-')
		code[0] = '\0';
	if (a->status == 401 || a->status == 403 || a->status == 404) {
		/*
		 * Credentials and the account SID in the URL are configuration,
		 * not the message's fault: keep the message for later.
		 */
		out->verdict = PROVIDER_RETRY;
		snprintf(out->error, sizeof out->error, "twilio %s: http %ld: account or credentials refused",
		    code[0] != '\0' ? code : "0", a->status);
		return;
	}
	out->verdict = PROVIDER_PERMANENT;
	if (code[0] != '\0')
		snprintf(out->error, sizeof out->error, "twilio %s: http %ld", code, a->status);
	else
		snprintf(out->error, sizeof out->error, "http %ld: rejected", a->status);
}
