// The wire differences between latchkey's Hanko dialect and the original server that a real client can hit (issue
// 11), over real HTTP against the `latchkey` binary: each is matched, or is the deliberate difference
// docs/hanko-passkey-server.md lists. Specification: /work/shared/notes/hanko-passkey-server.md (cited as §n).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { connect } from 'node:net';

import { SoftAuthenticator, b64url } from './lib/authenticator.mjs';
import { api } from './lib/http.mjs';
import { STORES, createTenant, startServer, withServerLog } from './lib/server.mjs';

const ORIGIN = 'http://localhost:8080';
const JSON_UTF8 = 'application/json; charset=UTF-8';
const UV_MISSING = 'failed to validate attestation: Error validating the authenticator response: '
  + 'User verification required but flag not set by authenticator\n';

const sleep = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });

// base64url with the `=` padding hand-written mobile clients add.
const padded = (value) => value + '='.repeat((4 - (value.length % 4)) % 4);

function padAll(credential, fields) {
  const copy = structuredClone(credential);
  copy.rawId = padded(copy.rawId);
  for (const field of fields) copy.response[field] = padded(copy.response[field]);
  return copy;
}

// One raw HTTP/1.1 connection, so that a test sees exactly what a keep-alive client sees: the headers of a request
// can go out before its body, and every answer is read off the same socket.
class RawConnection {
  constructor(url) {
    const { hostname, port } = new URL(url);
    this.socket = connect({ host: hostname, port: Number(port) });
    this.buffer = Buffer.alloc(0);
    this.closed = false;
    this.waiters = [];
    this.socket.on('data', (chunk) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.wake();
    });
    this.socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    this.socket.on('error', () => {});
  }

  wake() {
    for (const waiter of this.waiters.splice(0)) waiter();
  }

  async until(ready) {
    for (;;) {
      const value = ready();
      if (value !== undefined) return value;
      if (this.closed) return undefined;
      await new Promise((resolve) => this.waiters.push(resolve));
    }
  }

  write(text) {
    this.socket.write(text);
  }

  // The next answer as { status, headers, body }, or undefined when the server closed the connection first.
  async response() {
    const head = await this.until(() => {
      const end = this.buffer.indexOf('\r\n\r\n');
      return end < 0 ? undefined : end;
    });
    if (head === undefined) return undefined;
    const [statusLine, ...lines] = this.buffer.subarray(0, head).toString('latin1').split('\r\n');
    const headers = Object.fromEntries(lines.map((line) => {
      const colon = line.indexOf(':');
      return [line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()];
    }));
    const length = Number(headers['content-length'] ?? 0);
    const body = await this.until(() => (this.buffer.length >= head + 4 + length
      ? this.buffer.subarray(head + 4, head + 4 + length).toString('utf8') : undefined));
    this.buffer = this.buffer.subarray(head + 4 + length);
    return { status: Number(statusLine.split(' ')[1]), headers, body };
  }

  async closedByServer() {
    return (await this.until(() => (this.buffer.length > 0 ? false : undefined))) === undefined;
  }

  end() {
    this.socket.destroy();
  }
}

