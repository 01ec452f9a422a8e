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

struct config {
	/* [redis] */
	char *redis_url;
	char *prefix;
	long long log_maxlen; /* delivery log trimming (~), 0 = keep all */
	/* [twilio] */
	char *twilio_base_url;
	char *twilio_account_sid;
	char *twilio_auth_token;
	char *twilio_from;
	char *twilio_messaging_service_sid;
	char *twilio_status_callback;
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
	char *pseudonym_key; /* HMAC key for person pseudonyms in the delivery log */
};

/*
 * Reads path into a new config. Returns NULL and writes "file:line: reason"
 * into err on any error.
 */
struct config *config_load(const char *path, char *err, size_t errlen);
/* The same from a string, for tests and the fuzzer; name is used in errors. */
struct config *config_load_string(const char *text, const char *name, char *err, size_t errlen);
void config_free(struct config *c);
/* True when the SMS channel has what it needs to send. */
bool config_twilio_enabled(const struct config *c);

#endif
