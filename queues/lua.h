/*
 * Lua scripts of the API's store, run by EVALSHA with the text sent again
 * (EVAL) when Redis answers NOSCRIPT. A script is a static struct lua_script
 * whose digest is computed at its first use. The arguments are taken over
 * by the call and freed after the callback.
 */
#ifndef AMUDDU_LUA_H
#define AMUDDU_LUA_H

#include <stdbool.h>

#include "queues/cmdargs.h"

/* Declared only, so that the store's users above queues/ never see hiredis. */
struct redis_conn;
struct redisReply;

struct lua_script {
	const char *name;
	const char *text;
	char sha[41]; /* "" until first used */
};

/* The reply (NULL when the connection was lost); arg is the caller's. */
typedef void lua_cb(struct redisReply *reply, void *arg);

/*
 * Runs s with no keys and the arguments in args (which the call takes
 * over, emptied). 0 when sent (cb runs exactly once), -1 when Redis is down
 * (cb not called, args freed).
 */
int lua_run(struct redis_conn *rc, struct lua_script *s, struct cmdargs *args, lua_cb *cb, void *arg)
    __attribute__((warn_unused_result));

#endif
