/*
 * Answers to provider requests: sent now, after a delay, or never (held
 * until the client hangs up). Each answer is counted under its HTTP status
 * when it actually leaves, and an accepted message is counted, timed and
 * recorded at that moment too; a message's hook hears when its answer has
 * been written. Owns the requests it defers.
 */
#ifndef AMUDDU_SANDBOX_REPLY_H
#define AMUDDU_SANDBOX_REPLY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sandbox_stats.h"

struct event_base;
struct evhttp_request;
struct sandbox_record;
struct sandbox_reply;
struct sandbox_reply_pending;

/*
 * Told once what became of an accepted message's answer: answered is true
 * when it was written to the client, false when the client went away
 * first. The hook belongs to whoever set it and must outlive the call.
 */
struct sandbox_reply_hook {
	void (*fn)(struct sandbox_reply_hook *hook, bool answered);
	void *arg;
};

/* A message the sandbox accepted; the strings belong to the caller. */
struct sandbox_message {
	enum sandbox_channel channel;
	int64_t receipt_us; /* unix microseconds when the request arrived */
	int64_t client_us;  /* the body's @t= stamp, or -1 */
	uint64_t body_hash;
	const char *sid; /* NUL-terminated */
	const char *to;
	size_t to_len;
	const char *body;
	size_t body_len;
	struct sandbox_reply_hook *hook; /* NULL: nobody wants to know */
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
/*
 * Holds the answer until sandbox_reply_release(); msg is copied. If the
 * client hangs up first, msg's hook is told (answered false) and the
 * returned handle is gone: the hook's owner must forget it then.
 */
struct sandbox_reply_pending *sandbox_reply_hold(
    struct sandbox_reply *reply, struct evhttp_request *req, int code, const struct sandbox_message *msg);
/* Sends a held answer now and frees the handle. */
void sandbox_reply_release(struct sandbox_reply_pending *p);

#endif
