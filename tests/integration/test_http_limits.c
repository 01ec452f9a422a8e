/*
 * The HTTP server's bounds, one at a time: the descriptor limit raised at
 * start, a request cut at request_timeout_ms from its first byte however
 * slowly it trickles, and accept paused (not spinning) when descriptors run
 * out, then resumed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "tests/integration/harness.h"

#define SLOW_HEAD                                                                                                      \
	"POST /webhooks/twilio/status HTTP/1.1\r\nHost: 127.0.0.1\r\n"                                                 \
	"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\nMessageSid=SM1"

static int setup(void **state);
static int teardown(void **state);
static void start(struct harness *h, const char *http, long soft, long hard);
static int slow_connect(int port);
static long proc_limit_nofile(pid_t pid);
static long proc_cpu_ticks(pid_t pid);
static int proc_fd_count(pid_t pid);
static int log_count(struct harness *h, const char *needle);

static int
setup(void **state)
{
	struct harness *h = calloc(1, sizeof *h);

	harness_init(h, "limits");
	harness_redis_start(h, false);
	harness_sandbox_start(h, NULL);
	*state = h;
	return 0;
}

static int
teardown(void **state)
{
	assert_int_equal(harness_finish(*state, 20000), 0);
	return 0;
}

/* Starts the gateway with [http] settings http and RLIMIT_NOFILE soft/hard (0: inherited). */
static void
start(struct harness *h, const char *http, long soft, long hard)
{
	char extra[256];

	snprintf(extra, sizeof extra, "[http]\n%s\n", http);
	harness_gateway_config(h, 0, extra);
	h->gateway_nofile[0] = soft;
	h->gateway_nofile[1] = hard;
	harness_gateway_start(h);
	harness_gateway_wait_http(h);
}

/* A connection that has sent the start of a request to the gateway; the caller closes it. */
static int
slow_connect(int port)
{
	struct sockaddr_in sa;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	assert_int_equal(send(fd, SLOW_HEAD, strlen(SLOW_HEAD), MSG_NOSIGNAL), (ssize_t)strlen(SLOW_HEAD));
	return fd;
}

/* The soft "Max open files" of a process, or -1. */
static long
proc_limit_nofile(pid_t pid)
{
	char path[64], line[256];
	long v = -1;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%ld/limits", (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof line, f) != NULL)
		if (strncmp(line, "Max open files", 14) == 0)
			v = strtol(line + 14, NULL, 10);
	fclose(f);
	return v;
}

