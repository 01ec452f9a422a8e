/*
 * The integration harness: real processes on a temporary run directory,
 * killed and cleaned up at the end of each test (set AMUDDU_KEEP=1 to keep
 * the directory and its logs for a look after a failure).
 */
#include "tests/integration/harness.h"

#include <curl/curl.h>
#include <errno.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "gateway/util/buf.h"
#include "gateway/util/phone.h"

static pid_t harness_spawn(struct harness *h, const char *logname, char *const argv[]);
static void harness_kill(pid_t *pid, int sig);
static void harness_prism_run(struct harness *h, const char *spec, int upstream_port);
static int harness_wait_pid(pid_t pid, int timeout_ms);
static void harness_die(const char *what) __attribute__((noreturn));
static int harness_read_port(const char *path, int timeout_ms);
static size_t harness_curl_write(char *p, size_t sz, size_t n, void *u);
static long harness_http(int port, const char *path, const char *body, struct buf *out);
static long harness_http_auth(int port, const char *path, const char *body, const char *userpwd, struct buf *out);

static void
harness_die(const char *what)
{
	fprintf(stderr, "harness: %s\n", what);
	abort();
}

void
harness_sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

long long
harness_now_ms(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (long long)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

void
harness_init(struct harness *h, const char *name)
{
	const char *b = getenv("AMUDDU_BUILD_DIR");

	memset(h, 0, sizeof *h);
	snprintf(h->dir, sizeof h->dir, "/tmp/amuddu-%s.XXXXXX", name);
	if (mkdtemp(h->dir) == NULL)
		harness_die("mkdtemp failed");
	snprintf(h->build, sizeof h->build, "%s", b != NULL ? b : "build/default");
	snprintf(h->redis_sock, sizeof h->redis_sock, "%s/redis.sock", h->dir);
	snprintf(h->config, sizeof h->config, "%s/gateway.ini", h->dir);
	signal(SIGPIPE, SIG_IGN);
}

void
harness_cleanup(struct harness *h)
{
	char cmd[400];

	harness_kill(&h->gateway_pid, SIGKILL);
	for (size_t i = 0; i < h->nextra; i++)
		harness_kill(&h->extra_pids[i], SIGKILL);
	harness_prism_stop(h);
	harness_sandbox_stop(h);
	if (h->r != NULL)
		redisFree(h->r);
	h->r = NULL;
	harness_kill(&h->redis_pid, SIGKILL);
	if (getenv("AMUDDU_KEEP") == NULL) {
		snprintf(cmd, sizeof cmd, "rm -rf '%s'", h->dir);
		if (system(cmd) != 0)
			fprintf(stderr, "harness: cannot remove %s\n", h->dir);
	} else
		fprintf(stderr, "harness: kept %s\n", h->dir);
}

/* In the child: the environment that puts libfaketime under the program about to be run. */
static void
harness_faketime(const char *at)
{
	static const char *const libs[] = { "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1",
		"/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1", "/usr/lib/faketime/libfaketime.so.1" };
	const char *asan = getenv("ASAN_OPTIONS");
	char fake[64], opts[512];

	for (size_t i = 0; i < sizeof libs / sizeof libs[0]; i++) {
		if (access(libs[i], R_OK) == 0) {
			setenv("LD_PRELOAD", libs[i], 1);
			break;
		}
	}
	snprintf(fake, sizeof fake, "@%s", at);
	setenv("FAKETIME", fake, 1);
	/* Timers (libevent, curl) keep the real monotonic clock; only the wall clock is moved. */
	setenv("FAKETIME_DONT_FAKE_MONOTONIC", "1", 1);
	setenv("FAKETIME_NO_CACHE", "1", 1);
	/* The sanitizers' runtime wants to come first; the preloaded library is harmless before it. */
	snprintf(opts, sizeof opts, "%s%sverify_asan_link_order=0", asan != NULL ? asan : "",
	    asan != NULL && *asan != '\0' ? ":" : "");
	setenv("ASAN_OPTIONS", opts, 1);
}

static pid_t
harness_spawn(struct harness *h, const char *logname, char *const argv[])
{
	char path[400];
	sigset_t stop, old;
	pid_t pid;
	int fd;

	snprintf(path, sizeof path, "%s/%s", h->dir, logname);
	/* Blocked around fork(), so the child holds them from its first instruction. */
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	if (h->start_signals_blocked)
		sigprocmask(SIG_BLOCK, &stop, &old);
	if ((pid = fork()) < 0)
		harness_die("fork failed");
	if (pid > 0 && h->start_signals_blocked)
		sigprocmask(SIG_SETMASK, &old, NULL);
	if (pid == 0) {
		fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0644);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
			close(fd);
		}
		setpgid(0, 0);
		if (strcmp(logname, "gateway.log") == 0 && h->gateway_nofile[1] > 0) {
			struct rlimit rl = { (rlim_t)h->gateway_nofile[0], (rlim_t)h->gateway_nofile[1] };

			if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
				fprintf(stderr, "setrlimit: %s\n", strerror(errno));
		}
		if (strstr(logname, "gateway") != NULL && h->gateway_faketime != NULL)
			harness_faketime(h->gateway_faketime);
		execvp(argv[0], argv);
		fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	return pid;
}

