/*
 * Receipts: what providers tell us through webhooks, recorded in Redis.
 * Status callbacks move a message's delivery state forward (or wait for
 * the send to be recorded); inbound messages create or refresh the contact
 * and go to the inbox stream, once per provider message id. Everything
 * submitted during one turn of the loop goes into one script call per
 * kind. The creator owns struct receipts; receipts_free().
 */
#ifndef AMUDDU_RECEIPTS_H
#define AMUDDU_RECEIPTS_H

#include <stdbool.h>
#include <stddef.h>

#include <event2/event.h>

#include "gateway/util/domain.h"
#include "queues/redis_url.h"

struct receipts;

struct receipts_settings {
	const struct redis_target *target;
	const char *prefix;
	const char *group;
	long long log_maxlen;
	long long inbox_maxlen;
	long early_ttl_s; /* how long a status waits for its send to be recorded */
	long dedup_ttl_s; /* how long an inbound provider id is remembered */
};

/* One inbound message ready to store: the gateway adds who and which locale. */
struct receipts_inbound {
	const struct inbound_event *ev;
	char person[PHONE_PSEUDONYM_MAX];
	const char *locale; /* guessed, or "" */
};

/* What became of one submission. */
struct receipts_outcome {
	bool ok; /* false: Redis did not take it; the provider should send it again */
	size_t recorded, unchanged, early, orphaned; /* statuses */
	size_t stored, duplicates;                   /* inbound */
	size_t failed; /* refused by Redis for what they touch: logged, counted, not sent again */
};

typedef void receipts_done_cb(void *arg, const struct receipts_outcome *o);

struct receipts *receipts_new(struct event_base *base, const struct receipts_settings *s);
void receipts_start(struct receipts *r);
void receipts_free(struct receipts *r);
bool receipts_up(const struct receipts *r);
unsigned long receipts_reconnects(const struct receipts *r);

/*
 * Records the status events (NONE ones are skipped) and inbound messages
 * of one webhook request for provider/channel. The arrays must stay valid
 * until done runs, which it does exactly once. Returns -1 (done not
 * called) when Redis is not reachable now.
 */
int receipts_submit(struct receipts *r, const char *provider, const char *channel, const struct status_event *status,
    size_t nstatus, const struct receipts_inbound *inbound, size_t ninbound, receipts_done_cb *done, void *arg)
    __attribute__((warn_unused_result));

#endif
