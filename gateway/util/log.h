/*
 * Level-filtered logging: one line per event, key=value fields, to stderr.
 * Callers never pass phone numbers, bodies or secrets; use phone_mask().
 */
#ifndef AMUDDU_LOG_H
#define AMUDDU_LOG_H

enum log_level {
	LOG_LEVEL_DEBUG = 0,
	LOG_LEVEL_INFO,
	LOG_LEVEL_WARN,
	LOG_LEVEL_ERROR,
	LOG_LEVEL_NONE,
};

void log_set_level(enum log_level level);
enum log_level log_get_level(void);
/* Parses "debug", "info", "warn", "error"; returns -1 on anything else. */
int log_parse_level(const char *name, enum log_level *out) __attribute__((warn_unused_result));
void log_msg(enum log_level level, const char *func, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#define log_debug(...) log_msg(LOG_LEVEL_DEBUG, __func__, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LEVEL_INFO, __func__, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LEVEL_WARN, __func__, __VA_ARGS__)
#define log_error(...) log_msg(LOG_LEVEL_ERROR, __func__, __VA_ARGS__)

#endif
