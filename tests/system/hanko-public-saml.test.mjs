// Hanko Public API (v0.12): SAML 2.0 sign-in ("enterprise"), with latchkey as the service provider of a real identity
// provider (samlify, lib/saml.mjs) on a loopback port, once per store. Covered: /.well-known/config's use_enterprise,
// /saml/provider, /saml/metadata (XML and certificate), the admin API refusing skip_signature_validation, an
// SP-initiated sign-in in Chromium to `redirect_to?hanko_token=` and its exchange at POST /token, sign-in again and
// linking to an existing account, signed AuthnRequests, and the refusals: a response altered after signing, an
// expired assertion, another audience, another recipient, a replayed response, an unverified address, an unknown
// domain and a redirect outside the allow-list — each refused with the documented redirect and nothing created.
// Specification: /work/shared/notes/hanko-public-api.md §1 and §9; docs/research/identity-providers-for-tests.md §4.2.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { launchChromium } from './lib/chromium.mjs';

import { closeServer, onLocalhost, startPageServer } from './lib/elements.mjs';
import {
  HankoClient, configureHanko, createHankoTenant, exchangeOneTimeToken as exchange, hankoBlock, holderOf as holder,
  uniqueEmail,
} from './lib/hanko-public.mjs';
import { api } from './lib/http.mjs';
import { VERIFIED_ATTRIBUTE, postedForm, startSamlProvider } from './lib/saml.mjs';
import { STORES, startServer, withServerLog } from './lib/server.mjs';

const DOMAIN = 'corp.example';

