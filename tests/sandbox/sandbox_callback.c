/*
 * Callback chains. A chain is the list of status callbacks due for one
 * accepted message; its steps go out one after another (the next only once
 * the webhook answered the previous, or it was given up), callback_delay_ms
 * apart and, after an answer, callback_delay_ms after it (as providers
 * report after they accepted), so the order the webhook sees is the order
 * asked for, duplicates and reversals included. A chain lives until its steps are over and the
 * send's answer was written (or abandoned), whichever comes last.
 * Payloads: Twilio's "Track the message status" status callback parameters,
 * Meta's webhook "statuses" object (Cloud API "Webhooks: messages").
 */
#include "sandbox_callback.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>

#include "gateway/util/buf.h"
#include "gateway/util/log.h"
#include "gateway/util/xmalloc.h"
#include "sandbox_hash.h"
#include "sandbox_json.h"
#include "sandbox_reply.h"
#include "sandbox_sign.h"
#include "sandbox_stats.h"
#include "sandbox_whatsapp.h"

#define SANDBOX_CALLBACK_DEFAULT_ACCOUNT "AC00000000000000000000000000000000"
#define SANDBOX_CALLBACK_SERVICE_FROM "+15005550006" /* the number a Messaging Service "picks" */
#define SANDBOX_CALLBACK_TWILIO_ERROR 30003          /* Unreachable destination handset */
#define SANDBOX_CALLBACK_WHATSAPP_ERROR 131026       /* Message undeliverable */
#define SANDBOX_CALLBACK_MAX_CODE 9999999U
#define SANDBOX_CALLBACK_MAX_MS 3600000U
#define SANDBOX_CALLBACK_MARKER "[[cb:"

static const char *sandbox_callback_status_names[] = {
	[SANDBOX_CALLBACK_QUEUED] = "queued",
	[SANDBOX_CALLBACK_SENDING] = "sending",
	[SANDBOX_CALLBACK_SENT] = "sent",
	[SANDBOX_CALLBACK_DELIVERED] = "delivered",
	[SANDBOX_CALLBACK_UNDELIVERED] = "undelivered",
	[SANDBOX_CALLBACK_FAILED] = "failed",
	[SANDBOX_CALLBACK_READ] = "read",
};
#define SANDBOX_CALLBACK_NSTATUS (sizeof sandbox_callback_status_names / sizeof sandbox_callback_status_names[0])

struct sandbox_callback {
	struct event_base *base;
	struct sandbox_stats *stats;
	struct sandbox_reply *reply;
	struct sandbox_client *client;
	struct sandbox_callback_config config;
	char *account_sid;
	char *auth_token; /* NULL: Twilio callbacks go unsigned */
	uint64_t token_prefix;
	uint64_t token_counter;
	LIST_HEAD(, sandbox_callback_chain) chains;
};

struct sandbox_callback_chain {
	struct sandbox_callback *cb;
	struct sandbox_reply_hook hook;
	enum sandbox_channel channel;
	struct sandbox_callback_seq seq;
	unsigned int next; /* the step to send next */
	bool steps_over;   /* every step answered or given up, or none will ever start */
	bool answer_over;  /* the send's answer was written or abandoned */
	unsigned int answer_delay_ms;
	struct sandbox_reply_pending *held; /* an early chain's answer, until released */
	struct event *timer;
	char *url; /* where the statuses go */
	/* Twilio */
	char *sid, *account, *from, *service, *to;
	/* WhatsApp */
	char *wamid, *recipient, *phone_number_id, *category, *biz_opaque;
	LIST_ENTRY(sandbox_callback_chain) entry;
};

static int sandbox_callback_parse_uint(const char *value, unsigned int max, unsigned int *out)
    __attribute__((warn_unused_result));
static int sandbox_callback_set_string(char *dst, size_t size, const char *value, const char **why)
    __attribute__((warn_unused_result));
static int sandbox_callback_set_url(char *dst, size_t size, const char *value, const char **why)
    __attribute__((warn_unused_result));
static void sandbox_callback_seq_write(const struct sandbox_callback_seq *seq, struct buf *out);
static bool sandbox_callback_find_marker(const char *body, size_t len, struct sandbox_callback_seq *seq);
static struct sandbox_callback_chain *sandbox_callback_chain_new(
    struct sandbox_callback *cb, enum sandbox_channel channel, const struct sandbox_callback_seq *seq);
