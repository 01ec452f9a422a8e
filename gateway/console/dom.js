// Building the page without innerHTML: every piece of text, the server's
// and the user's alike, goes in as a text node. Form helpers follow the
// GOV.UK Design System's patterns (error summary, errors next to fields).
import { t, isolate, formatNumber } from './i18n.js';

// h('p', {class: 'x', dir: 'auto'}, 'text', child, [more]) → an element.
// Attributes named on* take a function (addEventListener, no inline code).
export function h(tag, attrs, ...children) {
	const el = document.createElement(tag);
	for (const [name, value] of Object.entries(attrs || {})) {
		if (value === null || value === undefined || value === false)
			continue;
		if (name.startsWith('on') && typeof value === 'function')
			el.addEventListener(name.slice(2), value);
		else if (name === 'class')
			el.className = value;
		else if (name === 'text')
			el.textContent = value;
		else if (name === 'value' || name === 'checked' || name === 'selected')
			el[name] = value;
		else if (name === 'dataset')
			Object.assign(el.dataset, value);
		else
			el.setAttribute(name, value === true ? '' : String(value));
	}
	append(el, children);
	return el;
}

export function append(el, children) {
	for (const c of children.flat(Infinity)) {
		if (c === null || c === undefined || c === false)
			continue;
		el.append(c instanceof Node ? c : document.createTextNode(String(c)));
	}
	return el;
}

export function clear(el) {
	while (el.firstChild)
		el.firstChild.remove();
	return el;
}

// A piece of user text (a name, a message): its own direction, isolated
// from the text around it so numbers and links stay in their order.
export function userText(text, tag = 'bdi') {
	return h(tag, { dir: 'auto' }, text ?? '');
}

// A phone number reads left to right in every language.
export function phone(number) {
	return h('bdi', { dir: 'ltr', class: 'phone' }, number ?? '');
}

export function heading(text, level = 1) {
	return h('h' + level, { tabindex: level === 1 ? '-1' : null }, text);
}

// A count as the API gives it: a number, or a string such as "<5"
// (small-cell suppression), shown as it is.
export function count(value) {
	if (typeof value === 'number')
		return formatNumber(value);
	return value === null || value === undefined ? '—' : String(value);
}

export function debounce(fn, ms) {
	let timer = null;
	const wrapped = (...args) => {
		clearTimeout(timer);
		timer = setTimeout(() => fn(...args), ms);
	};
	wrapped.cancel = () => clearTimeout(timer);
	return wrapped;
}

// A labelled field: {id, label, hint, control, wide}. The error message
// slot sits between the hint and the control, as in GOV.UK's pattern.
export function field({ id, label, hint, control, cls }) {
	control.id = id;
	const described = [];
	const wrap = h('div', { class: 'field' + (cls ? ' ' + cls : ''), dataset: { field: id } });
	wrap.append(h('label', { for: id, class: 'label' }, label));
	if (hint) {
		wrap.append(h('p', { class: 'hint', id: id + '-hint' }, hint));
		described.push(id + '-hint');
	}
	if (described.length)
		control.setAttribute('aria-describedby', described.join(' '));
	wrap.append(control);
	return wrap;
}

// A group of checkboxes or radios in a fieldset with a legend.
export function choices({ name, legend, hint, type = 'checkbox', options, checked = [] }) {
	const fs = h('fieldset', { class: 'field', dataset: { field: name + '-0' } },
		h('legend', { class: 'label' }, legend));
	if (hint)
		fs.append(h('p', { class: 'hint' }, hint));
	const box = h('div', { class: type === 'radio' ? 'radios' : 'checkboxes' });
	options.forEach(([value, label], i) => {
		const id = name + '-' + i;
		box.append(h('div', { class: 'choice' },
			h('input', { type, id, name, value, checked: checked.includes(value) }),
			h('label', { for: id }, label)));
	});
	fs.append(box);
	return fs;
}

export function checkedValues(form, name) {
	return [...form.querySelectorAll(`input[name="${name}"]:checked`)].map((i) => i.value);
}

export function select(options, value) {
	const s = h('select', { class: 'select' });
	for (const [v, label] of options)
		s.append(h('option', { value: v, selected: v === value }, label));
	return s;
}

// Errors of a form: [{id, text}]. Puts a summary at the top of the form
// with links to the fields, and each message next to its field; moves the
// focus to the summary so a screen reader reads it at once.
export function showErrors(form, errors) {
	clearErrors(form);
	if (!errors.length)
		return;
	const list = h('ul', { class: 'error-summary__list' });
	for (const e of errors) {
		const target = e.id ? form.querySelector('#' + CSS.escape(e.id)) : null;
		list.append(h('li', null, target
			? h('a', { href: '#' + e.id, onclick: (ev) => { ev.preventDefault(); target.focus(); } }, e.text)
			: e.text));
		const wrap = target ? target.closest('.field') : null;
		if (!wrap)
			continue;
		wrap.classList.add('field--error');
		const msgId = e.id + '-error';
		const msg = h('p', { class: 'error-message', id: msgId },
			h('span', { class: 'visually-hidden' }, t('console.error.prefix') + ' '), e.text);
		const anchor = wrap.querySelector('.hint') || wrap.querySelector('.label');
		anchor.after(msg);
		target.setAttribute('aria-invalid', 'true');
		const d = (target.getAttribute('aria-describedby') || '').split(' ').filter(Boolean);
		target.setAttribute('aria-describedby', [...d, msgId].join(' '));
	}
	const summary = h('div', { class: 'error-summary', role: 'alert', tabindex: '-1' },
		h('h2', { class: 'error-summary__title' }, t('console.error.summary')), list);
	form.prepend(summary);
	summary.focus();
}

