/*
 * libFuzzer target for twilio_ops.classify() and Retry-After parsing: two
 * bytes pick the HTTP status (100..599), the bytes up to a '\n' are the
 * Retry-After header, the rest is the body, in a buffer of exactly its size.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "handlers/provider.h"
#include "handlers/twilio.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_check_retry_after(long ms);

static void
fuzz_check_retry_after(long ms)
{
	if (ms < -1 || ms > 86400L * 1000)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct provider_answer a;
	struct provider_result r;
	struct twilio *t;
	const uint8_t *nl;
	char *header, *body;
	size_t hlen, blen;
	unsigned status;

	if (size < 2)
		return 0;
	memset(&a, 0, sizeof a);
	/* Big-endian, so a seed starting 00 C9 is a 201; anything else folds into range. */
	status = (unsigned)data[0] << 8 | data[1];
	a.status = status >= 100 && status <= 599 ? (long)status : 100 + (long)(status % 500);
	data += 2;
	size -= 2;
	nl = memchr(data, '\n', size);
	hlen = nl != NULL ? (size_t)(nl - data) : size;
	header = malloc(hlen + 1);
	if (header == NULL)
		abort();
	memcpy(header, data, hlen);
	header[hlen] = '\0';
	blen = nl != NULL ? size - hlen - 1 : 0;
	/* Not NUL-terminated: the classifier must respect body_len. */
	body = malloc(blen > 0 ? blen : 1);
	if (body == NULL)
		abort();
	if (blen > 0)
		memcpy(body, nl + 1, blen);

	a.retry_after = hlen > 0 ? header : NULL;
	a.body = body;
	a.body_len = blen;
	t = twilio_new(
	    "https://api.twilio.com", "AC0123456789abcdef0123456789abcdef", "token", "+15005550006", NULL, NULL);
	twilio_ops.classify(t, &a, &r);
	if (r.verdict != PROVIDER_ACCEPTED && r.verdict != PROVIDER_RETRY && r.verdict != PROVIDER_PERMANENT)
		abort();
	if (memchr(r.provider_id, '\0', sizeof r.provider_id) == NULL || memchr(r.error, '\0', sizeof r.error) == NULL)
		abort();
	if (r.verdict == PROVIDER_ACCEPTED && (a.status < 200 || a.status > 299 || r.provider_id[0] == '\0'))
		abort();
	if (r.verdict != PROVIDER_ACCEPTED && r.error[0] == '\0')
		abort();
	if (r.retry_after_ms < 0 || r.retry_after_ms > 86400L * 1000)
		abort();
	twilio_free(t);

	fuzz_check_retry_after(provider_parse_retry_after(header, 1445412480));
	fuzz_check_retry_after(provider_parse_retry_after(header, (long long)time(NULL)));
	free(header);
	free(body);
	return 0;
}
