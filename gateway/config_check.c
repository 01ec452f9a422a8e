/*
 * Checks of the configuration's campaign settings, apart from the parser
 * (gateway/config.c): the fallback chain names known locales, prices are
 * prices, the default country is one the phone module knows.
 */
#include "gateway/config_check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/util/phone.h"

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
	return 0;
}
