/*
 * The web console's server side as a browser meets it, over loopback HTTP
 * to a running gateway: signing in with a named login or a role token, the
 * session cookie's flags, the /v1 API through that cookie (roles, CSRF,
 * another site's Origin), signing out, the throttle on failed sign-ins,
 * the files served from memory with their security headers, and the
 * interface's strings from the catalogs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <strings.h>
#include <unistd.h>

#include "tests/integration/harness.h"

#define LOGIN "amina"
#define PASSWORD "correct horse battery"

/* The header lines of the last sign-in's answer. */
static char last_headers[4096];

struct fixture {
	struct harness *h;
	char dir[300];
};

/* The console's test files; a hidden one is never served. */
static void
write_file(const char *dir, const char *name, const char *text)
{
	char path[400];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	assert_non_null(f = fopen(path, "w"));
	fputs(text, f);
	fclose(f);
}

static int
setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof *fx);
	unsigned char salt[16] = "0123456789abcdef", hash[32];
	char extra[1024], hex[65], sub[320];

	/* The login's hash made here with OpenSSL, as `amuddu password` would, not by the gateway's code. */
	PKCS5_PBKDF2_HMAC(PASSWORD, (int)strlen(PASSWORD), salt, sizeof salt, 10000, EVP_sha256(), sizeof hash, hash);
	for (size_t i = 0; i < sizeof hash; i++)
		snprintf(hex + 2 * i, 3, "%02x", hash[i]);
	snprintf(fx->dir, sizeof fx->dir, "/tmp/amuddu-console-files.%d", (int)getpid());
	mkdir(fx->dir, 0700);
	snprintf(sub, sizeof sub, "%s/css", fx->dir);
	mkdir(sub, 0700);
	write_file(fx->dir, "index.html", "<!doctype html><title>Amuddu</title><script src=\"app.js\"></script>\n");
	write_file(fx->dir, "app.js", "document.title = 'x';\n");
	write_file(fx->dir, "css/console.css", "body { margin: 0 }\n");
	write_file(fx->dir, ".secret", "not for anyone\n");
	/* The tests' requests come from 127.0.0.1: a proxy, when they say whom for. */
	snprintf(extra, sizeof extra,
	    "[console]\ndir = %s\ntrusted_proxies = 127.0.0.1\nlogin." LOGIN " = agent pbkdf2-sha256:10000:%s:%s\n",
	    fx->dir, "30313233343536373839616263646566", hex);
	fx->h = harness_api_new("console_session", extra);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;
	char cmd[400];

	snprintf(cmd, sizeof cmd, "rm -rf %s", fx->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", fx->dir);
	*state = fx->h;
	free(fx);
	return harness_teardown(state);
}

/* The value of header name in the last answer of hc ("" when absent), into out. */
static void
header(const struct harness_http *hc, const char *name, char *out, size_t len)
{
	size_t nl = strlen(name);

	out[0] = '\0';
	for (const char *p = hc->headers; p != NULL && *p != '\0'; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : "") {
		if (strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
			size_t n = strcspn(p + nl + 1, "\r\n");

			snprintf(out, len, "%.*s", (int)(n > 0 ? n - 1 : 0), p + nl + 2);
			return;
		}
	}
}

/*
 * Signs in with body, through a proxy that says the request came from xff
 * (NULL: straight); the cookie ("amuddu_session=…") and the CSRF token into
 * cookie and csrf.
 */
static long
sign_in_via(struct fixture *fx, const char *xff, const char *body, char cookie[100], char csrf[70], json_t **answer)
{
	struct harness_http hc = { 0 };
	char forwarded[200];
	const char *hs[] = { "Content-Type: application/json", xff != NULL ? forwarded : NULL, NULL };
	char *out = NULL, set[400];
	long code;
	json_t *j;

	snprintf(forwarded, sizeof forwarded, "X-Forwarded-For: %s", xff != NULL ? xff : "");
	code = harness_request(&hc, fx->h->gateway_port, "POST", "/console/session", hs, body, strlen(body), &out);
	j = json_loads(out, 0, NULL);

	header(&hc, "Set-Cookie", set, sizeof set);
	snprintf(last_headers, sizeof last_headers, "%s", hc.headers);
	cookie[0] = csrf[0] = '\0';
	if (code == 200) {
		snprintf(cookie, 100, "%.*s", (int)strcspn(set, ";"), set);
		snprintf(csrf, 70, "%s", json_string_value(json_object_get(j, "csrf")));
		assert_non_null(strstr(set, "HttpOnly"));
		assert_non_null(strstr(set, "SameSite=Strict"));
		assert_non_null(strstr(set, "Path=/"));
	}
	if (answer != NULL)
		*answer = j;
	else
		json_decref(j);
	free(out);
	harness_http_close(&hc);
	return code;
}

