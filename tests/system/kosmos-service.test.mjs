// The 1Kosmos dialect's service routes (/healthz, /publickeys, /sd, /environment) and its secrets at rest: the
// service's secp256k1 key pair is sealed in the database and the same across restarts; license keys are stored only
// as hashes. Specification: /work/shared/notes/kosmos.md.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createECDH, randomBytes } from 'node:crypto';

import { api } from './lib/http.mjs';
import {
  BASE, Ceremonies, KosmosClient, createLicense, createOrganisation, dumpDatabase, masterKey, openServiceSecret,
  serviceSecrets,
} from './lib/kosmos.mjs';
import { SoftAuthenticator } from './lib/authenticator.mjs';
import { STORES, startServer, withServerLog } from './lib/server.mjs';

const DNS = 'svc.kosmos.test';
const ADMIN_TOKEN = `admin-${randomBytes(16).toString('hex')}`;

// Whether `point` (64 raw bytes) is on secp256k1: Node refuses to compute with a point that is not.
function onCurve(point) {
  try {
    const ecdh = createECDH('secp256k1');
    ecdh.generateKeys();
    ecdh.computeSecret(Buffer.concat([Buffer.from([4]), point]));
    return true;
  } catch {
    return false;
  }
}

// Every JSON key of a value, recursively, with the string values under them.
function* entries(value, path = '') {
  if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) yield* entries(v, path ? `${path}.${k}` : k);
  } else {
    yield [path, value];
  }
}

