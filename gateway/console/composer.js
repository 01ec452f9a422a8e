// A new campaign: what it is, who gets it (a live count as the filter
// changes, POST /v1/audiences/preview), a text per language with its live
// SMS counter, the placeholders' values and when to send (local time).
// "Check" saves it as a draft (POST /v1/campaigns) and shows its preview
// (cost, end); "Send" schedules it and opens its page.
import * as api from './api.js';
import { t, label, pair, formatNumber, formatMoney, formatDateTime, programmeNow, isolate } from './i18n.js';
import { h, heading, field, choices, checkedValues, select, summaryList, notice, showErrors, clearErrors,
	errorText, debounce, button, excludedText } from './dom.js';
import { LOCALES, localeLabel, sexLabel, SEXES } from './contacts.js';
import { smsBox, PLACEHOLDERS } from './segments.js';

export const KINDS = ['training_offer', 'residency_followup', 'covid_info', 'event', 'custom'];
const RTL = ['ar', 'ary'];
const VARS = PLACEHOLDERS.filter((p) => p !== 'first_name');

// The braces of a text as the gateway reads them (handlers/template.c):
// "{{" and "}}" are braces, "{name}" a placeholder, which must have a value
// (first_name, or a var given); any other brace is refused. Checked here to
// say it in the agent's language, next to the field at fault; the gateway
// checks again. Calls found(fieldId, catalog key, placeholder) for each.
const BRACES = /\{\{|\}\}|\{([A-Za-z][A-Za-z0-9_]{0,31})\}|[{}]/g;

function textProblems(locale, text, vars, found) {
	for (const m of text.matchAll(BRACES)) {
		if (m[0] === '{{' || m[0] === '}}')
			continue;
		if (m[1] === undefined) {
			found('text-' + locale, 'console.composer.text_brace', '');
			return;
		}
		if (m[1] === 'first_name' || Object.prototype.hasOwnProperty.call(vars, m[1]))
			continue;
		if (VARS.includes(m[1]))
			found('var-' + m[1], 'console.composer.var_empty', m[1]);
		else
			found('text-' + locale, 'console.composer.text_placeholder_unknown', m[1]);
	}
}

function commaList(v) {
	return v.split(',').map((x) => x.trim()).filter(Boolean);
}

// Now on the programme's clock (Morocco's, which the API reads start_at in), as a datetime-local input wants it.
function localNow() {
	const d = programmeNow();
	const p = (n) => String(n).padStart(2, '0');
	return `${d.y}-${p(d.m)}-${p(d.d)}T${p(d.H)}:${p(d.M)}`;
}

