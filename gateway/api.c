/*
 * Routing and authorisation of /v1 calls. A call is authenticated first
 * (401 before anything about the path is told), then routed (404, 405),
 * then its role is checked (403), then the route's handler answers it.
 * The presented token is hashed and compared with every configured hash
 * by CRYPTO_memcmp, so neither timing nor order tells which one matched.
 */
#include "gateway/api.h"

#include <event2/buffer.h>
#include <event2/keyvalq_struct.h>
#include <sys/queue.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gateway/api_int.h"
#include "gateway/console.h"
#include "gateway/console_session.h"
#include "gateway/util/buf.h"
#include "gateway/util/log.h"
#include "gateway/util/xmalloc.h"

#define API_ROLE(r) (1u << (r))
#define API_WRITERS (API_ROLE(ROLE_AGENT) | API_ROLE(ROLE_ADMIN))
#define API_READERS (API_ROLE(ROLE_MONITORING) | API_ROLE(ROLE_ADMIN))
/* How long an Idempotency-Key's answer is kept for a repeat. */
#define API_IDEM_TTL "86400"
/* How long a call under way holds its key: a crash or a lost reply frees it after this. */
#define API_IDEM_PENDING_TTL "300"

struct api_route {
	enum evhttp_cmd_type method;
	const char *pattern; /* "{}" matches one path segment */
	unsigned roles;
	void (*handler)(struct api_call *c);
	bool creates; /* takes an Idempotency-Key */
};

static const struct api_route api_routes[] = {
	{ EVHTTP_REQ_POST, "/v1/segments", API_WRITERS, api_segments_post, false },
	{ EVHTTP_REQ_POST, "/v1/contacts/import", API_WRITERS, api_contacts_import, true },
	{ EVHTTP_REQ_GET, "/v1/contacts/export", API_ROLE(ROLE_ADMIN), api_contacts_export, false },
	{ EVHTTP_REQ_GET, "/v1/contacts", API_WRITERS, api_contacts_list, false },
	{ EVHTTP_REQ_GET, "/v1/contacts/{}", API_WRITERS, api_contacts_show, false },
	{ EVHTTP_REQ_PATCH, "/v1/contacts/{}", API_WRITERS, api_contacts_update, false },
	{ EVHTTP_REQ_DELETE, "/v1/contacts/{}", API_ROLE(ROLE_ADMIN), api_contacts_delete, false },
	{ EVHTTP_REQ_POST, "/v1/audiences/preview", API_WRITERS, api_audiences_preview, false },
	{ EVHTTP_REQ_POST, "/v1/messages", API_WRITERS, api_messages_send, true },
	{ EVHTTP_REQ_GET, "/v1/messages/{}", API_WRITERS, api_messages_show, false },
	{ EVHTTP_REQ_POST, "/v1/campaigns", API_WRITERS, api_campaigns_create, true },
	{ EVHTTP_REQ_GET, "/v1/campaigns", API_WRITERS, api_campaigns_list, false },
	{ EVHTTP_REQ_GET, "/v1/campaigns/{}", API_WRITERS, api_campaigns_show, false },
	{ EVHTTP_REQ_POST, "/v1/campaigns/{}/preview", API_WRITERS, api_campaigns_preview, false },
	{ EVHTTP_REQ_POST, "/v1/campaigns/{}/{}", API_WRITERS, api_campaigns_action, false },
	{ EVHTTP_REQ_GET, "/v1/inbox", API_WRITERS, api_inbox_list, false },
	{ EVHTTP_REQ_GET, "/v1/inbox/{}", API_WRITERS, api_inbox_show, false },
	{ EVHTTP_REQ_POST, "/v1/inbox/{}/reply", API_WRITERS, api_inbox_reply, true },
	{ EVHTTP_REQ_POST, "/v1/inbox/{}/close", API_WRITERS, api_inbox_close, false },
	{ EVHTTP_REQ_GET, "/v1/reach", API_READERS, api_reach, false },
	{ EVHTTP_REQ_GET, "/v1/reach/funnel", API_READERS, api_reach_funnel, false },
	{ EVHTTP_REQ_POST, "/v1/reach/verify", API_READERS, api_reach_verify, false },
};

/* A call waiting for its Idempotency-Key to be claimed. */
struct api_idem {
	struct api_call *c;
	const struct api_route *route;
};

