/*
 * libFuzzer target for redis_target_parse(): the input is a [redis] url
 * value (a C string). A refusal leaves nothing allocated and gives a reason
 * that does not quote the password; an accepted URL is a socket path or a
 * host with a port in range, and a database of at least 0.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "queues/redis_url.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_check_reason(const char *url, const char *err);

/*
 * When the URL has a password of six bytes or more (between the first ':'
 * of the userinfo and the last '@') that is nowhere after the '@' and has
 * a byte no fixed reason text has (not printable ASCII), the reason must
 * not contain it.
 */
static void
fuzz_check_reason(const char *url, const char *err)
{
	const char *p, *at, *colon;
	char *secret;
	size_t n;

	if (strncmp(url, "redis://", 8) != 0 || (at = strrchr(url + 8, '@')) == NULL)
		return;
	p = url + 8;
	colon = memchr(p, ':', (size_t)(at - p));
	if (colon == NULL || (n = (size_t)(at - colon - 1)) < 6)
		return;
	for (p = colon + 1; p < at && (unsigned char)*p >= 0x20 && (unsigned char)*p < 0x7f; p++)
		;
	if (p == at)
		return;
	if ((secret = strndup(colon + 1, n)) == NULL)
		abort();
	if (strstr(at, secret) == NULL && strstr(err, secret) != NULL)
		abort();
	free(secret);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct redis_target t;
	char err[256];
	char *url = malloc(size + 1);

	if (url == NULL)
		abort();
	memcpy(url, data, size);
	url[size] = '\0';
	memset(err, 0, sizeof err);
	if (redis_target_parse(url, &t, err, sizeof err) != 0) {
		if (err[0] == '\0' || memchr(err, '\0', sizeof err) == NULL)
			abort();
		if (t.host != NULL || t.path != NULL || t.user != NULL || t.password != NULL)
			abort();
		fuzz_check_reason(url, err);
	} else {
		if ((t.path == NULL) == (t.host == NULL) || t.db < 0)
			abort();
		if (t.host != NULL && (t.host[0] == '\0' || t.port < 1 || t.port > 65535))
			abort();
		if (t.user != NULL && t.password == NULL)
			abort();
		redis_target_free(&t);
	}
	free(url);
	return 0;
}
