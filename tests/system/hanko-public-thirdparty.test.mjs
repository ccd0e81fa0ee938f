// Hanko Public API (v0.12): third-party sign-in and the one-time token, against a real OpenID provider
// (`oidc-provider`, lib/oidc.mjs) in Debian's Chromium, once per store. latchkey reaches the provider as Google
// (its built-in provider with the issuer pointed at the local one) and as a custom OpenID provider by discovery.
// Covered: sign-up, sign-in again, linking to an existing account, `POST /token` (single use, rate limited), the
// linking refusals, the provider's own error, a forged ID token, tampered, foreign and replayed states, a code
// replayed with another sign-in's state, an unknown provider, a redirect outside the allow-list, Apple's form_post,
// and hanko-elements 0.12 showing the provider's button from /.well-known/config and completing a sign-in with it.
// Specification: /work/shared/notes/hanko-public-api.md §1 (/thirdparty/*, /token) and §9, checklist 14-15.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { launchChromium } from './lib/chromium.mjs';

import {
  authElement, button, closeServer, expectEvent, headline, onLocalhost, openTab, pageUrl, screenshot,
  startPageServer,
} from './lib/elements.mjs';
import {
  HankoClient, assertHankoError, configureHanko, createHankoTenant, exchangeOneTimeToken as exchange, hankoBlock,
  holderOf as holder,
} from './lib/hanko-public.mjs';
import { api } from './lib/http.mjs';
import { CLIENT_ID, CLIENT_SECRET, signInAtProvider, startOidcProvider } from './lib/oidc.mjs';
import { STORES, startServer, withServerLog } from './lib/server.mjs';

const STATE_COOKIE = 'hanko_thirdparty_state';

