// The console's words: every visible string comes from the gateway's
// catalogs (GET /console/i18n/<lang>.json, the console.* keys of
// locales/<lang>.po). Owns the chosen language and the page's lang/dir.
export const LANGUAGES = ['fr', 'ar', 'en'];
const STORE_KEY = 'amuddu.console.lang';

let strings = {};
let current = 'fr';

export function language() {
	return current;
}

// The user's choice, else the browser's language, else French.
export function initialLanguage() {
	let saved = null;
	try {
		saved = localStorage.getItem(STORE_KEY);
	} catch (e) {
		saved = null;
	}
	if (LANGUAGES.includes(saved))
		return saved;
	for (const l of navigator.languages || [navigator.language || '']) {
		const base = String(l).toLowerCase().split('-')[0];
		if (LANGUAGES.includes(base))
			return base;
	}
	return 'fr';
}

export async function loadLanguage(lang, remember) {
	if (!LANGUAGES.includes(lang))
		lang = 'fr';
	const res = await fetch('/console/i18n/' + lang + '.json', { credentials: 'same-origin' });
	if (!res.ok)
		throw new Error('catalog ' + lang + ': ' + res.status);
	const body = await res.json();
	strings = body.strings || {};
	current = lang;
	document.documentElement.lang = lang;
	document.documentElement.dir = body.dir === 'rtl' ? 'rtl' : 'ltr';
	if (remember) {
		try {
			localStorage.setItem(STORE_KEY, lang);
		} catch (e) {
			/* private browsing: the choice lasts for this page only */
		}
	}
}

// t('console.x', {n: 3}) → the catalog's text with {n} filled in. A key
// missing from the catalog shows as itself, so it is seen and fixed.
export function t(key, vars) {
	const s = Object.prototype.hasOwnProperty.call(strings, key) ? strings[key] : key;
	if (!vars)
		return s;
	return s.replace(/\{([a-z_]+)\}/g, (m, name) =>
		Object.prototype.hasOwnProperty.call(vars, name) ? String(vars[name]) : m);
}

// Whether the catalog has a string for key.
export function has(key) {
	return Object.prototype.hasOwnProperty.call(strings, key);
}

// A catalog label for an API value, or the value itself when the catalog
// has none (a kind or a city the catalogs do not name).
export function label(prefix, value) {
	const key = prefix + value;
	return Object.prototype.hasOwnProperty.call(strings, key) ? strings[key] : String(value);
}

// Numbers in Western digits in every language, as Moroccan forms write them.
function intlLocale() {
	return current === 'ar' ? 'ar-MA-u-nu-latn' : current;
}

export function formatNumber(n) {
	return new Intl.NumberFormat(intlLocale()).format(n);
}

export function formatMoney(amount, currency) {
	try {
		return new Intl.NumberFormat(intlLocale(), { style: 'currency', currency }).format(amount);
	} catch (e) {
		return formatNumber(amount) + ' ' + currency;
	}
}

// The programme's clock (Morocco's, as the gateway reads it): how far the
// device's clock is from it and the programme's offset from UTC, from the
// session's "now". Dates and times are shown and typed in it, whatever
// zone the device is set to.
let clockSkew = 0;
let clockOffset = 0;

export function setClock(now) {
	const m = /([+-])(\d\d):(\d\d)$/.exec(now || '');
	const at = Date.parse(now || '');
	if (!m || Number.isNaN(at))
		return;
	clockOffset = (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) * 60000;
	clockSkew = at - Date.now();
}

// Now on the programme's clock: {y, m, d, H, M} as its wall clock shows it.
export function programmeNow() {
	const d = new Date(Date.now() + clockSkew + clockOffset);
	return { y: d.getUTCFullYear(), m: d.getUTCMonth() + 1, d: d.getUTCDate(), H: d.getUTCHours(),
		M: d.getUTCMinutes() };
}

// A time from the API (ISO 8601 in the programme's time, with its offset),
// shown as that wall clock reads it, in the language's format.
export function formatDateTime(iso) {
	if (!iso)
		return '—';
	const m = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d)/.exec(String(iso));
	if (!m)
		return String(iso);
	const d = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5]));
	return new Intl.DateTimeFormat(intlLocale(), { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' })
		.format(d);
}

// "label: value" with the language's own punctuation and spacing.
export function pair(key, value) {
	return t('console.pair', { key, value });
}

// A value put into a sentence (a date such as 2026-12-31, a name) keeps
// its own direction inside Arabic text: first-strong isolation, the
// Unicode way; the string itself is never reordered.
export function isolate(value) {
	return '\u2068' + value + '\u2069';
}
