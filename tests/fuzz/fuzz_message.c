/*
 * libFuzzer target for message_parse(): the first byte picks the lane, the
 * rest is split on '\n' into name, value, ... items (NUL bytes stay inside
 * items, as Redis allows). Checks what a parsed message promises.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/util/buf.h"
#include "queues/message.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_check_parsed(const struct message *m, size_t nitems);

static void
fuzz_check_parsed(const struct message *m, size_t nitems)
{
	size_t len, chars = 0;

	if (m->nfields != nitems / 2 || m->id == NULL || m->text == NULL || m->campaign == NULL)
		abort();
	if (m->to[0] != '+' || strlen(m->to) < 9 || strlen(m->to) >= PHONE_E164_MAX)
		abort();
	if (strlen(m->to_masked) != strlen(m->to))
		abort();
	len = strlen(m->text);
	if (len == 0 || !utf8_valid(m->text, len))
		abort();
	for (size_t i = 0; i < len; i++)
		chars += ((unsigned char)m->text[i] & 0xC0) != 0x80;
	if (chars > MESSAGE_TEXT_MAX_CHARS)
		abort();
	if (m->not_before < 0 || m->expires < 0)
		abort();
	if (m->has_id && (strlen(m->id) == 0 || strlen(m->id) > MESSAGE_ID_MAX || strchr(m->id, ' ') != NULL))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct message m;
	const char **values;
	size_t *lens, nitems = 0, start;
	enum lane lane;
	const char *p;

	if (size < 1)
		return 0;
	lane = (enum lane)(data[0] % LANE_COUNT);
	p = (const char *)data + 1;
	size--;

	/* Items are the pieces between '\n's; a trailing piece counts too. */
	for (size_t i = 0; i < size; i++)
		nitems += p[i] == '\n';
	nitems++;
	values = calloc(nitems, sizeof *values);
	lens = calloc(nitems, sizeof *lens);
	if (values == NULL || lens == NULL)
		abort();
	nitems = 0;
	start = 0;
	for (size_t i = 0; i <= size; i++) {
		if (i == size || p[i] == '\n') {
			values[nitems] = p + start;
			lens[nitems] = i - start;
			nitems++;
			start = i + 1;
		}
	}

	if (message_parse(&m, lane, "1700000000000-0", values, lens, nitems) == 0)
		fuzz_check_parsed(&m, nitems);
	else if (m.error[0] == '\0' || memchr(m.error, '\0', sizeof m.error) == NULL)
		abort();
	message_free(&m);
	free(values);
	free(lens);
	return 0;
}
