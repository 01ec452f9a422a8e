/*
 * The Cloud API send endpoint. Checks run in Graph API order: route and
 * method, the access token, the phone number id, then the JSON body (the
 * "Message" schema of Meta's OpenAPI description: BaseMessageProperties,
 * TextMessage, TemplateMessage), then the sandbox's own refusals
 * (--wa-not-on-whatsapp) and faults, read from the raw body. Errors follow
 * the Graph API error object; an accepted message is answered 200 with
 * contacts[] and messages[0].id, recorded as "+digits" and its text, or
 * "template:<name>:<code>:<p1>|<p2>..." for a template.
 */
#include "sandbox_whatsapp.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <jansson.h>
#include <openssl/evp.h>

#include "gateway/util/buf.h"
#include "gateway/util/log.h"
#include "gateway/util/xmalloc.h"
#include "sandbox.h"
#include "sandbox_callback.h"
#include "sandbox_fault.h"
#include "sandbox_hash.h"
#include "sandbox_json.h"
#include "sandbox_reply.h"
#include "sandbox_stats.h"

#define SANDBOX_WHATSAPP_MAX_TEXT 4096    /* characters, TextMessage text.body */
#define SANDBOX_WHATSAPP_MAX_PARAM 32768  /* characters, TextParameter text */
#define SANDBOX_WHATSAPP_MAX_TEMPLATE 512 /* template name */
#define SANDBOX_WHATSAPP_MIN_DIGITS 7
#define SANDBOX_WHATSAPP_MAX_DIGITS 15
#define SANDBOX_WHATSAPP_ERRORS_HREF "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/"

struct sandbox_whatsapp {
	struct sandbox *sb;
	struct sandbox_whatsapp_config config;
	uint64_t id_prefix;
	uint64_t id_counter;
};

/* Why a body was refused: Meta's message and the error_data details. */
struct sandbox_whatsapp_refusal {
	int code;
	char message[256];
	char details[512];
};

/* An accepted send, pointing into the parsed JSON. */
struct sandbox_whatsapp_send {
	const char *to;
	char digits[SANDBOX_WHATSAPP_MAX_DIGITS + 1];
	bool is_template;
	const char *biz_opaque;
	struct buf record; /* the record file's Body column */
};

static const struct sandbox_whatsapp_error sandbox_whatsapp_errors[] = {
	{ 0, "Unknown error", "An unknown error occurred." },
	{ 100, "Invalid parameter", "The request included invalid or unsupported parameters." },
	{ 130429, "Rate limit hit", "Cloud API message throughput has been reached." },
	{ 131000, "Something went wrong", "Message failed to send because of an unknown error. Try again later." },
	{ 131005, "Access denied", "Permission is either not granted or has been removed." },
	{ 131008, "Required parameter is missing", "The request is missing a required parameter." },
	{ 131009, "Parameter value is not valid", "One or more parameter values are invalid." },
	{ 131021, "Recipient cannot be sender", "Sender and recipient phone number is the same." },
	{ 131026, "Message Undeliverable",
	    "Unable to deliver message. Reasons can include: the recipient phone number is not a WhatsApp phone "
	    "number; the recipient has not accepted the new Terms of Service and Privacy Policy; the recipient is "
	    "using an old WhatsApp version." },
	{ 131031, "Account has been locked", "The business account was restricted or disabled." },
	{ 131042, "Business eligibility payment issue",
	    "Message failed to send because there were one or more errors related to your payment method." },
	{ 131047, "Re-engagement message",
	    "Message failed to send because more than 24 hours have passed since the customer last replied to this "
	    "number." },
	{ 131048, "Spam rate limit hit",
	    "Message failed to send because there are restrictions on how many messages can be sent from this "
	    "phone number." },
	{ 131049, "Meta chose not to deliver.",
	    "This message was not delivered to maintain healthy ecosystem engagement." },
	{ 131050, "User has stopped marketing messages", "The user has opted out of marketing messages." },
	{ 131051, "Unsupported message type", "Message type is not currently supported." },
	{ 131056, "(Business Account, Consumer Account) pair rate limit hit",
	    "Too many messages sent from the sender phone number to the same recipient phone number in a short "
	    "period of time." },
	{ 132000, "Template Param Count Mismatch",
	    "The number of variable parameter values included in the request did not match the number of variable "
	    "parameters defined in the template." },
	{ 132001, "Template does not exist",
	    "The template does not exist in the specified language or the template has not been approved." },
	{ 132012, "Template Parameter Format Mismatch", "Variable parameter values formatted incorrectly." },
	{ 132015, "Template is Paused", "Template is paused due to low quality so it cannot be sent." },
	{ 133010, "Phone number Not Registered",
	    "The phone number is not registered on the WhatsApp Business Platform." },
};

static bool sandbox_whatsapp_match(const char *path, const char **version, size_t *version_len);
static void sandbox_whatsapp_fbtrace(struct sandbox_whatsapp *wa, char out[24]);
static void sandbox_whatsapp_reply_error(struct sandbox_whatsapp *wa, struct evhttp_request *req, int status, int code,
    int subcode, const char *message, const char *details);
