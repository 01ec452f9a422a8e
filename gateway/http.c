/*
 * HTTP server: routing, health, readiness and metrics. evhttp refuses
 * bodies over max_body_bytes with 413 before reading them whole; the
 * connections themselves are kept within bounds by http_conns.c.
 */
#include "gateway/http.h"

#include <errno.h>
#include <event2/buffer.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include "gateway/http_conns.h"
#include "gateway/util/log.h"
#include "gateway/util/xmalloc.h"

/* Idle keep-alive connections and stalled answers are closed after this long. */
#define HTTP_IDLE_TIMEOUT_S 30
/*
 * Connections the kernel completes while the gateway is busy (Redis and
 * nginx use 511): evhttp listens with 128, which a burst of connections
 * overflows, and a provider's connection dropped there waits a second for
 * its retransmission.
 */
#define HTTP_BACKLOG 511

struct http {
	struct evhttp *evh;
	struct evhttp_bound_socket *sock;
	struct http_conns *conns;
	struct http_handlers h;
	void *arg;
	int port;
};

static void http_request_cb(struct evhttp_request *req, void *arg);

struct http *
http_new(struct event_base *base, const struct http_settings *s, struct metrics *mt, const struct http_handlers *hh,
    void *arg, char *err, size_t errlen)
{
	struct http *h = xcalloc(1, sizeof *h);
	const char *addr = s->listen, *colon = strrchr(addr, ':');
	char host[256];
	char *end;
	long port;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	evutil_socket_t fd;

	h->h = *hh;
	h->arg = arg;
	if (colon == NULL || colon == addr || (size_t)(colon - addr) >= sizeof host) {
		snprintf(err, errlen, "[http] listen must be host:port, not '%s'", addr);
		goto fail;
	}
	port = strtol(colon + 1, &end, 10);
	if (*end != '\0' || end == colon + 1 || port < 0 || port > 65535) {
		snprintf(err, errlen, "[http] listen: bad port in '%s'", addr);
		goto fail;
	}
	snprintf(host, sizeof host, "%.*s", (int)(colon - addr), addr);
	if ((h->evh = evhttp_new(base)) == NULL) {
		snprintf(err, errlen, "cannot create the HTTP server");
		goto fail;
	}
	evhttp_set_max_body_size(h->evh, (ev_ssize_t)s->max_body_bytes);
	evhttp_set_max_headers_size(h->evh, 16384);
	evhttp_set_timeout(h->evh, HTTP_IDLE_TIMEOUT_S);
	evhttp_set_allowed_methods(h->evh,
	    EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
		EVHTTP_REQ_OPTIONS | EVHTTP_REQ_PATCH);
	evhttp_set_gencb(h->evh, http_request_cb, h);
	if ((h->sock = evhttp_bind_socket_with_handle(h->evh, host, (ev_uint16_t)port)) == NULL) {
		snprintf(err, errlen, "[http] cannot listen on %s: %s", addr, strerror(errno));
		goto fail;
	}
	fd = evhttp_bound_socket_get_fd(h->sock);
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
		h->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
							 : ((struct sockaddr_in *)&ss)->sin_port);
	/* Linux takes a second listen() on a listening socket as a new backlog. */
	if (listen(fd, HTTP_BACKLOG) != 0)
		log_warn("http: cannot deepen the listen backlog: %s", strerror(errno));
	h->conns = http_conns_new(base, h->evh, evhttp_bound_socket_get_listener(h->sock), mt, s);
	log_info("http listening on %s max_connections=%d request_timeout_ms=%ld max_body_bytes=%ld", addr,
	    s->max_connections, s->request_timeout_ms, s->max_body_bytes);
	return h;
fail:
	http_free(h);
	return NULL;
}

void
http_free(struct http *h)
{
	if (h == NULL)
		return;
	if (h->evh != NULL)
		evhttp_free(h->evh);
	http_conns_free(h->conns);
	free(h);
}

int
http_port(const struct http *h)
{
	return h->port;
}

void
http_reply(struct evhttp_request *req, int code, const char *type, const char *body, size_t len)
{
	struct evbuffer *out = evbuffer_new();
	const char *reason;

	if (out == NULL)
		fatalx("out of memory for an HTTP reply");
	if (type != NULL)
		evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", type);
	if (body != NULL && len > 0)
		evbuffer_add(out, body, len);
	switch (code) {
	case 200:
		reason = "OK";
		break;
	case 400:
		reason = "Bad Request";
		break;
	case 401:
		reason = "Unauthorized";
		break;
	case 403:
		reason = "Forbidden";
		break;
	case 404:
		reason = "Not Found";
		break;
	case 405:
		reason = "Method Not Allowed";
		break;
	case 415:
		reason = "Unsupported Media Type";
		break;
	case 503:
		reason = "Service Unavailable";
		break;
	default:
		reason = "Error";
		break;
	}
	evhttp_send_reply(req, code, reason, out);
	evbuffer_free(out);
}

static void
http_request_cb(struct evhttp_request *req, void *arg)
{
	struct http *h = arg;
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = uri != NULL ? evhttp_uri_get_path(uri) : NULL;
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	char why[256];
	struct buf b;

	http_conns_handled(h->conns, req);
	if (path == NULL)
		path = "";
	if (strncmp(path, "/webhooks/", 10) == 0) {
		char name[32];
		const char *rest = path + 10, *slash = strchr(rest, '/');
		size_t n = slash != NULL ? (size_t)(slash - rest) : strlen(rest);

		if (n == 0 || n >= sizeof name) {
			h->h.webhook(h->arg, req, "", "");
			return;
		}
		memcpy(name, rest, n);
		name[n] = '\0';
		h->h.webhook(h->arg, req, name, slash != NULL ? slash : "");
		return;
	}
	if (strncmp(path, "/v1/", 4) == 0 || strcmp(path, "/console") == 0 || strncmp(path, "/console/", 9) == 0) {
		h->h.api(h->arg, req, path);
		return;
	}
	if (strcmp(path, "/healthz") == 0 || strcmp(path, "/readyz") == 0 || strcmp(path, "/metrics") == 0) {
		if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_HEAD) {
			evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", "GET, HEAD");
			http_reply(req, 405, "text/plain; charset=utf-8", "only GET\n", 9);
			return;
		}
		if (path[1] == 'h') {
			http_reply(req, 200, "text/plain; charset=utf-8", "ok\n", 3);
		} else if (path[1] == 'r') {
			why[0] = '\0';
			if (h->h.ready(h->arg, why, sizeof why)) {
				char ok[300];
				int n = snprintf(ok, sizeof ok, "ready%s%s\n", why[0] != '\0' ? "; " : "", why);

				http_reply(req, 200, "text/plain; charset=utf-8", ok,
				    (size_t)n < sizeof ok ? (size_t)n : sizeof ok - 1);
			} else {
				size_t len = strlen(why);

				if (len < sizeof why - 1)
					why[len++] = '\n';
				http_reply(req, 503, "text/plain; charset=utf-8", why, len);
			}
		} else {
			buf_init(&b);
			h->h.metrics(h->arg, &b);
			http_reply(req, 200, "text/plain; version=0.0.4; charset=utf-8", b.data, b.len);
			buf_free(&b);
		}
		return;
	}
	http_reply(req, 404, "text/plain; charset=utf-8", "not found\n", 10);
}
