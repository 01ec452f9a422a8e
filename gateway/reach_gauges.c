/*
 * Once a minute: the rollups of periods that ended, a period per script
 * call until none is left (queues/reach.c, reach_rollup), then this
 * year's indicators by kind (gateway/api_reach.h's question, the same
 * script as GET /v1/reach), kept as the text /metrics appends.
 */
#include "gateway/reach_gauges.h"

#include <stdio.h>
#include <string.h>

#include "gateway/api_reach.h"
#include "queues/reach.h"
#include "gateway/util/log.h"
#include "gateway/util/xmalloc.h"
#include "handlers/reach_period.h"

#define REACH_GAUGES_INTERVAL_S 60

struct reach_gauges {
	struct store *st;
	struct event *ev;
	struct buf text;
	bool asking;
};

static void
reach_gauges_answered(void *arg, json_t *reply, const char *err)
{
	struct reach_gauges *g = arg;
	json_t *row;
	size_t i;

	g->asking = false;
	if (err != NULL)
		return;
	g->text.len = 0;
	buf_puts(&g->text,
	    "# HELP amuddu_reach_people People counted this year (local time) by campaign kind and "
	    "indicator, each once (docs/indicators.md).\n# TYPE amuddu_reach_people gauge\n");
	json_array_foreach(reply, i, row)
	{
		const char *kind = json_string_value(json_array_get(row, 2));

		if (i + 1 == json_array_size(reply))
			break; /* the totals */
		for (int m = 0; m < REACH_METRIC_COUNT; m++)
			buf_printf(&g->text, "amuddu_reach_people{kind=\"%s\",indicator=\"%s\"} %lld\n",
			    kind != NULL && *kind != '\0' ? kind : "none", reach_metric_name((enum reach_metric)m),
			    (long long)json_integer_value(json_array_get(row, 7 + (size_t)m)));
	}
}

static void
reach_gauges_ask(struct reach_gauges *g)
{
	struct reach_ask a;
	long today = reach_today(), first, last;

	memset(&a, 0, sizeof a);
	reach_period_bounds(REACH_PERIOD_YEAR, today, &first, &last);
	a.from = first;
	a.to = today;
	a.period = REACH_PERIOD_RANGE;
	a.by[a.nby++] = REACH_DIM_KIND;
	a.filters = json_object();
	reach_run(g->st, &a, today, reach_gauges_answered, g);
	json_decref(a.filters);
}

static void reach_gauges_rollup(struct reach_gauges *g);

/* A rollup made: the next, until there is none; then the gauges. */
static void
reach_gauges_rolled(void *arg, json_t *reply, const char *err)
{
	struct reach_gauges *g = arg;
	const char *made = json_string_value(reply);

	if (err == NULL && made != NULL && *made != '\0') {
		log_info("reach: rollup %s made", made);
		reach_gauges_rollup(g);
		return;
	}
	if (err != NULL)
		log_warn("reach: rollups: %s", err);
	reach_gauges_ask(g);
}

static void
reach_gauges_rollup(struct reach_gauges *g)
{
	struct cmdargs a;
	char closed[16];
	int y, m, d;

	/* Periods that ended two days ago or before: another gateway's clock may be behind. */
	reach_civil(reach_today() - 2, &y, &m, &d);
	snprintf(closed, sizeof closed, "%04d%02d%02d", y, m, d);
	memset(&a, 0, sizeof a);
	cmdargs_dup(&a, store_prefix(g->st), strlen(store_prefix(g->st)));
	cmdargs_dup(&a, closed, strlen(closed));
	store_run(g->st, &reach_rollup, &a, reach_gauges_rolled, g);
}

static void
reach_gauges_tick(evutil_socket_t fd, short what, void *arg)
{
	struct reach_gauges *g = arg;
	struct timeval tv = { REACH_GAUGES_INTERVAL_S, 0 };

	(void)fd;
	(void)what;
	evtimer_add(g->ev, &tv);
	if (g->asking || !store_up(g->st))
		return;
	g->asking = true;
	reach_gauges_rollup(g);
}

struct reach_gauges *
reach_gauges_new(struct event_base *base, struct store *st)
{
	struct reach_gauges *g = xcalloc(1, sizeof *g);
	struct timeval first = { 1, 0 };

	g->st = st;
	buf_init(&g->text);
	g->ev = evtimer_new(base, reach_gauges_tick, g);
	evtimer_add(g->ev, &first);
	return g;
}

void
reach_gauges_free(struct reach_gauges *g)
{
	if (g == NULL)
		return;
	event_free(g->ev);
	buf_free(&g->text);
	free(g);
}

void
reach_gauges_render(const struct reach_gauges *g, struct buf *out)
{
	if (g != NULL && g->text.len > 0)
		buf_append(out, g->text.data, g->text.len);
}
