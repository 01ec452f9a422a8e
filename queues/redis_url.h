/*
 * Where and how to reach Redis, parsed from a redis:// or unix:// URL.
 * No hiredis here: this header is what the layers above queues/ see. The
 * caller owns a struct redis_target and frees it with redis_target_free().
 */
#ifndef AMUDDU_REDIS_URL_H
#define AMUDDU_REDIS_URL_H

#include <stddef.h>

struct redis_target {
	char *host; /* NULL for a unix socket; an IPv6 address without its brackets */
	int port;
	char *path;     /* unix socket path, or NULL */
	char *user;     /* Redis 6 ACL user (AUTH user password), or NULL (AUTH password) */
	char *password; /* or NULL: no AUTH */
	int db;         /* 0 to INT_MAX; the server's `databases` setting decides which exist */
};

/*
 * Parses redis://[[user]:password@]host[:port][/db], where host may be
 * [IPv6], or unix:///path[?db=N]. User, password, database and socket path
 * are percent-decoded; the last '@' ends the password, so it may hold '@'.
 * Returns 0, or -1 with a reason in err that never quotes the password
 * (t is then empty).
 */
int redis_target_parse(const char *url, struct redis_target *t, char *err, size_t errlen)
    __attribute__((warn_unused_result));
void redis_target_free(struct redis_target *t);

#endif
