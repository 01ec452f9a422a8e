/*
 * The Lua scripts that record each step of a message's life in one atomic
 * Redis call, and the layout of their arguments. Each layout is written
 * once, below, as a list of names: C fills arguments by those names
 * (enum scripts_<script>_<arg>) and the Lua text that unpacks them is
 * generated from the same list, so the two cannot drift apart. The same
 * goes for the vocabulary (state and outcome names from domain.h) and the
 * result codes. docs/redis.md describes the keys the scripts write.
 */
#ifndef AMUDDU_SCRIPTS_H
#define AMUDDU_SCRIPTS_H

#include <stddef.h>

enum scripts_id {
	SCRIPTS_BEGIN = 0, /* an attempt starts: dedup, attempt count, the facts routing needs */
	SCRIPTS_FINISH,    /* an attempt's outcome: sent, retry_wait, failed, skipped, expired */
	SCRIPTS_SCHEDULE,  /* not_before in the future: park until due */
	SCRIPTS_REJECT,    /* malformed entry: dead-letter */
	SCRIPTS_POISON,    /* a message whose recording fails on its own: dead-letter it apart */
	SCRIPTS_DUE,       /* move due parked messages back into their lane */
	SCRIPTS_LEASE,     /* keep this consumer's claims fresh; say which it has lost */
	SCRIPTS_LOST,      /* pending entries deleted from their stream: end their messages */
	SCRIPTS_STATUS,    /* provider status callbacks: delivered, read, undelivered */
	SCRIPTS_INBOUND,   /* inbound messages: dedup, contact, WhatsApp window, inbox */
	SCRIPTS_COUNT,
};

/*
 * Arguments every script takes first: the key prefix (P), the consumer
 * group (G), this consumer's name (C), the time in epoch ms (nows), its local
 * date (DAY, "YYYYMMDD": the day the reach counters count an event on) and
 * the delivery log's approximate maximum length (maxlen, 0: keep all).
 */
#define SCRIPTS_COMMON(X) X(P) X(G) X(C) X(nows) X(DAY) X(maxlen)

/*
 * Per script: the arguments that follow the common ones once ("head"),
 * then, for batch scripts, a count and that many items of the "item"
 * layout. An item whose layout ends in nf is followed by nf more values
 * (an entry's fields).
 */
/* clang-format off */
#define SCRIPTS_BEGIN_HEAD(X) X(ttl)
#define SCRIPTS_BEGIN_ITEM(X) \
	X(lane) X(entry) X(id) X(kid) X(person) X(campaign) X(ckey) X(kind) X(contact)
#define SCRIPTS_FINISH_HEAD(X) X(ttl) X(noreceipt)
#define SCRIPTS_FINISH_ITEM(X) \
	X(lane) X(entry) X(id) X(kid) X(attempt) X(outcome) X(channel) X(provider) X(pid) X(pkey) \
	X(err) X(due) X(person) X(campaign) X(ckey) X(kind) X(optout) X(rcv) X(nf)
#define SCRIPTS_SCHEDULE_HEAD(X) X(ttl)
#define SCRIPTS_SCHEDULE_ITEM(X) \
	X(lane) X(entry) X(id) X(kid) X(person) X(campaign) X(ckey) X(kind) X(channel) X(due) X(nf)
#define SCRIPTS_REJECT_HEAD(X)
#define SCRIPTS_REJECT_ITEM(X) X(lane) X(entry) X(reason) X(id) X(campaign) X(ckey) X(nf)
#define SCRIPTS_POISON_HEAD(X) X(ttl)
#define SCRIPTS_POISON_ITEM(X) \
	X(lane) X(entry) X(id) X(kid) X(attempt) X(person) X(campaign) X(ckey) X(kind) X(reason) X(nf)
#define SCRIPTS_DUE_HEAD(X) X(limit)
#define SCRIPTS_DUE_ITEM(X)
#define SCRIPTS_LEASE_HEAD(X) X(lane)
#define SCRIPTS_LEASE_ITEM(X) X(entry)
#define SCRIPTS_LOST_HEAD(X) X(lane) X(ttl)
#define SCRIPTS_LOST_ITEM(X) X(entry)
#define SCRIPTS_STATUS_HEAD(X) X(ttl)
#define SCRIPTS_STATUS_ITEM(X) X(provider) X(pid) X(pkey) X(status) X(err) X(optout)
#define SCRIPTS_INBOUND_HEAD(X) X(ttl) X(inbox_maxlen)
#define SCRIPTS_INBOUND_ITEM(X) \
	X(provider) X(channel) X(pid) X(pkey) X(person) X(phone) X(text) X(time) X(mtype) X(locale)
/* clang-format on */

