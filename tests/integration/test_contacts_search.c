/*
 * Searching and filtering contacts as a community agent does, over
 * GET /v1/contacts of a running gateway with a real Redis: parts of names
 * in French and Arabic script (case, accents and hamza aside), numbers in
 * national and international forms (whole ones only for an agent, who
 * sees them masked), each filter and filters together, short pages with a
 * cursor to go on from, a cursor whose contact was erased, refusals
 * naming their parameter, and the answers held to docs/openapi.yaml
 * through Prism's validating proxy.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/integration/harness.h"

#define AGENT "Bearer " HARNESS_AGENT_SECRET
#define ADMIN "Bearer " HARNESS_ADMIN_SECRET

/*
 * The people, told apart by the last two digits of their numbers, which
 * the mask leaves: 01 to 09.
 */
static const char people[] = "nom;prénom;téléphone;ville;langue;sexe;canal;tags;consentement\r\n"
			     "Diallo;Aminata;06 12 34 56 01;Rabat;fr;f;sms;\"formation,anapec\";oui\r\n"
			     "Traoré;Moussa;06 12 34 56 02;Salé;ary-Latn;m;whatsapp;formation;non\r\n"
			     "الزهراء;فاطمة;06 12 34 56 03;Rabat;ar;f;whatsapp;anapec;\r\n"
			     "Benali;Hélène;07 12 34 56 04;Kénitra;fr;f;auto;;oui\r\n"
			     "Ndiaye;Élodie;+33 6 12 34 56 05;RABAT;fr;f;sms;referred:anapec;oui\r\n"
			     "Zerouali;Youssef;06 12 34 56 06;Tanger;ary;m;sms;;non\r\n"
			     "أحمد;إبراهيم;06 12 34 56 07;Salé;ar;m;sms;formation;oui\r\n"
			     "ALAOUI;Zineb;06 12 34 56 08;Oujda;ary-Latn;f;whatsapp;;\r\n"
			     "Kaboré;Ousmane;05 22 34 56 09;Oujda;fr;x;sms;;non\r\n";

/* A search, who makes it (AGENT or ADMIN), and what it must find (as found() shows it). */
struct search_case {
	const char *auth, *query, *want;
};

static json_t *all_pages(struct harness *h, const char *auth, const char *query, const char *from, int *pages);
static char *found(struct harness *h, const char *auth, const char *query, const char *from, int *pages);
static void expect_found(struct harness *h, const char *auth, const char *query, const char *want);
static void expect_refused(struct harness *h, const char *query, const char *field);
static void expect_cases(struct harness *h, const struct search_case *cases, size_t n);
static long import(struct harness *h, const char *csv);
static int last2_cmp(const void *a, const void *b);

static long
import(struct harness *h, const char *csv)
{
	json_t *j = NULL;
	long code = harness_api(
	    harness_gateway_port(h), "POST", "/v1/contacts/import", AGENT, "text/csv", csv, strlen(csv), NULL, &j);

	json_decref(j);
	return code;
}

static int
last2_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Every contact a search finds, following next_cursor from "from" until it is null; *pages: how many pages. */
static json_t *
all_pages(struct harness *h, const char *auth, const char *query, const char *from, int *pages)
{
	json_t *all = json_array();
	char path[1024], cursor[128];
	int p = 0;

	snprintf(cursor, sizeof cursor, "%s", from);
	do {
		json_t *j = NULL;

		snprintf(path, sizeof path, "/v1/contacts?%s%s%s", query, cursor[0] != '\0' ? "&cursor=" : "", cursor);
		if (harness_api(harness_gateway_port(h), "GET", path, auth, NULL, NULL, 0, NULL, &j) != 200)
			fail_msg("%s: not 200", path);
		json_array_extend(all, json_object_get(j, "contacts"));
		snprintf(cursor, sizeof cursor, "%s",
		    json_is_string(json_object_get(j, "next_cursor"))
			? json_string_value(json_object_get(j, "next_cursor"))
			: "");
		json_decref(j);
		p++;
	} while (cursor[0] != '\0' && p < 100);
	assert_true(p < 100);
	if (pages != NULL)
		*pages = p;
	return all;
}

