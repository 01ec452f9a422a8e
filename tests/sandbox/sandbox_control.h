/*
 * The sandbox's own endpoints under /sandbox/: GET stats, POST reset, GET
 * or POST config (fault, callback and WhatsApp settings at runtime), and
 * POST inbound (sandbox_inbound.c). They are not provider traffic, so
 * nothing here is counted in the stats. Owns nothing.
 */
#ifndef AMUDDU_SANDBOX_CONTROL_H
#define AMUDDU_SANDBOX_CONTROL_H

struct evhttp_request;
struct sandbox;

/* Answers req, whose path starts with /sandbox/. */
void sandbox_control_handle(struct sandbox *sb, struct evhttp_request *req, const char *path);

#endif
