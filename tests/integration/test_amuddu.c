/*
 * The amuddu tool as an agent meets it, against a running gateway: the
 * URL and token from the environment, readable answers by default and the
 * API's JSON with --json, --help for each command, and the documented
 * exit codes for a refusal, a bad command line, a missing or wrong token,
 * and a gateway that is not there.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "tests/integration/harness.h"

struct run {
	int code;
	char *out, *err;
};

static char *slurp(const char *path);
static struct run amuddu(struct harness *h, const char *token, const char *args);
static void run_free(struct run *r);

static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *s;
	long n;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	s = calloc(1, (size_t)n + 1);
	assert_int_equal(fread(s, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	return s;
}

/* Runs amuddu with args (shell words) and AMUDDU_TOKEN=token (unset when NULL). */
static struct run
amuddu(struct harness *h, const char *token, const char *args)
{
	char cmd[2048], path[400];
	struct run r;
	int status;

	snprintf(cmd, sizeof cmd, "%s AMUDDU_URL=http://127.0.0.1:%d %s%s %s/amuddu %s >%s/amuddu.out 2>%s/amuddu.err",
	    token != NULL ? "env" : "env -u AMUDDU_TOKEN", harness_gateway_port(h),
	    token != NULL ? "AMUDDU_TOKEN=" : "", token != NULL ? token : "", h->build, args, h->dir, h->dir);
	status = system(cmd);
	r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	snprintf(path, sizeof path, "%s/amuddu.out", h->dir);
	r.out = slurp(path);
	snprintf(path, sizeof path, "%s/amuddu.err", h->dir);
	r.err = slurp(path);
	return r;
}

static void
run_free(struct run *r)
{
	free(r->out);
	free(r->err);
}

static int
setup(void **state)
{
	*state = harness_api_new("amuddu", NULL);
	return 0;
}

static void
test_help_and_usage(void **state)
{
	struct harness *h = *state;
	struct run r;

	r = amuddu(h, NULL, "--help");
	assert_int_equal(r.code, 0);
	assert_non_null(strstr(r.out, "usage: amuddu [--json] COMMAND"));
	assert_non_null(strstr(r.out, "segments"));
	assert_non_null(strstr(r.out, "exit codes"));
	run_free(&r);
	r = amuddu(h, NULL, "segments --help");
	assert_int_equal(r.code, 0);
	assert_non_null(strstr(r.out, "usage: amuddu [--json] segments TEXT"));
	run_free(&r);
	r = amuddu(h, NULL, "--version");
	assert_int_equal(r.code, 0);
	assert_int_equal(strncmp(r.out, "amuddu ", 7), 0);
	run_free(&r);
	r = amuddu(h, HARNESS_AGENT_SECRET, "frobnicate");
	assert_int_equal(r.code, 2);
	assert_non_null(strstr(r.err, "unknown command 'frobnicate'"));
	run_free(&r);
	r = amuddu(h, HARNESS_AGENT_SECRET, "segments");
	assert_int_equal(r.code, 2);
	assert_non_null(strstr(r.err, "segments takes one TEXT"));
	run_free(&r);
}

static void
test_segments(void **state)
{
	struct harness *h = *state;
	struct run r;
	json_t *j;

	r = amuddu(h, HARNESS_AGENT_SECRET, "segments 'Bientôt : la leçon'");
	assert_int_equal(r.code, 0);
	assert_non_null(strstr(r.out, "as written    UCS-2, 1 SMS part (18 UCS-2 units, 70 per part)"));
	assert_non_null(strstr(r.out, "ô (U+00F4) x1 -> \"o\""));
	assert_non_null(strstr(r.out, "substituted   GSM-7, 1 SMS part (18 septets, 160 per part)"));
	assert_non_null(strstr(r.out, "Bientot : la lecon"));
	run_free(&r);
	r = amuddu(h, HARNESS_AGENT_SECRET, "--json segments -- '--not an option'");
	assert_int_equal(r.code, 0);
	j = json_loads(r.out, 0, NULL);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "encoding")), "gsm7");
	assert_int_equal(json_integer_value(json_object_get(j, "units")), 15);
	json_decref(j);
	run_free(&r);
}

static void
test_exit_codes(void **state)
{
	struct harness *h = *state;
	struct run r;

	r = amuddu(h, NULL, "segments x");
	assert_int_equal(r.code, 3);
	assert_non_null(strstr(r.err, "set AMUDDU_TOKEN"));
	run_free(&r);
	r = amuddu(h, "not-a-token", "segments x");
	assert_int_equal(r.code, 3);
	assert_non_null(strstr(r.err, "refused (HTTP 401)"));
	run_free(&r);
	r = amuddu(h, HARNESS_MONITORING_SECRET, "segments x");
	assert_int_equal(r.code, 3);
	assert_non_null(strstr(r.err, "refused (HTTP 403): the monitoring role may not do this"));
	run_free(&r);
	/* The secret never shows. */
	assert_null(strstr(r.out, HARNESS_MONITORING_SECRET));
	r = amuddu(h, HARNESS_AGENT_SECRET, "segments $(printf '\\303\\050')");
	assert_int_equal(r.code, 2);
	assert_non_null(strstr(r.err, "not valid UTF-8"));
	run_free(&r);
	/* No gateway there. */
	{
		char cmd[1024];
		int status;

		snprintf(cmd, sizeof cmd,
		    "AMUDDU_URL=http://127.0.0.1:%d AMUDDU_TOKEN=x %s/amuddu segments x 2>%s/e.txt",
		    harness_free_port(), h->build, h->dir);
		status = system(cmd);
		assert_int_equal(WEXITSTATUS(status), 4);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_help_and_usage),
		cmocka_unit_test(test_segments),
		cmocka_unit_test(test_exit_codes),
	};

	return cmocka_run_group_tests_name("amuddu", tests, setup, harness_teardown);
}
