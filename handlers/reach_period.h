/*
 * Calendar arithmetic for the reach reports, in local dates (the days of
 * the counters are already local): dates as day numbers, the period of a
 * type that holds a day, its labels, and the blocks that cover a range —
 * days, and the months, quarters, semesters and years that have ended
 * (queues/reach.c keeps those as rollups). Pure.
 */
#ifndef AMUDDU_REACH_PERIOD_H
#define AMUDDU_REACH_PERIOD_H

#include <jansson.h>
#include <stddef.h>

#include "handlers/reach_report.h"

/* Days since 1970-01-01 of a date of the proleptic Gregorian calendar, and back. */
long reach_days(int y, int m, int d);
void reach_civil(long days, int *y, int *m, int *d);
/* "YYYY-MM-DD" (or "YYYYMMDD"), a real date; -1 otherwise. */
int reach_date_parse(const char *s, long *days);
/* "YYYY-MM-DD", into out (at least 11 bytes). */
void reach_date_format(long days, char *out, size_t outlen);
/* The first and last day of the period of type p (not RANGE) that holds day. */
void reach_period_bounds(enum reach_period p, long day, long *first, long *last);
/* The label of the period of type p that holds day: "2026-12-03", "2026-12", "2026-Q4", "2026-S2", "2026". */
void reach_period_label(enum reach_period p, long day, char *out, size_t outlen);
/*
 * The blocks that cover [from, to] exactly, as a JSON array of the
 * counters' labels ("20261203", "202612", "2026Q4", "2026S2", "2026"): a
 * whole month, quarter, semester or year in the range is one block when it
 * ended on or before closed (a day number), else its days are.
 */
json_t *reach_cover(long from, long to, long closed);

#endif
