/*
 * The domain vocabulary every layer shares: lanes, channels, kinds of
 * message, the states of a message's life, the outcome of an attempt, the
 * delivery statuses providers report and the events that carry them. Each
 * name is spelt once, here: C, metrics, the delivery log and the Lua
 * scripts (queues/scripts.c generates their constants from these tables)
 * all use these spellings.
 */
#ifndef AMUDDU_DOMAIN_H
#define AMUDDU_DOMAIN_H

#include <stdbool.h>
#include <stddef.h>

#include "gateway/util/phone.h"

/* Outbox lanes, in the order they are read. */
enum lane {
	LANE_REPLY = 0, /* answers to a person who just wrote */
	LANE_NOTIFY,    /* one-to-one follow-ups */
	LANE_BULK,      /* campaign broadcasts */
	LANE_COUNT,
};

/* A channel a message travels on; AUTO is a request ("the person's own"), never a provider's. */
enum channel {
	CHANNEL_AUTO = 0,
	CHANNEL_SMS,
	CHANNEL_WHATSAPP,
	CHANNEL_COUNT,
};

enum kind {
	KIND_CUSTOM = 0,
	KIND_TRAINING_OFFER,
	KIND_RESIDENCY_FOLLOWUP,
	KIND_COVID_INFO,
	KIND_EVENT,
	KIND_REPLY,
	KIND_COUNT,
};

/* Who may call what in the /v1 API (docs/api.md, "Roles"). */
enum role {
	ROLE_AGENT = 0,  /* contacts (numbers masked), campaigns, single messages */
	ROLE_MONITORING, /* reports, read-only */
	ROLE_ADMIN,      /* everything, export with numbers and erasure included */
	ROLE_COUNT,
};

/* The state in a message's record (docs/redis.md, "Message lifecycle"). */
enum state {
	STATE_QUEUED = 0, /* back in its lane, due now */
	STATE_SCHEDULED,  /* parked until not_before */
	STATE_SENDING,    /* an attempt is under way: its outcome is not yet known */
	STATE_RETRY_WAIT, /* parked until the next attempt */
	STATE_SENT,       /* the provider accepted it */
	STATE_DELIVERED,
	STATE_READ,
	STATE_UNDELIVERED, /* accepted, then lost on the way */
	STATE_FAILED,      /* refused for good, or attempts exhausted */
	STATE_SKIPPED,     /* not sent by rule (opted out, window closed) */
	STATE_EXPIRED,     /* its expiry came first */
	STATE_COUNT,
};

/* What one attempt came to, as the outbox records it and metrics count it. */
enum outcome {
	OUTCOME_SENT = 0,
	OUTCOME_RETRY,
	OUTCOME_FAILED,
	OUTCOME_SKIPPED,
	OUTCOME_EXPIRED,
	OUTCOME_DEFERRED, /* not attempted: held back by a rule (quiet hours) until a given time */
	OUTCOME_FALLBACK, /* handed to another channel (metrics only: the message goes on) */
	OUTCOME_COUNT,
};

/*
 * Delivery statuses from providers. A message's status only moves forward:
 * sent, then delivered or undelivered (whichever comes first), then read
 * (read implies delivered).
 */
enum delivery {
	DELIVERY_NONE = 0, /* queued, accepted, sending…: nothing to record */
	DELIVERY_SENT,
	DELIVERY_DELIVERED,
	DELIVERY_UNDELIVERED,
	DELIVERY_READ,
	DELIVERY_COUNT,
};

/*
 * Longest provider message id kept as it is; a longer one is kept as "h:"
 * and its SHA-256 in hex, the same on every path, so matching still works.
 */
#define DOMAIN_PROVIDER_ID_MAX 256

/* A delivery status a provider reported for one of our messages. */
struct status_event {
	char provider_id[DOMAIN_PROVIDER_ID_MAX];
	enum delivery status;
	char error[32];   /* the provider's error code, or "" */
	long long time_s; /* the provider's timestamp, 0 when absent */
	bool optout;      /* the provider says the person stopped marketing messages from us */
};

/* A message a person sent us. */
struct inbound_event {
	char provider_id[DOMAIN_PROVIDER_ID_MAX];
	char from[PHONE_E164_MAX]; /* E.164 */
	char type[16];             /* "text", or the media type (image, audio, …) with text "" */
	char *text;                /* UTF-8, NUL-terminated; owned by whoever holds the event */
	long long time_s;
};

const char *lane_name(enum lane lane);
const char *channel_name(enum channel channel);
const char *kind_name(enum kind kind);
const char *state_name(enum state state);
const char *outcome_name(enum outcome outcome);
const char *delivery_name(enum delivery delivery);
const char *role_name(enum role role);
/* The value called name, or -1. */
int lane_from_name(const char *name);
int channel_from_name(const char *name);
int kind_from_name(const char *name);
int role_from_name(const char *name);

/* Whether a message in this state is finished: nothing more will be sent for it. */
bool state_is_final(enum state state);
/* A delivery status's rank: a status is applied only over a lower rank (0 for NONE). */
int delivery_rank(enum delivery delivery);

/* Copies a provider's message id (len bytes) to out, hashed when too long (see DOMAIN_PROVIDER_ID_MAX). */
void domain_provider_id(char out[DOMAIN_PROVIDER_ID_MAX], const char *id, size_t len);

#endif
