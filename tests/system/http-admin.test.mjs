// The admin API of the `latchkey` binary (Hanko passkey-server notes §10, with latchkey's deviations: API-key
// secrets are shown only when created, signing keys are listed as metadata at /secrets/jwk, an optional bearer
// token), and the secrets it keeps at rest. Specification: /work/shared/notes/hanko-passkey-server.md (cited as §n).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createPrivateKey, randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';

import { SoftAuthenticator } from './lib/authenticator.mjs';
import { api } from './lib/http.mjs';
import { decodeJwt, verifyJwt } from './lib/jwt.mjs';
import { STORES, createTenant, startServer, withServerLog } from './lib/server.mjs';

const ORIGIN = 'http://localhost:8080';
const API_KEY_SECRET = /^[A-Za-z0-9_-]{86}==$/; // 64 random bytes, base64url with padding (§2)

function tenantBody({ displayName = 'admin test', createApiKey = false, config = {} } = {}) {
  return {
    display_name: displayName,
    create_api_key: createApiKey,
    config: {
      cors: { allowed_origins: [ORIGIN], allow_unsafe_wildcard: false },
      webauthn: {
        relying_party: { id: 'localhost', display_name: 'Admin Test RP', origins: [ORIGIN] },
        timeout: 60000,
      },
      ...config,
    },
  };
}

function run(command, args) {
  const out = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (out.error) throw out.error;
  assert.equal(out.status, 0, `${command} ${args.join(' ')}: ${out.stderr}`);
  return out.stdout;
}

const hasCommand = (name) => spawnSync('sh', ['-c', `command -v ${name}`]).status === 0;

