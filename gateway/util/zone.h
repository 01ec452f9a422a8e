/*
 * Local time in the programme's zone (Africa/Casablanca by default), from
 * the system's zone data and never from a fixed offset: conversions both
 * ways, ISO 8601 with the offset, the check that the zone data knows the
 * latest change, and quiet hours. The zone is process-wide (TZ), set once
 * at start by zone_init().
 */
#ifndef AMUDDU_ZONE_H
#define AMUDDU_ZONE_H

#include <stdbool.h>
#include <stddef.h>

/* Makes name (an IANA zone such as "Africa/Casablanca") the local zone; -1 with why when unknown. */
int zone_init(const char *name, char *why, size_t whylen) __attribute__((warn_unused_result));
/* Now, in epoch milliseconds (the wall clock). */
long long zone_now_ms(void);
/* The zone zone_init() set. */
const char *zone_name(void);
/* The local offset from UTC at t (epoch seconds), in seconds east. */
long zone_offset(long long t);
/*
 * Whether the zone data knows Morocco's move to permanent UTC+0 of
 * 2026-09-20: Casablanca's offset on 2026-12-01 must be +00. Zone data
 * that predates it (Debian 12's tzdata 2025b) puts local time an hour
 * ahead. Checked for Africa/Casablanca only; false with why otherwise.
 */
bool zone_data_current(char *why, size_t whylen);
/* The local date of t (epoch seconds) as "YYYYMMDD" (the reach counters' day), into out (at least 9 bytes). */
void zone_day(long long t, char *out, size_t outlen);
/* t as "2026-12-03T10:00:00+00:00" in local time, into out (at least 26 bytes). */
void zone_format(long long t, char *out, size_t outlen);
/*
 * Reads an ISO 8601 time: "YYYY-MM-DD[T| ]HH:MM[:SS]" with an optional "Z"
 * or "+HH:MM" / "-HH:MM" (without one it is local time), or a date alone
 * (local midnight). -1 with why when it is not one.
 */
int zone_parse(const char *s, long long *t, char *why, size_t whylen) __attribute__((warn_unused_result));

/* Quiet hours: local minutes of the day [start, end), which may cross midnight; off when start == end. */
struct zone_quiet {
	bool on;
	int start_min, end_min;
};
/* Reads "21:00-08:00" or "off"; -1 with why otherwise. */
int zone_quiet_parse(const char *s, struct zone_quiet *q, char *why, size_t whylen) __attribute__((warn_unused_result));
/* 0 when t is outside quiet hours, else the first second after them (epoch seconds). */
long long zone_quiet_until(const struct zone_quiet *q, long long t);

/*
 * Days of the week as a mask, bit 0 Sunday to bit 6 Saturday (struct tm's
 * tm_wday). Reads "mon-fri", "sun-thu", "mon,wed,fri", "mon-wed,sat" or
 * "all"; -1 with why otherwise.
 */
int zone_days_parse(const char *s, unsigned *mask, char *why, size_t whylen) __attribute__((warn_unused_result));
/* The local day of the week of t, 0 (Sunday) to 6. */
int zone_weekday(long long t);
/*
 * Working hours: a window of the day (hours->start_min < end_min) on the
 * days of mask. Returns 0 when t is inside it, with *until the end of
 * today's window; else the start of the next window (epoch seconds), or -1
 * when there is none (no day in mask, or hours off).
 */
long long zone_next_open(const struct zone_quiet *hours, unsigned mask, long long t, long long *until);

#endif
