// A text box for an SMS with its live counter: characters, encoding
// (GSM-7 or UCS-2), SMS segments and the characters that force UCS-2, as
// the gateway counts them (POST /v1/segments, asked a moment after typing
// stops); and buttons that insert a placeholder where the cursor is.
import * as api from './api.js';
import { t, formatNumber } from './i18n.js';
import { h, field, debounce } from './dom.js';

export const PLACEHOLDERS = ['first_name', 'centre', 'date', 'link'];

// {id, label, hint, lang, dir, placeholders} → {wrap, textarea}
export function smsBox({ id, label, hint, lang, dir, placeholders, rows = 4 }) {
	const textarea = h('textarea', { class: 'textarea', rows, lang, dir: dir || 'auto', spellcheck: 'true' });
	const counter = h('div', { class: 'counter', id: id + '-counter', 'aria-live': 'polite', dataset: { encoding: '', segments: '0' } });
	const wrap = field({ id, label, hint, control: textarea, cls: 'field--sms' });
	if (placeholders) {
		const tools = h('div', { class: 'inserts', role: 'group', 'aria-label': t('console.composer.insert_label') },
			h('span', { class: 'inserts__label', 'aria-hidden': 'true' }, t('console.composer.insert_label')),
			PLACEHOLDERS.map((p) => h('button', {
				type: 'button', class: 'button button--small button--secondary', dataset: { placeholder: p },
				onclick: () => insertAtCursor(textarea, '{' + p + '}'),
			}, h('bdi', { dir: 'ltr' }, '{' + p + '}'), h('span', { class: 'visually-hidden' }, ' ' + t('console.composer.insert_' + p)))));
		wrap.append(tools);
	}
	wrap.append(counter);
	const d = textarea.getAttribute('aria-describedby');
	textarea.setAttribute('aria-describedby', (d ? d + ' ' : '') + counter.id);
	let asked = 0;
	const count = debounce(async () => {
		const text = textarea.value;
		const mine = ++asked;
		if (!text) {
			drawCounter(counter, null);
			return;
		}
		try {
			const ans = await api.post('/v1/segments', { text });
			if (mine === asked)
				drawCounter(counter, ans);
		} catch (e) {
			if (mine === asked)
				counter.replaceChildren(h('p', { class: 'hint' }, t('console.segments.unavailable')));
		}
	}, 300);
	textarea.addEventListener('input', count);
	return { wrap, textarea, counter, recount: count };
}

function insertAtCursor(textarea, token) {
	const start = textarea.selectionStart ?? textarea.value.length;
	const end = textarea.selectionEnd ?? start;
	textarea.focus();
	textarea.setRangeText(token, start, end, 'end');
	textarea.dispatchEvent(new Event('input', { bubbles: true }));
}

function drawCounter(counter, ans) {
	counter.dataset.encoding = ans ? ans.encoding : '';
	counter.dataset.segments = ans ? String(ans.segments) : '0';
	if (!ans) {
		counter.replaceChildren();
		return;
	}
	const lines = [h('p', { class: 'counter__summary' }, t('console.segments.summary', {
		characters: formatNumber(ans.characters),
		encoding: t('console.segments.' + ans.encoding),
		segments: formatNumber(ans.segments),
	}))];
	if (ans.forced && ans.forced.length) {
		const chars = h('span', { class: 'counter__chars' });
		ans.forced.forEach((f, i) => {
			if (i)
				chars.append(' ');
			chars.append(h('kbd', { class: 'char', dir: 'auto', title: f.code_point }, f.character));
		});
		lines.push(h('p', { class: 'counter__forced' }, t('console.segments.forced'), ' ', chars,
			ans.forced_more ? ' ' + t('console.segments.forced_more') : ''));
		if (ans.substitution)
			lines.push(h('p', { class: 'hint' }, t('console.segments.substitution', {
				segments: formatNumber(ans.substitution.segments),
			})));
	}
	counter.replaceChildren(...lines);
}
