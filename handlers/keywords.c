/*
 * Loading the keyword lists: each catalog entry keywords.<topic> (and
 * keywords.courtesy, keywords.exceptions) holds alternatives separated by
 * '|'; each is normalised as texts are, cut into words, and every distinct
 * word's key is kept once, so that matching compares a text's words with
 * each key once. Also the topics' names and the menus. Owns struct keywords.
 */
#include "handlers/keywords.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/util/buf.h"
#include "gateway/util/xmalloc.h"
#include "handlers/keywords_int.h"
#include "handlers/normalise.h"

/* What a catalog entry holds: a topic's keywords, the courtesy words, or the exceptions. */
#define KEYWORDS_EXCEPTION (KEYWORDS_COURTESY + 1)

/* In the order of enum keywords_locale. */
const char *const keywords_locales[KEYWORDS_LOCALES] = { "ary-Latn", "ary", "ar", "fr", "en" };

static const char *const keywords_topics[KEYWORDS_TOPIC_COUNT] = { "none", "menu", "training", "employment",
	"residency", "covid", "agent", "stop", "start" };

/* One alternative of a list being loaded, for the error messages. */
struct keywords_source {
	const struct catalog *c;
	const char *locale, *key;
	size_t locale_index;
	unsigned kind; /* a topic, KEYWORDS_COURTESY or KEYWORDS_EXCEPTION */
};