static int
harness_wait_pid(pid_t pid, int timeout_ms)
{
	long long end = harness_now_ms() + timeout_ms;
	int status;
	pid_t r;

	do {
		r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		if (r < 0)
			return -2;
		harness_sleep_ms(10);
	} while (harness_now_ms() < end);
	return -1;
}

static void
harness_kill(pid_t *pid, int sig)
{
	if (*pid <= 0)
		return;
	kill(*pid, sig);
	if (harness_wait_pid(*pid, 10000) == -1) {
		kill(*pid, SIGKILL);
		harness_wait_pid(*pid, 5000);
	}
	*pid = 0;
}

void
harness_redis_start(struct harness *h, bool aof)
{
	char *argv[48] = { "redis-server", "--port", "0", "--unixsocket", h->redis_sock, "--unixsocketperm", "700",
		"--dir", h->dir, "--save", "", "--appendonly", aof ? "yes" : "no", "--appendfsync", "everysec", NULL };
	long long end = harness_now_ms() + 10000;
	size_t argc = 15; /* the arguments above */

	for (size_t i = 0; h->redis_args != NULL && h->redis_args[i] != NULL; i++) {
		if (argc + 1 >= sizeof argv / sizeof argv[0])
			harness_die("too many redis-server arguments");
		argv[argc++] = (char *)h->redis_args[i];
	}
	argv[argc] = NULL;

	if (h->r != NULL) {
		redisFree(h->r);
		h->r = NULL;
	}
	h->redis_pid = harness_spawn(h, "redis.log", argv);
	while (harness_now_ms() < end) {
		redisContext *c = redisConnectUnix(h->redis_sock);
		redisReply *rep;

		if (c != NULL && c->err == 0) {
			rep = redisCommand(c, "PING");
			if (rep != NULL && rep->type == REDIS_REPLY_STATUS) {
				freeReplyObject(rep);
				h->r = c;
				return;
			}
			if (rep != NULL)
				freeReplyObject(rep);
		}
		if (c != NULL)
			redisFree(c);
		harness_sleep_ms(20);
	}
	harness_die("redis-server did not start");
}

void
harness_redis_stop(struct harness *h)
{
	redisReply *rep;

	if (h->r != NULL) {
		rep = redisCommand(h->r, "SHUTDOWN");
		if (rep != NULL)
			freeReplyObject(rep);
		redisFree(h->r);
		h->r = NULL;
	}
	if (h->redis_pid > 0 && harness_wait_pid(h->redis_pid, 10000) == -1)
		kill(h->redis_pid, SIGKILL);
	h->redis_pid = 0;
}

static int
harness_read_port(const char *path, int timeout_ms)
{
	long long end = harness_now_ms() + timeout_ms;
	FILE *f;
	int port;

	while (harness_now_ms() < end) {
		if ((f = fopen(path, "r")) != NULL) {
			if (fscanf(f, "%d", &port) == 1 && port > 0) {
				fclose(f);
				return port;
			}
			fclose(f);
		}
		harness_sleep_ms(20);
	}
	return -1;
}

