"""`manage.py backup` and `manage.py restore` (requests/backups.py): the database and the private files together.

The backup is taken here, on the test database, while files come and go; the restore runs as an operator runs it,
in another process, into a new empty database and an empty file store (a fresh folder, or a fresh bucket of the
local S3 server), and is then checked there: the audit chains, every file, and what the outbox sends.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone
from kombu import Connection

from identity import services as identity_services
from identity.models import Evidence
from privacyportal import files, outbox
from privacyportal.models import QueuedTask
from privacyportal.uploads import check_upload
from requests import backups, letters
from requests.models import Letter, Packet
from requests.services import retention
from tests.factories import make_case, pdf_bytes
from tests.requests.test_packets import access_case, build
from tests.workers import database_url

ROOT = Path(__file__).resolve().parents[2]

# Run in the restored installation: each outbox row's task as a worker would run it when its message arrives.
RUN_OUTBOX = """
import json, os
from celery import current_app
from privacyportal.models import QueuedTask
current_app.loader.import_default_modules()
for pk in json.loads(os.environ["ROWS"]):
    row = QueuedTask.objects.get(pk=pk)
    current_app.tasks[row.name].apply(tuple(row.args), task_id=str(row.task_id), throw=True)
    row.refresh_from_db()
    print("row", pk, "delivered" if row.delivered_at else "undelivered")
"""


def upload(case: Any, data: bytes) -> Evidence:
    item = identity_services.keep_upload(
        check_upload(SimpleUploadedFile("passport.pdf", data)), kind="id_document"
    )
    return identity_services.attach_evidence(case, item)


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, settings: Any, tmp_path: Path) -> dict[str, str]:
    """Where this installation keeps its files; returns the environment for the restored one's empty store."""
    settings.PRIVATE_ROOT = tmp_path / "private"
    if request.param == "s3":
        request.getfixturevalue("s3_private")
        s3server = request.getfixturevalue("s3server")
        return dict(s3server.environment(s3server.new_bucket()))
    return {}


