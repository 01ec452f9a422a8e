/*
 * amuddu-sandbox: a local stand-in for the SMS and WhatsApp providers that
 * tests, the demo and benchmarks point the gateway at. This file owns
 * main(): options, the listening socket, signals, routing, and the order in
 * which everything is torn down.
 */
#include "sandbox.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>

#include "gateway/util/log.h"
#include "gateway/util/xmalloc.h"
#include "sandbox_callback.h"
#include "sandbox_control.h"
#include "sandbox_fault.h"
#include "sandbox_record.h"
#include "sandbox_reply.h"
#include "sandbox_stats.h"
#include "sandbox_twilio.h"
#include "sandbox_whatsapp.h"

#define SANDBOX_NAME "amuddu-sandbox"
#define SANDBOX_BACKLOG 4096
#define SANDBOX_MAX_BODY (1 << 20)
#define SANDBOX_MAX_HEADERS 16384
/*
 * evhttp closes a keep-alive connection idle for this many seconds. A held
 * ("timeout") request is not affected: evhttp neither reads nor writes
 * while the request is ours, so no timeout runs for it.
 */
#ifndef SANDBOX_IDLE_SECONDS
#define SANDBOX_IDLE_SECONDS 120
#endif

enum {
	SANDBOX_OPT_LISTEN = 256,
	SANDBOX_OPT_PORT_FILE,
	SANDBOX_OPT_RECORD,
	SANDBOX_OPT_ACCOUNT_SID,
	SANDBOX_OPT_AUTH_TOKEN,
	SANDBOX_OPT_SEED,
	SANDBOX_OPT_QUIET,
	SANDBOX_OPT_HELP,
	SANDBOX_OPT_FAULT,    /* every fault setting; the option name says which */
	SANDBOX_OPT_CALLBACK, /* likewise for callback settings */
	SANDBOX_OPT_WHATSAPP, /* and for the WhatsApp endpoint's */
};