static long
sign_in(struct fixture *fx, const char *body, char cookie[100], char csrf[70], json_t **answer)
{
	return sign_in_via(fx, NULL, body, cookie, csrf, answer);
}

/* One call with the session cookie, the CSRF token (or NULL) and another header (or NULL). */
static long
with_cookie(struct fixture *fx, const char *method, const char *path, const char *cookie, const char *csrf,
    const char *other, const char *body)
{
	struct harness_http hc = { 0 };
	char ck[160], cs[120];
	const char *hs[5] = { "Content-Type: application/json", NULL, NULL, NULL, NULL };
	size_t n = 1;
	long code;
	char *out = NULL;

	snprintf(ck, sizeof ck, "Cookie: theme=dark; %s", cookie);
	hs[n++] = ck;
	if (csrf != NULL) {
		snprintf(cs, sizeof cs, "X-CSRF-Token: %s", csrf);
		hs[n++] = cs;
	}
	if (other != NULL)
		hs[n++] = other;
	code = harness_request(&hc, fx->h->gateway_port, method, path, hs, body, body != NULL ? strlen(body) : 0, &out);
	free(out);
	harness_http_close(&hc);
	return code;
}

static void
test_sign_in_and_roles(void **state)
{
	struct fixture *fx = *state;
	char cookie[100], csrf[70], mcookie[100], mcsrf[70];
	json_t *j;

	assert_int_equal(with_cookie(fx, "GET", "/console/session", "", NULL, NULL, NULL), 401);
	assert_int_equal(sign_in(fx, "{\"login\": \"" LOGIN "\", \"password\": \"wrong one\"}", cookie, csrf, &j), 401);
	assert_string_equal(json_string_value(json_object_get(json_object_get(j, "error"), "code")), "unauthorized");
	json_decref(j);
	assert_int_equal(
	    sign_in(fx, "{\"login\": \"nobody\", \"password\": \"" PASSWORD "\"}", cookie, csrf, NULL), 401);
	assert_int_equal(sign_in(fx, "{\"login\": \"" LOGIN "\"}", cookie, csrf, NULL), 422);
	assert_int_equal(
	    sign_in(fx, "{\"login\": \"" LOGIN "\", \"password\": \"" PASSWORD "\"}", cookie, csrf, &j), 200);
	assert_string_equal(json_string_value(json_object_get(j, "role")), "agent");
	assert_string_equal(json_string_value(json_object_get(j, "name")), LOGIN);
	assert_int_equal(strlen(csrf), 64);
	json_decref(j);
	assert_int_equal(with_cookie(fx, "GET", "/console/session", cookie, NULL, NULL, NULL), 200);
	/* The agent's rooms and not the monitoring team's. */
	assert_int_equal(with_cookie(fx, "GET", "/v1/contacts", cookie, NULL, NULL, NULL), 200);
	assert_int_equal(with_cookie(fx, "GET", "/v1/reach", cookie, NULL, NULL, NULL), 403);
	/* A change needs the session's CSRF token, from this very site. */
	assert_int_equal(with_cookie(fx, "POST", "/v1/segments", cookie, NULL, NULL, "{\"text\": \"Salam\"}"), 403);
	assert_int_equal(with_cookie(fx, "POST", "/v1/segments", cookie, "0000", NULL, "{\"text\": \"Salam\"}"), 403);
	assert_int_equal(with_cookie(fx, "POST", "/v1/segments", cookie, csrf, NULL, "{\"text\": \"Salam\"}"), 200);
	assert_int_equal(with_cookie(fx, "POST", "/v1/segments", cookie, csrf, "Origin: https://evil.example",
			     "{\"text\": \"Salam\"}"),
	    403);
	{
		char origin[80];

		snprintf(origin, sizeof origin, "Origin: http://127.0.0.1:%d", fx->h->gateway_port);
		assert_int_equal(
		    with_cookie(fx, "POST", "/v1/segments", cookie, csrf, origin, "{\"text\": \"Salam\"}"), 200);
	}
	/* A monitoring token signs in too, and sees the reach and not the contacts. */
	assert_int_equal(sign_in(fx, "{\"token\": \"" HARNESS_MONITORING_SECRET "\"}", mcookie, mcsrf, &j), 200);
	assert_string_equal(json_string_value(json_object_get(j, "role")), "monitoring");
	json_decref(j);
	assert_int_equal(with_cookie(fx, "GET", "/v1/reach", mcookie, NULL, NULL, NULL), 200);
	assert_int_equal(with_cookie(fx, "GET", "/v1/contacts", mcookie, NULL, NULL, NULL), 403);
	assert_int_equal(sign_in(fx, "{\"token\": \"not-a-token\"}", mcookie, mcsrf, NULL), 401);
	/* A forged cookie is no session. */
	assert_int_equal(
	    with_cookie(fx, "GET", "/v1/contacts",
		"amuddu_session=0123456789012345678901234567890123456789012345678901234567890123", NULL, NULL, NULL),
	    401);
	/* The store keeps the session under a hash of its id, never the id. */
	{
		redisReply *r = harness_cmd(fx->h, "KEYS " HARNESS_PREFIX "console:session:*");

		assert_int_equal(r->elements, 2);
		for (size_t i = 0; i < r->elements; i++) {
			redisReply *v = harness_cmd(fx->h, "GET %s", r->element[i]->str);

			assert_null(strstr(r->element[i]->str, cookie + 15));
			assert_null(strstr(v->str, cookie + 15));
			freeReplyObject(v);
		}
		freeReplyObject(r);
	}
	/* Signing out needs the CSRF token too, and ends the session. */
	assert_int_equal(with_cookie(fx, "DELETE", "/console/session", cookie, NULL, NULL, NULL), 403);
	assert_int_equal(with_cookie(fx, "DELETE", "/console/session", cookie, csrf, NULL, NULL), 204);
	assert_int_equal(with_cookie(fx, "GET", "/v1/contacts", cookie, NULL, NULL, NULL), 401);
	assert_int_equal(with_cookie(fx, "GET", "/console/session", cookie, NULL, NULL, NULL), 401);
	/* Signing in again from a browser that has a session forgets that one: its cookie is no session any more. */
	assert_int_equal(
	    sign_in(fx, "{\"login\": \"" LOGIN "\", \"password\": \"" PASSWORD "\"}", cookie, csrf, NULL), 200);
	assert_int_equal(with_cookie(fx, "GET", "/console/session", cookie, NULL, NULL, NULL), 200);
	assert_int_equal(with_cookie(fx, "POST", "/console/session", cookie, NULL, NULL,
			     "{\"login\": \"" LOGIN "\", \"password\": \"" PASSWORD "\"}"),
	    200);
	assert_int_equal(with_cookie(fx, "GET", "/console/session", cookie, NULL, NULL, NULL), 401);
	assert_int_equal(with_cookie(fx, "GET", "/v1/contacts", cookie, NULL, NULL, NULL), 401);
}

