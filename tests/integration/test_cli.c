/*
 * The command line as an operator meets it: --help and --version answer on
 * stdout and exit 0, --check-config passes a good file and refuses a bad
 * one with the reason (exit 2), without connecting to anything, and an
 * unknown argument is a usage error.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "tests/integration/harness.h"

/* Runs the gateway with args; returns its exit status, its stdout and stderr in out and err (caller frees). */
static int
run(struct harness *h, const char *args, char **out, char **err)
{
	char cmd[2048], path[400];
	int status;
	FILE *f;
	long n;

	snprintf(cmd, sizeof cmd, "%s/amuddu-gateway %s >%s/cli.out 2>%s/cli.err", h->build, args, h->dir, h->dir);
	status = system(cmd);
	for (int i = 0; i < 2; i++) {
		char **dst = i == 0 ? out : err;

		snprintf(path, sizeof path, "%s/cli.%s", h->dir, i == 0 ? "out" : "err");
		f = fopen(path, "r");
		assert_non_null(f);
		fseek(f, 0, SEEK_END);
		n = ftell(f);
		rewind(f);
		*dst = calloc(1, (size_t)n + 1);
		assert_int_equal(fread(*dst, 1, (size_t)n, f), (size_t)n);
		fclose(f);
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void
write_file(struct harness *h, const char *name, const char *text)
{
	char path[400];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", h->dir, name);
	assert_non_null(f = fopen(path, "w"));
	fputs(text, f);
	fclose(f);
}

static void
test_cli(void **state)
{
	struct harness h;
	char *out, *err, args[600];

	(void)state;
	harness_init(&h, "cli");
	assert_int_equal(run(&h, "--help", &out, &err), 0);
	assert_non_null(strstr(out, "usage: amuddu-gateway --config FILE"));
	assert_non_null(strstr(out, "--check-config"));
	assert_string_equal(err, "");
	free(out);
	free(err);
	assert_int_equal(run(&h, "--version", &out, &err), 0);
	assert_int_equal(strncmp(out, "amuddu-gateway ", 15), 0);
	free(out);
	free(err);
	assert_int_equal(run(&h, "--frobnicate", &out, &err), 2);
	assert_non_null(strstr(err, "unknown or incomplete argument '--frobnicate'"));
	free(out);
	free(err);
	assert_int_equal(run(&h, "", &out, &err), 2);
	assert_non_null(strstr(err, "usage"));
	free(out);
	free(err);

	/* A good file: checked without Redis or the provider running. */
	write_file(&h, "good.ini",
	    "[redis]\nurl = redis://127.0.0.1:1/0\n[twilio]\naccount_sid = AC1\nauth_token = t\nfrom = +15005550006\n");
	snprintf(args, sizeof args, "--check-config %s/good.ini", h.dir);
	assert_int_equal(run(&h, args, &out, &err), 0);
	assert_non_null(strstr(out, "configuration passes: sms=twilio whatsapp=none"));
	free(out);
	free(err);
	/* A bad line: the file, the line and the reason. */
	write_file(&h, "bad.ini", "[gateway]\nmax_inflight = lots\n[twilio]\naccount_sid = AC1\n");
	snprintf(args, sizeof args, "--check-config %s/bad.ini", h.dir);
	assert_int_equal(run(&h, args, &out, &err), 2);
	assert_non_null(strstr(err, "bad.ini:2"));
	assert_non_null(strstr(err, "max_inflight"));
	free(out);
	free(err);
	/* What only the provider checks: refused the same way. */
	write_file(&h, "noauth.ini", "[twilio]\naccount_sid = AC1\nfrom = +15005550006\n");
	snprintf(args, sizeof args, "--check-config %s/noauth.ini", h.dir);
	unsetenv("AMUDDU_TWILIO_AUTH_TOKEN");
	assert_int_equal(run(&h, args, &out, &err), 2);
	assert_non_null(strstr(err, "[twilio]"));
	assert_non_null(strstr(err, "auth_token"));
	free(out);
	free(err);
	/* A missing file. */
	snprintf(args, sizeof args, "--check-config %s/none.ini", h.dir);
	assert_int_equal(run(&h, args, &out, &err), 2);
	assert_non_null(strstr(err, "none.ini"));
	free(out);
	free(err);
	harness_cleanup(&h);
}

/*
 * Zone data from before Morocco's 2026-09-20 change (compiled here with
 * zic): the gateway refuses it with the reason, or runs on it when told to
 * and says so on /readyz.
 */
static void
test_stale_zone_data(void **state)
{
	struct harness *h = calloc(1, sizeof *h);
	struct harness_http hc = { 0 };
	char *out, *err, *body = NULL, args[600], cmd[1200];

	(void)state;
	assert_non_null(h);
	harness_init(h, "cli-tz");
	write_file(h, "africa", "Zone Africa/Casablanca 0:00 - +00 2018 Oct 28 3:00\n\t1:00 - +01\n");
	snprintf(cmd, sizeof cmd, "PATH=$PATH:/usr/sbin zic -d %s/tz %s/africa", h->dir, h->dir);
	assert_int_equal(system(cmd), 0);
	write_file(h, "stale.ini",
	    "[redis]\nurl = redis://127.0.0.1:1/0\n[twilio]\naccount_sid = AC1\nauth_token = t\nfrom = +15005550006\n");
	snprintf(args, sizeof args, "--check-config %s/stale.ini", h->dir);
	snprintf(cmd, sizeof cmd, "%s/tz", h->dir);
	setenv("TZDIR", cmd, 1);
	assert_int_equal(run(h, args, &out, &err), 2);
	assert_non_null(strstr(err, "UTC+1:00 on 2026-12-01"));
	assert_non_null(strstr(err, "install tzdata 2026c or later"));
	free(out);
	free(err);
	write_file(h, "allowed.ini",
	    "[redis]\nurl = redis://127.0.0.1:1/0\n[twilio]\naccount_sid = AC1\nauth_token = t\nfrom = +15005550006\n"
	    "[time]\nallow_stale_tzdata = yes\n");
	snprintf(args, sizeof args, "--check-config %s/allowed.ini", h->dir);
	assert_int_equal(run(h, args, &out, &err), 0);
	assert_non_null(strstr(err, "warning"));
	free(out);
	free(err);
	/* Running on it: ready, and /readyz says what is off. */
	harness_redis_start(h, false);
	harness_sandbox_start(h, NULL);
	harness_gateway_config(h, 0, "[time]\nallow_stale_tzdata = yes\n");
	harness_gateway_start(h);
	harness_gateway_wait_http(h);
	assert_int_equal(harness_request(&hc, harness_gateway_port(h), "GET", "/readyz", NULL, NULL, 0, &body), 200);
	assert_non_null(strstr(body, "ready; warning:"));
	assert_non_null(strstr(body, "allow_stale_tzdata"));
	free(body);
	harness_http_close(&hc);
	unsetenv("TZDIR");
	assert_int_equal(harness_finish(h, 10000), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cli),
		cmocka_unit_test(test_stale_zone_data),
	};

	return cmocka_run_group_tests_name("cli", tests, NULL, NULL);
}