static const struct config_api_token *api_authenticate(struct api *a, struct evhttp_request *req);
static bool api_match(const char *pattern, const char *path, struct api_call *c);
static const char *api_method_name(enum evhttp_cmd_type m);
static void api_call_free(struct api_call *c);
static void api_idem_claimed(void *arg, json_t *reply, const char *err);
static void api_idem_found(void *arg, json_t *reply, const char *err);
static void api_ignore(void *arg, json_t *reply, const char *err);
static void api_idem_claim(struct api_call *c, const struct api_route *route, const char *idem);
static void api_idem_keep(struct api_call *c, int code, const char *text);
static void api_console_load(struct api *a);

struct api *
api_new(const struct api_settings *s)
{
	struct api *a = xcalloc(1, sizeof *a);

	a->tokens = s->tokens;
	a->store = s->store;
	a->pk = phone_key_new(s->pseudonym_key != NULL ? s->pseudonym_key : "");
	a->country = xstrdup(s->country != NULL ? s->country : "MA");
	a->fallback = xstrdup(s->fallback != NULL ? s->fallback : "ary-Latn ary ar fr en");
	if (s->estimates != NULL)
		a->est = *s->estimates;
	a->catalog = s->catalog;
	a->reach = s->reach;
	a->metrics = s->metrics;
	snprintf(a->noreceipt, sizeof a->noreceipt, "%s", s->noreceipt != NULL ? s->noreceipt : "");
	api_console_load(a);
	return a;
}

/* The console's files, from [console] dir (gateway/console when not set; "off": none). */
static void
api_console_load(struct api *a)
{
	const char *dir = a->tokens->console_dir != NULL ? a->tokens->console_dir : "gateway/console";
	char why[256];

	if (strcmp(dir, "off") == 0)
		return;
	if ((a->console = console_new(dir, why, sizeof why)) == NULL) {
		/* Only a directory set on purpose is worth an error; the default one is there in a checkout. */
		if (a->tokens->console_dir != NULL)
			log_error("[console] dir: %s; the console is off", why);
		else
			log_info("no console: %s", why);
		return;
	}
	log_info("console: %zu files from %s", console_files(a->console), dir);
}

void
api_free(struct api *a)
{
	if (a == NULL)
		return;
	session_shutdown();
	console_free(a->console);
	phone_key_free(a->pk);
	free(a->country);
	free(a->fallback);
	free(a);
}

static void
api_call_free(struct api_call *c)
{
	free(c->path);
	free(c->idem_key);
	free(c);
}

static void
api_ignore(void *arg, json_t *reply, const char *err)
{
	(void)arg;
	(void)reply;
	(void)err;
}

size_t
api_chars(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80;
	return n;
}

bool
api_store_down(struct api_call *c)
{
	if (c->api->store != NULL && store_up(c->api->store))
		return false;
	evhttp_add_header(evhttp_request_get_output_headers(c->req), "Retry-After", "5");
	api_error(c, 503, "unavailable", NULL, "the gateway cannot reach its store now; try again shortly");
	return true;
}

char *
api_query(struct api_call *c, const char *name)
{
	const struct evhttp_uri *u = evhttp_request_get_evhttp_uri(c->req);
	const char *q = u != NULL ? evhttp_uri_get_query(u) : NULL;
	struct evkeyvalq kv;
	const char *v;
	char *out = NULL;

	if (q == NULL)
		return NULL;
	TAILQ_INIT(&kv);
	if (evhttp_parse_query_str(q, &kv) == 0 && (v = evhttp_find_header(&kv, name)) != NULL)
		out = xstrdup(v);
	evhttp_clear_headers(&kv);
	return out;
}

void
api_audit(struct api_call *c, const char *action, const char *target, const char *detail)
{
	struct cmdargs a;
	char key[256];

	if (c->api->store == NULL)
		return;
	memset(&a, 0, sizeof a);
	snprintf(key, sizeof key, "%saudit", store_prefix(c->api->store));
	cmdargs_str(&a, "XADD");
	cmdargs_dup(&a, key, strlen(key));
	cmdargs_str(&a, "*");
	cmdargs_str(&a, "who");
	cmdargs_dup(&a, c->token->name, strlen(c->token->name));
	cmdargs_str(&a, "role");
	cmdargs_str(&a, role_name(c->token->role));
	cmdargs_str(&a, "action");
	cmdargs_dup(&a, action, strlen(action));
	cmdargs_str(&a, "target");
	cmdargs_dup(&a, target != NULL ? target : "", target != NULL ? strlen(target) : 0);
	cmdargs_str(&a, "detail");
	cmdargs_dup(&a, detail != NULL ? detail : "", detail != NULL ? strlen(detail) : 0);
	store_command(c->api->store, &a, api_ignore, NULL);
}

