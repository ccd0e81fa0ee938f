// WebAuthn's signal methods (WebAuthn L3 §5.1.10; Chromium 132+): what latchkey gives a page to tell the browser's
// passkey provider. A refused login whose credential the tenant no longer holds carries the options of
// `signalUnknownCredential` in the dialect's own error body; a login answer, and a read-only endpoint per dialect,
// carry those of `signalAllAcceptedCredentials` and `signalCurrentUserDetails` for one user. Every field is an
// addition: the originals' fields and status codes stay as they were. Then real Chromium on the demo page of a
// development instance (SQLite: the demo exists only in first-run mode), with the CDP virtual authenticator: the page
// renames the passkey's account and makes the provider forget a passkey latchkey deleted.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { SoftAuthenticator } from './lib/authenticator.mjs';
import { addVirtualAuthenticator, launchChromium } from './lib/chromium.mjs';
import {
  HankoClient, ORIGIN as HANKO_ORIGIN, RP_ID as HANKO_RP_ID, createHankoTenant, passkeyLogin, registerPasskey,
  sessionTokenOf, uniqueEmail, userHandleOf,
} from './lib/hanko-public.mjs';
import { api } from './lib/http.mjs';
import { STORES, createTenant, startServer, withServerLog } from './lib/server.mjs';
import { startSmtp } from './lib/smtp.mjs';

const ORIGIN = 'http://localhost:8080';
const b64urlText = (text) => Buffer.from(text).toString('base64url');
const sorted = (ids) => [...ids].sort();

