// Self-service sign-up on the sign-in card, as the server's `auth.registration` allows:
// `open` (anyone), `invite` (with a single-use invitation code from an administrator) or
// `closed` (no sign-up offered). An administrator's link `#/register?invite=<code>` (or
// `#/register/<code>`) opens the form with the code filled in; `#/register` opens it empty.

import { api, login, ApiError } from './api.js';
import { h, setText, setPlainText, clear } from './dom.js';
import { errorKey } from './i18n.js';

/** @typedef {'open'|'invite'|'closed'} RegistrationMode */

const MODES = new Set(['open', 'invite', 'closed']);

/**
 * The server's registration mode; `closed` when it cannot be asked (sign-in never waits on it).
 * @returns {Promise<RegistrationMode>}
 */
export async function registrationMode() {
  try {
    const data = await api('/auth/registration', { auth: false });
    return MODES.has(data?.mode) ? data.mode : 'closed';
  } catch {
    return 'closed';
  }
}

/**
 * Whether a hash asks for the sign-up form: `#/register`, `#/register?invite=<code>` or
 * `#/register/<code>`.
 * @param {string} [hash]
 * @returns {{code: string}|null}
 */
export function registerLink(hash = location.hash) {
  const m = /^#\/?register(?:\/([^/?#]*))?\/?(?:\?([^#]*))?$/.exec(hash);
  if (!m) return null;
  let code = m[1] || '';
  try {
    code = decodeURIComponent(code);
  } catch {
    // kept as it is
  }
  if (m[2]) code = new URLSearchParams(m[2]).get('invite') || code;
  return { code: code.trim() };
}

/** Marks the history entry the sign-in screen adds when it opens the sign-up form. */
const OPENED_HERE = 'picgate.signUp';

/**
 * Put the sign-up form in the address bar: `#/register` as a new history entry (so that a
 * reload keeps the form and Back returns to sign-in), unless the address asks for the form
 * already (an invitation link keeps its `?invite=`).
 */
export function enterRegisterRoute() {
  if (registerLink()) return;
  history.pushState({ [OPENED_HERE]: true }, '', '#/register');
}

/**
 * Take the sign-up form off the address bar: back to the entry before it when the form added
 * its own (the browser's Back, in effect: a `hashchange` follows), else on to `#/` as a new entry
 * (an invitation link stays one Back away).
 * @returns {boolean} true when the address changes later, with the `hashchange` that follows
 */
export function leaveRegisterRoute() {
  if (!registerLink()) return false;
  if (history.state?.[OPENED_HERE]) {
    history.back();
    return true;
  }
  history.pushState(null, '', '#/');
  return false;
}

/**
 * A code as typed or pasted: a whole invitation link gives its code.
 * @param {string} value
 * @returns {string}
 */
function codeOf(value) {
  const v = value.trim();
  const at = v.indexOf('#/register');
  return at < 0 ? v : registerLink(v.slice(at))?.code || v;
}

/**
 * A server's validation reason (English) as an i18n key with params.
 * @param {string} reason
 * @returns {{key: string, params?: Record<string, unknown>}}
 */
function reasonKey(reason = '') {
  let m;
  if (/E\.164|mainland/.test(reason)) return { key: 'register.reason.phone' };
  if (/valid email/.test(reason)) return { key: 'register.reason.email' };
  if (/must not be empty/.test(reason)) return { key: 'register.reason.empty' };
  if ((m = /at least (\d+) bytes/.exec(reason))) return { key: 'register.reason.minBytes', params: { n: Number(m[1]) } };
  if ((m = /at most (\d+) bytes/.exec(reason))) return { key: 'register.reason.maxBytes', params: { n: Number(m[1]) } };
  if ((m = /at most (\d+) characters/.exec(reason))) return { key: 'register.reason.maxChars', params: { n: Number(m[1]) } };
  if (/control characters/.test(reason)) return { key: 'register.reason.control' };
  if (/NUL/.test(reason)) return { key: 'register.reason.nul' };
  return { key: 'register.reason.invalid' };
}

