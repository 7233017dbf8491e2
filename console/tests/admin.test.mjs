// Browser tests of the console's admin screen (`#/admin/…`), against the picgate run.sh starts
// (`auth.registration = invite`, one administrator): users disabled, enabled, promoted and
// deleted, with what the server then does to their logins; invitation codes created, copied,
// used and withdrawn; a bucket's policy switched and its links following; the usage figures of
// users who uploaded known bytes; and that only administrators see any of it. Also the phone
// layout (h5), Chinese, screenshots and axe-core.
//
//   bash console/tests/run.sh --test-name-pattern=admin
//
// The buckets are shared with the other tests: the policy test switches `files` (private) and
// puts it back in a finally block; run.sh runs the test files one after another.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import {
  cfg, origin, LAUNCH, PHONE, png, api, payload, apiLogin, putObject, objectInfo, assertClean,
  axeCheck, until, tid, css, gotoLogin, login, copyVia, shot, uiStrings, englishLeftovers,
  hasCJK,
  pages,
} from './lib.mjs';

const T = 20_000; // per-step wait
const SECTIONS = ['users', 'invitations', 'buckets', 'usage'];

let browser;
let adminToken;
let adminId;
const { open, ui } = pages(() => browser, T);

before(async () => {
  browser = await chromium.launch(LAUNCH);
  adminToken = await apiLogin();
  adminId = payload(await api('GET', '/me', { token: adminToken })).id;
});

after(async () => {
  await browser?.close();
});

// ------------------------------------------------------------------ helpers

/** axe-core on the page as it is: no serious or critical violation. */
async function axeClean(page, screen) {
  const r = await axeCheck(page, `${screen} ${page.viewportSize().width}x${page.viewportSize().height}`);
  if (r.all.length) console.log(`axe ${r.screen}: ${r.all.join('; ')}`);
  assert.deepEqual(r.bad, [], `serious or critical accessibility violations on ${r.screen}`);
}

/** A new invitation code, made by the administrator through the API. */
async function invitation() {
  const r = await api('POST', '/admin/invitations', { token: adminToken, json: {} });
  assert.equal(r.status, 201, `POST /admin/invitations: ${r.status} ${r.text}`);
  return payload(r).code;
}

let seq = 0;
/** Registers someone new through the API (with `code`, or a fresh invitation); returns them with their id. */
async function register(tag, code) {
  seq += 1;
  const n = `${String(Date.now()).slice(-7)}${seq % 10}`;
  const who = { name: `${tag}${n}`, email: `admin-${tag}-${n}@example.com`, phone: `157${n}`, password: `admin test ${n}` };
  const r = await api('POST', '/auth/register', { json: { ...who, invitation: code ?? await invitation() } });
  assert.equal(r.status, 201, `register ${who.email}: ${r.status} ${r.text}`);
  return { ...who, id: payload(r).id };
}

/** Their login through the API: the answer (status, code, token). */
async function apiLoginAs(who) {
  const r = await api('POST', '/auth/login', { json: { login: who.email, password: who.password } });
  return { status: r.status, code: r.data?.code, token: r.status === 200 ? payload(r).accessToken : null };
}

/** Signs someone in through the login form. */
async function loginAs(page, who) {
  await gotoLogin(page);
  await tid(page, 'login-id').fill(who.email);
  await tid(page, 'login-password').fill(who.password);
  await tid(page, 'login-submit').click();
  await tid(page, 'app-shell').waitFor({ state: 'visible' });
}

/** Opens a section of the admin screen through its tab (and the screen through the top bar). */
async function openAdmin(page, section = 'users', { touch = false } = {}) {
  const press = (l) => (touch ? l.tap() : l.click());
  if (!(await tid(page, 'admin-screen').isVisible())) {
    const link = tid(page, 'nav-admin');
    await link.waitFor({ state: 'visible' }).catch(() => { throw new Error('no visible Admin link in the top bar'); });
    await press(link);
    await tid(page, 'admin-screen').waitFor({ state: 'visible' });
  }
  await press(tid(page, `admin-tab-${section}`));
  await until(async () => (await page.evaluate(() => location.hash)) === `#/admin/${section}`,
    `the ${section} tab did not lead to #/admin/${section}`, 5000);
  // The hash changes at the click; the section follows on the hashchange event.
  await until(async () => (await tid(page, `admin-tab-${section}`).getAttribute('aria-current')) === 'page',
    `the ${section} tab is not marked current`, 5000);
  await tid(page, `admin-${section}`).waitFor({ state: 'visible' });
}

