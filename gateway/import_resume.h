/*
 * Imports left half written: a gateway that dies between two steps of an
 * import's commit leaves the rest of its rows staged in Redis, and the
 * import marked as committing. Every few seconds one gateway claims such an
 * import (one whose last step is older than 15 seconds) and writes the rest,
 * so that a file is in the end all written, as its caller was told it
 * would be (rows applied twice change nothing). The creator owns it;
 * import_resume_free().
 */
#ifndef AMUDDU_IMPORT_RESUME_H
#define AMUDDU_IMPORT_RESUME_H

#include <event2/event.h>

#include "queues/store.h"

struct import_resume;

struct import_resume *import_resume_new(struct event_base *base, struct store *st);
void import_resume_start(struct import_resume *r);
void import_resume_stop(struct import_resume *r);
void import_resume_free(struct import_resume *r);

#endif
