/*
 * The Lua scripts run by EVALSHA, assembled once at first use from four
 * parts: constants generated from the domain vocabulary and the result
 * codes, a prologue shared by every script (log events, counters,
 * acknowledgements, the per-item runner), the generated unpacking of the
 * script's argument layout (scripts.h), and the script's own body
 * (scripts_outbox.c, scripts_receipts.c). Keys
 * are built inside the scripts (Redis runs standalone; docs/redis.md).
 *
 * Every batch script runs each item under pcall: an item that fails (a
 * key of the wrong type, say) has its counts and acknowledgements undone
 * and comes back as an error, and the rest of the batch is recorded.
 * Arguments stay strings when passed on to redis.call: a Lua number would
 * be formatted back with "%.17g" on every call.
 */
#include "queues/scripts_int.h"

#include <ctype.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <string.h>

#include "gateway/util/buf.h"
#include "gateway/util/domain.h"
#include "gateway/util/xmalloc.h"
#include "queues/reach_lua.h"

/* The Lua text is laid out as Lua, not as C. */
/* clang-format off */

#define SCRIPTS_NAME(x) #x,

/*
 * Every delivery-log event has the same members in the same order (empty
 * where they do not apply), so the stream stores their names once per
 * node instead of once per event; error, the last, is left out when it is
 * empty.
 */
#define SCRIPTS_LOG_FIELDS(X) \
	X(id) X(state) X(campaign) X(kind) X(channel) X(person) X(provider) X(provider_id) X(attempt) X(day) X(error)

