/*
 * Outgoing callbacks. Each target (host and port) has a FIFO of callbacks
 * waiting and up to config->connections keep-alive connections, each
 * carrying one request at a time; a "pump" event hands waiting callbacks
 * to idle connections, so no libevent callback ever re-enters another.
 * A failed attempt waits retry_ms times its number and is then tried
 * again at the head of the queue; meanwhile nothing queued after it
 * starts, so a target sees callbacks in the order they were made even
 * across retries. Meta and Twilio retry the same body and signature.
 */
#include "sandbox_client.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>

#include "gateway/util/log.h"
#include "gateway/util/xmalloc.h"
#include "sandbox_stats.h"

#define SANDBOX_CLIENT_MAX_ANSWER (1 << 20)
#define SANDBOX_CLIENT_MAX_ANSWER_HEADERS 65536

struct sandbox_client_target;
struct sandbox_client_conn;

/* One callback, from sandbox_client_post() until its done function ran. */
struct sandbox_client_delivery {
	struct sandbox_client *client;
	struct sandbox_client_target *target; /* NULL when it cannot be sent at all */
	struct sandbox_client_conn *conn;     /* while an attempt is in flight */
	char *url;
	char *uri;      /* path and query, as the request line carries them */
	char **headers; /* name, value, name, value... */
	size_t nheaders;
	char *body;
	size_t len;
	unsigned int attempts;
	struct event *retry_timer;
	sandbox_client_done_fn *done;
	void *arg;
	TAILQ_ENTRY(sandbox_client_delivery) queue_entry; /* a target's queue, or the doomed list */
	LIST_ENTRY(sandbox_client_delivery) all_entry;
};

TAILQ_HEAD(sandbox_client_queue, sandbox_client_delivery);

struct sandbox_client_conn {
	struct sandbox_client_target *target;
	struct evhttp_connection *evcon;
	struct sandbox_client_delivery *busy;
};

struct sandbox_client_target {
	char *host; /* without IPv6 brackets, as connect wants it */
	unsigned short port;
	char *host_header;
	struct sandbox_client_conn **conns;
	size_t nconns;
	struct sandbox_client_queue queue;
	unsigned int retrying; /* callbacks waiting to be retried: the queue waits too */
	LIST_ENTRY(sandbox_client_target) entry;
};

struct sandbox_client {
	struct event_base *base;
	struct sandbox_stats *stats;
	const struct sandbox_client_config *config;
	LIST_HEAD(, sandbox_client_target) targets;
	LIST_HEAD(, sandbox_client_delivery) all;
	struct sandbox_client_queue doomed; /* to be failed from the pump */
	size_t nqueued;                     /* waiting in target queues */
	struct event *pump;
};

static int sandbox_client_parse_url(const char *url, char **host, unsigned short *port, char **host_header, char **uri,
    const char **why) __attribute__((warn_unused_result));
static struct sandbox_client_target *sandbox_client_target_get(
    struct sandbox_client *c, const char *host, unsigned short port, const char *host_header);
static struct sandbox_client_conn *sandbox_client_conn_get(struct sandbox_client *c, struct sandbox_client_target *t);
static void sandbox_client_schedule(struct sandbox_client *c);
static void sandbox_client_pump_cb(evutil_socket_t fd, short what, void *arg);
static void sandbox_client_start(
    struct sandbox_client *c, struct sandbox_client_conn *conn, struct sandbox_client_delivery *d);
static void sandbox_client_response_cb(struct evhttp_request *req, void *arg);
static void sandbox_client_attempt_failed(struct sandbox_client_delivery *d, int code);
static void sandbox_client_retry_cb(evutil_socket_t fd, short what, void *arg);
static void sandbox_client_finish(struct sandbox_client_delivery *d, bool ok);
static void sandbox_client_delivery_free(struct sandbox_client_delivery *d);

struct sandbox_client *
sandbox_client_new(struct event_base *base, struct sandbox_stats *stats, const struct sandbox_client_config *config)
{
	struct sandbox_client *c = xcalloc(1, sizeof *c);

	c->base = base;
	c->stats = stats;
	c->config = config;
	LIST_INIT(&c->targets);
	LIST_INIT(&c->all);
	TAILQ_INIT(&c->doomed);
	if ((c->pump = event_new(base, -1, 0, sandbox_client_pump_cb, c)) == NULL)
		fatalx("cannot create the callback pump event");
	return c;
}

