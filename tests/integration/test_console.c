/*
 * The web console in a real browser: Debian's Chromium, driven by
 * tests/browser/console.test.mjs (playwright-core, axe-core), against a
 * real gateway, Redis and the sandbox provider. This file sets the stage:
 * a named login and the role tokens, a seeded scenario (six people
 * imported, a three-locale campaign delivered to the five with consent,
 * two of them writing back, one in Arabic script, one STOP), the
 * scenario's numbers checked here against what was done, then written
 * for the browser test to find in the dashboard. Screenshots are kept in
 * $(BUILD)/artefacts/console/.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <limits.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/integration/harness.h"

#define AGENT "Bearer " HARNESS_AGENT_SECRET
#define MONITORING "Bearer " HARNESS_MONITORING_SECRET
#define LOGIN "amina"
#define PASSWORD "Tanger-Rabat-2026"
#define CAMPAIGN_NAME "Formation électricité Salé"
#define ARABIC_QUESTION "السلام عليكم، واش ممكن نجي عندكم غدا مع 10 ديال الصباح؟"

static struct harness *H;
static char campaign[64];

static long
api(const char *method, const char *path, const char *auth, const char *body, json_t **answer)
{
	return harness_api(H->gateway_port, method, path, auth, body != NULL ? "application/json" : NULL, body,
	    body != NULL ? strlen(body) : 0, NULL, answer);
}

/* The sandbox posts what a person writes, by SMS through Twilio; waits until the gateway has it. */
static void
say(const char *number, const char *text)
{
	json_t *j = json_pack("{s:s, s:s, s:s}", "channel", "sms", "from", number, "text", text);
	struct harness_http hc = { 0 };
	const char *hdr[] = { "Content-Type: application/json", NULL };
	char *body = json_dumps(j, JSON_COMPACT);
	long long inbound = harness_hget_ll(H, HARNESS_PREFIX "stats", "inbound");

	assert_int_equal(
	    harness_request(&hc, H->sandbox_port, "POST", "/sandbox/inbound", hdr, body, strlen(body), NULL), 202);
	harness_http_close(&hc);
	free(body);
	json_decref(j);
	for (int i = 0; i < 200 && harness_hget_ll(H, HARNESS_PREFIX "stats", "inbound") == inbound; i++)
		harness_sleep_ms(50);
	harness_sleep_ms(500);
}

static void
seed(void)
{
	static const char csv[] = "téléphone;nom;prénom;langue;ville;sexe;consentement;tags\n"
				  "0612000001;Diallo;Aminata;fr;Rabat;f;oui;seed\n"
				  "0612000002;Traoré;Moussa;fr;Salé;m;oui;seed\n"
				  "0612000003;Sow;Fatou;ar;Rabat;f;oui;seed\n"
				  "0612000004;Keita;Ibrahim;ary-Latn;Casablanca;m;oui;seed\n"
				  "0612000005;Coulibaly;Mariam;fr;Salé;f;oui;seed\n"
				  "0612000006;Mbala;Jean;fr;Rabat;m;non;seed\n";
	char body[2048], at[40], path[128];
	json_t *ans = NULL;
	time_t t = time(NULL);
	struct tm tm;

	assert_int_equal(harness_api(H->gateway_port, "POST", "/v1/contacts/import", AGENT, "text/csv", csv,
			     strlen(csv), NULL, &ans),
	    200);
	assert_int_equal(json_integer_value(json_object_get(ans, "created")), 6);
	json_decref(ans);
	{
		struct harness_http hc = { 0 };
		static const char form[] = "callbacks=delivered";

		/* Every message the sandbox takes is reported delivered, the browser's campaign's too. */
		assert_int_equal(
		    harness_request(&hc, H->sandbox_port, "POST", "/sandbox/config", NULL, form, strlen(form), NULL), 200);
		harness_http_close(&hc);
	}
	gmtime_r(&t, &tm);
	strftime(at, sizeof at, "%Y-%m-%dT%H:%M:%SZ", &tm);
	snprintf(body, sizeof body,
	    "{\"name\": \"" CAMPAIGN_NAME "\", \"kind\": \"training_offer\", \"audience\": {\"tags_any\": [\"seed\"]}, "
	    "\"texts\": {\"fr\": \"Bonjour {first_name}, formation gratuite en électricité à Salé.\", "
	    "\"ar\": \"مرحبا {first_name}، تكوين مجاني في الكهرباء بسلا\", "
	    "\"ary-Latn\": \"Salam {first_name}, formation f l'électricité f Salé, blash.\"}, "
	    "\"start_at\": \"%s\", \"channel\": \"sms\"}",
	    at);
	assert_int_equal(api("POST", "/v1/campaigns", AGENT, body, &ans), 201);
	snprintf(campaign, sizeof campaign, "%s", json_string_value(json_object_get(ans, "id")));
	json_decref(ans);
	snprintf(path, sizeof path, "/v1/campaigns/%s/schedule", campaign);
	assert_int_equal(api("POST", path, AGENT, NULL, &ans), 200);
	json_decref(ans);
	assert_int_equal(harness_wait_log(H, "delivered", 5, 30000), 5);
	/* Fatou asks in Arabic script, Ibrahim in Arabizi: conversations for an agent. Mariam stops. */
	say("+212612000003", ARABIC_QUESTION);
	say("+212612000004", "salam, wach momkin nji 3ndkom ghedda m3a 10h?");
	say("+212612000005", "STOP");
}

