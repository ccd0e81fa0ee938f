// Helpers for the Hanko Public API (v0.12) tests: tenants with the API enabled, a client that keeps cookies like a
// browser would, the sign-up and login sequences of hanko-elements, and assertions on the wire shapes the notes give.
// Specification: /work/shared/notes/hanko-public-api.md and /work/prompts/hanko-public-contract.md.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';

import { SoftAuthenticator } from './authenticator.mjs';
import { api } from './http.mjs';
import { decodeJwt, verifyJwt } from './jwt.mjs';

export const ORIGIN = 'http://localhost:8080';
export const RP_ID = 'localhost';
export const RP_NAME = 'Hanko Public Test RP';
export const SERVICE_NAME = 'Test Service';
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
// go-webauthn v0.10's default credential parameters, in its order (notes §1, registration/initialize).
export const ALGORITHMS = [-7, -35, -36, -257, -258, -259, -37, -38, -39, -8];

// An address no other test (or earlier run against a shared database) uses.
export const uniqueEmail = (label = 'user') => `${label}-${randomBytes(5).toString('hex')}@example.com`;

// The WebAuthn user handle of a Hanko user: the 16 bytes of its UUID, base64url (checklist item 10).
export const userHandleOf = (userId) => Buffer.from(userId.replace(/-/g, ''), 'hex').toString('base64url');

const isPlainObject = (value) => value !== null && typeof value === 'object' && !Array.isArray(value);

// `overrides` merged into `base` key by key; arrays and scalars replace.
export function deepMerge(base, overrides) {
  const out = { ...base };
  for (const [key, value] of Object.entries(overrides ?? {})) {
    out[key] = isPlainObject(value) && isPlainObject(base?.[key]) ? deepMerge(base[key], value) : value;
  }
  return out;
}

// The `hanko_public` block the tests start from: enabled, mail to the test's SMTP server, and the original's
// defaults otherwise, except that the rate limiter is off (only hanko-public-rate-limits turns it on, so the other
// files may call passcode and password endpoints as often as their scenarios need).
export function hankoBlock(smtp, overrides = {}) {
  const base = {
    enabled: true,
    service: { name: SERVICE_NAME },
    rate_limiter: { enabled: false },
    ...(smtp ? { smtp: { host: smtp.host, port: smtp.port, tls: 'none', user: '', password: '' } } : {}),
  };
  return deepMerge(base, overrides);
}

// Creates a tenant on the admin listener (as http-admin.test.mjs does), then turns the Public API on with
// PUT /tenants/{id}/config carrying the existing config with `hanko_public` replaced. `hanko` is merged into
// hankoBlock(smtp); `enabled: false` leaves the API off. Returns { id, apiKey, base, config, hanko }.
export async function createHankoTenant(server, { smtp, hanko = {}, displayName = 'hanko public', origins = [ORIGIN],
  corsOrigins = origins, createApiKey = false } = {}) {
  const created = await api(server.adminUrl, 'POST', '/tenants', {
    body: {
      display_name: displayName,
      create_api_key: createApiKey,
      config: {
        cors: { allowed_origins: corsOrigins, allow_unsafe_wildcard: false },
        webauthn: { relying_party: { id: RP_ID, display_name: RP_NAME, origins }, timeout: 60000 },
      },
    },
  });
  assert.equal(created.status, 201, `POST /tenants: ${created.text}`);
  const tenant = {
    id: created.json.id,
    apiKey: created.json.api_key?.secret,
    base: `${server.publicUrl.replace(/\/+$/, '')}/${created.json.id}`,
  };
  tenant.hanko = await configureHanko(server, tenant, hankoBlock(smtp, hanko));
  return tenant;
}

// Replaces the tenant's `hanko_public` block (GET the config, swap the block, PUT it back); returns what the admin
// API then shows.
export async function configureHanko(server, tenant, block) {
  const shown = await api(server.adminUrl, 'GET', `/tenants/${tenant.id}`);
  assert.equal(shown.status, 200, `GET /tenants/${tenant.id}: ${shown.text}`);
  const put = await api(server.adminUrl, 'PUT', `/tenants/${tenant.id}/config`,
    { body: { ...shown.json.config, hanko_public: block } });
  assert.equal(put.status, 204, `PUT /tenants/${tenant.id}/config: ${put.text}`);
  const after = await api(server.adminUrl, 'GET', `/tenants/${tenant.id}`);
  assert.equal(after.status, 200, after.text);
  assert.equal(after.json.config.hanko_public?.enabled, block.enabled, 'the admin API shows the new block');
  return after.json.config.hanko_public;
}

// One Set-Cookie header as { name, value, attributes } with lower-cased attribute names (flags map to true).
export function parseSetCookie(header) {
  const [pair, ...rest] = header.split(';');
  const eq = pair.indexOf('=');
  const attributes = {};
  for (const part of rest) {
    const trimmed = part.trim();
    if (trimmed === '') continue;
    const i = trimmed.indexOf('=');
    if (i === -1) attributes[trimmed.toLowerCase()] = true;
    else attributes[trimmed.slice(0, i).trim().toLowerCase()] = trimmed.slice(i + 1).trim();
  }
  return { name: pair.slice(0, eq).trim(), value: pair.slice(eq + 1).trim(), attributes, raw: header };
}