export function render(main, ctx) {
	ctx.setTitle(t('console.composer.title'));
	const c = {
		name: h('input', { type: 'text', class: 'input', dir: 'auto', autocomplete: 'off' }),
		kind: select(KINDS.map((k) => [k, label('console.kind.', k)]), 'custom'),
		channel: select(['auto', 'sms', 'whatsapp'].map((x) => [x, t('console.channel.' + x)]), 'auto'),
		city: h('input', { type: 'text', class: 'input', dir: 'auto' }),
		tags: h('input', { type: 'text', class: 'input', dir: 'auto', spellcheck: 'false' }),
		start: h('input', { type: 'datetime-local', class: 'input', value: localNow() }),
		replied: select([['', t('console.composer.replied_any')]], ''),
	};
	const audienceBox = h('fieldset', { class: 'fieldset' },
		h('legend', { class: 'fieldset__legend' }, t('console.composer.audience')),
		h('p', { class: 'hint' }, t('console.composer.audience_hint')),
		field({ id: 'c-city', label: t('console.contacts.city'), hint: t('console.hint.comma_list'), control: c.city }),
		field({ id: 'c-tags', label: t('console.composer.tags_any'), hint: t('console.hint.comma_list'), control: c.tags }),
		choices({ name: 'a-locale', legend: t('console.contacts.locale'), options: LOCALES.map((l) => [l, localeLabel(l)]) }),
		choices({ name: 'a-sex', legend: t('console.contacts.sex'), options: Object.keys(SEXES).map((s) => [s, sexLabel(s)]) }),
		choices({ name: 'a-channel', legend: t('console.contacts.channel'), options: ['sms', 'whatsapp'].map((x) => [x, t('console.channel.' + x)]) }),
		field({ id: 'c-replied', label: t('console.composer.replied'), hint: t('console.composer.replied_hint'), control: c.replied }));
	earlierCampaigns(c.replied);
	const audienceCount = h('div', { class: 'panel panel--count', id: 'audience-count', 'aria-live': 'polite' });
	audienceBox.append(audienceCount);

	const boxes = {};
	const textsBox = h('fieldset', { class: 'fieldset' },
		h('legend', { class: 'fieldset__legend' }, t('console.composer.texts')),
		h('p', { class: 'hint' }, t('console.composer.texts_hint')));
	for (const l of LOCALES) {
		boxes[l] = smsBox({
			id: 'text-' + l, label: t('console.composer.text_in', { language: localeLabel(l) }),
			lang: l, dir: RTL.includes(l) ? 'rtl' : 'auto', placeholders: true,
		});
		textsBox.append(boxes[l].wrap);
	}
	const varInputs = {};
	const varsBox = h('fieldset', { class: 'fieldset' },
		h('legend', { class: 'fieldset__legend' }, t('console.composer.vars')),
		h('p', { class: 'hint' }, t('console.composer.vars_hint')),
		VARS.map((v) => {
			varInputs[v] = h('input', { type: v === 'link' ? 'url' : 'text', class: 'input', dir: 'auto' });
			return field({ id: 'var-' + v, label: [t('console.composer.var_' + v), ' ', h('bdi', { dir: 'ltr' }, '{' + v + '}')], control: varInputs[v] });
		}));
	const submit = h('button', { type: 'submit', class: 'button' }, t('console.composer.check'));
	const form = h('form', { class: 'form', novalidate: true },
		h('fieldset', { class: 'fieldset' }, h('legend', { class: 'fieldset__legend' }, t('console.composer.about')),
			field({ id: 'c-name', label: t('console.composer.name'), hint: t('console.composer.name_hint'), control: c.name }),
			field({ id: 'c-kind', label: t('console.composer.kind'), control: c.kind }),
			field({ id: 'c-channel', label: t('console.composer.channel'), control: c.channel })),
		audienceBox, textsBox, varsBox,
		h('fieldset', { class: 'fieldset' }, h('legend', { class: 'fieldset__legend' }, t('console.composer.when')),
			field({ id: 'c-start', label: t('console.composer.start'), hint: t('console.composer.start_hint'), control: c.start })),
		submit);
	const preview = h('section', { class: 'preview', 'aria-labelledby': 'preview-title', hidden: true });
	main.append(h('p', null, h('a', { href: '#/campaigns', class: 'back-link' }, t('console.composer.back'))),
		heading(t('console.composer.title')), form, preview);

	function audience() {
		const a = {
			city: commaList(c.city.value), tags_any: commaList(c.tags.value), locale: checkedValues(form, 'a-locale'),
			sex: checkedValues(form, 'a-sex'), channel: checkedValues(form, 'a-channel'),
		};
		for (const k of Object.keys(a))
			if (!a[k].length)
				delete a[k];
		const [how, id] = c.replied.value.split(':');
		if (id)
			a[how === 'yes' ? 'replied_to' : 'not_replied_to'] = id;
		return a;
	}

	let asked = 0;
	const countAudience = debounce(async () => {
		const mine = ++asked;
		audienceCount.dataset.state = 'loading';
		try {
			const ans = await api.post('/v1/audiences/preview', { audience: audience() });
			if (mine === asked)
				drawAudience(audienceCount, ans);
		} catch (e) {
			if (mine === asked)
				audienceCount.replaceChildren(h('p', null, errorText(e)));
		}
	}, 400);
	audienceBox.addEventListener('input', countAudience);
	audienceBox.addEventListener('change', countAudience);
	countAudience();

	function body() {
		const texts = {};
		for (const l of LOCALES)
			if (boxes[l].textarea.value.trim())
				texts[l] = boxes[l].textarea.value;
		const vars = {};
		for (const v of VARS)
			if (varInputs[v].value.trim())
				vars[v] = varInputs[v].value.trim();
		return {
			name: c.name.value.trim(), kind: c.kind.value, channel: c.channel.value, audience: audience(),
			texts, vars, start_at: c.start.value,
		};
	}

	function check(b) {
		const errors = [];
		if (!b.name)
			errors.push({ id: 'c-name', text: t('console.composer.name_missing') });
		if (!Object.keys(b.texts).length)
			errors.push({ id: 'text-fr', text: t('console.composer.texts_missing') });
		// One message per field: the first problem of each text, each var missing once.
		const seen = new Set();
		for (const [l, text] of Object.entries(b.texts)) {
			textProblems(l, text, b.vars, (id, key, name) => {
				if (seen.has(id))
					return;
				seen.add(id);
				errors.push({ id, text: t(key, { name: isolate('{' + name + '}') }) });
			});
		}
		if (!b.start_at)
			errors.push({ id: 'c-start', text: t('console.composer.start_missing') });
		return errors;
	}

	// The last draft saved, so an unchanged form is not saved twice and a
	// changed one replaces (cancels) the draft before it.
	let draft = null;
	const idemKeys = {};
	form.addEventListener('submit', async (ev) => {
		ev.preventDefault();
		const b = body();
		const errors = check(b);
		if (errors.length) {
			showErrors(form, errors);
			return;
		}
		clearErrors(form);
		submit.disabled = true;
		try {
			const key = JSON.stringify(b);
			if (!draft || draft.key !== key) {
				if (draft) {
					api.post('/v1/campaigns/' + draft.id + '/cancel', {}).catch(() => {});
					delete idemKeys[draft.key]; // the same content again makes a new draft, not the cancelled one
				}
				// One key per form content: a retry after a lost answer gets the same draft back.
				const made = await api.post('/v1/campaigns', b, { key: idemKeys[key] ||= api.idempotencyKey() });
				draft = { key, id: made.id };
			}
			const p = await api.post('/v1/campaigns/' + draft.id + '/preview', {});
			// Typed into while it was being checked: that preview is of another campaign than the form's.
			if (JSON.stringify(body()) === key)
				drawPreview(preview, p, draft.id, ctx);
		} catch (e) {
			const named = /^(texts\.[\w-]+):/.exec(e.message || '');
			showErrors(form, [{ id: fieldOf(named ? named[1] : e.field, b), text: errorText(e) }]);
		} finally {
			submit.disabled = false;
		}
	});
	// A changed form makes the preview stale: hide it until checked again.
	form.addEventListener('input', () => {
		preview.hidden = true;
	});
}

