/*
 * The routing rules, in the order they are applied: a message past its
 * expiry is not sent; a person who opted out is not written to; the
 * channel is the message's, or for channel=auto the person's preferred
 * one (WhatsApp only when their record says so, since a number's presence
 * on WhatsApp is unknown until Meta refuses it), with SMS as the fall
 * back; on WhatsApp, free text inside the 24-hour window, an approved
 * template outside it, SMS when there is none and SMS may be used.
 * Quiet hours come after expiry and opt-out (which end a message at any
 * hour) and before the channel: a held message is routed when it goes.
 * A message that names its provider (a reply goes back through the one
 * the person wrote to) goes through that one or fails. The gateway's own
 * answers to people who have just written are not held by opt-out.
 */
#include "gateway/route.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/util/xmalloc.h"

/*
 * Free text on WhatsApp is allowed for 24 hours after the person's last
 * message; a little is kept back so that a send in flight at the edge
 * does not fail with 131047.
 */
#define ROUTE_WINDOW_S (24 * 3600 - 300)

/* The ids of the responder's answers (queues/conversations.c); producers' ids never begin with '~'. */
#define ROUTE_ANSWER_MARK "~in-"

/* How long a message of a paused campaign waits before its campaign's state is looked at again. */
#define ROUTE_PAUSED_S 30
/* How long a campaign message waits when its campaign's state has not been read (yet). */
#define ROUTE_UNKNOWN_S 5

struct route {
	const struct route_provider *sms, *whatsapp;
	const struct route_provider *all;
	size_t nall;
	struct zone_quiet quiet;
	route_campaign_state *campaign_state;
	void *campaign_arg;
	bool require_consent;
};

static enum route_verdict route_stop(struct route_plan *plan, enum route_verdict v, enum outcome o, const char *why);
static void route_use(struct route_plan *plan, const struct route_provider *p);

struct route *
route_new(const struct route_provider *sms, const struct route_provider *whatsapp)
{
	struct route *r = xcalloc(1, sizeof *r);

	r->sms = sms;
	r->whatsapp = whatsapp;
	return r;
}

void
route_free(struct route *r)
{
	free(r);
}

void
route_set_providers(struct route *r, const struct route_provider *ps, size_t n)
{
	r->all = ps;
	r->nall = n;
}

/* The provider the message names, when it is configured and can carry its channel; else why not. */
static enum route_verdict
route_named(const struct route *r, const struct message *m, struct route_plan *plan)
{
	char why[128];

	for (size_t i = 0; i < r->nall; i++) {
		const struct route_provider *p = &r->all[i];

		if (strcmp(p->ops->name, m->provider) != 0)
			continue;
		if (m->channel != CHANNEL_AUTO && m->channel != p->ops->channel) {
			snprintf(why, sizeof why, "provider %s does not carry channel %s", p->ops->name,
			    channel_name(m->channel));
			return route_stop(plan, ROUTE_FAIL, OUTCOME_FAILED, why);
		}
		route_use(plan, p);
		return ROUTE_SEND;
	}
	snprintf(why, sizeof why, "provider %s is not configured", m->provider);
	return route_stop(plan, ROUTE_FAIL, OUTCOME_FAILED, why);
}

void
route_set_quiet(struct route *r, const struct zone_quiet *q)
{
	r->quiet = *q;
}

void
route_set_campaigns(struct route *r, route_campaign_state *state, void *arg, bool require_consent)
{
	r->campaign_state = state;
	r->campaign_arg = arg;
	r->require_consent = require_consent;
}

static enum route_verdict
route_stop(struct route_plan *plan, enum route_verdict v, enum outcome o, const char *why)
{
	plan->outcome = o;
	snprintf(plan->why, sizeof plan->why, "%s", why);
	return v;
}

static void
route_use(struct route_plan *plan, const struct route_provider *p)
{
	plan->p = p;
	plan->channel = p->ops->channel;
	plan->pm.template = NULL;
}

const struct provider_template *
route_template(const struct route_provider *p, const char *kind, const char *locale)
{
	const struct provider_template *t;
	char base[32];

	if (p->ops->template_find == NULL)
		return NULL;
	if (locale == NULL)
		locale = "";
	/* The queue takes ar_MA as well as ar-MA. */
	snprintf(base, sizeof base, "%s", locale);
	base[strcspn(base, "-_")] = '\0';
	if (*locale != '\0' && (t = p->ops->template_find(p->ctx, kind, locale)) != NULL)
		return t;
	if (*base != '\0' && (t = p->ops->template_find(p->ctx, kind, base)) != NULL)
		return t;
	if (p->ops->template_default_locale == NULL)
		return NULL;
	return p->ops->template_find(p->ctx, kind, p->ops->template_default_locale(p->ctx));
}

