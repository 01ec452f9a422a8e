/*
 * Unit tests for gateway/route.c: which channel and provider a message
 * takes, the WhatsApp window, the template chosen by kind and locale,
 * falling back to SMS, and what is not sent (expired, opted out, window
 * closed without a template, a channel that is not configured). The
 * providers here are stand-ins with a template table: routing is tested
 * apart from any provider's wire format.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "gateway/route.h"

#define NOW 1800000000LL

static struct provider_template templates[] = {
	{ "event", "ary-Latn", "ev_ary_latn", "ary", { NULL }, 0 },
	{ "event", "ary", "ev_ary", "ary", { NULL }, 0 },
	{ "event", "ar", "ev_ar", "ar", { NULL }, 0 },
	{ "event", "fr", "ev_fr", "fr", { NULL }, 0 },
	{ "training_offer", "ar", "offer_ar", "ar", { NULL }, 0 },
};
static const char *default_locale = "fr";

static const struct provider_template *
fake_template_find(const void *ctx, const char *kind, const char *locale)
{
	(void)ctx;
	for (size_t i = 0; i < sizeof templates / sizeof templates[0]; i++)
		if (strcmp(templates[i].kind, kind) == 0 && strcasecmp(templates[i].locale, locale) == 0)
			return &templates[i];
	return NULL;
}

static const char *
fake_default_locale(const void *ctx)
{
	(void)ctx;
	return default_locale;
}

static const struct provider_ops sms_ops = { .name = "twilio", .channel = CHANNEL_SMS };
static const struct provider_ops wa_ops = { .name = "whatsapp",
	.channel = CHANNEL_WHATSAPP,
	.template_find = fake_template_find,
	.template_default_locale = fake_default_locale };
static const struct route_provider sms = { &sms_ops, NULL, 0 };
static const struct route_provider wa = { &wa_ops, NULL, 1 };

static void
message(struct message *m, enum channel channel, const char *kind)
{
	memset(m, 0, sizeof *m);
	m->id = "m-1";
	snprintf(m->to, sizeof m->to, "+212612345678");
	m->text = "Salam";
	m->campaign = "";
	m->locale = "";
	m->provider = "";
	m->lane = LANE_BULK;
	m->channel = channel;
	m->kind = kind_from_name(kind);
}

static void
test_sms_and_whatsapp_as_asked(void **state)
{
	struct route *r = route_new(&sms, &wa);
	struct route_plan plan;
	struct message m;

	(void)state;
	message(&m, CHANNEL_SMS, "custom");
	assert_int_equal(route_decide(r, &m, NOW, &plan), ROUTE_SEND);
	assert_ptr_equal(plan.p, &sms);
	assert_int_equal(plan.channel, CHANNEL_SMS);
	assert_string_equal(plan.pm.text, "Salam");
	assert_string_equal(plan.pm.to, "+212612345678");
	/* Asked for WhatsApp, inside the window: free text, even though a template exists. */
	message(&m, CHANNEL_WHATSAPP, "event");
	m.wa_last_in_s = NOW - 3600;
	assert_int_equal(route_decide(r, &m, NOW, &plan), ROUTE_SEND);
	assert_ptr_equal(plan.p, &wa);
	assert_null(plan.pm.template);
	assert_false(plan.may_fall_back);
	route_free(r);
}

/* channel=auto: WhatsApp only for people whose record prefers it, SMS to fall back on. */
static void
test_auto(void **state)
{
	struct route *r = route_new(&sms, &wa), *wa_only = route_new(NULL, &wa);
	struct route_plan plan;
	struct message m;

	(void)state;
	message(&m, CHANNEL_AUTO, "custom");
	assert_int_equal(route_decide(r, &m, NOW, &plan), ROUTE_SEND);
	assert_ptr_equal(plan.p, &sms);
	snprintf(m.contact_channel, sizeof m.contact_channel, "whatsapp");
	m.wa_last_in_s = NOW - 60;
	assert_int_equal(route_decide(r, &m, NOW, &plan), ROUTE_SEND);
	assert_ptr_equal(plan.p, &wa);
	assert_true(plan.may_fall_back);
	/* Meta then says the number cannot be reached: SMS, once. */
	assert_true(route_fall_back(r, &plan));
	assert_ptr_equal(plan.p, &sms);
	assert_ptr_equal(plan.fell_back_from, &wa);
	assert_int_equal(plan.channel, CHANNEL_SMS);
	assert_false(route_fall_back(r, &plan));
	/* Without SMS, auto is WhatsApp for everyone, with nothing to fall back on. */
	message(&m, CHANNEL_AUTO, "custom");
	m.wa_last_in_s = NOW - 60;
	assert_int_equal(route_decide(wa_only, &m, NOW, &plan), ROUTE_SEND);
	assert_ptr_equal(plan.p, &wa);
	assert_false(plan.may_fall_back);
	route_free(r);
	route_free(wa_only);
}

