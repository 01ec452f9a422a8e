/*
 * Lua scripts run by EVALSHA. Each takes the key prefix and the consumer
 * group first, so one gateway binary serves any prefix. Keys are built
 * inside the scripts (Redis is not run in cluster mode here; see
 * docs/redis.md). Helpers shared by all scripts are prepended to each.
 */
#include "queues/scripts.h"

#include <openssl/sha.h>
#include <stdio.h>
#include <string.h>

#include "gateway/util/xmalloc.h"
#include "queues/cmdargs.h"

/* The Lua text is laid out as Lua, not as C. */
/* clang-format off */

/* Common prologue: ARGV[1] prefix, ARGV[2] group, ARGV[3] now (ms), ARGV[4] log maxlen. */
#define SCRIPTS_PROLOGUE \
	"local P, G, now, maxlen = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])\n" \
	"local function logev(f)\n" \
	"  if maxlen > 0 then\n" \
	"    redis.call('XADD', P..'log', 'MAXLEN', '~', maxlen, '*', unpack(f))\n" \
	"  else\n" \
	"    redis.call('XADD', P..'log', '*', unpack(f))\n" \
	"  end\n" \
	"end\n" \
	"local counts, acks = {}, {}\n" \
	"local function count(c, field)\n" \
	"  local k = c..'\\0'..field\n" \
	"  counts[k] = (counts[k] or 0) + 1\n" \
	"end\n" \
	"local function ack(stream, entry)\n" \
	"  local l = acks[stream]\n" \
	"  if not l then l = {}; acks[stream] = l end\n" \
	"  l[#l + 1] = entry\n" \
	"end\n" \
	"local function flush()\n" \
	"  for stream, l in pairs(acks) do redis.call('XACK', stream, G, unpack(l)) end\n" \
	"  local total = {}\n" \
	"  for k, by in pairs(counts) do\n" \
	"    local z = string.find(k, '\\0', 1, true)\n" \
	"    local c, field = string.sub(k, 1, z - 1), string.sub(k, z + 1)\n" \
	"    total[field] = (total[field] or 0) + by\n" \
	"    if c ~= '' then redis.call('HINCRBY', P..'campaign:'..c, field, by) end\n" \
	"  end\n" \
	"  for field, by in pairs(total) do redis.call('HINCRBY', P..'stats', field, by) end\n" \
	"end\n" \
	"local terminal = {sent=true, delivered=true, undelivered=true, read=true, failed=true, skipped=true,\n" \
	"  expired=true}\n" \
	"local rank = {sent=1, delivered=2, undelivered=2, read=3}\n" \
	"local function apply_status(id, status, err)\n" \
	"  local key = P..'msg:'..id\n" \
	"  local m = redis.call('HMGET', key, 'state', 'campaign', 'kind', 'lane', 'channel', 'provider', 'person')\n" \
	"  if not m[1] then count('', 'status_orphaned'); return 3 end\n" \
	"  local c, ch = m[2] or '', m[5] or ''\n" \
	"  local cur, new = rank[m[1]] or 0, rank[status]\n" \
	"  if not new or new <= cur then count(c, 'status_unchanged'); return 2 end\n" \
	"  redis.call('HSET', key, 'state', status, 'updated', now)\n" \
	"  if err ~= '' then redis.call('HSET', key, 'status_error', err) end\n" \
	"  if status == 'undelivered' then\n" \
	"    count(c, 'undelivered'); count(c, 'undelivered.'..ch)\n" \
	"  else\n" \
	"    if m[1] ~= 'delivered' then\n" \
	"      count(c, 'delivered'); count(c, 'delivered.'..ch)\n" \
	"      if c ~= '' then redis.call('SADD', P..'campaign:'..c..':reached', m[7]) end\n" \
	"    end\n" \
	"    if status == 'read' then count(c, 'read'); count(c, 'read.'..ch) end\n" \
	"  end\n" \
	"  local ev = {'id', id, 'state', status, 'campaign', c, 'kind', m[3] or '', 'lane', m[4] or '',\n" \
	"    'channel', ch, 'provider', m[6] or '', 'person', m[7] or ''}\n" \
	"  if err ~= '' then ev[#ev + 1] = 'error'; ev[#ev + 1] = err end\n" \
	"  logev(ev)\n" \
	"  return 1\n" \
	"end\n"