for (const store of STORES) {
  describe(`Hanko Public API: SAML sign-in with a real identity provider (${store})`, { timeout: 300_000 }, () => {
    let latchkey;
    let idp;
    let signingIdp;
    let pageServer;
    let origin;
    let browser;
    // open: addresses need no proof; verifying: the original's default (they do); signing: signed AuthnRequests to
    // an identity provider that wants them; plain: SAML off.
    const tenants = {};
    const test = (name, fn) => it(name, withServerLog(() => latchkey, fn));
    const landing = () => `${origin}/landing`;
    const errorPage = () => `${origin}/error`;

    function samlBlock(tenant, provider, options = {}) {
      const endpoint = tenant.browserBase;
      return {
        enabled: true,
        endpoint_url: endpoint,
        audience_uri: `${endpoint}/saml/metadata`,
        default_redirect_url: errorPage(),
        allowed_redirect_urls: [`${origin}/landing`],
        options,
        identity_providers: [{
          enabled: true,
          name: 'Corp',
          domain: DOMAIN,
          metadata_url: provider.metadataUrl,
          attribute_map: { email_verified: VERIFIED_ATTRIBUTE },
        }],
      };
    }

    async function tenant(name, hanko, provider, options) {
      const created = await createHankoTenant(latchkey, { origins: [origin], hanko });
      const t = { ...created, browserBase: `${onLocalhost(latchkey.publicUrl)}/${created.id}` };
      if (provider) {
        const block = hankoBlock(undefined, hanko);
        block.saml = samlBlock(t, provider, options);
        t.hanko = await configureHanko(latchkey, t, block);
        const metadata = await fetch(`${t.base}/saml/metadata?domain=${DOMAIN}`);
        assert.equal(metadata.status, 200);
        provider.trust(await metadata.text());
      }
      tenants[name] = t;
      return t;
    }

    // The way through a sign-in without a browser: /saml/auth, the identity provider's login as `login`, and its
    // answer page. Returns the form that page would post to latchkey ({ action, SAMLResponse, RelayState }).
    async function answerOf(target, { login, redirectTo = landing(), provider = idp } = {}) {
      const auth = await fetch(`${target.base}/saml/auth?domain=${DOMAIN}&redirect_to=${encodeURIComponent(redirectTo)}`,
        { redirect: 'manual' });
      assert.equal(auth.status, 307, await auth.text());
      const sso = auth.headers.get('location');
      assert.ok(sso.startsWith(`${provider.base}/sso?`), sso);
      const page = await fetch(sso);
      const html = await page.text();
      assert.equal(page.status, 200, html);
      const uid = /name="uid" value="([^"]+)"/.exec(html)[1];
      const answer = await fetch(`${provider.base}/login`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ uid, username: login, password: 'x' }),
      });
      const form = postedForm(await answer.text());
      assert.equal(form.action, `${target.browserBase}/saml/callback`);
      return form;
    }

    // POSTs a form to latchkey's ACS as the identity provider's page would. Returns the redirect's status and the
    // target's `hanko_token`, `error` and `error_description`.
    async function post(target, form) {
      const res = await fetch(`${target.base}/saml/callback`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ SAMLResponse: form.SAMLResponse, RelayState: form.RelayState }),
      });
      const location = new URL(res.headers.get('location'));
      return {
        status: res.status,
        location,
        page: `${location.origin}${location.pathname}`,
        token: location.searchParams.get('hanko_token'),
        error: location.searchParams.get('error'),
        description: location.searchParams.get('error_description'),
        setCookie: res.headers.get('set-cookie') ?? '',
      };
    }

    function assertRefused(outcome, code, page = landing()) {
      assert.equal(outcome.status, 303, `303: ${outcome.location}`);
      assert.equal(outcome.token, null, `no token: ${outcome.location}`);
      assert.equal(outcome.error, code, `error: ${outcome.location}`);
      assert.ok(outcome.description, 'with a description');
      assert.equal(outcome.page, page);
    }

    // A response signed by the identity provider but wrong in the `overrides` of its template is refused, and the
    // address it names holds no account.
    async function refusedWith(overrides, reason) {
      const email = uniqueEmail('saml');
      const login = email.split('@')[0];
      idp.accounts[login] = { email, email_verified: 'true' };
      idp.overrides = overrides;
      try {
        const outcome = await post(tenants.open, await answerOf(tenants.open, { login }));
        assertRefused(outcome, 'invalid_request');
        assert.match(outcome.description, reason);
        assert.equal(await holder(tenants.open, email), null, 'nothing created');
      } finally {
        idp.overrides = {};
      }
    }

    before(async () => {
      ({ server: pageServer, origin } = await startPageServer());
      latchkey = await startServer(store);
      idp = await startSamlProvider();
      signingIdp = await startSamlProvider({ wantAuthnRequestsSigned: true });
      const cookie = { session: { cookie: { secure: false } } };
      await tenant('open', { ...cookie, emails: { require_verification: false } }, idp);
      await tenant('verifying', cookie, idp);
      await tenant('signing', { ...cookie, emails: { require_verification: false } }, signingIdp,
        { sign_authn_requests: true, force_login: true });
      await tenant('plain', cookie);
      browser = await launchChromium({
        args: ['--no-sandbox', '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost'],
      });
    });

    after(async () => {
      await browser?.close();
      await idp?.stop();
      await signingIdp?.stop();
      await closeServer(pageServer);
      await latchkey?.stop();
    });

    describe('configuration', () => {
      test('/.well-known/config says use_enterprise where SAML is on', async () => {
        assert.equal((await api(tenants.open.base, 'GET', '/.well-known/config')).json.use_enterprise, true);
        assert.equal((await api(tenants.plain.base, 'GET', '/.well-known/config')).json.use_enterprise, false);
      });

      test('/saml/provider shows the identity provider with the default attribute names, or 404', async () => {
        const res = await api(tenants.open.base, 'GET', `/saml/provider?domain=${DOMAIN}`);
        assert.equal(res.status, 200, res.text);
        assert.equal(res.json.domain, DOMAIN);
        assert.equal(res.json.enabled, true);
        assert.equal(res.json.metadata_url, idp.metadataUrl);
        assert.equal(res.json.attribute_map.email,
          'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress');
        assert.equal(res.json.attribute_map.email_verified, VERIFIED_ATTRIBUTE);
        assert.equal('skip_email_verification' in res.json, false, 'false values are left out');
        assert.equal((await api(tenants.open.base, 'GET', '/saml/provider?domain=other.example')).status, 404);
        assert.equal((await api(tenants.plain.base, 'GET', `/saml/provider?domain=${DOMAIN}`)).status, 404);
      });

      test('/saml/metadata downloads the service provider metadata and, with cert_only, its certificate', async () => {
        const res = await fetch(`${tenants.open.base}/saml/metadata?domain=${DOMAIN}`);
        assert.equal(res.status, 200);
        assert.equal(res.headers.get('content-type'), 'application/octet-stream');
        assert.equal(res.headers.get('content-disposition'), 'attachment; filename=Test Service-metadata.xml');
        const xml = await res.text();
        assert.match(xml, new RegExp(`entityID="${tenants.open.browserBase}/saml/metadata"`));
        assert.match(xml, new RegExp(`Location="${tenants.open.browserBase}/saml/callback"`));
        assert.match(xml, /WantAssertionsSigned="true"/);
        const cert = await fetch(`${tenants.open.base}/saml/metadata?domain=${DOMAIN}&cert_only=true`);
        assert.equal(cert.headers.get('content-disposition'), 'attachment; filename=Test Service-service-provider.pem');
        const pem = await cert.text();
        assert.match(pem, /^-----BEGIN CERTIFICATE-----\n/);
        const body = pem.replace(/-----[A-Z ]+-----|\n/g, '');
        assert.ok(xml.includes(body), 'the metadata publishes the same certificate');
        const again = await (await fetch(`${tenants.open.base}/saml/metadata?domain=${DOMAIN}&cert_only=true`)).text();
        assert.equal(again, pem, 'made once, kept');
        assert.equal((await fetch(`${tenants.plain.base}/saml/metadata?domain=${DOMAIN}`)).status, 404);
      });

      test('the admin API refuses skip_signature_validation', async () => {
        const shown = await api(latchkey.adminUrl, 'GET', `/tenants/${tenants.open.id}`);
        const config = structuredClone(shown.json.config);
        config.hanko_public.saml.options.skip_signature_validation = true;
        const put = await api(latchkey.adminUrl, 'PUT', `/tenants/${tenants.open.id}/config`, { body: config });
        assert.ok(put.status >= 400 && put.status < 500, `${put.status} ${put.text}`);
        assert.match(put.text, /skip_signature_validation/);
      });
    });

    describe('sign-in', () => {
      test('Chromium signs up at the identity provider and lands on redirect_to with a hanko_token for a session',
        async () => {
          const email = uniqueEmail('browser');
          idp.accounts.browser = { email, email_verified: 'true' };
          const context = await browser.newContext();
          context.setDefaultTimeout(30_000);
          const page = await context.newPage();
          try {
            await page.goto(`${tenants.open.browserBase}/saml/auth?domain=${DOMAIN}`
              + `&redirect_to=${encodeURIComponent(landing())}`);
            await page.locator('input[name=username]').fill('browser');
            await page.locator('#login').click();
            await page.waitForURL((url) => url.origin === origin);
            const url = new URL(page.url());
            assert.equal(`${url.origin}${url.pathname}`, landing());
            assert.equal(url.searchParams.get('error'), null, url.href);
            const token = url.searchParams.get('hanko_token');
            assert.ok(token, url.href);
            const session = await exchange(tenants.open, token);
            const held = await holder(tenants.open, email);
            assert.equal(held.id, session.userId);
            assert.equal(held.verified, true);
            const me = await new HankoClient(tenants.open, { bearer: session.token }).get('/me');
            assert.equal(me.json.id, session.userId);
          } finally {
            await context.close();
          }
        });

      test('signing in again finds the same user; an address a user holds is linked', async () => {
        const email = uniqueEmail('again');
        idp.accounts.again = { email, email_verified: 'true' };
        const first = await post(tenants.open, await answerOf(tenants.open, { login: 'again' }));
        assert.equal(first.status, 302, first.location.href);
        assert.match(first.setCookie, /hanko_thirdparty_state=;/);
        const { userId } = await exchange(tenants.open, first.token);
        const second = await post(tenants.open, await answerOf(tenants.open, { login: 'again' }));
        assert.equal((await exchange(tenants.open, second.token)).userId, userId);

        const existing = uniqueEmail('existing');
        const signUp = await api(tenants.open.base, 'POST', '/users', { body: { email: existing } });
        assert.equal(signUp.status, 200, signUp.text);
        idp.accounts.existing = { email: existing, email_verified: 'true' };
        const linked = await post(tenants.open, await answerOf(tenants.open, { login: 'existing' }));
        assert.equal((await exchange(tenants.open, linked.token)).userId, signUp.json.user_id);
      });

      test('signed AuthnRequests carry SigAlg and a Signature the identity provider verifies', async () => {
        const email = uniqueEmail('signed');
        signingIdp.accounts.signed = { email, email_verified: 'true' };
        const form = await answerOf(tenants.signing, { login: 'signed', provider: signingIdp });
        const { query, xml } = signingIdp.requests.at(-1);
        assert.equal(query.SigAlg, 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256');
        assert.ok(query.Signature);
        assert.match(xml, /ForceAuthn="true"/);
        const outcome = await post(tenants.signing, form);
        assert.equal(outcome.status, 302, outcome.location.href);
        assert.ok(outcome.token);
      });
    });

    describe('refusals', () => {
      test('a response altered after the identity provider signed it', async () => {
        const email = uniqueEmail('forged');
        idp.accounts.forged = { email: 'victim@corp.example', email_verified: 'true' };
        const form = await answerOf(tenants.open, { login: 'forged' });
        const xml = Buffer.from(form.SAMLResponse, 'base64').toString('utf8');
        const altered = xml.replaceAll('victim@corp.example', email);
        assert.notEqual(altered, xml);
        const outcome = await post(tenants.open, { ...form, SAMLResponse: Buffer.from(altered).toString('base64') });
        assertRefused(outcome, 'invalid_request');
        assert.equal(await holder(tenants.open, email), null);
        assert.equal(await holder(tenants.open, 'victim@corp.example'), null);
      });

      test('an expired assertion', async () => {
        const past = new Date(Date.now() - 10 * 60_000).toISOString();
        await refusedWith({ ConditionsNotOnOrAfter: past, SubjectConfirmationDataNotOnOrAfter: past }, /expired/i);
      });

      test('an assertion for another audience', async () => {
        await refusedWith({ Audience: 'https://elsewhere.example/saml/metadata' }, /audience/i);
      });

      test('an assertion for another recipient', async () => {
        const elsewhere = 'https://elsewhere.example/saml/callback';
        await refusedWith({ SubjectRecipient: elsewhere }, /recipient/i);
      });

      test('a replayed response serves no second sign-in', async () => {
        idp.accounts.replayed = { email: uniqueEmail('replayed'), email_verified: 'true' };
        const form = await answerOf(tenants.open, { login: 'replayed' });
        const first = await post(tenants.open, form);
        assert.equal(first.status, 302, first.location.href);
        const again = await post(tenants.open, form);
        assertRefused(again, 'invalid_request', errorPage());
        // The same response under another sign-in's state answers another request.
        const other = await answerOf(tenants.open, { login: 'replayed' });
        const crossed = await post(tenants.open, { ...form, RelayState: other.RelayState });
        assertRefused(crossed, 'invalid_request');
      });

      test('an unverified address where addresses must be proven', async () => {
        const email = uniqueEmail('unverified');
        idp.accounts.unverified = { email, email_verified: '' };
        const outcome = await post(tenants.verifying, await answerOf(tenants.verifying, { login: 'unverified' }));
        assertRefused(outcome, 'unverified_email');
        assert.equal(await holder(tenants.verifying, email), null);
      });

      test('a tampered RelayState goes to the default page', async () => {
        idp.accounts.relay = { email: uniqueEmail('relay'), email_verified: 'true' };
        const form = await answerOf(tenants.open, { login: 'relay' });
        const outcome = await post(tenants.open, { ...form, RelayState: `${form.RelayState.slice(0, -4)}AAAA` });
        assertRefused(outcome, 'invalid_request', errorPage());
      });

      test('an unknown domain and a redirect outside the allow-list never reach the identity provider', async () => {
        const before = idp.requests.length;
        for (const query of [
          `domain=other.example&redirect_to=${encodeURIComponent(landing())}`,
          `domain=${DOMAIN}&redirect_to=${encodeURIComponent('https://evil.example/landing')}`,
          `redirect_to=${encodeURIComponent(landing())}`,
        ]) {
          const res = await fetch(`${tenants.open.base}/saml/auth?${query}`, { redirect: 'manual' });
          assert.equal(res.status, 303, query);
          const location = new URL(res.headers.get('location'));
          assert.equal(`${location.origin}${location.pathname}`, errorPage(), query);
          assert.equal(location.searchParams.get('error'), 'invalid_request', query);
        }
        const referred = await fetch(`${tenants.open.base}/saml/auth?domain=other.example&redirect_to=x`,
          { redirect: 'manual', headers: { Referer: `${origin}/login` } });
        assert.equal(new URL(referred.headers.get('location')).pathname, '/login');
        assert.equal(idp.requests.length, before);
      });
    });
  });
}
