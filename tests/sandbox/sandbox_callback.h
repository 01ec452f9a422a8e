/*
 * Status callbacks, as providers send them after accepting a message:
 * Twilio's signed form to the request's StatusCallback URL, Meta's signed
 * webhook JSON to the app's webhook. Which statuses, in which order and how
 * far apart comes from the configuration or a [[cb:SEQ]] marker in the
 * message. Also signs and posts the inbound messages of sandbox_inbound.c.
 * Owns its settings, the HTTP client and every callback chain;
 * sandbox_callback_free().
 */
#ifndef AMUDDU_SANDBOX_CALLBACK_H
#define AMUDDU_SANDBOX_CALLBACK_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "sandbox_client.h"

struct event_base;
struct evbuffer;
struct evhttp_request;
struct sandbox_callback;
struct sandbox_callback_chain;
struct sandbox_message;
struct sandbox_reply;
struct sandbox_stats;

#define SANDBOX_CALLBACK_MAX_STEPS 16
#define SANDBOX_CALLBACK_URL_MAX 1024

enum sandbox_callback_status {
	SANDBOX_CALLBACK_QUEUED,
	SANDBOX_CALLBACK_SENDING,
	SANDBOX_CALLBACK_SENT,
	SANDBOX_CALLBACK_DELIVERED,
	SANDBOX_CALLBACK_UNDELIVERED,
	SANDBOX_CALLBACK_FAILED,
	SANDBOX_CALLBACK_READ,
};

/* One status callback: a status and, for failed and undelivered, an error code (0: the default). */
struct sandbox_callback_step {
	enum sandbox_callback_status status;
	unsigned int code;
};

/* "[early:]STATUS[=CODE],..." or "none". */
struct sandbox_callback_seq {
	bool early; /* sent, and answered, before the send request is */
	unsigned int n;
	struct sandbox_callback_step steps[SANDBOX_CALLBACK_MAX_STEPS];
};

/* Plain arrays, so that a copy can be changed and checked before it replaces the running one. */
struct sandbox_callback_config {
	struct sandbox_callback_seq seq; /* "callbacks": after each accepted message */
	unsigned int delay_ms;           /* "callback_delay_ms": between two callbacks of one message */
	struct sandbox_client_config client;
	char wa_webhook[SANDBOX_CALLBACK_URL_MAX];
	char wa_app_secret[256];
	char wa_business_account_id[64];
	char wa_display_phone_number[32];
	char twilio_inbound[SANDBOX_CALLBACK_URL_MAX];
	char twilio_status_callback[SANDBOX_CALLBACK_URL_MAX]; /* when a request names none */
	char generic_inbound[SANDBOX_CALLBACK_URL_MAX];        /* a local aggregator's inbound webhook */
	char generic_secret[256];                              /* its X-Signature key */
};

enum sandbox_callback_signature {
	SANDBOX_CALLBACK_SIGN_VALID,
	SANDBOX_CALLBACK_SIGN_INVALID, /* a well-formed signature of other data */
	SANDBOX_CALLBACK_SIGN_MISSING,
};

/* What a Twilio status callback says about the message; strings NUL-terminated unless a length is given. */
struct sandbox_callback_twilio_message {
	const char *sid;
	const char *account;
	size_t account_len;
	const char *from;    /* NULL when sent through a Messaging Service */
	const char *service; /* NULL when sent from a number */
	const char *to;
	const char *status_callback; /* the request's StatusCallback, or NULL */
};

struct sandbox_callback_whatsapp_message {
	const char *wamid;
	const char *recipient;       /* wa_id: digits only */
	const char *phone_number_id; /* from the request path */
	const char *category;        /* the pricing category: "service" for text, "utility" for templates */
	const char *biz_opaque;      /* the request's biz_opaque_callback_data, or NULL */
};