/* GET path as monitoring: the answer (the caller frees). */
static json_t *
reach(const char *query)
{
	char path[300];
	json_t *ans = NULL;

	snprintf(path, sizeof path, "/v1/reach?%s", query);
	assert_int_equal(api("GET", path, MONITORING, NULL, &ans), 200);
	return ans;
}

/* The count of indicator in the row of by whose value is v. */
static long long
cell(json_t *r, const char *by, const char *v, const char *indicator)
{
	size_t i;
	json_t *row;

	json_array_foreach(
	    json_object_get(r, "rows"), i, row) if (strcmp(json_string_value(json_object_get(row, by)), v) ==
	    0) return json_integer_value(json_object_get(row, indicator));
	return -1;
}

/* The scenario's numbers, as what was done says they must be, then written for the browser test. */
static void
expectations(const char *file)
{
	json_t *e = json_object(), *r = json_object(), *ans = NULL, *inbox = json_array(), *conv;
	static const char *const dims[] = { "period", "kind", "sex", "city", "locale" };
	char q[256], path[160];
	size_t i;

	for (size_t d = 0; d < sizeof dims / sizeof dims[0]; d++) {
		snprintf(q, sizeof q, "by=%s", dims[d]);
		json_object_set_new(r, dims[d], reach(q));
	}
	ans = json_object_get(r, "sex");
	assert_int_equal(cell(ans, "sex", "female", "sent"), 3);
	assert_int_equal(cell(ans, "sex", "male", "sent"), 2);
	assert_int_equal(cell(ans, "sex", "female", "reached"), 3);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(ans, "totals"), "replied")), 3);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(ans, "totals"), "opted_out")), 1);
	ans = json_object_get(r, "city");
	assert_int_equal(cell(ans, "city", "Rabat", "delivered"), 2);
	assert_int_equal(cell(ans, "city", "Salé", "delivered"), 2);
	ans = json_object_get(r, "locale");
	assert_int_equal(cell(ans, "locale", "fr", "sent"), 3);
	assert_int_equal(cell(ans, "locale", "ar", "sent"), 1);
	json_object_set_new(e, "from", json_copy(json_object_get(json_object_get(r, "period"), "from")));
	json_object_set_new(e, "to", json_copy(json_object_get(json_object_get(r, "period"), "to")));
	json_object_set_new(e, "campaign", json_pack("{s:s, s:s}", "id", campaign, "name", CAMPAIGN_NAME));
	json_object_set_new(e, "reach", r);
	snprintf(path, sizeof path, "/v1/reach/funnel?campaign=%s", campaign);
	assert_int_equal(api("GET", path, MONITORING, NULL, &ans), 200);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(ans, "audience"), "recipients")), 5);
	json_object_set_new(e, "funnel", ans);
	assert_int_equal(api("GET", "/v1/inbox", AGENT, NULL, &ans), 200);
	json_array_foreach(json_object_get(ans, "conversations"), i, conv)
	{
		json_t *thread = NULL;

		snprintf(path, sizeof path, "/v1/inbox/%s", json_string_value(json_object_get(conv, "id")));
		assert_int_equal(api("GET", path, AGENT, NULL, &thread), 200);
		json_array_append_new(inbox,
		    json_pack("{s:O, s:O}", "id", json_object_get(conv, "id"), "text",
			json_object_get(json_array_get(json_object_get(thread, "messages"), 0), "text")));
		json_decref(thread);
	}
	json_decref(ans);
	assert_int_equal(json_array_size(inbox), 2);
	json_object_set_new(e, "inbox", inbox);
	assert_int_equal(json_dump_file(e, file, JSON_INDENT(1)), 0);
	json_decref(e);
}

