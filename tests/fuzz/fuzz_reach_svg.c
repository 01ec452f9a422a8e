/*
 * libFuzzer target for reach_svg(): the labels a chart draws come from
 * outside (campaign names, cities as contacts were imported), so any bytes
 * as the rows' values, one per line, drawn as bars, as lines by period,
 * or as a line per value, in each language, with and without small-cell
 * suppression. The document must stay what an XML parser takes: UTF-8,
 * no control character but line ends, every <text> closed, no element or
 * attribute of the input's making.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "handlers/reach_svg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t
fuzz_count(const char *s, const char *what)
{
	size_t n = 0;

	for (const char *p = s; (p = strstr(p, what)) != NULL; p += strlen(what))
		n++;
	return n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const langs[] = { "fr", "ar", "en" };
	static const char *const periods[] = { "2026-01", "2026-02", "2026-03" };
	struct reach_report r;
	struct reach_svg_chart ch;
	struct buf b;
	char *in, *save = NULL, field[32], why[256];
	uint8_t mode;

	if (size < 1)
		return 0;
	mode = data[0];
	in = malloc(size);
	if (in == NULL)
		abort();
	memcpy(in, data + 1, size - 1);
	in[size - 1] = '\0';
	reach_report_init(&r);
	memcpy(r.from, "2026-01-01", 11);
	memcpy(r.to, "2026-03-31", 11);
	r.period = REACH_PERIOD_MONTH;
	r.suppress_below = mode & 8 ? 5 : 0;
	r.unconfirmed_routes = mode & 16;
	/* Bars by campaign (names from the input), by city, lines by period and city. */
	r.by[0] = mode % 3 == 0 ? REACH_DIM_CAMPAIGN : mode % 3 == 1 ? REACH_DIM_CITY : REACH_DIM_PERIOD;
	r.by[1] = REACH_DIM_CITY;
	r.nby = mode % 3 == 2 ? 2 : 1;
	for (char *line = strtok_r(in, "\n", &save); line != NULL && r.nrows < 64; line = strtok_r(NULL, "\n", &save)) {
		struct reach_row *row = reach_report_add(&r);

		for (size_t i = 0; i < r.nby; i++)
			row->dim[r.by[i]] = strdup(r.by[i] == REACH_DIM_PERIOD ? periods[r.nrows % 3] : line);
		if (r.by[0] == REACH_DIM_CAMPAIGN && (line[0] & 1))
			row->campaign_name = strdup(line);
		for (int m = 0; m < REACH_METRIC_COUNT; m++)
			row->v[m] = (long long)(strlen(line) * (size_t)(m + 1)) % 23;
	}
	reach_suppress(&r);
	if (reach_svg_parse(&ch, r.by, r.nby, mode & 32 && r.nby == 1 ? "sent,reached,replied,opted_out" : "reached",
		langs[(mode >> 6) % 3], field, sizeof field, why, sizeof why) != 0)
		abort();
	buf_init(&b);
	reach_svg(&r, &ch, NULL, &b);
	if (b.data == NULL || !utf8_valid(b.data, b.len) || strlen(b.data) != b.len)
		abort();
	for (size_t i = 0; i < b.len; i++)
		if ((unsigned char)b.data[i] < 0x20 && b.data[i] != '\n')
			abort();
	if (fuzz_count(b.data, "<text") != fuzz_count(b.data, "</text>") || fuzz_count(b.data, "<svg") != 1 ||
	    fuzz_count(b.data, "</svg>") != 1)
		abort();
	/* Every tag is one the chart writes: a name from the input can only ever be text. */
	for (const char *p = strchr(b.data, '<'); p != NULL; p = strchr(p + 1, '<')) {
		static const char *const tags[] = { "?xml ", "svg ", "/svg>", "title ", "/title>", "desc ", "/desc>",
			"rect ", "text ", "/text>", "line ", "path ", "circle ", "polygon " };
		bool ok = false;

		for (size_t i = 0; i < sizeof tags / sizeof tags[0]; i++)
			ok = ok || strncmp(p + 1, tags[i], strlen(tags[i])) == 0;
		if (!ok)
			abort();
	}
	buf_free(&b);
	reach_report_free(&r);
	free(in);
	return 0;
}
