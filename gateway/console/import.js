// Importing contacts from a spreadsheet: the file is checked first (a dry
// run: nothing is written, each refused row is named with its line, column
// and why, in the agent's language), then, once the agent confirms, its valid rows
// are written (mode=valid, with an Idempotency-Key so a repeated click
// imports once).
import * as api from './api.js';
import { t, has, formatNumber, isolate } from './i18n.js';
import { h, heading, field, choices, checkedValues, summaryList, table, userText, link, notice,
	showErrors, errorText, button } from './dom.js';

// Why a row was refused: the catalog's words for the gateway's code, with
// the value at fault; the gateway's own words (English) for a code the
// catalogs do not know yet.
function refusal(e) {
	const key = 'console.csv.' + e.code;
	return has(key) ? t(key, { value: isolate(e.value || '') }) : userText(e.reason);
}

export function render(main, ctx) {
	ctx.setTitle(t('console.import.title'));
	const page = h('div');
	main.append(h('p', null, link(t('console.import.back'), '#/contacts', 'back-link')), page);
	chooseFile(page, ctx);
}

function chooseFile(page, ctx) {
	const file = h('input', { type: 'file', accept: '.csv,text/csv', class: 'file' });
	const encoding = choices({
		name: 'encoding', legend: t('console.import.encoding'), type: 'radio', checked: ['utf-8'],
		options: [['utf-8', t('console.import.encoding_utf8')], ['windows-1252', t('console.import.encoding_excel')]],
	});
	const submit = h('button', { type: 'submit', class: 'button' }, t('console.import.check'));
	const form = h('form', { class: 'form', novalidate: true },
		field({ id: 'import-file', label: t('console.import.file'), hint: t('console.import.file_hint'), control: file }),
		encoding, submit);
	form.addEventListener('submit', async (ev) => {
		ev.preventDefault();
		const chosen = file.files[0];
		if (!chosen) {
			showErrors(form, [{ id: 'import-file', text: t('console.import.file_missing') }]);
			return;
		}
		submit.disabled = true;
		const opts = { encoding: checkedValues(form, 'encoding')[0] };
		try {
			const report = await send(chosen, { ...opts, dry_run: 'true' });
			checked(page, ctx, chosen, opts, report);
		} catch (e) {
			submit.disabled = false;
			showErrors(form, [{ id: 'import-file', text: errorText(e) }]);
		}
	});
	page.replaceChildren(heading(t('console.import.title')), h('p', null, t('console.import.intro')), form);
	ctx.setTitle(t('console.import.title'));
}

// The import's report, also when the gateway refuses rows (422 with the
// report in "import").
async function send(file, query, key) {
	try {
		return await api.request('POST', '/v1/contacts/import', {
			query: { mode: 'valid', ...query }, body: file, type: 'text/csv', key,
		});
	} catch (e) {
		if (e.body && e.body.import)
			return e.body.import;
		throw e;
	}
}

function counts(report, done) {
	const word = (k) => t((done ? 'console.import.done_' : 'console.import.would_') + k);
	return summaryList([
		[t('console.import.rows'), formatNumber(report.rows), 'rows'],
		[word('created'), formatNumber(report.created), 'created'],
		[word('updated'), formatNumber(report.updated), 'updated'],
		[word('unchanged'), formatNumber(report.unchanged), 'unchanged'],
		[t('console.import.refused'), formatNumber(report.refused), 'refused'],
	]);
}

function problems(report) {
	const parts = [];
	if (report.errors && report.errors.length) {
		parts.push(h('h2', null, t('console.import.errors_title')),
			table({
				caption: t('console.import.errors_title'), hideCaption: true,
				rowAttrs: (e) => ({ dataset: { line: String(e.line) } }),
				columns: [
					{ label: t('console.import.line'), key: 'line', num: true, cell: (e) => formatNumber(e.line) },
					{ label: t('console.import.column'), key: 'column', cell: (e) => userText(e.column || '—') },
					{ label: t('console.import.reason'), key: 'reason', cell: refusal },
				],
				rows: report.errors,
			}));
		if (report.errors_more)
			parts.push(h('p', { class: 'hint' }, t('console.import.errors_more')));
	}
	if (report.notes && report.notes.length)
		parts.push(h('h2', null, t('console.import.notes')),
			h('ul', { class: 'list' }, report.notes.map((n) => h('li', null, userText(typeof n === 'string' ? n : JSON.stringify(n))))));
	return parts;
}

function checked(page, ctx, file, opts, report) {
	ctx.setTitle(t('console.import.checked_title'));
	const writable = (report.created || 0) + (report.updated || 0);
	const key = api.idempotencyKey();
	const status = h('div', { 'aria-live': 'polite' });
	const again = button(t('console.import.other_file'), () => chooseFile(page, ctx), 'button--secondary');
	const actions = h('div', { class: 'button-group' });
	if (writable > 0) {
		const confirm = button(t('console.import.confirm', { n: formatNumber(writable) }), async () => {
			confirm.disabled = true;
			try {
				const result = await send(file, opts, key);
				done(page, ctx, result);
			} catch (e) {
				confirm.disabled = false;
				status.replaceChildren(notice(errorText(e), 'error'));
			}
		});
		actions.append(confirm);
	}
	actions.append(again);
	page.replaceChildren(
		heading(t('console.import.checked_title')),
		h('p', null, t('console.import.checked_file'), ' ', userText(file.name)),
		h('p', null, writable > 0 ? t('console.import.nothing_written') : t('console.import.nothing_to_write')),
		counts(report, false), ...problems(report), actions, status);
	page.querySelector('h1').focus();
}

function done(page, ctx, report) {
	ctx.setTitle(t('console.import.done_title'));
	page.replaceChildren(
		h('div', { class: 'panel', role: 'status' }, heading(t('console.import.done_title')),
			h('p', null, t('console.import.done_body', { n: formatNumber((report.created || 0) + (report.updated || 0)) }))),
		counts(report, true), ...problems(report),
		h('p', null, link(t('console.import.see_contacts'), '#/contacts', 'button')));
	page.querySelector('h1').focus();
}
