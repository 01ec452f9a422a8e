/*
 * Contacts imported as a community agent would, over the /v1 API of a
 * running gateway with a real Redis: spreadsheets' files, every refused
 * row named, all-or-nothing unless mode=valid, dry runs, re-imports that
 * change nothing, duplicate numbers, Windows-1252, consent as a history,
 * Idempotency-Key, the audit stream, and the answers held to
 * docs/openapi.yaml through Prism's validating proxy.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/integration/harness.h"

#define AGENT "Bearer " HARNESS_AGENT_SECRET
#define IMPORT "/v1/contacts/import"
/* A literal body and its length. */
#define BODY(s) s, strlen(s)

static const char excel[] = "\xEF\xBB\xBFnom;téléphone;langue;ville;sexe;tags;consentement;date_consentement\r\n"
			    "Aminata Diallo;06 12 34 56 78;fr;Rabat;femme;\"formation, anapec\";oui;30/11/2026\r\n"
			    "\"Traoré; Moussa\";+212 7.12.34.56.78;ary-Latn;Salé;homme;;non;\r\n"
			    "فاطمة الزهراء;00212612345680;ar;Rabat;f;formation;;\r\n";

static long import(
    struct harness *h, int port, const char *query, const char *csv, size_t len, const char *extra, json_t **answer);
static long long report(json_t *j, const char *field);
static char *contact_field(struct harness *h, const char *e164, const char *field);
static void inbound_sms(struct harness *h, const char *from_form, const char *body_form);

static long
import(struct harness *h, int port, const char *query, const char *csv, size_t len, const char *extra, json_t **answer)
{
	char path[256];

	(void)h;
	snprintf(path, sizeof path, IMPORT "%s", query);
	return harness_api(port, "POST", path, AGENT, "text/csv", csv, len, extra, answer);
}

static long long
report(json_t *j, const char *field)
{
	json_t *r = json_object_get(j, "import") != NULL ? json_object_get(j, "import") : j;

	return json_integer_value(json_object_get(r, field));
}

static char *
contact_field(struct harness *h, const char *e164, const char *field)
{
	char person[32], key[128];
	redisReply *r;
	char *v;

	harness_person(e164, person);
	snprintf(key, sizeof key, HARNESS_PREFIX "contact:%s", person);
	r = harness_cmd(h, "HGET %s %s", key, field);
	v = r->type == REDIS_REPLY_STRING ? strdup(r->str) : NULL;
	freeReplyObject(r);
	return v;
}

static int
setup(void **state)
{
	*state = harness_api_new("contacts", NULL);
	return 0;
}

