/*
 * Routing and policy: for each message about to go, whether it goes and
 * how — its expiry, the person's opt-out, the channel (the message's own,
 * or the person's preferred one), WhatsApp's customer-service window, an
 * approved template or free text, the fall back to SMS when WhatsApp
 * cannot carry it, and quiet hours. Decisions only, over the message, the
 * configured providers and the time; gateway/sender.c does the sending.
 * consent and campaign states. The limits across processes are the
 * sender's (gateway/throttle.c).
 * The creator owns struct route; route_free().
 */
#ifndef AMUDDU_ROUTE_H
#define AMUDDU_ROUTE_H

#include <stdbool.h>
#include <stddef.h>

#include "gateway/util/zone.h"
#include "handlers/provider.h"
#include "queues/message.h"

/* A configured provider as routing and sending see it. */
struct route_provider {
	const struct provider_ops *ops;
	void *ctx;
	size_t mi; /* its metrics index */
};

enum route_verdict {
	ROUTE_SEND = 0, /* build plan->pm for plan->p and send it */
	ROUTE_SKIP,     /* not sent by rule: record plan->outcome (SKIPPED or EXPIRED) with plan->why */
	ROUTE_FAIL,     /* cannot be sent as it is: record FAILED with plan->why */
	ROUTE_DEFER,    /* not now: record DEFERRED until plan->until_s, with plan->why */
};

/* How one message goes. */
struct route_plan {
	const struct route_provider *p; /* for SEND; for SKIP and FAIL when a channel was chosen, else NULL */
	enum channel channel;           /* the channel chosen, AUTO when none */
	bool may_fall_back;             /* WhatsApp chosen for channel=auto: SMS is there if it cannot carry it */
	const struct route_provider *fell_back_from; /* set when the plan moved to SMS, until the sender counts it */
	struct provider_message pm;                  /* what the provider is given (strings point into the message) */
	enum outcome outcome;                        /* for SKIP, FAIL and DEFER */
	long long until_s;                           /* for DEFER: when it may go (epoch seconds) */
	char why[192];                               /* for SKIP and FAIL: no personal data */
};

struct route;

/* sms and whatsapp may each be NULL (not configured), not both; they must outlive the route. */
struct route *route_new(const struct route_provider *sms, const struct route_provider *whatsapp);
void route_free(struct route *r);
/*
 * Every configured provider (ps[0..n), outliving the route), for messages
 * that name the one that must carry them (the intake's provider field).
 */
void route_set_providers(struct route *r, const struct route_provider *ps, size_t n);
/* Holds bulk and notify back during q (local time); reply is never held. Off until set. */
void route_set_quiet(struct route *r, const struct zone_quiet *q);
/* A campaign's state as the gateway last read it ("running", "paused", "cancelled", …), or NULL. */
typedef const char *route_campaign_state(void *arg, const char *campaign);
/*
 * Campaign messages (origin=campaign) go only to people with consent on
 * record, and not while their campaign is paused (held) or after it is
 * cancelled (skipped). With require_consent, every bulk message needs it.
 */
void route_set_campaigns(struct route *r, route_campaign_state *state, void *arg, bool require_consent);
/*
 * The campaign rule alone, for a message about to start after waiting for
 * a transfer slot: SEND, or SKIP (cancelled) or DEFER (paused) with the
 * plan's outcome and why set.
 */
enum route_verdict route_campaign(
    const struct route *r, const struct message *m, long long now_s, struct route_plan *plan);
/* Decides how m goes at now_s (epoch seconds). */
enum route_verdict route_decide(
    const struct route *r, const struct message *m, long long now_s, struct route_plan *plan);
/*
 * WhatsApp cannot carry the message (no template, or Meta's answer):
 * moves the plan to SMS and returns true when it allows it, else false.
 */
bool route_fall_back(const struct route *r, struct route_plan *plan);
/* The template for kind: the locale, then its base language (ary-Latn → ary), then the provider's default. */
const struct provider_template *route_template(const struct route_provider *p, const char *kind, const char *locale);

#endif
