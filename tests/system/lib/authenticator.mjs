// A software WebAuthn authenticator plus the client (browser) part of the ceremony, so Node tests can play
// the user's side of registration and login without a browser. ES256 (P-256) keys only.
import { createECDH, createHash, createHmac, createPrivateKey, createPublicKey, randomBytes, sign } from 'node:crypto';
import { encode as cborEncode } from './cbor.mjs';

export const FLAGS = { UP: 0x01, UV: 0x04, BE: 0x08, BS: 0x10, AT: 0x40, ED: 0x80 };
const ES256 = -7;

export const b64url = (bytes) => Buffer.from(bytes).toString('base64url');
export const fromB64url = (text) => Buffer.from(text, 'base64url');
const sha256 = (data) => createHash('sha256').update(data).digest();

export class WebAuthnClientError extends Error {
  constructor(name, message) {
    super(message);
    this.name = name;
  }
}

// Options arrive either as the server's `{"publicKey": {...}}` envelope or as the inner object.
function publicKeyOptions(options) {
  if (options && typeof options === 'object' && options.publicKey && typeof options.publicKey === 'object') {
    return options.publicKey;
  }
  return options;
}

function challengeString(challenge) {
  if (typeof challenge !== 'string' || challenge.length === 0) {
    throw new TypeError('options.challenge must be a non-empty base64url string');
  }
  // The browser re-encodes the decoded bytes, so padding or standard-alphabet input would be normalised.
  return b64url(fromB64url(challenge));
}

function uint32(n) {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}

function coseKey(publicKey) {
  const jwk = publicKey.export({ format: 'jwk' });
  return cborEncode(new Map([
    [1, 2], // kty: EC2
    [3, ES256], // alg
    [-1, 1], // crv: P-256
    [-2, fromB64url(jwk.x)],
    [-3, fromB64url(jwk.y)],
  ]));
}

// CTAP 2.1 credProtect levels by the names WebAuthn's `credentialProtectionPolicy` uses.
const CRED_PROTECT = {
  userVerificationOptional: 1,
  userVerificationOptionalWithCredentialIDList: 2,
  userVerificationRequired: 3,
};

// The PRF a client evaluates through CTAP hmac-secret: HMAC-SHA-256 under the credential's secret of
// SHA-256("WebAuthn PRF" || 0x00 || input), as the client hashes each salt before the authenticator sees it.
function prf(secret, input) {
  const salt = sha256(Buffer.concat([Buffer.from('WebAuthn PRF'), Buffer.from([0]), fromB64url(input)]));
  return b64url(createHmac('sha256', secret).update(salt).digest());
}

function prfResults(secret, values) {
  const results = { first: prf(secret, values.first) };
  if (values.second !== undefined) results.second = prf(secret, values.second);
  return results;
}

export class SoftAuthenticator {
  // `attestation`: { key (a P-256 private KeyObject), x5c: [DER Buffer, ...] } makes `packed` registrations full
  // (basic) attestation, signed with that key and carrying the chain; without it they are self attestation.
  // `credProtect`: applies a requested credProtect level and reports it in the authenticator data (level
  // `defaultCredProtect` when none is asked, if given). `minPinLength`: reported when asked. `prf`: evaluates the
  // PRF extension as a client over hmac-secret would, forwarding the results in clientExtensionResults.
  constructor({
    aaguid = Buffer.alloc(16), backupEligible = false, backupState = false, attestation,
    credProtect = false, defaultCredProtect, minPinLength, prf: prfSupport = false,
  } = {}) {
    this.aaguid = Buffer.from(aaguid);
    if (this.aaguid.length !== 16) throw new TypeError('aaguid must be 16 bytes');
    this.attestation = attestation;
    this.backupEligible = backupEligible;
    this.backupState = backupState;
    this.credProtect = credProtect;
    this.defaultCredProtect = defaultCredProtect;
    this.minPinLength = minPinLength;
    this.prf = prfSupport;
    // id (base64url) → { id, privateKey, publicKey, rpId, userHandle, counter, createdAt }
    this.credentials = new Map();
    this.created = 0;
  }

  flags({ userVerified, attested, extensions = false }) {
    return FLAGS.UP
      | (userVerified ? FLAGS.UV : 0)
      | (this.backupEligible ? FLAGS.BE : 0)
      | (this.backupState ? FLAGS.BS : 0)
      | (attested ? FLAGS.AT : 0)
      | (extensions ? FLAGS.ED : 0);
  }

