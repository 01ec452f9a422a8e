/*
 * Conformance with Meta's own OpenAPI description of the WhatsApp Business
 * Messaging API (v23.0), served by Prism with --errors: every request the
 * gateway sends (text inside the window; templates with and without body
 * parameters; French and Arabic) and every webhook payload the sandbox
 * sends (statuses and inbound messages) must validate. Prism answers 422,
 * 401 or 415 to anything that breaks the description.
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
#include <sys/wait.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>

#include "tests/integration/harness.h"

#define MESSAGES "/v23.0/1234567890/messages"

static int group_setup(void **state);
static void need_spec(void);
static int group_teardown(void **state);
static long prism_post(struct harness *h, const char *path, const char *auth, const char *body);
static void receiver_cb(struct evhttp_request *req, void *arg);
static pid_t receiver_start(const char *path, int port);
static bool same_shape(json_t *want, json_t *got, char *path, size_t pathlen);

/* Why the provider's description is missing, or "" when Prism serves it. */
static char spec_missing[1024];

static int
group_setup(void **state)
{
	struct harness *h = calloc(1, sizeof *h);
	const char *spec;

	harness_init(h, "conformance-wa");
	*state = h;
	if ((spec = harness_spec_path(
		 "whatsapp-business-messaging-api_v23.0.yaml", spec_missing, sizeof spec_missing)) == NULL) {
		/* Printed once here; each test then skips (or, when required, the group fails) naming it. */
		fprintf(stderr, "%s: %s\n", harness_specs_required() ? "error" : "skipping", spec_missing);
		return harness_specs_required() ? -1 : 0;
	}
	harness_redis_start(h, false);
	harness_prism_start(h, spec);
	return 0;
}

/* Without the provider's description there is nothing to judge by: the test is skipped, never passed. */
static void
need_spec(void)
{
	if (spec_missing[0] == '\0')
		return;
	print_message("skipped: %s\n", spec_missing);
	skip();
}

static int
group_teardown(void **state)
{
	struct harness *h = *state;

	harness_cleanup(h);
	free(h);
	return 0;
}

static long
prism_post(struct harness *h, const char *path, const char *auth, const char *body)
{
	struct harness_http hc = { 0 };
	const char *hdr[] = { "Content-Type: application/json", auth, NULL };
	long code;

	code = harness_request(&hc, h->prism_port, "POST", path, hdr, body, strlen(body), NULL);
	harness_http_close(&hc);
	return code;
}

/* Prism really judges: the two rules easy to miss, and the token. */
static void
test_prism_refuses_bad_requests(void **state)
{
	struct harness *h = *state;
	const char *auth = "Authorization: Bearer sandbox-wa-token";

	need_spec();
	assert_int_equal(prism_post(h, MESSAGES, auth,
			     "{\"messaging_product\":\"whatsapp\",\"to\":\"212612345678\",\"type\":\"text\","
			     "\"text\":{\"body\":\"x\"}}"),
	    422);
	assert_int_equal(
	    prism_post(h, MESSAGES, auth,
		"{\"messaging_product\":\"whatsapp\",\"recipient_type\":\"individual\",\"to\":\"212612345678\","
		"\"type\":\"template\",\"template\":{\"name\":\"t\",\"language\":{\"code\":\"fr\"}}}"),
	    422);
	assert_int_equal(
	    prism_post(h, MESSAGES, auth,
		"{\"messaging_product\":\"whatsapp\",\"recipient_type\":\"individual\",\"to\":\"212612345678\","
		"\"type\":\"text\",\"text\":{\"body\":\"ok\"}}"),
	    200);
}

