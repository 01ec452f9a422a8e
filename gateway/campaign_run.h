/*
 * Campaigns at run time: every second, a due campaign is claimed (one
 * process at a time, by a lease with a fencing token) and expanded into
 * outbox entries in chunks, one person each, in their locale, from where
 * the last process stopped; twice a second, every campaign's state is read
 * so that routing holds a paused campaign's messages and skips a cancelled
 * one's. The creator owns struct campaign_run; campaign_run_free().
 */
#ifndef AMUDDU_CAMPAIGN_RUN_H
#define AMUDDU_CAMPAIGN_RUN_H

#include <event2/event.h>

#include "queues/store.h"

struct campaign_run;

struct campaign_run_settings {
	struct store *store;
	const char *consumer; /* this process, as the lease names it */
	const char *fallback; /* [locales] fallback */
	long chunk;           /* people per chunk */
};

struct campaign_run *campaign_run_new(struct event_base *base, const struct campaign_run_settings *s);
void campaign_run_start(struct campaign_run *r);
/* Stops claiming (shutdown): an expansion under way stops after its chunk; its lease runs out. */
void campaign_run_stop(struct campaign_run *r);
void campaign_run_free(struct campaign_run *r);
/* The state of campaign id as last read ("running", "paused", "cancelled", …), or NULL (route_campaign_state). */
const char *campaign_run_state(void *arg, const char *id);
#endif
