/*
 * The reach scripts: the query behind GET /v1/reach (and the funnel and
 * the gauges), which combines the day bitmaps the counting scripts write
 * (queues/reach_lua.h) with BITOP and BITCOUNT, and the steps of reach
 * --verify, which recompute every bitmap from the records themselves and
 * compare. docs/indicators.md says what is counted, docs/redis.md the keys.
 */
#include "queues/reach.h"

#include "queues/reach_lua.h"

/* The Lua text is laid out as Lua, not as C. */
/* clang-format off */

/* The most rows (with their zero rows) one question may compute: a few hundred milliseconds of Redis at most. */
#define REACH_MAX_ROWS "3000"

/* Indicators as the bitmaps name them, in the order of enum reach_metric. */
#define REACH_LUA_METRICS "local MS = {'s', 'd', 'r', 'h', 'p', 'i', 'f', 'o'}\n"
/* The indicators and the referrals by name (f~anapec: referred:anapec), which rollups and checks keep too. */
#define REACH_LUA_ALL_METRICS \
	"local MA = {unpack(MS)}\n" \
	"for _, fm in ipairs(redis.call('SMEMBERS', P..'r:fm')) do MA[#MA + 1] = fm end\n"

/*
 * Rollups: a month that has ended is the OR of its days, and a quarter,
 * semester or year that has ended the OR of its months, made once by the
 * gateways in the background (reach_rollup, a period per call) and kept:
 * events are counted on the day they happen, so a past day never changes.
 * A question uses a period's rollup once it is made, its days (or months)
 * until then. Labels: "YYYYMMDD" (a day), "YYYYMM", "YYYYQn", "YYYYSn", "YYYY".
 */
#define REACH_LUA_ROLLUP \
	"local function mdays(y, m)\n" \
	"  local d = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}\n" \
	"  if m == 2 and ((y % 4 == 0 and y % 100 ~= 0) or y % 400 == 0) then return 29 end\n" \
	"  return d[m]\n" \
	"end\n" \
	"local function children(b)\n" \
	"  local out = {}\n" \
	"  local y, m = string.match(b, '^(%d%d%d%d)(%d%d)$')\n" \
	"  if y then\n" \
	"    for d = 1, mdays(tonumber(y), tonumber(m)) do out[#out + 1] = string.format('%s%s%02d', y, m, d) end\n" \
	"    return out\n" \
	"  end\n" \
	"  local first, n\n" \
	"  local yq, q = string.match(b, '^(%d%d%d%d)Q(%d)$')\n" \
	"  local ys, s = string.match(b, '^(%d%d%d%d)S(%d)$')\n" \
	"  if yq then y, first, n = yq, (tonumber(q) - 1) * 3 + 1, 3\n" \
	"  elseif ys then y, first, n = ys, (tonumber(s) - 1) * 6 + 1, 6\n" \
	"  elseif string.match(b, '^%d%d%d%d$') then y, first, n = b, 1, 12\n" \
	"  else return nil end\n" \
	"  for i = first, first + n - 1 do out[#out + 1] = string.format('%s%02d', y, i) end\n" \
	"  return out\n" \
	"end\n" \
	"local donec = {}\n" \
	"local function done(b)\n" \
	"  if donec[b] == nil then donec[b] = redis.call('SISMEMBER', P..'r:done', b) == 1 end\n" \
	"  return donec[b]\n" \
	"end\n" \
	/* The blocks that hold b's counts: b when it is a day or a rollup made, else its children's. */ \
	"local function leaves(b, out)\n" \
	"  out = out or {}\n" \
	"  local kids = children(b)\n" \
	"  if not kids or done(b) then out[#out + 1] = b; return out end\n" \
	"  for _, k in ipairs(kids) do leaves(k, out) end\n" \
	"  return out\n" \
	"end\n" \
	/* What a rollup is made of: its days (a month), or its months that were made (the others). */ \
	"local function parts(b)\n" \
	"  local use = {}\n" \
	"  for _, k in ipairs(children(b) or {}) do if #k == 8 or done(k) then use[#use + 1] = k end end\n" \
	"  return use\n" \
	"end\n"

