/*
 * The web console's sessions. Signing in with a role token or a named
 * login (PBKDF2-SHA256 hash in [console]) makes a session: 32 random bytes
 * in an HttpOnly, SameSite=Strict cookie, and in Redis only their SHA-256
 * (console:session:<hash>: "<t|l> <name> <csrf> <expiry ms>"), so that a
 * copy of the store gives no session away. A session names its token or
 * login, not its role: the role is read from the configuration on each
 * call, and a token or login taken out of it ends its sessions.
 *
 * A call authenticated by the cookie that changes anything must carry the
 * session's CSRF token in X-CSRF-Token and, when the browser says where it
 * comes from (Origin), come from this very host. Failed sign-ins are
 * counted per client address and per login name for 15 minutes; at ten,
 * further attempts are refused before any password is checked.
 */
#include "gateway/console_session.h"

#include <errno.h>
#include <event2/event.h>
#include <event2/keyvalq_struct.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <pthread.h>
#include <unistd.h>

#include "gateway/api_int.h"
#include "gateway/util/log.h"
#include "gateway/util/zone.h"
#include "gateway/util/xmalloc.h"

#define SESSION_COOKIE "amuddu_session"
#define SESSION_DEFAULT_SECONDS (8 * 3600)
#define SESSION_MAX_FAILS 10
#define SESSION_FAIL_WINDOW "900"
#define SESSION_MAX_HASHING 4

/* A session lookup under way. */
struct session_find {
	struct api_call *c;
	session_then *then;
};

/* A sign-in under way: what was presented, until the failure counts are read. */
struct session_signin {
	struct api_call *c;
	char *token, *login, *password;
	char ip[64];
	char sid[65], csrf[65];
	long long expires;
	const char *name;
	enum role role;
	/* The password's check on its own thread: the result, and the pipe that says it is there. */
	pthread_t thread;
	int pipe[2];
	struct event *ev;
	bool ok;
};

/* Passwords being hashed now (event loop only). */
static int session_hashing;

static void session_ignore(void *arg, json_t *reply, const char *err);
static void session_found(void *arg, json_t *reply, const char *err);
static void session_counted(void *arg, json_t *reply, const char *err);
static void session_made(void *arg, json_t *reply, const char *err);
static void session_signin_free(struct session_signin *s);
static void session_checked(struct session_signin *s, bool ok);
static void session_hashed(evutil_socket_t fd, short what, void *arg);
static void *session_hash_thread(void *arg);

static void
session_hex(const unsigned char *b, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
}

/* 32 random bytes as 64 hex digits; false when the system has no randomness to give. */
static bool
session_random(char out[65])
{
	unsigned char b[32];

	if (RAND_bytes(b, sizeof b) != 1)
		return false;
	session_hex(b, sizeof b, out);
	OPENSSL_cleanse(b, sizeof b);
	return true;
}

/* The store key of session id sid: its SHA-256, never the id itself. */
static char *
session_key(struct api *a, const char *sid)
{
	unsigned char d[SHA256_DIGEST_LENGTH];
	char hex[2 * SHA256_DIGEST_LENGTH + 1];

	SHA256((const unsigned char *)sid, strlen(sid), d);
	session_hex(d, sizeof d, hex);
	return xasprintf("%sconsole:session:%s", store_prefix(a->store), hex);
}

/* verb (GET, DEL) on the store key of session sid. */
static void
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

static long
session_seconds(const struct api *a)
{
	return a->tokens->session_seconds > 0 ? a->tokens->session_seconds : SESSION_DEFAULT_SECONDS;
}

