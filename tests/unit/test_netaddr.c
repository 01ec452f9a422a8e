/*
 * Unit tests for gateway/util/netaddr.c: the trusted proxies' list as the
 * configuration gives it, and the address a console sign-in is counted
 * under, from the peer or from X-Forwarded-For when a trusted proxy sent it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "gateway/util/netaddr.h"

static void test_parse(void **state);
static void test_parse_refused(void **state);
static void test_client_without_proxies(void **state);
static void test_client_behind_proxies(void **state);
static void test_client_forms(void **state);

/* The address netaddr_client() gives for peer and xff with trusted. */
static const char *
client(const struct netaddr_list *trusted, const char *peer, const char *xff)
{
	static char out[NETADDR_TEXT_MAX];

	netaddr_client(trusted, peer, xff, out, sizeof out);
	return out;
}

static void
test_parse(void **state)
{
	struct netaddr_list l = { 0 };
	char why[200];

	(void)state;
	assert_int_equal(netaddr_list_parse(&l, "127.0.0.1, 10.0.0.0/8 ::1\tfd00::/8,,", why, sizeof why), 0);
	assert_int_equal(l.n, 4);
	assert_true(netaddr_list_has(&l, "127.0.0.1"));
	assert_false(netaddr_list_has(&l, "127.0.0.2"));
	assert_true(netaddr_list_has(&l, "10.255.1.2"));
	assert_false(netaddr_list_has(&l, "11.0.0.1"));
	/* An IPv4 peer on a dual-stack socket is IPv4 still. */
	assert_true(netaddr_list_has(&l, "::ffff:10.1.2.3"));
	assert_true(netaddr_list_has(&l, "::1"));
	assert_true(netaddr_list_has(&l, "fd12:3456::1"));
	assert_false(netaddr_list_has(&l, "fe80::1"));
	assert_false(netaddr_list_has(&l, "not an address"));
	assert_false(netaddr_list_has(&l, NULL));
	/* A prefix that is not on a byte boundary. */
	assert_int_equal(netaddr_list_parse(&l, "192.168.4.0/22", why, sizeof why), 0);
	assert_int_equal(l.n, 1);
	assert_true(netaddr_list_has(&l, "192.168.7.255"));
	assert_false(netaddr_list_has(&l, "192.168.8.0"));
	/* Nothing at all: no proxy is trusted. */
	assert_int_equal(netaddr_list_parse(&l, "", why, sizeof why), 0);
	assert_int_equal(l.n, 0);
	assert_false(netaddr_list_has(&l, "127.0.0.1"));
	netaddr_list_free(&l);
}

static void
test_parse_refused(void **state)
{
	static const char *const bad[] = { "proxy.local", "10.0.0.0/33", "fd00::/129", "10.0.0.1:8080", "10.0.0.0/",
		"10.0.0.0/8x", "[::1]", "127.0.0.1, 300.1.1.1" };
	struct netaddr_list l = { 0 };
	char why[200];

	(void)state;
	assert_int_equal(netaddr_list_parse(&l, "127.0.0.1", why, sizeof why), 0);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		why[0] = '\0';
		assert_int_equal(netaddr_list_parse(&l, bad[i], why, sizeof why), -1);
		/* The reason names the item, and the list is as it was. */
		assert_non_null(strstr(why, "trusted_proxies"));
		assert_int_equal(l.n, 1);
		assert_true(netaddr_list_has(&l, "127.0.0.1"));
	}
	assert_non_null(strstr(why, "300.1.1.1"));
	netaddr_list_free(&l);
}

static void
test_client_without_proxies(void **state)
{
	struct netaddr_list none = { 0 };

	(void)state;
	/* Nobody is trusted: what a client writes in the header counts for nothing. */
	assert_string_equal(client(&none, "203.0.113.9", "198.51.100.7"), "203.0.113.9");
	assert_string_equal(client(NULL, "203.0.113.9", "198.51.100.7"), "203.0.113.9");
	assert_string_equal(client(&none, "::ffff:203.0.113.9", NULL), "203.0.113.9");
	/* IPv6 by its /64, which a subscriber holds whole. */
	assert_string_equal(client(&none, "2001:db8:aa:bb:1:2:3:4", NULL), "2001:db8:aa:bb::/64");
	assert_string_equal(client(&none, NULL, NULL), "-");
	assert_string_equal(client(&none, "garbage", NULL), "-");
}

static void
test_client_behind_proxies(void **state)
{
	struct netaddr_list l = { 0 };
	char why[200];

	(void)state;
	assert_int_equal(netaddr_list_parse(&l, "127.0.0.1 10.0.0.0/8", why, sizeof why), 0);
	/* The proxy says who it was reached by. */
	assert_string_equal(client(&l, "127.0.0.1", "198.51.100.7"), "198.51.100.7");
	assert_string_equal(client(&l, "::ffff:127.0.0.1", "198.51.100.7"), "198.51.100.7");
	/* No header: the proxy itself. */
	assert_string_equal(client(&l, "127.0.0.1", NULL), "127.0.0.1");
	assert_string_equal(client(&l, "127.0.0.1", ""), "127.0.0.1");
	/* What the client wrote before the proxy's own item is not believed. */
	assert_string_equal(client(&l, "127.0.0.1", "1.2.3.4, 198.51.100.7"), "198.51.100.7");
	/* Two proxies: the first one's item names the client. */
	assert_string_equal(client(&l, "127.0.0.1", "1.2.3.4, 198.51.100.7, 10.0.0.2"), "198.51.100.7");
	/* Everyone trusted: the farthest. */
	assert_string_equal(client(&l, "127.0.0.1", "10.0.0.3, 10.0.0.2"), "10.0.0.3");
	/* An item that is not an address stops at the last hop known. */
	assert_string_equal(client(&l, "127.0.0.1", "198.51.100.7, unknown"), "127.0.0.1");
	assert_string_equal(client(&l, "127.0.0.1", "198.51.100.7, 10.0.0.2, unknown"), "127.0.0.1");
	assert_string_equal(client(&l, "127.0.0.1", "unknown, 10.0.0.2"), "10.0.0.2");
	/* A peer that is not trusted: its header is not read. */
	assert_string_equal(client(&l, "203.0.113.9", "198.51.100.7"), "203.0.113.9");
	netaddr_list_free(&l);
}

static void
test_client_forms(void **state)
{
	struct netaddr_list l = { 0 };
	char why[200];

	(void)state;
	assert_int_equal(netaddr_list_parse(&l, "::1", why, sizeof why), 0);
	/* Ports, brackets, spaces, empty items, several headers joined. */
	assert_string_equal(client(&l, "::1", "198.51.100.7:5555"), "198.51.100.7");
	assert_string_equal(client(&l, "::1", "[2001:db8:1:2::5]:443"), "2001:db8:1:2::/64");
	assert_string_equal(client(&l, "::1", "2001:db8:1:2::5"), "2001:db8:1:2::/64");
	assert_string_equal(client(&l, "::1", " 198.51.100.7 ,, "), "198.51.100.7");
	assert_string_equal(client(&l, "::1", "1.2.3.4,198.51.100.7"), "198.51.100.7");
	/* One address written many ways is one address. */
	assert_string_equal(client(&l, "::1", "2001:0db8:0001:0002:0000:0000:0000:0009"), "2001:db8:1:2::/64");
	assert_string_equal(client(&l, "::1", "[2001:db8::1"), "::/64");
	netaddr_list_free(&l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_parse_refused),
		cmocka_unit_test(test_client_without_proxies),
		cmocka_unit_test(test_client_behind_proxies),
		cmocka_unit_test(test_client_forms),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