/*
 * begin: ARGV[5] message ttl (s), ARGV[6] n, then n groups of 9:
 * lane, entry, id, person, campaign, expires (s), kind, channel, contact
 * ("1": read the contact record, which only WhatsApp routing needs; "2":
 * also its phone, for entries addressed by contact id).
 * Returns per message an array: {attempt, wa_last_in, channel, locale,
 * phone} with attempt > 0 to send now (the rest from the contact record), or
 * {-1} duplicate id, {-2} expired, {-3} opted out, {-4} already finished.
 */
static const char script_begin[] = SCRIPTS_PROLOGUE
	"local ttl, n = tonumber(ARGV[5]), tonumber(ARGV[6])\n"
	"local out, seen = {}, {}\n"
	"for i = 0, n - 1 do\n"
	"  local b = 7 + i * 9\n"
	"  local lane, entry, id, person, c = ARGV[b], ARGV[b+1], ARGV[b+2], ARGV[b+3], ARGV[b+4]\n"
	"  local expires, kind, channel, want = tonumber(ARGV[b+5]), ARGV[b+6], ARGV[b+7], ARGV[b+8]\n"
	"  local stream, key = P..'outbox:'..lane, P..'msg:'..id\n"
	"  local st = redis.call('HMGET', key, 'state', 'entry')\n"
	"  local res\n"
	"  if st[1] and st[2] ~= entry then\n"
	"    ack(stream, entry)\n"
	"    count(c, 'duplicates')\n"
	"    res = -1\n"
	"  elseif st[1] and terminal[st[1]] then\n"
	"    ack(stream, entry)\n"
	"    res = -4\n"
	"  else\n"
	"    local fresh = not st[1]\n"
	"    if fresh then\n"
	"      if c ~= '' and not seen[c] then seen[c] = true; redis.call('SADD', P..'campaigns', c) end\n"
	"      count(c, 'queued')\n"
	"      logev({'id', id, 'state', 'queued', 'campaign', c, 'kind', kind, 'lane', lane,\n"
	"        'channel', channel, 'person', person})\n"
	"    elseif st[1] == 'sending' then\n"
	"      count(c, 'resent')\n"
	"    end\n"
	"    local final\n"
	"    if expires > 0 and now >= expires * 1000 then\n"
	"      final = 'expired'\n"
	"    elseif redis.call('SISMEMBER', P..'optout', person) == 1 then\n"
	"      final = 'skipped'\n"
	"    end\n"
	"    if final then\n"
	"      local why = final == 'expired' and 'expired' or 'opted_out'\n"
	"      redis.call('HSET', key, 'state', final, 'entry', entry, 'lane', lane, 'campaign', c, 'kind', kind,\n"
	"        'person', person, 'channel', channel, 'updated', now, 'error', why)\n"
	"      if fresh then redis.call('HSET', key, 'created', now, 'attempts', 0) end\n"
	"      redis.call('EXPIRE', key, ttl)\n"
	"      ack(stream, entry)\n"
	"      count(c, final)\n"
	"      logev({'id', id, 'state', final, 'campaign', c, 'kind', kind, 'lane', lane,\n"
	"        'channel', channel, 'person', person, 'error', why})\n"
	"      res = final == 'expired' and -2 or -3\n"
	"    elseif fresh then\n"
	"      redis.call('HSET', key, 'state', 'sending', 'entry', entry, 'lane', lane, 'campaign', c,\n"
	"        'kind', kind, 'person', person, 'channel', channel, 'created', now, 'updated', now, 'attempts', 1)\n"
	"      res = 1\n"
	"    else\n"
	"      res = redis.call('HINCRBY', key, 'attempts', 1)\n"
	"      redis.call('HSET', key, 'state', 'sending', 'updated', now)\n"
	"    end\n"
	"  end\n"
	"  if res > 0 and want ~= '' then\n"
	"    local ct = redis.call('HMGET', P..'contact:'..person, 'wa_last_in', 'channel', 'locale', 'phone')\n"
	"    out[#out + 1] = {res, ct[1] or '0', ct[2] or '', ct[3] or '', want == '2' and ct[4] or ''}\n"
	"  elseif res > 0 then\n"
	"    out[#out + 1] = {res, '0', '', '', ''}\n"
	"  else\n"
	"    out[#out + 1] = {res}\n"
	"  end\n"
	"end\n"
	"flush()\n"
	"return out\n";

