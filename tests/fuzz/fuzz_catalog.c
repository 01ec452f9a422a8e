/*
 * libFuzzer target for the PO reader: any bytes as a catalog. Either it is
 * refused with a reason, or it kept no translation for the empty key (the
 * header is not one); nothing is read out of bounds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "locales/catalog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct catalog *c = catalog_new();
	char *in = malloc(size > 0 ? size : 1), why[200];

	if (in == NULL)
		abort();
	memcpy(in, data, size);
	if (catalog_add(c, "ary-Latn", in, size, why, sizeof why) != 0) {
		if (why[0] == '\0')
			abort();
	} else if (catalog_size(c) > 0 && catalog_lookup(c, "ary-Latn", "", "ary-Latn fr", NULL) != NULL) {
		abort();
	}
	catalog_free(c);
	free(in);
	return 0;
}
