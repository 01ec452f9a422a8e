/*
 * One /v1 call with libcurl's easy interface: the tool makes one request
 * at a time, so nothing here needs an event loop. The token goes only in
 * the Authorization header and is never printed.
 */
#include "gateway/cli/client.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gateway/util/buf.h"
#include "gateway/util/xmalloc.h"

static size_t client_write(char *data, size_t size, size_t n, void *arg);

static size_t
client_write(char *data, size_t size, size_t n, void *arg)
{
	buf_append(arg, data, size * n);
	return size * n;
}

enum client_exit
client_call(const struct client *c, const char *method, const char *path, const char *ctype, const char *body,
    size_t len, struct client_answer *a)
{
	CURL *curl = curl_easy_init();
	struct curl_slist *headers = NULL;
	struct buf out, url, auth, type;
	enum client_exit rc = CLIENT_OK;
	CURLcode cc;

	memset(a, 0, sizeof a[0]);
	buf_init(&out);
	buf_init(&url);
	buf_init(&auth);
	buf_init(&type);
	if (curl == NULL) {
		fprintf(stderr, "amuddu: cannot start libcurl\n");
		rc = CLIENT_UNREACHABLE;
		goto out;
	}
	buf_printf(&url, "%s%s", c->url, path);
	buf_printf(&auth, "Authorization: Bearer %s", c->token);
	headers = curl_slist_append(headers, auth.data);
	headers = curl_slist_append(headers, "Accept: application/json");
	if (ctype != NULL) {
		buf_printf(&type, "Content-Type: %s", ctype);
		headers = curl_slist_append(headers, type.data);
	}
	curl_easy_setopt(curl, CURLOPT_URL, url.data);
	curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, client_write);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &out);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 600000L);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	if (body != NULL) {
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	}
	if ((cc = curl_easy_perform(curl)) != CURLE_OK) {
		fprintf(stderr, "amuddu: cannot reach the gateway at %s: %s\n", c->url, curl_easy_strerror(cc));
		rc = CLIENT_UNREACHABLE;
		goto out;
	}
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &a->status);
	a->json = out.len > 0 ? json_loadb(out.data, out.len, 0, NULL) : NULL;
	if (a->json == NULL && a->status != 204) {
		fprintf(stderr, "amuddu: the answer from %s (HTTP %ld) is not the API's: is AMUDDU_URL right?\n",
		    c->url, a->status);
		rc = CLIENT_UNREACHABLE;
	}
out:
	curl_slist_free_all(headers);
	if (curl != NULL)
		curl_easy_cleanup(curl);
	explicit_bzero(auth.data != NULL ? auth.data : (char *)"", auth.len);
	buf_free(&out);
	buf_free(&url);
	buf_free(&auth);
	buf_free(&type);
	return rc;
}

enum client_exit
client_refused(const struct client_answer *a)
{
	json_t *e = json_object_get(a->json, "error");
	const char *msg = json_string_value(json_object_get(e, "message"));
	const char *field = json_string_value(json_object_get(e, "field"));

	fprintf(stderr, "amuddu: refused (HTTP %ld): %s%s%s%s\n", a->status, msg != NULL ? msg : "no reason given",
	    field != NULL ? " [" : "", field != NULL ? field : "", field != NULL ? "]" : "");
	if (a->status == 401 || a->status == 403)
		return CLIENT_DENIED;
	if (a->status >= 500)
		return CLIENT_UNREACHABLE;
	return CLIENT_REFUSED;
}

enum client_exit
client_expect(
    const struct client *c, const char *method, const char *path, const json_t *body, long ok, struct client_answer *a)
{
	enum client_exit rc = client_json(c, method, path, body, a);

	if (rc != CLIENT_OK || a->status == ok)
		return rc;
	rc = client_refused(a);
	client_answer_free(a);
	return rc;
}

void
client_print_json(const json_t *j)
{
	char *s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);

	if (s != NULL) {
		puts(s);
		free(s);
	}
}

void
client_answer_free(struct client_answer *a)
{
	json_decref(a->json);
	a->json = NULL;
}

enum client_exit
client_json(const struct client *c, const char *method, const char *path, const json_t *body, struct client_answer *a)
{
	char *text = body != NULL ? json_dumps(body, JSON_COMPACT) : NULL;
	enum client_exit rc;

	if (body != NULL && text == NULL) {
		fprintf(stderr, "amuddu: a value is not valid UTF-8\n");
		memset(a, 0, sizeof *a);
		return CLIENT_USAGE;
	}
	rc = client_call(
	    c, method, path, text != NULL ? "application/json" : NULL, text, text != NULL ? strlen(text) : 0, a);
	free(text);
	return rc;
}