bool
session_cookie(struct evhttp_request *req, char sid[65])
{
	const char *h = evhttp_find_header(evhttp_request_get_input_headers(req), "Cookie");
	size_t nl = strlen(SESSION_COOKIE);

	for (const char *p = h; p != NULL && *p != '\0';) {
		while (*p == ' ' || *p == ';')
			p++;
		if (strncmp(p, SESSION_COOKIE, nl) == 0 && p[nl] == '=') {
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

	if (!session_cookie(c->req, sid)) {
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
		api_error(c, 503, "unavailable", NULL, "the gateway cannot reach its store now; try again shortly");
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
	if (origin != NULL) {
		const char *o = strstr(origin, "://");

		if (o == NULL || host == NULL || strcasecmp(o + 3, host) != 0) {
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
	char *v = xasprintf("%s=%s; Path=/; Max-Age=%ld; HttpOnly; SameSite=Strict%s", SESSION_COOKIE, sid, max_age,
	    c->api->tokens->secure_cookie ? "; Secure" : "");

	evhttp_add_header(evhttp_request_get_output_headers(c->req), "Set-Cookie", v);
	free(v);
}

json_t *
session_json(const struct api_call *c, long long expires)
{
	char at[40];

	zone_format(expires / 1000, at, sizeof at);
	return json_pack("{s:s, s:s, s:s, s:s}", "name", c->who.name, "role", role_name(c->who.role), "csrf", c->csrf,
	    "expires_at", at);
}

void
session_end(struct api_call *c)
{
	char sid[65];

	if (session_cookie(c->req, sid))
		session_command(c->api, "DEL", sid, session_ignore, NULL);
	session_cookie_header(c, "", 0);
}

static void
session_ignore(void *arg, json_t *reply, const char *err)
{
	(void)arg;
	(void)reply;
	(void)err;
}

static void
session_signin_free(struct session_signin *s)
{
	if (s->ev != NULL)
		event_free(s->ev);
	if (s->pipe[0] > 0) {
		close(s->pipe[0]);
		close(s->pipe[1]);
	}
	if (s->password != NULL)
		OPENSSL_cleanse(s->password, strlen(s->password));
	free(s->password);
	free(s->token);
	free(s->login);
	free(s);
}

static char *
session_fail_key(struct api *a, const char *what, const char *v)
{
	return xasprintf("%sconsole:fail:%s:%s", store_prefix(a->store), what, v);
}

void
session_signin(struct api_call *c)
{
	json_t *body = api_body_json(c);
	const char *token, *login, *password, *ip = NULL;
	struct session_signin *s;
	struct cmdargs a;
	ev_uint16_t port;
	char *k;

	if (body == NULL)
		return;
	token = json_string_value(json_object_get(body, "token"));
	login = json_string_value(json_object_get(body, "login"));
	password = json_string_value(json_object_get(body, "password"));
	if (token == NULL && login == NULL) {
		json_decref(body);
		api_error(c, 422, "invalid", "login", "give a login and its password, or a token");
		return;
	}
	if (token == NULL && (password == NULL || *password == '\0')) {
		json_decref(body);
		api_error(c, 422, "invalid", "password", "give the login's password");
		return;
	}
	if (api_store_down(c)) {
		json_decref(body);
		return;
	}
	s = xcalloc(1, sizeof *s);
	s->c = c;
	s->token = token != NULL ? xstrdup(token) : NULL;
	s->login = token == NULL ? xstrndup(login, strnlen(login, CONFIG_API_NAME_MAX)) : NULL;
	s->password = token == NULL ? xstrdup(password) : NULL;
	json_decref(body);
	evhttp_connection_get_peer(evhttp_request_get_connection(c->req), (char **)&ip, &port);
	snprintf(s->ip, sizeof s->ip, "%s", ip != NULL ? ip : "-");
	memset(&a, 0, sizeof a);
	cmdargs_str(&a, "MGET");
	k = session_fail_key(c->api, "ip", s->ip);
	cmdargs_dup(&a, k, strlen(k));
	free(k);
	k = session_fail_key(c->api, "login", s->login != NULL ? s->login : "");
	cmdargs_dup(&a, k, strlen(k));
	free(k);
	store_command(c->api->store, &a, session_counted, s);
}

/* Whether the presented credentials are a configured token's or login's; sets s->name and s->role. */
static bool
session_check(struct session_signin *s)
{
	const struct config_api *cfg = s->c->api->tokens;
	unsigned char d[32];
	/* An unknown login costs as much as a known one, so timing does not tell which names exist. */
	static const unsigned char dummy_salt[16];
	const struct config_api_login *l = NULL;
	unsigned iterations = 100000;
	bool ok = false;

	if (s->token != NULL) {
		SHA256((const unsigned char *)s->token, strlen(s->token), d);
		for (size_t i = 0; i < cfg->ntokens; i++) {
			if (CRYPTO_memcmp(d, cfg->tokens[i].sha256, sizeof d) == 0) {
				s->name = cfg->tokens[i].name;
				s->role = cfg->tokens[i].role;
				ok = true;
			}
		}
		OPENSSL_cleanse(d, sizeof d);
		return ok;
	}
	for (size_t i = 0; i < cfg->nlogins; i++)
		if (strcmp(cfg->logins[i].name, s->login) == 0)
			l = &cfg->logins[i];
	if (l != NULL)
		iterations = l->iterations;
	if (PKCS5_PBKDF2_HMAC(s->password, (int)strlen(s->password), l != NULL ? l->salt : dummy_salt,
		l != NULL ? (int)l->saltlen : (int)sizeof dummy_salt, (int)iterations, EVP_sha256(), sizeof d,
		d) == 1 &&
	    l != NULL && CRYPTO_memcmp(d, l->hash, sizeof d) == 0) {
		s->name = l->name;
		s->role = l->role;
		ok = true;
	}
	OPENSSL_cleanse(d, sizeof d);
	return ok;
}

/* Counts one more failed sign-in from this address and for this login, for the window. */
static void
session_count_failure(struct session_signin *s)
{
	const char *what[2] = { "ip", "login" };
	const char *v[2] = { s->ip, s->login != NULL ? s->login : "" };

	for (int i = 0; i < (s->login != NULL ? 2 : 1); i++) {
		struct cmdargs a;
		char *k = session_fail_key(s->c->api, what[i], v[i]);

		memset(&a, 0, sizeof a);
		cmdargs_str(&a, "INCR");
		cmdargs_dup(&a, k, strlen(k));
		store_command(s->c->api->store, &a, session_ignore, NULL);
		memset(&a, 0, sizeof a);
		cmdargs_str(&a, "EXPIRE");
		cmdargs_dup(&a, k, strlen(k));
		cmdargs_str(&a, SESSION_FAIL_WINDOW);
		store_command(s->c->api->store, &a, session_ignore, NULL);
		free(k);
	}
}

static void
session_counted(void *arg, json_t *reply, const char *err)
{
	struct session_signin *s = arg;
	struct api_call *c = s->c;

	if (err != NULL) {
		session_signin_free(s);
		api_error(c, 503, "unavailable", NULL, "the gateway cannot reach its store now; try again shortly");
		return;
	}
	for (size_t i = 0; i < json_array_size(reply); i++) {
		const char *n = json_string_value(json_array_get(reply, i));

		/* The login count only for a login: a token sign-in shares the empty name. */
		if (n != NULL && atol(n) >= SESSION_MAX_FAILS && (i == 0 || s->login != NULL)) {
			session_signin_free(s);
			evhttp_add_header(
			    evhttp_request_get_output_headers(c->req), "Retry-After", SESSION_FAIL_WINDOW);
			log_info("console sign-in refused: too many failed attempts");
			api_error(
			    c, 429, "too_many_attempts", NULL, "too many failed attempts: try again in 15 minutes");
			return;
		}
	}
	if (s->login == NULL) {
		session_checked(s, session_check(s));
		return;
	}
	/* PBKDF2 takes a tenth of a second on purpose: never on the event loop, which sends the messages. */
	if (session_hashing >= SESSION_MAX_HASHING || pipe(s->pipe) != 0) {
		session_signin_free(s);
		evhttp_add_header(evhttp_request_get_output_headers(c->req), "Retry-After", "2");
		api_error(c, 503, "busy", NULL, "too many sign-ins at once: try again in a moment");
		return;
	}
	s->ev = event_new(
	    evhttp_connection_get_base(evhttp_request_get_connection(c->req)), s->pipe[0], EV_READ, session_hashed, s);
	if (s->ev == NULL || event_add(s->ev, NULL) != 0 ||
	    pthread_create(&s->thread, NULL, session_hash_thread, s) != 0) {
		session_signin_free(s);
		api_error(c, 500, "internal", NULL, "cannot check the password now");
		return;
	}
	session_hashing++;
}

/* The password's hash, off the event loop: only s is touched, then one byte on the pipe says it is done. */
static void *
session_hash_thread(void *arg)
{
	struct session_signin *s = arg;
	char done = 1;

	s->ok = session_check(s);
	while (write(s->pipe[1], &done, 1) < 0 && errno == EINTR)
		;
	return NULL;
}

static void
session_hashed(evutil_socket_t fd, short what, void *arg)
{
	struct session_signin *s = arg;

	(void)fd;
	(void)what;
	pthread_join(s->thread, NULL);
	session_hashing--;
	session_checked(s, s->ok);
}

/* Answers a checked sign-in: 401 (counted) or a new session. */
static void
session_checked(struct session_signin *s, bool ok)
{
	struct api_call *c = s->c;
	struct cmdargs a;
	char *key, *v;

	if (!ok) {
		session_count_failure(s);
		log_info("console sign-in failed");
		api_error(c, 401, "unauthorized", s->token != NULL ? "token" : "password",
		    s->token != NULL ? "this token is not valid" : "the login or the password is wrong");
		session_signin_free(s);
		return;
	}
	if (!session_random(s->sid) || !session_random(s->csrf)) {
		session_signin_free(s);
		api_error(c, 500, "internal", NULL, "no randomness for a session");
		return;
	}
	s->expires = zone_now_ms() + session_seconds(c->api) * 1000LL;
	key = session_key(c->api, s->sid);
	v = xasprintf("%c %s %s %lld", s->login != NULL ? 'l' : 't', s->name, s->csrf, s->expires);
	memset(&a, 0, sizeof a);
	cmdargs_str(&a, "SET");
	cmdargs_dup(&a, key, strlen(key));
	cmdargs_dup(&a, v, strlen(v));
	cmdargs_str(&a, "EX");
	cmdargs_num(&a, session_seconds(c->api));
	free(key);
	free(v);
	store_command(c->api->store, &a, session_made, s);
}

static void
session_made(void *arg, json_t *reply, const char *err)
{
	struct session_signin *s = arg;
	struct api_call *c = s->c;

	(void)reply;
	if (err != NULL) {
		session_signin_free(s);
		api_error(c, 503, "unavailable", NULL, "the gateway cannot reach its store now; try again shortly");
		return;
	}
	snprintf(c->who.name, sizeof c->who.name, "%s", s->name);
	c->who.role = s->role;
	snprintf(c->csrf, sizeof c->csrf, "%s", s->csrf);
	c->token = &c->who;
	session_cookie_header(c, s->sid, session_seconds(c->api));
	api_audit(c, "console.sign_in", NULL, s->login != NULL ? "login" : "token");
	api_reply(c, 200, session_json(c, s->expires));
	session_signin_free(s);
}
