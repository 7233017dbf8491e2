// Translation: every visible text and aria-label comes from the tables in ./i18n/.
//
// Elements created with dom.js's `h()` remember their keys in `data-i18n*` attributes, so a
// language switch re-translates the whole page in place (no reload, no lost state):
//   data-i18n="key"                 → textContent
//   data-i18n-attrs='{"aria-label":"key"}' → attributes
//   data-i18n-params='{"name":"x"}' → parameters of both
// Parameter values may be `{bytes: n}` or `{date: iso}`: they are formatted in the language of
// the moment, so they follow a switch too.

import en from './i18n/en.js';
import zhCN from './i18n/zh-CN.js';

/** The languages the console speaks, with their names in their own language. */
export const LANGS = [
  { code: 'en', name: 'English' },
  { code: 'zh-CN', name: '简体中文' },
];

const TABLES = { en, 'zh-CN': zhCN };
const STORAGE_KEY = 'picgate.lang';

let lang = 'en';
let table = en;
const listeners = new Set();

/**
 * The language to start with: the stored choice, else the browser's (`zh*` → zh-CN, else en).
 * @returns {string}
 */
export function detectLang() {
  let stored = null;
  try {
    stored = localStorage.getItem(STORAGE_KEY);
  } catch {
    // storage blocked: fall through to the browser's language
  }
  if (stored && TABLES[stored]) return stored;
  const prefs = navigator.languages?.length ? navigator.languages : [navigator.language || 'en'];
  return /^zh\b/i.test(prefs[0] || '') ? 'zh-CN' : 'en';
}

/** @returns {string} the current language code (`en` or `zh-CN`). */
export function getLang() {
  return lang;
}

/**
 * Switch the language: updates `<html lang>`, stores the choice, re-translates every element
 * that carries `data-i18n*` attributes and tells the listeners (for texts built otherwise).
 * @param {string} code `en` or `zh-CN`
 * @param {{persist?: boolean}} [opts] persist: store in localStorage (default true)
 */
export function setLang(code, { persist = true } = {}) {
  if (!TABLES[code]) code = 'en';
  lang = code;
  table = TABLES[code];
  document.documentElement.lang = code;
  if (persist) {
    try {
      localStorage.setItem(STORAGE_KEY, code);
    } catch {
      // not stored; the choice lasts for this page
    }
  }
  document.title = t('app.title');
  applyI18n(document.body);
  for (const cb of listeners) cb(code);
}

/**
 * Register a callback for language switches.
 * @param {(lang: string) => void} cb
 * @returns {() => void} unsubscribe
 */
export function onLangChange(cb) {
  listeners.add(cb);
  return () => listeners.delete(cb);
}

/**
 * Translate a key. `{name}` placeholders are filled from params; a numeric `count` picks a
 * plural form (`key.one` / `key.other`) when the table has them.
 * @param {string} key
 * @param {Record<string, unknown>} [params]
 * @returns {string}
 */
export function t(key, params) {
  let text;
  if (params && typeof params.count === 'number') {
    const rule = new Intl.PluralRules(lang).select(params.count);
    text = table[`${key}.${rule}`] ?? table[`${key}.other`];
  }
  text ??= table[key];
  if (text === undefined) {
    // A missing key is a bug: show it rather than a text in another language.
    console.warn(`i18n: missing key ${key} (${lang})`);
    text = key;
  }
  if (!params) return text;
  return text.replace(/\{(\w+)\}/g, (m, name) =>
    name in params ? formatParam(params[name]) : m,
  );
}

function formatParam(value) {
  if (value && typeof value === 'object') {
    if ('bytes' in value) return formatBytes(value.bytes);
    if ('date' in value) return formatDate(value.date);
    if ('key' in value) return t(value.key, value.params);
  }
  if (typeof value === 'number') return new Intl.NumberFormat(lang).format(value);
  return String(value ?? '');
}

/**
 * Whether the table has a key (used to pick an error's message).
 * @param {string} key
 * @returns {boolean}
 */
export function hasKey(key) {
  return key in table;
}

/**
 * A byte count for people: `932 B`, `1.4 KB`, `20 MB` (binary multiples).
 * @param {number} n
 * @returns {string}
 */
export function formatBytes(n) {
  if (typeof n !== 'number' || !Number.isFinite(n)) return t('common.unknown');
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i += 1;
  }
  const digits = i === 0 || v >= 100 ? 0 : 1;
  return `${new Intl.NumberFormat(lang, { maximumFractionDigits: digits }).format(v)} ${units[i]}`;
}

/**
 * A date and time in the current language, or the "unknown" text.
 * @param {string|number|Date|undefined} value
 * @returns {string}
 */
export function formatDate(value) {
  if (value === undefined || value === null || value === '') return t('common.unknown');
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return t('common.unknown');
  return new Intl.DateTimeFormat(lang, { dateStyle: 'medium', timeStyle: 'short' }).format(d);
}

/**
 * The message for a failed request, in the current language, from its error code.
 * @param {{code?: string, status?: number, retryAfter?: number|null, limit?: number}} err
 * @returns {string}
 */
export function errorText(err) {
  const code = err?.code || 'unknown';
  if (code === 'too_many_attempts' && err.retryAfter) {
    return t('error.too_many_attempts_wait', { seconds: err.retryAfter });
  }
  if (code === 'payload_too_large' && err.limit) {
    return t('error.payload_too_large_limit', { limit: { bytes: err.limit } });
  }
  if (code === 'bad_response') return t('error.bad_response', { status: err.status ?? 0 });
  if (hasKey(`error.${code}`)) return t(`error.${code}`);
  return t('error.unknown', { code });
}

/**
 * Error text as i18n key + params, for elements that must follow a language switch.
 * @param {{code?: string, status?: number, retryAfter?: number|null, limit?: number}} err
 * @returns {{key: string, params?: Record<string, unknown>}}
 */
export function errorKey(err) {
  const code = err?.code || 'unknown';
  if (code === 'too_many_attempts' && err.retryAfter) {
    return { key: 'error.too_many_attempts_wait', params: { seconds: err.retryAfter } };
  }
  if (code === 'payload_too_large' && err.limit) {
    return { key: 'error.payload_too_large_limit', params: { limit: { bytes: err.limit } } };
  }
  if (code === 'bad_response') return { key: 'error.bad_response', params: { status: err.status ?? 0 } };
  if (hasKey(`error.${code}`)) return { key: `error.${code}` };
  return { key: 'error.unknown', params: { code } };
}

/**
 * Translate one element from its data-i18n* attributes.
 * @param {Element} el
 */
export function translateElement(el) {
  const params = el.dataset.i18nParams ? JSON.parse(el.dataset.i18nParams) : undefined;
  if (el.dataset.i18n) el.textContent = t(el.dataset.i18n, params);
  if (el.dataset.i18nAttrs) {
    const attrs = JSON.parse(el.dataset.i18nAttrs);
    for (const [attr, key] of Object.entries(attrs)) el.setAttribute(attr, t(key, params));
  }
}

/**
 * Translate every element under root (root included) that carries data-i18n* attributes.
 * @param {Element} root
 */
export function applyI18n(root) {
  if (!root) return;
  if (root.matches?.('[data-i18n],[data-i18n-attrs]')) translateElement(root);
  for (const el of root.querySelectorAll('[data-i18n],[data-i18n-attrs]')) translateElement(el);
}
