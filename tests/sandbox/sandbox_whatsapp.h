/*
 * The WhatsApp Business Cloud API endpoint, POST /{version}/{phone number
 * id}/messages: Bearer auth, text and template messages validated as Meta's
 * OpenAPI description (v23.0) requires, Meta's error objects, faults, and
 * wamid message ids. Owns its settings and the id generator.
 */
#ifndef AMUDDU_SANDBOX_WHATSAPP_H
#define AMUDDU_SANDBOX_WHATSAPP_H

#include <stdbool.h>
#include <stddef.h>

struct evbuffer;
struct evhttp_request;
struct sandbox;
struct sandbox_whatsapp;

/* Long enough for any wamid this sandbox makes, and a NUL. */
#define SANDBOX_WHATSAPP_WAMID_MAX 96
/* What inbound webhooks carry as phone_number_id when no --wa-phone-number-id is set. */
#define SANDBOX_WHATSAPP_DEFAULT_PHONE_NUMBER_ID "106540352242922"

struct sandbox_whatsapp_config {
	char token[512];          /* wa_token: the Bearer token */
	char not_on_whatsapp[32]; /* wa_not_on_whatsapp: digits; numbers starting so get 131026 */
	char phone_number_id[64]; /* wa_phone_number_id: the only id served; empty serves any */
};

/* Meta's title and details for an error code ("Error codes" page of the Cloud API). */
struct sandbox_whatsapp_error {
	unsigned int code;
	const char *title;
	const char *details;
};

void sandbox_whatsapp_config_init(struct sandbox_whatsapp_config *config);
/* wa_token, wa_not_on_whatsapp, wa_phone_number_id: 0, -1 with *why, or 1 for another name. */
int sandbox_whatsapp_config_set(struct sandbox_whatsapp_config *config, const char *key, const char *value,
    const char **why) __attribute__((warn_unused_result));
/* Appends ,"key":value for every setting but the token. */
void sandbox_whatsapp_config_write_json(const struct sandbox_whatsapp_config *config, struct evbuffer *out);

/* The caller frees the result with sandbox_whatsapp_free(). */
struct sandbox_whatsapp *sandbox_whatsapp_new(struct sandbox *sb, const struct sandbox_whatsapp_config *config);
void sandbox_whatsapp_free(struct sandbox_whatsapp *wa);
const struct sandbox_whatsapp_config *sandbox_whatsapp_get_config(const struct sandbox_whatsapp *wa);
void sandbox_whatsapp_set_config(struct sandbox_whatsapp *wa, const struct sandbox_whatsapp_config *config);
/* The phone number id inbound messages arrive on. */
const char *sandbox_whatsapp_phone_number_id(const struct sandbox_whatsapp *wa);
/* Answers req when path looks like /v{major}.{minor}/...; false leaves it to the caller. */
bool sandbox_whatsapp_handle(struct sandbox_whatsapp *wa, struct evhttp_request *req, const char *path);
/* A new, unique "wamid.…" for a message to (or, inbound, from) the number digits. */
void sandbox_whatsapp_make_wamid(
    struct sandbox_whatsapp *wa, const char *digits, bool inbound, char out[SANDBOX_WHATSAPP_WAMID_MAX]);
/* Never NULL: unknown codes get a generic entry (whose code is 0). */
const struct sandbox_whatsapp_error *sandbox_whatsapp_error_find(unsigned int code);

#endif
