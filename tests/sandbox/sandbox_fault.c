/*
 * Fault decisions. Markers ("[[500x2]]", "[[429x1:3]]", "[[400]]",
 * "[[timeout]]", "[[garbage]]", "[[delay:MS]]", and for WhatsApp
 * "[[wa:CODE]]" or "[[wa:CODExN]]") make tests deterministic;
 * counted markers are tracked per exact body in an open-addressing table.
 * Random shares use xorshift64*, so a seed replays the same faults.
 */
#include "sandbox_fault.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "gateway/util/xmalloc.h"
#include "sandbox_hash.h"

#define SANDBOX_FAULT_MAX_RETRY_AFTER 86400U
#define SANDBOX_FAULT_MAX_DELAY_MS 3600000U
#define SANDBOX_FAULT_MAX_WA_CODE 9999999U

/* How many requests with one exact body a counted marker has seen. */
struct sandbox_fault_count {
	uint64_t hash;
	char *body; /* NULL when the slot is empty */
	size_t len;
	unsigned int hits;
};

struct sandbox_fault {
	struct sandbox_fault_config config;
	uint64_t seed;
	uint64_t state;
	struct sandbox_fault_count *counts;
	size_t counts_cap; /* a power of two */
	size_t counts_used;
};

/* A marker parsed out of a body. */
struct sandbox_fault_marker {
	enum sandbox_fault_kind kind;
	unsigned int times; /* 0 = every request, else the first N */
	unsigned int retry_after;
	bool has_retry_after;
	unsigned int delay_ms;
	unsigned int wa_code;
};

static int sandbox_fault_parse_share(const char *value, double *out);
static int sandbox_fault_parse_uint(const char *value, unsigned int max, unsigned int *out);
static uint64_t sandbox_fault_next(struct sandbox_fault *fault);
static bool sandbox_fault_parse_marker(const char *p, const char *end, struct sandbox_fault_marker *m);
static bool sandbox_fault_find_marker(const char *body, size_t len, struct sandbox_fault_marker *m);
static const char *sandbox_fault_number(const char *p, const char *end, unsigned int max, unsigned int *out);
static struct sandbox_fault_count *sandbox_fault_count_get(struct sandbox_fault *fault, const char *body, size_t len);
static void sandbox_fault_count_grow(struct sandbox_fault *fault);
static void sandbox_fault_counts_clear(struct sandbox_fault *fault);

void
sandbox_fault_config_init(struct sandbox_fault_config *config)
{
	memset(config, 0, sizeof *config);
	config->retry_after = 1;
}

static int
sandbox_fault_parse_share(const char *value, double *out)
{
	char *end;
	double d;

	errno = 0;
	d = strtod(value, &end);
	if (end == value || *end != '\0' || errno != 0 || !isfinite(d) || d < 0.0 || d > 1.0)
		return -1;
	*out = d;
	return 0;
}

static int
sandbox_fault_parse_uint(const char *value, unsigned int max, unsigned int *out)
{
	char *end;
	unsigned long v;

	if (value[0] < '0' || value[0] > '9')
		return -1;
	errno = 0;
	v = strtoul(value, &end, 10);
	if (*end != '\0' || errno != 0 || v > max)
		return -1;
	*out = (unsigned int)v;
	return 0;
}

int
sandbox_fault_config_set(struct sandbox_fault_config *config, const char *key, const char *value, const char **why)
{
	const struct {
		const char *key;
		double *share;
	} shares[] = {
		{ "fail_500", &config->fail_500 },
		{ "fail_429", &config->fail_429 },
		{ "fail_400", &config->fail_400 },
		{ "garbage", &config->garbage },
		{ "timeout", &config->timeout },
		{ "delay", &config->delay },
	};

	for (size_t i = 0; i < sizeof shares / sizeof shares[0]; i++) {
		if (strcmp(key, shares[i].key) != 0)
			continue;
		if (sandbox_fault_parse_share(value, shares[i].share) == -1) {
			*why = "must be a number from 0 to 1";
			return -1;
		}
		return 0;
	}
	if (strcmp(key, "retry_after") == 0) {
		if (sandbox_fault_parse_uint(value, SANDBOX_FAULT_MAX_RETRY_AFTER, &config->retry_after) == -1) {
			*why = "must be a whole number of seconds from 0 to 86400";
			return -1;
		}
		return 0;
	}
	if (strcmp(key, "delay_ms") == 0) {
		if (sandbox_fault_parse_uint(value, SANDBOX_FAULT_MAX_DELAY_MS, &config->delay_ms) == -1) {
			*why = "must be a whole number of milliseconds from 0 to 3600000";
			return -1;
		}
		return 0;
	}
	*why = "unknown setting";
	return -1;
}