/* Every request the gateway builds is accepted by Meta's description. */
static void
test_gateway_requests_validate(void **state)
{
	struct harness *h = *state;
	char extra[1024], person[32], now[24];
	const char *open_window = "+212612345601";
	int n = 0;
	long long got;

	need_spec();
	snprintf(extra, sizeof extra,
	    "[whatsapp]\nbase_url = http://127.0.0.1:%d\nphone_number_id = 1234567890\ntoken = sandbox-wa-token\n"
	    "app_secret = s\nverify_token = v\n"
	    "template.training_offer.fr = amuddu_training fr text\n"
	    "template.training_offer.ar = amuddu_training ar text\n"
	    "template.event.fr = amuddu_event fr title date\n"
	    "template.event.ar = amuddu_event ar title date\n"
	    "template.covid_info.fr = amuddu_covid fr\n"
	    "template.covid_info.ar = amuddu_covid ar\n",
	    h->prism_port);
	harness_gateway_config(h, h->prism_port, extra);
	harness_person(open_window, person);
	snprintf(now, sizeof now, "%lld", (long long)time(NULL));
	freeReplyObject(harness_cmd(h, "HSET " HARNESS_PREFIX "contact:%s wa_last_in %s", person, now));
	harness_gateway_start(h);
	/* Free text inside the window: French, Arabic, Darija, symbols, new lines, emoji. */
	harness_xadd(h, "reply", "id", "t-fr", "to", open_window, "channel", "whatsapp", "text",
	    "Bonjour ! La formation en électricité commence lundi à Salé.", NULL);
	harness_xadd(h, "reply", "id", "t-ar", "to", open_window, "channel", "whatsapp", "text",
	    "مرحبا، التكوين المهني يبدأ يوم الاثنين في الرباط.", NULL);
	harness_xadd(h, "reply", "id", "t-sym", "to", open_window, "channel", "whatsapp", "text",
	    "Ligne 1\nLigne 2 & \"guillemets\" <tag> 100% \xf0\x9f\x8e\x89", NULL);
	n += 3;
	/* Templates outside the window: with the text as parameter, with vars, without parameters. */
	harness_xadd(h, "bulk", "id", "tp-fr", "to", "+212612345602", "channel", "whatsapp", "kind", "training_offer",
	    "locale", "fr", "text", "Formation gratuite en soudure à Casablanca", NULL);
	harness_xadd(h, "bulk", "id", "tp-ar", "to", "+212612345603", "channel", "whatsapp", "kind", "training_offer",
	    "locale", "ar", "text", "تكوين مجاني في اللحام بالدار البيضاء", NULL);
	harness_xadd(h, "bulk", "id", "tv-fr", "to", "+212612345604", "channel", "whatsapp", "kind", "event", "locale",
	    "fr", "vars", "{\"title\":\"Semaine des migrants\",\"date\":\"18 décembre\"}", "text", "x", NULL);
	harness_xadd(h, "bulk", "id", "tv-ar", "to", "+212612345605", "channel", "whatsapp", "kind", "event", "locale",
	    "ary", "vars", "{\"title\":\"أسبوع المهاجرين\",\"date\":18}", "text", "x", NULL);
	harness_xadd(h, "bulk", "id", "tn-fr", "to", "+212612345606", "channel", "whatsapp", "kind", "covid_info",
	    "locale", "fr", "text", "x", NULL);
	harness_xadd(h, "bulk", "id", "tn-ar", "to", "+212612345607", "channel", "whatsapp", "kind", "covid_info",
	    "locale", "ar", "text", "x", NULL);
	n += 6;
	got = harness_wait_log(h, "sent", n, 30000);
	if (got != n)
		fail_msg("%lld of %d requests accepted by Meta's description; failed=%lld retries=%lld (see prism.log)",
		    got, n, harness_log_count(h, "failed"), harness_log_count(h, "retry_wait"));
	assert_int_equal(harness_log_count(h, "failed"), 0);
	assert_int_equal(harness_log_count(h, "retry_wait"), 0);
	harness_gateway_signal(h, SIGTERM);
	assert_int_equal(harness_gateway_wait(h, 10000), 0);
}

/*
 * Meta's own example of an inbound text message, from the description's
 * /whatsapp/webhooks examples ("Text Message").
 */
