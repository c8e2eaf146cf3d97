"""A wrong ENCRYPTION_KEYS list is noticed (issue 24): the key check, /healthz, and what staff see on a download."""

from __future__ import annotations

from typing import Any

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import OperationalError
from django.test import Client

from identity.services import add_extract
from privacyportal import files
from privacyportal.checks import require_keys
from privacyportal.keycheck import Keys, check_keys, read_keys
from privacyportal.models import KeyCheck
from privacyportal.uploads import check_extract
from requests import services, tasks
from requests.models import CompanySystem, Letter, Packet, PacketStatus, PrivacyRequest
from tests.factories import make_case, signed_in

pytestmark = pytest.mark.django_db

OLD = Fernet.generate_key().decode()
NEW = Fernet.generate_key().decode()
WRONG = Fernet.generate_key().decode()


def test_the_first_start_writes_the_check_and_only_a_list_holding_its_key_reads_it(settings: Any) -> None:
    settings.ENCRYPTION_KEYS = [OLD]
    assert read_keys() is Keys.WRITTEN and check_keys() is Keys.WRITTEN
    assert check_keys() is Keys.READABLE
    settings.ENCRYPTION_KEYS = [WRONG]
    assert check_keys() is Keys.UNREADABLE and read_keys() is Keys.UNREADABLE
    with pytest.raises(ImproperlyConfigured, match="no key in it can decrypt the key check") as refused:
        require_keys()
    assert WRONG not in str(refused.value) and OLD not in str(refused.value)


def test_rotation_a_new_key_first_starts_and_moves_the_check_under_it(settings: Any) -> None:
    settings.ENCRYPTION_KEYS = [OLD]
    check_keys()
    settings.ENCRYPTION_KEYS = [NEW, OLD]
    require_keys()  # starts
    row = KeyCheck.objects.get()
    assert row.rotated_at is not None
    Fernet(NEW).decrypt(row.token.encode())  # re-encrypted under the new key
    # Files may now be encrypted under NEW: a list without it (rolled back to the old one) is refused.
    settings.ENCRYPTION_KEYS = [OLD]
    assert check_keys() is Keys.UNREADABLE
    settings.ENCRYPTION_KEYS = [NEW]  # the old key dropped once nothing needs it
    assert check_keys() is Keys.READABLE


def test_a_node_still_on_the_first_roll_starts_but_never_moves_the_check_back(
    settings: Any, caplog: Any
) -> None:
    """Rolled to `new,old`, then a node still on the first roll's `old,new` restarted: the check went back under
    OLD, and a list of OLD alone started again although files were encrypted under NEW."""
    settings.ENCRYPTION_KEYS = [OLD]
    check_keys()
    settings.ENCRYPTION_KEYS = [NEW, OLD]
    check_keys()  # the second roll: the check moves under NEW
    settings.ENCRYPTION_KEYS = [OLD, NEW]
    require_keys()  # the node still on the first roll starts: it reads every file
    Fernet(NEW).decrypt(KeyCheck.objects.get().token.encode())  # the check stays under NEW
    assert "rotated out" in caplog.text and OLD not in caplog.text and NEW not in caplog.text
    settings.ENCRYPTION_KEYS = [OLD]
    assert check_keys() is Keys.UNREADABLE
    # The next rotation retires NEW as NEW retired OLD; neither key is stored, only a keyed hash of each.
    newest = Fernet.generate_key().decode()
    settings.ENCRYPTION_KEYS = [newest, NEW]
    assert check_keys() is Keys.READABLE
    row = KeyCheck.objects.get()
    Fernet(newest).decrypt(row.token.encode())
    assert len(row.retired) == 2 and not {OLD, NEW} & {*row.retired}
    settings.ENCRYPTION_KEYS = [NEW, newest]
    check_keys()
    Fernet(newest).decrypt(KeyCheck.objects.get().token.encode())


def test_healthz_warns_of_a_node_encrypting_under_a_retired_key_without_failing(
    client: Client, settings: Any
) -> None:
    tasks.heartbeat()
    tasks.sweep("overdue")
    settings.ENCRYPTION_KEYS = [OLD]
    check_keys()
    settings.ENCRYPTION_KEYS = [NEW, OLD]
    check_keys()
    assert client.get("/healthz").json()["checks"]["keys"] == {"ok": True}
    settings.ENCRYPTION_KEYS = [OLD, NEW]  # left on the first roll: its new files are under OLD
    response = client.get("/healthz")
    assert response.status_code == 200  # mid-rotation every node of the first roll is so
    assert response.json()["checks"]["keys"] == {
        "ok": True,
        "warning": "the first key of ENCRYPTION_KEYS was rotated out: put the newest first",
    }


