/*
 * Drawing the reach charts (handlers/reach_svg_int.h): the legend, lines
 * over the periods with a y axis from 0 in round steps, grouped bars with
 * their counts, and the notes under them. Positions are worked out left to
 * right and mirrored for an Arabic chart, except the time axis. Writes
 * into the context's body; owns nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/util/xmalloc.h"
#include "handlers/reach_svg_int.h"
#include "handlers/svg.h"

static const char *reach_svg_style(size_t s, int *shape);
static double reach_svg_x(const struct reach_svg_ctx *x, double v);
static void reach_svg_rect(struct reach_svg_ctx *x, double at, double y, double w, double h, const char *fill);
static void reach_svg_line(
    struct reach_svg_ctx *x, double x1, double y1, double x2, double y2, const char *stroke, double w);
static void reach_svg_marker(struct reach_svg_ctx *x, size_t s, double at, double y, double rad, bool hollow);
static void reach_svg_para(struct reach_svg_ctx *x, const char *text);
static long long reach_svg_step(long long max);

/* Series s's colour and shape: the first eight have their own of each, later ones another pairing. */
static const char *
reach_svg_style(size_t s, int *shape)
{
	*shape = (int)(s % SVG_SHAPES);
	return svg_colour(s + s / SVG_SHAPES);
}

/* Positions are given left to right; an Arabic chart's header, legend, bars and notes are mirrored. */
static double
reach_svg_x(const struct reach_svg_ctx *x, double v)
{
	return x->mirror ? REACH_SVG_WIDTH - v : v;
}

void
reach_svg_draw_text(struct reach_svg_ctx *x, double at, double y, double fs, const char *fill, bool bold,
    enum svg_align align, const char *s, size_t maxcp)
{
	if (x->mirror && align != SVG_MIDDLE)
		align = align == SVG_LEFT ? SVG_RIGHT : SVG_LEFT;
	svg_text(&x->body, reach_svg_x(x, at), y, fs, fill, bold, align, s, maxcp);
}

static void
reach_svg_rect(struct reach_svg_ctx *x, double at, double y, double w, double h, const char *fill)
{
	buf_printf(&x->body, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"/>\n",
	    x->mirror ? REACH_SVG_WIDTH - at - w : at, y, w, h, fill);
}

static void
reach_svg_line(struct reach_svg_ctx *x, double x1, double y1, double x2, double y2, const char *stroke, double w)
{
	buf_printf(&x->body,
	    "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"%g\"/>\n",
	    reach_svg_x(x, x1), y1, reach_svg_x(x, x2), y2, stroke, w);
}

static void
reach_svg_marker(struct reach_svg_ctx *x, size_t s, double at, double y, double rad, bool hollow)
{
	int shape;
	const char *colour = reach_svg_style(s, &shape);

	svg_marker(
	    &x->body, shape, reach_svg_x(x, at), y, rad, hollow ? "#FFFFFF" : colour, hollow ? colour : "#FFFFFF");
}

/* A paragraph of note, cut into lines at spaces to fit the width. */
static void
reach_svg_para(struct reach_svg_ctx *x, const char *text)
{
	char *copy = xstrdup(text), *line = copy;

	while (*line != '\0') {
		char *end = line, *cut = NULL;

		/* The longest run of words that fits (at least one word). */
		for (;;) {
			char *sp = strchr(end, ' ');
			char save;

			if (sp == NULL)
				sp = end + strlen(end);
			save = *sp;
			*sp = '\0';
			if (cut != NULL &&
			    svg_text_width(line, REACH_SVG_FS, 0) > REACH_SVG_WIDTH - 2 * REACH_SVG_MARGIN) {
				*sp = save;
				break;
			}
			*sp = save;
			cut = sp;
			if (*sp == '\0')
				break;
			end = sp + 1;
		}
		{
			char save = *cut;

			*cut = '\0';
			reach_svg_draw_text(
			    x, REACH_SVG_MARGIN, x->y + 16, REACH_SVG_FS, REACH_SVG_INK2, false, SVG_LEFT, line, 0);
			*cut = save;
		}
		x->y += 22;
		line = *cut == ' ' ? cut + 1 : cut;
	}
	free(copy);
}

void
reach_svg_draw_legend(struct reach_svg_ctx *x, const struct reach_svg_grid *g)
{
	double at = REACH_SVG_MARGIN, base = x->y + 18;

	for (size_t s = 0; s < g->nser; s++) {
		double w = 36 + svg_text_width(g->ser[s], REACH_SVG_FS, 40) + 20;
		int shape;
		const char *colour = reach_svg_style(s, &shape);

		if (at > REACH_SVG_MARGIN && at + w > REACH_SVG_WIDTH - REACH_SVG_MARGIN) {
			at = REACH_SVG_MARGIN;
			base += 26;
		}
		if (g->over_time) {
			reach_svg_line(x, at, base - 5, at + 28, base - 5, colour, 2.5);
			reach_svg_marker(x, s, at + 14, base - 5, 4.5, false);
		} else {
			reach_svg_rect(x, at, base - 12, 16, 14, colour);
			reach_svg_marker(x, s, at + 26, base - 5, 4.5, false);
		}
		reach_svg_draw_text(x, at + 38, base, REACH_SVG_FS, REACH_SVG_INK, false, SVG_LEFT, g->ser[s], 40);
		at += w;
	}
	x->y = base + 14;
}

