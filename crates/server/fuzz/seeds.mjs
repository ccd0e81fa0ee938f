// Writes the seed corpora of the fuzz targets into seeds/<target>/ (committed; small):
//
//     node crates/server/fuzz/seeds.mjs
//
// Each seed is a route byte (see the `fuzzing` module of the target's dialect) and a request
// the dialect's documentation or tests show, or a credential response from
// crates/webauthn/tests/vectors. The encrypted 1Kosmos calls are sealed with the key pair of
// crates/server/tests/data/kosmos-envelope-vector.json (service `11…11`, caller `22…22`) under a
// fixed IV, so the output is the same on every run.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const vectors = path.join(here, '..', '..', 'webauthn', 'tests', 'vectors');
const seeds = path.join(here, 'seeds');

function write(target, name, route, body) {
  const dir = path.join(seeds, target);
  fs.mkdirSync(dir, { recursive: true });
  const bytes = Buffer.isBuffer(body) ? body : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
  fs.writeFileSync(path.join(dir, name), Buffer.concat([Buffer.from([route]), bytes]));
}

const response = (file) => JSON.parse(fs.readFileSync(path.join(vectors, file), 'utf8')).response;
const registration = response('webauthn-rs/none-es256-pixel3a.json');
const assertion = response('webauthn-rs/assertion-es256-yubikey5.json');
// A hand-written mobile client's padding, which the passkey-server dialect strips.
const padded = structuredClone(assertion);
padded.response.signature += '==';
padded.rawId += '=';

const uuid = '3f0c5c36-6f0e-4f55-9a4c-0b7a1c1f2e3d';
const aaguid = 'ee882879-721c-4913-9775-3dfcce97072a';

// Hanko passkey-server API (routes: hanko_passkey/fuzzing.rs).
write('hanko_passkey_request', 'registration-initialize', 0,
  { user_id: 'u-1', username: 'alice', display_name: 'Alice', icon: 'https://example.com/alice.png' });
write('hanko_passkey_request', 'login-initialize', 1, { user_id: 'u-1' });
write('hanko_passkey_request', 'login-initialize-null', 1, 'null');
write('hanko_passkey_request', 'mfa-login-initialize', 2, { user_id: 'u-1' });
write('hanko_passkey_request', 'transaction-initialize', 3,
  { user_id: 'u-1', transaction_id: 't-1', transaction_data: { amount: 100, currency: 'EUR' } });
write('hanko_passkey_request', 'credential-rename', 4, { name: 'YubiKey 5' });
write('hanko_passkey_request', 'registration-finalize', 5, registration);
write('hanko_passkey_request', 'login-finalize-padded', 5, padded);

// Hanko Public API (routes: hanko_public/fuzzing.rs).
write('hanko_public_request', 'password', 0, { user_id: uuid, password: 'correct horse battery' });
write('hanko_public_request', 'token', 1, { value: 'one-time-token' });
write('hanko_public_request', 'webauthn-login-initialize', 2, { user_id: uuid });
write('hanko_public_request', 'webauthn-credential-rename', 3, { name: 'Phone' });
write('hanko_public_request', 'email-add', 4, { address: 'alice@example.com' });
write('hanko_public_request', 'passcode-initialize', 5, { user_id: uuid, email_id: uuid });
write('hanko_public_request', 'passcode-finalize', 6, { id: uuid, code: '123456' });
write('hanko_public_request', 'user-create', 7, { email: 'alice@example.com' });
write('hanko_public_request', 'webauthn-registration-finalize', 8, registration);
write('hanko_public_request', 'webauthn-login-finalize', 8, assertion);

// 1Kosmos plain bodies and headers (routes: kosmos/fuzzing.rs).
const options = {
  dns: 'example.com', username: 'alice', displayName: 'Alice', communityId: 'default', attestation: 'none',
};
const result = { communityId: 'default', dns: 'example.com', ...assertion, getClientExtensionResults: {} };
const stamp = { ts: 1700000000, appid: 'com.example.app', uuid };
const statement = { aaguid, description: 'Example authenticator', attestationRootCertificates: [] };
write('kosmos_request', 'options', 0, options);
write('kosmos_request', 'result', 1, result);
write('kosmos_request', 'vendor-metadata-fetch', 2, { aaguids: [aaguid] });
write('kosmos_request', 'vendor-metadata-put', 3,
  { aaguid, metadata: statement, name: 'Example', disabled: false, updatedBy: 'admin' });
