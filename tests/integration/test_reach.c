/*
 * The programme's indicators, end to end: a seeded scenario over two past
 * quarters and today — gateways run on days of those quarters under
 * libfaketime, Redis and the sandbox on the real clock — with campaigns
 * from two producers, people reached by both, status callbacks out of
 * order and twice, a gateway killed with SIGKILL mid-send (its messages
 * resent), replies, topics chosen, a referral, opt-outs, a person erased
 * midway, and messages another system wrote straight to the outbox.
 * Every count of GET /v1/reach, alone and broken down, is compared with
 * what this file computes from the scenario itself; reach --verify agrees
 * and then finds counters corrupted on purpose; the DHIS2 export is
 * checked value by value; the CSV goes through LibreOffice; the SVG
 * charts carry the scenario's numbers and parse as XML.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "gateway/util/buf.h"
#include "tests/integration/harness.h"

#define ADMIN "Bearer " HARNESS_ADMIN_SECRET
#define MONITORING "Bearer " HARNESS_MONITORING_SECRET
#define AGENT "Bearer " HARNESS_AGENT_SECRET
#define WA_TOKEN "wa-token"
#define APP_SECRET "app-secret"
#define NPEOPLE 13

/* What the scenario did to one person, by phase (A and B: days of two past quarters; C: today). */
enum { PH_A, PH_B, PH_C, PH_COUNT };
enum { M_SENT, M_DELIVERED, M_READ, M_REACHED, M_REPLIED, M_INFORMED, M_REFERRED, M_OPTED_OUT, M_COUNT };
static const char *const metric_names[M_COUNT] = { "sent", "delivered", "read", "reached", "replied", "informed",
	"referred", "opted_out" };

struct event {
	int person; /* 1..NPEOPLE */
	int phase;
	unsigned metrics; /* bits of M_* */
	const char *campaign, *kind, *channel;
};

struct person {
	char number[20];
	char id[32];
	/* From the contact record at the end (what the counters follow), "" unknown. */
	char sex[8], city[32], locale[16];
};

struct scenario {
	struct harness *h;
	struct person p[NPEOPLE + 1];
	char day[PH_COUNT][32];    /* each phase's local date */
	char period[PH_COUNT][32]; /* its quarter, "2026-Q3" */
	struct event ev[64];
	size_t nev;
	char campaign[64]; /* the campaign made through the API */
};

static struct scenario S;

#define B(m) (1u << (m))
#define SENT_READ (B(M_SENT) | B(M_DELIVERED) | B(M_READ) | B(M_REACHED))
#define SENT_DELIVERED (B(M_SENT) | B(M_DELIVERED) | B(M_REACHED))

static void
add(int person, int phase, unsigned metrics, const char *campaign, const char *kind, const char *channel)
{
	S.ev[S.nev++] = (struct event){ person, phase, metrics, campaign, kind, channel };
}

/* --- the gateway and the sandbox --------------------------------------------------------- */

static void
sandbox_config(const char *form)
{
	struct harness_http hc = { 0 };

	assert_int_equal(
	    harness_request(&hc, S.h->sandbox_port, "POST", "/sandbox/config", NULL, form, strlen(form), NULL), 200);
	harness_http_close(&hc);
}

static void
gateway_run(const char *faketime)
{
	char extra[4096];

	S.h->gateway_faketime = faketime;
	snprintf(extra, sizeof extra,
	    "[whatsapp]\nbase_url = http://127.0.0.1:%d\nphone_number_id = 1234567890\ntoken = " WA_TOKEN "\n"
	    "app_secret = " APP_SECRET "\nverify_token = v\n"
	    "[gateway]\nsms_provider = twilio\nclaim_idle_ms = 3000\nrequest_timeout_ms = 2000\n"
	    "connect_timeout_ms = 500\n"
	    "[replies]\nenabled = yes\nagent_hours = off\n"
	    "[dhis2]\ndata_set = dsAmuddu001\norg_unit.Casablanca = ouCasa00001\norg_unit.Rabat = ouRabat0001\n"
	    "coc.female = cocFemale01\ncoc.male = cocMale0001\ncoc.other = cocOther001\ncoc.unknown = cocUnknown1\n"
	    "element.reached = deReached01\nelement.informed = deInform001\nelement.referred = deRefer0001\n",
	    S.h->sandbox_port);
	harness_api_section(extra, sizeof extra);
	harness_gateway_config(S.h, 0, extra);
	harness_gateway_start(S.h);
	harness_gateway_wait_http(S.h);
}

static void
gateway_stop(void)
{
	harness_gateway_signal(S.h, SIGTERM);
	assert_int_equal(harness_gateway_wait(S.h, 15000), 0);
}

/* The sandbox posts what person n writes, by SMS (Twilio) or WhatsApp. */
static void
say(int n, const char *channel, const char *text)
{
	json_t *j = json_pack("{s:s, s:s, s:s}", "channel", channel, "from", S.p[n].number, "text", text);
	struct harness_http hc = { 0 };
	const char *hdr[] = { "Content-Type: application/json", NULL };
	char *body = json_dumps(j, JSON_COMPACT);
	long long inbound = harness_hget_ll(S.h, HARNESS_PREFIX "stats", "inbound");

	assert_int_equal(
	    harness_request(&hc, S.h->sandbox_port, "POST", "/sandbox/inbound", hdr, body, strlen(body), NULL), 202);
	harness_http_close(&hc);
	free(body);
	json_decref(j);
	/* Stored, then answered by the responder (its automatic answer queued or not). */
	for (int i = 0; i < 200 && harness_hget_ll(S.h, HARNESS_PREFIX "stats", "inbound") == inbound; i++)
		harness_sleep_ms(50);
	harness_sleep_ms(800);
}

/*
 * The automatic answers the gateway sent since the last look, from the
 * delivery log: each is a message sent (kind reply, no campaign), counted
 * like any other in phase ph.
 */
static void
answers(int ph)
{
	static char last[64] = "-";
	redisReply *r = harness_cmd(S.h, "XRANGE " HARNESS_PREFIX "log %s +", last);

	for (size_t i = 0; i < r->elements; i++) {
		redisReply *e = r->element[i], *f = e->element[1];
		const char *state = "", *kind = "", *person = "", *channel = "";

		snprintf(last, sizeof last, "(%s", e->element[0]->str);
		for (size_t j = 0; j + 1 < f->elements; j += 2) {
			const char *k = f->element[j]->str, *v = f->element[j + 1]->str;

			if (strcmp(k, "state") == 0)
				state = v;
			else if (strcmp(k, "kind") == 0)
				kind = v;
			else if (strcmp(k, "person") == 0)
				person = v;
			else if (strcmp(k, "channel") == 0)
				channel = v;
		}
		if (strcmp(state, "sent") != 0 || strcmp(kind, "reply") != 0)
			continue;
		for (int n = 1; n <= NPEOPLE; n++)
			if (strcmp(S.p[n].id, person) == 0)
				add(n, ph, B(M_SENT), "", "reply",
				    strcmp(channel, "whatsapp") == 0 ? "whatsapp" : "sms");
	}
	freeReplyObject(r);
}

