/*
 * The amuddu tool as an agent meets it, against a running gateway: the
 * URL and token from the environment, readable answers by default and the
 * API's JSON with --json, --help for each command, and the documented
 * exit codes for a refusal, a bad command line, a missing or wrong token,
 * and a gateway that is not there; and keywords test, which needs none.
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
	assert_non_null(strstr(r.out, "keywords test"));
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
	/* The secret never shows. */
	assert_null(strstr(r.out, HARNESS_MONITORING_SECRET));
	assert_null(strstr(r.err, HARNESS_MONITORING_SECRET));
	run_free(&r);
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

/*
 * keywords test works here, with no token and no gateway, on the catalogs
 * it is given: the JSON as documented, the readable form, and a catalog
 * that is not right named with its file and line (exit 1).
 */
static void
test_keywords(void **state)
{
	struct harness *h = *state;
	char dir[400], path[500], args[800];
	struct run r;
	json_t *j;
	FILE *f;

	r = amuddu(h, NULL, "--json keywords test 'STOP svp'");
	assert_int_equal(r.code, 0);
	assert_string_equal(r.out, "{\"topic\": \"stop\", \"locale\": \"fr\", \"normalised\": \"stop svp\"}\n");
	run_free(&r);
	r = amuddu(h, NULL, "keywords test --json 'وَقِّف من فضلك 🙏'");
	assert_int_equal(r.code, 0);
	j = json_loads(r.out, 0, NULL);
	assert_non_null(j);
	assert_int_equal(json_object_size(j), 3);
	assert_string_equal(json_string_value(json_object_get(j, "topic")), "stop");
	assert_string_equal(json_string_value(json_object_get(j, "locale")), "ar");
	assert_string_equal(json_string_value(json_object_get(j, "normalised")), "وقف من فضلك");
	json_decref(j);
	run_free(&r);
	r = amuddu(h, NULL, "--json keywords test ' ٢. '");
	assert_int_equal(r.code, 0);
	assert_string_equal(r.out, "{\"topic\": \"none\", \"locale\": null, \"normalised\": \"2\"}\n");
	run_free(&r);
	r = amuddu(h, NULL, "keywords test --locale fr 'bghit 5edma'");
	assert_int_equal(r.code, 0);
	assert_non_null(strstr(r.out, "topic       employment\n"));
	assert_non_null(strstr(r.out, "locale      ary-Latn\n"));
	assert_non_null(strstr(r.out, "keyword     khedma\n"));
	run_free(&r);
	r = amuddu(h, NULL, "keywords test");
	assert_int_equal(r.code, 2);
	assert_non_null(strstr(r.err, "keywords test takes one TEXT"));
	run_free(&r);

	/* A translator's edit gone wrong, read from --locales and from AMUDDU_LOCALES. */
	snprintf(dir, sizeof dir, "%s/po", h->dir);
	snprintf(path, sizeof path, "mkdir -p %s", dir);
	assert_int_equal(system(path), 0);
	snprintf(path, sizeof path, "%s/fr.po", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("msgid \"keywords.menu\"\nmsgstr \"menu\"\n\nmsgid \"keywords.stop\"\nmsgstr \"stop||arret\"\n", f);
	fclose(f);
	snprintf(args, sizeof args, "keywords test --locales %s stop", dir);
	r = amuddu(h, NULL, args);
	assert_int_equal(r.code, 1);
	assert_non_null(strstr(r.err, "/po/fr.po line 4: keywords.stop: alternative 2 is empty"));
	assert_string_equal(r.out, "");
	run_free(&r);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("msgid \"keywords.stop\"\nmsgstr \"stop\n", f);
	fclose(f);
	setenv("AMUDDU_LOCALES", dir, 1);
	r = amuddu(h, NULL, "keywords test stop");
	unsetenv("AMUDDU_LOCALES");
	assert_int_equal(r.code, 1);
	assert_non_null(strstr(r.err, "/po/fr.po: line 2: not PO"));
	run_free(&r);
}

/* An agent's whole job from the terminal: import, look, change consent, a campaign, a message. */
static void
test_agent_workflow(void **state)
{
	struct harness *h = *state;
	char path[400], args[800], id[64] = "";
	struct run r;
	FILE *f;
	json_t *j;

	snprintf(path, sizeof path, "%s/people.csv", h->dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("nom;téléphone;langue;ville;consentement\r\nAïcha;0612000001;fr;Rabat;oui\r\nOmar;0612000002;ar;Rabat;"
	      "oui\r\n"
	      "Bad;0812000003;fr;Rabat;oui\r\n",
	    f);
	fclose(f);
	/* All or nothing: the bad row is named and nothing is written (exit 1). */
	snprintf(args, sizeof args, "contacts import %s", path);
	r = amuddu(h, HARNESS_AGENT_SECRET, args);
	assert_int_equal(r.code, 1);
	assert_non_null(strstr(r.out, "line 4, téléphone: not a phone number"));
	assert_non_null(strstr(r.err, "refused (HTTP 422)"));
	run_free(&r);
	snprintf(args, sizeof args, "contacts import %s --valid", path);
	r = amuddu(h, HARNESS_AGENT_SECRET, args);
	assert_int_equal(r.code, 0);
	assert_non_null(strstr(r.out, "3 rows: 2 created, 0 updated, 0 unchanged, 1 refused"));
	run_free(&r);
	r = amuddu(h, HARNESS_AGENT_SECRET, "--json contacts list");
	assert_int_equal(r.code, 0);
	j = json_loads(r.out, JSON_DISABLE_EOF_CHECK, NULL);
	assert_non_null(j);
	snprintf(id, sizeof id, "%s", json_string_value(json_object_get(j, "id")));
	json_decref(j);
	run_free(&r);
	r = amuddu(h, HARNESS_AGENT_SECRET, "contacts list");
	assert_non_null(strstr(r.out, "+2126******01"));
	run_free(&r);
	/* Searched and filtered: a list option given twice is either value. */
	r = amuddu(h, HARNESS_AGENT_SECRET, "contacts list --q OMAR --city Salé --city rabat --consent yes");
	assert_int_equal(r.code, 0);
	assert_non_null(strstr(r.out, "+2126******02"));
	assert_null(strstr(r.out, "+2126******01"));
	run_free(&r);
	r = amuddu(h, HARNESS_AGENT_SECRET, "contacts list --locale de");
	assert_int_equal(r.code, 1);
	assert_non_null(strstr(r.err, "'de' is not a language"));
	run_free(&r);
	snprintf(args, sizeof args, "contacts set %s consent=no city=Salé", id);
	r = amuddu(h, HARNESS_AGENT_SECRET, args);
	assert_int_equal(r.code, 0);
	assert_non_null(strstr(r.out, "consent no "));
	run_free(&r);
	/* Export and erasure are the admin's. */
	r = amuddu(h, HARNESS_AGENT_SECRET, "contacts export");
	assert_int_equal(r.code, 3);
	run_free(&r);
	r = amuddu(h, HARNESS_ADMIN_SECRET, "contacts export");
	assert_int_equal(r.code, 0);
	assert_non_null(strstr(r.out, "+212612000002"));
	run_free(&r);
	/* A campaign: created, previewed, scheduled, watched to its end. */
	r = amuddu(h, HARNESS_AGENT_SECRET,
	    "--json campaign create --name 'Covid Rabat' --kind covid_info --text 'fr=Bonjour {first_name}' "
	    "--text 'ar=مرحبا {first_name}' --start 2026-01-01T09:00 --city Rabat --via sms");
	assert_int_equal(r.code, 0);
	j = json_loads(r.out, 0, NULL);
	assert_non_null(j);
	snprintf(id, sizeof id, "%s", json_string_value(json_object_get(j, "id")));
	json_decref(j);
	run_free(&r);
	snprintf(args, sizeof args, "campaign preview %s", id);
	r = amuddu(h, HARNESS_AGENT_SECRET, args);
	assert_int_equal(r.code, 0);
	assert_non_null(strstr(r.out, "recipients  1"));
	run_free(&r);
	snprintf(args, sizeof args, "campaign schedule %s", id);
	r = amuddu(h, HARNESS_AGENT_SECRET, args);
	assert_int_equal(r.code, 0);
	run_free(&r);
	snprintf(args, sizeof args, "campaign status %s --watch", id);
	r = amuddu(h, HARNESS_AGENT_SECRET, args);
	assert_int_equal(r.code, 0);
	assert_non_null(strstr(r.out, "[done]"));
	assert_non_null(strstr(r.out, "sent 1 "));
	run_free(&r);
	snprintf(args, sizeof args, "campaign resume %s", id);
	r = amuddu(h, HARNESS_AGENT_SECRET, args);
	assert_int_equal(r.code, 1);
	assert_non_null(strstr(r.err, "a done campaign cannot be resumed"));
	run_free(&r);
	r = amuddu(h, HARNESS_AGENT_SECRET, "send --to '06 12 00 00 09' --text 'Votre rendez-vous est confirmé'");
	assert_int_equal(r.code, 0);
	assert_non_null(strstr(r.out, " queued"));
	run_free(&r);
	/* Without --text, the standard texts of the kind, in the five locales. */
	r = amuddu(h, HARNESS_AGENT_SECRET,
	    "--json campaign create --name 'Semaine des migrants' --kind event --var centre=Rabat --var date=18/12 "
	    "--var link=https://x.ma --start 2026-12-18T10:00 --city Rabat");
	assert_int_equal(r.code, 0);
	j = json_loads(r.out, 0, NULL);
	assert_non_null(j);
	assert_int_equal(json_object_size(json_object_get(j, "texts")), 5);
	json_decref(j);
	run_free(&r);
	r = amuddu(h, HARNESS_AGENT_SECRET, "campaign --help");
	assert_int_equal(r.code, 0);
	run_free(&r);
}

/* The gateway's peak resident memory, in kB (VmHWM). */
static long
peak_kb(pid_t pid)
{
	char path[64], line[256];
	long kb = -1;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof line, f) != NULL)
		if (strncmp(line, "VmHWM:", 6) == 0)
			kb = atol(line + 6);
	fclose(f);
	return kb;
}

