/*
 * The outbox: claims entries from the lane streams through a consumer
 * group with a bounded window, records every step of each message in one
 * atomic script call, parks delayed and retried messages until due, and
 * reclaims entries left by dead processes. The only code that writes the
 * message lifecycle to Redis. The creator owns struct outbox; outbox_free().
 */
#ifndef AMUDDU_OUTBOX_H
#define AMUDDU_OUTBOX_H

#include <stdbool.h>
#include <stddef.h>

#include <event2/event.h>

#include "queues/message.h"
#include "queues/redis_url.h"

struct outbox;

struct outbox_settings {
	const struct redis_target *target;
	const char *prefix;
	const char *group;
	const char *consumer;
	const char *pseudonym_key;
	int max_inflight; /* messages held at once: claimed and not yet recorded */
	int max_attempts;
	long claim_idle_ms;
	long retry_base_ms;
	long retry_max_ms;
	long msg_ttl_s;
	long long log_maxlen;
	long block_ms;    /* XREADGROUP BLOCK; default 1000 */
	long due_poll_ms; /* scheduled-set poll; default 200 */
	bool contacts;    /* read the contact record at claim time (WhatsApp routing needs it) */
};

struct outbox_handlers {
	/* A message to send now. The gateway calls outbox_record() or outbox_release() on it, once. */
	void (*send)(void *arg, struct message *m);
	/* Whether a channel can carry messages; explains why not in why. */
	bool (*channel_available)(void *arg, enum channel channel, char *why, size_t whylen);
	/* After outbox_stop(): nothing is held any more. */
	void (*drained)(void *arg);
};

enum outbox_outcome {
	OUTBOX_SENT = 0,
	OUTBOX_RETRY,
	OUTBOX_FAILED,
	OUTBOX_SKIPPED, /* not sent by choice: error names why (window_closed) */
};

struct outbox_result {
	enum outbox_outcome outcome;
	const char *channel;     /* "sms", "whatsapp" */
	const char *provider;    /* "twilio", … */
	const char *provider_id; /* for SENT */
	const char *error;       /* for RETRY, FAILED and SKIPPED; no personal data */
	long retry_after_ms;     /* provider's hint for RETRY, 0 for none */
};

struct outbox_stats {
	unsigned long long claimed;
	unsigned long long reclaimed;
	unsigned long long sent;
	unsigned long long retried;
	unsigned long long failed;
	unsigned long long malformed;
	unsigned long long scheduled;
	unsigned long long not_sent; /* duplicate, expired, opted out */
	unsigned long long record_retries;
	size_t held;
};

struct outbox *outbox_new(
    struct event_base *base, const struct outbox_settings *s, const struct outbox_handlers *h, void *arg);
void outbox_start(struct outbox *ob);
/* Stops claiming; what is held is still recorded; handlers->drained follows. */
void outbox_stop(struct outbox *ob);
void outbox_free(struct outbox *ob);
/* Records the outcome of a message handed out by send(); the outbox frees it. */
void outbox_record(struct outbox *ob, struct message *m, const struct outbox_result *r);
/* Gives a message back unrecorded (outcome unknown): it stays pending in Redis. */
void outbox_release(struct outbox *ob, struct message *m);
void outbox_get_stats(const struct outbox *ob, struct outbox_stats *out);
bool outbox_redis_up(const struct outbox *ob);
unsigned long outbox_redis_reconnects(const struct outbox *ob);

#endif