static int
setup(void **state)
{
	unsigned char salt[16] = "amuddu-console-t", hash[32];
	char extra[8192], hex[65], saltx[33], cwd[2048];

	/* The login's hash made here with OpenSSL, not by the gateway's code. */
	PKCS5_PBKDF2_HMAC(PASSWORD, (int)strlen(PASSWORD), salt, sizeof salt, 10000, EVP_sha256(), sizeof hash, hash);
	for (size_t i = 0; i < sizeof hash; i++)
		snprintf(hex + 2 * i, 3, "%02x", hash[i]);
	for (size_t i = 0; i < sizeof salt; i++)
		snprintf(saltx + 2 * i, 3, "%02x", salt[i]);
	assert_non_null(getcwd(cwd, sizeof cwd));
	H = calloc(1, sizeof *H);
	harness_init(H, "console");
	harness_redis_start(H, false);
	{
		char tw[160];
		const char *args[] = { "--twilio-inbound", tw, NULL };

		snprintf(tw, sizeof tw, "http://127.0.0.1:%d/webhooks/twilio/inbound", harness_gateway_port(H));
		harness_sandbox_start(H, args);
	}
	snprintf(extra, sizeof extra,
	    "[console]\ndir = %s/gateway/console\nlogin." LOGIN " = agent pbkdf2-sha256:10000:%s:%s\n"
	    "[replies]\nenabled = yes\nagent_hours = off\n[prices]\nsms_segment = 0.35\n",
	    cwd, saltx, hex);
	harness_api_section(extra, sizeof extra);
	harness_gateway_config(H, 0, extra);
	harness_gateway_start(H);
	harness_gateway_wait_http(H);
	seed();
	*state = H;
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	return harness_finish(H, 15000);
}

/* Runs the browser test with the stage's addresses and secrets; its exit status. */
static int
browser(const char *expect, const char *artefacts)
{
	char url[64], deps[PATH_MAX + 20], cwd[PATH_MAX];
	pid_t pid;
	int status;

	assert_non_null(getcwd(cwd, sizeof cwd));
	snprintf(url, sizeof url, "http://127.0.0.1:%d", H->gateway_port);
	snprintf(deps, sizeof deps, "%s/.deps/browser", cwd);
	fflush(NULL);
	if ((pid = fork()) == 0) {
		setenv("AMUDDU_URL", url, 1);
		setenv("AMUDDU_EXPECT", expect, 1);
		setenv("AMUDDU_ARTEFACTS", artefacts, 1);
		setenv("AMUDDU_AGENT_LOGIN", LOGIN, 1);
		setenv("AMUDDU_AGENT_PASSWORD", PASSWORD, 1);
		setenv("AMUDDU_AGENT_TOKEN", HARNESS_AGENT_SECRET, 1);
		setenv("AMUDDU_MONITORING_TOKEN", HARNESS_MONITORING_SECRET, 1);
		setenv("AMUDDU_ADMIN_TOKEN", HARNESS_ADMIN_SECRET, 1);
		if (getenv("AMUDDU_BROWSER_DEPS") == NULL)
			setenv("AMUDDU_BROWSER_DEPS", deps, 1);
		if (getenv("CHROMIUM") == NULL)
			setenv("CHROMIUM", "/usr/bin/chromium", 1);
		execlp("node", "node", "tests/browser/console.test.mjs", (char *)NULL);
		_exit(127);
	}
	assert_true(pid > 0);
	status = harness_pid_wait(H, pid, 600000);
	return status;
}

static void
test_console_in_a_browser(void **state)
{
	char expect[400], artefacts[400];
	const char *b = getenv("AMUDDU_BUILD_DIR");

	(void)state;
	snprintf(expect, sizeof expect, "%s/expect.json", H->dir);
	expectations(expect);
	snprintf(artefacts, sizeof artefacts, "%s/artefacts/console", b != NULL ? b : "build/default");
	{
		char cmd[500];

		snprintf(cmd, sizeof cmd, "mkdir -p '%s'", artefacts);
		assert_int_equal(system(cmd), 0);
	}
	assert_int_equal(browser(expect, artefacts), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_console_in_a_browser),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