static const struct option sandbox_options[] = {
	{ "listen", required_argument, NULL, SANDBOX_OPT_LISTEN },
	{ "port-file", required_argument, NULL, SANDBOX_OPT_PORT_FILE },
	{ "record", required_argument, NULL, SANDBOX_OPT_RECORD },
	{ "account-sid", required_argument, NULL, SANDBOX_OPT_ACCOUNT_SID },
	{ "auth-token", required_argument, NULL, SANDBOX_OPT_AUTH_TOKEN },
	{ "seed", required_argument, NULL, SANDBOX_OPT_SEED },
	{ "fail-500", required_argument, NULL, SANDBOX_OPT_FAULT },
	{ "fail-429", required_argument, NULL, SANDBOX_OPT_FAULT },
	{ "retry-after", required_argument, NULL, SANDBOX_OPT_FAULT },
	{ "fail-400", required_argument, NULL, SANDBOX_OPT_FAULT },
	{ "garbage", required_argument, NULL, SANDBOX_OPT_FAULT },
	{ "timeout", required_argument, NULL, SANDBOX_OPT_FAULT },
	{ "delay", required_argument, NULL, SANDBOX_OPT_FAULT },
	{ "delay-ms", required_argument, NULL, SANDBOX_OPT_FAULT },
	{ "callbacks", required_argument, NULL, SANDBOX_OPT_CALLBACK },
	{ "callback-delay-ms", required_argument, NULL, SANDBOX_OPT_CALLBACK },
	{ "callback-retries", required_argument, NULL, SANDBOX_OPT_CALLBACK },
	{ "callback-retry-ms", required_argument, NULL, SANDBOX_OPT_CALLBACK },
	{ "callback-timeout-ms", required_argument, NULL, SANDBOX_OPT_CALLBACK },
	{ "callback-connections", required_argument, NULL, SANDBOX_OPT_CALLBACK },
	{ "callback-queue", required_argument, NULL, SANDBOX_OPT_CALLBACK },
	{ "callback-header", required_argument, NULL, SANDBOX_OPT_CALLBACK },
	{ "wa-webhook", required_argument, NULL, SANDBOX_OPT_CALLBACK },
	{ "wa-app-secret", required_argument, NULL, SANDBOX_OPT_CALLBACK },
	{ "wa-business-account-id", required_argument, NULL, SANDBOX_OPT_CALLBACK },
	{ "wa-display-phone-number", required_argument, NULL, SANDBOX_OPT_CALLBACK },
	{ "twilio-inbound", required_argument, NULL, SANDBOX_OPT_CALLBACK },
	{ "twilio-status-callback", required_argument, NULL, SANDBOX_OPT_CALLBACK },
	{ "generic-inbound", required_argument, NULL, SANDBOX_OPT_CALLBACK },
	{ "generic-secret", required_argument, NULL, SANDBOX_OPT_CALLBACK },
	{ "wa-token", required_argument, NULL, SANDBOX_OPT_WHATSAPP },
	{ "wa-not-on-whatsapp", required_argument, NULL, SANDBOX_OPT_WHATSAPP },
	{ "wa-phone-number-id", required_argument, NULL, SANDBOX_OPT_WHATSAPP },
	{ "quiet", no_argument, NULL, SANDBOX_OPT_QUIET },
	{ "help", no_argument, NULL, SANDBOX_OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

struct sandbox_options {
	char listen_host[256]; /* empty: every address */
	unsigned int listen_port;
	const char *port_file;
	const char *record;
	const char *account_sid;
	const char *auth_token;
	uint64_t seed;
	bool quiet;
	struct sandbox_fault_config fault;
	struct sandbox_callback_config callback;
	struct sandbox_whatsapp_config whatsapp;
};

/*
 * The timer that resumes accepting after EMFILE. evhttp owns the listener
 * and its callback argument, so the error callback can only find it here.
 */
static struct event *sandbox_accept_resume;

/* What main() owns besides the shared struct sandbox. */
struct sandbox_server {
	struct sandbox sb;
	struct evconnlistener *listener;
	struct event *sigterm;
	struct event *sigint;
};

static void sandbox_usage(int status) __attribute__((noreturn));
static void sandbox_bad_option(const char *option, const char *why) __attribute__((noreturn));
static void sandbox_parse_options(int argc, char **argv, struct sandbox_options *opt);
static int sandbox_parse_listen(const char *spec, struct sandbox_options *opt) __attribute__((warn_unused_result));
static int sandbox_listen(struct sandbox_server *srv, const char *host, unsigned int port, int *bound_port)
    __attribute__((warn_unused_result));
static int sandbox_write_port_file(const char *path, int port) __attribute__((warn_unused_result));
static void sandbox_route(struct evhttp_request *req, void *arg);
static void sandbox_signal_cb(evutil_socket_t sig, short what, void *arg);
static void sandbox_accept_error_cb(struct evconnlistener *lev, void *arg);
static void sandbox_accept_resume_cb(evutil_socket_t fd, short what, void *arg);
static void sandbox_event_log(int severity, const char *msg);
static void sandbox_raise_nofile(void);
static void sandbox_teardown(struct sandbox_server *srv);

int64_t
sandbox_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void
sandbox_set_json(struct evhttp_request *req)
{
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", "application/json");
}

static void
sandbox_usage(int status)
{
	fprintf(stderr,
	    "usage: " SANDBOX_NAME " [--listen HOST:PORT] [--port-file FILE] [--record FILE]\n"
	    "       [--account-sid AC...] [--auth-token TOKEN] [--seed N]\n"
	    "       [--fail-500 P] [--fail-429 P] [--retry-after SECONDS] [--fail-400 P]\n"
	    "       [--garbage P] [--timeout P] [--delay P] [--delay-ms MS] [--quiet]\n"
	    "  WhatsApp Cloud API (POST /vX.Y/PHONE_NUMBER_ID/messages):\n"
	    "       [--wa-token TOKEN] [--wa-phone-number-id ID] [--wa-not-on-whatsapp DIGITS]\n"
	    "  Callbacks to the gateway (status callbacks, POST /sandbox/inbound):\n"
	    "       [--callbacks SEQ] [--callback-delay-ms MS] [--wa-webhook URL] [--wa-app-secret SECRET]\n"
	    "       [--twilio-inbound URL] [--twilio-status-callback URL] [--wa-business-account-id ID]\n"
	    "       [--wa-display-phone-number DIGITS] [--callback-retries N] [--callback-retry-ms MS]\n"
	    "       [--callback-timeout-ms MS] [--callback-connections N] [--callback-queue N]\n"
	    "       [--callback-header 'Name: value'] [--generic-inbound URL] [--generic-secret SECRET]\n"
	    "P is a share from 0 to 1; shares add up to at most 1. PORT 0 picks a free port.\n"
	    "The auth token may also come from SANDBOX_AUTH_TOKEN; it signs Twilio callbacks.\n"
	    "SEQ is none (the default) or [early:]STATUS[=CODE],... with STATUS one of queued, sending,\n"
	    "sent, delivered, undelivered, failed, read; a body marker [[cb:SEQ]] overrides it per message.\n"
	    "Fault, callback and --wa-* settings can also be changed through POST /sandbox/config\n"
	    "(the option name with _ for -, e.g. callbacks=sent,delivered&wa_webhook=http://...).\n");
	exit(status);
}

static void
sandbox_bad_option(const char *option, const char *why)
{
	fprintf(stderr, SANDBOX_NAME ": %s: %s\n", option, why);
	sandbox_usage(2);
}

static void
sandbox_parse_options(int argc, char **argv, struct sandbox_options *opt)
{
	const char *why;
	int ch, index;

	memset(opt, 0, sizeof *opt);
	snprintf(opt->listen_host, sizeof opt->listen_host, "127.0.0.1");
	opt->seed = 1;
	sandbox_fault_config_init(&opt->fault);
	sandbox_callback_config_init(&opt->callback);
	sandbox_whatsapp_config_init(&opt->whatsapp);
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":", sandbox_options, &index)) != -1) {
		char key[32], *end;
		unsigned long long seed;
		int set;

		switch (ch) {
		case SANDBOX_OPT_LISTEN:
			if (sandbox_parse_listen(optarg, opt) == -1)
				sandbox_bad_option("--listen", "must be HOST:PORT with PORT from 0 to 65535");
			break;
		case SANDBOX_OPT_PORT_FILE:
			opt->port_file = optarg;
			break;
		case SANDBOX_OPT_RECORD:
			opt->record = optarg;
			break;
		case SANDBOX_OPT_ACCOUNT_SID:
			if (*optarg == '\0' || strchr(optarg, '/') != NULL)
				sandbox_bad_option("--account-sid", "must be a non-empty SID");
			opt->account_sid = optarg;
			break;
		case SANDBOX_OPT_AUTH_TOKEN:
			if (*optarg == '\0')
				sandbox_bad_option("--auth-token", "must not be empty");
			opt->auth_token = optarg;
			break;
		case SANDBOX_OPT_SEED:
			errno = 0;
			seed = strtoull(optarg, &end, 10);
			if (*optarg < '0' || *optarg > '9' || *end != '\0' || errno != 0)
				sandbox_bad_option("--seed", "must be a whole number");
			opt->seed = seed;
			break;
		case SANDBOX_OPT_FAULT:
		case SANDBOX_OPT_CALLBACK:
		case SANDBOX_OPT_WHATSAPP:
			/* --fail-500 sets fail_500: the same names as POST /sandbox/config. */
			snprintf(key, sizeof key, "%s", sandbox_options[index].name);
			for (char *p = key; *p != '\0'; p++) {
				if (*p == '-')
					*p = '_';
			}
			if (ch == SANDBOX_OPT_FAULT)
				set = sandbox_fault_config_set(&opt->fault, key, optarg, &why);
			else if (ch == SANDBOX_OPT_CALLBACK)
				set = sandbox_callback_config_set(&opt->callback, key, optarg, &why);
			else
				set = sandbox_whatsapp_config_set(&opt->whatsapp, key, optarg, &why);
			if (set != 0) {
				snprintf(key, sizeof key, "--%s", sandbox_options[index].name);
				sandbox_bad_option(key, set == 1 ? "unknown setting" : why);
			}
			break;
		case SANDBOX_OPT_QUIET:
			opt->quiet = true;
			break;
		case SANDBOX_OPT_HELP:
			sandbox_usage(0);
		case ':':
			sandbox_bad_option(argv[optind - 1], "needs a value");
		default:
			sandbox_bad_option(argv[optind - 1], "unknown option");
		}
	}
	if (optind < argc)
		sandbox_bad_option(argv[optind], "unexpected argument");
	if (sandbox_fault_config_check(&opt->fault, &why) == -1)
		sandbox_bad_option("fault options", why);
	if (opt->auth_token == NULL) {
		const char *env = getenv("SANDBOX_AUTH_TOKEN");

		if (env != NULL && *env != '\0')
			opt->auth_token = env;
	}
}

