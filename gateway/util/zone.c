/*
 * Local time through the C library's zone data (TZ and tzset), so that a
 * change of Morocco's clocks reaches the gateway with tzdata alone. glibc
 * gives Ramadan's +00 as tm_isdst=1, so nothing here reads tm_isdst: the
 * offset is always tm_gmtoff.
 */
#include "gateway/util/zone.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static char zone_current[64] = "UTC";

static int zone_digits(const char **p, int n, int *out);
static long long zone_mktime(struct tm *tm);

int
zone_init(const char *name, char *why, size_t whylen)
{
	char path[320];
	const char *dir = getenv("TZDIR");

	if (name == NULL || *name == '\0' || strlen(name) >= sizeof zone_current || strstr(name, "..") != NULL ||
	    name[0] == '/' || name[0] == ':') {
		snprintf(why, whylen, "'%s' is not a time zone name", name != NULL ? name : "");
		return -1;
	}
	/* glibc falls back to UTC in silence for a zone it cannot find: look first. */
	snprintf(path, sizeof path, "%s/%s", dir != NULL && *dir != '\0' ? dir : "/usr/share/zoneinfo", name);
	if (strcmp(name, "UTC") != 0 && access(path, R_OK) != 0) {
		snprintf(
		    why, whylen, "time zone '%s' is not in the system's zone data (%s): install tzdata", name, path);
		return -1;
	}
	snprintf(zone_current, sizeof zone_current, "%s", name);
	/* glibc reloads zone data only when TZ changes: through UTC, so a new TZDIR counts too. */
	setenv("TZ", "UTC", 1);
	tzset();
	setenv("TZ", zone_current, 1);
	tzset();
	return 0;
}

const char *
zone_name(void)
{
	return zone_current;
}

long
zone_offset(long long t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (localtime_r(&tt, &tm) == NULL)
		return 0;
	return tm.tm_gmtoff;
}

bool
zone_data_current(char *why, size_t whylen)
{
	/* 2026-12-01T12:00:00Z: after the move to permanent UTC+0 of 2026-09-20, outside any Ramadan. */
	const long long probe = 1796126400LL;
	long off;

	if (strcmp(zone_current, "Africa/Casablanca") != 0)
		return true;
	off = zone_offset(probe);
	if (off == 0)
		return true;
	snprintf(why, whylen,
	    "the system's zone data puts Africa/Casablanca at UTC%+ld:%02ld on 2026-12-01, but Morocco has been on "
	    "UTC+00 since 2026-09-20: install tzdata 2026c or later (scripts/install-deps), or set [time] "
	    "allow_stale_tzdata = yes",
	    off / 3600, labs(off % 3600) / 60);
	return false;
}

