/*
 * The Lua bodies of the outbox's scripts: begin, finish, schedule,
 * reject, poison, due, lease and lost. queues/scripts.c puts each together
 * with the generated constants, the shared prologue and the unpacking of
 * its arguments (the @ITEM@ line), and says what every script takes.
 */
#include "queues/scripts_int.h"

/* The Lua text is laid out as Lua, not as C. */
/* clang-format off */

/* The same entry handed out before: a duplicate id, or a read that is out of date. */
#define SCRIPTS_SEEN_ENTRY \
	"    if mine(stream, entry) then\n" \
	"      ack(stream, entry); count(ckey, 'duplicates'); out[#out + 1] = R_DUPLICATE\n" \
	"    else\n" \
	"      out[#out + 1] = R_STALE\n" \
	"    end\n"


/*
 * begin: per message, {attempt, [wa_last_in, channel, locale, phone, consent] when
 * contact is set} to go ahead, or one result code; then, last, the
 * opt-out flag of every message in order (one SMISMEMBER for the batch,
 * made before anything is written). A new message's record is only its
 * entry until its outcome is recorded (finish writes the rest): that
 * entry is the claim on its id.
 */
const char script_begin[] =
	"local persons = {}\n"
	"for i = 0, N - 1 do persons[i + 1] = ARGV[FIRST + i * STRIDE + I.person] end\n"
	/* In slices: unpack() takes a few thousand values at most, and a read may bring more. */
	"local optout = {}\n"
	"for i = 1, N, 1000 do\n"
	"  local r = redis.call('SMISMEMBER', P..'optout', unpack(persons, i, math.min(i + 999, N)))\n"
	"  for j = 1, #r do optout[i + j - 1] = r[j] end\n"
	"end\n"
	"local seen = {}\n"
	"local function one(b, out)\n"
	"  @ITEM@\n"
	"  local key, stream = P..'msg:'..kid, outbox(lane)\n"
	"  local res\n"
	"  if redis.call('HSETNX', key, 'entry', entry) == 1 then\n"
	"    count(ckey, 'queued')\n"
	"    if campaign ~= '' and not seen[campaign] then\n"
	"      seen[campaign] = true; redis.call('SADD', P..'campaigns', campaign)\n"
	"    end\n"
	"    res = 1\n"
	"  else\n"
	"    local st = redis.call('HMGET', key, 'state', 'entry', 'attempts')\n"
	"    local state = st[1]\n"
	"    if st[2] ~= entry then\n"
	SCRIPTS_SEEN_ENTRY
	"      return\n"
	"    elseif not state or state == S_SENDING or state == S_QUEUED then\n"
	/* No state yet: the first attempt was under way (its outcome unknown); attempts counts the others. */
	"      res = (tonumber(st[3]) or (state and 0 or 1)) + 1\n"
	"      redis.call('HSET', key, 'state', S_SENDING, 'attempts', tostring(res))\n"
	"      if state ~= S_QUEUED then count(ckey, 'resent') else redis.call('HDEL', key, 'error', 'due') end\n"
	"    elseif FINAL[state] then\n"
	"      ack(stream, entry); out[#out + 1] = R_FINISHED; return\n"
	"    else\n"
	/* Parked (scheduled or retry_wait) with this entry: the entry was acknowledged when it was parked. */
	"      out[#out + 1] = R_STALE; return\n"
	"    end\n"
	"  end\n"
	/* What finds the message again if its entry is deleted before the outcome: campaign last, it may hold anything. */
	"  later('HSET', ifl(lane), entry, kid..'\\n'..ckey..'\\n'..kind..'\\n'..person..'\\n'..campaign)\n"
	"  out[#out + 1] = res\n"
	"  if contact ~= '' then\n"
	"    local ct = redis.call('HMGET', P..'contact:'..person, 'wa_last_in', 'channel', 'locale', 'phone', 'consent',\n"
	"      'marketing_optout')\n"
	"    out[#out + 1] = ct[1] or ''; out[#out + 1] = ct[2] or ''\n"
	"    out[#out + 1] = ct[3] or ''; out[#out + 1] = ct[4] or ''; out[#out + 1] = ct[5] or ''\n"
	"    out[#out + 1] = ct[6] or ''\n"
	"  end\n"
	"end\n"
	"local out = run(one)\n"
	"out[#out + 1] = optout\n"
	"return out\n";

