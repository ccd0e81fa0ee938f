// The Hanko Public API's OpenAPI document (docs/openapi/hanko-public.json) against the real binary, on both stores:
// the listeners serve the committed document, and schemathesis, driven by it, gets no 5xx and no answer the document
// does not describe (status, content type, body). The tenant serves the API with mail delivery off (passcodes go to
// the `email.send` webhook event instead), passwords on, its own rate limiter on (so 429s can happen and are checked
// against the document), and a session token in every request, so that the session's operations are exercised beyond
// their 401.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { api } from './lib/http.mjs';
import { ORIGIN, createHankoTenant, uniqueEmail } from './lib/hanko-public.mjs';
import { OPENAPI_DIR, schemathesis } from './lib/schemathesis.mjs';
import { STORES, startServer, withServerLog } from './lib/server.mjs';

const DOCUMENT = 'hanko-public.json';

for (const store of STORES) {
  describe(`OpenAPI: Hanko Public API (${store})`, () => {
    let server;
    let tenant;
    let token;
    const test = (name, fn) => it(name, withServerLog(() => server, fn));

    before(async () => {
      server = await startServer(store);
      tenant = await createHankoTenant(server, {
        hanko: {
          email_delivery: { enabled: false },
          emails: { require_verification: false },
          session: { enable_auth_token_header: true },
          password: { enabled: true },
          rate_limiter: { enabled: true },
          third_party: { error_redirect_url: `${ORIGIN}/error` },
        },
      });
      // Without verification a sign-up is a login; in header mode the token comes in X-Auth-Token.
      const signedUp = await api(tenant.base, 'POST', '/users', { body: { email: uniqueEmail('openapi') } });
      assert.equal(signedUp.status, 200, signedUp.text);
      token = signedUp.headers.get('x-auth-token');
      assert.ok(token, 'a session token');
    });
    after(async () => {
      await server?.stop();
    });

    test('both listeners serve the committed document', async () => {
      const committed = readFileSync(join(OPENAPI_DIR, DOCUMENT), 'utf8');
      for (const base of [server.publicUrl, server.adminUrl]) {
        const served = await api(base, 'GET', `/openapi/${DOCUMENT}`);
        assert.equal(served.status, 200, served.text);
        assert.equal(served.text, committed, `${base} serves the committed document`);
      }
    });

    test('schemathesis finds no server error and no answer the document does not describe', async () => {
      const options = {
        headers: { Authorization: `Bearer ${token}` },
        parameters: { 'path.tenant_id': tenant.id },
      };
      // Logout ends the session every other operation uses, so it runs last, on its own.
      const started = Date.now();
      const rest = await schemathesis(DOCUMENT, server.publicUrl,
        { ...options, extraArgs: ['--exclude-operation-id', 'logout'] });
      assert.equal(rest.code, 0, rest.output);
      const logout = await schemathesis(DOCUMENT, server.publicUrl,
        { ...options, extraArgs: ['--include-operation-id', 'logout'] });
      assert.equal(logout.code, 0, logout.output);
      console.log(`schemathesis on ${store}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
    });
  });
}
