/*
 * Reconnecting hiredis async connection. hiredis 0.14 has no command
 * timeouts, so a watchdog timer cuts a connection whose oldest outstanding
 * command has waited too long; reconnects back off from 100 ms to 5 s so an
 * absent Redis never turns into a busy loop. hiredis frees its context after
 * the disconnect callback, so the pointer is cleared there.
 */
#include "queues/redis_conn.h"

#include <hiredis/adapters/libevent.h>
#include <hiredis/async.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gateway/util/log.h"
#include "gateway/util/xmalloc.h"

#define REDIS_CONN_BACKOFF_MIN_MS 100
#define REDIS_CONN_BACKOFF_MAX_MS 5000

struct redis_conn {
	struct event_base *base;
	struct redis_target target;
	char *name;
	redisAsyncContext *ac;
	bool up; /* connected and usable */
	bool ever_up;
	bool ever_up_since_connect; /* this connection reached "up" */
	bool freeing;
	long backoff_ms;
	long reply_timeout_ms;
	size_t outstanding;
	long long last_progress_ms; /* last reply, or when the first command went out */
	unsigned long reconnects;
	struct event *retry_ev;
	struct event *watchdog_ev;
	redis_conn_up_cb *up_cb;
	redis_conn_down_cb *down_cb;
	void *arg;
};

struct redis_conn_call {
	struct redis_conn *rc;
	redis_conn_reply_cb *cb;
	void *privdata;
};

static void redis_conn_connect(struct redis_conn *rc);
static void redis_conn_schedule_retry(struct redis_conn *rc);
static void redis_conn_on_connect(const redisAsyncContext *ac, int status);
static void redis_conn_on_disconnect(const redisAsyncContext *ac, int status);
static void redis_conn_retry_cb(evutil_socket_t fd, short what, void *arg);
static void redis_conn_watchdog_cb(evutil_socket_t fd, short what, void *arg);
static void redis_conn_reply(redisAsyncContext *ac, void *reply, void *privdata);
static void redis_conn_lost(struct redis_conn *rc, const char *why);
static long long redis_conn_now_ms(void);
static void redis_conn_setup_reply(redisAsyncContext *ac, void *reply, void *privdata);
static void redis_conn_name_reply(redisAsyncContext *ac, void *reply, void *privdata);

static long long
redis_conn_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct redis_conn *
redis_conn_new(struct event_base *base, const struct redis_target *t, const char *name, long reply_timeout_ms,
    redis_conn_up_cb *up, redis_conn_down_cb *down, void *arg)
{
	struct redis_conn *rc = xcalloc(1, sizeof *rc);
	struct timeval tv = { 1, 0 };

	rc->base = base;
	rc->target.host = t->host != NULL ? xstrdup(t->host) : NULL;
	rc->target.port = t->port;
	rc->target.path = t->path != NULL ? xstrdup(t->path) : NULL;
	rc->target.user = t->user != NULL ? xstrdup(t->user) : NULL;
	rc->target.password = t->password != NULL ? xstrdup(t->password) : NULL;
	rc->target.db = t->db;
	rc->name = xstrdup(name);
	rc->reply_timeout_ms = reply_timeout_ms;
	rc->backoff_ms = REDIS_CONN_BACKOFF_MIN_MS;
	rc->up_cb = up;
	rc->down_cb = down;
	rc->arg = arg;
	rc->retry_ev = evtimer_new(base, redis_conn_retry_cb, rc);
	rc->watchdog_ev = event_new(base, -1, EV_PERSIST, redis_conn_watchdog_cb, rc);
	if (rc->retry_ev == NULL || rc->watchdog_ev == NULL)
		fatalx("redis_conn_new: cannot create timers");
	evtimer_add(rc->watchdog_ev, &tv);
	return rc;
}

void
redis_conn_start(struct redis_conn *rc)
{
	redis_conn_connect(rc);
}

