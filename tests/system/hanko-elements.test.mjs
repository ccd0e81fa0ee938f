// The published @teamhanko/hanko-elements@0.12.0 (with its bundled frontend SDK 0.12.0), unmodified, in Debian's
// Chromium with a CDP virtual authenticator against latchkey's Hanko Public API dialect, once per store. The page
// (hanko-browser/index.html) loads the elements from node_modules and is served on http://localhost:PORT, the
// tenants' relying-party origin (rp id `localhost`); passcodes arrive over real SMTP (lib/smtp.mjs).
//
// Sessions: the Hanko default, an HttpOnly `hanko` cookie with SameSite=Strict, works only if the page and the API
// are same-site. Sites ignore ports, so the page (localhost:P1) and the API addressed as localhost:P2 are same-site
// and the cookie rides along on the SDK's credentialed XHRs; `session.cookie.secure` is off because both are plain
// http. The cross-domain mode, `session.enable_auth_token_header`, where the SDK keeps the token from
// `X-Auth-Token` in its own cookie on the page's origin and sends it as a bearer token, is tested from the same page
// against the API addressed as 127.0.0.1:P2, another site.
//
// Every scenario saves a screenshot of the page as it left it (also when it fails) under
// $LATCHKEY_ARTIFACTS/hanko-elements/ (default: tests/system/artifacts/hanko-elements/); the test's
// diagnostics name the file. Selectors come from the elements' built bundle: open shadow roots, `part` attributes,
// the English texts of dist/i18n/en.js, and the accordion ids `<name>-<index>` of <hanko-profile>.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { launchChromium } from './lib/chromium.mjs';
import {
  ELEMENTS_DIR, ELEMENTS_URL, accordionId, authElement, button, closeServer, confirmDangerous, enterPasscode,
  errorText, escapeRegExp, exactly, expectEvent, headline, onLocalhost, openAccordion, openTab, pageUrl, profileElement,
  response, screenshot, slug, startPageServer,
} from './lib/elements.mjs';
import { api } from './lib/http.mjs';
import { verifyJwt } from './lib/jwt.mjs';
import { STORES, startServer } from './lib/server.mjs';
import { startSmtp } from './lib/smtp.mjs';

const SERVICE = 'latchkey browser test';
const SESSION_SECONDS = 3600;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
// The SDK's requests are validated as uuid4 (`user_id`, `email_id`), so user ids must be version 4.
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

function hankoPublic(smtp, { session = {}, password = {}, emails = {}, account = {} } = {}) {
  return {
    enabled: true,
    service: { name: SERVICE },
    session: {
      lifespan: '1h',
      enable_auth_token_header: false,
      issuer: '',
      audience: [],
      cookie: { name: 'hanko', domain: '', http_only: true, same_site: 'strict', secure: false },
      ...session,
    },
    passcode: { ttl: 300, email: { from_address: 'passcode@hanko.io', from_name: 'Hanko' } },
    password: { enabled: false, min_password_length: 8, ...password },
    emails: { require_verification: true, max_num_of_addresses: 5, ...emails },
    account: { allow_deletion: true, allow_signup: true, ...account },
    webauthn: { timeout: 60000, user_verification: 'preferred' },
    // Budgets above what the scenarios spend from one address in a minute; the limits have their own tests.
    rate_limiter: {
      enabled: true,
      passcode_limits: { tokens: 10, interval: '1m' },
      password_limits: { tokens: 20, interval: '1m' },
      token_limits: { tokens: 3, interval: '1m' },
    },
    email_delivery: { enabled: true },
    smtp: { host: smtp.host, port: smtp.port, tls: 'none', user: '', password: '' },
  };
}

