/*
 * The --record file: one line per accepted message, "<receipt unix us>\t
 * <sid>\t<To>\t<escaped Body>\n", written through a large stdio buffer and
 * flushed on a 200 ms timer, never per request. The owner closes it with
 * sandbox_record_close(), which flushes first.
 */
#ifndef AMUDDU_SANDBOX_RECORD_H
#define AMUDDU_SANDBOX_RECORD_H

#include <stddef.h>
#include <stdint.h>

struct event_base;
struct sandbox_record;

/* Opens path for appending; NULL (logged) when it cannot be opened. */
struct sandbox_record *sandbox_record_open(struct event_base *base, const char *path);
void sandbox_record_close(struct sandbox_record *rec);
void sandbox_record_message(struct sandbox_record *rec, int64_t receipt_us, const char *sid, const char *to,
    size_t to_len, const char *body, size_t body_len);
/* Pushes buffered lines to the file; -1 (logged) on a write error. */
int sandbox_record_flush(struct sandbox_record *rec) __attribute__((warn_unused_result));

#endif
