/*
 * Configuration parsing and validation. Every key is declared once in a
 * table with its type and bounds, so unknown keys, bad numbers and missing
 * values are refused with the line they are on. Secrets may come from the
 * environment (AMUDDU_* variables, see README.md) and are never logged.
 */
#include "gateway/config.h"

#include <errno.h>
#include <ini.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gateway/config_check.h"
#include "gateway/util/xmalloc.h"
#include "gateway/util/zone.h"
#include "handlers/providers.h"

enum config_type { CONFIG_STRING, CONFIG_INT, CONFIG_LONG, CONFIG_LLONG, CONFIG_BOOL, CONFIG_QUIET };

struct config_key {
	const char *section;
	const char *name;
	enum config_type type;
	size_t offset;
	long long min, max;
	const char *env; /* environment variable that overrides the file, or NULL */
};

#define OFF(f) offsetof(struct config, f)
static const struct config_key config_keys[] = {
	{ "redis", "url", CONFIG_STRING, OFF(redis_url), 0, 0, "AMUDDU_REDIS_URL" },
	{ "redis", "prefix", CONFIG_STRING, OFF(prefix), 0, 0, NULL },
	{ "redis", "log_maxlen", CONFIG_LLONG, OFF(log_maxlen), 0, 1000000000000LL, NULL },
	{ "http", "listen", CONFIG_STRING, OFF(http_listen), 0, 0, NULL },
	{ "http", "public_url", CONFIG_STRING, OFF(http_public_url), 0, 0, NULL },
	{ "http", "max_body_bytes", CONFIG_LONG, OFF(http_max_body_bytes), 256, 64L * 1024 * 1024, NULL },
	{ "http", "max_connections", CONFIG_INT, OFF(http_max_connections), 1, 100000, NULL },
	{ "http", "request_timeout_ms", CONFIG_LONG, OFF(http_request_timeout_ms), 100, 600000, NULL },
	{ "http", "import_max_bytes", CONFIG_LONG, OFF(http_import_max_bytes), 0, 1024L * 1024 * 1024, NULL },
	{ "http", "import_connections", CONFIG_INT, OFF(http_import_connections), 0, 64, NULL },
	{ "http", "import_timeout_ms", CONFIG_LONG, OFF(http_import_timeout_ms), 1000, 3600000, NULL },
	{ "gateway", "sms_provider", CONFIG_STRING, OFF(sms_provider), 0, 0, NULL },
	{ "gateway", "max_inflight", CONFIG_INT, OFF(max_inflight), 1, 100000, NULL },
	{ "gateway", "consumer", CONFIG_STRING, OFF(consumer), 0, 0, NULL },
	{ "gateway", "group", CONFIG_STRING, OFF(group), 0, 0, NULL },
	{ "gateway", "max_attempts", CONFIG_INT, OFF(max_attempts), 1, 1000, NULL },
	{ "gateway", "claim_idle_ms", CONFIG_LONG, OFF(claim_idle_ms), 100, 86400000, NULL },
	{ "gateway", "retry_base_ms", CONFIG_LONG, OFF(retry_base_ms), 1, 86400000, NULL },
	{ "gateway", "retry_max_ms", CONFIG_LONG, OFF(retry_max_ms), 1, 604800000, NULL },
	{ "gateway", "connect_timeout_ms", CONFIG_LONG, OFF(connect_timeout_ms), 1, 600000, NULL },
	{ "gateway", "request_timeout_ms", CONFIG_LONG, OFF(request_timeout_ms), 1, 600000, NULL },
	{ "gateway", "shutdown_timeout_ms", CONFIG_LONG, OFF(shutdown_timeout_ms), 0, 600000, NULL },
	{ "gateway", "message_ttl_s", CONFIG_LONG, OFF(msg_ttl_s), 60, 315360000, NULL },
	{ "gateway", "max_connections", CONFIG_INT, OFF(max_connections), 0, 100000, NULL },
	{ "gateway", "log_level", CONFIG_STRING, OFF(log_level), 0, 0, NULL },
	{ "gateway", "pseudonym_key", CONFIG_STRING, OFF(pseudonym_key), 0, 0, "AMUDDU_PSEUDONYM_KEY" },
	{ "gateway", "quiet_hours", CONFIG_QUIET, OFF(quiet_hours), 0, 0, NULL },
	{ "time", "zone", CONFIG_STRING, OFF(time_zone), 0, 0, NULL },
	{ "contacts", "default_country", CONFIG_STRING, OFF(default_country), 0, 0, NULL },
	{ "gateway", "require_consent", CONFIG_BOOL, OFF(require_consent), 0, 0, NULL },
	{ "locales", "fallback", CONFIG_STRING, OFF(locale_fallback), 0, 0, NULL },
	{ "locales", "dir", CONFIG_STRING, OFF(locales_dir), 0, 0, NULL },
	{ "prices", "sms_segment", CONFIG_STRING, OFF(price_sms_segment), 0, 0, NULL },
	{ "prices", "whatsapp_marketing", CONFIG_STRING, OFF(price_wa_marketing), 0, 0, NULL },
	{ "prices", "whatsapp_utility", CONFIG_STRING, OFF(price_wa_utility), 0, 0, NULL },
	{ "prices", "currency", CONFIG_STRING, OFF(price_currency), 0, 0, NULL },
	{ "time", "allow_stale_tzdata", CONFIG_BOOL, OFF(allow_stale_tzdata), 0, 0, NULL },
	{ "replies", "enabled", CONFIG_BOOL, OFF(replies_on), 0, 0, NULL },
	{ "replies", "menu_ttl_s", CONFIG_LONG, OFF(menu_ttl_s), 10, 30L * 86400, NULL },
	{ "replies", "max_per_minute", CONFIG_INT, OFF(replies_max_per_minute), 1, 100000, NULL },
	{ "replies", "mute_s", CONFIG_LONG, OFF(replies_mute_s), 1, 30L * 86400, NULL },
	{ "replies", "text_max_bytes", CONFIG_LONG, OFF(inbound_text_max), 160, 65536, NULL },
	{ "replies", "link.training", CONFIG_STRING, OFF(reply_links[0]), 0, 0, NULL },
	{ "replies", "link.employment", CONFIG_STRING, OFF(reply_links[1]), 0, 0, NULL },
	{ "replies", "link.residency", CONFIG_STRING, OFF(reply_links[2]), 0, 0, NULL },
	{ "replies", "link.covid", CONFIG_STRING, OFF(reply_links[3]), 0, 0, NULL },
	{ "replies", "tags.training", CONFIG_STRING, OFF(reply_tags[0]), 0, 0, NULL },
	{ "replies", "tags.employment", CONFIG_STRING, OFF(reply_tags[1]), 0, 0, NULL },
	{ "replies", "tags.residency", CONFIG_STRING, OFF(reply_tags[2]), 0, 0, NULL },
	{ "replies", "tags.covid", CONFIG_STRING, OFF(reply_tags[3]), 0, 0, NULL },
	{ "replies", "agent_hours", CONFIG_QUIET, OFF(agent_hours), 0, 0, NULL },
	{ "replies", "agent_days", CONFIG_STRING, OFF(agent_days), 0, 0, NULL },
};
#undef OFF

