// browser.test.mjs: Debian's chromium, headless, driven by playwright-core,
// through the sign-in and consent pages as a person: a refused request's
// error page before any sign-in, the server root as a page; open the
// authorization URL, sign in, read the consent page, approve, land on the loopback
// redirect with code, state and iss; the deny path; the consent page
// refused inside a frame; the cookies' attributes.  Screenshots of the
// sign-in and consent pages (and of the refused frame) go to tests/out/browser/.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { mkdtempSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { env, loopbackListener, registerClient, postForm } from '../interop/lib.mjs';

const outDir = path.resolve(import.meta.dirname ?? path.dirname(new URL(import.meta.url).pathname), '../out/browser');
const executablePath = process.env.CHROMIUM ?? '/usr/bin/chromium';

/** A fresh PKCE pair and state, and the authorization URL for `clientId` at `redirectUri`. */
function authorizationRequest(clientId, redirectUri) {
  const verifier = randomBytes(32).toString('base64url');
  const state = randomBytes(16).toString('base64url');
  const url = new URL('/authorize', env.base);
  url.search = new URLSearchParams({
    response_type: 'code', client_id: clientId, redirect_uri: redirectUri, state,
    code_challenge: createHash('sha256').update(verifier).digest('base64url'), code_challenge_method: 'S256',
    scope: 'mcp:tools mcp:resources', resource: env.resource,
  }).toString();
  return { url: url.href, verifier, state };
}

