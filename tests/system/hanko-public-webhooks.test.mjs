// Hanko Public API (v0.12): webhooks. A receiver in the test verifies every token exactly as Hanko tells receivers to
// (jose's createRemoteJWKSet on the tenant's /.well-known/jwks.json, then jwtVerify), and checks that each event
// arrives once, with the 0.12 body, token and data; the admin API's /webhooks routes; and a delivery that survives a
// restart of latchkey while the receiver is down.
// Specification: docs/research/hanko-v0.12-webhooks-and-token.md §1–§4 (cited as §n).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { randomUUID } from 'node:crypto';

import { createRemoteJWKSet, jwtVerify, decodeProtectedHeader } from 'jose';

import {
  HankoClient, RP_ID, UUID, configureHanko, createHankoTenant, hankoBlock, passcodeLogin, requestPasscode,
  signUp, sleep, uniqueEmail,
} from './lib/hanko-public.mjs';
import { api } from './lib/http.mjs';
import { STORES, startServer, withServerLog } from './lib/server.mjs';
import { startSmtp } from './lib/smtp.mjs';

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
const EVENTS = ['user', 'user.create', 'user.update', 'user.delete', 'user.update.email', 'user.update.email.create',
  'user.update.email.primary', 'user.update.email.delete', 'email.send'];

// An HTTP receiver on 127.0.0.1. Every POST is kept as it came, with its token verified against the JWKS of the tenant
// named by the first path segment (`/<tenant id>/...`), found through `jwksUrlOf(tenantId)`.
async function startReceiver(jwksUrlOf, { port = 0, status = 200 } = {}) {
  const received = [];
  const jwks = new Map();
  const keySet = (url) => {
    if (!jwks.has(url)) jwks.set(url, createRemoteJWKSet(new URL(url)));
    return jwks.get(url);
  };
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', async () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const entry = { path: req.url, method: req.method, headers: req.headers, text };
      try {
        entry.body = JSON.parse(text);
        const tenantId = req.url.split('/')[1];
        const { payload, protectedHeader } = await jwtVerify(entry.body.token, keySet(jwksUrlOf(tenantId)));
        entry.claims = payload;
        entry.header = protectedHeader;
      } catch (err) {
        entry.error = err.message;
      }
      received.push(entry);
      res.writeHead(status, { 'Content-Type': 'text/plain' });
      res.end('ok');
    });
  });
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    received,
    port: server.address().port,
    url: `http://127.0.0.1:${server.address().port}`,
    stop: () => new Promise((resolve) => { server.closeAllConnections(); server.close(resolve); }),
  };
}

