/*
 * A 100,000-person campaign to sandbox numbers in three locales, as the
 * programme would run it: imported over the API, scheduled a minute ahead,
 * sent at [twilio] rate, cancelled midway. It must start on time, keep the
 * rate, give each person at most one message and in their locale, give
 * none to people without consent or who opted out, and stop within a
 * second of the cancel.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gateway/util/buf.h"
#include "tests/integration/harness.h"

#define PEOPLE 100000
#define RATE 4000
#define AGENT "Bearer " HARNESS_AGENT_SECRET

/* Person i: locale by i % 3; no consent for every 100th; opted out for every 200th + 7. */
static bool
no_consent(long i)
{
	return i % 100 == 0;
}

static bool
opted_out(long i)
{
	return i % 200 == 7;
}

struct seen {
	long messages, wrong_locale, twice, not_allowed;
	long long first_us, last_us;
	unsigned char *count;
};

static void
scan(struct harness *h, struct seen *s)
{
	char path[400], line[4096];
	FILE *f;

	memset(s->count, 0, PEOPLE);
	s->messages = s->wrong_locale = s->twice = s->not_allowed = 0;
	s->first_us = s->last_us = 0;
	json_decref(harness_sandbox_get(h, "/sandbox/stats"));
	snprintf(path, sizeof path, "%s/sandbox.record", h->dir);
	if ((f = fopen(path, "r")) == NULL)
		return;
	while (fgets(line, sizeof line, f) != NULL) {
		long long us = atoll(line);
		char *to = strchr(line, '\t'), *body;
		long i;

		if (to == NULL || (to = strchr(to + 1, '\t')) == NULL || (body = strchr(++to, '\t')) == NULL)
			continue;
		body++;
		/* +2126xxxxxxxx: the person's number is 0600000000 + i. */
		i = strtol(to + 4, NULL, 10) - 600000000L;
		s->messages++;
		if (s->first_us == 0 || us < s->first_us)
			s->first_us = us;
		if (us > s->last_us)
			s->last_us = us;
		if (i < 0 || i >= PEOPLE)
			continue;
		if (s->count[i]++ > 0)
			s->twice++;
		if (no_consent(i) || opted_out(i))
			s->not_allowed++;
		if ((i % 3 == 0 && strncmp(body, "Bonjour", 7) != 0) ||
		    (i % 3 == 1 && strncmp(body, "مرحبا", 10) != 0) || (i % 3 == 2 && strncmp(body, "Salam", 5) != 0))
			s->wrong_locale++;
	}
	fclose(f);
}

static void
test_hundred_thousand(void **state)
{
	struct harness *h = harness_api_new(
	    "scale", "[http]\nmax_body_bytes = 16777216\n[twilio]\nrate = 4000\n[gateway]\nmax_inflight = 1024\n");
	int port = harness_gateway_port(h);
	struct seen s = { .count = calloc(1, PEOPLE) };
	char body[1024], at[40], path[128], id[32];
	long long start, t0, sent_at_cancel, cancel_us;
	struct buf csv;
	struct tm tm;
	time_t tt;
	json_t *j;

	(void)state;
	assert_non_null(s.count);
	buf_init(&csv);
	buf_puts(&csv, "phone,first_name,locale,consent\n");
	for (long i = 0; i < PEOPLE; i++)
		buf_printf(&csv, "06%08ld,P%ld,%s,%s\n", i, i,
		    i % 3 == 0       ? "fr"
			: i % 3 == 1 ? "ar"
				     : "ary-Latn",
		    no_consent(i) ? "" : "oui");
	t0 = harness_now_ms();
	assert_int_equal(
	    harness_api(port, "POST", "/v1/contacts/import", AGENT, "text/csv", csv.data, csv.len, NULL, &j), 200);
	assert_int_equal(json_integer_value(json_object_get(j, "created")), PEOPLE);
	json_decref(j);
	print_message("imported %d contacts in %lld ms\n", PEOPLE, harness_now_ms() - t0);
	buf_free(&csv);
	for (long i = 7; i < PEOPLE; i += 200) {
		char e164[20], person[32];
		redisReply *r;

		snprintf(e164, sizeof e164, "+2126%08ld", i);
		harness_person(e164, person);
		r = harness_cmd(h, "SADD " HARNESS_PREFIX "optout %s", person);
		freeReplyObject(r);
	}
	/* A minute ahead, in local time. */
	start = (long long)time(NULL) + 60;
	tt = (time_t)start;
	setenv("TZ", "Africa/Casablanca", 1);
	tzset();
	localtime_r(&tt, &tm);
	strftime(at, sizeof at, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(body, sizeof body,
	    "{\"name\": \"Semaine des migrants\", \"kind\": \"event\", \"audience\": {}, \"channel\": \"sms\", "
	    "\"texts\": "
	    "{\"fr\": \"Bonjour {first_name}, rendez-vous le 18/12.\", \"ar\": \"مرحبا {first_name}، موعدنا يوم "
	    "18/12\", "
	    "\"ary-Latn\": \"Salam {first_name}, nchoufouk nhar 18/12.\"}, \"start_at\": \"%s\"}",
	    at);
	assert_int_equal(
	    harness_api(port, "POST", "/v1/campaigns", AGENT, "application/json", body, strlen(body), NULL, &j), 201);
	snprintf(id, sizeof id, "%s", json_string_value(json_object_get(j, "id")));
	json_decref(j);
	snprintf(path, sizeof path, "/v1/campaigns/%s/schedule", id);
	assert_int_equal(harness_api(port, "POST", path, AGENT, NULL, NULL, 0, NULL, &j), 200);
	json_decref(j);
	/* Nothing before its start. */
	while ((long long)time(NULL) < start - 2)
		harness_sleep_ms(500);
	assert_int_equal(harness_log_count(h, "sent"), 0);
	/* Half of it, then a cancel. */
	harness_wait_log(h, "sent", 45000, 120000);
	snprintf(path, sizeof path, "/v1/campaigns/%s/cancel", id);
	assert_int_equal(harness_api(port, "POST", path, AGENT, NULL, NULL, 0, NULL, &j), 200);
	json_decref(j);
	cancel_us = harness_now_ms() * 1000;
	sent_at_cancel = harness_log_count(h, "sent");
	harness_sleep_ms(3000);
	scan(h, &s);
	print_message("sent %ld, from %.1f s after the start; %lld at the cancel\n", s.messages,
	    (double)(s.first_us / 1000000 - start), sent_at_cancel);
	assert_true(s.first_us / 1000000 >= start - 1);
	assert_true(s.first_us / 1000000 <= start + 5);
	assert_int_equal(s.twice, 0);
	assert_int_equal(s.not_allowed, 0);
	assert_int_equal(s.wrong_locale, 0);
	/* Within a second of the cancel nothing more goes: at most a second's worth of rate was on its way. */
	assert_true(s.last_us <= cancel_us + 1000000);
	assert_true(s.messages < PEOPLE);
	/* The rate: no second holds more than the rate and its burst. */
	{
		double secs = (double)(s.last_us - s.first_us) / 1e6;

		print_message("%.0f messages a second on average (rate %d)\n", s.messages / secs, RATE);
		assert_true(s.messages / secs <= RATE * 1.1);
	}
	free(s.count);
	assert_int_equal(harness_finish(h, 20000), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hundred_thousand),
	};

	return cmocka_run_group_tests_name("campaign_scale", tests, NULL, NULL);
}
