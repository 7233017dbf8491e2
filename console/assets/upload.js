// Upload: drop files and folders, paste images anywhere on the page, or pick files (on a phone
// the same input offers the camera and the photo library). One request per file, a few at a
// time, each with a byte progress bar, a cancel button and its own result.

import { uploadFile, ApiError } from './api.js';
import { h, setText, uid, icon } from './dom.js';
import { errorKey } from './i18n.js';
import { linkBox } from './links.js';
import { thumbnail } from './thumbs.js';

/** Uploads running at once; the others wait their turn. */
const CONCURRENCY = 3;

/** Files skipped when walking a dropped folder (system clutter). */
const SKIP = /^(\..*|Thumbs\.db|desktop\.ini)$/i;

/**
 * Join folder parts into `a/b/c` (no leading, trailing or doubled slashes, no spaces around a
 * segment). `.` and `..` segments are kept as they are: `folderProblem` refuses them.
 * @param {...string} parts
 * @returns {string}
 */
export function joinFolder(...parts) {
  return parts
    .flatMap((p) => (p || '').split('/'))
    .map((s) => s.trim())
    .filter(Boolean)
    .join('/');
}

/**
 * Why uploads cannot go into a folder (an i18n key), or null when they can: a key has no `.`
 * or `..` segment, and the console never guesses which folder was meant instead.
 * @param {string} folder as `joinFolder` gives it
 * @returns {string|null}
 */
export function folderProblem(folder) {
  return folder.split('/').some((s) => s === '.' || s === '..') ? 'upload.folderDots' : null;
}

/**
 * Whether sending the same file again may work: not for a type the bucket refuses or a file
 * over its size limit (README "Error codes": `unsupported_media_type` 415, `payload_too_large`
 * 413); yes for a lost connection, a timeout, throttling or a server failure.
 * @param {{code?: string, status?: number}} err
 * @returns {boolean}
 */
export function retryable(err) {
  if (err.code === 'unsupported_media_type' || err.code === 'payload_too_large') return false;
  return err.status !== 413 && err.status !== 415;
}

/**
 * The files of a drop, folders walked recursively, each with its folder relative to the drop.
 * Entries must be taken from the DataTransfer during the event, before any await.
 * @param {DataTransfer} dt
 * @returns {Promise<Array<{file: File, dir: string}>>}
 */
export async function filesFromDataTransfer(dt) {
  const entries = [];
  const out = [];
  const items = dt.items ? [...dt.items].filter((i) => i.kind === 'file') : [];
  if (items.length) {
    for (const item of items) {
      // Only folders need their entry walked; a file is taken as the item's File (a synthetic
      // DataTransfer, or an old browser, has no entries at all).
      const entry = item.webkitGetAsEntry ? item.webkitGetAsEntry() : null;
      if (entry?.isDirectory) entries.push(entry);
      else {
        const file = item.getAsFile();
        if (file) out.push({ file, dir: '' });
      }
    }
  } else {
    for (const file of dt.files || []) out.push({ file, dir: '' });
  }
  for (const entry of entries) await walk(entry, '', out, true);
  return out;
}

async function walk(entry, dir, out, top) {
  if (!top && SKIP.test(entry.name)) return;
  if (entry.isFile) {
    const file = await new Promise((resolve, reject) => entry.file(resolve, reject));
    out.push({ file, dir });
  } else if (entry.isDirectory) {
    const sub = joinFolder(dir, entry.name);
    const reader = entry.createReader();
    // readEntries answers in batches (100 in Chrome) until it answers an empty one.
    for (;;) {
      const batch = await new Promise((resolve, reject) => reader.readEntries(resolve, reject));
      if (!batch.length) break;
      for (const child of batch) await walk(child, sub, out, false);
    }
  }
}

const EXT = { 'image/png': 'png', 'image/jpeg': 'jpg', 'image/gif': 'gif', 'image/webp': 'webp', 'image/avif': 'avif', 'image/bmp': 'bmp', 'image/svg+xml': 'svg' };

