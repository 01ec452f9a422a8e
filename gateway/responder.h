/*
 * Answers people who write to us. Inbound messages (P inbox, written by
 * the webhooks) are read through a consumer group of their own, so each is
 * handled once among every gateway process, and one whose process died is
 * taken over by another. For each: the person's state is read, the plan
 * decided (handlers/responder.c), and everything it says written in one
 * script with the inbox entry's acknowledgement — the answer goes on the
 * reply lane, ahead of every broadcast. The responder has its own Redis
 * connection, since it waits on the stream. The creator owns it;
 * responder_free().
 */
#ifndef AMUDDU_GATEWAY_RESPONDER_H
#define AMUDDU_GATEWAY_RESPONDER_H

#include <event2/event.h>

#include "gateway/config.h"
#include "handlers/responder.h"
#include "queues/redis_url.h"

struct responder;

struct responder_stats {
	unsigned long long handled, answered, muted, refused;
};

/*
 * From the configuration ([replies], [locales], [gateway] consumer) and the
 * catalogs (the keywords are read from them: both must outlive the
 * responder). NULL with err when the catalogs' keywords are not usable.
 */
struct responder *responder_new(struct event_base *base, const struct redis_target *t, const struct config *cfg,
    const struct catalog *cat, char *err, size_t errlen);
void responder_start(struct responder *r);
/*
 * Takes nothing more from the inbox. Entries read and not yet answered
 * stay pending: another process takes them over after 30 s.
 */
void responder_stop(struct responder *r);
void responder_free(struct responder *r);
bool responder_up(const struct responder *r);
void responder_get_stats(const struct responder *r, struct responder_stats *out);

#endif