@pytest.fixture
def empty_database(tmp_path: Path) -> Iterator[str]:
    """A new, empty database on the same server, as an operator creates one to restore into."""
    if connection.vendor == "sqlite":
        yield f"sqlite:///{tmp_path / 'restored.sqlite3'}"
        return
    name = f"pp_restore_{uuid.uuid4().hex[:12]}"
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    try:
        yield database_url().rsplit("/", 1)[0] + "/" + name
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def restored(tmp_path: Path, database: str, store: dict[str, str], *command: str, **more: str) -> Any:
    """manage.py in the restored installation: its own database, files and broker; the same keys."""
    var = tmp_path / "restored"
    env = {
        key: value for key, value in os.environ.items() if key not in ("PRIVATE_ROOT", "TEST_PRIVATE_ROOT")
    }
    env.update(
        DJANGO_SETTINGS_MODULE="privacyportal.test_settings", DATABASE_URL=database, REDIS_URL="",
        VAR_DIR=str(var), TEST_PRIVATE_ROOT=str(var / "private"), EMAIL_URL=f"filemail://{var / 'mail'}",
        **store, **more,
    )  # fmt: skip
    return subprocess.run(
        [sys.executable, "manage.py", *command],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def shell(tmp_path: Path, database: str, store: dict[str, str], code: str, **more: str) -> Any:
    return restored(tmp_path, database, store, "shell", "-v", "0", "-c", code, **more)


@pytest.mark.django_db(transaction=True)
def test_a_backup_taken_under_load_restores_every_file_the_database_names(
    store: dict[str, str],
    empty_database: str,
    dpo: Any,
    handler: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    # Cases with an identity document, extracts, a built packet and a letter; their emails all sent.
    case = access_case(dpo, handler, country="JP")
    document = upload(case, pdf_bytes())
    packet = build(case, handler, django_capture_on_commit_callbacks)
    letter = letters.issue(case, "access", for_event=1)
    other_case = make_case(requester_email="bo@example.org")
    purged_later = upload(other_case, pdf_bytes(pages=2))
    sent = QueuedTask.objects.filter(delivered_at__isnull=False).order_by("pk").first()
    assert sent is not None
    # An email promised but not delivered when the backup is taken: the broker was down when it was published.
    with monkeypatch.context() as broker_down:
        broker_down.setattr(outbox, "publish", lambda row: False)
        owed = outbox.enqueue("requests.tasks.send_requester_email", case.pk, "request-received", 0)

    # An upload after the first file copy listed the store, before the snapshot: its row is in the snapshot, its
    # file only in the final copy.
    copy = backups._copy_new_files
    between: list[Evidence] = []

    def copy_then_upload(target: Path, copied: dict[str, dict[str, Any]]) -> None:
        copy(target, copied)
        if not between:
            between.append(upload(case, pdf_bytes(pages=4)))

    monkeypatch.setattr(backups, "_copy_new_files", copy_then_upload)
    # After the database is dumped, uploads go on and a purge removes a file its row in the snapshot still names.
    dump = backups._dump_database
    late: list[Evidence] = []

    def dump_under_load(path: Path) -> set[str]:
        named = dump(path)
        late.append(upload(case, pdf_bytes(pages=3)))
        retention.purge_evidence(other_case.pk, Evidence.objects.filter(pk=purged_later.pk), timezone.now())
        return named

    monkeypatch.setattr(backups, "_dump_database", dump_under_load)
    call_command("backup", str(tmp_path / "backup"))
    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    assert between[0].stored_name in manifest["files"]  # by the final copy
    assert late[0].stored_name in manifest["files"]  # copied, though no row of the snapshot names it
    assert purged_later.stored_name in manifest["files"]  # copied before the purge removed it
    # The backup holds the files as they were at rest: encrypted.
    at_rest = (tmp_path / "backup" / "files" / "evidence" / document.stored_name).read_bytes()
    assert at_rest == files.read_raw(document.stored_name) and b"%PDF" not in at_rest

    result = restored(tmp_path, empty_database, store, "restore", str(tmp_path / "backup"), "--purge-broker")
    assert result.returncode == 0, result.stdout + result.stderr
    named = {
        document,
        purged_later,
        between[0],
        *Evidence.objects.filter(privacy_request=case, kind="extract"),
    }
    assert (
        f"Restored the database and {len(named) + 2} private files." in result.stdout
    )  # + packet and letter
    assert "Every file decrypts and the audit chains are intact" in result.stdout
    assert "1 outbox tasks were not delivered" in result.stdout
    assert f"{owed.task_id} requests.tasks.send_requester_email" in result.stdout
    assert str(sent.task_id) not in result.stdout

    check = restored(tmp_path, empty_database, store, "verify_audit")
    assert check.returncode == 0 and "Audit chain intact" in check.stdout, check.stderr
    # In the restored store: exactly the files the restored rows name, each one decrypting to what was kept.
    script = """
import os
from privacyportal import files
from requests import backups
named = {(folder, name): sha for _what, folder, name, sha in backups.referenced()}
kept = {(folder, name) for folder in sorted(files.FOLDERS) for name in files.names(folder)}
print("same", kept == set(named))
print("decrypt", all(files.load(name, folder) for folder, name in named))
print("between", ("evidence", os.environ["BETWEEN"]) in named)
"""
    listing = shell(tmp_path, empty_database, store, script, BETWEEN=between[0].stored_name)
    assert listing.stdout.split() == ["same", "True", "decrypt", "True", "between", "True"], listing.stderr
    for item in (packet, letter):
        assert item.stored_name in manifest["files"]

    # The outbox: what was delivered before the backup is not sent again; what was owed is sent once.
    mails = tmp_path / "restored" / "mail"
    ran = shell(tmp_path, empty_database, store, RUN_OUTBOX, ROWS=json.dumps([sent.pk, owed.pk]))
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.split("\n")[:2] == [f"row {sent.pk} delivered", f"row {owed.pk} delivered"]
    assert len(list(mails.iterdir())) == 1
    again = shell(tmp_path, empty_database, store, RUN_OUTBOX, ROWS=json.dumps([owed.pk]))
    assert again.returncode == 0 and len(list(mails.iterdir())) == 1, again.stderr


@pytest.mark.django_db(transaction=True)
def test_a_restore_names_the_rows_whose_file_the_backup_lacks(
    settings: Any, empty_database: str, tmp_path: Path
) -> None:
    settings.PRIVATE_ROOT = tmp_path / "private"
    document = upload(make_case(), pdf_bytes())
    call_command("backup", str(tmp_path / "backup"))
    (tmp_path / "backup" / "files" / "evidence" / document.stored_name).unlink()
    # The store restored into still holds a file of a case made after the backup.
    (tmp_path / "restored" / "private" / "letters").mkdir(parents=True)
    (tmp_path / "restored" / "private" / "letters" / f"{'c' * 40}.bin").write_bytes(b"encrypted")
    result = restored(tmp_path, empty_database, {}, "restore", str(tmp_path / "backup"), "--purge-broker")
    assert result.returncode == 1
    listed = tmp_path / "backup" / "unnamed-files.txt"
    assert f"1 files already in the store are named by no restored row (kept after the backup was taken, for cases the restore does not have): left in place and listed in {listed}" in result.stdout  # fmt: skip
    assert listed.read_text() == f"letters/{'c' * 40}.bin\n"
    assert f"Missing file: identity.Evidence {document.pk}: evidence/{document.stored_name}" in result.stderr
    assert "Restored with problems" in result.stderr


def restore_one_upload(
    settings: Any, empty_database: str, tmp_path: Path, *flags: str, **environment: str
) -> Any:
    """A backup of one case and its upload, restored by `manage.py restore` with these flags and environment."""
    settings.PRIVATE_ROOT = tmp_path / "private"
    upload(make_case(), pdf_bytes())
    call_command("backup", str(tmp_path / "backup"))
    return restored(tmp_path, empty_database, {}, "restore", str(tmp_path / "backup"), *flags, **environment)


@pytest.mark.django_db(transaction=True)
def test_a_restore_with_the_wrong_audit_keys_says_so_not_that_the_trail_was_altered(
    settings: Any, empty_database: str, tmp_path: Path
) -> None:
    result = restore_one_upload(
        settings, empty_database, tmp_path, "--leave-broker",
        AUDIT_KEYS="a-key-this-trail-was-never-written-with-000000",
    )  # fmt: skip
    assert result.returncode == 1, result.stdout + result.stderr
    assert "AUDIT_KEYS does not match the keys these events were written with" in result.stderr
    assert "altered" not in result.stderr and "Audit chain broken" not in result.stderr
    assert "Restored with problems" in result.stderr


@pytest.mark.django_db
def test_a_restore_refuses_a_database_that_is_not_empty(tmp_path: Path, settings: Any) -> None:
    settings.PRIVATE_ROOT = tmp_path / "private"
    (tmp_path / "backup").mkdir()
    (tmp_path / "backup" / "manifest.json").write_text(
        json.dumps(
            {"format": 1, "database": {"vendor": connection.vendor, "file": "db", "sha256": ""}, "files": {}}
        )
    )
    (tmp_path / "backup" / "db").write_bytes(b"")
    with pytest.raises(backups.BackupError, match="does not match the manifest"):
        backups.restore(tmp_path / "backup", purge_broker=True)
    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    manifest["database"]["sha256"] = backups._sha256(b"")
    (tmp_path / "backup" / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(backups.BackupError, match="restore into a new, empty database"):
        backups.restore(tmp_path / "backup", purge_broker=True)


def test_a_backup_needs_a_new_folder_and_a_restore_a_finished_backup(tmp_path: Path) -> None:
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "something").write_text("x")
    with pytest.raises(backups.BackupError, match="is not empty"):
        backups.backup(tmp_path / "old")
    with pytest.raises(backups.BackupError, match="not a backup, or one that did not finish"):
        backups.restore(tmp_path / "old", purge_broker=True)


def test_every_model_that_names_a_private_file_is_restored() -> None:
    """A new model keeping a `stored_name` must be added to requests/backups.py, or a restore would skip it."""
    naming = {m for m in apps.get_models() if any(f.name == "stored_name" for f in m._meta.get_fields())}
    assert naming == {rows.model for rows, _folder in backups.referencing()}
    assert {Letter, Packet, Evidence} <= naming


def test_a_restore_empties_every_queue_and_what_a_killed_worker_held(broker: Any) -> None:
    """Celery's own purge emptied only `default`: a packet build on `pdf`, or a message a killed worker held on
    Redis, ran after the restore for whichever case then had its id."""
    from privacyportal.celery import app

    app.send_task("requests.tasks.send_requester_email", (1, "request-received", 0), queue="default")
    app.send_task("requests.tasks.send_requester_email", (2, "request-received", 0), queue="default")
    app.send_task("requests.tasks.build_packet", (3, 1), queue="pdf")
    holder = Connection(broker.url, transport_options=broker.transport_options)
    if broker.kind == "redis":
        # A worker took it and was killed before acknowledging it: kombu keeps it in `unacked` to put back.
        channel: Any = holder.default_channel
        assert channel.basic_get("default", no_ack=False) is not None
        assert broker.counts("default") == (1, 1)
    try:
        assert backups.purge_queue() == 3
        assert broker.counts("default") == (0, 0)
        assert broker.counts("pdf") == (0, 0)
        if broker.kind == "redis":
            assert broker.client().exists("unacked", "unacked_index") == 0
    finally:
        holder.release()
    assert broker.counts("default") == (0, 0)  # nothing was put back when its connection closed


@pytest.mark.django_db(transaction=True)
def test_a_restore_that_cannot_empty_the_broker_does_not_say_start(
    settings: Any, empty_database: str, tmp_path: Path
) -> None:
    # Nothing listens on port 1: the broker cannot be reached.
    result = restore_one_upload(
        settings, empty_database, tmp_path, "--purge-broker", BROKER_URL="redis://127.0.0.1:1/5"
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "The broker could not be reached" in result.stderr
    # redis-cli alone would clean database 0 of the local Redis, not the broker: its URL, by the variable (never
    # printed: it may hold a password).
    assert 'redis-cli -u "$BROKER_URL" DEL unacked unacked_index' in result.stderr
    assert "127.0.0.1:1" not in result.stderr
    assert "purge it as above, then start web, worker and beat" in result.stderr
    assert "start web, worker and beat." not in result.stdout


@pytest.mark.django_db
def test_a_backup_is_readable_by_its_owner_only_even_in_a_folder_made_before(
    settings: Any, tmp_path: Path
) -> None:
    settings.PRIVATE_ROOT = tmp_path / "private"
    upload(make_case(), pdf_bytes())
    (tmp_path / "backup").mkdir(mode=0o755)
    umask = os.umask(0o022)  # the usual one: files readable by everyone
    try:
        done = backups.backup(tmp_path / "backup")
        assert os.umask(0o022) == 0o022  # put back after the backup
    finally:
        os.umask(umask)
    written = sorted(done.path.rglob("*"))
    assert len(written) == 5  # the dump, the manifest, files/, files/evidence/ and the upload
    assert (done.path.stat().st_mode & 0o777) == 0o700
    for path in written:
        assert (path.stat().st_mode & 0o077) == 0, path.relative_to(done.path)


def test_a_restore_asks_whether_to_empty_the_broker_before_doing_anything(tmp_path: Path) -> None:
    """Purging by default emptied the live broker during a test restore; never purging would let stale messages
    run against a real one. Refused before the folder is even read (it is not a backup: that would be the error)."""
    for flags in ([], ["--purge-broker", "--leave-broker"]):
        with pytest.raises(CommandError) as refused:
            call_command("restore", str(tmp_path / "nothing"), *flags)
        assert "--purge-broker (a real restore" in str(refused.value)
        assert "--leave-broker (a test restore into a scratch database" in str(refused.value)


@pytest.mark.django_db(transaction=True)
def test_a_test_restore_leaves_the_live_broker_alone(
    broker: Any, settings: Any, empty_database: str, tmp_path: Path
) -> None:
    from privacyportal.celery import app

    settings.PRIVATE_ROOT = tmp_path / "private"
    upload(make_case(), pdf_bytes())
    call_command("backup", str(tmp_path / "backup"))
    broker.lose_everything()  # the case's own emails: what the broker holds is the live deployment's below
    app.send_task("requests.tasks.send_requester_email", (1, "request-received", 0), queue="default")
    app.send_task("requests.tasks.send_requester_email", (2, "request-received", 0), queue="default")
    holder = Connection(broker.url, transport_options=broker.transport_options)
    if broker.kind == "redis":
        # A live worker holds it, unacknowledged.
        channel: Any = holder.default_channel
        assert channel.basic_get("default", no_ack=False) is not None
    try:
        before = broker.counts("default")
        result = restored(
            tmp_path, empty_database, {}, "restore", str(tmp_path / "backup"), "--leave-broker",
            BROKER_URL=broker.url,
        )  # fmt: skip
        assert result.returncode == 0, result.stdout + result.stderr
        assert broker.counts("default") == before
        if broker.kind == "redis":
            assert broker.client().exists("unacked", "unacked_index") == 2
    finally:
        holder.release()
    assert (
        "Left the broker alone (--leave-broker): do not start workers against this database" in result.stdout
    )
    assert "Purged" not in result.stdout
    assert "the test restore is good" in result.stdout


@pytest.mark.django_db(transaction=True)
def test_a_test_restore_into_the_live_store_never_offers_its_newer_files_for_deletion(
    settings: Any, empty_database: str, tmp_path: Path
) -> None:
    """A test restore pointed at the live store listed the live portal's newer files "to delete"."""
    settings.PRIVATE_ROOT = tmp_path / "private"
    upload(make_case(), pdf_bytes())
    call_command("backup", str(tmp_path / "backup"))
    newer = tmp_path / "restored" / "private" / "letters" / f"{'c' * 40}.bin"
    newer.parent.mkdir(parents=True)
    newer.write_bytes(b"encrypted")
    result = restored(tmp_path, empty_database, {}, "restore", str(tmp_path / "backup"), "--leave-broker")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 files already in the store are named by no restored row" in result.stdout
    assert "Never delete them." in result.stdout and "delete them if" not in result.stdout
    assert not (tmp_path / "backup" / "unnamed-files.txt").exists() and newer.exists()


@pytest.mark.django_db(transaction=True)
def test_a_restore_of_an_old_backup_is_healthy_and_gives_no_reference_again(
    settings: Any, empty_database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """/healthz was 503 until the first sweep after restoring a backup with an undelivered row older than 25
    minutes; and the next case got the id (and reference) of the first case made after the backup."""
    settings.PRIVATE_ROOT = tmp_path / "private"
    case = make_case()
    with monkeypatch.context() as broker_down:
        broker_down.setattr(outbox, "publish", lambda row: False)
        owed = outbox.enqueue("requests.tasks.send_requester_email", case.pk, "request-received", 0)
    promised = timezone.now() - timedelta(hours=2)
    QueuedTask.objects.filter(pk=owed.pk).update(created_at=promised, published_at=promised)
    call_command("backup", str(tmp_path / "backup"))

    result = restored(tmp_path, empty_database, {}, "restore", str(tmp_path / "backup"), "--purge-broker")
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{owed.task_id} requests.tasks.send_requester_email" in result.stdout
    assert f"queued {promised:%Y-%m-%d %H:%M} UTC" in result.stdout  # when it was promised, for the mail log
    script = """
from datetime import timedelta
import time_machine
from django.test import Client
from django.utils import timezone
from privacyportal import outbox
from requests import health
from tests.factories import make_case
def outbox_ok():
    return Client().get("/healthz", HTTP_HOST="localhost").json()["checks"]["outbox"]["ok"]
print("outbox_ok", outbox_ok())
# The services started an hour after the restore (the guide's steps take time): owed from the first start.
with time_machine.travel(timezone.now() + timedelta(hours=1), tick=False):
    print("stale_before_a_worker", not outbox_ok())
    health.worker_started()
    print("started_ok", outbox_ok())
    published = []
    outbox.publish = lambda row: published.append(str(row.task_id)) or True
    print("swept", outbox.redeliver(), *published)
print("next", make_case().pk)
"""
    after = shell(tmp_path, empty_database, {}, script)
    assert after.returncode == 0, after.stderr
    lines = after.stdout.split("\n")
    assert lines[0] == "outbox_ok True"
    # With no worker yet /healthz fails anyway (no worker heartbeat); the first start owes the backup's tasks anew.
    assert lines[1:3] == ["stale_before_a_worker True", "started_ok True"]
    assert lines[3] == f"swept 1 {owed.task_id}"  # the sweep's next run publishes what was owed
    next_pk = int(lines[4].split()[1])
    assert next_pk >= case.pk + backups.CASE_ID_MARGIN
    assert f"New cases are numbered from {next_pk}:" in result.stdout


@pytest.mark.django_db(transaction=True)
def test_a_backup_counts_the_files_written_after_its_snapshot(
    settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It read the rows of the live database after the dump, which name the new files too: it said 0."""
    settings.PRIVATE_ROOT = tmp_path / "private"
    case = make_case()
    upload(case, pdf_bytes())
    dump = backups._dump_database

    def dump_then_upload(path: Path) -> set[str]:
        named = dump(path)
        upload(case, pdf_bytes(pages=2))
        return named

    monkeypatch.setattr(backups, "_dump_database", dump_then_upload)
    out = io.StringIO()
    call_command("backup", str(tmp_path / "backup"), stdout=out)
    assert "2 private files" in out.getvalue()
    assert "(1 written after the database snapshot, which a restore leaves out)" in out.getvalue()
