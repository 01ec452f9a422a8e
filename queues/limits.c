/*
 * The sending limits every gateway process shares through Redis: a token
 * bucket per provider account (its clock is Redis's TIME, so processes on
 * different machines agree), and WhatsApp's messaging tier, the unique
 * people reached by business-initiated messages in a rolling 24 hours.
 */
#include "queues/limits.h"

/* The Lua text is laid out as Lua, not as C. */
/* clang-format off */

static const char limits_take_text[] =
	"local P, provider, rate, want = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])\n"
	"local t = redis.call('TIME')\n"
	"local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n"
	"local k = P..'rate:'..provider\n"
	/* A bucket of a fifth of a second's tokens: bursts stay short whatever the number of processes. */
	"local burst = math.max(1, math.ceil(rate / 5))\n"
	"local b = redis.call('HMGET', k, 'tokens', 'ts')\n"
	"local tokens, ts = tonumber(b[1]) or burst, tonumber(b[2]) or now\n"
	"if now > ts then tokens = math.min(burst, tokens + (now - ts) * rate / 1000) end\n"
	"local got = math.min(want, math.floor(tokens))\n"
	"tokens = tokens - got\n"
	"redis.call('HSET', k, 'tokens', tostring(tokens), 'ts', tostring(math.max(now, ts)))\n"
	"redis.call('PEXPIRE', k, 60000)\n"
	"local wait = 0\n"
	"if got == 0 then wait = math.ceil((1 - tokens) * 1000 / rate) end\n"
	"return {got, wait}\n";

static const char limits_tier_text[] =
	"local P, person, tier = ARGV[1], ARGV[2], tonumber(ARGV[3])\n"
	"local t = redis.call('TIME')\n"
	"local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n"
	"local k = P..'tier:whatsapp'\n"
	"redis.call('ZREMRANGEBYSCORE', k, '-inf', now - 86400000)\n"
	"if redis.call('ZSCORE', k, person) then return 0 end\n"
	"if redis.call('ZCARD', k) < tier then\n"
	"  redis.call('ZADD', k, now, person)\n"
	"  return 0\n"
	"end\n"
	/* Full: the room the oldest person leaves, in ms from now. */
	"local oldest = redis.call('ZRANGE', k, 0, 0, 'WITHSCORES')\n"
	"return math.max(1000, tonumber(oldest[2]) + 86400000 - now)\n";

/* clang-format on */

struct lua_script limits_script_take = { "limits_take", limits_take_text, "" };
struct lua_script limits_script_tier = { "limits_tier", limits_tier_text, "" };
