"""A private Dovecot IMAP server for the mailbox tests: its own config, directories and port under a fresh temporary
directory, so it never meets a system Dovecot or another test run. Messages are put in with IMAP APPEND.

Use the `mailserver` fixture (tests/conftest.py): it skips when Dovecot is not installed (apt-get install
dovecot-imapd), and fails under CI=1, where .ci/run installs it.
"""

from __future__ import annotations

import imaplib
import ipaddress
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
USER = "privacy@example.test"
PASSWORD = "test-password"

CONFIG = """\
# Written by tests/mailserver.py: nothing here reads /etc/dovecot.
instance_name = pp-test-{port}
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
# TLS offered (STARTTLS on the IMAP port, TLS from the start on the IMAPS one) with a certificate made for the run.
ssl = yes
ssl_cert = <{root}/cert.pem
ssl_key = <{root}/key.pem
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
default_internal_user = {internal_user}
default_login_user = {login_user}
first_valid_uid = 0
mail_location = maildir:{root}/mail/%u
mail_privileged_group =
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {tls_port}
  }}
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {root}/users
}}
"""


def write_certificate(cert_path: Path, key_path: Path) -> None:
    """A self-signed certificate for 127.0.0.1, valid from 2020 to 2100: OpenSSL checks it against the machine's
    real clock, and the suite may run with its own clock moved ahead (tests/clock.py)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(datetime(2020, 1, 1, tzinfo=UTC))
        .not_valid_after(datetime(2100, 1, 1, tzinfo=UTC))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    key_path.chmod(0o644)  # the test server's own throwaway key; Dovecot's master reads it as root anyway


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Dovecot:
    """One running private Dovecot; `stop()` ends it and removes its directory."""

    def __init__(self) -> None:
        # Short paths: Dovecot's unix sockets live under base_dir and a socket path may not pass 107 bytes.
        self.root = Path(tempfile.mkdtemp(prefix="ppimap-"))
        self.host = "127.0.0.1"
        self.port = free_port()
        self.tls_port = free_port()
        self.cafile = self.root / "cert.pem"
        write_certificate(self.root / "cert.pem", self.root / "key.pem")
        self.user, self.password = USER, PASSWORD
        self.config = self.root / "dovecot.conf"
        account = pwd.getpwuid(os.getuid())
        # Dovecot's login and internal processes, and mail access, refuse root: as root, the package's own users
        # (the mail is then the `dovecot` user's).
        internal_user = login_user = account.pw_name
        if os.getuid() == 0:
            internal_user, login_user = "dovecot", "dovenull"
            account = pwd.getpwnam("dovecot")
        self.root.chmod(0o711)  # Dovecot's auth process (its own user) reads the users file below
        (self.root / "mail").mkdir()
        (self.root / "home").mkdir()
        for owned in (self.root / "mail", self.root / "home"):
            os.chown(owned, account.pw_uid, account.pw_gid)
        (self.root / "users").write_text(
            f"{USER}:{{PLAIN}}{PASSWORD}:{account.pw_uid}:{account.pw_gid}::{self.root}/home::\n"
        )
        self.config.write_text(
            CONFIG.format(
                root=self.root,
                port=self.port,
                tls_port=self.tls_port,
                internal_user=internal_user,
                login_user=login_user,
            )
        )

    def start(self) -> None:
        # Dovecot forks into the background; its child would hold a captured pipe open, so output goes to a file.
        with open(self.root / "start.log", "wb") as output:
            result = subprocess.run(
                [DOVECOT, "-c", str(self.config)],
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=output,
                timeout=30,
            )
        if result.returncode != 0:
            raise RuntimeError(f"dovecot did not start: {(self.root / 'start.log').read_text()}")
        # Ready when a sign-in works: the port listens a moment before the auth process answers.
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                self.client().logout()
                return
            except (OSError, imaplib.IMAP4.error):
                time.sleep(0.1)
        raise RuntimeError(f"dovecot does not answer on {self.port}: {self.log()}")

    def stop(self) -> None:
        subprocess.run(
            [DOVECOT, "-c", str(self.config), "stop"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=30,
        )  # fmt: skip
        shutil.rmtree(self.root, ignore_errors=True)

    def log(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text() if path.exists() else ""

    # -- test helpers, over IMAP as a mail client would

    def client(self) -> imaplib.IMAP4:
        imap = imaplib.IMAP4(self.host, self.port, timeout=30)
        imap.login(self.user, self.password)
        return imap

    def settings(self) -> dict[str, Any]:
        """The MAILBOX_* settings that point at this server."""
        return {
            "MAILBOX_HOST": self.host, "MAILBOX_PORT": self.port, "MAILBOX_SECURITY": "none",
            "MAILBOX_USER": self.user, "MAILBOX_PASSWORD": self.password,
            "MAILBOX_FOLDER": "INBOX", "MAILBOX_PROCESSED_FOLDER": "Processed",
        }  # fmt: skip

    def append(self, raw: bytes, *, folder: str = "INBOX", at: datetime | None = None) -> None:
        """Deliver `raw` into `folder` (its INTERNALDATE `at`, else now), unread."""
        self.append_many([raw], folder=folder, at=at)

    def append_many(
        self, messages: list[bytes], *, folder: str = "INBOX", at: datetime | None = None
    ) -> None:
        """Deliver each message in turn over one connection (for benchmarks and the like)."""
        imap = self.client()
        try:
            when: Any = imaplib.Time2Internaldate(at.timestamp()) if at is not None else None
            for raw in messages:
                answer: Any = imap.append(folder, "", when, raw)  # typeshed says str; it is (status, data)
                assert answer[0] == "OK", answer
        finally:
            imap.logout()

    def uids(self, folder: str = "INBOX") -> list[int]:
        imap = self.client()
        try:
            status, _ = imap.select(folder, readonly=True)
            if status != "OK":
                return []
            _, data = imap.uid("SEARCH", "ALL")
            return sorted(int(uid) for uid in (data[0] or b"").split())
        finally:
            imap.logout()

    def flags(self, uid: int, folder: str = "INBOX") -> str:
        imap = self.client()
        try:
            imap.select(folder, readonly=True)
            _, data = imap.uid("FETCH", str(uid), "(FLAGS)")
            return b" ".join(item for item in data if isinstance(item, bytes)).decode()
        finally:
            imap.logout()

    def empty(self) -> None:
        """Every message and folder gone, as a fresh mailbox."""
        imap = self.client()
        try:
            _, listing = imap.list()
            for line in listing:
                name = line.decode().rsplit(" ", 1)[-1].strip('"') if isinstance(line, bytes) else ""
                if name and name != "INBOX":
                    imap.delete(f'"{name}"')
            _, count = imap.select("INBOX")
            if count and count[0] and int(count[0]):
                imap.store("1:*", "+FLAGS.SILENT", r"(\Deleted)")
                imap.expunge()
        finally:
            imap.logout()


def require_dovecot() -> None:
    if not Path(DOVECOT).exists():
        if os.environ.get("CI"):
            pytest.fail(
                f"Dovecot not found at {DOVECOT}: CI must run the mailbox tests (.ci/run installs it)"
            )
        pytest.skip("Dovecot is not installed (apt-get install dovecot-imapd)")


def running_dovecot() -> Iterator[Dovecot]:
    require_dovecot()
    server = Dovecot()
    try:
        server.start()
        yield server
    finally:
        server.stop()
