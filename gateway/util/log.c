/*
 * Logging to stderr with a level filter. Each line: time, level, (function
 * at debug level), then the caller's key=value text. fatal() appends errno.
 */
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

static enum log_level log_level = LOG_LEVEL_INFO;
static const char *log_names[] = { "debug", "info", "warn", "error" };

static void log_vwrite(enum log_level level, const char *func, const char *suffix, const char *fmt, va_list ap);

void
log_set_level(enum log_level level)
{
	log_level = level;
}

enum log_level
log_get_level(void)
{
	return log_level;
}

int
log_parse_level(const char *name, enum log_level *out)
{
	for (int i = 0; i < LOG_LEVEL_NONE; i++) {
		if (strcmp(name, log_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	if (strcmp(name, "none") == 0) {
		*out = LOG_LEVEL_NONE;
		return 0;
	}
	return -1;
}

static void
log_vwrite(enum log_level level, const char *func, const char *suffix, const char *fmt, va_list ap)
{
	char stamp[32], line[2048];
	struct timeval tv;
	struct tm tm;
	int n;

	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
	n = snprintf(line, sizeof line, "%s.%03ldZ %s ", stamp, (long)(tv.tv_usec / 1000),
	    level < LOG_LEVEL_NONE ? log_names[level] : "fatal");
	if (log_level == LOG_LEVEL_DEBUG && func != NULL && n > 0 && (size_t)n < sizeof line)
		n += snprintf(line + n, sizeof line - (size_t)n, "%s: ", func);
	if (n > 0 && (size_t)n < sizeof line)
		n += vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
	if (n < 0 || (size_t)n >= sizeof line - 64)
		n = (int)sizeof line - 64;
	if (suffix != NULL)
		n += snprintf(line + n, sizeof line - (size_t)n, " error=\"%s\"", suffix);
	line[n++] = '\n';
	fwrite(line, 1, (size_t)n, stderr);
}

void
log_msg(enum log_level level, const char *func, const char *fmt, ...)
{
	va_list ap;

	if (level < log_level)
		return;
	va_start(ap, fmt);
	log_vwrite(level, func, NULL, fmt, ap);
	va_end(ap);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(LOG_LEVEL_NONE, NULL, NULL, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatal(const char *fmt, ...)
{
	va_list ap;
	const char *err = strerror(errno);

	va_start(ap, fmt);
	log_vwrite(LOG_LEVEL_NONE, NULL, err, fmt, ap);
	va_end(ap);
	exit(1);
}
