/*
 * Inbound messages. SMS: Twilio's "incoming message" webhook parameters
 * (MessageSid, SmsMessageSid, SmsSid, AccountSid, From, To, Body, NumMedia,
 * NumSegments, SmsStatus, ApiVersion), form-encoded and signed. WhatsApp:
 * Meta's webhook with value.contacts[] and value.messages[] (the
 * IncomingMessageValueGeneral schema). SMS through a local aggregator
 * ("provider": "generic"): a JSON object {id, from, text, time} signed
 * X-Signature: sha256=<hex>, as the gateway's generic provider reads by
 * default. Every repeat is the same message,
 * same id, so a receiver's deduplication can be tested.
 */
#include "sandbox_inbound.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <jansson.h>

#include "sandbox.h"
#include "sandbox_callback.h"
#include "sandbox_hash.h"
#include "sandbox_json.h"
#include "sandbox_reply.h"
#include "sandbox_stats.h"
#include "sandbox_twilio.h"
#include "sandbox_whatsapp.h"

#define SANDBOX_INBOUND_MAX_REPEAT 1000
#define SANDBOX_INBOUND_SMS_TO "+15005550006"
#define SANDBOX_INBOUND_NAME "Sandbox User"

/* The fields of one request, pointing into its JSON. */
struct sandbox_inbound_request {
	const char *channel;
	const char *provider; /* "twilio" (the default for SMS) or "generic" */
	const char *from;
	const char *digits; /* from without its '+' */
	const char *text;   /* NULL when not given */
	const char *id;     /* NULL: make one */
	const char *type;
	const char *name;
	const char *to;
	long long timestamp;
	long long repeat;
	enum sandbox_callback_signature sign;
};

static void sandbox_inbound_error(struct evhttp_request *req, int code, const char *why);
static int sandbox_inbound_parse(json_t *root, struct sandbox_inbound_request *r, const char **why)
    __attribute__((warn_unused_result));
static bool sandbox_inbound_number(const char *s, bool plus_required);
static void sandbox_inbound_sms(
    struct sandbox *sb, struct evhttp_request *req, const struct sandbox_inbound_request *r);
static void sandbox_inbound_whatsapp(
    struct sandbox *sb, struct evhttp_request *req, const struct sandbox_inbound_request *r);
static json_t *sandbox_inbound_wa_message(
    const struct sandbox_inbound_request *r, const char *id, const char *ts, const char **why);
static void sandbox_inbound_accepted(struct evhttp_request *req, const char *id, long long n);

static void
sandbox_inbound_error(struct evhttp_request *req, int code, const char *why)
{
	struct evbuffer *out = evhttp_request_get_output_buffer(req);

	evbuffer_add_printf(out, "{\"ok\":false,\"error\":");
	sandbox_json_add_string(out, why, strlen(why));
	evbuffer_add_printf(out, "}\n");
	sandbox_set_json(req);
	evhttp_send_reply(req, code, sandbox_reply_reason(code), NULL);
}

static void
sandbox_inbound_accepted(struct evhttp_request *req, const char *id, long long n)
{
	struct evbuffer *out = evhttp_request_get_output_buffer(req);

	evbuffer_add_printf(out, "{\"id\":");
	sandbox_json_add_string(out, id, strlen(id));
	evbuffer_add_printf(out, ",\"queued\":%lld}\n", n);
	sandbox_set_json(req);
	evhttp_send_reply(req, 202, sandbox_reply_reason(202), NULL);
}

/* '+' (optional unless plus_required) and 7 to 15 digits. */
static bool
sandbox_inbound_number(const char *s, bool plus_required)
{
	size_t n;

	if (*s == '+')
		s++;
	else if (plus_required)
		return false;
	n = strlen(s);
	return n >= 7 && n <= 15 && strspn(s, "0123456789") == n;
}

