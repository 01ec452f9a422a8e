// What the reach dashboard shows for a period: charts (SVG drawn by the
// gateway, GET /v1/reach?format=svg) each with its table, tables by city
// and by language, one campaign's funnel and the downloads (CSV for
// Excel, DHIS2). Counts may be strings ("<5": small-cell suppression),
// shown as they come.
import * as api from './api.js';
import { t, label, pair, language, isolate } from './i18n.js';
import { h, table, count, notice, errorText, button, userText, select, field, choices, checkedValues, summaryList, excludedText } from './dom.js';
import { localeLabel } from './contacts.js';

export const INDICATORS = ['sent', 'delivered', 'read', 'reached', 'replied', 'informed', 'referred', 'opted_out'];
const CHART_INDICATORS = ['sent', 'reached', 'replied'];
const DIMENSIONS = ['period', 'kind', 'sex', 'city', 'locale', 'channel', 'campaign'];

function dimLabel(dim, row) {
	const v = row[dim];
	if (v === 'unknown' && dim !== 'sex')
		return t('console.reach.unknown');
	switch (dim) {
	case 'kind':
		return label('console.kind.', v);
	case 'sex':
		return label('console.sex.', v);
	case 'locale':
		return localeLabel(v);
	case 'channel':
		return label('console.channel.', v);
	case 'campaign':
		return userText(row.campaign_name || v);
	case 'period':
		return h('bdi', { dir: 'ltr' }, v);
	default:
		return userText(v);
	}
}

function indicatorColumns() {
	return INDICATORS.map((k) => ({ label: label('console.indicator.', k), key: k, num: true, cell: (r) => count(r[k]) }));
}

// The table of a breakdown: a row per value, the totals at the foot.
export function reachTable(dim, report, caption) {
	return table({
		caption, hideCaption: true,
		rowAttrs: (r) => ({ dataset: { value: String(r[dim]) } }),
		columns: [{ label: t('console.reach.dim_' + dim), key: dim, cell: (r) => (r._total ? t('console.reach.total') : dimLabel(dim, r)) }, ...indicatorColumns()],
		rows: report.rows || [],
		foot: report.totals ? { ...report.totals, _total: true } : null,
	});
}

function chart(p, by, alt) {
	const src = api.withQuery('/v1/reach', {
		from: p.from, to: p.to, by, period: by === 'period' ? p.step : null, format: 'svg', lang: language(),
		indicators: CHART_INDICATORS,
	});
	const img = h('img', { class: 'chart', src, alt, width: '640', height: '360', dataset: { by } });
	const fig = h('figure', { class: 'figure' }, img);
	img.addEventListener('error', () => {
		fig.replaceChildren(h('p', { class: 'notice notice--error' }, t('console.reach.chart_failed')));
	});
	return fig;
}

function section(id, title, ...content) {
	return h('section', { class: 'section', id: 'reach-' + id, 'aria-labelledby': 'reach-' + id + '-title' },
		h('h2', { id: 'reach-' + id + '-title' }, title), ...content);
}

// One breakdown: asks the gateway, then fills its section with the
// table (and the chart first, when there is one).
function breakdown(view, p, dim, withChart) {
	const title = t('console.reach.by_' + dim);
	const slot = h('div', null, h('p', { class: 'hint' }, t('console.loading')));
	const parts = [];
	if (withChart)
		parts.push(chart(p, dim, t('console.reach.chart_alt_' + dim, {
			from: isolate(p.from), to: isolate(p.to), indicators: CHART_INDICATORS.map((k) => label('console.indicator.', k)).join(t('console.list_separator')),
		})));
	view.append(section(dim, title, ...parts, slot));
	const query = { from: p.from, to: p.to, by: dim, period: dim === 'period' ? p.step : null };
	return api.get('/v1/reach', query).then((report) => {
		slot.replaceChildren(report.rows && report.rows.length ? reachTable(dim, report, title) : h('p', null, t('console.reach.no_rows')));
		if (report.reached_includes_sends)
			slot.append(h('p', { class: 'hint' }, t('console.reach.reached_includes_sends')));
		return report;
	}, (e) => {
		slot.replaceChildren(notice(errorText(e), 'error'));
		return null;
	});
}

export function drawDashboard(view, p) {
	view.append(h('p', { class: 'period-shown', role: 'status' }, t('console.reach.showing', { from: isolate(p.from), to: isolate(p.to) })));
	breakdown(view, p, 'period', true);
	breakdown(view, p, 'kind', true);
	breakdown(view, p, 'sex', true);
	breakdown(view, p, 'city', false);
	breakdown(view, p, 'locale', false);
	funnelSection(view, p);
	downloads(view, p);
}

function funnelSection(view, p) {
	const slot = h('div');
	const out = h('div', { 'aria-live': 'polite' });
	view.append(section('funnel', t('console.reach.funnel'), h('p', null, t('console.reach.funnel_intro')), slot, out));
	api.get('/v1/reach', { from: p.from, to: p.to, by: 'campaign' }).then((report) => {
		const rows = (report.rows || []).filter((r) => r.campaign && r.campaign !== 'unknown');
		if (!rows.length) {
			slot.replaceChildren(h('p', null, t('console.reach.funnel_none')));
			return;
		}
		const pick = select(rows.map((r) => [r.campaign, r.campaign_name || r.campaign]), rows[0].campaign);
		pick.querySelectorAll('option').forEach((o) => { o.dir = 'auto'; });
		const form = h('form', { class: 'form inline-form', novalidate: true },
			field({ id: 'funnel-campaign', label: t('console.reach.funnel_campaign'), control: pick }),
			h('button', { type: 'submit', class: 'button button--secondary' }, t('console.reach.funnel_show')));
		form.addEventListener('submit', (ev) => {
			ev.preventDefault();
			showFunnel(out, pick.value, pick.selectedOptions[0].textContent);
		});
		slot.replaceChildren(form);
	}, (e) => slot.replaceChildren(notice(errorText(e), 'error')));
}

