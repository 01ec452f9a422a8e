/*
 * POST /v1/contacts/import: a CSV file as the body. Rows are read as they
 * come (handlers/contacts_csv.c) and put aside in Redis in batches under
 * the import's id, which also finds numbers the file gives twice. Once the
 * file is read: refused rows and mode=all (the default) drop everything;
 * dry_run drops everything and says what would have happened; otherwise
 * the rows are applied to the contacts in chunks. The gateway holds one
 * batch at a time, whatever the size of the file.
 */
#include <event2/buffer.h>
#include <openssl/rand.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "gateway/api_int.h"
#include "gateway/util/log.h"
#include "gateway/util/xmalloc.h"
#include "handlers/contacts_csv.h"
#include "queues/contacts.h"

#define IMPORT_BATCH 500
#define IMPORT_COMMIT_CHUNK "500"
#define IMPORT_MAX_ERRORS 1000
#define IMPORT_STAGE_TTL "86400"

struct import {
	struct api_call *c;
	struct contacts_csv *csv;
	char id[CONFIG_API_NAME_MAX + 72]; /* "u-<token>-<upload>", or 32 hex digits */
	long part;                         /* this request's part of the import, from 1 */
	bool last;                         /* the import ends with this part */
	long steps;                        /* commit steps written */
	char settings[64];                 /* mode, dry run and encoding: every part must say the same */
	json_t *totals;                    /* the import's totals after this part (queues/contacts.h, part_end) */
	bool valid_only, dry_run, cp1252;
	struct cmdargs batch;
	long *lines; /* the line of each row in the batch */
	size_t nbatch;
	int outstanding; /* stage calls not yet answered */
	bool read_all, failed, unreadable;
	char fail[300];     /* why the whole file is refused, or the store failed */
	long refused, rows; /* in this part: refused rows, rows put aside */
	json_t *errors, *notes;
};

/* A stage call's rows, to match the verdicts with their lines. */
struct import_batch {
	struct import *im;
	long *lines;
	size_t n;
};

static int import_row(void *arg, const struct contact_row *r);
static void import_refused(
    void *arg, long line, const char *column, const char *code, const char *value, const char *why);
static void import_note(void *arg, const char *what);
static void import_send(struct import *im);
static void import_staged(void *arg, json_t *reply, const char *err);
static void import_decide(struct import *im);
static void import_commit(struct import *im, const char *cursor);
static void import_committed(void *arg, json_t *reply, const char *err);
static void import_answer(struct import *im, int code);
static void import_drop(struct import *im);
static void import_dropped(void *arg, json_t *reply, const char *err);
static void import_free(struct import *im);
static void import_begun(void *arg, json_t *reply, const char *err);
static void import_read(struct import *im);
static void import_part_ended(void *arg, json_t *reply, const char *err);
static long long import_total(const struct import *im, size_t i);
static void import_settings(struct import *im);
static json_t *import_report(struct import *im, bool written);

static void
import_free(struct import *im)
{
	contacts_csv_free(im->csv);
	cmdargs_free(&im->batch);
	free(im->lines);
	json_decref(im->errors);
	json_decref(im->notes);
	json_decref(im->totals);
	free(im);
}

/* A refused row in the answer: where, why as a code the console translates (with the value at fault), and in words. */
static void
import_refused(void *arg, long line, const char *column, const char *code, const char *value, const char *why)
{
	struct import *im = arg;
	json_t *e;

	im->refused++;
	if (json_array_size(im->errors) >= IMPORT_MAX_ERRORS)
		return;
	e = json_pack("{s:I, s:s, s:s, s:s}", "line", (json_int_t)line, "column", column, "code", code, "reason", why);
	/* The value at fault, when there is one (json_string() refuses one that is not UTF-8: left out). */
	if (e != NULL && *value != '\0')
		json_object_set_new(e, "value", json_string(value));
	if (e != NULL)
		json_array_append_new(im->errors, e);
}

static void
import_note(void *arg, const char *what)
{
	struct import *im = arg;

	json_array_append_new(im->notes, json_string(what));
}

