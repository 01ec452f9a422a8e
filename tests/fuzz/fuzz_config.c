/*
 * libFuzzer target for config_load_string(): any text is either a config
 * that passes the checks across keys, or refused with an error naming the
 * file. Everything is freed either way.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config *c;
	char *text, err[256];

	text = malloc(size + 1);
	if (text == NULL)
		abort();
	memcpy(text, data, size);
	text[size] = '\0';
	c = config_load_string(text, "fuzz.ini", err, sizeof err);
	if (c == NULL) {
		if (strncmp(err, "fuzz.ini", 8) != 0 && strncmp(err, "environment ", 12) != 0)
			abort();
	} else {
		if (c->claim_idle_ms <= c->request_timeout_ms + c->connect_timeout_ms)
			abort();
		if (c->max_inflight < 1 || c->retry_max_ms < c->retry_base_ms || c->prefix[0] == '\0')
			abort();
		/* A provider section that loads has what its provider needs. */
		if (config_provider(c, "twilio") != NULL && config_provider_get(c, "twilio", "from") == NULL &&
		    config_provider_get(c, "twilio", "messaging_service_sid") == NULL)
			abort();
		if (config_provider(c, "whatsapp") != NULL && config_provider_get(c, "whatsapp", "token") == NULL)
			abort();
		if (c->http_public_url == NULL)
			abort();
		config_free(c);
	}
	free(text);
	return 0;
}
