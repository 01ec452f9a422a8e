/*
 * Sending. Messages wait in a FIFO when every transfer slot is busy, so
 * their connect and total timeouts run only once they are on the wire.
 * Just before a message starts, the outbox confirms this process still
 * holds it for longer than the attempt can take; when it cannot say yet,
 * the queue waits for the next renewal, and a message another process has
 * taken over is let go unsent.
 */
#include "gateway/sender.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <time.h>

#include "gateway/util/log.h"
#include "gateway/util/xmalloc.h"

struct sender_job {
	struct sender *s;
	struct message *m;
	struct route_plan plan;
	TAILQ_ENTRY(sender_job) entry;
};
TAILQ_HEAD(sender_job_list, sender_job);

struct sender {
	struct outbox *ob;
	struct dispatch *d;
	const struct route *rt;
	struct metrics *mt;
	size_t max_concurrent;
	struct sender_job_list waiting;
	size_t nwaiting;
	struct throttle *throttle;
};

static void sender_done(void *arg, const struct provider_answer *a, long long elapsed_us);
static void sender_record(struct sender_job *j, enum outcome o, const char *error);
static void sender_count(struct sender_job *j, const struct route_provider *p, enum outcome o);
static void sender_queue(struct sender_job *j, bool first);
static void sender_fell_back(struct sender_job *j, const char *why);
static int sender_start(struct sender_job *j);
static void sender_tier_checked(void *arg, long long wait_ms);
static void sender_wake(void *arg);

struct sender *
sender_new(struct outbox *ob, struct dispatch *d, const struct route *rt, struct metrics *mt, size_t max_concurrent)
{
	struct sender *s = xcalloc(1, sizeof *s);

	s->ob = ob;
	s->d = d;
	s->rt = rt;
	s->mt = mt;
	s->max_concurrent = max_concurrent;
	TAILQ_INIT(&s->waiting);
	return s;
}

void
sender_set_throttle(struct sender *s, struct throttle *t)
{
	s->throttle = t;
	throttle_on_tokens(t, sender_wake, s);
}

static void
sender_wake(void *arg)
{
	sender_pump(arg);
}

/* The tier said whether this person may get a business-initiated WhatsApp message now. */
static void
sender_tier_checked(void *arg, long long wait_ms)
{
	struct sender_job *j = arg;

	if (wait_ms > 0) {
		j->plan.until_s = (long long)time(NULL) + (wait_ms + 999) / 1000;
		log_info("held back id=%s reason=whatsapp_tier wait_s=%lld", j->m->kid, (wait_ms + 999) / 1000);
		sender_record(j, OUTCOME_DEFERRED, "whatsapp_tier");
		return;
	}
	sender_queue(j, false);
	sender_pump(j->s);
}

void
sender_free(struct sender *s)
{
	if (s == NULL)
		return;
	sender_release_waiting(s);
	free(s);
}

size_t
sender_waiting(const struct sender *s)
{
	return s->nwaiting;
}

static void
sender_count(struct sender_job *j, const struct route_provider *p, enum outcome o)
{
	if (p != NULL)
		metrics_count_message(j->s->mt, j->m->lane, p->mi, o);
}

static void
sender_queue(struct sender_job *j, bool first)
{
	struct sender *s = j->s;
	struct sender_job *last = NULL, *k;

	s->nwaiting++;
	if (first) {
		TAILQ_INSERT_HEAD(&s->waiting, j, entry);
		return;
	}
	if (j->m->lane != LANE_REPLY) {
		TAILQ_INSERT_TAIL(&s->waiting, j, entry);
		return;
	}
	/* An answer to someone who has just written goes ahead of the broadcasts waiting for slots or tokens. */
	TAILQ_FOREACH(k, &s->waiting, entry)
	{
		if (k->m->lane != LANE_REPLY)
			break;
		last = k;
	}
	if (last != NULL)
		TAILQ_INSERT_AFTER(&s->waiting, last, j, entry);
	else
		TAILQ_INSERT_HEAD(&s->waiting, j, entry);
}

/* The plan moved from WhatsApp to SMS: counted for WhatsApp as a fallback. */
static void
sender_fell_back(struct sender_job *j, const char *why)
{
	log_info("fallback to sms id=%s to=%s reason=\"%s\"", j->m->kid, j->m->to_masked, why);
	sender_count(j, j->plan.fell_back_from, OUTCOME_FALLBACK);
	j->plan.fell_back_from = NULL;
}

/* Records the job's outcome and frees the job (not the message: the outbox has it back). */
static void
sender_record(struct sender_job *j, enum outcome o, const char *error)
{
	struct outbox_result r;

	memset(&r, 0, sizeof r);
	r.outcome = o;
	r.channel = j->plan.channel;
	r.provider = j->plan.p != NULL ? j->plan.p->ops->name : NULL;
	r.error = error;
	r.due_ms = j->plan.until_s * 1000;
	sender_count(j, j->plan.p, o);
	outbox_record(j->s->ob, j->m, &r);
	free(j);
}