/* One valid row as the stage script takes it (queues/contacts.h). */
static int
import_row(void *arg, const struct contact_row *r)
{
	static const struct {
		unsigned bit;
		const char *name;
		size_t off;
	} attrs[] = {
		{ CONTACT_HAS_NAME, "name", offsetof(struct contact_row, name) },
		{ CONTACT_HAS_FIRST_NAME, "first_name", offsetof(struct contact_row, first_name) },
		{ CONTACT_HAS_CITY, "city", offsetof(struct contact_row, city) },
		{ CONTACT_HAS_LOCALE, "locale", offsetof(struct contact_row, locale) },
		{ CONTACT_HAS_SEX, "sex", offsetof(struct contact_row, sex) },
		{ CONTACT_HAS_CHANNEL, "channel", offsetof(struct contact_row, channel) },
	};
	struct import *im = arg;
	char person[PHONE_PSEUDONYM_MAX];
	json_t *j, *a = json_object(), *x = json_object();
	char *text;

	phone_pseudonym_with(im->c->api->pk, r->phone, person);
	j = json_pack("{s:s, s:s, s:I}", "p", person, "ph", r->phone, "ln", (json_int_t)r->line);
	for (size_t i = 0; i < sizeof attrs / sizeof attrs[0]; i++)
		if (r->present & attrs[i].bit)
			json_object_set_new(a, attrs[i].name,
			    json_string(*(const char *const *)(const void *)((const char *)r + attrs[i].off)));
	json_object_set_new(j, "a", a);
	if (r->present & CONTACT_HAS_TAGS) {
		json_t *t = json_array();

		for (size_t i = 0; i < r->ntags; i++)
			json_array_append_new(t, json_string(r->tags[i]));
		json_object_set_new(j, "t", t);
	}
	if (r->consent >= 0) {
		json_object_set_new(j, "co", json_string(r->consent ? "yes" : "no"));
		json_object_set_new(j, "ca", json_integer((json_int_t)r->consent_at * 1000));
	}
	for (size_t i = 0; i < r->nextra; i++)
		json_object_set_new(x, r->extra_name[i], json_string(r->extra_value[i]));
	json_object_set_new(j, "x", x);
	text = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	if (text == NULL) {
		import_refused(im, r->line, "", "not_utf8", "", "a value is not valid UTF-8");
		return 0;
	}
	im->rows++;
	cmdargs_dup(&im->batch, text, strlen(text));
	free(text);
	im->lines = xreallocarray(im->lines, im->nbatch + 1, sizeof *im->lines);
	im->lines[im->nbatch++] = r->line;
	if (im->nbatch == IMPORT_BATCH)
		import_send(im);
	return 0;
}

static void
import_send(struct import *im)
{
	struct cmdargs a;
	struct import_batch *b;
	const char *prefix = store_prefix(im->c->api->store);

	if (im->nbatch == 0)
		return;
	memset(&a, 0, sizeof a);
	cmdargs_dup(&a, prefix, strlen(prefix));
	cmdargs_dup(&a, im->id, strlen(im->id));
	cmdargs_num(&a, (long long)time(NULL) * 1000);
	cmdargs_str(&a, IMPORT_STAGE_TTL);
	cmdargs_append(&a, &im->batch);
	b = xcalloc(1, sizeof *b);
	b->im = im;
	b->lines = im->lines;
	b->n = im->nbatch;
	im->lines = NULL;
	im->nbatch = 0;
	im->outstanding++;
	store_run(im->c->api->store, &contacts_stage, &a, import_staged, b);
}

static void
import_staged(void *arg, json_t *reply, const char *err)
{
	struct import_batch *b = arg;
	struct import *im = b->im;
	const char *col = contacts_csv_phone_column(im->csv);

	im->outstanding--;
	if (err != NULL || json_array_size(reply) != b->n) {
		im->failed = true;
		snprintf(im->fail, sizeof im->fail, "the store could not take the rows: %s",
		    err != NULL ? err : "bad reply");
	} else {
		for (size_t i = 0; i < b->n; i++) {
			const char *v = json_string_value(json_array_get(reply, i));
			char why[64];

			/* new, changed and same are counted by the script, in the import's totals. */
			if (v != NULL && strncmp(v, "dup:", 4) == 0) {
				im->rows--;
				snprintf(why, sizeof why, "the same number as line %s", v + 4);
				import_refused(im, b->lines[i], col, "duplicate", v + 4, why);
			}
		}
	}
	free(b->lines);
	free(b);
	if (im->read_all && im->outstanding == 0)
		import_decide(im);
}

static long long
import_total(const struct import *im, size_t i)
{
	const char *v = json_string_value(json_array_get(im->totals, i));

	return v != NULL ? atoll(v) : json_integer_value(json_array_get(im->totals, i));
}

