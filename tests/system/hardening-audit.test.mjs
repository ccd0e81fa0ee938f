// Issue 10, item 1: nobody can fill the disk through the audit log. Request-derived fields are stored bounded, headers
// beyond what clients need are refused before anything is stored, and events past their retention are removed by the
// running server.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { api } from './lib/http.mjs';
import { auditLog, eventually, sql } from './lib/hardening.mjs';
import { STORES, createTenant, startServer, withServerLog } from './lib/server.mjs';

const MAX_FIELD = 256;
const MAX_ERROR = 512;

for (const store of STORES) {
  describe(`hardening: audit log growth (${store})`, () => {
    let server;
    let tenant;
    const test = (name, fn) => it(name, withServerLog(() => server, fn));

    before(async () => {
      server = await startServer(store, { env: { LATCHKEY_AUDIT_RETENTION_DAYS: '30' } });
      tenant = await createTenant(server, { name: 'audit-growth' });
    });
    after(() => server?.stop());

    test('keeps at most a few hundred bytes of each request-derived field', async () => {
      const agent = `probe/${'a'.repeat(12_000)}`;
      const init = await api(server.publicUrl, 'POST', `/${tenant.id}/login/initialize`, {
        body: {},
        headers: { 'User-Agent': agent, 'X-Request-Id': 'r'.repeat(60), 'X-Forwarded-For': '203.0.113.5, '.repeat(300) },
      });
      assert.equal(init.status, 200, init.text);
      const garbage = await api(server.publicUrl, 'POST', `/${tenant.id}/login/finalize`, {
        rawBody: JSON.stringify({ id: 'x'.repeat(9000), type: 'public-key', response: { clientDataJSON: 'y'.repeat(9000) } }),
        headers: { 'User-Agent': agent },
      });
      assert.ok(garbage.status >= 400 && garbage.status < 500, garbage.text);

      const events = await auditLog(server, tenant);
      assert.equal(events.length, 2, JSON.stringify(events));
      for (const event of events) {
        assert.ok(Buffer.byteLength(event.meta_user_agent) <= MAX_FIELD, `user agent of ${event.meta_user_agent.length}`);
        assert.ok(event.meta_user_agent.startsWith('probe/aaa'), 'the start of the agent is kept');
        assert.ok(Buffer.byteLength(event.meta_http_request_id) <= MAX_FIELD);
        assert.ok(Buffer.byteLength(event.meta_source_ip) <= MAX_FIELD);
        assert.ok(Buffer.byteLength(event.error ?? '') <= MAX_ERROR, `error of ${event.error?.length}`);
      }
      // Without trusted proxies the forwarded-for header is not even read: the peer is the source.
      assert.deepEqual(events.map((e) => e.meta_source_ip), ['127.0.0.1', '127.0.0.1']);
    });

    test('refuses headers far beyond what clients send, before anything is stored', async () => {
      const before = (await auditLog(server, tenant)).length;
      const res = await api(server.publicUrl, 'POST', `/${tenant.id}/login/initialize`, {
        body: {},
        headers: { 'User-Agent': 'a'.repeat(64 * 1024) },
      });
      assert.equal(res.status, 431, res.text);
      assert.equal((await auditLog(server, tenant)).length, before);
    });

    test('removes audit events past the retention, keeps the recent ones', async () => {
      const events = await auditLog(server, tenant);
      assert.ok(events.length >= 2);
      const old = events.at(-1).id;
      // Age one event by 40 days, directly in the database, then restart: retention runs at start (and hourly).
      if (store === 'sqlite') {
        sql(server, `UPDATE audit_events SET created_at = created_at - ${40 * 86400}000000 `
          + `WHERE lower(hex(id)) = '${old.replaceAll('-', '')}'`);
      } else {
        sql(server, `UPDATE audit_events SET created_at = created_at - interval '40 days' WHERE id = '${old}'`);
      }
      await server.restart();
      const left = await eventually(async () => {
        const now = await auditLog(server, tenant);
        return now.every((e) => e.id !== old) && now;
      });
      assert.ok(left, `the aged event is still there:\n${server.log()}`);
      assert.deepEqual(left.map((e) => e.id), events.slice(0, -1).map((e) => e.id));
      assert.match(server.log(), /removed audit events past their retention/);
    });
  });
}
