// Links in four formats (URL, Markdown, HTML, BBCode), copying them, and signed links for
// private buckets.

import { api, bucketPath, encodeKey } from './api.js';
import { h, setText, uid } from './dom.js';
import { errorKey } from './i18n.js';

/** The four formats, in button order: [format, i18n label key, data-testid]. */
export const FORMATS = [
  ['url', 'links.url', 'copy-url'],
  ['markdown', 'links.markdown', 'copy-markdown'],
  ['html', 'links.html', 'copy-html'],
  ['bbcode', 'links.bbcode', 'copy-bbcode'],
];

/** Link lifetimes offered for private objects, seconds (the server allows up to 7 days). */
export const EXPIRIES = [3600, 86400, 604800];

const IMAGE_EXT = /\.(png|jpe?g|gif|webp|avif|svg|bmp|ico|tiff?|heic|heif|jxl)$/i;

/**
 * Whether an object is an image, from its content type when known, else its name.
 * @param {{contentType?: string, name?: string, key?: string, width?: number}} obj
 * @returns {boolean}
 */
export function isImage(obj) {
  if (obj.contentType) return obj.contentType.startsWith('image/');
  if (typeof obj.width === 'number') return true;
  return IMAGE_EXT.test(obj.name || obj.key || '');
}

function escapeHtml(s) {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
}

/** As the server escapes a name in its `markdown` field: a backslash before each of [ ] ( ) < > and backslash. */
function escapeMarkdown(s) {
  return s.replace(/[[\]()\\<>]/g, '\\$&');
}

/**
 * The four link formats of an object. The server's upload answers carry them (pc); the
 * slim h5 answers and listings carry only `url` (and maybe `markdown`): the rest is built
 * here the way the server builds them (images embedded, other files as links).
 * @param {{url: string, name?: string, key?: string, markdown?: string, html?: string,
 *          bbcode?: string, contentType?: string, width?: number}} obj
 * @param {string} [url] a different URL to use (a signed one): then nothing is taken from obj
 * @returns {{url: string, markdown: string, html: string, bbcode: string}}
 */
export function linkFormats(obj, url) {
  const link = url || obj.url;
  const name = obj.name || (obj.key || '').split('/').pop() || link;
  const img = isImage(obj);
  const own = url ? {} : obj;
  return {
    url: link,
    markdown: own.markdown || (img ? `![${escapeMarkdown(name)}](${link})` : `[${escapeMarkdown(name)}](${link})`),
    html:
      own.html ||
      (img
        ? `<img src="${escapeHtml(link)}" alt="${escapeHtml(name)}">`
        : `<a href="${escapeHtml(link)}">${escapeHtml(name)}</a>`),
    bbcode: own.bbcode || (img ? `[img]${link}[/img]` : `[url=${link}]${name}[/url]`),
  };
}

/**
 * Copy text to the clipboard: `navigator.clipboard.writeText`, or, where the page is no
 * secure context (plain http on a LAN address) and that API is missing, a hidden textarea
 * and `execCommand('copy')`.
 * @param {string} text
 * @returns {Promise<boolean>} whether it was copied
 */
export async function copyText(text) {
  if (navigator.clipboard?.writeText) {
    try {
      await navigator.clipboard.writeText(text);
      return true;
    } catch {
      // denied or unfocused: try the old way
    }
  }
  const ta = h('textarea', { class: 'offscreen', readonly: true, 'aria-hidden': 'true', tabindex: '-1' });
  ta.value = text;
  document.body.append(ta);
  ta.select();
  let ok = false;
  try {
    ok = document.execCommand('copy');
  } catch {
    ok = false;
  }
  ta.remove();
  return ok;
}

/**
 * Ask for a signed link to an object in a private bucket.
 * @param {string} bucket
 * @param {string} key
 * @param {number} expiresIn seconds
 * @returns {Promise<{url: string, expiresAt: string}>}
 */
export function signLink(bucket, key, expiresIn) {
  return api(bucketPath(bucket, `/sign/${encodeKey(key)}`), { method: 'POST', body: { expiresIn } });
}

/**
 * The copy buttons of one object, with their feedback line; for a private bucket also the
 * expiry select, and the buttons copy a signed link made with it.
 * @param {{bucket: string, key: string, isPrivate: boolean,
 *          object: {url: string, name?: string, key?: string, markdown?: string, html?: string,
 *                   bbcode?: string, contentType?: string, width?: number}}} args
 * @returns {HTMLElement}
 */
export function linkBox({ bucket, key, isPrivate, object }) {
  const feedback = h('p', { class: 'copy-feedback', testid: 'copy-feedback', role: 'status', 'aria-live': 'polite' });
  const note = h('p', { class: 'link-note' });
  let links = isPrivate ? null : linkFormats(object);
  let clearTimer = 0;

  const buttons = FORMATS.map(([format, label, testid]) =>
    h('button', {
      type: 'button',
      class: 'btn btn-small',
      testid,
      t: label,
      ta: { 'aria-label': 'links.copyAria' },
      tp: { format: { key: label } },
      disabled: isPrivate,
      on: {
        click: async () => {
          if (!links) return;
          const ok = await copyText(links[format]);
          clearTimeout(clearTimer);
          if (ok) setText(feedback, 'links.copied', { format: { key: label } });
          else setText(feedback, 'links.copyFailed');
          feedback.dataset.ok = ok ? 'true' : 'false';
          feedback.dataset.format = format;
          clearTimer = setTimeout(() => {
            feedback.textContent = '';
            delete feedback.dataset.i18n;
          }, 5000);
        },
      },
    }),
  );

  const children = [];
  if (isPrivate) {
    const id = uid('expiry');
    const select = h(
      'select',
      { id, testid: 'link-expiry', class: 'input input-small' },
      EXPIRIES.map((s) => h('option', { value: String(s), t: `links.expiry.${s}` })),
    );
    select.value = '86400';
    let seq = 0;
    const sign = async () => {
      const mine = ++seq;
      links = null;
      for (const b of buttons) b.disabled = true;
      setText(note, 'links.signing');
      try {
        const signed = await signLink(bucket, key, Number(select.value));
        if (mine !== seq) return;
        links = linkFormats(object, signed.url);
        for (const b of buttons) b.disabled = false;
        setText(note, 'links.expiresAt', { date: { date: signed.expiresAt } });
      } catch (e) {
        if (mine !== seq) return;
        const ek = errorKey(e);
        setText(note, ek.key, ek.params);
      }
    };
    select.addEventListener('change', sign);
    children.push(h('div', { class: 'field-inline' }, h('label', { for: id, t: 'links.expiry' }), select));
    sign();
  }

  const groupLabel = uid('links');
  return h(
    'div',
    { class: 'link-box' },
    h('p', { class: 'link-box-title', id: groupLabel, t: isPrivate ? 'links.titlePrivate' : 'links.title' }),
    children,
    h('div', { class: 'link-buttons', role: 'group', 'aria-labelledby': groupLabel }, buttons),
    note,
    feedback,
  );
}
