// The API client: same origin, `/api/v1`, JSON envelopes `{success, code, msg, data}`.
//
// - Every request sends `Authorization: Bearer <access token>` (when logged in) and
//   `X-Client: pc|h5` (h5 while the window is narrower than 600 px, evaluated per request).
// - A failure becomes an ApiError `{code, msg, status, data, retryAfter}`; network failures are
//   `network_error`, answers that are no envelope `bad_response`.
// - A 401 `token_expired` refreshes the session once (one refresh at a time, across tabs) and
//   retries; when the refresh is refused the session is cleared, which sends the UI back to
//   the login screen.

import { getSession, setSession, clearSession } from './session.js';

const BASE = '/api/v1';

/** A failed API call. */
export class ApiError extends Error {
  /**
   * @param {string} code  the envelope's code (`object_not_found`, …) or `network_error`,
   *   `bad_response`, `cancelled`
   * @param {string} [msg] the server's message (English; shown only through i18n by code)
   * @param {number} [status] HTTP status (0 when there was no answer)
   * @param {any} [data] the envelope's data
   * @param {number|null} [retryAfter] seconds from `Retry-After`
   */
  constructor(code, msg = '', status = 0, data = null, retryAfter = null) {
    super(msg || code);
    this.code = code;
    this.msg = msg;
    this.status = status;
    this.data = data;
    this.retryAfter = retryAfter;
  }
}

/**
 * The client profile this window asks for.
 * @returns {'pc'|'h5'}
 */
export function clientKind() {
  return window.innerWidth < 600 ? 'h5' : 'pc';
}

/**
 * Percent-encode an object key for a path, keeping its `/` separators.
 * @param {string} key
 * @returns {string}
 */
export function encodeKey(key) {
  return key.split('/').map(encodeURIComponent).join('/');
}

/**
 * `/buckets/{bucket}` plus a tail, encoded.
 * @param {string} bucket
 * @param {string} [tail] already encoded
 * @returns {string}
 */
export function bucketPath(bucket, tail = '') {
  return `/buckets/${encodeURIComponent(bucket)}${tail}`;
}

function headers(token, json) {
  const h = { 'X-Client': clientKind(), Accept: 'application/json' };
  if (token) h.Authorization = `Bearer ${token}`;
  if (json) h['Content-Type'] = 'application/json';
  return h;
}

function retryAfterOf(value) {
  if (!value) return null;
  const n = Number(value);
  if (Number.isFinite(n)) return Math.max(0, Math.ceil(n));
  const when = Date.parse(value);
  return Number.isNaN(when) ? null : Math.max(0, Math.ceil((when - Date.now()) / 1000));
}

/**
 * Turn a status + parsed body into data or an ApiError.
 * @param {number} status
 * @param {any} body parsed JSON or undefined
 * @param {string|null} retryAfter the header
 * @returns {any} data
 */
function unwrap(status, body, retryAfter) {
  if (!body || typeof body !== 'object' || !('success' in body)) {
    throw new ApiError('bad_response', '', status);
  }
  if (body.success) return body.data;
  throw new ApiError(body.code || 'unknown', body.msg || '', status, body.data, retryAfterOf(retryAfter));
}

async function send(path, { method = 'GET', query, body, signal, token }) {
  let url = BASE + path;
  if (query) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) {
      if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
    }
    const s = q.toString();
    if (s) url += `?${s}`;
  }
  let res;
  try {
    res = await fetch(url, {
      method,
      headers: headers(token, body !== undefined),
      body: body !== undefined ? JSON.stringify(body) : undefined,
      signal,
    });
  } catch (e) {
    if (e?.name === 'AbortError') throw new ApiError('cancelled');
    throw new ApiError('network_error');
  }
  let parsed;
  try {
    parsed = await res.json();
  } catch {
    parsed = undefined;
  }
  return { status: res.status, body: parsed, retryAfter: res.headers.get('Retry-After') };
}

let refreshing = null;

/**
 * Refresh the session after `failedToken` was refused as expired. One refresh at a time in
 * this tab, and (with the Web Locks API) across tabs: the refresh token is single-use, and a
 * second use would end the session. When another tab already refreshed, its tokens are used.
 * @param {string} failedToken
 * @returns {Promise<import('./session.js').Session>}
 */
export function refreshSession(failedToken) {
  if (!refreshing) {
    const run = () => doRefresh(failedToken);
    const p = navigator.locks ? navigator.locks.request('picgate.refresh', run) : run();
    refreshing = p.finally(() => {
      refreshing = null;
    });
  }
  return refreshing;
}

async function doRefresh(failedToken) {
  const s = getSession();
  if (!s) throw new ApiError('session_ended', '', 401);
  if (s.accessToken !== failedToken) return s; // another tab (or call) refreshed already
  const r = await send('/auth/refresh', { method: 'POST', body: { refreshToken: s.refreshToken } });
  try {
    const data = unwrap(r.status, r.body, r.retryAfter);
    const next = {
      ...s,
      accessToken: data.accessToken,
      refreshToken: data.refreshToken,
      expiresAt: Date.now() + (data.expiresIn || 0) * 1000,
    };
    setSession(next);
    return next;
  } catch (e) {
    // Refused (spent, revoked, user disabled): back to the login screen. A server that could
    // not answer (5xx, bad gateway) keeps the session for a later try.
    if (e instanceof ApiError && e.status >= 400 && e.status < 500) {
      clearSession('ended');
      throw new ApiError('session_ended', e.msg, e.status);
    }
    throw e;
  }
}