export function clearErrors(form) {
	form.querySelectorAll('.error-summary, .error-message').forEach((e) => e.remove());
	form.querySelectorAll('.field--error').forEach((e) => e.classList.remove('field--error'));
	form.querySelectorAll('[aria-invalid]').forEach((c) => {
		c.removeAttribute('aria-invalid');
		const d = (c.getAttribute('aria-describedby') || '').split(' ').filter((x) => !x.endsWith('-error'));
		if (d.length)
			c.setAttribute('aria-describedby', d.join(' '));
		else
			c.removeAttribute('aria-describedby');
	});
}

// A banner for what just happened (success) or went wrong (error) that is
// not about one field.
export function notice(text, kind = 'success') {
	return h('div', { class: 'notice notice--' + kind, role: kind === 'error' ? 'alert' : 'status' },
		h('p', null, text));
}

// A table that scrolls inside its own box on a narrow screen; the box is
// focusable and named so a keyboard can scroll it.
// columns: [{label, cell(row) → node or text, num}], first column is the row header.
export function table({ caption, columns, rows, rowAttrs, foot, hideCaption }) {
	const head = h('tr', null, columns.map((c) => h('th', { scope: 'col', class: c.num ? 'num' : null }, c.label)));
	const body = h('tbody', null, rows.map((r) => tableRow(columns, r, rowAttrs ? rowAttrs(r) : null)));
	const tbl = h('table', { class: 'table' }, h('caption', { class: hideCaption ? 'visually-hidden' : 'table__caption' }, caption),
		h('thead', null, head), body);
	if (foot)
		tbl.append(h('tfoot', null, tableRow(columns, foot, { dataset: { total: '1' } })));
	return h('div', { class: 'table-wrap', role: 'region', tabindex: '0', 'aria-label': caption }, tbl);
}

function tableRow(columns, row, attrs) {
	return h('tr', attrs, columns.map((c, i) => {
		const content = c.cell(row);
		const cellAttrs = { class: c.num ? 'num' : null, dataset: c.key ? { col: c.key } : undefined };
		return i === 0 ? h('th', { scope: 'row', ...cellAttrs }, content) : h('td', cellAttrs, content);
	}));
}

// A summary list (GOV.UK): pairs of key and value.
export function summaryList(pairs) {
	return h('dl', { class: 'summary' }, pairs.filter(Boolean).map(([k, v, key]) =>
		h('div', { class: 'summary__row', dataset: key ? { key } : undefined },
			h('dt', null, k), h('dd', null, v))));
}

export function button(text, onclick, cls = '') {
	return h('button', { type: 'button', class: ('button ' + cls).trim(), onclick }, text);
}

export function link(text, href, cls) {
	return h('a', { href, class: cls || null }, text);
}

// What to tell the user about a failed call: the catalogs' words for the
// API's error codes; the gateway's own reason, as it gives it, for a
// refusal of what was entered (422) or a move not allowed now (409).
const KNOWN_ERRORS = ['network', 'forbidden', 'not_found', 'unauthorized', 'too_many_attempts', 'csrf', 'payload_too_large'];

export function errorText(err) {
	if (!(err && err.status !== undefined))
		console.error(err);
	if (err && err.status === 413)
		return t('console.error.payload_too_large');
	if (err && KNOWN_ERRORS.includes(err.code))
		return t('console.error.' + err.code);
	if (err && (err.status === 422 || err.status === 409 || err.status === 400) && err.message)
		return t('console.error.refused', { reason: isolate(err.message) });
	return t('console.error.other', { status: err && err.status ? err.status : '?' });
}

// Who a campaign leaves out and why: "4 without consent, 2 stopped".
export function excludedText(excluded) {
	const parts = Object.entries(excluded || {}).filter(([, n]) => n !== 0 && n !== '0')
		.map(([why, n]) => t('console.excluded.' + why, { n: count(n) }));
	return parts.length ? parts.join(t('console.list_separator')) : t('console.excluded.none');
}

// A list read a page at a time (the API's cursor): fetchPage(cursor) →
// {items, next}; draw(all so far, next) → what box shows. "Show more" asks
// for the next page until there is none.
export function pagedList(box, moreBox, fetchPage, draw) {
	const found = [];
	async function page(cursor) {
		moreBox.replaceChildren(h('p', { class: 'hint' }, t('console.loading')));
		try {
			const { items, next } = await fetchPage(cursor);
			found.push(...items);
			box.replaceChildren(draw(found, next));
			moreBox.replaceChildren(next ? button(t('console.contacts.more'), () => page(next), 'button--secondary') : '');
		} catch (e) {
			moreBox.replaceChildren(notice(errorText(e), 'error'));
		}
	}
	page(null);
}

// The values of a page's fields that have an id (never a file or a password), to put back
// when the same page is drawn again.
export function fieldValues(root) {
	const out = {};
	for (const el of root.querySelectorAll('input[id], textarea[id], select[id]')) {
		if (el.type === 'file' || el.type === 'password')
			continue;
		out[el.id] = el.type === 'checkbox' || el.type === 'radio' ? el.checked : el.value;
	}
	return out;
}

// Puts fieldValues() back, each field told it changed (live counts follow).
export function restoreFields(root, saved) {
	for (const [id, v] of Object.entries(saved || {})) {
		const el = root.querySelector('#' + CSS.escape(id));
		if (!el || el.type === 'file' || el.type === 'password')
			continue;
		if (el.type === 'checkbox' || el.type === 'radio')
			el.checked = v;
		else
			el.value = v;
		el.dispatchEvent(new Event('input', { bubbles: true }));
	}
}
