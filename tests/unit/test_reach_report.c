/*
 * Unit tests for handlers/reach_report.c and handlers/reach_dhis2.c: what
 * the M&E staff see of a reach report in each form — the API's JSON, the
 * CSV bytes Excel opens (byte-order mark, French separator, quoting, no
 * formula run), the terminal table with Arabic and accented labels, the
 * cells small-cell suppression hides, and the DHIS2 data values with the
 * counts that could not be given and why.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handlers/reach_report.h"
#include "tests/unit/test_reach_rows.h"

static void
test_names(void **state)
{
	(void)state;
	for (int d = 0; d < REACH_DIM_COUNT; d++)
		assert_int_equal(reach_dim_parse(reach_dim_name((enum reach_dim)d)), d);
	for (int m = 0; m < REACH_METRIC_COUNT; m++)
		assert_int_equal(reach_metric_parse(reach_metric_name((enum reach_metric)m)), m);
	for (int p = 0; p < REACH_PERIOD_COUNT; p++)
		assert_int_equal(reach_period_parse(reach_period_name((enum reach_period)p)), p);
	assert_string_equal(reach_dim_name(REACH_DIM_CITY), "city");
	assert_string_equal(reach_metric_name(REACH_OPTED_OUT), "opted_out");
	assert_string_equal(reach_period_name(REACH_PERIOD_SEMESTER), "semester");
	assert_int_equal(reach_dim_parse("ville"), -1);
	assert_int_equal(reach_metric_parse("Sent"), -1);
	assert_int_equal(reach_period_parse(""), -1);
}

static void
test_json_shape(void **state)
{
	static const char *const order[] = { "campaign", "campaign_name", "city", "sent", "delivered", "read",
		"reached", "replied", "informed", "referred", "opted_out", "reached_without_receipt" };
	struct reach_report r;
	struct reach_row *a;
	json_t *j, *row;
	void *it;
	size_t i = 0;

	(void)state;
	report(&r, REACH_PERIOD_MONTH, "2026-12-01", "2026-12-31", 2, REACH_DIM_CAMPAIGN, REACH_DIM_CITY);
	a = add(&r, (const char *[]){ "c-1", "Tanger" }, (long long[]){ 40, 30, 20, 35, 6, 5, 0, 2 });
	a->campaign_name = strdup("Vaccination");
	add(&r, (const char *[]){ "", "الرباط" }, (long long[]){ 9, 3, 0, 8, 0, 0, 0, 0 });
	add(&r, (const char *[]){ "c-2", "Fès" }, (long long[]){ 20, 12, 8, 15, 7, 6, 3, 5 });
	memcpy(r.totals.v, (long long[]){ 69, 45, 28, 58, 13, 11, 3, 7 }, sizeof r.totals.v);
	r.suppress_below = 5;
	r.unconfirmed_routes = true;
	reach_suppress(&r);
	j = reach_json(&r);
	assert_string_equal(json_string_value(json_object_get(j, "from")), "2026-12-01");
	assert_string_equal(json_string_value(json_object_get(j, "to")), "2026-12-31");
	assert_string_equal(json_string_value(json_object_get(j, "period")), "month");
	assert_int_equal(json_array_size(json_object_get(j, "by")), 2);
	assert_string_equal(json_string_value(json_array_get(json_object_get(j, "by"), 1)), "city");
	assert_int_equal(json_integer_value(json_object_get(j, "suppress_below")), 5);
	assert_true(json_is_true(json_object_get(j, "reached_includes_sends")));
	row = json_array_get(json_object_get(j, "rows"), 0);
	for (it = json_object_iter(row); it != NULL; it = json_object_iter_next(row, it), i++) {
		assert_true(i < sizeof order / sizeof order[0]);
		assert_string_equal(json_object_iter_key(it), order[i]);
	}
	assert_int_equal(i, sizeof order / sizeof order[0]);
	assert_string_equal(json_string_value(json_object_get(row, "campaign_name")), "Vaccination");
	assert_int_equal(json_integer_value(json_object_get(row, "sent")), 40);
	assert_int_equal(json_integer_value(json_object_get(row, "reached_without_receipt")), 5);
	/* Delivered 3 is hidden, so is reached minus delivered: it would give it back. */
	row = json_array_get(json_object_get(j, "rows"), 1);
	assert_string_equal(json_string_value(json_object_get(row, "campaign")), "");
	assert_null(json_object_get(row, "campaign_name"));
	assert_string_equal(json_string_value(json_object_get(row, "city")), "الرباط");
	assert_string_equal(json_string_value(json_object_get(row, "delivered")), "<5");
	assert_string_equal(json_string_value(json_object_get(row, "reached_without_receipt")), "<5");
	assert_int_equal(json_integer_value(json_object_get(row, "read")), 0);
	row = json_object_get(j, "totals");
	assert_null(json_object_get(row, "campaign"));
	assert_string_equal(json_string_value(json_object_get(row, "referred")), "<5");
	assert_int_equal(json_integer_value(json_object_get(row, "opted_out")), 7);
	assert_int_equal(json_integer_value(json_object_get(row, "reached_without_receipt")), 13);
	json_decref(j);
	/* Off, suppression says 0 and the column of sends is not there. */
	r.suppress_below = 0;
	r.unconfirmed_routes = false;
	j = reach_json(&r);
	assert_int_equal(json_integer_value(json_object_get(j, "suppress_below")), 0);
	assert_true(json_is_false(json_object_get(j, "reached_includes_sends")));
	row = json_array_get(json_object_get(j, "rows"), 1);
	assert_int_equal(json_integer_value(json_object_get(row, "delivered")), 3);
	assert_null(json_object_get(row, "reached_without_receipt"));
	json_decref(j);
	reach_report_free(&r);
}

