/*
 * A hostile crowd on the webhook port: 2,000 connections at once that
 * declare a body just under the limit, send most of it and go quiet, or
 * declare a huge one, and connect again (up to 1,000 a second) when the
 * gateway drops them. Meanwhile signed webhooks must still be taken
 * promptly, a campaign must go out, and the gateway's memory (VmHWM, its
 * peak RSS) must stay under 64 MiB.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "tests/integration/harness.h"

#define APP_SECRET "flood-app-secret"
#define HOSTILE 2000
/* The default [http] max_body_bytes is 64 KiB: declare just under it, send most of it. */
#define NEAR_DECLARED 65000
#define NEAR_SENT 60000
#define HUGE_SENT 4096
/* An attacker reconnects at once; this one at up to 1,000 connections a second. */
#define RECONNECTS_PER_S 1000
#define CAMPAIGN 2000
#define SIGNED 40
#define RSS_LIMIT_KB (64 * 1024)

struct flood_conn {
	int fd;
	bool huge;
	size_t sent;
};

struct flood {
	int port;
	struct flood_conn conn[HOSTILE];
	char *near, *huge;
	size_t near_len, huge_len;
	atomic_bool stop;
	atomic_long opened;  /* connections opened, reconnections included */
	atomic_long dropped; /* closed by the gateway */
	atomic_long refused; /* answered 413 first */
};

struct signed_stats {
	long ok, max_ms, total_ms;
};

static int setup(void **state);
static int teardown(void **state);
static void flood_open(struct flood *f, struct flood_conn *c);
static void flood_close(struct flood_conn *c);
static void *flood_run(void *arg);
static long proc_status_kb(pid_t pid, const char *field);
static void raise_nofile(rlim_t want);
static void quarantine_off(void);
static long signed_post(struct harness *h, int i);

static int
setup(void **state)
{
	struct harness *h = calloc(1, sizeof *h);
	char extra[512];

	raise_nofile(HOSTILE + 256);
	quarantine_off();
	harness_init(h, "flood");
	harness_redis_start(h, false);
	harness_sandbox_start(h, NULL);
	/* The [http] limits are the defaults: the test holds what the gateway ships with. */
	snprintf(extra, sizeof extra,
	    "[whatsapp]\nbase_url = http://127.0.0.1:%d\nphone_number_id = 1\ntoken = t\napp_secret = " APP_SECRET "\n"
	    "verify_token = v\n",
	    h->sandbox_port);
	harness_gateway_config(h, 0, extra);
	harness_gateway_start(h);
	harness_gateway_wait_http(h);
	*state = h;
	return 0;
}

static int
teardown(void **state)
{
	assert_int_equal(harness_finish(*state, 20000), 0);
	return 0;
}

/*
 * Under AddressSanitizer (make test SANITIZE=address) freed memory waits in
 * a 256 MB quarantine: the bound is on the gateway's own memory, so the
 * gateway (which inherits this environment) runs without one. Other
 * processes ignore the variable.
 */
static void
quarantine_off(void)
{
	const char *old = getenv("ASAN_OPTIONS");
	char opts[512];

	snprintf(opts, sizeof opts, "%s%squarantine_size_mb=0:thread_local_quarantine_size_kb=0",
	    old != NULL ? old : "", old != NULL && *old != '\0' ? ":" : "");
	setenv("ASAN_OPTIONS", opts, 1);
}

/* 2,000 sockets need more than the usual soft limit of 1,024 descriptors. */
static void
raise_nofile(rlim_t want)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= want)
		return;
	rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > want ? want : rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur < want)
		fail_msg(
		    "cannot open %lu descriptors (hard limit %lu)", (unsigned long)want, (unsigned long)rl.rlim_max);
}

/* A field of /proc/<pid>/status in kB (VmHWM, VmRSS), or -1. */
static long
proc_status_kb(pid_t pid, const char *field)
{
	char path[64], line[256];
	size_t n = strlen(field);
	long v = -1;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%ld/status", (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof line, f) != NULL)
		if (strncmp(line, field, n) == 0 && line[n] == ':')
			v = strtol(line + n + 1, NULL, 10);
	fclose(f);
	return v;
}

static void
flood_open(struct flood *f, struct flood_conn *c)
{
	struct sockaddr_in sa;
	ssize_t n;

	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)f->port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	c->sent = 0;
	if ((c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0)) < 0)
		return;
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
		if (errno != EINPROGRESS)
			flood_close(c);
		else
			atomic_fetch_add(&f->opened, 1);
		return;
	}
	atomic_fetch_add(&f->opened, 1);
	/* Connected at once, as on loopback: the request goes out before the gateway even accepts. */
	n = send(c->fd, c->huge ? f->huge : f->near, c->huge ? f->huge_len : f->near_len, MSG_NOSIGNAL);
	if (n > 0)
		c->sent = (size_t)n;
}