/** Codes after which the session is gone for good. */
const ENDED = new Set(['session_revoked', 'invalid_token', 'missing_token', 'account_disabled']);

/**
 * Call the API and return the envelope's data.
 * @param {string} path below /api/v1, e.g. `/buckets`
 * @param {{method?: string, query?: Record<string, any>, body?: any, signal?: AbortSignal,
 *          auth?: boolean}} [opts] auth=false: send no token and do not refresh (login)
 * @returns {Promise<any>}
 * @throws {ApiError}
 */
export async function api(path, opts = {}) {
  const { auth = true } = opts;
  const session = auth ? getSession() : null;
  const token = session?.accessToken;
  let r = await send(path, { ...opts, token });
  if (auth && token && r.status === 401 && r.body?.code === 'token_expired') {
    const fresh = await refreshSession(token);
    r = await send(path, { ...opts, token: fresh.accessToken });
  }
  if (auth && token && r.status === 401 && ENDED.has(r.body?.code)) clearSession('ended');
  if (auth && token && r.status === 403 && r.body?.code === 'account_disabled') clearSession('ended');
  return unwrap(r.status, r.body, r.retryAfter);
}

/**
 * Log in with phone or email and password; stores the session.
 * @param {string} login
 * @param {string} password
 * @returns {Promise<import('./session.js').Session>}
 * @throws {ApiError} e.g. `invalid_credentials`, `too_many_attempts` (with retryAfter)
 */
export async function login(login, password) {
  const data = await api('/auth/login', { method: 'POST', body: { login, password }, auth: false });
  const session = {
    accessToken: data.accessToken,
    refreshToken: data.refreshToken,
    expiresAt: Date.now() + (data.expiresIn || 0) * 1000,
    user: data.user || {},
  };
  setSession(session);
  return session;
}

/**
 * End the session on the server (best effort) and locally.
 * @returns {Promise<void>}
 */
export async function logout() {
  const s = getSession();
  if (s) {
    try {
      await send('/auth/logout', { method: 'POST', token: s.accessToken });
    } catch {
      // offline: the local session goes anyway; the server's expires with its tokens
    }
  }
  clearSession('logout');
}

/**
 * Upload one file with XMLHttpRequest (for byte progress and abort).
 * `POST /buckets/{bucket}/objects?folder=…`, multipart field `file`.
 * @param {{bucket: string, folder?: string, file: Blob, name: string,
 *          onProgress?: (loaded: number, total: number) => void}} args
 * @returns {{promise: Promise<any>, abort: () => void}} promise resolves to the stored object
 *   (the upload answer's data) or rejects with an ApiError (`cancelled` after abort)
 */
export function uploadFile({ bucket, folder, file, name, onProgress }) {
  let xhr = null;
  let aborted = false;
  const q = folder ? `?${new URLSearchParams({ folder })}` : '';
  const url = `${BASE}${bucketPath(bucket, '/objects')}${q}`;

  const attempt = (token) =>
    new Promise((resolve, reject) => {
      if (aborted) {
        reject(new ApiError('cancelled'));
        return;
      }
      xhr = new XMLHttpRequest();
      xhr.open('POST', url);
      for (const [k, v] of Object.entries(headers(token, false))) xhr.setRequestHeader(k, v);
      xhr.upload.addEventListener('progress', (e) => {
        if (onProgress) onProgress(e.loaded, e.lengthComputable ? e.total : file.size);
      });
      xhr.addEventListener('load', () => {
        let body;
        try {
          body = JSON.parse(xhr.responseText);
        } catch {
          body = undefined;
        }
        resolve({ status: xhr.status, body, retryAfter: xhr.getResponseHeader('Retry-After') });
      });
      xhr.addEventListener('error', () => reject(new ApiError('network_error')));
      xhr.addEventListener('timeout', () => reject(new ApiError('network_error')));
      xhr.addEventListener('abort', () => reject(new ApiError('cancelled')));
      const form = new FormData();
      form.append('file', file, name);
      xhr.send(form);
    });

  const promise = (async () => {
    let session = getSession();
    // Refresh first when the token is about to expire, rather than sending the bytes twice.
    if (session && session.expiresAt && session.expiresAt - Date.now() < 5000) {
      session = await refreshSession(session.accessToken);
    }
    const token = session?.accessToken;
    let r = await attempt(token);
    if (token && r.status === 401 && r.body?.code === 'token_expired') {
      const fresh = await refreshSession(token);
      r = await attempt(fresh.accessToken);
    }
    if (token && r.status === 401 && ENDED.has(r.body?.code)) clearSession('ended');
    return unwrap(r.status, r.body, r.retryAfter);
  })();

  return {
    promise,
    abort() {
      aborted = true;
      if (xhr) xhr.abort();
    },
  };
}

/**
 * Fetch a file link with the bearer token (private buckets' thumbnails) as a Blob.
 * @param {string} url
 * @param {AbortSignal} [signal]
 * @returns {Promise<Blob>}
 */
export async function fetchAuthed(url, signal) {
  const get = (token) =>
    fetch(url, { headers: token ? { Authorization: `Bearer ${token}`, 'X-Client': clientKind() } : {}, signal });
  let token = getSession()?.accessToken;
  let res = await get(token);
  if (res.status === 401 && token) {
    let body = null;
    try {
      body = await res.json();
    } catch {
      // not JSON
    }
    if (body?.code === 'token_expired') {
      token = (await refreshSession(token)).accessToken;
      res = await get(token);
    }
  }
  if (!res.ok) throw new ApiError('bad_response', '', res.status);
  return res.blob();
}
