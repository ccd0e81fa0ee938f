// Helpers of the fault tests (tests/system/faults-*.test.mjs): a TCP proxy in front of PostgreSQL that a test can take
// down, passkey load that records what the server acknowledged, and the check of the stored state against it.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { connect, createServer } from 'node:net';

import { SoftAuthenticator } from './authenticator.mjs';
import { sleep, sql } from './hardening.mjs';

export const ORIGIN = 'http://localhost:8080';
const REGISTERED = 'webauthn_registration_final_succeeded';
const LOGGED_IN = 'webauthn_authentication_final_succeeded';

// Forwards a port of its own on 127.0.0.1 to PostgreSQL at 127.0.0.1:5432. `down()` stops listening and resets every
// forwarded connection, as a restarting database does to its clients (new connections are refused); `up()` listens on
// the same port again. Only this test's server connects through it: the shared cluster is never touched. Its sockets
// never keep the test process alive (the server it serves does, while it runs).
export class PostgresProxy {
  constructor() {
    this.port = undefined;
    this.listener = undefined;
    this.sockets = new Set();
  }

  async up() {
    const listener = createServer((client) => {
      const upstream = connect({ host: '127.0.0.1', port: 5432 });
      const pair = [client, upstream];
      const drop = () => pair.forEach((socket) => {
        socket.destroy();
        this.sockets.delete(socket);
      });
      for (const socket of pair) {
        socket.unref();
        this.sockets.add(socket);
        socket.on('error', drop);
        socket.on('close', drop);
      }
      client.pipe(upstream);
      upstream.pipe(client);
    });
    await new Promise((resolve, reject) => {
      listener.once('error', reject);
      listener.listen(this.port ?? 0, '127.0.0.1', resolve);
    });
    listener.unref();
    this.port = listener.address().port;
    this.listener = listener;
  }

  async down() {
    const { listener } = this;
    this.listener = undefined;
    const closed = new Promise((resolve) => listener.close(resolve));
    for (const socket of [...this.sockets]) socket.resetAndDestroy();
    this.sockets.clear();
    await closed;
  }
}

// Registration and login load on the Hanko passkey-server API of one tenant. Each client registers a new user, logs in
// `loginsPerUser` times, and starts over, until `stop()`. Every answer is kept with its timing (status 0: no HTTP
// answer, e.g. the server was killed); what was acknowledged with a 2xx is kept per user for `checkAcknowledged`.
export class PasskeyLoad {
  constructor(server, tenant, { loginsPerUser = 2, timeoutMs = 30_000, pauseAfterRefusalMs = 200 } = {}) {
    Object.assign(this, { server, tenant, loginsPerUser, timeoutMs, pauseAfterRefusalMs });
    this.answers = [];
    // user id → { userId, authenticator, credentialId, counter (last acknowledged), logins (acknowledged) }
    this.users = new Map();
    this.running = [];
    this.stopped = false;
    this.round = 0;
    // A user id registered again would get a second credential: loads on one tenant must not share ids.
    this.prefix = randomBytes(3).toString('hex');
  }

