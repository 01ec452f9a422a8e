// The agents' inbox: open conversations, who has waited longest first
// (GET /v1/inbox), a conversation's messages (GET /v1/inbox/{id}), the
// answer (POST …/reply with an Idempotency-Key) and closing it. People's
// texts keep their own direction (dir="auto"): Arabic and Darija read
// right to left with their numbers and links in order.
import * as api from './api.js';
import { t, label, isolate, formatNumber, formatDateTime } from './i18n.js';
import { h, heading, summaryList, userText, phone, link, notice, showErrors, clearErrors, errorText, button, pagedList } from './dom.js';
import { localeLabel } from './contacts.js';
import { smsBox } from './segments.js';

export function render(main, ctx) {
	if (ctx.rest.length)
		thread(main, ctx, ctx.rest[0]);
	else
		list(main, ctx);
}

function campaignNames(list) {
	return (list || []).map((c) => c.name || c.id);
}

function list(main, ctx) {
	ctx.setTitle(t('console.inbox.title'));
	const box = h('div', { 'aria-live': 'polite' });
	const moreBox = h('div');
	main.append(heading(t('console.inbox.title')), h('p', { class: 'lead' }, t('console.inbox.intro')), box, moreBox);
	pagedList(box, moreBox, async (cursor) => {
		const ans = await api.get('/v1/inbox', { limit: 50, cursor });
		return { items: ans.conversations, next: ans.next_cursor };
	}, (found) => (found.length ? h('ul', { class: 'cards' }, found.map(card)) : h('p', null, t('console.inbox.none'))));
}

function card(c) {
	const names = campaignNames(c.campaigns);
	return h('li', { class: 'card', dataset: { id: c.id } },
		h('h2', { class: 'card__title' }, h('a', { href: '#/inbox/' + encodeURIComponent(c.id) },
			t('console.inbox.conversation_with'), ' ', phone(c.number))),
		h('p', { class: 'card__meta' },
			t('console.inbox.waiting_since', { time: formatDateTime(c.last_in_at) }),
			c.unread ? h('span', { class: 'badge' }, t('console.inbox.unread', { n: formatNumber(c.unread) })) : null),
		h('p', { class: 'card__meta' }, [localeLabel(c.locale), c.city, label('console.channel.', c.channel || '')]
			.filter(Boolean).map((x, i) => [i ? ' · ' : '', userText(x)])),
		names.length ? h('p', { class: 'card__meta' }, t('console.inbox.campaigns'), ' ',
			names.map((n, i) => [i ? t('console.list_separator') : '', userText(n)])) : null);
}

function who(m) {
	if (m.direction === 'in')
		return t('console.inbox.from_person');
	if (m.direction === 'closed')
		return m.by ? t('console.inbox.closed_by', { by: isolate(m.by) }) : t('console.inbox.closed');
	if (m.automatic)
		return t('console.inbox.automatic');
	return m.by ? t('console.inbox.from_agent', { by: isolate(m.by) }) : t('console.inbox.from_us');
}

function messageItem(m, locale) {
	return h('li', { class: 'message message--' + m.direction + (m.automatic ? ' message--auto' : ''), dataset: { direction: m.direction } },
		h('p', { class: 'message__meta' }, who(m), ' · ', h('time', { datetime: m.at }, formatDateTime(m.at))),
		m.text ? h('p', { class: 'message__text', dir: 'auto', lang: m.direction === 'in' ? locale || null : null }, m.text) : null);
}

function thread(main, ctx, id) {
	ctx.setTitle(t('console.inbox.thread'));
	const body = h('div', null, h('p', null, t('console.loading')));
	main.append(h('p', null, link(t('console.inbox.back'), '#/inbox', 'back-link')), body);
	let key = api.idempotencyKey();
	let first = true;

	async function load(flash) {
		try {
			const c = await api.get('/v1/inbox/' + encodeURIComponent(id));
			draw(c, flash);
		} catch (e) {
			body.replaceChildren(heading(t('console.inbox.thread')), notice(errorText(e), 'error'));
		}
	}

	function draw(c, flash) {
		const reply = smsBox({ id: 'reply-text', label: t('console.inbox.reply_label'), hint: t('console.inbox.reply_hint'), rows: 4 });
		const form = h('form', { class: 'form', novalidate: true }, h('h2', null, t('console.inbox.reply_title')), reply.wrap,
			h('div', { class: 'button-group' },
				h('button', { type: 'submit', class: 'button' }, t('console.inbox.send')),
				button(t('console.inbox.close'), () => close(form), 'button--secondary')));
		form.addEventListener('submit', async (ev) => {
			ev.preventDefault();
			const text = reply.textarea.value.trim();
			if (!text) {
				showErrors(form, [{ id: 'reply-text', text: t('console.inbox.reply_missing') }]);
				return;
			}
			clearErrors(form);
			try {
				await api.post('/v1/inbox/' + encodeURIComponent(id) + '/reply', { text }, { key });
				key = api.idempotencyKey();
				await load(t('console.inbox.sent'));
			} catch (e) {
				// The gateway keeps an answer under its key: after a refusal (409, 422) a new try needs a
				// new key, or it gets the old refusal back; after a lost answer or a 5xx the same key is safe.
				if (e.status >= 400 && e.status < 500)
					key = api.idempotencyKey();
				showErrors(form, [{ id: 'reply-text', text: errorText(e) }]);
			}
		});
		ctx.setTitle(t('console.inbox.thread'));
		body.replaceChildren(
			heading([t('console.inbox.conversation_with'), ' ', phone(c.number)]),
			flash ? notice(flash) : '',
			summaryList([
				[t('console.contacts.locale'), localeLabel(c.locale)],
				[t('console.contacts.city'), userText(c.city || '—')],
				[t('console.contacts.channel'), label('console.channel.', c.channel || '—')],
				[t('console.inbox.opened'), formatDateTime(c.opened_at)],
				[t('console.inbox.campaigns'), campaignNames(c.campaigns).length
					? h('ul', { class: 'list' }, campaignNames(c.campaigns).map((n) => h('li', null, userText(n)))) : '—'],
				[t('console.inbox.state'), c.open ? t('console.inbox.open') : t('console.inbox.closed')],
			]),
			h('h2', null, t('console.inbox.messages')),
			h('ol', { class: 'thread' }, (c.messages || []).map((m) => messageItem(m, c.locale))),
			c.open ? form : h('p', null, t('console.inbox.is_closed')));
		if (first)
			body.querySelector('h1').focus();
		first = false;
	}

	async function close(form) {
		try {
			await api.post('/v1/inbox/' + encodeURIComponent(id) + '/close', {});
			ctx.go('#/inbox', t('console.inbox.closed_notice'));
		} catch (e) {
			showErrors(form, [{ id: 'reply-text', text: errorText(e) }]);
		}
	}

	load(null);
}
