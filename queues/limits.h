/*
 * Scripts of the limits all gateway processes share (queues/store.h runs
 * them): P rate:<provider> (a token bucket) and P tier:whatsapp (people
 * reached by business-initiated WhatsApp messages in the last 24 hours,
 * scored by when).
 */
#ifndef AMUDDU_LIMITS_H
#define AMUDDU_LIMITS_H

#include "queues/lua.h"

/* take: P, provider, rate (per second), want: [tokens granted, ms until one is free when none was]. */
extern struct lua_script limits_script_take;
/* tier: P, person, tier: 0 when the person may be written to now (counted), else ms until there is room. */
extern struct lua_script limits_script_tier;

#endif