/* Messages to persons (list ends with 0) from a producer writing straight to the outbox. */
static void
send_to(const int *who, const char *campaign, const char *kind, bool by_contact)
{
	for (const int *n = who; *n != 0; n++) {
		char id[64];

		snprintf(id, sizeof id, "%s-%d", campaign, *n);
		if (by_contact)
			harness_xadd(S.h, "bulk", "id", id, "contact", S.p[*n].id, "text", "Offre de formation",
			    "campaign", campaign, "kind", kind, NULL);
		else
			harness_xadd(S.h, "bulk", "id", id, "to", S.p[*n].number, "text", "Forum de l'emploi",
			    "campaign", campaign, "kind", kind, NULL);
	}
}

/* Waits for n more log events of state (counted from before). */
static void
wait_log(const char *state, long long before, long long n)
{
	assert_true(harness_wait_log(S.h, state, before + n, 30000) >= before + n);
}

static long
api(const char *method, const char *path, const char *auth, const char *body, json_t **ans)
{
	return harness_api(harness_gateway_port(S.h), method, path, auth, body != NULL ? "application/json" : NULL,
	    body, body != NULL ? strlen(body) : 0, NULL, ans);
}

/* A file of the run directory, whole (the caller frees it). */
static char *
slurp(const char *name)
{
	char path[600], *text;
	FILE *f;
	long len;

	snprintf(path, sizeof path, "%s/%s", S.h->dir, name);
	assert_non_null(f = fopen(path, "rb"));
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	fseek(f, 0, SEEK_SET);
	text = calloc(1, (size_t)len + 1);
	assert_int_equal(fread(text, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	return text;
}

/* --- the scenario ---------------------------------------------------------------------- */

/* A local date n quarters back from today (the middle of that quarter), and its quarter's label. */
static void
quarter_back(int n, char day[32], char label[32])
{
	time_t t = time(NULL);
	struct tm tm;
	int q;

	localtime_r(&t, &tm);
	q = tm.tm_year * 4 + tm.tm_mon / 3 - n;
	snprintf(day, 32, "%04d-%02d-14", q / 4 + 1900, (q % 4) * 3 + 2);
	snprintf(label, 32, "%04d-Q%d", q / 4 + 1900, q % 4 + 1);
}

static void
import_people(void)
{
	static const char *const rows[NPEOPLE + 1] = { NULL, "f,Casablanca,fr", "m,Casablanca,ar", "f,Rabat,ary",
		"x,Rabat,fr", "m,Oujda,ary-Latn", ",Casablanca,fr", "f,وجدة,ar", "m,Rabat,fr", "f,Casablanca,ar",
		"f,Oujda,fr", "m,Casablanca,ary", "m,Rabat,fr", NULL };
	char csv[2048];
	size_t len = (size_t)snprintf(csv, sizeof csv, "phone,sex,city,locale,consent,channel\n");
	json_t *ans = NULL;

	for (int n = 1; n <= NPEOPLE; n++) {
		snprintf(S.p[n].number, sizeof S.p[n].number, "+2126110000%02d", n);
		harness_person(S.p[n].number, S.p[n].id);
		if (rows[n] != NULL)
			len += (size_t)snprintf(csv + len, sizeof csv - len, "0%s,%s,oui,%s\n", S.p[n].number + 4,
			    rows[n], n == 9 ? "whatsapp" : "sms");
	}
	assert_int_equal(harness_api(harness_gateway_port(S.h), "POST", "/v1/contacts/import", AGENT, "text/csv", csv,
			     len, NULL, &ans),
	    200);
	json_decref(ans);
}

static void
run_scenario(void)
{
	char ta[64], tb[64];
	long long before;

	quarter_back(2, S.day[PH_A], S.period[PH_A]);
	quarter_back(1, S.day[PH_B], S.period[PH_B]);
	quarter_back(0, S.day[PH_C], S.period[PH_C]);
	{
		time_t t = time(NULL);
		struct tm tm;

		localtime_r(&t, &tm);
		strftime(S.day[PH_C], sizeof S.day[PH_C], "%Y-%m-%d", &tm);
	}
	snprintf(ta, sizeof ta, "%s 10:00:00", S.day[PH_A]);
	snprintf(tb, sizeof tb, "%s 10:00:00", S.day[PH_B]);

	/* Quarter A: a training offer from a producer of its own, to eight people. */
	gateway_run(ta);
	import_people();
	sandbox_config("callbacks=delivered,read");
	before = harness_log_count(S.h, "read");
	send_to((const int[]){ 1, 2, 3, 0 }, "trainA", "training_offer", true);
	wait_log("read", before, 3);
	/* Statuses out of order and twice. */
	sandbox_config("callbacks=read,delivered,delivered");
	before = harness_log_count(S.h, "read");
	send_to((const int[]){ 4, 5, 6, 0 }, "trainA", "training_offer", true);
	wait_log("read", before, 3);
	sandbox_config("callbacks=undelivered=30003");
	before = harness_log_count(S.h, "undelivered");
	send_to((const int[]){ 7, 8, 0 }, "trainA", "training_offer", true);
	wait_log("undelivered", before, 2);
	for (int n = 1; n <= 6; n++)
		add(n, PH_A, SENT_READ, "trainA", "training_offer", "sms");
	add(7, PH_A, B(M_SENT), "trainA", "training_offer", "sms");
	add(8, PH_A, B(M_SENT), "trainA", "training_offer", "sms");
	sandbox_config("callbacks=none");
	say(1, "sms", "formation");
	/* Choosing training tags them referred:entraide ([replies] tags.training's default). */
	add(1, PH_A, B(M_REPLIED) | B(M_INFORMED) | B(M_REFERRED), "trainA", "training_offer", "sms");
	say(2, "sms", "STOP");
	add(2, PH_A, B(M_REPLIED) | B(M_OPTED_OUT), "trainA", "training_offer", "sms");
	say(4, "sms", "Salut, merci beaucoup");
	add(4, PH_A, B(M_REPLIED), "trainA", "training_offer", "sms");
	say(7, "sms", "bonjour");
	add(7, PH_A, B(M_REPLIED), "trainA", "training_offer", "sms");
	answers(PH_A);
	{
		char path[128];
		json_t *ans = NULL;

		snprintf(path, sizeof path, "/v1/contacts/%s", S.p[3].id);
		assert_int_equal(harness_api(harness_gateway_port(S.h), "PATCH", path, AGENT, "application/json",
				     "{\"tags\":[\"referred:anapec\"]}", 28, NULL, &ans),
		    200);
		json_decref(ans);
		add(3, PH_A, B(M_REFERRED), "trainA", "training_offer", "sms");
	}
	gateway_stop();

	/* Quarter B: a residency follow-up; p9 has written on WhatsApp, so theirs goes by WhatsApp. */
	gateway_run(tb);
	say(9, "whatsapp", "salam");
	sandbox_config("callbacks=delivered&delay=1&delay_ms=1500");
	before = harness_log_count(S.h, "delivered");
	send_to((const int[]){ 1, 5, 9, 10, 11, 0 }, "resB", "residency_followup", true);
	/* Killed while the provider holds every request: each message is sent again by the next gateway. */
	harness_sleep_ms(700);
	harness_gateway_signal(S.h, SIGKILL);
	harness_gateway_wait(S.h, 5000);
	sandbox_config("delay=0");
	gateway_run(tb);
	wait_log("delivered", before, 5);
	assert_true(harness_hget_ll(S.h, HARNESS_PREFIX "stats", "resent") >= 1);
	add(1, PH_B, SENT_DELIVERED, "resB", "residency_followup", "sms");
	add(5, PH_B, SENT_DELIVERED, "resB", "residency_followup", "sms");
	add(9, PH_B, SENT_DELIVERED, "resB", "residency_followup", "whatsapp");
	add(10, PH_B, SENT_DELIVERED, "resB", "residency_followup", "sms");
	add(11, PH_B, SENT_DELIVERED, "resB", "residency_followup", "sms");
	sandbox_config("callbacks=none");
	{
		char path[128];
		json_t *ans = NULL;

		/* Erased on request midway: what they were counted in stays, as a person of unknown sex, city, language. */
		snprintf(path, sizeof path, "/v1/contacts/%s", S.p[10].id);
		assert_int_equal(api("DELETE", path, ADMIN, NULL, &ans), 200);
		json_decref(ans);
	}
	say(5, "sms", "travail");
	add(5, PH_B, B(M_REPLIED) | B(M_INFORMED) | B(M_REFERRED), "resB", "residency_followup", "sms");
	say(11, "sms", "stop");
	add(11, PH_B, B(M_REPLIED) | B(M_OPTED_OUT), "resB", "residency_followup", "sms");
	say(9, "whatsapp", "choukran");
	add(9, PH_B, B(M_REPLIED), "resB", "residency_followup", "whatsapp");
	answers(PH_B);
	gateway_stop();

	/* Today: another system writes an event's invitation straight to the outbox, to numbers. */
	gateway_run(NULL);
	sandbox_config("callbacks=delivered,delivered");
	before = harness_log_count(S.h, "delivered");
	send_to((const int[]){ 3, 13, 0 }, "ext-forum", "event", false);
	wait_log("delivered", before, 2);
	add(3, PH_C, SENT_DELIVERED, "ext-forum", "event", "sms");
	add(13, PH_C, SENT_DELIVERED, "ext-forum", "event", "sms");
	/* p9 reads quarter B's WhatsApp message only today: read (and so delivered and reached) today, as Meta says it. */
	{
		char *pid = harness_msg_field(S.h, "resB-9", "provider_id"), body[4096], sig[80], hsig[120];
		struct harness_http hc = { 0 };
		long long read_before = harness_log_count(S.h, "read");

		assert_non_null(pid);
		snprintf(body, sizeof body,
		    "{\"object\":\"whatsapp_business_account\",\"entry\":[{\"id\":\"1\",\"changes\":[{\"field\":"
		    "\"messages\",\"value\":{\"messaging_product\":\"whatsapp\",\"metadata\":{\"display_phone_number\":"
		    "\"212500000000\",\"phone_number_id\":\"1234567890\"},\"statuses\":[{\"id\":\"%s\",\"status\":"
		    "\"read\",\"timestamp\":\"%lld\",\"recipient_id\":\"%s\"}]}}]}]}",
		    pid, (long long)time(NULL), S.p[9].number + 1);
		free(pid);
		harness_sign_meta(APP_SECRET, body, strlen(body), sig);
		snprintf(hsig, sizeof hsig, "X-Hub-Signature-256: %s", sig);
		{
			const char *hdr[] = { "Content-Type: application/json", hsig, NULL };

			assert_int_equal(harness_request(&hc, harness_gateway_port(S.h), "POST", "/webhooks/whatsapp",
					     hdr, body, strlen(body), NULL),
			    200);
		}
		harness_http_close(&hc);
		wait_log("read", read_before, 1);
		add(9, PH_C, SENT_READ & ~B(M_SENT), "resB", "residency_followup", "whatsapp");
	}
	/* And a campaign of the gateway's own, made through the API, to the people of Rabat (p12's first message). */
	{
		char body[1024], at[40], path[128];
		json_t *ans = NULL;
		time_t t = time(NULL);
		struct tm tm;

		gmtime_r(&t, &tm);
		strftime(at, sizeof at, "%Y-%m-%dT%H:%M:%SZ", &tm);
		snprintf(body, sizeof body,
		    "{\"name\": \"Atelier CV Rabat\", \"kind\": \"event\", \"audience\": {\"city\": [\"Rabat\"]}, "
		    "\"texts\": {\"fr\": \"Atelier CV demain à Rabat\", \"ar\": \"ورشة السيرة الذاتية غدا\", \"ary\": "
		    "\"ورشة "
		    "CV غدا\", \"ary-Latn\": \"Atelier CV ghedda f Rabat\", \"en\": \"CV workshop tomorrow\"}, "
		    "\"start_at\": \"%s\", \"channel\": \"sms\"}",
		    at);
		assert_int_equal(api("POST", "/v1/campaigns", AGENT, body, &ans), 201);
		snprintf(S.campaign, sizeof S.campaign, "%s", json_string_value(json_object_get(ans, "id")));
		json_decref(ans);
		snprintf(path, sizeof path, "/v1/campaigns/%s/schedule", S.campaign);
		before = harness_log_count(S.h, "delivered");
		assert_int_equal(api("POST", path, AGENT, NULL, &ans), 200);
		json_decref(ans);
		wait_log("delivered", before, 4);
		for (int n = 1; n <= NPEOPLE; n++)
			if (n == 3 || n == 4 || n == 8 || n == 12)
				add(n, PH_C, SENT_DELIVERED, S.campaign, "event", "sms");
	}
	harness_sleep_ms(500);
}

/* Each person's sex, city and locale as their contact record says at the end ("" when none). */
static void
read_people(void)
{
	for (int n = 1; n <= NPEOPLE; n++) {
		static const char *const f[] = { "sex", "city", "locale" };
		char *dst[] = { S.p[n].sex, S.p[n].city, S.p[n].locale };
		size_t len[] = { sizeof S.p[n].sex, sizeof S.p[n].city, sizeof S.p[n].locale };

		for (int k = 0; k < 3; k++) {
			redisReply *r = harness_cmd(S.h, "HGET " HARNESS_PREFIX "contact:%s %s", S.p[n].id, f[k]);

			snprintf(dst[k], len[k], "%s", r->type == REDIS_REPLY_STRING ? r->str : "");
			freeReplyObject(r);
		}
	}
}

static int
setup(void **state)
{
	memset(&S, 0, sizeof S);
	S.h = calloc(1, sizeof *S.h);
	harness_init(S.h, "reach");
	harness_redis_start(S.h, false);
	{
		char wa[160], tw[160];
		int gp = harness_gateway_port(S.h);

		snprintf(wa, sizeof wa, "http://127.0.0.1:%d/webhooks/whatsapp", gp);
		snprintf(tw, sizeof tw, "http://127.0.0.1:%d/webhooks/twilio/inbound", gp);
		const char *args[] = { "--wa-webhook", wa, "--wa-app-secret", APP_SECRET, "--wa-token", WA_TOKEN,
			"--twilio-inbound", tw, "--wa-phone-number-id", "1234567890", NULL };

		harness_sandbox_start(S.h, args);
	}
	run_scenario();
	read_people();
	*state = S.h;
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	return harness_finish(S.h, 15000);
}

/* --- what the scenario says the counts are ------------------------------------------------ */

static const char *
sex_name(const char *s)
{
	return strcmp(s, "f") == 0 ? "female"
	    : strcmp(s, "m") == 0  ? "male"
	    : strcmp(s, "x") == 0  ? "other"
				   : "unknown";
}

/* The value of dimension d for event e ("" for unknown). */
static const char *
dim_of(const struct event *e, const char *d)
{
	const struct person *p = &S.p[e->person];

	if (strcmp(d, "campaign") == 0)
		return e->campaign;
	if (strcmp(d, "kind") == 0)
		return e->kind;
	if (strcmp(d, "channel") == 0)
		return e->channel;
	if (strcmp(d, "sex") == 0)
		return sex_name(p->sex);
	if (strcmp(d, "city") == 0)
		return p->city;
	if (strcmp(d, "locale") == 0)
		return p->locale;
	return S.period[e->phase];
}

/* A row's key: its values of the by-dimensions, joined. */
static void
key_of(const char *const *by, size_t nby, const char *const *vals, char *out, size_t len)
{
	size_t n = 0;

	out[0] = '\0';
	for (size_t i = 0; i < nby; i++)
		n += (size_t)snprintf(out + n, len - n, "%s|", vals[i]);
	(void)by;
}

/*
 * The expected rows of a question over phases [p0, p1], by dims, filtered
 * by (dim, value) when fdim is set: {key: {metric: count}}, counting each
 * person once per row.
 */
static json_t *
expected(int p0, int p1, const char *const *by, size_t nby, const char *fdim, const char *fval)
{
	json_t *rows = json_object(), *sets = json_object();
	const char *vals[8];
	char key[512], pk[8];
	const char *k;
	json_t *v;

	for (size_t i = 0; i < S.nev; i++) {
		const struct event *e = &S.ev[i];

		if (e->phase < p0 || e->phase > p1 || (fdim != NULL && strcmp(dim_of(e, fdim), fval) != 0))
			continue;
		for (size_t d = 0; d < nby; d++)
			vals[d] = dim_of(e, by[d]);
		key_of(by, nby, vals, key, sizeof key);
		for (int m = 0; m < M_COUNT; m++) {
			json_t *row, *set;

			if (!(e->metrics & B(m)))
				continue;
			if ((row = json_object_get(sets, key)) == NULL)
				json_object_set_new(sets, key, row = json_object());
			if ((set = json_object_get(row, metric_names[m])) == NULL)
				json_object_set_new(row, metric_names[m], set = json_object());
			snprintf(pk, sizeof pk, "%d", e->person);
			json_object_set_new(set, pk, json_true());
		}
	}
	json_object_foreach(sets, k, v)
	{
		json_t *row = json_object();

		for (int m = 0; m < M_COUNT; m++)
			json_object_set_new(row, metric_names[m],
			    json_integer((json_int_t)json_object_size(json_object_get(v, metric_names[m]))));
		json_object_set_new(rows, k, row);
	}
	json_decref(sets);
	return rows;
}

/* Asks /v1/reach and checks every row and the totals against the scenario. */
static void
check(const char *query, int p0, int p1, const char *const *by, size_t nby, const char *fdim, const char *fval)
{
	char path[512], key[512];
	json_t *ans = NULL, *want = expected(p0, p1, by, nby, fdim, fval), *tot = expected(p0, p1, NULL, 0, fdim, fval);
	json_t *row;
	size_t i;

	snprintf(path, sizeof path, "/v1/reach?%s", query);
	assert_int_equal(api("GET", path, MONITORING, NULL, &ans), 200);
	json_array_foreach(json_object_get(ans, "rows"), i, row)
	{
		const char *vals[8];
		json_t *w;

		for (size_t d = 0; d < nby; d++)
			vals[d] = json_string_value(json_object_get(row, by[d]));
		key_of(by, nby, vals, key, sizeof key);
		w = json_object_get(want, key);
		if (w == NULL)
			fail_msg("%s: row %s not in the scenario", query, key);
		for (int m = 0; m < M_COUNT; m++) {
			long long got = json_integer_value(json_object_get(row, metric_names[m]));
			long long exp = json_integer_value(json_object_get(w, metric_names[m]));

			if (got != exp)
				fail_msg("%s: row %s %s: %lld, the scenario says %lld", query, key, metric_names[m],
				    got, exp);
		}
		json_object_del(want, key);
	}
	if (json_object_size(want) > 0) {
		const char *k;
		json_t *v;

		json_object_foreach(want, k, v) fail_msg("%s: row %s missing", query, k);
	}
	{
		json_t *t = json_object_get(ans, "totals"), *w = json_object_get(tot, "");

		for (int m = 0; m < M_COUNT; m++) {
			long long got = json_integer_value(json_object_get(t, metric_names[m]));
			long long exp = w != NULL ? json_integer_value(json_object_get(w, metric_names[m])) : 0;

			if (got != exp)
				fail_msg(
				    "%s: total %s: %lld, the scenario says %lld", query, metric_names[m], got, exp);
		}
	}
	json_decref(want);
	json_decref(tot);
	json_decref(ans);
}

static void
test_counts_equal_the_scenario(void **state)
{
	static const char *const none[] = { NULL };
	static const char *const by_q[] = { "period" };
	static const char *const by_ks[] = { "kind", "sex" };
	static const char *const by_c[] = { "campaign" };
	static const char *const by_cl[] = { "city", "locale" };
	static const char *const by_ch_sex_q[] = { "channel", "sex", "period" };
	char q[512], from[32];

	(void)state;
	/* The quarter of A starts at its first month: quarter_back() put the day in the middle month. */
	snprintf(from, sizeof from, "%.5s%02d-01", S.day[PH_A], (atoi(S.day[PH_A] + 5) - 1) % 100);
	/* Everything: a person reached by two campaigns is one person in the total. */
	snprintf(q, sizeof q, "from=%s&to=%s", from, S.day[PH_C]);
	check(q, PH_A, PH_C, none, 0, NULL, NULL);
	snprintf(q, sizeof q, "from=%s&to=%s&period=quarter&by=period", from, S.day[PH_C]);
	check(q, PH_A, PH_C, by_q, 1, NULL, NULL);
	snprintf(q, sizeof q, "from=%s&to=%s&by=kind,sex", from, S.day[PH_C]);
	check(q, PH_A, PH_C, by_ks, 2, NULL, NULL);
	snprintf(q, sizeof q, "from=%s&to=%s&by=campaign", from, S.day[PH_C]);
	check(q, PH_A, PH_C, by_c, 1, NULL, NULL);
	snprintf(q, sizeof q, "from=%s&to=%s&by=city,locale", from, S.day[PH_C]);
	check(q, PH_A, PH_C, by_cl, 2, NULL, NULL);
	snprintf(q, sizeof q, "from=%s&to=%s&period=quarter&by=channel,sex,period", from, S.day[PH_C]);
	check(q, PH_A, PH_C, by_ch_sex_q, 3, NULL, NULL);
	/* One quarter alone, and filters. */
	snprintf(q, sizeof q, "from=%s&to=%s&by=kind,sex", from, S.day[PH_A]);
	check(q, PH_A, PH_A, by_ks, 2, NULL, NULL);
	snprintf(q, sizeof q, "from=%s&to=%s&by=kind&sex=female", from, S.day[PH_C]);
	check(q, PH_A, PH_C, by_ks, 1, "sex", "female");
	snprintf(q, sizeof q, "from=%s&to=%s&by=sex&city=Casablanca", from, S.day[PH_C]);
	check(q, PH_A, PH_C, by_ks + 1, 1, "city", "Casablanca");
	snprintf(q, sizeof q, "from=%s&to=%s&by=sex&campaign=resB", from, S.day[PH_C]);
	check(q, PH_A, PH_C, by_ks + 1, 1, "campaign", "resB");
	/* One referral alone: to ANAPEC p3 (an agent's tag, quarter A) and p5 (the employment topic, B); to Entraide p1. */
	{
		static const struct {
			const char *referral, *period;
			long long n;
		} want[] = { { "anapec", "", 2 }, { "referred:entraide", "", 1 }, { "anapec", "A", 1 },
			{ "anapec", "B", 1 } };
		json_t *ans = NULL;

		for (size_t k = 0; k < sizeof want / sizeof want[0]; k++) {
			const char *to = want[k].period[0] == 'A' ? S.day[PH_A] : S.day[PH_C];
			char f2[32];

			snprintf(f2, sizeof f2, "%s", from);
			if (want[k].period[0] == 'B')
				snprintf(f2, sizeof f2, "%.5s%02d-01", S.day[PH_B], (atoi(S.day[PH_B] + 5) - 1) % 100);
			snprintf(q, sizeof q, "/v1/reach?from=%s&to=%s&referral=%s", f2, to, want[k].referral);
			assert_int_equal(api("GET", q, MONITORING, NULL, &ans), 200);
			if (json_integer_value(json_object_get(json_object_get(ans, "totals"), "referred")) !=
			    want[k].n)
				fail_msg("%s: referred %lld, the scenario says %lld", q,
				    (long long)json_integer_value(
					json_object_get(json_object_get(ans, "totals"), "referred")),
				    want[k].n);
			/* The other indicators are as without it. */
			assert_true(json_integer_value(json_object_get(json_object_get(ans, "totals"), "sent")) > 0);
			json_decref(ans);
		}
	}
}

/* The cells of a spreadsheet LibreOffice wrote as flat XML: "f:<value>" for a number, "s:<text>" for text, "" empty. */
static size_t
fods_cells(const char *xml, char cells[][128], size_t max, size_t *ncols)
{
	const char *p = strstr(xml, "<table:table "), *row_end;
	size_t n = 0, cols = 0;

	while (p != NULL && (p = strstr(p, "<table:table-row")) != NULL && n < max) {
		size_t c = 0;

		row_end = strstr(p, "</table:table-row>");
		if (row_end == NULL)
			break;
		for (const char *q = strstr(p, "<table:table-cell"); q != NULL && q < row_end && n < max;
		     q = strstr(q + 1, "<table:table-cell")) {
			const char *tag_end = strchr(q, '>'), *t, *rep = strstr(q, "table:number-columns-repeated=\"");
			int times = rep != NULL && rep < tag_end ? atoi(rep + 31) : 1;

			cells[n][0] = '\0';
			if (strstr(q, "office:value-type=\"float\"") != NULL &&
			    strstr(q, "office:value-type=\"float\"") < tag_end) {
				t = strstr(q, "office:value=\"") + 14;
				snprintf(cells[n], 128, "f:%.*s", (int)(strchr(t, '"') - t), t);
			} else if (tag_end[-1] != '/' && (t = strstr(q, "<text:p>")) != NULL && t < row_end) {
				t += 8;
				snprintf(cells[n], 128, "s:%.*s", (int)(strstr(t, "</text:p>") - t), t);
			}
			/* LibreOffice writes equal cells side by side as one, repeated. */
			for (int k = 1; k < times && k < 64 && n + 1 < max; k++, n++, c++)
				memcpy(cells[n + 1], cells[n], 128);
			n++;
			c++;
		}
		if (c > cols)
			cols = c;
		p = row_end;
	}
	*ncols = cols;
	return n;
}

/* The CSV for French Excel, opened by LibreOffice: Arabic labels and numbers come out as they went in. */
static void
test_csv_through_a_spreadsheet(void **state)
{
	char path[512], csv[600], cmd[2048], from[32];
	struct harness_http hc = { 0 };
	char *body = NULL;
	json_t *ans = NULL, *row;
	char(*cells)[128] = calloc(512, 128);
	size_t i, n, cols;
	FILE *f;
	char *xml;

	(void)state;
	snprintf(from, sizeof from, "%.5s%02d-01", S.day[PH_A], (atoi(S.day[PH_A] + 5) - 1) % 100);
	snprintf(path, sizeof path, "/v1/reach?from=%s&to=%s&by=city,sex&format=csv&sep=%%3B", from, S.day[PH_C]);
	{
		const char *hdr[] = { "Authorization: " MONITORING, NULL };

		assert_int_equal(
		    harness_request(&hc, harness_gateway_port(S.h), "GET", path, hdr, NULL, 0, &body), 200);
		harness_http_close(&hc);
	}
	assert_true(strlen(body) > 3 && memcmp(body, "\xef\xbb\xbf", 3) == 0);
	assert_non_null(strstr(body, "\r\n"));
	snprintf(csv, sizeof csv, "%s/reach.csv", S.h->dir);
	f = fopen(csv, "wb");
	fwrite(body, 1, strlen(body), f);
	fclose(f);
	free(body);
	/* ';', '"', UTF-8 (76), from the first line: what French Excel's "CSV UTF-8" means. */
	snprintf(cmd, sizeof cmd,
	    "HOME=%s/lo timeout 120 soffice --headless --norestore --convert-to fods --infilter=CSV:59,34,76,1 "
	    "--outdir %s %s >%s/soffice.log 2>&1",
	    S.h->dir, S.h->dir, csv, S.h->dir);
	assert_int_equal(system(cmd), 0);
	xml = slurp("reach.fods");
	n = fods_cells(xml, cells, 512, &cols);
	free(xml);
	assert_string_equal(cells[0], "s:city");
	assert_string_equal(cells[1], "s:sex");
	assert_string_equal(cells[2], "s:sent");
	/* Each JSON row is a spreadsheet row: labels as text (Arabic intact), counts as numbers. */
	snprintf(path, sizeof path, "/v1/reach?from=%s&to=%s&by=city,sex", from, S.day[PH_C]);
	assert_int_equal(api("GET", path, MONITORING, NULL, &ans), 200);
	json_array_foreach(json_object_get(ans, "rows"), i, row)
	{
		const char *city = json_string_value(json_object_get(row, "city"));
		char want[128], got_sent[128];
		bool found = false;

		snprintf(want, sizeof want, "s:%s", *city != '\0' ? city : "unknown");
		for (size_t r = 1; r * cols < n && !found; r++) {
			char sx[64];

			snprintf(sx, sizeof sx, "s:%s", json_string_value(json_object_get(row, "sex")));
			if (strcmp(cells[r * cols], want) == 0 && strcmp(cells[r * cols + 1], sx) == 0) {
				found = true;
				snprintf(got_sent, sizeof got_sent, "f:%lld",
				    (long long)json_integer_value(json_object_get(row, "sent")));
				assert_string_equal(cells[r * cols + 2], got_sent);
			}
		}
		if (!found)
			fail_msg(
			    "row %s %s not in the spreadsheet", want, json_string_value(json_object_get(row, "sex")));
	}
	json_decref(ans);
	{
		bool arabic = false;

		for (size_t k = 0; k < n; k++)
			arabic = arabic || strcmp(cells[k], "s:وجدة") == 0;
		assert_true(arabic);
	}
	free(cells);
}

/* DHIS2's dataValueSets: every value as the scenario and the mapping make it, and nothing unmapped dropped. */
static void
test_dhis2_export(void **state)
{
	static const char *const by[] = { "period", "sex", "city" };
	static const struct {
		const char *metric, *de;
	} mapped[] = { { "reached", "deReached01" }, { "informed", "deInform001" }, { "referred", "deRefer0001" } };
	static const char *const sexes[] = { "female", "male", "other", "unknown" };
	static const char *const cocs[] = { "cocFemale01", "cocMale0001", "cocOther001", "cocUnknown1" };
	char path[512], from[32], to[32];
	json_t *ans = NULL, *want = expected(PH_A, PH_B, by, 3, NULL, NULL), *v, *expect = json_array(),
	       *got = json_array();
	const char *k;
	size_t i;

	(void)state;
	snprintf(from, sizeof from, "%.5s%02d-01", S.day[PH_A], (atoi(S.day[PH_A] + 5) - 1) % 100);
	/* The end of quarter B: its last month's last day. */
	{
		int y = atoi(S.day[PH_B]), m = atoi(S.day[PH_B] + 5) + 1;
		static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

		snprintf(to, sizeof to, "%04d-%02d-%02d", y % 10000, m % 100, mdays[(m - 1) % 12]);
	}
	/* Oujda and the unknown city have no org unit: refused, each cell named, unless asked to leave them out. */
	snprintf(
	    path, sizeof path, "/v1/reach?from=%s&to=%s&period=quarter&by=period,sex,city&format=dhis2-json", from, to);
	assert_int_equal(api("GET", path, MONITORING, NULL, &ans), 422);
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(ans, "error"), "code")), "unmapped_cells");
	assert_true(json_array_size(json_object_get(json_object_get(ans, "error"), "cells")) > 0);
	json_decref(ans);
	snprintf(path, sizeof path,
	    "/v1/reach?from=%s&to=%s&period=quarter&by=period,sex,city&city=Casablanca,Rabat&format=dhis2-json", from,
	    to);
	assert_int_equal(api("GET", path, MONITORING, NULL, &ans), 422); /* sent, read… have no data element */
	json_decref(ans);
	strncat(path, "&unmapped=skip", sizeof path - strlen(path) - 1);
	assert_int_equal(api("GET", path, MONITORING, NULL, &ans), 200);
	assert_string_equal(json_string_value(json_object_get(ans, "dataSet")), "dsAmuddu001");
	json_object_foreach(want, k, v)
	{
		char period[16], sex[16], city[64], line[256];
		const char *ou = NULL, *coc = NULL;

		if (sscanf(k, "%15[^|]|%15[^|]|%63[^|]|", period, sex, city) != 3)
			continue;
		ou = strcmp(city, "Casablanca") == 0 ? "ouCasa00001"
		    : strcmp(city, "Rabat") == 0     ? "ouRabat0001"
						     : NULL;
		if (ou == NULL)
			continue;
		for (int s = 0; s < 4; s++)
			if (strcmp(sex, sexes[s]) == 0)
				coc = cocs[s];
		for (size_t m = 0; m < 3; m++) {
			long long n = json_integer_value(json_object_get(v, mapped[m].metric));

			if (n == 0)
				continue;
			/* "2026-Q3" is DHIS2's "2026Q3". */
			snprintf(
			    line, sizeof line, "%s %.4s%s %s %s %lld", mapped[m].de, period, period + 5, ou, coc, n);
			json_array_append_new(expect, json_string(line));
		}
	}
	json_array_foreach(json_object_get(ans, "dataValues"), i, v)
	{
		char line[256];

		snprintf(line, sizeof line, "%s %s %s %s %s", json_string_value(json_object_get(v, "dataElement")),
		    json_string_value(json_object_get(v, "period")), json_string_value(json_object_get(v, "orgUnit")),
		    json_string_value(json_object_get(v, "categoryOptionCombo")),
		    json_string_value(json_object_get(v, "value")));
		json_array_append_new(got, json_string(line));
	}
	{
		char *a = json_dumps(expect, JSON_SORT_KEYS), *b = json_dumps(got, JSON_SORT_KEYS);

		/* Same values, in any order. */
		assert_int_equal(json_array_size(expect), json_array_size(got));
		json_array_foreach(expect, i, v)
		{
			bool found = false;
			json_t *w;
			size_t j;

			json_array_foreach(got, j, w) found = found || json_equal(v, w);
			if (!found)
				fail_msg("DHIS2 value %s missing; got %s (expected %s)", json_string_value(v), b, a);
		}
		free(a);
		free(b);
	}
	json_decref(ans);
	json_decref(want);
	json_decref(expect);
	json_decref(got);
	/* DHIS2's CSV: its header and column order. */
	snprintf(path, sizeof path,
	    "/v1/"
	    "reach?from=%s&to=%s&period=quarter&by=period,sex,city&city=Casablanca,Rabat&format=dhis2-csv&unmapped="
	    "skip",
	    from, to);
	{
		struct harness_http hc = { 0 };
		char *body = NULL;
		const char *hdr[] = { "Authorization: " MONITORING, NULL };

		assert_int_equal(
		    harness_request(&hc, harness_gateway_port(S.h), "GET", path, hdr, NULL, 0, &body), 200);
		harness_http_close(&hc);
		if (strncmp(body, "dataelement,period,orgunit,categoryoptioncombo,attributeoptioncombo,value", 73) != 0)
			fail_msg("DHIS2 CSV begins: %.200s", body);
		assert_non_null(strstr(body, "deReached01,"));
		free(body);
	}
}

