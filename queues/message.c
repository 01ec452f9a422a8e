/*
 * Parsing of outbox stream entries (intake contract version 1). Pure: no
 * Redis here, so it is unit-tested and fuzzed directly. Rejections name the
 * field and the reason; nothing the producer wrote is dropped.
 */
#include "queues/message.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/util/buf.h"
#include "gateway/util/xmalloc.h"
#include "queues/keys.h"

static int message_fail(struct message *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int message_parse_epoch(const char *s, int64_t *out);
static int message_name_check(struct message *m, const char *field, const char *s, size_t max);
static size_t message_utf8_chars(const char *s);

static int
message_fail(struct message *m, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m->error, sizeof m->error, fmt, ap);
	va_end(ap);
	return -1;
}

static int
message_parse_epoch(const char *s, int64_t *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < 0 || v > 32503680000LL)
		return -1;
	*out = v;
	return 0;
}

/*
 * Ids and campaign names may be anything a person could type, Arabic
 * included: they are encoded when they become part of a key name, and
 * quoted when they reach a log line. Only their length and UTF-8 are held.
 */
static int
message_name_check(struct message *m, const char *field, const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n > max)
		return message_fail(m, "field '%s' is longer than %zu bytes", field, max);
	if (!utf8_valid(s, n))
		return message_fail(m, "field '%s' is not valid UTF-8", field);
	return 0;
}

static size_t
message_utf8_chars(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xC0) != 0x80)
			n++;
	return n;
}

