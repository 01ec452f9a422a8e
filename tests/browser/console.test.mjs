// The web console in a real browser (Debian's Chromium through
// playwright-core), against a running gateway with a seeded scenario
// (tests/integration/test_console.c sets the stage and runs this). Prints
// one line per step, "ok - …" or "not ok - … reason", saves a screenshot
// of a failing page into $AMUDDU_ARTEFACTS, and exits 1 on any failure.
//
// Environment: AMUDDU_URL, CHROMIUM, AMUDDU_BROWSER_DEPS, AMUDDU_ARTEFACTS,
// AMUDDU_AGENT_LOGIN, AMUDDU_AGENT_PASSWORD, AMUDDU_AGENT_TOKEN,
// AMUDDU_MONITORING_TOKEN, AMUDDU_ADMIN_TOKEN, AMUDDU_EXPECT (a JSON file:
// from, to, campaign {id, name}, reach {period, kind, sex, city, locale},
// funnel, inbox [{id, text}]).
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const DEPS = process.env.AMUDDU_BROWSER_DEPS || path.join(REPO, '.deps', 'browser');
const require = createRequire(path.join(DEPS, 'package.json'));
const { chromium } = require('playwright-core');
const AXE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

const env = (name) => {
	const v = process.env[name];
	if (!v) {
		console.log(`not ok - environment: ${name} is not set`);
		process.exit(2);
	}
	return v;
};
const URL_ = env('AMUDDU_URL').replace(/\/$/, '');
const EXPECT = JSON.parse(fs.readFileSync(env('AMUDDU_EXPECT'), 'utf8'));
const ARTEFACTS = process.env.AMUDDU_ARTEFACTS || fs.mkdtempSync(path.join(os.tmpdir(), 'amuddu-console-'));
fs.mkdirSync(ARTEFACTS, { recursive: true });
const INDICATORS = ['sent', 'delivered', 'read', 'reached', 'replied', 'informed', 'referred', 'opted_out'];
const ARABIC = /[\u0600-\u06FF]/;
const STARTED = Date.now();

let failures = 0;
const pageErrors = []; // uncaught exceptions in the console's own code
let current = null; // the page a failing step is shown by
const strings = {}; // the catalogs, as the console gets them

async function step(name, fn) {
	const t0 = Date.now();
	const errorsBefore = pageErrors.length;
	try {
		await fn();
		check(pageErrors.length === errorsBefore, `the page threw: ${pageErrors.slice(errorsBefore).join('; ')}`);
		console.log(`ok - ${name} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
	} catch (e) {
		failures++;
		const reason = String((e && e.message) || e).split('\n').slice(0, 6).join(' | ');
		console.log(`not ok - ${name}: ${reason}`);
		if (current) {
			const file = path.join(ARTEFACTS, `failed-${failures}.png`);
			await current.screenshot({ path: file, fullPage: true }).catch(() => {});
			console.log(`#   screenshot: ${file}`);
		}
	}
}

function check(cond, what) {
	if (!cond)
		throw new Error(what);
}

// A count as shown (1 234, 1,234) against the API's (a number or "<5").
function sameCount(shown, expected) {
	if (typeof expected === 'number')
		return shown.replace(/[^\d]/g, '') === String(expected);
	return shown.trim() === String(expected);
}

function s(lang, key) {
	return (strings[lang] && strings[lang][key]) || key;
}

async function newPage(browser, { width = 1280, height = 800, lang = 'fr' } = {}) {
	const context = await browser.newContext({
		viewport: { width, height }, locale: lang === 'ar' ? 'ar-MA' : 'fr-FR', acceptDownloads: true,
		// A device set to a zone far from Morocco's: the console must schedule and show the programme's
		// time (the campaign of step 4 would start nine hours late on the device's).
		timezoneId: 'Asia/Tokyo',
	});
	const page = await context.newPage();
	page.setDefaultTimeout(15000);
	page.on('pageerror', (e) => pageErrors.push(e.message));
	current = page;
	return page;
}

