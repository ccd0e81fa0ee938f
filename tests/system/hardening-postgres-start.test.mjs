// Issue 10, item 7: a PostgreSQL server that cannot be used at start makes `latchkey serve` fail promptly with
// PostgreSQL's reason (connection refused, unknown role, missing database), never the pool's "pool timed out".
// PostgreSQL only: it is about reaching the database server.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

import { BIN, STORES } from './lib/server.mjs';

function serve(databaseUrl) {
  const out = spawnSync(BIN, ['serve'], {
    env: {
      ...process.env,
      LATCHKEY_DATABASE_URL: databaseUrl,
      LATCHKEY_MASTER_KEY: randomBytes(32).toString('base64url'),
      LATCHKEY_LISTEN: '127.0.0.1:0',
      LATCHKEY_ADMIN_LISTEN: '127.0.0.1:0',
      NO_COLOR: '1',
    },
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (out.error) throw out.error;
  return out;
}

describe('hardening: PostgreSQL unusable at start (postgres)', { skip: !STORES.includes('postgres') && 'PostgreSQL skipped' }, () => {
  const cases = [
    ['connection refused', 'postgres://postgres@127.0.0.1:1/postgres', /refused/i],
    ['unknown role', 'postgres://latchkey_no_such_role@127.0.0.1:5432/postgres', /role "latchkey_no_such_role" does not exist/],
    ['missing database', 'postgres://postgres@127.0.0.1:5432/latchkey_no_such_database',
      /database "latchkey_no_such_database" does not exist/],
  ];
  for (const [name, url, reason] of cases) {
    it(`says so: ${name}`, () => {
      const out = serve(url);
      assert.notEqual(out.status, 0, out.stderr);
      assert.match(out.stderr, /cannot connect to PostgreSQL/, out.stderr);
      assert.match(out.stderr, reason, out.stderr);
      assert.doesNotMatch(out.stderr, /pool timed out/, out.stderr);
    });
  }
});
