/*
 * The provider interface: how a messaging API turns a message into an HTTP
 * request and how its answer is classified. Implementations are pure
 * functions over buffers (no sockets, no Redis); gateway/dispatch.c does the
 * I/O. Adding a provider means one file implementing struct provider_ops.
 */
#ifndef AMUDDU_PROVIDER_H
#define AMUDDU_PROVIDER_H

#include <stddef.h>

#include "gateway/util/buf.h"

/* What a provider needs to know of a message. */
struct provider_message {
	const char *id;   /* producer's id, for providers that take a reference */
	const char *to;   /* E.164 */
	const char *text; /* UTF-8 */
};

#define PROVIDER_MAX_HEADERS 4

/* An HTTP request, owned by the caller; release with provider_request_free(). */
struct provider_request {
	const char *url; /* the provider's own string, or url_owned */
	char *url_owned; /* set when the URL is built per message */
	struct buf body;
	const char *headers[PROVIDER_MAX_HEADERS]; /* "Name: value", owned by the provider */
	size_t nheaders;
};

enum provider_verdict {
	PROVIDER_ACCEPTED = 0, /* the provider took it; provider_id is set */
	PROVIDER_RETRY,        /* try again after retry_after_ms (0: use backoff) */
	PROVIDER_PERMANENT,    /* will never succeed as it is; error says why */
};

struct provider_result {
	enum provider_verdict verdict;
	char provider_id[96];
	long retry_after_ms;
	char error[192]; /* "code: text", no personal data */
};

/* An HTTP answer as the transport saw it. status 0 means no answer (error says why). */
struct provider_answer {
	long status;
	const char *retry_after; /* Retry-After header value, or NULL */
	const char *body;
	size_t body_len;
	const char *transport_error;
};

struct provider_ops {
	const char *name;
	/* Builds the request for m into req. Returns 0, or -1 with error filled. */
	int (*build_request)(const void *ctx, const struct provider_message *m, struct provider_request *req,
	    char *error, size_t errorlen);
	void (*classify)(const void *ctx, const struct provider_answer *a, struct provider_result *out);
};

void provider_request_init(struct provider_request *req);
void provider_request_free(struct provider_request *req);
/*
 * Parses a Retry-After value (delta-seconds or an HTTP-date, RFC 9110
 * section 10.2.3) relative to now; returns milliseconds, or -1.
 */
long provider_parse_retry_after(const char *value, long long now_s);
/* The shared part of classification: transport errors, 429 and 5xx are retryable. */
int provider_classify_transport(const struct provider_answer *a, struct provider_result *out, long long now_s);

#endif
