// Test certificates and a signed FIDO MDS3 BLOB, made with openssl in a temporary directory: a CA for attestation
// certificates (the `attestationRootCertificates` of the BLOB's statements), attestation certificates for given
// AAGUIDs (the packed-attestation profile of WebAuthn §8.2.1), and a BLOB signed by a leaf named
// mds.fidoalliance.org under a CA of its own, which `latchkey mds import --root` is told to trust.
import { spawnSync } from 'node:child_process';
import { X509Certificate, createPrivateKey, randomBytes, sign } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

function openssl(args, dir) {
  const out = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8', timeout: 60_000 });
  if (out.status !== 0) throw new Error(`openssl ${args.join(' ')} failed (${out.status}): ${out.stderr || out.error}`);
}

const P256 = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];

// A self-signed CA in `dir`; returns { name, pem, key, der }.
export function makeCa(dir, name) {
  openssl(['req', '-x509', ...P256, '-keyout', `${name}.key`, '-out', `${name}.pem`, '-subj', `/CN=${name}`,
    '-days', '3650', '-addext', 'basicConstraints=critical,CA:TRUE',
    '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir);
  return load(dir, name);
}

// A leaf certificate under `ca` with `subject` and the extension lines `extensions`; returns { name, pem, key, der }.
export function makeLeaf(dir, ca, name, subject, extensions = []) {
  writeFileSync(join(dir, `${name}.ext`), ['basicConstraints=critical,CA:FALSE', ...extensions].join('\n') + '\n');
  openssl(['req', '-new', ...P256, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject], dir);
  openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca.name}.pem`, '-CAkey', `${ca.name}.key`,
    '-set_serial', `0x${randomBytes(8).toString('hex')}`, '-days', '3650', '-sha256', '-extfile', `${name}.ext`,
    '-out', `${name}.pem`], dir);
  return load(dir, name);
}

// An attestation certificate for `aaguid` (text form) under `ca`, with the AAGUID extension
// (1.3.6.1.4.1.45724.1.1.4, an OCTET STRING of the 16 bytes) the packed format checks against authenticatorData.
export function makeAttestationCert(dir, ca, name, aaguid) {
  const hex = aaguid.replace(/-/g, '');
  const der = `DER:04:10:${hex.match(/../g).join(':')}`;
  return makeLeaf(dir, ca, name, `/C=DE/O=latchkey tests/OU=Authenticator Attestation/CN=${name}`,
    [`1.3.6.1.4.1.45724.1.1.4=${der}`]);
}

function load(dir, name) {
  const pem = readFileSync(join(dir, `${name}.pem`), 'utf8');
  return {
    name,
    pem,
    path: join(dir, `${name}.pem`),
    key: createPrivateKey(readFileSync(join(dir, `${name}.key`), 'utf8')),
    der: Buffer.from(new X509Certificate(pem).raw),
  };
}

// A metadata statement (MDS3) for a FIDO2 model whose attestation chains end at `roots` (certificates as made here).
export function statement(aaguid, description, roots) {
  return {
    legalHeader: 'latchkey test statement',
    aaguid,
    description,
    authenticatorVersion: 1,
    protocolFamily: 'fido2',
    schema: 3,
    upv: [{ major: 1, minor: 0 }],
    authenticationAlgorithms: ['secp256r1_ecdsa_sha256_raw'],
    publicKeyAlgAndEncodings: ['cose'],
    attestationTypes: ['basic_full'],
    userVerificationDetails: [[{ userVerificationMethod: 'presence_internal' }]],
    keyProtection: ['hardware'],
    matcherProtection: ['on_chip'],
    attachmentHint: ['external'],
    tcDisplay: [],
    attestationRootCertificates: roots.map((root) => root.der.toString('base64')),
  };
}

// A BLOB entry: the statement and its status reports, each [status, effectiveDate].
export function entry(aaguid, description, roots, reports) {
  return {
    aaguid,
    metadataStatement: statement(aaguid, description, roots),
    statusReports: reports.map(([status, effectiveDate]) => ({ status, effectiveDate })),
    timeOfLastStatusChange: reports.at(-1)?.[1] ?? '2024-01-01',
  };
}

// A compact JWS (ES256) of the payload {legalHeader, no, nextUpdate, entries}, signed by `signer` (a leaf made here).
export function signBlob(signer, entries, { no = 1, nextUpdate = '2099-01-01' } = {}) {
  const header = { alg: 'ES256', typ: 'JWT', x5c: [signer.der.toString('base64')] };
  const payload = { legalHeader: 'latchkey test BLOB', no, nextUpdate, entries };
  const input = [header, payload].map((part) => Buffer.from(JSON.stringify(part)).toString('base64url')).join('.');
  const signature = sign('sha256', Buffer.from(input), { key: signer.key, dsaEncoding: 'ieee-p1363' });
  return `${input}.${signature.toString('base64url')}`;
}