#define SCRIPTS_ENUM(script, part, X) SCRIPTS_##script##_##part##_##X,
#define SCRIPTS_E_BEGIN_HEAD(x) SCRIPTS_ENUM(BEGIN, H, x)
#define SCRIPTS_E_BEGIN_ITEM(x) SCRIPTS_ENUM(BEGIN, I, x)
#define SCRIPTS_E_FINISH_HEAD(x) SCRIPTS_ENUM(FINISH, H, x)
#define SCRIPTS_E_FINISH_ITEM(x) SCRIPTS_ENUM(FINISH, I, x)
#define SCRIPTS_E_SCHEDULE_HEAD(x) SCRIPTS_ENUM(SCHEDULE, H, x)
#define SCRIPTS_E_SCHEDULE_ITEM(x) SCRIPTS_ENUM(SCHEDULE, I, x)
#define SCRIPTS_E_REJECT_ITEM(x) SCRIPTS_ENUM(REJECT, I, x)
#define SCRIPTS_E_POISON_HEAD(x) SCRIPTS_ENUM(POISON, H, x)
#define SCRIPTS_E_POISON_ITEM(x) SCRIPTS_ENUM(POISON, I, x)
#define SCRIPTS_E_DUE_HEAD(x) SCRIPTS_ENUM(DUE, H, x)
#define SCRIPTS_E_LEASE_HEAD(x) SCRIPTS_ENUM(LEASE, H, x)
#define SCRIPTS_E_LEASE_ITEM(x) SCRIPTS_ENUM(LEASE, I, x)
#define SCRIPTS_E_LOST_HEAD(x) SCRIPTS_ENUM(LOST, H, x)
#define SCRIPTS_E_LOST_ITEM(x) SCRIPTS_ENUM(LOST, I, x)
#define SCRIPTS_E_STATUS_HEAD(x) SCRIPTS_ENUM(STATUS, H, x)
#define SCRIPTS_E_STATUS_ITEM(x) SCRIPTS_ENUM(STATUS, I, x)
#define SCRIPTS_E_INBOUND_HEAD(x) SCRIPTS_ENUM(INBOUND, H, x)
#define SCRIPTS_E_INBOUND_ITEM(x) SCRIPTS_ENUM(INBOUND, I, x)

/* Argument indexes: SCRIPTS_<SCRIPT>_H_<name> in the head, SCRIPTS_<SCRIPT>_I_<name> in an item. */
#define SCRIPTS_E_COMMON(x) SCRIPTS_COMMON_##x,
enum { SCRIPTS_COMMON(SCRIPTS_E_COMMON) SCRIPTS_COMMON_COUNT };
enum { SCRIPTS_BEGIN_HEAD(SCRIPTS_E_BEGIN_HEAD) SCRIPTS_BEGIN_H_COUNT };
enum { SCRIPTS_BEGIN_ITEM(SCRIPTS_E_BEGIN_ITEM) SCRIPTS_BEGIN_I_COUNT };
enum { SCRIPTS_FINISH_HEAD(SCRIPTS_E_FINISH_HEAD) SCRIPTS_FINISH_H_COUNT };
enum { SCRIPTS_FINISH_ITEM(SCRIPTS_E_FINISH_ITEM) SCRIPTS_FINISH_I_COUNT };
enum { SCRIPTS_SCHEDULE_HEAD(SCRIPTS_E_SCHEDULE_HEAD) SCRIPTS_SCHEDULE_H_COUNT };
enum { SCRIPTS_SCHEDULE_ITEM(SCRIPTS_E_SCHEDULE_ITEM) SCRIPTS_SCHEDULE_I_COUNT };
enum { SCRIPTS_REJECT_ITEM(SCRIPTS_E_REJECT_ITEM) SCRIPTS_REJECT_I_COUNT };
enum { SCRIPTS_POISON_HEAD(SCRIPTS_E_POISON_HEAD) SCRIPTS_POISON_H_COUNT };
enum { SCRIPTS_POISON_ITEM(SCRIPTS_E_POISON_ITEM) SCRIPTS_POISON_I_COUNT };
enum { SCRIPTS_DUE_HEAD(SCRIPTS_E_DUE_HEAD) SCRIPTS_DUE_H_COUNT };
enum { SCRIPTS_LEASE_HEAD(SCRIPTS_E_LEASE_HEAD) SCRIPTS_LEASE_H_COUNT };
enum { SCRIPTS_LEASE_ITEM(SCRIPTS_E_LEASE_ITEM) SCRIPTS_LEASE_I_COUNT };
enum { SCRIPTS_LOST_HEAD(SCRIPTS_E_LOST_HEAD) SCRIPTS_LOST_H_COUNT };
enum { SCRIPTS_LOST_ITEM(SCRIPTS_E_LOST_ITEM) SCRIPTS_LOST_I_COUNT };
enum { SCRIPTS_STATUS_HEAD(SCRIPTS_E_STATUS_HEAD) SCRIPTS_STATUS_H_COUNT };
enum { SCRIPTS_STATUS_ITEM(SCRIPTS_E_STATUS_ITEM) SCRIPTS_STATUS_I_COUNT };
enum { SCRIPTS_INBOUND_HEAD(SCRIPTS_E_INBOUND_HEAD) SCRIPTS_INBOUND_H_COUNT };
enum { SCRIPTS_INBOUND_ITEM(SCRIPTS_E_INBOUND_ITEM) SCRIPTS_INBOUND_I_COUNT };

/*
 * Result codes of the per-item scripts, besides a positive attempt number
 * (begin) or 1 (done). Errors of one item come back as SCRIPTS_R_ERROR
 * followed by Redis's message; the other items of the batch go on.
 */
#define SCRIPTS_RESULTS(X)                                                                                             \
	X(DONE, 1)       /* recorded */                                                                                \
	X(UNCHANGED, 0)  /* already recorded, or not this attempt's to record */                                       \
	X(DUPLICATE, -1) /* another entry has this message id */                                                       \
	X(FINISHED, -4)  /* the message is finished already */                                                         \
	X(STALE, -5)     /* a read that is out of date: the entry is no longer this consumer's to handle */            \
	X(ERROR, -100)   /* followed by the error */
#define SCRIPTS_R_ENUM(name, value) SCRIPTS_R_##name = value,
enum scripts_result { SCRIPTS_RESULTS(SCRIPTS_R_ENUM) };
#undef SCRIPTS_R_ENUM

/* The script's whole text (generated once), and its SHA1 in hex. */
const char *scripts_text(enum scripts_id id);
const char *scripts_sha(enum scripts_id id);
const char *scripts_name(enum scripts_id id);
/* How many arguments an item of the script has (nf's values not counted), and whether it ends in nf. */
size_t scripts_item_args(enum scripts_id id);
size_t scripts_head_args(enum scripts_id id);

#endif
