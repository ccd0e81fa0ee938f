// Issue 16: while its PostgreSQL database is out of reach, latchkey answers 503 quickly (never 500, never a hanging
// request), readiness says so, and once the database is back service resumes within 5 s without a restart; every
// write acknowledged before, during or after the outage is stored. Only this test's own database goes down, in two
// ways: a TCP proxy between latchkey and PostgreSQL stops listening and resets its connections (what a database restart
// looks like to a client: connection refused), and the database refuses connections (`ALLOW_CONNECTIONS false`) with
// latchkey's backends terminated. The shared cluster is never restarted.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { PasskeyLoad, PostgresProxy, checkAcknowledged, tally } from './lib/faults.mjs';
import { api } from './lib/http.mjs';
import { eventually, sleep, sql } from './lib/hardening.mjs';
import { STORES, createTenant, startServer, withServerLog } from './lib/server.mjs';

const CLIENTS = 4;
const BEFORE_MS = 1500;
// Long enough for every client to be answered twice while it lasts (each answer may take the acquire timeout).
const DOWN_MS = 8000;
const AFTER_MS = 1500;
// The default LATCHKEY_DATABASE_ACQUIRE_TIMEOUT_SECS: how long a request waits for a connection before its 503.
const ACQUIRE_TIMEOUT_MS = 3000;
// No answer may take longer than the acquire timeout and this much more (the machine is slow and shared).
const SLACK_MS = 5000;
const RECOVERY_MS = 5000;
const UNAVAILABLE = { title: 'Service Unavailable', details: '', status: 503 };

// Seen on the shared machine: once every test has passed and reported, this file's process sometimes keeps running
// (busy, cause not yet found; follow-up noted on issue 16) and the runner, one file at a time, would wait for it
// forever. Five seconds after the last hook the process ends with the exit code the test runner set.
after(() => {
  setTimeout(() => process.exit(), 5000).unref();
});

describe('faults: PostgreSQL outage under passkey load', { skip: !STORES.includes('postgres') }, () => {
  let server;
  let tenant;
  const proxy = new PostgresProxy();
  const test = (name, fn) => it(name, withServerLog(() => server, fn));
  const ready = () => api(server.adminUrl, 'GET', '/health/ready');

  before(async () => {
    await proxy.up();
    server = await startServer('postgres', { postgresPort: proxy.port });
    tenant = await createTenant(server, { name: 'outage' });
  });
  after(async () => {
    await server?.stop();
    await proxy.down().catch(() => {});
  });

  // Runs the load across an outage that `down()` starts and `up()` ends, and checks what the clients were answered.
  async function outage(t, name, { down, up }) {
    const load = new PasskeyLoad(server, tenant);
    load.start(CLIENTS);
    await sleep(BEFORE_MS);

    await down();
    const downAt = Date.now();
    let readiness = await eventually(async () => {
      const res = await ready();
      return res.status === 503 && res;
    }, { ms: ACQUIRE_TIMEOUT_MS + SLACK_MS });
    const notReadyAfterMs = Date.now() - downAt;
    assert.ok(readiness, 'readiness turns 503 while the database is down');
    assert.deepEqual(readiness.json, UNAVAILABLE);
    await sleep(Math.max(0, DOWN_MS - notReadyAfterMs));

    const upAt = Date.now();
    await up();
    // Service resumes within 5 s: a whole registration succeeds, and readiness is 200 again.
    let recovered;
    while (!recovered && Date.now() - upAt < RECOVERY_MS + ACQUIRE_TIMEOUT_MS + SLACK_MS) {
      recovered = await load.register(`${name}-probe-${Date.now()}`);
    }
    const recoveredAfterMs = Date.now() - upAt;
    readiness = await ready();
    await sleep(AFTER_MS);
    await load.stop();

    const answers = load.answers;
    // Asked and answered while the database was down (requests that outlast the outage may succeed).
    const during = answers.filter((a) => a.started >= downAt + 500 && a.ended <= upAt);
    const slowest = Math.max(...answers.map((a) => a.ended - a.started));
    t.diagnostic(`${name}: answers ${JSON.stringify(tally(answers, (a) => a.status))}, while down `
      + `${JSON.stringify(tally(during, (a) => a.status))}; slowest ${slowest} ms; readiness 503 after `
      + `${notReadyAfterMs} ms; service back ${recoveredAfterMs} ms after the database`);
    assert.deepEqual({
      recovered: recovered !== undefined && recoveredAfterMs <= RECOVERY_MS,
      readyAgain: readiness.status,
      // Nothing but successes and 503s: no 500, no request the client gave up on.
      statuses: Object.keys(tally(answers, (a) => a.status)).filter((s) => s !== '200' && s !== '503'),
      refusedWhileDown: during.length >= CLIENTS && during.every((a) => a.status === 503),
      slow: answers.filter((a) => a.ended - a.started > ACQUIRE_TIMEOUT_MS + SLACK_MS).map((a) => a.path),
    }, {
      recovered: true,
      readyAgain: 200,
      statuses: [],
      refusedWhileDown: true,
      slow: [],
    }, `back after ${recoveredAfterMs} ms; while down: ${JSON.stringify(during.filter((a) => a.status !== 503))}`);
    for (const refusal of answers.filter((a) => a.status === 503)) {
      assert.deepEqual(JSON.parse(refusal.text), UNAVAILABLE);
      assert.equal(refusal.retryAfter, '5');
    }
    // Every write acknowledged before, during or after the outage is stored, and the users log in.
    checkAcknowledged(server, load);
    const users = [...load.users.values()];
    assert.ok(users.length > CLIENTS, `registrations acknowledged: ${users.length}`);
    for (const user of users) assert.ok(await load.login(user), `${user.userId} logs in`);
    checkAcknowledged(server, load);
  }

  test('a database that refuses connections (as while it restarts): 503 while down, service back within 5 s',
    (t) => outage(t, 'refused', { down: () => proxy.down(), up: () => proxy.up() }));

  test('a database that does not accept connections to it, its sessions terminated: the same', (t) => {
    const name = new URL(server.databaseUrl).pathname.slice(1);
    const maintenance = (statement) => sql(server, statement, { maintenance: true });
    return outage(t, 'closed', {
      down: async () => {
        maintenance(`ALTER DATABASE ${name} ALLOW_CONNECTIONS false`);
        maintenance(`SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '${name}'`);
      },
      up: async () => maintenance(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`),
    });
  });
});