/* A round step for at most five intervals from 0 to max: 1, 2 or 5 times a power of ten. */
static long long
reach_svg_step(long long max)
{
	long long raw = (max + 4) / 5, p = 1;

	while (p <= raw / 10)
		p *= 10;
	return raw <= p ? p : raw <= 2 * p ? 2 * p : raw <= 5 * p ? 5 * p : 10 * p;
}

/* The periods left to right (the time axis is not mirrored), the y axis from 0 in round steps. */
void
reach_svg_draw_lines(struct reach_svg_ctx *x, const struct reach_svg_grid *g)
{
	long long max = 1, step, top;
	double tw = 0, lw = 0, left, right, ytop, bottom, span, rad;
	size_t every = 1;
	bool mirror = x->mirror;
	char num[48];

	for (size_t i = 0; i < g->ncat * g->nser; i++)
		if (!g->cell[i].hidden && g->cell[i].v > max)
			max = g->cell[i].v;
	step = reach_svg_step(max);
	top = (max + step - 1) / step * step;
	for (long long t = 0; t <= top; t += step) {
		svg_count(t, x->ch->lang, num, sizeof num);
		tw = svg_text_width(num, REACH_SVG_FS, 0) > tw ? svg_text_width(num, REACH_SVG_FS, 0) : tw;
	}
	for (size_t c = 0; c < g->ncat; c++)
		lw = svg_text_width(g->cat[c], REACH_SVG_FS, 0) > lw ? svg_text_width(g->cat[c], REACH_SVG_FS, 0) : lw;
	x->mirror = false;
	reach_svg_draw_text(x, REACH_SVG_MARGIN, x->y + 16, REACH_SVG_FS, REACH_SVG_INK2, false, SVG_LEFT,
	    reach_svg_say(x, "console.chart.people", "People"), REACH_SVG_LABEL_MAX);
	ytop = x->y + 36;
	bottom = ytop + REACH_SVG_PLOT_HEIGHT;
	left = REACH_SVG_MARGIN + tw + 10;
	right = REACH_SVG_WIDTH - REACH_SVG_MARGIN - lw / 2;
	for (long long t = 0; t <= top; t += step) {
		double y = bottom - (double)t / (double)top * REACH_SVG_PLOT_HEIGHT;

		reach_svg_line(x, left, y, right, y, t == 0 ? REACH_SVG_AXIS : REACH_SVG_GRID, 1);
		svg_count(t, x->ch->lang, num, sizeof num);
		reach_svg_draw_text(x, left - 6, y + 5, REACH_SVG_FS, REACH_SVG_INK2, false, SVG_RIGHT, num, 0);
	}
	span = g->ncat > 1 ? (right - left - 24) / (double)(g->ncat - 1) : 0;
	/* Every period's label when they fit side by side, else every second, third…: all keep their tick. */
	if (g->ncat > 1 && span < lw + 10)
		every = (size_t)((lw + 10) / span) + 1;
	rad = g->ncat > 1 && span < 14 ? (span / 3 > 2.5 ? span / 3 : 2.5) : 4.5;
#define REACH_SVG_XPOS(c) (g->ncat > 1 ? left + 12 + span * (double)(c) : (left + right) / 2)
	for (size_t c = 0; c < g->ncat; c++) {
		reach_svg_line(x, REACH_SVG_XPOS(c), bottom, REACH_SVG_XPOS(c), bottom + 5, REACH_SVG_AXIS, 1);
		if (c % every == 0)
			reach_svg_draw_text(x, REACH_SVG_XPOS(c), bottom + 22, REACH_SVG_FS, REACH_SVG_INK, false,
			    SVG_MIDDLE, g->cat[c], 0);
	}
	for (size_t s = 0; s < g->nser; s++) {
		int shape;
		const char *colour = reach_svg_style(s, &shape);
		bool pen = false;

		/* A hidden count is a gap in its line: nothing is drawn at a height it could be read from. */
		buf_puts(&x->body, "<path d=\"");
		for (size_t c = 0; c < g->ncat; c++) {
			struct reach_svg_cell v = g->cell[c * g->nser + s];

			if (v.hidden) {
				pen = false;
				continue;
			}
			buf_printf(&x->body, "%s%.1f,%.1f ", pen ? "L" : "M", REACH_SVG_XPOS(c),
			    bottom - (double)v.v / (double)top * REACH_SVG_PLOT_HEIGHT);
			pen = true;
		}
		buf_printf(&x->body,
		    "\" fill=\"none\" stroke=\"%s\" stroke-width=\"2.5\" stroke-linejoin=\"round\" "
		    "stroke-linecap=\"round\"/>\n",
		    colour);
	}
	for (size_t c = 0; c < g->ncat; c++) {
		size_t nhidden = 0;

		for (size_t s = 0; s < g->nser; s++) {
			struct reach_svg_cell v = g->cell[c * g->nser + s];
			/* A hidden count sits on the axis, others of the period stacked above it, hollow, with "<N". */
			double y = bottom - 10 - (double)(nhidden % 12) * 18;

			if (!v.hidden) {
				reach_svg_marker(x, s, REACH_SVG_XPOS(c),
				    bottom - (double)v.v / (double)top * REACH_SVG_PLOT_HEIGHT, rad, false);
				continue;
			}
			nhidden++;
			reach_svg_marker(x, s, REACH_SVG_XPOS(c), y - 5, 4, true);
			reach_svg_draw_text(x, REACH_SVG_XPOS(c) + 8, y, REACH_SVG_FS, REACH_SVG_INK, false, SVG_LEFT,
			    reach_svg_count(x, v, num, sizeof num), 0);
		}
	}
#undef REACH_SVG_XPOS
	x->y = bottom + 36;
	x->mirror = mirror;
}