const userRow = (page, email) => page.locator(`[data-testid="user-row"][data-email="${css(email)}"]`);

/** Waits until an element's attribute has a value. */
async function expectAttr(locator, attr, value, what) {
  await until(async () => (await locator.getAttribute(attr)) === value,
    async () => `${what}: ${attr} is ${await locator.getAttribute(attr)}, not ${value}`, 10_000);
}

/** Waits for a status line to report `state` (done/error) with some text; returns the text. */
async function expectStatus(locator, state, what) {
  await until(async () => (await locator.getAttribute('data-state')) === state && (await locator.innerText()).trim(),
    async () => `${what}: the status line says ${await locator.getAttribute('data-state')} "${(await locator.innerText()).trim()}", not ${state}`, 10_000);
  return (await locator.innerText()).trim();
}

/** An anonymous GET of a file link: the status. */
async function anonymousStatus(url) {
  const res = await fetch(url);
  await res.arrayBuffer();
  return res.status;
}

const pageWidth = (page) => page.evaluate(() => document.documentElement.scrollWidth);

// ------------------------------------------------------------------ tests

ui('admin users (1280×800): a user is listed, disabled, enabled, made admin and deleted; the own row cannot be changed', async () => {
  const who = await register('users');
  const first = await apiLoginAs(who);
  assert.equal(first.status, 200, 'the new user cannot log in');

  const { page, w } = await open('admin users');
  await login(page);
  await openAdmin(page, 'users');
  const row = userRow(page, who.email);
  await row.waitFor({ state: 'visible' }).catch(() => { throw new Error(`${who.email} is not listed`); });
  const text = await row.innerText();
  for (const part of [who.name, who.email, who.phone]) assert.ok(text.includes(part), `the row lacks ${part}: ${text}`);
  assert.equal((await tid(row, 'user-role').innerText()).trim(), 'User', 'the row\'s role');
  assert.equal((await tid(row, 'user-state').innerText()).trim(), 'Active', 'the row\'s state');
  await shot(page, 'admin');
  await axeClean(page, 'admin users');

  // The acting administrator's own row: controls disabled, with the reason.
  const self = page.locator('[data-testid="user-row"][data-self="true"]');
  assert.equal(await self.count(), 1, 'not exactly one row marked as the acting administrator');
  assert.equal(await self.getAttribute('data-id'), adminId, 'the marked row is not the administrator');
  for (const id of ['user-toggle-disabled', 'user-toggle-role', 'user-delete']) {
    assert.ok(await tid(self, id).isDisabled(), `${id} is enabled on the own row`);
  }
  assert.match(await tid(self, 'user-self-note').innerText(), /cannot disable, demote or delete/);
  // Were it pressed anyway, the server's refusal is shown.
  await tid(self, 'user-toggle-disabled').evaluate((b) => { b.disabled = false; });
  await tid(self, 'user-toggle-disabled').click();
  assert.match(await expectStatus(tid(self, 'user-result'), 'error', 'disabling oneself'), /not allowed/);
  assert.equal((await api('GET', '/me', { token: adminToken })).status, 200, 'the administrator was disabled');

  // Disable: their login is refused, and so is the session they had.
  await tid(row, 'user-toggle-disabled').click();
  await expectAttr(row, 'data-disabled', 'true', 'after Disable');
  assert.match(await expectStatus(tid(row, 'user-result'), 'done', 'Disable'), /disabled/);
  assert.match(await tid(row, 'user-state').innerText(), /Disabled/);
  assert.equal((await tid(row, 'user-toggle-disabled').innerText()).trim(), 'Enable');
  const refused = await apiLoginAs(who);
  assert.deepEqual([refused.status, refused.code], [403, 'account_disabled'], 'login of a disabled user');
  const old = await api('GET', '/me', { token: first.token });
  assert.ok([401, 403].includes(old.status), `the disabled user's session still works: ${old.status}`);

  // Enable: they log in again.
  await tid(row, 'user-toggle-disabled').click();
  await expectAttr(row, 'data-disabled', 'false', 'after Enable');
  await expectStatus(tid(row, 'user-result'), 'done', 'Enable');
  const again = await apiLoginAs(who);
  assert.equal(again.status, 200, 'an enabled user cannot log in');

  // Make admin: their session says so at once.
  await tid(row, 'user-toggle-role').click();
  await expectAttr(row, 'data-role', 'admin', 'after Make admin');
  assert.match(await tid(row, 'user-role').innerText(), /Administrator/);
  assert.equal(payload(await api('GET', '/me', { token: again.token })).role, 'admin', '/me of the promoted user');
  await tid(row, 'user-toggle-role').click();
  await expectAttr(row, 'data-role', 'user', 'after Make user');
  assert.equal(payload(await api('GET', '/me', { token: again.token })).role, 'user', '/me of the demoted user');

  // Delete: "Keep" keeps them; "Delete" removes the row and the login.
  await tid(row, 'user-delete').click();
  const dialog = tid(page, 'confirm-dialog');
  await dialog.waitFor({ state: 'visible' });
  assert.ok((await dialog.innerText()).includes(who.name), 'the confirmation does not name the user');
  await axeClean(page, 'admin delete confirmation');
  await tid(dialog, 'confirm-no').click();
  await dialog.waitFor({ state: 'detached' });
  assert.ok(await row.isVisible(), 'Keep removed the row');
  await tid(row, 'user-delete').click();
  await tid(dialog, 'confirm-yes').click();
  await row.waitFor({ state: 'detached' });
  assert.match(await expectStatus(tid(page, 'users-status'), 'done', 'Delete'), /deleted/);
  const gone = await apiLoginAs(who);
  assert.equal(gone.status, 401, 'a deleted user can still log in');
  const listed = payload(await api('GET', '/admin/users', { token: adminToken })).items;
  assert.ok(!listed.some((u) => u.email === who.email), 'the API still lists the deleted user');
  // A reload shows the same.
  await page.reload();
  await tid(page, 'admin-users').waitFor({ state: 'visible' });
  await userRow(page, cfg.login).waitFor({ state: 'visible' });
  assert.equal(await row.count(), 0, 'the deleted user is listed after a reload');
  assertClean(w);
});

