// The admin screen's invitations: single-use sign-up codes (for `auth.registration =
// "invite"`), created with a lifetime and shown with a copy button and a ready sign-up link;
// the open codes listed with their expiry, each withdrawable.

import { api } from './api.js';
import { h, setText, uid } from './dom.js';
import { confirmDialog } from './dialog.js';
import { copyButton } from './widgets.js';
import { statusLine, showDone, showFailed, clearStatus } from './admin-status.js';

/** Lifetimes offered, seconds → i18n key (the server allows 1 s to 30 days). */
const LIFETIMES = [
  [86400, 'admin.invitations.life.1d'],
  [604800, 'admin.invitations.life.7d'],
  [2592000, 'admin.invitations.life.30d'],
];

/**
 * The sign-up link that carries a code (the sign-in screen reads `#/register?invite=`).
 * @param {string} code
 * @returns {string}
 */
export function signupLink(code) {
  return `${location.origin}/#/register?invite=${encodeURIComponent(code)}`;
}

/**
 * @param {import('./admin.js').AdminContext} ctx
 * @returns {{element: HTMLElement, destroy: () => void}}
 */
export function createInvitations(ctx) {
  let alive = true;
  const titleId = uid('admin-invitations');
  const listTitleId = uid('admin-invitations-list');
  const lifeId = uid('invitation-life');

  const mode = h('p', { class: 'hint', testid: 'registration-mode', hidden: true });
  const life = /** @type {HTMLSelectElement} */ (
    h('select', { id: lifeId, class: 'input', testid: 'invitation-lifetime' }, LIFETIMES.map(([s, key]) => h('option', { value: String(s), t: key })))
  );
  life.value = '604800';
  const create = h('button', { type: 'submit', class: 'btn btn-primary', testid: 'invitation-create', t: 'admin.invitations.create' });
  const formStatus = statusLine('invitation-status');
  const form = h(
    'form',
    { class: 'admin-form', testid: 'invitation-form', novalidate: true, 'aria-labelledby': titleId },
    h('div', { class: 'field' }, h('label', { for: lifeId, t: 'admin.invitations.lifetime' }), life),
    h('div', { class: 'form-actions' }, create),
  );
  const created = h('div', { class: 'admin-created', testid: 'invitation-created', hidden: true });
  const list = h('ul', { class: 'account-list', testid: 'invitation-list', 'aria-labelledby': listTitleId });
  const listStatus = statusLine('invitations-status');

  const element = h(
    'section',
    { class: 'panel admin-panel', testid: 'admin-invitations', 'aria-labelledby': titleId },
    h('h2', { id: titleId, class: 'panel-title', t: 'admin.invitations.title' }),
    h('p', { class: 'hint', t: 'admin.invitations.hint' }),
    mode,
    form,
    formStatus,
    created,
    h('h3', { id: listTitleId, class: 'account-subtitle', tabindex: '-1', t: 'admin.invitations.open' }),
    listStatus,
    list,
  );

  async function loadMode() {
    try {
      const data = await api('/auth/registration', { auth: false });
      if (!alive || !data?.mode) return;
      const key = { open: 'admin.invitations.modeOpen', invite: 'admin.invitations.modeInvite', closed: 'admin.invitations.modeClosed' }[data.mode];
      if (!key) return;
      setText(mode, key);
      mode.dataset.mode = data.mode;
      mode.classList.toggle('notice', data.mode !== 'invite');
      mode.hidden = false;
    } catch {
      // an older server does not say: the hint above is enough
    }
  }

  async function load() {
    clearStatus(listStatus);
    try {
      const data = await api('/admin/invitations');
      if (!alive) return;
      const items = data.items || [];
      list.replaceChildren(...(items.length ? items.map(item) : [empty()]));
    } catch (e) {
      if (alive) showFailed(listStatus, e, ctx);
    }
  }

  const empty = () => h('li', { class: 'account-empty', testid: 'invitation-none', t: 'admin.invitations.none' });

  function item(inv) {
    const withdraw = h('button', {
      type: 'button',
      class: 'btn btn-small btn-danger',
      testid: 'invitation-withdraw',
      t: 'admin.invitations.withdraw',
      ta: { 'aria-label': 'admin.invitations.withdrawAria' },
      tp: { code: inv.code },
    });
    const li = h(
      'li',
      { class: 'account-item', testid: 'invitation-item', 'data-code': inv.code, 'data-name': inv.code },
      h(
        'div',
        { class: 'account-item-text' },
        h('code', { class: 'admin-code', text: inv.code }),
        h('span', {
          class: 'account-item-meta',
          t: 'admin.invitations.meta',
          tp: { expires: { date: inv.expiresAt }, created: { date: inv.createdAt } },
        }),
      ),
      withdraw,
    );
    withdraw.addEventListener('click', async () => {
      const yes = await confirmDialog({
        title: 'admin.invitations.withdrawConfirm',
        titleParams: { code: inv.code },
        body: 'admin.invitations.withdrawBody',
        yes: 'admin.invitations.withdraw',
        no: 'confirm.no',
      });
      if (!yes || !alive) return;
      withdraw.disabled = true;
      clearStatus(listStatus);
      try {
        await api(`/admin/invitations/${encodeURIComponent(inv.code)}`, { method: 'DELETE' });
        if (!alive) return;
        showDone(listStatus, 'admin.invitations.withdrawn', { code: inv.code });
        removeItem(li);
      } catch (e) {
        if (!alive) return;
        showFailed(listStatus, e, ctx);
        if (e?.code === 'invitation_not_found') removeItem(li); // used or withdrawn meanwhile
        else withdraw.disabled = false;
      }
    });
    return li;
  }

  function removeItem(li) {
    li.remove();
    if (!list.children.length) list.append(empty());
    /** @type {HTMLElement|null} */ (element.querySelector(`#${listTitleId}`))?.focus();
  }

  function showCreated(inv) {
    const link = signupLink(inv.code);
    created.replaceChildren(
      h('p', { class: 'notice', role: 'status', t: 'admin.invitations.createdNotice', tp: { date: { date: inv.expiresAt } } }),
      h('p', { class: 'token-label', t: 'admin.invitations.code' }),
      h('div', { class: 'token-box' },
        h('code', { class: 'token-secret', testid: 'invitation-code', 'data-name': inv.code, text: inv.code }),
        copyButton(() => inv.code, { testid: 'invitation-copy', aria: 'admin.invitations.copyCodeAria' })),
      h('p', { class: 'token-label', t: 'admin.invitations.link' }),
      h('div', { class: 'token-box' },
        h('code', { class: 'token-secret', testid: 'invitation-link', 'data-name': inv.code, text: link }),
        copyButton(() => link, { testid: 'invitation-link-copy', aria: 'admin.invitations.copyLinkAria' })),
    );
    created.hidden = false;
  }

  let creating = false;
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (creating) return;
    creating = true;
    create.disabled = true;
    clearStatus(formStatus);
    try {
      const inv = await api('/admin/invitations', { method: 'POST', body: { expiresIn: Number(life.value) } });
      if (!alive) return;
      showCreated(inv);
      load();
    } catch (err) {
      if (alive) showFailed(formStatus, err, ctx);
    } finally {
      creating = false;
      create.disabled = false;
    }
  });

  loadMode();
  load();

  return {
    element,
    destroy() {
      alive = false;
    },
  };
}
