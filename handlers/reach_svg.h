/*
 * A reach report drawn as a chart, an SVG document the console shows as an
 * <img>: the indicators over the periods (lines), per value of one
 * dimension (grouped horizontal bars), or one indicator per value of a
 * dimension over the periods (lines). Labels come from the catalogs
 * (console.* keys) in French, Arabic or English. Pure: no I/O.
 */
#ifndef AMUDDU_REACH_SVG_H
#define AMUDDU_REACH_SVG_H

#include <stddef.h>

#include "gateway/util/buf.h"
#include "handlers/reach_report.h"

struct catalog;

/* What a chart draws: the indicators (its series, or the one indicator of a by=period,<dim> chart) and the language. */
struct reach_svg_chart {
	enum reach_metric series[REACH_METRIC_COUNT];
	size_t nseries;
	char lang[4]; /* "fr", "ar" or "en" */
};

/*
 * Reads the chart's options for a report broken down by by[0..nby):
 * indicators (a comma list of reach_metric_name()s; NULL: sent, reached,
 * replied, or reached alone by period and a dimension) and lang (NULL:
 * fr). -1 with the field ("by", "indicators", "lang") and why when the
 * chart cannot be drawn: by must be period, one other dimension, or
 * period and one other dimension (in either order) with one indicator.
 */
int reach_svg_parse(struct reach_svg_chart *ch, const enum reach_dim *by, size_t nby, const char *indicators,
    const char *lang, char *field, size_t fieldlen, char *why, size_t whylen) __attribute__((warn_unused_result));

/*
 * Writes r as a standalone SVG document into out: a <title> and a <desc>
 * that gives every number drawn, a white background, the Okabe-Ito hues
 * (darkened to 3:1 against white where needed) with a marker shape per
 * series, presentation attributes only (no style, no script, no reference
 * to anything outside it). Every text from the report is escaped for XML.
 * A suppressed cell is drawn as "<N", never at its value; a report with no
 * count at all is a chart that says so. cat may be NULL (raw names).
 */
void reach_svg(
    const struct reach_report *r, const struct reach_svg_chart *ch, const struct catalog *cat, struct buf *out);

#endif
