/*
 * Bounds on the HTTP server's connections. evhttp 2.1 offers no hook
 * between accept and a whole request, so each connection gets its
 * bufferevent from here (evhttp_set_bevcb) with callbacks on its buffers:
 * the input side starts a request's deadline at its first byte, the output
 * side sees the gateway answer and evhttp refuse (413 and other 4xx) on its
 * own. Owns one struct http_conn per connection, freed from evhttp's close
 * callback.
 */
#include "gateway/http_conns.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/resource.h>

#include "gateway/util/log.h"
#include "gateway/util/xmalloc.h"

/*
 * Accepts in one loop turn. The listener would otherwise take its whole
 * backlog at once, and a burst bigger than max_connections would evict a
 * provider's connection accepted at its start before its request is read.
 */
#define HTTP_CONNS_ACCEPT_BATCH 32
/* Descriptors the rest of the gateway needs beside these connections: Redis, provider transfers, logs. */
#define HTTP_CONNS_RESERVED_FDS 128
/* Where the soft descriptor limit goes when the hard one is unlimited. */
#define HTTP_CONNS_NOFILE_CEILING 1048576
/* Dropped and refused requests are logged once, then summed up this often. */
#define HTTP_CONNS_REPORT_S 10

enum http_conn_phase {
	HTTP_CONN_PENDING,   /* accepted; evhttp's connection not yet known */
	HTTP_CONN_READING,   /* waiting for a request, or reading one */
	HTTP_CONN_HANDLED,   /* its request is with the gateway */
	HTTP_CONN_ANSWERING, /* the gateway's answer is being written */
	HTTP_CONN_REFUSED,   /* evhttp refused the request itself and closes */
};

struct http_conn {
	struct http_conns *hc;
	struct bufferevent *bev;
	struct evhttp_connection *evcon;
	evutil_socket_t fd;
	enum http_conn_phase phase;
	bool started; /* a byte of the next request has come: its deadline runs */
	struct event *deadline;
	struct evbuffer_cb_entry *in_cb, *out_cb;
	char line[64]; /* the start of the request line, which names the provider */
	size_t linelen;
	bool line_done;
	bool import;                  /* this request is a contacts import holding one of the larger limits */
	TAILQ_ENTRY(http_conn) entry; /* in pending, else in queue unless HANDLED */
};
TAILQ_HEAD(http_conn_list, http_conn);

struct http_conns {
	struct event_base *base;
	struct evconnlistener *listener;
	struct metrics *mt;
	size_t max;
	struct timeval timeout;
	const struct timeval *deadline_tv; /* timeout, as a libevent common timeout */
	struct http_conn_list pending;
	struct http_conn_list queue; /* every connection not HANDLED, oldest first: the next to make room */
	size_t n;                    /* open connections */
	struct http_conn **by_fd;
	size_t nfd;
	struct event *turn_ev, *resume_ev, *report_ev;
	int accepted; /* in this loop turn */
	bool batch_full, paused;
	unsigned long long since[METRICS_WEBHOOK_COUNT]; /* dropped since the last report */
	long default_max, import_max;                    /* body limits: every request's, a contacts import's */
	size_t import_slots, import_active;              /* imports with the larger limit: at most, now */
	struct timeval import_timeout;
	LIST_ENTRY(http_conns) all;
};

/* The listener's callback argument belongs to evhttp: its accept errors find their server here. */
static LIST_HEAD(, http_conns) http_conns_all = LIST_HEAD_INITIALIZER(http_conns_all);

