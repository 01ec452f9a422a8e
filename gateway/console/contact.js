// One contact: who they are, their consent and its history; an agent
// changes consent and tags (PATCH /v1/contacts/{id}); an admin may erase
// the person (DELETE), after a page that asks to confirm.
import * as api from './api.js';
import { t, isolate, formatDateTime } from './i18n.js';
import { h, heading, field, choices, checkedValues, summaryList, table, userText, phone, link, notice,
	showErrors, errorText, button } from './dom.js';
import { personName, sexLabel, localeLabel, consentLabel, tagList } from './contacts.js';

export function render(main, ctx) {
	const id = ctx.rest[0];
	ctx.setTitle(t('console.contact.title'));
	const back = h('p', null, link(t('console.contact.back'), '#/contacts', 'back-link'));
	main.append(back);
	const body = h('div', null, h('p', null, t('console.loading')));
	main.append(body);
	api.get('/v1/contacts/' + encodeURIComponent(id)).then((c) => {
		if (ctx.rest[1] === 'erase' && ctx.session.role === 'admin')
			drawErase(body, c, ctx);
		else
			drawContact(body, c, ctx);
	}, (e) => {
		body.replaceChildren(heading(t('console.contact.title')), notice(errorText(e), 'error'));
	});
}

function drawContact(body, c, ctx) {
	ctx.setTitle(personName(c));
	const consentNow = (c.consent && c.consent.value) || '';
	const consent = choices({
		name: 'consent', legend: t('console.contact.consent_question'), type: 'radio', checked: [consentNow],
		options: [['yes', t('console.consent.yes')], ['no', t('console.consent.no')]],
	});
	const tags = h('input', { type: 'text', class: 'input', dir: 'auto', value: (c.tags || []).join(', '), spellcheck: 'false' });
	const status = h('div', { 'aria-live': 'polite' });
	const form = h('form', { class: 'form', novalidate: true },
		h('h2', null, t('console.contact.change')), consent,
		field({ id: 'contact-tags', label: t('console.contacts.tags'), hint: t('console.contact.tags_hint'), control: tags }),
		h('button', { type: 'submit', class: 'button' }, t('console.contact.save')), status);
	form.addEventListener('submit', async (ev) => {
		ev.preventDefault();
		status.replaceChildren();
		const patch = { tags: tags.value.split(',').map((x) => x.trim()).filter(Boolean) };
		const chosen = checkedValues(form, 'consent')[0];
		if (chosen && chosen !== consentNow)
			patch.consent = chosen;
		try {
			const now = await api.request('PATCH', '/v1/contacts/' + encodeURIComponent(c.id), { json: patch });
			ctx.go('#/contacts/' + encodeURIComponent(now.id), t('console.contact.saved'));
		} catch (e) {
			showErrors(form, [{ id: e.field === 'consent' ? 'consent-0' : 'contact-tags', text: errorText(e) }]);
		}
	});

	const history = c.consent_history || [];
	body.replaceChildren(
		heading(userText(personName(c))),
		summaryList([
			[t('console.contacts.phone'), phone(c.phone), 'phone'],
			[t('console.contacts.city'), userText(c.city || '—')],
			[t('console.contacts.locale'), localeLabel(c.locale)],
			[t('console.contacts.sex'), sexLabel(c.sex)],
			[t('console.contacts.channel'), c.channel ? t('console.channel.' + c.channel) : '—'],
			[t('console.contacts.consent'), consentLabel(c.consent), 'consent'],
			[t('console.contacts.tags'), tagList(c.tags), 'tags'],
		]),
		form,
		h('h2', null, t('console.contact.history')),
		history.length ? table({
			caption: t('console.contact.history'), hideCaption: true,
			columns: [
				{ label: t('console.contact.history_at'), cell: (e) => formatDateTime(e.at) },
				{ label: t('console.contacts.consent'), cell: (e) => t('console.consent.' + e.value) },
				{ label: t('console.contact.history_source'), cell: (e) => userText(e.source || '—') },
				{ label: t('console.contact.history_by'), cell: (e) => userText(e.by || '—') },
			],
			rows: history,
		}) : h('p', null, t('console.contact.history_none')));
	if (ctx.session.role === 'admin')
		body.append(h('h2', null, t('console.contact.erase_title')), h('p', null, t('console.contact.erase_intro')),
			link(t('console.contact.erase'), '#/contacts/' + encodeURIComponent(c.id) + '/erase', 'button button--warning'));
}

// GOV.UK's confirmation pattern: a page of its own that says what will be
// lost, a red button that does it and a way back.
function drawErase(body, c, ctx) {
	ctx.setTitle(t('console.contact.erase_title'));
	const status = h('div', { 'aria-live': 'polite' });
	body.replaceChildren(
		heading(t('console.contact.erase_confirm_title', { name: isolate(personName(c)) })),
		h('div', { class: 'warning' }, h('strong', null, t('console.contact.erase_warning'))),
		h('p', null, t('console.contact.erase_what')),
		h('div', { class: 'button-group' },
			button(t('console.contact.erase_yes'), async () => {
				try {
					await api.request('DELETE', '/v1/contacts/' + encodeURIComponent(c.id));
					ctx.go('#/contacts', t('console.contact.erased'));
				} catch (e) {
					status.replaceChildren(notice(errorText(e), 'error'));
				}
			}, 'button--warning'),
			link(t('console.contact.erase_no'), '#/contacts/' + encodeURIComponent(c.id), 'link-button')),
		status);
}
