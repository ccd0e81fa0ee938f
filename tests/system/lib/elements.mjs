// The hanko-elements 0.12 test page and the Chromium helpers of the tests that drive it: the page server (the page,
// the elements' dist files from node_modules, README.md's example page), browser tabs with a CDP virtual
// authenticator, the elements' selectors (open shadow roots, `part` attributes, the English texts of dist/i18n/en.js),
// the SDK events the page records, and screenshots saved as artifacts (lib/artifacts.mjs) under hanko-elements/.
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { screenshot as saveScreenshot } from './artifacts.mjs';
import { addVirtualAuthenticator } from './chromium.mjs';

const here = join(dirname(fileURLToPath(import.meta.url)), '..');
const PAGE = readFileSync(join(here, 'hanko-browser', 'index.html'));
export const ELEMENTS_URL = '/node_modules/@teamhanko/hanko-elements/dist/';
// The example page of README.md's "Hanko Public API" section, which must keep working.
const README_PAGE = (() => {
  const readme = readFileSync(join(here, '..', '..', 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Hanko Public API'));
  const page = /```html\n([\s\S]*?)```/.exec(section)?.[1];
  if (!page?.includes('"http://localhost:8000/<tenant uuid>"')) {
    throw new Error('README.md: the Hanko Public API section has no example page with the placeholder API');
  }
  return page;
})();
export const ELEMENTS_DIR = join(here, 'node_modules', '@teamhanko', 'hanko-elements');
// Plain pages for redirects to land on (the third-party sign-in tests).
const LANDINGS = new Set(['/landing', '/error', '/login']);
const DIST_FILE = /^[\w-]+(\/[\w-]+)*\.js$/; // no `..`, no other kinds of file

// Serves the page and the elements' dist files (the bundle imports nothing else).
export async function startPageServer() {
  const server = createServer((req, res) => {
    const { pathname } = new URL(req.url, 'http://x');
    if (req.method !== 'GET') {
      res.writeHead(405).end();
    } else if (pathname === '/') {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
      res.end(PAGE);
    } else if (pathname.startsWith(ELEMENTS_URL) && DIST_FILE.test(pathname.slice(ELEMENTS_URL.length))) {
      readFile(join(ELEMENTS_DIR, 'dist', pathname.slice(ELEMENTS_URL.length))).then(
        (body) => res.writeHead(200, { 'Content-Type': 'text/javascript; charset=utf-8' }).end(body),
        () => res.writeHead(404).end(),
      );
    } else if (pathname === '/readme') {
      // README.md's minimal page, with its placeholder API replaced by the test's.
      const api = new URL(req.url, 'http://x').searchParams.get('api');
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
      res.end(README_PAGE.replace('"http://localhost:8000/<tenant uuid>"', JSON.stringify(api)));
    } else if (LANDINGS.has(pathname)) {
      // Where third-party sign-ins return: a page that loads, whatever its query.
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
      res.end(`<!doctype html><title>${pathname.slice(1)}</title><p>${pathname.slice(1)}</p>`);
    } else if (pathname === '/favicon.ico') {
      res.writeHead(204).end();
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return { server, origin: `http://localhost:${server.address().port}` };
}

export const closeServer = (server) => new Promise((resolve) => (server ? server.close(resolve) : resolve()));

export const pageUrl = (origin, apiBase, view = 'auth') =>
  `${origin}/?view=${view}&api=${encodeURIComponent(apiBase)}`;

// The same listener, addressed by name: same-site with the page.
export const onLocalhost = (url) => {
  const u = new URL(url);
  u.hostname = 'localhost';
  return u.origin;
};

// A browser context of its own (cookies, localStorage) with a platform authenticator that says yes.
export async function openTab(browser, log, name) {
  const context = await browser.newContext();
  // Generous: a debug build hashes passcodes and passwords with bcrypt cost 12.
  context.setDefaultTimeout(30_000);
  const page = await context.newPage();
  const tag = (line) => log.push(`[${name}] ${line}`);
  page.on('console', (msg) => tag(`[${msg.type()}] ${msg.text()}`));
  page.on('pageerror', (err) => tag(`[pageerror] ${err.message}`));
  page.on('requestfailed', (req) => tag(`[requestfailed] ${req.method()} ${req.url()} ${req.failure()?.errorText}`));
  page.on('response', (res) => {
    if (res.status() >= 400) tag(`[response] ${res.request().method()} ${res.url()} -> ${res.status()}`);
  });
  const { cdp, authenticatorId } = await addVirtualAuthenticator(context, page);
  return { context, page, cdp, authenticatorId };
}

export const escapeRegExp = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
export const exactly = (text) => new RegExp(`^\\s*${escapeRegExp(text)}\\s*$`);

export const authElement = (page) => page.locator('hanko-auth');
export const profileElement = (page) => page.locator('hanko-profile');
export const headline = (root, text) => root.locator('[part="headline1"]', { hasText: exactly(text) }).waitFor();
// Buttons and the elements' links (also <button part="link">), by their English label.
export const button = (root, name) => root.getByRole('button', { name, exact: true });
export const errorText = (root, text) => root.locator('[part="error-text"]', { hasText: exactly(text) }).waitFor();

// The next response of the page to `method` on a path ending in `path` (string) or matching it (RegExp).
export function response(page, method, path) {
  return page.waitForResponse((res) => {
    if (res.request().method() !== method) return false;
    const { pathname } = new URL(res.url());
    return typeof path === 'string' ? pathname.endsWith(path) : path.test(pathname);
  });
}

// Runs `action`, then waits for the SDK event `type` announced after it (see window.hankoEvents on the page).
export async function expectEvent(page, type, action) {
  const seen = await page.evaluate(() => window.hankoEvents.length);
  await action();
  const found = await page.waitForFunction(
    ([wanted, from]) => window.hankoEvents.slice(from).find((e) => e.type === wanted) ?? false,
    [type, seen],
  );
  return found.jsonValue();
}

// The six passcode inputs move the focus along as digits are typed and submit on the sixth.
export async function enterPasscode(root, page, code) {
  await headline(root, 'Enter passcode');
  await root.locator('input[name="passcode0"]').click();
  await page.keyboard.type(code, { delay: 30 });
}

// The accordions of <hanko-profile>: a radio input `<name>-<index>`, its label, then the item's content.
export async function accordionId(root, name, text) {
  return root.locator(`label[for^="${name}-"]`, { hasText: text }).getAttribute('for');
}

export async function openAccordion(root, id) {
  if (!(await root.locator(`input[id="${id}"]`).isChecked())) await root.locator(`label[for="${id}"]`).click();
  return root.locator(`input[id="${id}"] ~ div`);
}

// The elements' "dangerous" links ask "yes / no" first.
export async function confirmDangerous(scope, name) {
  await button(scope, name).click();
  await button(scope, 'yes').click();
}

export async function screenshot(page, name, directory = 'hanko-elements') {
  // The elements fade and slide (0.35 s transitions); let the last screen settle.
  await new Promise((resolve) => setTimeout(resolve, 500));
  return saveScreenshot(page, `${name}.png`, directory);
}

export const slug = (text) => text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 60);