static void
test_csv_bytes(void **state)
{
	struct reach_report r;
	struct reach_row *row;
	struct buf out;

	(void)state;
	report(&r, REACH_PERIOD_RANGE, "2026-12-01", "2026-12-31", 2, REACH_DIM_CAMPAIGN, REACH_DIM_CITY);
	row = add(&r, (const char *[]){ "=HYPERLINK(\"x\")", "الرباط" }, (long long[]){ 12, 10, 4, 10, 1, 0, 0, 0 });
	row->campaign_name = strdup("Santé; été");
	add(&r, (const char *[]){ "", "Dar \"Bouazza\"" }, (long long[]){ 7, 7, 0, 7, 0, 0, 0, 0 });
	add(&r, (const char *[]){ "-2", "" }, (long long[]){ 1, 1, 1, 1, 1, 1, 1, 1 });
	memcpy(r.totals.v, (long long[]){ 20, 18, 5, 18, 2, 1, 1, 1 }, sizeof r.totals.v);
	buf_init(&out);
	reach_csv(&r, ';', &out);
	assert_string_equal(out.data,
	    "\xEF\xBB\xBF"
	    "campaign;campaign_name;city;sent;delivered;read;reached;replied;informed;referred;opted_out\r\n"
	    "\"'=HYPERLINK(\"\"x\"\")\";\"Santé; été\";الرباط;12;10;4;10;1;0;0;0\r\n"
	    "(none);;\"Dar \"\"Bouazza\"\"\";7;7;0;7;0;0;0;0\r\n"
	    "'-2;;unknown;1;1;1;1;1;1;1;1\r\n"
	    "total;;;20;18;5;18;2;1;1;1\r\n");
	/* With a comma, a cell holding one is quoted; suppressed counts read "<t". */
	r.suppress_below = 3;
	r.unconfirmed_routes = true;
	reach_suppress(&r);
	buf_reset(&out);
	reach_csv(&r, ',', &out);
	assert_string_equal(out.data,
	    "\xEF\xBB\xBF"
	    "campaign,campaign_name,city,sent,delivered,read,reached,replied,informed,referred,opted_out,"
	    "reached_without_receipt\r\n"
	    "\"'=HYPERLINK(\"\"x\"\")\",Santé; été,الرباط,12,10,<3,10,<3,0,0,0,0\r\n"
	    "(none),,\"Dar \"\"Bouazza\"\"\",<3,<3,0,<3,0,0,0,0,<3\r\n"
	    "'-2,,unknown,<3,<3,<3,<3,<3,<3,<3,<3,<3\r\n"
	    "total,,,20,18,5,18,<3,<3,<3,<3,0\r\n");
	/* No breakdown: the totals are the one row. */
	r.nby = 0;
	buf_reset(&out);
	reach_csv(&r, ';', &out);
	assert_string_equal(out.data,
	    "\xEF\xBB\xBF"
	    "sent;delivered;read;reached;replied;informed;referred;opted_out;"
	    "reached_without_receipt\r\n"
	    "20;18;5;18;<3;<3;<3;<3;0\r\n");
	buf_free(&out);
	reach_report_free(&r);
}