static void sandbox_callback_chain_free(struct sandbox_callback_chain *chain);
static void sandbox_callback_chain_maybe_free(struct sandbox_callback_chain *chain);
static void sandbox_callback_chain_start(struct sandbox_callback_chain *chain);
static void sandbox_callback_chain_post(struct sandbox_callback_chain *chain);
static void sandbox_callback_chain_answered(struct sandbox_reply_hook *hook, bool answered);
static void sandbox_callback_chain_step_done(void *arg, bool ok);
static void sandbox_callback_chain_timer_cb(evutil_socket_t fd, short what, void *arg);
static void sandbox_callback_chain_arm(struct sandbox_callback_chain *chain, unsigned int ms);
static void sandbox_callback_post_twilio_status(
    struct sandbox_callback_chain *chain, const struct sandbox_callback_step *step);
static void sandbox_callback_post_whatsapp_status(
    struct sandbox_callback_chain *chain, const struct sandbox_callback_step *step);
static void sandbox_callback_make_token(struct sandbox_callback *cb, char *out, size_t size);

void
sandbox_callback_config_init(struct sandbox_callback_config *config)
{
	memset(config, 0, sizeof *config);
	config->client.retries = 3;
	config->client.retry_ms = 200;
	config->client.timeout_ms = 5000;
	config->client.connections = 1;
	config->client.queue_max = 100000;
	snprintf(config->wa_app_secret, sizeof config->wa_app_secret, "sandbox-wa-app-secret");
	snprintf(config->wa_business_account_id, sizeof config->wa_business_account_id, "102290129340398");
	snprintf(config->wa_display_phone_number, sizeof config->wa_display_phone_number, "15550783881");
}

static int
sandbox_callback_parse_uint(const char *value, unsigned int max, unsigned int *out)
{
	char *end;
	unsigned long v;

	if (value[0] < '0' || value[0] > '9')
		return -1;
	errno = 0;
	v = strtoul(value, &end, 10);
	if (*end != '\0' || errno != 0 || v > max)
		return -1;
	*out = (unsigned int)v;
	return 0;
}

static int
sandbox_callback_set_string(char *dst, size_t size, const char *value, const char **why)
{
	size_t len = strlen(value);

	if (len >= size) {
		*why = "is too long";
		return -1;
	}
	for (size_t i = 0; i < len; i++) {
		if ((unsigned char)value[i] < 0x20) {
			*why = "must not hold control characters";
			return -1;
		}
	}
	memcpy(dst, value, len + 1);
	return 0;
}

/* An empty value unsets the URL. */
static int
sandbox_callback_set_url(char *dst, size_t size, const char *value, const char **why)
{
	const char *url_why;

	if (value[0] != '\0' && sandbox_client_check_url(value, &url_why) == -1) {
		*why = url_why;
		return -1;
	}
	return sandbox_callback_set_string(dst, size, value, why);
}

int
sandbox_callback_seq_parse(const char *s, size_t len, struct sandbox_callback_seq *seq, const char **why)
{
	const char *p = s, *end = s + len;

	memset(seq, 0, sizeof *seq);
	if ((len == 4 && memcmp(s, "none", 4) == 0) || len == 0)
		return 0;
	if (len >= 6 && memcmp(s, "early:", 6) == 0) {
		seq->early = true;
		p += 6;
	}
	for (;;) {
		const char *item = p, *name_end;
		size_t name_len;
		size_t st;

		while (p < end && *p != ',')
			p++;
		if ((name_end = memchr(item, '=', (size_t)(p - item))) == NULL)
			name_end = p;
		name_len = (size_t)(name_end - item);
		for (st = 0; st < SANDBOX_CALLBACK_NSTATUS; st++) {
			if (strlen(sandbox_callback_status_names[st]) == name_len &&
			    memcmp(sandbox_callback_status_names[st], item, name_len) == 0)
				break;
		}
		if (st == SANDBOX_CALLBACK_NSTATUS) {
			*why = "each status must be queued, sending, sent, delivered, undelivered, failed or read";
			return -1;
		}
		if (seq->n == SANDBOX_CALLBACK_MAX_STEPS) {
			*why = "at most 16 statuses";
			return -1;
		}
		seq->steps[seq->n].status = (enum sandbox_callback_status)st;
		if (name_end < p) {
			unsigned long code = 0;
			const char *q = name_end + 1;

			if (q == p) {
				*why = "an error code after '=' must be a number";
				return -1;
			}
			for (; q < p; q++) {
				if (*q < '0' || *q > '9' ||
				    (code = code * 10 + (unsigned long)(*q - '0')) > SANDBOX_CALLBACK_MAX_CODE) {
					*why = "an error code after '=' must be a number of at most 7 digits";
					return -1;
				}
			}
			seq->steps[seq->n].code = (unsigned int)code;
		}
		seq->n++;
		if (p == end)
			break;
		p++; /* the comma */
	}
	return 0;
}

