/*
 * Webhook signatures: Twilio's X-Twilio-Signature (HMAC-SHA1 over the URL
 * and the sorted POST parameters) and Meta's X-Hub-Signature-256
 * (HMAC-SHA256 over the raw body). Every comparison takes the same time
 * whatever the bytes, so a forger learns nothing from timing.
 */
#ifndef AMUDDU_SIGNATURE_H
#define AMUDDU_SIGNATURE_H

#include <stdbool.h>
#include <stddef.h>

#include "handlers/form.h"

/* Base64 of a 20-byte HMAC-SHA1, and a NUL. */
#define SIGNATURE_TWILIO_LEN 29
/* "sha256=", 64 hex digits and a NUL. */
#define SIGNATURE_META_LEN 72

/*
 * Twilio's signature of a request to url carrying params: base64 of
 * HMAC-SHA1(auth_token, url + name1 + value1 + name2 + value2 …) with the
 * parameters sorted by name in byte order (equal names by value).
 */
void signature_twilio(
    const char *auth_token, const char *url, const struct form *params, char out[SIGNATURE_TWILIO_LEN]);
/* True when header is that signature. An empty token or a NULL argument never verifies. */
bool signature_twilio_verify(const char *auth_token, const char *url, const struct form *params, const char *header)
    __attribute__((warn_unused_result));

/* The X-Hub-Signature-256 value for body: "sha256=" and lowercase hex HMAC-SHA256(app_secret, body). */
void signature_meta(const char *app_secret, const char *body, size_t len, char out[SIGNATURE_META_LEN]);
/* True when header is that value (hex digits of either case). An empty secret never verifies. */
bool signature_meta_verify(const char *app_secret, const char *body, size_t len, const char *header)
    __attribute__((warn_unused_result));

/* Compares two secrets in time independent of their contents (and of where they differ). */
bool signature_equal(const char *a, size_t alen, const char *b, size_t blen) __attribute__((warn_unused_result));

#endif
