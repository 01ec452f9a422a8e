/*
 * The web console's sessions. Signing in (gateway/console_signin.c) makes
 * a session: 32 random bytes in an HttpOnly, SameSite=Strict cookie, and
 * in Redis only their SHA-256 (console:session:<hash>: "<t|l> <name>
 * <csrf> <expiry ms> <credential fingerprint>"), so that a copy of the
 * store gives no session away. A session names its token or login, not
 * its role: the role is read from the configuration on each call, and a
 * token or login taken out of it, or given a new secret, ends its sessions.
 *
 * A call authenticated by the cookie that changes anything must carry the
 * session's CSRF token in X-CSRF-Token and, when the browser says where it
 * comes from (Origin), come from the console's own origin.
 */
#include "gateway/console_session.h"

#include <event2/keyvalq_struct.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gateway/api_int.h"
#include "gateway/util/log.h"
#include "gateway/util/zone.h"
#include "gateway/util/xmalloc.h"

/*
 * Behind HTTPS the cookie's name carries the __Host- prefix: browsers then
 * take it only when Secure, for this host and path /, so neither a sibling
 * subdomain nor a plain-HTTP answer can plant one.
 */
static const char *
session_cookie_name(const struct api *a)
{
	return a->tokens->secure_cookie ? "__Host-amuddu_session" : "amuddu_session";
}

/* A session lookup under way. */
struct session_find {
	struct api_call *c;
	session_then *then;
};

static void session_found(void *arg, json_t *reply, const char *err);

static void
session_hex(const unsigned char *b, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
}

/* 32 random bytes as 64 hex digits; false when the system has no randomness to give. */
bool
session_random(char out[65])
{
	unsigned char b[32];

	if (RAND_bytes(b, sizeof b) != 1)
		return false;
	session_hex(b, sizeof b, out);
	OPENSSL_cleanse(b, sizeof b);
	return true;
}

/*
 * The first 8 bytes of a credential's hash, kept with its sessions: a
 * secret replaced under the same name ends the sessions made with the old one.
 */
void
session_fingerprint(const unsigned char *credential, char out[17])
{
	session_hex(credential, 8, out);
}

/* The store key of session id sid: its SHA-256, never the id itself. */
char *
session_key(struct api *a, const char *sid)
{
	unsigned char d[SHA256_DIGEST_LENGTH];
	char hex[2 * SHA256_DIGEST_LENGTH + 1];

	SHA256((const unsigned char *)sid, strlen(sid), d);
	session_hex(d, sizeof d, hex);
	return xasprintf("%sconsole:session:%s", store_prefix(a->store), hex);
}

/* 503 for a store that failed a call under way. */
void
session_unavailable(struct api_call *c)
{
	evhttp_add_header(evhttp_request_get_output_headers(c->req), "Retry-After", "5");
	api_error(c, 503, "unavailable", NULL, "the gateway cannot reach its store now; try again shortly");
}

void
session_command(struct api *a, const char *verb, const char *sid, store_cb *cb, void *arg)
{
	struct cmdargs args;
	char *key = session_key(a, sid);

	memset(&args, 0, sizeof args);
	cmdargs_str(&args, verb);
	cmdargs_dup(&args, key, strlen(key));
	free(key);
	store_command(a->store, &args, cb, arg);
}

long
session_seconds(const struct api *a)
{
	return a->tokens->session_seconds > 0 ? a->tokens->session_seconds : SESSION_DEFAULT_SECONDS;
}

bool
session_cookie(const struct api *a, struct evhttp_request *req, char sid[65])
{
	const char *name = session_cookie_name(a);
	const char *h = evhttp_find_header(evhttp_request_get_input_headers(req), "Cookie");
	size_t nl = strlen(name);

	for (const char *p = h; p != NULL && *p != '\0';) {
		while (*p == ' ' || *p == ';')
			p++;
		if (strncmp(p, name, nl) == 0 && p[nl] == '=') {
			size_t n = strcspn(p + nl + 1, "; ");

			if (n != 64 || strspn(p + nl + 1, "0123456789abcdef") < 64)
				return false;
			memcpy(sid, p + nl + 1, 64);
			sid[64] = '\0';
			return true;
		}
		p = strchr(p, ';');
	}
	return false;
}

void
session_find(struct api_call *c, session_then *then)
{
	struct session_find *f;
	char sid[65];

	if (!session_cookie(c->api, c->req, sid)) {
		then(c, false);
		return;
	}
	if (api_store_down(c))
		return;
	f = xcalloc(1, sizeof *f);
	f->c = c;
	f->then = then;
	session_command(c->api, "GET", sid, session_found, f);
}

