/*
 * Unit tests for gateway/config.c: defaults, every documented key, the
 * "file:line: reason" errors an operator reads when a file is refused, the
 * checks across keys, and secrets taken from the environment.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gateway/config.h"
#include "handlers/twilio.h"
#include "handlers/whatsapp.h"

#define TWILIO_OK "[twilio]\naccount_sid = AC1\nauth_token = tok\nfrom = +15005550006\n"
#define WHATSAPP_OK "[whatsapp]\nphone_number_id = 1065\ntoken = tok\napp_secret = sec\nverify_token = ver\n"

static const char *const config_env[] = { "AMUDDU_REDIS_URL", "AMUDDU_TWILIO_ACCOUNT_SID", "AMUDDU_TWILIO_AUTH_TOKEN",
	"AMUDDU_PSEUDONYM_KEY", "AMUDDU_WHATSAPP_TOKEN", "AMUDDU_WHATSAPP_APP_SECRET", "AMUDDU_WHATSAPP_VERIFY_TOKEN",
	"AMUDDU_GENERIC_AUTH_HEADER", "AMUDDU_GENERIC_WEBHOOK_SECRET" };

static int clear_env(void **state);
static struct config *load_ok(const char *text);
static void expect_refused(const char *text, const char *name, const char *const *needles);
static void *provider_build(const struct config *c, const struct provider_ops *ops, const struct provider_message *m,
    struct provider_request *req, char *error, size_t errorlen);
static void twilio_body(const char *text, char *out, size_t outlen);
static void test_defaults(void **state);
static void test_every_key(void **state);
static void test_comments_and_blank_lines(void **state);
static void test_load_file(void **state);
static void test_unknown_key(void **state);
static void test_key_in_wrong_section(void **state);
static void test_bad_number(void **state);
static void test_out_of_range(void **state);
static void test_range_bounds_accepted(void **state);
static void test_syntax_error(void **state);
static void test_syntax_error_before_bad_key(void **state);
static void test_first_error_reported(void **state);
static void test_twilio_needs_token(void **state);
static void test_twilio_needs_sender(void **state);
static void test_twilio_base_url_scheme(void **state);
static void test_token_from_environment(void **state);
static void test_token_only_in_environment(void **state);
static void test_empty_environment_ignored(void **state);
static void test_claim_idle_must_exceed_timeouts(void **state);
static void test_cross_key_checks(void **state);
static void test_reach_and_dhis2(void **state);
static void test_small_error_buffer(void **state);
static void test_long_line_not_split(void **state);
static void test_whatsapp_unknown_key(void **state);
static void test_whatsapp_secrets_from_environment(void **state);
static void test_whatsapp_template_keys(void **state);
static void test_whatsapp_invalid_section(void **state);
static void test_generic_invalid_section(void **state);
static void test_sms_provider_must_be_configured(void **state);
static void test_public_url_scheme_and_slash(void **state);
static void test_public_url_default(void **state);
static void test_twilio_status_callback_derived(void **state);

/* The tests must not depend on the environment they are run from. */
static int
clear_env(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof config_env / sizeof config_env[0]; i++)
		unsetenv(config_env[i]);
	return 0;
}

static struct config *
load_ok(const char *text)
{
	char err[256];
	struct config *c;

	err[0] = '\0';
	c = config_load_string(text, "test.ini", err, sizeof err);
	if (c == NULL)
		fail_msg("config refused: %s", err);
	return c;
}

/* Refused, with every needle in the error. */
static void
expect_refused(const char *text, const char *name, const char *const *needles)
{
	char err[256];
	struct config *c;

	err[0] = '\0';
	c = config_load_string(text, name, err, sizeof err);
	if (c != NULL) {
		config_free(c);
		fail_msg("config accepted, expected an error with '%s'", needles[0]);
	}
	for (size_t i = 0; needles[i] != NULL; i++)
		if (strstr(err, needles[i]) == NULL)
			fail_msg("error '%s' does not contain '%s'", err, needles[i]);
}

/*
 * Builds the request for m with the provider made from c's section, as the
 * gateway does. Returns the provider, which owns the headers: the caller
 * destroys it after req.
 */
static void *
provider_build(const struct config *c, const struct provider_ops *ops, const struct provider_message *m,
    struct provider_request *req, char *error, size_t errorlen)
{
	const struct config_provider *cp = config_provider(c, ops->name);
	struct provider_settings ps;
	struct provider_message tm = *m;
	char err[256] = "";
	void *ctx;
	int rc;

	assert_non_null(cp);
	config_provider_settings(c, cp, &ps);
	if ((ctx = ops->create(&ps, err, sizeof err)) == NULL)
		fail_msg("[%s] refused: %s", ops->name, err);
	/* A message with a kind and a locale asks for the template configured for them. */
	if (m->kind != NULL && m->locale != NULL && ops->template_find != NULL)
		assert_non_null(tm.template = ops->template_find(ctx, m->kind, m->locale));
	provider_request_init(req);
	error[0] = '\0';
	if ((rc = ops->build_request(ctx, &tm, req, error, errorlen)) != 0)
		fail_msg("[%s] build_request returned %d: %s", ops->name, rc, error);
	return ctx;
}

/* The Twilio request body for a file, as Twilio would receive it. */
static void
twilio_body(const char *text, char *out, size_t outlen)
{
	struct provider_message m = { .id = "m-1", .to = "+212612345678", .text = "hi" };
	struct provider_request req;
	char error[128];
	struct config *c = load_ok(text);
	void *t = provider_build(c, &twilio_ops, &m, &req, error, sizeof error);

	snprintf(out, outlen, "%s", req.body.data);
	provider_request_free(&req);
	twilio_ops.destroy(t);
	config_free(c);
}

