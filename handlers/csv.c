/*
 * The CSV reader's state machine, one byte at a time. Hand-written rather
 * than libcsv because every refused row must be reported with the line it
 * starts on, and libcsv does not tell where a record begins (docs/design.md).
 * A blank line is no record. The first line is held back until it is whole
 * so that the separator can be chosen from it.
 */
#include "handlers/csv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/util/buf.h"
#include "gateway/util/xmalloc.h"

enum csv_state {
	CSV_FIELD_START = 0,
	CSV_UNQUOTED,
	CSV_QUOTED,
	CSV_QUOTE_SEEN, /* a quote inside a quoted field: its end, or the first of a doubled quote */
	CSV_AFTER_CR,   /* a record ended at CR; an LF right after belongs to it */
};

struct csv_reader {
	csv_record_cb *cb;
	void *arg;
	enum csv_state state;
	char sep;
	bool bom_checked, in_record, stopped;
	long line;        /* the physical line being read, from 1 */
	struct buf head;  /* the first line, until it is whole */
	bool head_quoted; /* inside quotes while holding the first line */
	struct buf rec;   /* the record's fields, each followed by a NUL */
	size_t starts[CSV_MAX_FIELDS];
	size_t nfields;
	struct csv_record out;
	char *why;
	size_t whylen;
};

static int csv_byte(struct csv_reader *c, char ch);
static int csv_end_field(struct csv_reader *c);
static int csv_end_record(struct csv_reader *c);
static int csv_run(struct csv_reader *c, const char *data, size_t len);
static void csv_choose_separator(struct csv_reader *c);

struct csv_reader *
csv_reader_new(csv_record_cb *cb, void *arg)
{
	struct csv_reader *c = xcalloc(1, sizeof *c);

	c->cb = cb;
	c->arg = arg;
	c->line = 1;
	buf_init(&c->head);
	buf_init(&c->rec);
	return c;
}

void
csv_reader_free(struct csv_reader *c)
{
	if (c == NULL)
		return;
	buf_free(&c->head);
	buf_free(&c->rec);
	free(c);
}

char
csv_reader_separator(const struct csv_reader *c)
{
	return c->sep;
}

long
csv_reader_lines(const struct csv_reader *c)
{
	return c->line - 1;
}

/* The most frequent of , ; and tab in the first line, outside quotes (, when none). */
static void
csv_choose_separator(struct csv_reader *c)
{
	size_t comma = 0, semi = 0, tab = 0;
	bool quoted = false;

	for (size_t i = 0; i < c->head.len; i++) {
		char ch = c->head.data[i];

		if (ch == '"')
			quoted = !quoted;
		else if (!quoted && (ch == '\n' || ch == '\r'))
			break;
		else if (!quoted && ch == ',')
			comma++;
		else if (!quoted && ch == ';')
			semi++;
		else if (!quoted && ch == '\t')
			tab++;
	}
	c->sep = semi > comma && semi >= tab ? ';' : tab > comma && tab > semi ? '\t' : ',';
}

static int
csv_end_field(struct csv_reader *c)
{
	if (c->nfields == CSV_MAX_FIELDS) {
		snprintf(c->why, c->whylen, "line %ld: more than %d columns", c->out.line, CSV_MAX_FIELDS);
		return -1;
	}
	buf_append(&c->rec, "", 1);
	c->nfields++;
	if (c->nfields < CSV_MAX_FIELDS)
		c->starts[c->nfields] = c->rec.len;
	return 0;
}

static int
csv_end_record(struct csv_reader *c)
{
	int rc = 0;

	if (csv_end_field(c) != 0)
		return -1;
	/* A blank line is one empty field: no record. */
	if (!(c->nfields == 1 && c->rec.len == 1)) {
		c->out.n = c->nfields;
		for (size_t i = 0; i < c->nfields; i++) {
			c->out.fields[i] = c->rec.data + c->starts[i];
			c->out.len[i] = (i + 1 < c->nfields ? c->starts[i + 1] : c->rec.len) - c->starts[i] - 1;
		}
		if (c->cb(c->arg, &c->out) != 0) {
			snprintf(c->why, c->whylen, "line %ld: stopped", c->out.line);
			c->stopped = true;
			rc = -1;
		}
	}
	buf_reset(&c->rec);
	c->nfields = 0;
	c->starts[0] = 0;
	c->in_record = false;
	return rc;
}