/* A campaign's funnel: people at each step as the scenario has them, and why messages did not arrive. */
static void
test_funnel(void **state)
{
	json_t *ans = NULL, *people, *why, *row;
	size_t i;

	(void)state;
	assert_int_equal(api("GET", "/v1/reach/funnel?campaign=trainA", MONITORING, NULL, &ans), 200);
	people = json_object_get(ans, "people");
	assert_int_equal(json_integer_value(json_object_get(people, "sent")), 8);
	assert_int_equal(json_integer_value(json_object_get(people, "delivered")), 6);
	assert_int_equal(json_integer_value(json_object_get(people, "read")), 6);
	assert_int_equal(json_integer_value(json_object_get(people, "replied")), 4);
	assert_int_equal(json_integer_value(json_object_get(people, "informed")), 1);
	assert_int_equal(json_integer_value(json_object_get(people, "referred")), 2);
	assert_int_equal(json_integer_value(json_object_get(people, "opted_out")), 1);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(ans, "messages"), "undelivered")), 2);
	why = json_object_get(
	    json_object_get(json_object_get(ans, "not_sent_or_not_delivered"), "undelivered"), "unreachable");
	assert_int_equal(json_integer_value(json_object_get(why, "count")), 2);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(why, "codes"), "twilio 30003")), 2);
	json_decref(ans);
	/* The gateway's own campaign: its audience and who was left out come with it, and its name. */
	{
		char path[128];

		snprintf(path, sizeof path, "/v1/reach/funnel?campaign=%s", S.campaign);
		assert_int_equal(api("GET", path, MONITORING, NULL, &ans), 200);
		assert_int_equal(json_integer_value(json_object_get(json_object_get(ans, "audience"), "audience")), 4);
		assert_int_equal(
		    json_integer_value(json_object_get(json_object_get(ans, "audience"), "recipients")), 4);
		assert_int_equal(json_integer_value(json_object_get(json_object_get(ans, "people"), "delivered")), 4);
		json_decref(ans);
		assert_int_equal(
		    api("GET", "/v1/reach?from=2020-01-01&by=campaign&kind=event", MONITORING, NULL, &ans), 200);
		json_array_foreach(json_object_get(ans, "rows"), i, row)
		{
			if (strcmp(json_string_value(json_object_get(row, "campaign")), S.campaign) == 0)
				assert_string_equal(
				    json_string_value(json_object_get(row, "campaign_name")), "Atelier CV Rabat");
		}
		json_decref(ans);
	}
	assert_int_equal(api("GET", "/v1/reach/funnel?campaign=nothing-like-it", MONITORING, NULL, &ans), 404);
	json_decref(ans);
	assert_int_equal(api("GET", "/v1/reach/funnel?campaign=trainA", AGENT, NULL, &ans), 403);
	json_decref(ans);
}

