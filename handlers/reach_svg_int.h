/*
 * Inside the reach charts, shared by handlers/reach_svg.c (the options,
 * the grid a report becomes, the labels, the <desc>, the document) and
 * handlers/reach_svg_draw.c (the header, legend, lines, bars and notes).
 * Not for other modules.
 */
#ifndef AMUDDU_REACH_SVG_INT_H
#define AMUDDU_REACH_SVG_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "gateway/util/buf.h"
#include "handlers/reach_svg.h"
#include "handlers/svg.h"

/* The viewBox's width; the document scales to its container (width="100%"), a phone's 360 px included. */
#define REACH_SVG_WIDTH 640.0
#define REACH_SVG_MARGIN 16.0
#define REACH_SVG_FS 16.0 /* labels, ticks, counts: at least 9 px on a 360 px phone */
#define REACH_SVG_FS_TITLE 20.0
#define REACH_SVG_INK "#1A1A1A"  /* text, 17:1 on white */
#define REACH_SVG_INK2 "#4D4D4D" /* secondary text, 8:1 */
#define REACH_SVG_AXIS "#767676" /* 4.5:1 */
#define REACH_SVG_GRID "#D9D9D9" /* decoration only */
#define REACH_SVG_LABEL_MAX 60   /* characters of a drawn label (the <desc> has it whole) */
#define REACH_SVG_PLOT_HEIGHT 240.0

struct reach_svg_cell {
	long long v; /* 0 when hidden: a hidden count never reaches the drawing */
	bool hidden;
};

struct reach_svg_grid {
	bool over_time;              /* lines over the periods, else grouped bars */
	bool split;                  /* by=period,<dim>: the series are the dimension's values, of one indicator */
	char **cat;                  /* the categories as drawn: periods, or the rows' values */
	size_t ncat, capcat;         /* */
	const char **key;            /* split: the dimension's values as the rows have them */
	const char **ser;            /* the series as drawn: indicators' names, or the dimension's values */
	size_t nser;                 /* */
	struct reach_svg_cell *cell; /* ncat x nser: [c * nser + s] */
	struct reach_svg_cell total[REACH_METRIC_COUNT]; /* per series; split: [0], the indicator's */
	bool any;                                        /* some count is not zero (shown or hidden) */
	bool hidden;                                     /* some count is hidden */
};

struct reach_svg_ctx {
	const struct reach_report *r;
	const struct reach_svg_chart *ch;
	const struct catalog *cat;
	bool mirror;     /* Arabic: header, legend, bars and notes are laid out from the right */
	struct buf body; /* what is drawn, before the height is known */
	double y;        /* the top of what is drawn next */
};

/* A catalog's text for key in the chart's language, else French, else fallback. */
const char *reach_svg_say(const struct reach_svg_ctx *x, const char *key, const char *fallback);
/* A count as drawn: grouped digits, or "<N" when it is hidden; out is returned. */
const char *reach_svg_count(const struct reach_svg_ctx *x, struct reach_svg_cell c, char *out, size_t len);

/* A text at x (mirrored in an Arabic chart, and its alignment with it), y its baseline. */
void reach_svg_draw_text(struct reach_svg_ctx *x, double at, double y, double fs, const char *fill, bool bold,
    enum svg_align align, const char *s, size_t maxcp);
/* The series' keys and names, in rows that wrap; x->y moves below them. */
void reach_svg_draw_legend(struct reach_svg_ctx *x, const struct reach_svg_grid *g);
/* The categories as periods along x, a line per series. */
void reach_svg_draw_lines(struct reach_svg_ctx *x, const struct reach_svg_grid *g);
/* A group of bars per category, a bar per series. */
void reach_svg_draw_bars(struct reach_svg_ctx *x, const struct reach_svg_grid *g);
/* The notes under the chart, also added to desc. */
void reach_svg_draw_notes(struct reach_svg_ctx *x, const struct reach_svg_grid *g, struct buf *desc);

#endif
