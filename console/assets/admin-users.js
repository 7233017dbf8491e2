// The admin screen's users: every account with its role, state and creation date; disable or
// enable it, make it an administrator or a user, delete it after a confirmation. The acting
// administrator's own row keeps its controls disabled (the server refuses those anyway).

import { api } from './api.js';
import { h, setText, uid } from './dom.js';
import { confirmDialog } from './dialog.js';
import { statusLine, showDone, showFailed, clearStatus } from './admin-status.js';

const COLUMNS = [
  ['user', 'admin.users.col.user'],
  ['role', 'admin.users.col.role'],
  ['state', 'admin.users.col.state'],
  ['created', 'admin.users.col.created'],
  ['actions', 'admin.users.col.actions'],
];

/** What a user is called on screen: the name, else the email, else the phone. */
const label = (u) => u.name || u.email || u.phone || u.id;

/**
 * @param {import('./admin.js').AdminContext} ctx
 * @returns {{element: HTMLElement, destroy: () => void}}
 */
export function createUsers(ctx) {
  let alive = true;
  const titleId = uid('admin-users');
  const title = h('h2', { id: titleId, class: 'panel-title', tabindex: '-1', t: 'admin.users.title' });
  const count = h('p', { class: 'hint', testid: 'users-count' });
  const status = statusLine('users-status');
  const reload = h('button', { type: 'button', class: 'btn btn-small', testid: 'users-reload', t: 'admin.reload', ta: { 'aria-label': 'admin.users.reloadAria' } });
  const tbody = h('tbody', { testid: 'user-list' });
  const table = h(
    'table',
    { class: 'admin-table users-table', testid: 'user-table' },
    h('caption', { class: 'visually-hidden', t: 'admin.users.title' }),
    h('thead', {}, h('tr', {}, COLUMNS.map(([col, key]) => h('th', { scope: 'col', class: `col-${col}`, t: key })))),
    tbody,
  );
  const element = h(
    'section',
    { class: 'panel admin-panel', testid: 'admin-users', 'aria-labelledby': titleId },
    h('div', { class: 'panel-head' }, title, reload),
    h('p', { class: 'hint', t: 'admin.users.hint' }),
    count,
    status,
    h('div', { class: 'admin-table-wrap' }, table),
  );

  function showCount() {
    setText(count, 'admin.users.count', { count: tbody.children.length });
  }

  async function load() {
    reload.disabled = true;
    clearStatus(status);
    try {
      const data = await api('/admin/users');
      if (!alive) return;
      tbody.replaceChildren(...(data.items || []).map(row));
      showCount();
    } catch (e) {
      if (alive) showFailed(status, e, ctx);
    } finally {
      reload.disabled = false;
    }
  }
  reload.addEventListener('click', load);

  /** One user's row; it updates itself after each action. */
  function row(initial) {
    let u = initial;
    const me = u.id === ctx.getUser()?.id;
    const name = h('span', { class: 'admin-user-name' });
    const contact = h('span', { class: 'admin-user-contact' });
    const role = h('span', { class: 'badge', testid: 'user-role' });
    const state = h('span', { class: 'badge', testid: 'user-state' });
    const created = h('span', { t: 'admin.date', tp: { date: { date: u.createdAt } } });
    const toggle = h('button', { type: 'button', class: 'btn btn-small', testid: 'user-toggle-disabled' });
    const promote = h('button', { type: 'button', class: 'btn btn-small', testid: 'user-toggle-role' });
    const del = h('button', { type: 'button', class: 'btn btn-small btn-danger', testid: 'user-delete', t: 'admin.users.delete' });
    const result = statusLine('user-result');
    const buttons = [toggle, promote, del];
    let why = null;
    if (me) {
      // Administrators cannot disable, demote or delete themselves: said once, tied to each control.
      const whyId = uid('admin-self');
      why = h('p', { id: whyId, class: 'hint', testid: 'user-self-note', t: 'admin.users.selfNote' });
      for (const b of buttons) {
        b.disabled = true;
        b.setAttribute('aria-describedby', whyId);
      }
    }
    const tr = h(
      'tr',
      { testid: 'user-row', 'data-id': u.id, 'data-self': me ? 'true' : 'false' },
      h(
        'td',
        { class: 'col-user' },
        h('div', { class: 'admin-user' }, name, me ? h('span', { class: 'badge badge-self', t: 'admin.users.you' }) : null),
        contact,
      ),
      h('td', { class: 'col-role', ta: { 'data-label': 'admin.users.col.role' } }, role),
      h('td', { class: 'col-state', ta: { 'data-label': 'admin.users.col.state' } }, state),
      h('td', { class: 'col-created', ta: { 'data-label': 'admin.users.col.created' } }, created),
      h('td', { class: 'col-actions' }, h('div', { class: 'admin-actions' }, buttons), why, result),
    );

    function paint() {
      const params = { name: label(u) };
      tr.dataset.name = label(u); // what the user's data calls it (not UI text)
      tr.dataset.email = u.email || '';
      tr.dataset.role = u.role || '';
      tr.dataset.disabled = u.disabled ? 'true' : 'false';
      name.textContent = label(u);
      contact.textContent = [u.email, u.phone].filter(Boolean).join(' · ');
      setText(role, u.role === 'admin' ? 'admin.users.role.admin' : 'admin.users.role.user');
      role.classList.toggle('badge-admin', u.role === 'admin');
      setText(state, u.disabled ? 'admin.users.state.disabled' : 'admin.users.state.active');
      state.classList.toggle('badge-off', !!u.disabled);
      for (const [btn, key, aria] of [
        [toggle, u.disabled ? 'admin.users.enable' : 'admin.users.disable', u.disabled ? 'admin.users.enableAria' : 'admin.users.disableAria'],
        [promote, u.role === 'admin' ? 'admin.users.makeUser' : 'admin.users.makeAdmin', u.role === 'admin' ? 'admin.users.makeUserAria' : 'admin.users.makeAdminAria'],
        [del, 'admin.users.delete', 'admin.users.deleteAria'],
      ]) {
        btn.dataset.i18nAttrs = JSON.stringify({ 'aria-label': aria });
        setText(btn, key, params);
      }
    }
    paint();

    async function change(body, btn, doneKey) {
      btn.disabled = true;
      clearStatus(result);
      try {
        const next = await api(`/admin/users/${encodeURIComponent(u.id)}`, { method: 'PATCH', body });
        if (!alive) return;
        // The answer is the user as changed (a phone's profile may slim it: keep what was sent).
        u = { ...u, ...body, ...(next && typeof next === 'object' ? next : {}) };
        paint();
        showDone(result, doneKey, { name: label(u) });
      } catch (e) {
        if (alive && !goneMeanwhile(e)) showFailed(result, e, ctx);
      } finally {
        btn.disabled = me;
      }
    }

    toggle.addEventListener('click', () => {
      const disabled = !u.disabled;
      change({ disabled }, toggle, disabled ? 'admin.users.disabledDone' : 'admin.users.enabledDone');
    });
    promote.addEventListener('click', () => {
      const next = u.role === 'admin' ? 'user' : 'admin';
      change({ role: next }, promote, next === 'admin' ? 'admin.users.madeAdmin' : 'admin.users.madeUser');
    });
    del.addEventListener('click', async () => {
      const yes = await confirmDialog({
        title: 'admin.users.deleteConfirm',
        titleParams: { name: label(u) },
        body: 'admin.users.deleteBody',
        yes: 'admin.users.delete',
        no: 'confirm.no',
      });
      if (!yes || !alive) return;
      del.disabled = true;
      clearStatus(result);
      try {
        await api(`/admin/users/${encodeURIComponent(u.id)}`, { method: 'DELETE' });
        if (!alive) return;
        gone();
        showDone(status, 'admin.users.deletedDone', { name: label(u) });
      } catch (e) {
        if (!alive || goneMeanwhile(e)) return;
        showFailed(result, e, ctx);
        del.disabled = false;
      }
    });

    /** A refusal because another administrator deleted the user meanwhile: the row leaves. */
    function goneMeanwhile(e) {
      if (e?.code !== 'user_not_found') return false;
      gone();
      showFailed(status, e, ctx);
      return true;
    }

    /** The row leaves the table; focus goes to the section's title (the line below it says why). */
    function gone() {
      tr.remove();
      showCount();
      title.focus();
    }

    return tr;
  }

  load();

  return {
    element,
    destroy() {
      alive = false;
    },
  };
}
