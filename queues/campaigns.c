/*
 * The campaigns' scripts. The audience is resolved with set operations
 * over the contacts' indexes (queues/contacts.c keeps them), people with
 * consent and not opted out making the recipients. "Replied to campaign
 * X" is a person X was sent to who wrote to us after X started.
 * Expansion takes a lease with a fencing token: a process that lost its
 * lease (it stalled, another took over) can write nothing more.
 */
#include "queues/campaigns.h"
#include "queues/contacts_lua.h"

/* The Lua text is laid out as Lua, not as C. */
/* clang-format off */

#define CAMPAIGNS_COMMON \
	CONTACTS_INDEX \
	"local LOCALES = {'fr', 'ar', 'ary', 'ary-Latn', 'en'}\n" \
	"local CHANNELS = {'sms', 'whatsapp', 'auto'}\n" \
	/* Resolves audience a into key dest (the recipients), and the counts. */ \
	"local function resolve(a, dest)\n" \
	"  local tmp, inter, used = P..'tmp:aud', {P..'ix:all'}, {}\n" \
	"  local function anyof(attr, list)\n" \
	"    local k, src = tmp..':'..attr, {}\n" \
	"    for _, v in ipairs(list) do src[#src + 1] = ix(attr, v) end\n" \
	"    redis.call('DEL', k)\n" \
	"    if #src > 0 then redis.call('SUNIONSTORE', k, unpack(src)) end\n" \
	"    used[#used + 1] = k\n" \
	"    return k\n" \
	"  end\n" \
	"  for _, attr in ipairs({'city', 'locale', 'channel', 'sex'}) do\n" \
	"    if type(a[attr]) == 'table' and #a[attr] > 0 then inter[#inter + 1] = anyof(attr, a[attr]) end\n" \
	"  end\n" \
	"  if type(a.tags_any) == 'table' and #a.tags_any > 0 then inter[#inter + 1] = anyof('tag', a.tags_any) end\n" \
	"  if type(a.tags_all) == 'table' then\n" \
	"    for _, t in ipairs(a.tags_all) do inter[#inter + 1] = ix('tag', t) end\n" \
	"  end\n" \
	"  redis.call('SINTERSTORE', tmp, unpack(inter))\n" \
	"  local x = a.replied_to or a.not_replied_to\n" \
	"  if type(x) == 'string' then\n" \
	"    local start = tonumber(redis.call('HGET', P..'cmp:'..x, 'started') or '0')\n" \
	"    local sent, replied = P..'campaign:'..x..':sent', tmp..':replied'\n" \
	"    redis.call('DEL', replied)\n" \
	"    used[#used + 1] = replied\n" \
	"    if start > 0 then\n" \
	"      for _, p in ipairs(redis.call('SINTER', sent, tmp)) do\n" \
	"        if tonumber(redis.call('HGET', P..'contact:'..p, 'last_in') or '0') >= start then redis.call('SADD', replied, p) end\n" \
	"      end\n" \
	"    end\n" \
	"    if a.replied_to then\n" \
	"      redis.call('SINTERSTORE', tmp, tmp, replied)\n" \
	"    else\n" \
	"      redis.call('SINTERSTORE', tmp, tmp, sent)\n" \
	"      redis.call('SDIFFSTORE', tmp, tmp, replied)\n" \
	"    end\n" \
	"  end\n" \
	"  local n = redis.call('SCARD', tmp)\n" \
	"  redis.call('SINTERSTORE', dest, tmp, P..'ix:consent:yes')\n" \
	"  local consent = redis.call('SCARD', dest)\n" \
	"  redis.call('SDIFFSTORE', dest, dest, P..'optout')\n" \
	"  local r = redis.call('SCARD', dest)\n" \
	"  local c = {audience = n, recipients = r, excluded = {no_consent = n - consent, opted_out = consent - r},\n" \
	"    by_locale = {}, by_channel = {}}\n" \
	"  local known = 0\n" \
	"  for _, l in ipairs(LOCALES) do\n" \
	"    local k = redis.call('SINTERCARD', 2, dest, ix('locale', l))\n" \
	"    if k > 0 then c.by_locale[l] = k end\n" \
	"    known = known + k\n" \
	"  end\n" \
	"  if r - known > 0 then c.by_locale['none'] = r - known end\n" \
	"  known = 0\n" \
	"  for _, ch in ipairs(CHANNELS) do\n" \
	"    local k = redis.call('SINTERCARD', 2, dest, ix('channel', ch))\n" \
	"    if k > 0 then c.by_channel[ch] = k end\n" \
	"    known = known + k\n" \
	"  end\n" \
	"  if r - known > 0 then c.by_channel['none'] = r - known end\n" \
	"  used[#used + 1] = tmp\n" \
	"  redis.call('DEL', unpack(used))\n" \
	"  return c\n" \
	"end\n" \
	"local function state(id, s, now)\n" \
	"  redis.call('HSET', P..'cmp:'..id, 'state', s, 'updated', now)\n" \
	"  redis.call('HSET', P..'cmp:states', id, s)\n" \
	"  if s == 'done' or s == 'cancelled' then redis.call('ZADD', P..'cmp:finished', now, id) end\n" \
	"end\n"

