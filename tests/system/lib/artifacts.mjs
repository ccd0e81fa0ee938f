// Where browser tests leave what a person looks at after a run: screenshots of the page each test ends on.
// tests/system/artifacts/ (ignored by git) unless LATCHKEY_ARTIFACTS_DIR names another directory; CI keeps it.
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const DIR = process.env.LATCHKEY_ARTIFACTS_DIR ?? resolve(here, '..', 'artifacts');

// The path for an artifact called `name` (e.g. `console-tenants-sqlite.png`), its directory made.
export function artifactPath(name) {
  mkdirSync(DIR, { recursive: true });
  return join(DIR, name);
}

// Saves a full-page screenshot of `page` as `name` and returns its path.
export async function screenshot(page, name) {
  const path = artifactPath(name);
  await page.screenshot({ path, fullPage: true });
  return path;
}
