/*
 * One call of a Lua script (queues/scripts.h), built argument by argument
 * in the script's own layout and sent on a Redis connection. A call whose
 * script Redis does not have (NOSCRIPT: a restart, a SCRIPT FLUSH) is sent
 * again with the script's text, transparently. Strings are borrowed: they
 * must live until the reply callback has run. The call owns its numbers
 * and frees itself after the callback.
 */
#ifndef AMUDDU_SCRIPT_CALL_H
#define AMUDDU_SCRIPT_CALL_H

#include <stdbool.h>
#include <stddef.h>

#include "queues/redis_conn.h"
#include "queues/scripts.h"

struct script_call;

/* What every script takes first (SCRIPTS_COMMON); the time is taken when the call is made. */
struct script_common {
	const char *prefix;
	const char *group;
	const char *consumer;
	long long log_maxlen;
};

/*
 * The reply, or NULL when the connection was lost. arg is the caller's;
 * the call is freed when the callback returns.
 */
typedef void script_call_cb(redisReply *reply, void *arg);

struct script_call *script_call_new(enum scripts_id id, const struct script_common *common);
/* The head arguments, indexed by SCRIPTS_<SCRIPT>_H_* (NULL for a script without); always once, before items. */
void script_call_head(struct script_call *c, const char *const *head);
/* One item, indexed by SCRIPTS_<SCRIPT>_I_*; lens may be NULL for NUL-terminated strings. */
void script_call_item(struct script_call *c, const char *const *item, const size_t *lens);
/* n values following the current item (its nf). */
void script_call_values(struct script_call *c, const char *const *v, const size_t *lens, size_t n);
/* A number as a string the call owns. */
const char *script_call_num(struct script_call *c, long long v);
/* A copy of s the call owns, for strings that would not outlive the call. */
const char *script_call_copy(struct script_call *c, const char *s);
/* Gives the call a string it frees with itself; returns it. */
const char *script_call_take(struct script_call *c, char *s);
size_t script_call_items(const struct script_call *c);
/*
 * Sends the call; cb runs exactly once. Returns -1 (call freed, cb not
 * called) when the connection is down.
 */
int script_call_send(struct script_call *c, struct redis_conn *rc, script_call_cb *cb, void *arg)
    __attribute__((warn_unused_result));
void script_call_free(struct script_call *c);

/*
 * Whether an error from Redis belongs to the whole server (out of memory,
 * a replica, loading, busy…), so that the same call may succeed later,
 * rather than to the data one item touched (a key of the wrong type).
 */
bool script_call_error_is_transient(const char *err, size_t len);

#endif
