/*
 * Redis connection URLs: redis://[[user]:password@]host[:port][/db] (host
 * may be an IPv6 address in brackets) and unix:///path[?db=N], parsed into
 * a struct redis_target. Pure: no connection here, so it is unit-tested
 * directly. Errors name the part that is wrong and never quote a password.
 */
#include "queues/redis_url.h"

#include <arpa/inet.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/util/buf.h"
#include "gateway/util/xmalloc.h"

static int redis_url_decode(const char *s, size_t len, const char *what, char **out, char *err, size_t errlen);
static int redis_url_db(const char *s, size_t len, int *db, char *err, size_t errlen);
static int redis_url_host(const char *s, size_t len, struct redis_target *t, char *err, size_t errlen);
static int redis_url_userinfo(const char *s, size_t len, struct redis_target *t, char *err, size_t errlen);
static void redis_url_free_secret(char **s);

/*
 * Percent-decodes s[0..len) into a new string (RFC 3986: %XX is a byte; a
 * '+' stays a '+', this is not a form). A %00 is refused: the result goes
 * to Redis and to system calls as a C string, which would end there.
 */
static int
redis_url_decode(const char *s, size_t len, const char *what, char **out, char *err, size_t errlen)
{
	char *d = xmalloc(len + 1);
	size_t n = 0;
	int hi, lo;

	for (size_t i = 0; i < len; i++) {
		if (s[i] != '%') {
			d[n++] = s[i];
			continue;
		}
		hi = i + 2 < len ? hex_digit_value((unsigned char)s[i + 1]) : -1;
		lo = hi >= 0 ? hex_digit_value((unsigned char)s[i + 2]) : -1;
		if (hi < 0 || lo < 0) {
			snprintf(err, errlen, "Redis URL: %s has a %% not followed by two hex digits", what);
			goto fail;
		}
		if (hi == 0 && lo == 0) {
			snprintf(err, errlen, "Redis URL: %s contains %%00", what);
			goto fail;
		}
		d[n++] = (char)(hi << 4 | lo);
		i += 2;
	}
	d[n] = '\0';
	*out = d;
	return 0;
fail:
	explicit_bzero(d, len + 1);
	free(d);
	return -1;
}

/* A database number: digits only, 0 to INT_MAX. Which exist is the server's `databases` setting. */
static int
redis_url_db(const char *s, size_t len, int *db, char *err, size_t errlen)
{
	char *d;
	long long v = 0;
	size_t n;
	int rc = -1;

	if (redis_url_decode(s, len, "the database", &d, err, errlen) != 0)
		return -1;
	n = strlen(d);
	for (size_t i = 0; i < n && v <= INT_MAX; i++)
		v = d[i] >= '0' && d[i] <= '9' ? v * 10 + (d[i] - '0') : (long long)INT_MAX + 1;
	if (n == 0 || v > INT_MAX) {
		snprintf(err, errlen, "Redis URL: the database must be a number from 0 to %d", INT_MAX);
		goto out;
	}
	*db = (int)v;
	rc = 0;
out:
	free(d);
	return rc;
}

/*
 * "user:password", ":password" or "user:" (an ACL user with nopass).
 * The first ':' ends the user name, as in RFC 3986 userinfo (a user name
 * with a ':' writes it %3A); the password may hold anything.
 */
static int
redis_url_userinfo(const char *s, size_t len, struct redis_target *t, char *err, size_t errlen)
{
	const char *colon = memchr(s, ':', len);

	if (colon == NULL) {
		snprintf(err, errlen,
		    "Redis URL: what comes before '@' needs a ':' (redis://:password@host or "
		    "redis://user:password@host)");
		return -1;
	}
	if (colon > s && redis_url_decode(s, (size_t)(colon - s), "the user name", &t->user, err, errlen) != 0)
		return -1;
	if (t->user != NULL || colon + 1 < s + len) {
		if (redis_url_decode(
			colon + 1, (size_t)(s + len - colon - 1), "the password", &t->password, err, errlen) != 0)
			return -1;
	}
	return 0;
}

