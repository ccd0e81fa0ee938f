// The official Hanko JS SDK (@teamhanko/passkeys-sdk 0.2.1) against a real latchkey server, once per store:
// passkey registration and discoverable login, credential listing and removal, MFA registration and login.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { tenant } from '@teamhanko/passkeys-sdk';
import { SoftAuthenticator, b64url, fromB64url } from './lib/authenticator.mjs';
import { decode } from './lib/cbor.mjs';
import { decodeJwt, verifyJwt } from './lib/jwt.mjs';
import { STORES, createTenant, startServer, withServerLog } from './lib/server.mjs';

const ORIGIN = 'http://localhost:8080';
const RP_ID = 'localhost';
const ZERO_AAGUID = '00000000-0000-0000-0000-000000000000';

// The SDK hides HTTP statuses behind its error; record every response so failures can be asserted precisely.
const responses = [];
const realFetch = globalThis.fetch;
globalThis.fetch = async (input, init) => {
  const response = await realFetch(input, init);
  const request = input instanceof Request ? input : new Request(input, init);
  responses.push({ method: request.method, url: request.url, status: response.status });
  return response;
};
const lastResponse = () => responses.at(-1);

async function rejectsWith4xx(promise, what) {
  await assert.rejects(promise, (err) => {
    const { status, method, url } = lastResponse();
    assert.ok(status >= 400 && status < 500, `${what}: expected a 4xx from ${method} ${url}, got ${status}`);
    assert.equal(typeof err.originalError, 'object', `${what}: error body should be JSON, got ${err.originalError}`);
    assert.equal(err.originalError.status, status, `${what}: error body status`);
    assert.equal(typeof err.originalError.title, 'string', `${what}: error body title`);
    return true;
  });
}

// The COSE key as it appears inside the registration's attested credential data.
function coseKeyOf(registration) {
  const attestation = decode(fromB64url(registration.response.attestationObject));
  const authData = attestation.get('authData');
  const idLength = authData.readUInt16BE(53);
  return authData.subarray(55 + idLength);
}