static int
csv_byte(struct csv_reader *c, char ch)
{
	if (c->state == CSV_AFTER_CR) {
		c->state = CSV_FIELD_START;
		c->line++; /* the CR, or the CRLF, ended that line */
		if (ch == '\n')
			return 0;
	}
	if (!c->in_record) {
		c->in_record = true;
		c->out.line = c->line;
	}
	if (c->rec.len >= CSV_MAX_RECORD) {
		snprintf(c->why, c->whylen, "line %ld: a row longer than %d bytes", c->out.line, CSV_MAX_RECORD);
		return -1;
	}
	if (ch == '\n')
		c->line++;
	switch (c->state) {
	case CSV_QUOTED:
		if (ch == '"')
			c->state = CSV_QUOTE_SEEN;
		else
			buf_append(&c->rec, &ch, 1);
		return 0;
	case CSV_QUOTE_SEEN:
		if (ch == '"') {
			buf_append(&c->rec, &ch, 1);
			c->state = CSV_QUOTED;
			return 0;
		}
		break;
	case CSV_FIELD_START:
		if (ch == '"') {
			c->state = CSV_QUOTED;
			return 0;
		}
		break;
	default:
		break;
	}
	if (ch == c->sep) {
		c->state = CSV_FIELD_START;
		return csv_end_field(c);
	}
	if (ch == '\n' || ch == '\r') {
		c->state = ch == '\r' ? CSV_AFTER_CR : CSV_FIELD_START;
		return csv_end_record(c);
	}
	/* Text after a closing quote goes on the field's text; a quote inside an unquoted field is kept. */
	buf_append(&c->rec, &ch, 1);
	c->state = CSV_UNQUOTED;
	return 0;
}

static int
csv_run(struct csv_reader *c, const char *data, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (csv_byte(c, data[i]) != 0)
			return -1;
	return 0;
}

int
csv_reader_feed(struct csv_reader *c, const char *data, size_t len, char *why, size_t whylen)
{
	c->why = why;
	c->whylen = whylen;
	if (len == 0)
		return 0;
	if (c->stopped) {
		snprintf(why, whylen, "stopped");
		return -1;
	}
	if (!c->bom_checked) {
		/* The BOM may come split over pieces: hold bytes until three are there. */
		buf_append(&c->head, data, len);
		if (c->head.len < 3 && memcmp(c->head.data, "\xEF\xBB\xBF", c->head.len) == 0)
			return 0;
		c->bom_checked = true;
		if (c->head.len >= 3 && memcmp(c->head.data, "\xEF\xBB\xBF", 3) == 0)
			memmove(c->head.data, c->head.data + 3, c->head.len -= 3);
		data = NULL;
		len = 0;
	} else if (c->sep == 0) {
		buf_append(&c->head, data, len);
		data = NULL;
		len = 0;
	}
	if (c->sep == 0) {
		bool whole = false;

		c->head_quoted = false;
		for (size_t i = 0; i < c->head.len && !whole; i++) {
			if (c->head.data[i] == '"')
				c->head_quoted = !c->head_quoted;
			else if (!c->head_quoted && (c->head.data[i] == '\n' || c->head.data[i] == '\r'))
				whole = true;
		}
		if (!whole) {
			if (c->head.len > CSV_MAX_RECORD) {
				snprintf(why, whylen, "line 1: a row longer than %d bytes", CSV_MAX_RECORD);
				return -1;
			}
			return 0;
		}
		csv_choose_separator(c);
		if (csv_run(c, c->head.data, c->head.len) != 0)
			return -1;
		buf_free(&c->head);
		buf_init(&c->head);
	}
	return csv_run(c, data, len);
}

int
csv_reader_finish(struct csv_reader *c, char *why, size_t whylen)
{
	c->why = why;
	c->whylen = whylen;
	if (c->sep == 0) {
		c->bom_checked = true;
		if (c->head.len >= 3 && memcmp(c->head.data, "\xEF\xBB\xBF", 3) == 0)
			memmove(c->head.data, c->head.data + 3, c->head.len -= 3);
		csv_choose_separator(c);
		if (csv_run(c, c->head.data, c->head.len) != 0)
			return -1;
	}
	if (c->state == CSV_QUOTED) {
		snprintf(why, whylen, "line %ld: a quoted field is not closed before the end of the file", c->out.line);
		return -1;
	}
	if (c->state == CSV_AFTER_CR) {
		c->state = CSV_FIELD_START;
		c->line++;
	}
	if (c->in_record) {
		c->line++;
		if (csv_end_record(c) != 0)
			return -1;
	}
	return 0;
}
