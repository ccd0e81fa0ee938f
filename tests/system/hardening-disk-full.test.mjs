// Issue 10, item 2: after a commit fails because the disk is full, SQLite connections must not go back into the pool
// inside a transaction; once space is freed, writes succeed again without a restart. The database lives on a small
// tmpfs that the test fills and frees; it needs the right to mount (CI runs as root) and skips itself, saying so,
// without it. SQLite only: PostgreSQL's disk is the database server's.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, rmdirSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { api } from './lib/http.mjs';
import { eventually } from './lib/hardening.mjs';
import { createTenant, startServer, withServerLog } from './lib/server.mjs';

const mountPoint = mkdtempSync(join(tmpdir(), 'latchkey-tmpfs-'));
const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', mountPoint], { encoding: 'utf8' });
const skip = mounted.status === 0 ? false
  : `cannot mount a tmpfs here (${(mounted.stderr || mounted.error?.message || '').trim()}); run as root to test a full disk`;
if (skip) rmdirSync(mountPoint);

// Fills the file system with one file; returns its path.
function fill() {
  const path = join(mountPoint, 'filler');
  const fd = openSync(path, 'w');
  const chunk = Buffer.alloc(64 * 1024, 0x55);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (err) {
    if (err.code !== 'ENOSPC') throw err;
  }
  // Whatever is left below a chunk, too.
  try {
    for (;;) writeSync(fd, chunk, 0, 512);
  } catch (err) {
    if (err.code !== 'ENOSPC') throw err;
  }
  closeSync(fd);
  return path;
}

describe('hardening: SQLite recovers from a full disk (sqlite)', { skip }, () => {
  let server;
  let tenant;
  const test = (name, fn) => it(name, withServerLog(() => server, fn));
  const start = () => api(server.publicUrl, 'POST', `/${tenant.id}/login/initialize`, { body: {} });
  const ready = () => api(server.adminUrl, 'GET', '/health/ready');

  before(async () => {
    server = await startServer('sqlite', {
      env: { LATCHKEY_DATABASE_URL: `sqlite://${join(mountPoint, 'latchkey.db')}` },
    });
    tenant = await createTenant(server);
    assert.equal((await start()).status, 200);
  });
  after(async () => {
    await server?.stop();
    spawnSync('umount', [mountPoint]);
    rmSync(mountPoint, { recursive: true, force: true });
  });

  test('writes fail while the disk is full and succeed again once it is freed, without a restart', async () => {
    const filler = fill();
    // Enough writes that every pooled connection meets the full disk, and the write-ahead log needs new pages.
    let failed = 0;
    for (let i = 0; i < 40; i += 1) {
      const res = await start();
      if (res.status === 500) failed += 1;
      else assert.equal(res.status, 200, res.text);
    }
    assert.ok(failed > 0, 'the full disk failed some writes');

    rmSync(filler);
    const recovered = await eventually(async () => (await start()).status === 200);
    assert.ok(recovered, 'writes succeed again after space was freed');
    for (let i = 0; i < 20; i += 1) {
      const res = await start();
      assert.equal(res.status, 200, `write ${i} after recovery: ${res.text}`);
    }
    assert.doesNotMatch(server.log(), /non-zero transaction depth/);
    assert.equal((await ready()).status, 200);
  });
});
