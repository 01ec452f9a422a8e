/*
 * Unit tests for queues/message.c: the intake contract of an outbox entry,
 * each field parsed, each rejection named, and the raw fields kept so a
 * dead-letter carries everything the producer wrote.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "queues/message.h"

#define ENTRY_ID "1700000000000-0"
#define MAX_ITEMS 10002

static int parse_items(struct message *m, enum lane lane, const char *const *items);
static void expect_error(const char *const *items, const char *needle);
static char *repeat(const char *unit, size_t times);
static void test_full_entry(void **state);
static void test_minimal_entry_defaults(void **state);
static void test_each_channel(void **state);
static void test_each_kind(void **state);
static void test_unknown_fields_kept(void **state);
static void test_missing_to(void **state);
static void test_invalid_number(void **state);
static void test_invalid_utf8(void **state);
static void test_empty_text(void **state);
static void test_missing_text(void **state);
static void test_text_length_in_characters(void **state);
static void test_unknown_channel(void **state);
static void test_unknown_kind(void **state);
static void test_provider(void **state);
static void test_bad_not_before(void **state);
static void test_bad_expires(void **state);
static void test_odd_number_of_items(void **state);
static void test_nul_inside_value(void **state);
static void test_id_rejected(void **state);
static void test_missing_id(void **state);
static void test_derived_id_read_back(void **state);
static void test_template_without_text(void **state);
static void test_contact_without_to(void **state);
static void test_bad_campaign(void **state);
static void test_names_encoded_for_keys(void **state);
static void test_too_many_fields(void **state);

/* Parses a NULL-terminated name, value, ... list of C strings. */
static int
parse_items(struct message *m, enum lane lane, const char *const *items)
{
	size_t lens[MAX_ITEMS], n = 0;

	while (items[n] != NULL) {
		assert_true(n < MAX_ITEMS);
		lens[n] = strlen(items[n]);
		n++;
	}
	return message_parse(m, lane, ENTRY_ID, items, lens, n);
}

/* The entry must be refused, with needle in the error. */
static void
expect_error(const char *const *items, const char *needle)
{
	struct message m;

	if (parse_items(&m, LANE_NOTIFY, items) == 0) {
		message_free(&m);
		fail_msg("entry accepted, expected an error about '%s'", needle);
	}
	if (strstr(m.error, needle) == NULL) {
		char copy[sizeof m.error];

		memcpy(copy, m.error, sizeof copy);
		message_free(&m);
		fail_msg("error '%s' does not mention '%s'", copy, needle);
	}
	message_free(&m);
}

static char *
repeat(const char *unit, size_t times)
{
	size_t ulen = strlen(unit);
	char *s = malloc(ulen * times + 1);

	assert_non_null(s);
	for (size_t i = 0; i < times; i++)
		memcpy(s + i * ulen, unit, ulen);
	s[ulen * times] = '\0';
	return s;
}

static void
test_full_entry(void **state)
{
	const char *items[] = { "id", "offer-2024:42", "to", "0612345678", "text", "Salam, dorat jdida", "channel",
		"sms", "kind", "training_offer", "campaign", "spring-2024", "not_before", "1700000000", "expires",
		"1700086400", NULL };
	struct message m;

	(void)state;
	assert_int_equal(parse_items(&m, LANE_BULK, items), 0);
	assert_int_equal(m.lane, LANE_BULK);
	assert_string_equal(m.entry_id, ENTRY_ID);
	assert_string_equal(m.id, "offer-2024:42");
	assert_true(m.has_id);
	assert_string_equal(m.to, "+212612345678");
	assert_string_equal(m.to_masked, "+2126******78");
	assert_string_equal(m.text, "Salam, dorat jdida");
	assert_int_equal(m.channel, CHANNEL_SMS);
	assert_int_equal(m.kind, KIND_TRAINING_OFFER);
	assert_string_equal(m.campaign, "spring-2024");
	assert_int_equal(m.not_before, 1700000000);
	assert_int_equal(m.expires, 1700086400);
	assert_int_equal(m.nfields, 8);
	assert_string_equal(m.fields[0], "id");
	assert_string_equal(m.fields[15], "1700086400");
	assert_int_equal(m.field_lens[5], strlen("Salam, dorat jdida"));
	message_free(&m);
	assert_null(m.fields);
	assert_null(m.id);
}

