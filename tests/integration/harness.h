/*
 * Integration test harness: starts a private redis-server (unix socket in
 * a temporary run directory), the sandbox provider and the gateway as real
 * processes, and gives tests synchronous Redis and HTTP access to them.
 */
#ifndef AMUDDU_HARNESS_H
#define AMUDDU_HARNESS_H

#include <hiredis/hiredis.h>
#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

#define HARNESS_PREFIX "t:"
#define HARNESS_SID "AC00000000000000000000000000000000"
#define HARNESS_TOKEN "sandbox-token"

struct harness {
	char dir[256];
	char build[256];
	char redis_sock[320];
	char config[320];
	pid_t redis_pid, sandbox_pid, gateway_pid, prism_pid;
	int sandbox_port, prism_port;
	int gateway_port; /* the gateway's HTTP server, chosen by harness_gateway_config() */
	redisContext *r;
	int gateway_starts;
	pid_t extra_pids[8]; /* gateways started with harness_gateway_spawn() */
	size_t nextra;
	bool start_signals_blocked;    /* spawn the gateway with SIGTERM/SIGINT blocked (the mask survives exec) */
	const char *const *redis_args; /* more redis-server arguments (NULL-terminated), or NULL */
	long gateway_nofile[2];        /* spawn the gateway with this soft and hard RLIMIT_NOFILE (0: inherited) */
	/*
	 * Run the gateway under libfaketime from this local time on
	 * ("2026-08-14 10:00:00"), its clock moving on from there; NULL: the
	 * real clock. Redis and the sandbox keep the real one.
	 */
	const char *gateway_faketime;
};

void harness_init(struct harness *h, const char *name);
void harness_cleanup(struct harness *h);
/*
 * The end of a test whose gateway must stop cleanly: SIGTERM, up to
 * timeout_ms for it to exit, then harness_cleanup() and h freed, so that a
 * failed assertion on the returned exit code leaves no process behind.
 */
int harness_finish(struct harness *h, int timeout_ms);

void harness_redis_start(struct harness *h, bool aof);
/* Graceful SHUTDOWN (persists the AOF), then waits for the process to end. */
void harness_redis_stop(struct harness *h);

/* extra: NULL-terminated list of extra sandbox arguments. */
void harness_sandbox_start(struct harness *h, const char *const *extra);
void harness_sandbox_stop(struct harness *h);
/*
 * The path of a provider's OpenAPI file, looked for in $AMUDDU_SPECS, then
 * ../shared/specs, then (Twilio's only) the npm package @twilio-alpha/mcp
 * in .deps/. NULL when none has it, with where it looked written to why.
 */
const char *harness_spec_path(const char *name, char *why, size_t whylen);
/* AMUDDU_REQUIRE_SPECS=1 (CI): a missing description fails the conformance tests instead of skipping them. */
bool harness_specs_required(void);
/* Serves a provider's OpenAPI description with Prism (validating, --errors). */
void harness_prism_start(struct harness *h, const char *spec);
/* Prism's validating proxy for spec in front of upstream_port (on h->prism_port): requests and answers are checked. */
void harness_prism_proxy_start(struct harness *h, const char *spec, int upstream_port);
void harness_prism_stop(struct harness *h);

/* Writes the gateway config aimed at the sandbox (or Prism when port > 0), plus extra INI text. */
void harness_gateway_config(struct harness *h, int provider_port, const char *extra);
void harness_gateway_start(struct harness *h);
/*
 * Starts one more gateway process, consumer, with its own config (the
 * same as harness_gateway_config() writes, HTTP on a free port) and log
 * (gateway-<consumer>.log); returns its pid. Killed at cleanup.
 */
pid_t harness_gateway_spawn(struct harness *h, const char *consumer, const char *extra);
void harness_pid_signal(pid_t pid, int sig);
/* Waits for pid to exit; its exit status, 128 + signal, or -1 on timeout (then kills it). */
int harness_pid_wait(struct harness *h, pid_t pid, int timeout_ms);
/* Closes every Redis client connection called name (CLIENT SETNAME); returns how many. */
int harness_client_kill(struct harness *h, const char *name);
/* Waits until the gateway answers GET /healthz; fails the test after 10 s. */
void harness_gateway_wait_http(struct harness *h);
void harness_gateway_signal(struct harness *h, int sig);
/* Waits for the gateway to exit; returns its exit status, or -1 on timeout (then kills it). */
int harness_gateway_wait(struct harness *h, int timeout_ms);

