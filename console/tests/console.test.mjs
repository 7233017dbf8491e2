// Browser tests of picgate's web console, against a real picgate
// started by run.sh. Headless Chromium from Debian, driven by playwright-core; the DOM is reached
// only through data-testid attributes (login-form, app-shell, drop-zone, …), which the console keeps stable for them.
//
//   bash console/tests/run.sh            (from the repository root; starts picgate, runs this)
//
// Each test opens its own browser context (a cold cache, its own localStorage) and asserts what a
// user notices. Every page is watched for uncaught errors, CSP violations and requests leaving
// the origin (no CDN); screenshots go to docs/screenshots/, the first-load figures to
// target/console-first-load.json, the axe-core findings to target/console-axe.json.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { tmpdir } from 'node:os';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { chromium } from 'playwright-core';
import {
  cfg, origin, LAUNCH, DESKTOP, PHONE, png, noisePng, api, payload, apiLogin, putObject,
  objectInfo, watch, assertClean, axeCheck, until, repoRoot, keyPath,
  tid, css, gotoLogin, submitLogin, login, copyVia, shot, uiStrings, englishLeftovers, hasCJK,
  sessionTokenOf,
  pages,
} from './lib.mjs';

const execFileP = promisify(execFile);

const BUCKET = 'images';
const MANY = 60; // more than one page: pc's default page is 50, h5's 20
const W = 40, H = 30; // every generated test image
const T = 20_000; // per-step wait

let browser;
let adminToken;
const axeReports = [];

// ------------------------------------------------------------------ helpers

const { open, ui } = pages(() => browser, T);

async function chooseTarget(page, folder) {
  const bucket = tid(page, 'bucket-select');
  if (await bucket.count()) await bucket.selectOption(BUCKET);
  const f = tid(page, 'folder-input');
  await f.fill(folder);
  await f.blur();
}

const itemNames = (page) =>
  page.$$eval('[data-testid="upload-item"]', (els) => els.map((e) => e.getAttribute('data-name')));

/** Waits for `n` upload items that were not there before (`before`: their names then). */
async function newItems(page, before, n) {
  const names = await until(async () => {
    const now = await itemNames(page);
    const fresh = now.filter((x) => !before.includes(x));
    return fresh.length >= n ? fresh : null;
  }, () => `expected ${n} new upload-item(s) to appear`);
  return names;
}

function uploadItem(page, name) {
  return page.locator(`[data-testid="upload-item"][data-name="${css(name)}"]`);
}

/** Waits until the item is done; fails at once on error/cancelled, with the message shown. */
async function expectDone(item, name) {
  const status = tid(item, 'upload-status');
  await until(async () => {
    const state = await status.getAttribute('data-state');
    if (state === 'error' || state === 'cancelled') {
      throw new Error(`upload ${name}: state ${state}: ${(await status.innerText()).trim()}`);
    }
    return state === 'done';
  }, `upload ${name} did not reach data-state=done`, 30_000);
  const [value, max] = await tid(item, 'upload-progress').evaluate((p) => [p.value, p.max]);
  assert.equal(max, 100, `upload ${name}: <progress max> should be 100`);
  assert.equal(value, 100, `upload ${name}: progress should end at 100`);
  assert.ok((await status.innerText()).trim().length > 0, `upload ${name}: the done status shows no message`);
}

async function fetchImage(url) {
  const res = await fetch(url);
  const bytes = Buffer.from(await res.arrayBuffer());
  return { status: res.status, type: res.headers.get('content-type'), bytes };
}

async function expectUrlServes(url, bytes, what) {
  assert.match(url, /^https?:\/\//, `${what}: not an absolute URL: ${url}`);
  const got = await fetchImage(url);
  assert.equal(got.status, 200, `${what}: GET ${url} → ${got.status}`);
  assert.match(got.type ?? '', /^image\/png/, `${what}: ${url} is served as ${got.type}`);
  if (bytes) assert.ok(got.bytes.equals(bytes), `${what}: ${url} does not serve the uploaded bytes`);
}

async function settleImages(page, scope = 'body') {
  // The images in view (lazy ones further down never load until scrolled to).
  await page.waitForFunction((s) => [...document.querySelectorAll(`${s} img`)].every((i) => {
    const r = i.getBoundingClientRect();
    const inView = r.bottom > 0 && r.right > 0 && r.top < innerHeight && r.left < innerWidth;
    return !inView || (i.complete && i.naturalWidth > 0);
  }), scope, { timeout: 10_000 }).catch(() => {});
}

async function axe(page, screen) {
  const r = await axeCheck(page, `${screen} ${page.viewportSize().width}x${page.viewportSize().height}`);
  axeReports.push(r);
}

async function openFolder(page, prefix) {
  const list = tid(page, 'object-list');
  await list.waitFor({ state: 'visible' }).catch(() => {
    throw new Error('object-list is not visible after login (no navigation test id reaches it)');
  });
  const bucket = tid(page, 'bucket-select');
  if (await bucket.count()) await bucket.selectOption(BUCKET);
  const folder = page.locator(`[data-testid="folder-item"][data-prefix$="${css(prefix)}"]`).first();
  await folder.waitFor({ state: 'visible' }).catch(() => {
    throw new Error(`no folder-item with data-prefix ending in "${prefix}" in the listing`);
  });
  return folder;
}

const objectKeys = (page) =>
  page.$$eval('[data-testid="object-item"]', (els) => els.map((e) => e.getAttribute('data-key')));

function objectItem(page, key) {
  // data-key may be the full key or (h5 lists) relative to the folder: match the tail.
  return page.locator(`[data-testid="object-item"][data-key$="${css(key.split('/').pop())}"]`).first();
}

/** Where a tap selects a checkbox: the label around it, else the box itself (viewport px). */
const hitBox = (checkbox) => checkbox.evaluate((el) => {
  const r = (el.closest('label') ?? el).getBoundingClientRect();
  return { x: r.x, y: r.y, width: r.width, height: r.height };
});

/** Scrolls the list sentinel into view until `want` objects are listed; returns the counts seen. */
async function scrollAll(page, want) {
  const seen = [(await objectKeys(page)).length];
  const end = Date.now() + 45_000;
  while (seen.at(-1) < want && Date.now() < end) {
    const s = tid(page, 'list-sentinel');
    if (await s.count()) await s.scrollIntoViewIfNeeded().catch(() => {});
    await page.mouse.wheel(0, 4000);
    const before = seen.at(-1);
    const n = await until(async () => {
      const k = (await objectKeys(page)).length;
      return k > before ? k : null;
    }, '', 8000).catch(() => null);
    if (n === null) break;
    seen.push(n);
  }
  return seen;
}

// ------------------------------------------------------------------ setup

before(async () => {
  browser = await chromium.launch(LAUNCH);
  adminToken = await apiLogin();
  // Seeded through the native API: one folder of more than a page, a sub-folder inside it, and a
  // folder with an object to delete.
  const jobs = [];
  for (let i = 0; i < MANY; i++) jobs.push(['many/img-' + String(i).padStart(2, '0') + '.png', png(W, H, i)]);
  jobs.push(['many/sub/inner-a.png', png(W, H, 100)], ['many/sub/inner-b.png', png(W, H, 101)]);
  jobs.push(['del/victim.png', png(W, H, 200)], ['del/keep.png', png(W, H, 201)]);
  for (let i = 0; i < jobs.length; i += 8) {
    await Promise.all(jobs.slice(i, i + 8).map(([k, b]) => putObject(adminToken, BUCKET, k, b)));
  }
});

after(async () => {
  await browser?.close();
  const out = `${repoRoot}/target/console-axe.json`;
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify(axeReports, null, 2) + '\n');
});

// ------------------------------------------------------------------ tests

