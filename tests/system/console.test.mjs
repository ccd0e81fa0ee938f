// The admin console in real Chromium against the real binary, once per store: a tenant made and configured through its
// forms, a passkey registered and used from a relying party's page (tests/system/browser/index.html, on its own
// origin, with a CDP virtual authenticator) and then found, followed and deleted in the console; who may sign in; forms
// posted from another site or with a forged CSRF token; labels and a phone-width layout; 1Kosmos communities and
// license keys; a model refused and allowed again on the authenticators page, and an MDS BLOB loaded; the Hanko
// Public API form, the whole configuration, retiring a signing key, renaming and deleting a tenant; the audit log's
// pager. Each test saves a screenshot of the page it ends on (lib/artifacts.mjs).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { closeServer, startPageServer } from './lib/pages.mjs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { addVirtualAuthenticator, launchChromium } from './lib/chromium.mjs';
import { screenshot } from './lib/artifacts.mjs';
import { api } from './lib/http.mjs';
import { decodeJwt } from './lib/jwt.mjs';
import { BIN, STORES, startServer, withServerLog } from './lib/server.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const RP_PAGE = readFileSync(join(here, 'browser', 'index.html'));
const VIEWPORT = { width: 1280, height: 800 };
const ADMIN_TOKEN = 'console-system-test-token';
const USER = 'console-user-1';
const OTHER_USER = 'console-user-2';
const COMMUNITY_DNS = 'console.kosmos.test';
// The signed MDS3 BLOB of fido2-lib's test vectors, valid at its own time (as in kosmos-mds.test.mjs).
const MDS_BLOB = resolve(here, '../../crates/webauthn/tests/vectors/fido2-lib/mds3-blob.jwt');
const MDS_BLOB_TIME = '2022-02-15T00:00:00Z';
const MDS_MODELS = JSON.parse(Buffer.from(readFileSync(MDS_BLOB, 'utf8').trim().split('.')[1], 'base64url')
  .toString('utf8')).entries.filter((entry) => typeof entry.aaguid === 'string').length;

