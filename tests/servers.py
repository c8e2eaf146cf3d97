"""Real servers for tests that need the production shape: gunicorn and a browser-like client (a private
redis-server is tests/brokers.py's PrivateRedis).

Each is started on a free port and stopped by the test that started it.
"""

from __future__ import annotations

import http.client
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from tests import clock
from tests.mailserver import free_port
from tests.workers import ROOT


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
