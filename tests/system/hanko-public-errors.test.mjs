// Hanko Public API (v0.12): the edges every client meets. /.well-known/config and /.well-known/jwks.json, the status
// page and health, the error format ({"code","message"}, 404 unknown route, 405 wrong method, malformed JSON, 401 on
// every session route), CORS with credentials and the exposed headers the SDK reads, a tenant without the API, and
// the hanko_public block on the admin API.
// Specification: /work/shared/notes/hanko-public-api.md §0 and §1 (cited as §n), checklist 1, 3, 6, 13, and the
// contract (/work/prompts/hanko-public-contract.md, difference 1).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';

import { api } from './lib/http.mjs';
import {
  HankoClient, ORIGIN, assertHankoError, configureHanko, createHankoTenant, hankoBlock, uniqueEmail,
} from './lib/hanko-public.mjs';
import { STORES, startServer, withServerLog } from './lib/server.mjs';
import { startSmtp } from './lib/smtp.mjs';

const EXPOSED = ['Retry-After', 'X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset', 'X-Session-Lifetime'];
const listOf = (header) => (header ?? '').split(',').map((v) => v.trim().toLowerCase()).filter(Boolean);

// A built-in third-party provider as shown when left at its defaults.
const PROVIDER = {
  enabled: false, client_id: '', secret: '', allow_linking: true, issuer: '', authorization_endpoint: '',
  token_endpoint: '', userinfo_endpoint: '',
};

// The block GET /tenants/{id} shows for a tenant that never configured it: the original's defaults, off.
const DEFAULT_BLOCK = {
  enabled: false,
  service: { name: 'Hanko Authentication Service' },
  session: {
    lifespan: '1h',
    enable_auth_token_header: false,
    issuer: '',
    audience: [],
    cookie: { name: 'hanko', domain: '', http_only: true, same_site: 'strict', secure: true },
  },
  passcode: { ttl: 300, email: { from_address: 'passcode@hanko.io', from_name: 'Hanko' } },
  password: { enabled: false, min_password_length: 8 },
  emails: { require_verification: true, max_num_of_addresses: 5 },
  account: { allow_deletion: false, allow_signup: true },
  webauthn: { timeout: 60000, user_verification: 'preferred' },
  rate_limiter: {
    enabled: true,
    passcode_limits: { tokens: 3, interval: '1m' },
    password_limits: { tokens: 5, interval: '1m' },
    token_limits: { tokens: 3, interval: '1m' },
  },
  email_delivery: { enabled: true },
  third_party: {
    redirect_url: '',
    error_redirect_url: '',
    allowed_redirect_urls: [],
    providers: {
      google: PROVIDER, github: PROVIDER, apple: PROVIDER, discord: PROVIDER, microsoft: PROVIDER, linkedin: PROVIDER,
    },
    custom_providers: {},
  },
  saml: {
    enabled: false,
    endpoint_url: '',
    audience_uri: '',
    default_redirect_url: '',
    allowed_redirect_urls: [],
    options: {
      sign_authn_requests: false, force_login: false, validate_encryption_cert: false,
      skip_signature_validation: false, allow_missing_attributes: false,
    },
    identity_providers: [],
  },
  webhooks: { enabled: false, allow_time_expiration: false, hooks: [] },
};