def test_healthz_fails_on_keys_that_cannot_read_the_check(client: Client, settings: Any) -> None:
    tasks.heartbeat()
    tasks.sweep("overdue")
    check_keys()
    assert client.get("/healthz").json()["checks"]["keys"] == {"ok": True}
    settings.ENCRYPTION_KEYS = [WRONG, Fernet.generate_key().decode()]
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["keys"] == {
        "ok": False,
        "error": "no key in ENCRYPTION_KEYS can decrypt the key check",
    }
    assert WRONG not in response.content.decode()


@pytest.fixture
def case_files(dpo: Any) -> dict[str, str]:
    """A case with evidence, a letter and a packet, encrypted under the test keys; their staff download URLs."""
    case = services.assign(services.confirm_email(make_case(kind="access")), to=dpo, by=dpo)
    extract = check_extract(SimpleUploadedFile("orders.csv", b"order\n1001\n"))
    evidence = add_extract(case, extract, system=CompanySystem.objects.create(name="CRM"), by=dpo)
    stored, digest = files.store_bytes(b"%PDF-1.4 a letter", "letters")
    letter = Letter.objects.create(
        privacy_request=case,
        kind="access",
        language="en",
        for_event=1,
        stored_name=stored,
        sha256=digest,
        size=17,
    )
    stored, digest = files.store_bytes(b"PK\x05\x06" + b"\x00" * 18, "packets")
    Packet.objects.create(
        privacy_request=case, status=PacketStatus.READY, stored_name=stored, sha256=digest, size=22
    )
    return {
        "evidence_viewed": f"/admin/evidence/{evidence.pk}/",
        "letter_viewed": f"/admin/letters/{letter.pk}/",
        "packet_viewed": f"/admin/packets/{case.pk}/",
    }


def test_a_file_the_keys_cannot_decrypt_shows_staff_what_to_check_and_records_no_viewing(
    dpo: Any, case_files: dict[str, str], settings: Any, caplog: Any
) -> None:
    case = PrivacyRequest.objects.get()
    client = signed_in(dpo, "DPO")
    client.raise_request_exception = False
    right = settings.ENCRYPTION_KEYS
    settings.ENCRYPTION_KEYS = [WRONG]
    for verb, url in case_files.items():
        response = client.get(url)
        page = response.content.decode()
        assert response.status_code == 500, url
        assert "This file cannot be decrypted" in page and "check the ENCRYPTION_KEYS setting" in page, url
        assert not case.events.filter(verb=verb).exists(), url
    assert "could not be decrypted with ENCRYPTION_KEYS" in caplog.text
    assert case.requester_email not in caplog.text and "orders.csv" not in caplog.text
    # The right keys back: each opens, and each look is recorded once.
    settings.ENCRYPTION_KEYS = right
    for verb, url in case_files.items():
        assert client.get(url).status_code == 200, url
        assert case.events.filter(verb=verb).count() == 1, url


def test_a_start_with_the_database_away_checks_the_keys_before_its_first_file(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.ENCRYPTION_KEYS = [OLD]
    check_keys()  # the check written by an earlier start
    settings.ENCRYPTION_KEYS = [WRONG]

    def database_away() -> Keys:
        raise OperationalError("could not connect to server")

    monkeypatch.setattr("privacyportal.checks.check_keys", database_away)
    require_keys()  # started: pages answer 503 until the database is back
    monkeypatch.undo()
    before = files.names("letters")
    try:
        with pytest.raises(ImproperlyConfigured, match="no key in it can decrypt the key check"):
            files.store_bytes(b"a letter", "letters")
        assert files.names("letters") == before  # nothing written under a key nobody kept
        settings.ENCRYPTION_KEYS = [NEW, OLD]  # the right list, rotated
        stored_name, _digest = files.store_bytes(b"a letter", "letters")
        assert files.load(stored_name, "letters") == b"a letter"
        assert files.deferred_key_check is None  # checked once, not before every file
    finally:
        files.deferred_key_check = None
