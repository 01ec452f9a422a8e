/*
 * What the outbox's files share: the outbox and the items it holds. Not a
 * public interface: only queues/outbox*.c include it. outbox.c owns the
 * lifecycle and connections, outbox_read.c reading, reclaiming and leases,
 * outbox_record.c begin and finish, outbox_schedule.c parking, rejecting
 * and the schedule.
 */
#ifndef AMUDDU_OUTBOX_INT_H
#define AMUDDU_OUTBOX_INT_H

#include <stdint.h>
#include <sys/queue.h>

#include "gateway/util/strset.h"
#include "queues/outbox.h"
#include "queues/redis_conn.h"
#include "queues/script_call.h"

/* Outcomes written by one finish call at most. */
#define OUTBOX_FINISH_BATCH 256
/* Entries renewed by one lease call at most. */
#define OUTBOX_LEASE_BATCH 1000

enum outbox_phase {
	OUTBOX_PHASE_CLAIMED = 0, /* read: being begun, parked or rejected */
	OUTBOX_PHASE_READY,       /* begun and handed to the gateway */
	OUTBOX_PHASE_RECORDING,   /* its outcome is being written */
};

/* The longest reason an outcome records, with its NUL. */
#define OUTBOX_ERROR_MAX 320

struct outbox_item {
	struct message msg; /* first: the gateway's pointer is ours */
	struct outbox *ob;
	char held_key[64]; /* "<lane>/<entry>" */
	enum outbox_phase phase;
	long long claimed_ms; /* monotonic: when the read that gave it was sent */
	long long lease_ms;   /* monotonic: when the latest read or renewal that covered it was sent */
	bool lost;            /* a renewal found it is no longer this consumer's */
	bool gone;            /* a renewal found its entry deleted from the stream: it cannot be renewed */
	bool alone;           /* record it in a call of its own (its batch failed) */
	bool contact;         /* begin reads its contact record */
	bool poisoned;        /* it cannot be recorded: dead-letter it */
	/* The outcome, as the finish script takes it. */
	enum outcome outcome;
	const char *channel, *provider;
	/* Made when the outcome is known (NULL before): an item waiting to be sent carries neither. */
	char *provider_id; /* at most DOMAIN_PROVIDER_ID_MAX - 1 bytes */
	char *pkey;
	char *error; /* at most OUTBOX_ERROR_MAX - 1 bytes */
	char optout[48];
	char attempt_s[16], due_s[24];
	TAILQ_ENTRY(outbox_item) queue; /* to_record or unrecorded */
	TAILQ_ENTRY(outbox_item) held;  /* every item this process holds */
};
TAILQ_HEAD(outbox_item_list, outbox_item);
struct outbox_lost_call;
TAILQ_HEAD(outbox_lost_call_list, outbox_lost_call);

struct outbox {
	struct event_base *base;
	struct outbox_settings s;
	struct outbox_handlers h;
	void *arg;
	char *prefix, *group, *consumer;
	struct phone_key *pseudonyms; /* [gateway] pseudonym_key, made ready */
	struct script_common sc;
	char *keys[LANE_COUNT];
	char history_cursor[LANE_COUNT][48];
	bool history[LANE_COUNT];
	char claim_cursor[LANE_COUNT][48];
	struct redis_conn *cmd, *reader;
	bool groups_ready;
	bool groups_failed; /* a group of this round could not be created: the round is tried again */
	bool groups_warned; /* and that was logged */
	int groups_pending;
	bool read_outstanding;
	bool due_outstanding;
	int leases_outstanding; /* lease calls of the current round not yet answered */
	bool lease_wanted;      /* a message waits for a renewal */
	long renew_ms;
	bool stopping;
	bool freeing;
	bool drained_sent;
	size_t held;
	struct strset held_ids; /* held_key -> item */
	struct outbox_item_list held_list;
	struct outbox_item_list unrecorded;
	struct outbox_item_list to_record;       /* outcomes waiting for the next finish batch */
	struct outbox_lost_call_list lost_retry; /* deleted entries Redis did not take yet */
	int lost_outstanding;                    /* lost calls not yet answered */
	size_t nto_record;
	struct event *flush_ev;
	struct event *reclaim_ev, *due_ev, *read_retry_ev, *replay_ev, *lease_ev, *groups_ev;
	uint64_t rng;
	struct outbox_stats stats;
};

/* outbox.c */
long long outbox_now_ms(void);
long long outbox_mono_ms(void);
uint64_t outbox_random(struct outbox *ob);
/* Whether r is no reply or an error (logged with what). */
bool outbox_reply_failed(const redisReply *r, const char *what);
/* Lets go of an item: no longer held, freed; claims more when there is room. */
void outbox_item_release(struct outbox_item *it);
void outbox_check_drained(struct outbox *ob);
/* Arms a one-shot or persistent timer for ms. */
void outbox_timer(struct event *ev, long ms);
/* A script call with the outbox's common arguments. */
struct script_call *outbox_call(struct outbox *ob, enum scripts_id id);
/* Creates the consumer group on every lane (again); reading starts when all exist. */
void outbox_create_groups(struct outbox *ob);

/* outbox_read.c */
void outbox_read_more(struct outbox *ob);
void outbox_read_history(struct outbox *ob);
void outbox_read_retry_cb(evutil_socket_t fd, short what, void *arg);
void outbox_reclaim_cb(evutil_socket_t fd, short what, void *arg);
void outbox_lease_cb(evutil_socket_t fd, short what, void *arg);

/* outbox_record.c */
void outbox_begin(struct outbox *ob, struct outbox_item **items, size_t n);
void outbox_flush_cb(evutil_socket_t fd, short what, void *arg);
void outbox_replay_cb(evutil_socket_t fd, short what, void *arg);
/* Dead-letters an item Redis cannot record, on its own; reason says why. */
void outbox_poison(struct outbox_item *it, const char *reason, size_t len);
/* Whether a script's reply (or one item's error in it) means "try again later" rather than "this item is bad". */
bool outbox_transient(const redisReply *r);

/* outbox_schedule.c */
void outbox_schedule(struct outbox_item *it, long long due_ms);
void outbox_reject(struct outbox_item *it);
/* Ends the messages of pending entries that were deleted from lane's stream. */
void outbox_lost(struct outbox *ob, enum lane lane, const char *const *entries, size_t n);
/* Sends again what outbox_lost() could not record (Redis away). */
void outbox_lost_retry(struct outbox *ob);
/* Frees what outbox_lost() still keeps (the outbox is freed). */
void outbox_lost_forget(struct outbox *ob);
void outbox_due_cb(evutil_socket_t fd, short what, void *arg);
/* The entry's fields as a script takes them (the first MESSAGE_MAX_FIELDS), plus a derived id. */
void outbox_call_fields(struct script_call *c, const struct message *m);
size_t outbox_fields_count(const struct message *m);

#endif