static void
test_table_alignment(void **state)
{
	struct reach_report r;
	struct buf out;

	(void)state;
	report(&r, REACH_PERIOD_RANGE, "2026-12-01", "2026-12-31", 1, REACH_DIM_CITY);
	/* "Fès" with a combining grave, and Rabat with its vowel marks: three and six columns wide. */
	add(&r, (const char *[]){ "Fe\xCC\x80s" }, (long long[]){ 1200, 1100, 0, 1150, 3, 0, 0, 0 });
	add(&r, (const char *[]){ "الرِّبَاط" }, (long long[]){ 7, 7, 0, 7, 0, 0, 0, 0 });
	add(&r, (const char *[]){ "Casablanca" }, (long long[]){ 30, 28, 0, 29, 0, 0, 0, 0 });
	memcpy(r.totals.v, (long long[]){ 1237, 1135, 0, 1186, 3, 0, 0, 0 }, sizeof r.totals.v);
	r.unconfirmed_routes = true;
	r.suppress_below = 5;
	reach_suppress(&r);
	buf_init(&out);
	reach_table(&r, &out);
	/* Every line 107 columns wide; the numbers end where their header does. */
	assert_string_equal(out.data,
	    "city        sent  delivered  read  reached  replied  informed  referred  opted_out  "
	    "reached_without_receipt\n"
	    "----------------------------------------------------------------------------------------------------------"
	    "-\n"
	    "Fe\xCC\x80s         1200       1100     0     1150       <5         0         0          0                "
	    "       "
	    "50\n"
	    "الرِّبَاط         7          7     0        7        0         0         0          0                        "
	    "0\n"
	    "Casablanca    30         28     0       29        0         0         0          0                       "
	    "<5\n"
	    "----------------------------------------------------------------------------------------------------------"
	    "-\n"
	    "total       1237       1135     0     1186       <5         0         0          0                       "
	    "51\n"
	    "reached includes people sent a message by a route without delivery receipts"
	    " (the reached_without_receipt column shows how many)\n"
	    "counts below 5 are shown as <5\n");
	buf_free(&out);
	reach_report_free(&r);
}

/* The suppressed cells of column m, as a string of 0s and 1s, row by row. */
static const char *
hidden(const struct reach_report *r, int m)
{
	static char s[32];
	size_t i;

	for (i = 0; i < r->nrows && i < sizeof s - 1; i++)
		s[i] = r->rows[i].suppressed & 1u << m ? '1' : '0';
	s[i] = '\0';
	return s;
}