static void
sandbox_callback_seq_write(const struct sandbox_callback_seq *seq, struct buf *out)
{
	if (seq->n == 0) {
		buf_puts(out, "none");
		return;
	}
	if (seq->early)
		buf_puts(out, "early:");
	for (unsigned int i = 0; i < seq->n; i++) {
		buf_printf(out, "%s%s", i == 0 ? "" : ",", sandbox_callback_status_names[seq->steps[i].status]);
		if (seq->steps[i].code != 0)
			buf_printf(out, "=%u", seq->steps[i].code);
	}
}

int
sandbox_callback_config_set(
    struct sandbox_callback_config *config, const char *key, const char *value, const char **why)
{
	const struct {
		const char *key;
		unsigned int *v;
		unsigned int min, max;
		const char *why;
	} numbers[] = {
		{ "callback_delay_ms", &config->delay_ms, 0, SANDBOX_CALLBACK_MAX_MS,
		    "must be a whole number of milliseconds from 0 to 3600000" },
		{ "callback_retries", &config->client.retries, 0, 100, "must be a whole number from 0 to 100" },
		{ "callback_retry_ms", &config->client.retry_ms, 0, SANDBOX_CALLBACK_MAX_MS,
		    "must be a whole number of milliseconds from 0 to 3600000" },
		{ "callback_timeout_ms", &config->client.timeout_ms, 1, SANDBOX_CALLBACK_MAX_MS,
		    "must be a whole number of milliseconds from 1 to 3600000" },
		{ "callback_connections", &config->client.connections, 1, 1024,
		    "must be a whole number from 1 to 1024" },
		{ "callback_queue", &config->client.queue_max, 1, 10000000,
		    "must be a whole number from 1 to 10000000" },
	};
	const struct {
		const char *key;
		char *dst;
		size_t size;
		bool url;
	} strings[] = {
		{ "wa_webhook", config->wa_webhook, sizeof config->wa_webhook, true },
		{ "twilio_inbound", config->twilio_inbound, sizeof config->twilio_inbound, true },
		{ "twilio_status_callback", config->twilio_status_callback, sizeof config->twilio_status_callback,
		    true },
		{ "generic_inbound", config->generic_inbound, sizeof config->generic_inbound, true },
		{ "generic_secret", config->generic_secret, sizeof config->generic_secret, false },
		{ "wa_app_secret", config->wa_app_secret, sizeof config->wa_app_secret, false },
		{ "wa_business_account_id", config->wa_business_account_id, sizeof config->wa_business_account_id,
		    false },
		{ "wa_display_phone_number", config->wa_display_phone_number, sizeof config->wa_display_phone_number,
		    false },
	};

	if (strcmp(key, "callbacks") == 0)
		return sandbox_callback_seq_parse(value, strlen(value), &config->seq, why);
	for (size_t i = 0; i < sizeof numbers / sizeof numbers[0]; i++) {
		if (strcmp(key, numbers[i].key) != 0)
			continue;
		if (sandbox_callback_parse_uint(value, numbers[i].max, numbers[i].v) == -1 ||
		    *numbers[i].v < numbers[i].min) {
			*why = numbers[i].why;
			return -1;
		}
		return 0;
	}
	for (size_t i = 0; i < sizeof strings / sizeof strings[0]; i++) {
		if (strcmp(key, strings[i].key) != 0)
			continue;
		if (strings[i].url)
			return sandbox_callback_set_url(strings[i].dst, strings[i].size, value, why);
		if (value[0] == '\0' && strcmp(key, "wa_app_secret") == 0) {
			*why = "must not be empty";
			return -1;
		}
		return sandbox_callback_set_string(strings[i].dst, strings[i].size, value, why);
	}
	if (strcmp(key, "callback_header") == 0) {
		const char *colon = strchr(value, ':');

		if (value[0] != '\0' &&
		    (colon == NULL || colon == value || memchr(value, ' ', (size_t)(colon - value)))) {
			*why = "must be \"Name: value\"";
			return -1;
		}
		return sandbox_callback_set_string(config->client.header, sizeof config->client.header, value, why);
	}
	return 1;
}

