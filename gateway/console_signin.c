/*
 * Signing in to the web console (POST /console/session): a role token, or
 * a named login whose password is checked with PBKDF2 on a thread of its
 * own, never on the event loop that sends the messages. Every attempt is
 * counted before it is checked, per client address and per login, in one
 * Redis script, so that parallel guesses cannot pass the limit; a success
 * takes its attempt back. Behind a proxy of [console] trusted_proxies, the
 * client address is the one the proxy read from its own peer
 * (X-Forwarded-For). The session it makes is gateway/console_session.c's.
 */
#include <errno.h>
#include <event2/event.h>
#include <event2/keyvalq_struct.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>
#include <unistd.h>

#include "gateway/api_int.h"
#include "gateway/console_session.h"
#include "gateway/metrics.h"
#include "gateway/util/log.h"
#include "gateway/util/netaddr.h"
#include "gateway/util/xmalloc.h"
#include "gateway/util/zone.h"

#define SESSION_MAX_FAILS 10
#define SESSION_FAIL_WINDOW "900"
#define SESSION_MAX_HASHING 4
/*
 * Counts one sign-in attempt under each key (the address, and the login
 * when there is one), each count living SESSION_FAIL_WINDOW seconds from
 * its first attempt; answers the highest. A success takes its own back.
 */
#define SESSION_COUNT_LUA                                                                                              \
	"local m = 0 for _, k in ipairs(KEYS) do local n = redis.call('INCR', k) "                                     \
	"if n == 1 then redis.call('EXPIRE', k, ARGV[1]) end if n > m then m = n end end return m"

/* A sign-in under way: what was presented, until the failure counts are read. */
struct session_signin {
	struct api_call *c;
	char *token, *login, *password;
	char ip[NETADDR_TEXT_MAX];
	char sid[65], csrf[65];
	long long expires;
	const char *name;
	enum role role;
	const unsigned char *credential; /* the configured token's SHA-256 or login's hash that matched */
	/* The password's check on its own thread: the result, and the pipe that says it is there. */
	pthread_t thread;
	int pipe[2];
	struct event *ev;
	bool ok;
};

/* The sign-ins whose passwords are being hashed now, a slot each (event loop only). */
static struct session_signin *session_hashes[SESSION_MAX_HASHING];

static void session_counted(void *arg, json_t *reply, const char *err);
static void session_made(void *arg, json_t *reply, const char *err);
static void session_signin_free(struct session_signin *s);
static void session_checked(struct session_signin *s, bool ok);
static void session_hashed(evutil_socket_t fd, short what, void *arg);
static void *session_hash_thread(void *arg);

/* A command whose answer is not waited for, but whose failure is logged (what names the key, not the key). */
static void
signin_logged(void *arg, json_t *reply, const char *err)
{
	(void)reply;
	if (err != NULL)
		log_warn("console sign-in: the store did not take the %s: %s", (const char *)arg, err);
}

/* One command on one key, its answer not waited for; what says what it was for, in a log line. */
static void
signin_command(struct api *api, const char *verb, const char *key, const char *what)
{
	struct cmdargs a;

	memset(&a, 0, sizeof a);
	cmdargs_str(&a, verb);
	cmdargs_dup(&a, key, strlen(key));
	store_command(api->store, &a, signin_logged, (void *)what);
}

