// Passkey and MFA ceremonies of the Hanko passkey-server dialect over raw HTTP, played by a software authenticator
// against the `latchkey` binary. Specification: /work/shared/notes/hanko-passkey-server.md (cited as §n).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { SoftAuthenticator, b64url, fromB64url } from './lib/authenticator.mjs';
import { api } from './lib/http.mjs';
import { decodeJwt, verifyJwt } from './lib/jwt.mjs';
import { STORES, createTenant, startServer, withServerLog } from './lib/server.mjs';

const ORIGIN = 'http://localhost:8080';
const RP_ID = 'localhost';
// go-webauthn v0.10's default credential parameters, in its order (§4.1).
const ALGORITHMS = [-7, -35, -36, -257, -258, -259, -37, -38, -39, -8];

for (const store of STORES) {
  describe(`Hanko dialect: registration, login and MFA ceremonies (${store})`, () => {
    // Notes §4.1-§4.4 and §4.6 (ceremonies), §6 (tokens), §4.8 (JWKS).
    let server;
    let tenant;
    let base;
    let config; // the tenant's configuration as the admin API shows it
    const test = (name, fn) => it(name, withServerLog(() => server, fn));

    const call = (method, path, options = {}) => api(base, method, `/${tenant.id}${path}`, options);
    const keyed = (method, path, options = {}) => call(method, path, { apiKey: tenant.api_key, ...options });

    async function initRegistration(body, { mfa = false } = {}) {
      const res = await keyed('POST', `${mfa ? '/mfa' : ''}/registration/initialize`, { body });
      assert.equal(res.status, 200, res.text);
      return res.json;
    }

    // Registers a new credential of `authenticator` for `userId`; returns its id and the finalize token.
    async function register(authenticator, userId, { mfa = false, createOptions } = {}) {
      const options = await initRegistration({ user_id: userId, username: userId }, { mfa });
      const credential = authenticator.create(options, ORIGIN, createOptions);
      const done = await keyed('POST', `${mfa ? '/mfa' : ''}/registration/finalize`, { body: credential });
      assert.equal(done.status, 200, done.text);
      return { id: credential.id, token: done.json.token, credential };
    }

    async function initLogin(userId, { mfa = false } = {}) {
      const res = userId === undefined
        ? await call('POST', '/login/initialize', { body: {} })
        : await keyed('POST', `${mfa ? '/mfa' : ''}/login/initialize`, { body: { user_id: userId } });
      assert.equal(res.status, 200, res.text);
      return res.json;
    }

    async function finalizeLogin(assertion, { mfa = false } = {}) {
      return mfa
        ? keyed('POST', '/mfa/login/finalize', { body: assertion })
        : call('POST', '/login/finalize', { body: assertion });
    }

    async function jwks() {
      const res = await call('GET', '/.well-known/jwks.json');
      assert.equal(res.status, 200, res.text);
      return res;
    }

    // Verifies the token's signature with the tenant's JWKS and the claims of §6; returns the claims.
    async function assertToken(token, { sub, cred, trans }) {
      const { header } = decodeJwt(token);
      const claims = await verifyJwt(token, (await jwks()).json);
      assert.equal(header.alg, 'RS256');
      assert.equal(typeof header.kid, 'string');
      const expected = ['aud', 'cred', 'exp', 'iat', 'sub', ...(trans === undefined ? [] : ['trans'])].sort();
      assert.deepEqual(Object.keys(claims).sort(), expected, 'no iss, jti or nbf (§6)');
      assert.equal(claims.sub, sub);
      assert.deepEqual(claims.aud, [RP_ID]);
      assert.equal(claims.cred, cred);
      if (trans !== undefined) assert.equal(claims.trans, trans);
      assert.ok(Number.isInteger(claims.iat));
      assert.ok(Math.abs(claims.iat - Date.now() / 1000) < 60, `iat ${claims.iat} is now`);
      assert.equal(claims.exp, claims.iat + 300);
      return claims;
    }

    async function auditEvents(query) {
      const res = await keyed('GET', `/audit_logs?${query}`);
      assert.equal(res.status, 200, res.text);
      return res.json;
    }

    before(async () => {
      server = await startServer(store);
      base = server.publicUrl;
      tenant = await createTenant(server, { name: 'ceremonies' });
      const shown = await api(server.adminUrl, 'GET', `/tenants/${tenant.id}`);
      assert.equal(shown.status, 200, shown.text);
      config = shown.json.config;
    });
    after(async () => server?.stop());

    describe('registration/initialize (§4.1)', () => {
      // §4.1: options as go-webauthn v0.10 emits them; no excludeCredentials (§15.5).
      test('answers with creation options shaped as go-webauthn emits them', async () => {
        const options = await initRegistration({ user_id: 'shape-user', username: 'shape', display_name: 'Shape' });
        assert.deepEqual(Object.keys(options), ['publicKey']);
        const pk = options.publicKey;
        assert.deepEqual(Object.keys(pk).sort(),
          ['attestation', 'authenticatorSelection', 'challenge', 'pubKeyCredParams', 'rp', 'timeout', 'user']);
        assert.deepEqual(pk.rp, { name: config.webauthn.relying_party.display_name, id: RP_ID });
        assert.deepEqual(pk.user, { name: 'shape', displayName: 'Shape', id: b64url(Buffer.from('shape-user')) });
        assert.match(pk.challenge, /^[A-Za-z0-9_-]{43}$/, 'base64url of 32 bytes, no padding');
        assert.deepEqual(pk.pubKeyCredParams, ALGORITHMS.map((alg) => ({ type: 'public-key', alg })));
        assert.equal(pk.timeout, config.webauthn.timeout);
        assert.deepEqual(pk.authenticatorSelection,
          { requireResidentKey: true, residentKey: 'required', userVerification: 'required' });
        assert.equal(pk.attestation, 'direct');
      });

      test('answers 200 with a JSON content type (the SDK parses every 2xx body as JSON, §12)', async () => {
        const res = await keyed('POST', '/registration/initialize', { body: { user_id: 'ct-user', username: 'ct' } });
        assert.equal(res.status, 200, res.text);
        assert.match(res.headers.get('content-type'), /^application\/json/);
      });

      test('sends no excludeCredentials, even for a user who already has a passkey', async () => {
        await register(new SoftAuthenticator(), 'has-one');
        const options = await initRegistration({ user_id: 'has-one', username: 'has-one' });
        assert.equal(options.publicKey.excludeCredentials, undefined);
        assert.equal(options.publicKey.extensions, undefined);
      });

      test('uses the username as display name when display_name is absent or blank', async () => {
        const absent = await initRegistration({ user_id: 'no-display', username: 'Nobody' });
        assert.equal(absent.publicKey.user.displayName, 'Nobody');
        const blank = await initRegistration({ user_id: 'blank-display', username: 'Blank', display_name: '  ' });
        assert.equal(blank.publicKey.user.displayName, 'Blank');
      });

      test('passes the icon through when given', async () => {
        const options = await initRegistration({ user_id: 'iconic', username: 'i', icon: 'https://example.com/i.png' });
        assert.equal(options.publicKey.user.icon, 'https://example.com/i.png');
      });

      test('encodes any user_id string, not only UUIDs, as the UTF-8 bytes of the user handle', async () => {
        const userId = 'jürgen@example.com';
        const options = await initRegistration({ user_id: userId, username: 'j' });
        assert.equal(fromB64url(options.publicKey.user.id).toString('utf8'), userId);
      });

      test('issues a fresh challenge every time', async () => {
        const a = await initRegistration({ user_id: 'twice', username: 'twice' });
        const b = await initRegistration({ user_id: 'twice', username: 'twice' });
        assert.notEqual(a.publicKey.challenge, b.publicKey.challenge);
      });
    });

    describe('registration/finalize (§4.2, §6)', () => {
      // §4.2: verification and the stored credential; §6: the token.
      test('stores the credential and answers with a token for it', async () => {
        const authenticator = new SoftAuthenticator();
        const { id, token } = await register(authenticator, 'reg-user');
        await assertToken(token, { sub: 'reg-user', cred: id });
        const stored = await keyed('GET', `/credentials/${id}`);
        assert.equal(stored.status, 200, stored.text);
        assert.equal(stored.json.id, id);
        assert.equal(stored.json.user_id, 'reg-user');
        assert.equal(stored.json.is_mfa, false);
        assert.equal(stored.json.attestation_type, 'none');
        assert.deepEqual(stored.json.transports, ['internal']);
      });

      test('accepts packed self attestation and records the format as attestation_type', async () => {
        const { id } = await register(new SoftAuthenticator(), 'packed-user', { createOptions: { fmt: 'packed' } });
        const stored = await keyed('GET', `/credentials/${id}`);
        assert.equal(stored.json.attestation_type, 'packed');
      });

      test('does not need the API key (the browser calls it)', async () => {
        const options = await initRegistration({ user_id: 'browser-reg', username: 'b' });
        const credential = new SoftAuthenticator().create(options, ORIGIN);
        const done = await call('POST', '/registration/finalize', { body: credential });
        assert.equal(done.status, 200, done.text);
      });

      test('refuses a registration without user verification when the tenant requires it with 422', async () => {
        // §4.2: Hanko answers "User verification required but missing" with 422 (its Safari workaround).
        const options = await initRegistration({ user_id: 'no-uv', username: 'no-uv' });
        const credential = new SoftAuthenticator().create(options, ORIGIN, { userVerified: false });
        const res = await call('POST', '/registration/finalize', { body: credential });
        assert.equal(res.status, 422, res.text);
        assert.match(res.json.title, /^failed to validate attestation/);
      });

      test('records backup eligibility and state from the authenticator flags', async () => {
        const synced = new SoftAuthenticator({ backupEligible: true, backupState: true });
        const { id } = await register(synced, 'synced-user');
        const stored = await keyed('GET', `/credentials/${id}`);
        assert.equal(stored.json.backup_eligible, true);
        assert.equal(stored.json.backup_state, true);
      });
    });

    describe('login/initialize (§4.3)', () => {
      // §4.3: discoverable or named login, transports stripped, no mediation (§15.7); §15.6 for users without passkeys.
      let authenticator;
      let passkeyId;
      before(async () => {
        authenticator = new SoftAuthenticator();
        passkeyId = (await register(authenticator, 'login-user')).id;
      });

      test('offers a discoverable login without user_id: challenge, timeout, rpId, userVerification only', async () => {
        const options = await initLogin();
        assert.deepEqual(Object.keys(options), ['publicKey'], 'no mediation (§4.3)');
        assert.deepEqual(Object.keys(options.publicKey).sort(), ['challenge', 'rpId', 'timeout', 'userVerification']);
        assert.match(options.publicKey.challenge, /^[A-Za-z0-9_-]{43}$/);
        assert.equal(options.publicKey.rpId, RP_ID);
        assert.equal(options.publicKey.timeout, config.webauthn.timeout);
        assert.equal(options.publicKey.userVerification, 'required');
      });

      test('lists the user\'s passkeys without transports when user_id is given', async () => {
        const second = (await register(authenticator, 'login-user')).id;
        const options = await initLogin('login-user');
        assert.deepEqual(Object.keys(options), ['publicKey'], 'no mediation (§4.3)');
        assert.equal(options.publicKey.rpId, RP_ID);
        // Order is not part of the contract: compare both sides sorted by the same (code unit) order.
        const byId = (a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
        assert.deepEqual(
          [...options.publicKey.allowCredentials].sort(byId),
          [passkeyId, second].map((id) => ({ type: 'public-key', id })).sort(byId),
        );
      });

      test('answers 404 for an unknown user_id', async () => {
        const res = await keyed('POST', '/login/initialize', { body: { user_id: 'nobody-at-all' } });
        assert.equal(res.status, 404, res.text);
      });

      test('answers 400 for a user without passkeys', async () => {
        // §15.6: the original's 500 becomes a 400 "user has no suitable credentials".
        await initRegistration({ user_id: 'no-passkeys', username: 'no-passkeys' });
        const res = await keyed('POST', '/login/initialize', { body: { user_id: 'no-passkeys' } });
        assert.equal(res.status, 400, res.text);
      });
    });

    describe('login/finalize and tokens (§4.4, §4.8, §6)', () => {
      // §4.4 login/finalize, §4.8 JWKS, §6 token claims.
      let authenticator;
      let passkeyId;
      before(async () => {
        authenticator = new SoftAuthenticator();
        passkeyId = (await register(authenticator, 'token-user')).id;
      });

      test('logs in with a discoverable credential and answers with a token for its user', async () => {
        const assertion = authenticator.get(await initLogin(), ORIGIN, { credentialId: passkeyId });
        const res = await finalizeLogin(assertion);
        assert.equal(res.status, 200, res.text);
        // `signal` (the options of WebAuthn's signal methods, docs/signal-api.md) is latchkey's addition.
        assert.deepEqual(Object.keys(res.json), ['token', 'signal']);
        await assertToken(res.json.token, { sub: 'token-user', cred: passkeyId });
      });

      test('logs in a named user even when the assertion carries no user handle', async () => {
        const assertion = authenticator.get(await initLogin('token-user'), ORIGIN, { credentialId: passkeyId });
        assertion.response.userHandle = null;
        const res = await finalizeLogin(assertion);
        assert.equal(res.status, 200, res.text);
        await assertToken(res.json.token, { sub: 'token-user', cred: passkeyId });
      });

      test('refuses a login by another user\'s passkey when user_id named someone else', async () => {
        const other = new SoftAuthenticator();
        const otherId = (await register(other, 'token-other')).id;
        const options = await initLogin('token-user');
        const assertion = other.get(options, ORIGIN, { credentialId: otherId });
        const res = await finalizeLogin(assertion);
        assert.equal(res.status, 401, res.text);
      });

      test('refuses a login without user verification when the tenant requires it with 401', async () => {
        const assertion = authenticator.get(await initLogin(), ORIGIN, { credentialId: passkeyId, userVerified: false });
        assert.equal((await finalizeLogin(assertion)).status, 401);
      });

      test('publishes the signing keys as a JWKS cached for 600 seconds', async () => {
        const res = await jwks();
        assert.equal(res.headers.get('cache-control'), 'max-age=600');
        assert.ok(res.json.keys.length >= 1);
        for (const key of res.json.keys) {
          assert.deepEqual(Object.keys(key).sort(), ['alg', 'e', 'kid', 'kty', 'n', 'use']);
          assert.equal(key.kty, 'RSA');
          assert.equal(key.alg, 'RS256');
          assert.equal(key.use, 'sig');
          assert.equal(key.e, 'AQAB');
        }
      });

      test('records the login time on the credential', async () => {
        const before = Date.now();
        const assertion = authenticator.get(await initLogin(), ORIGIN, { credentialId: passkeyId });
        assert.equal((await finalizeLogin(assertion)).status, 200);
        const stored = await keyed('GET', `/credentials/${passkeyId}`);
        assert.ok(Date.parse(stored.json.last_used_at) >= before - 1000, stored.text);
      });
    });

    describe('MFA (§4.1, §4.2, §4.6)', () => {
      // §4.1/§4.2 MFA registration with the MFA defaults of §9, §4.6 MFA login, §14 MFA credentials kept out of
      // passkey login.
      let authenticator;
      let passkeyId;
      let mfaId;
      before(async () => {
        authenticator = new SoftAuthenticator();
        passkeyId = (await register(authenticator, 'mfa-user')).id;
      });

      test('offers MFA registration options with the MFA defaults', async () => {
        const options = await initRegistration({ user_id: 'mfa-user', username: 'mfa-user' }, { mfa: true });
        const pk = options.publicKey;
        assert.deepEqual(pk.authenticatorSelection, {
          authenticatorAttachment: 'cross-platform',
          requireResidentKey: false,
          residentKey: 'discouraged',
          userVerification: 'preferred',
        });
        assert.equal(pk.attestation, 'direct');
        assert.equal(pk.timeout, config.mfa.timeout);
        assert.deepEqual(pk.rp, { name: config.webauthn.relying_party.display_name, id: RP_ID });
        assert.deepEqual(pk.pubKeyCredParams, ALGORITHMS.map((alg) => ({ type: 'public-key', alg })));
      });

      test('requires the API key to finalize an MFA registration', async () => {
        const options = await initRegistration({ user_id: 'mfa-user', username: 'mfa-user' }, { mfa: true });
        const credential = new SoftAuthenticator().create(options, ORIGIN);
        const res = await call('POST', '/mfa/registration/finalize', { body: credential });
        assert.equal(res.status, 401, res.text);
      });

      test('registers an MFA credential flagged is_mfa and answers with a token', async () => {
        const registered = await register(authenticator, 'mfa-user', { mfa: true });
        mfaId = registered.id;
        await assertToken(registered.token, { sub: 'mfa-user', cred: mfaId });
        const stored = await keyed('GET', `/credentials/${mfaId}`);
        assert.equal(stored.json.is_mfa, true);
      });

      test('leaves MFA credentials out of a passkey login\'s allowCredentials', async () => {
        const options = await initLogin('mfa-user');
        assert.deepEqual(options.publicKey.allowCredentials, [{ type: 'public-key', id: passkeyId }]);
      });

      test('lists all of the user\'s credentials, MFA and passkeys, for an MFA login', async () => {
        const options = await initLogin('mfa-user', { mfa: true });
        const ids = options.publicKey.allowCredentials.map((c) => c.id).sort();
        assert.deepEqual(ids, [mfaId, passkeyId].sort());
        for (const descriptor of options.publicKey.allowCredentials) {
          assert.deepEqual(Object.keys(descriptor).sort(), ['id', 'type']);
        }
        assert.equal(options.publicKey.userVerification, 'preferred');
        assert.equal(options.publicKey.rpId, RP_ID);
      });

      test('logs in with the MFA credential through mfa/login', async () => {
        const assertion = authenticator.get(await initLogin('mfa-user', { mfa: true }), ORIGIN, { credentialId: mfaId });
        const res = await finalizeLogin(assertion, { mfa: true });
        assert.equal(res.status, 200, res.text);
        await assertToken(res.json.token, { sub: 'mfa-user', cred: mfaId });
      });

      test('also accepts a passkey through mfa/login', async () => {
        const assertion = authenticator.get(await initLogin('mfa-user', { mfa: true }), ORIGIN,
          { credentialId: passkeyId });
        const res = await finalizeLogin(assertion, { mfa: true });
        assert.equal(res.status, 200, res.text);
        await assertToken(res.json.token, { sub: 'mfa-user', cred: passkeyId });
      });

      test('refuses an MFA credential for a passkey login', async () => {
        const assertion = authenticator.get(await initLogin(), ORIGIN, { credentialId: mfaId });
        const res = await finalizeLogin(assertion);
        assert.ok(res.status >= 400 && res.status < 500, `${res.status}: ${res.text}`);
      });

      test('requires the API key for mfa/login', async () => {
        assert.equal((await call('POST', '/mfa/login/initialize', { body: { user_id: 'mfa-user' } })).status, 401);
        const assertion = authenticator.get(await initLogin('mfa-user', { mfa: true }), ORIGIN, { credentialId: mfaId });
        assert.equal((await call('POST', '/mfa/login/finalize', { body: assertion })).status, 401);
      });

      test('answers 404 for an MFA login of an unknown user', async () => {
        const res = await keyed('POST', '/mfa/login/initialize', { body: { user_id: 'nobody-mfa' } });
        assert.equal(res.status, 404, res.text);
      });

      test('answers 400 for a passkey login of a user who only has an MFA credential', async () => {
        // §14: MFA credentials are excluded from passkey login, so such a user has no suitable credential (§15.6).
        await register(new SoftAuthenticator(), 'mfa-only', { mfa: true });
        const res = await keyed('POST', '/login/initialize', { body: { user_id: 'mfa-only' } });
        assert.equal(res.status, 400, res.text);
      });
    });

    describe('signature counter (§15.11 as decided for latchkey: refuse regressions, allow 0)', () => {
      // §15.11 as latchkey decided it (counter rule `reject`, the default): a non-zero counter that does not
      // increase refuses the login and is audited; 0 means the authenticator keeps no counter.
      test('refuses a login whose non-zero counter does not increase, and audits it', async () => {
        const authenticator = new SoftAuthenticator();
        const { id } = await register(authenticator, 'counter-user', { createOptions: { signCount: 5 } });

        const same = authenticator.get(await initLogin(), ORIGIN, { credentialId: id, signCount: 5 });
        const refused = await finalizeLogin(same);
        assert.ok(refused.status >= 400 && refused.status < 500, `${refused.status}: ${refused.text}`);

        const higher = authenticator.get(await initLogin(), ORIGIN, { credentialId: id, signCount: 9 });
        assert.equal((await finalizeLogin(higher)).status, 200);

        const lower = authenticator.get(await initLogin(), ORIGIN, { credentialId: id, signCount: 7 });
        const refusedAgain = await finalizeLogin(lower);
        assert.ok(refusedAgain.status >= 400 && refusedAgain.status < 500, refusedAgain.text);

        const failures = await auditEvents('type=webauthn_authentication_final_failed&actor_user_id=counter-user');
        assert.equal(failures.length, 2, JSON.stringify(failures));
        for (const event of failures) {
          assert.equal(event.type, 'webauthn_authentication_final_failed');
          assert.equal(typeof event.error, 'string');
          assert.ok(event.error.length > 0);
        }
      });

      test('always accepts a counter of 0 (synced passkeys report none)', async () => {
        const authenticator = new SoftAuthenticator({ backupEligible: true, backupState: true });
        const { id } = await register(authenticator, 'synced-counter');
        for (let i = 0; i < 3; i += 1) {
          const assertion = authenticator.get(await initLogin(), ORIGIN, { credentialId: id, signCount: 0 });
          const res = await finalizeLogin(assertion);
          assert.equal(res.status, 200, res.text);
        }
      });
    });

    describe('registration re-uses the user (§4.1 upsert)', () => {
      // §4.1: registration upserts the user keyed by (tenant, user_id).
      test('overwrites name and display name of an existing user on a new registration', async () => {
        await register(new SoftAuthenticator(), 'renamed');
        await initRegistration({ user_id: 'renamed', username: 'New Name', display_name: 'New Display' });
        const users = await api(server.adminUrl, 'GET', `/tenants/${tenant.id}/users?per_page=100`);
        assert.equal(users.status, 200, users.text);
        const user = users.json.find((u) => u.user_id === 'renamed');
        assert.equal(user.name, 'New Name');
        assert.equal(user.display_name, 'New Display');
        assert.equal(users.json.filter((u) => u.user_id === 'renamed').length, 1);
      });
    });
  });
}