void
harness_sandbox_start(struct harness *h, const char *const *extra)
{
	char portfile[400], record[400], sandbox[400];
	char *argv[64];
	int argc = 0;

	snprintf(portfile, sizeof portfile, "%s/sandbox.port", h->dir);
	snprintf(record, sizeof record, "%s/sandbox.record", h->dir);
	snprintf(sandbox, sizeof sandbox, "%s/amuddu-sandbox", h->build);
	unlink(portfile);
	argv[argc++] = sandbox;
	argv[argc++] = "--listen";
	argv[argc++] = "127.0.0.1:0";
	argv[argc++] = "--port-file";
	argv[argc++] = portfile;
	argv[argc++] = "--record";
	argv[argc++] = record;
	argv[argc++] = "--account-sid";
	argv[argc++] = HARNESS_SID;
	argv[argc++] = "--auth-token";
	argv[argc++] = HARNESS_TOKEN;
	for (int i = 0; extra != NULL && extra[i] != NULL && argc < 62; i++)
		argv[argc++] = (char *)extra[i];
	argv[argc] = NULL;
	h->sandbox_pid = harness_spawn(h, "sandbox.log", argv);
	if ((h->sandbox_port = harness_read_port(portfile, 10000)) < 0)
		harness_die("sandbox did not start");
}

void
harness_sandbox_stop(struct harness *h)
{
	harness_kill(&h->sandbox_pid, SIGTERM);
}

int
harness_free_port(void)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof sa;
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) != 0)
		harness_die("cannot find a free port");
	port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

/*
 * Where each description may also come from an npm package that
 * scripts/install-deps puts in .deps/, so that a bare clone runs its
 * conformance test too. Meta publishes its description in no npm package.
 */
static const struct {
	const char *name;
	const char *dir;
} harness_spec_packages[] = {
	{ "twilio_api_v2010.json", ".deps/node_modules/@twilio-alpha/mcp/twilio-oai/spec/json" },
};

const char *
harness_spec_path(const char *name, char *why, size_t whylen)
{
	static char path[512];
	const char *env = getenv("AMUDDU_SPECS");
	const char *dirs[3];
	size_t n = 0;
	struct buf b;

	if (env != NULL && *env != '\0')
		dirs[n++] = env;
	dirs[n++] = "../shared/specs";
	for (size_t i = 0; i < sizeof harness_spec_packages / sizeof harness_spec_packages[0]; i++)
		if (strcmp(harness_spec_packages[i].name, name) == 0)
			dirs[n++] = harness_spec_packages[i].dir;
	for (size_t i = 0; i < n; i++) {
		snprintf(path, sizeof path, "%s/%s", dirs[i], name);
		if (access(path, R_OK) == 0)
			return path;
	}
	buf_init(&b);
	buf_printf(&b, "%s not found in", name);
	if (env == NULL || *env == '\0')
		buf_puts(&b, " $AMUDDU_SPECS (unset),");
	for (size_t i = 0; i < n; i++)
		buf_printf(&b, " %s%s", dirs[i], i + 1 < n ? "," : "");
	snprintf(why, whylen, "%.*s", (int)b.len, b.data != NULL ? b.data : "");
	buf_free(&b);
	return NULL;
}

bool
harness_specs_required(void)
{
	const char *v = getenv("AMUDDU_REQUIRE_SPECS");

	return v != NULL && *v != '\0' && strcmp(v, "0") != 0;
}

void
harness_prism_start(struct harness *h, const char *spec)
{
	harness_prism_run(h, spec, 0);
}

void
harness_prism_proxy_start(struct harness *h, const char *spec, int upstream_port)
{
	harness_prism_run(h, spec, upstream_port);
}

/* Prism as a mock of spec, or (upstream_port > 0) as a validating proxy in front of that port. */
static void
harness_prism_run(struct harness *h, const char *spec, int upstream_port)
{
	char port[16], prism[400], upstream[64];
	char *mock[] = { prism, "mock", "-h", "127.0.0.1", "-p", port, "--errors", (char *)spec, NULL };
	char *proxy[] = { prism, "proxy", "-h", "127.0.0.1", "-p", port, "--errors", (char *)spec, upstream, NULL };
	char **argv = upstream_port > 0 ? proxy : mock;
	long long end = harness_now_ms() + 120000;

	snprintf(prism, sizeof prism, ".deps/node_modules/.bin/prism");
	/* Prism cannot report the port it took, so take one the kernel says is free now. */
	h->prism_port = harness_free_port();
	snprintf(port, sizeof port, "%d", h->prism_port);
	snprintf(upstream, sizeof upstream, "http://127.0.0.1:%d", upstream_port);
	h->prism_pid = harness_spawn(h, "prism.log", argv);
	while (harness_now_ms() < end) {
		if (harness_http(h->prism_port, "/", NULL, NULL) > 0)
			return;
		if (waitpid(h->prism_pid, NULL, WNOHANG) == h->prism_pid)
			harness_die("prism exited at start (see prism.log)");
		harness_sleep_ms(200);
	}
	harness_die("prism did not start");
}

