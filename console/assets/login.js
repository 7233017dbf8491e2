// The login screen.

import { login, ApiError } from './api.js';
import { h, setText } from './dom.js';
import { errorKey } from './i18n.js';
import { langSwitch } from './widgets.js';

/**
 * Build the login screen.
 * @param {{notice?: string|null}} [opts] notice: why we are here (`ended`: the server ended the
 *   session; `logout`: the user signed out)
 * @returns {HTMLElement}
 */
export function loginScreen({ notice = null } = {}) {
  const idInput = /** @type {HTMLInputElement} */ (
    h('input', {
      id: 'login-id',
      name: 'login',
      class: 'input',
      testid: 'login-id',
      autocomplete: 'username',
      inputmode: 'email',
      autocapitalize: 'none',
      spellcheck: 'false',
      'aria-describedby': 'login-error',
    })
  );
  const pwInput = /** @type {HTMLInputElement} */ (
    h('input', {
      id: 'login-password',
      name: 'password',
      type: 'password',
      class: 'input',
      testid: 'login-password',
      autocomplete: 'current-password',
      'aria-describedby': 'login-error',
    })
  );
  const error = h('p', { id: 'login-error', class: 'form-error', testid: 'login-error', role: 'alert', hidden: true });
  const submit = /** @type {HTMLButtonElement} */ (
    h('button', { type: 'submit', class: 'btn btn-primary btn-block', testid: 'login-submit', t: 'login.submit' })
  );
  const noticeEl =
    notice === 'ended' || notice === 'logout'
      ? h('p', { class: 'notice', testid: 'login-notice', role: 'status', t: notice === 'ended' ? 'login.sessionEnded' : 'login.loggedOut' })
      : null;

  // novalidate: the browser's own validation bubbles speak the browser's language, not the
  // console's; the checks below speak the chosen one.
  const form = h(
    'form',
    { class: 'login-form', testid: 'login-form', novalidate: true, 'aria-labelledby': 'login-title' },
    h('div', { class: 'field' }, h('label', { for: 'login-id', t: 'login.id' }), idInput),
    h('div', { class: 'field' }, h('label', { for: 'login-password', t: 'login.password' }), pwInput),
    error,
    submit,
  );

  let busy = false;
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (busy) return;
    const id = idInput.value.trim();
    const pw = pwInput.value;
    if (!id || !pw) {
      setText(error, 'login.missing');
      error.hidden = false;
      (id ? pwInput : idInput).focus();
      return;
    }
    busy = true;
    submit.disabled = true;
    setText(submit, 'login.submitting');
    error.hidden = true;
    try {
      await login(id, pw);
      // The session listener in app.js swaps in the shell.
    } catch (err) {
      const ek = errorKey(err instanceof ApiError ? err : { code: 'unknown' });
      setText(error, ek.key, ek.params);
      error.hidden = false;
      pwInput.select();
      pwInput.focus();
    } finally {
      busy = false;
      if (submit.isConnected) {
        submit.disabled = false;
        setText(submit, 'login.submit');
      }
    }
  });

  const screen = h(
    'main',
    { class: 'login-page', id: 'main', tabindex: '-1' },
    h(
      'div',
      { class: 'login-card' },
      h(
        'div',
        { class: 'login-brand' },
        h('img', { src: new URL('./icons/logo.svg', import.meta.url).href, alt: '', width: 40, height: 40 }),
        h('span', { class: 'brand-name', t: 'app.brand' }),
      ),
      h('h1', { id: 'login-title', class: 'login-title', t: 'login.title' }),
      h('p', { class: 'login-sub', t: 'login.subtitle' }),
      noticeEl,
      form,
      h('div', { class: 'login-lang' }, langSwitch()),
    ),
  );
  queueMicrotask(() => idInput.focus());
  return screen;
}