static struct bufferevent *http_conns_bev_cb(struct event_base *base, void *arg);
static void http_conns_turn_cb(evutil_socket_t fd, short what, void *arg);
static void http_conns_attach(struct http_conns *hc, struct http_conn *c);
static void http_conns_accept_error_cb(struct evconnlistener *l, void *arg);
static void http_conns_resume_cb(evutil_socket_t fd, short what, void *arg);
static void http_conns_report_cb(evutil_socket_t fd, short what, void *arg);
static void http_conns_count(struct http_conns *hc, const struct http_conn *c, enum metrics_webhook result);
static const char *http_conns_result_name(enum metrics_webhook result);
static void http_conns_raise_nofile(size_t max);
static void http_conn_input_cb(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg);
static void http_conn_output_cb(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg);
static void http_conn_start(struct http_conn *c);
static void http_conn_capture(struct http_conn *c);
static void http_conn_limits(struct http_conn *c);
static void http_conn_limits_end(struct http_conn *c);
static void http_conn_refused(struct http_conn *c, struct evbuffer *out, size_t offset);
static size_t http_conn_provider(const struct http_conn *c, const struct metrics *mt, char *name, size_t namelen);
static void http_conn_deadline_cb(evutil_socket_t fd, short what, void *arg);
static void http_conn_closed_cb(struct evhttp_connection *evcon, void *arg);
static void http_conn_drop(struct http_conn *c, enum metrics_webhook result);
static void http_conn_free(struct http_conn *c);

struct http_conns *
http_conns_new(struct event_base *base, struct evhttp *evh, struct evconnlistener *listener, struct metrics *mt,
    const struct http_settings *s)
{
	struct http_conns *hc = xcalloc(1, sizeof *hc);
	long request_timeout_ms = s->request_timeout_ms;

	hc->base = base;
	hc->listener = listener;
	hc->mt = mt;
	hc->max = s->max_connections > 0 ? (size_t)s->max_connections : 1;
	hc->default_max = s->max_body_bytes;
	hc->import_max = s->import_max_bytes;
	hc->import_slots = s->import_connections > 0 ? (size_t)s->import_connections : 0;
	hc->import_timeout.tv_sec = s->import_timeout_ms / 1000;
	hc->import_timeout.tv_usec = (s->import_timeout_ms % 1000) * 1000;
	TAILQ_INIT(&hc->pending);
	TAILQ_INIT(&hc->queue);
	hc->timeout.tv_sec = request_timeout_ms / 1000;
	hc->timeout.tv_usec = (request_timeout_ms % 1000) * 1000;
	/* Every deadline has the same length: libevent keeps them in a list rather than its heap. */
	if ((hc->deadline_tv = event_base_init_common_timeout(base, &hc->timeout)) == NULL)
		hc->deadline_tv = &hc->timeout;
	hc->turn_ev = event_new(base, -1, 0, http_conns_turn_cb, hc);
	hc->resume_ev = evtimer_new(base, http_conns_resume_cb, hc);
	hc->report_ev = evtimer_new(base, http_conns_report_cb, hc);
	if (hc->turn_ev == NULL || hc->resume_ev == NULL || hc->report_ev == NULL)
		fatalx("out of memory for the HTTP server's events");
	http_conns_raise_nofile(hc->max);
	evhttp_set_bevcb(evh, http_conns_bev_cb, hc);
	evconnlistener_set_error_cb(listener, http_conns_accept_error_cb);
	LIST_INSERT_HEAD(&http_conns_all, hc, all);
	return hc;
}

void
http_conns_free(struct http_conns *hc)
{
	struct http_conn *c;

	if (hc == NULL)
		return;
	/* evhttp_free() closed the attached ones; these it freed before they were attached. */
	while ((c = TAILQ_FIRST(&hc->pending)) != NULL) {
		TAILQ_REMOVE(&hc->pending, c, entry);
		http_conn_free(c);
	}
	if (hc->n > 0)
		log_warn("http: %zu connections left when the server was freed", hc->n);
	if (evtimer_pending(hc->report_ev, NULL))
		http_conns_report_cb(-1, 0, hc);
	LIST_REMOVE(hc, all);
	event_free(hc->turn_ev);
	event_free(hc->resume_ev);
	event_free(hc->report_ev);
	free(hc->by_fd);
	free(hc);
}