static void
test_minimal_entry_defaults(void **state)
{
	const char *items[] = { "to", "+33612345678", "text", "Bonjour", NULL };
	struct message m;

	(void)state;
	assert_int_equal(parse_items(&m, LANE_REPLY, items), 0);
	assert_string_equal(m.to, "+33612345678");
	assert_int_equal(m.channel, CHANNEL_AUTO);
	assert_int_equal(m.kind, KIND_CUSTOM);
	assert_string_equal(m.campaign, "");
	assert_int_equal(m.not_before, 0);
	assert_int_equal(m.expires, 0);
	message_free(&m);
}

static void
test_each_channel(void **state)
{
	static const struct {
		const char *name;
		enum channel want;
	} cases[] = {
		{ "auto", CHANNEL_AUTO },
		{ "sms", CHANNEL_SMS },
		{ "whatsapp", CHANNEL_WHATSAPP },
	};

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const char *items[] = { "to", "0612345678", "text", "x", "channel", cases[i].name, NULL };
		struct message m;

		assert_int_equal(parse_items(&m, LANE_NOTIFY, items), 0);
		assert_int_equal(m.channel, cases[i].want);
		assert_string_equal(channel_name(m.channel), cases[i].name);
		message_free(&m);
	}
}

static void
test_each_kind(void **state)
{
	static const struct {
		const char *name;
		enum kind want;
	} cases[] = {
		{ "custom", KIND_CUSTOM },
		{ "training_offer", KIND_TRAINING_OFFER },
		{ "residency_followup", KIND_RESIDENCY_FOLLOWUP },
		{ "covid_info", KIND_COVID_INFO },
		{ "event", KIND_EVENT },
		{ "reply", KIND_REPLY },
	};

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const char *items[] = { "to", "0612345678", "text", "x", "kind", cases[i].name, NULL };
		struct message m;

		assert_int_equal(parse_items(&m, LANE_NOTIFY, items), 0);
		assert_int_equal(m.kind, cases[i].want);
		assert_string_equal(kind_name(m.kind), cases[i].name);
		message_free(&m);
	}
}

static void
test_unknown_fields_kept(void **state)
{
	const char *items[] = { "to", "0612345678", "x_trace", "abc123", "text", "hi", "v", "2", NULL };
	struct message m;

	(void)state;
	assert_int_equal(parse_items(&m, LANE_NOTIFY, items), 0);
	assert_int_equal(m.nfields, 4);
	assert_string_equal(m.fields[2], "x_trace");
	assert_string_equal(m.fields[3], "abc123");
	assert_string_equal(m.fields[6], "v");
	assert_string_equal(m.fields[7], "2");
	message_free(&m);
}

static void
test_missing_to(void **state)
{
	const char *items[] = { "text", "hi", NULL };

	(void)state;
	expect_error(items, "'to'");
}

static void
test_invalid_number(void **state)
{
	const char *items[] = { "to", "0312345678", "text", "hi", NULL };
	const char *letters[] = { "to", "not a number", "text", "hi", NULL };
	struct message m;

	(void)state;
	expect_error(items, "'to'");
	expect_error(letters, "'to'");
	/* The raw fields stay for the dead-letter even when parsing fails. */
	assert_int_not_equal(parse_items(&m, LANE_NOTIFY, items), 0);
	assert_int_equal(m.nfields, 2);
	assert_string_equal(m.fields[1], "0312345678");
	message_free(&m);
}

static void
test_invalid_utf8(void **state)
{
	static const char *bad[] = {
		"over\xC0\xAFlong",     /* overlong "/" */
		"over\xE0\x80\xAFlong", /* overlong 3-byte */
		"lone \x80 continuation",
		"surrogate \xED\xA0\x80", /* U+D800 */
		"truncated \xE2\x82",     /* euro sign cut short */
		"truncated at end \xF0\x9F\x98",
		"bad lead \xFF",
	};

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		const char *items[] = { "to", "0612345678", "text", bad[i], NULL };

		expect_error(items, "UTF-8");
	}
}