/*
 * Files larger than a request takes go in parts, cut between rows: line
 * numbers stay those of the whole file, one refused row still refuses all
 * of it, and a 50 MB file goes in without the gateway's memory growing
 * with it.
 */
static void
test_large_imports(void **state)
{
	struct harness *h = *state;
	char path[400], args[800];
	long before, after;
	struct run r;
	FILE *f;

	/* 3,000 rows in parts of 4 KiB, a bad number on line 2,501 and a quoted new line before it. */
	snprintf(path, sizeof path, "%s/many.csv", h->dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("phone,name,notes\n", f);
	for (int i = 0; i < 3000; i++)
		fprintf(f, "06130%05d,N%d,%s\n", i, i, i == 1000 ? "\"two\nlines\"" : i == 2498 ? "x" : "ok");
	fclose(f);
	/* Row i is on line i + 2, one more after the quoted new line; the bad one replaces row 2,499. */
	{
		char cmd[1200];

		snprintf(cmd, sizeof cmd, "sed -i '2501s/^0613002498/0813002498/' %s", path);
		assert_int_equal(system(cmd), 0);
	}
	snprintf(args, sizeof args, "contacts import %s", path);
	setenv("AMUDDU_IMPORT_PART_BYTES", "4096", 1);
	r = amuddu(h, HARNESS_AGENT_SECRET, args);
	assert_int_equal(r.code, 1);
	assert_non_null(strstr(r.out, "3000 rows: 2999 created"));
	assert_non_null(strstr(r.out, "line 2501, phone: not a phone number"));
	run_free(&r);
	snprintf(args, sizeof args, "contacts import %s --valid", path);
	r = amuddu(h, HARNESS_AGENT_SECRET, args);
	assert_int_equal(r.code, 0);
	assert_non_null(strstr(r.out, "3000 rows: 2999 created, 0 updated, 0 unchanged, 1 refused"));
	run_free(&r);
	unsetenv("AMUDDU_IMPORT_PART_BYTES");
	/* 50 MB: 50,000 people with a long note each. */
	snprintf(path, sizeof path, "%s/big.csv", h->dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("téléphone;nom;notes\r\n", f);
	for (int i = 0; i < 50000; i++) {
		fprintf(f, "07140%05d;Personne %d;", i, i);
		for (int k = 0; k < 110; k++)
			fputs("formation", f);
		fputs(" \r\n", f);
	}
	assert_true(ftell(f) > 50L * 1000 * 1000);
	fclose(f);
	before = peak_kb(h->gateway_pid);
	snprintf(args, sizeof args, "contacts import %s", path);
	r = amuddu(h, HARNESS_AGENT_SECRET, args);
	after = peak_kb(h->gateway_pid);
	assert_int_equal(r.code, 0);
	assert_non_null(strstr(r.out, "50000 rows: 50000 created"));
	run_free(&r);
	print_message("50 MB import: gateway peak RSS %ld kB before, %ld kB after\n", before, after);
	/*
	 * AddressSanitizer keeps freed memory in quarantine, so a sanitizer
	 * build's RSS grows with what was ever allocated; the bound holds for
	 * the plain build, which make test runs.
	 */
	if (strstr(h->build, "/san") == NULL)
		assert_true(after - before < 32 * 1024);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_help_and_usage),
		cmocka_unit_test(test_segments),
		cmocka_unit_test(test_exit_codes),
		cmocka_unit_test(test_keywords),
		cmocka_unit_test(test_agent_workflow),
		cmocka_unit_test(test_large_imports),
	};

	return cmocka_run_group_tests_name("amuddu", tests, setup, harness_teardown);
}
