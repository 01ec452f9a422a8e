/*
 * WhatsApp Cloud API (Graph API v23.0): POST {base}/{version}/
 * {phone_number_id}/messages with a Bearer token and a JSON body: free
 * text, or one of the approved templates configured as
 * template.<kind>.<locale> (routing, gateway/route.c, decides which, by the
 * customer service window). Meta's error messages may quote the number, so
 * only the numeric code is kept.
 */
#include "handlers/whatsapp.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "gateway/util/xmalloc.h"
#include "handlers/whatsapp_webhook.h"

#define WHATSAPP_MAX_TEMPLATES 64

struct whatsapp {
	char *messages_url;
	char *auth_header;
	char *app_secret;
	char *verify_token;
	char *default_locale;
	struct provider_template templates[WHATSAPP_MAX_TEMPLATES];
	size_t ntemplates;
};

static void *whatsapp_create(const struct provider_settings *s, char *err, size_t errlen);
static void whatsapp_destroy(void *ctx);
static int whatsapp_build_request(
    const void *ctx, const struct provider_message *m, struct provider_request *req, char *error, size_t errorlen);
static void whatsapp_classify(const void *ctx, const struct provider_answer *a, struct provider_result *out);
static enum provider_webhook_result whatsapp_webhook(const void *ctx, const struct provider_webhook_request *wr,
    struct provider_events *ev, char *error, size_t errorlen);
static int whatsapp_template_parse(
    struct provider_template *t, const char *key, const char *value, char *err, size_t errlen);
static const struct provider_template *whatsapp_template_find(const void *ctx, const char *kind, const char *locale);
static const char *whatsapp_template_default_locale(const void *ctx);
static void whatsapp_template_free(struct provider_template *t);
static char *whatsapp_param_text(const char *s);
static void whatsapp_secret_free(char *s);

static const struct provider_key whatsapp_keys[] = {
	{ "base_url", false, false },
	{ "rate", false, false }, /* messages per second across the gateway processes (gateway/), 0 for none */
	{ "receipts", false, false }, /* yes (default) or no: whether delivery receipts come (gateway/, the reach counts) */
	{ "tier", false, false }, /* unique people per rolling 24 h for business-initiated messages */
	{ "api_version", false, false },
	{ "phone_number_id", false, false },
	{ "token", true, false },
	{ "app_secret", true, false },
	{ "verify_token", true, false },
	{ "default_locale", false, false },
	{ "template.", false, true },
	{ NULL, false, false },
};

const struct provider_ops whatsapp_ops = {
	.name = "whatsapp",
	.channel = CHANNEL_WHATSAPP,
	.keys = whatsapp_keys,
	.create = whatsapp_create,
	.destroy = whatsapp_destroy,
	.build_request = whatsapp_build_request,
	.classify = whatsapp_classify,
	.webhook = whatsapp_webhook,
	.template_find = whatsapp_template_find,
	.template_default_locale = whatsapp_template_default_locale,
};

static const char whatsapp_json_header[] = "Content-Type: application/json";

bool
whatsapp_code_retryable(long code)
{
	switch (code) {
	case 1:      /* API unknown: a temporary fault on Meta's side */
	case 2:      /* API service: temporarily unavailable */
	case 4:      /* API too many calls */
	case 80007:  /* rate limit issues on the business account */
	case 130429: /* rate limit hit: Cloud API throughput */
	case 131000: /* something went wrong */
	case 131016: /* service unavailable */
	case 131048: /* spam rate limit hit */
	case 131056: /* pair rate limit hit: too many messages to one number */
	case 133004: /* server temporarily unavailable */
		return true;
	default:
		return false;
	}
}

bool
whatsapp_code_fallback(long code)
{
	switch (code) {
	case 131026: /* message undeliverable: e.g. the number is not on WhatsApp */
	case 131047: /* re-engagement message: the window is closed after all */
	case 132001: /* template does not exist in this language */
		return true;
	default:
		return false;
	}
}

static void
whatsapp_secret_free(char *s)
{
	if (s == NULL)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}

