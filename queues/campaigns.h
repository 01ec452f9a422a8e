/*
 * The campaigns' Lua scripts, run through queues/store.h; each takes the
 * key prefix first. A campaign is P cmp:<id> (its definition, state,
 * expansion cursor and counts of people left out); P cmps orders them by
 * creation; P cmp:due holds those whose expansion is due or under way;
 * P cmp:states maps every campaign to its state, which the gateway reads
 * twice a second to hold or skip campaign messages at send time;
 * P cmp:<id>:members is its resolved audience (docs/redis.md).
 *
 * An audience is JSON: {"city": [...], "locale": [...], "channel": [...],
 * "sex": [...], "tags_all": [...], "tags_any": [...], "replied_to": id,
 * "not_replied_to": id}; lists are "any of", members are "all of".
 */
#ifndef AMUDDU_CAMPAIGNS_H
#define AMUDDU_CAMPAIGNS_H

#include "queues/lua.h"

/* audience: P, audience JSON: counts as JSON text (audience, recipients, excluded, by_locale, by_channel). */
extern struct lua_script campaigns_audience;
/* create: P, id, now, then field/value pairs: the campaign as a draft. */
extern struct lua_script campaigns_create;
/* get: P, id: [definition pairs, counter pairs] ([] when none); a finished expansion with nothing left is done. */
extern struct lua_script campaigns_get;
/* page: P, after ("" or "<ms>:<id>"), count: [id, score, definition pairs] each. */
extern struct lua_script campaigns_page;
/* act: P, id, action (schedule, pause, resume, cancel), now: the new state, or "from:<state>" when not allowed; "" when none. */
extern struct lua_script campaigns_act;
/*
 * claim: P, consumer, now, lease ms: takes the lease on one due campaign,
 * resolving its audience the first time: [id, fence, cursor] or [].
 */
extern struct lua_script campaigns_claim;
/* read: P, id, fence, cursor, count: [next cursor, [id, phone, name, first_name, locale, channel, marketing_optout] …] or "stale". */
extern struct lua_script campaigns_read;
/*
 * write: P, id, fence, consumer, lease ms, next cursor, lane, count of
 * entries, then each entry as its field count and fields: adds them to the
 * lane and moves the cursor, atomically; "ok", "done" (all expanded) or
 * "stale" (another process has the lease, or the campaign is not running).
 */
extern struct lua_script campaigns_write;
/* states: P: [id, state, …] of every campaign not finished more than 30 days ago. */
extern struct lua_script campaigns_states;

#endif