static void
test_import_and_reimport(void **state)
{
	struct harness *h = *state;
	int port = harness_gateway_port(h);
	char person[32], key[128], *s;
	json_t *j;

	assert_int_equal(import(h, port, "", excel, strlen(excel), NULL, &j), 200);
	assert_int_equal(report(j, "created"), 3);
	assert_int_equal(report(j, "refused"), 0);
	assert_true(json_is_true(json_object_get(j, "written")));
	assert_string_equal(json_string_value(json_object_get(j, "separator")), ";");
	json_decref(j);
	s = contact_field(h, "+212612345678", "name");
	assert_string_equal(s, "Aminata Diallo");
	free(s);
	s = contact_field(h, "+212712345678", "name");
	assert_string_equal(s, "Traoré; Moussa");
	free(s);
	s = contact_field(h, "+212612345680", "city");
	assert_string_equal(s, "Rabat");
	free(s);
	s = contact_field(h, "+212612345678", "tags");
	assert_string_equal(s, "anapec,formation");
	free(s);
	/* Consent is a history: one event with its time and source. */
	s = contact_field(h, "+212612345678", "consent_at");
	assert_string_equal(s, "1795996800000");
	free(s);
	harness_person("+212612345678", person);
	snprintf(key, sizeof key, HARNESS_PREFIX "consent:%s", person);
	assert_int_equal(harness_stream_len(h, key), 1);
	/* Indexes for audiences. */
	{
		redisReply *r = harness_cmd(h, "SCARD " HARNESS_PREFIX "ix:city:rabat");

		assert_int_equal(r->integer, 2);
		freeReplyObject(r);
		r = harness_cmd(h, "SCARD " HARNESS_PREFIX "ix:tag:formation");
		assert_int_equal(r->integer, 2);
		freeReplyObject(r);
		r = harness_cmd(h, "SCARD " HARNESS_PREFIX "ix:consent:yes");
		assert_int_equal(r->integer, 1);
		freeReplyObject(r);
		r = harness_cmd(h, "ZCARD " HARNESS_PREFIX "contacts");
		assert_int_equal(r->integer, 3);
		freeReplyObject(r);
	}
	/* The same file again changes nothing. */
	assert_int_equal(import(h, port, "", excel, strlen(excel), NULL, &j), 200);
	assert_int_equal(report(j, "created"), 0);
	assert_int_equal(report(j, "updated"), 0);
	assert_int_equal(report(j, "unchanged"), 3);
	json_decref(j);
	assert_int_equal(harness_stream_len(h, key), 1);
	/* A changed row updates its contact, and only what its columns say. */
	{
		static const char changed[] = "phone,city,consent\n0612345678,Salé,non\n";
		redisReply *r;

		assert_int_equal(import(h, port, "", changed, strlen(changed), NULL, &j), 200);
		assert_int_equal(report(j, "updated"), 1);
		json_decref(j);
		s = contact_field(h, "+212612345678", "city");
		assert_string_equal(s, "Salé");
		free(s);
		s = contact_field(h, "+212612345678", "name");
		assert_string_equal(s, "Aminata Diallo");
		free(s);
		assert_int_equal(harness_stream_len(h, key), 2);
		r = harness_cmd(h, "SCARD " HARNESS_PREFIX "ix:city:rabat");
		assert_int_equal(r->integer, 1);
		freeReplyObject(r);
		r = harness_cmd(h, "SCARD " HARNESS_PREFIX "ix:consent:yes");
		assert_int_equal(r->integer, 0);
		freeReplyObject(r);
	}
}

static void
test_refused_rows_all_or_valid(void **state)
{
	static const char f[] = "phone;name;locale\n"
				"0612345001;Ok One;fr\n"
				"0812345678;Bad Range;fr\n"
				"0612345002;Bad Locale;de\n"
				"06 12 34 50 01;Same Number;ar\n"
				"0612345003;Ok Two;en\n";
	struct harness *h = *state;
	int port = harness_gateway_port(h);
	json_t *j, *e;
	char *s;

	/* All or nothing: 422, every refusal named, nothing written. */
	assert_int_equal(import(h, port, "", f, strlen(f), NULL, &j), 422);
	assert_string_equal(json_string_value(json_object_get(json_object_get(j, "error"), "code")), "rows_refused");
	assert_int_equal(report(j, "refused"), 3);
	e = json_object_get(json_object_get(j, "import"), "errors");
	assert_int_equal(json_array_size(e), 3);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(e, 0), "line")), 3);
	assert_string_equal(json_string_value(json_object_get(json_array_get(e, 0), "column")), "phone");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(e, 1), "line")), 4);
	assert_string_equal(json_string_value(json_object_get(json_array_get(e, 1), "column")), "locale");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(e, 2), "line")), 5);
	assert_string_equal(
	    json_string_value(json_object_get(json_array_get(e, 2), "reason")), "the same number as line 2");
	/* Each also as a code with the value at fault, for the console to say in the agent's language. */
	assert_string_equal(json_string_value(json_object_get(json_array_get(e, 0), "code")), "phone_invalid");
	assert_null(json_object_get(json_array_get(e, 0), "value"));
	assert_string_equal(json_string_value(json_object_get(json_array_get(e, 1), "code")), "locale_invalid");
	assert_string_equal(json_string_value(json_object_get(json_array_get(e, 1), "value")), "de");
	assert_string_equal(json_string_value(json_object_get(json_array_get(e, 2), "code")), "duplicate");
	assert_string_equal(json_string_value(json_object_get(json_array_get(e, 2), "value")), "2");
	json_decref(j);
	s = contact_field(h, "+212612345001", "name");
	assert_null(s);
	/* A dry run with mode=valid: what would happen, nothing written. */
	assert_int_equal(import(h, port, "?mode=valid&dry_run=true", f, strlen(f), NULL, &j), 200);
	assert_int_equal(report(j, "created"), 2);
	assert_false(json_is_true(json_object_get(j, "written")));
	json_decref(j);
	s = contact_field(h, "+212612345001", "name");
	assert_null(s);
	/* mode=valid: the valid rows are written. */
	assert_int_equal(import(h, port, "?mode=valid", f, strlen(f), NULL, &j), 200);
	assert_int_equal(report(j, "created"), 2);
	assert_int_equal(report(j, "refused"), 3);
	json_decref(j);
	s = contact_field(h, "+212612345003", "locale");
	assert_string_equal(s, "en");
	free(s);
}