static void
flood_close(struct flood_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

/*
 * The crowd: each connection sends its request up to where it goes quiet,
 * and reads until the gateway closes it (counting 413s), then is opened
 * again when the reconnection budget allows.
 */
static void *
flood_run(void *arg)
{
	struct flood *f = arg;
	struct pollfd *pfd = calloc(HOSTILE, sizeof *pfd);
	char scratch[4096];
	long long last;
	double budget = 0;
	int next = 0;

	for (int i = 0; i < HOSTILE; i++) {
		f->conn[i].huge = i % 4 == 0;
		flood_open(f, &f->conn[i]);
	}
	last = harness_now_ms();
	while (!atomic_load(&f->stop)) {
		long long now = harness_now_ms();

		budget += (double)(now - last) * RECONNECTS_PER_S / 1000;
		if (budget > RECONNECTS_PER_S / 10)
			budget = RECONNECTS_PER_S / 10;
		last = now;

		/* Every closed connection gets its turn: huge ones, answered at once, would take every reconnection. */
		for (int k = 0; k < HOSTILE; k++) {
			int i = (k + next) % HOSTILE;
			struct flood_conn *c = &f->conn[i];
			size_t len = c->huge ? f->huge_len : f->near_len;

			if (c->fd < 0 && budget >= 1) {
				flood_open(f, c);
				budget--;
				next = i + 1;
			}
			pfd[i].fd = c->fd;
			pfd[i].events = POLLIN | (c->sent < len ? POLLOUT : 0);
			pfd[i].revents = 0;
		}
		if (poll(pfd, HOSTILE, 10) < 0)
			continue;
		for (int i = 0; i < HOSTILE; i++) {
			struct flood_conn *c = &f->conn[i];
			const char *req = c->huge ? f->huge : f->near;
			size_t len = c->huge ? f->huge_len : f->near_len;
			ssize_t n;

			if (c->fd < 0 || pfd[i].revents == 0)
				continue;
			if ((pfd[i].revents & POLLOUT) && c->sent < len) {
				n = send(c->fd, req + c->sent, len - c->sent, MSG_NOSIGNAL);
				if (n > 0)
					c->sent += (size_t)n;
			}
			if (pfd[i].revents & (POLLIN | POLLHUP | POLLERR)) {
				n = recv(c->fd, scratch, sizeof scratch - 1, 0);
				if (n > 0) {
					scratch[n] = '\0';
					if (strncmp(scratch, "HTTP/1.1 413", 12) == 0)
						atomic_fetch_add(&f->refused, 1);
				} else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
					atomic_fetch_add(&f->dropped, 1);
					flood_close(c);
				}
			}
		}
	}
	for (int i = 0; i < HOSTILE; i++)
		flood_close(&f->conn[i]);
	free(pfd);
	return NULL;
}

/* A signed status webhook on a new connection, Twilio's for even i, Meta's for odd; returns the status. */
static long
signed_post(struct harness *h, int i)
{
	struct harness_http hc = { 0 };
	char body[512], sig[80], sighdr[128], url[128];
	const char *hdr[3] = { NULL, sighdr, NULL };
	const char *path;
	long code;

	if (i % 2 == 0) {
		path = "/webhooks/twilio/status";
		snprintf(body, sizeof body, "MessageSid=SMflood%d&MessageStatus=delivered", i);
		snprintf(url, sizeof url, "http://127.0.0.1:%d%s", h->gateway_port, path);
		harness_sign_twilio(HARNESS_TOKEN, url, body, sig);
		snprintf(sighdr, sizeof sighdr, "X-Twilio-Signature: %s", sig);
		hdr[0] = "Content-Type: application/x-www-form-urlencoded";
	} else {
		path = "/webhooks/whatsapp";
		snprintf(body, sizeof body,
		    "{\"object\":\"whatsapp_business_account\",\"entry\":[{\"id\":\"1\",\"changes\":[{\"field\":"
		    "\"messages\",\"value\":{\"statuses\":[{\"id\":\"wamid.flood%d\",\"status\":\"delivered\","
		    "\"timestamp\":\"2\"}]}}]}]}",
		    i);
		harness_sign_meta(APP_SECRET, body, strlen(body), sig);
		snprintf(sighdr, sizeof sighdr, "X-Hub-Signature-256: %s", sig);
		hdr[0] = "Content-Type: application/json";
	}
	code = harness_request(&hc, h->gateway_port, "POST", path, hdr, body, strlen(body), NULL);
	harness_http_close(&hc);
	return code;
}

