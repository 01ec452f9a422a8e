/*
 * Unit tests for handlers/reach_svg.c and handlers/svg.c: the reach charts
 * the console shows as <img>. Each document is read back by a real XML
 * parser (xmllint, libxml2-utils): well-formed, its text and <desc> as a
 * reader gets them. The options refused with the field to blame; each
 * series and label there, in French, English and Arabic (right to left),
 * from the shipped catalogs; a hostile campaign name escaped; hidden
 * counts drawn as "<5" and never at their value; no data said as such;
 * no style, script or outside reference; colours that keep 3:1 on white.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "handlers/reach_svg.h"
#include "handlers/svg.h"
#include "locales/catalog.h"
#include "tests/unit/test_reach_rows.h"

static struct catalog *cat;

/* The chart of r with these options (they must be accepted); the caller frees it. */
static char *
draw(const struct reach_report *r, const char *indicators, const char *lang, const struct catalog *c)
{
	struct reach_svg_chart ch;
	struct buf b;
	char field[32], why[256];

	if (reach_svg_parse(&ch, r->by, r->nby, indicators, lang, field, sizeof field, why, sizeof why) != 0)
		fail_msg("refused: %s: %s", field, why);
	buf_init(&b);
	reach_svg(r, &ch, c, &b);
	return buf_release(&b);
}

/*
 * Runs xmllint (libxml2's parser) with args on the document; fails the test
 * unless it parses. Its output, which the caller frees.
 */
static char *
xmllint(const char *svg, const char *args)
{
	char path[] = "/tmp/test_reach_svg.XXXXXX", cmd[512], chunk[4096];
	int fd = mkstemp(path);
	struct buf out;
	FILE *p;
	size_t n;
	int st;

	assert_true(fd >= 0);
	assert_int_equal(write(fd, svg, strlen(svg)), (ssize_t)strlen(svg));
	close(fd);
	snprintf(cmd, sizeof cmd, "xmllint --nonet %s %s 2>&1", args, path);
	assert_non_null(p = popen(cmd, "r"));
	buf_init(&out);
	while ((n = fread(chunk, 1, sizeof chunk, p)) > 0)
		buf_append(&out, chunk, n);
	st = pclose(p);
	unlink(path);
	if (st != 0)
		fail_msg("xmllint %s (libxml2-utils: scripts/install-deps) refused the chart: %s\n%s", args,
		    out.data != NULL ? out.data : "", svg);
	return out.data != NULL ? buf_release(&out) : strdup("");
}

/* The <desc> as a parser reads it (entities replaced). */
static char *
desc_of(const char *svg)
{
	return xmllint(svg, "--xpath 'string(/*[local-name()=\"svg\"]/*[local-name()=\"desc\"])'");
}

/* Every <text>'s content as a parser reads it, each followed by "|", after a "|". */
static char *
texts_of(const char *svg)
{
	char *all = xmllint(svg, "--xpath '//*[local-name()=\"text\"]'"), *p = all;
	struct buf b;

	buf_init(&b);
	buf_puts(&b, "|");
	/* xmllint prints the elements as XML again: their contents are between > and </text>. */
	while ((p = strstr(p, "<text")) != NULL) {
		char *start = strchr(p, '>') + 1, *end = strstr(start, "</text>");

		for (char *q = start; q < end; q++) {
			if (strncmp(q, "&lt;", 4) == 0) {
				buf_puts(&b, "<");
				q += 3;
			} else if (strncmp(q, "&gt;", 4) == 0) {
				buf_puts(&b, ">");
				q += 3;
			} else if (strncmp(q, "&amp;", 5) == 0) {
				buf_puts(&b, "&");
				q += 4;
			} else
				buf_append(&b, q, 1);
		}
		buf_puts(&b, "|");
		p = end;
	}
	free(all);
	return buf_release(&b);
}

static size_t
count_of(const char *s, const char *what)
{
	size_t n = 0;

	for (const char *p = s; (p = strstr(p, what)) != NULL; p += strlen(what))
		n++;
	return n;
}

