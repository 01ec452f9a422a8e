/*
 * libFuzzer target for campaign templates: any bytes. A text that passes
 * the check renders without any brace of a placeholder left in it and
 * with every placeholder replaced; rendering never reads out of bounds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "handlers/template.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *
fuzz_value(void *arg, const char *name)
{
	(void)arg;
	return strcmp(name, "first_name") == 0 || strcmp(name, "x") == 0 ? "V" : NULL;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in = malloc(size > 0 ? size : 1), why[200];
	struct buf out;

	if (in == NULL)
		abort();
	memcpy(in, data, size);
	buf_init(&out);
	template_render(in, size, fuzz_value, NULL, &out);
	if (template_check(in, size, fuzz_value, NULL, why, sizeof why) == 0) {
		/* Checked: the output is the text with {{ }} halved and placeholders replaced, so never longer. */
		if (out.len > size)
			abort();
		if (out.len > 0 &&
		    (memmem(out.data, out.len, "{first_name}", 12) != NULL ||
			memmem(out.data, out.len, "{x}", 3) != NULL) &&
		    memmem(in, size, "{{", 2) == NULL)
			abort();
	}
	buf_free(&out);
	free(in);
	return 0;
}