  async call(path, body) {
    const started = Date.now();
    const answer = { path, started };
    try {
      const res = await fetch(`${this.server.publicUrl}/${this.tenant.id}${path}`, {
        method: 'POST',
        headers: { apiKey: this.tenant.api_key, 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      answer.text = await res.text();
      Object.assign(answer, { status: res.status, retryAfter: res.headers.get('retry-after') });
    } catch (error) {
      Object.assign(answer, { status: 0, text: `${error.name}: ${error.message}` });
    }
    answer.ended = Date.now();
    this.answers.push(answer);
    try {
      return { ...answer, json: JSON.parse(answer.text) };
    } catch {
      return answer;
    }
  }

  async register(userId) {
    const authenticator = new SoftAuthenticator();
    const init = await this.call('/registration/initialize', { user_id: userId, username: userId });
    if (init.status !== 200) return undefined;
    const credential = authenticator.create(init.json, ORIGIN);
    const done = await this.call('/registration/finalize', credential);
    if (done.status !== 200) return undefined;
    const user = { userId, authenticator, credentialId: credential.id, counter: 0, logins: 0 };
    this.users.set(userId, user);
    return user;
  }

  // One login; true when the server acknowledged it.
  async login(user) {
    const init = await this.call('/login/initialize', { user_id: user.userId });
    if (init.status !== 200) return false;
    const assertion = user.authenticator.get(init.json, ORIGIN, { credentialId: user.credentialId });
    const { counter } = user.authenticator.credential(user.credentialId);
    const done = await this.call('/login/finalize', assertion);
    if (done.status !== 200) return false;
    user.counter = Math.max(user.counter, counter);
    user.logins += 1;
    return true;
  }

  async client(name) {
    for (let n = 0; !this.stopped; n += 1) {
      const user = await this.register(`${name}-${n}`);
      let ok = user !== undefined;
      for (let i = 0; ok && i < this.loginsPerUser && !this.stopped; i += 1) ok = await this.login(user);
      // A refused request (503 during an outage) is tried again soon, not in a tight loop.
      if (!ok && !this.stopped) await sleep(this.pauseAfterRefusalMs);
    }
  }

  // Starts `clients` clients; user ids carry the round so that they stay unique across `start()`s.
  start(clients) {
    this.stopped = false;
    this.round += 1;
    this.running = Array.from({ length: clients }, (_, i) => this.client(`${this.prefix}-r${this.round}c${i}`));
  }

  async stop() {
    this.stopped = true;
    await Promise.all(this.running);
  }
}

const rows = (text) => (text === '' ? [] : text.split('\n').map((line) => line.split('|')));

// What the database holds about the load's users, read with SQL (the same statements on SQLite and PostgreSQL).
export function storedState(server) {
  const credentials = new Map(rows(sql(server, `SELECT u.external_id, count(c.id), coalesce(max(c.sign_count), -1)
    FROM users u LEFT JOIN credentials c ON c.tenant_id = u.tenant_id AND c.user_id = u.id
    GROUP BY u.external_id`)).map(([user, count, signCount]) => [user, { count: Number(count), signCount: Number(signCount) }]));
  const events = new Map();
  for (const [user, kind, count] of rows(sql(server, `SELECT actor_user_id, kind, count(*) FROM audit_events
    WHERE kind IN ('${REGISTERED}', '${LOGGED_IN}') GROUP BY actor_user_id, kind`))) {
    events.set(`${user} ${kind}`, Number(count));
  }
  const orphanCredentials = Number(sql(server, `SELECT count(*) FROM credentials c
    LEFT JOIN users u ON u.tenant_id = c.tenant_id AND u.id = c.user_id WHERE u.id IS NULL`));
  return {
    credentials,
    registrations: (user) => events.get(`${user} ${REGISTERED}`) ?? 0,
    logins: (user) => events.get(`${user} ${LOGGED_IN}`) ?? 0,
    orphanCredentials,
  };
}

// Checks the stored state against what `load` was acknowledged, and that nothing is half-written:
// - every acknowledged registration's credential is stored, with its registration's audit event;
// - every acknowledged login's counter is stored (the stored counter is at least it) and its audit event exists;
// - no credential without its user; a credential exists exactly when its registration's success event does (both are
//   written in one transaction); a user with n successful-login events has a stored counter of at least n (each login
//   raises the authenticator's counter by one, and the counter and the event are written in one transaction).
export function checkAcknowledged(server, load) {
  const state = storedState(server);
  const missing = [];
  for (const user of load.users.values()) {
    const stored = state.credentials.get(user.userId);
    const found = {
      credential: stored?.count ?? 0,
      registrationEvent: state.registrations(user.userId),
      counterAtLeastAcknowledged: (stored?.signCount ?? -1) >= user.counter,
      loginEventsAtLeastAcknowledged: state.logins(user.userId) >= user.logins,
    };
    const expected = { credential: 1, registrationEvent: 1, counterAtLeastAcknowledged: true, loginEventsAtLeastAcknowledged: true };
    if (JSON.stringify(found) !== JSON.stringify(expected)) {
      missing.push({ user: user.userId, acknowledged: { counter: user.counter, logins: user.logins }, stored, found });
    }
  }
  const halfWritten = [];
  for (const [user, { count, signCount }] of state.credentials) {
    if (count !== state.registrations(user)) halfWritten.push(`${user}: ${count} credentials, ${state.registrations(user)} registration events`);
    const logins = state.logins(user);
    if (logins > 0 && signCount < logins) halfWritten.push(`${user}: ${logins} login events but stored counter ${signCount}`);
  }
  assert.deepEqual({ missing, halfWritten, orphanCredentials: state.orphanCredentials },
    { missing: [], halfWritten: [], orphanCredentials: 0 });
  return state;
}

// Counts of a list by a key, for readable assertion messages.
export const tally = (items, key) => items.reduce((counts, item) => {
  const k = key(item);
  counts[k] = (counts[k] ?? 0) + 1;
  return counts;
}, {});