/*
 * finish: per outcome, R_DONE, or R_UNCHANGED when it was recorded before
 * (a replay) or another attempt has the message now. The record gets all
 * of its fields here and its lifetime. A sent outcome applies any status
 * callback that came before it (early:<provider>:<pkey>, indexed in the
 * early sorted set so that a batch with none pays one ZCARD). What must be
 * written for the outcome to hold (the schedule, the dead-letter) comes
 * before the record, so that an error there leaves the record as it was;
 * writes to keys others share after the record are isolated (write, logev).
 */
const char script_finish[] =
	"local anyearly = redis.call('ZCARD', P..'early') > 0\n"
	/* The reach indexes of everyone sent a message, read at once; the counters' writes made once at the end. */
	"do\n"
	"  local persons, b = {}, FIRST\n"
	"  for _ = 1, N do\n"
	"    local person = ARGV[b + I.person]\n"
	"    if ARGV[b + I.outcome] == O_SENT and person ~= '' then persons[#persons + 1] = person end\n"
	"    b = b + STRIDE + (tonumber(ARGV[b + NF - 1]) or 0)\n"
	"  end\n"
	"  rpreload(persons)\n"
	"end\n"
	"local NORECEIPT = {}\n"
	"for p in string.gmatch(noreceipt, '%S+') do NORECEIPT[p] = true end\n"
	/* attempts is left out of a message sent at the first attempt: its absence means 1. */
	"local function record(key, state, attempt, campaign, kind, person, channel, provider, pid, life)\n"
	"  if attempt == '1' and state == S_SENT then\n"
	"    redis.call('HSET', key, 'state', state, 'updated', nows, 'campaign', campaign, 'kind', kind,\n"
	"      'person', person, 'channel', channel, 'provider', provider, 'provider_id', pid)\n"
	"  else\n"
	"    redis.call('HSET', key, 'state', state, 'updated', nows, 'campaign', campaign, 'kind', kind,\n"
	"      'person', person, 'channel', channel, 'provider', provider, 'provider_id', pid, 'attempts', attempt)\n"
	"  end\n"
	"  redis.call('EXPIRE', key, life or ttl)\n"
	"end\n"
	"local function one(b, out)\n"
	"  @ITEM@\n"
	"  local key, stream = P..'msg:'..kid, outbox(lane)\n"
	"  local st = redis.call('HMGET', key, 'state', 'entry', 'attempts')\n"
	"  local ours = (not st[1] or st[1] == S_SENDING) and st[2] == entry\n"
	"  if not ours or (st[3] or '1') ~= attempt then\n"
	"    if not ours then ack(stream, entry); later('HDEL', ifl(lane), entry) end\n"
	"    out[#out + 1] = R_UNCHANGED; return\n"
	"  end\n"
	"  ack(stream, entry)\n"
	"  later('HDEL', ifl(lane), entry)\n"
	"  if ckey ~= campaign then redis.call('HSET', key, 'ckey', ckey) end\n"
	"  if kid ~= id then redis.call('HSET', key, 'id', id) end\n"
	"  if outcome == O_SENT then\n"
	"    record(key, S_SENT, attempt, campaign, kind, person, channel, provider, pid)\n"
	"    if attempt ~= '1' then redis.call('HDEL', key, 'error', 'due') end\n"
	"    count(ckey, 'sent'); count(ckey, bych('sent', channel))\n"
	"    if campaign ~= '' then\n"
	"      later('SADD', P..'campaign:'..ckey..':sent', person)\n"
	/* The campaigns each contact was sent, for the agents' inbox and the campaign a reply answers. */
	"      if rcv ~= '' then write('ZADD', P..'rcv:'..person, nows, campaign) end\n"
	"    end\n"
	"    local early\n"
	"    if pid ~= '' then\n"
	"      redis.call('SET', P..'pid:'..provider..':'..pkey, kid, 'EX', ttl)\n"
	"      if anyearly and redis.call('ZREM', P..'early', provider..':'..pkey) == 1 then\n"
	"        local ek = P..'early:'..provider..':'..pkey\n"
	"        early = redis.call('HGETALL', ek)\n"
	"        redis.call('DEL', ek)\n"
	"      end\n"
	"    end\n"
	"    logev(id, S_SENT, campaign, kind, channel, person, provider, pid, attempt, '')\n"
	/* The reach counters: sent; reached by the send alone when the provider sends no receipts; what replies credit. */
	"    local ri = ridx(person, true, kind ~= 'reply')\n"
	"    local rc = rcombo(campaign, kind, channel)\n"
	"    rmark('s', rc, ri)\n"
	"    if NORECEIPT[provider] then rmark('h', rc, ri) end\n"
	"    if kind ~= 'reply' and ri then rsent(person, ri, rc, nows) end\n"
	"    if early and #early > 0 then\n"
	"      local l, eo = {}, ''\n"
	"      for j = 1, #early, 2 do\n"
	"        if early[j] == 'optout' then eo = early[j + 1] else l[#l + 1] = {early[j], early[j + 1]} end\n"
	"      end\n"
	"      table.sort(l, function(x, y) return (RANK[x[1]] or 0) < (RANK[y[1]] or 0) end)\n"
	"      for _, e in ipairs(l) do apply_status(kid, e[1], e[2], eo) end\n"
	"      count(ckey, 'status_early_applied')\n"
	"    end\n"
	"  elseif outcome == O_RETRY then\n"
	"    local fk = P..'fields:'..kid\n"
	/* The record and the fields outlive the wait, however long (a day for Meta's 131049). */
	"    local wait = math.floor((tonumber(due) - now) / 1000)\n"
	"    local life = tostring(tonumber(ttl) + (wait > 0 and wait or 0))\n"
	"    redis.call('ZADD', P..'scheduled', due, kid)\n"
	"    redis.call('DEL', fk)\n"
	"    redis.call('HSET', fk, values(b, nf))\n"
	"    redis.call('EXPIRE', fk, life)\n"
	"    record(key, S_RETRY_WAIT, attempt, campaign, kind, person, channel, provider, '', life)\n"
	"    redis.call('HSET', key, 'error', err, 'due', due, 'lane', lane, 'attempts', attempt)\n"
	"    count(ckey, 'retries')\n"
	"    logev(id, S_RETRY_WAIT, campaign, kind, channel, person, provider, '', attempt, err)\n"
	"  elseif outcome == O_DEFERRED then\n"
	/* Not attempted: parked as scheduled, with the attempts actually made, until the rule allows it. */
	"    local fk = P..'fields:'..kid\n"
	"    local wait = math.floor((tonumber(due) - now) / 1000)\n"
	"    local life = tostring(tonumber(ttl) + (wait > 0 and wait or 0))\n"
	"    local made = tostring(tonumber(attempt) - 1)\n"
	"    redis.call('ZADD', P..'scheduled', due, kid)\n"
	"    redis.call('DEL', fk)\n"
	"    redis.call('HSET', fk, values(b, nf))\n"
	"    redis.call('EXPIRE', fk, life)\n"
	"    redis.call('HSET', key, 'state', S_SCHEDULED, 'updated', nows, 'campaign', campaign, 'kind', kind,\n"
	"      'person', person, 'attempts', made, 'error', err, 'due', due, 'lane', lane)\n"
	"    redis.call('EXPIRE', key, life)\n"
	"    count(ckey, 'deferred')\n"
	"    logev(id, S_SCHEDULED, campaign, kind, '', person, '', '', made, err)\n"
	"  elseif outcome == O_SKIPPED or outcome == O_EXPIRED then\n"
	"    local state = outcome == O_SKIPPED and S_SKIPPED or S_EXPIRED\n"
	"    record(key, state, attempt, campaign, kind, person, channel, provider, '')\n"
	"    redis.call('HSET', key, 'error', err)\n"
	"    count(ckey, state)\n"
	"    logev(id, state, campaign, kind, channel, person, provider, '', attempt, err)\n"
	"    if campaign ~= '' then write('HINCRBY', P..'campaign:'..ckey..':why', state..':'..why(err), 1) end\n"
	"  else\n"
	"    redis.call('XADD', P..'deadletter', '*', 'dl_reason', err, 'dl_id', id, 'dl_lane', lane, 'dl_entry', entry,\n"
	"      'dl_attempts', attempt, 'dl_at', nows, values(b, nf))\n"
	"    record(key, S_FAILED, attempt, campaign, kind, person, channel, provider, '')\n"
	"    redis.call('HSET', key, 'error', err)\n"
	"    count(ckey, 'failed'); count(ckey, 'deadletter')\n"
	"    logev(id, S_FAILED, campaign, kind, channel, person, provider, '', attempt, err)\n"
	"    if campaign ~= '' then write('HINCRBY', P..'campaign:'..ckey..':why', S_FAILED..':'..why(err), 1) end\n"
	"  end\n"
	"  if optout ~= '' then\n"
	"    write('HSET', P..'contact:'..person, 'marketing_optout', nows, 'marketing_optout_source', optout)\n"
	"  end\n"
	"  out[#out + 1] = R_DONE\n"
	"end\n"
	"local out = run(one)\n"
	"rflush()\n"
	"return out\n";

