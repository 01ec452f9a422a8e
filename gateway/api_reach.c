/*
 * GET /v1/reach: the programme's indicators, exact and unique per person,
 * for any local period, broken down and filtered by campaign, kind, city,
 * locale, channel, sex and period, as JSON, CSV for Excel, a table,
 * DHIS2 dataValueSets (JSON or CSV), or an SVG chart. The question becomes
 * the list of blocks (days, ended periods) the counters keep, one script
 * combines them (queues/reach.c), and handlers/reach_report.c (the chart:
 * handlers/reach_svg.c) writes the answer.
 * docs/indicators.md gives the definitions.
 */
#include <event2/buffer.h>
#include <event2/keyvalq_struct.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/api_int.h"
#include "gateway/api_reach.h"
#include "gateway/util/xmalloc.h"
#include "handlers/reach_period.h"
#include "handlers/reach_svg.h"
#include "queues/reach.h"

/* A question covers at most this many days (ten years). */
#define REACH_MAX_DAYS 3660

static const char *const reach_sex_names[4] = { "female", "male", "other", "unknown" };
static const char *const reach_sex_codes[4] = { "f", "m", "x", "~" };

struct reach_call {
	struct api_call *c;
	struct reach_ask ask;
	struct reach_svg_chart chart; /* format=svg */
};

static void reach_answered(void *arg, json_t *reply, const char *err);

/* Today's local date as a day number. */
long
reach_today(void)
{
	char day[16];
	long d = 0;

	zone_day(zone_now_ms() / 1000, day, sizeof day);
	if (reach_date_parse(day, &d) != 0)
		d = 0;
	return d;
}

/* A comma list of values into f[name]; checked against the dimension's vocabulary. */
static int
reach_filter(json_t *f, const char *name, const char *list, char *why, size_t whylen)
{
	json_t *a = json_array();
	char *copy = xstrdup(list), *save = NULL;

	for (char *v = strtok_r(copy, ",", &save); v != NULL; v = strtok_r(NULL, ",", &save)) {
		const char *put = v;

		if (strcmp(name, "sex") == 0) {
			put = NULL;
			for (int i = 0; i < 4; i++)
				if (strcmp(v, reach_sex_names[i]) == 0)
					put = reach_sex_codes[i];
			if (put == NULL) {
				snprintf(why, whylen, "sex: '%.40s' is not female, male, other or unknown", v);
				goto fail;
			}
		} else if (strcmp(name, "kind") == 0 && kind_from_name(v) < 0) {
			snprintf(why, whylen, "kind: '%.40s' is not a kind", v);
			goto fail;
		} else if (strcmp(name, "channel") == 0 && strcmp(v, "sms") != 0 && strcmp(v, "whatsapp") != 0) {
			snprintf(why, whylen, "channel: '%.40s' is not sms or whatsapp", v);
			goto fail;
		} else if ((strcmp(name, "city") == 0 || strcmp(name, "locale") == 0) && strcmp(v, "unknown") == 0) {
			put = "~";
		}
		json_array_append_new(a, json_string(put));
	}
	free(copy);
	json_object_set_new(f, name, a);
	return 0;
fail:
	free(copy);
	json_decref(a);
	return -1;
}

int
reach_ask_parse(
    struct reach_ask *a, const char *const *q, long today, char *field, size_t fieldlen, char *why, size_t whylen)
{
	static const char *const filters[] = { "campaign", "kind", "city", "locale", "channel", "sex" };
	long first, last;
	bool seen[REACH_DIM_COUNT] = { false };
	int v;

