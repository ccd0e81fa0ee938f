// The first run, as a person meets it: `latchkey serve` in an empty directory with nothing configured makes the tenant
// `default` for localhost, prints its id and API key once, and serves a demo page where real Chromium (with a CDP
// virtual authenticator) registers a passkey and logs in with it through the Hanko passkey-server API. A restart shows no
// key and keeps the tenant and the passkey. A configured instance (a database URL, a configuration file, PostgreSQL with
// a master key) makes no tenant, prints no key and serves no demo page: its /demo paths are answered as any path that
// names no tenant.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addVirtualAuthenticator, launchChromium } from './lib/chromium.mjs';
import { screenshot } from './lib/artifacts.mjs';
import { api } from './lib/http.mjs';
import { verifyJwt } from './lib/jwt.mjs';
import { startServer, withServerLog } from './lib/server.mjs';

const FIRST_RUN = /latchkey: first run in development mode/g;
const TENANT_LINE = /latchkey: {3}tenant id: (\S+)/;
const KEY_LINE = /latchkey: {3}API key: {3}(\S+)/;
const DEMO_LINE = /latchkey: demo page at (http:\/\/localhost:\d+\/demo)/g;
// An API key as latchkey issues them: 64 random bytes, base64url with padding.
const KEY_LIKE = /[A-Za-z0-9_-]{86}==/;
const SETTLE_MS = 10_000;

const count = (text, pattern) => [...text.matchAll(pattern)].length;

