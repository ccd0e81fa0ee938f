// Hanko Public API (v0.12): passwords. PUT /password and POST /password/login, which exist only when
// password.enabled is true; lengths counted as the original counts them (minimum in code points, maximum 72 bytes).
// Specification: /work/shared/notes/hanko-public-api.md §1 and §4 (cited as §n).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';

import {
  HankoClient, assertHankoError, assertSessionToken, createHankoTenant, sessionTokenOf, signUpVerified,
} from './lib/hanko-public.mjs';
import { STORES, startServer, withServerLog } from './lib/server.mjs';
import { startSmtp } from './lib/smtp.mjs';

// One code point, four UTF-8 bytes, two UTF-16 code units: counts differ by the way one counts.
const EMOJI = '\u{1F511}';

for (const store of STORES) {
  describe(`Hanko Public API: passwords (${store})`, () => {
    let server;
    let smtp;
    let tenant; // password.enabled, min_password_length 8
    let disabled; // the original's default: no passwords
    const test = (name, fn) => it(name, withServerLog(() => server, fn));

    const setPassword = (client, userId, password) => client.call('PUT', '/password',
      { body: { user_id: userId, password } });
    const passwordLogin = (client, userId, password) => client.post('/password/login', { user_id: userId, password });

    before(async () => {
      smtp = await startSmtp();
      server = await startServer(store);
      tenant = await createHankoTenant(server, { smtp, hanko: { password: { enabled: true, min_password_length: 8 } } });
      disabled = await createHankoTenant(server, { smtp });
    });
    after(async () => {
      await server?.stop();
      await smtp?.stop();
    });

    test('answers 404 on both routes when passwords are off (they are not registered)', async () => {
      const client = new HankoClient(disabled);
      const { userId } = await signUpVerified(client, smtp);
      assertHankoError(await setPassword(client, userId, 'correct horse battery'), 404, 'Not Found');
      assertHankoError(await passwordLogin(client, userId, 'correct horse battery'), 404, 'Not Found');
    });

    describe('PUT /password (§1, §4)', () => {
      test('answers 201 with body null when set, 200 with body null when replaced', async () => {
        const client = new HankoClient(tenant);
        const { userId } = await signUpVerified(client, smtp);
        const created = await setPassword(client, userId, 'first password');
        assert.equal(created.status, 201, created.text);
        assert.equal(created.text.trim(), 'null');
        const replaced = await setPassword(client, userId, 'second password');
        assert.equal(replaced.status, 200, replaced.text);
        assert.equal(replaced.text.trim(), 'null');
        assertHankoError(await passwordLogin(new HankoClient(tenant), userId, 'first password'), 401, 'Unauthorized');
        sessionTokenOf(await passwordLogin(new HankoClient(tenant), userId, 'second password'));
      });

      test('counts the minimum length in code points', async () => {
        const client = new HankoClient(tenant);
        const { userId } = await signUpVerified(client, smtp);
        // 7 code points are 14 UTF-16 units and 28 bytes: still too short.
        assertHankoError(await setPassword(client, userId, EMOJI.repeat(7)), 400,
          'password must be at least 8 characters long');
        assertHankoError(await setPassword(client, userId, 'short'), 400, 'password must be at least 8 characters long');
        assert.equal((await setPassword(client, userId, EMOJI.repeat(8))).status, 201);
        sessionTokenOf(await passwordLogin(new HankoClient(tenant), userId, EMOJI.repeat(8)));
      });

      test('refuses more than 72 bytes, and accepts exactly 72', async () => {
        const client = new HankoClient(tenant);
        const { userId } = await signUpVerified(client, smtp);
        // 19 code points, 76 bytes.
        assertHankoError(await setPassword(client, userId, EMOJI.repeat(19)), 400,
          'password must not be longer than 72 bytes');
        assertHankoError(await setPassword(client, userId, 'a'.repeat(73)), 400,
          'password must not be longer than 72 bytes');
        assert.equal((await setPassword(client, userId, EMOJI.repeat(18))).status, 201);
        sessionTokenOf(await passwordLogin(new HankoClient(tenant), userId, EMOJI.repeat(18)));
      });

      test('answers 403 for another user\'s id and 401 for an unknown one', async () => {
        const aliceClient = new HankoClient(tenant);
        await signUpVerified(aliceClient, smtp);
        const bob = await signUpVerified(new HankoClient(tenant), smtp);
        assertHankoError(await setPassword(aliceClient, bob.userId, 'not your password'), 403, 'Forbidden');
        assertHankoError(await setPassword(aliceClient, randomUUID(), 'not your password'), 401, 'Unauthorized');
        assertHankoError(await passwordLogin(new HankoClient(tenant), bob.userId, 'not your password'), 401,
          'Unauthorized');
      });

      test('answers 401 without a session and 400 for an invalid body', async () => {
        const client = new HankoClient(tenant);
        assertHankoError(await setPassword(client, randomUUID(), 'some password'), 401, 'Unauthorized');
        const { userId } = await signUpVerified(client, smtp);
        assertHankoError(await client.call('PUT', '/password', { body: { password: 'some password' } }), 400,
          'user_id is a required field');
        assertHankoError(await client.call('PUT', '/password', { body: { user_id: userId } }), 400,
          'password is a required field');
        assertHankoError(await client.call('PUT', '/password', { body: { user_id: 'nope', password: 'some password' } }),
          400, 'user_id must be a valid uuid4');
      });
    });

    describe('POST /password/login (§1, §4)', () => {
      let user;
      before(async () => {
        const client = new HankoClient(tenant);
        user = await signUpVerified(client, smtp);
        assert.equal((await setPassword(client, user.userId, 'the right password')).status, 201);
      });

      test('logs in: a login response with body null and a session token for the user', async () => {
        const client = new HankoClient(tenant);
        const res = await passwordLogin(client, user.userId, 'the right password');
        const token = sessionTokenOf(res);
        assert.equal(res.text.trim(), 'null');
        await assertSessionToken(tenant, token,
          { sub: user.userId, email: { address: user.email, is_primary: true, is_verified: true } });
        assert.deepEqual((await client.get('/me')).json, { id: user.userId });
      });

      test('answers 401 for a wrong password, an unknown user and a user without a password', async () => {
        const client = new HankoClient(tenant);
        assertHankoError(await passwordLogin(client, user.userId, 'the wrong password'), 401, 'Unauthorized');
        assertHankoError(await passwordLogin(client, user.userId, 'THE RIGHT PASSWORD'), 401, 'Unauthorized');
        assertHankoError(await passwordLogin(client, randomUUID(), 'the right password'), 401, 'Unauthorized');
        const { userId } = await signUpVerified(new HankoClient(tenant), smtp);
        assertHankoError(await passwordLogin(client, userId, 'the right password'), 401, 'Unauthorized');
        assert.equal(client.cookie('hanko'), undefined, 'no session was issued');
      });

      test('answers 400 for more than 72 bytes and for an invalid body', async () => {
        const client = new HankoClient(tenant);
        assertHankoError(await passwordLogin(client, user.userId, EMOJI.repeat(19)), 400, /72 bytes/);
        assertHankoError(await client.post('/password/login', { password: 'x' }), 400, 'user_id is a required field');
        assertHankoError(await client.post('/password/login', { user_id: user.userId }), 400,
          'password is a required field');
      });
    });
  });
}
