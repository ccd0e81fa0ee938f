// `latchkey import`: a database of each original server (its published schema, data made the way the original makes
// it) is taken over without anyone enrolling again. Imported passkeys log in through the passkey-server dialect with
// the imported API key and through the Hanko Public API, an imported bcrypt password logs in, and tokens signed with
// the original's key verify against latchkey's JWKS (same kid), which also signs latchkey's new tokens.
// Specification: docs/import.md; formats: docs/research/beyond-the-originals.md §4.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  createCipheriv, createHash, createPrivateKey, generateKeyPairSync, randomBytes, randomUUID, sign,
} from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { SoftAuthenticator, b64url, fromB64url } from './lib/authenticator.mjs';
import { decode as cborDecode } from './lib/cbor.mjs';
import {
  HankoClient, ORIGIN, RP_ID, createHankoTenant, passkeyLogin, sessionTokenOf, userHandleOf,
} from './lib/hanko-public.mjs';
import { api } from './lib/http.mjs';
import { decodeJwt, verifyJwt } from './lib/jwt.mjs';
import { STORES, startServer, withServerLog } from './lib/server.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const PASSKEY_SERVER_SCHEMA = join(here, 'data/hanko-passkey-server-schema.sql');
const HANKO_SCHEMA = join(here, 'data/hanko-v0.12-schema.sql');

// bcrypt at cost 4 of PASSWORD (the original uses cost 12; the cost is part of the hash). No bcrypt package is among
// the test's dependencies, so the hash was made once with Python's crypt (libxcrypt, `$2b$`) and given Go's `$2a$`
// prefix, which the original writes; both prefixes name the same algorithm for such a password.
const PASSWORD = 'correct horse battery';
const PASSWORD_HASH = '$2a$04$MtlJlIeIK8S6hyI0bbk0fe4H0GMFlKymlyh9tUEYqEnUikJyFD6Vy';

function psql(database, args) {
  const out = spawnSync('psql', ['-h', '127.0.0.1', '-U', 'postgres', '-v', 'ON_ERROR_STOP=1', '-q', '-d', database,
    ...args], { encoding: 'utf8', timeout: 60_000 });
  if (out.status !== 0) throw new Error(`psql ${args.join(' ')} failed (${out.status}): ${out.stderr || out.error}`);
  return out.stdout;
}

// A scratch database holding `schema`, dropped by `drop()`.
function sourceDatabase(schema) {
  const name = `latchkey_import_src_${randomBytes(6).toString('hex')}`;
  psql('postgres', ['-c', `CREATE DATABASE ${name}`]);
  psql(name, ['-f', schema]);
  return {
    url: `postgres://postgres@127.0.0.1:5432/${name}`,
    sql: (text) => psql(name, ['-c', text]),
    drop: () => psql('postgres', ['-c', `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`]),
  };
}

const quote = (value) => (value === null ? 'NULL' : `'${String(value).replaceAll("'", "''")}'`);
const rows = (values) => values.map((row) => `(${row.map(quote).join(', ')})`).join(', ');