static void sandbox_whatsapp_reply_code(
    struct sandbox_whatsapp *wa, struct evhttp_request *req, int status, unsigned int code);
static void sandbox_whatsapp_unsupported(
    struct sandbox_whatsapp *wa, struct evhttp_request *req, const char *method, const char *id, size_t id_len);
static bool sandbox_whatsapp_authorized(const struct sandbox_whatsapp *wa, struct evhttp_request *req);
static int sandbox_whatsapp_refuse(struct sandbox_whatsapp_refusal *r, int code, const char *message, const char *fmt,
    ...) __attribute__((format(printf, 4, 5)));
static int sandbox_whatsapp_required(struct sandbox_whatsapp_refusal *r, const char *name);
static size_t sandbox_whatsapp_chars(const char *s, size_t len);
static int sandbox_whatsapp_check_keys(
    json_t *obj, const char *const *allowed, const char *where, struct sandbox_whatsapp_refusal *r);
static int sandbox_whatsapp_check_text(
    json_t *root, struct sandbox_whatsapp_send *s, struct sandbox_whatsapp_refusal *r);
static int sandbox_whatsapp_check_template(
    json_t *root, struct sandbox_whatsapp_send *s, struct sandbox_whatsapp_refusal *r);
static int sandbox_whatsapp_check_parameters(json_t *params, const char *where, bool collect,
    struct sandbox_whatsapp_send *s, unsigned int *nparams, struct sandbox_whatsapp_refusal *r);
static int sandbox_whatsapp_check(json_t *root, struct sandbox_whatsapp_send *s, struct sandbox_whatsapp_refusal *r);
static bool sandbox_whatsapp_mark_read(struct sandbox_whatsapp *wa, struct evhttp_request *req, json_t *root);
static int64_t sandbox_whatsapp_stamp(const char *body, size_t len);
static void sandbox_whatsapp_messages(
    struct sandbox_whatsapp *wa, struct evhttp_request *req, const char *id, int64_t receipt_us);

void
sandbox_whatsapp_config_init(struct sandbox_whatsapp_config *config)
{
	memset(config, 0, sizeof *config);
	snprintf(config->token, sizeof config->token, "sandbox-wa-token");
}

int
sandbox_whatsapp_config_set(
    struct sandbox_whatsapp_config *config, const char *key, const char *value, const char **why)
{
	size_t len = strlen(value);

	if (strcmp(key, "wa_token") == 0) {
		if (len == 0 || len >= sizeof config->token || strpbrk(value, " \t\r\n") != NULL) {
			*why = "must be a non-empty token without spaces";
			return -1;
		}
		memcpy(config->token, value, len + 1);
		return 0;
	}
	if (strcmp(key, "wa_not_on_whatsapp") == 0 || strcmp(key, "wa_phone_number_id") == 0) {
		bool prefix = key[3] == 'n';
		char *dst = prefix ? config->not_on_whatsapp : config->phone_number_id;
		size_t size = prefix ? sizeof config->not_on_whatsapp : sizeof config->phone_number_id;

		if (len >= size || strspn(value, "0123456789") != len) {
			*why = "must be digits";
			return -1;
		}
		memcpy(dst, value, len + 1);
		return 0;
	}
	return 1;
}

void
sandbox_whatsapp_config_write_json(const struct sandbox_whatsapp_config *config, struct evbuffer *out)
{
	evbuffer_add_printf(out, ",\"wa_not_on_whatsapp\":");
	sandbox_json_add_string(out, config->not_on_whatsapp, strlen(config->not_on_whatsapp));
	evbuffer_add_printf(out, ",\"wa_phone_number_id\":");
	sandbox_json_add_string(out, config->phone_number_id, strlen(config->phone_number_id));
}

