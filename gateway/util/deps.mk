# What each module in gateway/util/ needs from other modules: the unit tests and
# fuzz targets link a module with exactly this (and what that needs in turn).
# Held to the layering of docs/design.md by scripts/check-layers.
NEEDS_gateway/util/buf := gateway/util/xmalloc
NEEDS_gateway/util/domain :=
NEEDS_gateway/util/log :=
NEEDS_gateway/util/netaddr := gateway/util/xmalloc
NEEDS_gateway/util/phone := gateway/util/log gateway/util/xmalloc
NEEDS_gateway/util/strset := gateway/util/xmalloc
NEEDS_gateway/util/xmalloc :=
NEEDS_gateway/util/zone :=