for (const store of STORES) {
  describe(`Hanko Public API: third-party sign-in with a real OpenID provider (${store})`, { timeout: 300_000 }, () => {
    let latchkey;
    let oidc;
    let pageServer;
    let origin;
    let browser;
    const log = [];
    // verifying: the original's defaults (addresses must be proven); open: no proof needed, so POST /users holds an
    // address at once; noLinking: like open, Google may not link; noSignup: no sign-up; limited: /token budget of 2;
    // elements: the server's default tenant, also served at the root.
    const tenants = {};
    const test = (name, fn) => it(name, withServerLog(() => latchkey, async () => {
      try {
        await fn();
      } catch (err) {
        if (err instanceof Error) err.message += `\n--- browser ---\n${log.join('\n')}`;
        throw err;
      }
    }));

    const errorPage = () => `${origin}/error`;
    const landing = () => `${origin}/landing`;

    function thirdParty(tenant, { allowLinking = true } = {}) {
      const provider = { enabled: true, client_id: CLIENT_ID, secret: CLIENT_SECRET, issuer: oidc.issuer };
      return {
        redirect_url: `${tenant.browserBase}/thirdparty/callback`,
        error_redirect_url: errorPage(),
        allowed_redirect_urls: [`${origin}/**`],
        providers: { google: { ...provider, allow_linking: allowLinking } },
        custom_providers: { acme: { ...provider, display_name: 'Acme' } },
      };
    }

    async function tenant(hanko) {
      const created = await createHankoTenant(latchkey, { origins: [origin], hanko });
      return { ...created, browserBase: `${onLocalhost(latchkey.publicUrl)}/${created.id}`, hankoOverrides: hanko };
    }

    // The browser's way through a sign-in: /thirdparty/auth, the provider's login and consent as `login`, back to
    // latchkey's callback and on to the page. Returns the page's URL's `hanko_token`, `error` and
    // `error_description`. With `capture`, the callback is not let through: returns its URL and the state cookie.
    async function viaProvider(target, { provider = 'google', login, redirectTo = landing(), capture = false,
      cancel = false } = {}) {
      const context = await browser.newContext();
      context.setDefaultTimeout(30_000);
      const page = await context.newPage();
      page.on('console', (msg) => log.push(`[${login}] [${msg.type()}] ${msg.text()}`));
      try {
        const auth = `${target.browserBase}/thirdparty/auth?provider=${provider}`
          + `&redirect_to=${encodeURIComponent(redirectTo)}`;
        oidc.holdCallbacks = capture;
        await page.goto(auth);
        if (cancel) {
          await page.locator('a', { hasText: 'Cancel' }).click();
        } else {
          await signInAtProvider(page, login);
        }
        if (capture) {
          await page.getByText('held').waitFor();
          const callback = oidc.held.pop();
          assert.ok(callback, 'the provider sent the browser to latchkey\'s callback');
          const cookie = (await context.cookies(target.browserBase)).find((c) => c.name === STATE_COOKIE);
          assert.ok(cookie, 'the state cookie');
          return { callback, cookie: cookie.value };
        }
        await page.waitForURL((url) => url.origin === origin);
        const url = new URL(page.url());
        return {
          url,
          token: url.searchParams.get('hanko_token'),
          error: url.searchParams.get('error'),
          description: url.searchParams.get('error_description'),
        };
      } finally {
        oidc.holdCallbacks = false;
        await context.close();
      }
    }

    // GET of a captured callback URL with `cookie` as the state cookie: latchkey's redirect.
    async function replay(callback, cookie) {
      const res = await fetch(callback, {
        redirect: 'manual',
        headers: cookie === undefined ? {} : { Cookie: `${STATE_COOKIE}=${cookie}` },
      });
      assert.equal(res.status, 307, await res.text());
      const location = new URL(res.headers.get('location'));
      return {
        location,
        token: location.searchParams.get('hanko_token'),
        error: location.searchParams.get('error'),
        description: location.searchParams.get('error_description'),
      };
    }

    function assertRefused(outcome, code) {
      assert.equal(outcome.token, null, `no token: ${outcome.url ?? outcome.location}`);
      assert.equal(outcome.error, code, `error: ${outcome.url ?? outcome.location}`);
      assert.ok(outcome.description, 'with a description');
      assert.equal(`${(outcome.url ?? outcome.location).origin}${(outcome.url ?? outcome.location).pathname}`,
        errorPage());
    }

    before(async () => {
      ({ server: pageServer, origin } = await startPageServer());
      latchkey = await startServer(store);
      const cookie = { session: { cookie: { secure: false } } };
      tenants.verifying = await tenant(cookie);
      tenants.open = await tenant({ ...cookie, emails: { require_verification: false } });
      tenants.noLinking = await tenant({ ...cookie, emails: { require_verification: false } });
      tenants.noSignup = await tenant({ ...cookie, account: { allow_signup: false } });
      tenants.limited = await tenant({
        ...cookie, rate_limiter: { enabled: true, token_limits: { tokens: 2, interval: '1m' } },
      });
      // hanko-elements 0.12 resolves `/thirdparty/auth` against the API's origin, dropping any path: its tenant must be
      // served at the root, as a `default_tenant` (README.md, "Third-party sign-in").
      tenants.elements = await tenant(cookie);
      latchkey.env.LATCHKEY_DEFAULT_TENANT = tenants.elements.id;
      await latchkey.restart();
      const root = latchkey.publicUrl.replace(/\/+$/, '');
      for (const t of Object.values(tenants)) {
        t.base = `${root}/${t.id}`;
        t.browserBase = `${onLocalhost(root)}/${t.id}`;
      }
      tenants.elements.browserBase = onLocalhost(root);
      oidc = await startOidcProvider({
        redirectUris: Object.values(tenants).map((t) => `${t.browserBase}/thirdparty/callback`),
      });
      for (const [name, t] of Object.entries(tenants)) {
        const block = hankoBlock(undefined, t.hankoOverrides);
        block.third_party = thirdParty(t, { allowLinking: name !== 'noLinking' });
        t.hanko = await configureHanko(latchkey, t, block);
      }
      browser = await launchChromium({
        // Nothing leaves loopback (the provider's pages ask for web fonts).
        args: ['--no-sandbox', '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost'],
      });
    });

    after(async () => {
      await browser?.close();
      await oidc?.stop();
      await closeServer(pageServer);
      await latchkey?.stop();
    });

    describe('configuration', () => {
      test('/.well-known/config lists the enabled providers in order and the admin API never shows a secret',
        async () => {
          const res = await api(tenants.verifying.base, 'GET', '/.well-known/config');
          assert.equal(res.status, 200, res.text);
          assert.deepEqual(res.json.providers, ['Google', 'Acme']);
          assert.equal(tenants.verifying.hanko.third_party.providers.google.secret, '');
          assert.equal(tenants.verifying.hanko.third_party.custom_providers.acme.secret, '');
          assert.equal(tenants.verifying.hanko.third_party.providers.google.client_id, CLIENT_ID);
        });

      test('an enabled provider without the redirect settings is refused by the admin API', async () => {
        const shown = await api(latchkey.adminUrl, 'GET', `/tenants/${tenants.open.id}`);
        const config = structuredClone(shown.json.config);
        config.hanko_public.third_party.allowed_redirect_urls = [];
        const put = await api(latchkey.adminUrl, 'PUT', `/tenants/${tenants.open.id}/config`, { body: config });
        assert.equal(put.status, 400, put.text);
        assert.match(put.text, /allowed_redirect_urls/);
      });
    });

    describe('sign-up, sign-in and linking (§9)', () => {
      test('a new provider account signs up; its one-time token opens a session once', async () => {
        const signedUp = await viaProvider(tenants.verifying, { login: 'ann' });
        assert.equal(signedUp.error, null, `${signedUp.url}`);
        assert.match(signedUp.token, /^[A-Za-z0-9_-]{43}$/);
        assert.equal(`${signedUp.url.origin}${signedUp.url.pathname}`, landing());
        const { userId, token } = await exchange(tenants.verifying, signedUp.token);
        const me = await new HankoClient(tenants.verifying, { bearer: token }).get('/me');
        assert.equal(me.status, 200, me.text);
        assert.equal(me.json.id, userId);
        const held = await holder(tenants.verifying, 'ann@example.test');
        assert.equal(held.id, userId);
        assert.equal(held.verified, true, 'the provider proved the address');
        const again = await api(tenants.verifying.base, 'POST', '/token', { body: { value: signedUp.token } });
        assertHankoError(again, 404, 'token not found');
      });

      test('the same account signs in again, through the custom provider too (linked by its address)', async () => {
        const first = await exchange(tenants.verifying,
          (await viaProvider(tenants.verifying, { login: 'ben' })).token);
        const second = await exchange(tenants.verifying,
          (await viaProvider(tenants.verifying, { login: 'ben' })).token);
        assert.equal(second.userId, first.userId);
        const acme = await viaProvider(tenants.verifying, { provider: 'custom_acme', login: 'ben' });
        assert.equal(acme.error, null, `${acme.url}`);
        assert.equal((await exchange(tenants.verifying, acme.token)).userId, first.userId);
      });

      test('a provider account links to the user who holds its address', async () => {
        const signUp = await api(tenants.open.base, 'POST', '/users', { body: { email: 'cleo@example.test' } });
        assert.equal(signUp.status, 200, signUp.text);
        const linked = await viaProvider(tenants.open, { login: 'cleo' });
        assert.equal(linked.error, null, `${linked.url}`);
        assert.equal((await exchange(tenants.open, linked.token)).userId, signUp.json.user_id);
      });
    });

    describe('refusals: an error redirect, and nothing is created', () => {
      test('unverified_email: the provider did not prove the address and the tenant wants proof', async () => {
        oidc.accounts.dora = { email: 'dora@example.test', email_verified: false };
        assertRefused(await viaProvider(tenants.verifying, { login: 'dora' }), 'unverified_email');
        assert.equal(await holder(tenants.verifying, 'dora@example.test'), null);
      });

      test('user_conflict: the address is held and the provider may not link', async () => {
        const signUp = await api(tenants.noLinking.base, 'POST', '/users', { body: { email: 'eve@example.test' } });
        assert.equal(signUp.status, 200, signUp.text);
        assertRefused(await viaProvider(tenants.noLinking, { login: 'eve' }), 'user_conflict');
      });

      test('signup_disabled: nobody holds the address and the tenant allows no sign-up', async () => {
        assertRefused(await viaProvider(tenants.noSignup, { login: 'finn' }), 'signup_disabled');
        assert.equal(await holder(tenants.noSignup, 'finn@example.test'), null);
      });

      test('multiple_accounts: the provider\'s new address is held by another user', async () => {
        await exchange(tenants.open, (await viaProvider(tenants.open, { login: 'gus' })).token);
        const other = await api(tenants.open.base, 'POST', '/users', { body: { email: 'gus.other@example.test' } });
        assert.equal(other.status, 200, other.text);
        oidc.accounts.gus = { email: 'gus.other@example.test', email_verified: true };
        assertRefused(await viaProvider(tenants.open, { login: 'gus' }), 'multiple_accounts');
      });

      test('the provider\'s own error (the user cancels) is passed on', async () => {
        const cancelled = await viaProvider(tenants.verifying, { cancel: true });
        assertRefused(cancelled, 'access_denied');
      });

      test('an ID token whose signature was altered is refused', async () => {
        oidc.forgeIdTokens = true;
        try {
          const forged = await viaProvider(tenants.verifying, { login: 'hal' });
          assertRefused(forged, 'invalid_request');
          assert.match(forged.description, /ID token/);
        } finally {
          oidc.forgeIdTokens = false;
        }
        assert.equal(await holder(tenants.verifying, 'hal@example.test'), null);
      });

      test('a tampered state, a missing cookie and another sign-in\'s cookie are refused', async () => {
        const { callback, cookie } = await viaProvider(tenants.verifying, { login: 'ida', capture: true });
        const other = await viaProvider(tenants.verifying, { login: 'ida', capture: true });
        const tampered = new URL(callback);
        const state = tampered.searchParams.get('state');
        tampered.searchParams.set('state', `${state.slice(0, -2)}${state.endsWith('AA') ? 'BB' : 'AA'}`);
        assertRefused(await replay(tampered.href, cookie), 'invalid_request');
        assertRefused(await replay(callback, undefined), 'invalid_request');
        assertRefused(await replay(callback, other.cookie), 'invalid_request');
        assert.equal(await holder(tenants.verifying, 'ida@example.test'), null);
        // The genuine pair still works once, and only once.
        const genuine = await replay(callback, cookie);
        assert.equal(genuine.error, null, `${genuine.location}`);
        assert.ok(genuine.token);
        assertRefused(await replay(callback, cookie), 'invalid_request');
      });

      test('a code replayed with another sign-in\'s state is refused by the provider (PKCE)', async () => {
        const first = await viaProvider(tenants.verifying, { login: 'jo', capture: true });
        const second = await viaProvider(tenants.verifying, { login: 'jo', capture: true });
        const crossed = new URL(second.callback);
        crossed.searchParams.set('code', new URL(first.callback).searchParams.get('code'));
        assertRefused(await replay(crossed.href, second.cookie), 'invalid_request');
        assert.equal(await holder(tenants.verifying, 'jo@example.test'), null);
      });

      test('an unknown provider and a page outside the allow-list go back to the page or the error page',
        async () => {
          const auth = (query, headers) => api(tenants.verifying.base, 'GET', `/thirdparty/auth?${query}`, { headers });
          const unknown = await auth(`provider=myspace&redirect_to=${encodeURIComponent(landing())}`);
          assert.equal(unknown.status, 307);
          const to = new URL(unknown.headers.get('location'));
          assert.equal(`${to.origin}${to.pathname}`, errorPage());
          assert.equal(to.searchParams.get('error'), 'invalid_request');
          assert.match(to.searchParams.get('error_description'), /myspace/);
          assert.equal(unknown.headers.get('set-cookie'), null, 'no state was started');

          const outside = await auth('provider=google&redirect_to=https%3A%2F%2Fevil.example%2F',
            { Referer: `${origin}/login` });
          assert.equal(outside.status, 307);
          const back = new URL(outside.headers.get('location'));
          assert.equal(`${back.origin}${back.pathname}`, `${origin}/login`, 'the Referer comes first');
          assert.equal(back.searchParams.get('error'), 'invalid_request');
          assert.match(back.searchParams.get('error_description'), /redirect_to/);

          const missing = await auth('provider=google');
          assert.equal(new URL(missing.headers.get('location')).searchParams.get('error_description'),
            'redirect_to is a required field');
        });
    });

    describe('wire details', () => {
      test('Apple\'s form_post is answered with a 303 to the GET of the same parameters', async () => {
        const res = await fetch(`${tenants.verifying.base}/thirdparty/callback`, {
          method: 'POST',
          redirect: 'manual',
          headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
          body: 'code=abc&state=xyz&user=%7B%7D',
        });
        assert.equal(res.status, 303);
        assert.equal(res.headers.get('location'),
          `/${tenants.verifying.id}/thirdparty/callback?code=abc&state=xyz&user=%7B%7D`);
      });

      test('the state cookie is SameSite=Lax, HttpOnly, five minutes, and cleared by the callback', async () => {
        const res = await api(tenants.verifying.base, 'GET',
          `/thirdparty/auth?provider=google&redirect_to=${encodeURIComponent(landing())}`);
        assert.equal(res.status, 307, res.text);
        const to = new URL(res.headers.get('location'));
        assert.equal(`${to.origin}${to.pathname}`, `${oidc.issuer}/auth`);
        assert.equal(to.searchParams.get('prompt'), 'consent');
        assert.equal(to.searchParams.get('code_challenge_method'), 'S256');
        assert.ok(to.searchParams.get('nonce'));
        assert.equal(to.searchParams.get('redirect_uri'), `${tenants.verifying.browserBase}/thirdparty/callback`);
        const [cookie] = res.headers.getSetCookie();
        assert.match(cookie, new RegExp(`^${STATE_COOKIE}=${to.searchParams.get('state')}; Path=/; Max-Age=300; `
          + 'HttpOnly; SameSite=Lax$'));
        const callback = await fetch(`${tenants.verifying.base}/thirdparty/callback?state=x`, { redirect: 'manual' });
        assert.match(callback.headers.getSetCookie().join('\n'), new RegExp(`${STATE_COOKIE}=; Path=/; Max-Age=0`));
      });

      test('POST /token: value required, unknown 404, a budget per client address', async () => {
        const empty = await api(tenants.verifying.base, 'POST', '/token', { body: {} });
        assertHankoError(empty, 400, 'value is a required field');
        const seen = [];
        for (let i = 0; i < 3; i += 1) {
          seen.push(await api(tenants.limited.base, 'POST', '/token', { body: { value: `nothing-${i}` } }));
        }
        assertHankoError(seen[0], 404, 'token not found');
        assert.equal(seen[0].headers.get('x-ratelimit-limit'), '2');
        assert.equal(seen[1].headers.get('x-ratelimit-remaining'), '0');
        assertHankoError(seen[2], 429, 'Too Many Requests');
        assert.ok(Number(seen[2].headers.get('retry-after')) > 0);
      });
    });

    describe('audit log', () => {
      test('sign-ups, sign-ins, links, exchanges and refusals are recorded with the original\'s types', async () => {
        const logs = async (type) => {
          const res = await api(latchkey.adminUrl, 'GET',
            `/tenants/${tenants.verifying.id}/hanko/audit_logs?type=${type}&per_page=100`);
          assert.equal(res.status, 200, res.text);
          return res.json;
        };
        const ann = await holder(tenants.verifying, 'ann@example.test');
        const signUps = await logs('thirdparty_signup_succeeded');
        assert.ok(signUps.some((e) => e.actor_user_id === ann.id), JSON.stringify(signUps));
        assert.ok((await logs('thirdparty_signin_succeeded')).length >= 1);
        assert.ok((await logs('thirdparty_linking_succeeded')).length >= 1, 'ben through Acme');
        assert.ok((await logs('token_exchange_succeeded')).some((e) => e.actor_user_id === ann.id));
        const refused = await logs('thirdparty_signin_signup_failed');
        for (const reason of [/must be verified/, /access_denied/, /ID token/, /state/, /authorization code/]) {
          assert.ok(refused.some((e) => reason.test(e.error ?? '')), `${reason}: ${JSON.stringify(refused)}`);
        }
        assert.ok((await logs('token_exchange_failed')).some((e) => /token/.test(e.error ?? '')));
      });
    });

    describe('hanko-elements 0.12 in Chromium', () => {
      test('shows the provider buttons and completes a sign-in through Google', async () => {
        const tab = await openTab(browser, log, 'elements');
        try {
          const { page } = tab;
          await page.goto(pageUrl(origin, tenants.elements.browserBase));
          const root = authElement(page);
          await button(root, 'Sign in with Acme').waitFor();
          await button(root, 'Sign in with Google').click();
          await signInAtProvider(page, 'kim');
          await headline(root, 'Create a passkey');
          await expectEvent(page, 'authFlowCompleted', () => button(root, 'Skip').click());
          const held = await holder(tenants.elements, 'kim@example.test');
          assert.equal(held?.verified, true);
          assert.equal(new URL(page.url()).searchParams.get('hanko_token'), null, 'the SDK took the token');
          await screenshot(page, `${store}-third-party-sign-in`, 'hanko-public-thirdparty');
        } finally {
          await tab.context.close();
        }
      });
    });
  });
}
