// Thumbnails: `<img loading=lazy src="{url}?v=thumb">`, falling back to the original when the
// variant fails (not made yet, a format picgate cannot resize) and to a file icon when that
// fails too. Objects of private buckets cannot be fetched by a plain <img> (no token): their
// thumbnails are fetched with the bearer token when they scroll into view and shown as blob
// URLs (the CSP allows `img-src blob:`).

import { fetchAuthed } from './api.js';
import { h, assetUrl } from './dom.js';
import { isImage } from './links.js';

/**
 * A URL with a query parameter added.
 * @param {string} url
 * @param {string} param e.g. `v=thumb`
 * @returns {string}
 */
export function withParam(url, param) {
  return url + (url.includes('?') ? '&' : '?') + param;
}

const blobUrls = new Set();
let observer = null;

function privateObserver() {
  if (observer) return observer;
  observer = new IntersectionObserver(
    (entries) => {
      for (const entry of entries) {
        if (!entry.isIntersecting) continue;
        observer.unobserve(entry.target);
        loadAuthed(/** @type {HTMLImageElement} */ (entry.target));
      }
    },
    { rootMargin: '200px' },
  );
  return observer;
}

async function loadAuthed(img) {
  const sources = JSON.parse(img.dataset.sources || '[]');
  for (const src of sources) {
    try {
      const blob = await fetchAuthed(src);
      if (!blob.type.startsWith('image/')) continue;
      const url = URL.createObjectURL(blob);
      blobUrls.add(url);
      img.src = url;
      return;
    } catch {
      // next source
    }
  }
  showIcon(img);
}

function showIcon(img) {
  img.src = assetUrl('icons/file.svg');
  img.classList.add('thumb-icon');
}

/**
 * A thumbnail element for an object (decorative: `alt=""`, the name is shown beside it).
 * @param {{url?: string, name?: string, key?: string, contentType?: string}} obj
 * @param {{isPrivate?: boolean, variant?: string}} [opts] variant: the preset to ask for first
 *   (`thumb`, or `auto` for the detail panel's larger preview)
 * @returns {HTMLImageElement}
 */
export function thumbnail(obj, { isPrivate = false, variant = 'thumb' } = {}) {
  const img = /** @type {HTMLImageElement} */ (
    h('img', { class: 'thumb', alt: '', loading: 'lazy', decoding: 'async' })
  );
  if (!obj.url || !isImage(obj)) {
    showIcon(img);
    return img;
  }
  const sources = [withParam(obj.url, `v=${variant}`), obj.url];
  if (isPrivate) {
    img.dataset.sources = JSON.stringify(sources);
    privateObserver().observe(img);
    return img;
  }
  let next = 1;
  img.addEventListener('error', () => {
    if (next < sources.length) img.src = sources[next++];
    else if (!img.classList.contains('thumb-icon')) showIcon(img);
  });
  img.src = sources[0];
  return img;
}

/** Release the blob URLs of private thumbnails (when a listing is replaced). */
export function releaseThumbnails() {
  for (const url of blobUrls) URL.revokeObjectURL(url);
  blobUrls.clear();
}
