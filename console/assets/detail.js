// The detail panel of one object: preview, facts (size, type, dimensions, owner, uploaded,
// ETag), the four copy buttons (signed links for private buckets) and delete.
// A non-modal side panel on a wide screen, a full-screen sheet on a phone; focus moves into
// it on open and back to the item on close; Escape closes it.

import { api, bucketPath, encodeKey, ApiError } from './api.js';
import { h, clear, setText, setPlainText, icon } from './dom.js';
import { errorKey } from './i18n.js';
import { linkBox } from './links.js';
import { thumbnail } from './thumbs.js';
import { confirmDialog } from './dialog.js';

const FACTS = [
  ['key', 'detail.key'],
  ['size', 'detail.size'],
  ['contentType', 'detail.type'],
  ['dimensions', 'detail.dimensions'],
  ['owner', 'detail.owner'],
  ['lastModified', 'detail.modified'],
  ['etag', 'detail.etag'],
];

/**
 * @param {{getUser: () => ({id?: string}|null), isPrivate: (bucket: string) => boolean,
 *          mayDelete: (bucket: string, owner: string|null|undefined) => boolean,
 *          ownerName: (id: string) => Promise<string|null>,
 *          onDeleted: (bucket: string, key: string) => void,
 *          onInfo: (item: any) => void, onClose: () => void,
 *          setModal: (modal: boolean) => void}} opts
 * @returns {{element: HTMLElement, open: (bucket: string, item: any, opener?: HTMLElement) => void,
 *            close: () => void, current: () => ({bucket: string, key: string}|null)}}
 */