struct sandbox_whatsapp *
sandbox_whatsapp_new(struct sandbox *sb, const struct sandbox_whatsapp_config *config)
{
	struct sandbox_whatsapp *wa = xcalloc(1, sizeof *wa);
	struct timespec ts;

	wa->sb = sb;
	wa->config = *config;
	clock_gettime(CLOCK_REALTIME, &ts);
	wa->id_prefix = sandbox_hash_mix(
	    (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec + ((uint64_t)getpid() << 40) + 0x77616d6964ULL);
	return wa;
}

void
sandbox_whatsapp_free(struct sandbox_whatsapp *wa)
{
	free(wa);
}

const struct sandbox_whatsapp_config *
sandbox_whatsapp_get_config(const struct sandbox_whatsapp *wa)
{
	return &wa->config;
}

void
sandbox_whatsapp_set_config(struct sandbox_whatsapp *wa, const struct sandbox_whatsapp_config *config)
{
	wa->config = *config;
}

const char *
sandbox_whatsapp_phone_number_id(const struct sandbox_whatsapp *wa)
{
	return wa->config.phone_number_id[0] != '\0' ? wa->config.phone_number_id
						     : SANDBOX_WHATSAPP_DEFAULT_PHONE_NUMBER_ID;
}

const struct sandbox_whatsapp_error *
sandbox_whatsapp_error_find(unsigned int code)
{
	for (size_t i = 1; i < sizeof sandbox_whatsapp_errors / sizeof sandbox_whatsapp_errors[0]; i++) {
		if (sandbox_whatsapp_errors[i].code == code)
			return &sandbox_whatsapp_errors[i];
	}
	return &sandbox_whatsapp_errors[0];
}

/*
 * Shaped like Meta's: base64 of 0x1c 0x18, the number's length and digits,
 * a fixed tag, 18 (sent) or 20 (inbound) upper-case hex digits and a NUL
 * byte. The hex digits come from a bijective mix of a counter, so ids are
 * unique within a run; they contain '+', '/' and '=' as Meta's do.
 */
void
sandbox_whatsapp_make_wamid(
    struct sandbox_whatsapp *wa, const char *digits, bool inbound, char out[SANDBOX_WHATSAPP_WAMID_MAX])
{
	static const char hex[] = "0123456789ABCDEF";
	unsigned char raw[64];
	size_t n = 0, dlen = strlen(digits), nhex = inbound ? 20 : 18;
	uint64_t a = sandbox_hash_mix(wa->id_counter++ ^ wa->id_prefix), b = wa->id_prefix;

	if (dlen > SANDBOX_WHATSAPP_MAX_DIGITS + 5)
		dlen = SANDBOX_WHATSAPP_MAX_DIGITS + 5;
	raw[n++] = 0x1c;
	raw[n++] = 0x18;
	raw[n++] = (unsigned char)dlen;
	memcpy(raw + n, digits, dlen);
	n += dlen;
	raw[n++] = 0x15;
	raw[n++] = 0x02;
	raw[n++] = 0x00;
	raw[n++] = inbound ? 0x12 : 0x11;
	raw[n++] = 0x18;
	raw[n++] = (unsigned char)nhex;
	for (size_t i = 0; i < 16; i++)
		raw[n++] = (unsigned char)hex[(a >> (60 - 4 * i)) & 15];
	for (size_t i = 16; i < nhex; i++)
		raw[n++] = (unsigned char)hex[(b >> (4 * (i - 16))) & 15];
	raw[n++] = 0x00;
	memcpy(out, "wamid.", 6);
	EVP_EncodeBlock((unsigned char *)out + 6, raw, (int)n);
}

/* "A" and 22 characters, as Graph API trace ids look. */
static void
sandbox_whatsapp_fbtrace(struct sandbox_whatsapp *wa, char out[24])
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	uint64_t a = sandbox_hash_mix(wa->id_prefix ^ (wa->id_counter * 0x9e3779b97f4a7c15ULL) ^ 0xfbULL);
	uint64_t b = sandbox_hash_mix(a);

	out[0] = 'A';
	for (int i = 0; i < 22; i++) {
		uint64_t v = i < 11 ? a >> (6 * i) : b >> (6 * (i - 11));

		out[1 + i] = alphabet[v & 63];
	}
	out[23] = '\0';
	wa->id_counter++;
}

/* {"error":{"message","type","code",["error_subcode"],["error_data"],"fbtrace_id"}}; details may be NULL. */
static void
sandbox_whatsapp_reply_error(struct sandbox_whatsapp *wa, struct evhttp_request *req, int status, int code, int subcode,
    const char *message, const char *details)
{
	struct evbuffer *out = evhttp_request_get_output_buffer(req);
	char trace[24];

	sandbox_whatsapp_fbtrace(wa, trace);
	sandbox_set_json(req);
	evhttp_add_header(evhttp_request_get_output_headers(req), "x-fb-trace-id", trace);
	evbuffer_add_printf(out, "{\"error\":{\"message\":");
	sandbox_json_add_string(out, message, strlen(message));
	evbuffer_add_printf(out, ",\"type\":\"OAuthException\",\"code\":%d", code);
	if (subcode != 0)
		evbuffer_add_printf(out, ",\"error_subcode\":%d", subcode);
	if (details != NULL) {
		evbuffer_add_printf(out, ",\"error_data\":{\"messaging_product\":\"whatsapp\",\"details\":");
		sandbox_json_add_string(out, details, strlen(details));
		evbuffer_add_printf(out, "}");
	}
	evbuffer_add_printf(out, ",\"fbtrace_id\":\"%s\"}}", trace);
	sandbox_reply_send(wa->sb->reply, req, status, NULL);
}

/* One of Meta's numbered errors: "(#CODE) Title" and the code's details. */
static void
sandbox_whatsapp_reply_code(struct sandbox_whatsapp *wa, struct evhttp_request *req, int status, unsigned int code)
{
	const struct sandbox_whatsapp_error *e = sandbox_whatsapp_error_find(code);
	char *message = xasprintf("(#%u) %s", code, e->title);

	sandbox_whatsapp_reply_error(wa, req, status, (int)code, 0, message, e->details);
	free(message);
}

/* The Graph API's answer to an object or edge it does not serve. */
static void
sandbox_whatsapp_unsupported(
    struct sandbox_whatsapp *wa, struct evhttp_request *req, const char *method, const char *id, size_t id_len)
{
	char *message = xasprintf("Unsupported %s request. Object with ID '%.*s' does not exist, cannot be loaded due "
				  "to missing permissions, or does not support this operation. Please read the Graph "
				  "API documentation at https://developers.facebook.com/docs/graph-api",
	    method, (int)id_len, id);

