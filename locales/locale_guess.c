/*
 * Counts Arabic-script against Latin-script letters, then scores the
 * Latin-script words: Darija words and Arabizi spellings (digits standing
 * for Arabic sounds: 2 hamza, 3 ain, 5 kha, 7 ha, 9 qaf) against common
 * French words. Owns nothing; pure.
 */
#include "locales/locale_guess.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/* Longer words are neither Darija nor French function words. */
#define LOCALE_GUESS_WORD_MAX 32

struct locale_guess_word {
	char s[LOCALE_GUESS_WORD_MAX + 1]; /* lowercased, UTF-8 */
	size_t len;
	bool overflow;
};

static size_t locale_guess_decode(const unsigned char *p, size_t len, uint32_t *cp);
static bool locale_guess_arabic(uint32_t cp);
static bool locale_guess_latin(uint32_t cp);
static bool locale_guess_in(const char *word, const char *const *list);
static bool locale_guess_arabizi(const char *w, size_t len);
static void locale_guess_score(const struct locale_guess_word *w, unsigned *darija, unsigned *french);

static const char *const locale_guess_darija[] = { "salam", "slm", "wach", "wash", "bghit", "bghina", "chokran",
	"choukran", "shukran", "chukran", "mzyan", "mzyana", "mezyan", "labas", "kifach", "kifash", "fin", "daba",
	"khoya", "khouya", "bzaf", "bezzaf", "bzzaf", "safi", "wakha", "waxa", "kidayr", "kidayra", "chno", "chnou",
	"achno", "mabghitch", "bslama", "dyal", "ewa", "inchallah", "nta", "nti", "hna", "ghir", NULL };

/* Not "la" and "ma": in Darija they mean "no" and "not". */
static const char *const locale_guess_french[] = { "le", "les", "des", "de", "du", "un", "une", "et", "est", "je", "j",
	"tu", "il", "elle", "nous", "vous", "ils", "elles", "pour", "pas", "ne", "que", "qui", "quoi", "quand",
	"comment", "dans", "sur", "avec", "mais", "au", "aux", "ce", "c", "cette", "ces", "mon", "mes", "votre", "vos",
	"notre", "bonjour", "bonsoir", "merci", "oui", "non", "suis", "sont", "ai", "avez", "veux", "voudrais",
	"tr\xc3\xa8s", "o\xc3\xb9",
	"\xc3\xa7"
	"a",
	"d\xc3\xa9j\xc3\xa0", NULL };

/* What follows a lone leading digit in French or English: "9h", "2eme", "5km", "3d". */
static const char *const locale_guess_units[] = { "h", "e", "er", "eme", "em", "re", "km", "m", "mn", "min", "kg", "g",
	"dh", "j", "s", "am", "pm", "st", "nd", "rd", "th", "x", "cm", "mm", "ml", "l", "mo", "go", "ko", "gb", "mb",
	"p", "d", "k", NULL };

/* What precedes a trailing digit in product and level names: "mp3", "ps5". */
static const char *const locale_guess_names[] = { "mp", "ps", "pc", "win", "covid", "iphone", "galaxy", "note", "gta",
	"level", "niveau", "bac", "lot", "page", "fifa", NULL };

/* One code point at p into *cp; returns its length, or 0 for a byte that starts none. */
static size_t
locale_guess_decode(const unsigned char *p, size_t len, uint32_t *cp)
{
	size_t n;
	uint32_t c;

	if (p[0] < 0x80) {
		*cp = p[0];
		return 1;
	}
	if ((p[0] & 0xE0) == 0xC0) {
		n = 2;
		c = p[0] & 0x1F;
	} else if ((p[0] & 0xF0) == 0xE0) {
		n = 3;
		c = p[0] & 0x0F;
	} else if ((p[0] & 0xF8) == 0xF0) {
		n = 4;
		c = p[0] & 0x07;
	} else {
		return 0;
	}
	if (len < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xC0) != 0x80)
			return 0;
		c = c << 6 | (p[i] & 0x3F);
	}
	if ((n == 2 && c < 0x80) || (n == 3 && c < 0x800) || (n == 4 && c < 0x10000) || c > 0x10FFFF ||
	    (c >= 0xD800 && c <= 0xDFFF))
		return 0;
	*cp = c;
	return n;
}

