/*
 * Reads token lines of [api] and the lines of [console]. Hashes are
 * checked for form only; a token or login name may appear once, so that
 * the audit stream names one of them each.
 */
#include "gateway/config_api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/util/xmalloc.h"

static int config_api_hex(const char *s, unsigned char *out, size_t n);

static int
config_api_hex(const char *s, unsigned char *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int v = 0;

		for (int k = 0; k < 2; k++) {
			char c = s[2 * i + (size_t)k];

			v <<= 4;
			if (c >= '0' && c <= '9')
				v |= c - '0';
			else if (c >= 'a' && c <= 'f')
				v |= c - 'a' + 10;
			else if (c >= 'A' && c <= 'F')
				v |= c - 'A' + 10;
			else
				return -1;
		}
		out[i] = (unsigned char)v;
	}
	return s[2 * n] == '\0' ? 0 : -1;
}

bool
config_api_name_ok(const char *name)
{
	return *name != '\0' && strlen(name) < CONFIG_API_NAME_MAX &&
	    strspn(name,
		"abcdefghijklmnopqrstuvwxyz"
		"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") == strlen(name);
}

/* A token's or login's name: config_api_name_ok(), and not yet given as either. */
static int
config_api_name(const struct config_api *a, const char *what, const char *name, char *why, size_t whylen)
{
	if (!config_api_name_ok(name)) {
		snprintf(why, whylen, "a %s name is 1 to %d letters, digits, '-', '_' or '.'", what,
		    CONFIG_API_NAME_MAX - 1);
		return -1;
	}
	/* Tokens and logins share one namespace: the audit stream names who did a thing by it. */
	for (size_t i = 0; i < a->ntokens; i++) {
		if (strcmp(a->tokens[i].name, name) == 0) {
			snprintf(why, whylen, "'%s' is given twice (as a token)", name);
			return -1;
		}
	}
	for (size_t i = 0; i < a->nlogins; i++) {
		if (strcmp(a->logins[i].name, name) == 0) {
			snprintf(why, whylen, "'%s' is given twice (as a login)", name);
			return -1;
		}
	}
	return 0;
}

/* The role at the start of value; *rest what follows it. -1 when it is none. */
static int
config_api_role(const char *value, const char **rest)
{
	const char *sp = strchr(value, ' ');
	size_t rl = sp != NULL ? (size_t)(sp - value) : strlen(value);
	char role[32];

	snprintf(role, sizeof role, "%.*s", (int)(rl < sizeof role ? rl : sizeof role - 1), value);
	while (sp != NULL && *sp == ' ')
		sp++;
	*rest = sp != NULL ? sp : "";
	return role_from_name(role);
}

int
config_api_set(struct config_api *a, const char *key, const char *value, char *why, size_t whylen)
{
	const char *name = key + 6, *rest;
	int r;
	struct config_api_token t;

	if (strncmp(key, "token.", 6) != 0) {
		snprintf(why, whylen, "unknown key '%s' (tokens are token.<name> = <role> sha256:<hex>)", key);
		return -1;
	}
	if (config_api_name(a, "token", name, why, whylen) != 0)
		return -1;
	if ((r = config_api_role(value, &rest)) < 0) {
		snprintf(why, whylen, "token '%s': the role must be agent, monitoring or admin", name);
		return -1;
	}
	if (strncmp(rest, "sha256:", 7) != 0 || config_api_hex(rest + 7, t.sha256, sizeof t.sha256) != 0) {
		snprintf(why, whylen,
		    "token '%s': give the SHA-256 of the secret as sha256:<64 hex digits> (printf %%s SECRET | "
		    "sha256sum), never the secret",
		    name);
		return -1;
	}
	snprintf(t.name, sizeof t.name, "%s", name);
	t.role = (enum role)r;
	a->tokens = xreallocarray(a->tokens, a->ntokens + 1, sizeof *a->tokens);
	a->tokens[a->ntokens++] = t;
	return 0;
}