static void
test_suppress(void **state)
{
	struct reach_report r;
	unsigned before[5];

	(void)state;
	report(&r, REACH_PERIOD_RANGE, "2026-12-01", "2026-12-31", 1, REACH_DIM_CITY);
	/* sent: a lone small cell takes the smallest other with it; zero is shown.
	 * delivered: two cells of 1 add to 2 < 5, so the smallest other goes too.
	 * read: a lone cell and nothing else to hide. replied: nothing small. */
	add(&r, (const char *[]){ "a" }, (long long[]){ 10, 1, 0, 0, 9, 0, 0, 0 });
	add(&r, (const char *[]){ "b" }, (long long[]){ 3, 1, 0, 0, 6, 0, 0, 0 });
	add(&r, (const char *[]){ "c" }, (long long[]){ 12, 20, 0, 0, 5, 0, 0, 0 });
	add(&r, (const char *[]){ "d" }, (long long[]){ 0, 30, 4, 0, 7, 0, 0, 0 });
	add(&r, (const char *[]){ "e" }, (long long[]){ 11, 0, 0, 0, 8, 0, 0, 0 });
	memcpy(r.totals.v, (long long[]){ 36, 4, 4, 0, 35, 0, 0, 0 }, sizeof r.totals.v);
	r.suppress_below = 1;
	reach_suppress(&r);
	for (size_t i = 0; i < r.nrows; i++)
		assert_int_equal(r.rows[i].suppressed, 0);
	assert_int_equal(r.totals.suppressed, 0);
	r.suppress_below = 5;
	reach_suppress(&r);
	assert_string_equal(hidden(&r, REACH_SENT), "11000");
	assert_string_equal(hidden(&r, REACH_DELIVERED), "11100");
	assert_string_equal(hidden(&r, REACH_READ), "00010");
	assert_string_equal(hidden(&r, REACH_REACHED), "00000");
	assert_string_equal(hidden(&r, REACH_REPLIED), "00000");
	assert_int_equal(r.totals.suppressed, 1u << REACH_DELIVERED | 1u << REACH_READ);
	for (size_t i = 0; i < r.nrows; i++)
		before[i] = r.rows[i].suppressed;
	reach_suppress(&r);
	for (size_t i = 0; i < r.nrows; i++)
		assert_int_equal(r.rows[i].suppressed, before[i]);
	assert_int_equal(r.totals.suppressed, 1u << REACH_DELIVERED | 1u << REACH_READ);
	reach_report_free(&r);
}

static const char *const city_names[] = { "tanger", "Casablanca" };
static const char *const city_units[] = { "OU_TNG", "OU_CASA" };

static void
dhis2_map(struct reach_dhis2_map *m)
{
	memset(m, 0, sizeof *m);
	m->data_set = "DS1";
	m->attribute_option_combo = "AOC1";
	m->element[REACH_SENT] = "DE_SENT";
	m->element[REACH_DELIVERED] = "DE_DEL";
	m->element[REACH_REACHED] = "DE_REACH";
	m->coc_sex[0] = "COC_F";
	m->coc_sex[1] = "COC_M";
	m->city_names = city_names;
	m->city_units = city_units;
	m->ncity = 2;
}

/* By quarter, sex and city: Oujda has no org unit, a delivered count is hidden, replied has no data element. */
static void
dhis2_report(struct reach_report *r)
{
	struct reach_row *row;

	report(r, REACH_PERIOD_QUARTER, "2026-07-01", "2026-12-31", 3, REACH_DIM_PERIOD, REACH_DIM_SEX, REACH_DIM_CITY);
	row = add(r, (const char *[]){ "2026-Q3", "male", "Tanger" }, (long long[]){ 7, 3, 0, 8, 0, 0, 0, 0 });
	row->suppressed = 1u << REACH_DELIVERED;
	add(r, (const char *[]){ "2026-Q3", "female", "Tanger" }, (long long[]){ 12, 10, 0, 11, 9, 0, 0, 0 });
	add(r, (const char *[]){ "2026-Q3", "female", "Oujda" }, (long long[]){ 6, 0, 0, 0, 0, 0, 0, 0 });
	r->suppress_below = 5;
	r->unconfirmed_routes = true;
	reach_report_sort(r);
}

static void
assert_unmapped(const struct reach_unmapped *u, const char *cell, const char *reason, long long value)
{
	assert_string_equal(u->cell, cell);
	assert_string_equal(u->reason, reason);
	assert_int_equal(u->value, value);
}

static void
assert_value(json_t *v, const char *de, const char *coc, const char *value, const char *comment)
{
	assert_string_equal(json_string_value(json_object_get(v, "dataElement")), de);
	assert_string_equal(json_string_value(json_object_get(v, "period")), "2026Q3");
	assert_string_equal(json_string_value(json_object_get(v, "orgUnit")), "OU_TNG");
	assert_string_equal(json_string_value(json_object_get(v, "categoryOptionCombo")), coc);
	assert_string_equal(json_string_value(json_object_get(v, "attributeOptionCombo")), "AOC1");
	assert_string_equal(json_string_value(json_object_get(v, "value")), value);
	if (comment == NULL)
		assert_null(json_object_get(v, "comment"));
	else
		assert_string_equal(json_string_value(json_object_get(v, "comment")), comment);
	assert_int_equal(json_object_size(v), comment == NULL ? 6 : 7);
}

