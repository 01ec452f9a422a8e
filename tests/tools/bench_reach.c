/*
 * bench_reach: loads the reach counters for make bench's reach section
 * through the gateway's own recording scripts (begin and finish for each
 * message sent, status for delivered and read), day by day over the last
 * ended quarter and the current month, each call with that day's DAY; then
 * measures what the counters hold in Redis. Prints key=value pairs.
 */
#include <hiredis/hiredis.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "gateway/util/xmalloc.h"
#include "queues/scripts.h"

#define REACH_CAMPAIGNS 12
#define REACH_MAX_ARGS 16384
#define REACH_POOL (1 << 20)
/* Calls sent before their replies are read. */
#define REACH_PIPELINE 24

/* One message: its campaign, person, the days it was sent and read (index into the days), what followed. */
struct reach_msg {
	uint32_t person;
	uint8_t campaign;
	uint8_t delivered;
	uint8_t read;
	int16_t sent_day;
	int16_t read_day;
};

/* One script call being built: arguments point into the pool or at constants. */
struct reach_call {
	const char *argv[REACH_MAX_ARGS];
	size_t lens[REACH_MAX_ARGS];
	int n, count_at;
	size_t items;
	char pool[REACH_POOL];
	size_t used;
};

struct reach_load {
	redisContext *c;
	const char *prefix;
	long people;
	int ndays, qdays;
	long days[200];          /* day numbers (days since 1970-01-01) */
	char day_label[200][12]; /* YYYYMMDD */
	long long day_ms[200];   /* nows for the day's calls */
	struct reach_msg *msgs;
	long nmsgs;
	int pending;
	long errors;
	char first_error[256];
	struct reach_call call;
};

static const char *const reach_kinds[6] = { "training_offer", "residency_followup", "covid_info", "event", "reply",
	"custom" };
static const char *const reach_cities[12] = { "Casablanca", "Rabat", "Fès", "Marrakech", "Tanger", "Agadir", "Meknès",
	"Oujda", "Kénitra", "Tétouan", "Safi", "Béni Mellal" };
static const char *const reach_locales[5] = { "fr", "ar", "ary", "ary-Latn", "en" };