static void
test_failed_sign_ins_throttled(void **state)
{
	struct fixture *fx = *state;
	char cookie[100], csrf[70];
	json_t *j;

	freeReplyObject(harness_cmd(fx->h, "DEL " HARNESS_PREFIX "console:fail:ip:127.0.0.1"));
	freeReplyObject(harness_cmd(fx->h, "DEL " HARNESS_PREFIX "console:fail:login:" LOGIN));
	for (int i = 0; i < 10; i++)
		assert_int_equal(
		    sign_in(fx, "{\"login\": \"" LOGIN "\", \"password\": \"guess\"}", cookie, csrf, NULL), 401);
	/* The right password is refused too once ten have failed: the guessing stops there. */
	assert_int_equal(
	    sign_in(fx, "{\"login\": \"" LOGIN "\", \"password\": \"" PASSWORD "\"}", cookie, csrf, &j), 429);
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(j, "error"), "code")), "too_many_attempts");
	assert_non_null(strstr(last_headers, "Retry-After: 900"));
	json_decref(j);
	freeReplyObject(harness_cmd(fx->h, "DEL " HARNESS_PREFIX "console:fail:ip:127.0.0.1"));
	freeReplyObject(harness_cmd(fx->h, "DEL " HARNESS_PREFIX "console:fail:login:" LOGIN));
	assert_int_equal(
	    sign_in(fx, "{\"login\": \"" LOGIN "\", \"password\": \"" PASSWORD "\"}", cookie, csrf, NULL), 200);
}

