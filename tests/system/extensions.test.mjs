// WebAuthn extensions end to end over real HTTP against the `latchkey` binary, on each store, played by the
// software authenticator: the original shapes without settings, the tenant's extension settings in the options,
// credProtect required and stored, rk and minPinLength stored, PRF salts from the caller in the options and the PRF results passed back by finalize —
// through the Hanko passkey-server dialect and the 1Kosmos dialect.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';

import { SoftAuthenticator, b64url } from './lib/authenticator.mjs';
import { api } from './lib/http.mjs';
import { Ceremonies, KosmosClient, createOrganisation } from './lib/kosmos.mjs';
import { STORES, createTenant, startServer, withServerLog } from './lib/server.mjs';

const ORIGIN = 'http://localhost:8080';
const SALT = b64url(Buffer.from('a salt the application chose'));

// What the PRF of a credential with `secret` gives for `salt`, computed independently of the authenticator module.
const expectedPrf = (secret, salt) => b64url(createHmac('sha256', secret)
  .update(createHash('sha256').update(Buffer.concat([Buffer.from('WebAuthn PRF\0'), Buffer.from(salt, 'base64url')])).digest())
  .digest());

for (const store of STORES) {
  describe(`extensions through the passkey-server dialect (${store})`, () => {
    let server;
    let tenant;
    const test = (name, fn) => it(name, withServerLog(() => server, fn));
    const call = (method, path, body) => api(server.publicUrl, method, `/${tenant.id}${path}`, { apiKey: tenant.api_key, body });

    async function configure(extensions) {
      const current = await api(server.adminUrl, 'GET', `/tenants/${tenant.id}`);
      assert.equal(current.status, 200, current.text);
      const config = current.json.config;
      config.webauthn.extensions = extensions;
      const put = await api(server.adminUrl, 'PUT', `/tenants/${tenant.id}/config`, { body: config });
      assert.equal(put.status, 204, put.text);
      const shown = await api(server.adminUrl, 'GET', `/tenants/${tenant.id}`);
      const expected = Object.keys(extensions).length === 0
        ? undefined
        : { cred_props: false, hints: [], min_pin_length: false, prf: false, ...extensions };
      assert.deepEqual(shown.json.config.webauthn.extensions, expected);
    }

    before(async () => {
      server = await startServer(store);
      tenant = await createTenant(server, { name: 'extensions', origins: [ORIGIN] });
    });

    after(async () => {
      await server?.stop();
    });

    test('a tenant without extension settings answers the original shapes and learns nothing', async () => {
      const init = await call('POST', '/registration/initialize', { user_id: 'original', username: 'original' });
      assert.equal(init.status, 200, init.text);
      assert.equal(init.json.publicKey.extensions, undefined);
      assert.equal(init.json.publicKey.hints, undefined);
      const credential = new SoftAuthenticator().create(init.json, ORIGIN);
      const fin = await call('POST', '/registration/finalize', credential);
      assert.equal(fin.status, 200, fin.text);
      assert.deepEqual(Object.keys(fin.json), ['token']);
      const listed = await call('GET', `/credentials/${credential.id}`);
      assert.equal(listed.json.discoverable, undefined, 'rk unknown');
    });

    test('with cred_props a registration asks for credProps, stores rk and passes it back', async () => {
      await configure({ cred_props: true });
      const init = await call('POST', '/registration/initialize', { user_id: 'plain', username: 'plain' });
      assert.equal(init.status, 200, init.text);
      assert.deepEqual(init.json.publicKey.extensions, { credProps: true });
      assert.equal(init.json.publicKey.hints, undefined);
      const credential = new SoftAuthenticator().create(init.json, ORIGIN);
      assert.deepEqual(credential.clientExtensionResults, { credProps: { rk: true } });
      const fin = await call('POST', '/registration/finalize', credential);
      assert.equal(fin.status, 200, fin.text);
      assert.deepEqual(fin.json.clientExtensionResults, { credProps: { rk: true } });
      const listed = await call('GET', `/credentials/${credential.id}`);
      assert.equal(listed.status, 200, listed.text);
      assert.equal(listed.json.discoverable, true);
      assert.equal(listed.json.credential_protection, undefined);
      assert.equal(listed.json.min_pin_length, undefined);
      await configure({});
    });

    test('a required credProtect level is asked for, enforced and stored, with minPinLength', async () => {
      await configure({
        cred_props: true, credential_protection: 'user_verification_required', hints: ['security-key'], min_pin_length: true,
      });
      const init = await call('POST', '/registration/initialize', { user_id: 'kim', username: 'kim' });
      assert.equal(init.status, 200, init.text);
      assert.deepEqual(init.json.publicKey.hints, ['security-key']);
      assert.deepEqual(init.json.publicKey.extensions, {
        credProps: true,
        credentialProtectionPolicy: 'userVerificationRequired',
        enforceCredentialProtectionPolicy: true,
        minPinLength: true,
      });

      // An authenticator that reports a lower level than the one asked for is refused.
      const weak = new SoftAuthenticator({ credProtect: true });
      const lowered = structuredClone(init.json);
      lowered.publicKey.extensions.credentialProtectionPolicy = 'userVerificationOptionalWithCredentialIDList';
      const refused = await call('POST', '/registration/finalize', weak.create(lowered, ORIGIN));
      assert.equal(refused.status, 400, refused.text);
      assert.match(refused.json.details, /credential protection level 2 is below the required level 3/);

      // One that reports none at all is refused too.
      const silent = new SoftAuthenticator();
      const unenforced = structuredClone(init.json);
      unenforced.publicKey.extensions.enforceCredentialProtectionPolicy = false;
      const missing = await call('POST', '/registration/finalize', silent.create(unenforced, ORIGIN));
      assert.equal(missing.status, 400, missing.text);
      assert.match(missing.json.details, /was not reported/);

      const strong = new SoftAuthenticator({ credProtect: true, minPinLength: 8 });
      const credential = strong.create(init.json, ORIGIN);
      const fin = await call('POST', '/registration/finalize', credential);
      assert.equal(fin.status, 200, fin.text);
      const listed = await call('GET', `/credentials/${credential.id}`);
      assert.equal(listed.json.credential_protection, 'user_verification_required');
      assert.equal(listed.json.min_pin_length, 8);
      assert.equal(listed.json.discoverable, true);
      await configure({});
    });

    test('malformed extension results refuse the finalize and store nothing', async () => {
      const init = await call('POST', '/registration/initialize', { user_id: 'mal', username: 'mal' });
      const credential = new SoftAuthenticator().create(init.json, ORIGIN);
      credential.clientExtensionResults = { credProps: { rk: 'yes' } };
      const fin = await call('POST', '/registration/finalize', credential);
      assert.equal(fin.status, 400, fin.text);
      const listed = await call('GET', '/credentials?user_id=mal');
      assert.deepEqual(listed.json, []);
    });

    test('PRF: salts from the caller reach the options, results come back from finalize', async () => {
      const authenticator = new SoftAuthenticator({ prf: true });
      const init = await call('POST', '/registration/initialize', {
        user_id: 'prf-user', username: 'prf', extensions: { prf: { eval: { first: SALT } } },
      });
      assert.equal(init.status, 200, init.text);
      assert.deepEqual(init.json.publicKey.extensions.prf, { eval: { first: SALT } });
      const credential = authenticator.create(init.json, ORIGIN);
      const { prfSecret } = authenticator.credential(credential.id);
      const registered = await call('POST', '/registration/finalize', credential);
      assert.equal(registered.status, 200, registered.text);
      assert.deepEqual(registered.json.clientExtensionResults.prf, {
        enabled: true, results: { first: expectedPrf(prfSecret, SALT) },
      });

      // evalByCredential must name a credential the login allows: a discoverable login allows none.
      const byCredential = { prf: { evalByCredential: { [credential.id]: { first: SALT, second: SALT } } } };
      const discoverable = await api(server.publicUrl, 'POST', `/${tenant.id}/login/initialize`, { body: { extensions: byCredential } });
      assert.equal(discoverable.status, 400, discoverable.text);

      const login = await call('POST', '/login/initialize', { user_id: 'prf-user', extensions: byCredential });
      assert.equal(login.status, 200, login.text);
      assert.deepEqual(login.json.publicKey.extensions, byCredential);
      const assertion = authenticator.get(login.json, ORIGIN);
      const fin = await api(server.publicUrl, 'POST', `/${tenant.id}/login/finalize`, { body: assertion });
      assert.equal(fin.status, 200, fin.text);
      const expected = expectedPrf(prfSecret, SALT);
      assert.deepEqual(fin.json.clientExtensionResults, { prf: { results: { first: expected, second: expected } } });
      assert.ok(typeof fin.json.token === 'string', 'the token is still there');

      const badSalt = await call('POST', '/login/initialize', { user_id: 'prf-user', extensions: { prf: { eval: { first: 'not base64url!' } } } });
      assert.equal(badSalt.status, 400, badSalt.text);
    });

    test('a login without extension inputs answers the original shapes', async () => {
      const init = await api(server.publicUrl, 'POST', `/${tenant.id}/login/initialize`);
      assert.equal(init.status, 200, init.text);
      assert.equal(init.json.publicKey.extensions, undefined);
      assert.equal(init.json.publicKey.hints, undefined);
    });
  });

  describe(`extensions through the 1Kosmos dialect (${store})`, () => {
    const DNS = 'login.extensions.test';
    let server;
    let ceremonies;
    const test = (name, fn) => it(name, withServerLog(() => server, fn));

    before(async () => {
      server = await startServer(store);
      const setup = await createOrganisation(server, { name: 'ext', dns: DNS });
      const client = await KosmosClient.connect(server.publicUrl, setup.license.license_key);
      ceremonies = new Ceremonies(client, { ...setup, dns: DNS });
    });

    after(async () => {
      await server?.stop();
    });

    for (const variant of ['encrypted', 'u1']) {
      test(`${variant}: PRF salts reach the options and the results come back in data`, async () => {
        const authenticator = new SoftAuthenticator({ prf: true });
        const username = `prf-${variant}`;
        const options = await ceremonies.registrationOptions(variant, { username, extensions: { prf: { eval: { first: SALT } } } });
        assert.equal(options.status, 200, options.text);
        const creation = Ceremonies.creationOptions(variant, options);
        assert.deepEqual(creation.extensions, { prf: { eval: { first: SALT } } });
        const credential = authenticator.create(creation, ceremonies.origin);
        const { prfSecret } = authenticator.credential(credential.id);
        const registered = Ceremonies.result(variant, await ceremonies.registrationResult(variant, credential));
        assert.equal(registered.data.sub, username);
        assert.deepEqual(registered.data.clientExtensionResults, {
          prf: { enabled: true, results: { first: expectedPrf(prfSecret, SALT) } },
        });

        const login = await ceremonies.loginOptions(variant, { username, extensions: { prf: { eval: { first: SALT } } } });
        assert.equal(login.status, 200, login.text);
        const request = Ceremonies.requestOptions(variant, login);
        assert.deepEqual(request.extensions, { prf: { eval: { first: SALT } } });
        const assertion = authenticator.get(request, ceremonies.origin);
        const loggedIn = Ceremonies.result(variant, await ceremonies.loginResult(variant, assertion));
        assert.deepEqual(loggedIn.data.clientExtensionResults, { prf: { results: { first: expectedPrf(prfSecret, SALT) } } });
      });
    }
  });
}
