/*
 * The outbox: claims entries from the lane streams through a consumer
 * group with a bounded window, keeps this process's claims fresh while
 * their messages wait, records every step of each message in one atomic
 * script call, parks delayed and retried messages until due, and takes
 * over entries left by dead processes. The only code that writes the
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
	/* Another process takes over an entry idle this long; this process keeps its own fresher. */
	long claim_idle_ms;
	/* The longest a message can take once it is started (connect + request timeouts). */
	long attempt_ms;
	long retry_base_ms;
	long retry_max_ms;
	long msg_ttl_s;
	long long log_maxlen;
	const char *noreceipt; /* providers that send no delivery receipts, space-separated: reach counts a send */
	long block_ms;        /* XREADGROUP BLOCK; default 1000 */
	long due_poll_ms;     /* scheduled-set poll; default 200 */
	bool contacts;        /* read the contact record when a message is begun (routing needs it) */
	bool require_consent; /* read it for bulk messages too: [gateway] require_consent */
};

struct outbox_handlers {
	/* A begun message to send. The gateway calls outbox_record() or outbox_release() on it, once. */
	void (*send)(void *arg, struct message *m);
	/* Claims were renewed: messages that waited for outbox_lease() may go now. */
	void (*leases)(void *arg);
	/* After outbox_stop(): nothing is held any more. */
	void (*drained)(void *arg);
};

struct outbox_result {
	enum outcome outcome;    /* SENT, RETRY, FAILED, SKIPPED, EXPIRED or DEFERRED */
	enum channel channel;    /* the channel that carried it, or was to; AUTO when none was chosen */
	const char *provider;    /* "twilio", …, or NULL */
	const char *provider_id; /* for SENT */
	const char *error;       /* why, for all but SENT; no personal data */
	long retry_after_ms;     /* for RETRY: the least delay (a provider's hint), 0 for the backoff */
	long long due_ms;        /* for DEFERRED: when it may go (epoch ms) */
	const char *optout;      /* the person stopped marketing messages (source, e.g. "whatsapp 131050"), or NULL */
};

/* Whether a message may start now without another process taking it over meanwhile. */
enum outbox_lease {
	OUTBOX_LEASE_OK = 0,
	OUTBOX_LEASE_STALE, /* not sure now: a renewal is on its way (handlers->leases follows) */
	OUTBOX_LEASE_LOST,  /* another process has it: let it go with outbox_release() */
};

struct outbox_stats {
	unsigned long long claimed;
	unsigned long long reclaimed;
	unsigned long long sent;
	unsigned long long retried;
	unsigned long long failed;
	unsigned long long malformed;
	unsigned long long scheduled;
	unsigned long long not_sent; /* duplicate, expired, opted out, window closed */
	unsigned long long record_retries;
	unsigned long long lease_lost; /* let go unsent: another process had taken them over */
	unsigned long long poison;     /* dead-lettered because Redis could not record them */
	unsigned long long trimmed;    /* pending entries deleted from their stream by a producer */
	unsigned long long deferred;   /* held back by a rule (quiet hours) and parked until it allows */
	size_t held;
};

struct outbox *outbox_new(
    struct event_base *base, const struct outbox_settings *s, const struct outbox_handlers *h, void *arg);
void outbox_start(struct outbox *ob);
/* Stops claiming; what is held is still recorded; handlers->drained follows. */
void outbox_stop(struct outbox *ob);
void outbox_free(struct outbox *ob);
/* Checks, just before a message is sent, that this process still has it for long enough. */
enum outbox_lease outbox_lease(struct outbox *ob, struct message *m);
/* Records the outcome of a message handed out by send(); the outbox frees it. */
void outbox_record(struct outbox *ob, struct message *m, const struct outbox_result *r);
/* Gives a message back unrecorded (outcome unknown, or lease lost): it stays pending in Redis. */
void outbox_release(struct outbox *ob, struct message *m);
void outbox_get_stats(const struct outbox *ob, struct outbox_stats *out);
bool outbox_redis_up(const struct outbox *ob);
unsigned long outbox_redis_reconnects(const struct outbox *ob);

#endif