static void
test_dhis2_json(void **state)
{
	struct reach_report r;
	struct reach_dhis2_map m;
	struct reach_dhis2 res;
	struct buf out;
	char why[200];
	json_t *doc, *values;
	json_error_t err;

	(void)state;
	dhis2_report(&r);
	dhis2_map(&m);
	buf_init(&out);
	assert_int_equal(reach_dhis2(&r, &m, false, &out, &res, why, sizeof why), 0);
	doc = json_loads(out.data, 0, &err);
	assert_non_null(doc);
	assert_int_equal(json_object_size(doc), 2);
	assert_string_equal(json_string_value(json_object_get(doc, "dataSet")), "DS1");
	values = json_object_get(doc, "dataValues");
	assert_int_equal(json_array_size(values), 5);
	assert_value(json_array_get(values, 0), "DE_SENT", "COC_F", "12", NULL);
	assert_value(json_array_get(values, 1), "DE_DEL", "COC_F", "10", NULL);
	assert_value(json_array_get(values, 2), "DE_REACH", "COC_F", "11",
	    "includes 1 people counted when sent: route without delivery receipts");
	assert_value(json_array_get(values, 3), "DE_SENT", "COC_M", "7", NULL);
	/* Delivered is hidden in this row: the comment must not give it back. */
	assert_value(json_array_get(values, 4), "DE_REACH", "COC_M", "8",
	    "includes people counted when sent: route without delivery receipts");
	json_decref(doc);
	assert_int_equal(res.nvalues, 5);
	assert_int_equal(res.nunmapped, 3);
	assert_unmapped(&res.unmapped[0], "2026Q3 sent female Oujda", "city \"Oujda\" has no org unit", 6);
	assert_unmapped(&res.unmapped[1], "2026Q3 replied female Tanger", "indicator replied has no data element", 9);
	assert_unmapped(&res.unmapped[2], "2026Q3 delivered male Tanger", "suppressed (below 5)", -1);
	reach_dhis2_free(&res);
	/* Without a data set or an attribute option combo, neither member is there. */
	m.data_set = NULL;
	m.attribute_option_combo = NULL;
	buf_reset(&out);
	assert_int_equal(reach_dhis2(&r, &m, false, &out, &res, why, sizeof why), 0);
	doc = json_loads(out.data, 0, &err);
	assert_non_null(doc);
	assert_null(json_object_get(doc, "dataSet"));
	assert_null(json_object_get(json_array_get(json_object_get(doc, "dataValues"), 0), "attributeOptionCombo"));
	json_decref(doc);
	reach_dhis2_free(&res);
	buf_free(&out);
	reach_report_free(&r);
}

static void
test_dhis2_csv(void **state)
{
	struct reach_report r;
	struct reach_dhis2_map m;
	struct reach_dhis2 res;
	struct buf out;
	char why[200];

	(void)state;
	dhis2_report(&r);
	dhis2_map(&m);
	buf_init(&out);
	assert_int_equal(reach_dhis2(&r, &m, true, &out, &res, why, sizeof why), 0);
	assert_string_equal(out.data,
	    "dataelement,period,orgunit,categoryoptioncombo,attributeoptioncombo,value,storedby,lastupdated,comment,"
	    "followup\n"
	    "DE_SENT,2026Q3,OU_TNG,COC_F,AOC1,12,,,,\n"
	    "DE_DEL,2026Q3,OU_TNG,COC_F,AOC1,10,,,,\n"
	    "DE_REACH,2026Q3,OU_TNG,COC_F,AOC1,11,,,includes 1 people counted when sent: route without delivery "
	    "receipts,\n"
	    "DE_SENT,2026Q3,OU_TNG,COC_M,AOC1,7,,,,\n"
	    "DE_REACH,2026Q3,OU_TNG,COC_M,AOC1,8,,,includes people counted when sent: route without delivery "
	    "receipts,\n");
	assert_int_equal(res.nvalues, 5);
	assert_int_equal(res.nunmapped, 3);
	assert_unmapped(&res.unmapped[2], "2026Q3 delivered male Tanger", "suppressed (below 5)", -1);
	reach_dhis2_free(&res);
	buf_free(&out);
	reach_report_free(&r);
}