static const char scripts_prologue[] =
	"local now = tonumber(nows)\n"
	"local LOG = P..'log'\n"
	"local counts, undo_t, undo_f, undo_d, nundo = {}, {}, {}, {}, 0\n"
	/*
	 * Writes to keys many items share (acknowledgements, members of a
	 * campaign's sets, fields of the in-flight index) are gathered and
	 * made once per key when the call ends.
	 */
	"local op_c, op_k, op_a, op_b, nop = {}, {}, {}, {}, 0\n"
	"local function later(c, k, a, b)\n"
	"  nop = nop + 1; op_c[nop] = c; op_k[nop] = k; op_a[nop] = a; op_b[nop] = b\n"
	"end\n"
	"local function ack(stream, entry) later('XACK', stream, entry) end\n"
	/* Counters are added up per campaign key ('' for none) and written once per call. */
	"local function count(ck, f, d)\n"
	"  d = d or 1\n"
	"  local t = counts[ck]\n"
	"  if not t then t = {}; counts[ck] = t end\n"
	"  t[f] = (t[f] or 0) + d\n"
	"  nundo = nundo + 1; undo_t[nundo] = t; undo_f[nundo] = f; undo_d[nundo] = d\n"
	"end\n"
	/* 'sent.sms' and the like, made once per call. */
	"local chf = {}\n"
	"local function bych(f, ch)\n"
	"  local t = chf[f]\n"
	"  if not t then t = {}; chf[f] = t end\n"
	"  local s = t[ch]\n"
	"  if not s then s = f..'.'..ch; t[ch] = s end\n"
	"  return s\n"
	"end\n"
	/*
	 * The in-flight index: stream entry -> message, per lane and consumer,
	 * so that a pending entry deleted from its stream still finds its
	 * message. A value longer than hash-max-listpack-value keeps it a hash
	 * table, where each write is O(1) whatever its size.
	 */
	"local IFL_MARK = string.rep('-', 80)\n"
	/* Each lane's stream and in-flight index, named once per call. */
	"local ifl_keys, stream_keys = {}, {}\n"
	"local function ifl(lane)\n"
	"  local k = ifl_keys[lane]\n"
	"  if not k then k = P..'inflight:'..lane..':'..C; ifl_keys[lane] = k end\n"
	"  return k\n"
	"end\n"
	"local function outbox(lane)\n"
	"  local k = stream_keys[lane]\n"
	"  if not k then k = P..'outbox:'..lane; stream_keys[lane] = k end\n"
	"  return k\n"
	"end\n"
	/*
	 * A key one message cannot spoil for the others: a write to a shared key
	 * that fails (a campaign's hash of the wrong type) is logged and counted,
	 * and the rest is written.
	 */
	"local nerr = 0\n"
	"local function write(...)\n"
	"  local ok, e = pcall(redis.call, ...)\n"
	"  if not ok then\n"
	"    nerr = nerr + 1\n"
	"    redis.log(redis.LOG_WARNING, 'amuddu: cannot write '..tostring(select(2, ...))..': '..\n"
	"      (type(e) == 'table' and tostring(e.err) or tostring(e)))\n"
	"  end\n"
	"end\n"
	"local function flush()\n"
	"  local by = {}\n"
	"  for i = 1, nop do\n"
	"    local c, k = op_c[i], op_k[i]\n"
	"    local t = by[c]\n"
	"    if not t then t = {}; by[c] = t end\n"
	"    local l = t[k]\n"
	"    if not l then l = c == 'HSET' and {'_', IFL_MARK} or {}; t[k] = l end\n"
	"    l[#l + 1] = op_a[i]\n"
	"    if c == 'HSET' then l[#l + 1] = op_b[i] end\n"
	"  end\n"
	"  for c, t in pairs(by) do\n"
	"    for k, l in pairs(t) do\n"
	"      for i = 1, #l, 500 do\n"
	"        local j = math.min(i + 499, #l)\n"
	"        if c == 'XACK' then write(c, k, G, unpack(l, i, j)) else write(c, k, unpack(l, i, j)) end\n"
	"      end\n"
	"      if c == 'HSET' then write('EXPIRE', k, '86400') end\n"
	"    end\n"
	"  end\n"
	"  local total = {}\n"
	"  for ck, t in pairs(counts) do\n"
	"    for f, v in pairs(t) do\n"
	"      if v ~= 0 then\n"
	"        total[f] = (total[f] or 0) + v\n"
	"        if ck ~= '' then write('HINCRBY', P..'campaign:'..ck, f, v) end\n"
	"      end\n"
	"    end\n"
	"  end\n"
	"  for f, v in pairs(total) do write('HINCRBY', P..'stats', f, v) end\n"
	"  if nerr > 0 then write('HINCRBY', P..'stats', 'write_errors', nerr) end\n"
	"end\n"
	/* Whether entry is pending for this consumer: a read that is not stale, an entry not yet handled. */
	"local function mine(stream, entry)\n"
	"  local p = redis.call('XPENDING', stream, G, entry, entry, 1)\n"
	"  return p[1] ~= nil and p[1][2] == C\n"
	"end\n"
	"local function run(one)\n"
	"  local out, b = {}, FIRST\n"
	"  for i = 1, N do\n"
	"    local mark, omark = #out, nop\n"
	"    nundo = 0\n"
	"    local ok, e = pcall(one, b, out)\n"
	"    if not ok then\n"
	"      for j = nundo, 1, -1 do local t, f = undo_t[j], undo_f[j]; t[f] = t[f] - undo_d[j] end\n"
	"      nop = omark\n"
	"      for j = #out, mark + 1, -1 do out[j] = nil end\n"
	"      out[#out + 1] = R_ERROR\n"
	"      out[#out + 1] = type(e) == 'table' and tostring(e.err) or tostring(e)\n"
	"    end\n"
	"    b = b + STRIDE + (NF > 0 and (tonumber(ARGV[b + NF - 1]) or 0) or 0)\n"
	"  end\n"
	"  flush()\n"
	"  return out\n"
	"end\n"
	REACH_COMMON
	/*
	 * Why a message was not sent or not delivered, for its campaign's
	 * funnel: the provider and its code ("twilio 21211"), else the rule
	 * ("opted_out", "window_closed").
	 */
	"local function why(err)\n"
	"  local p, c = string.match(err or '', '(%l+) (%d+):')\n"
	"  if p then return p..' '..c end\n"
	"  return string.match(err or '', '^([%l_]+)') or 'other'\n"
	"end\n"
	/* The nf values that follow the item at b. */
	"local function values(b, nf)\n"
	"  return unpack(ARGV, b + STRIDE, b + STRIDE + tonumber(nf) - 1)\n"
	"end\n";

/* clang-format on */

struct scripts_def {
	const char *name;
	const char *body;
	const char *const *head;
	size_t nhead;
	const char *const *item;
	size_t nitem;
	bool status; /* needs apply_status */
};

