// The 1Kosmos WebAuthn API's OpenAPI document (docs/openapi/kosmos.json) against the real binary on each store: the
// server serves the committed document, and schemathesis, fuzzing every operation the document lists, gets no 5xx
// and no answer the document does not describe (status, content type, body).
//
// Generated ciphertexts never decrypt, so on their own the encrypted operations would only exercise the envelope's
// and headers' error paths. lib/kosmos_schemathesis_hooks.py therefore has every other encrypted call sealed for
// real by the sealer below, which holds this caller's key pair and the license key: those calls pass the envelope
// and reach the handlers with fuzzed path parameters and payloads. The plain operations (u1, vendor metadata,
// /environment, /publickeys, /healthz, /sd) are fuzzed with a license that reaches the community.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { api } from './lib/http.mjs';
import { Ceremonies, KosmosClient, createLicense, createOrganisation } from './lib/kosmos.mjs';
import { SoftAuthenticator } from './lib/authenticator.mjs';
import { OPENAPI_DIR, schemathesis } from './lib/schemathesis.mjs';
import { STORES, startServer, withServerLog } from './lib/server.mjs';

const DOCUMENT = 'kosmos.json';
const DNS = 'openapi.kosmos.test';
const USER = 'fuzzed-user';
const HOOKS = join(dirname(fileURLToPath(import.meta.url)), 'lib', 'kosmos_schemathesis_hooks.py');

// The decrypted payload a sealed call carries: the operation's JSON with the generated `data` text in its free
// fields, so that options calls can succeed and result calls reach the verification.
function payload(path, text, context) {
  const value = text ?? '';
  if (path.endsWith('/options')) return { ...context, username: value, displayName: value };
  if (path.endsWith('/result')) {
    return {
      ...context,
      id: value,
      rawId: value,
      type: 'public-key',
      response: { clientDataJSON: value, attestationObject: value, authenticatorData: value, signature: value },
    };
  }
  return undefined;
}

// Answers `{publickey, licensekey, requestid[, data]}` sealed by `client` for a POST of `{path, data}`; `sealed`
// counts the calls.
async function startSealer(client, context) {
  const counts = { sealed: 0 };
  const sealer = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => { body += chunk; });
    req.on('end', () => {
      const { path, data } = JSON.parse(body);
      counts.sealed += 1;
      const sealed = client.envelopeHeaders();
      const inner = payload(path, data, context);
      if (inner !== undefined) sealed.data = client.seal(inner);
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify(sealed));
    });
  });
  await new Promise((resolve) => sealer.listen(0, '127.0.0.1', resolve));
  return { sealer, counts, url: `http://127.0.0.1:${sealer.address().port}/seal` };
}

// How often each encrypted operation answered each status, from the access log: "POST /webauthn/... 200: 12".
function encryptedStatuses(log) {
  const counts = new Map();
  const encrypted = /^\/webauthn\/(assertion|attestation|link|unregister)\//;
  for (const [, method, path, status] of log.matchAll(/ method=(\S+) path=(\S+) status=(\d+)/g)) {
    if (!encrypted.test(path)) continue;
    const operation = path.replace(/\/(community|did|user|fidokey|did_or_fidokey)\/[^/]+/g, '/$1/*');
    const key = `${method} ${operation} ${status}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].sort().map(([key, n]) => `${key}: ${n}`).join('\n');
}

for (const store of STORES) {
  describe(`OpenAPI: the 1Kosmos WebAuthn API document (${store})`, () => {
    let server;
    let setup;
    let license;
    let sealer;
    const test = (name, fn) => it(name, withServerLog(() => server, fn));

    before(async () => {
      server = await startServer(store);
      setup = await createOrganisation(server, { name: 'openapi', dns: DNS });
      license = createLicense(server, { tenant: setup.org.id, scope: 'all' }).license_key;
      const client = await KosmosClient.connect(server.publicUrl, license);
      const ceremonies = new Ceremonies(client, { community: setup.community, org: setup.org, dns: DNS });
      // A user with a credential, so that link status can answer 200.
      await ceremonies.register('encrypted', new SoftAuthenticator(), { username: USER });
      sealer = await startSealer(client, ceremonies.context());
    });

    after(async () => {
      sealer?.sealer.close();
      await server?.stop();
    });

    test('GET /openapi/kosmos.json serves the committed document', async () => {
      const res = await api(server.publicUrl, 'GET', `/openapi/${DOCUMENT}`);
      assert.equal(res.status, 200, res.text);
      assert.equal(res.text, readFileSync(join(OPENAPI_DIR, DOCUMENT), 'utf8'));
    });

    test('schemathesis finds no 5xx and no answer the document does not describe', async () => {
      const started = process.hrtime.bigint();
      const { code, output } = await schemathesis(DOCUMENT, server.publicUrl, {
        parameters: { 'path.community_id': setup.community.id, 'path.user_id': USER },
        apiKeys: { licenseKey: license },
        env: { SCHEMATHESIS_HOOKS: HOOKS, KOSMOS_SEALER_URL: sealer.url },
      });
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      console.log(`schemathesis ${DOCUMENT} (${store}): exit ${code} in ${seconds.toFixed(1)} s, `
        + `${sealer.counts.sealed} calls sealed by the hook\n${output.split('\n').slice(-25).join('\n')}\n`
        + `encrypted operations' answers:\n${encryptedStatuses(server.log())}`);
      assert.equal(code, 0, output);
      assert.ok(sealer.counts.sealed > 0, 'the hook sealed no call: is SCHEMATHESIS_HOOKS loaded?');
    });
  });
}
