// Browse a bucket's folder: folders (delimiter `/`), objects with thumbnails, infinite scroll
// over cursor pages, search by prefix within the folder, sort, batch select and delete.

import { api, bucketPath, encodeKey, ApiError } from './api.js';
import { h, clear, setText, setPlainText, icon, debounce } from './dom.js';
import { errorKey } from './i18n.js';
import { confirmDialog } from './dialog.js';
import { thumbnail, releaseThumbnails } from './thumbs.js';
import { browseHref } from './router.js';

/**
 * @typedef {object} Item
 * @property {string} key full key
 * @property {string} name last segment
 * @property {string} [url]
 * @property {number} [size]
 * @property {string} [lastModified]
 * @property {string} [etag]
 * @property {string} [contentType]
 */

/**
 * Normalize one listing page. pc items carry full keys and a `url`; h5 pages carry
 * `keyBase`/`urlBase` once and keys relative to keyBase (README "Client profiles").
 * @param {any} data the listing's data
 * @returns {{items: Item[], folders: string[], nextCursor: string|null}}
 */
export function normalizePage(data) {
  const relative = typeof data.keyBase === 'string';
  const keyBase = relative ? data.keyBase : '';
  const urlBase = typeof data.urlBase === 'string' ? data.urlBase : null;
  const items = (data.items || []).map((it) => {
    const rel = it.key;
    const key = relative ? keyBase + rel : rel;
    return {
      ...it,
      key,
      name: it.name || key.split('/').pop(),
      url: it.url || (urlBase !== null ? urlBase + encodeKey(rel) : undefined),
    };
  });
  const folders = (data.folders || []).map((f) => (relative ? keyBase + f : f));
  return { items, folders, nextCursor: data.nextCursor || null };
}

/**
 * Normalize an upload answer or info answer into a listing item.
 * @param {any} obj
 * @returns {Item}
 */
export function itemOf(obj) {
  return { ...obj, name: obj.name || obj.key.split('/').pop() };
}

/**
 * The browse panel.
 * @param {{onOpen: (item: Item, opener: HTMLElement, bucket: string) => void,
 *          isPrivate: (bucket: string) => boolean,
 *          onActivity?: () => void}} opts onActivity: the user asked for a new listing (another
 *   folder, a search, a refresh); public listings do not look at the token, so the shell
 *   checks the session then
 */