struct config_parse {
	struct config *c;
	const char *name;
	FILE *file;       /* read from file, or */
	const char *text; /* from text */
	int lineno;       /* the line the reader returned last */
	int fail_line;    /* the line of the first error the handler or reader saw */
	char *err;
	size_t errlen;
	bool failed;
};

static int config_handler(void *user, const char *section, const char *name, const char *value);
static char *config_reader(char *line, int size, void *stream);
static int config_set(struct config *c, const struct config_key *k, const char *value, char *why, size_t whylen);
static struct config *config_new_defaults(void);
static struct config *config_load_common(FILE *f, const char *text, const char *name, char *err, size_t errlen);
static int config_finish(struct config *c, const char *name, char *err, size_t errlen);
static char **config_string_at(struct config *c, size_t offset);
static int config_provider_set(
    struct config_parse *p, struct config_provider *cp, const char *name, const char *value, int lineno);
static void config_provider_put(struct config_provider *cp, const char *key, const char *value);
static int config_providers_finish(struct config *c, const char *name, char *err, size_t errlen);
static void config_env_name(char *out, size_t outlen, const char *section, const char *key);

/* The topics' answers' links and the tags choosing them gives (training, employment, residency, covid). */
static const char *const config_reply_links[] = { "https://www.entraide.ma", "https://www.anapec.org", "",
	"https://www.sante.gov.ma" };
static const char *const config_reply_tags[] = { "interest:training referred:entraide",
	"interest:employment referred:anapec", "interest:residency", "interest:covid" };

