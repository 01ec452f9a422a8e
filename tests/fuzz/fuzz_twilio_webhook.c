/*
 * libFuzzer target for twilio_webhook_parse(). The first byte picks the
 * route, method, content type and whether the request carries a correct
 * signature (computed over the fuzzed parameters, so the field checks are
 * reached), a wrong one or none; the rest is the body of a POST, in a
 * buffer of exactly its size, or the query string of a GET.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/util/buf.h"
#include "handlers/form.h"
#include "handlers/provider.h"
#include "handlers/signature.h"
#include "handlers/twilio_webhook.h"

#define FUZZ_TOKEN "fuzz-token"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *fuzz_header(void *arg, const char *name);
static void fuzz_check_private(const struct form *f, const char *err);

static const char *
fuzz_header(void *arg, const char *name)
{
	return strcmp(name, "X-Twilio-Signature") == 0 ? arg : NULL;
}

/* An error never quotes the sender's number: no run of 6 digits of From is in it. */
static void
fuzz_check_private(const struct form *f, const char *err)
{
	const char *from = f != NULL ? form_get(f, "From") : NULL;
	size_t n;

	if (from == NULL)
		return;
	for (const char *p = from; *p != '\0'; p += n > 0 ? n : 1) {
		n = strspn(p, "0123456789");
		if (n >= 6) {
			char run[7];

			memcpy(run, p, 6);
			run[6] = '\0';
			if (strstr(err, run) != NULL)
				abort();
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const routes[] = { "/status", "/inbound", "/status", "/inbound", "", "/other" };
	static const char *const types[] = { "application/x-www-form-urlencoded",
		"application/x-www-form-urlencoded; charset=utf-8", "application/json", "" };
	struct provider_webhook_request wr;
	struct provider_events ev;
	enum provider_webhook_result r;
	char sig[SIGNATURE_TWILIO_LEN], err[192];
	struct form f, none;
	struct buf url;
	bool parsed, get;
	char *body, *query;
	unsigned mode;

	if (size < 1)
		return 0;
	mode = data[0];
	data++;
	size--;
	body = malloc(size > 0 ? size : 1);
	if (body == NULL)
		abort();
	memcpy(body, data, size);

	/* A query string is a C string: it ends at the first NUL byte. */
	query = malloc(size + 1);
	if (query == NULL)
		abort();
	memcpy(query, data, size);
	query[size] = '\0';

	memset(&wr, 0, sizeof wr);
	get = (mode & 0x80) != 0;
	wr.route = routes[mode % 6];
	wr.method = get ? "GET" : "POST";
	wr.content_type = types[(mode >> 3) & 3];
	buf_init(&url);
	buf_printf(&url, "https://gw.example/webhooks/twilio%s%s%s", wr.route, get ? "?" : "", get ? query : "");
	wr.url = url.data;
	wr.query = get ? query : "";
	wr.body = get ? "" : body;
	wr.body_len = get ? 0 : size;
	wr.header = fuzz_header;
	if (get)
		parsed = form_parse(&f, query, strlen(query), err, sizeof err) == 0;
	else
		parsed = form_parse(&f, body, size, err, sizeof err) == 0;
	/* Twilio signs a GET's URL alone: its parameters are already in it. */
	form_init(&none);
	strcpy(sig, "AAAAAAAAAAAAAAAAAAAAAAAAAAA=");
	if (parsed && (mode & 0x20) == 0)
		signature_twilio(FUZZ_TOKEN, url.data, get ? &none : &f, sig);
	wr.header_arg = (mode & 0x40) != 0 ? NULL : sig;

	provider_events_init(&ev);
	err[0] = '\0';
	r = twilio_webhook_parse(FUZZ_TOKEN, &wr, &ev, err, sizeof err);
	if (r > PROVIDER_WEBHOOK_MEDIA_TYPE || memchr(err, '\0', sizeof err) == NULL)
		abort();
	if (r != PROVIDER_WEBHOOK_OK) {
		if (err[0] == '\0' || ev.nstatus != 0 || ev.ninbound != 0)
			abort();
		fuzz_check_private(parsed ? &f : NULL, err);
	} else if (strcmp(wr.route, "/status") == 0) {
		if (ev.nstatus != 1 || ev.ninbound != 0 || ev.status[0].provider_id[0] == '\0' || ev.reply.len != 0 ||
		    ev.reply_type != NULL || ev.status[0].status > DELIVERY_READ ||
		    strspn(ev.status[0].error, "0123456789") != strlen(ev.status[0].error))
			abort();
	} else {
		if (ev.ninbound != 1 || ev.nstatus != 0 || ev.inbound[0].from[0] != '+' ||
		    !utf8_valid(ev.inbound[0].text, strlen(ev.inbound[0].text)) || ev.reply_type == NULL ||
		    strcmp(ev.reply.data, TWILIO_WEBHOOK_EMPTY_TWIML) != 0 ||
		    (strcmp(ev.inbound[0].type, "text") != 0 && strcmp(ev.inbound[0].type, "media") != 0))
			abort();
	}
	/*
	 * A correctly signed request on a known route (a POST with the right
	 * type, or a GET of any) is never refused as unsigned.
	 */
	if (parsed && (mode & 0x60) == 0 && (get || ((mode >> 3) & 3) < 2) && mode % 6 < 4 &&
	    r == PROVIDER_WEBHOOK_UNSIGNED)
		abort();
	provider_events_free(&ev);
	if (parsed)
		form_free(&f);
	buf_free(&url);
	free(query);
	free(body);
	return 0;
}
