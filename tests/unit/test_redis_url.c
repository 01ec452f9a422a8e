/*
 * Unit tests for redis_target_parse() in queues/redis_url.c: the Redis
 * URLs an operator writes in [redis] url (ACL users, passwords with any
 * character, IPv6 hosts, any database), and the refusals that keep the
 * gateway from connecting somewhere it was not told to, which name what is
 * wrong without quoting the password.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <string.h>

#include "queues/redis_url.h"

static void expect_refused(const char *url);
static void expect_reason(const char *url, const char *names);
static void test_tcp_full(void **state);
static void test_tcp_host_only(void **state);
static void test_tcp_password_db(void **state);
static void test_tcp_user_password(void **state);
static void test_tcp_trailing_slash(void **state);
static void test_unix(void **state);
static void test_unix_db(void **state);
static void test_refused(void **state);
static void test_free_twice(void **state);
static void test_acl_user(void **state);
static void test_at_in_password(void **state);
static void test_percent_decoding(void **state);
static void test_ipv6(void **state);
static void test_db_above_15(void **state);
static void test_reasons_without_password(void **state);

static void
expect_refused(const char *url)
{
	struct redis_target t;
	char err[128] = "";

	if (redis_target_parse(url, &t, err, sizeof err) == 0) {
		redis_target_free(&t);
		fail_msg("'%s' accepted", url);
	}
	if (strlen(err) == 0)
		fail_msg("'%s' refused without a reason", url);
	/* Nothing is left allocated on failure. */
	assert_null(t.host);
	assert_null(t.path);
	assert_null(t.user);
	assert_null(t.password);
}

#define SECRET "Sup3r-S3cret"

/* url is refused with a reason that names the part (names) and never quotes SECRET. */
static void
expect_reason(const char *url, const char *names)
{
	struct redis_target t;
	char err[256] = "";

	expect_refused(url);
	assert_int_equal(redis_target_parse(url, &t, err, sizeof err), -1);
	if (strstr(err, names) == NULL)
		fail_msg("'%s': reason \"%s\" does not name %s", url, err, names);
	if (strstr(err, SECRET) != NULL || strstr(err, "S3cret") != NULL)
		fail_msg("'%s': reason quotes the password", url);
}

static void
test_tcp_full(void **state)
{
	struct redis_target t;
	char err[128];

	(void)state;
	assert_int_equal(redis_target_parse("redis://127.0.0.1:6379/0", &t, err, sizeof err), 0);
	assert_string_equal(t.host, "127.0.0.1");
	assert_int_equal(t.port, 6379);
	assert_int_equal(t.db, 0);
	assert_null(t.path);
	assert_null(t.password);
	redis_target_free(&t);
	assert_null(t.host);
}

static void
test_tcp_host_only(void **state)
{
	struct redis_target t;
	char err[128];

	(void)state;
	assert_int_equal(redis_target_parse("redis://cache.internal", &t, err, sizeof err), 0);
	assert_string_equal(t.host, "cache.internal");
	assert_int_equal(t.port, 6379);
	assert_int_equal(t.db, 0);
	assert_null(t.password);
	redis_target_free(&t);
}

static void
test_tcp_password_db(void **state)
{
	struct redis_target t;
	char err[128];

	(void)state;
	assert_int_equal(redis_target_parse("redis://:secret@host:7000/3", &t, err, sizeof err), 0);
	assert_string_equal(t.host, "host");
	assert_int_equal(t.port, 7000);
	assert_string_equal(t.password, "secret");
	assert_int_equal(t.db, 3);
	assert_null(t.path);
	redis_target_free(&t);
	assert_null(t.password);
}

static void
test_tcp_user_password(void **state)
{
	struct redis_target t;
	char err[128];

	(void)state;
	assert_int_equal(redis_target_parse("redis://default:pw@10.1.2.3/15", &t, err, sizeof err), 0);
	assert_string_equal(t.host, "10.1.2.3");
	assert_int_equal(t.port, 6379);
	assert_string_equal(t.user, "default");
	assert_string_equal(t.password, "pw");
	assert_int_equal(t.db, 15);
	redis_target_free(&t);
	assert_null(t.user);
}

static void
test_tcp_trailing_slash(void **state)
{
	struct redis_target t;
	char err[128];

	(void)state;
	assert_int_equal(redis_target_parse("redis://host:6380/", &t, err, sizeof err), 0);
	assert_string_equal(t.host, "host");
	assert_int_equal(t.port, 6380);
	assert_int_equal(t.db, 0);
	redis_target_free(&t);
}

static void
test_unix(void **state)
{
	struct redis_target t;
	char err[128];

	(void)state;
	assert_int_equal(redis_target_parse("unix:///tmp/r.sock", &t, err, sizeof err), 0);
	assert_string_equal(t.path, "/tmp/r.sock");
	assert_null(t.host);
	assert_int_equal(t.db, 0);
	redis_target_free(&t);
}

