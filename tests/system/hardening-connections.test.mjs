// Issue 10, item 4: slow and idle clients cannot hold the process's descriptors. Headers and bodies have read
// deadlines, idle kept-alive connections are closed, each listener serves a capped number of connections, the soft
// descriptor limit is raised at start, and the admin listener answers while the public one is saturated.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

import { api } from './lib/http.mjs';
import { eventually, exchange, rawConnection } from './lib/hardening.mjs';
import { STORES, createTenant, startServer, withServerLog } from './lib/server.mjs';

const SLOW_CLIENTS = 300;

function softLimit(pid) {
  const line = readFileSync(`/proc/${pid}/limits`, 'utf8').split('\n').find((l) => l.startsWith('Max open files'));
  return Number(line.split(/\s{2,}/)[1]);
}

// Resolves true once the server closed the connection; the deadline is far beyond the configured one.
const closedByServer = (connection) => Promise.race([
  connection.closed.then(() => true),
  new Promise((r) => setTimeout(() => r(false), 30_000)),
]);

for (const store of STORES) {
  describe(`hardening: slow clients and connection caps (${store})`, () => {
    let server;
    let tenant;
    const test = (name, fn) => it(name, withServerLog(() => server, fn));

    before(async () => {
      server = await startServer(store, {
        // The probe's environment: a soft limit of 256 descriptors, which the server raises.
        wrapper: ['prlimit', '--nofile=256:4096', '--'],
        env: {
          LATCHKEY_HEADER_TIMEOUT_SECS: '1',
          LATCHKEY_BODY_TIMEOUT_SECS: '1',
          LATCHKEY_MAX_CONNECTIONS: '50',
        },
      });
      tenant = await createTenant(server);
    });
    after(() => server?.stop());

    test('raises the soft descriptor limit to the hard one', () => {
      assert.equal(softLimit(server.pid), 4096);
    });

    test('closes a connection whose header does not arrive', async () => {
      const connection = await rawConnection(server.publicUrl);
      connection.socket.write(`POST /${tenant.id}/login/initialize HTTP/1.1\r\nHost: latchkey\r\nX-Slow: `);
      assert.ok(await closedByServer(connection), 'the server closed the connection');
    });

    test('closes a kept-alive connection that stays idle', async () => {
      const connection = await rawConnection(server.publicUrl);
      const response = await exchange(connection, 'GET / HTTP/1.1\r\nHost: latchkey\r\n\r\n');
      assert.match(response, /^HTTP\/1\.1 200/);
      assert.ok(await closedByServer(connection), 'the server closed the idle connection');
    });

    test('gives up on a body that stops arriving', async () => {
      const connection = await rawConnection(server.publicUrl);
      connection.socket.write(`POST /${tenant.id}/login/initialize HTTP/1.1\r\nHost: latchkey\r\n`
        + 'Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"user');
      assert.ok(await closedByServer(connection), 'the server ended the request');
      // The dialect's body reader answers the stalled body as a client error in its own shape.
      const answer = connection.received();
      assert.match(answer, /^HTTP\/1\.1 400 /, answer);
      assert.match(answer, /"title":"unable to process request"/, answer);
    });

    test('keeps the admin listener answering while the public one is saturated', async () => {
      const held = [];
      try {
        for (let i = 0; i < SLOW_CLIENTS; i += 1) {
          const connection = await rawConnection(server.publicUrl);
          connection.socket.write('GET / HTTP/1.1\r\nHost: latchkey\r\n');
          held.push(connection);
        }
        for (const path of ['/health/alive', '/health/ready']) {
          const res = await api(server.adminUrl, 'GET', path);
          assert.equal(res.status, 200, `${path}: ${res.text}`);
        }
        // The slow clients are cut at their header deadline, slot by slot, and the public listener serves again.
        const served = await eventually(async () => {
          try {
            return (await api(server.publicUrl, 'GET', '/')).status === 200;
          } catch {
            return false;
          }
        }, { ms: 60_000 });
        assert.ok(served, 'the public listener serves again');
        assert.doesNotMatch(server.log(), /Too many open files/);
      } finally {
        for (const connection of held) connection.socket.destroy();
      }
    });
  });
}