/** One cold load of `/` in a fresh context (empty cache): bytes per resource, time to interactive. */
async function measureLoad(label, opts) {
  const { context, page, w } = await open(label, opts);
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  const reqs = new Map();
  let interactive = false;
  let phase = 'cold';
  const record = [];
  cdp.on('Network.responseReceived', (e) => {
    const h = Object.fromEntries(Object.entries(e.response.headers).map(([k, v]) => [k.toLowerCase(), v]));
    reqs.set(e.requestId, { url: e.response.url, type: e.type, status: e.response.status, encoding: h['content-encoding'] ?? null });
  });
  cdp.on('Network.loadingFinished', (e) => {
    const r = reqs.get(e.requestId);
    if (r) record.push({ ...r, phase, bytes: e.encodedDataLength, beforeInteractive: !interactive });
  });
  await page.goto(`${cfg.base}/`);
  // Interactive: the login form, its inputs and its button shown and enabled.
  const tti = await page.waitForFunction(() => {
    const shown = (el) => el && el.getClientRects().length && getComputedStyle(el).visibility !== 'hidden';
    const [f, id, pw, s] = ['login-form', 'login-id', 'login-password', 'login-submit']
      .map((t) => document.querySelector(`[data-testid="${t}"]`));
    return shown(f) && shown(id) && shown(pw) && shown(s) && !id.disabled && !pw.disabled && !s.disabled
      ? performance.now() : false;
  }, null, { timeout: T, polling: 'raf' }).then((h) => h.jsonValue());
  interactive = true;
  await page.waitForLoadState('networkidle');
  const nav = await page.evaluate(() => {
    const n = performance.getEntriesByType('navigation')[0];
    return { domContentLoadedMs: Math.round(n.domContentLoadedEventEnd), loadMs: Math.round(n.loadEventEnd) };
  });
  // A second visit in the same context: what the cache saves.
  phase = 'warm';
  await page.goto(`${cfg.base}/`);
  await tid(page, 'login-form').waitFor({ state: 'visible' });
  await page.waitForLoadState('networkidle');
  assertClean(w);
  await context.close();
  const sum = (xs) => xs.reduce((a, r) => a + r.bytes, 0);
  const cold = record.filter((r) => r.phase === 'cold');
  const warm = record.filter((r) => r.phase === 'warm');
  return {
    timeToInteractiveMs: Math.round(tti),
    ...nav,
    bytesUntilInteractive: sum(cold.filter((r) => r.beforeInteractive)),
    bytesFirstScreen: sum(cold),
    requests: cold.length,
    warmRevisitBytes: sum(warm),
    warmRevisitRequests: warm.length,
    // API answers (the registration mode) are asked afresh by design; assets must not be.
    warmRevisitFromNetwork: warm.filter((r) => r.bytes > 0 && !new URL(r.url).pathname.startsWith('/api/')).length,
    resources: cold.map((r) => ({
      path: r.url.startsWith(origin) ? r.url.slice(origin.length) : r.url.slice(0, 60),
      type: r.type, status: r.status, encoding: r.encoding, bytes: r.bytes,
    })),
  };
}

ui('first load: transferred bytes and time to interactive on a cold cache', async () => {
  const RUNS = 3;
  const result = {
    measuredAt: new Date().toISOString(),
    chromium: browser.version(),
    server: process.env.PICGATE_BIN_KIND || 'unknown build',
    budgetBytes: cfg.firstLoadBudget,
    runs: RUNS,
    note: 'loopback, no network throttling; time to interactive = navigation start → login form shown and enabled (median of the runs); bytes = encoded (compressed) bytes received incl. headers',
  };
  await measureLoad('first load warm-up', DESKTOP); // the server's first answers are not the console's
  for (const [name, opts] of [['desktop', DESKTOP], ['phone', PHONE]]) {
    const runs = [];
    for (let i = 0; i < RUNS; i++) runs.push(await measureLoad(`first load ${name} #${i + 1}`, opts));
    const median = (k) => runs.map((r) => r[k]).sort((a, b) => a - b)[Math.floor(RUNS / 2)];
    result[name] = {
      viewport: opts.viewport,
      timeToInteractiveMs: median('timeToInteractiveMs'),
      timeToInteractiveRunsMs: runs.map((r) => r.timeToInteractiveMs),
      domContentLoadedMs: median('domContentLoadedMs'),
      loadMs: median('loadMs'),
      bytesUntilInteractive: Math.max(...runs.map((r) => r.bytesUntilInteractive)),
      bytesFirstScreen: Math.max(...runs.map((r) => r.bytesFirstScreen)),
      requests: runs[0].requests,
      warmRevisitBytes: runs[0].warmRevisitBytes,
      warmRevisitRequests: runs[0].warmRevisitRequests,
      warmRevisitFromNetwork: runs[0].warmRevisitFromNetwork,
      resources: runs[0].resources,
    };
  }
  mkdirSync(dirname(cfg.firstLoadOut), { recursive: true });
  writeFileSync(cfg.firstLoadOut, JSON.stringify(result, null, 2) + '\n');
  const brief = (r) => ({ tti: r.timeToInteractiveMs, bytes: r.bytesFirstScreen, requests: r.requests, warmBytes: r.warmRevisitBytes });
  console.log(`first load → ${cfg.firstLoadOut}: ${JSON.stringify({ desktop: brief(result.desktop), phone: brief(result.phone) })}`);
  for (const name of ['desktop', 'phone']) {
    assert.ok(result[name].bytesFirstScreen < cfg.firstLoadBudget,
      `${name} first screen transferred ${result[name].bytesFirstScreen} B, over the ${cfg.firstLoadBudget} B budget`);
    const plain = result[name].resources.filter((r) => r.bytes > 1024 && !r.encoding && /script|stylesheet|document/i.test(r.type));
    assert.deepEqual(plain, [], `${name}: text resources over 1 KiB sent uncompressed`);
    assert.equal(result[name].warmRevisitFromNetwork <= 1, true,
      `${name}: a second visit fetched ${result[name].warmRevisitFromNetwork} resources again (hashed assets should come from the cache)`);
  }
});

test('serving: / and the hashed assets carry the security and cache headers', async () => {
  const res = await fetch(`${cfg.base}/`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
  const csp = res.headers.get('content-security-policy') ?? '';
  for (const d of ["default-src 'self'", "script-src 'self'", "style-src 'self'", "object-src 'none'", "frame-ancestors 'none'"]) {
    assert.ok(csp.includes(d), `CSP of / lacks ${d}: ${csp}`);
  }
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/, 'CSP of / allows inline or eval');
  assert.equal(res.headers.get('x-frame-options'), 'DENY');
  assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
  assert.match(res.headers.get('cache-control') ?? '', /no-cache/);
  const html = await res.text();
  assert.ok(!html.includes('{{ASSETS}}'), 'the {{ASSETS}} placeholder reached the browser');
  const m = html.match(/\/console\/([0-9a-f]{12})\/app\.js/);
  assert.ok(m, 'index.html does not load /console/<12 hex>/app.js');
  const asset = await fetch(`${cfg.base}/console/${m[1]}/app.js`, { headers: { 'accept-encoding': 'br, gzip' } });
  assert.equal(asset.status, 200);
  assert.match(asset.headers.get('content-type') ?? '', /^text\/javascript/);
  assert.match(asset.headers.get('cache-control') ?? '', /immutable/);
  assert.ok(asset.headers.get('etag'), 'assets carry an ETag');
  const stale = await fetch(`${cfg.base}/console/000000000000/app.js`);
  assert.equal(stale.status, 404, 'an asset under another version should be 404');
  await stale.arrayBuffer();
});

ui('log in: a wrong password shows login-error; the right one opens the console', async () => {
  const { context, page, w } = await open('login');
  await gotoLogin(page);
  await shot(page, 'login');
  await axe(page, 'login');
  await submitLogin(page, `${cfg.password}-wrong`);
  const err = tid(page, 'login-error');
  await err.waitFor({ state: 'visible' });
  assert.ok((await err.innerText()).trim().length > 0, 'login-error is empty');
  assert.equal(await tid(page, 'app-shell').count(), 0, 'a wrong password opened the console');
  await axe(page, 'login-error');
  await submitLogin(page);
  await tid(page, 'app-shell').waitFor({ state: 'visible' });
  assert.equal(await tid(page, 'app-shell').getAttribute('data-client'), 'pc');
  assert.ok(!(await tid(page, 'login-error').isVisible()), 'login-error still shown after logging in');
  // The API requests of a 1280-wide page name the pc profile, every one of them.
  const wrong = w.apiRequests.filter((r) => r.xClient !== 'pc');
  assert.ok(w.apiRequests.length > 0, 'no API request seen');
  assert.deepEqual(wrong, [], 'API requests without X-Client: pc');
  // Narrowing the window re-evaluates the profile.
  await page.setViewportSize({ width: 390, height: 844 });
  await until(async () => (await tid(page, 'app-shell').getAttribute('data-client')) === 'h5',
    'app-shell data-client did not turn h5 at 390 px wide', 5000);
  await page.setViewportSize(DESKTOP.viewport);
  await until(async () => (await tid(page, 'app-shell').getAttribute('data-client')) === 'pc',
    'app-shell data-client did not turn back to pc at 1280 px wide', 5000);
  assertClean(w);
  await context.close();
});