export function createBrowser({ onOpen, isPrivate, onActivity = () => {} }) {
  const state = {
    bucket: '',
    prefix: '',
    search: '',
    sort: 'name',
    /** @type {Map<string, Item>} */
    items: new Map(),
    /** @type {Map<string, HTMLElement>} */
    nodes: new Map(),
    /** @type {Map<string, HTMLElement>} */
    folderNodes: new Map(),
    cursor: null,
    done: false,
    loading: false,
    error: null,
    gen: 0,
    /** @type {AbortController|null} */
    ctrl: null,
    /** @type {Set<string>} */
    selected: new Set(),
    openKey: '',
  };

  const breadcrumb = h('ol', { class: 'breadcrumb-list' });
  const nav = h('nav', { class: 'breadcrumb', ta: { 'aria-label': 'browse.breadcrumb' }, testid: 'breadcrumb' }, breadcrumb);

  const searchId = 'search-prefix';
  const search = /** @type {HTMLInputElement} */ (
    h('input', {
      id: searchId,
      type: 'search',
      class: 'input',
      testid: 'search-prefix',
      autocomplete: 'off',
      spellcheck: 'false',
      ta: { placeholder: 'browse.searchPlaceholder' },
    })
  );
  search.addEventListener(
    'input',
    debounce(() => {
      const v = search.value.replace(/^\/+/, '');
      if (v === state.search) return;
      state.search = v;
      reload();
    }, 300),
  );

  const sort = /** @type {HTMLSelectElement} */ (
    h(
      'select',
      { id: 'sort-select', class: 'input', testid: 'sort-select' },
      h('option', { value: 'name', t: 'browse.sort.name' }),
      h('option', { value: 'time', t: 'browse.sort.time' }),
    )
  );
  sort.addEventListener('change', () => {
    state.sort = sort.value === 'time' ? 'time' : 'name';
    place();
  });

  const selectAll = /** @type {HTMLInputElement} */ (
    h('input', { type: 'checkbox', id: 'select-all', testid: 'select-all', class: 'checkbox' })
  );
  selectAll.addEventListener('change', () => {
    for (const key of state.items.keys()) {
      if (selectAll.checked) state.selected.add(key);
      else state.selected.delete(key);
    }
    for (const [key, li] of state.nodes) {
      const cb = /** @type {HTMLInputElement} */ (li.querySelector('input[type=checkbox]'));
      cb.checked = state.selected.has(key);
    }
    updateSelection();
  });

  const deleteSelected = h('button', {
    type: 'button',
    class: 'btn btn-danger',
    testid: 'delete-selected',
    t: 'browse.deleteSelected',
    tp: { count: 0 },
    disabled: true,
    on: { click: () => batchDelete() },
  });
  const refreshBtn = h('button', {
    type: 'button',
    class: 'btn',
    testid: 'refresh-list',
    t: 'browse.refresh',
    on: { click: () => reload() },
  });

  const note = h('p', { class: 'browse-note', role: 'status', hidden: true });
  const results = h('div', { class: 'batch-results', testid: 'batch-results', hidden: true, tabindex: '-1' });
  const list = h('ul', { class: 'object-list', testid: 'object-list', ta: { 'aria-label': 'browse.listLabel' } });
  const empty = h('p', { class: 'empty', testid: 'list-empty', hidden: true });

  // Only the status text is a live region: the button next to it is no announcement.
  const sentinelText = h('span', { class: 'sentinel-text', role: 'status', testid: 'list-status' });
  const moreBtn = h('button', {
    type: 'button',
    class: 'btn btn-small',
    testid: 'load-more',
    t: 'browse.loadMore',
    hidden: true,
    on: { click: () => loadPage() },
  });
  const sentinel = h('div', { class: 'list-sentinel', testid: 'list-sentinel' }, sentinelText, moreBtn);

  const observer = new IntersectionObserver(
    (entries) => {
      if (entries.some((e) => e.isIntersecting)) loadPage();
    },
    { rootMargin: '600px 0px' },
  );
  observer.observe(sentinel);

  const element = h(
    'section',
    { class: 'panel browse-panel', 'aria-labelledby': 'browse-title' },
    h('div', { class: 'panel-head' }, h('h2', { id: 'browse-title', class: 'panel-title', t: 'browse.title' }), refreshBtn),
    nav,
    h(
      'div',
      { class: 'toolbar' },
      h('div', { class: 'field field-grow' }, h('label', { for: searchId, t: 'browse.search' }), search),
      h('div', { class: 'field' }, h('label', { for: 'sort-select', t: 'browse.sort' }), sort),
      h(
        'div',
        { class: 'toolbar-row' },
        // The whole label takes the tap (a phone's 44 px target), not only the box.
        h('label', { class: 'check', for: 'select-all' }, selectAll, h('span', { t: 'browse.selectAll' })),
        deleteSelected,
      ),
    ),
    note,
    results,
    list,
    empty,
    sentinel,
  );

  function listPrefix() {
    return state.prefix + state.search;
  }

  function renderBreadcrumb() {
    clear(breadcrumb);
    const segs = state.prefix.split('/').filter(Boolean);
    const crumbs = [{ label: state.bucket, prefix: '' }];
    segs.forEach((s, i) => crumbs.push({ label: s, prefix: `${segs.slice(0, i + 1).join('/')}/` }));
    crumbs.forEach((c, i) => {
      const last = i === crumbs.length - 1;
      breadcrumb.append(
        h(
          'li',
          {},
          last
            ? h('span', { 'aria-current': 'page', class: 'crumb-current', text: c.label })
            : h('a', { href: browseHref(state.bucket, c.prefix), class: 'crumb', testid: 'breadcrumb-item', text: c.label }),
        ),
      );
    });
    if (segs.length) {
      breadcrumb.append(
        h(
          'li',
          { class: 'crumb-up' },
          h(
            'a',
            { href: browseHref(state.bucket, segs.length > 1 ? `${segs.slice(0, -1).join('/')}/` : ''), class: 'btn btn-small', testid: 'folder-up' },
            h('span', { t: 'browse.up' }),
          ),
        ),
      );
    }
  }

  /**
   * Show a bucket's folder (a no-op when it is shown already).
   * @param {string} bucket
   * @param {string} prefix `a/b/` or ''
   */
  function show(bucket, prefix) {
    if (bucket === state.bucket && prefix === state.prefix) return;
    state.bucket = bucket;
    state.prefix = prefix;
    state.search = '';
    search.value = '';
    renderBreadcrumb();
    reload();
  }

  /** Start the listing again from its first page. */
  function reload() {
    onActivity();
    state.gen += 1;
    if (state.ctrl) state.ctrl.abort();
    state.ctrl = null;
    state.items.clear();
    state.nodes.clear();
    state.folderNodes.clear();
    state.selected.clear();
    state.cursor = null;
    state.done = false;
    state.loading = false;
    state.error = null;
    results.hidden = true;
    clear(list);
    releaseThumbnails();
    updateSelection();
    updateStatus();
    if (state.bucket) loadPage();
  }

  async function loadPage() {
    if (state.loading || state.done || !state.bucket) return;
    state.loading = true;
    state.error = null;
    updateStatus();
    const gen = state.gen;
    const ctrl = new AbortController();
    state.ctrl = ctrl;
    try {
      const data = await api(bucketPath(state.bucket, '/objects'), {
        query: { prefix: listPrefix(), delimiter: '/', cursor: state.cursor },
        signal: ctrl.signal,
      });
      if (gen !== state.gen) return;
      const page = normalizePage(data);
      for (const f of page.folders) addFolder(f);
      for (const it of page.items) {
        if (!state.items.has(it.key)) addItem(it);
      }
      state.cursor = page.nextCursor;
      state.done = !page.nextCursor;
      place();
    } catch (e) {
      if (gen !== state.gen || (e instanceof ApiError && e.code === 'cancelled')) return;
      state.error = e instanceof ApiError ? e : new ApiError('unknown');
    } finally {
      if (gen === state.gen) {
        state.loading = false;
        state.ctrl = null;
        updateStatus();
        // Still in view after this page (a tall screen, small pages)? Observing again makes the
        // observer report the current state, which loads the next page.
        if (!state.done && !state.error) {
          observer.unobserve(sentinel);
          observer.observe(sentinel);
        }
      }
    }
  }

  function updateStatus() {
    const count = state.items.size + state.folderNodes.size;
    moreBtn.hidden = state.loading || state.done;
    if (state.error) {
      const ek = errorKey(state.error);
      setText(sentinelText, ek.key, ek.params);
      sentinel.dataset.state = 'error';
      setText(moreBtn, 'browse.retry');
      // A folder the server refuses by name (a `..` segment typed into the address) stays
      // refused: no Retry.
      moreBtn.hidden = state.error.code === 'invalid_object_key';
    } else if (state.loading) {
      setText(sentinelText, 'browse.loading');
      sentinel.dataset.state = 'loading';
    } else if (state.done) {
      setText(sentinelText, 'browse.end', { count });
      sentinel.dataset.state = 'done';
    } else {
      setPlainText(sentinelText, '');
      sentinel.dataset.state = 'more';
      setText(moreBtn, 'browse.loadMore');
    }
    const isEmpty = state.done && !state.error && count === 0;
    empty.hidden = !isEmpty;
    if (isEmpty) {
      if (state.search) setText(empty, 'browse.emptySearch', { prefix: state.search });
      else setText(empty, 'browse.empty');
    }
    sentinel.hidden = isEmpty;
    updateNote();
  }

  function updateNote() {
    // Sorting by time needs lastModified, which the slim h5 listing leaves out.
    const missing = state.sort === 'time' && state.items.size > 0 && [...state.items.values()].some((i) => !i.lastModified);
    note.hidden = !missing;
    if (missing) setText(note, 'browse.noTimes');
  }

  function addFolder(prefix) {
    if (state.folderNodes.has(prefix)) return;
    const name = prefix.slice(state.prefix.length).replace(/\/$/, '');
    const li = h(
      'li',
      { class: 'folder-row' },
      h(
        'a',
        {
          href: browseHref(state.bucket, prefix),
          class: 'folder-item',
          testid: 'folder-item',
          'data-prefix': prefix,
          ta: { 'aria-label': 'browse.folderAria' },
          tp: { name },
        },
        icon('folder', 'thumb thumb-icon'),
        h('span', { class: 'object-name', title: name, text: name }),
      ),
    );
    state.folderNodes.set(prefix, li);
  }

  function addItem(item) {
    state.items.set(item.key, item);
    state.nodes.set(item.key, renderItem(item));
  }

  function renderItem(item) {
    const checkbox = /** @type {HTMLInputElement} */ (
      h('input', {
        type: 'checkbox',
        class: 'checkbox select-item',
        testid: 'select-item',
        ta: { 'aria-label': 'browse.selectItem' },
        tp: { name: item.name },
        props: { checked: state.selected.has(item.key) },
      })
    );
    checkbox.addEventListener('change', () => {
      if (checkbox.checked) state.selected.add(item.key);
      else state.selected.delete(item.key);
      updateSelection();
    });
    const meta = h('span', { class: 'object-meta' });
    fillMeta(meta, item);
    // A long name is cut to two lines on the tile (the title and the detail panel give it whole;
    // the button's accessible name keeps all of it).
    const open = h(
      'button',
      { type: 'button', class: 'object-open', testid: 'object-open', 'aria-haspopup': 'dialog' },
      thumbnail(item, { isPrivate: isPrivate(state.bucket) }),
      h('span', { class: 'object-text' }, h('span', { class: 'object-name', testid: 'object-name', title: item.name, text: item.name }), meta),
    );
    // The label around the box is its hit area (44 × 44 px on a phone).
    const li = h('li', { class: 'object-item', testid: 'object-item', 'data-key': item.key }, h('label', { class: 'select-hit' }, checkbox), open);
    open.addEventListener('click', () => {
      setOpen(item.key);
      onOpen(state.items.get(item.key) || item, open, state.bucket);
    });
    return li;
  }

  function fillMeta(meta, item) {
    const parts = [];
    if (typeof item.size === 'number') parts.push({ bytes: item.size });
    if (item.lastModified) parts.push({ date: item.lastModified });
    if (parts.length === 2) setText(meta, 'browse.meta2', { a: parts[0], b: parts[1] });
    else if (parts.length === 1) setText(meta, 'browse.meta1', { a: parts[0] });
  }

  // Name order is the server's (keys in byte order), kept as pages arrive. Time order is
  // sorted here, in the browser, over the items loaded so far: the API lists by key only, so
  // "newest first" covers what has been scrolled in, and later pages are merged in as they
  // come.
  function ordered() {
    const items = [...state.items.values()];
    if (state.sort === 'time') {
      items.sort((a, b) => {
        const ta = a.lastModified ? Date.parse(a.lastModified) : 0;
        const tb = b.lastModified ? Date.parse(b.lastModified) : 0;
        return tb - ta || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
      });
    } else {
      items.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    }
    return items;
  }

  /** Put the nodes in order: folders first (by name), then objects in the chosen order. */
  function place() {
    const folders = [...state.folderNodes.keys()].sort();
    let at = 0;
    const want = [...folders.map((f) => state.folderNodes.get(f)), ...ordered().map((i) => state.nodes.get(i.key))];
    for (const node of want) {
      if (list.children[at] !== node) list.insertBefore(node, list.children[at] || null);
      at += 1;
    }
    while (list.children.length > want.length) list.lastElementChild?.remove();
    updateStatus();
    updateSelection();
  }

  function updateSelection() {
    const n = state.selected.size;
    if (n) setText(deleteSelected, 'browse.deleteSelected', { count: n });
    else setText(deleteSelected, 'browse.deleteNone');
    deleteSelected.disabled = n === 0;
    const total = state.items.size;
    selectAll.checked = total > 0 && n === total;
    selectAll.indeterminate = n > 0 && n < total;
    selectAll.disabled = total === 0;
  }

  function setOpen(key) {
    state.openKey = key;
    for (const [k, li] of state.nodes) li.classList.toggle('is-open', k === key);
  }

  /**
   * Drop objects from the list (deleted).
   * @param {string[]} keys
   */
  function removeKeys(keys) {
    for (const key of keys) {
      state.nodes.get(key)?.remove();
      state.nodes.delete(key);
      state.items.delete(key);
      state.selected.delete(key);
    }
    updateStatus();
    updateSelection();
  }

  /**
   * Take in an object just uploaded (or changed) when it belongs to the shown folder: the
   * object itself, or the subfolder it went into.
   * @param {string} bucket
   * @param {any} obj upload answer
   */
  function addObject(bucket, obj) {
    if (bucket !== state.bucket || !obj?.key) return;
    const key = obj.key;
    if (!key.startsWith(listPrefix())) return;
    const rest = key.slice(state.prefix.length);
    if (rest.includes('/')) {
      addFolder(state.prefix + rest.split('/')[0] + '/');
    } else {
      // Past the last loaded key of an unfinished listing, it comes with a later page.
      const keys = [...state.items.keys()].sort();
      if (!state.done && keys.length && key > keys[keys.length - 1]) return;
      const item = itemOf(obj);
      const old = state.nodes.get(key);
      state.items.set(key, item);
      const li = renderItem(item);
      if (old) old.replaceWith(li);
      state.nodes.set(key, li);
    }
    place();
  }

  /**
   * Update an item with fuller facts (from the detail panel's info call).
   * @param {Item} item
   */
  function updateItem(item) {
    const old = state.items.get(item.key);
    if (!old) return;
    const merged = { ...old, ...item };
    state.items.set(item.key, merged);
    const meta = state.nodes.get(item.key)?.querySelector('.object-meta');
    if (meta) fillMeta(/** @type {HTMLElement} */ (meta), merged);
  }

  async function batchDelete() {
    const keys = [...state.selected];
    if (!keys.length) return;
    const ok = await confirmDialog({
      title: 'confirm.deleteMany.title',
      titleParams: { count: keys.length },
      body: 'confirm.deleteMany.body',
    });
    if (!ok) return;
    const bucket = state.bucket;
    const gen = state.gen;
    deleteSelected.disabled = true;
    /** @type {Array<{key: string, deleted: boolean, code?: string}>} */
    const outcome = [];
    for (let i = 0; i < keys.length; i += 1000) {
      const chunk = keys.slice(i, i + 1000);
      try {
        const data = await api(bucketPath(bucket, '/delete'), { method: 'POST', body: { keys: chunk } });
        outcome.push(...(data.items || []));
      } catch (e) {
        const code = e instanceof ApiError ? e.code : 'unknown';
        for (const key of chunk) outcome.push({ key, deleted: false, code });
      }
    }
    if (gen !== state.gen) return;
    removeKeys(outcome.filter((o) => o.deleted).map((o) => o.key));
    showResults(outcome);
  }

  function showResults(outcome) {
    clear(results);
    const deleted = outcome.filter((o) => o.deleted).length;
    const failed = outcome.length - deleted;
    const rows = outcome.map((o) => {
      const name = o.key.split('/').pop();
      const ek = o.deleted ? { key: 'batch.deleted' } : errorKey({ code: o.code || 'unknown' });
      const li = h(
        'li',
        { class: o.deleted ? 'result-ok' : 'result-error', testid: 'batch-result', 'data-key': o.key, 'data-deleted': String(!!o.deleted) },
        h('span', { class: 'result-name', text: name }),
        h('span', { class: 'result-msg', t: ek.key, tp: ek.params }),
      );
      if (!o.deleted) {
        const node = state.nodes.get(o.key);
        if (node) {
          // Inside the tile's card, under its name: the tile grows to hold it.
          node.classList.add('has-error');
          node.querySelector('.object-error')?.remove();
          node.querySelector('.object-text')?.append(h('span', { class: 'object-error', testid: 'object-error', t: ek.key, tp: ek.params }));
        }
      }
      return li;
    });
    results.append(
      h(
        'div',
        { class: 'batch-head' },
        h('h3', { id: 'batch-title', class: 'batch-title', t: 'batch.title' }),
        h('button', {
          type: 'button',
          class: 'btn btn-small',
          testid: 'batch-dismiss',
          t: 'batch.close',
          on: {
            click: () => {
              results.hidden = true;
              search.focus();
            },
          },
        }),
      ),
      h('p', { class: 'batch-summary', role: 'status', t: 'batch.summary', tp: { deleted, failed } }),
      // It scrolls when long: reachable from the keyboard, named by its heading.
      h('ul', { class: 'batch-list', tabindex: '0', 'aria-labelledby': 'batch-title' }, rows),
    );
    results.hidden = false;
    results.focus();
  }

  return {
    element,
    show,
    reload,
    removeKeys,
    addObject,
    updateItem,
    setOpen,
    /** @returns {{bucket: string, prefix: string}} */
    where: () => ({ bucket: state.bucket, prefix: state.prefix }),
    destroy() {
      observer.disconnect();
      if (state.ctrl) state.ctrl.abort();
      releaseThumbnails();
    },
  };
}