	sandbox_whatsapp_reply_error(wa, req, 400, 100, 33, message, NULL);
	free(message);
}

/* "/v23.0/..." with digits on both sides of the dot. */
static bool
sandbox_whatsapp_match(const char *path, const char **version, size_t *version_len)
{
	const char *p = path + 2;

	if (path[0] != '/' || path[1] != 'v' || *p < '0' || *p > '9')
		return false;
	while (*p >= '0' && *p <= '9')
		p++;
	if (*p++ != '.' || *p < '0' || *p > '9')
		return false;
	while (*p >= '0' && *p <= '9')
		p++;
	if (*p != '/' && *p != '\0')
		return false;
	*version = path + 1;
	*version_len = (size_t)(p - path - 1);
	return true;
}

/* "Authorization: Bearer <token>"; compares the whole token. */
static bool
sandbox_whatsapp_authorized(const struct sandbox_whatsapp *wa, struct evhttp_request *req)
{
	const char *h = evhttp_find_header(evhttp_request_get_input_headers(req), "Authorization");
	size_t len;

	if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0)
		return false;
	for (h += 7; *h == ' '; h++)
		;
	len = strlen(h);
	while (len > 0 && h[len - 1] == ' ')
		len--;
	return len == strlen(wa->config.token) && memcmp(h, wa->config.token, len) == 0;
}

static int
sandbox_whatsapp_refuse(struct sandbox_whatsapp_refusal *r, int code, const char *message, const char *fmt, ...)
{
	va_list ap;

	r->code = code;
	snprintf(r->message, sizeof r->message, "%s", message);
	va_start(ap, fmt);
	vsnprintf(r->details, sizeof r->details, fmt, ap);
	va_end(ap);
	return -1;
}

static int
sandbox_whatsapp_required(struct sandbox_whatsapp_refusal *r, const char *name)
{
	r->code = 100;
	snprintf(r->message, sizeof r->message, "(#100) The parameter %s is required.", name);
	snprintf(r->details, sizeof r->details, "The parameter %s is required.", name);
	return -1;
}

/* Unicode characters in well-formed UTF-8 (jansson guarantees it). */
static size_t
sandbox_whatsapp_chars(const char *s, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			n++;
	}
	return n;
}

/* The description's additionalProperties: false. allowed ends with NULL. */
static int
sandbox_whatsapp_check_keys(
    json_t *obj, const char *const *allowed, const char *where, struct sandbox_whatsapp_refusal *r)
{
	const char *key;
	json_t *value;

	json_object_foreach(obj, key, value)
	{
		size_t i;

		(void)value;
		for (i = 0; allowed[i] != NULL && strcmp(allowed[i], key) != 0; i++)
			;
		if (allowed[i] == NULL)
			return sandbox_whatsapp_refuse(
			    r, 100, "(#100) Invalid parameter", "Unexpected key \"%s\" in %s.", key, where);
	}
	return 0;
}

static int
sandbox_whatsapp_check_text(json_t *root, struct sandbox_whatsapp_send *s, struct sandbox_whatsapp_refusal *r)
{
	static const char *const top[] = { "messaging_product", "recipient_type", "to", "type", "context", "text",
		NULL };
	static const char *const text_keys[] = { "body", "preview_url", NULL };
	json_t *text = json_object_get(root, "text"), *body, *preview;
	size_t chars;

	if (sandbox_whatsapp_check_keys(root, top, "a text message", r) == -1)
		return -1;
	if (text == NULL)
		return sandbox_whatsapp_required(r, "text");
	if (!json_is_object(text))
		return sandbox_whatsapp_refuse(r, 100, "(#100) Invalid parameter", "Parameter text must be an object.");
	if (sandbox_whatsapp_check_keys(text, text_keys, "text", r) == -1)
		return -1;
	if ((body = json_object_get(text, "body")) == NULL)
		return sandbox_whatsapp_required(r, "text['body']");
	if (!json_is_string(body))
		return sandbox_whatsapp_refuse(
		    r, 100, "(#100) Invalid parameter", "Param text['body'] must be a string.");
	chars = sandbox_whatsapp_chars(json_string_value(body), json_string_length(body));
	if (chars == 0)
		return sandbox_whatsapp_refuse(
		    r, 100, "(#100) Param text['body'] must be at least 1 character long.", "Message body is empty.");
	if (chars > SANDBOX_WHATSAPP_MAX_TEXT)
		return sandbox_whatsapp_refuse(r, 100,
		    "(#100) Param text['body'] must be at most 4096 characters long.",
		    "Message body is %zu characters long; the limit is 4096.", chars);
	if ((preview = json_object_get(text, "preview_url")) != NULL && !json_is_boolean(preview))
		return sandbox_whatsapp_refuse(
		    r, 100, "(#100) Invalid parameter", "Param text['preview_url'] must be a boolean.");
	buf_append(&s->record, json_string_value(body), json_string_length(body));
	return 0;
}

/*
 * ParameterObject: a type and the value it names. Text-like values are
 * strings, the others objects. Body text parameters go to the record.
 */