/*
 * finish: ARGV[5] message ttl (s), ARGV[6] provider-id ttl (s), ARGV[7] n,
 * then n outcomes, each: lane, entry, id, outcome (sent|retry|failed|skipped),
 * channel, provider, provider_id, error, attempt, retry_at (ms), person,
 * campaign, kind, nf, then nf field names and values (for retry and
 * failed). A sent outcome applies any status callback that came before
 * it (early:<provider>:<id>, indexed in the early sorted set so that a
 * batch with none pays one ZCARD). Returns per outcome 1, or 0 when it was
 * already finished.
 */
static const char script_finish[] = SCRIPTS_PROLOGUE
	"local ttl, pidttl, n = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])\n"
	"local out, b = {}, 8\n"
	"local anyearly = redis.call('ZCARD', P..'early') > 0\n"
	"for i = 1, n do\n"
	"  local lane, entry, id, outcome = ARGV[b], ARGV[b+1], ARGV[b+2], ARGV[b+3]\n"
	"  local channel, provider, pid, err = ARGV[b+4], ARGV[b+5], ARGV[b+6], ARGV[b+7]\n"
	"  local attempt, retry_at, person = ARGV[b+8], tonumber(ARGV[b+9]), ARGV[b+10]\n"
	"  local c, kind, nf = ARGV[b+11], ARGV[b+12], tonumber(ARGV[b+13])\n"
	"  local fields = {}\n"
	"  for j = 1, nf do fields[j] = ARGV[b+13+j] end\n"
	"  b = b + 14 + nf\n"
	"  local stream, key = P..'outbox:'..lane, P..'msg:'..id\n"
	"  ack(stream, entry)\n"
	"  local st = redis.call('HGET', key, 'state')\n"
	"  if st and terminal[st] then\n"
	"    out[i] = 0\n"
	"  else\n"
	"    local ev = {'id', id, 'state', '', 'campaign', c, 'kind', kind, 'lane', lane, 'channel', channel,\n"
	"      'provider', provider, 'attempt', attempt, 'person', person}\n"
	"    local early\n"
	"    if outcome == 'sent' then\n"
	"      redis.call('HSET', key, 'state', 'sent', 'channel', channel, 'provider', provider,\n"
	"        'provider_id', pid, 'updated', now, 'error', '')\n"
	"      redis.call('EXPIRE', key, ttl)\n"
	"      if pid ~= '' then\n"
	"        redis.call('SET', P..'pid:'..provider..':'..pid, id, 'EX', pidttl)\n"
	"        if anyearly and redis.call('ZREM', P..'early', provider..':'..pid) == 1 then\n"
	"          local ek = P..'early:'..provider..':'..pid\n"
	"          early = redis.call('HGETALL', ek)\n"
	"          redis.call('DEL', ek)\n"
	"        end\n"
	"      end\n"
	"      count(c, 'sent')\n"
	"      count(c, 'sent.'..channel)\n"
	"      if c ~= '' then redis.call('SADD', P..'campaign:'..c..':sent', person) end\n"
	"      ev[4] = 'sent'\n"
	"      ev[#ev + 1] = 'provider_id'; ev[#ev + 1] = pid\n"
	"    elseif outcome == 'retry' then\n"
	"      local fk = P..'fields:'..id\n"
	"      redis.call('HSET', key, 'state', 'retry_wait', 'updated', now, 'error', err, 'due', retry_at)\n"
	"      redis.call('DEL', fk)\n"
	"      redis.call('HSET', fk, unpack(fields))\n"
	"      redis.call('ZADD', P..'scheduled', retry_at, id)\n"
	"      count(c, 'retries')\n"
	"      ev[4] = 'retry_wait'\n"
	"      ev[#ev + 1] = 'error'; ev[#ev + 1] = err\n"
	"    elseif outcome == 'skipped' then\n"
	"      redis.call('HSET', key, 'state', 'skipped', 'channel', channel, 'updated', now, 'error', err)\n"
	"      redis.call('EXPIRE', key, ttl)\n"
	"      count(c, 'skipped')\n"
	"      ev[4] = 'skipped'\n"
	"      ev[#ev + 1] = 'error'; ev[#ev + 1] = err\n"
	"    else\n"
	"      redis.call('HSET', key, 'state', 'failed', 'updated', now, 'error', err)\n"
	"      redis.call('EXPIRE', key, ttl)\n"
	"      redis.call('XADD', P..'deadletter', '*', 'dl_reason', err, 'dl_id', id, 'dl_lane', lane,\n"
	"        'dl_entry', entry, 'dl_attempts', attempt, 'dl_at', now, unpack(fields))\n"
	"      count(c, 'failed')\n"
	"      count(c, 'deadletter')\n"
	"      ev[4] = 'failed'\n"
	"      ev[#ev + 1] = 'error'; ev[#ev + 1] = err\n"
	"    end\n"
	"    logev(ev)\n"
	"    if early and #early > 0 then\n"
	"      local l = {}\n"
	"      for j = 1, #early, 2 do l[#l + 1] = {early[j], early[j + 1]} end\n"
	"      table.sort(l, function(x, y) return (rank[x[1]] or 0) < (rank[y[1]] or 0) end)\n"
	"      for _, st in ipairs(l) do apply_status(id, st[1], st[2]) end\n"
	"      count(c, 'status_early_applied')\n"
	"    end\n"
	"    out[i] = 1\n"
	"  end\n"
	"end\n"
	"flush()\n"
	"return out\n";

