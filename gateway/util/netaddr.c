#include "gateway/util/netaddr.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "gateway/util/xmalloc.h"

static const unsigned char v4_mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

/* Reads an address's text into n (bits: the whole address); an IPv4 address mapped into IPv6 becomes IPv4. */
static int
netaddr_pton(const char *text, struct netaddr_net *n)
{
	memset(n, 0, sizeof *n);
	if (inet_pton(AF_INET, text, n->addr) == 1) {
		n->family = AF_INET;
		n->bits = 32;
		return 0;
	}
	if (inet_pton(AF_INET6, text, n->addr) != 1)
		return -1;
	if (memcmp(n->addr, v4_mapped, sizeof v4_mapped) == 0) {
		memmove(n->addr, n->addr + 12, 4);
		memset(n->addr + 4, 0, 12);
		n->family = AF_INET;
		n->bits = 32;
		return 0;
	}
	n->family = AF_INET6;
	n->bits = 128;
	return 0;
}

/*
 * Reads one address of len bytes at s, as a proxy writes it: also
 * "a.b.c.d:port" and "[v6]" or "[v6]:port". -1 when it is not an address.
 */
static int
netaddr_read(const char *s, size_t len, struct netaddr_net *n)
{
	char text[INET6_ADDRSTRLEN + 8];
	const char *colon;

	if (len > 0 && s[0] == '[') {
		const char *close = memchr(s, ']', len);

		if (close == NULL || (close + 1 != s + len && close[1] != ':'))
			return -1;
		len = (size_t)(close - s - 1);
		s++;
	} else if ((colon = memchr(s, ':', len)) != NULL && memchr(s, '.', (size_t)(colon - s)) != NULL) {
		len = (size_t)(colon - s); /* a.b.c.d:port */
	}
	if (len == 0 || len >= sizeof text)
		return -1;
	memcpy(text, s, len);
	text[len] = '\0';
	return netaddr_pton(text, n);
}

/* Whether a (a whole address) is inside net. */
static bool
netaddr_in(const struct netaddr_net *net, const struct netaddr_net *a)
{
	unsigned full = net->bits / 8, rest = net->bits % 8;

	if (net->family != a->family || memcmp(net->addr, a->addr, full) != 0)
		return false;
	return rest == 0 || ((net->addr[full] ^ a->addr[full]) & (unsigned char)(0xff << (8 - rest))) == 0;
}

static bool
netaddr_trusted(const struct netaddr_list *l, const struct netaddr_net *a)
{
	for (size_t i = 0; l != NULL && i < l->n; i++)
		if (netaddr_in(&l->nets[i], a))
			return true;
	return false;
}

int
netaddr_list_parse(struct netaddr_list *l, const char *text, char *why, size_t whylen)
{
	struct netaddr_list out = { 0 };
	const char *p = text;

	while (*p != '\0') {
		size_t len = strcspn(p, ", \t");
		char item[INET6_ADDRSTRLEN + 8], *slash, *end;
		struct netaddr_net n;
		unsigned long bits;

		if (len == 0) {
			p++;
			continue;
		}
		snprintf(item, sizeof item, "%.*s", (int)(len < sizeof item ? len : sizeof item - 1), p);
		if ((slash = strchr(item, '/')) != NULL)
			*slash = '\0';
		if (len >= sizeof item || netaddr_pton(item, &n) != 0) {
			snprintf(why, whylen,
			    "trusted_proxies: '%.*s' is not an IPv4 or IPv6 address or network (address/bits)",
			    (int)(len > 64 ? 64 : len), p);
			free(out.nets);
			return -1;
		}
		if (slash != NULL) {
			bits = strtoul(slash + 1, &end, 10);
			if (end == slash + 1 || *end != '\0' || bits > n.bits) {
				snprintf(why, whylen, "trusted_proxies: '%.*s': the prefix length must be 0 to %u",
				    (int)len, p, n.bits);
				free(out.nets);
				return -1;
			}
			n.bits = (unsigned)bits;
		}
		out.nets = xrealloc(out.nets, (out.n + 1) * sizeof *out.nets);
		out.nets[out.n++] = n;
		p += len;
	}
	free(l->nets);
	*l = out;
	return 0;
}

bool
netaddr_list_has(const struct netaddr_list *l, const char *addr)
{
	struct netaddr_net a;

	return addr != NULL && netaddr_read(addr, strlen(addr), &a) == 0 && netaddr_trusted(l, &a);
}

void
netaddr_list_free(struct netaddr_list *l)
{
	free(l->nets);
	l->nets = NULL;
	l->n = 0;
}

/* a in canonical text: IPv4 as it is, IPv6 as its /64. */
static void
netaddr_text(const struct netaddr_net *a, char *out, size_t outlen)
{
	char text[INET6_ADDRSTRLEN];
	unsigned char v6[16];

	if (a->family == AF_INET) {
		inet_ntop(AF_INET, a->addr, text, sizeof text);
		snprintf(out, outlen, "%s", text);
		return;
	}
	memcpy(v6, a->addr, 8);
	memset(v6 + 8, 0, 8);
	inet_ntop(AF_INET6, v6, text, sizeof text);
	snprintf(out, outlen, "%s/64", text);
}

void
netaddr_client(const struct netaddr_list *trusted, const char *peer, const char *xff, char *out, size_t outlen)
{
	struct netaddr_net hop, a;
	size_t end;

	if (peer == NULL || netaddr_read(peer, strlen(peer), &hop) != 0) {
		snprintf(out, outlen, "%s", "-");
		return;
	}
	/* From the right: each item was written by the hop after it, trusted so far. */
	for (end = xff != NULL ? strlen(xff) : 0; netaddr_trusted(trusted, &hop) && end > 0;) {
		size_t start = end, b, e;

		while (start > 0 && xff[start - 1] != ',')
			start--;
		for (b = start; b < end && (xff[b] == ' ' || xff[b] == '\t'); b++)
			;
		for (e = end; e > b && (xff[e - 1] == ' ' || xff[e - 1] == '\t'); e--)
			;
		end = start > 0 ? start - 1 : 0;
		if (e == b)
			continue; /* an empty item, as in "a,,b" */
		if (netaddr_read(xff + b, e - b, &a) != 0)
			break;
		hop = a;
		if (start == 0)
			break;
	}
	netaddr_text(&hop, out, outlen);
}