static void
test_windows_1252_and_empty_files(void **state)
{
	static const char cp[] = "nom;t\xE9l\xE9phone;ville\r\nIr\xE8ne;0612345099;Sal\xE9\r\n";
	struct harness *h = *state;
	int port = harness_gateway_port(h);
	json_t *j;
	char *s;

	assert_int_equal(import(h, port, "", cp, strlen(cp), NULL, &j), 422);
	assert_string_equal(json_string_value(json_object_get(json_object_get(j, "error"), "code")), "unreadable_file");
	assert_non_null(strstr(
	    json_string_value(json_object_get(json_object_get(j, "error"), "message")), "encoding=windows-1252"));
	json_decref(j);
	assert_int_equal(import(h, port, "?encoding=windows-1252", cp, strlen(cp), NULL, &j), 200);
	assert_string_equal(json_string_value(json_object_get(j, "encoding")), "windows-1252");
	json_decref(j);
	s = contact_field(h, "+212612345099", "name");
	assert_string_equal(s, "Irène");
	free(s);
	assert_int_equal(import(h, port, "", "", 0, NULL, &j), 422);
	json_decref(j);
	assert_int_equal(import(h, port, "", "téléphone;nom\r\n", strlen("téléphone;nom\r\n"), NULL, &j), 200);
	assert_int_equal(report(j, "rows"), 0);
	json_decref(j);
	/* Refusals of the call itself. */
	assert_int_equal(harness_api(port, "POST", IMPORT, AGENT, "application/json", "{}", 2, NULL, &j), 415);
	json_decref(j);
	assert_int_equal(import(h, port, "?mode=some", cp, strlen(cp), NULL, &j), 422);
	json_decref(j);
	assert_int_equal(harness_api(port, "POST", IMPORT, "Bearer " HARNESS_MONITORING_SECRET, "text/csv", cp,
			     strlen(cp), NULL, &j),
	    403);
	json_decref(j);
	assert_int_equal(harness_api(port, "POST", IMPORT, NULL, "text/csv", cp, strlen(cp), NULL, &j), 401);
	json_decref(j);
}

/*
 * A spreadsheet far over [http] max_body_bytes (64 KiB) in one request, as
 * curl --data-binary sends it: the import's own limit takes it; any other
 * route still refuses such a body with 413.
 */
static void
test_import_in_one_request(void **state)
{
	struct harness *h = *state;
	int port = harness_gateway_port(h);
	size_t cap = 3 * 1024 * 1024, len = 0;
	char *csv = malloc(cap), *s;
	struct harness_http hc = { 0 };
	json_t *j;
	int rows = 0;

	assert_non_null(csv);
	len += (size_t)snprintf(csv, cap, "nom;téléphone;ville;langue\r\n");
	while (len < 2 * 1024 * 1024) {
		len += (size_t)snprintf(csv + len, cap - len,
		    "Personne numéro %d de Salé;07 66 %02d %02d %02d;Salé;fr\r\n", rows, rows / 10000 % 100,
		    rows / 100 % 100, rows % 100);
		rows++;
	}
	assert_int_equal(import(h, port, "?mode=valid", csv, len, NULL, &j), 200);
	assert_int_equal(report(j, "rows"), rows);
	assert_int_equal(report(j, "refused"), 0);
	json_decref(j);
	s = contact_field(h, "+212766000042", "city");
	assert_string_equal(s, "Salé");
	free(s);
	/* The larger limit is the import's alone. */
	assert_int_equal(harness_request(&hc, port, "POST", "/webhooks/twilio/status", NULL, csv, len, NULL), 413);
	harness_http_close(&hc);
	assert_int_equal(harness_api(port, "POST", "/v1/segments", AGENT, "application/json", csv, len, NULL, &j), 413);
	json_decref(j);
	free(csv);
}

