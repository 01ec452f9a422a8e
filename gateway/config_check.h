/*
 * Checks of settings that need more than their own line: the campaigns'
 * (locales, prices, the default country). config_load() calls them.
 */
#ifndef AMUDDU_CONFIG_CHECK_H
#define AMUDDU_CONFIG_CHECK_H

#include <stddef.h>

#include "gateway/config.h"

/* 0, or -1 with "file: [section] key: reason" in err. */
int config_check_campaigns(const struct config *c, const char *name, char *err, size_t errlen)
    __attribute__((warn_unused_result));
/* A provider section's values the gateway reads itself: rate, tier. */
int config_check_provider(const struct config_provider *cp, const char *name, char *err, size_t errlen)
    __attribute__((warn_unused_result));
/* [gateway] sms_provider names a configured SMS provider. */
int config_check_sms_provider(const struct config *c, const char *name, char *err, size_t errlen)
    __attribute__((warn_unused_result));
/* The [replies] section: working days and hours, tags, links. */
int config_check_replies(const struct config *c, const char *name, char *err, size_t errlen)
    __attribute__((warn_unused_result));

#endif