/* Outside the window: the template for kind and locale, else SMS for auto, else not sent. */
static void
test_window_closed(void **state)
{
	struct route *r = route_new(&sms, &wa);
	struct route_plan plan;
	struct message m;

	(void)state;
	message(&m, CHANNEL_WHATSAPP, "event");
	m.locale = "ar";
	m.wa_last_in_s = NOW - 24 * 3600;
	assert_int_equal(route_decide(r, &m, NOW, &plan), ROUTE_SEND);
	assert_non_null(plan.pm.template);
	assert_string_equal(plan.pm.template->name, "ev_ar");
	/* The window closes five minutes early, so a send at the edge is not refused with 131047. */
	m.wa_last_in_s = NOW - 24 * 3600 + 200;
	assert_int_equal(route_decide(r, &m, NOW, &plan), ROUTE_SEND);
	assert_non_null(plan.pm.template);
	m.wa_last_in_s = NOW - 24 * 3600 + 400;
	assert_int_equal(route_decide(r, &m, NOW, &plan), ROUTE_SEND);
	assert_null(plan.pm.template);
	/* No template for this kind: skipped, or SMS when the person's channel was only a preference. */
	message(&m, CHANNEL_WHATSAPP, "covid_info");
	assert_int_equal(route_decide(r, &m, NOW, &plan), ROUTE_SKIP);
	assert_int_equal(plan.outcome, OUTCOME_SKIPPED);
	assert_string_equal(plan.why, "window_closed");
	message(&m, CHANNEL_AUTO, "covid_info");
	snprintf(m.contact_channel, sizeof m.contact_channel, "whatsapp");
	assert_int_equal(route_decide(r, &m, NOW, &plan), ROUTE_SEND);
	assert_ptr_equal(plan.p, &sms);
	assert_ptr_equal(plan.fell_back_from, &wa);
	route_free(r);
}

/* The exact locale, then its base language, then the provider's default locale. */
static void
test_template_locale_chain(void **state)
{
	static const struct {
		const char *kind, *locale, *name;
	} cases[] = {
		{ "event", "ary-Latn", "ev_ary_latn" },
		{ "event", "ary", "ev_ary" },
		{ "event", "ary-Arab", "ev_ary" },
		{ "event", "ar", "ev_ar" },
		{ "event", "ar-MA", "ev_ar" },
		{ "event", "ar_MA", "ev_ar" },
		{ "event", "ary-latn", "ev_ary_latn" },
		{ "event", "AR", "ev_ar" },
		{ "event", "FR-fr", "ev_fr" },
		{ "event", "en", "ev_fr" },
		{ "event", "zgh-Tfng", "ev_fr" },
		{ "event", "", "ev_fr" },
		{ "event", NULL, "ev_fr" },
		{ "training_offer", "ar", "offer_ar" },
	};
	const struct provider_template *t;

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		t = route_template(&wa, cases[i].kind, cases[i].locale);
		if (t == NULL || strcmp(t->name, cases[i].name) != 0)
			fail_msg("%s in '%s': %s, expected %s", cases[i].kind,
			    cases[i].locale != NULL ? cases[i].locale : "NULL", t != NULL ? t->name : "none",
			    cases[i].name);
	}
	/* A kind with no template in the default locale is not sent in another language. */
	assert_null(route_template(&wa, "training_offer", "fr"));
	default_locale = "ar";
	t = route_template(&wa, "event", "en");
	assert_non_null(t);
	assert_string_equal(t->name, "ev_ar");
	default_locale = "fr";
	/* A provider without templates has none to give. */
	assert_null(route_template(&sms, "event", "fr"));
}

