// Issue 10, item 6: the SQLite database and its -wal and -shm files are readable by their owner only (they hold user
// names, credential keys, addresses and user agents), like the master key beside them. SQLite only: PostgreSQL keeps
// its files itself.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, statSync } from 'node:fs';

import { api } from './lib/http.mjs';
import { createTenant, startServer, withServerLog } from './lib/server.mjs';

const mode = (path) => statSync(path).mode & 0o777;

describe('hardening: database file permissions (sqlite)', () => {
  let server;
  let path;
  const test = (name, fn) => it(name, withServerLog(() => server, fn));

  before(async () => {
    server = await startServer('sqlite');
    path = server.databaseUrl.replace(/^sqlite:\/\//, '');
    // A write, so that the write-ahead log exists.
    const tenant = await createTenant(server);
    const res = await api(server.publicUrl, 'POST', `/${tenant.id}/login/initialize`, { body: {} });
    assert.equal(res.status, 200, res.text);
  });
  after(() => server?.stop());

  test('creates the database, -wal and -shm with mode 0600', () => {
    for (const file of [path, `${path}-wal`, `${path}-shm`, `${path}.master-key`]) {
      assert.ok(existsSync(file), `${file} exists`);
      assert.equal(mode(file).toString(8), '600', file);
    }
  });

  test('tightens a database file that others could read when it starts', async () => {
    chmodSync(path, 0o644);
    await server.restart();
    assert.equal(mode(path).toString(8), '600');
    for (const file of [`${path}-wal`, `${path}-shm`]) {
      if (existsSync(file)) assert.equal(mode(file).toString(8), '600', file);
    }
  });
});
