/*
 * Unit tests for redis_target_parse() in queues/redis_conn.c: the Redis
 * URLs an operator writes in [redis] url, and the refusals that keep the
 * gateway from connecting somewhere it was not told to.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "queues/redis_conn.h"

static void expect_refused(const char *url);
static void test_tcp_full(void **state);
static void test_tcp_host_only(void **state);
static void test_tcp_password_db(void **state);
static void test_tcp_user_password(void **state);
static void test_tcp_trailing_slash(void **state);
static void test_unix(void **state);
static void test_unix_db(void **state);
static void test_refused(void **state);
static void test_free_twice(void **state);

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
	assert_null(t.password);
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
	assert_string_equal(t.password, "pw");
	assert_int_equal(t.db, 15);
	redis_target_free(&t);
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
	expect_refused("redis://host/16");
	expect_refused("redis://host/x");
	expect_refused("redis://host/-1");
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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