void
sandbox_callback_config_write_json(const struct sandbox_callback_config *config, struct evbuffer *out)
{
	const struct {
		const char *key;
		const char *value;
	} strings[] = {
		{ "wa_webhook", config->wa_webhook },
		{ "twilio_inbound", config->twilio_inbound },
		{ "twilio_status_callback", config->twilio_status_callback },
		{ "generic_inbound", config->generic_inbound },
		{ "wa_business_account_id", config->wa_business_account_id },
		{ "wa_display_phone_number", config->wa_display_phone_number },
		{ "callback_header", config->client.header },
	};
	struct buf seq;

	buf_init(&seq);
	sandbox_callback_seq_write(&config->seq, &seq);
	evbuffer_add_printf(out, ",\"callbacks\":");
	sandbox_json_add_string(out, seq.data, seq.len);
	buf_free(&seq);
	evbuffer_add_printf(out,
	    ",\"callback_delay_ms\":%u,\"callback_retries\":%u,\"callback_retry_ms\":%u,\"callback_timeout_ms\":%u,"
	    "\"callback_connections\":%u,\"callback_queue\":%u",
	    config->delay_ms, config->client.retries, config->client.retry_ms, config->client.timeout_ms,
	    config->client.connections, config->client.queue_max);
	for (size_t i = 0; i < sizeof strings / sizeof strings[0]; i++) {
		evbuffer_add_printf(out, ",\"%s\":", strings[i].key);
		sandbox_json_add_string(out, strings[i].value, strlen(strings[i].value));
	}
}

struct sandbox_callback *
sandbox_callback_new(struct event_base *base, struct sandbox_stats *stats, struct sandbox_reply *reply,
    const struct sandbox_callback_config *config, const char *account_sid, const char *auth_token)
{
	struct sandbox_callback *cb = xcalloc(1, sizeof *cb);
	struct timespec ts;

	cb->base = base;
	cb->stats = stats;
	cb->reply = reply;
	cb->config = *config;
	cb->client = sandbox_client_new(base, stats, &cb->config.client);
	cb->account_sid = xstrdup(account_sid != NULL ? account_sid : SANDBOX_CALLBACK_DEFAULT_ACCOUNT);
	if (auth_token != NULL)
		cb->auth_token = xstrdup(auth_token);
	clock_gettime(CLOCK_REALTIME, &ts);
	cb->token_prefix = sandbox_hash_mix((uint64_t)ts.tv_nsec ^ ((uint64_t)getpid() << 32) ^ (uint64_t)ts.tv_sec);
	LIST_INIT(&cb->chains);
	return cb;
}

void
sandbox_callback_free(struct sandbox_callback *cb)
{
	struct sandbox_callback_chain *chain;

	if (cb == NULL)
		return;
	sandbox_client_free(cb->client); /* calls nobody back */
	while ((chain = LIST_FIRST(&cb->chains)) != NULL)
		sandbox_callback_chain_free(chain);
	free(cb->account_sid);
	free(cb->auth_token);
	free(cb);
}

const struct sandbox_callback_config *
sandbox_callback_get_config(const struct sandbox_callback *cb)
{
	return &cb->config;
}

/* The client reads cb->config.client through its pointer, so it follows too. */
void
sandbox_callback_set_config(struct sandbox_callback *cb, const struct sandbox_callback_config *config)
{
	cb->config = *config;
}

const char *
sandbox_callback_account_sid(const struct sandbox_callback *cb)
{
	return cb->account_sid;
}

/* The first well-formed [[cb:SEQ]] in the body. */
static bool
sandbox_callback_find_marker(const char *body, size_t len, struct sandbox_callback_seq *seq)
{
	const char *p = body, *end = body + len;
	const size_t mlen = sizeof SANDBOX_CALLBACK_MARKER - 1;

	while ((size_t)(end - p) > mlen) {
		const char *open = memmem(p, (size_t)(end - p), SANDBOX_CALLBACK_MARKER, mlen), *close;
		const char *why;

		if (open == NULL)
			return false;
		close = memmem(open + mlen, (size_t)(end - open - mlen), "]]", 2);
		if (close == NULL)
			return false;
		if (sandbox_callback_seq_parse(open + mlen, (size_t)(close - open - mlen), seq, &why) == 0)
			return true;
		p = open + 1;
	}
	return false;
}

static struct sandbox_callback_chain *
sandbox_callback_chain_new(
    struct sandbox_callback *cb, enum sandbox_channel channel, const struct sandbox_callback_seq *seq)
{
	struct sandbox_callback_chain *chain = xcalloc(1, sizeof *chain);

	chain->cb = cb;
	chain->channel = channel;
	chain->seq = *seq;
	chain->hook.fn = sandbox_callback_chain_answered;
	chain->hook.arg = chain;
	if ((chain->timer = evtimer_new(cb->base, sandbox_callback_chain_timer_cb, chain)) == NULL)
		fatalx("cannot create a callback timer");
	LIST_INSERT_HEAD(&cb->chains, chain, entry);
	return chain;
}