	memset(a, 0, sizeof *a);
	a->period = REACH_PERIOD_RANGE;
	a->filters = json_object();
	snprintf(a->format, sizeof a->format, "json");
	a->sep = ',';
	if (q[REACH_Q_PERIOD] != NULL) {
		if ((v = reach_period_parse(q[REACH_Q_PERIOD])) < 0) {
			snprintf(field, fieldlen, "period");
			snprintf(why, whylen, "period is day, month, quarter, semester, year or range");
			return -1;
		}
		a->period = (enum reach_period)v;
	}
	if (q[REACH_Q_FROM] == NULL && q[REACH_Q_TO] == NULL) {
		/* The period under way (this month when no period is asked). */
		reach_period_bounds(
		    a->period == REACH_PERIOD_RANGE ? REACH_PERIOD_MONTH : a->period, today, &first, &last);
		a->from = first;
		a->to = last;
	} else if (q[REACH_Q_FROM] == NULL || reach_date_parse(q[REACH_Q_FROM], &a->from) != 0) {
		snprintf(field, fieldlen, "from");
		snprintf(why, whylen, "from is a local date, YYYY-MM-DD (with to, or alone for up to today)");
		return -1;
	} else if (q[REACH_Q_TO] == NULL) {
		a->to = today;
	} else if (reach_date_parse(q[REACH_Q_TO], &a->to) != 0) {
		snprintf(field, fieldlen, "to");
		snprintf(why, whylen, "to is a local date, YYYY-MM-DD");
		return -1;
	}
	if (a->to < a->from || a->to - a->from >= REACH_MAX_DAYS) {
		snprintf(field, fieldlen, "to");
		snprintf(why, whylen, "to must be on or after from, and at most ten years later");
		return -1;
	}
	if (q[REACH_Q_BY] != NULL && q[REACH_Q_BY][0] != '\0') {
		char *copy = xstrdup(q[REACH_Q_BY]), *save = NULL;

		for (char *d = strtok_r(copy, ",", &save); d != NULL; d = strtok_r(NULL, ",", &save)) {
			if ((v = reach_dim_parse(d)) < 0 || seen[v]) {
				snprintf(field, fieldlen, "by");
				snprintf(why, whylen,
				    "by: '%.40s' is not campaign, kind, city, locale, channel, sex or period%s", d,
				    v >= 0 ? " (given twice)" : "");
				free(copy);
				return -1;
			}
			seen[v] = true;
			a->by[a->nby++] = (enum reach_dim)v;
		}
		free(copy);
	}
	if (seen[REACH_DIM_PERIOD] && a->period == REACH_PERIOD_RANGE && q[REACH_Q_PERIOD] == NULL)
		a->period = REACH_PERIOD_MONTH;
	for (size_t i = 0; i < sizeof filters / sizeof filters[0]; i++) {
		if (q[REACH_Q_CAMPAIGN + i] == NULL)
			continue;
		if (reach_filter(a->filters, filters[i], q[REACH_Q_CAMPAIGN + i], why, whylen) != 0) {
			snprintf(field, fieldlen, "%s", filters[i]);
			return -1;
		}
	}
	if (q[REACH_Q_FORMAT] != NULL) {
		static const char *const formats[] = { "json", "csv", "table", "dhis2-json", "dhis2-csv", "svg" };
		bool ok = false;

		for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++)
			ok = ok || strcmp(q[REACH_Q_FORMAT], formats[i]) == 0;
		if (!ok) {
			snprintf(field, fieldlen, "format");
			snprintf(why, whylen, "format is json, csv, table, dhis2-json, dhis2-csv or svg");
			return -1;
		}
		snprintf(a->format, sizeof a->format, "%s", q[REACH_Q_FORMAT]);
	}
	if (q[REACH_Q_SEP] != NULL) {
		if (strcmp(q[REACH_Q_SEP], ",") != 0 && strcmp(q[REACH_Q_SEP], ";") != 0) {
			snprintf(field, fieldlen, "sep");
			snprintf(why, whylen, "sep is , or ; (French Excel)");
			return -1;
		}
		a->sep = q[REACH_Q_SEP][0];
	}
	a->skip_unmapped = q[REACH_Q_UNMAPPED] != NULL && strcmp(q[REACH_Q_UNMAPPED], "skip") == 0;
	if (q[REACH_Q_REFERRAL] != NULL) {
		const char *r = q[REACH_Q_REFERRAL];

		if (strncmp(r, "referred:", 9) == 0)
			r += 9;
		if (*r == '\0' || strlen(r) >= sizeof a->referral || strchr(r, ',') != NULL) {
			snprintf(field, fieldlen, "referral");
			snprintf(why, whylen, "referral is one referral tag: anapec, or referred:anapec");
			return -1;
		}
		snprintf(a->referral, sizeof a->referral, "%s", r);
	}
	return 0;
}