function stamp(d) {
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

/**
 * The files of a paste, unnamed ones (a screenshot: no name, or the browser's generic
 * `image.png`) renamed `paste-<timestamp>.<ext>`.
 * @param {DataTransfer|null} cd
 * @returns {File[]}
 */
export function filesFromClipboard(cd) {
  if (!cd) return [];
  let files = [...(cd.files || [])];
  if (!files.length && cd.items) {
    files = [...cd.items].filter((i) => i.kind === 'file').map((i) => i.getAsFile()).filter(Boolean);
  }
  const now = stamp(new Date());
  return files.map((f, i) => {
    if (f.name && !/^(image|blob)(\.\w+)?$/i.test(f.name)) return f;
    const ext = EXT[f.type] || (f.name.match(/\.(\w+)$/)?.[1] ?? 'png');
    const name = `paste-${now}${i ? `-${i + 1}` : ''}.${ext}`;
    return new File([f], name, { type: f.type || 'image/png', lastModified: Date.now() });
  });
}

/**
 * The upload panel.
 * @param {{getTarget: () => ({bucket: string, folder: string,
 *            info?: {policy?: string, maxObjectBytes?: number}}|null),
 *          onUploaded: (bucket: string, object: any) => void}} opts
 * @returns {{element: HTMLElement, addFiles: (files: Array<{file: File, dir: string}>) => void,
 *            destroy: () => void}}
 */
export function createUploader({ getTarget, onUploaded }) {
  const list = h('ul', { class: 'upload-list', testid: 'upload-list', 'aria-labelledby': 'uploads-title' });
  const message = h('p', { class: 'form-error', role: 'alert', hidden: true });
  // A folder uploads cannot go into: said by the folder field (the shell's `folder-input`),
  // or above the list when there is none.
  const folderError = h('p', { id: 'folder-error', class: 'field-error', testid: 'folder-error', role: 'alert', hidden: true });
  const queue = [];
  let running = 0;

  const inputId = uid('file-input');
  const fileInput = /** @type {HTMLInputElement} */ (
    h('input', {
      type: 'file',
      id: inputId,
      class: 'visually-hidden file-input',
      testid: 'file-input',
      multiple: true,
      accept: 'image/*,*/*',
      on: {
        change: () => {
          addFiles([...(fileInput.files || [])].map((file) => ({ file, dir: '' })));
          fileInput.value = '';
        },
      },
    })
  );
  const folderId = uid('folder-picker');
  const folderInput = /** @type {HTMLInputElement} */ (
    h('input', {
      type: 'file',
      id: folderId,
      class: 'visually-hidden file-input',
      testid: 'folder-picker',
      multiple: true,
      webkitdirectory: true,
      on: {
        change: () => {
          addFiles(
            [...(folderInput.files || [])]
              .filter((file) => !SKIP.test(file.name))
              .map((file) => ({ file, dir: file.webkitRelativePath.split('/').slice(0, -1).join('/') })),
          );
          folderInput.value = '';
        },
      },
    })
  );

  const dropZone = h(
    'div',
    { class: 'drop-zone', testid: 'drop-zone' },
    icon('upload', 'drop-icon'),
    h('p', { class: 'drop-hint pc-only', t: 'upload.dropHint' }),
    h('p', { class: 'drop-hint h5-only', t: 'upload.dropHintH5' }),
    h(
      'div',
      { class: 'drop-actions' },
      fileInput,
      h(
        'label',
        { for: inputId, class: 'btn btn-primary btn-file' },
        h('span', { class: 'pc-only', t: 'upload.choose' }),
        h('span', { class: 'h5-only', t: 'upload.chooseH5' }),
      ),
      // Phones cannot pick folders: the whole control goes (a label hidden alone would leave
      // its input unlabelled).
      h('span', { class: 'pc-only folder-pick' }, folderInput, h('label', { for: folderId, class: 'btn btn-file', t: 'upload.chooseFolder' })),
    ),
  );

  // Drag and drop: the zone highlights; a drop anywhere on the page counts (a near miss should
  // not make the browser open the file instead).
  let depth = 0;
  const onDragEnter = (e) => {
    if (!hasFiles(e)) return;
    depth += 1;
    dropZone.classList.add('drag-over');
  };
  const onDragLeave = () => {
    depth = Math.max(0, depth - 1);
    if (!depth) dropZone.classList.remove('drag-over');
  };
  const onDragOver = (e) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = 'copy';
  };
  const dropped = new WeakSet();
  const onDrop = (e) => {
    if (!e.dataTransfer || dropped.has(e)) return;
    dropped.add(e);
    e.preventDefault();
    depth = 0;
    dropZone.classList.remove('drag-over');
    filesFromDataTransfer(e.dataTransfer).then(addFiles, () => addFiles([]));
  };
  document.addEventListener('dragenter', onDragEnter);
  document.addEventListener('dragleave', onDragLeave);
  document.addEventListener('dragover', onDragOver);
  document.addEventListener('drop', onDrop);
  dropZone.addEventListener('drop', onDrop); // a non-bubbling event sent to the zone itself

  // Paste: images (or any files) pasted anywhere; text pasted into a field stays text.
  const handled = new WeakSet();
  const onPaste = (e) => {
    if (handled.has(e)) return;
    handled.add(e);
    const files = filesFromClipboard(e.clipboardData);
    if (!files.length) return;
    e.preventDefault();
    addFiles(files.map((file) => ({ file, dir: '' })));
  };
  document.addEventListener('paste', onPaste);
  dropZone.addEventListener('paste', onPaste); // a non-bubbling event sent to the zone itself

  const clearBtn = h('button', {
    type: 'button',
    class: 'btn btn-small',
    testid: 'upload-clear',
    t: 'upload.clear',
    hidden: true,
    on: {
      click: () => {
        for (const li of [...list.children]) {
          const state = li.querySelector('[data-testid="upload-status"]')?.getAttribute('data-state');
          if (state === 'done' || state === 'cancelled') li.remove();
        }
        updateClear();
      },
    },
  });

  function updateClear() {
    clearBtn.hidden = !list.querySelector('[data-state="done"],[data-state="cancelled"]');
  }

  /**
   * Queue files for upload into the chosen bucket and folder (+ each file's own folder).
   * @param {Array<{file: File, dir: string}>} files
   */
  function addFiles(files) {
    message.hidden = true;
    if (!files.length) return;
    const target = getTarget();
    if (!target?.bucket) {
      setText(message, 'upload.noBucket');
      message.hidden = false;
      return;
    }
    const problem = folderProblem(target.folder);
    if (problem) {
      showFolderError(problem);
      return;
    }
    hideFolderError();
    for (const { file, dir } of files) {
      const item = makeItem(file, target, joinFolder(target.folder, dir), dir);
      list.prepend(item.li);
      queue.push(item);
    }
    pump();
  }

  /** The folder field of the page, when there is one. */
  const folderField = () => /** @type {HTMLInputElement|null} */ (document.getElementById('folder-input'));

  /** @param {string} key */
  function showFolderError(key) {
    setText(folderError, key);
    folderError.hidden = false;
    const field = folderField();
    if (!field?.parentElement) {
      if (folderError.parentElement !== element) message.before(folderError);
      return;
    }
    if (folderError.parentElement !== field.parentElement) field.parentElement.append(folderError);
    field.setAttribute('aria-invalid', 'true');
    const described = (field.getAttribute('aria-describedby') || '').split(' ').filter(Boolean);
    if (!described.includes(folderError.id)) field.setAttribute('aria-describedby', [...described, folderError.id].join(' '));
    field.addEventListener('input', hideFolderError);
    window.addEventListener('hashchange', recheckFolder); // another folder opened meanwhile
    field.focus();
  }

  function recheckFolder() {
    const field = folderField();
    if (!field || !folderProblem(joinFolder(field.value))) hideFolderError();
  }

  function hideFolderError() {
    folderError.hidden = true;
    window.removeEventListener('hashchange', recheckFolder);
    const field = folderField();
    if (!field) return;
    field.removeEventListener('input', hideFolderError);
    field.removeAttribute('aria-invalid');
    const described = (field.getAttribute('aria-describedby') || '').split(' ').filter((id) => id && id !== folderError.id);
    if (described.length) field.setAttribute('aria-describedby', described.join(' '));
    else field.removeAttribute('aria-describedby');
  }

  function pump() {
    while (running < CONCURRENCY && queue.length) {
      const item = queue.shift();
      if (item.cancelled) continue;
      running += 1;
      item.start().finally(() => {
        running -= 1;
        pump();
      });
    }
  }

  /**
   * One row of the upload list.
   * @param {File} file
   * @param {{bucket: string, info?: {policy?: string, maxObjectBytes?: number}}} target
   * @param {string} folder
   * @param {string} dir
   */
  function makeItem(file, target, folder, dir) {
    const display = dir ? `${dir}/${file.name}` : file.name;
    const progress = /** @type {HTMLProgressElement} */ (
      h('progress', { testid: 'upload-progress', max: '100', value: '0', ta: { 'aria-label': 'upload.progressAria' }, tp: { name: display } })
    );
    const bytes = h('span', { class: 'upload-bytes', t: 'upload.bytes', tp: { loaded: { bytes: 0 }, total: { bytes: file.size } } });
    const status = h('p', { class: 'upload-status', testid: 'upload-status', role: 'status', 'data-state': 'uploading', t: 'upload.state.queued' });
    const cancel = h('button', {
      type: 'button',
      class: 'btn btn-small',
      testid: 'upload-cancel',
      t: 'upload.cancel',
      ta: { 'aria-label': 'upload.cancelAria' },
      tp: { name: display },
    });
    const retry = h('button', {
      type: 'button',
      class: 'btn btn-small',
      testid: 'upload-retry',
      t: 'upload.retry',
      ta: { 'aria-label': 'upload.retryAria' },
      tp: { name: display },
      hidden: true,
    });
    const result = h('div', { class: 'upload-result' });
    const li = h(
      'li',
      { class: 'upload-item', testid: 'upload-item', 'data-name': display },
      h('div', { class: 'upload-head' }, h('span', { class: 'upload-name', text: display }), bytes),
      progress,
      h('div', { class: 'upload-foot' }, status, cancel, retry),
      result,
    );

    const item = { li, cancelled: false, abort: null, start };

    /**
     * @param {string} state
     * @param {string} key
     * @param {Record<string, unknown>} [params]
     * @param {boolean} [again] an error that sending again may mend (Retry is offered)
     */
    function setState(state, key, params, again = true) {
      status.setAttribute('data-state', state);
      setText(status, key, params);
      const finished = state !== 'uploading';
      cancel.hidden = finished;
      retry.hidden = !((state === 'error' && again) || state === 'cancelled');
      li.dataset.state = state;
      updateClear();
    }

    cancel.addEventListener('click', () => {
      item.cancelled = true;
      if (item.abort) item.abort();
      else setState('cancelled', 'upload.state.cancelled');
    });
    retry.addEventListener('click', () => {
      item.cancelled = false;
      item.abort = null;
      progress.value = 0;
      setText(bytes, 'upload.bytes', { loaded: { bytes: 0 }, total: { bytes: file.size } });
      setState('uploading', 'upload.state.queued');
      queue.push(item);
      pump();
      cancel.focus();
    });

    async function start() {
      const limit = target.info?.maxObjectBytes;
      if (limit && file.size > limit) {
        // Refused before sending: the server would answer 413 after the bytes.
        const ek = errorKey({ code: 'payload_too_large', limit });
        setState('error', ek.key, ek.params, false);
        li.dataset.code = 'payload_too_large';
        return;
      }
      setState('uploading', 'upload.state.uploading');
      const job = uploadFile({
        bucket: target.bucket,
        folder,
        file,
        name: file.name,
        onProgress: (loaded, total) => {
          const pct = total ? Math.min(100, Math.floor((loaded / total) * 100)) : 0;
          progress.value = pct;
          // The request is a little larger than the file (multipart framing): show file bytes.
          const sent = total ? Math.min(file.size, Math.round((loaded / total) * file.size)) : 0;
          setText(bytes, 'upload.bytes', { loaded: { bytes: sent }, total: { bytes: file.size } });
        },
      });
      item.abort = job.abort;
      try {
        const obj = await job.promise;
        progress.value = 100;
        setText(bytes, 'upload.bytes', { loaded: { bytes: file.size }, total: { bytes: file.size } });
        setState('done', 'upload.state.done');
        showResult(obj);
        onUploaded(target.bucket, obj);
      } catch (e) {
        if (e instanceof ApiError && e.code === 'cancelled') {
          setState('cancelled', 'upload.state.cancelled');
        } else {
          const err = e instanceof ApiError ? e : new ApiError('unknown');
          const ek = errorKey(err.code === 'payload_too_large' ? { code: err.code, limit } : err);
          setState('error', ek.key, ek.params, retryable(err));
          li.dataset.code = err.code;
        }
      } finally {
        item.abort = null;
      }
    }

    function showResult(obj) {
      const isPrivate = target.info?.policy === 'private';
      const key = obj.key;
      const object = { ...obj, name: obj.name || key.split('/').pop() };
      // A private object's plain link needs a token: show it without a link (the copy buttons
      // give the signed one).
      const link = isPrivate
        ? h('div', { class: 'upload-link' }, thumbnail(object, { isPrivate }), h('span', { class: 'upload-key', text: key }))
        : h(
            'a',
            { href: object.url, target: '_blank', rel: 'noopener', class: 'upload-link' },
            thumbnail(object, { isPrivate }),
            h('span', { class: 'upload-key', text: key }),
          );
      result.append(link, linkBox({ bucket: target.bucket, key, isPrivate, object }));
    }

    return item;
  }

  const element = h(
    'section',
    { class: 'panel upload-panel', 'aria-labelledby': 'upload-title' },
    h('h2', { id: 'upload-title', class: 'panel-title', t: 'upload.title' }),
    dropZone,
    message,
    h('div', { class: 'upload-list-head' }, h('h3', { id: 'uploads-title', class: 'visually-hidden', t: 'upload.list' }), clearBtn),
    list,
  );

  return {
    element,
    addFiles,
    /**
     * Refuse a folder typed into the folder field when uploads could not go there
     * (`folderProblem`), with the message at the field; true when refused.
     * @param {string} folder as `joinFolder` gives it
     */
    refuseFolder(folder) {
      const problem = folderProblem(folder);
      if (problem) showFolderError(problem);
      return !!problem;
    },
    destroy() {
      for (const item of queue) item.cancelled = true;
      for (const li of list.querySelectorAll('[data-state="uploading"]')) li.querySelector('[data-testid="upload-cancel"]')?.click();
      document.removeEventListener('dragenter', onDragEnter);
      document.removeEventListener('dragleave', onDragLeave);
      document.removeEventListener('dragover', onDragOver);
      document.removeEventListener('drop', onDrop);
      document.removeEventListener('paste', onPaste);
      hideFolderError();
      folderError.remove();
    },
  };
}

function hasFiles(e) {
  const types = e.dataTransfer?.types;
  return !!types && [...types].includes('Files');
}
