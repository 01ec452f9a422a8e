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

#include "gateway/config_api.h"

#define API_MAX_PARAMS 2

struct api_call {
	struct api *api;
	struct evhttp_request *req;
	const struct config_api_token *token; /* who (never NULL once routed) */
	char params[API_MAX_PARAMS][128];     /* the path's {…} segments, percent-decoded */
	size_t nparams;
};

/* Answers with code and {"error": {"code": ecode, "message": …, "field": field or null}}. */
void api_error(struct api_call *c, int code, const char *ecode, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* Answers with code and body (its reference is taken). */
void api_reply(struct api_call *c, int code, json_t *body);
/*
 * The request's JSON object body: NULL once an error is answered (415 for
 * another content type, 400 for malformed JSON or not an object).
 */
json_t *api_body_json(struct api_call *c);

/* Resource handlers (api_segments.c, …). */
void api_segments_post(struct api_call *c);

#endif
