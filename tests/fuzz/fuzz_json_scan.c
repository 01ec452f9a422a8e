/*
 * libFuzzer target for the JSON member scanner: any bytes, any key from a
 * small set; the scanner must neither crash nor read past the input, and a
 * found value must be NUL-terminated inside the buffer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "handlers/json_scan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *keys[] = { "sid", "code", "id", "status" };
	char out[40];
	char *copy;

	if (size == 0)
		return 0;
	/* An exact-size copy, so reading one byte too far is caught. */
	copy = malloc(size - 1 > 0 ? size - 1 : 1);
	memcpy(copy, data + 1, size - 1);
	if (json_scan_member(copy, size - 1, keys[data[0] % 4], out, sizeof out) == JSON_SCAN_FOUND &&
	    memchr(out, '\0', sizeof out) == NULL)
		abort();
	free(copy);
	return 0;
}