void
http_conns_handled(struct http_conns *hc, struct evhttp_request *req)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	struct bufferevent *bev = evcon != NULL ? evhttp_connection_get_bufferevent(evcon) : NULL;
	evutil_socket_t fd = bev != NULL ? bufferevent_getfd(bev) : -1;
	struct http_conn *c = fd >= 0 && (size_t)fd < hc->nfd ? hc->by_fd[fd] : NULL;

	if (c == NULL || c->evcon != evcon || c->phase != HTTP_CONN_READING) {
		log_warn("http: a request on a connection that is not watched fd=%d", (int)fd);
		return;
	}
	TAILQ_REMOVE(&hc->queue, c, entry);
	c->phase = HTTP_CONN_HANDLED;
	c->started = false;
	c->linelen = 0;
	c->line_done = false;
	evtimer_del(c->deadline);
	/* The next request on this connection has the common limit; the body stays held until answered. */
	if (c->import)
		evhttp_connection_set_max_body_size(c->evcon, (ev_ssize_t)hc->default_max);
}

/*
 * A connection accepted: its bufferevent is made here so that its buffers
 * can be watched. evhttp has not made its own connection yet; the turn
 * callback, right after the accepts, attaches to it.
 */
static struct bufferevent *
http_conns_bev_cb(struct event_base *base, void *arg)
{
	struct http_conns *hc = arg;
	struct http_conn *c = xcalloc(1, sizeof *c);

	/* No BEV_OPT_CLOSE_ON_FREE, as evhttp's own: it closes the socket itself. */
	if ((c->bev = bufferevent_socket_new(base, -1, 0)) == NULL ||
	    (c->deadline = evtimer_new(base, http_conn_deadline_cb, c)) == NULL ||
	    (c->in_cb = evbuffer_add_cb(bufferevent_get_input(c->bev), http_conn_input_cb, c)) == NULL ||
	    (c->out_cb = evbuffer_add_cb(bufferevent_get_output(c->bev), http_conn_output_cb, c)) == NULL)
		fatalx("out of memory for an HTTP connection");
	/* Held until attached, in case evhttp frees it before then. */
	bufferevent_incref(c->bev);
	c->hc = hc;
	c->fd = -1;
	c->phase = HTTP_CONN_PENDING;
	TAILQ_INSERT_TAIL(&hc->pending, c, entry);
	hc->n++;
	event_active(hc->turn_ev, EV_TIMEOUT, 1);
	if (++hc->accepted >= HTTP_CONNS_ACCEPT_BATCH && !hc->paused) {
		evconnlistener_disable(hc->listener);
		hc->batch_full = true;
	}
	return c->bev;
}

/* After a run of accepts: attach to the new connections, make room under the cap, accept again. */
static void
http_conns_turn_cb(evutil_socket_t fd, short what, void *arg)
{
	struct http_conns *hc = arg;
	struct http_conn *c;

	(void)fd;
	(void)what;
	while ((c = TAILQ_FIRST(&hc->pending)) != NULL) {
		TAILQ_REMOVE(&hc->pending, c, entry);
		http_conns_attach(hc, c);
	}
	/* The longest wait without a whole request is least likely a provider's (imports are long by nature). */
	while (hc->n > hc->max) {
		for (c = TAILQ_FIRST(&hc->queue); c != NULL && c->import; c = TAILQ_NEXT(c, entry)) {
		}
		if (c == NULL)
			break; /* only imports left */
		http_conn_drop(c, METRICS_WEBHOOK_EVICTED);
	}
	hc->accepted = 0;
	if (hc->batch_full) {
		hc->batch_full = false;
		if (!hc->paused)
			evconnlistener_enable(hc->listener);
	}
}

static void
http_conns_attach(struct http_conns *hc, struct http_conn *c)
{
	void *evcon = NULL;

	bufferevent_getcb(c->bev, NULL, NULL, NULL, &evcon);
	c->fd = bufferevent_getfd(c->bev);
	if (evcon == NULL || evhttp_connection_get_bufferevent(evcon) != c->bev || c->fd < 0) {
		/* evhttp gave up on it already (bufferevent_free() clears the callbacks). */
		c->fd = -1;
		http_conn_free(c);
		return;
	}
	c->evcon = evcon;
	if ((size_t)c->fd >= hc->nfd) {
		size_t n = hc->nfd > 0 ? hc->nfd : 256;

		while (n <= (size_t)c->fd)
			n *= 2;
		hc->by_fd = xreallocarray(hc->by_fd, n, sizeof *hc->by_fd);
		memset(hc->by_fd + hc->nfd, 0, (n - hc->nfd) * sizeof *hc->by_fd);
		hc->nfd = n;
	}
	hc->by_fd[c->fd] = c;
	evhttp_connection_set_closecb(c->evcon, http_conn_closed_cb, c);
	bufferevent_decref(c->bev);
	c->phase = HTTP_CONN_READING;
	TAILQ_INSERT_TAIL(&hc->queue, c, entry);
	if (evbuffer_get_length(bufferevent_get_input(c->bev)) > 0)
		http_conn_start(c);
}

