/*
 * The Twilio Messages endpoint. Checks run in Twilio's order: route and
 * method, credentials, AccountSid, then the form (To, From or
 * MessagingServiceSid, Body or MediaUrl, the To number), then faults.
 * Answers are built by hand into the request's output buffer; see Twilio's
 * "Message resource" and "Error and Warning Dictionary" pages.
 */
#include "sandbox_twilio.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/http.h>

#include "gateway/util/log.h"
#include "gateway/util/xmalloc.h"
#include "sandbox.h"
#include "sandbox_callback.h"
#include "sandbox_fault.h"
#include "sandbox_hash.h"
#include "sandbox_json.h"
#include "sandbox_reply.h"
#include "sandbox_stats.h"

#define SANDBOX_TWILIO_PREFIX "/2010-04-01/"
#define SANDBOX_TWILIO_ACCOUNTS "/2010-04-01/Accounts/"
#define SANDBOX_TWILIO_MESSAGES "/Messages.json"
#define SANDBOX_TWILIO_MAX_SID 64
#define SANDBOX_TWILIO_MAX_AUTH 512

struct sandbox_twilio {
	struct sandbox *sb;
	char *account_sid;
	char *auth_token;
	uint64_t sid_prefix;
	uint64_t sid_counter;
	time_t date_second;
	char date[40]; /* RFC 2822 text of date_second */
};

/* The fields of one Messages request, pointing into the sandbox's form. */
struct sandbox_twilio_request {
	const char *account;
	size_t account_len;
	const struct sandbox_form_field *to;
	const struct sandbox_form_field *from;
	const struct sandbox_form_field *service;
	const struct sandbox_form_field *body;
	const struct sandbox_form_field *status_callback;
	size_t num_media;
	int64_t receipt_us;
};

static bool sandbox_twilio_authorized(
    const struct sandbox_twilio *tw, struct evhttp_request *req, const char *account, size_t account_len);
static int sandbox_twilio_base64_decode(const char *in, char *out, size_t outsz, size_t *outlen)
    __attribute__((warn_unused_result));
static bool sandbox_twilio_valid_number(const char *s, size_t len);
static const struct sandbox_form_field *sandbox_twilio_field(const struct sandbox_form *form, const char *name);
static int64_t sandbox_twilio_stamp(const char *body, size_t len);
static const char *sandbox_twilio_date(struct sandbox_twilio *tw, int64_t unix_us);
static void sandbox_twilio_write_message(
    struct sandbox_twilio *tw, struct evbuffer *out, const struct sandbox_twilio_request *r, const char *sid);
static void sandbox_twilio_invalid_to(
    struct sandbox *sb, struct evhttp_request *req, const struct sandbox_form_field *to);
static void sandbox_twilio_messages(
    struct sandbox_twilio *tw, struct evhttp_request *req, struct sandbox_twilio_request *r);

