// A real SAML 2.0 identity provider for the SAML tests: samlify 2.13.1 (pure JS; its signatures are xml-crypto's, so
// independent of the libxmlsec1 that latchkey verifies with), with a login page of ours on a loopback port. It takes
// latchkey's AuthnRequest by HTTP-Redirect, asks for a user name, and answers with an auto-submitted HTTP-POST form
// carrying a signed Response (and, as latchkey's metadata asks, a signed Assertion) to latchkey's ACS. A test may set
// `overrides` (template values such as Audience, SubjectRecipient, ConditionsNotOnOrAfter) to have the provider sign
// a response that is wrong in that one respect. Recipe: docs/research/identity-providers-for-tests.md §3.1.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateRawSync } from 'node:zlib';

import samlify from 'samlify';

// A test IdP needs no XSD validation of what it receives; samlify parses nothing until a validator is set.
samlify.setSchemaValidator({ validate: async () => 'skipped' });
const { IdentityProvider, ServiceProvider, SamlLib, Constants } = samlify;

export const EMAIL_ATTRIBUTE = 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress';
export const VERIFIED_ATTRIBUTE = 'email_verified';

const escapeXml = (text) => String(text).replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);

// A throwaway RSA-2048 signing key and certificate, made for this run.
function throwawayCertificate() {
  const dir = mkdtempSync(join(tmpdir(), 'latchkey-saml-idp-'));
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-days', '2',
      '-subj', '/CN=latchkey test identity provider', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')],
    { stdio: 'ignore' });
    return { privateKey: readFileSync(join(dir, 'key.pem'), 'utf8'), cert: readFileSync(join(dir, 'cert.pem'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const readBody = (req) => new Promise((resolve, reject) => {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
  req.on('error', reject);
});

// The attribute statement, spliced into the template by hand (samlify escapes template values).
function attributeStatement(account) {
  const attribute = (name, value) => `<saml:Attribute Name="${escapeXml(name)}" `
    + 'NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:basic"><saml:AttributeValue '
    + 'xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
    + `xsi:type="xs:string">${escapeXml(value)}</saml:AttributeValue></saml:Attribute>`;
  const attributes = [attribute(EMAIL_ATTRIBUTE, account.email)];
  if (account.email_verified !== undefined) attributes.push(attribute(VERIFIED_ATTRIBUTE, account.email_verified));
  return `<saml:AttributeStatement>${attributes.join('')}</saml:AttributeStatement>`;
}

// Starts the provider. `accounts` maps a login name to { email, email_verified } (default: `<login>@corp.example`,
// email_verified "true"). Returns { base, metadataUrl, trust(spMetadataXml), accounts, overrides, signRequests,
// requests (the AuthnRequests received, as XML), stop() }.
export async function startSamlProvider({ wantAuthnRequestsSigned = false, accounts = {} } = {}) {
  const server = createServer();
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const base = `http://127.0.0.1:${server.address().port}`;
  const { privateKey, cert } = throwawayCertificate();
  const idp = IdentityProvider({
    entityID: `${base}/metadata`,
    privateKey,
    signingCert: cert,
    singleSignOnService: [{ Binding: Constants.namespace.binding.redirect, Location: `${base}/sso` }],
    wantAuthnRequestsSigned,
    nameIDFormat: [Constants.namespace.format.emailAddress],
  });
  const control = { base, metadataUrl: `${base}/metadata`, accounts, overrides: {}, requests: [] };
  const serviceProviders = new Map(); // entity ID -> metadata XML
  const pending = new Map(); // login form uid -> { info, relayState, metadata }
  control.trust = (metadataXml) => {
    const entityId = /entityID="([^"]+)"/.exec(metadataXml)?.[1];
    if (!entityId) throw new Error('no entityID in the service provider metadata');
    serviceProviders.set(entityId, metadataXml);
  };
  // latchkey's metadata says WantAssertionsSigned; `wantMessageSigned` has samlify sign the Response as well.
  const serviceProvider = (metadata) => ServiceProvider({ metadata, wantMessageSigned: true });

  async function sso(req, res, url) {
    const rawQuery = url.search.slice(1);
    const query = Object.fromEntries(url.searchParams);
    const requestXml = inflateRawSync(Buffer.from(query.SAMLRequest, 'base64')).toString('utf8');
    control.requests.push({ xml: requestXml, query });
    const issuer = /<(?:\w+:)?Issuer[^>]*>([^<]+)</.exec(requestXml)?.[1];
    const metadata = serviceProviders.get(issuer);
    if (!metadata) {
      res.writeHead(400).end(`unknown service provider ${issuer}`);
      return;
    }
    // The signature of a Redirect request covers the query as sent, without `Signature`.
    const octetString = rawQuery.split('&').filter((pair) => !pair.startsWith('Signature=')).join('&');
    const info = await idp.parseLoginRequest(serviceProvider(metadata), 'redirect', { query, octetString });
    const uid = randomUUID();
    pending.set(uid, { info, relayState: query.RelayState ?? '', metadata });
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><title>Corp sign-in</title><form method="post" action="/login">
      <input type="hidden" name="uid" value="${uid}">
      <label>User <input name="username" autofocus></label>
      <label>Password <input name="password" type="password"></label>
      <button id="login" type="submit">Sign in</button></form>`);
  }

  async function login(req, res) {
    const form = new URLSearchParams(await readBody(req));
    const started = pending.get(form.get('uid'));
    pending.delete(form.get('uid'));
    if (!started) {
      res.writeHead(400).end('no such sign-in');
      return;
    }
    const name = form.get('username');
    const account = control.accounts[name] ?? { email: `${name}@corp.example`, email_verified: 'true' };
    const sp = serviceProvider(started.metadata);
    const acs = sp.entityMeta.getAssertionConsumerService('post');
    const now = new Date();
    const later = new Date(now.getTime() + 5 * 60_000).toISOString();
    const values = {
      ID: `_${randomUUID()}`,
      AssertionID: `_${randomUUID()}`,
      Destination: acs,
      Audience: sp.entityMeta.getEntityID(),
      SubjectRecipient: acs,
      Issuer: idp.entityMeta.getEntityID(),
      IssueInstant: now.toISOString(),
      StatusCode: 'urn:oasis:names:tc:SAML:2.0:status:Success',
      ConditionsNotBefore: now.toISOString(),
      ConditionsNotOnOrAfter: later,
      SubjectConfirmationDataNotOnOrAfter: later,
      NameIDFormat: Constants.namespace.format.emailAddress,
      NameID: account.email,
      InResponseTo: started.info.extract.request.id,
      AuthnStatement: '',
      ...control.overrides,
    };
    const customTagReplacement = (template) => ({
      id: values.ID,
      context: template.replace(/\{(\w+)\}/g, (_, tag) => (tag === 'AttributeStatement'
        ? attributeStatement(account)
        : escapeXml(values[tag] ?? ''))),
    });
    const { context, entityEndpoint } = await idp.createLoginResponse(sp, started.info, 'post', account,
      { customTagReplacement });
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><title>Returning</title><body onload="document.forms[0].submit()">
      <form method="post" action="${escapeXml(entityEndpoint)}">
      <input type="hidden" name="SAMLResponse" value="${escapeXml(context)}">
      <input type="hidden" name="RelayState" value="${escapeXml(started.relayState)}">
      <noscript><button type="submit">Continue</button></noscript></form></body>`);
  }

  server.on('request', (req, res) => {
    const url = new URL(req.url, base);
    const handle = async () => {
      if (req.method === 'GET' && url.pathname === '/metadata') {
        res.writeHead(200, { 'Content-Type': 'application/samlmetadata+xml' }).end(idp.getMetadata());
      } else if (req.method === 'GET' && url.pathname === '/sso') {
        await sso(req, res, url);
      } else if (req.method === 'POST' && url.pathname === '/login') {
        await login(req, res);
      } else {
        res.writeHead(404).end();
      }
    };
    handle().catch((err) => {
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain' });
      res.end(String(err?.stack ?? err));
    });
  });
  control.stop = () => new Promise((resolve) => server.close(resolve));
  return control;
}

// The form an identity provider's answer page posts: { action, SAMLResponse, RelayState }.
export function postedForm(html) {
  const unescape = (text) => text?.replace(/&#(\d+);/g, (_, code) => String.fromCharCode(Number(code)));
  const value = (name) => unescape(new RegExp(`name="${name}" value="([^"]*)"`).exec(html)?.[1]);
  return {
    action: unescape(/<form method="post" action="([^"]+)"/.exec(html)?.[1]),
    SAMLResponse: value('SAMLResponse'),
    RelayState: value('RelayState'),
  };
}