static void
sandbox_callback_chain_free(struct sandbox_callback_chain *chain)
{
	LIST_REMOVE(chain, entry);
	event_free(chain->timer);
	free(chain->url);
	free(chain->sid);
	free(chain->account);
	free(chain->from);
	free(chain->service);
	free(chain->to);
	free(chain->wamid);
	free(chain->recipient);
	free(chain->phone_number_id);
	free(chain->category);
	free(chain->biz_opaque);
	free(chain);
}

static void
sandbox_callback_chain_maybe_free(struct sandbox_callback_chain *chain)
{
	if (chain->steps_over && chain->answer_over)
		sandbox_callback_chain_free(chain);
}

struct sandbox_callback_chain *
sandbox_callback_twilio(
    struct sandbox_callback *cb, const struct sandbox_callback_twilio_message *m, const char *body, size_t len)
{
	struct sandbox_callback_seq seq;
	struct sandbox_callback_chain *chain;
	const char *url = m->status_callback;

	if (url == NULL || *url == '\0')
		url = cb->config.twilio_status_callback;
	if (!sandbox_callback_find_marker(body, len, &seq))
		seq = cb->config.seq;
	if (seq.n == 0 || *url == '\0')
		return NULL;
	chain = sandbox_callback_chain_new(cb, SANDBOX_CHANNEL_SMS, &seq);
	chain->url = xstrdup(url);
	chain->sid = xstrdup(m->sid);
	chain->account = xstrndup(m->account, m->account_len);
	chain->from = xstrdup(m->from != NULL ? m->from : SANDBOX_CALLBACK_SERVICE_FROM);
	if (m->service != NULL)
		chain->service = xstrdup(m->service);
	chain->to = xstrdup(m->to);
	return chain;
}

/* Meta has no queued or sending status, and calls undelivered "failed". */
struct sandbox_callback_chain *
sandbox_callback_whatsapp(
    struct sandbox_callback *cb, const struct sandbox_callback_whatsapp_message *m, const char *body, size_t len)
{
	struct sandbox_callback_seq seq, wa;
	struct sandbox_callback_chain *chain;

	if (!sandbox_callback_find_marker(body, len, &seq))
		seq = cb->config.seq;
	memset(&wa, 0, sizeof wa);
	wa.early = seq.early;
	for (unsigned int i = 0; i < seq.n; i++) {
		struct sandbox_callback_step step = seq.steps[i];

		if (step.status == SANDBOX_CALLBACK_QUEUED || step.status == SANDBOX_CALLBACK_SENDING)
			continue;
		if (step.status == SANDBOX_CALLBACK_UNDELIVERED)
			step.status = SANDBOX_CALLBACK_FAILED;
		wa.steps[wa.n++] = step;
	}
	if (wa.n == 0 || cb->config.wa_webhook[0] == '\0')
		return NULL;
	chain = sandbox_callback_chain_new(cb, SANDBOX_CHANNEL_WHATSAPP, &wa);
	chain->url = xstrdup(cb->config.wa_webhook);
	chain->wamid = xstrdup(m->wamid);
	chain->recipient = xstrdup(m->recipient);
	chain->phone_number_id = xstrdup(m->phone_number_id);
	chain->category = xstrdup(m->category);
	if (m->biz_opaque != NULL)
		chain->biz_opaque = xstrdup(m->biz_opaque);
	return chain;
}

void
sandbox_callback_answer(struct sandbox_callback *cb, struct sandbox_callback_chain *chain, struct evhttp_request *req,
    int code, unsigned int delay_ms, struct sandbox_message *msg)
{
	msg->hook = chain != NULL ? &chain->hook : NULL;
	if (chain == NULL || !chain->seq.early) {
		if (delay_ms > 0)
			sandbox_reply_later(cb->reply, req, code, delay_ms, msg);
		else
			sandbox_reply_send(cb->reply, req, code, msg);
		return;
	}
	/* Early: the callbacks first, then any delay, then the answer. */
	chain->answer_delay_ms = delay_ms;
	if (delay_ms > 0)
		sandbox_stats_count_delayed(cb->stats);
	chain->held = sandbox_reply_hold(cb->reply, req, code, msg);
	sandbox_callback_chain_start(chain);
}