void
harness_prism_stop(struct harness *h)
{
	if (h->prism_pid > 0)
		kill(-h->prism_pid, SIGTERM);
	harness_kill(&h->prism_pid, SIGTERM);
}

/* A gateway configuration aimed at the sandbox (or provider_port), listening on listen_port. */
static void
harness_write_config(
    struct harness *h, const char *path, int provider_port, int listen_port, const char *consumer, const char *extra)
{
	FILE *f = fopen(path, "w");

	if (f == NULL)
		harness_die("cannot write gateway config");
	fprintf(f,
	    "[redis]\nurl = unix://%s\nprefix = " HARNESS_PREFIX "\n\n"
	    "[http]\nlisten = 127.0.0.1:%d\n\n"
	    "[twilio]\nbase_url = http://127.0.0.1:%d\naccount_sid = " HARNESS_SID "\n"
	    "auth_token = " HARNESS_TOKEN "\nfrom = +15005550006\n\n"
	    "[gateway]\nmax_inflight = 64\nclaim_idle_ms = 3000\nrequest_timeout_ms = 1500\n"
	    "connect_timeout_ms = 500\nretry_base_ms = 100\nretry_max_ms = 1000\nmax_attempts = 4\n"
	    "shutdown_timeout_ms = 5000\npseudonym_key = test-key\nquiet_hours = off\nconsumer = %s\n\n"
	    /* Tests of other things count what the sandbox was sent: no automatic answers unless asked for. */
	    "[replies]\nenabled = no\n\n%s\n",
	    h->redis_sock, listen_port, provider_port > 0 ? provider_port : h->sandbox_port, consumer,
	    extra != NULL ? extra : "");
	fclose(f);
}

void
harness_gateway_config(struct harness *h, int provider_port, const char *extra)
{
	if (h->gateway_port == 0)
		h->gateway_port = harness_free_port();
	harness_write_config(h, h->config, provider_port, h->gateway_port, "gw-test", extra);
}

pid_t
harness_gateway_spawn(struct harness *h, const char *consumer, const char *extra)
{
	char gw[400], config[400], log[128];
	char *argv[] = { gw, "--config", config, NULL };

	snprintf(gw, sizeof gw, "%s/amuddu-gateway", h->build);
	snprintf(config, sizeof config, "%s/gateway-%s.ini", h->dir, consumer);
	snprintf(log, sizeof log, "gateway-%s.log", consumer);
	harness_write_config(h, config, 0, harness_free_port(), consumer, extra);
	if (h->nextra >= sizeof h->extra_pids / sizeof h->extra_pids[0])
		harness_die("too many gateway processes");
	return h->extra_pids[h->nextra++] = harness_spawn(h, log, argv);
}

void
harness_pid_signal(pid_t pid, int sig)
{
	if (pid > 0)
		kill(pid, sig);
}

int
harness_pid_wait(struct harness *h, pid_t pid, int timeout_ms)
{
	int rc = harness_wait_pid(pid, timeout_ms);

	if (rc == -1) {
		kill(pid, SIGKILL);
		harness_wait_pid(pid, 5000);
	}
	for (size_t i = 0; i < h->nextra; i++)
		if (h->extra_pids[i] == pid)
			h->extra_pids[i] = 0; /* reaped: never signalled again */
	return rc;
}

int
harness_client_kill(struct harness *h, const char *name)
{
	redisReply *r = harness_cmd(h, "CLIENT LIST");
	char want[80], *p, *line;
	int killed = 0;

	snprintf(want, sizeof want, " name=%s ", name);
	for (line = r->str; line != NULL && *line != '\0'; line = p != NULL ? p + 1 : NULL) {
		p = strchr(line, '\n');
		if (p != NULL)
			*p = '\0';
		if (strstr(line, want) != NULL && strncmp(line, "id=", 3) == 0) {
			redisReply *k = harness_cmd(h, "CLIENT KILL ID %lld", strtoll(line + 3, NULL, 10));

			killed += k->type == REDIS_REPLY_INTEGER ? (int)k->integer : 0;
			freeReplyObject(k);
		}
	}
	freeReplyObject(r);
	return killed;
}

void
harness_gateway_start(struct harness *h)
{
	char gw[400];
	char *argv[] = { gw, "--config", h->config, NULL };

	snprintf(gw, sizeof gw, "%s/amuddu-gateway", h->build);
	h->gateway_starts++;
	h->gateway_pid = harness_spawn(h, "gateway.log", argv);
}

