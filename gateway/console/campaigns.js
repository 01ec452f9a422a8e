// The campaigns room: the list (GET /v1/campaigns) and a campaign's page
// with its live progress (GET /v1/campaigns/{id} every 2 seconds until it
// ends) and the moves its state allows (schedule, pause, resume, cancel).
import * as api from './api.js';
import { t, label, pair, formatNumber, formatDateTime } from './i18n.js';
import { h, heading, table, summaryList, userText, link, notice, errorText, button, pagedList } from './dom.js';
import { localeLabel } from './contacts.js';

const POLL_MS = 2000;
const FINAL = ['done', 'cancelled'];
const MOVES = {
	draft: ['schedule', 'cancel'],
	scheduled: ['pause', 'cancel'],
	running: ['pause', 'cancel'],
	paused: ['resume', 'cancel'],
};

export function render(main, ctx) {
	if (ctx.rest.length)
		campaignPage(main, ctx, ctx.rest[0]);
	else
		listPage(main, ctx);
}

function stateTag(state) {
	return h('strong', { class: 'state state--' + state, dataset: { state } }, label('console.state.', state));
}

function listPage(main, ctx) {
	ctx.setTitle(t('console.campaigns.title'));
	const box = h('div', { 'aria-live': 'polite' });
	const moreBox = h('div');
	main.append(heading(t('console.campaigns.title')),
		h('p', null, link(t('console.campaigns.new'), '#/campaigns/new', 'button')), box, moreBox);
	pagedList(box, moreBox, async (cursor) => {
		const ans = await api.get('/v1/campaigns', { cursor });
		return { items: ans.campaigns, next: ans.next_cursor };
	}, (found) => (found.length ? table({
		caption: t('console.campaigns.table'),
		rowAttrs: (c) => ({ dataset: { id: c.id } }),
		columns: [
			{ label: t('console.campaigns.name'), cell: (c) => link(userText(c.name), '#/campaigns/' + encodeURIComponent(c.id)) },
			{ label: t('console.campaigns.kind'), cell: (c) => label('console.kind.', c.kind) },
			{ label: t('console.campaigns.state'), cell: (c) => stateTag(c.state) },
			{ label: t('console.campaigns.start'), cell: (c) => formatDateTime(c.start_at) },
			{ label: t('console.campaigns.sent'), num: true, cell: (c) => formatNumber((c.counts && c.counts.sent) || 0) },
		],
		rows: found,
	}) : h('p', null, t('console.campaigns.none'))));
}

// How far a campaign is: messages handled (sent, failed or skipped) out of
// those it has to send.
function progressOf(c) {
	const n = c.counts || {};
	const total = n.queued || Math.max(0, (n.audience || 0) - (n.excluded || 0));
	const handled = Math.max(0, total - (n.remaining ?? total));
	const pct = c.state === 'done' ? 100 : total ? Math.floor((handled * 100) / total) : 0;
	return { total, handled, pct };
}