// A page that posts a form to `action` as soon as it loads, as a malicious site would.
function autoSubmittingForm(action, fields) {
  const escape = (text) => String(text).replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
  const inputs = Object.entries(fields)
    .map(([name, value]) => `<input type="hidden" name="${escape(name)}" value="${escape(value)}">`)
    .join('');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>prize</title></head><body>
<form method="post" action="${escape(action)}">${inputs}</form>
<script>document.forms[0].submit();</script></body></html>`;
}

// Every input, select and textarea with no label (hidden inputs aside).
const unlabelled = (page) => page.$$eval('input:not([type="hidden"]), select, textarea', (fields) => fields
  .filter((field) => field.labels.length === 0
    && !field.getAttribute('aria-label') && !field.getAttribute('aria-labelledby'))
  .map((field) => field.outerHTML));

const cellTexts = (rows, label) => rows.locator(`td[data-label="${label}"]`).allInnerTexts();

for (const store of STORES) {
  describe(`admin console in Chromium (${store})`, { timeout: 180_000 }, () => {
    let latchkey;
    let browser;
    let context;
    let page;
    let rpPage;
    let cdp;
    let authenticatorId;
    let rpServer;
    let rpOrigin;
    let evilServer;
    let evilOrigin;
    const evilPages = {};
    const browserLog = [];
    let tenantId;
    let apiKey;
    let signingKid;
    let registered;
    let modelAaguid;

    const url = (path) => `${latchkey.adminUrl}${path}`;
    const tenantPath = (path = '') => `/console/tenants/${tenantId}${path}`;

    // A failure carries what the browser and the server said.
    const logged = (fn) => async (...args) => {
      try {
        return await fn(...args);
      } catch (err) {
        if (err instanceof Error) {
          err.message += `\n--- browser ---\n${browserLog.join('\n')}`
            + `\n--- latchkey serve output (${store}) ---\n${latchkey?.log() ?? ''}`;
        }
        throw err;
      }
    };

    const watch = (p, name) => {
      p.on('console', (msg) => browserLog.push(`[${name} ${msg.type()}] ${msg.text()}`));
      p.on('pageerror', (err) => browserLog.push(`[${name} pageerror] ${err.message}`));
    };

    before(async () => {
      ({ server: rpServer, origin: rpOrigin } = await startPageServer({ '/': RP_PAGE }));
      ({ server: evilServer, origin: evilOrigin } = await startPageServer(evilPages));
      latchkey = await startServer(store);
      browser = await launchChromium();
      context = await browser.newContext({ viewport: VIEWPORT });
      page = await context.newPage();
      watch(page, 'console');
      // The console asks before it revokes or deletes; a person says yes.
      page.on('dialog', (dialog) => dialog.accept());
      rpPage = await context.newPage();
      watch(rpPage, 'relying party');
      ({ cdp, authenticatorId } = await addVirtualAuthenticator(context, rpPage, { defaultBackupEligibility: true, defaultBackupState: true }));
    });

    after(async () => {
      await browser?.close();
      await closeServer(rpServer);
      await closeServer(evilServer);
      await latchkey?.stop();
    });

    test('creates a tenant, issues and revokes an API key, saves a setting, rotates the signing key',
      logged(async () => {
        await page.goto(url('/console/tenants'));
        await page.getByLabel('Name', { exact: true }).fill('Console shop');
        await page.getByLabel('Relying party id').fill('localhost');
        await page.getByLabel('Origins', { exact: true }).fill(rpOrigin);
        assert.equal(await page.getByLabel('Issue an API key now').isChecked(), true);
        await page.getByRole('button', { name: 'Create tenant' }).click();
        await page.getByRole('heading', { name: 'Tenant created' }).waitFor();
        tenantId = (await page.locator('#tenant-id').innerText()).trim();
        apiKey = (await page.locator('#secret').innerText()).trim();
        assert.match(tenantId, /^[0-9a-f-]{36}$/);
        assert.ok(apiKey.length >= 32, `an API key is shown once: ${apiKey}`);

        const keyWorks = (key) => api(latchkey.publicUrl, 'GET', `/${tenantId}/credentials?user_id=x`, { apiKey: key });
        const first = await keyWorks(apiKey);
        assert.equal(first.status, 200, first.text);

        await page.getByRole('link', { name: 'Go to the tenant' }).click();
        await page.getByRole('heading', { name: 'Console shop', level: 1 }).waitFor();
        const apiKeyRows = page.locator('table[aria-labelledby="api-keys"] tbody tr');
        assert.equal(await apiKeyRows.count(), 1);

        await page.getByLabel('New key\'s name').fill('second');
        await page.getByRole('button', { name: 'Create API key' }).click();
        await page.getByText('New API key “second”').waitFor();
        const second = (await page.locator('#secret').innerText()).trim();
        assert.notEqual(second, apiKey);
        assert.equal((await keyWorks(second)).status, 200);
        assert.equal(await apiKeyRows.count(), 2);

        await apiKeyRows.filter({ hasText: 'second' }).getByRole('button', { name: 'Revoke' }).click();
        await page.getByText('API key revoked.').waitFor();
        assert.equal(await apiKeyRows.count(), 1);
        assert.ok(!(await cellTexts(apiKeyRows, 'Name')).includes('second'), 'the revoked key is gone from the table');
        const revoked = await keyWorks(second);
        assert.equal(revoked.status, 401, revoked.text);
        assert.equal((await keyWorks(apiKey)).status, 200, 'the first key still works');

        const algorithm = page.getByLabel('Token signing algorithm');
        assert.equal(await algorithm.inputValue(), 'RS256');
        await algorithm.selectOption('ES256');
        await page.getByRole('button', { name: 'Save settings' }).click();
        await page.getByText('Settings saved.').waitFor();
        await page.reload();
        assert.equal(await page.getByLabel('Token signing algorithm').inputValue(), 'ES256');
        const stored = await api(latchkey.adminUrl, 'GET', `/tenants/${tenantId}`);
        assert.equal(stored.status, 200, stored.text);
        assert.equal(stored.json.config.signing.algorithm, 'ES256', stored.text);

        const signingRows = page.locator('table[aria-labelledby="signing-keys"] tbody tr');
        assert.equal(await signingRows.count(), 1, 'a new tenant has one signing key');
        const [original] = await cellTexts(signingRows, 'Key id');
        await page.getByRole('button', { name: 'Rotate: make a new signing key' }).click();
        await page.getByText('A new signing key signs from now on.').waitFor();
        assert.equal(await signingRows.count(), 2);
        const marked = signingRows.filter({ has: page.locator('.badge', { hasText: 'signing' }) });
        assert.equal(await marked.count(), 1, 'one key is marked as signing');
        signingKid = (await marked.locator('td[data-label="Key id"] code').innerText()).trim();
        assert.ok(!original.includes(signingKid), 'the new key is the one that signs');
        assert.equal((await cellTexts(marked, 'Algorithm'))[0], 'ES256', 'the new key has the algorithm just saved');

        await screenshot(page, `console-tenant-${store}.png`);
      }));

    test('shows a passkey registered on the relying party\'s page: the user and the credential', logged(async () => {
      assert.ok(signingKid, 'needs the tenant test');
      await rpPage.goto(`${rpOrigin}/?api=${encodeURIComponent(`${latchkey.publicUrl}/${tenantId}`)}`);
      const init = await api(latchkey.publicUrl, 'POST', `/${tenantId}/registration/initialize`, {
        apiKey,
        body: { user_id: USER, username: 'dora', display_name: 'Dora Console' },
      });
      assert.equal(init.status, 200, init.text);
      const { credential, finalize } = await rpPage.evaluate((options) => window.signUp(options), init.json);
      assert.equal(finalize.status, 200, `registration/finalize from the page: ${finalize.text}`);
      const { header } = decodeJwt(finalize.json.token);
      assert.deepEqual({ alg: header.alg, kid: header.kid }, { alg: 'ES256', kid: signingKid },
        'the token is signed by the key the console marks as signing');
      // Another user who only started, so that filtering by user has something to leave out.
      const other = await api(latchkey.publicUrl, 'POST', `/${tenantId}/registration/initialize`, {
        apiKey,
        body: { user_id: OTHER_USER, username: 'eve', display_name: 'Eve' },
      });
      assert.equal(other.status, 200, other.text);
      const { credentials: [onDevice] } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
      registered = { credentialId: credential.id, signCount: onDevice.signCount };

      await page.goto(url(tenantPath()));
      await page.getByRole('navigation', { name: 'Tenant' }).getByRole('link', { name: 'Users' }).click();
      await page.getByRole('heading', { name: 'Users', level: 1 }).waitFor();
      const userRows = page.locator('main table tbody tr');
      const userRow = userRows.filter({ hasText: USER });
      assert.equal(await userRow.count(), 1, `${USER} is listed`);
      assert.deepEqual(await cellTexts(userRow, 'Display name'), ['Dora Console']);
      await userRow.getByRole('link', { name: USER }).click();

      await page.getByRole('heading', { name: `User ${USER}` }).waitFor();
      const rows = page.locator('table[aria-labelledby="credentials"] tbody tr');
      assert.equal(await rows.count(), 1);
      const cell = (label) => rows.locator(`td[data-label="${label}"]`).innerText().then((text) => text.trim());
      assert.ok((await cell('Name')).includes(credential.id), 'the credential id is shown');
      assert.match(await cell('Transports'), /\binternal\b/);
      assert.equal(await cell('Sign count'), String(registered.signCount));
      assert.equal(await cell('Backup'), 'backed up');
      const model = await cell('Authenticator');
      const [modelLine, aaguid] = model.split('\n').map((line) => line.trim());
      assert.ok(modelLine.length > 0, `the model line names a model or says it is unknown: ${model}`);
      assert.match(aaguid, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      modelAaguid = aaguid;
      assert.match(await cell('Registered'), /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ \([a-z-]+\)$/);

      await screenshot(page, `console-user-${store}.png`);
    }));

    test('the audit log lists the ceremonies, filters by type and by user, and tails a login live', logged(async () => {
      assert.ok(registered, 'needs the registration test');
      await page.goto(url(tenantPath()));
      await page.getByRole('navigation', { name: 'Tenant' }).getByRole('link', { name: 'Audit log' }).click();
      await page.getByRole('heading', { name: 'Audit log' }).waitFor();
      const rows = page.locator('#audit tbody tr');
      const types = () => cellTexts(rows, 'Type').then((all) => all.map((text) => text.trim()));
      const users = () => cellTexts(rows, 'User').then((all) => all.map((text) => text.trim()));
      const everything = await types();
      for (const kind of ['webauthn_registration_init_succeeded', 'webauthn_registration_final_succeeded']) {
        assert.ok(everything.includes(kind), `${kind} is listed: ${everything}`);
      }
      assert.ok((await users()).includes(OTHER_USER));

      await page.getByLabel('Event types').fill('webauthn_registration_final_succeeded');
      await page.getByRole('button', { name: 'Filter' }).click();
      await page.waitForURL(/type=webauthn_registration_final_succeeded/);
      assert.deepEqual(await types(), ['webauthn_registration_final_succeeded']);
      assert.deepEqual(await users(), [USER]);
      await page.getByText('1 entries.').waitFor();

      await page.getByLabel('Event types').fill('');
      await page.getByLabel('User id contains').fill(USER);
      await page.getByRole('button', { name: 'Filter' }).click();
      await page.waitForURL(/actor_user_id=console-user-1/);
      const mine = await users();
      assert.ok(mine.length >= 2, `the user's init and final events: ${mine}`);
      assert.deepEqual(new Set(mine), new Set([USER]));

      await page.getByLabel('User id contains').fill('');
      await page.getByRole('button', { name: 'Filter' }).click();
      await page.waitForURL((url) => !url.search.includes('actor_user_id=console'));
      const before = await rows.count();
      // Set on this document only: still there afterwards means the page was not reloaded.
      await page.evaluate(() => { window.stillTheSamePage = true; });
      const tail = page.getByLabel('Live tail (new entries appear at the top)');
      await tail.check();
      await page.getByText(/^Live: checked/).waitFor();

      const { finalize } = await rpPage.evaluate(() => window.signIn());
      assert.equal(finalize?.status, 200, `login/finalize from the page: ${finalize?.text}`);
      const top = rows.first().locator('td[data-label="Type"]');
      await top.filter({ hasText: 'webauthn_authentication_final_succeeded' }).waitFor({ timeout: 10_000 });
      assert.equal(await page.evaluate(() => window.stillTheSamePage), true, 'no reload');
      assert.match(await rows.first().getAttribute('class'), /\bfresh\b/);
      assert.equal(await rows.count(), before + 2, 'the login\'s two events were added, once each');
      assert.equal((await cellTexts(rows.first(), 'User'))[0].trim(), USER);

      await screenshot(page, `console-audit-${store}.png`);
      await tail.uncheck();
    }));

    test('deletes the credential from the user page, audited', logged(async () => {
      assert.ok(registered, 'needs the registration test');
      await page.goto(url(tenantPath('/users')));
      await page.locator('main table tbody tr').getByRole('link', { name: USER }).click();
      const rows = page.locator('table[aria-labelledby="credentials"] tbody tr');
      const signCount = Number(await rows.locator('td[data-label="Sign count"]').innerText());
      assert.ok(signCount > registered.signCount, `the login counted: ${signCount} after ${registered.signCount}`);
      await rows.getByRole('button', { name: 'Delete' }).click();
      await page.getByText('Credential deleted.').waitFor();
      assert.equal(await rows.count(), 0);
      await page.locator('h2#credentials + p', { hasText: 'None.' }).waitFor();

      const listed = await api(latchkey.publicUrl, 'GET', `/${tenantId}/credentials?user_id=${USER}`, { apiKey });
      assert.equal(listed.status, 200, listed.text);
      assert.deepEqual(listed.json, []);

      await page.goto(url(tenantPath('/audit?type=webauthn_credential_deleted')));
      const events = page.locator('#audit tbody tr');
      assert.equal(await events.count(), 1);
      assert.equal((await cellTexts(events, 'User'))[0].trim(), USER);
      await screenshot(page, `console-credential-deleted-${store}.png`);
    }));

    test('the dashboard shows the ceremony routes with counts and latency percentiles', logged(async () => {
      assert.ok(registered, 'needs the ceremonies');
      await page.goto(url('/console'));
      await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
      const rows = page.locator('table[aria-label="ceremonies"] tbody tr');
      const expected = {
        'POST /{tenant_id}/registration/initialize': 2,
        'POST /{tenant_id}/registration/finalize': 1,
        'POST /{tenant_id}/login/initialize': 1,
        'POST /{tenant_id}/login/finalize': 1,
      };
      for (const [route, count] of Object.entries(expected)) {
        const row = rows.filter({ has: page.locator('td[data-label="Route"]', { hasText: route }) });
        assert.equal(await row.count(), 1, `a row for ${route}`);
        assert.equal((await cellTexts(row, 'Requests'))[0], String(count), route);
        assert.equal((await cellTexts(row, 'Dialect'))[0], 'hanko', route);
        for (const percentile of ['p50', 'p95', 'p99']) {
          assert.match((await cellTexts(row, percentile))[0], /^(≤ [\d.]+ (ms|s)|> 5 s)$/, `${route} ${percentile}`);
        }
      }
      await screenshot(page, `console-dashboard-${store}.png`);
    }));

    test('refuses a form posted from another site and a form with a forged CSRF token', logged(async () => {
      assert.ok(tenantId, 'needs the tenant test');
      const apiKeys = async () => {
        const res = await api(latchkey.adminUrl, 'GET', `/tenants/${tenantId}/secrets/api`);
        assert.equal(res.status, 200, res.text);
        return res.json.map((key) => key.name);
      };
      const tenantCount = async () => {
        const res = await api(latchkey.adminUrl, 'GET', '/tenants');
        assert.equal(res.status, 200, res.text);
        return (Array.isArray(res.json) ? res.json : res.json.tenants).length;
      };
      // The browser holds a console session: the attack has a cookie to ride on, were it sent.
      await page.goto(url(tenantPath()));
      const keysBefore = await apiKeys();
      const tenantsBefore = await tenantCount();

      const attacks = {
        '/api-key': [url(tenantPath('/api-keys')), { csrf: 'guessed', name: 'planted' }],
        '/tenant': [url('/console/tenants'), {
          csrf: 'guessed',
          display_name: 'Planted',
          rp_id: 'evil.example',
          origins: 'https://evil.example',
          create_api_key: 'on',
        }],
      };
      const attacker = await context.newPage();
      watch(attacker, 'other site');
      for (const [path, [action, fields]] of Object.entries(attacks)) {
        evilPages[path] = autoSubmittingForm(action, fields);
        const answered = attacker.waitForResponse((res) => res.url() === action && res.request().method() === 'POST');
        await attacker.goto(`${evilOrigin}${path}`);
        const response = await answered;
        assert.equal(response.status(), 403, `${path}: ${await response.text()}`);
        await attacker.getByRole('heading', { name: '403 — Cross-site request refused' }).waitFor();
      }
      await screenshot(attacker, `console-cross-site-${store}.png`);
      await attacker.close();
      assert.deepEqual(await apiKeys(), keysBefore, 'no API key was created');
      assert.equal(await tenantCount(), tenantsBefore, 'no tenant was created');

      const post = (csrf) => page.evaluate(async ({ action, csrf: token }) => {
        const body = new URLSearchParams({ csrf: token, name: 'fetched' });
        const res = await fetch(action, { method: 'POST', body });
        return { status: res.status, text: await res.text() };
      }, { action: tenantPath('/api-keys'), csrf });
      const forged = await post('forged-token');
      assert.equal(forged.status, 403, forged.text);
      assert.match(forged.text, /Form refused/);
      assert.deepEqual(await apiKeys(), keysBefore, 'the forged form created nothing');
      // The same request with the page's own token goes through: only the token was wrong.
      const genuine = await post(await page.locator('input[name="csrf"]').first().inputValue());
      assert.equal(genuine.status, 201, genuine.text);
      assert.deepEqual((await apiKeys()).sort(), [...keysBefore, 'fetched'].sort());
      await screenshot(page, `console-csrf-${store}.png`);
    }));

    test('every field has a label, and the pages fit a 390 px wide phone', logged(async () => {
      assert.ok(tenantId, 'needs the tenant test');
      for (const path of ['/console/tenants', tenantPath(), tenantPath('/users'), tenantPath('/audit')]) {
        await page.goto(url(path));
        assert.deepEqual(await unlabelled(page), [], `fields without a label on ${path}`);
      }
      await page.setViewportSize({ width: 390, height: 844 });
      try {
        for (const path of [tenantPath('/audit'), tenantPath('/users'), tenantPath(), '/console', '/console/tenants']) {
          await page.goto(url(path));
          const width = await page.evaluate(() => document.documentElement.scrollWidth);
          assert.ok(width <= 391, `${path} scrolls sideways at 390 px: ${width} px wide`);
        }
        await screenshot(page, `console-tenants-narrow-${store}.png`);
      } finally {
        await page.setViewportSize(VIEWPORT);
      }
    }));

    test('1Kosmos: creates a community, issues a community and a system license that work, revokes one',
      logged(async () => {
        assert.ok(tenantId, 'needs the tenant test');
        await page.goto(url(tenantPath()));
        await page.getByRole('navigation', { name: 'Tenant' }).getByRole('link', { name: '1Kosmos' }).click();
        await page.getByRole('heading', { name: '1Kosmos communities and licenses' }).waitFor();
        assert.deepEqual(await unlabelled(page), [], 'fields without a label on the 1Kosmos page');
        await page.getByLabel('Name', { exact: true }).fill('Console community');
        await page.getByLabel('Relying party id (domain)').fill(COMMUNITY_DNS);
        await page.getByRole('button', { name: 'Create community' }).click();
        await page.getByText('Community created.').waitFor();
        const communityRows = page.locator('table[aria-labelledby="communities"] tbody tr');
        const community = communityRows.filter({ hasText: 'Console community' });
        assert.equal(await community.count(), 1);
        const communityId = (await cellTexts(community, 'Community id'))[0].trim();
        assert.match(communityId, /\S/);

        const licenseRows = page.locator('table[aria-labelledby="licenses"] tbody tr');
        const issue = async (reaches) => {
          const before = await licenseRows.count();
          await page.getByLabel('Reaches').selectOption(reaches);
          await page.getByRole('button', { name: 'Create license key' }).click();
          // A row more: the page answered, not the one that showed the previous key.
          await licenseRows.nth(before).waitFor();
          await page.getByText('New license key — copy it now').waitFor();
          return (await page.locator('#secret').innerText()).trim();
        };
        // The license check of the u1 and vendor-metadata routes: a plain `licensekey` header.
        const fetchMetadata = (scope, licenseKey) => api(latchkey.publicUrl, 'POST',
          `/webauthn/vendormetadata/${scope}/fetch`, { headers: { licensekey: licenseKey }, body: {} });
        const communityKey = await issue(`community:${communityId}`);
        assert.ok(communityKey.length >= 16, `a license key is shown once: ${communityKey}`);
        const works = await fetchMetadata(communityId, communityKey);
        assert.equal(works.status, 200, works.text);
        const systemKey = await issue('system');
        assert.notEqual(systemKey, communityKey);
        const global = await fetchMetadata('any', systemKey);
        assert.equal(global.status, 200, `a system license reads the global metadata: ${global.text}`);
        assert.equal(await licenseRows.count(), 2);
        assert.deepEqual((await cellTexts(licenseRows, 'Reaches')).map((text) => text.trim()).sort(),
          [`community ${communityId}`, 'every community and the global metadata'].sort());

        await licenseRows.filter({ hasText: communityId }).getByRole('button', { name: 'Revoke' }).click();
        await page.getByText('License revoked.').waitFor();
        assert.equal(await licenseRows.count(), 1);
        assert.equal(await licenseRows.filter({ hasText: communityId }).count(), 0, 'the revoked key is gone');
        const revoked = await fetchMetadata(communityId, communityKey);
        assert.equal(revoked.status, 401, revoked.text);
        assert.equal((await fetchMetadata('any', systemKey)).status, 200, 'the system license still works');
        await screenshot(page, `console-kosmos-${store}.png`);

        await page.goto(url('/console/tenants'));
        const realm = page.locator('main table tbody tr').filter({ hasText: 'Console community' });
        assert.equal(await realm.count(), 1, 'the community is a realm on the tenants list');
        assert.deepEqual(await cellTexts(realm, 'Kind'), ['1Kosmos community realm']);
        assert.deepEqual(await cellTexts(realm, 'Relying party'), [COMMUNITY_DNS]);
        assert.equal(await realm.getByRole('link').getAttribute('href'), tenantPath('/kosmos'),
          'a realm is managed as a community, on its organisation\'s 1Kosmos page');
      }));

    test('authenticators: a model refused in the console cannot register until allowed again; an MDS BLOB loads',
      logged(async () => {
        assert.ok(modelAaguid, 'needs the registration test, which read the virtual authenticator\'s model');
        let attempt = 0;
        const signUp = async () => {
          attempt += 1;
          const init = await api(latchkey.publicUrl, 'POST', `/${tenantId}/registration/initialize`, {
            apiKey,
            body: { user_id: `console-model-${attempt}`, username: `model-${attempt}`, display_name: 'Model' },
          });
          assert.equal(init.status, 200, init.text);
          const { finalize } = await rpPage.evaluate((options) => window.signUp(options), init.json);
          return finalize;
        };
        await rpPage.goto(`${rpOrigin}/?api=${encodeURIComponent(`${latchkey.publicUrl}/${tenantId}`)}`);

        await page.goto(url('/console'));
        await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Authenticators' }).click();
        await page.getByRole('heading', { name: 'Authenticators', level: 1 }).waitFor();
        assert.deepEqual(await unlabelled(page), [], 'fields without a label on the authenticators page');
        assert.match(await page.locator('#mds-status').innerText(), /^No MDS BLOB loaded/);

        await page.getByLabel('AAGUID', { exact: true }).fill(modelAaguid);
        await page.getByLabel('Name (for a model without a record)').fill('Chromium virtual authenticator');
        await page.getByLabel('Registration').selectOption('true');
        await page.getByRole('button', { name: 'Save', exact: true }).click();
        await page.getByText('Authenticator policy saved.').waitFor();
        const row = page.locator('#policies tbody tr').filter({ hasText: modelAaguid });
        assert.equal(await row.count(), 1);
        assert.deepEqual(await cellTexts(row, 'Model'), ['Chromium virtual authenticator']);
        assert.deepEqual(await cellTexts(row, 'Registration'), ['refused']);
        assert.deepEqual(await cellTexts(row, 'Source'), ['latchkey console']);

        const refused = await signUp();
        assert.equal(refused.status, 400, `a refused model does not register: ${refused.text}`);
        assert.match(refused.text, new RegExp(`authenticator ${modelAaguid} is disabled by policy`));
        await screenshot(page, `console-authenticators-refused-${store}.png`);

        await row.getByRole('button', { name: 'Allow' }).click();
        await row.locator('td[data-label="Registration"]', { hasText: 'allowed' }).waitFor();
        await page.getByText('Authenticator policy saved.').waitFor();
        const allowed = await signUp();
        assert.equal(allowed.status, 200, `allowed again, the model registers: ${allowed.text}`);

        const imported = latchkey.cli(['mds', 'import', MDS_BLOB, '--at', MDS_BLOB_TIME]);
        assert.equal(imported.status, 0, `latchkey mds import: ${imported.stderr}`);
        await page.reload();
        assert.match(await page.locator('#mds-status').innerText(),
          /^The MDS BLOB was last loaded \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ\./);
        const stat = (label) => page.locator('.stat', { has: page.locator('.label', { hasText: label }) })
          .locator('.value').innerText();
        assert.equal(await stat('from the FIDO MDS'), String(MDS_MODELS));
        // The test BLOB reports no model compromised at its time.
        assert.equal(await stat('reported compromised by the MDS'), '0');
        assert.equal(await stat('models with a policy record'), String(MDS_MODELS + 1));
        await screenshot(page, `console-authenticators-${store}.png`);
      }));

    test('settings: the Hanko Public API form, the whole configuration, retiring a signing key, renaming',
      logged(async () => {
        assert.ok(signingKid, 'needs the tenant test');
        await page.goto(url(tenantPath()));
        await page.getByLabel('Serve the Hanko Public API for this tenant').check();
        await page.getByLabel('Session lifespan (Go duration, e.g. 12h)').fill('36h');
        await page.getByLabel('Shortest password').fill('12');
        await page.getByRole('button', { name: 'Save Hanko Public API settings' }).click();
        await page.getByText('Settings saved.').waitFor();
        await page.reload();
        assert.equal(await page.getByLabel('Serve the Hanko Public API for this tenant').isChecked(), true);
        assert.equal(await page.getByLabel('Session lifespan (Go duration, e.g. 12h)').inputValue(), '36h');
        assert.equal(await page.getByLabel('Shortest password').inputValue(), '12');
        const stored = async () => {
          const res = await api(latchkey.adminUrl, 'GET', `/tenants/${tenantId}`);
          assert.equal(res.status, 200, res.text);
          return res.json.config;
        };
        const { hanko_public: hankoPublic } = await stored();
        assert.equal(hankoPublic.enabled, true, JSON.stringify(hankoPublic));
        assert.equal(hankoPublic.session.lifespan, '36h');
        assert.equal(hankoPublic.password.min_password_length, 12);

        const whole = page.getByLabel('Configuration (JSON)');
        const config = JSON.parse(await whole.inputValue());
        config.webauthn.timeout = 90_000;
        await whole.fill(JSON.stringify(config, null, 2));
        await page.getByRole('button', { name: 'Replace configuration' }).click();
        await page.getByText('Configuration replaced.').waitFor();
        assert.equal(JSON.parse(await whole.inputValue()).webauthn.timeout, 90_000);
        assert.equal(await page.getByLabel('Ceremony timeout (milliseconds)').inputValue(), '90000');
        assert.equal((await stored()).webauthn.timeout, 90_000);

        const broken = '{"webauthn": {"timeout": ';
        const refusedByApi = await api(latchkey.adminUrl, 'PUT', `/tenants/${tenantId}/config`, { rawBody: broken });
        assert.equal(refusedByApi.status, 400, refusedByApi.text);
        await whole.fill(broken);
        const [answer] = await Promise.all([
          page.waitForResponse((res) => res.url().endsWith('/config') && res.request().method() === 'POST'),
          page.getByRole('button', { name: 'Replace configuration' }).click(),
        ]);
        assert.equal(answer.status(), 400);
        await page.getByRole('heading', { name: `400 — ${refusedByApi.json.title}` }).waitFor();
        assert.equal((await page.getByRole('alert').innerText()).trim(), refusedByApi.json.details,
          'the admin API\'s error details');
        await screenshot(page, `console-config-refused-${store}.png`);
        assert.equal((await stored()).webauthn.timeout, 90_000, 'the broken configuration changed nothing');

        await page.goto(url(tenantPath()));
        const signingRows = page.locator('table[aria-labelledby="signing-keys"] tbody tr');
        assert.equal(await signingRows.count(), 2);
        const old = signingRows.filter({ hasNot: page.locator('.badge', { hasText: 'signing' }) });
        const oldKid = (await old.locator('td[data-label="Key id"] code').innerText()).trim();
        await old.getByRole('button', { name: 'Retire' }).click();
        await page.getByText('Signing key retired.').waitFor();
        assert.equal(await signingRows.count(), 1);
        assert.equal(await signingRows.filter({ hasText: oldKid }).count(), 0, 'the retired key is gone');
        assert.equal(await signingRows.filter({ hasText: signingKid }).count(), 1, 'the signing key stays');

        await page.getByLabel('Tenant name').fill('Console shop renamed');
        await page.getByRole('button', { name: 'Rename' }).click();
        await page.getByText('Renamed.', { exact: true }).waitFor();
        await page.getByRole('heading', { name: 'Console shop renamed', level: 1 }).waitFor();
        assert.equal(await page.locator('nav[aria-label="Tenant"] .tenant-name').innerText(), 'Console shop renamed');
        await screenshot(page, `console-settings-${store}.png`);
      }));

    test('deletes a tenant after a confirmation: gone from the list and from the admin API', logged(async () => {
      await page.goto(url('/console/tenants'));
      await page.getByLabel('Name', { exact: true }).fill('Doomed shop');
      await page.getByLabel('Relying party id').fill('doomed.example');
      await page.getByLabel('Origins', { exact: true }).fill('https://doomed.example');
      await page.getByLabel('Issue an API key now').uncheck();
      await page.getByRole('button', { name: 'Create tenant' }).click();
      await page.getByRole('heading', { name: 'Tenant created' }).waitFor();
      const doomed = (await page.locator('#tenant-id').innerText()).trim();
      await page.getByRole('link', { name: 'Go to the tenant' }).click();
      await page.getByRole('heading', { name: 'Doomed shop', level: 1 }).waitFor();

      const asked = [];
      const note = (dialog) => asked.push(dialog.message());
      page.on('dialog', note);
      try {
        await page.getByRole('button', { name: 'Delete this tenant' }).click();
        await page.getByText('Tenant deleted with everything it held.').waitFor();
      } finally {
        page.off('dialog', note);
      }
      assert.deepEqual(asked, ['Delete this tenant and everything it holds? This cannot be undone.']);
      assert.equal(new URL(page.url()).pathname, '/console/tenants');
      const rows = page.locator('main table tbody tr');
      assert.equal(await rows.filter({ hasText: doomed }).count(), 0, 'gone from the list');
      assert.equal(await rows.filter({ hasText: tenantId }).count(), 1, 'the other tenant stays');
      const gone = await api(latchkey.adminUrl, 'GET', `/tenants/${doomed}`);
      assert.equal(gone.status, 404, gone.text);
      await screenshot(page, `console-tenant-deleted-${store}.png`);
    }));

    test('the audit log pages with "Older" and "Newer", keeping the filters', logged(async () => {
      assert.ok(registered, 'needs the ceremonies');
      const filter = 'console-';
      await page.goto(url(tenantPath(`/audit?actor_user_id=${filter}&per_page=2`)));
      const rows = page.locator('#audit tbody tr');
      const shown = async () => {
        const users = (await cellTexts(rows, 'User')).map((text) => text.trim());
        for (const user of users) assert.ok(user.includes(filter), `${user} matches the filter`);
        return rows.allInnerTexts();
      };
      const pager = page.getByRole('navigation', { name: 'Pages' });
      const total = Number((await page.getByText(/^\d+ entries\./).innerText()).match(/^(\d+)/)[1]);
      assert.ok(total > 4, `enough entries for three pages: ${total}`);
      await pager.getByText(`Page 1 of ${Math.ceil(total / 2)}`).waitFor();
      const first = await shown();
      assert.equal(first.length, 2);
      assert.equal(await pager.getByRole('link', { name: 'Newer' }).count(), 0, 'nothing is newer than page 1');

      await pager.getByRole('link', { name: 'Older' }).click();
      await page.waitForURL(/[?&]page=2\b/);
      const params = new URL(page.url()).searchParams;
      assert.deepEqual([params.get('actor_user_id'), params.get('per_page')], [filter, '2']);
      assert.equal(await page.getByLabel('User id contains').inputValue(), filter);
      await pager.getByText(`Page 2 of ${Math.ceil(total / 2)}`).waitFor();
      const second = await shown();
      assert.equal(second.length, 2);
      assert.ok(second.every((row) => !first.includes(row)), 'page 2 holds other entries');

      await pager.getByRole('link', { name: 'Newer' }).click();
      await page.waitForURL(/[?&]page=1\b/);
      assert.deepEqual(await shown(), first);
      await screenshot(page, `console-audit-pages-${store}.png`);
    }));
  });

  describe(`admin console sign-in (${store})`, { timeout: 120_000 }, () => {
    let latchkey;
    let browser;

    before(async () => {
      latchkey = await startServer(store, { env: { LATCHKEY_ADMIN_TOKEN: ADMIN_TOKEN } });
    });

    after(async () => {
      await browser?.close();
      await latchkey?.stop();
    });

    test('needs the admin token: none off loopback will not start, a wrong one is refused, the right one signs in',
      withServerLog(() => latchkey, async () => {
        // The same configuration with the admin listener on every address and no token: the binary refuses to start,
        // so no console is ever served there without one.
        const env = { ...latchkey.env, LATCHKEY_ADMIN_LISTEN: '0.0.0.0:0' };
        delete env.LATCHKEY_ADMIN_TOKEN;
        const open = spawnSync(BIN, ['serve'], { env, encoding: 'utf8', timeout: 15_000 });
        assert.ok(open.status !== null && open.status !== 0,
          `latchkey serve should exit with an error (status ${open.status}, signal ${open.signal}): ${open.stderr}`);
        assert.match(open.stderr, /without a token: set LATCHKEY_ADMIN_TOKEN/);

        browser = await launchChromium();
        const context = await browser.newContext({ viewport: VIEWPORT });
        const page = await context.newPage();
        const session = async () => (await context.cookies(`${latchkey.adminUrl}/console`))
          .find((cookie) => cookie.name === 'latchkey_console');

        await page.goto(`${latchkey.adminUrl}/console/tenants`);
        assert.equal(new URL(page.url()).pathname, '/console/login');
        await page.getByRole('heading', { name: 'Sign in to the latchkey console' }).waitFor();

        await page.getByLabel('Admin token').fill('not-the-token');
        const [wrong] = await Promise.all([
          page.waitForResponse((res) => res.url().endsWith('/console/login') && res.request().method() === 'POST'),
          page.getByRole('button', { name: 'Sign in' }).click(),
        ]);
        assert.equal(wrong.status(), 401);
        await page.getByRole('alert').filter({ hasText: 'That is not the admin token.' }).waitFor();
        assert.equal(await session(), undefined, 'a wrong token gets no session');
        const refused = await page.evaluate(async () => (await fetch('/console/tenants', { redirect: 'manual' })).type);
        assert.equal(refused, 'opaqueredirect', 'still sent to sign in');

        await page.getByLabel('Admin token').fill(ADMIN_TOKEN);
        await page.getByRole('button', { name: 'Sign in' }).click();
        await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
        assert.equal(new URL(page.url()).pathname, '/console');
        const cookie = await session();
        assert.ok(cookie, 'the right token gets a session');
        assert.deepEqual({ httpOnly: cookie.httpOnly, sameSite: cookie.sameSite, path: cookie.path },
          { httpOnly: true, sameSite: 'Strict', path: '/console' });
        await page.getByRole('link', { name: 'Tenants', exact: true }).click();
        await page.getByRole('heading', { name: 'Tenants', exact: true }).waitFor();

        await page.getByRole('button', { name: 'Sign out' }).click();
        await page.waitForURL(/\/console\/login$/);
        assert.equal(await session(), undefined, 'signing out removes the session');
        await page.goto(`${latchkey.adminUrl}/console`);
        assert.equal(new URL(page.url()).pathname, '/console/login');
        await screenshot(page, `console-sign-in-${store}.png`);
      }));
  });
}

