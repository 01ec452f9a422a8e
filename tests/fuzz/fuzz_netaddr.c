/*
 * libFuzzer target for gateway/util/netaddr.c: the input's first line is a
 * trusted proxies' list, its second a peer, the rest X-Forwarded-For. A
 * list that is refused leaves the one before; the client address is "-" or
 * an address in canonical form (IPv6 as a /64) that reads back as itself.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/util/netaddr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Splits s at its first new line: s is the part before, the rest is returned (NULL when none). */
static char *
fuzz_line(char *s)
{
	char *nl = strchr(s, '\n');

	if (nl == NULL)
		return NULL;
	*nl = '\0';
	return nl + 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct netaddr_list l = { 0 };
	char *in = malloc(size + 1), *peer, *xff, why[200], out[NETADDR_TEXT_MAX], again[NETADDR_TEXT_MAX], *slash;
	size_t before;

	if (in == NULL)
		abort();
	memcpy(in, data, size);
	in[size] = '\0';
	peer = fuzz_line(in);
	xff = peer != NULL ? fuzz_line(peer) : NULL;
	if (netaddr_list_parse(&l, "127.0.0.1", why, sizeof why) != 0 || l.n != 1)
		abort();
	before = l.n;
	if (netaddr_list_parse(&l, in, why, sizeof why) != 0 && (l.n != before || !netaddr_list_has(&l, "127.0.0.1")))
		abort();
	netaddr_client(&l, peer, xff, out, sizeof out);
	if (memchr(out, '\0', sizeof out) == NULL)
		abort();
	if (strcmp(out, "-") != 0) {
		/* Canonical: read with no proxy trusted, it is itself (a /64 is written from its first address). */
		struct netaddr_list none = { 0 };

		if ((slash = strchr(out, '/')) != NULL && strcmp(slash, "/64") != 0)
			abort();
		if (slash != NULL)
			*slash = '\0';
		netaddr_client(&none, out, NULL, again, sizeof again);
		if (slash != NULL)
			*slash = '/';
		if (strcmp(again, out) != 0)
			abort();
	}
	netaddr_list_free(&l);
	free(in);
	return 0;
}
