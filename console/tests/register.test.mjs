// Browser tests of the console's self-service sign-up, against the picgate run.sh starts with
// `auth.registration = invite`: the sign-in screen offers it, the form checks what it can and
// shows the server's refusals by code in the user's language, an account made with a real
// invitation code signs in at once, a code works once, an invitation link fills the code in.
// The `open` and `closed` modes are shown by answering `GET /auth/registration` in the browser
// (the server's own tests cover its answers in every mode).
//
//   bash console/tests/run.sh --test-name-pattern=sign-up
//
// Sign-up attempts the server refuses after its first checks (unknown or used codes) count
// against the client's sign-up allowance (10 per address before delays); these tests make
// two of them, and a successful sign-up gives its attempt back.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import {
  cfg, LAUNCH, DESKTOP, PHONE, api, payload, apiLogin, assertClean, axeCheck,
  until, screenshotPath, tid, gotoLogin, submitLogin, login, shot, uiStrings, englishLeftovers, hasCJK,
  pages,
} from './lib.mjs';

const T = 20_000; // per-step wait
const FIELDS = ['invitation', 'name', 'email', 'phone', 'password', 'confirm'];

let browser;
let adminToken;
const { open, ui } = pages(() => browser, T, { clipboard: false });

before(async () => {
  browser = await chromium.launch(LAUNCH);
  adminToken = await apiLogin();
});

after(async () => {
  await browser?.close();
});

// ------------------------------------------------------------------ helpers

/** A new invitation code, made by the administrator through the API. */
async function invitation() {
  const r = await api('POST', '/admin/invitations', { token: adminToken, json: {} });
  assert.equal(r.status, 201, `POST /admin/invitations: ${r.status} ${r.text}`);
  const { code } = payload(r);
  assert.ok(code, 'the invitation has no code');
  return code;
}

let seq = 0;
/** Someone new: an 11-digit mainland mobile number and an email no other test uses. */
function person(tag) {
  seq += 1;
  const n = `${String(Date.now()).slice(-7)}${seq % 10}`;
  return { name: `${tag} ${n}`, email: `signup-${tag}-${n}@example.com`, phone: `158${n}`, password: `sign-up passphrase ${n}` };
}

const focused = (page) => page.evaluate(() => document.activeElement?.getAttribute('data-testid') ?? null);

async function expectFocus(page, testid, what) {
  await until(async () => (await focused(page)) === testid,
    async () => `${what}: the focus is on ${await focused(page)}, not on ${testid}`, 5000);
}

/** Fills the sign-up form (only the fields given). */
async function fill(page, values) {
  for (const [k, v] of Object.entries(values)) await tid(page, `register-${k}`).fill(v);
}

/** The field's message is shown, says `re`, is its description, and the field is marked wrong. */
async function expectFieldError(page, field, re) {
  const err = tid(page, `register-${field}-error`);
  await err.waitFor({ state: 'visible', timeout: 10_000 })
    .catch(() => { throw new Error(`no message by the ${field} field`); });
  const text = (await err.innerText()).trim();
  assert.match(text, re, `the ${field} field's message`);
  const input = tid(page, `register-${field}`);
  assert.equal(await input.getAttribute('aria-invalid'), 'true', `${field} is not marked aria-invalid`);
  const described = (await input.getAttribute('aria-describedby')) ?? '';
  assert.ok(described.split(' ').includes(`register-${field}-error`), `${field}'s aria-describedby (${described}) leaves out its message`);
  return text;
}

/** Submits the form and returns the answer to its POST /auth/register. */
async function submitRegister(page, { touch = false } = {}) {
  const answer = page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/api/v1/auth/register');
  if (touch) await tid(page, 'register-submit').tap();
  else await tid(page, 'register-submit').click();
  const res = await answer;
  let body = null;
  try { body = await res.json(); } catch { /* none */ }
  return { status: res.status(), code: body?.code, request: res.request() };
}

const registerPosts = (w) => w.apiRequests.filter((r) => r.method === 'POST' && r.path === '/api/v1/auth/register');

async function axeClean(page, screen) {
  const r = await axeCheck(page, `${screen} ${page.viewportSize().width}x${page.viewportSize().height}`);
  if (r.all.length) console.log(`axe ${r.screen}: ${r.all.join('; ')}`);
  assert.deepEqual(r.bad, [], `${r.screen}: serious or critical accessibility violations`);
}

