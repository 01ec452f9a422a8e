/*
 * Computes and checks webhook signatures with libcrypto. Twilio's rule is in
 * its "Webhooks security" page (validating signatures from Twilio), Meta's in
 * the WhatsApp Cloud API "Webhooks" page (event notification payloads).
 */
#include "handlers/signature.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/util/buf.h"
#include "gateway/util/xmalloc.h"

static int signature_pair_cmp(const void *a, const void *b);
static int signature_bytes_cmp(const char *a, size_t alen, const char *b, size_t blen);

static int
signature_bytes_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);

	if (c != 0)
		return c;
	return alen < blen ? -1 : alen > blen;
}

static int
signature_pair_cmp(const void *a, const void *b)
{
	const struct form_pair *x = *(const struct form_pair *const *)a, *y = *(const struct form_pair *const *)b;
	int c = signature_bytes_cmp(x->name, x->name_len, y->name, y->name_len);

	return c != 0 ? c : signature_bytes_cmp(x->value, x->value_len, y->value, y->value_len);
}

void
signature_twilio(const char *auth_token, const char *url, const struct form *params, char out[SIGNATURE_TWILIO_LEN])
{
	const struct form_pair **sorted = NULL;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	struct buf b;

	buf_init(&b);
	buf_puts(&b, url);
	if (params->n > 0) {
		sorted = xreallocarray(NULL, params->n, sizeof *sorted);
		for (size_t i = 0; i < params->n; i++)
			sorted[i] = &params->v[i];
		qsort(sorted, params->n, sizeof *sorted, signature_pair_cmp);
		for (size_t i = 0; i < params->n; i++) {
			buf_append(&b, sorted[i]->name, sorted[i]->name_len);
			buf_append(&b, sorted[i]->value, sorted[i]->value_len);
		}
	}
	/* On a libcrypto failure out stays empty, which verifies nothing. */
	memset(out, 0, SIGNATURE_TWILIO_LEN);
	if (HMAC(EVP_sha1(), auth_token, (int)strlen(auth_token), (const unsigned char *)b.data, b.len, md, &mdlen) !=
		NULL &&
	    mdlen == 20)
		EVP_EncodeBlock((unsigned char *)out, md, (int)mdlen);
	explicit_bzero(md, sizeof md);
	free(sorted);
	buf_free(&b);
}

bool
signature_twilio_verify(const char *auth_token, const char *url, const struct form *params, const char *header)
{
	char want[SIGNATURE_TWILIO_LEN];
	bool ok;

	if (auth_token == NULL || *auth_token == '\0' || url == NULL || params == NULL || header == NULL)
		return false;
	if (strlen(header) != SIGNATURE_TWILIO_LEN - 1)
		return false;
	signature_twilio(auth_token, url, params, want);
	ok = CRYPTO_memcmp(want, header, SIGNATURE_TWILIO_LEN - 1) == 0;
	explicit_bzero(want, sizeof want);
	return ok;
}

void
signature_meta(const char *app_secret, const char *body, size_t len, char out[SIGNATURE_META_LEN])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	memset(out, 0, SIGNATURE_META_LEN);
	if (HMAC(EVP_sha256(), app_secret, (int)strlen(app_secret), (const unsigned char *)(len > 0 ? body : ""), len,
		md, &mdlen) == NULL ||
	    mdlen != 32)
		return;
	memcpy(out, "sha256=", 7);
	for (unsigned int i = 0; i < mdlen; i++) {
		out[7 + 2 * i] = hex[md[i] >> 4];
		out[7 + 2 * i + 1] = hex[md[i] & 15];
	}
	explicit_bzero(md, sizeof md);
}

bool
signature_meta_verify(const char *app_secret, const char *body, size_t len, const char *header)
{
	unsigned char md[EVP_MAX_MD_SIZE], got[32];
	unsigned int mdlen = 0;
	int hi, lo;
	bool ok;

	if (app_secret == NULL || *app_secret == '\0' || header == NULL || (body == NULL && len > 0))
		return false;
	if (strncmp(header, "sha256=", 7) != 0 || strlen(header) != SIGNATURE_META_LEN - 1)
		return false;
	for (size_t i = 0; i < sizeof got; i++) {
		hi = hex_digit_value((unsigned char)header[7 + 2 * i]);
		lo = hex_digit_value((unsigned char)header[7 + 2 * i + 1]);
		if (hi < 0 || lo < 0)
			return false;
		got[i] = (unsigned char)(hi << 4 | lo);
	}
	if (HMAC(EVP_sha256(), app_secret, (int)strlen(app_secret), (const unsigned char *)(len > 0 ? body : ""), len,
		md, &mdlen) == NULL)
		return false;
	ok = mdlen == sizeof got && CRYPTO_memcmp(md, got, sizeof got) == 0;
	explicit_bzero(md, sizeof md);
	return ok;
}

/* Hashing both sides first makes the time independent of the lengths too. */
bool
signature_equal(const char *a, size_t alen, const char *b, size_t blen)
{
	unsigned char da[EVP_MAX_MD_SIZE], db[EVP_MAX_MD_SIZE];
	unsigned int la = 0, lb = 0;

	if (EVP_Digest(alen > 0 ? a : "", alen, da, &la, EVP_sha256(), NULL) != 1 ||
	    EVP_Digest(blen > 0 ? b : "", blen, db, &lb, EVP_sha256(), NULL) != 1)
		return false;
	return la == lb && CRYPTO_memcmp(da, db, la) == 0 && alen == blen;
}