/*
 * schedule: lane, entry, id, person, campaign, kind, channel, due (ms),
 * then the entry's fields. Returns 1 parked, -1 duplicate id.
 */
static const char script_schedule[] = SCRIPTS_PROLOGUE
	"local lane, entry, id, person, c = ARGV[5], ARGV[6], ARGV[7], ARGV[8], ARGV[9]\n"
	"local kind, channel, due = ARGV[10], ARGV[11], tonumber(ARGV[12])\n"
	"local stream, key, fk = P..'outbox:'..lane, P..'msg:'..id, P..'fields:'..id\n"
	"local st = redis.call('HMGET', key, 'state', 'entry')\n"
	"ack(stream, entry)\n"
	"if st[1] and st[2] ~= entry then\n"
	"  count(c, 'duplicates')\n"
	"  flush()\n"
	"  return -1\n"
	"end\n"
	"redis.call('HSET', key, 'state', 'scheduled', 'entry', entry, 'lane', lane, 'campaign', c,\n"
	"  'kind', kind, 'person', person, 'channel', channel, 'created', now, 'attempts', 0, 'due', due)\n"
	"redis.call('DEL', fk)\n"
	"redis.call('HSET', fk, unpack(ARGV, 13))\n"
	"redis.call('ZADD', P..'scheduled', due, id)\n"
	"if c ~= '' then redis.call('SADD', P..'campaigns', c) end\n"
	"count(c, 'queued')\n"
	"logev({'id', id, 'state', 'queued', 'campaign', c, 'kind', kind, 'lane', lane, 'channel', channel,\n"
	"  'person', person, 'not_before', tostring(due)})\n"
	"flush()\n"
	"return 1\n";

