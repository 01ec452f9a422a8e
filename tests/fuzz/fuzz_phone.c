/*
 * libFuzzer target for phone_normalise(), phone_mask() and
 * phone_pseudonym(): an accepted number is E.164 ("+" and 8 to 15 digits),
 * and the buffers are exactly the documented sizes so overflows show.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/util/phone.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_check_derived(const char *e164);

static void
fuzz_check_derived(const char *e164)
{
	char *mask = malloc(PHONE_MASK_MAX), *pseudo = malloc(PHONE_PSEUDONYM_MAX);
	size_t len = strlen(e164);

	if (mask == NULL || pseudo == NULL)
		abort();
	phone_mask(e164, mask);
	if (strlen(mask) != len || mask[0] != '+' || memcmp(mask + len - 2, e164 + len - 2, 2) != 0)
		abort();
	for (size_t i = 5; i < len - 2; i++)
		if (mask[i] != '*')
			abort();
	phone_pseudonym("fuzz-key", e164, pseudo);
	if (strlen(pseudo) != PHONE_PSEUDONYM_MAX - 1 || strspn(pseudo, "0123456789abcdef") != strlen(pseudo))
		abort();
	free(mask);
	free(pseudo);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in, *out;
	const char *reason = NULL;
	size_t len;

	in = malloc(size + 1);
	out = malloc(PHONE_E164_MAX);
	if (in == NULL || out == NULL)
		abort();
	memcpy(in, data, size);
	in[size] = '\0';
	if (phone_normalise(in, out, &reason) == 0) {
		len = strlen(out);
		if (out[0] != '+' || len < 9 || len > 16 || strspn(out + 1, "0123456789") != len - 1)
			abort();
		if (out[1] == '0')
			abort();
		fuzz_check_derived(out);
	} else if (reason == NULL || reason[0] == '\0')
		abort();
	free(in);
	free(out);
	return 0;
}