/* A bar on stderr: how much of the file is sent. */
static int
client_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
	int *last = arg, pct, width = 40;

	(void)dltotal;
	(void)dlnow;
	if (ultotal <= 0)
		return 0;
	pct = (int)(ulnow * 100 / ultotal);
	if (pct == *last)
		return 0;
	*last = pct;
	fprintf(stderr, "\r[");
	for (int i = 0; i < width; i++)
		fputc(i < pct * width / 100 ? '#' : ' ', stderr);
	fprintf(stderr, "] %3d%% %lld/%lld bytes%s", pct, (long long)ulnow, (long long)ultotal, pct == 100 ? "\n" : "");
	return 0;
}

/* The common part of a transfer: the URL, the token, JSON accepted; the caller adds the rest. */
static CURL *
client_easy(const struct client *c, const char *path, struct curl_slist **headers, struct buf *auth)
{
	CURL *curl = curl_easy_init();
	struct buf url;

	if (curl == NULL)
		return NULL;
	buf_init(&url);
	buf_printf(&url, "%s%s", c->url, path);
	buf_printf(auth, "Authorization: Bearer %s", c->token);
	*headers = curl_slist_append(*headers, auth->data);
	curl_easy_setopt(curl, CURLOPT_URL, url.data);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	buf_free(&url);
	return curl;
}

enum client_exit
client_upload(
    const struct client *c, const char *path_url, const char *file, const char *ctype, struct client_answer *a)
{
	struct curl_slist *headers = NULL;
	struct buf out, auth, type;
	FILE *f = fopen(file, "rb");
	enum client_exit rc = CLIENT_OK;
	CURL *curl;
	CURLcode cc;
	long size;
	int last = -1;

	memset(a, 0, sizeof *a);
	if (f == NULL) {
		fprintf(stderr, "amuddu: cannot read %s: %s\n", file, strerror(errno));
		return CLIENT_USAGE;
	}
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	rewind(f);
	buf_init(&out);
	buf_init(&auth);
	buf_init(&type);
	if ((curl = client_easy(c, path_url, &headers, &auth)) == NULL) {
		rc = CLIENT_UNREACHABLE;
		goto out;
	}
	buf_printf(&type, "Content-Type: %s", ctype);
	headers = curl_slist_append(headers, type.data);
	headers = curl_slist_append(headers, "Expect:");
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(curl, CURLOPT_POST, 1L);
	curl_easy_setopt(curl, CURLOPT_READDATA, f);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)size);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, client_write);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &out);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 3600000L);
	if (isatty(2)) {
		curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
		curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, client_progress);
		curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &last);
	}
	if ((cc = curl_easy_perform(curl)) != CURLE_OK) {
		fprintf(
		    stderr, "amuddu: cannot send %s to the gateway at %s: %s\n", file, c->url, curl_easy_strerror(cc));
		rc = CLIENT_UNREACHABLE;
		goto out;
	}
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &a->status);
	a->json = out.len > 0 ? json_loadb(out.data, out.len, 0, NULL) : NULL;
	if (a->status == 413)
		fprintf(stderr, "amuddu: %s is larger than the gateway takes ([http] max_body_bytes)\n", file);
	else if (a->json == NULL) {
		fprintf(stderr, "amuddu: the answer (HTTP %ld) is not the API's: is AMUDDU_URL right?\n", a->status);
		rc = CLIENT_UNREACHABLE;
	}
out:
	fclose(f);
	curl_slist_free_all(headers);
	if (curl != NULL)
		curl_easy_cleanup(curl);
	explicit_bzero(auth.data != NULL ? auth.data : (char *)"", auth.len);
	buf_free(&out);
	buf_free(&auth);
	buf_free(&type);
	return rc;
}

struct client_sink {
	FILE *out;
	struct buf err;
	CURL *curl;
};

static size_t
client_write_file(char *data, size_t size, size_t n, void *arg)
{
	struct client_sink *k = arg;
	long status = 0;

	/* A refusal's body is the API's error, kept to be said; only an answer goes to the file. */
	curl_easy_getinfo(k->curl, CURLINFO_RESPONSE_CODE, &status);
	if (status >= 300) {
		buf_append(&k->err, data, size * n);
		return size * n;
	}
	return fwrite(data, size, n, k->out) * size;
}

