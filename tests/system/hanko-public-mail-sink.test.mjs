// The SMTP server the Hanko Public API tests read passcode mails from (lib/smtp.mjs over aiosmtpd): fed here by a
// plain SMTP client over a socket, in the encodings a mail library may choose, so a failing passcode test can be
// blamed on latchkey, not on the sink.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';

import { startSmtp } from './lib/smtp.mjs';

// Speaks SMTP to host:port and delivers one message; resolves with the server's replies.
function sendMail({ host, port }, { from, to, data }) {
  return new Promise((resolve, reject) => {
    const socket = connect(port, host);
    const replies = [];
    const script = [`EHLO client.test`, `MAIL FROM:<${from}>`, ...to.map((rcpt) => `RCPT TO:<${rcpt}>`), 'DATA',
      `${data.replace(/\r?\n/g, '\r\n').replace(/^\./gm, '..')}\r\n.`, 'QUIT'];
    let buffer = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk) => {
      buffer += chunk;
      // A reply is complete at a line "NNN text" (a space after the code, not a dash).
      while (/^\d{3} .*\r\n/m.test(buffer)) {
        const end = buffer.search(/^\d{3} .*\r\n/m);
        const lineEnd = buffer.indexOf('\r\n', end) + 2;
        const reply = buffer.slice(0, lineEnd);
        buffer = buffer.slice(lineEnd);
        replies.push(reply.trim());
        const code = Number(reply.slice(end, end + 3));
        if (code >= 400) {
          socket.destroy();
          reject(new Error(`SMTP refused: ${reply}`));
          return;
        }
        const next = script.shift();
        if (next === undefined) {
          socket.end();
          return;
        }
        socket.write(`${next}\r\n`);
      }
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(replies));
  });
}

