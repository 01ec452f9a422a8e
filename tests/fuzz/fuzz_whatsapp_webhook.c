/*
 * libFuzzer target for whatsapp_webhook_parse(). The first byte picks GET
 * (the rest is the query string) or POST (the rest is the body, in a buffer
 * of exactly its size), the content type, and whether the POST carries a
 * correct X-Hub-Signature-256 over the fuzzed body (so the JSON walk is
 * reached), a wrong one or none.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/util/buf.h"
#include "handlers/provider.h"
#include "handlers/signature.h"
#include "handlers/whatsapp_webhook.h"

#define FUZZ_SECRET "fuzz-secret"
#define FUZZ_VERIFY "fuzz-verify"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *fuzz_header(void *arg, const char *name);
static void fuzz_check_events(const struct provider_events *ev);

static const char *
fuzz_header(void *arg, const char *name)
{
	return strcmp(name, "X-Hub-Signature-256") == 0 ? arg : NULL;
}

static void
fuzz_check_events(const struct provider_events *ev)
{
	for (size_t i = 0; i < ev->nstatus; i++) {
		const struct status_event *s = &ev->status[i];

		if (s->provider_id[0] == '\0' || memchr(s->provider_id, '\0', sizeof s->provider_id) == NULL ||
		    memchr(s->error, '\0', sizeof s->error) == NULL || s->status > DELIVERY_READ || s->time_s < 0)
			abort();
	}
	for (size_t i = 0; i < ev->ninbound; i++) {
		const struct inbound_event *m = &ev->inbound[i];

		if (m->provider_id[0] == '\0' || m->from[0] != '+' || strlen(m->from) < 9 || m->type[0] == '\0' ||
		    memchr(m->type, '\0', sizeof m->type) == NULL || m->text == NULL ||
		    !utf8_valid(m->text, strlen(m->text)) || m->time_s < 0)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const types[] = { "application/json", "application/json; charset=utf-8", "text/plain", "" };
	struct provider_webhook_request wr;
	struct provider_events ev;
	enum provider_webhook_result r;
	char sig[SIGNATURE_META_LEN], err[192], *body, *query;
	unsigned mode;

	if (size < 1)
		return 0;
	mode = data[0];
	data++;
	size--;
	body = malloc(size > 0 ? size : 1);
	query = malloc(size + 1);
	if (body == NULL || query == NULL)
		abort();
	memcpy(body, data, size);
	memcpy(query, data, size);
	query[size] = '\0';

	memset(&wr, 0, sizeof wr);
	wr.route = (mode & 0x10) != 0 && (mode & 0x08) != 0 ? "/x" : "";
	wr.method = (mode & 0x80) != 0 ? "GET" : "POST";
	wr.content_type = types[(mode >> 1) & 3];
	wr.url = "https://gw.example/webhooks/whatsapp";
	wr.query = (mode & 0x80) != 0 ? query : "";
	wr.body = body;
	wr.body_len = size;
	wr.header = fuzz_header;
	strcpy(sig, "sha256=0000000000000000000000000000000000000000000000000000000000000000");
	if ((mode & 0x20) == 0)
		signature_meta(FUZZ_SECRET, body, size, sig);
	wr.header_arg = (mode & 0x40) != 0 ? NULL : sig;

	provider_events_init(&ev);
	err[0] = '\0';
	r = whatsapp_webhook_parse(FUZZ_SECRET, FUZZ_VERIFY, &wr, &ev, err, sizeof err);
	if (r > PROVIDER_WEBHOOK_MEDIA_TYPE || memchr(err, '\0', sizeof err) == NULL)
		abort();
	if (r != PROVIDER_WEBHOOK_OK) {
		if (err[0] == '\0' || ev.nstatus != 0 || ev.ninbound != 0 || ev.reply_type != NULL)
			abort();
		/* jansson's quote of the body never reaches the error. */
		if (strstr(err, " near ") != NULL)
			abort();
	} else if ((mode & 0x80) != 0) {
		if (ev.reply.len == 0 || ev.reply.len > WHATSAPP_WEBHOOK_CHALLENGE_MAX ||
		    strcmp(ev.reply_type, "text/plain") != 0 || ev.nstatus + ev.ninbound != 0)
			abort();
		for (size_t i = 0; i < ev.reply.len; i++)
			if (ev.reply.data[i] < 0x20 || ev.reply.data[i] > 0x7e)
				abort();
	} else {
		if (ev.reply.len != 0 || ev.reply_type != NULL || !utf8_valid(body, size))
			abort();
		fuzz_check_events(&ev);
	}
	/* A correctly signed JSON POST is never refused as unsigned. */
	if ((mode & 0xe0) == 0 && ((mode >> 1) & 3) < 2 && *wr.route == '\0' && r == PROVIDER_WEBHOOK_UNSIGNED)
		abort();
	provider_events_free(&ev);
	free(body);
	free(query);
	return 0;
}