/*
 * GET /v1/reach?query as the console's <img> gets it, by curl: the status;
 * the headers and body in chart.h and chart.svg of the run directory.
 */
static long
chart(const char *query, const char *auth)
{
	char cmd[1400], *code;
	long status;

	snprintf(cmd, sizeof cmd,
	    "curl -s -o %s/chart.svg -D %s/chart.h -w '%%{http_code}' -H 'Authorization: %s' "
	    "'http://127.0.0.1:%d/v1/reach?%s' > %s/chart.code",
	    S.h->dir, S.h->dir, auth, harness_gateway_port(S.h), query, S.h->dir);
	assert_int_equal(system(cmd), 0);
	code = slurp("chart.code");
	status = atol(code);
	free(code);
	return status;
}

/* The chart's <desc> as an XML parser reads it (xmllint); fails unless chart.svg is well-formed. */
static char *
chart_desc(void)
{
	char cmd[800], chunk[4096];
	struct buf out;
	FILE *p;
	size_t n;

	snprintf(cmd, sizeof cmd,
	    "xmllint --nonet --xpath 'string(/*[local-name()=\"svg\"]/*[local-name()=\"desc\"])' %s/chart.svg 2>&1",
	    S.h->dir);
	assert_non_null(p = popen(cmd, "r"));
	buf_init(&out);
	while ((n = fread(chunk, 1, sizeof chunk, p)) > 0)
		buf_append(&out, chunk, n);
	if (pclose(p) != 0)
		fail_msg("xmllint refused the chart: %s", out.data != NULL ? out.data : "");
	return buf_release(&out);
}

