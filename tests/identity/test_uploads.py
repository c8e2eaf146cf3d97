"""Uploads kept before their case exists (identity/services.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from identity import services
from identity.models import Evidence
from privacyportal import files
from privacyportal.uploads import CheckedFile
from tests.factories import pdf_bytes


@pytest.mark.django_db
def test_a_replaced_upload_loses_its_row_before_its_file(
    settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    """A backup relies on a row never naming a file already gone: one taken between the two named a lost file."""
    settings.PRIVATE_ROOT = tmp_path
    first = services.keep_upload(CheckedFile("id.pdf", "application/pdf", pdf_bytes()), kind="id_document")
    remove = files.remove
    row_left: list[bool] = []

    def remove_noting_the_row(stored_name: str, folder: str = "evidence") -> None:
        row_left.append(Evidence.objects.filter(pk=first.pk).exists())
        remove(stored_name, folder)

    monkeypatch.setattr(files, "remove", remove_noting_the_row)
    with django_capture_on_commit_callbacks(execute=True):
        services.keep_upload(
            CheckedFile("id.pdf", "application/pdf", pdf_bytes(pages=2)), kind="id_document", replacing=first
        )
    assert row_left == [False]
    assert not files.exists(first.stored_name)