static void
test_defaults(void **state)
{
	struct config *c;

	(void)state;
	c = load_ok("");
	assert_int_equal(c->max_inflight, 512);
	assert_string_equal(c->prefix, "amuddu:");
	assert_string_equal(c->redis_url, "redis://127.0.0.1:6379/0");
	assert_null(config_provider(c, "twilio"));
	assert_string_equal(c->group, "amuddu-gateway");
	assert_string_equal(c->log_level, "info");
	assert_true(strlen(c->consumer) > 0);
	assert_true(c->claim_idle_ms > c->request_timeout_ms + c->connect_timeout_ms);
	assert_null(config_provider_get(c, "twilio", "account_sid"));
	assert_null(config_provider(c, "twilio"));
	/* Kilobytes, as providers' webhooks weigh; 256 connections of that stay near 20 MiB. */
	assert_int_equal(c->http_max_body_bytes, 65536);
	assert_int_equal(c->http_max_connections, 256);
	assert_int_equal(c->http_request_timeout_ms, 10000);
	config_free(c);
}

static void
test_every_key(void **state)
{
	static const char text[] = "[redis]\n"
				   "url = redis://10.0.0.5:6380/2\n"
				   "prefix = test:\n"
				   "log_maxlen = 100000\n"
				   "[http]\n"
				   "max_body_bytes = 32768\n"
				   "max_connections = 1000\n"
				   "request_timeout_ms = 2500\n"
				   "[twilio]\n"
				   "base_url = http://127.0.0.1:8080\n"
				   "account_sid = AC0123\n"
				   "auth_token = tok\n"
				   "from = +15005550006\n"
				   "messaging_service_sid = MG0123\n"
				   "status_callback = https://cb.example/status\n"
				   "[gateway]\n"
				   "max_inflight = 64\n"
				   "consumer = gw-1\n"
				   "group = grp\n"
				   "max_attempts = 5\n"
				   "claim_idle_ms = 90000\n"
				   "retry_base_ms = 500\n"
				   "retry_max_ms = 30000\n"
				   "connect_timeout_ms = 3000\n"
				   "request_timeout_ms = 10000\n"
				   "shutdown_timeout_ms = 5000\n"
				   "message_ttl_s = 3600\n"
				   "max_connections = 16\n"
				   "log_level = debug\n"
				   "pseudonym_key = pk\n";
	struct config *c;

	(void)state;
	c = load_ok(text);
	assert_string_equal(c->redis_url, "redis://10.0.0.5:6380/2");
	assert_string_equal(c->prefix, "test:");
	assert_int_equal(c->log_maxlen, 100000);
	assert_int_equal(c->http_max_body_bytes, 32768);
	assert_int_equal(c->http_max_connections, 1000);
	assert_int_equal(c->http_request_timeout_ms, 2500);
	assert_string_equal(config_provider_get(c, "twilio", "base_url"), "http://127.0.0.1:8080");
	assert_string_equal(config_provider_get(c, "twilio", "account_sid"), "AC0123");
	assert_string_equal(config_provider_get(c, "twilio", "auth_token"), "tok");
	assert_string_equal(config_provider_get(c, "twilio", "from"), "+15005550006");
	assert_string_equal(config_provider_get(c, "twilio", "messaging_service_sid"), "MG0123");
	assert_string_equal(config_provider_get(c, "twilio", "status_callback"), "https://cb.example/status");
	assert_int_equal(c->max_inflight, 64);
	assert_string_equal(c->consumer, "gw-1");
	assert_string_equal(c->group, "grp");
	assert_int_equal(c->max_attempts, 5);
	assert_int_equal(c->claim_idle_ms, 90000);
	assert_int_equal(c->retry_base_ms, 500);
	assert_int_equal(c->retry_max_ms, 30000);
	assert_int_equal(c->connect_timeout_ms, 3000);
	assert_int_equal(c->request_timeout_ms, 10000);
	assert_int_equal(c->shutdown_timeout_ms, 5000);
	assert_int_equal(c->msg_ttl_s, 3600);
	assert_int_equal(c->max_connections, 16);
	assert_string_equal(c->log_level, "debug");
	assert_string_equal(c->pseudonym_key, "pk");
	assert_non_null(config_provider(c, "twilio"));
	config_free(c);
}

static void
test_comments_and_blank_lines(void **state)
{
	struct config *c;

	(void)state;
	c = load_ok("; Amuddu gateway\n\n# staging\n[gateway]\n  max_inflight = 7  ; small box\n\n");
	assert_int_equal(c->max_inflight, 7);
	config_free(c);
	/* A file saved on Windows, with no newline at the end. */
	c = load_ok("[gateway]\r\nmax_inflight = 9\r\n[redis]\r\nprefix = w:");
	assert_int_equal(c->max_inflight, 9);
	assert_string_equal(c->prefix, "w:");
	config_free(c);
}

static void
test_load_file(void **state)
{
	char path[] = "/tmp/amuddu-test-config-XXXXXX", err[256], missing[64];
	struct config *c;
	FILE *f;
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fputs("[gateway]\nmax_inflight = 33\nnope = 1\n", f);
	fclose(f);
	assert_null(config_load(path, err, sizeof err));
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, ":3:"));
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("[gateway]\nmax_inflight = 33\n", f);
	fclose(f);
	c = config_load(path, err, sizeof err);
	assert_non_null(c);
	assert_int_equal(c->max_inflight, 33);
	config_free(c);
	unlink(path);
	snprintf(missing, sizeof missing, "%s.missing", path);
	assert_null(config_load(missing, err, sizeof err));
	assert_non_null(strstr(err, missing));
}

static void
test_unknown_key(void **state)
{
	const char *needles[] = { "gw.ini:3:", "max_inflite", NULL };

	(void)state;
	expect_refused("[gateway]\nmax_inflight = 10\nmax_inflite = 20\n", "gw.ini", needles);
}

static void
test_key_in_wrong_section(void **state)
{
	const char *needles[] = { "gw.ini:2:", "url", "gateway", NULL };

	(void)state;
	expect_refused("[gateway]\nurl = redis://h\n", "gw.ini", needles);
}

