/*
 * The Twilio Messages API endpoint, POST /2010-04-01/Accounts/{AccountSid}/
 * Messages.json: Basic auth, form validation with Twilio's error codes and
 * bodies, faults, and Message resources for what it accepts. Owns the
 * credentials it checks and the SID generator.
 */
#ifndef AMUDDU_SANDBOX_TWILIO_H
#define AMUDDU_SANDBOX_TWILIO_H

#include <stdbool.h>

struct evhttp_request;
struct sandbox;
struct sandbox_twilio;

#define SANDBOX_TWILIO_SID_LEN 34 /* "SM" and 32 hex digits */

/*
 * account_sid, when not NULL, is the only AccountSid served. auth_token,
 * when not NULL, makes Basic auth mandatory: the user must be account_sid
 * (or, without one, the AccountSid in the path) and the password the
 * token. The caller frees the result with sandbox_twilio_free().
 */
struct sandbox_twilio *sandbox_twilio_new(struct sandbox *sb, const char *account_sid, const char *auth_token);
void sandbox_twilio_free(struct sandbox_twilio *tw);
/* Answers req when path is under /2010-04-01/; false leaves it to the caller. */
bool sandbox_twilio_handle(struct sandbox_twilio *tw, struct evhttp_request *req, const char *path);
/* Answers req with a Twilio error object: {"code","message","more_info","status"}. */
void sandbox_twilio_reply_error(
    struct sandbox *sb, struct evhttp_request *req, int status, int code, const char *message);
/* A new Message SID, unique in this run, into out (SANDBOX_TWILIO_SID_LEN + 1 bytes). */
void sandbox_twilio_make_sid(struct sandbox_twilio *tw, char *out);
/* Answers req with Twilio's 404 object (code 20404) naming path. */
void sandbox_twilio_reply_not_found(struct sandbox *sb, struct evhttp_request *req, const char *path);

#endif
