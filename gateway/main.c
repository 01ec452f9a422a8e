/*
 * amuddu-gateway: reads its configuration, then runs the gateway until a
 * signal stops it; or checks a configuration and says what is wrong with
 * it. Exit codes: 0 clean stop (or a configuration that passes), 1 forced
 * stop, 2 bad usage or a configuration that is refused.
 */
#include <curl/curl.h>
#include <signal.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "gateway/config.h"
#include "gateway/gateway.h"
#include "gateway/metrics.h"
#include "gateway/util/log.h"
#include "queues/redis_url.h"

#define MAIN_VERSION "1.0.0"

static void main_usage(FILE *to);
static int main_check_config(const char *path);

static void
main_usage(FILE *to)
{
	fprintf(to,
	    "usage: amuddu-gateway --config FILE     run the gateway\n"
	    "       amuddu-gateway --check-config FILE\n"
	    "                                        check a configuration without connecting anywhere\n"
	    "       amuddu-gateway --version\n"
	    "       amuddu-gateway --help\n"
	    "\n"
	    "The configuration is an INI file (README.md, \"Configuration\"); secrets may come from\n"
	    "AMUDDU_* environment variables instead. Exit codes: 0 clean stop or configuration\n"
	    "passed, 1 forced stop, 2 bad usage or configuration refused.\n");
}

/* Everything gateway_new() checks before it connects anywhere or opens a port. */
static int
main_check_config(const char *path)
{
	struct route_provider providers[METRICS_MAX_PROVIDERS], *sms, *whatsapp;
	struct redis_target target;
	struct config *cfg;
	char err[512], stale[320];
	size_t n;

	if ((cfg = config_load(path, err, sizeof err)) == NULL) {
		fprintf(stderr, "amuddu-gateway: configuration refused: %s\n", err);
		return 2;
	}
	if (redis_target_parse(cfg->redis_url, &target, err, sizeof err) != 0) {
		fprintf(stderr, "amuddu-gateway: configuration refused: %s: [redis] url: %s\n", path, err);
		config_free(cfg);
		return 2;
	}
	redis_target_free(&target);
	if (gateway_check_time(cfg, stale, sizeof stale, err, sizeof err) != 0) {
		fprintf(stderr, "amuddu-gateway: configuration refused: %s: %s\n", path, err);
		config_free(cfg);
		return 2;
	}
	if (stale[0] != '\0')
		fprintf(stderr, "amuddu-gateway: warning: %s\n", stale);
	if (gateway_providers_new(cfg, providers, &n, &sms, &whatsapp, err, sizeof err) != 0) {
		fprintf(stderr, "amuddu-gateway: configuration refused: %s: %s\n", path, err);
		config_free(cfg);
		return 2;
	}
	printf("%s: configuration passes: sms=%s whatsapp=%s\n", path, sms != NULL ? sms->ops->name : "none",
	    whatsapp != NULL ? whatsapp->ops->name : "none");
	gateway_providers_free(providers, n);
	config_free(cfg);
	return 0;
}

int
main(int argc, char **argv)
{
	const char *path = NULL;
	struct config *cfg;
	struct gateway *gw;
	char err[512];
	sigset_t stop;
	int rc;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			main_usage(stdout);
			return 0;
		}
		if (strcmp(argv[i], "--version") == 0) {
			printf("amuddu-gateway %s\n", MAIN_VERSION);
			return 0;
		}
		if (strcmp(argv[i], "--check-config") == 0 && i + 1 < argc && argc == 3)
			return main_check_config(argv[i + 1]);
		if ((strcmp(argv[i], "--config") == 0 || strcmp(argv[i], "-c") == 0) && i + 1 < argc && path == NULL) {
			path = argv[++i];
			continue;
		}
		fprintf(stderr, "amuddu-gateway: unknown or incomplete argument '%s'\n", argv[i]);
		main_usage(stderr);
		return 2;
	}
	if (path == NULL) {
		main_usage(stderr);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	/*
	 * SIGTERM and SIGINT wait (pending) until the loop's signal events
	 * exist; gateway_run() lets them through, so a stop asked for during
	 * start-up is a normal drain, not a kill.
	 */
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	sigprocmask(SIG_BLOCK, &stop, NULL);
	if ((cfg = config_load(path, err, sizeof err)) == NULL) {
		fprintf(stderr, "amuddu-gateway: configuration refused: %s\n", err);
		return 2;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, "amuddu-gateway: cannot initialise libcurl\n");
		config_free(cfg);
		return 1;
	}
	if ((gw = gateway_new(cfg, err, sizeof err)) == NULL) {
		fprintf(stderr, "amuddu-gateway: cannot start: %s\n", err);
		config_free(cfg);
		curl_global_cleanup();
		return 2;
	}
	rc = gateway_run(gw);
	gateway_free(gw);
	curl_global_cleanup();
	return rc;
}
