/*
 * The DHIS2 forms of a reach report (declared in handlers/reach_report.h):
 * dataValueSets as JSON or CSV through the mapping from configuration,
 * and the list of the counts that could not be given, each with why. A
 * count is never dropped without a word: it is written, or listed, or it
 * is zero. Owns the list it answers (reach_dhis2_free()).
 */
#include "handlers/reach_report.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/util/buf.h"
#include "gateway/util/xmalloc.h"

static const char *const reach_dhis2_sexes[4] = { "female", "male", "other", "unknown" };

/* Where a row's counts go in DHIS2: period, org unit and category option combo, or why they cannot. */
struct reach_dhis2_target {
	char pe[32];
	const char *ou, *coc;
	char *why;
};

static void reach_dhis2_why(char *why, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static bool reach_dhis2_caseeq(const char *a, const char *b);
static bool reach_dhis2_digits(const char *s, size_t n);
static int reach_dhis2_period_of(const char *date, enum reach_period p, char out[11]);
static void reach_dhis2_unmapped_add(struct reach_dhis2 *res, const char *cell, const char *reason, long long value);
static void reach_dhis2_target(const struct reach_dhis2_map *m, const struct reach_row *row, const bool by[],
    const char *pe, struct reach_dhis2_target *t);
static const char *reach_dhis2_element(const struct reach_dhis2_map *m, int metric, const char *kind, char **why);
static void reach_dhis2_write(const struct reach_dhis2_map *m, const struct reach_dhis2_target *t, const char *de,
    long long v, const char *comment, struct buf *out, json_t *values);
static char *reach_dhis2_comment(const struct reach_report *r, const struct reach_row *row, int metric);

static void
reach_dhis2_why(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (why == NULL || len == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
}

/* Case-insensitive for ASCII letters only: names in other scripts are compared byte for byte. */
static bool
reach_dhis2_caseeq(const char *a, const char *b)
{
	for (; *a != '\0' && *b != '\0'; a++, b++) {
		char x = *a >= 'A' && *a <= 'Z' ? (char)(*a + 32) : *a,
		     y = *b >= 'A' && *b <= 'Z' ? (char)(*b + 32) : *b;

		if (x != y)
			return false;
	}
	return *a == *b;
}

static bool
reach_dhis2_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* DHIS2's period formats: "Period types" of its Web API documentation (yyyyMMdd, yyyyMM, yyyyQn, yyyySn, yyyy). */
int
reach_period_dhis2(const char *label, char *out, size_t outlen)
{
	static const int mdays[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	size_t len = label != NULL ? strlen(label) : 0;
	int y, mo, d, n = -1;

	if (len < 4 || !reach_dhis2_digits(label, 4) || (len > 4 && label[4] != '-'))
		return -1;
	y = atoi(label);
	if (len == 4)
		n = snprintf(out, outlen, "%.4s", label);
	else if (len == 7 && label[5] == 'Q' && label[6] >= '1' && label[6] <= '4')
		n = snprintf(out, outlen, "%.4sQ%c", label, label[6]);
	else if (len == 7 && label[5] == 'S' && (label[6] == '1' || label[6] == '2'))
		n = snprintf(out, outlen, "%.4sS%c", label, label[6]);
	else if ((len == 7 || (len == 10 && label[7] == '-')) && reach_dhis2_digits(label + 5, 2)) {
		mo = atoi(label + 5);
		if (mo < 1 || mo > 12)
			return -1;
		if (len == 7)
			n = snprintf(out, outlen, "%.4s%.2s", label, label + 5);
		else if (reach_dhis2_digits(label + 8, 2)) {
			d = atoi(label + 8);
			if (d >= 1 && d <= mdays[mo - 1] &&
			    (mo != 2 || d < 29 || (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))))
				n = snprintf(out, outlen, "%.4s%.2s%.2s", label, label + 5, label + 8);
		}
	}
	return n > 0 && (size_t)n < outlen ? 0 : -1;
}

/* The label of the period of type p that holds date ("YYYY-MM-DD"). */
static int
reach_dhis2_period_of(const char *date, enum reach_period p, char out[11])
{
	char check[16];
	int mo;

	if (strnlen(date, 11) != 10 || reach_period_dhis2(date, check, sizeof check) == -1)
		return -1;
	mo = atoi(date + 5);
	if (p == REACH_PERIOD_DAY)
		snprintf(out, 11, "%.10s", date);
	else if (p == REACH_PERIOD_MONTH)
		snprintf(out, 11, "%.7s", date);
	else if (p == REACH_PERIOD_QUARTER)
		snprintf(out, 11, "%.4s-Q%c", date, (char)('1' + (mo - 1) / 3));
	else if (p == REACH_PERIOD_SEMESTER)
		snprintf(out, 11, "%.4s-S%c", date, (char)('1' + (mo - 1) / 6));
	else
		snprintf(out, 11, "%.4s", date);
	return 0;
}

static void
reach_dhis2_unmapped_add(struct reach_dhis2 *res, const char *cell, const char *reason, long long value)
{
	struct reach_unmapped *u;

	/* The room is the next power of two at or above nunmapped. */
	if ((res->nunmapped & (res->nunmapped - 1)) == 0)
		res->unmapped = xreallocarray(res->unmapped, res->nunmapped == 0 ? 1 : res->nunmapped * 2, sizeof *u);
	u = &res->unmapped[res->nunmapped++];
	u->cell = xstrdup(cell);
	u->reason = xstrdup(reason);
	u->value = value;
}

/* by[d]: whether the report is broken down by d; pe: the one period when it is not by period. */
static void
reach_dhis2_target(const struct reach_dhis2_map *m, const struct reach_row *row, const bool by[], const char *pe,
    struct reach_dhis2_target *t)
{
	const char *city = row->dim[REACH_DIM_CITY], *sex = row->dim[REACH_DIM_SEX],
		   *label = row->dim[REACH_DIM_PERIOD];

	city = city != NULL ? city : "";
	sex = sex != NULL ? sex : "";
	label = label != NULL ? label : "";
	t->ou = by[REACH_DIM_CITY] ? NULL : m->org_unit;
	t->coc = by[REACH_DIM_SEX] ? NULL : m->coc_default;
	t->why = NULL;
	for (size_t k = 0; by[REACH_DIM_CITY] && t->ou == NULL && k < m->ncity; k++)
		if (reach_dhis2_caseeq(city, m->city_names[k]))
			t->ou = m->city_units[k];
	for (int i = 0; by[REACH_DIM_SEX] && i < 4; i++)
		if (strcmp(sex, reach_dhis2_sexes[i]) == 0)
			t->coc = m->coc_sex[i];
	snprintf(t->pe, sizeof t->pe, "%s", by[REACH_DIM_PERIOD] ? label : pe);
	if (by[REACH_DIM_PERIOD] && reach_period_dhis2(label, t->pe, sizeof t->pe) == -1)
		t->why = xasprintf("period \"%s\" is not a DHIS2 period", label);
	else if (t->ou == NULL && by[REACH_DIM_CITY])
		t->why = xasprintf("city \"%s\" has no org unit", city);
	else if (t->ou == NULL)
		t->why = xstrdup("no org unit: set [dhis2] org_unit or break down by city");
	else if (t->coc == NULL && by[REACH_DIM_SEX])
		t->why = xasprintf("sex \"%s\" has no category option combo", sex);
	else if (t->coc == NULL)
		t->why = xstrdup("no category option combo: set [dhis2] coc or break down by sex");
}

/*
 * The data element of an indicator. By kind, only the kind's own element
 * will do: falling back to the indicator's would give DHIS2 several
 * values for one data value, of which it keeps the last.
 */
static const char *
reach_dhis2_element(const struct reach_dhis2_map *m, int metric, const char *kind, char **why)
{
	const char *name = reach_metric_name((enum reach_metric)metric), *de = NULL;
	char *key;

	if (kind == NULL) {
		if (m->element[metric] == NULL)
			*why = xasprintf("indicator %s has no data element", name);
		return m->element[metric];
	}
	key = xasprintf("%s.%s", name, kind);
	for (size_t k = 0; de == NULL && k < m->nkind; k++)
		if (reach_dhis2_caseeq(key, m->kind_keys[k]))
			de = m->kind_elements[k];
	free(key);
	if (de == NULL)
		*why =
		    xasprintf("indicator %s has no data element for kind %s", name, *kind != '\0' ? kind : "unknown");
	return de;
}

/* One data value, in the form asked for. */
static void
reach_dhis2_write(const struct reach_dhis2_map *m, const struct reach_dhis2_target *t, const char *de, long long v,
    const char *comment, struct buf *out, json_t *values)
{
	char num[32];

	snprintf(num, sizeof num, "%lld", v);
	if (values != NULL) {
		json_t *o = json_object();

		json_object_set_new(o, "dataElement", json_string(de));
		json_object_set_new(o, "period", json_string(t->pe));
		json_object_set_new(o, "orgUnit", json_string(t->ou));
		json_object_set_new(o, "categoryOptionCombo", json_string(t->coc));
		if (m->attribute_option_combo != NULL)
			json_object_set_new(o, "attributeOptionCombo", json_string(m->attribute_option_combo));
		json_object_set_new(o, "value", json_string(num));
		if (comment != NULL)
			json_object_set_new(o, "comment", json_string(comment));
		json_array_append_new(values, o);
		return;
	}
	reach_csv_text(out, de, ',', false);
	buf_puts(out, ",");
	reach_csv_text(out, t->pe, ',', false);
	buf_puts(out, ",");
	reach_csv_text(out, t->ou, ',', false);
	buf_puts(out, ",");
	reach_csv_text(out, t->coc, ',', false);
	buf_puts(out, ",");
	reach_csv_text(out, m->attribute_option_combo != NULL ? m->attribute_option_combo : "", ',', false);
	buf_printf(out, ",%s,,,", num);
	reach_csv_text(out, comment != NULL ? comment : "", ',', false);
	buf_puts(out, ",\n");
}

/* The comment of a reached count that rests partly on sends; it gives no number when delivered is hidden. */
static char *
reach_dhis2_comment(const struct reach_report *r, const struct reach_row *row, int metric)
{
	long long extra = row->v[REACH_REACHED] - row->v[REACH_DELIVERED];

	if (!r->unconfirmed_routes || metric != REACH_REACHED || extra <= 0)
		return NULL;
	if (r->suppress_below > 1 && (row->suppressed & 1u << REACH_DELIVERED))
		return xstrdup("includes people counted when sent: route without delivery receipts");
	return xasprintf("includes %lld people counted when sent: route without delivery receipts", extra);
}

int
reach_dhis2(const struct reach_report *r, const struct reach_dhis2_map *m, bool csv, struct buf *out,
    struct reach_dhis2 *res, char *why, size_t whylen)
{
	bool by[REACH_DIM_COUNT] = { false };
	const struct reach_row *rows = r->nby > 0 ? r->rows : &r->totals;
	size_t nrows = r->nby > 0 ? r->nrows : 1;
	char from[11] = "", to[11] = "", pe[16] = "", *dump;
	json_t *doc = NULL, *values = NULL;
	struct buf cell;

	memset(res, 0, sizeof *res);
	if ((unsigned)r->period >= REACH_PERIOD_RANGE) {
		reach_dhis2_why(why, whylen, "DHIS2 needs a period type: day, month, quarter, semester or year");
		return -1;
	}
	for (size_t i = 0; i < r->nby; i++) {
		if (r->by[i] != REACH_DIM_PERIOD && r->by[i] != REACH_DIM_SEX && r->by[i] != REACH_DIM_CITY &&
		    r->by[i] != REACH_DIM_KIND) {
			reach_dhis2_why(why, whylen, "DHIS2 takes no breakdown by %s", reach_dim_name(r->by[i]));
			return -1;
		}
		by[r->by[i]] = true;
	}
	/* Not by period, the report must fit in one period of its type, which every value is given. */
	if (!by[REACH_DIM_PERIOD]) {
		if (reach_dhis2_period_of(r->from, r->period, from) == -1 ||
		    reach_dhis2_period_of(r->to, r->period, to) == -1 ||
		    reach_period_dhis2(from, pe, sizeof pe) == -1) {
			reach_dhis2_why(
			    why, whylen, "the report's dates \"%.10s\" to \"%.10s\" are not dates", r->from, r->to);
			return -1;
		}
		if (strcmp(from, to) != 0) {
			reach_dhis2_why(why, whylen,
			    "the report covers %s to %s, more than one %s: break down by period", from, to,
			    reach_period_name(r->period));
			return -1;
		}
	}
	if (csv)
		buf_puts(out,
		    "dataelement,period,orgunit,categoryoptioncombo,attributeoptioncombo,value,storedby,"
		    "lastupdated,comment,followup\n");
	else {
		doc = json_object();
		if (m->data_set != NULL)
			json_object_set_new(doc, "dataSet", json_string(m->data_set));
		values = json_array();
	}
	buf_init(&cell);
	for (size_t i = 0; i < nrows; i++) {
		const struct reach_row *row = &rows[i];
		const char *kind =
		    by[REACH_DIM_KIND] ? (row->dim[REACH_DIM_KIND] != NULL ? row->dim[REACH_DIM_KIND] : "") : NULL;
		struct reach_dhis2_target t;

		reach_dhis2_target(m, row, by, pe, &t);
		for (int k = 0; k < REACH_METRIC_COUNT; k++) {
			bool hidden = r->suppress_below > 1 && (row->suppressed & 1u << k);
			char *no_de = NULL, *comment, *sup;
			const char *de = NULL;

			if (row->v[k] == 0)
				continue;
			buf_reset(&cell);
			buf_printf(&cell, "%s %s", t.pe, reach_metric_name((enum reach_metric)k));
			for (size_t j = 0; j < r->nby; j++)
				if (r->by[j] != REACH_DIM_PERIOD)
					buf_printf(&cell, " %s",
					    row->dim[r->by[j]] != NULL && *row->dim[r->by[j]] != '\0'
						? row->dim[r->by[j]]
						: "unknown");
			if (t.why == NULL)
				de = reach_dhis2_element(m, k, kind, &no_de);
			/* A hidden count stays hidden here too: the list is shown to the same people. */
			if (t.why != NULL || de == NULL || hidden) {
				sup = hidden ? xasprintf("suppressed (below %d)", r->suppress_below) : NULL;
				reach_dhis2_unmapped_add(res, cell.data,
				    t.why != NULL       ? t.why
					: no_de != NULL ? no_de
							: sup,
				    hidden ? -1 : row->v[k]);
				free(sup);
				free(no_de);
				continue;
			}
			comment = reach_dhis2_comment(r, row, k);
			reach_dhis2_write(m, &t, de, row->v[k], comment, out, values);
			free(comment);
			res->nvalues++;
		}
		free(t.why);
	}
	buf_free(&cell);
	if (doc != NULL) {
		json_object_set_new(doc, "dataValues", values);
		dump = json_dumps(doc, JSON_COMPACT);
		json_decref(doc);
		if (dump == NULL)
			abort(); /* jansson is out of memory, as xmalloc would be */
		buf_puts(out, dump);
		free(dump);
	}
	return 0;
}

void
reach_dhis2_free(struct reach_dhis2 *res)
{
	for (size_t i = 0; i < res->nunmapped; i++) {
		free(res->unmapped[i].cell);
		free(res->unmapped[i].reason);
	}
	free(res->unmapped);
	memset(res, 0, sizeof *res);
}
