/*
 * A reach report's rows and totals, and every form they leave in: the
 * API's JSON, CSV for Excel, a terminal table and DHIS2 dataValueSets.
 * Suppression marks cells once (reach_suppress()); every writer reads the
 * marks, so no form can show a cell another one hides. Owns the rows and
 * their strings, and the unmapped list of a DHIS2 answer.
 */
#include "handlers/reach_report.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/util/buf.h"
#include "gateway/util/xmalloc.h"

/* The column after the indicators: reached minus delivered, when some route gives no receipts. */
#define REACH_WITHOUT_RECEIPT REACH_METRIC_COUNT

static const char *const reach_dim_names[REACH_DIM_COUNT] = { "campaign", "kind", "city", "locale", "channel", "sex",
	"period" };
static const char *const reach_metric_names[REACH_METRIC_COUNT] = { "sent", "delivered", "read", "reached", "replied",
	"informed", "referred", "opted_out" };
static const char *const reach_period_names[REACH_PERIOD_COUNT] = { "day", "month", "quarter", "semester", "year",
	"range" };

static int reach_name_index(const char *const *names, int n, const char *s);
static int reach_row_cmp(const struct reach_report *r, const struct reach_row *a, const struct reach_row *b);
static void reach_merge_sort(const struct reach_report *r, struct reach_row *rows, struct reach_row *tmp, size_t n);
static bool reach_count(const struct reach_report *r, const struct reach_row *row, int col, long long *v);
static const char *reach_cell(
    const struct reach_report *r, const struct reach_row *row, int col, char *tmp, size_t len);
static const char *reach_label(enum reach_dim d, const char *v);
static bool reach_has_campaign_name(const struct reach_report *r);
static size_t reach_text_width(const char *s);
static json_t *reach_json_row(const struct reach_report *r, const struct reach_row *row, bool dims);

const char *
reach_dim_name(enum reach_dim d)
{
	return (unsigned)d < REACH_DIM_COUNT ? reach_dim_names[d] : "?";
}

int
reach_dim_parse(const char *s)
{
	return reach_name_index(reach_dim_names, REACH_DIM_COUNT, s);
}

const char *
reach_metric_name(enum reach_metric m)
{
	return (unsigned)m < REACH_METRIC_COUNT ? reach_metric_names[m] : "?";
}

int
reach_metric_parse(const char *s)
{
	return reach_name_index(reach_metric_names, REACH_METRIC_COUNT, s);
}

const char *
reach_period_name(enum reach_period p)
{
	return (unsigned)p < REACH_PERIOD_COUNT ? reach_period_names[p] : "?";
}

int
reach_period_parse(const char *s)
{
	return reach_name_index(reach_period_names, REACH_PERIOD_COUNT, s);
}

static int
reach_name_index(const char *const *names, int n, const char *s)
{
	for (int i = 0; s != NULL && i < n; i++)
		if (strcmp(names[i], s) == 0)
			return i;
	return -1;
}

void
reach_report_init(struct reach_report *r)
{
	memset(r, 0, sizeof *r);
	r->period = REACH_PERIOD_RANGE;
}

static void
reach_row_free(struct reach_row *row)
{
	for (int d = 0; d < REACH_DIM_COUNT; d++)
		free(row->dim[d]);
	free(row->campaign_name);
}

void
reach_report_free(struct reach_report *r)
{
	for (size_t i = 0; i < r->nrows; i++)
		reach_row_free(&r->rows[i]);
	free(r->rows);
	reach_row_free(&r->totals);
	reach_report_init(r);
}

/*
 * The array's room is the next power of two at or above nrows, so it is
 * grown only when nrows is one: rows come only through here.
 */
struct reach_row *
reach_report_add(struct reach_report *r)
{
	if ((r->nrows & (r->nrows - 1)) == 0)
		r->rows = xreallocarray(r->rows, r->nrows == 0 ? 1 : r->nrows * 2, sizeof *r->rows);
	memset(&r->rows[r->nrows], 0, sizeof r->rows[0]);
	return &r->rows[r->nrows++];
}

static int
reach_row_cmp(const struct reach_report *r, const struct reach_row *a, const struct reach_row *b)
{
	for (size_t i = 0; i < r->nby; i++) {
		const char *x = a->dim[r->by[i]], *y = b->dim[r->by[i]];
		int c = strcmp(x != NULL ? x : "", y != NULL ? y : "");

		if (c != 0)
			return c;
	}
	return 0;
}