/**
 * Build the sign-up form.
 * @param {{mode: 'open'|'invite', code?: string, onBack: () => void,
 *          onCreated: (email: string, err: unknown) => void}} opts
 *   onBack: the user goes back to sign-in; onCreated: the account exists but signing in with
 *   it failed (the session listener brings the shell when it works)
 * @returns {{element: HTMLElement, focusFirst: () => void}}
 */
export function registerView({ mode, code = '', onBack, onCreated }) {
  const invite = mode === 'invite';

  /** @type {Array<{name: string, input: HTMLInputElement, hintId: string|null, error: HTMLElement}>} */
  const fields = [];
  const byName = (name) => fields.find((f) => f.name === name);

  function field(name, label, attrs, hint) {
    const id = `register-${name}`;
    const input = /** @type {HTMLInputElement} */ (h('input', { id, name, class: 'input', testid: id, ...attrs }));
    const hintId = hint ? `${id}-hint` : null;
    const error = h('p', { id: `${id}-error`, class: 'field-error', testid: `${id}-error`, role: 'alert', hidden: true });
    if (hintId) input.setAttribute('aria-describedby', hintId);
    const wrap = h(
      'div',
      { class: 'field' },
      h('label', { for: id, t: label }),
      input,
      hint ? h('p', { id: hintId, class: 'hint', t: hint }) : null,
      error,
    );
    const f = { name, input, hintId, error };
    fields.push(f);
    // A field being corrected is no longer marked wrong.
    input.addEventListener('input', () => clearField(f));
    return wrap;
  }

  function clearField(f) {
    f.input.removeAttribute('aria-invalid');
    if (f.hintId) f.input.setAttribute('aria-describedby', f.hintId);
    else f.input.removeAttribute('aria-describedby');
    setPlainText(f.error, '');
    f.error.hidden = true;
  }

  const text = { autocapitalize: 'none', spellcheck: 'false' };
  const invitationField = invite
    ? field('invitation', 'register.invitation', { ...text, autocomplete: 'off', required: true }, 'register.invitationHint')
    : null;
  const nameField = field('name', 'register.name', { autocomplete: 'name', maxlength: 64 }, 'register.nameHint');
  const emailField = field('email', 'register.email', { ...text, type: 'email', autocomplete: 'email', inputmode: 'email', required: true });
  const phoneField = field('phone', 'register.phone', { type: 'tel', autocomplete: 'tel', inputmode: 'tel', required: true }, 'register.phoneHint');
  const passwordField = field('password', 'register.password', { type: 'password', autocomplete: 'new-password', required: true }, 'register.passwordHint');
  const confirmField = field('confirm', 'register.confirm', { type: 'password', autocomplete: 'new-password', required: true });
  if (invite) byName('invitation').input.value = code;

  const formError = h('p', { id: 'register-error', class: 'form-error', testid: 'register-error', role: 'alert', hidden: true });
  const submit = /** @type {HTMLButtonElement} */ (
    h('button', { type: 'submit', class: 'btn btn-primary btn-block', testid: 'register-submit', t: 'register.submit' })
  );
  const back = h('button', { type: 'button', class: 'btn btn-block', testid: 'register-back', t: 'register.back' });
  back.addEventListener('click', () => onBack());

  // novalidate: the messages below speak the console's language, the browser's would not.
  const form = h(
    'form',
    { class: 'login-form register-form', testid: 'register-form', novalidate: true, 'aria-labelledby': 'register-title' },
    invitationField,
    nameField,
    emailField,
    phoneField,
    passwordField,
    confirmField,
    formError,
    submit,
  );

  /** Mark a field as wrong, with a message (or none: the form's message tells why). */
  function fieldError(name, key, params) {
    const f = byName(name);
    if (!f) return false;
    f.input.setAttribute('aria-invalid', 'true');
    const described = [f.hintId];
    if (key) {
      setText(f.error, key, params);
      f.error.hidden = false;
      described.push(f.error.id);
    } else {
      described.push(formError.id);
    }
    f.input.setAttribute('aria-describedby', described.filter(Boolean).join(' '));
    return true;
  }

  function showFormError(key, params, details = []) {
    clear(formError);
    formError.append(h('span', { t: key, tp: params }));
    if (details.length) formError.append(h('ul', { class: 'field-errors' }, details));
    formError.hidden = false;
  }

  function clearErrors() {
    for (const f of fields) clearField(f);
    clear(formError);
    formError.hidden = true;
  }

  /** Focus the first field (in the form's order) marked wrong. */
  function focusInvalid() {
    const f = fields.find((x) => x.input.getAttribute('aria-invalid') === 'true');
    if (f) {
      f.input.focus();
      f.input.select?.();
    } else {
      submit.focus();
    }
  }

  function showApiError(err) {
    const e = err instanceof ApiError ? err : { code: 'unknown' };
    const ek = errorKey(e);
    switch (e.code) {
      case 'invitation_required':
      case 'invalid_invitation':
        if (!fieldError('invitation', ek.key, ek.params)) showFormError(ek.key, ek.params);
        break;
      case 'account_exists':
        showFormError(ek.key, ek.params);
        fieldError('email');
        fieldError('phone');
        break;
      case 'validation_failed': {
        const list = Array.isArray(e.data?.fields) ? e.data.fields : [];
        const others = [];
        for (const f of list) {
          const rk = reasonKey(f.reason);
          if (!fieldError(f.field, rk.key, rk.params)) {
            others.push(h('li', { t: 'register.fieldError', tp: { field: String(f.field || ''), reason: { key: rk.key, params: rk.params } } }));
          }
        }
        if (others.length || !list.length) showFormError(ek.key, ek.params, others);
        break;
      }
      default:
        showFormError(ek.key, ek.params);
    }
    focusInvalid();
  }

  let busy = false;
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (busy) return;
    clearErrors();
    const v = Object.fromEntries(fields.map((f) => [f.name, f.input.value]));
    const invitation = invite ? codeOf(v.invitation) : '';
    if (invite && invitation !== v.invitation) byName('invitation').input.value = invitation;
    const email = v.email.trim();
    const phone = v.phone.trim();
    const name = v.name.trim();
    // The same checks in the form's order; every missing field at once.
    if (invite && !invitation) fieldError('invitation', 'register.missing.invitation');
    if (!email) fieldError('email', 'register.missing.email');
    if (!phone) fieldError('phone', 'register.missing.phone');
    if (!v.password) fieldError('password', 'register.missing.password');
    else if (!v.confirm) fieldError('confirm', 'register.missing.confirm');
    else if (v.confirm !== v.password) fieldError('confirm', 'register.mismatch');
    if (fields.some((f) => f.input.getAttribute('aria-invalid') === 'true')) {
      focusInvalid();
      return;
    }

    /** @type {Record<string, string>} */
    const body = { phone, email, password: v.password };
    if (name) body.name = name;
    if (invite) body.invitation = invitation;
    busy = true;
    submit.disabled = true;
    setText(submit, 'register.submitting');
    try {
      await api('/auth/register', { method: 'POST', body, auth: false });
    } catch (err) {
      busy = false;
      submit.disabled = false;
      setText(submit, 'register.submit');
      showApiError(err);
      return;
    }
    // The code is spent: off the address bar, whatever comes next.
    if (registerLink()) history.replaceState(null, '', '#/');
    try {
      await login(email, v.password);
      // The session listener in app.js swaps in the shell.
    } catch (err) {
      busy = false;
      onCreated(email, err);
    }
  });

  const element = h(
    'section',
    { class: 'login-view', testid: 'register-view', 'aria-labelledby': 'register-title' },
    h('h1', { id: 'register-title', class: 'login-title', t: 'register.title' }),
    h('p', { class: 'login-sub', t: invite ? 'register.subtitleInvite' : 'register.subtitle' }),
    form,
    h('div', { class: 'login-switch' }, h('p', { t: 'register.haveAccount' }), back),
  );

  return {
    element,
    /** Focus the first field still empty (the code from a link is filled in already). */
    focusFirst() {
      (fields.find((x) => !x.input.value) || fields[0]).input.focus();
    },
  };
}
