/*
 * The send pipeline: each message the outbox hands out is routed
 * (gateway/route.c), waits its turn for a transfer slot, is checked to be
 * still this process's to send (outbox_lease), becomes a provider request
 * on the dispatch, and has its answer classified and recorded. The
 * gateway owns struct sender; sender_free().
 */
#ifndef AMUDDU_SENDER_H
#define AMUDDU_SENDER_H

#include <stddef.h>

#include "gateway/dispatch.h"
#include "gateway/metrics.h"
#include "gateway/route.h"
#include "gateway/throttle.h"
#include "queues/outbox.h"

struct sender;

/* The outbox, dispatch, route and metrics must outlive the sender. */
struct sender *sender_new(
    struct outbox *ob, struct dispatch *d, const struct route *rt, struct metrics *mt, size_t max_concurrent);
void sender_free(struct sender *s);
/* A begun message from the outbox (its send handler). */
void sender_send(struct sender *s, struct message *m);
/* Starts waiting messages while transfer slots are free (the outbox's leases handler too). */
void sender_pump(struct sender *s);
/*
 * Holds messages to the limits t keeps across processes (per provider
 * account, by metrics index; WhatsApp's tier for business-initiated
 * messages). t must outlive the sender; NULL: no limits.
 */
void sender_set_throttle(struct sender *s, struct throttle *t);
/* Gives every waiting message back to the outbox unrecorded (shutdown). */
void sender_release_waiting(struct sender *s);
size_t sender_waiting(const struct sender *s);

#endif
