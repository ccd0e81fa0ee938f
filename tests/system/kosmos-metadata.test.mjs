// Vendor metadata of the 1Kosmos dialect as storage (fetch, upsert, patch) and as live authenticator policy (a
// disabled AAGUID cannot register, per community or globally through community `any`), and the license scopes that
// guard it. Specification: /work/shared/notes/kosmos.md ("Vendor metadata = authenticator policy", "Licenses").
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { SoftAuthenticator } from './lib/authenticator.mjs';
import {
  Ceremonies, KosmosClient, assertFailure, createCommunity, createLicense, createOrganisation,
} from './lib/kosmos.mjs';
import { STORES, startServer, withServerLog } from './lib/server.mjs';

const here = dirname(fileURLToPath(import.meta.url));
// A CA certificate (standard base64 DER, as in attestationRootCertificates) from tests/system/data/test-root.pem.
const TEST_ROOT = readFileSync(join(here, 'data', 'test-root.pem'), 'utf8').replace(/-----[A-Z ]+-----|\s/g, '');

const aaguidBytes = (aaguid) => Buffer.from(aaguid.replace(/-/g, ''), 'hex');

// A small MDS3-style metadata statement.
const statement = (aaguid, description, extra = {}) => ({
  legalHeader: 'test',
  aaguid,
  description,
  authenticatorVersion: 1,
  protocolFamily: 'fido2',
  schema: 3,
  upv: [{ major: 1, minor: 0 }],
  authenticationAlgorithms: ['secp256r1_ecdsa_sha256_raw'],
  publicKeyAlgAndEncodings: ['cose'],
  attestationTypes: ['basic_full'],
  attestationRootCertificates: [],
  ...extra,
});

// A PUT body with filler values.
const filler = (aaguid = randomUUID()) => ({ aaguid, name: 'n', metadata: '{}', updatedBy: 'u' });

// A record's metadata may come back as the JSON text it was stored as, or parsed.
const parsed = (metadata) => (typeof metadata === 'string' ? JSON.parse(metadata) : metadata);

