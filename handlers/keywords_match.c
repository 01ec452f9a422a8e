/*
 * Matching one text against the loaded keywords: each word's key is
 * compared with the keyword words of about its length (exactly, or at one
 * typing mistake for keyword words of KEYWORDS_APPROX_MIN letters or
 * more), phrases are looked up from the words that start them, and the
 * rules of docs/design.md, "Keywords", pick the topic and the locale.
 * Everything it allocates is freed before it returns, but the result.
 */
#include "handlers/keywords.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/util/buf.h"
#include "gateway/util/xmalloc.h"
#include "handlers/keywords_int.h"
#include "handlers/normalise.h"
#include "locales/fallback.h"
#include "locales/locale_guess.h"

/* A stop or start message may carry this many courtesy phrases besides its keywords ("stop svp merci"). */
#define KEYWORDS_COURTESY_MAX 2
/* The longest bare number taken as one (it fits an int). */
#define KEYWORDS_NUMBER_DIGITS 9

/* Sets of locales (bit i: keywords_locales[i]) by script: ary and ar are written in Arabic letters. */
#define KEYWORDS_ARABIC_SCRIPT ((1u << KEYWORDS_ARY) | (1u << KEYWORDS_AR))
#define KEYWORDS_LATIN_SCRIPT ((1u << KEYWORDS_ARY_LATN) | (1u << KEYWORDS_FR) | (1u << KEYWORDS_EN))
#define KEYWORDS_ALL_LOCALES (KEYWORDS_ARABIC_SCRIPT | KEYWORDS_LATIN_SCRIPT)

/* A keyword word that one word of the text matches. */
struct keywords_hit {
	uint32_t word;
	bool approx; /* at one typing mistake */
};

/* A keyword phrase found in the text, starting at its word at. */
struct keywords_occ {
	const struct keywords_phrase *p;
	size_t at;
	unsigned approx; /* how many of its words matched at one typing mistake */
};

/* The text being matched: its words' keys, what each matches, the phrases found. */
struct keywords_text {
	size_t nwords;
	uint32_t *keys;  /* every word's key, one after another */
	size_t *key_off; /* word i's key is keys[key_off[i] .. key_off[i + 1]) */
	struct keywords_hit *hits;
	size_t *hit_off; /* word i's hits are hits[hit_off[i] .. hit_off[i + 1]) */
	size_t nhits, caphits;
	struct keywords_occ *occ; /* in the order of their first word */
	size_t nocc, capocc;
};

static bool keywords_one_edit(const uint32_t *a, size_t la, const uint32_t *b, size_t lb);
static bool keywords_is_exception(const struct keywords *k, const uint32_t *key, size_t n);
static void keywords_hit(struct keywords_text *t, uint32_t word, bool approx);
static void keywords_words(const struct keywords *k, const struct buf *norm, struct keywords_text *t);
static bool keywords_word_has(const struct keywords_text *t, size_t i, uint32_t word, unsigned *approx);
static void keywords_find(const struct keywords *k, struct keywords_text *t);
static bool keywords_short(const struct keywords_text *t);
static const struct keywords_occ *keywords_decide(const struct keywords_text *t);
static int keywords_locale_index(const char *name);
static const char *keywords_pick(
    const struct keywords_text *t, unsigned candidates, const char *hint, const char *guess, bool any);

/*
 * Whether a and b are at most one edit apart in the optimal string
 * alignment distance (one insertion, deletion, substitution, or swap of
 * two neighbours), in one pass: after their common beginning, the rest
 * must be equal once that edit is made.
 */
static bool
keywords_one_edit(const uint32_t *a, size_t la, const uint32_t *b, size_t lb)
{
	size_t i = 0;

	if (la < lb)
		return keywords_one_edit(b, lb, a, la);
	if (la - lb > 1)
		return false;
	while (i < lb && a[i] == b[i])
		i++;
	if (la > lb)
		return memcmp(a + i + 1, b + i, (lb - i) * sizeof *a) == 0;
	if (i == la || memcmp(a + i + 1, b + i + 1, (la - i - 1) * sizeof *a) == 0)
		return true;
	return i + 1 < la && a[i] == b[i + 1] && a[i + 1] == b[i] &&
	    memcmp(a + i + 2, b + i + 2, (la - i - 2) * sizeof *a) == 0;
}

static bool
keywords_is_exception(const struct keywords *k, const uint32_t *key, size_t n)
{
	for (size_t i = 0; i < k->nexceptions; i++)
		if (k->exceptions[i].len == n && memcmp(k->cps + k->exceptions[i].off, key, n * sizeof *key) == 0)
			return true;
	return false;
}

static void
keywords_hit(struct keywords_text *t, uint32_t word, bool approx)
{
	if (t->nhits == t->caphits) {
		t->caphits = t->caphits == 0 ? 16 : t->caphits * 2;
		t->hits = xreallocarray(t->hits, t->caphits, sizeof *t->hits);
	}
	t->hits[t->nhits].word = word;
	t->hits[t->nhits].approx = approx;
	t->nhits++;
}