/*
 * What a search finds: the last two digits of each number, sorted ("01,05";
 * "" for none), each once. An agent's answers must show every number masked.
 */
static char *
found(struct harness *h, const char *auth, const char *query, const char *from, int *pages)
{
	json_t *all = all_pages(h, auth, query, from, pages), *c;
	size_t n = json_array_size(all), i;
	char **seen = calloc(n + 1, sizeof *seen), *out = calloc(1, 3 * n + 1);

	assert_non_null(seen);
	assert_non_null(out);
	json_array_foreach(all, i, c)
	{
		const char *phone = json_string_value(json_object_get(c, "phone"));

		assert_non_null(phone);
		if (strcmp(auth, AGENT) == 0 && strchr(phone, '*') == NULL)
			fail_msg("%s: an agent sees %s unmasked", query, phone);
		seen[i] = strdup(phone + strlen(phone) - 2);
	}
	qsort(seen, n, sizeof seen[0], last2_cmp);
	for (i = 0; i < n; i++) {
		if (i > 0 && strcmp(seen[i], seen[i - 1]) == 0)
			fail_msg("%s: %s found twice", query, seen[i]);
		strcat(out, i > 0 ? "," : "");
		strcat(out, seen[i]);
	}
	for (i = 0; i < n; i++)
		free(seen[i]);
	free(seen);
	json_decref(all);
	return out;
}

static void
expect_found(struct harness *h, const char *auth, const char *query, const char *want)
{
	char *got = found(h, auth, query, "", NULL);

	if (strcmp(got, want) != 0)
		fail_msg(
		    "%s (%s): found [%s], not [%s]", query, strcmp(auth, AGENT) == 0 ? "agent" : "admin", got, want);
	free(got);
}

static void
expect_cases(struct harness *h, const struct search_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++)
		expect_found(h, cases[i].auth, cases[i].query, cases[i].want);
}

static void
expect_refused(struct harness *h, const char *query, const char *field)
{
	char path[1024];
	json_t *j = NULL, *e;

	snprintf(path, sizeof path, "/v1/contacts?%s", query);
	assert_int_equal(harness_api(harness_gateway_port(h), "GET", path, AGENT, NULL, NULL, 0, NULL, &j), 422);
	e = json_object_get(j, "error");
	assert_string_equal(json_string_value(json_object_get(e, "code")), "invalid");
	if (strcmp(json_string_value(json_object_get(e, "field")), field) != 0)
		fail_msg("%s: refused naming %s, not %s", query, json_string_value(json_object_get(e, "field")), field);
	assert_true(json_string_length(json_object_get(e, "message")) > 0);
	json_decref(j);
}

static int
setup(void **state)
{
	struct harness *h = harness_api_new("contacts-search", NULL);

	assert_int_equal(import(h, people), 200);
	*state = h;
	return 0;
}

/* A part of a name or a first name, whatever its case and accents, in French and in Arabic script. */
static void
test_search_names(void **state)
{
	static const struct search_case cases[] = {
		{ AGENT, "q=dial", "01" },
		{ AGENT, "q=AMINATA", "01" },
		/* Words may come from the first name and the name, in any order. */
		{ AGENT, "q=Aminata%20Diallo", "01" },
		{ AGENT, "q=diallo+aminata", "01" },
		{ AGENT, "q=Aminata%20Ndiaye", "" },
		/* Accents as typed, or left out; capitals with accents too. */
		{ AGENT, "q=H%C3%A9l%C3%A8ne", "04" },
		{ AGENT, "q=helene", "04" },
		{ AGENT, "q=%C3%89LODIE", "05" },
		{ AGENT, "q=elodie", "05" },
		{ AGENT, "q=traore", "02" },
		{ AGENT, "q=zineb", "08" },
		/* Arabic script: a part of the name as written, and with the hamza left out (ابراهيم for إبراهيم). */
		{ AGENT, "q=%D9%81%D8%A7%D8%B7%D9%85%D8%A9", "03" },
		{ AGENT, "q=%D8%A7%D9%84%D8%B2%D9%87%D8%B1", "03" },
		{ AGENT, "q=%D8%A7%D8%A8%D8%B1%D8%A7%D9%87%D9%8A%D9%85", "07" },
		{ AGENT, "q=%D8%A5%D8%A8%D8%B1%D8%A7%D9%87%D9%8A%D9%85", "07" },
		/* With harakat typed: أَحْمَد finds أحمد. */
		{ AGENT, "q=%D8%A3%D9%8E%D8%AD%D9%92%D9%85%D9%8E%D8%AF", "07" },
		/* A common part: everyone who has it. */
		{ AGENT, "q=ou", "02,06,08,09" },
		{ AGENT, "q=nobody-is-called-this", "" },
	};

	expect_cases(*state, cases, sizeof cases / sizeof cases[0]);
}

