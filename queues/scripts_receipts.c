/*
 * The Lua bodies of the receipts' scripts: status callbacks and inbound
 * messages, and apply_status, which finish also uses for statuses that
 * came before their send was recorded.
 */
#include "queues/scripts_int.h"

/* The Lua text is laid out as Lua, not as C. */
/* clang-format off */

/*
 * A status callback on message kid. The state only moves forward; read
 * implies delivered. optout, when not empty, is the source of the person's
 * marketing opt-out that came with the status. Returns 1 recorded, 2
 * unchanged, 3 no such message.
 */
const char scripts_apply_status[] =
	"local function apply_status(kid, status, err, optout)\n"
	"  local key = P..'msg:'..kid\n"
	"  local m = redis.call('HMGET', key, 'state', 'campaign', 'kind', 'lane', 'channel', 'provider', 'person',\n"
	"    'ckey', 'id', 'provider_id', 'attempts')\n"
	"  if not m[1] then count('', 'status_orphaned'); return 3 end\n"
	"  local c, ch = m[2] or '', m[5] or ''\n"
	"  local ck = m[8] or c\n"
	/* Only a message recorded as sent moves on: a failed, skipped or parked one never was. */
	"  local cur, new = RANK[m[1]], RANK[status]\n"
	"  if not cur or not new or new <= cur then count(ck, 'status_unchanged'); return 2 end\n"
	"  redis.call('HSET', key, 'state', status, 'updated', nows)\n"
	"  if err ~= '' then redis.call('HSET', key, 'status_error', err) end\n"
	"  if optout ~= '' and m[7] and m[7] ~= '' then\n"
	"    write('HSET', P..'contact:'..m[7], 'marketing_optout', nows, 'marketing_optout_source', optout)\n"
	"  end\n"
	"  if status == S_UNDELIVERED then\n"
	"    count(ck, 'undelivered'); count(ck, bych('undelivered', ch))\n"
	"  else\n"
	"    if m[1] == S_UNDELIVERED then\n"
	/* The person read it after all: it was delivered, not lost. */
	"      count(ck, 'undelivered', -1); count(ck, bych('undelivered', ch), -1)\n"
	"    end\n"
	"    if m[1] ~= S_DELIVERED then\n"
	"      count(ck, 'delivered'); count(ck, bych('delivered', ch))\n"
	"      if c ~= '' then later('SADD', P..'campaign:'..ck..':reached', m[7]) end\n"
	"    end\n"
	"    if status == S_READ then count(ck, 'read'); count(ck, bych('read', ch)) end\n"
	/* The reach counters: delivered (read implies it; reached is delivered and h), read. */
	"    local ri = ridx(m[7], true)\n"
	"    local rc = rcombo(c, m[3] or '', ch)\n"
	/* A read is a delivery too, on the day it is reported (--verify counts it so from the log). */
	"    if m[1] ~= S_DELIVERED or status == S_READ then rmark('d', rc, ri) end\n"
	"    if status == S_READ then rmark('r', rc, ri) end\n"
	"  end\n"
	/* The provider's code only (a word of up to 16 letters, digits, dots, dashes): its text could say anything. */
	"  if status == S_UNDELIVERED and c ~= '' then\n"
	"    local code = (#err <= 16 and string.match(err, '^[%w%.%-]+$')) and err or (err == '' and '?' or 'other')\n"
	"    write('HINCRBY', P..'campaign:'..ck..':why', S_UNDELIVERED..':'..(m[6] or '')..' '..code, 1)\n"
	"  end\n"
	"  logev(m[9] or kid, status, c, m[3] or '', ch, m[7] or '', m[6] or '', m[10] or '',\n"
	"    m[11] or '1', err)\n"
	"  return 1\n"
	"end\n";


/*
 * status: per status 1 recorded, 2 unchanged (old or duplicate), 3 the
 * message record is gone, 0 kept until the send is recorded.
 */
