/*
 * Redis connection URLs: redis://[:password@]host[:port][/db] and
 * unix:///path[?db=N], parsed into a struct redis_target. Pure: no
 * connection here, so it is unit-tested directly.
 */
#include "queues/redis_url.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/util/xmalloc.h"

int
redis_target_parse(const char *url, struct redis_target *t, char *err, size_t errlen)
{
	const char *p, *at, *slash, *colon, *q;
	char *end;
	long v;

	memset(t, 0, sizeof *t);
	if (strncmp(url, "unix://", 7) == 0) {
		p = url + 7;
		if (*p != '/') {
			snprintf(err, errlen, "unix URL needs an absolute path: unix:///path/redis.sock");
			return -1;
		}
		q = strchr(p, '?');
		t->path = q != NULL ? xstrndup(p, (size_t)(q - p)) : xstrdup(p);
		if (q != NULL) {
			if (strncmp(q, "?db=", 4) != 0) {
				snprintf(err, errlen, "unix URL accepts only ?db=N");
				goto fail;
			}
			v = strtol(q + 4, &end, 10);
			if (*end != '\0' || end == q + 4 || v < 0 || v > 15) {
				snprintf(err, errlen, "bad database number in URL");
				goto fail;
			}
			t->db = (int)v;
		}
		return 0;
	}
	if (strncmp(url, "redis://", 8) != 0) {
		snprintf(err, errlen, "URL must start with redis:// or unix://");
		return -1;
	}
	p = url + 8;
	slash = strchr(p, '/');
	at = strchr(p, '@');
	if (at != NULL && (slash == NULL || at < slash)) {
		colon = memchr(p, ':', (size_t)(at - p));
		if (colon != NULL && at > colon + 1)
			t->password = xstrndup(colon + 1, (size_t)(at - colon - 1));
		p = at + 1;
	}
	colon = strchr(p, ':');
	if (slash == NULL)
		slash = p + strlen(p);
	if (colon != NULL && colon < slash) {
		t->host = xstrndup(p, (size_t)(colon - p));
		v = strtol(colon + 1, &end, 10);
		if (end != slash || v <= 0 || v > 65535) {
			snprintf(err, errlen, "bad port in URL");
			goto fail;
		}
		t->port = (int)v;
	} else {
		t->host = xstrndup(p, (size_t)(slash - p));
		t->port = 6379;
	}
	if (t->host[0] == '\0') {
		snprintf(err, errlen, "URL has no host");
		goto fail;
	}
	if (*slash == '/' && slash[1] != '\0') {
		v = strtol(slash + 1, &end, 10);
		if (*end != '\0' || v < 0 || v > 15) {
			snprintf(err, errlen, "bad database number in URL");
			goto fail;
		}
		t->db = (int)v;
	}
	return 0;
fail:
	redis_target_free(t);
	return -1;
}

void
redis_target_free(struct redis_target *t)
{
	free(t->host);
	free(t->path);
	if (t->password != NULL) {
		explicit_bzero(t->password, strlen(t->password));
		free(t->password);
	}
	memset(t, 0, sizeof *t);
}
