// A client of latchkey's 1Kosmos WebAuthn dialect (routes under /webauthn), written from the notes
// (/work/shared/notes/kosmos.md) with Node's crypto only, plus the CLI and database helpers the kosmos-*.test.mjs
// suites share.
//
// The envelope: the caller and the service each hold a secp256k1 key pair; the AES-256-GCM key is the raw 32-byte X
// coordinate of their ECDH shared point (no KDF); an encrypted value is standard base64 of IV(16) ‖ ciphertext ‖
// tag(16). Public keys travel as standard base64 of the raw 64-byte X ‖ Y point.
import { createCipheriv, createDecipheriv, createECDH, createHash, randomBytes, randomUUID } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import assert from 'node:assert/strict';
import { api } from './http.mjs';
import { createTenant } from './server.mjs';

export const CURVE = 'secp256k1';
export const IV_BYTES = 16;
export const TAG_BYTES = 16;
export const BASE = '/webauthn';

// The raw 64-byte X ‖ Y point of a public key given as 65 bytes (0x04-prefixed), 64 bytes, or 63 bytes (X lost a
// leading zero byte in a careless encoder): the same normalisation the service applies to callers' keys.
export function rawPoint(bytes) {
  const buf = Buffer.from(bytes);
  if (buf.length === 65 && buf[0] === 0x04) return buf.subarray(1);
  if (buf.length === 64) return buf;
  if (buf.length === 63) return Buffer.concat([Buffer.alloc(1), buf]);
  throw new Error(`not a raw secp256k1 point: ${buf.length} bytes`);
}

const uncompressed = (point) => Buffer.concat([Buffer.from([0x04]), rawPoint(point)]);

// The shared AES key of a private key (an ECDH object) and the other side's public point.
export function sharedKey(ecdh, otherPoint) {
  // Node returns the X coordinate of the shared point, 32 bytes, which is exactly the key the notes prescribe.
  const secret = ecdh.computeSecret(uncompressed(otherPoint));
  if (secret.length !== 32) throw new Error(`ECDH secret has ${secret.length} bytes`);
  return secret;
}

export function encrypt(key, plaintext, { iv = randomBytes(IV_BYTES) } = {}) {
  if (iv.length !== IV_BYTES) throw new Error(`IV must be ${IV_BYTES} bytes`);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const body = Buffer.concat([cipher.update(Buffer.from(plaintext)), cipher.final()]);
  return Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64');
}

export function decrypt(key, text) {
  const bytes = Buffer.from(text, 'base64');
  if (bytes.length < IV_BYTES + TAG_BYTES) throw new Error(`ciphertext too short: ${bytes.length} bytes`);
  const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, IV_BYTES));
  decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
  return Buffer.concat([decipher.update(bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES)), decipher.final()])
    .toString('utf8');
}

// A secp256k1 key pair and its header form.
export function keyPair(privateKey) {
  const ecdh = createECDH(CURVE);
  if (privateKey) ecdh.setPrivateKey(privateKey);
  else ecdh.generateKeys();
  return { ecdh, publicKey: rawPoint(ecdh.getPublicKey()).toString('base64') };
}

// Lowercase hex SHA-512 of the credential id's base64url text.
export const fidoKeyHash = (credentialId) => createHash('sha512').update(credentialId).digest('hex');

// The `sessionInfo` header of the u1 result calls.
export const sessionInfo = (sessionId, url = 'https://app.example/login') =>
  Buffer.from(JSON.stringify({ url, sessionId })).toString('base64');

export class KosmosClient {
  // `servicePublicKey`: the /publickeys value. `keys`: this caller's key pair (a fresh one by default).
  constructor(publicUrl, { licenseKey, servicePublicKey, keys = keyPair(), appid = 'latchkey-system-tests' }) {
    this.publicUrl = publicUrl;
    this.licenseKey = licenseKey;
    this.servicePoint = rawPoint(Buffer.from(servicePublicKey, 'base64'));
    this.keys = keys;
    this.appid = appid;
    this.key = sharedKey(keys.ecdh, this.servicePoint);
  }