static const char campaigns_audience_text[] = CAMPAIGNS_COMMON
	"local dest = P..'tmp:aud:preview'\n"
	"local c = resolve(cjson.decode(ARGV[2]), dest)\n"
	"redis.call('DEL', dest)\n"
	"return cjson.encode(c)\n";

static const char campaigns_create_text[] = CAMPAIGNS_COMMON
	"local id, now = ARGV[2], ARGV[3]\n"
	"local key = P..'cmp:'..id\n"
	"if redis.call('EXISTS', key) == 1 then return 0 end\n"
	"redis.call('HSET', key, 'created', now, unpack(ARGV, 4))\n"
	"redis.call('ZADD', P..'cmps', now, id)\n"
	"state(id, 'draft', now)\n"
	"return 1\n";

static const char campaigns_get_text[] = CAMPAIGNS_COMMON
	"local id = ARGV[2]\n"
	"local key = P..'cmp:'..id\n"
	"local d = redis.call('HMGET', key, 'state', 'expanded_all', 'expanded')\n"
	"if not d[1] then return {} end\n"
	"local c = redis.call('HGETALL', P..'campaign:'..id)\n"
	"if d[1] == 'running' and d[2] == '1' then\n"
	"  local n = {}\n"
	"  for i = 1, #c, 2 do n[c[i]] = tonumber(c[i + 1]) end\n"
	/* Every entry ends in one of these: an outcome, a refusal as malformed, or a duplicate of one already sent. */
	"  local final = (n.sent or 0) + (n.failed or 0) + (n.skipped or 0) + (n.expired or 0) + (n.malformed or 0) +\n"
	"    (n.duplicates or 0)\n"
	"  if final >= tonumber(d[3] or '0') then state(id, 'done', redis.call('TIME')[1]..'000') end\n"
	"end\n"
	"return {redis.call('HGETALL', key), c}\n";

static const char campaigns_page_text[] =
	"local P, after, count = ARGV[1], ARGV[2], tonumber(ARGV[3])\n"
	"local ms, last = string.match(after, '^(%d+):(.*)$')\n"
	"local out, offset = {}, 0\n"
	"while #out < count do\n"
	"  local ids = redis.call('ZRANGEBYSCORE', P..'cmps', ms or '-inf', '+inf', 'WITHSCORES', 'LIMIT', offset, count + 1)\n"
	"  if #ids == 0 then break end\n"
	"  for i = 1, #ids, 2 do\n"
	"    local sc = string.format('%d', tonumber(ids[i + 1]))\n"
	"    if not ms or sc ~= ms or ids[i] > last then\n"
	"      if #out == count then return out end\n"
	"      out[#out + 1] = {ids[i], sc, redis.call('HGETALL', P..'cmp:'..ids[i])}\n"
	"    end\n"
	"  end\n"
	"  offset = offset + count + 1\n"
	"end\n"
	"return out\n";

/*
 * draft -> scheduled -> running -> done; paused from scheduled or running
 * (resume goes back); cancelled from any state that is not final.
 */
static const char campaigns_act_text[] = CAMPAIGNS_COMMON
	"local id, action, now = ARGV[2], ARGV[3], ARGV[4]\n"
	"local key = P..'cmp:'..id\n"
	"local d = redis.call('HMGET', key, 'state', 'start_at', 'started', 'expanded_all')\n"
	"local s = d[1]\n"
	"if not s then return '' end\n"
	"if action == 'schedule' and s == 'draft' then\n"
	"  redis.call('ZADD', P..'cmp:due', d[2], id)\n"
	"  state(id, 'scheduled', now)\n"
	"elseif action == 'pause' and (s == 'scheduled' or s == 'running') then\n"
	/* The expansion under way stops at its next write. */
	"  redis.call('DEL', P..'cmp:'..id..':lease')\n"
	"  state(id, 'paused', now)\n"
	"elseif action == 'resume' and s == 'paused' then\n"
	"  state(id, d[3] and 'running' or 'scheduled', now)\n"
	"elseif action == 'cancel' and s ~= 'done' and s ~= 'cancelled' then\n"
	"  redis.call('ZREM', P..'cmp:due', id)\n"
	"  redis.call('DEL', P..'cmp:'..id..':lease')\n"
	"  state(id, 'cancelled', now)\n"
	"else\n"
	"  return 'from:'..s\n"
	"end\n"
	"return redis.call('HGET', key, 'state')\n";

