/*
 * A reach question as the API, the funnel and the gauges ask it: parsed
 * from the query's parameters, turned into the blocks the counters keep,
 * run by queues/reach.c's script, and its reply made a report
 * (handlers/reach_report.h).
 */
#ifndef AMUDDU_API_REACH_H
#define AMUDDU_API_REACH_H

#include <jansson.h>
#include <stdbool.h>

#include "handlers/reach_report.h"
#include "queues/store.h"

/* The query parameters, in this order (GET /v1/reach, amuddu reach). */
enum reach_q {
	REACH_Q_FROM,
	REACH_Q_TO,
	REACH_Q_PERIOD,
	REACH_Q_BY,
	REACH_Q_CAMPAIGN, /* the filters follow in this order: campaign, kind, city, locale, channel, sex */
	REACH_Q_KIND,
	REACH_Q_CITY,
	REACH_Q_LOCALE,
	REACH_Q_CHANNEL,
	REACH_Q_SEX,
	REACH_Q_FORMAT,
	REACH_Q_SEP,
	REACH_Q_UNMAPPED,
	REACH_Q_REFERRAL,   /* referred counts this referral alone ("anapec" or "referred:anapec") */
	REACH_Q_INDICATORS, /* format=svg: the indicators drawn (handlers/reach_svg.h) */
	REACH_Q_LANG,       /* format=svg: the labels' language */
	REACH_Q_COUNT
};

struct reach_ask {
	long from, to;            /* local dates as day numbers, inclusive */
	enum reach_period period; /* of the period dimension; RANGE when none */
	enum reach_dim by[REACH_DIM_COUNT];
	size_t nby;
	json_t *filters;    /* {"campaign": [...], "sex": ["f"], …} as the script takes them */
	char format[16];    /* json, csv, table, dhis2-json, dhis2-csv, svg */
	char sep;           /* the CSV's separator */
	bool skip_unmapped; /* DHIS2: leave out (and count) what has no place */
	char referral[128]; /* "anapec": referred counts referred:anapec alone; "" all */
};

/* Today's local date as a day number. */
long reach_today(void);
/*
 * Reads q (REACH_Q_COUNT values, NULL when absent): -1 with the field and
 * why otherwise. Without from and to, the period under way (this month
 * when no period is asked).
 */
int reach_ask_parse(struct reach_ask *a, const char *const *q, long today, char *field, size_t fieldlen, char *why,
    size_t whylen) __attribute__((warn_unused_result));
void reach_ask_free(struct reach_ask *a);
/* The script's question: the periods' blocks, the breakdown, the filters. */
json_t *reach_question(const struct reach_ask *a, long today);
/* Runs the question on st; cb gets the script's reply. */
void reach_run(struct store *st, const struct reach_ask *a, long today, store_cb *cb, void *arg);
/* The report of a reply, sorted and suppressed. */
void reach_report_from(
    const struct reach_ask *a, const json_t *reply, int suppress_below, bool unconfirmed, struct reach_report *r);

#endif