for (const store of STORES) {
  describe(`signal API: Hanko passkey-server dialect (${store})`, () => {
    let server;
    let tenant;
    const test = (name, fn) => it(name, withServerLog(() => server, fn));
    const keyed = (method, path, body) => api(server.publicUrl, method, `/${tenant.id}${path}`,
      { apiKey: tenant.api_key, body });
    const plain = (method, path, body) => api(server.publicUrl, method, `/${tenant.id}${path}`, { body });

    async function register(authenticator, userId, username, displayName) {
      const init = await keyed('POST', '/registration/initialize',
        { user_id: userId, username, display_name: displayName });
      assert.equal(init.status, 200, init.text);
      const credential = authenticator.create(init.json, ORIGIN);
      const done = await plain('POST', '/registration/finalize', credential);
      assert.equal(done.status, 200, done.text);
      return credential.id;
    }

    async function login(authenticator, credentialId) {
      const init = await plain('POST', '/login/initialize');
      assert.equal(init.status, 200, init.text);
      return plain('POST', '/login/finalize', authenticator.get(init.json, ORIGIN, { credentialId }));
    }

    before(async () => {
      server = await startServer(store);
      tenant = await createTenant(server, { name: 'signals' });
    });
    after(async () => server?.stop());

    test('a login answers its token and the signals of its user', async () => {
      const authenticator = new SoftAuthenticator();
      const first = await register(authenticator, 'ada', 'ada@example.com', 'Ada');
      const second = await register(authenticator, 'ada', 'ada@example.com', 'Ada');
      const res = await login(authenticator, first);
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(Object.keys(res.json), ['token', 'signal']);
      const { allAcceptedCredentials, currentUserDetails } = res.json.signal;
      assert.deepEqual(currentUserDetails,
        { rpId: 'localhost', userId: b64urlText('ada'), name: 'ada@example.com', displayName: 'Ada' });
      assert.equal(allAcceptedCredentials.rpId, 'localhost');
      assert.equal(allAcceptedCredentials.userId, b64urlText('ada'));
      assert.deepEqual(sorted(allAcceptedCredentials.allAcceptedCredentialIds), sorted([first, second]));
    });

    test('GET /signals follows the credential list through rename, user rename and delete', async () => {
      const authenticator = new SoftAuthenticator();
      const kept = await register(authenticator, 'grace', 'grace', 'Grace');
      const dropped = await register(authenticator, 'grace', 'grace', 'Grace');
      const signals = async () => {
        const res = await keyed('GET', '/signals?user_id=grace');
        assert.equal(res.status, 200, res.text);
        return res.json;
      };
      const listed = await keyed('GET', '/credentials?user_id=grace');
      assert.deepEqual(sorted((await signals()).allAcceptedCredentials.allAcceptedCredentialIds),
        sorted(listed.json.map((c) => c.id)));

      // Renaming a credential changes nothing the provider is told.
      const renamed = await keyed('PATCH', `/credentials/${kept}`, { name: 'Laptop' });
      assert.equal(renamed.status, 204, renamed.text);
      assert.deepEqual(sorted((await signals()).allAcceptedCredentials.allAcceptedCredentialIds), sorted([kept, dropped]));

      // The original renames a user through registration/initialize, which overwrites the names.
      const again = await keyed('POST', '/registration/initialize',
        { user_id: 'grace', username: 'grace.hopper', display_name: 'Grace Hopper' });
      assert.equal(again.status, 200, again.text);
      assert.deepEqual((await signals()).currentUserDetails,
        { rpId: 'localhost', userId: b64urlText('grace'), name: 'grace.hopper', displayName: 'Grace Hopper' });

      const deleted = await keyed('DELETE', `/credentials/${dropped}`);
      assert.equal(deleted.status, 204, deleted.text);
      assert.deepEqual((await signals()).allAcceptedCredentials,
        { rpId: 'localhost', userId: b64urlText('grace'), allAcceptedCredentialIds: [kept] });

      const unkeyed = await plain('GET', '/signals?user_id=grace');
      assert.equal(unkeyed.status, 401, unkeyed.text);
      const nobody = await keyed('GET', '/signals?user_id=nobody');
      assert.deepEqual(nobody.json, { title: 'user not found', details: '', status: 404 });
    });

    test('a login with a deleted credential is refused as before, naming it for signalUnknownCredential', async () => {
      const authenticator = new SoftAuthenticator();
      const id = await register(authenticator, 'linus', 'linus', 'Linus');
      assert.equal((await keyed('DELETE', `/credentials/${id}`)).status, 204);
      const res = await login(authenticator, id);
      assert.equal(res.status, 401, res.text);
      assert.deepEqual(res.json, {
        title: 'failed to validate assertion',
        details: 'credential not found',
        status: 401,
        signal: { unknownCredential: { rpId: 'localhost', credentialId: id } },
      });
    });

    test('a login of a deleted user is refused as before, naming the credential', async () => {
      const authenticator = new SoftAuthenticator();
      const id = await register(authenticator, 'margaret', 'margaret', 'Margaret');
      const users = await api(server.adminUrl, 'GET', `/tenants/${tenant.id}/users?per_page=100`);
      const internal = users.json.find((user) => user.user_id === 'margaret').id;
      assert.equal((await api(server.adminUrl, 'DELETE', `/tenants/${tenant.id}/users/${internal}`)).status, 204);
      const res = await login(authenticator, id);
      assert.equal(res.status, 401, res.text);
      assert.deepEqual(res.json, {
        title: 'failed to get user handle',
        details: '',
        status: 401,
        signal: { unknownCredential: { rpId: 'localhost', credentialId: id } },
      });
    });

    test('a passkey the tenant holds is never named unknown', async () => {
      const authenticator = new SoftAuthenticator();
      const id = await register(authenticator, 'barbara', 'barbara', 'Barbara');
      const init = await plain('POST', '/login/initialize');
      const stranger = authenticator.get(init.json, ORIGIN, { credentialId: id });
      stranger.response.userHandle = b64urlText('somebody-else');
      const res = await plain('POST', '/login/finalize', stranger);
      assert.equal(res.status, 401, res.text);
      assert.deepEqual(Object.keys(res.json).sort(), ['details', 'status', 'title']);
    });
  });

  describe(`signal API: Hanko Public API (${store})`, () => {
    let server;
    let smtp;
    let tenant;
    const test = (name, fn) => it(name, withServerLog(() => server, fn));

    before(async () => {
      smtp = await startSmtp();
      server = await startServer(store);
      tenant = await createHankoTenant(server, { smtp, hanko: { emails: { require_verification: false } } });
    });
    after(async () => {
      await server?.stop();
      await smtp?.stop();
    });

    async function signedUp() {
      const client = new HankoClient(tenant);
      const email = uniqueEmail('signal');
      const res = await client.post('/users', { email });
      sessionTokenOf(res);
      return { client, email, userId: res.json.user_id };
    }

    test('GET /webauthn/signals and a login name the passkeys by the 16-byte handle and the primary address', async () => {
      const { client, email, userId } = await signedUp();
      const authenticator = new SoftAuthenticator();
      const { credential: first } = await registerPasskey(client, authenticator);
      const { credential: second } = await registerPasskey(client, authenticator);
      const res = await client.get('/webauthn/signals');
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(res.json.currentUserDetails,
        { rpId: HANKO_RP_ID, userId: userHandleOf(userId), name: email, displayName: email });
      assert.deepEqual(sorted(res.json.allAcceptedCredentials.allAcceptedCredentialIds), sorted([first.id, second.id]));
      const listed = await client.get('/webauthn/credentials');
      assert.deepEqual(sorted(res.json.allAcceptedCredentials.allAcceptedCredentialIds),
        sorted(listed.json.map((c) => c.id)));

      const login = await passkeyLogin(new HankoClient(tenant), authenticator);
      assert.equal(login.status, 200, login.text);
      assert.equal(login.json.user_id, userId);
      assert.deepEqual(login.json.signal, res.json);

      const deleted = await client.call('DELETE', `/webauthn/credentials/${second.id}`);
      assert.equal(deleted.status, 204, deleted.text);
      const after = await client.get('/webauthn/signals');
      assert.deepEqual(after.json.allAcceptedCredentials.allAcceptedCredentialIds, [first.id]);

      const anonymous = await new HankoClient(tenant).get('/webauthn/signals');
      assert.deepEqual(anonymous.json, { code: 401, message: 'Unauthorized' });
    });

    test('a new primary address is the name signalCurrentUserDetails gives', async () => {
      const { client, userId } = await signedUp();
      await registerPasskey(client);
      const address = uniqueEmail('renamed');
      const added = await client.post('/emails', { address });
      assert.equal(added.status, 200, added.text);
      const primary = await client.postEmpty(`/emails/${added.json.id}/set_primary`);
      assert.equal(primary.status, 204, primary.text);
      const res = await client.get('/webauthn/signals');
      assert.deepEqual(res.json.currentUserDetails,
        { rpId: HANKO_RP_ID, userId: userHandleOf(userId), name: address, displayName: address });
    });

    test('a login with a deleted passkey is refused as before, naming it for signalUnknownCredential', async () => {
      const { client } = await signedUp();
      const authenticator = new SoftAuthenticator();
      const { credential } = await registerPasskey(client, authenticator);
      assert.equal((await client.call('DELETE', `/webauthn/credentials/${credential.id}`)).status, 204);
      const res = await passkeyLogin(new HankoClient(tenant), authenticator);
      assert.equal(res.status, 401, res.text);
      assert.deepEqual(res.json, {
        code: 401,
        message: 'failed to validate assertion',
        signal: { unknownCredential: { rpId: HANKO_RP_ID, credentialId: credential.id } },
      });
    });
  });
}

