/*
 * The contacts a page at a time, oldest first, searched and filtered
 * (GET /v1/contacts and its export). One call looks through a bounded
 * number of contacts, so Redis is never held for a scan of them all: a
 * page may be short, even empty, with a cursor to go on from, as with
 * Redis's own SCAN.
 */
#ifndef AMUDDU_CONTACTS_SEARCH_H
#define AMUDDU_CONTACTS_SEARCH_H

#include "queues/lua.h"

/*
 * search: P, after ("" or "<ms>:<id>", a cursor this script gave), limit,
 * examine (contacts looked at, at most), filter (JSON, below). Answers
 * [next cursor ("" when nothing after it matches), [[id, created ms,
 * the contact's hash as [field, value, …]], …]].
 *
 * The filter (handlers/contacts_query.h makes it): "city", "locale",
 * "sex", "channel", "tag", "consent" (lists: any of the values; consent
 * "yes", "no", or "none" for no consent on record), "words" (the search:
 * each found in the name or the first name, compared without case or
 * accents; none when it is a number) and "number" with "match" ("prefix",
 * "within" or "whole": how those digits stand in the contact's number in
 * E.164); a contact matches by words or by number. Every filter given must
 * hold. {} is every contact.
 *
 * When a filter's index sets hold at most examine contacts together, they
 * are what is looked through (every match found in one call); otherwise
 * the contacts in order from the cursor.
 */
extern struct lua_script contacts_search;

#endif
