/*
 * HMAC through libcrypto's one-shot HMAC(); the Twilio string to sign is
 * built in a struct buf first. A failure of libcrypto here is a broken
 * invariant (fixed digests, in-memory data), so it aborts.
 */
#include "sandbox_sign.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "gateway/util/buf.h"
#include "gateway/util/log.h"

static int sandbox_sign_param_cmp(const void *a, const void *b);
static void sandbox_sign_hex(const char *prefix, const unsigned char *mac, unsigned int len, char *out);

static int
sandbox_sign_param_cmp(const void *a, const void *b)
{
	const struct sandbox_sign_param *pa = a, *pb = b;
	int c = strcmp(pa->name, pb->name);

	return c != 0 ? c : strcmp(pa->value, pb->value);
}

void
sandbox_sign_twilio(const char *token, const char *url, struct sandbox_sign_param *params, size_t nparams,
    char out[SANDBOX_SIGN_TWILIO_LEN])
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int mac_len = 0;
	struct buf data;

	qsort(params, nparams, sizeof *params, sandbox_sign_param_cmp);
	buf_init(&data);
	buf_puts(&data, url);
	for (size_t i = 0; i < nparams; i++) {
		buf_puts(&data, params[i].name);
		buf_puts(&data, params[i].value);
	}
	if (HMAC(EVP_sha1(), token, (int)strlen(token), (const unsigned char *)data.data, data.len, mac, &mac_len) ==
		NULL ||
	    mac_len != 20)
		fatalx("HMAC-SHA1 failed");
	buf_free(&data);
	EVP_EncodeBlock((unsigned char *)out, mac, (int)mac_len);
}

static void
sandbox_sign_hex(const char *prefix, const unsigned char *mac, unsigned int len, char *out)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = strlen(prefix);

	memcpy(out, prefix, n);
	for (unsigned int i = 0; i < len; i++) {
		out[n + 2 * i] = hex[mac[i] >> 4];
		out[n + 2 * i + 1] = hex[mac[i] & 15];
	}
	out[n + 2 * len] = '\0';
}

void
sandbox_sign_hub256(const char *secret, const char *body, size_t len, char out[SANDBOX_SIGN_HUB256_LEN])
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int mac_len = 0;

	if (HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)body, len, mac, &mac_len) == NULL ||
	    mac_len != 32)
		fatalx("HMAC-SHA256 failed");
	sandbox_sign_hex("sha256=", mac, mac_len, out);
}

void
sandbox_sign_hub1(const char *secret, const char *body, size_t len, char out[SANDBOX_SIGN_HUB1_LEN])
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int mac_len = 0;

	if (HMAC(EVP_sha1(), secret, (int)strlen(secret), (const unsigned char *)body, len, mac, &mac_len) == NULL ||
	    mac_len != 20)
		fatalx("HMAC-SHA1 failed");
	sandbox_sign_hex("sha1=", mac, mac_len, out);
}
