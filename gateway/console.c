/*
 * The web console's files and strings. The files under [console] dir are
 * read once at start and served from memory: no request ever reaches the
 * file system, so no path can lead out of the directory, and a file is
 * served exactly as it was when the gateway started (its ETag is its
 * SHA-256). Every answer under /console carries the security headers: a
 * Content-Security-Policy that allows the console's own scripts, styles,
 * images and calls and nothing else (no inline script or style, no frame,
 * no other origin), nosniff, no referrer, no framing.
 */
#include "gateway/console.h"

#include <dirent.h>
#include <event2/buffer.h>
#include <jansson.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "gateway/api_int.h"
#include "gateway/console_session.h"
#include "gateway/http.h"
#include "gateway/util/xmalloc.h"
#include "locales/catalog.h"

#define CONSOLE_MAX_FILES 500
#define CONSOLE_MAX_BYTES (32L << 20)
#define CONSOLE_MAX_DEPTH 4
#define CONSOLE_CSP                                                                                                    \
	"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "          \
	"font-src 'self'; manifest-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

struct console_file {
	char *path; /* relative to the directory, '/'-separated */
	unsigned char *data;
	size_t len;
	const char *type;
	char etag[24];
};

/* The interface's languages and the direction each is written in. */
static const char *const console_locales[] = { "fr", "ar", "en" };
#define CONSOLE_NLOCALES (sizeof console_locales / sizeof console_locales[0])

struct console {
	struct console_file *f;
	size_t n;
	long total;
	char *i18n[CONSOLE_NLOCALES]; /* each locale's strings as JSON, made at the first ask */
};

static const struct {
	const char *ext, *type;
} console_types[] = {
	{ ".html", "text/html; charset=utf-8" },
	{ ".js", "text/javascript; charset=utf-8" },
	{ ".mjs", "text/javascript; charset=utf-8" },
	{ ".css", "text/css; charset=utf-8" },
	{ ".svg", "image/svg+xml" },
	{ ".png", "image/png" },
	{ ".ico", "image/x-icon" },
	{ ".json", "application/json; charset=utf-8" },
	{ ".webmanifest", "application/manifest+json" },
	{ ".woff2", "font/woff2" },
	{ ".txt", "text/plain; charset=utf-8" },
};

static const char *
console_type(const char *path)
{
	size_t pl = strlen(path);

	for (size_t i = 0; i < sizeof console_types / sizeof console_types[0]; i++) {
		size_t el = strlen(console_types[i].ext);

		if (pl > el && strcmp(path + pl - el, console_types[i].ext) == 0)
			return console_types[i].type;
	}
	return "application/octet-stream";
}

/* Adds one file; -1 with why when it cannot be read or the console would hold too much. */
static int
console_add(struct console *k, const char *full, const char *rel, long size, char *why, size_t whylen)
{
	struct console_file *f;
	unsigned char d[SHA256_DIGEST_LENGTH];
	FILE *fp;

	if (k->n >= CONSOLE_MAX_FILES || size > CONSOLE_MAX_BYTES - k->total) {
		snprintf(why, whylen, "more than %d files or %ld MiB", CONSOLE_MAX_FILES, CONSOLE_MAX_BYTES >> 20);
		return -1;
	}
	if ((fp = fopen(full, "rb")) == NULL) {
		snprintf(why, whylen, "%s cannot be read", rel);
		return -1;
	}
	k->f = xreallocarray(k->f, k->n + 1, sizeof *k->f);
	f = &k->f[k->n];
	f->data = xmalloc(size > 0 ? (size_t)size : 1);
	f->len = fread(f->data, 1, (size_t)size, fp);
	fclose(fp);
	f->path = xstrdup(rel);
	f->type = console_type(rel);
	SHA256(f->data, f->len, d);
	snprintf(f->etag, sizeof f->etag, "\"%02x%02x%02x%02x%02x%02x%02x%02x\"", d[0], d[1], d[2], d[3], d[4], d[5],
	    d[6], d[7]);
	k->total += (long)f->len;
	k->n++;
	return 0;
}

