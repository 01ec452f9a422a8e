/*
 * The scripts of people's messages to us and the agents' inbox, run
 * through queues/store.h; each takes the key prefix first (docs/redis.md):
 * P conv:<id> (the person's conversation state: the menu they may answer,
 * the pause of automatic answers, the inbox conversation), P thread:<id>
 * (what they wrote and what was answered, for the agents), P conv:open
 * (open conversations by when they opened), P tagged:<id> (tags with when
 * and the campaign that prompted them), P topics (the stream of topics
 * people chose, for M&E), P rcv:<id> (campaigns they were sent).
 */
#ifndef AMUDDU_CONVERSATIONS_H
#define AMUDDU_CONVERSATIONS_H

#include "queues/lua.h"

/*
 * read: P, id, now (ms), counted ("1" to count this message against the
 * pause): [locale, first_name, menu, menu_until, open ("1"), muted_until,
 * version, messages this minute, has a number ("1")].
 */
extern struct lua_script conv_read;
/*
 * apply: P, group, inbox entry, id, version, now (ms), plan (JSON, see
 * queues/conversations.c), consumer: writes everything the plan says,
 * queues the answer on the reply lane and acknowledges the inbox entry, in
 * one step. 1 done, 0 the state changed since read (read again), 2 the
 * person is gone (erased): the entry is acknowledged, 3 the entry is no
 * longer this consumer's (another process took it over): nothing written.
 */
extern struct lua_script conv_apply;
/* page: P, after ("" or "<ms>:<id>"), count: open conversations, oldest first: [id, opened, conv, contact, campaigns]. */
extern struct lua_script inbox_page;
/* thread: P, id: [conv, contact, campaigns, thread items (JSON)], or [] when the person is unknown. */
extern struct lua_script inbox_thread;
/*
 * reply: P, id, message id, text, by, now (ms): queues an agent's answer on
 * the reply lane, by the channel and provider the person last wrote on (on
 * WhatsApp after its 24 hours, by the person's channel with SMS to fall
 * back on); "ok", "unknown", "opted_out" (they sent STOP), or "no_channel"
 * (they never wrote).
 */
extern struct lua_script inbox_reply;
/* close: P, id, by, now (ms): "ok", "unknown" or "closed" (it was not open). */
extern struct lua_script inbox_close;

#endif
