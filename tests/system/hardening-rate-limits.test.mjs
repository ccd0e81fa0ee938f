// Issue 10, item 1: what anyone may send without a key is budgeted per client address and per tenant, in memory and in
// Redis (shared by several servers): discoverable login starts, and finishes that fail. A refused request answers 429
// with Retry-After in the dialect's own error shape and writes no audit event.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';

import { SoftAuthenticator, b64url } from './lib/authenticator.mjs';
import { api } from './lib/http.mjs';
import { auditLog } from './lib/hardening.mjs';
import { KosmosClient, createOrganisation } from './lib/kosmos.mjs';
import { BIN, STORES, createTenant, startServer, withServerLog } from './lib/server.mjs';

const ORIGIN = 'http://localhost:8080';
const REDIS_URL = process.env.LATCHKEY_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const COUNTERS = ['memory', 'redis'];

// Addresses no other run uses, so counts a shared Redis still holds from earlier runs do not matter.
const address = () => `2001:db8:${randomBytes(2).toString('hex')}:${randomBytes(2).toString('hex')}::1`;

function assertHankoLimited(res) {
  assert.equal(res.status, 429, res.text);
  assert.deepEqual(Object.keys(res.json).sort(), ['details', 'status', 'title'], res.text);
  assert.equal(res.json.status, 429);
  assertRetryAfter(res);
}

function assertRetryAfter(res) {
  const retry = Number(res.headers.get('retry-after'));
  assert.ok(Number.isInteger(retry) && retry >= 1 && retry <= 86_400, `Retry-After: ${res.headers.get('retry-after')}`);
}

// A finish body that reaches the engine and fails there: no ceremony has this challenge.
const bogusAssertion = () => ({
  id: b64url(randomBytes(16)),
  rawId: b64url(randomBytes(16)),
  type: 'public-key',
  response: {
    clientDataJSON: b64url(Buffer.from(JSON.stringify({
      type: 'webauthn.get', challenge: b64url(randomBytes(32)), origin: ORIGIN,
    }))),
    authenticatorData: b64url(randomBytes(37)),
    signature: b64url(randomBytes(64)),
  },
});

describe('hardening: rate limits need the configured Redis at start', () => {
  it('refuses to start when Redis does not answer', () => {
    const out = spawnSync(BIN, ['serve'], {
      env: {
        ...process.env,
        LATCHKEY_DATABASE_URL: 'sqlite::memory:',
        LATCHKEY_LISTEN: '127.0.0.1:0',
        LATCHKEY_ADMIN_LISTEN: '127.0.0.1:0',
        LATCHKEY_RATE_LIMIT_REDIS_URL: 'redis://127.0.0.1:1',
      },
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.notEqual(out.status, 0, out.stderr);
    assert.match(out.stderr, /cannot reach Redis for the rate limits/, out.stderr);
  });
});

for (const store of STORES) {
  for (const counter of COUNTERS) {
    describe(`hardening: rate limits (${store}, ${counter})`, () => {
      let server;
      const test = (name, fn) => it(name, withServerLog(() => server, fn));
      const from = (ip) => ({ 'X-Forwarded-For': ip });

      before(async () => {
        server = await startServer(store, {
          env: {
            LATCHKEY_TRUSTED_PROXIES: '127.0.0.1',
            // A day: no window boundary falls inside a test run, practically.
            LATCHKEY_RATE_LIMIT_WINDOW_SECS: '86400',
            LATCHKEY_RATE_LIMIT_STARTS_PER_ADDRESS: '3',
            LATCHKEY_RATE_LIMIT_STARTS_PER_TENANT: '5',
            LATCHKEY_RATE_LIMIT_FAILURES_PER_ADDRESS: '2',
            LATCHKEY_RATE_LIMIT_FAILURES_PER_TENANT: '3',
            ...(counter === 'redis' ? { LATCHKEY_RATE_LIMIT_REDIS_URL: REDIS_URL } : {}),
          },
        });
      });
      after(() => server?.stop());

      test('limits discoverable login starts per address, then per tenant', async () => {
        const tenant = await createTenant(server);
        const start = (ip, t = tenant) => api(server.publicUrl, 'POST', `/${t.id}/login/initialize`,
          { body: {}, headers: from(ip) });
        const a = address();
        for (let i = 0; i < 3; i += 1) assert.equal((await start(a)).status, 200);
        const events = (await auditLog(server, tenant)).length;
        assertHankoLimited(await start(a));
        assert.equal((await auditLog(server, tenant)).length, events, 'a refused start writes no audit event');
        // The refused start did not count against the tenant: two more addresses' starts fit its 5.
        const b = address();
        assert.equal((await start(b)).status, 200);
        assert.equal((await start(b)).status, 200);
        assertHankoLimited(await start(b));
        assertHankoLimited(await start(address()));
        // Another tenant has its own budget.
        const other = await createTenant(server);
        assert.equal((await start(address(), other)).status, 200);
      });

      test('limits failing finishes per address and per tenant; successes are not charged', async () => {
        const tenant = await createTenant(server);
        const finish = (ip) => api(server.publicUrl, 'POST', `/${tenant.id}/login/finalize`,
          { body: bogusAssertion(), headers: from(ip) });
        const a = address();
        for (let i = 0; i < 2; i += 1) {
          const res = await finish(a);
          assert.equal(res.status, 401, res.text);
        }
        assertHankoLimited(await finish(a));
        const b = address();
        assert.equal((await finish(b)).status, 401);
        assertHankoLimited(await finish(b));

        // A fresh tenant: complete ceremonies from one address, more than its failure budget, all pass.
        const good = await createTenant(server);
        const authenticator = new SoftAuthenticator();
        const ip = address();
        const keyed = (path, body) => api(server.publicUrl, 'POST', `/${good.id}${path}`,
          { apiKey: good.api_key, body, headers: from(ip) });
        const userId = randomUUID();
        const options = await keyed('/registration/initialize', { user_id: userId, username: 'limited' });
        assert.equal(options.status, 200, options.text);
        const created = await keyed('/registration/finalize', authenticator.create(options.json, ORIGIN));
        assert.equal(created.status, 200, created.text);
        // Starts that name a user need the API key and are not budgeted: more than 3 pass.
        for (let i = 0; i < 4; i += 1) {
          const init = await keyed('/login/initialize', { user_id: userId });
          assert.equal(init.status, 200, init.text);
          const done = await keyed('/login/finalize', authenticator.get(init.json, ORIGIN));
          assert.equal(done.status, 200, done.text);
        }
      });

      test('answers 1Kosmos callers in their own shape', async () => {
        const dns = `limits-${randomBytes(4).toString('hex')}.example`;
        const { org, community, license } = await createOrganisation(server, { dns });
        const client = await KosmosClient.connect(server.publicUrl, license.license_key);
        const ip = address();
        const result = () => client.plain('POST', '/u1/assertion/result', {
          body: { ...bogusAssertion(), dns, communityId: community.id, tenantId: org.id },
          headers: from(ip),
        });
        for (let i = 0; i < 2; i += 1) {
          const res = await result();
          assert.ok(res.status >= 400 && res.status < 500 && res.status !== 429, `${res.status} ${res.text}`);
        }
        const limited = await result();
        assert.equal(limited.status, 429, limited.text);
        assert.deepEqual(Object.keys(limited.json).sort(), ['errorMessage', 'status'], limited.text);
        assert.equal(limited.json.status, 'failed');
        assertRetryAfter(limited);
      });
    });
  }
}