// The campaigns already sent, for "who replied to it, or did not" (the
// residency-card follow-up goes to those who did not).
async function earlierCampaigns(sel) {
	try {
		// Every page (oldest first, 50 a page, up to 40 pages), newest shown first.
		const all = [];
		let cursor = null;
		for (let i = 0; i < 40; i++) {
			const ans = await api.get('/v1/campaigns', cursor ? { cursor } : undefined);
			all.push(...ans.campaigns);
			if (!(cursor = ans.next_cursor))
				break;
		}
		const sent = all.filter((x) => x.state !== 'draft' && x.state !== 'cancelled').reverse();
		if (!sent.length)
			return;
		for (const [how, key] of [['not', 'console.composer.replied_not'], ['yes', 'console.composer.replied_yes']])
			sel.append(h('optgroup', { label: t(key) },
				sent.map((x) => h('option', { value: how + ':' + x.id, dir: 'auto' }, x.name))));
	} catch (e) {
		/* the filter is only offered when the campaigns can be listed */
	}
}

// The form field a refusal's "field" names (texts.fr, vars.centre, start_at…).
function fieldOf(f, b) {
	if (!f)
		return null;
	const [head, sub] = f.split('.');
	if (head === 'texts')
		return 'text-' + (sub && LOCALES.includes(sub) ? sub : Object.keys(b.texts)[0] || 'fr');
	if (head === 'vars')
		return 'var-' + (VARS.includes(sub) ? sub : VARS[0]);
	return { name: 'c-name', kind: 'c-kind', channel: 'c-channel', start_at: 'c-start', audience: 'c-city' }[head] || null;
}

function byLocaleText(byLocale) {
	return Object.entries(byLocale || {}).map(([l, n]) => pair(localeLabel(l), formatNumber(n))).join(t('console.list_separator'));
}

function drawAudience(box, a) {
	box.dataset.state = 'ready';
	box.dataset.recipients = String(a.recipients);
	box.replaceChildren(
		h('p', { class: 'panel__big' }, t('console.composer.recipients', { n: formatNumber(a.recipients) })),
		h('p', null, t('console.composer.audience_total', { n: formatNumber(a.audience) }), ' ',
			pair(t('console.composer.preview_excluded'), excludedText(a.excluded))),
		a.recipients ? h('p', { class: 'hint' }, byLocaleText(a.by_locale)) : null);
}

function drawPreview(box, p, id, ctx) {
	const segs = Object.entries(p.segments || {}).map(([l, s]) => h('li', null,
		pair(localeLabel(l), t('console.composer.preview_segments', {
			segments: formatNumber(s.segments), encoding: t('console.segments.' + s.encoding),
		}))));
	const status = h('div', { 'aria-live': 'polite' });
	const send = button(t('console.composer.schedule'), async () => {
		send.disabled = true;
		try {
			await api.post('/v1/campaigns/' + id + '/schedule', {});
			ctx.go('#/campaigns/' + encodeURIComponent(id), t('console.composer.scheduled'));
		} catch (e) {
			send.disabled = false;
			status.replaceChildren(notice(errorText(e), 'error'));
		}
	});
	box.dataset.campaign = id;
	box.replaceChildren(
		h('h2', { id: 'preview-title', tabindex: '-1' }, t('console.composer.preview')),
		summaryList([
			[t('console.composer.preview_recipients'), formatNumber(p.recipients), 'recipients'],
			[t('console.composer.preview_excluded'), excludedText(p.excluded), 'excluded'],
			[t('console.composer.preview_locales'), byLocaleText(p.by_locale) || '—'],
			[t('console.composer.preview_lengths'), segs.length ? h('ul', { class: 'list' }, segs) : '—'],
			[t('console.composer.preview_cost'), p.cost ? formatMoney(p.cost.estimate, p.cost.currency) : '—', 'cost'],
			[t('console.composer.preview_starts'), formatDateTime(p.starts_at), 'starts'],
			[t('console.composer.preview_finishes'), formatDateTime(p.finishes_at), 'finishes'],
		]),
		h('p', null, t('console.composer.preview_draft')),
		h('div', { class: 'button-group' }, send), status);
	box.hidden = false;
	box.querySelector('h2').focus();
}