/*
 * Behind a trusted proxy each person is counted by the address the proxy
 * names: one who guesses is refused, the others sharing the proxy are not,
 * and an address the guesser writes into the header changes nothing.
 */
static void
test_sign_ins_behind_a_proxy(void **state)
{
	struct fixture *fx = *state;
	static const char guess[] = "{\"token\": \"guess\"}", right[] = "{\"token\": \"" HARNESS_AGENT_SECRET "\"}";
	char cookie[100], csrf[70];
	redisReply *r;
	long wrong = harness_metric(fx->h, "amuddu_console_sign_ins_total{result=\"wrong\"}"),
	     throttled = harness_metric(fx->h, "amuddu_console_sign_ins_total{result=\"throttled\"}"),
	     ok = harness_metric(fx->h, "amuddu_console_sign_ins_total{result=\"ok\"}");

	for (int i = 0; i < 10; i++)
		assert_int_equal(sign_in_via(fx, "198.51.100.7", guess, cookie, csrf, NULL), 401);
	assert_int_equal(sign_in_via(fx, "198.51.100.7", right, cookie, csrf, NULL), 429);
	assert_int_equal(sign_in_via(fx, "203.0.113.1, 198.51.100.7", right, cookie, csrf, NULL), 429);
	assert_int_equal(sign_in_via(fx, "198.51.100.8", right, cookie, csrf, NULL), 200);
	assert_int_equal(sign_in(fx, right, cookie, csrf, NULL), 200);
	r = harness_cmd(fx->h, "GET " HARNESS_PREFIX "console:fail:ip:198.51.100.7");
	assert_true(r->type == REDIS_REPLY_STRING && atoi(r->str) >= 10);
	freeReplyObject(r);
	freeReplyObject(harness_cmd(fx->h, "DEL " HARNESS_PREFIX "console:fail:ip:198.51.100.7"));
	/* The operator sees the guessing in /metrics, with no address or name in it. */
	assert_true(wrong >= 0 && throttled >= 0 && ok >= 0);
	assert_int_equal(harness_metric(fx->h, "amuddu_console_sign_ins_total{result=\"wrong\"}"), wrong + 10);
	assert_int_equal(harness_metric(fx->h, "amuddu_console_sign_ins_total{result=\"throttled\"}"), throttled + 2);
	assert_int_equal(harness_metric(fx->h, "amuddu_console_sign_ins_total{result=\"ok\"}"), ok + 2);
}

static void
test_files_and_headers(void **state)
{
	struct fixture *fx = *state;
	struct harness_http hc = { 0 };
	char v[400], etag[64], inm[100], *out = NULL;
	const char *hs[] = { inm, NULL };

	assert_int_equal(harness_request(&hc, fx->h->gateway_port, "GET", "/console/", NULL, NULL, 0, &out), 200);
	assert_non_null(strstr(out, "<title>Amuddu</title>"));
	free(out);
	header(&hc, "Content-Security-Policy", v, sizeof v);
	assert_non_null(strstr(v, "default-src 'none'"));
	assert_non_null(strstr(v, "script-src 'self'"));
	assert_null(strstr(v, "unsafe-inline"));
	assert_non_null(strstr(v, "frame-ancestors 'none'"));
	header(&hc, "Content-Type", v, sizeof v);
	assert_string_equal(v, "text/html; charset=utf-8");
	header(&hc, "X-Content-Type-Options", v, sizeof v);
	assert_string_equal(v, "nosniff");
	header(&hc, "ETag", etag, sizeof etag);
	assert_true(strlen(etag) > 2);
	snprintf(inm, sizeof inm, "If-None-Match: %s", etag);
	assert_int_equal(harness_request(&hc, fx->h->gateway_port, "GET", "/console/", hs, NULL, 0, &out), 304);
	free(out);
	assert_int_equal(
	    harness_request(&hc, fx->h->gateway_port, "GET", "/console/css/console.css", NULL, NULL, 0, &out), 200);
	free(out);
	header(&hc, "Content-Type", v, sizeof v);
	assert_string_equal(v, "text/css; charset=utf-8");
	assert_int_equal(harness_request(&hc, fx->h->gateway_port, "GET", "/console", NULL, NULL, 0, &out), 301);
	free(out);
	header(&hc, "Location", v, sizeof v);
	assert_string_equal(v, "/console/");
	/* Nothing but the files read at start: no hidden file, no way out of the directory. */
	assert_int_equal(
	    harness_request(&hc, fx->h->gateway_port, "GET", "/console/.secret", NULL, NULL, 0, &out), 404);
	free(out);
	assert_int_equal(
	    harness_request(&hc, fx->h->gateway_port, "GET", "/console/%2e%2e/%2e%2e/etc/passwd", NULL, NULL, 0, &out),
	    404);
	free(out);
	assert_int_equal(harness_request(&hc, fx->h->gateway_port, "POST", "/console/app.js", NULL, "x", 1, &out), 405);
	free(out);
	harness_http_close(&hc);
}