int
sandbox_fault_config_check(const struct sandbox_fault_config *config, const char **why)
{
	double sum =
	    config->fail_500 + config->fail_429 + config->fail_400 + config->garbage + config->timeout + config->delay;

	/* Allow for rounding in shares such as 0.1 + 0.2 + 0.7. */
	if (sum > 1.0 + 1e-9) {
		*why = "fault shares add up to more than 1";
		return -1;
	}
	return 0;
}

void
sandbox_fault_config_write_json(const struct sandbox_fault_config *config, struct evbuffer *out)
{
	evbuffer_add_printf(out,
	    "{\"fail_500\":%g,\"fail_429\":%g,\"retry_after\":%u,\"fail_400\":%g,"
	    "\"garbage\":%g,\"timeout\":%g,\"delay\":%g,\"delay_ms\":%u}",
	    config->fail_500, config->fail_429, config->retry_after, config->fail_400, config->garbage, config->timeout,
	    config->delay, config->delay_ms);
}

struct sandbox_fault *
sandbox_fault_new(const struct sandbox_fault_config *config, uint64_t seed)
{
	struct sandbox_fault *fault = xcalloc(1, sizeof *fault);

	fault->config = *config;
	fault->seed = seed;
	fault->counts_cap = 64;
	fault->counts = xcalloc(fault->counts_cap, sizeof *fault->counts);
	sandbox_fault_reset(fault);
	return fault;
}

static void
sandbox_fault_counts_clear(struct sandbox_fault *fault)
{
	for (size_t i = 0; i < fault->counts_cap; i++) {
		free(fault->counts[i].body);
		fault->counts[i].body = NULL;
	}
	fault->counts_used = 0;
}

void
sandbox_fault_free(struct sandbox_fault *fault)
{
	if (fault == NULL)
		return;
	sandbox_fault_counts_clear(fault);
	free(fault->counts);
	free(fault);
}

void
sandbox_fault_reset(struct sandbox_fault *fault)
{
	sandbox_fault_counts_clear(fault);
	/* xorshift must not start from 0; the mixer spreads small seeds. */
	fault->state = sandbox_hash_mix(fault->seed + 0x9e3779b97f4a7c15ULL);
	if (fault->state == 0)
		fault->state = 1;
}

const struct sandbox_fault_config *
sandbox_fault_get_config(const struct sandbox_fault *fault)
{
	return &fault->config;
}

void
sandbox_fault_set_config(struct sandbox_fault *fault, const struct sandbox_fault_config *config)
{
	fault->config = *config;
}

/* xorshift64* (Vigna, "An experimental exploration of Marsaglia's xorshift generators"). */
static uint64_t
sandbox_fault_next(struct sandbox_fault *fault)
{
	uint64_t x = fault->state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	fault->state = x;
	return x * 0x2545f4914f6cdd1dULL;
}

/* Reads a decimal number of at most max at p; returns the end, or NULL. */
static const char *
sandbox_fault_number(const char *p, const char *end, unsigned int max, unsigned int *out)
{
	unsigned long v = 0;

	if (p >= end || *p < '0' || *p > '9')
		return NULL;
	while (p < end && *p >= '0' && *p <= '9') {
		v = v * 10 + (unsigned long)(*p - '0');
		if (v > max)
			return NULL;
		p++;
	}
	*out = (unsigned int)v;
	return p;
}

/* Parses the marker whose text starts at p, just after "[[". */
static bool
sandbox_fault_parse_marker(const char *p, const char *end, struct sandbox_fault_marker *m)
{
	size_t left = (size_t)(end - p);

	memset(m, 0, sizeof *m);
	if (left >= 3 && (memcmp(p, "500", 3) == 0 || memcmp(p, "429", 3) == 0)) {
		m->kind = p[0] == '5' ? SANDBOX_FAULT_500 : SANDBOX_FAULT_429;
		p += 3;
		if (p < end && *p == 'x') {
			if ((p = sandbox_fault_number(p + 1, end, 1000000, &m->times)) == NULL || m->times == 0)
				return false;
		}
		if (m->kind == SANDBOX_FAULT_429 && p < end && *p == ':') {
			if ((p = sandbox_fault_number(p + 1, end, SANDBOX_FAULT_MAX_RETRY_AFTER, &m->retry_after)) ==
			    NULL)
				return false;
			m->has_retry_after = true;
		}
	} else if (left >= 3 && memcmp(p, "400", 3) == 0) {
		m->kind = SANDBOX_FAULT_400;
		p += 3;
	} else if (left >= 7 && memcmp(p, "timeout", 7) == 0) {
		m->kind = SANDBOX_FAULT_TIMEOUT;
		p += 7;
	} else if (left >= 7 && memcmp(p, "garbage", 7) == 0) {
		m->kind = SANDBOX_FAULT_GARBAGE;
		p += 7;
	} else if (left >= 3 && memcmp(p, "wa:", 3) == 0) {
		m->kind = SANDBOX_FAULT_WHATSAPP;
		if ((p = sandbox_fault_number(p + 3, end, SANDBOX_FAULT_MAX_WA_CODE, &m->wa_code)) == NULL)
			return false;
		if (p < end && *p == 'x') {
			if ((p = sandbox_fault_number(p + 1, end, 1000000, &m->times)) == NULL || m->times == 0)
				return false;
		}
	} else if (left >= 6 && memcmp(p, "delay:", 6) == 0) {
		m->kind = SANDBOX_FAULT_DELAY;
		if ((p = sandbox_fault_number(p + 6, end, SANDBOX_FAULT_MAX_DELAY_MS, &m->delay_ms)) == NULL)
			return false;
	} else
		return false;
	return (size_t)(end - p) >= 2 && p[0] == ']' && p[1] == ']';
}