  // The authenticator data's extension outputs and the client's extension results of a registration.
  createExtensions(pk, secret) {
    const inputs = pk.extensions ?? {};
    const outputs = new Map();
    const results = {};
    const policy = inputs.credentialProtectionPolicy;
    if (policy !== undefined && !(policy in CRED_PROTECT)) {
      throw new TypeError(`unknown credentialProtectionPolicy ${policy}`);
    }
    if (this.credProtect) {
      const level = policy !== undefined ? CRED_PROTECT[policy] : this.defaultCredProtect;
      if (level !== undefined) outputs.set('credProtect', level);
    } else if (policy !== undefined && inputs.enforceCredentialProtectionPolicy && policy !== 'userVerificationOptional') {
      throw new WebAuthnClientError('NotAllowedError', 'the authenticator cannot protect credentials');
    }
    if (inputs.minPinLength === true && this.minPinLength !== undefined) {
      outputs.set('minPinLength', this.minPinLength);
    }
    if (inputs.credProps === true) {
      results.credProps = { rk: pk.authenticatorSelection?.residentKey !== 'discouraged' };
    }
    if (inputs.prf !== undefined) {
      if (inputs.prf.evalByCredential !== undefined) {
        throw new WebAuthnClientError('NotSupportedError', 'evalByCredential at registration');
      }
      results.prf = { enabled: this.prf };
      if (this.prf && inputs.prf.eval !== undefined) results.prf.results = prfResults(secret, inputs.prf.eval);
    }
    if (inputs.largeBlob !== undefined) results.largeBlob = { supported: false };
    return { outputs, results };
  }

  credential(id) {
    return this.credentials.get(id);
  }

  // navigator.credentials.create(): returns the PublicKeyCredential as its JSON form (toJSON()).
  // `rpId` and `clientData` override what a correct client would send, for negative tests.
  create(options, origin, { fmt = 'none', userVerified = true, signCount = 0, rpId, clientData = {} } = {}) {
    const pk = publicKeyOptions(options);
    const effectiveRpId = rpId ?? pk.rp?.id ?? new URL(origin).hostname;
    const params = pk.pubKeyCredParams ?? [{ type: 'public-key', alg: ES256 }];
    if (params.length > 0 && !params.some((p) => p.type === 'public-key' && p.alg === ES256)) {
      throw new WebAuthnClientError('NotSupportedError', 'no ES256 in pubKeyCredParams');
    }
    for (const excluded of pk.excludeCredentials ?? []) {
      const known = this.credentials.get(b64url(fromB64url(excluded.id)));
      if (known && known.rpId === effectiveRpId) {
        throw new WebAuthnClientError('InvalidStateError', 'credential already registered on this authenticator');
      }
    }
    if (typeof pk.user?.id !== 'string') throw new TypeError('options.user.id must be a base64url string');

    const { privateKey, publicKey } = newP256KeyPair();
    const rawId = randomBytes(32);
    const id = b64url(rawId);
    const cose = coseKey(publicKey);
    const idLength = Buffer.alloc(2);
    idLength.writeUInt16BE(rawId.length);
    const prfSecret = randomBytes(32);
    const { outputs, results } = this.createExtensions(pk, prfSecret);
    const authData = Buffer.concat([
      sha256(effectiveRpId),
      Buffer.from([this.flags({ userVerified, attested: true, extensions: outputs.size > 0 })]),
      uint32(signCount),
      this.aaguid,
      idLength,
      rawId,
      cose,
      ...(outputs.size > 0 ? [cborEncode(outputs)] : []),
    ]);
    const clientDataJSON = Buffer.from(JSON.stringify({
      type: 'webauthn.create',
      challenge: challengeString(pk.challenge),
      origin,
      crossOrigin: false,
      ...clientData,
    }));

    let attStmt;
    if (fmt === 'none') {
      attStmt = {};
    } else if (fmt === 'packed' && this.attestation) {
      const sig = sign('sha256', Buffer.concat([authData, sha256(clientDataJSON)]), this.attestation.key);
      attStmt = { alg: ES256, sig, x5c: this.attestation.x5c };
    } else if (fmt === 'packed') {
      // Self attestation: signed with the credential key itself, no x5c.
      const sig = sign('sha256', Buffer.concat([authData, sha256(clientDataJSON)]), privateKey);
      attStmt = { alg: ES256, sig };
    } else {
      throw new TypeError(`unsupported attestation format ${fmt}`);
    }
    const attestationObject = cborEncode({ fmt, attStmt, authData });

    this.credentials.set(id, {
      id,
      privateKey,
      publicKey,
      rpId: effectiveRpId,
      userHandle: fromB64url(pk.user.id),
      counter: signCount,
      order: this.created++,
      prfSecret,
    });

    return {
      id,
      rawId: id,
      type: 'public-key',
      response: {
        clientDataJSON: b64url(clientDataJSON),
        attestationObject: b64url(attestationObject),
        authenticatorData: b64url(authData),
        transports: ['internal'],
        publicKeyAlgorithm: ES256,
        publicKey: b64url(publicKey.export({ format: 'der', type: 'spki' })),
      },
      authenticatorAttachment: 'platform',
      clientExtensionResults: results,
    };
  }

