/*
 * amuddu-gateway: reads its configuration, then runs the gateway until a
 * signal stops it. Exit codes: 0 clean stop, 1 forced stop, 2 bad usage or
 * configuration.
 */
#include <curl/curl.h>
#include <signal.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "gateway/config.h"
#include "gateway/gateway.h"
#include "gateway/util/log.h"

static void main_usage(void) __attribute__((noreturn));

static void
main_usage(void)
{
	fprintf(stderr, "usage: amuddu-gateway --config FILE\n");
	exit(2);
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
		if ((strcmp(argv[i], "--config") == 0 || strcmp(argv[i], "-c") == 0) && i + 1 < argc)
			path = argv[++i];
		else
			main_usage();
	}
	if (path == NULL)
		main_usage();
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
