/*
 * Twilio-compatible SMS: the Programmable Messaging "Create a Message"
 * request and the classification of its answers. The caller owns struct
 * twilio and frees it with twilio_free().
 */
#ifndef AMUDDU_TWILIO_H
#define AMUDDU_TWILIO_H

#include "handlers/provider.h"

struct twilio {
	char *base_url;
	char *account_sid;
	char *from;                  /* or NULL */
	char *messaging_service_sid; /* or NULL */
	char *status_callback;       /* or NULL */
	char *messages_url;          /* derived */
	char *auth_header;           /* derived: "Authorization: Basic …" */
	char *auth_token;            /* for webhook signatures */
};

extern const struct provider_ops twilio_ops;

/* Copies the settings. */
struct twilio *twilio_new(const char *base_url, const char *account_sid, const char *auth_token, const char *from,
    const char *messaging_service_sid, const char *status_callback);
void twilio_free(struct twilio *t);

#endif
