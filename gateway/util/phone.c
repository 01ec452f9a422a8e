/*
 * E.164 validation and normalisation. Morocco's numbering plan (ANRT):
 * national significant numbers are 9 digits, mobile 6xx/7xx, fixed 5xx,
 * written nationally with a leading 0. Other countries are accepted in
 * international form only, checked for length (ITU-T E.164: at most 15
 * digits, country codes never start with 0).
 */
#include "gateway/util/phone.h"

#include <openssl/evp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gateway/util/log.h"
#include "gateway/util/xmalloc.h"

/* The pseudonym key, ready: SHA-256 states with the padded key absorbed. */
struct phone_key {
	EVP_MD_CTX *inner, *outer;
	EVP_MD_CTX *tmp; /* scratch, so that a pseudonym allocates nothing */
};

static bool phone_is_separator(char c);

/*
 * Countries whose national numbers the gateway reads, with their calling
 * code (ITU-T E.164 assignments): Morocco, and the countries most of the
 * programme's people and partners come from. All write national numbers
 * with a trunk 0.
 */
static const struct {
	const char *iso, *cc;
} phone_countries[] = {
	{ "MA", "212" },
	{ "DZ", "213" },
	{ "TN", "216" },
	{ "FR", "33" },
	{ "ES", "34" },
	{ "BE", "32" },
	{ "IT", "39" },
	{ "SN", "221" },
	{ "ML", "223" },
	{ "GN", "224" },
	{ "CI", "225" },
	{ "BF", "226" },
	{ "NE", "227" },
	{ "TG", "228" },
	{ "BJ", "229" },
	{ "LR", "231" },
	{ "SL", "232" },
	{ "GH", "233" },
	{ "NG", "234" },
	{ "TD", "235" },
	{ "CF", "236" },
	{ "CM", "237" },
	{ "GA", "241" },
	{ "CG", "242" },
	{ "CD", "243" },
	{ "SD", "249" },
	{ "GM", "220" },
	{ "SY", "963" },
	{ "YE", "967" },
	{ "GB", "44" },
};

const char *
phone_country_code(const char *country)
{
	if (country == NULL || *country == '\0')
		return "212";
	for (size_t i = 0; i < sizeof phone_countries / sizeof phone_countries[0]; i++)
		if (strcasecmp(phone_countries[i].iso, country) == 0)
			return phone_countries[i].cc;
	return NULL;
}

int
phone_country_known(const char *country)
{
	return phone_country_code(country) != NULL;
}

int
phone_normalise_in(const char *in, const char *country, char *out, const char **reason)
{
	const char *cc = phone_country_code(country);
	char digits[40], local[48];
	size_t n = 0;
	const char *p = in;

	if (cc == NULL) {
		*reason = "unknown default country";
		return -1;
	}
	if (strcmp(cc, "212") == 0)
		return phone_normalise(in, out, reason);
	while (*p == ' ' || *p == '\t')
		p++;
	/* National form: a single trunk 0 and no + or 00: the country's code goes in front. */
	for (const char *q = p; *q != '\0' && n < sizeof digits - 1; q++)
		if (*q >= '0' && *q <= '9')
			digits[n++] = *q;
	digits[n] = '\0';
	if (*p != '+' && n > 1 && digits[0] == '0' && digits[1] != '0') {
		if (strspn(p, "0123456789 .-()\t") != strlen(p)) {
			*reason = "unexpected character in phone number";
			return -1;
		}
		snprintf(local, sizeof local, "+%s%s", cc, digits + 1);
		return phone_normalise(local, out, reason);
	}
	return phone_normalise(in, out, reason);
}

static bool
phone_is_separator(char c)
{
	return c == ' ' || c == '.' || c == '-' || c == '(' || c == ')' || c == '\t';
}