ui('upload by file input, drop and paste: each item reaches 100 % and done, and its link serves the bytes', async () => {
  const { context, page, w } = await open('upload');
  await login(page);
  await chooseTarget(page, 'desk');
  const files = {
    'picked-1.png': png(W, H, 11), 'picked-2.png': png(W, H, 12),
    'dropped-1.png': png(W, H, 21), 'dropped-2.png': png(W, H, 22),
    'pasted.png': png(W, H, 31),
  };

  // File picker, two at once.
  let before = await itemNames(page);
  await tid(page, 'file-input').setInputFiles(['picked-1.png', 'picked-2.png'].map((name) => ({ name, mimeType: 'image/png', buffer: files[name] })));
  let fresh = await newItems(page, before, 2);
  assert.deepEqual(fresh.sort(), ['picked-1.png', 'picked-2.png'], 'upload-item data-name should be the file names');
  for (const n of fresh) await expectDone(uploadItem(page, n), n);

  // Drop: a synthetic DataTransfer with two Files, dragenter → dragover → drop on the drop zone.
  before = await itemNames(page);
  await tid(page, 'drop-zone').evaluate((zone, list) => {
    const dt = new DataTransfer();
    for (const { name, b64 } of list) {
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      dt.items.add(new File([bytes], name, { type: 'image/png' }));
    }
    for (const type of ['dragenter', 'dragover', 'drop']) {
      zone.dispatchEvent(new DragEvent(type, { bubbles: true, cancelable: true, dataTransfer: dt }));
    }
  }, ['dropped-1.png', 'dropped-2.png'].map((name) => ({ name, b64: files[name].toString('base64') })));
  fresh = await newItems(page, before, 2);
  assert.deepEqual(fresh.sort(), ['dropped-1.png', 'dropped-2.png']);
  for (const n of fresh) await expectDone(uploadItem(page, n), n);

  // Paste: a ClipboardEvent whose clipboardData holds an image File (a screenshot's Ctrl+V).
  before = await itemNames(page);
  await page.evaluate(({ name, b64 }) => {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const dt = new DataTransfer();
    dt.items.add(new File([bytes], name, { type: 'image/png' }));
    document.body.dispatchEvent(new ClipboardEvent('paste', { bubbles: true, cancelable: true, clipboardData: dt }));
  }, { name: 'pasted.png', b64: files['pasted.png'].toString('base64') });
  const [pastedName] = await newItems(page, before, 1); // the console may name a pasted screenshot itself
  await expectDone(uploadItem(page, pastedName), `pasted (${pastedName})`);

  // Every link serves exactly what was uploaded.
  const shown = { ...files };
  if (pastedName !== 'pasted.png') { shown[pastedName] = files['pasted.png']; delete shown['pasted.png']; }
  for (const [name, bytes] of Object.entries(shown)) {
    const url = await copyVia(page, tid(uploadItem(page, name), 'copy-url'));
    await expectUrlServes(url, bytes, `upload ${name}`);
    assert.ok(new URL(url).pathname.includes('/desk/'), `upload ${name} did not go to the chosen folder: ${url}`);
  }
  await shot(page, 'upload-done');
  await axe(page, 'upload-done');

  // A type the bucket refuses: a per-file error with a message, the others unaffected.
  before = await itemNames(page);
  await tid(page, 'file-input').setInputFiles([{ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('not an image\n') }]);
  const [txt] = await newItems(page, before, 1);
  const st = tid(uploadItem(page, txt), 'upload-status');
  await until(async () => (await st.getAttribute('data-state')) === 'error',
    async () => `notes.txt: expected data-state=error, got ${await st.getAttribute('data-state')}`);
  const msg = (await st.innerText()).trim();
  assert.ok(msg.length > 0, 'the refused file shows no message');
  assert.doesNotMatch(msg, /^\s*\{|unsupported_media_type|type_not_allowed/, `the refused file shows a raw error: ${msg}`);
  // Sending it again cannot change the answer: no Retry.
  assert.equal(await tid(uploadItem(page, txt), 'upload-retry').isVisible(), false, 'a file of a refused type offers Retry');
  assertClean(w);
  await context.close();
});

const isUploadPost = (r) => r.method() === 'POST' && /^\/api\/v1\/buckets\/[^/]+\/objects$/.test(new URL(r.url()).pathname);

ui('upload refusals: a "." or ".." folder is refused at the folder field before sending (en, zh-CN); too large offers no Retry, a server failure does', async () => {
  const { page, w } = await open('upload refusals');
  await login(page);
  const posts = [];
  page.on('request', (r) => { if (isUploadPost(r)) posts.push(new URL(r.url()).search); });
  const field = tid(page, 'folder-input');
  const err = tid(page, 'folder-error');

  /** Picks one file into `folder` and waits for the folder's message; returns its text. */
  async function refused(folder) {
    await chooseTarget(page, folder);
    const before = await itemNames(page);
    await tid(page, 'file-input').setInputFiles([{ name: 'dots.png', mimeType: 'image/png', buffer: png(W, H, 61) }]);
    await err.waitFor({ state: 'visible' }).catch(() => { throw new Error(`no folder-error for the folder "${folder}"`); });
    assert.deepEqual(await itemNames(page), before, `an upload item for the folder "${folder}"`);
    return (await err.innerText()).trim();
  }

  for (const folder of ['../x', 'a/./b', 'a/..', ' .. ']) {
    assert.match(await refused(folder), /“\.” or “\.\.”.*nothing was uploaded/, `the message for "${folder}"`);
    // Said at the field: marked, described by it, right below it; the folder is not rewritten.
    assert.equal(await field.getAttribute('aria-invalid'), 'true', `"${folder}": the folder field is not marked invalid`);
    assert.ok(((await field.getAttribute('aria-describedby')) ?? '').split(' ').includes('folder-error'), 'the folder field is not described by its message');
    const [f, e] = [await field.boundingBox(), await err.boundingBox()];
    assert.ok(e.y >= f.y + f.height - 1 && e.y - (f.y + f.height) < 48 && e.x < f.x + f.width && e.x + e.width > f.x,
      `the message (${JSON.stringify(e)}) is not at the folder field (${JSON.stringify(f)})`);
    assert.equal(await field.inputValue(), folder, 'the folder field was rewritten');
  }
  assert.deepEqual(posts, [], 'a file was sent to a folder with a "." or ".." segment');

  // Enter in the folder field opens that folder: not one with a ".." segment either.
  const hashBefore = await page.evaluate(() => location.hash);
  await field.fill('a/../b');
  await field.press('Enter');
  await err.waitFor({ state: 'visible' });
  assert.equal(await page.evaluate(() => location.hash), hashBefore, 'Enter opened a folder with a ".." segment');

  // Harmless spelling is still tidied (slashes, spaces around a segment), and a corrected folder
  // takes the file; the message goes as soon as the folder is edited.
  await chooseTarget(page, '/refusals// ok /');
  assert.equal(await err.isVisible(), false, 'the message stays while the folder is edited');
  assert.equal(await field.getAttribute('aria-invalid'), null, 'the edited folder is still marked invalid');
  let before = await itemNames(page);
  await tid(page, 'file-input').setInputFiles([{ name: 'good.png', mimeType: 'image/png', buffer: png(W, H, 62) }]);
  let [name] = await newItems(page, before, 1);
  await expectDone(uploadItem(page, name), name);
  assert.equal((await objectInfo(adminToken, BUCKET, 'refusals/ok/good.png')).status, 200, 'the tidied folder did not take the file');

  // Over the bucket's limit (images: 20 MiB): refused in the browser, nothing sent, no Retry.
  const sent = posts.length;
  before = await itemNames(page);
  await tid(page, 'file-input').setInputFiles([{ name: 'huge.png', mimeType: 'image/png', buffer: Buffer.alloc(20 * 1024 * 1024 + 1) }]);
  [name] = await newItems(page, before, 1);
  let item = uploadItem(page, name);
  await until(async () => (await tid(item, 'upload-status').getAttribute('data-state')) === 'error', 'huge.png: no error over the size limit');
  assert.match(await tid(item, 'upload-status').innerText(), /too large/);
  assert.equal(await tid(item, 'upload-retry').isVisible(), false, 'a file over the size limit offers Retry');
  assert.equal(posts.length, sent, 'a file over the size limit was sent');

  // The server's answers: 413 payload_too_large offers no Retry; 503 does, and Retry then works.
  let answer = { status: 413, code: 'payload_too_large' };
  await page.route((u) => /^\/api\/v1\/buckets\/[^/]+\/objects$/.test(u.pathname), (route) => (answer && route.request().method() === 'POST'
    ? route.fulfill({ status: answer.status, json: { success: false, code: answer.code, msg: '', data: null } })
    : route.fallback()));
  for (const [file, code, retry] of [['big-413.png', 'payload_too_large', false], ['busy-503.png', 'storage_unavailable', true]]) {
    answer = { status: code === 'payload_too_large' ? 413 : 503, code };
    before = await itemNames(page);
    await tid(page, 'file-input').setInputFiles([{ name: file, mimeType: 'image/png', buffer: png(W, H, 63) }]);
    [name] = await newItems(page, before, 1);
    item = uploadItem(page, name);
    await until(async () => (await item.getAttribute('data-code')) === code, `${file}: no ${code} shown`);
    assert.equal(await tid(item, 'upload-retry').isVisible(), retry, `${file} (${code}): Retry ${retry ? 'missing' : 'offered'}`);
  }
  answer = null;
  await tid(item, 'upload-retry').click();
  await expectDone(item, 'busy-503.png after Retry');

  // In Chinese, the folder's message too.
  await tid(page, 'lang-switch').selectOption('zh-CN');
  await until(async () => (await page.getAttribute('html', 'lang')) === 'zh-CN', '<html lang> did not become zh-CN', 5000);
  const zh = await refused('../zh');
  assert.ok(hasCJK(zh) && englishLeftovers([zh]).length === 0, `the folder's message in zh-CN: ${zh}`);
  assert.equal(posts.filter((q) => q.includes('zh')).length, 0, 'a file was sent to ../zh');
  assertClean(w);
});

ui('upload progress counts bytes and cancel stops the upload', async () => {
  const { context, page, w } = await open('cancel');
  await login(page);
  await chooseTarget(page, 'slow');
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  // ~7.6 MB at 200 KB/s: time to watch the bar move and press cancel. Chromium does not always
  // hold an XHR body to the emulated upload rate, so the body is large enough to still be on
  // its way when cancel is pressed.
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 20, downloadThroughput: -1, uploadThroughput: 200 * 1024 });
  const big = noisePng(1800, 1400);
  const before = await itemNames(page);
  await tid(page, 'file-input').setInputFiles([{ name: 'big.png', mimeType: 'image/png', buffer: big }]);
  const [name] = await newItems(page, before, 1);
  const item = uploadItem(page, name);
  const mid = await until(async () => {
    const v = await tid(item, 'upload-progress').evaluate((p) => p.value);
    return v > 0 && v < 100 ? v : null;
  }, 'the progress bar never showed a value between 0 and 100 on a throttled 1.2 MB upload', 15_000, 50);
  assert.equal(await tid(item, 'upload-status').getAttribute('data-state'), 'uploading');
  // Cancel can only stop what has not reached the server yet: the check below holds when the
  // object was not stored at the moment of the click.
  const storedBeforeCancel = (await objectInfo(adminToken, BUCKET, 'slow/big.png')).status === 200;
  await tid(item, 'upload-cancel').click();
  const st = tid(item, 'upload-status');
  await until(async () => (await st.getAttribute('data-state')) === 'cancelled',
    async () => `after cancel: data-state=${await st.getAttribute('data-state')}`, 5000);
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
  await new Promise((r) => setTimeout(r, 500));
  if (!storedBeforeCancel) {
    const info = await objectInfo(adminToken, BUCKET, 'slow/big.png');
    assert.equal(info.status, 404, `a cancelled upload was stored (progress was at ${mid} %)`);
  }
  assertClean(w);
  await context.close();
});