  static async connect(publicUrl, licenseKey, options = {}) {
    const res = await api(publicUrl, 'GET', `${BASE}/publickeys`);
    if (res.status !== 200 || typeof res.json?.publicKey !== 'string') {
      throw new Error(`GET ${BASE}/publickeys: ${res.status} ${res.text}`);
    }
    return new KosmosClient(publicUrl, { licenseKey, servicePublicKey: res.json.publicKey, ...options });
  }

  // The same caller seen with another license key.
  withLicense(licenseKey) {
    return new KosmosClient(this.publicUrl, {
      licenseKey,
      servicePublicKey: this.servicePoint.toString('base64'),
      keys: this.keys,
      appid: this.appid,
    });
  }

  seal(value) {
    return encrypt(this.key, typeof value === 'string' ? value : JSON.stringify(value));
  }

  open(text) {
    return decrypt(this.key, text);
  }

  requestId({ ts = Math.floor(Date.now() / 1000), uuid = randomUUID(), appid = this.appid } = {}) {
    return { ts, uuid, appid, header: this.seal({ ts, appid, uuid }) };
  }

  // The headers of an encrypted call; each may be overridden (undefined removes it).
  envelopeHeaders({ licenseKey = this.licenseKey, requestId = this.requestId().header, ...extra } = {}) {
    const headers = {
      publickey: this.keys.publicKey,
      licensekey: this.seal(licenseKey),
      requestid: requestId,
      ...extra,
    };
    for (const [name, value] of Object.entries(headers)) if (value === undefined) delete headers[name];
    return headers;
  }

  // An encrypted call: `body` (if any) is sealed into {"data": ...}; `rawBody` is sent as is. The answer gets
  // `data` = the decrypted JSON when the response carries an encrypted `data` string.
  async encrypted(method, path, { body, rawBody, headers } = {}) {
    const res = await api(this.publicUrl, method, `${BASE}${path}`, {
      headers: this.envelopeHeaders(headers),
      ...(rawBody !== undefined ? { rawBody } : body !== undefined ? { body: { data: this.seal(body) } } : {}),
    });
    return this.opened(res);
  }

  opened(res) {
    if (typeof res.json?.data === 'string' && res.json.data !== '') {
      res.data = JSON.parse(this.open(res.json.data));
    }
    return res;
  }

  // A call with a plain `licensekey` header (u1 routes, vendor metadata, environment); `licenseKey: null` sends none.
  async plain(method, path, { body, rawBody, licenseKey = this.licenseKey, headers = {} } = {}) {
    const sent = { ...headers };
    if (licenseKey !== null) sent.licensekey = licenseKey;
    return api(this.publicUrl, method, `${BASE}${path}`, { headers: sent, body, rawBody });
  }
}

// The registration result as 1Kosmos clients send it: the browser object serialised naively, so the response's
// methods arrive as empty objects and the extension results under the method's name.
export function kosmosAttestation(credential, context) {
  const { clientDataJSON, attestationObject } = credential.response;
  return {
    rawId: credential.rawId,
    id: credential.id,
    type: credential.type,
    authenticatorAttachment: credential.authenticatorAttachment,
    getClientExtensionResults: credential.clientExtensionResults ?? {},
    response: {
      clientDataJSON,
      attestationObject,
      getAuthenticatorData: {},
      getPublicKey: {},
      getPublicKeyAlgorithm: {},
      getTransports: {},
    },
    ...context,
  };
}

export function kosmosAssertion(assertion, context) {
  return {
    rawId: assertion.rawId,
    id: assertion.id,
    type: assertion.type,
    getClientExtensionResults: assertion.clientExtensionResults ?? {},
    response: { ...assertion.response },
    ...context,
  };
}