static void
test_bad_number(void **state)
{
	const char *needles[] = { "test.ini:3:", "max_inflight", "12abc", NULL };
	const char *word[] = { "test.ini:2:", "retry_base_ms", NULL };

	(void)state;
	expect_refused("[gateway]\n\nmax_inflight = 12abc\n", "test.ini", needles);
	expect_refused("[gateway]\nretry_base_ms = soon\n", "test.ini", word);
}

static void
test_out_of_range(void **state)
{
	const char *zero[] = { "test.ini:2:", "max_inflight", "range", NULL };
	const char *big[] = { "test.ini:4:", "max_attempts", "range", NULL };
	const char *neg[] = { "test.ini:2:", "log_maxlen", NULL };
	const char *huge[] = { "test.ini:2:", "max_connections", NULL };
	const char *no_conns[] = { "test.ini:2:", "[http] max_connections", "range", NULL };
	const char *no_time[] = { "test.ini:2:", "[http] request_timeout_ms", "range", NULL };
	const char *no_body[] = { "test.ini:2:", "[http] max_body_bytes", "range", NULL };

	(void)state;
	expect_refused("[gateway]\nmax_inflight = 0\n", "test.ini", zero);
	expect_refused("[gateway]\nmax_inflight = 5\n\nmax_attempts = 1001\n", "test.ini", big);
	expect_refused("[redis]\nlog_maxlen = -1\n", "test.ini", neg);
	expect_refused("[gateway]\nmax_connections = 99999999999999999999\n", "test.ini", huge);
	/* The HTTP server's bounds cannot be switched off. */
	expect_refused("[http]\nmax_connections = 0\n", "test.ini", no_conns);
	expect_refused("[http]\nrequest_timeout_ms = 99\n", "test.ini", no_time);
	expect_refused("[http]\nmax_body_bytes = 255\n", "test.ini", no_body);
}

static void
test_range_bounds_accepted(void **state)
{
	struct config *c;

	(void)state;
	c = load_ok("[gateway]\nmax_inflight = 1\nmax_attempts = 1000\nshutdown_timeout_ms = 0\n");
	assert_int_equal(c->max_inflight, 1);
	assert_int_equal(c->max_attempts, 1000);
	assert_int_equal(c->shutdown_timeout_ms, 0);
	config_free(c);
	c = load_ok("[gateway]\nmax_inflight = 100000\n");
	assert_int_equal(c->max_inflight, 100000);
	config_free(c);
}

static void
test_syntax_error(void **state)
{
	const char *missing_eq[] = { "test.ini:2:", "syntax", NULL };
	const char *open_section[] = { "test.ini:1:", "syntax", NULL };

	(void)state;
	expect_refused("[gateway]\nmax_inflight 64\n", "test.ini", missing_eq);
	expect_refused("[gateway\n", "test.ini", open_section);
}

/* A syntax error must be reported even when a later line is also wrong. */
static void
test_syntax_error_before_bad_key(void **state)
{
	const char *open_section[] = { "test.ini:1:", "syntax", NULL };
	const char *missing_eq[] = { "test.ini:2:", "syntax", NULL };
	char err[256];
	struct config *c;

	(void)state;
	c = config_load_string("[gateway\nmax_inflight = 64\n", "test.ini", err, sizeof err);
	assert_null(c);
	assert_null(strstr(err, "unknown key"));
	expect_refused("[gateway\nmax_inflight = 64\n", "test.ini", open_section);
	expect_refused("[gateway]\nmax_inflight 64\nbogus = 1\n", "test.ini", missing_eq);
}

/* An operator fixes the first problem first. */
static void
test_first_error_reported(void **state)
{
	const char *needles[] = { "test.ini:2:", "first_bad", NULL };
	char err[256];

	(void)state;
	expect_refused("[gateway]\nfirst_bad = 1\nmax_inflight = 1\nsecond_bad = 2\n", "test.ini", needles);
	assert_null(config_load_string("[gateway]\nfirst_bad = 1\nsecond_bad = 2\n", "test.ini", err, sizeof err));
	assert_null(strstr(err, "second_bad"));
}

static void
test_twilio_needs_token(void **state)
{
	const char *needles[] = { "test.ini", "auth_token", NULL };
	const char *no_sid[] = { "test.ini", "account_sid", NULL };

	(void)state;
	expect_refused("[twilio]\naccount_sid = AC1\nfrom = +15005550006\n", "test.ini", needles);
	expect_refused("[twilio]\nauth_token = tok\nfrom = +15005550006\n", "test.ini", no_sid);
}

static void
test_twilio_needs_sender(void **state)
{
	const char *needles[] = { "from", "messaging_service_sid", NULL };
	struct config *c;

	(void)state;
	expect_refused("[twilio]\naccount_sid = AC1\nauth_token = tok\n", "test.ini", needles);
	c = load_ok("[twilio]\naccount_sid = AC1\nauth_token = tok\nmessaging_service_sid = MG1\n");
	assert_non_null(config_provider(c, "twilio"));
	config_free(c);
}

static void
test_twilio_base_url_scheme(void **state)
{
	const char *needles[] = { "base_url", NULL };

	(void)state;
	expect_refused(TWILIO_OK "base_url = ftp://api.twilio.com\n", "test.ini", needles);
}

static void
test_token_from_environment(void **state)
{
	struct config *c;

	(void)state;
	assert_int_equal(setenv("AMUDDU_TWILIO_AUTH_TOKEN", "from-env", 1), 0);
	c = load_ok(TWILIO_OK);
	assert_string_equal(config_provider_get(c, "twilio", "auth_token"), "from-env");
	config_free(c);
}

static void
test_token_only_in_environment(void **state)
{
	struct config *c;

	(void)state;
	assert_int_equal(setenv("AMUDDU_TWILIO_AUTH_TOKEN", "from-env", 1), 0);
	c = load_ok("[twilio]\naccount_sid = AC1\nfrom = +15005550006\n");
	assert_string_equal(config_provider_get(c, "twilio", "auth_token"), "from-env");
	assert_non_null(config_provider(c, "twilio"));
	config_free(c);
	assert_int_equal(unsetenv("AMUDDU_TWILIO_AUTH_TOKEN"), 0);
	assert_int_equal(setenv("AMUDDU_REDIS_URL", "unix:///run/redis.sock", 1), 0);
	c = load_ok("[redis]\nurl = redis://file-host\n");
	assert_string_equal(c->redis_url, "unix:///run/redis.sock");
	config_free(c);
}

