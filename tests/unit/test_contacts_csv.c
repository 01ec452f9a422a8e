/*
 * Unit tests for handlers/csv.c and handlers/contacts_csv.c: files as
 * spreadsheets write them (BOM, ';', quoted separators and new lines,
 * CRLF, Windows-1252), headers in French or English in any order, every
 * refused row with its line, column and reason, and the same result
 * whether the file comes whole or one byte at a time.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/util/zone.h"
#include "handlers/contacts_csv.h"

/* What a file gave: rows as "line|phone|name|first|locale|city|sex|channel|tags|consent|at|extras" lines. */
struct got {
	char rows[8192];
	char refused[4096];
	char codes[4096]; /* line|code|value of each refused row */
	char notes[1024];
	int nrows, nrefused;
};

static int on_row(void *arg, const struct contact_row *r);
static void on_refused(void *arg, long line, const char *column, const char *code, const char *value, const char *why);
static void on_note(void *arg, const char *what);
static int parse(const char *data, size_t len, size_t piece, bool cp1252, struct got *g, char *why);

static int
on_row(void *arg, const struct contact_row *r)
{
	struct got *g = arg;
	char *o = g->rows + strlen(g->rows);
	size_t left = sizeof g->rows - strlen(g->rows);
	int n;

	n = snprintf(o, left, "%ld|%s|%s|%s|%s|%s|%s|%s|", r->line, r->phone, r->name, r->first_name, r->locale,
	    r->city, r->sex, r->channel);
	for (size_t i = 0; i < r->ntags; i++)
		n += snprintf(o + n, left - (size_t)n, "%s%s", i > 0 ? "," : "", r->tags[i]);
	n += snprintf(o + n, left - (size_t)n, "|%d|%lld|", r->consent, r->consent_at);
	for (size_t i = 0; i < r->nextra; i++)
		n += snprintf(o + n, left - (size_t)n, "%s=%s;", r->extra_name[i], r->extra_value[i]);
	snprintf(o + n, left - (size_t)n, "\n");
	g->nrows++;
	return 0;
}

static void
on_refused(void *arg, long line, const char *column, const char *code, const char *value, const char *why)
{
	struct got *g = arg;
	size_t used = strlen(g->refused);

	snprintf(g->refused + used, sizeof g->refused - used, "%ld|%s|%s\n", line, column, why);
	used = strlen(g->codes);
	snprintf(g->codes + used, sizeof g->codes - used, "%ld|%s|%s\n", line, code, value);
	g->nrefused++;
}

static void
on_note(void *arg, const char *what)
{
	struct got *g = arg;
	size_t used = strlen(g->notes);

	snprintf(g->notes + used, sizeof g->notes - used, "%s\n", what);
}

/* Parses data in pieces of piece bytes (0: whole); 0, or -1 with why. */
static int
parse(const char *data, size_t len, size_t piece, bool cp1252, struct got *g, char *why)
{
	struct contacts_csv_settings s = { "MA", cp1252 };
	struct contacts_csv_handlers h = { on_row, on_refused, on_note };
	struct contacts_csv *p;
	int rc = 0;

	memset(g, 0, sizeof *g);
	p = contacts_csv_new(&s, &h, g);
	if (piece == 0)
		piece = len > 0 ? len : 1;
	for (size_t i = 0; i < len && rc == 0; i += piece)
		rc = contacts_csv_feed(p, data + i, len - i < piece ? len - i : piece, why, 256);
	if (rc == 0)
		rc = contacts_csv_finish(p, why, 256);
	contacts_csv_free(p);
	return rc;
}

static int
setup(void **state)
{
	char why[256];

	(void)state;
	return zone_init("Africa/Casablanca", why, sizeof why);
}

/* French Excel's "CSV UTF-8": BOM, ';', CRLF, French headers in its own order. */
static void
test_french_excel_utf8(void **state)
{
	static const char f[] = "\xEF\xBB\xBFnom;téléphone;langue;ville;sexe;consentement;date_consentement\r\n"
				"Aminata Diallo;06 12 34 56 78;fr;Rabat;femme;oui;30/11/2026\r\n"
				"\"Traoré; Moussa\";+212 7.12.34.56.78;ary-Latn;Salé;H;non;\r\n"
				"فاطمة الزهراء;00212612345680;ar;الدار البيضاء;f;;\r\n";
	struct got g;
	char why[256];

	(void)state;
	assert_int_equal(parse(f, strlen(f), 0, false, &g, why), 0);
	assert_int_equal(g.nrows, 3);
	assert_int_equal(g.nrefused, 0);
	/* 30/11/2026 is local midnight: 2026-11-30T00:00:00Z on Morocco's permanent +00. */
	assert_string_equal(g.rows,
	    "2|+212612345678|Aminata Diallo||fr|Rabat|f||"
	    "|1|1795996800|\n"
	    "3|+212712345678|Traoré; Moussa||ary-Latn|Salé|m||"
	    "|0|0|\n"
	    "4|+212612345680|فاطمة الزهراء||ar|الدار البيضاء|f||"
	    "|-1|0|\n");
}

