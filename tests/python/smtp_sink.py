"""A real SMTP server (aiosmtpd) for the notification tests: it keeps every message it accepts as a file.

    python smtp_sink.py --port 0 --out DIR [options]

Listens on 127.0.0.1 (port 0 picks a free one) and prints "READY <port>" once listening. Each accepted
message is written to DIR/NNNNNN.eml (a counter), atomically, as the raw message preceded by one
`X-Sink-Mail-From: <...>` line, one `X-Sink-Rcpt-To: <...>` line per envelope recipient and one
`X-Sink-Session: peer-port=N; tls=yes|no; auth=yes|no` line (which connection it came over, encrypted or
not, authenticated or not), like the Return-Path/Delivered-To lines a real MTA adds.

Options:
  --auth USER:PASSWORD      require AUTH with these credentials
  --auth-plain-ok           allow AUTH over an unencrypted connection (auth_require_tls=False)
  --cert FILE --key FILE    the server's certificate and key (PEM), for --tls
  --tls starttls|implicit   offer STARTTLS (and require it before MAIL), or speak TLS from the first byte
  --reject ADDRESS          answer RCPT TO:<ADDRESS> with 550 5.1.1 (repeatable)
  --transient CODE:N        answer the first N RCPT commands with CODE (451: try again; 421: and hang up)
  --delay SECONDS           wait this long before answering the final "." of each message (the message
                            is saved first, as a server that queued it but whose answer was lost)
"""

import argparse
import asyncio
import itertools
import os
import ssl
import sys

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


class Sink:
    def __init__(self, args):
        self.out = args.out
        self.reject = {a.lower() for a in args.reject}
        self.transient_code, self.transient_left = (0, 0)
        if args.transient:
            code, count = args.transient.split(":")
            self.transient_code, self.transient_left = int(code), int(count)
        self.delay = args.delay
        self.counter = itertools.count(1)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.transient_left > 0:
            self.transient_left -= 1
            if self.transient_code == 421:
                server.loop.call_soon(server.transport.close)
                return "421 4.3.2 Service shutting down, try again later"
            return f"{self.transient_code} 4.3.0 Temporary failure for <{address}>, try again later"
        if address.lower() in self.reject:
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        n = next(self.counter)
        head = f"X-Sink-Mail-From: <{envelope.mail_from}>\r\n".encode()
        for rcpt in envelope.rcpt_tos:
            head += f"X-Sink-Rcpt-To: <{rcpt}>\r\n".encode()
        peer = session.peer[1] if session.peer else 0
        tls = server.transport.get_extra_info("ssl_object") is not None
        head += f"X-Sink-Session: peer-port={peer}; tls={'yes' if tls else 'no'}; ".encode()
        head += f"auth={'yes' if session.authenticated else 'no'}\r\n".encode()
        data = envelope.original_content or envelope.content
        if isinstance(data, str):
            data = data.encode()
        path = os.path.join(self.out, f"{n:06d}.eml")
        with open(path + ".tmp", "wb") as f:
            f.write(head + data)
        os.replace(path + ".tmp", path)
        if self.delay:
            await asyncio.sleep(self.delay)
        return f"250 2.0.0 Ok: queued as {n}"


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--out", required=True)
    p.add_argument("--auth")
    p.add_argument("--auth-plain-ok", action="store_true")
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--tls", choices=["starttls", "implicit"])
    p.add_argument("--reject", action="append", default=[])
    p.add_argument("--transient")
    p.add_argument("--delay", type=float, default=0.0)
    args = p.parse_args()
    os.makedirs(args.out, exist_ok=True)

    context = None
    if args.tls:
        if not (args.cert and args.key):
            p.error("--tls needs --cert and --key")
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(args.cert, args.key)

    authenticator = None
    if args.auth:
        user, password = args.auth.split(":", 1)

        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = (
                isinstance(auth_data, LoginPassword)
                and auth_data.login.decode() == user
                and auth_data.password.decode() == password
            )
            return AuthResult(success=ok, handled=False)

    handler = Sink(args)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)

    def factory():
        kwargs = dict(
            hostname="sink.test",
            enable_SMTPUTF8=True,
            authenticator=authenticator,
            auth_required=authenticator is not None,
            auth_require_tls=not args.auth_plain_ok,
            loop=loop,
        )
        if args.tls == "starttls":
            kwargs.update(tls_context=context, require_starttls=True)
        return SMTP(handler, **kwargs)

    server = loop.run_until_complete(
        loop.create_server(
            factory,
            host="127.0.0.1",
            port=args.port,
            ssl=context if args.tls == "implicit" else None,
        )
    )
    port = server.sockets[0].getsockname()[1]
    print(f"READY {port}", flush=True)
    try:
        loop.run_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
        sys.exit(0)


if __name__ == "__main__":
    main()