static void
test_empty_environment_ignored(void **state)
{
	struct config *c;

	(void)state;
	assert_int_equal(setenv("AMUDDU_TWILIO_AUTH_TOKEN", "", 1), 0);
	c = load_ok(TWILIO_OK);
	assert_string_equal(config_provider_get(c, "twilio", "auth_token"), "tok");
	config_free(c);
}

/* A request still running must never look abandoned to another process. */
static void
test_claim_idle_must_exceed_timeouts(void **state)
{
	const char *needles[] = { "claim_idle_ms", NULL };
	struct config *c;

	(void)state;
	expect_refused("[gateway]\nclaim_idle_ms = 25000\nrequest_timeout_ms = 20000\n"
		       "connect_timeout_ms = 5000\n",
	    "test.ini", needles);
	expect_refused("[gateway]\nclaim_idle_ms = 1000\n", "test.ini", needles);
	c = load_ok("[gateway]\nclaim_idle_ms = 25001\nrequest_timeout_ms = 20000\nconnect_timeout_ms = 5000\n");
	assert_int_equal(c->claim_idle_ms, 25001);
	config_free(c);
}

static void
test_cross_key_checks(void **state)
{
	const char *prefix[] = { "prefix", NULL };
	const char *url[] = { "url", NULL };
	const char *retry[] = { "retry_max_ms", NULL };
	const char *level[] = { "log_level", NULL };
	const char *group[] = { "group", NULL };

	(void)state;
	expect_refused("[redis]\nprefix = a b\n", "test.ini", prefix);
	expect_refused("[redis]\nurl = http://127.0.0.1:6379\n", "test.ini", url);
	expect_refused("[gateway]\nretry_base_ms = 5000\nretry_max_ms = 4000\n", "test.ini", retry);
	expect_refused("[gateway]\nlog_level = verbose\n", "test.ini", level);
	expect_refused("[gateway]\ngroup =\n", "test.ini", group);
}

/* [reach] and [dhis2]: the mapping read into place, and each kind of mistake named with its line. */
static void
test_reach_and_dhis2(void **state)
{
	const char *uid[] = { "test.ini:3", "element.reached", "not a DHIS2 uid", NULL };
	const char *ind[] = { "'arrived' is not an indicator", NULL };
	const char *kind[] = { "'sport' is not a kind", NULL };
	const char *sex[] = { "coc.woman", NULL };
	const char *sup[] = { "suppress_below", NULL };
	const char *unk[] = { "unknown key 'period'", NULL };
	const char *rec[] = { "receipts is yes or no", NULL };
	char err[256];
	struct config *c;
	struct reach_dhis2_map m;

	(void)state;
	c = config_load_string("[reach]\nsuppress_below = 5\n[dhis2]\ndata_set = dsAmuddu001\n"
			       "element.reached = deReached01\nelement.informed.training_offer = deInfTrain1\n"
			       "coc.female = cocFemale01\norg_unit.Salé = ouSale00001\norg_unit.Rabat = ouRabat0001\n",
	    "test.ini", err, sizeof err);
	if (c == NULL)
		fail_msg("%s", err);
	assert_int_equal(c->reach.suppress_below, 5);
	config_reach_dhis2(&c->reach, &m);
	assert_string_equal(m.data_set, "dsAmuddu001");
	assert_string_equal(m.element[REACH_REACHED], "deReached01");
	assert_null(m.element[REACH_SENT]);
	assert_string_equal(m.coc_sex[0], "cocFemale01");
	assert_null(m.coc_sex[1]);
	assert_int_equal(m.ncity, 2);
	assert_string_equal(m.city_names[0], "Salé");
	assert_string_equal(m.city_units[1], "ouRabat0001");
	assert_int_equal(m.nkind, 1);
	assert_string_equal(m.kind_keys[0], "informed.training_offer");
	config_free(c);
	expect_refused("[dhis2]\ndata_set = dsAmuddu001\nelement.reached = 12\n", "test.ini", uid);
	expect_refused("[dhis2]\nelement.arrived = deReached01\n", "test.ini", ind);
	expect_refused("[dhis2]\nelement.reached.sport = deReached01\n", "test.ini", kind);
	expect_refused("[dhis2]\ncoc.woman = cocFemale01\n", "test.ini", sex);
	expect_refused("[reach]\nsuppress_below = -1\n", "test.ini", sup);
	expect_refused("[dhis2]\nperiod = quarterly\n", "test.ini", unk);
	expect_refused(
	    "[twilio]\naccount_sid = AC1\nauth_token = t\nfrom = +212600000000\nreceipts = maybe\n", "test.ini", rec);
}

static void
test_small_error_buffer(void **state)
{
	char err[64];
	struct config *c;

	(void)state;
	memset(err, 'Z', sizeof err);
	c = config_load_string("[gateway]\nunknown_key_with_a_long_name = 1\n", "a-rather-long-file-name.ini", err, 8);
	assert_null(c);
	assert_int_equal(strlen(err), 7);
	for (size_t i = 8; i < sizeof err; i++)
		assert_int_equal(err[i], 'Z');
}

/*
 * inih reads at most 199 bytes of a line; the rest must not be taken for
 * something else. Here the 200th byte falls on a space inside a comment.
 */
static void
test_long_line_not_split(void **state)
{
	char text[1024], comment[160], err[256];
	struct config *c;

	(void)state;
	memset(comment, 'x', 158);
	comment[158] = '\0';
	snprintf(text, sizeof text, TWILIO_OK "status_callback = https://cb.example/s ; %s reports go here\n", comment);
	c = config_load_string(text, "test.ini", err, sizeof err);
	/* A line libinih cannot hold whole is refused, never split into two. */
	assert_null(c);
	assert_non_null(strstr(err, "test.ini:5:"));
	assert_non_null(strstr(err, "longer than"));
}

