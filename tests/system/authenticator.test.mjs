// Checks the test harness itself: the software authenticator must produce WebAuthn that verifies independently
// (Node crypto here, and the latchkey verification library through `latchkey inspect` when the binary is built),
// and the JWT verifier must accept good and reject tampered tokens.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, generateKeyPairSync, randomBytes, sign, verify } from 'node:crypto';
import { existsSync } from 'node:fs';
import { FLAGS, SoftAuthenticator, b64url, fromB64url, publicKeyFromCose } from './lib/authenticator.mjs';
import { decode, encode } from './lib/cbor.mjs';
import { verifyJwt } from './lib/jwt.mjs';
import { BIN } from './lib/server.mjs';

const ORIGIN = 'http://localhost:8080';
const sha256 = (d) => createHash('sha256').update(d).digest();

function registrationOptions({ challenge = b64url(randomBytes(32)), userId = 'user-1' } = {}) {
  return {
    publicKey: {
      rp: { name: 'Test', id: 'localhost' },
      user: { name: 'alice', displayName: 'Alice', id: b64url(Buffer.from(userId)) },
      challenge,
      pubKeyCredParams: [{ type: 'public-key', alg: -7 }, { type: 'public-key', alg: -257 }],
      timeout: 60000,
      authenticatorSelection: { requireResidentKey: true, residentKey: 'required', userVerification: 'required' },
      attestation: 'direct',
    },
  };
}

function parseAuthData(authData) {
  const out = {
    rpIdHash: authData.subarray(0, 32),
    flags: authData[32],
    signCount: authData.readUInt32BE(33),
  };
  if (out.flags & FLAGS.AT) {
    out.aaguid = authData.subarray(37, 53);
    const idLength = authData.readUInt16BE(53);
    out.credentialId = authData.subarray(55, 55 + idLength);
    out.coseBytes = authData.subarray(55 + idLength);
    out.cose = decode(out.coseBytes);
  }
  return out;
}

function parseRegistration(credential) {
  const clientDataJSON = fromB64url(credential.response.clientDataJSON);
  const attestation = decode(fromB64url(credential.response.attestationObject));
  const authData = attestation.get('authData');
  return { clientDataJSON, clientData: JSON.parse(clientDataJSON), attestation, authData, parsed: parseAuthData(authData) };
}

function verifyAssertion(assertion, publicKey) {
  const authData = fromB64url(assertion.response.authenticatorData);
  const clientDataJSON = fromB64url(assertion.response.clientDataJSON);
  return verify('sha256', Buffer.concat([authData, sha256(clientDataJSON)]), publicKey,
    fromB64url(assertion.response.signature));
}

describe('cbor', () => {
  test('round-trips the WebAuthn subset and keeps map key order', () => {
    const value = new Map([[1, 2], [3, -7], [-1, 1], [-2, Buffer.alloc(32, 1)], ['s', 'text'], ['a', [true, false, null]],
      ['big', 70000], ['neg', -300], ['bytes', Buffer.alloc(300, 2)]]);
    const bytes = encode(value);
    assert.equal(bytes[0], 0xa9);
    assert.deepEqual(decode(bytes), value);
    assert.deepEqual([...decode(bytes).keys()], [1, 3, -1, -2, 's', 'a', 'big', 'neg', 'bytes']);
  });

  test('encodes known vectors (RFC 8949 appendix A)', () => {
    assert.equal(encode(0).toString('hex'), '00');
    assert.equal(encode(23).toString('hex'), '17');
    assert.equal(encode(24).toString('hex'), '1818');
    assert.equal(encode(1000).toString('hex'), '1903e8');
    assert.equal(encode(1000000).toString('hex'), '1a000f4240');
    assert.equal(encode(-1).toString('hex'), '20');
    assert.equal(encode(-1000).toString('hex'), '3903e7');
    assert.equal(encode('IETF').toString('hex'), '6449455446');
    assert.equal(encode(Buffer.from([1, 2, 3, 4])).toString('hex'), '4401020304');
    assert.equal(encode({ a: 1, b: [2, 3] }).toString('hex'), 'a26161016162820203');
  });

  test('rejects truncated and trailing input', () => {
    assert.throws(() => decode(Buffer.from('5801', 'hex')), /truncated/);
    assert.throws(() => decode(Buffer.from('0000', 'hex')), /trailing/);
  });
});