/* A merge sort, because equal rows keep their order and qsort() promises no such thing. */
static void
reach_merge_sort(const struct reach_report *r, struct reach_row *rows, struct reach_row *tmp, size_t n)
{
	size_t half = n / 2, i = 0, j = half, k = 0;

	if (n < 2)
		return;
	reach_merge_sort(r, rows, tmp, half);
	reach_merge_sort(r, rows + half, tmp, n - half);
	while (i < half && j < n)
		tmp[k++] = reach_row_cmp(r, &rows[j], &rows[i]) < 0 ? rows[j++] : rows[i++];
	while (i < half)
		tmp[k++] = rows[i++];
	memcpy(rows, tmp, k * sizeof *rows);
}

void
reach_report_sort(struct reach_report *r)
{
	struct reach_row *tmp;

	if (r->nrows < 2)
		return;
	tmp = xreallocarray(NULL, r->nrows, sizeof *tmp);
	reach_merge_sort(r, r->rows, tmp, r->nrows);
	free(tmp);
}

/*
 * One suppressed cell in a column can be worked back from the total and
 * the others, and so can a few whose sum is small; hence the second pass,
 * which hides the smallest visible cells until neither is true.
 */
void
reach_suppress(struct reach_report *r)
{
	long long t = r->suppress_below;

	if (t <= 1)
		return;
	for (int m = 0; m < REACH_METRIC_COUNT; m++) {
		unsigned bit = 1u << m;

		for (size_t i = 0; i < r->nrows; i++)
			if (r->rows[i].v[m] >= 1 && r->rows[i].v[m] < t)
				r->rows[i].suppressed |= bit;
		for (;;) {
			size_t n = 0;
			long long sum = 0;
			struct reach_row *least = NULL;

			for (size_t i = 0; i < r->nrows; i++) {
				struct reach_row *row = &r->rows[i];

				if (row->suppressed & bit) {
					n++;
					sum += row->v[m];
				} else if (row->v[m] >= 1 && (least == NULL || row->v[m] < least->v[m]))
					least = row;
			}
			if (n == 0 || (n >= 2 && sum >= t) || least == NULL)
				break;
			least->suppressed |= bit;
		}
		if (r->totals.v[m] >= 1 && r->totals.v[m] < t)
			r->totals.suppressed |= bit;
	}
}

/* The count of column col (an indicator or REACH_WITHOUT_RECEIPT); false when it is hidden. */
static bool
reach_count(const struct reach_report *r, const struct reach_row *row, int col, long long *v)
{
	unsigned hide = 1u << col;

	if (col == REACH_WITHOUT_RECEIPT) {
		*v = row->v[REACH_REACHED] - row->v[REACH_DELIVERED];
		hide = 1u << REACH_REACHED | 1u << REACH_DELIVERED;
	} else
		*v = row->v[col];
	if (r->suppress_below <= 1)
		return true;
	/* The difference is a count like the others: small, it is hidden too. */
	if (col == REACH_WITHOUT_RECEIPT && *v >= 1 && *v < r->suppress_below)
		return false;
	return (row->suppressed & hide) == 0;
}

/* A count as every text form shows it: the number, or "<t". */
static const char *
reach_cell(const struct reach_report *r, const struct reach_row *row, int col, char *tmp, size_t len)
{
	long long v;

	if (reach_count(r, row, col, &v))
		snprintf(tmp, len, "%lld", v);
	else
		snprintf(tmp, len, "<%d", r->suppress_below);
	return tmp;
}

/* A dimension's value in CSV and the table: an empty one said in words. */
static const char *
reach_label(enum reach_dim d, const char *v)
{
	if (v != NULL && *v != '\0')
		return v;
	return d == REACH_DIM_CAMPAIGN ? "(none)" : "unknown";
}

static bool
reach_has_campaign_name(const struct reach_report *r)
{
	for (size_t i = 0; i < r->nrows; i++)
		if (r->rows[i].campaign_name != NULL)
			return true;
	return false;
}