/* The charts the console shows: the scenario's numbers in them, headers for an <img>, roles. */
static void
test_svg_chart(void **state)
{
	static const char *const by_sex[] = { "sex" };
	static const char *const by_q[] = { "period" };
	static const struct {
		const char *sex, *label;
	} sexes[] = { { "female", "Femmes" }, { "male", "Hommes" }, { "other", "Autre" },
		{ "unknown", "Non renseigné" } };
	char q[512], from[32], want[256], cmd[1024], *h, *body, *desc;
	json_t *w, *ans = NULL;
	size_t checked = 0;

	(void)state;
	snprintf(from, sizeof from, "%.5s%02d-01", S.day[PH_A], (atoi(S.day[PH_A] + 5) - 1) % 100);
	snprintf(q, sizeof q, "from=%s&to=%s&by=sex&format=svg&lang=fr", from, S.day[PH_C]);
	assert_int_equal(chart(q, MONITORING), 200);
	h = slurp("chart.h");
	assert_non_null(strcasestr(h, "\nContent-Type: image/svg+xml; charset=utf-8\r\n"));
	assert_non_null(strcasestr(h, "\nX-Content-Type-Options: nosniff\r\n"));
	assert_non_null(strcasestr(h, "\nCache-Control: no-store\r\n"));
	free(h);
	body = slurp("chart.svg");
	assert_non_null(strstr(body, "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\""));
	assert_null(strstr(body, "<script"));
	assert_null(strstr(body, "style="));
	free(body);
	/* Each sex's people sent, reached and replied, in French, as the scenario counts them. */
	desc = chart_desc();
	w = expected(PH_A, PH_C, by_sex, 1, NULL, NULL);
	for (size_t i = 0; i < sizeof sexes / sizeof sexes[0]; i++) {
		json_t *row;

		snprintf(want, sizeof want, "%s|", sexes[i].sex);
		if ((row = json_object_get(w, want)) == NULL)
			continue;
		snprintf(want, sizeof want, " %s: Message envoyé %lld, Touchées %lld, Ont répondu %lld.",
		    sexes[i].label, (long long)json_integer_value(json_object_get(row, "sent")),
		    (long long)json_integer_value(json_object_get(row, "reached")),
		    (long long)json_integer_value(json_object_get(row, "replied")));
		if (strstr(desc, want) == NULL)
			fail_msg("'%s' not in the chart's desc: %s", want, desc);
		checked++;
	}
	assert_true(checked >= 3);
	json_decref(w);
	w = expected(PH_A, PH_C, NULL, 0, NULL, NULL);
	snprintf(want, sizeof want,
	    " Total (chaque personne une fois): Message envoyé %lld, Touchées %lld, Ont répondu %lld.",
	    (long long)json_integer_value(json_object_get(json_object_get(w, ""), "sent")),
	    (long long)json_integer_value(json_object_get(json_object_get(w, ""), "reached")),
	    (long long)json_integer_value(json_object_get(json_object_get(w, ""), "replied")));
	if (strstr(desc, want) == NULL)
		fail_msg("'%s' not in the chart's desc: %s", want, desc);
	json_decref(w);
	free(desc);
	/* Reached over the three quarters, in English. */
	snprintf(q, sizeof q, "from=%s&to=%s&period=quarter&by=period&indicators=reached&lang=en&format=svg", from,
	    S.day[PH_C]);
	assert_int_equal(chart(q, MONITORING), 200);
	desc = chart_desc();
	w = expected(PH_A, PH_C, by_q, 1, NULL, NULL);
	{
		long long n[PH_COUNT];

		for (int ph = 0; ph < PH_COUNT; ph++) {
			snprintf(want, sizeof want, "%s|", S.period[ph]);
			n[ph] = json_integer_value(json_object_get(json_object_get(w, want), "reached"));
		}
		snprintf(want, sizeof want, " Reached: %s %lld, %s %lld, %s %lld.", S.period[PH_A], n[PH_A],
		    S.period[PH_B], n[PH_B], S.period[PH_C], n[PH_C]);
	}
	if (strstr(desc, want) == NULL)
		fail_msg("'%s' not in the chart's desc: %s", want, desc);
	json_decref(w);
	free(desc);
	/* Not for an agent; not a breakdown a chart can draw. */
	assert_int_equal(chart(q, AGENT), 403);
	snprintf(q, sizeof q, "/v1/reach?from=%s&by=kind,sex&format=svg", from);
	assert_int_equal(api("GET", q, MONITORING, NULL, &ans), 422);
	assert_string_equal(json_string_value(json_object_get(json_object_get(ans, "error"), "field")), "by");
	json_decref(ans);
	/* The CLI writes the same chart to a file. */
	snprintf(cmd, sizeof cmd,
	    "AMUDDU_URL=http://127.0.0.1:%d AMUDDU_TOKEN=" HARNESS_MONITORING_SECRET
	    " %s/amuddu reach --from %s --to %s --by sex --format svg --lang ar --out %s/cli.svg 2>/dev/null",
	    harness_gateway_port(S.h), S.h->build, from, S.day[PH_C], S.h->dir);
	assert_int_equal(system(cmd), 0);
	body = slurp("cli.svg");
	assert_non_null(strstr(body, "xml:lang=\"ar\""));
	assert_non_null(strstr(body, "direction=\"rtl\">نساء</text>"));
	free(body);
}