describe('a real browser (headless chromium) through sign-in and consent', () => {
  let context, page, listener, clientId, userDataDir, framer;
  const consoleLines = [];

  before(async () => {
    mkdirSync(outDir, { recursive: true });
    userDataDir = mkdtempSync(path.join(tmpdir(), 'mcp_oauth_chromium.'));
    const args = ['--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'];
    if (process.getuid?.() === 0) args.unshift('--no-sandbox');
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath, headless: true, args, viewport: { width: 800, height: 900 },
    });
    page = context.pages()[0] ?? await context.newPage();
    page.on('console', (m) => consoleLines.push(m.text()));
    listener = await loopbackListener('/callback');
    clientId = (await registerClient({
      client_name: 'Browser test client', redirect_uris: [listener.redirectUri],
      token_endpoint_auth_method: 'none', grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'],
    })).client_id;
  });
  after(async () => {
    await context?.close();
    await listener?.close();
    framer?.close();
    if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
  });

  test('a request the server refuses shows its error before any sign-in', async () => {
    const bad = authorizationRequest('no-such-client', listener.redirectUri);
    const res = await page.goto(bad.url);
    assert.equal(res.status(), 400);
    assert.match(await page.locator('body').innerText(), /unknown client_id/);
    assert.equal(await page.getByLabel('Password').count(), 0, 'no sign-in form');
  });

  test('the server root is a page for a browser, not JSON', async () => {
    const res = await page.goto(new URL('/', env.base).href);
    assert.equal(res.status(), 404);
    assert.match(res.headers()['content-type'], /^text\/html/);
    assert.match(await page.locator('h1').innerText(), /Page not found/);
  });

  let req;
  test('the authorization URL shows the sign-in page', async () => {
    req = authorizationRequest(clientId, listener.redirectUri);
    const res = await page.goto(req.url);
    assert.equal(res.status(), 200);
    await page.getByLabel('Username').waitFor();
    assert.equal(await page.getByLabel('Password').getAttribute('type'), 'password');
    assert.equal(await page.locator('script').count(), 0, 'no script on the page');
    await page.screenshot({ path: path.join(outDir, 'login.png'), fullPage: true });
  });

  test('a wrong password keeps the person on the sign-in page with a message', async () => {
    await page.getByLabel('Username').fill(env.user);
    await page.getByLabel('Password').fill('not-the-password');
    await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Sign in' }).click()]);
    await page.getByRole('alert').waitFor();
    assert.match(await page.getByRole('alert').innerText(), /username or password is incorrect/i);
    const cookies = await context.cookies(env.base);
    assert.equal(cookies.find((c) => c.name === '__Host-mcp_oauth_session'), undefined, 'no session');
  });

  test('signing in leads to the consent page, which says what the client asks', async () => {
    await page.getByLabel('Username').fill(env.user);
    await page.getByLabel('Password').fill(env.password);
    await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Sign in' }).click()]);
    await page.getByRole('button', { name: 'Approve' }).waitFor();
    const text = await page.locator('body').innerText();
    assert.match(text, /Browser test client/, 'names the client');
    assert.match(text, /Use the tools of this MCP server on your behalf/, 'scope in plain words');
    assert.ok(text.includes(listener.redirectUri), 'shows the redirect URI');
    assert.ok(text.includes(`127.0.0.1:${listener.port}`) || text.includes('127.0.0.1'), 'shows the redirect host');
    assert.ok(text.includes(env.resource), 'names the resource');
    assert.ok(text.includes(env.user), 'names the account');
    assert.equal(await page.locator('script').count(), 0, 'no script on the page');
    await page.screenshot({ path: path.join(outDir, 'consent.png'), fullPage: true });
  });

  test('the cookies are __Host-, Secure, HttpOnly, SameSite=Lax, host-only, Path=/', async () => {
    const cookies = await context.cookies(env.base);
    const session = cookies.find((c) => c.name === '__Host-mcp_oauth_session');
    assert.ok(session, `session cookie kept by the browser: ${cookies.map((c) => c.name)}`);
    for (const c of cookies.filter((c) => c.name.startsWith('__Host-'))) {
      assert.equal(c.secure, true, `${c.name} Secure`);
      assert.equal(c.httpOnly, true, `${c.name} HttpOnly`);
      assert.equal(c.sameSite, 'Lax', `${c.name} SameSite`);
      assert.equal(c.path, '/', `${c.name} Path`);
      assert.equal(c.domain, '127.0.0.1', `${c.name} host-only`);
    }
    assert.ok(session.expires === -1 || session.expires * 1000 < Date.now() + 31 * 86400e3, 'not a long-lived cookie');
    assert.equal(await page.evaluate(() => document.cookie), '', 'scripts cannot read them');
  });

  test('approve: the browser lands on the loopback redirect with code, state and iss', async () => {
    const arrived = listener.callback();
    await Promise.all([
      page.waitForURL((u) => u.href.startsWith(`${listener.redirectUri}?`)),
      page.getByRole('button', { name: 'Approve' }).click(),
    ]);
    const landed = new URL(page.url());
    assert.ok(landed.searchParams.get('code'), 'code');
    assert.equal(landed.searchParams.get('state'), req.state);
    assert.equal(landed.searchParams.get('iss'), env.issuer);
    const got = await arrived;
    assert.equal(got.searchParams.get('code'), landed.searchParams.get('code'), 'the listener received it');
    assert.match(await page.locator('body').innerText(), /You may close this window/);

    const tok = await postForm('/token', {
      grant_type: 'authorization_code', code: landed.searchParams.get('code'), redirect_uri: listener.redirectUri,
      client_id: clientId, code_verifier: req.verifier, resource: env.resource,
    });
    assert.equal(tok.status, 200, tok.text);
    assert.ok(tok.json.access_token);
  });

  test('deny: the browser lands on the redirect with access_denied, state and iss, no code', async () => {
    const deny = authorizationRequest(clientId, listener.redirectUri);
    await page.goto(deny.url);
    await page.getByRole('button', { name: 'Deny' }).waitFor();	// signed in: straight to consent
    const arrived = listener.callback();
    await Promise.all([
      page.waitForURL((u) => u.href.startsWith(`${listener.redirectUri}?`)),
      page.getByRole('button', { name: 'Deny' }).click(),
    ]);
    const landed = new URL(page.url());
    assert.equal(landed.searchParams.get('error'), 'access_denied');
    assert.equal(landed.searchParams.get('state'), deny.state);
    assert.equal(landed.searchParams.get('iss'), env.issuer);
    assert.equal(landed.searchParams.get('code'), null);
    await arrived;
  });

  test('the consent page is refused inside a frame of another origin', async () => {
    const inner = authorizationRequest(clientId, listener.redirectUri);
    framer = http.createServer((_, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(`<!doctype html><title>framer</title><h1>Click here to win</h1>
<iframe id="victim" src="${inner.url.replace(/&/g, '&amp;')}" width="600" height="600"></iframe>`);
    });
    await new Promise((r) => framer.listen(0, '127.0.0.1', r));
    const consentLoads = [];
    const onResponse = (r) => { if (r.url().startsWith(`${env.base}/authorize`)) consentLoads.push(r); };
    page.on('response', onResponse);
    await page.goto(`http://127.0.0.1:${framer.address().port}/`);
    await page.waitForTimeout(500);
    page.off('response', onResponse);
    assert.ok(consentLoads.length > 0, 'the frame did request the consent page');
    const frame = page.frames().find((f) => f !== page.mainFrame());
    assert.ok(frame, 'the frame exists');
    const buttons = await frame.locator('button').count().catch(() => 0);
    assert.equal(buttons, 0, 'no button of the consent page is rendered in the frame');
    assert.ok(consoleLines.some((l) => /frame-ancestors|X-Frame-Options/i.test(l)),
      `the browser says why: ${consoleLines.join(' | ').slice(0, 400)}`);
    await page.screenshot({ path: path.join(outDir, 'framed.png') });
  });

  test('the screenshots were written', () => {
    for (const f of ['login.png', 'consent.png', 'framed.png'])
      assert.ok(statSync(path.join(outDir, f)).size > 1000, f);
  });
});