/* host, host:port, [v6], [v6]:port. hiredis takes the IPv6 address without its brackets. */
static int
redis_url_host(const char *s, size_t len, struct redis_target *t, char *err, size_t errlen)
{
	const char *end = s + len, *port = NULL, *close;
	unsigned char addr[sizeof(struct in6_addr)];
	long v = 0;

	if (len > 0 && s[0] == '[') {
		close = memchr(s, ']', len);
		if (close == NULL) {
			snprintf(err, errlen, "Redis URL: '[' without ']' around an IPv6 address");
			return -1;
		}
		t->host = xstrndup(s + 1, (size_t)(close - s - 1));
		if (inet_pton(AF_INET6, t->host, addr) != 1) {
			snprintf(err, errlen, "Redis URL: \"%s\" in brackets is not an IPv6 address", t->host);
			return -1;
		}
		if (close + 1 < end && close[1] != ':') {
			snprintf(err, errlen, "Redis URL: only :port may follow ']'");
			return -1;
		}
		if (close + 1 < end)
			port = close + 2;
	} else {
		const char *colon = memchr(s, ':', len);

		if (colon != NULL && memchr(colon + 1, ':', (size_t)(end - colon - 1)) != NULL) {
			snprintf(err, errlen, "Redis URL: an IPv6 address goes in brackets, e.g. redis://[::1]:6379");
			return -1;
		}
		t->host = xstrndup(s, colon != NULL ? (size_t)(colon - s) : len);
		if (colon != NULL)
			port = colon + 1;
	}
	if (t->host[0] == '\0') {
		snprintf(err, errlen, "Redis URL: no host");
		return -1;
	}
	t->port = 6379;
	if (port == NULL)
		return 0;
	for (const char *p = port; p < end && v <= 65535; p++)
		v = *p >= '0' && *p <= '9' ? v * 10 + (*p - '0') : 65536;
	if (v < 1 || v > 65535) {
		snprintf(err, errlen, "Redis URL: the port must be a number from 1 to 65535");
		return -1;
	}
	t->port = (int)v;
	return 0;
}

int
redis_target_parse(const char *url, struct redis_target *t, char *err, size_t errlen)
{
	const char *p, *at, *slash, *q;

	memset(t, 0, sizeof *t);
	if (strncmp(url, "unix://", 7) == 0) {
		p = url + 7;
		if (*p != '/') {
			snprintf(err, errlen, "Redis URL: a unix URL needs an absolute path: unix:///path/redis.sock");
			return -1;
		}
		q = strchr(p, '?');
		if (redis_url_decode(
			p, q != NULL ? (size_t)(q - p) : strlen(p), "the socket path", &t->path, err, errlen) != 0)
			goto fail;
		if (q != NULL) {
			if (strncmp(q, "?db=", 4) != 0) {
				snprintf(err, errlen, "Redis URL: a unix URL accepts only ?db=N after the path");
				goto fail;
			}
			if (redis_url_db(q + 4, strlen(q + 4), &t->db, err, errlen) != 0)
				goto fail;
		}
		return 0;
	}
	if (strncmp(url, "redis://", 8) != 0) {
		snprintf(err, errlen, "Redis URL: must start with redis:// or unix://");
		return -1;
	}
	p = url + 8;
	/*
	 * The last '@' ends the user name and password, so a password may hold
	 * '@' (and '/') as it is; nothing after the host may hold one.
	 */
	at = strrchr(p, '@');
	if (at != NULL) {
		if (redis_url_userinfo(p, (size_t)(at - p), t, err, errlen) != 0)
			goto fail;
		p = at + 1;
	}
	if (strpbrk(p, "?#") != NULL) {
		snprintf(err, errlen, "Redis URL: nothing may follow the database number (no '?' or '#')");
		goto fail;
	}
	slash = strchr(p, '/');
	if (redis_url_host(p, slash != NULL ? (size_t)(slash - p) : strlen(p), t, err, errlen) != 0)
		goto fail;
	if (slash != NULL && slash[1] != '\0' && redis_url_db(slash + 1, strlen(slash + 1), &t->db, err, errlen) != 0)
		goto fail;
	return 0;
fail:
	redis_target_free(t);
	return -1;
}

static void
redis_url_free_secret(char **s)
{
	if (*s != NULL) {
		explicit_bzero(*s, strlen(*s));
		free(*s);
	}
	*s = NULL;
}

void
redis_target_free(struct redis_target *t)
{
	free(t->host);
	free(t->path);
	free(t->user);
	redis_url_free_secret(&t->password);
	memset(t, 0, sizeof *t);
}
