// Failures of the Hanko passkey-server dialect, over real HTTP against the `latchkey` binary: every client mistake is
// a 4xx in Hanko's error format, never a 500. Specification: /work/shared/notes/hanko-passkey-server.md (cited as §n).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';

import { SoftAuthenticator, b64url, fromB64url } from './lib/authenticator.mjs';
import { api } from './lib/http.mjs';
import { STORES, createTenant, startServer, withServerLog } from './lib/server.mjs';

const ORIGIN = 'http://localhost:8080';
const JSON_HEADERS = { 'Content-Type': 'application/json' };

// The error body of §3: exactly title, details and status, the status repeated in the body.
function assertError(res, status, title) {
  assert.equal(res.status, status, `expected ${status}, got ${res.status}: ${res.text}`);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
  assert.ok(res.headers.get('x-request-id'), 'every response carries X-Request-Id (§11)');
  assert.ok(res.json && typeof res.json === 'object', `error body is JSON: ${res.text}`);
  assert.deepEqual(Object.keys(res.json).sort(), ['details', 'status', 'title'], res.text);
  assert.equal(typeof res.json.title, 'string');
  assert.equal(typeof res.json.details, 'string');
  assert.equal(res.json.status, status);
  if (title !== undefined) assert.equal(res.json.title, title);
}

// Flips one bit of the byte at `index` (negative counts from the end) of a base64url value.
function flipByte(value, index) {
  const bytes = fromB64url(value);
  const at = index < 0 ? bytes.length + index : index;
  bytes[at] ^= 0x01;
  return b64url(bytes);
}

function withClientData(credential, change) {
  const clientData = JSON.parse(fromB64url(credential.response.clientDataJSON).toString('utf8'));
  const copy = structuredClone(credential);
  copy.response.clientDataJSON = b64url(Buffer.from(JSON.stringify({ ...clientData, ...change })));
  return copy;
}