/*
 * schedule: per message R_DONE parked, R_UNCHANGED parked before, R_DUPLICATE or R_STALE.
 * The claim is the record's entry, as for begin: another entry of the same id is a duplicate
 * (or out of date) even while the first has no state yet.
 */
const char script_schedule[] =
	"local function one(b, out)\n"
	"  @ITEM@\n"
	"  local key, stream, fk = P..'msg:'..kid, outbox(lane), P..'fields:'..kid\n"
	"  local st = redis.call('HMGET', key, 'state', 'entry', 'attempts')\n"
	"  if st[2] and st[2] ~= entry then\n"
	SCRIPTS_SEEN_ENTRY
	"    return\n"
	"  end\n"
	"  ack(stream, entry)\n"
	"  if st[1] and st[1] ~= S_QUEUED and st[1] ~= S_SENDING then\n"
	"    out[#out + 1] = FINAL[st[1]] and R_FINISHED or R_UNCHANGED; return\n"
	"  end\n"
	/* On the schedule first: a record that says parked is always found again when due. */
	"  redis.call('ZADD', P..'scheduled', due, kid)\n"
	"  local wait = math.floor((tonumber(due) - now) / 1000)\n"
	"  local life = tostring(tonumber(ttl) + (wait > 0 and wait or 0))\n"
	"  if st[1] == S_QUEUED then\n"
	/* Back from the schedule, and not yet due by this process's clock: parked again, not counted again. */
	"    redis.call('HSET', key, 'state', S_SCHEDULED, 'due', due)\n"
	"  else\n"
	/*
	 * New; or begun by a process that died before the attempt's outcome
	 * (it may have been sent), now not yet due by this process's clock:
	 * parked with the attempts made, and its next attempt is a resend.
	 */
	"    local attempts = st[3] or (st[2] and '1' or '0')\n"
	"    redis.call('HSET', key, 'state', S_SCHEDULED, 'entry', entry, 'lane', lane, 'campaign', campaign,\n"
	"      'kind', kind, 'person', person, 'channel', channel, 'attempts', attempts, 'due', due)\n"
	"    if ckey ~= campaign then redis.call('HSET', key, 'ckey', ckey) end\n"
	"    if kid ~= id then redis.call('HSET', key, 'id', id) end\n"
	"    if st[2] then\n"
	"      count(ckey, 'resent')\n"
	"    else\n"
	"      if campaign ~= '' then redis.call('SADD', P..'campaigns', campaign) end\n"
	"      count(ckey, 'queued')\n"
	"    end\n"
	"    logev(id, S_SCHEDULED, campaign, kind, channel, person, '', '', attempts, '')\n"
	"  end\n"
	"  redis.call('EXPIRE', key, life)\n"
	"  redis.call('DEL', fk)\n"
	"  redis.call('HSET', fk, values(b, nf))\n"
	"  redis.call('EXPIRE', fk, life)\n"
	"  out[#out + 1] = R_DONE\n"
	"end\n"
	"return run(one)\n";