/* template.<kind>.<locale> = <name> <language> [param ...] */
static int
whatsapp_template_parse(struct provider_template *t, const char *key, const char *value, char *err, size_t errlen)
{
	const char *rest = key + strlen("template."), *dot = strchr(rest, '.');
	char *copy, *tok, *save = NULL;
	int rc = -1;

	memset(t, 0, sizeof *t);
	if (dot == NULL || dot == rest || dot[1] == '\0') {
		snprintf(err, errlen, "%s: the key must be template.<kind>.<locale>", key);
		return -1;
	}
	t->kind = xstrndup(rest, (size_t)(dot - rest));
	t->locale = xstrdup(dot + 1);
	copy = xstrdup(value);
	for (tok = strtok_r(copy, " \t", &save); tok != NULL; tok = strtok_r(NULL, " \t", &save)) {
		if (t->name == NULL)
			t->name = xstrdup(tok);
		else if (t->language == NULL)
			t->language = xstrdup(tok);
		else if (t->nparams == PROVIDER_TEMPLATE_MAX_PARAMS) {
			snprintf(err, errlen, "%s: more than %d parameters", key, PROVIDER_TEMPLATE_MAX_PARAMS);
			goto out;
		} else
			t->params[t->nparams++] = xstrdup(tok);
	}
	if (t->language == NULL) {
		snprintf(err, errlen, "%s: the value must be '<template name> <language code> [parameter ...]'", key);
		goto out;
	}
	rc = 0;
out:
	free(copy);
	return rc;
}

static void
whatsapp_template_free(struct provider_template *t)
{
	free(t->kind);
	free(t->locale);
	free(t->name);
	free(t->language);
	for (size_t i = 0; i < t->nparams; i++)
		free(t->params[i]);
}

static void *
whatsapp_create(const struct provider_settings *s, char *err, size_t errlen)
{
	const char *base = provider_settings_get(s, "base_url"), *ver = provider_settings_get(s, "api_version");
	const char *pnid = provider_settings_get(s, "phone_number_id"), *token = provider_settings_get(s, "token");
	const char *secret = provider_settings_get(s, "app_secret");
	const char *verify = provider_settings_get(s, "verify_token");
	const char *loc = provider_settings_get(s, "default_locale");
	struct whatsapp *w;
	size_t len;
	char *b;

	if (base == NULL)
		base = "https://graph.facebook.com";
	if (ver == NULL)
		ver = "v23.0";
	if (strncmp(base, "http://", 7) != 0 && strncmp(base, "https://", 8) != 0) {
		snprintf(err, errlen, "base_url must be an http:// or https:// URL");
		return NULL;
	}
	if (pnid == NULL || *pnid == '\0' || strspn(pnid, "0123456789") != strlen(pnid)) {
		snprintf(err, errlen, "phone_number_id must be the numeric id of the sending number");
		return NULL;
	}
	if (token == NULL || *token == '\0') {
		snprintf(err, errlen, "needs token (or AMUDDU_WHATSAPP_TOKEN)");
		return NULL;
	}
	if (secret == NULL || *secret == '\0' || verify == NULL || *verify == '\0') {
		snprintf(err, errlen,
		    "needs app_secret and verify_token for the webhook (or AMUDDU_WHATSAPP_APP_SECRET, "
		    "AMUDDU_WHATSAPP_VERIFY_TOKEN)");
		return NULL;
	}
	if (ver[0] != 'v' || strchr(ver, '/') != NULL) {
		snprintf(err, errlen, "api_version must look like v23.0");
		return NULL;
	}
	w = xcalloc(1, sizeof *w);
	b = xstrdup(base);
	len = strlen(b);
	while (len > 0 && b[len - 1] == '/')
		b[--len] = '\0';
	w->messages_url = xasprintf("%s/%s/%s/messages", b, ver, pnid);
	free(b);
	w->auth_header = xasprintf("Authorization: Bearer %s", token);
	w->app_secret = xstrdup(secret);
	w->verify_token = xstrdup(verify);
	w->default_locale = xstrdup(loc != NULL && *loc != '\0' ? loc : "fr");
	for (size_t i = 0; i < s->n; i++) {
		if (strncmp(s->v[i].key, "template.", 9) != 0)
			continue;
		if (w->ntemplates == WHATSAPP_MAX_TEMPLATES) {
			snprintf(err, errlen, "more than %d templates", WHATSAPP_MAX_TEMPLATES);
			goto fail;
		}
		if (whatsapp_template_parse(&w->templates[w->ntemplates], s->v[i].key, s->v[i].value, err, errlen) !=
		    0) {
			whatsapp_template_free(&w->templates[w->ntemplates]);
			goto fail;
		}
		w->ntemplates++;
	}
	return w;
fail:
	whatsapp_destroy(w);
	return NULL;
}

static void
whatsapp_destroy(void *ctx)
{
	struct whatsapp *w = ctx;

	if (w == NULL)
		return;
	free(w->messages_url);
	whatsapp_secret_free(w->auth_header);
	whatsapp_secret_free(w->app_secret);
	whatsapp_secret_free(w->verify_token);
	free(w->default_locale);
	for (size_t i = 0; i < w->ntemplates; i++)
		whatsapp_template_free(&w->templates[i]);
	free(w);
}