/* The report of the whole import (all its parts), from its totals in Redis. */
static json_t *
import_report(struct import *im, bool written)
{
	char sep[2] = { contacts_csv_separator(im->csv), '\0' };
	long long refused = import_total(im, 4);
	json_t *errors = json_array(), *e;
	size_t i;

	json_array_foreach(json_array_get(im->totals, 5), i, e)
	{
		json_t *one = json_loads(json_string_value(e), 0, NULL);

		if (one != NULL)
			json_array_append_new(errors, one);
	}
	return json_pack("{s:s, s:b, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:b, s:o, s:b, s:O}", "import_id", im->id,
	    "dry_run", im->dry_run, "mode", im->valid_only ? "valid" : "all", "encoding",
	    im->cp1252 ? "windows-1252" : "utf-8", "separator", sep[0] != '\0' ? sep : ",", "rows",
	    (json_int_t)(import_total(im, 3) + refused), "created", (json_int_t)import_total(im, 0), "updated",
	    (json_int_t)import_total(im, 1), "unchanged", (json_int_t)import_total(im, 2), "refused",
	    (json_int_t)refused, "written", written, "errors", errors, "errors_more",
	    refused > (long long)json_array_size(errors), "notes", im->notes);
}

static void
import_answer(struct import *im, int code)
{
	struct api_call *c = im->c;
	char detail[160];
	bool written = code == 200 && !im->dry_run;

	if (code == 200) {
		snprintf(detail, sizeof detail, "created=%lld updated=%lld unchanged=%lld refused=%lld dry_run=%d",
		    import_total(im, 0), import_total(im, 1), import_total(im, 2), import_total(im, 4), im->dry_run);
		if (written)
			api_audit(c, "contacts.import", im->id, detail);
		api_reply(c, 200, import_report(im, written));
	} else {
		json_t *body =
		    json_pack("{s:{s:s, s:s, s:n}}", "error", "code", "rows_refused", "message", "", "field");
		char msg[200];

		snprintf(msg, sizeof msg,
		    "%lld row%s refused: nothing was imported (mode=valid imports the others; the errors say why)",
		    import_total(im, 4), import_total(im, 4) == 1 ? "" : "s");
		json_object_set_new(json_object_get(body, "error"), "message", json_string(msg));
		json_object_set_new(body, "import", import_report(im, false));
		api_reply(c, 422, body);
	}
	import_free(im);
}

static void
import_decide(struct import *im)
{
	struct cmdargs a;
	const char *prefix = store_prefix(im->c->api->store);
	json_t *e;
	size_t i;

	if (im->unreadable) {
		import_drop(im);
		api_error(im->c, 422, "unreadable_file", NULL, "%s", im->fail);
		import_free(im);
		return;
	}
	if (im->failed) {
		import_drop(im);
		if (!api_store_down(im->c))
			api_error(im->c, 503, "unavailable", NULL, "%s", im->fail);
		import_free(im);
		return;
	}
	/* This part's rows and refusals go with the import's; the totals decide. */
	memset(&a, 0, sizeof a);
	cmdargs_dup(&a, prefix, strlen(prefix));
	cmdargs_dup(&a, im->id, strlen(im->id));
	cmdargs_num(&a, im->part);
	cmdargs_num(&a, im->rows);
	cmdargs_num(&a, im->refused);
	cmdargs_str(&a, IMPORT_STAGE_TTL);
	json_array_foreach(im->errors, i, e)
	{
		char *t = json_dumps(e, JSON_COMPACT);

		cmdargs_dup(&a, t, strlen(t));
		free(t);
	}
	store_run(im->c->api->store, &contacts_part_end, &a, import_part_ended, im);
}

static void
import_part_ended(void *arg, json_t *reply, const char *err)
{
	struct import *im = arg;

	if (err != NULL || json_array_size(reply) != 6) {
		im->failed = true;
		snprintf(im->fail, sizeof im->fail, "the store could not take the part: %s",
		    err != NULL ? err : "bad reply");
		import_decide(im);
		return;
	}
	im->totals = json_incref(reply);
	if (!im->last) {
		api_reply(im->c, 202,
		    json_pack("{s:s, s:I, s:I, s:I, s:O}", "import_id", im->id, "part", (json_int_t)im->part, "rows",
			(json_int_t)(import_total(im, 3) + import_total(im, 4)), "refused",
			(json_int_t)import_total(im, 4), "notes", im->notes));
		import_free(im);
		return;
	}
	if ((import_total(im, 4) > 0 && !im->valid_only) || im->dry_run) {
		import_drop(im);
		import_answer(im, import_total(im, 4) > 0 && !im->valid_only ? 422 : 200);
		return;
	}
	import_commit(im, "0");
}