/* A group per category: its label, then a bar per series with its count at the end. */
void
reach_svg_draw_bars(struct reach_svg_ctx *x, const struct reach_svg_grid *g)
{
	long long max = 0;
	double vw = 0, room, y = x->y + 6;
	char num[48];

	for (size_t i = 0; i < g->ncat * g->nser; i++) {
		double w = svg_text_width(reach_svg_count(x, g->cell[i], num, sizeof num), REACH_SVG_FS, 0);

		max = !g->cell[i].hidden && g->cell[i].v > max ? g->cell[i].v : max;
		vw = w > vw ? w : vw;
	}
	room = REACH_SVG_WIDTH - 2 * REACH_SVG_MARGIN - vw - 28;
	for (size_t c = 0; c < g->ncat; c++) {
		double ytop;

		reach_svg_draw_text(x, REACH_SVG_MARGIN, y + 16, REACH_SVG_FS, REACH_SVG_INK, true, SVG_LEFT, g->cat[c],
		    REACH_SVG_LABEL_MAX);
		y += 24;
		ytop = y;
		for (size_t s = 0; s < g->nser; s++) {
			struct reach_svg_cell v = g->cell[c * g->nser + s];
			double len = max > 0 ? (double)v.v / (double)max * room : 0;

			if (v.hidden) {
				/* No bar: only the marker, hollow, and "<N". */
				reach_svg_marker(x, s, REACH_SVG_MARGIN + 9, y + 9, 4.5, true);
				reach_svg_draw_text(x, REACH_SVG_MARGIN + 20, y + 15, REACH_SVG_FS, REACH_SVG_INK,
				    false, SVG_LEFT, reach_svg_count(x, v, num, sizeof num), 0);
				y += 22;
				continue;
			}
			if (v.v > 0 && len < 2)
				len = 2;
			if (len > 0)
				reach_svg_rect(x, REACH_SVG_MARGIN, y, len, 18, reach_svg_style(s, &(int){ 0 }));
			reach_svg_marker(x, s, REACH_SVG_MARGIN + len + 10, y + 9, 4.5, false);
			reach_svg_draw_text(x, REACH_SVG_MARGIN + len + 20, y + 15, REACH_SVG_FS, REACH_SVG_INK, false,
			    SVG_LEFT, reach_svg_count(x, v, num, sizeof num), 0);
			y += 22;
		}
		reach_svg_line(x, REACH_SVG_MARGIN, ytop - 2, REACH_SVG_MARGIN, y - 2, REACH_SVG_AXIS, 1);
		y += 12;
	}
	x->y = y;
}

/* What a reader must know under the chart (and in the desc): hidden counts, reached that includes sends. */
void
reach_svg_draw_notes(struct reach_svg_ctx *x, const struct reach_svg_grid *g, struct buf *desc)
{
	bool reached = false;
	struct buf note;
	const char *t, *n;

	buf_init(&note);
	for (size_t s = 0; s < (g->split ? 1 : x->ch->nseries); s++)
		reached = reached || x->ch->series[s] == REACH_REACHED;
	if (g->hidden) {
		/* Each "{n}" is the threshold. */
		t = reach_svg_say(
		    x, "console.chart.suppressed", "<{n}: fewer than {n}, number hidden to protect people");
		for (; (n = strstr(t, "{n}")) != NULL; t = n + 3)
			buf_printf(&note, "%.*s%d", (int)(n - t), t, x->r->suppress_below);
		buf_puts(&note, t);
		reach_svg_para(x, note.data);
		buf_printf(desc, " %s.", note.data);
		buf_reset(&note);
	}
	if (reached && x->r->unconfirmed_routes) {
		t = reach_svg_say(x, "console.chart.reached_includes_sends",
		    "\xE2\x80\x9CReached\xE2\x80\x9D also counts people sent a message by a route without delivery "
		    "receipts");
		reach_svg_para(x, t);
		buf_printf(desc, " %s.", t);
	}
	buf_free(&note);
}
