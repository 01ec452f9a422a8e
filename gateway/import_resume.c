/*
 * One import at a time: claim (contacts_resume), then commit steps of the
 * same size as the API's until the cursor comes back "0".
 */
#include "gateway/import_resume.h"

#include <stdlib.h>
#include <string.h>

#include "gateway/util/log.h"
#include "gateway/util/xmalloc.h"
#include "gateway/util/zone.h"
#include "queues/contacts.h"

#define IMPORT_RESUME_EVERY_MS 5000
/*
 * An import whose last step is older than this has lost its gateway (steps
 * take milliseconds). Should two gateways write one import, rows applied
 * twice change nothing.
 */
#define IMPORT_RESUME_STALE_MS "15000"
#define IMPORT_RESUME_CHUNK "500"

struct import_resume {
	struct store *st;
	struct event *tick;
	bool stopping, busy;
	char *id, *source, *by;
	long long rows_steps;
};

static void import_resume_tick(evutil_socket_t fd, short what, void *arg);

static void
import_resume_later(struct import_resume *r)
{
	struct timeval tv = { IMPORT_RESUME_EVERY_MS / 1000, (IMPORT_RESUME_EVERY_MS % 1000) * 1000 };

	if (!r->stopping)
		evtimer_add(r->tick, &tv);
}

struct import_resume *
import_resume_new(struct event_base *base, struct store *st)
{
	struct import_resume *r = xcalloc(1, sizeof *r);

	r->st = st;
	if ((r->tick = evtimer_new(base, import_resume_tick, r)) == NULL)
		fatalx("cannot create the import resume timer");
	return r;
}

void
import_resume_start(struct import_resume *r)
{
	import_resume_later(r);
}

void
import_resume_stop(struct import_resume *r)
{
	r->stopping = true;
	evtimer_del(r->tick);
}

static void
import_resume_clear(struct import_resume *r)
{
	free(r->id);
	free(r->source);
	free(r->by);
	r->id = r->source = r->by = NULL;
	r->busy = false;
}

void
import_resume_free(struct import_resume *r)
{
	if (r == NULL)
		return;
	import_resume_clear(r);
	event_free(r->tick);
	free(r);
}

static void import_resume_step(struct import_resume *r, const char *cursor);

static void
import_resume_stepped(void *arg, json_t *reply, const char *err)
{
	struct import_resume *r = arg;
	const char *next = json_string_value(reply);

	if (r->stopping || r->id == NULL)
		return;
	if (err != NULL || next == NULL) {
		/* Left as it is: claimed again once it is stale, by this gateway or another. */
		log_warn("contacts import %s: writing its rest stopped again: %.200s", r->id,
		    err != NULL ? err : "bad reply");
		import_resume_clear(r);
		import_resume_later(r);
		return;
	}
	r->rows_steps++;
	if (strcmp(next, "0") != 0) {
		import_resume_step(r, next);
		return;
	}
	log_info("contacts import %s: the rest of its rows written after its gateway stopped steps=%lld", r->id,
	    r->rows_steps);
	import_resume_clear(r);
	/* There may be another. */
	import_resume_tick(-1, 0, r);
}

static void
import_resume_step(struct import_resume *r, const char *cursor)
{
	struct cmdargs a;
	const char *prefix = store_prefix(r->st);

	memset(&a, 0, sizeof a);
	cmdargs_dup(&a, prefix, strlen(prefix));
	cmdargs_dup(&a, r->id, strlen(r->id));
	cmdargs_dup(&a, cursor, strlen(cursor));
	cmdargs_str(&a, IMPORT_RESUME_CHUNK);
	cmdargs_num(&a, zone_now_ms());
	cmdargs_dup(&a, r->source, strlen(r->source));
	cmdargs_dup(&a, r->by, strlen(r->by));
	cmdargs_str(&a, "resumed");
	cmdargs_day(&a, zone_now_ms());
	store_run(r->st, &contacts_commit, &a, import_resume_stepped, r);
}

static void
import_resume_claimed(void *arg, json_t *reply, const char *err)
{
	struct import_resume *r = arg;
	const char *id = json_string_value(json_array_get(reply, 0)),
		   *cursor = json_string_value(json_array_get(reply, 1));
	const char *source = json_string_value(json_array_get(reply, 2)),
		   *by = json_string_value(json_array_get(reply, 3));

	if (r->stopping)
		return;
	if (err == NULL && id != NULL && strncmp(id, "gave_up:", 8) == 0) {
		log_error("contacts import %s: its rest could not be written in five tries: given up, its staged rows "
			  "expire within a day",
		    id + 8);
		r->busy = false;
		import_resume_tick(-1, 0, r);
		return;
	}
	if (err != NULL || id == NULL || cursor == NULL || source == NULL || by == NULL) {
		if (err != NULL && strcmp(err, "unavailable") != 0)
			log_warn("contacts imports: cannot look for half-written ones: %.200s", err);
		r->busy = false;
		import_resume_later(r);
		return;
	}
	r->id = xstrdup(id);
	r->source = xstrdup(source);
	r->by = xstrdup(by);
	r->rows_steps = 0;
	log_warn("contacts import %s: its gateway stopped while writing it; writing the rest", r->id);
	import_resume_step(r, cursor);
}

static void
import_resume_tick(evutil_socket_t fd, short what, void *arg)
{
	struct import_resume *r = arg;
	struct cmdargs a;
	const char *prefix = store_prefix(r->st);

	(void)fd;
	(void)what;
	if (r->stopping || r->busy)
		return;
	if (!store_up(r->st)) {
		import_resume_later(r);
		return;
	}
	r->busy = true;
	memset(&a, 0, sizeof a);
	cmdargs_dup(&a, prefix, strlen(prefix));
	cmdargs_str(&a, IMPORT_RESUME_STALE_MS);
	store_run(r->st, &contacts_resume, &a, import_resume_claimed, r);
}