// A tenant made on the admin listener whose relying party and CORS list the page's origin, with the Public API on.
async function createHankoTenant(latchkey, { name, origin, hanko }) {
  const created = await api(latchkey.adminUrl, 'POST', '/tenants', {
    body: {
      display_name: name,
      create_api_key: false,
      config: {
        cors: { allowed_origins: [origin], allow_unsafe_wildcard: false },
        webauthn: { relying_party: { id: 'localhost', display_name: name, origins: [origin] }, timeout: 60000 },
      },
    },
  });
  assert.equal(created.status, 201, created.text);
  const { id } = created.json;
  const shown = await api(latchkey.adminUrl, 'GET', `/tenants/${id}`);
  assert.equal(shown.status, 200, shown.text);
  assert.equal(typeof shown.json.config.hanko_public, 'object', `GET /tenants/{id} shows hanko_public: ${shown.text}`);
  const put = await api(latchkey.adminUrl, 'PUT', `/tenants/${id}/config`, {
    body: { ...shown.json.config, hanko_public: hanko },
  });
  assert.equal(put.status, 204, put.text);
  return id;
}

describe('hanko-elements 0.12.0 from node_modules in Chromium, without a server', { timeout: 60_000 }, () => {
  test('defines <hanko-auth>, renders it in its shadow root and shows the connection error', async (t) => {
    const { version } = JSON.parse(readFileSync(join(ELEMENTS_DIR, 'package.json'), 'utf8'));
    assert.equal(version, '0.12.0');
    const { server, origin } = await startPageServer();
    const unused = createServer();
    await new Promise((resolve) => unused.listen(0, '127.0.0.1', resolve));
    const deadApi = `http://localhost:${unused.address().port}`;
    await closeServer(unused);
    const browser = await launchChromium();
    const log = [];
    try {
      const { page } = await openTab(browser, log, 'no server');
      const pageErrors = [];
      const consoleErrors = [];
      page.on('pageerror', (err) => pageErrors.push(err.message));
      page.on('console', (msg) => {
        if (msg.type() === 'error') consoleErrors.push({ text: msg.text(), url: msg.location().url });
      });
      const bundle = page.waitForResponse((res) => new URL(res.url()).pathname === `${ELEMENTS_URL}elements.js`);
      await page.goto(pageUrl(origin, `${deadApi}/00000000-0000-4000-8000-000000000000`));
      assert.equal((await bundle).status(), 200);
      const root = authElement(page);
      await headline(root, 'An error has occurred');
      await errorText(root, 'A technical error has occurred. Please try again later.');
      assert.equal(await page.evaluate(() => typeof customElements.get('hanko-auth')), 'function');
      assert.equal(await page.evaluate(() => typeof customElements.get('hanko-profile')), 'function');
      assert.equal(await page.evaluate(() => document.querySelector('hanko-auth').shadowRoot?.mode), 'open');
      assert.equal(await page.locator('#status').textContent(), 'ready');
      t.diagnostic(`screenshot: ${await screenshot(page, 'no-server-hanko-auth')}`);
      assert.deepEqual(pageErrors, []);
      assert.deepEqual(consoleErrors.filter((e) => !e.url.startsWith(deadApi)), [],
        'no console errors other than the unreachable API');
    } catch (err) {
      if (err instanceof Error) err.message += `\n--- browser ---\n${log.join('\n')}`;
      throw err;
    } finally {
      await browser.close();
      await closeServer(server);
    }
  });
});