/* SET NX answered: ours to run, or someone's already. */
static void
api_idem_claimed(void *arg, json_t *reply, const char *err)
{
	struct api_idem *w = arg;
	struct api_call *c = w->c;
	struct cmdargs a;

	if (err != NULL) {
		free(w);
		free(c->idem_key);
		c->idem_key = NULL;
		if (!api_store_down(c))
			api_error(c, 503, "unavailable", NULL, "the store refused the call");
		return;
	}
	if (json_is_string(reply)) {
		const struct api_route *route = w->route;

		free(w);
		route->handler(c);
		return;
	}
	memset(&a, 0, sizeof a);
	cmdargs_str(&a, "GET");
	cmdargs_dup(&a, c->idem_key, strlen(c->idem_key));
	store_command(c->api->store, &a, api_idem_found, w);
}

/* The answer kept for the key: sent again as it was, or 409 while the first call runs. */
static void
api_idem_found(void *arg, json_t *reply, const char *err)
{
	struct api_idem *w = arg;
	struct api_call *c = w->c;
	const char *v = json_string_value(reply), *nl;
	struct evbuffer *out;

	free(w);
	free(c->idem_key);
	c->idem_key = NULL;
	if (err != NULL || v == NULL || strcmp(v, "pending") == 0 || (nl = strchr(v, '\n')) == NULL) {
		api_error(c, 409, "in_progress", NULL, "a call with this Idempotency-Key is still running");
		return;
	}
	out = evbuffer_new();
	evhttp_add_header(evhttp_request_get_output_headers(c->req), "Content-Type", "application/json; charset=utf-8");
	evhttp_add_header(evhttp_request_get_output_headers(c->req), "Idempotent-Replayed", "true");
	evbuffer_add(out, nl + 1, strlen(nl + 1));
	evhttp_send_reply(c->req, atoi(v), NULL, out);
	evbuffer_free(out);
	api_call_free(c);
}

static const struct config_api_token *
api_authenticate(struct api *a, struct evhttp_request *req)
{
	const char *h = evhttp_find_header(evhttp_request_get_input_headers(req), "Authorization");
	const struct config_api_token *found = NULL;
	unsigned char digest[SHA256_DIGEST_LENGTH];

	if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0)
		return NULL;
	h += 7;
	while (*h == ' ')
		h++;
	if (*h == '\0')
		return NULL;
	SHA256((const unsigned char *)h, strlen(h), digest);
	for (size_t i = 0; i < a->tokens->ntokens; i++)
		if (CRYPTO_memcmp(digest, a->tokens->tokens[i].sha256, sizeof digest) == 0)
			found = &a->tokens->tokens[i];
	OPENSSL_cleanse(digest, sizeof digest);
	return found;
}

/* Whether path matches pattern; the {} segments go, decoded, into c->params. */
static bool
api_match(const char *pattern, const char *path, struct api_call *c)
{
	c->nparams = 0;
	while (*pattern != '\0' && *path != '\0') {
		if (strncmp(pattern, "{}", 2) == 0) {
			size_t n = strcspn(path, "/");
			char *dec;

			if (n == 0 || c->nparams == API_MAX_PARAMS)
				return false;
			dec = evhttp_uridecode(path, 0, NULL);
			if (dec == NULL)
				return false;
			dec[strcspn(dec, "/")] = '\0';
			snprintf(c->params[c->nparams++], sizeof c->params[0], "%s", dec);
			free(dec);
			pattern += 2;
			path += n;
			continue;
		}
		if (*pattern++ != *path++)
			return false;
	}
	return *pattern == '\0' && *path == '\0';
}

static const char *
api_method_name(enum evhttp_cmd_type m)
{
	switch (m) {
	case EVHTTP_REQ_GET:
		return "GET";
	case EVHTTP_REQ_POST:
		return "POST";
	case EVHTTP_REQ_PUT:
		return "PUT";
	case EVHTTP_REQ_DELETE:
		return "DELETE";
	case EVHTTP_REQ_PATCH:
		return "PATCH";
	case EVHTTP_REQ_HEAD:
		return "HEAD";
	default:
		return "OTHER";
	}
}

/* The call's session, when it came with its cookie and no token: routed as its token or login. */
static void
api_session_then(struct api_call *c, bool found)
{
	if (!found) {
		session_cookie_header(c, "", 0);
		api_error(c, 401, "unauthorized", NULL, "the session has ended: sign in again");
		return;
	}
	if (!session_csrf_ok(c))
		return;
	api_route(c, c->path);
}

