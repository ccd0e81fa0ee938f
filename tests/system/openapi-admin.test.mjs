// The admin API's OpenAPI document (docs/openapi/admin.json) against the real binary, on both stores: the admin
// listener serves the committed document, and schemathesis finds no answer that is a server error or that the
// document does not describe (status, content type, body schema).
//
// The admin API creates and deletes what the fuzzing runs against, so the run is cut into passes by what an
// operation does to the fixtures: first everything that reads or adds (the fixtures stay), then the deletions
// inside the tenant, then the configuration replacement (a generated configuration may switch the Hanko Public API
// or its webhooks on or off, so it comes after every operation that fires events), last the deletion of the tenant.
// Each pass gets the fixtures' real ids, so that the operations reach their handlers instead of stopping at a 404.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { api } from './lib/http.mjs';
import { MAX_EXAMPLES, OPENAPI_DIR, schemathesis } from './lib/schemathesis.mjs';
import { STORES, startServer, withServerLog } from './lib/server.mjs';

const DOCUMENT = 'admin.json';
const ORIGIN = 'http://localhost:8080';
const TOKEN = randomBytes(24).toString('base64url');
// 40 operations in four passes: fewer examples per operation than the default keep the bounded run within about two
// minutes per store on two cores; LATCHKEY_SCHEMATHESIS_EXAMPLES still sets the number for the longer run by hand.
const EXAMPLES = process.env.LATCHKEY_SCHEMATHESIS_EXAMPLES ? MAX_EXAMPLES : 10;

// The passes, in order, as schemathesis operation filters (`METHOD /path` names).
const PASSES = [
  ['reads and additions', ['--exclude-method', 'DELETE', '--exclude-name', 'PUT /tenants/{tenant_id}/config']],
  ['deletions inside the tenant', ['--include-method', 'DELETE', '--exclude-name', 'DELETE /tenants/{tenant_id}']],
  ['configuration replacement', ['--include-name', 'PUT /tenants/{tenant_id}/config']],
  ['deletion of the tenant', ['--include-name', 'DELETE /tenants/{tenant_id}']],
];

async function admin(server, method, path, body) {
  const answer = await api(server.adminUrl, method, path, { body, headers: { Authorization: `Bearer ${TOKEN}` } });
  assert.ok(answer.status < 300, `${method} ${path}: ${answer.status} ${answer.text}`);
  return answer.json;
}

// A tenant serving the Hanko Public API (webhooks off: nothing is posted anywhere), with an API key, a Hanko user
// holding two addresses, and a webhook; their ids are the path parameters of the run.
async function fixtures(server) {
  const tenant = await admin(server, 'POST', '/tenants', {
    display_name: 'openapi admin',
    create_api_key: true,
    config: {
      cors: { allowed_origins: [ORIGIN], allow_unsafe_wildcard: false },
      webauthn: { relying_party: { id: 'localhost', display_name: 'OpenAPI', origins: [ORIGIN] }, timeout: 60000 },
      hanko_public: { enabled: true, webhooks: { enabled: false } },
    },
  });
  const base = `/tenants/${tenant.id}`;
  const user = await admin(server, 'POST', `${base}/hanko/users`, {
    emails: [{ address: 'primary@example.com', is_primary: true, is_verified: true }],
  });
  const email = await admin(server, 'POST', `${base}/hanko/users/${user.id}/emails`, { address: 'second@example.com' });
  const webhook = await admin(server, 'POST', `${base}/hanko/webhooks`, {
    callback: 'http://127.0.0.1:9/hook',
    events: ['user.create'],
  });
  return {
    'path.tenant_id': tenant.id,
    'path.user_id': user.id,
    'path.email_id': email.id,
    'path.webhook_id': webhook.id,
    'path.secret_id': tenant.api_key.id,
  };
}

for (const store of STORES) {
  describe(`admin API OpenAPI document (${store})`, () => {
    let server;
    before(async () => {
      server = await startServer(store, { env: { LATCHKEY_ADMIN_TOKEN: TOKEN } });
    });
    after(async () => {
      await server?.stop();
    });

    it('the admin listener serves the committed document', withServerLog(() => server, async () => {
      const served = await api(server.adminUrl, 'GET', `/openapi/${DOCUMENT}`);
      assert.equal(served.status, 200);
      assert.match(served.headers.get('content-type'), /^application\/json/);
      assert.equal(served.text, readFileSync(join(OPENAPI_DIR, DOCUMENT), 'utf8'));
      const publicly = await api(server.publicUrl, 'GET', `/openapi/${DOCUMENT}`);
      assert.equal(publicly.status, 404, 'the admin document is not served on the public listener');
    }));

    it('schemathesis: no 5xx and no answer the document does not describe', withServerLog(() => server, async () => {
      const parameters = await fixtures(server);
      const started = Date.now();
      for (const [pass, filters] of PASSES) {
        const { code, output } = await schemathesis(DOCUMENT, server.adminUrl, {
          headers: { Authorization: `Bearer ${TOKEN}` },
          parameters,
          maxExamples: EXAMPLES,
          extraArgs: ['--phases', 'examples,coverage,fuzzing', ...filters],
        });
        assert.equal(code, 0, `schemathesis (${pass}) exited ${code}:\n${output}`);
      }
      console.log(`# ${store}: ${PASSES.length} schemathesis passes, ${EXAMPLES} examples per operation, `
        + `${((Date.now() - started) / 1000).toFixed(1)} s`);
    }));
  });
}
