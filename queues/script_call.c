/*
 * Script calls: EVALSHA with the arguments laid out as scripts.h says,
 * and EVAL with the text when Redis answers NOSCRIPT (scripts are cached
 * per server, and a restarted or flushed one has none).
 */
#include "queues/script_call.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "gateway/util/log.h"
#include "gateway/util/zone.h"
#include "gateway/util/xmalloc.h"
#include "queues/cmdargs.h"

struct script_call {
	enum scripts_id id;
	struct cmdargs a;
	int count_slot; /* where the item count goes */
	size_t nitems;
	char count[24];
	char day[16];
	char **owned; /* copies made by script_call_copy() */
	size_t nowned;
	struct redis_conn *rc;
	script_call_cb *cb;
	void *arg;
	bool resent; /* sent again with the text after NOSCRIPT */
};

static void script_call_reply(struct redis_conn *rc, redisReply *reply, void *privdata);

struct script_call *
script_call_new(enum scripts_id id, const struct script_common *common)
{
	struct script_call *c = xcalloc(1, sizeof *c);
	const char *v[SCRIPTS_COMMON_COUNT];
	struct timeval tv;

	gettimeofday(&tv, NULL);
	c->id = id;
	c->count_slot = -1;
	cmdargs_str(&c->a, "EVALSHA");
	cmdargs_str(&c->a, scripts_sha(id));
	cmdargs_str(&c->a, "0");
	v[SCRIPTS_COMMON_P] = common->prefix;
	v[SCRIPTS_COMMON_G] = common->group;
	v[SCRIPTS_COMMON_C] = common->consumer != NULL ? common->consumer : "";
	v[SCRIPTS_COMMON_nows] = script_call_num(c, (long long)tv.tv_sec * 1000 + tv.tv_usec / 1000);
	zone_day(tv.tv_sec, c->day, sizeof c->day);
	v[SCRIPTS_COMMON_DAY] = c->day;
	v[SCRIPTS_COMMON_maxlen] = script_call_num(c, common->log_maxlen);
	for (int i = 0; i < SCRIPTS_COMMON_COUNT; i++)
		cmdargs_str(&c->a, v[i]);
	return c;
}

void
script_call_head(struct script_call *c, const char *const *head)
{
	if (c->count_slot >= 0)
		fatalx("script %s: head given twice", scripts_name(c->id));
	for (size_t i = 0; i < scripts_head_args(c->id); i++)
		cmdargs_str(&c->a, head[i]);
	c->count_slot = c->a.n;
	cmdargs_str(&c->a, "0");
}

void
script_call_item(struct script_call *c, const char *const *item, const size_t *lens)
{
	if (c->count_slot < 0)
		fatalx("script %s: item before head", scripts_name(c->id));
	for (size_t i = 0; i < scripts_item_args(c->id); i++)
		cmdargs_add(&c->a, item[i], lens != NULL ? lens[i] : strlen(item[i]));
	c->nitems++;
}

void
script_call_values(struct script_call *c, const char *const *v, const size_t *lens, size_t n)
{
	for (size_t i = 0; i < n; i++)
		cmdargs_add(&c->a, v[i], lens != NULL ? lens[i] : strlen(v[i]));
}

const char *
script_call_num(struct script_call *c, long long v)
{
	cmdargs_num(&c->a, v);
	/* Taken back off the vector: only its storage is wanted. */
	return c->a.v[--c->a.n];
}

const char *
script_call_take(struct script_call *c, char *s)
{
	c->owned = xreallocarray(c->owned, c->nowned + 1, sizeof *c->owned);
	return c->owned[c->nowned++] = s;
}

const char *
script_call_copy(struct script_call *c, const char *s)
{
	return script_call_take(c, xstrdup(s));
}

size_t
script_call_items(const struct script_call *c)
{
	return c->nitems;
}

int
script_call_send(struct script_call *c, struct redis_conn *rc, script_call_cb *cb, void *arg)
{
	if (c->count_slot < 0)
		fatalx("script %s: sent without head", scripts_name(c->id));
	snprintf(c->count, sizeof c->count, "%zu", c->nitems);
	c->a.v[c->count_slot] = c->count;
	c->a.lens[c->count_slot] = strlen(c->count);
	c->rc = rc;
	c->cb = cb;
	c->arg = arg;
	if (redis_conn_command(rc, script_call_reply, c, c->a.n, c->a.v, c->a.lens) != 0) {
		script_call_free(c);
		return -1;
	}
	return 0;
}

static void
script_call_reply(struct redis_conn *rc, redisReply *reply, void *privdata)
{
	struct script_call *c = privdata;

	if (reply != NULL && reply->type == REDIS_REPLY_ERROR && !c->resent &&
	    strncmp(reply->str, "NOSCRIPT", 8) == 0) {
		/* EVAL caches the script again, so later EVALSHAs find it. */
		log_info("redis lost its scripts: loading %s again", scripts_name(c->id));
		c->resent = true;
		c->a.v[0] = "EVAL";
		c->a.lens[0] = 4;
		c->a.v[1] = scripts_text(c->id);
		c->a.lens[1] = strlen(c->a.v[1]);
		if (redis_conn_command(rc, script_call_reply, c, c->a.n, c->a.v, c->a.lens) == 0)
			return;
		reply = NULL;
	}
	c->cb(reply, c->arg);
	script_call_free(c);
}

void
script_call_free(struct script_call *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->nowned; i++)
		free(c->owned[i]);
	free(c->owned);
	cmdargs_free(&c->a);
	free(c);
}

bool
script_call_error_is_transient(const char *err, size_t len)
{
	static const char *const prefixes[] = { "OOM", "READONLY", "MASTERDOWN", "LOADING", "BUSY", "NOREPLICAS",
		"MISCONF", "TRYAGAIN", "CLUSTERDOWN", "NOSCRIPT", "NOPERM", "NOAUTH", "EXECABORT" };

	for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++) {
		size_t n = strlen(prefixes[i]);

		if (len >= n && strncmp(err, prefixes[i], n) == 0 && (len == n || err[n] == ' '))
			return true;
	}
	return false;
}
