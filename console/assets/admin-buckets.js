// The admin screen's buckets: each bucket's policy (public-read or private) with a control to
// change it — making one public only after a confirmation — and its limits (largest object,
// allowed types, who may replace and delete) and storage.

import { api, bucketPath } from './api.js';
import { h, setText, uid } from './dom.js';
import { confirmDialog } from './dialog.js';
import { statusLine, showDone, showFailed, clearStatus } from './admin-status.js';

/**
 * @param {import('./admin.js').AdminContext} ctx
 * @returns {{element: HTMLElement, destroy: () => void}}
 */
export function createBuckets(ctx) {
  let alive = true;
  const titleId = uid('admin-buckets');
  const status = statusLine('buckets-status');
  // The phone profile lists buckets by name and policy only: their limits need the wide layout.
  const narrow = h('p', { class: 'hint', testid: 'buckets-limits-wide', hidden: true, t: 'admin.buckets.limitsWide' });
  const list = h('ul', { class: 'admin-cards', testid: 'bucket-list', 'aria-labelledby': titleId });
  const element = h(
    'section',
    { class: 'panel admin-panel', testid: 'admin-buckets', 'aria-labelledby': titleId },
    h('h2', { id: titleId, class: 'panel-title', t: 'admin.buckets.title' }),
    h('p', { class: 'hint', t: 'admin.buckets.hint' }),
    narrow,
    status,
    list,
  );

  async function load() {
    clearStatus(status);
    try {
      const data = await api('/buckets', { query: { pageSize: 100 } });
      if (!alive) return;
      const items = data.items || [];
      list.replaceChildren(...(items.length ? items.map(card) : [h('li', { class: 'account-empty', t: 'shell.noBuckets' })]));
      narrow.hidden = !items.some((b) => !('maxObjectBytes' in b));
    } catch (e) {
      if (alive) showFailed(status, e, ctx);
    }
  }

  /** A fact line of a card: a label and a value (an i18n key with params, or plain text). */
  function fact(labelKey, value, testid) {
    const dd = typeof value === 'string' ? h('dd', { testid, text: value }) : h('dd', { testid, t: value.key, tp: value.params });
    return h('div', { class: 'fact' }, h('dt', { t: labelKey }), dd);
  }

  function card(initial) {
    let b = initial;
    const nameId = uid('bucket-name');
    const policy = h('span', { class: 'badge', testid: 'bucket-policy' });
    const policyText = h('p', { class: 'hint' });
    const toggle = h('button', { type: 'button', class: 'btn btn-small', testid: 'bucket-policy-toggle' });
    const result = statusLine('bucket-result');
    const facts = h('dl', { class: 'admin-facts' });
    if ('maxObjectBytes' in b) {
      facts.append(fact('admin.buckets.maxSize', { key: 'admin.buckets.bytes', params: { size: { bytes: b.maxObjectBytes } } }, 'bucket-max-size'));
    }
    if (Array.isArray(b.allowedTypes)) {
      const any = !b.allowedTypes.length || b.allowedTypes.includes('*/*');
      facts.append(fact('admin.buckets.types', any ? { key: 'admin.buckets.anyType' } : b.allowedTypes.join(', '), 'bucket-types'));
    }
    if (b.write === 'owner' || b.write === 'shared') {
      facts.append(fact('admin.buckets.write', { key: `admin.buckets.write.${b.write}` }, 'bucket-write'));
    }
    if (typeof b.backend === 'string' && b.backend) {
      const known = ['fs', 's3', 'cos'].includes(b.backend);
      facts.append(fact('admin.buckets.backend', known ? { key: `admin.buckets.backend.${b.backend}` } : b.backend, 'bucket-backend'));
    }
    const li = h(
      'li',
      { class: 'admin-card', testid: 'bucket-card', 'data-name': b.name },
      h('div', { class: 'admin-card-head' }, h('h3', { id: nameId, class: 'admin-card-title', text: b.name }), policy),
      policyText,
      facts.children.length ? facts : null,
      h('div', { class: 'admin-actions' }, toggle),
      result,
    );

    function paint() {
      const pub = b.policy !== 'private';
      li.dataset.policy = b.policy || '';
      setText(policy, pub ? 'admin.buckets.public' : 'admin.buckets.private');
      policy.classList.toggle('badge-public', pub);
      setText(policyText, pub ? 'admin.buckets.publicText' : 'admin.buckets.privateText');
      toggle.dataset.i18nAttrs = JSON.stringify({ 'aria-label': pub ? 'admin.buckets.makePrivateAria' : 'admin.buckets.makePublicAria' });
      setText(toggle, pub ? 'admin.buckets.makePrivate' : 'admin.buckets.makePublic', { name: b.name });
      toggle.classList.toggle('btn-danger', !pub); // opening a bucket to everyone is the risky way
    }
    paint();

    toggle.addEventListener('click', async () => {
      const next = b.policy === 'private' ? 'public-read' : 'private';
      if (next === 'public-read') {
        const yes = await confirmDialog({
          title: 'admin.buckets.publicConfirm',
          titleParams: { name: b.name },
          body: 'admin.buckets.publicBody',
          yes: 'admin.buckets.makePublicYes',
          no: 'admin.buckets.keepPrivate',
        });
        if (!yes || !alive) return;
      }
      toggle.disabled = true;
      clearStatus(result);
      try {
        const data = await api(bucketPath(b.name, '/policy'), { method: 'PUT', body: { policy: next } });
        if (!alive) return;
        b = { ...b, ...(data && typeof data === 'object' ? data : {}), policy: data?.policy || next };
        paint();
        showDone(result, b.policy === 'private' ? 'admin.buckets.nowPrivate' : 'admin.buckets.nowPublic', { name: b.name });
        ctx.onBucketsChanged();
      } catch (e) {
        if (alive) showFailed(result, e, ctx);
      } finally {
        toggle.disabled = false;
      }
    });
    return li;
  }

  load();

  return {
    element,
    destroy() {
      alive = false;
    },
  };
}