static const char campaigns_claim_text[] = CAMPAIGNS_COMMON
	"local consumer, now, lease = ARGV[2], ARGV[3], ARGV[4]\n"
	"for _, id in ipairs(redis.call('ZRANGEBYSCORE', P..'cmp:due', '-inf', now, 'LIMIT', 0, 10)) do\n"
	"  local key = P..'cmp:'..id\n"
	"  local s = redis.call('HGET', key, 'state')\n"
	"  if s ~= 'scheduled' and s ~= 'running' and s ~= 'paused' then\n"
	"    redis.call('ZREM', P..'cmp:due', id)\n"
	"  elseif s ~= 'paused' and redis.call('SET', key..':lease', consumer, 'NX', 'PX', lease) then\n"
	"    local fence = redis.call('HINCRBY', key, 'fence', 1)\n"
	"    if s == 'scheduled' then\n"
	"      redis.call('HSET', key, 'started', now)\n"
	"      state(id, 'running', now)\n"
	"    end\n"
	"    if redis.call('HEXISTS', key, 'audience_size') == 0 then\n"
	"      local c = resolve(cjson.decode(redis.call('HGET', key, 'audience')), key..':members')\n"
	"      redis.call('HSET', key, 'audience_size', c.audience, 'recipients', c.recipients,\n"
	"        'excluded_no_consent', c.excluded.no_consent, 'excluded_opted_out', c.excluded.opted_out, 'cursor', '0')\n"
	"    end\n"
	"    return {id, tostring(fence), redis.call('HGET', key, 'cursor') or '0'}\n"
	"  end\n"
	"end\n"
	"return {}\n";

static const char campaigns_read_text[] =
	"local P, id, fence, cursor, count = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]\n"
	"local key = P..'cmp:'..id\n"
	"if redis.call('HGET', key, 'fence') ~= fence or redis.call('HGET', key, 'state') ~= 'running' then return 'stale' end\n"
	"local r = redis.call('SSCAN', key..':members', cursor, 'COUNT', count)\n"
	"local out = {r[1]}\n"
	"for _, p in ipairs(r[2]) do\n"
	"  local c = redis.call('HMGET', P..'contact:'..p, 'phone', 'name', 'first_name', 'locale', 'channel', 'marketing_optout')\n"
	"  out[#out + 1] = {p, c[1] or '', c[2] or '', c[3] or '', c[4] or '', c[5] or '', c[6] or ''}\n"
	"end\n"
	"return out\n";

static const char campaigns_write_text[] =
	"local P, id, fence, consumer, lease, next, lane, n = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7], tonumber(ARGV[8])\n"
	"local key = P..'cmp:'..id\n"
	"if redis.call('HGET', key, 'fence') ~= fence or redis.call('HGET', key, 'state') ~= 'running' or\n"
	"  redis.call('GET', key..':lease') ~= consumer then return 'stale' end\n"
	"local i = 9\n"
	"for _ = 1, n do\n"
	"  local nf = tonumber(ARGV[i])\n"
	"  redis.call('XADD', P..'outbox:'..lane, '*', unpack(ARGV, i + 1, i + nf))\n"
	"  i = i + nf + 1\n"
	"end\n"
	"redis.call('HINCRBY', key, 'expanded', n)\n"
	"for j = i, #ARGV, 2 do redis.call('HINCRBY', key, ARGV[j], ARGV[j + 1]) end\n"
	"redis.call('HSET', key, 'cursor', next)\n"
	"if next == '0' then\n"
	"  redis.call('HSET', key, 'expanded_all', '1')\n"
	"  redis.call('ZREM', P..'cmp:due', id)\n"
	"  redis.call('DEL', key..':lease')\n"
	"  return 'done'\n"
	"end\n"
	"redis.call('PEXPIRE', key..':lease', lease)\n"
	"return 'ok'\n";

static const char campaigns_states_text[] =
	"local P = ARGV[1]\n"
	"local old = redis.call('ZRANGEBYSCORE', P..'cmp:finished', '-inf', (tonumber(redis.call('TIME')[1]) - 30 * 86400) * 1000)\n"
	"if #old > 0 then\n"
	"  redis.call('HDEL', P..'cmp:states', unpack(old))\n"
	"  redis.call('ZREM', P..'cmp:finished', unpack(old))\n"
	"end\n"
	"return redis.call('HGETALL', P..'cmp:states')\n";

/* clang-format on */

struct lua_script campaigns_audience = { "campaigns_audience", campaigns_audience_text, "" };
struct lua_script campaigns_create = { "campaigns_create", campaigns_create_text, "" };
struct lua_script campaigns_get = { "campaigns_get", campaigns_get_text, "" };
struct lua_script campaigns_page = { "campaigns_page", campaigns_page_text, "" };
struct lua_script campaigns_act = { "campaigns_act", campaigns_act_text, "" };
struct lua_script campaigns_claim = { "campaigns_claim", campaigns_claim_text, "" };
struct lua_script campaigns_read = { "campaigns_read", campaigns_read_text, "" };
struct lua_script campaigns_write = { "campaigns_write", campaigns_write_text, "" };
struct lua_script campaigns_states = { "campaigns_states", campaigns_states_text, "" };
