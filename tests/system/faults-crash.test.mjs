// Issue 16: a crash loses nothing that was acknowledged and leaves nothing half-written. Under registration and login
// load from several clients of the Hanko passkey-server API, the server is killed with SIGKILL at random moments and
// started again on the same database, several times. After each start (which must need no repair): every registration
// acknowledged with a 2xx has its credential stored and usable for login, every acknowledged login's counter and
// audit event are stored, and the database holds no half-written ceremony (see checkAcknowledged in lib/faults.mjs).
// Every write of a ceremony commits before its answer is sent: the only tasks that outlive a request are the periodic
// jobs and the webhook deliverer (crates/server/src/app.rs, webhooks.rs), which this load does not involve.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { PasskeyLoad, checkAcknowledged, tally } from './lib/faults.mjs';
import { sleep } from './lib/hardening.mjs';
import { STORES, createTenant, startServer, withServerLog } from './lib/server.mjs';

const KILLS = 5;
const CLIENTS = 4;
// The kill falls at a random moment this long after the load started.
const KILL_AFTER_MS = [300, 2500];

for (const store of STORES) {
  describe(`faults: kill -9 under passkey load (${store})`, () => {
    let server;
    let tenant;
    const test = (name, fn) => it(name, withServerLog(() => server, fn));

    before(async () => {
      server = await startServer(store);
      tenant = await createTenant(server, { name: 'crash' });
    });
    after(() => server?.stop());

    test(`${KILLS} kills at random moments lose no acknowledged write and leave nothing half-written`, async (t) => {
      const load = new PasskeyLoad(server, tenant);
      const rounds = [];
      let verifiedLogins = 0;
      for (let kill = 1; kill <= KILLS; kill += 1) {
        const from = load.answers.length;
        load.start(CLIENTS);
        const [low, high] = KILL_AFTER_MS;
        await sleep(low + Math.random() * (high - low));
        load.stopped = true;
        await server.crash();
        await load.stop();
        const answers = load.answers.slice(from);
        rounds.push(tally(answers, (a) => a.status));
        // Killed mid-request, a client sees no answer (status 0); the server itself refuses nothing.
        const refused = answers.filter((a) => a.status !== 200 && a.status !== 0);
        assert.deepEqual(refused.map((a) => `${a.path}: ${a.status} ${a.text}`), [], `round ${kill}`);

        // start() waits for readiness: the database needs no repair.
        await server.start();
        checkAcknowledged(server, load);
        // Usable for login: every credential acknowledged since the last check logs in (which raises its counter,
        // tracked by the load like any other acknowledged login).
        const users = [...load.users.values()];
        for (const user of users.slice(verifiedLogins)) {
          assert.ok(await load.login(user), `${user.userId} logs in after restart ${kill}`);
        }
        verifiedLogins = users.length;
        checkAcknowledged(server, load);
      }
      const users = [...load.users.values()];
      const acknowledgedLogins = users.reduce((sum, user) => sum + user.logins, 0);
      // The load must have been real: registrations and logins acknowledged before kills, and requests cut by them.
      assert.ok(users.length >= KILLS, `registrations acknowledged: ${users.length}; answers per round ${JSON.stringify(rounds)}`);
      assert.ok(acknowledgedLogins > users.length, `logins acknowledged: ${acknowledgedLogins}`);
      t.diagnostic(`${users.length} registrations and ${acknowledgedLogins} logins acknowledged; `
        + `answers per round ${JSON.stringify(rounds)}`);
    });
  });
}