void sandbox_callback_config_init(struct sandbox_callback_config *config);
/*
 * Sets one setting by name: callbacks, callback_delay_ms, callback_retries,
 * callback_retry_ms, callback_timeout_ms, callback_connections,
 * callback_queue, callback_header, wa_webhook, wa_app_secret,
 * wa_business_account_id, wa_display_phone_number, twilio_inbound,
 * twilio_status_callback. Returns 0, -1 with *why for a bad value, or 1
 * when the name is none of these.
 */
int sandbox_callback_config_set(struct sandbox_callback_config *config, const char *key, const char *value,
    const char **why) __attribute__((warn_unused_result));
/* Appends ,"key":value for every setting but the secret. */
void sandbox_callback_config_write_json(const struct sandbox_callback_config *config, struct evbuffer *out);
/* Parses s[0..len) as a sequence; on failure *why says what is wrong. */
int sandbox_callback_seq_parse(const char *s, size_t len, struct sandbox_callback_seq *seq, const char **why)
    __attribute__((warn_unused_result));

/*
 * account_sid and auth_token (either may be NULL) are Twilio's: the
 * AccountSid of inbound messages and the key of X-Twilio-Signature.
 */
struct sandbox_callback *sandbox_callback_new(struct event_base *base, struct sandbox_stats *stats,
    struct sandbox_reply *reply, const struct sandbox_callback_config *config, const char *account_sid,
    const char *auth_token);
/* Call after sandbox_reply_free(). */
void sandbox_callback_free(struct sandbox_callback *cb);
const struct sandbox_callback_config *sandbox_callback_get_config(const struct sandbox_callback *cb);
void sandbox_callback_set_config(struct sandbox_callback *cb, const struct sandbox_callback_config *config);
/* The AccountSid inbound messages carry. */
const char *sandbox_callback_account_sid(const struct sandbox_callback *cb);

/*
 * The callbacks due for an accepted message whose body (Twilio's Body, or
 * the raw WhatsApp JSON) is body[0..len): from a [[cb:SEQ]] marker, else
 * the configured sequence. NULL when none are due or there is nowhere to
 * send them. Everything is copied.
 */
struct sandbox_callback_chain *sandbox_callback_twilio(
    struct sandbox_callback *cb, const struct sandbox_callback_twilio_message *m, const char *body, size_t len);
struct sandbox_callback_chain *sandbox_callback_whatsapp(
    struct sandbox_callback *cb, const struct sandbox_callback_whatsapp_message *m, const char *body, size_t len);
/*
 * Answers an accepted message's request with code and msg, at once or
 * after delay_ms, and takes chain (may be NULL): its callbacks start once
 * the answer is written, or, for an early chain, go first and the answer
 * waits until the webhook has answered the last of them. Sets msg->hook.
 */
void sandbox_callback_answer(struct sandbox_callback *cb, struct sandbox_callback_chain *chain,
    struct evhttp_request *req, int code, unsigned int delay_ms, struct sandbox_message *msg);

/*
 * Posts Twilio's form (params sorted and signed over url) or Meta's JSON
 * payload to the app's webhook (signed over the exact bytes sent). The
 * caller has counted them as queued. -1 (with *why) when there is no
 * webhook to post to.
 */
void sandbox_callback_post_twilio(struct sandbox_callback *cb, const char *url, const char *const *params,
    size_t nparams, enum sandbox_callback_signature sign, sandbox_client_done_fn *done, void *arg);
/*
 * POSTs payload (a JSON object or array) to the generic inbound webhook as
 * a local aggregator would, signed X-Signature: sha256=<hex HMAC-SHA256>.
 * -1 with why when no such webhook is set.
 */
int sandbox_callback_post_generic(
    struct sandbox_callback *cb, json_t *payload, enum sandbox_callback_signature sign, const char **why);
int sandbox_callback_post_meta(struct sandbox_callback *cb, json_t *payload, enum sandbox_callback_signature sign,
    sandbox_client_done_fn *done, void *arg, const char **why) __attribute__((warn_unused_result));

#endif
