/*
 * The gateway's counters and their Prometheus text exposition (format
 * 0.0.4): messages by lane, channel, provider and outcome, provider
 * latency, webhook requests by result, receipts, console sign-ins by
 * result, and the gauges the caller
 * samples at scrape time. One struct metrics per gateway, owned by it.
 */
#ifndef AMUDDU_METRICS_H
#define AMUDDU_METRICS_H

#include <stddef.h>

#include "gateway/util/buf.h"
#include "gateway/util/domain.h"

#define METRICS_MAX_PROVIDERS 8
/* The provider index for requests that name no known provider. */
#define METRICS_NO_PROVIDER ((size_t)-1)

enum metrics_webhook {
	METRICS_WEBHOOK_OK = 0,
	METRICS_WEBHOOK_UNSIGNED,
	METRICS_WEBHOOK_FORBIDDEN,
	METRICS_WEBHOOK_MALFORMED,
	METRICS_WEBHOOK_NOT_FOUND,
	METRICS_WEBHOOK_METHOD,
	METRICS_WEBHOOK_MEDIA_TYPE,
	METRICS_WEBHOOK_UNAVAILABLE, /* Redis unreachable: 503, the provider sends it again */
	METRICS_WEBHOOK_TOO_LARGE,   /* 413 from evhttp: a body over [http] max_body_bytes */
	METRICS_WEBHOOK_BAD_REQUEST, /* refused by evhttp's parser: request line, headers, method */
	METRICS_WEBHOOK_TIMEOUT,     /* not whole within [http] request_timeout_ms of its first byte */
	METRICS_WEBHOOK_EVICTED,     /* dropped half-read to make room under [http] max_connections */
	METRICS_WEBHOOK_COUNT,
};

enum metrics_receipt {
	METRICS_STATUS_RECORDED = 0,
	METRICS_STATUS_UNCHANGED,
	METRICS_STATUS_EARLY,
	METRICS_STATUS_ORPHANED,
	METRICS_STATUS_IGNORED, /* queued, sending…: nothing to record */
	METRICS_INBOUND_STORED,
	METRICS_INBOUND_DUPLICATE,
	METRICS_RECEIPT_FAILED, /* refused by Redis for what it touches: logged, not sent again */
	METRICS_RECEIPT_COUNT,
};

/* What became of a console sign-in (POST /console/session). */
enum metrics_signin {
	METRICS_SIGNIN_OK = 0,
	METRICS_SIGNIN_WRONG,       /* 401: the credentials are not a configured token's or login's */
	METRICS_SIGNIN_THROTTLED,   /* 429: too many failed attempts from the address or for the login */
	METRICS_SIGNIN_BUSY,        /* 503: too many passwords being checked at once */
	METRICS_SIGNIN_UNAVAILABLE, /* not checked or not kept: Redis away, no thread or randomness */
	METRICS_SIGNIN_INVALID,     /* 422, 400, 415: no login and password nor token, or no JSON object */
	METRICS_SIGNIN_COUNT,
};

struct metrics;

/* Sampled when /metrics is read. */
struct metrics_gauges {
	size_t inflight, waiting, held;
	int redis_up;
	unsigned long long redis_reconnects;
	unsigned long long claimed, reclaimed, malformed, deadletters, not_sent, lease_lost, poison, deferred;
	struct {
		unsigned long long handled, answered, muted, refused;
	} replies; /* the responder's (gateway/responder.h) */
};

struct metrics *metrics_new(void);
void metrics_free(struct metrics *mt);
/* Adds a provider; returns its index. */
size_t metrics_add_provider(struct metrics *mt, const char *provider, enum channel channel);
/* One message of lane handled by provider with outcome. */
void metrics_count_message(struct metrics *mt, enum lane lane, size_t provider, enum outcome outcome);
/* A provider request's time from submit to answer. */
void metrics_count_latency(struct metrics *mt, size_t provider, long long elapsed_us);
/* The index of the provider called name, or METRICS_NO_PROVIDER. */
size_t metrics_provider_find(const struct metrics *mt, const char *name);
/* One webhook request answered with result; provider may be METRICS_NO_PROVIDER. */
void metrics_count_webhook(struct metrics *mt, size_t provider, enum metrics_webhook result);
/* n receipts of provider that came to result. */
void metrics_count_receipts(struct metrics *mt, size_t provider, enum metrics_receipt result, unsigned long long n);
void metrics_count_signin(struct metrics *mt, enum metrics_signin result);
void metrics_render(const struct metrics *mt, const struct metrics_gauges *g, struct buf *out);

#endif
