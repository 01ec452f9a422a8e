/*
 * The gateway's configuration: an INI file (libinih) read once at start,
 * with every secret also readable from the environment. A bad file is
 * refused with the file, line and reason. The caller owns struct config
 * and frees it with config_free().
 */
#ifndef AMUDDU_CONFIG_H
#define AMUDDU_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "gateway/config_api.h"
#include "gateway/config_reach.h"
#include "gateway/util/zone.h"
#include "handlers/provider.h"

/* One provider's section: present in the file, with its settings. */
struct config_provider {
	const struct provider_ops *ops;
	bool enabled; /* the section is in the file */
	struct provider_setting *v;
	size_t n, cap;
};

struct config {
	/* [redis] */
	char *redis_url;
	char *prefix;
	long long log_maxlen; /* delivery log trimming (~), 0 = keep all */
	/* [http] */
	char *http_listen;     /* host:port, or "off" */
	char *http_public_url; /* how providers reach us; default http://<listen>, "" when listen is off */
	long http_max_body_bytes;
	long http_import_max_bytes;   /* POST /v1/contacts/import: its body limit, */
	int http_import_connections;  /* how many at a time, */
	long http_import_timeout_ms;  /* and its deadline */
	int http_max_connections;     /* open HTTP connections at once */
	long http_request_timeout_ms; /* a request's first byte to its whole body */
	/* provider sections, one per registered provider (handlers/providers.c) */
	struct config_provider *providers;
	size_t nproviders;
	char *sms_provider; /* [gateway] sms_provider, or "" for the first one configured */
	/* [gateway] */
	int max_inflight;
	char *consumer;
	char *group;
	int max_attempts;
	long claim_idle_ms;
	long retry_base_ms;
	long retry_max_ms;
	long connect_timeout_ms;
	long request_timeout_ms;
	long shutdown_timeout_ms;
	long msg_ttl_s;
	int max_connections; /* concurrent requests to providers (default 64), 0 = max_inflight */
	char *log_level;
	char *pseudonym_key;           /* HMAC key for person pseudonyms in the delivery log */
	struct zone_quiet quiet_hours; /* bulk and notify wait outside them; reply never does */
	/* [time] */
	char *time_zone;         /* the programme's local time (IANA name) */
	bool allow_stale_tzdata; /* run on zone data that predates Morocco's 2026-09-20 change */
	bool require_consent;    /* every bulk entry needs consent on record, not only the gateway's campaigns */
	/* [locales] */
	char *locale_fallback; /* "ary-Latn ary ar fr en": where a missing text or translation is looked for next */
	char *locales_dir;     /* the PO catalogs of the standard messages */
	/* [prices]: for estimates of a campaign's cost */
	char *price_sms_segment, *price_wa_marketing, *price_wa_utility, *price_currency;
	/* [contacts] */
	char *default_country; /* ISO 3166 alpha-2 of national numbers in imports */
	/* [replies]: automatic answers to people who write, and the agents' inbox */
	bool replies_on;               /* answer keywords and menus (else everything goes to the inbox) */
	long menu_ttl_s;               /* how long a menu sent stays open for a number answer */
	int replies_max_per_minute;    /* more messages than this from one person in a minute: no answers */
	long replies_mute_s;           /* for this long */
	long inbound_text_max;         /* bytes of an inbound text kept (longer ones are cut) */
	char *reply_links[4];          /* {link} of training, employment, residency, covid */
	char *reply_tags[4];           /* tags given for choosing those topics (space-separated) */
	struct zone_quiet agent_hours; /* the agents' working hours, local time (a window of the day) */
	char *agent_days;              /* their working days: "mon-fri", "mon,tue,thu" … */
	/* [api] */
	struct config_api api;
	struct config_reach reach; /* [reach], [dhis2] */
};

/*
 * Reads path into a new config. Returns NULL and writes "file:line: reason"
 * into err on any error.
 */
struct config *config_load(const char *path, char *err, size_t errlen);
/* The same from a string, for tests and the fuzzer; name is used in errors. */
struct config *config_load_string(const char *text, const char *name, char *err, size_t errlen);
void config_free(struct config *c);
/* The section of the provider called name, or NULL when it is not in the file. */
const struct config_provider *config_provider(const struct config *c, const char *name);
/* A provider setting's value, or NULL. */
const char *config_provider_get(const struct config *c, const char *provider, const char *key);
/* The settings of p as the provider's create() takes them. */
/* The providers configured with receipts = no (they send no delivery receipts), space-separated, into out. */
void config_noreceipt(const struct config *c, char *out, size_t outlen);
void config_provider_settings(const struct config *c, const struct config_provider *p, struct provider_settings *out);

#endif
