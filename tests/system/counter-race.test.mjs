// Issue 13: the signature-counter rule holds when logins race. Concurrent logins of one credential that report the
// same counter may not all pass: with the counter rule `reject` (the default) exactly one succeeds and the others are
// refused, with `audit_only` all succeed and all but one are audited as possible clones. Logins reporting different
// counters never move the stored counter backwards.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';

import { SoftAuthenticator } from './lib/authenticator.mjs';
import { api } from './lib/http.mjs';
import { verifyJwt } from './lib/jwt.mjs';
import { STORES, createTenant, startServer, withServerLog } from './lib/server.mjs';

const ORIGIN = 'http://localhost:8080';
const RACERS = 12;
const REGISTERED_COUNTER = 5;
// The audit note of crates/engine/src/ceremonies/login.rs (POSSIBLE_CLONE).
const POSSIBLE_CLONE = 'signature counter did not increase: the credential may be cloned';
const REGRESSION = /signature counter did not increase/;
const SUCCEEDED = 'webauthn_authentication_final_succeeded';
const FAILED = 'webauthn_authentication_final_failed';

function connectTo(url) {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) });
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

function responseOf(socket) {
  const chunks = [];
  socket.on('data', (chunk) => chunks.push(chunk));
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.once('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const split = raw.indexOf('\r\n\r\n');
      const head = raw.slice(0, split);
      if (split < 0 || /^transfer-encoding:/im.test(head)) {
        reject(new Error(`unexpected response framing: ${JSON.stringify(raw.slice(0, 200))}`));
        return;
      }
      const text = raw.slice(split + 4);
      let json;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]), json, text });
    });
  });
}

