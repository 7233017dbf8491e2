// The account screen (`#/account`): the login sessions (the current one marked, the others
// revocable), the API tokens (created with scopes and an expiry, shown once with the ready
// settings of PicList / PicGo / ShareX / Typora, revocable) and the password change.

import { api, ApiError } from './api.js';
import { h, setText, setPlainText, uid, clear } from './dom.js';
import { errorKey } from './i18n.js';
import { getSession } from './session.js';
import { confirmDialog } from './dialog.js';
import { copyButton } from './widgets.js';

const SCOPES = ['read', 'upload', 'delete', 'admin'];
const EXPIRIES = [['never', ''], ['30d', 2592000], ['90d', 7776000], ['1y', 31536000]];

const FIELD_LABELS = {
  name: 'account.token.name',
  scopes: 'account.token.scopes',
  expiresIn: 'account.token.expiry',
  oldPassword: 'account.password.old',
  newPassword: 'account.password.new',
};

/**
 * A server's validation reason (English) as an i18n key with params.
 * @param {string} reason
 * @returns {{key: string, params?: Record<string, unknown>}}
 */
function reasonKey(reason = '') {
  let m;
  if ((m = /limit of (\d+) tokens/.exec(reason))) return { key: 'account.reason.tokenLimit', params: { n: Number(m[1]) } };
  if ((m = /(\d+) to (\d+) characters/.exec(reason))) return { key: 'account.reason.range', params: { min: Number(m[1]), max: Number(m[2]) } };
  if ((m = /at least (\d+)/.exec(reason))) return { key: 'account.reason.min', params: { n: Number(m[1]) } };
  if ((m = /at most (\d+)/.exec(reason))) return { key: 'account.reason.max', params: { n: Number(m[1]) } };
  if (/at least one scope/.test(reason)) return { key: 'account.reason.scopeNeeded' };
  if (/control characters/.test(reason)) return { key: 'account.reason.control' };
  if (/between 1 and/.test(reason)) return { key: 'account.reason.expiry' };
  return { key: 'account.reason.invalid' };
}

/**
 * A short name for a user agent: `Chrome · Linux`; the whole string when nothing is known.
 * @param {string} ua
 * @returns {string}
 */