static void
test_whatsapp_unknown_key(void **state)
{
	const char *typo[] = { "wa.ini:6:", "templat.event.fr", "[whatsapp]", NULL };
	const char *bare_prefix[] = { "wa.ini:6:", "'template.'", NULL };
	const char *other_provider[] = { "wa.ini:2:", "auth_token", "[whatsapp]", NULL };

	(void)state;
	expect_refused(WHATSAPP_OK "templat.event.fr = event_invite fr\n", "wa.ini", typo);
	expect_refused(WHATSAPP_OK "template. = event_invite fr\n", "wa.ini", bare_prefix);
	expect_refused("[whatsapp]\nauth_token = tok\n", "wa.ini", other_provider);
}

/* Secrets kept out of the file reach the provider; the environment wins over the file. */
static void
test_whatsapp_secrets_from_environment(void **state)
{
	struct provider_message m = { .id = "m-1", .to = "+212612345678", .text = "Salam" };
	struct provider_request req;
	char error[128];
	struct config *c;
	size_t i;
	void *w;

	(void)state;
	assert_int_equal(setenv("AMUDDU_WHATSAPP_TOKEN", "env-token", 1), 0);
	assert_int_equal(setenv("AMUDDU_WHATSAPP_APP_SECRET", "env-secret", 1), 0);
	assert_int_equal(setenv("AMUDDU_WHATSAPP_VERIFY_TOKEN", "env-verify", 1), 0);
	c = load_ok("[whatsapp]\nphone_number_id = 1065\n");
	assert_string_equal(config_provider_get(c, "whatsapp", "token"), "env-token");
	assert_string_equal(config_provider_get(c, "whatsapp", "app_secret"), "env-secret");
	assert_string_equal(config_provider_get(c, "whatsapp", "verify_token"), "env-verify");
	w = provider_build(c, &whatsapp_ops, &m, &req, error, sizeof error);
	for (i = 0; i < req.nheaders; i++)
		if (strcmp(req.headers[i], "Authorization: Bearer env-token") == 0)
			break;
	assert_true(i < req.nheaders);
	provider_request_free(&req);
	whatsapp_ops.destroy(w);
	config_free(c);
	c = load_ok(WHATSAPP_OK);
	assert_string_equal(config_provider_get(c, "whatsapp", "token"), "env-token");
	assert_string_equal(config_provider_get(c, "whatsapp", "phone_number_id"), "1065");
	config_free(c);
	/* Without the section the variables do not make a provider of it. */
	c = load_ok("");
	assert_null(config_provider(c, "whatsapp"));
	config_free(c);
}

static void
test_whatsapp_template_keys(void **state)
{
	const char *no_locale[] = { "test.ini", "[whatsapp]", "template.event", NULL };
	const char *no_language[] = { "test.ini", "[whatsapp]", "template.event.fr", NULL };
	struct provider_message m = {
		.id = "m-1", .to = "+212612345678", .text = "Salam", .kind = "training_offer", .locale = "ary-Latn"
	};
	struct provider_request req;
	char error[128];
	struct config *c;
	void *w;

	(void)state;
	c = load_ok(WHATSAPP_OK "template.training_offer.fr = training_offer_v2 fr text\n"
				"template.training_offer.ary-Latn = training_offer_darija ary text\n");
	assert_string_equal(
	    config_provider_get(c, "whatsapp", "template.training_offer.fr"), "training_offer_v2 fr text");
	assert_string_equal(
	    config_provider_get(c, "whatsapp", "template.training_offer.ary-Latn"), "training_offer_darija ary text");
	w = provider_build(c, &whatsapp_ops, &m, &req, error, sizeof error);
	assert_non_null(strstr(req.body.data, "\"name\":\"training_offer_darija\""));
	provider_request_free(&req);
	whatsapp_ops.destroy(w);
	config_free(c);
	expect_refused(WHATSAPP_OK "template.event = event_invite fr\n", "test.ini", no_locale);
	expect_refused(WHATSAPP_OK "template.event.fr = event_invite\n", "test.ini", no_language);
}

/* A section its provider cannot use is refused at load, not when the first message goes out. */
static void
test_whatsapp_invalid_section(void **state)
{
	const char *no_token[] = { "test.ini", "[whatsapp]", "token", NULL };
	const char *bad_id[] = { "test.ini", "[whatsapp]", "phone_number_id", NULL };

	(void)state;
	expect_refused(
	    "[whatsapp]\nphone_number_id = 1065\napp_secret = sec\nverify_token = ver\n", "test.ini", no_token);
	expect_refused(
	    "[whatsapp]\nphone_number_id = +15550783881\ntoken = tok\napp_secret = sec\nverify_token = ver\n",
	    "test.ini", bad_id);
}

static void
test_generic_invalid_section(void **state)
{
	const char *no_secret[] = { "test.ini", "[generic]", "webhook_secret", NULL };
	struct config *c;

	(void)state;
	expect_refused(
	    "[generic]\nurl = https://sms.example.ma/send\nbody = {\"to\":\"${to}\"}\n", "test.ini", no_secret);
	assert_int_equal(setenv("AMUDDU_GENERIC_WEBHOOK_SECRET", "env-secret", 1), 0);
	c = load_ok("[generic]\nurl = https://sms.example.ma/send\nbody = {\"to\":\"${to}\"}\n");
	assert_string_equal(config_provider_get(c, "generic", "webhook_secret"), "env-secret");
	config_free(c);
}

static void
test_sms_provider_must_be_configured(void **state)
{
	const char *absent[] = { "test.ini", "sms_provider", "generic", NULL };
	const char *unknown[] = { "test.ini", "sms_provider", "nosuch", NULL };
	const char *not_sms[] = { "test.ini", "sms_provider", "whatsapp", NULL };
	struct config *c;

	(void)state;
	expect_refused(TWILIO_OK "[gateway]\nsms_provider = generic\n", "test.ini", absent);
	expect_refused(TWILIO_OK "[gateway]\nsms_provider = nosuch\n", "test.ini", unknown);
	expect_refused(TWILIO_OK WHATSAPP_OK "[gateway]\nsms_provider = whatsapp\n", "test.ini", not_sms);
	c = load_ok(TWILIO_OK WHATSAPP_OK "[gateway]\nsms_provider = twilio\n");
	assert_string_equal(c->sms_provider, "twilio");
	config_free(c);
}

