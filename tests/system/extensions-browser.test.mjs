// PRF, credProtect and largeBlob with real Chromium and a CDP virtual authenticator that supports them, once per
// store: the registration asks whether the credential can evaluate a PRF and requires credProtect level 3; the login
// carries the application's salt; the page's results travel through login/finalize and come back in its answer. A
// login writes a large blob through the options and a later login reads it back the same way.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { closeServer, startPageServer } from './lib/pages.mjs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { addVirtualAuthenticator, launchChromium, withBrowserLog } from './lib/chromium.mjs';
import { b64url } from './lib/authenticator.mjs';
import { api } from './lib/http.mjs';
import { STORES, createTenant, startServer } from './lib/server.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const PAGE = readFileSync(join(here, 'browser', 'index.html'));
const SALT = b64url(Buffer.from('the application salt'));

for (const store of STORES) {
  describe(`Chromium with PRF, credProtect and largeBlob against latchkey (${store})`, { timeout: 240_000 }, () => {
    let latchkey;
    let page;
    let pageServer;
    let browser;
    let tenant;
    let origin;
    const browserLog = [];
    let registered;

    // A failure carries what the server and the browser said.
    const logged = withBrowserLog(browserLog, () => latchkey, store);
    const call = (method, path, body) => api(latchkey.publicUrl, method, `/${tenant.id}${path}`, { apiKey: tenant.api_key, body });

    before(async () => {
      ({ server: pageServer, origin } = await startPageServer({ '/': PAGE }));
      latchkey = await startServer(store);
      tenant = await createTenant(latchkey, { name: 'prf', rpId: 'localhost', origins: [origin] });
      const current = await api(latchkey.adminUrl, 'GET', `/tenants/${tenant.id}`);
      const config = current.json.config;
      config.webauthn.extensions = { cred_props: true, credential_protection: 'user_verification_required', prf: true };
      const put = await api(latchkey.adminUrl, 'PUT', `/tenants/${tenant.id}/config`, { body: config });
      assert.equal(put.status, 204, put.text);

      browser = await launchChromium();
      const context = await browser.newContext();
      page = await context.newPage();
      page.on('console', (msg) => browserLog.push(`[${msg.type()}] ${msg.text()}`));
      page.on('pageerror', (err) => browserLog.push(`[pageerror] ${err.message}`));
      // hasCredBlob turns Chromium's credProtect support on; PRF and large blobs need CTAP 2.1.
      await addVirtualAuthenticator(context, page, {
        ctap2Version: 'ctap2_1', hasPrf: true, hasResidentKey: true, hasCredBlob: true, hasLargeBlob: true,
      });
      await page.goto(`${origin}/?api=${encodeURIComponent(`${latchkey.publicUrl}/${tenant.id}`)}`);
    });

    after(async () => {
      await browser?.close();
      await closeServer(pageServer);
      await latchkey?.stop();
    });

    test('registration: PRF enabled, credProtect level 3 stored, rk stored', logged(async () => {
      const init = await call('POST', '/registration/initialize', { user_id: 'prf-user', username: 'prf' });
      assert.equal(init.status, 200, init.text);
      assert.deepEqual(init.json.publicKey.extensions, {
        credProps: true,
        credentialProtectionPolicy: 'userVerificationRequired',
        enforceCredentialProtectionPolicy: true,
        prf: {},
      });
      const { credential, finalize } = await page.evaluate((options) => window.signUp(options), init.json);
      assert.equal(finalize.status, 200, `registration/finalize from the page: ${finalize.text}`);
      assert.equal(credential.clientExtensionResults.prf?.enabled, true, JSON.stringify(credential.clientExtensionResults));
      assert.equal(finalize.json.clientExtensionResults.prf.enabled, true);
      assert.equal(finalize.json.clientExtensionResults.credProps.rk, true);

      const stored = await call('GET', `/credentials/${credential.id}`);
      assert.equal(stored.status, 200, stored.text);
      assert.equal(stored.json.credential_protection, 'user_verification_required');
      assert.equal(stored.json.discoverable, true);
      registered = credential.id;
    }));

    test('login: the salt from the options gives PRF results in the page and in the finalize answer', logged(async () => {
      assert.ok(registered, 'needs the registration test');
      const init = await call('POST', '/login/initialize', {
        user_id: 'prf-user', extensions: { prf: { eval: { first: SALT } } },
      });
      assert.equal(init.status, 200, init.text);
      assert.deepEqual(init.json.publicKey.extensions, { prf: { eval: { first: SALT } } });
      const run = async (options) => {
        const credential = await window.login(options);
        return { credential, finalize: await window.post('/login/finalize', credential) };
      };
      const first = await page.evaluate(run, init.json);
      assert.equal(first.finalize.status, 200, `login/finalize from the page: ${first.finalize.text}`);
      const results = first.credential.clientExtensionResults.prf?.results;
      assert.ok(results?.first, `PRF results in the page: ${JSON.stringify(first.credential.clientExtensionResults)}`);
      assert.equal(Buffer.from(results.first, 'base64url').length, 32);
      assert.deepEqual(first.finalize.json.clientExtensionResults, { prf: { results: { first: results.first } } });

      // The same salt gives the same value again: it is a function of credential and salt.
      const again = await call('POST', '/login/initialize', {
        user_id: 'prf-user', extensions: { prf: { eval: { first: SALT } } },
      });
      const second = await page.evaluate(run, again.json);
      assert.equal(second.finalize.status, 200, second.finalize.text);
      assert.equal(second.finalize.json.clientExtensionResults.prf.results.first, results.first);
    }));

    test('largeBlob: support asked at registration, a blob written at one login is read back at the next', logged(async () => {
      const current = await api(latchkey.adminUrl, 'GET', `/tenants/${tenant.id}`);
      const config = current.json.config;
      config.webauthn.extensions = { ...config.webauthn.extensions, large_blob: 'required' };
      const put = await api(latchkey.adminUrl, 'PUT', `/tenants/${tenant.id}/config`, { body: config });
      assert.equal(put.status, 204, put.text);

      const init = await call('POST', '/registration/initialize', { user_id: 'blob-user', username: 'blob' });
      assert.equal(init.status, 200, init.text);
      assert.deepEqual(init.json.publicKey.extensions.largeBlob, { support: 'required' });
      const { finalize } = await page.evaluate((options) => window.signUp(options), init.json);
      assert.equal(finalize.status, 200, `registration/finalize from the page: ${finalize.text}`);
      assert.deepEqual(finalize.json.clientExtensionResults.largeBlob, { supported: true });

      const run = async (options) => {
        const credential = await window.login(options);
        return window.post('/login/finalize', credential);
      };
      const blob = b64url(Buffer.from('a certificate the application keeps with the passkey'));
      // A write names exactly one credential: the user's, through user_id.
      const write = await call('POST', '/login/initialize', { user_id: 'blob-user', extensions: { largeBlob: { write: blob } } });
      assert.equal(write.status, 200, write.text);
      const written = await page.evaluate(run, write.json);
      assert.equal(written.status, 200, `login/finalize from the page: ${written.text}`);
      assert.deepEqual(written.json.clientExtensionResults.largeBlob, { written: true });

      const read = await call('POST', '/login/initialize', { user_id: 'blob-user', extensions: { largeBlob: { read: true } } });
      assert.equal(read.status, 200, read.text);
      const readBack = await page.evaluate(run, read.json);
      assert.equal(readBack.status, 200, readBack.text);
      assert.deepEqual(readBack.json.clientExtensionResults.largeBlob, { blob });
    }));
  });
}