static void
test_dhis2_refusals(void **state)
{
	struct reach_report r;
	struct reach_dhis2_map m;
	struct reach_dhis2 res;
	struct buf out;
	char why[200];

	(void)state;
	dhis2_map(&m);
	buf_init(&out);
	report(&r, REACH_PERIOD_RANGE, "2026-12-01", "2026-12-31", 1, REACH_DIM_SEX);
	assert_int_equal(reach_dhis2(&r, &m, false, &out, &res, why, sizeof why), -1);
	assert_string_equal(why, "DHIS2 needs a period type: day, month, quarter, semester or year");
	r.period = REACH_PERIOD_MONTH;
	r.by[1] = REACH_DIM_LOCALE;
	r.nby = 2;
	assert_int_equal(reach_dhis2(&r, &m, true, &out, &res, why, sizeof why), -1);
	assert_string_equal(why, "DHIS2 takes no breakdown by locale");
	/* Not by period, the dates must fall in one period of the type. */
	report(&r, REACH_PERIOD_MONTH, "2026-11-15", "2026-12-31", 0);
	assert_int_equal(reach_dhis2(&r, &m, false, &out, &res, why, sizeof why), -1);
	assert_string_equal(why, "the report covers 2026-11 to 2026-12, more than one month: break down by period");
	assert_int_equal(out.len, 0);
	reach_dhis2_free(&res);
	buf_free(&out);
}

/* Without a breakdown the totals go, to the configured org unit and combo, or are listed with why not. */
static void
test_dhis2_defaults_and_kinds(void **state)
{
	static const char *const kind_keys[] = { "reached.vaccination" }, *const kind_elements[] = { "DE_VAX" };
	struct reach_report r;
	struct reach_dhis2_map m;
	struct reach_dhis2 res;
	struct buf out;
	char why[200];

	(void)state;
	dhis2_map(&m);
	buf_init(&out);
	report(&r, REACH_PERIOD_MONTH, "2026-12-01", "2026-12-31", 0);
	memcpy(r.totals.v, (long long[]){ 5, 0, 0, 0, 0, 0, 0, 2 }, sizeof r.totals.v);
	assert_int_equal(reach_dhis2(&r, &m, true, &out, &res, why, sizeof why), 0);
	assert_int_equal(res.nvalues, 0);
	assert_int_equal(res.nunmapped, 2);
	assert_unmapped(&res.unmapped[0], "202612 sent", "no org unit: set [dhis2] org_unit or break down by city", 5);
	assert_unmapped(
	    &res.unmapped[1], "202612 opted_out", "no org unit: set [dhis2] org_unit or break down by city", 2);
	reach_dhis2_free(&res);
	m.org_unit = "OU_ALL";
	assert_int_equal(reach_dhis2(&r, &m, true, &out, &res, why, sizeof why), 0);
	assert_unmapped(
	    &res.unmapped[0], "202612 sent", "no category option combo: set [dhis2] coc or break down by sex", 5);
	reach_dhis2_free(&res);
	m.coc_default = "COC_ALL";
	buf_reset(&out);
	assert_int_equal(reach_dhis2(&r, &m, true, &out, &res, why, sizeof why), 0);
	assert_string_equal(strchr(out.data, '\n') + 1, "DE_SENT,202612,OU_ALL,COC_ALL,AOC1,5,,,,\n");
	assert_int_equal(res.nunmapped, 1);
	assert_unmapped(&res.unmapped[0], "202612 opted_out", "indicator opted_out has no data element", 2);
	reach_dhis2_free(&res);
	/* By kind, a count goes only to its kind's data element. */
	report(&r, REACH_PERIOD_MONTH, "2026-12-01", "2026-12-31", 2, REACH_DIM_PERIOD, REACH_DIM_KIND);
	add(&r, (const char *[]){ "2026-12", "Vaccination" }, (long long[]){ 9, 0, 0, 8, 0, 0, 0, 0 });
	m.kind_keys = kind_keys;
	m.kind_elements = kind_elements;
	m.nkind = 1;
	buf_reset(&out);
	assert_int_equal(reach_dhis2(&r, &m, true, &out, &res, why, sizeof why), 0);
	assert_string_equal(strchr(out.data, '\n') + 1, "DE_VAX,202612,OU_ALL,COC_ALL,AOC1,8,,,,\n");
	assert_int_equal(res.nunmapped, 1);
	assert_unmapped(
	    &res.unmapped[0], "202612 sent Vaccination", "indicator sent has no data element for kind Vaccination", 9);
	reach_dhis2_free(&res);
	reach_report_free(&r);
	buf_free(&out);
}