static int
sandbox_whatsapp_check_parameters(json_t *params, const char *where, bool collect, struct sandbox_whatsapp_send *s,
    unsigned int *nparams, struct sandbox_whatsapp_refusal *r)
{
	static const char *const string_types[] = { "text", "payload", "coupon_code", NULL };
	static const char *const object_types[] = { "currency", "date_time", "image", "document", "video", "location",
		"action", NULL };
	size_t i;
	json_t *p;

	if (!json_is_array(params))
		return sandbox_whatsapp_refuse(
		    r, 100, "(#100) Invalid parameter", "%s parameters must be an array.", where);
	json_array_foreach(params, i, p)
	{
		json_t *type = json_object_get(p, "type"), *value;
		const char *t;
		bool is_string = false, known = false;

		if (!json_is_object(p) || !json_is_string(type))
			return sandbox_whatsapp_refuse(r, 100, "(#100) Invalid parameter",
			    "%s parameter %zu must be an object with a string \"type\".", where, i);
		t = json_string_value(type);
		for (size_t k = 0; string_types[k] != NULL; k++)
			is_string = known = known || strcmp(t, string_types[k]) == 0;
		for (size_t k = 0; !known && object_types[k] != NULL; k++)
			known = strcmp(t, object_types[k]) == 0;
		if (!known)
			return sandbox_whatsapp_refuse(r, 100, "(#100) Invalid parameter",
			    "%s parameter %zu has an unknown type \"%s\".", where, i, t);
		value = json_object_get(p, t);
		if (is_string ? !json_is_string(value) : !json_is_object(value))
			return sandbox_whatsapp_refuse(r, 131008, "(#131008) Required parameter is missing",
			    "%s parameter %zu of type %s needs a%s \"%s\".", where, i, t,
			    is_string ? " string" : "n object", t);
		if (strcmp(t, "text") == 0) {
			size_t chars = sandbox_whatsapp_chars(json_string_value(value), json_string_length(value));

			if (chars == 0)
				return sandbox_whatsapp_refuse(r, 131008, "(#131008) Required parameter is missing",
				    "%s parameter %zu has an empty text.", where, i);
			if (chars > SANDBOX_WHATSAPP_MAX_PARAM)
				return sandbox_whatsapp_refuse(r, 100, "(#100) Invalid parameter",
				    "%s parameter %zu is longer than 32768 characters.", where, i);
			if (collect) {
				if ((*nparams)++ > 0)
					buf_append(&s->record, "|", 1);
				buf_append(&s->record, json_string_value(value), json_string_length(value));
			}
		}
	}
	return 0;
}

static int
sandbox_whatsapp_check_template(json_t *root, struct sandbox_whatsapp_send *s, struct sandbox_whatsapp_refusal *r)
{
	json_t *tpl = json_object_get(root, "template"), *name, *lang, *policy, *code, *components, *c;
	unsigned int nparams = 0;
	size_t i, name_len;

	if (tpl == NULL)
		return sandbox_whatsapp_required(r, "template");
	if (!json_is_object(tpl))
		return sandbox_whatsapp_refuse(
		    r, 100, "(#100) Invalid parameter", "Parameter template must be an object.");
	if ((name = json_object_get(tpl, "name")) == NULL)
		return sandbox_whatsapp_required(r, "template['name']");
	if (!json_is_string(name) || (name_len = json_string_length(name)) == 0 ||
	    name_len > SANDBOX_WHATSAPP_MAX_TEMPLATE)
		return sandbox_whatsapp_refuse(r, 100, "(#100) Invalid parameter",
		    "Param template['name'] must be a string of 1 to 512 characters.");
	if ((lang = json_object_get(tpl, "language")) == NULL)
		return sandbox_whatsapp_required(r, "template['language']");
	if (!json_is_object(lang))
		return sandbox_whatsapp_refuse(
		    r, 100, "(#100) Invalid parameter", "Param template['language'] must be an object.");
	if ((policy = json_object_get(lang, "policy")) == NULL)
		return sandbox_whatsapp_required(r, "template['language']['policy']");
	if (!json_is_string(policy) || strcmp(json_string_value(policy), "deterministic") != 0)
		return sandbox_whatsapp_refuse(r, 100,
		    "(#100) Param template['language']['policy'] must be one of {DETERMINISTIC}.",
		    "The language policy must be \"deterministic\".");
	if ((code = json_object_get(lang, "code")) == NULL)
		return sandbox_whatsapp_required(r, "template['language']['code']");
	if (!json_is_string(code) || json_string_length(code) == 0 || json_string_length(code) > 15 ||
	    strspn(json_string_value(code), "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_-") !=
		json_string_length(code))
		return sandbox_whatsapp_refuse(r, 100, "(#100) Invalid parameter",
		    "Param template['language']['code'] must be a language or locale code such as \"fr\" or "
		    "\"en_US\".");
	buf_printf(&s->record, "template:%s:%s:", json_string_value(name), json_string_value(code));
	if ((components = json_object_get(tpl, "components")) == NULL)
		return 0;
	if (!json_is_array(components))
		return sandbox_whatsapp_refuse(
		    r, 100, "(#100) Invalid parameter", "Param template['components'] must be an array.");
	json_array_foreach(components, i, c)
	{
		json_t *type = json_object_get(c, "type"), *params;
		const char *t;
		char where[48];

		if (!json_is_object(c) || !json_is_string(type))
			return sandbox_whatsapp_refuse(r, 100, "(#100) Invalid parameter",
			    "Template component %zu must be an object with a string \"type\".", i);
		t = json_string_value(type);
		if (strcmp(t, "header") != 0 && strcmp(t, "body") != 0 && strcmp(t, "button") != 0)
			return sandbox_whatsapp_refuse(r, 100, "(#100) Invalid parameter",
			    "Template component %zu has type \"%s\"; it must be header, body or button.", i, t);
		snprintf(where, sizeof where, "Template component %zu (%s)", i, t);
		params = json_object_get(c, "parameters");
		if (strcmp(t, "button") == 0) {
			json_t *sub = json_object_get(c, "sub_type"), *index = json_object_get(c, "index");
			const char *st = json_string_value(sub);

			if (st == NULL ||
			    (strcmp(st, "quick_reply") != 0 && strcmp(st, "url") != 0 && strcmp(st, "catalog") != 0))
				return sandbox_whatsapp_refuse(r, 100, "(#100) Invalid parameter",
				    "%s needs a sub_type of quick_reply, url or catalog.", where);
			if (!json_is_string(index) || json_string_length(index) == 0 ||
			    strspn(json_string_value(index), "0123456789") != json_string_length(index))
				return sandbox_whatsapp_refuse(r, 100, "(#100) Invalid parameter",
				    "%s needs a string index such as \"0\".", where);
		}
		if (params == NULL) {
			if (strcmp(t, "body") == 0)
				continue;
			return sandbox_whatsapp_refuse(
			    r, 131008, "(#131008) Required parameter is missing", "%s needs parameters.", where);
		}
		if (strcmp(t, "body") != 0 && json_is_array(params) && json_array_size(params) == 0)
			return sandbox_whatsapp_refuse(r, 131008, "(#131008) Required parameter is missing",
			    "%s needs at least one parameter.", where);
		if (sandbox_whatsapp_check_parameters(params, where, strcmp(t, "body") == 0, s, &nparams, r) == -1)
			return -1;
	}
	return 0;
}

