"""The private-file store: encrypted at rest, outside MEDIA_ROOT and never served directly.

Files are encrypted with MultiFernet (ENCRYPTION_KEYS; the first key encrypts, every key decrypts, so keys rotate
without downtime) and stored under random names; the caller keeps the name and the plaintext's SHA-256.

Where the encrypted bytes go is the Django storage `STORAGES["private"]`: a folder on this machine (PRIVATE_ROOT,
the embedded run and one-node installs) or, with PRIVATE_S3_BUCKET set, S3-compatible object storage that every
web and worker node shares (docs/operator-guide.md, "Several nodes"). Either way a file is encrypted before it
leaves the process, and the store only ever holds `<folder>/<40 hex digits>.bin`.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings
from django.core.files.base import ContentFile, File
from django.core.files.storage import FileSystemStorage, Storage, storages

from .uploads import CheckedFile


def fernet() -> MultiFernet:
    return MultiFernet([Fernet(key) for key in settings.ENCRYPTION_KEYS])


# Private folders: what requesters sent (and staff uploaded), letters we wrote, packets we built.
FOLDERS = frozenset({"evidence", "letters", "packets"})
_STORED = re.compile(r"[0-9a-f]{40}\.bin")


class PrivateFileSystemStorage(FileSystemStorage):
    """PRIVATE_ROOT on this machine. Read from the setting on every use, not once, so a test (or a command) that
    points PRIVATE_ROOT elsewhere is followed; files written beside, then renamed."""

    def __init__(self, **options: Any) -> None:
        options.setdefault("file_permissions_mode", 0o600)
        options.setdefault("directory_permissions_mode", 0o700)
        # Names are random and never reused: keeping a name again is a restore of the same bytes (as on S3).
        options.setdefault("allow_overwrite", True)
        self._fixed_location = options.get("location")
        super().__init__(**options)

    @property
    def base_location(self) -> str:
        return str(self._fixed_location or settings.PRIVATE_ROOT)

    @property
    def location(self) -> str:
        return os.path.abspath(self.base_location)

    def _save(self, name: str, content: File[Any]) -> str:
        target = Path(self.path(name))
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        # Written beside, then renamed: a reader never sees half a file, a crash leaves no torn one.
        partial = target.with_suffix(".part")
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as out:
            for chunk in content.chunks():
                out.write(chunk)
        partial.replace(target)
        return name


def storage() -> Storage:
    """The storage behind every private file (STORAGES["private"])."""
    return storages["private"]


def _key(stored_name: str, folder: str) -> str:
    if folder not in FOLDERS:
        raise ValueError(f"unknown private folder {folder!r}")
    if not _STORED.fullmatch(stored_name):
        raise ValueError("not a stored file name")
    return f"{folder}/{stored_name}"


# Set by checks.require_keys when a web or worker process started while the database was away, so the key check
# could not run: it runs before the first file this process encrypts, which must never be under a key nobody kept.
deferred_key_check: Callable[[], None] | None = None


def store_bytes(data: bytes, folder: str = "evidence") -> tuple[str, str]:
    """Encrypt and write bytes under a random name; return (stored name, sha256 of the plaintext)."""
    if deferred_key_check is not None:
        deferred_key_check()
    stored_name = f"{secrets.token_hex(20)}.bin"
    write_raw(stored_name, fernet().encrypt(data), folder)
    return stored_name, hashlib.sha256(data).hexdigest()


def store(checked: CheckedFile) -> tuple[str, str]:
    """Encrypt and write a checked upload; return (stored name, sha256 of the plaintext)."""
    return store_bytes(checked.data)


def load(stored_name: str, folder: str = "evidence") -> bytes:
    return fernet().decrypt(read_raw(stored_name, folder))


def remove(stored_name: str, folder: str = "evidence") -> None:
    if _STORED.fullmatch(stored_name):
        storage().delete(_key(stored_name, folder))


# What backups, restores and tests need: the bytes as they are at rest (encrypted), and which names exist.


def read_raw(stored_name: str, folder: str = "evidence") -> bytes:
    """The stored (encrypted) bytes; FileNotFoundError if there are none."""
    with storage().open(_key(stored_name, folder), "rb") as stored:
        data: bytes = stored.read()
    return data


def write_raw(stored_name: str, data: bytes, folder: str = "evidence") -> None:
    """Keep already-encrypted bytes under this name (a new file, or a restore of one from a backup)."""
    key = _key(stored_name, folder)
    saved = storage().save(key, ContentFile(data))
    if saved != key:
        raise OSError(f"private file stored as {saved!r}, not {key!r}")


def exists(stored_name: str, folder: str = "evidence") -> bool:
    return storage().exists(_key(stored_name, folder))


def names(folder: str = "evidence") -> set[str]:
    """Every stored name in a folder (a half-written `.part` is none of them)."""
    if folder not in FOLDERS:
        raise ValueError(f"unknown private folder {folder!r}")
    try:
        _dirs, found = storage().listdir(folder)
    except FileNotFoundError:  # the local folder is made by the first file
        return set()
    return {name for name in found if _STORED.fullmatch(name)}
