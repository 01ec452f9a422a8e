/*
 * Unit tests for gateway/util/strset.c: membership through adds, deletes
 * and re-adds, at the scale of the entry ids one gateway process holds,
 * and under churn that leaves many tombstones.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gateway/util/strset.h"

#define MANY 100000

static void entry_id(char *out, size_t len, int i);
static void test_empty(void **state);
static void test_add_has_del(void **state);
static void test_duplicates_rejected(void **state);
static void test_readd_after_delete(void **state);
static void test_many_keys(void **state);
static void test_churn(void **state);
static int churn_window(int window, int rounds);
static void test_churn_any_window(void **state);
static void test_free_and_reuse(void **state);

static void
entry_id(char *out, size_t len, int i)
{
	snprintf(out, len, "17000%08d-%d", i / 3, i % 3);
}

static void
test_empty(void **state)
{
	struct strset s;

	(void)state;
	strset_init(&s);
	assert_false(strset_has(&s, "1-0"));
	assert_false(strset_del(&s, "1-0"));
	assert_int_equal(s.count, 0);
	strset_free(&s);
}

static void
test_add_has_del(void **state)
{
	struct strset s;

	(void)state;
	strset_init(&s);
	assert_true(strset_add(&s, "1700000000000-0"));
	assert_true(strset_add(&s, "1700000000000-1"));
	assert_true(strset_add(&s, ""));
	assert_true(strset_has(&s, "1700000000000-0"));
	assert_true(strset_has(&s, "1700000000000-1"));
	assert_true(strset_has(&s, ""));
	assert_false(strset_has(&s, "1700000000000-2"));
	assert_false(strset_has(&s, "1700000000000"));
	assert_int_equal(s.count, 3);
	assert_true(strset_del(&s, "1700000000000-0"));
	assert_false(strset_has(&s, "1700000000000-0"));
	assert_true(strset_has(&s, "1700000000000-1"));
	assert_false(strset_del(&s, "1700000000000-0"));
	assert_false(strset_del(&s, "never-added"));
	assert_int_equal(s.count, 2);
	strset_free(&s);
}

static void
test_duplicates_rejected(void **state)
{
	struct strset s;
	char key[32];

	(void)state;
	strset_init(&s);
	assert_true(strset_add(&s, "a"));
	assert_false(strset_add(&s, "a"));
	assert_int_equal(s.count, 1);
	/* The set keeps its own copy: changing the caller's buffer changes nothing. */
	snprintf(key, sizeof key, "%s", "b-1");
	assert_true(strset_add(&s, key));
	key[0] = 'c';
	assert_true(strset_has(&s, "b-1"));
	assert_false(strset_has(&s, key));
	assert_false(strset_add(&s, "b-1"));
	assert_int_equal(s.count, 2);
	strset_free(&s);
}

static void
test_readd_after_delete(void **state)
{
	struct strset s;

	(void)state;
	strset_init(&s);
	assert_true(strset_add(&s, "x"));
	assert_true(strset_del(&s, "x"));
	assert_true(strset_add(&s, "x"));
	assert_true(strset_has(&s, "x"));
	assert_false(strset_add(&s, "x"));
	assert_int_equal(s.count, 1);
	strset_free(&s);
}

static void
test_many_keys(void **state)
{
	struct strset s;
	char key[32];

	(void)state;
	strset_init(&s);
	for (int i = 0; i < MANY; i++) {
		entry_id(key, sizeof key, i);
		if (!strset_add(&s, key))
			fail_msg("key %s refused", key);
	}
	assert_int_equal(s.count, MANY);
	for (int i = 0; i < MANY; i++) {
		entry_id(key, sizeof key, i);
		if (!strset_has(&s, key))
			fail_msg("key %s lost", key);
	}
	for (int i = 0; i < MANY; i += 2) {
		entry_id(key, sizeof key, i);
		assert_true(strset_del(&s, key));
	}
	assert_int_equal(s.count, MANY / 2);
	for (int i = 0; i < MANY; i++) {
		entry_id(key, sizeof key, i);
		if (strset_has(&s, key) != (i % 2 == 1))
			fail_msg("key %s: has=%d after deleting the even ones", key, !(i % 2 == 1));
	}
	for (int i = 0; i < MANY; i++) {
		entry_id(key, sizeof key, i);
		if (strset_add(&s, key) != (i % 2 == 0))
			fail_msg("key %s: re-add answered wrong", key);
	}
	assert_int_equal(s.count, MANY);
	strset_free(&s);
}