async function go(page, hash) {
	await page.goto(`${URL_}/console/${hash}`);
	await page.locator('#main h1').first().waitFor();
}

async function signIn(page, how) {
	await go(page, '');
	await page.locator('#signin-login').waitFor();
	if (how.token) {
		await page.locator('input[name="method"][value="token"]').check();
		await page.fill('#signin-token', how.token);
	} else {
		await page.fill('#signin-login', how.login);
		await page.fill('#signin-password', how.password);
	}
	await page.locator('form button[type="submit"]').click();
	await page.locator('.header__user').waitFor();
}

async function textOf(locator) {
	return (await locator.textContent()).trim();
}

// A reach table's rows against the API's answer: each value's row, each
// indicator's cell, and the totals.
async function checkReachTable(page, dim, report) {
	const box = page.locator(`#reach-${dim}`);
	await box.locator('table').waitFor();
	for (const row of report.rows) {
		const tr = box.locator(`tbody tr[data-value="${String(row[dim]).replace(/"/g, '\\"')}"]`);
		check(await tr.count() === 1, `by ${dim}: no row for ${row[dim]}`);
		for (const k of INDICATORS) {
			const shown = await textOf(tr.locator(`[data-col="${k}"]`));
			check(sameCount(shown, row[k]), `by ${dim}, ${row[dim]}, ${k}: shown ${shown}, expected ${row[k]}`);
		}
	}
	for (const k of INDICATORS) {
		const shown = await textOf(box.locator(`tfoot [data-col="${k}"]`));
		check(sameCount(shown, report.totals[k]), `by ${dim}, total ${k}: shown ${shown}, expected ${report.totals[k]}`);
	}
}

async function chartsLoaded(page) {
	const imgs = page.locator('img.chart');
	const n = await imgs.count();
	check(n >= 3, `${n} charts on the dashboard, expected 3 (a chart that failed is replaced by a message)`);
	for (let i = 0; i < n; i++) {
		const img = imgs.nth(i);
		await page.waitForFunction((el) => el.complete, await img.elementHandle(), { timeout: 15000 });
		const [w, alt, by] = await img.evaluate((el) => [el.naturalWidth, el.alt, el.dataset.by]);
		check(w > 0, `the chart by ${by} did not load`);
		check(alt && alt.length > 20, `the chart by ${by} has no useful alt text`);
	}
}

const browser = await chromium.launch({
	executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: ['--no-sandbox'],
});
for (const lang of ['fr', 'ar', 'en'])
	strings[lang] = (await (await fetch(`${URL_}/console/i18n/${lang}.json`)).json()).strings;

const tag = 'essai-' + STARTED.toString(36);
const shot = { campaign: null, thread: null, contact: null };

await step('1. without a session: sign-in page, /v1 refused, a room shows sign-in', async () => {
	const page = await newPage(browser);
	const res = await page.goto(`${URL_}/console/`);
	const csp = res.headers()['content-security-policy'] || '';
	check(csp.includes("script-src 'self'") && csp.includes("default-src 'none'"), `CSP header: ${csp}`);
	await page.locator('#signin-login').waitFor();
	check(await textOf(page.locator('h1')) === s('fr', 'console.signin.title'), 'the heading is not the sign-in title');
	await page.keyboard.press('Tab');
	check(await page.evaluate(() => document.activeElement.id) === 'skip' && await page.locator('#skip').isVisible(),
		'the first Tab does not show the skip link');
	await page.locator('form button[type="submit"]').click();
	const summary = page.locator('.error-summary');
	await summary.waitFor();
	check(await summary.evaluate((el) => el === document.activeElement), 'the error summary does not take the focus');
	check(await summary.locator('a[href="#signin-login"]').count() === 1, 'the error summary does not link to the login field');
	check(await page.getAttribute('#signin-login', 'aria-invalid') === 'true'
		&& await page.locator('[data-field="signin-login"] .error-message').count() === 1, 'no error next to the login field');
	const status = await page.evaluate(() => fetch('/v1/contacts').then((r) => r.status));
	check(status === 401, `fetch /v1/contacts from the page answered ${status}`);
	const posted = await page.evaluate(() => fetch('/v1/segments', {
		method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"text":"x"}',
	}).then((r) => r.status));
	check(posted === 401 || posted === 403, `POST /v1/segments without a session answered ${posted}`);
	await go(page, '#/contacts');
	await page.locator('#signin-login').waitFor();
	check(await page.locator('table').count() === 0, 'a table is shown without a session');
	await page.context().close();
});

