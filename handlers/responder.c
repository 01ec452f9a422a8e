/*
 * The rules, in order:
 * - A text reaches a topic by a keyword (handlers/keywords.c), or, when it
 *   is only a number, by the menu the person was last sent while it is
 *   open. A number with no open menu, or one past its end, gets the menu
 *   again: they are answering a menu they no longer have.
 * - STOP opts the person out and START back in, each with one
 *   confirmation; MENU sends the numbered menu and opens it for
 *   [replies] menu_ttl_s; an information topic sends its answer and tags
 *   the person; "agent", and anything that reaches no topic (a picture,
 *   a question), goes to the agents' inbox, acknowledged once per
 *   conversation with when an agent will answer.
 * - While a conversation is open, every message goes to it as well.
 * - The answer is in the language the engine read from the words and the
 *   script, else the person's stored one, which follows when they change.
 * - More than max_per_minute messages in a minute pause the automatic
 *   answers for mute_s (a loop with another robot); consent changes and
 *   the inbox still happen.
 */
#include "handlers/responder.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gateway/util/buf.h"
#include "handlers/template.h"
#include "locales/fallback.h"

/* The values of the placeholders an answer may have. */
struct responder_vars {
	const char *link, *first_name;
	char open[8], close[8];
	const char *day;
};

static const char *
responder_var(void *arg, const char *name)
{
	const struct responder_vars *v = arg;

	if (strcmp(name, "link") == 0)
		return v->link;
	if (strcmp(name, "first_name") == 0)
		return v->first_name;
	if (strcmp(name, "open") == 0)
		return v->open;
	if (strcmp(name, "close") == 0)
		return v->close;
	if (strcmp(name, "day") == 0)
		return v->day;
	return NULL;
}

static void
responder_hhmm(long long t, char out[8])
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (localtime_r(&tt, &tm) == NULL)
		snprintf(out, 8, "--:--");
	else
		snprintf(out, 8, "%02d:%02d", tm.tm_hour % 24, tm.tm_min % 60);
}

/* Days from now_s's local date to t's. */
static int
responder_days_between(long long now_s, long long t)
{
	time_t a = (time_t)now_s, b = (time_t)t;
	struct tm ta, tb;

	if (localtime_r(&a, &ta) == NULL || localtime_r(&b, &tb) == NULL)
		return 0;
	/* Noon of each date, so that a change of clocks cannot make a day 23 or 25 hours. */
	ta.tm_hour = tb.tm_hour = 12;
	ta.tm_min = tb.tm_min = ta.tm_sec = tb.tm_sec = 0;
	ta.tm_isdst = tb.tm_isdst = -1;
	return (int)((mktime(&tb) - mktime(&ta) + 43200) / 86400);
}

/* The acknowledgement's key and its time placeholders: now, later today, tomorrow, or on a weekday. */
static const char *
responder_ack(const struct responder_settings *s, long long now_s, struct responder_vars *v)
{
	static const char *const days[7] = { "day.sun", "day.mon", "day.tue", "day.wed", "day.thu", "day.fri",
		"day.sat" };
	long long until, next = zone_next_open(&s->hours, s->days, now_s, &until);
	int d;

	if (next < 0)
		return "inbox.ack";
	if (next == 0) {
		responder_hhmm(until, v->close);
		return "inbox.ack_open";
	}
	responder_hhmm(next, v->open);
	d = responder_days_between(now_s, next);
	v->day = d == 0 ? "day.today" : d == 1 ? "day.tomorrow" : days[zone_weekday(next)];
	return "inbox.ack_later";
}

/* Renders key for locale into plan->reply; the {day} placeholder names a catalog key itself. */
static void
responder_render(
    const struct responder_settings *s, struct responder_plan *plan, const char *key, struct responder_vars *v)
{
	const char *chosen = NULL, *text = catalog_lookup(s->catalog, plan->locale, key, s->chain, &chosen);
	struct buf b;

	if (text == NULL)
		return;
	if (v->day != NULL && strncmp(v->day, "day.", 4) == 0) {
		const char *day = catalog_lookup(s->catalog, plan->locale, v->day, s->chain, &chosen);

		v->day = day != NULL ? day : "";
	}
	buf_init(&b);
	template_render(text, strlen(text), responder_var, v, &b);
	if (b.len == 0) {
		buf_free(&b);
		return;
	}
	plan->reply = buf_release(&b);
	plan->reply_key = key;
}