/* "HOST:PORT" or "[V6]:PORT"; an empty HOST means every address. */
static int
sandbox_parse_listen(const char *spec, struct sandbox_options *opt)
{
	const char *colon = strrchr(spec, ':'), *host = spec;
	size_t host_len;
	char *end;
	unsigned long port;

	if (colon == NULL || colon[1] < '0' || colon[1] > '9')
		return -1;
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (*end != '\0' || errno != 0 || port > 65535)
		return -1;
	host_len = (size_t)(colon - spec);
	if (host_len >= 2 && host[0] == '[' && host[host_len - 1] == ']') {
		host++;
		host_len -= 2;
	}
	if (host_len >= sizeof opt->listen_host)
		return -1;
	memcpy(opt->listen_host, host, host_len);
	opt->listen_host[host_len] = '\0';
	opt->listen_port = (unsigned int)port;
	return 0;
}

static void
sandbox_raise_nofile(void)
{
	struct rlimit rl;

	/* Benchmarks hold hundreds of connections; 1024 descriptors is too tight a default. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max > 65536 ? 65536 : rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
			log_warn("cannot raise descriptor limit error=\"%s\"", strerror(errno));
	}
}

/*
 * Binds host:port with our own socket so that the backlog fits hundreds of
 * simultaneous connects; evhttp's own bind uses a small one.
 */
static int
sandbox_listen(struct sandbox_server *srv, const char *host, unsigned int port, int *bound_port)
{
	struct addrinfo hints, *res = NULL;
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof ss;
	struct evhttp_bound_socket *bound;
	char service[8];
	int fd = -1, on = 1, rc = -1, gai;

	snprintf(service, sizeof service, "%u", port);
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if ((gai = getaddrinfo(host[0] != '\0' ? host : NULL, service, &hints, &res)) != 0) {
		log_error("bad listen address host=%s reason=\"%s\"", host, gai_strerror(gai));
		goto fail;
	}
	fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) == -1 ||
	    bind(fd, res->ai_addr, res->ai_addrlen) == -1 || listen(fd, SANDBOX_BACKLOG) == -1 ||
	    getsockname(fd, (struct sockaddr *)&ss, &sslen) == -1) {
		log_error("cannot listen host=%s port=%u error=\"%s\"", host, port, strerror(errno));
		goto fail;
	}
	if ((bound = evhttp_accept_socket_with_handle(srv->sb.http, fd)) == NULL) {
		log_error("cannot accept host=%s port=%u", host, port);
		goto fail;
	}
	fd = -1; /* the listener closes it */
	srv->listener = evhttp_bound_socket_get_listener(bound);
	evconnlistener_set_error_cb(srv->listener, sandbox_accept_error_cb);
	*bound_port = ss.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&ss)->sin6_port)
					       : ntohs(((struct sockaddr_in *)&ss)->sin_port);
	rc = 0;

