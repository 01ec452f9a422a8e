/*
 * The Lua part every script that writes a contact starts with: index
 * keys, attribute writes with their index, tags, consent with its history
 * (queues/contacts.c, queues/conversations.c). Values in index keys are
 * lower-cased and percent-encoded as the gateway's other keys are
 * (docs/redis.md, "Names in keys"). ARGV[1] is the key prefix.
 */
#ifndef AMUDDU_CONTACTS_LUA_H
#define AMUDDU_CONTACTS_LUA_H

#include "queues/reach_lua.h"

/* The Lua text is laid out as Lua, not as C. */
/* clang-format off */

/* The key prefix and the names of the index keys: P ix:<attr>:<value>, for the contacts' and the audiences' scripts. */
#define CONTACTS_INDEX \
	"local P = ARGV[1]\n" \
	"local function enc(v)\n" \
	"  return (string.gsub(string.lower(v), '[^%w%-%._~@/]', function(c) return string.format('%%%02X', string.byte(c)) end))\n" \
	"end\n" \
	"local function ix(attr, v) return P..'ix:'..attr..':'..enc(v) end\n"

#define CONTACTS_COMMON \
	CONTACTS_INDEX \
	/* The local date of the call (each script that counts sets it from its arguments). */ \
	"local DAY = ''\n" \
	REACH_COMMON \
	"local INDEXED = {city = true, locale = true, sex = true, channel = true}\n" \
	"local ATTRS = {'name', 'first_name', 'city', 'locale', 'sex', 'channel'}\n" \
	"local function hash(key)\n" \
	"  local h, t = {}, redis.call('HGETALL', key)\n" \
	"  for i = 1, #t, 2 do h[t[i]] = t[i + 1] end\n" \
	"  return h\n" \
	"end\n" \
	"local function sorted_tags(t)\n" \
	"  local l = {}\n" \
	"  for _, v in ipairs(t) do l[#l + 1] = v end\n" \
	"  table.sort(l)\n" \
	"  return table.concat(l, ',')\n" \
	"end\n" \
	/* Whether applying row r to the contact cur would change it. */ \
	"local function differs(cur, r)\n" \
	"  for k, v in pairs(r.a or {}) do if (cur[k] or '') ~= v then return true end end\n" \
	"  if r.t and (cur.tags or '') ~= sorted_tags(r.t) then return true end\n" \
	"  if r.co and cur.consent ~= r.co then return true end\n" \
	"  for k, v in pairs(r.x or {}) do if cur['f:'..k] ~= v then return true end end\n" \
	"  return false\n" \
	"end\n" \
	/* Applies row r to contact id (cur: its hash, {} when new); true when something changed. */ \
	"local function apply(id, cur, r, now, source, by)\n" \
	"  local key, changed = P..'contact:'..id, false\n" \
	"  if not cur.phone then\n" \
	"    redis.call('HSET', key, 'phone', r.ph, 'created', now, 'source', source)\n" \
	"    redis.call('ZADD', P..'contacts', now, id)\n" \
	"    redis.call('SADD', P..'ix:all', id)\n" \
	"    changed = true\n" \
	"  end\n" \
	"  for _, k in ipairs(ATTRS) do\n" \
	"    local v = r.a and r.a[k]\n" \
	"    local old = cur[k] or ''\n" \
	"    if v and v ~= old then\n" \
	"      if v == '' then redis.call('HDEL', key, k) else redis.call('HSET', key, k, v) end\n" \
	"      if INDEXED[k] then\n" \
	"        if old ~= '' then redis.call('SREM', ix(k, old), id) end\n" \
	"        if v ~= '' then redis.call('SADD', ix(k, v), id) end\n" \
	"      end\n" \
	"      if k == 'sex' or k == 'city' or k == 'locale' then rmove(id, k, old, v) end\n" \
	"      changed = true\n" \
	"    end\n" \
	"  end\n" \
	"  if r.t then\n" \
	"    local new, old = sorted_tags(r.t), cur.tags or ''\n" \
	"    if new ~= old then\n" \
	/* Referred: a referred:* tag added, the first time the person has it, credited as replies are. */ \
	"      local had = {}\n" \
	"      for t in string.gmatch(old, '[^,]+') do had[t] = true end\n" \
	"      for _, t in ipairs(r.t) do\n" \
	"        if not had[t] and string.sub(t, 1, 9) == 'referred:' and\n" \
	"          redis.call('HEXISTS', P..'tagged:'..id, '~r:'..t) == 0 then\n" \
	"          local ri, rc = rcredit(id, now, true)\n" \
	"          rc = rc or rcombo('', '', '')\n" \
	"          rmark('f', rc, ri)\n" \
	/* And under the referral's own name (f~anapec), for the programme's "referred to ANAPEC". */ \
	"          local fm = 'f~'..renc(string.sub(t, 10))\n" \
	"          rmark(fm, rc, ri)\n" \
	"          rpc('SADD', P..'r:fm', fm)\n" \
	"          redis.call('HSET', P..'tagged:'..id, '~r:'..t, DAY..' '..(rc or ''))\n" \
	"        end\n" \
	"      end\n" \
	"      for t in string.gmatch(old, '[^,]+') do redis.call('SREM', ix('tag', t), id) end\n" \
	"      for _, t in ipairs(r.t) do redis.call('SADD', ix('tag', t), id) end\n" \
	"      if new == '' then redis.call('HDEL', key, 'tags') else redis.call('HSET', key, 'tags', new) end\n" \
	"      changed = true\n" \
	"    end\n" \
	"  end\n" \
	"  for k, v in pairs(r.x or {}) do\n" \
	"    if cur['f:'..k] ~= v then redis.call('HSET', key, 'f:'..k, v); changed = true end\n" \
	"  end\n" \
	/* Consent is a history: a change adds an event (value, time, source, who), never rewrites one. */ \
	"  if r.co and cur.consent ~= r.co then\n" \
	"    local at = r.ca and r.ca > 0 and string.format('%d', r.ca) or now\n" \
	"    redis.call('HSET', key, 'consent', r.co, 'consent_at', at, 'consent_source', source)\n" \
	/* Opted out: a STOP, or consent on record withdrawn (docs/indicators.md); the event keeps its day and credit. */ \
	"    if r.co == 'no' and (cur.consent == 'yes' or source == 'keyword') then\n" \
	"      local ri, rc = rcredit(id, now, true)\n" \
	"      rc = rc or rcombo('', '', '')\n" \
	"      rmark('o', rc, ri)\n" \
	"      redis.call('XADD', P..'consent:'..id, '*', 'value', r.co, 'at', at, 'source', source, 'by', by,\n" \
	"        'day', DAY, 'credit', rc or '')\n" \
	"    else\n" \
	"      redis.call('XADD', P..'consent:'..id, '*', 'value', r.co, 'at', at, 'source', source, 'by', by)\n" \
	"    end\n" \
	"    if r.co == 'yes' then redis.call('SADD', P..'ix:consent:yes', id) else redis.call('SREM', P..'ix:consent:yes', id) end\n" \
	"    changed = true\n" \
	"  end\n" \
	"  if changed then redis.call('HSET', key, 'updated', now) end\n" \
	"  return changed\n" \
	"end\n"

/* clang-format on */

#endif