void
sandbox_client_free(struct sandbox_client *c)
{
	struct sandbox_client_target *t;
	struct sandbox_client_delivery *d;

	if (c == NULL)
		return;
	/* Connections first: freeing one drops its requests without calling back. */
	LIST_FOREACH(t, &c->targets, entry)
	{
		for (size_t i = 0; i < t->nconns; i++) {
			evhttp_connection_free(t->conns[i]->evcon);
			free(t->conns[i]);
		}
		t->nconns = 0;
	}
	while ((d = LIST_FIRST(&c->all)) != NULL)
		sandbox_client_delivery_free(d);
	while ((t = LIST_FIRST(&c->targets)) != NULL) {
		LIST_REMOVE(t, entry);
		free(t->conns);
		free(t->host);
		free(t->host_header);
		free(t);
	}
	event_free(c->pump);
	free(c);
}

/* Splits an http:// URL; *host, *host_header and *uri are the caller's to free. */
static int
sandbox_client_parse_url(
    const char *url, char **host, unsigned short *port, char **host_header, char **uri, const char **why)
{
	struct evhttp_uri *u = evhttp_uri_parse_with_flags(url, 0);
	const char *scheme, *h, *path, *query;
	size_t hlen;
	int p, rc = -1;

	if (u == NULL) {
		*why = "is not a URL";
		goto out;
	}
	scheme = evhttp_uri_get_scheme(u);
	h = evhttp_uri_get_host(u);
	if (scheme == NULL || strcasecmp(scheme, "http") != 0) {
		*why = scheme != NULL && strcasecmp(scheme, "https") == 0 ? "https is not supported by the sandbox"
									  : "must start with http://";
		goto out;
	}
	if (h == NULL || *h == '\0') {
		*why = "has no host";
		goto out;
	}
	if ((p = evhttp_uri_get_port(u)) == -1)
		p = 80;
	if (p <= 0 || p > 65535) {
		*why = "has a bad port";
		goto out;
	}
	if (host != NULL) {
		hlen = strlen(h);
		if (hlen >= 2 && h[0] == '[' && h[hlen - 1] == ']')
			*host = xstrndup(h + 1, hlen - 2);
		else
			*host = xstrdup(h);
		*port = (unsigned short)p;
		*host_header = evhttp_uri_get_port(u) == -1 ? xstrdup(h) : xasprintf("%s:%d", h, p);
		path = evhttp_uri_get_path(u);
		query = evhttp_uri_get_query(u);
		if (path == NULL || *path == '\0')
			path = "/";
		*uri = query != NULL ? xasprintf("%s?%s", path, query) : xstrdup(path);
	}
	rc = 0;

out:
	if (u != NULL)
		evhttp_uri_free(u);
	return rc;
}

int
sandbox_client_check_url(const char *url, const char **why)
{
	return sandbox_client_parse_url(url, NULL, NULL, NULL, NULL, why);
}

static struct sandbox_client_target *
sandbox_client_target_get(struct sandbox_client *c, const char *host, unsigned short port, const char *host_header)
{
	struct sandbox_client_target *t;

	LIST_FOREACH(t, &c->targets, entry)
	{
		if (t->port == port && strcmp(t->host, host) == 0)
			return t;
	}
	t = xcalloc(1, sizeof *t);
	t->host = xstrdup(host);
	t->port = port;
	t->host_header = xstrdup(host_header);
	TAILQ_INIT(&t->queue);
	LIST_INSERT_HEAD(&c->targets, t, entry);
	return t;
}

