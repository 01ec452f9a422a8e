/*
 * Twilio's webhooks: message status callbacks (route "/status") and
 * incoming SMS (route "/inbound"), form-encoded POSTs or GETs with the
 * parameters in the query string, signed with X-Twilio-Signature. Turns a
 * request into provider events.
 */
#ifndef AMUDDU_TWILIO_WEBHOOK_H
#define AMUDDU_TWILIO_WEBHOOK_H

#include <stddef.h>

#include "handlers/provider.h"

/* The answer to an incoming message: TwiML without a verb, so Twilio sends no reply of its own. */
#define TWILIO_WEBHOOK_EMPTY_TWIML "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response></Response>"

/*
 * Verifies wr against auth_token and appends what it carries to ev (caller
 * initialised; the caller frees it). On anything but PROVIDER_WEBHOOK_OK, ev
 * is as it was and err says why, never quoting a number or message text.
 * An empty auth_token verifies nothing.
 */
enum provider_webhook_result twilio_webhook_parse(const char *auth_token, const struct provider_webhook_request *wr,
    struct provider_events *ev, char *err, size_t errlen) __attribute__((warn_unused_result));

#endif
