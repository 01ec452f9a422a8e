/*
 * libcurl multi on libevent, after the pattern of curl's multi-event
 * example: CURLMOPT_SOCKETFUNCTION keeps one event per socket,
 * CURLMOPT_TIMERFUNCTION keeps one replaceable timer, and finished
 * transfers are read (with CURLINFO_PRIVATE) before their handle is
 * removed. Easy handles are pooled; connections live in the multi handle's
 * cache, so requests to one provider reuse them (keep-alive, and HTTP/2
 * multiplexing over TLS where the provider offers it).
 */
#include "gateway/dispatch.h"

#include <curl/curl.h>
#include <event2/event_struct.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <time.h>

#include "gateway/util/log.h"
#include "gateway/util/xmalloc.h"

struct dispatch_transfer {
	struct dispatch *d;
	CURL *easy;
	struct provider_request req;
	struct curl_slist *headers;
	/* The provider's headers the list was built from: the same strings next time need no new list. */
	const char *header_src[PROVIDER_MAX_HEADERS];
	size_t nheader_src;
	struct buf answer;
	char retry_after[64];
	bool answer_truncated;
	char errbuf[CURL_ERROR_SIZE];
	long long started_us;
	dispatch_done_cb *cb;
	void *arg;
	TAILQ_ENTRY(dispatch_transfer) entry;
};
TAILQ_HEAD(dispatch_transfer_list, dispatch_transfer);

struct dispatch_socket {
	struct dispatch *d;
	curl_socket_t fd;
	short kind;
	struct event ev;
};

struct dispatch {
	struct event_base *base;
	struct dispatch_settings s;
	CURLM *multi;
	struct event *timer_ev;
	struct event *stall_ev;
	struct dispatch_transfer_list active; /* oldest first */
	struct dispatch_transfer_list pool;   /* idle transfers, their handles set up */
	size_t inflight;
	bool no_proxy; /* no proxy in the environment: libcurl need not look for one per request */
};

static int dispatch_socket_cb(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp);
static int dispatch_timer_cb(CURLM *multi, long timeout_ms, void *userp);
static void dispatch_event_cb(evutil_socket_t fd, short what, void *arg);
static void dispatch_timeout_cb(evutil_socket_t fd, short what, void *arg);
static void dispatch_check_done(struct dispatch *d);
static void dispatch_finish(struct dispatch_transfer *t, CURLcode rc);
static size_t dispatch_write_cb(char *ptr, size_t size, size_t nmemb, void *userdata);
static size_t dispatch_header_cb(char *ptr, size_t size, size_t nmemb, void *userdata);
static long long dispatch_now_us(void);
static void dispatch_transfer_free(struct dispatch_transfer *t);
static struct dispatch_transfer *dispatch_transfer_get(struct dispatch *d);
static void dispatch_transfer_headers(struct dispatch_transfer *t);
static void dispatch_stall_cb(evutil_socket_t fd, short what, void *arg);

static long long
dispatch_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

