/*
 * The conversation scripts. A plan (conv_apply's last argument) is a JSON
 * object: "ch", "pv" the channel and provider the message came by; "text",
 * "type" what it was; "topic" the topic it reached ("none"), "menu" true
 * when by a menu number; "rl" the answer's locale; optional "locale" (the
 * person's new stored locale), "consent" ("yes"/"no", source keyword),
 * "menu_open" (topics, "" to close) with "mu" (until, ms), "tags"
 * (space-separated), "converse" (to the inbox), "mute" (pause answers
 * until, ms), "muted" (this one was not answered), "reply" (the answer)
 * with "rkey" (its catalog key).
 */
#include "queues/conversations.h"

#include "queues/contacts_lua.h"

/* The Lua text is laid out as Lua, not as C. */
/* clang-format off */

/* Items a thread keeps: what an agent reads back, not an archive. */
#define CONV_THREAD_MAX "500"

/* The campaigns a person was sent, newest first, each {id, name} (the name of the gateway's own campaigns). */
#define CONV_CAMPAIGNS \
	"local function campaigns(id, n)\n" \
	"  local out = {}\n" \
	"  for _, c in ipairs(redis.call('ZREVRANGE', P..'rcv:'..id, 0, n - 1)) do\n" \
	"    local name = c\n" \
	/* Only the gateway's own campaign ids name a key here; other producers' names are shown as written. */ \
	"    if string.match(c, '^c%x+$') then\n" \
	"      local ok, v = pcall(redis.call, 'HGET', P..'cmp:'..c, 'name')\n" \
	"      if ok and type(v) == 'string' then name = v end\n" \
	"    end\n" \
	"    out[#out + 1] = {c, name}\n" \
	"  end\n" \
	"  return out\n" \
	"end\n"

static const char conv_read_text[] =
	"local P, id, now, counted = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4]\n"
	"local c = redis.call('HMGET', P..'contact:'..id, 'locale', 'first_name', 'phone')\n"
	"local v = redis.call('HMGET', P..'conv:'..id, 'menu', 'menu_until', 'open', 'muted_until', 'v')\n"
	"local rk = P..'rl:in:'..id\n"
	"local n\n"
	"if counted == '1' then\n"
	"  n = redis.call('INCR', rk)\n"
	"  if n == 1 then redis.call('PEXPIRE', rk, 60000) end\n"
	"else\n"
	"  n = tonumber(redis.call('GET', rk) or '1')\n"
	"end\n"
	"return {c[1] or '', c[2] or '', v[1] or '', v[2] or '0', v[3] or '', v[4] or '0', v[5] or '0', n,\n"
	"  c[3] and '1' or '0'}\n";