/** Answers `GET /auth/registration` in the browser with `mode` (or fails it when null). */
async function fakeMode(page, mode) {
  await page.route('**/api/v1/auth/registration', (route) => (mode === null
    ? route.abort()
    : route.fulfill({ json: { success: true, code: '0', msg: 'ok', data: { mode } } })));
}

// ------------------------------------------------------------------ tests

test('the server signs up with invitations (run.sh sets PICGATE__AUTH__REGISTRATION=invite)', async () => {
  const r = await api('GET', '/auth/registration');
  assert.equal(r.status, 200, `GET /auth/registration: ${r.status} ${r.text}`);
  assert.equal(payload(r).mode, 'invite');
});

ui('sign-up (1280×800, invite mode): offered on the sign-in screen, errors by code, the new account signs in, a code works once', async () => {
  const { page, w } = await open('sign-up desktop');
  await gotoLogin(page);
  assert.equal(await tid(page, 'login-screen').getAttribute('data-registration'), 'invite');
  const offer = tid(page, 'register-open');
  await offer.waitFor({ state: 'visible' });

  // From the keyboard: Enter on the offer swaps the card to the form, the focus in its first field.
  await offer.focus();
  await page.keyboard.press('Enter');
  await tid(page, 'register-form').waitFor({ state: 'visible' });
  assert.equal(await tid(page, 'login-form').isVisible(), false, 'the sign-in form stays next to the sign-up form');
  await expectFocus(page, 'register-invitation', 'after opening the form');
  assert.equal((await page.locator('#register-title').innerText()).trim(), 'Create an account');
  for (const f of FIELDS) {
    assert.ok((await page.locator(`label[for="register-${f}"]`).innerText()).trim(), `the ${f} field has no label`);
  }
  assert.equal(await tid(page, 'register-form').getAttribute('novalidate'), '', 'the form leaves validation to the browser');

  // No code: said by the field, nothing sent.
  const u = person('desk');
  await fill(page, { name: u.name, email: u.email, phone: u.phone, password: u.password, confirm: u.password });
  await tid(page, 'register-submit').click();
  await expectFieldError(page, 'invitation', /Enter your invitation code/);
  await expectFocus(page, 'register-invitation', 'after submitting without a code');
  // Passwords that differ: caught before sending too.
  await fill(page, { invitation: 'no-such-invitation-code', confirm: `${u.password}!` });
  await tid(page, 'register-submit').click();
  await expectFieldError(page, 'confirm', /not the same/);
  await expectFocus(page, 'register-confirm', 'after a mismatched confirmation');
  assert.equal(await tid(page, 'register-invitation-error').isVisible(), false, 'the code\'s message stays after the code was given');
  assert.equal(registerPosts(w).length, 0, 'the form sent a sign-up it could tell was incomplete');

  // The server's field checks, by field, in English.
  await fill(page, { confirm: u.password, phone: '12345' });
  let r = await submitRegister(page);
  assert.equal(r.code, 'validation_failed', `a bad phone number: ${r.status} ${r.code}`);
  await expectFieldError(page, 'phone', /country code/);
  await expectFocus(page, 'register-phone', 'after the server refused the phone number');

  // An unknown code.
  await fill(page, { phone: u.phone });
  r = await submitRegister(page);
  assert.equal(r.code, 'invalid_invitation', `an unknown code: ${r.status} ${r.code}`);
  await expectFieldError(page, 'invitation', /not valid/);
  await expectFocus(page, 'register-invitation', 'after an unknown code');
  await axeClean(page, 'sign-up with an error');

  // A real code: the account is made and signed in; the console shows its name.
  const code = await invitation();
  await fill(page, { invitation: code });
  assert.equal(await tid(page, 'register-invitation-error').isVisible(), false, 'the message stays on a corrected code');
  // The whole card: at 800 px high the form goes on below the fold.
  await page.screenshot({ path: screenshotPath('register', page), fullPage: true });
  await axeClean(page, 'sign-up');
  // Pasted whole, the admin screen's link gives its code.
  await fill(page, { invitation: `${cfg.base}/#/register?invite=${encodeURIComponent(code)}` });
  r = await submitRegister(page);
  assert.equal(r.status, 201, `sign-up with a real code: ${r.status} ${r.code}`);
  await tid(page, 'app-shell').waitFor({ state: 'visible' });
  await until(async () => (await tid(page, 'user-name').innerText()).trim() === u.name,
    async () => `the console shows "${await tid(page, 'user-name').innerText()}" as the user, not ${u.name}`, 10_000);
  assert.ok(!page.url().includes(code), 'the spent code stays in the address bar');
  const login = await api('POST', '/auth/login', { json: { login: u.phone, password: u.password } });
  assert.equal(login.status, 200, 'the new account cannot sign in with its phone');
  assert.equal(payload(login).user?.role, 'user', 'a self-service account is no plain user');

  // The same code from an invitation link, for someone else: filled in, then refused.
  const b = await open('sign-up link');
  await b.page.goto(`${cfg.base}/#/register?invite=${encodeURIComponent(code)}`);
  await tid(b.page, 'register-form').waitFor({ state: 'visible' });
  assert.equal(await tid(b.page, 'register-invitation').inputValue(), code, 'the link did not fill in its code');
  await expectFocus(b.page, 'register-name', 'a form opened by a link with a code');
  const v = person('again');
  await fill(b.page, { name: v.name, email: v.email, phone: v.phone, password: v.password, confirm: v.password });
  r = await submitRegister(b.page);
  assert.equal(r.code, 'invalid_invitation', `a code used twice: ${r.status} ${r.code}`);
  await expectFieldError(b.page, 'invitation', /not valid/);
  assert.equal(await tid(b.page, 'app-shell').count(), 0, 'a spent code signed someone in');
  assert.equal((await api('POST', '/auth/login', { json: { login: v.email, password: v.password } })).status, 401,
    'a spent code made an account');

  // Back to sign-in: the sign-in form, focused, and off the link.
  await tid(b.page, 'register-back').click();
  await tid(b.page, 'login-form').waitFor({ state: 'visible' });
  assert.equal(await tid(b.page, 'register-form').count(), 0, 'the sign-up form is still there');
  await expectFocus(b.page, 'login-id', 'back on the sign-in form');
  assert.doesNotMatch(new URL(b.page.url()).hash, /register/, 'the link stays in the address bar after going back');
  assertClean(w);
  assertClean(b.w);
});

