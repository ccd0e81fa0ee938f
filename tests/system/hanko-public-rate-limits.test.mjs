// Hanko Public API (v0.12): rate limits on POST /password/login and POST /passcode/login/initialize, per user and
// client address, token buckets of `rate_limiter.*_limits`; X-RateLimit-Limit/-Remaining/-Reset on every limited
// call, Retry-After and 429 {"code":429,"message":"Too Many Requests"} when the budget is spent. Once with latchkey's
// in-memory counters and once with Redis (LATCHKEY_RATE_LIMIT_REDIS_URL, as hardening-rate-limits.test.mjs).
// Specification: /work/shared/notes/hanko-public-api.md §0 "Rate limiting" and §1 (cited as §n), checklist 15.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';

import {
  HankoClient, assertHankoError, createHankoTenant, sessionTokenOf, sleep, uniqueEmail,
} from './lib/hanko-public.mjs';
import { STORES, startServer, withServerLog } from './lib/server.mjs';
import { startSmtp } from './lib/smtp.mjs';

const REDIS_URL = process.env.LATCHKEY_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const COUNTERS = ['memory', 'redis'];
const PASSWORD = 'the right password';

// Client addresses no other test or earlier run uses (a shared Redis may still hold counts of earlier runs).
const address = () => `2001:db8:${randomBytes(2).toString('hex')}:${randomBytes(2).toString('hex')}::1`;
const from = (ip) => ({ 'X-Forwarded-For': ip });

// The headers of a call that was counted: limit, what is left, and whole seconds until the window resets.
function assertCounted(res, { limit, remaining, interval }) {
  assert.equal(res.headers.get('x-ratelimit-limit'), String(limit), `X-RateLimit-Limit (${res.status} ${res.text})`);
  assert.equal(res.headers.get('x-ratelimit-remaining'), String(remaining), 'X-RateLimit-Remaining');
  const reset = res.headers.get('x-ratelimit-reset');
  assert.match(reset ?? '', /^\d+$/, `X-RateLimit-Reset: ${reset}`);
  assert.ok(Number(reset) <= interval, `X-RateLimit-Reset ${reset} <= ${interval}`);
}

function assertLimited(res, { limit, interval }) {
  assertHankoError(res, 429, 'Too Many Requests');
  assert.deepEqual(res.json, { code: 429, message: 'Too Many Requests' });
  assertCounted(res, { limit, remaining: 0, interval });
  const retry = res.headers.get('retry-after');
  assert.match(retry ?? '', /^\d+$/, `Retry-After: ${retry}`);
  assert.ok(Number(retry) <= interval, `Retry-After ${retry} <= ${interval}`);
  return Number(retry);
}

const assertUncounted = (res) => {
  for (const name of ['x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset', 'retry-after']) {
    assert.equal(res.headers.get(name), null, `${name} on ${res.status} ${res.text}`);
  }
};