struct sandbox_twilio *
sandbox_twilio_new(struct sandbox *sb, const char *account_sid, const char *auth_token)
{
	struct sandbox_twilio *tw = xcalloc(1, sizeof *tw);
	struct timespec ts;

	tw->sb = sb;
	if (account_sid != NULL)
		tw->account_sid = xstrdup(account_sid);
	if (auth_token != NULL)
		tw->auth_token = xstrdup(auth_token);
	/* SIDs are a per-run prefix and a counter: unique in a run, unlikely to repeat across runs. */
	clock_gettime(CLOCK_REALTIME, &ts);
	tw->sid_prefix =
	    sandbox_hash_mix((uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec + ((uint64_t)getpid() << 48));
	tw->date_second = (time_t)-1;
	return tw;
}

void
sandbox_twilio_free(struct sandbox_twilio *tw)
{
	if (tw == NULL)
		return;
	free(tw->account_sid);
	free(tw->auth_token);
	free(tw);
}

void
sandbox_twilio_reply_error(struct sandbox *sb, struct evhttp_request *req, int status, int code, const char *message)
{
	struct evbuffer *out = evhttp_request_get_output_buffer(req);

	sandbox_set_json(req);
	evbuffer_add_printf(out, "{\"code\":%d,\"message\":", code);
	sandbox_json_add_string(out, message, strlen(message));
	evbuffer_add_printf(
	    out, ",\"more_info\":\"https://www.twilio.com/docs/errors/%d\",\"status\":%d}", code, status);
	sandbox_reply_send(sb->reply, req, status, NULL);
}

void
sandbox_twilio_reply_not_found(struct sandbox *sb, struct evhttp_request *req, const char *path)
{
	char *msg = xasprintf("The requested resource %s was not found", path);

	sandbox_twilio_reply_error(sb, req, 404, 20404, msg);
	free(msg);
}

static void
sandbox_twilio_invalid_to(struct sandbox *sb, struct evhttp_request *req, const struct sandbox_form_field *to)
{
	char *msg = xasprintf("The 'To' number %s is not a valid phone number.", to->value);

	sandbox_twilio_reply_error(sb, req, 400, 21211, msg);
	free(msg);
}

static int
sandbox_twilio_base64_decode(const char *in, char *out, size_t outsz, size_t *outlen)
{
	uint32_t acc = 0;
	int bits = 0;
	size_t n = 0;

	for (; *in != '\0' && *in != '='; in++) {
		char c = *in;
		int v;

		if (c >= 'A' && c <= 'Z')
			v = c - 'A';
		else if (c >= 'a' && c <= 'z')
			v = c - 'a' + 26;
		else if (c >= '0' && c <= '9')
			v = c - '0' + 52;
		else if (c == '+')
			v = 62;
		else if (c == '/')
			v = 63;
		else
			return -1;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (n == outsz)
				return -1;
			out[n++] = (char)((acc >> bits) & 0xff);
		}
	}
	while (*in == '=')
		in++;
	if (*in != '\0')
		return -1;
	*outlen = n;
	return 0;
}

/* Basic auth: user and password must match exactly (Twilio "Authenticating with HTTP"). */
static bool
sandbox_twilio_authorized(
    const struct sandbox_twilio *tw, struct evhttp_request *req, const char *account, size_t account_len)
{
	const char *h, *user = account, *colon;
	char cred[SANDBOX_TWILIO_MAX_AUTH];
	size_t len, user_len = account_len, pass_len;

	if (tw->auth_token == NULL)
		return true;
	h = evhttp_find_header(evhttp_request_get_input_headers(req), "Authorization");
	if (h == NULL || strncasecmp(h, "Basic ", 6) != 0)
		return false;
	for (h += 6; *h == ' '; h++)
		;
	if (sandbox_twilio_base64_decode(h, cred, sizeof cred, &len) == -1)
		return false;
	if ((colon = memchr(cred, ':', len)) == NULL)
		return false;
	if (tw->account_sid != NULL) {
		user = tw->account_sid;
		user_len = strlen(user);
	}
	pass_len = len - (size_t)(colon - cred) - 1;
	return (size_t)(colon - cred) == user_len && memcmp(cred, user, user_len) == 0 &&
	    pass_len == strlen(tw->auth_token) && memcmp(colon + 1, tw->auth_token, pass_len) == 0;
}

/* E.164 as Twilio checks it here: '+' then 8 to 15 digits. */
static bool
sandbox_twilio_valid_number(const char *s, size_t len)
{
	if (len < 9 || len > 16 || s[0] != '+')
		return false;
	for (size_t i = 1; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
	}
	return true;
}

/* The first field called name with a non-empty value: Twilio treats empty as missing. */
static const struct sandbox_form_field *
sandbox_twilio_field(const struct sandbox_form *form, const char *name)
{
	const struct sandbox_form_field *f = sandbox_form_get(form, name);

	return f != NULL && f->value_len > 0 ? f : NULL;
}

