// Credential management and the audit log of the Hanko passkey-server dialect over raw HTTP against the `latchkey`
// binary, with pagination headers checked to the byte. Specification: /work/shared/notes/hanko-passkey-server.md.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { SoftAuthenticator, fromB64url } from './lib/authenticator.mjs';
import { decode as cborDecode } from './lib/cbor.mjs';
import { api } from './lib/http.mjs';
import { STORES, createTenant, startServer, withServerLog } from './lib/server.mjs';

const ORIGIN = 'http://localhost:8080';
const ZERO_AAGUID = '00000000-0000-0000-0000-000000000000';
const CREDENTIAL_FIELDS = ['aaguid', 'attestation_type', 'backup_eligible', 'backup_state', 'created_at', 'id',
  'is_mfa', 'last_used_at', 'name', 'public_key', 'transports', 'user_id'];
const AUDIT_REQUIRED = ['created_at', 'id', 'meta_http_request_id', 'meta_source_ip', 'meta_user_agent',
  'tenant_id', 'transaction_id', 'type', 'updated_at'];
const AUDIT_OPTIONAL = ['actor_user_id', 'error'];

// A query component as Go's url.QueryEscape writes it.
function goEscape(text) {
  return Array.from(Buffer.from(text, 'utf8'), (byte) => {
    const c = String.fromCharCode(byte);
    if (/[A-Za-z0-9\-_.~]/.test(c)) return c;
    if (c === ' ') return '+';
    return `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }).join('');
}

// The Link header of §8 for a request of `path` with `query` (other than page/per_page) at `page` of `perPage`.
function expectedLink(base, path, query, page, perPage, total) {
  const last = Math.max(1, Math.ceil(total / perPage));
  const url = (target) => {
    const params = { ...query, page: String(target), per_page: String(perPage) };
    const encoded = Object.keys(params).sort().map((key) => `${goEscape(key)}=${goEscape(params[key])}`).join('&');
    return `${base}${path}?${encoded}`;
  };
  const links = [];
  if (page !== 1 || page === last) links.push(`<${url(1)}>; rel="first"`);
  if (page !== last) links.push(`<${url(last)}>; rel="last"`);
  if (page < last) links.push(`<${url(page + 1)}>; rel="next"`);
  if (page > 1) links.push(`<${url(page - 1)}>; rel="prev"`);
  return links.join(',');
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

for (const store of STORES) {
  describe(`Hanko dialect: credentials and audit logs (${store})`, () => {
    // Notes §4.7 (credentials), §4.9 and §5 (audit log), §8 (pagination headers).
    let server;
    let base;
    const test = (name, fn) => it(name, withServerLog(() => server, fn));

    // Calls and flows bound to one tenant.
    function client(tenant) {
      const call = (method, path, options = {}) => api(base, method, `/${tenant.id}${path}`, options);
      const keyed = (method, path, options = {}) => call(method, path, { apiKey: tenant.api_key, ...options });
      async function register(authenticator, userId, { mfa = false, headers } = {}) {
        const prefix = mfa ? '/mfa' : '';
        const init = await keyed('POST', `${prefix}/registration/initialize`,
          { body: { user_id: userId, username: userId }, headers });
        assert.equal(init.status, 200, init.text);
        const credential = authenticator.create(init.json, ORIGIN);
        const done = await keyed('POST', `${prefix}/registration/finalize`, { body: credential, headers });
        assert.equal(done.status, 200, done.text);
        return credential.id;
      }
      async function initLogin(path, body) {
        const res = await keyed('POST', path, { body });
        assert.equal(res.status, 200, res.text);
        return res.json;
      }
      return { call, keyed, register, initLogin };
    }

    before(async () => {
      // The marked requests come "through a proxy" on loopback: only a trusted proxy's X-Forwarded-For is read.
      server = await startServer(store, { env: { LATCHKEY_TRUSTED_PROXIES: '127.0.0.1' } });
      base = server.publicUrl;
    });
    after(async () => server?.stop());

    describe('credentials (§4.7, §8)', () => {
      // §4.7 list, get, rename and delete; §8 X-Total-Count and Link.
      let tenant;
      let c;
      const authenticator = new SoftAuthenticator();
      const pagerIds = []; // oldest first
      const otherIds = [];
      const path = () => `/${tenant.id}/credentials`;

      before(async () => {
        tenant = await createTenant(server, { name: 'credentials' });
        c = client(tenant);
        for (let i = 0; i < 5; i += 1) {
          pagerIds.push(await c.register(authenticator, 'pager'));
          await sleep(5); // distinct created_at, so the order is defined
        }
        otherIds.push(await c.register(authenticator, 'other'));
        otherIds.push(await c.register(authenticator, 'other', { mfa: true }));
      });

      test('lists a user\'s credentials with the fields of §4.7, newest first', async () => {
        const res = await c.keyed('GET', '/credentials?user_id=pager');
        assert.equal(res.status, 200, res.text);
        assert.equal(res.headers.get('x-total-count'), '5');
        assert.deepEqual(res.json.map((cred) => cred.id), [...pagerIds].reverse());
        for (const cred of res.json) {
          assert.deepEqual(Object.keys(cred).sort(), CREDENTIAL_FIELDS);
          assert.equal(cred.user_id, 'pager');
          assert.equal(cred.name, `cred-${cred.id}`, 'unknown AAGUIDs are named after the credential (§4.2)');
          assert.equal(cred.aaguid, ZERO_AAGUID);
          assert.equal(cred.attestation_type, 'none');
          assert.deepEqual(cred.transports, ['internal']);
          assert.equal(cred.is_mfa, false);
          assert.equal(cred.backup_eligible, false);
          assert.equal(cred.backup_state, false);
          const cose = cborDecode(fromB64url(cred.public_key));
          assert.equal(cose.get(1), 2, 'public_key is the COSE key (EC2)');
          assert.equal(cose.get(3), -7);
          assert.ok(!Number.isNaN(Date.parse(cred.created_at)));
          assert.ok(!Number.isNaN(Date.parse(cred.last_used_at)));
        }
      });

      test('lists every credential of the tenant, passkeys and MFA, without user_id', async () => {
        const res = await c.keyed('GET', '/credentials');
        assert.equal(res.status, 200, res.text);
        assert.equal(res.headers.get('x-total-count'), '7');
        assert.deepEqual(new Set(res.json.map((cred) => cred.id)), new Set([...pagerIds, ...otherIds]));
        assert.equal(res.json.filter((cred) => cred.is_mfa).length, 1);
        assert.equal(res.headers.get('link'), expectedLink(base, path(), {}, 1, 20, 7));
      });

      test('answers an unknown user with an empty list', async () => {
        const res = await c.keyed('GET', '/credentials?user_id=nobody');
        assert.equal(res.status, 200, res.text);
        assert.equal(res.text.trim(), '[]');
        assert.equal(res.headers.get('x-total-count'), '0');
        assert.equal(res.headers.get('link'), expectedLink(base, path(), { user_id: 'nobody' }, 1, 20, 0));
      });

      test('pages with X-Total-Count and first/last/next/prev links', async () => {
        const seen = [];
        for (const page of [1, 2, 3]) {
          const res = await c.keyed('GET', `/credentials?user_id=pager&per_page=2&page=${page}`);
          assert.equal(res.status, 200, res.text);
          assert.equal(res.headers.get('x-total-count'), '5');
          assert.equal(res.headers.get('link'), expectedLink(base, path(), { user_id: 'pager' }, page, 2, 5),
            `page ${page}`);
          assert.equal(res.json.length, page === 3 ? 1 : 2);
          seen.push(...res.json.map((cred) => cred.id));
        }
        assert.deepEqual(seen, [...pagerIds].reverse());
      });

      test('writes exactly the documented links for the first, a middle and the last page', async () => {
        const at = (page) => `${base}${path()}?page=${page}&per_page=2&user_id=pager`;
        const first = await c.keyed('GET', '/credentials?user_id=pager&per_page=2');
        assert.equal(first.headers.get('link'), `<${at(3)}>; rel="last",<${at(2)}>; rel="next"`);
        const middle = await c.keyed('GET', '/credentials?page=2&per_page=2&user_id=pager');
        assert.equal(middle.headers.get('link'),
          `<${at(1)}>; rel="first",<${at(3)}>; rel="last",<${at(3)}>; rel="next",<${at(1)}>; rel="prev"`);
        const last = await c.keyed('GET', '/credentials?user_id=pager&page=3&per_page=2');
        assert.equal(last.headers.get('link'), `<${at(1)}>; rel="first",<${at(2)}>; rel="prev"`);
      });

      test('sorts the query keys of the links and keeps the order parameter', async () => {
        const res = await c.keyed('GET', '/credentials?user_id=pager&order=asc&per_page=2&page=2');
        assert.equal(res.headers.get('link'),
          expectedLink(base, path(), { user_id: 'pager', order: 'asc' }, 2, 2, 5));
        assert.match(res.headers.get('link'), /\?order=asc&page=1&per_page=2&user_id=pager>; rel="first"/);
      });

      test('escapes query values in the links as Go does', async () => {
        const res = await c.keyed('GET', `/credentials?user_id=${encodeURIComponent('a b@c/d')}`);
        assert.equal(res.status, 200, res.text);
        assert.equal(res.headers.get('link'),
          `<${base}${path()}?page=1&per_page=20&user_id=a+b%40c%2Fd>; rel="first"`);
      });

      test('orders by creation time: desc by default, asc on request', async () => {
        const desc = await c.keyed('GET', '/credentials?user_id=pager&order=desc');
        assert.deepEqual(desc.json.map((cred) => cred.id), [...pagerIds].reverse());
        const asc = await c.keyed('GET', '/credentials?user_id=pager&order=asc');
        assert.deepEqual(asc.json.map((cred) => cred.id), pagerIds);
      });

      test('treats page and per_page of 0 or less as the defaults 1 and 20', async () => {
        const res = await c.keyed('GET', '/credentials?user_id=pager&page=0&per_page=-3');
        assert.equal(res.status, 200, res.text);
        assert.equal(res.json.length, 5);
        assert.equal(res.headers.get('link'), expectedLink(base, path(), { user_id: 'pager' }, 1, 20, 5));
      });

      test('answers a page past the end with an empty list and links back', async () => {
        const res = await c.keyed('GET', '/credentials?user_id=pager&per_page=2&page=9');
        assert.equal(res.status, 200, res.text);
        assert.deepEqual(res.json, []);
        assert.equal(res.headers.get('x-total-count'), '5');
        assert.equal(res.headers.get('link'), expectedLink(base, path(), { user_id: 'pager' }, 9, 2, 5));
      });

      test('shows one credential as the list shows it', async () => {
        const listed = (await c.keyed('GET', '/credentials?user_id=pager')).json.find((cred) => cred.id === pagerIds[0]);
        const res = await c.keyed('GET', `/credentials/${pagerIds[0]}`);
        assert.equal(res.status, 200, res.text);
        assert.deepEqual(res.json, listed);
      });

      test('renames a credential with PATCH (204), visible afterwards', async () => {
        const res = await c.keyed('PATCH', `/credentials/${pagerIds[1]}`, { body: { name: 'Work laptop' } });
        assert.equal(res.status, 204, res.text);
        assert.equal(res.text, '');
        assert.equal((await c.keyed('GET', `/credentials/${pagerIds[1]}`)).json.name, 'Work laptop');
        const listed = (await c.keyed('GET', '/credentials?user_id=pager')).json;
        assert.equal(listed.find((cred) => cred.id === pagerIds[1]).name, 'Work laptop');
      });

      test('deletes a credential with DELETE (204); it is gone from the list and cannot log in', async () => {
        const res = await c.keyed('DELETE', `/credentials/${otherIds[0]}`);
        assert.equal(res.status, 204, res.text);
        assert.equal(res.text, '');
        assert.equal((await c.keyed('GET', `/credentials/${otherIds[0]}`)).status, 404);
        const listed = await c.keyed('GET', '/credentials?user_id=other');
        assert.deepEqual(listed.json.map((cred) => cred.id), [otherIds[1]]);
        assert.equal(listed.headers.get('x-total-count'), '1');
        assert.equal((await c.keyed('DELETE', `/credentials/${otherIds[0]}`)).status, 404);

        const login = await c.call('POST', '/login/initialize', { body: {} });
        const assertion = authenticator.get(login.json, ORIGIN, { credentialId: otherIds[0] });
        assert.equal((await c.call('POST', '/login/finalize', { body: assertion })).status, 401);
      });
    });

    describe('audit logs (§4.9, §5; failures persisted per §15.4)', () => {
      // §4.9 fields and filters, §5 event types, §15.3 type repeated or comma-separated, §15.4 failures persisted.
      let tenant;
      let c;
      let pivot; // an instant between the first and the second batch of events
      const authenticator = new SoftAuthenticator();
      const marked = { 'User-Agent': 'audit-agent/1.0', 'X-Forwarded-For': '203.0.113.7', 'X-Request-Id': 'audit-req-1' };

      const flipSignature = (assertion) => {
        const signature = fromB64url(assertion.response.signature);
        signature[10] ^= 0x01;
        return { ...assertion, response: { ...assertion.response, signature: signature.toString('base64url') } };
      };

      async function all(query = '') {
        const res = await c.keyed('GET', `/audit_logs?per_page=1000${query}`);
        assert.equal(res.status, 200, res.text);
        return res.json;
      }

      before(async () => {
        tenant = await createTenant(server, { name: 'audit' });
        c = client(tenant);

        // First batch: passkey registration and login, with marked request metadata on the registration.
        const passkey = await c.register(authenticator, 'audit-alice', { headers: marked });
        const badReg = await c.keyed('POST', '/registration/initialize',
          { body: { user_id: 'audit-alice', username: 'audit-alice' } });
        const wrongOrigin = authenticator.create(badReg.json, 'https://evil.example');
        assert.equal((await c.call('POST', '/registration/finalize', { body: wrongOrigin })).status, 400);

        const login = await c.initLogin('/login/initialize', { user_id: 'audit-alice' });
        assert.equal((await c.call('POST', '/login/finalize',
          { body: authenticator.get(login, ORIGIN, { credentialId: passkey }) })).status, 200);
        const badLogin = await c.initLogin('/login/initialize', {});
        assert.equal((await c.call('POST', '/login/finalize',
          { body: flipSignature(authenticator.get(badLogin, ORIGIN, { credentialId: passkey })) })).status, 401);
        assert.equal((await c.keyed('POST', '/login/initialize', { body: { user_id: 'ghost' } })).status, 404);

        await sleep(50);
        pivot = new Date().toISOString();
        await sleep(50);

        // Second batch: MFA, transactions, credential management.
        const mfa = await c.register(authenticator, 'audit-alice', { mfa: true });
        const badMfaReg = await c.keyed('POST', '/mfa/registration/initialize',
          { body: { user_id: 'audit-alice', username: 'audit-alice' } });
        assert.equal((await c.keyed('POST', '/mfa/registration/finalize',
          { body: authenticator.create(badMfaReg.json, 'https://evil.example') })).status, 400);
        const mfaLogin = await c.initLogin('/mfa/login/initialize', { user_id: 'audit-alice' });
        assert.equal((await c.keyed('POST', '/mfa/login/finalize',
          { body: authenticator.get(mfaLogin, ORIGIN, { credentialId: mfa }) })).status, 200);
        const badMfaLogin = await c.initLogin('/mfa/login/initialize', { user_id: 'audit-alice' });
        assert.equal((await c.keyed('POST', '/mfa/login/finalize',
          { body: flipSignature(authenticator.get(badMfaLogin, ORIGIN, { credentialId: mfa })) })).status, 401);
        assert.equal((await c.keyed('POST', '/mfa/login/initialize', { body: { user_id: 'ghost' } })).status, 404);

        const tx = await c.initLogin('/transaction/initialize',
          { user_id: 'audit-alice', transaction_id: 'audit-tx', transaction_data: { amount: 1 } });
        assert.equal((await c.keyed('POST', '/transaction/finalize',
          { body: authenticator.get(tx, ORIGIN, { credentialId: passkey }) })).status, 200);
        assert.equal((await c.keyed('POST', '/transaction/initialize',
          { body: { user_id: 'audit-alice', transaction_id: 'audit-tx', transaction_data: {} } })).status, 409);
        const badTx = await c.initLogin('/transaction/initialize',
          { user_id: 'audit-alice', transaction_id: 'audit-tx-2', transaction_data: {} });
        assert.equal((await c.keyed('POST', '/transaction/finalize',
          { body: flipSignature(authenticator.get(badTx, ORIGIN, { credentialId: passkey })) })).status, 401);

        assert.equal((await c.keyed('PATCH', `/credentials/${passkey}`, { body: { name: 'renamed' } })).status, 204);
        assert.equal((await c.keyed('DELETE', `/credentials/${mfa}`)).status, 204);
      });

      test('records every event type the flows produced, successes and failures', async () => {
        // webauthn_registration_init_failed and mfa_registration_init_failed are left out: a client cannot make a
        // registration start fail once its body is valid (invalid bodies are refused before any ceremony starts).
        const types = new Set((await all()).map((event) => event.type));
        for (const type of [
          'webauthn_registration_init_succeeded',
          'webauthn_registration_final_succeeded',
          'webauthn_registration_final_failed',
          'webauthn_authentication_init_succeeded',
          'webauthn_authentication_init_failed',
          'webauthn_authentication_final_succeeded',
          'webauthn_authentication_final_failed',
          'mfa_registration_init_succeeded',
          'mfa_registration_final_succeeded',
          'mfa_registration_final_failed',
          'mfa_authentication_init_succeeded',
          'mfa_authentication_init_failed',
          'mfa_authentication_final_succeeded',
          'mfa_authentication_final_failed',
          'webauthn_transaction_init_succeeded',
          'webauthn_transaction_init_failed',
          'webauthn_transaction_final_succeeded',
          'webauthn_transaction_final_failed',
          'webauthn_credential_updated',
          'webauthn_credential_deleted',
        ]) {
          assert.ok(types.has(type), `${type} in ${[...types].sort().join(', ')}`);
        }
      });

      test('shows each event with the fields of §4.9, newest first', async () => {
        const events = await all();
        for (const event of events) {
          const keys = Object.keys(event);
          for (const key of AUDIT_REQUIRED) assert.ok(keys.includes(key), `${key} in ${JSON.stringify(event)}`);
          for (const key of keys) assert.ok([...AUDIT_REQUIRED, ...AUDIT_OPTIONAL].includes(key), `unexpected ${key}`);
          assert.equal(event.tenant_id, tenant.id);
          assert.match(event.id, /^[0-9a-f-]{36}$/);
          assert.ok(event.transaction_id === null || typeof event.transaction_id === 'string');
        }
        const times = events.map((event) => Date.parse(event.created_at));
        assert.deepEqual(times, [...times].sort((a, b) => b - a));
        assert.equal(events.filter((e) => e.type.includes('transaction')).every((e) => e.transaction_id !== null), true);
        assert.equal(events.find((e) => e.type === 'webauthn_registration_init_succeeded').transaction_id, null);
      });

      test('keeps the request id, client address and user agent of the request', async () => {
        const events = await all('&type=webauthn_registration_final_succeeded');
        const marked = events.find((event) => event.meta_http_request_id === 'audit-req-1');
        assert.ok(marked, JSON.stringify(events));
        assert.equal(marked.meta_source_ip, '203.0.113.7');
        assert.equal(marked.meta_user_agent, 'audit-agent/1.0');
        assert.equal(marked.actor_user_id, 'audit-alice');
      });

      test('persists a failed login with its error', async () => {
        const failed = await all('&type=webauthn_authentication_final_failed');
        assert.equal(failed.length, 1, JSON.stringify(failed));
        assert.equal(typeof failed[0].error, 'string');
        assert.ok(failed[0].error.length > 0);
        assert.equal(failed[0].actor_user_id, 'audit-alice');
      });

      test('names the user on a credential update', async () => {
        const updated = await all('&type=webauthn_credential_updated');
        assert.equal(updated.length, 1);
        assert.equal(updated[0].actor_user_id, 'audit-alice');
      });

      test('filters by type given as repeated parameters or comma-separated', async () => {
        const everything = await all();
        const wanted = ['webauthn_registration_final_failed', 'mfa_authentication_final_failed'];
        const expected = everything.filter((event) => wanted.includes(event.type)).map((event) => event.id);
        assert.equal(expected.length, 2);
        const repeated = await all(`&type=${wanted[0]}&type=${wanted[1]}`);
        assert.deepEqual(repeated.map((event) => event.id), expected);
        const comma = await all(`&type=${wanted.join(',')}`);
        assert.deepEqual(comma.map((event) => event.id), expected);
      });

      test('filters by a substring of actor_user_id', async () => {
        const everything = await all();
        const res = await all('&actor_user_id=lice');
        assert.ok(res.length > 0);
        assert.deepEqual(res.map((e) => e.id),
          everything.filter((e) => (e.actor_user_id ?? '').includes('lice')).map((e) => e.id));
        assert.deepEqual(await all('&actor_user_id=zzz-nobody'), []);
      });

      test('filters by a substring of meta_source_ip', async () => {
        const res = await all('&meta_source_ip=203.0.113');
        assert.ok(res.length >= 2, JSON.stringify(res));
        assert.ok(res.every((event) => event.meta_source_ip === '203.0.113.7'));
        assert.deepEqual(await all('&meta_source_ip=198.51.100.9'), []);
      });

      test('searches source ip or actor with q', async () => {
        const everything = await all();
        const byIp = await all('&q=203.0.113');
        assert.deepEqual(byIp.map((e) => e.id),
          everything.filter((e) => e.meta_source_ip.includes('203.0.113')).map((e) => e.id));
        const byActor = await all('&q=audit-ali');
        assert.deepEqual(byActor.map((e) => e.id),
          everything.filter((e) => (e.actor_user_id ?? '').includes('audit-ali') || e.meta_source_ip.includes('audit-ali'))
            .map((e) => e.id));
        assert.ok(byActor.length > byIp.length);
      });

      test('filters by start_time and end_time (RFC 3339, exclusive)', async () => {
        const everything = await all();
        const pivotMs = Date.parse(pivot);
        const later = await all(`&start_time=${encodeURIComponent(pivot)}`);
        const earlier = await all(`&end_time=${encodeURIComponent(pivot)}`);
        assert.ok(later.length > 0 && earlier.length > 0);
        assert.equal(later.length + earlier.length, everything.length);
        assert.ok(later.every((event) => Date.parse(event.created_at) > pivotMs));
        assert.ok(earlier.every((event) => Date.parse(event.created_at) < pivotMs));
        assert.ok(later.some((event) => event.type === 'webauthn_credential_deleted'));
        assert.ok(earlier.some((event) => event.type === 'webauthn_registration_init_succeeded'));
        const window = await all(`&start_time=${encodeURIComponent(pivot)}&end_time=${encodeURIComponent(pivot)}`);
        assert.deepEqual(window, []);
      });

      test('pages the log with X-Total-Count and Link', async () => {
        const total = (await all()).length;
        const res = await c.keyed('GET', '/audit_logs?per_page=3&page=2&type=webauthn_registration_init_succeeded,'
          + 'mfa_registration_init_succeeded');
        assert.equal(res.status, 200, res.text);
        const filteredTotal = Number(res.headers.get('x-total-count'));
        assert.ok(filteredTotal >= 3);
        assert.equal(res.headers.get('link'), expectedLink(base, `/${tenant.id}/audit_logs`,
          { type: 'webauthn_registration_init_succeeded,mfa_registration_init_succeeded' }, 2, 3, filteredTotal));

        const page = await c.keyed('GET', '/audit_logs?per_page=4&page=2');
        assert.equal(page.headers.get('x-total-count'), String(total));
        assert.equal(page.headers.get('link'), expectedLink(base, `/${tenant.id}/audit_logs`, {}, 2, 4, total));
        assert.deepEqual(page.json.map((e) => e.id), (await all()).slice(4, 8).map((e) => e.id));
      });

      test('shows the same log on the admin API', async () => {
        const pub = await all();
        const admin = await api(server.adminUrl, 'GET', `/tenants/${tenant.id}/audit_logs?per_page=1000`);
        assert.equal(admin.status, 200, admin.text);
        assert.deepEqual(admin.json, pub);
      });

      test('keeps tenants apart: another tenant sees none of these events', async () => {
        const other = await createTenant(server, { name: 'audit-other' });
        const res = await api(base, 'GET', `/${other.id}/audit_logs`, { apiKey: other.api_key });
        assert.equal(res.status, 200, res.text);
        assert.deepEqual(res.json, []);
        assert.equal(res.headers.get('x-total-count'), '0');
      });
    });
  });
}