/* BaseMessageProperties, then the type's own schema. */
static int
sandbox_whatsapp_check(json_t *root, struct sandbox_whatsapp_send *s, struct sandbox_whatsapp_refusal *r)
{
	json_t *product, *rtype, *to, *type, *context, *opaque;
	const char *t, *digits;
	size_t ndigits;

	if (!json_is_object(root))
		return sandbox_whatsapp_refuse(
		    r, 100, "(#100) Invalid parameter", "The request body must be a JSON object.");
	if ((product = json_object_get(root, "messaging_product")) == NULL)
		return sandbox_whatsapp_required(r, "messaging_product");
	if (!json_is_string(product) || strcmp(json_string_value(product), "whatsapp") != 0)
		return sandbox_whatsapp_refuse(r, 100, "(#100) Param messaging_product must be one of {WHATSAPP}.",
		    "messaging_product must be \"whatsapp\".");
	if ((rtype = json_object_get(root, "recipient_type")) == NULL)
		return sandbox_whatsapp_required(r, "recipient_type");
	if (!json_is_string(rtype) || strcmp(json_string_value(rtype), "individual") != 0)
		return sandbox_whatsapp_refuse(r, 100, "(#100) Param recipient_type must be one of {INDIVIDUAL}.",
		    "recipient_type must be \"individual\" (the sandbox serves no groups).");
	if ((to = json_object_get(root, "to")) == NULL)
		return sandbox_whatsapp_required(r, "to");
	digits = json_string_value(to);
	if (digits != NULL && *digits == '+')
		digits++;
	ndigits = digits != NULL ? strlen(digits) : 0;
	if (digits == NULL || ndigits < SANDBOX_WHATSAPP_MIN_DIGITS || ndigits > SANDBOX_WHATSAPP_MAX_DIGITS ||
	    strspn(digits, "0123456789") != ndigits ||
	    (size_t)(digits - json_string_value(to)) + ndigits != json_string_length(to))
		return sandbox_whatsapp_refuse(r, 100, "(#100) Invalid parameter",
		    "Parameter 'to' must be a phone number: 7 to 15 digits, optionally after a '+'.");
	s->to = json_string_value(to);
	memcpy(s->digits, digits, ndigits + 1);
	if ((context = json_object_get(root, "context")) != NULL &&
	    (!json_is_object(context) || !json_is_string(json_object_get(context, "message_id"))))
		return sandbox_whatsapp_refuse(
		    r, 100, "(#100) Invalid parameter", "Param context must be an object with a string message_id.");
	if ((type = json_object_get(root, "type")) == NULL)
		return sandbox_whatsapp_required(r, "type");
	if (!json_is_string(type))
		return sandbox_whatsapp_refuse(r, 100, "(#100) Invalid parameter", "Param type must be a string.");
	t = json_string_value(type);
	if (strcmp(t, "text") == 0)
		return sandbox_whatsapp_check_text(root, s, r);
	if (strcmp(t, "template") == 0) {
		s->is_template = true;
		if ((opaque = json_object_get(root, "biz_opaque_callback_data")) != NULL) {
			if (!json_is_string(opaque) || json_string_length(opaque) > 512)
				return sandbox_whatsapp_refuse(r, 100, "(#100) Invalid parameter",
				    "Param biz_opaque_callback_data must be a string of at most 512 characters.");
			s->biz_opaque = json_string_value(opaque);
		}
		return sandbox_whatsapp_check_template(root, s, r);
	}
	if (strcmp(t, "audio") == 0 || strcmp(t, "document") == 0 || strcmp(t, "image") == 0 ||
	    strcmp(t, "location") == 0 || strcmp(t, "video") == 0 || strcmp(t, "sticker") == 0 ||
	    strcmp(t, "reaction") == 0 || strcmp(t, "interactive") == 0 || strcmp(t, "contacts") == 0)
		return sandbox_whatsapp_refuse(r, 100, "(#100) Invalid parameter",
		    "Message type \"%s\" is valid for Meta but not served by the sandbox (text and template only).", t);
	return sandbox_whatsapp_refuse(r, 100, "(#100) Invalid parameter",
	    "Param type must be one of {AUDIO, CONTACTS, DOCUMENT, IMAGE, INTERACTIVE, LOCATION, REACTION, STICKER, "
	    "TEMPLATE, TEXT, VIDEO} - got \"%s\".",
	    t);
}

