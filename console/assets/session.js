// The login session, kept in localStorage (`picgate.session`) so that every tab shares it:
// a refresh done by one tab is used by the others, a logout in one tab logs them all out.

const KEY = 'picgate.session';
const listeners = new Set();

/**
 * @typedef {object} Session
 * @property {string} accessToken
 * @property {string} refreshToken
 * @property {number} expiresAt  ms since the epoch when the access token expires
 * @property {{id: string, name?: string, role?: string, email?: string}} user
 */

/**
 * The current session, read from storage each time (another tab may have changed it).
 * @returns {Session|null}
 */
export function getSession() {
  try {
    const raw = localStorage.getItem(KEY);
    if (!raw) return null;
    const s = JSON.parse(raw);
    return s && typeof s.accessToken === 'string' ? s : null;
  } catch {
    return null;
  }
}

/**
 * Store a session and tell this tab's listeners.
 * @param {Session} session
 */
export function setSession(session) {
  const had = getSession();
  localStorage.setItem(KEY, JSON.stringify(session));
  // A refreshed token is no news for the UI; a new login is.
  if (!had || had.user?.id !== session.user?.id) notify(null);
}

/**
 * Forget the session (logout, or the server ended it).
 * @param {string|null} [reason] why, for the login screen: `ended` (the server refused the
 *   session), `logout` (the user signed out) or null
 */
export function clearSession(reason = null) {
  const had = getSession();
  try {
    localStorage.removeItem(KEY);
  } catch {
    // nothing stored
  }
  if (had) notify(reason);
}

/**
 * Be told when the session starts or ends, in this tab or another one.
 * @param {(reason: string|null) => void} cb
 * @returns {() => void} unsubscribe
 */
export function onSessionChange(cb) {
  listeners.add(cb);
  return () => listeners.delete(cb);
}

function notify(reason) {
  for (const cb of listeners) cb(reason);
}

window.addEventListener('storage', (e) => {
  if (e.key !== KEY && e.key !== null) return;
  let before = null;
  let after = null;
  try {
    before = e.oldValue ? JSON.parse(e.oldValue) : null;
    after = e.newValue ? JSON.parse(e.newValue) : null;
  } catch {
    // unreadable: treat as a change of login
  }
  // Another tab refreshing the tokens changes nothing on screen.
  if (before && after && before.user?.id === after.user?.id) return;
  notify(after ? null : 'logout');
});