ui('admin users: a user another administrator deleted meanwhile leaves the list at the first refusal', async () => {
  const who = await register('gone');
  const { page, w } = await open('admin users, deleted meanwhile');
  await login(page);
  await openAdmin(page, 'users');
  const row = userRow(page, who.email);
  await row.waitFor({ state: 'visible' });
  const del = await api('DELETE', `/admin/users/${who.id}`, { token: adminToken });
  assert.equal(del.status, 200, `DELETE /admin/users: ${del.status} ${del.text}`);
  await tid(row, 'user-toggle-disabled').click();
  assert.match(await expectStatus(tid(page, 'users-status'), 'error', 'Disable of a deleted user'), /does not exist/);
  assert.equal(await row.count(), 0, 'the deleted user is still listed after the refusal');
  assertClean(w);
});

ui('admin invitations: a code created and copied in the screen signs someone up; a withdrawn one is refused', async () => {
  const { page, w } = await open('admin invitations');
  await login(page);
  await openAdmin(page, 'invitations');
  assert.match(await tid(page, 'registration-mode').innerText(), /invitation/i, 'the registration mode is not shown');
  assert.deepEqual(await tid(page, 'invitation-lifetime').evaluate((s) => [...s.options].map((o) => o.value)),
    ['86400', '604800', '2592000'], 'lifetimes offered');

  // Create one valid for a day.
  await tid(page, 'invitation-lifetime').selectOption('86400');
  let answer = page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/api/v1/admin/invitations');
  await tid(page, 'invitation-create').click();
  let res = await answer;
  assert.equal(res.status(), 201, 'POST /admin/invitations');
  assert.equal(JSON.parse(res.request().postData() ?? '{}').expiresIn, 86400, 'expiresIn sent');
  const expiresAt = Date.parse((await res.json()).data.expiresAt);
  assert.ok(Math.abs(expiresAt - (Date.now() + 86400_000)) < 120_000, 'the code does not expire in a day');
  const code = (await tid(page, 'invitation-code').innerText()).trim();
  assert.ok(code.length >= 8, `no code shown: "${code}"`);
  assert.equal(await copyVia(page, tid(page, 'invitation-copy')), code, 'the copy button copied something else');
  assert.equal(await copyVia(page, tid(page, 'invitation-link-copy')), `${origin}/#/register?invite=${encodeURIComponent(code)}`,
    'the sign-up link');
  const item = page.locator(`[data-testid="invitation-item"][data-code="${css(code)}"]`);
  await item.waitFor({ state: 'visible' }).catch(() => { throw new Error('the new code is not in the list of open codes'); });
  assert.match(await item.innerText(), /Expires/);
  await axeClean(page, 'admin invitations');

  // The copied code signs someone up; then it is no longer open.
  const copied = await page.evaluate(() => navigator.clipboard.readText());
  await register('invited', copied.split('invite=').pop());
  await openAdmin(page, 'users');
  await openAdmin(page, 'invitations');
  await tid(page, 'invitation-list').locator('li').first().waitFor({ state: 'visible' });
  assert.equal(await item.count(), 0, 'a used code is still listed as open');

  // A second code, withdrawn: signing up with it is refused.
  answer = page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/api/v1/admin/invitations');
  await tid(page, 'invitation-create').click();
  res = await answer;
  const other = (await res.json()).data.code;
  const otherItem = page.locator(`[data-testid="invitation-item"][data-code="${css(other)}"]`);
  await otherItem.waitFor({ state: 'visible' });
  await tid(otherItem, 'invitation-withdraw').click();
  await tid(page, 'confirm-dialog').waitFor({ state: 'visible' });
  await tid(page, 'confirm-yes').click();
  await otherItem.waitFor({ state: 'detached' });
  assert.match(await expectStatus(tid(page, 'invitations-status'), 'done', 'Withdraw'), /withdrawn/);
  const n = String(Date.now()).slice(-8);
  const r = await api('POST', '/auth/register', { json: { name: `w${n}`, email: `admin-withdrawn-${n}@example.com`, phone: `156${n}`, password: `admin test ${n}`, invitation: other } });
  assert.deepEqual([r.status, r.data?.code], [403, 'invalid_invitation'], 'signing up with a withdrawn code');
  assertClean(w);
});