static void
import_commit(struct import *im, const char *cursor)
{
	struct cmdargs a;
	const char *prefix = store_prefix(im->c->api->store);

	memset(&a, 0, sizeof a);
	cmdargs_dup(&a, prefix, strlen(prefix));
	cmdargs_dup(&a, im->id, strlen(im->id));
	cmdargs_dup(&a, cursor, strlen(cursor));
	cmdargs_str(&a, IMPORT_COMMIT_CHUNK);
	cmdargs_num(&a, (long long)time(NULL) * 1000);
	cmdargs_str(&a, "import");
	cmdargs_dup(&a, im->c->token->name, strlen(im->c->token->name));
	cmdargs_str(&a, "");
	cmdargs_day(&a, (long long)time(NULL) * 1000);
	store_run(im->c->api->store, &contacts_commit, &a, import_committed, im);
}

static void
import_committed(void *arg, json_t *reply, const char *err)
{
	struct import *im = arg;
	const char *next = json_string_value(reply);

	if (err != NULL || next == NULL) {
		/* What was applied stays applied; a gateway writes the staged rest once the store answers. */
		log_warn("contacts import %s stopped while writing: %s", im->id, err != NULL ? err : "bad reply");
		if (im->steps == 0)
			api_error(im->c, 503, "unavailable", NULL,
			    "the store stopped answering before the contacts were written: nothing is written; send "
			    "the file again");
		else
			api_error(im->c, 503, "unavailable", NULL,
			    "the store stopped answering while the contacts were written: the rest of the file is "
			    "written once it answers again; sending the file again changes nothing");
		import_free(im);
		return;
	}
	im->steps++;
	if (strcmp(next, "0") != 0) {
		import_commit(im, next);
		return;
	}
	import_answer(im, 200);
}

static void
import_drop(struct import *im)
{
	struct cmdargs a;
	const char *prefix = store_prefix(im->c->api->store);

	memset(&a, 0, sizeof a);
	cmdargs_dup(&a, prefix, strlen(prefix));
	cmdargs_dup(&a, im->id, strlen(im->id));
	store_run(im->c->api->store, &contacts_drop, &a, import_dropped, NULL);
}

static void
import_dropped(void *arg, json_t *reply, const char *err)
{
	(void)arg;
	(void)reply;
	if (err != NULL)
		log_warn("contacts import: its staged rows stay until they expire: %s", err);
}

/* The import's settings as every part must repeat them. */
static void
import_settings(struct import *im)
{
	snprintf(im->settings, sizeof im->settings, "%s/%s/%s", im->valid_only ? "valid" : "all",
	    im->dry_run ? "dry" : "write", im->cp1252 ? "windows-1252" : "utf-8");
}

