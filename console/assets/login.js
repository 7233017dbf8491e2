// The login screen: the sign-in form and, when the server's `auth.registration` allows it, the
// sign-up form (register.js) in the same card.

import { login, ApiError } from './api.js';
import { h, setText } from './dom.js';
import { errorKey } from './i18n.js';
import { langSwitch } from './widgets.js';
import { registrationMode, registerLink, registerView, enterRegisterRoute, leaveRegisterRoute } from './register.js';

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

  // Sign-up, offered once the server said it takes it (never in the way of signing in).
  const offerBtn = h('button', { type: 'button', class: 'btn btn-block', testid: 'register-open', t: 'register.open' });
  const offer = h('div', { class: 'login-switch', testid: 'register-offer', hidden: true }, h('p', { t: 'register.offer' }), offerBtn);
  const laterNotice = h('p', { class: 'notice', testid: 'register-notice', role: 'status', hidden: true });

  const signIn = h(
    'section',
    { class: 'login-view', testid: 'login-view', 'aria-labelledby': 'login-title' },
    h('h1', { id: 'login-title', class: 'login-title', t: 'login.title' }),
    h('p', { class: 'login-sub', t: 'login.subtitle' }),
    noticeEl,
    laterNotice,
    form,
    offer,
  );
  const lang = h('div', { class: 'login-lang' }, langSwitch());
  const card = h(
    'div',
    { class: 'login-card' },
    h(
      'div',
      { class: 'login-brand' },
      h('img', { src: new URL('./icons/logo.svg', import.meta.url).href, alt: '', width: 40, height: 40 }),
      h('span', { class: 'brand-name', t: 'app.brand' }),
    ),
    signIn,
    lang,
  );
  const screen = h('main', { class: 'login-page', id: 'main', tabindex: '-1', testid: 'login-screen' }, card);

  /** @type {import('./register.js').RegistrationMode|null} */
  let mode = null;
  /** @type {HTMLElement|null} */
  let signUp = null;

  function showSignUp(code = '') {
    if (mode !== 'open' && mode !== 'invite') return;
    if (signUp) signUp.remove();
    const view = registerView({
      mode,
      code,
      // The address goes back to sign-in; when that is the browser's Back, its hashchange
      // brings the sign-in form.
      onBack: () => {
        if (!leaveRegisterRoute()) showSignIn();
      },
      onCreated: (email, err) => {
        // The account exists; signing in with it did not work (throttled, offline): say so.
        showSignIn({ login: email, notice: 'register.created' });
        const ek = errorKey(err instanceof ApiError ? err : { code: 'unknown' });
        setText(error, ek.key, ek.params);
        error.hidden = false;
        pwInput.focus();
      },
    });
    signUp = view.element;
    card.insertBefore(signUp, lang);
    signIn.hidden = true;
    view.focusFirst();
  }

  /** Back to the sign-in form (the address is the caller's). */
  function showSignIn({ login: id = '', notice: key = '' } = {}) {
    if (signUp) signUp.remove();
    signUp = null;
    signIn.hidden = false;
    if (id) idInput.value = id;
    laterNotice.hidden = !key;
    if (key) setText(laterNotice, key);
    idInput.focus();
  }

  // The form has its address (`#/register`): a reload keeps it, Back returns to sign-in.
  offerBtn.addEventListener('click', () => {
    const link = registerLink(); // a link whose form waited for a sign-in being typed
    if (!link) enterRegisterRoute();
    showSignUp(link?.code || '');
  });

  // The address changed while this screen is up: Back and Forward between sign-in and
  // sign-up, or an invitation link pasted into the address bar.
  const onHash = () => {
    if (!screen.isConnected) {
      window.removeEventListener('hashchange', onHash);
      return;
    }
    if (mode === null) return;
    const link = registerLink();
    if (link) {
      if (mode === 'closed') {
        history.replaceState(null, '', '#/');
        showSignIn({ notice: 'register.unavailable' });
      } else if (!signUp || link.code) {
        showSignUp(link.code); // a form being filled in stays as it is
      }
    } else if (signUp) {
      showSignIn();
    }
  };
  window.addEventListener('hashchange', onHash);

  registrationMode().then((m) => {
    mode = m;
    screen.dataset.registration = m;
    if (!screen.isConnected) return; // signed in meanwhile
    offer.hidden = m === 'closed';
    const link = registerLink();
    if (!link) return;
    if (m === 'closed') {
      history.replaceState(null, '', '#/');
      setText(laterNotice, 'register.unavailable');
      laterNotice.hidden = false;
    } else if (!idInput.value && !pwInput.value) {
      showSignUp(link.code); // unless a sign-in is being typed already
    }
  });

  queueMicrotask(() => idInput.focus());
  return screen;
}