void
sender_send(struct sender *s, struct message *m)
{
	struct sender_job *j = xcalloc(1, sizeof *j);

	j->s = s;
	j->m = m;
	switch (route_decide(s->rt, m, (long long)time(NULL), &j->plan)) {
	case ROUTE_SEND:
		if (j->plan.fell_back_from != NULL)
			sender_fell_back(j, "window_closed");
		/* Business-initiated on WhatsApp (a template): within the tier, or parked until there is room. */
		if (s->throttle != NULL && j->plan.pm.template != NULL && throttle_tier_on(s->throttle)) {
			throttle_tier(s->throttle, m->person, sender_tier_checked, j);
			return;
		}
		sender_queue(j, false);
		sender_pump(s);
		return;
	case ROUTE_SKIP:
		log_info("not sent id=%s to=%s reason=%s", m->kid, m->to_masked, j->plan.why);
		break;
	case ROUTE_FAIL:
		log_warn("cannot be sent id=%s reason=\"%s\"", m->kid, j->plan.why);
		break;
	case ROUTE_DEFER:
		log_debug("held back id=%s reason=%s until=%lld", m->kid, j->plan.why, j->plan.until_s);
		break;
	}
	sender_record(j, j->plan.outcome, j->plan.why);
}

/* Builds and submits the job's request; -1 when it was recorded instead. */
static int
sender_start(struct sender_job *j)
{
	struct provider_request req;
	const struct route_provider *p = j->plan.p;
	char err[192];

	provider_request_init(&req);
	if (p->ops->build_request(p->ctx, &j->plan.pm, &req, err, sizeof err) != 0) {
		provider_request_free(&req);
		log_warn("cannot build request id=%s reason=\"%s\"", j->m->kid, err);
		sender_record(j, OUTCOME_FAILED, err);
		return -1;
	}
	if (dispatch_submit(j->s->d, &req, sender_done, j) != 0) {
		sender_record(j, OUTCOME_RETRY, "transport: cannot start request");
		return -1;
	}
	return 0;
}

void
sender_pump(struct sender *s)
{
	struct sender_job *j, *next;

	for (j = TAILQ_FIRST(&s->waiting); j != NULL && dispatch_inflight(s->d) < s->max_concurrent; j = next) {
		next = TAILQ_NEXT(j, entry);
		switch (outbox_lease(s->ob, j->m)) {
		case OUTBOX_LEASE_STALE:
			return; /* the outbox renews, then calls sender_pump() again */
		case OUTBOX_LEASE_LOST:
			TAILQ_REMOVE(&s->waiting, j, entry);
			s->nwaiting--;
			outbox_release(s->ob, j->m);
			free(j);
			continue;
		case OUTBOX_LEASE_OK:
			break;
		}
		/* Its campaign may have been paused or cancelled while it waited for a slot. */
		if (route_campaign(s->rt, j->m, (long long)time(NULL), &j->plan) != ROUTE_SEND) {
			TAILQ_REMOVE(&s->waiting, j, entry);
			s->nwaiting--;
			log_info("not sent id=%s reason=%s", j->m->kid, j->plan.why);
			sender_record(j, j->plan.outcome, j->plan.why);
			continue;
		}
		/* A provider out of tokens: its messages wait (throttle calls back), the others' go. */
		if (s->throttle != NULL && !throttle_take(s->throttle, j->plan.p->mi))
			continue;
		TAILQ_REMOVE(&s->waiting, j, entry);
		s->nwaiting--;
		(void)sender_start(j);
	}
}

static void
sender_done(void *arg, const struct provider_answer *a, long long elapsed_us)
{
	struct sender_job *j = arg;
	struct sender *s = j->s;
	const struct route_provider *p = j->plan.p;
	struct message *m = j->m;
	struct provider_result pr;
	struct outbox_result r;

	if (a->status == 0 && a->transport_error != NULL && strcmp(a->transport_error, "aborted") == 0) {
		/* Shutdown timed out: the outcome is unknown, so the entry stays pending. */
		outbox_release(s->ob, m);
		free(j);
		return;
	}
	metrics_count_latency(s->mt, p->mi, elapsed_us);
	p->ops->classify(p->ctx, a, &pr);
	if (pr.verdict == PROVIDER_PERMANENT && pr.fallback && route_fall_back(s->rt, &j->plan)) {
		/* WhatsApp cannot reach this number: SMS may. First in line: it has waited its turn already. */
		sender_fell_back(j, pr.error);
		sender_queue(j, true);
		sender_pump(s);
		return;
	}
	memset(&r, 0, sizeof r);
	r.channel = j->plan.channel;
	r.provider = p->ops->name;
	r.error = pr.error;
	switch (pr.verdict) {
	case PROVIDER_ACCEPTED:
		r.outcome = OUTCOME_SENT;
		r.provider_id = pr.provider_id;
		log_debug("sent id=%s to=%s provider_id=%s attempt=%d elapsed_us=%lld", m->kid, m->to_masked,
		    pr.provider_id, m->attempt, elapsed_us);
		break;
	case PROVIDER_RETRY:
		r.outcome = OUTCOME_RETRY;
		r.retry_after_ms = pr.retry_after_ms;
		log_info("retryable failure id=%s to=%s attempt=%d error=\"%s\"", m->kid, m->to_masked, m->attempt,
		    pr.error);
		break;
	case PROVIDER_PERMANENT:
		r.outcome = OUTCOME_FAILED;
		r.optout = pr.optout ? "provider" : NULL;
		log_warn("permanent failure id=%s to=%s attempt=%d error=\"%s\"", m->kid, m->to_masked, m->attempt,
		    pr.error);
		break;
	}
	sender_count(j, p, r.outcome);
	outbox_record(s->ob, m, &r);
	free(j);
	sender_pump(s);
}

void
sender_release_waiting(struct sender *s)
{
	struct sender_job *j;

	while ((j = TAILQ_FIRST(&s->waiting)) != NULL) {
		TAILQ_REMOVE(&s->waiting, j, entry);
		s->nwaiting--;
		outbox_release(s->ob, j->m);
		free(j);
	}
}