enum route_verdict
route_campaign(const struct route *r, const struct message *m, long long now_s, struct route_plan *plan)
{
	const char *st;

	if (!m->from_campaign || r->campaign_state == NULL || m->campaign[0] == '\0')
		return ROUTE_SEND;
	st = r->campaign_state(r->campaign_arg, m->campaign);
	/* Not known yet (the states are read at start and twice a second): wait, rather than send a cancelled one. */
	if (st == NULL) {
		plan->until_s = now_s + ROUTE_UNKNOWN_S;
		return route_stop(plan, ROUTE_DEFER, OUTCOME_DEFERRED, "campaign_state_unknown");
	}
	if (st != NULL && strcmp(st, "cancelled") == 0)
		return route_stop(plan, ROUTE_SKIP, OUTCOME_SKIPPED, "campaign_cancelled");
	if (st != NULL && strcmp(st, "paused") == 0) {
		plan->until_s = now_s + ROUTE_PAUSED_S;
		if (m->expires > 0 && plan->until_s >= m->expires)
			return route_stop(plan, ROUTE_SKIP, OUTCOME_EXPIRED, "expired: campaign paused");
		return route_stop(plan, ROUTE_DEFER, OUTCOME_DEFERRED, "campaign_paused");
	}
	return ROUTE_SEND;
}

enum route_verdict
route_decide(const struct route *r, const struct message *m, long long now_s, struct route_plan *plan)
{
	enum route_verdict v;

	memset(plan, 0, sizeof *plan);
	plan->pm.id = m->id;
	plan->pm.to = m->to;
	plan->pm.text = m->text;
	plan->pm.kind = kind_name(m->kind);
	plan->pm.locale = m->locale[0] != '\0' ? m->locale : m->contact_locale;
	plan->pm.vars = m->vars;
	if (m->expires > 0 && now_s >= m->expires)
		return route_stop(plan, ROUTE_SKIP, OUTCOME_EXPIRED, "expired");
	/*
	 * The gateway's own answer to a person who has just written (their
	 * STOP's confirmation too: ids ~in-<inbox entry>) is not outreach.
	 */
	if (m->opted_out &&
	    !(m->lane == LANE_REPLY && strncmp(m->id, ROUTE_ANSWER_MARK, strlen(ROUTE_ANSWER_MARK)) == 0))
		return route_stop(plan, ROUTE_SKIP, OUTCOME_SKIPPED, "opted_out");
	if ((v = route_campaign(r, m, now_s, plan)) != ROUTE_SEND)
		return v;
	if ((m->from_campaign || (r->require_consent && m->lane == LANE_BULK)) &&
	    strcmp(m->contact_consent, "yes") != 0)
		return route_stop(plan, ROUTE_SKIP, OUTCOME_SKIPPED, "no_consent");
	if (m->lane != LANE_REPLY && (plan->until_s = zone_quiet_until(&r->quiet, now_s)) != 0) {
		if (m->expires > 0 && plan->until_s >= m->expires)
			return route_stop(plan, ROUTE_SKIP, OUTCOME_EXPIRED, "expired: expires during quiet hours");
		return route_stop(plan, ROUTE_DEFER, OUTCOME_DEFERRED, "quiet_hours");
	}
	if (m->provider[0] != '\0') {
		if ((v = route_named(r, m, plan)) != ROUTE_SEND || plan->channel != CHANNEL_WHATSAPP)
			return v;
		goto whatsapp;
	}
	switch (m->channel) {
	case CHANNEL_SMS:
		if (r->sms == NULL)
			return route_stop(plan, ROUTE_FAIL, OUTCOME_FAILED, "channel sms is not configured");
		route_use(plan, r->sms);
		return ROUTE_SEND;
	case CHANNEL_WHATSAPP:
		if (r->whatsapp == NULL)
			return route_stop(plan, ROUTE_FAIL, OUTCOME_FAILED, "channel whatsapp is not configured");
		route_use(plan, r->whatsapp);
		break;
	default:
		if (r->whatsapp != NULL && (r->sms == NULL || strcmp(m->contact_channel, "whatsapp") == 0)) {
			route_use(plan, r->whatsapp);
			plan->may_fall_back = r->sms != NULL;
			break;
		}
		route_use(plan, r->sms);
		return ROUTE_SEND;
	}
whatsapp:
	/* The person stopped our marketing messages on WhatsApp (Meta's 131050): not by WhatsApp, SMS if it may. */
	if (m->marketing && m->marketing_optout) {
		if (route_fall_back(r, plan))
			return ROUTE_SEND;
		return route_stop(plan, ROUTE_SKIP, OUTCOME_SKIPPED, "marketing_optout");
	}
	/* WhatsApp: free text inside the window, else an approved template. */
	if (m->wa_last_in_s > 0 && now_s - m->wa_last_in_s < ROUTE_WINDOW_S)
		return ROUTE_SEND;
	if ((plan->pm.template = route_template(plan->p, plan->pm.kind, plan->pm.locale)) != NULL)
		return ROUTE_SEND;
	if (route_fall_back(r, plan))
		return ROUTE_SEND;
	return route_stop(plan, ROUTE_SKIP, OUTCOME_SKIPPED, "window_closed");
}

bool
route_fall_back(const struct route *r, struct route_plan *plan)
{
	if (!plan->may_fall_back || r->sms == NULL)
		return false;
	plan->fell_back_from = plan->p;
	route_use(plan, r->sms);
	plan->may_fall_back = false;
	return true;
}