static const char conv_apply_text[] = CONTACTS_COMMON
	"local group, entry, id, expect, now, consumer = ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[8]\n"
	"local a = cjson.decode(ARGV[7])\n"
	"DAY = ARGV[9]\n"
	"local INFO = {training = true, employment = true, residency = true, covid = true}\n"
	"local ck, tk, stats = P..'conv:'..id, P..'thread:'..id, P..'stats'\n"
	/* Still this consumer's: a process that stalled past the claim time must not apply it a second time. */
	"if #redis.call('XPENDING', P..'inbox', group, entry, entry, 1, consumer) == 0 then return 3 end\n"
	"if (redis.call('HGET', ck, 'v') or '0') ~= expect then return 0 end\n"
	"local cur = hash(P..'contact:'..id)\n"
	"if not cur.phone then\n"
	"  redis.call('XACK', P..'inbox', group, entry)\n"
	"  return 2\n"
	"end\n"
	"redis.call('HINCRBY', ck, 'v', 1)\n"
	"local last = redis.call('ZREVRANGE', P..'rcv:'..id, 0, 0)[1] or ''\n"
	/*
	 * A message older than one already applied (two processes, or one taken
	 * over late) is answered and kept, but does not undo what came after it:
	 * a START before a STOP leaves the person opted out.
	 */
	"local function sid(s)\n"
	"  local ms, sq = string.match(s or '0-0', '^(%d+)-(%d+)$')\n"
	"  return tonumber(ms) or 0, tonumber(sq) or 0\n"
	"end\n"
	"local lm, ls = sid(redis.call('HGET', ck, 'last_entry'))\n"
	"local em, es = sid(entry)\n"
	"if em < lm or (em == lm and es < ls) then a.locale = nil; a.consent = nil; a.menu_open = nil; a.mute = nil\n"
	"else redis.call('HSET', ck, 'last_entry', entry) end\n"
	/* The contact: language, consent (a history, source keyword), tags, as any other change of it. */
	"local row = {a = {}}\n"
	"if a.locale then row.a.locale = a.locale end\n"
	"if a.consent then row.co = a.consent end\n"
	"if a.tags then\n"
	"  local have, t = {}, {}\n"
	"  for x in string.gmatch(cur.tags or '', '[^,]+') do have[x] = true; t[#t + 1] = x end\n"
	"  for x in string.gmatch(a.tags, '%S+') do\n"
	"    if not have[x] then have[x] = true; t[#t + 1] = x end\n"
	"    redis.call('HSET', P..'tagged:'..id, x, now..' '..last)\n"
	"  end\n"
	"  row.t = t\n"
	"end\n"
	"apply(id, cur, row, now, 'keyword', '')\n"
	"if a.consent == 'no' then redis.call('SADD', P..'optout', id); redis.call('HINCRBY', stats, 'optouts', 1)\n"
	"elseif a.consent == 'yes' then redis.call('SREM', P..'optout', id); redis.call('HINCRBY', stats, 'optins', 1) end\n"
	"if a.topic ~= 'none' then\n"
	/* Informed: an information topic chosen, credited to the last message sent, else to none by their channel. */
	"  local rc = ''\n"
	"  if INFO[a.topic] then\n"
	"    local ri, c = rcredit(id, now, true)\n"
	"    rc = c or rcombo('', '', a.ch) or ''\n"
	"    rmark('i', rc, ri)\n"
	"  end\n"
	"  redis.call('XADD', P..'topics', 'MAXLEN', '~', '10000000', '*', 'person', id, 'topic', a.topic,\n"
	"    'locale', a.rl or '', 'channel', a.ch, 'campaign', last, 'menu', a.menu and '1' or '0', 'at', now,\n"
	"    'day', DAY, 'credit', rc)\n"
	"  redis.call('HINCRBY', stats, 'topic.'..a.topic, 1)\n"
	"end\n"
	"if a.menu_open then\n"
	"  if a.menu_open == '' then redis.call('HDEL', ck, 'menu', 'menu_until')\n"
	"  else redis.call('HSET', ck, 'menu', a.menu_open, 'menu_until', string.format('%d', a.mu)) end\n"
	"end\n"
	"if a.mute then redis.call('HSET', ck, 'muted_until', string.format('%d', a.mute)) end\n"
	"if a.muted then redis.call('HINCRBY', stats, 'replies_muted', 1) end\n"
	"redis.call('HSET', ck, 'last_in', now, 'channel', a.ch, 'provider', a.pv)\n"
	"redis.call('RPUSH', tk, cjson.encode({d = 'in', at = tonumber(now), text = a.text, type = a.type,\n"
	"  topic = a.topic, channel = a.ch}))\n"
	"if a.converse then\n"
	"  if redis.call('HGET', ck, 'open') ~= '1' then\n"
	"    redis.call('HSET', ck, 'open', '1', 'opened', now)\n"
	"    redis.call('HDEL', ck, 'closed', 'closed_by')\n"
	"    redis.call('ZADD', P..'conv:open', now, id)\n"
	"    redis.call('HINCRBY', stats, 'conversations_opened', 1)\n"
	"  end\n"
	"  redis.call('HINCRBY', ck, 'unread', 1)\n"
	"end\n"
	"if a.reply then\n"
	"  local e = redis.call('XADD', P..'outbox:reply', '*', 'id', '~in-'..entry, 'contact', id, 'channel', a.ch,\n"
	"    'provider', a.pv, 'kind', 'reply', 'locale', a.rl or '', 'text', a.reply)\n"
	/* What erasing the person must find in the outbox. */
	"  redis.call('RPUSH', P..'outr:'..id, e)\n"
	"  redis.call('LTRIM', P..'outr:'..id, -1000, -1)\n"
	"  redis.call('RPUSH', tk, cjson.encode({d = 'out', at = tonumber(now), text = a.reply, by = '', auto = a.rkey}))\n"
	"  redis.call('HINCRBY', stats, 'replies_auto', 1)\n"
	"end\n"
	"redis.call('LTRIM', tk, -" CONV_THREAD_MAX ", -1)\n"
	"redis.call('XACK', P..'inbox', group, entry)\n"
	"rflush()\n"
	"return 1\n";

