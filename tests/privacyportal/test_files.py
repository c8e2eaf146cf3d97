"""The private-file store (privacyportal/files.py) on both of its backends: PRIVATE_ROOT on this machine, and
S3-compatible object storage (a local moto server, tests/s3server.py)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet, MultiFernet

from privacyportal import files

SECRET = "Паспорт 4509 123456, выдан 01.02.2003".encode()


@pytest.fixture(params=["local", "s3"])
def backend(request: pytest.FixtureRequest, settings: Any, tmp_path: Path) -> str:
    settings.PRIVATE_ROOT = tmp_path / "private"
    if request.param == "s3":
        request.getfixturevalue("s3_private")
    return str(request.param)


def test_a_stored_file_reads_back_and_is_kept_only_encrypted(backend: str, settings: Any) -> None:
    stored_name, digest = files.store_bytes(SECRET, "letters")
    assert files.load(stored_name, "letters") == SECRET
    at_rest = files.read_raw(stored_name, "letters")
    assert SECRET not in at_rest and b"4509" not in at_rest
    # Readable with the keys alone: what a restore on a fresh machine depends on.
    keys = MultiFernet([Fernet(key) for key in settings.ENCRYPTION_KEYS])
    assert keys.decrypt(at_rest) == SECRET
    assert len(digest) == 64 and files.exists(stored_name, "letters")
    assert files.names("letters") == {stored_name}
    assert files.names("evidence") == set() and not files.exists(stored_name, "evidence")


def test_a_removed_file_is_gone(backend: str) -> None:
    kept, _ = files.store_bytes(b"kept")
    removed, _ = files.store_bytes(b"removed")
    files.remove(removed)
    files.remove(removed)  # twice (a retried purge) is no error
    assert files.names() == {kept}
    assert not files.exists(removed)
    with pytest.raises(FileNotFoundError):
        files.load(removed)


def test_raw_bytes_put_back_under_their_name_decrypt_as_before(backend: str) -> None:
    """What a restore does: the encrypted bytes of a backup, under the name the database row holds."""
    stored_name, _ = files.store_bytes(SECRET, "packets")
    at_rest = files.read_raw(stored_name, "packets")
    files.remove(stored_name, "packets")
    files.write_raw(stored_name, at_rest, "packets")
    files.write_raw(stored_name, at_rest, "packets")  # a restore run twice
    assert files.load(stored_name, "packets") == SECRET
    assert files.names("packets") == {stored_name}


@pytest.mark.parametrize(
    "name", ["../evidence/x.bin", "a" * 40 + ".bin/../x", "x.txt", "", "A" * 40 + ".bin"]
)
def test_only_stored_names_are_read_or_written(backend: str, name: str) -> None:
    with pytest.raises(ValueError, match="not a stored file name"):
        files.load(name)
    with pytest.raises(ValueError, match="not a stored file name"):
        files.write_raw(name, b"x")


def test_an_unknown_folder_is_refused(backend: str) -> None:
    with pytest.raises(ValueError, match="unknown private folder"):
        files.store_bytes(b"x", "media")
    with pytest.raises(ValueError, match="unknown private folder"):
        files.names("../evidence")


def test_on_this_machine_files_are_owner_only_and_never_half_written(settings: Any, tmp_path: Path) -> None:
    settings.PRIVATE_ROOT = tmp_path / "private"
    stored_name, _ = files.store_bytes(SECRET)
    path = tmp_path / "private" / "evidence" / stored_name
    assert path.is_file() and os.stat(path).st_mode & 0o777 == 0o600
    assert os.stat(path.parent).st_mode & 0o777 == 0o700
    assert [p.name for p in path.parent.iterdir()] == [stored_name]  # the `.part` it was written as is gone
    # A write interrupted by a crash leaves a `.part` that no listing (and so no backup) takes for a file.
    (path.parent / ("b" * 40 + ".part")).write_bytes(b"torn")
    assert files.names() == {stored_name}


def test_on_object_storage_nothing_touches_the_local_folder(
    s3server: Any, settings: Any, tmp_path: Path
) -> None:
    settings.PRIVATE_ROOT = tmp_path / "private"
    bucket = s3server.new_bucket()
    settings.STORAGES = {**settings.STORAGES, "private": s3server.storage(bucket, "portal/prod")}
    stored_name, _ = files.store_bytes(SECRET, "letters")
    assert s3server.keys(bucket) == {f"portal/prod/letters/{stored_name}"}
    body = (
        s3server.client().get_object(Bucket=bucket, Key=f"portal/prod/letters/{stored_name}")["Body"].read()
    )
    assert SECRET not in body and files.load(stored_name, "letters") == SECRET
    assert not (tmp_path / "private").exists()
    # Private: nobody but the bucket's owner is granted anything (no ACL is ever sent).
    grants = s3server.client().get_object_acl(Bucket=bucket, Key=f"portal/prod/letters/{stored_name}")[
        "Grants"
    ]
    assert [grant["Grantee"].get("URI") for grant in grants] == [None]