await step('2. monitoring: dashboard numbers for this month, funnel, charts, no agent rooms', async () => {
	const page = await newPage(browser);
	await signIn(page, { token: env('AMUDDU_MONITORING_TOKEN') });
	await page.locator('#reach-sex').waitFor();
	check(await page.locator('.nav a[href="#/contacts"], .nav a[href="#/inbox"], .nav a[href="#/campaigns"]').count() === 0,
		'a monitoring user sees contacts, campaigns or inbox in the menu');
	await page.selectOption('#r-type', 'month');
	await page.fill('#r-month', EXPECT.from.slice(0, 7));
	await page.locator('form.period button[type="submit"]').click();
	await page.waitForURL(/type=month/);
	for (const dim of ['sex', 'kind', 'city', 'locale'])
		await checkReachTable(page, dim, EXPECT.reach[dim]);
	await page.selectOption('#funnel-campaign', EXPECT.campaign.id);
	check((await textOf(page.locator('#funnel-campaign option:checked'))) === EXPECT.campaign.name,
		'the funnel picker does not name the campaign');
	await page.locator('#reach-funnel button[type="submit"]').click();
	const funnel = page.locator(`.funnel[data-campaign="${EXPECT.campaign.id}"]`);
	await funnel.waitFor();
	for (const [k, v] of Object.entries(EXPECT.funnel.people)) {
		const shown = await textOf(funnel.locator(`tr[data-indicator="${k}"] [data-col="people"]`));
		check(sameCount(shown, v), `funnel ${k}: shown ${shown}, expected ${v}`);
	}
	for (const [k, v] of Object.entries(EXPECT.funnel.messages)) {
		const shown = await textOf(funnel.locator(`tr[data-state="${k}"] [data-col="messages"]`));
		check(sameCount(shown, v), `funnel messages ${k}: shown ${shown}, expected ${v}`);
	}
	const recipients = await textOf(funnel.locator('[data-key="recipients"] dd'));
	check(sameCount(recipients, EXPECT.funnel.audience.recipients), `funnel recipients: ${recipients}`);
	await chartsLoaded(page);
	await go(page, '#/contacts');
	check(await textOf(page.locator('h1')) === s('fr', 'console.forbidden.title'), 'contacts did not refuse a monitoring user');
	await go(page, '#/inbox');
	check(await textOf(page.locator('h1')) === s('fr', 'console.forbidden.title'), 'the inbox did not refuse a monitoring user');
	const st = await page.evaluate(() => fetch('/v1/contacts').then((r) => r.status));
	check(st === 403, `/v1/contacts as monitoring answered ${st}`);
	await page.context().close();
});

const people = [
	['0612009101', 'Benali', 'Zaynab', 'fr', 'Rabat', 'f'],
	['0612009102', 'Ouédraogo', 'Issa', 'ar', 'Salé', 'm'],
	['12345', 'Faux', 'Numéro', 'fr', 'Rabat', 'm'],
	['0612009103', 'Kamara', 'Awa', 'ary-Latn', 'Rabat', 'f'],
];