/* "pbkdf2-sha256:<iterations>:<salt hex>:<hash hex>" into l; -1 when it is not that. */
static int
config_console_hash(const char *s, struct config_api_login *l)
{
	char *end, salt[2 * sizeof l->salt + 1];
	unsigned long it;
	const char *colon;
	size_t sl;

	if (strncmp(s, "pbkdf2-sha256:", 14) != 0)
		return -1;
	it = strtoul(s + 14, &end, 10);
	if (end == s + 14 || *end != ':' || it < 10000 || it > 10000000)
		return -1;
	colon = strchr(end + 1, ':');
	if (colon == NULL || (sl = (size_t)(colon - end - 1)) < 16 || sl % 2 != 0 || sl >= sizeof salt)
		return -1;
	memcpy(salt, end + 1, sl);
	salt[sl] = '\0';
	if (config_api_hex(salt, l->salt, sl / 2) != 0 || config_api_hex(colon + 1, l->hash, sizeof l->hash) != 0)
		return -1;
	l->saltlen = sl / 2;
	l->iterations = (unsigned)it;
	return 0;
}

int
config_console_set(struct config_api *a, const char *key, const char *value, char *why, size_t whylen)
{
	struct config_api_login l;
	const char *rest;
	char *end;
	int r;

	if (strcmp(key, "dir") == 0) {
		if (*value == '\0') {
			snprintf(why, whylen, "dir: give the directory of the console's files, or off");
			return -1;
		}
		free(a->console_dir);
		a->console_dir = xstrdup(value);
		return 0;
	}
	if (strcmp(key, "origin") == 0) {
		size_t n = strlen(value);

		if ((strncmp(value, "https://", 8) != 0 && strncmp(value, "http://", 7) != 0) ||
		    strchr(strstr(value, "://") + 3, '/') != NULL || n > 200 || value[n - 1] == ':') {
			snprintf(why, whylen,
			    "origin: the console's address as a browser has it, e.g. https://amuddu.example.ma "
			    "(scheme, host and port, no path), not '%s'",
			    value);
			return -1;
		}
		free(a->origin);
		a->origin = xstrdup(value);
		return 0;
	}
	if (strcmp(key, "session_hours") == 0) {
		double h = strtod(value, &end);

		if (end == value || *end != '\0' || !(h >= 0.01 && h <= 24 * 30)) {
			snprintf(why, whylen, "session_hours: a number of hours from 0.01 to 720, not '%s'", value);
			return -1;
		}
		a->session_seconds = (long)(h * 3600 + 0.5);
		return 0;
	}
	if (strcmp(key, "secure_cookie") == 0) {
		if (strcmp(value, "yes") != 0 && strcmp(value, "no") != 0) {
			snprintf(why, whylen, "secure_cookie: yes or no, not '%s'", value);
			return -1;
		}
		a->secure_cookie = strcmp(value, "yes") == 0;
		return 0;
	}
	if (strcmp(key, "trusted_proxies") == 0)
		return netaddr_list_parse(&a->trusted_proxies, value, why, whylen);
	if (strncmp(key, "login.", 6) != 0) {
		snprintf(why, whylen,
		    "unknown key '%s' (dir, origin, session_hours, secure_cookie, trusted_proxies, login.<name> = "
		    "<role> "
		    "pbkdf2-sha256:…)",
		    key);
		return -1;
	}
	memset(&l, 0, sizeof l);
	if (config_api_name(a, "login", key + 6, why, whylen) != 0)
		return -1;
	if ((r = config_api_role(value, &rest)) < 0) {
		snprintf(why, whylen, "login '%s': the role must be agent, monitoring or admin", key + 6);
		return -1;
	}
	if (config_console_hash(rest, &l) != 0) {
		snprintf(why, whylen,
		    "login '%s': give the password's hash as pbkdf2-sha256:<iterations>:<salt hex>:<hash hex> "
		    "(amuddu password makes one), never the password",
		    key + 6);
		return -1;
	}
	snprintf(l.name, sizeof l.name, "%s", key + 6);
	l.role = (enum role)r;
	a->logins = xreallocarray(a->logins, a->nlogins + 1, sizeof *a->logins);
	a->logins[a->nlogins++] = l;
	return 0;
}

void
config_api_free(struct config_api *a)
{
	free(a->tokens);
	a->tokens = NULL;
	a->ntokens = 0;
	free(a->logins);
	a->logins = NULL;
	a->nlogins = 0;
	free(a->console_dir);
	a->console_dir = NULL;
	free(a->origin);
	a->origin = NULL;
	netaddr_list_free(&a->trusted_proxies);
}
