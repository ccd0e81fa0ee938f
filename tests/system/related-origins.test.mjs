// Related origins (WebAuthn L3 §5.11, issue 18): a tenant lists web origins of other sites that may use its RP ID;
// the admin API checks the list (bare https origins, at most 5 registrable labels), latchkey serves it as the
// `/.well-known/webauthn` document, per tenant and by host, and ceremonies accept clientData from those origins.
// A browser test would need HTTPS and DNS for the RP ID, so the software authenticator plays the browser here.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';

import { SoftAuthenticator } from './lib/authenticator.mjs';
import {
  HankoClient, RP_ID as HANKO_RP_ID, createHankoTenant, registerPasskey, sessionTokenOf, uniqueEmail,
} from './lib/hanko-public.mjs';
import { api } from './lib/http.mjs';
import { STORES, createTenant, startServer, withServerLog } from './lib/server.mjs';

const RP_ID = 'login.example';
const ORIGIN = `https://${RP_ID}`;
const RELATED = ['https://login.example.de', 'https://shop.example.co.uk'];
const UNLISTED = 'https://elsewhere.example';

// GET with a chosen Host header, which fetch() does not let a caller set.
function getWithHost(base, path, host, headers = {}) {
  return new Promise((resolve, reject) => {
    const url = new URL(path, base);
    const req = request(url, { method: 'GET', headers: { ...headers, Host: host } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => { text += chunk; });
      res.on('end', () => {
        let json;
        try { json = JSON.parse(text); } catch { json = undefined; }
        resolve({ status: res.statusCode, headers: res.headers, text, json });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

for (const store of STORES) {
  describe(`related origins (${store})`, () => {
    let server;
    let tenant;
    let config; // the tenant's configuration as the admin API shows it
    const test = (name, fn) => it(name, withServerLog(() => server, fn));

    const keyed = (method, path, options = {}) =>
      api(server.publicUrl, method, `/${tenant.id}${path}`, { apiKey: tenant.api_key, ...options });
    const putRelated = (related) => api(server.adminUrl, 'PUT', `/tenants/${tenant.id}/config`, {
      body: { ...config, webauthn: { ...config.webauthn, relying_party: { ...config.webauthn.relying_party, related_origins: related } } },
    });

    before(async () => {
      server = await startServer(store, { env: { LATCHKEY_TRUSTED_PROXIES: '127.0.0.0/8' } });
      tenant = await createTenant(server, { name: 'related', rpId: RP_ID, origins: [ORIGIN] });
      const shown = await api(server.adminUrl, 'GET', `/tenants/${tenant.id}`);
      assert.equal(shown.status, 200, shown.text);
      config = shown.json.config;
    });
    after(async () => server?.stop());

    test('a tenant lists none at first and serves no document', async () => {
      assert.equal(config.webauthn.relying_party.related_origins, undefined, 'absent while there are none');
      const res = await api(server.publicUrl, 'GET', `/${tenant.id}/.well-known/webauthn`);
      assert.equal(res.status, 404, res.text);
      assert.equal(res.json.status, 404);
    });

    test('the admin API refuses origins browsers would not honour, in its error format', async () => {
      const six = ['one', 'two', 'three', 'four', 'five', 'six'].map((label) => `https://${label}.example`);
      for (const [related, says] of [
        [['http://login.example.de'], /not an https origin/],
        [['https://login.example.de/path'], /not a bare origin/],
        [['https://login.example.de/'], /https:\/\/login\.example\.de/],
        [['https://login.example.de', 'https://login.example.de'], /twice/],
        [six, /6 registrable origin labels.*at most 5/],
      ]) {
        const res = await putRelated(related);
        assert.equal(res.status, 400, `${related}: ${res.text}`);
        // The admin API's error format: {"title", "details", "status"}.
        assert.equal(res.json.status, 400, res.text);
        assert.match(res.json.details, says, `${related}`);
        assert.match(res.json.details, /related_origins/, `${related}`);
      }
      const unchanged = await api(server.adminUrl, 'GET', `/tenants/${tenant.id}`);
      assert.equal(unchanged.json.config.webauthn.relying_party.related_origins, undefined);
    });

    test('five labels are accepted, and example.co.uk and example.de count as one', async () => {
      const five = [
        'https://example.co.uk', 'https://www.example.de',
        'https://two.example', 'https://three.example', 'https://four.example', 'https://five.example',
      ];
      const res = await putRelated(five);
      assert.equal(res.status, 204, res.text);
    });

    test('the document is served per tenant and at the RP ID host, as plain JSON', async () => {
      const put = await putRelated(RELATED);
      assert.equal(put.status, 204, put.text);
      const shown = await api(server.adminUrl, 'GET', `/tenants/${tenant.id}`);
      assert.deepEqual(shown.json.config.webauthn.relying_party.related_origins, RELATED);
      config = shown.json.config;

      const perTenant = await api(server.publicUrl, 'GET', `/${tenant.id}/.well-known/webauthn`);
      assert.equal(perTenant.status, 200, perTenant.text);
      assert.deepEqual(perTenant.json, { origins: RELATED });
      assert.equal(perTenant.headers.get('content-type'), 'application/json');
      assert.match(perTenant.headers.get('cache-control'), /max-age=\d+/);

      const byHost = await getWithHost(server.publicUrl, '/.well-known/webauthn', `${RP_ID}:443`);
      assert.equal(byHost.status, 200, byHost.text);
      assert.deepEqual(byHost.json, { origins: RELATED });
      assert.equal(byHost.headers['content-type'], 'application/json');

      // Behind a trusted proxy (127.0.0.0/8 here) the forwarded host counts; the Host the proxy used does not.
      const proxied = await getWithHost(server.publicUrl, '/.well-known/webauthn', '127.0.0.1', { 'X-Forwarded-Host': RP_ID });
      assert.equal(proxied.status, 200, proxied.text);
      assert.deepEqual(proxied.json, { origins: RELATED });

      const elsewhere = await getWithHost(server.publicUrl, '/.well-known/webauthn', 'unknown.example');
      assert.equal(elsewhere.status, 404, elsewhere.text);
      assert.equal(elsewhere.json.status, 404);
    });

    test('a passkey registered on the RP ID signs in from a related origin, not from an unlisted one', async () => {
      const authenticator = new SoftAuthenticator();
      const init = await keyed('POST', '/registration/initialize', { body: { user_id: 'ror-user', username: 'ror' } });
      assert.equal(init.status, 200, init.text);
      const credential = authenticator.create(init.json, ORIGIN);
      const done = await keyed('POST', '/registration/finalize', { body: credential });
      assert.equal(done.status, 200, done.text);

      const login = async (origin) => {
        const start = await keyed('POST', '/login/initialize', { body: { user_id: 'ror-user' } });
        assert.equal(start.status, 200, start.text);
        // The RP ID stays the tenant's: authenticatorData carries SHA-256 of login.example.
        const assertion = authenticator.get(start.json, origin, { rpId: RP_ID });
        return keyed('POST', '/login/finalize', { body: assertion });
      };
      const related = await login(RELATED[1]);
      assert.equal(related.status, 200, related.text);
      assert.ok(related.json.token);
      const unlisted = await login(UNLISTED);
      assert.equal(unlisted.status, 401, unlisted.text);
    });

    test('a registration from a related origin is accepted too', async () => {
      const init = await keyed('POST', '/registration/initialize', { body: { user_id: 'ror-user-2', username: 'ror2' } });
      assert.equal(init.status, 200, init.text);
      const credential = new SoftAuthenticator().create(init.json, RELATED[0], { rpId: RP_ID });
      const done = await keyed('POST', '/registration/finalize', { body: credential });
      assert.equal(done.status, 200, done.text);
    });

    test('the Hanko Public API accepts a login from a related origin', async () => {
      const hanko = await createHankoTenant(server, { hanko: { emails: { require_verification: false } } });
      const shown = await api(server.adminUrl, 'GET', `/tenants/${hanko.id}`);
      const rp = { ...shown.json.config.webauthn.relying_party, related_origins: ['https://passkeys.example.de'] };
      const put = await api(server.adminUrl, 'PUT', `/tenants/${hanko.id}/config`,
        { body: { ...shown.json.config, webauthn: { ...shown.json.config.webauthn, relying_party: rp } } });
      assert.equal(put.status, 204, put.text);

      const client = new HankoClient(hanko);
      sessionTokenOf(await client.post('/users', { email: uniqueEmail('ror') }));
      const authenticator = new SoftAuthenticator();
      await registerPasskey(client, authenticator);
      const login = async (origin) => {
        const init = await client.post('/webauthn/login/initialize', {});
        assert.equal(init.status, 200, init.text);
        return client.post('/webauthn/login/finalize', authenticator.get(init.json, origin, { rpId: HANKO_RP_ID }));
      };
      sessionTokenOf(await login('https://passkeys.example.de'));
      assert.equal((await login(UNLISTED)).status, 401);
    });

    test('an empty list turns the document off again; a body without the field keeps the list', async () => {
      const { related_origins: _left, ...withoutField } = config.webauthn.relying_party;
      const kept = await api(server.adminUrl, 'PUT', `/tenants/${tenant.id}/config`, {
        body: { ...config, webauthn: { ...config.webauthn, relying_party: withoutField } },
      });
      assert.equal(kept.status, 204, kept.text);
      assert.equal((await api(server.publicUrl, 'GET', `/${tenant.id}/.well-known/webauthn`)).status, 200);

      const off = await putRelated([]);
      assert.equal(off.status, 204, off.text);
      const res = await api(server.publicUrl, 'GET', `/${tenant.id}/.well-known/webauthn`);
      assert.equal(res.status, 404, res.text);
    });
  });
}
