// Real Chromium with a CDP virtual authenticator against latchkey, once per store. The page is served from its own
// origin and calls the public API cross-origin (so CORS preflights must succeed), as a web app's front end does.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { closeServer, startPageServer } from './lib/pages.mjs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { addVirtualAuthenticator, launchChromium, withBrowserLog } from './lib/chromium.mjs';
import { fromB64url } from './lib/authenticator.mjs';
import { api } from './lib/http.mjs';
import { decodeJwt, verifyJwt } from './lib/jwt.mjs';
import { STORES, createTenant, startServer } from './lib/server.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const PAGE = readFileSync(join(here, 'browser', 'index.html'));

for (const store of STORES) {
  describe(`Chromium against latchkey (${store})`, { timeout: 240_000 }, () => {
    let latchkey;
    let page;
    let pageServer;
    let browser;
    let tenantId;
    let apiKey;
    let origin;
    let cdp;
    let authenticatorId;
    const browserLog = [];
    let registered;

    // A failure carries what the server and the browser said.
    const logged = withBrowserLog(browserLog, () => latchkey, store);

    const jwks = async () => {
      const res = await api(latchkey.publicUrl, 'GET', `/${tenantId}/.well-known/jwks.json`);
      assert.equal(res.status, 200, res.text);
      return res.json;
    };

    const assertToken = async (token, { sub, cred }) => {
      assert.equal(decodeJwt(token).header.alg, 'RS256');
      const claims = await verifyJwt(token, await jwks());
      assert.equal(claims.sub, sub);
      assert.deepEqual(claims.aud, ['localhost']);
      assert.equal(claims.cred, cred);
      assert.equal(claims.exp, claims.iat + 300);
    };

    before(async () => {
      ({ server: pageServer, origin } = await startPageServer({ '/': PAGE }));
      latchkey = await startServer(store);
      ({ id: tenantId, api_key: apiKey } = await createTenant(latchkey, { name: 'browser', rpId: 'localhost', origins: [origin] }));

      browser = await launchChromium();
      const context = await browser.newContext();
      page = await context.newPage();
      page.on('console', (msg) => browserLog.push(`[${msg.type()}] ${msg.text()}`));
      page.on('pageerror', (err) => browserLog.push(`[pageerror] ${err.message}`));
      page.on('requestfailed', (req) => browserLog.push(`[requestfailed] ${req.method()} ${req.url()} ${req.failure()?.errorText}`));
      ({ cdp, authenticatorId } = await addVirtualAuthenticator(context, page));
      await page.goto(`${origin}/?api=${encodeURIComponent(`${latchkey.publicUrl}/${tenantId}`)}`);
    });

    after(async () => {
      await browser?.close();
      await closeServer(pageServer);
      await latchkey?.stop();
    });

    test('registers a passkey: options from the back end, finalize from the page', logged(async () => {
      const userId = 'browser-user-1';
      const init = await api(latchkey.publicUrl, 'POST', `/${tenantId}/registration/initialize`, {
        apiKey,
        body: { user_id: userId, username: 'dora', display_name: 'Dora' },
      });
      assert.equal(init.status, 200, init.text);

      const { credential, finalize } = await page.evaluate((options) => window.signUp(options), init.json);
      assert.equal(finalize.status, 200, `registration/finalize from the page: ${finalize.text}`);
      assert.equal(credential.type, 'public-key');
      await assertToken(finalize.json.token, { sub: userId, cred: credential.id });

      const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
      assert.equal(credentials.length, 1);
      assert.equal(credentials[0].isResidentCredential, true);
      assert.equal(credentials[0].rpId, 'localhost');
      assert.equal(Buffer.from(credentials[0].userHandle, 'base64').toString(), userId);
      assert.deepEqual(fromB64url(credential.rawId), Buffer.from(credentials[0].credentialId, 'base64'));

      const listed = await api(latchkey.publicUrl, 'GET', `/${tenantId}/credentials?user_id=${userId}`, { apiKey });
      assert.equal(listed.status, 200, listed.text);
      assert.deepEqual(listed.json.map((c) => c.id), [credential.id]);
      registered = { userId, credentialId: credential.id };
    }));

    test('logs in discoverably from the page (login/initialize with no body)', logged(async () => {
      assert.ok(registered, 'needs the registration test');
      const { init, credential, finalize } = await page.evaluate(() => window.signIn());
      assert.equal(init.status, 200, `login/initialize from the page: ${init.text}`);
      assert.equal(init.json.publicKey.rpId, 'localhost');
      assert.ok(!init.json.publicKey.allowCredentials?.length, 'discoverable login lists no credentials');
      assert.equal(credential.id, registered.credentialId);
      assert.equal(Buffer.from(credential.response.userHandle, 'base64url').toString(), registered.userId);
      assert.equal(finalize.status, 200, `login/finalize from the page: ${finalize.text}`);
      await assertToken(finalize.json.token, { sub: registered.userId, cred: registered.credentialId });
    }));

    test('the API answers the page\'s CORS preflight for its origin only', logged(async () => {
      const preflight = (from) => api(latchkey.publicUrl, 'OPTIONS', `/${tenantId}/login/finalize`, {
        headers: { Origin: from, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type' },
      });
      const allowed = await preflight(origin);
      assert.ok(allowed.status >= 200 && allowed.status < 300, `preflight status ${allowed.status}`);
      assert.equal(allowed.headers.get('access-control-allow-origin'), origin);
      const other = await preflight('http://evil.example');
      assert.notEqual(other.headers.get('access-control-allow-origin'), 'http://evil.example');
    }));
  });
}