static const char inbox_page_text[] = "local P = ARGV[1]\n" CONV_CAMPAIGNS
	"local after, count = ARGV[2], tonumber(ARGV[3])\n"
	"local ms, last = string.match(after, '^(%d+):(.*)$')\n"
	"local out, offset = {}, 0\n"
	"while #out < count do\n"
	"  local ids = redis.call('ZRANGEBYSCORE', P..'conv:open', ms or '-inf', '+inf', 'WITHSCORES', 'LIMIT', offset, count + 1)\n"
	"  if #ids == 0 then break end\n"
	"  for i = 1, #ids, 2 do\n"
	"    local id, sc = ids[i], string.format('%d', tonumber(ids[i + 1]))\n"
	"    if not ms or sc ~= ms or id > last then\n"
	"      if #out == count then return out end\n"
	"      out[#out + 1] = {id, sc, redis.call('HGETALL', P..'conv:'..id),\n"
	"        redis.call('HMGET', P..'contact:'..id, 'phone', 'locale', 'city'), campaigns(id, 5)}\n"
	"    end\n"
	"  end\n"
	"  offset = offset + count + 1\n"
	"end\n"
	"return out\n";

static const char inbox_thread_text[] = "local P = ARGV[1]\n" CONV_CAMPAIGNS
	"local id = ARGV[2]\n"
	"local c = redis.call('HMGET', P..'contact:'..id, 'phone', 'locale', 'city')\n"
	"if not c[1] then return {} end\n"
	"return {redis.call('HGETALL', P..'conv:'..id), c, campaigns(id, 20), redis.call('LRANGE', P..'thread:'..id, 0, -1)}\n";

static const char inbox_reply_text[] =
	"local P, id, mid, text, by, now = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]\n"
	"local wa = redis.call('HMGET', P..'contact:'..id, 'phone', 'wa_last_in')\n"
	"if not wa[1] then return 'unknown' end\n"
	"if redis.call('SISMEMBER', P..'optout', id) == 1 then return 'opted_out' end\n"
	"local ck = P..'conv:'..id\n"
	"local v = redis.call('HMGET', ck, 'channel', 'provider')\n"
	"if not v[1] then return 'no_channel' end\n"
	"local ch, pv = v[1], v[2] or ''\n"
	/* WhatsApp takes free text for 24 hours after the person last wrote; later, the person's channel or SMS. */
	"if ch == 'whatsapp' and tonumber(now) / 1000 - tonumber(wa[2] or '0') > 86100 then ch = 'auto'; pv = '' end\n"
	"local e = redis.call('XADD', P..'outbox:reply', '*', 'id', mid, 'contact', id, 'channel', ch, 'provider', pv,\n"
	"  'kind', 'reply', 'text', text)\n"
	"redis.call('RPUSH', P..'outr:'..id, e)\n"
	"redis.call('LTRIM', P..'outr:'..id, -1000, -1)\n"
	"redis.call('HINCRBY', ck, 'v', 1)\n"
	"redis.call('RPUSH', P..'thread:'..id, cjson.encode({d = 'out', at = tonumber(now), text = text, by = by, id = mid}))\n"
	"redis.call('LTRIM', P..'thread:'..id, -" CONV_THREAD_MAX ", -1)\n"
	"redis.call('HSET', ck, 'unread', '0', 'answered', now, 'answered_by', by)\n"
	"redis.call('HINCRBY', P..'stats', 'replies_agent', 1)\n"
	"return 'ok'\n";

static const char inbox_close_text[] =
	"local P, id, by, now = ARGV[1], ARGV[2], ARGV[3], ARGV[4]\n"
	"if redis.call('HEXISTS', P..'contact:'..id, 'phone') == 0 then return 'unknown' end\n"
	"local ck = P..'conv:'..id\n"
	"if redis.call('HGET', ck, 'open') ~= '1' then return 'closed' end\n"
	"redis.call('HSET', ck, 'open', '0', 'unread', '0', 'closed', now, 'closed_by', by)\n"
	"redis.call('HINCRBY', ck, 'v', 1)\n"
	"redis.call('ZREM', P..'conv:open', id)\n"
	"redis.call('RPUSH', P..'thread:'..id, cjson.encode({d = 'closed', at = tonumber(now), by = by}))\n"
	"redis.call('HINCRBY', P..'stats', 'conversations_closed', 1)\n"
	"return 'ok'\n";

/* clang-format on */

struct lua_script conv_read = { "conv_read", conv_read_text, "" };
struct lua_script conv_apply = { "conv_apply", conv_apply_text, "" };
struct lua_script inbox_page = { "inbox_page", inbox_page_text, "" };
struct lua_script inbox_thread = { "inbox_thread", inbox_thread_text, "" };
struct lua_script inbox_reply = { "inbox_reply", inbox_reply_text, "" };
struct lua_script inbox_close = { "inbox_close", inbox_close_text, "" };