/*
 * kill -9 of the gateway while an import's rows are being written: the
 * next gateway finds the import half written and writes the rest, so the
 * whole file is in, each row once.
 */
static void
test_import_finished_after_a_crash(void **state)
{
	struct harness *h = *state;
	size_t cap = 4 * 1024 * 1024, len = 0;
	char *csv = malloc(cap);
	long long before, end;
	redisReply *r;
	int rows = 0, status;
	pid_t child;
	char person[32];

	assert_non_null(csv);
	harness_person("+212522059999", person);
	len += (size_t)snprintf(csv, cap, "phone,name,city\n");
	for (rows = 0; rows < 60000; rows++)
		len += (size_t)snprintf(csv + len, cap - len, "+2125220%05d,Personne %d,Oujda\n", rows, rows);
	r = harness_cmd(h, "ZCARD " HARNESS_PREFIX "contacts");
	before = r->integer;
	freeReplyObject(r);
	if ((child = fork()) == 0) {
		json_t *j = NULL;

		(void)import(h, harness_gateway_port(h), "", csv, len, NULL, &j);
		_exit(0);
	}
	assert_true(child > 0);
	/* The first step written, the rest not yet: the gateway dies. */
	for (end = harness_now_ms() + 60000; harness_now_ms() < end; harness_sleep_ms(1)) {
		r = harness_cmd(h, "SCARD " HARNESS_PREFIX "imports:committing");
		if (r->integer > 0) {
			freeReplyObject(r);
			break;
		}
		freeReplyObject(r);
	}
	harness_gateway_signal(h, SIGKILL);
	harness_gateway_wait(h, 5000);
	waitpid(child, &status, 0);
	r = harness_cmd(h, "ZCARD " HARNESS_PREFIX "contacts");
	print_message("gateway killed with %lld of %d rows written\n", r->integer - before, rows);
	assert_true(r->integer - before < rows);
	freeReplyObject(r);
	harness_gateway_start(h);
	harness_gateway_wait_http(h);
	for (end = harness_now_ms() + 90000; harness_now_ms() < end; harness_sleep_ms(200)) {
		r = harness_cmd(h, "SCARD " HARNESS_PREFIX "imports:committing");
		if (r->integer == 0) {
			freeReplyObject(r);
			break;
		}
		freeReplyObject(r);
	}
	r = harness_cmd(h, "ZCARD " HARNESS_PREFIX "contacts");
	assert_int_equal(r->integer - before, rows);
	freeReplyObject(r);
	/* Every row whole, its index included. */
	r = harness_cmd(h, "SCARD " HARNESS_PREFIX "ix:city:oujda");
	assert_true(r->integer >= rows);
	freeReplyObject(r);
	r = harness_cmd(h, "HGET " HARNESS_PREFIX "contact:%s name", person);
	assert_int_equal(r->type, REDIS_REPLY_STRING);
	assert_string_equal(r->str, "Personne 59999");
	freeReplyObject(r);
	free(csv);
}

/* The same Idempotency-Key twice: the first answer again, and one import in the audit stream. */
static void
test_idempotency_and_audit(void **state)
{
	static const char f[] = "phone,name\n0612345200,Idem\n";
	struct harness *h = *state;
	int port = harness_gateway_port(h);
	long long audits = harness_stream_len(h, HARNESS_PREFIX "audit");
	json_t *a, *b;

	assert_int_equal(import(h, port, "", f, strlen(f), "Idempotency-Key: import-2026-12-03-1", &a), 200);
	assert_int_equal(report(a, "created"), 1);
	assert_int_equal(import(h, port, "", f, strlen(f), "Idempotency-Key: import-2026-12-03-1", &b), 200);
	assert_int_equal(report(b, "created"), 1);
	assert_string_equal(
	    json_string_value(json_object_get(a, "import_id")), json_string_value(json_object_get(b, "import_id")));
	json_decref(a);
	json_decref(b);
	harness_sleep_ms(100);
	assert_int_equal(harness_stream_len(h, HARNESS_PREFIX "audit"), audits + 1);
	/* Another key runs again (and finds nothing to change). */
	assert_int_equal(import(h, port, "", f, strlen(f), "Idempotency-Key: import-2026-12-03-2", &a), 200);
	assert_int_equal(report(a, "unchanged"), 1);
	json_decref(a);
}

