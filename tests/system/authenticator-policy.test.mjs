// Authenticator policy of a Hanko passkey-server tenant (docs/authenticator-policy.md): its own allow/deny records
// over the global ones `latchkey mds import` keeps, through the admin API and the CLI, and a minimum FIDO
// certification level that only a model proven by its attestation chain and certified by the imported BLOB meets.
// The BLOB, its signing chain and the attestation certificates are made here with openssl (lib/mds.mjs).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { SoftAuthenticator } from './lib/authenticator.mjs';
import { api } from './lib/http.mjs';
import { entry, makeAttestationCert, makeCa, makeLeaf, signBlob } from './lib/mds.mjs';
import { STORES, createTenant, startServer, withServerLog } from './lib/server.mjs';

const ORIGIN = 'http://localhost:8080';
// A tenant's configuration read by another process (the CLI writes it) is trusted this long (engine CACHE_TTL).
const CACHE_TTL_MS = 1000;

const CERTIFIED = randomUUID();
const UNCERTIFIED = randomUUID();
const aaguidBytes = (aaguid) => Buffer.from(aaguid.replace(/-/g, ''), 'hex');

for (const store of STORES) {
  describe(`authenticator policy of a Hanko tenant (${store})`, { timeout: 300_000 }, () => {
    let server;
    let dir;
    let blobFile;
    let mdsRoot;
    let attestationRoot;
    const attested = {}; // aaguid → { key, x5c } for packed full attestation
    const test = (name, fn) => it(name, withServerLog(() => server, fn));

    const admin = (method, path, body) => api(server.adminUrl, method, path, { body });

    // Registers a new passkey of `authenticator` with `fmt` in `tenant`; returns the finalize answer.
    async function register(tenant, authenticator, fmt = 'none') {
      const user = randomUUID();
      const init = await api(server.publicUrl, 'POST', `/${tenant.id}/registration/initialize`,
        { apiKey: tenant.api_key, body: { user_id: user, username: user } });
      assert.equal(init.status, 200, init.text);
      const credential = authenticator.create(init.json, ORIGIN, { fmt });
      return api(server.publicUrl, 'POST', `/${tenant.id}/registration/finalize`, { body: credential });
    }

    const model = (aaguid, { proven = true } = {}) =>
      new SoftAuthenticator({ aaguid: aaguidBytes(aaguid), attestation: proven ? attested[aaguid] : undefined });

    const assertRegisters = async (tenant, authenticator, fmt, why) => {
      const res = await register(tenant, authenticator, fmt);
      assert.equal(res.status, 200, `${why}: ${res.text}`);
      assert.equal(typeof res.json.token, 'string');
    };

    // The passkey-server's refusal of an attestation (status 400, its error shape), with the policy's reason.
    const assertRefused = async (tenant, authenticator, fmt, reason) => {
      const res = await register(tenant, authenticator, fmt);
      assert.equal(res.status, 400, res.text);
      assert.deepEqual(Object.keys(res.json).sort(), ['details', 'status', 'title']);
      assert.equal(res.json.title, 'failed to validate attestation');
      assert.equal(res.json.status, 400);
      assert.match(res.json.details, reason);
    };

    async function setMinimum(tenant, minimum) {
      const shown = await admin('GET', `/tenants/${tenant.id}`);
      assert.equal(shown.status, 200, shown.text);
      const config = { ...shown.json.config, authenticator_policy: { minimum_certification: minimum } };
      const res = await admin('PUT', `/tenants/${tenant.id}/config`, config);
      assert.equal(res.status, 204, res.text);
      const again = await admin('GET', `/tenants/${tenant.id}`);
      assert.deepEqual(again.json.config.authenticator_policy, minimum === null ? {} : { minimum_certification: minimum });
    }

    const cli = (args) => {
      const out = server.cli(args);
      assert.equal(out.status, 0, `latchkey ${args.join(' ')}: ${out.stderr}`);
      return JSON.parse(out.stdout);
    };

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'latchkey-policy-'));
      mdsRoot = makeCa(dir, 'mds-root');
      const signer = makeLeaf(dir, mdsRoot, 'mds-signer', '/CN=mds.fidoalliance.org');
      attestationRoot = makeCa(dir, 'attestation-root');
      for (const [aaguid, name] of [[CERTIFIED, 'certified'], [UNCERTIFIED, 'uncertified']]) {
        const cert = makeAttestationCert(dir, attestationRoot, `${name}-attestation`, aaguid);
        attested[aaguid] = { key: cert.key, x5c: [cert.der] };
      }
      blobFile = join(dir, 'blob.jwt');
      writeFileSync(blobFile, signBlob(signer, [
        entry(CERTIFIED, 'Certified Key', [attestationRoot], [
          ['FIDO_CERTIFIED_L1', '2023-01-01'], ['FIDO_CERTIFIED_L1plus', '2024-01-01'], ['UPDATE_AVAILABLE', '2024-06-01'],
        ]),
        entry(UNCERTIFIED, 'Uncertified Key', [attestationRoot], [['NOT_FIDO_CERTIFIED', '2024-01-01']]),
      ]));
      server = await startServer(store);
    });

    after(async () => {
      await server?.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    test('a model denied through the admin API is refused; allowed or reset, it registers again', async () => {
      const tenant = await createTenant(server, { name: 'deny' });
      const aaguid = randomUUID();
      const key = model(aaguid);
      await assertRegisters(tenant, key, 'none', 'no record, no minimum');

      const denied = await admin('PUT', `/tenants/${tenant.id}/authenticators/${aaguid}`, { disabled: true, name: 'Key' });
      assert.equal(denied.status, 200, denied.text);
      assert.deepEqual(
        { ...denied.json, updated_at: undefined },
        { aaguid, name: 'Key', disabled: true, scope: 'tenant', updated_by: 'admin API', updated_at: undefined },
      );
      await assertRefused(tenant, key, 'none', new RegExp(`authenticator ${aaguid} is disabled by policy`));
      const other = await createTenant(server, { name: 'other' });
      await assertRegisters(other, key, 'none', 'another tenant is not affected');

      const listed = await admin('GET', `/tenants/${tenant.id}/authenticators`);
      assert.equal(listed.status, 200, listed.text);
      assert.deepEqual(listed.json.filter((r) => r.scope === 'tenant').map((r) => [r.aaguid, r.disabled]), [[aaguid, true]]);

      const allowed = await admin('PUT', `/tenants/${tenant.id}/authenticators/${aaguid}`, { disabled: false });
      assert.equal(allowed.status, 200, allowed.text);
      assert.equal(allowed.json.name, 'Key', 'the name stays when the body leaves it out');
      await assertRegisters(tenant, key, 'none', 'allowed');

      assert.equal((await admin('PUT', `/tenants/${tenant.id}/authenticators/${aaguid}`, { disabled: true })).status, 200);
      await assertRefused(tenant, key, 'none', /disabled by policy/);
      const reset = await admin('DELETE', `/tenants/${tenant.id}/authenticators/${aaguid}`);
      assert.equal(reset.status, 204, reset.text);
      await assertRegisters(tenant, key, 'none', 'reset: no record applies');
      const again = await admin('DELETE', `/tenants/${tenant.id}/authenticators/${aaguid}`);
      assert.equal(again.status, 404, again.text);
      assert.equal(again.json.title, 'authenticator policy not found');
    });

    test('the admin API refuses unknown tenants, bad AAGUIDs and bad bodies in its error format', async () => {
      const tenant = await createTenant(server, { name: 'errors' });
      const unknown = randomUUID();
      for (const [method, path, body] of [
        ['GET', `/tenants/${unknown}/authenticators`],
        ['PUT', `/tenants/${unknown}/authenticators/${CERTIFIED}`, { disabled: true }],
        ['DELETE', `/tenants/${unknown}/authenticators/${CERTIFIED}`],
      ]) {
        const res = await admin(method, path, body);
        assert.equal(res.status, 404, `${method} ${path}: ${res.text}`);
        assert.deepEqual(res.json, { title: 'tenant not found', status: 404, details: res.json.details });
      }
      for (const [path, body] of [
        [`/tenants/${tenant.id}/authenticators/not-a-uuid`, { disabled: true }],
        [`/tenants/${tenant.id}/authenticators/${CERTIFIED}`, { disabled: 'yes' }],
        [`/tenants/${tenant.id}/authenticators/${CERTIFIED}`, { metadata: ['not', 'a', 'statement'] }],
        [`/tenants/${tenant.id}/authenticators/${CERTIFIED}`, { surprise: 1 }],
        [`/tenants/${tenant.id}/authenticators/${CERTIFIED}`, []],
      ]) {
        const res = await admin('PUT', path, body);
        assert.equal(res.status, 400, `${path} ${JSON.stringify(body)}: ${res.text}`);
        assert.equal(res.json.title, 'unable to update authenticator');
      }
      const badConfig = await admin('GET', `/tenants/${tenant.id}`);
      const res = await admin('PUT', `/tenants/${tenant.id}/config`,
        { ...badConfig.json.config, authenticator_policy: { minimum_certification: 'L4' } });
      assert.equal(res.status, 400, res.text);
    });

    test('an MDS import keeps each model\'s certification level; the tenant lists the global records', async () => {
      const out = cli(['mds', 'import', blobFile, '--root', mdsRoot.path]);
      assert.deepEqual(out, { imported: 2, skipped: 0, disabled: 0, certified: 1 });
      const tenant = await createTenant(server, { name: 'listing' });
      const listed = await admin('GET', `/tenants/${tenant.id}/authenticators`);
      assert.equal(listed.status, 200, listed.text);
      const byAaguid = new Map(listed.json.map((r) => [r.aaguid, r]));
      assert.equal(byAaguid.get(CERTIFIED).certification, 'L1plus');
      assert.equal(byAaguid.get(CERTIFIED).scope, 'global');
      assert.equal(byAaguid.get(CERTIFIED).name, 'Certified Key');
      assert.equal(byAaguid.get(UNCERTIFIED).certification, undefined);
      assert.equal(byAaguid.get(UNCERTIFIED).scope, 'global');
    });

    test('minimum L1plus (admin API): only the certified model, proven by its chain, registers', async () => {
      const tenant = await createTenant(server, { name: 'strict' });
      await assertRegisters(tenant, model(UNCERTIFIED), 'packed', 'no minimum yet');
      await setMinimum(tenant, 'L1plus');

      await assertRegisters(tenant, model(CERTIFIED), 'packed', 'certified L1plus, attested by its chain');
      await assertRefused(tenant, model(UNCERTIFIED), 'packed', /not FIDO certified/);
      await assertRefused(tenant, model(CERTIFIED), 'none', /does not prove the model/);
      await assertRefused(tenant, model(CERTIFIED, { proven: false }), 'packed', /does not prove the model/);
      await assertRefused(tenant, model(randomUUID()), 'none', /no metadata names the model/);

      await setMinimum(tenant, 'L2');
      await assertRefused(tenant, model(CERTIFIED), 'packed', /certified L1plus, below the required L2/);

      await setMinimum(tenant, null);
      await assertRegisters(tenant, model(CERTIFIED), 'none', 'no minimum');
    });

    test('the CLI sets the minimum and denies, allows and resets a tenant\'s models', async () => {
      const tenant = await createTenant(server, { name: 'cli' });
      assert.deepEqual(cli(['tenant', 'policy', tenant.id]), {});
      assert.deepEqual(cli(['tenant', 'policy', tenant.id, '--minimum-certification', 'L1plus']),
        { minimum_certification: 'L1plus' });
      await sleep(CACHE_TTL_MS + 100);
      await assertRegisters(tenant, model(CERTIFIED), 'packed', 'certified');
      await assertRefused(tenant, model(UNCERTIFIED), 'packed', /not FIDO certified/);
      await assertRefused(tenant, model(CERTIFIED), 'none', /does not prove the model/);

      const denied = cli(['tenant', 'authenticators', 'deny', tenant.id, CERTIFIED]);
      assert.deepEqual([denied.aaguid, denied.disabled, denied.scope, denied.name], [CERTIFIED, true, 'tenant', 'Certified Key']);
      await assertRefused(tenant, model(CERTIFIED), 'packed', /disabled by policy/);
      const listed = cli(['tenant', 'authenticators', 'list', tenant.id]);
      const own = listed.find((r) => r.aaguid === CERTIFIED);
      assert.deepEqual([own.scope, own.disabled, own.certification], ['tenant', true, 'L1plus']);

      cli(['tenant', 'authenticators', 'allow', tenant.id, CERTIFIED]);
      await assertRegisters(tenant, model(CERTIFIED), 'packed', 'allowed');
      cli(['tenant', 'authenticators', 'deny', tenant.id, CERTIFIED]);
      assert.deepEqual(cli(['tenant', 'authenticators', 'reset', tenant.id, CERTIFIED]), { aaguid: CERTIFIED, reset: true });
      await assertRegisters(tenant, model(CERTIFIED), 'packed', 'reset to the global record');
      assert.equal(cli(['tenant', 'authenticators', 'list', tenant.id]).find((r) => r.aaguid === CERTIFIED).scope, 'global');

      assert.deepEqual(cli(['tenant', 'policy', tenant.id, '--minimum-certification', 'none']), {});
      await sleep(CACHE_TTL_MS + 100);
      await assertRegisters(tenant, model(UNCERTIFIED), 'none', 'no minimum');

      for (const args of [
        ['tenant', 'policy', tenant.id, '--minimum-certification', 'L4'],
        ['tenant', 'authenticators', 'reset', tenant.id, CERTIFIED],
        ['tenant', 'authenticators', 'deny', randomUUID(), CERTIFIED],
      ]) {
        const out = server.cli(args);
        assert.notEqual(out.status, 0, `latchkey ${args.join(' ')} succeeded: ${out.stdout}`);
        assert.equal(out.stdout.trim(), '');
      }
    });
  });
}
