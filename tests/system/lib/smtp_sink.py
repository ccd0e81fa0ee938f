"""An SMTP server for the system tests: accepts every mail on 127.0.0.1 (no TLS, no auth) and prints
each one as a JSON line on stdout, already parsed by Python's email package so the Node side needs
no MIME decoder. The first line is {"listening": <port>}. Stops when stdin closes.

Run by tests/system/lib/smtp.mjs; needs aiosmtpd (pinned in .ci/run).
"""

import asyncio
import base64
import json
import sys
from email import policy
from email.parser import BytesParser

from aiosmtpd.smtp import SMTP


def emit(record):
    sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def plain_text(message):
    # A passcode mail is plain text only; a multipart one is searched for its text/plain part so a
    # structural change shows up as a failed assertion on `text`, not as a crash here.
    part = message.get_body(preferencelist=("plain",))
    if part is None:
        return None
    # Line ends as in the message (CRLF on the wire) become \n, whatever the transfer encoding.
    return part.get_content().replace("\r\n", "\n")


class Sink:
    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        message = BytesParser(policy=policy.default).parsebytes(raw)
        headers = {}
        for name, value in message.items():
            headers.setdefault(name.lower(), []).append(str(value))
        emit(
            {
                "mail": {
                    "envelope_from": envelope.mail_from,
                    "envelope_to": list(envelope.rcpt_tos),
                    "from": str(message.get("From", "")),
                    "subject": str(message.get("Subject", "")),
                    "content_type": message.get_content_type(),
                    "text": plain_text(message),
                    "headers": {name: values[0] if len(values) == 1 else values for name, values in headers.items()},
                    "raw": base64.b64encode(raw).decode("ascii"),
                }
            }
        )
        return "250 OK"


async def main():
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(Sink(), hostname="smtp-sink.test", decode_data=False), "127.0.0.1", 0
    )
    emit({"listening": server.sockets[0].getsockname()[1]})
    await loop.run_in_executor(None, sys.stdin.read)
    server.close()
    await server.wait_closed()


if __name__ == "__main__":
    asyncio.run(main())