json_t *
reach_question(const struct reach_ask *a, long today)
{
	json_t *q = json_object(), *buckets = json_array(), *ev = json_array(), *pd = json_array();
	long closed = today - 2; /* a period is kept as one block two days after it ends (clocks may differ) */
	bool by_period = false;
	char label[40], f[16], t[16];

	for (size_t i = 0; i < a->nby; i++) {
		switch (a->by[i]) {
		case REACH_DIM_CAMPAIGN:
		case REACH_DIM_KIND:
		case REACH_DIM_CHANNEL:
			json_array_append_new(ev, json_string(reach_dim_name(a->by[i])));
			break;
		case REACH_DIM_SEX:
		case REACH_DIM_CITY:
		case REACH_DIM_LOCALE:
			json_array_append_new(pd, json_string(reach_dim_name(a->by[i])));
			break;
		default:
			by_period = true;
			break;
		}
	}
	if (by_period && a->period != REACH_PERIOD_RANGE) {
		for (long d = a->from; d <= a->to;) {
			long first, last;

			reach_period_bounds(a->period, d, &first, &last);
			reach_period_label(a->period, d, label, sizeof label);
			json_array_append_new(buckets,
			    json_pack("{s:s, s:o}", "label", label, "blocks",
				reach_cover(d, last < a->to ? last : a->to, closed)));
			d = last + 1;
		}
	} else {
		label[0] = '\0';
		if (by_period) {
			reach_date_format(a->from, f, sizeof f);
			reach_date_format(a->to, t, sizeof t);
			snprintf(label, sizeof label, "%s/%s", f, t);
		}
		json_array_append_new(
		    buckets, json_pack("{s:s, s:o}", "label", label, "blocks", reach_cover(a->from, a->to, closed)));
	}
	json_object_set_new(q, "buckets", buckets);
	json_object_set_new(q, "total", reach_cover(a->from, a->to, closed));
	json_object_set_new(q, "ev", ev);
	json_object_set_new(q, "pd", pd);
	json_object_set(q, "f", a->filters);
	if (a->referral[0] != '\0')
		json_object_set_new(q, "referral", json_string(a->referral));
	return q;
}

static char *
reach_cell(const json_t *row, size_t i)
{
	const char *s = json_string_value(json_array_get(row, i));

	return xstrdup(s != NULL ? s : "");
}

/* One row of the script's reply into r's row (or its totals). */
static void
reach_fill(const struct reach_ask *a, struct reach_row *row, const json_t *src, bool totals)
{
	static const size_t col[REACH_DIM_COUNT] = { [REACH_DIM_CAMPAIGN] = 1,
		[REACH_DIM_KIND] = 2,
		[REACH_DIM_CITY] = 5,
		[REACH_DIM_LOCALE] = 6,
		[REACH_DIM_CHANNEL] = 3,
		[REACH_DIM_SEX] = 4,
		[REACH_DIM_PERIOD] = 0 };

	for (int m = 0; m < REACH_METRIC_COUNT; m++)
		row->v[m] = json_integer_value(json_array_get(src, 7 + (size_t)m));
	if (totals)
		return;
	for (size_t i = 0; i < a->nby; i++) {
		enum reach_dim d = a->by[i];

		row->dim[d] = reach_cell(src, col[d]);
		if (d == REACH_DIM_SEX) {
			const char *s = row->dim[d];
			const char *name = strcmp(s, "f") == 0 ? "female"
			    : strcmp(s, "m") == 0              ? "male"
			    : strcmp(s, "x") == 0              ? "other"
							       : "unknown";

			free(row->dim[d]);
			row->dim[d] = xstrdup(name);
		}
		if (d == REACH_DIM_CAMPAIGN) {
			const char *n = json_string_value(json_array_get(src, 15));

			if (n != NULL && *n != '\0')
				row->campaign_name = xstrdup(n);
		}
	}
}

