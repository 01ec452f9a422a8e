/*
 * WhatsApp Business Cloud API: text messages inside the customer service
 * window, approved templates outside it, the classification of Meta's
 * answers and error codes, and the webhook. The caller owns struct
 * whatsapp (through whatsapp_ops.create/destroy).
 */
#ifndef AMUDDU_WHATSAPP_H
#define AMUDDU_WHATSAPP_H

#include "handlers/provider.h"

extern const struct provider_ops whatsapp_ops;

/* Meta held a marketing template back: the person reached their limit for now. */
#define WHATSAPP_CODE_MARKETING_LIMIT 131049
/* The person stopped marketing messages from this business. */
#define WHATSAPP_CODE_MARKETING_STOPPED 131050
/* How long a message held back by the per-person marketing limit waits: Meta asks for a day at least. */
#define WHATSAPP_MARKETING_RETRY_MS (24L * 3600 * 1000)

/* Meta error codes that mean "slow down, then try again" (Cloud API error codes page). */
bool whatsapp_code_retryable(long code);
/* Meta error codes that mean WhatsApp cannot reach this person now, though another channel may. */
bool whatsapp_code_fallback(long code);

#endif