describe('mail sink for the Hanko Public API tests (lib/smtp.mjs)', () => {
  let smtp;
  before(async () => {
    smtp = await startSmtp();
  });
  after(async () => smtp?.stop());

  it('listens on a free port of 127.0.0.1', () => {
    assert.equal(smtp.host, '127.0.0.1');
    assert.ok(Number.isInteger(smtp.port) && smtp.port > 0);
  });

  it('returns a plain 7-bit mail with its envelope, headers and the passcode', async () => {
    await sendMail(smtp, {
      from: 'passcode@hanko.io',
      to: ['Alice@Example.com'],
      data: [
        'From: Hanko <passcode@hanko.io>',
        'To: alice@example.com',
        'Subject: 012345 is your passcode for Test Service',
        'MIME-Version: 1.0',
        'Content-Type: text/plain; charset=utf-8',
        'Content-Transfer-Encoding: 7bit',
        '',
        'Enter the following passcode to verify your identity:',
        '',
        '012345',
        '',
        '.a line that starts with a dot',
      ].join('\n'),
    });
    const mail = await smtp.waitForMail({ to: 'alice@example.com', timeoutMs: 5000 });
    assert.equal(mail.from, 'Hanko <passcode@hanko.io>');
    assert.equal(mail.envelopeFrom, 'passcode@hanko.io');
    assert.deepEqual(mail.to, ['Alice@Example.com']);
    assert.equal(mail.subject, '012345 is your passcode for Test Service');
    assert.equal(mail.contentType, 'text/plain');
    assert.match(mail.headers['content-type'], /^text\/plain; charset="?utf-8"?$/);
    assert.equal(mail.headers.to, 'alice@example.com');
    assert.match(mail.text, /^Enter the following passcode to verify your identity:\n\n012345\n\n\.a line/);
    assert.match(mail.raw, /^From: Hanko <passcode@hanko\.io>\r\n/);
    assert.equal(smtp.passcodeOf(mail), '012345');
  });

  it('decodes an encoded-word subject and a base64 UTF-8 body (Chinese mail)', async () => {
    const subject = '654321 是您的Test Service密码';
    const body = '请输入以下密码以验证您的身份：\n\n654321\n\n该密码在5分钟内有效。\n';
    await sendMail(smtp, {
      from: 'passcode@hanko.io',
      to: ['zh@example.com'],
      data: [
        'From: =?utf-8?b?SGFua28=?= <passcode@hanko.io>',
        'To: zh@example.com',
        `Subject: =?utf-8?b?${Buffer.from(subject).toString('base64')}?=`,
        'MIME-Version: 1.0',
        'Content-Type: text/plain; charset=utf-8',
        'Content-Transfer-Encoding: base64',
        '',
        Buffer.from(body).toString('base64').replace(/.{76}/g, '$&\n'),
      ].join('\n'),
    });
    const mail = await smtp.waitForMail({ to: 'zh@example.com', timeoutMs: 5000 });
    assert.equal(mail.subject, subject);
    assert.equal(mail.from, 'Hanko <passcode@hanko.io>');
    assert.equal(mail.text, body);
    assert.equal(smtp.passcodeOf(mail), '654321');
  });

  it('decodes a quoted-printable body and finds the text/plain part of a multipart mail', async () => {
    await sendMail(smtp, {
      from: 'x@hanko.io',
      to: ['qp@example.com', 'other@example.com'],
      data: [
        'From: x@hanko.io',
        'Subject: 000007 is your passcode for S',
        'MIME-Version: 1.0',
        'Content-Type: multipart/alternative; boundary="b"',
        '',
        '--b',
        'Content-Type: text/plain; charset=utf-8',
        'Content-Transfer-Encoding: quoted-printable',
        '',
        'Gr=C3=BC=C3=9Fe: 000007 soft=',
        'break',
        '--b',
        'Content-Type: text/html; charset=utf-8',
        '',
        '<p>000007</p>',
        '--b--',
      ].join('\n'),
    });
    const mail = await smtp.waitForMail({ to: 'OTHER@example.com', subject: /passcode/, timeoutMs: 5000 });
    assert.deepEqual(mail.to, ['qp@example.com', 'other@example.com']);
    assert.equal(mail.contentType, 'multipart/alternative');
    assert.equal(mail.text, 'Grüße: 000007 softbreak');
    assert.equal(smtp.passcodeOf(mail), '000007');
  });

  it('returns each mail once, waits for later ones, and times out with what it saw', async () => {
    const waiting = smtp.waitForMail({ to: 'later@example.com', timeoutMs: 5000 });
    await sendMail(smtp, { from: 'a@b.c', to: ['later@example.com'], data: 'Subject: 111111 first\n\n111111' });
    await sendMail(smtp, { from: 'a@b.c', to: ['later@example.com'], data: 'Subject: 222222 second\n\n222222' });
    assert.equal(smtp.passcodeOf(await waiting), '111111');
    assert.equal(smtp.passcodeOf(await smtp.waitForMail({ to: 'later@example.com' })), '222222');
    await assert.rejects(smtp.waitForMail({ to: 'later@example.com', timeoutMs: 300 }),
      /no mail matching .*later@example\.com.* within 300 ms \(received: .*222222 second/);
    await smtp.expectNoMail({ to: 'later@example.com', withinMs: 200 });
    await sendMail(smtp, { from: 'a@b.c', to: ['later@example.com'], data: 'Subject: 333333 third\n\n333333' });
    await assert.rejects(smtp.expectNoMail({ to: 'later@example.com', withinMs: 200 }), /333333 third/);
    assert.ok(smtp.received.length >= 6);
  });

  it('refuses a mail whose body does not repeat the subject\'s code', () => {
    assert.throws(() => smtp.passcodeOf({ subject: '123456 is your passcode', text: 'no code' }), /lacks its code/);
    assert.throws(() => smtp.passcodeOf({ subject: 'no code', text: 'none either' }), /no 6-digit passcode/);
  });

  it('says how to install aiosmtpd when the interpreter cannot import it', async () => {
    const saved = process.env.LATCHKEY_TEST_PYTHON;
    process.env.LATCHKEY_TEST_PYTHON = '/nonexistent/python3';
    try {
      await assert.rejects(startSmtp(), /need the Python package aiosmtpd.*pip install aiosmtpd==1\.4\.6/s);
    } finally {
      if (saved === undefined) delete process.env.LATCHKEY_TEST_PYTHON;
      else process.env.LATCHKEY_TEST_PYTHON = saved;
    }
  });
});
