/*
 * libFuzzer target for form_parse(): any bytes, in a buffer of exactly
 * their size. A decoded form re-encodes (buf_append_form) to one that
 * decodes to the same pairs, and its Twilio signature verifies.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/util/buf.h"
#include "handlers/form.h"
#include "handlers/signature.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_check_pairs(const struct form *f);

static void
fuzz_check_pairs(const struct form *f)
{
	if (f->n > FORM_MAX_PAIRS)
		abort();
	for (size_t i = 0; i < f->n; i++)
		if (f->v[i].name[f->v[i].name_len] != '\0' || f->v[i].value[f->v[i].value_len] != '\0')
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in = malloc(size > 0 ? size : 1), err[128], sig[SIGNATURE_TWILIO_LEN];
	const struct form_pair *p;
	struct form f, g;
	struct buf b;

	if (in == NULL)
		abort();
	memcpy(in, data, size);
	err[0] = '\0';
	if (form_parse(&f, in, size, err, sizeof err) != 0) {
		if (f.n != 0 || err[0] == '\0' || memchr(err, '\0', sizeof err) == NULL)
			abort();
		form_free(&f);
		free(in);
		return 0;
	}
	fuzz_check_pairs(&f);
	if (f.n > 0 && memchr(f.v[0].name, '\0', f.v[0].name_len) == NULL) {
		p = form_find(&f, f.v[0].name);
		if (p != &f.v[0] || form_get(&f, f.v[0].name) != f.v[0].value)
			abort();
	}

	buf_init(&b);
	for (size_t i = 0; i < f.n; i++) {
		if (i > 0)
			buf_puts(&b, "&");
		buf_append_form(&b, f.v[i].name, f.v[i].name_len);
		buf_puts(&b, "=");
		buf_append_form(&b, f.v[i].value, f.v[i].value_len);
	}
	if (form_parse(&g, b.data, b.len, err, sizeof err) != 0 || g.n != f.n)
		abort();
	for (size_t i = 0; i < f.n; i++)
		if (g.v[i].name_len != f.v[i].name_len || g.v[i].value_len != f.v[i].value_len ||
		    memcmp(g.v[i].name, f.v[i].name, f.v[i].name_len) != 0 ||
		    memcmp(g.v[i].value, f.v[i].value, f.v[i].value_len) != 0)
			abort();

	signature_twilio("fuzz-token", "https://gw.example/webhooks/twilio/status", &f, sig);
	if (strlen(sig) != SIGNATURE_TWILIO_LEN - 1 ||
	    !signature_twilio_verify("fuzz-token", "https://gw.example/webhooks/twilio/status", &g, sig))
		abort();
	form_free(&g);
	buf_free(&b);
	form_free(&f);
	free(in);
	return 0;
}
