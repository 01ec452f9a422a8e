/*
 * The WhatsApp Business Cloud API webhook: the GET verification handshake
 * and the POSTed notifications (message statuses and incoming messages)
 * signed with X-Hub-Signature-256. Turns a request into provider events.
 */
#ifndef AMUDDU_WHATSAPP_WEBHOOK_H
#define AMUDDU_WHATSAPP_WEBHOOK_H

#include <stddef.h>

#include "handlers/provider.h"

/* The longest hub.challenge echoed back; Meta's are short numbers. */
#define WHATSAPP_WEBHOOK_CHALLENGE_MAX 256

/*
 * Answers the handshake (hub.verify_token checked against verify_token)
 * or verifies a notification against app_secret and appends its events to
 * ev (caller initialised; the caller frees it). On anything but
 * PROVIDER_WEBHOOK_OK, ev is as it was and err says why (with a JSON path
 * for a payload of the wrong shape), never quoting a number or message
 * text. An empty secret or token verifies nothing.
 */
enum provider_webhook_result whatsapp_webhook_parse(const char *app_secret, const char *verify_token,
    const struct provider_webhook_request *wr, struct provider_events *ev, char *err, size_t errlen)
    __attribute__((warn_unused_result));

#endif