/* Cuts the normalised text into words, keys them and finds the keyword words each matches. */
static void
keywords_words(const struct keywords *k, const struct buf *norm, struct keywords_text *t)
{
	const char *p = norm->data;

	t->keys = xreallocarray(NULL, 2 * norm->len + 1, sizeof *t->keys);
	t->key_off = xreallocarray(NULL, t->nwords + 1, sizeof *t->key_off);
	t->hit_off = xreallocarray(NULL, t->nwords + 1, sizeof *t->hit_off);
	t->key_off[0] = 0;
	for (size_t i = 0; i < t->nwords; i++) {
		size_t len = strcspn(p, " "), klen;
		uint32_t *key = t->keys + t->key_off[i];
		bool exception;

		klen = normalise_key(p, len, key);
		t->key_off[i + 1] = t->key_off[i] + klen;
		t->hit_off[i] = t->nhits;
		p += len + (p[len] == ' ');
		if (klen > KEYWORDS_WORD_MAX + 1)
			continue;
		exception = keywords_is_exception(k, key, klen);
		for (size_t l = klen > 1 ? klen - 1 : 1; l <= klen + 1 && l <= KEYWORDS_WORD_MAX; l++) {
			for (size_t j = k->first_len[l]; j < k->first_len[l + 1]; j++) {
				uint32_t w = k->by_len[j];
				const uint32_t *kw = k->cps + k->words[w].off;

				if (l == klen && memcmp(kw, key, klen * sizeof *key) == 0)
					keywords_hit(t, w, false);
				else if (!exception && l >= KEYWORDS_APPROX_MIN && keywords_one_edit(kw, l, key, klen))
					keywords_hit(t, w, true);
			}
		}
	}
	t->hit_off[t->nwords] = t->nhits;
}

/* Whether word i of the text matches keyword word; adds 1 to *approx when only at one typing mistake. */
static bool
keywords_word_has(const struct keywords_text *t, size_t i, uint32_t word, unsigned *approx)
{
	for (size_t h = t->hit_off[i]; h < t->hit_off[i + 1]; h++) {
		if (t->hits[h].word == word) {
			*approx += t->hits[h].approx;
			return true;
		}
	}
	return false;
}

/* Every keyword phrase whose words stand one after another in the text. */
static void
keywords_find(const struct keywords *k, struct keywords_text *t)
{
	for (size_t i = 0; i < t->nwords; i++) {
		for (size_t h = t->hit_off[i]; h < t->hit_off[i + 1]; h++) {
			uint32_t first = t->hits[h].word;

			for (size_t pi = k->first_phrase[first]; pi < k->first_phrase[first + 1]; pi++) {
				const struct keywords_phrase *p = &k->phrases[pi];
				unsigned approx = t->hits[h].approx;
				bool whole = i + p->nwords <= t->nwords;

				for (size_t j = 1; whole && j < p->nwords; j++)
					whole = keywords_word_has(t, i + j, p->word[j], &approx);
				/* A typing mistake never subscribes anyone again. */
				if (!whole || (p->topic == KEYWORDS_START && approx > 0))
					continue;
				if (t->nocc == t->capocc) {
					t->capocc = t->capocc == 0 ? 16 : t->capocc * 2;
					t->occ = xreallocarray(t->occ, t->capocc, sizeof *t->occ);
				}
				t->occ[t->nocc].p = p;
				t->occ[t->nocc].at = i;
				t->occ[t->nocc].approx = approx;
				t->nocc++;
			}
		}
	}
}

/*
 * Whether the text is a stop or start message: all its words covered by
 * stop and start keywords (at least one) and at most
 * KEYWORDS_COURTESY_MAX courtesy phrases. cost[2 * i + kw] is the fewest
 * courtesy phrases that cover its first i words, kw saying whether a
 * keyword is among them; phrases come in the order of their first word,
 * so every way to reach word i is known before the phrases starting there.
 */
static bool
keywords_short(const struct keywords_text *t)
{
	unsigned char *cost = xmalloc(2 * (t->nwords + 1));
	bool is_short;

	memset(cost, 0xFF, 2 * (t->nwords + 1));
	cost[0] = 0;
	for (size_t o = 0; o < t->nocc; o++) {
		const struct keywords_occ *occ = &t->occ[o];
		unsigned topic = occ->p->topic, kw = topic != KEYWORDS_COURTESY;

		if (topic != KEYWORDS_STOP && topic != KEYWORDS_START && topic != KEYWORDS_COURTESY)
			continue;
		for (unsigned had = 0; had < 2; had++) {
			unsigned c = cost[2 * occ->at + had] + !kw;
			size_t to = 2 * (occ->at + occ->p->nwords) + (had | kw);

			if (cost[2 * occ->at + had] != 0xFF && c <= KEYWORDS_COURTESY_MAX && c < cost[to])
				cost[to] = (unsigned char)c;
		}
	}
	is_short = cost[2 * t->nwords + 1] != 0xFF;
	free(cost);
	return is_short;
}

/*
 * The phrase that decides the topic: a stop, else a start, keyword in a
 * short message (keywords_short()); otherwise the earliest keyword of the
 * other topics, the one of more words on a tie, then the one matched
 * without a typing mistake. NULL when there is none.
 */
