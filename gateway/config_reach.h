/*
 * The [reach] and [dhis2] sections of the configuration: the reach
 * reports' small-cell threshold, and the mapping of the indicators to a
 * DHIS2 instance's data elements, sex to its category option combos and
 * cities to its org units (docs/indicators.md). config.c hands it the
 * sections' lines; struct config owns it (config_reach_free()).
 */
#ifndef AMUDDU_CONFIG_REACH_H
#define AMUDDU_CONFIG_REACH_H

#include <stddef.h>

#include "handlers/reach_report.h"

struct config_reach {
	int suppress_below; /* [reach] suppress_below: counts under it show as "<N"; 0 off */
	/* [dhis2] */
	char *data_set, *attribute_option_combo, *org_unit, *coc_default;
	char *element[REACH_METRIC_COUNT]; /* element.<indicator> */
	char *coc_sex[4];                  /* coc.female, coc.male, coc.other, coc.unknown */
	char **city_names, **city_units;   /* org_unit.<city> */
	size_t ncity;
	char **kind_keys, **kind_elements; /* element.<indicator>.<kind> */
	size_t nkind;
};

/* One line of [reach] or [dhis2] (section); -1 with why when it is not a valid one. */
int config_reach_set(struct config_reach *r, const char *section, const char *key, const char *value, char *why,
    size_t whylen) __attribute__((warn_unused_result));
/* The DHIS2 mapping as reach_dhis2() takes it (pointers into r). */
void config_reach_dhis2(const struct config_reach *r, struct reach_dhis2_map *m);
void config_reach_free(struct config_reach *r);

#endif
