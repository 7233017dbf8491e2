// Small DOM helpers. No HTML strings are ever parsed: everything is built with
// createElement/textContent, so names and keys from the server cannot inject markup.

import { translateElement } from './i18n.js';

/**
 * Create an element.
 *
 * props:
 * - `testid` → `data-testid`
 * - `t` / `tp` → text from the i18n key `t` with params `tp` (kept in data-i18n* so a
 *   language switch re-translates it); `ta` → `{attribute: i18nKey}` (aria-label, title…)
 * - `text` → plain textContent (not translated: names, keys)
 * - `class` → className; `dataset` → data-* attributes
 * - `on` → `{event: handler}` (addEventListener; never inline handlers, for the CSP)
 * - `props` → DOM properties (value, checked, …)
 * - anything else → an attribute (`true` → empty attribute, `false`/null/undefined → left out)
 * @param {string} tag
 * @param {Record<string, any>} [props]
 * @param {...(Node|string|null|undefined|false|Array<Node|string>)} children
 * @returns {HTMLElement}
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  let translate = false;
  for (const [name, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    switch (name) {
      case 'testid':
        el.dataset.testid = value;
        break;
      case 't':
        el.dataset.i18n = value;
        translate = true;
        break;
      case 'tp':
        el.dataset.i18nParams = JSON.stringify(value);
        break;
      case 'ta':
        el.dataset.i18nAttrs = JSON.stringify(value);
        translate = true;
        break;
      case 'text':
        el.textContent = value;
        break;
      case 'class':
        el.className = value;
        break;
      case 'dataset':
        Object.assign(el.dataset, value);
        break;
      case 'on':
        for (const [ev, fn] of Object.entries(value)) el.addEventListener(ev, fn);
        break;
      case 'props':
        Object.assign(el, value);
        break;
      default:
        el.setAttribute(name, value === true ? '' : String(value));
    }
  }
  append(el, children);
  if (translate) translateElement(el);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child);
  }
}

/**
 * Set (or change) the translated text of an element.
 * @param {HTMLElement} el
 * @param {string} key
 * @param {Record<string, unknown>} [params]
 */
export function setText(el, key, params) {
  el.dataset.i18n = key;
  if (params) el.dataset.i18nParams = JSON.stringify(params);
  else delete el.dataset.i18nParams;
  translateElement(el);
}

/**
 * Set plain (untranslated) text, dropping any i18n key the element had.
 * @param {HTMLElement} el
 * @param {string} text
 */
export function setPlainText(el, text) {
  delete el.dataset.i18n;
  delete el.dataset.i18nParams;
  el.textContent = text;
}

/**
 * Remove every child of an element.
 * @param {Element} el
 */
export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
}

/**
 * A unique id for label/aria wiring.
 * @param {string} prefix
 * @returns {string}
 */
export function uid(prefix) {
  uid.n = (uid.n || 0) + 1;
  return `${prefix}-${uid.n}`;
}

/**
 * The URL of a file in assets/ (works whatever hashed path the server serves them under).
 * @param {string} path relative to assets/, e.g. `icons/file.svg`
 * @returns {string}
 */
export function assetUrl(path) {
  return new URL(path, new URL('./', import.meta.url)).href;
}

/**
 * A decorative icon (`alt=""`; the control around it carries the accessible name).
 * @param {string} name file name in assets/icons without `.svg`
 * @param {string} [cls]
 * @returns {HTMLImageElement}
 */
export function icon(name, cls = 'icon') {
  return /** @type {HTMLImageElement} */ (
    h('img', { src: assetUrl(`icons/${name}.svg`), alt: '', class: cls, width: 20, height: 20 })
  );
}

/**
 * Debounce a function.
 * @template {(...args: any[]) => void} F
 * @param {F} fn
 * @param {number} ms
 * @returns {F}
 */
export function debounce(fn, ms) {
  let timer = 0;
  return /** @type {F} */ ((...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  });
}