static void
sandbox_callback_chain_start(struct sandbox_callback_chain *chain)
{
	sandbox_stats_count_callback_queued(chain->cb->stats, chain->seq.n);
	log_debug("callbacks due channel=%s statuses=%u early=%d",
	    chain->channel == SANDBOX_CHANNEL_SMS ? "sms" : "whatsapp", chain->seq.n, (int)chain->seq.early);
	sandbox_callback_chain_post(chain);
}

static void
sandbox_callback_chain_post(struct sandbox_callback_chain *chain)
{
	const struct sandbox_callback_step *step = &chain->seq.steps[chain->next++];

	if (chain->channel == SANDBOX_CHANNEL_SMS)
		sandbox_callback_post_twilio_status(chain, step);
	else
		sandbox_callback_post_whatsapp_status(chain, step);
}

/* The send's answer was written (answered) or its client went away. */
static void
sandbox_callback_chain_answered(struct sandbox_reply_hook *hook, bool answered)
{
	struct sandbox_callback_chain *chain = hook->arg;

	chain->answer_over = true;
	chain->held = NULL;
	if (!chain->seq.early) {
		if (answered && chain->cb->config.delay_ms > 0) {
			sandbox_stats_count_callback_queued(chain->cb->stats, chain->seq.n);
			sandbox_callback_chain_arm(chain, chain->cb->config.delay_ms);
		} else if (answered)
			sandbox_callback_chain_start(chain);
		else
			chain->steps_over = true; /* nobody heard of the message: no statuses for it */
	}
	sandbox_callback_chain_maybe_free(chain);
}

static void
sandbox_callback_chain_step_done(void *arg, bool ok)
{
	struct sandbox_callback_chain *chain = arg;

	(void)ok; /* counted by the client; the next status goes either way, as providers do */
	if (chain->next < chain->seq.n) {
		sandbox_callback_chain_arm(chain, chain->cb->config.delay_ms);
		return;
	}
	chain->steps_over = true;
	if (chain->held != NULL) {
		if (chain->answer_delay_ms > 0) {
			sandbox_callback_chain_arm(chain, chain->answer_delay_ms);
			return;
		}
		sandbox_reply_release(chain->held); /* the hook frees the chain once it is written */
		chain->held = NULL;
		return;
	}
	sandbox_callback_chain_maybe_free(chain);
}

static void
sandbox_callback_chain_arm(struct sandbox_callback_chain *chain, unsigned int ms)
{
	struct timeval tv = { (time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000 };

	if (evtimer_add(chain->timer, &tv) == -1)
		fatalx("cannot arm a callback timer");
}

static void
sandbox_callback_chain_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sandbox_callback_chain *chain = arg;

	(void)fd;
	(void)what;
	if (!chain->steps_over) {
		sandbox_callback_chain_post(chain);
		return;
	}
	if (chain->held != NULL) {
		struct sandbox_reply_pending *held = chain->held;

		chain->held = NULL;
		sandbox_reply_release(held);
	}
}

static void
sandbox_callback_make_token(struct sandbox_callback *cb, char *out, size_t size)
{
	uint64_t a = sandbox_hash_mix(cb->token_prefix ^ cb->token_counter++);

	snprintf(out, size, "%016" PRIx64 "-%016" PRIx64, cb->token_prefix, a);
}

void
sandbox_callback_post_twilio(struct sandbox_callback *cb, const char *url, const char *const *params, size_t nparams,
    enum sandbox_callback_signature sign, sandbox_client_done_fn *done, void *arg)
{
	struct sandbox_sign_param *sorted = xreallocarray(NULL, nparams > 0 ? nparams : 1, sizeof *sorted);
	struct sandbox_client_header headers[5];
	char signature[SANDBOX_SIGN_TWILIO_LEN], token[40];
	size_t nheaders = 0;
	struct buf body;

	for (size_t i = 0; i < nparams; i++) {
		sorted[i].name = params[2 * i];
		sorted[i].value = params[2 * i + 1];
	}
	/* Sorting also gives the body Twilio's own parameter order. */
	sandbox_sign_twilio(cb->auth_token != NULL ? cb->auth_token : "", url, sorted, nparams, signature);
	buf_init(&body);
	for (size_t i = 0; i < nparams; i++)
		buf_add_form_field(&body, sorted[i].name, sorted[i].value);
	if (sign == SANDBOX_CALLBACK_SIGN_INVALID)
		sandbox_sign_twilio("not-the-auth-token", url, sorted, nparams, signature);
	sandbox_callback_make_token(cb, token, sizeof token);
	headers[nheaders++] = (struct sandbox_client_header){ "Content-Type", "application/x-www-form-urlencoded" };
	headers[nheaders++] = (struct sandbox_client_header){ "User-Agent", "TwilioProxy/1.1" };
	headers[nheaders++] = (struct sandbox_client_header){ "I-Twilio-Idempotency-Token", token };
	if (sign != SANDBOX_CALLBACK_SIGN_MISSING && (cb->auth_token != NULL || sign == SANDBOX_CALLBACK_SIGN_INVALID))
		headers[nheaders++] = (struct sandbox_client_header){ "X-Twilio-Signature", signature };
	sandbox_client_post(
	    cb->client, url, headers, nheaders, body.data != NULL ? body.data : "", body.len, done, arg);
	buf_free(&body);
	free(sorted);
}