static const char meta_inbound_example[] =
    "{\"object\":\"whatsapp_business_account\",\"entry\":[{\"id\":\"419561257915477\",\"changes\":[{\"value\":{"
    "\"messaging_product\":\"whatsapp\",\"metadata\":{\"display_phone_number\":\"15550783881\","
    "\"phone_number_id\":\"106540352242922\"},\"contacts\":[{\"profile\":{\"name\":\"Sheena Nelson\"},"
    "\"wa_id\":\"16505551234\"}],\"messages\":[{\"from\":\"16505551234\","
    "\"id\":\"wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=\",\"timestamp\":\"1749416383\","
    "\"type\":\"text\",\"text\":{\"body\":\"Does it come in another color?\"}}]},\"field\":\"messages\"}]}]}";

/* A receiver for the sandbox's webhooks: each POST body is one line of the file; answers 200. */
static void
receiver_cb(struct evhttp_request *req, void *arg)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t len = evbuffer_get_length(in);
	FILE *f = arg;

	fwrite(evbuffer_pullup(in, -1), 1, len, f);
	fputc('\n', f);
	fflush(f);
	evhttp_send_reply(req, 200, "OK", NULL);
}

static pid_t
receiver_start(const char *path, int port)
{
	pid_t pid = fork();

	if (pid == 0) {
		struct event_base *base = event_base_new();
		struct evhttp *http = evhttp_new(base);
		FILE *f = fopen(path, "w");

		if (f == NULL || evhttp_bind_socket(http, "127.0.0.1", (ev_uint16_t)port) != 0)
			_exit(1);
		evhttp_set_gencb(http, receiver_cb, f);
		event_base_dispatch(base);
		_exit(0);
	}
	return pid;
}

/* Every member of want is in got with the same JSON type, recursively (arrays by their first item). */
static bool
same_shape(json_t *want, json_t *got, char *path, size_t pathlen)
{
	const char *k;
	json_t *v;

	if (json_typeof(want) != json_typeof(got) && !(json_is_boolean(want) && json_is_boolean(got))) {
		return false;
	}
	if (json_is_object(want)) {
		json_object_foreach(want, k, v)
		{
			size_t n = strlen(path);

			snprintf(path + n, pathlen - n, ".%s", k);
			if (json_object_get(got, k) == NULL || !same_shape(v, json_object_get(got, k), path, pathlen))
				return false;
			path[n] = '\0';
		}
	} else if (json_is_array(want) && json_array_size(want) > 0) {
		if (json_array_size(got) == 0)
			return false;
		return same_shape(json_array_get(want, 0), json_array_get(got, 0), path, pathlen);
	}
	return true;
}

/*
 * The sandbox's webhooks are what Meta's description says Meta sends.
 * Statuses are judged by Prism. Inbound messages cannot be: the
 * description's inbound schema points at the outbound message schemas, so
 * Prism refuses Meta's own example too (checked below); the sandbox's
 * inbound payloads are held to that example's shape instead, member by
 * member.
 */