// Everything the database holds, as text, plus the stored private signing keys as bytes.
function readDatabase(server) {
  if (server.store === 'sqlite') {
    const file = server.databaseUrl.replace(/^sqlite:\/\//, '');
    const keysQuery = 'SELECT hex(encrypted_private_key) FROM signing_keys';
    let dump;
    let keys;
    if (hasCommand('sqlite3')) {
      dump = run('sqlite3', ['-readonly', file, '.dump']);
      keys = run('sqlite3', ['-readonly', file, keysQuery]);
    } else {
      const script = 'import sqlite3,sys\nc=sqlite3.connect(sys.argv[1])\n'
        + 'print("\\n".join(c.iterdump()) if sys.argv[2]=="dump" else "\\n".join(r[0] for r in c.execute(sys.argv[2])))';
      dump = run('python3', ['-c', script, file, 'dump']);
      keys = run('python3', ['-c', script, file, keysQuery]);
    }
    return { dump, keys: keys.split('\n').filter(Boolean).map((hex) => Buffer.from(hex, 'hex')) };
  }
  const database = new URL(server.databaseUrl).pathname.slice(1);
  const psql = (sql) => run('psql', ['-h', '127.0.0.1', '-U', 'postgres', '-d', database, '-At', '-c', sql]);
  const dump = psql("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    .split('\n').filter(Boolean)
    .map((table) => `${table}\n${psql(`COPY "${table}" TO STDOUT`)}`)
    .join('\n');
  const keys = psql("SELECT encode(encrypted_private_key, 'hex') FROM signing_keys");
  return { dump, keys: keys.split('\n').filter(Boolean).map((hex) => Buffer.from(hex, 'hex')) };
}

// True if `bytes` read as a private key in any format a careless store might use.
function parsesAsPrivateKey(bytes) {
  const attempts = [
    () => createPrivateKey({ key: bytes, format: 'der', type: 'pkcs8' }),
    () => createPrivateKey({ key: bytes, format: 'der', type: 'pkcs1' }),
    () => createPrivateKey({ key: bytes, format: 'der', type: 'sec1' }),
    () => createPrivateKey(bytes.toString('utf8')),
    () => createPrivateKey({ key: JSON.parse(bytes.toString('utf8')), format: 'jwk' }),
  ];
  return attempts.some((attempt) => {
    try {
      attempt();
      return true;
    } catch {
      return false;
    }
  });
}

for (const store of STORES) {
  describe(`admin API (${store})`, () => {
    // Notes §10 (admin API) and §9 (tenant defaults), with latchkey's deviations named in the file header.
    let server;
    let admin;
    let base;
    const test = (name, fn) => it(name, withServerLog(() => server, fn));
    const adminCall = (method, path, options) => api(admin, method, path, options);

    // Registers a passkey for `userId` and logs in with it; returns the login token.
    async function registerAndLogin(tenant, userId, authenticator = new SoftAuthenticator()) {
      const init = await api(base, 'POST', `/${tenant.id}/registration/initialize`,
        { apiKey: tenant.api_key, body: { user_id: userId, username: userId } });
      assert.equal(init.status, 200, init.text);
      const credential = authenticator.create(init.json, ORIGIN);
      const done = await api(base, 'POST', `/${tenant.id}/registration/finalize`, { body: credential });
      assert.equal(done.status, 200, done.text);
      const login = await api(base, 'POST', `/${tenant.id}/login/initialize`, { body: {} });
      const assertion = authenticator.get(login.json, ORIGIN, { credentialId: credential.id });
      const token = await api(base, 'POST', `/${tenant.id}/login/finalize`, { body: assertion });
      assert.equal(token.status, 200, token.text);
      return { token: token.json.token, credentialId: credential.id };
    }

    async function jwks(tenantId) {
      const res = await api(base, 'GET', `/${tenantId}/.well-known/jwks.json`);
      assert.equal(res.status, 200, res.text);
      return res.json;
    }

    async function createTenantViaAdmin(options) {
      const res = await adminCall('POST', '/tenants', { body: tenantBody(options) });
      assert.equal(res.status, 201, res.text);
      return res.json;
    }

    before(async () => {
      server = await startServer(store);
      admin = server.adminUrl;
      base = server.publicUrl;
    });
    after(async () => server?.stop());

    describe('health and metrics (§10)', () => {
      // §10: /health/alive, /health/ready and /metrics (Prometheus text).
      test('answers /health/alive and /health/ready', async () => {
        const alive = await adminCall('GET', '/health/alive');
        assert.equal(alive.status, 200);
        assert.deepEqual(alive.json, { alive: true });
        const ready = await adminCall('GET', '/health/ready');
        assert.equal(ready.status, 200);
        assert.deepEqual(ready.json, { ready: true });
      });

      test('exposes Prometheus metrics with request counters', async () => {
        await api(base, 'GET', `/${randomUUID()}/.well-known/jwks.json`);
        const res = await adminCall('GET', '/metrics');
        assert.equal(res.status, 200);
        assert.match(res.headers.get('content-type'), /^text\/plain/);
        assert.match(res.text, /^# TYPE latchkey_http_requests_total counter$/m);
        assert.match(res.text, /^latchkey_http_requests_total\{.*status="404".*\} \d+$/m);
      });

      test('answers unknown admin routes with 404 in the error format', async () => {
        const res = await adminCall('GET', '/no/such/route');
        assert.equal(res.status, 404);
        assert.deepEqual(Object.keys(res.json).sort(), ['details', 'status', 'title']);
      });
    });

    describe('tenants (§9 defaults, §10)', () => {
      // §10 tenant CRUD and config; §9 defaults (an omitted `mfa` block takes the MFA defaults).
      test('creates a tenant (201 with its id only) and fills the original\'s defaults', async () => {
        const res = await adminCall('POST', '/tenants', { body: tenantBody({ displayName: 'defaults' }) });
        assert.equal(res.status, 201, res.text);
        assert.deepEqual(Object.keys(res.json), ['id']);
        const shown = await adminCall('GET', `/tenants/${res.json.id}`);
        assert.equal(shown.status, 200, shown.text);
        assert.equal(shown.json.id, res.json.id);
        assert.equal(shown.json.display_name, 'defaults');
        const { config } = shown.json;
        assert.deepEqual(config.cors, { allowed_origins: [ORIGIN], allow_unsafe_wildcard: false });
        assert.deepEqual(config.webauthn, {
          relying_party: { id: 'localhost', display_name: 'Admin Test RP', origins: [ORIGIN] },
          timeout: 60000,
          user_verification: 'required',
          attestation_preference: 'direct',
          resident_key_requirement: 'required',
        });
        // MFA defaults when the `mfa` block is omitted (§9).
        assert.deepEqual(config.mfa, {
          timeout: 60000,
          user_verification: 'preferred',
          attachment: 'cross-platform',
          attestation_preference: 'direct',
          resident_key_requirement: 'discouraged',
        });
      });

      test('lists tenants as id and display name', async () => {
        const { id } = await createTenantViaAdmin({ displayName: 'listed' });
        const res = await adminCall('GET', '/tenants');
        assert.equal(res.status, 200, res.text);
        for (const tenant of res.json) assert.deepEqual(Object.keys(tenant).sort(), ['display_name', 'id']);
        assert.deepEqual(res.json.find((tenant) => tenant.id === id), { id, display_name: 'listed' });
      });

      test('renames a tenant with PUT (204)', async () => {
        const { id } = await createTenantViaAdmin({ displayName: 'before' });
        const res = await adminCall('PUT', `/tenants/${id}`, { body: { display_name: 'after' } });
        assert.equal(res.status, 204, res.text);
        assert.equal((await adminCall('GET', `/tenants/${id}`)).json.display_name, 'after');
      });

      test('replaces the configuration with PUT /config (204); ceremonies follow it and API keys survive', async () => {
        const created = await createTenantViaAdmin({ createApiKey: true });
        const tenant = { id: created.id, api_key: created.api_key.secret };
        const config = tenantBody({
          config: {
            webauthn: {
              relying_party: { id: 'localhost', display_name: 'Replaced RP', origins: [ORIGIN] },
              timeout: 120000,
              user_verification: 'preferred',
              attachment: 'platform',
              attestation_preference: 'none',
              resident_key_requirement: 'preferred',
            },
            mfa: {
              timeout: 30000,
              user_verification: 'required',
              attachment: 'platform',
              attestation_preference: 'indirect',
              resident_key_requirement: 'required',
            },
          },
        }).config;
        const res = await adminCall('PUT', `/tenants/${tenant.id}/config`, { body: config });
        assert.equal(res.status, 204, res.text);

        const shown = (await adminCall('GET', `/tenants/${tenant.id}`)).json.config;
        assert.deepEqual(shown.webauthn, config.webauthn);
        assert.deepEqual(shown.mfa, config.mfa);

        const init = await api(base, 'POST', `/${tenant.id}/registration/initialize`,
          { apiKey: tenant.api_key, body: { user_id: 'u', username: 'u' } });
        assert.equal(init.status, 200, init.text);
        assert.equal(init.json.publicKey.timeout, 120000);
        assert.equal(init.json.publicKey.attestation, 'none');
        assert.deepEqual(init.json.publicKey.rp, { name: 'Replaced RP', id: 'localhost' });
        assert.deepEqual(init.json.publicKey.authenticatorSelection, {
          authenticatorAttachment: 'platform',
          requireResidentKey: false,
          residentKey: 'preferred',
          userVerification: 'preferred',
        });
        const mfa = await api(base, 'POST', `/${tenant.id}/mfa/registration/initialize`,
          { apiKey: tenant.api_key, body: { user_id: 'u', username: 'u' } });
        assert.equal(mfa.json.publicKey.timeout, 30000);
        assert.equal(mfa.json.publicKey.attestation, 'indirect');
        assert.deepEqual(mfa.json.publicKey.authenticatorSelection, {
          authenticatorAttachment: 'platform',
          requireResidentKey: true,
          residentKey: 'required',
          userVerification: 'required',
        });
      });

      test('refuses an invalid tenant with 400 "unable to create tenant"', async () => {
        const noOrigins = tenantBody();
        noOrigins.config.webauthn.relying_party.origins = [];
        const noTimeout = tenantBody();
        delete noTimeout.config.webauthn.timeout;
        const badEnum = tenantBody();
        badEnum.config.webauthn.user_verification = 'sometimes';
        const noName = { ...tenantBody(), display_name: '' };
        for (const body of [noOrigins, noTimeout, badEnum, { display_name: 'no config' }, noName]) {
          const res = await adminCall('POST', '/tenants', { body });
          assert.equal(res.status, 400, `${JSON.stringify(body)}: ${res.text}`);
          assert.equal(res.json.title, 'unable to create tenant');
          assert.equal(res.json.status, 400);
        }
        const malformed = await adminCall('POST', '/tenants', { rawBody: '{"display_name":' });
        assert.equal(malformed.status, 400, malformed.text);
      });

      test('answers 404 for an unknown tenant and 400 for a tenant id that is not a UUID', async () => {
        assert.equal((await adminCall('GET', `/tenants/${randomUUID()}`)).status, 404);
        assert.equal((await adminCall('GET', '/tenants/not-a-uuid')).status, 400);
        assert.equal((await adminCall('DELETE', `/tenants/${randomUUID()}`)).status, 404);
      });

      test('creates an initial API key on request, shown once, that works on the public API', async () => {
        const created = await createTenantViaAdmin({ createApiKey: true });
        assert.deepEqual(Object.keys(created).sort(), ['api_key', 'id']);
        const key = created.api_key;
        assert.deepEqual(Object.keys(key).sort(), ['created_at', 'id', 'name', 'secret']);
        assert.equal(key.name, 'Initial API Key');
        const res = await api(base, 'GET', `/${created.id}/credentials`, { apiKey: key.secret });
        assert.equal(res.status, 200, res.text);
        assert.match(key.secret, API_KEY_SECRET);
      });

      test('deletes a tenant (204); its public API then answers 404 "tenant not found"', async () => {
        const created = await createTenantViaAdmin({ createApiKey: true });
        const tenant = { id: created.id, api_key: created.api_key.secret };
        await registerAndLogin(tenant, 'doomed');
        assert.equal((await adminCall('DELETE', `/tenants/${tenant.id}`)).status, 204);
        assert.equal((await adminCall('GET', `/tenants/${tenant.id}`)).status, 404);
        assert.ok(!(await adminCall('GET', '/tenants')).json.some((t) => t.id === tenant.id));
        for (const [method, path, options] of [
          ['GET', '/.well-known/jwks.json', {}],
          ['POST', '/login/initialize', { body: {} }],
          ['GET', '/credentials', { apiKey: tenant.api_key }],
        ]) {
          const res = await api(base, method, `/${tenant.id}${path}`, options);
          assert.equal(res.status, 404, res.text);
          assert.equal(res.json.title, 'tenant not found');
        }
      });
    });

    describe('API keys (§10, secrets shown only at creation)', () => {
      // §10 /secrets/api; latchkey shows a secret only in the 201 answer that creates it.
      let tenant;
      before(async () => {
        tenant = await createTenant(server, { name: 'api keys' });
      });

      test('lists API keys as metadata without secrets', async () => {
        const res = await adminCall('GET', `/tenants/${tenant.id}/secrets/api`);
        assert.equal(res.status, 200, res.text);
        assert.equal(res.json.length, 1);
        assert.deepEqual(Object.keys(res.json[0]).sort(), ['created_at', 'id', 'name']);
        assert.ok(!res.text.includes(tenant.api_key));
      });

      test('creates a key (201, secret shown once) that works; deleting it (204) makes it fail with 401', async () => {
        const created = await adminCall('POST', `/tenants/${tenant.id}/secrets/api`, { body: { name: 'second' } });
        assert.equal(created.status, 201, created.text);
        assert.deepEqual(Object.keys(created.json).sort(), ['created_at', 'id', 'name', 'secret']);
        assert.equal(created.json.name, 'second');
        const secret = created.json.secret;
        assert.equal((await api(base, 'GET', `/${tenant.id}/credentials`, { apiKey: secret })).status, 200);

        const listed = await adminCall('GET', `/tenants/${tenant.id}/secrets/api`);
        assert.deepEqual(listed.json.map((k) => k.id).sort(), [listed.json.find((k) => k.name !== 'second').id,
          created.json.id].sort());
        assert.ok(!listed.text.includes(secret));

        assert.equal((await adminCall('DELETE', `/tenants/${tenant.id}/secrets/api/${created.json.id}`)).status, 204);
        const refused = await api(base, 'GET', `/${tenant.id}/credentials`, { apiKey: secret });
        assert.equal(refused.status, 401, refused.text);
        assert.equal(refused.json.title, 'The api key is invalid');
        assert.equal((await api(base, 'GET', `/${tenant.id}/credentials`, { apiKey: tenant.api_key })).status, 200);
        assert.match(secret, API_KEY_SECRET);
        assert.match(tenant.api_key, API_KEY_SECRET, 'the CLI prints keys of the same form');
      });

      test('answers 404 for deleting an unknown key and 400 for an id that is not a UUID', async () => {
        assert.equal((await adminCall('DELETE', `/tenants/${tenant.id}/secrets/api/${randomUUID()}`)).status, 404);
        assert.equal((await adminCall('DELETE', `/tenants/${tenant.id}/secrets/api/nope`)).status, 400);
      });

      test('refuses to create a key without a name with 400', async () => {
        assert.equal((await adminCall('POST', `/tenants/${tenant.id}/secrets/api`, { body: {} })).status, 400);
      });
    });

    describe('signing keys and rotation (§6, latchkey: /secrets/jwk lists {id, algorithm, created_at})', () => {
      // §6 keys and tokens, §4.8 JWKS; latchkey: /secrets/jwk lists keys, POST rotates, DELETE removes.
      test('rotates: the JWKS publishes both keys, the newest signs, and old tokens still verify', async () => {
        const tenant = await createTenant(server, { name: 'rotation' });
        const before = await adminCall('GET', `/tenants/${tenant.id}/secrets/jwk`);
        assert.equal(before.status, 200, before.text);
        assert.equal(before.json.length, 1);
        assert.deepEqual(Object.keys(before.json[0]).sort(), ['algorithm', 'created_at', 'id']);
        assert.equal(before.json[0].algorithm, 'RS256');
        const first = before.json[0].id;

        const authenticator = new SoftAuthenticator();
        const { token: oldToken, credentialId } = await registerAndLogin(tenant, 'rotating', authenticator);
        assert.equal(decodeJwt(oldToken).header.kid, first);

        const rotated = await adminCall('POST', `/tenants/${tenant.id}/secrets/jwk`);
        assert.equal(rotated.status, 201, rotated.text);
        assert.deepEqual(Object.keys(rotated.json).sort(), ['algorithm', 'created_at', 'id']);
        const second = rotated.json.id;
        const listed = await adminCall('GET', `/tenants/${tenant.id}/secrets/jwk`);
        assert.deepEqual(listed.json.map((k) => k.id), [first, second], 'oldest first');

        const published = await jwks(tenant.id);
        assert.deepEqual(published.keys.map((k) => k.kid), [first, second]);
        assert.deepEqual(await verifyJwt(oldToken, published), decodeJwt(oldToken).claims);

        const login = await api(base, 'POST', `/${tenant.id}/login/initialize`, { body: {} });
        const assertion = authenticator.get(login.json, ORIGIN, { credentialId });
        const fresh = await api(base, 'POST', `/${tenant.id}/login/finalize`, { body: assertion });
        assert.equal(fresh.status, 200, fresh.text);
        assert.equal(decodeJwt(fresh.json.token).header.kid, second, 'the newest key signs');
        await verifyJwt(fresh.json.token, published);

        assert.equal((await adminCall('DELETE', `/tenants/${tenant.id}/secrets/jwk/${first}`)).status, 204);
        const after = await jwks(tenant.id);
        assert.deepEqual(after.keys.map((k) => k.kid), [second]);
        await assert.rejects(verifyJwt(oldToken, after));
        await verifyJwt(fresh.json.token, after);
        assert.equal((await adminCall('DELETE', `/tenants/${tenant.id}/secrets/jwk/${first}`)).status, 404);
        assert.equal((await adminCall('DELETE', `/tenants/${tenant.id}/secrets/jwk/nope`)).status, 400);
      });

      test('issues ES256 tokens for a tenant configured with "signing": {"algorithm": "ES256"}', async () => {
        const created = await createTenantViaAdmin({ createApiKey: true, config: { signing: { algorithm: 'ES256' } } });
        const tenant = { id: created.id, api_key: created.api_key.secret };
        const shown = await adminCall('GET', `/tenants/${tenant.id}`);
        assert.equal(shown.json.config.signing.algorithm, 'ES256');
        const keys = await adminCall('GET', `/tenants/${tenant.id}/secrets/jwk`);
        assert.deepEqual(keys.json.map((k) => k.algorithm), ['ES256']);

        const { token } = await registerAndLogin(tenant, 'es-user');
        const published = await jwks(tenant.id);
        assert.equal(published.keys.length, 1);
        const [key] = published.keys;
        assert.equal(key.kty, 'EC');
        assert.equal(key.crv, 'P-256');
        assert.equal(key.alg, 'ES256');
        assert.equal(key.use, 'sig');
        assert.equal(key.d, undefined, 'no private part in the JWKS');
        assert.equal(decodeJwt(token).header.alg, 'ES256');
        const claims = await verifyJwt(token, published);
        assert.equal(claims.sub, 'es-user');
      });

      test('never publishes private key material in an RSA JWKS', async () => {
        const tenant = await createTenant(server, { name: 'rsa-jwks' });
        for (const key of (await jwks(tenant.id)).keys) {
          assert.deepEqual(Object.keys(key).sort(), ['alg', 'e', 'kid', 'kty', 'n', 'use']);
        }
      });
    });

    describe('users (§10)', () => {
      // §10 users list, detail and delete; §9 deleting a user cascades to its credentials.
      let tenant;
      let u1;
      const authenticator = new SoftAuthenticator();
      before(async () => {
        tenant = await createTenant(server, { name: 'users' });
        await registerAndLogin(tenant, 'user-one', authenticator);
        const mfaInit = await api(base, 'POST', `/${tenant.id}/mfa/registration/initialize`,
          { apiKey: tenant.api_key, body: { user_id: 'user-one', username: 'user-one', display_name: 'User One' } });
        const mfa = await api(base, 'POST', `/${tenant.id}/mfa/registration/finalize`,
          { apiKey: tenant.api_key, body: authenticator.create(mfaInit.json, ORIGIN) });
        assert.equal(mfa.status, 200, mfa.text);
        const tx = await api(base, 'POST', `/${tenant.id}/transaction/initialize`,
          { apiKey: tenant.api_key, body: { user_id: 'user-one', transaction_id: 'user-tx', transaction_data: { a: 1 } } });
        assert.equal(tx.status, 200, tx.text);
        await registerAndLogin(tenant, 'user-two');
      });

      test('lists users with their internal id, paged', async () => {
        const res = await adminCall('GET', `/tenants/${tenant.id}/users`);
        assert.equal(res.status, 200, res.text);
        assert.equal(res.headers.get('x-total-count'), '2');
        assert.ok(res.headers.get('link'));
        for (const user of res.json) {
          assert.deepEqual(Object.keys(user).sort(), ['display_name', 'icon', 'id', 'name', 'user_id']);
          assert.match(user.id, /^[0-9a-f-]{36}$/);
        }
        u1 = res.json.find((user) => user.user_id === 'user-one');
        assert.equal(u1.name, 'user-one');
        assert.equal(u1.display_name, 'User One');
        const paged = await adminCall('GET', `/tenants/${tenant.id}/users?per_page=1&page=2&sort_direction=asc`);
        assert.equal(paged.json.length, 1);
        assert.equal(paged.json[0].user_id, 'user-two');
      });

      test('shows a user with credentials and transactions', async () => {
        const res = await adminCall('GET', `/tenants/${tenant.id}/users/${u1.id}`);
        assert.equal(res.status, 200, res.text);
        assert.equal(res.json.id, u1.id);
        assert.equal(res.json.user_id, 'user-one');
        const publicList = await api(base, 'GET', `/${tenant.id}/credentials?user_id=user-one`,
          { apiKey: tenant.api_key });
        const byId = (a, b) => a.id.localeCompare(b.id);
        assert.deepEqual([...res.json.credentials].sort(byId), [...publicList.json].sort(byId));
        assert.equal(res.json.credentials.length, 2);
        assert.deepEqual(res.json.transactions.map((t) => t.identifier), ['user-tx']);
        assert.deepEqual(Object.keys(res.json.transactions[0]).sort(),
          ['created_at', 'data', 'id', 'identifier', 'updated_at']);
      });

      test('answers 404 for an unknown user and 400 for an id that is not a UUID', async () => {
        assert.equal((await adminCall('GET', `/tenants/${tenant.id}/users/${randomUUID()}`)).status, 404);
        assert.equal((await adminCall('GET', `/tenants/${tenant.id}/users/user-one`)).status, 400);
      });

      test('deletes a user (204) with their credentials; other users stay', async () => {
        const credentials = (await adminCall('GET', `/tenants/${tenant.id}/users/${u1.id}`)).json.credentials;
        assert.equal((await adminCall('DELETE', `/tenants/${tenant.id}/users/${u1.id}`)).status, 204);
        assert.equal((await adminCall('GET', `/tenants/${tenant.id}/users/${u1.id}`)).status, 404);
        const keyed = (path) => api(base, 'GET', `/${tenant.id}${path}`, { apiKey: tenant.api_key });
        assert.deepEqual((await keyed('/credentials?user_id=user-one')).json, []);
        for (const credential of credentials) {
          assert.equal((await keyed(`/credentials/${credential.id}`)).status, 404);
        }
        const login = await api(base, 'POST', `/${tenant.id}/login/initialize`,
          { apiKey: tenant.api_key, body: { user_id: 'user-one' } });
        assert.equal(login.status, 404, login.text);
        assert.equal((await keyed('/credentials?user_id=user-two')).json.length, 1);
        assert.equal((await adminCall('GET', `/tenants/${tenant.id}/users`)).headers.get('x-total-count'), '1');
      });
    });

    describe('secrets at rest (latchkey: API keys stored hashed, signing keys sealed)', () => {
      // §6 (private keys encrypted at rest); latchkey keeps only SHA-256 of API keys and seals signing keys.
      test('keeps no API key secret and no unencrypted private key in the database', async () => {
        const cliTenant = await createTenant(server, { name: 'at rest' });
        const created = await createTenantViaAdmin({ createApiKey: true });
        const extra = await adminCall('POST', `/tenants/${cliTenant.id}/secrets/api`, { body: { name: 'extra' } });
        assert.equal(extra.status, 201, extra.text);
        const ecTenant = await createTenantViaAdmin({ createApiKey: true, config: { signing: { algorithm: 'ES256' } } });
        await registerAndLogin(cliTenant, 'at-rest-user');
        await registerAndLogin({ id: ecTenant.id, api_key: ecTenant.api_key.secret }, 'at-rest-ec');
        assert.equal((await adminCall('POST', `/tenants/${cliTenant.id}/secrets/jwk`)).status, 201);

        const { dump, keys } = readDatabase(server);
        assert.ok(dump.length > 0);
        const lower = dump.toLowerCase();
        assert.ok(lower.includes(cliTenant.id) || lower.includes(cliTenant.id.replace(/-/g, '')),
          'the dump holds the tenants (sanity check of the dump itself)');
        for (const secret of [cliTenant.api_key, created.api_key.secret, extra.json.secret, ecTenant.api_key.secret]) {
          assert.ok(!dump.includes(secret), 'API key secret stored in clear');
          assert.ok(!dump.includes(secret.replace(/=+$/, '')), 'API key secret stored without padding');
          assert.ok(!lower.includes(Buffer.from(secret, 'base64url').toString('hex')), 'API key bytes stored in clear');
        }
        if (server.env.LATCHKEY_MASTER_KEY) assert.ok(!dump.includes(server.env.LATCHKEY_MASTER_KEY), 'master key');
        const masterKeyFile = `${server.databaseUrl.replace(/^sqlite:\/\//, '')}.master-key`;
        if (server.store === 'sqlite' && existsSync(masterKeyFile)) {
          const masterKey = readFileSync(masterKeyFile, 'utf8').trim();
          assert.ok(masterKey.length > 0 && !dump.includes(masterKey), 'master key in the database');
        }

        assert.ok(!lower.includes('-----begin'), 'PEM in the database');
        assert.ok(!/"d"\s*:/.test(dump), 'private JWK in the database');
        for (const der of ['020100300d06092a864886f70d010101', '020100301306072a8648ce3d0201', '020100300506032b6570']) {
          assert.ok(!lower.includes(der), `PKCS#8 DER (${der}) in the database`);
        }
        for (const base64 of [/MII[A-Za-z0-9+/_-]{2}IBADAN/, /MIGHAgEAMBMG/, /MC4CAQAwBQYDK2Vw/]) {
          assert.ok(!base64.test(dump), `base64 PKCS#8 (${base64}) in the database`);
        }

        assert.ok(keys.length >= 4, `signing keys found: ${keys.length}`);
        for (const key of keys) {
          assert.ok(key.length > 0);
          assert.equal(parsesAsPrivateKey(key), false, 'a stored signing key reads as a private key');
        }
      });
    });
  });

  describe(`admin API with a bearer token (${store})`, () => {
    // latchkey deviation (§15.12): LATCHKEY_ADMIN_TOKEN protects every admin route except /health/*.
    let server;
    const test = (name, fn) => it(name, withServerLog(() => server, fn));
    before(async () => {
      server = await startServer(store, { env: { LATCHKEY_ADMIN_TOKEN: 'secret' } });
    });
    after(async () => server?.stop());

    test('refuses admin calls without the token, or with a wrong one, with 401', async () => {
      for (const headers of [{}, { Authorization: 'Bearer wrong' }, { Authorization: 'Basic secret' },
        { Authorization: 'secret' }]) {
        const list = await api(server.adminUrl, 'GET', '/tenants', { headers });
        assert.equal(list.status, 401, list.text);
        assert.deepEqual(Object.keys(list.json).sort(), ['details', 'status', 'title']);
        assert.equal(list.json.status, 401);
        const create = await api(server.adminUrl, 'POST', '/tenants', { headers, body: tenantBody() });
        assert.equal(create.status, 401, create.text);
      }
    });

    test('accepts admin calls with Authorization: Bearer <token>', async () => {
      const headers = { Authorization: 'Bearer secret' };
      const created = await api(server.adminUrl, 'POST', '/tenants', { headers, body: tenantBody() });
      assert.equal(created.status, 201, created.text);
      const list = await api(server.adminUrl, 'GET', '/tenants', { headers });
      assert.equal(list.status, 200, list.text);
      assert.ok(list.json.some((t) => t.id === created.json.id));
      // The public API does not need the admin token.
      assert.equal((await api(server.publicUrl, 'GET', `/${created.json.id}/.well-known/jwks.json`)).status, 200);
    });

    test('leaves /health/alive and /health/ready open', async () => {
      assert.equal((await api(server.adminUrl, 'GET', '/health/alive')).status, 200);
      assert.equal((await api(server.adminUrl, 'GET', '/health/ready')).status, 200);
    });
  });
}
