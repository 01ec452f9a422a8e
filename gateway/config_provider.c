/*
 * A provider's configuration section as the gateway and the provider read
 * it: found by name, one key's value, and the settings its create() takes.
 */
#include <stdio.h>
#include <string.h>

#include "gateway/config.h"

const struct config_provider *
config_provider(const struct config *c, const char *name)
{
	for (size_t i = 0; i < c->nproviders; i++)
		if (c->providers[i].enabled && strcmp(c->providers[i].ops->name, name) == 0)
			return &c->providers[i];
	return NULL;
}

const char *
config_provider_get(const struct config *c, const char *provider, const char *key)
{
	const struct config_provider *cp = config_provider(c, provider);

	if (cp == NULL)
		return NULL;
	for (size_t i = 0; i < cp->n; i++)
		if (strcmp(cp->v[i].key, key) == 0)
			return cp->v[i].value;
	return NULL;
}

void
config_provider_settings(const struct config *c, const struct config_provider *p, struct provider_settings *out)
{
	out->v = p->v;
	out->n = p->n;
	out->public_url = c->http_public_url != NULL ? c->http_public_url : "";
}

void
config_noreceipt(const struct config *c, char *out, size_t outlen)
{
	size_t n = 0;

	out[0] = '\0';
	for (size_t i = 0; i < c->nproviders; i++) {
		const char *v = config_provider_get(c, c->providers[i].ops->name, "receipts");

		if (c->providers[i].enabled && v != NULL && strcmp(v, "no") == 0 && n < outlen)
			n += (size_t)snprintf(out + n, outlen - n, "%s%s", n > 0 ? " " : "", c->providers[i].ops->name);
	}
}
