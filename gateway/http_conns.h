/*
 * The HTTP server's connections, kept within bounds whatever clients do:
 * a cap, a deadline per request, accept paused when descriptors run out,
 * and the requests evhttp refuses on its own counted. struct http owns
 * struct http_conns; http_conns_free() after evhttp_free().
 */
#ifndef AMUDDU_HTTP_CONNS_H
#define AMUDDU_HTTP_CONNS_H

#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>

#include "gateway/http.h"
#include "gateway/metrics.h"

struct http_conns;

/*
 * Watches every connection evh accepts on listener: at most
 * max_connections open, each request whole within request_timeout_ms of
 * its first byte. Counts what it drops in mt.
 */
struct http_conns *http_conns_new(struct event_base *base, struct evhttp *evh, struct evconnlistener *listener,
    struct metrics *mt, const struct http_settings *s);
/* Once evhttp_free() has closed every connection. */
void http_conns_free(struct http_conns *hc);
/* req is whole and goes to the gateway: its connection is neither timed nor evicted until it is answered. */
void http_conns_handled(struct http_conns *hc, struct evhttp_request *req);

#endif