/*
 * reject: lane, entry, reason, id (or ''), campaign (or ''), then the
 * entry's fields. Always returns 1.
 */
static const char script_reject[] = SCRIPTS_PROLOGUE
	"local lane, entry, reason, id, c = ARGV[5], ARGV[6], ARGV[7], ARGV[8], ARGV[9]\n"
	"ack(P..'outbox:'..lane, entry)\n"
	"local dl = {'dl_reason', reason, 'dl_id', id, 'dl_lane', lane, 'dl_entry', entry, 'dl_at', now}\n"
	"for i = 10, #ARGV do dl[#dl + 1] = ARGV[i] end\n"
	"redis.call('XADD', P..'deadletter', '*', unpack(dl))\n"
	"count(c, 'malformed')\n"
	"count(c, 'deadletter')\n"
	"logev({'id', id, 'state', 'failed', 'campaign', c, 'lane', lane, 'error', 'malformed: '..reason})\n"
	"flush()\n"
	"return 1\n";

/*
 * due: ARGV[5] limit. Moves up to limit messages whose time has come from
 * the scheduled set back into their lane as new entries (the message
 * record follows the new entry id). Returns how many were moved.
 */
static const char script_due[] = SCRIPTS_PROLOGUE
	"local limit = tonumber(ARGV[5])\n"
	"local ids = redis.call('ZRANGEBYSCORE', P..'scheduled', '-inf', now, 'LIMIT', 0, limit)\n"
	"for _, id in ipairs(ids) do\n"
	"  local key, fk = P..'msg:'..id, P..'fields:'..id\n"
	"  local lane = redis.call('HGET', key, 'lane')\n"
	"  local f = redis.call('HGETALL', fk)\n"
	"  redis.call('ZREM', P..'scheduled', id)\n"
	"  if lane and #f > 0 then\n"
	"    local e = redis.call('XADD', P..'outbox:'..lane, '*', unpack(f))\n"
	"    redis.call('HSET', key, 'entry', e, 'state', 'queued')\n"
	"  else\n"
	"    redis.call('HINCRBY', P..'stats', 'lost_scheduled', 1)\n"
	"  end\n"
	"  redis.call('DEL', fk)\n"
	"end\n"
	"return #ids\n";

/*
 * status: ARGV[5] ttl (s) of a status kept for a send not yet recorded,
 * ARGV[6] n, then n groups of 4: provider, provider id, status
 * (sent|delivered|undelivered|read), error code. Returns per status 1
 * recorded, 2 unchanged (old or duplicate), 3 the message record is gone,
 * 0 kept until the send is recorded.
 */
static const char script_status[] = SCRIPTS_PROLOGUE
	"local ttl, n = tonumber(ARGV[5]), tonumber(ARGV[6])\n"
	"local out = {}\n"
	"redis.call('ZREMRANGEBYSCORE', P..'early', '-inf', now)\n"
	"for i = 0, n - 1 do\n"
	"  local b = 7 + i * 4\n"
	"  local provider, pid, status, err = ARGV[b], ARGV[b+1], ARGV[b+2], ARGV[b+3]\n"
	"  local id = redis.call('GET', P..'pid:'..provider..':'..pid)\n"
	"  if id then\n"
	"    out[#out + 1] = apply_status(id, status, err)\n"
	"  else\n"
	"    local ek = P..'early:'..provider..':'..pid\n"
	"    redis.call('HSET', ek, status, err)\n"
	"    redis.call('EXPIRE', ek, ttl)\n"
	"    redis.call('ZADD', P..'early', now + ttl * 1000, provider..':'..pid)\n"
	"    count('', 'status_early')\n"
	"    out[#out + 1] = 0\n"
	"  end\n"
	"end\n"
	"flush()\n"
	"return out\n";

/*
 * inbound: ARGV[5] dedup ttl (s), ARGV[6] inbox maxlen (0: keep all),
 * ARGV[7] n, then n groups of 9: provider, channel, provider id, person,
 * phone, text, time (s, 0 unknown), type, guessed locale. Creates the
 * contact when new, refreshes the WhatsApp window, appends to the inbox.
 * Returns per message 1 stored, 0 duplicate.
 */
