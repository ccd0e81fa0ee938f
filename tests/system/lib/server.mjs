// Starts `latchkey serve` on a fresh database per store and runs the CLI against the same database. The store
// 'development' is no store setting at all: no database URL, no master key, the built-in SQLite file in a fresh, empty
// working directory, as a person's first `latchkey serve` runs.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const BIN = process.env.LATCHKEY_BIN ?? resolve(here, '../../../target/debug/latchkey');
export const STORES = process.env.LATCHKEY_SKIP_POSTGRES === '1' ? ['sqlite'] : ['sqlite', 'postgres'];

const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 10_000;
const CLI_TIMEOUT_MS = 60_000;
const PUBLIC_LINE = /latchkey: public API listening on (http:\/\/\S+)/;
const ADMIN_LINE = /latchkey: admin API listening on (http:\/\/\S+)/;

// Servers and databases still alive if a test file dies without running its `after` hooks.
const live = new Set();
process.on('exit', () => {
  for (const entry of live) entry.abandon();
});
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => process.exit(128 + (signal === 'SIGINT' ? 2 : 15)));
}

function psql(sql) {
  const out = spawnSync('psql', ['-h', '127.0.0.1', '-U', 'postgres', '-v', 'ON_ERROR_STOP=1', '-q', '-c', sql], {
    encoding: 'utf8',
    timeout: CLI_TIMEOUT_MS,
  });
  if (out.status !== 0) throw new Error(`psql ${sql} failed (${out.status}): ${out.stderr || out.error}`);
}

// Settings that would configure an instance, left out of a development instance's environment.
const CONFIGURING = ['LATCHKEY_DATABASE_URL', 'LATCHKEY_MASTER_KEY', 'LATCHKEY_MASTER_KEY_FILE'];

function freshDatabase(store) {
  if (store === 'development') {
    const dir = mkdtempSync(join(tmpdir(), 'latchkey-dev-'));
    return {
      url: undefined,
      dir,
      env: {},
      drop: () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  if (store === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'latchkey-sys-'));
    return {
      url: `sqlite://${join(dir, 'latchkey.db')}`,
      env: {},
      drop: () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  if (store === 'postgres') {
    const name = `latchkey_sys_${randomBytes(6).toString('hex')}`;
    psql(`CREATE DATABASE ${name}`);
    return {
      url: `postgres://postgres@127.0.0.1:5432/${name}`,
      env: { LATCHKEY_MASTER_KEY: randomBytes(32).toString('base64url') },
      drop: () => psql(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
    };
  }
  throw new Error(`unknown store ${store}`);
}

function launch(env, log, wrapper, { cwd, args: extraArgs }) {
  const [command, ...args] = [...wrapper, BIN, ...extraArgs, 'serve'];
  const child = spawn(command, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise((resolveExit) => child.once('exit', (code, signal) => resolveExit({ code, signal })));
  const urls = new Promise((resolveUrls, reject) => {
    let publicUrl;
    let adminUrl;
    let pending = '';
    const timer = setTimeout(() => reject(new Error(`latchkey serve printed no listen lines within ${START_TIMEOUT_MS} ms`)),
      START_TIMEOUT_MS);
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk) => {
      log.push(chunk);
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop();
      for (const line of lines) {
        publicUrl ??= PUBLIC_LINE.exec(line)?.[1];
        adminUrl ??= ADMIN_LINE.exec(line)?.[1];
      }
      if (publicUrl && adminUrl) {
        clearTimeout(timer);
        resolveUrls({ publicUrl, adminUrl });
      }
    });
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`latchkey serve exited early (code ${code}, signal ${signal})`));
    });
  });
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk) => log.push(chunk));
  return { child, exited, urls };
}