// An RSA signing key as the originals make them (crypto/jwk/generator_rsa.go: a UUID kid, RS256, use sig), its JWK
// JSON sealed as crypto/aes_gcm/aes_gcm.go seals it: AES-256-GCM under SHA-256 of the secret, base64 URL alphabet with
// padding of nonce || ciphertext || tag. 2048 bits keeps the test quick; the originals use 4096.
function originalJwk(secret) {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = randomUUID();
  const jwk = { ...privateKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' };
  const nonce = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', createHash('sha256').update(secret).digest(), nonce);
  const sealed = Buffer.concat([nonce, cipher.update(JSON.stringify(jwk)), cipher.final(), cipher.getAuthTag()]);
  return { kid, privateKey, keyData: sealed.toString('base64').replaceAll('+', '-').replaceAll('/', '_') };
}

// A JWT the original would have issued before the move, signed with its key.
function originalToken(jwk, claims) {
  const header = b64url(JSON.stringify({ alg: 'RS256', kid: jwk.kid, typ: 'JWT' }));
  const payload = b64url(JSON.stringify(claims));
  const signature = sign('sha256', Buffer.from(`${header}.${payload}`), createPrivateKey(jwk.privateKey.export({
    format: 'pem', type: 'pkcs8',
  })));
  return `${header}.${payload}.${b64url(signature)}`;
}

// A passkey registered with the original: the authenticator makes it for `userHandle`, and the original stores the
// credential id and the COSE key from the attested credential data as base64url without padding.
function registeredPasskey(authenticator, userHandle, name) {
  const made = authenticator.create({
    challenge: b64url(randomBytes(32)),
    rp: { id: RP_ID, name: 'original' },
    user: { id: b64url(userHandle), name, displayName: name },
    pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
  }, ORIGIN);
  const authData = cborDecode(fromB64url(made.response.attestationObject)).get('authData');
  const idLength = authData.readUInt16BE(53);
  const cose = authData.subarray(55 + idLength);
  return { id: made.id, publicKey: b64url(cose) };
}

const when = (days) => new Date(Date.UTC(2024, 0, 1 + days)).toISOString().replace('T', ' ').replace('Z', '');

function importCli(server, args) {
  const out = server.cli(['import', ...args]);
  return { ...out, report: out.status === 0 ? JSON.parse(out.stdout) : undefined };
}

const counts = (n, present = 0) => ({ new: n, present });

for (const store of STORES) {
  describe(`latchkey import (${store})`, () => {
    let server;
    const sources = [];
    const test = (name, fn) => it(name, withServerLog(() => server, fn));

    before(async () => {
      server = await startServer(store);
    });
    after(async () => {
      for (const source of sources) source.drop();
      await server?.stop();
    });

    describe('hanko-passkey-server', () => {
      const tenantId = randomUUID();
      const userId = 'customer-17';
      // crypto.GenerateRandomStringURLSafe(64): base64.URLEncoding (with padding) of 64 random bytes.
      const apiKey = `${randomBytes(64).toString('base64url')}==`;
      const jwkSecret = 'a-jwk-secret-of-at-least-16-characters';
      const authenticator = new SoftAuthenticator({ backupEligible: true, backupState: true });
      let passkey;
      let jwk;
      let source;
      const base = () => `${server.publicUrl.replace(/\/+$/, '')}/${tenantId}`;

      before(() => {
        source = sourceDatabase(PASSKEY_SERVER_SCHEMA);
        sources.push(source);
        jwk = originalJwk(jwkSecret);
        passkey = registeredPasskey(authenticator, Buffer.from(userId), 'ada@example.com');
        const [config, webauthn, rp, cors, audit, mfa, webauthnUser] = Array.from({ length: 7 }, () => randomUUID());
        const t = when(0);
        source.sql(`
          INSERT INTO tenants VALUES ${rows([[tenantId, 'Imported shop', t, t]])};
          INSERT INTO configs VALUES ${rows([[config, tenantId, t, t]])};
          INSERT INTO webauthn_configs (id, timeout, user_verification, config_id, created_at, updated_at, attachment,
            attestation_preference, resident_key_requirement)
            VALUES ${rows([[webauthn, 120000, 'required', config, t, t, null, 'none', 'required']])};
          INSERT INTO relying_parties VALUES ${rows([[rp, RP_ID, 'Imported RP', '', webauthn, t, t]])};
          INSERT INTO webauthn_origins VALUES ${rows([[randomUUID(), ORIGIN, rp, t, t]])};
          INSERT INTO cors VALUES ${rows([[cors, false, config, t, t]])};
          INSERT INTO cors_origins VALUES ${rows([[randomUUID(), ORIGIN, cors, t, t]])};
          INSERT INTO audit_log_configs VALUES ${rows([[audit, true, false, 'stdout', config, t, t]])};
          INSERT INTO mfa_configs VALUES ${rows([[mfa, 60000, 'discouraged', 'cross-platform', 'direct', 'discouraged',
            config, t, t]])};
          INSERT INTO secrets VALUES ${rows([
            [randomUUID(), 'api key', apiKey, true, config, t, t],
            [randomUUID(), 'jwk key', jwkSecret, false, config, t, t],
          ])};
          INSERT INTO webauthn_users VALUES ${rows([[webauthnUser, userId, 'ada@example.com', '', 'Ada', tenantId, t,
            t]])};
          INSERT INTO webauthn_credentials (id, user_id, public_key, attestation_type, aaguid, sign_count, name,
            last_used_at, backup_eligible, backup_state, webauthn_user_id, created_at, updated_at, is_mfa)
            VALUES ${rows([[passkey.id, userId, passkey.publicKey, 'none', '00000000-0000-0000-0000-000000000000', 0,
              'my key', null, true, true, webauthnUser, t, t, false]])};
          INSERT INTO webauthn_credential_transports VALUES ${rows([[randomUUID(), 'internal', passkey.id],
            [randomUUID(), 'hybrid', passkey.id]])};
          INSERT INTO jwks (key_data, created_at, tenant_id) VALUES ${rows([[jwk.keyData, t, tenantId]])};
        `);
      });

      test('a dry run reports every row as new and writes nothing', async () => {
        const out = importCli(server, ['hanko-passkey-server', `--from=${source.url}`, '--dry-run']);
        assert.equal(out.status, 0, out.stderr);
        assert.deepEqual(out.report, {
          dry_run: true,
          tenants: [{
            id: tenantId, tenant: counts(1), users: counts(1), credentials: counts(1), emails: counts(0),
            passwords: counts(0), identities: counts(0), keys: counts(1), api_keys: counts(1),
          }],
        });
        assert.equal((await api(server.adminUrl, 'GET', `/tenants/${tenantId}`)).status, 404);
        for (const secret of [apiKey, jwkSecret]) {
          assert.ok(!out.stdout.includes(secret) && !out.stderr.includes(secret), 'no secret in the output');
        }
      });

      test('the import writes the tenant once; a second run finds everything present', async () => {
        const first = importCli(server, ['hanko-passkey-server', `--from=${source.url}`]);
        assert.equal(first.status, 0, first.stderr);
        assert.equal(first.report.dry_run, false);
        assert.deepEqual(first.report.tenants[0].credentials, counts(1));
        const second = importCli(server, ['hanko-passkey-server', `--from=${source.url}`]);
        assert.equal(second.status, 0, second.stderr);
        assert.deepEqual(second.report.tenants, [{
          id: tenantId, tenant: counts(0, 1), users: counts(0, 1), credentials: counts(0, 1), emails: counts(0),
          passwords: counts(0), identities: counts(0), keys: counts(0, 1), api_keys: counts(0, 1),
        }]);
        const shown = await api(server.adminUrl, 'GET', `/tenants/${tenantId}`);
        assert.equal(shown.status, 200, shown.text);
        assert.equal(shown.json.display_name, 'Imported shop');
        assert.equal(shown.json.config.webauthn.relying_party.id, RP_ID);
        assert.deepEqual(shown.json.config.webauthn.relying_party.origins, [ORIGIN]);
        assert.equal(shown.json.config.webauthn.timeout, 120000);
      });

      test('the imported passkey logs in with the imported API key, on the kid of the original', async () => {
        const init = await api(base(), 'POST', '/login/initialize', { apiKey, body: { user_id: userId } });
        assert.equal(init.status, 200, init.text);
        assert.deepEqual(init.json.publicKey.allowCredentials.map((c) => c.id), [passkey.id]);
        const res = await api(base(), 'POST', '/login/finalize', { body: authenticator.get(init.json, ORIGIN) });
        assert.equal(res.status, 200, res.text);
        const { header, claims } = decodeJwt(res.json.token);
        assert.equal(header.kid, jwk.kid, 'latchkey signs with the imported key');
        assert.equal(claims.sub, userId);
        const jwks = await api(base(), 'GET', '/.well-known/jwks.json');
        assert.equal(jwks.status, 200, jwks.text);
        await verifyJwt(res.json.token, jwks.json);
        // The token also verifies with the original's own public key (as its clients hold it).
        const originalJwks = { keys: [{ ...jwk.privateKey.export({ format: 'jwk' }), kid: jwk.kid }] };
        for (const key of originalJwks.keys) for (const p of ['d', 'p', 'q', 'dp', 'dq', 'qi']) delete key[p];
        await verifyJwt(res.json.token, originalJwks);
      });

      test('a token the original signed verifies against latchkey\'s JWKS', async () => {
        const now = Math.floor(Date.now() / 1000);
        const token = originalToken(jwk, { sub: userId, aud: [RP_ID], iat: now, exp: now + 300, cred: passkey.id });
        const jwks = await api(base(), 'GET', '/.well-known/jwks.json');
        assert.ok(jwks.json.keys.some((key) => key.kid === jwk.kid));
        assert.equal((await verifyJwt(token, jwks.json)).sub, userId);
      });

      test('the API key works without its padding too, and the credential keeps its flags and transports',
        async () => {
          const init = await api(base(), 'POST', '/login/initialize',
            { apiKey: apiKey.replace(/=+$/, ''), body: { user_id: userId } });
          assert.equal(init.status, 200, init.text);
          const listed = await api(base(), 'GET', `/credentials?user_id=${userId}`, { apiKey });
          assert.equal(listed.status, 200, listed.text);
          const [credential] = listed.json;
          assert.equal(credential.id, passkey.id);
          assert.equal(credential.name, 'my key');
          assert.equal(credential.backup_eligible, true);
          assert.deepEqual([...credential.transports].sort(), ['hybrid', 'internal']);
        });

      test('refuses a tenant whose id latchkey holds with another relying party, writing nothing', async () => {
        const other = sourceDatabase(PASSKEY_SERVER_SCHEMA);
        sources.push(other);
        other.sql(`
          INSERT INTO tenants VALUES ${rows([[tenantId, 'Impostor', when(1), when(1)]])};
          INSERT INTO configs VALUES ${rows([['00000000-0000-0000-0000-0000000000c1', tenantId, when(1), when(1)]])};
          INSERT INTO webauthn_configs (id, config_id, created_at, updated_at) VALUES
            ${rows([['00000000-0000-0000-0000-0000000000c2', '00000000-0000-0000-0000-0000000000c1', when(1),
              when(1)]])};
          INSERT INTO relying_parties VALUES ${rows([['00000000-0000-0000-0000-0000000000c3', 'other.example',
            'Other', null, '00000000-0000-0000-0000-0000000000c2', when(1), when(1)]])};
        `);
        const out = importCli(server, ['hanko-passkey-server', `--from=${other.url}`]);
        assert.notEqual(out.status, 0);
        assert.match(out.stderr, new RegExp(`tenant ${tenantId}: .*already has a tenant`));
        const shown = await api(server.adminUrl, 'GET', `/tenants/${tenantId}`);
        assert.equal(shown.json.display_name, 'Imported shop');
      });
    });

    describe('hanko (backend v0.12)', () => {
      const secrets = ['the-first-secrets-keys-entry', 'an-older-secrets-keys-entry'];
      const userId = randomUUID();
      const emailId = randomUUID();
      const address = `imported-${randomBytes(4).toString('hex')}@example.com`;
      const authenticator = new SoftAuthenticator();
      let tenant;
      let source;
      let passkey;
      let jwk;

      before(async () => {
        tenant = await createHankoTenant(server, {
          hanko: { emails: { require_verification: false }, password: { enabled: true } },
        });
        source = sourceDatabase(HANKO_SCHEMA);
        sources.push(source);
        // Sealed with the second key of the list: the original decrypts with any of them.
        jwk = originalJwk(secrets[1]);
        passkey = registeredPasskey(authenticator, fromB64url(userHandleOf(userId)), address);
        const t = when(0);
        source.sql(`
          INSERT INTO users VALUES ${rows([[userId, t, t]])};
          INSERT INTO emails VALUES ${rows([[emailId, userId, address, true, t, t]])};
          INSERT INTO primary_emails VALUES ${rows([[randomUUID(), emailId, userId, t, t]])};
          INSERT INTO password_credentials VALUES ${rows([[randomUUID(), userId, PASSWORD_HASH, t, t]])};
          INSERT INTO webauthn_credentials (id, user_id, public_key, attestation_type, aaguid, sign_count, created_at,
            updated_at, name, backup_eligible, backup_state, last_used_at)
            VALUES ${rows([[passkey.id, userId, passkey.publicKey, 'none', '00000000-0000-0000-0000-000000000000', 0,
              t, t, null, false, false, null]])};
          INSERT INTO webauthn_credential_transports VALUES ${rows([[randomUUID(), 'internal', passkey.id]])};
          INSERT INTO identities VALUES ${rows([[randomUUID(), 'google-subject-1', 'google', null, emailId, t, t]])};
          INSERT INTO jwks (key_data, created_at) VALUES ${rows([[jwk.keyData, t]])};
        `);
      });

      const secretArgs = () => secrets.map((s) => `--secret=${s}`);

      test('refuses a database of the other original, and a secret that opens no key', async () => {
        const passkeyServerDb = sources[0];
        const wrongSchema = importCli(server,
          ['hanko', `--from=${passkeyServerDb.url}`, `--tenant=${tenant.id}`, ...secretArgs()]);
        assert.notEqual(wrongSchema.status, 0);
        assert.match(wrongSchema.stderr, /does not have the schema of Hanko backend v0\.12/);
        const wrongSecret = importCli(server,
          ['hanko', `--from=${source.url}`, `--tenant=${tenant.id}`, '--secret=not-the-secret-you-need']);
        assert.notEqual(wrongSecret.status, 0);
        assert.match(wrongSecret.stderr, /none of the given secrets decrypts it/);
        assert.ok(!wrongSecret.stderr.includes('not-the-secret-you-need'));
      });

      test('a dry run reports, an import writes, a second import finds everything present', async () => {
        const args = ['hanko', `--from=${source.url}`, `--tenant=${tenant.id}`, ...secretArgs()];
        const dry = importCli(server, [...args, '--dry-run']);
        assert.equal(dry.status, 0, dry.stderr);
        const everything = {
          id: tenant.id, tenant: counts(0, 1), users: counts(1), credentials: counts(1), emails: counts(1),
          passwords: counts(1), identities: counts(1), keys: counts(1), api_keys: counts(0),
        };
        assert.deepEqual(dry.report, { dry_run: true, tenants: [everything] });
        const first = importCli(server, args);
        assert.equal(first.status, 0, first.stderr);
        assert.deepEqual(first.report, { dry_run: false, tenants: [everything] });
        const second = importCli(server, args);
        assert.equal(second.status, 0, second.stderr);
        assert.deepEqual(second.report.tenants, [{
          ...everything, users: counts(0, 1), credentials: counts(0, 1), emails: counts(0, 1),
          passwords: counts(0, 1), identities: counts(0, 1), keys: counts(0, 1),
        }]);
        for (const secret of secrets) assert.ok(!first.stdout.includes(secret) && !first.stderr.includes(secret));
      });

      test('the imported passkey logs in (discoverable) to a session signed with the original\'s key', async () => {
        const client = new HankoClient(tenant);
        const res = await passkeyLogin(client, authenticator);
        const token = sessionTokenOf(res);
        const { header, claims } = decodeJwt(token);
        assert.equal(header.kid, jwk.kid);
        assert.equal(claims.sub, userId);
        assert.equal(claims.email.address, address);
        const jwks = await api(tenant.base, 'GET', '/.well-known/jwks.json');
        await verifyJwt(token, jwks.json);
      });

      test('the imported bcrypt password logs in', async () => {
        const client = new HankoClient(tenant);
        const res = await client.post('/password/login', { user_id: userId, password: PASSWORD });
        const token = sessionTokenOf(res);
        assert.equal(decodeJwt(token).claims.sub, userId);
        const wrong = await client.post('/password/login', { user_id: userId, password: 'not it' });
        assert.equal(wrong.status, 401, wrong.text);
      });

      test('a session token the original signed verifies against latchkey\'s JWKS, yet is no latchkey session',
        async () => {
          const now = Math.floor(Date.now() / 1000);
          const token = originalToken(jwk, { sub: userId, aud: [RP_ID], iat: now, exp: now + 3600 });
          const jwks = await api(tenant.base, 'GET', '/.well-known/jwks.json');
          assert.equal((await verifyJwt(token, jwks.json)).sub, userId);
          // Without a `sid` naming a server-side session it does not log anyone in here (docs/import.md).
          const me = await new HankoClient(tenant).get('/me', { bearer: token });
          assert.equal(me.status, 401, me.text);
        });

      test('refuses a tenant that does not serve the Hanko Public API', async () => {
        const plain = await createHankoTenant(server, { hanko: { enabled: false } });
        const out = importCli(server, ['hanko', `--from=${source.url}`, `--tenant=${plain.id}`, ...secretArgs()]);
        assert.notEqual(out.status, 0);
        assert.match(out.stderr, /does not serve the Hanko Public API/);
      });
    });
  });
}
