/*
 * The reach counters' Lua part, shared by every script that records
 * something an indicator counts: the outbox's finish (sent), the status
 * callbacks (delivered, read), the inbound messages (replied), the
 * contacts' writes (opted out, referred, a person's sex, city and locale)
 * and the conversations (informed). docs/indicators.md gives the rules,
 * docs/redis.md the keys.
 *
 * Each person who counts in anything gets a small integer, their index,
 * once; each (campaign, kind, channel) a combination id. An event sets the
 * person's bit in the bitmap of its indicator, local day and combination
 * (P r:<m>:<day>:<combo>); the person's sex, city and locale are bitmaps
 * over the same indexes (P ra:<attr>:<value>; P ra:all holds everyone, so
 * that "unknown" is everyone in no value). Counting is idempotent: a
 * resend or a status that comes twice sets a bit already set.
 *
 * Before it: P (the key prefix) and DAY (the local date, "YYYYMMDD") as
 * locals. Writes go through pcall: a counter some other program broke is
 * logged by Redis and never stops the step it counts for; rflush(), which
 * every script that counts calls last, adds the failures to write_errors
 * in P stats.
 */
#ifndef AMUDDU_REACH_LUA_H
#define AMUDDU_REACH_LUA_H

/* The Lua text is laid out as Lua, not as C. */
/* clang-format off */

/*
 * Credit window: replies, topics chosen, referrals and opt-outs are
 * credited to the last message (not an answer) the person was sent within
 * this many milliseconds (30 days).
 */
#define REACH_CREDIT_MS "2592000000"

/*
 * An attribute's value (or a referral's name) in a key: lower-cased,
 * encoded as names in keys are; '~' for none. The counting scripts, the
 * question and --verify all write and read keys with this one function.
 */
#define REACH_LUA_RENC \
	"local function renc(v)\n" \
	"  if not v or v == '' then return '~' end\n" \
	"  return (string.gsub(string.lower(v), '[^%w%-%._@/]', function(c) return string.format('%%%02X', string.byte(c)) end))\n" \
	"end\n"