/* The CLI's table and the gauges of /metrics; no personal data in any report. */
static void
test_cli_metrics_and_no_personal_data(void **state)
{
	char cmd[1024], out[600], line[1024];
	FILE *p;
	bool total = false;
	json_t *ans = NULL;
	char *all;

	(void)state;
	snprintf(out, sizeof out, "%s/reach.txt", S.h->dir);
	snprintf(cmd, sizeof cmd,
	    "AMUDDU_URL=http://127.0.0.1:%d AMUDDU_TOKEN=" HARNESS_MONITORING_SECRET
	    " %s/amuddu reach --from %.8s01 --to %s "
	    "--by kind > %s 2>&1",
	    harness_gateway_port(S.h), S.h->build, S.day[PH_C], S.day[PH_C], out);
	assert_int_equal(system(cmd), 0);
	p = fopen(out, "r");
	assert_non_null(p);
	{
		static const char *const by_k[] = { "kind" };
		json_t *w = expected(PH_C, PH_C, by_k, 0, NULL, NULL);
		char want[64];

		/* The table's last line: "total" and today's people sent, as the scenario has them. */
		snprintf(want, sizeof want, " %lld ",
		    (long long)json_integer_value(json_object_get(json_object_get(w, ""), "sent")));
		json_decref(w);
		while (fgets(line, sizeof line, p) != NULL)
			total = total || (strncmp(line, "total", 5) == 0 && strstr(line, want) != NULL);
	}
	fclose(p);
	assert_true(total);
	snprintf(cmd, sizeof cmd,
	    "AMUDDU_URL=http://127.0.0.1:%d AMUDDU_TOKEN=" HARNESS_MONITORING_SECRET
	    " %s/amuddu reach --verify > %s 2>&1",
	    harness_gateway_port(S.h), S.h->build, out);
	assert_int_equal(system(cmd), 0);
	/* Every breakdown at once: no number, no name, no pseudonym. */
	assert_int_equal(
	    api("GET", "/v1/reach?from=2020-01-01&by=campaign,kind,city,locale,channel,sex", MONITORING, NULL, &ans),
	    200);
	all = json_dumps(ans, 0);
	for (int n = 1; n <= NPEOPLE; n++) {
		assert_null(strstr(all, S.p[n].number + 4));
		assert_null(strstr(all, S.p[n].id));
	}
	free(all);
	json_decref(ans);
	/* The gauges are asked for a second after a gateway starts. */
	gateway_stop();
	gateway_run(NULL);
	harness_sleep_ms(2500);
	{
		static const char *const by_k[] = { "kind" };
		json_t *w = expected(PH_C, PH_C, by_k, 1, NULL, NULL);

		/* Only today's messages are of kind event. */
		assert_int_equal(harness_metric(S.h, "amuddu_reach_people{kind=\"event\",indicator=\"reached\"}"),
		    json_integer_value(json_object_get(json_object_get(w, "event|"), "reached")));
		json_decref(w);
	}
}