static void
test_period_dhis2(void **state)
{
	static const char *const good[][2] = { { "2026-12-03", "20261203" }, { "2026-12", "202612" },
		{ "2026-Q4", "2026Q4" }, { "2026-S2", "2026S2" }, { "2026", "2026" }, { "2024-02-29", "20240229" },
		{ "2026-01-31", "20260131" }, { "2026-Q1", "2026Q1" } };
	static const char *const bad[] = { "", "26", "2026-13", "2026-00", "2026-Q0", "2026-Q5", "2026-S3",
		"2026-12-32", "2026-12-00", "2026-02-29", "2026-04-31", "1900-02-29", "2026-1", "2026/12",
		"2026-12-03x", "2026-q4", "20261", "2026-1a", "2026-12-3" };
	char out[16];

	(void)state;
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		assert_int_equal(reach_period_dhis2(good[i][0], out, sizeof out), 0);
		assert_string_equal(out, good[i][1]);
	}
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (reach_period_dhis2(bad[i], out, sizeof out) != -1)
			fail_msg("\"%s\" taken as a period", bad[i]);
	assert_int_equal(reach_period_dhis2("2026-12-03", out, 8), -1);
	assert_int_equal(reach_period_dhis2("2026-12-03", out, 9), 0);
}

static void
test_sort(void **state)
{
	static const long long order[] = { 5, 6, 2, 4, 7, 3, 1 };
	struct reach_report r;

	(void)state;
	report(&r, REACH_PERIOD_MONTH, "2026-01-01", "2026-12-31", 2, REACH_DIM_CITY, REACH_DIM_PERIOD);
	add(&r, (const char *[]){ "Tanger", "2026-11" }, (long long[REACH_METRIC_COUNT]){ 1 });
	add(&r, (const char *[]){ "Fès", "2026-12" }, (long long[REACH_METRIC_COUNT]){ 2 });
	add(&r, (const char *[]){ "Tanger", "2026-02" }, (long long[REACH_METRIC_COUNT]){ 3 });
	add(&r, (const char *[]){ "Fès", "2026-12" }, (long long[REACH_METRIC_COUNT]){ 4 });
	add(&r, (const char *[]){ "", "2026-12" }, (long long[REACH_METRIC_COUNT]){ 5 });
	add(&r, (const char *[]){ "Fès", "2026-01" }, (long long[REACH_METRIC_COUNT]){ 6 });
	add(&r, (const char *[]){ "Fès", "2026-12" }, (long long[REACH_METRIC_COUNT]){ 7 });
	reach_report_sort(&r);
	/* Equal rows keep their order (2, 4, 7). */
	for (size_t i = 0; i < r.nrows; i++)
		assert_int_equal(r.rows[i].v[REACH_SENT], order[i]);
	assert_string_equal(r.rows[0].dim[REACH_DIM_CITY], "");
	assert_string_equal(r.rows[6].dim[REACH_DIM_PERIOD], "2026-11");
	reach_report_free(&r);
	assert_int_equal(r.nrows, 0);
	assert_null(r.rows);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_json_shape),
		cmocka_unit_test(test_csv_bytes),
		cmocka_unit_test(test_table_alignment),
		cmocka_unit_test(test_suppress),
		cmocka_unit_test(test_dhis2_json),
		cmocka_unit_test(test_dhis2_csv),
		cmocka_unit_test(test_dhis2_refusals),
		cmocka_unit_test(test_dhis2_defaults_and_kinds),
		cmocka_unit_test(test_period_dhis2),
		cmocka_unit_test(test_sort),
	};

	return cmocka_run_group_tests_name("reach_report", tests, NULL, NULL);
}
