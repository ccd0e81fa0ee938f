// Hanko Public API (v0.12): passcodes. POST /passcode/login/initialize and /finalize, with the code read from the
// mail latchkey sends over SMTP to a real server (aiosmtpd). Every outcome of the notes: 401 wrong, 410 on the third
// wrong code, 408 expired, 403 for a session of another user, 400 for an unknown user or address, no mail when
// delivery is off, Chinese mail by Accept-Language.
// Specification: /work/shared/notes/hanko-public-api.md §1 and §3 (cited as §n), the contract's differences.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';

import {
  HankoClient, SERVICE_NAME, UUID, assertHankoError, assertSessionToken, createHankoTenant, passcodeLogin,
  requestPasscode, sessionTokenOf, signUp, signUpVerified, sleep, uniqueEmail,
} from './lib/hanko-public.mjs';
import { STORES, startServer, withServerLog } from './lib/server.mjs';
import { startSmtp } from './lib/smtp.mjs';

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const CJK = /[\u4e00-\u9fff]/;

// A code that is not `code` (same length, all digits).
const wrongCode = (code) => String((Number(code) + 1) % 1_000_000).padStart(6, '0');

for (const store of STORES) {
  describe(`Hanko Public API: passcodes and mail (${store})`, () => {
    let server;
    let smtp;
    let tenant; // the original's defaults
    let shortLived; // passcode.ttl 1
    let silent; // email_delivery.enabled false
    let branded; // own service name and sender
    let customCookie; // session.cookie.name "lk_session"
    const test = (name, fn) => it(name, withServerLog(() => server, fn));

    before(async () => {
      smtp = await startSmtp();
      server = await startServer(store);
      tenant = await createHankoTenant(server, { smtp });
      shortLived = await createHankoTenant(server, { smtp, hanko: { passcode: { ttl: 1 } } });
      silent = await createHankoTenant(server, { smtp, hanko: { email_delivery: { enabled: false } } });
      branded = await createHankoTenant(server, {
        smtp,
        hanko: {
          service: { name: 'Example App' },
          passcode: { email: { from_address: 'noreply@example.org', from_name: 'Example Login' } },
        },
      });
      customCookie = await createHankoTenant(server, { smtp, hanko: { session: { cookie: { name: 'lk_session' } } } });
    });
    after(async () => {
      await server?.stop();
      await smtp?.stop();
    });

    describe('initialize (§1, §3)', () => {
      test('answers 200 {id, ttl, created_at} and mails the code as plain text in English', async () => {
        const client = new HankoClient(tenant);
        const email = uniqueEmail('mail');
        const { userId, emailId } = await signUp(client, email);
        const { init, mail, code } = await requestPasscode(client, smtp, { userId, emailId, to: email });
        assert.deepEqual(Object.keys(init.json).sort(), ['created_at', 'id', 'ttl']);
        assert.match(init.json.id, UUID);
        assert.equal(init.json.ttl, 300);
        assert.match(init.json.created_at, RFC3339);
        assert.ok(Math.abs(Date.parse(init.json.created_at) - Date.now()) < 120_000, init.json.created_at);

        assert.match(code, /^\d{6}$/);
        assert.deepEqual(mail.to.map((a) => a.toLowerCase()), [email]);
        assert.equal(mail.headers.to?.toLowerCase(), email);
        assert.equal(mail.from, 'Hanko <passcode@hanko.io>');
        assert.equal(mail.subject, `${code} is your passcode for ${SERVICE_NAME}`);
        assert.equal(mail.contentType, 'text/plain', 'plain text only');
        const paragraphs = mail.text.trim().split(/\n\s*\n/).map((p) => p.trim());
        assert.deepEqual(paragraphs, [
          'Enter the following passcode to verify your identity:',
          code,
          'The passcode is valid for 5 minutes.',
        ]);
      });

      test('names the configured service and sender', async () => {
        const client = new HankoClient(branded);
        const email = uniqueEmail('branded');
        const { userId, emailId } = await signUp(client, email);
        const { mail, code } = await requestPasscode(client, smtp, { userId, emailId, to: email });
        assert.equal(mail.from, 'Example Login <noreply@example.org>');
        assert.equal(mail.envelopeFrom, 'noreply@example.org');
        assert.equal(mail.subject, `${code} is your passcode for Example App`);
      });

      test('writes in Chinese for Accept-Language: zh-CN, and in English for a language it lacks', async () => {
        const client = new HankoClient(tenant);
        const email = uniqueEmail('zh');
        const { userId, emailId } = await signUp(client, email);
        for (const language of ['zh-CN', 'zh-CN,zh;q=0.9,en;q=0.8']) {
          const { mail, code } = await requestPasscode(client, smtp,
            { userId, emailId, to: email, headers: { 'Accept-Language': language } });
          assert.match(mail.subject, CJK, `${language}: ${mail.subject}`);
          assert.ok(mail.subject.includes(code), mail.subject);
          assert.ok(mail.subject.includes(SERVICE_NAME), mail.subject);
          assert.notEqual(mail.subject, `${code} is your passcode for ${SERVICE_NAME}`);
          assert.match(mail.text, CJK, mail.text);
          assert.ok(mail.text.includes(code), mail.text);
          assert.ok(!mail.text.includes('Enter the following passcode'), mail.text);
        }
        const { mail, code } = await requestPasscode(client, smtp,
          { userId, emailId, to: email, headers: { 'Accept-Language': 'tlh' } });
        assert.equal(mail.subject, `${code} is your passcode for ${SERVICE_NAME}`);
      });

      test('sends no mail when email_delivery.enabled is false, but still issues the passcode', async () => {
        const client = new HankoClient(silent);
        const email = uniqueEmail('silent');
        const { userId, emailId } = await signUp(client, email);
        const init = await client.post('/passcode/login/initialize', { user_id: userId, email_id: emailId });
        assert.equal(init.status, 200, init.text);
        assert.match(init.json.id, UUID);
        await smtp.expectNoMail({ to: email, withinMs: 2_000 });
        // The passcode exists: a wrong code is "wrong", not "not found".
        assertHankoError(await client.post('/passcode/login/finalize', { id: init.json.id, code: '000000' }), 401,
          'Unauthorized');
      });

      test('picks the user\'s primary address when no email_id is given', async () => {
        const { userId, email } = await signUpVerified(new HankoClient(tenant), smtp);
        const client = new HankoClient(tenant);
        const { mail } = await requestPasscode(client, smtp, { userId, to: email });
        assert.deepEqual(mail.to.map((a) => a.toLowerCase()), [email]);
      });

      test('falls back to the hanko_email_id cookie for a pending sign-up, else 400', async () => {
        const client = new HankoClient(tenant);
        const email = uniqueEmail('legacy');
        const { userId } = await signUp(client, email);
        assert.ok(client.cookie('hanko_email_id'));
        const { mail } = await requestPasscode(client, smtp, { userId, to: email });
        assert.deepEqual(mail.to.map((a) => a.toLowerCase()), [email]);
        const cookieless = new HankoClient(tenant);
        assertHankoError(await cookieless.post('/passcode/login/initialize', { user_id: userId }), 400,
          'an emailId needs to be specified');
      });

      test('answers 400 for an unknown user, an unknown email_id and an invalid body', async () => {
        const client = new HankoClient(tenant);
        const { userId } = await signUpVerified(new HankoClient(tenant), smtp);
        assertHankoError(await client.post('/passcode/login/initialize', { user_id: randomUUID() }), 400, 'Bad Request');
        assertHankoError(await client.post('/passcode/login/initialize', { user_id: userId, email_id: randomUUID() }),
          400, 'the specified emailId is not available');
        assertHankoError(await client.post('/passcode/login/initialize', { user_id: userId, email_id: 'nope' }), 400);
        assertHankoError(await client.post('/passcode/login/initialize', {}), 400, 'user_id is a required field');
        assertHankoError(await client.post('/passcode/login/initialize', { user_id: 'nope' }), 400,
          'user_id must be a valid uuid4');
      });

      test('answers 403 for a session of another user, and for an address of another user', async () => {
        const aliceClient = new HankoClient(tenant);
        const alice = await signUpVerified(aliceClient, smtp);
        const bob = await signUpVerified(new HankoClient(tenant), smtp);
        assertHankoError(await aliceClient.post('/passcode/login/initialize', { user_id: bob.userId }), 403, 'Forbidden');
        assertHankoError(await new HankoClient(tenant).post('/passcode/login/initialize', { user_id: bob.userId },
          { bearer: alice.token }), 403, 'Forbidden');
        assertHankoError(await new HankoClient(tenant).post('/passcode/login/initialize',
          { user_id: alice.userId, email_id: bob.emailId }), 403, 'Forbidden');
        await smtp.expectNoMail({ to: bob.email, withinMs: 500 });
      });

      test('reads the session from the configured cookie name (difference 5)', async () => {
        const aliceClient = new HankoClient(customCookie);
        await signUpVerified(aliceClient, smtp, uniqueEmail('cookie'), { cookieName: 'lk_session' });
        assert.ok(aliceClient.cookie('lk_session'));
        const bob = await signUpVerified(new HankoClient(customCookie), smtp, uniqueEmail('cookie'),
          { cookieName: 'lk_session' });
        assertHankoError(await aliceClient.post('/passcode/login/initialize', { user_id: bob.userId }), 403, 'Forbidden');
      });
    });

    describe('finalize (§1, checklist 9)', () => {
      test('logs in with the right code: a login response with {id, ttl, created_at} of the passcode', async () => {
        const client = new HankoClient(tenant);
        const email = uniqueEmail('final');
        const { userId, emailId } = await signUp(client, email);
        const { init, code } = await requestPasscode(client, smtp, { userId, emailId, to: email });
        const res = await client.post('/passcode/login/finalize', { id: init.json.id, code });
        const token = sessionTokenOf(res);
        assert.deepEqual(res.json, init.json);
        await assertSessionToken(tenant, token,
          { sub: userId, email: { address: email, is_primary: true, is_verified: true } });
        // The address is now verified and the user's.
        const found = await new HankoClient(tenant).post('/user', { email });
        assert.deepEqual(found.json, { id: userId, email_id: emailId, verified: true, has_webauthn_credential: false });
        // A passcode is used once.
        assertHankoError(await client.post('/passcode/login/finalize', { id: init.json.id, code }), 401,
          'passcode not found');
      });

      test('answers 401 for a wrong code, 410 on the third, then 401 "passcode not found"', async () => {
        const client = new HankoClient(tenant);
        const email = uniqueEmail('wrong');
        const { userId, emailId } = await signUp(client, email);
        const { init, code } = await requestPasscode(client, smtp, { userId, emailId, to: email });
        const finalize = (c) => client.post('/passcode/login/finalize', { id: init.json.id, code: c });
        assertHankoError(await finalize(wrongCode(code)), 401, 'Unauthorized');
        assertHankoError(await finalize('12345'), 401, 'Unauthorized');
        assertHankoError(await finalize(wrongCode(code)), 410, 'max attempts reached');
        assertHankoError(await finalize(code), 401, 'passcode not found');
      });

      test('accepts the right code after fewer than three wrong ones', async () => {
        const client = new HankoClient(tenant);
        const email = uniqueEmail('retry');
        const { userId, emailId } = await signUp(client, email);
        const { init, code } = await requestPasscode(client, smtp, { userId, emailId, to: email });
        for (let i = 0; i < 2; i += 1) {
          assertHankoError(await client.post('/passcode/login/finalize', { id: init.json.id, code: wrongCode(code) }),
            401, 'Unauthorized');
        }
        sessionTokenOf(await client.post('/passcode/login/finalize', { id: init.json.id, code }));
      });

      test('keeps earlier passcodes valid when a new one is requested', async () => {
        const client = new HankoClient(tenant);
        const email = uniqueEmail('several');
        const { userId, emailId } = await signUp(client, email);
        const first = await requestPasscode(client, smtp, { userId, emailId, to: email });
        const second = await requestPasscode(client, smtp, { userId, emailId, to: email });
        assert.notEqual(first.init.json.id, second.init.json.id);
        sessionTokenOf(await client.post('/passcode/login/finalize', { id: first.init.json.id, code: first.code }));
      });

      test('answers 408 for an expired passcode, and keeps it (408 again, not "not found")', async () => {
        const client = new HankoClient(shortLived);
        const email = uniqueEmail('expired');
        const { userId, emailId } = await signUp(client, email);
        const { init, code } = await requestPasscode(client, smtp, { userId, emailId, to: email });
        assert.equal(init.json.ttl, 1);
        await sleep(2_000);
        assertHankoError(await client.post('/passcode/login/finalize', { id: init.json.id, code }), 408,
          'passcode request timed out');
        assertHankoError(await client.post('/passcode/login/finalize', { id: init.json.id, code }), 408,
          'passcode request timed out');
      });

      test('answers 401 "passcode not found" for an unknown id, 400 for an invalid body', async () => {
        const client = new HankoClient(tenant);
        assertHankoError(await client.post('/passcode/login/finalize', { id: randomUUID(), code: '123456' }), 401,
          'passcode not found');
        assertHankoError(await client.post('/passcode/login/finalize', {}), 400,
          'id is a required field and code is a required field');
        assertHankoError(await client.post('/passcode/login/finalize', { id: 'nope', code: '123456' }), 400,
          'id must be a valid uuid4');
        assertHankoError(await client.post('/passcode/login/finalize', { id: randomUUID() }), 400,
          'code is a required field');
      });

      test('answers 403 when a session of another user finalizes', async () => {
        const aliceClient = new HankoClient(tenant);
        await signUpVerified(aliceClient, smtp);
        const bobClient = new HankoClient(tenant);
        const bob = await signUpVerified(bobClient, smtp);
        const { init, code } = await requestPasscode(new HankoClient(tenant), smtp,
          { userId: bob.userId, to: bob.email });
        assertHankoError(await aliceClient.post('/passcode/login/finalize', { id: init.json.id, code }), 403,
          'Forbidden');
      });

      test('logs in a returning user without a session, and re-verifies with that user\'s own session', async () => {
        const { userId, email } = await signUpVerified(new HankoClient(tenant), smtp);
        const fresh = new HankoClient(tenant);
        const { token } = await passcodeLogin(fresh, smtp, { userId, to: email });
        await assertSessionToken(tenant, token,
          { sub: userId, email: { address: email, is_primary: true, is_verified: true } });
        const again = await passcodeLogin(fresh, smtp, { userId, to: email });
        await assertSessionToken(tenant, again.token, { sub: userId });
      });
    });
  });
}
