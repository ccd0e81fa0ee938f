// Makes rsa-4096.json: an RSA JWK sealed the way teamhanko/passkey-server and hanko backend
// v0.12 seal theirs (crypto/aes_gcm/aes_gcm.go: AES-256-GCM under SHA-256 of the secret,
// base64.URLEncoding of nonce || ciphertext || tag; crypto/jwk/generator_rsa.go: a 4096-bit
// key with kid = a UUID v4, alg RS256, use sig). Run with `node make.mjs > rsa-4096.json`.
import crypto from 'node:crypto';

const secret = 'needsToBeAtLeast16';
const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 4096 });
const jwk = { ...privateKey.export({ format: 'jwk' }), kid: crypto.randomUUID(), alg: 'RS256', use: 'sig' };
const key = crypto.createHash('sha256').update(secret).digest();
const nonce = crypto.randomBytes(12);
const cipher = crypto.createCipheriv('aes-256-gcm', key, nonce);
const sealed = Buffer.concat([nonce, cipher.update(JSON.stringify(jwk)), cipher.final(), cipher.getAuthTag()]);
const keyData = sealed.toString('base64').replaceAll('+', '-').replaceAll('/', '_');
console.log(JSON.stringify({ secret, key_data: keyData, kid: jwk.kid, n: jwk.n, e: jwk.e }, null, 2));
