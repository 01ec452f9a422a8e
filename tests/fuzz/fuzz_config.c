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
		if (config_twilio_enabled(c) && c->twilio_from == NULL && c->twilio_messaging_service_sid == NULL)
			abort();
		config_free(c);
	}
	free(text);
	return 0;
}
