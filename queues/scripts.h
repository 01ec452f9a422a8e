/*
 * The Lua scripts that record each step of a message's life in one atomic
 * Redis call. Their arguments are documented beside each script in
 * scripts.c; docs/redis.md describes the keys they write.
 */
#ifndef AMUDDU_SCRIPTS_H
#define AMUDDU_SCRIPTS_H

enum scripts_id {
	SCRIPTS_BEGIN = 0, /* claim recorded: dedup, expiry, opt-out, attempt++ */
	SCRIPTS_FINISH,    /* outcome: sent, retry_wait, failed or skipped */
	SCRIPTS_SCHEDULE,  /* not_before in the future: park until due */
	SCRIPTS_REJECT,    /* malformed entry: dead-letter */
	SCRIPTS_DUE,       /* move due scheduled messages back into their lane */
	SCRIPTS_STATUS,    /* provider status callbacks: delivered, read, undelivered */
	SCRIPTS_INBOUND,   /* inbound messages: dedup, contact, WhatsApp window, inbox */
	SCRIPTS_COUNT,
};

struct cmdargs;

const char *scripts_text(enum scripts_id id);
/* Starts an EVALSHA of script id with the arguments every script takes first (see scripts.c). */
void scripts_call_start(struct cmdargs *a, enum scripts_id id, const char *prefix, const char *group, long long now_ms,
    long long log_maxlen);
/* SHA1 hex of the script, computed once. */
const char *scripts_sha(enum scripts_id id);

#endif
