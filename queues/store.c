/*
 * Replies to JSON: an array becomes an array, a bulk or status string a
 * string (Redis strings are bytes; one that is not UTF-8 becomes null and
 * is logged), an integer an integer, nil null. An error reply goes to the
 * callback as err, with the reply NULL.
 */
#include "queues/store.h"

#include <stdlib.h>
#include <string.h>

#include "gateway/util/buf.h"
#include "gateway/util/log.h"
#include "gateway/util/xmalloc.h"
#include "queues/redis_conn.h"
#include "queues/script_call.h"

struct store {
	struct redis_conn *conn;
	char *prefix;
	bool closing; /* being freed: new calls are answered "unavailable" at once */
};

struct store_call {
	store_cb *cb;
	void *arg;
	struct cmdargs a;
};

static json_t *store_json(const redisReply *r);
static void store_lua_reply(redisReply *reply, void *arg);
static void store_cmd_reply(struct redis_conn *rc, redisReply *reply, void *privdata);
static void store_answer(store_cb *cb, void *arg, redisReply *reply);

struct store *
store_new(struct event_base *base, const struct redis_target *t, const char *prefix, const char *name)
{
	struct store *s = xcalloc(1, sizeof *s);

	s->conn = redis_conn_new(base, t, name, 30000, NULL, NULL, s);
	s->prefix = xstrdup(prefix);
	return s;
}

void
store_start(struct store *s)
{
	redis_conn_start(s->conn);
}

void
store_free(struct store *s)
{
	if (s == NULL)
		return;
	s->closing = true;
	redis_conn_free(s->conn);
	free(s->prefix);
	free(s);
}

bool
store_up(const struct store *s)
{
	return redis_conn_is_up(s->conn);
}

const char *
store_prefix(const struct store *s)
{
	return s->prefix;
}

static json_t *
store_json(const redisReply *r)
{
	json_t *a;

	switch (r->type) {
	case REDIS_REPLY_ARRAY:
		a = json_array();
		for (size_t i = 0; i < r->elements; i++)
			json_array_append_new(a, store_json(r->element[i]));
		return a;
	case REDIS_REPLY_STRING:
	case REDIS_REPLY_STATUS:
		if (!utf8_valid(r->str, r->len)) {
			log_warn("api: a stored value is not UTF-8");
			return json_null();
		}
		return json_stringn_nocheck(r->str, r->len);
	case REDIS_REPLY_INTEGER:
		return json_integer(r->integer);
	default:
		return json_null();
	}
}

static void
store_answer(store_cb *cb, void *arg, redisReply *reply)
{
	json_t *j;

	if (reply == NULL) {
		cb(arg, NULL, "unavailable");
		return;
	}
	if (reply->type == REDIS_REPLY_ERROR) {
		log_warn("api: redis refused a call: %.200s", reply->str);
		cb(arg, NULL, reply->str);
		return;
	}
	j = store_json(reply);
	cb(arg, j, NULL);
	json_decref(j);
}

static void
store_lua_reply(redisReply *reply, void *arg)
{
	struct store_call *c = arg;

	store_answer(c->cb, c->arg, reply);
	free(c);
}

void
store_run(struct store *s, struct lua_script *script, struct cmdargs *args, store_cb *cb, void *arg)
{
	struct store_call *c = xcalloc(1, sizeof *c);

	c->cb = cb;
	c->arg = arg;
	if (s->closing) {
		cmdargs_free(args);
		free(c);
		cb(arg, NULL, "unavailable");
		return;
	}
	if (lua_run(s->conn, script, args, store_lua_reply, c) != 0) {
		free(c);
		cb(arg, NULL, "unavailable");
	}
}

static void
store_cmd_reply(struct redis_conn *rc, redisReply *reply, void *privdata)
{
	struct store_call *c = privdata;

	(void)rc;
	store_answer(c->cb, c->arg, reply);
	cmdargs_free(&c->a);
	free(c);
}

void
store_command(struct store *s, struct cmdargs *args, store_cb *cb, void *arg)
{
	struct store_call *c = xcalloc(1, sizeof *c);

	c->cb = cb;
	c->arg = arg;
	c->a = *args;
	memset(args, 0, sizeof *args);
	if (s->closing || redis_conn_command(s->conn, store_cmd_reply, c, c->a.n, c->a.v, c->a.lens) != 0) {
		cmdargs_free(&c->a);
		free(c);
		cb(arg, NULL, "unavailable");
	}
}

bool
store_error_transient(const char *err)
{
	return strcmp(err, "unavailable") == 0 || script_call_error_is_transient(err, strlen(err));
}