export function createDetail({ getUser, isPrivate, mayDelete, ownerName, onDeleted, onInfo, onClose, setModal }) {
  const title = h('h2', { id: 'detail-title', class: 'detail-title' });
  const closeBtn = h(
    'button',
    { type: 'button', class: 'btn btn-icon', testid: 'detail-close', ta: { 'aria-label': 'detail.close' } },
    icon('close'),
  );
  const preview = h('div', { class: 'detail-preview' });
  const facts = h('dl', { class: 'detail-facts' });
  /** @type {Record<string, HTMLElement>} */
  const values = {};
  for (const [field, label] of FACTS) {
    values[field] = h('dd', { 'data-field': field });
    facts.append(h('div', { class: 'fact' }, h('dt', { t: label }), values[field]));
  }
  const status = h('p', { class: 'detail-status', role: 'status' });
  const links = h('div', { class: 'detail-links' });
  const error = h('p', { class: 'form-error', role: 'alert', hidden: true });
  const del = h('button', {
    type: 'button',
    class: 'btn btn-danger',
    testid: 'delete-object',
    t: 'detail.delete',
    'aria-describedby': 'detail-delete-hint',
  });
  const delHint = h('p', { id: 'detail-delete-hint', class: 'hint', testid: 'delete-hint', t: 'detail.deleteNotYours', hidden: true });

  const element = h(
    'div',
    {
      class: 'detail-panel',
      testid: 'detail-panel',
      role: 'dialog',
      'aria-modal': 'false',
      'aria-labelledby': 'detail-title',
      hidden: true,
    },
    h('div', { class: 'detail-head' }, h('div', {}, h('p', { class: 'detail-kicker', t: 'detail.title' }), title), closeBtn),
    preview,
    facts,
    status,
    links,
    h('div', { class: 'detail-actions' }, del, delHint),
    error,
  );

  /** @type {{bucket: string, item: any, opener?: HTMLElement, gen: number}|null} */
  let cur = null;
  let gen = 0;

  function fill(item) {
    const user = getUser();
    setPlainText(values.key, item.key);
    if (typeof item.size === 'number') setText(values.size, 'detail.sizeValue', { size: { bytes: item.size }, exact: item.size });
    else setText(values.size, 'common.unknown');
    if (item.contentType) setPlainText(values.contentType, item.contentType);
    else setText(values.contentType, 'common.unknown');
    if (item.width && item.height) setText(values.dimensions, 'detail.dimensionsValue', { width: item.width, height: item.height });
    else setText(values.dimensions, 'common.unknown');
    if (item.owner && user?.id && item.owner === user.id) setText(values.owner, 'detail.ownerYou');
    else if (item.owner) showOwner(item.owner);
    else if (item.owner === null) setText(values.owner, 'detail.ownerNone');
    else setText(values.owner, 'common.unknown');
    if (item.lastModified) setText(values.lastModified, 'detail.date', { date: { date: item.lastModified } });
    else setText(values.lastModified, 'common.unknown');
    if (item.etag) setPlainText(values.etag, item.etag);
    else setText(values.etag, 'common.unknown');
    // What is not known (a file without dimensions, the slim h5 answers) is left out.
    for (const dd of Object.values(values)) {
      /** @type {HTMLElement} */ (dd.parentElement).hidden = dd.dataset.i18n === 'common.unknown';
    }
  }

  /** Another user: their name where this user may know it (administrators), else "another user". */
  function showOwner(id) {
    setText(values.owner, 'detail.ownerOther');
    const mine = gen;
    ownerName(id).then((name) => {
      if (mine === gen && name) setPlainText(values.owner, name);
    });
  }

  /** Delete is offered to whom the server would let delete; the server decides either way. */
  function offerDelete(bucket, item) {
    const may = mayDelete(bucket, item.owner);
    del.disabled = !may;
    delHint.hidden = may;
  }

  function showPreview(item, bucket) {
    clear(preview);
    const img = thumbnail(item, { isPrivate: isPrivate(bucket), variant: 'auto' });
    img.classList.add('preview-img');
    if (item.url && !isPrivate(bucket)) {
      preview.append(h('a', { href: item.url, target: '_blank', rel: 'noopener', class: 'preview-link', ta: { 'aria-label': 'detail.openOriginal' } }, img));
    } else {
      preview.append(img);
    }
  }

  /**
   * Open the panel for an object; its facts are completed from
   * `GET /buckets/{bucket}/info/{key}`. The panel shows once they are there (or after a
   * moment, with what the listing knew and a loading note), so it does not flash half-empty.
   * @param {string} bucket
   * @param {any} item a listing item (key, name, url, size, …)
   * @param {HTMLElement} [opener] gets the focus back on close
   */
  async function open(bucket, item, opener) {
    gen += 1;
    const mine = gen;
    cur = { bucket, item, opener, gen: mine };
    const asked = api(bucketPath(bucket, `/info/${encodeKey(item.key)}`)).then(
      (info) => ({ info }),
      (err) => ({ err }),
    );
    const early = await Promise.race([asked, new Promise((r) => setTimeout(() => r(null), 1200))]);
    if (mine !== gen) return;
    show(bucket, item);
    if (!early) setText(status, 'detail.loading');
    const res = early || (await asked);
    if (mine !== gen) return;
    let full = item;
    if (res.info) {
      full = { ...item, ...res.info, key: item.key, name: item.name, url: res.info.url || item.url };
      cur.item = full;
      fill(full);
      offerDelete(bucket, full);
      setPlainText(status, '');
      onInfo(full);
    } else {
      const ek = errorKey(res.err instanceof ApiError ? res.err : { code: 'unknown' });
      setText(status, ek.key, ek.params);
    }
    // A private object's links are signed by the server: when it could not even describe the
    // object, its status line says why once, rather than the link box saying it again.
    if (full.url && (res.info || !isPrivate(bucket))) {
      links.append(linkBox({ bucket, key: full.key, isPrivate: isPrivate(bucket), object: full }));
    }
  }

  function show(bucket, item) {
    setPlainText(title, item.name || item.key.split('/').pop());
    error.hidden = true;
    offerDelete(bucket, item);
    clear(links);
    setPlainText(status, '');
    fill(item);
    showPreview(item, bucket);
    const wasHidden = element.hidden;
    element.hidden = false;
    setModal(true);
    if (wasHidden || !element.contains(document.activeElement)) closeBtn.focus();
  }

  function close() {
    if (!cur) return;
    const opener = cur.opener;
    cur = null;
    gen += 1;
    element.hidden = true;
    clear(preview);
    clear(links);
    setModal(false);
    onClose();
    if (opener && opener.isConnected) opener.focus();
    else document.getElementById('main')?.focus(); // the item is gone (deleted)
  }

  closeBtn.addEventListener('click', close);

  const onKey = (e) => {
    if (e.key !== 'Escape' || !cur || e.defaultPrevented) return;
    if (document.querySelector('dialog[open]')) return; // the confirmation handles its Escape
    e.preventDefault();
    close();
  };
  document.addEventListener('keydown', onKey);

  del.addEventListener('click', async () => {
    if (!cur) return;
    const { bucket, item } = cur;
    const ok = await confirmDialog({
      title: 'confirm.deleteOne.title',
      titleParams: { name: item.name || item.key },
      body: 'confirm.deleteOne.body',
    });
    if (!ok || !cur || cur.item.key !== item.key) return;
    del.disabled = true;
    error.hidden = true;
    try {
      await api(bucketPath(bucket, `/objects/${encodeKey(item.key)}`), { method: 'DELETE' });
      onDeleted(bucket, item.key);
      close();
    } catch (e) {
      offerDelete(bucket, item);
      const ek = errorKey(e instanceof ApiError ? e : { code: 'unknown' });
      setText(error, ek.key, ek.params);
      error.hidden = false;
      del.focus();
    }
  });

  return {
    element,
    open,
    close,
    current: () => (cur ? { bucket: cur.bucket, key: cur.item.key } : null),
    destroy() {
      document.removeEventListener('keydown', onKey);
    },
  };
}