static char **
config_string_at(struct config *c, size_t offset)
{
	return (char **)(void *)((char *)c + offset);
}

static struct config *
config_new_defaults(void)
{
	struct config *c = xcalloc(1, sizeof *c);
	char host[256];

	c->redis_url = xstrdup("redis://127.0.0.1:6379/0");
	c->prefix = xstrdup("amuddu:");
	c->http_listen = xstrdup("127.0.0.1:8080");
	/*
	 * Providers' webhooks weigh kilobytes: a Twilio callback at most about
	 * 20 kB (a 1,600-character body, percent-encoded), one Meta event a few
	 * kB. Each open connection may hold this much, so the two below bound
	 * the server's memory: 256 x (64 KiB + 32 KiB of headers and reads) is
	 * about 24 MiB.
	 */
	c->http_max_body_bytes = 64L * 1024;
	c->http_import_max_bytes = 8L * 1024 * 1024;
	c->http_import_connections = 2;
	c->http_import_timeout_ms = 300000;
	c->http_max_connections = 256;
	c->http_request_timeout_ms = 10000;
	c->sms_provider = xstrdup("");
	c->nproviders = providers_count;
	c->providers = xcalloc(c->nproviders, sizeof *c->providers);
	for (size_t i = 0; i < c->nproviders; i++)
		c->providers[i].ops = providers_all[i];
	c->max_inflight = 512;
	if (gethostname(host, sizeof host) != 0)
		snprintf(host, sizeof host, "gateway");
	host[sizeof host - 1] = '\0';
	c->consumer = xasprintf("%s-%ld", host, (long)getpid());
	c->group = xstrdup("amuddu-gateway");
	c->max_attempts = 8;
	c->claim_idle_ms = 60000;
	c->retry_base_ms = 2000;
	c->retry_max_ms = 900000;
	c->connect_timeout_ms = 5000;
	c->request_timeout_ms = 20000;
	c->shutdown_timeout_ms = 15000;
	c->msg_ttl_s = 30L * 86400;
	c->max_connections = 64;
	c->log_level = xstrdup("info");
	c->pseudonym_key = xstrdup("");
	/* Campaign messages wait out the night: 21:00 to 08:00, local time. */
	c->quiet_hours = (struct zone_quiet){ .on = true, .start_min = 21 * 60, .end_min = 8 * 60 };
	c->time_zone = xstrdup("Africa/Casablanca");
	c->default_country = xstrdup("MA");
	c->locale_fallback = xstrdup("ary-Latn ary ar fr en");
	c->locales_dir = xstrdup("locales");
	c->price_sms_segment = xstrdup("0");
	c->price_wa_marketing = xstrdup("0");
	c->price_wa_utility = xstrdup("0");
	c->price_currency = xstrdup("MAD");
	c->replies_on = true;
	c->menu_ttl_s = 1800;
	c->replies_max_per_minute = 10;
	c->replies_mute_s = 900;
	c->inbound_text_max = 4096;
	for (size_t i = 0; i < 4; i++) {
		c->reply_links[i] = xstrdup(config_reply_links[i]);
		c->reply_tags[i] = xstrdup(config_reply_tags[i]);
	}
	c->agent_hours = (struct zone_quiet){ .on = true, .start_min = 9 * 60, .end_min = 17 * 60 };
	c->agent_days = xstrdup("mon-fri");
	return c;
}

