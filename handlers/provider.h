/*
 * The provider interface: how a messaging API is configured, turns a
 * message into an HTTP request, has its answer classified, and how its
 * webhooks become status events and inbound messages. Implementations are
 * pure functions over buffers (no sockets, no Redis); gateway/ does the
 * I/O. Adding a provider means one file with a struct provider_ops, listed
 * in handlers/providers.c, and one config section named after it.
 */
#ifndef AMUDDU_PROVIDER_H
#define AMUDDU_PROVIDER_H

#include <stdbool.h>
#include <stddef.h>

#include "gateway/util/buf.h"
#include "gateway/util/domain.h"

#define PROVIDER_TEMPLATE_MAX_PARAMS 10

/* A pre-approved message template (WhatsApp), owned by the provider that was configured with it. */
struct provider_template {
	char *kind, *locale;                        /* what it is for: the key template.<kind>.<locale> */
	char *name, *language;                      /* as the provider knows it */
	char *params[PROVIDER_TEMPLATE_MAX_PARAMS]; /* its body parameters: "text", or names in the message's vars */
	size_t nparams;
};

/* What a provider needs to know of a message. */
struct provider_message {
	const char *id;                           /* producer's id, for providers that take a reference */
	const char *to;                           /* E.164 */
	const char *text;                         /* UTF-8 */
	const char *kind;                         /* training_offer, …, custom */
	const char *locale;                       /* the message's or the contact's locale, or "" */
	const char *vars;                         /* the entry's vars field (a JSON object), or NULL */
	const struct provider_template *template; /* send this template instead of the text, or NULL */
};

#define PROVIDER_MAX_HEADERS 4
/* Room for a provider's message id as read from an answer, before domain_provider_id(). */
#define PROVIDER_ANSWER_ID_MAX 4096

/* An HTTP request, owned by the caller; release with provider_request_free(). */
struct provider_request {
	const char *url; /* the provider's own string, or url_owned */
	char *url_owned; /* set when the URL is built per message */
	struct buf body;
	const char *headers[PROVIDER_MAX_HEADERS]; /* "Name: value", owned by the provider */
	size_t nheaders;
	const char *mode; /* what was built, for logs and metrics: "text", "template" */
};

/* build_request's result besides 0: the message cannot be sent this way; error says why. */
#define PROVIDER_BUILD_ERROR (-1)

enum provider_verdict {
	PROVIDER_ACCEPTED = 0, /* the provider took it; provider_id is set */
	PROVIDER_RETRY,        /* try again after retry_after_ms (0: use backoff) */
	PROVIDER_PERMANENT,    /* will never succeed as it is; error says why */
};

struct provider_result {
	enum provider_verdict verdict;
	char provider_id[DOMAIN_PROVIDER_ID_MAX];
	long retry_after_ms;
	char error[192]; /* "code: text", no personal data */
	bool fallback;   /* PERMANENT because the number cannot use this channel: another may work */
	bool optout;     /* PERMANENT because the person stopped marketing messages from us: record it */
};

/* An HTTP answer as the transport saw it. status 0 means no answer (error says why). */
struct provider_answer {
	long status;
	const char *retry_after; /* Retry-After header value, or NULL */
	const char *body;
	size_t body_len;
	const char *transport_error;
};

/* One configuration key a provider reads from its section. */
struct provider_key {
	const char *name; /* NULL ends a table */
	bool secret;      /* may come from AMUDDU_<SECTION>_<NAME>; never logged */
	bool prefix;      /* name is a prefix: "template." matches "template.event.fr" */
};

/* The key = value pairs of a provider's section, after environment overrides. */
struct provider_setting {
	const char *key;
	const char *value;
};
struct provider_settings {
	const struct provider_setting *v;
	size_t n;
	const char *public_url; /* the gateway's [http] public_url, for callback URLs; or "" */
};