static const struct provider_template *
whatsapp_template_find(const void *ctx, const char *kind, const char *locale)
{
	const struct whatsapp *w = ctx;

	for (size_t i = 0; i < w->ntemplates; i++)
		if (strcmp(w->templates[i].kind, kind) == 0 && strcasecmp(w->templates[i].locale, locale) == 0)
			return &w->templates[i];
	return NULL;
}

static const char *
whatsapp_template_default_locale(const void *ctx)
{
	const struct whatsapp *w = ctx;

	return w->default_locale;
}

/*
 * Template parameters may not hold new lines, tabs or more than four
 * spaces in a row (Meta error 132018): those become single spaces.
 */
static char *
whatsapp_param_text(const char *s)
{
	char *out = xmalloc(strlen(s) + 1), *o = out;
	bool space = false;

	for (; *s != '\0'; s++) {
		if (*s == '\n' || *s == '\r' || *s == '\t' || *s == ' ') {
			space = true;
			continue;
		}
		if (space && o != out)
			*o++ = ' ';
		space = false;
		*o++ = *s;
	}
	*o = '\0';
	return out;
}

static int
whatsapp_build_request(
    const void *ctx, const struct provider_message *m, struct provider_request *req, char *error, size_t errorlen)
{
	const struct whatsapp *w = ctx;
	const struct provider_template *t = m->template;
	json_t *root = NULL, *vars = NULL;
	char *dump = NULL;
	bool vars_bad = false;
	int rc = PROVIDER_BUILD_ERROR;

	/* Meta takes the number in international form; its examples give it without the plus. */
	root = json_pack("{s:s, s:s, s:s}", "messaging_product", "whatsapp", "recipient_type", "individual", "to",
	    m->to[0] == '+' ? m->to + 1 : m->to);
	if (t == NULL) {
		json_object_set_new(root, "type", json_string("text"));
		json_object_set_new(root, "text", json_pack("{s:b, s:s}", "preview_url", 0, "body", m->text));
		req->mode = "text";
	} else {
		json_t *tpl = json_pack(
		    "{s:s, s:{s:s, s:s}}", "name", t->name, "language", "policy", "deterministic", "code", t->language);
		json_t *params = json_array();

		if (t->nparams > 0 && m->vars != NULL && *m->vars != '\0') {
			json_error_t jerr;

			vars = json_loads(m->vars, 0, &jerr);
			if (vars == NULL || !json_is_object(vars)) {
				json_decref(vars);
				vars = NULL;
				vars_bad = true;
			}
		}
		for (size_t i = 0; i < t->nparams; i++) {
			const char *v = NULL;
			char num[32];
			json_t *jv = NULL;
			char *clean;

			if (strcmp(t->params[i], "text") == 0)
				v = m->text;
			else if (vars != NULL && (jv = json_object_get(vars, t->params[i])) != NULL) {
				if (json_is_string(jv))
					v = json_string_value(jv);
				else if (json_is_integer(jv)) {
					snprintf(num, sizeof num, "%lld", (long long)json_integer_value(jv));
					v = num;
				}
			}
			if (v == NULL) {
				/* Say what is wrong with vars: an operator would otherwise look for a missing name. */
				if (vars_bad)
					snprintf(error, errorlen,
					    "template %s needs the variable '%s', but vars is not a JSON object",
					    t->name, t->params[i]);
				else if (jv != NULL)
					snprintf(error, errorlen,
					    "template %s: variable '%s' must be a string or a whole number", t->name,
					    t->params[i]);
				else
					snprintf(error, errorlen, "template %s needs the variable '%s' in vars",
					    t->name, t->params[i]);
				json_decref(tpl);
				json_decref(params);
				goto out;
			}
			clean = whatsapp_param_text(v);
			if (clean[0] == '\0') {
				snprintf(error, errorlen, "template %s: variable '%s' is empty", t->name, t->params[i]);
				free(clean);
				json_decref(tpl);
				json_decref(params);
				goto out;
			}
			json_array_append_new(params, json_pack("{s:s, s:s}", "type", "text", "text", clean));
			free(clean);
		}
		if (json_array_size(params) > 0)
			json_object_set_new(
			    tpl, "components", json_pack("[{s:s, s:o}]", "type", "body", "parameters", params));
		else
			json_decref(params);
		json_object_set_new(root, "type", json_string("template"));
		json_object_set_new(root, "template", tpl);
		req->mode = "template";
	}
	dump = json_dumps(root, JSON_COMPACT);
	if (dump == NULL) {
		snprintf(error, errorlen, "whatsapp: cannot encode the request");
		goto out;
	}
	buf_puts(&req->body, dump);
	req->url = w->messages_url;
	req->headers[0] = w->auth_header;
	req->headers[1] = whatsapp_json_header;
	req->nheaders = 2;
	rc = 0;
out:
	free(dump);
	json_decref(vars);
	json_decref(root);
	return rc;
}