/*
 * Out of descriptors or kernel memory (or any error but those libevent
 * retries itself), accept would fail again at once and the loop would
 * spin: stop accepting for a second instead, as tmux and OpenBSD httpd do.
 * Waiting connections stay in the kernel's backlog.
 */
static void
http_conns_accept_error_cb(struct evconnlistener *l, void *arg)
{
	int err = EVUTIL_SOCKET_ERROR();
	struct timeval tv = { 1, 0 };
	struct http_conns *hc;

	(void)arg; /* evhttp's */
	LIST_FOREACH(hc, &http_conns_all, all)
	{
		if (hc->listener == l)
			break;
	}
	if (hc == NULL) {
		log_warn("http: accept failed (%s)", strerror(err));
		return;
	}
	log_warn("http: accept failed (%s): pausing for 1 s open=%zu", strerror(err), hc->n);
	evconnlistener_disable(l);
	hc->paused = true;
	evtimer_add(hc->resume_ev, &tv);
}

static void
http_conns_resume_cb(evutil_socket_t fd, short what, void *arg)
{
	struct http_conns *hc = arg;

	(void)fd;
	(void)what;
	hc->paused = false;
	evconnlistener_enable(hc->listener);
}

static void
http_conns_report_cb(evutil_socket_t fd, short what, void *arg)
{
	struct http_conns *hc = arg;
	const unsigned long long *s = hc->since;

	(void)fd;
	(void)what;
	if (s[METRICS_WEBHOOK_TOO_LARGE] > 0 || s[METRICS_WEBHOOK_BAD_REQUEST] > 0 || s[METRICS_WEBHOOK_TIMEOUT] > 0 ||
	    s[METRICS_WEBHOOK_EVICTED] > 0)
		log_warn(
		    "http: more requests not taken lately too_large=%llu bad_request=%llu timeout=%llu evicted=%llu "
		    "open=%zu max_connections=%zu",
		    s[METRICS_WEBHOOK_TOO_LARGE], s[METRICS_WEBHOOK_BAD_REQUEST], s[METRICS_WEBHOOK_TIMEOUT],
		    s[METRICS_WEBHOOK_EVICTED], hc->n, hc->max);
	memset(hc->since, 0, sizeof hc->since);
}

/* Counts a request dropped or refused; the log has the first one, then a sum every few seconds. */
static void
http_conns_count(struct http_conns *hc, const struct http_conn *c, enum metrics_webhook result)
{
	struct timeval tv = { HTTP_CONNS_REPORT_S, 0 };
	char name[32];
	size_t p = http_conn_provider(c, hc->mt, name, sizeof name);

	metrics_count_webhook(hc->mt, p, result);
	if (evtimer_pending(hc->report_ev, NULL)) {
		hc->since[result]++;
		return;
	}
	log_info("http: request not taken result=%s provider=%s open=%zu", http_conns_result_name(result),
	    p != METRICS_NO_PROVIDER ? name : "none", hc->n);
	evtimer_add(hc->report_ev, &tv);
}

static const char *
http_conns_result_name(enum metrics_webhook result)
{
	switch (result) {
	case METRICS_WEBHOOK_TOO_LARGE:
		return "too_large";
	case METRICS_WEBHOOK_BAD_REQUEST:
		return "bad_request";
	case METRICS_WEBHOOK_TIMEOUT:
		return "timeout";
	case METRICS_WEBHOOK_EVICTED:
		return "evicted";
	default:
		return "other";
	}
}

/*
 * The gateway waits on descriptors with epoll and poll, never select()
 * (the reason soft limits default to 1,024), and bounds its own use, so
 * the soft limit is raised to the hard one at start, as Redis raises it
 * for maxclients and nginx for worker_rlimit_nofile. When even the hard
 * limit is too low, accept pauses whenever descriptors run out.
 */
