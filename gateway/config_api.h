/*
 * The [api] section of the configuration: the tokens of the /v1 API, each
 * a name, a role and the SHA-256 of the secret (never the secret itself):
 * "token.<name> = <role> sha256:<64 hex digits>". config.c hands it the
 * section's lines; struct config owns the list (config_api_free()).
 */
#ifndef AMUDDU_CONFIG_API_H
#define AMUDDU_CONFIG_API_H

#include <stddef.h>

#include "gateway/util/domain.h"

#define CONFIG_API_NAME_MAX 64

struct config_api_token {
	char name[CONFIG_API_NAME_MAX]; /* who, in the audit stream */
	enum role role;
	unsigned char sha256[32];
};

struct config_api {
	struct config_api_token *tokens;
	size_t ntokens;
};

/* One line of [api]; -1 with why (no secret in it) when it is not a valid one. */
int config_api_set(struct config_api *a, const char *key, const char *value, char *why, size_t whylen)
    __attribute__((warn_unused_result));
void config_api_free(struct config_api *a);

#endif