await step('3. agent (named login): CSV import with a dry run, its refused row, confirm, search masked', async () => {
	const page = await newPage(browser);
	await signIn(page, { login: env('AMUDDU_AGENT_LOGIN'), password: env('AMUDDU_AGENT_PASSWORD') });
	check(await page.locator('.nav a[href="#/reach"]').count() === 0, 'an agent sees the dashboard in the menu');
	const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'amuddu-csv-')), 'contacts.csv');
	fs.writeFileSync(file, 'téléphone;nom;prénom;langue;ville;sexe;consentement;tags\n'
		+ people.map((p) => [...p, 'oui', tag].join(';')).join('\n') + '\n');
	await go(page, '#/contacts/import');
	await page.setInputFiles('#import-file', file);
	await page.locator('form button[type="submit"]').click();
	await page.locator('tr[data-line]').first().waitFor();
	const bad = page.locator('tr[data-line="4"]');
	check(await bad.count() === 1, 'no error shown for line 4 (the number 12345)');
	const reason = await textOf(bad.locator('[data-col="reason"]'));
	check(reason === s('fr', 'console.csv.phone_invalid'), `the reason of line 4 is not in French: "${reason}"`);
	const column = await textOf(bad.locator('[data-col="column"]'));
	check(/phone|téléphone/.test(column), `the column of line 4 is ${column}`);
	const heads = await page.locator('thead th').allTextContents();
	check(heads.includes(s('fr', 'console.import.line')) && heads.includes(s('fr', 'console.import.reason')),
		`the error table's headings: ${heads}`);
	check(sameCount(await textOf(page.locator('[data-key="created"] dd')), 3), 'the dry run does not say 3 would be created');
	check(sameCount(await textOf(page.locator('[data-key="refused"] dd')), 1), 'the dry run does not say 1 is refused');
	await page.locator('.button-group button').first().click();
	await page.locator('.panel[role="status"]').waitFor();
	check(sameCount(await textOf(page.locator('[data-key="created"] dd')), 3), 'the import did not create 3 contacts');
	await go(page, '#/contacts');
	await page.fill('#f-q', 'Zaynab');
	await page.locator('form[role="search"] button[type="submit"]').click();
	const row = page.locator('tbody tr', { hasText: 'Zaynab' });
	await row.first().waitFor();
	const number = await textOf(row.first().locator('[data-col="phone"]'));
	check(/\*{3,}/.test(number) && !number.includes('612009101'), `the number is not masked: ${number}`);
	shot.contact = '/contacts/' + await row.first().getAttribute('data-id');
	current = page;
	shot.agent = page;
});