static int
sandbox_inbound_parse(json_t *root, struct sandbox_inbound_request *r, const char **why)
{
	json_t *v;
	const char *sign;

	memset(r, 0, sizeof r[0]);
	r->repeat = 1;
	r->timestamp = (long long)time(NULL);
	r->type = "text";
	r->name = SANDBOX_INBOUND_NAME;
	if (!json_is_object(root)) {
		*why = "the body must be a JSON object";
		return -1;
	}
	r->channel = json_string_value(json_object_get(root, "channel"));
	if (r->channel == NULL || (strcmp(r->channel, "sms") != 0 && strcmp(r->channel, "whatsapp") != 0)) {
		*why = "\"channel\" must be \"sms\" or \"whatsapp\"";
		return -1;
	}
	r->from = json_string_value(json_object_get(root, "from"));
	if (r->from == NULL || !sandbox_inbound_number(r->from, strcmp(r->channel, "sms") == 0)) {
		*why = "\"from\" must be a phone number: '+' and 7 to 15 digits (the '+' is optional for whatsapp)";
		return -1;
	}
	r->digits = r->from[0] == '+' ? r->from + 1 : r->from;
	if ((v = json_object_get(root, "text")) != NULL && (r->text = json_string_value(v)) == NULL) {
		*why = "\"text\" must be a string";
		return -1;
	}
	if ((v = json_object_get(root, "id")) != NULL &&
	    ((r->id = json_string_value(v)) == NULL || *r->id == '\0' || strlen(r->id) > 128)) {
		*why = "\"id\" must be a string of 1 to 128 characters";
		return -1;
	}
	if ((v = json_object_get(root, "repeat")) != NULL &&
	    (!json_is_integer(v) || (r->repeat = json_integer_value(v)) < 1 ||
		r->repeat > SANDBOX_INBOUND_MAX_REPEAT)) {
		*why = "\"repeat\" must be a whole number from 1 to 1000";
		return -1;
	}
	if ((v = json_object_get(root, "provider")) != NULL &&
	    ((r->provider = json_string_value(v)) == NULL ||
		(strcmp(r->provider, "twilio") != 0 && strcmp(r->provider, "generic") != 0) ||
		strcmp(r->channel, "sms") != 0)) {
		*why = "\"provider\" is \"twilio\" or \"generic\", for an SMS";
		return -1;
	}
	if ((v = json_object_get(root, "type")) != NULL && (r->type = json_string_value(v)) == NULL) {
		*why = "\"type\" must be a string";
		return -1;
	}
	if ((v = json_object_get(root, "name")) != NULL && (r->name = json_string_value(v)) == NULL) {
		*why = "\"name\" must be a string";
		return -1;
	}
	if ((v = json_object_get(root, "to")) != NULL && (r->to = json_string_value(v)) == NULL) {
		*why = "\"to\" must be a string";
		return -1;
	}
	if ((v = json_object_get(root, "timestamp")) != NULL &&
	    (!json_is_integer(v) || (r->timestamp = json_integer_value(v)) < 0)) {
		*why = "\"timestamp\" must be unix seconds";
		return -1;
	}
	if ((v = json_object_get(root, "signature")) != NULL) {
		sign = json_string_value(v);
		if (sign != NULL && strcmp(sign, "valid") == 0)
			r->sign = SANDBOX_CALLBACK_SIGN_VALID;
		else if (sign != NULL && strcmp(sign, "invalid") == 0)
			r->sign = SANDBOX_CALLBACK_SIGN_INVALID;
		else if (sign != NULL && strcmp(sign, "missing") == 0)
			r->sign = SANDBOX_CALLBACK_SIGN_MISSING;
		else {
			*why = "\"signature\" must be \"valid\", \"invalid\" or \"missing\"";
			return -1;
		}
	}
	if (strcmp(r->channel, "sms") == 0 && strcmp(r->type, "text") != 0) {
		*why = "an SMS is always of type text";
		return -1;
	}
	if (strcmp(r->type, "text") == 0 && r->text == NULL) {
		*why = "\"text\" is required for a text message";
		return -1;
	}
	return 0;
}

