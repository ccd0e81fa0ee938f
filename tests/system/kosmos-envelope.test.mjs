// The test client's 1Kosmos envelope (lib/kosmos.mjs) checked on its own, without a server: against itself, and
// against a vector computed independently with Python's `cryptography` (secp256k1 ECDH, AES-256-GCM with a 16-byte
// IV), so that the client and the service cannot agree on a mistake, and against the dialect's own vector.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCipheriv } from 'node:crypto';
import { decrypt, encrypt, fidoKeyHash, keyPair, rawPoint, sessionInfo, sharedKey } from './lib/kosmos.mjs';

const here = dirname(fileURLToPath(import.meta.url));

// Private keys are SHA-256 of 'latchkey kosmos vector: service' / '... caller'; IV = 00 01 .. 0f.
const VECTOR = {
  servicePrivate: 'ff2d9e0ee3ac9a1e54de0491bc8667fe5d1e1c930fe6a35da7afc7cd7bc3b3ee',
  callerPrivate: 'e992bfb696b64fa96486625633f3ccacfb1c453b1099148db71e139c45b429de',
  servicePublic: 'KqmtIVFU7Di7eIeqg/1XIu4vRFM7SrYxkFjgvQLILxluPQeUzchlIv9gjR6T2Z2BJ5X689sBe4Vl3dKMWqKHGw==',
  callerPublic: '8Uu/ZMwboc5gLTRx6nUMhUJSqDzYQecGaqsEJmcr4+KQ3+sKOyM6ORSdKjEa3joTIVQYNiRsPeYYkQ5gG2X/7g==',
  shared: 'b3c7926eea5b1e3c26cd650908c411d630b4f0a5093fce0bd2043bb9cd5ed97e',
  iv: Buffer.from([...Array(16).keys()]),
  plaintext: '{"ts":1700000000,"appid":"app","uuid":"00000000-0000-4000-8000-000000000000"}',
  wire: 'AAECAwQFBgcICQoLDA0OD8kSy5Jwnx7i+18l2MqNqyR98rFSLrEohOGs0BDO20xdC64o1LL9o6p9harkRtxkIfkudW3qpotmzLnQwaT7UODuD'
    + 'K+FU6unYRIZ5bplyr4KDQfJ3Xv79umHgdDhAg==',
};