static void
test_unix_db(void **state)
{
	struct redis_target t;
	char err[128];

	(void)state;
	assert_int_equal(redis_target_parse("unix:///tmp/r.sock?db=2", &t, err, sizeof err), 0);
	assert_string_equal(t.path, "/tmp/r.sock");
	assert_int_equal(t.db, 2);
	redis_target_free(&t);
}

static void
test_refused(void **state)
{
	(void)state;
	expect_refused("http://x");
	expect_refused("");
	expect_refused("127.0.0.1:6379");
	expect_refused("redis://host:99999");
	expect_refused("redis://host:0");
	expect_refused("redis://host:");
	expect_refused("redis://host:63x9/0");
	expect_refused("redis://:pw@/0");
	expect_refused("redis://");
	expect_refused("redis://:6379/0");
	expect_refused("redis://host/x");
	expect_refused("redis://host/-1");
	expect_refused("redis://host/+1");
	expect_refused("redis://host/ 1");
	expect_refused("redis://host: 6379");
	expect_refused("redis://host:+6379");
	expect_refused("redis://host/1/2");
	expect_refused("redis://host/0?timeout=5");
	expect_refused("redis://host/0#x");
	expect_refused("redis://pw@host");
	expect_refused("unix://relative");
	expect_refused("unix://relative/r.sock");
	expect_refused("unix:///tmp/r.sock?db=x");
	expect_refused("unix:///tmp/r.sock?db=");
	expect_refused("unix:///tmp/r.sock?timeout=5");
}

static void
test_free_twice(void **state)
{
	struct redis_target t;
	char err[128];

	(void)state;
	assert_int_equal(redis_target_parse("redis://:pw@h:1/1", &t, err, sizeof err), 0);
	redis_target_free(&t);
	redis_target_free(&t);
	assert_null(t.host);
}

/* Redis 6 ACL: redis://user:password@host, sent as AUTH user password. */
static void
test_acl_user(void **state)
{
	struct redis_target t;
	char err[128];

	(void)state;
	assert_int_equal(redis_target_parse("redis://amuddu-gw:s3cret@10.0.0.5:6380/4", &t, err, sizeof err), 0);
	assert_string_equal(t.user, "amuddu-gw");
	assert_string_equal(t.password, "s3cret");
	assert_string_equal(t.host, "10.0.0.5");
	assert_int_equal(t.port, 6380);
	assert_int_equal(t.db, 4);
	redis_target_free(&t);
	/* No user: AUTH with the password alone, as before Redis 6. */
	assert_int_equal(redis_target_parse("redis://:s3cret@host", &t, err, sizeof err), 0);
	assert_null(t.user);
	assert_string_equal(t.password, "s3cret");
	redis_target_free(&t);
	/* A user with an empty password (an ACL user with nopass takes any). */
	assert_int_equal(redis_target_parse("redis://reporting:@host", &t, err, sizeof err), 0);
	assert_string_equal(t.user, "reporting");
	assert_string_equal(t.password, "");
	redis_target_free(&t);
	/* ":@" says nothing: no AUTH at all. */
	assert_int_equal(redis_target_parse("redis://:@host", &t, err, sizeof err), 0);
	assert_null(t.user);
	assert_null(t.password);
	redis_target_free(&t);
}

/* The last '@' before the host ends the password, so a password may hold '@' (and ':' and '/'). */
static void
test_at_in_password(void **state)
{
	struct redis_target t;
	char err[128];

	(void)state;
	assert_int_equal(redis_target_parse("redis://:p@ss@w0rd@cache.internal:6380/2", &t, err, sizeof err), 0);
	assert_null(t.user);
	assert_string_equal(t.password, "p@ss@w0rd");
	assert_string_equal(t.host, "cache.internal");
	assert_int_equal(t.port, 6380);
	assert_int_equal(t.db, 2);
	redis_target_free(&t);
	assert_int_equal(redis_target_parse("redis://gw:a:b/c@d@host/1", &t, err, sizeof err), 0);
	assert_string_equal(t.user, "gw");
	assert_string_equal(t.password, "a:b/c@d");
	assert_string_equal(t.host, "host");
	assert_int_equal(t.port, 6379);
	assert_int_equal(t.db, 1);
	redis_target_free(&t);
}

/* User, password, database and socket path are percent-decoded; '+' stays '+'. */
static void
test_percent_decoding(void **state)
{
	struct redis_target t;
	char err[128];

	(void)state;
	assert_int_equal(
	    redis_target_parse("redis://gw%2Dm%61roc:p%40ss%3Aw%2Frd%25+x%20y@host/%31%32", &t, err, sizeof err), 0);
	assert_string_equal(t.user, "gw-maroc");
	assert_string_equal(t.password, "p@ss:w/rd%+x y");
	assert_int_equal(t.db, 12);
	redis_target_free(&t);
	assert_int_equal(redis_target_parse("unix:///run/my%20redis/r%2Bs.sock?db=3", &t, err, sizeof err), 0);
	assert_string_equal(t.path, "/run/my redis/r+s.sock");
	assert_int_equal(t.db, 3);
	redis_target_free(&t);
	/* UTF-8 written as escapes comes out as its bytes. */
	assert_int_equal(redis_target_parse("redis://:%C3%A9t%C3%A9@host", &t, err, sizeof err), 0);
	assert_string_equal(t.password, "\xc3\xa9t\xc3\xa9");
	redis_target_free(&t);
}

