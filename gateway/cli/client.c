/*
 * One /v1 call with libcurl's easy interface: the tool makes one request
 * at a time, so nothing here needs an event loop. The token goes only in
 * the Authorization header and is never printed.
 */
#include "gateway/cli/client.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/util/buf.h"

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