ui('admin buckets: making a bucket public serves its links to anyone, making it private refuses them again', async () => {
  const BUCKET = 'files'; // private by default; put back as it was below
  const start = payload(await api('GET', `/buckets/${BUCKET}/policy`, { token: adminToken })).policy;
  const key = `admin-policy/p-${Date.now()}.png`;
  const bytes = png(40, 30, 77);
  const stored = await putObject(adminToken, BUCKET, key, bytes);
  const url = stored.url ?? `${cfg.base}/f/${BUCKET}/${key}`;
  try {
    if (start !== 'private') {
      const r = await api('PUT', `/buckets/${BUCKET}/policy`, { token: adminToken, json: { policy: 'private' } });
      assert.equal(r.status, 200);
    }
    assert.ok([401, 403].includes(await anonymousStatus(url)), 'a private bucket served an anonymous read');

    const { page, w } = await open('admin buckets');
    await login(page);
    await openAdmin(page, 'buckets');
    const card = page.locator(`[data-testid="bucket-card"][data-name="${BUCKET}"]`);
    await card.waitFor({ state: 'visible' });
    assert.equal(await card.getAttribute('data-policy'), 'private');
    // Limits as configured (config/default.toml): 20 MB of images/*, 1 GB of anything.
    const images = page.locator('[data-testid="bucket-card"][data-name="images"]');
    assert.match(await tid(images, 'bucket-max-size').innerText(), /^20 MB$/);
    assert.match(await tid(images, 'bucket-types').innerText(), /image\/\*/);
    assert.match(await tid(card, 'bucket-max-size').innerText(), /^1 GB$/);
    assert.match(await tid(card, 'bucket-types').innerText(), /Any type/);
    await axeClean(page, 'admin buckets');

    // Public: only after a confirmation ("Keep private" keeps it).
    await tid(card, 'bucket-policy-toggle').click();
    const dialog = tid(page, 'confirm-dialog');
    await dialog.waitFor({ state: 'visible' });
    await tid(dialog, 'confirm-no').click();
    await dialog.waitFor({ state: 'detached' });
    assert.equal(await card.getAttribute('data-policy'), 'private', 'Keep private changed the policy');
    await tid(card, 'bucket-policy-toggle').click();
    await tid(dialog, 'confirm-yes').click();
    await expectAttr(card, 'data-policy', 'public-read', 'after Make public');
    assert.match(await expectStatus(tid(card, 'bucket-result'), 'done', 'Make public'), /public/);
    assert.equal(await anonymousStatus(url), 200, 'a public bucket does not serve an anonymous read');
    const served = Buffer.from(await (await fetch(url)).arrayBuffer());
    assert.ok(served.equals(bytes), 'the public link serves other bytes');
    // The files screen's bucket list follows.
    await tid(page, 'nav-files').click();
    await until(async () => /public/.test(await page.locator(`[data-testid="bucket-select"] option[value="${BUCKET}"]`).innerText()),
      'the bucket list of the files screen does not show the new policy', 5000);

    // Private again: no confirmation needed, and the link is refused.
    await openAdmin(page, 'buckets');
    await card.waitFor({ state: 'visible' });
    await tid(card, 'bucket-policy-toggle').click();
    await expectAttr(card, 'data-policy', 'private', 'after Make private');
    assert.equal(await tid(page, 'confirm-dialog').count(), 0, 'making a bucket private asked for a confirmation');
    assert.ok([401, 403].includes(await anonymousStatus(url)), 'the bucket made private still serves anonymous reads');
    assertClean(w);
  } finally {
    await api('PUT', `/buckets/${BUCKET}/policy`, { token: adminToken, json: { policy: start } });
    await api('DELETE', `/buckets/${BUCKET}/objects/${key}`, { token: adminToken });
  }
});

