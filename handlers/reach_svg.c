/*
 * The reach charts (handlers/reach_svg.h). The report becomes a grid of
 * categories (periods, or the rows' values) by series (indicators, or the
 * values of a dimension), drawn as lines over the periods or as grouped
 * bars. The grid, its labels and the body drawn before the height is known
 * are owned by one call of reach_svg() and freed before it returns.
 */
#include "handlers/reach_svg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/util/xmalloc.h"
#include "handlers/reach_period.h"
#include "handlers/reach_svg_int.h"
#include "handlers/svg.h"
#include "locales/catalog.h"

static const char *reach_svg_value(const struct reach_svg_ctx *x, enum reach_dim d, const char *v, const char *name);
static void reach_svg_grid(struct reach_svg_ctx *x, struct reach_svg_grid *g);
static void reach_svg_grid_free(struct reach_svg_grid *g);
static void reach_svg_titles(
    const struct reach_svg_ctx *x, const struct reach_svg_grid *g, struct buf *title, struct buf *sub);
static void reach_svg_desc(const struct reach_svg_ctx *x, const struct reach_svg_grid *g, struct buf *d);

int
reach_svg_parse(struct reach_svg_chart *ch, const enum reach_dim *by, size_t nby, const char *indicators,
    const char *lang, char *field, size_t fieldlen, char *why, size_t whylen)
{
	static const enum reach_metric defaults[] = { REACH_SENT, REACH_REACHED, REACH_REPLIED };
	size_t nperiod = 0;
	enum reach_dim other = REACH_DIM_PERIOD;

	memset(ch, 0, sizeof *ch);
	snprintf(ch->lang, sizeof ch->lang, "fr");
	if (lang != NULL) {
		if (strcmp(lang, "fr") != 0 && strcmp(lang, "ar") != 0 && strcmp(lang, "en") != 0) {
			snprintf(field, fieldlen, "lang");
			snprintf(why, whylen, "lang is fr, ar or en");
			return -1;
		}
		snprintf(ch->lang, sizeof ch->lang, "%s", lang);
	}
	for (size_t i = 0; i < nby; i++) {
		if (by[i] == REACH_DIM_PERIOD)
			nperiod++;
		else
			other = by[i];
	}
	if (nby == 0 || nby > 2 || (nby == 2 && nperiod != 1)) {
		snprintf(field, fieldlen, "by");
		snprintf(why, whylen,
		    "format=svg draws by=period (lines), by one of campaign, kind, city, locale, channel, sex (bars), "
		    "or by period and one of those (one indicator's lines)");
		return -1;
	}
	if (indicators == NULL) {
		for (size_t i = 0; i < sizeof defaults / sizeof defaults[0] && (nby == 1 || i == 0); i++)
			ch->series[ch->nseries++] = nby == 1 ? defaults[i] : REACH_REACHED;
	} else {
		char *copy = xstrdup(indicators), *save = NULL;

		for (char *s = strtok_r(copy, ",", &save); s != NULL; s = strtok_r(NULL, ",", &save)) {
			int m = reach_metric_parse(s);
			bool twice = false;

			for (size_t i = 0; m >= 0 && i < ch->nseries; i++)
				twice = twice || ch->series[i] == (enum reach_metric)m;
			if (m < 0 || twice) {
				snprintf(field, fieldlen, "indicators");
				snprintf(why, whylen,
				    "indicators: '%.40s' is not sent, delivered, read, reached, replied, informed, "
				    "referred or opted_out%s",
				    s, twice ? " (given twice)" : "");
				free(copy);
				return -1;
			}
			ch->series[ch->nseries++] = (enum reach_metric)m;
		}
		free(copy);
		if (ch->nseries == 0) {
			snprintf(field, fieldlen, "indicators");
			snprintf(why, whylen,
			    "indicators is a comma list of sent, delivered, read, reached, replied, "
			    "informed, referred, opted_out");
			return -1;
		}
	}
	if (nby == 2 && ch->nseries != 1) {
		snprintf(field, fieldlen, "indicators");
		snprintf(why, whylen, "by=period,%s draws one line per %s: give one indicator (indicators=reached)",
		    reach_dim_name(other), reach_dim_name(other));
		return -1;
	}
	return 0;
}

