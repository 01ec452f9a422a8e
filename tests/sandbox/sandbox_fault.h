/*
 * Fault decisions: how the sandbox misbehaves for one request, from markers
 * in the message body first, then from random shares drawn from a seeded
 * PRNG. Owns the fault settings, the PRNG and the per-body marker counts.
 */
#ifndef AMUDDU_SANDBOX_FAULT_H
#define AMUDDU_SANDBOX_FAULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct evbuffer;

enum sandbox_fault_kind {
	SANDBOX_FAULT_NONE = 0,
	SANDBOX_FAULT_500,
	SANDBOX_FAULT_429,
	SANDBOX_FAULT_400,
	SANDBOX_FAULT_GARBAGE,
	SANDBOX_FAULT_TIMEOUT,
	SANDBOX_FAULT_DELAY,
	SANDBOX_FAULT_WHATSAPP, /* marker only: a WhatsApp error code, wa_code */
};

/* Shares are probabilities in [0, 1] and add up to at most 1. */
struct sandbox_fault_config {
	double fail_500;
	double fail_429;
	double fail_400;
	double garbage;
	double timeout;
	double delay;
	unsigned int retry_after; /* seconds, sent with a 429 from fail_429 */
	unsigned int delay_ms;    /* how long a delay from the delay share lasts */
};

struct sandbox_fault_decision {
	enum sandbox_fault_kind kind;
	unsigned int retry_after; /* SANDBOX_FAULT_429 */
	unsigned int delay_ms;    /* SANDBOX_FAULT_DELAY */
	unsigned int wa_code;     /* SANDBOX_FAULT_WHATSAPP */
	bool from_marker;
};

struct sandbox_fault;

void sandbox_fault_config_init(struct sandbox_fault_config *config);
/*
 * Sets one setting by its name (fail_500, fail_429, retry_after, fail_400,
 * garbage, timeout, delay, delay_ms). On failure *why says what is wrong.
 */
int sandbox_fault_config_set(struct sandbox_fault_config *config, const char *key, const char *value, const char **why)
    __attribute__((warn_unused_result));
/* Checks what single settings cannot: that the shares add up to at most 1. */
int sandbox_fault_config_check(const struct sandbox_fault_config *config, const char **why)
    __attribute__((warn_unused_result));
/* Writes the settings as a JSON object. */
void sandbox_fault_config_write_json(const struct sandbox_fault_config *config, struct evbuffer *out);

/* The caller frees the result with sandbox_fault_free(). */
struct sandbox_fault *sandbox_fault_new(const struct sandbox_fault_config *config, uint64_t seed);
void sandbox_fault_free(struct sandbox_fault *fault);
/* Forgets every marker count and restarts the PRNG from the seed. */
void sandbox_fault_reset(struct sandbox_fault *fault);
const struct sandbox_fault_config *sandbox_fault_get_config(const struct sandbox_fault *fault);
/* config must already have passed sandbox_fault_config_check(). */
void sandbox_fault_set_config(struct sandbox_fault *fault, const struct sandbox_fault_config *config);
/* Decides the fault for one valid request carrying body[0..len). */
void sandbox_fault_decide(
    struct sandbox_fault *fault, const char *body, size_t len, struct sandbox_fault_decision *out);

#endif