/* An SMS from number, through the Twilio inbound webhook, signed as Twilio signs. */
static void
inbound_sms(struct harness *h, const char *from_form, const char *body_form)
{
	struct harness_http hc = { 0 };
	char url[200], form[400], sig[64], hsig[100];
	const char *hdr[3] = { "Content-Type: application/x-www-form-urlencoded", hsig, NULL };

	snprintf(form, sizeof form,
	    "AccountSid=" HARNESS_SID "&Body=%s&From=%s&MessageSid=SM%032lld&To=%%2B15005550006", body_form, from_form,
	    harness_now_ms());
	snprintf(url, sizeof url, "http://127.0.0.1:%d/webhooks/twilio/inbound", h->gateway_port);
	harness_sign_twilio(HARNESS_TOKEN, url, form, sig);
	snprintf(hsig, sizeof hsig, "X-Twilio-Signature: %s", sig);
	assert_int_equal(
	    harness_request(&hc, h->gateway_port, "POST", "/webhooks/twilio/inbound", hdr, form, strlen(form), NULL),
	    200);
	harness_http_close(&hc);
}

/* Listing, showing and changing contacts: numbers masked for agents, consent changes in the history. */
static void
test_list_show_update(void **state)
{
	static const char f[] =
	    "phone,name,city,consent\n0612340001,A,Oujda,yes\n0612340002,B,Oujda,\n0612340003,C,Tanger,\n";
	struct harness *h = *state;
	int port = harness_gateway_port(h);
	char person[32], path[128], cursor[80] = "";
	json_t *j, *c;
	int seen = 0, pages = 0;

	assert_int_equal(import(h, port, "", f, strlen(f), NULL, &j), 200);
	json_decref(j);
	/* Paged two at a time until the cursor runs out: every contact once. */
	do {
		snprintf(path, sizeof path, "/v1/contacts?limit=2%s%s", cursor[0] != '\0' ? "&cursor=" : "", cursor);
		assert_int_equal(harness_api(port, "GET", path, AGENT, NULL, NULL, 0, NULL, &j), 200);
		seen += (int)json_array_size(json_object_get(j, "contacts"));
		pages++;
		c = json_array_get(json_object_get(j, "contacts"), 0);
		if (c != NULL)
			assert_non_null(strstr(json_string_value(json_object_get(c, "phone")), "*"));
		snprintf(cursor, sizeof cursor, "%s",
		    json_is_string(json_object_get(j, "next_cursor"))
			? json_string_value(json_object_get(j, "next_cursor"))
			: "");
		json_decref(j);
	} while (cursor[0] != '\0' && pages < 100);
	assert_true(seen >= 3);
	{
		redisReply *r = harness_cmd(h, "ZCARD " HARNESS_PREFIX "contacts");

		assert_int_equal(seen, r->integer);
		freeReplyObject(r);
	}
	/* One contact: the agent sees the number masked, the admin whole. */
	harness_person("+212612340001", person);
	snprintf(path, sizeof path, "/v1/contacts/%s", person);
	assert_int_equal(harness_api(port, "GET", path, AGENT, NULL, NULL, 0, NULL, &j), 200);
	assert_string_equal(json_string_value(json_object_get(j, "phone")), "+2126******01");
	assert_string_equal(json_string_value(json_object_get(json_object_get(j, "consent"), "value")), "yes");
	assert_int_equal(json_array_size(json_object_get(j, "consent_history")), 1);
	json_decref(j);
	assert_int_equal(harness_api(port, "GET", path, "Bearer " HARNESS_ADMIN_SECRET, NULL, NULL, 0, NULL, &j), 200);
	assert_string_equal(json_string_value(json_object_get(j, "phone")), "+212612340001");
	json_decref(j);
	/*
	 * An agent records the person's withdrawal: a second event, by the
	 * agent. The reach counters' list of languages, broken by some other
	 * program, loses only its own writes, which are counted: the language's
	 * label (the change) and again as the person gets their index (the
	 * opt-out counts).
	 */
	freeReplyObject(harness_cmd(h, "SET " HARNESS_PREFIX "ra:v:locale broken"));
	assert_int_equal(
	    harness_api(port, "PATCH", path, AGENT, "application/json",
		BODY("{\"consent\": \"no\", \"locale\": \"Darija\", \"tags\": [\"Referred:ANAPEC\"]}"), NULL, &j),
	    200);
	assert_string_equal(json_string_value(json_object_get(json_object_get(j, "consent"), "value")), "no");
	assert_string_equal(json_string_value(json_object_get(j, "locale")), "ary");
	assert_string_equal(json_string_value(json_array_get(json_object_get(j, "tags"), 0)), "referred:anapec");
	assert_int_equal(json_array_size(json_object_get(j, "consent_history")), 2);
	assert_int_equal(harness_hget_ll(h, HARNESS_PREFIX "stats", "write_errors"), 2);
	freeReplyObject(harness_cmd(h, "DEL " HARNESS_PREFIX "ra:v:locale"));
	assert_string_equal(
	    json_string_value(json_object_get(json_array_get(json_object_get(j, "consent_history"), 0), "source")),
	    "agent");
	assert_string_equal(
	    json_string_value(json_object_get(json_array_get(json_object_get(j, "consent_history"), 0), "by")),
	    "agent-rabat");
	json_decref(j);
	/* Bad values and unknown contacts. */
	assert_int_equal(
	    harness_api(port, "PATCH", path, AGENT, "application/json", BODY("{\"sex\": \"q\"}"), NULL, &j), 422);
	json_decref(j);
	assert_int_equal(
	    harness_api(port, "PATCH", path, AGENT, "application/json", BODY("{\"phone\": \"1\"}"), NULL, &j), 422);
	json_decref(j);
	assert_int_equal(
	    harness_api(port, "GET", "/v1/contacts/0123456789abcdef01234567", AGENT, NULL, NULL, 0, NULL, &j), 404);
	json_decref(j);
	assert_int_equal(harness_api(port, "GET", "/v1/contacts/nope", AGENT, NULL, NULL, 0, NULL, &j), 404);
	json_decref(j);
}