/* Finds the first well-formed marker in the body. */
static bool
sandbox_fault_find_marker(const char *body, size_t len, struct sandbox_fault_marker *m)
{
	const char *p = body, *end = body + len;

	while ((size_t)(end - p) >= 4) {
		const char *open = memmem(p, (size_t)(end - p), "[[", 2);

		if (open == NULL)
			return false;
		if (sandbox_fault_parse_marker(open + 2, end, m))
			return true;
		p = open + 1;
	}
	return false;
}

static void
sandbox_fault_count_grow(struct sandbox_fault *fault)
{
	struct sandbox_fault_count *old = fault->counts;
	size_t old_cap = fault->counts_cap;

	fault->counts_cap *= 2;
	fault->counts = xcalloc(fault->counts_cap, sizeof *fault->counts);
	for (size_t i = 0; i < old_cap; i++) {
		size_t j;

		if (old[i].body == NULL)
			continue;
		j = old[i].hash & (fault->counts_cap - 1);
		while (fault->counts[j].body != NULL)
			j = (j + 1) & (fault->counts_cap - 1);
		fault->counts[j] = old[i];
	}
	free(old);
}

/* The count for this exact body, created at zero when first seen. */
static struct sandbox_fault_count *
sandbox_fault_count_get(struct sandbox_fault *fault, const char *body, size_t len)
{
	uint64_t hash = sandbox_hash64(body, len);
	struct sandbox_fault_count *c;
	size_t i;

	if ((fault->counts_used + 1) * 10 > fault->counts_cap * 7)
		sandbox_fault_count_grow(fault);
	i = hash & (fault->counts_cap - 1);
	for (;;) {
		c = &fault->counts[i];
		if (c->body == NULL)
			break;
		if (c->hash == hash && c->len == len && memcmp(c->body, body, len) == 0)
			return c;
		i = (i + 1) & (fault->counts_cap - 1);
	}
	c->hash = hash;
	c->body = xmalloc(len + 1);
	memcpy(c->body, body, len);
	c->body[len] = '\0';
	c->len = len;
	c->hits = 0;
	fault->counts_used++;
	return c;
}

void
sandbox_fault_decide(struct sandbox_fault *fault, const char *body, size_t len, struct sandbox_fault_decision *out)
{
	const struct sandbox_fault_config *cf = &fault->config;
	struct sandbox_fault_marker m;
	double u, edge;

	memset(out, 0, sizeof *out);
	if (len >= 4 && sandbox_fault_find_marker(body, len, &m)) {
		bool fire = true;

		if (m.times > 0) {
			struct sandbox_fault_count *c = sandbox_fault_count_get(fault, body, len);

			if (c->hits < m.times)
				c->hits++;
			else
				fire = false;
		}
		if (fire) {
			out->kind = m.kind;
			out->retry_after = m.has_retry_after ? m.retry_after : cf->retry_after;
			out->delay_ms = m.delay_ms;
			out->wa_code = m.wa_code;
			out->from_marker = true;
			return;
		}
	}

	if (cf->fail_500 == 0 && cf->fail_429 == 0 && cf->fail_400 == 0 && cf->garbage == 0 && cf->timeout == 0 &&
	    cf->delay == 0)
		return;
	/* One draw per request, cut into consecutive slices, one per fault. */
	u = (double)(sandbox_fault_next(fault) >> 11) * 0x1.0p-53;
	if (u < (edge = cf->fail_500))
		out->kind = SANDBOX_FAULT_500;
	else if (u < (edge += cf->fail_429))
		out->kind = SANDBOX_FAULT_429;
	else if (u < (edge += cf->fail_400))
		out->kind = SANDBOX_FAULT_400;
	else if (u < (edge += cf->garbage))
		out->kind = SANDBOX_FAULT_GARBAGE;
	else if (u < (edge += cf->timeout))
		out->kind = SANDBOX_FAULT_TIMEOUT;
	else if (u < (edge += cf->delay))
		out->kind = SANDBOX_FAULT_DELAY;
	out->retry_after = cf->retry_after;
	out->delay_ms = cf->delay_ms;
}
