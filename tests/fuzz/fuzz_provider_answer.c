/*
 * libFuzzer target for the WhatsApp and generic providers' answer
 * classification and for the generic provider's status webhook. The first
 * byte picks the provider and the HTTP status; the rest is the body, in a
 * buffer of exactly its size (never NUL-terminated). For the webhook, the
 * body is signed correctly so that the JSON walk is reached.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "handlers/generic.h"
#include "handlers/provider.h"
#include "handlers/signature.h"
#include "handlers/whatsapp.h"

#define FUZZ_SECRET "fuzz-secret"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *fuzz_header(void *arg, const char *name);
static void *fuzz_create(const struct provider_ops *ops);

static const char *
fuzz_header(void *arg, const char *name)
{
	return strcmp(name, "X-Signature") == 0 ? arg : NULL;
}

static void *
fuzz_create(const struct provider_ops *ops)
{
	static const struct provider_setting wa[] = {
		{ "phone_number_id", "1234" },
		{ "token", "t" },
		{ "app_secret", FUZZ_SECRET },
		{ "verify_token", "v" },
	};
	static const struct provider_setting gen[] = {
		{ "url", "http://127.0.0.1:1/send" },
		{ "body", "{\"to\":\"${to}\",\"text\":\"${text}\"}" },
		{ "webhook_secret", FUZZ_SECRET },
	};
	struct provider_settings s = { ops == &whatsapp_ops ? wa : gen, ops == &whatsapp_ops ? 4 : 3, "" };
	char err[200];
	void *ctx = ops->create(&s, err, sizeof err);

	if (ctx == NULL)
		abort();
	return ctx;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const long statuses[] = { 200, 201, 400, 401, 403, 404, 429, 500, 503, 0 };
	static void *wa, *gen;
	struct provider_answer a;
	struct provider_result r;
	const struct provider_ops *ops;
	char *body;
	unsigned mode;

	if (wa == NULL) {
		wa = fuzz_create(&whatsapp_ops);
		gen = fuzz_create(&generic_ops);
	}
	if (size < 1)
		return 0;
	mode = data[0];
	data++;
	size--;
	body = malloc(size > 0 ? size : 1);
	if (body == NULL)
		abort();
	memcpy(body, data, size);
	if ((mode & 0x80) != 0) {
		struct provider_webhook_request wr;
		struct provider_events ev;
		char sig[SIGNATURE_META_LEN], err[192];
		enum provider_webhook_result res;

		signature_meta(FUZZ_SECRET, body, size, sig);
		memset(&wr, 0, sizeof wr);
		wr.method = "POST";
		wr.route = "";
		wr.url = "http://gw/webhooks/generic";
		wr.query = "";
		wr.content_type = "application/json";
		wr.header = fuzz_header;
		wr.header_arg = sig;
		wr.body = body;
		wr.body_len = size;
		provider_events_init(&ev);
		err[0] = '\0';
		res = generic_ops.webhook(gen, &wr, &ev, err, sizeof err);
		if (res == PROVIDER_WEBHOOK_UNSIGNED || (res != PROVIDER_WEBHOOK_OK && err[0] == '\0'))
			abort();
		if (res != PROVIDER_WEBHOOK_OK && strstr(err, " near ") != NULL)
			abort();
		for (size_t i = 0; i < ev.nstatus; i++)
			if (ev.status[i].provider_id[0] == '\0' || ev.status[i].status > DELIVERY_READ)
				abort();
		provider_events_free(&ev);
		free(body);
		return 0;
	}
	ops = (mode & 0x40) != 0 ? &generic_ops : &whatsapp_ops;
	memset(&a, 0, sizeof a);
	a.status = statuses[(mode & 0x3f) % (sizeof statuses / sizeof statuses[0])];
	a.transport_error = a.status == 0 ? "fuzz" : NULL;
	a.body = body;
	a.body_len = size;
	ops->classify(ops == &generic_ops ? gen : wa, &a, &r);
	if (r.verdict != PROVIDER_ACCEPTED && r.verdict != PROVIDER_RETRY && r.verdict != PROVIDER_PERMANENT)
		abort();
	if (memchr(r.provider_id, '\0', sizeof r.provider_id) == NULL || memchr(r.error, '\0', sizeof r.error) == NULL)
		abort();
	if (r.verdict == PROVIDER_ACCEPTED && (a.status < 200 || a.status > 299 || r.provider_id[0] == '\0'))
		abort();
	if (r.verdict != PROVIDER_ACCEPTED && r.error[0] == '\0')
		abort();
	free(body);
	return 0;
}
