/*
 * libFuzzer target for segments_count() and segments_substitute(): any
 * bytes. Valid UTF-8 gets figures that hold together (parts within their
 * bounds, at least units / per_segment of them, GSM-7 only without forcing
 * characters); substituting a substitutable text makes it GSM-7 and never
 * longer in parts; invalid input is refused, never read past its end.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "locales/segments.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in = malloc(size > 0 ? size : 1), why[128];
	struct segments_result r, s;
	struct buf b;

	if (in == NULL)
		abort();
	memcpy(in, data, size);
	if (segments_count(in, size, &r, why, sizeof why) != 0) {
		free(in);
		return 0;
	}
	if (r.units < r.characters || (r.units == 0) != (r.segments == 0))
		abort();
	if (r.segments > 0 &&
	    (r.segments * r.per_segment < r.units || r.segments < (r.units + r.per_segment - 1) / r.per_segment))
		abort();
	if ((r.encoding == SEGMENTS_GSM7) != (r.nforced == 0) || (r.substitutable && r.encoding != SEGMENTS_UCS2))
		abort();
	buf_init(&b);
	segments_substitute(in, size, &b);
	if (segments_count(b.data != NULL ? b.data : "", b.len, &s, why, sizeof why) != 0)
		abort();
	if (r.substitutable && s.encoding != SEGMENTS_GSM7)
		abort();
	if (r.encoding == SEGMENTS_GSM7 && (b.len != size || (size > 0 && memcmp(b.data, in, size) != 0)))
		abort();
	buf_free(&b);
	free(in);
	return 0;
}