/* Who a stored session is, as the configuration says now: false when its token or login is gone. */
static bool
session_who(struct api_call *c, const char *v)
{
	const struct config_api *cfg = c->api->tokens;
	char kind, name[CONFIG_API_NAME_MAX], csrf[65];
	long long expires;

	if (v == NULL || sscanf(v, "%c %63s %64s %lld", &kind, name, csrf, &expires) != 4 || expires <= zone_now_ms())
		return false;
	for (size_t i = 0; kind == 't' && i < cfg->ntokens; i++)
		if (strcmp(cfg->tokens[i].name, name) == 0)
			c->who.role = cfg->tokens[i].role;
	for (size_t i = 0; kind == 'l' && i < cfg->nlogins; i++)
		if (strcmp(cfg->logins[i].name, name) == 0)
			c->who.role = cfg->logins[i].role;
	if ((int)c->who.role < 0)
		return false;
	snprintf(c->who.name, sizeof c->who.name, "%s", name);
	snprintf(c->csrf, sizeof c->csrf, "%s", csrf);
	c->expires = expires;
	c->token = &c->who;
	return true;
}

static void
session_found(void *arg, json_t *reply, const char *err)
{
	struct session_find *f = arg;
	struct api_call *c = f->c;
	session_then *then = f->then;

	free(f);
	if (err != NULL) {
		session_unavailable(c);
		return;
	}
	c->who.role = (enum role) - 1;
	then(c, session_who(c, json_string_value(reply)));
}

bool
session_csrf_ok(struct api_call *c)
{
	struct evkeyvalq *in = evhttp_request_get_input_headers(c->req);
	enum evhttp_cmd_type m = evhttp_request_get_command(c->req);
	const char *origin = evhttp_find_header(in, "Origin"), *host = evhttp_find_header(in, "Host");
	const char *given = evhttp_find_header(in, "X-CSRF-Token");

	if (m == EVHTTP_REQ_GET || m == EVHTTP_REQ_HEAD)
		return true;
	/* Behind a proxy the Host may be the proxy's own upstream name: [console] origin says what browsers send. */
	if (origin != NULL) {
		const char *o = strstr(origin, "://"), *want = c->api->tokens->origin;

		if (want != NULL ? strcasecmp(origin, want) != 0
				 : o == NULL || host == NULL || strcasecmp(o + 3, host) != 0) {
			api_error(c, 403, "csrf", NULL, "a change from another site is refused");
			return false;
		}
	}
	if (given == NULL || strlen(given) != strlen(c->csrf) || CRYPTO_memcmp(given, c->csrf, strlen(c->csrf)) != 0) {
		api_error(c, 403, "csrf", NULL, "a change needs the session's X-CSRF-Token header");
		return false;
	}
	return true;
}

void
session_cookie_header(struct api_call *c, const char *sid, long max_age)
{
	char *v = xasprintf("%s=%s; Path=/; Max-Age=%ld; HttpOnly; SameSite=Strict%s", session_cookie_name(c->api), sid,
	    max_age, c->api->tokens->secure_cookie ? "; Secure" : "");

	evhttp_add_header(evhttp_request_get_output_headers(c->req), "Set-Cookie", v);
	free(v);
}

json_t *
session_json(const struct api_call *c, long long expires)
{
	char at[40], now[40];

	zone_format(expires / 1000, at, sizeof at);
	/* The programme's clock, for the console's "now" and dates: never the device's own zone. */
	zone_format(zone_now_ms() / 1000, now, sizeof now);
	return json_pack("{s:s, s:s, s:s, s:s, s:s}", "name", c->who.name, "role", role_name(c->who.role), "csrf",
	    c->csrf, "expires_at", at, "now", now);
}

static void
session_deleted(void *arg, json_t *reply, const char *err)
{
	struct api_call *c = arg;

	(void)reply;
	if (err != NULL) {
		session_unavailable(c);
		return;
	}
	session_cookie_header(c, "", 0);
	api_send(c, 204, NULL);
}

/* The session found (or not) for a sign-out: forgotten in the store before the answer says so. */
static void
session_signout_found(struct api_call *c, bool found)
{
	char sid[65];

	if (!found || !session_cookie(c->api, c->req, sid)) {
		session_cookie_header(c, "", 0);
		api_send(c, 204, NULL);
		return;
	}
	if (!session_csrf_ok(c))
		return;
	api_audit(c, "console.sign_out", NULL, NULL);
	session_command(c->api, "DEL", sid, session_deleted, c);
}

void
session_signout(struct api_call *c)
{
	session_find(c, session_signout_found);
}
