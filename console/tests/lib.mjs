// Helpers of the console's browser tests: settings from run.sh, a tiny PNG encoder, the native
// API through fetch, the page watchers every test installs (CSP violations, page errors,
// requests leaving the origin, the X-Client each API request carries), axe-core, and the page
// steps several test files share (login, copy buttons, screenshots, the UI strings of a screen).
import { deflateSync } from 'node:zlib';
import { readFileSync, mkdirSync } from 'node:fs';
import { test } from 'node:test';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const here = dirname(fileURLToPath(import.meta.url));
export const repoRoot = join(here, '..', '..');

function need(name) {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run the console tests with bash console/tests/run.sh`);
  return v;
}

export const cfg = {
  base: need('PICGATE_URL').replace(/\/+$/, ''),
  login: need('PICGATE_ADMIN_LOGIN'),
  password: need('PICGATE_ADMIN_PASSWORD'),
  chromium: process.env.CHROMIUM || '/usr/bin/chromium',
  screenshots: process.env.SCREENSHOT_DIR || join(repoRoot, 'docs', 'screenshots'),
  firstLoadOut: process.env.FIRST_LOAD_OUT || join(repoRoot, 'target', 'console-first-load.json'),
  firstLoadBudget: Number(process.env.FIRST_LOAD_BUDGET || 150 * 1024),
};
export const origin = new URL(cfg.base).origin;

const require = createRequire(import.meta.url);
export const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

export const LAUNCH = {
  executablePath: cfg.chromium,
  args: ['--no-sandbox', '--disable-dev-shm-usage'],
};
export const DESKTOP = { viewport: { width: 1280, height: 800 }, locale: 'en-US' };
export const PHONE = {
  viewport: { width: 390, height: 844 },
  deviceScaleFactor: 1,
  isMobile: true,
  hasTouch: true,
  locale: 'en-US',
};

// ---------------------------------------------------------------- PNG
const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}
/** A valid RGB PNG of w×h: a diagonal gradient tinted by `seed` (every seed gives other bytes). */
export function png(w = 40, h = 30, seed = 0) {
  const raw = Buffer.alloc((w * 3 + 1) * h);
  const r0 = (seed * 67) % 256, g0 = (seed * 131 + 80) % 256, b0 = (seed * 29 + 160) % 256;
  for (let y = 0; y < h; y++) {
    const row = y * (w * 3 + 1);
    raw[row] = 0;
    for (let x = 0; x < w; x++) {
      const t = Math.floor(((x + y) * 96) / (w + h));
      raw[row + 1 + x * 3] = (r0 + t) % 256;
      raw[row + 2 + x * 3] = (g0 + t) % 256;
      raw[row + 3 + x * 3] = (b0 + 2 * t) % 256;
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

// ---------------------------------------------------------------- API
export async function api(method, path, { token, json, body, headers = {} } = {}) {
  const h = { 'x-client': 'pc', ...headers };
  if (token) h.authorization = `Bearer ${token}`;
  if (json !== undefined) {
    h['content-type'] = 'application/json';
    body = JSON.stringify(json);
  }
  const res = await fetch(`${cfg.base}/api/v1${path}`, { method, headers: h, body });
  const text = await res.text();
  let data = null;
  try { data = JSON.parse(text); } catch { /* not JSON */ }
  return { status: res.status, data, text, headers: res.headers };
}
/** The `data` of a native envelope (or the answer itself when it has none). */
export const payload = (r) => (r.data && typeof r.data === 'object' && 'data' in r.data ? r.data.data : r.data);

export async function apiLogin() {
  const r = await api('POST', '/auth/login', { json: { login: cfg.login, password: cfg.password } });
  if (r.status !== 200) throw new Error(`API login failed: ${r.status} ${r.text}`);
  return payload(r).accessToken;
}
export const keyPath = (key) => key.split('/').map(encodeURIComponent).join('/');

export async function putObject(token, bucket, key, bytes, type = 'image/png') {
  const r = await api('PUT', `/buckets/${bucket}/objects/${keyPath(key)}`, {
    token, body: bytes, headers: { 'content-type': type },
  });
  if (r.status !== 201 && r.status !== 200) throw new Error(`PUT ${key}: ${r.status} ${r.text}`);
  return payload(r);
}
export async function objectInfo(token, bucket, key) {
  return api('GET', `/buckets/${bucket}/info/${keyPath(key)}`, { token });
}

// ---------------------------------------------------------------- page watchers
/**
 * Watches a page for what must never happen: an uncaught error, a CSP violation (inline script
 * or style), a request to another origin (no CDN, no network at runtime). Also records the
 * X-Client of every API request and the profile of every API answer.
 */
export function watch(page, label) {
  const w = { label, problems: [], apiRequests: [], apiProfiles: [], consoleErrors: [] };
  page.on('pageerror', (e) => w.problems.push(`uncaught error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    const t = m.text();
    if (/Content Security Policy/i.test(t)) w.problems.push(`CSP violation: ${t}`);
    else w.consoleErrors.push(t);
  });
  page.on('request', (req) => {
    const u = req.url();
    if (u.startsWith('data:') || u.startsWith('blob:')) return;
    let o;
    try { o = new URL(u).origin; } catch { return; }
    if (o !== origin) {
      w.problems.push(`request outside the origin: ${req.method()} ${u}`);
      return;
    }
    if (new URL(u).pathname.startsWith('/api/')) {
      w.apiRequests.push({ method: req.method(), path: new URL(u).pathname + new URL(u).search, xClient: req.headers()['x-client'] ?? null });
    }
  });
  page.on('response', (res) => {
    const u = new URL(res.url());
    if (u.origin === origin && u.pathname.startsWith('/api/')) {
      w.apiProfiles.push({ path: u.pathname, status: res.status(), profile: res.headers()['x-client-profile'] ?? null });
    }
  });
  return w;
}
export function assertClean(w) {
  if (w.problems.length) {
    throw new Error(`${w.label}: ${w.problems.length} problem(s):\n  ${[...new Set(w.problems)].join('\n  ')}`);
  }
}

