// Hanko Public API (v0.12): a user's email addresses. GET/POST /emails, POST /emails/{id}/set_primary and
// DELETE /emails/{id}, with every status of the notes, and the profile's "add and verify" sequence (notes §10).
// Specification: /work/shared/notes/hanko-public-api.md §1 (cited as §n), checklist 12, the contract's differences.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';

import {
  HankoClient, UUID, assertHankoError, assertSessionToken, createHankoTenant, passcodeLogin, sessionTokenOf,
  signUpVerified, uniqueEmail,
} from './lib/hanko-public.mjs';
import { STORES, startServer, withServerLog } from './lib/server.mjs';
import { startSmtp } from './lib/smtp.mjs';

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

for (const store of STORES) {
  describe(`Hanko Public API: emails (${store})`, () => {
    let server;
    let smtp;
    let tenant; // require_verification on, max_num_of_addresses 5
    let immediate; // require_verification off, max_num_of_addresses 2
    const test = (name, fn) => it(name, withServerLog(() => server, fn));

    // A user of `immediate`, logged in by POST /users.
    async function immediateUser() {
      const client = new HankoClient(immediate);
      const email = uniqueEmail('now');
      const res = await client.post('/users', { email });
      sessionTokenOf(res);
      return { client, email, userId: res.json.user_id, emailId: res.json.email_id };
    }

    // Adds `address` to the client's user and proves it with the passcode sent there (the profile's sequence).
    async function addVerified(client, userId, address) {
      const added = await client.post('/emails', { address });
      assert.equal(added.status, 200, added.text);
      await passcodeLogin(client, smtp, { userId, emailId: added.json.id, to: address });
      return added.json.id;
    }

    before(async () => {
      smtp = await startSmtp();
      server = await startServer(store);
      tenant = await createHankoTenant(server, { smtp });
      immediate = await createHankoTenant(server,
        { smtp, hanko: { emails: { require_verification: false, max_num_of_addresses: 2 } } });
    });
    after(async () => {
      await server?.stop();
      await smtp?.stop();
    });

    test('GET /emails lists the user\'s addresses as {id, address, is_verified, is_primary}', async () => {
      const client = new HankoClient(tenant);
      const { emailId, email } = await signUpVerified(client, smtp);
      const res = await client.get('/emails');
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(res.json, [{ id: emailId, address: email, is_verified: true, is_primary: true }]);
    });

    test('POST /emails with verification: 200 with the new address, held back until its passcode is entered', async () => {
      const client = new HankoClient(tenant);
      const { userId, emailId, email } = await signUpVerified(client, smtp);
      const address = uniqueEmail('second');
      const added = await client.post('/emails', { address: address.toUpperCase() });
      assert.equal(added.status, 200, added.text);
      assert.match(added.json.id, UUID);
      assert.equal(added.json.address, address, 'lower-cased');
      assert.equal(added.json.verified, false);
      assert.match(added.json.created_at, RFC3339);
      assert.match(added.json.updated_at, RFC3339);
      assert.equal(added.json.user_id ?? null, null, 'not the user\'s before the passcode');
      assert.deepEqual((await client.get('/emails')).json.map((e) => e.id), [emailId]);

      // The profile verifies it with the user's session (notes §10): init with email_id, finalize.
      const { token } = await passcodeLogin(client, smtp, { userId, emailId: added.json.id, to: address });
      await assertSessionToken(tenant, token, { sub: userId, email: { address: email, is_primary: true, is_verified: true } });
      const listed = (await client.get('/emails')).json;
      assert.deepEqual(listed, [
        { id: emailId, address: email, is_verified: true, is_primary: true },
        { id: added.json.id, address, is_verified: true, is_primary: false },
      ], 'ordered by creation');
    });

    test('POST /emails without verification assigns the address at once', async () => {
      const { client, emailId, email } = await immediateUser();
      const address = uniqueEmail('direct');
      const added = await client.post('/emails', { address });
      assert.equal(added.status, 200, added.text);
      assert.equal(added.json.address, address);
      const listed = (await client.get('/emails')).json;
      assert.deepEqual(listed.map((e) => [e.id, e.address, e.is_primary]),
        [[emailId, email, true], [added.json.id, address, false]]);
    });

    test('POST /emails answers 409 when the user holds max_num_of_addresses', async () => {
      const { client } = await immediateUser();
      assert.equal((await client.post('/emails', { address: uniqueEmail('two') })).status, 200);
      assertHankoError(await client.post('/emails', { address: uniqueEmail('three') }), 409, 'Conflict');
      assert.equal((await client.get('/emails')).json.length, 2);
    });

    test('POST /emails answers 400 for an address another user holds, or this user', async () => {
      const client = new HankoClient(tenant);
      const { email } = await signUpVerified(client, smtp);
      const other = await signUpVerified(new HankoClient(tenant), smtp);
      assertHankoError(await client.post('/emails', { address: other.email }), 400);
      assertHankoError(await client.post('/emails', { address: email }), 400);
      const { client: elsewhere } = await immediateUser();
      const { email: taken } = await immediateUser();
      assertHankoError(await elsewhere.post('/emails', { address: taken }), 400);
    });

    test('POST /emails validates the address (difference 4)', async () => {
      const client = new HankoClient(tenant);
      await signUpVerified(client, smtp);
      assertHankoError(await client.post('/emails', { address: 'not-an-address' }), 400,
        'address must be a valid email address');
      assertHankoError(await client.post('/emails', {}), 400);
      assertHankoError(await client.post('/emails', { address: 42 }), 400);
    });

    test('POST /emails/{id}/set_primary (empty JSON body): 204, and the new primary is in the next token', async () => {
      const client = new HankoClient(tenant);
      const { userId, emailId, email } = await signUpVerified(client, smtp);
      const address = uniqueEmail('newprimary');
      const secondId = await addVerified(client, userId, address);
      const res = await client.postEmpty(`/emails/${secondId}/set_primary`);
      assert.equal(res.status, 204, res.text);
      assert.deepEqual((await client.get('/emails')).json, [
        { id: emailId, address: email, is_verified: true, is_primary: false },
        { id: secondId, address, is_verified: true, is_primary: true },
      ]);
      // Already primary: a no-op, 204.
      assert.equal((await client.postEmpty(`/emails/${secondId}/set_primary`)).status, 204);
      const { token } = await passcodeLogin(new HankoClient(tenant), smtp, { userId, to: address });
      await assertSessionToken(tenant, token, { sub: userId, email: { address, is_primary: true, is_verified: true } });
    });

    test('set_primary answers 404 for another user\'s address or an unknown id, 400 for an invalid id', async () => {
      const client = new HankoClient(tenant);
      await signUpVerified(client, smtp);
      const other = await signUpVerified(new HankoClient(tenant), smtp);
      assertHankoError(await client.postEmpty(`/emails/${other.emailId}/set_primary`), 404);
      assertHankoError(await client.postEmpty(`/emails/${randomUUID()}/set_primary`), 404);
      assertHankoError(await client.postEmpty('/emails/nope/set_primary'), 400);
      assert.equal((await new HankoClient(tenant).get('/emails', { bearer: other.token })).json[0].is_primary, true);
    });

    test('DELETE /emails/{id}: 204 for a secondary address, which is then free; 409 for the primary', async () => {
      const client = new HankoClient(tenant);
      const { userId, emailId, email } = await signUpVerified(client, smtp);
      const address = uniqueEmail('deleted');
      const secondId = await addVerified(client, userId, address);
      assertHankoError(await client.call('DELETE', `/emails/${emailId}`), 409, 'Conflict');
      const res = await client.call('DELETE', `/emails/${secondId}`);
      assert.equal(res.status, 204, res.text);
      assert.deepEqual((await client.get('/emails')).json, [{ id: emailId, address: email, is_verified: true,
        is_primary: true }]);
      assertHankoError(await new HankoClient(tenant).post('/user', { email: address }), 404, 'Not Found');
      // The address is free: another user can sign up with it.
      await signUpVerified(new HankoClient(tenant), smtp, address);
    });

    test('DELETE /emails/{id} answers 404 for an address the user does not hold (difference 3)', async () => {
      const client = new HankoClient(tenant);
      await signUpVerified(client, smtp);
      const other = await signUpVerified(new HankoClient(tenant), smtp);
      assertHankoError(await client.call('DELETE', `/emails/${other.emailId}`), 404);
      assertHankoError(await client.call('DELETE', `/emails/${randomUUID()}`), 404);
      const invalid = await client.call('DELETE', '/emails/nope');
      assert.ok([400, 404].includes(invalid.status), `${invalid.status} ${invalid.text}`);
      assertHankoError(invalid, invalid.status);
      assert.equal((await new HankoClient(tenant).get('/emails', { bearer: other.token })).json.length, 1);
    });

    test('every emails route answers 401 without a session', async () => {
      const client = new HankoClient(tenant);
      const id = randomUUID();
      assertHankoError(await client.get('/emails'), 401, 'Unauthorized');
      assertHankoError(await client.post('/emails', { address: uniqueEmail('anon') }), 401, 'Unauthorized');
      assertHankoError(await client.postEmpty(`/emails/${id}/set_primary`), 401, 'Unauthorized');
      assertHankoError(await client.call('DELETE', `/emails/${id}`), 401, 'Unauthorized');
    });
  });
}
