// Where browser tests leave what a person looks at after a run: screenshots of the page each test ends on, in
// $LATCHKEY_ARTIFACTS/<directory>/ (default: tests/system/artifacts/, ignored by git).
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const DIR = process.env.LATCHKEY_ARTIFACTS ?? resolve(here, '..', 'artifacts');

// The path for an artifact called `name` (e.g. `console-tenants-sqlite.png`) in `directory`, its directory made.
export function artifactPath(name, directory = '') {
  const folder = join(DIR, directory);
  mkdirSync(folder, { recursive: true });
  return join(folder, name);
}

// Saves a full-page screenshot of `page` as `name` (in `directory`) and returns its path.
export async function screenshot(page, name, directory = '') {
  const path = artifactPath(name, directory);
  await page.screenshot({ path, fullPage: true });
  return path;
}