ui('admin usage: two users\' uploads are counted per user and per bucket, biggest first; deleted users and files without owner get lines; Recount works', async () => {
  const a = await register('usagea');
  const b = await register('usageb');
  const ta = (await apiLoginAs(a)).token;
  const tb = (await apiLoginAs(b)).token;
  const dir = `admin-usage-${Date.now()}`;
  const aFiles = [png(60, 40, 1), png(80, 60, 2), png(90, 70, 3)];
  const bFiles = [png(30, 20, 4)];
  for (const [i, bytes] of aFiles.entries()) await putObject(ta, 'images', `${dir}/a-${i}.png`, bytes);
  for (const [i, bytes] of bFiles.entries()) await putObject(tb, 'images', `${dir}/b-${i}.png`, bytes);
  const sum = (xs) => xs.reduce((n, x) => n + x.length, 0);

  const { page, w } = await open('admin usage');
  await login(page);
  await openAdmin(page, 'usage');
  const rowOf = (id) => page.locator(`[data-testid="usage-user"][data-user-id="${css(id)}"]`);
  const figures = async (row) => [
    Number(await tid(row, 'usage-objects').getAttribute('data-value')),
    Number(await tid(row, 'usage-bytes').getAttribute('data-value')),
  ];
  for (const [who, files] of [[a, aFiles], [b, bFiles]]) {
    const row = rowOf(who.id);
    await row.waitFor({ state: 'visible' }).catch(() => { throw new Error(`${who.name} has no usage line`); });
    assert.deepEqual(await figures(row), [files.length, sum(files)], `${who.name}: objects and bytes`);
    assert.equal((await tid(row, 'usage-objects').innerText()).trim(), String(files.length), `${who.name}: the count shown`);
    assert.match(await tid(row, 'usage-bytes').innerText(), /^\d+(\.\d)? (B|KB)$/, `${who.name}: the size shown`);
    assert.match(await row.innerText(), new RegExp(`images: ${files.length} files?`), `${who.name}: the per-bucket line`);
  }
  // Biggest first.
  const bytesShown = await page.$$eval('[data-testid="usage-user"] [data-testid="usage-bytes"]', (els) => els.map((e) => Number(e.dataset.value)));
  assert.deepEqual(bytesShown, [...bytesShown].sort((x, y) => y - x), 'the users are not biggest first');
  // A bucket's total is the sum over the owners (as the API counts them).
  const owners = payload(await api('GET', '/overview', { token: adminToken })).owners;
  assert.ok(Array.isArray(owners), 'the administrator\'s overview has no owners');
  const want = owners.flatMap((o) => o.buckets).filter((x) => x.name === 'images')
    .reduce((t, x) => [t[0] + x.objects, t[1] + x.bytes], [0, 0]);
  const imagesRow = page.locator('[data-testid="usage-bucket"][data-name="images"]');
  assert.deepEqual(await figures(imagesRow), want, 'the total of images');
  assert.ok(want[0] >= aFiles.length + bFiles.length, 'the images total leaves out the uploads');
  assert.equal((await tid(imagesRow, 'usage-objects').innerText()).trim(), new Intl.NumberFormat('en').format(want[0]));
  await axeClean(page, 'admin usage');

  // A deleted user's objects keep their line; a file put into the bucket's directory behind
  // picgate's back is counted by a recount, without an owner.
  assert.equal((await api('DELETE', `/admin/users/${b.id}`, { token: adminToken })).status, 200);
  const dataDir = process.env.PICGATE__STORAGE__DATA_DIR;
  assert.ok(dataDir, 'PICGATE__STORAGE__DATA_DIR is not set (run.sh sets it)');
  const stray = png(20, 20, 9);
  mkdirSync(join(dataDir, 'images', dir), { recursive: true });
  writeFileSync(join(dataDir, 'images', dir, 'stray.png'), stray);
  // Recount: the figures are rebuilt from the storage and shown again.
  const rebuilt = page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/api/v1/admin/usage/rebuild');
  await tid(page, 'usage-recount').click();
  assert.equal((await rebuilt).status(), 200, 'POST /admin/usage/rebuild');
  await expectStatus(tid(page, 'usage-status'), 'done', 'Recount');
  assert.deepEqual(await figures(rowOf(a.id)), [aFiles.length, sum(aFiles)], 'after Recount');
  const deleted = rowOf(b.id);
  await expectAttr(deleted, 'data-kind', 'deleted', 'the deleted user\'s line');
  assert.match(await deleted.innerText(), /Deleted user/);
  assert.deepEqual(await figures(deleted), [bFiles.length, sum(bFiles)], 'the deleted user\'s objects');
  const unowned = page.locator('[data-testid="usage-user"][data-kind="none"]');
  await unowned.waitFor({ state: 'visible' }).catch(() => { throw new Error('no line for the files without an owner'); });
  assert.match(await unowned.innerText(), /No recorded owner/);
  const [n, bytes] = await figures(unowned);
  assert.ok(n >= 1 && bytes >= stray.length, `the files without an owner: ${n} objects, ${bytes} bytes`);

  // When the overview could not gather the owners, the section says why.
  await page.route('**/api/v1/overview**', (route) => route.fulfill({
    status: 200,
    contentType: 'application/json',
    body: JSON.stringify({ success: true, code: '0', msg: 'ok', data: { complete: false, errors: [{ section: 'owners', code: 'storage_unavailable', msg: 'down' }], owners: null } }),
  }));
  await openAdmin(page, 'buckets');
  await openAdmin(page, 'usage');
  assert.match(await expectStatus(tid(page, 'usage-status'), 'error', 'owners null'), /storage cannot be reached/);
  assert.equal(await tid(page, 'usage-total').isVisible(), false, 'figures shown although the owners failed');
  assertClean(w);
  const keys = [...aFiles.map((_, i) => `${dir}/a-${i}.png`), ...bFiles.map((_, i) => `${dir}/b-${i}.png`), `${dir}/stray.png`];
  await api('POST', '/buckets/images/delete', { token: adminToken, json: { keys } });
});

