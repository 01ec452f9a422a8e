/*
 * The running gateway: one event loop wiring the outbox (Redis) to the
 * providers (HTTP), with signals and two-stage shutdown. gateway_new()
 * takes the config over; gateway_free() frees both.
 */
#ifndef AMUDDU_GATEWAY_H
#define AMUDDU_GATEWAY_H

#include "gateway/config.h"

struct gateway;

/* Returns NULL with a reason in err when the configuration cannot run. */
struct gateway *gateway_new(struct config *cfg, char *err, size_t errlen);
/* Runs until a signal's shutdown completes; returns the process exit code. */
int gateway_run(struct gateway *gw);
void gateway_free(struct gateway *gw);

#endif