static void
test_empty_text(void **state)
{
	const char *items[] = { "to", "0612345678", "text", "", NULL };

	(void)state;
	expect_error(items, "'text'");
}

static void
test_missing_text(void **state)
{
	const char *items[] = { "to", "0612345678", NULL };

	(void)state;
	expect_error(items, "'text'");
}

/* Twilio's limit is in characters: 1,600 Arabic letters are 3,200 bytes and fine. */
static void
test_text_length_in_characters(void **state)
{
	struct message m;
	char *arabic_ok = repeat("\xD8\xA8", MESSAGE_TEXT_MAX_CHARS);
	char *arabic_long = repeat("\xD8\xA8", MESSAGE_TEXT_MAX_CHARS + 1);
	char *ascii_ok = repeat("a", MESSAGE_TEXT_MAX_CHARS);
	char *ascii_long = repeat("a", MESSAGE_TEXT_MAX_CHARS + 1);
	const char *items[] = { "to", "0612345678", "text", NULL, NULL };

	(void)state;
	items[3] = arabic_ok;
	assert_int_equal(parse_items(&m, LANE_BULK, items), 0);
	assert_int_equal(strlen(m.text), 2 * MESSAGE_TEXT_MAX_CHARS);
	message_free(&m);
	items[3] = ascii_ok;
	assert_int_equal(parse_items(&m, LANE_BULK, items), 0);
	message_free(&m);
	items[3] = arabic_long;
	expect_error(items, "longer than 1600");
	items[3] = ascii_long;
	expect_error(items, "longer than 1600");
	free(arabic_ok);
	free(arabic_long);
	free(ascii_ok);
	free(ascii_long);
}

static void
test_unknown_channel(void **state)
{
	const char *items[] = { "to", "0612345678", "text", "hi", "channel", "pigeon", NULL };
	const char *upper[] = { "to", "0612345678", "text", "hi", "channel", "SMS", NULL };

	(void)state;
	expect_error(items, "'channel'");
	expect_error(upper, "'channel'");
}

/* provider names the one that must carry the message (a reply goes back the way it came). */
static void
test_provider(void **state)
{
	const char *items[] = { "to", "0612345678", "text", "hi", "provider", "generic", NULL };
	const char *upper[] = { "to", "0612345678", "text", "hi", "provider", "Generic", NULL };
	const char *space[] = { "to", "0612345678", "text", "hi", "provider", "gen eric", NULL };
	const char *none[] = { "to", "0612345678", "text", "hi", NULL };
	struct message m;

	(void)state;
	assert_int_equal(parse_items(&m, LANE_REPLY, items), 0);
	assert_string_equal(m.provider, "generic");
	message_free(&m);
	assert_int_equal(parse_items(&m, LANE_REPLY, none), 0);
	assert_string_equal(m.provider, "");
	message_free(&m);
	expect_error(upper, "'provider'");
	expect_error(space, "'provider'");
}

static void
test_unknown_kind(void **state)
{
	const char *items[] = { "to", "0612345678", "text", "hi", "kind", "spam", NULL };

	(void)state;
	expect_error(items, "'kind'");
}

static void
test_bad_not_before(void **state)
{
	static const char *bad[] = { "abc", "-1", "12x", "", "99999999999999999999" };

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		const char *items[] = { "to", "0612345678", "text", "hi", "not_before", bad[i], NULL };

		expect_error(items, "'not_before'");
	}
}

static void
test_bad_expires(void **state)
{
	const char *items[] = { "to", "0612345678", "text", "hi", "expires", "tomorrow", NULL };

	(void)state;
	expect_error(items, "'expires'");
}

static void
test_odd_number_of_items(void **state)
{
	const char *items[] = { "to", "0612345678", "text", "hi", "campaign", NULL };
	struct message m;

	(void)state;
	expect_error(items, "odd number");
	assert_int_not_equal(parse_items(&m, LANE_NOTIFY, items), 0);
	assert_int_equal(m.nfields, 2);
	message_free(&m);
}