ui('admin screen is for administrators only: a user sees no Admin link and #/admin shows the files', async () => {
  const who = await register('plain');
  const { page, w } = await open('not admin');
  await loginAs(page, who);
  await tid(page, 'nav-account').waitFor({ state: 'visible' });
  assert.equal(await tid(page, 'nav-admin').isVisible(), false, 'a user who is no administrator sees the Admin link');
  await page.goto(`${cfg.base}/#/admin/users`);
  await until(async () => (await page.evaluate(() => location.hash)).startsWith('#/browse/'),
    async () => `#/admin did not go back to the files (at ${await page.evaluate(() => location.hash)})`, 10_000);
  await tid(page, 'drop-zone').waitFor({ state: 'visible' });
  assert.equal(await tid(page, 'admin-screen').count(), 0, 'the admin screen was built for a user');
  assert.ok(!w.apiRequests.some((r) => r.path.startsWith('/api/v1/admin/')), 'a user\'s console asked the admin API on the desk');
  assertClean(w);
});

ui('admin screen on the phone (390×844, touch): one column, no sideways scroll, every request names h5', async () => {
  const who = await register('phone');
  const { page, w } = await open('admin phone', PHONE);
  await login(page, { touch: true });
  await openAdmin(page, 'users', { touch: true });
  const row = userRow(page, who.email);
  await row.waitFor({ state: 'visible' });
  // Every field of a user on the phone too.
  for (const part of [who.name, who.email, who.phone]) assert.ok((await row.innerText()).includes(part), `the phone's row lacks ${part}`);
  for (const section of SECTIONS) {
    await openAdmin(page, section, { touch: true });
    if (section === 'usage') await tid(page, 'usage-total').waitFor({ state: 'visible' });
    if (section === 'buckets') await page.locator('[data-testid="bucket-card"]').first().waitFor({ state: 'visible' });
    const width = await pageWidth(page);
    assert.ok(width <= 390, `the ${section} section is ${width} px wide on a 390 px phone`);
    if (section === 'users') {
      const small = [];
      for (const id of ['user-toggle-disabled', 'user-toggle-role', 'user-delete']) {
        const box = await tid(row, id).boundingBox();
        if (!box || box.height < 44 || box.width < 44) small.push(`${id} ${box ? `${Math.round(box.width)}×${Math.round(box.height)}` : 'hidden'}`);
      }
      assert.deepEqual(small, [], 'touch targets under 44×44 px');
      await shot(page, 'admin');
    }
    await axeClean(page, `admin ${section}`);
  }
  // A tap disables and enables the user (the answers on h5 keep the row whole).
  await openAdmin(page, 'users', { touch: true });
  await tid(row, 'user-toggle-disabled').tap();
  await expectAttr(row, 'data-disabled', 'true', 'after Disable on the phone');
  assert.ok((await row.innerText()).includes(who.email), 'the row lost the email after Disable on the phone');
  await tid(row, 'user-toggle-disabled').tap();
  await expectAttr(row, 'data-disabled', 'false', 'after Enable on the phone');

  const admin = w.apiRequests.filter((r) => r.path.startsWith('/api/v1/admin/') || r.path.startsWith('/api/v1/overview'));
  assert.ok(admin.length >= 4, 'too few admin API requests seen on the phone');
  assert.deepEqual(w.apiRequests.filter((r) => r.xClient !== 'h5'), [], 'API requests on the phone without X-Client: h5');
  assertClean(w);
});

