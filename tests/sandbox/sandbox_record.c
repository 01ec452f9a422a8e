/*
 * Record file writing. Backslash, tab and newline in a body are escaped as
 * \\, \t and \n so each message stays on one line with four columns. The
 * flush timer only touches the file when something was written since.
 */
#include "sandbox_record.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "gateway/util/log.h"
#include "gateway/util/xmalloc.h"

#define SANDBOX_RECORD_BUFFER (1 << 20)
#define SANDBOX_RECORD_FLUSH_MS 200

struct sandbox_record {
	FILE *f;
	char *path;
	char *iobuf;
	struct event *flush_timer;
	bool dirty;
	bool failed; /* a write error was logged; do not repeat it every 200 ms */
};

static void sandbox_record_flush_cb(evutil_socket_t fd, short what, void *arg);

struct sandbox_record *
sandbox_record_open(struct event_base *base, const char *path)
{
	struct sandbox_record *rec = xcalloc(1, sizeof *rec);
	struct timeval tv = { 0, SANDBOX_RECORD_FLUSH_MS * 1000 };

	rec->path = xstrdup(path);
	if ((rec->f = fopen(path, "a")) == NULL) {
		log_error("cannot open record file path=%s error=\"%s\"", path, strerror(errno));
		goto fail;
	}
	rec->iobuf = xmalloc(SANDBOX_RECORD_BUFFER);
	if (setvbuf(rec->f, rec->iobuf, _IOFBF, SANDBOX_RECORD_BUFFER) != 0) {
		log_error("cannot buffer record file path=%s", path);
		goto fail;
	}
	rec->flush_timer = event_new(base, -1, EV_PERSIST, sandbox_record_flush_cb, rec);
	if (rec->flush_timer == NULL || event_add(rec->flush_timer, &tv) == -1) {
		log_error("cannot start record flush timer");
		goto fail;
	}
	return rec;

fail:
	sandbox_record_close(rec);
	return NULL;
}

void
sandbox_record_close(struct sandbox_record *rec)
{
	if (rec == NULL)
		return;
	if (rec->flush_timer != NULL)
		event_free(rec->flush_timer);
	if (rec->f != NULL) {
		if (sandbox_record_flush(rec) == -1 || fclose(rec->f) == EOF)
			log_error("record file incomplete path=%s", rec->path);
	}
	free(rec->iobuf);
	free(rec->path);
	free(rec);
}

static void
sandbox_record_flush_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sandbox_record *rec = arg;

	(void)fd;
	(void)what;
	if (rec->dirty && sandbox_record_flush(rec) == -1)
		return; /* logged; the next flush tries again */
}

int
sandbox_record_flush(struct sandbox_record *rec)
{
	if (!rec->dirty)
		return 0;
	if (fflush(rec->f) == EOF) {
		if (!rec->failed)
			log_error("cannot write record file path=%s error=\"%s\"", rec->path, strerror(errno));
		rec->failed = true;
		clearerr(rec->f);
		return -1;
	}
	rec->dirty = false;
	rec->failed = false;
	return 0;
}

void
sandbox_record_message(struct sandbox_record *rec, int64_t receipt_us, const char *sid, const char *to, size_t to_len,
    const char *body, size_t body_len)
{
	FILE *f = rec->f;
	size_t run = 0;

	fprintf(f, "%" PRId64 "\t%s\t", receipt_us, sid);
	fwrite_unlocked(to, 1, to_len, f);
	putc_unlocked('\t', f);
	for (size_t i = 0; i < body_len; i++) {
		char c = body[i], esc;

		if (c == '\\')
			esc = '\\';
		else if (c == '\t')
			esc = 't';
		else if (c == '\n')
			esc = 'n';
		else {
			run++;
			continue;
		}
		if (run > 0)
			fwrite_unlocked(body + i - run, 1, run, f);
		run = 0;
		putc_unlocked('\\', f);
		putc_unlocked(esc, f);
	}
	if (run > 0)
		fwrite_unlocked(body + body_len - run, 1, run, f);
	putc_unlocked('\n', f);
	rec->dirty = true;
}