static void
sandbox_inbound_sms(struct sandbox *sb, struct evhttp_request *req, const struct sandbox_inbound_request *r)
{
	const struct sandbox_callback_config *cf = sandbox_callback_get_config(sb->callback);
	char sid[SANDBOX_TWILIO_SID_LEN + 1];
	const char *id = r->id, *params[2 * 11];
	size_t n = 0;

	if (cf->twilio_inbound[0] == '\0') {
		sandbox_inbound_error(req, 409, "no Twilio inbound webhook is set (--twilio-inbound)");
		return;
	}
	if (id == NULL) {
		sandbox_twilio_make_sid(sb->twilio, sid);
		id = sid;
	}
	params[n++] = "AccountSid";
	params[n++] = sandbox_callback_account_sid(sb->callback);
	params[n++] = "ApiVersion";
	params[n++] = "2010-04-01";
	params[n++] = "Body";
	params[n++] = r->text;
	params[n++] = "From";
	params[n++] = r->from;
	params[n++] = "MessageSid";
	params[n++] = id;
	params[n++] = "NumMedia";
	params[n++] = "0";
	params[n++] = "NumSegments";
	params[n++] = "1";
	params[n++] = "SmsMessageSid";
	params[n++] = id;
	params[n++] = "SmsSid";
	params[n++] = id;
	params[n++] = "SmsStatus";
	params[n++] = "received";
	params[n++] = "To";
	params[n++] = r->to != NULL ? r->to : SANDBOX_INBOUND_SMS_TO;
	sandbox_stats_count_callback_queued(sb->stats, (unsigned int)r->repeat);
	for (long long i = 0; i < r->repeat; i++)
		sandbox_callback_post_twilio(sb->callback, cf->twilio_inbound, params, n / 2, r->sign, NULL, NULL);
	sandbox_inbound_accepted(req, id, r->repeat);
}

static void
sandbox_inbound_generic(struct sandbox *sb, struct evhttp_request *req, const struct sandbox_inbound_request *r)
{
	char sid[SANDBOX_TWILIO_SID_LEN + 1];
	const char *id = r->id, *why = NULL;
	json_t *root;

	if (sandbox_callback_get_config(sb->callback)->generic_inbound[0] == '\0') {
		sandbox_inbound_error(req, 409, "no generic inbound webhook is set (--generic-inbound)");
		return;
	}
	if (id == NULL) {
		sandbox_twilio_make_sid(sb->twilio, sid);
		id = sid;
	}
	root = json_pack(
	    "{s:s, s:s, s:s, s:I}", "id", id, "from", r->from, "text", r->text, "time", (json_int_t)r->timestamp);
	if (root == NULL) {
		sandbox_inbound_error(req, 500, "cannot build the webhook");
		return;
	}
	sandbox_stats_count_callback_queued(sb->stats, (unsigned int)r->repeat);
	for (long long i = 0; i < r->repeat; i++) {
		if (sandbox_callback_post_generic(sb->callback, root, r->sign, &why) == -1)
			break; /* cannot happen: the webhook was checked above */
	}
	json_decref(root);
	sandbox_inbound_accepted(req, id, r->repeat);
}

/* One entry of value.messages[], as Meta writes it for the type asked for. */
static json_t *
sandbox_inbound_wa_message(const struct sandbox_inbound_request *r, const char *id, const char *ts, const char **why)
{
	static const char *const media[] = { "image", "audio", "video", "document", "sticker", NULL };
	static const char *const mime[] = { "image/jpeg", "audio/ogg; codecs=opus", "video/mp4", "application/pdf",
		"image/webp", NULL };
	json_t *m = json_pack("{s:s, s:s, s:s, s:s}", "from", r->digits, "id", id, "timestamp", ts, "type", r->type);
	uint64_t h = sandbox_hash64(id, strlen(id));
	char media_id[24], sha[65];

	if (m == NULL)
		return NULL;
	if (strcmp(r->type, "text") == 0) {
		json_object_set_new(m, "text", json_pack("{s:s}", "body", r->text));
		return m;
	}
	if (strcmp(r->type, "unsupported") == 0) {
		json_object_set_new(m, "errors",
		    json_pack("[{s:i, s:s, s:s, s:{s:s}}]", "code", 131051, "title", "Message type unknown", "message",
			"Message type unknown", "error_data", "details", "Message type is currently not supported."));
		return m;
	}
	for (size_t i = 0; media[i] != NULL; i++) {
		json_t *obj;

		if (strcmp(r->type, media[i]) != 0)
			continue;
		snprintf(
		    media_id, sizeof media_id, "%" PRIu64, (uint64_t)(h % 9000000000000000ULL + 1000000000000000ULL));
		snprintf(sha, sizeof sha, "%016" PRIx64 "%016" PRIx64 "%016" PRIx64 "%016" PRIx64, sandbox_hash_mix(h),
		    sandbox_hash_mix(h + 1), sandbox_hash_mix(h + 2), sandbox_hash_mix(h + 3));
		obj = json_pack("{s:s, s:s, s:s}", "mime_type", mime[i], "sha256", sha, "id", media_id);
		if (r->text != NULL &&
		    (strcmp(media[i], "image") == 0 || strcmp(media[i], "video") == 0 ||
			strcmp(media[i], "document") == 0))
			json_object_set_new(obj, "caption", json_string(r->text));
		if (strcmp(media[i], "document") == 0)
			json_object_set_new(obj, "filename", json_string("document.pdf"));
		if (strcmp(media[i], "audio") == 0)
			json_object_set_new(obj, "voice", json_true());
		if (strcmp(media[i], "sticker") == 0)
			json_object_set_new(obj, "animated", json_false());
		json_object_set_new(m, media[i], obj);
		return m;
	}
	json_decref(m);
	*why = "\"type\" must be text, image, audio, video, document, sticker or unsupported";
	return NULL;
}