/* What no chart may hold: style (the console's CSP forbids it), scripts, anything fetched from elsewhere. */
static void
assert_self_contained(const char *svg)
{
	assert_null(strstr(svg, "style="));
	assert_null(strstr(svg, "<style"));
	assert_null(strstr(svg, "<script"));
	assert_null(strstr(svg, "href"));
	assert_null(strstr(svg, "url("));
	assert_null(strstr(svg, "@import"));
	assert_null(strstr(svg, "<foreignObject"));
	/* No event attribute (onload=, onclick=…): " on", letters, "=". */
	for (const char *p = svg; (p = strstr(p, " on")) != NULL; p++) {
		const char *q = p + 3;

		while (*q >= 'a' && *q <= 'z')
			q++;
		if (q > p + 3 && *q == '=')
			fail_msg("an event attribute: %.40s", p);
	}
	assert_non_null(strstr(svg, "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\""));
	assert_non_null(strstr(svg, " viewBox=\"0 0 640 "));
	assert_non_null(strstr(svg, " width=\"100%\""));
	assert_non_null(strstr(svg, "<title id=\"reach-title\">"));
	assert_non_null(strstr(svg, "<desc id=\"reach-desc\">"));
}

static double
luminance(const char *hex)
{
	double c[3];

	for (int i = 0; i < 3; i++) {
		unsigned v;

		assert_int_equal(sscanf(hex + 1 + 2 * i, "%2x", &v), 1);
		c[i] = v / 255.0;
		c[i] = c[i] <= 0.03928 ? c[i] / 12.92 : pow((c[i] + 0.055) / 1.055, 2.4);
	}
	return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
}

/* WCAG 2.1's contrast ratio against white. */
static double
contrast(const char *hex)
{
	return 1.05 / (luminance(hex) + 0.05);
}

static int
setup(void **state)
{
	char why[256];

	(void)state;
	cat = catalog_new();
	if (catalog_load_dir(cat, "locales", why, sizeof why) != 0)
		fail_msg("catalogs: %s", why);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	catalog_free(cat);
	return 0;
}