void
reach_report_from(
    const struct reach_ask *a, const json_t *reply, int suppress_below, bool unconfirmed, struct reach_report *r)
{
	size_t n = json_array_size(reply);

	reach_report_init(r);
	memcpy(r->by, a->by, sizeof r->by);
	r->nby = a->nby;
	r->period = a->period;
	reach_date_format(a->from, r->from, sizeof r->from);
	reach_date_format(a->to, r->to, sizeof r->to);
	r->suppress_below = suppress_below;
	r->unconfirmed_routes = unconfirmed;
	for (size_t i = 0; i + 1 < n; i++)
		reach_fill(a, reach_report_add(r), json_array_get(reply, i), false);
	if (n > 0)
		reach_fill(a, &r->totals, json_array_get(reply, n - 1), true);
	reach_report_sort(r);
	reach_suppress(r);
}

void
reach_ask_free(struct reach_ask *a)
{
	json_decref(a->filters);
	a->filters = NULL;
}

void
reach_run(struct store *st, const struct reach_ask *a, long today, store_cb *cb, void *arg)
{
	struct cmdargs args;
	json_t *q = reach_question(a, today);
	char *text = json_dumps(q, JSON_COMPACT);

	memset(&args, 0, sizeof args);
	cmdargs_dup(&args, store_prefix(st), strlen(store_prefix(st)));
	cmdargs_dup(&args, text, strlen(text));
	free(text);
	json_decref(q);
	store_run(st, &reach_query, &args, cb, arg);
}

void
api_reach(struct api_call *c)
{
	static const char *const names[REACH_Q_COUNT] = { "from", "to", "period", "by", "campaign", "kind", "city",
		"locale", "channel", "sex", "format", "sep", "unmapped", "referral", "indicators", "lang" };
	char *q[REACH_Q_COUNT];
	char field[32] = "", why[200] = "";
	struct reach_call *rc = xcalloc(1, sizeof *rc);
	int rv;

	for (int i = 0; i < REACH_Q_COUNT; i++)
		q[i] = api_query(c, names[i]);
	rv = reach_ask_parse(&rc->ask, (const char *const *)q, reach_today(), field, sizeof field, why, sizeof why);
	/* A question the counters could answer, but not as a chart. */
	if (rv == 0 && strcmp(rc->ask.format, "svg") == 0)
		rv = reach_svg_parse(&rc->chart, rc->ask.by, rc->ask.nby, q[REACH_Q_INDICATORS], q[REACH_Q_LANG], field,
		    sizeof field, why, sizeof why);
	for (int i = 0; i < REACH_Q_COUNT; i++)
		free(q[i]);
	if (rv != 0) {
		reach_ask_free(&rc->ask);
		free(rc);
		api_error(c, 422, "invalid", field, "%s", why);
		return;
	}
	if (api_store_down(c)) {
		reach_ask_free(&rc->ask);
		free(rc);
		return;
	}
	rc->c = c;
	reach_run(c->api->store, &rc->ask, reach_today(), reach_answered, rc);
}

/* Sends text with a content type (and a file name for downloads). */
static void
reach_send_text(struct api_call *c, const struct buf *b, const char *type, const char *file)
{
	struct evbuffer *out = evbuffer_new();
	struct evkeyvalq *h = evhttp_request_get_output_headers(c->req);
	char disp[96];

	evbuffer_add(out, b->data != NULL ? b->data : "", b->len);
	evhttp_add_header(h, "Content-Type", type);
	if (file != NULL) {
		snprintf(disp, sizeof disp, "attachment; filename=\"%s\"", file);
		evhttp_add_header(h, "Content-Disposition", disp);
	}
	evhttp_add_header(h, "Cache-Control", "no-store");
	api_send(c, 200, out);
	evbuffer_free(out);
}

