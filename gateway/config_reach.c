/*
 * [reach] and [dhis2]: keys with a part chosen by the programme (an
 * indicator, a kind, a city) are read here rather than from config.c's
 * fixed table.
 */
#include "gateway/config_reach.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/util/domain.h"
#include "gateway/util/xmalloc.h"

static const char *const config_reach_sexes[4] = { "female", "male", "other", "unknown" };

static void
config_reach_put(char **slot, const char *value)
{
	free(*slot);
	*slot = xstrdup(value);
}

/* A DHIS2 uid: a letter then 10 letters or digits; anything else is refused, so a typo is found at start. */
static int
config_reach_uid(const char *key, const char *v, char *why, size_t whylen)
{
	size_t n = strlen(v);

	if (n == 11 && ((v[0] >= 'a' && v[0] <= 'z') || (v[0] >= 'A' && v[0] <= 'Z')) &&
	    strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") == n)
		return 0;
	snprintf(why, whylen, "%s: '%.40s' is not a DHIS2 uid (a letter and 10 letters or digits)", key, v);
	return -1;
}

static void
config_reach_pair(char ***names, char ***values, size_t *n, const char *name, const char *value)
{
	for (size_t i = 0; i < *n; i++) {
		if (strcmp((*names)[i], name) == 0) {
			config_reach_put(&(*values)[i], value);
			return;
		}
	}
	*names = xrealloc(*names, (*n + 1) * sizeof **names);
	*values = xrealloc(*values, (*n + 1) * sizeof **values);
	(*names)[*n] = xstrdup(name);
	(*values)[*n] = xstrdup(value);
	(*n)++;
}

static int
config_reach_dhis2_set(struct config_reach *r, const char *key, const char *value, char *why, size_t whylen)
{
	const char *dot;
	char metric[32];
	int m;

	if (strcmp(key, "data_set") == 0 || strcmp(key, "attribute_option_combo") == 0 ||
	    strcmp(key, "org_unit") == 0 || strcmp(key, "coc") == 0) {
		if (config_reach_uid(key, value, why, whylen) != 0)
			return -1;
		config_reach_put(key[0] == 'd'    ? &r->data_set
			: key[0] == 'a'           ? &r->attribute_option_combo
			: strcmp(key, "coc") == 0 ? &r->coc_default
						  : &r->org_unit,
		    value);
		return 0;
	}
	if (strncmp(key, "coc.", 4) == 0) {
		for (int i = 0; i < 4; i++) {
			if (strcmp(key + 4, config_reach_sexes[i]) == 0) {
				if (config_reach_uid(key, value, why, whylen) != 0)
					return -1;
				config_reach_put(&r->coc_sex[i], value);
				return 0;
			}
		}
		snprintf(why, whylen, "%s: the sexes are female, male, other and unknown", key);
		return -1;
	}
	if (strncmp(key, "org_unit.", 9) == 0 && key[9] != '\0') {
		if (config_reach_uid(key, value, why, whylen) != 0)
			return -1;
		config_reach_pair(&r->city_names, &r->city_units, &r->ncity, key + 9, value);
		return 0;
	}
	if (strncmp(key, "element.", 8) == 0) {
		dot = strchr(key + 8, '.');
		snprintf(
		    metric, sizeof metric, "%.*s", dot != NULL ? (int)(dot - key - 8) : (int)strlen(key + 8), key + 8);
		if ((m = reach_metric_parse(metric)) < 0) {
			snprintf(why, whylen,
			    "%s: '%s' is not an indicator (sent, delivered, read, reached, replied, informed, "
			    "referred, "
			    "opted_out)",
			    key, metric);
			return -1;
		}
		if (config_reach_uid(key, value, why, whylen) != 0)
			return -1;
		if (dot == NULL) {
			config_reach_put(&r->element[m], value);
			return 0;
		}
		if (kind_from_name(dot + 1) < 0) {
			snprintf(why, whylen, "%s: '%s' is not a kind", key, dot + 1);
			return -1;
		}
		config_reach_pair(&r->kind_keys, &r->kind_elements, &r->nkind, key + 8, value);
		return 0;
	}
	snprintf(why, whylen,
	    "unknown key '%s' (data_set, org_unit, org_unit.<city>, coc, coc.<sex>, element.<indicator>, "
	    "element.<indicator>.<kind>, attribute_option_combo)",
	    key);
	return -1;
}

int
config_reach_set(
    struct config_reach *r, const char *section, const char *key, const char *value, char *why, size_t whylen)
{
	char *end;
	long v;

	if (strcmp(section, "dhis2") == 0)
		return config_reach_dhis2_set(r, key, value, why, whylen);
	if (strcmp(key, "suppress_below") == 0) {
		v = strtol(value, &end, 10);
		if (end == value || *end != '\0' || v < 0 || v > 1000) {
			snprintf(why, whylen, "suppress_below: '%.40s' is not a count from 0 (off) to 1000", value);
			return -1;
		}
		r->suppress_below = (int)v;
		return 0;
	}
	snprintf(why, whylen, "unknown key '%s' (suppress_below)", key);
	return -1;
}

void
config_reach_dhis2(const struct config_reach *r, struct reach_dhis2_map *m)
{
	memset(m, 0, sizeof *m);
	m->data_set = r->data_set;
	m->attribute_option_combo = r->attribute_option_combo;
	m->org_unit = r->org_unit;
	m->coc_default = r->coc_default;
	for (int i = 0; i < REACH_METRIC_COUNT; i++)
		m->element[i] = r->element[i];
	for (int i = 0; i < 4; i++)
		m->coc_sex[i] = r->coc_sex[i];
	m->city_names = (const char *const *)r->city_names;
	m->city_units = (const char *const *)r->city_units;
	m->ncity = r->ncity;
	m->kind_keys = (const char *const *)r->kind_keys;
	m->kind_elements = (const char *const *)r->kind_elements;
	m->nkind = r->nkind;
}

void
config_reach_free(struct config_reach *r)
{
	free(r->data_set);
	free(r->attribute_option_combo);
	free(r->org_unit);
	free(r->coc_default);
	for (int i = 0; i < REACH_METRIC_COUNT; i++)
		free(r->element[i]);
	for (int i = 0; i < 4; i++)
		free(r->coc_sex[i]);
	for (size_t i = 0; i < r->ncity; i++) {
		free(r->city_names[i]);
		free(r->city_units[i]);
	}
	free(r->city_names);
	free(r->city_units);
	for (size_t i = 0; i < r->nkind; i++) {
		free(r->kind_keys[i]);
		free(r->kind_elements[i]);
	}
	free(r->kind_keys);
	free(r->kind_elements);
	memset(r, 0, sizeof *r);
}