fail:
	if (fd != -1)
		close(fd);
	if (res != NULL)
		freeaddrinfo(res);
	return rc;
}

/* Written to a temporary name and renamed, so a reader never sees half a number. */
static int
sandbox_write_port_file(const char *path, int port)
{
	char *tmp = xasprintf("%s.tmp.%ld", path, (long)getpid());
	FILE *f = NULL;
	int rc = -1;

	if ((f = fopen(tmp, "w")) == NULL)
		goto fail;
	if (fprintf(f, "%d\n", port) < 0) {
		fclose(f);
		goto fail;
	}
	if (fclose(f) == EOF || rename(tmp, path) == -1)
		goto fail;
	rc = 0;

fail:
	if (rc == -1) {
		log_error("cannot write port file path=%s error=\"%s\"", path, strerror(errno));
		unlink(tmp);
	}
	free(tmp);
	return rc;
}

static void
sandbox_route(struct evhttp_request *req, void *arg)
{
	struct sandbox *sb = arg;
	const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));

	if (path == NULL || *path == '\0')
		path = "/";
	if (strncmp(path, "/sandbox/", 9) == 0) {
		sandbox_control_handle(sb, req, path);
		return;
	}
	sandbox_stats_count_received(sb->stats);
	if (sandbox_twilio_handle(sb->twilio, req, path))
		return;
	if (sandbox_whatsapp_handle(sb->whatsapp, req, path))
		return;
	sandbox_twilio_reply_not_found(sb, req, path);
}

