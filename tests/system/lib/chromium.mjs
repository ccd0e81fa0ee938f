// Debian's Chromium driven by playwright-core, and the CDP virtual authenticator every browser test registers with.
import { chromium } from 'playwright-core';

const CHROMIUM = process.env.LATCHKEY_CHROMIUM ?? '/usr/bin/chromium';

// The browser, with the arguments a root user in a container needs; `options` adds to playwright's launch options.
export const launchChromium = (options = {}) =>
  chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'], ...options });

// A platform authenticator that holds passkeys, verifies the user and says yes by itself; `options` overrides any of
// CDP's `VirtualAuthenticatorOptions` (e.g. the backup flags).
export async function addVirtualAuthenticator(context, page, options = {}) {
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
      ...options,
    },
  });
  return { cdp, authenticatorId };
}

// Wraps a test body so that a failure carries what the browser's console and the server said. `server()` answers the
// running latchkey (started in a hook, after the wrapper is made).
export const withBrowserLog = (browserLog, server, store) => (fn) => async (...args) => {
  try {
    return await fn(...args);
  } catch (err) {
    if (err instanceof Error) {
      err.message += `\n--- browser console ---\n${browserLog.join('\n')}`
        + `\n--- latchkey serve output (${store}) ---\n${server()?.log() ?? ''}`;
    }
    throw err;
  }
};