/* A number as people write it: national or international, spaced or not; agents find whole numbers only. */
static void
test_search_numbers(void **state)
{
	static const struct search_case cases[] = {
		{ AGENT, "q=06%2012%2034%2056%2001", "01" },
		{ AGENT, "q=0612345601", "01" },
		{ AGENT, "q=%2B212%20612%20345%20601", "01" },
		{ AGENT, "q=00212612345601", "01" },
		{ AGENT, "q=%2B33612345605", "05" },
		/* Arabic-Indic digits: ٠٦١٢٣٤٥٦٠٧. */
		{ AGENT, "q=%D9%A0%D9%A6%D9%A1%D9%A2%D9%A3%D9%A4%D9%A5%D9%A6%D9%A0%D9%A7", "07" },
		/* A part of a number: the agent cannot widen it into the digits the mask hides. */
		{ AGENT, "q=0612%2034", "" },
		{ AGENT, "q=%2B212612", "" },
		/* The admin, who sees numbers whole, finds by a part: from the start in national or international form. */
		{ ADMIN, "q=0612%2034", "01,02,03,06,07,08" },
		{ ADMIN, "q=%2B212%207", "04" },
		{ ADMIN, "q=0033%206", "05" },
		{ ADMIN, "q=0522", "09" },
		/* Other digits, anywhere in the number. */
		{ ADMIN, "q=456%2005", "05" },
		{ ADMIN, "q=345609", "09" },
	};

	expect_cases(*state, cases, sizeof cases / sizeof cases[0]);
}

/* Each filter: any of its values; and all filters given must hold. */
static void
test_filters(void **state)
{
	static const struct search_case cases[] = {
		{ AGENT, "", "01,02,03,04,05,06,07,08,09" },
		{ AGENT, "city=Rabat", "01,03,05" },
		{ AGENT, "city=rabat,Sal%C3%A9", "01,02,03,05,07" },
		{ AGENT, "locale=ar", "03,07" },
		{ AGENT, "locale=fran%C3%A7ais,ary-Latn", "01,02,04,05,08,09" },
		{ AGENT, "sex=m", "02,06,07" },
		{ AGENT, "sex=x", "09" },
		{ AGENT, "sex=femme", "01,03,04,05,08" },
		{ AGENT, "channel=whatsapp", "02,03,08" },
		{ AGENT, "channel=sms,auto", "01,04,05,06,07,09" },
		{ AGENT, "tag=anapec", "01,03" },
		{ AGENT, "tag=formation,Referred:ANAPEC", "01,02,05,07" },
		{ AGENT, "consent=yes", "01,04,05,07" },
		{ AGENT, "consent=no", "02,06,09" },
		{ AGENT, "consent=none", "03,08" },
		{ AGENT, "consent=no,none", "02,03,06,08,09" },
		/* Together. */
		{ AGENT, "city=Rabat&sex=f&consent=yes", "01,05" },
		{ AGENT, "city=Rabat,Sal%C3%A9&locale=ar&tag=formation", "07" },
		{ AGENT, "q=ou&consent=no&channel=sms", "06,09" },
		{ AGENT, "q=0612345607&locale=ar", "07" },
		{ AGENT, "q=0612345607&locale=fr", "" },
		{ AGENT, "city=Tanger&sex=f", "" },
		/* Empty parameters, as a form sends them, are no filter. */
		{ AGENT, "q=&city=&consent=&cursor=", "01,02,03,04,05,06,07,08,09" },
	};

	expect_cases(*state, cases, sizeof cases / sizeof cases[0]);
}

