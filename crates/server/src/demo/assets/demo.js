// The demo page's ceremony. Registration goes through /demo/registration/*, which adds the
// tenant's API key on the server; the login calls the Hanko passkey-server API directly, as a
// web app's front end does, and passes the login's signals on (signal.js). Nothing here is
// kept: each run shows what the server answered.
'use strict';

const tenant = document.body.dataset.tenant;
const api = `/${tenant}`;

const $ = (id) => document.getElementById(id);

// ---- base64url, for browsers without the WebAuthn JSON helpers ----

function bytesFromBase64url(text) {
  const base64 = text.replace(/-/g, '+').replace(/_/g, '/');
  const padded = base64 + '==='.slice((base64.length + 3) % 4);
  return Uint8Array.from(atob(padded), (char) => char.charCodeAt(0));
}

function base64urlFromBytes(buffer) {
  let binary = '';
  for (const byte of new Uint8Array(buffer)) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function textFromBase64url(text) {
  return new TextDecoder().decode(bytesFromBase64url(text));
}

// latchkey answers options as {"publicKey": {...}} with base64url byte fields.
function creationOptions(json) {
  if (PublicKeyCredential.parseCreationOptionsFromJSON) {
    return PublicKeyCredential.parseCreationOptionsFromJSON(json);
  }
  return {
    ...json,
    challenge: bytesFromBase64url(json.challenge),
    user: { ...json.user, id: bytesFromBase64url(json.user.id) },
    excludeCredentials: (json.excludeCredentials || []).map((c) => ({ ...c, id: bytesFromBase64url(c.id) })),
  };
}

function requestOptions(json) {
  if (PublicKeyCredential.parseRequestOptionsFromJSON) {
    return PublicKeyCredential.parseRequestOptionsFromJSON(json);
  }
  return {
    ...json,
    challenge: bytesFromBase64url(json.challenge),
    allowCredentials: (json.allowCredentials || []).map((c) => ({ ...c, id: bytesFromBase64url(c.id) })),
  };
}

function credentialJson(credential) {
  if (typeof credential.toJSON === 'function') return credential.toJSON();
  const answer = credential.response;
  const response = { clientDataJSON: base64urlFromBytes(answer.clientDataJSON) };
  if (answer.attestationObject) {
    response.attestationObject = base64urlFromBytes(answer.attestationObject);
    response.transports = answer.getTransports ? answer.getTransports() : [];
  } else {
    response.authenticatorData = base64urlFromBytes(answer.authenticatorData);
    response.signature = base64urlFromBytes(answer.signature);
    if (answer.userHandle) response.userHandle = base64urlFromBytes(answer.userHandle);
  }
  return {
    id: credential.id,
    rawId: base64urlFromBytes(credential.rawId),
    type: credential.type,
    response,
    authenticatorAttachment: credential.authenticatorAttachment || undefined,
    clientExtensionResults: credential.getClientExtensionResults(),
  };
}

// ---- what the page shows ----

class Refused extends Error {
  constructor(message, answer) {
    super(message);
    this.answer = answer;
  }
}

function step(text) {
  const item = document.createElement('li');
  item.textContent = text;
  $('steps').append(item);
}

function signalled(lines) {
  for (const line of lines) {
    const item = document.createElement('li');
    item.textContent = line;
    $('signals').append(item);
  }
  $('signals-block').hidden = $('signals').children.length === 0;
}

function begin(what) {
  $('steps').replaceChildren();
  $('signals').replaceChildren();
  $('signals-block').hidden = true;
  $('details').hidden = true;
  $('result').dataset.outcome = 'busy';
  $('status').classList.remove('error');
  $('status').textContent = `${what}…`;
  for (const button of document.querySelectorAll('button')) button.disabled = true;
}

function finish() {
  for (const button of document.querySelectorAll('button')) button.disabled = false;
}

function fail(error) {
  $('result').dataset.outcome = 'error';
  $('status').textContent = explain(error);
  $('status').classList.add('error');
}

// What a person can do about a failure, in words.
function explain(error) {
  if (error instanceof Refused) return error.message;
  switch (error && error.name) {
    case 'NotAllowedError':
      return 'The passkey dialog was closed, timed out, or found no passkey for this site. Nothing was sent to the server.';
    case 'InvalidStateError':
      return 'This authenticator already holds a passkey for this user.';
    case 'SecurityError':
      return 'The browser refused the ceremony for this address. Open the page as http://localhost (not 127.0.0.1): passkeys are bound to the name localhost.';
    case 'NotSupportedError':
      return 'This browser or authenticator does not support the passkey this server asks for.';
    default:
      return `Something went wrong: ${error && error.message ? error.message : error}`;
  }
}

// POSTs JSON and returns the answer's JSON; a refusal becomes a Refused with the server's words.
async function post(path, body) {
  const response = await fetch(path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  step(`POST ${path} → ${response.status}`);
  if (!response.ok) {
    const title = json && json.title ? json.title : text || response.statusText;
    const details = json && json.details ? `: ${json.details}` : '';
    throw new Refused(`The server answered ${response.status}, ${title}${details}.`, json);
  }
  return json;
}

const ALGORITHMS = {
  RS256: { importAs: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, verifyAs: { name: 'RSASSA-PKCS1-v1_5' } },
  ES256: { importAs: { name: 'ECDSA', namedCurve: 'P-256' }, verifyAs: { name: 'ECDSA', hash: 'SHA-256' } },
  EdDSA: { importAs: { name: 'Ed25519' }, verifyAs: { name: 'Ed25519' } },
};

// Checks the token's signature with the tenant's published keys, as a back end would.
async function checkSignature(token, header) {
  const algorithm = ALGORITHMS[header.alg];
  if (!algorithm || !crypto.subtle) return `not checked here (${header.alg})`;
  const response = await fetch(`${api}/.well-known/jwks.json`);
  step(`GET ${api}/.well-known/jwks.json → ${response.status}`);
  if (!response.ok) return 'not checked: the key set did not load';
  const { keys } = await response.json();
  const jwk = keys.find((key) => key.kid === header.kid);
  if (!jwk) return `invalid: no key ${header.kid} in the tenant's key set`;
  const key = await crypto.subtle.importKey('jwk', jwk, algorithm.importAs, false, ['verify']);
  const [head, payload, signature] = token.split('.');
  const valid = await crypto.subtle.verify(
    algorithm.verifyAs,
    key,
    bytesFromBase64url(signature),
    new TextEncoder().encode(`${head}.${payload}`),
  );
  return valid
    ? `valid: ${header.alg}, key ${header.kid} of the tenant's key set (/.well-known/jwks.json)`
    : 'INVALID: the signature does not match the tenant\'s key';
}

async function show(outcome, message, { userId, credentialId, token }) {
  const [head, payload] = token.split('.');
  const header = JSON.parse(textFromBase64url(head));
  const claims = JSON.parse(textFromBase64url(payload));
  $('user-id').textContent = userId;
  $('credential-id').textContent = credentialId;
  $('token').textContent = token;
  $('claims').textContent = `${JSON.stringify(header, null, 2)}\n${JSON.stringify(claims, null, 2)}`;
  $('signature').textContent = await checkSignature(token, header);
  $('details').hidden = false;
  $('status').textContent = message;
  $('result').dataset.outcome = outcome;
}

// ---- the two ceremonies ----

async function register(username) {
  if (!window.PublicKeyCredential) throw new Refused('This browser does not support passkeys.');
  const options = await post('/demo/registration/initialize', { username });
  const userId = textFromBase64url(options.publicKey.user.id);
  step('navigator.credentials.create(): your authenticator makes a passkey');
  const credential = await navigator.credentials.create({ publicKey: creationOptions(options.publicKey) });
  const { token } = await post('/demo/registration/finalize', credentialJson(credential));
  await show('registered', `Registered a passkey for ${username}. Now log in with it.`, {
    userId,
    credentialId: credential.id,
    token,
  });
}

async function login() {
  if (!window.PublicKeyCredential) throw new Refused('This browser does not support passkeys.');
  const options = await post(`${api}/login/initialize`);
  step('navigator.credentials.get(): you pick a passkey');
  const credential = await navigator.credentials.get({ publicKey: requestOptions(options.publicKey) });
  const answer = credentialJson(credential);
  let loggedIn;
  try {
    loggedIn = await post(`${api}/login/finalize`, answer);
  } catch (error) {
    if (error instanceof Refused && error.answer) signalled(await signalAfterRefusal(error.answer.signal));
    throw error;
  }
  const userId = answer.response.userHandle ? textFromBase64url(answer.response.userHandle) : '';
  await show('logged-in', 'Logged in with your passkey.', { userId, credentialId: credential.id, token: loggedIn.token });
  signalled(await signalAfterLogin(loggedIn.signal));
}

$('register-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const username = $('username').value.trim();
  if (!username) {
    $('username').focus();
    return;
  }
  begin('Registering');
  register(username).catch(fail).finally(finish);
});

$('login').addEventListener('click', () => {
  begin('Logging in');
  login().catch(fail).finally(finish);
});
