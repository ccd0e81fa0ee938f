// Hanko Public API (v0.12): accounts. POST /user (lookup), POST /users (sign-up), GET /users/{id}, GET /me,
// POST /logout and DELETE /user, on tenants with verification on and off, sign-up off and deletion on.
// Specification: /work/shared/notes/hanko-public-api.md §1 (cited as §n) and the contract's deliberate differences
// (/work/prompts/hanko-public-contract.md, cited as "difference n").
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';

import {
  HankoClient, UUID, assertHankoError, assertSessionToken, cookieOf, createHankoTenant, passcodeLogin,
  sessionTokenOf, signUp, signUpVerified, uniqueEmail,
} from './lib/hanko-public.mjs';
import { STORES, startServer, withServerLog } from './lib/server.mjs';
import { startSmtp } from './lib/smtp.mjs';

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

for (const store of STORES) {
  describe(`Hanko Public API: accounts (${store})`, () => {
    let server;
    let smtp;
    let verifying; // the original's defaults: require_verification on, sign-up on, deletion off
    let immediate; // require_verification off: POST /users logs in at once
    let closed; // allow_signup off
    let deletable; // allow_deletion on
    const test = (name, fn) => it(name, withServerLog(() => server, fn));

    before(async () => {
      smtp = await startSmtp();
      server = await startServer(store);
      verifying = await createHankoTenant(server, { smtp });
      immediate = await createHankoTenant(server, { smtp, hanko: { emails: { require_verification: false } } });
      closed = await createHankoTenant(server, { smtp, hanko: { account: { allow_signup: false } } });
      deletable = await createHankoTenant(server, { smtp, hanko: { account: { allow_deletion: true } } });
    });
    after(async () => {
      await server?.stop();
      await smtp?.stop();
    });

    describe('POST /users (§1, checklist 8)', () => {
      test('signs up: 200 {id, user_id, email_id}, the hanko_email_id cookie, and no session while unverified', async () => {
        const client = new HankoClient(verifying);
        const res = await client.post('/users', { email: uniqueEmail('signup') });
        assert.equal(res.status, 200, res.text);
        assert.deepEqual(Object.keys(res.json).sort(), ['email_id', 'id', 'user_id']);
        assert.match(res.json.user_id, UUID);
        assert.match(res.json.email_id, UUID);
        assert.equal(res.json.id, res.json.user_id, 'the deprecated id is the user id');
        assert.equal(res.headers.get('x-session-lifetime'), null);
        assert.equal(res.headers.get('x-auth-token'), null);
        assert.equal(cookieOf(res, 'hanko'), undefined, 'no session before the passcode');
        // Legacy cookie: SameSite=None, Secure/HttpOnly/Domain from the session cookie settings, a session cookie.
        const legacy = cookieOf(res, 'hanko_email_id');
        assert.ok(legacy, res.headers.getSetCookie().join(' | '));
        assert.equal(legacy.value, res.json.email_id);
        assert.equal(legacy.attributes.samesite, 'None');
        assert.equal(legacy.attributes.secure, true);
        assert.equal(legacy.attributes.httponly, true);
        assert.equal(legacy.attributes['max-age'], undefined);
        assert.equal(legacy.attributes.expires, undefined);
        assert.equal(legacy.attributes.domain, undefined);
      });

      test('lower-cases the address', async () => {
        const client = new HankoClient(verifying);
        const email = uniqueEmail('MiXeD').toUpperCase();
        const { userId, emailId } = await signUp(client, email);
        await passcodeLogin(client, smtp, { userId, emailId, to: email.toLowerCase() });
        const found = await client.post('/user', { email: email.toLowerCase() });
        assert.equal(found.status, 200, found.text);
        assert.equal(found.json.id, userId);
      });

      test('a second sign-up of a pending address gets a new user and the same address', async () => {
        const email = uniqueEmail('pending');
        const first = await signUp(new HankoClient(verifying), email);
        const second = await signUp(new HankoClient(verifying), email);
        assert.notEqual(second.userId, first.userId);
        assert.equal(second.emailId, first.emailId);
      });

      test('answers 409 for an address a user holds', async () => {
        const { email } = await signUpVerified(new HankoClient(verifying), smtp);
        assertHankoError(await new HankoClient(verifying).post('/users', { email }), 409, 'Conflict');
        assertHankoError(await new HankoClient(verifying).post('/users', { email: email.toUpperCase() }), 409, 'Conflict');
      });

      test('validates the address: 400 with the validator\'s message', async () => {
        const client = new HankoClient(verifying);
        assertHankoError(await client.post('/users', {}), 400, 'email is a required field');
        assertHankoError(await client.postEmpty('/users'), 400, 'email is a required field');
        assertHankoError(await client.post('/users', { email: 'not-an-address' }), 400,
          'email must be a valid email address');
      });

      test('answers 403 when sign-up is off, before looking at the body', async () => {
        const client = new HankoClient(closed);
        assertHankoError(await client.post('/users', { email: uniqueEmail('closed') }), 403, 'Forbidden');
        assertHankoError(await client.post('/users', { email: 'not-an-address' }), 403, 'Forbidden');
        assertHankoError(await client.post('/user', { email: uniqueEmail('closed') }), 404, 'Not Found');
      });

      test('with require_verification off: a login response, the primary email and the hanko_email_id cookie', async () => {
        const client = new HankoClient(immediate);
        const email = uniqueEmail('immediate');
        const res = await client.post('/users', { email });
        const token = sessionTokenOf(res);
        assert.deepEqual(Object.keys(res.json).sort(), ['email_id', 'id', 'user_id']);
        assert.equal(cookieOf(res, 'hanko_email_id').value, res.json.email_id);
        const claims = await assertSessionToken(immediate, token, { sub: res.json.user_id });
        assert.equal(claims.email.address, email);
        assert.equal(claims.email.is_primary, true);
        const me = await client.get('/me');
        assert.equal(me.status, 200, me.text);
        assert.deepEqual(me.json, { id: res.json.user_id });
        const found = await client.post('/user', { email });
        assert.equal(found.status, 200, found.text);
        assert.equal(found.json.id, res.json.user_id);
        assert.equal(found.json.email_id, res.json.email_id);
        assertHankoError(await new HankoClient(immediate).post('/users', { email }), 409, 'Conflict');
      });
    });

    describe('POST /user (§1, checklist 7)', () => {
      test('finds a user by address: 200 {id, email_id, verified, has_webauthn_credential}', async () => {
        const { userId, emailId, email } = await signUpVerified(new HankoClient(verifying), smtp);
        const res = await new HankoClient(verifying).post('/user', { email: email.toUpperCase() });
        assert.equal(res.status, 200, res.text);
        assert.deepEqual(res.json, { id: userId, email_id: emailId, verified: true, has_webauthn_credential: false });
      });

      test('answers 404 for an unknown address and for a pending sign-up', async () => {
        const client = new HankoClient(verifying);
        assertHankoError(await client.post('/user', { email: uniqueEmail('nobody') }), 404, 'Not Found');
        const email = uniqueEmail('unverified');
        await signUp(client, email);
        assertHankoError(await client.post('/user', { email }), 404, 'Not Found');
      });

      test('validates the address and ignores unknown fields', async () => {
        const client = new HankoClient(verifying);
        assertHankoError(await client.post('/user', {}), 400, 'email is a required field');
        assertHankoError(await client.post('/user', { email: 'nope' }), 400, 'email must be a valid email address');
        assertHankoError(await client.post('/user', { email: uniqueEmail('extra'), extra: [1, 2] }), 404, 'Not Found');
      });
    });

    describe('GET /me and GET /users/{id} (§1)', () => {
      let alice;
      let aliceClient;
      let bob;
      before(async () => {
        aliceClient = new HankoClient(verifying);
        alice = await signUpVerified(aliceClient, smtp);
        bob = await signUpVerified(new HankoClient(verifying), smtp);
      });

      test('GET /me answers {"id": <sub>} for the session', async () => {
        const res = await aliceClient.get('/me');
        assert.equal(res.status, 200, res.text);
        assert.deepEqual(res.json, { id: alice.userId });
        const bearer = await new HankoClient(verifying).get('/me', { bearer: bob.token });
        assert.deepEqual(bearer.json, { id: bob.userId });
      });

      test('GET /users/{id} shows the session\'s own user', async () => {
        const res = await aliceClient.get(`/users/${alice.userId}`);
        assert.equal(res.status, 200, res.text);
        // webauthn_credentials may be [] or null (or left out) without passkeys: the SDK handles each.
        const { webauthn_credentials: _credentials, ...rest } = res.json;
        assert.deepEqual(Object.keys(rest).sort(), ['created_at', 'email', 'id', 'updated_at']);
        assert.equal(res.json.id, alice.userId);
        assert.equal(res.json.email, alice.email);
        assert.ok(res.json.webauthn_credentials === null || res.json.webauthn_credentials === undefined
          || (Array.isArray(res.json.webauthn_credentials) && res.json.webauthn_credentials.length === 0),
        JSON.stringify(res.json.webauthn_credentials));
        assert.match(res.json.created_at, RFC3339);
        assert.match(res.json.updated_at, RFC3339);
      });

      test('GET /users/{id} answers 403 for another user\'s id', async () => {
        assertHankoError(await aliceClient.get(`/users/${bob.userId}`), 403, 'Forbidden');
        assertHankoError(await aliceClient.get(`/users/${randomUUID()}`), 403, 'Forbidden');
      });

      test('both answer 401 without a session, or with a token that is not one', async () => {
        const anonymous = new HankoClient(verifying);
        assertHankoError(await anonymous.get('/me'), 401, 'Unauthorized');
        assertHankoError(await anonymous.get(`/users/${alice.userId}`), 401, 'Unauthorized');
        assertHankoError(await anonymous.get('/me', { bearer: 'not.a.jwt' }), 401, 'Unauthorized');
        assertHankoError(await anonymous.get('/me', { headers: { Cookie: 'hanko=garbage' } }), 401, 'Unauthorized');
      });
    });

    describe('POST /logout (§1, checklist 17, difference 2)', () => {
      test('answers 204 with the deletion cookie; the token is refused afterwards', async () => {
        const client = new HankoClient(verifying);
        const { token, userId } = await signUpVerified(client, smtp);
        assert.equal((await client.get('/me')).status, 200);
        const res = await client.postEmpty('/logout');
        assert.equal(res.status, 204, res.text);
        assert.equal(res.text, '');
        const deletion = cookieOf(res, 'hanko');
        assert.ok(deletion, res.headers.getSetCookie().join(' | '));
        assert.equal(deletion.value, '');
        assert.equal(deletion.attributes['max-age'], '0');
        assert.equal(deletion.attributes.path, '/');
        assert.equal(deletion.attributes.secure, true);
        assert.equal(deletion.attributes.httponly, true);
        assert.equal(deletion.attributes.samesite, 'Strict');
        assertHankoError(await new HankoClient(verifying).get('/me', { bearer: token }), 401, 'Unauthorized');
        assertHankoError(await new HankoClient(verifying).get('/me', { headers: { Cookie: `hanko=${token}` } }), 401,
          'Unauthorized');
        assertHankoError(await new HankoClient(verifying).get(`/users/${userId}`, { bearer: token }), 401,
          'Unauthorized');
        assertHankoError(await new HankoClient(verifying).postEmpty('/logout', { bearer: token }), 401, 'Unauthorized');
      });

      test('answers 401 without a session', async () => {
        assertHankoError(await new HankoClient(verifying).postEmpty('/logout'), 401, 'Unauthorized');
      });
    });

    describe('DELETE /user (§1, difference 2)', () => {
      test('answers 405 when account deletion is off (the route is not registered)', async () => {
        const client = new HankoClient(verifying);
        await signUpVerified(client, smtp);
        assertHankoError(await client.call('DELETE', '/user'), 405, 'Method Not Allowed');
        assert.equal((await client.get('/me')).status, 200, 'the account is still there');
      });

      test('deletes the account: 204, the deletion cookie, every session refused, the address free again', async () => {
        const client = new HankoClient(deletable);
        const { token, userId, emailId, email } = await signUpVerified(client, smtp);
        // A second session of the same user, from another device.
        const other = new HankoClient(deletable);
        const { token: otherToken } = await passcodeLogin(other, smtp, { userId, emailId, to: email });

        const res = await client.call('DELETE', '/user');
        assert.equal(res.status, 204, res.text);
        const deletion = cookieOf(res, 'hanko');
        assert.ok(deletion, res.headers.getSetCookie().join(' | '));
        assert.equal(deletion.value, '');
        assert.equal(deletion.attributes['max-age'], '0');
        assert.equal(deletion.attributes.path, '/');

        for (const bearer of [token, otherToken]) {
          assertHankoError(await new HankoClient(deletable).get('/me', { bearer }), 401, 'Unauthorized');
        }
        assertHankoError(await new HankoClient(deletable).post('/user', { email }), 404, 'Not Found');
        const again = await signUp(new HankoClient(deletable), email);
        assert.notEqual(again.userId, userId);
      });

      test('answers 401 without a session when deletion is on', async () => {
        assertHankoError(await new HankoClient(deletable).call('DELETE', '/user'), 401, 'Unauthorized');
      });
    });
  });
}