static long long reach_now_us(void);
static uint64_t reach_mix(uint64_t x);
static long reach_gcd(long a, long b);
static long reach_days_from_civil(long y, long m, long d);
static void reach_civil_from_days(long z, long *y, long *m, long *d);
static int reach_parse_day(const char *s, long *day);
static void reach_person(long i, char out[25]);
static bool reach_is_whatsapp(long person);
static const char *reach_put(struct reach_call *call, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void reach_add(struct reach_call *call, const char *s);
static void reach_start(struct reach_load *l, enum scripts_id id, int day, const char *const *head);
static void reach_send(struct reach_load *l, enum scripts_id id);
static void reach_drain(struct reach_load *l, long keep);
static long long reach_used_memory(redisContext *c);
static int reach_plan(struct reach_load *l, long events, long today);
static int reach_contacts(struct reach_load *l);
static void reach_day(struct reach_load *l, int d, const long *order, long from, long to);
static int reach_run_load(struct reach_load *l, long events, long today);
static int reach_measure(redisContext *c, const char *prefix, bool drop_others);
static void reach_usage(void) __attribute__((noreturn));

static long long
reach_now_us(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (long long)tv.tv_sec * 1000000 + tv.tv_usec;
}

/* A fixed scramble of a number (splitmix64's finaliser): the same plan at every run. */
static uint64_t
reach_mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static long
reach_gcd(long a, long b)
{
	while (b != 0) {
		long t = a % b;

		a = b;
		b = t;
	}
	return a;
}

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static long
reach_days_from_civil(long y, long m, long d)
{
	long era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void
reach_civil_from_days(long z, long *y, long *m, long *d)
{
	long era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = yoe + era * 400 + (*m <= 2);
}

static int
reach_parse_day(const char *s, long *day)
{
	long y, m, d;

	if (strlen(s) != 8 || sscanf(s, "%4ld%2ld%2ld", &y, &m, &d) != 3 || m < 1 || m > 12 || d < 1 || d > 31)
		return -1;
	*day = reach_days_from_civil(y, m, d);
	return 0;
}

/* Person i's pseudonym: 24 hex digits, unique (the index is its last 8). */
static void
reach_person(long i, char out[25])
{
	snprintf(out, 25, "%016llx%08x", (unsigned long long)reach_mix((uint64_t)i), (unsigned)(uint32_t)i);
}

/* Two people in five prefer WhatsApp, and are sent by it. */
static bool
reach_is_whatsapp(long person)
{
	return reach_mix((uint64_t)person + 77) % 5 < 2;
}

static const char *
reach_put(struct reach_call *call, const char *fmt, ...)
{
	va_list ap;
	char *at = call->pool + call->used;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(at, REACH_POOL - call->used, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= REACH_POOL - call->used) {
		fprintf(stderr, "bench_reach: a call's arguments do not fit\n");
		exit(1);
	}
	call->used += (size_t)n + 1;
	return at;
}

static void
reach_add(struct reach_call *call, const char *s)
{
	if (call->n >= REACH_MAX_ARGS) {
		fprintf(stderr, "bench_reach: too many arguments in one call\n");
		exit(1);
	}
	call->argv[call->n] = s;
	call->lens[call->n++] = strlen(s);
}

/* EVALSHA of script id with the common arguments of day d (its DAY, its time) and the head. */
static void
reach_start(struct reach_load *l, enum scripts_id id, int day, const char *const *head)
{
	struct reach_call *call = &l->call;

	call->n = 0;
	call->used = 0;
	call->items = 0;
	reach_add(call, "EVALSHA");
	reach_add(call, scripts_sha(id));
	reach_add(call, "0");
	reach_add(call, l->prefix);
	reach_add(call, "amuddu-gateway");
	reach_add(call, "bench-reach");
	reach_add(call, reach_put(call, "%lld", l->day_ms[day]));
	reach_add(call, l->day_label[day]);
	reach_add(call, "0");
	for (size_t i = 0; i < scripts_head_args(id); i++)
		reach_add(call, head[i]);
	call->count_at = call->n;
	reach_add(call, "0");
}

/* Appends the call to the pipeline, reading replies when it is full. */
static void
reach_send(struct reach_load *l, enum scripts_id id)
{
	struct reach_call *call = &l->call;

	(void)id;
	if (call->items == 0)
		return;
	call->argv[call->count_at] = reach_put(call, "%zu", call->items);
	call->lens[call->count_at] = strlen(call->argv[call->count_at]);
	if (redisAppendCommandArgv(l->c, call->n, call->argv, call->lens) != REDIS_OK) {
		fprintf(stderr, "bench_reach: cannot send: %s\n", l->c->errstr);
		exit(1);
	}
	l->pending++;
	if (l->pending >= REACH_PIPELINE)
		reach_drain(l, REACH_PIPELINE / 2);
}

/*
 * Reads replies until keep calls are left unanswered. Every item of every
 * script must come back recorded: 1 for begin (its first attempt), finish
 * (R_DONE) and status (recorded); anything else counts as an error.
 */
static void
reach_drain(struct reach_load *l, long keep)
{
	redisReply *r;

	while (l->pending > keep) {
		if (redisGetReply(l->c, (void **)&r) != REDIS_OK || r == NULL) {
			fprintf(stderr, "bench_reach: connection lost: %s\n", l->c->errstr);
			exit(1);
		}
		l->pending--;
		if (r->type == REDIS_REPLY_ERROR) {
			fprintf(stderr, "bench_reach: script error: %s\n", r->str);
			exit(1);
		}
		for (size_t i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements; i++) {
			const redisReply *e = r->element[i];

			if (e->type == REDIS_REPLY_ARRAY)
				continue; /* begin's opt-out flags, last */
			if (e->type != REDIS_REPLY_INTEGER || e->integer != 1) {
				if (l->errors++ == 0)
					snprintf(l->first_error, sizeof l->first_error, "result %lld%s%s",
					    e->type == REDIS_REPLY_INTEGER ? e->integer : 0,
					    i + 1 < r->elements && r->element[i + 1]->type == REDIS_REPLY_STRING ? ": "
														 : "",
					    i + 1 < r->elements && r->element[i + 1]->type == REDIS_REPLY_STRING
						? r->element[i + 1]->str
						: "");
				if (e->type == REDIS_REPLY_INTEGER && e->integer == SCRIPTS_R_ERROR)
					i++;
			}
		}
		freeReplyObject(r);
	}
}

static long long
reach_used_memory(redisContext *c)
{
	redisReply *r = redisCommand(c, "INFO memory");
	const char *p;
	long long v = -1;

	if (r != NULL && r->type == REDIS_REPLY_STRING && (p = strstr(r->str, "used_memory:")) != NULL)
		v = atoll(p + strlen("used_memory:"));
	if (r != NULL)
		freeReplyObject(r);
	return v;
}

/*
 * The messages, in a fixed order: campaign m % 12, its (m / 12)th
 * recipient (a stride through the people, so each is sent a campaign once
 * at most). Campaigns 0-8 fall in the last ended quarter, 9-11 in the
 * current month; answers and custom messages go out every day of their
 * period, the other kinds over three days from their start. 92 in 100
 * are delivered the day they are sent; 65 in 100 of those on WhatsApp
 * are read, the same day or up to two days later. Messages are planned
 * until sent + delivered + read make events.
 */
static int
reach_plan(struct reach_load *l, long events, long today)
{
	long qfirst, qlast, mfirst, y, m, d, cap, total = 0, stride[REACH_CAMPAIGNS];
	int qdays, mdays, win_first[REACH_CAMPAIGNS], win_len[REACH_CAMPAIGNS];

	reach_civil_from_days(today, &y, &m, &d);
	mfirst = reach_days_from_civil(y, m, 1);
	/* The quarter before this one. */
	m = ((m - 1) / 3) * 3 + 1 - 3;
	if (m < 1) {
		m += 12;
		y--;
	}
	qfirst = reach_days_from_civil(y, m, 1);
	qlast = (m + 3 > 12 ? reach_days_from_civil(y + 1, m + 3 - 12, 1) : reach_days_from_civil(y, m + 3, 1)) - 1;
	qdays = (int)(qlast - qfirst + 1);
	l->qdays = qdays;
	mdays = (int)(today - mfirst + 1);
	l->ndays = 0;
	for (long day = qfirst; day <= qlast; day++)
		l->days[l->ndays++] = day;
	for (long day = mfirst; day <= today; day++)
		l->days[l->ndays++] = day;
	for (int i = 0; i < l->ndays; i++) {
		long long noon = ((long long)l->days[i] * 86400 + 11 * 3600) * 1000, now = reach_now_us() / 1000;

		reach_civil_from_days(l->days[i], &y, &m, &d);
		snprintf(l->day_label[i], sizeof l->day_label[i], "%04ld%02ld%02ld", y, m, d);
		l->day_ms[i] = noon < now ? noon : now;
	}
	for (int k = 0; k < REACH_CAMPAIGNS; k++) {
		bool quarter = k < 9;
		int first = quarter ? 0 : qdays, len = quarter ? qdays : mdays;
		int slot = quarter ? k : k - 9, slots = quarter ? 9 : 3;
		const char *kind = reach_kinds[k % 6];

		if (strcmp(kind, "reply") == 0 || strcmp(kind, "custom") == 0) {
			win_first[k] = first;
			win_len[k] = len;
		} else {
			win_first[k] = first + (int)((long)len * slot / slots);
			win_len[k] = first + len - win_first[k] < 3 ? first + len - win_first[k] : 3;
		}
		stride[k] = 7919 + 2 * k;
		while (reach_gcd(stride[k], l->people) != 1)
			stride[k]++;
	}
	cap = events;
	l->msgs = xcalloc((size_t)cap, sizeof *l->msgs);
	l->nmsgs = 0;
	while (total < events) {
		long i = l->nmsgs;
		int k = (int)(i % REACH_CAMPAIGNS);
		long j = i / REACH_CAMPAIGNS;
		struct reach_msg *msg = &l->msgs[l->nmsgs++];
		uint64_t h = reach_mix((uint64_t)i * 31 + 5);

		if (j >= l->people) {
			fprintf(stderr, "bench_reach: %ld people are too few for %ld events\n", l->people, events);
			return -1;
		}
		msg->campaign = (uint8_t)k;
		msg->person = (uint32_t)((j * stride[k] + k * 1009) % l->people);
		msg->sent_day = (int16_t)(win_first[k] + (int)(h % (uint64_t)win_len[k]));
		msg->delivered = (h >> 16) % 100 < 92;
		total++;
		if (msg->delivered && total < events) {
			total++;
			if (reach_is_whatsapp(msg->person) && (h >> 32) % 100 < 65 && total < events) {
				int last = k < 9 ? qdays - 1 : l->ndays - 1, rd = msg->sent_day + (int)((h >> 40) % 3);

				msg->read = 1;
				msg->read_day = (int16_t)(rd < last ? rd : last);
				total++;
			}
		} else {
			msg->delivered = 0;
		}
	}
	return 0;
}

/* Each person's contact record (sex, city, locale, channel), written before any event counts them. */
static int
reach_contacts(struct reach_load *l)
{
	redisReply *r;
	long sent = 0;

	for (long i = 0; i < l->people; i++) {
		uint64_t h = reach_mix((uint64_t)i + 1000003);
		char person[25], key[256];
		int s = (int)(h % 100), c = (int)((h >> 8) % 110), lc = (int)((h >> 16) % 105);
		const char *sex = s < 48 ? "f" : s < 95 ? "m" : s < 96 ? "x" : NULL;
		const char *city = c < 100 ? reach_cities[c % 12 < 4 ? c % 4 : c % 12] : NULL;
		const char *locale = lc < 100 ? reach_locales[lc % 5] : NULL;
		const char *argv[16];
		int n = 0;

		reach_person(i, person);
		snprintf(key, sizeof key, "%scontact:%s", l->prefix, person);
		argv[n++] = "HSET";
		argv[n++] = key;
		argv[n++] = "channel";
		argv[n++] = reach_is_whatsapp(i) ? "whatsapp" : "sms";
		if (sex != NULL) {
			argv[n++] = "sex";
			argv[n++] = sex;
		}
		if (city != NULL) {
			argv[n++] = "city";
			argv[n++] = city;
		}
		if (locale != NULL) {
			argv[n++] = "locale";
			argv[n++] = locale;
		}
		if (redisAppendCommandArgv(l->c, n, argv, NULL) != REDIS_OK)
			return -1;
		if (++sent % 1000 == 0 || i == l->people - 1) {
			for (; sent > 0; sent--) {
				if (redisGetReply(l->c, (void **)&r) != REDIS_OK || r == NULL)
					return -1;
				freeReplyObject(r);
			}
		}
	}
	return 0;
}

/*
 * Day d: its sends (begin then finish, 500 at a time, each followed by the
 * delivered statuses of the same messages), then its reads. order holds
 * the message numbers sent that day (from..to), then those read that day.
 */
static void
reach_day(struct reach_load *l, int d, const long *order, long from, long to)
{
	static const char *const begin_head[] = { "2592000" };
	static const char *const finish_head[] = { "2592000", "" };
	static const char *const status_head[] = { "2592000" };

	for (long at = from; at < to; at += 500) {
		long end = at + 500 < to ? at + 500 : to;

		for (int step = 0; step < 3; step++) {
			enum scripts_id id = step == 0 ? SCRIPTS_BEGIN : step == 1 ? SCRIPTS_FINISH : SCRIPTS_STATUS;

			reach_start(l, id, d,
			    id == SCRIPTS_BEGIN        ? begin_head
				: id == SCRIPTS_FINISH ? finish_head
						       : status_head);
			for (long x = at; x < end; x++) {
				long i = order[x];
				const struct reach_msg *msg = &l->msgs[i];
				struct reach_call *call = &l->call;
				bool wa = reach_is_whatsapp((long)msg->person);
				char person[25];
				const char *kid, *entry, *pid, *campaign;

				if (id == SCRIPTS_STATUS && !msg->delivered)
					continue;
				kid = reach_put(call, "rb-%ld", i);
				entry = reach_put(call, "1700000000000-%ld", i);
				pid = reach_put(call, wa ? "wamid.%016llx" : "SM%016llx",
				    (unsigned long long)reach_mix((uint64_t)i + 99));
				campaign =
				    reach_put(call, "bench-%s-%d", reach_kinds[msg->campaign % 6], msg->campaign);

				reach_person((long)msg->person, person);
				if (id == SCRIPTS_STATUS) {
					const char *item[SCRIPTS_STATUS_I_COUNT];

					item[SCRIPTS_STATUS_I_provider] = wa ? "whatsapp" : "twilio";
					item[SCRIPTS_STATUS_I_pid] = pid;
					item[SCRIPTS_STATUS_I_pkey] = pid;
					item[SCRIPTS_STATUS_I_status] = "delivered";
					item[SCRIPTS_STATUS_I_err] = "";
					item[SCRIPTS_STATUS_I_optout] = "";
					for (int a = 0; a < SCRIPTS_STATUS_I_COUNT; a++)
						reach_add(call, item[a]);
				} else if (id == SCRIPTS_BEGIN) {
					const char *item[SCRIPTS_BEGIN_I_COUNT];

					item[SCRIPTS_BEGIN_I_lane] = "bulk";
					item[SCRIPTS_BEGIN_I_entry] = entry;
					item[SCRIPTS_BEGIN_I_id] = kid;
					item[SCRIPTS_BEGIN_I_kid] = kid;
					item[SCRIPTS_BEGIN_I_person] = reach_put(call, "%s", person);
					item[SCRIPTS_BEGIN_I_campaign] = campaign;
					item[SCRIPTS_BEGIN_I_ckey] = campaign;
					item[SCRIPTS_BEGIN_I_kind] = reach_kinds[msg->campaign % 6];
					item[SCRIPTS_BEGIN_I_contact] = "";
					for (int a = 0; a < SCRIPTS_BEGIN_I_COUNT; a++)
						reach_add(call, item[a]);
				} else {
					const char *item[SCRIPTS_FINISH_I_COUNT];

					item[SCRIPTS_FINISH_I_lane] = "bulk";
					item[SCRIPTS_FINISH_I_entry] = entry;
					item[SCRIPTS_FINISH_I_id] = kid;
					item[SCRIPTS_FINISH_I_kid] = kid;
					item[SCRIPTS_FINISH_I_attempt] = "1";
					item[SCRIPTS_FINISH_I_outcome] = "sent";
					item[SCRIPTS_FINISH_I_channel] = wa ? "whatsapp" : "sms";
					item[SCRIPTS_FINISH_I_provider] = wa ? "whatsapp" : "twilio";
					item[SCRIPTS_FINISH_I_pid] = pid;
					item[SCRIPTS_FINISH_I_pkey] = pid;
					item[SCRIPTS_FINISH_I_err] = "";
					item[SCRIPTS_FINISH_I_due] = "0";
					item[SCRIPTS_FINISH_I_person] = reach_put(call, "%s", person);
					item[SCRIPTS_FINISH_I_campaign] = campaign;
					item[SCRIPTS_FINISH_I_ckey] = campaign;
					item[SCRIPTS_FINISH_I_kind] = reach_kinds[msg->campaign % 6];
					item[SCRIPTS_FINISH_I_optout] = "";
					item[SCRIPTS_FINISH_I_rcv] = "";
					item[SCRIPTS_FINISH_I_nf] = "0";
					for (int a = 0; a < SCRIPTS_FINISH_I_COUNT; a++)
						reach_add(call, item[a]);
				}
				call->items++;
			}
			reach_send(l, id);
		}
	}
}

/* Plans the messages, writes the contacts, then records every event day by day. */
static int
reach_run_load(struct reach_load *l, long events, long today)
{
	long *sent_n, *read_n, *order, *pos, nread = 0;
	long long m0, m1, m2, t0, t1, t2;
	redisReply *r;

	if (reach_plan(l, events, today) != 0)
		return -1;
	for (enum scripts_id id = 0; id < SCRIPTS_COUNT; id++) {
		if (id != SCRIPTS_BEGIN && id != SCRIPTS_FINISH && id != SCRIPTS_STATUS)
			continue;
		r = redisCommand(l->c, "SCRIPT LOAD %s", scripts_text(id));
		if (r == NULL || r->type != REDIS_REPLY_STRING || strcmp(r->str, scripts_sha(id)) != 0) {
			fprintf(stderr, "bench_reach: SCRIPT LOAD of %s failed\n", scripts_name(id));
			return -1;
		}
		freeReplyObject(r);
	}
	/* Messages by the day they were sent, then by the day they were read. */
	sent_n = xcalloc((size_t)l->ndays + 1, sizeof *sent_n);
	read_n = xcalloc((size_t)l->ndays + 1, sizeof *read_n);
	for (long i = 0; i < l->nmsgs; i++) {
		sent_n[l->msgs[i].sent_day + 1]++;
		if (l->msgs[i].read) {
			read_n[l->msgs[i].read_day + 1]++;
			nread++;
		}
	}
	for (int d = 0; d < l->ndays; d++) {
		sent_n[d + 1] += sent_n[d];
		read_n[d + 1] += read_n[d];
	}
	order = xcalloc((size_t)(l->nmsgs + nread), sizeof *order);
	pos = xcalloc((size_t)l->ndays * 2, sizeof *pos);
	for (int d = 0; d < l->ndays; d++) {
		pos[2 * d] = sent_n[d];
		pos[2 * d + 1] = l->nmsgs + read_n[d];
	}
	for (long i = 0; i < l->nmsgs; i++) {
		order[pos[2 * l->msgs[i].sent_day]++] = i;
		if (l->msgs[i].read)
			order[pos[2 * l->msgs[i].read_day + 1]++] = i;
	}
	m0 = reach_used_memory(l->c);
	t0 = reach_now_us();
	if (reach_contacts(l) != 0) {
		fprintf(stderr, "bench_reach: writing the contacts failed\n");
		return -1;
	}
	t1 = reach_now_us();
	m1 = reach_used_memory(l->c);
	for (int d = 0; d < l->ndays; d++) {
		static const char *const status_head[] = { "2592000" };

		reach_day(l, d, order, sent_n[d], sent_n[d + 1]);
		for (long at = l->nmsgs + read_n[d]; at < l->nmsgs + read_n[d + 1]; at += 500) {
			long end = at + 500 < l->nmsgs + read_n[d + 1] ? at + 500 : l->nmsgs + read_n[d + 1];

			reach_start(l, SCRIPTS_STATUS, d, status_head);
			for (long x = at; x < end; x++) {
				long i = order[x];
				bool wa = reach_is_whatsapp((long)l->msgs[i].person);
				const char *pid = reach_put(&l->call, wa ? "wamid.%016llx" : "SM%016llx",
				    (unsigned long long)reach_mix((uint64_t)i + 99));

				reach_add(&l->call, wa ? "whatsapp" : "twilio");
				reach_add(&l->call, pid);
				reach_add(&l->call, pid);
				reach_add(&l->call, "read");
				reach_add(&l->call, "");
				reach_add(&l->call, "");
				l->call.items++;
			}
			reach_send(l, SCRIPTS_STATUS);
		}
	}
	reach_drain(l, 0);
	t2 = reach_now_us();
	m2 = reach_used_memory(l->c);
	{
		long delivered = 0, people_sent = 0;

		for (long i = 0; i < l->nmsgs; i++)
			delivered += l->msgs[i].delivered;
		r = redisCommand(l->c, "GET %srx:n", l->prefix);
		if (r != NULL && r->type == REDIS_REPLY_STRING)
			people_sent = atol(r->str);
		if (r != NULL)
			freeReplyObject(r);
		printf("events=%ld sent=%ld delivered=%ld read=%ld people=%ld people_counted=%ld days=%d "
		       "quarter_first=%s quarter_last=%s month_first=%s today=%s errors=%ld\n",
		    l->nmsgs + delivered + nread, l->nmsgs, delivered, nread, l->people, people_sent, l->ndays,
		    l->day_label[0], l->day_label[l->qdays - 1], l->day_label[l->qdays], l->day_label[l->ndays - 1],
		    l->errors);
		printf("contacts_seconds=%.3f load_seconds=%.3f events_per_s=%.0f used_memory_before=%lld "
		       "used_memory_contacts=%lld used_memory_loaded=%lld\n",
		    (double)(t1 - t0) / 1e6, (double)(t2 - t1) / 1e6,
		    (double)(l->nmsgs + delivered + nread) / ((double)(t2 - t1) / 1e6), m0, m1, m2);
	}
	if (l->errors > 0)
		fprintf(stderr, "bench_reach: %ld items not recorded; first: %s\n", l->errors, l->first_error);
	free(sent_n);
	free(read_n);
	free(order);
	free(pos);
	free(l->msgs);
	return l->errors > 0 ? -1 : 0;
}

/*
 * MEMORY USAGE of every key under the prefix, summed by kind: the day
 * bitmaps, the rollups, the reach sets (r:c, r:days, r:done), the
 * attribute bitmaps (ra:), the indexes (rx:), and everything else. With
 * drop_others, everything else is deleted (UNLINK) afterwards, so that
 * used_memory holds the counters alone.
 */
static int
reach_measure(redisContext *c, const char *prefix, bool drop_others)
{
	enum { DAYS, ROLLUPS, SETS, ATTRS, INDEX, OTHER, NCAT };
	static const char *const names[NCAT] = { "day_bitmaps", "rollups", "reach_sets", "attributes", "indexes",
		"other" };
	long long bytes[NCAT] = { 0 }, keys[NCAT] = { 0 };
	char cursor[64] = "0", pattern[256];
	size_t plen = strlen(prefix);

	snprintf(pattern, sizeof pattern, "%s*", prefix);
	do {
		redisReply *r = redisCommand(c, "SCAN %s MATCH %s COUNT 1000", cursor, pattern), *u;
		int *cat;
		size_t n;

		if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements != 2)
			return -1;
		snprintf(cursor, sizeof cursor, "%s", r->element[0]->str);
		n = r->element[1]->elements;
		cat = xcalloc(n + 1, sizeof *cat);
		for (size_t i = 0; i < n; i++) {
			const char *k = r->element[1]->element[i]->str + plen;
			char m;
			char label[16];
			int nl = 0;

			if (sscanf(k, "r:%c:%15[0-9QS]:%*d%n", &m, label, &nl) == 2 && nl > 0 && k[nl] == '\0')
				cat[i] = strlen(label) == 8 ? DAYS : ROLLUPS;
			else if (strncmp(k, "r:", 2) == 0)
				cat[i] = SETS;
			else if (strncmp(k, "ra:", 3) == 0)
				cat[i] = ATTRS;
			else if (strncmp(k, "rx:", 3) == 0)
				cat[i] = INDEX;
			else
				cat[i] = OTHER;
			redisAppendCommand(c, "MEMORY USAGE %s SAMPLES 0", r->element[1]->element[i]->str);
		}
		for (size_t i = 0; i < n; i++) {
			if (redisGetReply(c, (void **)&u) != REDIS_OK || u == NULL)
				return -1;
			if (u->type == REDIS_REPLY_INTEGER) {
				bytes[cat[i]] += u->integer;
				keys[cat[i]]++;
			}
			freeReplyObject(u);
		}
		if (drop_others) {
			for (size_t i = 0; i < n; i++)
				if (cat[i] == OTHER)
					redisAppendCommand(c, "UNLINK %s", r->element[1]->element[i]->str);
			for (size_t i = 0; i < n; i++) {
				if (cat[i] != OTHER)
					continue;
				if (redisGetReply(c, (void **)&u) != REDIS_OK || u == NULL)
					return -1;
				freeReplyObject(u);
			}
		}
		free(cat);
		freeReplyObject(r);
	} while (strcmp(cursor, "0") != 0);
	for (int i = 0; i < NCAT; i++)
		printf("%s%s_keys=%lld %s_bytes=%lld", i > 0 ? " " : "", names[i], keys[i], names[i], bytes[i]);
	printf(" counters_bytes=%lld\n", bytes[DAYS] + bytes[ROLLUPS] + bytes[SETS] + bytes[ATTRS] + bytes[INDEX]);
	return 0;
}

static void
reach_usage(void)
{
	fprintf(stderr,
	    "usage: bench_reach --socket PATH --prefix P --today YYYYMMDD [--events N] [--people N]\n"
	    "       bench_reach --socket PATH --prefix P --measure [--drop-others]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	static struct reach_load l;
	const char *sock = NULL, *today_s = NULL;
	long events = 1000000, today = 0;
	bool measure = false, drop = false;
	int rv;

	l.prefix = "amuddu:";
	l.people = 250000;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--socket") == 0 && i + 1 < argc)
			sock = argv[++i];
		else if (strcmp(argv[i], "--prefix") == 0 && i + 1 < argc)
			l.prefix = argv[++i];
		else if (strcmp(argv[i], "--today") == 0 && i + 1 < argc)
			today_s = argv[++i];
		else if (strcmp(argv[i], "--events") == 0 && i + 1 < argc)
			events = atol(argv[++i]);
		else if (strcmp(argv[i], "--people") == 0 && i + 1 < argc)
			l.people = atol(argv[++i]);
		else if (strcmp(argv[i], "--measure") == 0)
			measure = true;
		else if (strcmp(argv[i], "--drop-others") == 0)
			drop = true;
		else
			reach_usage();
	}
	if (sock == NULL || (!measure && (today_s == NULL || reach_parse_day(today_s, &today) != 0)) || events <= 0 ||
	    l.people <= 0 || l.people > UINT32_MAX)
		reach_usage();
	if ((l.c = redisConnectUnix(sock)) == NULL || l.c->err != 0) {
		fprintf(stderr, "bench_reach: cannot connect to %s\n", sock);
		return 1;
	}
	rv = measure ? reach_measure(l.c, l.prefix, drop) : reach_run_load(&l, events, today);
	redisFree(l.c);
	return rv == 0 ? 0 : 1;
}
