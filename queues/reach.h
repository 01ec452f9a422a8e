/*
 * The reach scripts (queues/reach.c): the query over the counters, and
 * reach --verify's steps. The counting itself is in every script that
 * records an event (queues/reach_lua.h).
 */
#ifndef AMUDDU_REACH_H
#define AMUDDU_REACH_H

#include "queues/lua.h"

extern struct lua_script reach_query;
extern struct lua_script reach_verify;
extern struct lua_script reach_funnel;
extern struct lua_script reach_rollup;

#endif