static int
config_set(struct config *c, const struct config_key *k, const char *value, char *why, size_t whylen)
{
	char *end;
	long long v;

	if (k->type == CONFIG_STRING) {
		char **slot = config_string_at(c, k->offset);

		free(*slot);
		*slot = xstrdup(value);
		return 0;
	}
	if (k->type == CONFIG_QUIET)
		return zone_quiet_parse(value, (struct zone_quiet *)(void *)((char *)c + k->offset), why, whylen);
	if (k->type == CONFIG_BOOL) {
		bool *b = (bool *)(void *)((char *)c + k->offset);

		if (strcmp(value, "yes") == 0 || strcmp(value, "true") == 0 || strcmp(value, "on") == 0 ||
		    strcmp(value, "1") == 0) {
			*b = true;
		} else if (strcmp(value, "no") == 0 || strcmp(value, "false") == 0 || strcmp(value, "off") == 0 ||
		    strcmp(value, "0") == 0) {
			*b = false;
		} else {
			snprintf(why, whylen, "'%s' is not yes or no", value);
			return -1;
		}
		return 0;
	}
	errno = 0;
	v = strtoll(value, &end, 10);
	if (errno != 0 || end == value || *end != '\0') {
		snprintf(why, whylen, "'%s' is not a whole number", value);
		return -1;
	}
	if (v < k->min || v > k->max) {
		snprintf(why, whylen, "%lld is out of range %lld..%lld", v, k->min, k->max);
		return -1;
	}
	switch (k->type) {
	case CONFIG_INT:
		*(int *)(void *)((char *)c + k->offset) = (int)v;
		break;
	case CONFIG_LONG:
		*(long *)(void *)((char *)c + k->offset) = (long)v;
		break;
	case CONFIG_LLONG:
		*(long long *)(void *)((char *)c + k->offset) = v;
		break;
	case CONFIG_STRING:
	case CONFIG_BOOL:
	case CONFIG_QUIET:
		break;
	}
	return 0;
}

/*
 * Debian's libinih is built without INI_HANDLER_LINENO, so the reader counts
 * lines itself: the handler always runs for the line the reader gave last.
 */
static char *
config_reader(char *line, int size, void *stream)
{
	struct config_parse *p = stream;
	const char *nl;
	size_t n;

	if (p->failed)
		return NULL;
	if (p->file != NULL) {
		if (fgets(line, size, p->file) == NULL)
			return NULL;
		n = strlen(line);
	} else {
		if (*p->text == '\0' || size < 2)
			return NULL;
		nl = strchr(p->text, '\n');
		n = nl != NULL ? (size_t)(nl - p->text) + 1 : strlen(p->text);
		if (n > (size_t)size - 1)
			n = (size_t)size - 1;
		memcpy(line, p->text, n);
		line[n] = '\0';
		p->text += n;
	}
	p->lineno++;
	/* libinih would take the rest of an over-long line as a line of its own. */
	if (n == (size_t)size - 1 && line[n - 1] != '\n' && (p->file != NULL ? !feof(p->file) : *p->text != '\0')) {
		snprintf(p->err, p->errlen, "%s:%d: line longer than %d characters", p->name, p->lineno, size - 2);
		p->failed = true;
		p->fail_line = p->lineno;
		return NULL;
	}
	return line;
}

static int
config_handler(void *user, const char *section, const char *name, const char *value)
{
	struct config_parse *p = user;
	char why[256];
	int lineno = p->lineno;

	if (p->failed)
		return 0;
	for (size_t i = 0; i < p->c->nproviders; i++) {
		struct config_provider *cp = &p->c->providers[i];

		if (strcmp(cp->ops->name, section) != 0)
			continue;
		cp->enabled = true;
		if (name == NULL)
			return 1;
		return config_provider_set(p, cp, name, value, lineno) == 0;
	}
	if (name == NULL) /* a section header alone */
		return 1;
	if (strcmp(section, "reach") == 0 || strcmp(section, "dhis2") == 0) {
		if (config_reach_set(&p->c->reach, section, name, value, why, sizeof why) == 0)
			return 1;
		snprintf(p->err, p->errlen, "%s:%d: [%s] %s", p->name, lineno, section, why);
		p->failed = true;
		p->fail_line = lineno;
		return 0;
	}
	if (strcmp(section, "api") == 0 || strcmp(section, "console") == 0) {
		if ((section[0] == 'a' ? config_api_set : config_console_set)(&p->c->api, name, value, why, sizeof why) == 0)
			return 1;
		snprintf(p->err, p->errlen, "%s:%d: [%s] %s", p->name, lineno, section, why);
		p->failed = true;
		p->fail_line = lineno;
		return 0;
	}
	for (size_t i = 0; i < sizeof config_keys / sizeof config_keys[0]; i++) {
		const struct config_key *k = &config_keys[i];

		if (strcmp(k->section, section) != 0 || strcmp(k->name, name) != 0)
			continue;
		if (config_set(p->c, k, value, why, sizeof why) != 0) {
			snprintf(p->err, p->errlen, "%s:%d: [%s] %s: %s", p->name, lineno, section, name, why);
			p->failed = true;
			p->fail_line = lineno;
			return 0;
		}
		return 1;
	}
	snprintf(p->err, p->errlen, "%s:%d: unknown key '%s' in section [%s]", p->name, lineno, name, section);
	p->failed = true;
	p->fail_line = lineno;
	return 0;
}