for (const store of STORES) {
  describe(`Hanko dialect: parity with the original server (${store})`, () => {
    let server;
    let tenant;
    let base;
    const test = (name, fn) => it(name, withServerLog(() => server, fn));

    const call = (method, path, options = {}) => api(base, method, `/${tenant.id}${path}`, options);
    const keyed = (method, path, options = {}) => call(method, path, { apiKey: tenant.api_key, ...options });

    async function register(authenticator, userId, { mfa = false, finish = '/registration/finalize' } = {}) {
      const init = await keyed('POST', mfa ? '/mfa/registration/initialize' : '/registration/initialize',
        { body: { user_id: userId, username: userId } });
      assert.equal(init.status, 200, init.text);
      const credential = authenticator.create(init.json, ORIGIN);
      const done = await keyed('POST', finish, { body: credential });
      assert.equal(done.status, 200, done.text);
      return credential.id;
    }

    async function discoverableLogin(path = `/${tenant.id}`) {
      const init = await api(base, 'POST', `${path}/login/initialize`);
      assert.equal(init.status, 200, init.text);
      return init.json;
    }

    // A tenant made through the admin API with `config` laid over a short-timeout configuration.
    async function adminTenant(config = {}) {
      const created = await api(server.adminUrl, 'POST', '/tenants', {
        body: {
          display_name: 'parity',
          create_api_key: true,
          config: {
            cors: { allowed_origins: [ORIGIN], allow_unsafe_wildcard: false },
            webauthn: { relying_party: { id: 'localhost', display_name: 'Parity', origins: [ORIGIN] }, timeout: 1000 },
            ...config,
          },
        },
      });
      assert.equal(created.status, 201, created.text);
      return { id: created.json.id, apiKey: created.json.api_key.secret };
    }

    async function auditEvents(type) {
      const res = await keyed('GET', `/audit_logs?per_page=1000&type=${type}`);
      assert.equal(res.status, 200, res.text);
      return res.json;
    }

    before(async () => {
      server = await startServer(store);
      base = server.publicUrl;
      tenant = await createTenant(server);
    });
    after(async () => server?.stop());

    describe('1. discoverable logins wait for passkey autofill', () => {
      test('a discoverable login outlives the tenant timeout; a named login does not', async () => {
        const short = await adminTenant();
        const shown = await api(server.adminUrl, 'GET', `/tenants/${short.id}`);
        assert.deepEqual(shown.json.config.discoverable_login, { timeout: 3_600_000 });
        const authenticator = new SoftAuthenticator();
        const init = await api(base, 'POST', `/${short.id}/registration/initialize`,
          { apiKey: short.apiKey, body: { user_id: 'patient', username: 'patient' } });
        const done = await api(base, 'POST', `/${short.id}/registration/finalize`,
          { body: authenticator.create(init.json, ORIGIN) });
        assert.equal(done.status, 200, done.text);

        const autofill = await discoverableLogin(`/${short.id}`);
        // The options still announce the tenant's timeout, as the original's do.
        assert.equal(autofill.publicKey.timeout, 1000);
        const named = await api(base, 'POST', `/${short.id}/login/initialize`,
          { apiKey: short.apiKey, body: { user_id: 'patient' } });
        assert.equal(named.status, 200, named.text);
        await sleep(1500);

        const late = await api(base, 'POST', `/${short.id}/login/finalize`,
          { body: authenticator.get(autofill, ORIGIN) });
        assert.equal(late.status, 200, late.text);
        const expired = await api(base, 'POST', `/${short.id}/login/finalize`,
          { body: authenticator.get(named.json, ORIGIN) });
        assert.equal(expired.status, 401, expired.text);
        assert.equal(expired.json.title, 'failed to validate assertion');
        assert.equal(expired.json.details, 'Session has Expired');
      });

      test('the lifetime is a bounded tenant setting', async () => {
        const brief = await adminTenant({ discoverable_login: { timeout: 1000 } });
        const authenticator = new SoftAuthenticator();
        const init = await api(base, 'POST', `/${brief.id}/registration/initialize`,
          { apiKey: brief.apiKey, body: { user_id: 'gone', username: 'gone' } });
        await api(base, 'POST', `/${brief.id}/registration/finalize`, { body: authenticator.create(init.json, ORIGIN) });
        const autofill = await discoverableLogin(`/${brief.id}`);
        await sleep(1500);
        const expired = await api(base, 'POST', `/${brief.id}/login/finalize`,
          { body: authenticator.get(autofill, ORIGIN) });
        assert.equal(expired.status, 401, expired.text);
        assert.equal(expired.json.details, 'Session has Expired');

        const shown = await api(server.adminUrl, 'GET', `/tenants/${brief.id}`);
        const config = { ...shown.json.config, discoverable_login: { timeout: 86_400_001 } };
        const refused = await api(server.adminUrl, 'PUT', `/tenants/${brief.id}/config`, { body: config });
        assert.equal(refused.status, 400, refused.text);
        assert.match(refused.json.details, /discoverable_login\.timeout/);
      });
    });

    describe('2. early refusals keep keep-alive clients working', () => {
      const refusals = () => [
        ['unknown tenant', `/${randomUUID()}/login/initialize`, {}],
        ['missing API key', `/${tenant.id}/registration/initialize`, {}],
        ['wrong API key', `/${tenant.id}/registration/initialize`, { apikey: 'wrong' }],
      ];

      test('an answer sent before the body arrived says Connection: close', async () => {
        for (const [name, path, headers] of refusals()) {
          const body = JSON.stringify({ user_id: 'late', username: 'late' });
          const connection = new RawConnection(base);
          try {
            const extra = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
            connection.write(`POST ${path} HTTP/1.1\r\nHost: localhost\r\nConnection: keep-alive\r\n`
              + `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n${extra}\r\n`);
            const refused = await connection.response();
            assert.ok(refused, `${name}: an answer`);
            assert.ok([401, 404].includes(refused.status), `${name}: ${refused.status} ${refused.body}`);
            assert.equal(refused.headers.connection, 'close', `${name}: ${JSON.stringify(refused.headers)}`);
            connection.write(body);
            assert.ok(await connection.closedByServer(), `${name}: the server closes the connection`);
          } finally {
            connection.end();
          }
        }
      });

      test('a connection whose request bodies were read serves the next request', async () => {
        const connection = new RawConnection(base);
        try {
          for (let i = 0; i < 2; i += 1) {
            const body = '{}';
            connection.write(`POST /${tenant.id}/login/initialize HTTP/1.1\r\nHost: localhost\r\n`
              + `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
            const answer = await connection.response();
            assert.equal(answer?.status, 200, answer?.body);
            assert.equal(answer.headers.connection, undefined);
          }
        } finally {
          connection.end();
        }
      });
    });

    describe('3. padded base64url', () => {
      test('registers and logs in with padded rawId, clientDataJSON, attestationObject, authenticatorData, '
        + 'signature and userHandle', async () => {
        const authenticator = new SoftAuthenticator();
        const init = await keyed('POST', '/registration/initialize', { body: { user_id: 'padded-user', username: 'p' } });
        const creation = padAll(authenticator.create(init.json, ORIGIN),
          ['clientDataJSON', 'attestationObject', 'authenticatorData']);
        assert.ok(creation.rawId.endsWith('='));
        const registered = await call('POST', '/registration/finalize', { body: creation });
        assert.equal(registered.status, 200, registered.text);

        const login = await discoverableLogin();
        const assertion = padAll(authenticator.get(login, ORIGIN),
          ['clientDataJSON', 'authenticatorData', 'signature', 'userHandle']);
        assert.ok(assertion.response.userHandle.endsWith('='));
        assert.ok(assertion.response.authenticatorData.endsWith('=='));
        const done = await call('POST', '/login/finalize', { body: assertion });
        assert.equal(done.status, 200, done.text);
      });

      test('refuses a padded id, as the original does', async () => {
        const authenticator = new SoftAuthenticator();
        const init = await keyed('POST', '/registration/initialize', { body: { user_id: 'pad-id', username: 'p' } });
        const creation = authenticator.create(init.json, ORIGIN);
        creation.id = padded(creation.id);
        const refused = await call('POST', '/registration/finalize', { body: creation });
        assert.equal(refused.status, 400, refused.text);
        assert.equal(refused.json.title, 'unable to parse credential creation response');
      });
    });

    describe('4. a changed backup-eligible flag', () => {
      test('is accepted and audited by default, refused when the tenant says so', async () => {
        const authenticator = new SoftAuthenticator({ backupEligible: false });
        const id = await register(authenticator, 'be-user');
        authenticator.backupEligible = true;
        const accepted = await call('POST', '/login/finalize',
          { body: authenticator.get(await discoverableLogin(), ORIGIN) });
        assert.equal(accepted.status, 200, accepted.text);
        const events = await auditEvents('webauthn_authentication_final_succeeded');
        const noted = events.filter((event) => event.actor_user_id === 'be-user');
        assert.equal(noted.length, 1);
        assert.equal(noted[0].error, 'backup eligibility changed since registration');
        // The registered flag is kept.
        assert.equal((await keyed('GET', `/credentials/${id}`)).json.backup_eligible, false);

        const shown = await api(server.adminUrl, 'GET', `/tenants/${tenant.id}`);
        assert.equal(shown.json.config.backup_eligibility, 'audit_only');
        const strict = { ...shown.json.config, backup_eligibility: 'reject' };
        const put = await api(server.adminUrl, 'PUT', `/tenants/${tenant.id}/config`, { body: strict });
        assert.equal(put.status, 204, put.text);
        try {
          const refused = await call('POST', '/login/finalize',
            { body: authenticator.get(await discoverableLogin(), ORIGIN) });
          assert.equal(refused.status, 401, refused.text);
          assert.equal(refused.json.title, 'failed to validate assertion');
        } finally {
          const restored = await api(server.adminUrl, 'PUT', `/tenants/${tenant.id}/config`,
            { body: shown.json.config });
          assert.equal(restored.status, 204, restored.text);
        }
      });
    });

    describe('5.–7. routing, content types and bodies', () => {
      test('5. a wrong method on a known route is a 404 "Not Found"', async () => {
        for (const [method, path] of [['DELETE', '/login/initialize'], ['GET', '/login/finalize'],
          ['POST', '/.well-known/jwks.json'], ['PUT', '/credentials']]) {
          const res = await keyed(method, path);
          assert.equal(res.status, 404, `${method} ${path}: ${res.text}`);
          assert.deepEqual(res.json, { title: 'Not Found', details: '', status: 404 });
        }
      });

      test('6. JSON answers declare charset=UTF-8', async () => {
        for (const res of [
          await call('GET', '/.well-known/jwks.json'),
          await call('POST', '/login/initialize'),
          await keyed('GET', '/credentials'),
          await keyed('GET', '/no-such-route'),
          await call('POST', '/login/finalize', { body: {} }),
        ]) {
          assert.equal(res.headers.get('content-type'), JSON_UTF8, res.text);
        }
      });

      test('7. login/initialize reads null as {} and refuses JSON sent as text/plain', async () => {
        const nullBody = await call('POST', '/login/initialize', { rawBody: 'null' });
        assert.equal(nullBody.status, 200, nullBody.text);
        assert.equal(nullBody.json.publicKey.allowCredentials, undefined);
        const text = await call('POST', '/login/initialize',
          { rawBody: '{}', headers: { 'Content-Type': 'text/plain;charset=UTF-8' } });
        assert.equal(text.status, 400, text.text);
        assert.equal(text.json.title, 'unable to process request');
        const keyedText = await keyed('POST', '/registration/initialize',
          { rawBody: '{"user_id":"t","username":"t"}', headers: { 'Content-Type': 'text/plain' } });
        assert.equal(keyedText.status, 400, keyedText.text);
        assert.equal(keyedText.json.title, 'unable to process request');
      });
    });

    describe('8.–10. whose login, whose credential', () => {
      test('8. a discoverable login without a user handle, or with an unknown one: "failed to get user handle"',
        async () => {
          const authenticator = new SoftAuthenticator();
          await register(authenticator, 'handle-user');
          const missing = authenticator.get(await discoverableLogin(), ORIGIN);
          delete missing.response.userHandle;
          const unknown = authenticator.get(await discoverableLogin(), ORIGIN);
          unknown.response.userHandle = b64url(Buffer.from('nobody'));
          for (const body of [missing, unknown]) {
            const res = await call('POST', '/login/finalize', { body });
            assert.equal(res.status, 401, res.text);
            assert.equal(res.json.title, 'failed to get user handle');
          }
        });

      test('9. a named login answered with another user\'s handle is refused (deliberately stricter)', async () => {
        const authenticator = new SoftAuthenticator();
        await register(authenticator, 'named-user');
        await register(new SoftAuthenticator(), 'other-user');
        const init = await keyed('POST', '/login/initialize', { body: { user_id: 'named-user' } });
        const assertion = authenticator.get(init.json, ORIGIN);
        assertion.response.userHandle = b64url(Buffer.from('other-user'));
        const res = await call('POST', '/login/finalize', { body: assertion });
        assert.equal(res.status, 401, res.text);
        assert.equal(res.json.title, 'failed to validate assertion');
        // The right handle, or none, logs in.
        const again = await keyed('POST', '/login/initialize', { body: { user_id: 'named-user' } });
        const plain = authenticator.get(again.json, ORIGIN);
        delete plain.response.userHandle;
        assert.equal((await call('POST', '/login/finalize', { body: plain })).status, 200);
      });

      test('10. an MFA registration stays MFA whichever finalize ends it (deliberate)', async () => {
        const id = await register(new SoftAuthenticator(), 'mfa-user', { mfa: true });
        assert.equal((await keyed('GET', `/credentials/${id}`)).json.is_mfa, true);
        const passkey = await register(new SoftAuthenticator(), 'mfa-user', { finish: '/mfa/registration/finalize' });
        assert.equal((await keyed('GET', `/credentials/${passkey}`)).json.is_mfa, false);
      });
    });

    describe('11.–14. audit, admin, HEAD and titles', () => {
      test('11. webauthn_credential_deleted names the credential\'s user (deliberate)', async () => {
        const id = await register(new SoftAuthenticator(), 'deleted-user');
        assert.equal((await keyed('DELETE', `/credentials/${id}`)).status, 204);
        const events = await auditEvents('webauthn_credential_deleted');
        assert.ok(events.some((event) => event.actor_user_id === 'deleted-user'), JSON.stringify(events));
      });

      test('12. admin DELETE of an unknown secret: "secret with ID \'<id>\' not found"', async () => {
        for (const kind of ['api', 'jwk']) {
          const id = randomUUID();
          const res = await api(server.adminUrl, 'DELETE', `/tenants/${tenant.id}/secrets/${kind}/${id}`);
          assert.equal(res.status, 404, res.text);
          assert.equal(res.json.title, `secret with ID '${id}' not found`);
        }
      });

      test('13. HEAD is answered on GET routes and credentials show their transports (deliberate)', async () => {
        const id = await register(new SoftAuthenticator(), 'head-user');
        for (const path of ['/.well-known/jwks.json', '/credentials', `/credentials/${id}`]) {
          const res = await keyed('HEAD', path);
          assert.equal(res.status, 200, path);
          assert.equal(res.text, '');
        }
        assert.deepEqual((await keyed('GET', `/credentials/${id}`)).json.transports, ['internal']);
      });

      test('14. a registration without user verification: 422 titled as the original titles it', async () => {
        const init = await keyed('POST', '/registration/initialize', { body: { user_id: 'no-uv', username: 'n' } });
        const credential = new SoftAuthenticator().create(init.json, ORIGIN, { userVerified: false });
        const res = await call('POST', '/registration/finalize', { body: credential });
        assert.equal(res.status, 422, res.text);
        assert.equal(res.json.title, UV_MISSING);
      });
    });
  });
}