  // navigator.credentials.get(): picks `credentialId`, else the first allowed credential it holds, else (discoverable)
  // its newest credential for the RP. Counters increase by one per use unless a fixed `signCount` is given.
  get(options, origin, { credentialId, userVerified = true, signCount, rpId, clientData = {} } = {}) {
    const pk = publicKeyOptions(options);
    const effectiveRpId = rpId ?? pk.rpId ?? new URL(origin).hostname;
    const cred = this.pick(pk, effectiveRpId, credentialId);
    cred.counter = signCount ?? cred.counter + 1;
    const authData = Buffer.concat([
      sha256(effectiveRpId),
      Buffer.from([this.flags({ userVerified, attested: false })]),
      uint32(cred.counter),
    ]);
    const clientDataJSON = Buffer.from(JSON.stringify({
      type: 'webauthn.get',
      challenge: challengeString(pk.challenge),
      origin,
      crossOrigin: false,
      ...clientData,
    }));
    const signature = sign('sha256', Buffer.concat([authData, sha256(clientDataJSON)]), cred.privateKey);
    return {
      id: cred.id,
      rawId: cred.id,
      type: 'public-key',
      response: {
        clientDataJSON: b64url(clientDataJSON),
        authenticatorData: b64url(authData),
        signature: b64url(signature),
        userHandle: b64url(cred.userHandle),
      },
      authenticatorAttachment: 'platform',
      clientExtensionResults: this.getExtensions(pk, cred),
    };
  }

  // The client's extension results of an assertion by `cred`.
  getExtensions(pk, cred) {
    const inputs = pk.extensions ?? {};
    const results = {};
    if (inputs.prf !== undefined && this.prf) {
      const values = inputs.prf.evalByCredential?.[cred.id] ?? inputs.prf.eval;
      results.prf = values === undefined ? {} : { results: prfResults(cred.prfSecret, values) };
    }
    if (inputs.largeBlob !== undefined) results.largeBlob = inputs.largeBlob.read ? {} : { written: false };
    return results;
  }

  pick(pk, rpId, credentialId) {
    if (credentialId !== undefined) {
      const cred = this.credentials.get(credentialId);
      if (!cred) throw new WebAuthnClientError('NotAllowedError', `unknown credential ${credentialId}`);
      return cred;
    }
    const allowed = (pk.allowCredentials ?? []).map((c) => b64url(fromB64url(c.id)));
    const candidates = [...this.credentials.values()].filter((c) => c.rpId === rpId
      && (allowed.length === 0 || allowed.includes(c.id)));
    if (candidates.length === 0) throw new WebAuthnClientError('NotAllowedError', 'no matching credential');
    return allowed.length > 0
      ? candidates.sort((a, b) => allowed.indexOf(a.id) - allowed.indexOf(b.id))[0]
      : candidates.sort((a, b) => b.order - a.order)[0];
  }
}

// The SPKI public key of a credential's COSE EC2 key, for checking signatures independently.
export function publicKeyFromCose(coseMap) {
  return createPublicKey({
    key: { kty: 'EC', crv: 'P-256', x: b64url(coseMap.get(-2)), y: b64url(coseMap.get(-3)) },
    format: 'jwk',
  });
}

// A P-256 key pair made with ECDH rather than generateKeyPairSync: Node 20's synchronous key
// generation job can deadlock in its destructor during garbage collection (seen here: a test
// file hung for ever in ~KeyGenJob<EcKeyGenTraits>), and ECDH runs no such job.
function newP256KeyPair() {
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  const point = ecdh.getPublicKey();
  const jwk = {
    kty: 'EC',
    crv: 'P-256',
    x: point.subarray(1, 33).toString('base64url'),
    y: point.subarray(33, 65).toString('base64url'),
  };
  const scalar = ecdh.getPrivateKey();
  const d = Buffer.concat([Buffer.alloc(32 - scalar.length), scalar]).toString('base64url');
  const privateKey = createPrivateKey({ key: { ...jwk, d }, format: 'jwk' });
  return { privateKey, publicKey: createPublicKey(privateKey) };
}