static void
test_sandbox_webhooks_validate(void **state)
{
	struct harness *h = *state;
	char hook[160], path[400], line[8192];
	long long end;
	int port;
	pid_t rx;
	FILE *f;
	int inbound = 0;

	need_spec();
	snprintf(hook, sizeof hook, "http://127.0.0.1:%d/whatsapp/webhooks", h->prism_port);
	{
		/*
		 * Meta's description puts every path, this one included, under
		 * its bearer security scheme; Meta itself signs webhooks instead.
		 * The extra header satisfies Prism and changes nothing else.
		 */
		const char *args[] = { "--wa-webhook", hook, "--wa-app-secret", "s", "--callbacks",
			"sent,delivered,read", "--callback-header", "Authorization: Bearer prism-needs-a-token", NULL };

		harness_sandbox_start(h, args);
	}
	{
		struct harness_http hc = { 0 };
		const char *hdr[] = { "Content-Type: application/json", "Authorization: Bearer sandbox-wa-token",
			NULL };
		const char *sends[] = {
			"{\"messaging_product\":\"whatsapp\",\"recipient_type\":\"individual\",\"to\":\"212612345678\","
			"\"type\":\"text\",\"text\":{\"body\":\"Bonjour\"}}",
			"{\"messaging_product\":\"whatsapp\",\"recipient_type\":\"individual\",\"to\":\"212612345679\","
			"\"type\":\"template\",\"template\":{\"name\":\"amuddu_event\",\"language\":{\"policy\":"
			"\"deterministic\",\"code\":\"ar\"},\"components\":[{\"type\":\"body\",\"parameters\":[{"
			"\"type\":"
			"\"text\",\"text\":\"أسبوع المهاجرين [[cb:sent,failed]]\"}]}]}}",
		};

		for (size_t i = 0; i < 2; i++)
			assert_int_equal(harness_request(&hc, h->sandbox_port, "POST", MESSAGES, hdr, sends[i],
					     strlen(sends[i]), NULL),
			    200);
		/* The example itself is refused by Prism: the description cannot judge inbound payloads. */
		assert_int_equal(harness_request(&hc, h->prism_port, "POST", "/whatsapp/webhooks", hdr,
				     meta_inbound_example, strlen(meta_inbound_example), NULL),
		    422);
		harness_http_close(&hc);
	}
	end = harness_now_ms() + 20000;
	while (harness_now_ms() < end && harness_sandbox_stat2(h, "callbacks", "pending") != 0)
		harness_sleep_ms(100);
	/* sent, delivered, read for the text; sent, failed (with errors[]) for the template. */
	assert_int_equal(harness_sandbox_stat2(h, "callbacks", "pending"), 0);
	assert_int_equal(harness_sandbox_stat2(h, "callbacks", "failed"), 0);
	assert_int_equal(harness_sandbox_stat2(h, "callbacks", "ok"), 5);
	harness_sandbox_stop(h);

	/* Inbound messages, to a receiver of our own, compared with Meta's example. */
	port = harness_free_port();
	snprintf(path, sizeof path, "%s/received.jsonl", h->dir);
	rx = receiver_start(path, port);
	harness_sleep_ms(200);
	snprintf(hook, sizeof hook, "http://127.0.0.1:%d/whatsapp/webhooks", port);
	{
		const char *args[] = { "--wa-webhook", hook, "--wa-app-secret", "s", NULL };
		struct harness_http hc = { 0 };
		const char *hdr[] = { "Content-Type: application/json", NULL };
		const char *in[] = {
			"{\"channel\":\"whatsapp\",\"from\":\"+212612345678\",\"text\":\"Salam, bghit nsjel\"}",
			"{\"channel\":\"whatsapp\",\"from\":\"+212612345679\",\"text\":\"مرحبا\",\"name\":\"Amina\"}",
		};

		harness_sandbox_start(h, args);
		for (size_t i = 0; i < 2; i++)
			assert_int_equal(harness_request(&hc, h->sandbox_port, "POST", "/sandbox/inbound", hdr, in[i],
					     strlen(in[i]), NULL),
			    202);
		harness_http_close(&hc);
	}
	end = harness_now_ms() + 20000;
	while (harness_now_ms() < end && harness_sandbox_stat2(h, "callbacks", "ok") < 2)
		harness_sleep_ms(50);
	harness_sandbox_stop(h);
	kill(rx, SIGTERM);
	waitpid(rx, NULL, 0);
	assert_non_null(f = fopen(path, "r"));
	{
		json_t *want = json_loads(meta_inbound_example, 0, NULL);

		assert_non_null(want);
		while (fgets(line, sizeof line, f) != NULL) {
			json_t *got = json_loads(line, 0, NULL);
			char where[256] = "$";

			assert_non_null(got);
			if (!same_shape(want, got, where, sizeof where))
				fail_msg("the sandbox's inbound webhook differs from Meta's example at %s", where);
			json_decref(got);
			inbound++;
		}
		json_decref(want);
	}
	fclose(f);
	assert_int_equal(inbound, 2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prism_refuses_bad_requests),
		cmocka_unit_test(test_gateway_requests_validate),
		cmocka_unit_test(test_sandbox_webhooks_validate),
	};

	return cmocka_run_group_tests_name("conformance_whatsapp", tests, group_setup, group_teardown);
}
