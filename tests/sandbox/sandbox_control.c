/*
 * Control endpoints. A config change is all or nothing: every key is
 * applied to a copy, the copy is checked as a whole, and only then does it
 * replace the running settings, so a bad request leaves them untouched.
 */
#include "sandbox_control.h"

#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>

#include "gateway/util/xmalloc.h"
#include "sandbox.h"
#include "sandbox_callback.h"
#include "sandbox_fault.h"
#include "sandbox_inbound.h"
#include "sandbox_json.h"
#include "sandbox_record.h"
#include "sandbox_reply.h"
#include "sandbox_stats.h"
#include "sandbox_whatsapp.h"

static void sandbox_control_send(struct evhttp_request *req, int code);
static void sandbox_control_error(
    struct evhttp_request *req, int code, const char *what, const char *name, const char *why);
static void sandbox_control_stats(struct sandbox *sb, struct evhttp_request *req);
static void sandbox_control_reset(struct sandbox *sb, struct evhttp_request *req);
static void sandbox_control_config(struct sandbox *sb, struct evhttp_request *req);

static void
sandbox_control_send(struct evhttp_request *req, int code)
{
	sandbox_set_json(req);
	evhttp_send_reply(req, code, sandbox_reply_reason(code), NULL);
}

/* {"ok":false,"error":"<what> '<name>': <why>"}; name may be NULL. */
static void
sandbox_control_error(struct evhttp_request *req, int code, const char *what, const char *name, const char *why)
{
	struct evbuffer *out = evhttp_request_get_output_buffer(req);
	struct evbuffer *text = evbuffer_new();

	if (text == NULL) {
		evhttp_send_error(req, 500, NULL);
		return;
	}
	if (name != NULL) {
		evbuffer_add_printf(text, "%s '", what);
		evbuffer_add(text, name, strlen(name));
		evbuffer_add_printf(text, "': %s", why);
	} else
		evbuffer_add_printf(text, "%s: %s", what, why);
	evbuffer_add(out, "{\"ok\":false,\"error\":", 20);
	sandbox_json_add_string(out, (const char *)evbuffer_pullup(text, -1), evbuffer_get_length(text));
	evbuffer_add(out, "}\n", 2);
	evbuffer_free(text);
	sandbox_control_send(req, code);
}

static void
sandbox_control_stats(struct sandbox *sb, struct evhttp_request *req)
{
	if (evhttp_request_get_command(req) != EVHTTP_REQ_GET) {
		sandbox_control_error(req, 405, "method", NULL, "use GET");
		return;
	}
	/* A test reads the record file right after asking for stats. */
	if (sb->rec != NULL && sandbox_record_flush(sb->rec) == -1) {
		sandbox_control_error(req, 500, "record file", NULL, "cannot write it");
		return;
	}
	sandbox_stats_write_json(sb->stats, evhttp_request_get_output_buffer(req));
	sandbox_control_send(req, 200);
}

static void
sandbox_control_reset(struct sandbox *sb, struct evhttp_request *req)
{
	if (evhttp_request_get_command(req) != EVHTTP_REQ_POST) {
		sandbox_control_error(req, 405, "method", NULL, "use POST");
		return;
	}
	sandbox_stats_reset(sb->stats);
	sandbox_fault_reset(sb->fault);
	evbuffer_add(evhttp_request_get_output_buffer(req), "{\"ok\":true}\n", 12);
	sandbox_control_send(req, 200);
}

static void
sandbox_control_config(struct sandbox *sb, struct evhttp_request *req)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	struct evbuffer *out = evhttp_request_get_output_buffer(req);
	size_t len = evbuffer_get_length(in);
	struct sandbox_fault_config config;
	struct sandbox_callback_config *cb_config;
	struct sandbox_whatsapp_config wa_config;
	const char *why;

	if (evhttp_request_get_command(req) == EVHTTP_REQ_GET) {
		struct evbuffer *fault = evbuffer_new();

		if (fault == NULL) {
			sandbox_control_error(req, 500, "config", NULL, "out of memory");
			return;
		}
		/* The fault object without its closing brace, then the other settings. */
		sandbox_fault_config_write_json(sandbox_fault_get_config(sb->fault), fault);
		evbuffer_add(out, evbuffer_pullup(fault, -1), evbuffer_get_length(fault) - 1);
		evbuffer_free(fault);
		sandbox_callback_config_write_json(sandbox_callback_get_config(sb->callback), out);
		sandbox_whatsapp_config_write_json(sandbox_whatsapp_get_config(sb->whatsapp), out);
		evbuffer_add(out, "}\n", 2);
		sandbox_control_send(req, 200);
		return;
	}
	if (evhttp_request_get_command(req) != EVHTTP_REQ_POST) {
		sandbox_control_error(req, 405, "method", NULL, "use GET or POST");
		return;
	}
	if (sandbox_form_parse(&sb->form, len > 0 ? (const char *)evbuffer_pullup(in, -1) : "", len) == -1) {
		sandbox_control_error(req, 400, "form", NULL, "too many fields");
		return;
	}
	config = *sandbox_fault_get_config(sb->fault);
	cb_config = xmalloc(sizeof *cb_config); /* some kilobytes: not for the stack */
	*cb_config = *sandbox_callback_get_config(sb->callback);
	wa_config = *sandbox_whatsapp_get_config(sb->whatsapp);
	for (size_t i = 0; i < sb->form.nfields; i++) {
		const struct sandbox_form_field *f = &sb->form.fields[i];
		int set;

		if ((set = sandbox_callback_config_set(cb_config, f->name, f->value, &why)) == 1 &&
		    (set = sandbox_whatsapp_config_set(&wa_config, f->name, f->value, &why)) == 1)
			set = sandbox_fault_config_set(&config, f->name, f->value, &why);
		if (set != 0) {
			sandbox_control_error(req, 400, "key", f->name, why);
			free(cb_config);
			return;
		}
	}
	if (sandbox_fault_config_check(&config, &why) == -1) {
		sandbox_control_error(req, 400, "config", NULL, why);
		free(cb_config);
		return;
	}
	sandbox_fault_set_config(sb->fault, &config);
	sandbox_callback_set_config(sb->callback, cb_config);
	sandbox_whatsapp_set_config(sb->whatsapp, &wa_config);
	free(cb_config);
	evbuffer_add(out, "{\"ok\":true}\n", 12);
	sandbox_control_send(req, 200);
}

void
sandbox_control_handle(struct sandbox *sb, struct evhttp_request *req, const char *path)
{
	if (strcmp(path, "/sandbox/stats") == 0)
		sandbox_control_stats(sb, req);
	else if (strcmp(path, "/sandbox/reset") == 0)
		sandbox_control_reset(sb, req);
	else if (strcmp(path, "/sandbox/config") == 0)
		sandbox_control_config(sb, req);
	else if (strcmp(path, "/sandbox/inbound") == 0)
		sandbox_inbound_handle(sb, req);
	else
		sandbox_control_error(req, 404, "path", path, "no such control endpoint");
}