static json_t *
reach_json_row(const struct reach_report *r, const struct reach_row *row, bool dims)
{
	json_t *o = json_object();
	int ncol = r->unconfirmed_routes ? REACH_METRIC_COUNT + 1 : REACH_METRIC_COUNT;
	char tmp[32];

	for (size_t i = 0; dims && i < r->nby; i++) {
		enum reach_dim d = r->by[i];

		json_object_set_new(o, reach_dim_name(d), json_string(row->dim[d] != NULL ? row->dim[d] : ""));
		if (d == REACH_DIM_CAMPAIGN && row->campaign_name != NULL)
			json_object_set_new(o, "campaign_name", json_string(row->campaign_name));
	}
	for (int c = 0; c < ncol; c++) {
		long long v;
		const char *name = c == REACH_WITHOUT_RECEIPT ? "reached_without_receipt" : reach_metric_names[c];

		if (reach_count(r, row, c, &v))
			json_object_set_new(o, name, json_integer(v));
		else
			json_object_set_new(o, name, json_string(reach_cell(r, row, c, tmp, sizeof tmp)));
	}
	return o;
}

json_t *
reach_json(const struct reach_report *r)
{
	json_t *o = json_object(), *by = json_array(), *rows = json_array();

	json_object_set_new(o, "from", json_stringn(r->from, strnlen(r->from, sizeof r->from)));
	json_object_set_new(o, "to", json_stringn(r->to, strnlen(r->to, sizeof r->to)));
	json_object_set_new(o, "period", json_string(reach_period_name(r->period)));
	for (size_t i = 0; i < r->nby; i++)
		json_array_append_new(by, json_string(reach_dim_name(r->by[i])));
	json_object_set_new(o, "by", by);
	for (size_t i = 0; i < r->nrows; i++)
		json_array_append_new(rows, reach_json_row(r, &r->rows[i], true));
	json_object_set_new(o, "rows", rows);
	json_object_set_new(o, "totals", reach_json_row(r, &r->totals, false));
	json_object_set_new(o, "suppress_below", json_integer(r->suppress_below > 1 ? r->suppress_below : 0));
	json_object_set_new(o, "reached_includes_sends", json_boolean(r->unconfirmed_routes));
	return o;
}

/*
 * One text cell, quoted when it holds the separator, a quote or a line
 * end. A cell that starts like a formula gets a quote in front, so that
 * Excel shows it instead of running it (OWASP, "CSV Injection").
 */
void
reach_csv_text(struct buf *out, const char *s, char sep, bool formula)
{
	bool quote = strchr(s, sep) != NULL || strpbrk(s, "\"\r\n") != NULL;

	if (quote)
		buf_puts(out, "\"");
	if (formula && *s != '\0' && strchr("=+-@", *s) != NULL)
		buf_puts(out, "'");
	for (; *s != '\0'; s++) {
		buf_append(out, s, 1);
		if (*s == '"')
			buf_puts(out, "\"");
	}
	if (quote)
		buf_puts(out, "\"");
}

/* The columns CSV and the table share: the dimensions, campaign_name after campaign, then the counts. */
struct reach_col {
	enum { REACH_COL_DIM, REACH_COL_CAMPAIGN_NAME, REACH_COL_COUNT } type;
	int i; /* the dimension, or the count's column */
};

static size_t
reach_columns(const struct reach_report *r, struct reach_col *cols)
{
	size_t n = 0;
	bool names = reach_has_campaign_name(r);

	for (size_t i = 0; i < r->nby; i++) {
		cols[n++] = (struct reach_col){ REACH_COL_DIM, (int)r->by[i] };
		if (r->by[i] == REACH_DIM_CAMPAIGN && names)
			cols[n++] = (struct reach_col){ REACH_COL_CAMPAIGN_NAME, 0 };
	}
	for (int c = 0; c < REACH_METRIC_COUNT + (r->unconfirmed_routes ? 1 : 0); c++)
		cols[n++] = (struct reach_col){ REACH_COL_COUNT, c };
	return n;
}

/*
 * The text of line li, column c: line 0 is the header, then the rows
 * (none when there is no breakdown: the totals are the one row), then the
 * totals, whose first column says so.
 */
static const char *
reach_grid(const struct reach_report *r, size_t li, const struct reach_col *c, bool first, char *tmp, size_t len)
{
	bool total = li == (r->nby > 0 ? r->nrows : 0) + 1;
	const struct reach_row *row = total ? &r->totals : &r->rows[li - 1];

	if (li == 0) {
		if (c->type == REACH_COL_DIM)
			return reach_dim_names[c->i];
		if (c->type == REACH_COL_CAMPAIGN_NAME)
			return "campaign_name";
		return c->i == REACH_WITHOUT_RECEIPT ? "reached_without_receipt" : reach_metric_names[c->i];
	}
	if (c->type == REACH_COL_COUNT)
		return reach_cell(r, row, c->i, tmp, len);
	if (total)
		return first ? "total" : "";
	if (c->type == REACH_COL_CAMPAIGN_NAME)
		return row->campaign_name != NULL ? row->campaign_name : "";
	return reach_label((enum reach_dim)c->i, row->dim[c->i]);
}