/* The topic a number reaches in the open menu, or KEYWORDS_MENU to send the menu again. */
static enum keywords_topic
responder_menu_choice(const struct responder_state *st, int number, long long now_ms, bool *by_menu)
{
	const char *p = st->menu;
	int i = 1;

	*by_menu = false;
	if (st->menu_until_ms <= now_ms)
		return KEYWORDS_MENU;
	while (*p != '\0') {
		size_t n = strcspn(p, " ");

		if (n > 0 && i++ == number) {
			char name[32];

			snprintf(name, sizeof name, "%.*s", (int)(n < sizeof name ? n : sizeof name - 1), p);
			*by_menu = true;
			return keywords_topic_parse(name);
		}
		p += n;
		p += strspn(p, " ");
	}
	return KEYWORDS_MENU;
}

/* Types that say nothing to answer: WhatsApp's reactions, unsupported and system messages. */
static bool
responder_silent_type(const char *type)
{
	static const char *const silent[] = { "reaction", "unsupported", "system", "ephemeral", "unknown",
		"request_welcome" };

	for (size_t i = 0; i < sizeof silent / sizeof silent[0]; i++)
		if (type != NULL && strcmp(type, silent[i]) == 0)
			return true;
	return false;
}

static int
responder_info_index(enum keywords_topic t)
{
	switch (t) {
	case KEYWORDS_TRAINING:
		return 0;
	case KEYWORDS_EMPLOYMENT:
		return 1;
	case KEYWORDS_RESIDENCY:
		return 2;
	case KEYWORDS_COVID:
		return 3;
	default:
		return -1;
	}
}

void
responder_decide(const struct responder_settings *s, const struct responder_state *st, const struct responder_in *in,
    struct responder_plan *plan)
{
	struct keywords_result m;
	struct responder_vars v = { .link = "", .first_name = st->first_name };
	static const char *const info_keys[RESPONDER_INFO_TOPICS] = { "reply.training", "reply.employment",
		"reply.residency", "reply.covid" };
	const char *key = NULL;
	int info;

	memset(plan, 0, sizeof *plan);
	keywords_match(s->keywords, in->text, in->len, st->locale[0] != '\0' ? st->locale : NULL, &m);
	snprintf(plan->normalised, sizeof plan->normalised, "%s", m.normalised != NULL ? m.normalised : "");
	plan->topic = m.topic;
	if (plan->topic == KEYWORDS_NONE && m.number > 0)
		plan->topic = responder_menu_choice(st, m.number, in->now_ms, &plan->by_menu);
	plan->locale = m.locale;
	if (plan->locale != NULL && strcmp(plan->locale, st->locale) != 0)
		plan->set_locale = plan->locale;
	else if (plan->locale == NULL && st->locale[0] != '\0')
		plan->locale = fallback_locale(st->locale, strlen(st->locale));

	plan->muted = st->muted_until_ms > in->now_ms || st->recent > s->max_per_minute;
	if (st->recent == (long long)s->max_per_minute + 1 && st->muted_until_ms <= in->now_ms)
		plan->mute_until_ms = in->now_ms + s->mute_s * 1000;
	plan->converse = st->conversation_open;

	info = responder_info_index(plan->topic);
	switch (plan->topic) {
	case KEYWORDS_STOP:
		plan->consent = "no";
		plan->menu = "";
		key = "confirm.stop";
		break;
	case KEYWORDS_START:
		plan->consent = "yes";
		key = "confirm.start";
		break;
	case KEYWORDS_MENU:
		key = "reply.menu";
		plan->menu = catalog_lookup(s->catalog, plan->locale, "menu.main", s->chain, NULL);
		plan->menu_until_ms = in->now_ms + s->menu_ttl_s * 1000;
		if (plan->menu == NULL)
			plan->menu = "";
		break;
	case KEYWORDS_AGENT:
	case KEYWORDS_NONE:
		/* A reaction or a message the channel could not carry is for the thread only. */
		if (in->len == 0 && responder_silent_type(in->type))
			break;
		plan->converse = true;
		if (!st->conversation_open)
			key = responder_ack(s, in->now_ms / 1000, &v);
		else if (plan->topic == KEYWORDS_AGENT)
			key = "reply.agent";
		break;
	default:
		if (info >= 0) {
			key = info_keys[info];
			v.link = s->links[info];
			plan->tags = s->tags[info][0] != '\0' ? s->tags[info] : NULL;
		}
		break;
	}
	if (key != NULL && s->answer && !plan->muted)
		responder_render(s, plan, key, &v);
	/* A menu is open only when it was sent: numbers answer what the person saw. */
	if (plan->topic == KEYWORDS_MENU && plan->reply == NULL)
		plan->menu = NULL;
	keywords_result_free(&m);
}

void
responder_plan_free(struct responder_plan *plan)
{
	free(plan->reply);
	plan->reply = NULL;
}