/* The contact's locale picks the template when the message has none. */
static void
test_contact_locale(void **state)
{
	struct route *r = route_new(&sms, &wa);
	struct route_plan plan;
	struct message m;

	(void)state;
	message(&m, CHANNEL_WHATSAPP, "event");
	snprintf(m.contact_locale, sizeof m.contact_locale, "ary-Latn");
	assert_int_equal(route_decide(r, &m, NOW, &plan), ROUTE_SEND);
	assert_string_equal(plan.pm.template->name, "ev_ary_latn");
	m.locale = "ar";
	assert_int_equal(route_decide(r, &m, NOW, &plan), ROUTE_SEND);
	assert_string_equal(plan.pm.template->name, "ev_ar");
	route_free(r);
}

static void
test_not_sent_by_rule(void **state)
{
	struct route *r = route_new(&sms, NULL), *wa_only = route_new(NULL, &wa);
	struct route_plan plan;
	struct message m;

	(void)state;
	message(&m, CHANNEL_SMS, "event");
	m.expires = NOW;
	assert_int_equal(route_decide(r, &m, NOW, &plan), ROUTE_SKIP);
	assert_int_equal(plan.outcome, OUTCOME_EXPIRED);
	m.expires = NOW + 1;
	assert_int_equal(route_decide(r, &m, NOW, &plan), ROUTE_SEND);
	m.opted_out = true;
	assert_int_equal(route_decide(r, &m, NOW, &plan), ROUTE_SKIP);
	assert_int_equal(plan.outcome, OUTCOME_SKIPPED);
	assert_string_equal(plan.why, "opted_out");
	message(&m, CHANNEL_WHATSAPP, "event");
	assert_int_equal(route_decide(r, &m, NOW, &plan), ROUTE_FAIL);
	assert_int_equal(plan.outcome, OUTCOME_FAILED);
	assert_string_equal(plan.why, "channel whatsapp is not configured");
	message(&m, CHANNEL_SMS, "event");
	assert_int_equal(route_decide(wa_only, &m, NOW, &plan), ROUTE_FAIL);
	assert_string_equal(plan.why, "channel sms is not configured");
	route_free(r);
	route_free(wa_only);
}

/* 2026-12-03T22:00:00Z: 22:00 in Casablanca (+00 since 2026-09-20), inside 21:00-08:00. */
#define NIGHT 1796335200LL

static void
test_quiet_hours(void **state)
{
	struct route *r = route_new(&sms, &wa);
	struct zone_quiet q;
	struct route_plan plan;
	struct message m;
	char why[256];

	(void)state;
	assert_int_equal(zone_init("Africa/Casablanca", why, sizeof why), 0);
	assert_int_equal(zone_quiet_parse("21:00-08:00", &q, why, sizeof why), 0);
	message(&m, CHANNEL_SMS, "event");
	m.lane = LANE_BULK;
	/* Off until set. */
	assert_int_equal(route_decide(r, &m, NIGHT, &plan), ROUTE_SEND);
	route_set_quiet(r, &q);
	assert_int_equal(route_decide(r, &m, NIGHT, &plan), ROUTE_DEFER);
	assert_int_equal(plan.outcome, OUTCOME_DEFERRED);
	assert_string_equal(plan.why, "quiet_hours");
	assert_int_equal(plan.until_s, NIGHT + 10 * 3600); /* 08:00 the next morning */
	assert_null(plan.p);
	m.lane = LANE_NOTIFY;
	assert_int_equal(route_decide(r, &m, NIGHT, &plan), ROUTE_DEFER);
	m.lane = LANE_REPLY;
	assert_int_equal(route_decide(r, &m, NIGHT, &plan), ROUTE_SEND);
	/* Morning: everyone. */
	m.lane = LANE_BULK;
	assert_int_equal(route_decide(r, &m, NIGHT + 10 * 3600, &plan), ROUTE_SEND);
	/* Expiring before 08:00: it could never go, so it ends now. */
	m.expires = NIGHT + 3600;
	assert_int_equal(route_decide(r, &m, NIGHT, &plan), ROUTE_SKIP);
	assert_int_equal(plan.outcome, OUTCOME_EXPIRED);
	/* Opted out: ends now too, quiet hours or not. */
	m.expires = 0;
	m.opted_out = true;
	assert_int_equal(route_decide(r, &m, NIGHT, &plan), ROUTE_SKIP);
	assert_string_equal(plan.why, "opted_out");
	route_free(r);
}