static void
test_public_url_scheme_and_slash(void **state)
{
	const char *needles[] = { "test.ini", "public_url", NULL };
	struct config *c;

	(void)state;
	expect_refused("[http]\npublic_url = ftp://gw.example\n", "test.ini", needles);
	expect_refused("[http]\npublic_url = gw.example\n", "test.ini", needles);
	expect_refused("[http]\npublic_url = https://\n", "test.ini", needles);
	expect_refused("[http]\npublic_url = https:///path\n", "test.ini", needles);
	expect_refused("[http]\npublic_url = https://gw.example/?x=1\n", "test.ini", needles);
	c = load_ok("[http]\npublic_url = https://gw.example/\n");
	assert_string_equal(c->http_public_url, "https://gw.example");
	config_free(c);
	c = load_ok("[http]\npublic_url = http://10.0.0.5:8080/amuddu//\n");
	assert_string_equal(c->http_public_url, "http://10.0.0.5:8080/amuddu");
	config_free(c);
}

static void
test_public_url_default(void **state)
{
	struct config *c;

	(void)state;
	c = load_ok("");
	assert_string_equal(c->http_public_url, "http://127.0.0.1:8080");
	config_free(c);
	c = load_ok("[http]\nlisten = 10.0.0.2:9090\n");
	assert_string_equal(c->http_public_url, "http://10.0.0.2:9090");
	config_free(c);
	/* With no HTTP server there is nothing to call back. */
	c = load_ok("[http]\nlisten = off\n");
	assert_string_equal(c->http_public_url, "");
	config_free(c);
}

static void
test_twilio_status_callback_derived(void **state)
{
	char body[512];

	(void)state;
	twilio_body("[http]\npublic_url = https://gw.example/\n" TWILIO_OK, body, sizeof body);
	assert_string_equal(body,
	    "To=%2B212612345678&From=%2B15005550006&Body=hi"
	    "&StatusCallback=https%3A%2F%2Fgw.example%2Fwebhooks%2Ftwilio%2Fstatus");
	twilio_body(TWILIO_OK, body, sizeof body);
	assert_non_null(strstr(body, "&StatusCallback=http%3A%2F%2F127.0.0.1%3A8080%2Fwebhooks%2Ftwilio%2Fstatus"));
	/* The operator's own URL wins; an empty one asks for none. */
	twilio_body("[http]\npublic_url = https://gw.example\n" TWILIO_OK "status_callback = https://cb.example/s\n",
	    body, sizeof body);
	assert_non_null(strstr(body, "&StatusCallback=https%3A%2F%2Fcb.example%2Fs"));
	assert_null(strstr(body, "gw.example"));
	twilio_body("[http]\npublic_url = https://gw.example\n" TWILIO_OK "status_callback =\n", body, sizeof body);
	assert_null(strstr(body, "StatusCallback"));
	twilio_body("[http]\nlisten = off\n" TWILIO_OK, body, sizeof body);
	assert_null(strstr(body, "StatusCallback"));
}

/* Quiet hours and the zone: defaults, a window, off, and refusals naming the line. */
static void
test_time_and_quiet_hours(void **state)
{
	static const char *const bad_quiet[] = { "gw.ini:3:", "[gateway] quiet_hours", "HH:MM-HH:MM", NULL };
	static const char *const bad_bool[] = { "gw.ini:2:", "[time] allow_stale_tzdata", "'maybe' is not yes or no",
		NULL };
	struct config *c;

	(void)state;
	c = load_ok("");
	assert_true(c->quiet_hours.on);
	assert_int_equal(c->quiet_hours.start_min, 21 * 60);
	assert_int_equal(c->quiet_hours.end_min, 8 * 60);
	assert_string_equal(c->time_zone, "Africa/Casablanca");
	assert_false(c->allow_stale_tzdata);
	config_free(c);
	c = load_ok("[gateway]\nquiet_hours = 22:30-07:15\n[time]\nzone = UTC\nallow_stale_tzdata = yes\n");
	assert_int_equal(c->quiet_hours.start_min, 22 * 60 + 30);
	assert_int_equal(c->quiet_hours.end_min, 7 * 60 + 15);
	assert_string_equal(c->time_zone, "UTC");
	assert_true(c->allow_stale_tzdata);
	config_free(c);
	c = load_ok("[gateway]\nquiet_hours = off\n");
	assert_false(c->quiet_hours.on);
	config_free(c);
	expect_refused("[gateway]\nmax_inflight = 4\nquiet_hours = nightly\n", "gw.ini", bad_quiet);
	expect_refused("[time]\nallow_stale_tzdata = maybe\n", "gw.ini", bad_bool);
}

/* [replies]: defaults, the agents' days and hours, tags and links checked. */
static void
test_replies(void **state)
{
	static const char *const bad_days[] = { "gw.ini", "[replies] agent_days", "mon-fri", NULL };
	static const char *const bad_hours[] = { "gw.ini", "[replies] agent_hours", "within one day", NULL };
	static const char *const bad_tags[] = { "gw.ini", "[replies] tags.training", "lower-case", NULL };
	static const char *const bad_link[] = { "gw.ini", "[replies] link.covid", "no spaces", NULL };
	struct config *c;

	(void)state;
	c = load_ok("");
	assert_true(c->replies_on);
	assert_int_equal(c->menu_ttl_s, 1800);
	assert_int_equal(c->replies_max_per_minute, 10);
	assert_string_equal(c->reply_tags[1], "interest:employment referred:anapec");
	assert_int_equal(c->agent_hours.start_min, 9 * 60);
	assert_string_equal(c->agent_days, "mon-fri");
	config_free(c);
	c = load_ok("[replies]\nenabled = no\nagent_days = sun-thu\nagent_hours = off\ntags.covid = interest:sante\n");
	assert_false(c->replies_on);
	assert_false(c->agent_hours.on);
	assert_string_equal(c->reply_tags[3], "interest:sante");
	config_free(c);
	expect_refused("[replies]\nagent_days = lundi-vendredi\n", "gw.ini", bad_days);
	expect_refused("[replies]\nagent_hours = 22:00-06:00\n", "gw.ini", bad_hours);
	expect_refused("[replies]\ntags.training = Interest:Training\n", "gw.ini", bad_tags);
	expect_refused("[replies]\nlink.covid = https://x.ma/{a}\n", "gw.ini", bad_link);
}