struct dispatch *
dispatch_new(struct event_base *base, const struct dispatch_settings *s)
{
	struct dispatch *d = xcalloc(1, sizeof *d);

	d->base = base;
	d->s = *s;
	if (d->s.max_answer_bytes == 0)
		d->s.max_answer_bytes = 65536;
	TAILQ_INIT(&d->active);
	TAILQ_INIT(&d->pool);
	/* libcurl reads these for every request; without them it may be told once that there is no proxy. */
	d->no_proxy = true;
	for (const char *const *v = (const char *const[]){ "http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY",
		 "all_proxy", "ALL_PROXY", NULL };
	     *v != NULL; v++)
		if (getenv(*v) != NULL)
			d->no_proxy = false;
	if ((d->multi = curl_multi_init()) == NULL)
		fatalx("dispatch_new: curl_multi_init failed");
	if ((d->timer_ev = evtimer_new(base, dispatch_timeout_cb, d)) == NULL ||
	    (d->stall_ev = event_new(base, -1, EV_PERSIST, dispatch_stall_cb, d)) == NULL)
		fatalx("dispatch_new: cannot create timers");
	{
		struct timeval tv = { 1, 0 };

		evtimer_add(d->stall_ev, &tv);
	}
	curl_multi_setopt(d->multi, CURLMOPT_SOCKETFUNCTION, dispatch_socket_cb);
	curl_multi_setopt(d->multi, CURLMOPT_SOCKETDATA, d);
	curl_multi_setopt(d->multi, CURLMOPT_TIMERFUNCTION, dispatch_timer_cb);
	curl_multi_setopt(d->multi, CURLMOPT_TIMERDATA, d);
	curl_multi_setopt(d->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
	/*
	 * No CURLMOPT_MAX_HOST_CONNECTIONS: a transfer queued inside libcurl
	 * for a free connection spends its connect and total timeouts waiting.
	 * The caller bounds concurrency instead; the cache keeps that many.
	 */
	if (s->max_connections > 0)
		curl_multi_setopt(d->multi, CURLMOPT_MAXCONNECTS, (long)s->max_connections);
	return d;
}

void
dispatch_free(struct dispatch *d)
{
	struct dispatch_transfer *t;

	if (d == NULL)
		return;
	dispatch_abort_all(d);
	while ((t = TAILQ_FIRST(&d->pool)) != NULL) {
		TAILQ_REMOVE(&d->pool, t, entry);
		dispatch_transfer_free(t);
	}
	curl_multi_cleanup(d->multi);
	event_free(d->timer_ev);
	event_free(d->stall_ev);
	free(d);
}

size_t
dispatch_inflight(const struct dispatch *d)
{
	return d->inflight;
}

static size_t
dispatch_write_cb(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct dispatch_transfer *t = userdata;
	size_t n = size * nmemb;

	if (t->answer.len + n > t->d->s.max_answer_bytes) {
		t->answer_truncated = true;
		n = t->d->s.max_answer_bytes > t->answer.len ? t->d->s.max_answer_bytes - t->answer.len : 0;
	}
	buf_append(&t->answer, ptr, n);
	return size * nmemb;
}

static size_t
dispatch_header_cb(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct dispatch_transfer *t = userdata;
	size_t n = size * nmemb, vlen;
	const char *v;

	if (n > 12 && strncasecmp(ptr, "Retry-After:", 12) == 0) {
		v = ptr + 12;
		while (v < ptr + n && (*v == ' ' || *v == '\t'))
			v++;
		vlen = (size_t)(ptr + n - v);
		while (vlen > 0 && (v[vlen - 1] == '\r' || v[vlen - 1] == '\n' || v[vlen - 1] == ' '))
			vlen--;
		if (vlen >= sizeof t->retry_after)
			vlen = sizeof t->retry_after - 1;
		memcpy(t->retry_after, v, vlen);
		t->retry_after[vlen] = '\0';
	}
	return n;
}

/* An idle transfer from the pool, or a new one with its handle set up; NULL when libcurl cannot make one. */
static struct dispatch_transfer *
dispatch_transfer_get(struct dispatch *d)
{
	struct dispatch_transfer *t = TAILQ_FIRST(&d->pool);
	CURL *e;

	if (t != NULL) {
		TAILQ_REMOVE(&d->pool, t, entry);
		return t;
	}
	if ((e = curl_easy_init()) == NULL)
		return NULL;
	t = xcalloc(1, sizeof *t);
	t->d = d;
	t->easy = e;
	buf_init(&t->answer);
	curl_easy_setopt(e, CURLOPT_POST, 1L);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, dispatch_write_cb);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, t);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, dispatch_header_cb);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, t);
	curl_easy_setopt(e, CURLOPT_PRIVATE, t);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->errbuf);
	/*
	 * Each transfer handle (pooled, one per transfer at once) keeps a
	 * receive buffer: libcurl's 16 KiB default is a MiB for 64 of them,
	 * for answers of a few hundred bytes to a few KiB; a longer answer is
	 * read in more passes.
	 */
	curl_easy_setopt(e, CURLOPT_BUFFERSIZE, 4096L);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, d->s.connect_timeout_ms);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, d->s.request_timeout_ms);
	curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
	curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "amuddu-gateway/1.0.0");
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	if (d->no_proxy)
		curl_easy_setopt(e, CURLOPT_PROXY, "");
	return t;
}