const char *
reach_svg_say(const struct reach_svg_ctx *x, const char *key, const char *fallback)
{
	const char *t = NULL;

	if (x->cat != NULL && (t = catalog_get(x->cat, x->ch->lang, key)) == NULL)
		t = catalog_get(x->cat, "fr", key);
	return t != NULL ? t : fallback;
}

/* A dimension's value as a reader knows it: a campaign's name, a kind or a sex in words, "unknown". */
static const char *
reach_svg_value(const struct reach_svg_ctx *x, enum reach_dim d, const char *v, const char *name)
{
	char key[96];

	if (d == REACH_DIM_CAMPAIGN && name != NULL && *name != '\0')
		return name;
	if (v == NULL || *v == '\0')
		return d == REACH_DIM_CAMPAIGN ? reach_svg_say(x, "console.chart.no_campaign", "(no campaign)")
					       : reach_svg_say(x, "console.chart.unknown", "unknown");
	if ((d == REACH_DIM_SEX || d == REACH_DIM_KIND) &&
	    (size_t)snprintf(key, sizeof key, "console.%s.%s", reach_dim_name(d), v) < sizeof key)
		return reach_svg_say(x, key, v);
	return v;
}

static size_t
reach_svg_add_cat(struct reach_svg_grid *g, const char *label)
{
	if (g->ncat == g->capcat) {
		g->capcat = g->capcat == 0 ? 16 : g->capcat * 2;
		g->cat = xreallocarray(g->cat, g->capcat, sizeof *g->cat);
	}
	g->cat[g->ncat] = xstrdup(label);
	return g->ncat++;
}

/* Every period of the report's range, empty ones included: a period with no row is a count of 0. */
static void
reach_svg_periods(const struct reach_report *r, struct reach_svg_grid *g)
{
	long from, to, first, last;
	char label[40];

	if (reach_date_parse(r->from, &from) != 0 || reach_date_parse(r->to, &to) != 0 || to < from)
		return;
	if (r->period == REACH_PERIOD_RANGE) {
		snprintf(label, sizeof label, "%s/%s", r->from, r->to);
		reach_svg_add_cat(g, label);
		return;
	}
	for (long d = from; d <= to; d = last + 1) {
		reach_period_bounds(r->period, d, &first, &last);
		reach_period_label(r->period, d, label, sizeof label);
		reach_svg_add_cat(g, label);
	}
}

static struct reach_svg_cell
reach_svg_cell_of(const struct reach_report *r, const struct reach_row *row, enum reach_metric m)
{
	struct reach_svg_cell c = { row->v[m], false };

	if (r->suppress_below > 1 && (row->suppressed & 1u << m) != 0)
		c = (struct reach_svg_cell){ 0, true };
	return c;
}

static int
reach_svg_strcmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static size_t
reach_svg_find(const char *const *list, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(list[i], s) == 0)
			return i;
	return n;
}