ui('admin screen in Chinese: no English left in any section', async () => {
  const { page, w } = await open('admin zh-CN');
  await login(page);
  await openAdmin(page, 'users');
  await userRow(page, cfg.login).waitFor({ state: 'visible' });
  await tid(page, 'lang-switch').selectOption('zh-CN');
  await until(async () => (await page.getAttribute('html', 'lang')) === 'zh-CN', '<html lang> did not become zh-CN', 5000);
  for (const section of SECTIONS) {
    await openAdmin(page, section);
    if (section === 'users') await userRow(page, cfg.login).waitFor({ state: 'visible' });
    if (section === 'invitations') {
      await tid(page, 'invitation-create').click();
      await tid(page, 'invitation-code').waitFor({ state: 'visible' });
      await tid(page, 'invitation-list').locator('[data-testid="invitation-item"]').first().waitFor({ state: 'visible' });
    }
    if (section === 'buckets') await page.locator('[data-testid="bucket-card"]').first().waitFor({ state: 'visible' });
    if (section === 'usage') await tid(page, 'usage-total').waitFor({ state: 'visible' });
    assert.ok(hasCJK(await tid(page, `admin-tab-${section}`).innerText()), `the ${section} tab is not in Chinese`);
    assert.deepEqual(englishLeftovers(await uiStrings(page)), [], `English left on the zh-CN admin ${section} section`);
    if (section === 'users') {
      // The cells' own texts (role, state, dates) too.
      const cells = await page.$$eval('[data-testid="user-row"] .badge, [data-testid="user-row"] .col-created', (els) => els.map((e) => e.textContent));
      assert.deepEqual(englishLeftovers(cells), [], 'English left in the users\' cells');
    }
  }
  await axeClean(page, 'admin zh-CN');
  assertClean(w);
});

