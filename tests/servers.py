"""Real servers for tests that need the production shape: a private redis-server, gunicorn, a browser-like client.

Each is started on a free port and stopped by the test that started it: the shared Redis on 6379 is never
touched, so a test may stop, freeze and restart its own.
"""

from __future__ import annotations

import http.client
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from tests import clock
from tests.mailserver import free_port
from tests.workers import ROOT


@dataclass
class PrivateRedis:
    """A redis-server of the test's own, persisting to an append-only file as production does."""

    folder: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.folder),
             "--appendonly", "yes", "--save", "", "--logfile", str(self.folder / "redis.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
        )  # fmt: skip
        wait_for_port(self.port, self.process, self.folder / "redis.log")

    def stop(self) -> None:
        """As an operator stops it (SIGTERM): it writes its append-only file and exits."""
        if self.process is not None:
            self.process.send_signal(signal.SIGCONT)  # a frozen server cannot act on SIGTERM
            self.process.terminate()
            self.process.wait(timeout=30)
            self.process = None

    @contextmanager
    def frozen(self) -> Iterator[None]:
        """Running but not answering (a stalled host, a network that drops packets): connections are accepted
        by the kernel and then nothing comes back."""
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)
        try:
            yield
        finally:
            self.process.send_signal(signal.SIGCONT)


def wait_for_port(port: int, process: subprocess.Popen[bytes], log: Path, timeout: float = 60) -> None:
    import socket

    deadline = time.monotonic() + timeout
    while True:
        assert process.poll() is None, log.read_text() if log.exists() else "exited"
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            assert time.monotonic() < deadline, f"nothing listens on {port} after {timeout} s"
            time.sleep(0.1)


def start_gunicorn(
    env: dict[str, str], log: Path, *, workers: int = 2, bind: str | None = None
) -> tuple[subprocess.Popen[bytes], int]:
    """gunicorn as deployed (privacyportal/gunicorn_conf.py); returns it and its port once it listens."""
    clock.require_real_clock("gunicorn")
    port = free_port()
    command = [
        sys.executable, "-m", "gunicorn", "-c", "python:privacyportal.gunicorn_conf", "--workers", str(workers),
        "--bind", bind or f"127.0.0.1:{port}", "--no-control-socket", "privacyportal.wsgi",
    ]  # fmt: skip
    with log.open("wb") as out:
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    return server, port


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def server_env(**overrides: str) -> dict[str, str]:
    """The test settings in another process, DEBUG off, over plain HTTP on the loopback."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "privacyportal.test_settings",
        "DEBUG": "false",
        "SECURE_COOKIES": "false",
        "PYTHONUNBUFFERED": "1",
        **overrides,
    }


@dataclass
class Answer:
    status: int
    location: str
    body: str
    seconds: float


@dataclass
class Browser:
    """A visitor's browser: its cookies, one connection per request (as sync gunicorn workers close each)."""

    port: int
    headers: dict[str, str] = field(default_factory=dict)
    cookies: dict[str, str] = field(default_factory=dict)

    def request(
        self, method: str, path: str, body: str = "", headers: dict[str, str] | None = None
    ) -> Answer:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        sent = {**self.headers, **(headers or {})}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        started = time.monotonic()
        connection.request(method, path, body=body.encode() if body else None, headers=sent)
        response = connection.getresponse()
        text = response.read().decode(errors="replace")
        seconds = time.monotonic() - started
        for header in response.msg.get_all("Set-Cookie") or []:
            cookie: SimpleCookie = SimpleCookie()
            cookie.load(header)
            self.cookies.update({name: morsel.value for name, morsel in cookie.items()})
        connection.close()
        return Answer(response.status, response.getheader("Location", ""), text, seconds)

    def post_form(self, path: str, data: dict[str, Any], page: str) -> Answer:
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        body = urlencode({**data, "csrfmiddlewaretoken": token.group(1) if token else ""})
        return self.request(
            "POST",
            path,
            body,
            {"Content-Type": "application/x-www-form-urlencoded", "Referer": self.origin + path},
        )

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def send(self, kind: str, answers: dict[str, Any]) -> list[tuple[str, Answer]]:
        """The question pages of `kind` as tests/intake.py walks them, then "Send request" on "check your
        answers": each page is fetched (for its CSRF token) and posted; every answer, in order."""
        path = f"/requests/new/{kind}/"
        answers_seen: list[tuple[str, Answer]] = []
        for _ in range(12):
            page = self.request("GET", path)
            answers_seen.append((f"GET {path}", page))
            if page.status != 200:
                return answers_seen
            posted = self.post_form(path, {} if path.endswith("/check/") else answers, page.body)
            answers_seen.append((f"POST {path}", posted))
            if posted.status != 302 or not posted.location.startswith(f"/requests/new/{kind}/"):
                return answers_seen
            path = posted.location
        raise AssertionError("the question pages went round in a loop")