describe('SoftAuthenticator.create', () => {
  test('none attestation: clientData, authData layout, COSE key', () => {
    const authenticator = new SoftAuthenticator();
    const options = registrationOptions({ userId: 'user-42' });
    const cred = authenticator.create(options, ORIGIN);
    assert.equal(cred.type, 'public-key');
    assert.equal(cred.id, cred.rawId);
    assert.match(cred.id, /^[A-Za-z0-9_-]+$/);
    assert.deepEqual(cred.response.transports, ['internal']);
    assert.equal(cred.authenticatorAttachment, 'platform');
    assert.deepEqual(cred.clientExtensionResults, {});

    const { clientData, attestation, authData, parsed } = parseRegistration(cred);
    assert.deepEqual(clientData, {
      type: 'webauthn.create', challenge: options.publicKey.challenge, origin: ORIGIN, crossOrigin: false,
    });
    assert.deepEqual([...attestation.keys()], ['fmt', 'attStmt', 'authData']);
    assert.equal(attestation.get('fmt'), 'none');
    assert.equal(attestation.get('attStmt').size, 0);
    assert.deepEqual(parsed.rpIdHash, sha256('localhost'));
    assert.equal(parsed.flags, FLAGS.UP | FLAGS.UV | FLAGS.AT);
    assert.equal(parsed.signCount, 0);
    assert.deepEqual(parsed.aaguid, Buffer.alloc(16));
    assert.equal(b64url(parsed.credentialId), cred.id);
    assert.deepEqual([...parsed.cose.keys()], [1, 3, -1, -2, -3]);
    assert.equal(parsed.cose.get(1), 2);
    assert.equal(parsed.cose.get(3), -7);
    assert.equal(parsed.cose.get(-1), 1);
    assert.equal(parsed.cose.get(-2).length, 32);
    assert.equal(parsed.cose.get(-3).length, 32);
    assert.equal(authData.length, 37 + 16 + 2 + 32 + parsed.coseBytes.length);
    assert.equal(cred.response.authenticatorData, b64url(authData));
    const spki = publicKeyFromCose(parsed.cose).export({ format: 'der', type: 'spki' });
    assert.equal(cred.response.publicKey, b64url(spki));
    assert.deepEqual(authenticator.credential(cred.id).userHandle, Buffer.from('user-42'));
  });

  test('packed self attestation signs authData ‖ SHA-256(clientDataJSON) with the credential key', () => {
    const authenticator = new SoftAuthenticator();
    const cred = authenticator.create(registrationOptions(), ORIGIN, { fmt: 'packed' });
    const { clientDataJSON, attestation, authData, parsed } = parseRegistration(cred);
    assert.equal(attestation.get('fmt'), 'packed');
    const attStmt = attestation.get('attStmt');
    assert.deepEqual([...attStmt.keys()], ['alg', 'sig']);
    assert.equal(attStmt.get('alg'), -7);
    assert.equal(attStmt.get('sig')[0], 0x30, 'ECDSA signature is DER');
    const key = publicKeyFromCose(parsed.cose);
    assert.ok(verify('sha256', Buffer.concat([authData, sha256(clientDataJSON)]), key, attStmt.get('sig')));
    assert.ok(!verify('sha256', Buffer.concat([authData, sha256(Buffer.from('x'))]), key, attStmt.get('sig')));
  });

  test('flags follow userVerified, backup eligibility and state; aaguid and signCount are written', () => {
    const aaguid = Buffer.from('0123456789abcdef0123456789abcdef', 'hex');
    const authenticator = new SoftAuthenticator({ aaguid, backupEligible: true, backupState: true });
    const cred = authenticator.create(registrationOptions(), ORIGIN, { userVerified: false, signCount: 7 });
    const { parsed } = parseRegistration(cred);
    assert.equal(parsed.flags, FLAGS.UP | FLAGS.BE | FLAGS.BS | FLAGS.AT);
    assert.equal(parsed.signCount, 7);
    assert.deepEqual(parsed.aaguid, aaguid);
  });

  test('accepts the inner publicKey object as well as the envelope', () => {
    const options = registrationOptions();
    const cred = new SoftAuthenticator().create(options.publicKey, ORIGIN);
    assert.equal(parseRegistration(cred).clientData.challenge, options.publicKey.challenge);
  });

  test('refuses options without ES256 and excluded credentials it holds', () => {
    const authenticator = new SoftAuthenticator();
    const options = registrationOptions();
    assert.throws(() => authenticator.create({ ...options.publicKey, pubKeyCredParams: [{ type: 'public-key', alg: -257 }] },
      ORIGIN), { name: 'NotSupportedError' });
    const cred = authenticator.create(options, ORIGIN);
    assert.throws(() => authenticator.create({ ...options.publicKey, excludeCredentials: [{ type: 'public-key', id: cred.id }] },
      ORIGIN), { name: 'InvalidStateError' });
  });
});