/* A marketing message to a person who stopped them on WhatsApp: SMS when it may fall back, else not sent. */
static void
test_marketing_optout(void **state)
{
	struct route *r = route_new(&sms, &wa);
	struct route_plan plan;
	struct message m;

	(void)state;
	message(&m, CHANNEL_WHATSAPP, "event");
	m.wa_last_in_s = NOW - 60;
	m.marketing = true;
	m.marketing_optout = true;
	assert_int_equal(route_decide(r, &m, NOW, &plan), ROUTE_SKIP);
	assert_string_equal(plan.why, "marketing_optout");
	message(&m, CHANNEL_AUTO, "event");
	snprintf(m.contact_channel, sizeof m.contact_channel, "whatsapp");
	m.marketing = true;
	m.marketing_optout = true;
	assert_int_equal(route_decide(r, &m, NOW, &plan), ROUTE_SEND);
	assert_ptr_equal(plan.p, &sms);
	/* Not marketing (a utility message), or no opt-out: WhatsApp as usual. */
	m.marketing = false;
	assert_int_equal(route_decide(r, &m, NOW, &plan), ROUTE_SEND);
	assert_ptr_equal(plan.p, &wa);
	route_free(r);
}

/* The gateway's answer to someone who has just written: their STOP's confirmation goes, opted out or not. */
static void
test_reply_lane_not_held_by_opt_out(void **state)
{
	struct route *r = route_new(&sms, &wa);
	struct route_plan plan;
	struct message m;

	(void)state;
	message(&m, CHANNEL_SMS, "reply");
	m.opted_out = true;
	m.lane = LANE_REPLY;
	m.id = "~in-1796000000000-0";
	assert_int_equal(route_decide(r, &m, NOW, &plan), ROUTE_SEND);
	/* Another producer's message on the reply lane, or an agent's: opt-out holds. */
	m.id = "m0123456789abcdef";
	assert_int_equal(route_decide(r, &m, NOW, &plan), ROUTE_SKIP);
	m.id = "~in-1796000000000-0";
	m.lane = LANE_NOTIFY;
	assert_int_equal(route_decide(r, &m, NOW, &plan), ROUTE_SKIP);
	assert_string_equal(plan.why, "opted_out");
	route_free(r);
}

/* A message naming its provider goes through that one (replies go back through the aggregator they came by). */
static void
test_named_provider(void **state)
{
	static const struct provider_ops gen_ops = { .name = "generic", .channel = CHANNEL_SMS };
	const struct route_provider gen = { &gen_ops, NULL, 2 };
	const struct route_provider all[] = { sms, wa, gen };
	struct route *r = route_new(&sms, &wa);
	struct route_plan plan;
	struct message m;

	(void)state;
	route_set_providers(r, all, 3);
	message(&m, CHANNEL_AUTO, "reply");
	m.provider = "generic";
	assert_int_equal(route_decide(r, &m, NOW, &plan), ROUTE_SEND);
	assert_string_equal(plan.p->ops->name, "generic");
	assert_int_equal(plan.channel, CHANNEL_SMS);
	message(&m, CHANNEL_SMS, "reply");
	m.provider = "generic";
	assert_int_equal(route_decide(r, &m, NOW, &plan), ROUTE_SEND);
	assert_string_equal(plan.p->ops->name, "generic");
	/* WhatsApp named: its window and templates still apply. */
	message(&m, CHANNEL_AUTO, "event");
	m.provider = "whatsapp";
	m.locale = "ar";
	assert_int_equal(route_decide(r, &m, NOW, &plan), ROUTE_SEND);
	assert_ptr_equal(plan.p, &all[1]);
	assert_string_equal(plan.pm.template->name, "ev_ar");
	m.wa_last_in_s = NOW - 60;
	assert_int_equal(route_decide(r, &m, NOW, &plan), ROUTE_SEND);
	assert_null(plan.pm.template);
	message(&m, CHANNEL_WHATSAPP, "custom");
	m.provider = "generic";
	assert_int_equal(route_decide(r, &m, NOW, &plan), ROUTE_FAIL);
	assert_string_equal(plan.why, "provider generic does not carry channel whatsapp");
	message(&m, CHANNEL_SMS, "custom");
	m.provider = "vonage";
	assert_int_equal(route_decide(r, &m, NOW, &plan), ROUTE_FAIL);
	assert_string_equal(plan.why, "provider vonage is not configured");
	route_free(r);
}

