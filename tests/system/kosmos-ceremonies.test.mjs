// The 1Kosmos WebAuthn dialect's ceremonies, linking and de-registration over real HTTP against the `latchkey`
// binary, played by the software authenticator: registration and login through the encrypted routes and the u1
// routes, the signature token checked against the organisation's JWKS. Specification: /work/shared/notes/kosmos.md.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { SoftAuthenticator, fromB64url } from './lib/authenticator.mjs';
import { api } from './lib/http.mjs';
import { verifyJwt } from './lib/jwt.mjs';
import {
  Ceremonies, KosmosClient, assertFailure, cliJson, createOrganisation, fidoKeyHash,
} from './lib/kosmos.mjs';
import { STORES, startServer, withServerLog } from './lib/server.mjs';

const DNS = 'login.acme.test';
const ORIGIN = `https://${DNS}`;
const VARIANTS = ['encrypted', 'u1'];

for (const store of STORES) {
  describe(`1Kosmos dialect: ceremonies, links and de-registration (${store})`, () => {
    let server;
    let setup; // { org, community, license }
    let client;
    let ceremonies;
    const test = (name, fn) => it(name, withServerLog(() => server, fn));

    before(async () => {
      server = await startServer(store);
      setup = await createOrganisation(server, { name: 'acme', dns: DNS });
      client = await KosmosClient.connect(server.publicUrl, setup.license.license_key);
      ceremonies = new Ceremonies(client, { ...setup, dns: DNS });
    });

    after(async () => {
      await server?.stop();
    });

    async function assertSignatureToken(token, { sub, cred }) {
      const jwks = await api(server.publicUrl, 'GET', `/${setup.org.id}/.well-known/jwks.json`);
      assert.equal(jwks.status, 200, jwks.text);
      const claims = await verifyJwt(token, jwks.json);
      assert.equal(claims.sub, sub);
      // `createOrganisation` gives the organisation the community's dns as its RP ID: the token must not name it as
      // audience, or the organisation's relying party would take it, with a `sub` the community chose, as its own.
      assert.deepEqual([claims.aud].flat(), [`community:${setup.community.id}`], 'aud is the community');
      assert.equal(claims.cred, cred);
      assert.equal(claims.community, setup.community.id);
      assert.ok(Number.isInteger(claims.iat) && Math.abs(claims.iat - Date.now() / 1000) < 60, `iat ${claims.iat}`);
      assert.ok(claims.exp > claims.iat, 'exp after iat');
      return claims;
    }

    // Link and unregister routes: `encrypted` sends the envelope headers, `u1` a plain license key.
    const headerCall = (variant, method, path) => (variant === 'encrypted'
      ? client.encrypted(method, path)
      : client.plain(method, `/u1${path}`));
    // The body of an answer: encrypted answers carry it sealed in `data`.
    const answer = (res) => res.data ?? res.json;

    for (const variant of VARIANTS) {
      describe(`${variant} routes`, () => {
        const authenticator = new SoftAuthenticator();
        const username = `alice-${variant}`;
        let credential;

        test('attestation/options answers W3C creation options for the community\'s relying party', async () => {
          const res = await ceremonies.registrationOptions(variant,
            { username, displayName: 'Alice', attestation: 'direct' });
          assert.equal(res.status, 200, res.text);
          if (variant === 'encrypted') {
            assert.equal(res.json.status, 'ok', res.text);
            assert.equal(res.json.errorMessage, '');
            assert.equal(typeof res.json.data, 'string', 'the answer is sealed');
            assert.deepEqual(Object.keys(res.data).sort(), ['data', 'publickey']);
            assert.equal(res.data.publickey, client.servicePoint.toString('base64'), 'publickey is the service key');
          }
          const options = Ceremonies.creationOptions(variant, res);
          assert.ok(options, `creation options in ${JSON.stringify(answer(res))}`);
          assert.equal(options.status, 'ok');
          assert.equal(options.errorMessage, '');
          assert.equal(options.rp.id, DNS);
          assert.equal(typeof options.rp.name, 'string');
          assert.equal(options.user.name, username);
          assert.equal(options.user.displayName, 'Alice');
          assert.ok(fromB64url(options.user.id).length > 0, 'user.id is base64url');
          assert.equal(fromB64url(options.challenge).length, 32);
          assert.ok(options.pubKeyCredParams.some((p) => p.type === 'public-key' && p.alg === -7), 'ES256 offered');
          assert.equal(options.attestation, 'direct');
          assert.ok(Number.isInteger(options.timeout) && options.timeout > 0);
          assert.equal(typeof options.authenticatorSelection, 'object');
          assert.deepEqual(options.excludeCredentials, []);
        });

        test('registration (none attestation) answers {data: {sub}, status: "ok"}', async () => {
          const options = await ceremonies.registrationOptions(variant, { username, displayName: 'Alice' });
          assert.equal(options.status, 200, options.text);
          credential = authenticator.create(Ceremonies.creationOptions(variant, options), ORIGIN);
          const res = await ceremonies.registrationResult(variant, credential);
          assert.equal(res.status, 200, res.text);
          const result = Ceremonies.result(variant, res);
          assert.equal(result.status, 'ok', JSON.stringify(result));
          assert.equal(result.errorMessage, '');
          assert.equal(result.data.sub, username);
        });

        test('registration with packed self attestation and the result shaped as the W3C toJSON()', async () => {
          const other = new SoftAuthenticator();
          const options = await ceremonies.registrationOptions(variant,
            { username: `${username}-packed`, attestation: 'direct' });
          assert.equal(options.status, 200, options.text);
          const packed = other.create(Ceremonies.creationOptions(variant, options), ORIGIN, { fmt: 'packed' });
          const res = await ceremonies.registrationResult(variant, packed, {
            shape: (c, context) => ({ ...c, getClientExtensionResults: {}, ...context }),
          });
          assert.equal(res.status, 200, res.text);
          assert.equal(Ceremonies.result(variant, res).data.sub, `${username}-packed`);
        });

        test('a second registration of the user excludes the first credential', async () => {
          const options = await ceremonies.registrationOptions(variant, { username });
          assert.equal(options.status, 200, options.text);
          const excluded = Ceremonies.creationOptions(variant, options).excludeCredentials.map((c) => c.id);
          assert.deepEqual(excluded, [credential.id]);
        });

        test('login with a username lists the credential; the signature token verifies with the org JWKS', async () => {
          const options = await ceremonies.loginOptions(variant, { username });
          assert.equal(options.status, 200, options.text);
          const request = Ceremonies.requestOptions(variant, options);
          assert.equal(request.status, 'ok');
          assert.equal(request.rpId, DNS);
          assert.equal(fromB64url(request.challenge).length, 32);
          assert.deepEqual(request.allowCredentials.map((c) => c.id), [credential.id]);
          assert.ok(request.allowCredentials.every((c) => c.type === 'public-key'));

          const assertion = authenticator.get(request, ORIGIN);
          const res = await ceremonies.loginResult(variant, assertion);
          assert.equal(res.status, 200, res.text);
          const result = Ceremonies.result(variant, res);
          assert.equal(result.status, 'ok', JSON.stringify(result));
          assert.equal(result.data.sub, username);
          await assertSignatureToken(result.signature_token, { sub: username, cred: credential.id });
        });

        test('discoverable login (no username; u1 with a dguid)', async () => {
          const extra = variant === 'u1' ? { dguid: 'device-1234' } : {};
          const options = await ceremonies.loginOptions(variant, extra);
          assert.equal(options.status, 200, options.text);
          const request = Ceremonies.requestOptions(variant, options);
          assert.ok(!request.allowCredentials?.length, 'no credentials listed');
          const assertion = authenticator.get(request, ORIGIN, { credentialId: credential.id });
          const res = await ceremonies.loginResult(variant, assertion);
          assert.equal(res.status, 200, res.text);
          const result = Ceremonies.result(variant, res);
          assert.equal(result.data.sub, username);
          await assertSignatureToken(result.signature_token, { sub: username, cred: credential.id });
        });

        test('an assertion is single use: sending it again fails with a 4xx', async () => {
          const options = await ceremonies.loginOptions(variant, { username });
          const assertion = authenticator.get(Ceremonies.requestOptions(variant, options), ORIGIN);
          const first = await ceremonies.loginResult(variant, assertion);
          assert.equal(first.status, 200, first.text);
          assertFailure(await ceremonies.loginResult(variant, assertion), undefined, 'replayed assertion');
        });

        test('a credential made for another origin is refused', async () => {
          const options = await ceremonies.registrationOptions(variant, { username: `${username}-phished` });
          const phished = new SoftAuthenticator()
            .create(Ceremonies.creationOptions(variant, options), 'https://evil.example');
          assertFailure(await ceremonies.registrationResult(variant, phished), undefined, 'wrong origin');
        });

        test('options naming a dns other than the community\'s are refused', async () => {
          const res = await ceremonies.registrationOptions(variant, { username, dns: 'evil.example' });
          assertFailure(res, undefined, 'foreign dns');
        });

        test('a registration result with no attestationObject is refused with a 4xx', async () => {
          const options = await ceremonies.registrationOptions(variant, { username: `${username}-bare` });
          const bare = new SoftAuthenticator().create(Ceremonies.creationOptions(variant, options), ORIGIN);
          delete bare.response.attestationObject;
          const res = await ceremonies.registrationResult(variant, bare, {
            shape: (c, context) => ({ ...c, getClientExtensionResults: {}, ...context }),
          });
          assertFailure(res, undefined, 'no attestationObject');
        });
      });
    }

    describe('linking and de-registration', () => {
      // Each credential on an authenticator of its own: an authenticator refuses to register a second credential
      // for a user whose first it holds (excludeCredentials).
      const holders = new Map(); // credential id → authenticator
      const users = {};

      before(async () => {
        for (const name of ['lina', 'leo', 'lars']) {
          users[name] = [];
          for (const variant of VARIANTS) {
            const authenticator = new SoftAuthenticator();
            const { credential } = await ceremonies.register(variant, authenticator, { username: name });
            holders.set(credential.id, authenticator);
            users[name].push(credential.id);
          }
        }
      });

      const linkPath = (user, did, hash) =>
        `/link/community/${setup.community.id}/did/${encodeURIComponent(did)}/user/${user}/fidokey/${hash}`;
      const statusPath = (user) => `/link/community/${setup.community.id}/user/${user}/status`;

      for (const variant of VARIANTS) {
        test(`${variant}: a user with no link has status linked: false`, async () => {
          const res = await headerCall(variant, 'GET', statusPath('lina'));
          assert.equal(res.status, 200, res.text);
          assert.deepEqual(answer(res), { status: 'ok', errorMessage: '', linked: false, links: [] });
        });
      }

      for (const variant of VARIANTS) {
        test(`${variant}: link a DID to a credential, then the status lists it`, async () => {
          const did = `did:example:lina-${variant}`;
          const hash = fidoKeyHash(users.lina[variant === 'u1' ? 0 : 1]);
          const res = await headerCall(variant, 'PUT', linkPath('lina', did, hash));
          assert.equal(res.status, 200, res.text);
          assert.equal(answer(res).status, 'ok', res.text);
          assert.equal(answer(res).errorMessage, '');

          const status = await headerCall(variant, 'GET', statusPath('lina'));
          assert.equal(status.status, 200, status.text);
          const body = answer(status);
          assert.equal(body.status, 'ok');
          assert.equal(body.linked, true);
          const link = body.links.find((l) => l.did === did);
          assert.ok(link, `links has ${did}: ${JSON.stringify(body.links)}`);
          assert.equal(link.fidoKeyHash, hash);
          assert.ok(Math.abs(Date.parse(link.linkedAt) - Date.now()) < 60_000, `linkedAt ${link.linkedAt} is now`);
        });
      }

      test('linking is idempotent, and an upper-case hash names the same credential', async () => {
        const did = 'did:example:lina-encrypted';
        const res = await headerCall('encrypted', 'PUT', linkPath('lina', did, fidoKeyHash(users.lina[1]).toUpperCase()));
        assert.equal(res.status, 200, res.text);
        const status = answer(await headerCall('encrypted', 'GET', statusPath('lina')));
        assert.equal(status.links.filter((l) => l.did === did).length, 1, JSON.stringify(status.links));
      });

      for (const variant of VARIANTS) {
        test(`${variant}: linking an unknown user, another user's credential or an unknown hash → 404`, async () => {
          assertFailure(await headerCall(variant, 'PUT', linkPath('nobody', 'did:example:x', fidoKeyHash(users.lina[0]))),
            404, 'unknown user');
          assertFailure(await headerCall(variant, 'PUT', linkPath('leo', 'did:example:x', fidoKeyHash(users.lina[0]))),
            404, 'another user\'s credential');
          assertFailure(await headerCall(variant, 'PUT', linkPath('lina', 'did:example:x', fidoKeyHash('nope'))),
            404, 'unknown hash');
          assertFailure(await headerCall(variant, 'GET', statusPath('nobody')), 404, 'status of an unknown user');
        });
      }

      const unregisterPath = (identifier, user) => (user === undefined
        ? `/unregister/community/${setup.community.id}/did_or_fidokey/${encodeURIComponent(identifier)}`
        : `/unregister/community/${setup.community.id}/user/${user}/did_or_fidokey/${encodeURIComponent(identifier)}`);

      async function loginFails(credentialId) {
        const options = await ceremonies.loginOptions('u1', {});
        assert.equal(options.status, 200, options.text);
        const assertion = holders.get(credentialId).get(Ceremonies.requestOptions('u1', options), ORIGIN, { credentialId });
        assertFailure(await ceremonies.loginResult('u1', assertion), undefined, 'login with a removed credential');
      }

      async function loginWorks(credentialId, sub) {
        const options = await ceremonies.loginOptions('u1', {});
        const assertion = holders.get(credentialId).get(Ceremonies.requestOptions('u1', options), ORIGIN, { credentialId });
        const res = await ceremonies.loginResult('u1', assertion);
        assert.equal(res.status, 200, res.text);
        assert.equal(res.json.data.sub, sub);
      }

      test('unregister by DID removes the linked credential only; its link goes with it', async () => {
        const res = await client.encrypted('DELETE', unregisterPath('did:example:lina-u1'));
        assert.equal(res.status, 200, res.text);
        assert.deepEqual(answer(res), {});
        await loginFails(users.lina[0]);
        await loginWorks(users.lina[1], 'lina');
        const status = answer(await headerCall('u1', 'GET', statusPath('lina')));
        assert.deepEqual(status.links.map((l) => l.did), ['did:example:lina-encrypted']);
      });

      test('unregister by DID removes every credential linked to that DID', async () => {
        for (const id of users.lars) {
          const res = await headerCall('u1', 'PUT', linkPath('lars', 'did:example:lars', fidoKeyHash(id)));
          assert.equal(res.status, 200, res.text);
        }
        const res = await client.encrypted('DELETE', unregisterPath('did:example:lars', 'lars'));
        assert.equal(res.status, 200, res.text);
        for (const id of users.lars) await loginFails(id);
        await loginWorks(users.lina[1], 'lina');
      });

      test('unregister by fidoKeyHash within another user → 404 and nothing removed', async () => {
        assertFailure(await client.encrypted('DELETE', unregisterPath(fidoKeyHash(users.leo[0]), 'lina')), 404,
          'hash of leo\'s credential under lina');
        await loginWorks(users.leo[0], 'leo');
      });

      test('unregister by fidoKeyHash with the user removes that credential', async () => {
        const res = await client.encrypted('DELETE', unregisterPath(fidoKeyHash(users.leo[0]), 'leo'));
        assert.equal(res.status, 200, res.text);
        assert.deepEqual(answer(res), {});
        await loginFails(users.leo[0]);
        await loginWorks(users.leo[1], 'leo');
      });

      test('unregister by fidoKeyHash without a user removes that credential', async () => {
        const res = await client.encrypted('DELETE', unregisterPath(fidoKeyHash(users.leo[1])));
        assert.equal(res.status, 200, res.text);
        await loginFails(users.leo[1]);
      });

      // Her last credential gone, lina is unknown to link status, as a user who never registered is.
      test('unregister by DID with the user; then she has nothing to link', async () => {
        const res = await client.encrypted('DELETE', unregisterPath('did:example:lina-encrypted', 'lina'));
        assert.equal(res.status, 200, res.text);
        await loginFails(users.lina[1]);
        assertFailure(await headerCall('encrypted', 'GET', statusPath('lina')), 404, 'lina without credentials');
      });

      // A realm is not an organisation: no tenant list shows it and no API key is made for it (no route would
      // take one); it is reached through its community.
      test('the realm is absent from the admin and CLI tenant lists and gets no API key', async () => {
        const realm = setup.community.realm;
        const listed = await api(server.adminUrl, 'GET', '/tenants');
        assert.equal(listed.status, 200, listed.text);
        const ids = listed.json.map((t) => t.id);
        assert.ok(ids.includes(setup.org.id) && !ids.includes(realm), listed.text);
        const cli = cliJson(server, ['tenant', 'list']).map((t) => t.id);
        assert.ok(cli.includes(setup.org.id) && !cli.includes(realm), JSON.stringify(cli));
        const key = await api(server.adminUrl, 'POST', `/tenants/${realm}/secrets/api`, { body: { name: 'ops' } });
        assert.equal(key.status, 404, key.text);
        const cliKey = server.cli(['apikey', 'create', `--tenant=${realm}`, '--name=ops']);
        assert.notEqual(cliKey.status, 0, cliKey.stdout);
      });

      // Every admin route that names a tenant answers a realm as unknown (its audit log aside, below).
      test('the admin routes of a tenant answer 404 for the realm', async () => {
        const realm = setup.community.realm;
        const item = '00000000-0000-4000-8000-000000000000';
        const organisation = await api(server.adminUrl, 'GET', `/tenants/${setup.org.id}`);
        assert.equal(organisation.status, 200, organisation.text);
        const routes = [
          ['GET', `/tenants/${realm}`],
          ['PUT', `/tenants/${realm}`, { display_name: 'Renamed' }],
          ['PUT', `/tenants/${realm}/config`, organisation.json.config],
          ['GET', `/tenants/${realm}/secrets/api`],
          ['POST', `/tenants/${realm}/secrets/api`, { name: 'ops' }],
          ['DELETE', `/tenants/${realm}/secrets/api/${item}`],
          ['GET', `/tenants/${realm}/secrets/jwk`],
          ['POST', `/tenants/${realm}/secrets/jwk`],
          ['DELETE', `/tenants/${realm}/secrets/jwk/${item}`],
          ['GET', `/tenants/${realm}/users`],
          ['GET', `/tenants/${realm}/users/${item}`],
          ['DELETE', `/tenants/${realm}/users/${item}`],
          ['DELETE', `/tenants/${realm}`],
        ];
        for (const [method, path, body] of routes) {
          const res = await api(server.adminUrl, method, path, body === undefined ? {} : { body });
          assert.equal(res.status, 404, `${method} ${path}: ${res.text}`);
        }
        const community = await api(server.adminUrl, 'GET', `/tenants/${realm}/audit_logs`);
        assert.equal(community.status, 200, community.text);
      });

      // The community's realm keeps an audit log like any tenant's, which the admin API lists.
      test('the ceremonies and removals are in the realm\'s audit log, by user', async () => {
        const res = await api(server.adminUrl, 'GET', `/tenants/${setup.community.realm}/audit_logs?per_page=1000`);
        assert.equal(res.status, 200, res.text);
        const seen = (type, actor) =>
          res.json.some((e) => e.type === type && (actor === undefined || e.actor_user_id === actor));
        for (const type of ['webauthn_registration_init_succeeded', 'webauthn_registration_final_succeeded',
          'webauthn_registration_final_failed', 'webauthn_authentication_init_succeeded',
          'webauthn_authentication_final_succeeded', 'webauthn_authentication_final_failed']) {
          assert.ok(seen(type), `${type} in ${JSON.stringify([...new Set(res.json.map((e) => e.type))])}`);
        }
        assert.ok(seen('webauthn_registration_final_succeeded', 'lina'), 'lina\'s registration');
        for (const user of ['lina', 'leo', 'lars']) {
          assert.ok(seen('webauthn_credential_deleted', user), `removal of ${user}'s credentials`);
        }
        const organisation = await api(server.adminUrl, 'GET', `/tenants/${setup.org.id}/audit_logs?per_page=1000`);
        assert.equal(organisation.status, 200, organisation.text);
        assert.deepEqual(organisation.json, [], 'the organisation tenant records none of the community\'s events');
      });

      test('unregister of an identifier that matches nothing → 404', async () => {
        assertFailure(await client.encrypted('DELETE', unregisterPath('did:example:never')), 404, 'unknown DID');
        assertFailure(await client.encrypted('DELETE', unregisterPath(fidoKeyHash(users.leo[1]))), 404, 'removed hash');
      });
    });
  });
}
