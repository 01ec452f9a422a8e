// The sign-in page: a named login (login and password) or a role's access
// token; POST /console/session sets the session cookie.
import * as api from './api.js';
import { t } from './i18n.js';
import { h, heading, field, choices, showErrors, clearErrors, errorText } from './dom.js';

export function render(main, ctx) {
	ctx.setTitle(t('console.signin.title'));
	const login = h('input', { type: 'text', name: 'login', autocomplete: 'username', spellcheck: 'false', autocapitalize: 'none', class: 'input' });
	const password = h('input', { type: 'password', name: 'password', autocomplete: 'current-password', class: 'input' });
	const token = h('input', { type: 'password', name: 'token', autocomplete: 'off', spellcheck: 'false', class: 'input' });
	const method = choices({
		name: 'method', legend: t('console.signin.method'), type: 'radio', checked: ['login'],
		options: [['login', t('console.signin.method_login')], ['token', t('console.signin.method_token')]],
	});
	const loginFields = h('div', { class: 'reveal' },
		field({ id: 'signin-login', label: t('console.signin.login'), control: login }),
		field({ id: 'signin-password', label: t('console.signin.password'), control: password }));
	const tokenFields = h('div', { class: 'reveal', hidden: true },
		field({ id: 'signin-token', label: t('console.signin.token'), hint: t('console.signin.token_hint'), control: token }));
	const submit = h('button', { type: 'submit', class: 'button' }, t('console.signin.submit'));
	const form = h('form', { class: 'form form--narrow', novalidate: true }, method, loginFields, tokenFields, submit);

	const useToken = () => form.querySelector('input[name="method"]:checked').value === 'token';
	method.addEventListener('change', () => {
		loginFields.hidden = useToken();
		tokenFields.hidden = !useToken();
		clearErrors(form);
	});

	form.addEventListener('submit', async (ev) => {
		ev.preventDefault();
		const errors = [];
		let credentials;
		if (useToken()) {
			if (!token.value.trim())
				errors.push({ id: 'signin-token', text: t('console.signin.token_missing') });
			credentials = { token: token.value.trim() };
		} else {
			if (!login.value.trim())
				errors.push({ id: 'signin-login', text: t('console.signin.login_missing') });
			if (!password.value)
				errors.push({ id: 'signin-password', text: t('console.signin.password_missing') });
			credentials = { login: login.value.trim(), password: password.value };
		}
		if (errors.length) {
			showErrors(form, errors);
			return;
		}
		submit.disabled = true;
		try {
			const session = await api.signIn(credentials);
			ctx.done(session, ctx.next);
		} catch (e) {
			let text;
			if (e.status === 401)
				text = t(useToken() ? 'console.signin.token_wrong' : 'console.signin.login_wrong');
			else
				text = errorText(e);
			showErrors(form, [{ id: useToken() ? 'signin-token' : 'signin-login', text }]);
		} finally {
			submit.disabled = false;
		}
	});

	main.append(heading(t('console.signin.title')), h('p', { class: 'lead' }, t('console.signin.intro')), form);
}