void
api_contacts_import(struct api_call *c)
{
	const char *ct = evhttp_find_header(evhttp_request_get_input_headers(c->req), "Content-Type");
	char *mode = api_query(c, "mode"), *dry = api_query(c, "dry_run"), *enc = api_query(c, "encoding");
	char *upload = api_query(c, "upload"), *part = api_query(c, "part"), *last = api_query(c, "last");
	char *first = api_query(c, "first_line");
	struct import *im;
	struct cmdargs a;
	unsigned char rnd[16];
	long partn = part != NULL ? strtol(part, NULL, 10) : 1, firstn = first != NULL ? strtol(first, NULL, 10) : 2;

	if (ct == NULL || (strncasecmp(ct, "text/csv", 8) != 0 || (ct[8] != '\0' && ct[8] != ';'))) {
		api_error(c, 415, "unsupported_media_type", NULL, "send the file as Content-Type: text/csv");
		goto out;
	}
	if (mode != NULL && strcmp(mode, "all") != 0 && strcmp(mode, "valid") != 0) {
		api_error(
		    c, 422, "invalid", "mode", "mode is all (the default: any refused row stops the file) or valid");
		goto out;
	}
	if (dry != NULL && strcmp(dry, "true") != 0 && strcmp(dry, "false") != 0 && strcmp(dry, "1") != 0 &&
	    strcmp(dry, "0") != 0) {
		api_error(c, 422, "invalid", "dry_run", "dry_run is true or false");
		goto out;
	}
	if (enc != NULL && strcasecmp(enc, "utf-8") != 0 && strcasecmp(enc, "windows-1252") != 0 &&
	    strcasecmp(enc, "cp1252") != 0) {
		api_error(c, 422, "invalid", "encoding", "encoding is utf-8 (the default) or windows-1252");
		goto out;
	}
	/* A file larger than a request may take comes in parts, each with the header row, under one upload id. */
	if (upload != NULL &&
	    (strlen(upload) < 8 || strlen(upload) > 64 ||
		strspn(upload, "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(upload))) {
		api_error(c, 422, "invalid", "upload", "upload is an id of 8 to 64 lower-case letters, digits or '-'");
		goto out;
	}
	if (partn < 1 || partn > 1000000 || (part != NULL && upload == NULL)) {
		api_error(c, 422, "invalid", "part", "part counts from 1, with an upload id");
		goto out;
	}
	if (firstn < 2 || (last != NULL && strcmp(last, "true") != 0 && strcmp(last, "false") != 0)) {
		api_error(c, 422, "invalid", first != NULL && firstn < 2 ? "first_line" : "last",
		    "first_line is the line of the part's first row in the whole file (2 or more); last is true or "
		    "false");
		goto out;
	}
	if (api_store_down(c))
		goto out;
	im = xcalloc(1, sizeof *im);
	im->c = c;
	im->valid_only = mode != NULL && strcmp(mode, "valid") == 0;
	im->dry_run = dry != NULL && (strcmp(dry, "true") == 0 || strcmp(dry, "1") == 0);
	im->cp1252 = enc != NULL && strcasecmp(enc, "utf-8") != 0;
	im->errors = json_array();
	im->notes = json_array();
	im->part = partn;
	im->last = upload == NULL || last == NULL || strcmp(last, "true") == 0;
	import_settings(im);
	if (upload != NULL) {
		snprintf(im->id, sizeof im->id, "u-%s-%s", c->token->name, upload);
	} else if (RAND_bytes(rnd, sizeof rnd) != 1) {
		import_free(im);
		api_error(c, 500, "internal", NULL, "no randomness for an import id");
		goto out;
	} else {
		for (size_t i = 0; i < sizeof rnd; i++)
			snprintf(im->id + 2 * i, 3, "%02x", rnd[i]);
	}
	{
		struct contacts_csv_settings s = { c->api->country, im->cp1252 };
		struct contacts_csv_handlers h = { import_row, import_refused, import_note };

		im->csv = contacts_csv_new(&s, &h, im);
		contacts_csv_set_line_offset(im->csv, firstn - 2);
	}
	memset(&a, 0, sizeof a);
	cmdargs_dup(&a, store_prefix(c->api->store), strlen(store_prefix(c->api->store)));
	cmdargs_dup(&a, im->id, strlen(im->id));
	cmdargs_num(&a, im->part);
	cmdargs_dup(&a, c->token->name, strlen(c->token->name));
	cmdargs_dup(&a, im->settings, strlen(im->settings));
	cmdargs_str(&a, IMPORT_STAGE_TTL);
	store_run(c->api->store, &contacts_part_begin, &a, import_begun, im);
out:
	free(mode);
	free(dry);
	free(enc);
	free(upload);
	free(part);
	free(last);
	free(first);
}

static void
import_begun(void *arg, json_t *reply, const char *err)
{
	struct import *im = arg;
	const char *v = json_string_value(reply);

	if (err != NULL || v == NULL) {
		if (!api_store_down(im->c))
			api_error(im->c, 503, "unavailable", NULL, "the store could not answer: try again");
		import_free(im);
		return;
	}
	if (strncmp(v, "conflict:", 9) == 0) {
		api_error(im->c, 409, "conflict", "part",
		    "this upload expects part %s (the same mode, dry_run and encoding, from the same token)", v + 9);
		import_free(im);
		return;
	}
	import_read(im);
}

/* Reads the body (this part) as evhttp holds it, piece by piece, without copying it whole. */
static void
import_read(struct import *im)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(im->c->req);
	char why[300];
	int n, rc = 0;

	n = evbuffer_peek(in, -1, NULL, NULL, 0);
	if (n > 0) {
		struct evbuffer_iovec *v = xcalloc((size_t)n, sizeof *v);

		evbuffer_peek(in, -1, NULL, v, n);
		for (int i = 0; i < n && rc == 0; i++)
			rc = contacts_csv_feed(im->csv, v[i].iov_base, v[i].iov_len, why, sizeof why);
		free(v);
	}
	if (rc == 0)
		rc = contacts_csv_finish(im->csv, why, sizeof why);
	if (rc == 0)
		import_send(im);
	if (rc != 0) {
		/* Nothing can be taken from a file that cannot be read: what was put aside is dropped. */
		im->unreadable = true;
		snprintf(im->fail, sizeof im->fail, "%s", why);
	}
	im->read_all = true;
	if (im->outstanding == 0)
		import_decide(im);
}
