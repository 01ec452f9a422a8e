/*
 * The reach counters' upkeep: once a minute, the rollups of the periods
 * that ended (a step at a time, so Redis is never held for long), then
 * the gauges of GET /metrics: people counted this year (local time) by
 * campaign kind and indicator (a scrape never waits on Redis). The
 * creator owns struct reach_gauges; reach_gauges_free().
 */
#ifndef AMUDDU_REACH_GAUGES_H
#define AMUDDU_REACH_GAUGES_H

#include <event2/event.h>

#include "gateway/util/buf.h"
#include "queues/store.h"

struct reach_gauges;

struct reach_gauges *reach_gauges_new(struct event_base *base, struct store *st);
void reach_gauges_free(struct reach_gauges *g);
/* Appends the gauges' lines (nothing until the first answer). */
void reach_gauges_render(const struct reach_gauges *g, struct buf *out);

#endif