/* Export with numbers and erasure are the admin's; erasure leaves no personal data. */
static void
test_export_and_erase(void **state)
{
	static const char f[] = "phone,name,city\n0612349001,=HYPERLINK(\"x\"),Rabat\n0612349002,Leila,Rabat\n"
				"0612349003,+SUM(1),Rabat\n";
	struct harness *h = *state;
	int port = harness_gateway_port(h);
	struct harness_http hc = { 0 };
	const char *admin[] = { "Authorization: Bearer " HARNESS_ADMIN_SECRET, NULL };
	char person[32], path[128], key[128], *csv = NULL, *s;
	json_t *j;
	redisReply *r;

	assert_int_equal(import(h, port, "", f, strlen(f), NULL, &j), 200);
	json_decref(j);
	assert_int_equal(harness_api(port, "GET", "/v1/contacts/export", AGENT, NULL, NULL, 0, NULL, &j), 403);
	json_decref(j);
	assert_int_equal(harness_request(&hc, port, "GET", "/v1/contacts/export", admin, NULL, 0, &csv), 200);
	harness_http_close(&hc);
	assert_int_equal(strncmp(csv, "\xEF\xBB\xBFid,phone,name,", 12), 0);
	assert_non_null(strstr(csv, ",+212612349002,Leila,,Rabat,"));
	/* A name that would be a formula in a spreadsheet is defused. */
	assert_non_null(strstr(csv, ",\"'=HYPERLINK(\"\"x\"\")\","));
	assert_non_null(strstr(csv, ",\"'+SUM(1)\","));
	assert_non_null(strstr(csv, ",+212612349003,"));
	free(csv);
	/* The person wrote to us: the text is in the inbox until they are erased. */
	inbound_sms(h, "%2B212612349002", "Bonjour+je+cherche+une+formation");
	harness_person("+212612349002", person);
	snprintf(key, sizeof key, HARNESS_PREFIX "inbox:%s", person);
	for (int i = 0; i < 50; i++) {
		r = harness_cmd(h, "LLEN %s", key);
		if (r->integer == 1) {
			freeReplyObject(r);
			break;
		}
		freeReplyObject(r);
		harness_sleep_ms(50);
	}
	assert_int_equal(harness_stream_len(h, HARNESS_PREFIX "inbox"), 1);
	snprintf(path, sizeof path, "/v1/contacts/%s", person);
	assert_int_equal(harness_api(port, "DELETE", path, AGENT, NULL, NULL, 0, NULL, &j), 403);
	json_decref(j);
	assert_int_equal(
	    harness_api(port, "DELETE", path, "Bearer " HARNESS_ADMIN_SECRET, NULL, NULL, 0, NULL, &j), 200);
	assert_true(json_is_true(json_object_get(j, "erased")));
	json_decref(j);
	s = contact_field(h, "+212612349002", "phone");
	assert_null(s);
	assert_int_equal(harness_stream_len(h, HARNESS_PREFIX "inbox"), 0);
	r = harness_cmd(h, "SISMEMBER " HARNESS_PREFIX "ix:city:rabat %s", person);
	assert_int_equal(r->integer, 0);
	freeReplyObject(r);
	r = harness_cmd(h, "ZSCORE " HARNESS_PREFIX "contacts %s", person);
	assert_int_equal(r->type, REDIS_REPLY_NIL);
	freeReplyObject(r);
	assert_int_equal(harness_api(port, "GET", path, AGENT, NULL, NULL, 0, NULL, &j), 404);
	json_decref(j);
	assert_int_equal(
	    harness_api(port, "DELETE", path, "Bearer " HARNESS_ADMIN_SECRET, NULL, NULL, 0, NULL, &j), 404);
	json_decref(j);
	/* Who did it is audited, with the pseudonymous id only. */
	r = harness_cmd(h, "XREVRANGE " HARNESS_PREFIX "audit + - COUNT 1");
	assert_string_equal(r->element[0]->element[1]->element[5]->str, "contacts.erase");
	assert_string_equal(r->element[0]->element[1]->element[7]->str, person);
	freeReplyObject(r);
}