static void
whatsapp_classify(const void *ctx, const struct provider_answer *a, struct provider_result *out)
{
	json_t *root = NULL, *e, *id;
	json_error_t jerr;
	long code = 0, subcode = 0;

	(void)ctx;
	if (provider_classify_transport(a, out, (long long)time(NULL))) {
		/* A 429 or 5xx still says which limit was hit. */
		if (a->body_len > 0 && (root = json_loadb(a->body, a->body_len, 0, &jerr)) != NULL &&
		    (e = json_object_get(root, "error")) != NULL && json_is_integer(json_object_get(e, "code")))
			snprintf(out->error, sizeof out->error, "whatsapp %lld: http %ld",
			    (long long)json_integer_value(json_object_get(e, "code")), a->status);
		json_decref(root);
		return;
	}
	root = a->body_len > 0 ? json_loadb(a->body, a->body_len, 0, &jerr) : NULL;
	if (a->status >= 200 && a->status < 300) {
		id = json_object_get(json_array_get(json_object_get(root, "messages"), 0), "id");
		if (!json_is_string(id) || json_string_length(id) < 3) {
			/* The outcome is unknown: resending is the at-least-once choice. */
			out->verdict = PROVIDER_RETRY;
			snprintf(out->error, sizeof out->error, "http %ld: answer without a message id", a->status);
		} else {
			out->verdict = PROVIDER_ACCEPTED;
			domain_provider_id(out->provider_id, json_string_value(id), json_string_length(id));
		}
		json_decref(root);
		return;
	}
	e = json_object_get(root, "error");
	if (json_is_integer(json_object_get(e, "code")))
		code = (long)json_integer_value(json_object_get(e, "code"));
	if (json_is_integer(json_object_get(e, "error_subcode")))
		subcode = (long)json_integer_value(json_object_get(e, "error_subcode"));
	json_decref(root);
	if (code == WHATSAPP_CODE_MARKETING_LIMIT) {
		/*
		 * Meta held a marketing template back for this person's sake
		 * ("Per-user marketing template message limits"): not before a
		 * day has passed, Meta says, or it fails again.
		 */
		out->verdict = PROVIDER_RETRY;
		out->retry_after_ms = WHATSAPP_MARKETING_RETRY_MS;
		snprintf(out->error, sizeof out->error,
		    "whatsapp %ld: http %ld: per-person marketing limit, retried in a day", code, a->status);
		return;
	}
	if (code == WHATSAPP_CODE_MARKETING_STOPPED) {
		/* The person stopped marketing messages from us: never again, and it goes on their record. */
		out->verdict = PROVIDER_PERMANENT;
		out->optout = true;
		snprintf(out->error, sizeof out->error, "whatsapp %ld: http %ld: the person stopped marketing messages",
		    code, a->status);
		return;
	}
	if (whatsapp_code_retryable(code)) {
		out->verdict = PROVIDER_RETRY;
		snprintf(
		    out->error, sizeof out->error, "whatsapp %ld: http %ld: throttled or unavailable", code, a->status);
		return;
	}
	/*
	 * Code 100 with subcode 33 names an object that does not exist: here
	 * the phone_number_id in the URL, which is configuration too.
	 */
	if (a->status == 401 || a->status == 403 || code == 190 || code == 10 || code == 200 ||
	    (code == 100 && subcode == 33)) {
		/* The token or its permissions: configuration, not the message's fault. */
		out->verdict = PROVIDER_RETRY;
		snprintf(out->error, sizeof out->error, "whatsapp %ld: http %ld: token or permission refused", code,
		    a->status);
		return;
	}
	out->verdict = PROVIDER_PERMANENT;
	out->fallback = whatsapp_code_fallback(code);
	if (code != 0)
		snprintf(out->error, sizeof out->error, "whatsapp %ld: http %ld", code, a->status);
	else
		snprintf(out->error, sizeof out->error, "http %ld: rejected", a->status);
}

static enum provider_webhook_result
whatsapp_webhook(const void *ctx, const struct provider_webhook_request *wr, struct provider_events *ev, char *error,
    size_t errorlen)
{
	const struct whatsapp *w = ctx;

	return whatsapp_webhook_parse(w->app_secret, w->verify_token, wr, ev, error, errorlen);
}