static void
sandbox_signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct sandbox_server *srv = arg;

	(void)what;
	log_info("shutting down signal=%d", (int)sig);
	event_base_loopexit(srv->sb.base, NULL);
}

/* Out of descriptors: pause accepting for a second instead of spinning on accept(). */
static void
sandbox_accept_error_cb(struct evconnlistener *lev, void *arg)
{
	int err = EVUTIL_SOCKET_ERROR();
	struct timeval tv = { 1, 0 };

	(void)arg; /* evhttp's, not ours */
	if (err != EMFILE && err != ENFILE && err != ENOBUFS && err != ENOMEM) {
		log_warn("accept failed error=\"%s\"", evutil_socket_error_to_string(err));
		return;
	}
	log_warn("accept paused for 1s error=\"%s\"", evutil_socket_error_to_string(err));
	evconnlistener_disable(lev);
	if (sandbox_accept_resume == NULL || evtimer_add(sandbox_accept_resume, &tv) == -1)
		evconnlistener_enable(lev);
}

static void
sandbox_accept_resume_cb(evutil_socket_t fd, short what, void *arg)
{
	struct evconnlistener *lev = arg;

	(void)fd;
	(void)what;
	if (evconnlistener_enable(lev) == -1)
		log_error("cannot resume accepting");
}

static void
sandbox_event_log(int severity, const char *msg)
{
	switch (severity) {
	case EVENT_LOG_DEBUG:
		log_debug("libevent: %s", msg);
		break;
	case EVENT_LOG_MSG:
		log_info("libevent: %s", msg);
		break;
	case EVENT_LOG_WARN:
		log_warn("libevent: %s", msg);
		break;
	default:
		log_error("libevent: %s", msg);
		break;
	}
}

/*
 * evhttp_free() goes first: closing each connection hands deferred
 * requests back to sandbox_reply, which still needs the stats and tells
 * the callback chains waiting on them.
 */