write('kosmos_request', 'vendor-metadata-patch', 4, { metadata: JSON.stringify(statement), updatedBy: 'admin' });
write('kosmos_request', 'requestid', 5, stamp);
write('kosmos_request', 'requestid-milliseconds', 5, { ...stamp, ts: '1700000000000' });
write('kosmos_request', 'session-info', 6,
  Buffer.from(JSON.stringify({ url: 'https://example.com/s', sessionId: 's-1' })).toString('base64'));

// 1Kosmos encrypted calls.
const service = crypto.createECDH('secp256k1');
service.setPrivateKey(Buffer.alloc(32, 0x11));
const caller = crypto.createECDH('secp256k1');
caller.setPrivateKey(Buffer.alloc(32, 0x22));
const shared = caller.computeSecret(service.getPublicKey());
function seal(text) {
  const iv = Buffer.alloc(16, 7);
  const cipher = crypto.createCipheriv('aes-256-gcm', shared, iv);
  const body = Buffer.concat([cipher.update(text, 'utf8'), cipher.final()]);
  return Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64');
}
const raw = caller.getPublicKey().subarray(1).toString('base64');
const forms = {
  raw,
  sec1: caller.getPublicKey().toString('base64'),
  compressed: caller.getPublicKey('base64', 'compressed'),
};
const calls = { options: [0, options], result: [1, result] };
for (const [call, [route, body]] of Object.entries(calls)) {
  const plain = ['license-key-1', JSON.stringify(stamp), JSON.stringify(body)];
  write('kosmos_sealed', call, route, plain.join('\n'));
  for (const [form, key] of Object.entries(forms)) {
    const sealed = [key, seal(plain[0]), seal(plain[1]), JSON.stringify({ data: seal(plain[2]) })];
    write('kosmos_envelope', `${call}-${form}-key`, route, sealed.join('\n'));
  }
}

// Admin API (routes: admin/fuzzing.rs); the configuration is the documentation's example with
// latchkey's blocks.
const config = {
  cors: { allowed_origins: ['https://example.com'], allow_unsafe_wildcard: false },
  webauthn: {
    relying_party: { id: 'example.com', display_name: 'Example', icon: 'https://example.com/icon.png', origins: ['https://example.com'] },
    timeout: 60000, user_verification: 'preferred', attachment: 'platform',
    attestation_preference: 'none', resident_key_requirement: 'preferred',
  },
  mfa: { timeout: 30000, user_verification: 'discouraged', attachment: 'cross-platform' },
  signing: { algorithm: 'ES256' },
  counter: 'audit_only',
  backup_eligibility: 'reject',
  discoverable_login: { timeout: 600000 },
  audit: { store: true, console: false },
};
write('admin_request', 'tenant-create', 0, { display_name: 'Example', create_api_key: true, config });
write('admin_request', 'tenant-rename', 1, { display_name: 'Renamed' });
write('admin_request', 'tenant-config', 2, config);
write('admin_request', 'api-key-create', 3, { name: 'backend' });
write('admin_request', 'hanko-user-create', 4, {
  id: uuid, created_at: '2024-01-01T00:00:00Z',
  emails: [{ address: 'alice@example.com', is_primary: true, is_verified: true }, { address: 'a@example.org' }],
});
write('admin_request', 'hanko-email-create', 5, { address: 'b@example.com', is_verified: true });
write('admin_request', 'hanko-webhook-create', 6, { callback: 'https://example.com/hook', events: ['user.create', 'user.delete'] });
write('admin_request', 'hanko-webhook-update', 7, { callback: 'https://example.com/hook', events: ['user'], enabled: false });
