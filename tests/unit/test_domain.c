/*
 * Unit tests for gateway/util/domain.c: every name of the vocabulary reads
 * back to its value, final states and delivery ranks are what the
 * lifecycle in docs/redis.md says, and provider ids of any length keep one
 * form on every path.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "gateway/util/domain.h"

static void
test_names_round_trip(void **state)
{
	(void)state;
	for (int i = 0; i < LANE_COUNT; i++)
		assert_int_equal(lane_from_name(lane_name((enum lane)i)), i);
	for (int i = 0; i < CHANNEL_COUNT; i++)
		assert_int_equal(channel_from_name(channel_name((enum channel)i)), i);
	for (int i = 0; i < KIND_COUNT; i++)
		assert_int_equal(kind_from_name(kind_name((enum kind)i)), i);
	assert_string_equal(lane_name(LANE_BULK), "bulk");
	assert_string_equal(channel_name(CHANNEL_WHATSAPP), "whatsapp");
	assert_string_equal(kind_name(KIND_TRAINING_OFFER), "training_offer");
	assert_string_equal(state_name(STATE_RETRY_WAIT), "retry_wait");
	assert_string_equal(outcome_name(OUTCOME_FALLBACK), "fallback");
	assert_string_equal(delivery_name(DELIVERY_UNDELIVERED), "undelivered");
	assert_int_equal(channel_from_name("fax"), -1);
	assert_int_equal(kind_from_name(""), -1);
	assert_string_equal(state_name(STATE_COUNT), "?");
}

static void
test_final_states_and_ranks(void **state)
{
	(void)state;
	assert_false(state_is_final(STATE_QUEUED));
	assert_false(state_is_final(STATE_SCHEDULED));
	assert_false(state_is_final(STATE_SENDING));
	assert_false(state_is_final(STATE_RETRY_WAIT));
	for (int s = STATE_SENT; s <= STATE_EXPIRED; s++)
		assert_true(state_is_final((enum state)s));
	assert_true(delivery_rank(DELIVERY_SENT) < delivery_rank(DELIVERY_DELIVERED));
	assert_int_equal(delivery_rank(DELIVERY_DELIVERED), delivery_rank(DELIVERY_UNDELIVERED));
	assert_true(delivery_rank(DELIVERY_READ) > delivery_rank(DELIVERY_DELIVERED));
	assert_int_equal(delivery_rank(DELIVERY_NONE), 0);
}

static void
test_provider_id(void **state)
{
	char id[600], a[DOMAIN_PROVIDER_ID_MAX], b[DOMAIN_PROVIDER_ID_MAX];

	(void)state;
	memset(id, 'x', sizeof id);
	domain_provider_id(a, id, DOMAIN_PROVIDER_ID_MAX - 1);
	assert_int_equal(strlen(a), DOMAIN_PROVIDER_ID_MAX - 1);
	domain_provider_id(a, id, DOMAIN_PROVIDER_ID_MAX);
	assert_int_equal(strlen(a), 2 + 64);
	assert_int_equal(strncmp(a, "h:", 2), 0);
	domain_provider_id(b, id, DOMAIN_PROVIDER_ID_MAX);
	assert_string_equal(a, b);
	/* One byte more is another id. */
	domain_provider_id(b, id, DOMAIN_PROVIDER_ID_MAX + 1);
	assert_string_not_equal(a, b);
	domain_provider_id(a, "SMabc", 5);
	assert_string_equal(a, "SMabc");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names_round_trip),
		cmocka_unit_test(test_final_states_and_ranks),
		cmocka_unit_test(test_provider_id),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
