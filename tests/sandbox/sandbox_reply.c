/*
 * Sending and deferring answers. A deferred request lives in a pending
 * entry tied to its connection, with a timer (delays) and a watch on the
 * socket that notices when the client hangs up first.
 */
#include "sandbox_reply.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/event_struct.h>
#include <event2/http.h>

#include "gateway/util/log.h"
#include "gateway/util/xmalloc.h"
#include "sandbox_record.h"
#include "sandbox_stats.h"

struct sandbox_reply_pending {
	struct sandbox_reply *reply;
	struct evhttp_request *req;
	struct evhttp_connection *evcon;
	struct event timer;
	bool timed;
	struct event watch; /* readable socket: the client hung up or sent more */
	bool watching;
	int code;
	bool accepted;
	struct sandbox_message msg;
	char *strings; /* owns msg.sid, msg.to and msg.body */
	LIST_ENTRY(sandbox_reply_pending) entry;
};

struct sandbox_reply {
	struct event_base *base;
	struct sandbox_stats *stats;
	struct sandbox_record *rec;
	LIST_HEAD(, sandbox_reply_pending) pending;
};

static struct sandbox_reply_pending *sandbox_reply_defer(struct sandbox_reply *reply, struct evhttp_request *req);
static void sandbox_reply_pending_free(struct sandbox_reply_pending *p);
static void sandbox_reply_closed(struct evhttp_connection *evcon, void *arg);
static void sandbox_reply_timer_cb(evutil_socket_t fd, short what, void *arg);
static void sandbox_reply_watch_cb(evutil_socket_t fd, short what, void *arg);
static void sandbox_reply_keep(struct sandbox_reply_pending *p, int code, const struct sandbox_message *msg);
static void sandbox_reply_complete_cb(struct evhttp_request *req, void *arg);

struct sandbox_reply *
sandbox_reply_new(struct event_base *base, struct sandbox_stats *stats, struct sandbox_record *rec)
{
	struct sandbox_reply *reply = xcalloc(1, sizeof *reply);

	reply->base = base;
	reply->stats = stats;
	reply->rec = rec;
	LIST_INIT(&reply->pending);
	return reply;
}

void
sandbox_reply_free(struct sandbox_reply *reply)
{
	struct sandbox_reply_pending *p;

	if (reply == NULL)
		return;
	/*
	 * evhttp_free() closes every connection and so empties this list
	 * through sandbox_reply_closed(); anything left is only our record.
	 */
	while ((p = LIST_FIRST(&reply->pending)) != NULL)
		sandbox_reply_pending_free(p);
	free(reply);
}

const char *
sandbox_reply_reason(int code)
{
	switch (code) {
	case 200:
		return "OK";
	case 201:
		return "Created";
	case 202:
		return "Accepted";
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 409:
		return "Conflict";
	case 413:
		return "Payload Too Large";
	case 429:
		return "Too Many Requests";
	case 500:
		return "Internal Server Error";
	default:
		return "Unknown";
	}
}

void
sandbox_reply_send(struct sandbox_reply *reply, struct evhttp_request *req, int code, const struct sandbox_message *msg)
{
	sandbox_stats_count_status(reply->stats, code);
	if (msg != NULL) {
		int64_t latency = -1;

		if (msg->client_us >= 0)
			latency = msg->receipt_us > msg->client_us ? msg->receipt_us - msg->client_us : 0;
		sandbox_stats_count_accepted(reply->stats, msg->body_hash, latency);
		sandbox_stats_count_channel_accepted(reply->stats, msg->channel);
		if (reply->rec != NULL)
			sandbox_record_message(
			    reply->rec, msg->receipt_us, msg->sid, msg->to, msg->to_len, msg->body, msg->body_len);
		if (msg->hook != NULL)
			evhttp_request_set_on_complete_cb(req, sandbox_reply_complete_cb, msg->hook);
	}
	evhttp_send_reply(req, code, sandbox_reply_reason(code), NULL);
}

/* The answer's last byte went to the socket: what a provider calls "accepted". */
static void
sandbox_reply_complete_cb(struct evhttp_request *req, void *arg)
{
	struct sandbox_reply_hook *hook = arg;

	(void)req;
	hook->fn(hook, true);
}

/*
 * evhttp handles one request at a time per connection, so at most one
 * deferral per connection is outstanding and the connection's single close
 * callback can point at it. While the user holds a request evhttp neither
 * reads nor writes the connection, so it would not notice a hang-up until
 * exit: we watch the socket ourselves and, on end of file, free the
 * connection, which frees the request and calls sandbox_reply_closed().
 * Should evhttp fail the connection first, it detaches the request (its
 * connection becomes NULL) and leaves freeing it to us.
 */