// POSTs every body to `url` at once: each on its own connection, all connections open before the first request is
// written, and all requests written in one go, so that the server handles them side by side rather than one after
// another as a pooled client might send them.
async function postTogether(url, bodies, headers = {}) {
  const { host, pathname } = new URL(url);
  const sockets = await Promise.all(bodies.map(() => connectTo(url)));
  const responses = sockets.map(responseOf);
  const extra = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`).join('');
  sockets.forEach((socket, i) => {
    const payload = Buffer.from(JSON.stringify(bodies[i]));
    socket.write(`POST ${pathname} HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\n${extra}`
      + `Content-Length: ${payload.length}\r\nConnection: close\r\n\r\n`);
    socket.write(payload);
  });
  return Promise.all(responses);
}

const tally = (items, key) => items.reduce((counts, item) => {
  const k = key(item);
  counts[k] = (counts[k] ?? 0) + 1;
  return counts;
}, {});

for (const store of STORES) {
  describe(`signature counter under concurrent logins (${store})`, () => {
    let server;
    const test = (name, fn) => it(name, withServerLog(() => server, fn));

    function client(tenant) {
      const path = (p) => `/${tenant.id}${p}`;
      const keyed = (method, p, options = {}) => api(server.publicUrl, method, path(p),
        { apiKey: tenant.api_key, ...options });

      async function register(authenticator, userId) {
        const init = await keyed('POST', '/registration/initialize', { body: { user_id: userId, username: userId } });
        assert.equal(init.status, 200, init.text);
        const credential = authenticator.create(init.json, ORIGIN, { signCount: REGISTERED_COUNTER });
        const done = await keyed('POST', '/registration/finalize', { body: credential });
        assert.equal(done.status, 200, done.text);
        return credential.id;
      }

      // One assertion per counter, each answering its own login ceremony. The ceremonies start together as well:
      // that leaves the server with as many open database connections as the finishes will want at once.
      async function assertions(authenticator, userId, credentialId, counters) {
        const inits = await postTogether(`${server.publicUrl}${path('/login/initialize')}`,
          counters.map(() => ({ user_id: userId })), { apiKey: tenant.api_key });
        return inits.map((init, i) => {
          assert.equal(init.status, 200, init.text);
          return authenticator.get(init.json, ORIGIN, { credentialId, signCount: counters[i] });
        });
      }

      const finalizeTogether = (signed) => postTogether(`${server.publicUrl}${path('/login/finalize')}`, signed);

      async function finalizeOne(authenticator, userId, credentialId, signCount) {
        const [assertion] = await assertions(authenticator, userId, credentialId, [signCount]);
        return api(server.publicUrl, 'POST', path('/login/finalize'), { body: assertion });
      }

      async function loginEvents(userId) {
        const res = await keyed('GET', `/audit_logs?per_page=1000&type=${SUCCEEDED},${FAILED}&actor_user_id=${userId}`);
        assert.equal(res.status, 200, res.text);
        return res.json;
      }

      async function assertValidToken(token, userId, credentialId) {
        const jwks = await keyed('GET', '/.well-known/jwks.json');
        assert.equal(jwks.status, 200, jwks.text);
        const claims = await verifyJwt(token, jwks.json);
        assert.equal(claims.sub, userId);
        assert.equal(claims.cred, credentialId);
      }

      return { register, assertions, finalizeTogether, finalizeOne, loginEvents, assertValidToken };
    }

    // No API shows the stored counter, but under the `reject` rule logins do: one reporting n is refused exactly when
    // the stored counter is at least n. So a stored counter of n refuses n and then accepts n + 1.
    async function probeStoredCounter(c, authenticator, userId, credentialId, n) {
      const at = await c.finalizeOne(authenticator, userId, credentialId, n);
      const above = await c.finalizeOne(authenticator, userId, credentialId, n + 1);
      return { [n]: at.status, [n + 1]: above.status };
    }

    const unexpected = (results) => results.filter((r) => r.status !== 200
      && !(r.status === 401 && r.json?.title === 'failed to validate assertion' && REGRESSION.test(r.json?.details)));

    // The first login of a tenant may create its signing key; it happens here so that the races are about counters.
    async function warmUp(tenant) {
      const c = client(tenant);
      const authenticator = new SoftAuthenticator();
      const id = await c.register(authenticator, 'warm-up');
      const res = await c.finalizeOne(authenticator, 'warm-up', id, REGISTERED_COUNTER + 1);
      assert.equal(res.status, 200, res.text);
    }

    let rejecting;
    let auditing;
    before(async () => {
      server = await startServer(store);
      rejecting = await createTenant(server, { name: 'counter-reject' });
      auditing = await createTenant(server, { name: 'counter-audit-only' });
      const shown = await api(server.adminUrl, 'GET', `/tenants/${auditing.id}`);
      assert.equal(shown.status, 200, shown.text);
      const put = await api(server.adminUrl, 'PUT', `/tenants/${auditing.id}/config`,
        { body: { ...shown.json.config, counter: 'audit_only' } });
      assert.equal(put.status, 204, put.text);
      const reshown = await api(server.adminUrl, 'GET', `/tenants/${auditing.id}`);
      assert.equal(reshown.json.config.counter, 'audit_only');
      assert.equal((await api(server.adminUrl, 'GET', `/tenants/${rejecting.id}`)).json.config.counter, 'reject');
      await warmUp(rejecting);
      await warmUp(auditing);
    });
    after(async () => server?.stop());

    test(`counter rule reject: of ${RACERS} concurrent logins reporting the same counter exactly one succeeds`,
      async () => {
        const c = client(rejecting);
        const authenticator = new SoftAuthenticator();
        const user = 'same-counter';
        const id = await c.register(authenticator, user);
        const counter = REGISTERED_COUNTER + 1;
        const signed = await c.assertions(authenticator, user, id, Array(RACERS).fill(counter));

        const results = await c.finalizeTogether(signed);
        const events = await c.loginEvents(user);
        const observed = {
          answers: tally(results, (r) => r.status),
          unexpectedAnswers: unexpected(results).map((r) => `${r.status} ${r.text}`),
          audited: tally(events, (e) => e.type),
          failuresNotAboutTheCounter: events.filter((e) => e.type === FAILED && !REGRESSION.test(e.error ?? '')).length,
          storedCounterProbe: await probeStoredCounter(c, authenticator, user, id, counter),
        };
        assert.deepEqual(observed, {
          answers: { 200: 1, 401: RACERS - 1 },
          unexpectedAnswers: [],
          audited: { [SUCCEEDED]: 1, [FAILED]: RACERS - 1 },
          failuresNotAboutTheCounter: 0,
          storedCounterProbe: { [counter]: 401, [counter + 1]: 200 },
        });
        const [winner] = results.filter((r) => r.status === 200);
        await c.assertValidToken(winner.json.token, user, id);
      });

    test(`counter rule reject: ${RACERS} concurrent logins reporting different higher counters each succeed or are `
      + 'refused, and the stored counter ends at the highest', async () => {
      const c = client(rejecting);
      const authenticator = new SoftAuthenticator();
      const user = 'rising-counters';
      const id = await c.register(authenticator, user);
      const counters = Array.from({ length: RACERS }, (_, i) => REGISTERED_COUNTER + 1 + i);
      const highest = counters.at(-1);
      const signed = await c.assertions(authenticator, user, id, counters);

      const results = await c.finalizeTogether(signed);
      const accepted = counters.filter((_, i) => results[i].status === 200);
      const refused = counters.filter((_, i) => results[i].status === 401);
      const events = await c.loginEvents(user);
      const observed = {
        unexpectedAnswers: unexpected(results).map((r) => `${r.status} ${r.text}`),
        // Only an accepted higher counter can refuse a login, and none is higher than the highest.
        highestAccepted: accepted.includes(highest),
        audited: tally(events, (e) => e.type),
        storedCounterProbe: await probeStoredCounter(c, authenticator, user, id, highest),
      };
      assert.deepEqual(observed, {
        unexpectedAnswers: [],
        highestAccepted: true,
        audited: { [SUCCEEDED]: accepted.length, ...(refused.length > 0 ? { [FAILED]: refused.length } : {}) },
        storedCounterProbe: { [highest]: 401, [highest + 1]: 200 },
      }, `accepted counters ${accepted.join(', ')}; refused ${refused.join(', ')}`);
      for (const result of results.filter((r) => r.status === 200)) {
        await c.assertValidToken(result.json.token, user, id);
      }
    });

    test(`counter rule audit_only: ${RACERS} concurrent logins reporting the same counter all succeed, all but one `
      + 'audited as possible clones', async () => {
      const c = client(auditing);
      const authenticator = new SoftAuthenticator();
      const user = 'same-counter-audited';
      const id = await c.register(authenticator, user);
      const signed = await c.assertions(authenticator, user, id, Array(RACERS).fill(REGISTERED_COUNTER + 1));

      const results = await c.finalizeTogether(signed);
      const events = await c.loginEvents(user);
      assert.deepEqual({
        answers: tally(results, (r) => r.status),
        audited: tally(events, (e) => e.type),
        successNotes: tally(events.filter((e) => e.type === SUCCEEDED), (e) => e.error ?? 'none'),
      }, {
        answers: { 200: RACERS },
        audited: { [SUCCEEDED]: RACERS },
        successNotes: { [POSSIBLE_CLONE]: RACERS - 1, none: 1 },
      });
      for (const result of results) {
        await c.assertValidToken(result.json.token, user, id);
      }
    });
  });
}