function deviceName(ua) {
  const browsers = [[/Edg\//, 'Edge'], [/OPR\//, 'Opera'], [/Firefox\//, 'Firefox'], [/HeadlessChrome\//, 'HeadlessChrome'],
    [/Chrome\//, 'Chrome'], [/Safari\//, 'Safari'], [/curl\//, 'curl'], [/PicGo|PicList|ShareX|Typora/, null]];
  const systems = [[/Android/, 'Android'], [/iPhone|iPad|iOS/, 'iOS'], [/Windows/, 'Windows'], [/Mac OS X|Macintosh/, 'macOS'],
    [/CrOS/, 'ChromeOS'], [/Linux/, 'Linux']];
  let browser = null;
  for (const [re, name] of browsers) {
    const m = re.exec(ua);
    if (m) {
      browser = name || m[0];
      break;
    }
  }
  const os = systems.find(([re]) => re.test(ua))?.[1];
  if (!browser) return ua.length > 60 ? `${ua.slice(0, 57)}…` : ua;
  return os ? `${browser} · ${os}` : browser;
}

/**
 * Show a failed request in an element: the code's message, and for `validation_failed` one
 * line per field and reason, all in the chosen language.
 * @param {HTMLElement} el
 * @param {unknown} err
 */
function showError(el, err) {
  const e = err instanceof ApiError ? err : { code: 'unknown' };
  delete el.dataset.i18n;
  delete el.dataset.i18nParams;
  clear(el);
  const head = h('span');
  const ek = errorKey(e);
  setText(head, ek.key, ek.params);
  el.append(head);
  const fields = e.code === 'validation_failed' && Array.isArray(e.data?.fields) ? e.data.fields : [];
  if (fields.length) {
    el.append(
      h(
        'ul',
        { class: 'field-errors' },
        fields.map((f) => {
          const rk = reasonKey(f.reason);
          return h('li', {
            dataset: { field: f.field || '' },
            t: 'account.fieldError',
            tp: {
              field: FIELD_LABELS[f.field] ? { key: FIELD_LABELS[f.field] } : f.field || '',
              reason: { key: rk.key, params: rk.params },
            },
          });
        }),
      ),
    );
  }
  el.dataset.state = 'error';
  el.hidden = false;
}

/**
 * Build the account screen.
 * @param {{getUser: () => {role?: string}}} opts
 * @returns {{element: HTMLElement, destroy: () => void}}
 */
export function createAccount({ getUser }) {
  let alive = true;
  const origin = location.origin;

  // ------------------------------------------------------------ sessions
  const sessionList = h('ul', { class: 'account-list', testid: 'session-list', 'aria-labelledby': 'sessions-title' });
  const sessionError = h('p', { class: 'form-error', role: 'alert', hidden: true });
  const sessionsPanel = h(
    'section',
    { class: 'panel', 'aria-labelledby': 'sessions-title' },
    h('h2', { id: 'sessions-title', class: 'panel-title', t: 'account.sessions.title' }),
    h('p', { class: 'hint', t: 'account.sessions.hint' }),
    sessionError,
    sessionList,
  );

  async function loadSessions() {
    sessionError.hidden = true;
    try {
      const data = await api('/auth/sessions');
      if (!alive) return;
      const items = (data.items || []).slice().sort((a, b) => (b.current ? 1 : 0) - (a.current ? 1 : 0)
        || String(b.lastSeen).localeCompare(String(a.lastSeen)));
      sessionList.replaceChildren(...items.map(sessionItem));
    } catch (e) {
      if (alive && getSession()) showError(sessionError, e);
    }
  }

  function sessionItem(s) {
    const device = h('span', { class: 'account-item-name' });
    if (s.userAgent) {
      setPlainText(device, deviceName(s.userAgent));
      device.title = s.userAgent;
    } else {
      // The phone profile's listing is slim (id, current, lastSeen): no device to name.
      setText(device, 'userAgent' in s ? 'account.sessions.unknownDevice' : 'account.sessions.session');
    }
    const full = 'createdAt' in s || 'ip' in s;
    const meta = h('span', {
      class: 'account-item-meta',
      t: full ? 'account.sessions.meta' : 'account.sessions.metaSeen',
      tp: { ip: s.ip || { key: 'common.unknown' }, created: { date: s.createdAt }, seen: { date: s.lastSeen } },
    });
    const li = h(
      'li',
      { class: 'account-item', testid: 'session-item', 'data-current': s.current ? 'true' : 'false', 'data-id': s.id },
      h('div', { class: 'account-item-text' }, device, s.current ? h('span', { class: 'badge', t: 'account.sessions.current' }) : null, meta),
    );
    if (!s.current) {
      const btn = h('button', {
        type: 'button',
        class: 'btn btn-small btn-danger',
        testid: 'session-revoke',
        t: 'account.revoke',
        ta: { 'aria-label': 'account.sessions.revokeAria' },
        tp: {
          name: s.userAgent ? deviceName(s.userAgent) : { key: 'userAgent' in s ? 'account.sessions.unknownDevice' : 'account.sessions.session' },
          seen: { date: s.lastSeen },
        },
      });
      btn.addEventListener('click', async () => {
        const yes = await confirmDialog({ title: 'account.sessions.confirm', body: 'account.sessions.confirmBody', yes: 'account.revoke', no: 'account.keep' });
        if (!yes) return;
        btn.disabled = true;
        try {
          await api(`/auth/sessions/${encodeURIComponent(s.id)}`, { method: 'DELETE' });
          li.remove();
        } catch (e) {
          btn.disabled = false;
          if (getSession()) showError(sessionError, e);
        }
      });
      li.append(btn);
    }
    return li;
  }

  // ------------------------------------------------------------ tokens
  const nameId = uid('token-name');
  const expiryId = uid('token-expiry');
  const nameInput = /** @type {HTMLInputElement} */ (
    h('input', { id: nameId, class: 'input', testid: 'token-name', autocomplete: 'off', maxlength: 64, ta: { placeholder: 'account.token.namePlaceholder' } })
  );
  const isAdmin = getUser()?.role === 'admin';
  const scopeBoxes = new Map();
  const scopeChecks = SCOPES.filter((s) => s !== 'admin' || isAdmin).map((scope) => {
    const id = uid(`scope-${scope}`);
    const box = /** @type {HTMLInputElement} */ (
      h('input', { type: 'checkbox', id, class: 'checkbox', testid: `token-scope-${scope}`, value: scope, props: { checked: scope === 'upload' } })
    );
    scopeBoxes.set(scope, box);
    // The whole label takes the tap (a phone's 44 px target), not only the box.
    return h('label', { class: 'check', for: id }, box, h('span', { t: `account.scope.${scope}` }));
  });
  const expirySelect = /** @type {HTMLSelectElement} */ (
    h('select', { id: expiryId, class: 'input', testid: 'token-expiry' }, EXPIRIES.map(([k, v]) => h('option', { value: String(v), t: `account.expiry.${k}` })))
  );
  const createBtn = h('button', { type: 'submit', class: 'btn btn-primary', testid: 'token-create', t: 'account.token.create' });
  const tokenError = h('div', { class: 'form-error', role: 'alert', hidden: true, testid: 'token-error' });
  const tokenForm = h(
    'form',
    { class: 'account-form', testid: 'token-form', novalidate: true, 'aria-labelledby': 'token-form-title' },
    h('h3', { id: 'token-form-title', class: 'account-subtitle', t: 'account.token.new' }),
    h('div', { class: 'field' }, h('label', { for: nameId, t: 'account.token.name' }), nameInput),
    h('fieldset', { class: 'scopes' }, h('legend', { t: 'account.token.scopes' }), h('div', { class: 'scope-checks' }, scopeChecks)),
    h('div', { class: 'field' }, h('label', { for: expiryId, t: 'account.token.expiry' }), expirySelect),
    tokenError,
    h('div', { class: 'form-actions' }, createBtn),
  );
  const created = h('div', { class: 'token-created', hidden: true });
  const tokenList = h('ul', { class: 'account-list', testid: 'token-list', 'aria-labelledby': 'tokens-list-title' });
  const tokenListError = h('p', { class: 'form-error', role: 'alert', hidden: true });
  const tokensPanel = h(
    'section',
    { class: 'panel', 'aria-labelledby': 'tokens-title' },
    h('h2', { id: 'tokens-title', class: 'panel-title', t: 'account.tokens.title' }),
    h('p', { class: 'hint', t: 'account.tokens.hint' }),
    tokenForm,
    created,
    h('h3', { id: 'tokens-list-title', class: 'account-subtitle', t: 'account.tokens.list' }),
    tokenListError,
    tokenList,
  );

  async function loadTokens() {
    tokenListError.hidden = true;
    try {
      const data = await api('/auth/tokens');
      if (!alive) return;
      const items = data.items || [];
      tokenList.replaceChildren(...(items.length ? items.map(tokenItem) : [h('li', { class: 'account-empty', t: 'account.tokens.none' })]));
    } catch (e) {
      if (alive && getSession()) showError(tokenListError, e);
    }
  }

  function tokenItem(tk) {
    const scopes = (tk.scopes || []).map((s) => h('span', { class: 'badge', t: `account.scope.${s}` }));
    const meta = h('span', {
      class: 'account-item-meta',
      t: 'account.tokens.meta',
      tp: {
        created: { date: tk.createdAt },
        used: tk.lastUsed ? { date: tk.lastUsed } : { key: 'account.tokens.neverUsed' },
        expires: tk.expiresAt ? { date: tk.expiresAt } : { key: 'account.expiry.never' },
      },
    });
    const btn = h('button', {
      type: 'button',
      class: 'btn btn-small btn-danger',
      testid: 'token-revoke',
      t: 'account.revoke',
      ta: { 'aria-label': 'account.tokens.revokeAria' },
      tp: { name: tk.name },
    });
    const li = h(
      'li',
      { class: 'account-item', testid: 'token-item', 'data-id': tk.id, 'data-name': tk.name },
      h('div', { class: 'account-item-text' }, h('span', { class: 'account-item-name', text: tk.name }), h('span', { class: 'badges' }, scopes), meta),
      btn,
    );
    btn.addEventListener('click', async () => {
      const yes = await confirmDialog({ title: 'account.tokens.confirm', titleParams: { name: tk.name }, body: 'account.tokens.confirmBody', yes: 'account.revoke', no: 'account.keep' });
      if (!yes) return;
      btn.disabled = true;
      try {
        await api(`/auth/tokens/${encodeURIComponent(tk.id)}`, { method: 'DELETE' });
        li.remove();
        if (!tokenList.children.length) tokenList.append(h('li', { class: 'account-empty', t: 'account.tokens.none' }));
      } catch (e) {
        btn.disabled = false;
        if (getSession()) showError(tokenListError, e);
      }
    });
    return li;
  }

  function toolBlock(tool, text, extra = null) {
    const id = uid(`tool-${tool}`);
    const pre = h('pre', { class: 'tool-text', id, testid: `settings-${tool}`, t: `account.tools.${tool}.text`, tp: text });
    return h(
      'div',
      { class: 'tool', 'data-tool': tool },
      h('h4', { class: 'tool-title', t: `account.tools.${tool}.title` }),
      pre,
      h(
        'div',
        { class: 'tool-actions' },
        copyButton(() => pre.textContent || '', { testid: `settings-copy-${tool}`, aria: `account.tools.${tool}.copyAria` }),
        extra,
      ),
    );
  }

  function showCreated(tk) {
    const secret = h('code', { class: 'token-secret', testid: 'token-secret', id: 'token-secret', text: tk.token });
    const sxcu = h('button', { type: 'button', class: 'btn btn-small', testid: 'settings-sharex-download', t: 'account.tools.sharex.download' });
    const sxcuError = h('span', { class: 'tool-error', role: 'alert' });
    sxcu.addEventListener('click', async () => {
      sxcu.disabled = true;
      setPlainText(sxcuError, '');
      try {
        const res = await fetch('/api/v1/tools/sharex.sxcu', { headers: { Authorization: `Bearer ${tk.token}` } });
        if (!res.ok) {
          let body = null;
          try {
            body = await res.json();
          } catch {
            // no envelope
          }
          throw new ApiError(body?.code || 'bad_response', '', res.status);
        }
        const blob = await res.blob();
        const url = URL.createObjectURL(blob);
        const a = h('a', { href: url, download: 'picgate.sxcu', class: 'offscreen' });
        document.body.append(a);
        a.click();
        a.remove();
        setTimeout(() => URL.revokeObjectURL(url), 10000);
      } catch (e) {
        const ek = errorKey(e instanceof ApiError ? e : { code: 'network_error' });
        setText(sxcuError, ek.key, ek.params);
      } finally {
        sxcu.disabled = false;
      }
    });
    const host = location.host;
    const params = { origin, host, token: tk.token };
    const dismiss = h('button', { type: 'button', class: 'btn btn-small', testid: 'token-dismiss', t: 'account.token.dismiss' });
    dismiss.addEventListener('click', () => {
      created.hidden = true;
      clear(created);
      nameInput.focus();
    });
    created.replaceChildren(
      h('p', { class: 'notice', role: 'status', t: 'account.token.createdNotice', tp: { name: tk.name } }),
      h('p', { class: 'token-label', t: 'account.token.secret' }),
      h('div', { class: 'token-box' }, secret,
        copyButton(() => tk.token, { testid: 'token-copy', aria: 'account.token.copyAria' })),
      h(
        'div',
        { class: 'tools', testid: 'token-settings' },
        h('h3', { class: 'account-subtitle', t: 'account.tools.title' }),
        toolBlock('piclist', params),
        toolBlock('picgo', params),
        toolBlock('sharex', params, [sxcu, sxcuError]),
        toolBlock('typora', params),
      ),
      dismiss,
    );
    created.hidden = false;
    secret.scrollIntoView?.({ block: 'nearest' });
  }

  let creating = false;
  tokenForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (creating) return;
    tokenError.hidden = true;
    const name = nameInput.value.trim();
    const scopes = [...scopeBoxes].filter(([, b]) => b.checked).map(([s]) => s);
    if (!name) {
      setText(tokenError, 'account.token.nameMissing');
      tokenError.hidden = false;
      nameInput.focus();
      return;
    }
    if (!scopes.length) {
      setText(tokenError, 'account.token.scopeMissing');
      tokenError.hidden = false;
      scopeBoxes.values().next().value?.focus();
      return;
    }
    const body = { name, scopes };
    if (expirySelect.value) body.expiresIn = Number(expirySelect.value);
    creating = true;
    createBtn.disabled = true;
    try {
      const tk = await api('/auth/tokens', { method: 'POST', body });
      if (!alive) return;
      nameInput.value = '';
      showCreated(tk);
      loadTokens();
    } catch (err) {
      if (getSession()) showError(tokenError, err);
    } finally {
      creating = false;
      createBtn.disabled = false;
    }
  });

  // ------------------------------------------------------------ password
  const oldInput = /** @type {HTMLInputElement} */ (
    h('input', { id: 'password-old', type: 'password', class: 'input', testid: 'password-old', autocomplete: 'current-password' })
  );
  const newInput = /** @type {HTMLInputElement} */ (
    h('input', { id: 'password-new', type: 'password', class: 'input', testid: 'password-new', autocomplete: 'new-password', minlength: 8, 'aria-describedby': 'password-hint' })
  );
  const pwSubmit = h('button', { type: 'submit', class: 'btn btn-primary', testid: 'password-submit', t: 'account.password.submit' });
  const pwResult = h('div', { class: 'password-result', testid: 'password-result', role: 'status', 'aria-live': 'polite', hidden: true });
  // The login name is there for password managers (what the new password belongs to).
  const userField = h('input', { type: 'text', class: 'offscreen', autocomplete: 'username', tabindex: '-1', 'aria-hidden': 'true', readonly: true });
  userField.value = getUser()?.email || getUser()?.phone || '';
  const pwForm = h(
    'form',
    { class: 'account-form', testid: 'password-form', novalidate: true, 'aria-labelledby': 'password-title' },
    userField,
    h('div', { class: 'field' }, h('label', { for: 'password-old', t: 'account.password.old' }), oldInput),
    h('div', { class: 'field' }, h('label', { for: 'password-new', t: 'account.password.new' }), newInput, h('p', { id: 'password-hint', class: 'hint', t: 'account.password.hint' })),
    pwResult,
    h('div', { class: 'form-actions' }, pwSubmit),
  );
  const passwordPanel = h(
    'section',
    { class: 'panel', 'aria-labelledby': 'password-title' },
    h('h2', { id: 'password-title', class: 'panel-title', t: 'account.password.title' }),
    h('p', { class: 'hint', t: 'account.password.note' }),
    pwForm,
  );

  let changing = false;
  pwForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (changing) return;
    pwResult.hidden = true;
    pwResult.className = 'password-result';
    if (!oldInput.value || !newInput.value) {
      setText(pwResult, 'account.password.missing');
      pwResult.dataset.state = 'error';
      pwResult.className = 'password-result form-error';
      pwResult.hidden = false;
      (oldInput.value ? newInput : oldInput).focus();
      return;
    }
    changing = true;
    pwSubmit.disabled = true;
    try {
      await api('/auth/password', { method: 'PUT', body: { oldPassword: oldInput.value, newPassword: newInput.value } });
      if (!alive) return;
      oldInput.value = '';
      newInput.value = '';
      clear(pwResult);
      setText(pwResult, 'account.password.changed');
      pwResult.dataset.state = 'done';
      pwResult.className = 'password-result notice';
      pwResult.hidden = false;
      loadSessions();
    } catch (err) {
      if (!getSession()) return;
      pwResult.className = 'password-result form-error';
      if (err instanceof ApiError && err.code === 'invalid_credentials') {
        clear(pwResult);
        setText(pwResult, 'account.password.wrongOld');
        pwResult.dataset.state = 'error';
        pwResult.hidden = false;
      } else {
        showError(pwResult, err);
      }
      oldInput.focus();
    } finally {
      changing = false;
      pwSubmit.disabled = false;
    }
  });

  const element = h(
    'div',
    { class: 'account-page', testid: 'account-screen' },
    h('h2', { class: 'visually-hidden', t: 'account.title' }),
    sessionsPanel,
    tokensPanel,
    passwordPanel,
  );

  loadSessions();
  loadTokens();

  return {
    element,
    destroy() {
      alive = false;
    },
  };
}
