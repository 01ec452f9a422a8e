/*
 * A generic HTTP JSON provider for local SMS aggregators: the URL, an
 * authorisation header, the body shape and the name of the id in the
 * answer all come from its [generic] section. The caller owns the
 * instance (through generic_ops.create/destroy).
 */
#ifndef AMUDDU_GENERIC_H
#define AMUDDU_GENERIC_H

#include "handlers/provider.h"

extern const struct provider_ops generic_ops;

#endif
