// A real SMTP server for the tests (aiosmtpd, run by lib/smtp_sink.py): latchkey sends its passcode mails over a
// real connection, and tests read them back, already MIME-decoded.
//
//   const smtp = await startSmtp();   // 127.0.0.1:<free port>, no TLS, no auth
//   const mail = await smtp.waitForMail({ to: 'a@example.com', timeoutMs: 10000 });
//   // -> { from, to: [..], subject, text, headers /* lower-cased names */, raw, contentType }
//   smtp.passcodeOf(mail);            // the 6 digits of the subject and body
//   await smtp.stop();
import { spawn, spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const START_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 5_000;

const live = new Set();
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

// LATCHKEY_TEST_PYTHON names another interpreter than python3.
const python = () => process.env.LATCHKEY_TEST_PYTHON ?? 'python3';

function requireAiosmtpd() {
  const PYTHON = python();
  const probe = spawnSync(PYTHON, ['-c', 'import aiosmtpd'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new Error(`the SMTP tests need the Python package aiosmtpd, which ${PYTHON} cannot import `
      + `(${probe.error?.message ?? probe.stderr.trim().split('\n').pop()}): `
      + 'install it with `python3 -m pip install aiosmtpd==1.4.6` (.ci/run does this on CI machines)');
  }
}

const lower = (address) => address.toLowerCase();

function matches(mail, { to, subject }) {
  if (to !== undefined && !mail.to.some((rcpt) => lower(rcpt) === lower(to))) return false;
  if (subject !== undefined && !(subject instanceof RegExp ? subject.test(mail.subject) : mail.subject === subject)) {
    return false;
  }
  return true;
}

function describe(filter) {
  return JSON.stringify({ ...filter, subject: filter.subject?.toString() });
}

export async function startSmtp() {
  requireAiosmtpd();
  const child = spawn(python(), [join(here, 'smtp_sink.py')], { stdio: ['pipe', 'pipe', 'pipe'] });
  live.add(child);
  const exited = new Promise((resolveExit) => child.once('exit', (code, signal) => {
    live.delete(child);
    resolveExit({ code, signal });
  }));
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk) => { stderr += chunk; });

  const received = []; // every mail, in arrival order
  const unread = []; // those no waitForMail has returned yet
  const waiters = new Set();
  let port;
  let pending = '';
  let announced;
  const listening = new Promise((resolve, reject) => { announced = { resolve, reject }; });

  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk) => {
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop();
    for (const line of lines) {
      if (line.trim() === '') continue;
      const record = JSON.parse(line);
      if (record.listening !== undefined) {
        announced.resolve(record.listening);
        continue;
      }
      const m = record.mail;
      const mail = {
        from: m.from,
        to: m.envelope_to,
        envelopeFrom: m.envelope_from,
        subject: m.subject,
        text: m.text,
        contentType: m.content_type,
        headers: m.headers,
        raw: Buffer.from(m.raw, 'base64').toString('utf8'),
        receivedAt: Date.now(),
      };
      received.push(mail);
      unread.push(mail);
      for (const waiter of waiters) waiter();
    }
  });
  exited.then(({ code, signal }) => {
    announced.reject(new Error(`smtp_sink.py exited (code ${code}, signal ${signal}) before listening: ${stderr}`));
  });

  let timer;
  try {
    port = await Promise.race([
      listening,
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`smtp_sink.py did not listen within ${START_TIMEOUT_MS} ms: ${stderr}`)),
          START_TIMEOUT_MS);
      }),
    ]);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  } finally {
    clearTimeout(timer);
  }

  function take(filter) {
    const index = unread.findIndex((mail) => matches(mail, filter));
    return index === -1 ? undefined : unread.splice(index, 1)[0];
  }

  return {
    host: '127.0.0.1',
    port,
    // Every mail received so far, read or not.
    get received() { return [...received]; },

    // The oldest unread mail matching `to` (recipient, case-insensitive) and `subject` (string or RegExp);
    // waits for one up to `timeoutMs`. Each mail is returned once.
    waitForMail({ timeoutMs = 10_000, ...filter } = {}) {
      const found = take(filter);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const check = () => {
          const mail = take(filter);
          if (!mail) return;
          waiters.delete(check);
          clearTimeout(deadline);
          resolve(mail);
        };
        const deadline = setTimeout(() => {
          waiters.delete(check);
          const seen = received.map((mail) => `${mail.to.join(',')}: ${mail.subject}`).join('; ') || 'none';
          reject(new Error(`no mail matching ${describe(filter)} within ${timeoutMs} ms (received: ${seen}) ${stderr}`));
        }, timeoutMs);
        waiters.add(check);
      });
    },

    // Resolves if no unread mail matching the filter arrives within `withinMs`; rejects with the mail otherwise.
    async expectNoMail({ withinMs = 1_500, ...filter } = {}) {
      await new Promise((r) => setTimeout(r, withinMs));
      const mail = unread.find((m) => matches(m, filter));
      if (mail) throw new Error(`expected no mail matching ${describe(filter)}, got "${mail.subject}" to ${mail.to}`);
    },

    // The passcode of a mail: the 6-digit number its subject starts with, which the body must repeat.
    passcodeOf(mail) {
      const fromSubject = /(?<!\d)(\d{6})(?!\d)/.exec(mail.subject ?? '')?.[1];
      const inBody = [...(mail.text ?? '').matchAll(/(?<!\d)(\d{6})(?!\d)/g)].map((m) => m[1]);
      const code = fromSubject ?? inBody[0];
      if (code === undefined) throw new Error(`no 6-digit passcode in mail "${mail.subject}": ${mail.text}`);
      if (!inBody.includes(code)) throw new Error(`the body of mail "${mail.subject}" lacks its code ${code}: ${mail.text}`);
      return code;
    },

    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.stdin.end();
      let stopTimer;
      const outcome = await Promise.race([
        exited,
        new Promise((r) => { stopTimer = setTimeout(() => r('timeout'), STOP_TIMEOUT_MS); }),
      ]);
      clearTimeout(stopTimer);
      if (outcome === 'timeout') {
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
}
