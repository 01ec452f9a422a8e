/*
 * The names of the domain vocabulary (domain.h). The tables are indexed by
 * the enums, so a value and its name cannot drift apart.
 */
#include "gateway/util/domain.h"

#include <openssl/sha.h>
#include <stdio.h>
#include <string.h>

static const char *const lane_names[LANE_COUNT] = { "reply", "notify", "bulk" };
static const char *const channel_names[CHANNEL_COUNT] = { "auto", "sms", "whatsapp" };
static const char *const kind_names[KIND_COUNT] = {
	"custom",
	"training_offer",
	"residency_followup",
	"covid_info",
	"event",
	"reply",
};
static const char *const state_names[STATE_COUNT] = {
	"queued",
	"scheduled",
	"sending",
	"retry_wait",
	"sent",
	"delivered",
	"read",
	"undelivered",
	"failed",
	"skipped",
	"expired",
};
static const char *const outcome_names[OUTCOME_COUNT] = {
	"sent",
	"retry",
	"failed",
	"skipped",
	"expired",
	"deferred",
	"fallback",
};
static const char *const role_names[ROLE_COUNT] = { "agent", "monitoring", "admin" };
static const char *const delivery_names[DELIVERY_COUNT] = { "none", "sent", "delivered", "undelivered", "read" };
static const int delivery_ranks[DELIVERY_COUNT] = { 0, 1, 2, 2, 3 };

static const char *domain_name(const char *const *names, size_t n, int v);
static int domain_lookup(const char *const *names, size_t n, const char *name);

static const char *
domain_name(const char *const *names, size_t n, int v)
{
	return v >= 0 && (size_t)v < n ? names[v] : "?";
}

static int
domain_lookup(const char *const *names, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(names[i], name) == 0)
			return (int)i;
	return -1;
}

const char *
lane_name(enum lane lane)
{
	return domain_name(lane_names, LANE_COUNT, (int)lane);
}

const char *
channel_name(enum channel channel)
{
	return domain_name(channel_names, CHANNEL_COUNT, (int)channel);
}

const char *
kind_name(enum kind kind)
{
	return domain_name(kind_names, KIND_COUNT, (int)kind);
}

const char *
state_name(enum state state)
{
	return domain_name(state_names, STATE_COUNT, (int)state);
}

const char *
outcome_name(enum outcome outcome)
{
	return domain_name(outcome_names, OUTCOME_COUNT, (int)outcome);
}

const char *
delivery_name(enum delivery delivery)
{
	return domain_name(delivery_names, DELIVERY_COUNT, (int)delivery);
}

int
lane_from_name(const char *name)
{
	return domain_lookup(lane_names, LANE_COUNT, name);
}

int
channel_from_name(const char *name)
{
	return domain_lookup(channel_names, CHANNEL_COUNT, name);
}

int
kind_from_name(const char *name)
{
	return domain_lookup(kind_names, KIND_COUNT, name);
}

const char *
role_name(enum role role)
{
	return domain_name(role_names, ROLE_COUNT, (int)role);
}

int
role_from_name(const char *name)
{
	return domain_lookup(role_names, ROLE_COUNT, name);
}

bool
state_is_final(enum state state)
{
	switch (state) {
	case STATE_SENT:
	case STATE_DELIVERED:
	case STATE_READ:
	case STATE_UNDELIVERED:
	case STATE_FAILED:
	case STATE_SKIPPED:
	case STATE_EXPIRED:
		return true;
	default:
		return false;
	}
}

int
delivery_rank(enum delivery delivery)
{
	return (size_t)delivery < DELIVERY_COUNT ? delivery_ranks[delivery] : 0;
}

void
domain_provider_id(char out[DOMAIN_PROVIDER_ID_MAX], const char *id, size_t len)
{
	unsigned char md[SHA256_DIGEST_LENGTH];

	if (len < DOMAIN_PROVIDER_ID_MAX) {
		memcpy(out, id, len);
		out[len] = '\0';
		return;
	}
	SHA256((const unsigned char *)id, len, md);
	memcpy(out, "h:", 3);
	for (size_t i = 0; i < sizeof md; i++)
		snprintf(out + 2 + 2 * i, 3, "%02x", md[i]);
}