/* Arabic, Arabic Supplement, Extended-A and the presentation forms, without digits and punctuation. */
static bool
locale_guess_arabic(uint32_t cp)
{
	if (cp <= 0x0605 || cp == 0x060C || cp == 0x060D || cp == 0x061B || cp == 0x061F ||
	    (cp >= 0x0660 && cp <= 0x066D) || cp == 0x06D4 || (cp >= 0x06F0 && cp <= 0x06F9) || cp == 0xFD3E ||
	    cp == 0xFD3F || cp == 0xFEFF)
		return false;
	return (cp >= 0x0600 && cp <= 0x06FF) || (cp >= 0x0750 && cp <= 0x077F) || (cp >= 0x08A0 && cp <= 0x08FF) ||
	    (cp >= 0xFB50 && cp <= 0xFDFF) || (cp >= 0xFE70 && cp <= 0xFEFF);
}

/* ASCII letters, Latin-1 Supplement and Latin Extended letters (é, ç, ñ…). */
static bool
locale_guess_latin(uint32_t cp)
{
	return (cp >= 'A' && cp <= 'Z') || (cp >= 'a' && cp <= 'z') ||
	    (cp >= 0xC0 && cp <= 0x24F && cp != 0xD7 && cp != 0xF7) || (cp >= 0x1E00 && cp <= 0x1EFF);
}

static bool
locale_guess_in(const char *word, const char *const *list)
{
	for (; *list != NULL; list++)
		if (strcmp(word, *list) == 0)
			return true;
	return false;
}

/*
 * An Arabizi spelling: letters with the digits 2, 3, 5, 7 or 9 ("3afak",
 * "wa9t", "sa7bi"), each digit alone, and not the shape of a time, an
 * ordinal, a unit or a product name ("9h", "2eme", "5km", "mp3").
 */
static bool
locale_guess_arabizi(const char *w, size_t len)
{
	size_t ndigits = 0, nletters = 0, first = len, last = 0;

	for (size_t i = 0; i < len; i++) {
		if (w[i] >= '0' && w[i] <= '9') {
			if (strchr("23579", w[i]) == NULL || (i > 0 && w[i - 1] >= '0' && w[i - 1] <= '9'))
				return false;
			if (first == len)
				first = i;
			last = i;
			ndigits++;
		} else {
			nletters++;
		}
	}
	if (ndigits == 0 || nletters == 0)
		return false;
	if (ndigits == 1 && first == 0)
		return !locale_guess_in(w + 1, locale_guess_units);
	if (ndigits == 1 && last == len - 1) {
		char head[LOCALE_GUESS_WORD_MAX + 1];

		memcpy(head, w, len - 1);
		head[len - 1] = '\0';
		return len - 1 >= 2 && !locale_guess_in(head, locale_guess_names);
	}
	return true;
}

static void
locale_guess_score(const struct locale_guess_word *w, unsigned *darija, unsigned *french)
{
	if (w->len == 0 || w->overflow)
		return;
	if (locale_guess_in(w->s, locale_guess_darija) || locale_guess_arabizi(w->s, w->len))
		(*darija)++;
	else if (locale_guess_in(w->s, locale_guess_french))
		(*french)++;
}

const char *
locale_guess(const char *text, size_t len)
{
	const unsigned char *p = (const unsigned char *)text;
	unsigned arabic = 0, latin = 0, darija = 0, french = 0;
	struct locale_guess_word w;
	size_t i = 0, n;
	uint32_t cp;

	if (text == NULL)
		return NULL;
	memset(&w, 0, sizeof w);
	while (i < len) {
		n = locale_guess_decode(p + i, len - i, &cp);
		if (n == 0) {
			/* A bad byte ends a word like any separator. */
			cp = ' ';
			n = 1;
		}
		if (locale_guess_arabic(cp))
			arabic++;
		else if (locale_guess_latin(cp))
			latin++;
		if (locale_guess_latin(cp) || (cp >= '0' && cp <= '9')) {
			if (w.len + n > LOCALE_GUESS_WORD_MAX) {
				w.overflow = true;
			} else {
				memcpy(w.s + w.len, p + i, n);
				if (cp >= 'A' && cp <= 'Z')
					w.s[w.len] = (char)(cp - 'A' + 'a');
				w.len += n;
				w.s[w.len] = '\0';
			}
		} else {
			locale_guess_score(&w, &darija, &french);
			memset(&w, 0, sizeof w);
		}
		i += n;
	}
	locale_guess_score(&w, &darija, &french);

	if (arabic == 0 && latin == 0)
		return NULL;
	if (arabic > latin)
		return "ar";
	/* A greeting in Darija does not make a French message Darija, nor "fin" one French. */
	if (darija > 0 && darija >= french)
		return "ary-Latn";
	return "fr";
}
