/*
 * Sending limits held across every gateway process: messages per second
 * per provider account ([<provider>] rate), taken from a token bucket in
 * Redis a fifth of a second's worth at a time, and WhatsApp's messaging
 * tier ([whatsapp] tier) for business-initiated messages. A message that
 * finds no token waits in the sender's queue (its claim is renewed); one
 * beyond the tier is parked until the rolling day makes room. The creator
 * owns struct throttle; throttle_free().
 */
#ifndef AMUDDU_THROTTLE_H
#define AMUDDU_THROTTLE_H

#include <event2/event.h>
#include <stdbool.h>
#include <stddef.h>

#include "queues/store.h"

struct throttle;

/* rates[i]: messages per second for the provider of metrics index i (0: none); names[i] its section. */
struct throttle *throttle_new(
    struct event_base *base, struct store *st, const double *rates, const char *const *names, size_t n, long wa_tier);
void throttle_free(struct throttle *l);
/* Called when tokens arrive, so that messages waiting for them may go. */
void throttle_on_tokens(struct throttle *l, void (*wake)(void *arg), void *arg);
/* Takes a token for provider i: true, or false (a refill is on its way; wake() follows). */
bool throttle_take(struct throttle *l, size_t i);
/* Whether business-initiated WhatsApp messages are limited by a tier. */
bool throttle_tier_on(const struct throttle *l);
/* Whether person may get a business-initiated message now: cb gets 0, or the ms to wait for room. */
void throttle_tier(struct throttle *l, const char *person, void (*cb)(void *arg, long long wait_ms), void *arg);

#endif
