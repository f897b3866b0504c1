#!/usr/bin/env python3
"""A real SMTP server on 127.0.0.1 for the mail tests (aiosmtpd). Every message it accepts is
written to --dir as NNNNNN.json ({"from", "to", "data"}); it prints "READY <port>" once it
listens, and runs until killed.

--tls starttls|implicit with --cert/--key serves TLS (STARTTLS then required, or TLS from the
first byte); --auth USER:PASS requires that login; while the file --tempfail names exists, every
message is answered 451 (a temporary failure the sender must retry)."""

import argparse
import asyncio
import itertools
import json
import os
import ssl
import sys

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--dir", required=True)
    p.add_argument("--tls", choices=["none", "starttls", "implicit"], default="none")
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--auth")
    p.add_argument("--tempfail")
    a = p.parse_args()
    os.makedirs(a.dir, exist_ok=True)
    seq = itertools.count(1)

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            if a.tempfail and os.path.exists(a.tempfail):
                return "451 4.3.0 Try again later"
            n = next(seq)
            path = os.path.join(a.dir, f"{n:06}.json")
            with open(path + ".tmp", "w") as f:
                json.dump({"from": envelope.mail_from, "to": envelope.rcpt_tos,
                           "data": envelope.original_content.decode("utf-8", "replace")}, f)
            os.rename(path + ".tmp", path)
            return "250 2.0.0 Stored"

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and a.auth == (
            auth_data.login.decode() + ":" + auth_data.password.decode())
        return AuthResult(success=ok)

    context = None
    if a.tls != "none":
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(a.cert, a.key)
    kwargs = dict(hostname="127.0.0.1", port=a.port or free_port())
    smtp_kwargs = {}
    if a.tls == "starttls":
        smtp_kwargs.update(tls_context=context, require_starttls=True)
    if a.tls == "implicit":
        kwargs["ssl_context"] = context
    if a.auth:
        smtp_kwargs.update(authenticator=authenticator, auth_required=True,
                           # aiosmtpd only counts STARTTLS as TLS; implicit TLS is TLS throughout.
                           auth_require_tls=a.tls == "starttls")
    controller = Controller(Handler(), server_kwargs=smtp_kwargs, **kwargs)
    controller.start()
    print(f"READY {controller.port}", flush=True)
    try:
        asyncio.run(asyncio.Event().wait())
    except KeyboardInterrupt:
        pass


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


if __name__ == "__main__":
    main()