/* The request's headers, plus ours; the list is kept while the provider gives the same ones. */
static void
dispatch_transfer_headers(struct dispatch_transfer *t)
{
	bool same = t->headers != NULL && t->nheader_src == t->req.nheaders;

	for (size_t i = 0; same && i < t->req.nheaders; i++)
		same = t->header_src[i] == t->req.headers[i];
	if (same)
		return;
	curl_slist_free_all(t->headers);
	t->headers = NULL;
	for (size_t i = 0; i < t->req.nheaders; i++) {
		t->headers = curl_slist_append(t->headers, t->req.headers[i]);
		t->header_src[i] = t->req.headers[i];
	}
	t->nheader_src = t->req.nheaders;
	/* No "Expect: 100-continue" round trip; an empty Accept-Encoding keeps answers plain. */
	t->headers = curl_slist_append(t->headers, "Expect:");
	t->headers = curl_slist_append(t->headers, "Accept: application/json");
	curl_easy_setopt(t->easy, CURLOPT_HTTPHEADER, t->headers);
}

int
dispatch_submit(struct dispatch *d, struct provider_request *req, dispatch_done_cb *cb, void *arg)
{
	struct dispatch_transfer *t = dispatch_transfer_get(d);
	CURL *e;

	if (t == NULL) {
		log_error("curl_easy_init failed");
		provider_request_free(req);
		return -1;
	}
	e = t->easy;
	t->req = *req;
	provider_request_init(req);
	t->cb = cb;
	t->arg = arg;
	t->retry_after[0] = '\0';
	t->errbuf[0] = '\0';
	t->answer_truncated = false;
	buf_reset(&t->answer);
	dispatch_transfer_headers(t);
	curl_easy_setopt(e, CURLOPT_URL, t->req.url);
	curl_easy_setopt(e, CURLOPT_POSTFIELDS, t->req.body.data != NULL ? t->req.body.data : "");
	curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)t->req.body.len);
	if (curl_multi_add_handle(d->multi, e) != CURLM_OK) {
		log_error("curl_multi_add_handle failed");
		provider_request_free(&t->req);
		TAILQ_INSERT_HEAD(&d->pool, t, entry);
		return -1;
	}
	t->started_us = dispatch_now_us();
	TAILQ_INSERT_TAIL(&d->active, t, entry);
	d->inflight++;
	return 0;
}

static void
dispatch_transfer_free(struct dispatch_transfer *t)
{
	if (t->easy != NULL)
		curl_easy_cleanup(t->easy);
	curl_slist_free_all(t->headers);
	provider_request_free(&t->req);
	buf_free(&t->answer);
	free(t);
}

/* Reports a finished transfer and returns it to the pool. */
static void
dispatch_finish(struct dispatch_transfer *t, CURLcode rc)
{
	struct dispatch *d = t->d;
	struct provider_answer a;
	long status = 0;

	memset(&a, 0, sizeof a);
	if (rc == CURLE_OK)
		curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
	curl_multi_remove_handle(d->multi, t->easy);
	TAILQ_REMOVE(&d->active, t, entry);
	d->inflight--;
	a.status = status;
	a.retry_after = t->retry_after[0] != '\0' ? t->retry_after : NULL;
	a.body = t->answer.data != NULL ? t->answer.data : "";
	a.body_len = t->answer.len;
	if (rc != CURLE_OK)
		a.transport_error = t->errbuf[0] != '\0' ? t->errbuf : curl_easy_strerror(rc);
	/* Back to the pool only after the callback: the answer it reads lives in t. */
	t->cb(t->arg, &a, dispatch_now_us() - t->started_us);
	provider_request_free(&t->req);
	TAILQ_INSERT_HEAD(&d->pool, t, entry);
}