/* reject: a malformed entry to the dead-letter stream, once. */
const char script_reject[] =
	"local function one(b, out)\n"
	"  @ITEM@\n"
	"  local stream = outbox(lane)\n"
	"  if not mine(stream, entry) then out[#out + 1] = R_UNCHANGED; return end\n"
	"  ack(stream, entry)\n"
	"  redis.call('XADD', P..'deadletter', '*', 'dl_reason', reason, 'dl_id', id, 'dl_lane', lane,\n"
	"    'dl_entry', entry, 'dl_at', nows, values(b, nf))\n"
	"  count(ckey, 'malformed'); count(ckey, 'deadletter')\n"
	"  logev(id, S_FAILED, campaign, '', '', '', '', '', '', 'malformed: '..reason)\n"
	"  out[#out + 1] = R_DONE\n"
	"end\n"
	"return run(one)\n";

/*
 * poison: a message whose recording failed on its own. Each write that
 * touches its own keys may fail again (they may be what is broken), so
 * those are tried one by one; the dead-letter entry and the totals are
 * written in any case. The record becomes failed only if it still stands
 * where the failed step found it (no record, or claimed by this entry and
 * not yet recorded): an outcome the step did write (sent, say, before a
 * later write failed) is not undone.
 */
const char script_poison[] =
	"local function try(...) return pcall(redis.call, ...) end\n"
	"local function one(b, out)\n"
	"  @ITEM@\n"
	"  local stream = outbox(lane)\n"
	"  if not mine(stream, entry) then out[#out + 1] = R_UNCHANGED; return end\n"
	"  ack(stream, entry)\n"
	"  redis.call('XADD', P..'deadletter', '*', 'dl_reason', reason, 'dl_id', id, 'dl_lane', lane,\n"
	"    'dl_entry', entry, 'dl_attempts', attempt, 'dl_at', nows, values(b, nf))\n"
	/* Counters are written through flush(), which a broken campaign key cannot stop. */
	"  count('', 'poison'); count(ckey, 'deadletter')\n"
	"  try('HDEL', ifl(lane), entry)\n"
	"  local key = P..'msg:'..kid\n"
	"  local ok, st = try('HMGET', key, 'state', 'entry', 'channel')\n"
	"  if not ok or (st[2] and st[2] ~= entry) then\n"
	"  elseif not st[1] or st[1] == S_SENDING or st[1] == S_QUEUED then\n"
	"    count(ckey, 'failed')\n"
	"    try('HSET', key, 'state', S_FAILED, 'updated', nows, 'error', reason)\n"
	"    try('EXPIRE', key, ttl)\n"
	"    pcall(logev, id, S_FAILED, campaign, kind, '', person, '', '', attempt, reason)\n"
	"  elseif RANK[st[1]] then\n"
	/* The step wrote that it was sent, then failed: its counts went with it; the send stands and counts. */
	"    count(ckey, 'sent'); count(ckey, bych('sent', st[3] or ''))\n"
	"    if campaign ~= '' then later('SADD', P..'campaign:'..ckey..':sent', person) end\n"
	"  end\n"
	"  out[#out + 1] = R_DONE\n"
	"end\n"
	"return run(one)\n";