/* The @t=<unix microseconds> stamp that load generators put in bodies, or -1. */
static int64_t
sandbox_twilio_stamp(const char *body, size_t len)
{
	const char *p = body, *end = body + len;

	while ((p = memmem(p, (size_t)(end - p), "@t=", 3)) != NULL) {
		int64_t v = 0;
		int digits = 0;

		for (p += 3; p < end && *p >= '0' && *p <= '9' && digits < 18; p++, digits++)
			v = v * 10 + (*p - '0');
		if (digits > 0)
			return v;
	}
	return -1;
}

/* The mixer is a bijection, so distinct counters can never give the same SID. */
void
sandbox_twilio_make_sid(struct sandbox_twilio *tw, char *out)
{
	static const char hex[] = "0123456789abcdef";
	uint64_t a = tw->sid_prefix, b = sandbox_hash_mix(tw->sid_counter++ ^ tw->sid_prefix);

	out[0] = 'S';
	out[1] = 'M';
	for (int i = 0; i < 16; i++) {
		out[2 + i] = hex[(a >> (60 - 4 * i)) & 15];
		out[18 + i] = hex[(b >> (60 - 4 * i)) & 15];
	}
	out[SANDBOX_TWILIO_SID_LEN] = '\0';
}

/* "Thu, 30 Jul 2015 20:12:31 +0000", formatted once per second. */
static const char *
sandbox_twilio_date(struct sandbox_twilio *tw, int64_t unix_us)
{
	time_t t = (time_t)(unix_us / 1000000);
	struct tm tm;

	if (t != tw->date_second) {
		gmtime_r(&t, &tm);
		strftime(tw->date, sizeof tw->date, "%a, %d %b %Y %H:%M:%S +0000", &tm);
		tw->date_second = t;
	}
	return tw->date;
}

static void
sandbox_twilio_write_message(
    struct sandbox_twilio *tw, struct evbuffer *out, const struct sandbox_twilio_request *r, const char *sid)
{
	const char *date = sandbox_twilio_date(tw, r->receipt_us);
	char uri[sizeof SANDBOX_TWILIO_ACCOUNTS + SANDBOX_TWILIO_MAX_SID + 64];
	int n;

	evbuffer_add_printf(out, "{\"sid\":\"%s\",\"account_sid\":", sid);
	sandbox_json_add_string(out, r->account, r->account_len);
	evbuffer_add(out, ",\"to\":", 6);
	sandbox_json_add_string(out, r->to->value, r->to->value_len);
	evbuffer_add(out, ",\"from\":", 8);
	if (r->from != NULL)
		sandbox_json_add_string(out, r->from->value, r->from->value_len);
	else
		evbuffer_add(out, "null", 4);
	evbuffer_add(out, ",\"messaging_service_sid\":", 25);
	if (r->service != NULL)
		sandbox_json_add_string(out, r->service->value, r->service->value_len);
	else
		evbuffer_add(out, "null", 4);
	evbuffer_add(out, ",\"body\":", 8);
	if (r->body != NULL)
		sandbox_json_add_string(out, r->body->value, r->body->value_len);
	else
		evbuffer_add(out, "\"\"", 2);
	n = snprintf(
	    uri, sizeof uri, "%s%.*s/Messages/%s", SANDBOX_TWILIO_ACCOUNTS, (int)r->account_len, r->account, sid);
	if (n < 0 || (size_t)n >= sizeof uri)
		fatalx("message uri too long");
	evbuffer_add_printf(out,
	    ",\"status\":\"queued\",\"num_segments\":\"1\",\"num_media\":\"%zu\","
	    "\"direction\":\"outbound-api\",\"api_version\":\"2010-04-01\","
	    "\"date_created\":\"%s\",\"date_updated\":\"%s\",\"date_sent\":null,"
	    "\"error_code\":null,\"error_message\":null,\"price\":null,\"price_unit\":\"USD\","
	    "\"uri\":",
	    r->num_media, date, date);
	evbuffer_add_printf(out, "\"%s.json\",\"subresource_uris\":{\"media\":\"%s/Media.json\"}}", uri, uri);
}