static void
config_provider_put(struct config_provider *cp, const char *key, const char *value)
{
	for (size_t i = 0; i < cp->n; i++) {
		if (strcmp(cp->v[i].key, key) == 0) {
			explicit_bzero((char *)cp->v[i].value, strlen(cp->v[i].value));
			free((char *)cp->v[i].value);
			cp->v[i].value = xstrdup(value);
			return;
		}
	}
	if (cp->n == cp->cap) {
		cp->cap = cp->cap == 0 ? 8 : cp->cap * 2;
		cp->v = xreallocarray(cp->v, cp->cap, sizeof *cp->v);
	}
	cp->v[cp->n].key = xstrdup(key);
	cp->v[cp->n].value = xstrdup(value);
	cp->n++;
}

static int
config_provider_set(struct config_parse *p, struct config_provider *cp, const char *name, const char *value, int lineno)
{
	if (providers_key(cp->ops, name) == NULL) {
		snprintf(
		    p->err, p->errlen, "%s:%d: unknown key '%s' in section [%s]", p->name, lineno, name, cp->ops->name);
		p->failed = true;
		p->fail_line = lineno;
		return -1;
	}
	config_provider_put(cp, name, value);
	return 0;
}

/* AMUDDU_<SECTION>_<KEY>, upper case. */
static void
config_env_name(char *out, size_t outlen, const char *section, const char *key)
{
	size_t n;

	snprintf(out, outlen, "AMUDDU_%s_%s", section, key);
	for (n = 0; out[n] != '\0'; n++)
		if (out[n] >= 'a' && out[n] <= 'z')
			out[n] = (char)(out[n] - 'a' + 'A');
		else if (out[n] == '.' || out[n] == '-')
			out[n] = '_';
}

/*
 * Secrets from the environment, then each configured provider is built
 * once so that its own checks run now, with the file named, rather than at
 * start-up of the loop.
 */
static int
config_providers_finish(struct config *c, const char *name, char *err, size_t errlen)
{
	char env[96], why[200];
	const char *e;

	for (size_t i = 0; i < c->nproviders; i++) {
		struct config_provider *cp = &c->providers[i];
		struct provider_settings ps;
		void *ctx;

		if (!cp->enabled)
			continue;
		for (const struct provider_key *k = cp->ops->keys; k->name != NULL; k++) {
			if (!k->secret || k->prefix)
				continue;
			config_env_name(env, sizeof env, cp->ops->name, k->name);
			if ((e = getenv(env)) != NULL && *e != '\0')
				config_provider_put(cp, k->name, e);
		}
		if (config_check_provider(cp, name, err, errlen) != 0)
			return -1;
		config_provider_settings(c, cp, &ps);
		why[0] = '\0';
		if ((ctx = cp->ops->create(&ps, why, sizeof why)) == NULL) {
			snprintf(err, errlen, "%s: [%s] %s", name, cp->ops->name, why);
			return -1;
		}
		cp->ops->destroy(ctx);
	}
	return config_check_sms_provider(c, name, err, errlen);
}

