/*
 * Where and how to reach Redis, parsed from a redis:// or unix:// URL.
 * No hiredis here: this header is what the layers above queues/ see. The
 * caller owns a struct redis_target and frees it with redis_target_free().
 */
#ifndef AMUDDU_REDIS_URL_H
#define AMUDDU_REDIS_URL_H

#include <stddef.h>

struct redis_target {
	char *host; /* NULL for a unix socket */
	int port;
	char *path;     /* unix socket path, or NULL */
	char *password; /* or NULL */
	int db;
};

/*
 * Parses redis://[:password@]host[:port][/db] or unix:///path[?db=N].
 * Returns 0, or -1 with a reason in err.
 */
int redis_target_parse(const char *url, struct redis_target *t, char *err, size_t errlen)
    __attribute__((warn_unused_result));
void redis_target_free(struct redis_target *t);

#endif
