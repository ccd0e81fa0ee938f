// Helpers of the hardening tests (tests/system/hardening-*.test.mjs): SQL on the server's own database, the audit log,
// raw sockets and polling.
import { spawnSync } from 'node:child_process';
import { connect } from 'node:net';
import { api } from './http.mjs';

// Runs one SQL statement on the server's database (sqlite3 or psql) and returns its output. `maintenance` runs it on
// PostgreSQL's `postgres` database instead, for statements about the server's database.
export function sql(server, statement, { maintenance = false } = {}) {
  const database = maintenance ? 'postgres' : new URL(server.databaseUrl).pathname.slice(1);
  const [command, args] = server.store === 'sqlite'
    ? ['sqlite3', [server.databaseUrl.replace(/^sqlite:\/\//, ''), statement]]
    : ['psql', ['-h', '127.0.0.1', '-U', 'postgres', '-d', database, '-At',
      '-v', 'ON_ERROR_STOP=1', '-c', statement]];
  const out = spawnSync(command, args, { encoding: 'utf8', timeout: 60_000 });
  if (out.error) throw out.error;
  if (out.status !== 0) throw new Error(`${command} ${statement}: exited ${out.status}: ${out.stderr}`);
  return out.stdout.trim();
}

// Every audit event of the tenant, newest first, through the admin API.
export async function auditLog(server, tenant) {
  const res = await api(server.adminUrl, 'GET', `/tenants/${tenant.id}/audit_logs?per_page=1000`);
  if (res.status !== 200) throw new Error(`audit log: ${res.status} ${res.text}`);
  return res.json;
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Polls `check` (async, returns truthy when done) until it holds or `ms` passed; returns its last value.
export async function eventually(check, { ms = 20_000, every = 100 } = {}) {
  const deadline = Date.now() + ms;
  let last;
  while (Date.now() < deadline) {
    last = await check();
    if (last) return last;
    await sleep(every);
  }
  return last;
}

// A TCP connection to an http://host:port URL; resolves once connected. `closed` resolves when the server closes it,
// `received()` is everything it sent.
export function rawConnection(url) {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) });
    const chunks = [];
    const closed = new Promise((r) => socket.once('close', r));
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.once('error', () => {});
    socket.once('connect', () => resolve({ socket, closed, received: () => Buffer.concat(chunks).toString('latin1') }));
    socket.once('error', reject);
  });
}

// One HTTP/1.1 exchange on a raw socket, keeping the connection open; resolves with the response text once the
// response ends (Content-Length known).
export function exchange(connection, request) {
  const before = connection.received().length;
  connection.socket.write(request);
  return new Promise((resolve, reject) => {
    const check = () => {
      const text = connection.received().slice(before);
      const head = text.indexOf('\r\n\r\n');
      if (head < 0) return false;
      const length = Number(/content-length: *(\d+)/i.exec(text.slice(0, head))?.[1] ?? 0);
      if (text.length - head - 4 < length) return false;
      connection.socket.off('data', onData);
      resolve(text);
      return true;
    };
    const onData = () => check();
    connection.socket.on('data', onData);
    connection.closed.then(() => reject(new Error(`closed before the response: ${connection.received()}`)));
    check();
  });
}