ui('copy each link format (URL, Markdown, HTML, BBCode) and fetch the copied URL', async () => {
  const { context, page, w } = await open('copy');
  await login(page);
  await chooseTarget(page, 'links');
  const bytes = png(W, H, 41);
  const before = await itemNames(page);
  await tid(page, 'file-input').setInputFiles([{ name: 'link-me.png', mimeType: 'image/png', buffer: bytes }]);
  const [name] = await newItems(page, before, 1);
  const item = uploadItem(page, name);
  await expectDone(item, name);
  const url = await copyVia(page, tid(item, 'copy-url'));
  assert.match(url, /^https?:\/\/\S+\/links\/link-me\.png$/, `URL format: ${url}`);
  await expectUrlServes(url, bytes, 'copied URL');
  const esc = url.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const md = await copyVia(page, tid(item, 'copy-markdown'));
  assert.match(md, new RegExp(`^!\\[[^\\]]*\\]\\(${esc}\\)$`), `Markdown format: ${md}`);
  const html = await copyVia(page, tid(item, 'copy-html'));
  assert.match(html, new RegExp(`^<img src="${esc}" alt="[^"]*"\\s*/?>$`), `HTML format: ${html}`);
  const bb = await copyVia(page, tid(item, 'copy-bbcode'));
  assert.equal(bb, `[img]${url}[/img]`, 'BBCode format');
  // The link in the other formats is the same one, and it serves.
  for (const [fmt, text] of [['markdown', md], ['html', html], ['bbcode', bb]]) {
    const u = text.match(/https?:\/\/[^\s)"\]\[]+/)?.[0];
    assert.equal(u, url, `${fmt} holds another link`);
  }
  assertClean(w);
  await context.close();
});

ui('browse into a folder and scroll past one page (cursor pages, no duplicates)', async () => {
  const { context, page, w } = await open('browse');
  await login(page);
  const folder = await openFolder(page, 'many/');
  await folder.click();
  await until(async () => (await objectKeys(page)).some((k) => k?.endsWith('img-00.png')),
    'objects of many/ did not appear after opening the folder');
  const first = (await objectKeys(page)).length;
  assert.ok(first < MANY, `the first page already held ${first} objects; scrolling is not exercised`);
  // Screen readers hear the list's status line, not the button next to it.
  const live = await page.evaluate(() => {
    const region = (el) => !!el?.closest('[aria-live]:not([aria-live="off"]), [role="status"], [role="alert"], [role="log"]');
    const q = (id) => document.querySelector(`[data-testid="${id}"]`);
    return { more: region(q('load-more')), status: region(q('list-status')) };
  });
  assert.deepEqual(live, { more: false, status: true }, 'the load-more button is inside a live region, or the list status is not');
  await settleImages(page, '[data-testid="object-list"]');
  await shot(page, 'browse');
  await axe(page, 'browse');
  const counts = await scrollAll(page, MANY);
  const keys = await objectKeys(page);
  assert.ok(counts.length > 1, `scrolling to list-sentinel loaded nothing more (counts ${counts})`);
  assert.equal(keys.length, MANY, `after scrolling: ${keys.length} objects listed, want ${MANY} (counts ${counts})`);
  assert.equal(new Set(keys).size, MANY, 'the same object is listed twice across pages');
  assert.ok(!keys.some((k) => /inner-[ab]\.png$/.test(k)), 'objects of many/sub/ leaked into the many/ listing');
  // The sub-folder is listed as a folder (in name order it comes after the img-NN objects).
  assert.ok(await page.locator('[data-testid="folder-item"][data-prefix$="sub/"]').count() > 0,
    'the sub-folder many/sub/ is not listed as a folder-item');
  const listing = w.apiRequests.filter((r) => r.method === 'GET' && /\/objects\?/.test(r.path));
  assert.ok(listing.some((r) => /[?&]cursor=/.test(r.path)), 'no listing request carried a cursor');
  assert.ok(listing.every((r) => /[?&]delimiter=(%2F|\/)/i.test(r.path)), 'a listing request without delimiter=/');
  assertClean(w);
  await context.close();
});

ui('detail panel, then delete with confirmation: the object disappears and the API says 404', async () => {
  const { context, page, w } = await open('delete');
  await login(page);
  await (await openFolder(page, 'del/')).click();
  const victim = objectItem(page, 'del/victim.png');
  await victim.waitFor({ state: 'visible' });
  await victim.click();
  const panel = tid(page, 'detail-panel');
  await panel.waitFor({ state: 'visible' });
  const info = payload(await objectInfo(adminToken, BUCKET, 'del/victim.png'));
  const text = await panel.innerText();
  assert.ok(text.includes('victim.png'), 'the detail panel does not name the object');
  assert.match(text, new RegExp(`${W}\\s*[×x]\\s*${H}`), `the detail panel shows no dimensions ${W}×${H}`);
  const etag = String(info.etag ?? '').replace(/"/g, '');
  assert.ok(etag && text.includes(etag.slice(0, 8)), `the detail panel does not show the ETag (${etag})`);
  const url = await copyVia(page, tid(panel, 'copy-url'));
  assert.match(url, /\/del\/victim\.png$/, `detail copy-url: ${url}`);
  await settleImages(page);
  await shot(page, 'detail');
  await axe(page, 'detail');

  // "No" keeps it.
  await tid(panel, 'delete-object').click();
  const dialog = tid(page, 'confirm-dialog');
  await dialog.waitFor({ state: 'visible' });
  await axe(page, 'confirm');
  await tid(dialog, 'confirm-no').click();
  await dialog.waitFor({ state: 'hidden' });
  assert.equal((await objectInfo(adminToken, BUCKET, 'del/victim.png')).status, 200, 'confirm-no deleted the object');
  assert.ok(await victim.isVisible(), 'confirm-no removed the object from the list');

  // "Yes" deletes it.
  await tid(panel, 'delete-object').click();
  await dialog.waitFor({ state: 'visible' });
  await tid(dialog, 'confirm-yes').click();
  await dialog.waitFor({ state: 'hidden' });
  await until(async () => (await objectKeys(page)).every((k) => !k?.endsWith('victim.png')),
    'the deleted object is still listed');
  assert.equal((await objectInfo(adminToken, BUCKET, 'del/victim.png')).status, 404, 'the API still has the deleted object');
  assert.ok((await objectKeys(page)).some((k) => k?.endsWith('keep.png')), 'the other object of the folder vanished too');
  assert.equal((await fetch(url)).status, 404, 'the deleted object\'s link still serves');
  assertClean(w);
  await context.close();
});

/** A new plain user (signed up with an administrator's invitation code) and their API session. */
async function newUser(tag) {
  const n = String(Date.now()).slice(-8);
  const inv = await api('POST', '/admin/invitations', { token: adminToken, json: {} });
  assert.equal(inv.status, 201, `invitation: ${inv.status} ${inv.text}`);
  const u = { email: `${tag}-${n}@example.com`, phone: `137${n}`, password: `${tag} passphrase ${n}`, name: `${tag}${n}` };
  const reg = await api('POST', '/auth/register', { json: { ...u, invitation: payload(inv).code } });
  assert.equal(reg.status, 201, `register: ${reg.status} ${reg.text}`);
  const li = await api('POST', '/auth/login', { json: { login: u.email, password: u.password } });
  assert.equal(li.status, 200, `login: ${li.status} ${li.text}`);
  return { ...u, token: payload(li).accessToken };
}

/** Signs `u` in through the login form. */
async function loginAs(page, u, { touch = false } = {}) {
  await gotoLogin(page);
  await tid(page, 'login-id').fill(u.email);
  await tid(page, 'login-password').fill(u.password);
  if (touch) await tid(page, 'login-submit').tap();
  else await tid(page, 'login-submit').click();
  await tid(page, 'app-shell').waitFor({ state: 'visible' });
}

/** Every tile of the list with its box, the box of its name and its name's lines. */
const tiles = (page) => page.$$eval('[data-testid="object-item"]', (els) => els.map((li) => {
  const box = (el) => { const r = el.getBoundingClientRect(); return { x: r.x, y: r.y, w: r.width, h: r.height, bottom: r.bottom, right: r.right }; };
  const name = li.querySelector('[data-testid="object-name"]');
  return {
    key: li.getAttribute('data-key'),
    card: box(li.querySelector('[data-testid="object-open"]')),
    tile: box(li),
    name: box(name),
    nameLines: Math.round(name.getBoundingClientRect().height / parseFloat(getComputedStyle(name).lineHeight)),
    title: name.getAttribute('title'),
    error: li.querySelector('[data-testid="object-error"]') ? box(li.querySelector('[data-testid="object-error"]')) : null,
  };
}));

/** The long-named tile is as tall as the others but one line of name (it shows two, not all). */
function expectClampedTile(list, long, where) {
  const t = list.find((x) => x.key.endsWith(long));
  assert.ok(t, `${where}: no tile for the long name`);
  assert.equal(t.title, long, `${where}: the tile's title is not the whole name`);
  assert.ok(t.nameLines <= 2, `${where}: the long name takes ${t.nameLines} lines on its tile`);
  // Neighbours in another row (a grid row stretches its tiles to the tallest).
  const others = list.filter((x) => x !== t && Math.abs(x.tile.y - t.tile.y) > 1);
  assert.ok(others.length, `${where}: no tile outside the long name's row to compare with`);
  const usual = Math.max(...others.map((x) => x.tile.h));
  assert.ok(t.tile.h <= usual + 24, `${where}: the long-named tile is ${Math.round(t.tile.h)} px high, its neighbours ${Math.round(usual)} px`);
}

ui('batch delete of others\' files: each refusal stays inside its tile, above the list\'s footer; a 200-character name is cut to two lines', async () => {
  const folder = `batch-${String(Date.now()).slice(-8)}`;
  const long = `${'a-very-long-file-name-'.repeat(10).slice(0, 196)}.png`;
  assert.equal(long.length, 200);
  const keys = [long, ...Array.from({ length: 9 }, (_, i) => `tile-${i}.png`)];
  for (const [i, k] of keys.entries()) await putObject(adminToken, BUCKET, `${folder}/${k}`, png(W, H, 400 + i));
  const u = await newUser('batch');
  await putObject(u.token, BUCKET, `${folder}/mine.png`, png(W, H, 420));

  /** Select all, delete, confirm; waits for the result of every file. */
  async function deleteAll(page, n, { touch = false } = {}) {
    const press = (l) => (touch ? l.tap() : l.click());
    await press(tid(page, 'select-all'));
    await until(async () => (await tid(page, 'delete-selected').isEnabled()), 'delete-selected stays disabled after Select all', 5000);
    await press(tid(page, 'delete-selected'));
    await tid(page, 'confirm-dialog').waitFor({ state: 'visible' });
    await press(tid(page, 'confirm-yes'));
    await tid(page, 'batch-results').waitFor({ state: 'visible' });
    await until(async () => (await tid(page, 'batch-result').count()) === n, `not ${n} batch results`);
  }

  /** No refusal leaves its card, none reaches the footer, no tile runs into it. */
  async function expectErrorsInside(page, where) {
    await tid(page, 'list-sentinel').scrollIntoViewIfNeeded();
    const footer = await tid(page, 'list-sentinel').boundingBox();
    assert.match(await tid(page, 'list-sentinel').innerText(), /All loaded/);
    const list = await tiles(page);
    const refused = list.filter((t) => t.error);
    assert.ok(refused.length >= keys.length, `${where}: ${refused.length} tiles show a refusal, want ${keys.length}`);
    const out = [];
    for (const t of list) {
      const { error: e, card: c } = t;
      if (e && (e.y < c.y - 0.5 || e.bottom > c.bottom + 0.5 || e.x < c.x - 0.5 || e.right > c.right + 0.5)) out.push(`${t.key}: its error leaves its card`);
      if (e && e.bottom > footer.y + 0.5) out.push(`${t.key}: its error reaches the footer`);
      if (t.tile.bottom > footer.y + 0.5) out.push(`${t.key}: the tile runs into the footer`);
    }
    assert.deepEqual(out, [], `${where}: refusals drawn outside their tiles`);
  }

  // Desktop: the long name is cut; the refusals of a batch delete stay inside their tiles.
  const { page, w } = await open('batch delete');
  await loginAs(page, u);
  await (await openFolder(page, `${folder}/`)).click();
  await until(async () => (await objectKeys(page)).length === keys.length + 1, `the ${keys.length + 1} files of ${folder}/ are not listed`);
  await tid(page, 'list-sentinel').filter({ hasText: /All loaded/ }).waitFor();
  expectClampedTile(await tiles(page), long, '1280×800');
  // Its accessible name and the detail panel keep the whole name.
  assert.equal(await page.getByRole('button', { name: long }).count(), 1, 'no tile has the whole long name as its accessible name');
  await tid(objectItem(page, `${folder}/${long}`), 'object-open').click();
  const panel = tid(page, 'detail-panel');
  await panel.waitFor({ state: 'visible' });
  assert.ok((await panel.innerText()).replace(/\s+/g, '').includes(long), 'the detail panel does not show the whole long name');
  await tid(panel, 'detail-close').click();
  await panel.waitFor({ state: 'hidden' });

  await deleteAll(page, keys.length + 1);
  assert.match(await tid(page, 'batch-results').innerText(), /Deleted: 1\. Failed: 10\./);
  assert.equal((await objectInfo(adminToken, BUCKET, `${folder}/mine.png`)).status, 404, 'the user\'s own file was not deleted');
  assert.equal((await objectInfo(adminToken, BUCKET, `${folder}/tile-0.png`)).status, 200, 'another\'s file was deleted');
  await expectErrorsInside(page, '1280×800');
  await axe(page, 'batch delete');

  // Phone: the same, one tile per row.
  const phone = await open('batch delete phone', PHONE);
  await loginAs(phone.page, u, { touch: true });
  await (await openFolder(phone.page, `${folder}/`)).tap();
  await until(async () => (await objectKeys(phone.page)).length === keys.length, `the ${keys.length} files of ${folder}/ are not listed on the phone`);
  await tid(phone.page, 'list-sentinel').filter({ hasText: /All loaded/ }).waitFor();
  expectClampedTile(await tiles(phone.page), long, '390×844');
  await deleteAll(phone.page, keys.length, { touch: true });
  await expectErrorsInside(phone.page, '390×844');
  assertClean(w);
  assertClean(phone.w);
});

ui('language: chosen from the browser, switchable to zh-CN and back, no English left on the Chinese screen', async () => {
  // From the browser's language.
  for (const [locale, lang] of [['zh-CN', 'zh-CN'], ['en-US', 'en']]) {
    const { context, page, w } = await open(`lang ${locale}`, { ...DESKTOP, locale });
    await gotoLogin(page);
    assert.equal(await page.getAttribute('html', 'lang'), lang, `navigator.language ${locale} → <html lang>`);
    const submit = (await tid(page, 'login-submit').innerText()).trim();
    assert.equal(hasCJK(submit), lang === 'zh-CN', `login button "${submit}" for ${locale}`);
    if (lang === 'zh-CN') {
      await shot(page, 'login-zh');
      await axe(page, 'login zh-CN');
    }
    assertClean(w);
    await context.close();
  }

  const { context, page, w } = await open('lang switch');
  await login(page);
  assert.equal(await page.getAttribute('html', 'lang'), 'en');
  const sample = ['logout', 'drop-zone'];
  const enText = {};
  for (const id of sample) enText[id] = (await tid(page, id).innerText()).trim();
  const enStrings = await uiStrings(page);
  await tid(page, 'lang-switch').selectOption('zh-CN');
  await until(async () => (await page.getAttribute('html', 'lang')) === 'zh-CN', '<html lang> did not become zh-CN', 5000);
  for (const id of sample) {
    const zh = (await tid(page, id).innerText()).trim();
    assert.notEqual(zh, enText[id], `${id} kept its English text "${zh}"`);
    assert.ok(hasCJK(zh), `${id} shows no Chinese: "${zh}"`);
  }
  const zhStrings = await uiStrings(page);
  assert.ok(zhStrings.length >= 3, 'too few UI strings found to judge the Chinese screen');
  assert.deepEqual(englishLeftovers(zhStrings), [], 'English left on the zh-CN screen');
  assert.notDeepEqual(zhStrings, enStrings);
  assert.equal(await page.evaluate(() => localStorage.getItem('picgate.lang')), 'zh-CN', 'the choice is not stored');
  await shot(page, 'upload-zh');
  await axe(page, 'shell zh-CN');

  // The choice survives a reload and a logout.
  await page.reload();
  await tid(page, 'app-shell').waitFor({ state: 'visible' });
  assert.equal(await page.getAttribute('html', 'lang'), 'zh-CN', 'zh-CN lost on reload');
  await tid(page, 'logout').click();
  await tid(page, 'login-form').waitFor({ state: 'visible' });
  assert.ok(hasCJK(await tid(page, 'login-submit').innerText()), 'the login screen after logout is not in Chinese');
  assert.deepEqual(englishLeftovers(await uiStrings(page)), [], 'English left on the zh-CN login screen');

  // And back.
  await submitLogin(page);
  await tid(page, 'app-shell').waitFor({ state: 'visible' });
  await tid(page, 'lang-switch').selectOption('en');
  await until(async () => (await page.getAttribute('html', 'lang')) === 'en', '<html lang> did not return to en', 5000);
  for (const id of sample) assert.equal((await tid(page, id).innerText()).trim(), enText[id], `${id} after switching back`);
  assertClean(w);
  await context.close();
});

ui('logout ends the session: back to the login form, and the old token is refused', async () => {
  const { context, page, w } = await open('logout');
  await login(page);
  const stored = await page.evaluate(() => localStorage.getItem('picgate.session'));
  const token = stored?.match(/eyJ[\w-]+\.[\w-]+\.[\w-]+/)?.[0];
  assert.ok(token, 'no access token found in localStorage picgate.session');
  assert.equal((await api('GET', '/me', { token })).status, 200);
  await tid(page, 'logout').click();
  await tid(page, 'login-form').waitFor({ state: 'visible' });
  assert.equal(await tid(page, 'app-shell').count(), 0, 'app-shell still in the page after logout');
  const after = await page.evaluate(() => localStorage.getItem('picgate.session'));
  assert.ok(!after || !after.includes(token), 'the tokens are still in localStorage after logout');
  const me = await api('GET', '/me', { token });
  assert.equal(me.status, 401, 'logout did not end the session on the server (POST /auth/logout)');
  assertClean(w);
  await context.close();
});

ui('revoke a session: the other tab is sent back to the login form', async () => {
  const a = await open('session A');
  const b = await open('session B');
  await login(a.page);
  await login(b.page);
  const tokenOf = async (page) => (await page.evaluate(() => localStorage.getItem('picgate.session')))
    ?.match(/eyJ[\w-]+\.[\w-]+\.[\w-]+/)?.[0];
  const ta = await tokenOf(a.page);
  const tb = await tokenOf(b.page);
  assert.ok(ta && tb, 'no access token in localStorage picgate.session');
  const sessions = payload(await api('GET', '/auth/sessions', { token: ta }));
  const list = Array.isArray(sessions) ? sessions : sessions?.items ?? [];
  const mine = list.find((s) => s.current);
  assert.ok(mine, 'GET /auth/sessions marks no session current');
  // Tab B (the account's other session) revokes tab A's session.
  const del = await api('DELETE', `/auth/sessions/${encodeURIComponent(mine.id)}`, { token: tb });
  assert.ok(del.status === 200 || del.status === 204, `revoking: ${del.status} ${del.text}`);
  // Tab A's next request that needs the session lands it on the login form (no refresh loop:
  // the refresh token ended with the session). Reading the public bucket needs no session (the
  // server answers it anonymously), so the private bucket is opened.
  await tid(a.page, 'bucket-select').selectOption('files');
  await tid(a.page, 'login-form').waitFor({ state: 'visible', timeout: 10_000 })
    .catch(() => { throw new Error('tab A, whose session was revoked, did not return to the login form'); });
  // Tab B is still in.
  await b.page.reload();
  await tid(b.page, 'app-shell').waitFor({ state: 'visible' });
  assertClean(a.w);
  assertClean(b.w);
  await a.context.close();
  await b.context.close();
});

async function openAccount(page, { touch = false } = {}) {
  if (touch) await tid(page, 'nav-account').tap();
  else await tid(page, 'nav-account').click();
  await until(async () => (await page.evaluate(() => location.hash)) === '#/account', 'nav-account did not lead to #/account', 5000);
  await tid(page, 'session-list').waitFor({ state: 'visible' });
  await page.locator('[data-testid="session-item"][data-current="true"]').first().waitFor({ state: 'visible' });
  await tid(page, 'token-form').waitFor({ state: 'visible' });
  await tid(page, 'password-form').waitFor({ state: 'visible' });
}

/** PUT an object with curl and a bearer token; returns the HTTP status. */
async function curlPut(token, key, bytes) {
  const dir = mkdtempSync(join(tmpdir(), 'picgate-curl-'));
  const file = join(dir, 'body.png');
  writeFileSync(file, bytes);
  try {
    const { stdout } = await execFileP('curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code}', '-X', 'PUT',
      '-H', `Authorization: Bearer ${token}`, '-H', 'Content-Type: image/png', '--data-binary', `@${file}`,
      `${cfg.base}/api/v1/buckets/${BUCKET}/objects/${keyPath(key)}`]);
    return Number(stdout.trim());
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

ui('create an API token in the console and use it with curl', async () => {
  const { page, w } = await open('api token');
  await login(page);
  await openAccount(page);
  await shot(page, 'account');
  await axe(page, 'account');

  // The administrator may grant `admin`; the form offers the four scopes and four lifetimes.
  for (const s of ['read', 'upload', 'delete', 'admin']) assert.equal(await tid(page, `token-scope-${s}`).count(), 1, `token-scope-${s} missing`);
  assert.deepEqual(await tid(page, 'token-expiry').evaluate((s) => [...s.options].map((o) => o.value)),
    ['', '2592000', '7776000', '31536000'], 'token-expiry options');
  const name = `curl ${Date.now()}`;
  await tid(page, 'token-name').fill(name);
  await tid(page, 'token-scope-read').setChecked(false);
  await tid(page, 'token-scope-upload').setChecked(true);
  await tid(page, 'token-scope-delete').setChecked(false);
  await tid(page, 'token-scope-admin').setChecked(false);
  await tid(page, 'token-expiry').selectOption('2592000');
  const created = page.waitForResponse((r) => r.url().endsWith('/api/v1/auth/tokens') && r.request().method() === 'POST');
  await tid(page, 'token-create').click();
  const res = await created;
  assert.equal(res.status(), 201, 'POST /auth/tokens');
  const sent = JSON.parse(res.request().postData() ?? '{}');
  assert.deepEqual(sent.scopes, ['upload'], 'scopes sent');
  assert.equal(sent.expiresIn, 2592000, 'expiresIn sent');

  const secret = (await tid(page, 'token-secret').innerText()).trim();
  assert.match(secret, /^pgt_[0-9a-f]{32}_\S+$/, `token-secret shows no API token: ${secret}`);
  assert.equal(await copyVia(page, tid(page, 'token-copy')), secret, 'token-copy copied something else');

  // The ready settings name the token and this server, each copyable.
  const settings = tid(page, 'token-settings');
  await settings.waitFor({ state: 'visible' });
  for (const tool of ['piclist', 'picgo', 'sharex', 'typora']) {
    const text = await tid(settings, `settings-${tool}`).innerText();
    assert.ok(text.includes(secret), `${tool} settings lack the token`);
    assert.ok(text.includes(new URL(cfg.base).host), `${tool} settings lack the server`);
  }
  assert.match(await tid(settings, 'settings-piclist').innerText(), /Bearer pgt_/, 'PicList token without Bearer');
  const typora = await copyVia(page, tid(settings, 'settings-copy-typora'));
  assert.ok(typora.includes('picgate upload') && typora.includes(`PICGATE_TOKEN=${secret}`), `Typora command: ${typora}`);
  // The .sxcu is fetched with the token in a header (not in the URL) and handed over as a download.
  const [download] = await Promise.all([page.waitForEvent('download'), tid(settings, 'settings-sharex-download').click()]);
  assert.equal(download.suggestedFilename(), 'picgate.sxcu');
  const sxcu = JSON.parse(readFileSync(await download.path(), 'utf8'));
  assert.ok(JSON.stringify(sxcu).includes(secret), 'the .sxcu does not carry the token');
  assert.ok(!w.apiRequests.some((r) => r.path.includes('token=')), 'a token went into a URL');
  await settleImages(page);
  await axe(page, 'account token');

  // The list shows it; curl uploads with it.
  const item = page.locator(`[data-testid="token-list"] [data-testid="token-item"][data-name="${css(name)}"]`);
  await item.waitFor({ state: 'visible' });
  assert.equal(await curlPut(secret, `token/curl-${Date.now()}.png`, png(W, H, 300)), 201, 'curl PUT with the new token');

  // Revoked in the console, refused at once.
  await tid(item, 'token-revoke').click();
  await tid(page, 'confirm-dialog').waitFor({ state: 'visible' });
  await tid(page, 'confirm-yes').click();
  await item.waitFor({ state: 'detached' });
  assert.equal(await curlPut(secret, `token/curl-after-${Date.now()}.png`, png(W, H, 301)), 401, 'curl PUT after revoking');
  const left = payload(await api('GET', '/auth/tokens', { token: await sessionTokenOf(page) }));
  assert.ok(!(left.items ?? []).some((t) => t.name === name), 'the revoked token is still listed by the API');
  assertClean(w);
});

ui('revoke the other session from the account screen: that tab is sent back to login', async () => {
  const a = await open('account A');
  const b = await open('account B');
  await login(a.page);
  await login(b.page);
  const tb = await sessionTokenOf(b.page);
  assert.ok(tb, 'no access token in tab B');
  const bList = payload(await api('GET', '/auth/sessions', { token: tb }));
  const bId = (bList.items ?? []).find((s) => s.current)?.id;
  assert.ok(bId, 'GET /auth/sessions marks no session current');

  await openAccount(a.page);
  const current = a.page.locator('[data-testid="session-item"][data-current="true"]');
  assert.equal(await current.count(), 1, 'not exactly one session marked current');
  assert.equal(await tid(current, 'session-revoke').count(), 0, 'the current session offers a revoke button');
  const other = a.page.locator(`[data-testid="session-item"][data-id="${css(bId)}"]`);
  await other.waitFor({ state: 'visible' });
  assert.equal(await other.getAttribute('data-current'), 'false');
  assert.match(await other.innerText(), /HeadlessChrome|Chrome|Mozilla/, 'the session shows no device');
  await tid(other, 'session-revoke').click();
  await tid(a.page, 'confirm-yes').click();
  await other.waitFor({ state: 'detached' });
  assert.equal((await api('GET', '/me', { token: tb })).status, 401, 'the revoked session still works');

  // Tab B's next action lands it on the login form.
  await tid(b.page, 'bucket-select').selectOption('files');
  await tid(b.page, 'login-form').waitFor({ state: 'visible', timeout: 10_000 })
    .catch(() => { throw new Error('tab B, whose session was revoked, did not return to the login form'); });
  // Tab A is still in, and a reload keeps the account screen.
  await a.page.reload();
  await tid(a.page, 'session-list').waitFor({ state: 'visible' });
  assertClean(a.w);
  assertClean(b.w);
});

ui('change the password on the account screen: errors by code, then the other sessions end', async () => {
  const n = String(Date.now()).slice(-8);
  const email = `pw-${n}@example.com`;
  const oldPw = `old passphrase ${n}`;
  const newPw = `new passphrase ${n}`;
  // The test server signs up with invitations only (auth.registration = invite).
  const inv = await api('POST', '/admin/invitations', { token: adminToken, json: {} });
  assert.equal(inv.status, 201, `invitation: ${inv.status} ${inv.text}`);
  const invitation = payload(inv).code;
  const reg = await api('POST', '/auth/register', { json: { phone: `139${n}`, email, password: oldPw, name: `pw${n}`, invitation } });
  assert.equal(reg.status, 201, `register: ${reg.status} ${reg.text}`);
  const other = await api('POST', '/auth/login', { json: { login: email, password: oldPw } });
  const otherToken = payload(other).accessToken;

  const { page, w } = await open('password');
  await gotoLogin(page);
  await tid(page, 'login-id').fill(email);
  await tid(page, 'login-password').fill(oldPw);
  await tid(page, 'login-submit').click();
  await tid(page, 'app-shell').waitFor({ state: 'visible' });
  await openAccount(page);
  assert.equal(await tid(page, 'token-scope-admin').count(), 0, 'a user who is no administrator is offered the admin scope');

  const result = tid(page, 'password-result');
  // Wrong current password.
  await tid(page, 'password-old').fill('not the password');
  await tid(page, 'password-new').fill(newPw);
  await tid(page, 'password-submit').click();
  await until(async () => (await result.getAttribute('data-state')) === 'error', 'no error for a wrong current password', 5000);
  assert.match(await result.innerText(), /current password/i);
  // Too short: validation_failed, with the field's reason.
  await tid(page, 'password-old').fill(oldPw);
  await tid(page, 'password-new').fill('short');
  await tid(page, 'password-submit').click();
  await result.locator('li[data-field="newPassword"]').waitFor({ state: 'visible', timeout: 5000 })
    .catch(() => { throw new Error('validation_failed shows no reason for newPassword'); });
  assert.match(await result.innerText(), /New password: must be at least 8 bytes/);
  // Right.
  await tid(page, 'password-new').fill(newPw);
  await tid(page, 'password-submit').click();
  await until(async () => (await result.getAttribute('data-state')) === 'done', 'password-result did not report success', 5000);
  assert.ok((await result.innerText()).trim(), 'password-result is empty');

  assert.equal((await api('GET', '/me', { token: otherToken })).status, 401, 'the other session survived the change');
  assert.equal((await api('POST', '/auth/login', { json: { login: email, password: oldPw } })).status, 401, 'the old password still works');
  assert.equal((await api('POST', '/auth/login', { json: { login: email, password: newPw } })).status, 200, 'the new password does not work');
  // This tab stays signed in.
  await page.reload();
  await tid(page, 'session-list').waitFor({ state: 'visible' });
  assert.equal(await tid(page, 'login-form').count(), 0);
  assertClean(w);
});

ui('account screen on the phone (390×844): h5, one column, no sideways scroll', async () => {
  const { page, w } = await open('account phone', PHONE);
  await gotoLogin(page);
  await submitLogin(page, cfg.password, { touch: true });
  await tid(page, 'app-shell').waitFor({ state: 'visible' });
  await openAccount(page, { touch: true });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the account screen scrolls sideways by ${overflow} px at 390 px wide`);
  const box = await tid(page, 'token-create').boundingBox();
  assert.ok(box && box.height >= 44, 'token-create is under 44 px high on the phone');
  // The permission boxes take a thumb too: their labels are the hit area.
  const small = [];
  for (const s of ['read', 'upload', 'delete', 'admin']) {
    const hit = await hitBox(tid(page, `token-scope-${s}`));
    if (hit.width < 44 || hit.height < 44) small.push(`token-scope-${s} ${Math.round(hit.width)}×${Math.round(hit.height)}`);
  }
  assert.deepEqual(small, [], 'permission checkboxes with a hit area under 44×44 px on the phone');
  await shot(page, 'account');
  await axe(page, 'account');
  // In Chinese, nothing English is left on the account screen.
  await tid(page, 'lang-switch').selectOption('zh-CN');
  await until(async () => (await page.getAttribute('html', 'lang')) === 'zh-CN', '<html lang> did not become zh-CN', 5000);
  assert.ok(hasCJK(await tid(page, 'token-create').innerText()), 'token-create is not in Chinese');
  assert.deepEqual(englishLeftovers(await uiStrings(page)), [], 'English left on the zh-CN account screen');
  assert.deepEqual(w.apiRequests.filter((r) => r.xClient !== 'h5'), [], 'API requests on the phone without X-Client: h5');
  assertClean(w);
});

ui('phone (390×844, touch): h5 layout, every API request names h5, upload and browse work', async () => {
  const { context, page, w } = await open('phone', PHONE);
  await gotoLogin(page);
  await shot(page, 'login');
  await axe(page, 'login');
  await submitLogin(page, cfg.password, { touch: true });
  const shell = tid(page, 'app-shell');
  await shell.waitFor({ state: 'visible' });
  assert.equal(await shell.getAttribute('data-client'), 'h5', 'app-shell data-client at 390 px');
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow} px at 390 px wide`);

  await chooseTarget(page, 'phone');
  const bytes = [png(W, H, 51), png(W, H, 52)];
  const before = await itemNames(page);
  await tid(page, 'file-input').setInputFiles([
    { name: 'camera-1.png', mimeType: 'image/png', buffer: bytes[0] },
    { name: 'camera-2.png', mimeType: 'image/png', buffer: bytes[1] },
  ]);
  const fresh = await newItems(page, before, 2);
  for (const n of fresh) await expectDone(uploadItem(page, n), n);
  const url = await copyVia(page, tid(uploadItem(page, 'camera-1.png'), 'copy-url'), { touch: true });
  await expectUrlServes(url, bytes[0], 'phone upload');
  await shot(page, 'upload-done');
  await axe(page, 'upload-done');

  // Browse on the phone: the same folder, its pages are h5's.
  await (await openFolder(page, 'many/')).tap();
  await until(async () => (await objectKeys(page)).some((k) => k?.endsWith('img-00.png')),
    'objects of many/ did not appear on the phone');
  await settleImages(page, '[data-testid="object-list"]');
  await shot(page, 'browse');
  await axe(page, 'browse');
  const counts = await scrollAll(page, MANY);
  assert.equal((await objectKeys(page)).length, MANY, `phone: listed ${counts.at(-1)} of ${MANY} after scrolling (counts ${counts})`);
  await page.evaluate(() => window.scrollTo(0, 0));
  // The selection boxes take a thumb: their labels are the hit area, and a tap near the edge of
  // one selects its file.
  const smallBoxes = [];
  for (const [id, cb] of [['select-all', tid(page, 'select-all')], ['select-item', tid(page, 'select-item').first()]]) {
    await cb.scrollIntoViewIfNeeded();
    const hit = await hitBox(cb);
    if (hit.width < 44 || hit.height < 44) smallBoxes.push(`${id} ${Math.round(hit.width)}×${Math.round(hit.height)}`);
  }
  assert.deepEqual(smallBoxes, [], 'checkboxes with a hit area under 44×44 px on the phone');
  const firstBox = tid(page, 'select-item').first();
  const edge = await hitBox(firstBox);
  await page.touchscreen.tap(edge.x + 3, edge.y + 3);
  await until(() => firstBox.isChecked(), 'a tap at the edge of a file\'s 44 px selection area did not select it', 5000);
  await page.touchscreen.tap(edge.x + 3, edge.y + 3);
  await until(async () => !(await firstBox.isChecked()), 'a second tap did not clear the selection', 5000);
  const obj = objectItem(page, 'many/img-03.png');
  await obj.scrollIntoViewIfNeeded();
  await obj.tap();
  const panel = tid(page, 'detail-panel');
  await panel.waitFor({ state: 'visible' });
  await settleImages(page);
  await shot(page, 'detail');
  await axe(page, 'detail');

  // Touch targets: the buttons a thumb presses are at least 44×44 CSS px.
  const small = [];
  for (const id of ['copy-url', 'copy-markdown', 'copy-html', 'copy-bbcode', 'delete-object']) {
    const box = await tid(panel, id).boundingBox();
    if (!box || box.width < 44 || box.height < 44) small.push(`${id} ${box ? `${Math.round(box.width)}×${Math.round(box.height)}` : 'hidden'}`);
  }
  assert.deepEqual(small, [], 'touch targets under 44×44 px on the phone');

  const wrong = w.apiRequests.filter((r) => r.xClient !== 'h5');
  assert.ok(w.apiRequests.length >= 4, 'too few API requests seen on the phone');
  assert.deepEqual(wrong, [], 'API requests on the phone without X-Client: h5');
  const profiles = w.apiProfiles.filter((r) => r.profile);
  assert.ok(profiles.length > 0, 'no API answer named its profile');
  assert.deepEqual(profiles.filter((r) => r.profile !== 'h5'), [], 'API answers on the phone in another profile');
  assertClean(w);
  await context.close();
});

test('axe-core: no serious or critical violation on any screen', () => {
  for (const r of axeReports) if (r.all.length) console.log(`axe ${r.screen}: ${r.all.join('; ')}`);
  const bad = axeReports.filter((r) => r.bad.length);
  assert.ok(axeReports.length >= 6, `only ${axeReports.length} screens were checked (earlier tests failed before their screens)`);
  assert.deepEqual(bad.map((r) => ({ screen: r.screen, violations: r.bad })), [], 'serious or critical accessibility violations');
});