void
harness_gateway_signal(struct harness *h, int sig)
{
	if (h->gateway_pid > 0)
		kill(h->gateway_pid, sig);
}

int
harness_gateway_wait(struct harness *h, int timeout_ms)
{
	int rc;

	if (h->gateway_pid <= 0)
		return -2;
	rc = harness_wait_pid(h->gateway_pid, timeout_ms);
	if (rc == -1) {
		kill(h->gateway_pid, SIGKILL);
		harness_wait_pid(h->gateway_pid, 5000);
	}
	h->gateway_pid = 0;
	return rc;
}

redisReply *
harness_cmd(struct harness *h, const char *fmt, ...)
{
	va_list ap;
	redisReply *r;

	va_start(ap, fmt);
	r = redisvCommand(h->r, fmt, ap);
	va_end(ap);
	if (r == NULL) {
		fprintf(stderr, "harness: redis: %s\n", h->r->errstr);
		harness_die("redis command failed");
	}
	return r;
}

const char *
harness_xadd(struct harness *h, const char *lane, ...)
{
	static char id[64];
	const char *argv[64];
	size_t lens[64];
	char key[64];
	int argc = 0;
	va_list ap;
	const char *s;
	redisReply *r;

	snprintf(key, sizeof key, HARNESS_PREFIX "outbox:%s", lane);
	argv[argc++] = "XADD";
	argv[argc++] = key;
	argv[argc++] = "*";
	va_start(ap, lane);
	while ((s = va_arg(ap, const char *)) != NULL && argc < 63)
		argv[argc++] = s;
	va_end(ap);
	for (int i = 0; i < argc; i++)
		lens[i] = strlen(argv[i]);
	r = redisCommandArgv(h->r, argc, argv, lens);
	if (r == NULL || r->type != REDIS_REPLY_STRING)
		harness_die("XADD failed");
	snprintf(id, sizeof id, "%s", r->str);
	freeReplyObject(r);
	return id;
}

long long
harness_log_count(struct harness *h, const char *state)
{
	long long n = 0;
	char start[64] = "-";

	for (;;) {
		redisReply *r = harness_cmd(h, "XRANGE " HARNESS_PREFIX "log %s + COUNT 5000", start);
		size_t i;

		if (r->type != REDIS_REPLY_ARRAY || r->elements == 0) {
			freeReplyObject(r);
			return n;
		}
		for (i = 0; i < r->elements; i++) {
			redisReply *e = r->element[i], *f = e->element[1];

			for (size_t j = 0; j + 1 < f->elements; j += 2) {
				if (strcmp(f->element[j]->str, "state") == 0) {
					if (state == NULL || strcmp(f->element[j + 1]->str, state) == 0)
						n++;
					break;
				}
			}
		}
		snprintf(start, sizeof start, "(%s", r->element[r->elements - 1]->element[0]->str);
		freeReplyObject(r);
	}
}

long long
harness_hget_ll(struct harness *h, const char *key, const char *field)
{
	redisReply *r = harness_cmd(h, "HGET %s %s", key, field);
	long long v = r->type == REDIS_REPLY_STRING ? atoll(r->str) : 0;

	freeReplyObject(r);
	return v;
}

/* "token.<name> = <role> sha256:<hex>" for secret, appended to out. */
static void
harness_token_line(char *out, size_t len, const char *name, const char *role, const char *secret)
{
	unsigned char d[SHA256_DIGEST_LENGTH];
	char hex[2 * SHA256_DIGEST_LENGTH + 1];
	size_t used = strlen(out);

	SHA256((const unsigned char *)secret, strlen(secret), d);
	for (size_t i = 0; i < sizeof d; i++)
		snprintf(hex + 2 * i, 3, "%02x", d[i]);
	snprintf(out + used, len - used, "token.%s = %s sha256:%s\n", name, role, hex);
}

void
harness_api_section(char *out, size_t len)
{
	size_t used = strlen(out);

	snprintf(out + used, len - used, "\n[api]\n");
	harness_token_line(out, len, "agent-rabat", "agent", HARNESS_AGENT_SECRET);
	harness_token_line(out, len, "me-team", "monitoring", HARNESS_MONITORING_SECRET);
	harness_token_line(out, len, "admin", "admin", HARNESS_ADMIN_SECRET);
}