/* Reads dir/rel (rel "" at the top) and what is under it, to CONSOLE_MAX_DEPTH levels. */
static int
console_walk(struct console *k, const char *dir, const char *rel, int depth, char *why, size_t whylen)
{
	char *path = rel[0] != '\0' ? xasprintf("%s/%s", dir, rel) : xstrdup(dir);
	DIR *d = opendir(path);
	struct dirent *e;
	int rc = 0;

	if (d == NULL) {
		snprintf(why, whylen, "%s is not a directory that can be read", path);
		free(path);
		return -1;
	}
	while (rc == 0 && (e = readdir(d)) != NULL) {
		char *full, *sub;
		struct stat st;

		if (e->d_name[0] == '.')
			continue; /* ., .., and hidden files are never served */
		full = xasprintf("%s/%s", path, e->d_name);
		sub = rel[0] != '\0' ? xasprintf("%s/%s", rel, e->d_name) : xstrdup(e->d_name);
		if (stat(full, &st) == 0 && S_ISDIR(st.st_mode) && depth < CONSOLE_MAX_DEPTH)
			rc = console_walk(k, dir, sub, depth + 1, why, whylen);
		else if (stat(full, &st) == 0 && S_ISREG(st.st_mode))
			rc = console_add(k, full, sub, (long)st.st_size, why, whylen);
		free(full);
		free(sub);
	}
	closedir(d);
	free(path);
	return rc;
}

struct console *
console_new(const char *dir, char *why, size_t whylen)
{
	struct console *k = xcalloc(1, sizeof *k);

	if (console_walk(k, dir, "", 0, why, whylen) != 0) {
		console_free(k);
		return NULL;
	}
	return k;
}

void
console_free(struct console *k)
{
	if (k == NULL)
		return;
	for (size_t i = 0; i < k->n; i++) {
		free(k->f[i].path);
		free(k->f[i].data);
	}
	for (size_t i = 0; i < CONSOLE_NLOCALES; i++)
		free(k->i18n[i]);
	free(k->f);
	free(k);
}

size_t
console_files(const struct console *k)
{
	return k != NULL ? k->n : 0;
}

static void
console_headers(struct evhttp_request *req)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);

	evhttp_add_header(h, "Content-Security-Policy", CONSOLE_CSP);
	evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
	evhttp_add_header(h, "Referrer-Policy", "no-referrer");
	evhttp_add_header(h, "X-Frame-Options", "DENY");
	evhttp_add_header(h, "Cross-Origin-Opener-Policy", "same-origin");
	evhttp_add_header(h, "Cross-Origin-Resource-Policy", "same-origin");
	evhttp_add_header(h, "Permissions-Policy", "camera=(), microphone=(), geolocation=()");
}

static void
console_put(void *arg, const char *key, const char *text)
{
	json_object_set_new(arg, key, json_string(text));
}

/* GET /console/i18n/<locale>.json: every console.* string of locale, French where it has none. */
static void
console_i18n(struct api *a, struct evhttp_request *req, const char *name)
{
	struct console *k = a->console;
	struct evbuffer *out;
	size_t i;

	for (i = 0; i < CONSOLE_NLOCALES; i++)
		if (strlen(name) == strlen(console_locales[i]) + 5 &&
		    strncmp(name, console_locales[i], strlen(console_locales[i])) == 0 &&
		    strcmp(name + strlen(console_locales[i]), ".json") == 0)
			break;
	if (i == CONSOLE_NLOCALES) {
		http_reply(req, 404, "text/plain; charset=utf-8", "no such language\n", 17);
		return;
	}
	if (k->i18n[i] == NULL) {
		json_t *strings = json_object();

		if (a->catalog != NULL) {
			catalog_each(a->catalog, "fr", "console.", console_put, strings);
			catalog_each(a->catalog, console_locales[i], "console.", console_put, strings);
		}
		json_t *j = json_pack("{s:s, s:s, s:o}", "locale", console_locales[i], "dir",
		    strcmp(console_locales[i], "ar") == 0 ? "rtl" : "ltr", "strings", strings);

		k->i18n[i] = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
		json_decref(j);
	}
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", "application/json; charset=utf-8");
	evhttp_add_header(evhttp_request_get_output_headers(req), "Cache-Control", "no-cache");
	out = evbuffer_new();
	evbuffer_add_reference(out, k->i18n[i], strlen(k->i18n[i]), NULL, NULL);
	evhttp_send_reply(req, 200, "OK", out);
	evbuffer_free(out);
}