for (const store of STORES) {
  for (const counter of COUNTERS) {
    describe(`Hanko Public API: rate limits (${store}, ${counter})`, () => {
      let server;
      let smtp;
      let limited; // password 3 per minute, passcode 2 per minute
      let refilling; // password 1 per 2 s
      let unlimited; // rate_limiter.enabled false
      const test = (name, fn) => it(name, withServerLog(() => server, fn));

      // A user with a password and a primary address, signed up from `ip`.
      async function userOf(tenant, ip = address()) {
        const client = new HankoClient(tenant, { headers: from(ip) });
        const email = uniqueEmail('limited');
        const res = await client.post('/users', { email });
        sessionTokenOf(res);
        const set = await client.call('PUT', '/password', { body: { user_id: res.json.user_id, password: PASSWORD } });
        assert.equal(set.status, 201, set.text);
        return { userId: res.json.user_id, email };
      }

      const passwordLogin = (tenant, ip, userId, password = 'a wrong password') => new HankoClient(tenant)
        .post('/password/login', { user_id: userId, password }, { headers: from(ip) });
      const passcodeInit = (tenant, ip, userId) => new HankoClient(tenant)
        .post('/passcode/login/initialize', { user_id: userId }, { headers: from(ip) });

      before(async () => {
        smtp = await startSmtp();
        server = await startServer(store, {
          env: {
            LATCHKEY_TRUSTED_PROXIES: '127.0.0.1',
            ...(counter === 'redis' ? { LATCHKEY_RATE_LIMIT_REDIS_URL: REDIS_URL } : {}),
          },
        });
        const base = { emails: { require_verification: false }, password: { enabled: true } };
        limited = await createHankoTenant(server, {
          smtp,
          hanko: {
            ...base,
            rate_limiter: {
              enabled: true,
              password_limits: { tokens: 3, interval: '1m' },
              passcode_limits: { tokens: 2, interval: '1m' },
            },
          },
        });
        refilling = await createHankoTenant(server, {
          smtp, hanko: { ...base, rate_limiter: { enabled: true, password_limits: { tokens: 1, interval: '2s' } } },
        });
        unlimited = await createHankoTenant(server, { smtp, hanko: { ...base, rate_limiter: { enabled: false } } });
      });
      after(async () => {
        await server?.stop();
        await smtp?.stop();
      });

      describe('POST /password/login', () => {
        test('counts every attempt, then answers 429 with Retry-After, even for the right password', async () => {
          const { userId } = await userOf(limited);
          const ip = address();
          for (let remaining = 2; remaining >= 0; remaining -= 1) {
            const res = await passwordLogin(limited, ip, userId);
            assertHankoError(res, 401, 'Unauthorized');
            assertCounted(res, { limit: 3, remaining, interval: 60 });
          }
          assertLimited(await passwordLogin(limited, ip, userId), { limit: 3, interval: 60 });
          const right = await passwordLogin(limited, ip, userId, PASSWORD);
          assertLimited(right, { limit: 3, interval: 60 });
          assert.equal(right.headers.get('x-session-lifetime'), null, 'no session');
        });

        test('counts successful logins too, and checks the budget before looking up the user', async () => {
          const { userId } = await userOf(limited);
          const ip = address();
          const ok = await passwordLogin(limited, ip, userId, PASSWORD);
          sessionTokenOf(ok);
          assertCounted(ok, { limit: 3, remaining: 2, interval: 60 });
          const stranger = randomUUID();
          for (let remaining = 2; remaining >= 0; remaining -= 1) {
            assertCounted(await passwordLogin(limited, ip, stranger), { limit: 3, remaining, interval: 60 });
          }
          assertLimited(await passwordLogin(limited, ip, stranger), { limit: 3, interval: 60 });
        });

        test('keeps one budget per user and client address', async () => {
          const alice = await userOf(limited);
          const bob = await userOf(limited);
          const ip = address();
          for (let i = 0; i < 3; i += 1) await passwordLogin(limited, ip, alice.userId);
          assertLimited(await passwordLogin(limited, ip, alice.userId), { limit: 3, interval: 60 });
          const otherUser = await passwordLogin(limited, ip, bob.userId, PASSWORD);
          sessionTokenOf(otherUser);
          assertCounted(otherUser, { limit: 3, remaining: 2, interval: 60 });
          const otherAddress = await passwordLogin(limited, address(), alice.userId, PASSWORD);
          sessionTokenOf(otherAddress);
          assertCounted(otherAddress, { limit: 3, remaining: 2, interval: 60 });
        });

        test('gives the budget back after the interval', async () => {
          const { userId } = await userOf(refilling);
          const ip = address();
          assertCounted(await passwordLogin(refilling, ip, userId), { limit: 1, remaining: 0, interval: 2 });
          const retry = assertLimited(await passwordLogin(refilling, ip, userId), { limit: 1, interval: 2 });
          await sleep((retry + 1) * 1000);
          const again = await passwordLogin(refilling, ip, userId, PASSWORD);
          sessionTokenOf(again);
          assertCounted(again, { limit: 1, remaining: 0, interval: 2 });
        });

        test('sends no rate-limit headers and never 429 when the limiter is off', async () => {
          const { userId } = await userOf(unlimited);
          const ip = address();
          for (let i = 0; i < 7; i += 1) {
            const res = await passwordLogin(unlimited, ip, userId);
            assertHankoError(res, 401, 'Unauthorized');
            assertUncounted(res);
          }
          sessionTokenOf(await passwordLogin(unlimited, ip, userId, PASSWORD));
        });
      });

      describe('POST /passcode/login/initialize', () => {
        test('counts requests per user and address; the refused one sends no mail', async () => {
          const { userId, email } = await userOf(limited);
          const ip = address();
          for (let remaining = 1; remaining >= 0; remaining -= 1) {
            const res = await passcodeInit(limited, ip, userId);
            assert.equal(res.status, 200, res.text);
            assertCounted(res, { limit: 2, remaining, interval: 60 });
            await smtp.waitForMail({ to: email });
          }
          assertLimited(await passcodeInit(limited, ip, userId), { limit: 2, interval: 60 });
          await smtp.expectNoMail({ to: email, withinMs: 1_500 });
          const elsewhere = await passcodeInit(limited, address(), userId);
          assert.equal(elsewhere.status, 200, elsewhere.text);
          assertCounted(elsewhere, { limit: 2, remaining: 1, interval: 60 });
          await smtp.waitForMail({ to: email });
        });

        test('looks up the user first: an unknown user gets 400, uncounted, however often', async () => {
          const ip = address();
          const stranger = randomUUID();
          for (let i = 0; i < 4; i += 1) {
            const res = await passcodeInit(limited, ip, stranger);
            assertHankoError(res, 400, 'Bad Request');
            assertUncounted(res);
          }
        });

        test('has its own budget, apart from password login', async () => {
          const { userId, email } = await userOf(limited);
          const ip = address();
          for (let i = 0; i < 3; i += 1) await passwordLogin(limited, ip, userId);
          assertLimited(await passwordLogin(limited, ip, userId), { limit: 3, interval: 60 });
          const res = await passcodeInit(limited, ip, userId);
          assert.equal(res.status, 200, res.text);
          assertCounted(res, { limit: 2, remaining: 1, interval: 60 });
          await smtp.waitForMail({ to: email });
        });

        test('leaves finalize and the other endpoints unlimited', async () => {
          const { userId, email } = await userOf(limited);
          const ip = address();
          const init = await passcodeInit(limited, ip, userId);
          await smtp.waitForMail({ to: email });
          for (let i = 0; i < 3; i += 1) {
            const res = await new HankoClient(limited).post('/passcode/login/finalize',
              { id: randomUUID(), code: '000000' }, { headers: from(ip) });
            assertHankoError(res, 401, 'passcode not found');
            assertUncounted(res);
          }
          assert.equal(init.status, 200);
          const lookup = await new HankoClient(limited).post('/user', { email }, { headers: from(ip) });
          assert.equal(lookup.status, 200, lookup.text);
          assertUncounted(lookup);
        });
      });
    });
  }
}
