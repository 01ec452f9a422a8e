/*
 * The /v1 HTTP JSON API (docs/api.md, docs/openapi.yaml): bearer tokens
 * checked in constant time against the configured hashes, a role per
 * route, and errors as {"error": {"code", "message", "field"}}. The
 * creator owns struct api; api_free().
 */
#ifndef AMUDDU_API_H
#define AMUDDU_API_H

#include <event2/http.h>

#include "gateway/config_api.h"
#include "gateway/config_reach.h"
#include "gateway/util/zone.h"
#include "queues/store.h"

struct metrics;

struct api;

/* What a campaign's preview estimates its cost and its end with. */
struct api_estimates {
	double price_sms_segment, price_wa_marketing, price_wa_utility;
	char currency[8];
	double sms_rate, wa_rate; /* messages per second, 0 when not limited */
	long wa_tier;             /* people per rolling 24 h, 0 when unlimited */
	struct zone_quiet quiet;
};

struct api_settings {
	const struct config_api *tokens;  /* must outlive the api */
	struct store *store;              /* the API's Redis connection (the api does not own it) */
	const char *pseudonym_key;        /* [gateway] pseudonym_key: contact ids */
	const char *country;              /* [contacts] default_country */
	const char *fallback;             /* [locales] fallback */
	struct api_estimates *estimates;  /* for campaign previews (copied) */
	const struct catalog *catalog;    /* the standard messages (campaign texts by kind), or NULL */
	const struct config_reach *reach; /* [reach], [dhis2]: must outlive the api */
	const char *noreceipt;            /* providers without delivery receipts, space-separated */
	struct metrics *metrics;          /* console sign-ins are counted there (may be NULL) */
};

struct api *api_new(const struct api_settings *s);
void api_free(struct api *a);
/* Answers req, whose path begins with /v1/. */
void api_handle(struct api *a, struct evhttp_request *req, const char *path);

#endif