for (const store of STORES) {
  describe(`1Kosmos dialect: service routes and secrets at rest (${store})`, () => {
    let server;
    let setup;
    let licenses;
    const test = (name, fn) => it(name, withServerLog(() => server, fn));
    const get = (path, headers = {}) => api(server.publicUrl, 'GET', `${BASE}${path}`, { headers });

    // The rows of service_secrets right after the first start, before any call reached /webauthn.
    let secretsAtStart;

    before(async () => {
      server = await startServer(store, { env: { LATCHKEY_ADMIN_TOKEN: ADMIN_TOKEN } });
      secretsAtStart = serviceSecrets(server);
      setup = await createOrganisation(server, { name: 'svc', dns: DNS });
      licenses = [
        setup.license.license_key,
        createLicense(server, { tenant: setup.org.id, scope: 'all' }).license_key,
        createLicense(server, { tenant: setup.org.id, scope: 'system' }).license_key,
      ];
    });

    after(async () => {
      await server?.stop();
    });

    test('/healthz answers {status, code, version} without credentials', async () => {
      const res = await get('/healthz');
      assert.equal(res.status, 200, res.text);
      for (const field of ['status', 'code', 'version']) {
        assert.equal(typeof res.json[field], 'string', `${field}: ${res.text}`);
      }
    });

    let publicKey;
    test('/publickeys answers the service key: standard base64 of a 64-byte secp256k1 point', async () => {
      const res = await get('/publickeys');
      assert.equal(res.status, 200, res.text);
      publicKey = res.json.publicKey;
      assert.match(publicKey, /^[A-Za-z0-9+/]+={0,2}$/);
      const point = Buffer.from(publicKey, 'base64');
      assert.equal(point.length, 64);
      assert.ok(onCurve(point), 'the point is on secp256k1');
      assert.equal((await get('/publickeys')).json.publicKey, publicKey, 'stable between calls');
    });

    test('/sd answers a map of service name → URL', async () => {
      const res = await get('/sd');
      assert.equal(res.status, 200, res.text);
      assert.equal(typeof res.json, 'object');
      assert.ok(!Array.isArray(res.json));
      for (const [name, url] of Object.entries(res.json)) {
        assert.equal(typeof url, 'string', name);
        assert.doesNotThrow(() => new URL(url), `${name}: ${url}`);
      }
    });

    test('/environment answers the documented fields, ec_curve_name secp256k1', async () => {
      const res = await get('/environment', { licensekey: licenses[0] });
      assert.equal(res.status, 200, res.text);
      const env = res.json;
      for (const field of ['sessionMaxAgeMinute', 'appSessionIdleTimeout', 'allowed_time_span', 'samlNotOrAfterSkewMinutes',
        'jwtExpirationInMs', 'wxMaxBuffer']) {
        assert.equal(typeof env[field], 'number', `${field}: ${res.text}`);
      }
      assert.equal(typeof env.instanceType, 'string');
      assert.equal(env.ec_curve_name, 'secp256k1');
      for (const part of ['direct', 'application', 'system', 'os']) assert.equal(typeof env.env?.[part], 'object', part);
    });

    test('/environment holds no secret: license, master key, admin token, database URL, secret-named key', async () => {
      const res = await get('/environment', { licensekey: licenses[0] });
      assert.equal(res.status, 200, res.text);
      const forbidden = [...licenses, ADMIN_TOKEN, server.databaseUrl, server.env.LATCHKEY_MASTER_KEY].filter(Boolean);
      for (const value of forbidden) assert.ok(!res.text.includes(value), `environment shows ${value}`);
      for (const [path, value] of entries(res.json)) {
        assert.ok(!/secret|password|passwd|token|private|master|api_?key|license|credential/i.test(path),
          `secret-looking key ${path}`);
        if (typeof value === 'string') {
          assert.ok(!/^[0-9a-f]{40,}$/i.test(value) && !/^[A-Za-z0-9_+/-]{43,}={0,2}$/.test(value),
            `${path} looks like key material: ${value}`);
          assert.ok(!/^(postgres|sqlite):/i.test(value), `${path} is a database URL`);
        }
      }
    });

    test('/environment with an unknown license → 401', async () => {
      const res = await get('/environment', { licensekey: 'f'.repeat(64) });
      assert.equal(res.status, 401, res.text);
    });

    test('the service key pair exists from the first start, before any call', async () => {
      assert.equal(secretsAtStart.length, 1, JSON.stringify(secretsAtStart.map((r) => r.name)));
    });

    test('the service key pair is stored once, sealed; the public half is /publickeys', async () => {
      const rows = serviceSecrets(server);
      assert.equal(rows.length, 1, JSON.stringify(rows.map((r) => r.name)));
      const [row] = rows;
      const point = Buffer.from(publicKey, 'base64');
      assert.ok(row.public.equals(point) || row.public.equals(Buffer.concat([Buffer.from([4]), point])),
        `public column ${row.public.toString('hex')} is the /publickeys point`);
      // A sealed 32-byte scalar has at least a nonce and a tag around it.
      assert.ok(row.sealed.length >= 32 + 16 + 12, `sealed is ${row.sealed.length} bytes`);
      // No 32-byte window of the sealed value is the private scalar: none yields the public point.
      for (let at = 0; at + 32 <= row.sealed.length; at += 1) {
        const ecdh = createECDH('secp256k1');
        let derived;
        try {
          ecdh.setPrivateKey(row.sealed.subarray(at, at + 32));
          derived = ecdh.getPublicKey().subarray(1);
        } catch {
          continue;
        }
        assert.ok(!derived.equals(point), `the private scalar is in clear at byte ${at}`);
      }
      // And it is the private half, sealed under the master key.
      const scalar = openServiceSecret(masterKey(server), row);
      assert.equal(scalar.length, 32);
      const ecdh = createECDH('secp256k1');
      ecdh.setPrivateKey(scalar);
      assert.ok(ecdh.getPublicKey().subarray(1).equals(point), 'the sealed scalar is the key of /publickeys');
    });

    test('the service key survives a restart: a client keyed before it goes on working', async () => {
      const client = await KosmosClient.connect(server.publicUrl, licenses[0]);
      await server.restart();
      assert.equal((await get('/publickeys')).json.publicKey, publicKey);
      // The restarted server listens on new ports.
      client.publicUrl = server.publicUrl;
      const ceremonies = new Ceremonies(client, { ...setup, dns: DNS });
      await ceremonies.register('encrypted', new SoftAuthenticator(), { username: 'restarted' });
    });

    test('no license key appears anywhere in the database, in any encoding', async () => {
      const dump = dumpDatabase(server);
      assert.ok(dump.length > 1000, 'the dump has content');
      assert.match(dump, /licenses/i);
      for (const key of licenses) {
        for (const form of [key, Buffer.from(key).toString('hex'), Buffer.from(key).toString('base64')]) {
          assert.ok(!dump.toLowerCase().includes(form.toLowerCase()), `license key stored as ${form.slice(0, 12)}…`);
        }
      }
    });

    test('no secret reached the server log', async () => {
      for (const value of [...licenses, ADMIN_TOKEN, server.env.LATCHKEY_MASTER_KEY].filter(Boolean)) {
        assert.ok(!server.log().includes(value), `log shows ${value.slice(0, 8)}…`);
      }
    });
  });
}