static void
dispatch_check_done(struct dispatch *d)
{
	CURLMsg *msg;
	int left;

	while ((msg = curl_multi_info_read(d->multi, &left)) != NULL) {
		struct dispatch_transfer *t = NULL;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&t);
		if (t == NULL)
			fatalx("dispatch: finished transfer without its state");
		dispatch_finish(t, msg->data.result);
	}
}

void
dispatch_abort_all(struct dispatch *d)
{
	struct dispatch_transfer *t;

	while ((t = TAILQ_FIRST(&d->active)) != NULL) {
		snprintf(t->errbuf, sizeof t->errbuf, "aborted");
		dispatch_finish(t, CURLE_ABORTED_BY_CALLBACK);
	}
}

/*
 * A safety net under libcurl's own timeouts: a transfer still running well
 * past its total timeout (which libcurl should have ended) is ended here,
 * so its message is retried instead of being held for ever.
 */
static void
dispatch_stall_cb(evutil_socket_t fd, short what, void *arg)
{
	struct dispatch *d = arg;
	struct dispatch_transfer *t;
	long long limit_us = (d->s.connect_timeout_ms + d->s.request_timeout_ms) * 1000LL + 5000000LL;
	long long now = dispatch_now_us();

	(void)fd;
	(void)what;
	while ((t = TAILQ_FIRST(&d->active)) != NULL && now - t->started_us > limit_us) {
		log_warn("transfer stalled past its timeout; ending it waited_ms=%lld", (now - t->started_us) / 1000);
		snprintf(t->errbuf, sizeof t->errbuf, "stalled past the request timeout");
		dispatch_finish(t, CURLE_OPERATION_TIMEDOUT);
	}
}

static void
dispatch_event_cb(evutil_socket_t fd, short what, void *arg)
{
	struct dispatch_socket *s = arg;
	struct dispatch *d = s->d;
	int flags = 0, running;

	if (what & EV_READ)
		flags |= CURL_CSELECT_IN;
	if (what & EV_WRITE)
		flags |= CURL_CSELECT_OUT;
	curl_multi_socket_action(d->multi, fd, flags, &running);
	/*
	 * The timer is libcurl's alone (CURLMOPT_TIMERFUNCTION). Never delete
	 * it here: check_done may have started new transfers, whose first
	 * step libcurl has just scheduled on it.
	 */
	dispatch_check_done(d);
}

static void
dispatch_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	struct dispatch *d = arg;
	int running;

	(void)fd;
	(void)what;
	curl_multi_socket_action(d->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	dispatch_check_done(d);
}

/* libcurl asks for a timer: -1 deletes it, 0 means "as soon as possible". */
static int
dispatch_timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
	struct dispatch *d = userp;
	struct timeval tv;

	(void)multi;
	if (timeout_ms < 0) {
		evtimer_del(d->timer_ev);
		return 0;
	}
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	evtimer_add(d->timer_ev, &tv);
	return 0;
}

static int
dispatch_socket_cb(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
	struct dispatch *d = userp;
	struct dispatch_socket *s = socketp;
	short kind;

	(void)easy;
	if (what == CURL_POLL_REMOVE) {
		if (s != NULL) {
			event_del(&s->ev);
			free(s);
			curl_multi_assign(d->multi, fd, NULL);
		}
		return 0;
	}
	kind = EV_PERSIST | ((what & CURL_POLL_IN) ? EV_READ : 0) | ((what & CURL_POLL_OUT) ? EV_WRITE : 0);
	if (s == NULL) {
		s = xcalloc(1, sizeof *s);
		s->d = d;
		s->fd = fd;
		curl_multi_assign(d->multi, fd, s);
	} else {
		if (s->kind == kind)
			return 0;
		event_del(&s->ev);
	}
	/* The event lives inside the socket state: changing interest allocates nothing. */
	s->kind = kind;
	if (event_assign(&s->ev, d->base, fd, kind, dispatch_event_cb, s) != 0)
		fatalx("dispatch: cannot set up socket event");
	event_add(&s->ev, NULL);
	return 0;
}
