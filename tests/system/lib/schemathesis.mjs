// Runs schemathesis (pinned in tests/system/requirements.txt, installed into tests/system/.venv
// by ./run) against a live latchkey with one of its committed OpenAPI documents. The checks are
// the two rules: no answer is a server error, and every answer is one the document
// describes (status, content type, body schema).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const ST = resolve(here, '../.venv/bin/st');
export const OPENAPI_DIR = resolve(here, '../../../docs/openapi');

export const CHECKS = [
  'not_a_server_error',
  'status_code_conformance',
  'content_type_conformance',
  'response_schema_conformance',
];

// Examples per operation in the test command; `LATCHKEY_SCHEMATHESIS_EXAMPLES` raises it for the
// longer run by hand (docs/testing.md).
export const MAX_EXAMPLES = Number(process.env.LATCHKEY_SCHEMATHESIS_EXAMPLES ?? 25);

const tomlString = (value) => JSON.stringify(String(value));

/**
 * Fuzzes `document` (a file name under docs/openapi) against `baseUrl`.
 * `headers`: sent with every request (e.g. `{ apiKey }`); `parameters`: fixed values for named
 * parameters, keyed as schemathesis's config wants them (`'path.tenant_id': id`); `apiKeys`:
 * values of the document's apiKey security schemes by scheme name, sent only to the operations
 * that declare the scheme; `env`: added to schemathesis's environment (e.g. `SCHEMATHESIS_HOOKS`).
 * Resolves to `{ code, output }`; the caller asserts `code === 0` and shows `output` otherwise.
 */
export async function schemathesis(document, baseUrl, { headers = {}, parameters = {}, apiKeys = {}, env = {}, seed = 1, maxExamples = MAX_EXAMPLES, extraArgs = [] } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'latchkey-st-'));
  try {
    const config = ['[parameters]', ...Object.entries(parameters).map(([k, v]) => `${tomlString(k)} = ${tomlString(v)}`)];
    for (const [scheme, key] of Object.entries(apiKeys)) {
      config.push(`[auth.openapi.${tomlString(scheme)}]`, `api_key = ${tomlString(key)}`);
    }
    writeFileSync(join(dir, 'schemathesis.toml'), `${config.join('\n')}\n`);
    const args = [
      '--config-file', join(dir, 'schemathesis.toml'),
      'run', join(OPENAPI_DIR, document),
      '--url', baseUrl,
      '--checks', CHECKS.join(','),
      '--max-examples', String(maxExamples),
      '--seed', String(seed),
      '--workers', '1',
      '--request-timeout', '30',
      '--no-color',
      ...Object.entries(headers).flatMap(([name, value]) => ['-H', `${name}: ${value}`]),
      ...extraArgs,
    ];
    return await new Promise((resolveRun, reject) => {
      const child = spawn(ST, args, { cwd: dir, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      child.stdout.on('data', (chunk) => { output += chunk; });
      child.stderr.on('data', (chunk) => { output += chunk; });
      child.once('error', reject);
      child.once('exit', (code) => resolveRun({ code, output }));
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