for (const store of STORES) {
  describe(`Hanko dialect: error responses (${store})`, () => {
    // Notes §3 (error body), §2 (tenant and API-key middleware), §4 (failures per endpoint), §7 (sessions).
    let server;
    let tenant;
    let base;
    const authenticator = new SoftAuthenticator();
    const test = (name, fn) => it(name, withServerLog(() => server, fn));

    const call = (method, path, options = {}) => api(base, method, `/${tenant.id}${path}`, options);
    const keyed = (method, path, options = {}) => call(method, path, { apiKey: tenant.api_key, ...options });

    async function beginRegistration(userId) {
      const init = await keyed('POST', '/registration/initialize', { body: { user_id: userId, username: userId } });
      assert.equal(init.status, 200, init.text);
      return init.json;
    }

    async function register(userId) {
      const options = await beginRegistration(userId);
      const credential = authenticator.create(options, ORIGIN);
      const done = await call('POST', '/registration/finalize', { body: credential });
      assert.equal(done.status, 200, done.text);
      return credential.id;
    }

    async function beginLogin(userId) {
      const init = userId === undefined
        ? await call('POST', '/login/initialize', { body: {} })
        : await keyed('POST', '/login/initialize', { body: { user_id: userId } });
      assert.equal(init.status, 200, init.text);
      return init.json;
    }

    let credentialId;

    before(async () => {
      server = await startServer(store);
      base = server.publicUrl;
      tenant = await createTenant(server);
      credentialId = await register('alice');
    });
    after(async () => server?.stop());

    describe('routes and tenants (§2 tenant middleware, §3 unknown route)', () => {
      // §2 tenant middleware (400 for a non-UUID, 404 for an unknown tenant); §3 unknown routes.
      test('answers an unknown route below an existing tenant with 404 "Not Found" in the error format', async () => {
        assertError(await keyed('GET', '/no-such-endpoint'), 404, 'Not Found');
        assertError(await keyed('GET', '/credentials/a/b/c'), 404, 'Not Found');
      });

      test('answers any other unknown path in the error format', async () => {
        // Every public route sits below /{tenant_id}; as with echo's group middleware, the first segment of an
        // unknown path may be read as a tenant id (400) or the path reported unknown (404). Either way: no 5xx.
        const res = await api(base, 'GET', '/no/such/route/anywhere');
        assert.ok([400, 404].includes(res.status), `${res.status}: ${res.text}`);
        assertError(res, res.status);
      });

      test('refuses a tenant id that is not a UUID with 400 "tenant_id must be a valid uuid4"', async () => {
        for (const [method, path, options] of [
          ['GET', '/.well-known/jwks.json', {}],
          ['POST', '/login/initialize', { body: {} }],
          ['GET', '/credentials', { apiKey: 'whatever' }],
          ['POST', '/registration/initialize', { apiKey: 'whatever', body: { user_id: 'u', username: 'u' } }],
        ]) {
          const res = await api(base, method, `/not-a-uuid${path}`, options);
          assertError(res, 400, 'tenant_id must be a valid uuid4');
        }
      });

      test('answers a well-formed but unknown tenant with 404 "tenant not found"', async () => {
        const unknown = randomUUID();
        for (const [method, path, options] of [
          ['GET', '/.well-known/jwks.json', {}],
          ['POST', '/login/initialize', { body: {} }],
          ['POST', '/login/finalize', { body: {} }],
          ['GET', '/credentials', { apiKey: tenant.api_key }],
          ['GET', '/audit_logs', { apiKey: tenant.api_key }],
        ]) {
          const res = await api(base, method, `/${unknown}${path}`, options);
          assertError(res, 404, 'tenant not found');
        }
      });
    });

    describe('API key (§2 API key check, §14)', () => {
      // §2 API key check, §14 checklist, §15.1 X-API-KEY accepted as an alias.
      const keyedRoutes = () => [
        ['GET', '/credentials'],
        ['GET', `/credentials/${credentialId}`],
        ['PATCH', `/credentials/${credentialId}`, { name: 'x' }],
        ['DELETE', `/credentials/${credentialId}`],
        ['POST', '/registration/initialize', { user_id: 'bob', username: 'bob' }],
        ['POST', '/transaction/initialize', { user_id: 'alice', transaction_id: 't', transaction_data: {} }],
        ['POST', '/transaction/finalize', {}],
        ['GET', `/transaction/${randomUUID()}`],
        ['POST', '/mfa/registration/initialize', { user_id: 'alice', username: 'alice' }],
        ['POST', '/mfa/registration/finalize', {}],
        ['POST', '/mfa/login/initialize', { user_id: 'alice' }],
        ['POST', '/mfa/login/finalize', {}],
        ['GET', '/audit_logs'],
      ];

      test('refuses every API-keyed route without a key with 401 "The api key is invalid"', async () => {
        for (const [method, path, body] of keyedRoutes()) {
          const res = await call(method, path, { body });
          assertError(res, 401, 'The api key is invalid');
        }
      });

      test('refuses every API-keyed route with a wrong key with 401 "The api key is invalid"', async () => {
        const wrong = b64url(Buffer.alloc(64, 7));
        for (const [method, path, body] of keyedRoutes()) {
          const res = await call(method, path, { apiKey: wrong, body });
          assertError(res, 401, 'The api key is invalid');
        }
      });

      test('does not accept the key of another tenant', async () => {
        const other = await createTenant(server, { name: 'other' });
        assertError(await call('GET', '/credentials', { apiKey: other.api_key }), 401, 'The api key is invalid');
      });

      test('refuses login/initialize with a user_id and no key with 401 "api key is missing"', async () => {
        assertError(await call('POST', '/login/initialize', { body: { user_id: 'alice' } }), 401, 'api key is missing');
        assertError(await call('POST', '/login/initialize', { apiKey: '', body: { user_id: 'alice' } }), 401,
          'api key is missing');
      });

      test('refuses login/initialize with a user_id and a wrong key with 401 "The api key is invalid"', async () => {
        const res = await call('POST', '/login/initialize', { apiKey: 'wrong', body: { user_id: 'alice' } });
        assertError(res, 401, 'The api key is invalid');
      });

      test('reads the key from the apiKey header in any letter case and from X-API-KEY', async () => {
        for (const name of ['apiKey', 'apikey', 'APIKEY', 'X-API-KEY', 'x-api-key']) {
          const res = await call('GET', '/credentials', { headers: { [name]: tenant.api_key } });
          assert.equal(res.status, 200, `${name}: ${res.text}`);
        }
      });

      test('accepts the key with or without its base64 padding (keys issued by the original end in ==)', async () => {
        const bare = tenant.api_key.replace(/=+$/, '');
        for (const spelling of [bare, `${bare}==`]) {
          const res = await call('GET', '/credentials', { apiKey: spelling });
          assert.equal(res.status, 200, `${spelling.length} characters: ${res.text}`);
        }
      });

      test('trims whitespace around the key', async () => {
        const res = await call('GET', '/credentials', { headers: { apiKey: `  ${tenant.api_key}\t` } });
        assert.equal(res.status, 200, res.text);
      });

      test('needs no key for the JWKS, registration/finalize and login without user_id', async () => {
        assert.equal((await call('GET', '/.well-known/jwks.json')).status, 200);
        assert.equal((await call('POST', '/login/initialize', { body: {} })).status, 200);
        // Without a key these fail on their bodies, not on authentication.
        assertError(await call('POST', '/registration/finalize', { body: {} }), 400);
        assertError(await call('POST', '/login/finalize', { body: {} }), 400);
      });
    });

    describe('request bodies (§3 validation, §4 general)', () => {
      // §3 validation errors; §4 general (an absent body reads as {}); latchkey's 64 KiB body limit (413).
      test('refuses malformed JSON with 400', async () => {
        for (const [path, apiKey] of [
          ['/registration/initialize', tenant.api_key],
          ['/registration/finalize', undefined],
          ['/login/initialize', undefined],
          ['/login/finalize', undefined],
          ['/transaction/initialize', tenant.api_key],
          ['/mfa/login/initialize', tenant.api_key],
        ]) {
          const res = await call('POST', path, { apiKey, rawBody: '{"user_id": "alice",' });
          assertError(res, 400);
        }
      });

      test('refuses a JSON body that is not an object with 400', async () => {
        for (const rawBody of ['[]', '"alice"', '42', 'null']) {
          assertError(await keyed('POST', '/registration/initialize', { rawBody }), 400);
        }
      });

      test('refuses fields of the wrong type with 400', async () => {
        assertError(await keyed('POST', '/registration/initialize', { body: { user_id: 5, username: 'x' } }), 400);
        assertError(await keyed('POST', '/registration/initialize', { body: { user_id: 'x', username: true } }), 400);
        assertError(await keyed('POST', '/login/initialize', { body: { user_id: 5 } }), 400);
        assertError(await keyed('POST', '/mfa/login/initialize', { body: { user_id: ['alice'] } }), 400);
        assertError(await keyed('POST', '/transaction/initialize',
          { body: { user_id: 'alice', transaction_id: 7, transaction_data: {} } }), 400);
        assertError(await keyed('PATCH', `/credentials/${credentialId}`, { body: { name: 12 } }), 400);
      });

      test('refuses missing required fields with 400', async () => {
        assertError(await keyed('POST', '/registration/initialize', { body: { username: 'x' } }), 400);
        assertError(await keyed('POST', '/registration/initialize', { body: { user_id: 'x' } }), 400);
        assertError(await keyed('POST', '/registration/initialize', { body: {} }), 400);
        assertError(await keyed('POST', '/mfa/registration/initialize', { body: { user_id: 'x' } }), 400);
        assertError(await keyed('POST', '/mfa/login/initialize', { body: {} }), 400);
        assertError(await keyed('POST', '/transaction/initialize',
          { body: { user_id: 'alice', transaction_data: {} } }), 400);
        assertError(await keyed('POST', '/transaction/initialize',
          { body: { user_id: 'alice', transaction_id: 'tx-missing-data' } }), 400);
        assertError(await keyed('POST', '/transaction/initialize',
          { body: { transaction_id: 'tx-missing-user', transaction_data: {} } }), 400);
      });

      test('reports a missing required field by name', async () => {
        const res = await keyed('POST', '/registration/initialize', { body: { username: 'x' } });
        assertError(res, 400, 'unable to validate request');
        assert.match(res.json.details, /user_id is a required field/);
      });

      test('refuses usernames and display names over 128 characters and icons that are not URLs with 400', async () => {
        const long = 'x'.repeat(129);
        assertError(await keyed('POST', '/registration/initialize', { body: { user_id: 'x', username: long } }), 400);
        assertError(await keyed('POST', '/registration/initialize',
          { body: { user_id: 'x', username: 'x', display_name: long } }), 400);
        assertError(await keyed('POST', '/registration/initialize',
          { body: { user_id: 'x', username: 'x', icon: 'not a url' } }), 400);
        assertError(await keyed('POST', '/transaction/initialize',
          { body: { user_id: 'alice', transaction_id: 't'.repeat(129), transaction_data: {} } }), 400);
      });

      test('refuses a body over 64 KiB with 413', async () => {
        const username = 'x'.repeat(70 * 1024);
        assertError(await keyed('POST', '/registration/initialize', { body: { user_id: 'x', username } }), 413);
        assertError(await call('POST', '/login/finalize', { body: { id: username } }), 413);
        assertError(await call('POST', '/registration/finalize', { body: { id: username } }), 413);
      });

      test('treats an absent body on login/initialize as {} (the JS SDK sends none)', async () => {
        const res = await api(base, 'POST', `/${tenant.id}/login/initialize`, { headers: JSON_HEADERS });
        assert.equal(res.status, 200, res.text);
        assert.equal(typeof res.json.publicKey.challenge, 'string');
        assert.equal(res.json.publicKey.allowCredentials, undefined);
      });

      test('reads an absent body on registration/initialize as {} and names the missing fields', async () => {
        const res = await api(base, 'POST', `/${tenant.id}/registration/initialize`,
          { apiKey: tenant.api_key, headers: JSON_HEADERS });
        assertError(res, 400);
      });

      test('refuses finalize bodies that are not WebAuthn responses with 400', async () => {
        for (const body of [{}, { id: 'abc', type: 'public-key' }, { id: 'abc', rawId: 'abc', response: 'x' }]) {
          assertError(await call('POST', '/registration/finalize', { body }), 400);
          assertError(await call('POST', '/login/finalize', { body }), 400);
          assertError(await keyed('POST', '/mfa/registration/finalize', { body }), 400);
          assertError(await keyed('POST', '/mfa/login/finalize', { body }), 400);
          assertError(await keyed('POST', '/transaction/finalize', { body }), 400);
        }
      });
    });

    describe('tampered registrations (§4.2)', () => {
      // §4.2: challenge, origin, RP ID and attestation are checked; §7 sessions are single use.
      test('refuses a registration made for another origin with 400', async () => {
        const options = await beginRegistration('tamper-reg-origin');
        const credential = authenticator.create(options, 'https://evil.example');
        assertError(await call('POST', '/registration/finalize', { body: credential }), 400);
      });

      test('refuses a registration whose clientDataJSON origin was rewritten with 400', async () => {
        const options = await beginRegistration('tamper-reg-origin2');
        const credential = withClientData(authenticator.create(options, ORIGIN), { origin: 'https://evil.example' });
        assertError(await call('POST', '/registration/finalize', { body: credential }), 400);
      });

      test('refuses a registration whose challenge matches no ceremony with 400', async () => {
        const options = await beginRegistration('tamper-reg-challenge');
        const credential = withClientData(authenticator.create(options, ORIGIN),
          { challenge: b64url(Buffer.alloc(32, 9)) });
        assertError(await call('POST', '/registration/finalize', { body: credential }), 400);
      });

      test('refuses a registration whose attestation signature was altered with 400', async () => {
        const options = await beginRegistration('tamper-reg-sig');
        const credential = authenticator.create(options, ORIGIN, { fmt: 'packed' });
        const attestation = fromB64url(credential.response.attestationObject);
        // attStmt.sig: the text key "sig" (0x63 's' 'i' 'g'), then a byte-string header, then the DER signature.
        const key = attestation.indexOf(Buffer.from([0x63, 0x73, 0x69, 0x67]));
        assert.ok(key > 0, 'packed attestation has a sig');
        attestation[key + 4 + 2 + 10] ^= 0x01;
        credential.response.attestationObject = b64url(attestation);
        assertError(await call('POST', '/registration/finalize', { body: credential }), 400);
      });

      test('refuses a registration made for another RP ID with 400', async () => {
        const options = await beginRegistration('tamper-reg-rpid');
        const credential = authenticator.create(options, ORIGIN, { rpId: 'evil.example' });
        assertError(await call('POST', '/registration/finalize', { body: credential }), 400);
      });

      test('refuses a second registration of a credential id the tenant already has with 409 or 400, not 500',
        async () => {
          // §15.5: the original answers 500 (a database error); a client mistake should be a 4xx. With "none"
          // attestation nothing signs the authenticator data, so a client can claim any credential id.
          const first = authenticator.create(await beginRegistration('dup-a'), ORIGIN);
          assert.equal((await call('POST', '/registration/finalize', { body: first })).status, 200);
          const second = authenticator.create(await beginRegistration('dup-b'), ORIGIN);
          const firstId = fromB64url(first.id);
          const secondId = fromB64url(second.id);
          for (const field of ['attestationObject', 'authenticatorData']) {
            const bytes = fromB64url(second.response[field]);
            firstId.copy(bytes, bytes.indexOf(secondId));
            second.response[field] = b64url(bytes);
          }
          second.id = first.id;
          second.rawId = first.id;
          const res = await call('POST', '/registration/finalize', { body: second });
          assert.ok([400, 409].includes(res.status), `${res.status}: ${res.text}`);
          assertError(res, res.status);
        });

      test('refuses to finalize the same registration twice', async () => {
        const options = await beginRegistration('replay-reg');
        const credential = authenticator.create(options, ORIGIN);
        const first = await call('POST', '/registration/finalize', { body: credential });
        assert.equal(first.status, 200, first.text);
        assertError(await call('POST', '/registration/finalize', { body: credential }), 400);
      });
    });

    describe('tampered and replayed logins (§4.4, §7 single-use sessions)', () => {
      // §4.4: 401 for an unknown session or a failed check; §7: sessions are deleted on success and expire after
      // the timeout.
      test('refuses an assertion with a flipped signature byte with 401', async () => {
        const assertion = authenticator.get(await beginLogin(), ORIGIN, { credentialId });
        assertion.response.signature = flipByte(assertion.response.signature, 20);
        assertError(await call('POST', '/login/finalize', { body: assertion }), 401);
      });

      test('refuses an assertion with altered authenticator data with 401', async () => {
        const assertion = authenticator.get(await beginLogin(), ORIGIN, { credentialId });
        assertion.response.authenticatorData = flipByte(assertion.response.authenticatorData, 3);
        assertError(await call('POST', '/login/finalize', { body: assertion }), 401);
      });

      test('refuses an assertion made for another origin with 401', async () => {
        const assertion = authenticator.get(await beginLogin(), 'https://evil.example', { credentialId });
        assertError(await call('POST', '/login/finalize', { body: assertion }), 401);
      });

      test('refuses an assertion whose clientDataJSON origin was rewritten with 401', async () => {
        const assertion = authenticator.get(await beginLogin(), ORIGIN, { credentialId });
        assertError(await call('POST', '/login/finalize',
          { body: withClientData(assertion, { origin: 'https://evil.example' }) }), 401);
      });

      test('refuses an assertion for a challenge the server never issued with 401', async () => {
        const assertion = authenticator.get(await beginLogin(), ORIGIN, { credentialId });
        assertError(await call('POST', '/login/finalize',
          { body: withClientData(assertion, { challenge: b64url(Buffer.alloc(32, 3)) }) }), 401);
      });

      test('refuses an assertion of a credential the tenant does not know with 401', async () => {
        const stranger = new SoftAuthenticator();
        stranger.create({
          rp: { id: 'localhost', name: 'x' }, user: { id: b64url(Buffer.from('alice')), name: 'a', displayName: 'a' },
          challenge: b64url(Buffer.alloc(32)), pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
        }, ORIGIN);
        const assertion = stranger.get(await beginLogin(), ORIGIN);
        const res = await call('POST', '/login/finalize', { body: assertion });
        // latchkey's addition: the options of signalUnknownCredential (docs/signal-api.md); the rest is §3's body.
        assert.deepEqual(res.json.signal, { unknownCredential: { rpId: 'localhost', credentialId: assertion.id } });
        delete res.json.signal;
        assertError(res, 401, 'failed to validate assertion');
      });

      test('refuses an assertion using a registration challenge with 401', async () => {
        const options = await beginRegistration('alice');
        const assertion = authenticator.get({ challenge: options.publicKey.challenge, rpId: 'localhost' }, ORIGIN,
          { credentialId });
        assertError(await call('POST', '/login/finalize', { body: assertion }), 401);
      });

      test('refuses to finalize the same login twice', async () => {
        const assertion = authenticator.get(await beginLogin(), ORIGIN, { credentialId });
        const first = await call('POST', '/login/finalize', { body: assertion });
        assert.equal(first.status, 200, first.text);
        assertError(await call('POST', '/login/finalize', { body: assertion }), 401);
      });

      test('lets exactly one of five concurrent finalizes of one login succeed', async () => {
        const assertion = authenticator.get(await beginLogin('alice'), ORIGIN, { credentialId });
        const results = await Promise.all(
          Array.from({ length: 5 }, () => call('POST', '/login/finalize', { body: assertion })),
        );
        const statuses = results.map((res) => res.status);
        assert.equal(statuses.filter((s) => s === 200).length, 1, `statuses: ${statuses}`);
        for (const res of results.filter((r) => r.status !== 200)) assertError(res, 401);
      });

      test('refuses a login finalized after the ceremony timeout', async () => {
        // The notes (§7) expire sessions after the tenant timeout. A tenant with a 2 s timeout stands in for a
        // controllable clock.
        const created = await api(server.adminUrl, 'POST', '/tenants', {
          body: {
            display_name: 'short timeout',
            create_api_key: true,
            config: {
              cors: { allowed_origins: [ORIGIN], allow_unsafe_wildcard: false },
              webauthn: {
                relying_party: { id: 'localhost', display_name: 'Short', origins: [ORIGIN] },
                timeout: 2000,
              },
            },
          },
        });
        assert.equal(created.status, 201, created.text);
        const shortId = created.json.id;
        const shortKey = created.json.api_key.secret;
        const init = await api(base, 'POST', `/${shortId}/registration/initialize`,
          { apiKey: shortKey, body: { user_id: 'slow', username: 'slow' } });
        assert.equal(init.status, 200, init.text);
        const fast = await api(base, 'POST', `/${shortId}/registration/finalize`,
          { body: authenticator.create(init.json, ORIGIN) });
        assert.equal(fast.status, 200, fast.text);
        // A named login: a discoverable one waits far longer (see http-parity.test.mjs).
        const login = await api(base, 'POST', `/${shortId}/login/initialize`,
          { apiKey: shortKey, body: { user_id: 'slow' } });
        const assertion = authenticator.get(login.json, ORIGIN);
        await new Promise((resolve) => setTimeout(resolve, 2500));
        assertError(await api(base, 'POST', `/${shortId}/login/finalize`, { body: assertion }), 401);
      });
    });

    describe('credentials and audit-log queries (§4.7, §4.9)', () => {
      // §4.7: 404 for unknown credentials, PATCH needs a name, order is asc or desc; §4.9: RFC 3339 times.
      test('answers GET, PATCH and DELETE of an unknown credential with 404', async () => {
        const unknown = b64url(Buffer.alloc(32, 1));
        const res = await keyed('GET', `/credentials/${unknown}`);
        assertError(res, 404, `credential with id '${unknown}' not found`);
        assertError(await keyed('PATCH', `/credentials/${unknown}`, { body: { name: 'x' } }), 404);
        assertError(await keyed('DELETE', `/credentials/${unknown}`), 404);
      });

      test('does not show one tenant the credentials of another (404)', async () => {
        const other = await createTenant(server, { name: 'other-credentials' });
        const res = await api(base, 'GET', `/${other.id}/credentials/${credentialId}`, { apiKey: other.api_key });
        assertError(res, 404);
      });

      test('refuses PATCH without a name, or with an empty one, with 400', async () => {
        assertError(await keyed('PATCH', `/credentials/${credentialId}`, { body: {} }), 400);
        assertError(await keyed('PATCH', `/credentials/${credentialId}`, { body: { name: '' } }), 400);
      });

      test('refuses a list order other than asc or desc with 400', async () => {
        assertError(await keyed('GET', '/credentials?order=sideways'), 400);
      });

      test('refuses start_time and end_time that are not RFC 3339 with 400', async () => {
        assertError(await keyed('GET', '/audit_logs?start_time=yesterday'), 400);
        assertError(await keyed('GET', '/audit_logs?end_time=2024-13-45'), 400);
      });
    });

    describe('request ids (§5, §11)', () => {
      // §5 meta_http_request_id; §11 X-Request-Id on every response.
      test('echoes the X-Request-Id a client sends, on success and on error', async () => {
        const ok = await call('GET', '/.well-known/jwks.json', { headers: { 'X-Request-Id': 'req-ok-1' } });
        assert.equal(ok.headers.get('x-request-id'), 'req-ok-1');
        const failed = await call('GET', '/credentials', { headers: { 'X-Request-Id': 'req-failed-1' } });
        assert.equal(failed.status, 401);
        assert.equal(failed.headers.get('x-request-id'), 'req-failed-1');
        const unrouted = await api(base, 'GET', '/no/route', { headers: { 'X-Request-Id': 'req-404-1' } });
        assert.equal(unrouted.headers.get('x-request-id'), 'req-404-1');
      });

      test('makes up a request id when the client sends none, different per request', async () => {
        const first = (await call('GET', '/.well-known/jwks.json')).headers.get('x-request-id');
        const second = (await call('GET', '/.well-known/jwks.json')).headers.get('x-request-id');
        assert.ok(first && second);
        assert.notEqual(first, second);
      });
    });

    describe('no server faults (§14: client mistakes get 4xx)', () => {
      // §14 and the house rule: client mistakes get 4xx, never 500.
      test('answered none of the requests above with a 5xx', async () => {
        const metrics = await api(server.adminUrl, 'GET', '/metrics');
        assert.equal(metrics.status, 200);
        const faults = metrics.text.split('\n')
          .filter((line) => line.startsWith('latchkey_http_requests_total') && /status="5\d\d"/.test(line));
        assert.deepEqual(faults, []);
      });
    });
  });
}