/* A console file, or 304 when the browser has it already. */
static void
console_file(struct console *k, struct evhttp_request *req, const char *rel)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	const char *inm = evhttp_find_header(evhttp_request_get_input_headers(req), "If-None-Match");
	const struct console_file *f = NULL;
	struct evbuffer *out;

	if (*rel == '\0')
		rel = "index.html";
	for (size_t i = 0; i < k->n && f == NULL; i++)
		if (strcmp(k->f[i].path, rel) == 0)
			f = &k->f[i];
	if (f == NULL) {
		http_reply(req, 404, "text/plain; charset=utf-8", "not found\n", 10);
		return;
	}
	evhttp_add_header(h, "ETag", f->etag);
	evhttp_add_header(h, "Cache-Control", "no-cache");
	if (inm != NULL && strstr(inm, f->etag) != NULL) {
		evhttp_send_reply(req, 304, "Not Modified", NULL);
		return;
	}
	evhttp_add_header(h, "Content-Type", f->type);
	out = evbuffer_new();
	evbuffer_add_reference(out, f->data, f->len, NULL, NULL);
	evhttp_send_reply(req, 200, "OK", out);
	evbuffer_free(out);
}

/* GET /console/session: who the session is. */
static void
console_whoami(struct api_call *c, bool found)
{
	if (!found) {
		api_error(c, 401, "unauthorized", NULL, "not signed in");
		return;
	}
	api_reply(c, 200, session_json(c, c->expires));
}

/* DELETE /console/session: signs out. */
static void
console_signout(struct api_call *c, bool found)
{
	if (found && !session_csrf_ok(c))
		return;
	if (found)
		api_audit(c, "console.sign_out", NULL, NULL);
	session_end(c);
	api_send(c, 204, NULL);
}

static void
console_session(struct api *a, struct evhttp_request *req)
{
	enum evhttp_cmd_type m = evhttp_request_get_command(req);
	struct api_call *c = xcalloc(1, sizeof *c);

	c->api = a;
	c->req = req;
	evhttp_add_header(evhttp_request_get_output_headers(req), "Cache-Control", "no-store");
	if (m == EVHTTP_REQ_POST)
		session_signin(c);
	else if (m == EVHTTP_REQ_GET)
		session_find(c, console_whoami);
	else if (m == EVHTTP_REQ_DELETE)
		session_find(c, console_signout);
	else {
		evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", "GET, POST, DELETE");
		api_error(c, 405, "method_not_allowed", NULL, "GET, POST or DELETE");
	}
}

void
console_handle(struct api *a, struct evhttp_request *req, const char *path)
{
	enum evhttp_cmd_type m = evhttp_request_get_command(req);

	console_headers(req);
	if (strcmp(path, "/console/session") == 0) {
		console_session(a, req);
		return;
	}
	if (a->console == NULL || (strcmp(path, "/console") != 0 && strncmp(path, "/console/", 9) != 0)) {
		http_reply(req, 404, "text/plain; charset=utf-8", "not found\n", 10);
		return;
	}
	if (m != EVHTTP_REQ_GET && m != EVHTTP_REQ_HEAD) {
		evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", "GET, HEAD");
		http_reply(req, 405, "text/plain; charset=utf-8", "only GET\n", 9);
		return;
	}
	if (strcmp(path, "/console") == 0) {
		evhttp_add_header(evhttp_request_get_output_headers(req), "Location", "/console/");
		http_reply(req, 301, "text/plain; charset=utf-8", "/console/\n", 10);
		return;
	}
	if (strncmp(path, "/console/i18n/", 14) == 0) {
		console_i18n(a, req, path + 14);
		return;
	}
	console_file(a->console, req, path + 9);
}
