/*
 * The contacts' Lua scripts, run through queues/store.h. Each takes the
 * key prefix first. A contact is P contact:<id> (id: the keyed pseudonym
 * of the number); P contacts orders them by creation; P ix:<attr>:<value>
 * sets index city, locale, sex, channel, tag and consent for audiences;
 * P consent:<id> is the consent history (docs/redis.md).
 *
 * Rows travel as JSON objects: {"p": id, "ph": E.164, "ln": line,
 * "a": {attribute: value, …} for the columns the file has ("" clears),
 * "t": [tags] when it has tags, "co": "yes"/"no" and "ca": ms when it
 * gives consent, "x": {field: value}}.
 */
#ifndef AMUDDU_CONTACTS_H
#define AMUDDU_CONTACTS_H

#include "queues/lua.h"

/*
 * stage: P, import id, now (ms), ttl (s), rows…: puts each row aside under
 * the import, and answers per row "new", "changed", "same", or
 * "dup:<line>" for a number an earlier row of the file had.
 */
extern struct lua_script contacts_stage;
/*
 * commit: P, import id, cursor, count, now (unused: Redis's clock is
 * used), source, by, and "resumed" for another gateway finishing it:
 * applies up to count staged rows from cursor and takes them off; answers
 * the next cursor ("0": all done, the import's keys deleted; "r": start
 * the scan over).
 */
extern struct lua_script contacts_commit;
/*
 * resume: P, stale (ms): an import left half written (its gateway died
 * between two commit steps) for longer than stale by Redis's clock,
 * claimed: [id, cursor, source, by] to go on committing from; ["gave_up:<id>"]
 * for one that failed five times (dropped); or [].
 */
extern struct lua_script contacts_resume;
/* part_begin: P, import id, part (from 1), owner, settings, ttl: "ok" or "conflict:<the part expected>". */
extern struct lua_script contacts_part_begin;
/* part_end: P, import id, part, rows, refused, ttl, errors (JSON)…: the import's totals so far (see queues/contacts.c). */
extern struct lua_script contacts_part_end;
/* drop: P, import id: deletes what an import put aside. */
extern struct lua_script contacts_drop;
/* get: P, id: the contact's hash as [field, value, …] ([] when none), then its consent history. */
extern struct lua_script contacts_get;
/* update: P, id, now (ms), source, by, row JSON: as commit for one row of an existing contact; 0 when none. */
extern struct lua_script contacts_update;
/* erase: P, id: removes the contact, its indexes, consent history and inbox entries; 0 when none. */
extern struct lua_script contacts_erase;

#endif
