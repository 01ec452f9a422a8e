/*
 * The contacts' search script. Filters on city, locale, sex, channel, tag
 * and consent=yes are answered by the index sets the contacts' scripts
 * keep (the ones audiences are resolved with), a chunk of contacts at a
 * time; other consents, names and numbers by the contact's hash. What one call looks through is bounded by its examine
 * argument, whatever the number of contacts.
 */
#include "queues/contacts_search.h"
#include "queues/contacts_lua.h"

/* The Lua text is laid out as Lua, not as C. */
/* clang-format off */

/*
 * Names are compared folded: ASCII lower case, the accented Latin letters
 * of French and Spanish as their base letters (é è ê ë → e, ç → c, œ →
 * oe), and Arabic as the keyword matching reads it (handlers/normalise.c):
 * harakat and tatweel dropped, أ إ آ ٱ → ا, ؤ → و, ئ ى ی → ي, ة → ه, ک → ك.
 * Anything else is compared as it is written. A character of two bytes
 * that starts with one of the lead bytes below is looked up in FOLD
 * whole; a lead byte is never inside another character.
 */
#define CONTACTS_SEARCH_FOLD \
	"local FOLD = {}\n" \
	"local LATIN = {'a', 'a', 'a', 'a', 'a', 'a', 'ae', 'c', 'e', 'e', 'e', 'e', 'i', 'i', 'i', 'i',\n" \
	"  'd', 'n', 'o', 'o', 'o', 'o', 'o', false, 'o', 'u', 'u', 'u', 'u', 'y', false, 'ss'}\n" \
	/* U+00C0… upper case and U+00E0… lower case share their letters, but for ß (U+00DF) and ÿ (U+00FF). */ \
	"for i, v in ipairs(LATIN) do\n" \
	"  if v then FOLD['\\195'..string.char(127 + i)] = v; FOLD['\\195'..string.char(159 + i)] = v end\n" \
	"end\n" \
	"FOLD['\\195\\191'] = 'y'\n" \
	"FOLD['\\197\\146'], FOLD['\\197\\147'], FOLD['\\197\\184'] = 'oe', 'oe', 'y'\n" \
	/* Tatweel U+0640, harakat U+064B…U+065F, superscript alef U+0670. */ \
	"FOLD['\\217\\128'], FOLD['\\217\\176'] = '', ''\n" \
	"for b = 139, 159 do FOLD['\\217'..string.char(b)] = '' end\n" \
	"for _, k in ipairs({'\\216\\162', '\\216\\163', '\\216\\165', '\\217\\177'}) do FOLD[k] = '\\216\\167' end\n" \
	"FOLD['\\216\\164'] = '\\217\\136'\n" \
	"FOLD['\\216\\166'], FOLD['\\217\\137'], FOLD['\\219\\140'] = '\\217\\138', '\\217\\138', '\\217\\138'\n" \
	"FOLD['\\216\\169'] = '\\217\\135'\n" \
	"FOLD['\\218\\169'] = '\\217\\131'\n" \
	"local function fold(s)\n" \
	"  if not string.find(s, '[\\128-\\255]') then return string.lower(s) end\n" \
	"  return (string.gsub(string.lower(s), '[\\195\\197\\216-\\219][\\128-\\191]', FOLD))\n" \
	"end\n"