static struct sandbox_reply_pending *
sandbox_reply_defer(struct sandbox_reply *reply, struct evhttp_request *req)
{
	struct sandbox_reply_pending *p = xcalloc(1, sizeof *p);
	struct bufferevent *bev;
	evutil_socket_t fd;

	p->reply = reply;
	p->req = req;
	p->evcon = evhttp_request_get_connection(req);
	evhttp_connection_set_closecb(p->evcon, sandbox_reply_closed, p);
	LIST_INSERT_HEAD(&reply->pending, p, entry);
	bev = evhttp_connection_get_bufferevent(p->evcon);
	if ((fd = bufferevent_getfd(bev)) != -1) {
		event_assign(&p->watch, reply->base, fd, EV_READ | EV_PERSIST, sandbox_reply_watch_cb, p);
		if (event_add(&p->watch, NULL) == 0)
			p->watching = true;
		else
			log_warn("cannot watch held connection; a hang-up goes unnoticed");
	}
	return p;
}

static void
sandbox_reply_pending_free(struct sandbox_reply_pending *p)
{
	/* Answered requests clear the hook first; any other end means the client never heard. */
	if (p->accepted && p->msg.hook != NULL)
		p->msg.hook->fn(p->msg.hook, false);
	if (p->timed)
		evtimer_del(&p->timer);
	if (p->watching)
		event_del(&p->watch);
	LIST_REMOVE(p, entry);
	free(p->strings);
	free(p);
}

/* Copies what the deferred answer needs; msg may be NULL. */
static void
sandbox_reply_keep(struct sandbox_reply_pending *p, int code, const struct sandbox_message *msg)
{
	size_t sid_len;
	char *s;

	p->code = code;
	if (msg == NULL)
		return;
	sid_len = strlen(msg->sid);
	s = p->strings = xmalloc(sid_len + 1 + msg->to_len + msg->body_len + 1);
	p->accepted = true;
	p->msg = *msg;
	memcpy(s, msg->sid, sid_len + 1);
	p->msg.sid = s;
	s += sid_len + 1;
	memcpy(s, msg->to, msg->to_len);
	p->msg.to = s;
	s += msg->to_len;
	memcpy(s, msg->body, msg->body_len);
	p->msg.body = s;
}

void
sandbox_reply_later(struct sandbox_reply *reply, struct evhttp_request *req, int code, unsigned int ms,
    const struct sandbox_message *msg)
{
	struct sandbox_reply_pending *p = sandbox_reply_defer(reply, req);
	struct timeval tv = { (time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000 };

	sandbox_stats_count_delayed(reply->stats);
	sandbox_reply_keep(p, code, msg);
	evtimer_assign(&p->timer, reply->base, sandbox_reply_timer_cb, p);
	if (evtimer_add(&p->timer, &tv) == -1) {
		/* Without a timer the delay cannot happen; answer at once rather than never. */
		log_warn("cannot arm delay timer delay_ms=%u", ms);
		sandbox_reply_timer_cb(-1, 0, p);
		return;
	}
	p->timed = true;
}

void
sandbox_reply_never(struct sandbox_reply *reply, struct evhttp_request *req)
{
	(void)sandbox_reply_defer(reply, req);
	sandbox_stats_count_held(reply->stats);
}

struct sandbox_reply_pending *
sandbox_reply_hold(struct sandbox_reply *reply, struct evhttp_request *req, int code, const struct sandbox_message *msg)
{
	struct sandbox_reply_pending *p = sandbox_reply_defer(reply, req);

	sandbox_reply_keep(p, code, msg);
	return p;
}

void
sandbox_reply_release(struct sandbox_reply_pending *p)
{
	sandbox_reply_timer_cb(-1, 0, p);
}

static void
sandbox_reply_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sandbox_reply_pending *p = arg;
	struct sandbox_reply *reply = p->reply;
	struct evhttp_request *req = p->req;
	int code = p->code;

	(void)fd;
	(void)what;
	if (p->timed)
		evtimer_del(&p->timer);
	p->timed = false;
	if (p->watching)
		event_del(&p->watch);
	p->watching = false;
	/* The connection outlives this reply; it must not call back into p. */
	evhttp_connection_set_closecb(p->evcon, NULL, NULL);
	sandbox_reply_send(reply, req, code, p->accepted ? &p->msg : NULL);
	p->msg.hook = NULL; /* now the answer's completion tells it */
	sandbox_reply_pending_free(p);
}

static void
sandbox_reply_closed(struct evhttp_connection *evcon, void *arg)
{
	struct sandbox_reply_pending *p = arg;

	(void)evcon;
	sandbox_stats_count_abandoned(p->reply->stats);
	/* Detached by evhttp when the client hung up: nobody else will free it. */
	if (evhttp_request_get_connection(p->req) == NULL)
		evhttp_request_free(p->req);
	sandbox_reply_pending_free(p);
}

static void
sandbox_reply_watch_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sandbox_reply_pending *p = arg;
	ssize_t n;
	char c;

	(void)what;
	n = recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	if (n > 0) {
		/* A pipelined request: evhttp reads it after our answer. Stop watching. */
		event_del(&p->watch);
		p->watching = false;
		return;
	}
	/* End of file or a reset: frees the request and calls sandbox_reply_closed(). */
	evhttp_connection_free(p->evcon);
}