void
api_handle(struct api *a, struct evhttp_request *req, const char *path)
{
	struct api_call *c;
	char sid[65];

	if (strncmp(path, "/console", 8) == 0) {
		console_handle(a, req, path);
		return;
	}
	/* A browser may open a /v1 answer with the session's cookie: it is never sniffed, run, or framed. */
	evhttp_add_header(evhttp_request_get_output_headers(req), "X-Content-Type-Options", "nosniff");
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Security-Policy",
	    "default-src 'none'; frame-ancestors 'none'");
	c = xcalloc(1, sizeof *c);
	c->api = a;
	c->req = req;
	if (a->console != NULL && evhttp_find_header(evhttp_request_get_input_headers(req), "Authorization") == NULL &&
	    session_cookie(a, req, sid)) {
		c->path = xstrdup(path);
		session_find(c, api_session_then);
		return;
	}
	if ((c->token = api_authenticate(a, req)) == NULL) {
		evhttp_add_header(
		    evhttp_request_get_output_headers(req), "WWW-Authenticate", "Bearer realm=\"amuddu\"");
		api_error(c, 401, "unauthorized", NULL, "a valid token is needed: Authorization: Bearer <token>");
		return;
	}
	api_route(c, path);
}

void
api_route(struct api_call *c, const char *path)
{
	enum evhttp_cmd_type m = evhttp_request_get_command(c->req);
	struct evhttp_request *req = c->req;
	const struct api_route *route = NULL;
	const char *idem;
	char allow[64] = "";
	bool known = false;

	for (size_t i = 0; i < sizeof api_routes / sizeof api_routes[0]; i++) {
		if (!api_match(api_routes[i].pattern, path, c))
			continue;
		known = true;
		snprintf(allow + strlen(allow), sizeof allow - strlen(allow), "%s%s", allow[0] != '\0' ? ", " : "",
		    api_method_name(api_routes[i].method));
		if (api_routes[i].method == m && route == NULL)
			route = &api_routes[i];
	}
	if (route == NULL) {
		if (known) {
			evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", allow);
			api_error(c, 405, "method_not_allowed", NULL, "%s is not allowed here: %s", api_method_name(m),
			    allow);
		} else {
			api_error(c, 404, "not_found", NULL, "no such endpoint");
		}
		return;
	}
	(void)api_match(route->pattern, path, c);
	if ((route->roles & API_ROLE(c->token->role)) == 0) {
		log_info("api refused token=%s role=%s %s %s", c->token->name, role_name(c->token->role),
		    api_method_name(m), route->pattern);
		api_error(c, 403, "forbidden", NULL, "the %s role may not do this", role_name(c->token->role));
		return;
	}
	idem = evhttp_find_header(evhttp_request_get_input_headers(req), "Idempotency-Key");
	if (route->creates && idem != NULL) {
		api_idem_claim(c, route, idem);
		return;
	}
	route->handler(c);
}

/* Claims the call's Idempotency-Key (SET NX), then runs the route or answers as the first call did. */
static void
api_idem_claim(struct api_call *c, const struct api_route *route, const char *idem)
{
	struct api_idem *w;
	struct cmdargs args;
	unsigned char d[SHA256_DIGEST_LENGTH];
	char hex[2 * SHA256_DIGEST_LENGTH + 1];

	if (*idem == '\0' || strlen(idem) > 255) {
		api_error(c, 400, "invalid_header", "Idempotency-Key", "an Idempotency-Key is 1 to 255 characters");
		return;
	}
	if (api_store_down(c))
		return;
	/* Keys are the caller's: hashed with the route, and kept apart per token. */
	{
		char *what = xasprintf("%d %s\n%s", (int)evhttp_request_get_command(c->req), route->pattern, idem);

		SHA256((const unsigned char *)what, strlen(what), d);
		free(what);
	}
	for (size_t i = 0; i < sizeof d; i++)
		snprintf(hex + 2 * i, 3, "%02x", d[i]);
	c->idem_key = xasprintf("%sidem:%s:%s", store_prefix(c->api->store), c->token->name, hex);
	w = xcalloc(1, sizeof *w);
	w->c = c;
	w->route = route;
	memset(&args, 0, sizeof args);
	cmdargs_str(&args, "SET");
	cmdargs_dup(&args, c->idem_key, strlen(c->idem_key));
	cmdargs_str(&args, "pending");
	cmdargs_str(&args, "NX");
	cmdargs_str(&args, "EX");
	cmdargs_str(&args, API_IDEM_PENDING_TTL);
	store_command(c->api->store, &args, api_idem_claimed, w);
}

