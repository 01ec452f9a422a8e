/*
 * E.164 validation and normalisation. Morocco's numbering plan (ANRT):
 * national significant numbers are 9 digits, mobile 6xx/7xx, fixed 5xx,
 * written nationally with a leading 0. Other countries are accepted in
 * international form only, checked for length (ITU-T E.164: at most 15
 * digits, country codes never start with 0).
 */
#include "gateway/util/phone.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static bool phone_is_separator(char c);

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

void
phone_pseudonym(const char *key, const char *e164, char *out)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	HMAC(EVP_sha256(), key, (int)strlen(key), (const unsigned char *)e164, strlen(e164), md, &mdlen);
	for (int i = 0; i < (PHONE_PSEUDONYM_MAX - 1) / 2; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	out[PHONE_PSEUDONYM_MAX - 1] = '\0';
}
