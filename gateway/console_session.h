/*
 * The web console's sessions (gateway/console_session.c): signing in and
 * out, the session cookie, and the check of a session-authenticated call
 * that changes something (CSRF).
 */
#ifndef AMUDDU_CONSOLE_SESSION_H
#define AMUDDU_CONSOLE_SESSION_H

#include <event2/http.h>
#include <jansson.h>
#include <stdbool.h>

#include "queues/store.h"

struct api;
struct api_call;

/* What to do once a call's session is looked up: found, c->token is who it is. */
typedef void session_then(struct api_call *c, bool found);

/* The session id in the request's cookie into sid; false when there is none. */
bool session_cookie(const struct api *a, struct evhttp_request *req, char sid[65]);
/* Looks the call's session up, then calls then (now when there is no cookie); answers 503 itself. */
void session_find(struct api_call *c, session_then *then);
/* For a changing call: its Origin is this host and its X-CSRF-Token the session's; else answers 403. */
bool session_csrf_ok(struct api_call *c);
/* POST /console/session: signs in with {"token"} or {"login", "password"}; answers. */
void session_signin(struct api_call *c);
/* DELETE /console/session: forgets the request's session and clears its cookie; answers. */
void session_signout(struct api_call *c);
/* At exit, after the HTTP server is gone: waits for the passwords being hashed and frees their sign-ins. */
void session_shutdown(void);
/* Sets the session cookie to sid for max_age seconds (0 clears it). */
void session_cookie_header(struct api_call *c, const char *sid, long max_age);
/* {"name", "role", "csrf", "expires_at", "now"} of the call's session ("now": local time, with its offset). */
json_t *session_json(const struct api_call *c, long long expires_ms);

/* Shared by the sign-in (gateway/console_signin.c). */
#define SESSION_DEFAULT_SECONDS (8 * 3600)
bool session_random(char out[65]);
void session_fingerprint(const unsigned char *credential, char out[17]);
char *session_key(struct api *a, const char *sid);
/* verb (GET, DEL) on the store key of session sid; cb gets the answer. */
void session_command(struct api *a, const char *verb, const char *sid, store_cb *cb, void *arg);
void session_unavailable(struct api_call *c);
long session_seconds(const struct api *a);

#endif
