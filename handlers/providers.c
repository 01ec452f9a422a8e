/*
 * The provider registry: which providers exist and which keys each reads.
 * Configuration sections are matched against it by name.
 */
#include "handlers/providers.h"

#include <string.h>

#include "handlers/generic.h"
#include "handlers/twilio.h"
#include "handlers/whatsapp.h"

const struct provider_ops *const providers_all[] = {
	&twilio_ops,
	&generic_ops,
	&whatsapp_ops,
};
const size_t providers_count = sizeof providers_all / sizeof providers_all[0];

const struct provider_ops *
providers_find(const char *name)
{
	for (size_t i = 0; i < providers_count; i++)
		if (strcmp(providers_all[i]->name, name) == 0)
			return providers_all[i];
	return NULL;
}

const struct provider_key *
providers_key(const struct provider_ops *ops, const char *name)
{
	for (const struct provider_key *k = ops->keys; k->name != NULL; k++) {
		if (k->prefix ? strncmp(name, k->name, strlen(k->name)) == 0 && name[strlen(k->name)] != '\0'
			      : strcmp(name, k->name) == 0)
			return k;
	}
	return NULL;
}