static void
test_nul_inside_value(void **state)
{
	const char *values[] = { "to", "0612345678", "text", "hello\0world" };
	const size_t lens[] = { 2, 10, 4, 11 };
	struct message m;

	(void)state;
	assert_int_not_equal(message_parse(&m, LANE_NOTIFY, ENTRY_ID, values, lens, 4), 0);
	assert_non_null(strstr(m.error, "NUL"));
	assert_non_null(strstr(m.error, "text"));
	/* The raw field is kept whole, with its length, for the dead-letter. */
	assert_int_equal(m.field_lens[3], 11);
	assert_memory_equal(m.fields[3], "hello\0world", 11);
	message_free(&m);
}

static void
test_id_rejected(void **state)
{
	char *long_id = repeat("a", MESSAGE_ID_MAX + 1);
	const char *empty[] = { "id", "", "to", "0612345678", "text", "hi", NULL };
	const char *toolong[] = { "id", long_id, "to", "0612345678", "text", "hi", NULL };
	const char *not_utf8[] = { "id", "caf\xc3\x28", "to", "0612345678", "text", "hi", NULL };

	(void)state;
	expect_error(empty, "'id' is empty");
	expect_error(toolong, "'id' is longer than 1024 bytes");
	expect_error(not_utf8, "'id' is not valid UTF-8");
	free(long_id);
}

/*
 * Ids and campaign names are whatever producers write, Arabic and key
 * separators included: they are kept as given and encoded in key names,
 * where two different ones can never meet.
 */
static void
test_names_encoded_for_keys(void **state)
{
	char *kb_id = repeat("z", MESSAGE_ID_MAX);
	static const struct {
		const char *id, *campaign, *kid, *ckey;
	} cases[] = {
		{ "train-2026-11-0001", "train-2026", "train-2026-11-0001", "train-2026" },
		{ "my id", "x:sent", "my%20id", "x%3Asent" },
		{ "{a}:b", "x", "%7Ba%7D%3Ab", "x" },
		{ "line\none", "%41", "line%0Aone", "%2541" },
		{ "\xd8\xad\xd9\x85\xd9\x84\xd8\xa9", "", "%D8%AD%D9%85%D9%84%D8%A9", "" },
	};
	struct message m;

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const char *items[] = { "id", cases[i].id, "to", "0612345678", "text", "hi", "campaign",
			cases[i].campaign, NULL };

		assert_int_equal(parse_items(&m, LANE_BULK, items), 0);
		assert_string_equal(m.id, cases[i].id);
		assert_string_equal(m.kid, cases[i].kid);
		assert_string_equal(m.campaign, cases[i].campaign);
		assert_string_equal(m.ckey, cases[i].ckey);
		/* An encoded part never holds a key separator or an unescaped '%' of its own. */
		assert_null(strchr(m.kid, ':'));
		assert_null(strchr(m.ckey, ':'));
		message_free(&m);
	}
	{
		const char *items[] = { "id", kb_id, "to", "0612345678", "text", "hi", NULL };

		assert_int_equal(parse_items(&m, LANE_BULK, items), 0);
		assert_string_equal(m.kid, kb_id);
		message_free(&m);
	}
	free(kb_id);
}

static void
test_missing_id(void **state)
{
	const char *items[] = { "to", "0612345678", "text", "hi", NULL };
	struct message m;

	(void)state;
	assert_int_equal(parse_items(&m, LANE_BULK, items), 0);
	assert_false(m.has_id);
	assert_string_equal(m.id, "~bulk-" ENTRY_ID);
	assert_string_equal(m.kid, "~bulk-" ENTRY_ID);
	message_free(&m);
	assert_int_equal(parse_items(&m, LANE_REPLY, items), 0);
	assert_string_equal(m.id, "~reply-" ENTRY_ID);
	message_free(&m);
}

/* A derived id read back from a parked message's fields is the same id, with the same key. */
static void
test_derived_id_read_back(void **state)
{
	const char *items[] = { "id", "~bulk-1700000000000-0", "to", "0612345678", "text", "hi", NULL };
	struct message m;

	(void)state;
	assert_int_equal(parse_items(&m, LANE_BULK, items), 0);
	assert_string_equal(m.id, "~bulk-1700000000000-0");
	assert_string_equal(m.kid, "~bulk-1700000000000-0");
	message_free(&m);
}