describe('signal API in Chromium on the demo page (sqlite, development mode)', { timeout: 300_000 }, () => {
  let server;
  let browser;
  let page;
  let cdp;
  let authenticatorId;
  let tenantId;
  let apiKey;
  let registered;
  const events = [];
  const browserLog = [];
  const test = (name, fn) => it(name, withServerLog(() => server, async () => {
    try {
      await fn();
    } catch (err) {
      if (err instanceof Error) err.message += `\n--- browser console ---\n${browserLog.join('\n')}`;
      throw err;
    }
  }));

  async function ceremony(press, outcome) {
    await press();
    await page.waitForSelector(`#result[data-outcome="${outcome}"], #result[data-outcome="error"]`, { timeout: 30_000 });
    const shown = await page.evaluate(() => ({
      outcome: document.getElementById('result').dataset.outcome,
      status: document.getElementById('status').textContent,
      userId: document.getElementById('user-id').textContent,
      credentialId: document.getElementById('credential-id').textContent,
      signals: [...document.querySelectorAll('#signals li')].map((item) => item.textContent),
    }));
    assert.equal(shown.outcome, outcome, shown.status);
    return shown;
  }

  const logIn = (outcome) => ceremony(() => page.getByRole('button', { name: 'Log in with a passkey' }).click(), outcome);

  async function eventually(what, check) {
    const deadline = Date.now() + 10_000;
    while (!check()) {
      if (Date.now() > deadline) throw new Error(`${what} did not happen; CDP events: ${JSON.stringify(events)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  before(async () => {
    server = await startServer('development');
    const log = server.log();
    [, tenantId] = /latchkey: {3}tenant id: (\S+)/.exec(log);
    [, apiKey] = /latchkey: {3}API key: {3}(\S+)/.exec(log);
    browser = await launchChromium();
    const context = await browser.newContext();
    page = await context.newPage();
    page.on('console', (msg) => browserLog.push(`[${msg.type()}] ${msg.text()}`));
    page.on('pageerror', (err) => browserLog.push(`[pageerror] ${err.message}`));
    ({ cdp, authenticatorId } = await addVirtualAuthenticator(context, page));
    for (const name of ['WebAuthn.credentialAdded', 'WebAuthn.credentialDeleted', 'WebAuthn.credentialUpdated']) {
      cdp.on(name, (params) => events.push({ name, params }));
    }
    await page.goto(`${server.publicUrl.replace('127.0.0.1', 'localhost')}/demo`);
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test('the browser has the three signal methods', async () => {
    const methods = await page.evaluate(() => ['signalUnknownCredential', 'signalAllAcceptedCredentials',
      'signalCurrentUserDetails'].filter((name) => typeof PublicKeyCredential[name] === 'function'));
    assert.equal(methods.length, 3, `Chromium ${browser.version()} lacks some of them: ${methods}`);
  });

  test('after a login the page tells the provider the user\'s passkeys and new name', async () => {
    await page.getByLabel('User name').fill('ada');
    registered = await ceremony(() => page.keyboard.press('Enter'), 'registered');
    // The back end renames the user as the original does, through registration/initialize.
    const rename = await api(server.publicUrl, 'POST', `/${tenantId}/registration/initialize`,
      { apiKey, body: { user_id: registered.userId, username: 'ada.lovelace', display_name: 'Ada Lovelace' } });
    assert.equal(rename.status, 200, rename.text);

    const shown = await logIn('logged-in');
    assert.equal(shown.credentialId, registered.credentialId);
    assert.equal(shown.signals.length, 2, shown.signals.join('\n'));
    assert.match(shown.signals[0], /^signalAllAcceptedCredentials\(/);
    assert.match(shown.signals[1], /^signalCurrentUserDetails\(.*"name":"ada.lovelace"/);
    await eventually('WebAuthn.credentialUpdated', () => events.some((e) => e.name === 'WebAuthn.credentialUpdated'));
    const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
    assert.equal(credentials.length, 1);
    assert.equal(credentials[0].userName, 'ada.lovelace');
    assert.equal(credentials[0].userDisplayName, 'Ada Lovelace');
  });

  test('a login with a passkey latchkey deleted makes the provider forget it', async () => {
    assert.ok(registered, 'needs the registration');
    const deleted = await api(server.publicUrl, 'DELETE', `/${tenantId}/credentials/${registered.credentialId}`, { apiKey });
    assert.equal(deleted.status, 204, deleted.text);

    const shown = await logIn('error');
    assert.match(shown.status, /401, failed to validate assertion: credential not found/);
    assert.equal(shown.signals.length, 1, shown.signals.join('\n'));
    assert.match(shown.signals[0], /^signalUnknownCredential\(/);
    assert.ok(shown.signals[0].includes(registered.credentialId), shown.signals[0]);
    await eventually('WebAuthn.credentialDeleted', () => events.some((e) => e.name === 'WebAuthn.credentialDeleted'));
    const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
    assert.deepEqual(credentials, []);
  });
});