static void
test_flood_during_campaign(void **state)
{
	struct harness *h = *state;
	struct flood *f = calloc(1, sizeof *f);
	struct signed_stats ss = { 0 };
	long rss_before, hwm, rss, ready_code;
	long long sent_before, sent_during, t0, campaign_ms;
	pthread_t thread;

	f->port = h->gateway_port;
	f->near = malloc(NEAR_SENT + 512);
	f->near_len = (size_t)snprintf(f->near, 512,
	    "POST /webhooks/twilio/status HTTP/1.1\r\nHost: 127.0.0.1\r\n"
	    "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n",
	    NEAR_DECLARED);
	memset(f->near + f->near_len, 'a', NEAR_SENT);
	f->near_len += NEAR_SENT;
	f->huge = malloc(HUGE_SENT + 512);
	f->huge_len = (size_t)snprintf(f->huge, 512,
	    "POST /webhooks/whatsapp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
	    "Content-Length: 1000000000\r\n\r\n");
	memset(f->huge + f->huge_len, '[', HUGE_SENT);
	f->huge_len += HUGE_SENT;
	rss_before = proc_status_kb(h->gateway_pid, "VmRSS");
	sent_before = harness_log_count(h, "sent");
	assert_int_equal(pthread_create(&thread, NULL, flood_run, f), 0);
	/* The whole crowd connects and fills what it can before anything else happens. */
	for (long long end = harness_now_ms() + 10000; atomic_load(&f->opened) < HOSTILE && harness_now_ms() < end;)
		harness_sleep_ms(10);
	harness_sleep_ms(1500);
	t0 = harness_now_ms();
	harness_xadd_burst(h, "bulk", "flood", CAMPAIGN, NULL);
	for (int i = 0; i < SIGNED; i++) {
		long long start = harness_now_ms(), ms;

		if (signed_post(h, i) == 200)
			ss.ok++;
		ms = harness_now_ms() - start;
		ss.total_ms += ms;
		if (ms > ss.max_ms)
			ss.max_ms = ms;
		harness_sleep_ms(100);
	}
	campaign_ms = -1;
	if (harness_wait_log(h, "sent", sent_before + CAMPAIGN, 30000) >= sent_before + CAMPAIGN)
		campaign_ms = harness_now_ms() - t0;
	sent_during = harness_log_count(h, "sent") - sent_before;
	hwm = proc_status_kb(h->gateway_pid, "VmHWM");
	rss = proc_status_kb(h->gateway_pid, "VmRSS");
	atomic_store(&f->stop, true);
	pthread_join(thread, NULL);
	print_message(
	    "gateway RSS %ld kB before the crowd; during it VmHWM %ld kB, VmRSS %ld kB\n", rss_before, hwm, rss);
	print_message("crowd: %ld connections opened, %ld dropped by the gateway, %ld answered 413\n",
	    atomic_load(&f->opened), atomic_load(&f->dropped), atomic_load(&f->refused));
	print_message("signed webhooks: %ld of %d accepted, mean %ld ms, slowest %ld ms\n", ss.ok, SIGNED,
	    ss.total_ms / SIGNED, ss.max_ms);
	print_message(
	    "campaign: %lld of %d sent during the crowd, all of them in %lld ms\n", sent_during, CAMPAIGN, campaign_ms);
	free(f->near);
	free(f->huge);
	free(f);
	assert_true(hwm > 0 && hwm < RSS_LIMIT_KB);
	assert_int_equal(ss.ok, SIGNED);
	assert_true(ss.max_ms < 2000);
	assert_int_equal(sent_during, CAMPAIGN);
	/* The gateway said what it did to the crowd. */
	assert_true(harness_metric(h, "amuddu_webhook_requests_total{provider=\"twilio\",result=\"evicted\"} ") > 0);
	assert_true(
	    harness_metric(h, "amuddu_webhook_requests_total{provider=\"whatsapp\",result=\"too_large\"} ") > 0);
	assert_int_equal(
	    harness_metric(h, "amuddu_webhook_requests_total{provider=\"twilio\",result=\"ok\"} "), SIGNED / 2);
	assert_int_equal(
	    harness_metric(h, "amuddu_webhook_requests_total{provider=\"whatsapp\",result=\"ok\"} "), SIGNED / 2);
	{
		struct harness_http hc = { 0 };

		ready_code = harness_request(&hc, h->gateway_port, "GET", "/readyz", NULL, NULL, 0, NULL);
		harness_http_close(&hc);
	}
	assert_int_equal(ready_code, 200);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_flood_during_campaign, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