/* Claim, ack, claim, ack: tombstones must not fill the table. */
static void
test_churn(void **state)
{
	struct strset s;
	char key[32];

	(void)state;
	strset_init(&s);
	for (int i = 0; i < 4 * MANY; i++) {
		entry_id(key, sizeof key, i);
		assert_true(strset_add(&s, key));
		if (i >= 8) {
			entry_id(key, sizeof key, i - 8);
			assert_true(strset_del(&s, key));
		}
	}
	assert_int_equal(s.count, 8);
	assert_true(s.cap <= 64);
	entry_id(key, sizeof key, 4 * MANY - 1);
	assert_true(strset_has(&s, key));
	entry_id(key, sizeof key, 4 * MANY - 9);
	assert_false(strset_has(&s, key));
	strset_free(&s);
}

/* Holds window keys at a time, as the outbox does with claimed ids; 0 when all went right. */
static int
churn_window(int window, int rounds)
{
	struct strset s;
	char key[32];

	strset_init(&s);
	for (int i = 0; i < rounds; i++) {
		entry_id(key, sizeof key, i);
		if (!strset_add(&s, key))
			return 1;
		if ((s.cap & (s.cap - 1)) != 0)
			return 2;
		if (i >= window) {
			entry_id(key, sizeof key, i - window);
			if (!strset_del(&s, key) || strset_has(&s, key))
				return 3;
		}
	}
	if (s.count != (size_t)(rounds < window ? rounds : window))
		return 4;
	strset_free(&s);
	return 0;
}

/*
 * Run in a child with an alarm: a table whose probe sequence never reaches
 * an empty slot loops for ever, and that must fail the test, not hang it.
 */
static void
test_churn_any_window(void **state)
{
	static const int windows[] = { 1, 5, 9, 15, 100, 1000 };
	int status;
	pid_t pid;

	(void)state;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		alarm(20);
		for (size_t i = 0; i < sizeof windows / sizeof windows[0]; i++) {
			int rc = churn_window(windows[i], 20000);

			if (rc != 0) {
				fprintf(stderr, "churn window %d: check %d failed\n", windows[i], rc);
				_exit(rc);
			}
		}
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	/*
	 * Regression: strset_add() used to rehash to count * 4 slots, not a
	 * power of two once keys had been deleted (count 5 -> 20 slots) while
	 * every index is masked with cap - 1, so probing cycled through a few
	 * slots and strset_add()/strset_has() looped for ever. The outbox keeps
	 * its held ids in a strset: the gateway would hang.
	 */
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM)
		fail_msg("strset hung under churn (probe cycle without an empty slot)");
	if (WIFSIGNALED(status))
		fail_msg("churn child killed by signal %d", WTERMSIG(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void
test_free_and_reuse(void **state)
{
	struct strset s;

	(void)state;
	strset_init(&s);
	assert_true(strset_add(&s, "a"));
	strset_free(&s);
	assert_false(strset_has(&s, "a"));
	assert_true(strset_add(&s, "a"));
	assert_true(strset_has(&s, "a"));
	strset_free(&s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_add_has_del),
		cmocka_unit_test(test_duplicates_rejected),
		cmocka_unit_test(test_readd_after_delete),
		cmocka_unit_test(test_many_keys),
		cmocka_unit_test(test_churn),
		cmocka_unit_test(test_churn_any_window),
		cmocka_unit_test(test_free_and_reuse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