// ---------------------------------------------------------------- the detail panel's owner

/** Opens the detail panel of `key` (images bucket) from its folder's listing. */
async function openDetail(page, key, { touch = false } = {}) {
  const folder = key.slice(0, key.lastIndexOf('/') + 1);
  await page.evaluate((h) => { location.hash = h; }, `#/browse/images/${folder}`);
  const item = page.locator(`[data-testid="object-item"][data-key$="${css(key.split('/').pop())}"]`).first();
  await item.waitFor({ state: 'visible' });
  if (touch) await item.tap();
  else await item.click();
  const panel = tid(page, 'detail-panel');
  await panel.waitFor({ state: 'visible' });
  // The facts are this object's once its ETag shows (another object's may still be there).
  const etag = String(payload(await objectInfo(adminToken, 'images', key))?.etag ?? '').replace(/"/g, '');
  assert.ok(etag, `no ETag for ${key}`);
  await until(async () => (await panel.locator('[data-field="etag"]').innerText()).includes(etag),
    `the detail panel does not show the ETag of ${key}`, 10_000);
  return panel;
}

const fact = async (panel, field) => (await panel.locator(`[data-field="${field}"]`).innerText()).trim();

ui('detail panel: the owner is named as the viewer may know them, and delete is offered to who may delete', async () => {
  const writer = await register('writer');
  const reader = await register('reader');
  const writerToken = (await apiLoginAs(writer)).token;
  const readerToken = (await apiLoginAs(reader)).token;
  const stamp = Date.now();
  const theirs = `owners-${stamp}/theirs.png`;
  const mine = `owners-${stamp}/mine.png`;
  await putObject(writerToken, 'images', theirs, png(40, 30, 7));
  await putObject(readerToken, 'images', mine, png(40, 30, 8));

  // Another user: "Another user", Delete disabled with the reason; their own: "You", Delete on.
  const { page, w } = await open('owner, reader');
  await loginAs(page, reader);
  let panel = await openDetail(page, theirs);
  assert.equal(await fact(panel, 'owner'), 'Another user');
  assert.ok(await tid(panel, 'delete-object').isDisabled(), "Delete is offered on another user's file");
  assert.match(await tid(panel, 'delete-hint').innerText(), /owner or an administrator/);
  await axeClean(page, 'detail, not yours');
  panel = await openDetail(page, mine);
  assert.equal(await fact(panel, 'owner'), 'You');
  assert.ok(await tid(panel, 'delete-object').isEnabled(), 'Delete is not offered on the own file');
  assert.ok(await tid(panel, 'delete-hint').isHidden(), 'the not-yours hint shows on the own file');
  assertClean(w);

  // An administrator sees the owner's name, and may delete.
  const admin = await open('owner, admin');
  await login(admin.page);
  panel = await openDetail(admin.page, theirs);
  await until(async () => (await fact(panel, 'owner')) === writer.name,
    async () => `the administrator sees the owner as "${await fact(panel, 'owner')}", not ${writer.name}`, 10_000);
  assert.ok(await tid(panel, 'delete-object').isEnabled(), 'Delete is not offered to the administrator');
  assertClean(admin.w);
});

ui('detail panel on the phone: every fact of the object, asked for as h5', async () => {
  const writer = await register('phone');
  const token = (await apiLoginAs(writer)).token;
  const key = `phone-${Date.now()}/facts.png`;
  await putObject(token, 'images', key, png(40, 30, 9));
  const { page, w } = await open('detail phone', PHONE);
  await loginAs(page, writer);
  const panel = await openDetail(page, key, { touch: true });
  for (const field of ['key', 'size', 'contentType', 'dimensions', 'owner', 'lastModified', 'etag']) {
    const dd = panel.locator(`[data-field="${field}"]`);
    assert.ok(await dd.isVisible(), `the phone's detail panel leaves out ${field}`);
  }
  assert.equal(await fact(panel, 'contentType'), 'image/png');
  assert.equal(await fact(panel, 'owner'), 'You');
  const info = w.apiRequests.find((r) => r.method === 'GET' && r.path.includes('/info/'));
  assert.ok(info, 'the panel asked for no details');
  assert.equal(info.xClient, 'h5', 'the details were not asked for as h5');
  assertClean(w);
});