await step('4. composer: three languages, live SMS counter, audience, cost, schedule, progress to done', async () => {
	const page = shot.agent;
	check(page, 'no agent session (step 3 failed)');
	await go(page, '#/campaigns/new');
	await page.fill('#c-name', 'Essai navigateur ' + tag);
	await page.selectOption('#c-kind', 'training_offer');
	await page.selectOption('#c-channel', 'sms');
	await page.fill('#c-tags', tag);
	await page.locator('#audience-count[data-recipients="3"]').waitFor();
	const fr = 'Bonjour {first_name}, une formation gratuite en electricite commence lundi a Sale. Repondez 1 pour vous inscrire';
	await page.fill('#text-fr', fr);
	const counter = page.locator('#text-fr-counter');
	await page.locator('#text-fr-counter[data-encoding="gsm7"][data-segments="1"]').waitFor();
	check((await textOf(counter)).includes('GSM-7'), 'the counter does not say GSM-7');
	await page.locator('#text-fr').press('End');
	await page.locator('#text-fr').pressSequentially(' ç');
	await page.locator('#text-fr-counter[data-encoding="ucs2"][data-segments="2"]').waitFor();
	check((await counter.locator('.char').allTextContents()).includes('ç'), 'the counter does not name ç');
	check((await textOf(counter)).includes('UCS-2'), 'the counter does not say UCS-2');
	await page.fill('#text-ar', 'مرحبا {first_name}، تكوين مجاني في الكهرباء بسلا يوم الاثنين.');
	check(await page.getAttribute('#text-ar', 'dir') === 'rtl', 'the Arabic box is not right to left');
	await page.locator('#text-ary-Latn').click();
	await page.keyboard.type('Salam ');
	await page.locator('[data-field="text-ary-Latn"] button[data-placeholder="first_name"]').click();
	await page.keyboard.type(', kayna formation f trisinti f Sla nhar tnin.');
	const ary = await page.inputValue('#text-ary-Latn');
	check(ary === 'Salam {first_name}, kayna formation f trisinti f Sla nhar tnin.', `the placeholder button wrote: ${ary}`);
	await page.locator('#text-ary-Latn-counter[data-encoding="gsm7"]').waitFor();
	// Placeholders the gateway would refuse are named in French next to their field, before any call.
	await page.fill('#text-en', 'Training on {date} for {nom}');
	await page.locator('form button[type="submit"]').last().click();
	const said = (key, name) => s('fr', key).replace('{name}', '\u2068{' + name + '}\u2069');
	await page.locator('#var-date-error').waitFor();
	check((await textOf(page.locator('#var-date-error'))).includes(said('console.composer.var_empty', 'date')),
		`no French error beside the date: ${await textOf(page.locator('#var-date-error'))}`);
	check((await textOf(page.locator('#text-en-error'))).includes(said('console.composer.text_placeholder_unknown', 'nom')),
		`no French error beside the English text: ${await textOf(page.locator('#text-en-error'))}`);
	check(await page.locator('.error-summary li').count() === 2, 'the error summary does not list the two problems');
	await page.fill('#text-en', '');
	await page.locator('form button[type="submit"]').last().click();
	const preview = page.locator('section.preview');
	await preview.locator('[data-key="cost"] dd').waitFor();
	check(sameCount(await textOf(preview.locator('[data-key="recipients"] dd')), 3), 'the preview does not say 3 people');
	check(/\d/.test(await textOf(preview.locator('[data-key="cost"] dd'))), 'no cost in the preview');
	check(/\d/.test(await textOf(preview.locator('[data-key="finishes"] dd'))), 'no finish time in the preview');
	const previewId = await preview.getAttribute('data-campaign');
	await preview.locator('.button-group button').click();
	await page.waitForURL((u) => /#\/campaigns\/[^/]+$/.test(u.hash) && !u.hash.endsWith('/new'));
	shot.campaign = new URL(page.url()).hash.slice(1);
	check(shot.campaign.endsWith(previewId), `the campaign page is not the previewed campaign's: ${shot.campaign}`);
	await page.locator('.progress-box[data-state="done"]').waitFor({ timeout: 90000 });
	check(sameCount(await textOf(page.locator('.progress-box [data-key="sent"] dd')), 3), 'sent is not 3 at the end');
	check(sameCount(await textOf(page.locator('.progress-box [data-key="remaining"] dd')), 0),
		'messages remain at the end');
});

await step('5. inbox: the Arabic conversation right to left, an answer in the thread, closed', async () => {
	const page = shot.agent;
	check(page, 'no agent session (step 3 failed)');
	const conv = EXPECT.inbox.find((c) => ARABIC.test(c.text));
	check(conv, 'the scenario has no conversation in Arabic script');
	await go(page, '#/inbox');
	await page.locator(`li.card[data-id="${conv.id}"] a`).click();
	const text = page.locator('.message__text', { hasText: conv.text.slice(0, 12) }).first();
	await text.waitFor();
	check(await textOf(text) === conv.text, 'the Arabic text is not shown as it was written');
	check(await text.getAttribute('dir') === 'auto', 'the person\'s text has no dir="auto"');
	check(await text.evaluate((el) => getComputedStyle(el).direction === 'rtl' || el.matches(':dir(rtl)')),
		'the Arabic text is not right to left');
	const answer = 'Salam, l\'maktab f Rabat, zanqa 12. Merci ' + tag;
	await page.fill('#reply-text', answer);
	await page.locator('form button[type="submit"]').click();
	await page.locator('.message--out .message__text', { hasText: answer }).waitFor();
	shot.thread = '/inbox/' + conv.id;
	await page.locator('form .button--secondary').click();
	await page.waitForURL(/#\/inbox$/);
	await page.locator('.notice').waitFor();
	// The list is drawn after the notice: the other seeded conversation, still open, says it is there.
	const other = EXPECT.inbox.find((c) => c.id !== conv.id);
	await page.locator(`li.card[data-id="${other.id}"]`).waitFor();
	check(await page.locator(`li.card[data-id="${conv.id}"]`).count() === 0, 'the closed conversation is still listed');
	await page.context().close();
});

// Steps 6 and 7 walk every page as an admin in French and Arabic, at
// phone and desktop sizes: screenshots, horizontal scroll, axe-core.
const PAGES = [
	['signin', null, '#signin-login'],
	['contacts', '#/contacts', '.results table'],
	['contact', () => shot.contact && '#' + shot.contact, 'form [data-field="contact-tags"]'],
	['composer', '#/campaigns/new', '#audience-count[data-state="ready"]'],
	['campaigns', '#/campaigns', 'table'],
	['campaign', () => shot.campaign && '#' + shot.campaign, '.progress-box[data-state]'],
	['inbox', () => shot.thread && '#' + shot.thread, '.thread'],
	['dashboard', '#/reach', '#reach-locale table'],
];
const axeFound = [];
const shots = [];

await step('6. screenshots at 360 and 1280 px in French and Arabic, no horizontal scroll on a phone', async () => {
	const problems = [];
	for (const lang of ['fr', 'ar'])
		for (const [width, height] of [[360, 740], [1280, 800]]) {
			const page = await newPage(browser, { width, height, lang });
			await go(page, '');
			await page.selectOption('#language', lang);
			await page.waitForFunction((l) => document.documentElement.lang === l, lang);
			if (lang === 'ar')
				check(await page.evaluate(() => document.documentElement.dir) === 'rtl', 'the Arabic page is not dir="rtl"');
			for (const [name, where, ready] of PAGES) {
				const hash = typeof where === 'function' ? where() : where;
				if (name !== 'signin' && !(await page.locator('.header__user').count()))
					await signIn(page, { token: env('AMUDDU_ADMIN_TOKEN') });
				if (hash === undefined || (hash === null && name !== 'signin')) {
					problems.push(`${name}: no page to show (an earlier step failed)`);
					continue;
				}
				if (hash)
					await go(page, hash);
				await page.locator(ready).first().waitFor();
				await page.waitForTimeout(300);
				const file = `${name}-${lang}-${width}.png`;
				await page.screenshot({ path: path.join(ARTEFACTS, file), fullPage: true });
				shots.push(file);
				const sw = await page.evaluate(() => document.documentElement.scrollWidth);
				if (width === 360 && sw > 360)
					problems.push(`${file}: the page is ${sw} px wide`);
				if (width === 360)
					axeFound.push([`${name} (${lang})`, await axe(page)]);
			}
			await page.context().close();
		}
	console.log(`#   ${shots.length} screenshots in ${ARTEFACTS}`);
	check(!problems.length, problems.join('; '));
});

async function axe(page) {
	await page.evaluate(AXE);
	const res = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
	return res.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

await step('7. axe-core on every page in French and Arabic: no serious or critical violation', async () => {
	check(axeFound.length, 'no page was checked (step 6 failed early)');
	const bad = [];
	for (const [where, violations] of axeFound)
		for (const v of violations) {
			bad.push(`${where}: ${v.id} (${v.impact})`);
			console.log(`#   ${where}: ${v.id} (${v.impact}) ${v.help}`);
			for (const n of v.nodes.slice(0, 3))
				console.log(`#     ${n.target.join(' ')}: ${n.failureSummary.replace(/\n/g, ' ')}`);
		}
	console.log(`#   ${axeFound.length} pages checked`);
	current = null;
	check(!bad.length, bad.join('; '));
});

await step('8. admin: a contact erased after a page that asks to confirm', async () => {
	const page = await newPage(browser);
	await signIn(page, { token: env('AMUDDU_ADMIN_TOKEN') });
	await go(page, '#/contacts?q=Kamara');
	const row = page.locator('tbody tr', { hasText: 'Kamara' }).first();
	await row.waitFor();
	const id = await row.getAttribute('data-id');
	await row.locator('a').first().click();
	await page.locator('a.button--warning').click();
	await page.waitForURL(/\/erase$/);
	check((await textOf(page.locator('h1'))).includes('Kamara'), 'the confirmation page does not name the person');
	await page.locator('button.button--warning').click();
	await page.waitForURL(/#\/contacts$/);
	await page.locator('.notice').waitFor();
	const st = await page.evaluate((x) => fetch('/v1/contacts/' + x).then((r) => r.status), id);
	check(st === 404, `the erased contact still answers ${st}`);
	await page.context().close();
});

await step('9. a campaign\'s moves: pause, resume, cancel asked first (no keeps it, yes cancels it); typing kept across a language change', async () => {
	const page = await newPage(browser);
	await signIn(page, { token: env('AMUDDU_AGENT_TOKEN') });
	// A campaign scheduled for a later day, made through the API as the page's own session.
	const id = await page.evaluate(async (tagName) => {
		const { csrf } = await (await fetch('/console/session')).json();
		const headers = { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf };
		const made = await (await fetch('/v1/campaigns', { method: 'POST', headers, body: JSON.stringify({
			name: 'Journée portes ouvertes ' + tagName, kind: 'event', audience: { tags_any: [tagName] },
			texts: { fr: 'Portes ouvertes samedi.', ar: 'أبواب مفتوحة يوم السبت.', 'ary-Latn': 'Portes ouvertes nhar sebt.' },
			start_at: '2030-01-05T10:00', channel: 'sms' }) })).json();
		await fetch('/v1/campaigns/' + made.id + '/schedule', { method: 'POST', headers, body: '{}' });
		return made.id;
	}, tag);
	// What was typed survives a change of language.
	await go(page, '#/campaigns/new');
	await page.fill('#text-fr', 'Bonjour {first_name}, atelier CV samedi.');
	await page.selectOption('#language', 'ar');
	await page.locator('html[dir="rtl"]').waitFor();
	check(await page.inputValue('#text-fr') === 'Bonjour {first_name}, atelier CV samedi.',
		'the text typed was lost when the language changed');
	await page.selectOption('#language', 'fr');
	await page.locator('html[dir="ltr"]').waitFor();
	const state = () => page.evaluate((x) => fetch('/v1/campaigns/' + x).then((r) => r.json()).then((c) => c.state), id);
	const press = (key) => page.locator('.button-group button', { hasText: s('fr', key) }).click();
	await go(page, '#/campaigns/' + id);
	await page.locator('.progress-box[data-state="scheduled"]').waitFor();
	await press('console.campaign.pause');
	await page.locator('.progress-box[data-state="paused"]').waitFor();
	check(await state() === 'paused', 'the campaign is not paused');
	await press('console.campaign.resume');
	await page.locator('.progress-box[data-state="scheduled"]').waitFor();
	await press('console.campaign.cancel');
	await page.locator('.warning', { hasText: s('fr', 'console.campaign.cancel_confirm') }).waitFor();
	await press('console.campaign.cancel_no');
	await page.locator('.button-group button', { hasText: s('fr', 'console.campaign.pause') }).waitFor();
	check(await state() === 'scheduled', 'saying no cancelled the campaign all the same');
	await press('console.campaign.cancel');
	await press('console.campaign.cancel_yes');
	await page.locator('.progress-box[data-state="cancelled"]').waitFor();
	check(await state() === 'cancelled', 'the campaign is not cancelled');
	check(await page.locator('.button-group button').count() === 0, 'a cancelled campaign still offers moves');
	await page.context().close();
});

await browser.close();
console.log(`# ${failures ? failures + ' failed' : 'all passed'} in ${((Date.now() - STARTED) / 1000).toFixed(0)} s`);
process.exit(failures ? 1 : 0);