/* [api] tokens: a name, a role and the secret's SHA-256; the secret itself is refused. */
static void
test_api_tokens(void **state)
{
	/* Any 64 hex digits stand for a hash here. */
	static const char h[] = "sha256:1d2f2c9a1b6d4a2c2c4e2d6a3a9b0e8b7f5c1d2e3f4a5b6c7d8e9f0a1b2c3d4e";
	static const char *const bad_role[] = { "t.ini:3:", "[api]", "the role must be agent, monitoring or admin",
		NULL };
	static const char *const no_hash[] = { "t.ini:2:", "sha256:<64 hex digits>", "never the secret", NULL };
	static const char *const twice[] = { "t.ini:3:", "'a' is given twice (as a token)", NULL };
	static const char *const unknown[] = { "t.ini:2:", "unknown key 'tokens.a'", NULL };
	static const char *const bad_name[] = { "t.ini:2:", "token name", NULL };
	char text[512];
	struct config *c;

	(void)state;
	snprintf(text, sizeof text, "[api]\ntoken.agent-rabat = agent %s\ntoken.me = monitoring %s\n", h, h);
	c = load_ok(text);
	assert_int_equal(c->api.ntokens, 2);
	assert_string_equal(c->api.tokens[0].name, "agent-rabat");
	assert_int_equal(c->api.tokens[0].role, ROLE_AGENT);
	assert_int_equal(c->api.tokens[1].role, ROLE_MONITORING);
	assert_int_equal(c->api.tokens[0].sha256[0], 0x1d);
	assert_int_equal(c->api.tokens[0].sha256[31], 0x4e);
	config_free(c);
	snprintf(text, sizeof text, "[api]\ntoken.a = admin %s\ntoken.b = root %s\n", h, h);
	expect_refused(text, "t.ini", bad_role);
	expect_refused("[api]\ntoken.a = admin s3cret\n", "t.ini", no_hash);
	expect_refused("[api]\ntoken.a = admin sha256:1d2f\n", "t.ini", no_hash);
	snprintf(text, sizeof text, "[api]\ntoken.a = admin %s\ntoken.a = agent %s\n", h, h);
	expect_refused(text, "t.ini", twice);
	snprintf(text, sizeof text, "[api]\ntokens.a = admin %s\n", h);
	expect_refused(text, "t.ini", unknown);
	snprintf(text, sizeof text, "[api]\ntoken.a b = admin %s\n", h);
	expect_refused(text, "t.ini", bad_name);
}

/* [console]: its files, its sessions and named logins with a PBKDF2 hash, never a password. */
static void
test_console_settings(void **state)
{
	static const char hash[] = "pbkdf2-sha256:210000:6d6005f9394c8e08e241f73a5ef77758:"
				   "66fb68db04df284ed0bd912a8d3769c0df6a2a363687e9e68897601050262887";
	static const char tok[] = "sha256:1d2f2c9a1b6d4a2c2c4e2d6a3a9b0e8b7f5c1d2e3f4a5b6c7d8e9f0a1b2c3d4e";
	static const char *const no_hash[] = { "t.ini:2:", "[console] login 'amina'", "amuddu password",
		"never the password", NULL };
	static const char *const twice[] = { "t.ini:4:", "'amina' is given twice (as a login)", NULL };
	static const char *const bad_hours[] = { "t.ini:2:", "session_hours", "'forever'", NULL };
	static const char *const bad_secure[] = { "t.ini:2:", "secure_cookie: yes or no", NULL };
	static const char *const unknown[] = { "t.ini:2:", "unknown key 'password'", NULL };
	static const char *const bad_origin[] = { "t.ini:2:", "origin: the console's address as a browser has it",
		NULL };
	static const char *const bad_proxy[] = { "t.ini:2:", "trusted_proxies: 'proxy.local' is not an IPv4 or IPv6",
		NULL };
	char text[512];
	struct config *c;

	(void)state;
	snprintf(text, sizeof text,
	    "[console]\ndir = /srv/console\nsession_hours = 2.5\nsecure_cookie = yes\nlogin.amina = agent %s\n", hash);
	c = load_ok(text);
	assert_string_equal(c->api.console_dir, "/srv/console");
	assert_int_equal(c->api.session_seconds, 9000);
	assert_int_equal(c->api.secure_cookie, 1);
	assert_int_equal(c->api.nlogins, 1);
	assert_string_equal(c->api.logins[0].name, "amina");
	assert_int_equal(c->api.logins[0].role, ROLE_AGENT);
	assert_int_equal(c->api.logins[0].iterations, 210000);
	assert_int_equal(c->api.logins[0].saltlen, 16);
	assert_int_equal(c->api.logins[0].hash[0], 0x66);
	config_free(c);
	expect_refused("[console]\nlogin.amina = agent hunter2hunter2\n", "t.ini", no_hash);
	expect_refused("[console]\nlogin.amina = agent pbkdf2-sha256:10:0011223344556677:00\n", "t.ini", no_hash);
	snprintf(text, sizeof text, "[console]\nlogin.amina = agent %s\n[api]\ntoken.amina = admin %s\n", hash, tok);
	expect_refused(text, "t.ini", twice);
	expect_refused("[console]\nsession_hours = forever\n", "t.ini", bad_hours);
	expect_refused("[console]\nsecure_cookie = maybe\n", "t.ini", bad_secure);
	expect_refused("[console]\npassword = x\n", "t.ini", unknown);
	expect_refused("[console]\norigin = amuddu.example.ma\n", "t.ini", bad_origin);
	expect_refused("[console]\norigin = https://amuddu.example.ma/console/\n", "t.ini", bad_origin);
	c = load_ok("[console]\norigin = https://amuddu.example.ma:8443\ndir = off\n");
	assert_string_equal(c->api.origin, "https://amuddu.example.ma:8443");
	assert_string_equal(c->api.console_dir, "off");
	assert_int_equal(c->api.trusted_proxies.n, 0);
	config_free(c);
	expect_refused("[console]\ntrusted_proxies = 127.0.0.1, proxy.local\n", "t.ini", bad_proxy);
	c = load_ok("[console]\ntrusted_proxies = 127.0.0.1, 10.0.0.0/8, ::1\n");
	assert_int_equal(c->api.trusted_proxies.n, 3);
	assert_true(netaddr_list_has(&c->api.trusted_proxies, "10.20.30.40"));
	config_free(c);
}