const char script_status[] =
	"redis.call('ZREMRANGEBYSCORE', P..'early', '-inf', nows)\n"
	/* The reach counters' bits and indexes written once at the end (reach_lua.h). */
	"rbatch()\n"
	"local function one(b, out)\n"
	"  @ITEM@\n"
	"  local kid = redis.call('GET', P..'pid:'..provider..':'..pkey)\n"
	"  if kid then\n"
	"    out[#out + 1] = apply_status(kid, status, err, optout)\n"
	"  else\n"
	"    local ek = P..'early:'..provider..':'..pkey\n"
	"    redis.call('HSET', ek, status, err)\n"
	"    if optout ~= '' then redis.call('HSET', ek, 'optout', optout) end\n"
	"    redis.call('EXPIRE', ek, ttl)\n"
	"    redis.call('ZADD', P..'early', tostring(now + tonumber(ttl) * 1000), provider..':'..pkey)\n"
	"    count('', 'status_early')\n"
	"    out[#out + 1] = 0\n"
	"  end\n"
	"end\n"
	"local out = run(one)\n"
	"rflush()\n"
	"return out\n";

/*
 * inbound: creates the contact when new, refreshes the WhatsApp window,
 * appends to the inbox. Per message 1 stored, 0 duplicate.
 */
const char script_inbound[] =
	"local function one(b, out)\n"
	"  @ITEM@\n"
	"  if not redis.call('SET', P..'seen:'..provider..':'..pkey, '1', 'NX', 'EX', ttl) then\n"
	"    count('', 'inbound_duplicates')\n"
	"    out[#out + 1] = 0; return\n"
	"  end\n"
	"  local ck = P..'contact:'..person\n"
	"  local ct = redis.call('HMGET', ck, 'created', 'locale', 'channel', 'wa_last_in')\n"
	"  local loc = ct[2] or ''\n"
	"  if not ct[1] then\n"
	"    loc = locale\n"
	"    redis.call('HSET', ck, 'phone', phone, 'created', nows, 'source', 'inbound')\n"
	"    redis.call('ZADD', P..'contacts', nows, person)\n"
	"    redis.call('SADD', P..'ix:all', person)\n"
	"    rmove(person, 'locale', nil, locale)\n"
	"    if locale ~= '' then\n"
	"      redis.call('HSET', ck, 'locale', locale)\n"
	"      redis.call('SADD', P..'ix:locale:'..string.lower(locale), person)\n"
	"    end\n"
	"    count('', 'contacts_created')\n"
	"  end\n"
	"  redis.call('HSET', ck, 'last_in', nows, 'last_in_channel', channel)\n"
	"  if channel == 'whatsapp' then\n"
	"    local t = tonumber(time)\n"
	"    if t <= 0 or t * 1000 > now + 300000 then t = math.floor(now / 1000) end\n"
	"    if not ct[4] or tonumber(ct[4]) < t then redis.call('HSET', ck, 'wa_last_in', tostring(t)) end\n"
	"    if not ct[3] then\n"
	"      redis.call('HSET', ck, 'channel', 'whatsapp')\n"
	"      redis.call('SADD', P..'ix:channel:whatsapp', person)\n"
	"    end\n"
	"  end\n"
	/* Replied: credited to the last message they were sent (within the window), which the entry keeps. */
	"  local ri, rc = rcredit(person, nows, false)\n"
	"  if rc then rmark('p', rc, ri) end\n"
	"  local f = {'provider_id', pid, 'channel', channel, 'provider', provider, 'contact', person,\n"
	"    'locale', loc, 'type', mtype, 'text', text, 'received', nows, 'sent_at', time, 'day', DAY, 'credit', rc or ''}\n"
	"  local e\n"
	"  if inbox_maxlen ~= '0' then\n"
	"    e = redis.call('XADD', P..'inbox', 'MAXLEN', '~', inbox_maxlen, '*', unpack(f))\n"
	"  else\n"
	"    e = redis.call('XADD', P..'inbox', '*', unpack(f))\n"
	"  end\n"
	/* What erasing the person must find again (docs/redis.md). */
	"  redis.call('RPUSH', P..'inbox:'..person, e)\n"
	"  redis.call('LTRIM', P..'inbox:'..person, -10000, -1)\n"
	"  count('', 'inbound'); count('', 'inbound.'..channel)\n"
	"  out[#out + 1] = 1\n"
	"end\n"
	"local out = run(one)\n"
	"rflush()\n"
	"return out\n";

/* clang-format on */
