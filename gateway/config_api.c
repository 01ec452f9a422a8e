/*
 * Reads token lines of [api]. The hash is checked for form only; a token
 * name may appear once, so that the audit stream names one token each.
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

int
config_api_set(struct config_api *a, const char *key, const char *value, char *why, size_t whylen)
{
	const char *name = key + 6, *sp;
	char role[32];
	size_t rl;
	int r;
	struct config_api_token t;

	if (strncmp(key, "token.", 6) != 0) {
		snprintf(why, whylen, "unknown key '%s' (tokens are token.<name> = <role> sha256:<hex>)", key);
		return -1;
	}
	if (*name == '\0' || strlen(name) >= sizeof t.name ||
	    strspn(name,
		"abcdefghijklmnopqrstuvwxyz"
		"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") != strlen(name)) {
		snprintf(why, whylen, "a token name is 1 to %zu letters, digits, '-', '_' or '.'", sizeof t.name - 1);
		return -1;
	}
	for (size_t i = 0; i < a->ntokens; i++) {
		if (strcmp(a->tokens[i].name, name) == 0) {
			snprintf(why, whylen, "token '%s' is given twice", name);
			return -1;
		}
	}
	sp = strchr(value, ' ');
	rl = sp != NULL ? (size_t)(sp - value) : strlen(value);
	snprintf(role, sizeof role, "%.*s", (int)(rl < sizeof role ? rl : sizeof role - 1), value);
	if ((r = role_from_name(role)) < 0) {
		snprintf(why, whylen, "token '%s': the role must be agent, monitoring or admin", name);
		return -1;
	}
	while (sp != NULL && *sp == ' ')
		sp++;
	if (sp == NULL || strncmp(sp, "sha256:", 7) != 0 || config_api_hex(sp + 7, t.sha256, sizeof t.sha256) != 0) {
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

void
config_api_free(struct config_api *a)
{
	free(a->tokens);
	a->tokens = NULL;
	a->ntokens = 0;
}