describe('SoftAuthenticator.get', () => {
  test('discoverable assertion verifies, carries the user handle, counts up', () => {
    const authenticator = new SoftAuthenticator();
    const cred = authenticator.create(registrationOptions({ userId: 'u-7' }), ORIGIN);
    const key = publicKeyFromCose(parseRegistration(cred).parsed.cose);
    const challenge = b64url(randomBytes(32));
    const first = authenticator.get({ publicKey: { challenge, rpId: 'localhost', userVerification: 'required' } }, ORIGIN);
    assert.equal(first.id, cred.id);
    assert.equal(first.rawId, cred.id);
    assert.equal(first.type, 'public-key');
    assert.equal(first.response.userHandle, b64url(Buffer.from('u-7')));
    assert.deepEqual(JSON.parse(fromB64url(first.response.clientDataJSON)), {
      type: 'webauthn.get', challenge, origin: ORIGIN, crossOrigin: false,
    });
    const authData = parseAuthData(fromB64url(first.response.authenticatorData));
    assert.equal(fromB64url(first.response.authenticatorData).length, 37);
    assert.deepEqual(authData.rpIdHash, sha256('localhost'));
    assert.equal(authData.flags, FLAGS.UP | FLAGS.UV);
    assert.equal(authData.signCount, 1);
    assert.ok(verifyAssertion(first, key));

    const second = authenticator.get({ challenge: b64url(randomBytes(32)), rpId: 'localhost' }, ORIGIN, { userVerified: false });
    assert.equal(parseAuthData(fromB64url(second.response.authenticatorData)).signCount, 2);
    assert.equal(parseAuthData(fromB64url(second.response.authenticatorData)).flags, FLAGS.UP);
    assert.ok(verifyAssertion(second, key));

    const fixed = authenticator.get({ challenge: b64url(randomBytes(32)) }, ORIGIN, { signCount: 0 });
    assert.equal(parseAuthData(fromB64url(fixed.response.authenticatorData)).signCount, 0);
  });

  test('tampering breaks the signature', () => {
    const authenticator = new SoftAuthenticator();
    const cred = authenticator.create(registrationOptions(), ORIGIN);
    const key = publicKeyFromCose(parseRegistration(cred).parsed.cose);
    const assertion = authenticator.get({ challenge: b64url(randomBytes(32)) }, ORIGIN);
    const other = JSON.parse(fromB64url(assertion.response.clientDataJSON));
    other.origin = 'http://evil.example';
    assert.ok(!verifyAssertion({ response: { ...assertion.response, clientDataJSON: b64url(JSON.stringify(other)) } }, key));
  });

  test('picks by credentialId, then allowCredentials, else the newest for the RP', () => {
    const authenticator = new SoftAuthenticator();
    const a = authenticator.create(registrationOptions({ userId: 'a' }), ORIGIN);
    const b = authenticator.create(registrationOptions({ userId: 'b' }), ORIGIN);
    const challenge = b64url(randomBytes(32));
    assert.equal(authenticator.get({ challenge }, ORIGIN).id, b.id);
    assert.equal(authenticator.get({ challenge, allowCredentials: [{ type: 'public-key', id: a.id }] }, ORIGIN).id, a.id);
    assert.equal(authenticator.get({ challenge }, ORIGIN, { credentialId: a.id }).id, a.id);
    assert.throws(() => authenticator.get({ challenge, rpId: 'example.com' }, ORIGIN), { name: 'NotAllowedError' });
    assert.throws(() => authenticator.get({ challenge, allowCredentials: [{ type: 'public-key', id: b64url(randomBytes(16)) }] },
      ORIGIN), { name: 'NotAllowedError' });
  });
});

