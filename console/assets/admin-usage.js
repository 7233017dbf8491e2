// The admin screen's usage: objects and bytes per bucket and per user, biggest first, from the
// overview's `owners` (per-bucket totals are the sum over the owners); objects without a
// recorded owner and those of deleted users get lines of their own. "Recount" rebuilds the
// figures from the storage.

import { api, ApiError } from './api.js';
import { h, setText, uid } from './dom.js';
import { statusLine, showDone, showFailed, clearStatus } from './admin-status.js';

/** Biggest first: bytes, then objects, then name. */
const bigFirst = (a, b) => b.bytes - a.bytes || b.objects - a.objects || String(a.name).localeCompare(String(b.name));

/**
 * What an owner line is called: the user's name, or "no owner" / "deleted user".
 * @param {{userId: string, name: string}} o
 * @returns {{key: string, params?: Record<string, unknown>}|string}
 */
function ownerLabel(o) {
  if (!o.userId) return { key: 'admin.usage.noOwner' };
  if (!o.name) return { key: 'admin.usage.deletedUser', params: { id: o.userId.slice(0, 8) } };
  return o.name;
}

/**
 * @param {import('./admin.js').AdminContext} ctx
 * @returns {{element: HTMLElement, destroy: () => void}}
 */
export function createUsage(ctx) {
  let alive = true;
  const titleId = uid('admin-usage');
  const bucketsTitleId = uid('usage-buckets');
  const usersTitleId = uid('usage-users');
  const status = statusLine('usage-status');
  const recount = h('button', { type: 'button', class: 'btn btn-small', testid: 'usage-recount', t: 'admin.usage.recount' });
  const bucketRows = h('tbody', { testid: 'usage-buckets' });
  const userRows = h('tbody', { testid: 'usage-users' });
  const head = (...cols) => h('thead', {}, h('tr', {}, cols.map(([key, cls]) => h('th', { scope: 'col', class: cls, t: key }))));
  const region = (labelId, table) =>
    h('div', { class: 'admin-table-wrap', role: 'region', tabindex: '0', 'aria-labelledby': labelId }, table);
  const body = h(
    'div',
    { class: 'admin-usage', hidden: true },
    h('h3', { id: bucketsTitleId, class: 'account-subtitle', t: 'admin.usage.byBucket' }),
    region(
      bucketsTitleId,
      h('table', { class: 'admin-table usage-table' },
        head(['admin.usage.col.bucket', 'col-name'], ['admin.usage.col.objects', 'col-num'], ['admin.usage.col.bytes', 'col-num']),
        bucketRows),
    ),
    h('h3', { id: usersTitleId, class: 'account-subtitle', t: 'admin.usage.byUser' }),
    region(
      usersTitleId,
      h('table', { class: 'admin-table usage-table' },
        head(['admin.usage.col.user', 'col-name'], ['admin.usage.col.objects', 'col-num'], ['admin.usage.col.bytes', 'col-num']),
        userRows),
    ),
  );
  const element = h(
    'section',
    { class: 'panel admin-panel', testid: 'admin-usage', 'aria-labelledby': titleId },
    h('div', { class: 'panel-head' }, h('h2', { id: titleId, class: 'panel-title', t: 'admin.usage.title' }), recount),
    h('p', { class: 'hint', t: 'admin.usage.hint' }),
    status,
    body,
  );

  /** The name cell of a row (plain data, or an i18n key for the lines without a user). */
  function nameCell(label, extra) {
    const th = typeof label === 'string'
      ? h('th', { scope: 'row', class: 'col-name', text: label })
      : h('th', { scope: 'row', class: 'col-name', t: label.key, tp: label.params });
    if (extra) th.append(extra);
    return th;
  }

  function figures(objects, bytes) {
    return [
      h('td', { class: 'col-num', testid: 'usage-objects', 'data-value': String(objects), t: 'admin.usage.n', tp: { n: objects } }),
      h('td', { class: 'col-num', testid: 'usage-bytes', 'data-value': String(bytes), t: 'admin.usage.size', tp: { size: { bytes } } }),
    ];
  }

  /**
   * @param {Array<{userId: string, name: string, objects: number, bytes: number,
   *   buckets?: Array<{name: string, objects: number, bytes: number}>}>} owners
   * @param {string[]} names every bucket (those nobody stored anything in show 0)
   */
  function show(owners, names) {
    const perBucket = new Map(names.map((name) => [name, { name, objects: 0, bytes: 0 }]));
    for (const o of owners) {
      for (const b of o.buckets || []) {
        const t = perBucket.get(b.name) || { name: b.name, objects: 0, bytes: 0 };
        t.objects += b.objects;
        t.bytes += b.bytes;
        perBucket.set(b.name, t);
      }
    }
    const buckets = [...perBucket.values()].sort(bigFirst);
    const all = buckets.reduce((a, b) => ({ objects: a.objects + b.objects, bytes: a.bytes + b.bytes }), { objects: 0, bytes: 0 });
    bucketRows.replaceChildren(
      ...buckets.map((b) => h('tr', { testid: 'usage-bucket', 'data-name': b.name }, nameCell(b.name), figures(b.objects, b.bytes))),
      h('tr', { class: 'usage-total', testid: 'usage-total' }, nameCell({ key: 'admin.usage.total' }), figures(all.objects, all.bytes)),
    );
    if (!buckets.length) bucketRows.prepend(h('tr', {}, h('td', { colspan: '3', class: 'account-empty', t: 'admin.usage.none' })));

    const rows = owners.slice().sort(bigFirst);
    userRows.replaceChildren(
      ...rows.map((o) => {
        const where = (o.buckets || []).slice().sort(bigFirst).map((b) =>
          h('li', { t: 'admin.usage.inBucket', tp: { bucket: b.name, objects: { key: 'admin.usage.objects', params: { count: b.objects } }, size: { bytes: b.bytes } } }));
        return h(
          'tr',
          {
            testid: 'usage-user',
            'data-user-id': o.userId,
            'data-kind': !o.userId ? 'none' : !o.name ? 'deleted' : 'user',
            'data-name': o.name || (o.userId ? o.userId.slice(0, 8) : null), // data, not UI text
          },
          nameCell(ownerLabel(o), where.length ? h('ul', { class: 'usage-where' }, where) : null),
          figures(o.objects, o.bytes),
        );
      }),
    );
    if (!rows.length) userRows.append(h('tr', {}, h('td', { colspan: '3', class: 'account-empty', t: 'admin.usage.none' })));
    body.hidden = false;
  }

  async function load() {
    try {
      const [data, known] = await Promise.all([
        api('/overview', { query: { fields: 'owners' } }),
        api('/buckets', { query: { pageSize: 100 } }).catch(() => null),
      ]);
      if (!alive) return false;
      if (Array.isArray(data?.owners)) {
        show(data.owners, (known?.items || []).map((b) => b.name));
        return true;
      }
      // null: the section failed (its error is in `errors`); absent: not served to this user.
      const err = (data?.errors || []).find((e) => e.section === 'owners');
      body.hidden = true;
      if (err) {
        showFailed(status, new ApiError(err.code, err.msg));
      } else {
        setText(status, 'admin.usage.unavailable');
        status.dataset.state = 'error';
      }
    } catch (e) {
      if (alive) showFailed(status, e, ctx);
    }
    return false;
  }

  recount.addEventListener('click', async () => {
    recount.disabled = true;
    setText(recount, 'admin.usage.recounting');
    clearStatus(status);
    try {
      await api('/admin/usage/rebuild', { method: 'POST' });
      if (!alive) return;
      if (await load()) showDone(status, 'admin.usage.recounted');
    } catch (e) {
      if (alive) showFailed(status, e, ctx);
    } finally {
      recount.disabled = false;
      setText(recount, 'admin.usage.recount');
    }
  });

  load();

  return {
    element,
    destroy() {
      alive = false;
    },
  };
}