long
harness_api(int port, const char *method, const char *path, const char *auth, const char *type, const char *body,
    size_t len, const char *extra, json_t **answer)
{
	struct harness_http hc = { 0 };
	char ah[160], th[160], *out = NULL;
	const char *headers[4] = { NULL, NULL, NULL, NULL };
	size_t n = 0;
	long code;

	if (auth != NULL) {
		snprintf(ah, sizeof ah, "Authorization: %s", auth);
		headers[n++] = ah;
	}
	if (type != NULL) {
		snprintf(th, sizeof th, "Content-Type: %s", type);
		headers[n++] = th;
	}
	if (extra != NULL)
		headers[n++] = extra;
	code = harness_request(&hc, port, method, path, headers, body, len, &out);
	*answer = out != NULL ? json_loads(out, 0, NULL) : NULL;
	free(out);
	harness_http_close(&hc);
	return code;
}

int
harness_teardown(void **state)
{
	return harness_finish(*state, 10000) == 0 ? 0 : -1;
}

struct harness *
harness_api_new(const char *name, const char *extra)
{
	struct harness *h = calloc(1, sizeof *h);
	char config[2048];

	if (h == NULL)
		harness_die("out of memory");
	snprintf(config, sizeof config, "%s", extra != NULL ? extra : "");
	harness_api_section(config, sizeof config);
	harness_init(h, name);
	harness_redis_start(h, false);
	harness_sandbox_start(h, NULL);
	harness_gateway_config(h, 0, config);
	harness_gateway_start(h);
	harness_gateway_wait_http(h);
	return h;
}

char *
harness_msg_field(struct harness *h, const char *id, const char *field)
{
	redisReply *r = harness_cmd(h, "HGET " HARNESS_PREFIX "msg:%s %s", id, field);
	char *v = r->type == REDIS_REPLY_STRING ? strdup(r->str) : NULL;

	freeReplyObject(r);
	return v;
}

long long
harness_stream_len(struct harness *h, const char *key)
{
	redisReply *r = harness_cmd(h, "XLEN %s", key);
	long long v = r->type == REDIS_REPLY_INTEGER ? r->integer : -1;

	freeReplyObject(r);
	return v;
}

long long
harness_wait_log(struct harness *h, const char *state, long long n, int timeout_ms)
{
	long long end = harness_now_ms() + timeout_ms, c;

	for (;;) {
		c = harness_log_count(h, state);
		if (c >= n || harness_now_ms() > end)
			return c;
		harness_sleep_ms(50);
	}
}

static size_t
harness_curl_write(char *p, size_t sz, size_t n, void *u)
{
	if (u != NULL)
		buf_append(u, p, sz * n);
	return sz * n;
}

static long
harness_http(int port, const char *path, const char *body, struct buf *out)
{
	return harness_http_auth(port, path, body, NULL, out);
}