/* English headers, ',' separator, quoted new lines and quotes; the line is where the record starts. */
static void
test_quotes_and_line_numbers(void **state)
{
	static const char f[] = "Phone,Name,City,Tags,Quartier\n"
				"0612345678,\"Kouassi, Jean\",Rabat,\"Training, referred:ANAPEC\",Takaddoum\n"
				"0612345679,\"Ama \"\"la grande\"\"\nsecond line\",Salé,,\n"
				"\n"
				"0612345680,Koffi,Tanger,covid,\n";
	struct got g;
	char why[256];

	(void)state;
	assert_int_equal(parse(f, strlen(f), 0, false, &g, why), 0);
	assert_int_equal(g.nrows, 3);
	assert_string_equal(g.rows,
	    "2|+212612345678|Kouassi, Jean|||Rabat|||training,referred:anapec|-1|0|quartier=Takaddoum;\n"
	    "3|+212612345679|Ama \"la grande\"\nsecond line|||Salé||||-1|0|\n"
	    "6|+212612345680|Koffi|||Tanger|||covid|-1|0|\n");
	assert_non_null(strstr(g.notes, "column 'Quartier' is kept as the contact field 'quartier'"));
}

/* Every refusal names the line, the column as the header wrote it, and the reason; the rest goes on. */
static void
test_refused_rows(void **state)
{
	static const char f[] = "téléphone;nom;langue;sexe;canal;consentement;date_consentement\n"
				"0612345678;A;fr;f;sms;oui;2026-11-01\n"
				";B;fr;f;;;\n"
				"0812345678;C;fr;f;;;\n"
				"06123;D;fr;f;;;\n"
				"0612345679;E;de;f;;;\n"
				"0612345679;F;fr;femelle;;;\n"
				"0612345679;G;fr;f;fax;;\n"
				"0612345679;H;fr;f;;peut-être;\n"
				"0612345679;I;fr;f;;oui;31/02/2026\n"
				"0612345679;J;fr;f;;;2026-11-01\n"
				"06 12 34 56 abc;K;fr;f;;;\n"
				"0712345678;L;ary;m;whatsapp;yes;2026-11-30 09:30\n";
	struct got g;
	char why[256];

	(void)state;
	assert_int_equal(parse(f, strlen(f), 0, false, &g, why), 0);
	assert_int_equal(g.nrows, 2);
	assert_int_equal(g.nrefused, 10);
	assert_string_equal(g.refused,
	    "3|téléphone|the phone number is empty\n"
	    "4|téléphone|not a phone number: not a Moroccan mobile or fixed number\n"
	    "5|téléphone|not a phone number: national number without country code\n"
	    "6|langue|'de' is not a language: fr, ar, ary, ary-Latn or en\n"
	    "7|sexe|'femelle' is not f, m, x (femme, homme) or empty\n"
	    "8|canal|'fax' is not sms, whatsapp or auto\n"
	    "9|consentement|'peut-être' is not oui/yes or non/no\n"
	    "10|date_consentement|'31/02/2026' is not a date (2026-11-30, 30/11/2026 or with a time)\n"
	    "11||a consent date without consent (oui or non)\n"
	    "12|téléphone|not a phone number: unexpected character in phone number\n");
	/* The same as codes a console translates, with the value at fault (never a phone number). */
	assert_string_equal(g.codes,
	    "3|phone_empty|\n"
	    "4|phone_invalid|\n"
	    "5|phone_invalid|\n"
	    "6|locale_invalid|de\n"
	    "7|sex_invalid|femelle\n"
	    "8|channel_invalid|fax\n"
	    "9|consent_invalid|peut-être\n"
	    "10|date_invalid|31/02/2026\n"
	    "11|date_without_consent|\n"
	    "12|phone_invalid|\n");
	assert_non_null(strstr(g.rows, "13|+212712345678|L||ary||m|whatsapp||1|1796031000|\n"));
}

