// A real OpenID provider for the third-party sign-in tests: panva's `oidc-provider` (OpenID Certified), with its
// development login and consent pages, PKCE required, the email claims in the ID token, and accounts whose address
// and verification a test sets. It runs in this process on a loopback port behind a thin pass-through of the test's
// own, which can forge what the provider says (an ID token whose signature was altered) so that latchkey's refusal
// of it is tested against an otherwise real exchange, or hold back the redirects to latchkey's callback so that a
// test can replay and alter them.
import { createServer } from 'node:http';

import Provider from 'oidc-provider';

export const CLIENT_ID = 'latchkey';
export const CLIENT_SECRET = 'latchkey-test-secret';

// Alters one character in the middle of the JWS signature: still base64url, no longer the provider's signature.
function forge(idToken) {
  const [header, payload, signature] = idToken.split('.');
  const i = Math.floor(signature.length / 2);
  const swapped = signature[i] === 'A' ? 'B' : 'A';
  return `${header}.${payload}.${signature.slice(0, i)}${swapped}${signature.slice(i + 1)}`;
}

// Starts the provider. `redirectUris` are latchkey's callbacks (one per tenant); `accounts` maps a login name to
// { email, email_verified } (default: `<login>@example.test`, verified) and may be changed while the provider runs.
// Returns { issuer, accounts, forgeIdTokens (set true to forge), holdCallbacks (set true to answer the provider's
// redirects to a callback with a page instead), held (the callback URLs held back, oldest first), stop() }.
export async function startOidcProvider({ redirectUris, accounts = {} }) {
  const control = { forgeIdTokens: false, holdCallbacks: false, held: [], accounts };
  const toCallback = (location) => redirectUris.some((uri) => location?.startsWith(`${uri}?`));
  const server = createServer();
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, {
    clients: [{
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
      redirect_uris: redirectUris,
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    }],
    pkce: { required: () => true },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    // The address in the ID token itself, as Google's and Apple's tokens carry it.
    conformIdTokenClaims: false,
    features: { devInteractions: { enabled: true } },
    cookies: { keys: ['latchkey-system-test-cookie-key'] },
    ttl: { AccessToken: 600, AuthorizationCode: 60, IdToken: 600, Interaction: 600, Session: 600, Grant: 600 },
    async findAccount(ctx, sub) {
      return {
        accountId: sub,
        async claims() {
          const account = control.accounts[sub] ?? { email: `${sub}@example.test`, email_verified: true };
          return { sub, name: sub, ...account };
        },
      };
    },
  });
  const handle = provider.callback();
  server.on('request', (req, res) => {
    if (control.forgeIdTokens && req.method === 'POST' && req.url.startsWith('/token')) {
      // Koa sets its headers and then calls end(body) once: the body can be changed there.
      const end = res.end.bind(res);
      res.end = (chunk, ...rest) => {
        const answer = JSON.parse(Buffer.from(chunk).toString('utf8'));
        if (answer.id_token) answer.id_token = forge(answer.id_token);
        const body = JSON.stringify(answer);
        res.setHeader('Content-Length', Buffer.byteLength(body));
        return end(body, ...rest);
      };
    }
    if (control.holdCallbacks) {
      const end = res.end.bind(res);
      res.end = (...args) => {
        const location = res.getHeader('location');
        if (res.statusCode >= 300 && res.statusCode < 400 && toCallback(location)) {
          control.held.push(location);
          res.statusCode = 200;
          res.removeHeader('Location');
          res.setHeader('Content-Type', 'text/plain');
          res.setHeader('Content-Length', 4);
          return end('held');
        }
        return end(...args);
      };
    }
    handle(req, res);
  });
  return {
    issuer,
    get forgeIdTokens() { return control.forgeIdTokens; },
    set forgeIdTokens(value) { control.forgeIdTokens = value; },
    get holdCallbacks() { return control.holdCallbacks; },
    set holdCallbacks(value) { control.holdCallbacks = value; },
    held: control.held,
    accounts: control.accounts,
    stop: () => new Promise((resolve) => server.close(resolve)),
  };
}

// Signs `login` in at the provider in a browser page that is on the provider's login page: the development
// interaction's login form, then its consent (`prompt=consent` asks every time).
export async function signInAtProvider(page, login) {
  await page.locator('input[name="login"]').fill(login);
  await page.locator('input[name="password"]').fill('any password');
  await page.locator('button[type="submit"]').click();
  await page.locator('h1', { hasText: 'Authorize' }).waitFor();
  await page.locator('button[type="submit"]').click();
}
