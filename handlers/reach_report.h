/*
 * A reach report as the M&E staff read it: rows of exact, unique-per-person
 * counts broken down by the dimensions asked for, and the totals, in every
 * form the reports leave in: JSON (the API), CSV as Excel opens it, a
 * table for the terminal, and DHIS2 dataValueSets (JSON and CSV) through a
 * mapping from configuration. Small-cell suppression, when configured, is
 * applied here so that every form hides the same cells. Pure: no I/O.
 * The DHIS2 forms are written by handlers/reach_dhis2.c.
 *
 * The indicators and the counting rules are in docs/indicators.md.
 */
#ifndef AMUDDU_REACH_REPORT_H
#define AMUDDU_REACH_REPORT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "gateway/util/buf.h"

/* The indicators, in the order every output gives them. */
enum reach_metric {
	REACH_SENT,      /* people the provider accepted a message for */
	REACH_DELIVERED, /* people with a message delivered (or read) */
	REACH_READ,      /* people with a message read */
	REACH_REACHED,   /* delivered, plus people sent a message by a route without delivery receipts */
	REACH_REPLIED,   /* people who wrote back after a message */
	REACH_INFORMED,  /* people who chose an information topic */
	REACH_REFERRED,  /* people tagged referred:* */
	REACH_OPTED_OUT, /* people who opted out */
	REACH_METRIC_COUNT
};

/* The breakdowns. */
enum reach_dim {
	REACH_DIM_CAMPAIGN,
	REACH_DIM_KIND,
	REACH_DIM_CITY,
	REACH_DIM_LOCALE,
	REACH_DIM_CHANNEL,
	REACH_DIM_SEX,
	REACH_DIM_PERIOD,
	REACH_DIM_COUNT
};

/* The period type of the period dimension (and of DHIS2's period). */
enum reach_period {
	REACH_PERIOD_DAY,
	REACH_PERIOD_MONTH,
	REACH_PERIOD_QUARTER,
	REACH_PERIOD_SEMESTER,
	REACH_PERIOD_YEAR,
	REACH_PERIOD_RANGE, /* from-to dates with no period type: one period, no DHIS2 form */
	REACH_PERIOD_COUNT
};

/*
 * One row. dim[d] is the row's value for each dimension of the report's
 * "by" (NULL for the others): campaign as written ("" for messages of no
 * campaign), kind, city and locale as stored (first spelling seen; ""
 * unknown), channel, sex as "female", "male", "other" or "unknown", period
 * as its label (reach_period_label()). campaign_name is the gateway's own
 * campaign's name when the campaign is one of its ids, else NULL. The
 * strings are the report's: reach_report_free() frees them.
 */
struct reach_row {
	char *dim[REACH_DIM_COUNT];
	char *campaign_name;
	long long v[REACH_METRIC_COUNT];
	unsigned suppressed; /* bit (1u << metric): shown as "<N" (reach_suppress()) */
};

struct reach_report {
	enum reach_dim by[REACH_DIM_COUNT]; /* the breakdown, in the order asked */
	size_t nby;
	enum reach_period period; /* the period type (REACH_PERIOD_RANGE when none was asked) */
	char from[11], to[11];    /* the local dates covered, inclusive, "YYYY-MM-DD" */
	struct reach_row *rows;   /* sorted by the by-dimensions in order, values ascending */
	size_t nrows;
	struct reach_row totals; /* unique people over all rows: not the sum of rows */
	int suppress_below;      /* counts 1..suppress_below-1 are suppressed; 0: off */
	bool unconfirmed_routes; /* some provider sends no delivery receipts: reached includes sends */
};

/* "campaign", "kind", …, "period" and back (-1 for an unknown name). */
const char *reach_dim_name(enum reach_dim d);
int reach_dim_parse(const char *s);
/* "sent", "delivered", …, "opted_out" (the JSON and CSV member names) and back. */
const char *reach_metric_name(enum reach_metric m);
int reach_metric_parse(const char *s);
/* "day", "month", "quarter", "semester", "year", "range" and back. */
const char *reach_period_name(enum reach_period p);
int reach_period_parse(const char *s);

void reach_report_init(struct reach_report *r);
void reach_report_free(struct reach_report *r);
/*
 * Appends a row with no values and no strings; the report owns it. The
 * pointer holds until the next call. Rows come only through here.
 */
struct reach_row *reach_report_add(struct reach_report *r);
/* Sorts the rows by the by-dimensions in order (byte order of the values; periods sort as dates). */
void reach_report_sort(struct reach_report *r);

/*
 * Small-cell suppression with threshold t (r->suppress_below): in each
 * indicator's column, counts from 1 to t-1 are suppressed, and, so that
 * the totals and the other cells cannot give one back, more cells are
 * suppressed (the smallest first) until the column's suppressed cells are
 * none, or at least two that add up to t or more; a total below t is
 * suppressed too. Zero is shown. Idempotent; nothing when t <= 1.
 */