/*
 * due: moves up to limit parked messages whose time has come back into
 * their lane as new entries (the record follows the new entry id). A
 * message that moved on meanwhile (sent, failed) is only taken off the
 * schedule. Returns how many were taken off.
 */
const char script_due[] =
	"local ids = redis.call('ZRANGEBYSCORE', P..'scheduled', '-inf', nows, 'LIMIT', '0', limit)\n"
	"local function move(kid)\n"
	"  local key, fk = P..'msg:'..kid, P..'fields:'..kid\n"
	"  local r = redis.call('HMGET', key, 'lane', 'state')\n"
	"  local f = redis.call('HGETALL', fk)\n"
	"  if r[1] and (r[2] == S_SCHEDULED or r[2] == S_RETRY_WAIT) and #f > 0 then\n"
	"    local e = redis.call('XADD', P..'outbox:'..r[1], '*', unpack(f))\n"
	"    redis.call('HSET', key, 'entry', e, 'state', S_QUEUED)\n"
	"  elseif not r[1] or #f == 0 then\n"
	"    count('', 'lost_scheduled')\n"
	"  end\n"
	"  redis.call('DEL', fk)\n"
	"end\n"
	/*
	 * A parked message that cannot be moved back ends failed and
	 * dead-lettered with its fields, which then go; one that moved on
	 * meanwhile (sent) only loses its leftover fields.
	 */
	"local function cannot(kid, e)\n"
	"  local key, fk = P..'msg:'..kid, P..'fields:'..kid\n"
	"  local why = 'cannot be moved back to its lane: '..(type(e) == 'table' and tostring(e.err) or tostring(e))\n"
	"  local okm, m = pcall(redis.call, 'HMGET', key, 'state', 'lane', 'entry', 'attempts', 'id', 'ckey', 'campaign')\n"
	"  if not okm or type(m) ~= 'table' then m = {} end\n"
	"  count('', 'poison')\n"
	"  if m[1] and m[1] ~= S_SCHEDULED and m[1] ~= S_RETRY_WAIT and m[1] ~= S_QUEUED then\n"
	"    pcall(redis.call, 'DEL', fk); return\n"
	"  end\n"
	"  local okf, f = pcall(redis.call, 'HGETALL', fk)\n"
	"  if not okf or type(f) ~= 'table' then f = {} end\n"
	"  local ck = m[6] or m[7] or ''\n"
	"  count(ck, 'failed'); count(ck, 'deadletter')\n"
	"  local dl = pcall(redis.call, 'XADD', P..'deadletter', '*', 'dl_reason', why, 'dl_id', m[5] or kid,\n"
	"    'dl_lane', m[2] or '', 'dl_entry', m[3] or '', 'dl_attempts', m[4] or '0', 'dl_at', nows, unpack(f))\n"
	"  pcall(redis.call, 'HSET', key, 'state', S_FAILED, 'updated', nows, 'error', why)\n"
	/* The fields go only once they are in the dead-letter stream. */
	"  if dl then pcall(redis.call, 'DEL', fk) end\n"
	"end\n"
	"for _, kid in ipairs(ids) do\n"
	"  redis.call('ZREM', P..'scheduled', kid)\n"
	"  local ok, e = pcall(move, kid)\n"
	"  if not ok then cannot(kid, e) end\n"
	"end\n"
	"flush()\n"
	"return #ids\n";

