// Hanko Public API (v0.12): sessions. How every login endpoint delivers the token (X-Session-Lifetime always, then
// the cookie XOR X-Auth-Token), the cookie's attributes under each setting, the claims, Authorization: Bearer before
// the cookie, and latchkey's server-side sessions: logout, account deletion, the admin API and expiry end them, and a
// token of the passkey-server dialect or of another tenant is never a session.
// Specification: /work/shared/notes/hanko-public-api.md §0 and §1 (cited as §n), checklist 2, 4, 5, 17, and the
// contract's difference 2.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { SoftAuthenticator } from './lib/authenticator.mjs';
import { api } from './lib/http.mjs';
import { decodeJwt } from './lib/jwt.mjs';
import {
  HankoClient, ORIGIN, RP_ID, adminUserOf, assertHankoError, assertSessionToken, cookieOf, createHankoTenant,
  passcodeLogin, passkeyLogin, registerPasskey, sessionTokenOf, signUpVerified, sleep, uniqueEmail,
} from './lib/hanko-public.mjs';
import { STORES, startServer, withServerLog } from './lib/server.mjs';
import { startSmtp } from './lib/smtp.mjs';

const PASSWORD = 'a password long enough';

// The attributes of a Set-Cookie, without the flags it lacks: { path, 'max-age', secure, ... }.
const attributesOf = (cookie) => cookie.attributes;

