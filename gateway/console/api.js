// Calls to the gateway: the console's session (/console/session) and the
// /v1 API, same-origin with the session cookie. Owns the CSRF token that
// every call other than GET/HEAD must carry.
import { setClock } from './i18n.js';

let csrf = null;
let onSignedOut = () => {};

export class ApiError extends Error {
	constructor(status, error, body) {
		super((error && error.message) || 'HTTP ' + status);
		this.status = status;
		this.code = (error && error.code) || (status === 0 ? 'network' : 'http_' + status);
		this.field = (error && error.field) || null;
		this.body = body;
	}
}

// Called when the gateway answers 401 to a signed-in page (the session
// ended): the app shows the sign-in page again.
export function whenSignedOut(fn) {
	onSignedOut = fn;
}

// A key that makes a changing call safe to repeat (a double click, a
// retry after a lost answer). crypto.randomUUID needs a secure context;
// getRandomValues does not.
export function idempotencyKey() {
	const b = crypto.getRandomValues(new Uint8Array(16));
	return 'console-' + [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
}

// request('GET', '/v1/contacts', {query, json, body, type, key, raw})
export async function request(method, path, opts = {}) {
	const headers = {};
	let body;
	if (opts.json !== undefined) {
		headers['Content-Type'] = 'application/json';
		body = JSON.stringify(opts.json);
	} else if (opts.body !== undefined) {
		headers['Content-Type'] = opts.type || 'application/octet-stream';
		body = opts.body;
	}
	if (method !== 'GET' && method !== 'HEAD' && csrf)
		headers['X-CSRF-Token'] = csrf;
	if (opts.key)
		headers['Idempotency-Key'] = opts.key;
	const url = withQuery(path, opts.query);
	let res;
	try {
		res = await fetch(url, { method, headers, body, credentials: 'same-origin' });
	} catch (e) {
		throw new ApiError(0, null, null);
	}
	if (opts.raw && res.ok)
		return res;
	if (res.status === 204)
		return null;
	let parsed = null;
	const ctype = res.headers.get('Content-Type') || '';
	if (ctype.includes('json')) {
		try {
			parsed = await res.json();
		} catch (e) {
			parsed = null;
		}
	}
	if (!res.ok) {
		const err = new ApiError(res.status, parsed && parsed.error, parsed);
		if (res.status === 401 && !path.startsWith('/console/session'))
			onSignedOut();
		throw err;
	}
	return parsed;
}

export function withQuery(path, query) {
	if (!query)
		return path;
	const q = new URLSearchParams();
	for (const [k, v] of Object.entries(query)) {
		if (v === null || v === undefined || v === '' || (Array.isArray(v) && !v.length))
			continue;
		q.set(k, Array.isArray(v) ? v.join(',') : String(v));
	}
	const s = q.toString();
	return s ? path + '?' + s : path;
}

export const get = (path, query) => request('GET', path, { query });
export const post = (path, json, opts = {}) => request('POST', path, { ...opts, json });

// The session: {name, role, csrf, expires_at, now} or null when not signed in.
export async function session() {
	try {
		const s = await request('GET', '/console/session');
		csrf = s.csrf;
		setClock(s.now);
		return s;
	} catch (e) {
		if (e.status === 401)
			return null;
		throw e;
	}
}

export async function signIn(credentials) {
	const s = await request('POST', '/console/session', { json: credentials });
	csrf = s.csrf;
	setClock(s.now);
	return s;
}

export async function signOut() {
	try {
		await request('DELETE', '/console/session');
	} finally {
		csrf = null;
	}
}

// Saves an answer as a file (CSV, DHIS2) without leaving the page.
export function saveFile(blob, name) {
	const url = URL.createObjectURL(blob);
	const a = document.createElement('a');
	a.href = url;
	a.download = name;
	a.hidden = true;
	document.body.append(a);
	a.click();
	a.remove();
	setTimeout(() => URL.revokeObjectURL(url), 10000);
}