/* A file whose columns are shifted puts numbers where words go: the refusal never repeats a number. */
static void
test_refusals_never_show_a_number(void **state)
{
	static const char f[] = "nom;langue;téléphone;consentement\n"
				"A;0612345678;fr;oui\n"
				"B;fr;0612345679;+212612345670\n";
	struct got g;
	char why[256];

	(void)state;
	assert_int_equal(parse(f, strlen(f), 0, false, &g, why), 0);
	assert_int_equal(g.nrefused, 2);
	assert_string_equal(g.codes, "2|locale_invalid|\n3|consent_invalid|\n");
	assert_string_equal(g.refused,
	    "2|langue|'…' is not a language: fr, ar, ary, ary-Latn or en\n"
	    "3|consentement|'…' is not oui/yes or non/no\n");
}

/* French Excel's plain "CSV" is Windows-1252: refused with the reason, then read when asked. */
static void
test_windows_1252(void **state)
{
	static const char f[] = "nom;t\xE9l\xE9phone;ville\r\n"
				"Ir\xE8ne \x9C\x80;0612345678;Sal\xE9\r\n";
	struct got g;
	char why[256];

	(void)state;
	assert_int_equal(parse(f, strlen(f), 0, false, &g, why), -1);
	assert_non_null(strstr(why, "line 1: the file is not UTF-8"));
	assert_non_null(strstr(why, "encoding=windows-1252"));
	assert_int_equal(parse(f, strlen(f), 0, true, &g, why), 0);
	assert_string_equal(g.rows, "2|+212612345678|Irène œ€|||Salé||||-1|0|\n");
	/* A bad byte further down names its line. */
	assert_int_equal(parse("phone\n0612345678\n0612\xE9", 22, 0, false, &g, why), -1);
	assert_non_null(strstr(why, "line 3:"));
}

/* Byte by byte, and in pieces that cut UTF-8 characters, CRLF pairs and the BOM: the same rows. */
static void
test_streaming_pieces(void **state)
{
	static const char f[] = "\xEF\xBB\xBFnom;téléphone;tags\r\n"
				"\"Aïcha\r\nBenali\";0612345678;\"a;b\"\r\n"
				"محمد;0712345678;c\r\n"
				"Jo;0612345678;\r\n";
	struct got whole, bytes;
	char why[256];

	(void)state;
	assert_int_equal(parse(f, strlen(f), 0, false, &whole, why), 0);
	assert_int_equal(whole.nrows, 3);
	for (size_t piece = 1; piece <= 7; piece++) {
		assert_int_equal(parse(f, strlen(f), piece, false, &bytes, why), 0);
		assert_string_equal(bytes.rows, whole.rows);
	}
	assert_non_null(strstr(whole.rows, "4|+212712345678|محمد"));
	assert_non_null(strstr(whole.rows, "5|+212612345678|Jo"));
}

static void
test_file_level_refusals(void **state)
{
	struct got g;
	char why[256];

	(void)state;
	assert_int_equal(parse("", 0, 0, false, &g, why), -1);
	assert_non_null(strstr(why, "the file is empty"));
	assert_int_equal(parse("\xEF\xBB\xBF", 3, 0, false, &g, why), -1);
	assert_non_null(strstr(why, "the file is empty"));
	/* A header alone is a file with no rows, not an error. */
	assert_int_equal(parse("phone;name\r\n", 12, 0, false, &g, why), 0);
	assert_int_equal(g.nrows + g.nrefused, 0);
	assert_int_equal(parse("name;city\nA;Rabat\n", 18, 0, false, &g, why), -1);
	assert_non_null(strstr(why, "no phone column"));
	assert_int_equal(parse("phone;tel\n", 10, 0, false, &g, why), -1);
	assert_non_null(strstr(why, "column 'tel' appears twice"));
	assert_int_equal(parse("phone\n\"0612345678\n", 18, 0, false, &g, why), -1);
	assert_non_null(strstr(why, "line 2: a quoted field is not closed"));
	/* No new line at the end: the last row still counts. */
	assert_int_equal(parse("phone\n0612345678", 16, 0, false, &g, why), 0);
	assert_int_equal(g.nrows, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_french_excel_utf8),
		cmocka_unit_test(test_quotes_and_line_numbers),
		cmocka_unit_test(test_refused_rows),
		cmocka_unit_test(test_refusals_never_show_a_number),
		cmocka_unit_test(test_windows_1252),
		cmocka_unit_test(test_streaming_pieces),
		cmocka_unit_test(test_file_level_refusals),
	};

	return cmocka_run_group_tests_name("contacts_csv", tests, setup, NULL);
}
