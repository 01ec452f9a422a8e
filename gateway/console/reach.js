// The reach dashboard (monitoring, admin): a period picker (a month, a
// quarter, a semester, a year or any dates) whose choice lives in the
// address (#/reach?type=month&month=2026-12), so a reload or a change of
// language shows the same period; reach-view.js draws what it shows.
import { t, programmeNow } from './i18n.js';
import { h, heading, field, select, showErrors } from './dom.js';
import { drawDashboard } from './reach-view.js';

const TYPES = ['month', 'quarter', 'semester', 'year', 'range'];
const p2 = (n) => String(n).padStart(2, '0');

// Today on the programme's clock, not the device's.
function today() {
	const d = programmeNow();
	return { y: d.y, m: d.m, d: d.d };
}

function lastDay(y, m) {
	return new Date(y, m, 0).getDate();
}

// The dates (inclusive) of a choice, and the step of its chart over time.
export function periodOf(q) {
	const now = today();
	const type = TYPES.includes(q.get('type')) ? q.get('type') : 'month';
	const year = parseInt(q.get('year'), 10) || now.y;
	const span = (m1, m2) => ({ from: `${year}-${p2(m1)}-01`, to: `${year}-${p2(m2)}-${p2(lastDay(year, m2))}` });
	let r;
	switch (type) {
	case 'quarter': {
		const n = Math.min(4, Math.max(1, parseInt(q.get('quarter'), 10) || Math.ceil(now.m / 3)));
		r = { ...span(n * 3 - 2, n * 3), step: 'month' };
		break;
	}
	case 'semester': {
		const n = Math.min(2, Math.max(1, parseInt(q.get('semester'), 10) || Math.ceil(now.m / 6)));
		r = { ...span(n * 6 - 5, n * 6), step: 'month' };
		break;
	}
	case 'year':
		r = { ...span(1, 12), step: 'month' };
		break;
	case 'range': {
		const from = q.get('from') || `${now.y}-${p2(now.m)}-01`;
		const to = q.get('to') || `${now.y}-${p2(now.m)}-${p2(now.d)}`;
		const days = (Date.parse(to) - Date.parse(from)) / 86400000;
		r = { from, to, step: days <= 62 ? 'day' : 'month' };
		break;
	}
	default: {
		const [y, m] = (q.get('month') || `${now.y}-${p2(now.m)}`).split('-').map((x) => parseInt(x, 10));
		r = { from: `${y}-${p2(m)}-01`, to: `${y}-${p2(m)}-${p2(lastDay(y, m))}`, step: 'day' };
	}
	}
	// DHIS2 takes whole periods: the one chosen, or months between two dates.
	return { type, ...r, dhis2: type === 'range' ? 'month' : type };
}

export function render(main, ctx) {
	ctx.setTitle(t('console.reach.title'));
	const q = ctx.query;
	const now = today();
	const type = select(TYPES.map((x) => [x, t('console.reach.type_' + x)]), TYPES.includes(q.get('type')) ? q.get('type') : 'month');
	const c = {
		month: h('input', { type: 'month', class: 'input input--short', value: q.get('month') || `${now.y}-${p2(now.m)}` }),
		year: h('input', { type: 'number', class: 'input input--short', min: '2020', max: '2100', inputmode: 'numeric', value: q.get('year') || String(now.y) }),
		quarter: select([1, 2, 3, 4].map((n) => [String(n), t('console.reach.quarter_n', { n })]), q.get('quarter') || String(Math.ceil(now.m / 3))),
		semester: select([1, 2].map((n) => [String(n), t('console.reach.semester_n', { n })]), q.get('semester') || String(Math.ceil(now.m / 6))),
		from: h('input', { type: 'date', class: 'input input--short', value: q.get('from') || `${now.y}-${p2(now.m)}-01` }),
		to: h('input', { type: 'date', class: 'input input--short', value: q.get('to') || `${now.y}-${p2(now.m)}-${p2(now.d)}` }),
	};
	const groups = {
		month: [field({ id: 'r-month', label: t('console.reach.month'), hint: t('console.reach.month_hint'), control: c.month })],
		year: [field({ id: 'r-year', label: t('console.reach.year'), control: c.year })],
		quarter: [field({ id: 'r-quarter', label: t('console.reach.quarter'), control: c.quarter })],
		semester: [field({ id: 'r-semester', label: t('console.reach.semester'), control: c.semester })],
		range: [field({ id: 'r-from', label: t('console.reach.from'), control: c.from }),
			field({ id: 'r-to', label: t('console.reach.to'), control: c.to })],
	};
	const needs = { month: ['month'], quarter: ['year', 'quarter'], semester: ['year', 'semester'], year: ['year'], range: ['range'] };
	const showGroups = () => {
		for (const [g, els] of Object.entries(groups))
			els.forEach((el) => { el.hidden = !needs[type.value].includes(g); });
	};
	type.addEventListener('change', showGroups);
	showGroups();
	const form = h('form', { class: 'form period', novalidate: true },
		h('div', { class: 'grid' }, field({ id: 'r-type', label: t('console.reach.period'), control: type }),
			Object.values(groups).flat()),
		h('button', { type: 'submit', class: 'button' }, t('console.reach.show')));
	form.addEventListener('submit', (ev) => {
		ev.preventDefault();
		const p = new URLSearchParams({ type: type.value });
		const errors = [];
		if (type.value === 'month') {
			if (!/^\d{4}-\d{2}$/.test(c.month.value))
				errors.push({ id: 'r-month', text: t('console.reach.month_missing') });
			p.set('month', c.month.value);
		} else if (type.value === 'range') {
			if (!c.from.value)
				errors.push({ id: 'r-from', text: t('console.reach.date_missing') });
			if (!c.to.value)
				errors.push({ id: 'r-to', text: t('console.reach.date_missing') });
			else if (c.from.value && c.to.value < c.from.value)
				errors.push({ id: 'r-to', text: t('console.reach.to_before_from') });
			p.set('from', c.from.value);
			p.set('to', c.to.value);
		} else {
			if (!/^\d{4}$/.test(c.year.value))
				errors.push({ id: 'r-year', text: t('console.reach.year_missing') });
			p.set('year', c.year.value);
			if (type.value === 'quarter' || type.value === 'semester')
				p.set(type.value, c[type.value].value);
		}
		if (errors.length) {
			showErrors(form, errors);
			return;
		}
		ctx.go('#/reach?' + p.toString());
	});
	const view = h('div', { class: 'dashboard' });
	main.append(heading(t('console.reach.title')), h('p', { class: 'lead' }, t('console.reach.intro')), form, view);
	drawDashboard(view, periodOf(q));
}
