// Real Chromium with a CDP virtual authenticator against latchkey's 1Kosmos dialect, once per store: a small page
// (kosmos-browser/index.html) on http://localhost:PORT registers and signs in through the u1 routes with fetch, as a
// web front end holding a license key does, then links a DID to its passkey. The community's relying party is
// `localhost` and its extra origin the page's. The page's server passes /webauthn/* on to latchkey (see below).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, request as httpRequest } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { addVirtualAuthenticator, launchChromium, withBrowserLog } from './lib/chromium.mjs';
import { api } from './lib/http.mjs';
import { verifyJwt } from './lib/jwt.mjs';
import { BASE, createCommunity, createLicense, fidoKeyHash } from './lib/kosmos.mjs';
import { STORES, createTenant, startServer } from './lib/server.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const PAGE = readFileSync(join(here, 'kosmos-browser', 'index.html'));

// The page's server, which also passes /webauthn/* on to latchkey: the page calls the API on its own origin. The
// dialect's routes send no CORS headers, so a page on another origin could not call them (its preflight for the
// `licensekey` and `sessionInfo` headers fails); the preflight test below records that.
async function startPageServer() {
  let upstream;
  const server = createServer((req, res) => {
    const { pathname } = new URL(req.url, 'http://x');
    if (req.method === 'GET' && pathname === '/') {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
      res.end(PAGE);
    } else if (upstream && pathname.startsWith(`${BASE}/`)) {
      const target = new URL(req.url, upstream);
      const headers = { ...req.headers, host: target.host };
      const forward = httpRequest(target, { method: req.method, headers }, (answer) => {
        res.writeHead(answer.statusCode, answer.headers);
        answer.pipe(res);
      });
      forward.on('error', (err) => res.writeHead(502).end(err.message));
      req.pipe(forward);
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return {
    server,
    origin: `http://localhost:${server.address().port}`,
    proxyTo: (url) => { upstream = url; },
  };
}

for (const store of STORES) {
  describe(`Chromium against latchkey's 1Kosmos u1 routes (${store})`, { timeout: 240_000 }, () => {
    let latchkey;
    let pageServer;
    let origin;
    let browser;
    let page;
    let cdp;
    let authenticatorId;
    let org;
    let community;
    let ctx; // what the page's functions take
    const browserLog = [];
    let registered;

    // A failure carries what the server and the browser said.
    const logged = withBrowserLog(browserLog, () => latchkey, store);

    before(async () => {
      let proxyTo;
      ({ server: pageServer, origin, proxyTo } = await startPageServer());
      latchkey = await startServer(store);
      proxyTo(latchkey.publicUrl);
      org = await createTenant(latchkey, { name: 'browser-org', rpId: 'localhost', origins: [origin] });
      community = createCommunity(latchkey, { tenant: org.id, name: 'browser', dns: 'localhost', origins: [origin] });
      const license = createLicense(latchkey, { tenant: org.id, scope: community.id });
      ctx = {
        api: `${origin}${BASE}`,
        licenseKey: license.license_key,
        dns: 'localhost',
        communityId: community.id,
        tenantId: org.id,
      };

      browser = await launchChromium();
      const context = await browser.newContext();
      page = await context.newPage();
      page.on('console', (msg) => browserLog.push(`[${msg.type()}] ${msg.text()}`));
      page.on('pageerror', (err) => browserLog.push(`[pageerror] ${err.message}`));
      page.on('requestfailed', (req) =>
        browserLog.push(`[requestfailed] ${req.method()} ${req.url()} ${req.failure()?.errorText}`));
      ({ cdp, authenticatorId } = await addVirtualAuthenticator(context, page));
      await page.goto(`${origin}/`);
    });

    after(async () => {
      await browser?.close();
      await new Promise((resolve) => (pageServer ? pageServer.close(resolve) : resolve()));
      await latchkey?.stop();
    });

    async function assertSignatureToken(token, { sub, cred }) {
      const jwks = await api(latchkey.publicUrl, 'GET', `/${org.id}/.well-known/jwks.json`);
      assert.equal(jwks.status, 200, jwks.text);
      const claims = await verifyJwt(token, jwks.json);
      assert.equal(claims.sub, sub);
      assert.deepEqual([claims.aud].flat(), [`community:${community.id}`]);
      assert.equal(claims.cred, cred);
      assert.equal(claims.community, community.id);
    }

    // latchkey's decision (docs/kosmos.md): every 1Kosmos call carries a license key, a secret
    // that belongs on the relying party's server, not in a browser; so /webauthn grants no
    // cross-origin access, and the page reaches it through its own origin's server, as here.
    test('the u1 routes grant no cross-origin access to a browser', logged(async () => {
      const preflight = await api(latchkey.publicUrl, 'OPTIONS', `${BASE}/u1/attestation/result`, {
        headers: {
          Origin: origin,
          'Access-Control-Request-Method': 'POST',
          'Access-Control-Request-Headers': 'content-type,licensekey,sessioninfo',
        },
      });
      assert.ok(preflight.status < 500, `preflight status ${preflight.status}`);
      assert.equal(preflight.headers.get('access-control-allow-origin'), null);
    }));

    test('registers a passkey from the page through u1/attestation', logged(async () => {
      const username = 'browser-alice';
      const { options, credential, result } = await page.evaluate(([c, u]) => window.signUp(c, u), [ctx, username]);
      assert.equal(options.status, 200, `u1/attestation/options from the page: ${options.text}`);
      assert.equal(result?.status, 200, `u1/attestation/result from the page: ${result?.text}`);
      assert.equal(result.json.status, 'ok');
      assert.equal(result.json.data.sub, username);

      const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
      assert.equal(credentials.length, 1);
      assert.equal(credentials[0].rpId, 'localhost');
      assert.equal(Buffer.from(credentials[0].credentialId, 'base64').toString('base64url'), credential.id);
      assert.equal(Buffer.from(credentials[0].userHandle, 'base64').toString('base64url'), options.json.user.id);
      registered = { username, credentialId: credential.id };
    }));

    test('signs in with the username from the page; the signature token verifies', logged(async () => {
      assert.ok(registered, 'needs the registration test');
      const { options, credential, result } = await page.evaluate(([c, u]) => window.signIn(c, u),
        [ctx, registered.username]);
      assert.equal(options.status, 200, options.text);
      assert.deepEqual(options.json.allowCredentials.map((c) => c.id), [registered.credentialId]);
      assert.equal(credential.id, registered.credentialId);
      assert.equal(result.status, 200, `u1/assertion/result from the page: ${result.text}`);
      assert.equal(result.json.data.sub, registered.username);
      await assertSignatureToken(result.json.signature_token, { sub: registered.username, cred: registered.credentialId });
    }));

    test('signs in discoverably (no username) from the page', logged(async () => {
      assert.ok(registered, 'needs the registration test');
      const { options, credential, result } = await page.evaluate((c) => window.signIn(c), ctx);
      assert.equal(options.status, 200, options.text);
      assert.ok(!options.json.allowCredentials?.length);
      assert.equal(credential.id, registered.credentialId);
      assert.equal(result.status, 200, result.text);
      await assertSignatureToken(result.json.signature_token, { sub: registered.username, cred: registered.credentialId });
    }));

    test('links a DID to the passkey from the page; WebCrypto\'s fidoKeyHash is the service\'s', logged(async () => {
      assert.ok(registered, 'needs the registration test');
      const did = 'did:example:browser-alice';
      const { hash, put, status } = await page.evaluate(([c, u, d, id]) => window.link(c, u, d, id),
        [ctx, registered.username, did, registered.credentialId]);
      assert.equal(hash, fidoKeyHash(registered.credentialId));
      assert.equal(put.status, 200, put.text);
      assert.equal(status.status, 200, status.text);
      assert.equal(status.json.linked, true);
      assert.deepEqual(status.json.links.map((l) => [l.did, l.fidoKeyHash]), [[did, hash]]);
    }));
  });
}