/*
 * query: ARGV[2] is the question, JSON: "buckets" [{"label", "blocks"}]
 * (the periods of the rows, each covered exactly by days and ended
 * periods), "total" (the blocks of the whole range), "ev" (which of
 * campaign, kind, channel the rows are by), "pd" (which of sex, city,
 * locale), "f" (the filters: lists of values per dimension, as written;
 * sex as f, m, x, or ~ for unknown). Returns one array per row, {period,
 * campaign, kind, channel, sex, city, locale, s, d, r, h, p, i, f, o,
 * campaign name}
 * (city and locale as first written, "" for unknown; sex as stored, ""
 * for unknown), rows with nothing left out, and last the totals row.
 * Temporary keys are deleted before it returns, whatever happens.
 */
static const char reach_query_text[] =
	"local P = ARGV[1]\n"
	"local Q = cjson.decode(ARGV[2])\n"
	REACH_LUA_METRICS
	REACH_LUA_ROLLUP
	"local tmp, ntmp = P..'rq:'..redis.call('INCR', P..'rq:n')..':', 0\n"
	"local made = {}\n"
	"local function newtmp() ntmp = ntmp + 1; local k = tmp..ntmp; made[#made + 1] = k; return k end\n"
	REACH_LUA_RENC
	/* A value asked for: as stored, '~' (unknown) as it is. */
	"local function enc(v)\n"
	"  if v == '~' then return '~' end\n"
	"  return renc(v)\n"
	"end\n"
	/* ORs keys into a temporary key (or gives back the one key); nil when there is none. */
	"local function orkeys(keys)\n"
	"  if #keys == 0 then return nil end\n"
	"  if #keys == 1 then return keys[1] end\n"
	"  local t = newtmp()\n"
	"  for i = 1, #keys, 200 do\n"
	"    local part = {unpack(keys, i, math.min(i + 199, #keys))}\n"
	"    if i > 1 then part[#part + 1] = t end\n"
	"    redis.call('BITOP', 'OR', t, unpack(part))\n"
	"  end\n"
	"  return t\n"
	"end\n"
	"local combos = {}\n"
	"local function combo(c)\n"
	"  local v = combos[c]\n"
	"  if not v then\n"
	"    local k = redis.call('HGET', P..'rx:combos', c) or ''\n"
	"    local a, b, ch = string.match(k, '^(.*)\\31(.*)\\31(.*)$')\n"
	"    v = {a or '', b or '', ch or ''}\n"
	"    combos[c] = v\n"
	"  end\n"
	"  return v\n"
	"end\n"
	"local out = {}\n"
	"local ok, err = pcall(function()\n"
	"local EV = {'campaign', 'kind', 'channel'}\n"
	"local PD = {'sex', 'city', 'locale'}\n"
	"local allow = {}\n"
	"for _, d in ipairs(EV) do\n"
	"  local l = Q.f and Q.f[d]\n"
	"  if l and #l > 0 then allow[d] = {}; for _, v in ipairs(l) do allow[d][v] = true end end\n"
	"end\n"
	/* Unknown: everyone counted (ra:all) who is in none of the attribute's values. */
	"local unk = {}\n"
	"local function akey(a, e)\n"
	"  if e ~= '~' then return P..'ra:'..a..':'..e end\n"
	"  if not unk[a] then\n"
	"    local keys = {}\n"
	"    if a == 'sex' then keys = {P..'ra:sex:f', P..'ra:sex:m', P..'ra:sex:x'}\n"
	"    else for _, v in ipairs(redis.call('HKEYS', P..'ra:v:'..a)) do keys[#keys + 1] = P..'ra:'..a..':'..v end end\n"
	/* The known values are a part of everyone: XOR takes them out. */
	"    local t = newtmp()\n"
	"    if #keys == 0 then redis.call('BITOP', 'OR', t, P..'ra:all')\n"
	"    else redis.call('BITOP', 'XOR', t, orkeys(keys), P..'ra:all') end\n"
	"    unk[a] = t\n"
	"  end\n"
	"  return unk[a]\n"
	"end\n"
	/* The person filters: the OR of each attribute's values asked for, ANDed. */
	"local mask = {}\n"
	"for _, a in ipairs(PD) do\n"
	"  local l = Q.f and Q.f[a]\n"
	"  if l and #l > 0 then\n"
	"    local keys = {}\n"
	"    for _, v in ipairs(l) do keys[#keys + 1] = akey(a, enc(v)) end\n"
	"    mask[#mask + 1] = orkeys(keys)\n"
	"  end\n"
	"end\n"
	/* The values of each person dimension the rows are by. */
	"local pvals = {}\n"
	"for _, a in ipairs(Q.pd or {}) do\n"
	"  local l = {}\n"
	"  if a == 'sex' then l = {'f', 'm', 'x', '~'}\n"
	"  else for _, e in ipairs(redis.call('HKEYS', P..'ra:v:'..a)) do if e ~= '~' then l[#l + 1] = e end end; l[#l + 1] = '~' end\n"
	"  pvals[#pvals + 1] = {a, l}\n"
	"end\n"
	"local labels = {}\n"
	"local function label(a, e)\n"
	"  if e == '~' then return '' end\n"
	"  if a == 'sex' then return e end\n"
	"  local k = a..':'..e\n"
	"  if labels[k] == nil then labels[k] = redis.call('HGET', P..'ra:v:'..a, e) or e end\n"
	"  return labels[k]\n"
	"end\n"
	/* referred: one referral alone when asked (Q.referral, "anapec" for referred:anapec). */
	"local FM = 'f'\n"
	"if Q.referral and Q.referral ~= '' then FM = 'f~'..enc(Q.referral) end\n"
	"local evby = {}\n"
	"for _, d in ipairs(Q.ev or {}) do evby[d] = true end\n"
	"local pmask, scratch, nrows = newtmp(), newtmp(), 0\n"
	/* One period's rows (or the totals, with no breakdown): bk is its blocks. */
	"local function run(plabel, bk, grouped)\n"
	"  local groups, order = {}, {}\n"
	"  local lv = {}\n"
	"  for _, b in ipairs(bk) do leaves(b, lv) end\n"
	"  for _, b in ipairs(lv) do\n"
	"    for _, c in ipairs(redis.call('SMEMBERS', P..'r:c:'..b)) do\n"
	"      local v = combo(c)\n"
	"      local ok = true\n"
	"      for i, d in ipairs(EV) do if allow[d] and not allow[d][v[i]] then ok = false end end\n"
	"      if ok then\n"
	"        local g = {'', '', ''}\n"
	"        if grouped then for i, d in ipairs(EV) do if evby[d] then g[i] = v[i] end end end\n"
	"        local gk = g[1]..'\\31'..g[2]..'\\31'..g[3]\n"
	"        local t = groups[gk]\n"
	"        if not t then t = {g = g, keys = {}}; for _, m in ipairs(MS) do t.keys[m] = {} end; groups[gk] = t; order[#order + 1] = gk end\n"
	"        for _, m in ipairs(MS) do t.keys[m][#t.keys[m] + 1] = P..'r:'..(m == 'f' and FM or m)..':'..b..':'..c end\n"
	/* Reached: delivered, and the people h holds (sent by a route without receipts). */
	"        t.keys.h[#t.keys.h + 1] = P..'r:d:'..b..':'..c\n"
	"      end\n"
	"    end\n"
	"  end\n"
	"  if not grouped and #order == 0 then\n"
	"    out[#out + 1] = {plabel, '', '', '', '', '', '', 0, 0, 0, 0, 0, 0, 0, 0, ''}\n"
	"    return\n"
	"  end\n"
	"  table.sort(order)\n"
	"  for _, gk in ipairs(order) do\n"
	"    local t = groups[gk]\n"
	"    local mk = {}\n"
	"    for _, m in ipairs(MS) do\n"
	"      local k = orkeys(t.keys[m])\n"
	"      if k and redis.call('BITCOUNT', k) > 0 then mk[m] = k end\n"
	"    end\n"
	/* Every combination of the person dimensions' values (one with none when the rows are not by any). */
	"    local combos_p = {{}}\n"
	"    if grouped then\n"
	"      for _, pv in ipairs(pvals) do\n"
	"        local n = {}\n"
	"        for _, base in ipairs(combos_p) do\n"
	"          for _, e in ipairs(pv[2]) do\n"
	"            local x = {unpack(base)}; x[#x + 1] = {pv[1], e}; n[#n + 1] = x\n"
	"          end\n"
	"        end\n"
	"        combos_p = n\n"
	"      end\n"
	"    end\n"
	"    for _, pc in ipairs(combos_p) do\n"
	/* A question is one script: past this many rows it would hold Redis too long. */
	"      nrows = nrows + 1\n"
	"      if nrows > " REACH_MAX_ROWS " then error({err = 'too_large'}) end\n"
	"      local row = {plabel, t.g[1], t.g[2], t.g[3], '', '', ''}\n"
	"      local ands = {unpack(mask)}\n"
	"      for _, x in ipairs(pc) do\n"
	"        ands[#ands + 1] = akey(x[1], x[2])\n"
	"        local pos = x[1] == 'sex' and 5 or x[1] == 'city' and 6 or 7\n"
	"        row[pos] = label(x[1], x[2])\n"
	"      end\n"
	/* The row's people (its sex, city, locale and the filters) once, for every indicator. */
	"      if #ands > 1 then\n"
	"        redis.call('BITOP', 'AND', pmask, unpack(ands))\n"
	"        ands = {pmask}\n"
	"      end\n"
	"      row[16] = ''\n"
	/* The gateway's own campaigns are ids: their names come with them. */
	"      if t.g[1] ~= '' and string.match(t.g[1], '^c%x+$') then\n"
	"        local ok, v = pcall(redis.call, 'HGET', P..'cmp:'..t.g[1], 'name')\n"
	"        if ok and type(v) == 'string' then row[16] = v end\n"
	"      end\n"
	"      local any = false\n"
	"      for j, m in ipairs(MS) do\n"
	"        local n = 0\n"
	"        if mk[m] then\n"
	"          if #ands == 0 then n = redis.call('BITCOUNT', mk[m])\n"
	"          else\n"
	"            redis.call('BITOP', 'AND', scratch, mk[m], ands[1])\n"
	"            n = redis.call('BITCOUNT', scratch)\n"
	"          end\n"
	"        end\n"
	"        row[7 + j] = n\n"
	"        if n > 0 then any = true end\n"
	"      end\n"
	"      if any or not grouped then out[#out + 1] = row end\n"
	"    end\n"
	"  end\n"
	"end\n"
	"  for _, b in ipairs(Q.buckets or {}) do run(b.label, b.blocks, true) end\n"
	"  run('', Q.total or {}, false)\n"
	"end)\n"
	"for i = 1, #made, 500 do redis.call('DEL', unpack(made, i, math.min(i + 499, #made))) end\n"
	"if not ok then return redis.error_reply(type(err) == 'table' and tostring(err.err) or tostring(err)) end\n"
	"return out\n";