int
sandbox_callback_post_meta(struct sandbox_callback *cb, json_t *payload, enum sandbox_callback_signature sign,
    sandbox_client_done_fn *done, void *arg, const char **why)
{
	struct sandbox_client_header headers[4];
	char sig256[SANDBOX_SIGN_HUB256_LEN], sig1[SANDBOX_SIGN_HUB1_LEN];
	size_t nheaders = 0, len;
	char *body;

	if (cb->config.wa_webhook[0] == '\0') {
		*why = "no WhatsApp webhook is set (--wa-webhook)";
		return -1;
	}
	/* As Meta writes it: non-ASCII as \uXXXX and "/" as "\/", so only the raw bytes verify. */
	if ((body = json_dumps(payload, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_ESCAPE_SLASH)) == NULL)
		fatalx("cannot serialise a webhook payload");
	len = strlen(body);
	sandbox_sign_hub256(
	    sign == SANDBOX_CALLBACK_SIGN_INVALID ? "not-the-app-secret" : cb->config.wa_app_secret, body, len, sig256);
	sandbox_sign_hub1(
	    sign == SANDBOX_CALLBACK_SIGN_INVALID ? "not-the-app-secret" : cb->config.wa_app_secret, body, len, sig1);
	headers[nheaders++] = (struct sandbox_client_header){ "Content-Type", "application/json" };
	headers[nheaders++] = (struct sandbox_client_header){ "User-Agent", "facebookexternalua" };
	if (sign != SANDBOX_CALLBACK_SIGN_MISSING) {
		headers[nheaders++] = (struct sandbox_client_header){ "X-Hub-Signature-256", sig256 };
		headers[nheaders++] = (struct sandbox_client_header){ "X-Hub-Signature", sig1 };
	}
	sandbox_client_post(cb->client, cb->config.wa_webhook, headers, nheaders, body, len, done, arg);
	free(body);
	return 0;
}

int
sandbox_callback_post_generic(
    struct sandbox_callback *cb, json_t *payload, enum sandbox_callback_signature sign, const char **why)
{
	struct sandbox_client_header headers[2];
	char sig[SANDBOX_SIGN_HUB256_LEN];
	size_t nheaders = 0, len;
	char *body;

	if (cb->config.generic_inbound[0] == '\0') {
		*why = "no generic inbound webhook is set (--generic-inbound)";
		return -1;
	}
	if ((body = json_dumps(payload, JSON_COMPACT)) == NULL)
		fatalx("cannot serialise a webhook payload");
	len = strlen(body);
	/* The same form as Meta's header: sha256=<hex>. */
	sandbox_sign_hub256(
	    sign == SANDBOX_CALLBACK_SIGN_INVALID ? "not-the-secret" : cb->config.generic_secret, body, len, sig);
	headers[nheaders++] = (struct sandbox_client_header){ "Content-Type", "application/json" };
	if (sign != SANDBOX_CALLBACK_SIGN_MISSING)
		headers[nheaders++] = (struct sandbox_client_header){ "X-Signature", sig };
	sandbox_client_post(cb->client, cb->config.generic_inbound, headers, nheaders, body, len, NULL, NULL);
	free(body);
	return 0;
}