function aaguidString(bytes) {
  const hex = Buffer.from(bytes).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

async function assertToken(sdk, token, { sub, cred }) {
  const jwks = await sdk.jwks();
  assert.ok(Array.isArray(jwks.keys) && jwks.keys.length > 0, `JWKS has keys: ${JSON.stringify(jwks)}`);
  for (const key of jwks.keys) {
    assert.equal(key.kty, 'RSA');
    assert.equal(key.alg, 'RS256');
    assert.equal(key.use, 'sig');
    assert.equal(typeof key.kid, 'string');
    assert.equal(key.d, undefined, 'JWKS must not publish private key material');
  }
  const { header } = decodeJwt(token);
  assert.equal(header.alg, 'RS256');
  assert.ok(jwks.keys.some((k) => k.kid === header.kid), `token kid ${header.kid} is in the JWKS`);
  const claims = await verifyJwt(token, jwks);
  assert.equal(claims.sub, sub);
  assert.deepEqual(claims.aud, [RP_ID]);
  assert.equal(claims.cred, cred);
  assert.ok(Number.isInteger(claims.iat), `iat is an integer: ${claims.iat}`);
  assert.equal(claims.exp, claims.iat + 300);
  return claims;
}

for (const store of STORES) {
  describe(`Hanko JS SDK against latchkey (${store})`, { timeout: 180_000 }, () => {
    let server;
    let sdk;
    let tenantId;
    const logged = (fn) => withServerLog(() => server, fn);

    before(async () => {
      server = await startServer(store);
      const created = await createTenant(server, { name: 'sdk', rpId: RP_ID, origins: [ORIGIN] });
      tenantId = created.id;
      sdk = tenant({ baseUrl: server.publicUrl, apiKey: created.api_key, tenantId });
    });

    after(async () => {
      await server?.stop();
    });

    describe('passkeys', () => {
      const userId = 'sdk-user-1';
      const authenticator = new SoftAuthenticator();
      let credential;

      test('a tenant made with `latchkey tenant create` works with the SDK immediately: registration', logged(async () => {
        const options = await sdk.registration.initialize({ userId, username: 'alice', displayName: 'Alice A.' });
        const pk = options.publicKey;
        assert.ok(pk, `options have publicKey: ${JSON.stringify(options)}`);
        assert.equal(pk.rp.id, RP_ID);
        assert.equal(pk.user.id, b64url(Buffer.from(userId)));
        assert.equal(pk.user.name, 'alice');
        assert.equal(pk.user.displayName, 'Alice A.');
        assert.equal(fromB64url(pk.challenge).length, 32);
        assert.equal(pk.pubKeyCredParams[0].alg, -7);

        credential = authenticator.create(options, ORIGIN);
        const { token } = await sdk.registration.finalize(credential);
        await assertToken(sdk, token, { sub: userId, cred: credential.id });
      }));

      test('discoverable login (login.initialize with no body)', logged(async () => {
        const options = await sdk.login.initialize();
        const pk = options.publicKey;
        assert.ok(pk, `options have publicKey: ${JSON.stringify(options)}`);
        assert.equal(pk.rpId, RP_ID);
        assert.equal(fromB64url(pk.challenge).length, 32);
        assert.ok(!pk.allowCredentials || pk.allowCredentials.length === 0, 'discoverable login lists no credentials');

        const assertion = authenticator.get(options, ORIGIN);
        assert.equal(assertion.id, credential.id);
        const { token } = await sdk.login.finalize(assertion);
        await assertToken(sdk, token, { sub: userId, cred: credential.id });
      }));

      test('a login challenge is single-use', logged(async () => {
        const options = await sdk.login.initialize();
        const assertion = authenticator.get(options, ORIGIN);
        await sdk.login.finalize(assertion);
        await rejectsWith4xx(sdk.login.finalize(authenticator.get(options, ORIGIN)), 'replayed login challenge');
      }));

      test('user(id).credentials() lists the passkey with the Hanko credential fields', logged(async () => {
        const list = await sdk.user(userId).credentials();
        assert.ok(Array.isArray(list), `credentials() returns an array: ${JSON.stringify(list)}`);
        assert.equal(list.length, 1);
        const [c] = list;
        assert.equal(c.id, credential.id);
        assert.equal(c.name, `cred-${credential.id}`);
        assert.equal(c.public_key, b64url(coseKeyOf(credential)));
        assert.equal(c.attestation_type, 'none');
        assert.equal(c.aaguid, ZERO_AAGUID);
        assert.equal(typeof c.created_at, 'string');
        assert.ok(!Number.isNaN(Date.parse(c.created_at)), `created_at parses: ${c.created_at}`);
        assert.equal(typeof c.last_used_at, 'string', 'last_used_at is set after a login');
        assert.ok(!Number.isNaN(Date.parse(c.last_used_at)), `last_used_at parses: ${c.last_used_at}`);
        assert.ok(Date.parse(c.last_used_at) >= Date.parse(c.created_at), 'last_used_at is not before created_at');
        assert.deepEqual(c.transports, ['internal']);
        assert.equal(c.backup_eligible, false);
        assert.equal(c.backup_state, false);
        assert.equal(c.is_mfa, false);
        assert.equal(c.user_id, userId);
        assert.deepEqual(await sdk.user('nobody-here').credentials(), []);
      }));

      test('credential(id).remove() removes it; logging in with it then fails', logged(async () => {
        assert.deepEqual(await sdk.credential(credential.id).remove(), {});
        assert.equal(lastResponse().status, 204);
        assert.deepEqual(await sdk.user(userId).credentials(), []);

        const options = await sdk.login.initialize();
        await rejectsWith4xx(sdk.login.finalize(authenticator.get(options, ORIGIN, { credentialId: credential.id })),
          'login with a removed credential');
        await rejectsWith4xx(sdk.credential(credential.id).remove(), 'removing it twice');
      }));
    });

    describe('packed attestation and backup flags', () => {
      const userId = 'sdk-user-packed';
      const aaguid = Buffer.from('f1d0f1d0f1d0f1d0f1d0f1d0f1d0f1d0', 'hex');
      const authenticator = new SoftAuthenticator({ aaguid, backupEligible: true, backupState: true });

      test('a packed self-attested, synced passkey registers, logs in and is listed as such', logged(async () => {
        const options = await sdk.registration.initialize({ userId, username: 'bob' });
        assert.equal(options.publicKey.user.displayName, 'bob', 'display name falls back to the username');
        const credential = authenticator.create(options, ORIGIN, { fmt: 'packed' });
        const { token } = await sdk.registration.finalize(credential);
        await assertToken(sdk, token, { sub: userId, cred: credential.id });

        const login = await sdk.login.initialize();
        const { token: loginToken } = await sdk.login.finalize(authenticator.get(login, ORIGIN));
        await assertToken(sdk, loginToken, { sub: userId, cred: credential.id });

        const [c] = await sdk.user(userId).credentials();
        assert.equal(c.id, credential.id);
        assert.equal(c.attestation_type, 'packed');
        assert.equal(c.aaguid, aaguidString(aaguid));
        assert.equal(c.backup_eligible, true);
        assert.equal(c.backup_state, true);
      }));
    });

    describe('MFA', () => {
      const userId = 'sdk-user-mfa';
      const securityKey = new SoftAuthenticator();
      let mfaCredential;

      test('user(id).mfa.registration registers a second-factor credential', logged(async () => {
        const options = await sdk.user(userId).mfa.registration.initialize({ username: 'carol', displayName: 'Carol' });
        const pk = options.publicKey;
        assert.ok(pk, `options have publicKey: ${JSON.stringify(options)}`);
        assert.equal(pk.rp.id, RP_ID);
        assert.equal(pk.user.id, b64url(Buffer.from(userId)));
        assert.equal(pk.authenticatorSelection.authenticatorAttachment, 'cross-platform');
        assert.equal(pk.authenticatorSelection.residentKey, 'discouraged');
        assert.equal(pk.authenticatorSelection.requireResidentKey, false);

        mfaCredential = securityKey.create(options, ORIGIN, { userVerified: false });
        const { token } = await sdk.user(userId).mfa.registration.finalize(mfaCredential);
        await assertToken(sdk, token, { sub: userId, cred: mfaCredential.id });

        const [c] = await sdk.user(userId).credentials();
        assert.equal(c.id, mfaCredential.id);
        assert.equal(c.is_mfa, true);
        assert.equal(c.user_id, userId);
      }));

      test('user(id).mfa.login logs in with it', logged(async () => {
        const options = await sdk.user(userId).mfa.login.initialize();
        const allowed = (options.publicKey?.allowCredentials ?? []).map((c) => c.id);
        assert.deepEqual(allowed, [mfaCredential.id]);
        for (const c of options.publicKey.allowCredentials) assert.equal(c.transports, undefined, 'transports are stripped');
        const assertion = securityKey.get(options, ORIGIN, { userVerified: false });
        const { token } = await sdk.user(userId).mfa.login.finalize(assertion);
        await assertToken(sdk, token, { sub: userId, cred: mfaCredential.id });
      }));

      test('an MFA credential cannot do a passkey login', logged(async () => {
        const options = await sdk.login.initialize();
        const assertion = securityKey.get(options, ORIGIN, { credentialId: mfaCredential.id });
        await rejectsWith4xx(sdk.login.finalize(assertion), 'passkey login with an MFA credential');
      }));

      test('MFA login offers and accepts the user\'s ordinary passkeys too', logged(async () => {
        const phone = new SoftAuthenticator();
        const options = await sdk.registration.initialize({ userId, username: 'carol' });
        const passkey = phone.create(options, ORIGIN);
        await sdk.registration.finalize(passkey);

        const login = await sdk.user(userId).mfa.login.initialize();
        const allowed = login.publicKey.allowCredentials.map((c) => c.id).sort();
        assert.deepEqual(allowed, [mfaCredential.id, passkey.id].sort());
        const { token } = await sdk.user(userId).mfa.login.finalize(phone.get(login, ORIGIN));
        await assertToken(sdk, token, { sub: userId, cred: passkey.id });
      }));

      test('MFA login of an unknown user fails with 4xx', logged(async () => {
        await rejectsWith4xx(sdk.user('no-such-user').mfa.login.initialize(), 'MFA login of an unknown user');
      }));
    });

    describe('API keys', () => {
      test('`latchkey apikey create` makes a key the SDK can use; a wrong key gets 401', logged(async () => {
        const out = server.cli(['apikey', 'create', '--tenant', tenantId, '--name', 'second']);
        assert.equal(out.status, 0, `apikey create: ${out.stderr}`);
        const { api_key: apiKey } = JSON.parse(out.stdout);
        const second = tenant({ baseUrl: server.publicUrl, apiKey, tenantId });
        assert.deepEqual(await second.user('nobody').credentials(), []);

        const wrong = tenant({ baseUrl: server.publicUrl, apiKey: `${apiKey}x`, tenantId });
        await rejectsWith4xx(wrong.registration.initialize({ userId: 'x', username: 'x' }), 'wrong API key');
        assert.equal(lastResponse().status, 401);
      }));
    });
  });
}
