/*
 * Single messages: POST /v1/messages puts one message in the outbox (the
 * notify lane unless told otherwise) through the same intake contract as
 * any producer, so it is checked, routed and recorded like every other;
 * GET /v1/messages/{id} shows its record. A message the person asked for
 * is not a campaign: consent is not required (opt-out still applies).
 */
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/api_int.h"
#include "gateway/util/domain.h"
#include "gateway/util/phone.h"
#include "gateway/util/xmalloc.h"
#include "gateway/util/zone.h"

struct message_new {
	struct api_call *c;
	char id[40];
};

static void message_added(void *arg, json_t *reply, const char *err);

void
api_message_id(char out[API_MESSAGE_ID_MAX])
{
	unsigned char rnd[8];

	if (RAND_bytes(rnd, sizeof rnd) != 1)
		memset(rnd, 0, sizeof rnd);
	snprintf(out, API_MESSAGE_ID_MAX, "m%02x%02x%02x%02x%02x%02x%02x%02x", rnd[0], rnd[1], rnd[2], rnd[3], rnd[4],
	    rnd[5], rnd[6], rnd[7]);
}
static void message_shown(void *arg, json_t *reply, const char *err);

void
api_messages_send(struct api_call *c)
{
	json_t *body = api_body_json(c);
	const char *to, *contact, *text, *v, *key;
	const char *lane = "notify";
	char e164[PHONE_E164_MAX], stream[256];
	struct message_new *mn;
	struct cmdargs a;
	json_t *val;

	if (body == NULL)
		return;
	json_object_foreach(body, key, val)
	{
		if (strcmp(key, "to") != 0 && strcmp(key, "contact") != 0 && strcmp(key, "text") != 0 &&
		    strcmp(key, "channel") != 0 && strcmp(key, "kind") != 0 && strcmp(key, "locale") != 0 &&
		    strcmp(key, "lane") != 0) {
			api_error(c, 422, "invalid", key, "%s is not a field of a message", key);
			goto out;
		}
	}
	to = json_string_value(json_object_get(body, "to"));
	contact = json_string_value(json_object_get(body, "contact"));
	text = json_string_value(json_object_get(body, "text"));
	if ((to == NULL) == (contact == NULL)) {
		api_error(c, 422, "invalid", "to", "give to (a phone number) or contact (a contact id), one of them");
		goto out;
	}
	if (to != NULL && phone_normalise_in(to, c->api->country, e164, &v) != 0) {
		api_error(c, 422, "invalid", "to", "to is not a phone number: %s", v);
		goto out;
	}
	if (contact != NULL && (strlen(contact) != 24 || strspn(contact, "0123456789abcdef") != 24)) {
		api_error(c, 422, "invalid", "contact", "contact is a contact id (24 hex digits)");
		goto out;
	}
	if (text == NULL || *text == '\0' || api_chars(text) > 1600) {
		api_error(c, 422, "invalid", "text", "text is required: 1 to 1,600 characters");
		goto out;
	}
	if ((v = json_string_value(json_object_get(body, "lane"))) != NULL) {
		if (strcmp(v, "notify") != 0 && strcmp(v, "reply") != 0) {
			api_error(c, 422, "invalid", "lane", "lane is notify (the default) or reply");
			goto out;
		}
		lane = v;
	}
	if ((v = json_string_value(json_object_get(body, "channel"))) != NULL && channel_from_name(v) < 0) {
		api_error(c, 422, "invalid", "channel", "channel is sms, whatsapp or auto");
		goto out;
	}
	if ((v = json_string_value(json_object_get(body, "kind"))) != NULL && kind_from_name(v) < 0) {
		api_error(c, 422, "invalid", "kind", "kind is one of the campaign kinds, reply or custom");
		goto out;
	}
	if (api_store_down(c))
		goto out;
	mn = xcalloc(1, sizeof *mn);
	mn->c = c;
	api_message_id(mn->id);
	memset(&a, 0, sizeof a);
	snprintf(stream, sizeof stream, "%soutbox:%s", store_prefix(c->api->store), lane);
	cmdargs_str(&a, "XADD");
	cmdargs_dup(&a, stream, strlen(stream));
	cmdargs_str(&a, "*");
	cmdargs_str(&a, "id");
	cmdargs_dup(&a, mn->id, strlen(mn->id));
	cmdargs_str(&a, to != NULL ? "to" : "contact");
	cmdargs_dup(&a, to != NULL ? e164 : contact, strlen(to != NULL ? e164 : contact));
	cmdargs_str(&a, "text");
	cmdargs_dup(&a, text, strlen(text));
	for (const char *const *f = (const char *const[]){ "channel", "kind", "locale", NULL }; *f != NULL; f++) {
		if ((v = json_string_value(json_object_get(body, *f))) != NULL) {
			cmdargs_str(&a, *f);
			cmdargs_dup(&a, v, strlen(v));
		}
	}
	store_command(c->api->store, &a, message_added, mn);
out:
	json_decref(body);
}

static void
message_added(void *arg, json_t *reply, const char *err)
{
	struct message_new *mn = arg;
	struct api_call *c = mn->c;

	if (err != NULL) {
		if (!api_store_down(c))
			api_error(c, 503, "unavailable", NULL, "the message could not be queued: try again");
	} else {
		api_audit(c, "messages.send", mn->id, NULL);
		c->created = true;
		api_reply(c, 202, json_pack("{s:s, s:s, s:O}", "id", mn->id, "state", "queued", "entry", reply));
	}
	free(mn);
}

void
api_messages_show(struct api_call *c)
{
	struct cmdargs a;
	char key[256];

	if (strspn(c->params[0], "0123456789abcdefm") != strlen(c->params[0]) || strlen(c->params[0]) > 32) {
		api_error(c, 404, "not_found", NULL, "no such message");
		return;
	}
	if (api_store_down(c))
		return;
	snprintf(key, sizeof key, "%smsg:%s", store_prefix(c->api->store), c->params[0]);
	memset(&a, 0, sizeof a);
	cmdargs_str(&a, "HGETALL");
	cmdargs_dup(&a, key, strlen(key));
	store_command(c->api->store, &a, message_shown, c);
}

static void
message_shown(void *arg, json_t *reply, const char *err)
{
	struct api_call *c = arg;
	json_t *o;

	if (err != NULL) {
		if (!api_store_down(c))
			api_error(c, 503, "unavailable", NULL, "the store could not answer: try again");
		return;
	}
	if (json_array_size(reply) == 0) {
		/* Queued and not yet begun: the outbox has it, its record comes with its first attempt. */
		api_reply(c, 200, json_pack("{s:s, s:s}", "id", c->params[0], "state", "queued"));
		return;
	}
	o = json_pack("{s:s}", "id", c->params[0]);
	for (size_t i = 0; i + 1 < json_array_size(reply); i += 2) {
		const char *k = json_string_value(json_array_get(reply, i)),
			   *v = json_string_value(json_array_get(reply, i + 1));
		static const char *const shown[] = { "state", "channel", "provider", "error", "attempts", "campaign",
			"kind" };

		if (k == NULL || v == NULL)
			continue;
		for (size_t s = 0; s < sizeof shown / sizeof shown[0]; s++)
			if (strcmp(k, shown[s]) == 0)
				json_object_set_new(o, k, json_string(v));
		if (strcmp(k, "updated") == 0) {
			char iso[40];

			zone_format(atoll(v) / 1000, iso, sizeof iso);
			json_object_set_new(o, "updated", json_string(iso));
		}
	}
	if (json_object_get(o, "state") == NULL)
		json_object_set_new(o, "state", json_string("sending"));
	api_reply(c, 200, o);
}
