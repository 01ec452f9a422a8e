/*
 * One hiredis async connection on the libevent loop that reconnects by
 * itself with backoff, authenticates and selects the database, and is cut
 * when Redis stops answering. Owned by its creator; redis_conn_free().
 */
#ifndef AMUDDU_REDIS_CONN_H
#define AMUDDU_REDIS_CONN_H

#include <stdbool.h>
#include <stddef.h>

#include <event2/event.h>
#include <hiredis/hiredis.h>

#include "queues/redis_url.h"

struct redis_conn;

/* Called after each successful (re)connect, once AUTH and SELECT are queued. */
typedef void redis_conn_up_cb(struct redis_conn *rc, void *arg);
/* Called after a connection is lost; every pending reply has been failed with NULL. */
typedef void redis_conn_down_cb(struct redis_conn *rc, void *arg);
/* A command's reply; reply is NULL when the connection was lost. */
typedef void redis_conn_reply_cb(struct redis_conn *rc, redisReply *reply, void *privdata);

/*
 * reply_timeout_ms: a connection with a command outstanding and no reply
 * for this long is cut and reconnected (the caller adds any BLOCK time).
 */
struct redis_conn *redis_conn_new(struct event_base *base, const struct redis_target *t, const char *name,
    long reply_timeout_ms, redis_conn_up_cb *up, redis_conn_down_cb *down, void *arg);
void redis_conn_start(struct redis_conn *rc);
void redis_conn_free(struct redis_conn *rc);
bool redis_conn_is_up(const struct redis_conn *rc);
/* Number of reconnects after the first connection, for metrics. */
unsigned long redis_conn_reconnects(const struct redis_conn *rc);
/* Number of commands sent and not yet answered. */
size_t redis_conn_outstanding(const struct redis_conn *rc);

/*
 * Sends a command. Returns 0 when queued (cb will be called exactly once),
 * -1 when the connection is down (cb will not be called).
 */
int redis_conn_command(struct redis_conn *rc, redis_conn_reply_cb *cb, void *privdata, int argc, const char **argv,
    const size_t *lens) __attribute__((warn_unused_result));

#endif