/* An idle connection to t, a new one while under the limit, or NULL. */
static struct sandbox_client_conn *
sandbox_client_conn_get(struct sandbox_client *c, struct sandbox_client_target *t)
{
	const struct sandbox_client_config *cf = c->config;
	size_t max = cf->connections > 0 ? cf->connections : 1;
	struct timeval tv = { (time_t)(cf->timeout_ms / 1000), (suseconds_t)(cf->timeout_ms % 1000) * 1000 };
	struct sandbox_client_conn *conn;

	for (size_t i = 0; i < t->nconns; i++) {
		if (t->conns[i]->busy == NULL)
			return t->conns[i];
	}
	if (t->nconns >= max)
		return NULL;
	conn = xcalloc(1, sizeof *conn);
	conn->target = t;
	if ((conn->evcon = evhttp_connection_base_new(c->base, NULL, t->host, t->port)) == NULL) {
		log_error("cannot create callback connection host=%s port=%u", t->host, (unsigned int)t->port);
		free(conn);
		return NULL;
	}
	/* Retrying is ours to count; libevent must not resend behind our back. */
	evhttp_connection_set_retries(conn->evcon, 0);
	evhttp_connection_set_timeout_tv(conn->evcon, &tv);
	evhttp_connection_set_max_body_size(conn->evcon, SANDBOX_CLIENT_MAX_ANSWER);
	evhttp_connection_set_max_headers_size(conn->evcon, SANDBOX_CLIENT_MAX_ANSWER_HEADERS);
	t->conns = xreallocarray(t->conns, t->nconns + 1, sizeof *t->conns);
	t->conns[t->nconns++] = conn;
	return conn;
}

void
sandbox_client_post(struct sandbox_client *c, const char *url, const struct sandbox_client_header *headers,
    size_t nheaders, const char *body, size_t len, sandbox_client_done_fn *done, void *arg)
{
	struct sandbox_client_delivery *d = xcalloc(1, sizeof *d);
	char *host = NULL, *host_header = NULL;
	unsigned short port = 0;
	const char *why;

	d->client = c;
	d->url = xstrdup(url);
	d->done = done;
	d->arg = arg;
	d->body = xmalloc(len + 1);
	memcpy(d->body, body, len);
	d->body[len] = '\0';
	d->len = len;
	d->headers = xreallocarray(NULL, 2 * nheaders + 1, sizeof *d->headers);
	for (size_t i = 0; i < nheaders; i++) {
		d->headers[2 * i] = xstrdup(headers[i].name);
		d->headers[2 * i + 1] = xstrdup(headers[i].value);
	}
	d->nheaders = nheaders;
	LIST_INSERT_HEAD(&c->all, d, all_entry);

	if (sandbox_client_parse_url(url, &host, &port, &host_header, &d->uri, &why) == -1) {
		log_warn("callback not sent url=\"%s\" reason=\"URL %s\"", url, why);
		TAILQ_INSERT_TAIL(&c->doomed, d, queue_entry);
	} else if (c->nqueued >= c->config->queue_max) {
		log_warn("callback not sent url=\"%s\" reason=\"queue full\" queued=%zu", url, c->nqueued);
		TAILQ_INSERT_TAIL(&c->doomed, d, queue_entry);
	} else {
		d->target = sandbox_client_target_get(c, host, port, host_header);
		TAILQ_INSERT_TAIL(&d->target->queue, d, queue_entry);
		c->nqueued++;
	}
	free(host);
	free(host_header);
	sandbox_client_schedule(c);
}

static void
sandbox_client_schedule(struct sandbox_client *c)
{
	event_active(c->pump, 0, 0);
}

static void
sandbox_client_pump_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sandbox_client *c = arg;
	struct sandbox_client_delivery *d;
	struct sandbox_client_target *t;

	(void)fd;
	(void)what;
	while ((d = TAILQ_FIRST(&c->doomed)) != NULL) {
		TAILQ_REMOVE(&c->doomed, d, queue_entry);
		sandbox_client_finish(d, false);
	}
	LIST_FOREACH(t, &c->targets, entry)
	{
		struct sandbox_client_conn *conn;

		while (t->retrying == 0 && (d = TAILQ_FIRST(&t->queue)) != NULL &&
		    (conn = sandbox_client_conn_get(c, t)) != NULL) {
			TAILQ_REMOVE(&t->queue, d, queue_entry);
			c->nqueued--;
			sandbox_client_start(c, conn, d);
		}
	}
}