describe('1Kosmos envelope (client side, no server)', () => {
  test('both sides derive the same 32-byte key and open each other\'s values', () => {
    const service = keyPair();
    const caller = keyPair();
    const callerKey = sharedKey(caller.ecdh, Buffer.from(service.publicKey, 'base64'));
    const serviceKey = sharedKey(service.ecdh, Buffer.from(caller.publicKey, 'base64'));
    assert.equal(callerKey.length, 32);
    assert.deepEqual(callerKey, serviceKey);
    for (const text of ['', 'x', '{"a":"ü€😀"}', 'y'.repeat(100_000)]) {
      const wire = encrypt(callerKey, text);
      assert.match(wire, /^[A-Za-z0-9+/]*={0,2}$/, 'standard base64 with padding');
      assert.equal(Buffer.from(wire, 'base64').length, 16 + Buffer.byteLength(text) + 16);
      assert.equal(decrypt(serviceKey, wire), text);
    }
  });

  test('public keys are 64 raw bytes; 65-byte (0x04) and 63-byte forms normalise to them', () => {
    const { ecdh, publicKey } = keyPair();
    const raw = Buffer.from(publicKey, 'base64');
    assert.equal(raw.length, 64);
    assert.deepEqual(rawPoint(ecdh.getPublicKey()), raw);
    const leadingZero = Buffer.concat([Buffer.alloc(1), Buffer.alloc(63, 7)]);
    assert.deepEqual(rawPoint(leadingZero.subarray(1)), leadingZero);
    assert.throws(() => rawPoint(Buffer.alloc(33)));
  });

  test('matches the vector computed with Python cryptography (ECDH X as key, 16-byte IV)', () => {
    const service = keyPair(Buffer.from(VECTOR.servicePrivate, 'hex'));
    const caller = keyPair(Buffer.from(VECTOR.callerPrivate, 'hex'));
    assert.equal(service.publicKey, VECTOR.servicePublic);
    assert.equal(caller.publicKey, VECTOR.callerPublic);
    const key = sharedKey(caller.ecdh, Buffer.from(VECTOR.servicePublic, 'base64'));
    assert.equal(key.toString('hex'), VECTOR.shared);
    assert.equal(encrypt(key, VECTOR.plaintext, { iv: VECTOR.iv }), VECTOR.wire);
    assert.equal(decrypt(sharedKey(service.ecdh, Buffer.from(VECTOR.callerPublic, 'base64')), VECTOR.wire),
      VECTOR.plaintext);
  });

  test('the 16-byte IV is used as a GCM IV of 16 bytes, not cut to 12', () => {
    const key = Buffer.from(VECTOR.shared, 'hex');
    const cipher = createCipheriv('aes-256-gcm', key, VECTOR.iv.subarray(0, 12));
    const cut = Buffer.concat([cipher.update(VECTOR.plaintext), cipher.final()]);
    assert.notDeepEqual(cut, Buffer.from(VECTOR.wire, 'base64').subarray(16, 16 + cut.length));
  });

  test('tampering with any part (IV, ciphertext, tag) makes the value fail to open', () => {
    const key = Buffer.from(VECTOR.shared, 'hex');
    const bytes = Buffer.from(VECTOR.wire, 'base64');
    for (const at of [0, 15, 16, bytes.length - 17, bytes.length - 16, bytes.length - 1]) {
      const copy = Buffer.from(bytes);
      copy[at] ^= 0x01;
      assert.throws(() => decrypt(key, copy.toString('base64')), `byte ${at}`);
    }
    assert.throws(() => decrypt(Buffer.alloc(32, 1), VECTOR.wire), 'another key');
    assert.throws(() => decrypt(key, bytes.subarray(0, 31).toString('base64')), 'too short');
  });

  test('fidoKeyHash is the hex SHA-512 of the credential id text (checked with Python hashlib)', () => {
    assert.equal(fidoKeyHash('AAECAwQFBgcICQoLDA0ODw'),
      'b7667348e456f0978034b1a1c84051a6612fbd66766f8756bcff2363a017eae7'
      + 'b9764eb4d5341ac071886794ee6aaa2008e35deaf0675fc409d194bf1f44e9d1');
  });

  test('sessionInfo is standard base64 of {url, sessionId}', () => {
    assert.deepEqual(JSON.parse(Buffer.from(sessionInfo('s1', 'https://a.example/'), 'base64').toString()),
      { url: 'https://a.example/', sessionId: 's1' });
  });

  // The vector the dialect's Rust unit tests check (crates/server/tests/data/kosmos-envelope-vector.json), opened
  // and re-made by this client: the service and this client agree on the same bytes.
  test('agrees with the dialect\'s own vector', (t) => {
    const file = resolve(here, '../../crates/server/tests/data/kosmos-envelope-vector.json');
    if (!existsSync(file)) {
      t.skip('the dialect has no vector file');
      return;
    }
    const v = JSON.parse(readFileSync(file, 'utf8'));
    const service = keyPair(Buffer.from(v.servicePrivateKeyHex, 'hex'));
    const caller = keyPair(Buffer.from(v.clientPrivateKeyHex, 'hex'));
    assert.equal(service.publicKey, v.servicePublicKey);
    assert.equal(caller.publicKey, v.clientPublicKey);
    const key = sharedKey(caller.ecdh, Buffer.from(v.servicePublicKey, 'base64'));
    assert.equal(key.toString('hex'), v.sharedKeyHex);
    assert.equal(decrypt(key, v.wire), v.plaintext);
    assert.equal(encrypt(key, v.plaintext, { iv: Buffer.from(v.ivHex, 'hex') }), v.wire);
  });
});