for (const store of STORES) {
  describe(`Hanko Public API: well-known, errors, CORS and health (${store})`, () => {
    let server;
    let smtp;
    let tenant; // the original's defaults
    let configured; // every /.well-known/config key away from its default
    let headerMode; // enable_auth_token_header
    let off; // a tenant that never enabled the API
    const test = (name, fn) => it(name, withServerLog(() => server, fn));

    before(async () => {
      smtp = await startSmtp();
      server = await startServer(store);
      tenant = await createHankoTenant(server, { smtp, hanko: { rate_limiter: { enabled: true } } });
      configured = await createHankoTenant(server, {
        smtp,
        hanko: {
          password: { enabled: true, min_password_length: 12 },
          emails: { require_verification: false, max_num_of_addresses: 3 },
          account: { allow_deletion: true, allow_signup: false },
        },
      });
      headerMode = await createHankoTenant(server, { smtp, hanko: { session: { enable_auth_token_header: true } } });
      off = await createHankoTenant(server, { smtp, hanko: { enabled: false } });
    });
    after(async () => {
      await server?.stop();
      await smtp?.stop();
    });

    describe('/.well-known (§1, checklist 13, difference 1)', () => {
      test('GET /.well-known/config emits every key, false and 0 included', async () => {
        const res = await new HankoClient(tenant).get('/.well-known/config');
        assert.equal(res.status, 200, res.text);
        assert.match(res.headers.get('content-type'), /^application\/json/);
        assert.deepEqual(res.json, {
          password: { enabled: false, min_password_length: 8 },
          emails: { require_verification: true, max_num_of_addresses: 5 },
          providers: null,
          account: { allow_deletion: false, allow_signup: true },
          use_enterprise: false,
        });
      });

      test('GET /.well-known/config follows the tenant\'s settings', async () => {
        const res = await new HankoClient(configured).get('/.well-known/config');
        assert.equal(res.status, 200, res.text);
        assert.deepEqual(res.json, {
          password: { enabled: true, min_password_length: 12 },
          emails: { require_verification: false, max_num_of_addresses: 3 },
          providers: null,
          account: { allow_deletion: true, allow_signup: false },
          use_enterprise: false,
        });
      });

      test('GET /.well-known/jwks.json lists the tenant\'s RS256 keys with Cache-Control: max-age=600', async () => {
        const res = await new HankoClient(tenant).get('/.well-known/jwks.json');
        assert.equal(res.status, 200, res.text);
        assert.equal(res.headers.get('cache-control'), 'max-age=600');
        assert.deepEqual(Object.keys(res.json), ['keys']);
        assert.ok(res.json.keys.length >= 1);
        for (const key of res.json.keys) {
          assert.deepEqual(Object.keys(key).sort(), ['alg', 'e', 'kid', 'kty', 'n', 'use']);
          assert.equal(key.alg, 'RS256');
          assert.equal(key.kty, 'RSA');
          assert.equal(key.use, 'sig');
          assert.equal(key.e, 'AQAB');
          assert.match(key.n, /^[A-Za-z0-9_-]+$/);
        }
        const listed = await api(server.adminUrl, 'GET', `/tenants/${tenant.id}/secrets/jwk`);
        assert.equal(listed.status, 200, listed.text);
        assert.deepEqual(res.json.keys.map((k) => k.kid).sort(), listed.json.map((k) => k.id).sort());
      });
    });

    describe('status page and health (§1)', () => {
      test('GET / answers the status page; /health/alive and /health/ready answer JSON', async () => {
        const client = new HankoClient(tenant);
        const page = await client.get('/');
        assert.equal(page.status, 200, page.text);
        assert.match(page.headers.get('content-type'), /^text\/html/);
        const alive = await client.get('/health/alive');
        assert.equal(alive.status, 200, alive.text);
        assert.deepEqual(alive.json, { alive: true });
        const ready = await client.get('/health/ready');
        assert.equal(ready.status, 200, ready.text);
        assert.deepEqual(ready.json, { ready: true });
      });
    });

    describe('errors (§0, checklist 1 and 6)', () => {
      test('answers 404 {"code":404,"message":"Not Found"} for an unknown route', async () => {
        const client = new HankoClient(tenant);
        for (const path of ['/no/such/route', '/users/abc/def', '/emails/x/y/z', '/thirdparty/nope']) {
          const res = await client.get(path);
          assertHankoError(res, 404, 'Not Found');
          assert.match(res.headers.get('content-type'), /^application\/json/);
        }
      });

      test('answers 405 {"code":405,"message":"Method Not Allowed"} for a wrong method on a known path', async () => {
        const client = new HankoClient(tenant);
        for (const [method, path] of [['GET', '/users'], ['PUT', '/me'], ['GET', '/logout'], ['PATCH', '/emails'],
          ['GET', '/passcode/login/initialize'], ['PUT', '/webauthn/login/finalize'], ['POST', '/.well-known/config'],
          ['DELETE', '/user']]) {
          assertHankoError(await client.call(method, path), 405, 'Method Not Allowed');
        }
      });

      test('answers 400 in the error format for malformed JSON and wrong types', async () => {
        const client = new HankoClient(tenant);
        for (const rawBody of ['{"email":', 'not json', '{"email": 5}', '["a@b.c"]']) {
          const res = await client.call('POST', '/user', { rawBody });
          assertHankoError(res, 400);
          assert.ok(res.json.message.length > 0, res.text);
        }
        assertHankoError(await client.call('POST', '/passcode/login/finalize', { rawBody: '{"id": 1, "code": true}' }),
          400);
      });

      test('accepts an empty JSON body (fields stay empty) and ignores unknown fields', async () => {
        const client = new HankoClient(tenant);
        assertHankoError(await client.postEmpty('/user'), 400, 'email is a required field');
        assertHankoError(await client.post('/user', { email: uniqueEmail('unknown'), surprise: { nested: true } }), 404,
          'Not Found');
        assert.equal((await client.post('/webauthn/login/initialize', { future_field: 1 })).status, 200);
      });

      test('answers 401 {"code":401,"message":"Unauthorized"} on every session route without a session', async () => {
        const id = randomUUID();
        const routes = [
          [tenant, 'GET', '/me'], [tenant, 'GET', `/users/${id}`], [tenant, 'POST', '/logout'],
          [tenant, 'GET', '/emails'], [tenant, 'POST', '/emails'], [tenant, 'DELETE', `/emails/${id}`],
          [tenant, 'POST', `/emails/${id}/set_primary`], [tenant, 'POST', '/webauthn/registration/initialize'],
          [tenant, 'POST', '/webauthn/registration/finalize'], [tenant, 'GET', '/webauthn/credentials'],
          [tenant, 'PATCH', '/webauthn/credentials/abc'], [tenant, 'DELETE', '/webauthn/credentials/abc'],
          [configured, 'PUT', '/password'], [configured, 'DELETE', '/user'],
        ];
        for (const [t, method, path] of routes) {
          // Bodies as the SDK sends them: none on GET, an empty JSON body otherwise.
          const res = await new HankoClient(t).call(method, path, method === 'GET' ? {} : { rawBody: '' });
          assertHankoError(res, 401, 'Unauthorized');
        }
      });

      test('answers 404 {"code":404,"message":"Not Found"} on every path of a tenant without the API', async () => {
        const client = new HankoClient(off);
        for (const [method, path, body] of [['GET', '/.well-known/config'], ['POST', '/users', { email: 'a@b.test' }],
          ['POST', '/user', { email: 'a@b.test' }], ['GET', '/me'], ['POST', '/passcode/login/initialize', {}],
          ['POST', '/webauthn/login/initialize', {}], ['GET', '/emails']]) {
          assertHankoError(await client.call(method, path, { body }), 404, 'Not Found');
        }
        // Its passkey-server dialect is untouched: the JWKS is shared by both.
        assert.equal((await client.get('/.well-known/jwks.json')).status, 200);
        // Enabling it on the admin API opens the routes; disabling closes them again.
        await configureHanko(server, off, hankoBlock(smtp));
        assert.equal((await client.get('/.well-known/config')).status, 200);
        await configureHanko(server, off, hankoBlock(smtp, { enabled: false }));
        assertHankoError(await client.get('/.well-known/config'), 404, 'Not Found');
      });

      test('answers 404 for a tenant that does not exist', async () => {
        const res = await api(server.publicUrl, 'GET', `/${randomUUID()}/.well-known/config`);
        assert.equal(res.status, 404, res.text);
      });
    });

    describe('CORS (§0, checklist 3)', () => {
      test('answers a preflight from an allowed origin: credentials, methods, requested headers, max-age 7200', async () => {
        const res = await api(tenant.base, 'OPTIONS', '/users', {
          headers: {
            Origin: ORIGIN,
            'Access-Control-Request-Method': 'POST',
            'Access-Control-Request-Headers': 'content-type,authorization',
          },
        });
        assert.ok(res.status === 204 || res.status === 200, `${res.status} ${res.text}`);
        assert.equal(res.headers.get('access-control-allow-origin'), ORIGIN);
        assert.equal(res.headers.get('access-control-allow-credentials'), 'true');
        assert.equal(res.headers.get('access-control-max-age'), '7200');
        const methods = listOf(res.headers.get('access-control-allow-methods'));
        for (const method of ['get', 'head', 'put', 'patch', 'post', 'delete']) {
          assert.ok(methods.includes(method), `${method} in ${methods}`);
        }
        const headers = listOf(res.headers.get('access-control-allow-headers'));
        assert.ok(headers.includes('content-type') && headers.includes('authorization'), `${headers}`);
      });

      test('echoes an allowed origin with credentials and exposes the headers the SDK reads', async () => {
        const res = await new HankoClient(tenant).post('/users', { email: uniqueEmail('cors') },
          { headers: { Origin: ORIGIN } });
        assert.equal(res.status, 200, res.text);
        assert.equal(res.headers.get('access-control-allow-origin'), ORIGIN);
        assert.equal(res.headers.get('access-control-allow-credentials'), 'true');
        const exposed = listOf(res.headers.get('access-control-expose-headers'));
        for (const name of EXPOSED) assert.ok(exposed.includes(name.toLowerCase()), `${name} in ${exposed}`);
        assert.ok(!exposed.includes('x-auth-token'), 'X-Auth-Token only in header mode');
        const error = await new HankoClient(tenant).get('/me', { headers: { Origin: ORIGIN } });
        assert.equal(error.status, 401);
        assert.equal(error.headers.get('access-control-allow-origin'), ORIGIN, 'errors carry CORS headers too');
      });

      test('exposes X-Auth-Token in header mode', async () => {
        const res = await new HankoClient(headerMode).get('/.well-known/config', { headers: { Origin: ORIGIN } });
        assert.equal(res.status, 200, res.text);
        const exposed = listOf(res.headers.get('access-control-expose-headers'));
        for (const name of [...EXPOSED, 'X-Auth-Token']) {
          assert.ok(exposed.includes(name.toLowerCase()), `${name} in ${exposed}`);
        }
      });

      test('grants nothing to an origin that is not allowed', async () => {
        const evil = 'https://evil.example';
        const preflight = await api(tenant.base, 'OPTIONS', '/users', {
          headers: { Origin: evil, 'Access-Control-Request-Method': 'POST' },
        });
        assert.equal(preflight.headers.get('access-control-allow-origin'), null);
        assert.equal(preflight.headers.get('access-control-allow-credentials'), null);
        const res = await new HankoClient(tenant).get('/.well-known/config', { headers: { Origin: evil } });
        assert.equal(res.headers.get('access-control-allow-origin'), null);
      });
    });

    describe('the hanko_public block on the admin API (contract)', () => {
      test('GET /tenants/{id} shows the original\'s defaults for a tenant that never set the block', async () => {
        const created = await api(server.adminUrl, 'POST', '/tenants', {
          body: {
            display_name: 'no block',
            config: {
              cors: { allowed_origins: [ORIGIN], allow_unsafe_wildcard: false },
              webauthn: { relying_party: { id: 'localhost', display_name: 'RP', origins: [ORIGIN] }, timeout: 60000 },
            },
          },
        });
        assert.equal(created.status, 201, created.text);
        const shown = await api(server.adminUrl, 'GET', `/tenants/${created.json.id}`);
        assert.equal(shown.status, 200, shown.text);
        assert.deepEqual(shown.json.config.hanko_public, DEFAULT_BLOCK);
      });

      test('a PUT /config without the block keeps the current one', async () => {
        const shown = await api(server.adminUrl, 'GET', `/tenants/${configured.id}`);
        const { hanko_public: block, ...rest } = shown.json.config;
        const put = await api(server.adminUrl, 'PUT', `/tenants/${configured.id}/config`, { body: rest });
        assert.equal(put.status, 204, put.text);
        const after = await api(server.adminUrl, 'GET', `/tenants/${configured.id}`);
        assert.deepEqual(after.json.config.hanko_public, block);
        assert.equal((await new HankoClient(configured).get('/.well-known/config')).json.password.min_password_length, 12);
      });
    });
  });
}