static void
test_strings_from_catalogs(void **state)
{
	struct fixture *fx = *state;
	json_t *fr, *ar;
	const char *key;
	json_t *v;

	assert_int_equal(
	    harness_api(fx->h->gateway_port, "GET", "/console/i18n/fr.json", NULL, NULL, NULL, 0, NULL, &fr), 200);
	assert_int_equal(
	    harness_api(fx->h->gateway_port, "GET", "/console/i18n/ar.json", NULL, NULL, NULL, 0, NULL, &ar), 200);
	assert_string_equal(json_string_value(json_object_get(fr, "dir")), "ltr");
	assert_string_equal(json_string_value(json_object_get(ar, "dir")), "rtl");
	/* Every string is the console's, each language in its own words (an indicator's name here). */
	assert_true(json_object_size(json_object_get(fr, "strings")) > 0);
	json_object_foreach(json_object_get(fr, "strings"), key, v)
	{
		assert_non_null(json_object_get(json_object_get(ar, "strings"), key));
		assert_int_equal(strncmp(key, "console.", 8), 0);
	}
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(fr, "strings"), "console.indicator.reached")),
	    "Touchées");
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(ar, "strings"), "console.indicator.reached")),
	    "تم الوصول إليهم");
	json_decref(fr);
	json_decref(ar);
	assert_int_equal(
	    harness_api(fx->h->gateway_port, "GET", "/console/i18n/de.json", NULL, NULL, NULL, 0, NULL, &fr), 404);
	json_decref(fr);
}

/* Behind HTTPS (secure_cookie = yes) the cookie is Secure and __Host- named; the plain name is no session. */
static void
test_secure_cookie(void **state)
{
	struct fixture *fx = *state;
	struct harness_http hc = { 0 };
	const char *js[] = { "Content-Type: application/json", NULL };
	static const char body[] = "{\"token\": \"" HARNESS_MONITORING_SECRET "\"}";
	char extra[2048], set[400], ck[160], sid[80], *out = NULL;
	const char *hs[] = { ck, NULL };
	int port = harness_free_port();
	long code = -1;

	snprintf(extra, sizeof extra, "[http]\nlisten = 127.0.0.1:%d\n[console]\ndir = %s\nsecure_cookie = yes\n", port,
	    fx->dir);
	harness_api_section(extra, sizeof extra);
	harness_gateway_spawn(fx->h, "secure", extra);
	for (int i = 0; i < 200 && code != 200; i++) {
		harness_sleep_ms(50);
		code = harness_request(&hc, port, "GET", "/healthz", NULL, NULL, 0, NULL);
	}
	assert_int_equal(code, 200);
	assert_int_equal(harness_request(&hc, port, "POST", "/console/session", js, body, strlen(body), &out), 200);
	free(out);
	header(&hc, "Set-Cookie", set, sizeof set);
	assert_int_equal(strncmp(set, "__Host-amuddu_session=", 22), 0);
	assert_non_null(strstr(set, "; Secure"));
	snprintf(sid, sizeof sid, "%.64s", set + 22);
	snprintf(ck, sizeof ck, "Cookie: amuddu_session=%s", sid);
	assert_int_equal(harness_request(&hc, port, "GET", "/v1/reach", hs, NULL, 0, &out), 401);
	free(out);
	snprintf(ck, sizeof ck, "Cookie: __Host-amuddu_session=%s", sid);
	assert_int_equal(harness_request(&hc, port, "GET", "/v1/reach", hs, NULL, 0, &out), 200);
	free(out);
	harness_http_close(&hc);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sign_in_and_roles),
		cmocka_unit_test(test_failed_sign_ins_throttled),
		cmocka_unit_test(test_sign_ins_behind_a_proxy),
		cmocka_unit_test(test_files_and_headers),
		cmocka_unit_test(test_strings_from_catalogs),
		cmocka_unit_test(test_secure_cookie),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