void reach_suppress(struct reach_report *r);

/*
 * The API's JSON: {"from", "to", "period", "by": [...], "rows": [{<dims>,
 * "sent", …}], "totals": {…}, "suppress_below", "reached_includes_sends"};
 * a row's dimensions are named as reach_dim_name() (values as stored: ""
 * stays ""), with "campaign_name" after "campaign" when it has one; the
 * totals have counts only. When unconfirmed_routes, rows and totals also
 * have "reached_without_receipt" (reached - delivered), hidden when either
 * is. A suppressed count is the string "<t"; suppress_below is 0 when off.
 * The caller owns the answer (json_decref()).
 */
json_t *reach_json(const struct reach_report *r);
/*
 * CSV for Excel: UTF-8 with a byte-order mark, CRLF, sep ',' or ';' (French
 * Excel), the dimension columns then one column per indicator, and a last
 * "total" row; text cells that a spreadsheet would read as a formula
 * (=, +, -, @) are prefixed with a quote. An empty campaign reads
 * "(none)", any other empty value "unknown"; a "campaign_name" column
 * follows "campaign" when some row has one. With no breakdown, the totals
 * are the one row.
 */
void reach_csv(const struct reach_report *r, char sep, struct buf *out);
/*
 * One CSV cell of text s: quoted when it holds sep, a quote or a line end
 * (quotes doubled); with formula, a leading = + - @ gets a ' first.
 */
void reach_csv_text(struct buf *out, const char *s, char sep, bool formula);
/*
 * A table for the terminal, columns aligned by display width (Arabic and
 * accents counted as one), numbers on the right, and a line under it for
 * what a reader must know: reached includes sends, small counts hidden.
 */
void reach_table(const struct reach_report *r, struct buf *out);

/*
 * DHIS2. The mapping turns indicators into data elements (per kind when
 * the report is by kind: element_kind), sex into category option combos,
 * cities into org units. A report for DHIS2 must have a period type other
 * than range, and may be broken down by period, sex, city and kind only.
 */
struct reach_dhis2_map {
	const char *data_set;                              /* optional */
	const char *attribute_option_combo;                /* optional */
	const char *org_unit;                              /* the org unit when the report is not by city (optional) */
	const char *coc_default;                           /* the COC when the report is not by sex (optional) */
	const char *element[REACH_METRIC_COUNT];           /* NULL: the indicator is not reported to DHIS2 */
	const char *coc_sex[4];                            /* female, male, other, unknown */
	const char *const *city_names, *const *city_units; /* ncity pairs, names compared case-insensitively */
	size_t ncity;
	/* "<metric>.<kind>" -> data element, when the report is by kind */
	const char *const *kind_keys, *const *kind_elements;
	size_t nkind;
};

/* A count DHIS2 could not be given: which cell, which value, why. */
struct reach_unmapped {
	char *cell;      /* "2026Q3 reached female Tanger" */
	char *reason;    /* "city \"Tanger\" has no org unit" */
	long long value; /* -1 for a suppressed cell: its count stays hidden here too */
};

struct reach_dhis2 {
	struct reach_unmapped *unmapped;
	size_t nunmapped;
	size_t nvalues; /* data values written */
};

/*
 * Checks that r can go to DHIS2 at all (period type, dimensions): -1
 * with why otherwise. Then writes the dataValueSets document, JSON
 * ({"dataSet"?, "dataValues": [{"dataElement", "period", "orgUnit",
 * "categoryOptionCombo", "attributeOptionCombo"?, "value", "comment"?}]})
 * or CSV (DHIS2's column order: dataelement, period, orgunit,
 * categoryoptioncombo, attributeoptioncombo, value, storedby,
 * lastupdated, comment, followup), and lists in res every non-zero cell it
 * could not map. Suppressed cells are not written and are listed as such.
 * Reached counts that rest on sends without receipts carry a comment.
 *
 * Not by period, the report's dates must fall in one period of its type,
 * which every value is given. By kind, a count goes only to the element
 * of its "<metric>.<kind>" key (no fallback to element[]: DHIS2 would keep
 * one of the kinds' values). A cell's first reason is listed: period, org
 * unit, category option combo, data element, then suppression. With no
 * breakdown the totals are written. res is reset on entry and freed by
 * the caller (reach_dhis2_free()) either way; on -1 nothing is written.
 */
int reach_dhis2(const struct reach_report *r, const struct reach_dhis2_map *m, bool csv, struct buf *out,
    struct reach_dhis2 *res, char *why, size_t whylen) __attribute__((warn_unused_result));
void reach_dhis2_free(struct reach_dhis2 *res);

/* The period label of our outputs: "2026-12-03", "2026-12", "2026-Q4", "2026-S2", "2026". */
/* DHIS2's form of the same: "20261203", "202612", "2026Q4", "2026S2", "2026"; -1 when label is not one. */
int reach_period_dhis2(const char *label, char *out, size_t outlen);

#endif