for (const store of STORES) {
  describe(`Hanko Public API: sessions, cookies and tokens (${store})`, () => {
    let server;
    let smtp;
    let cookieMode; // the original's session defaults; sign-up logs in at once; passwords on
    let custom; // cookie "lk", Domain example.test, not Secure, not HttpOnly, SameSite lax, lifespan 30m
    let headerMode; // enable_auth_token_header
    let claimsTenant; // issuer and audience set
    let brief; // lifespan 1s
    let sameSiteNone;
    let sameSiteOther; // a value the original does not know: no SameSite attribute
    let verifying; // require_verification on, for the passcode sign-up
    const test = (name, fn) => it(name, withServerLog(() => server, fn));
    const quick = { emails: { require_verification: false }, password: { enabled: true } };

    // POST /users on a tenant without verification: a login response. Returns { client, res, token, userId, email }.
    async function signUpNow(tenant, { cookieName, headerMode: header = false, lifespan } = {}) {
      const client = new HankoClient(tenant);
      const email = uniqueEmail('session');
      const res = await client.post('/users', { email });
      const token = sessionTokenOf(res, { cookieName, headerMode: header, lifespan });
      if (header) client.bearer = token;
      return { client, res, token, userId: res.json.user_id, emailId: res.json.email_id, email };
    }

    before(async () => {
      smtp = await startSmtp();
      server = await startServer(store);
      cookieMode = await createHankoTenant(server, { smtp, hanko: quick });
      custom = await createHankoTenant(server, {
        smtp,
        hanko: {
          ...quick,
          session: {
            lifespan: '30m',
            cookie: { name: 'lk', domain: 'example.test', http_only: false, same_site: 'lax', secure: false },
          },
        },
      });
      headerMode = await createHankoTenant(server, { smtp, hanko: { ...quick, session: { enable_auth_token_header: true } } });
      claimsTenant = await createHankoTenant(server, {
        smtp, hanko: { ...quick, session: { issuer: 'https://issuer.example', audience: ['app-one', 'app-two'] } },
      });
      brief = await createHankoTenant(server, { smtp, hanko: { ...quick, session: { lifespan: '1s' } } });
      sameSiteNone = await createHankoTenant(server, { smtp, hanko: { ...quick, session: { cookie: { same_site: 'none' } } } });
      sameSiteOther = await createHankoTenant(server,
        { smtp, hanko: { ...quick, session: { cookie: { same_site: 'sideways' } } } });
      verifying = await createHankoTenant(server, { smtp, createApiKey: true });
    });
    after(async () => {
      await server?.stop();
      await smtp?.stop();
    });

    describe('delivery (§0, checklist 2)', () => {
      test('every login endpoint answers X-Session-Lifetime and the hanko cookie with the default attributes', async () => {
        const { client, res, userId, email } = await signUpNow(cookieMode);
        const results = { 'POST /users': res };
        assert.equal((await client.call('PUT', '/password', { body: { user_id: userId, password: PASSWORD } })).status,
          201);
        results['POST /password/login'] = await new HankoClient(cookieMode).post('/password/login',
          { user_id: userId, password: PASSWORD });
        results['POST /passcode/login/finalize'] = (await passcodeLogin(new HankoClient(cookieMode), smtp,
          { userId, to: email })).res;
        const authenticator = new SoftAuthenticator();
        await registerPasskey(client, authenticator);
        results['POST /webauthn/login/finalize'] = await passkeyLogin(new HankoClient(cookieMode), authenticator);

        for (const [endpoint, answer] of Object.entries(results)) {
          const token = sessionTokenOf(answer);
          await assertSessionToken(cookieMode, token, { sub: userId });
          const cookie = cookieOf(answer, 'hanko');
          assert.deepEqual(attributesOf(cookie),
            { path: '/', 'max-age': '3600', secure: true, httponly: true, samesite: 'Strict' }, `${endpoint}: ${cookie.raw}`);
        }
      });

      test('follows the cookie settings: name, Domain, Secure, HttpOnly, SameSite and the lifespan', async () => {
        const { res, token, userId } = await signUpNow(custom, { cookieName: 'lk', lifespan: 1800 });
        assert.equal(cookieOf(res, 'hanko'), undefined, 'the configured name only');
        assert.deepEqual(attributesOf(cookieOf(res, 'lk')),
          { path: '/', domain: 'example.test', 'max-age': '1800', samesite: 'Lax' }, cookieOf(res, 'lk').raw);
        // The legacy cookie takes Secure, HttpOnly and Domain from the session cookie settings; SameSite=None always.
        // (The notes name no Path for it; the original sets none, so either is accepted.)
        const { path: _path, ...legacy } = attributesOf(cookieOf(res, 'hanko_email_id'));
        assert.deepEqual(legacy, { domain: 'example.test', samesite: 'None' });
        await assertSessionToken(custom, token, { sub: userId, lifespan: 1800 });
        const me = await new HankoClient(custom).get('/me', { headers: { Cookie: `lk=${token}` } });
        assert.deepEqual(me.json, { id: userId }, 'the session is read from the configured cookie');
        assertHankoError(await new HankoClient(custom).get('/me', { headers: { Cookie: `hanko=${token}` } }), 401,
          'Unauthorized');
      });

      test('writes SameSite=None for "none" and no SameSite for a value it does not know', async () => {
        const none = await signUpNow(sameSiteNone);
        assert.equal(cookieOf(none.res, 'hanko').attributes.samesite, 'None');
        const other = await signUpNow(sameSiteOther);
        assert.deepEqual(attributesOf(cookieOf(other.res, 'hanko')),
          { path: '/', 'max-age': '3600', secure: true, httponly: true });
      });

      test('in header mode: X-Auth-Token and X-Session-Lifetime on every login endpoint, never the cookie', async () => {
        const { client, res, token, userId, email } = await signUpNow(headerMode, { headerMode: true });
        assert.ok(cookieOf(res, 'hanko_email_id'), 'the legacy cookie is not the session cookie');
        await assertSessionToken(headerMode, token, { sub: userId });
        assert.equal((await client.call('PUT', '/password', { body: { user_id: userId, password: PASSWORD } })).status,
          201);
        const password = await new HankoClient(headerMode).post('/password/login', { user_id: userId, password: PASSWORD });
        await assertSessionToken(headerMode, sessionTokenOf(password, { headerMode: true }), { sub: userId });
        const passcode = await passcodeLogin(new HankoClient(headerMode), smtp, { userId, to: email, headerMode: true });
        await assertSessionToken(headerMode, passcode.token, { sub: userId });
        const authenticator = new SoftAuthenticator();
        await registerPasskey(client, authenticator);
        const passkey = await passkeyLogin(new HankoClient(headerMode), authenticator);
        const passkeyToken = sessionTokenOf(passkey, { headerMode: true });
        assert.deepEqual((await new HankoClient(headerMode).get('/me', { bearer: passkeyToken })).json, { id: userId });
      });

      test('signs sub, sid, iat, exp, aud and the primary email; iss and aud as configured', async () => {
        const plain = await signUpNow(cookieMode);
        const claims = await assertSessionToken(cookieMode, plain.token, { sub: plain.userId, aud: [RP_ID] });
        assert.equal(claims.iss, undefined);
        assert.equal(claims.email.address, plain.email);
        assert.equal(claims.email.is_primary, true);
        const configured = await signUpNow(claimsTenant);
        await assertSessionToken(claimsTenant, configured.token,
          { sub: configured.userId, aud: ['app-one', 'app-two'], iss: 'https://issuer.example' });
        // Each login is its own session.
        const verified = await signUpVerified(new HankoClient(verifying), smtp);
        const again = await passcodeLogin(new HankoClient(verifying), smtp, { userId: verified.userId, to: verified.email });
        assert.notEqual(decodeJwt(again.token).claims.sid, decodeJwt(verified.token).claims.sid);
      });
    });

    describe('authentication (§0, checklist 4)', () => {
      test('prefers Authorization: Bearer over the cookie', async () => {
        const alice = await signUpNow(cookieMode);
        const bob = await signUpNow(cookieMode);
        assert.deepEqual((await alice.client.get('/me')).json, { id: alice.userId });
        assert.deepEqual((await alice.client.get('/me', { bearer: bob.token })).json, { id: bob.userId });
      });

      test('refuses a token of another tenant, a tampered token and an expired one', async () => {
        const elsewhere = await signUpNow(custom, { cookieName: 'lk', lifespan: 1800 });
        assertHankoError(await new HankoClient(cookieMode).get('/me', { bearer: elsewhere.token }), 401, 'Unauthorized');

        const { token } = await signUpNow(cookieMode);
        const other = await signUpNow(cookieMode);
        const [header, , signature] = token.split('.');
        const claims = { ...decodeJwt(token).claims, sub: other.userId };
        const forged = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
        assertHankoError(await new HankoClient(cookieMode).get('/me', { bearer: forged }), 401, 'Unauthorized');
        const unsigned = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${forged.split('.')[1]}.`;
        assertHankoError(await new HankoClient(cookieMode).get('/me', { bearer: unsigned }), 401, 'Unauthorized');

        const short = await signUpNow(brief, { lifespan: 1 });
        assert.equal(cookieOf(short.res, 'hanko').attributes['max-age'], '1');
        await sleep(2_500);
        assertHankoError(await new HankoClient(brief).get('/me', { bearer: short.token }), 401, 'Unauthorized');
      });

      test('never takes a passkey-server token of the same tenant as a session (difference 2)', async () => {
        const { userId, token: hankoToken } = await signUpVerified(new HankoClient(verifying), smtp);
        // A passkey-server login whose token names the Hanko user and is signed by the same keys.
        const authenticator = new SoftAuthenticator();
        const options = await api(verifying.base, 'POST', '/registration/initialize',
          { apiKey: verifying.apiKey, body: { user_id: userId, username: 'cross-dialect' } });
        assert.equal(options.status, 200, options.text);
        const registered = await api(verifying.base, 'POST', '/registration/finalize',
          { body: authenticator.create(options.json, ORIGIN) });
        assert.equal(registered.status, 200, registered.text);
        const login = await api(verifying.base, 'POST', '/login/initialize', { body: {} });
        const finished = await api(verifying.base, 'POST', '/login/finalize',
          { body: authenticator.get(login.json, ORIGIN) });
        assert.equal(finished.status, 200, finished.text);
        const foreign = finished.json.token;
        assert.equal(decodeJwt(foreign).header.kid, decodeJwt(hankoToken).header.kid, 'signed by the same key');

        const client = new HankoClient(verifying);
        assertHankoError(await client.get('/me', { bearer: foreign }), 401, 'Unauthorized');
        assertHankoError(await client.get('/me', { headers: { Cookie: `hanko=${foreign}` } }), 401, 'Unauthorized');
        assertHankoError(await client.get('/emails', { bearer: foreign }), 401, 'Unauthorized');
        assertHankoError(await client.get(`/users/${userId}`, { bearer: foreign }), 401, 'Unauthorized');
        assertHankoError(await client.postEmpty('/webauthn/registration/initialize', { bearer: foreign }), 401,
          'Unauthorized');
      });
    });

    describe('revocation (difference 2)', () => {
      test('POST /logout ends the session of that token at once', async () => {
        const { client, token } = await signUpNow(cookieMode);
        const res = await client.postEmpty('/logout');
        assert.equal(res.status, 204, res.text);
        assert.deepEqual(attributesOf(cookieOf(res, 'hanko')),
          { path: '/', 'max-age': '0', secure: true, httponly: true, samesite: 'Strict' });
        assert.equal(cookieOf(res, 'hanko').value, '');
        assertHankoError(await new HankoClient(cookieMode).get('/me', { bearer: token }), 401, 'Unauthorized');
      });

      test('POST /logout clears the configured cookie with its attributes', async () => {
        const { client, token } = await signUpNow(custom, { cookieName: 'lk', lifespan: 1800 });
        const res = await client.postEmpty('/logout');
        assert.equal(res.status, 204, res.text);
        const deletion = cookieOf(res, 'lk');
        assert.equal(deletion.value, '');
        assert.deepEqual(attributesOf(deletion), { path: '/', domain: 'example.test', 'max-age': '0', samesite: 'Lax' });
        assertHankoError(await new HankoClient(custom).get('/me', { headers: { Cookie: `lk=${token}` } }), 401,
          'Unauthorized');
      });

      test('POST /logout in header mode ends the bearer\'s session', async () => {
        const { client, token } = await signUpNow(headerMode, { headerMode: true });
        assert.equal((await client.postEmpty('/logout')).status, 204);
        assertHankoError(await new HankoClient(headerMode).get('/me', { bearer: token }), 401, 'Unauthorized');
      });

      test('deleting the user on the admin API ends their sessions', async () => {
        const { token, userId } = await signUpNow(cookieMode);
        assert.equal((await new HankoClient(cookieMode).get('/me', { bearer: token })).status, 200);
        const shown = await adminUserOf(server, cookieMode, userId);
        assert.ok(shown, `the admin API lists the Hanko user ${userId}`);
        const deleted = await api(server.adminUrl, 'DELETE', `/tenants/${cookieMode.id}/users/${shown.id}`);
        assert.equal(deleted.status, 204, deleted.text);
        assertHankoError(await new HankoClient(cookieMode).get('/me', { bearer: token }), 401, 'Unauthorized');
      });
    });
  });
}