/* A request that passed routing, method, credential and AccountSid checks. */
static void
sandbox_twilio_messages(struct sandbox_twilio *tw, struct evhttp_request *req, struct sandbox_twilio_request *r)
{
	struct sandbox *sb = tw->sb;
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	struct evbuffer *out = evhttp_request_get_output_buffer(req);
	size_t in_len = evbuffer_get_length(in);
	const char *raw = in_len > 0 ? (const char *)evbuffer_pullup(in, -1) : "";
	struct sandbox_fault_decision fault;
	struct sandbox_message msg;
	struct sandbox_callback_twilio_message cm;
	struct sandbox_callback_chain *chain;
	char sid[SANDBOX_TWILIO_SID_LEN + 1], retry[16];
	const char *body, *why;
	size_t body_len;

	if (sandbox_form_parse(&sb->form, raw, in_len) == -1) {
		sandbox_twilio_reply_error(sb, req, 400, 20001, "Too many parameters");
		return;
	}
	r->to = sandbox_twilio_field(&sb->form, "To");
	r->from = sandbox_twilio_field(&sb->form, "From");
	r->service = sandbox_twilio_field(&sb->form, "MessagingServiceSid");
	r->body = sandbox_twilio_field(&sb->form, "Body");
	r->status_callback = sandbox_twilio_field(&sb->form, "StatusCallback");
	r->num_media = sandbox_form_count(&sb->form, "MediaUrl");
	if (r->to == NULL) {
		sandbox_twilio_reply_error(sb, req, 400, 21604, "A 'To' phone number is required.");
		return;
	}
	if (r->from == NULL && r->service == NULL) {
		sandbox_twilio_reply_error(sb, req, 400, 21603, "A 'From' phone number is required.");
		return;
	}
	if (r->from != NULL && r->service != NULL) {
		sandbox_twilio_reply_error(
		    sb, req, 400, 21603, "Only one of 'From' and 'MessagingServiceSid' may be given.");
		return;
	}
	if (r->body == NULL && sandbox_twilio_field(&sb->form, "MediaUrl") == NULL) {
		sandbox_twilio_reply_error(sb, req, 400, 21602, "Message body is required.");
		return;
	}
	if (!sandbox_twilio_valid_number(r->to->value, r->to->value_len)) {
		sandbox_twilio_invalid_to(sb, req, r->to);
		return;
	}
	if (r->status_callback != NULL && sandbox_client_check_url(r->status_callback->value, &why) == -1 &&
	    strncmp(r->status_callback->value, "https://", 8) != 0) {
		char *msg_text = xasprintf("The StatusCallback URL %s is not a valid URL.", r->status_callback->value);

		sandbox_twilio_reply_error(sb, req, 400, 21609, msg_text);
		free(msg_text);
		return;
	}

	body = r->body != NULL ? r->body->value : "";
	body_len = r->body != NULL ? r->body->value_len : 0;
	sandbox_fault_decide(sb->fault, body, body_len, &fault);
	switch (fault.kind) {
	case SANDBOX_FAULT_500:
		sandbox_twilio_reply_error(sb, req, 500, 20500, "An internal server error has occurred");
		return;
	case SANDBOX_FAULT_429:
		snprintf(retry, sizeof retry, "%u", fault.retry_after);
		evhttp_add_header(evhttp_request_get_output_headers(req), "Retry-After", retry);
		sandbox_twilio_reply_error(sb, req, 429, 20429, "Too Many Requests");
		return;
	case SANDBOX_FAULT_400:
		sandbox_twilio_invalid_to(sb, req, r->to);
		return;
	case SANDBOX_FAULT_GARBAGE:
		evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", "text/html");
		evbuffer_add(out, "<html>upstream error</html>", 27);
		sandbox_reply_send(sb->reply, req, 200, NULL);
		return;
	case SANDBOX_FAULT_TIMEOUT:
		sandbox_reply_never(sb->reply, req);
		return;
	case SANDBOX_FAULT_NONE:
	case SANDBOX_FAULT_DELAY:
	case SANDBOX_FAULT_WHATSAPP: /* a WhatsApp marker means nothing to Twilio */
		break;
	}

	sandbox_twilio_make_sid(tw, sid);
	sandbox_set_json(req);
	sandbox_twilio_write_message(tw, out, r, sid);
	memset(&msg, 0, sizeof msg);
	msg.channel = SANDBOX_CHANNEL_SMS;
	msg.receipt_us = r->receipt_us;
	msg.client_us = sandbox_twilio_stamp(body, body_len);
	msg.body_hash = sandbox_hash64(body, body_len);
	msg.sid = sid;
	msg.to = r->to->value;
	msg.to_len = r->to->value_len;
	msg.body = body;
	msg.body_len = body_len;
	cm.sid = sid;
	cm.account = r->account;
	cm.account_len = r->account_len;
	cm.from = r->from != NULL ? r->from->value : NULL;
	cm.service = r->service != NULL ? r->service->value : NULL;
	cm.to = r->to->value;
	cm.status_callback = r->status_callback != NULL ? r->status_callback->value : NULL;
	chain = sandbox_callback_twilio(sb->callback, &cm, body, body_len);
	sandbox_callback_answer(
	    sb->callback, chain, req, 201, fault.kind == SANDBOX_FAULT_DELAY ? fault.delay_ms : 0, &msg);
}