static void
sandbox_teardown(struct sandbox_server *srv)
{
	struct sandbox *sb = &srv->sb;

	if (sb->http != NULL)
		evhttp_free(sb->http);
	sandbox_reply_free(sb->reply);
	sandbox_callback_free(sb->callback);
	sandbox_whatsapp_free(sb->whatsapp);
	sandbox_twilio_free(sb->twilio);
	sandbox_record_close(sb->rec);
	sandbox_stats_free(sb->stats);
	sandbox_fault_free(sb->fault);
	sandbox_form_free(&sb->form);
	if (sandbox_accept_resume != NULL)
		event_free(sandbox_accept_resume);
	sandbox_accept_resume = NULL;
	if (srv->sigterm != NULL)
		event_free(srv->sigterm);
	if (srv->sigint != NULL)
		event_free(srv->sigint);
	if (sb->base != NULL)
		event_base_free(sb->base);
	libevent_global_shutdown();
}

int
main(int argc, char **argv)
{
	struct sandbox_options opt;
	struct sandbox_server srv;
	struct sandbox *sb = &srv.sb;
	int port, rc = 1;

	sandbox_parse_options(argc, argv, &opt);
	if (opt.quiet)
		log_set_level(LOG_LEVEL_WARN);
	memset(&srv, 0, sizeof srv);
	sandbox_form_init(&sb->form);
	event_set_log_callback(sandbox_event_log);
	signal(SIGPIPE, SIG_IGN);
	sandbox_raise_nofile();

	if ((sb->base = event_base_new()) == NULL) {
		log_error("cannot create event base");
		goto fail;
	}
	sb->stats = sandbox_stats_new();
	sb->fault = sandbox_fault_new(&opt.fault, opt.seed);
	if (opt.record != NULL && (sb->rec = sandbox_record_open(sb->base, opt.record)) == NULL)
		goto fail;
	sb->reply = sandbox_reply_new(sb->base, sb->stats, sb->rec);
	sb->twilio = sandbox_twilio_new(sb, opt.account_sid, opt.auth_token);
	sb->whatsapp = sandbox_whatsapp_new(sb, &opt.whatsapp);
	sb->callback =
	    sandbox_callback_new(sb->base, sb->stats, sb->reply, &opt.callback, opt.account_sid, opt.auth_token);

	if ((sb->http = evhttp_new(sb->base)) == NULL) {
		log_error("cannot create http server");
		goto fail;
	}
	evhttp_set_allowed_methods(sb->http,
	    EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
		EVHTTP_REQ_OPTIONS | EVHTTP_REQ_PATCH);
	evhttp_set_max_body_size(sb->http, SANDBOX_MAX_BODY);
	evhttp_set_max_headers_size(sb->http, SANDBOX_MAX_HEADERS);
	evhttp_set_timeout(sb->http, SANDBOX_IDLE_SECONDS);
	evhttp_set_default_content_type(sb->http, "application/json");
	evhttp_set_gencb(sb->http, sandbox_route, sb);

	srv.sigterm = evsignal_new(sb->base, SIGTERM, sandbox_signal_cb, &srv);
	srv.sigint = evsignal_new(sb->base, SIGINT, sandbox_signal_cb, &srv);
	if (srv.sigterm == NULL || srv.sigint == NULL || evsignal_add(srv.sigterm, NULL) == -1 ||
	    evsignal_add(srv.sigint, NULL) == -1) {
		log_error("cannot set up signal events");
		goto fail;
	}
	if (sandbox_listen(&srv, opt.listen_host, opt.listen_port, &port) == -1)
		goto fail;
	if ((sandbox_accept_resume = evtimer_new(sb->base, sandbox_accept_resume_cb, srv.listener)) == NULL) {
		log_error("cannot create accept timer");
		goto fail;
	}
	if (opt.port_file != NULL && sandbox_write_port_file(opt.port_file, port) == -1)
		goto fail;
	log_info("listening addr=%s port=%d", opt.listen_host[0] != '\0' ? opt.listen_host : "*", port);

	if (event_base_dispatch(sb->base) == -1) {
		log_error("event loop failed");
		goto fail;
	}
	rc = 0;

fail:
	sandbox_teardown(&srv);
	return rc;
}
