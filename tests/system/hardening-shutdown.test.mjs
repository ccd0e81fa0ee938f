// Issue 12: SIGTERM stops a served SQLite instance cleanly. The server lets open requests finish, stops its background
// work and closes the store, so that SQLite folds its write-ahead log into the database file and removes it: "stop the
// server, copy the database file" is then a whole backup. Before, the process exited with the pool open, every row
// stayed in the -wal file and the main file was a 4 KiB shell.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { api } from './lib/http.mjs';
import { createTenant, startServer, withServerLog } from './lib/server.mjs';

const TENANTS = 3;
const CEREMONIES = 5;

function count(database, table) {
  const out = spawnSync('sqlite3', [database, `SELECT count(*) FROM ${table}`], { encoding: 'utf8' });
  assert.equal(out.status, 0, out.stderr);
  return Number(out.stdout.trim());
}

describe('hardening: SIGTERM leaves a whole database file (sqlite)', () => {
  let server;
  let copyDir;
  const test = (name, fn) => it(name, withServerLog(() => server, fn));

  before(async () => {
    server = await startServer('sqlite');
    copyDir = mkdtempSync(join(tmpdir(), 'latchkey-copy-'));
  });
  after(async () => {
    await server?.stop();
    if (copyDir) rmSync(copyDir, { recursive: true, force: true });
  });

  test('every committed row is in the main file and no -wal is left after SIGTERM', async () => {
    const path = server.databaseUrl.replace(/^sqlite:\/\//, '');
    const tenants = [];
    for (let i = 0; i < TENANTS; i += 1) tenants.push(await createTenant(server, { name: `t${i}` }));
    for (let i = 0; i < CEREMONIES; i += 1) {
      const res = await api(server.publicUrl, 'POST', `/${tenants[0].id}/login/initialize`, { body: {} });
      assert.equal(res.status, 200, res.text);
    }
    assert.ok(existsSync(`${path}-wal`), 'the server writes through a write-ahead log');

    process.kill(server.pid, 'SIGTERM');
    const { code, signal } = await server.exited;
    assert.deepEqual({ code, signal }, { code: 0, signal: null }, 'serve exits 0 on SIGTERM');
    assert.ok(!existsSync(`${path}-wal`), 'no -wal file is left behind');

    // The backup a stopped server allows: the main file alone.
    const copy = join(copyDir, 'latchkey.db');
    copyFileSync(path, copy);
    assert.equal(count(copy, 'tenants'), TENANTS);
    assert.equal(count(copy, 'ceremonies'), CEREMONIES);
    assert.match(server.log(), /store closed/);
  });
});
