/*
 * POST /sandbox/inbound: a test asks the sandbox to deliver a message "from
 * a person" to the gateway, as the provider would: Twilio's signed inbound
 * form to the --twilio-inbound URL, or Meta's signed webhook to
 * --wa-webhook. Owns nothing; the sends go through sandbox_callback.
 */
#ifndef AMUDDU_SANDBOX_INBOUND_H
#define AMUDDU_SANDBOX_INBOUND_H

struct evhttp_request;
struct sandbox;

/*
 * The body is JSON: {"channel":"sms"|"whatsapp","from":"+2126...","text":
 * "...", and optionally "id", "repeat" (1 to 1000 identical sends), "type"
 * (WhatsApp: text, image, audio, video, document, sticker, unsupported),
 * "name" (the WhatsApp profile name), "to" (SMS: the number written to;
 * WhatsApp: the phone number id), "timestamp" (unix seconds), "signature"
 * ("valid", "invalid" or "missing")}. Answers 202 {"id":...,"queued":N}.
 */
void sandbox_inbound_handle(struct sandbox *sb, struct evhttp_request *req);

#endif