ui('sign-up has its own address: a reload keeps the form, Back returns to sign-in (a link keeps its code)', async () => {
  const { page, w } = await open('sign-up address');
  const hash = () => new URL(page.url()).hash;
  const signIn = async (what) => {
    await tid(page, 'login-form').waitFor({ state: 'visible' })
      .catch(() => { throw new Error(`${what}: the sign-in form is not back`); });
    assert.equal(await tid(page, 'register-form').count(), 0, `${what}: the sign-up form is still there`);
    assert.doesNotMatch(hash(), /register/, `${what}: the address still names the sign-up form`);
  };
  const signUp = async (what) => {
    await tid(page, 'register-form').waitFor({ state: 'visible' })
      .catch(() => { throw new Error(`${what}: no sign-up form`); });
    assert.equal(await tid(page, 'login-form').isVisible(), false, `${what}: the sign-in form is shown too`);
  };

  await gotoLogin(page);
  await tid(page, 'register-open').click();
  await signUp('after "Create an account"');
  assert.equal(hash(), '#/register', 'the address does not name the sign-up form');
  await page.goBack();
  await signIn('Back from the form');
  await expectFocus(page, 'login-id', 'back on the sign-in form');
  await page.goForward();
  await signUp('Forward to the form');

  // A reload keeps the form (what was typed in it is the browser's to keep or not).
  await page.reload();
  await signUp('after a reload');
  await expectFocus(page, 'register-invitation', 'the reloaded form');
  await page.goBack();
  await signIn('Back after the reload');

  // The form's own "Back to sign in" is a step back too.
  await tid(page, 'register-open').click();
  await signUp('the form opened again');
  await tid(page, 'register-back').click();
  await signIn('"Back to sign in"');
  await expectFocus(page, 'login-id', 'after "Back to sign in"');
  await page.goForward();
  await signUp('Forward after "Back to sign in"');

  // From an invitation link: the code stays in the address, a reload keeps it, and Back after
  // "Back to sign in" returns to the form with it.
  await page.goto(`${cfg.base}/#/register?invite=link-code-1`);
  await signUp('an invitation link');
  await page.reload();
  await signUp('an invitation link reloaded');
  assert.equal(await tid(page, 'register-invitation').inputValue(), 'link-code-1', 'the reloaded link lost its code');
  assert.match(hash(), /invite=link-code-1/, 'the link\'s code left the address');
  await tid(page, 'register-back').click();
  await signIn('"Back to sign in" from a link');
  await page.goBack();
  await signUp('Back to the link');
  assert.equal(await tid(page, 'register-invitation').inputValue(), 'link-code-1', 'Back to the link lost its code');
  assert.equal(registerPosts(w).length, 0, 'moving between the forms sent a sign-up');
  assertClean(w);
});