// A funnel's table: a row per step (named by its key), its count.
function stepsTable(caption, head, keys, name, values, attr, col) {
	return table({
		caption,
		rowAttrs: (k) => ({ dataset: { [attr]: k } }),
		columns: [{ label: head, cell: name },
			{ label: t('console.reach.funnel_count'), num: true, key: col, cell: (k) => count(values[k]) }],
		rows: keys,
	});
}

async function showFunnel(out, campaign, name) {
	out.replaceChildren(h('p', { class: 'hint' }, t('console.loading')));
	let f;
	try {
		f = await api.get('/v1/reach/funnel', { campaign });
	} catch (e) {
		out.replaceChildren(notice(errorText(e), 'error'));
		return;
	}
	const a = f.audience || {};
	const steps = INDICATORS.filter((k) => f.people && k in f.people);
	const msgs = Object.keys(f.messages || {});
	const reasons = [];
	for (const [outcome, whys] of Object.entries(f.not_sent_or_not_delivered || {}))
		for (const [why, d] of Object.entries(whys))
			reasons.push({ outcome, why, count: d.count, codes: Object.entries(d.codes || {}).map(([c, n]) => c + ' × ' + n).join(', ') });
	out.replaceChildren(h('div', { class: 'funnel', dataset: { campaign } },
		h('h3', null, userText(name)),
		summaryList([
			[t('console.reach.funnel_audience'), count(a.audience), 'audience'],
			[t('console.reach.funnel_recipients'), count(a.recipients), 'recipients'],
			[t('console.composer.preview_excluded'), excludedText(a.excluded), 'excluded'],
		]),
		stepsTable(t('console.reach.funnel_people'), t('console.reach.funnel_step'), steps,
			(k) => label('console.indicator.', k), f.people, 'indicator', 'people'),
		stepsTable(t('console.reach.funnel_messages'), t('console.reach.funnel_state'), msgs,
			(k) => label('console.reach.msg_', k), f.messages, 'state', 'messages'),
		reasons.length ? table({
			caption: t('console.reach.funnel_reasons'),
			columns: [{ label: t('console.reach.funnel_reason'), cell: (r) => pair(label('console.reach.msg_', r.outcome), label('console.reach.why_', r.why)) },
				{ label: t('console.reach.funnel_count'), num: true, cell: (r) => count(r.count) },
				{ label: t('console.reach.funnel_codes'), cell: (r) => h('bdi', { dir: 'ltr' }, r.codes || '—') }],
			rows: reasons,
		}) : null));
}

// Downloads: CSV for Excel, DHIS2 as CSV or JSON, by the dimensions
// chosen. A refusal (422: counts DHIS2 has no place for) is shown, not saved.
function downloads(view, p) {
	const dims = choices({ name: 'dl-by', legend: t('console.reach.download_by'),
		options: DIMENSIONS.map((d) => [d, t('console.reach.dim_' + d)]), checked: ['kind', 'sex'] });
	const sep = choices({ name: 'dl-sep', legend: t('console.reach.download_sep'), type: 'radio', checked: [';'],
		options: [[';', t('console.reach.sep_semicolon')], [',', t('console.reach.sep_comma')]] });
	const out = h('div', { 'aria-live': 'polite' });
	const form = h('form', { class: 'form', novalidate: true }, dims, sep);
	const get = async (format, ext) => {
		out.replaceChildren();
		const by = checkedValues(form, 'dl-by');
		const query = { from: p.from, to: p.to, by: by.length ? by : null, format,
			period: format.startsWith('dhis2') ? p.dhis2 : by.includes('period') ? p.step : null, sep: format === 'csv' ? checkedValues(form, 'dl-sep')[0] : null };
		try {
			const res = await api.request('GET', '/v1/reach', { query, raw: true });
			api.saveFile(await res.blob(), `reach-${p.from}-${p.to}${format === 'csv' ? '' : '-dhis2'}.${ext}`);
			out.replaceChildren(notice(t('console.reach.downloaded')));
		} catch (e) {
			const cells = e.body && e.body.error && Array.isArray(e.body.error.cells) ? e.body.error.cells : [];
			out.replaceChildren(notice(errorText(e), 'error'),
				cells.length ? h('ul', { class: 'list' }, cells.slice(0, 20).map((c) =>
					h('li', null, userText(c.cell), ' — ', userText(c.reason)))) : '');
		}
	};
	form.append(h('div', { class: 'button-group' },
		button(t('console.reach.download_csv'), () => get('csv', 'csv'), 'button--secondary'),
		button(t('console.reach.download_dhis2_csv'), () => get('dhis2-csv', 'csv'), 'button--secondary'),
		button(t('console.reach.download_dhis2_json'), () => get('dhis2-json', 'json'), 'button--secondary')), out);
	view.append(section('download', t('console.reach.download'), h('p', null, t('console.reach.download_intro')), form));
}
