// The contacts room: search by name or number, filter, a page at a time
// (GET /v1/contacts; numbers come masked for agents). A page may be short
// or empty while there are more: the gateway scans a bounded number each
// time, so "show more" goes on until next_cursor is null.
import * as api from './api.js';
import { t, label } from './i18n.js';
import { h, heading, field, select, table, userText, phone, link, pagedList } from './dom.js';

export const LOCALES = ['fr', 'ar', 'ary', 'ary-Latn', 'en'];
export const SEXES = { f: 'female', m: 'male', x: 'other' };
const FILTERS = ['q', 'city', 'locale', 'sex', 'channel', 'tag', 'consent'];

export function personName(c) {
	const n = [c.first_name, c.name].filter(Boolean).join(' ');
	return n || t('console.contacts.no_name');
}

export function sexLabel(v) {
	return v ? label('console.sex.', SEXES[v] || v) : '—';
}

export function localeLabel(v) {
	return v ? label('console.locale.', v) : '—';
}

export function consentLabel(consent) {
	return t('console.consent.' + ((consent && consent.value) || 'none'));
}

function anyOption(options) {
	return [['', t('console.filter.any')], ...options];
}

export function render(main, ctx) {
	ctx.setTitle(t('console.contacts.title'));
	const q = ctx.query;
	const controls = {
		q: h('input', { type: 'search', class: 'input', dir: 'auto', value: q.get('q') || '', autocomplete: 'off' }),
		city: h('input', { type: 'text', class: 'input', dir: 'auto', value: q.get('city') || '' }),
		locale: select(anyOption(LOCALES.map((l) => [l, localeLabel(l)])), q.get('locale') || ''),
		sex: select(anyOption(Object.keys(SEXES).map((s) => [s, sexLabel(s)])), q.get('sex') || ''),
		channel: select(anyOption(['sms', 'whatsapp', 'auto'].map((c) => [c, t('console.channel.' + c)])), q.get('channel') || ''),
		tag: h('input', { type: 'text', class: 'input', dir: 'auto', value: q.get('tag') || '', spellcheck: 'false' }),
		consent: select(anyOption(['yes', 'no', 'none'].map((c) => [c, t('console.consent.' + c)])), q.get('consent') || ''),
	};
	const filtered = FILTERS.some((k) => k !== 'q' && q.get(k));
	const more = h('details', { class: 'details', open: filtered },
		h('summary', null, t('console.contacts.filters')),
		h('div', { class: 'details__body grid' },
			field({ id: 'f-city', label: t('console.contacts.city'), hint: t('console.hint.comma_list'), control: controls.city }),
			field({ id: 'f-locale', label: t('console.contacts.locale'), control: controls.locale }),
			field({ id: 'f-sex', label: t('console.contacts.sex'), control: controls.sex }),
			field({ id: 'f-channel', label: t('console.contacts.channel'), control: controls.channel }),
			field({ id: 'f-tag', label: t('console.contacts.tag'), hint: t('console.hint.comma_list'), control: controls.tag }),
			field({ id: 'f-consent', label: t('console.contacts.consent'), control: controls.consent })));
	const form = h('form', { class: 'form search', role: 'search', 'aria-label': t('console.contacts.search_label') },
		field({ id: 'f-q', label: t('console.contacts.search'), hint: t('console.contacts.search_hint'), control: controls.q }),
		more,
		h('div', { class: 'button-group' },
			h('button', { type: 'submit', class: 'button' }, t('console.contacts.search_submit')),
			filtered || q.get('q') ? link(t('console.contacts.clear'), '#/contacts', 'link-button') : null));
	form.addEventListener('submit', (ev) => {
		ev.preventDefault();
		const params = new URLSearchParams();
		for (const k of FILTERS) {
			const v = controls[k].value.trim();
			if (v)
				params.set(k, v);
		}
		const s = params.toString();
		ctx.go('#/contacts' + (s ? '?' + s : ''));
	});

	const results = h('div', { class: 'results', 'aria-live': 'polite' });
	main.append(heading(t('console.contacts.title')),
		h('p', null, link(t('console.contacts.import_link'), '#/contacts/import', 'button button--secondary')),
		form, results);

	const query = { limit: 50 };
	for (const k of FILTERS)
		if (q.get(k))
			query[k] = q.get(k);
	const listBox = h('div');
	const moreBox = h('div');
	results.append(listBox, moreBox);
	pagedList(listBox, moreBox, async (cursor) => {
		const ans = await api.get('/v1/contacts', { ...query, cursor });
		return { items: ans.contacts, next: ans.next_cursor };
	}, (found, next) => h('div', null,
		h('p', { class: 'results__count' }, next
			? t('console.contacts.count_so_far', { n: found.length })
			: t('console.contacts.count', { n: found.length })),
		found.length ? contactsTable(found) : h('p', null, next ? t('console.contacts.none_yet') : t('console.contacts.none'))));
}

function contactsTable(rows) {
	return table({
		caption: t('console.contacts.table'),
		rows,
		rowAttrs: (c) => ({ dataset: { id: c.id } }),
		columns: [
			{ label: t('console.contacts.name'), cell: (c) => link(userText(personName(c)), '#/contacts/' + encodeURIComponent(c.id)) },
			{ label: t('console.contacts.phone'), key: 'phone', cell: (c) => phone(c.phone) },
			{ label: t('console.contacts.city'), cell: (c) => userText(c.city || '—') },
			{ label: t('console.contacts.locale'), cell: (c) => localeLabel(c.locale) },
			{ label: t('console.contacts.consent'), cell: (c) => consentLabel(c.consent) },
			{ label: t('console.contacts.tags'), cell: (c) => tagList(c.tags) },
		],
	});
}

export function tagList(tags) {
	if (!tags || !tags.length)
		return '—';
	return h('ul', { class: 'tags' }, tags.map((tag) => h('li', { class: 'tag' }, userText(tag))));
}