void
reach_csv(const struct reach_report *r, char sep, struct buf *out)
{
	struct reach_col cols[REACH_DIM_COUNT + REACH_METRIC_COUNT + 2];
	size_t ncol = reach_columns(r, cols), nline = (r->nby > 0 ? r->nrows : 0) + 2;
	char tmp[32];

	buf_puts(out, "\xEF\xBB\xBF");
	for (size_t li = 0; li < nline; li++) {
		for (size_t c = 0; c < ncol; c++) {
			const char *s = reach_grid(r, li, &cols[c], c == 0, tmp, sizeof tmp);

			if (c > 0)
				buf_append(out, &sep, 1);
			if (li > 0 && cols[c].type == REACH_COL_COUNT)
				buf_puts(out, s);
			else
				reach_csv_text(out, s, sep, true);
		}
		buf_puts(out, "\r\n");
	}
}

/*
 * Code points, less the combining ones a terminal draws over the letter
 * before (accents, Arabic vowel marks); a stray byte counts as one.
 */
static size_t
reach_text_width(const char *s)
{
	size_t w = 0;

	while (*s != '\0') {
		const unsigned char *p = (const unsigned char *)s;
		uint32_t cp = *p;
		int n = *p < 0x80 ? 1 : *p >= 0xF0 ? 4 : *p >= 0xE0 ? 3 : *p >= 0xC0 ? 2 : 1;

		if (n > 1 && utf8_valid(s, strnlen(s, (size_t)n))) {
			cp = *p & (0x7F >> n);
			for (int i = 1; i < n; i++)
				cp = cp << 6 | (p[i] & 0x3F);
		} else
			n = 1;
		s += n;
		if ((cp >= 0x300 && cp <= 0x36F) || (cp >= 0x64B && cp <= 0x65F) || cp == 0x670)
			continue;
		w++;
	}
	return w;
}

/* A cell padded to width w, on the right for text; control characters would break the line, so they are spaces. */
static void
reach_table_cell(struct buf *out, const char *s, size_t w, bool number, bool last)
{
	size_t pad = w - reach_text_width(s);

	for (size_t i = 0; number && i < pad; i++)
		buf_puts(out, " ");
	for (; *s != '\0'; s++)
		buf_append(out, (unsigned char)*s < 0x20 ? " " : s, 1);
	for (size_t i = 0; !number && !last && i < pad; i++)
		buf_puts(out, " ");
}

void
reach_table(const struct reach_report *r, struct buf *out)
{
	struct reach_col cols[REACH_DIM_COUNT + REACH_METRIC_COUNT + 2];
	size_t ncol = reach_columns(r, cols), nline = (r->nby > 0 ? r->nrows : 0) + 2, rule = 0;
	size_t width[REACH_DIM_COUNT + REACH_METRIC_COUNT + 2];
	char tmp[32];

	for (size_t c = 0; c < ncol; c++) {
		width[c] = 0;
		for (size_t li = 0; li < nline; li++) {
			size_t w = reach_text_width(reach_grid(r, li, &cols[c], c == 0, tmp, sizeof tmp));

			width[c] = w > width[c] ? w : width[c];
		}
		rule += width[c] + (c > 0 ? 2 : 0);
	}
	for (size_t li = 0; li < nline; li++) {
		if (li == 1 || (li == nline - 1 && li > 1)) {
			for (size_t i = 0; i < rule; i++)
				buf_puts(out, "-");
			buf_puts(out, "\n");
		}
		for (size_t c = 0; c < ncol; c++) {
			if (c > 0)
				buf_puts(out, "  ");
			reach_table_cell(out, reach_grid(r, li, &cols[c], c == 0, tmp, sizeof tmp), width[c],
			    cols[c].type == REACH_COL_COUNT, c == ncol - 1);
		}
		buf_puts(out, "\n");
	}
	if (r->unconfirmed_routes)
		buf_puts(out,
		    "reached includes people sent a message by a route without delivery receipts"
		    " (the reached_without_receipt column shows how many)\n");
	if (r->suppress_below > 1)
		buf_printf(out, "counts below %d are shown as <%d\n", r->suppress_below, r->suppress_below);
}