static long
harness_http_auth(int port, const char *path, const char *body, const char *userpwd, struct buf *out)
{
	CURL *c = curl_easy_init();
	char url[512];
	long code = 0;

	if (c == NULL)
		return -1;
	snprintf(url, sizeof url, "http://127.0.0.1:%d%s", port, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 5000L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, harness_curl_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
	if (body != NULL)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	if (userpwd != NULL)
		curl_easy_setopt(c, CURLOPT_USERPWD, userpwd);
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	else
		code = -1;
	curl_easy_cleanup(c);
	return code;
}

long
harness_http_post(int port, const char *path, const char *body, const char *userpwd)
{
	return harness_http_auth(port, path, body, userpwd, NULL);
}

json_t *
harness_sandbox_get(struct harness *h, const char *path)
{
	struct buf b;
	json_t *j = NULL;

	buf_init(&b);
	if (harness_http(h->sandbox_port, path, NULL, &b) == 200 && b.data != NULL)
		j = json_loads(b.data, 0, NULL);
	buf_free(&b);
	return j;
}

long long
harness_sandbox_stat(struct harness *h, const char *name)
{
	json_t *j = harness_sandbox_get(h, "/sandbox/stats");
	long long v = -1;

	if (j != NULL) {
		v = json_integer_value(json_object_get(j, name));
		json_decref(j);
	}
	return v;
}

void
harness_xadd_burst(struct harness *h, const char *lane, const char *tag, int n, const char *suffix)
{
	char key[64], id[64], to[32], text[160];
	redisReply *r;

	snprintf(key, sizeof key, HARNESS_PREFIX "outbox:%s", lane);
	for (int i = 0; i < n; i++) {
		snprintf(id, sizeof id, "%s-%d", tag, i);
		snprintf(to, sizeof to, "06%08d", i % 100000000);
		snprintf(text, sizeof text, "%s message %d%s", tag, i, suffix != NULL ? suffix : "");
		redisAppendCommand(
		    h->r, "XADD %s * id %s to %s text %s campaign %s kind training_offer", key, id, to, text, tag);
		if ((i + 1) % 1000 == 0 || i == n - 1) {
			for (int j = 0; j <= i % 1000; j++) {
				if (redisGetReply(h->r, (void **)&r) != REDIS_OK || r == NULL)
					harness_die("pipelined XADD failed");
				freeReplyObject(r);
			}
		}
	}
}

long long
harness_accepted_unrecorded(struct harness *h, const char *tag)
{
	char path[400], line[2048], prefix[80], id[96];
	long long missing = 0;
	FILE *f;

	json_decref(harness_sandbox_get(h, "/sandbox/stats")); /* flushes the record file */
	snprintf(path, sizeof path, "%s/sandbox.record", h->dir);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	snprintf(prefix, sizeof prefix, "%s message ", tag);
	while (fgets(line, sizeof line, f) != NULL) {
		char *body = line, *p;
		redisReply *r;

		for (int i = 0; i < 3 && body != NULL; i++)
			body = (p = strchr(body, '\t')) != NULL ? p + 1 : NULL;
		if (body == NULL || strncmp(body, prefix, strlen(prefix)) != 0)
			continue;
		snprintf(id, sizeof id, "%s-%ld", tag, strtol(body + strlen(prefix), NULL, 10));
		r = harness_cmd(h, "HGET " HARNESS_PREFIX "msg:%s state", id);
		if (r->type != REDIS_REPLY_STRING ||
		    (strcmp(r->str, "sent") != 0 && strcmp(r->str, "retry_wait") != 0 && strcmp(r->str, "queued") != 0))
			missing++;
		freeReplyObject(r);
	}
	fclose(f);
	return missing;
}

int
harness_gateway_port(struct harness *h)
{
	if (h->gateway_port == 0)
		h->gateway_port = harness_free_port();
	return h->gateway_port;
}

long
harness_request(struct harness_http *hc, int port, const char *method, const char *path, const char *const *headers,
    const char *body, size_t len, char **out)
{
	struct curl_slist *hl = NULL;
	struct buf b, hb;
	char url[1024];
	long code = -1;
	CURL *c;

	if (hc->curl == NULL && (hc->curl = curl_easy_init()) == NULL)
		return -1;
	c = hc->curl;
	curl_easy_reset(c);
	buf_init(&b);
	snprintf(url, sizeof url, "http://127.0.0.1:%d%s", port, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	/* A 100,000-row import under the sanitizers takes tens of seconds; a stuck server still fails the test. */
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 180000L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, harness_curl_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	buf_init(&hb);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, harness_curl_write);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &hb);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	if (body != NULL) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)len);
	}
	/* libcurl would otherwise wait for 100-continue on large bodies. */
	hl = curl_slist_append(hl, "Expect:");
	for (int i = 0; headers != NULL && headers[i] != NULL; i++)
		hl = curl_slist_append(hl, headers[i]);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	curl_slist_free_all(hl);
	if (out != NULL)
		*out = b.data != NULL ? buf_release(&b) : strdup("");
	buf_free(&b);
	free(hc->headers);
	hc->headers = hb.data != NULL ? buf_release(&hb) : strdup("");
	buf_free(&hb);
	return code;
}

void
harness_http_close(struct harness_http *hc)
{
	if (hc->curl != NULL)
		curl_easy_cleanup(hc->curl);
	hc->curl = NULL;
	free(hc->headers);
	hc->headers = NULL;
}

/* Percent-decoding of one form component, + as space. */
static char *
harness_form_decode(const char *s, size_t n)
{
	char *out = malloc(n + 1), *o = out;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == '+')
			*o++ = ' ';
		else if (s[i] == '%' && i + 2 < n) {
			char hex[3] = { s[i + 1], s[i + 2], 0 };

			*o++ = (char)strtol(hex, NULL, 16);
			i += 2;
		} else
			*o++ = s[i];
	}
	*o = '\0';
	return out;
}

struct harness_pair {
	char *name, *value;
};

