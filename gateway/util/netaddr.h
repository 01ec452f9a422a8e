/*
 * Client addresses behind a proxy: a list of trusted networks (addresses
 * or CIDR prefixes, IPv4 or IPv6) and the address a request came from,
 * read from X-Forwarded-For only when the peer is one of them. Used to
 * count console sign-in attempts per person rather than per proxy.
 */
#ifndef AMUDDU_NETADDR_H
#define AMUDDU_NETADDR_H

#include <stdbool.h>
#include <stddef.h>

/* Longest text netaddr_client() writes ("ffff:…:ffff/64" at most), with its NUL. */
#define NETADDR_TEXT_MAX 64

struct netaddr_net {
	int family; /* AF_INET or AF_INET6 */
	unsigned char addr[16];
	unsigned bits; /* prefix length */
};

struct netaddr_list {
	struct netaddr_net *nets;
	size_t n;
};

/*
 * Parses items "address" or "address/bits" separated by commas or spaces
 * into l (replacing what it held); -1 with why naming the item at fault,
 * l then unchanged.
 */
int netaddr_list_parse(struct netaddr_list *l, const char *text, char *why, size_t whylen)
    __attribute__((warn_unused_result));
/* Whether addr (text; an IPv4 address mapped into IPv6 counts as IPv4) is in one of l's networks. */
bool netaddr_list_has(const struct netaddr_list *l, const char *addr);
void netaddr_list_free(struct netaddr_list *l);

/*
 * The address to count a request under, into out: the peer's, or, when
 * the peer is in trusted and xff (X-Forwarded-For, every header's value
 * in order, joined by commas; NULL for none) names one, the nearest
 * address in it that is not trusted (each proxy appends the address it
 * was reached from, so the ones before are whatever the client wrote).
 * An item that is not an address stops the walk at the last trusted hop.
 * Written in canonical form; an IPv6 address as its /64, which one
 * subscriber usually holds whole.
 */
void netaddr_client(const struct netaddr_list *trusted, const char *peer, const char *xff, char *out, size_t outlen);

#endif