/*
 * verify: one step of reach --verify. ARGV: P, the step, its cursor, a
 * count, the run's id (its keys are P rv:<run>:…), the providers without
 * delivery receipts (space-separated). The steps recompute every bitmap
 * from the records into the run's own keys — "log" (the delivery log:
 * sent, delivered, read, reached), "inbox" (replied), "topics" (informed),
 * "consent" (opted out), "tagged" (referred), "attrs" (each counted
 * person's sex, city and locale from their contact record) — then
 * "compare" lists every key where the counters and the records differ,
 * ended rollups included, and "clean" deletes the run's keys. Each returns
 * {next cursor ("0": the step is done), records read, {differences},
 * {stream, day…}}; a difference is {what, day, combo, live, recomputed};
 * the last, at the end of compare, names the streams trimmed and the last
 * day their records no longer fully hold (left out of the comparison).
 */
static const char reach_verify_text[] =
	"local P, step, cursor, count, run = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4]), ARGV[5]\n"
	REACH_LUA_METRICS
	REACH_LUA_ALL_METRICS
	REACH_LUA_ROLLUP
	"local V = P..'rv:'..run..':'\n"
	"local NORECEIPT = {}\n"
	"for p in string.gmatch(ARGV[6] or '', '%S+') do NORECEIPT[p] = true end\n"
	REACH_LUA_RENC
	"local INFO = {training = true, employment = true, residency = true, covid = true}\n"
	"local diffs, nread = {}, 0\n"
	"local idxs, combos = {}, {}\n"
	"local function idx(person)\n"
	"  if idxs[person] == nil then\n"
	"    local v = redis.call('HGET', P..'rx:p', person)\n"
	"    idxs[person] = v and string.match(v, '^(%d+)') or false\n"
	"  end\n"
	"  return idxs[person]\n"
	"end\n"
	"local function combo(campaign, kind, channel)\n"
	"  local k = campaign..'\\31'..kind..'\\31'..channel\n"
	"  if combos[k] == nil then combos[k] = redis.call('HGET', P..'rx:combo', k) or false end\n"
	"  return combos[k]\n"
	"end\n"
	"local function mark(m, day, c, i)\n"
	"  local k = m..':'..day..':'..c\n"
	"  redis.call('SETBIT', V..'r:'..k, i, 1)\n"
	"  redis.call('SADD', V..'keys', k)\n"
	"end\n"
	/* An event the counters cannot have: no index for the person, or no id for its combination. */
	"local function missing(what, day, detail)\n"
	"  diffs[#diffs + 1] = {what, day or '', detail, 1, 0}\n"
	"end\n"
	"local function fields(t)\n"
	"  local h = {}\n"
	"  for i = 1, #t, 2 do h[t[i]] = t[i + 1] end\n"
	"  return h\n"
	"end\n"
	/*
	 * A stream trimmed ([redis] log_maxlen) no longer has its oldest
	 * records: the days up to its first one left cannot be recomputed, and
	 * the comparison leaves them out (what says so is kept in the run).
	 */
	"local function trimmed(key, name)\n"
	"  local ok, info = pcall(redis.call, 'XINFO', 'STREAM', key)\n"
	"  if not ok then return end\n"
	"  local h = {}\n"
	"  for i = 1, #info, 2 do h[info[i]] = info[i + 1] end\n"
	"  if (tonumber(h['entries-added']) or 0) > (tonumber(h.length) or 0) and type(h['first-entry']) == 'table' then\n"
	"    local f = fields(h['first-entry'][2])\n"
	"    if f.day then redis.call('HSET', V..'cut', name, f.day) end\n"
	"  end\n"
	"end\n"
	"local function stream(key, each)\n"
	"  if cursor == '0' then trimmed(key, step) end\n"
	"  local start = cursor == '0' and '-' or '('..cursor\n"
	"  local r = redis.call('XRANGE', key, start, '+', 'COUNT', count)\n"
	"  for _, e in ipairs(r) do nread = nread + 1; each(fields(e[2])) end\n"
	"  if #r < count then return '0' end\n"
	"  return r[#r][1]\n"
	"end\n"
	"local function scan(pattern, each)\n"
	"  local r = redis.call('SCAN', cursor, 'MATCH', P..pattern, 'COUNT', count)\n"
	"  for _, k in ipairs(r[2]) do nread = nread + 1; each(k, string.sub(k, #P + #pattern)) end\n"
	"  return r[1]\n"
	"end\n"
	"local next = '0'\n"
	"if step == 'log' then\n"
	"  next = stream(P..'log', function(e)\n"
	"    local st = e.state\n"
	"    if not e.day or (st ~= 'sent' and st ~= 'delivered' and st ~= 'read') then return end\n"
	"    local i, c = idx(e.person or ''), combo(e.campaign or '', e.kind or '', e.channel or '')\n"
	"    if not i or not c then missing(st, e.day, 'no index or combination for a logged event'); return end\n"
	"    if st == 'sent' then\n"
	"      mark('s', e.day, c, i)\n"
	"      if NORECEIPT[e.provider or ''] then mark('h', e.day, c, i) end\n"
	"    else\n"
	"      mark('d', e.day, c, i)\n"
	"      if st == 'read' then mark('r', e.day, c, i) end\n"
	"    end\n"
	"  end)\n"
	"elseif step == 'inbox' then\n"
	"  next = stream(P..'inbox', function(e)\n"
	"    if not e.day or not e.credit or e.credit == '' then return end\n"
	"    local i = idx(e.contact or '')\n"
	"    if not i then missing('replied', e.day, 'no index for a reply'); return end\n"
	"    mark('p', e.day, e.credit, i)\n"
	"  end)\n"
	"elseif step == 'topics' then\n"
	"  next = stream(P..'topics', function(e)\n"
	"    if not e.day or not INFO[e.topic or ''] or (e.credit or '') == '' then return end\n"
	"    local i = idx(e.person or '')\n"
	"    if not i then missing('informed', e.day, 'no index for a topic chosen'); return end\n"
	"    mark('i', e.day, e.credit, i)\n"
	"  end)\n"
	"elseif step == 'consent' then\n"
	"  next = scan('consent:*', function(k, person)\n"
	"    for _, e in ipairs(redis.call('XRANGE', k, '-', '+')) do\n"
	"      local h = fields(e[2])\n"
	"      if h.day and (h.credit or '') ~= '' then\n"
	"        local i = idx(person)\n"
	"        if i then mark('o', h.day, h.credit, i) else missing('opted_out', h.day, 'no index for an opt-out') end\n"
	"      end\n"
	"    end\n"
	"  end)\n"
	"elseif step == 'tagged' then\n"
	"  next = scan('tagged:*', function(k, person)\n"
	"    local h = redis.call('HGETALL', k)\n"
	"    for j = 1, #h, 2 do\n"
	"      if string.sub(h[j], 1, 3) == '~r:' then\n"
	"        local day, c = string.match(h[j + 1], '^(%d+) (%d+)$')\n"
	"        local i = idx(person)\n"
	"        if day and i then\n"
	"          mark('f', day, c, i)\n"
	"          mark('f~'..renc(string.sub(h[j], 13)), day, c, i)\n"
	"        elseif day then missing('referred', day, 'no index for a referral') end\n"
	"      end\n"
	"    end\n"
	"  end)\n"
	"elseif step == 'attrs' then\n"
	"  local r = redis.call('HSCAN', P..'rx:p', cursor, 'COUNT', count)\n"
	"  for j = 1, #r[2], 2 do\n"
	"    nread = nread + 1\n"
	"    local i = string.match(r[2][j + 1], '^(%d+)')\n"
	"    local ct = redis.call('HMGET', P..'contact:'..r[2][j], 'sex', 'city', 'locale')\n"
	"    redis.call('SETBIT', V..'ra:all', i, 1)\n"
	"    for n, a in ipairs({'sex', 'city', 'locale'}) do\n"
	"      local v = ct[n]\n"
	"      if v and v ~= '' then\n"
	"        local e = renc(v)\n"
	"        redis.call('SETBIT', V..'ra:'..a..':'..e, i, 1)\n"
	"        redis.call('SADD', V..'attrs', a..':'..e)\n"
	"      end\n"
	"    end\n"
	"  end\n"
	"  next = r[1]\n"
	"elseif step == 'compare' then\n"
	/* The first call lists what to compare: every live key and every recomputed one, rollups and attributes. */
	"  local todo = V..'todo'\n"
	"  if cursor == '0' and redis.call('EXISTS', V..'listed') == 0 then\n"
	"    redis.call('SET', V..'listed', '1')\n"
	"    for _, day in ipairs(redis.call('SMEMBERS', P..'r:days')) do\n"
	"      for _, c in ipairs(redis.call('SMEMBERS', P..'r:c:'..day)) do\n"
	"        for _, m in ipairs(MA) do redis.call('SADD', todo, 'r:'..m..':'..day..':'..c) end\n"
	"      end\n"
	"    end\n"
	"    for _, k in ipairs(redis.call('SMEMBERS', V..'keys')) do redis.call('SADD', todo, 'r:'..k) end\n"
	"    for _, b in ipairs(redis.call('SMEMBERS', P..'r:done')) do redis.call('SADD', todo, 'u:'..b) end\n"
	"    redis.call('SADD', todo, 'ra:all')\n"
	"    for _, a in ipairs({'sex', 'city', 'locale'}) do\n"
	"      for _, e in ipairs(redis.call('HKEYS', P..'ra:v:'..a)) do redis.call('SADD', todo, 'ra:'..a..':'..e) end\n"
	"    end\n"
	"    for _, k in ipairs(redis.call('SMEMBERS', V..'attrs')) do redis.call('SADD', todo, 'ra:'..k) end\n"
	/* People erased on request: what only their deleted records held cannot be recomputed, so it is not compared. */
	"    if redis.call('EXISTS', P..'rx:erased') == 1 then\n"
	"      redis.call('SETBIT', P..'rx:erased', tonumber(redis.call('GET', P..'rx:n') or '0') + 8, 0)\n"
	"      redis.call('BITOP', 'NOT', V..'kept', P..'rx:erased')\n"
	"    end\n"
	"  end\n"
	"  local kept = redis.call('EXISTS', V..'kept') == 1\n"
	"  local t = V..'x'\n"
	"  local function cmp(live, shadow, what, day, c, mask)\n"
	"    redis.call('BITOP', 'XOR', t, live, shadow)\n"
	"    if mask and kept then redis.call('BITOP', 'AND', t, t, V..'kept') end\n"
	"    if redis.call('BITCOUNT', t) > 0 then\n"
	"      diffs[#diffs + 1] = {what, day, c, redis.call('BITCOUNT', live), redis.call('BITCOUNT', shadow)}\n"
	"    end\n"
	"  end\n"
	"  local PERSON = {p = true, o = true, f = true}\n"
	"  local cut = {}\n"
	"  local ch = redis.call('HGETALL', V..'cut')\n"
	"  for i = 1, #ch, 2 do\n"
	"    if ch[i] == 'log' then for _, m in ipairs({'s', 'd', 'r', 'h'}) do cut[m] = ch[i + 1] end\n"
	"    elseif ch[i] == 'inbox' then cut.p = ch[i + 1] elseif ch[i] == 'topics' then cut.i = ch[i + 1] end\n"
	"  end\n"
	"  local r = redis.call('SSCAN', todo, cursor, 'COUNT', count)\n"
	"  for _, k in ipairs(r[2]) do\n"
	"    nread = nread + 1\n"
	"    local m, day, c = string.match(k, '^r:([^:]+):(%w+):(%d+)$')\n"
	"    local b = string.match(k, '^u:(%w+)$')\n"
	"    if m then\n"
	"      if not (cut[m] and #day == 8 and day <= cut[m]) then cmp(P..k, V..k, m, day, c, PERSON[string.sub(m, 1, 1)]) end\n"
	"    elseif b then\n"
	/* A rollup against the OR of its live days: what a change of a past day would make it. */
	"      local kids = parts(b)\n"
	/* Every combination of its parts too: a late count of a new one in a past day shows. */
	"      local sets = {P..'r:c:'..b}\n"
	"      for _, kd in ipairs(kids) do sets[#sets + 1] = P..'r:c:'..kd end\n"
	"      for _, c2 in ipairs(redis.call('SUNION', unpack(sets))) do\n"
	"        for _, m2 in ipairs(MA) do\n"
	"          local keys = {V..'none'}\n"
	"          for _, kd in ipairs(kids) do keys[#keys + 1] = P..'r:'..m2..':'..kd..':'..c2 end\n"
	"          redis.call('BITOP', 'OR', V..'u', unpack(keys))\n"
	"          cmp(P..'r:'..m2..':'..b..':'..c2, V..'u', m2, b, c2, false)\n"
	"        end\n"
	"      end\n"
	"    else\n"
	"      cmp(P..k, V..k, string.sub(k, 4), '', '', false)\n"
	"    end\n"
	"  end\n"
	"  next = r[1]\n"
	"elseif step == 'clean' then\n"
	"  local r = redis.call('SCAN', cursor, 'MATCH', V..'*', 'COUNT', count)\n"
	"  if #r[2] > 0 then redis.call('DEL', unpack(r[2])) end\n"
	"  next = r[1]\n"
	"end\n"
	/* Each difference's combination, as names. */
	"for _, d in ipairs(diffs) do\n"
	"  if string.match(d[3], '^%d+$') then d[3] = redis.call('HGET', P..'rx:combos', d[3]) or d[3] end\n"
	"end\n"
	"local cuts = {}\n"
	"if step == 'compare' and next == '0' then cuts = redis.call('HGETALL', V..'cut') end\n"
	"return {next, nread, diffs, cuts}\n";


