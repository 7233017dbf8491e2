// Status lines of the admin screen: what an action did, or why it failed (by the error's code,
// in the chosen language, following a language switch).

import { ApiError } from './api.js';
import { h, setText, setPlainText } from './dom.js';
import { errorKey } from './i18n.js';
import { getSession } from './session.js';

/**
 * An empty status line (a polite live region that stays in the page, so that what is written
 * into it is announced).
 * @param {string} [testid]
 * @returns {HTMLElement}
 */
export function statusLine(testid) {
  return h('p', { class: 'admin-status', role: 'status', 'aria-live': 'polite', testid });
}

/**
 * Say what an action did.
 * @param {HTMLElement} el a statusLine
 * @param {string} key
 * @param {Record<string, unknown>} [params]
 */
export function showDone(el, key, params) {
  setText(el, key, params);
  el.dataset.state = 'done';
}

/**
 * Say why a request failed. A 403 admin_required means the user administers no more: the
 * context is told (the shell closes the screen). Nothing is shown once the session is gone
 * (the login screen takes over).
 * @param {HTMLElement} el a statusLine
 * @param {unknown} err
 * @param {{onDenied?: () => void}} [ctx]
 */
export function showFailed(el, err, ctx) {
  if (!getSession()) return;
  const e = err instanceof ApiError ? err : { code: 'unknown' };
  const ek = errorKey(e);
  setText(el, ek.key, ek.params);
  el.dataset.state = 'error';
  if (e.code === 'admin_required') ctx?.onDenied?.();
}

/**
 * Empty a status line.
 * @param {HTMLElement} el
 */
export function clearStatus(el) {
  setPlainText(el, '');
  delete el.dataset.state;
}