#define REACH_COMMON \
	"local RX = P..'rx:p'\n" \
	"local r_err = 0\n" \
	/* A write (counted when it fails) or a read (logged only: the writes it leads to count). */ \
	"local function rcall(write, ...)\n" \
	"  local ok, v = pcall(redis.call, ...)\n" \
	"  if ok then return v end\n" \
	"  if write then r_err = r_err + 1 end\n" \
	"  redis.log(redis.LOG_WARNING, 'amuddu reach: cannot '..(write and 'write ' or 'read ')..\n" \
	"    tostring(select(2, ...))..': '..(type(v) == 'table' and tostring(v.err) or tostring(v)))\n" \
	"  return nil\n" \
	"end\n" \
	"local function rpc(...) return rcall(true, ...) end\n" \
	"local function rget(...) return rcall(false, ...) end\n" \
	REACH_LUA_RENC \
	"local RATTRS = {'sex', 'city', 'locale'}\n" \
	/*
	 * Batching, for a script that records many events in one call: after
	 * rbatch(), the bits set and the indexes written are gathered and made
	 * by rflush(), one BITFIELD per bitmap and one HSET of the indexes,
	 * instead of a call each (the status callbacks); rpreload() also reads
	 * every given person's index at once and takes the new ones with one
	 * INCRBY (the outbox's finish). Setting a bit and writing an index are
	 * idempotent, so an item that fails after gathering its writes leaves
	 * nothing wrong behind (as when they were made at once); an index taken
	 * for a person whose item then did not count is never used, and an
	 * index no bit holds counts nowhere. Other scripts write at once.
	 */ \
	"local r_batch, r_known, r_bits, r_bitkeys, r_rx = false, {}, {}, {}, {}\n" \
	"local r_next, r_last = 0, -1\n" \
	"local function rsetbit(key, idx)\n" \
	"  if not r_batch then rpc('SETBIT', key, idx, 1); return end\n" \
	"  local l = r_bits[key]\n" \
	"  if not l then l = {}; r_bits[key] = l; r_bitkeys[#r_bitkeys + 1] = key end\n" \
	"  l[#l + 1] = idx\n" \
	"end\n" \
	"local function rxget(person)\n" \
	"  if r_batch then\n" \
	"    local v = r_known[person]\n" \
	"    if v ~= nil then return v or nil end\n" \
	"  end\n" \
	"  return rget('HGET', RX, person) or nil\n" \
	"end\n" \
	"local function rxset(person, v)\n" \
	"  if not r_batch then rpc('HSET', RX, person, v); return end\n" \
	"  r_known[person] = v\n" \
	"  r_rx[#r_rx + 1] = person; r_rx[#r_rx + 1] = v\n" \
	"end\n" \
	"local function rbatch() r_batch = true end\n" \
	"local function rpreload(persons)\n" \
	"  r_batch = true\n" \
	"  for i = 1, #persons, 1000 do\n" \
	"    local j = math.min(i + 999, #persons)\n" \
	"    local ok, r = pcall(redis.call, 'HMGET', RX, unpack(persons, i, j))\n" \
	"    if ok then for k = i, j do r_known[persons[k]] = r[k - i + 1] end end\n" \
	"  end\n" \
	"  local new, seen = 0, {}\n" \
	"  for _, p in ipairs(persons) do\n" \
	"    if r_known[p] == false and not seen[p] then seen[p] = true; new = new + 1 end\n" \
	"  end\n" \
	"  local last = new > 0 and rpc('INCRBY', P..'rx:n', new)\n" \
	"  if last then r_next, r_last = last - new + 1, last end\n" \
	"end\n" \
	"local function rflush()\n" \
	"  for _, key in ipairs(r_bitkeys) do\n" \
	"    local l = r_bits[key]\n" \
	"    for i = 1, #l, 500 do\n" \
	"      local a = {'BITFIELD', key}\n" \
	"      for j = i, math.min(i + 499, #l) do a[#a + 1] = 'SET'; a[#a + 1] = 'u1'; a[#a + 1] = l[j]; a[#a + 1] = '1' end\n" \
	/*
	 * BITFIELD checks every offset first: one it refuses (an index some
	 * other program wrote) costs only its own bit. A key of the wrong type
	 * refuses them all: logged once, not once per bit, and every bit
	 * counted as a failed write.
	 */ \
	"      local ok, e = pcall(redis.call, unpack(a))\n" \
	"      if ok then\n" \
	"      elseif string.find(type(e) == 'table' and tostring(e.err) or tostring(e), 'WRONGTYPE', 1, true) then\n" \
	"        r_err = r_err + math.min(500, #l - i + 1) - 1\n" \
	"        rpc('SETBIT', key, l[i], 1)\n" \
	"      else\n" \
	"        for j = i, math.min(i + 499, #l) do rpc('SETBIT', key, l[j], 1) end\n" \
	"      end\n" \
	"    end\n" \
	"  end\n" \
	"  for i = 1, #r_rx, 1000 do rpc('HSET', RX, unpack(r_rx, i, math.min(i + 999, #r_rx))) end\n" \
	"  r_bits, r_bitkeys, r_rx = {}, {}, {}\n" \
	"  if r_err > 0 then pcall(redis.call, 'HINCRBY', P..'stats', 'write_errors', r_err); r_err = 0 end\n" \
	"end\n" \
	/* Sets (on 1) or clears (0) a person's bit in one attribute's value; none is no bit (unknown: not in any). */ \
	"local function rattr(idx, attr, v, on)\n" \
	"  if not v or v == '' then return end\n" \
	"  if on == 1 then rsetbit(P..'ra:'..attr..':'..renc(v), idx) else rpc('SETBIT', P..'ra:'..attr..':'..renc(v), idx, 0) end\n" \
	"end\n" \
	/*
	 * The person's index, the combination of the last message they were
	 * sent and when (ms), and whether the index is new; made when create
	 * (and written, unless nosave: the caller writes it with more).
	 */ \
	"local function ridx(person, create, nosave)\n" \
	"  if not person or person == '' then return nil end\n" \
	"  local v = rxget(person)\n" \
	"  if v then\n" \
	"    local i, c, t = string.match(v, '^(%d+),?(%d*),?(%d*)$')\n" \
	"    if i then return i, c, t, false end\n" \
	"  end\n" \
	"  if not create then return nil end\n" \
	"  local n\n" \
	"  if r_next <= r_last then n = r_next; r_next = r_next + 1 else n = rpc('INCR', P..'rx:n') end\n" \
	"  if not n then return nil end\n" \
	"  local i = tostring(n)\n" \
	"  if not nosave then rxset(person, i) end\n" \
	"  rsetbit(P..'ra:all', i)\n" \
	"  local ct = rget('HMGET', P..'contact:'..person, 'sex', 'city', 'locale') or {}\n" \
	"  for j, a in ipairs(RATTRS) do\n" \
	"    local v = ct[j]\n" \
	"    if v and v ~= '' then rattr(i, a, v, 1); rpc('HSETNX', P..'ra:v:'..a, renc(v), v) end\n" \
	"  end\n" \
	"  return i, '', '', true\n" \
	"end\n" \
	/* A person's attribute changed: the value's label is kept for reports; their bit moves if they count. */ \
	"local function rmove(person, attr, old, new)\n" \
	"  if new and new ~= '' then rpc('HSETNX', P..'ra:v:'..attr, renc(new), new) end\n" \
	"  if renc(old) == renc(new) then return end\n" \
	"  local i = ridx(person, false)\n" \
	"  if not i then return end\n" \
	"  rattr(i, attr, old, 0); rattr(i, attr, new, 1)\n" \
	"end\n" \
	"local r_combo, r_block = {}, {}\n" \
	/* The id of (campaign, kind, channel), made at first use. */ \
	"local function rcombo(campaign, kind, channel)\n" \
	"  local k = (campaign or '')..'\\31'..(kind or '')..'\\31'..(channel or '')\n" \
	"  local c = r_combo[k]\n" \
	"  if c then return c end\n" \
	"  c = rget('HGET', P..'rx:combo', k)\n" \
	"  if not c then\n" \
	"    local n = rpc('INCR', P..'rx:nc')\n" \
	"    if not n then return nil end\n" \
	"    c = tostring(n)\n" \
	"    rpc('HSET', P..'rx:combo', k, c)\n" \
	"    rpc('HSET', P..'rx:combos', c, k)\n" \
	"  end\n" \
	"  r_combo[k] = c\n" \
	"  return c\n" \
	"end\n" \
	/* The bitmaps' names are made once per call (r_key[DAY][m][c]), and the day's lists of combinations written once. */ \
	"local r_key = {}\n" \
	/* Counts person idx in indicator m (s d r h p i f o) today, for combination c. */ \
	"local function rmark(m, c, idx)\n" \
	"  if not c or c == '' or not idx or DAY == '' then return end\n" \
	"  local kd = r_key[DAY]\n" \
	"  if not kd then kd = {}; r_key[DAY] = kd; rpc('SADD', P..'r:days', DAY) end\n" \
	"  local km = kd[m]\n" \
	"  if not km then km = {}; kd[m] = km end\n" \
	"  local key = km[c]\n" \
	"  if not key then\n" \
	"    key = P..'r:'..m..':'..DAY..':'..c; km[c] = key\n" \
	"    local bk = DAY..':'..c\n" \
	"    if not r_block[bk] then r_block[bk] = true; rpc('SADD', P..'r:c:'..DAY, c) end\n" \
	"  end\n" \
	"  rsetbit(key, idx)\n" \
	"end\n" \
	/* A message (not an answer) was sent to the person: what their replies and choices are credited to. */ \
	"local function rsent(person, idx, c, now)\n" \
	"  rxset(person, c and idx..','..c..','..now or idx)\n" \
	"end\n" \
	/*
	 * What a person's act is credited to: the combination of the last
	 * message they were sent within the window, or nil. Returns the index
	 * (made when create) too.
	 */ \
	"local function rcredit(person, now, create)\n" \
	"  local i, c, t = ridx(person, create)\n" \
	"  if i and c ~= '' and t ~= '' and tonumber(now) - tonumber(t) <= " REACH_CREDIT_MS " then return i, c end\n" \
	"  return i, nil\n" \
	"end\n"

/* clang-format on */

#endif