void
zone_day(long long t, char *out, size_t outlen)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (localtime_r(&tt, &tm) == NULL) {
		snprintf(out, outlen, "19700101");
		return;
	}
	snprintf(out, outlen, "%04d%02d%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

void
zone_format(long long t, char *out, size_t outlen)
{
	time_t tt = (time_t)t;
	struct tm tm;
	long off;

	if (localtime_r(&tt, &tm) == NULL) {
		snprintf(out, outlen, "?");
		return;
	}
	off = tm.tm_gmtoff;
	snprintf(out, outlen, "%04d-%02d-%02dT%02d:%02d:%02d%c%02ld:%02ld", tm.tm_year + 1900, tm.tm_mon + 1,
	    tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, off < 0 ? '-' : '+', labs(off) / 3600,
	    (labs(off) % 3600) / 60);
}

/* Exactly n decimal digits at *p. */
static int
zone_digits(const char **p, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if ((*p)[i] < '0' || (*p)[i] > '9')
			return -1;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return 0;
}

/* tm as local time; mktime() normalises a time that a change of clocks skipped. */
static long long
zone_mktime(struct tm *tm)
{
	tm->tm_isdst = -1;
	return (long long)mktime(tm);
}

int
zone_parse(const char *s, long long *t, char *why, size_t whylen)
{
	const char *p = s;
	struct tm tm;
	int y, mo, d, h = 0, mi = 0, sec = 0, oh, om;
	bool has_offset = false;
	long off = 0;

	memset(&tm, 0, sizeof tm);
	if (zone_digits(&p, 4, &y) != 0 || *p++ != '-' || zone_digits(&p, 2, &mo) != 0 || *p++ != '-' ||
	    zone_digits(&p, 2, &d) != 0)
		goto bad;
	if (*p == 'T' || *p == ' ') {
		p++;
		if (zone_digits(&p, 2, &h) != 0 || *p++ != ':' || zone_digits(&p, 2, &mi) != 0)
			goto bad;
		if (*p == ':') {
			p++;
			if (zone_digits(&p, 2, &sec) != 0)
				goto bad;
			if (*p == '.') /* fractions of a second are dropped */
				while (*++p >= '0' && *p <= '9')
					;
		}
		if (*p == 'Z') {
			has_offset = true;
			p++;
		} else if (*p == '+' || *p == '-') {
			int sign = *p++ == '-' ? -1 : 1;

			if (zone_digits(&p, 2, &oh) != 0)
				goto bad;
			if (*p == ':')
				p++;
			if (zone_digits(&p, 2, &om) != 0 || oh > 14 || om > 59)
				goto bad;
			has_offset = true;
			off = sign * (oh * 3600L + om * 60L);
		}
	}
	if (*p != '\0')
		goto bad;
	if (y < 1970 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
		goto bad;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	if (has_offset) {
		*t = (long long)timegm(&tm) - off;
	} else {
		*t = zone_mktime(&tm);
		if (*t == -1)
			goto bad;
	}
	/* timegm() and mktime() roll 2026-02-30 over to March: a date that does not exist is refused. */
	if (tm.tm_mday != d)
		goto bad;
	return 0;
bad:
	snprintf(why, whylen,
	    "'%.64s' is not a time: give an ISO 8601 time such as 2026-12-03T09:30 (local time, "
	    "%s) or 2026-12-03T09:30:00Z",
	    s, zone_current);
	return -1;
}

int
zone_quiet_parse(const char *s, struct zone_quiet *q, char *why, size_t whylen)
{
	const char *p = s;
	int h1, m1, h2, m2;

	memset(q, 0, sizeof *q);
	if (strcmp(s, "off") == 0 || strcmp(s, "no") == 0)
		return 0;
	if (zone_digits(&p, 2, &h1) != 0 || *p++ != ':' || zone_digits(&p, 2, &m1) != 0 || *p++ != '-' ||
	    zone_digits(&p, 2, &h2) != 0 || *p++ != ':' || zone_digits(&p, 2, &m2) != 0 || *p != '\0' || h1 > 24 ||
	    h2 > 24 || m1 > 59 || m2 > 59 || (h1 == 24 && m1 != 0) || (h2 == 24 && m2 != 0)) {
		snprintf(
		    why, whylen, "'%.64s' is not quiet hours: give HH:MM-HH:MM in local time (21:00-08:00) or off", s);
		return -1;
	}
	q->start_min = (h1 * 60 + m1) % 1440;
	q->end_min = (h2 * 60 + m2) % 1440;
	q->on = q->start_min != q->end_min;
	return 0;
}

static const char *const zone_day_names[7] = { "sun", "mon", "tue", "wed", "thu", "fri", "sat" };

static int
zone_day_of(const char *s, size_t n)
{
	for (int i = 0; i < 7; i++)
		if (n == 3 && strncasecmp(s, zone_day_names[i], 3) == 0)
			return i;
	return -1;
}

int
zone_days_parse(const char *s, unsigned *mask, char *why, size_t whylen)
{
	const char *p = s;

	*mask = 0;
	if (strcasecmp(s, "all") == 0) {
		*mask = 0x7f;
		return 0;
	}
	while (*p != '\0') {
		size_t n = strcspn(p, ",");
		const char *dash = memchr(p, '-', n);
		int a = zone_day_of(p, dash != NULL ? (size_t)(dash - p) : n);
		int b = dash != NULL ? zone_day_of(dash + 1, n - (size_t)(dash - p) - 1) : a;

		if (a < 0 || b < 0) {
			snprintf(why, whylen, "'%s' is not days of the week such as mon-fri or mon,wed,fri", s);
			return -1;
		}
		/* A range may wrap the week's end: sun-thu, fri-mon. */
		for (int d = a;; d = (d + 1) % 7) {
			*mask |= 1u << d;
			if (d == b)
				break;
		}
		p += n;
		if (*p == ',')
			p++;
	}
	if (*mask == 0) {
		snprintf(why, whylen, "no day given");
		return -1;
	}
	return 0;
}

int
zone_weekday(long long t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	return localtime_r(&tt, &tm) != NULL ? tm.tm_wday : 0;
}

long long
zone_next_open(const struct zone_quiet *hours, unsigned mask, long long t, long long *until)
{
	time_t tt = (time_t)t;
	struct tm tm;
	int m;

	*until = 0;
	if (!hours->on || hours->start_min >= hours->end_min || (mask & 0x7f) == 0 || localtime_r(&tt, &tm) == NULL)
		return -1;
	m = tm.tm_hour * 60 + tm.tm_min;
	tm.tm_sec = 0;
	if ((mask & (1u << tm.tm_wday)) != 0 && m >= hours->start_min && m < hours->end_min) {
		tm.tm_hour = hours->end_min / 60;
		tm.tm_min = hours->end_min % 60;
		*until = zone_mktime(&tm);
		return 0;
	}
	/* Today later, or the first working day after today. */
	for (int d = (mask & (1u << tm.tm_wday)) != 0 && m < hours->start_min ? 0 : 1; d <= 7; d++) {
		if ((mask & (1u << ((tm.tm_wday + d) % 7))) == 0)
			continue;
		tm.tm_mday += d;
		tm.tm_hour = hours->start_min / 60;
		tm.tm_min = hours->start_min % 60;
		return zone_mktime(&tm);
	}
	return -1;
}

long long
zone_quiet_until(const struct zone_quiet *q, long long t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	int m;
	bool quiet, tomorrow = false;
	long long end;

	if (!q->on || localtime_r(&tt, &tm) == NULL)
		return 0;
	m = tm.tm_hour * 60 + tm.tm_min;
	if (q->start_min < q->end_min) {
		quiet = m >= q->start_min && m < q->end_min;
	} else {
		quiet = m >= q->start_min || m < q->end_min;
		tomorrow = m >= q->start_min;
	}
	if (!quiet)
		return 0;
	if (tomorrow)
		tm.tm_mday++;
	tm.tm_hour = q->end_min / 60;
	tm.tm_min = q->end_min % 60;
	tm.tm_sec = 0;
	end = zone_mktime(&tm);
	/* Never earlier than now, whatever a change of clocks did to the wall time. */
	return end > t ? end : t + 60;
}

long long
zone_now_ms(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (long long)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}
