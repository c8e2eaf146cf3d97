"""The private-file store: encrypted at rest, under PRIVATE_ROOT, outside MEDIA_ROOT and never served directly.

Files are encrypted with MultiFernet (ENCRYPTION_KEYS; the first key encrypts, every key decrypts, so keys rotate
without downtime) and stored under random names; the caller keeps the name and the plaintext's SHA-256.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from pathlib import Path

from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings

from .uploads import CheckedFile


def fernet() -> MultiFernet:
    return MultiFernet([Fernet(key) for key in settings.ENCRYPTION_KEYS])


# Private folders under PRIVATE_ROOT: what requesters sent, letters we wrote, packets we built.
FOLDERS = frozenset({"evidence", "letters", "packets"})
_STORED = re.compile(r"[0-9a-f]{40}\.bin")


def private_dir(folder: str = "evidence") -> Path:
    if folder not in FOLDERS:
        raise ValueError(f"unknown private folder {folder!r}")
    path = Path(settings.PRIVATE_ROOT) / folder
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def store_bytes(data: bytes, folder: str = "evidence") -> tuple[str, str]:
    """Encrypt and write bytes under a random name; return (stored name, sha256 of the plaintext)."""
    stored_name = f"{secrets.token_hex(20)}.bin"
    target = private_dir(folder) / stored_name
    # Written beside, then renamed: a reader never sees half a file, a crash leaves no torn one.
    partial = target.with_suffix(".part")
    partial.write_bytes(fernet().encrypt(data))
    partial.replace(target)
    return stored_name, hashlib.sha256(data).hexdigest()


def store(checked: CheckedFile) -> tuple[str, str]:
    """Encrypt and write a checked upload; return (stored name, sha256 of the plaintext)."""
    return store_bytes(checked.data)


def load(stored_name: str, folder: str = "evidence") -> bytes:
    if not _STORED.fullmatch(stored_name):
        raise ValueError("not a stored file name")
    return fernet().decrypt((private_dir(folder) / stored_name).read_bytes())


def remove(stored_name: str, folder: str = "evidence") -> None:
    if _STORED.fullmatch(stored_name):
        (private_dir(folder) / stored_name).unlink(missing_ok=True)
