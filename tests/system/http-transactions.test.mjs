// Transaction signing (Hanko passkey-server §4.5) over raw HTTP against the `latchkey` binary: a challenge bound to
// the transaction, single use, a `trans` claim in the token. Specification: /work/shared/notes/hanko-passkey-server.md.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';

import { SoftAuthenticator, fromB64url } from './lib/authenticator.mjs';
import { api } from './lib/http.mjs';
import { decodeJwt, verifyJwt } from './lib/jwt.mjs';
import { STORES, createTenant, startServer, withServerLog } from './lib/server.mjs';

const ORIGIN = 'http://localhost:8080';

// A JSON string as Go's encoding/json writes it: HTML-sensitive characters and the JS line separators escaped.
function goString(text) {
  return JSON.stringify(text)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

// A JSON value re-serialised as the original stores transaction_data (§4.5): compact, object keys sorted.
function goJson(value) {
  if (Array.isArray(value)) return `[${value.map(goJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.keys(value).sort().map((key) => `${goString(key)}:${goJson(value[key])}`).join(',')}}`;
  }
  return typeof value === 'string' ? goString(value) : JSON.stringify(value);
}

const sha256 = (data) => createHash('sha256').update(data).digest();

for (const store of STORES) {
  describe(`Hanko dialect: transactions (${store})`, () => {
    // §4.5 Transactions; §6 token claims.
    let server;
    let tenant;
    let base;
    const authenticator = new SoftAuthenticator();
    let credentialId;
    const test = (name, fn) => it(name, withServerLog(() => server, fn));

    const call = (method, path, options = {}) => api(base, method, `/${tenant.id}${path}`, options);
    const keyed = (method, path, options = {}) => call(method, path, { apiKey: tenant.api_key, ...options });

    async function register(auth, userId, { mfa = false } = {}) {
      const prefix = mfa ? '/mfa' : '';
      const init = await keyed('POST', `${prefix}/registration/initialize`, { body: { user_id: userId, username: userId } });
      assert.equal(init.status, 200, init.text);
      const credential = auth.create(init.json, ORIGIN);
      const done = await keyed('POST', `${prefix}/registration/finalize`, { body: credential });
      assert.equal(done.status, 200, done.text);
      return credential.id;
    }

    async function initTransaction(body) {
      const res = await keyed('POST', '/transaction/initialize', { body });
      assert.equal(res.status, 200, res.text);
      return res.json;
    }

    // The internal (latchkey) id of a user, from the admin API's user list.
    async function internalUserId(userId) {
      const users = await api(server.adminUrl, 'GET', `/tenants/${tenant.id}/users?per_page=100`);
      assert.equal(users.status, 200, users.text);
      const user = users.json.find((u) => u.user_id === userId);
      assert.ok(user, `user ${userId} in ${users.text}`);
      return user.id;
    }

    before(async () => {
      server = await startServer(store);
      base = server.publicUrl;
      tenant = await createTenant(server, { name: 'transactions' });
      credentialId = await register(authenticator, 'payer');
    });
    after(async () => server?.stop());

    describe('transaction/initialize', () => {
      // §4.5 transaction/initialize: 64-byte bound challenge, 409 reused id, 404 unknown user, 400 no credentials.
      test('binds the challenge: 32 random bytes, then SHA-256(transaction_id ‖ data as stored)', async () => {
        const data = {
          payee: { name: 'Müller & Söhne <GmbH>', iban: 'DE89370400440532013000' },
          amount: 4200,
          currency: 'EUR',
          items: [3, 'x', true, null, { b: 1, a: [] }],
          note: 'line\nbreak "quoted"',
        };
        const options = await initTransaction({ user_id: 'payer', transaction_id: 'tx-hash', transaction_data: data });
        const challenge = options.publicKey.challenge;
        assert.match(challenge, /^[A-Za-z0-9_-]{86}$/, '64 bytes in base64url without padding');
        const bytes = fromB64url(challenge);
        assert.equal(bytes.length, 64);
        const expected = sha256(Buffer.concat([Buffer.from('tx-hash'), Buffer.from(goJson(data))]));
        assert.equal(bytes.subarray(32).toString('hex'), expected.toString('hex'));
      });

      test('answers with login options listing the user\'s passkeys without transports', async () => {
        const options = await initTransaction({ user_id: 'payer', transaction_id: 'tx-shape', transaction_data: { a: 1 } });
        assert.deepEqual(Object.keys(options), ['publicKey']);
        assert.deepEqual(Object.keys(options.publicKey).sort(),
          ['allowCredentials', 'challenge', 'rpId', 'timeout', 'userVerification']);
        assert.deepEqual(options.publicKey.allowCredentials, [{ type: 'public-key', id: credentialId }]);
        assert.equal(options.publicKey.rpId, 'localhost');
      });

      test('accepts any JSON value as transaction_data', async () => {
        const options = await initTransaction(
          { user_id: 'payer', transaction_id: 'tx-string', transaction_data: 'pay 5 €' },
        );
        const expected = sha256(Buffer.from(`tx-string${goJson('pay 5 €')}`));
        assert.equal(fromB64url(options.publicKey.challenge).subarray(32).toString('hex'), expected.toString('hex'));
      });

      test('answers 409 "transaction already exists" for a reused transaction_id', async () => {
        await initTransaction({ user_id: 'payer', transaction_id: 'tx-dup', transaction_data: { n: 1 } });
        const res = await keyed('POST', '/transaction/initialize',
          { body: { user_id: 'payer', transaction_id: 'tx-dup', transaction_data: { n: 2 } } });
        assert.equal(res.status, 409, res.text);
        assert.equal(res.json.title, 'transaction already exists');
        assert.equal(res.json.status, 409);
      });

      test('answers 404 for an unknown user', async () => {
        const res = await keyed('POST', '/transaction/initialize',
          { body: { user_id: 'nobody', transaction_id: 'tx-nobody', transaction_data: {} } });
        assert.equal(res.status, 404, res.text);
        assert.equal(res.json.title, 'unable to find user');
      });

      test('answers 400 for a user without credentials', async () => {
        const init = await keyed('POST', '/registration/initialize', { body: { user_id: 'empty', username: 'empty' } });
        assert.equal(init.status, 200, init.text);
        const res = await keyed('POST', '/transaction/initialize',
          { body: { user_id: 'empty', transaction_id: 'tx-empty', transaction_data: {} } });
        assert.equal(res.status, 400, res.text);
        assert.equal(res.json.title, 'user has no suitable credentials for this operation');
      });

      test('answers 400 for a user whose only credential is an MFA one', async () => {
        // §14: MFA credentials are excluded from transactions.
        await register(new SoftAuthenticator(), 'mfa-payer', { mfa: true });
        const res = await keyed('POST', '/transaction/initialize',
          { body: { user_id: 'mfa-payer', transaction_id: 'tx-mfa', transaction_data: {} } });
        assert.equal(res.status, 400, res.text);
      });
    });

    describe('transaction/finalize', () => {
      // §4.5 transaction/finalize: `trans` claim (§6), single use and sessions typed by operation (§7).
      test('confirms the transaction with a token carrying the trans claim', async () => {
        const options = await initTransaction({ user_id: 'payer', transaction_id: 'tx-ok', transaction_data: { v: 1 } });
        const assertion = authenticator.get(options, ORIGIN, { credentialId });
        const res = await keyed('POST', '/transaction/finalize', { body: assertion });
        assert.equal(res.status, 200, res.text);
        const jwks = await call('GET', '/.well-known/jwks.json');
        const claims = await verifyJwt(res.json.token, jwks.json);
        assert.equal(decodeJwt(res.json.token).header.alg, 'RS256');
        assert.deepEqual(Object.keys(claims).sort(), ['aud', 'cred', 'exp', 'iat', 'sub', 'trans']);
        assert.equal(claims.trans, 'tx-ok');
        assert.equal(claims.sub, 'payer');
        assert.equal(claims.cred, credentialId);
        assert.deepEqual(claims.aud, ['localhost']);
        assert.equal(claims.exp, claims.iat + 300);
      });

      test('requires the API key', async () => {
        const options = await initTransaction({ user_id: 'payer', transaction_id: 'tx-nokey', transaction_data: {} });
        const assertion = authenticator.get(options, ORIGIN, { credentialId });
        assert.equal((await call('POST', '/transaction/finalize', { body: assertion })).status, 401);
      });

      test('refuses to confirm the same transaction twice', async () => {
        const options = await initTransaction({ user_id: 'payer', transaction_id: 'tx-replay', transaction_data: {} });
        const assertion = authenticator.get(options, ORIGIN, { credentialId });
        assert.equal((await keyed('POST', '/transaction/finalize', { body: assertion })).status, 200);
        const again = await keyed('POST', '/transaction/finalize', { body: assertion });
        assert.ok(again.status >= 400 && again.status < 500, `${again.status}: ${again.text}`);
      });

      test('does not let a transaction assertion log in, nor a login assertion confirm a transaction', async () => {
        const txOptions = await initTransaction({ user_id: 'payer', transaction_id: 'tx-cross', transaction_data: {} });
        const txAssertion = authenticator.get(txOptions, ORIGIN, { credentialId });
        const asLogin = await call('POST', '/login/finalize', { body: txAssertion });
        assert.ok(asLogin.status >= 400 && asLogin.status < 500, `${asLogin.status}: ${asLogin.text}`);

        const login = await call('POST', '/login/initialize', { body: {} });
        const loginAssertion = authenticator.get(login.json, ORIGIN, { credentialId });
        const asTransaction = await keyed('POST', '/transaction/finalize', { body: loginAssertion });
        assert.ok(asTransaction.status >= 400 && asTransaction.status < 500,
          `${asTransaction.status}: ${asTransaction.text}`);
      });

      test('refuses an assertion with a flipped signature byte with 401', async () => {
        const options = await initTransaction({ user_id: 'payer', transaction_id: 'tx-bad-sig', transaction_data: {} });
        const assertion = authenticator.get(options, ORIGIN, { credentialId });
        const signature = fromB64url(assertion.response.signature);
        signature[12] ^= 0x01;
        assertion.response.signature = signature.toString('base64url');
        assert.equal((await keyed('POST', '/transaction/finalize', { body: assertion })).status, 401);
      });
    });

    describe('GET /{tenant}/transaction/{user_uuid} (not in the spec)', () => {
      // §4.5 and §15.10; the internal user id comes from the admin API (§10).
      test('lists the user\'s transactions with the data as the server stored it', async () => {
        const data = { to: 'Bob & Co', amount: 12 };
        const options = await initTransaction({ user_id: 'payer', transaction_id: 'tx-listed', transaction_data: data });
        const assertion = authenticator.get(options, ORIGIN, { credentialId });
        assert.equal((await keyed('POST', '/transaction/finalize', { body: assertion })).status, 200);

        const userUuid = await internalUserId('payer');
        const res = await keyed('GET', `/transaction/${userUuid}`);
        assert.equal(res.status, 200, res.text);
        assert.ok(Array.isArray(res.json));
        const listed = res.json.find((t) => t.identifier === 'tx-listed');
        assert.ok(listed, res.text);
        assert.deepEqual(Object.keys(listed).sort(), ['created_at', 'data', 'id', 'identifier', 'updated_at']);
        assert.equal(listed.data, goJson(data));
        assert.match(listed.id, /^[0-9a-f-]{36}$/);
        assert.ok(!Number.isNaN(Date.parse(listed.created_at)));
        assert.ok(!Number.isNaN(Date.parse(listed.updated_at)));
        // Initialised transactions are kept whether or not they were confirmed (§4.5).
        assert.ok(res.json.some((t) => t.identifier === 'tx-dup'));
      });

      test('answers 400 for a user id that is not a UUID', async () => {
        const res = await keyed('GET', '/transaction/payer');
        assert.equal(res.status, 400, res.text);
        assert.deepEqual(Object.keys(res.json).sort(), ['details', 'status', 'title']);
      });

      test('does not show the transactions of another tenant\'s user', async () => {
        const userUuid = await internalUserId('payer');
        const other = await createTenant(server, { name: 'other' });
        const res = await api(base, 'GET', `/${other.id}/transaction/${userUuid}`, { apiKey: other.api_key });
        assert.ok(res.status === 404 || (res.status === 200 && res.json.length === 0), `${res.status}: ${res.text}`);
      });
    });

    describe('audit (§4.5, §5)', () => {
      // §4.5 and §5: transaction events carry the transaction id.
      test('records transaction events with the transaction id', async () => {
        const res = await keyed('GET',
          '/audit_logs?type=webauthn_transaction_init_succeeded&type=webauthn_transaction_final_succeeded&per_page=100');
        assert.equal(res.status, 200, res.text);
        const okInit = res.json.find((e) => e.type === 'webauthn_transaction_init_succeeded'
          && e.transaction_id === 'tx-ok');
        const okFinal = res.json.find((e) => e.type === 'webauthn_transaction_final_succeeded'
          && e.transaction_id === 'tx-ok');
        assert.ok(okInit, res.text);
        assert.ok(okFinal, res.text);
        assert.equal(okFinal.actor_user_id, 'payer');

        const failed = await keyed('GET', '/audit_logs?type=webauthn_transaction_init_failed&per_page=100');
        assert.ok(failed.json.some((e) => e.transaction_id === 'tx-dup' && typeof e.error === 'string'), failed.text);
        const finalFailed = await keyed('GET', '/audit_logs?type=webauthn_transaction_final_failed&per_page=100');
        assert.ok(finalFailed.json.length >= 1, finalFailed.text);
      });
    });

    test('answers a user UUID it does not know with 404 or an empty list', async () => {
      const res = await keyed('GET', `/transaction/${randomUUID()}`);
      assert.ok(res.status === 404 || (res.status === 200 && res.json.length === 0), `${res.status}: ${res.text}`);
    });
  });
}
