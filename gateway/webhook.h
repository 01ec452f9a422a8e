/*
 * Webhook requests from providers: handed to the provider for signature
 * checks and parsing, then to the receipts for recording; the provider
 * hears 200 only once Redis has taken everything, and 503 when it could
 * not, so it sends again. The gateway owns struct webhook; webhook_free().
 */
#ifndef AMUDDU_WEBHOOK_H
#define AMUDDU_WEBHOOK_H

#include <event2/http.h>

#include "gateway/metrics.h"
#include "handlers/provider.h"
#include "queues/receipts.h"

struct webhook;

struct webhook_provider {
	const struct provider_ops *ops;
	const void *ctx;
	size_t metrics_index;
};

/* Inbound texts longer than max bytes are cut (0: kept whole). */
void webhook_set_text_max(struct webhook *wh, size_t max);
struct webhook *webhook_new(const struct webhook_provider *providers, size_t n, struct receipts *receipts,
    struct metrics *mt, const char *public_url, const char *pseudonym_key);
void webhook_free(struct webhook *wh);
void webhook_handle(struct webhook *wh, struct evhttp_request *req, const char *name, const char *route);
/* Requests waiting for Redis to answer. */
size_t webhook_pending(const struct webhook *wh);

#endif