/*
 * lease: for each entry, 1 when it is still pending for this consumer (its
 * idle time is reset, so no live process takes it over), 0 when it is not
 * (acknowledged, or taken over after this consumer fell silent), 2 when it
 * is pending but a producer deleted it from the stream: XCLAIM would drop
 * it from the pending list without a word, so it is left as it is.
 */
const char script_lease[] =
	"local stream = P..'outbox:'..lane\n"
	"local out, keep = {}, {'XCLAIM', stream, G, C, '0'}\n"
	"for i = 0, N - 1 do\n"
	"  local entry = ARGV[FIRST + i]\n"
	"  if not mine(stream, entry) then\n"
	"    out[#out + 1] = 0\n"
	"  elseif #redis.call('XRANGE', stream, entry, entry) == 0 then\n"
	"    out[#out + 1] = 2\n"
	"  else\n"
	"    keep[#keep + 1] = entry; out[#out + 1] = 1\n"
	"  end\n"
	"end\n"
	"if #keep > 5 then\n"
	"  keep[#keep + 1] = 'JUSTID'\n"
	"  redis.call(unpack(keep))\n"
	"end\n"
	"return out\n";

/*
 * lost: pending entries deleted from their stream (a producer's XTRIM or
 * MAXLEN). The message an entry carried, if it was begun, ends failed;
 * either way the loss is dead-lettered and counted, once per entry (a
 * marker for a day: two reads may report one entry, and a call whose
 * reply was lost is sent again). Per entry R_DONE, or R_UNCHANGED when
 * it was seen before.
 */
