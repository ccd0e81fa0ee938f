// The Hanko passkey-server API's OpenAPI document (docs/openapi/hanko-passkey-server.json) against the real binary
// on each store: latchkey serves the committed document, and schemathesis, sending what the document allows and
// what it does not, gets no server error and no answer the document does not describe.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { SoftAuthenticator } from './lib/authenticator.mjs';
import { api } from './lib/http.mjs';
import { MAX_EXAMPLES, OPENAPI_DIR, schemathesis } from './lib/schemathesis.mjs';
import { STORES, createTenant, startServer, withServerLog } from './lib/server.mjs';

const DOCUMENT = 'hanko-passkey-server.json';
const ORIGIN = 'http://localhost:8080';
const USER = 'openapi-user';

for (const store of STORES) {
  describe(`Hanko passkey-server OpenAPI document (${store})`, () => {
    let server;
    let tenant;
    let credentialId;
    let internalUserId;
    const test = (name, fn) => it(name, withServerLog(() => server, fn));

    before(async () => {
      server = await startServer(store);
      // A plain passkey-server tenant (the Hanko Public API off), so that every path below it is this API's.
      tenant = await createTenant(server, { name: 'openapi' });
      // A user with a passkey, so that the fixed path parameters name things that exist.
      const keyed = (method, path, body) => api(server.publicUrl, method, `/${tenant.id}${path}`, { apiKey: tenant.api_key, body });
      const init = await keyed('POST', '/registration/initialize', { user_id: USER, username: USER });
      assert.equal(init.status, 200, init.text);
      const credential = new SoftAuthenticator().create(init.json, ORIGIN);
      const done = await keyed('POST', '/registration/finalize', credential);
      assert.equal(done.status, 200, done.text);
      credentialId = credential.id;
      const users = await api(server.adminUrl, 'GET', `/tenants/${tenant.id}/users`);
      assert.equal(users.status, 200, users.text);
      internalUserId = users.json.find((user) => user.user_id === USER)?.id;
      assert.ok(internalUserId, users.text);
    });
    after(async () => server?.stop());

    test('the public listener serves the committed document', async () => {
      const served = await api(server.publicUrl, 'GET', `/openapi/${DOCUMENT}`);
      assert.equal(served.status, 200, served.text);
      assert.equal(served.text, readFileSync(join(OPENAPI_DIR, DOCUMENT), 'utf8'));
    });

    test('schemathesis finds no server error and no answer the document does not describe', async () => {
      const started = process.hrtime.bigint();
      const { code, output } = await schemathesis(DOCUMENT, server.publicUrl, {
        headers: { apiKey: tenant.api_key },
        parameters: {
          'path.tenant_id': tenant.id,
          'path.credential_id': credentialId,
          'path.user_id': internalUserId,
        },
      });
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      // The figures the longer run by hand is recorded with: examples, wall time and schemathesis's summary.
      const summary = output.slice(Math.max(0, output.lastIndexOf('SUMMARY'))).trim();
      console.log(`schemathesis on ${store}: ${MAX_EXAMPLES} examples per operation, ${seconds.toFixed(1)} s\n${summary}`);
      assert.equal(code, 0, output);
    });
  });
}