/* What a webhook request looks like to a provider. */
struct provider_webhook_request {
	const char *method;       /* "GET", "POST" */
	const char *route;        /* the path after /webhooks/<provider>: "/status", "/inbound", "" */
	const char *url;          /* public_url + the request URI, as the provider signed it */
	const char *query;        /* the query string without '?', or "" */
	const char *content_type; /* or "" */
	const char *(*header)(void *arg, const char *name); /* a request header's value, or NULL */
	void *header_arg;
	const char *body;
	size_t body_len;
};

enum provider_webhook_result {
	PROVIDER_WEBHOOK_OK = 0,     /* 200; events filled, reply possibly set */
	PROVIDER_WEBHOOK_UNSIGNED,   /* 401: signature missing or wrong */
	PROVIDER_WEBHOOK_FORBIDDEN,  /* 403: e.g. a wrong verify token */
	PROVIDER_WEBHOOK_MALFORMED,  /* 400: error says why */
	PROVIDER_WEBHOOK_NOT_FOUND,  /* 404: no such route */
	PROVIDER_WEBHOOK_METHOD,     /* 405 */
	PROVIDER_WEBHOOK_MEDIA_TYPE, /* 415: wrong content type */
};

/* What one webhook request carried. Owner: the caller; provider_events_free(). */
struct provider_events {
	struct status_event *status;
	size_t nstatus, capstatus;
	struct inbound_event *inbound;
	size_t ninbound, capinbound;
	struct buf reply;       /* the body to answer with (verification challenge, TwiML) */
	const char *reply_type; /* its Content-Type, or NULL for none */
};

struct provider_ops {
	const char *name; /* config section, routes (/webhooks/<name>), metrics and log label */
	enum channel channel;
	const struct provider_key *keys;
	/* Builds the provider from its section. Returns NULL with "key: reason" in err. */
	void *(*create)(const struct provider_settings *s, char *err, size_t errlen);
	void (*destroy)(void *ctx);
	/* Builds the request for m into req: 0, or PROVIDER_BUILD_ERROR with error filled. */
	int (*build_request)(const void *ctx, const struct provider_message *m, struct provider_request *req,
	    char *error, size_t errorlen);
	void (*classify)(const void *ctx, const struct provider_answer *a, struct provider_result *out);
	/*
	 * Verifies and parses a webhook request (NULL when the provider has
	 * none). Returns an enum provider_webhook_result; error says why for
	 * anything but OK, without personal data.
	 */
	enum provider_webhook_result (*webhook)(const void *ctx, const struct provider_webhook_request *wr,
	    struct provider_events *ev, char *error, size_t errorlen);
	/* The template configured for kind in exactly this locale (case aside), or NULL; NULL for none at all. */
	const struct provider_template *(*template_find)(const void *ctx, const char *kind, const char *locale);
	/* The locale whose templates serve when neither a message's locale nor its base language has one. */
	const char *(*template_default_locale)(const void *ctx);
};

void provider_request_init(struct provider_request *req);
void provider_request_free(struct provider_request *req);
/* The longest wait a Retry-After can ask for, in seconds: one day. */
#define PROVIDER_RETRY_AFTER_MAX_S 86400L
/*
 * Parses a Retry-After value (delta-seconds or an HTTP-date, RFC 9110
 * section 10.2.3) relative to now; returns milliseconds, at most
 * PROVIDER_RETRY_AFTER_MAX_S seconds whichever the form, or -1.
 */
long provider_parse_retry_after(const char *value, long long now_s);
/* The shared part of classification: transport errors, 429 and 5xx are retryable. */
int provider_classify_transport(const struct provider_answer *a, struct provider_result *out, long long now_s);

/* Whether content_type is want (case-insensitive), alone or with parameters (RFC 9110, 8.3). */
bool provider_media_type_is(const char *content_type, const char *want);

/* A setting's value, or NULL when the section does not have it. */
const char *provider_settings_get(const struct provider_settings *s, const char *key);

void provider_events_init(struct provider_events *ev);
void provider_events_free(struct provider_events *ev);
/* Appends an event and returns it zeroed, for the parser to fill. */
struct status_event *provider_events_add_status(struct provider_events *ev);
struct inbound_event *provider_events_add_inbound(struct provider_events *ev);

#endif