static const char contacts_search_text[] = CONTACTS_INDEX CONTACTS_SEARCH_FOLD
	"local after, limit, examine = ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])\n"
	"local f = cjson.decode(ARGV[5])\n"
	"local Z, CHUNK = P..'contacts', 250\n"
	"local W = {}\n"
	"for _, w in ipairs(f.words or {}) do\n"
	"  w = fold(w)\n"
	"  if w ~= '' then W[#W + 1] = w end\n"
	"end\n"
	"local searching = f.words ~= nil or f.number ~= nil\n"
	/* The filters an index answers (consent=yes has one), and the consents the hash must show for the others. */
	"local IXF, CONSENT = {}\n"
	"for _, a in ipairs({'city', 'locale', 'sex', 'channel', 'tag'}) do\n"
	"  if f[a] then IXF[#IXF + 1] = {a, f[a]} end\n"
	"end\n"
	"if f.consent and #f.consent == 1 and f.consent[1] == 'yes' then\n"
	"  IXF[#IXF + 1] = {'consent', f.consent}\n"
	"elseif f.consent then\n"
	"  CONSENT = {}\n"
	"  for _, v in ipairs(f.consent) do CONSENT[v] = true end\n"
	"end\n"
	"local function by_words(name, first)\n"
	"  if #W == 0 then return false end\n"
	"  local hay = fold(name or '')..'\\n'..fold(first or '')\n"
	"  for _, w in ipairs(W) do\n"
	"    if not string.find(hay, w, 1, true) then return false end\n"
	"  end\n"
	"  return true\n"
	"end\n"
	"local function by_number(phone)\n"
	"  local n = f.number\n"
	"  if not n or not phone then return false end\n"
	"  local d = string.sub(phone, 2)\n"
	"  if f.match == 'whole' then return d == n end\n"
	"  if f.match == 'prefix' then return string.sub(d, 1, #n) == n end\n"
	"  return string.find(d, n, 1, true) ~= nil\n"
	"end\n"
	/* For each id of a chunk, whether the index filters hold: one SMISMEMBER a value, not one call a contact. */
	"local function indexed(ids)\n"
	"  local ok = {}\n"
	"  for i = 1, #ids do ok[i] = true end\n"
	"  for _, x in ipairs(IXF) do\n"
	"    local any = {}\n"
	"    for _, v in ipairs(x[2]) do\n"
	"      local m = redis.call('SMISMEMBER', ix(x[1], v), unpack(ids))\n"
	"      for i = 1, #ids do any[i] = any[i] or m[i] == 1 end\n"
	"    end\n"
	"    for i = 1, #ids do ok[i] = ok[i] and any[i] end\n"
	"  end\n"
	"  return ok\n"
	"end\n"
	/* Whether the contact's hash takes the rest: consent, and the search by words or number. */
	"local function held(id)\n"
	"  if not CONSENT and not searching then return true end\n"
	"  local h = redis.call('HMGET', P..'contact:'..id, 'consent', 'name', 'first_name', 'phone')\n"
	"  if CONSENT and not CONSENT[h[1] or 'none'] then return false end\n"
	"  return not searching or by_number(h[4]) or by_words(h[2], h[3])\n"
	"end\n"
	"local ams, alast = string.match(after, '^(%d+):(%x+)$')\n"
	"local am = tonumber(ams)\n"
	/* The smallest index a filter gives: its sets' sizes added up (a person in two counts twice). */
	"local drive, cost\n"
	"for _, x in ipairs(IXF) do\n"
	"  local n = 0\n"
	"  for _, v in ipairs(x[2]) do n = n + redis.call('SCARD', ix(x[1], v)) end\n"
	"  if not cost or n < cost then drive, cost = x, n end\n"
	"end\n"
	/* take(k): the next k contacts (or fewer: all that are left) to look at, as their creation times and ids. */
	"local take\n"
	"if cost and cost <= examine then\n"
	/* Few enough to take whole: that index's contacts after the cursor, in the list's order. */
	"  local ids, seen, c = {}, {}, {}\n"
	"  for _, v in ipairs(drive[2]) do\n"
	"    for _, id in ipairs(redis.call('SMEMBERS', ix(drive[1], v))) do\n"
	"      if not seen[id] then seen[id] = true; ids[#ids + 1] = id end\n"
	"    end\n"
	"  end\n"
	"  if #ids > 0 then\n"
	"    local sc = redis.call('ZMSCORE', Z, unpack(ids))\n"
	"    for i, id in ipairs(ids) do\n"
	"      local s = tonumber(sc[i])\n"
	"      if s and (not am or s > am or (s == am and id > alast)) then c[#c + 1] = {s, id} end\n"
	"    end\n"
	"  end\n"
	"  table.sort(c, function(x, y) return x[1] < y[1] or (x[1] == y[1] and x[2] < y[2]) end)\n"
	"  local at = 0\n"
	"  take = function(k)\n"
	"    local scs, out = {}, {}\n"
	"    for i = at + 1, math.min(at + k, #c) do scs[#scs + 1], out[#out + 1] = c[i][1], c[i][2] end\n"
	"    at = at + #out\n"
	"    return scs, out\n"
	"  end\n"
	"else\n"
	/* The contacts in order from the cursor's; when it is gone (erased), from where it stood. */
	"  local pos = 0\n"
	"  if am then\n"
	"    if tonumber(redis.call('ZSCORE', Z, alast)) == am then\n"
	"      pos = redis.call('ZRANK', Z, alast) + 1\n"
	"    else\n"
	"      pos = redis.call('ZCOUNT', Z, '-inf', '('..ams)\n"
	"      local hi = pos + redis.call('ZCOUNT', Z, ams, ams)\n"
	"      while pos < hi do\n"
	"        local mid = math.floor((pos + hi) / 2)\n"
	"        if redis.call('ZRANGE', Z, mid, mid)[1] <= alast then pos = mid + 1 else hi = mid end\n"
	"      end\n"
	"    end\n"
	"  end\n"
	"  take = function(k)\n"
	"    local r, scs, out = redis.call('ZRANGE', Z, pos, pos + k - 1, 'WITHSCORES'), {}, {}\n"
	"    for i = 1, #r, 2 do scs[#scs + 1], out[#out + 1] = tonumber(r[i + 1]), r[i] end\n"
	"    pos = pos + #out\n"
	"    return scs, out\n"
	"  end\n"
	"end\n"
	/*
	 * Up to limit matches, then one more looked for: found, or the budget
	 * spent with contacts left, the cursor is the last contact looked at
	 * before it (those between did not match); nothing left, no cursor.
	 */
	"local out, n, more, left, lsc, lid = {}, 0, false, true\n"
	"while n < examine and not more and left do\n"
	"  local k = math.min(CHUNK, examine - n)\n"
	"  local scs, ids = take(k)\n"
	"  left = #ids == k\n"
	"  local ok = #ids > 0 and indexed(ids) or {}\n"
	"  for i, id in ipairs(ids) do\n"
	"    n = n + 1\n"
	"    if ok[i] and held(id) then\n"
	"      if #out == limit then more = true; break end\n"
	"      out[#out + 1] = {id, string.format('%d', scs[i]), redis.call('HGETALL', P..'contact:'..id)}\n"
	"    end\n"
	"    lsc, lid = scs[i], id\n"
	"  end\n"
	"end\n"
	"local cursor = ''\n"
	"if lid and (more or (left and #select(2, take(1)) > 0)) then cursor = string.format('%d', lsc)..':'..lid end\n"
	"return {cursor, out}\n";

/* clang-format on */

struct lua_script contacts_search = { "contacts_search", contacts_search_text, "" };
