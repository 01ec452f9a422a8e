/*
 * One outbound message as read from an outbox stream entry: parsing and
 * validation of the intake contract (docs/redis.md), with the entry's raw
 * fields kept so that retries and dead-letters carry everything the
 * producer wrote, including fields this version does not know.
 */
#ifndef AMUDDU_MESSAGE_H
#define AMUDDU_MESSAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gateway/util/domain.h"

/* Longest text accepted: Twilio's limit for one Body (1,600 characters). */
#define MESSAGE_TEXT_MAX_CHARS 1600
/* Ids and campaign names: any UTF-8 up to this many bytes (they are encoded in key names, queues/keys.h). */
#define MESSAGE_ID_MAX 1024
#define MESSAGE_CAMPAIGN_MAX 1024
#define MESSAGE_LOCALE_MAX 15
#define MESSAGE_PROVIDER_MAX 32
/* Most fields an entry may have; more is malformed (the contract has a dozen). */
#define MESSAGE_MAX_FIELDS 64
/* Ids the gateway makes for entries without one begin with this; producers' ids may not. */
#define MESSAGE_DERIVED_ID_MARK '~'

struct message {
	enum lane lane;
	char entry_id[48];       /* stream entry id, "ms-seq" */
	char *id;                /* producer's id, or "~<lane>-<entry id>" */
	char *kid;               /* id as a key part (queues/keys.h) */
	char *ckey;              /* campaign as a key part, "" for none */
	char to[PHONE_E164_MAX]; /* normalised E.164 */
	char to_masked[PHONE_MASK_MAX];
	char person[PHONE_PSEUDONYM_MAX]; /* keyed pseudonym of to (the contact id), set by the outbox */
	enum channel channel;
	enum kind kind;
	const char *text;     /* points into fields */
	const char *campaign; /* points into fields, or "" */
	const char *locale;   /* points into fields, or "" */
	const char *provider; /* points into fields: the provider that must carry it (replies go back the way they came), or "" */
	const char *vars;     /* points into fields (a JSON object), or NULL */
	bool has_id;          /* the producer gave an id field */
	bool by_contact;      /* addressed by contact id: person is set, to is filled from the contact record */
	int64_t not_before;   /* epoch seconds, 0 when absent */
	int64_t expires;      /* epoch seconds, 0 when absent */
	/* What the begin step found (docs/redis.md): */
	int attempt;              /* this attempt's number */
	bool opted_out;           /* the person is in the opt-out set */
	char contact_channel[16]; /* preferred channel, or "" */
	char contact_locale[16];  /* or "" */
	char contact_consent[4];  /* "yes", "no", or "" (none on record) */
	bool from_campaign;       /* made by the gateway's campaigns (origin=campaign): consent required */
	bool marketing;           /* category=marketing: a marketing message (WhatsApp prices and opt-outs) */
	bool marketing_optout;    /* the person stopped marketing messages on WhatsApp (Meta's 131050) */
	int64_t wa_last_in_s;     /* when the person last wrote on WhatsApp, 0 for never */
	char **fields;            /* name, value, name, value, ... as received (in storage) */
	size_t *field_lens;
	size_t nfields;  /* number of name/value pairs */
	size_t nkept;    /* pairs kept for a dead-letter: at most MESSAGE_MAX_FIELDS */
	void *storage;   /* one allocation holding fields, field_lens and the copies */
	char error[192]; /* why parsing failed */
};

/*
 * Fills m from an entry's name/value pairs (binary-safe, copied). Returns 0,
 * or -1 with m->error naming the field and the reason; on -1 m still holds
 * the raw fields (for the dead-letter) and must be freed with message_free().
 */
int message_parse(struct message *m, enum lane lane, const char *entry_id, const char *const *values,
    const size_t *lens, size_t nvalues) __attribute__((warn_unused_result));
/* Frees what message_parse() allocated inside m (not m itself). */
void message_free(struct message *m);

#endif