/* AccountSid, ApiVersion, [ErrorCode], From, MessageSid, MessageStatus, [MessagingServiceSid], SmsSid, SmsStatus, To. */
static void
sandbox_callback_post_twilio_status(struct sandbox_callback_chain *chain, const struct sandbox_callback_step *step)
{
	const char *status = sandbox_callback_status_names[step->status];
	const char *params[2 * 10];
	char code[16];
	size_t n = 0;

	params[n++] = "AccountSid";
	params[n++] = chain->account;
	params[n++] = "ApiVersion";
	params[n++] = "2010-04-01";
	if (step->status == SANDBOX_CALLBACK_FAILED || step->status == SANDBOX_CALLBACK_UNDELIVERED) {
		snprintf(code, sizeof code, "%u", step->code != 0 ? step->code : SANDBOX_CALLBACK_TWILIO_ERROR);
		params[n++] = "ErrorCode";
		params[n++] = code;
	}
	params[n++] = "From";
	params[n++] = chain->from;
	params[n++] = "MessageSid";
	params[n++] = chain->sid;
	params[n++] = "MessageStatus";
	params[n++] = status;
	if (chain->service != NULL) {
		params[n++] = "MessagingServiceSid";
		params[n++] = chain->service;
	}
	params[n++] = "SmsSid";
	params[n++] = chain->sid;
	params[n++] = "SmsStatus";
	params[n++] = status;
	params[n++] = "To";
	params[n++] = chain->to;
	sandbox_callback_post_twilio(
	    chain->cb, chain->url, params, n / 2, SANDBOX_CALLBACK_SIGN_VALID, sandbox_callback_chain_step_done, chain);
}

/*
 * One status in Meta's envelope. sent and delivered carry conversation and
 * pricing as Meta's do (expiration only on sent); failed carries errors[]
 * instead; read carries neither.
 */
static void
sandbox_callback_post_whatsapp_status(struct sandbox_callback_chain *chain, const struct sandbox_callback_step *step)
{
	struct sandbox_callback *cb = chain->cb;
	const struct sandbox_callback_config *cf = &cb->config;
	time_t now = time(NULL);
	char ts[24], expiry[24], conversation[33];
	json_t *status, *root;
	const char *why;

	snprintf(ts, sizeof ts, "%lld", (long long)now);
	status = json_pack("{s:s, s:s, s:s, s:s}", "id", chain->wamid, "status",
	    sandbox_callback_status_names[step->status], "timestamp", ts, "recipient_id", chain->recipient);
	if (status == NULL)
		fatalx("cannot build a status");
	if (chain->biz_opaque != NULL)
		json_object_set_new(status, "biz_opaque_callback_data", json_string(chain->biz_opaque));
	if (step->status == SANDBOX_CALLBACK_SENT || step->status == SANDBOX_CALLBACK_DELIVERED) {
		uint64_t h1 = sandbox_hash64(chain->recipient, strlen(chain->recipient));
		json_t *conv;

		snprintf(conversation, sizeof conversation, "%016" PRIx64 "%016" PRIx64, h1, sandbox_hash_mix(h1));
		conv = json_pack("{s:s, s:{s:s}}", "id", conversation, "origin", "type", chain->category);
		if (conv == NULL)
			fatalx("cannot build a conversation");
		if (step->status == SANDBOX_CALLBACK_SENT) {
			snprintf(expiry, sizeof expiry, "%lld", (long long)now + 86400);
			json_object_set_new(conv, "expiration_timestamp", json_string(expiry));
		}
		json_object_set_new(status, "conversation", conv);
		json_object_set_new(status, "pricing",
		    json_pack("{s:b, s:s, s:s}", "billable", 1, "pricing_model", "PMP", "category", chain->category));
	} else if (step->status == SANDBOX_CALLBACK_FAILED) {
		unsigned int code = step->code != 0 ? step->code : SANDBOX_CALLBACK_WHATSAPP_ERROR;
		const struct sandbox_whatsapp_error *e = sandbox_whatsapp_error_find(code);

		json_object_set_new(status, "errors",
		    json_pack("[{s:I, s:s, s:s, s:{s:s}, s:s}]", "code", (json_int_t)code, "title", e->title, "message",
			e->title, "error_data", "details", e->details, "href",
			"https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/"));
	}
	root = json_pack("{s:s, s:[{s:s, s:[{s:{s:s, s:{s:s, s:s}, s:[o]}, s:s}]}]}", "object",
	    "whatsapp_business_account", "entry", "id", cf->wa_business_account_id, "changes", "value",
	    "messaging_product", "whatsapp", "metadata", "display_phone_number", cf->wa_display_phone_number,
	    "phone_number_id", chain->phone_number_id, "statuses", status, "field", "messages");
	if (root == NULL)
		fatalx("cannot build a status webhook");
	if (sandbox_callback_post_meta(
		cb, root, SANDBOX_CALLBACK_SIGN_VALID, sandbox_callback_chain_step_done, chain, &why) == -1) {
		/* The webhook was unset after the chain began: the client fails this status, later. */
		log_warn("status not sent reason=\"%s\"", why);
		sandbox_client_post(cb->client, "", NULL, 0, "", 0, sandbox_callback_chain_step_done, chain);
	}
	json_decref(root);
}
