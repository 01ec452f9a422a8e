/*
 * HTTP transfers to providers: libcurl multi driven by the libevent loop,
 * with connection reuse, a connect and a total timeout per request, and a
 * bounded answer size. The creator owns struct dispatch; dispatch_free().
 */
#ifndef AMUDDU_DISPATCH_H
#define AMUDDU_DISPATCH_H

#include <stddef.h>

#include <event2/event.h>

#include "handlers/provider.h"

struct dispatch;

struct dispatch_settings {
	long connect_timeout_ms;
	long request_timeout_ms;
	int max_connections; /* per host, 0 = no limit */
	size_t max_answer_bytes;
};

/*
 * Called once per submitted request, from the event loop (never from inside
 * a libcurl callback). The answer's strings live until the callback returns.
 * elapsed_us is the time from submit to completion.
 */
typedef void dispatch_done_cb(void *arg, const struct provider_answer *a, long long elapsed_us);

struct dispatch *dispatch_new(struct event_base *base, const struct dispatch_settings *s);
void dispatch_free(struct dispatch *d);
/*
 * Starts req (the dispatch takes it over and frees it). Returns 0, or -1
 * when libcurl refused it (cb is then not called).
 */
int dispatch_submit(struct dispatch *d, struct provider_request *req, dispatch_done_cb *cb, void *arg)
    __attribute__((warn_unused_result));
/* Ends every transfer now; each callback sees status 0 and transport_error "aborted". */
void dispatch_abort_all(struct dispatch *d);
size_t dispatch_inflight(const struct dispatch *d);

#endif
