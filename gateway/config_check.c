/*
 * Checks of the configuration's values, apart from the parser
 * (gateway/config.c): the fallback chain names known locales, prices are
 * prices, the default country is one the phone module knows, the replies'
 * days, hours, tags and links, the providers' rates and tiers, the SMS
 * provider chosen.
 */
#include "gateway/config_check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/util/phone.h"
#include "gateway/util/zone.h"

int
config_check_campaigns(const struct config *c, const char *name, char *err, size_t errlen)
{
	for (const char *l = c->locale_fallback; *l != '\0';) {
		size_t n = strcspn(l, " ");
		static const char *const known[] = { "fr", "ar", "ary", "ary-Latn", "en" };
		size_t k;

		for (k = 0; k < sizeof known / sizeof known[0]; k++)
			if (strlen(known[k]) == n && strncmp(known[k], l, n) == 0)
				break;
		if (n > 0 && k == sizeof known / sizeof known[0]) {
			snprintf(err, errlen, "%s: [locales] fallback: '%.*s' is not fr, ar, ary, ary-Latn or en", name,
			    (int)n, l);
			return -1;
		}
		l += n;
		l += strspn(l, " ");
	}
	{
		const char *const prices[] = { c->price_sms_segment, c->price_wa_marketing, c->price_wa_utility };

		for (size_t i = 0; i < sizeof prices / sizeof prices[0]; i++) {
			char *end;
			double v = strtod(prices[i], &end);

			if (end == prices[i] || *end != '\0' || v < 0) {
				snprintf(err, errlen, "%s: [prices] '%s' is not a price (a number such as 0.35)", name,
				    prices[i]);
				return -1;
			}
		}
	}
	if (!phone_country_known(c->default_country)) {
		snprintf(err, errlen,
		    "%s: [contacts] default_country '%s' is not one the gateway knows (MA, FR, SN, …)", name,
		    c->default_country);
		return -1;
	}
	return config_check_replies(c, name, err, errlen);
}

int
config_check_replies(const struct config *c, const char *name, char *err, size_t errlen)
{
	static const char *const topics[] = { "training", "employment", "residency", "covid" };
	unsigned days;
	char why[160];

	if (zone_days_parse(c->agent_days, &days, why, sizeof why) != 0) {
		snprintf(err, errlen, "%s: [replies] agent_days: %s", name, why);
		return -1;
	}
	if (c->agent_hours.on && c->agent_hours.start_min >= c->agent_hours.end_min) {
		snprintf(err, errlen, "%s: [replies] agent_hours must be a window within one day, such as 09:00-17:00",
		    name);
		return -1;
	}
	for (size_t i = 0; i < sizeof topics / sizeof topics[0]; i++) {
		const char *t = c->reply_tags[i];

		if (strspn(t, "abcdefghijklmnopqrstuvwxyz0123456789_:.- ") != strlen(t)) {
			snprintf(err, errlen,
			    "%s: [replies] tags.%s: tags are lower-case letters, digits and _ : . - separated by "
			    "spaces",
			    name, topics[i]);
			return -1;
		}
		if (strpbrk(c->reply_links[i], " \t\r\n{}") != NULL) {
			snprintf(err, errlen, "%s: [replies] link.%s: a link has no spaces or braces", name, topics[i]);
			return -1;
		}
	}
	return 0;
}

int
config_check_provider(const struct config_provider *cp, const char *name, char *err, size_t errlen)
{
	for (size_t k = 0; k < cp->n; k++) {
		char *end;
		double v;

		if (strcmp(cp->v[k].key, "rate") == 0) {
			v = strtod(cp->v[k].value, &end);
			if (end == cp->v[k].value || *end != '\0' || v < 0 || v > 100000) {
				snprintf(err, errlen, "%s: [%s] rate: '%s' is not messages per second (0 for no limit)",
				    name, cp->ops->name, cp->v[k].value);
				return -1;
			}
		} else if (strcmp(cp->v[k].key, "receipts") == 0 && strcmp(cp->v[k].value, "yes") != 0 &&
		    strcmp(cp->v[k].value, "no") != 0) {
			snprintf(err, errlen, "%s: [%s] receipts is yes or no (whether it sends delivery receipts)", name,
			    cp->ops->name);
			return -1;
		} else if (strcmp(cp->v[k].key, "tier") == 0 && strcmp(cp->v[k].value, "250") != 0 &&
		    strcmp(cp->v[k].value, "2000") != 0 && strcmp(cp->v[k].value, "10000") != 0 &&
		    strcmp(cp->v[k].value, "100000") != 0 && strcmp(cp->v[k].value, "unlimited") != 0) {
			snprintf(
			    err, errlen, "%s: [%s] tier is 250, 2000, 10000, 100000 or unlimited", name, cp->ops->name);
			return -1;
		}
	}
	return 0;
}

int
config_check_sms_provider(const struct config *c, const char *name, char *err, size_t errlen)
{
	const struct config_provider *cp;

	if (c->sms_provider[0] == '\0')
		return 0;
	cp = config_provider(c, c->sms_provider);
	if (cp == NULL || cp->ops->channel != CHANNEL_SMS) {
		snprintf(err, errlen, "%s: [gateway] sms_provider '%s' is not a configured SMS provider section", name,
		    c->sms_provider);
		return -1;
	}
	return 0;
}
