/*
 * The running gateway: one event loop wiring the outbox (Redis) to the
 * providers (HTTP), with signals and two-stage shutdown. gateway_new()
 * takes the config over; gateway_free() frees both.
 */
#ifndef AMUDDU_GATEWAY_H
#define AMUDDU_GATEWAY_H

#include "gateway/config.h"
#include "gateway/route.h"

struct gateway;

/* Returns NULL with a reason in err when the configuration cannot run. */
struct gateway *gateway_new(struct config *cfg, char *err, size_t errlen);
/* Runs until a signal's shutdown completes; returns the process exit code. */
int gateway_run(struct gateway *gw);
void gateway_free(struct gateway *gw);

/*
 * Builds every provider cfg configures into out (room for
 * METRICS_MAX_PROVIDERS), and picks the SMS and WhatsApp ones. Returns 0,
 * or -1 with the reason in err (nothing left built). --check-config uses it
 * too, so a configuration it passes is one the gateway starts with.
 */
int gateway_providers_new(const struct config *cfg, struct route_provider *out, size_t *n, struct route_provider **sms,
    struct route_provider **whatsapp, char *err, size_t errlen) __attribute__((warn_unused_result));
void gateway_providers_free(struct route_provider *p, size_t n);
/*
 * Makes [time] zone the local time and checks its zone data. Returns -1
 * with the reason in err when it is unknown, or predates Morocco's
 * 2026-09-20 change and [time] allow_stale_tzdata is not set; with it set,
 * 0 and the reason in stale (else stale is "").
 */
int gateway_check_time(const struct config *cfg, char *stale, size_t stalelen, char *err, size_t errlen)
    __attribute__((warn_unused_result));

#endif