export const setCookiesOf = (res) => res.headers.getSetCookie().map(parseSetCookie);
export const cookieOf = (res, name) => setCookiesOf(res).find((c) => c.name === name);

// A browser-like caller of one tenant's Public API: keeps the cookies the server sets (dropping those it expires) and
// sends them back; `bearer` (per call or set on the client) adds `Authorization: Bearer`. Results are those of
// lib/http.mjs's api() plus `cookies` (the parsed Set-Cookie headers of that answer).
export class HankoClient {
  constructor(tenant, { headers = {}, bearer } = {}) {
    this.tenant = tenant;
    this.base = tenant.base;
    this.headers = headers;
    this.bearer = bearer;
    this.jar = new Map();
  }

  cookie(name) {
    return this.jar.get(name);
  }

  async call(method, path, { body, rawBody, headers = {}, bearer = this.bearer, cookies = true } = {}) {
    const sent = { ...this.headers };
    if (cookies && this.jar.size > 0) {
      sent.Cookie = [...this.jar].map(([name, value]) => `${name}=${value}`).join('; ');
    }
    if (bearer !== undefined) sent.Authorization = `Bearer ${bearer}`;
    Object.assign(sent, headers);
    const res = await api(this.base, method, path, { body, rawBody, headers: sent });
    res.cookies = setCookiesOf(res);
    for (const cookie of res.cookies) {
      const maxAge = cookie.attributes['max-age'];
      if (cookie.value === '' || (maxAge !== undefined && Number(maxAge) <= 0)) this.jar.delete(cookie.name);
      else this.jar.set(cookie.name, cookie.value);
    }
    return res;
  }

  get(path, options) { return this.call('GET', path, options); }

  post(path, body, options = {}) { return this.call('POST', path, { body, ...options }); }

  // The SDK's POST with `Content-Type: application/json` and no body (logout, registration/initialize, set_primary).
  postEmpty(path, options = {}) { return this.call('POST', path, { rawBody: '', ...options }); }
}

// The `{"code","message"}` error of the notes §0, with the same HTTP status.
export function assertHankoError(res, code, message) {
  assert.equal(res.status, code, `${res.status} ${res.text}`);
  assert.ok(res.json && typeof res.json === 'object', `error body is JSON: ${res.text}`);
  assert.deepEqual(Object.keys(res.json).sort(), ['code', 'message'], res.text);
  assert.equal(res.json.code, code, res.text);
  if (message instanceof RegExp) assert.match(res.json.message, message);
  else if (message !== undefined) assert.equal(res.json.message, message);
  else assert.equal(typeof res.json.message, 'string');
}

// A "login response" (notes §0, checklist 2): 200, X-Session-Lifetime, and the token EITHER in X-Auth-Token (header
// mode) OR in the session cookie, never both. Returns the token.
export function sessionTokenOf(res, { cookieName = 'hanko', headerMode = false, lifespan = 3600, status = 200 } = {}) {
  assert.equal(res.status, status, `${res.status} ${res.text}`);
  assert.equal(res.headers.get('x-session-lifetime'), String(lifespan), 'X-Session-Lifetime');
  const cookie = cookieOf(res, cookieName);
  const header = res.headers.get('x-auth-token');
  if (headerMode) {
    assert.ok(header, 'X-Auth-Token in header mode');
    assert.equal(cookie, undefined, 'no session cookie in header mode');
    return header;
  }
  assert.equal(header, null, 'no X-Auth-Token in cookie mode');
  assert.ok(cookie && cookie.value !== '', `a ${cookieName} cookie: ${res.headers.getSetCookie()}`);
  return cookie.value;
}

// Checks a session token against the tenant's JWKS and the claims of the notes §0 plus latchkey's `sid`; returns them.
export async function assertSessionToken(tenant, token, { sub, email, lifespan = 3600, aud = [RP_ID], iss } = {}) {
  const { header } = decodeJwt(token);
  assert.equal(header.alg, 'RS256');
  assert.equal(header.typ, 'JWT');
  assert.match(header.kid, UUID);
  const jwks = await api(tenant.base, 'GET', '/.well-known/jwks.json');
  assert.equal(jwks.status, 200, jwks.text);
  const claims = await verifyJwt(token, jwks.json);
  const expected = ['aud', 'exp', 'iat', 'sid', 'sub'];
  if (email !== null) expected.push('email');
  if (iss !== undefined) expected.push('iss');
  assert.deepEqual(Object.keys(claims).sort(), expected.sort(), JSON.stringify(claims));
  if (sub !== undefined) assert.equal(claims.sub, sub);
  assert.match(claims.sid, UUID);
  assert.deepEqual(claims.aud, aud);
  if (iss !== undefined) assert.equal(claims.iss, iss);
  assert.ok(Number.isInteger(claims.iat) && Math.abs(claims.iat - Date.now() / 1000) < 120, `iat ${claims.iat}`);
  assert.equal(claims.exp, claims.iat + lifespan);
  if (email !== undefined && email !== null) assert.deepEqual(claims.email, email);
  if (email === undefined && claims.email !== undefined) {
    assert.deepEqual(Object.keys(claims.email).sort(), ['address', 'is_primary', 'is_verified']);
  }
  return claims;
}