bool
sandbox_twilio_handle(struct sandbox_twilio *tw, struct evhttp_request *req, const char *path)
{
	struct sandbox *sb = tw->sb;
	struct sandbox_twilio_request r;
	const char *account, *slash;

	if (strncmp(path, SANDBOX_TWILIO_PREFIX, sizeof SANDBOX_TWILIO_PREFIX - 1) != 0)
		return false;
	sandbox_stats_count_channel_received(sb->stats, SANDBOX_CHANNEL_SMS);
	memset(&r, 0, sizeof r);
	r.receipt_us = sandbox_now_us();

	if (strncmp(path, SANDBOX_TWILIO_ACCOUNTS, sizeof SANDBOX_TWILIO_ACCOUNTS - 1) != 0)
		goto not_found;
	account = path + sizeof SANDBOX_TWILIO_ACCOUNTS - 1;
	if ((slash = strchr(account, '/')) == NULL || strcmp(slash, SANDBOX_TWILIO_MESSAGES) != 0)
		goto not_found;
	r.account = account;
	r.account_len = (size_t)(slash - account);
	if (r.account_len == 0 || r.account_len > SANDBOX_TWILIO_MAX_SID)
		goto not_found;

	if (evhttp_request_get_command(req) != EVHTTP_REQ_POST) {
		evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", "POST");
		sandbox_twilio_reply_error(sb, req, 405, 20004, "Method not allowed");
		return true;
	}
	if (!sandbox_twilio_authorized(tw, req, r.account, r.account_len)) {
		evhttp_add_header(
		    evhttp_request_get_output_headers(req), "WWW-Authenticate", "Basic realm=\"Twilio API\"");
		sandbox_twilio_reply_error(sb, req, 401, 20003, "Authentication Error - invalid username");
		return true;
	}
	if (tw->account_sid != NULL &&
	    (strlen(tw->account_sid) != r.account_len || memcmp(tw->account_sid, r.account, r.account_len) != 0))
		goto not_found;
	sandbox_twilio_messages(tw, req, &r);
	return true;

not_found:
	sandbox_twilio_reply_not_found(sb, req, path);
	return true;
}