/* A page at a time: each contact once, in pages of limit. */
static void
test_pages(void **state)
{
	struct harness *h = *state;
	int pages = 0;
	char *got = found(h, AGENT, "limit=2&city=Rabat,Sal%C3%A9", "", &pages);

	assert_string_equal(got, "01,02,03,05,07");
	assert_int_equal(pages, 3);
	free(got);
	got = found(h, AGENT, "limit=4", "", &pages);
	assert_string_equal(got, "01,02,03,04,05,06,07,08,09");
	assert_int_equal(pages, 3);
	free(got);
	/* The last page says so: no cursor to an empty page. */
	got = found(h, AGENT, "limit=5&consent=yes", "", &pages);
	assert_string_equal(got, "01,04,05,07");
	assert_int_equal(pages, 1);
	free(got);
}

static void
test_refusals(void **state)
{
	struct harness *h = *state;
	char q[300];

	expect_refused(h, "locale=de", "locale");
	expect_refused(h, "locale=fr,klingon", "locale");
	expect_refused(h, "sex=z", "sex");
	expect_refused(h, "channel=fax", "channel");
	expect_refused(h, "consent=maybe", "consent");
	expect_refused(h, "limit=0", "limit");
	expect_refused(h, "limit=501", "limit");
	expect_refused(h, "limit=ten", "limit");
	expect_refused(h, "cursor=nope", "cursor");
	expect_refused(h, "q=%C3%28", "q");
	snprintf(q, sizeof q, "q=%0101d", 0);
	expect_refused(h, q, "q");
	/* Only the agent and admin roles may list contacts. */
	{
		json_t *j = NULL;

		assert_int_equal(harness_api(harness_gateway_port(h), "GET", "/v1/contacts?q=dial",
				     "Bearer " HARNESS_MONITORING_SECRET, NULL, NULL, 0, NULL, &j),
		    403);
		json_decref(j);
	}
}

/* Through Prism's validating proxy: the parameters and answers match docs/openapi.yaml. */
static void
test_through_prism(void **state)
{
	static const char *const queries[] = { "/v1/contacts?q=dial&limit=2", "/v1/contacts?q=06%2012%2034%2056%2001",
		"/v1/contacts?city=Rabat,Sal%C3%A9&locale=ar&sex=m&channel=sms&tag=formation&consent=yes",
		"/v1/contacts?consent=none&limit=1" };
	struct harness *h = *state;
	json_t *j;

	harness_prism_proxy_start(h, "docs/openapi.yaml", harness_gateway_port(h));
	for (size_t i = 0; i < sizeof queries / sizeof queries[0]; i++) {
		j = NULL;
		if (harness_api(h->prism_port, "GET", queries[i], AGENT, NULL, NULL, 0, NULL, &j) != 200)
			fail_msg("%s through Prism: not 200", queries[i]);
		assert_true(json_array_size(json_object_get(j, "contacts")) > 0);
		json_decref(j);
	}
	assert_int_equal(
	    harness_api(h->prism_port, "GET", "/v1/contacts?consent=maybe", AGENT, NULL, NULL, 0, NULL, &j), 422);
	assert_string_equal(json_string_value(json_object_get(json_object_get(j, "error"), "field")), "consent");
	json_decref(j);
	harness_prism_stop(h);
}

