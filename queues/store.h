/*
 * The API's store: its own Redis connection, on which the /v1 handlers
 * run Lua scripts (queues/lua.h) and plain commands, with replies handed
 * back as JSON values (arrays, strings, integers, null), so that nothing
 * above queues/ sees hiredis. Every write a handler makes goes through one
 * script call, atomic in Redis. The creator owns struct store; store_free().
 */
#ifndef AMUDDU_STORE_H
#define AMUDDU_STORE_H

#include <event2/event.h>
#include <jansson.h>
#include <stdbool.h>

#include "queues/cmdargs.h"
#include "queues/lua.h"
#include "queues/redis_url.h"

struct store;

/*
 * The reply as JSON (the callee keeps it: json_incref to hold it), or
 * NULL with err set: Redis unreachable ("unavailable") or the script's or
 * command's own error.
 */
typedef void store_cb(void *arg, json_t *reply, const char *err);

/* name: the connection's name in logs ("api", "responder"). */
struct store *store_new(struct event_base *base, const struct redis_target *t, const char *prefix, const char *name);
void store_start(struct store *s);
void store_free(struct store *s);
bool store_up(const struct store *s);
const char *store_prefix(const struct store *s);
/* Whether err (a callback's) is Redis's own passing trouble (unreachable, memory, loading, a failover). */
bool store_error_transient(const char *err);
/* Runs script with args (taken over); cb runs exactly once, now when Redis is down. */
void store_run(struct store *s, struct lua_script *script, struct cmdargs *args, store_cb *cb, void *arg);
/* A plain command (args taken over); cb runs exactly once. */
void store_command(struct store *s, struct cmdargs *args, store_cb *cb, void *arg);

#endif