static void keywords_fail(char *why, size_t whylen, const struct keywords_source *src, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static struct keywords_word keywords_store(struct keywords *k, const uint32_t *key, size_t n);
static uint32_t keywords_intern(struct keywords *k, const uint32_t *key, size_t n);
static const char *keywords_owner(unsigned topic, char *buf, size_t len);
static int keywords_add_phrase(struct keywords *k, const struct keywords_source *src, const uint32_t *word,
    size_t nwords, const char *text, char *why, size_t whylen);
static int keywords_add_exception(struct keywords *k, const struct keywords_source *src, const uint32_t *key, size_t n,
    const char *text, char *why, size_t whylen);
static int keywords_load_one(
    struct keywords *k, const struct keywords_source *src, const char *alt, size_t len, char *why, size_t whylen);
static int keywords_load(
    struct keywords *k, const struct catalog *c, size_t locale, unsigned kind, char *why, size_t whylen);
static int keywords_by_first_word(const void *a, const void *b);
static void keywords_index(struct keywords *k);
static int keywords_menu_parse(
    const char *text, enum keywords_topic topics[KEYWORDS_MENU_MAX], char *why, size_t whylen);

const char *
keywords_topic_name(enum keywords_topic t)
{
	return (unsigned)t < KEYWORDS_TOPIC_COUNT ? keywords_topics[t] : keywords_topics[KEYWORDS_NONE];
}

enum keywords_topic
keywords_topic_parse(const char *name)
{
	for (unsigned t = 0; t < KEYWORDS_TOPIC_COUNT; t++)
		if (strcmp(name, keywords_topics[t]) == 0)
			return (enum keywords_topic)t;
	return KEYWORDS_NONE;
}

/* Writes "<locale>.po line N: <entry>: <what>" into why. */
static void
keywords_fail(char *why, size_t whylen, const struct keywords_source *src, const char *fmt, ...)
{
	long line = catalog_line(src->c, src->locale, src->key);
	char what[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	if (line > 0)
		snprintf(why, whylen, "%s.po line %ld: %s: %s", src->locale, line, src->key, what);
	else
		snprintf(why, whylen, "%s.po: %s: %s", src->locale, src->key, what);
}

/* Appends key[0..n) to the pool of keys; returns where it is. */
static struct keywords_word
keywords_store(struct keywords *k, const uint32_t *key, size_t n)
{
	struct keywords_word w = { (uint32_t)k->ncps, (uint32_t)n };

	if (k->ncps + n > k->capcps) {
		k->capcps = (k->ncps + n) * 2;
		k->cps = xreallocarray(k->cps, k->capcps, sizeof *k->cps);
	}
	memcpy(k->cps + k->ncps, key, n * sizeof *key);
	k->ncps += n;
	return w;
}

/* The index of the word with key[0..n), added if it is new. */
static uint32_t
keywords_intern(struct keywords *k, const uint32_t *key, size_t n)
{
	for (size_t w = 0; w < k->nwords; w++)
		if (k->words[w].len == n && memcmp(k->cps + k->words[w].off, key, n * sizeof *key) == 0)
			return (uint32_t)w;
	if (k->nwords == k->capwords) {
		k->capwords = k->capwords == 0 ? 256 : k->capwords * 2;
		k->words = xreallocarray(k->words, k->capwords, sizeof *k->words);
	}
	k->words[k->nwords] = keywords_store(k, key, n);
	return (uint32_t)k->nwords++;
}

/* What a phrase of topic is, in an error message. */
static const char *
keywords_owner(unsigned topic, char *buf, size_t len)
{
	if (topic == KEYWORDS_COURTESY)
		return "a courtesy word";
	snprintf(buf, len, "a keyword of the topic %s", keywords_topics[topic]);
	return buf;
}

/* Adds a phrase of src's topic, or its locale to the same phrase; -1 when another topic has it. */
static int
keywords_add_phrase(struct keywords *k, const struct keywords_source *src, const uint32_t *word, size_t nwords,
    const char *text, char *why, size_t whylen)
{
	struct keywords_phrase *p;

	for (size_t i = 0; i < k->nphrases; i++) {
		p = &k->phrases[i];
		if (p->nwords != nwords || memcmp(p->word, word, nwords * sizeof *word) != 0)
			continue;
		if (p->topic != src->kind) {
			char owner[64];

			keywords_fail(why, whylen, src, "'%s' is already %s", text,
			    keywords_owner(p->topic, owner, sizeof owner));
			return -1;
		}
		p->locales |= (uint8_t)(1u << src->locale_index);
		return 0;
	}
	if (k->nphrases == k->capphrases) {
		k->capphrases = k->capphrases == 0 ? 256 : k->capphrases * 2;
		k->phrases = xreallocarray(k->phrases, k->capphrases, sizeof *k->phrases);
	}
	p = &k->phrases[k->nphrases++];
	memset(p, 0, sizeof *p);
	memcpy(p->word, word, nwords * sizeof *word);
	p->nwords = (uint8_t)nwords;
	p->topic = (uint8_t)src->kind;
	p->locales = (uint8_t)(1u << src->locale_index);
	p->text = xstrdup(text);
	return 0;
}

/* Adds an exception (once, whichever locales have it); -1 when it is a one-word keyword itself. */
static int
keywords_add_exception(struct keywords *k, const struct keywords_source *src, const uint32_t *key, size_t n,
    const char *text, char *why, size_t whylen)
{
	for (size_t i = 0; i < k->nphrases; i++) {
		const struct keywords_phrase *p = &k->phrases[i];
		const struct keywords_word *w = &k->words[p->word[0]];

		if (p->nwords == 1 && w->len == n && memcmp(k->cps + w->off, key, n * sizeof *key) == 0) {
			char owner[64];

			keywords_fail(why, whylen, src, "'%s' is %s, so it cannot be an exception", text,
			    keywords_owner(p->topic, owner, sizeof owner));
			return -1;
		}
	}
	for (size_t i = 0; i < k->nexceptions; i++)
		if (k->exceptions[i].len == n && memcmp(k->cps + k->exceptions[i].off, key, n * sizeof *key) == 0)
			return 0;
	if (k->nexceptions == k->capexceptions) {
		k->capexceptions = k->capexceptions == 0 ? 32 : k->capexceptions * 2;
		k->exceptions = xreallocarray(k->exceptions, k->capexceptions, sizeof *k->exceptions);
	}
	k->exceptions[k->nexceptions++] = keywords_store(k, key, n);
	return 0;
}

/* Loads one alternative alt[0..len) of a list. */
static int
keywords_load_one(
    struct keywords *k, const struct keywords_source *src, const char *alt, size_t len, char *why, size_t whylen)
{
	uint32_t word[KEYWORDS_PHRASE_MAX], *key = NULL;
	struct buf norm;
	size_t nwords, n = 0, klen = 0;
	bool number = true;
	int rc = -1;

	buf_init(&norm);
	nwords = normalise_text(alt, len, &norm);
	if (nwords == 0) {
		keywords_fail(why, whylen, src, "'%.*s' has no letter or digit", (int)len, alt);
		goto out;
	}
	if (nwords > KEYWORDS_PHRASE_MAX) {
		keywords_fail(why, whylen, src, "'%s' has more than %d words", norm.data, KEYWORDS_PHRASE_MAX);
		goto out;
	}
	if (src->kind == KEYWORDS_EXCEPTION && nwords > 1) {
		keywords_fail(why, whylen, src, "'%s': an exception is one word", norm.data);
		goto out;
	}
	key = xreallocarray(NULL, 2 * norm.len, sizeof *key);
	for (const char *p = norm.data; n < nwords; n++) {
		size_t wlen = strcspn(p, " ");

		number = number && strspn(p, "0123456789") == wlen;
		klen = normalise_key(p, wlen, key);
		if (klen > KEYWORDS_WORD_MAX) {
			keywords_fail(
			    why, whylen, src, "'%s' has a word of more than %d letters", norm.data, KEYWORDS_WORD_MAX);
			goto out;
		}
		if (src->kind != KEYWORDS_EXCEPTION)
			word[n] = keywords_intern(k, key, klen);
		p += wlen + (p[wlen] == ' ');
	}
	if (number) {
		keywords_fail(why, whylen, src, "'%s' is a number, and numbers are answers to menus", norm.data);
		goto out;
	}
	if (src->kind == KEYWORDS_EXCEPTION)
		rc = keywords_add_exception(k, src, key, klen, norm.data, why, whylen);
	else
		rc = keywords_add_phrase(k, src, word, nwords, norm.data, why, whylen);
out:
	free(key);
	buf_free(&norm);
	return rc;
}

/* Loads the list of kind in one locale, if the catalog has it. */
static int
keywords_load(struct keywords *k, const struct catalog *c, size_t locale, unsigned kind, char *why, size_t whylen)
{
	struct keywords_source src = { c, keywords_locales[locale], NULL, locale, kind };
	char key[64];
	const char *text, *p;
	size_t alt = 1;

	snprintf(key, sizeof key, "keywords.%s",
	    kind == KEYWORDS_COURTESY        ? "courtesy"
		: kind == KEYWORDS_EXCEPTION ? "exceptions"
					     : keywords_topics[kind]);
	src.key = key;
	if ((text = catalog_get(c, src.locale, key)) == NULL)
		return 0;
	for (p = text;; alt++) {
		const char *bar = strchr(p, '|'), *end = bar != NULL ? bar : p + strlen(p);

		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if (p == end) {
			keywords_fail(
			    why, whylen, &src, "alternative %zu is empty ('|' at an end, or two in a row)", alt);
			return -1;
		}
		if (keywords_load_one(k, &src, p, (size_t)(end - p), why, whylen) != 0)
			return -1;
		if (bar == NULL)
			return 0;
		p = bar + 1;
	}
}

/* Phrases in the order of their first word, then topic, then length: the order matching tries them. */
static int
keywords_by_first_word(const void *a, const void *b)
{
	const struct keywords_phrase *x = a, *y = b;

	if (x->word[0] != y->word[0])
		return x->word[0] < y->word[0] ? -1 : 1;
	if (x->topic != y->topic)
		return x->topic < y->topic ? -1 : 1;
	return (int)x->nwords - (int)y->nwords;
}

/* Builds the indexes matching uses: words by key length, phrases by first word. */
static void
keywords_index(struct keywords *k)
{
	size_t count[KEYWORDS_WORD_MAX + 2] = { 0 }, at[KEYWORDS_WORD_MAX + 1];

	k->by_len = xreallocarray(NULL, k->nwords + 1, sizeof *k->by_len);
	for (size_t w = 0; w < k->nwords; w++)
		count[k->words[w].len]++;
	k->first_len[0] = 0;
	for (size_t l = 0; l <= KEYWORDS_WORD_MAX; l++) {
		at[l] = k->first_len[l];
		k->first_len[l + 1] = k->first_len[l] + count[l];
	}
	for (size_t w = 0; w < k->nwords; w++)
		k->by_len[at[k->words[w].len]++] = (uint32_t)w;

	if (k->nphrases > 0)
		qsort(k->phrases, k->nphrases, sizeof *k->phrases, keywords_by_first_word);
	k->first_phrase = xcalloc(k->nwords + 1, sizeof *k->first_phrase);
	for (size_t i = 0, w = 0; w <= k->nwords; w++) {
		while (i < k->nphrases && k->phrases[i].word[0] < w)
			i++;
		k->first_phrase[w] = i;
	}
}

struct keywords *
keywords_new(const struct catalog *c, char *why, size_t whylen)
{
	struct keywords *k = xcalloc(1, sizeof *k);
	enum keywords_topic menu[KEYWORDS_MENU_MAX];

	for (size_t l = 0; l < KEYWORDS_LOCALES; l++) {
		struct keywords_source src = { c, keywords_locales[l], "menu.main", l, KEYWORDS_MENU };
		const char *text = catalog_get(c, src.locale, src.key);
		char sub[200];

		if (text != NULL && keywords_menu_parse(text, menu, sub, sizeof sub) < 0) {
			keywords_fail(why, whylen, &src, "%s", sub);
			goto fail;
		}
		for (unsigned kind = KEYWORDS_MENU; kind <= KEYWORDS_COURTESY; kind++)
			if (keywords_load(k, c, l, kind, why, whylen) != 0)
				goto fail;
	}
	/* Exceptions last, so that one that is a keyword is found whichever locale has that keyword. */
	for (size_t l = 0; l < KEYWORDS_LOCALES; l++)
		if (keywords_load(k, c, l, KEYWORDS_EXCEPTION, why, whylen) != 0)
			goto fail;
	keywords_index(k);
	return k;
fail:
	keywords_free(k);
	return NULL;
}

void
keywords_free(struct keywords *k)
{
	if (k == NULL)
		return;
	for (size_t i = 0; i < k->nphrases; i++)
		free(k->phrases[i].text);
	free(k->phrases);
	free(k->first_phrase);
	free(k->by_len);
	free(k->words);
	free(k->exceptions);
	free(k->cps);
	free(k);
}

/* Reads a menu: topic names separated by spaces, each once, none of them "none". */
static int
keywords_menu_parse(const char *text, enum keywords_topic topics[KEYWORDS_MENU_MAX], char *why, size_t whylen)
{
	int n = 0;

	for (const char *p = text + strspn(text, " \t"); *p != '\0'; p += strspn(p, " \t")) {
		size_t len = strcspn(p, " \t");
		char name[16];
		enum keywords_topic t = KEYWORDS_NONE;

		if (len < sizeof name) {
			memcpy(name, p, len);
			name[len] = '\0';
			t = keywords_topic_parse(name);
		}
		if (t == KEYWORDS_NONE) {
			snprintf(why, whylen,
			    "'%.*s' is not a topic (menu, training, employment, residency, covid, agent, stop, start)",
			    (int)len, p);
			return -1;
		}
		for (int i = 0; i < n; i++) {
			if (topics[i] == t) {
				snprintf(why, whylen, "'%s' is in the menu twice", name);
				return -1;
			}
		}
		if (n == KEYWORDS_MENU_MAX) {
			snprintf(why, whylen, "more than %d choices", KEYWORDS_MENU_MAX);
			return -1;
		}
		topics[n++] = t;
		p += len;
	}
	if (n == 0)
		snprintf(why, whylen, "no choices");
	return n > 0 ? n : -1;
}

int
keywords_menu(const struct catalog *c, const char *name, const char *locale, const char *chain,
    enum keywords_topic topics[KEYWORDS_MENU_MAX], char *why, size_t whylen)
{
	const char *text, *chosen = NULL;
	char key[64], sub[200];
	int n;

	if ((size_t)snprintf(key, sizeof key, "menu.%s", name) >= sizeof key ||
	    (text = catalog_lookup(c, locale, key, chain != NULL ? chain : "", &chosen)) == NULL) {
		snprintf(why, whylen, "no menu '%s' in the catalogs", name);
		return -1;
	}
	if ((n = keywords_menu_parse(text, topics, sub, sizeof sub)) < 0)
		snprintf(why, whylen, "%s.po: %s: %s", chosen, key, sub);
	return n;
}
