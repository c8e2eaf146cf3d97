"""Two nodes, no shared disk, one object store: what one stores the other reads (issue 24, deliverable 2).

Each "node" is a process of its own with its own VAR_DIR and PRIVATE_ROOT, configured only through the PRIVATE_S3_*
environment an operator sets, on the same database and the local S3 server (tests/s3server.py).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from identity.models import Evidence
from tests.factories import make_case, pdf_bytes
from tests.workers import database_url

ROOT = Path(__file__).resolve().parents[2]

# The web node: a requester's identity document, through the service the public form calls.
UPLOAD = """
import os
from django.core.files.uploadedfile import SimpleUploadedFile
from identity import services
from privacyportal.uploads import check_upload
from requests.models import PrivacyRequest
case = PrivacyRequest.objects.get(pk=os.environ["CASE_PK"])
upload = SimpleUploadedFile("passport.pdf", bytes.fromhex(os.environ["PDF_HEX"]))
item = services.keep_upload(check_upload(upload), kind="id_document")
services.attach_evidence(case, item)
"""

# The other node: a member of staff opens it, through the service the staff download calls.
DOWNLOAD = """
import hashlib, os
from django.contrib.auth import get_user_model
from identity import services
from identity.models import Evidence
item = Evidence.objects.get(privacy_request_id=os.environ["CASE_PK"])
staff = get_user_model().objects.get(pk=os.environ["STAFF_PK"])
print("sha256", hashlib.sha256(services.read_evidence(item, by=staff)).hexdigest())
"""


def node(name: str, tmp_path: Path, s3: dict[str, str], code: str, **more: str) -> str:
    var = tmp_path / name
    env = {
        key: value for key, value in os.environ.items() if key not in ("PRIVATE_ROOT", "TEST_PRIVATE_ROOT")
    }
    env.update(
        DJANGO_SETTINGS_MODULE="privacyportal.test_settings", DATABASE_URL=database_url(), VAR_DIR=str(var),
        TEST_PRIVATE_ROOT=str(var / "private"), **s3, **more,
    )  # fmt: skip
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.django_db(transaction=True)
def test_evidence_stored_on_one_node_is_read_on_another_with_no_shared_disk(
    s3server: Any, dpo: Any, tmp_path: Path
) -> None:
    bucket = s3server.new_bucket()
    # The store's own encryption on top of ours, as an operator may ask for it.
    s3 = {**s3server.environment(bucket, prefix="portal"), "PRIVATE_S3_SERVER_SIDE_ENCRYPTION": "AES256"}
    case = make_case()
    document = pdf_bytes()

    node("web", tmp_path, s3, UPLOAD, CASE_PK=str(case.pk), PDF_HEX=document.hex())
    item = Evidence.objects.get(privacy_request=case)
    assert s3server.keys(bucket) == {f"portal/evidence/{item.stored_name}"}
    stored = s3server.client().head_object(Bucket=bucket, Key=f"portal/evidence/{item.stored_name}")
    assert stored["ServerSideEncryption"] == "AES256"

    answer = node("worker", tmp_path, s3, DOWNLOAD, CASE_PK=str(case.pk), STAFF_PK=str(dpo.pk))
    assert f"sha256 {hashlib.sha256(document).hexdigest()}" in answer
    assert item.sha256 == hashlib.sha256(document).hexdigest()
    assert list(case.events.filter(verb__startswith="evidence").values_list("verb", flat=True)) == [
        "evidence_added", "evidence_viewed"
    ]  # fmt: skip
    # Neither node kept anything on its own disk.
    for name in ("web", "worker"):
        private = tmp_path / name / "private"
        assert not private.exists() or not any(private.rglob("*.bin")), name
