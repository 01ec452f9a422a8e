/*
 * Unit tests for handlers/signature.c against vectors computed outside
 * this code with the openssl command line, so a wrong concatenation,
 * sort order or encoding shows; and every kind of forgery is refused.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handlers/form.h"
#include "handlers/signature.h"

/* Twilio's own example ("Webhooks security": validating signatures from Twilio). */
#define DOC_TOKEN "12345"
#define DOC_URL "https://mycompany.com/myapp.php?foo=1&bar=2"
#define DOC_BODY "CallSid=CA1234567890ABCDE&Caller=%2B12349013030&Digits=1234&From=%2B12349013030&To=%2B18005551212"
/*
 * printf '%s' 'https://mycompany.com/myapp.php?foo=1&bar=2CallSidCA1234567890ABCDECaller+12349013030'\
 * 'Digits1234From+12349013030To+18005551212' | openssl dgst -sha1 -hmac 12345 -binary | base64
 * (the value Twilio's page shows too)
 */
#define DOC_SIG "0/KCTR6DLpKmkAf8muzZqo1nDgQ="

/*
 * Sorting in byte order ("Body" before "a"), equal names by value, and
 * decoded values (a space, a UTF-8 é):
 * printf '%s' 'https://gw.example/t?x=1BodySalam éayazb2' | openssl dgst -sha1 -hmac tok -binary | base64
 */
#define SORT_BODY "b=2&a=z&Body=Salam+%C3%A9&a=y"
#define SORT_SIG "5wS2sMf3Yy/ddvCwcIp3ehum7T4="
/*
 * No parameters:
 * printf '%s' 'https://gw.example.ma/webhooks/twilio/status' | openssl dgst -sha1 -hmac tok -binary | base64
 */
#define EMPTY_SIG "05o/KeaaR73vKqIO+4Ipro+IeKc="

/* printf '%s' '{"object":"whatsapp_business_account","entry":[]}' | openssl dgst -sha256 -hmac app-secret */
#define META_BODY "{\"object\":\"whatsapp_business_account\",\"entry\":[]}"
#define META_SIG "sha256=d3e4f9da0ce6c71ab3dba55929b8eeeee2455349e534924ead19f98d143e904f"
/* printf '{"text":"سلام"}\n' | openssl dgst -sha256 -hmac k */
#define META_UTF8_BODY "{\"text\":\"\xd8\xb3\xd9\x84\xd8\xa7\xd9\x85\"}\n"
#define META_UTF8_SIG "sha256=5bd86b7e2fff69c150e8db96fa47cab248730e23c17339d8025105e2a3c17c90"
/* printf '' | openssl dgst -sha256 -hmac k */
#define META_EMPTY_SIG "sha256=8bb990c40a7d61cb97597a942125025be50ac8beb74436e3735b98893a7f6620"

static void parse(struct form *f, const char *body);
static void test_twilio_doc_vector(void **state);
static void test_twilio_sort_vector(void **state);
static void test_twilio_no_params(void **state);
static void test_twilio_tampered(void **state);
static void test_twilio_wrong_url(void **state);
static void test_twilio_bad_header(void **state);
static void test_meta_vectors(void **state);
static void test_meta_hex_case(void **state);
static void test_meta_tampered(void **state);
static void test_meta_bad_header(void **state);
static void test_equal(void **state);

static void
parse(struct form *f, const char *body)
{
	char err[64];

	if (form_parse(f, body, strlen(body), err, sizeof err) != 0)
		fail_msg("form_parse: %s", err);
}

static void
test_twilio_doc_vector(void **state)
{
	char sig[SIGNATURE_TWILIO_LEN];
	struct form f;

	(void)state;
	parse(&f, DOC_BODY);
	signature_twilio(DOC_TOKEN, DOC_URL, &f, sig);
	assert_string_equal(sig, DOC_SIG);
	assert_true(signature_twilio_verify(DOC_TOKEN, DOC_URL, &f, DOC_SIG));
	form_free(&f);
	/* The order of the body does not matter; the sorted order is signed. */
	parse(&f, "To=%2B18005551212&From=%2B12349013030&Digits=1234&Caller=%2B12349013030&CallSid=CA1234567890ABCDE");
	assert_true(signature_twilio_verify(DOC_TOKEN, DOC_URL, &f, DOC_SIG));
	form_free(&f);
}

