"""A local SMTP server that keeps every message it accepts, for tests and benchmarks that send real email.

Threaded (one thread per connection) on 127.0.0.1, plain SMTP without TLS or AUTH: enough for Django's SMTP
backend. `delay` waits before each reply, as a mail server across a network does; a message counts as accepted
(kept) when its DATA ends, before the "250" goes back, as on a real server: a client killed while waiting for it
has still sent the message (RFC 1047), which is how an email is sent twice. `on_accept` runs at that moment.
"""

from __future__ import annotations

import socketserver
import threading
import time
from collections.abc import Callable
from typing import Any


class _Handler(socketserver.StreamRequestHandler):
    server: _Server

    def reply(self, line: str) -> None:
        if self.server.delay:
            time.sleep(self.server.delay)
        self.wfile.write(line.encode() + b"\r\n")
        self.wfile.flush()

    def handle(self) -> None:
        self.reply("220 sink ESMTP")
        while True:
            line = self.rfile.readline()
            if not line:
                return
            verb = line.decode(errors="replace").strip().split(" ", 1)[0].upper()
            if verb == "EHLO":
                self.wfile.write(b"250-sink\r\n250-8BITMIME\r\n")
                self.reply("250 SMTPUTF8")
            elif verb in ("HELO", "MAIL", "RCPT", "RSET", "NOOP"):
                self.reply("250 OK")
            elif verb == "DATA":
                self.reply("354 end with .")
                lines = []
                while (data := self.rfile.readline()) not in (b".\r\n", b".\n", b""):
                    lines.append(data[1:] if data.startswith(b"..") else data)
                with self.server.lock:
                    self.server.messages.append(b"".join(lines))
                    count = len(self.server.messages)
                if self.server.on_accept is not None:
                    self.server.on_accept(count)
                self.reply("250 queued")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("502 not here")


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, delay: float, on_accept: Callable[[int], None] | None) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.delay = delay
        self.on_accept = on_accept
        self.lock = threading.Lock()
        self.messages: list[bytes] = []

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client killed mid-conversation: what it sent so far is kept, nothing to report


class SmtpSink:
    """`with SmtpSink() as sink:` a server on `sink.port`; `sink.messages()` what it accepted so far."""

    def __init__(self, delay: float = 0.0, on_accept: Callable[[int], None] | None = None) -> None:
        self._server = _Server(delay, on_accept)
        self.port: int = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> SmtpSink:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def messages(self) -> list[bytes]:
        with self._server.lock:
            return list(self._server.messages)