static int
harness_pair_cmp(const void *a, const void *b)
{
	const struct harness_pair *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c != 0 ? c : strcmp(x->value, y->value);
}

/* Twilio's algorithm: URL, then each POST parameter's name and value, sorted by name. */
void
harness_sign_twilio(const char *token, const char *url, const char *form, char out[64])
{
	struct harness_pair pairs[64];
	size_t n = 0;
	struct buf data;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	const char *p = form;

	while (*p != '\0' && n < 64) {
		const char *amp = strchr(p, '&'), *end = amp != NULL ? amp : p + strlen(p);
		const char *eq = memchr(p, '=', (size_t)(end - p));

		if (eq != NULL) {
			pairs[n].name = harness_form_decode(p, (size_t)(eq - p));
			pairs[n].value = harness_form_decode(eq + 1, (size_t)(end - eq - 1));
			n++;
		}
		p = amp != NULL ? amp + 1 : end;
	}
	qsort(pairs, n, sizeof pairs[0], harness_pair_cmp);
	buf_init(&data);
	buf_puts(&data, url);
	for (size_t i = 0; i < n; i++) {
		buf_puts(&data, pairs[i].name);
		buf_puts(&data, pairs[i].value);
		free(pairs[i].name);
		free(pairs[i].value);
	}
	HMAC(EVP_sha1(), token, (int)strlen(token), (const unsigned char *)data.data, data.len, md, &mdlen);
	EVP_EncodeBlock((unsigned char *)out, md, (int)mdlen);
	buf_free(&data);
}

void
harness_sign_meta(const char *secret, const char *body, size_t len, char out[80])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)body, len, md, &mdlen);
	strcpy(out, "sha256=");
	for (unsigned int i = 0; i < mdlen; i++)
		snprintf(out + 7 + 2 * i, 3, "%02x", md[i]);
}

void
harness_person(const char *e164, char out[32])
{
	phone_pseudonym("test-key", e164, out);
}

long long
harness_sandbox_stat2(struct harness *h, const char *a, const char *b)
{
	json_t *j = harness_sandbox_get(h, "/sandbox/stats");
	long long v = -1;

	if (j != NULL) {
		json_t *o = json_object_get(json_object_get(j, a), b);

		if (json_is_integer(o))
			v = json_integer_value(o);
		json_decref(j);
	}
	return v;
}

void
harness_gateway_wait_http(struct harness *h)
{
	struct harness_http hc = { 0 };
	long long end = harness_now_ms() + 10000;

	while (harness_request(&hc, h->gateway_port, "GET", "/healthz", NULL, NULL, 0, NULL) != 200) {
		if (harness_now_ms() > end)
			harness_die("the gateway's HTTP server did not come up");
		harness_sleep_ms(20);
	}
	harness_http_close(&hc);
}

long
harness_metric(struct harness *h, const char *line_prefix)
{
	struct harness_http hc = { 0 };
	char *body = NULL, *p;
	long v = -1;

	if (harness_request(&hc, h->gateway_port, "GET", "/metrics", NULL, NULL, 0, &body) == 200 &&
	    (p = strstr(body, line_prefix)) != NULL)
		v = strtol(p + strlen(line_prefix), NULL, 10);
	free(body);
	harness_http_close(&hc);
	return v;
}

/* The dl_reason of the first dead-letter entry whose dl_id or original "to" is key, or NULL; caller frees. */
char *
harness_deadletter_reason(struct harness *h, const char *key)
{
	redisReply *r = harness_cmd(h, "XRANGE " HARNESS_PREFIX "deadletter - +");
	char *reason = NULL;

	for (size_t i = 0; i < r->elements && reason == NULL; i++) {
		redisReply *f = r->element[i]->element[1];
		const char *why = NULL;
		bool match = false;

		for (size_t j = 0; j + 1 < f->elements; j += 2) {
			const char *n = f->element[j]->str, *v = f->element[j + 1]->str;

			if (strcmp(n, "dl_reason") == 0)
				why = v;
			if ((strcmp(n, "dl_id") == 0 || strcmp(n, "to") == 0) && strcmp(v, key) == 0)
				match = true;
		}
		if (match && why != NULL)
			reason = strdup(why);
	}
	freeReplyObject(r);
	return reason;
}

int
harness_finish(struct harness *h, int timeout_ms)
{
	int rc;

	harness_gateway_signal(h, SIGTERM);
	rc = harness_gateway_wait(h, timeout_ms);
	harness_cleanup(h);
	free(h);
	return rc;
}