static void
redis_conn_connect(struct redis_conn *rc)
{
	redisAsyncContext *ac;

	if (rc->target.path != NULL)
		ac = redisAsyncConnectUnix(rc->target.path);
	else
		ac = redisAsyncConnect(rc->target.host, rc->target.port);
	if (ac == NULL) {
		log_warn("redis connect failed conn=%s reason=\"cannot allocate context\"", rc->name);
		redis_conn_schedule_retry(rc);
		return;
	}
	if (ac->err != 0) {
		log_warn("redis connect failed conn=%s reason=\"%s\"", rc->name, ac->errstr);
		redisAsyncFree(ac);
		redis_conn_schedule_retry(rc);
		return;
	}
	ac->data = rc;
	if (redisLibeventAttach(ac, rc->base) != REDIS_OK) {
		log_warn("redis connect failed conn=%s reason=\"cannot attach to event loop\"", rc->name);
		redisAsyncFree(ac);
		redis_conn_schedule_retry(rc);
		return;
	}
	redisAsyncSetConnectCallback(ac, redis_conn_on_connect);
	redisAsyncSetDisconnectCallback(ac, redis_conn_on_disconnect);
	rc->ac = ac;
}

static void
redis_conn_schedule_retry(struct redis_conn *rc)
{
	struct timeval tv;

	if (rc->freeing)
		return;
	tv.tv_sec = rc->backoff_ms / 1000;
	tv.tv_usec = (rc->backoff_ms % 1000) * 1000;
	evtimer_add(rc->retry_ev, &tv);
	rc->backoff_ms *= 2;
	if (rc->backoff_ms > REDIS_CONN_BACKOFF_MAX_MS)
		rc->backoff_ms = REDIS_CONN_BACKOFF_MAX_MS;
}

static void
redis_conn_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	redis_conn_connect(arg);
}

/* AUTH and SELECT failures are configuration errors: say so and cut the connection. */
static void
redis_conn_setup_reply(redisAsyncContext *ac, void *reply, void *privdata)
{
	redisReply *r = reply;

	(void)privdata;
	if (r != NULL && r->type == REDIS_REPLY_ERROR) {
		log_error("redis setup refused conn=%s reason=\"%.*s\"", ((struct redis_conn *)ac->data)->name,
		    (int)r->len, r->str);
		redisAsyncDisconnect(ac);
	}
}

/* A name refused (an ACL without CLIENT) costs only the name. */
static void
redis_conn_name_reply(redisAsyncContext *ac, void *reply, void *privdata)
{
	redisReply *r = reply;

	(void)privdata;
	if (r != NULL && r->type == REDIS_REPLY_ERROR)
		log_warn("redis refused the connection's name conn=%s reason=\"%.*s\"",
		    ((struct redis_conn *)ac->data)->name, (int)r->len, r->str);
}

static void
redis_conn_on_connect(const redisAsyncContext *cac, int status)
{
	redisAsyncContext *ac = (redisAsyncContext *)cac;
	struct redis_conn *rc = ac->data;
	char db[16];

	if (status != REDIS_OK) {
		/* hiredis frees the context after this callback. */
		log_warn("redis connect failed conn=%s reason=\"%s\"", rc->name, ac->errstr);
		rc->ac = NULL;
		redis_conn_schedule_retry(rc);
		return;
	}
	if (rc->ever_up)
		rc->reconnects++;
	rc->ever_up = true;
	rc->ever_up_since_connect = true;
	rc->up = true;
	rc->backoff_ms = REDIS_CONN_BACKOFF_MIN_MS;
	rc->outstanding = 0;
	log_info("redis connected conn=%s", rc->name);
	if (rc->target.password != NULL && rc->target.user != NULL)
		redisAsyncCommand(ac, redis_conn_setup_reply, NULL, "AUTH %s %s", rc->target.user, rc->target.password);
	else if (rc->target.password != NULL)
		redisAsyncCommand(ac, redis_conn_setup_reply, NULL, "AUTH %s", rc->target.password);
	if (rc->target.db != 0) {
		snprintf(db, sizeof db, "%d", rc->target.db);
		redisAsyncCommand(ac, redis_conn_setup_reply, NULL, "SELECT %s", db);
	}
	/* CLIENT LIST then tells an operator which connection is which. */
	redisAsyncCommand(ac, redis_conn_name_reply, NULL, "CLIENT SETNAME amuddu-%s", rc->name);
	if (rc->up_cb != NULL)
		rc->up_cb(rc, rc->arg);
}

