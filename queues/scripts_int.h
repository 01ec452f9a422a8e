/*
 * What queues/scripts*.c share: the Lua bodies of every script, each
 * written in its own file by concern, and put together in scripts.c.
 * Only those files include this.
 */
#ifndef AMUDDU_SCRIPTS_INT_H
#define AMUDDU_SCRIPTS_INT_H

#include "queues/scripts.h"

extern const char script_begin[];
extern const char script_finish[];
extern const char script_schedule[];
extern const char script_reject[];
extern const char script_poison[];
extern const char script_due[];
extern const char script_lease[];
extern const char script_lost[];
extern const char script_status[];
extern const char script_inbound[];
extern const char scripts_apply_status[];

#endif
