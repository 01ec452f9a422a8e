# What each module in locales/ needs from other modules: the unit tests and
# fuzz targets link a module with exactly this (and what that needs in turn).
# Held to the layering of docs/design.md by scripts/check-layers.
NEEDS_locales/locale_guess :=
NEEDS_locales/segments := gateway/util/buf
NEEDS_locales/fallback :=
NEEDS_locales/catalog := gateway/util/buf gateway/util/xmalloc locales/fallback