static void
test_twilio_sort_vector(void **state)
{
	char sig[SIGNATURE_TWILIO_LEN];
	struct form f;

	(void)state;
	parse(&f, SORT_BODY);
	signature_twilio("tok", "https://gw.example/t?x=1", &f, sig);
	assert_string_equal(sig, SORT_SIG);
	form_free(&f);
	/* Swapping the values of the repeated name is the same request. */
	parse(&f, "a=y&b=2&Body=Salam+%C3%A9&a=z");
	assert_true(signature_twilio_verify("tok", "https://gw.example/t?x=1", &f, SORT_SIG));
	form_free(&f);
}

static void
test_twilio_no_params(void **state)
{
	char sig[SIGNATURE_TWILIO_LEN];
	struct form f;

	(void)state;
	parse(&f, "");
	signature_twilio("tok", "https://gw.example.ma/webhooks/twilio/status", &f, sig);
	assert_string_equal(sig, EMPTY_SIG);
	form_free(&f);
}

static void
test_twilio_tampered(void **state)
{
	struct form f;

	(void)state;
	/* One digit of one value changed. */
	parse(&f, "CallSid=CA1234567890ABCDE&Caller=%2B12349013030&Digits=1235&From=%2B12349013030&To=%2B18005551212");
	assert_false(signature_twilio_verify(DOC_TOKEN, DOC_URL, &f, DOC_SIG));
	form_free(&f);
	/* A parameter added. */
	parse(&f, DOC_BODY "&Body=hi");
	assert_false(signature_twilio_verify(DOC_TOKEN, DOC_URL, &f, DOC_SIG));
	form_free(&f);
	/* A parameter dropped. */
	parse(&f, "CallSid=CA1234567890ABCDE&Caller=%2B12349013030&Digits=1234&From=%2B12349013030");
	assert_false(signature_twilio_verify(DOC_TOKEN, DOC_URL, &f, DOC_SIG));
	form_free(&f);
	/* A value moved to another name keeps the concatenation but not the pairs' order. */
	parse(&f, "CallSid=CA1234567890ABCDECaller&=%2B12349013030&Digits=1234&From=%2B12349013030&To=%2B18005551212");
	assert_false(signature_twilio_verify(DOC_TOKEN, DOC_URL, &f, DOC_SIG));
	form_free(&f);
	/* The wrong token. */
	parse(&f, DOC_BODY);
	assert_false(signature_twilio_verify("12346", DOC_URL, &f, DOC_SIG));
	assert_false(signature_twilio_verify("", DOC_URL, &f, DOC_SIG));
	form_free(&f);
}

static void
test_twilio_wrong_url(void **state)
{
	struct form f;

	(void)state;
	parse(&f, DOC_BODY);
	assert_false(signature_twilio_verify(DOC_TOKEN, "http://mycompany.com/myapp.php?foo=1&bar=2", &f, DOC_SIG));
	assert_false(signature_twilio_verify(DOC_TOKEN, "https://mycompany.com/other.php?foo=1&bar=2", &f, DOC_SIG));
	assert_false(signature_twilio_verify(DOC_TOKEN, "https://mycompany.com/myapp.php?foo=1&bar=3", &f, DOC_SIG));
	assert_false(signature_twilio_verify(DOC_TOKEN, "https://mycompany.com/myapp.php", &f, DOC_SIG));
	assert_false(signature_twilio_verify(DOC_TOKEN, NULL, &f, DOC_SIG));
	form_free(&f);
}

static void
test_twilio_bad_header(void **state)
{
	struct form f;

	(void)state;
	parse(&f, DOC_BODY);
	assert_false(signature_twilio_verify(DOC_TOKEN, DOC_URL, &f, NULL));
	assert_false(signature_twilio_verify(DOC_TOKEN, DOC_URL, &f, ""));
	/* Truncated, also to the length of a prefix match. */
	assert_false(signature_twilio_verify(DOC_TOKEN, DOC_URL, &f, "0/KCTR6DLpKmkAf8muzZqo1nDgQ"));
	assert_false(signature_twilio_verify(DOC_TOKEN, DOC_URL, &f, "0/KCTR6D"));
	assert_false(signature_twilio_verify(DOC_TOKEN, DOC_URL, &f, DOC_SIG "="));
	assert_false(signature_twilio_verify(DOC_TOKEN, DOC_URL, &f, DOC_SIG " "));
	assert_false(signature_twilio_verify(DOC_TOKEN, DOC_URL, &f, "1/KCTR6DLpKmkAf8muzZqo1nDgQ="));
	form_free(&f);
}

