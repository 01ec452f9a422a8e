/*
 * The list of providers the gateway knows, by name. A new provider is one
 * file with its struct provider_ops and one line here.
 */
#ifndef AMUDDU_PROVIDERS_H
#define AMUDDU_PROVIDERS_H

#include <stddef.h>

#include "handlers/provider.h"

/* The registered providers, in the order SMS providers are preferred. */
extern const struct provider_ops *const providers_all[];
extern const size_t providers_count;

/* The provider called name, or NULL. */
const struct provider_ops *providers_find(const char *name);
/* The key of ops called name, or NULL when the provider does not read it. */
const struct provider_key *providers_key(const struct provider_ops *ops, const char *name);

#endif
