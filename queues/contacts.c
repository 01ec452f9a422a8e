/*
 * The contacts' scripts. One shared part (index keys, attribute writes
 * with their index, tags, consent with its history) is put in front of
 * each. Values in index keys are lower-cased and percent-encoded as the
 * gateway's other keys are (docs/redis.md, "Names in keys").
 */
#include "queues/contacts.h"
#include "queues/contacts_lua.h"

/* The Lua text is laid out as Lua, not as C. */
/* clang-format off */

static const char contacts_stage_text[] = CONTACTS_COMMON
	"local id, now, ttl = ARGV[2], ARGV[3], ARGV[4]\n"
	"local rows, seen, meta = P..'import:'..id..':rows', P..'import:'..id..':seen', P..'import:'..id\n"
	"local out, n = {}, {new = 0, changed = 0, same = 0}\n"
	"for i = 5, #ARGV do\n"
	"  local r = cjson.decode(ARGV[i])\n"
	"  local first = redis.call('HGET', seen, r.p)\n"
	"  if first then\n"
	"    out[#out + 1] = 'dup:'..first\n"
	"  else\n"
	"    redis.call('HSET', seen, r.p, string.format('%d', r.ln))\n"
	"    redis.call('HSET', rows, r.p, ARGV[i])\n"
	"    local cur = hash(P..'contact:'..r.p)\n"
	"    local v = not cur.phone and 'new' or differs(cur, r) and 'changed' or 'same'\n"
	"    n[v] = n[v] + 1\n"
	"    out[#out + 1] = v\n"
	"  end\n"
	"end\n"
	"for k, v in pairs(n) do if v > 0 then redis.call('HINCRBY', meta, k, v) end end\n"
	"redis.call('HSET', meta, 'updated', now)\n"
	"for _, k in ipairs({rows, seen, meta}) do redis.call('EXPIRE', k, ttl) end\n"
	"return out\n";

/*
 * Each step applies the rows it reads and takes them off the staged hash,
 * so a step may start from any cursor, even one a restarted Redis no longer
 * knows: a scan that ends with rows left starts over ("r"). The import is
 * marked as being written from its first step, so that another gateway
 * finishes it if this one dies (contacts_resume). Times are Redis's own.
 */
static const char contacts_commit_text[] = CONTACTS_COMMON
	"local id, cursor, count, source, by, resumed = ARGV[2], ARGV[3], ARGV[4], ARGV[6], ARGV[7], ARGV[8]\n"
	"DAY = ARGV[9]\n"
	"local t = redis.call('TIME')\n"
	"local now = string.format('%d', tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000))\n"
	"local rows, meta = P..'import:'..id..':rows', P..'import:'..id\n"
	"if cursor == 'r' then cursor = '0' end\n"
	"local r = redis.call('HSCAN', rows, cursor, 'COUNT', count)\n"
	"for i = 1, #r[2], 2 do\n"
	"  apply(r[2][i], hash(P..'contact:'..r[2][i]), cjson.decode(r[2][i + 1]), now, source, by)\n"
	"  redis.call('HDEL', rows, r[2][i])\n"
	"end\n"
	"if r[1] == '0' and redis.call('HLEN', rows) == 0 then\n"
	"  if resumed == 'resumed' then\n"
	"    redis.call('XADD', P..'audit', '*', 'who', by, 'role', '', 'action', 'contacts.import.finished', 'target', id,\n"
	"      'detail', 'written by another gateway after its own stopped')\n"
	"  end\n"
	"  redis.call('DEL', rows, meta..':seen', meta, meta..':errors')\n"
	"  redis.call('SREM', P..'imports:committing', id)\n"
	"  rflush()\n"
	"  return '0'\n"
	"end\n"
	"local next = r[1] == '0' and 'r' or r[1]\n"
	"redis.call('HSET', meta, 'commit_cursor', next, 'commit_at', now, 'commit_source', source, 'commit_by', by)\n"
	"redis.call('SADD', P..'imports:committing', id)\n"
	"rflush()\n"
	"return next\n";