describe('verifyJwt', () => {
  function token(header, claims, privateKey, opts = {}) {
    const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    const alg = header.alg === 'EdDSA' ? null : 'sha256';
    const key = header.alg === 'ES256' ? { key: privateKey, dsaEncoding: 'ieee-p1363' } : privateKey;
    return `${input}.${b64url(sign(alg, Buffer.from(opts.signed ?? input), key))}`;
  }

  for (const [alg, type, params] of [
    ['RS256', 'rsa', { modulusLength: 2048 }],
    ['ES256', 'ec', { namedCurve: 'P-256' }],
    ['EdDSA', 'ed25519', {}],
  ]) {
    test(`${alg}: accepts a good token, rejects a tampered one or the wrong key`, async () => {
      const { privateKey, publicKey } = generateKeyPairSync(type, params);
      const other = generateKeyPairSync(type, params);
      const jwks = { keys: [{ ...publicKey.export({ format: 'jwk' }), kid: 'k1', alg, use: 'sig' }] };
      const claims = { sub: 'u', aud: ['localhost'], iat: 1, exp: 301 };
      assert.deepEqual(await verifyJwt(token({ alg, kid: 'k1', typ: 'JWT' }, claims, privateKey), jwks), claims);
      const good = token({ alg, kid: 'k1' }, claims, privateKey);
      const [h, , s] = good.split('.');
      await assert.rejects(verifyJwt(`${h}.${b64url(JSON.stringify({ ...claims, sub: 'v' }))}.${s}`, jwks), /does not verify/);
      await assert.rejects(verifyJwt(token({ alg, kid: 'k1' }, claims, other.privateKey), jwks), /does not verify/);
      await assert.rejects(verifyJwt(token({ alg, kid: 'k2' }, claims, privateKey), jwks), /no JWKS key/);
    });
  }

  test('rejects alg none and malformed tokens', async () => {
    const jwks = { keys: [] };
    await assert.rejects(verifyJwt(`${b64url('{"alg":"none"}')}.${b64url('{}')}.`, jwks), /not accepted/);
    await assert.rejects(verifyJwt('a.b', jwks), /3 parts/);
  });
});

// Cross-checks against the Rust verification library when a binary with `inspect` exists.
const inspectAvailable = existsSync(BIN) && spawnSync(BIN, ['inspect', '--help'], { encoding: 'utf8' }).status === 0;

describe('latchkey inspect accepts the soft authenticator', { skip: !inspectAvailable && `no ${BIN} with inspect` }, () => {
  function inspect(args, payload) {
    const out = spawnSync(BIN, ['inspect', ...args, '-'], { input: JSON.stringify(payload), encoding: 'utf8' });
    assert.equal(out.status, 0, `inspect exited ${out.status}: ${out.stdout} ${out.stderr}`);
    return JSON.parse(out.stdout);
  }

  for (const fmt of ['none', 'packed']) {
    test(`registration (${fmt}) and assertion`, () => {
      const authenticator = new SoftAuthenticator({ backupEligible: true });
      const options = registrationOptions();
      const cred = authenticator.create(options, ORIGIN, { fmt });
      // `=` form: base64url values may start with '-'.
      const common = ['--rp-id=localhost', `--origin=${ORIGIN}`, '--require-user-verification'];
      const reg = inspect(['registration', ...common, `--challenge=${options.publicKey.challenge}`], cred);
      assert.equal(reg.valid, true);
      assert.equal(reg.fmt, fmt);
      assert.equal(reg.credential_id, cred.id);
      const challenge = b64url(randomBytes(32));
      const assertion = authenticator.get({ challenge, rpId: 'localhost' }, ORIGIN);
      const got = inspect(['assertion', ...common, `--challenge=${challenge}`, `--public-key=${reg.public_key}`],
        assertion);
      assert.equal(got.valid, true);
      assert.equal(got.credential_id, cred.id);
      assert.equal(got.sign_count, 1);
    });
  }
});
