"""An SMTP server for the tests (aiosmtpd), on a loopback port.

Prints `PORT <n>` once it listens. Each accepted message is written to DIR as
`<n>.json` (written whole, then renamed): the envelope, the decoded headers, the text
and HTML parts and the raw message. Behaviours the tests ask for:
  --temp-fail N      answer the first N messages `451` (then accept)
  --reject TEXT      answer `550` to any recipient containing TEXT (repeatable)
  --hang-after-data  write each message, then never answer its DATA
"""

import argparse
import asyncio
import email
import email.policy
import json
import os

from aiosmtpd.smtp import SMTP


class Handler:
    def __init__(self, args):
        self.args = args
        self.count = 0
        self.temp_failed = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if any(t in address for t in self.args.reject):
            return "550 5.1.1 Mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.temp_failed < self.args.temp_fail:
            self.temp_failed += 1
            return "451 4.3.0 Try again later"
        self.count += 1
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        text = msg.get_body(preferencelist=("plain",))
        html = msg.get_body(preferencelist=("html",))
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "subject": str(msg.get("Subject", "")),
            "message_id": str(msg.get("Message-ID", "")),
            "from": str(msg.get("From", "")),
            "to": str(msg.get("To", "")),
            "cc": str(msg.get("Cc", "")),
            "header_names": [k for k in msg.keys()],
            "text": text.get_content() if text is not None else None,
            "html": html.get_content() if html is not None else None,
            "raw": envelope.content.decode("utf-8", "replace"),
        }
        path = os.path.join(self.args.dir, "%06d.json" % self.count)
        with open(path + ".part", "w") as f:
            json.dump(record, f)
        os.rename(path + ".part", path)
        if self.args.hang_after_data:
            await asyncio.Event().wait()
        return "250 2.0.0 Accepted"


async def main():
    p = argparse.ArgumentParser()
    p.add_argument("--dir", required=True)
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--temp-fail", type=int, default=0)
    p.add_argument("--reject", action="append", default=[])
    p.add_argument("--hang-after-data", action="store_true")
    args = p.parse_args()
    handler = Handler(args)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(handler, hostname="smtp.test", data_size_limit=10 * 1024 * 1024), "127.0.0.1", args.port
    )
    print("PORT %d" % server.sockets[0].getsockname()[1], flush=True)
    await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