redisReply *harness_cmd(struct harness *h, const char *fmt, ...);
/* XADD t:outbox:<lane> * name value ... (NULL-terminated); returns the entry id (static buffer). */
const char *harness_xadd(struct harness *h, const char *lane, ...) __attribute__((sentinel));
/* Number of delivery log events with this state (all states when NULL). */
long long harness_log_count(struct harness *h, const char *state);
long long harness_hget_ll(struct harness *h, const char *key, const char *field);
long long harness_stream_len(struct harness *h, const char *key);
/* A field of the message record of id (its key form), or NULL; caller frees. */
char *harness_msg_field(struct harness *h, const char *id, const char *field);
/* The dl_reason of the first dead-letter entry whose dl_id or original "to" is key, or NULL; caller frees. */
char *harness_deadletter_reason(struct harness *h, const char *key);
/* Polls until harness_log_count(state) >= n or the timeout; returns the last count. */
long long harness_wait_log(struct harness *h, const char *state, long long n, int timeout_ms);

/* GET or POST to the sandbox; returns the JSON answer (caller json_decref) or NULL. */
json_t *harness_sandbox_get(struct harness *h, const char *path);
long long harness_sandbox_stat(struct harness *h, const char *name);
/* POSTs a form body, with Basic credentials "user:password" when userpwd is set; returns the status. */
long harness_http_post(int port, const char *path, const char *body, const char *userpwd);

/* A loopback TCP port that was free a moment ago. */
int harness_free_port(void);
/* The gateway's HTTP port, chosen now if it is not yet (so the sandbox can be told before it starts). */
int harness_gateway_port(struct harness *h);

/* One HTTP exchange on a reusable connection (keep-alive between calls with the same struct). */
struct harness_http {
	void *curl;
	char *headers; /* the last answer's header lines, as received (harness_http_close() frees) */
};
/*
 * method "GET"/"POST"/…; headers NULL-terminated "Name: value" strings or
 * NULL; body of len bytes or NULL. Returns the status (-1 no answer) and,
 * when out is set, the answer's body (caller frees).
 */
long harness_request(struct harness_http *hc, int port, const char *method, const char *path,
    const char *const *headers, const char *body, size_t len, char **out);
void harness_http_close(struct harness_http *hc);
/* The value of the first line of the gateway's /metrics starting with line_prefix, or -1. */
long harness_metric(struct harness *h, const char *line_prefix);
/* The providers' signatures, computed here independently of the gateway's code. */
void harness_sign_twilio(const char *token, const char *url, const char *form, char out[64]);
void harness_sign_meta(const char *secret, const char *body, size_t len, char out[80]);
/* The API tokens harness_api_section() configures, one per role. */
#define HARNESS_AGENT_SECRET "agent-secret-1"
#define HARNESS_MONITORING_SECRET "monitoring-secret-2"
#define HARNESS_ADMIN_SECRET "admin-secret-3"
/*
 * Appends an [api] section to out (len bytes in all) with a token per
 * role: agent-rabat (agent), me-team (monitoring) and admin (admin), their
 * hashes computed here with OpenSSL, not by the gateway's code.
 */
void harness_api_section(char *out, size_t len);
/*
 * One /v1 call to port: auth is the whole Authorization value or NULL,
 * type the Content-Type or NULL, extra one more "Name: value" header or
 * NULL. Returns the status; *answer is the answer's JSON (NULL when it is
 * none; the caller frees).
 */
long harness_api(int port, const char *method, const char *path, const char *auth, const char *type, const char *body,
    size_t len, const char *extra, json_t **answer);
/* A new harness (name): Redis, the sandbox and a gateway with those tokens and extra config, answering HTTP. */
struct harness *harness_api_new(const char *name, const char *extra);
/* A cmocka group teardown: harness_finish() of *state; fails when the gateway did not stop cleanly. */
int harness_teardown(void **state);
/* The keyed pseudonym the gateway gives a number (as the delivery log shows it). */
void harness_person(const char *e164, char out[32]);
/* Sandbox stats member a.b (e.g. "callbacks", "pending"), or -1. */
long long harness_sandbox_stat2(struct harness *h, const char *a, const char *b);

void harness_sleep_ms(int ms);
long long harness_now_ms(void);

/*
 * Pipelined XADD of n messages to lane: id "<tag>-<i>", a Moroccan mobile
 * number varying with i, text "<tag> message <i><suffix>", campaign tag.
 */
void harness_xadd_burst(struct harness *h, const char *lane, const char *tag, int n, const char *suffix);
/*
 * Of the messages "<tag> message <i>" the sandbox accepted (its record
 * file), how many have no recorded outcome (state not sent, retry_wait
 * or queued again for a retry). 0 is what every test wants.
 */
long long harness_accepted_unrecorded(struct harness *h, const char *tag);

#endif