/*
 * {"messaging_product":"whatsapp","status":"read","message_id":...}: Meta's
 * read receipt, sent to the same endpoint. Answered {"success":true}. It
 * is not a message, so nothing is recorded.
 */
static bool
sandbox_whatsapp_mark_read(struct sandbox_whatsapp *wa, struct evhttp_request *req, json_t *root)
{
	json_t *status = json_object_get(root, "status"), *id = json_object_get(root, "message_id");

	if (status == NULL)
		return false;
	if (!json_is_string(status) || strcmp(json_string_value(status), "read") != 0 || !json_is_string(id) ||
	    strncmp(json_string_value(id), "wamid.", 6) != 0 ||
	    !json_is_string(json_object_get(root, "messaging_product")))
		sandbox_whatsapp_reply_error(wa, req, 400, 100, 0, "(#100) Invalid parameter",
		    "A read receipt needs messaging_product, status \"read\" and the wamid in message_id.");
	else {
		sandbox_set_json(req);
		evbuffer_add_printf(evhttp_request_get_output_buffer(req), "{\"success\":true}");
		sandbox_reply_send(wa->sb->reply, req, 200, NULL);
	}
	return true;
}

/* The @t=<unix microseconds> stamp that load generators put in bodies, or -1. */
static int64_t
sandbox_whatsapp_stamp(const char *body, size_t len)
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