/* User and system CPU time of a process, in clock ticks. */
static long
proc_cpu_ticks(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long ut = 0, st = 0;
	FILE *f;
	size_t n;

	snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* After the command name in parentheses: state is field 3, utime 14, stime 15. */
	if ((p = strrchr(buf, ')')) == NULL ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
		return -1;
	return (long)(ut + st);
}

static int
proc_fd_count(pid_t pid)
{
	char path[64];
	struct dirent *e;
	int n = 0;
	DIR *d;

	snprintf(path, sizeof path, "/proc/%ld/fd", (long)pid);
	if ((d = opendir(path)) == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/* Lines of the gateway's log that contain needle. */
static int
log_count(struct harness *h, const char *needle)
{
	char path[400], line[1024];
	int n = 0;
	FILE *f;

	snprintf(path, sizeof path, "%s/gateway.log", h->dir);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	while (fgets(line, sizeof line, f) != NULL)
		if (strstr(line, needle) != NULL)
			n++;
	fclose(f);
	return n;
}

/* A service manager's low soft limit is raised to the hard one, so max_connections fits. */
static void
test_nofile_raised(void **state)
{
	struct harness *h = *state;

	start(h, "", 256, 4096);
	assert_int_equal(proc_limit_nofile(h->gateway_pid), 4096);
	assert_int_equal(log_count(h, "descriptor limit raised from 256 to 4096"), 1);
}

/* evhttp's own timeout restarts on every byte; the deadline does not. */
static void
test_trickle_cut_at_deadline(void **state)
{
	struct harness *h = *state;
	long long t0, closed_ms = -1;
	char c;
	int fd;

	start(h, "request_timeout_ms = 1000", 0, 0);
	fd = slow_connect(h->gateway_port);
	t0 = harness_now_ms();
	/* One more byte every 100 ms: a new read long before any per-read timeout. */
	while (harness_now_ms() - t0 < 5000) {
		struct pollfd p = { fd, POLLIN, 0 };

		if (send(fd, "x", 1, MSG_NOSIGNAL) != 1 || (poll(&p, 1, 100) > 0 && recv(fd, &c, 1, 0) <= 0)) {
			closed_ms = harness_now_ms() - t0;
			break;
		}
	}
	close(fd);
	print_message("a request trickling a byte every 100 ms was cut after %lld ms\n", closed_ms);
	assert_true(closed_ms >= 900 && closed_ms < 2500);
	assert_int_equal(
	    harness_metric(h, "amuddu_webhook_requests_total{provider=\"twilio\",result=\"timeout\"} "), 1);
	assert_int_equal(harness_metric(h, "amuddu_webhook_requests_total{provider=\"none\",result=\"timeout\"} "), 0);
}

/*
 * With 40 descriptors in all, 60 connections exhaust them: accept pauses
 * (the loop does not spin), the connections it holds are cut at their
 * deadline, and once the crowd is gone the server answers again.
 */
static void
test_accept_paused_without_descriptors(void **state)
{
	struct harness *h = *state;
	struct harness_http hc = { 0 };
	int fds[60], nfd;
	long cpu0, cpu1;
	long long t0, ms;
	long code;

	start(h, "request_timeout_ms = 1500", 40, 40);
	assert_int_equal(log_count(h, "descriptor limit 40 is under max_connections=256"), 1);
	for (int i = 0; i < 60; i++)
		fds[i] = slow_connect(h->gateway_port);
	harness_sleep_ms(300);
	nfd = proc_fd_count(h->gateway_pid);
	cpu0 = proc_cpu_ticks(h->gateway_pid);
	harness_sleep_ms(1000);
	cpu1 = proc_cpu_ticks(h->gateway_pid);
	print_message("out of descriptors (%d open): %ld CPU ticks in 1 s, %d pauses logged\n", nfd, cpu1 - cpu0,
	    log_count(h, "pausing for 1 s"));
	/* The limit counts every descriptor, and the gateway holds them all (one more may be inherited). */
	assert_true(nfd >= 40);
	assert_true(log_count(h, "accept failed (Too many open files): pausing for 1 s") >= 1);
	/* A loop spinning on accept would burn the whole second (100 ticks); a paused one sleeps. */
	assert_true(cpu1 - cpu0 < 30);
	assert_true(log_count(h, "pausing for 1 s") <= 3);
	/* The connections it holds are cut 1.5 s after their first byte, freeing descriptors. */
	harness_sleep_ms(700);
	for (int i = 0; i < 60; i++)
		close(fds[i]);
	t0 = harness_now_ms();
	code = harness_request(&hc, h->gateway_port, "GET", "/healthz", NULL, NULL, 0, NULL);
	ms = harness_now_ms() - t0;
	harness_http_close(&hc);
	print_message("the crowd gone, /healthz answered %ld after %lld ms\n", code, ms);
	assert_int_equal(code, 200);
	assert_true(ms < 4000);
	assert_true(harness_metric(h, "amuddu_webhook_requests_total{provider=\"twilio\",result=\"timeout\"} ") >= 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_nofile_raised, setup, teardown),
		cmocka_unit_test_setup_teardown(test_trickle_cut_at_deadline, setup, teardown),
		cmocka_unit_test_setup_teardown(test_accept_paused_without_descriptors, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
