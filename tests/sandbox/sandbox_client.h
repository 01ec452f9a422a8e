/*
 * The sandbox's outgoing HTTP client, for the callbacks a provider sends
 * (status callbacks, inbound messages): POSTs over keep-alive evhttp
 * connections, by default one per target so that it sees callbacks in the
 * order they were made, each callback retried a bounded number of times
 * when it is not answered 2xx. Never blocks the loop. Owns its
 * connections and the callbacks in flight; sandbox_client_free().
 */
#ifndef AMUDDU_SANDBOX_CLIENT_H
#define AMUDDU_SANDBOX_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

struct event_base;
struct sandbox_client;
struct sandbox_stats;

/* Read at every use, so a change through /sandbox/config applies at once. */
struct sandbox_client_config {
	unsigned int retries;     /* attempts after the first */
	unsigned int retry_ms;    /* wait before retry n is n times this */
	unsigned int timeout_ms;  /* connect, write and answer, per attempt */
	unsigned int connections; /* per target host and port; 1 keeps the order callbacks were made in */
	unsigned int queue_max;   /* callbacks waiting for a connection, in all */
	char header[512];         /* "Name: value" added to every callback, or empty */
};

struct sandbox_client_header {
	const char *name;
	const char *value;
};

/*
 * Told once how a callback ended: ok when some attempt was answered 2xx.
 * Never called from inside sandbox_client_post().
 */
typedef void sandbox_client_done_fn(void *arg, bool ok);

/* config must outlive the client. */
struct sandbox_client *sandbox_client_new(
    struct event_base *base, struct sandbox_stats *stats, const struct sandbox_client_config *config);
/* Drops what is in flight without calling anyone back. */
void sandbox_client_free(struct sandbox_client *c);
/*
 * POSTs body[0..len) to url ("http://host[:port]/path[?query]") with the
 * given headers; everything is copied. The caller counted it as queued in
 * the stats; the client counts attempts, retries and the outcome. done may
 * be NULL.
 */
void sandbox_client_post(struct sandbox_client *c, const char *url, const struct sandbox_client_header *headers,
    size_t nheaders, const char *body, size_t len, sandbox_client_done_fn *done, void *arg);
/* Checks that url is one sandbox_client_post() can send to; on failure *why says why. */
int sandbox_client_check_url(const char *url, const char **why) __attribute__((warn_unused_result));

#endif