/* IPv6 hosts in brackets; hiredis is given the address without them. */
static void
test_ipv6(void **state)
{
	struct redis_target t;
	char err[128];

	(void)state;
	assert_int_equal(redis_target_parse("redis://[::1]:6380/2", &t, err, sizeof err), 0);
	assert_string_equal(t.host, "::1");
	assert_int_equal(t.port, 6380);
	assert_int_equal(t.db, 2);
	redis_target_free(&t);
	assert_int_equal(redis_target_parse("redis://[::1]", &t, err, sizeof err), 0);
	assert_string_equal(t.host, "::1");
	assert_int_equal(t.port, 6379);
	assert_int_equal(t.db, 0);
	redis_target_free(&t);
	assert_int_equal(redis_target_parse("redis://gw:pw@[2001:db8::7]/3", &t, err, sizeof err), 0);
	assert_string_equal(t.host, "2001:db8::7");
	assert_string_equal(t.user, "gw");
	assert_int_equal(t.db, 3);
	redis_target_free(&t);
	assert_int_equal(redis_target_parse("redis://[::ffff:10.0.0.5]:7000", &t, err, sizeof err), 0);
	assert_string_equal(t.host, "::ffff:10.0.0.5");
	assert_int_equal(t.port, 7000);
	redis_target_free(&t);
	expect_reason("redis://::1:6379/0", "brackets");
	expect_reason("redis://[::1:6379/0", "']'");
	expect_reason("redis://[::1]6379/0", "']'");
	expect_reason("redis://[]:6379", "IPv6");
	expect_reason("redis://[cache.internal]:6379", "IPv6");
	expect_reason("redis://[127.0.0.1]", "IPv6");
	expect_reason("redis://[::1]:0", "port");
	expect_reason("redis://[::1]:", "port");
}

/* Any database number Redis can be configured with: its `databases` setting decides what exists. */
static void
test_db_above_15(void **state)
{
	struct redis_target t;
	char err[128];

	(void)state;
	assert_int_equal(redis_target_parse("redis://host/16", &t, err, sizeof err), 0);
	assert_int_equal(t.db, 16);
	redis_target_free(&t);
	assert_int_equal(redis_target_parse("redis://host:6379/2147483647", &t, err, sizeof err), 0);
	assert_int_equal(t.db, INT_MAX);
	redis_target_free(&t);
	assert_int_equal(redis_target_parse("unix:///tmp/r.sock?db=100", &t, err, sizeof err), 0);
	assert_int_equal(t.db, 100);
	redis_target_free(&t);
	expect_reason("redis://host/2147483648", "database");
	expect_reason("redis://host/99999999999999999999999", "database");
	expect_reason("unix:///tmp/r.sock?db=2147483648", "database");
}

/* Every refusal names what is wrong; none quotes the password. */
static void
test_reasons_without_password(void **state)
{
	(void)state;
	expect_reason("redis://:" SECRET "@host:99999/0", "port");
	expect_reason("redis://:" SECRET "@host:63x9/0", "port");
	expect_reason("redis://:" SECRET "@/0", "host");
	expect_reason("redis://:" SECRET "@host/x", "database");
	expect_reason("redis://:" SECRET "@host/-1", "database");
	expect_reason("redis://:" SECRET "%zz@host", "password");
	expect_reason("redis://:" SECRET "%4@host", "password");
	expect_reason("redis://:" SECRET "%00@host", "password");
	expect_reason("redis://us%00er:" SECRET "@host", "user name");
	expect_reason("redis://us%g0er:" SECRET "@host", "user name");
	expect_reason("redis://" SECRET "@host", "':'");
	expect_reason("redis://:" SECRET "@::1/0", "brackets");
	expect_reason("redis://:" SECRET "@host/0?db=1", "'?'");
	expect_reason("rediss://:" SECRET "@host", "redis://");
	expect_reason("unix:///tmp/r%zz.sock", "socket path");
	expect_reason("unix:///tmp/r.sock?password=" SECRET, "?db=N");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tcp_full),
		cmocka_unit_test(test_tcp_host_only),
		cmocka_unit_test(test_tcp_password_db),
		cmocka_unit_test(test_tcp_user_password),
		cmocka_unit_test(test_tcp_trailing_slash),
		cmocka_unit_test(test_unix),
		cmocka_unit_test(test_unix_db),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_free_twice),
		cmocka_unit_test(test_acl_user),
		cmocka_unit_test(test_at_in_password),
		cmocka_unit_test(test_percent_decoding),
		cmocka_unit_test(test_ipv6),
		cmocka_unit_test(test_db_above_15),
		cmocka_unit_test(test_reasons_without_password),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
