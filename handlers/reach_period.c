/*
 * Dates as day numbers (the civil-from-days arithmetic of the proleptic
 * Gregorian calendar, eras of 400 years), periods and their covers.
 */
#include "handlers/reach_period.h"

#include <stdio.h>
#include <string.h>

long
reach_days(int y, int m, int d)
{
	long yy = y - (m <= 2);
	long era = (yy >= 0 ? yy : yy - 399) / 400;
	long yoe = yy - era * 400;
	long doy = (153L * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + doe - 719468;
}

void
reach_civil(long days, int *y, int *m, int *d)
{
	long z = days + 719468;
	long era = (z >= 0 ? z : z - 146096) / 146097;
	long doe = z - era * 146097;
	long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	long mp = (5 * doy + 2) / 153;

	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

static int
reach_digits(const char *s, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

int
reach_date_parse(const char *s, long *days)
{
	int y, m, d, yy, mm, dd;
	size_t n = strlen(s);

	if (n == 10 && s[4] == '-' && s[7] == '-') {
		y = reach_digits(s, 4);
		m = reach_digits(s + 5, 2);
		d = reach_digits(s + 8, 2);
	} else if (n == 8) {
		y = reach_digits(s, 4);
		m = reach_digits(s + 4, 2);
		d = reach_digits(s + 6, 2);
	} else {
		return -1;
	}
	if (y < 1970 || m < 1 || m > 12 || d < 1 || d > 31)
		return -1;
	*days = reach_days(y, m, d);
	reach_civil(*days, &yy, &mm, &dd);
	return yy == y && mm == m && dd == d ? 0 : -1;
}

void
reach_date_format(long days, char *out, size_t outlen)
{
	int y, m, d;

	reach_civil(days, &y, &m, &d);
	snprintf(out, outlen, "%04d-%02d-%02d", y, m, d);
}

/* The months of a period of type p (MONTH to YEAR) that holds month m: the first and how many. */
static void
reach_months(enum reach_period p, int m, int *first, int *n)
{
	*n = p == REACH_PERIOD_MONTH ? 1 : p == REACH_PERIOD_QUARTER ? 3 : p == REACH_PERIOD_SEMESTER ? 6 : 12;
	*first = (m - 1) / *n * *n + 1;
}

void
reach_period_bounds(enum reach_period p, long day, long *first, long *last)
{
	int y, m, d, fm, n;

	if (p == REACH_PERIOD_DAY || p == REACH_PERIOD_RANGE) {
		*first = *last = day;
		return;
	}
	reach_civil(day, &y, &m, &d);
	reach_months(p, m, &fm, &n);
	*first = reach_days(y, fm, 1);
	*last = (fm + n > 12 ? reach_days(y + 1, 1, 1) : reach_days(y, fm + n, 1)) - 1;
}

/* The label of the period of type p holding day; dhis2: the counters' (and DHIS2's) form, else ours. */
static void
reach_label(enum reach_period p, long day, int dhis2, char *out, size_t outlen)
{
	int y, m, d, fm, n;

	reach_civil(day, &y, &m, &d);
	switch (p) {
	case REACH_PERIOD_MONTH:
		snprintf(out, outlen, dhis2 ? "%04d%02d" : "%04d-%02d", y, m);
		break;
	case REACH_PERIOD_QUARTER:
	case REACH_PERIOD_SEMESTER:
		reach_months(p, m, &fm, &n);
		snprintf(out, outlen, dhis2 ? "%04d%c%d" : "%04d-%c%d", y, p == REACH_PERIOD_QUARTER ? 'Q' : 'S',
		    (fm - 1) / n + 1);
		break;
	case REACH_PERIOD_YEAR:
		snprintf(out, outlen, "%04d", y);
		break;
	default:
		snprintf(out, outlen, dhis2 ? "%04d%02d%02d" : "%04d-%02d-%02d", y, m, d);
		break;
	}
}

void
reach_period_label(enum reach_period p, long day, char *out, size_t outlen)
{
	reach_label(p, day, 0, out, outlen);
}

json_t *
reach_cover(long from, long to, long closed)
{
	static const enum reach_period order[] = { REACH_PERIOD_YEAR, REACH_PERIOD_SEMESTER, REACH_PERIOD_QUARTER,
		REACH_PERIOD_MONTH };
	json_t *out = json_array();
	char label[16];

	for (long d = from; d <= to;) {
		long first, last = d;
		enum reach_period p = REACH_PERIOD_DAY;

		for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
			reach_period_bounds(order[i], d, &first, &last);
			if (first == d && last <= to && last <= closed) {
				p = order[i];
				break;
			}
			last = d;
		}
		reach_label(p, d, 1, label, sizeof label);
		json_array_append_new(out, json_string(label));
		d = last + 1;
	}
	return out;
}