/*
 * resume: P, stale (ms): an import whose writing stopped (its gateway died
 * between two steps, or before the first) for longer than stale, by
 * Redis's clock, claimed for the caller: [id, cursor, source, by], or []
 * when there is none. One that failed five times is given up (logged by
 * the caller from "gave_up:<id>").
 */
static const char contacts_resume_text[] =
	"local P, stale = ARGV[1], tonumber(ARGV[2])\n"
	"local t = redis.call('TIME')\n"
	"local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n"
	"for _, id in ipairs(redis.call('SMEMBERS', P..'imports:committing')) do\n"
	"  local meta = P..'import:'..id\n"
	"  local m = redis.call('HMGET', meta, 'commit_cursor', 'commit_at', 'commit_source', 'commit_by')\n"
	"  if not m[1] or redis.call('EXISTS', meta..':rows') == 0 then\n"
	"    redis.call('SREM', P..'imports:committing', id)\n"
	"  elseif now - tonumber(m[2] or '0') > stale then\n"
	"    if redis.call('HINCRBY', meta, 'resume_attempts', 1) > 5 then\n"
	"      redis.call('SREM', P..'imports:committing', id)\n"
	"      return {'gave_up:'..id}\n"
	"    end\n"
	"    redis.call('HSET', meta, 'commit_at', string.format('%d', now))\n"
	"    return {id, m[1], m[3] or 'import', m[4] or ''}\n"
	"  end\n"
	"end\n"
	"return {}\n";

/*
 * A part of an import: parts come in order, from the token that began it;
 * the first claims the id. Answers "ok", or "conflict:<next part>".
 */
static const char contacts_part_begin_text[] =
	"local P, id, part, owner, settings, ttl = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4], ARGV[5], ARGV[6]\n"
	"local meta = P..'import:'..id\n"
	"local d = redis.call('HMGET', meta, 'next_part', 'owner', 'settings')\n"
	"if part == 1 then\n"
	"  if d[1] then return 'conflict:'..d[1] end\n"
	"  redis.call('HSET', meta, 'next_part', '1', 'owner', owner, 'settings', settings)\n"
	"elseif tonumber(d[1] or '0') ~= part or d[2] ~= owner or d[3] ~= settings then\n"
	"  return 'conflict:'..(d[1] or '1')\n"
	"end\n"
	"redis.call('EXPIRE', meta, ttl)\n"
	"return 'ok'\n";

/*
 * The end of a part: its rows and refusals added to the import's, the
 * next part expected; answers the totals [new, changed, same, rows,
 * refused, errors (the first 1,000, as JSON)].
 */
static const char contacts_part_end_text[] =
	"local P, id, part, rows, refused, ttl = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]\n"
	"local meta, errs = P..'import:'..id, P..'import:'..id..':errors'\n"
	"redis.call('HINCRBY', meta, 'rows', rows)\n"
	"redis.call('HINCRBY', meta, 'refused', refused)\n"
	"redis.call('HSET', meta, 'next_part', tostring(tonumber(part) + 1))\n"
	"if #ARGV > 6 then\n"
	"  redis.call('RPUSH', errs, unpack(ARGV, 7))\n"
	"  redis.call('LTRIM', errs, 0, 999)\n"
	"end\n"
	"for _, k in ipairs({meta, errs, meta..':rows', meta..':seen'}) do redis.call('EXPIRE', k, ttl) end\n"
	"local m = redis.call('HMGET', meta, 'new', 'changed', 'same', 'rows', 'refused')\n"
	"return {m[1] or '0', m[2] or '0', m[3] or '0', m[4] or '0', m[5] or '0', redis.call('LRANGE', errs, 0, 999)}\n";

static const char contacts_drop_text[] =
	"local P, id = ARGV[1], ARGV[2]\n"
	"return redis.call('DEL', P..'import:'..id..':rows', P..'import:'..id..':seen', P..'import:'..id, P..'import:'..id..':errors')\n";