static void
redis_conn_on_disconnect(const redisAsyncContext *cac, int status)
{
	struct redis_conn *rc = cac->data;

	rc->ac = NULL;
	redis_conn_lost(rc, status == REDIS_OK ? "closed" : cac->errstr);
}

static void
redis_conn_lost(struct redis_conn *rc, const char *why)
{
	bool was_up = rc->ever_up_since_connect;

	rc->ever_up_since_connect = false;
	rc->up = false;
	rc->outstanding = 0;
	if (rc->freeing)
		return;
	log_warn("redis connection lost conn=%s reason=\"%s\"", rc->name, why);
	if (was_up && rc->down_cb != NULL)
		rc->down_cb(rc, rc->arg);
	redis_conn_schedule_retry(rc);
}

static void
redis_conn_watchdog_cb(evutil_socket_t fd, short what, void *arg)
{
	struct redis_conn *rc = arg;
	redisAsyncContext *ac;

	(void)fd;
	(void)what;
	if (!rc->up || rc->ac == NULL || rc->outstanding == 0)
		return;
	if (redis_conn_now_ms() - rc->last_progress_ms < rc->reply_timeout_ms)
		return;
	log_warn("redis not answering conn=%s waited_ms=%lld outstanding=%zu", rc->name,
	    redis_conn_now_ms() - rc->last_progress_ms, rc->outstanding);
	/* Freeing fails every pending callback with NULL, then calls on_disconnect. */
	rc->up = false;
	ac = rc->ac;
	redisAsyncFree(ac);
	if (rc->ac != NULL) {
		/* on_disconnect was not called (hiredis does so only when connected). */
		rc->ac = NULL;
		redis_conn_lost(rc, "reply timeout");
	}
}

static void
redis_conn_reply(redisAsyncContext *ac, void *reply, void *privdata)
{
	struct redis_conn_call *call = privdata;
	struct redis_conn *rc = call->rc;

	(void)ac;
	if (reply == NULL)
		rc->up = false; /* the connection is going: no new commands on it */
	if (rc->outstanding > 0)
		rc->outstanding--;
	rc->last_progress_ms = redis_conn_now_ms();
	call->cb(rc, reply, call->privdata);
	free(call);
}

int
redis_conn_command(
    struct redis_conn *rc, redis_conn_reply_cb *cb, void *privdata, int argc, const char **argv, const size_t *lens)
{
	struct redis_conn_call *call;

	if (!rc->up || rc->ac == NULL)
		return -1;
	call = xmalloc(sizeof *call);
	call->rc = rc;
	call->cb = cb;
	call->privdata = privdata;
	if (redisAsyncCommandArgv(rc->ac, redis_conn_reply, call, argc, argv, lens) != REDIS_OK) {
		free(call);
		return -1;
	}
	if (rc->outstanding++ == 0)
		rc->last_progress_ms = redis_conn_now_ms();
	return 0;
}

bool
redis_conn_is_up(const struct redis_conn *rc)
{
	return rc->up;
}

unsigned long
redis_conn_reconnects(const struct redis_conn *rc)
{
	return rc->reconnects;
}

size_t
redis_conn_outstanding(const struct redis_conn *rc)
{
	return rc->outstanding;
}

void
redis_conn_free(struct redis_conn *rc)
{
	if (rc == NULL)
		return;
	rc->freeing = true;
	if (rc->ac != NULL) {
		redisAsyncContext *ac = rc->ac;

		rc->ac = NULL;
		redisAsyncFree(ac);
	}
	event_free(rc->retry_ev);
	event_free(rc->watchdog_ev);
	redis_target_free(&rc->target);
	free(rc->name);
	free(rc);
}