static const char *
fake_campaign_state(void *arg, const char *campaign)
{
	(void)arg;
	if (strcmp(campaign, "c-paused") == 0)
		return "paused";
	if (strcmp(campaign, "c-cancelled") == 0)
		return "cancelled";
	if (strcmp(campaign, "c-unknown") == 0)
		return NULL;
	return "running";
}

/* Campaign messages: consent on record, and their campaign neither paused nor cancelled. */
static void
test_campaign_rules(void **state)
{
	struct route *r = route_new(&sms, &wa);
	struct route_plan plan;
	struct message m;

	(void)state;
	route_set_campaigns(r, fake_campaign_state, NULL, false);
	message(&m, CHANNEL_SMS, "training_offer");
	m.lane = LANE_BULK;
	m.from_campaign = true;
	m.campaign = "c-running";
	assert_int_equal(route_decide(r, &m, NOW, &plan), ROUTE_SKIP);
	assert_string_equal(plan.why, "no_consent");
	snprintf(m.contact_consent, sizeof m.contact_consent, "no");
	assert_int_equal(route_decide(r, &m, NOW, &plan), ROUTE_SKIP);
	snprintf(m.contact_consent, sizeof m.contact_consent, "yes");
	assert_int_equal(route_decide(r, &m, NOW, &plan), ROUTE_SEND);
	m.campaign = "c-paused";
	assert_int_equal(route_decide(r, &m, NOW, &plan), ROUTE_DEFER);
	assert_string_equal(plan.why, "campaign_paused");
	assert_true(plan.until_s > NOW);
	m.campaign = "c-cancelled";
	assert_int_equal(route_decide(r, &m, NOW, &plan), ROUTE_SKIP);
	assert_string_equal(plan.why, "campaign_cancelled");
	/* Its state not read yet (a gateway just started): it waits rather than go. */
	m.campaign = "c-unknown";
	assert_int_equal(route_decide(r, &m, NOW, &plan), ROUTE_DEFER);
	assert_string_equal(plan.why, "campaign_state_unknown");
	/* A producer's own bulk message: consent is the producer's to check, unless require_consent. */
	m.from_campaign = false;
	m.contact_consent[0] = '\0';
	assert_int_equal(route_decide(r, &m, NOW, &plan), ROUTE_SEND);
	route_set_campaigns(r, fake_campaign_state, NULL, true);
	assert_int_equal(route_decide(r, &m, NOW, &plan), ROUTE_SKIP);
	assert_string_equal(plan.why, "no_consent");
	m.lane = LANE_NOTIFY;
	assert_int_equal(route_decide(r, &m, NOW, &plan), ROUTE_SEND);
	route_free(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sms_and_whatsapp_as_asked),
		cmocka_unit_test(test_auto),
		cmocka_unit_test(test_window_closed),
		cmocka_unit_test(test_template_locale_chain),
		cmocka_unit_test(test_contact_locale),
		cmocka_unit_test(test_not_sent_by_rule),
		cmocka_unit_test(test_quiet_hours),
		cmocka_unit_test(test_reply_lane_not_held_by_opt_out),
		cmocka_unit_test(test_named_provider),
		cmocka_unit_test(test_marketing_optout),
		cmocka_unit_test(test_campaign_rules),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