function campaignPage(main, ctx, id) {
	ctx.setTitle(t('console.campaign.title'));
	const back = h('p', null, link(t('console.campaign.back'), '#/campaigns', 'back-link'));
	const head = h('div');
	const announce = h('div', { class: 'visually-hidden', role: 'status' });
	const live = h('section', { class: 'progress-box', 'aria-labelledby': 'progress-title' });
	const actions = h('div', { class: 'button-group' });
	const status = h('div', { 'aria-live': 'polite' });
	const details = h('section');
	main.append(back, head, announce, live, actions, status, details);
	let timer = null;
	let stopped = false;
	let lastState = null;
	ctx.onLeave(() => {
		stopped = true;
		clearTimeout(timer);
	});

	// Each move starts a new generation: a poll answered from before it is stale and drawn never.
	let generation = 0;

	function schedule(c, ms) {
		clearTimeout(timer);
		timer = c && FINAL.includes(c.state) ? null : setTimeout(poll, ms);
	}

	async function poll() {
		const mine = generation;
		timer = null;
		try {
			const c = await api.get('/v1/campaigns/' + encodeURIComponent(id));
			if (stopped || mine !== generation)
				return;
			draw(c);
			schedule(c, POLL_MS);
		} catch (e) {
			if (stopped || mine !== generation)
				return;
			status.replaceChildren(notice(errorText(e), 'error'));
			if (e.status !== 404 && e.status !== 403 && e.status !== 401)
				schedule(null, POLL_MS * 2);
		}
	}

	async function move(verb) {
		generation++;
		clearTimeout(timer);
		status.replaceChildren();
		for (const b of actions.querySelectorAll('button'))
			b.disabled = true;
		try {
			const c = await api.post('/v1/campaigns/' + encodeURIComponent(id) + '/' + verb, {});
			if (stopped)
				return;
			draw(c);
			status.replaceChildren(notice(t('console.campaign.moved_' + verb)));
			status.querySelector('.notice')?.setAttribute('tabindex', '-1');
			status.querySelector('.notice')?.focus();
			schedule(c, POLL_MS);
		} catch (e) {
			if (stopped)
				return;
			drawActions(lastState);
			status.replaceChildren(notice(errorText(e), 'error'));
			schedule(null, POLL_MS);
		}
	}

	// Cancelling cannot be undone: it asks first, beside the button, and "no" is the first choice.
	function confirmCancel() {
		actions.replaceChildren(
			h('p', { class: 'warning' }, t('console.campaign.cancel_confirm')),
			button(t('console.campaign.cancel_no'), () => {
				drawActions(lastState);
				actions.querySelector('button')?.focus();
			}, 'button--secondary'),
			button(t('console.campaign.cancel_yes'), () => move('cancel'), 'button--warning'));
		actions.querySelector('button').focus();
	}

	function drawActions(state) {
		actions.replaceChildren(...(MOVES[state] || []).map((verb) => verb === 'cancel'
			? button(t('console.campaign.cancel'), confirmCancel, 'button--warning')
			: button(t('console.campaign.' + verb), () => move(verb), 'button--secondary')));
	}

	function draw(c) {
		ctx.setTitle(c.name);
		if (lastState === null) {
			head.replaceChildren(heading(userText(c.name)));
			drawDetails(details, c);
			head.querySelector('h1').focus();
		}
		if (lastState !== null && lastState !== c.state)
			announce.textContent = t('console.campaign.now', { state: label('console.state.', c.state) });
		if (lastState !== c.state)
			drawActions(c.state);
		lastState = c.state;
		drawProgress(live, c);
	}

	poll();
}

function drawProgress(box, c) {
	const n = c.counts || {};
	const p = progressOf(c);
	const bar = h('progress', { id: 'progress-bar', max: String(p.total || 1), value: String(c.state === 'done' ? (p.total || 1) : p.handled) });
	box.dataset.state = c.state;
	box.replaceChildren(
		h('h2', { id: 'progress-title' }, t('console.campaign.progress')),
		h('p', null, t('console.campaign.state_is'), ' ', stateTag(c.state)),
		h('label', { for: 'progress-bar', class: 'progress__label' }, t('console.campaign.progress_text', {
			handled: formatNumber(p.handled), total: formatNumber(p.total), pct: formatNumber(p.pct),
		})),
		bar,
		summaryList(['sent', 'delivered', 'failed', 'remaining', 'skipped'].map((k) =>
			[t('console.campaign.count_' + k), formatNumber(n[k] || 0), k])));
}

function drawDetails(box, c) {
	const audience = Object.entries(c.audience || {}).map(([k, v]) =>
		pair(label('console.audience.', k), Array.isArray(v) ? v.join(t('console.list_separator')) : String(v)));
	box.replaceChildren(
		h('h2', null, t('console.campaign.details')),
		summaryList([
			[t('console.campaigns.kind'), label('console.kind.', c.kind)],
			[t('console.composer.channel'), label('console.channel.', c.channel)],
			[t('console.campaigns.start'), formatDateTime(c.start_at)],
			[t('console.campaign.created'), formatDateTime(c.created)],
			[t('console.campaign.created_by'), userText(c.created_by || '—')],
			[t('console.composer.audience'), audience.length
				? h('ul', { class: 'list' }, audience.map((a) => h('li', null, userText(a)))) : t('console.campaign.everyone')],
			[t('console.campaign.audience_size'), t('console.campaign.audience_counts', {
				audience: formatNumber((c.counts && c.counts.audience) || 0), excluded: formatNumber((c.counts && c.counts.excluded) || 0),
			})],
		]),
		h('h2', null, t('console.composer.texts')),
		Object.keys(c.texts || {}).length
			? h('dl', { class: 'texts' }, Object.entries(c.texts).map(([l, text]) => [
				h('dt', null, localeLabel(l)), h('dd', { lang: l, dir: 'auto', class: 'text-block' }, text)]))
			: h('p', null, t('console.campaign.standard_texts')));
}