static void
session_signin_free(struct session_signin *s)
{
	if (s->ev != NULL)
		event_free(s->ev);
	if (s->pipe[0] >= 0) {
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

/* The slot holding s (NULL: a free one), or -1. */
static int
session_slot(const struct session_signin *s)
{
	for (int i = 0; i < SESSION_MAX_HASHING; i++)
		if (session_hashes[i] == s)
			return i;
	return -1;
}

/* The keys of a sign-in's attempt counts: the address's, and the login's for a login; how many. */
static int
session_fail_keys(const struct session_signin *s, char *keys[2])
{
	const char *prefix = store_prefix(s->c->api->store);

	keys[0] = xasprintf("%sconsole:fail:ip:%s", prefix, s->ip);
	if (s->login == NULL)
		return 1;
	keys[1] = xasprintf("%sconsole:fail:login:%s", prefix, s->login);
	return 2;
}

/* The address the attempt is counted under: the peer's, or the client's that a trusted proxy names. */
static void
session_client(struct api_call *c, char *out, size_t outlen)
{
	const struct netaddr_list *trusted = &c->api->tokens->trusted_proxies;
	struct evhttp_connection *conn = evhttp_request_get_connection(c->req);
	const char *peer = NULL;
	ev_uint16_t port;
	char *xff = NULL;

	evhttp_connection_get_peer(conn, (char **)&peer, &port);
	if (trusted->n > 0 && netaddr_list_has(trusted, peer)) {
		const struct evkeyval *h;

		/* Every X-Forwarded-For in order, as one list: the last one's items are the nearest. */
		TAILQ_FOREACH(h, evhttp_request_get_input_headers(c->req), next)
		{
			if (strcasecmp(h->key, "X-Forwarded-For") != 0)
				continue;
			if (xff == NULL) {
				xff = xstrdup(h->value);
			} else {
				char *joined = xasprintf("%s,%s", xff, h->value);

				free(xff);
				xff = joined;
			}
		}
	}
	netaddr_client(trusted, peer, xff, out, outlen);
	free(xff);
}

void
session_signin(struct api_call *c)
{
	json_t *body = api_body_json(c);
	const char *token, *login, *password;
	struct session_signin *s;
	struct cmdargs a;
	char *keys[2];
	int n;

	if (body == NULL) {
		metrics_count_signin(c->api->metrics, METRICS_SIGNIN_INVALID);
		return;
	}
	token = json_string_value(json_object_get(body, "token"));
	login = json_string_value(json_object_get(body, "login"));
	password = json_string_value(json_object_get(body, "password"));
	if (token == NULL && login == NULL) {
		json_decref(body);
		metrics_count_signin(c->api->metrics, METRICS_SIGNIN_INVALID);
		api_error(c, 422, "invalid", "login", "give a login and its password, or a token");
		return;
	}
	if (token == NULL && (password == NULL || *password == '\0')) {
		json_decref(body);
		metrics_count_signin(c->api->metrics, METRICS_SIGNIN_INVALID);
		api_error(c, 422, "invalid", "password", "give the login's password");
		return;
	}
	if (api_store_down(c)) {
		json_decref(body);
		metrics_count_signin(c->api->metrics, METRICS_SIGNIN_UNAVAILABLE);
		return;
	}
	s = xcalloc(1, sizeof *s);
	s->pipe[0] = s->pipe[1] = -1;
	s->c = c;
	s->token = token != NULL ? xstrdup(token) : NULL;
	s->login = token == NULL ? xstrndup(login, strnlen(login, CONFIG_API_NAME_MAX)) : NULL;
	s->password = token == NULL ? xstrdup(password) : NULL;
	json_decref(body);
	session_client(c, s->ip, sizeof s->ip);
	/* The attempt is counted before it is checked, in one step: parallel guesses cannot pass the limit. */
	memset(&a, 0, sizeof a);
	cmdargs_str(&a, "EVAL");
	cmdargs_str(&a, SESSION_COUNT_LUA);
	n = session_fail_keys(s, keys);
	cmdargs_num(&a, n);
	for (int i = 0; i < n; i++) {
		cmdargs_dup(&a, keys[i], strlen(keys[i]));
		free(keys[i]);
	}
	cmdargs_str(&a, SESSION_FAIL_WINDOW);
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
	unsigned iterations = PASSWORD_ITERATIONS;
	bool ok = false;

	if (s->token != NULL) {
		SHA256((const unsigned char *)s->token, strlen(s->token), d);
		for (size_t i = 0; i < cfg->ntokens; i++) {
			if (CRYPTO_memcmp(d, cfg->tokens[i].sha256, sizeof d) == 0) {
				s->name = cfg->tokens[i].name;
				s->role = cfg->tokens[i].role;
				s->credential = cfg->tokens[i].sha256;
				ok = true;
			}
		}
		OPENSSL_cleanse(d, sizeof d);
		return ok;
	}
	/* The dummy's cost is the dearest login's, so that no known name answers slower than an unknown one. */
	for (size_t i = 0; i < cfg->nlogins; i++) {
		if (strcmp(cfg->logins[i].name, s->login) == 0)
			l = &cfg->logins[i];
		if (i == 0 || cfg->logins[i].iterations > iterations)
			iterations = cfg->logins[i].iterations;
	}
	if (l != NULL)
		iterations = l->iterations;
	if (PKCS5_PBKDF2_HMAC(s->password, (int)strlen(s->password), l != NULL ? l->salt : dummy_salt,
		l != NULL ? (int)l->saltlen : (int)sizeof dummy_salt, (int)iterations, EVP_sha256(), sizeof d,
		d) == 1 &&
	    l != NULL && CRYPTO_memcmp(d, l->hash, sizeof d) == 0) {
		s->name = l->name;
		s->role = l->role;
		s->credential = l->hash;
		ok = true;
	}
	OPENSSL_cleanse(d, sizeof d);
	return ok;
}

/* A sign-in that succeeded takes its attempt back from the address's and the login's counts. */
static void
session_uncount(struct session_signin *s)
{
	char *keys[2];
	int n = session_fail_keys(s, keys);

	for (int i = 0; i < n; i++) {
		signin_command(s->c->api, "DECR", keys[i], "attempt taken back");
		free(keys[i]);
	}
}

static void
session_counted(void *arg, json_t *reply, const char *err)
{
	struct session_signin *s = arg;
	struct api_call *c = s->c;
	int slot;

	if (err != NULL) {
		session_signin_free(s);
		metrics_count_signin(c->api->metrics, METRICS_SIGNIN_UNAVAILABLE);
		session_unavailable(c);
		return;
	}
	if (json_integer_value(reply) > SESSION_MAX_FAILS) {
		session_signin_free(s);
		metrics_count_signin(c->api->metrics, METRICS_SIGNIN_THROTTLED);
		evhttp_add_header(evhttp_request_get_output_headers(c->req), "Retry-After", SESSION_FAIL_WINDOW);
		log_info("console sign-in refused=too_many_attempts");
		api_error(c, 429, "too_many_attempts", NULL, "too many failed attempts: try again in 15 minutes");
		return;
	}
	if (s->login == NULL) {
		session_checked(s, session_check(s));
		return;
	}
	/* PBKDF2 takes a tenth of a second on purpose: never on the event loop, which sends the messages. */
	if ((slot = session_slot(NULL)) < 0 || pipe2(s->pipe, O_CLOEXEC) != 0) {
		session_signin_free(s);
		metrics_count_signin(c->api->metrics, METRICS_SIGNIN_BUSY);
		evhttp_add_header(evhttp_request_get_output_headers(c->req), "Retry-After", "2");
		api_error(c, 503, "busy", NULL, "too many sign-ins at once: try again in a moment");
		return;
	}
	s->ev = event_new(
	    evhttp_connection_get_base(evhttp_request_get_connection(c->req)), s->pipe[0], EV_READ, session_hashed, s);
	if (s->ev == NULL || event_add(s->ev, NULL) != 0 ||
	    pthread_create(&s->thread, NULL, session_hash_thread, s) != 0) {
		session_signin_free(s);
		metrics_count_signin(c->api->metrics, METRICS_SIGNIN_UNAVAILABLE);
		api_error(c, 500, "internal", NULL, "cannot check the password now");
		return;
	}
	session_hashes[slot] = s;
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
	session_hashes[session_slot(s)] = NULL;
	session_checked(s, s->ok);
}

void
session_shutdown(void)
{
	/* The requests went with the HTTP server: the threads are waited for, nobody is answered. */
	for (int i = 0; i < SESSION_MAX_HASHING; i++) {
		struct session_signin *s = session_hashes[i];

		if (s == NULL)
			continue;
		pthread_join(s->thread, NULL);
		free(s->c);
		session_signin_free(s);
		session_hashes[i] = NULL;
	}
}

/* Answers a checked sign-in: 401 (counted) or a new session. */
static void
session_checked(struct session_signin *s, bool ok)
{
	struct api_call *c = s->c;
	struct cmdargs a;
	char *key, *v, fp[17];

	if (!ok) {
		metrics_count_signin(c->api->metrics, METRICS_SIGNIN_WRONG);
		log_info("console sign-in refused=wrong kind=%s", s->login != NULL ? "login" : "token");
		api_error(c, 401, "unauthorized", s->token != NULL ? "token" : "password",
		    s->token != NULL ? "this token is not valid" : "the login or the password is wrong");
		session_signin_free(s);
		return;
	}
	session_uncount(s);
	if (!session_random(s->sid) || !session_random(s->csrf)) {
		session_signin_free(s);
		metrics_count_signin(c->api->metrics, METRICS_SIGNIN_UNAVAILABLE);
		api_error(c, 500, "internal", NULL, "no randomness for a session");
		return;
	}
	s->expires = zone_now_ms() + session_seconds(c->api) * 1000LL;
	key = session_key(c->api, s->sid);
	session_fingerprint(s->credential, fp);
	v = xasprintf("%c %s %s %lld %s", s->login != NULL ? 'l' : 't', s->name, s->csrf, s->expires, fp);
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
	char old[65];

	(void)reply;
	if (err != NULL) {
		session_signin_free(s);
		metrics_count_signin(c->api->metrics, METRICS_SIGNIN_UNAVAILABLE);
		session_unavailable(c);
		return;
	}
	/* The session this browser had before is forgotten: its cookie is replaced, and nothing may use it again. */
	if (session_cookie(c->api, c->req, old))
		session_command(c->api, "DEL", old, signin_logged, (void *)"forgetting of the previous session");
	snprintf(c->who.name, sizeof c->who.name, "%s", s->name);
	c->who.role = s->role;
	snprintf(c->csrf, sizeof c->csrf, "%s", s->csrf);
	c->token = &c->who;
	session_cookie_header(c, s->sid, session_seconds(c->api));
	api_audit(c, "console.sign_in", NULL, s->login != NULL ? "login" : "token");
	metrics_count_signin(c->api->metrics, METRICS_SIGNIN_OK);
	api_reply(c, 200, session_json(c, s->expires));
	session_signin_free(s);
}