// POST /users (sign-up). Returns the answer and its ids.
export async function signUp(client, email) {
  const res = await client.post('/users', { email });
  assert.equal(res.status, 200, `POST /users ${email}: ${res.text}`);
  return { res, userId: res.json.user_id, emailId: res.json.email_id };
}

// POST /passcode/login/initialize, then the code from the mail. Returns { init, mail, code }.
// `to` is required: mail is matched by recipient, never "whatever arrives next".
export async function requestPasscode(client, smtp, { userId, emailId, to, headers } = {}) {
  assert.ok(to, 'requestPasscode needs the address the mail goes to');
  const init = await client.post('/passcode/login/initialize',
    emailId === undefined ? { user_id: userId } : { user_id: userId, email_id: emailId }, { headers });
  assert.equal(init.status, 200, `passcode initialize: ${init.text}`);
  const mail = await smtp.waitForMail({ to, timeoutMs: 15_000 });
  return { init, mail, code: smtp.passcodeOf(mail) };
}

// A whole passcode login (or sign-up confirmation): initialize, read the mail, finalize. Returns { res, token, ... }.
export async function passcodeLogin(client, smtp, { userId, emailId, to, cookieName, headerMode, lifespan } = {}) {
  const { init, mail, code } = await requestPasscode(client, smtp, { userId, emailId, to });
  const res = await client.post('/passcode/login/finalize', { id: init.json.id, code });
  const token = sessionTokenOf(res, { cookieName, headerMode, lifespan });
  return { res, token, init, mail, code };
}

// hanko-elements' sign-up with email and passcode (notes §10, require_verification on): POST /users, passcode to the
// address, finalize. The client ends up holding the session cookie. Returns { userId, emailId, email, token }.
export async function signUpVerified(client, smtp, email = uniqueEmail(), options = {}) {
  const { userId, emailId } = await signUp(client, email);
  const { token } = await passcodeLogin(client, smtp, { userId, emailId, to: email, ...options });
  return { userId, emailId, email, token };
}

// Registers a passkey of `authenticator` for the client's session user. Returns { credential, options, res }.
export async function registerPasskey(client, authenticator = new SoftAuthenticator(), createOptions = {}) {
  const init = await client.postEmpty('/webauthn/registration/initialize');
  assert.equal(init.status, 200, `registration/initialize: ${init.text}`);
  const credential = authenticator.create(init.json, ORIGIN, createOptions);
  const res = await client.post('/webauthn/registration/finalize', credential);
  assert.equal(res.status, 200, `registration/finalize: ${res.text}`);
  return { credential, options: init.json, res };
}

// Logs in with a passkey: discoverable when `userId` is undefined, else naming the user. Returns the finalize answer.
export async function passkeyLogin(client, authenticator, { userId, getOptions = {} } = {}) {
  const init = await client.post('/webauthn/login/initialize', userId === undefined ? {} : { user_id: userId });
  assert.equal(init.status, 200, `login/initialize: ${init.text}`);
  return client.post('/webauthn/login/finalize', authenticator.get(init.json, ORIGIN, getOptions));
}

// The admin API's view of a Hanko user: the engine user whose latchkey id or tenant-side id is the Hanko user id, with
// its credentials (GET /tenants/{id}/users/{internal id}). Undefined if the admin API does not list it.
export async function adminUserOf(server, tenant, hankoUserId) {
  const handle = userHandleOf(hankoUserId);
  let found;
  for (let page = 1; !found; page += 1) {
    const list = await api(server.adminUrl, 'GET', `/tenants/${tenant.id}/users?per_page=100&page=${page}`);
    assert.equal(list.status, 200, list.text);
    found = list.json.find((u) => u.id === hankoUserId || u.user_id === hankoUserId || u.user_id === handle);
    if (list.json.length < 100) break;
  }
  if (!found) return undefined;
  const shown = await api(server.adminUrl, 'GET', `/tenants/${tenant.id}/users/${found.id}`);
  assert.equal(shown.status, 200, shown.text);
  return shown.json;
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// POST /token: the session of a third-party or SAML sign-in's one-time token. Returns { userId, token }.
export async function exchangeOneTimeToken(tenant, value) {
  const res = await api(tenant.base, 'POST', '/token', { body: { value } });
  const token = sessionTokenOf(res);
  assert.deepEqual(Object.keys(res.json), ['user_id']);
  return { userId: res.json.user_id, token };
}

// What POST /user says of the user holding `email`, or null when nobody does.
export async function holderOf(tenant, email) {
  const res = await api(tenant.base, 'POST', '/user', { body: { email } });
  return res.status === 200 ? res.json : null;
}
