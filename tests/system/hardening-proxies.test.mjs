// Issue 10, item 5: the audit source address cannot be forged. X-Forwarded-For and X-Real-Ip are read only from peers
// in `trusted_proxies`; the nearest untrusted hop is the client.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

import { api } from './lib/http.mjs';
import { auditLog } from './lib/hardening.mjs';
import { BIN, STORES, createTenant, startServer, withServerLog } from './lib/server.mjs';

async function sourceOf(server, tenant, headers) {
  const res = await api(server.publicUrl, 'POST', `/${tenant.id}/login/initialize`, { body: {}, headers });
  assert.equal(res.status, 200, res.text);
  const [newest] = await auditLog(server, tenant);
  return newest.meta_source_ip;
}

for (const store of STORES) {
  describe(`hardening: client address behind proxies (${store})`, () => {
    const servers = [];
    after(() => Promise.all(servers.map((s) => s.stop())));

    it('without trusted_proxies, forwarding headers are ignored', async () => {
      const server = await startServer(store);
      servers.push(server);
      await withServerLog(server, async () => {
        const tenant = await createTenant(server);
        assert.equal(await sourceOf(server, tenant, { 'X-Forwarded-For': '198.51.100.9' }), '127.0.0.1');
        assert.equal(await sourceOf(server, tenant, { 'X-Real-Ip': '198.51.100.9' }), '127.0.0.1');
      })();
    });

    it('from a trusted proxy, the nearest untrusted hop is the client', async () => {
      const server = await startServer(store, { env: { LATCHKEY_TRUSTED_PROXIES: '127.0.0.0/8, 10.0.0.0/8' } });
      servers.push(server);
      await withServerLog(server, async () => {
        const tenant = await createTenant(server);
        assert.equal(await sourceOf(server, tenant, { 'X-Forwarded-For': '198.51.100.9' }), '198.51.100.9');
        // A client that sends its own header cannot choose its address: the proxy appended the real one.
        assert.equal(await sourceOf(server, tenant, { 'X-Forwarded-For': '192.0.2.1, 198.51.100.9, 10.1.2.3' }),
          '198.51.100.9');
        assert.equal(await sourceOf(server, tenant, { 'X-Real-Ip': '198.51.100.10' }), '198.51.100.10');
        assert.equal(await sourceOf(server, tenant, { 'X-Forwarded-For': 'not-an-address' }), '127.0.0.1');
        assert.equal(await sourceOf(server, tenant, {}), '127.0.0.1');
      })();
    });

    it('refuses a setting that is not a network', () => {
      const out = spawnSync(BIN, ['serve'], {
        env: { ...process.env, LATCHKEY_DATABASE_URL: 'sqlite::memory:', LATCHKEY_TRUSTED_PROXIES: 'proxy.example' },
        encoding: 'utf8',
        timeout: 30_000,
      });
      assert.notEqual(out.status, 0);
      assert.match(out.stderr, /LATCHKEY_TRUSTED_PROXIES: "proxy.example" is not a network/);
    });
  });
}