static void
sandbox_client_start(struct sandbox_client *c, struct sandbox_client_conn *conn, struct sandbox_client_delivery *d)
{
	struct evhttp_request *req = evhttp_request_new(sandbox_client_response_cb, d);
	struct evkeyvalq *h;
	const char *extra = c->config->header, *colon;

	if (req == NULL)
		fatalx("cannot allocate a callback request");
	h = evhttp_request_get_output_headers(req);
	evhttp_add_header(h, "Host", conn->target->host_header);
	for (size_t i = 0; i < d->nheaders; i++)
		evhttp_add_header(h, d->headers[2 * i], d->headers[2 * i + 1]);
	if (extra[0] != '\0' && (colon = strchr(extra, ':')) != NULL) {
		char *name = xstrndup(extra, (size_t)(colon - extra));

		for (colon++; *colon == ' '; colon++)
			;
		evhttp_add_header(h, name, colon);
		free(name);
	}
	evbuffer_add(evhttp_request_get_output_buffer(req), d->body, d->len);
	d->attempts++;
	d->conn = conn;
	conn->busy = d;
	sandbox_stats_count_callback_sent(c->stats);
	/*
	 * On failure libevent keeps or frees req itself; it may even have
	 * failed it through our callback already, which clears d->conn.
	 */
	if (evhttp_make_request(conn->evcon, req, EVHTTP_REQ_POST, d->uri) == -1 && d->conn == conn) {
		log_warn("cannot start callback url=\"%s\" attempt=%u", d->url, d->attempts);
		conn->busy = NULL;
		d->conn = NULL;
		sandbox_client_attempt_failed(d, 0);
	}
}

static void
sandbox_client_response_cb(struct evhttp_request *req, void *arg)
{
	struct sandbox_client_delivery *d = arg;
	struct sandbox_client *c = d->client;
	int code = req != NULL ? evhttp_request_get_response_code(req) : 0;

	if (d->conn != NULL)
		d->conn->busy = NULL;
	d->conn = NULL;
	if (code >= 200 && code < 300) {
		log_debug("callback answered url=\"%s\" code=%d attempt=%u", d->url, code, d->attempts);
		sandbox_client_finish(d, true);
	} else
		sandbox_client_attempt_failed(d, code);
	sandbox_client_schedule(c);
}

/* code 0: no answer at all (refused, reset, timed out). */
static void
sandbox_client_attempt_failed(struct sandbox_client_delivery *d, int code)
{
	struct sandbox_client *c = d->client;
	unsigned int ms;
	struct timeval tv;

	if (d->attempts > c->config->retries) {
		log_warn("callback failed url=\"%s\" code=%d attempts=%u", d->url, code, d->attempts);
		sandbox_client_finish(d, false);
		return;
	}
	log_info("callback retried url=\"%s\" code=%d attempt=%u", d->url, code, d->attempts);
	sandbox_stats_count_callback_retried(c->stats);
	ms = c->config->retry_ms * d->attempts;
	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
	if (d->retry_timer == NULL && (d->retry_timer = evtimer_new(c->base, sandbox_client_retry_cb, d)) == NULL)
		fatalx("cannot create a callback retry timer");
	d->target->retrying++;
	if (evtimer_add(d->retry_timer, &tv) == -1) {
		log_warn("cannot arm callback retry timer; retrying at once");
		sandbox_client_retry_cb(-1, 0, d);
	}
}

static void
sandbox_client_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sandbox_client_delivery *d = arg;
	struct sandbox_client *c = d->client;

	(void)fd;
	(void)what;
	d->target->retrying--;
	TAILQ_INSERT_HEAD(&d->target->queue, d, queue_entry);
	c->nqueued++;
	sandbox_client_schedule(c);
}

static void
sandbox_client_finish(struct sandbox_client_delivery *d, bool ok)
{
	sandbox_client_done_fn *done = d->done;
	void *arg = d->arg;

	/* Only a delivery that never got an attempt ends while counted as queued. */
	sandbox_stats_count_callback_done(d->client->stats, ok, d->attempts == 0);
	sandbox_client_delivery_free(d);
	if (done != NULL)
		done(arg, ok);
}

/* Only for a delivery in no queue and with no attempt in flight, or at exit. */
static void
sandbox_client_delivery_free(struct sandbox_client_delivery *d)
{
	LIST_REMOVE(d, all_entry);
	if (d->retry_timer != NULL)
		event_free(d->retry_timer);
	for (size_t i = 0; i < 2 * d->nheaders; i++)
		free(d->headers[i]);
	free(d->headers);
	free(d->body);
	free(d->uri);
	free(d->url);
	free(d);
}