enum client_exit
client_download(const struct client *c, const char *path, FILE *out, struct client_answer *a)
{
	struct curl_slist *headers = NULL;
	struct buf auth;
	struct client_sink sink;
	enum client_exit rc = CLIENT_OK;
	CURL *curl;
	CURLcode cc;

	memset(a, 0, sizeof *a);
	buf_init(&auth);
	if ((curl = client_easy(c, path, &headers, &auth)) == NULL) {
		buf_free(&auth);
		return CLIENT_UNREACHABLE;
	}
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
	sink.out = out;
	sink.curl = curl;
	buf_init(&sink.err);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, client_write_file);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &sink);
	cc = curl_easy_perform(curl);
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &a->status);
	/* A refusal has its status and the API's reason; any other failure (the connection lost midway) is not a whole file. */
	if (cc != CURLE_OK) {
		fprintf(stderr, "amuddu: the download from %s failed: %s\n", c->url, curl_easy_strerror(cc));
		rc = CLIENT_UNREACHABLE;
	} else if (a->status >= 300 && sink.err.len > 0) {
		a->json = json_loadb(sink.err.data, sink.err.len, 0, NULL);
	}
	buf_free(&sink.err);
	curl_slist_free_all(headers);
	curl_easy_cleanup(curl);
	explicit_bzero(auth.data != NULL ? auth.data : (char *)"", auth.len);
	buf_free(&auth);
	return rc;
}

/* Reads one CSV row (up to a new line outside quotes) from f onto b; its physical lines in *lines. 0 at the end. */
static size_t
client_csv_row(FILE *f, struct buf *b, long *lines)
{
	size_t start = b->len;
	bool quoted = false;
	int ch;

	*lines = 0;
	while ((ch = getc(f)) != EOF) {
		char c8 = (char)ch;

		buf_append(b, &c8, 1);
		if (ch == '"')
			quoted = !quoted;
		else if (ch == '\n') {
			(*lines)++;
			if (!quoted)
				break;
		}
	}
	if (b->len > start && b->data[b->len - 1] != '\n')
		(*lines)++;
	return b->len - start;
}

enum client_exit
client_upload_csv(
    const struct client *c, const char *query, const char *file, size_t part_bytes, struct client_answer *a)
{
	FILE *f = fopen(file, "rb");
	struct buf header, part, path;
	unsigned char rnd[8];
	char upload[24];
	long line = 2, first = 2, lines, total, sent = 0;
	int partn = 1;
	enum client_exit rc = CLIENT_OK;
	size_t n;

	memset(a, 0, sizeof *a);
	if (f == NULL) {
		fprintf(stderr, "amuddu: cannot read %s: %s\n", file, strerror(errno));
		return CLIENT_USAGE;
	}
	fseek(f, 0, SEEK_END);
	total = ftell(f);
	rewind(f);
	{
		FILE *r = fopen("/dev/urandom", "rb");

		if (r == NULL || fread(rnd, 1, sizeof rnd, r) != sizeof rnd)
			memset(rnd, 7, sizeof rnd);
		if (r != NULL)
			fclose(r);
	}
	snprintf(upload, sizeof upload, "%02x%02x%02x%02x%02x%02x%02x%02x", rnd[0], rnd[1], rnd[2], rnd[3], rnd[4],
	    rnd[5], rnd[6], rnd[7]);
	buf_init(&header);
	buf_init(&part);
	buf_init(&path);
	client_csv_row(f, &header, &lines);
	line = first = 1 + lines;
	buf_append(&part, header.data, header.len);
	for (;;) {
		size_t before = part.len;
		bool end;

		n = client_csv_row(f, &part, &lines);
		end = n == 0;
		/* Full (and not just the header): send what came before this row; the row starts the next part. */
		if (end || (part.len > part_bytes && before > header.len)) {
			char *row = NULL;
			size_t rowlen = end ? 0 : part.len - before;

			if (!end) {
				row = xmalloc(rowlen);
				memcpy(row, part.data + before, rowlen);
				part.len = before;
			}
			buf_reset(&path);
			buf_printf(&path, "/v1/contacts/import?%s%supload=%s&part=%d&last=%s&first_line=%ld", query,
			    *query != '\0' ? "&" : "", upload, partn, end ? "true" : "false", first);
			client_answer_free(a);
			rc = client_call(c, "POST", path.data, "text/csv", part.data, part.len, a);
			sent += (long)(part.len - (partn > 1 ? header.len : 0));
			if (isatty(2))
				fprintf(stderr, "\rsent %ld of %ld bytes (%ld%%), part %d%s", sent, total,
				    total > 0 ? sent * 100 / total : 100, partn, end ? "\n" : "");
			if (rc != CLIENT_OK || end || a->status != 202) {
				free(row);
				break;
			}
			partn++;
			first = line;
			buf_reset(&part);
			buf_append(&part, header.data, header.len);
			buf_append(&part, row, rowlen);
			free(row);
		}
		line += lines;
	}
	fclose(f);
	buf_free(&header);
	buf_free(&part);
	buf_free(&path);
	return rc;
}