async function waitReady(adminUrl, deadline) {
  let last = 'no answer';
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`${adminUrl}/health/ready`);
      const body = await res.text();
      if (res.status === 200 && JSON.parse(body).ready === true) return;
      last = `${res.status} ${body}`;
    } catch (err) {
      last = err.message;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${adminUrl}/health/ready never became ready: ${last}`);
}

async function terminate(proc) {
  if (proc.child.exitCode !== null || proc.child.signalCode !== null) return;
  proc.child.kill('SIGTERM');
  const timedOut = Symbol('timeout');
  let timer;
  const outcome = await Promise.race([
    proc.exited,
    new Promise((r) => { timer = setTimeout(() => r(timedOut), STOP_TIMEOUT_MS); }),
  ]);
  clearTimeout(timer);
  if (outcome === timedOut) {
    proc.child.kill('SIGKILL');
    await proc.exited;
    throw new Error(`latchkey serve did not stop within ${STOP_TIMEOUT_MS} ms of SIGTERM`);
  }
}

// `env` adds to or overrides the server's environment (and the CLI's); `args` go before `serve` and before the CLI's
// own arguments (e.g. ['--config', file]); `cwd` is where the server and the CLI run (for 'development', the fresh
// directory, also offered as `dir`); `wrapper` is a command line the server runs under
// (e.g. ['prlimit', '--nofile=256:4096', '--']); `postgresPort` is where the server reaches PostgreSQL instead of 5432,
// e.g. a proxy the test owns (the CLI, `databaseUrl` and the test's own SQL still go to 5432: the CLI runs while the
// test process waits for it, so a proxy in that process could not forward for it). The result also
// offers `log()` (everything the server printed), `restart()` (same database, new process), `crash()` (SIGKILL, database
// kept), `exited` (resolves with {code, signal}) and `pid`.
export async function startServer(store, { env: extraEnv = {}, wrapper = [], postgresPort, args = [], cwd } = {}) {
  const db = freshDatabase(store);
  const serverUrl = postgresPort === undefined ? db.url : db.url.replace(':5432/', `:${postgresPort}/`);
  const inherited = { ...process.env };
  if (db.url === undefined) {
    for (const name of CONFIGURING) delete inherited[name];
  }
  const workDir = cwd ?? db.dir;
  const env = {
    ...inherited,
    ...(serverUrl === undefined ? {} : { LATCHKEY_DATABASE_URL: serverUrl }),
    LATCHKEY_LISTEN: '127.0.0.1:0',
    LATCHKEY_ADMIN_LISTEN: '127.0.0.1:0',
    // The log is read from a pipe and pasted into failure messages: no colour codes.
    NO_COLOR: '1',
    // The suites send more failing finishes and keyless starts from one address than any real client; the rate limits
    // are tested with their own settings (hardening-rate-limits.test.mjs), so the others run without them.
    LATCHKEY_RATE_LIMIT_STARTS_PER_ADDRESS: '0',
    LATCHKEY_RATE_LIMIT_STARTS_PER_TENANT: '0',
    LATCHKEY_RATE_LIMIT_FAILURES_PER_ADDRESS: '0',
    LATCHKEY_RATE_LIMIT_FAILURES_PER_TENANT: '0',
    ...db.env,
    ...extraEnv,
  };
  const log = [];
  let proc;
  let dropped = false;
  const entry = {
    abandon() {
      proc?.child.kill('SIGKILL');
      if (!dropped) {
        dropped = true;
        try { db.drop(); } catch { /* best effort while the process exits */ }
      }
    },
  };
  live.add(entry);

  const server = {
    store,
    databaseUrl: db.url,
    dir: db.dir,
    env,
    publicUrl: undefined,
    adminUrl: undefined,
    get exited() { return proc.exited; },
    get pid() { return proc.child.pid; },
    log: () => log.join(''),
    cli(cliArgs, { input } = {}) {
      const out = spawnSync(BIN, [...args, ...cliArgs], {
        // Only the proxy's port differs: a database named by `env` (e.g. a file on a test's own mount) is the CLI's too.
        env: postgresPort === undefined ? env : { ...env, LATCHKEY_DATABASE_URL: db.url },
        cwd: workDir,
        encoding: 'utf8',
        timeout: CLI_TIMEOUT_MS,
        input,
      });
      if (out.error) throw out.error;
      return { status: out.status, stdout: out.stdout, stderr: out.stderr };
    },
    async start() {
      proc = launch(env, log, wrapper, { cwd: workDir, args });
      try {
        Object.assign(server, await proc.urls);
        await waitReady(server.adminUrl, Date.now() + START_TIMEOUT_MS);
      } catch (err) {
        proc.child.kill('SIGKILL');
        throw new Error(`${err.message}\n--- latchkey serve output ---\n${server.log()}`);
      }
    },
    async restart() {
      await terminate(proc);
      await server.start();
    },
    // Stops the process (SIGTERM, as a deployment does) and keeps the database for a later start().
    async halt() {
      await terminate(proc);
    },
    // Kills the process at once (SIGKILL: no shutdown, open transactions cut off) and keeps the database for a later
    // start(); resolves once it is gone.
    async crash() {
      proc.child.kill('SIGKILL');
      await proc.exited;
    },
    async stop() {
      live.delete(entry);
      try {
        if (proc) await terminate(proc);
      } finally {
        if (!dropped) {
          dropped = true;
          db.drop();
        }
      }
    },
  };
  try {
    await server.start();
  } catch (err) {
    await server.stop().catch(() => {});
    throw err;
  }
  return server;
}

export async function createTenant(server, { name = 't', rpId = 'localhost', origins = ['http://localhost:8080'] } = {}) {
  // `=` form so that a value starting with '-' stays a value.
  const args = ['tenant', 'create', `--name=${name}`, `--rp-id=${rpId}`, ...origins.map((o) => `--origin=${o}`)];
  const out = server.cli(args);
  if (out.status !== 0) {
    throw new Error(`latchkey ${args.join(' ')} exited ${out.status}\nstdout: ${out.stdout}\nstderr: ${out.stderr}`);
  }
  let created;
  try {
    created = JSON.parse(out.stdout);
  } catch {
    throw new Error(`latchkey tenant create printed no JSON: ${JSON.stringify(out.stdout)}`);
  }
  if (typeof created.id !== 'string' || typeof created.api_key !== 'string') {
    throw new Error(`latchkey tenant create printed unexpected JSON: ${out.stdout}`);
  }
  return { id: created.id, api_key: created.api_key };
}

// Wraps a test body so that a failure carries the server's output in its message (node:test prints the message).
export function withServerLog(getServer, fn) {
  return async (...args) => {
    try {
      return await fn(...args);
    } catch (err) {
      const server = typeof getServer === 'function' ? getServer() : getServer;
      const log = server?.log?.() ?? '';
      if (err instanceof Error && log) {
        err.message += `\n--- latchkey serve output (${server.store}) ---\n${log}`;
      }
      throw err;
    }
  };
}
