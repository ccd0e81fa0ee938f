// Issue 10, item 3: /health/ready proves that a write can start (a write transaction that runs a statement writing
// nothing, then rolls back), so it turns 503 where reads still work but writes fail: on SQLite while another process
// holds the write lock, on PostgreSQL while the database is read-only.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';

import { api } from './lib/http.mjs';
import { eventually, sql } from './lib/hardening.mjs';
import { STORES, createTenant, startServer, withServerLog } from './lib/server.mjs';

// Makes writes impossible for the server until the returned function is called.
async function blockWrites(server) {
  if (server.store === 'sqlite') {
    // Another process holds SQLite's write lock; in WAL mode readers carry on.
    const holder = spawn('sqlite3', [server.databaseUrl.replace(/^sqlite:\/\//, '')], { stdio: ['pipe', 'pipe', 'pipe'] });
    holder.stdin.write('BEGIN IMMEDIATE;\nSELECT \'locked\';\n');
    await new Promise((resolve, reject) => {
      holder.stdout.on('data', (chunk) => { if (String(chunk).includes('locked')) resolve(); });
      holder.once('exit', (code) => reject(new Error(`sqlite3 exited ${code}`)));
    });
    return async () => {
      holder.stdin.end('ROLLBACK;\n');
      await new Promise((r) => holder.once('exit', r));
    };
  }
  const name = new URL(server.databaseUrl).pathname.slice(1);
  const maintenance = (statement) => sql(server, statement, { maintenance: true });
  const reconnect = () => maintenance(
    `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '${name}'`);
  maintenance(`ALTER DATABASE ${name} SET default_transaction_read_only = on`);
  reconnect();
  return async () => {
    maintenance(`ALTER DATABASE ${name} RESET default_transaction_read_only`);
    reconnect();
  };
}

for (const store of STORES) {
  describe(`hardening: readiness proves writes (${store})`, () => {
    let server;
    let tenant;
    const test = (name, fn) => it(name, withServerLog(() => server, fn));
    const ready = () => api(server.adminUrl, 'GET', '/health/ready');

    before(async () => {
      // On SQLite one probe waits for the lock up to the busy timeout (10 s) before it fails.
      server = await startServer(store);
      tenant = await createTenant(server);
    });
    after(() => server?.stop());

    test('is 503 while writes cannot start, though reads work, and 200 again after', async () => {
      assert.equal((await ready()).status, 200);
      const unblock = await blockWrites(server);
      try {
        const down = await eventually(async () => (await ready()).status === 503, { ms: 60_000 });
        assert.ok(down, 'readiness turned 503');
        const body = (await ready()).json;
        assert.equal(body.status, 503);
        // Reads still answer: readiness is about writes.
        const read = await api(server.adminUrl, 'GET', `/tenants/${tenant.id}`);
        assert.equal(read.status, 200, read.text);
      } finally {
        await unblock();
      }
      const up = await eventually(async () => (await ready()).status === 200, { ms: 60_000 });
      assert.ok(up, 'readiness is 200 again');
    });
  });
}