int
message_parse(struct message *m, enum lane lane, const char *entry_id, const char *const *values, const size_t *lens,
    size_t nvalues)
{
	const char *to = NULL, *channel = NULL, *kind = NULL, *id = NULL;
	const char *not_before = NULL, *expires = NULL, *contact = NULL, *template = NULL;
	const char *reason;
	int v;

	memset(m, 0, sizeof *m);
	m->lane = lane;
	snprintf(m->entry_id, sizeof m->entry_id, "%s", entry_id);
	m->campaign = "";
	m->locale = "";
	m->provider = "";
	m->nfields = nvalues / 2;
	m->nkept = m->nfields < MESSAGE_MAX_FIELDS ? m->nfields : MESSAGE_MAX_FIELDS;
	/* One block for the pointers, the lengths and the NUL-terminated copies. */
	{
		size_t n = m->nfields * 2, bytes = 0;
		char *p;

		for (size_t i = 0; i < n; i++)
			bytes += lens[i] + 1;
		m->storage = xmalloc((n + 1) * (sizeof *m->fields + sizeof *m->field_lens) + bytes);
		m->fields = (char **)(void *)m->storage;
		m->field_lens = (size_t *)(void *)(m->fields + n + 1);
		p = (char *)(m->field_lens + n + 1);
		for (size_t i = 0; i < n; i++) {
			memcpy(p, values[i], lens[i]);
			p[lens[i]] = '\0';
			m->fields[i] = p;
			m->field_lens[i] = lens[i];
			p += lens[i] + 1;
		}
		m->fields[n] = NULL;
		m->field_lens[n] = 0;
	}
	if (nvalues % 2 != 0)
		return message_fail(m, "entry has an odd number of field/value items");

	for (size_t i = 0; i < m->nfields; i++) {
		const char *name = m->fields[2 * i], *value = m->fields[2 * i + 1];

		if (memchr(value, '\0', m->field_lens[2 * i + 1]) != NULL)
			return message_fail(m, "field '%.32s' contains a NUL byte", name);
		if (strcmp(name, "to") == 0)
			to = value;
		else if (strcmp(name, "id") == 0)
			id = value;
		else if (strcmp(name, "channel") == 0)
			channel = value;
		else if (strcmp(name, "text") == 0)
			m->text = value;
		else if (strcmp(name, "campaign") == 0)
			m->campaign = value;
		else if (strcmp(name, "kind") == 0)
			kind = value;
		else if (strcmp(name, "not_before") == 0)
			not_before = value;
		else if (strcmp(name, "expires") == 0)
			expires = value;
		else if (strcmp(name, "contact") == 0)
			contact = value;
		else if (strcmp(name, "template") == 0)
			template = value;
		else if (strcmp(name, "locale") == 0)
			m->locale = value;
		else if (strcmp(name, "vars") == 0)
			m->vars = value;
		else if (strcmp(name, "provider") == 0)
			m->provider = value;
		else if (strcmp(name, "category") == 0)
			m->marketing = strcmp(value, "marketing") == 0;
		else if (strcmp(name, "origin") == 0)
			m->from_campaign = strcmp(value, "campaign") == 0;
		/* Anything else is kept in fields and ignored. */
	}

	if (id != NULL) {
		if (*id == '\0')
			return message_fail(m, "field 'id' is empty (leave it out and the gateway makes one)");
		if (message_name_check(m, "id", id, MESSAGE_ID_MAX) != 0)
			return -1;
		m->id = xstrdup(id);
		m->has_id = true;
	} else
		m->id = xasprintf("%c%s-%s", MESSAGE_DERIVED_ID_MARK, lane_name(lane), m->entry_id);
	/*
	 * A derived id goes with a parked message as its id field, and is read
	 * back as one: ids that begin with the mark are the gateway's (README).
	 */
	m->kid = keys_encode(m->id, strlen(m->id));
	/* Checked once the id is known, so that the dead-letter names the message. */
	if (m->nfields > MESSAGE_MAX_FIELDS)
		return message_fail(m, "entry has %zu fields, more than %d (the first %d are kept here)", m->nfields,
		    MESSAGE_MAX_FIELDS, MESSAGE_MAX_FIELDS);

	if (to == NULL && contact != NULL) {
		/* A contact id is the person's pseudonym; the number comes from the contact record at claim time. */
		if (strlen(contact) != PHONE_PSEUDONYM_MAX - 1 ||
		    strspn(contact, "0123456789abcdef") != PHONE_PSEUDONYM_MAX - 1)
			return message_fail(m,
			    "field 'contact' must be a contact id (%d hex digits, as the inbox gives)",
			    PHONE_PSEUDONYM_MAX - 1);
		memcpy(m->person, contact, PHONE_PSEUDONYM_MAX);
		snprintf(m->to_masked, sizeof m->to_masked, "contact:%.12s", contact);
		m->by_contact = true;
	} else if (to == NULL) {
		return message_fail(m, "field 'to' is missing (or give 'contact')");
	} else {
		if (phone_normalise(to, m->to, &reason) != 0)
			return message_fail(m, "field 'to' is not a valid phone number: %s", reason);
		phone_mask(m->to, m->to_masked);
	}

	if (channel != NULL) {
		if ((v = channel_from_name(channel)) < 0)
			return message_fail(
			    m, "field 'channel' has unknown value '%.32s' (sms, whatsapp, auto)", channel);
		m->channel = (enum channel)v;
	}
	if (kind != NULL) {
		if ((v = kind_from_name(kind)) < 0)
			return message_fail(m, "field 'kind' has unknown value '%.32s'", kind);
		m->kind = (enum kind)v;
	}
	if (message_name_check(m, "campaign", m->campaign, MESSAGE_CAMPAIGN_MAX) != 0)
		return -1;
	m->ckey = keys_encode(m->campaign, strlen(m->campaign));
	if (m->locale[0] != '\0' &&
	    (strlen(m->locale) > MESSAGE_LOCALE_MAX ||
		strspn(m->locale, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_") != strlen(m->locale)))
		return message_fail(m, "field 'locale' must be a language tag such as fr, ar, ary-Latn");
	if (m->provider[0] != '\0' && (strlen(m->provider) > MESSAGE_PROVIDER_MAX ||
					  strspn(m->provider, "abcdefghijklmnopqrstuvwxyz0123456789_") != strlen(m->provider)))
		return message_fail(m, "field 'provider' must be a provider's name such as twilio, generic, whatsapp");
	if (m->vars != NULL && (m->vars[0] != '{' || !utf8_valid(m->vars, strlen(m->vars))))
		return message_fail(m, "field 'vars' must be a JSON object");
	if (not_before != NULL && message_parse_epoch(not_before, &m->not_before) != 0)
		return message_fail(m, "field 'not_before' is not epoch seconds");
	if (expires != NULL && message_parse_epoch(expires, &m->expires) != 0)
		return message_fail(m, "field 'expires' is not epoch seconds");

	if (m->text == NULL) {
		if (template != NULL)
			return message_fail(m,
			    "field 'template' needs template rendering, which this "
			    "version does not have; give 'text'");
		return message_fail(m, "field 'text' is missing");
	}
	if (!utf8_valid(m->text, strlen(m->text)))
		return message_fail(m, "field 'text' is not valid UTF-8");
	if (m->text[0] == '\0')
		return message_fail(m, "field 'text' is empty");
	if (message_utf8_chars(m->text) > MESSAGE_TEXT_MAX_CHARS)
		return message_fail(m, "field 'text' is longer than %d characters", MESSAGE_TEXT_MAX_CHARS);
	return 0;
}

void
message_free(struct message *m)
{
	free(m->storage);
	free(m->id);
	free(m->kid);
	free(m->ckey);
	m->storage = NULL;
	m->fields = NULL;
	m->field_lens = NULL;
	m->id = m->kid = m->ckey = NULL;
}
