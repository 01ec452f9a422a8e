/*
 * The [api] section of the configuration: the tokens of the /v1 API, each
 * a name, a role and the SHA-256 of the secret (never the secret itself):
 * "token.<name> = <role> sha256:<64 hex digits>"; and the [console]
 * section: the web console's files, its sessions and its named logins,
 * each a role and a PBKDF2 hash of the password. config.c hands it the
 * sections' lines; struct config owns the lists (config_api_free()).
 */
#ifndef AMUDDU_CONFIG_API_H
#define AMUDDU_CONFIG_API_H

#include <stdbool.h>
#include <stddef.h>

#include "gateway/util/domain.h"
#include "gateway/util/netaddr.h"

#define CONFIG_API_NAME_MAX 64
/* PBKDF2-SHA256 iterations of a console password as `amuddu password` makes it (OWASP's 2021 advice). */
#define PASSWORD_ITERATIONS 210000

struct config_api_token {
	char name[CONFIG_API_NAME_MAX]; /* who, in the audit stream */
	enum role role;
	unsigned char sha256[32];
};

/* A named console login: "login.<name> = <role> pbkdf2-sha256:<iterations>:<salt hex>:<hash hex>". */
struct config_api_login {
	char name[CONFIG_API_NAME_MAX];
	enum role role;
	unsigned iterations;
	unsigned char salt[64];
	size_t saltlen;
	unsigned char hash[32];
};

struct config_api {
	struct config_api_token *tokens;
	size_t ntokens;
	/* [console] */
	struct config_api_login *logins;
	size_t nlogins;
	char *console_dir;    /* the console's files ("off": no console); NULL: gateway/console */
	long session_seconds; /* how long a console session lasts; 0: 8 hours */
	int secure_cookie;    /* 1: the session cookie is Secure (the gateway is behind HTTPS) */
	char *origin;         /* the console's origin as browsers send it ("https://host"), or NULL: the Host's */
	/* Proxies whose X-Forwarded-For names the client a sign-in is counted under (none: the peer). */
	struct netaddr_list trusted_proxies;
};

/* Whether name can name a token or a login: 1 to 63 letters, digits, '-', '_' or '.'. */
bool config_api_name_ok(const char *name);
/* One line of [api]; -1 with why (no secret in it) when it is not a valid one. */
int config_api_set(struct config_api *a, const char *key, const char *value, char *why, size_t whylen)
    __attribute__((warn_unused_result));
/* One line of [console] (dir, origin, session_hours, secure_cookie, trusted_proxies, login.<name>); -1 with why (no secret in it). */
int config_console_set(struct config_api *a, const char *key, const char *value, char *why, size_t whylen)
    __attribute__((warn_unused_result));
void config_api_free(struct config_api *a);

#endif
