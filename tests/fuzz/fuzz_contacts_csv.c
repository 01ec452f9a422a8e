/*
 * libFuzzer target for the contacts CSV reader: any bytes, read whole and
 * then in pieces of a size the first byte picks, as UTF-8 and as
 * Windows-1252. Both readings must agree (rows, refusals and the verdict),
 * every row has an E.164 number, and nothing is read out of bounds.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/util/buf.h"
#include "handlers/contacts_csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int fuzz_row(void *arg, const struct contact_row *r);
static void fuzz_refused(
    void *arg, long line, const char *column, const char *code, const char *value, const char *why);
static int fuzz_read(const char *in, size_t len, size_t piece, bool cp1252, struct buf *out);

static int
fuzz_row(void *arg, const struct contact_row *r)
{
	if (r->phone[0] != '+' || strlen(r->phone) < 9)
		abort();
	buf_printf(arg, "R%ld %s %s %s %zu\n", r->line, r->phone, r->name, r->locale, r->ntags);
	return 0;
}

static void
fuzz_refused(void *arg, long line, const char *column, const char *code, const char *value, const char *why)
{
#define FUZZ_CODE(c) #c,
	static const char *const codes[] = { CONTACTS_CSV_REFUSALS(FUZZ_CODE) };
	bool known = false;

	/* Every refusal has one of the codes, and the value at fault is no longer than a message shows. */
	for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
		known |= strcmp(code, codes[i]) == 0;
	if (!known || strlen(value) > 40)
		abort();
	buf_printf(arg, "X%ld %s %s %s %s\n", line, column, code, value, why);
}

static int
fuzz_read(const char *in, size_t len, size_t piece, bool cp1252, struct buf *out)
{
	struct contacts_csv_settings s = { "MA", cp1252 };
	struct contacts_csv_handlers h = { fuzz_row, fuzz_refused, NULL };
	struct contacts_csv *p = contacts_csv_new(&s, &h, out);
	char why[256];
	int rc = 0;

	for (size_t i = 0; i < len && rc == 0; i += piece)
		rc = contacts_csv_feed(p, in + i, len - i < piece ? len - i : piece, why, sizeof why);
	if (rc == 0)
		rc = contacts_csv_finish(p, why, sizeof why);
	contacts_csv_free(p);
	return rc;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in = malloc(size > 0 ? size : 1);
	size_t piece = size > 0 ? (size_t)(data[0] % 7) + 1 : 1;

	if (in == NULL)
		abort();
	memcpy(in, data, size);
	for (int enc = 0; enc < 2; enc++) {
		struct buf whole, parts;
		int a, b;

		buf_init(&whole);
		buf_init(&parts);
		a = fuzz_read(in, size, size > 0 ? size : 1, enc == 1, &whole);
		b = fuzz_read(in, size, piece, enc == 1, &parts);
		/* An error stops at a point that may differ with the pieces; what was read before must agree. */
		if (a != b ||
		    (a == 0 &&
			(whole.len != parts.len || (whole.len > 0 && memcmp(whole.data, parts.data, whole.len) != 0))))
			abort();
		buf_free(&whole);
		buf_free(&parts);
	}
	free(in);
	return 0;
}