#define SCRIPTS_LAYOUT(script) script##_HEAD(SCRIPTS_NAME) NULL
#define SCRIPTS_LIST(name, macro) static const char *const name[] = { macro(SCRIPTS_NAME) NULL };
SCRIPTS_LIST(begin_head, SCRIPTS_BEGIN_HEAD)
SCRIPTS_LIST(begin_item, SCRIPTS_BEGIN_ITEM)
SCRIPTS_LIST(finish_head, SCRIPTS_FINISH_HEAD)
SCRIPTS_LIST(finish_item, SCRIPTS_FINISH_ITEM)
SCRIPTS_LIST(schedule_head, SCRIPTS_SCHEDULE_HEAD)
SCRIPTS_LIST(schedule_item, SCRIPTS_SCHEDULE_ITEM)
SCRIPTS_LIST(reject_head, SCRIPTS_REJECT_HEAD)
SCRIPTS_LIST(reject_item, SCRIPTS_REJECT_ITEM)
SCRIPTS_LIST(poison_head, SCRIPTS_POISON_HEAD)
SCRIPTS_LIST(poison_item, SCRIPTS_POISON_ITEM)
SCRIPTS_LIST(due_head, SCRIPTS_DUE_HEAD)
SCRIPTS_LIST(due_item, SCRIPTS_DUE_ITEM)
SCRIPTS_LIST(lease_head, SCRIPTS_LEASE_HEAD)
SCRIPTS_LIST(lease_item, SCRIPTS_LEASE_ITEM)
SCRIPTS_LIST(lost_head, SCRIPTS_LOST_HEAD)
SCRIPTS_LIST(lost_item, SCRIPTS_LOST_ITEM)
SCRIPTS_LIST(status_head, SCRIPTS_STATUS_HEAD)
SCRIPTS_LIST(status_item, SCRIPTS_STATUS_ITEM)
SCRIPTS_LIST(inbound_head, SCRIPTS_INBOUND_HEAD)
SCRIPTS_LIST(inbound_item, SCRIPTS_INBOUND_ITEM)

