/*
 * The gateway's HTTP server on the event loop (evhttp): /healthz,
 * /readyz, /metrics, /webhooks/<provider>[/<route>] (handed to the webhook
 * module) and /v1/ (handed to the API), within bounds on connections, request time and body
 * size. The creator owns struct http; http_free().
 */
#ifndef AMUDDU_HTTP_H
#define AMUDDU_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include <event2/event.h>
#include <event2/http.h>

#include "gateway/metrics.h"
#include "gateway/util/buf.h"

struct http;

struct http_handlers {
	/* Whether the gateway can do its work now; why says what is missing. */
	bool (*ready)(void *arg, char *why, size_t whylen);
	void (*metrics)(void *arg, struct buf *out);
	/* A request under /webhooks/: name is the provider, route the rest ("" or "/status"). */
	void (*webhook)(void *arg, struct evhttp_request *req, const char *name, const char *route);
	/* A request under /v1/ (the API) or /console (the web console); path is the whole path. */
	void (*api)(void *arg, struct evhttp_request *req, const char *path);
};

struct http_settings {
	const char *listen;      /* "host:port" */
	long max_body_bytes;     /* larger bodies are refused with 413 */
	int max_connections;     /* open at once; the oldest not yet with a whole request makes room */
	long request_timeout_ms; /* from a request's first byte to its whole body */
	/*
	 * A contacts import (POST /v1/contacts/import) may bring a spreadsheet:
	 * up to import_max_bytes within import_timeout_ms, import_connections at
	 * a time (the others get max_body_bytes), so that the memory bound holds.
	 */
	long import_max_bytes;
	int import_connections;
	long import_timeout_ms;
};

/* Listens as s says; counts what it refuses in mt. Returns NULL with the reason in err. */
struct http *http_new(struct event_base *base, const struct http_settings *s, struct metrics *mt,
    const struct http_handlers *h, void *arg, char *err, size_t errlen);
void http_free(struct http *h);
/* The port actually bound (for listen ports of 0). */
int http_port(const struct http *h);
/* Answers req with code, an optional Content-Type and body (len bytes). */
void http_reply(struct evhttp_request *req, int code, const char *type, const char *body, size_t len);

#endif
