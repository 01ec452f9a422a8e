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
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gateway/api_int.h"
#include "gateway/util/log.h"
#include "gateway/util/xmalloc.h"

#define API_ROLE(r) (1u << (r))
#define API_WRITERS (API_ROLE(ROLE_AGENT) | API_ROLE(ROLE_ADMIN))

struct api {
	const struct config_api *tokens;
};

struct api_route {
	enum evhttp_cmd_type method;
	const char *pattern; /* "{}" matches one path segment */
	unsigned roles;
	void (*handler)(struct api_call *c);
};

static const struct api_route api_routes[] = {
	{ EVHTTP_REQ_POST, "/v1/segments", API_WRITERS, api_segments_post },
};

static const struct config_api_token *api_authenticate(struct api *a, struct evhttp_request *req);
static bool api_match(const char *pattern, const char *path, struct api_call *c);
static const char *api_method_name(enum evhttp_cmd_type m);

struct api *
api_new(const struct config_api *tokens)
{
	struct api *a = xcalloc(1, sizeof *a);

	a->tokens = tokens;
	return a;
}

void
api_free(struct api *a)
{
	free(a);
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

void
api_handle(struct api *a, struct evhttp_request *req, const char *path)
{
	struct api_call c;
	enum evhttp_cmd_type m = evhttp_request_get_command(req);
	const struct api_route *route = NULL;
	char allow[64] = "";
	bool known = false;

	memset(&c, 0, sizeof c);
	c.api = a;
	c.req = req;
	if ((c.token = api_authenticate(a, req)) == NULL) {
		evhttp_add_header(
		    evhttp_request_get_output_headers(req), "WWW-Authenticate", "Bearer realm=\"amuddu\"");
		api_error(&c, 401, "unauthorized", NULL, "a valid token is needed: Authorization: Bearer <token>");
		return;
	}
	for (size_t i = 0; i < sizeof api_routes / sizeof api_routes[0]; i++) {
		if (!api_match(api_routes[i].pattern, path, &c))
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
			api_error(&c, 405, "method_not_allowed", NULL, "%s is not allowed here: %s", api_method_name(m),
			    allow);
		} else {
			api_error(&c, 404, "not_found", NULL, "no such endpoint");
		}
		return;
	}
	(void)api_match(route->pattern, path, &c);
	if ((route->roles & API_ROLE(c.token->role)) == 0) {
		log_info("api refused token=%s role=%s %s %s", c.token->name, role_name(c.token->role),
		    api_method_name(m), route->pattern);
		api_error(&c, 403, "forbidden", NULL, "the %s role may not do this", role_name(c.token->role));
		return;
	}
	route->handler(&c);
}

void
api_reply(struct api_call *c, int code, json_t *body)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(c->req);
	struct evbuffer *out = evbuffer_new();
	char *text = json_dumps(body, JSON_COMPACT);

	if (out == NULL || text == NULL) {
		log_error("api: out of memory for an answer");
		evhttp_send_error(c->req, 500, NULL);
		goto out;
	}
	evhttp_add_header(h, "Content-Type", "application/json; charset=utf-8");
	evhttp_add_header(h, "Cache-Control", "no-store");
	evbuffer_add(out, text, strlen(text));
	evbuffer_add(out, "\n", 1);
	evhttp_send_reply(c->req, code, NULL, out);
out:
	if (out != NULL)
		evbuffer_free(out);
	free(text);
	json_decref(body);
}

void
api_error(struct api_call *c, int code, const char *ecode, const char *field, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
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
