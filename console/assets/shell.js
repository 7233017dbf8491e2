// The logged-in shell: top bar (sections, bucket, folder, language, user, logout), the upload
// and browse panels, the detail panel, the account and admin screens, and the hash routes that
// tie them together.

import { api, clientKind, logout, ApiError } from './api.js';
import { h, setText, setPlainText, icon, assetUrl } from './dom.js';
import { errorKey } from './i18n.js';
import { getSession, setSession } from './session.js';
import { createUploader, joinFolder } from './upload.js';
import { createBrowser } from './browse.js';
import { createDetail } from './detail.js';
import { createAccount } from './account.js';
import { langSwitch } from './widgets.js';
import { parseHash, browseHref, navigate, onRoute } from './router.js';

const BUCKET_KEY = 'picgate.bucket';

/**
 * Build the shell. Call `start()` once it is in the document.
 * @returns {{element: HTMLElement, start: () => Promise<void>, destroy: () => void}}
 */
export function createShell() {
  /** @type {Map<string, {name: string, policy?: string, write?: string, maxObjectBytes?: number}>} */
  const buckets = new Map();
  let user = getSession()?.user || {};

  const bucketSelect = /** @type {HTMLSelectElement} */ (
    h('select', { id: 'bucket-select', class: 'input', testid: 'bucket-select', disabled: true }, h('option', { value: '', t: 'shell.loadingBuckets' }))
  );
  const folderInput = /** @type {HTMLInputElement} */ (
    h('input', {
      id: 'folder-input',
      class: 'input',
      testid: 'folder-input',
      autocomplete: 'off',
      autocapitalize: 'none',
      spellcheck: 'false',
      'aria-describedby': 'folder-hint',
      ta: { placeholder: 'shell.folderPlaceholder' },
    })
  );
  const bucketError = h('p', { class: 'form-error', role: 'alert', hidden: true, testid: 'bucket-error' });
  // Said when a link meant for someone signed out (an invitation) is opened while signed in.
  const shellNotice = h('p', { class: 'notice shell-notice', role: 'status', hidden: true, testid: 'shell-notice', t: 'shell.signedInInvite' });
  const userName = h('span', { class: 'user-name', testid: 'user-name' });
  const logoutBtn = h('button', { type: 'button', class: 'btn', testid: 'logout', t: 'shell.logout' });

  const isPrivate = (bucket) => buckets.get(bucket)?.policy === 'private';

  const uploader = createUploader({
    getTarget: () => {
      const bucket = bucketSelect.value;
      if (!bucket) return null;
      return { bucket, folder: joinFolder(folderInput.value), info: buckets.get(bucket) };
    },
    onUploaded: (bucket, obj) => browser.addObject(bucket, obj),
  });

  const browser = createBrowser({
    isPrivate,
    onActivity: () => {
      if (Date.now() - lastCheck > 1000) checkSession();
    },
    onOpen: (item, opener, bucket) => detail.open(bucket, item, opener),
  });

  const main = h('main', { id: 'main', class: 'workspace', tabindex: '-1' }, uploader.element, browser.element);

  const navFiles = h('a', { href: '#/', class: 'nav-link', testid: 'nav-files', t: 'nav.files' });
  const navAccount = h('a', { href: '#/account', class: 'nav-link', testid: 'nav-account', t: 'nav.account' });
  const navAdmin = h('a', { href: '#/admin', class: 'nav-link', testid: 'nav-admin', t: 'nav.admin', hidden: true });
  const nav = h('nav', { class: 'nav', ta: { 'aria-label': 'nav.label' } }, navFiles, navAccount, navAdmin);
  const skip = h('a', { href: '#main', class: 'skip-link', t: 'app.skip' });
  skip.addEventListener('click', (e) => {
    e.preventDefault(); // the hash is the router's
    main.focus();
  });

  const target = h(
    'div',
    { class: 'target' },
    h('div', { class: 'field' }, h('label', { for: 'bucket-select', t: 'shell.bucket' }), bucketSelect),
    h(
      'div',
      { class: 'field field-grow' },
      h('label', { for: 'folder-input', t: 'shell.folder' }),
      folderInput,
      h('p', { id: 'folder-hint', class: 'hint', t: 'shell.folderHint' }),
    ),
  );

  const header = h(
    'header',
    { class: 'topbar' },
    h('h1', { class: 'brand' }, h('img', { src: assetUrl('icons/logo.svg'), alt: '', width: 28, height: 28 }), h('span', { class: 'brand-name', t: 'app.brand' })),
    nav,
    target,
    h('div', { class: 'account' }, langSwitch(), h('span', { class: 'user' }, icon('user'), userName), logoutBtn),
  );

  /** @type {Promise<Map<string, string>>|null} user id → name, for administrators */
  let names = null;
  const detail = createDetail({
    getUser: () => user,
    isPrivate,
    // As the server decides (README, "Who may do what"): administrators, anyone in a `shared`
    // bucket, and the owner. An owner not known yet leaves it to the server.
    mayDelete: (bucket, owner) =>
      isAdmin() || buckets.get(bucket)?.write === 'shared' || owner === undefined || (!!owner && owner === user.id),
    ownerName: async (id) => {
      if (!isAdmin()) return null;
      if (!names) {
        names = api('/admin/users').then(
          (data) => new Map((data.items || []).map((u) => [u.id, u.name || u.email || ''])),
          () => {
            names = null;
            return new Map();
          },
        );
      }
      const known = await names;
      if (!known.has(id)) names = null; // a user made since: asked again next time
      return known.get(id) || null;
    },
    onDeleted: (bucket, key) => {
      if (browser.where().bucket === bucket) browser.removeKeys([key]);
    },
    onInfo: (item) => browser.updateItem(item),
    onClose: () => browser.setOpen(''),
    setModal: (modal) => {
      // On a phone the panel covers the screen: keep keyboard and screen reader inside it.
      const cover = modal && clientKind() === 'h5';
      main.inert = cover;
      header.inert = cover;
    },
  });

  const element = h(
    'div',
    { class: 'shell', testid: 'app-shell', 'data-client': clientKind() },
    skip,
    header,
    bucketError,
    shellNotice,
    main,
    detail.element,
  );

  const isAdmin = () => user.role === 'admin';

  function showUser() {
    setPlainText(userName, user.name || user.email || user.phone || '');
    userName.title = user.email || '';
    navAdmin.hidden = !isAdmin();
    // No longer an administrator (demoted meanwhile): the admin screen closes.
    if (!isAdmin() && screen?.name === 'admin') applyRoute(parseHash());
  }

  /** Remember what the server says of the user (this tab and the stored session). */
  function learnUser(fields) {
    user = { ...user, ...fields };
    const s = getSession();
    if (s) setSession({ ...s, user: { ...s.user, ...fields } });
    showUser();
  }

  // The phone profile's user carries id, name and role. A deployment whose profile leaves the
  // role out gets the answer from the administrators' listing itself, which answers 403
  // admin_required to anyone else.
  async function learnRole() {
    if (typeof user.role === 'string') return;
    try {
      await api('/admin/users', { query: { fields: 'id' } });
      learnUser({ role: 'admin' });
    } catch (e) {
      if (e instanceof ApiError && e.code === 'admin_required') learnUser({ role: 'user' });
    }
  }

  logoutBtn.addEventListener('click', async () => {
    logoutBtn.disabled = true;
    await logout(); // the session listener swaps in the login screen
  });

  // The profile follows the width: data-client for the tests and the CSS, X-Client per request.
  const onResize = () => {
    const kind = clientKind();
    if (element.dataset.client !== kind) element.dataset.client = kind;
  };
  window.addEventListener('resize', onResize);

  bucketSelect.addEventListener('change', () => navigate(browseHref(bucketSelect.value, '')));
  folderInput.addEventListener('change', () => {
    const folder = joinFolder(folderInput.value);
    if (uploader.refuseFolder(folder)) return; // `.`/`..`: no such folder is opened either
    navigate(browseHref(bucketSelect.value, folder ? `${folder}/` : ''));
  });

  function defaultBucket() {
    let stored = null;
    try {
      stored = localStorage.getItem(BUCKET_KEY);
    } catch {
      // none
    }
    if (stored && buckets.has(stored)) return stored;
    if (buckets.has('images')) return 'images';
    return buckets.keys().next().value || '';
  }

  /**
   * The screens besides the files, by route name: built when opened, destroyed when left. The
   * admin screen's code is loaded only when an administrator opens it.
   * @type {Record<string, {nav: HTMLElement, allowed: () => boolean,
   *   create: () => Screen|Promise<Screen>}>}
   * @typedef {{element: HTMLElement, destroy: () => void, route?: (r: any) => void}} Screen
   */
  const SCREENS = {
    account: { nav: navAccount, allowed: () => true, create: () => createAccount({ getUser: () => user }) },
    admin: {
      nav: navAdmin,
      allowed: isAdmin,
      create: async () => {
        const { createAdmin } = await import('./admin.js');
        return createAdmin({
          getUser: () => user,
          onBucketsChanged: () => loadBuckets(),
          onDenied: () => learnUser({ role: 'user' }),
        });
      },
    },
  };
  /** @type {{name: string, view: Screen|null, route?: any}|null} the open screen (null: the files) */
  let screen = null;

  /**
   * Show a screen (`account`, `admin`) or the files (`files`).
   * @param {string} name
   * @param {any} [route] handed to the screen (the admin screen's section)
   */
  function showScreen(name, route) {
    const files = name === 'files';
    element.dataset.screen = name;
    for (const [n, link] of [['files', navFiles], ...Object.entries(SCREENS).map(([k, s]) => [k, s.nav])]) {
      if (n === name) link.setAttribute('aria-current', 'page');
      else link.removeAttribute('aria-current');
    }
    uploader.element.hidden = !files;
    browser.element.hidden = !files;
    target.hidden = !files;
    main.classList.toggle('workspace-screen', !files);
    if (screen && screen.name !== name) {
      screen.view?.destroy();
      screen.view?.element.remove();
      screen = null;
    }
    if (files) return;
    if (!screen) {
      if (detail.current()) detail.close();
      const mine = { name, view: null };
      screen = mine;
      Promise.resolve()
        .then(() => SCREENS[name].create())
        .then((view) => {
          if (screen !== mine) {
            view.destroy(); // left before it was ready
            return;
          }
          mine.view = view;
          main.append(view.element);
          view.route?.(mine.route);
        })
        .catch(() => {
          // Its code could not be loaded (offline): say so, and let a later visit try again.
          if (screen !== mine) return;
          screen = null;
          setText(bucketError, 'error.network_error');
          bucketError.hidden = false;
        });
    }
    screen.route = route;
    screen.view?.route?.(route);
  }

  // Routes wait for start(): whether the admin screen may open is known only then.
  let started = false;

  /** @type {string|null} where the signed-in notice was shown ('redirect': on the way there) */
  let noticeAt = null;
  function applyRoute(route) {
    if (!started) return;
    // An invitation link is for signing up: signed in, it says so rather than doing nothing.
    // The notice stays where the link led (the files) and goes at the next place.
    if (route.name === 'register') {
      shellNotice.hidden = false;
      noticeAt = 'redirect';
    } else if (noticeAt === 'redirect') {
      noticeAt = location.hash;
    } else if (noticeAt !== null && location.hash !== noticeAt) {
      shellNotice.hidden = true;
      noticeAt = null;
    }
    if (SCREENS[route.name]?.allowed()) {
      showScreen(route.name, route);
      return;
    }
    showScreen('files');
    if (!buckets.size) return;
    if (route.name !== 'browse' || !buckets.has(route.bucket)) {
      const b = defaultBucket();
      if (b) navigate(browseHref(b, ''), { replace: true });
      return;
    }
    const { bucket, prefix } = route;
    navFiles.href = browseHref(bucket, prefix);
    bucketSelect.value = bucket;
    const folder = prefix.replace(/\/$/, '');
    if (joinFolder(folderInput.value) !== folder) folderInput.value = folder;
    try {
      localStorage.setItem(BUCKET_KEY, bucket);
    } catch {
      // not remembered
    }
    const open = detail.current();
    if (open && (open.bucket !== bucket || !open.key.startsWith(prefix) || open.key.slice(prefix.length).includes('/'))) detail.close();
    browser.show(bucket, prefix);
  }
  const offRoute = onRoute(applyRoute);

  async function loadBuckets() {
    bucketError.hidden = true;
    try {
      const data = await api('/buckets', { query: { pageSize: 100 } });
      buckets.clear();
      for (const b of data.items || []) buckets.set(b.name, b);
      bucketSelect.replaceChildren(
        ...[...buckets.values()].map((b) =>
          h('option', {
            value: b.name,
            t: b.policy ? 'shell.bucketOption' : 'shell.bucketOptionPlain',
            tp: { name: b.name, policy: { key: b.policy === 'private' ? 'policy.private' : 'policy.public' } },
          }),
        ),
      );
      bucketSelect.disabled = buckets.size === 0;
      if (!buckets.size) {
        bucketSelect.append(h('option', { value: '', t: 'shell.noBuckets' }));
      }
    } catch (e) {
      if (!getSession()) return; // logged out meanwhile
      const ek = errorKey(e instanceof ApiError ? e : { code: 'unknown' });
      setText(bucketError, ek.key, ek.params);
      bucketError.hidden = false;
    }
  }

  // Whether the session still stands (another tab may have revoked it): checked at start, when
  // the tab comes back into view, and every minute while it is visible. A refused session
  // clears itself in api.js, which brings the login screen.
  let lastCheck = 0;
  async function checkSession() {
    lastCheck = Date.now();
    try {
      learnUser(await api('/me'));
    } catch {
      // offline or server trouble: keep going
    }
  }
  const onVisible = () => {
    if (document.visibilityState === 'visible' && Date.now() - lastCheck > 15000) checkSession();
  };
  document.addEventListener('visibilitychange', onVisible);
  window.addEventListener('focus', onVisible);
  const timer = setInterval(() => {
    if (document.visibilityState === 'visible') checkSession();
  }, 60000);

  return {
    element,
    async start() {
      showUser();
      const me = checkSession();
      // The route may be the admin screen: first know whether this user may see it.
      await Promise.all([loadBuckets(), typeof user.role === 'string' ? null : me.then(learnRole)]);
      started = true;
      applyRoute(parseHash());
    },
    destroy() {
      offRoute();
      clearInterval(timer);
      window.removeEventListener('resize', onResize);
      document.removeEventListener('visibilitychange', onVisible);
      window.removeEventListener('focus', onVisible);
      uploader.destroy();
      browser.destroy();
      screen?.view?.destroy();
      screen = null;
      detail.destroy();
    },
  };
}
