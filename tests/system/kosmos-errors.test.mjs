// Failures of the 1Kosmos dialect over real HTTP: a broken, foreign, stale or replayed envelope, and licenses that do
// not reach the community. Each is answered {"status":"failed","errorMessage":...} with a 4xx, never a 5xx, and no
// secret reaches the server's log. Specification: /work/shared/notes/kosmos.md (envelope, licenses).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';

import {
  BASE, Ceremonies, KosmosClient, assertFailure, createCommunity, createLicense, createOrganisation, keyPair,
} from './lib/kosmos.mjs';
import { api } from './lib/http.mjs';
import { STORES, startServer, withServerLog } from './lib/server.mjs';

const DNS = 'id.errors.test';

// What each failure is answered with.
const STATUS = {
  undecryptable: 400, // a sealed value (body or header) that does not open or is not base64
  license: 401, // no license, or an unknown one
  stale: 401,
  replayed: 409,
  tooLarge: 413,
  forbidden: 403,
  notFound: 404,
};

// Flips one bit of the byte at `index` (negative from the end) of a standard-base64 value.
function flip(value, index) {
  const bytes = Buffer.from(value, 'base64');
  bytes[index < 0 ? bytes.length + index : index] ^= 0x01;
  return bytes.toString('base64');
}

for (const store of STORES) {
  describe(`1Kosmos dialect: envelope and license failures (${store})`, () => {
    let server;
    let setup;
    let client;
    let secondCommunity;
    let otherTenantLicense;
    const test = (name, fn) => it(name, withServerLog(() => server, fn));

    before(async () => {
      server = await startServer(store);
      setup = await createOrganisation(server, { name: 'errors', dns: DNS });
      secondCommunity = createCommunity(server, { tenant: setup.org.id, name: 'second', dns: 'second.errors.test' });
      const other = await createOrganisation(server, { name: 'elsewhere', dns: 'elsewhere.test' });
      otherTenantLicense = createLicense(server, { tenant: other.org.id, scope: 'system' }).license_key;
      client = await KosmosClient.connect(server.publicUrl, setup.license.license_key);
    });

    after(async () => {
      await server?.stop();
    });

    const optionsBody = (extra = {}) => ({
      dns: DNS, username: 'eve', displayName: 'Eve', communityId: setup.community.id, tenantId: setup.org.id,
      attestation: 'none', ...extra,
    });
    const options = (opts) => client.encrypted('POST', '/attestation/options', { body: optionsBody(), ...opts });

    describe('the envelope', () => {
      test('a well-formed envelope works (the baseline the other cases break)', async () => {
        const res = await options();
        assert.equal(res.status, 200, res.text);
        assert.equal(res.json.status, 'ok');
        assert.equal(res.json.errorMessage, '');
        assert.ok(res.data, 'the answer is sealed under the shared key');
      });

      test('tampered body ciphertext, IV or tag → 400', async () => {
        const sealed = client.seal(optionsBody());
        for (const at of [0, 20, -1]) {
          const res = await options({ rawBody: JSON.stringify({ data: flip(sealed, at) }) });
          assertFailure(res, STATUS.undecryptable, `byte ${at}`);
        }
      });

      test('body data that is not base64, too short, or absent → 400', async () => {
        for (const body of [{ data: '!!!not base64!!!' }, { data: 'AAAA' }, { data: '' }, {}, { data: 42 }]) {
          assertFailure(await options({ rawBody: JSON.stringify(body) }), STATUS.undecryptable, JSON.stringify(body));
        }
      });

      test('a body that is not JSON, or sealed text that is not JSON → 400', async () => {
        assertFailure(await options({ rawBody: '{"data":' }), 400, 'broken JSON');
        assertFailure(await options({ rawBody: JSON.stringify({ data: client.seal('not json') }) }), 400, 'sealed text');
      });

      test('sealed with a key other than the one in `publickey` → 400 (nothing opens)', async () => {
        const stranger = await KosmosClient.connect(server.publicUrl, setup.license.license_key);
        // Everything sealed by the stranger, but sent with our public key.
        const res = await api(server.publicUrl, 'POST', `${BASE}/attestation/options`, {
          headers: { ...stranger.envelopeHeaders(), publickey: client.keys.publicKey },
          body: { data: stranger.seal(optionsBody()) },
        });
        assertFailure(res, STATUS.undecryptable, 'foreign key');
        // Headers right, body sealed by the stranger.
        assertFailure(await options({ rawBody: JSON.stringify({ data: stranger.seal(optionsBody()) }) }),
          STATUS.undecryptable, 'foreign body');
      });

      test('a `publickey` that is not base64, not a point, or missing → 4xx', async () => {
        const notPoints = [Buffer.alloc(64, 0), Buffer.alloc(10, 1)].map((b) => b.toString('base64'));
        for (const publickey of ['%%%', ...notPoints, undefined]) {
          const res = await options({ headers: { publickey } });
          assertFailure(res, undefined, `publickey ${publickey}`);
        }
      });

      test('the caller key in 65-byte (0x04) form and in 63-byte form (leading zero dropped) is accepted', async () => {
        const long = await options({
          headers: {
            publickey: Buffer.concat([Buffer.from([4]), Buffer.from(client.keys.publicKey, 'base64')]).toString('base64'),
          },
        });
        assert.equal(long.status, 200, long.text);

        let keys = keyPair();
        while (Buffer.from(keys.publicKey, 'base64')[0] !== 0) keys = keyPair();
        const short = new KosmosClient(server.publicUrl, {
          licenseKey: setup.license.license_key, servicePublicKey: client.servicePoint.toString('base64'), keys,
        });
        const res = await short.encrypted('POST', '/attestation/options', {
          body: optionsBody(),
          headers: { publickey: Buffer.from(keys.publicKey, 'base64').subarray(1).toString('base64') },
        });
        assert.equal(res.status, 200, res.text);
      });

      test('a license or requestid header that does not open → 400; none at all → 4xx', async () => {
        const license = client.seal(setup.license.license_key);
        assertFailure(await options({ headers: { licensekey: flip(license, -1) } }), STATUS.undecryptable,
          'tampered license');
        assertFailure(await options({ headers: { licensekey: setup.license.license_key } }), STATUS.undecryptable,
          'license in the clear');
        const requestId = client.requestId().header;
        assertFailure(await options({ headers: { requestid: flip(requestId, 30) } }), STATUS.undecryptable,
          'tampered requestid');
        assertFailure(await options({ headers: { requestid: client.seal('{"ts":') } }), 400, 'requestid not JSON');
        assertFailure(await options({ headers: { requestid: undefined } }), undefined, 'no requestid');
        assertFailure(await options({ headers: { licensekey: undefined } }), STATUS.license, 'no license');
      });

      test('a body over the size limit → 413, declared or streamed', async () => {
        const huge = JSON.stringify({ data: 'A'.repeat(2 * 1024 * 1024) });
        assertFailure(await options({ rawBody: huge }), STATUS.tooLarge, 'with Content-Length');
        // Streamed, the server reads up to its limit (64 KiB) before it refuses; the body is kept just over it,
        // as a larger one may still be in flight when the server answers and closes, and fetch then fails (EPIPE)
        // instead of returning the answer.
        const over = JSON.stringify({ data: 'A'.repeat(72 * 1024) });
        const chunks = [Buffer.from(over.slice(0, 1024)), Buffer.from(over.slice(1024))];
        const stream = new ReadableStream({
          pull(controller) {
            const next = chunks.shift();
            if (next) controller.enqueue(next);
            else controller.close();
          },
        });
        const response = await fetch(`${server.publicUrl}${BASE}/attestation/options`, {
          method: 'POST',
          headers: { ...client.envelopeHeaders(), 'Content-Type': 'application/json' },
          body: stream,
          duplex: 'half',
        });
        const text = await response.text();
        assert.equal(response.status, STATUS.tooLarge, text);
        assert.equal(JSON.parse(text).status, 'failed');
      });

      test('a requestid ten minutes old or ahead → stale', async () => {
        const now = Math.floor(Date.now() / 1000);
        for (const ts of [now - 600, now + 600]) {
          const res = await options({ headers: { requestid: client.requestId({ ts }).header } });
          assertFailure(res, STATUS.stale, `ts ${ts - now} s`);
        }
      });

      test('a requestid uuid seen before → replayed, even sealed afresh with a new ts', async () => {
        const uuid = randomUUID();
        const first = client.requestId({ uuid });
        assert.equal((await options({ headers: { requestid: first.header } })).status, 200);
        assertFailure(await options({ headers: { requestid: first.header } }), STATUS.replayed, 'same header');
        const again = client.requestId({ uuid, ts: first.ts + 1 });
        assertFailure(await options({ headers: { requestid: again.header } }), STATUS.replayed, 'same uuid');
      });

      test('the failed envelope answers are plain JSON (not sealed) with no data', async () => {
        const res = await options({ rawBody: JSON.stringify({ data: 'AAAA' }) });
        assert.deepEqual(Object.keys(res.json).sort().filter((k) => k !== 'data'), ['errorMessage', 'status']);
        assert.ok(!res.json.data, 'no data on failure');
      });

      test('the documented `privateKey` header is ignored and never logged', async () => {
        const secret = `never-log-${randomUUID()}`;
        const res = await options({ headers: { privateKey: secret } });
        assert.equal(res.status, 200, res.text);
        assert.ok(!server.log().includes(secret), 'privateKey value in the log');
      });
    });

    describe('licenses on the ceremony routes', () => {
      const cases = () => [
        ['unknown license', { licenseKey: 'f'.repeat(64), communityId: setup.community.id }, STATUS.license],
        ['license of another community', { licenseKey: setup.license.license_key, communityId: secondCommunity.id },
          STATUS.forbidden],
        ['license of another tenant', { licenseKey: otherTenantLicense, communityId: setup.community.id },
          STATUS.notFound],
        ['unknown community', { licenseKey: setup.license.license_key, communityId: 'aaaaaaaaaaaaaaaaaaaaaaaa' },
          STATUS.notFound],
      ];

      for (const variant of ['encrypted', 'u1']) {
        test(`${variant}: unknown license 401, other community's 403, other tenant's or unknown community 404`, async () => {
          for (const [what, { licenseKey, communityId }, status] of cases()) {
            const ceremonies = new Ceremonies(client.withLicense(licenseKey), { ...setup, dns: DNS });
            for (const [path, body] of [
              ['/attestation/options', optionsBody({ communityId })],
              ['/assertion/options', { ...optionsBody({ communityId }), attestation: undefined }],
            ]) {
              assertFailure(await ceremonies.call(variant, path, body), status, `${variant} ${path}: ${what}`);
            }
          }
        });
      }

      test('u1: no licensekey header → 401', async () => {
        const res = await client.plain('POST', '/u1/attestation/options', { body: optionsBody(), licenseKey: null });
        assertFailure(res, STATUS.license, 'no license');
      });

      test('a license reaching all communities of the tenant works in each', async () => {
        const all = createLicense(server, { tenant: setup.org.id, scope: 'all' }).license_key;
        for (const communityId of [setup.community.id, secondCommunity.id]) {
          const dns = communityId === setup.community.id ? DNS : 'second.errors.test';
          const res = await client.withLicense(all).plain('POST', '/u1/assertion/options',
            { body: { dns, communityId, tenantId: setup.org.id } });
          assert.equal(res.status, 200, res.text);
        }
      });

      test('link and unregister routes refuse the same licenses', async () => {
        for (const [what, { licenseKey, communityId }, status] of cases()) {
          const c = client.withLicense(licenseKey);
          const hash = 'ab'.repeat(64);
          assertFailure(await c.encrypted('GET', `/link/community/${communityId}/user/eve/status`), status, what);
          assertFailure(await c.plain('GET', `/u1/link/community/${communityId}/user/eve/status`), status, what);
          assertFailure(await c.encrypted('PUT', `/link/community/${communityId}/did/did:x:1/user/eve/fidokey/${hash}`),
            status, what);
          assertFailure(await c.encrypted('DELETE', `/unregister/community/${communityId}/did_or_fidokey/${hash}`),
            status, what);
        }
      });
    });

    describe('ceremony mistakes', () => {
      test('a result for a challenge never issued, and a result with no body → 4xx', async () => {
        const ceremonies = new Ceremonies(client, { ...setup, dns: DNS });
        for (const variant of ['encrypted', 'u1']) {
          const forged = {
            id: 'AAAA', rawId: 'AAAA', type: 'public-key',
            response: { clientDataJSON: Buffer.from('{}').toString('base64url'), attestationObject: 'oA' },
          };
          assertFailure(await ceremonies.registrationResult(variant, forged), undefined, `${variant} forged`);
        }
        assertFailure(await client.plain('POST', '/u1/assertion/result', { rawBody: '' }), undefined, 'u1 empty');
        assertFailure(await client.encrypted('POST', '/assertion/result', { rawBody: '' }), undefined, 'encrypted empty');
      });

      test('nothing in this file made the server log a license key', async () => {
        assert.ok(!server.log().includes(setup.license.license_key), 'license key in the log');
        assert.ok(!server.log().includes(otherTenantLicense), 'license key in the log');
      });
    });
  });
}