/* Environment overrides, then checks that need more than one key. */
static int
config_finish(struct config *c, const char *name, char *err, size_t errlen)
{
	char why[160];
	const char *e;

	for (size_t i = 0; i < sizeof config_keys / sizeof config_keys[0]; i++) {
		const struct config_key *k = &config_keys[i];

		if (k->env == NULL || (e = getenv(k->env)) == NULL || *e == '\0')
			continue;
		if (config_set(c, k, e, why, sizeof why) != 0) {
			snprintf(err, errlen, "environment %s: %s", k->env, why);
			return -1;
		}
	}
	if (c->prefix[0] == '\0' || strchr(c->prefix, ' ') != NULL) {
		snprintf(err, errlen, "%s: [redis] prefix must be non-empty and without spaces", name);
		return -1;
	}
	if (strncmp(c->redis_url, "redis://", 8) != 0 && strncmp(c->redis_url, "unix://", 7) != 0) {
		snprintf(err, errlen, "%s: [redis] url must start with redis:// or unix://", name);
		return -1;
	}
	if (c->consumer[0] == '\0' || c->group[0] == '\0') {
		snprintf(err, errlen, "%s: [gateway] consumer and group must not be empty", name);
		return -1;
	}
	if (config_check_campaigns(c, name, err, errlen) != 0)
		return -1;
	if (c->retry_max_ms < c->retry_base_ms) {
		snprintf(err, errlen, "%s: [gateway] retry_max_ms must be at least retry_base_ms", name);
		return -1;
	}
	/*
	 * An entry whose request is still running must never look abandoned to
	 * another gateway process, or both would send it.
	 */
	if (c->claim_idle_ms <= c->request_timeout_ms + c->connect_timeout_ms) {
		snprintf(err, errlen,
		    "%s: [gateway] claim_idle_ms (%ld) must exceed request_timeout_ms + connect_timeout_ms (%ld)", name,
		    c->claim_idle_ms, c->request_timeout_ms + c->connect_timeout_ms);
		return -1;
	}
	if (strcmp(c->log_level, "debug") != 0 && strcmp(c->log_level, "info") != 0 &&
	    strcmp(c->log_level, "warn") != 0 && strcmp(c->log_level, "error") != 0) {
		snprintf(err, errlen, "%s: [gateway] log_level must be debug, info, warn or error", name);
		return -1;
	}
	if (c->http_public_url == NULL) {
		/* With no HTTP server nothing can be called back: "" asks providers for no callbacks. */
		c->http_public_url =
		    strcmp(c->http_listen, "off") == 0 ? xstrdup("") : xasprintf("http://%s", c->http_listen);
	} else {
		const char *u = c->http_public_url;
		const char *host = strncmp(u, "http://", 7) == 0 ? u + 7
		    : strncmp(u, "https://", 8) == 0             ? u + 8
								 : NULL;

		/* Providers sign and call this URL exactly: a host is needed, and no query or fragment. */
		if (host == NULL || *host == '\0' || *host == '/' || *host == ':' || strpbrk(u, "?# ") != NULL) {
			snprintf(
			    err, errlen, "%s: [http] public_url must be an http:// or https:// URL with a host", name);
			return -1;
		}
	}
	{
		size_t n = strlen(c->http_public_url);

		while (n > 0 && c->http_public_url[n - 1] == '/')
			c->http_public_url[--n] = '\0';
	}
	if (config_providers_finish(c, name, err, errlen) != 0)
		return -1;
	return 0;
}

static struct config *
config_load_common(FILE *f, const char *text, const char *name, char *err, size_t errlen)
{
	struct config_parse p = {
		.c = config_new_defaults(), .name = name, .file = f, .text = text, .err = err, .errlen = errlen
	};
	int rc;

	err[0] = '\0';
	rc = ini_parse_stream(config_reader, &p, config_handler, &p);
	/* libinih returns the first syntax error's line, which may come before the handler's error. */
	if (rc > 0 && (!p.failed || rc < p.fail_line))
		snprintf(err, errlen, "%s:%d: syntax error (expected [section] or key = value)", name, rc);
	if (rc != 0 || p.failed)
		goto fail;
	if (config_finish(p.c, name, err, errlen) != 0)
		goto fail;
	return p.c;
fail:
	config_free(p.c);
	return NULL;
}

struct config *
config_load(const char *path, char *err, size_t errlen)
{
	struct config *c;
	FILE *f;

	if ((f = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return NULL;
	}
	c = config_load_common(f, NULL, path, err, errlen);
	fclose(f);
	return c;
}

struct config *
config_load_string(const char *text, const char *name, char *err, size_t errlen)
{
	return config_load_common(NULL, text, name, err, errlen);
}

void
config_free(struct config *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < sizeof config_keys / sizeof config_keys[0]; i++) {
		if (config_keys[i].type == CONFIG_STRING) {
			char **slot = config_string_at(c, config_keys[i].offset);

			if (*slot != NULL && config_keys[i].env != NULL)
				explicit_bzero(*slot, strlen(*slot));
			free(*slot);
		}
	}
	for (size_t i = 0; i < c->nproviders; i++) {
		struct config_provider *cp = &c->providers[i];

		for (size_t j = 0; j < cp->n; j++) {
			explicit_bzero((char *)cp->v[j].value, strlen(cp->v[j].value));
			free((char *)cp->v[j].key);
			free((char *)cp->v[j].value);
		}
		free(cp->v);
	}
	free(c->providers);
	config_api_free(&c->api);
	config_reach_free(&c->reach);
	free(c);
}