static const char contacts_get_text[] =
	"local P, id = ARGV[1], ARGV[2]\n"
	"return {redis.call('HGETALL', P..'contact:'..id), redis.call('XREVRANGE', P..'consent:'..id, '+', '-', 'COUNT', 100)}\n";

static const char contacts_update_text[] = CONTACTS_COMMON
	"local id, now, source, by = ARGV[2], ARGV[3], ARGV[4], ARGV[5]\n"
	"DAY = ARGV[7]\n"
	"local cur = hash(P..'contact:'..id)\n"
	"if not cur.phone then return 0 end\n"
	"local r = cjson.decode(ARGV[6])\n"
	"r.ph = cur.phone\n"
	"apply(id, cur, r, now, source, by)\n"
	"rflush()\n"
	"return 1\n";

static const char contacts_erase_text[] = CONTACTS_COMMON
	"local id = ARGV[2]\n"
	"local key = P..'contact:'..id\n"
	"local cur = hash(key)\n"
	"if not cur.phone then return 0 end\n"
	"for _, k in ipairs(ATTRS) do\n"
	"  if INDEXED[k] and cur[k] then redis.call('SREM', ix(k, cur[k]), id) end\n"
	"end\n"
	"for t in string.gmatch(cur.tags or '', '[^,]+') do redis.call('SREM', ix('tag', t), id) end\n"
	"redis.call('SREM', P..'ix:consent:yes', id)\n"
	/*
	 * The reach counters keep what the person was counted in, as an
	 * index no longer tied to anything they told us: their sex, city and
	 * language become unknown, what they were last sent is forgotten, and
	 * the index is marked erased (reach --verify cannot recompute them).
	 */
	"local ri = ridx(id, false)\n"
	"if ri then\n"
	"  for _, a in ipairs(RATTRS) do rattr(ri, a, cur[a], 0) end\n"
	"  rpc('HSET', RX, id, ri)\n"
	"  rpc('SETBIT', P..'rx:erased', ri, 1)\n"
	"end\n"
	"redis.call('ZREM', P..'contacts', id)\n"
	"redis.call('SREM', P..'ix:all', id)\n"
	/* What the person wrote to us: each inbox entry of theirs, by the index the inbound script keeps. */
	"local il = P..'inbox:'..id\n"
	"local ids = redis.call('LRANGE', il, 0, -1)\n"
	"for i = 1, #ids, 500 do redis.call('XDEL', P..'inbox', unpack(ids, i, math.min(i + 499, #ids))) end\n"
	/* And what their conversations kept: the thread, the menu state, tags' provenance, campaigns sent. */
	"redis.call('ZREM', P..'conv:open', id)\n"
	/* The answers queued for them (texts an agent wrote): deleted from the reply lane, sent or not. */
	"local ol = P..'outr:'..id\n"
	"local oids = redis.call('LRANGE', ol, 0, -1)\n"
	"for i = 1, #oids, 500 do redis.call('XDEL', P..'outbox:reply', unpack(oids, i, math.min(i + 499, #oids))) end\n"
	"redis.call('DEL', key, P..'consent:'..id, il, P..'conv:'..id, P..'thread:'..id, P..'tagged:'..id, P..'rcv:'..id,\n"
	"  P..'rl:in:'..id, ol)\n"
	"rflush()\n"
	"return 1\n";

/* clang-format on */

struct lua_script contacts_stage = { "contacts_stage", contacts_stage_text, "" };
struct lua_script contacts_commit = { "contacts_commit", contacts_commit_text, "" };
struct lua_script contacts_resume = { "contacts_resume", contacts_resume_text, "" };
struct lua_script contacts_drop = { "contacts_drop", contacts_drop_text, "" };
struct lua_script contacts_part_begin = { "contacts_part_begin", contacts_part_begin_text, "" };
struct lua_script contacts_part_end = { "contacts_part_end", contacts_part_end_text, "" };
struct lua_script contacts_get = { "contacts_get", contacts_get_text, "" };
struct lua_script contacts_update = { "contacts_update", contacts_update_text, "" };
struct lua_script contacts_erase = { "contacts_erase", contacts_erase_text, "" };