ui('sign-up on the phone (390×844, touch): from an invitation link, every request names h5, the new user is signed in', async () => {
  const code = await invitation();
  const { page, w } = await open('sign-up phone', PHONE);
  await page.goto(`${cfg.base}/#/register/${code}`); // the short form of the link works as well
  await tid(page, 'register-form').waitFor({ state: 'visible' });
  assert.equal(await tid(page, 'register-invitation').inputValue(), code, 'the link did not fill in its code');
  await expectFocus(page, 'register-name', 'a form opened by a link with a code');
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the sign-up form scrolls sideways by ${overflow} px at 390 px wide`);
  const small = [];
  for (const id of [...FIELDS.map((f) => `register-${f}`), 'register-submit', 'register-back']) {
    const box = await tid(page, id).boundingBox();
    if (!box || box.height < 44 || box.width < 44) small.push(`${id} ${box ? `${Math.round(box.width)}×${Math.round(box.height)}` : 'hidden'}`);
  }
  assert.deepEqual(small, [], 'touch targets under 44 px on the phone');

  const u = person('phone');
  await fill(page, { name: u.name, email: u.email, phone: u.phone, password: u.password });
  await tid(page, 'register-submit').tap();
  await expectFieldError(page, 'confirm', /Enter the password a second time/);
  await fill(page, { confirm: u.password });
  await page.evaluate(() => window.scrollTo(0, 0));
  await shot(page, 'register');
  await axeClean(page, 'sign-up');

  const r = await submitRegister(page, { touch: true });
  assert.equal(r.status, 201, `sign-up on the phone: ${r.status} ${r.code}`);
  assert.equal(r.request.headers()['x-client'], 'h5', 'the sign-up request does not name the h5 profile');
  const shell = tid(page, 'app-shell');
  await shell.waitFor({ state: 'visible' });
  assert.equal(await shell.getAttribute('data-client'), 'h5', 'app-shell data-client at 390 px');
  // The phone's top bar has no room for the name; the console holds it all the same.
  await until(async () => (await tid(page, 'user-name').textContent())?.trim() === u.name,
    async () => `the console knows "${await tid(page, 'user-name').textContent()}" as the user, not ${u.name}`, 10_000);
  assert.ok(registerPosts(w).length === 1, 'not exactly one sign-up request');
  assert.deepEqual(w.apiRequests.filter((x) => x.xClient !== 'h5'), [], 'API requests on the phone without X-Client: h5');
  assertClean(w);
});

ui('sign-up in Chinese: the form and its messages are in Chinese only', async () => {
  const { page, w } = await open('sign-up zh', { ...DESKTOP, locale: 'zh-CN' });
  await gotoLogin(page);
  assert.equal(await page.getAttribute('html', 'lang'), 'zh-CN');
  assert.ok(hasCJK(await tid(page, 'register-open').innerText()), 'the sign-up offer is not in Chinese');
  await tid(page, 'register-open').click();
  await tid(page, 'register-form').waitFor({ state: 'visible' });
  assert.ok(hasCJK(await page.locator('#register-title').innerText()), 'the sign-up title is not in Chinese');
  assert.deepEqual(englishLeftovers(await uiStrings(page)), [], 'English on the zh-CN sign-up form');

  // The form's own checks.
  await tid(page, 'register-submit').click();
  for (const f of ['invitation', 'email', 'phone', 'password']) {
    const text = await expectFieldError(page, f, /./);
    assert.ok(hasCJK(text), `the ${f} message is not in Chinese: ${text}`);
  }
  // The server's answer (a phone number it refuses), by code and reason.
  const u = person('zh');
  await fill(page, { invitation: 'no-such-invitation-code', email: u.email, phone: '12345', password: u.password, confirm: u.password });
  const r = await submitRegister(page);
  assert.equal(r.code, 'validation_failed', `a bad phone number: ${r.status} ${r.code}`);
  const text = await expectFieldError(page, 'phone', /./);
  assert.ok(hasCJK(text), `the server's phone message is not in Chinese: ${text}`);
  assert.deepEqual(englishLeftovers(await uiStrings(page)), [], 'English on the zh-CN sign-up form with its messages');

  // A switch to English re-translates what is shown, messages included.
  await tid(page, 'lang-switch').selectOption('en');
  await until(async () => /country code/.test(await tid(page, 'register-phone-error').innerText()),
    'the phone message did not follow the switch to English', 5000);
  assert.equal((await page.locator('#register-title').innerText()).trim(), 'Create an account');
  assertClean(w);
});