for (const store of STORES) {
  describe(`hanko-elements 0.12.0 in Chromium against latchkey's Hanko Public API (${store})`, {
    timeout: 300_000,
  }, () => {
    let latchkey;
    let smtp;
    let pageServer;
    let origin;
    let browser;
    const log = [];
    let shots = 0;

    // Each scenario leaves a screenshot of `tab().page`; a failure carries what the browser and the server said.
    const scenario = (name, tab, fn) => test(name, async (t) => {
      let failure;
      try {
        await fn();
      } catch (err) {
        failure = err;
      }
      const page = tab()?.page;
      if (page && !page.isClosed()) {
        shots += 1;
        const file = `${store}-${String(shots).padStart(2, '0')}-${slug(name)}`;
        t.diagnostic(`screenshot: ${await screenshot(page, file).catch((err) => `none (${err.message})`)}`);
      }
      if (failure) {
        if (failure instanceof Error) {
          const mails = smtp?.received.map((m) => `${m.to.join(',')}: ${m.subject}`).join('\n') ?? '';
          failure.message += `\n--- browser ---\n${log.join('\n')}\n--- mails ---\n${mails}`
            + `\n--- latchkey serve output (${store}) ---\n${latchkey?.log() ?? ''}`;
        }
        throw failure;
      }
    });

    const asUser = (tenantId, token, method, path, body) => api(latchkey.publicUrl, method, `/${tenantId}${path}`, {
      headers: { Authorization: `Bearer ${token}` },
      body,
    });

    async function passcodeMailedTo(address) {
      const mail = await smtp.waitForMail({ to: address, timeoutMs: 30_000 });
      assert.match(mail.subject, new RegExp(`^\\d{6} is your passcode for ${escapeRegExp(SERVICE)}$`));
      assert.match(mail.from, /passcode@hanko\.io/);
      return smtp.passcodeOf(mail);
    }

    async function sessionClaims(tenantId, token) {
      const jwks = await api(latchkey.publicUrl, 'GET', `/${tenantId}/.well-known/jwks.json`);
      assert.equal(jwks.status, 200, jwks.text);
      const claims = await verifyJwt(token, jwks.json);
      assert.deepEqual(claims.aud, ['localhost']);
      assert.match(claims.sid, UUID, 'latchkey\'s session tokens name their server-side session');
      assert.equal(claims.exp - claims.iat, SESSION_SECONDS);
      return claims;
    }

    // The HttpOnly session cookie the API set for localhost (cookies ignore ports, so the page's jar holds it).
    async function sessionCookie(tab) {
      return (await tab.context.cookies(origin)).find((c) => c.name === 'hanko');
    }

    function assertServerCookie(cookie) {
      assert.ok(cookie, 'the API set the session cookie');
      assert.equal(cookie.domain, 'localhost');
      assert.equal(cookie.path, '/');
      assert.equal(cookie.httpOnly, true);
      assert.equal(cookie.secure, false);
      assert.equal(cookie.sameSite, 'Strict');
      const left = cookie.expires - Date.now() / 1000;
      assert.ok(left > SESSION_SECONDS - 60 && left <= SESSION_SECONDS, `cookie expires in ${left} s`);
    }

    before(async () => {
      smtp = await startSmtp();
      ({ server: pageServer, origin } = await startPageServer());
      latchkey = await startServer(store);
      browser = await launchChromium();
    });

    after(async () => {
      await browser?.close();
      await closeServer(pageServer);
      await latchkey?.stop();
      await smtp?.stop();
    });

    describe('passkeys and passcodes; the session is the API\'s HttpOnly cookie (page, API on localhost)', () => {
      let tenant;
      let apiBase;
      let tab;
      const ada = { email: 'ada@example.com', work: 'ada.work@example.com' };
      const done = new Set();
      const needs = (...steps) => steps.forEach((s) => assert.ok(done.has(s), `needs the "${s}" scenario`));
      const step = (name, fn) => scenario(name, () => tab, fn);

      before(async () => {
        tenant = await createHankoTenant(latchkey, { name: 'hanko passkeys', origin, hanko: hankoPublic(smtp) });
        apiBase = `${onLocalhost(latchkey.publicUrl)}/${tenant}`;
        tab = await openTab(browser, log, 'passkeys');
      });
      after(async () => tab?.context.close());

      step('signs up with an email address and the mailed passcode, then offers a passkey', async () => {
        const { page } = tab;
        await page.goto(pageUrl(origin, apiBase));
        const root = authElement(page);
        await headline(root, 'Sign in or sign up');
        await root.locator('input[name="email"]').fill(ada.email);
        const lookup = response(page, 'POST', '/user');
        await button(root, 'Continue').click();
        assert.equal((await lookup).status(), 404, 'an unknown address');

        await headline(root, 'Create account?');
        const signup = response(page, 'POST', '/users');
        await button(root, 'Sign up').click();
        const created = await signup;
        assert.equal(created.status(), 200);
        const body = await created.json();
        assert.match(body.user_id, UUID_V4);
        assert.equal(body.id, body.user_id);
        assert.equal(created.headers()['x-session-lifetime'], undefined, 'no session before the address is verified');

        await enterPasscode(root, page, await passcodeMailedTo(ada.email));
        await headline(root, 'Create a passkey');
        const cookie = await sessionCookie(tab);
        assertServerCookie(cookie);
        const claims = await sessionClaims(tenant, cookie.value);
        assert.equal(claims.sub, body.user_id);
        assert.deepEqual(claims.email, { address: ada.email, is_primary: true, is_verified: true });
        ada.userId = body.user_id;
        done.add('sign up');
      });

      step('registers a passkey at the prompt', async () => {
        needs('sign up');
        const { page, cdp, authenticatorId } = tab;
        const root = authElement(page);
        const finalize = response(page, 'POST', '/webauthn/registration/finalize');
        const completed = await expectEvent(page, 'authFlowCompleted', () => button(root, 'Create a passkey').click());
        assert.equal(completed.detail.userID, ada.userId);
        const registered = await finalize;
        assert.equal(registered.status(), 200);
        const { credential_id: credentialId, user_id: userId } = await registered.json();
        assert.equal(userId, ada.userId);

        const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
        assert.equal(credentials.length, 1);
        assert.equal(credentials[0].rpId, 'localhost');
        assert.equal(credentials[0].isResidentCredential, true);
        assert.equal(Buffer.from(credentials[0].credentialId, 'base64').toString('base64url'), credentialId);
        assert.equal(Buffer.from(credentials[0].userHandle, 'base64').toString('hex'), ada.userId.replaceAll('-', ''),
          'the user handle is the 16 bytes of the user id');

        const listed = await asUser(tenant, (await sessionCookie(tab)).value, 'GET', '/webauthn/credentials');
        assert.equal(listed.status, 200, listed.text);
        assert.deepEqual(listed.json.map((c) => c.id), [credentialId]);
        ada.credentialId = credentialId;
        done.add('passkey');
      });

      step('logs out through the SDK: the cookie is cleared and the token refused from then on', async () => {
        needs('passkey');
        const { page } = tab;
        const token = (await sessionCookie(tab)).value;
        const logout = response(page, 'POST', '/logout');
        await expectEvent(page, 'userLoggedOut', () => page.locator('#logout').click());
        assert.equal((await logout).status(), 204);
        await headline(authElement(page), 'Sign in or sign up');
        assert.equal(await sessionCookie(tab), undefined);
        const me = await asUser(tenant, token, 'GET', '/me');
        assert.equal(me.status, 401, `latchkey revokes the session on logout: ${me.text}`);
        done.add('log out');
      });

      step('logs in with the passkey ("Sign in with a passkey", discoverable)', async () => {
        needs('log out');
        const { page } = tab;
        const root = authElement(page);
        const finalize = response(page, 'POST', '/webauthn/login/finalize');
        const signIn = () => button(root, 'Sign in with a passkey').click();
        const completed = await expectEvent(page, 'authFlowCompleted', signIn);
        assert.equal(completed.detail.userID, ada.userId);
        const login = await finalize;
        assert.equal(login.status(), 200);
        // `signal` (the options of WebAuthn's signal methods, docs/signal-api.md) is latchkey's addition.
        const { signal, ...answered } = await login.json();
        assert.deepEqual(answered, { credential_id: ada.credentialId, user_id: ada.userId });
        assert.deepEqual(signal.allAcceptedCredentials.allAcceptedCredentialIds, [ada.credentialId]);
        const cookie = await sessionCookie(tab);
        assertServerCookie(cookie);
        assert.equal((await sessionClaims(tenant, cookie.value)).sub, ada.userId);
        done.add('passkey login');
      });

      step('profile: adds a second email, verifies it, makes it primary, deletes the first', async () => {
        needs('passkey login');
        const { page } = tab;
        await page.goto(pageUrl(origin, apiBase, 'profile'));
        const root = profileElement(page);
        await headline(root, 'Emails');

        await openAccordion(root, 'add-email-dropdown-0');
        await root.getByPlaceholder('New email address').fill(ada.work);
        const added = response(page, 'POST', '/emails');
        await button(root, 'Continue').click();
        assert.equal((await added).status(), 200);
        await enterPasscode(root, page, await passcodeMailedTo(ada.work));
        await headline(root, 'Emails');
        const workLabel = root.locator('label[for^="email-dropdown-"]', { hasText: ada.work });
        await workLabel.waitFor();
        assert.doesNotMatch(await workLabel.textContent(), /unverified/);

        const work = await openAccordion(root, await accordionId(root, 'email-dropdown', ada.work));
        const primary = response(page, 'POST', '/set_primary');
        await button(work, 'Set as primary').click();
        assert.equal((await primary).status(), 204);
        await root.locator('label[for^="email-dropdown-"] b', { hasText: exactly(ada.work) }).waitFor();

        const first = await openAccordion(root, await accordionId(root, 'email-dropdown', ada.email));
        const deleted = response(page, 'DELETE', /\/emails\/[^/]+$/);
        await confirmDangerous(first, 'Delete');
        assert.equal((await deleted).status(), 204);
        await root.locator('label[for^="email-dropdown-"]', { hasText: ada.email }).waitFor({ state: 'detached' });

        const emails = await asUser(tenant, (await sessionCookie(tab)).value, 'GET', '/emails');
        assert.equal(emails.status, 200, emails.text);
        assert.deepEqual(emails.json.map(({ address, is_primary: p, is_verified: v }) => [address, p, v]),
          [[ada.work, true, true]]);
        done.add('emails');
      });

      step('a session revoked elsewhere gets 401 and <hanko-auth> shows the login; signs in by email + passkey', async () => {
        needs('emails');
        const { page } = tab;
        const token = (await sessionCookie(tab)).value;
        const elsewhere = await asUser(tenant, token, 'POST', '/logout');
        assert.equal(elsewhere.status, 204, elsewhere.text);

        const me = response(page, 'GET', '/me');
        await page.goto(pageUrl(origin, apiBase));
        assert.equal((await me).status(), 401, 'the browser still sends the revoked session cookie');
        const root = authElement(page);
        await headline(root, 'Sign in or sign up');

        await root.locator('input[name="email"]').fill(ada.work);
        const init = response(page, 'POST', '/webauthn/login/initialize');
        const completed = await expectEvent(page, 'authFlowCompleted', () => button(root, 'Continue').click());
        assert.equal(completed.detail.userID, ada.userId);
        const options = await (await init).json();
        assert.deepEqual(options.publicKey.allowCredentials.map((c) => c.id), [ada.credentialId]);
        const cookie = await sessionCookie(tab);
        assertServerCookie(cookie);
        assert.notEqual(cookie.value, token);
        done.add('revoked');
      });

      step('profile: renames the passkey and deletes it', async () => {
        needs('revoked');
        const { page } = tab;
        await page.goto(pageUrl(origin, apiBase, 'profile'));
        const root = profileElement(page);
        await headline(root, 'Passkeys');

        const passkey = await openAccordion(root, 'passkey-dropdown-0');
        await button(passkey, 'Rename').click();
        await headline(root, 'Rename passkey');
        await root.getByPlaceholder('New passkey name').fill('Work laptop');
        const renamed = response(page, 'PATCH', `/webauthn/credentials/${ada.credentialId}`);
        await button(root, 'Save').click();
        assert.equal((await renamed).status(), 200);
        await headline(root, 'Passkeys');
        await root.locator('label[for="passkey-dropdown-0"]', { hasText: exactly('Work laptop') }).waitFor();
        const token = (await sessionCookie(tab)).value;
        const listed = await asUser(tenant, token, 'GET', '/webauthn/credentials');
        assert.deepEqual(listed.json.map((c) => [c.id, c.name]), [[ada.credentialId, 'Work laptop']]);

        const again = await openAccordion(root, 'passkey-dropdown-0');
        const deleted = response(page, 'DELETE', `/webauthn/credentials/${ada.credentialId}`);
        await confirmDangerous(again, 'Delete');
        assert.equal((await deleted).status(), 204);
        await root.locator('label[for="passkey-dropdown-0"]').waitFor({ state: 'detached' });
        assert.deepEqual((await asUser(tenant, token, 'GET', '/webauthn/credentials')).json, []);
        done.add('passkey deleted');
      });

      step('profile: deletes the account', async () => {
        needs('passkey deleted');
        const { page } = tab;
        const root = profileElement(page);
        const token = (await sessionCookie(tab)).value;
        await button(root, 'Delete account').click();
        await headline(root, 'Delete account');
        await root.getByRole('checkbox', { name: 'Yes, delete this account.' }).check();
        const deleted = response(page, 'DELETE', '/user');
        await expectEvent(page, 'userDeleted', () => button(root, 'Delete').click());
        assert.equal((await deleted).status(), 204);
        assert.equal(await sessionCookie(tab), undefined);
        assert.equal((await asUser(tenant, token, 'GET', '/me')).status, 401);
        const lookup = await api(latchkey.publicUrl, 'POST', `/${tenant}/user`, { body: { email: ada.work } });
        assert.equal(lookup.status, 404, lookup.text);

        await page.goto(pageUrl(origin, apiBase));
        await headline(authElement(page), 'Sign in or sign up');
      });
    });

    describe('passwords (password.enabled; cookie session on localhost)', () => {
      let tenant;
      let apiBase;
      let tab;
      const bob = { email: 'bob@example.com', passwords: ['first password', 'second password', 'third password'] };
      const done = new Set();
      const needs = (...steps) => steps.forEach((s) => assert.ok(done.has(s), `needs the "${s}" scenario`));
      const step = (name, fn) => scenario(name, () => tab, fn);

      const passwordLogin = (password) => api(latchkey.publicUrl, 'POST', `/${tenant}/password/login`, {
        body: { user_id: bob.userId, password },
      });

      // From the login page to the first screen after "Continue" with bob's address.
      async function enterEmail(page) {
        const root = authElement(page);
        await headline(root, 'Sign in or sign up');
        await root.locator('input[name="email"]').fill(bob.email);
        await button(root, 'Continue').click();
        return root;
      }

      async function skipPasskey(page) {
        const root = authElement(page);
        await headline(root, 'Create a passkey');
        return expectEvent(page, 'authFlowCompleted', () => button(root, 'Skip').click());
      }

      async function logOut(page) {
        await expectEvent(page, 'userLoggedOut', () => page.locator('#logout').click());
      }

      before(async () => {
        tenant = await createHankoTenant(latchkey, {
          name: 'hanko passwords',
          origin,
          hanko: hankoPublic(smtp, {
            password: { enabled: true, min_password_length: 8 },
            account: { allow_deletion: false },
          }),
        });
        apiBase = `${onLocalhost(latchkey.publicUrl)}/${tenant}`;
        tab = await openTab(browser, log, 'passwords');
      });
      after(async () => tab?.context.close());

      step('signs up with a passcode and sets a password on the way', async () => {
        const { page } = tab;
        await page.goto(pageUrl(origin, apiBase));
        const root = await enterEmail(page);
        await headline(root, 'Create account?');
        const signup = response(page, 'POST', '/users');
        await button(root, 'Sign up').click();
        bob.userId = (await (await signup).json()).user_id;
        await enterPasscode(root, page, await passcodeMailedTo(bob.email));

        await headline(root, 'Set new password');
        await root.locator('input[name="password"]').fill(bob.passwords[0]);
        const set = response(page, 'PUT', '/password');
        await button(root, 'Continue').click();
        assert.equal((await set).status(), 201, 'a first password is created');
        const completed = await skipPasskey(page);
        assert.equal(completed.detail.userID, bob.userId);
        assertServerCookie(await sessionCookie(tab));
        done.add('sign up');
      });

      step('logs in with the password; a wrong one is refused first', async () => {
        needs('sign up');
        const { page } = tab;
        await logOut(page);
        const root = await enterEmail(page);
        await headline(root, 'Enter password');
        const password = root.locator('input[name="password"]');

        await password.fill('not the password');
        const refused = response(page, 'POST', '/password/login');
        await button(root, 'Sign in').click();
        const refusal = await refused;
        assert.equal(refusal.status(), 401);
        assert.equal(refusal.headers()['x-ratelimit-limit'], '20');
        await errorText(root, 'Wrong email or password.');

        await password.fill(bob.passwords[0]);
        const accepted = response(page, 'POST', '/password/login');
        await button(root, 'Sign in').click();
        assert.equal((await accepted).status(), 200);
        const completed = await skipPasskey(page);
        assert.equal(completed.detail.userID, bob.userId);
        const cookie = await sessionCookie(tab);
        assertServerCookie(cookie);
        assert.equal((await sessionClaims(tenant, cookie.value)).sub, bob.userId);
        done.add('password login');
      });

      step('recovers a forgotten password with a passcode and sets a new one', async () => {
        needs('password login');
        const { page } = tab;
        await logOut(page);
        const root = await enterEmail(page);
        await headline(root, 'Enter password');
        await button(root, 'Forgot your password?').click();
        await enterPasscode(root, page, await passcodeMailedTo(bob.email));

        await headline(root, 'Set new password');
        await root.locator('input[name="password"]').fill(bob.passwords[1]);
        const set = response(page, 'PUT', '/password');
        await button(root, 'Continue').click();
        assert.equal((await set).status(), 200, 'the password is replaced');
        await skipPasskey(page);
        assert.equal((await passwordLogin(bob.passwords[1])).status, 200);
        assert.equal((await passwordLogin(bob.passwords[0])).status, 401);
        done.add('recovered');
      });

      step('profile: sets a password', async () => {
        needs('recovered');
        const { page } = tab;
        await page.goto(pageUrl(origin, apiBase, 'profile'));
        const root = profileElement(page);
        await headline(root, 'Password');
        await openAccordion(root, 'change-password-dropdown-0');
        await root.getByPlaceholder('New password').fill(bob.passwords[2]);
        const set = response(page, 'PUT', '/password');
        await button(root, 'Save').click();
        assert.equal((await set).status(), 200);
        assert.equal((await passwordLogin(bob.passwords[2])).status, 200);
        assert.equal((await passwordLogin(bob.passwords[1])).status, 401);
      });
    });

    describe('the example page of README.md', () => {
      let tab;
      const step = (name, fn) => scenario(name, () => tab, fn);

      before(async () => {
        tab = await openTab(browser, log, 'readme');
      });
      after(async () => tab?.context.close());

      step('signs up by passcode and then shows the profile', async () => {
        const tenant = await createHankoTenant(latchkey, { name: 'hanko readme', origin, hanko: hankoPublic(smtp) });
        const apiBase = `${onLocalhost(latchkey.publicUrl)}/${tenant}`;
        const { page } = tab;
        const email = 'dora@example.com';
        await page.goto(`${origin}/readme?api=${encodeURIComponent(apiBase)}`);
        const root = authElement(page);
        await headline(root, 'Sign in or sign up');
        await root.locator('input[name="email"]').fill(email);
        await button(root, 'Continue').click();
        await headline(root, 'Create account?');
        await button(root, 'Sign up').click();
        await enterPasscode(root, page, await passcodeMailedTo(email));
        await headline(root, 'Create a passkey');
        await button(root, 'Skip').click();
        const profile = profileElement(page);
        await profile.getByText(email).first().waitFor();
      });
    });

    describe('cross-domain mode (enable_auth_token_header; the API on 127.0.0.1, another site than the page)', () => {
      let tenant;
      let apiBase;
      let tab;
      const cleo = { email: 'cleo@example.com' };
      const done = new Set();
      const needs = (...steps) => steps.forEach((s) => assert.ok(done.has(s), `needs the "${s}" scenario`));
      const step = (name, fn) => scenario(name, () => tab, fn);

      // The SDK's own cookie, on the page's origin and readable by script.
      async function sdkCookie() {
        return (await tab.context.cookies(origin)).find((c) => c.name === 'hanko');
      }

      before(async () => {
        tenant = await createHankoTenant(latchkey, {
          name: 'hanko cross-domain',
          origin,
          hanko: hankoPublic(smtp, {
            session: { enable_auth_token_header: true },
            emails: { require_verification: false },
          }),
        });
        apiBase = `${latchkey.publicUrl}/${tenant}`;
        tab = await openTab(browser, log, 'cross-domain');
      });
      after(async () => tab?.context.close());

      step('signs up unverified, keeps the X-Auth-Token and registers a passkey with it', async () => {
        const { page } = tab;
        await page.goto(pageUrl(origin, apiBase));
        const root = authElement(page);
        await headline(root, 'Sign in or sign up');
        await root.locator('input[name="email"]').fill(cleo.email);
        await button(root, 'Continue').click();
        await headline(root, 'Create account?');
        const signup = response(page, 'POST', '/users');
        await button(root, 'Sign up').click();
        const created = await signup;
        assert.equal(created.status(), 200);
        const headers = created.headers();
        assert.equal(headers['x-session-lifetime'], String(SESSION_SECONDS));
        assert.ok(headers['x-auth-token'], 'the token comes in X-Auth-Token');
        cleo.userId = (await created.json()).user_id;

        await headline(root, 'Create a passkey');
        const cookie = await sdkCookie();
        assert.ok(cookie, 'the SDK keeps the token in its cookie');
        assert.equal(cookie.value, headers['x-auth-token']);
        assert.equal(cookie.httpOnly, false);
        assert.equal((await sessionClaims(tenant, cookie.value)).sub, cleo.userId);
        assert.deepEqual((await tab.context.cookies(latchkey.publicUrl)).filter((c) => c.name === 'hanko'), [],
          'no session cookie from the API in this mode');

        const finalize = response(page, 'POST', '/webauthn/registration/finalize');
        await expectEvent(page, 'authFlowCompleted', () => button(root, 'Create a passkey').click());
        const registered = await finalize;
        assert.equal(registered.status(), 200);
        assert.equal((await registered.request().allHeaders()).authorization, `Bearer ${cookie.value}`);
        done.add('sign up');
      });

      step('the profile loads with the bearer token, and logging out removes the SDK\'s cookie', async () => {
        needs('sign up');
        const { page } = tab;
        const me = response(page, 'GET', '/me');
        await page.goto(pageUrl(origin, apiBase, 'profile'));
        assert.equal((await me).status(), 200);
        const root = profileElement(page);
        await headline(root, 'Emails');
        await root.locator('label[for^="email-dropdown-"]', { hasText: cleo.email }).waitFor();
        await root.locator('label[for="passkey-dropdown-0"]').waitFor();

        const token = (await sdkCookie()).value;
        await expectEvent(page, 'userLoggedOut', () => page.locator('#logout').click());
        assert.equal(await sdkCookie(), undefined);
        assert.equal((await asUser(tenant, token, 'GET', '/me')).status, 401);
      });
    });
  });
}