/* The campaigns' settings: consent, fallback chain, prices, rates and tier, each refused with its reason. */
static void
test_campaign_settings(void **state)
{
	static const char *const bad_fallback[] = { "[locales] fallback", "'de' is not fr, ar, ary, ary-Latn or en",
		NULL };
	static const char *const bad_price[] = { "[prices]", "'cheap' is not a price", NULL };
	static const char *const bad_rate[] = { "[twilio] rate", "messages per second", NULL };
	static const char *const bad_tier[] = { "[whatsapp] tier is 250, 2000, 10000, 100000 or unlimited", NULL };
	static const char *const bad_country[] = { "[contacts] default_country 'ZZ'", NULL };
	struct config *c;

	(void)state;
	c = load_ok("[gateway]\nrequire_consent = yes\n[locales]\nfallback = ary ar fr\n[prices]\nsms_segment = 0.35\n"
		    "[contacts]\ndefault_country = SN\n" TWILIO_OK "rate = 30\n");
	assert_true(c->require_consent);
	assert_string_equal(c->locale_fallback, "ary ar fr");
	assert_string_equal(c->price_sms_segment, "0.35");
	assert_string_equal(c->default_country, "SN");
	assert_string_equal(config_provider_get(c, "twilio", "rate"), "30");
	config_free(c);
	c = load_ok("");
	assert_false(c->require_consent);
	assert_string_equal(c->locale_fallback, "ary-Latn ary ar fr en");
	config_free(c);
	expect_refused("[locales]\nfallback = ary de fr\n", "t.ini", bad_fallback);
	expect_refused("[prices]\nwhatsapp_marketing = cheap\n", "t.ini", bad_price);
	expect_refused(TWILIO_OK "rate = fast\n", "t.ini", bad_rate);
	expect_refused(WHATSAPP_OK "tier = 500\n", "t.ini", bad_tier);
	expect_refused("[contacts]\ndefault_country = ZZ\n", "t.ini", bad_country);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_defaults, clear_env),
		cmocka_unit_test_setup(test_every_key, clear_env),
		cmocka_unit_test_setup(test_comments_and_blank_lines, clear_env),
		cmocka_unit_test_setup(test_load_file, clear_env),
		cmocka_unit_test_setup(test_unknown_key, clear_env),
		cmocka_unit_test_setup(test_key_in_wrong_section, clear_env),
		cmocka_unit_test_setup(test_bad_number, clear_env),
		cmocka_unit_test_setup(test_out_of_range, clear_env),
		cmocka_unit_test_setup(test_range_bounds_accepted, clear_env),
		cmocka_unit_test_setup(test_syntax_error, clear_env),
		cmocka_unit_test_setup(test_syntax_error_before_bad_key, clear_env),
		cmocka_unit_test_setup(test_first_error_reported, clear_env),
		cmocka_unit_test_setup(test_twilio_needs_token, clear_env),
		cmocka_unit_test_setup(test_twilio_needs_sender, clear_env),
		cmocka_unit_test_setup(test_twilio_base_url_scheme, clear_env),
		cmocka_unit_test_setup_teardown(test_token_from_environment, clear_env, clear_env),
		cmocka_unit_test_setup_teardown(test_token_only_in_environment, clear_env, clear_env),
		cmocka_unit_test_setup_teardown(test_empty_environment_ignored, clear_env, clear_env),
		cmocka_unit_test_setup(test_claim_idle_must_exceed_timeouts, clear_env),
		cmocka_unit_test_setup(test_cross_key_checks, clear_env),
		cmocka_unit_test_setup(test_reach_and_dhis2, clear_env),
		cmocka_unit_test_setup(test_small_error_buffer, clear_env),
		cmocka_unit_test_setup(test_long_line_not_split, clear_env),
		cmocka_unit_test_setup(test_whatsapp_unknown_key, clear_env),
		cmocka_unit_test_setup_teardown(test_whatsapp_secrets_from_environment, clear_env, clear_env),
		cmocka_unit_test_setup(test_whatsapp_template_keys, clear_env),
		cmocka_unit_test_setup(test_whatsapp_invalid_section, clear_env),
		cmocka_unit_test_setup_teardown(test_generic_invalid_section, clear_env, clear_env),
		cmocka_unit_test_setup(test_sms_provider_must_be_configured, clear_env),
		cmocka_unit_test_setup(test_public_url_scheme_and_slash, clear_env),
		cmocka_unit_test_setup(test_public_url_default, clear_env),
		cmocka_unit_test_setup(test_twilio_status_callback_derived, clear_env),
		cmocka_unit_test_setup(test_time_and_quiet_hours, clear_env),
		cmocka_unit_test_setup(test_replies, clear_env),
		cmocka_unit_test_setup(test_api_tokens, clear_env),
		cmocka_unit_test_setup(test_console_settings, clear_env),
		cmocka_unit_test_setup(test_campaign_settings, clear_env),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