static void
test_template_without_text(void **state)
{
	const char *items[] = { "to", "0612345678", "template", "offer_v2", NULL };

	(void)state;
	expect_error(items, "template");
}

static void
test_contact_without_to(void **state)
{
	const char *bad[] = { "contact", "c-1234", "text", "hi", NULL };
	const char *upper[] = { "contact", "0123456789ABCDEF01234567", "text", "hi", NULL };
	const char *none[] = { "text", "hi", NULL };
	const char *good[] = { "contact", "0123456789abcdef01234567", "text", "hi", NULL };
	const char *both[] = { "to", "0612345678", "contact", "0123456789abcdef01234567", "text", "hi", NULL };
	struct message m;

	(void)state;
	expect_error(bad, "contact");
	expect_error(upper, "contact");
	expect_error(none, "'to'");
	assert_int_equal(parse_items(&m, LANE_REPLY, good), 0);
	assert_true(m.by_contact);
	assert_string_equal(m.person, "0123456789abcdef01234567");
	assert_string_equal(m.to, "");
	assert_null(strstr(m.to_masked, "+"));
	message_free(&m);
	/* With both, the number given wins. */
	assert_int_equal(parse_items(&m, LANE_REPLY, both), 0);
	assert_false(m.by_contact);
	assert_string_equal(m.to, "+212612345678");
	message_free(&m);
}

static void
test_bad_campaign(void **state)
{
	char *long_campaign = repeat("c", MESSAGE_CAMPAIGN_MAX + 1);
	const char *toolong[] = { "to", "0612345678", "text", "hi", "campaign", long_campaign, NULL };
	const char *not_utf8[] = { "to", "0612345678", "text", "hi", "campaign", "\xff", NULL };

	(void)state;
	expect_error(toolong, "'campaign' is longer");
	expect_error(not_utf8, "'campaign' is not valid UTF-8");
	free(long_campaign);
}

/* An entry with more fields than the contract could use is refused; the first ones are kept for the dead-letter. */
static void
test_too_many_fields(void **state)
{
	const char **items = calloc(2 * 5000 + 1, sizeof *items);
	char(*names)[16] = calloc(5000, sizeof *names);
	struct message m;

	(void)state;
	items[0] = "to";
	items[1] = "0612345678";
	items[2] = "text";
	items[3] = "hi";
	for (size_t i = 2; i < 5000; i++) {
		snprintf(names[i], sizeof names[i], "f%zu", i);
		items[2 * i] = names[i];
		items[2 * i + 1] = "v";
	}
	assert_int_equal(parse_items(&m, LANE_BULK, items), -1);
	assert_non_null(strstr(m.error, "5000 fields"));
	assert_int_equal(m.nfields, 5000);
	assert_int_equal(m.nkept, MESSAGE_MAX_FIELDS);
	message_free(&m);
	free(names);
	free(items);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_entry),
		cmocka_unit_test(test_minimal_entry_defaults),
		cmocka_unit_test(test_each_channel),
		cmocka_unit_test(test_each_kind),
		cmocka_unit_test(test_unknown_fields_kept),
		cmocka_unit_test(test_missing_to),
		cmocka_unit_test(test_invalid_number),
		cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_empty_text),
		cmocka_unit_test(test_missing_text),
		cmocka_unit_test(test_text_length_in_characters),
		cmocka_unit_test(test_unknown_channel),
		cmocka_unit_test(test_unknown_kind),
		cmocka_unit_test(test_provider),
		cmocka_unit_test(test_bad_not_before),
		cmocka_unit_test(test_bad_expires),
		cmocka_unit_test(test_odd_number_of_items),
		cmocka_unit_test(test_nul_inside_value),
		cmocka_unit_test(test_id_rejected),
		cmocka_unit_test(test_missing_id),
		cmocka_unit_test(test_template_without_text),
		cmocka_unit_test(test_contact_without_to),
		cmocka_unit_test(test_bad_campaign),
		cmocka_unit_test(test_names_encoded_for_keys),
		cmocka_unit_test(test_derived_id_read_back),
		cmocka_unit_test(test_too_many_fields),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