static void
reach_svg_grid(struct reach_svg_ctx *x, struct reach_svg_grid *g)
{
	const struct reach_report *r = x->r;
	enum reach_dim dim = REACH_DIM_PERIOD;
	char key[64];

	memset(g, 0, sizeof *g);
	for (size_t i = 0; i < r->nby; i++) {
		if (r->by[i] == REACH_DIM_PERIOD)
			g->over_time = true;
		else
			dim = r->by[i];
	}
	g->split = g->over_time && dim != REACH_DIM_PERIOD;
	if (g->split) {
		/* The dimension's values, each once, in byte order: the legend's order. */
		g->key = xreallocarray(NULL, r->nrows + 1, sizeof *g->key);
		for (size_t i = 0; i < r->nrows; i++) {
			const char *v = r->rows[i].dim[dim] != NULL ? r->rows[i].dim[dim] : "";

			if (reach_svg_find(g->key, g->nser, v) == g->nser)
				g->key[g->nser++] = v;
		}
		qsort(g->key, g->nser, sizeof *g->key, reach_svg_strcmp);
		g->ser = xreallocarray(NULL, g->nser + 1, sizeof *g->ser);
		for (size_t s = 0; s < g->nser; s++) {
			const char *name = NULL;

			for (size_t i = 0; i < r->nrows && name == NULL; i++)
				if (r->rows[i].dim[dim] != NULL && strcmp(r->rows[i].dim[dim], g->key[s]) == 0)
					name = r->rows[i].campaign_name;
			g->ser[s] = reach_svg_value(x, dim, g->key[s], name);
		}
	} else {
		g->nser = x->ch->nseries;
		g->ser = xreallocarray(NULL, g->nser, sizeof *g->ser);
		for (size_t s = 0; s < g->nser; s++) {
			const char *name = reach_metric_name(x->ch->series[s]);

			snprintf(key, sizeof key, "console.indicator.%s", name);
			g->ser[s] = reach_svg_say(x, key, name);
		}
	}
	if (g->over_time)
		reach_svg_periods(r, g);
	else
		for (size_t i = 0; i < r->nrows; i++)
			reach_svg_add_cat(g, reach_svg_value(x, dim, r->rows[i].dim[dim], r->rows[i].campaign_name));
	/* Room for a period no row of the range was expected to have (it is drawn, never dropped). */
	g->cell = xcalloc((g->ncat + r->nrows) * (g->nser > 0 ? g->nser : 1), sizeof *g->cell);
	for (size_t i = 0; i < r->nrows; i++) {
		const struct reach_row *row = &r->rows[i];
		size_t c = i;

		if (g->over_time) {
			const char *p = row->dim[REACH_DIM_PERIOD] != NULL ? row->dim[REACH_DIM_PERIOD] : "";

			if ((c = reach_svg_find((const char *const *)g->cat, g->ncat, p)) == g->ncat)
				c = reach_svg_add_cat(g, p);
		}
		if (g->split) {
			size_t s = reach_svg_find(g->key, g->nser, row->dim[dim] != NULL ? row->dim[dim] : "");

			g->cell[c * g->nser + s] = reach_svg_cell_of(r, row, x->ch->series[0]);
		} else {
			for (size_t s = 0; s < g->nser; s++)
				g->cell[c * g->nser + s] = reach_svg_cell_of(r, row, x->ch->series[s]);
		}
	}
	for (size_t s = 0; s < (g->split ? 1 : g->nser); s++)
		g->total[s] = reach_svg_cell_of(r, &r->totals, x->ch->series[s]);
	for (size_t i = 0; i < g->ncat * g->nser; i++) {
		g->any = g->any || g->cell[i].hidden || g->cell[i].v > 0;
		g->hidden = g->hidden || g->cell[i].hidden;
	}
}

static void
reach_svg_grid_free(struct reach_svg_grid *g)
{
	for (size_t i = 0; i < g->ncat; i++)
		free(g->cat[i]);
	free(g->cat);
	free(g->key);
	free(g->ser);
	free(g->cell);
}
const char *
reach_svg_count(const struct reach_svg_ctx *x, struct reach_svg_cell c, char *out, size_t len)
{
	if (c.hidden)
		snprintf(out, len, "<%d", x->r->suppress_below);
	else
		svg_count(c.v, x->ch->lang, out, len);
	return out;
}
static void
reach_svg_titles(const struct reach_svg_ctx *x, const struct reach_svg_grid *g, struct buf *title, struct buf *sub)
{
	const struct reach_report *r = x->r;
	enum reach_dim d = REACH_DIM_PERIOD;
	char key[64], fallback[32];

	for (size_t i = 0; i < r->nby; i++)
		if (r->by[i] != REACH_DIM_PERIOD)
			d = r->by[i];
	if (g->split)
		snprintf(key, sizeof key, "console.indicator.%s", reach_metric_name(x->ch->series[0]));
	snprintf(fallback, sizeof fallback, "by %s", reach_dim_name(d));
	buf_printf(title, "%s \xE2\x80\x94 ",
	    g->split ? reach_svg_say(x, key, reach_metric_name(x->ch->series[0]))
		     : reach_svg_say(x, "console.chart.title", "Programme reach"));
	snprintf(key, sizeof key, "console.chart.title.%s", reach_dim_name(d));
	buf_puts(title, reach_svg_say(x, key, fallback));
	if (strncmp(r->from, r->to, sizeof r->from) == 0)
		buf_printf(sub, "%.10s", r->from);
	else
		buf_printf(sub, "%.10s \xE2\x80\x93 %.10s", r->from, r->to);
}