/* Through Prism's validating proxy: the answers match docs/openapi.yaml. */
static void
test_import_through_prism(void **state)
{
	static const char bad[] = "phone;name\n0812345678;X\n";
	struct harness *h = *state;
	const char *id;
	char path[128];
	json_t *j;

	harness_prism_proxy_start(h, "docs/openapi.yaml", harness_gateway_port(h));
	assert_int_equal(import(h, h->prism_port, "?dry_run=true", excel, strlen(excel), NULL, &j), 200);
	json_decref(j);
	assert_int_equal(import(h, h->prism_port, "", bad, strlen(bad), NULL, &j), 422);
	json_decref(j);
	assert_int_equal(
	    harness_api(h->prism_port, "GET", "/v1/contacts?limit=2", AGENT, NULL, NULL, 0, NULL, &j), 200);
	id = json_string_value(json_object_get(json_array_get(json_object_get(j, "contacts"), 0), "id"));
	assert_non_null(id);
	snprintf(path, sizeof path, "/v1/contacts/%s", id);
	json_decref(j);
	assert_int_equal(harness_api(h->prism_port, "GET", path, AGENT, NULL, NULL, 0, NULL, &j), 200);
	json_decref(j);
	assert_int_equal(harness_api(h->prism_port, "PATCH", path, AGENT, "application/json",
			     BODY("{\"city\": \"Kénitra\"}"), NULL, &j),
	    200);
	json_decref(j);
	assert_int_equal(harness_api(h->prism_port, "GET", "/v1/contacts/export", "Bearer " HARNESS_ADMIN_SECRET, NULL,
			     NULL, 0, NULL, &j),
	    200);
	json_decref(j);
	assert_int_equal(
	    harness_api(h->prism_port, "DELETE", path, "Bearer " HARNESS_ADMIN_SECRET, NULL, NULL, 0, NULL, &j), 200);
	json_decref(j);
	assert_int_equal(harness_api(h->prism_port, "GET", path, AGENT, NULL, NULL, 0, NULL, &j), 404);
	json_decref(j);
	harness_prism_stop(h);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_import_and_reimport),
		cmocka_unit_test(test_refused_rows_all_or_valid),
		cmocka_unit_test(test_windows_1252_and_empty_files),
		cmocka_unit_test(test_idempotency_and_audit),
		cmocka_unit_test(test_list_show_update),
		cmocka_unit_test(test_export_and_erase),
		cmocka_unit_test(test_import_through_prism),
		/* Last: its 40,000 contacts would make the others' pages long. */
		cmocka_unit_test(test_import_in_one_request),
		cmocka_unit_test(test_import_finished_after_a_crash),
	};

	return cmocka_run_group_tests_name("contacts", tests, setup, harness_teardown);
}
