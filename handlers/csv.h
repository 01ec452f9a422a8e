/*
 * A streaming CSV reader as spreadsheets write files: RFC 4180 quoting
 * (separators, quotes and new lines inside quoted fields), LF or CRLF,
 * a UTF-8 byte order mark skipped, "," or ";" or tab as separator (the
 * one that occurs most in the first line, outside quotes). Bytes may come
 * in pieces of any size; each record is handed over whole, with the line
 * on which it starts. Memory is bounded by the longest record, not by the
 * file. The creator owns struct csv and frees it with csv_reader_free().
 */
#ifndef AMUDDU_CSV_H
#define AMUDDU_CSV_H

#include <stdbool.h>
#include <stddef.h>

#define CSV_MAX_FIELDS 256
#define CSV_MAX_RECORD (1024 * 1024)

/* One record: fields[i] is NUL-terminated (len[i] bytes, which may hold no NUL). */
struct csv_record {
	long line; /* the physical line (from 1) on which the record starts */
	size_t n;
	const char *fields[CSV_MAX_FIELDS];
	size_t len[CSV_MAX_FIELDS];
};

/* Returns 0 to go on, -1 to stop reading (csv_reader_feed() then returns -1 too). */
typedef int csv_record_cb(void *arg, const struct csv_record *r);

struct csv_reader;

struct csv_reader *csv_reader_new(csv_record_cb *cb, void *arg);
void csv_reader_free(struct csv_reader *c);
/*
 * Reads len more bytes. Returns 0, or -1 with why when the input cannot be
 * CSV (a record over CSV_MAX_RECORD bytes or CSV_MAX_FIELDS fields, a quote
 * inside an unquoted field is taken as it is) or the callback stopped.
 */
int csv_reader_feed(struct csv_reader *c, const char *data, size_t len, char *why, size_t whylen)
    __attribute__((warn_unused_result));
/* The end of the input: the last record (without a final new line) is handed over. -1 inside a quoted field. */
int csv_reader_finish(struct csv_reader *c, char *why, size_t whylen) __attribute__((warn_unused_result));
/* The separator chosen (0 until the first line is read). */
char csv_reader_separator(const struct csv_reader *c);
/* Lines read so far (a final line without a new line included once finished). */
long csv_reader_lines(const struct csv_reader *c);

#endif