for (const store of STORES) {
  describe(`1Kosmos dialect: vendor metadata and authenticator policy (${store})`, () => {
    let server;
    let acme; // { org, community, license }: community a.acme.test
    let second; // a second community of acme: b.acme.test
    let other; // another organisation: c.other.test
    let licenses; // acme's: { community, second, all, system }; other's: { other, otherSystem }
    let client;
    const test = (name, fn) => it(name, withServerLog(() => server, fn));

    before(async () => {
      server = await startServer(store);
      acme = await createOrganisation(server, { name: 'acme', dns: 'a.acme.test' });
      second = createCommunity(server, { tenant: acme.org.id, name: 'second', dns: 'b.acme.test' });
      other = await createOrganisation(server, { name: 'other', dns: 'c.other.test' });
      licenses = {
        community: acme.license.license_key,
        second: createLicense(server, { tenant: acme.org.id, scope: second.id }).license_key,
        all: createLicense(server, { tenant: acme.org.id, scope: 'all' }).license_key,
        system: createLicense(server, { tenant: acme.org.id, scope: 'system' }).license_key,
        other: other.license.license_key,
        otherSystem: createLicense(server, { tenant: other.org.id, scope: 'system' }).license_key,
      };
      client = await KosmosClient.connect(server.publicUrl, licenses.community);
    });

    after(async () => {
      await server?.stop();
    });

    const fetchRecords = (community, licenseKey, body = {}) =>
      client.plain('POST', `/vendormetadata/${community}/fetch`, { licenseKey, body });
    const put = (community, licenseKey, body) =>
      client.plain('PUT', `/vendormetadata/${community}`, { licenseKey, body });
    const patch = (community, aaguid, licenseKey, body) =>
      client.plain('PATCH', `/vendormetadata/${community}/aaguid/${aaguid}`, { licenseKey, body });

    // Registers a fresh authenticator of model `aaguid` in a community; returns the result response.
    async function registerModel({ community, org, dns }, licenseKey, aaguid, { fmt = 'none' } = {}) {
      const ceremonies = new Ceremonies(client.withLicense(licenseKey), { community, org, dns });
      const options = await ceremonies.registrationOptions('u1', { username: `user-${randomUUID()}` });
      assert.equal(options.status, 200, options.text);
      const authenticator = new SoftAuthenticator({ aaguid: aaguidBytes(aaguid) });
      const credential = authenticator.create(Ceremonies.creationOptions('u1', options), `https://${dns}`, { fmt });
      return ceremonies.registrationResult('u1', credential);
    }
    const inAcme = () => ({ community: acme.community, org: acme.org, dns: 'a.acme.test' });
    const inSecond = () => ({ community: second, org: acme.org, dns: 'b.acme.test' });
    const inOther = () => ({ community: other.community, org: other.org, dns: 'c.other.test' });

    describe('records', () => {
      const aaguid = randomUUID();
      let id;

      test('a community with no records fetches []', async () => {
        const res = await fetchRecords(acme.community.id, licenses.community);
        assert.equal(res.status, 200, res.text);
        assert.deepEqual(res.json, []);
      });

      test('PUT creates a record: {aaguid, id, status: "ok", errorMessage: ""}', async () => {
        const res = await put(acme.community.id, licenses.community, {
          aaguid, name: 'Model One', metadata: JSON.stringify(statement(aaguid, 'Model One')), updatedBy: 'tester',
        });
        assert.equal(res.status, 200, res.text);
        assert.equal(res.json.aaguid, aaguid);
        assert.equal(res.json.status, 'ok');
        assert.equal(res.json.errorMessage, '');
        assert.equal(typeof res.json.id, 'string');
        id = res.json.id;
      });

      test('fetch returns the record as stored, by AAGUID, with {} and with an empty list', async () => {
        for (const body of [{ aaguids: [aaguid] }, {}, { aaguids: [] }]) {
          const res = await fetchRecords(acme.community.id, licenses.community, body);
          assert.equal(res.status, 200, res.text);
          assert.equal(res.json.length, 1, res.text);
          const [record] = res.json;
          assert.equal(record.id, id);
          assert.equal(record.aaguid, aaguid);
          assert.equal(record.communityId, acme.community.id);
          assert.deepEqual(parsed(record.metadata), statement(aaguid, 'Model One'));
          assert.equal(record.name, 'Model One');
          assert.equal(record.disabled, false);
          assert.equal(record.updatedBy, 'tester');
          assert.ok(!Number.isNaN(Date.parse(record.updatedAt)), `updatedAt ${record.updatedAt}`);
        }
        const none = await fetchRecords(acme.community.id, licenses.community, { aaguids: [randomUUID()] });
        assert.equal(none.status, 200, none.text);
        assert.deepEqual(none.json, []);
      });

      test('the record is the community\'s own: the second community does not see it', async () => {
        const res = await fetchRecords(second.id, licenses.all);
        assert.equal(res.status, 200, res.text);
        assert.deepEqual(res.json, []);
      });

      test('PUT again upserts by AAGUID and keeps the id; metadata may be an object', async () => {
        const res = await put(acme.community.id, licenses.all, {
          aaguid, name: 'Model One v2', metadata: statement(aaguid, 'Model One v2'), updatedBy: 'tester-2',
        });
        assert.equal(res.status, 200, res.text);
        assert.equal(res.json.id, id);
        const [record] = (await fetchRecords(acme.community.id, licenses.community)).json;
        assert.equal(record.name, 'Model One v2');
        assert.equal(record.updatedBy, 'tester-2');
        assert.deepEqual(parsed(record.metadata), statement(aaguid, 'Model One v2'));
      });

      test('PATCH merges: only the given fields change', async () => {
        const res = await patch(acme.community.id, aaguid, licenses.community, { disabled: true, updatedBy: 'patcher' });
        assert.equal(res.status, 200, res.text);
        assert.equal(res.json.status, 'ok');
        const [record] = (await fetchRecords(acme.community.id, licenses.community)).json;
        assert.equal(record.id, id);
        assert.equal(record.disabled, true);
        assert.equal(record.name, 'Model One v2');
        assert.equal(record.updatedBy, 'patcher');
        assert.deepEqual(parsed(record.metadata), statement(aaguid, 'Model One v2'));
      });

      test('PATCH of an unknown AAGUID → 404', async () => {
        const res = await patch(acme.community.id, randomUUID(), licenses.community, { name: 'x', updatedBy: 'p' });
        assert.equal(res.status, 404, res.text);
      });

      test('malformed records → 400: bad AAGUID, metadata not a JSON object, no updatedBy, not JSON', async () => {
        const good = { aaguid: randomUUID(), name: 'n', metadata: '{}', updatedBy: 'u' };
        for (const [what, body] of [
          ['bad aaguid', { ...good, aaguid: 'not-a-uuid' }],
          ['metadata a JSON array', { ...good, metadata: '[1]' }],
          ['metadata not JSON', { ...good, metadata: '{nope' }],
          ['no updatedBy', { aaguid: good.aaguid, name: 'n', metadata: '{}' }],
        ]) {
          const res = await put(acme.community.id, licenses.community, { ...body });
          assert.equal(res.status, 400, `${what}: ${res.status} ${res.text}`);
        }
        const raw = await client.plain('PUT', `/vendormetadata/${acme.community.id}`, { rawBody: '{"aaguid":' });
        assert.equal(raw.status, 400, raw.text);
        const badPatch = await client.plain('PATCH', `/vendormetadata/${acme.community.id}/aaguid/not-a-uuid`,
          { body: { name: 'x', updatedBy: 'p' } });
        assert.ok(badPatch.status === 400 || badPatch.status === 404, `${badPatch.status} ${badPatch.text}`);
      });
    });

    describe('licenses on the vendor metadata routes', () => {
      test('no license or an unknown one → 401', async () => {
        assert.equal((await fetchRecords(acme.community.id, null)).status, 401);
        assert.equal((await fetchRecords(acme.community.id, 'f'.repeat(64))).status, 401);
        assert.equal((await put(acme.community.id, 'nope', filler())).status, 401);
      });

      test('a license of another community of the tenant → 403', async () => {
        const res = await fetchRecords(second.id, licenses.community);
        assert.equal(res.status, 403, res.text);
        const write = await put(second.id, licenses.community, filler());
        assert.equal(write.status, 403, write.text);
      });

      test('a license of another tenant → 404, even a system one', async () => {
        for (const key of [licenses.other, licenses.otherSystem]) {
          const res = await fetchRecords(acme.community.id, key);
          assert.equal(res.status, 404, res.text);
        }
      });

      test('an unknown community → 404', async () => {
        assert.equal((await fetchRecords('0123456789abcdef01234567', licenses.all)).status, 404);
      });

      test('community `any` is written only with a system license: community and all-community ones → 403', async () => {
        for (const key of [licenses.community, licenses.all]) {
          const res = await put('any', key, filler());
          assert.equal(res.status, 403, res.text);
          const change = await patch('any', randomUUID(), key, { name: 'x', updatedBy: 'u' });
          assert.equal(change.status, 403, change.text);
        }
      });

      // The documentation page: "load all records matching special communityId 'any' need system or service license".
      test('community `any` is read only with a system license: community and all-communities licenses → 403', async () => {
        for (const key of [licenses.community, licenses.all]) {
          const read = await fetchRecords('any', key);
          assert.equal(read.status, 403, read.text);
        }
        const system = await fetchRecords('any', licenses.system);
        assert.equal(system.status, 200, system.text);
      });
    });

    describe('policy at registration', () => {
      const local = randomUUID(); // disabled in acme's community only
      const global = randomUUID(); // disabled in `any`
      const rooted = randomUUID(); // enabled, with a root certificate

      test('an AAGUID with no record registers', async () => {
        const res = await registerModel(inAcme(), licenses.community, randomUUID());
        assert.equal(res.status, 200, res.text);
      });

      test('an AAGUID disabled in the community is refused there (none and packed self attestation)', async () => {
        const res = await put(acme.community.id, licenses.community,
          { aaguid: local, name: 'Local', metadata: statement(local, 'Local'), disabled: true, updatedBy: 'u' });
        assert.equal(res.status, 200, res.text);
        for (const fmt of ['none', 'packed']) {
          assertFailure(await registerModel(inAcme(), licenses.community, local, { fmt }), undefined, `disabled, ${fmt}`);
        }
      });

      test('... and registers in another community', async () => {
        const res = await registerModel(inSecond(), licenses.second, local);
        assert.equal(res.status, 200, res.text);
      });

      test('re-enabled with PATCH, it registers again', async () => {
        const res = await patch(acme.community.id, local, licenses.community, { disabled: false, updatedBy: 'u' });
        assert.equal(res.status, 200, res.text);
        const done = await registerModel(inAcme(), licenses.community, local);
        assert.equal(done.status, 200, done.text);
      });

      // latchkey's decision (docs/kosmos.md): `any` is the system license's organisation, so no
      // tenant decides another's policy; only `latchkey mds import` writes truly global records.
      test('an AAGUID disabled in `any` (system license) is refused in every community of its organisation, not in other tenants\'', async () => {
        const res = await put('any', licenses.system,
          { aaguid: global, name: 'Global', metadata: statement(global, 'Global'), disabled: true, updatedBy: 'ops' });
        assert.equal(res.status, 200, res.text);
        const fetched = await fetchRecords('any', licenses.system, { aaguids: [global] });
        assert.equal(fetched.status, 200, fetched.text);
        assert.equal(fetched.json.length, 1);
        assert.equal(fetched.json[0].communityId, 'any');
        assert.equal(fetched.json[0].disabled, true);
        assertFailure(await registerModel(inAcme(), licenses.community, global), undefined, 'acme');
        assertFailure(await registerModel(inSecond(), licenses.second, global), undefined, 'second');
        const elsewhere = await registerModel(inOther(), licenses.other, global);
        assert.equal(elsewhere.status, 200, `other tenant: ${elsewhere.text}`);
      });

      test('a community\'s own enabled record overrides its organisation\'s', async () => {
        const res = await put(second.id, licenses.second,
          { ...filler(global), name: 'Allowed here', metadata: statement(global, 'Allowed'), disabled: false });
        assert.equal(res.status, 200, res.text);
        const done = await registerModel(inSecond(), licenses.second, global);
        assert.equal(done.status, 200, done.text);
        assertFailure(await registerModel(inAcme(), licenses.community, global), undefined, 'acme still refuses');
      });

      test('root certificates in a record do not fail none or self attestation', async () => {
                const res = await put(acme.community.id, licenses.community, {
          ...filler(rooted),
          metadata: statement(rooted, 'Rooted', { attestationRootCertificates: [TEST_ROOT] }),
        });
        assert.equal(res.status, 200, res.text);
        for (const fmt of ['none', 'packed']) {
          const done = await registerModel(inAcme(), licenses.community, rooted, { fmt });
          assert.equal(done.status, 200, `${fmt}: ${done.text}`);
        }
      });
    });
  });
}
