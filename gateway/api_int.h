/*
 * What the /v1 API's resource files share: one call (the request, who
 * made it, the path's parameters) and the ways to answer it. Each
 * resource file exports its handlers here; gateway/api.c routes to them.
 */
#ifndef AMUDDU_API_INT_H
#define AMUDDU_API_INT_H

#include <event2/http.h>
#include <jansson.h>
#include <stddef.h>

#include "gateway/api.h"
#include "gateway/config_api.h"
#include "gateway/config_reach.h"
#include "gateway/util/phone.h"
#include "queues/store.h"

#define API_MAX_PARAMS 2

struct api {
	const struct config_api *tokens;
	struct store *store;
	struct phone_key *pk;
	char *country, *fallback;
	struct api_estimates est;
	const struct catalog *catalog;
	const struct config_reach *reach; /* [reach], [dhis2] */
	char noreceipt[256];              /* providers without delivery receipts ("" for none) */
	struct console *console;          /* the web console's files, or NULL */
	struct metrics *metrics;          /* the gateway's, or NULL */
};

struct api_call {
	struct api *api;
	struct evhttp_request *req;
	const struct config_api_token *token; /* who (never NULL once routed) */
	char params[API_MAX_PARAMS][128];     /* the path's {…} segments, percent-decoded */
	size_t nparams;
	char *idem_key; /* the store key of the call's Idempotency-Key, or NULL */
	bool created;   /* answer 201: the call made what it answers with */
	/* A call authenticated by a console session: who (c->token points here), its CSRF token and end. */
	struct config_api_token who;
	char csrf[65];
	long long expires;
	char *path; /* the path, kept while the session is looked up */
};

/* Answers with code and {"error": {"code": ecode, "message": …, "field": field or null}}. */
void api_error(struct api_call *c, int code, const char *ecode, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/*
 * Answers with code and body (its reference is taken), and frees c. A
 * call with an Idempotency-Key keeps its answer for a day, for a repeat.
 */
void api_reply(struct api_call *c, int code, json_t *body);
/* Answers with code and body (taken: drained), its headers set by the caller, and frees c. */
void api_send(struct api_call *c, int code, struct evbuffer *body);
/*
 * Answers a page of a list: {name: list (taken), "next_cursor"}. page is the
 * page script's reply ([id, score, …] each); a full page (limit items) gets
 * the cursor "<score>:<id>" of its last item, a shorter one null.
 */
void api_reply_page(struct api_call *c, const char *name, json_t *list, const json_t *page, size_t limit);
/* Writes who did what to the audit stream (no personal data: ids are pseudonyms). */
void api_audit(struct api_call *c, const char *action, const char *target, const char *detail);
/* The value of query parameter name, or NULL (the caller frees). */
char *api_query(struct api_call *c, const char *name);
/* Characters (code points) in UTF-8 text s. */
size_t api_chars(const char *s);
/* Answers 503 when the store is down; true when it did. */
bool api_store_down(struct api_call *c);
/*
 * The request's JSON object body: NULL once an error is answered (415 for
 * another content type, 400 for malformed JSON or not an object).
 */
json_t *api_body_json(struct api_call *c);

#define API_MESSAGE_ID_MAX 40
/* A new id for a message the API queues: "m" and 16 random hex digits (GET /v1/messages/{id} finds it). */
void api_message_id(char out[API_MESSAGE_ID_MAX]);

/* Routes an authenticated call (c->token set) to its handler: 404, 405, 403 or the handler's answer. */
void api_route(struct api_call *c, const char *path);

/* Resource handlers (api_segments.c, api_contacts*.c, …). */
void api_segments_post(struct api_call *c);
void api_contacts_import(struct api_call *c);
void api_contacts_list(struct api_call *c);
void api_contacts_show(struct api_call *c);
void api_contacts_update(struct api_call *c);
void api_contacts_delete(struct api_call *c);
void api_contacts_export(struct api_call *c);
void api_campaigns_create(struct api_call *c);
void api_campaigns_list(struct api_call *c);
void api_campaigns_show(struct api_call *c);
void api_campaigns_action(struct api_call *c);
void api_campaigns_preview(struct api_call *c);
void api_audiences_preview(struct api_call *c);
void api_messages_send(struct api_call *c);
void api_messages_show(struct api_call *c);
void api_inbox_list(struct api_call *c);
void api_inbox_show(struct api_call *c);
void api_inbox_reply(struct api_call *c);
void api_inbox_close(struct api_call *c);
void api_reach(struct api_call *c);
void api_reach_funnel(struct api_call *c);
void api_reach_verify(struct api_call *c);

#endif