static void
test_options(void **state)
{
	static const enum reach_dim period[] = { REACH_DIM_PERIOD }, kind[] = { REACH_DIM_KIND },
				    period_sex[] = { REACH_DIM_PERIOD, REACH_DIM_SEX },
				    sex_period[] = { REACH_DIM_SEX, REACH_DIM_PERIOD },
				    kind_sex[] = { REACH_DIM_KIND, REACH_DIM_SEX },
				    three[] = { REACH_DIM_PERIOD, REACH_DIM_KIND, REACH_DIM_SEX };
	struct reach_svg_chart ch;
	char field[32], why[256];

	(void)state;
	/* Defaults: sent, reached, replied in French; one indicator, reached, by period and a dimension. */
	assert_int_equal(reach_svg_parse(&ch, period, 1, NULL, NULL, field, sizeof field, why, sizeof why), 0);
	assert_int_equal(ch.nseries, 3);
	assert_int_equal(ch.series[0], REACH_SENT);
	assert_int_equal(ch.series[1], REACH_REACHED);
	assert_int_equal(ch.series[2], REACH_REPLIED);
	assert_string_equal(ch.lang, "fr");
	assert_int_equal(reach_svg_parse(&ch, period_sex, 2, NULL, "ar", field, sizeof field, why, sizeof why), 0);
	assert_int_equal(ch.nseries, 1);
	assert_int_equal(ch.series[0], REACH_REACHED);
	assert_string_equal(ch.lang, "ar");
	assert_int_equal(
	    reach_svg_parse(&ch, sex_period, 2, "opted_out", "en", field, sizeof field, why, sizeof why), 0);
	assert_int_equal(ch.series[0], REACH_OPTED_OUT);
	assert_int_equal(
	    reach_svg_parse(&ch, kind, 1, "delivered,read,informed,referred,opted_out,sent,reached,replied", NULL,
		field, sizeof field, why, sizeof why),
	    0);
	assert_int_equal(ch.nseries, 8);
	assert_int_equal(ch.series[0], REACH_DELIVERED);
	/* Breakdowns a chart cannot draw. */
	static const struct {
		const enum reach_dim *by;
		size_t nby;
		const char *indicators, *lang, *field, *says;
	} bad[] = {
		{ period, 0, NULL, NULL, "by", "by=period" },
		{ kind_sex, 2, NULL, NULL, "by", "by period and one of those" },
		{ three, 3, "reached", NULL, "by", "format=svg draws" },
		{ period_sex, 2, "sent,reached", NULL, "indicators", "give one indicator" },
		{ kind, 1, "sent,bounced", NULL, "indicators", "'bounced' is not" },
		{ kind, 1, "sent,sent", NULL, "indicators", "given twice" },
		{ kind, 1, "", NULL, "indicators", "comma list" },
		{ kind, 1, ",", NULL, "indicators", "comma list" },
		{ kind, 1, "Sent", NULL, "indicators", "'Sent' is not" },
		{ kind, 1, NULL, "de", "lang", "fr, ar or en" },
		{ kind, 1, NULL, "", "lang", "fr, ar or en" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		field[0] = why[0] = '\0';
		if (reach_svg_parse(&ch, bad[i].by, bad[i].nby, bad[i].indicators, bad[i].lang, field, sizeof field,
			why, sizeof why) != -1)
			fail_msg("case %zu accepted", i);
		assert_string_equal(field, bad[i].field);
		if (strstr(why, bad[i].says) == NULL)
			fail_msg("case %zu: '%s' does not say '%s'", i, why, bad[i].says);
	}
}

/* Indicators over the months: a line each, a marker shape each, every month on the axis (an empty one at 0). */
static void
test_lines_by_period(void **state)
{
	struct reach_report r;
	char *svg, *desc, *texts;

	(void)state;
	report(&r, REACH_PERIOD_MONTH, "2026-01-01", "2026-04-30", 1, REACH_DIM_PERIOD);
	add(&r, (const char *[]){ "2026-01" }, (long long[]){ 1200, 1100, 300, 1150, 140, 60, 20, 3 });
	add(&r, (const char *[]){ "2026-02" }, (long long[]){ 1630, 1571, 480, 1571, 201, 118, 44, 9 });
	add(&r, (const char *[]){ "2026-04" }, (long long[]){ 900, 850, 200, 870, 95, 40, 12, 1 });
	r.totals = (struct reach_row){ .v = { 2500, 2400, 700, 2420, 390, 200, 70, 13 } };
	svg = draw(&r, NULL, NULL, cat);
	assert_self_contained(svg);
	desc = desc_of(svg);
	texts = texts_of(svg);
	/* The legend, in French from the catalog. */
	assert_non_null(strstr(texts, "|Message envoyé|"));
	assert_non_null(strstr(texts, "|Touchées|"));
	assert_non_null(strstr(texts, "|Ont répondu|"));
	assert_null(strstr(texts, "Message lu"));
	/* Every month, March too, and the y axis from 0 in round steps to the largest count (1630: 0, 500 … 2000). */
	for (const char *const *m = (const char *const[]){ "2026-01", "2026-02", "2026-03", "2026-04", NULL }; *m;
	     m++) {
		char want[16];

		snprintf(want, sizeof want, "|%s|", *m);
		assert_non_null(strstr(texts, want));
	}
	assert_non_null(strstr(texts, "|0|"));
	assert_non_null(strstr(texts, "|500|"));
	assert_non_null(strstr(texts,
	    "|2\xE2\x80\xAF"
	    "000|"));
	assert_null(strstr(texts,
	    "2\xE2\x80\xAF"
	    "500"));
	/* One line per indicator, and markers of three shapes in the three colours. */
	assert_int_equal(count_of(svg, "<path "), 3);
	assert_non_null(strstr(svg, "<circle cx="));
	assert_int_equal(count_of(svg, "fill=\"#0072B2\" stroke=\"#FFFFFF\""), 1 + 4);
	assert_int_equal(count_of(svg, "fill=\"#D55E00\" stroke=\"#FFFFFF\""), 1 + 4);
	assert_int_equal(count_of(svg, "<polygon points"), 1 + 4);
	/* The desc gives every number: each month's, March's 0, and the totals (each person once). */
	assert_non_null(strstr(desc, "Portée du programme — par période, 2026-01-01 – 2026-04-30."));
	assert_non_null(strstr(desc,
	    "Message envoyé: 2026-01 1\xE2\x80\xAF"
	    "200, 2026-02 1\xE2\x80\xAF"
	    "630, 2026-03 0, "
	    "2026-04 900."));
	assert_non_null(strstr(desc, "Ont répondu: 2026-01 140, 2026-02 201, 2026-03 0, 2026-04 95."));
	assert_non_null(strstr(desc,
	    "Total (chaque personne une fois): Message envoyé 2\xE2\x80\xAF"
	    "500, Touchées "
	    "2\xE2\x80\xAF"
	    "420, Ont répondu 390."));
	free(svg);
	free(desc);
	free(texts);
	reach_report_free(&r);
}

/* One bar per indicator per campaign, its count at its end; a hostile name stays text. */
static void
test_bars_escape_a_hostile_name(void **state)
{
	static const char hostile[] = "<script>alert(1)</script>&\"'";
	struct reach_report r;
	struct reach_row *row;
	char *svg, *desc, *texts;

	(void)state;
	report(&r, REACH_PERIOD_RANGE, "2026-07-01", "2026-09-30", 1, REACH_DIM_CAMPAIGN);
	row = add(&r, (const char *[]){ "c5f0c1a2b3c4d" }, (long long[]){ 412, 398, 120, 398, 57, 31, 12, 3 });
	row->campaign_name = strdup(hostile);
	add(&r, (const char *[]){ "" }, (long long[]){ 80, 70, 0, 70, 0, 0, 0, 0 });
	add(&r, (const char *[]){ "forum-rabat" }, (long long[]){ 25, 20, 0, 20, 9, 0, 0, 0 });
	svg = draw(&r, "sent,reached,replied", "en", cat);
	assert_self_contained(svg);
	assert_null(strstr(svg, "<script"));
	assert_null(strstr(svg, "alert(1)</script>"));
	assert_non_null(strstr(svg, "&lt;script&gt;alert(1)&lt;/script&gt;&amp;&quot;&apos;"));
	texts = texts_of(svg);
	desc = desc_of(svg);
	/* The parser gives the name back as it was: it is a label, not markup. */
	assert_non_null(strstr(texts, "|<script>alert(1)</script>&\"'|"));
	assert_non_null(strstr(desc, hostile));
	/* Groups: the name, "(no campaign)", the id of another producer's campaign. */
	assert_non_null(strstr(texts, "|(no campaign)|"));
	assert_non_null(strstr(texts, "|forum-rabat|"));
	/* Each count at the end of its bar, the zeros too; a bar for each count but the zero. */
	for (const char *const *n = (const char *const[]){ "412", "398", "57", "80", "70", "0", "25", "20", "9", NULL };
	     *n; n++) {
		char want[16];

		snprintf(want, sizeof want, "|%s|", *n);
		if (strstr(texts, want) == NULL)
			fail_msg("count %s not drawn: %s", *n, texts);
	}
	assert_int_equal(count_of(svg, "height=\"18.0\""), 8);
	assert_non_null(strstr(texts, "|Sent a message|"));
	assert_non_null(strstr(texts, "|Reached|"));
	assert_non_null(strstr(texts, "|Replied|"));
	assert_non_null(strstr(desc, "Programme reach — by campaign, 2026-07-01 – 2026-09-30."));
	assert_non_null(strstr(desc, "(no campaign): Sent a message 80, Reached 70, Replied 0."));
	free(svg);
	free(desc);
	free(texts);
	reach_report_free(&r);
}

/* A hidden count is "<5": no bar, a gap in its line, never its value anywhere, nor in the scale. */
static void
test_hidden_counts(void **state)
{
	struct reach_report r;
	struct reach_row *row;
	char *svg, *desc, *texts;

	(void)state;
	report(&r, REACH_PERIOD_RANGE, "2026-07-01", "2026-09-30", 1, REACH_DIM_SEX);
	r.suppress_below = 5;
	add(&r, (const char *[]){ "female" }, (long long[]){ 210, 200, 0, 200, 33, 0, 0, 0 });
	add(&r, (const char *[]){ "male" }, (long long[]){ 180, 170, 0, 170, 2, 0, 0, 0 });
	add(&r, (const char *[]){ "other" }, (long long[]){ 3, 3, 0, 3, 0, 0, 0, 0 });
	add(&r, (const char *[]){ "unknown" }, (long long[]){ 97, 96, 0, 96, 1, 0, 0, 0 });
	r.totals = (struct reach_row){ .v = { 490, 469, 0, 469, 36, 0, 0, 0 } };
	reach_suppress(&r);
	/* replied: 2 and 1 hidden (3 < 5), so 33 is too; sent and reached: 3 hidden, then 97 and 96. */
	assert_true(r.rows[0].suppressed & 1u << REACH_REPLIED);
	svg = draw(&r, NULL, "fr", cat);
	assert_self_contained(svg);
	texts = texts_of(svg);
	desc = desc_of(svg);
	for (const char *const *n = (const char *const[]){ "|33|", "|2|", "|3|", "|1|", "|97|", "|96|", NULL }; *n; n++)
		if (strstr(texts, *n) != NULL)
			fail_msg("hidden count %s drawn", *n);
	for (const char *const *n = (const char *const[]){ " 33", " 2.", " 3.", " 3,", " 1.", " 97", " 96", NULL }; *n;
	     n++)
		if (strstr(desc, *n) != NULL)
			fail_msg("hidden count '%s' in the desc: %s", *n, desc);
	assert_int_equal(count_of(texts, "<5|"), 2 + 2 + 3);
	assert_non_null(strstr(texts, "|210|"));
	assert_non_null(strstr(texts, "|Femmes|"));
	assert_non_null(strstr(texts, "|Non renseigné|"));
	assert_non_null(strstr(desc, "Autre: Message envoyé <5, Touchées <5, Ont répondu 0."));
	assert_non_null(strstr(desc, "Non renseigné: Message envoyé <5, Touchées <5, Ont répondu <5."));
	assert_non_null(strstr(texts, "|<5 : moins de 5, nombre masqué pour protéger les personnes|"));
	/* Bars: 12 cells, 7 hidden, one 0: 4 bars. */
	assert_int_equal(count_of(svg, "height=\"18.0\""), 4);
	free(svg);
	free(desc);
	free(texts);
	reach_report_free(&r);

	/* Over time: a gap in the line where a count is hidden, the scale of the counts shown only. */
	report(&r, REACH_PERIOD_QUARTER, "2026-01-01", "2026-12-31", 1, REACH_DIM_PERIOD);
	r.suppress_below = 5;
	add(&r, (const char *[]){ "2026-Q1" }, (long long[]){ 10, 0, 0, 10, 0, 0, 0, 0 });
	row = add(&r, (const char *[]){ "2026-Q2" }, (long long[]){ 470, 0, 0, 470, 0, 0, 0, 0 });
	row->suppressed = 1u << REACH_REACHED;
	add(&r, (const char *[]){ "2026-Q3" }, (long long[]){ 20, 0, 0, 20, 0, 0, 0, 0 });
	add(&r, (const char *[]){ "2026-Q4" }, (long long[]){ 15, 0, 0, 15, 0, 0, 0, 0 });
	svg = draw(&r, "reached", "en", cat);
	texts = texts_of(svg);
	desc = desc_of(svg);
	assert_null(strstr(texts, "470"));
	assert_null(strstr(desc, "470"));
	assert_non_null(strstr(texts, "|20|"));
	assert_null(strstr(texts, "|25|"));
	assert_non_null(strstr(desc, "Reached: 2026-Q1 10, 2026-Q2 <5, 2026-Q3 20, 2026-Q4 15."));
	/* Two pieces of line: Q1 alone (M), then Q3 to Q4 (M, L). */
	{
		const char *d = strstr(svg, "<path d=\"") + 9;
		char path[256];

		snprintf(path, sizeof path, "%.*s", (int)(strchr(d, '"') - d), d);
		assert_int_equal(count_of(path, "M"), 2);
		assert_int_equal(count_of(path, "L"), 1);
	}
	assert_int_equal(count_of(texts, "|<5|"), 1);
	free(svg);
	free(desc);
	free(texts);
	reach_report_free(&r);
}

/* One indicator over the months, a line per sex, in English; Arabic right to left. */
static void
test_lines_by_period_and_sex(void **state)
{
	struct reach_report r;
	char *svg, *desc, *texts;
	static const char *const sexes[] = { "unknown", "female", "male", "other" };

	(void)state;
	report(&r, REACH_PERIOD_MONTH, "2026-05-01", "2026-06-30", 2, REACH_DIM_PERIOD, REACH_DIM_SEX);
	for (int m = 0; m < 2; m++)
		for (int s = 0; s < 4; s++)
			add(&r, (const char *[]){ m == 0 ? "2026-05" : "2026-06", sexes[s] },
			    (long long[]){ 100 + s, 90 + s, 0, 80 + 10 * s + m, 9, 0, 0, 0 });
	svg = draw(&r, "reached", "en", cat);
	assert_self_contained(svg);
	texts = texts_of(svg);
	desc = desc_of(svg);
	assert_int_equal(count_of(svg, "<path "), 4);
	/* The legend in byte order of the values: female, male, other, unknown. */
	assert_non_null(strstr(texts, "|Women|Men|Other|Not stated|"));
	assert_non_null(strstr(desc, "Reached — by sex, 2026-05-01 – 2026-06-30."));
	assert_non_null(strstr(desc, "Women: 2026-05 90, 2026-06 91."));
	assert_non_null(strstr(desc, "Not stated: 2026-05 80, 2026-06 81."));
	free(svg);
	free(desc);
	free(texts);

	svg = draw(&r, "reached", "ar", cat);
	assert_self_contained(svg);
	texts = texts_of(svg);
	assert_non_null(strstr(svg, "xml:lang=\"ar\""));
	assert_non_null(strstr(texts, "|نساء|"));
	assert_non_null(strstr(texts, "|تم الوصول إليهم — حسب الجنس|"));
	/* Arabic text is right to left; the months and counts are not. */
	assert_non_null(strstr(svg, "direction=\"rtl\">نساء</text>"));
	assert_non_null(strstr(svg, "direction=\"rtl\">تم الوصول إليهم — حسب الجنس</text>"));
	assert_null(strstr(svg, "direction=\"rtl\">2026-05</text>"));
	assert_non_null(strstr(svg, "text-anchor=\"middle\">2026-05</text>"));
	free(svg);
	free(texts);
	reach_report_free(&r);
}

/* A city in Arabic script is right to left in a French chart; long, broken and control-laden names stay XML. */
static void
test_names_of_every_sort(void **state)
{
	struct reach_report r;
	char *svg, *texts, *desc, longname[1100];

	(void)state;
	memset(longname, 'a', sizeof longname - 1);
	longname[sizeof longname - 1] = '\0';
	report(&r, REACH_PERIOD_RANGE, "2026-07-01", "2026-09-30", 1, REACH_DIM_CITY);
	add(&r, (const char *[]){ "وجدة" }, (long long[]){ 5, 5, 0, 5, 0, 0, 0, 0 });
	add(&r, (const char *[]){ "Casablanca" }, (long long[]){ 7, 7, 0, 7, 0, 0, 0, 0 });
	add(&r, (const char *[]){ "" }, (long long[]){ 2, 2, 0, 2, 0, 0, 0, 0 });
	add(&r, (const char *[]){ "Fès\nMeknès\x01\x1b[31m" }, (long long[]){ 1, 1, 0, 1, 0, 0, 0, 0 });
	add(&r, (const char *[]){ "bad\xC3\x28utf8\xFF" }, (long long[]){ 1, 1, 0, 1, 0, 0, 0, 0 });
	add(&r,
	    (const char *[]){ "\xE2\x80\xAE"
			      "evil" },
	    (long long[]){ 1, 1, 0, 1, 0, 0, 0, 0 });
	add(&r, (const char *[]){ longname }, (long long[]){ 1, 1, 0, 1, 0, 0, 0, 0 });
	svg = draw(&r, "reached", "fr", cat);
	assert_self_contained(svg);
	texts = texts_of(svg);
	desc = desc_of(svg);
	assert_non_null(strstr(svg, "direction=\"rtl\">وجدة</text>"));
	assert_null(strstr(svg, "direction=\"rtl\">Casablanca"));
	assert_non_null(strstr(texts, "|Non renseigné|"));
	assert_non_null(strstr(texts, "|Fès Meknès  [31m|"));
	assert_non_null(strstr(texts, "|bad\xEF\xBF\xBD(utf8\xEF\xBF\xBD|"));
	/* A right-to-left override cannot turn what follows it around. */
	assert_non_null(strstr(texts, "|evil|"));
	assert_null(strstr(svg, "\xE2\x80\xAE"));
	/* A long name is cut in the drawing, with an ellipsis; the desc has it whole. */
	{
		char want[80];

		memset(want, 'a', 59);
		snprintf(want + 59, sizeof want - 59, "\xE2\x80\xA6|");
		assert_non_null(strstr(texts, want));
		assert_non_null(strstr(desc, longname));
	}
	free(svg);
	free(texts);
	free(desc);
	reach_report_free(&r);
}

/* Nothing counted: a chart that says so, never an error. */
static void
test_no_data(void **state)
{
	struct reach_report r;
	char *svg, *desc, *texts;

	(void)state;
	report(&r, REACH_PERIOD_MONTH, "2026-01-01", "2026-03-31", 1, REACH_DIM_PERIOD);
	svg = draw(&r, NULL, "fr", cat);
	assert_self_contained(svg);
	texts = texts_of(svg);
	desc = desc_of(svg);
	assert_non_null(strstr(texts, "|Aucune donnée pour cette période|"));
	assert_non_null(strstr(desc, "Aucune donnée pour cette période."));
	assert_null(strstr(svg, "<path"));
	free(svg);
	free(desc);
	free(texts);
	reach_report_free(&r);
	/* Rows, but none of the indicators drawn has a count. */
	report(&r, REACH_PERIOD_RANGE, "2026-01-01", "2026-03-31", 1, REACH_DIM_KIND);
	add(&r, (const char *[]){ "training_offer" }, (long long[]){ 0, 0, 0, 0, 0, 0, 0, 4 });
	svg = draw(&r, "replied", "en", cat);
	texts = texts_of(svg);
	assert_non_null(strstr(texts, "|No data for this period|"));
	free(svg);
	free(texts);
	svg = draw(&r, "opted_out", "ar", cat);
	texts = texts_of(svg);
	assert_non_null(strstr(texts, "|عرض تكوين|"));
	assert_non_null(strstr(texts, "|4|"));
	free(svg);
	free(texts);
	reach_report_free(&r);
}

/* A key missing in the language falls back to French, then to the raw name; no catalog: raw names. */
static void
test_label_fallback(void **state)
{
	static const char fr[] = "msgid \"console.indicator.sent\"\nmsgstr \"Envoyés (fr)\"\n";
	static const char en[] = "msgid \"console.indicator.reached\"\nmsgstr \"Reached (en)\"\n";
	struct catalog *c = catalog_new();
	struct reach_report r;
	char why[128], *svg, *texts;

	(void)state;
	assert_int_equal(catalog_add(c, "fr", fr, strlen(fr), why, sizeof why), 0);
	assert_int_equal(catalog_add(c, "en", en, strlen(en), why, sizeof why), 0);
	report(&r, REACH_PERIOD_RANGE, "2026-01-01", "2026-03-31", 1, REACH_DIM_KIND);
	add(&r, (const char *[]){ "event" }, (long long[]){ 6, 6, 0, 6, 1, 0, 0, 0 });
	svg = draw(&r, NULL, "en", c);
	texts = texts_of(svg);
	assert_non_null(strstr(texts, "|Envoyés (fr)|"));
	assert_non_null(strstr(texts, "|Reached (en)|"));
	assert_non_null(strstr(texts, "|replied|"));
	assert_non_null(strstr(texts, "|event|"));
	free(svg);
	free(texts);
	svg = draw(&r, NULL, "ar", NULL);
	texts = texts_of(svg);
	assert_non_null(strstr(texts, "|sent|reached|replied|"));
	assert_null(strstr(texts, "No data"));
	assert_non_null(strstr(texts, "|Programme reach — by kind|"));
	free(svg);
	free(texts);
	reach_report_free(&r);
	catalog_free(c);
}

/* Every colour a series is drawn in keeps 3:1 on white, every text 4.5:1; eight series, eight shapes. */
static void
test_colours_and_shapes(void **state)
{
	struct reach_report r;
	char *svg;
	const char *p;
	size_t colours = 0;

	(void)state;
	for (size_t i = 0; i < SVG_SHAPES; i++)
		if (contrast(svg_colour(i)) < 3.0)
			fail_msg("%s: %.2f:1 on white", svg_colour(i), contrast(svg_colour(i)));
	report(&r, REACH_PERIOD_MONTH, "2026-01-01", "2026-02-28", 1, REACH_DIM_PERIOD);
	add(&r, (const char *[]){ "2026-01" }, (long long[]){ 8, 7, 6, 5, 4, 3, 2, 1 });
	add(&r, (const char *[]){ "2026-02" }, (long long[]){ 9, 8, 7, 6, 5, 4, 3, 2 });
	svg = draw(&r, "sent,delivered,read,reached,replied,informed,referred,opted_out", "fr", cat);
	assert_self_contained(svg);
	free(xmllint(svg, "--noout"));
	for (p = svg; (p = strstr(p, "=\"#")) != NULL; p += 3) {
		char hex[8];
		const char *attr = p;

		snprintf(hex, sizeof hex, "%.7s", p + 2);
		while (attr > svg && attr[-1] != ' ')
			attr--;
		if (strcmp(hex, "#FFFFFF") == 0 || strcmp(hex, "#D9D9D9") == 0)
			continue; /* the background, the markers' rims, the grid's lines */
		colours++;
		if (contrast(hex) < 3.0)
			fail_msg("%.*s: %.2f:1 on white", (int)(p + 9 - attr), attr, contrast(hex));
	}
	assert_true(colours > 16);
	for (p = svg; (p = strstr(p, "<text ")) != NULL; p++) {
		const char *f = strstr(p, "fill=\"#");

		if (contrast(f + 6) < 4.5)
			fail_msg("text in %.7s: %.2f:1", f + 6, contrast(f + 6));
	}
	/* Eight lines, each marker shape a different element or outline. */
	assert_int_equal(count_of(svg, "<path "), 8);
	for (size_t i = 0; i < SVG_SHAPES; i++) {
		char want[64];

		snprintf(want, sizeof want, "fill=\"%s\" stroke=\"#FFFFFF\"", svg_colour(i));
		assert_int_equal(count_of(svg, want), 3);
	}
	free(svg);
	reach_report_free(&r);
}

/* The pieces: escaping, direction, grouped counts. */
static void
test_svg_text(void **state)
{
	struct buf b;
	char n[32];

	(void)state;
	buf_init(&b);
	svg_escape(&b, "a<b>&\"c'\t\r\n\x7f\xEF\xBF\xBE", 0);
	assert_string_equal(b.data, "a&lt;b&gt;&amp;&quot;c&apos;     ");
	buf_reset(&b);
	svg_escape(&b, "Agadir Ida-Outanane", 6);
	assert_string_equal(b.data, "Agadi\xE2\x80\xA6");
	buf_reset(&b);
	svg_escape(&b, "Agadir", 6);
	assert_string_equal(b.data, "Agadir");
	buf_reset(&b);
	svg_escape(&b,
	    "\xE2\x81\xA6"
	    "x\xE2\x80\x8F",
	    0);
	assert_string_equal(b.data, "x");
	buf_free(&b);
	assert_true(svg_rtl("وجدة"));
	assert_true(svg_rtl("2026 — الرباط"));
	assert_false(svg_rtl("2026-Q3"));
	assert_false(svg_rtl("<5"));
	assert_false(svg_rtl("Rabat الرباط"));
	assert_false(svg_rtl("Ça va"));
	svg_count(1234567, "fr", n, sizeof n);
	assert_string_equal(n,
	    "1\xE2\x80\xAF"
	    "234\xE2\x80\xAF"
	    "567");
	svg_count(1234567, "en", n, sizeof n);
	assert_string_equal(n, "1,234,567");
	svg_count(999, "en", n, sizeof n);
	assert_string_equal(n, "999");
	svg_count(0, "ar", n, sizeof n);
	assert_string_equal(n, "0");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_options),
		cmocka_unit_test(test_lines_by_period),
		cmocka_unit_test(test_bars_escape_a_hostile_name),
		cmocka_unit_test(test_hidden_counts),
		cmocka_unit_test(test_lines_by_period_and_sex),
		cmocka_unit_test(test_names_of_every_sort),
		cmocka_unit_test(test_no_data),
		cmocka_unit_test(test_label_fallback),
		cmocka_unit_test(test_colours_and_shapes),
		cmocka_unit_test(test_svg_text),
	};

	return cmocka_run_group_tests_name("reach_svg", tests, setup, teardown);
}