/* A cursor whose contact is erased before the next page: the list goes on from where it stood. */
static void
test_cursor_of_erased_contact(void **state)
{
	struct harness *h = *state;
	int port = harness_gateway_port(h);
	char path[256], cursor[128], *rest;
	json_t *j;
	size_t i;
	json_t *c;
	char first[3][3];

	assert_int_equal(harness_api(port, "GET", "/v1/contacts?limit=3", AGENT, NULL, NULL, 0, NULL, &j), 200);
	json_array_foreach(json_object_get(j, "contacts"), i, c)
	{
		const char *phone = json_string_value(json_object_get(c, "phone"));

		snprintf(first[i], sizeof first[i], "%s", phone + strlen(phone) - 2);
	}
	snprintf(cursor, sizeof cursor, "%s", json_string_value(json_object_get(j, "next_cursor")));
	/* The cursor is the third contact's: erased. */
	snprintf(path, sizeof path, "/v1/contacts/%s", strchr(cursor, ':') + 1);
	json_decref(j);
	assert_int_equal(harness_api(port, "DELETE", path, ADMIN, NULL, NULL, 0, NULL, &j), 200);
	json_decref(j);
	rest = found(h, AGENT, "limit=3", cursor, NULL);
	/* The six after it, none of the first three. */
	assert_int_equal(strlen(rest), 6 * 3 - 1);
	for (i = 0; i < 3; i++)
		assert_null(strstr(rest, first[i]));
	free(rest);
	/* The person back, for the tests after this one. */
	assert_int_equal(import(h, people), 200);
}

/*
 * Thousands of contacts: a search looks through at most 2,000 a call, so
 * a page may be short or empty with a cursor to go on from, until the
 * cursor is null; a filter with a small index finds its people at once.
 */
static void
test_short_pages(void **state)
{
	struct harness *h = *state;
	size_t cap = 512 * 1024, len;
	char *csv = malloc(cap), *got;
	int pages = 0;

	assert_non_null(csv);
	len = (size_t)snprintf(csv, cap, "phone,name,city\n");
	for (int i = 0; i < 4100; i++)
		len += (size_t)snprintf(csv + len, cap - len, "+2125220%05d,Personne %d,Oujda\n", i, i);
	assert_int_equal(import(h, csv), 200);
	assert_int_equal(import(h, "phone,name,first_name,tags\n0699999999,Marzouki,Zineb,mentor\n"), 200);
	len = (size_t)snprintf(csv, cap, "phone,name,city\n");
	for (int i = 4100; i < 4400; i++)
		len += (size_t)snprintf(csv + len, cap - len, "+2125220%05d,Personne %d,Oujda\n", i, i);
	assert_int_equal(import(h, csv), 200);
	free(csv);
	/* The first call finds Zineb Alaoui and stops at 2,000; the next finds none, the third Zineb Marzouki. */
	{
		int port = harness_gateway_port(h);
		char path[256];
		json_t *j;

		assert_int_equal(harness_api(port, "GET", "/v1/contacts?q=zineb", AGENT, NULL, NULL, 0, NULL, &j), 200);
		assert_int_equal(json_array_size(json_object_get(j, "contacts")), 1);
		assert_true(json_is_string(json_object_get(j, "next_cursor")));
		snprintf(path, sizeof path, "/v1/contacts?q=zineb&cursor=%s",
		    json_string_value(json_object_get(j, "next_cursor")));
		json_decref(j);
		assert_int_equal(harness_api(port, "GET", path, AGENT, NULL, NULL, 0, NULL, &j), 200);
		assert_int_equal(json_array_size(json_object_get(j, "contacts")), 0);
		assert_true(json_is_string(json_object_get(j, "next_cursor")));
		json_decref(j);
	}
	got = found(h, AGENT, "q=zineb", "", &pages);
	assert_string_equal(got, "08,99");
	assert_int_equal(pages, 3);
	free(got);
	/* Few people with the tag: its index is looked through whole, one page. */
	got = found(h, AGENT, "tag=mentor", "", &pages);
	assert_string_equal(got, "99");
	assert_int_equal(pages, 1);
	free(got);
	/* Without a search, pages are full: 4,402 people of Oujda in pages of 500. */
	{
		json_t *all = all_pages(h, ADMIN, "limit=500&city=Oujda", "", &pages);

		assert_int_equal(json_array_size(all), 4402);
		assert_int_equal(pages, 9);
		json_decref(all);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_search_names),
		cmocka_unit_test(test_search_numbers),
		cmocka_unit_test(test_filters),
		cmocka_unit_test(test_pages),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_through_prism),
		/* Last: they erase a contact and add thousands. */
		cmocka_unit_test(test_cursor_of_erased_contact),
		cmocka_unit_test(test_short_pages),
	};

	return cmocka_run_group_tests_name("contacts_search", tests, setup, harness_teardown);
}