/* A POST to /{version}/{id}/messages with a valid token for a served id. */
static void
sandbox_whatsapp_messages(struct sandbox_whatsapp *wa, struct evhttp_request *req, const char *id, int64_t receipt_us)
{
	struct sandbox *sb = wa->sb;
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	struct evbuffer *out = evhttp_request_get_output_buffer(req);
	size_t in_len = evbuffer_get_length(in), nprefix = strlen(wa->config.not_on_whatsapp);
	const char *raw = in_len > 0 ? (const char *)evbuffer_pullup(in, -1) : "";
	struct sandbox_whatsapp_refusal refusal;
	struct sandbox_whatsapp_send send;
	struct sandbox_callback_whatsapp_message cm;
	struct sandbox_callback_chain *chain;
	struct sandbox_fault_decision fault;
	struct sandbox_message msg;
	char wamid[SANDBOX_WHATSAPP_WAMID_MAX], retry[16], to[SANDBOX_WHATSAPP_MAX_DIGITS + 2];
	json_error_t jerr;
	json_t *root;

	memset(&send, 0, sizeof send);
	buf_init(&send.record);
	if ((root = json_loadb(raw, in_len, JSON_REJECT_DUPLICATES, &jerr)) == NULL) {
		char *details = xasprintf("The request body is not valid JSON: %s.", jerr.text);

		sandbox_whatsapp_reply_error(wa, req, 400, 100, 0, "(#100) Invalid parameter", details);
		free(details);
		goto out;
	}
	if (json_is_object(root) && sandbox_whatsapp_mark_read(wa, req, root))
		goto out;
	if (sandbox_whatsapp_check(root, &send, &refusal) == -1) {
		sandbox_whatsapp_reply_error(wa, req, 400, refusal.code, 0, refusal.message, refusal.details);
		goto out;
	}
	if (nprefix > 0 && strncmp(send.digits, wa->config.not_on_whatsapp, nprefix) == 0) {
		sandbox_whatsapp_reply_code(wa, req, 400, 131026);
		goto out;
	}

	sandbox_fault_decide(sb->fault, raw, in_len, &fault);
	switch (fault.kind) {
	case SANDBOX_FAULT_500:
		sandbox_whatsapp_reply_code(wa, req, 500, 131000);
		goto out;
	case SANDBOX_FAULT_429:
		snprintf(retry, sizeof retry, "%u", fault.retry_after);
		evhttp_add_header(evhttp_request_get_output_headers(req), "Retry-After", retry);
		sandbox_whatsapp_reply_code(wa, req, 429, 130429);
		goto out;
	case SANDBOX_FAULT_400:
		sandbox_whatsapp_reply_code(wa, req, 400, 131009);
		goto out;
	case SANDBOX_FAULT_WHATSAPP:
		sandbox_whatsapp_reply_code(wa, req, 400, fault.wa_code);
		goto out;
	case SANDBOX_FAULT_GARBAGE:
		evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", "text/html");
		evbuffer_add(out, "<html>upstream error</html>", 27);
		sandbox_reply_send(sb->reply, req, 200, NULL);
		goto out;
	case SANDBOX_FAULT_TIMEOUT:
		sandbox_reply_never(sb->reply, req);
		goto out;
	case SANDBOX_FAULT_NONE:
	case SANDBOX_FAULT_DELAY:
		break;
	}

	sandbox_whatsapp_make_wamid(wa, send.digits, false, wamid);
	sandbox_set_json(req);
	evbuffer_add_printf(out, "{\"messaging_product\":\"whatsapp\",\"contacts\":[{\"input\":");
	sandbox_json_add_string(out, send.to, strlen(send.to));
	evbuffer_add_printf(out, ",\"wa_id\":\"%s\"}],\"messages\":[{\"id\":", send.digits);
	sandbox_json_add_string(out, wamid, strlen(wamid));
	evbuffer_add_printf(out, "%s}]}", send.is_template ? ",\"message_status\":\"accepted\"" : "");

	snprintf(to, sizeof to, "+%s", send.digits);
	memset(&msg, 0, sizeof msg);
	msg.channel = SANDBOX_CHANNEL_WHATSAPP;
	msg.receipt_us = receipt_us;
	msg.client_us = sandbox_whatsapp_stamp(send.record.data, send.record.len);
	msg.body_hash = sandbox_hash64(send.record.data, send.record.len);
	msg.sid = wamid;
	msg.to = to;
	msg.to_len = strlen(to);
	msg.body = send.record.data;
	msg.body_len = send.record.len;
	cm.wamid = wamid;
	cm.recipient = send.digits;
	cm.phone_number_id = id;
	cm.category = send.is_template ? "utility" : "service";
	cm.biz_opaque = send.biz_opaque;
	chain = sandbox_callback_whatsapp(sb->callback, &cm, raw, in_len);
	sandbox_callback_answer(
	    sb->callback, chain, req, 200, fault.kind == SANDBOX_FAULT_DELAY ? fault.delay_ms : 0, &msg);

out:
	buf_free(&send.record);
	if (root != NULL)
		json_decref(root);
}

bool
sandbox_whatsapp_handle(struct sandbox_whatsapp *wa, struct evhttp_request *req, const char *path)
{
	const char *version, *id, *slash, *method;
	size_t version_len, id_len;
	char *id_copy;
	int64_t receipt_us = sandbox_now_us();

	if (!sandbox_whatsapp_match(path, &version, &version_len))
		return false;
	sandbox_stats_count_channel_received(wa->sb->stats, SANDBOX_CHANNEL_WHATSAPP);
	method = evhttp_request_get_command(req) == EVHTTP_REQ_POST ? "post"
	    : evhttp_request_get_command(req) == EVHTTP_REQ_GET     ? "get"
								    : "other";
	id = version + version_len + (version[version_len] == '/' ? 1 : 0);
	slash = strchr(id, '/');
	id_len = slash != NULL ? (size_t)(slash - id) : strlen(id);
	{
		char *v = xstrndup(version, version_len);

		evhttp_add_header(evhttp_request_get_output_headers(req), "facebook-api-version", v);
		free(v);
	}
	if (id_len == 0 || strspn(id, "0123456789") != id_len || slash == NULL || strcmp(slash, "/messages") != 0 ||
	    strcmp(method, "post") != 0) {
		sandbox_whatsapp_unsupported(wa, req, method, id, id_len);
		return true;
	}
	if (!sandbox_whatsapp_authorized(wa, req)) {
		evhttp_add_header(evhttp_request_get_output_headers(req), "WWW-Authenticate",
		    "OAuth \"Facebook Platform\" \"invalid_token\" \"Invalid OAuth access token - Cannot parse access "
		    "token\"");
		sandbox_whatsapp_reply_error(
		    wa, req, 401, 190, 0, "Invalid OAuth access token - Cannot parse access token", NULL);
		return true;
	}
	if (wa->config.phone_number_id[0] != '\0' &&
	    (strlen(wa->config.phone_number_id) != id_len || memcmp(wa->config.phone_number_id, id, id_len) != 0)) {
		sandbox_whatsapp_unsupported(wa, req, method, id, id_len);
		return true;
	}
	id_copy = xstrndup(id, id_len);
	sandbox_whatsapp_messages(wa, req, id_copy, receipt_us);
	free(id_copy);
	return true;
}
