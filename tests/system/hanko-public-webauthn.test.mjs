// Hanko Public API (v0.12): passkeys. Registration and login ceremonies played by a software authenticator, the
// options as go-webauthn v0.10 emits them for Hanko, and the credential list, rename and delete; a passkey registered
// here is the engine's credential, which the admin API lists.
// Specification: /work/shared/notes/hanko-public-api.md §1 (cited as §n), compatibility checklist items 10 and 11.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';

import { SoftAuthenticator, b64url, fromB64url } from './lib/authenticator.mjs';
import {
  ALGORITHMS, HankoClient, ORIGIN, RP_ID, RP_NAME, UUID, adminUserOf, assertHankoError, assertSessionToken,
  createHankoTenant, passkeyLogin, registerPasskey, sessionTokenOf, uniqueEmail, userHandleOf,
} from './lib/hanko-public.mjs';
import { STORES, startServer, withServerLog } from './lib/server.mjs';
import { startSmtp } from './lib/smtp.mjs';

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const CREDENTIAL_KEYS = ['aaguid', 'attestation_type', 'backup_eligible', 'backup_state', 'created_at', 'id',
  'last_used_at', 'public_key', 'transports'];

for (const store of STORES) {
  describe(`Hanko Public API: passkeys (${store})`, () => {
    let server;
    let smtp;
    let tenant; // require_verification off, so POST /users gives a session at once
    let strict; // webauthn.user_verification required, timeout 120000
    const test = (name, fn) => it(name, withServerLog(() => server, fn));

    // A user with a session (and a primary address, which registration needs for user.name).
    async function loggedIn(t = tenant) {
      const client = new HankoClient(t);
      const email = uniqueEmail('passkey');
      const res = await client.post('/users', { email });
      const token = sessionTokenOf(res);
      return { client, email, token, userId: res.json.user_id };
    }

    before(async () => {
      smtp = await startSmtp();
      server = await startServer(store);
      tenant = await createHankoTenant(server, { smtp, hanko: { emails: { require_verification: false } } });
      strict = await createHankoTenant(server, {
        smtp,
        hanko: { emails: { require_verification: false }, webauthn: { timeout: 120000, user_verification: 'required' } },
      });
    });
    after(async () => {
      await server?.stop();
      await smtp?.stop();
    });

    describe('registration (§1, checklist 10)', () => {
      test('initialize (empty JSON body) answers creation options wrapped in {"publicKey": ...}', async () => {
        const { client, email, userId } = await loggedIn();
        const res = await client.postEmpty('/webauthn/registration/initialize');
        assert.equal(res.status, 200, res.text);
        assert.deepEqual(Object.keys(res.json), ['publicKey']);
        const pk = res.json.publicKey;
        assert.deepEqual(Object.keys(pk).sort(),
          ['attestation', 'authenticatorSelection', 'challenge', 'pubKeyCredParams', 'rp', 'timeout', 'user']);
        assert.deepEqual(pk.rp, { name: RP_NAME, id: RP_ID });
        assert.deepEqual(pk.user, { name: email, displayName: email, id: userHandleOf(userId) });
        assert.equal(fromB64url(pk.user.id).length, 16);
        assert.match(pk.challenge, /^[A-Za-z0-9_-]{43}$/, 'base64url of 32 bytes, no padding');
        assert.deepEqual(pk.pubKeyCredParams, ALGORITHMS.map((alg) => ({ type: 'public-key', alg })));
        assert.equal(pk.timeout, 60000);
        assert.deepEqual(pk.authenticatorSelection,
          { requireResidentKey: true, residentKey: 'required', userVerification: 'preferred' });
        assert.equal(pk.attestation, 'direct');
      });

      test('initialize follows webauthn.timeout and webauthn.user_verification', async () => {
        const { client } = await loggedIn(strict);
        const res = await client.postEmpty('/webauthn/registration/initialize');
        assert.equal(res.status, 200, res.text);
        assert.equal(res.json.publicKey.timeout, 120000);
        assert.equal(res.json.publicKey.authenticatorSelection.userVerification, 'required');
      });

      test('initialize sends no excludeCredentials, even when the user has a passkey', async () => {
        const { client } = await loggedIn();
        await registerPasskey(client);
        const res = await client.postEmpty('/webauthn/registration/initialize');
        assert.equal(res.json.publicKey.excludeCredentials, undefined);
      });

      test('finalize stores the passkey: 200 {credential_id, user_id}', async () => {
        const { client, userId, email } = await loggedIn();
        const { credential, res } = await registerPasskey(client);
        assert.deepEqual(res.json, { credential_id: credential.id, user_id: userId });
        const user = await client.get(`/users/${userId}`);
        assert.deepEqual(user.json.webauthn_credentials, [{ id: credential.id }]);
        const lookup = await new HankoClient(tenant).post('/user', { email });
        assert.equal(lookup.json.has_webauthn_credential, true);
      });

      test('finalize accepts the SDK\'s extra top-level "transports" and unknown fields', async () => {
        const { client, userId } = await loggedIn();
        const init = await client.postEmpty('/webauthn/registration/initialize');
        const credential = new SoftAuthenticator().create(init.json, ORIGIN);
        const res = await client.post('/webauthn/registration/finalize',
          { ...credential, transports: credential.response.transports, somethingNew: true });
        assert.equal(res.status, 200, res.text);
        assert.equal(res.json.user_id, userId);
      });

      test('finalize answers 400 for a challenge it did not issue, or one issued to another user', async () => {
        const alice = await loggedIn();
        const bob = await loggedIn();
        const forged = new SoftAuthenticator().create({
          publicKey: { challenge: b64url(randomBytes(32)), rp: { id: RP_ID }, user: { id: userHandleOf(alice.userId) } },
        }, ORIGIN);
        assertHankoError(await alice.client.post('/webauthn/registration/finalize', forged), 400,
          'Stored challenge and received challenge do not match');
        const init = await alice.client.postEmpty('/webauthn/registration/initialize');
        const credential = new SoftAuthenticator().create(init.json, ORIGIN);
        assertHankoError(await bob.client.post('/webauthn/registration/finalize', credential), 400,
          'Stored challenge and received challenge do not match');
      });

      test('finalize answers 400 for an attestation that does not verify (wrong origin)', async () => {
        const { client } = await loggedIn();
        const init = await client.postEmpty('/webauthn/registration/initialize');
        const credential = new SoftAuthenticator().create(init.json, 'https://evil.example');
        assertHankoError(await client.post('/webauthn/registration/finalize', credential), 400,
          /^failed to validate attestation/);
      });

      test('finalize answers 422 when user verification is required and missing', async () => {
        const { client } = await loggedIn(strict);
        const init = await client.postEmpty('/webauthn/registration/initialize');
        const credential = new SoftAuthenticator().create(init.json, ORIGIN, { userVerified: false });
        assertHankoError(await client.post('/webauthn/registration/finalize', credential), 422,
          /^failed to validate attestation: /);
      });

      test('finalize answers 400 for a body that is no credential', async () => {
        const { client } = await loggedIn();
        assertHankoError(await client.post('/webauthn/registration/finalize', { id: 'x' }), 400);
        assertHankoError(await client.call('POST', '/webauthn/registration/finalize', { rawBody: '{"id":' }), 400);
      });

      test('both steps answer 401 without a session', async () => {
        const client = new HankoClient(tenant);
        assertHankoError(await client.postEmpty('/webauthn/registration/initialize'), 401, 'Unauthorized');
        assertHankoError(await client.post('/webauthn/registration/finalize', {}), 401, 'Unauthorized');
      });

      test('the admin API lists the passkey as the tenant\'s credential of that user', async () => {
        const { client, userId } = await loggedIn();
        const { credential } = await registerPasskey(client);
        const shown = await adminUserOf(server, tenant, userId);
        assert.ok(shown, `the admin API lists the Hanko user ${userId}`);
        assert.deepEqual(shown.credentials.map((c) => c.id), [credential.id]);
      });
    });

    describe('login (§1, checklist 10)', () => {
      let user;
      let authenticator;
      let credentialId;
      before(async () => {
        user = await loggedIn();
        authenticator = new SoftAuthenticator();
        ({ credential: { id: credentialId } } = await registerPasskey(user.client, authenticator));
      });

      test('initialize without a user answers discoverable options', async () => {
        const client = new HankoClient(tenant);
        for (const res of [await client.post('/webauthn/login/initialize', {}),
          await client.postEmpty('/webauthn/login/initialize')]) {
          assert.equal(res.status, 200, res.text);
          assert.deepEqual(Object.keys(res.json), ['publicKey']);
          assert.deepEqual(Object.keys(res.json.publicKey).sort(), ['challenge', 'rpId', 'timeout', 'userVerification']);
          assert.match(res.json.publicKey.challenge, /^[A-Za-z0-9_-]{43}$/);
          assert.equal(res.json.publicKey.rpId, RP_ID);
          assert.equal(res.json.publicKey.timeout, 60000);
          assert.equal(res.json.publicKey.userVerification, 'preferred');
        }
        const strictRes = await new HankoClient(strict).post('/webauthn/login/initialize', {});
        assert.equal(strictRes.json.publicKey.timeout, 120000);
        assert.equal(strictRes.json.publicKey.userVerification, 'required');
      });

      test('initialize with a user who has passkeys lists them, without transports', async () => {
        const res = await new HankoClient(tenant).post('/webauthn/login/initialize', { user_id: user.userId });
        assert.equal(res.status, 200, res.text);
        assert.deepEqual(res.json.publicKey.allowCredentials, [{ type: 'public-key', id: credentialId }]);
      });

      // An addition to the original (docs/extensions.md): the caller's PRF salts reach the options, checked first.
      test('initialize takes extension inputs into the options and refuses malformed ones', async () => {
        const client = new HankoClient(tenant);
        const salt = b64url(Buffer.from('a salt the application chose'));
        const res = await client.post('/webauthn/login/initialize',
          { user_id: user.userId, extensions: { prf: { eval: { first: salt } } } });
        assert.equal(res.status, 200, res.text);
        assert.deepEqual(res.json.publicKey.extensions, { prf: { eval: { first: salt } } });
        assert.deepEqual(res.json.publicKey.allowCredentials, [{ type: 'public-key', id: credentialId }]);
        assertHankoError(await client.post('/webauthn/login/initialize',
          { extensions: { prf: { eval: { first: `${salt}==` } } } }), 400);
        assertHankoError(await client.post('/webauthn/login/initialize',
          { extensions: { prf: { evalByCredential: { [credentialId]: { first: salt } } } } }), 400);
      });

      test('initialize with a user without passkeys answers discoverable options', async () => {
        const { userId } = await loggedIn();
        const res = await new HankoClient(tenant).post('/webauthn/login/initialize', { user_id: userId });
        assert.equal(res.status, 200, res.text);
        assert.equal(res.json.publicKey.allowCredentials, undefined);
      });

      test('initialize answers 400 for an unknown user and for an id that is not a UUID', async () => {
        const client = new HankoClient(tenant);
        assertHankoError(await client.post('/webauthn/login/initialize', { user_id: randomUUID() }), 400,
          'user not found');
        assertHankoError(await client.post('/webauthn/login/initialize', { user_id: 'nope' }), 400);
      });

      test('finalize logs in discoverably: a login response with {credential_id, user_id}', async () => {
        const client = new HankoClient(tenant);
        const res = await passkeyLogin(client, authenticator);
        const token = sessionTokenOf(res);
        // `signal` (the options of WebAuthn's signal methods, docs/signal-api.md) is latchkey's addition.
        const { signal, ...original } = res.json;
        assert.deepEqual(original, { credential_id: credentialId, user_id: user.userId });
        assert.deepEqual(signal.allAcceptedCredentials.allAcceptedCredentialIds, [credentialId]);
        await assertSessionToken(tenant, token, { sub: user.userId });
        assert.deepEqual((await client.get('/me')).json, { id: user.userId });
      });

      test('finalize logs in the user named at initialize', async () => {
        const client = new HankoClient(tenant);
        const res = await passkeyLogin(client, authenticator, { userId: user.userId });
        sessionTokenOf(res);
        const { signal, ...original } = res.json;
        assert.deepEqual(original, { credential_id: credentialId, user_id: user.userId });
        assert.equal(signal.currentUserDetails.userId, userHandleOf(user.userId));
      });

      test('finalize refreshes last_used_at and accepts a growing counter (persisted, difference 6)', async () => {
        const before = (await user.client.get('/webauthn/credentials')).json[0].last_used_at;
        await new Promise((r) => setTimeout(r, 1_100));
        sessionTokenOf(await passkeyLogin(new HankoClient(tenant), authenticator, { getOptions: { signCount: 50 } }));
        const after = (await user.client.get('/webauthn/credentials')).json[0].last_used_at;
        assert.ok(Date.parse(after) > Date.parse(before), `${before} -> ${after}`);
        sessionTokenOf(await passkeyLogin(new HankoClient(tenant), authenticator, { getOptions: { signCount: 51 } }));
      });

      test('finalize answers 401 when the challenge is replayed or unknown', async () => {
        const client = new HankoClient(tenant);
        const init = await client.post('/webauthn/login/initialize', {});
        const assertion = authenticator.get(init.json, ORIGIN);
        sessionTokenOf(await client.post('/webauthn/login/finalize', assertion));
        assertHankoError(await client.post('/webauthn/login/finalize', assertion), 401,
          'Stored challenge and received challenge do not match');
        const unknown = authenticator.get({ publicKey: { challenge: b64url(randomBytes(32)), rpId: RP_ID } }, ORIGIN);
        assertHankoError(await client.post('/webauthn/login/finalize', unknown), 401,
          'Stored challenge and received challenge do not match');
      });

      test('finalize answers 401 for a bad signature and for a user handle of no user', async () => {
        const client = new HankoClient(tenant);
        let init = await client.post('/webauthn/login/initialize', {});
        const tampered = authenticator.get(init.json, ORIGIN);
        const signature = fromB64url(tampered.response.signature);
        signature[signature.length - 1] ^= 0x01;
        tampered.response.signature = b64url(signature);
        assertHankoError(await client.post('/webauthn/login/finalize', tampered), 401, 'failed to validate assertion');

        init = await client.post('/webauthn/login/initialize', {});
        const stranger = authenticator.get(init.json, ORIGIN);
        stranger.response.userHandle = userHandleOf(randomUUID());
        assertHankoError(await client.post('/webauthn/login/finalize', stranger), 401);
        assert.equal(client.cookie('hanko'), undefined);
      });

      test('finalize answers 400 for a body that is no credential', async () => {
        const client = new HankoClient(tenant);
        assertHankoError(await client.post('/webauthn/login/finalize', {}), 400);
        assertHankoError(await client.call('POST', '/webauthn/login/finalize', { rawBody: '[1,' }), 400);
      });
    });

    describe('credentials (§1, checklist 11)', () => {
      test('lists the user\'s passkeys with the fields of the notes', async () => {
        const { client } = await loggedIn();
        const empty = await client.get('/webauthn/credentials');
        assert.equal(empty.status, 200, empty.text);
        assert.deepEqual(empty.json, []);
        const { credential } = await registerPasskey(client, new SoftAuthenticator({ backupEligible: true }));
        const res = await client.get('/webauthn/credentials');
        assert.equal(res.status, 200, res.text);
        assert.equal(res.json.length, 1);
        const [listed] = res.json;
        // No name: the all-zero AAGUID names no authenticator.
        assert.deepEqual(Object.keys(listed).sort(), CREDENTIAL_KEYS);
        assert.equal(listed.id, credential.id);
        assert.equal(listed.aaguid, '00000000-0000-0000-0000-000000000000');
        assert.equal(listed.attestation_type, 'none');
        assert.deepEqual(listed.transports, ['internal']);
        assert.equal(listed.backup_eligible, true);
        assert.equal(listed.backup_state, false);
        assert.match(listed.public_key, /^[A-Za-z0-9_-]+$/);
        assert.match(listed.created_at, RFC3339);
        assert.match(listed.last_used_at, RFC3339);
      });

      test('renames with PATCH (200, empty body); a null name is refused (400), unlike the original which clears it', async () => {
        const { client } = await loggedIn();
        const { credential } = await registerPasskey(client);
        const res = await client.call('PATCH', `/webauthn/credentials/${credential.id}`, { body: { name: 'Work laptop' } });
        assert.equal(res.status, 200, res.text);
        assert.equal(res.text, '');
        assert.equal((await client.get('/webauthn/credentials')).json[0].name, 'Work laptop');
        const cleared = await client.call('PATCH', `/webauthn/credentials/${credential.id}`, { body: { name: null } });
        assertHankoError(cleared, 400, 'name is a required field');
        assert.equal((await client.get('/webauthn/credentials')).json[0].name, 'Work laptop');
      });

      test('deletes with DELETE (204); the passkey no longer logs in', async () => {
        const { client, userId } = await loggedIn();
        const authenticator = new SoftAuthenticator();
        const { credential } = await registerPasskey(client, authenticator);
        const res = await client.call('DELETE', `/webauthn/credentials/${credential.id}`);
        assert.equal(res.status, 204, res.text);
        assert.deepEqual((await client.get('/webauthn/credentials')).json, []);
        const user = await client.get(`/users/${userId}`);
        assert.ok(!(user.json.webauthn_credentials ?? []).length, JSON.stringify(user.json));
        const refused = await passkeyLogin(new HankoClient(tenant), authenticator);
        // latchkey's addition: the options of signalUnknownCredential (docs/signal-api.md).
        assert.deepEqual(refused.json.signal, { unknownCredential: { rpId: RP_ID, credentialId: credential.id } });
        delete refused.json.signal;
        assertHankoError(refused, 401, 'failed to validate assertion');
        assert.equal((await adminUserOf(server, tenant, userId))?.credentials?.length ?? 0, 0);
      });

      test('answers 404 for another user\'s passkey and for an unknown id', async () => {
        const alice = await loggedIn();
        const bob = await loggedIn();
        const { credential } = await registerPasskey(bob.client);
        for (const id of [credential.id, b64url(randomBytes(32))]) {
          assertHankoError(await alice.client.call('PATCH', `/webauthn/credentials/${id}`, { body: { name: 'x' } }), 404);
          assertHankoError(await alice.client.call('DELETE', `/webauthn/credentials/${id}`), 404);
        }
        assert.equal((await bob.client.get('/webauthn/credentials')).json.length, 1, 'Bob\'s passkey is untouched');
      });

      test('answers 401 without a session', async () => {
        const client = new HankoClient(tenant);
        assertHankoError(await client.get('/webauthn/credentials'), 401, 'Unauthorized');
        assertHankoError(await client.call('PATCH', '/webauthn/credentials/abc', { body: { name: 'x' } }), 401,
          'Unauthorized');
        assertHankoError(await client.call('DELETE', '/webauthn/credentials/abc'), 401, 'Unauthorized');
      });
    });

    test('credential ids and user ids are what the ceremonies carry (UUIDs, base64url)', async () => {
      const { client, userId } = await loggedIn();
      assert.match(userId, UUID);
      const { credential, options } = await registerPasskey(client);
      assert.equal(Buffer.from(fromB64url(options.publicKey.user.id)).toString('hex'), userId.replace(/-/g, ''));
      assert.match(credential.id, /^[A-Za-z0-9_-]+$/);
    });
  });
}