static void
http_conns_raise_nofile(size_t max)
{
	struct rlimit rl;
	rlim_t old;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return;
	old = rl.rlim_cur;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max == RLIM_INFINITY ? HTTP_CONNS_NOFILE_CEILING : rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) == 0)
			log_info("http: descriptor limit raised from %llu to %llu", (unsigned long long)old,
			    (unsigned long long)rl.rlim_cur);
		else
			rl.rlim_cur = old;
	}
	if (rl.rlim_cur < (rlim_t)max + HTTP_CONNS_RESERVED_FDS)
		log_warn("http: descriptor limit %llu is under max_connections=%zu + %d for the rest of the gateway: "
			 "accept will pause when they run out (raise the hard limit: LimitNOFILE=, ulimit -Hn)",
		    (unsigned long long)rl.rlim_cur, max, HTTP_CONNS_RESERVED_FDS);
}

static void
http_conn_input_cb(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
	struct http_conn *c = arg;

	(void)buf;
	if (info->n_added == 0)
		return;
	if (!c->started && (c->phase == HTTP_CONN_READING || c->phase == HTTP_CONN_ANSWERING))
		http_conn_start(c);
	else if (c->started && !c->line_done)
		http_conn_capture(c);
}

/*
 * Additions while the request is with the gateway are its answer; while
 * the request is being read, only evhttp answers, to refuse it. The answer
 * written out, the connection reads its next request.
 */
static void
http_conn_output_cb(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
	struct http_conn *c = arg;

	if (info->n_added > 0) {
		if (c->phase == HTTP_CONN_HANDLED) {
			c->phase = HTTP_CONN_ANSWERING;
			TAILQ_INSERT_TAIL(&c->hc->queue, c, entry);
		} else if (c->phase == HTTP_CONN_READING)
			http_conn_refused(c, buf, info->orig_size);
		return;
	}
	if (c->phase == HTTP_CONN_ANSWERING && evbuffer_get_length(buf) == 0) {
		c->phase = HTTP_CONN_READING;
		/* The import answered, its body freed with its request: its place is free. */
		http_conn_limits_end(c);
		/* The next request may have come with the last one, in the same read. */
		if (!c->started && evbuffer_get_length(bufferevent_get_input(c->bev)) > 0)
			http_conn_start(c);
	}
}

/* The first byte of a request: its deadline starts. */
static void
http_conn_start(struct http_conn *c)
{
	c->started = true;
	evtimer_add(c->deadline, c->hc->deadline_tv);
	http_conn_capture(c);
}

/* evhttp consumes the request line only once it is whole, so until then it is at the start of the input. */
static void
http_conn_capture(struct http_conn *c)
{
	ev_ssize_t n = evbuffer_copyout(bufferevent_get_input(c->bev), c->line, sizeof c->line - 1);

	c->linelen = n > 0 ? (size_t)n : 0;
	c->line[c->linelen] = '\0';
	c->line_done = c->linelen == sizeof c->line - 1 || memchr(c->line, '\n', c->linelen) != NULL;
	if (c->line_done)
		http_conn_limits(c);
}

/* A contacts import (known by its request line, before its headers) gets the larger limits while a place is free. */
static void
http_conn_limits(struct http_conn *c)
{
	static const char import[] = "POST /v1/contacts/import";
	struct http_conns *hc = c->hc;
	size_t n = sizeof import - 1;

	if (c->import || hc->import_max <= hc->default_max || hc->import_active >= hc->import_slots)
		return;
	if (c->linelen <= n || memcmp(c->line, import, n) != 0 || (c->line[n] != ' ' && c->line[n] != '?'))
		return;
	c->import = true;
	hc->import_active++;
	evhttp_connection_set_max_body_size(c->evcon, (ev_ssize_t)hc->import_max);
	evtimer_add(c->deadline, &hc->import_timeout);
}

/* The import answered (or its connection gone): its place goes to the next one. */
static void
http_conn_limits_end(struct http_conn *c)
{
	if (!c->import)
		return;
	c->import = false;
	c->hc->import_active--;
}