static void
sandbox_inbound_whatsapp(struct sandbox *sb, struct evhttp_request *req, const struct sandbox_inbound_request *r)
{
	const struct sandbox_callback_config *cf = sandbox_callback_get_config(sb->callback);
	char wamid[SANDBOX_WHATSAPP_WAMID_MAX], ts[24];
	const char *id = r->id, *why = NULL;
	json_t *message, *root;

	if (cf->wa_webhook[0] == '\0') {
		sandbox_inbound_error(req, 409, "no WhatsApp webhook is set (--wa-webhook)");
		return;
	}
	if (id == NULL) {
		sandbox_whatsapp_make_wamid(sb->whatsapp, r->digits, true, wamid);
		id = wamid;
	}
	snprintf(ts, sizeof ts, "%lld", r->timestamp);
	if ((message = sandbox_inbound_wa_message(r, id, ts, &why)) == NULL) {
		sandbox_inbound_error(req, 400, why != NULL ? why : "cannot build the message");
		return;
	}
	root = json_pack("{s:s, s:[{s:s, s:[{s:{s:s, s:{s:s, s:s}, s:[{s:{s:s}, s:s}], s:[o]}, s:s}]}]}", "object",
	    "whatsapp_business_account", "entry", "id", cf->wa_business_account_id, "changes", "value",
	    "messaging_product", "whatsapp", "metadata", "display_phone_number", cf->wa_display_phone_number,
	    "phone_number_id", r->to != NULL ? r->to : sandbox_whatsapp_phone_number_id(sb->whatsapp), "contacts",
	    "profile", "name", r->name, "wa_id", r->digits, "messages", message, "field", "messages");
	if (root == NULL) {
		sandbox_inbound_error(req, 500, "cannot build the webhook");
		return;
	}
	sandbox_stats_count_callback_queued(sb->stats, (unsigned int)r->repeat);
	for (long long i = 0; i < r->repeat; i++) {
		if (sandbox_callback_post_meta(sb->callback, root, r->sign, NULL, NULL, &why) == -1)
			break; /* cannot happen: the webhook was checked above */
	}
	json_decref(root);
	sandbox_inbound_accepted(req, id, r->repeat);
}

void
sandbox_inbound_handle(struct sandbox *sb, struct evhttp_request *req)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t len = evbuffer_get_length(in);
	struct sandbox_inbound_request r;
	json_error_t jerr;
	const char *why;
	json_t *root;

	if (evhttp_request_get_command(req) != EVHTTP_REQ_POST) {
		sandbox_inbound_error(req, 405, "method: use POST");
		return;
	}
	if ((root = json_loadb(len > 0 ? (const char *)evbuffer_pullup(in, -1) : "", len, 0, &jerr)) == NULL) {
		char msg[200];

		snprintf(msg, sizeof msg, "body is not JSON: %s", jerr.text);
		sandbox_inbound_error(req, 400, msg);
		return;
	}
	if (sandbox_inbound_parse(root, &r, &why) == -1)
		sandbox_inbound_error(req, 400, why);
	else if (strcmp(r.channel, "sms") == 0 && r.provider != NULL && strcmp(r.provider, "generic") == 0)
		sandbox_inbound_generic(sb, req, &r);
	else if (strcmp(r.channel, "sms") == 0)
		sandbox_inbound_sms(sb, req, &r);
	else
		sandbox_inbound_whatsapp(sb, req, &r);
	json_decref(root);
}