static void
test_verify_agrees_then_finds_corruption(void **state)
{
	json_t *ans = NULL;
	redisReply *r;
	char key[256];

	(void)state;
	assert_int_equal(api("POST", "/v1/reach/verify", MONITORING, NULL, &ans), 200);
	if (!json_is_true(json_object_get(ans, "ok"))) {
		char *s = json_dumps(ans, JSON_INDENT(1));

		fail_msg("verify: %s", s);
	}
	assert_true(json_integer_value(json_object_get(json_object_get(ans, "checked"), "log")) > 20);
	json_decref(ans);
	/* One person more in today's delivered count for the forum: a counter that no record backs. */
	snprintf(key, sizeof key, HARNESS_PREFIX "r:d:%.4s%.2s%.2s:*", S.day[PH_C], S.day[PH_C] + 5, S.day[PH_C] + 8);
	r = harness_cmd(S.h, "KEYS %s", key);
	assert_true(r->elements >= 1);
	snprintf(key, sizeof key, "%s", r->element[0]->str);
	freeReplyObject(r);
	freeReplyObject(harness_cmd(S.h, "SETBIT %s 4000 1", key));
	assert_int_equal(api("POST", "/v1/reach/verify", MONITORING, NULL, &ans), 200);
	assert_false(json_is_true(json_object_get(ans, "ok")));
	assert_int_equal(json_integer_value(json_object_get(ans, "differences_total")), 1);
	assert_string_equal(
	    json_string_value(json_object_get(json_array_get(json_object_get(ans, "differences"), 0), "indicator")),
	    "delivered");
	json_decref(ans);
	freeReplyObject(harness_cmd(S.h, "SETBIT %s 4000 0", key));
	/* A rollup of a quarter that ended (the gateways make it in the background), changed behind the counters' back. */
	snprintf(key, sizeof key, "/v1/reach?from=%.5s%02d-01&to=%s", S.day[PH_A], (atoi(S.day[PH_A] + 5) - 1) % 100,
	    S.day[PH_C]);
	assert_int_equal(api("GET", key, MONITORING, NULL, &ans), 200);
	json_decref(ans);
	snprintf(key, sizeof key, HARNESS_PREFIX "r:d:%.4sQ*", S.day[PH_A]);
	r = harness_cmd(S.h, "KEYS %s", key);
	assert_true(r->elements >= 1);
	{
		long long most = 0;

		/* The quarter's fullest (the training offer's SMS): emptied. */
		for (size_t e = 0; e < r->elements; e++) {
			redisReply *c = harness_cmd(S.h, "BITCOUNT %s", r->element[e]->str);

			if (c->integer > most) {
				most = c->integer;
				snprintf(key, sizeof key, "%s", r->element[e]->str);
			}
			freeReplyObject(c);
		}
		assert_true(most > 0);
	}
	freeReplyObject(r);
	freeReplyObject(harness_cmd(S.h, "DEL %s", key));
	assert_int_equal(api("POST", "/v1/reach/verify", MONITORING, NULL, &ans), 200);
	assert_false(json_is_true(json_object_get(ans, "ok")));
	json_decref(ans);
	/* Roles: an agent may not. */
	assert_int_equal(api("POST", "/v1/reach/verify", AGENT, NULL, &ans), 403);
	json_decref(ans);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counts_equal_the_scenario),
		cmocka_unit_test(test_csv_through_a_spreadsheet),
		cmocka_unit_test(test_dhis2_export),
		cmocka_unit_test(test_funnel),
		cmocka_unit_test(test_svg_chart),
		cmocka_unit_test(test_cli_metrics_and_no_personal_data),
		cmocka_unit_test(test_verify_agrees_then_finds_corruption),
	};

	if (getenv("AMUDDU_TEST_FILTER") != NULL)
		cmocka_set_test_filter(getenv("AMUDDU_TEST_FILTER"));
	return cmocka_run_group_tests_name("reach", tests, setup, teardown);
}
