// Hash routes, so that the back button, reloads and bookmarks keep the place:
//   #/browse/<bucket>/<folder/…/>   the bucket's folder (the default screen)
// Account and admin screens get their own names here (`#/account`, `#/admin/…`) later.

/**
 * @typedef {{name: 'browse', bucket: string, prefix: string} | {name: 'home'}
 *           | {name: string, path: string[]}} Route
 */

function decode(s) {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/**
 * Read the route from a hash.
 * @param {string} [hash]
 * @returns {Route}
 */
export function parseHash(hash = location.hash) {
  const path = hash.replace(/^#\/?/, '').split('/');
  const [first, ...rest] = path;
  const name = first.replace(/\?.*$/, ''); // `#/register?invite=…` is the route `register`
  if (name === 'browse' && rest[0]) {
    const bucket = decode(rest[0]);
    const segs = rest.slice(1).filter(Boolean).map(decode);
    return { name: 'browse', bucket, prefix: segs.length ? `${segs.join('/')}/` : '' };
  }
  if (!name) return { name: 'home' };
  return { name, path: rest.map(decode) };
}

/**
 * The hash of a folder of a bucket.
 * @param {string} bucket
 * @param {string} [prefix] `a/b/` or ''
 * @returns {string}
 */
export function browseHref(bucket, prefix = '') {
  const segs = prefix.split('/').filter(Boolean).map(encodeURIComponent);
  return `#/browse/${encodeURIComponent(bucket)}/${segs.length ? `${segs.join('/')}/` : ''}`;
}

/**
 * Go to a hash (a no-op when already there).
 * @param {string} href starting with `#`
 * @param {{replace?: boolean}} [opts] replace: no new history entry
 */
export function navigate(href, { replace = false } = {}) {
  if (location.hash === href) return;
  if (replace) {
    history.replaceState(null, '', href);
    window.dispatchEvent(new HashChangeEvent('hashchange'));
  } else {
    location.hash = href;
  }
}

/**
 * Be told about route changes.
 * @param {(route: Route) => void} cb
 * @returns {() => void} unsubscribe
 */
export function onRoute(cb) {
  const handler = () => cb(parseHash());
  window.addEventListener('hashchange', handler);
  return () => window.removeEventListener('hashchange', handler);
}
