/*
 * libFuzzer target for locale_guess(): any bytes, in a buffer of exactly
 * their size. The answer is one of the four documented ones, NULL when no
 * byte could be part of a letter, and the same on a second call.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "locales/locale_guess.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in = malloc(size > 0 ? size : 1);
	const char *g;
	bool letterish = false;

	if (in == NULL)
		abort();
	memcpy(in, data, size);
	g = locale_guess(in, size);
	if (g != NULL && strcmp(g, "ar") != 0 && strcmp(g, "ary-Latn") != 0 && strcmp(g, "fr") != 0)
		abort();
	if (g != locale_guess(in, size))
		abort();
	for (size_t i = 0; i < size; i++)
		if (data[i] >= 0x80 || (data[i] >= 'A' && data[i] <= 'Z') || (data[i] >= 'a' && data[i] <= 'z'))
			letterish = true;
	if (!letterish && g != NULL)
		abort();
	/* Pure ASCII has no Arabic letters. */
	if (g != NULL && strcmp(g, "ar") == 0) {
		bool high = false;

		for (size_t i = 0; i < size; i++)
			high |= data[i] >= 0x80;
		if (!high)
			abort();
	}
	free(in);
	return 0;
}