const char script_lost[] =
	"local stream = P..'outbox:'..lane\n"
	"local holders\n"
	/* The in-flight index of each consumer of the group, the dead ones' included: what begin wrote. */
	"local function find(entry)\n"
	"  if not holders then\n"
	"    holders = {}\n"
	"    for _, c in ipairs(redis.call('XINFO', 'CONSUMERS', stream, G)) do\n"
	"      for j = 1, #c, 2 do\n"
	"        if c[j] == 'name' then holders[#holders + 1] = P..'inflight:'..lane..':'..c[j + 1] end\n"
	"      end\n"
	"    end\n"
	"  end\n"
	"  for _, h in ipairs(holders) do\n"
	"    local v = redis.call('HGET', h, entry)\n"
	"    if v then\n"
	"      redis.call('HDEL', h, entry)\n"
	"      local kid, ckey, kind, person, campaign = string.match(v, '^([^\\n]*)\\n([^\\n]*)\\n([^\\n]*)\\n([^\\n]*)\\n(.*)$')\n"
	"      return kid, ckey, kind, person, campaign\n"
	"    end\n"
	"  end\n"
	"end\n"
	"local function one(b, out)\n"
	"  @ITEM@\n"
	"  local mark = P..'lost:'..lane..':'..entry\n"
	"  if redis.call('EXISTS', mark) == 1 then out[#out + 1] = R_UNCHANGED; return end\n"
	"  ack(stream, entry)\n"
	"  local kid, ckey, kind, person, campaign = find(entry)\n"
	"  count('', 'trimmed'); count('', 'deadletter')\n"
	"  if kid then\n"
	"    local key = P..'msg:'..kid\n"
	"    local m = redis.call('HMGET', key, 'state', 'entry', 'attempts', 'id')\n"
	"    local id, attempt = m[4] or kid, m[3] or '1'\n"
	"    local why = 'entry deleted from its stream before its outcome was recorded; it may have been sent'\n"
	"    redis.call('XADD', P..'deadletter', '*', 'dl_reason', why, 'dl_id', id, 'dl_lane', lane,\n"
	"      'dl_entry', entry, 'dl_attempts', attempt, 'dl_at', nows)\n"
	"    if m[2] == entry and not (m[1] and FINAL[m[1]]) then\n"
	"      redis.call('HSET', key, 'state', S_FAILED, 'attempts', attempt, 'updated', nows,\n"
	"        'lane', lane, 'campaign', campaign, 'kind', kind, 'person', person, 'error', why)\n"
	"      redis.call('EXPIRE', key, ttl)\n"
	"      count(ckey, 'failed')\n"
	"      logev(id, S_FAILED, campaign, kind, '', person, '', '', attempt, why)\n"
	"    end\n"
	"  else\n"
	"    redis.call('XADD', P..'deadletter', '*', 'dl_reason', 'entry deleted from its stream before it was read',\n"
	"      'dl_id', '', 'dl_lane', lane, 'dl_entry', entry, 'dl_at', nows)\n"
	"  end\n"
	"  redis.call('SET', mark, '1', 'EX', '86400')\n"
	"  out[#out + 1] = R_DONE\n"
	"end\n"
	"return run(one)\n";

/* clang-format on */