static const char script_inbound[] = SCRIPTS_PROLOGUE
	"local dttl, imax, n = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])\n"
	"local out = {}\n"
	"for i = 0, n - 1 do\n"
	"  local b = 8 + i * 9\n"
	"  local provider, channel, pid, person = ARGV[b], ARGV[b+1], ARGV[b+2], ARGV[b+3]\n"
	"  local phone, text, ts, typ, guess = ARGV[b+4], ARGV[b+5], tonumber(ARGV[b+6]), ARGV[b+7], ARGV[b+8]\n"
	"  if not redis.call('SET', P..'seen:'..provider..':'..pid, '1', 'NX', 'EX', dttl) then\n"
	"    count('', 'inbound_duplicates')\n"
	"    out[#out + 1] = 0\n"
	"  else\n"
	"    local ck = P..'contact:'..person\n"
	"    local ct = redis.call('HMGET', ck, 'created', 'locale', 'channel', 'wa_last_in')\n"
	"    local loc = ct[2] or ''\n"
	"    if not ct[1] then\n"
	"      loc = guess\n"
	"      redis.call('HSET', ck, 'phone', phone, 'created', now)\n"
	"      if guess ~= '' then redis.call('HSET', ck, 'locale', guess) end\n"
	"      count('', 'contacts_created')\n"
	"    end\n"
	"    redis.call('HSET', ck, 'last_in', now, 'last_in_channel', channel)\n"
	"    if channel == 'whatsapp' then\n"
	"      local t = ts\n"
	"      if t <= 0 or t * 1000 > now + 300000 then t = math.floor(now / 1000) end\n"
	"      if not ct[4] or tonumber(ct[4]) < t then redis.call('HSET', ck, 'wa_last_in', t) end\n"
	"      if not ct[3] then redis.call('HSET', ck, 'channel', 'whatsapp') end\n"
	"    end\n"
	"    local f = {'provider_id', pid, 'channel', channel, 'provider', provider, 'contact', person,\n"
	"      'locale', loc, 'type', typ, 'text', text, 'received', now, 'sent_at', ts}\n"
	"    if imax > 0 then\n"
	"      redis.call('XADD', P..'inbox', 'MAXLEN', '~', imax, '*', unpack(f))\n"
	"    else\n"
	"      redis.call('XADD', P..'inbox', '*', unpack(f))\n"
	"    end\n"
	"    count('', 'inbound')\n"
	"    count('', 'inbound.'..channel)\n"
	"    out[#out + 1] = 1\n"
	"  end\n"
	"end\n"
	"flush()\n"
	"return out\n";

/* clang-format on */

static const char *const scripts[SCRIPTS_COUNT] = {
	script_begin,
	script_finish,
	script_schedule,
	script_reject,
	script_due,
	script_status,
	script_inbound,
};
static char script_shas[SCRIPTS_COUNT][41];

const char *
scripts_text(enum scripts_id id)
{
	return scripts[id];
}

void
scripts_call_start(struct cmdargs *a, enum scripts_id id, const char *prefix, const char *group, long long now_ms,
    long long log_maxlen)
{
	cmdargs_str(a, "EVALSHA");
	cmdargs_str(a, scripts_sha(id));
	cmdargs_str(a, "0");
	cmdargs_str(a, prefix);
	cmdargs_str(a, group);
	cmdargs_num(a, now_ms);
	cmdargs_num(a, log_maxlen);
}

const char *
scripts_sha(enum scripts_id id)
{
	unsigned char md[SHA_DIGEST_LENGTH];

	if (script_shas[id][0] == '\0') {
		SHA1((const unsigned char *)scripts[id], strlen(scripts[id]), md);
		for (int i = 0; i < SHA_DIGEST_LENGTH; i++)
			snprintf(script_shas[id] + 2 * i, 3, "%02x", md[i]);
	}
	return script_shas[id];
}