#define SCRIPTS_DEF(id, name, st)                                                                                      \
	[id] = { #name, script_##name, name##_head, sizeof name##_head / sizeof name##_head[0] - 1, name##_item,       \
		sizeof name##_item / sizeof name##_item[0] - 1, st }
static const struct scripts_def scripts_defs[SCRIPTS_COUNT] = {
	SCRIPTS_DEF(SCRIPTS_BEGIN, begin, false),
	SCRIPTS_DEF(SCRIPTS_FINISH, finish, true),
	SCRIPTS_DEF(SCRIPTS_SCHEDULE, schedule, false),
	SCRIPTS_DEF(SCRIPTS_REJECT, reject, false),
	SCRIPTS_DEF(SCRIPTS_POISON, poison, false),
	SCRIPTS_DEF(SCRIPTS_DUE, due, false),
	SCRIPTS_DEF(SCRIPTS_LEASE, lease, false),
	SCRIPTS_DEF(SCRIPTS_LOST, lost, false),
	SCRIPTS_DEF(SCRIPTS_STATUS, status, true),
	SCRIPTS_DEF(SCRIPTS_INBOUND, inbound, false),
};

static char *scripts_texts[SCRIPTS_COUNT];
static char scripts_shas[SCRIPTS_COUNT][41];

static void scripts_vocabulary(struct buf *b);
static void scripts_logev(struct buf *b);
static void scripts_upper(struct buf *b, const char *prefix, const char *name);
static char *scripts_build(const struct scripts_def *d);

static void
scripts_upper(struct buf *b, const char *prefix, const char *name)
{
	buf_puts(b, prefix);
	for (const char *p = name; *p != '\0'; p++)
		buf_printf(b, "%c", toupper((unsigned char)*p));
}

/* Lua constants for every state, outcome and result code, and the tables derived from domain.h. */
static void
scripts_vocabulary(struct buf *b)
{
	static const struct {
		const char *name;
		int value;
	} results[] = {
#define SCRIPTS_R_PAIR(name, value) { #name, value },
		SCRIPTS_RESULTS(SCRIPTS_R_PAIR)
#undef SCRIPTS_R_PAIR
	};

	for (int s = 0; s < STATE_COUNT; s++) {
		buf_puts(b, "local ");
		scripts_upper(b, "S_", state_name((enum state)s));
		buf_printf(b, " = '%s'\n", state_name((enum state)s));
	}
	for (int o = 0; o < OUTCOME_COUNT; o++) {
		buf_puts(b, "local ");
		scripts_upper(b, "O_", outcome_name((enum outcome)o));
		buf_printf(b, " = '%s'\n", outcome_name((enum outcome)o));
	}
	for (size_t i = 0; i < sizeof results / sizeof results[0]; i++)
		buf_printf(b, "local R_%s = %d\n", results[i].name, results[i].value);
	buf_puts(b, "local FINAL = {");
	for (int s = 0; s < STATE_COUNT; s++)
		if (state_is_final((enum state)s))
			buf_printf(b, "['%s'] = true, ", state_name((enum state)s));
	buf_puts(b, "}\nlocal RANK = {");
	for (int d = 1; d < DELIVERY_COUNT; d++)
		buf_printf(b, "['%s'] = %d, ", delivery_name((enum delivery)d), delivery_rank((enum delivery)d));
	buf_puts(b, "}\n");
}

/*
 * logev(<the log fields in order>): one delivery-log event, trimmed when
 * maxlen is set. A log key some other program broke is logged by Redis
 * and counted (write_errors); it never fails the step that logs.
 */
static void
scripts_logev(struct buf *b)
{
	static const char *const fields[] = {
#define SCRIPTS_LOG_NAME(x) #x,
		SCRIPTS_LOG_FIELDS(SCRIPTS_LOG_NAME)
#undef SCRIPTS_LOG_NAME
	};
	size_t n = sizeof fields / sizeof fields[0];

	/* day is the call's own (DAY): the local date the reach counters count the event on. */
	buf_puts(b, "local function logev(");
	for (size_t i = 0, np = 0; i < n; i++)
		if (strcmp(fields[i], "day") != 0)
			buf_printf(b, "%sv_%s", np++ > 0 ? ", " : "", fields[i]);
	buf_puts(b, ")\nlocal v_day = DAY\n");
	for (int v = 0; v < 4; v++) {
		static const char *const conds[] = { "  if maxlen == '0' and v_error == '' then\n",
			"  elseif maxlen == '0' then\n", "  elseif v_error == '' then\n", "  else\n" };
		size_t last = v % 2 == 0 ? n - 1 : n;

		buf_puts(b, conds[v]);
		buf_puts(b, v < 2 ? "    write('XADD', LOG, '*'" : "    write('XADD', LOG, 'MAXLEN', '~', maxlen, '*'");
		for (size_t i = 0; i < last; i++)
			buf_printf(b, ", '%s', v_%s", fields[i], fields[i]);
		buf_puts(b, ")\n");
	}
	buf_puts(b, "  end\nend\n");
}

static char *
scripts_build(const struct scripts_def *d)
{
	static const char *const common[] = { SCRIPTS_COMMON(SCRIPTS_NAME) };
	size_t ncommon = SCRIPTS_COMMON_COUNT;
	size_t first = ncommon + d->nhead + 2; /* 1-based: after the common arguments, the head and the count */
	bool nf = d->nitem > 0 && strcmp(d->item[d->nitem - 1], "nf") == 0;
	const char *marker, *body = d->body;
	struct buf b;

	buf_init(&b);
	buf_printf(&b, "-- amuddu %s (generated by queues/scripts.c)\nlocal ARGV = ARGV\n", d->name);
	scripts_vocabulary(&b);
	for (size_t i = 0; i < ncommon; i++)
		buf_printf(&b, "local %s = ARGV[%zu]\n", common[i], i + 1);
	for (size_t i = 0; i < d->nhead; i++)
		buf_printf(&b, "local %s = ARGV[%zu]\n", d->head[i], ncommon + 1 + i);
	buf_printf(&b, "local N = tonumber(ARGV[%zu]) or 0\n", ncommon + d->nhead + 1);
	buf_printf(&b, "local FIRST, STRIDE, NF = %zu, %zu, %zu\n", first, d->nitem, nf ? d->nitem : 0);
	/* Each item argument's offset, for a script that reads one across the batch before the items. */
	buf_puts(&b, "local I = {");
	for (size_t i = 0; i < d->nitem; i++)
		buf_printf(&b, "%s = %zu, ", d->item[i], i);
	buf_puts(&b, "}\n");
	buf_puts(&b, scripts_prologue);
	scripts_logev(&b);
	if (d->status)
		buf_puts(&b, scripts_apply_status);
	while ((marker = strstr(body, "@ITEM@")) != NULL) {
		buf_append(&b, body, (size_t)(marker - body));
		buf_puts(&b, "local ");
		for (size_t i = 0; i < d->nitem; i++)
			buf_printf(&b, "%s%s", i > 0 ? ", " : "", d->item[i]);
		buf_puts(&b, " = ");
		for (size_t i = 0; i < d->nitem; i++)
			buf_printf(&b, "%sARGV[b + %zu]", i > 0 ? ", " : "", i);
		body = marker + strlen("@ITEM@");
	}
	buf_puts(&b, body);
	return buf_release(&b);
}

const char *
scripts_text(enum scripts_id id)
{
	if (scripts_texts[id] == NULL)
		scripts_texts[id] = scripts_build(&scripts_defs[id]);
	return scripts_texts[id];
}

const char *
scripts_sha(enum scripts_id id)
{
	unsigned char md[SHA_DIGEST_LENGTH];
	const char *text;

	if (scripts_shas[id][0] == '\0') {
		text = scripts_text(id);
		SHA1((const unsigned char *)text, strlen(text), md);
		for (int i = 0; i < SHA_DIGEST_LENGTH; i++)
			snprintf(scripts_shas[id] + 2 * i, 3, "%02x", md[i]);
	}
	return scripts_shas[id];
}

const char *
scripts_name(enum scripts_id id)
{
	return scripts_defs[id].name;
}

size_t
scripts_item_args(enum scripts_id id)
{
	return scripts_defs[id].nitem;
}

size_t
scripts_head_args(enum scripts_id id)
{
	return scripts_defs[id].nhead;
}