/* funnel: P, the campaign's key form; {its record (the gateway's campaigns), its counters, why not sent}. */
static const char reach_funnel_text[] =
	"local P, name, ckey = ARGV[1], ARGV[2], ARGV[3]\n"
	"local rec = {}\n"
	"if string.match(name, '^c%x+$') then rec = redis.call('HGETALL', P..'cmp:'..name) end\n"
	"return {rec, redis.call('HGETALL', P..'campaign:'..ckey), redis.call('HGETALL', P..'campaign:'..ckey..':why')}\n";


/*
 * rollup: one step of keeping the rollups. ARGV: P, the last day a
 * period may end on to be rolled up ("YYYYMMDD": two days back, for
 * clocks). Makes the first month that ended and has counts, else the
 * first quarter, semester or year whose months are made, from its parts,
 * and returns its label; "" when there is nothing to make. One period per
 * call, so that Redis serves everyone else between two.
 */
static const char reach_rollup_text[] =
	"local P, closed = ARGV[1], ARGV[2]\n"
	REACH_LUA_METRICS
	REACH_LUA_ALL_METRICS
	REACH_LUA_ROLLUP
	/* The last day of a month, quarter, semester or year, as YYYYMMDD. */
	"local function last(b)\n"
	"  local y, lm = tonumber(string.sub(b, 1, 4)), 12\n"
	"  local q, sm = string.match(b, '^%d%d%d%d([QS])(%d)$')\n"
	"  if q == 'Q' then lm = tonumber(sm) * 3\n"
	"  elseif q == 'S' then lm = tonumber(sm) * 6\n"
	"  elseif #b == 6 then lm = tonumber(string.sub(b, 5, 6)) end\n"
	"  return string.format('%04d%02d%02d', y, lm, mdays(y, lm))\n"
	"end\n"
	"local function make(b)\n"
	"  local use, sets = parts(b), {}\n"
	"  for _, k in ipairs(use) do sets[#sets + 1] = P..'r:c:'..k end\n"
	"  if #sets > 0 then\n"
	"    redis.call('SUNIONSTORE', P..'r:c:'..b, unpack(sets))\n"
	"    for _, c in ipairs(redis.call('SMEMBERS', P..'r:c:'..b)) do\n"
	"      for _, m in ipairs(MA) do\n"
	"        local keys = {}\n"
	"        for _, k in ipairs(use) do keys[#keys + 1] = P..'r:'..m..':'..k..':'..c end\n"
	"        redis.call('BITOP', 'OR', P..'r:'..m..':'..b..':'..c, unpack(keys))\n"
	"      end\n"
	"    end\n"
	"  end\n"
	"  redis.call('SADD', P..'r:done', b)\n"
	"  return b\n"
	"end\n"
	"local days = redis.call('SMEMBERS', P..'r:days')\n"
	"table.sort(days)\n"
	"local months, seen = {}, {}\n"
	"for _, d in ipairs(days) do\n"
	"  local m = string.sub(d, 1, 6)\n"
	"  if not seen[m] then seen[m] = true; months[#months + 1] = m end\n"
	"end\n"
	"for _, m in ipairs(months) do\n"
	"  if last(m) <= closed and not done(m) then return make(m) end\n"
	"end\n"
	/* Every month that ended is made: the longer periods, from them. */
	"for _, kind in ipairs({'Q', 'S', 'Y'}) do\n"
	"  for _, m in ipairs(months) do\n"
	"    local y, mo = string.sub(m, 1, 4), tonumber(string.sub(m, 5, 6))\n"
	"    local b = kind == 'Y' and y or y..kind..(kind == 'Q' and math.floor((mo - 1) / 3) + 1 or math.floor((mo - 1) / 6) + 1)\n"
	"    if last(b) <= closed and not done(b) then return make(b) end\n"
	"  end\n"
	"end\n"
	"return ''\n";

/* clang-format on */

struct lua_script reach_rollup = { "reach_rollup", reach_rollup_text, "" };
struct lua_script reach_funnel = { "reach_funnel", reach_funnel_text, "" };
struct lua_script reach_verify = { "reach_verify", reach_verify_text, "" };
struct lua_script reach_query = { "reach_query", reach_query_text, "" };
