/*
 * One refill in flight per limited provider; an empty bucket is asked
 * again when Redis says a token will be free. Without Redis no token comes,
 * so limited providers wait with the rest of the gateway.
 */
#include "gateway/throttle.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/util/log.h"
#include "gateway/util/xmalloc.h"
#include "queues/limits.h"

struct throttle_bucket {
	struct throttle *l;
	char *name;
	double rate;
	long tokens;
	bool asking;
	struct event *retry_ev;
};

struct throttle {
	struct store *st;
	struct throttle_bucket *b;
	size_t n;
	long tier;
	void (*wake)(void *arg);
	void *wake_arg;
};

struct throttle_tier_call {
	void (*cb)(void *arg, long long wait_ms);
	void *arg;
};

static void throttle_ask(struct throttle_bucket *b);
static void throttle_given(void *arg, json_t *reply, const char *err);
static void throttle_retry_cb(evutil_socket_t fd, short what, void *arg);
static void throttle_tier_reply(void *arg, json_t *reply, const char *err);

struct throttle *
throttle_new(
    struct event_base *base, struct store *st, const double *rates, const char *const *names, size_t n, long wa_tier)
{
	struct throttle *l = xcalloc(1, sizeof *l);

	l->st = st;
	l->n = n;
	l->tier = wa_tier;
	l->b = xcalloc(n > 0 ? n : 1, sizeof *l->b);
	for (size_t i = 0; i < n; i++) {
		l->b[i].l = l;
		l->b[i].rate = rates[i];
		l->b[i].name = xstrdup(names[i]);
		l->b[i].retry_ev = evtimer_new(base, throttle_retry_cb, &l->b[i]);
	}
	return l;
}

void
throttle_free(struct throttle *l)
{
	if (l == NULL)
		return;
	for (size_t i = 0; i < l->n; i++) {
		if (l->b[i].retry_ev != NULL)
			event_free(l->b[i].retry_ev);
		free(l->b[i].name);
	}
	free(l->b);
	free(l);
}

void
throttle_on_tokens(struct throttle *l, void (*wake)(void *arg), void *arg)
{
	l->wake = wake;
	l->wake_arg = arg;
}

bool
throttle_tier_on(const struct throttle *l)
{
	return l->tier > 0;
}

bool
throttle_take(struct throttle *l, size_t i)
{
	struct throttle_bucket *b;

	if (i >= l->n || l->b[i].rate <= 0)
		return true;
	b = &l->b[i];
	if (b->tokens > 0) {
		b->tokens--;
		return true;
	}
	throttle_ask(b);
	return false;
}

static void
throttle_ask(struct throttle_bucket *b)
{
	struct cmdargs a;
	const char *prefix = store_prefix(b->l->st);
	char rate[32];

	if (b->asking || evtimer_pending(b->retry_ev, NULL))
		return;
	b->asking = true;
	snprintf(rate, sizeof rate, "%.6g", b->rate);
	memset(&a, 0, sizeof a);
	cmdargs_dup(&a, prefix, strlen(prefix));
	cmdargs_dup(&a, b->name, strlen(b->name));
	cmdargs_dup(&a, rate, strlen(rate));
	cmdargs_num(&a, (long long)ceil(b->rate / 5));
	store_run(b->l->st, &limits_script_take, &a, throttle_given, b);
}

static void
throttle_given(void *arg, json_t *reply, const char *err)
{
	struct throttle_bucket *b = arg;
	long long got = json_integer_value(json_array_get(reply, 0)),
		  wait = json_integer_value(json_array_get(reply, 1));
	struct timeval tv;

	b->asking = false;
	if (err != NULL) {
		/* Redis away or refusing: ask again in a second. */
		wait = 1000;
		got = 0;
	}
	b->tokens += got;
	if (got > 0) {
		if (b->l->wake != NULL)
			b->l->wake(b->l->wake_arg);
		return;
	}
	if (wait < 5)
		wait = 5;
	tv.tv_sec = wait / 1000;
	tv.tv_usec = (wait % 1000) * 1000;
	evtimer_add(b->retry_ev, &tv);
}

static void
throttle_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	throttle_ask(arg);
}

void
throttle_tier(struct throttle *l, const char *person, void (*cb)(void *arg, long long wait_ms), void *arg)
{
	struct throttle_tier_call *t = xcalloc(1, sizeof *t);
	struct cmdargs a;
	const char *prefix = store_prefix(l->st);

	t->cb = cb;
	t->arg = arg;
	memset(&a, 0, sizeof a);
	cmdargs_dup(&a, prefix, strlen(prefix));
	cmdargs_dup(&a, person, strlen(person));
	cmdargs_num(&a, l->tier);
	store_run(l->st, &limits_script_tier, &a, throttle_tier_reply, t);
}

static void
throttle_tier_reply(void *arg, json_t *reply, const char *err)
{
	struct throttle_tier_call *t = arg;

	/* Without an answer, wait a minute rather than send past the tier. */
	t->cb(t->arg, err != NULL ? 60000 : (long long)json_integer_value(reply));
	free(t);
}