// Runs `latchkey ARGS` against the server's database and parses its JSON output.
export function cliJson(server, args) {
  const out = server.cli(args);
  if (out.status !== 0) {
    throw new Error(`latchkey ${args.join(' ')} exited ${out.status}\nstdout: ${out.stdout}\nstderr: ${out.stderr}`);
  }
  try {
    return JSON.parse(out.stdout);
  } catch {
    throw new Error(`latchkey ${args.join(' ')} printed no JSON: ${JSON.stringify(out.stdout)}`);
  }
}

export function createCommunity(server, { tenant, name = 'community', dns, origins = [] }) {
  return cliJson(server, ['kosmos', 'community', 'create', `--tenant=${tenant}`, `--name=${name}`, `--dns=${dns}`,
    ...origins.map((o) => `--origin=${o}`)]);
}

// scope: a community id, 'all' or 'system'.
export function createLicense(server, { tenant, scope }) {
  const flag = scope === 'all' ? '--all-communities' : scope === 'system' ? '--system' : `--community=${scope}`;
  return cliJson(server, ['kosmos', 'license', 'create', `--tenant=${tenant}`, flag]);
}

// An organisation with one community at `dns` and a license for it.
export async function createOrganisation(server, { name = 'org', dns, origins = [] }) {
  const org = await createTenant(server, { name, rpId: dns, origins: [`https://${dns}`] });
  const community = createCommunity(server, { tenant: org.id, name: `${name} community`, dns, origins });
  const license = createLicense(server, { tenant: org.id, scope: community.id });
  return { org, community, license };
}

// Ceremonies through the encrypted routes (`client.encrypted`) or the u1 routes (`client.plain`), returning every
// response so tests can assert on each step.
export class Ceremonies {
  constructor(client, { community, org, dns, origin = `https://${dns}` }) {
    Object.assign(this, { client, community, org, dns, origin });
  }

  context() {
    return { dns: this.dns, communityId: this.community.id, tenantId: this.org.id };
  }

  async call(variant, path, body, headers) {
    if (variant === 'encrypted') return this.client.encrypted('POST', path, { body });
    return this.client.plain('POST', `/u1${path}`, { body, headers });
  }

  // The creation options of an options answer: the u1 route answers them in the clear; the encrypted route's
  // `data` decrypts to {data: <the same options>, publickey: <the service key>}.
  static creationOptions(variant, res) {
    return variant === 'encrypted' ? res.data?.data : res.json;
  }

  static requestOptions(variant, res) {
    return variant === 'encrypted' ? res.data : res.json;
  }

  static result(variant, res) {
    return variant === 'encrypted' ? res.data : res.json;
  }

  async registrationOptions(variant, { username, displayName = username, attestation = 'none', ...extra }) {
    return this.call(variant, '/attestation/options',
      { ...this.context(), username, displayName, attestation, ...extra });
  }

  async registrationResult(variant, credential, { session = randomUUID(), shape = kosmosAttestation } = {}) {
    return this.call(variant, '/attestation/result', shape(credential, this.context()),
      { sessionInfo: sessionInfo(session) });
  }

  async loginOptions(variant, { username, displayName = username, ...extra } = {}) {
    const body = { ...this.context(), ...extra };
    if (username !== undefined) Object.assign(body, { username, displayName });
    return this.call(variant, '/assertion/options', body);
  }

  async loginResult(variant, assertion, { session = randomUUID() } = {}) {
    return this.call(variant, '/assertion/result', kosmosAssertion(assertion, this.context()),
      { sessionInfo: sessionInfo(session) });
  }

  // A whole registration; throws with the server's answer if a step fails.
  async register(variant, authenticator, { username, attestation, fmt = 'none' }) {
    const options = await this.registrationOptions(variant, { username, attestation });
    expectOk(options, `${variant} attestation/options`);
    const credential = authenticator.create(Ceremonies.creationOptions(variant, options), this.origin, { fmt });
    const result = await this.registrationResult(variant, credential);
    expectOk(result, `${variant} attestation/result`);
    return { options, credential, result };
  }

