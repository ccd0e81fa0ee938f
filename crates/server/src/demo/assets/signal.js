// WebAuthn's signal methods (Chromium 132 and later): after a login the page tells the browser's
// passkey provider which passkeys latchkey still holds for the user and what the user is called
// now; after a login with a passkey latchkey no longer holds, that it is gone. The provider then
// hides or removes passkeys that can no longer log in and shows the current names. latchkey's
// answers carry the options ready to pass on (`signal`). Where a method is missing, nothing is
// signalled.
'use strict';

// Calls PublicKeyCredential[method](options) where the browser has it; answers a line for the
// page saying what happened.
async function signalPasskeyProvider(method, options) {
  if (typeof window.PublicKeyCredential === 'undefined' || typeof PublicKeyCredential[method] !== 'function') {
    return `${method}: not supported by this browser, nothing signalled`;
  }
  try {
    await PublicKeyCredential[method](options);
    return `${method}(${JSON.stringify(options)})`;
  } catch (error) {
    return `${method}: refused by the browser (${error.name}: ${error.message})`;
  }
}

// After a login: the answer's `signal` holds the options of both methods for the user.
async function signalAfterLogin(signal) {
  if (!signal) return [];
  return [
    await signalPasskeyProvider('signalAllAcceptedCredentials', signal.allAcceptedCredentials),
    await signalPasskeyProvider('signalCurrentUserDetails', signal.currentUserDetails),
  ];
}

// After a refused login: a `signal` with `unknownCredential` means latchkey holds no passkey
// with the id the browser offered.
async function signalAfterRefusal(signal) {
  if (!signal || !signal.unknownCredential) return [];
  return [await signalPasskeyProvider('signalUnknownCredential', signal.unknownCredential)];
}
