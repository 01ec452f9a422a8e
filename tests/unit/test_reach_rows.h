/*
 * Reach reports built by hand for the tests of what writes them
 * (tests/unit/test_reach_report.c, tests/unit/test_reach_svg.c): a report
 * of a period type, dates and breakdown, and rows added to it.
 */
#ifndef AMUDDU_TEST_REACH_ROWS_H
#define AMUDDU_TEST_REACH_ROWS_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handlers/reach_report.h"

/* A row with the values of the report's first nby dimensions and the eight counts. */
static struct reach_row *
add(struct reach_report *r, const char *const *dims, const long long v[REACH_METRIC_COUNT])
{
	struct reach_row *row = reach_report_add(r);

	for (size_t i = 0; i < r->nby; i++)
		row->dim[r->by[i]] = strdup(dims[i]);
	memcpy(row->v, v, sizeof row->v);
	return row;
}

/* An empty report of period type p for from-to, broken down by the nby dimensions that follow. */
static void
report(struct reach_report *r, enum reach_period p, const char *from, const char *to, size_t nby, ...)
{
	va_list ap;

	reach_report_init(r);
	r->period = p;
	snprintf(r->from, sizeof r->from, "%s", from);
	snprintf(r->to, sizeof r->to, "%s", to);
	va_start(ap, nby);
	for (size_t i = 0; i < nby; i++)
		r->by[i] = (enum reach_dim)va_arg(ap, int);
	va_end(ap);
	r->nby = nby;
}

#endif