  async login(variant, authenticator, { username, credentialId } = {}) {
    const options = await this.loginOptions(variant, { username });
    expectOk(options, `${variant} assertion/options`);
    const assertion = authenticator.get(Ceremonies.requestOptions(variant, options), this.origin, { credentialId });
    const result = await this.loginResult(variant, assertion);
    expectOk(result, `${variant} assertion/result`);
    return { options, assertion, result };
  }
}

function expectOk(res, what) {
  if (res.status !== 200) throw new Error(`${what}: ${res.status} ${res.text}`);
}

// The failure shape of the ceremony and envelope routes: {"status":"failed","errorMessage":"..."} with a 4xx
// (`status`: the exact code expected, or undefined for any 4xx).
export function assertFailure(res, status, what = '') {
  const label = `${what} ${res.status} ${res.text}`.trim();
  if (status === undefined) assert.ok(res.status >= 400 && res.status < 500, `expected a 4xx: ${label}`);
  else assert.equal(res.status, status, label);
  assert.equal(res.json?.status, 'failed', label);
  assert.equal(typeof res.json.errorMessage, 'string', label);
  assert.notEqual(res.json.errorMessage, '', label);
}

// --- The database, read directly (secrets at rest) ---

function run(command, args) {
  const out = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, timeout: 60_000 });
  if (out.error) throw out.error;
  if (out.status !== 0) throw new Error(`${command} ${args.join(' ')} exited ${out.status}: ${out.stderr}`);
  return out.stdout;
}

const sqlitePath = (url) => url.replace(/^sqlite:\/\//, '');
const postgresName = (url) => new URL(url).pathname.replace(/^\//, '');

// Everything the database holds, as text (blobs and bytea in hex).
export function dumpDatabase(server) {
  if (server.store === 'sqlite') return run('sqlite3', [sqlitePath(server.databaseUrl), '.dump']);
  return run('pg_dump',
    ['-h', '127.0.0.1', '-U', 'postgres', '--data-only', '--inserts', postgresName(server.databaseUrl)]);
}

// The rows of `service_secrets` with binary columns as Buffers.
export function serviceSecrets(server) {
  const out = server.store === 'sqlite'
    ? run('sqlite3', ['-separator', '|', sqlitePath(server.databaseUrl),
      'SELECT name, hex(sealed), hex(public) FROM service_secrets ORDER BY name'])
    : run('psql', ['-h', '127.0.0.1', '-U', 'postgres', '-At', '-F', '|', '-d', postgresName(server.databaseUrl), '-c',
      "SELECT name, encode(sealed, 'hex'), encode(public, 'hex') FROM service_secrets ORDER BY name"]);
  return out.split('\n').filter(Boolean).map((line) => {
    const [name, sealed, pub] = line.split('|');
    return { name, sealed: Buffer.from(sealed, 'hex'), public: Buffer.from(pub, 'hex') };
  });
}

// The master key the server seals with: configured (PostgreSQL here), or generated beside an SQLite database.
export function masterKey(server) {
  const text = server.env.LATCHKEY_MASTER_KEY
    ?? readFileSync(`${sqlitePath(server.databaseUrl)}.master-key`, 'utf8');
  return Buffer.from(text.trim(), 'base64url');
}

// Opens a sealed `service_secrets` value: AES-256-GCM under the master key, 12-byte nonce first, bound to its name.
export function openServiceSecret(master, { name, sealed }) {
  const decipher = createDecipheriv('aes-256-gcm', master, sealed.subarray(0, 12));
  decipher.setAAD(Buffer.from(`latchkey service secret ${name}`));
  decipher.setAuthTag(sealed.subarray(sealed.length - 16));
  return Buffer.concat([decipher.update(sealed.subarray(12, sealed.length - 16)), decipher.final()]);
}