// The demo line of the latest start (printed right after the listen lines, so it may trail them in the pipe).
async function demoUrl(server, starts) {
  const deadline = Date.now() + SETTLE_MS;
  for (;;) {
    const lines = [...server.log().matchAll(DEMO_LINE)];
    if (lines.length >= starts) return lines[starts - 1][1];
    if (Date.now() > deadline) throw new Error(`no demo page line after start ${starts}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function listTenants(server) {
  const out = server.cli(['tenant', 'list']);
  assert.equal(out.status, 0, out.stderr);
  return JSON.parse(out.stdout);
}

// Runs one ceremony on the page by pressing `button` and returns what the page shows; a failure carries its words.
async function ceremony(page, press, outcome) {
  await press();
  await page.waitForSelector(`#result[data-outcome="${outcome}"], #result[data-outcome="error"]`, { timeout: 30_000 });
  const shown = await page.evaluate(() => ({
    outcome: document.getElementById('result').dataset.outcome,
    status: document.getElementById('status').textContent,
    steps: document.getElementById('steps').textContent,
    userId: document.getElementById('user-id').textContent,
    credentialId: document.getElementById('credential-id').textContent,
    token: document.getElementById('token').textContent,
    claims: document.getElementById('claims').textContent,
    signature: document.getElementById('signature').textContent,
  }));
  assert.equal(shown.outcome, outcome, `${shown.status}\n${shown.steps}`);
  return shown;
}

describe('first run from an empty directory', { timeout: 300_000 }, () => {
  let server;
  let browser;
  let page;
  let cdp;
  let authenticatorId;
  let tenantId;
  let apiKey;
  let registered;
  const browserLog = [];
  const logged = (fn) => withServerLog(() => server, async (...args) => {
    try {
      return await fn(...args);
    } catch (err) {
      if (err instanceof Error) err.message += `\n--- browser console ---\n${browserLog.join('\n')}`;
      throw err;
    }
  });

  const assertToken = async (token, { sub, cred }) => {
    const jwks = await api(server.publicUrl, 'GET', `/${tenantId}/.well-known/jwks.json`);
    assert.equal(jwks.status, 200, jwks.text);
    const claims = await verifyJwt(token, jwks.json);
    assert.equal(claims.sub, sub);
    assert.equal(claims.cred, cred);
    assert.deepEqual(claims.aud, ['localhost']);
    return claims;
  };

  before(async () => {
    server = await startServer('development');
    browser = await launchChromium();
    const context = await browser.newContext();
    page = await context.newPage();
    page.on('console', (msg) => browserLog.push(`[${msg.type()}] ${msg.text()}`));
    page.on('pageerror', (err) => browserLog.push(`[pageerror] ${err.message}`));
    ({ cdp, authenticatorId } = await addVirtualAuthenticator(context, page));
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test('serve prints the new tenant and its API key once, and the key works', logged(async () => {
    const log = server.log();
    assert.equal(count(log, FIRST_RUN), 1, log);
    [, tenantId] = TENANT_LINE.exec(log);
    [, apiKey] = KEY_LINE.exec(log);
    assert.match(apiKey, KEY_LIKE);
    assert.equal(log.split(apiKey).length, 2, 'the key is printed exactly once');
    assert.ok(existsSync(join(server.dir, 'latchkey.db')), 'the built-in SQLite file in the working directory');

    assert.deepEqual(listTenants(server), [{ id: tenantId, display_name: 'default', hanko_public: false }]);
    const keyed = await api(server.publicUrl, 'GET', `/${tenantId}/credentials?user_id=nobody`, { apiKey });
    assert.equal(keyed.status, 200, keyed.text);
    assert.deepEqual(keyed.json, []);
    const unkeyed = await api(server.publicUrl, 'GET', `/${tenantId}/credentials?user_id=nobody`, { apiKey: 'wrong' });
    assert.equal(unkeyed.status, 401, unkeyed.text);
  }));

  test('the root leads to the demo page, which names the tenant', logged(async () => {
    const url = await demoUrl(server, 1);
    assert.equal(new URL(url).port, new URL(server.publicUrl).port);
    const root = await fetch(`${server.publicUrl}/`, { redirect: 'manual' });
    assert.equal(root.status, 303);
    assert.equal(root.headers.get('location'), '/demo');
    await page.goto(url);
    assert.equal(await page.getAttribute('body', 'data-tenant'), tenantId);
    assert.equal(await page.title(), 'latchkey: passkey demo');
  }));

  test('a person registers a passkey on the demo page', logged(async () => {
    // By keyboard: Enter in the labelled field submits the form.
    await page.getByLabel('User name').fill('ada');
    const shown = await ceremony(page, () => page.keyboard.press('Enter'), 'registered');
    await assertToken(shown.token, { sub: shown.userId, cred: shown.credentialId });
    assert.match(shown.userId, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.match(shown.claims, /"sub": "/);
    assert.match(shown.signature, /^valid: RS256/);

    const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
    assert.equal(credentials.length, 1);
    assert.equal(credentials[0].rpId, 'localhost');
    assert.equal(credentials[0].isResidentCredential, true);
    assert.equal(Buffer.from(credentials[0].userHandle, 'base64').toString(), shown.userId);
    const listed = await api(server.publicUrl, 'GET', `/${tenantId}/credentials?user_id=${shown.userId}`, { apiKey });
    assert.deepEqual(listed.json.map((c) => c.id), [shown.credentialId]);
    registered = shown;
  }));

  test('and logs in with it, without a user name', logged(async () => {
    assert.ok(registered, 'needs the registration');
    const shown = await ceremony(page, () => page.getByRole('button', { name: 'Log in with a passkey' }).click(), 'logged-in');
    assert.equal(shown.userId, registered.userId);
    assert.equal(shown.credentialId, registered.credentialId);
    await assertToken(shown.token, { sub: registered.userId, cred: registered.credentialId });
    assert.match(shown.signature, /^valid: RS256/);
    await screenshot(page, 'first-run-demo.png');

    // At phone width nothing sticks out sideways, the token included.
    await page.setViewportSize({ width: 360, height: 780 });
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 360), 'no sideways scrolling at 360 px');
    await screenshot(page, 'first-run-demo-phone.png');
    await page.setViewportSize({ width: 1280, height: 720 });
  }));

  test('the console shows the demo user, credential and audit events', logged(async () => {
    assert.ok(registered, 'needs the registration');
    const link = await page.getByRole('link', { name: /console/i }).first().getAttribute('href');
    assert.equal(new URL(link).port, new URL(server.adminUrl).port, link);
    await page.goto(`${server.adminUrl}/console/tenants`);
    await page.getByRole('link', { name: 'default' }).click();
    await page.getByRole('link', { name: 'Users', exact: true }).click();
    await page.getByRole('link', { name: registered.userId }).click();
    const row = page.locator('tbody tr', { hasText: registered.credentialId });
    await row.waitFor();
    assert.equal(await row.locator('td[data-label="Transports"]').innerText(), 'internal');
    assert.ok(Number(await row.locator('td[data-label="Sign count"]').innerText()) >= 1, 'the login raised the counter');
    assert.notEqual(await row.locator('td[data-label="Last used"]').innerText(), 'never');
    await screenshot(page, 'first-run-console-user.png');

    await page.getByRole('link', { name: 'Audit log', exact: true }).click();
    const types = await page.locator('#audit tbody tr code').allInnerTexts();
    for (const type of ['webauthn_registration_final_succeeded', 'webauthn_authentication_final_succeeded']) {
      assert.ok(types.includes(type), `${type} in ${types.join(', ')}`);
    }
  }));

  test('a restart in the same directory shows no key and keeps the tenant and the passkey', logged(async () => {
    assert.ok(registered, 'needs the registration');
    await server.restart();
    const url = await demoUrl(server, 2);
    const log = server.log();
    assert.equal(count(log, FIRST_RUN), 1, 'the first-run block is printed once, ever');
    assert.equal(log.split(apiKey).length, 2, 'the key is not printed again');
    assert.equal(count(log, new RegExp(KEY_LIKE, 'g')), 1, 'no other key is printed');

    assert.deepEqual(listTenants(server).map((t) => t.id), [tenantId]);
    const keyed = await api(server.publicUrl, 'GET', `/${tenantId}/credentials?user_id=${registered.userId}`, { apiKey });
    assert.equal(keyed.status, 200, keyed.text);

    await page.goto(url);
    const shown = await ceremony(page, () => page.getByRole('button', { name: 'Log in with a passkey' }).click(), 'logged-in');
    assert.equal(shown.credentialId, registered.credentialId);
    await assertToken(shown.token, { sub: registered.userId, cred: registered.credentialId });
  }));

  test('a ceremony the authenticator refuses is explained in words', logged(async () => {
    // The tenant requires user verification; an authenticator that cannot verify the user makes no passkey.
    await cdp.send('WebAuthn.setUserVerified', { authenticatorId, isUserVerified: false });
    try {
      await page.getByLabel('User name').fill('bob');
      await page.getByRole('button', { name: 'Register a passkey' }).click();
      await page.waitForSelector('#result[data-outcome="error"]', { timeout: 30_000 });
      assert.match(await page.locator('#status').textContent(), /passkey dialog was closed, timed out/);
      assert.equal(await page.locator('#details').isVisible(), false);
    } finally {
      await cdp.send('WebAuthn.setUserVerified', { authenticatorId, isUserVerified: true });
    }
  }));
});

// What a configured instance must never do; `server` is started by the caller's `before`.
function neverADemo(getServer) {
  test('makes no tenant, prints no key and serves no demo page', withServerLog(getServer, async () => {
    const server = getServer();
    const log = server.log();
    assert.doesNotMatch(log, /first run|demo page|API key/i);
    assert.doesNotMatch(log, KEY_LIKE);
    assert.deepEqual(listTenants(server), []);

    // No page: the paths are answered as any path that names no tenant (the Hanko dialect's error).
    const unknown = await api(server.publicUrl, 'GET', '/no-such-page');
    assert.ok(unknown.status >= 400 && unknown.status < 500, unknown.text);
    for (const path of ['/demo', '/demo/demo.js']) {
      const res = await api(server.publicUrl, 'GET', path);
      assert.deepEqual([res.status, res.json], [unknown.status, unknown.json], `${path}: ${res.text}`);
      assert.doesNotMatch(res.headers.get('content-type') ?? '', /html|javascript/);
    }
    const register = await api(server.publicUrl, 'POST', '/demo/registration/initialize', { body: { username: 'ada' } });
    assert.deepEqual([register.status, register.json], [unknown.status, unknown.json], register.text);
    const root = await fetch(`${server.publicUrl}/`, { redirect: 'manual' });
    assert.equal(root.status, 200);
    assert.match(await root.text(), /latchkey is running/);
  }));
}

describe('an instance with LATCHKEY_DATABASE_URL (a fresh SQLite file)', { timeout: 120_000 }, () => {
  let server;
  let cwd;
  before(async () => {
    cwd = mkdtempSync(join(tmpdir(), 'latchkey-configured-'));
    server = await startServer('sqlite', { cwd });
  });
  after(async () => {
    await server?.stop();
    rmSync(cwd, { recursive: true, force: true });
  });
  neverADemo(() => server);
  test('leaves the working directory alone', () => {
    assert.deepEqual(readdirSync(cwd), []);
  });
});

describe('an instance with a configuration file', { timeout: 120_000 }, () => {
  let server;
  let config;
  before(async () => {
    config = join(mkdtempSync(join(tmpdir(), 'latchkey-config-')), 'latchkey.toml');
    // Nothing but a setting that changes nothing: the file alone makes the instance a configured one.
    writeFileSync(config, 'audit_retention_days = 90\n');
    server = await startServer('development', { args: ['--config', config] });
  });
  after(async () => {
    await server?.stop();
    rmSync(join(config, '..'), { recursive: true, force: true });
  });
  neverADemo(() => server);
});

describe('an instance on PostgreSQL with a master key', { skip: process.env.LATCHKEY_SKIP_POSTGRES === '1', timeout: 120_000 }, () => {
  let server;
  before(async () => {
    server = await startServer('postgres');
  });
  after(async () => {
    await server?.stop();
  });
  neverADemo(() => server);
});