static void
test_meta_vectors(void **state)
{
	char sig[SIGNATURE_META_LEN];

	(void)state;
	signature_meta("app-secret", META_BODY, strlen(META_BODY), sig);
	assert_string_equal(sig, META_SIG);
	assert_true(signature_meta_verify("app-secret", META_BODY, strlen(META_BODY), META_SIG));
	signature_meta("k", META_UTF8_BODY, strlen(META_UTF8_BODY), sig);
	assert_string_equal(sig, META_UTF8_SIG);
	assert_true(signature_meta_verify("k", META_UTF8_BODY, strlen(META_UTF8_BODY), META_UTF8_SIG));
	signature_meta("k", NULL, 0, sig);
	assert_string_equal(sig, META_EMPTY_SIG);
	assert_true(signature_meta_verify("k", "", 0, META_EMPTY_SIG));
}

static void
test_meta_hex_case(void **state)
{
	char upper[SIGNATURE_META_LEN];

	(void)state;
	strcpy(upper, META_SIG);
	for (char *p = upper + 7; *p != '\0'; p++)
		if (*p >= 'a' && *p <= 'f')
			*p = (char)(*p - 'a' + 'A');
	assert_string_equal(upper, "sha256=D3E4F9DA0CE6C71AB3DBA55929B8EEEEE2455349E534924EAD19F98D143E904F");
	assert_true(signature_meta_verify("app-secret", META_BODY, strlen(META_BODY), upper));
}

static void
test_meta_tampered(void **state)
{
	static const char tampered[] = "{\"object\":\"whatsapp_business_account\",\"entry\":[ ]}";

	(void)state;
	assert_false(signature_meta_verify("app-secret", tampered, strlen(tampered), META_SIG));
	/* The body is exactly len bytes: one byte less or more is another body. */
	assert_false(signature_meta_verify("app-secret", META_BODY, strlen(META_BODY) - 1, META_SIG));
	assert_false(signature_meta_verify("app-secret", META_BODY "\n", strlen(META_BODY) + 1, META_SIG));
	assert_false(signature_meta_verify("app-secreT", META_BODY, strlen(META_BODY), META_SIG));
	assert_false(signature_meta_verify("", META_BODY, strlen(META_BODY), META_SIG));
	assert_false(signature_meta_verify(NULL, META_BODY, strlen(META_BODY), META_SIG));
}

static void
test_meta_bad_header(void **state)
{
	size_t len = strlen(META_BODY);

	(void)state;
	assert_false(signature_meta_verify("app-secret", META_BODY, len, NULL));
	assert_false(signature_meta_verify("app-secret", META_BODY, len, ""));
	assert_false(signature_meta_verify("app-secret", META_BODY, len, "sha256="));
	/* Without the prefix, with another algorithm's prefix, truncated, with a trailing byte. */
	assert_false(signature_meta_verify(
	    "app-secret", META_BODY, len, "d3e4f9da0ce6c71ab3dba55929b8eeeee2455349e534924ead19f98d143e904f"));
	assert_false(signature_meta_verify(
	    "app-secret", META_BODY, len, "sha1=d3e4f9da0ce6c71ab3dba55929b8eeeee2455349e534924ead19f98d143e904f"));
	assert_false(signature_meta_verify(
	    "app-secret", META_BODY, len, "sha256=d3e4f9da0ce6c71ab3dba55929b8eeeee2455349e534924ead19f98d143e904"));
	assert_false(signature_meta_verify("app-secret", META_BODY, len, "sha256=d3e4f9da"));
	assert_false(signature_meta_verify("app-secret", META_BODY, len, META_SIG "0"));
	assert_false(signature_meta_verify("app-secret", META_BODY, len, META_SIG " "));
	/* Not hex. */
	assert_false(signature_meta_verify(
	    "app-secret", META_BODY, len, "sha256=d3e4f9da0ce6c71ab3dba55929b8eeeee2455349e534924ead19f98d143e904g"));
}

static void
test_equal(void **state)
{
	(void)state;
	assert_true(signature_equal("verify-me", 9, "verify-me", 9));
	assert_false(signature_equal("verify-me", 9, "verify-mE", 9));
	assert_false(signature_equal("verify-me", 9, "verify-m", 8));
	assert_false(signature_equal("verify-me", 9, "verify-me\0", 10));
	assert_true(signature_equal("", 0, NULL, 0));
	assert_false(signature_equal("", 0, "a", 1));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_twilio_doc_vector),
		cmocka_unit_test(test_twilio_sort_vector),
		cmocka_unit_test(test_twilio_no_params),
		cmocka_unit_test(test_twilio_tampered),
		cmocka_unit_test(test_twilio_wrong_url),
		cmocka_unit_test(test_twilio_bad_header),
		cmocka_unit_test(test_meta_vectors),
		cmocka_unit_test(test_meta_hex_case),
		cmocka_unit_test(test_meta_tampered),
		cmocka_unit_test(test_meta_bad_header),
		cmocka_unit_test(test_equal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
