// The console's shell: the language, the session, the header with the
// rooms the signed-in role may open, and the router (#/room/…). Each room
// is a module whose render(main, ctx) draws it; what it starts (a poll, a
// timer) it stops through ctx.onLeave.
import * as api from './api.js';
import { t, LANGUAGES, language, initialLanguage, loadLanguage } from './i18n.js';
import { h, clear, heading, link, notice, errorText, fieldValues, restoreFields } from './dom.js';
import * as signin from './signin.js';
import * as contacts from './contacts.js';
import * as contact from './contact.js';
import * as importer from './import.js';
import * as campaigns from './campaigns.js';
import * as composer from './composer.js';
import * as inbox from './inbox.js';
import * as reach from './reach.js';

const AGENT = ['agent', 'admin'];
const MONITORING = ['monitoring', 'admin'];

// Rooms in the order the header shows them; routes name their module.
const ROOMS = [
	{ room: 'contacts', roles: AGENT },
	{ room: 'campaigns', roles: AGENT },
	{ room: 'inbox', roles: AGENT },
	{ room: 'reach', roles: MONITORING },
];

function routeModule(room, rest) {
	switch (room) {
	case 'contacts':
		return rest[0] === 'import' ? importer : rest.length ? contact : contacts;
	case 'campaigns':
		return rest[0] === 'new' ? composer : campaigns;
	case 'inbox':
		return inbox;
	case 'reach':
		return reach;
	default:
		return null;
	}
}

const state = { session: null, leave: [], flash: null, kept: null };

function rolesOf(room) {
	const r = ROOMS.find((x) => x.room === room);
	return r ? r.roles : [];
}

function homeOf(session) {
	const first = ROOMS.find((r) => r.roles.includes(session.role));
	return '#/' + (first ? first.room : 'contacts');
}

export function go(hash, flash) {
	state.flash = flash || null;
	if (location.hash === hash)
		route();
	else
		location.hash = hash;
}

function parseHash(hash = location.hash) {
	const raw = hash && hash.startsWith('#/') ? hash.slice(2) : '';
	const [path, query] = raw.split('?');
	const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
	return { room: parts[0] || '', rest: parts.slice(1), query: new URLSearchParams(query || '') };
}

function leave() {
	for (const fn of state.leave.splice(0))
		try {
			fn();
		} catch (e) {
			/* a room's clean-up must not stop the next one */
		}
}

function renderHeader() {
	const header = clear(document.getElementById('header'));
	const s = state.session;
	const langSelect = h('select', { id: 'language', class: 'select select--small', onchange: changeLanguage },
		LANGUAGES.map((l) => h('option', { value: l, lang: l, selected: l === language() }, t('console.language.' + l))));
	const tools = h('div', { class: 'header__tools' },
		h('div', { class: 'header__lang' }, h('label', { for: 'language' }, t('console.header.language')), langSelect));
	if (s) {
		tools.append(h('span', { class: 'header__user' }, t('console.header.signed_in_as') + ' ',
			h('bdi', { dir: 'auto' }, s.name), ' (' + t('console.role.' + s.role) + ')'));
		tools.append(h('button', { type: 'button', class: 'button button--secondary button--small', onclick: doSignOut },
			t('console.header.sign_out')));
	}
	const inner = h('div', { class: 'header__inner' },
		h('a', { class: 'header__brand', href: s ? homeOf(s) : '#/' }, t('console.app.name')), tools);
	header.append(inner);
	if (s) {
		const { room } = parseHash();
		const items = ROOMS.filter((r) => r.roles.includes(s.role)).map((r) =>
			h('li', null, h('a', { href: '#/' + r.room, 'aria-current': r.room === room ? 'page' : null },
				t('console.nav.' + r.room))));
		header.append(h('nav', { class: 'nav', 'aria-label': t('console.nav.label') }, h('ul', null, items)));
	}
}

async function changeLanguage(ev) {
	const fields = fieldValues(document.getElementById('main'));
	try {
		await loadLanguage(ev.target.value, true);
	} catch (e) {
		ev.target.value = language(); // the page stays in the language it is in
		return;
	}
	state.kept = { hash: location.hash, fields };
	route();
	document.getElementById('language').focus();
}

async function doSignOut() {
	try {
		await api.signOut();
	} catch (e) {
		/* the session is gone either way for this page */
	}
	state.session = null;
	go('#/', t('console.signin.signed_out'));
}

function setTitle(text) {
	document.title = text + ' — ' + t('console.app.name');
}

// Draws the room the address names, or the sign-in page, or a refusal.
function route() {
	leave();
	const { room, rest, query } = parseHash();
	const main = clear(document.getElementById('main'));
	const flash = state.flash;
	state.flash = null;
	const ctx = {
		session: state.session, rest, query, go, setTitle,
		onLeave: (fn) => state.leave.push(fn),
	};
	if (flash)
		main.append(notice(flash));
	document.getElementById('skip').textContent = t('console.skip');
	renderHeader();
	const s = state.session;
	if (!s) {
		signin.render(main, { ...ctx, done: signedIn, next: room ? location.hash : null });
		return;
	}
	if (!room || room === 'signin') {
		location.replace(homeOf(s));
		return;
	}
	const mod = routeModule(room, rest);
	if (!mod) {
		setTitle(t('console.notfound.title'));
		main.append(heading(t('console.notfound.title')), h('p', null, t('console.notfound.body')),
			h('p', null, link(t('console.notfound.home'), homeOf(s))));
		return;
	}
	if (!rolesOf(room).includes(s.role)) {
		setTitle(t('console.forbidden.title'));
		main.append(heading(t('console.forbidden.title')), h('p', null, t('console.forbidden.body')),
			h('p', null, link(t('console.notfound.home'), homeOf(s))));
		return;
	}
	mod.render(main, ctx);
	// What was typed before the page was drawn again (a language changed, a session signed in again).
	if (state.kept && state.kept.hash === location.hash) {
		restoreFields(main, state.kept.fields);
		state.kept = null;
	}
}

function signedIn(session, next) {
	state.session = session;
	const { room } = parseHash(next || '');
	const target = next && room && rolesOf(room).includes(session.role) ? next : homeOf(session);
	go(target);
}

// Moves the focus to a new page's heading, so a screen reader starts there.
function focusHeading() {
	const h1 = document.querySelector('#main h1');
	if (h1)
		h1.focus({ preventScroll: false });
}

async function boot() {
	const skip = document.getElementById('skip');
	skip.addEventListener('click', (ev) => {
		ev.preventDefault();
		document.getElementById('main').focus();
	});
	const main = document.getElementById('main');
	try {
		await loadLanguage(initialLanguage(), false);
		state.session = await api.session();
	} catch (e) {
		main.append(h('p', { role: 'alert' }, language() ? errorText(e) : String(e)));
		return;
	}
	api.whenSignedOut(() => {
		if (!state.session)
			return;
		state.session = null;
		state.flash = t('console.signin.expired');
		state.kept = { hash: location.hash, fields: fieldValues(document.getElementById('main')) };
		route();
	});
	window.addEventListener('hashchange', () => {
		if (!location.hash.startsWith('#/') && location.hash !== '')
			return;
		route();
		focusHeading();
	});
	route();
}

boot();