// ---------------------------------------------------------------- axe
/** Runs axe-core on the page as it is; returns the serious and critical violations. */
export async function axeCheck(page, screen) {
  // page.evaluate runs through the DevTools protocol, which the page's CSP does not govern
  // (addScriptTag would insert an inline <script> the CSP refuses).
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.evaluate(axeSource);
  const res = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  const bad = res.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  const all = res.violations.map((v) => `${v.impact} ${v.id} (${v.nodes.length})`);
  return {
    screen,
    all,
    bad: bad.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.slice(0, 5).map((n) => `${n.target.join(' ')} — ${n.failureSummary?.split('\n').slice(0, 3).join(' ')}`),
    })),
  };
}

export function screenshotPath(name, page) {
  const { width, height } = page.viewportSize();
  mkdirSync(cfg.screenshots, { recursive: true });
  return join(cfg.screenshots, `${name}-${width}x${height}.png`);
}

/** A PNG of random pixels (does not compress): for uploads slow enough to watch and cancel. */
export function noisePng(w, h) {
  const p = png(w, h, 1);
  // Rebuild with random pixel rows.
  const raw = Buffer.alloc((w * 3 + 1) * h);
  for (let i = 0; i < raw.length; i++) raw[i] = (Math.random() * 256) | 0;
  for (let y = 0; y < h; y++) raw[y * (w * 3 + 1)] = 0;
  const head = p.subarray(0, 8 + 25); // signature + IHDR chunk
  return Buffer.concat([head, chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

/** Polls `fn` (async, node side) until it returns a truthy value; throws `message(last)` on timeout. */
export async function until(fn, message, timeout = 15000, every = 100) {
  const end = Date.now() + timeout;
  let last;
  for (;;) {
    last = await fn();
    if (last) return last;
    if (Date.now() > end) throw new Error(typeof message === 'function' ? message(last) : message);
    await new Promise((r) => setTimeout(r, every));
  }
}

// ---------------------------------------------------------------- pages
/** The element(s) with a data-testid under a page or locator; `css` escapes a value for a selector. */
export const tid = (scope, id) => scope.locator(`[data-testid="${id}"]`);
export const css = (s) => s.replace(/["\\]/g, '\\$&');

/** Opens the console at / and waits for the login form (and the sign-up offer, or none). */
export async function gotoLogin(page) {
  await page.goto(`${cfg.base}/`);
  await tid(page, 'login-form').waitFor({ state: 'visible' });
  // The offer follows the server's registration mode: once it is known the screen is complete.
  await page.locator('[data-testid="login-screen"][data-registration]').waitFor();
}

/** Fills in the administrator's login (and `password`) and submits it. */
export async function submitLogin(page, password = cfg.password, { touch = false } = {}) {
  await tid(page, 'login-id').fill(cfg.login);
  await tid(page, 'login-password').fill(password);
  if (touch) await tid(page, 'login-submit').tap();
  else await tid(page, 'login-submit').click();
}

/** Signs the administrator in through the login form and waits for the console. */
export async function login(page, opts) {
  await gotoLogin(page);
  await submitLogin(page, cfg.password, opts);
  await tid(page, 'app-shell').waitFor({ state: 'visible' });
}

export async function clearClipboard(page) {
  await page.evaluate(() => navigator.clipboard.writeText(''));
}

/** Clicks (or taps) a copy button and returns what landed on the clipboard. */
export async function copyVia(page, button, { touch = false } = {}) {
  await clearClipboard(page);
  if (touch) await button.tap();
  else await button.click();
  const text = await until(() => page.evaluate(() => navigator.clipboard.readText()),
    'clicking the copy button put nothing on the clipboard', 5000);
  await page.locator('[data-testid="copy-feedback"]:visible').first()
    .waitFor({ state: 'visible', timeout: 5000 })
    .catch(() => { throw new Error('no visible copy-feedback after copying'); });
  return text;
}

/** A screenshot of the page as it is: docs/screenshots/<name>-<width>x<height>.png. */
export async function shot(page, name) {
  await page.waitForTimeout(150); // let transitions end
  await page.screenshot({ path: screenshotPath(name, page) });
}

/**
 * UI strings of the page (buttons, labels, headings, placeholders, aria-labels, titles); what
 * the user's data names (`data-prefix`, `data-key`, `data-name`, bucket options) is blanked out.
 */
export function uiStrings(page) {
  return page.evaluate(() => {
    const out = [];
    const skip = (el) => el.closest('[data-testid="object-item"], [data-testid="lang-switch"], [data-testid="bucket-select"]')
      || el.closest('[data-testid="upload-item"]') && !el.matches('button');
    const visible = (el) => !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length);
    for (const el of document.querySelectorAll('button, label, h1, h2, h3, h4, legend, th, summary, [role="tab"], [role="button"], a, option, p, [data-testid="drop-zone"]')) {
      if (skip(el) || !visible(el)) continue;
      const t = (el.matches('[data-testid="drop-zone"], p') ? [...el.childNodes].filter((n) => n.nodeType === 3).map((n) => n.textContent).join(' ') : el.innerText || '').trim();
      if (t) out.push(t);
    }
    for (const el of document.querySelectorAll('[placeholder], [aria-label], [title], img[alt]')) {
      if (skip(el)) continue;
      for (const a of ['placeholder', 'aria-label', 'title']) if (el.getAttribute(a)) out.push(el.getAttribute(a));
    }
    if (document.title) out.push(document.title);
    // What the user's data names (folders, objects, buckets) is not UI text: blank it out.
    const data = new Set();
    for (const el of document.querySelectorAll('[data-prefix], [data-key], [data-name]')) {
      for (const a of ['data-prefix', 'data-key', 'data-name']) {
        for (const seg of (el.getAttribute(a) ?? '').split('/')) if (seg) data.add(seg);
      }
    }
    for (const o of document.querySelectorAll('[data-testid="bucket-select"] option')) data.add(o.value);
    const esc = (x) => x.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const words = [...data].sort((a, b) => b.length - a.length).map(esc);
    const re = words.length ? new RegExp(`(^|[^\\w.-])(${words.join('|')})(?=$|[^\\w.-])`, 'g') : null;
    return [...new Set(out.map((t) => (re ? t.replace(re, '$1 ') : t)))];
  });
}

// Words that may stay Latin on a Chinese screen: names of formats, products, units.
export const LATIN_OK = new Set(['url', 'urls', 'html', 'markdown', 'bbcode', 'etag', 'api', 'token', 'picgate',
  'picgo', 'piclist', 'sharex', 'typora', 'png', 'jpeg', 'jpg', 'gif', 'webp', 'svg', 'avif', 'kib', 'mib',
  'gib', 'english', 'lsky', 'pro', 'h5', 'pc', 'id', 'utc', 'bytes']);
export function englishLeftovers(strings) {
  const admin = [cfg.login, process.env.PICGATE_ADMIN_NAME, process.env.PICGATE_ADMIN_PHONE].filter(Boolean);
  const bad = [];
  for (const s of strings) {
    let t = s;
    for (const a of admin) t = t.split(a).join(' ');
    t = t.replace(/\S+@\S+/g, ' ').replace(/https?:\/\/\S+/g, ' ').replace(/[\w.-]+\.(png|jpe?g|gif|webp|svg|txt)\b/gi, ' ')
      .replace(/\b(images|files)\b/g, ' '); // bucket names are data
    const words = (t.match(/[A-Za-z]{3,}/g) ?? []).filter((w) => !LATIN_OK.has(w.toLowerCase()));
    if (words.length) bad.push(`${JSON.stringify(s)} (${words.join(', ')})`);
  }
  return bad;
}
export const hasCJK = (s) => /[\u3400-\u9fff]/.test(s);

/** The access token the page keeps in localStorage (picgate.session). */
export const sessionTokenOf = async (page) => (await page.evaluate(() => localStorage.getItem('picgate.session')))
  ?.match(/eyJ[\w-]+\.[\w-]+\.[\w-]+/)?.[0];

// ---------------------------------------------------------------- pages of a test

/**
 * Pages for browser tests. `open(label, opts)` makes a fresh context (its own cookies and
 * storage) with one watched page; `ui(name, fn)` is a node:test test whose pages, on failure,
 * are photographed to target/console-failures/ with what they reported (uncaught errors, CSP
 * violations, console errors) added to the message, and are always closed afterwards.
 * @param {() => import('playwright-core').Browser} getBrowser
 * @param {number} timeout per-step wait, ms
 * @param {{clipboard?: boolean}} [opts] clipboard: grant clipboard read and write
 */
export function pages(getBrowser, timeout, { clipboard = true } = {}) {
  const live = []; // the pages the running test opened

  async function open(label, opts = DESKTOP) {
    const context = await getBrowser().newContext(opts);
    context.setDefaultTimeout(timeout);
    if (clipboard) await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin });
    const page = await context.newPage();
    const w = watch(page, label);
    live.push({ context, page, w });
    return { context, page, w };
  }

  function ui(name, fn) {
    test(name, async (t) => {
      try {
        await fn(t);
      } catch (e) {
        const dir = join(repoRoot, 'target', 'console-failures');
        mkdirSync(dir, { recursive: true });
        const notes = [];
        for (const [i, { page, w }] of live.entries()) {
          const file = `${dir}/${name.replace(/[^\w]+/g, '-').slice(0, 60)}-${i}.png`;
          await page.screenshot({ path: file, fullPage: true }).catch(() => {});
          const seen = [...new Set([...w.problems, ...w.consoleErrors])];
          notes.push(`  [${w.label}] ${page.url()} — screenshot ${file.slice(repoRoot.length + 1)}`
            + (seen.length ? `\n    ${seen.slice(0, 10).join('\n    ')}` : ''));
        }
        if (notes.length && e && typeof e === 'object') e.message = `${e.message}\n  pages:\n${notes.join('\n')}`;
        throw e;
      } finally {
        for (const { context } of live.splice(0)) await context.close().catch(() => {});
      }
    });
  }

  return { open, ui };
}
