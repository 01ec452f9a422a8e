/*
 * Answers to provider requests: sent now, after a delay, or never (held
 * until the client hangs up). Each answer is counted under its HTTP status
 * when it actually leaves, and an accepted message is counted, timed and
 * recorded at that moment too. Owns the requests it defers.
 */
#ifndef AMUDDU_SANDBOX_REPLY_H
#define AMUDDU_SANDBOX_REPLY_H

#include <stddef.h>
#include <stdint.h>

struct event_base;
struct evhttp_request;
struct sandbox_record;
struct sandbox_reply;
struct sandbox_stats;

/* A message the sandbox accepted; the strings belong to the caller. */
struct sandbox_message {
	int64_t receipt_us; /* unix microseconds when the request arrived */
	int64_t client_us;  /* the body's @t= stamp, or -1 */
	uint64_t body_hash;
	const char *sid; /* NUL-terminated */
	const char *to;
	size_t to_len;
	const char *body;
	size_t body_len;
};

/* rec may be NULL. The caller frees the result with sandbox_reply_free(). */
struct sandbox_reply *sandbox_reply_new(
    struct event_base *base, struct sandbox_stats *stats, struct sandbox_record *rec);
/* Call after evhttp_free(), which hands back every deferred request. */
void sandbox_reply_free(struct sandbox_reply *reply);

/*
 * The status line text for code; evhttp's own table lacks some codes
 * (429) that providers use.
 */
const char *sandbox_reply_reason(int code);

/* Sends req's output headers and buffer with code; msg is NULL unless accepted. */
void sandbox_reply_send(
    struct sandbox_reply *reply, struct evhttp_request *req, int code, const struct sandbox_message *msg);
/* The same, ms milliseconds from now, from an event timer; msg is copied. */
void sandbox_reply_later(struct sandbox_reply *reply, struct evhttp_request *req, int code, unsigned int ms,
    const struct sandbox_message *msg);
/* Never answers; the connection stays open until the client closes it. */
void sandbox_reply_never(struct sandbox_reply *reply, struct evhttp_request *req);

#endif