static void
reach_send_dhis2(struct api_call *c, const struct reach_ask *a, const struct reach_report *r)
{
	struct reach_dhis2_map m;
	struct reach_dhis2 res;
	struct buf b;
	char why[200], n[24];
	bool csv = strcmp(a->format, "dhis2-csv") == 0;
	size_t blocking = 0;

	config_reach_dhis2(c->api->reach, &m);
	buf_init(&b);
	memset(&res, 0, sizeof res);
	if (reach_dhis2(r, &m, csv, &b, &res, why, sizeof why) != 0) {
		buf_free(&b);
		reach_dhis2_free(&res);
		api_error(c, 422, "invalid", "format", "%s", why);
		return;
	}
	for (size_t i = 0; i < res.nunmapped; i++)
		blocking += strncmp(res.unmapped[i].reason, "suppressed", 10) != 0;
	if (blocking > 0 && !a->skip_unmapped) {
		json_t *cells = json_array(), *err;

		for (size_t i = 0; i < res.nunmapped; i++)
			json_array_append_new(cells,
			    json_pack("{s:s, s:s, s:I}", "cell", res.unmapped[i].cell, "reason", res.unmapped[i].reason,
				"value", (json_int_t)res.unmapped[i].value));
		err = json_pack("{s:{s:s, s:s, s:n, s:o}}", "error", "code", "unmapped_cells", "message",
		    "some counts have no place in DHIS2: complete [dhis2] in the configuration, narrow the question, "
		    "or ask again with unmapped=skip to leave them out",
		    "field", "cells", cells);
		buf_free(&b);
		reach_dhis2_free(&res);
		api_reply(c, 422, err);
		return;
	}
	snprintf(n, sizeof n, "%zu", res.nunmapped);
	evhttp_add_header(evhttp_request_get_output_headers(c->req), "Amuddu-Unmapped-Cells", n);
	reach_send_text(c, &b, csv ? "application/csv; charset=utf-8" : "application/json", NULL);
	buf_free(&b);
	reach_dhis2_free(&res);
}

static void
reach_answered(void *arg, json_t *reply, const char *err)
{
	struct reach_call *rc = arg;
	struct api_call *c = rc->c;
	struct reach_report r;
	struct buf b;
	char file[64];

	if (err != NULL && strstr(err, "too_large") != NULL) {
		api_error(c, 422, "too_large", "by",
		    "the question makes more than 3000 rows: ask for fewer breakdowns or filters, a longer period "
		    "type, "
		    "or a shorter range");
		goto out;
	}
	if (err != NULL) {
		if (!api_store_down(c))
			api_error(c, 503, "unavailable", NULL, "the counters could not be read: try again");
		goto out;
	}
	reach_report_from(&rc->ask, reply, c->api->reach->suppress_below, c->api->noreceipt[0] != '\0', &r);
	buf_init(&b);
	snprintf(file, sizeof file, "reach-%s-%s.csv", r.from, r.to);
	if (strcmp(rc->ask.format, "csv") == 0) {
		reach_csv(&r, rc->ask.sep, &b);
		reach_send_text(c, &b, "text/csv; charset=utf-8", file);
	} else if (strcmp(rc->ask.format, "table") == 0) {
		reach_table(&r, &b);
		reach_send_text(c, &b, "text/plain; charset=utf-8", NULL);
	} else if (strncmp(rc->ask.format, "dhis2", 5) == 0) {
		reach_send_dhis2(c, &rc->ask, &r);
	} else if (strcmp(rc->ask.format, "svg") == 0) {
		/* Shown as an <img>: never sniffed as something else, and nothing in it may run or load. */
		reach_svg(&r, &rc->chart, c->api->catalog, &b);
		evhttp_add_header(evhttp_request_get_output_headers(c->req), "X-Content-Type-Options", "nosniff");
		evhttp_add_header(
		    evhttp_request_get_output_headers(c->req), "Content-Security-Policy", "default-src 'none'");
		reach_send_text(c, &b, "image/svg+xml; charset=utf-8", NULL);
	} else {
		json_t *o = reach_json(&r);

		if (rc->ask.referral[0] != '\0')
			json_object_set_new(o, "referral", json_sprintf("referred:%s", rc->ask.referral));
		api_reply(c, 200, o);
	}
	buf_free(&b);
	reach_report_free(&r);
out:
	reach_ask_free(&rc->ask);
	free(rc);
}