/* Every number drawn, in words a screen reader reads out: per series over time, or per group. */
static void
reach_svg_desc(const struct reach_svg_ctx *x, const struct reach_svg_grid *g, struct buf *d)
{
	const char *sep = strcmp(x->ch->lang, "ar") == 0 ? "\xD8\x8C " : ", ";
	size_t outer = g->over_time ? g->nser : g->ncat, inner = g->over_time ? g->ncat : g->nser;
	char num[48];

	if (!g->any) {
		buf_printf(d, " %s.", reach_svg_say(x, "console.chart.no_data", "No data for this period"));
		return;
	}
	for (size_t o = 0; o < outer; o++) {
		buf_printf(d, " %s: ", g->over_time ? g->ser[o] : g->cat[o]);
		for (size_t i = 0; i < inner; i++) {
			size_t c = g->over_time ? i : o, s = g->over_time ? o : i;

			buf_printf(d, "%s%s %s", i > 0 ? sep : "", g->over_time ? g->cat[c] : g->ser[s],
			    reach_svg_count(x, g->cell[c * g->nser + s], num, sizeof num));
		}
		buf_puts(d, ".");
	}
	buf_printf(d, " %s: ", reach_svg_say(x, "console.chart.total", "Total (each person once)"));
	for (size_t s = 0; s < (g->split ? 1 : g->nser); s++) {
		char key[64];
		const char *name = reach_metric_name(x->ch->series[s]);

		snprintf(key, sizeof key, "console.indicator.%s", name);
		buf_printf(d, "%s%s %s", s > 0 ? sep : "", reach_svg_say(x, key, name),
		    reach_svg_count(x, g->total[s], num, sizeof num));
	}
	buf_puts(d, ".");
}

void
reach_svg(const struct reach_report *r, const struct reach_svg_chart *ch, const struct catalog *cat, struct buf *out)
{
	struct reach_svg_ctx x = { r, ch, cat, strcmp(ch->lang, "ar") == 0, { NULL, 0, 0 }, 0 };
	struct reach_svg_grid g;
	struct buf title, sub, desc;

	buf_init(&x.body);
	buf_init(&title);
	buf_init(&sub);
	buf_init(&desc);
	reach_svg_grid(&x, &g);
	reach_svg_titles(&x, &g, &title, &sub);
	reach_svg_draw_text(&x, REACH_SVG_MARGIN, 30, REACH_SVG_FS_TITLE, REACH_SVG_INK, true, SVG_LEFT, title.data,
	    REACH_SVG_LABEL_MAX);
	reach_svg_draw_text(&x, REACH_SVG_MARGIN, 54, REACH_SVG_FS, REACH_SVG_INK2, false, SVG_LEFT, sub.data, 0);
	x.y = 62;
	buf_printf(&desc, "%s, %s.", title.data, sub.data);
	reach_svg_desc(&x, &g, &desc);
	if (g.any) {
		reach_svg_draw_legend(&x, &g);
		if (g.over_time)
			reach_svg_draw_lines(&x, &g);
		else
			reach_svg_draw_bars(&x, &g);
		reach_svg_draw_notes(&x, &g, &desc);
	} else {
		reach_svg_draw_text(&x, REACH_SVG_WIDTH / 2, x.y + 60, 18, REACH_SVG_INK, false, SVG_MIDDLE,
		    reach_svg_say(&x, "console.chart.no_data", "No data for this period"), 0);
		x.y += 100;
	}
	buf_puts(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	buf_printf(out,
	    "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-labelledby=\"reach-title reach-desc\" "
	    "viewBox=\"0 0 %.0f %.0f\" width=\"100%%\" font-family=\"sans-serif\" xml:lang=\"%s\">\n",
	    REACH_SVG_WIDTH, x.y + REACH_SVG_MARGIN, ch->lang);
	buf_puts(out, "<title id=\"reach-title\">");
	svg_escape(out, title.data, 0);
	buf_puts(out, ", ");
	svg_escape(out, sub.data, 0);
	buf_puts(out, "</title>\n<desc id=\"reach-desc\">");
	svg_escape(out, desc.data, 0);
	buf_printf(out, "</desc>\n<rect width=\"%.0f\" height=\"%.0f\" fill=\"#FFFFFF\"/>\n", REACH_SVG_WIDTH,
	    x.y + REACH_SVG_MARGIN);
	buf_append(out, x.body.data != NULL ? x.body.data : "", x.body.len);
	buf_puts(out, "</svg>\n");
	reach_svg_grid_free(&g);
	buf_free(&x.body);
	buf_free(&title);
	buf_free(&sub);
	buf_free(&desc);
}
