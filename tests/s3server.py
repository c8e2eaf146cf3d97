"""A local S3-compatible server for the tests: moto's server mode on a free 127.0.0.1 port, in a process of its own.

Why moto: MinIO, Garage and SeaweedFS ship as binaries from their own sites (not reachable here), Debian's Ceph
`radosgw` needs a whole Ceph cluster, and npm's s3rver covers buckets and objects only. moto's S3 is the AWS API as
boto3 speaks it (signatures, versioning, prefixes and listings, server-side encryption headers), and installs from
PyPI. It needs the PyPI `requests`, which never enters `.venv` (docs/development.md, "The `requests` name"), so it
lives in `.venv-tools` (requirements/tools.txt), made here when missing as `.ci/fuzz` makes it, and runs from a
temporary folder outside the project root.

Use the `s3server` fixture (tests/conftest.py) for the server, `s3_private` to put this process's private files on
a fresh bucket, and `S3Server.environment(bucket)` for another process (PRIVATE_S3_* as an operator sets them).
Without a usable server the tests skip, except under CI=1, where they fail.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.mailserver import free_port

ROOT = Path(__file__).resolve().parents[1]
TOOLS = ROOT / ".venv-tools"
MOTO = TOOLS / "bin" / "moto_server"
# Any key works for moto; these are the values every process of a test is given.
ACCESS_KEY, SECRET_KEY, REGION = "test-access-key", "test-secret-key", "us-east-1"


def ensure_tools() -> None:
    """Make or refresh `.venv-tools` from requirements/tools.txt (once, even with several test processes)."""
    requirements = ROOT / "requirements" / "tools.txt"
    marker = TOOLS / ".installed"
    with open(tempfile.gettempdir() + "/privacyportal-venv-tools.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if MOTO.exists() and marker.exists() and marker.stat().st_mtime >= requirements.stat().st_mtime:
            return
        python = shutil.which("python3.11") or shutil.which("python3") or sys.executable
        # From outside the project root: its `requests/` folder must not shadow the PyPI library while pip runs.
        subprocess.run(
            [python, "-m", "venv", str(TOOLS)], cwd=tempfile.gettempdir(), check=True, capture_output=True
        )
        subprocess.run(
            [str(TOOLS / "bin/pip"), "install", "-q", "--disable-pip-version-check", "-r", str(requirements)],
            cwd=tempfile.gettempdir(), check=True, capture_output=True, timeout=900,
        )  # fmt: skip
        marker.touch()


class S3Server:
    """One running moto server; `stop()` ends it."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="pps3-"))
        self.port = free_port()
        self.endpoint_url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.log_file = (self.root / "moto.log").open("wb")
        self.process = subprocess.Popen(
            [str(MOTO), "-H", "127.0.0.1", "-p", str(self.port)],
            cwd=self.root, stdin=subprocess.DEVNULL, stdout=self.log_file, stderr=subprocess.STDOUT,
            env={key: value for key, value in os.environ.items() if not key.startswith("AWS_")},
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"moto_server exited: {self.log()}")
            try:
                with urllib.request.urlopen(self.endpoint_url + "/", timeout=2):  # noqa: S310 (our own http server)
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"moto_server does not answer on {self.port}: {self.log()}")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
            self.log_file.close()
        shutil.rmtree(self.root, ignore_errors=True)

    def log(self) -> str:
        path = self.root / "moto.log"
        return path.read_text(errors="replace") if path.exists() else ""

    # -- for tests

    def client(self) -> Any:
        return boto3.client(
            "s3", endpoint_url=self.endpoint_url, region_name=REGION,
            aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY,
        )  # fmt: skip

    def new_bucket(self, *, versioned: bool = False) -> str:
        """A fresh, empty bucket of its own for one test."""
        name = f"pp-test-{uuid.uuid4().hex[:16]}"
        client = self.client()
        client.create_bucket(Bucket=name)
        if versioned:
            client.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
        return name

    def keys(self, bucket: str) -> set[str]:
        pages = self.client().get_paginator("list_objects_v2").paginate(Bucket=bucket)
        return {entry["Key"] for page in pages for entry in page.get("Contents", ())}

    def environment(self, bucket: str, prefix: str = "") -> dict[str, str]:
        """The settings an operator would set, for a process started by a test."""
        return {
            "PRIVATE_S3_BUCKET": bucket, "PRIVATE_S3_PREFIX": prefix, "PRIVATE_S3_ENDPOINT_URL": self.endpoint_url,
            "PRIVATE_S3_REGION": REGION, "PRIVATE_S3_ACCESS_KEY_ID": ACCESS_KEY,
            "PRIVATE_S3_SECRET_ACCESS_KEY": SECRET_KEY,
        }  # fmt: skip

    def storage(self, bucket: str, prefix: str = "") -> dict[str, Any]:
        """STORAGES["private"] for this process, as privacyportal/settings.py builds it from environment()."""
        return {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": bucket, "location": prefix, "endpoint_url": self.endpoint_url,
                "region_name": REGION, "access_key": ACCESS_KEY, "secret_key": SECRET_KEY,
                "default_acl": None, "querystring_auth": True, "file_overwrite": True,
            },
        }  # fmt: skip


def running_s3server() -> Iterator[S3Server]:
    try:
        ensure_tools()
    except (OSError, subprocess.SubprocessError) as error:
        if os.environ.get("CI"):
            pytest.fail(f"could not install moto into .venv-tools (requirements/tools.txt): {error}")
        pytest.skip(f"no local S3 server: moto could not be installed into .venv-tools ({error})")
    server = S3Server()
    try:
        server.start()
        yield server
    finally:
        server.stop()