/*
 * evhttp answers a request it is reading: the status line says why (100
 * Continue is no refusal). The bufferevent keeps its output's start frozen,
 * which evbuffer_copyout() refuses, so the line is peeked at in place.
 */
static void
http_conn_refused(struct http_conn *c, struct evbuffer *out, size_t offset)
{
	struct evbuffer_iovec vec[2];
	struct evbuffer_ptr pos;
	char head[16];
	size_t n = 0;
	int nvec, code;

	if (evbuffer_ptr_set(out, &pos, offset, EVBUFFER_PTR_SET) != 0 ||
	    (nvec = evbuffer_peek(out, (ev_ssize_t)sizeof head - 1, &pos, vec, 2)) < 1)
		return;
	for (int i = 0; i < nvec && i < 2 && n < sizeof head - 1; i++) {
		size_t take = vec[i].iov_len < sizeof head - 1 - n ? vec[i].iov_len : sizeof head - 1 - n;

		memcpy(head + n, vec[i].iov_base, take);
		n += take;
	}
	head[n] = '\0';
	if (n < 12)
		return;
	if (strncmp(head, "HTTP/", 5) != 0 || (code = atoi(head + 9)) < 200)
		return;
	c->phase = HTTP_CONN_REFUSED;
	evtimer_del(c->deadline);
	http_conns_count(c->hc, c, code == 413 ? METRICS_WEBHOOK_TOO_LARGE : METRICS_WEBHOOK_BAD_REQUEST);
}

/* The provider a request names in its path (/webhooks/<name>...), or METRICS_NO_PROVIDER; its name in name. */
static size_t
http_conn_provider(const struct http_conn *c, const struct metrics *mt, char *name, size_t namelen)
{
	const char *p = memchr(c->line, ' ', c->linelen), *end;
	size_t n;

	if (p == NULL || strncmp(p + 1, "/webhooks/", 10) != 0)
		return METRICS_NO_PROVIDER;
	p += 11;
	end = p + strcspn(p, "/? \r\n");
	n = (size_t)(end - p);
	/* A name cut short by the end of what was captured is no name. */
	if (*end == '\0' || n == 0 || n >= namelen)
		return METRICS_NO_PROVIDER;
	memcpy(name, p, n);
	name[n] = '\0';
	return metrics_provider_find(mt, name);
}

static void
http_conn_deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	http_conn_drop(arg, METRICS_WEBHOOK_TIMEOUT);
}

/* Closes c; a request begun on it and not yet refused is counted as result. c is freed. */
static void
http_conn_drop(struct http_conn *c, enum metrics_webhook result)
{
	if (c->started && (c->phase == HTTP_CONN_READING || c->phase == HTTP_CONN_ANSWERING))
		http_conns_count(c->hc, c, result);
	else
		log_debug("http: connection closed with no request to count fd=%d result=%s", (int)c->fd,
		    http_conns_result_name(result));
	evhttp_connection_free(c->evcon);
}

/* evhttp closes the connection, for whatever reason: the one place a struct http_conn is freed once attached. */
static void
http_conn_closed_cb(struct evhttp_connection *evcon, void *arg)
{
	evhttp_connection_set_closecb(evcon, NULL, NULL);
	http_conn_free(arg);
}

static void
http_conn_free(struct http_conn *c)
{
	struct http_conns *hc = c->hc;

	if (c->phase != HTTP_CONN_PENDING && c->phase != HTTP_CONN_HANDLED)
		TAILQ_REMOVE(&hc->queue, c, entry);
	evbuffer_remove_cb_entry(bufferevent_get_input(c->bev), c->in_cb);
	evbuffer_remove_cb_entry(bufferevent_get_output(c->bev), c->out_cb);
	if (c->phase == HTTP_CONN_PENDING)
		bufferevent_decref(c->bev);
	http_conn_limits_end(c);
	event_free(c->deadline);
	if (c->fd >= 0 && (size_t)c->fd < hc->nfd && hc->by_fd[c->fd] == c)
		hc->by_fd[c->fd] = NULL;
	hc->n--;
	free(c);
}