static const struct keywords_occ *
keywords_decide(const struct keywords_text *t)
{
	const struct keywords_occ *best = NULL;

	if (keywords_short(t)) {
		for (size_t o = 0; o < t->nocc; o++) {
			unsigned topic = t->occ[o].p->topic;

			if (topic == KEYWORDS_STOP || (topic == KEYWORDS_START && best == NULL))
				best = &t->occ[o];
			if (topic == KEYWORDS_STOP)
				return best;
		}
		return best;
	}
	for (size_t o = 0; o < t->nocc; o++) {
		const struct keywords_occ *c = &t->occ[o];

		if (c->p->topic == KEYWORDS_STOP || c->p->topic == KEYWORDS_START || c->p->topic == KEYWORDS_COURTESY)
			continue;
		if (best == NULL || c->at < best->at ||
		    (c->at == best->at &&
			(c->p->nwords > best->p->nwords ||
			    (c->p->nwords == best->p->nwords && c->approx < best->approx))))
			best = c;
	}
	return best;
}

/* The index of a locale name in keywords_locales[] (any case), or -1. */
static int
keywords_locale_index(const char *name)
{
	const char *canonical = name != NULL ? fallback_locale(name, strlen(name)) : NULL;

	for (int i = 0; canonical != NULL && i < KEYWORDS_LOCALES; i++)
		if (strcmp(keywords_locales[i], canonical) == 0)
			return i;
	return -1;
}

/*
 * The locale to answer in among candidates (bits of keywords_locales[]):
 * the person's own (hint); else Darija in the other script when the hint
 * is Darija; else, among the candidates the most keywords and courtesy
 * words of the text (matched exactly) belong to, the script's guess, or
 * the first of them when any is set or the text had such words.
 */
static const char *
keywords_pick(const struct keywords_text *t, unsigned candidates, const char *hint, const char *guess, bool any)
{
	int h = keywords_locale_index(hint), g = keywords_locale_index(guess);
	int sibling = h == KEYWORDS_ARY ? KEYWORDS_ARY_LATN : h == KEYWORDS_ARY_LATN ? KEYWORDS_ARY : -1;
	unsigned support[KEYWORDS_LOCALES] = { 0 }, most = 0, best = 0;

	if (h >= 0 && (candidates & (1u << h)))
		return keywords_locales[h];
	if (sibling >= 0 && (candidates & (1u << sibling)))
		return keywords_locales[sibling];
	for (size_t o = 0; o < t->nocc; o++)
		for (int i = 0; i < KEYWORDS_LOCALES && t->occ[o].approx == 0; i++)
			support[i] += (t->occ[o].p->locales >> i) & 1u;
	for (int i = 0; i < KEYWORDS_LOCALES; i++) {
		if (!(candidates & (1u << i)) || support[i] < most)
			continue;
		if (support[i] > most)
			best = 0;
		most = support[i];
		best |= 1u << i;
	}
	if (g >= 0 && (best & (1u << g)))
		return keywords_locales[g];
	for (int i = 0; (any || most > 0) && i < KEYWORDS_LOCALES; i++)
		if (best & (1u << i))
			return keywords_locales[i];
	return NULL;
}

void
keywords_match(const struct keywords *k, const char *text, size_t len, const char *hint, struct keywords_result *r)
{
	size_t seen = len < NORMALISE_TEXT_MAX ? len : NORMALISE_TEXT_MAX;
	const char *guess = locale_guess(text, seen);
	unsigned script = guess == NULL ? KEYWORDS_ALL_LOCALES
	    : strcmp(guess, "ar") == 0  ? KEYWORDS_ARABIC_SCRIPT
					: KEYWORDS_LATIN_SCRIPT;
	struct keywords_text t;
	const struct keywords_occ *best;
	struct buf norm;

	memset(r, 0, sizeof *r);
	memset(&t, 0, sizeof t);
	buf_init(&norm);
	t.nwords = normalise_text(text, seen, &norm);
	keywords_words(k, &norm, &t);
	keywords_find(k, &t);
	best = keywords_decide(&t);

	r->number = -1;
	if (t.nwords == 1 && norm.len <= KEYWORDS_NUMBER_DIGITS && strspn(norm.data, "0123456789") == norm.len)
		r->number = atoi(norm.data);
	if (best != NULL) {
		/* The locales whose lists have the keyword that decided, kept to the text's script. */
		unsigned matched = best->p->locales & script;

		r->topic = (enum keywords_topic)best->p->topic;
		r->keyword = best->p->text;
		r->approximate = best->approx > 0;
		r->locale = keywords_pick(&t, matched != 0 ? matched : script, hint, guess, true);
	} else {
		r->topic = KEYWORDS_NONE;
		r->locale = keywords_pick(&t, script, hint, guess, false);
	}
	r->normalised = buf_release(&norm);
	free(t.keys);
	free(t.key_off);
	free(t.hits);
	free(t.hit_off);
	free(t.occ);
}

void
keywords_result_free(struct keywords_result *r)
{
	free(r->normalised);
	r->normalised = NULL;
}