int
phone_normalise(const char *in, char *out, const char **reason)
{
	char digits[32];
	size_t n = 0;
	bool plus = false;
	const char *p = in;
	const char *d;

	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '+') {
		plus = true;
		p++;
	}
	for (; *p != '\0'; p++) {
		if (*p >= '0' && *p <= '9') {
			if (n >= sizeof digits - 1) {
				*reason = "too many digits";
				return -1;
			}
			digits[n++] = *p;
		} else if (!phone_is_separator(*p)) {
			*reason = "unexpected character in phone number";
			return -1;
		}
	}
	digits[n] = '\0';
	if (n == 0) {
		*reason = "empty phone number";
		return -1;
	}
	d = digits;
	if (!plus) {
		if (n > 2 && d[0] == '0' && d[1] == '0') {
			d += 2; /* international prefix 00 */
			n -= 2;
		} else if (n == 10 && d[0] == '0') {
			if (d[1] < '5' || d[1] > '7') {
				*reason = "not a Moroccan mobile or fixed number";
				return -1;
			}
			out[0] = '+';
			memcpy(out + 1, "212", 3);
			memcpy(out + 4, d + 1, 9);
			out[13] = '\0';
			return 0;
		} else if (!(n == 12 && strncmp(d, "212", 3) == 0)) {
			*reason = "national number without country code";
			return -1;
		}
	}
	if (d[0] == '0') {
		*reason = "country code cannot start with 0";
		return -1;
	}
	if (n < 8 || n > 15) {
		*reason = "wrong number of digits for E.164";
		return -1;
	}
	if (strncmp(d, "212", 3) == 0) {
		/* Morocco: exactly 9 national digits, starting 5, 6, 7 or 8. */
		if (d[3] == '0') {
			*reason = "Moroccan number must not keep the trunk 0 after +212";
			return -1;
		}
		if (n != 12) {
			*reason = "Moroccan number must have 9 digits after +212";
			return -1;
		}
		if (d[3] < '5' || d[3] > '8') {
			*reason = "not a Moroccan mobile or fixed number";
			return -1;
		}
	}
	out[0] = '+';
	memcpy(out + 1, d, n);
	out[n + 1] = '\0';
	return 0;
}

void
phone_mask(const char *e164, char *out)
{
	size_t len = strlen(e164), keep_head, i;

	if (len > PHONE_E164_MAX - 1 || len < 6) {
		strcpy(out, "+***");
		return;
	}
	/* "+" and country code prefix plus one digit, and the last two digits. */
	keep_head = len >= 12 ? 5 : 3;
	for (i = 0; i < len; i++)
		out[i] = (i < keep_head || i >= len - 2) ? e164[i] : '*';
	out[len] = '\0';
}

/*
 * HMAC-SHA256 as RFC 2104 writes it, with the two padded keys hashed once
 * when the key is set: each pseudonym then costs two copies of a digest
 * state and two short hashes, where a one-shot HMAC() looks the digest up
 * and derives the pads again for every number.
 */
struct phone_key *
phone_key_new(const char *key)
{
	struct phone_key *k = xcalloc(1, sizeof *k);
	unsigned char block[64], pad[64];
	size_t len = strlen(key);

	memset(block, 0, sizeof block);
	if (len > sizeof block) {
		unsigned int n = 0;

		EVP_Digest(key, len, block, &n, EVP_sha256(), NULL);
	} else
		memcpy(block, key, len);
	k->inner = EVP_MD_CTX_new();
	k->outer = EVP_MD_CTX_new();
	k->tmp = EVP_MD_CTX_new();
	if (k->inner == NULL || k->outer == NULL || k->tmp == NULL)
		fatalx("phone_key_new: out of memory");
	for (size_t i = 0; i < sizeof pad; i++)
		pad[i] = block[i] ^ 0x36;
	if (EVP_DigestInit_ex(k->inner, EVP_sha256(), NULL) != 1 || EVP_DigestUpdate(k->inner, pad, sizeof pad) != 1)
		fatalx("phone_key_new: SHA-256 unavailable");
	for (size_t i = 0; i < sizeof pad; i++)
		pad[i] = block[i] ^ 0x5c;
	if (EVP_DigestInit_ex(k->outer, EVP_sha256(), NULL) != 1 || EVP_DigestUpdate(k->outer, pad, sizeof pad) != 1)
		fatalx("phone_key_new: SHA-256 unavailable");
	explicit_bzero(block, sizeof block);
	explicit_bzero(pad, sizeof pad);
	return k;
}

void
phone_key_free(struct phone_key *k)
{
	if (k == NULL)
		return;
	EVP_MD_CTX_free(k->inner);
	EVP_MD_CTX_free(k->outer);
	EVP_MD_CTX_free(k->tmp);
	free(k);
}

void
phone_pseudonym_with(struct phone_key *k, const char *e164, char *out)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (EVP_MD_CTX_copy_ex(k->tmp, k->inner) != 1 || EVP_DigestUpdate(k->tmp, e164, strlen(e164)) != 1 ||
	    EVP_DigestFinal_ex(k->tmp, md, &mdlen) != 1 || EVP_MD_CTX_copy_ex(k->tmp, k->outer) != 1 ||
	    EVP_DigestUpdate(k->tmp, md, mdlen) != 1 || EVP_DigestFinal_ex(k->tmp, md, &mdlen) != 1)
		fatalx("phone_pseudonym: SHA-256 failed");
	for (int i = 0; i < (PHONE_PSEUDONYM_MAX - 1) / 2; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[PHONE_PSEUDONYM_MAX - 1] = '\0';
}

void
phone_pseudonym(const char *key, const char *e164, char *out)
{
	struct phone_key *k = phone_key_new(key);

	phone_pseudonym_with(k, e164, out);
	phone_key_free(k);
}
