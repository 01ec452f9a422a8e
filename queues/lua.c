/*
 * EVALSHA with NOSCRIPT handled: the head of the argument vector is
 * "EVALSHA <sha> 0", swapped for "EVAL <text> 0" when Redis has lost its
 * script cache (a restart, a SCRIPT FLUSH).
 */
#include "queues/lua.h"

#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/util/log.h"
#include "queues/redis_conn.h"
#include "gateway/util/xmalloc.h"

struct lua_call {
	struct lua_script *s;
	struct cmdargs a;
	lua_cb *cb;
	void *arg;
	bool resent;
};

static void lua_reply(struct redis_conn *rc, redisReply *reply, void *privdata);
static void lua_call_free(struct lua_call *c);

static void
lua_call_free(struct lua_call *c)
{
	cmdargs_free(&c->a);
	free(c);
}

int
lua_run(struct redis_conn *rc, struct lua_script *s, struct cmdargs *args, lua_cb *cb, void *arg)
{
	struct lua_call *c = xcalloc(1, sizeof *c);

	if (s->sha[0] == '\0') {
		unsigned char d[SHA_DIGEST_LENGTH];

		SHA1((const unsigned char *)s->text, strlen(s->text), d);
		for (size_t i = 0; i < sizeof d; i++)
			snprintf(s->sha + 2 * i, 3, "%02x", d[i]);
	}
	c->s = s;
	c->cb = cb;
	c->arg = arg;
	cmdargs_str(&c->a, "EVALSHA");
	cmdargs_str(&c->a, s->sha);
	cmdargs_str(&c->a, "0");
	cmdargs_append(&c->a, args);
	if (redis_conn_command(rc, lua_reply, c, c->a.n, c->a.v, c->a.lens) != 0) {
		lua_call_free(c);
		return -1;
	}
	return 0;
}

static void
lua_reply(struct redis_conn *rc, redisReply *reply, void *privdata)
{
	struct lua_call *c = privdata;

	if (reply != NULL && reply->type == REDIS_REPLY_ERROR && !c->resent &&
	    strncmp(reply->str, "NOSCRIPT", 8) == 0) {
		log_info("redis lost its scripts: loading %s again", c->s->name);
		c->resent = true;
		c->a.v[0] = "EVAL";
		c->a.lens[0] = 4;
		c->a.v[1] = c->s->text;
		c->a.lens[1] = strlen(c->s->text);
		if (redis_conn_command(rc, lua_reply, c, c->a.n, c->a.v, c->a.lens) == 0)
			return;
		reply = NULL;
	}
	c->cb(reply, c->arg);
	lua_call_free(c);
}
