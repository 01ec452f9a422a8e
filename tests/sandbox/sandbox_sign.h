/*
 * The signatures providers put on the webhooks they send: Twilio's
 * X-Twilio-Signature and Meta's X-Hub-Signature(-256). Computed here with
 * libcrypto, independently of the gateway's own checking code. Owns nothing.
 */
#ifndef AMUDDU_SANDBOX_SIGN_H
#define AMUDDU_SANDBOX_SIGN_H

#include <stddef.h>

/* base64 of a 20-byte HMAC-SHA1, and a NUL. */
#define SANDBOX_SIGN_TWILIO_LEN 29
/* "sha256=" and 64 hex digits, and a NUL. */
#define SANDBOX_SIGN_HUB256_LEN 72
/* "sha1=" and 40 hex digits, and a NUL. */
#define SANDBOX_SIGN_HUB1_LEN 46

/* One POST parameter; both strings NUL-terminated. */
struct sandbox_sign_param {
	const char *name;
	const char *value;
};

/*
 * Twilio's "Validating requests": base64(HMAC-SHA1(auth token, the full URL
 * followed by every parameter's name and value, sorted by name)). params
 * is sorted in place, by name and then value, as Twilio sorts them.
 */
void sandbox_sign_twilio(const char *token, const char *url, struct sandbox_sign_param *params, size_t nparams,
    char out[SANDBOX_SIGN_TWILIO_LEN]);
/* Meta's "Validating payloads": "sha256=" hex(HMAC-SHA256(app secret, raw body)). */
void sandbox_sign_hub256(const char *secret, const char *body, size_t len, char out[SANDBOX_SIGN_HUB256_LEN]);
/* The older X-Hub-Signature Meta still sends beside it: "sha1=" hex(HMAC-SHA1(...)). */
void sandbox_sign_hub1(const char *secret, const char *body, size_t len, char out[SANDBOX_SIGN_HUB1_LEN]);

#endif