ui('sign-up follows the registration mode: none when closed or unknown, no code field when open', async () => {
  // Closed: no offer, and an invitation link says why.
  const closed = await open('mode closed');
  await fakeMode(closed.page, 'closed');
  await closed.page.goto(`${cfg.base}/#/register?invite=some-code`);
  await tid(closed.page, 'register-notice').waitFor({ state: 'visible' });
  assert.match(await tid(closed.page, 'register-notice').innerText(), /not available/);
  assert.equal(await tid(closed.page, 'register-open').isVisible(), false, 'sign-up offered while closed');
  assert.equal(await tid(closed.page, 'register-form').count(), 0, 'a sign-up form while closed');
  await expectFocus(closed.page, 'login-id', 'the sign-in screen');

  // Unknown (the question failed): as closed, and signing in works.
  const unknown = await open('mode unknown');
  await fakeMode(unknown.page, null);
  await gotoLogin(unknown.page);
  assert.equal(await tid(unknown.page, 'login-screen').getAttribute('data-registration'), 'closed');
  assert.equal(await tid(unknown.page, 'register-open').isVisible(), false, 'sign-up offered without knowing the mode');
  await submitLogin(unknown.page);
  await tid(unknown.page, 'app-shell').waitFor({ state: 'visible' });

  // Open: no code field; this server wants one all the same, and the form says so.
  const openMode = await open('mode open');
  await fakeMode(openMode.page, 'open');
  await gotoLogin(openMode.page);
  await tid(openMode.page, 'register-open').click();
  await tid(openMode.page, 'register-form').waitFor({ state: 'visible' });
  assert.equal(await tid(openMode.page, 'register-invitation').count(), 0, 'a code field in open mode');
  await expectFocus(openMode.page, 'register-name', 'the open form');
  const u = person('open');
  await fill(openMode.page, { email: u.email, phone: u.phone, password: u.password, confirm: u.password });
  const r = await submitRegister(openMode.page);
  assert.equal(r.code, 'invitation_required', `sign-up without a code: ${r.status} ${r.code}`);
  const err = tid(openMode.page, 'register-error');
  await err.waitFor({ state: 'visible' });
  assert.match(await err.innerText(), /needs an invitation code/);
  assertClean(closed.w);
  assertClean(unknown.w);
  assertClean(openMode.w);
});

ui('an invitation link opened while signed in says so, then the notice goes', async () => {
  const { page, w } = await open('invite while signed in');
  await login(page);
  await page.evaluate(() => { location.hash = '#/register?invite=some-code'; });
  const notice = tid(page, 'shell-notice');
  await notice.waitFor({ state: 'visible' });
  assert.match(await notice.innerText(), /already signed in/);
  await until(async () => (await page.evaluate(() => location.hash)).startsWith('#/browse/'),
    'the invitation link did not lead to the files', 5000);
  assert.ok(await notice.isVisible(), 'the notice went with the redirect to the files');
  await page.evaluate(() => { location.hash = '#/account'; });
  await notice.waitFor({ state: 'hidden' });
  assertClean(w);
});
