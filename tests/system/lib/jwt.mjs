// Verifies a compact JWS against a JWKS with Node's crypto only, so token checks do not depend on a JOSE library.
import { createPublicKey, verify } from 'node:crypto';

const ALGORITHMS = {
  RS256: { hash: 'sha256', kty: 'RSA' },
  RS384: { hash: 'sha384', kty: 'RSA' },
  RS512: { hash: 'sha512', kty: 'RSA' },
  ES256: { hash: 'sha256', kty: 'EC', dsaEncoding: 'ieee-p1363' },
  ES384: { hash: 'sha384', kty: 'EC', dsaEncoding: 'ieee-p1363' },
  EdDSA: { hash: null, kty: 'OKP' },
};

function part(text, what) {
  try {
    return JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch (err) {
    throw new Error(`JWT ${what} is not base64url JSON: ${err.message}`);
  }
}

export function decodeJwt(token) {
  if (typeof token !== 'string') throw new TypeError('JWT must be a string');
  const pieces = token.split('.');
  if (pieces.length !== 3) throw new Error(`JWT must have 3 parts, has ${pieces.length}`);
  return { header: part(pieces[0], 'header'), claims: part(pieces[1], 'payload'), pieces };
}

// Returns the claims; throws unless the signature verifies with a key of the set. Time claims are left to the caller.
export async function verifyJwt(token, jwks) {
  const { header, claims, pieces } = decodeJwt(token);
  const alg = ALGORITHMS[header.alg];
  if (!alg) throw new Error(`JWT alg ${JSON.stringify(header.alg)} is not accepted`);
  const keys = Array.isArray(jwks) ? jwks : jwks?.keys;
  if (!Array.isArray(keys)) throw new TypeError('JWKS must be {keys:[...]} or an array of JWKs');
  const candidates = keys.filter((k) => k.kty === alg.kty
    && (k.alg === undefined || k.alg === header.alg)
    && (k.use === undefined || k.use === 'sig')
    && (header.kid === undefined || k.kid === header.kid));
  if (candidates.length === 0) throw new Error(`no JWKS key for kid ${header.kid} / alg ${header.alg}`);
  const data = Buffer.from(`${pieces[0]}.${pieces[1]}`);
  const signature = Buffer.from(pieces[2], 'base64url');
  for (const jwk of candidates) {
    const key = createPublicKey({ key: jwk, format: 'jwk' });
    const keyInput = alg.dsaEncoding ? { key, dsaEncoding: alg.dsaEncoding } : key;
    if (verify(alg.hash, data, keyInput, signature)) return claims;
  }
  throw new Error('JWT signature does not verify against the JWKS');
}