// A port nothing listens on (the receiver comes back there later).
async function freePort() {
  const probe = createServer();
  await new Promise((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

async function waitFor(what, predicate, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = predicate();
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

// The body, header and claims of §2: `{"token","event"}` in that order, JSON, an RS256 JWT with kid and typ, claims
// sub/iat/exp/aud/evt/data and nothing else, exp five minutes after iat.
function assertDelivery(entry, event) {
  assert.equal(entry.error, undefined, `token verifies: ${entry.error} ${entry.text}`);
  assert.equal(entry.method, 'POST');
  assert.equal(entry.headers['content-type'], 'application/json');
  assert.deepEqual(Object.keys(entry.body), ['token', 'event']);
  assert.equal(entry.body.event, event);
  assert.deepEqual(decodeProtectedHeader(entry.body.token), entry.header);
  assert.equal(entry.header.alg, 'RS256');
  assert.equal(entry.header.typ, 'JWT');
  assert.match(entry.header.kid, UUID);
  assert.deepEqual(Object.keys(entry.claims).sort(), ['aud', 'data', 'evt', 'exp', 'iat', 'sub']);
  assert.equal(entry.claims.sub, 'hanko webhooks');
  assert.equal(entry.claims.evt, event);
  assert.deepEqual(entry.claims.aud, [RP_ID]);
  assert.equal(entry.claims.exp, entry.claims.iat + 300);
  assert.ok(Math.abs(entry.claims.iat - Date.now() / 1000) < 60, `iat ${entry.claims.iat}`);
  return entry.claims.data;
}

// The data of each delivery by its event, each event delivered once. Deliveries are posted concurrently, so their
// order is not the order of the changes (v0.12 posts each trigger from a goroutine of its own, in no order either).
function byEvent(entries) {
  const found = new Map();
  for (const entry of entries) {
    assert.ok(!found.has(entry.body.event), `${entry.body.event} twice`);
    found.set(entry.body.event, assertDelivery(entry, entry.body.event));
  }
  return (event) => {
    assert.ok(found.has(event), `${event} among ${[...found.keys()]}`);
    return found.get(event);
  };
}

// A user's `data` (§1.4): {id, emails?, webauthn_credentials?, created_at, updated_at}.
function assertUserData(data, { id, emails }) {
  assert.equal(data.id, id);
  assert.match(data.created_at, RFC3339);
  assert.match(data.updated_at, RFC3339);
  const addresses = (data.emails ?? []).map((email) => {
    assert.deepEqual(Object.keys(email).sort(), ['address', 'created_at', 'id', 'is_primary', 'is_verified', 'updated_at']);
    assert.match(email.id, UUID);
    return { address: email.address, is_primary: email.is_primary, is_verified: email.is_verified };
  });
  assert.deepEqual(addresses, emails);
  assert.equal(data.webauthn_credentials, undefined, 'no passkeys, no key');
}

for (const store of STORES) {
  describe(`Hanko Public API: webhooks (${store})`, () => {
    let server;
    let smtp;
    let receiver;
    const test = (name, fn) => it(name, withServerLog(() => server, fn));
    const jwksUrlOf = (tenantId) => `${server.publicUrl.replace(/\/+$/, '')}/${tenantId}/.well-known/jwks.json`;

    // A tenant whose configuration posts `events` to the receiver under /<tenant id>/config.
    async function hookedTenant(hanko = {}, events = ['user', 'email.send']) {
      const tenant = await createHankoTenant(server, { smtp, hanko: { account: { allow_deletion: true }, ...hanko } });
      tenant.hanko = await configureHanko(server, tenant, hankoBlock(smtp, {
        account: { allow_deletion: true },
        ...hanko,
        webhooks: { enabled: true, hooks: [{ callback: `${receiver.url}/${tenant.id}/config`, events }], ...hanko.webhooks },
      }));
      return tenant;
    }

    const deliveriesTo = (tenant, path = 'config') =>
      receiver.received.filter((entry) => entry.path === `/${tenant.id}/${path}`);

    // Waits until `count` deliveries reached the tenant's hook, then a little longer to see that no more come.
    async function delivered(tenant, count, path = 'config') {
      await waitFor(`${count} deliveries to ${tenant.id}/${path}`, () => deliveriesTo(tenant, path).length >= count);
      await sleep(300);
      const all = deliveriesTo(tenant, path);
      assert.equal(all.length, count, JSON.stringify(all.map((entry) => entry.body?.event)));
      return all;
    }

    before(async () => {
      smtp = await startSmtp();
      server = await startServer(store);
      receiver = await startReceiver(jwksUrlOf);
    });
    after(async () => {
      await server?.stop();
      await smtp?.stop();
      await receiver?.stop();
    });

    test('a sign-up with a passcode posts email.send after the mail, then user.create with the proven address (§1.3)',
      async () => {
        const tenant = await hookedTenant();
        const client = new HankoClient(tenant);
        const email = uniqueEmail('signup');
        const { userId, emailId } = await signUp(client, email);
        const { init, code, mail } = await requestPasscode(client, smtp,
          { userId, emailId, to: email, headers: { 'Accept-Language': 'en-US,en;q=0.9' } });
        const [sent] = await delivered(tenant, 1);
        const data = assertDelivery(sent, 'email.send');
        assert.deepEqual(data, {
          subject: mail.subject,
          body_plain: `Enter the following passcode to verify your identity:\n\n${code}\n\nThe passcode is valid for 5 minutes.`,
          to_email_address: email,
          delivered_by_hanko: true,
          accept_language: 'en-US,en;q=0.9',
          type: 'passcode',
          data: {
            service_name: 'Test Service',
            otp_code: code,
            ttl: 300,
            valid_until: Math.floor(Date.parse(init.json.created_at) / 1000) + 300,
          },
        });
        const res = await client.post('/passcode/login/finalize', { id: init.json.id, code });
        assert.equal(res.status, 200, res.text);
        const [, created] = await delivered(tenant, 2);
        assertUserData(assertDelivery(created, 'user.create'),
          { id: userId, emails: [{ address: email, is_primary: true, is_verified: true }] });
      });

    test('addresses added, made primary and removed post user.update.email.*, and DELETE /user posts the user as it '
      + 'was (§1.3)', async () => {
      const tenant = await hookedTenant({ emails: { require_verification: false } });
      const client = new HankoClient(tenant);
      const first = uniqueEmail('first');
      const signedUp = await client.post('/users', { email: first });
      assert.equal(signedUp.status, 200, signedUp.text);
      const userId = signedUp.json.user_id;
      const second = uniqueEmail('second');
      const added = await client.post('/emails', { address: second });
      assert.equal(added.status, 200, added.text);
      assert.equal((await client.postEmpty(`/emails/${added.json.id}/set_primary`)).status, 204);
      assert.equal((await client.call('DELETE', `/emails/${signedUp.json.email_id}`)).status, 204);
      assert.equal((await client.call('DELETE', '/user')).status, 204);

      const events = byEvent(await delivered(tenant, 5));
      const [create, addition, primary, removal, deletion] = ['user.create', 'user.update.email.create',
        'user.update.email.primary', 'user.update.email.delete', 'user.delete'].map((event) => events(event));
      assertUserData(create, { id: userId, emails: [{ address: first, is_primary: true, is_verified: false }] });
      assertUserData(addition, { id: userId, emails: [
        { address: first, is_primary: true, is_verified: false },
        { address: second, is_primary: false, is_verified: false }] });
      assertUserData(primary, { id: userId, emails: [
        { address: first, is_primary: false, is_verified: false },
        { address: second, is_primary: true, is_verified: false }] });
      assertUserData(removal, { id: userId, emails: [{ address: second, is_primary: true, is_verified: false }] });
      assertUserData(deletion, { id: userId, emails: [{ address: second, is_primary: true, is_verified: false }] });
    });

    test('the admin API\'s user and address changes post their events; a subscription matches by prefix (§1.2)',
      async () => {
        const tenant = await hookedTenant({}, ['user.update.email', 'user.delete']);
        const email = uniqueEmail('admin');
        const created = await api(server.adminUrl, 'POST', `/tenants/${tenant.id}/hanko/users`,
          { body: { emails: [{ address: email, is_primary: true, is_verified: true }] } });
        assert.equal(created.status, 200, created.text);
        const userId = created.json.id;
        const other = uniqueEmail('admin-other');
        const addedEmail = await api(server.adminUrl, 'POST', `/tenants/${tenant.id}/hanko/users/${userId}/emails`,
          { body: { address: other, is_verified: false } });
        assert.equal(addedEmail.status, 201, addedEmail.text);
        const base = `/tenants/${tenant.id}/hanko/users/${userId}/emails/${addedEmail.json.id}`;
        assert.equal((await api(server.adminUrl, 'POST', `${base}/set_primary`)).status, 204);
        const firstId = created.json.emails[0].id;
        assert.equal((await api(server.adminUrl, 'DELETE',
          `/tenants/${tenant.id}/hanko/users/${userId}/emails/${firstId}`)).status, 204);
        assert.equal((await api(server.adminUrl, 'DELETE', `/tenants/${tenant.id}/hanko/users/${userId}`)).status, 204);
        const events = byEvent(await delivered(tenant, 4));
        for (const event of ['user.update.email.create', 'user.update.email.primary', 'user.update.email.delete',
          'user.delete']) {
          assert.equal(events(event).id, userId, event);
        }
      });

    test('with email_delivery off, email.send carries the passcode for the deployment to send (§1.4)', async () => {
      const tenant = await hookedTenant({ email_delivery: { enabled: false } }, ['email.send']);
      const client = new HankoClient(tenant);
      const email = uniqueEmail('self-sent');
      const { userId, emailId } = await signUp(client, email);
      const init = await client.post('/passcode/login/initialize', { user_id: userId, email_id: emailId });
      assert.equal(init.status, 200, init.text);
      const [sent] = await delivered(tenant, 1);
      const data = assertDelivery(sent, 'email.send');
      assert.equal(data.delivered_by_hanko, false);
      assert.equal(typeof data.accept_language, 'string');
      assert.match(data.data.otp_code, /^\d{6}$/);
      const res = await client.post('/passcode/login/finalize', { id: init.json.id, code: data.data.otp_code });
      assert.equal(res.status, 200, 'the code in the event is the passcode');
    });

    test('nothing is posted while webhooks.enabled is off, not even to hooks added through the admin API', async () => {
      const tenant = await hookedTenant({ webhooks: { enabled: false } });
      const hook = await api(server.adminUrl, 'POST', `/tenants/${tenant.id}/hanko/webhooks`,
        { body: { callback: `${receiver.url}/${tenant.id}/db`, events: ['user'] } });
      assert.equal(hook.status, 201, hook.text);
      const created = await api(server.adminUrl, 'POST', `/tenants/${tenant.id}/hanko/users`,
        { body: { emails: [{ address: uniqueEmail('quiet'), is_primary: true }] } });
      assert.equal(created.status, 200, created.text);
      await sleep(2_500);
      assert.deepEqual(deliveriesTo(tenant), []);
      assert.deepEqual(deliveriesTo(tenant, 'db'), []);
    });

    test('a configured hook is checked when the configuration is set', async () => {
      const tenant = await createHankoTenant(server, { smtp });
      const shown = await api(server.adminUrl, 'GET', `/tenants/${tenant.id}`);
      for (const [hook, message] of [
        [{ callback: 'https://example.com/hook', events: ['email'] }, /hooks\[0\]: email in events\[0\] is not a valid webhook event/],
        [{ callback: 'example.com/hook', events: ['user'] }, /hooks\[0\]\.callback must be an absolute http or https URL/],
      ]) {
        const put = await api(server.adminUrl, 'PUT', `/tenants/${tenant.id}/config`, {
          body: { ...shown.json.config, hanko_public: hankoBlock(smtp, { webhooks: { enabled: true, hooks: [hook] } }) },
        });
        assert.equal(put.status, 400, put.text);
        assert.match(put.json.details, message);
      }
    });

    describe('admin API /webhooks (§4.3)', () => {
      test('POST creates an enabled hook (201), GET lists it beside the configured ones, PUT replaces its events and '
        + 'can disable it, DELETE removes it (204)', async () => {
        const tenant = await hookedTenant({}, ['email.send']);
        const path = `/tenants/${tenant.id}/hanko/webhooks`;
        const callback = `${receiver.url}/${tenant.id}/db`;
        const created = await api(server.adminUrl, 'POST', path, { body: { callback, events: ['user.create', 'user.delete'] } });
        assert.equal(created.status, 201, created.text);
        const hook = created.json;
        assert.deepEqual(Object.keys(hook), ['id', 'callback', 'enabled', 'failures', 'expires_at', 'events', 'created_at',
          'updated_at']);
        assert.match(hook.id, UUID);
        assert.equal(hook.callback, callback);
        assert.equal(hook.enabled, true);
        assert.equal(hook.failures, 0);
        assert.deepEqual(hook.events.map((e) => e.event), ['user.create', 'user.delete']);
        hook.events.forEach((e) => assert.match(e.id, UUID));
        const days = (Date.parse(hook.expires_at) - Date.parse(hook.created_at)) / 86_400_000;
        assert.equal(Math.round(days), 30);

        const listed = await api(server.adminUrl, 'GET', path);
        assert.equal(listed.status, 200, listed.text);
        assert.deepEqual(listed.json, {
          database: [hook],
          config: [{ callback: `${receiver.url}/${tenant.id}/config`, events: ['email.send'] }],
        });
        assert.deepEqual((await api(server.adminUrl, 'GET', `${path}/${hook.id}`)).json, hook);

        const user = await api(server.adminUrl, 'POST', `/tenants/${tenant.id}/hanko/users`,
          { body: { emails: [{ address: uniqueEmail('db'), is_primary: true }] } });
        const [first] = await delivered(tenant, 1, 'db');
        assert.equal(assertDelivery(first, 'user.create').id, user.json.id);

        const put = await api(server.adminUrl, 'PUT', `${path}/${hook.id}`,
          { body: { callback, events: ['user.update.email'], enabled: true } });
        assert.equal(put.status, 200, put.text);
        assert.deepEqual(put.json.events.map((e) => e.event), ['user.update.email']);
        const reread = await api(server.adminUrl, 'GET', `${path}/${hook.id}`);
        assert.deepEqual(reread.json, put.json, 'PUT keeps the new events (v0.12 lost them)');
        const added = await api(server.adminUrl, 'POST', `/tenants/${tenant.id}/hanko/users/${user.json.id}/emails`,
          { body: { address: uniqueEmail('db-added') } });
        assert.equal(added.status, 201, added.text);
        const [, second] = await delivered(tenant, 2, 'db');
        assertDelivery(second, 'user.update.email.create');

        const disabled = await api(server.adminUrl, 'PUT', `${path}/${hook.id}`,
          { body: { callback, events: ['user'], enabled: false } });
        assert.equal(disabled.status, 200, disabled.text);
        assert.equal(disabled.json.enabled, false);
        assert.equal((await api(server.adminUrl, 'DELETE', `/tenants/${tenant.id}/hanko/users/${user.json.id}`)).status, 204);
        await sleep(2_500);
        assert.equal(deliveriesTo(tenant, 'db').length, 2, 'a disabled hook gets nothing');

        const removed = await api(server.adminUrl, 'DELETE', `${path}/${hook.id}`);
        assert.equal(removed.status, 204);
        assert.equal(removed.text, '');
        const gone = await api(server.adminUrl, 'GET', `${path}/${hook.id}`);
        assert.equal(gone.status, 404);
        assert.equal(gone.json.title, `unable to find webhook with id: ${hook.id}`);
        assert.deepEqual((await api(server.adminUrl, 'GET', path)).json.database, []);
      });

      test('bad requests are 400s in the admin error format and write nothing; unknown hooks are 404s', async () => {
        const tenant = await hookedTenant();
        const path = `/tenants/${tenant.id}/hanko/webhooks`;
        const callback = `${receiver.url}/${tenant.id}/db`;
        for (const [body, details] of [
          [{ events: ['user'] }, /callback is a required field/],
          [{ callback }, /events is a required field/],
          [{ callback, events: [] }, /events is a required field/],
          [{ callback, events: ['email'] }, /email in events\[0\] is not a valid webhook event/],
          [{ callback, events: ['user', 'user'] }, /user in events\[1\] is listed twice/],
          [{ callback: 'not a url', events: ['user'] }, /invalid callback: must be an absolute http or https URL/],
          [{ callback: 'ftp://example.com/', events: ['user'] }, /invalid callback: must be an absolute http or https URL/],
        ]) {
          const res = await api(server.adminUrl, 'POST', path, { body });
          assert.equal(res.status, 400, `${JSON.stringify(body)}: ${res.text}`);
          assert.deepEqual(Object.keys(res.json).sort(), ['details', 'status', 'title']);
          assert.equal(res.json.title, 'unable to create webhook');
          assert.match(res.json.details, details);
        }
        const broken = await api(server.adminUrl, 'POST', path, { rawBody: '{"callback":' });
        assert.equal(broken.status, 400, broken.text);
        assert.deepEqual((await api(server.adminUrl, 'GET', path)).json.database, [], 'nothing half-written');

        const created = await api(server.adminUrl, 'POST', path, { body: { callback, events: EVENTS } });
        assert.equal(created.status, 201, 'all nine events are valid');
        const missingEnabled = await api(server.adminUrl, 'PUT', `${path}/${created.json.id}`,
          { body: { callback, events: ['user'] } });
        assert.equal(missingEnabled.status, 400, missingEnabled.text);
        assert.match(missingEnabled.json.details, /enabled is a required field/);
        const unknown = randomUUID();
        for (const method of ['GET', 'DELETE']) {
          const res = await api(server.adminUrl, method, `${path}/${unknown}`);
          assert.equal(res.status, 404, res.text);
          assert.equal(res.json.title, `unable to find webhook with id: ${unknown}`);
        }
        const put = await api(server.adminUrl, 'PUT', `${path}/${unknown}`,
          { body: { callback, events: ['user'], enabled: true } });
        assert.equal(put.status, 404, put.text);
        const badId = await api(server.adminUrl, 'GET', `${path}/not-a-uuid`);
        assert.equal(badId.status, 400, badId.text);
        const noApi = await api(server.adminUrl, 'GET', `/tenants/${randomUUID()}/hanko/webhooks`);
        assert.equal(noApi.status, 404, noApi.text);
      });
    });

    test('an event fired while the receiver is down is delivered once after latchkey restarts and the receiver is '
      + 'back', async () => {
      const port = await freePort();
      const tenant = await createHankoTenant(server, { smtp });
      await configureHanko(server, tenant, hankoBlock(smtp, {
        webhooks: { enabled: true, hooks: [{ callback: `http://127.0.0.1:${port}/${tenant.id}/late`, events: ['user'] }] },
      }));
      const created = await api(server.adminUrl, 'POST', `/tenants/${tenant.id}/hanko/users`,
        { body: { emails: [{ address: uniqueEmail('late'), is_primary: true }] } });
      assert.equal(created.status, 200, created.text);
      await waitFor('the first attempt to fail', () => server.log().includes('webhook not delivered'));
      await server.halt();
      const late = await startReceiver(jwksUrlOf, { port });
      try {
        await server.start();
        await waitFor('the delivery after the restart', () => late.received.length >= 1, 30_000);
        await sleep(2_500);
        assert.equal(late.received.length, 1, 'delivered exactly once');
        const data = assertDelivery(late.received[0], 'user.create');
        assert.equal(data.id, created.json.id);
      } finally {
        await late.stop();
      }
    });
  });
}