void
api_reply(struct api_call *c, int code, json_t *body)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(c->req);
	struct evbuffer *out = evbuffer_new();
	char *text = body != NULL ? json_dumps(body, JSON_COMPACT) : NULL;

	if (out == NULL || text == NULL) {
		log_error("api: cannot make an answer");
		if (c->idem_key != NULL)
			api_idem_keep(c, 500, "");
		evhttp_send_error(c->req, 500, NULL);
		goto out;
	}
	evhttp_add_header(h, "Content-Type", "application/json; charset=utf-8");
	evhttp_add_header(h, "Cache-Control", "no-store");
	evbuffer_add(out, text, strlen(text));
	evbuffer_add(out, "\n", 1);
	if (c->idem_key != NULL)
		api_idem_keep(c, code, text);
	evhttp_send_reply(c->req, code, NULL, out);
out:
	if (out != NULL)
		evbuffer_free(out);
	free(text);
	json_decref(body);
	api_call_free(c);
}

void
api_reply_page(struct api_call *c, const char *name, json_t *list, const json_t *page, size_t limit)
{
	const json_t *last = json_array_get(page, json_array_size(page) - 1);
	char next[160];

	if (json_array_size(page) == 0 || json_array_size(page) != limit) {
		api_reply(c, 200, json_pack("{s:o, s:n}", name, list, "next_cursor"));
		return;
	}
	snprintf(next, sizeof next, "%s:%s", json_string_value(json_array_get(last, 1)),
	    json_string_value(json_array_get(last, 0)));
	api_reply(c, 200, json_pack("{s:o, s:s}", name, list, "next_cursor", next));
}

void
api_send(struct api_call *c, int code, struct evbuffer *body)
{
	evhttp_send_reply(c->req, code, NULL, body);
	api_call_free(c);
}

/* Keeps the answer for a repeat of the call; a refusal for want of the store is not kept (try again). */
static void
api_idem_keep(struct api_call *c, int code, const char *text)
{
	struct cmdargs a;
	char *kept = xasprintf("%d\n%s\n", code, text);

	memset(&a, 0, sizeof a);
	if (code >= 500) {
		cmdargs_str(&a, "DEL");
		cmdargs_dup(&a, c->idem_key, strlen(c->idem_key));
	} else {
		cmdargs_str(&a, "SET");
		cmdargs_dup(&a, c->idem_key, strlen(c->idem_key));
		cmdargs_dup(&a, kept, strlen(kept));
		cmdargs_str(&a, "EX");
		cmdargs_str(&a, API_IDEM_TTL);
	}
	store_command(c->api->store, &a, api_ignore, NULL);
	free(kept);
}

void
api_error(struct api_call *c, int code, const char *ecode, const char *field, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	/* A message cut by its buffer stays UTF-8 (a caller's value may be in it). */
	msg[utf8_prefix(msg, strlen(msg))] = '\0';
	api_reply(c, code,
	    json_pack("{s:{s:s, s:s, s:o}}", "error", "code", ecode, "message", msg, "field",
		field != NULL ? json_string(field) : json_null()));
}

json_t *
api_body_json(struct api_call *c)
{
	const char *ct = evhttp_find_header(evhttp_request_get_input_headers(c->req), "Content-Type");
	struct evbuffer *in = evhttp_request_get_input_buffer(c->req);
	size_t len = evbuffer_get_length(in);
	json_error_t err;
	json_t *j;

	if (ct == NULL || strncasecmp(ct, "application/json", 16) != 0 || (ct[16] != '\0' && ct[16] != ';')) {
		api_error(c, 415, "unsupported_media_type", NULL, "send the body as Content-Type: application/json");
		return NULL;
	}
	j = json_loadb(len > 0 ? (const char *)evbuffer_pullup(in, -1) : "", len, JSON_REJECT_DUPLICATES, &err);
	if (j == NULL) {
		api_error(c, 400, "malformed_json", NULL, "the body is not JSON: %s at line %d, column %d", err.text,
		    err.line, err.column);
		return NULL;
	}
	if (!json_is_object(j)) {
		json_decref(j);
		api_error(c, 400, "malformed_json", NULL, "the body must be a JSON object");
		return NULL;
	}
	return j;
}
