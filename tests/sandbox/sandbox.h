/*
 * The sandbox provider's shared state: one struct sandbox, owned by main(),
 * that every endpoint reaches its counters, faults, record file and reply
 * machinery through. Endpoints live in sandbox_twilio.c,
 * sandbox_whatsapp.c, sandbox_control.c and sandbox_inbound.c; callbacks
 * to the gateway go out through sandbox_callback.c.
 */
#ifndef AMUDDU_SANDBOX_H
#define AMUDDU_SANDBOX_H

#include <stdint.h>

#include "sandbox_form.h"

struct event_base;
struct evhttp;
struct evhttp_request;
struct sandbox_callback;
struct sandbox_fault;
struct sandbox_record;
struct sandbox_reply;
struct sandbox_stats;
struct sandbox_twilio;
struct sandbox_whatsapp;

struct sandbox {
	struct event_base *base;
	struct evhttp *http;
	struct sandbox_stats *stats;
	struct sandbox_fault *fault;
	struct sandbox_record *rec; /* NULL without --record */
	struct sandbox_reply *reply;
	struct sandbox_twilio *twilio;
	struct sandbox_whatsapp *whatsapp;
	struct sandbox_callback *callback;
	struct sandbox_form form; /* scratch for the request being handled */
};

/* Wall-clock time in unix microseconds. */
int64_t sandbox_now_us(void);
/* Adds the Content-Type header for a JSON answer. */
void sandbox_set_json(struct evhttp_request *req);

#endif
