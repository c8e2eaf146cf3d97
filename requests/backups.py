"""Backups and restores of the database and the private files together (`manage.py backup`, `manage.py restore`).

A database row names a private file (evidence, an extract, a letter, a packet) that must exist; the two live in
different places and change under load, so they are copied in an order that keeps every row's file:

1. every file in the store, as it is at rest (encrypted);
2. the database, in one consistent snapshot (pg_dump; SQLite's online backup);
3. every file written since step 1 began.

A row in the snapshot was committed before step 2, with its file written before it (every service stores the file
first), so the file is caught by step 1 or 3; a file removed after step 1 (a purge, a superseded packet) is kept by
step 1 for the rows that still name it in the snapshot. What step 3 finds that no row names (written after the
snapshot) is copied but never restored. The one gap: a file written after step 1 began and removed again before
step 3 reached it, with its row in the snapshot (a packet rebuilt twice within the backup); the restore names each
such row.

A restore goes into an empty database: the snapshot, then the files the restored rows name (checked against the
manifest), then every such file decrypted, the audit chains verified, the case ids moved on, the outbox told what
to do and, for a real restore only, the broker emptied (below).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sqlite3
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from celery import current_app
from django.db import connection
from django.db.backends.sqlite3.base import SQLiteCursorWrapper
from django.db.models import QuerySet
from django.utils import timezone
from kombu import Queue

from identity.models import Evidence
from privacyportal import files, outbox
from privacyportal.models import QueuedTask
from privacyportal.outbox import MAX_PUBLISHES

from .audit import headline, verify_chains
from .health import RESTORED
from .models import Heartbeat, InboxAttachment, Letter, Packet, PostalLetter, PrivacyRequest

FORMAT = 1

MANIFEST = "manifest.json"
DUMPS = {"postgresql": "database.pgdump", "sqlite": "database.sqlite3"}
# Written into the backup folder by a restore into a store that holds files no restored row names.
UNNAMED_LIST = "unnamed-files.txt"
# Case ids (and so references, PR-<year>-<id>) a restore skips: those given to cases after the backup were emailed
# to their requesters, and must not name another case. At least this many, or the backup's last 90 days' cases.
CASE_ID_MARGIN = 10_000
CASE_ID_MARGIN_DAYS = 90


class BackupError(Exception):
    """The backup or restore cannot go on; the message says why and what to do."""


def referencing() -> list[tuple[QuerySet[Any], str]]:
    """Every row that says its file exists, with the folder the file is in."""
    return [
        (Evidence.objects.filter(purged_at__isnull=True), "evidence"),
        (InboxAttachment.objects.exclude(stored_name=""), "evidence"),
        (Letter.objects.filter(purged_at__isnull=True), "letters"),
        (PostalLetter.objects.exclude(stored_name=""), "letters"),
        (Packet.objects.filter(purged_at__isnull=True).exclude(stored_name=""), "packets"),
    ]


def referenced() -> Iterator[tuple[str, str, str, str]]:
    """(what, folder, stored name, sha256 of the plaintext or "") for every file a row names."""
    for rows, folder in referencing():
        label = rows.model._meta.label
        described = any(f.name == "sha256" for f in rows.model._meta.get_fields())
        for pk, stored_name, sha256 in rows.values_list(
            "pk", "stored_name", "sha256" if described else "stored_name"
        ).iterator():
            yield f"{label} {pk}", folder, stored_name, sha256 if described else ""


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _copy_new_files(target: Path, copied: dict[str, dict[str, Any]]) -> None:
    for folder in sorted(files.FOLDERS):
        for stored_name in sorted(
            files.names(folder) - {n for n, e in copied.items() if e["folder"] == folder}
        ):
            try:
                data = files.read_raw(stored_name, folder)
            except FileNotFoundError:
                continue  # removed since it was listed
            (target / "files" / folder).mkdir(parents=True, exist_ok=True)
            (target / "files" / folder / stored_name).write_bytes(data)
            copied[stored_name] = {"folder": folder, "sha256": _sha256(data), "size": len(data)}


def _pg_environment() -> dict[str, str]:
    db = connection.settings_dict
    env = {**os.environ, "PGDATABASE": str(db["NAME"]), "PGUSER": str(db["USER"] or "")}
    if db["PASSWORD"]:
        env["PGPASSWORD"] = str(db["PASSWORD"])
    env["PGHOST"] = str(db["HOST"] or "127.0.0.1")
    env["PGPORT"] = str(db["PORT"] or 5432)
    return env


def _run(command: list[str], env: dict[str, str]) -> None:
    try:
        result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    except FileNotFoundError as error:
        raise BackupError(
            f"{command[0]} not found: install the PostgreSQL client (postgresql-client)"
        ) from error
    if result.returncode != 0:
        raise BackupError(f"{command[0]} failed: {result.stderr.strip()}")


def _names_in(cursor: Any) -> set[str]:
    """The stored names the rows seen by `cursor` name: each of `referencing()`'s queries, run on that cursor."""
    named: set[str] = set()
    for rows, _folder in referencing():
        sql, params = rows.values_list("stored_name").query.sql_with_params()
        cursor.execute(sql, params)
        named.update(stored_name for (stored_name,) in cursor.fetchall())
    return named


def _dump_database(path: Path) -> set[str]:
    """Dump the database into `path`; returns the stored names its rows name (read from that very snapshot, not
    the live database, where rows made since name files the dump does not hold)."""
    if connection.vendor == "postgresql":
        # pg_dump runs in a snapshot exported by a transaction of ours, which reads the names in it meanwhile.
        snapshot = connection.get_new_connection(connection.get_connection_params())
        try:
            snapshot.autocommit = True
            with snapshot.cursor() as cursor:
                cursor.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                cursor.execute("SELECT pg_export_snapshot()")
                (snapshot_id,) = cursor.fetchone()
                # Without owners or grants, so it restores under any role.
                _run(
                    ["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--snapshot={snapshot_id}",
                     f"--file={path}"],
                    _pg_environment(),
                )  # fmt: skip
                named = _names_in(cursor)
                cursor.execute("COMMIT")
        finally:
            snapshot.close()
        return named
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        target = sqlite3.connect(path)
        try:
            connection.connection.backup(target)  # SQLite's online backup: a consistent copy while in use
            # Django's cursor for SQLite, which reads the %s placeholders of the compiled queries.
            return _names_in(target.cursor(factory=SQLiteCursorWrapper))
        finally:
            target.close()
    raise BackupError(f"no backup for a {connection.vendor} database")


@dataclass
class Backup:
    path: Path
    files: int
    unnamed: int  # copied files no row of the snapshot names (written after it); never restored


def backup(target: Path) -> Backup:
    """Files, the database, files again, then the manifest (last: a backup without one is incomplete)."""
    if target.exists() and any(target.iterdir()):
        raise BackupError(f"{target} is not empty: back up into a new folder")
    # The dump is personal data in plaintext: only the owner may read anything here, whatever the umask (pg_dump
    # inherits it) and whoever made the folder (mkdir's mode applies only to a folder it creates).
    umask = os.umask(0o077)
    try:
        target.mkdir(parents=True, exist_ok=True, mode=0o700)
        target.chmod(0o700)
        return _backup(target)
    finally:
        os.umask(umask)


def _backup(target: Path) -> Backup:
    started = timezone.now()
    copied: dict[str, dict[str, Any]] = {}
    _copy_new_files(target, copied)
    dump = target / DUMPS.get(connection.vendor, "database")
    named = _dump_database(dump)
    dumped = timezone.now()
    _copy_new_files(target, copied)
    manifest = {
        "format": FORMAT,
        "started_at": started.isoformat(),
        "database_dumped_at": dumped.isoformat(),
        "finished_at": timezone.now().isoformat(),
        "database": {"vendor": connection.vendor, "file": dump.name, "sha256": _sha256(dump.read_bytes())},
        "files": copied,
    }
    partial = target / (MANIFEST + ".part")
    partial.write_text(json.dumps(manifest, indent=1, sort_keys=True))
    partial.replace(target / MANIFEST)
    return Backup(target, len(copied), len(set(copied) - named))


@dataclass
class Restore:
    files: int = 0
    missing: list[str] = field(default_factory=list)  # rows whose file is in neither the store nor the backup
    unreadable: list[str] = field(
        default_factory=list
    )  # files that do not decrypt, or not to what the row says
    audit_break: str = ""  # the first line verify_audit would print
    unnamed: list[str] = field(
        default_factory=list
    )  # folder/name of files in the store no restored row names
    unnamed_list: Path | None = (
        None  # where they are listed, one a line; None: the backup folder is read-only
    )
    case_ids_from: int = 0  # the next case's id
    undelivered: list[QueuedTask] = field(default_factory=list)
    queue_purged: int | None = None  # None: the broker could not be reached, or was left alone
    broker_left: bool = False  # a test restore: the broker is the live deployment's and was not touched

    @property
    def ok(self) -> bool:
        return not (self.missing or self.unreadable or self.audit_break)


def read_manifest(source: Path) -> dict[str, Any]:
    try:
        manifest: dict[str, Any] = json.loads((source / MANIFEST).read_text())
    except FileNotFoundError as error:
        raise BackupError(
            f"{source} holds no {MANIFEST}: not a backup, or one that did not finish"
        ) from error
    if manifest.get("format") != FORMAT:
        raise BackupError(f"backup format {manifest.get('format')!r}, this version reads {FORMAT}")
    return manifest


def _restore_database(source: Path, manifest: dict[str, Any]) -> None:
    database = manifest["database"]
    if database["vendor"] != connection.vendor:
        raise BackupError(
            f"the backup is of a {database['vendor']} database, DATABASE_URL is {connection.vendor}"
        )
    dump = source / database["file"]
    if _sha256(dump.read_bytes()) != database["sha256"]:
        raise BackupError(f"{dump.name} does not match the manifest: the backup is damaged")
    if connection.introspection.table_names():
        raise BackupError("the database is not empty: restore into a new, empty database")
    if connection.vendor == "postgresql":
        connection.close()
        _run(
            ["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
             f"--dbname={connection.settings_dict['NAME']}", str(dump)],
            _pg_environment(),
        )  # fmt: skip
    else:
        connection.ensure_connection()
        backup_db = sqlite3.connect(dump)
        try:
            backup_db.backup(connection.connection)
        finally:
            backup_db.close()
        connection.close()


def restore(source: Path, *, purge_broker: bool) -> Restore:
    """Into an empty database and the configured store: the database, the files its rows name, then checks.

    `purge_broker`: a real restore, replacing the deployment whose broker this is, empties it; a test restore into
    a scratch database must not, for the broker is then the live deployment's (its queued emails, its workers'
    messages)."""
    manifest = read_manifest(source)
    _restore_database(source, manifest)
    report = Restore()
    backed_up: dict[str, dict[str, Any]] = manifest["files"]
    named: dict[str, set[str]] = {folder: set() for folder in files.FOLDERS}
    for what, folder, stored_name, sha256 in referenced():
        named[folder].add(stored_name)
        entry = backed_up.get(stored_name)
        copy = source / "files" / folder / stored_name
        if entry is not None and entry["folder"] == folder and copy.is_file():
            data = copy.read_bytes()
            if _sha256(data) != entry["sha256"]:
                report.unreadable.append(f"{what}: {folder}/{stored_name} does not match the manifest")
                continue
            files.write_raw(stored_name, data, folder)
            report.files += 1
        elif not files.exists(stored_name, folder):
            report.missing.append(f"{what}: {folder}/{stored_name}")
            continue
        try:
            plain = files.load(stored_name, folder)
        except Exception as error:  # InvalidToken (a key not in ENCRYPTION_KEYS), an unreadable store
            report.unreadable.append(f"{what}: {folder}/{stored_name} ({type(error).__name__})")
            continue
        if sha256 and _sha256(plain) != sha256:
            report.unreadable.append(f"{what}: {folder}/{stored_name} is not the file the row describes")
    report.unnamed = [
        f"{folder}/{stored_name}"
        for folder in sorted(files.FOLDERS)
        for stored_name in sorted(files.names(folder) - named[folder])
    ]
    if report.unnamed and purge_broker:
        # Listed, not deleted: deleting from a store restored into by mistake would be worse than keeping them. Not
        # even listed by a test restore: its store may be the live one, whose newer files these are.
        with contextlib.suppress(OSError):  # a backup mounted read-only: the command prints them instead
            (source / UNNAMED_LIST).write_text("".join(f"{name}\n" for name in report.unnamed))
            report.unnamed_list = source / UNNAMED_LIST
    first_break = next(iter(verify_chains()), None)
    report.audit_break = headline(first_break) if first_break is not None else ""
    report.case_ids_from = move_case_ids_on(datetime.fromisoformat(manifest["database_dumped_at"]))
    # Given-up rows (past MAX_PUBLISHES) stay given up; the others are the outbox sweep's to publish again.
    owed = QueuedTask.objects.filter(delivered_at__isnull=True, publishes__lte=MAX_PUBLISHES)
    report.undelivered = list(owed.order_by("created_at"))
    # Owed from the restore, and again from the first worker's start (requests/health.py, worker_started): the
    # outbox's age on /healthz counts from then, however long the operator takes before starting the services.
    outbox.owe_again(owed)
    Heartbeat.objects.update_or_create(name=RESTORED, defaults={"at": timezone.now()})
    if purge_broker:
        report.queue_purged = purge_queue()
    else:
        report.broker_left = True
    return report


def case_id_margin(dumped_at: datetime) -> int:
    """How far a restore moves the case ids on: CASE_ID_MARGIN, or more if the backup's last CASE_ID_MARGIN_DAYS
    received more cases (as many may have come between the backup and the loss)."""
    recent = PrivacyRequest.objects.filter(received_at__gte=dumped_at - timedelta(days=CASE_ID_MARGIN_DAYS))
    return max(CASE_ID_MARGIN, recent.count())


def move_case_ids_on(dumped_at: datetime) -> int:
    """Skip the case ids given after the backup: a reference (PR-<year>-<id>, requests/services/common.py) emailed
    to a requester then must not come back on another case. Returns the next case's id."""
    table = PrivacyRequest._meta.db_table
    column = PrivacyRequest._meta.pk.column
    margin = case_id_margin(dumped_at)
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT COALESCE(MAX("{column}"), 0) FROM "{table}"')  # noqa: S608  # our own names
        (highest,) = cursor.fetchone()
        if connection.vendor == "postgresql":
            # The sequence may be past the highest id (rolled-back inserts): move on from whichever is further.
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence(%s, %s), GREATEST(nextval(pg_get_serial_sequence(%s, %s)), "
                "%s) + %s, false)",
                [table, column, table, column, highest, margin],
            )
            (next_id,) = cursor.fetchone()
            return int(next_id)
        # SQLite's AUTOINCREMENT keeps the highest id given in sqlite_sequence; the next is one more.
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
        row = cursor.fetchone()
        given = max(highest, row[0] if row else 0) + margin
        if row:
            cursor.execute("UPDATE sqlite_sequence SET seq = %s WHERE name = %s", [given, table])
        else:
            cursor.execute("INSERT INTO sqlite_sequence (name, seq) VALUES (%s, %s)", [table, given])
        return int(given) + 1


def purge_queue() -> int | None:
    """Drop the messages waiting in the broker: they were published after the snapshot and name rows the restored
    database may give to other cases. What the restored outbox still owes is published again by its sweep."""
    try:
        with current_app.connection_for_write() as conn:
            purged = 0
            # Each queue by name: Celery's own purge empties only the queues it declares (just `default`).
            for name in outbox.QUEUES:
                # RabbitMQ refuses a queue never declared, which holds nothing.
                with conn.channel() as channel, contextlib.suppress(*conn.channel_errors):
                    purged += Queue(name).bind(channel).purge() or 0
            if conn.transport.driver_type == "redis":
                # What a killed worker held waits here, on Redis, and is put back in its queue later.
                redis: Any = conn.default_channel  # kombu's Redis channel: its key names and its client
                purged += redis.client.hlen(redis.unacked_key)
                redis.client.delete(redis.unacked_key, redis.unacked_index_key)
    except Exception:  # the broker is down or elsewhere: the operator purges it (docs/operator-guide.md)
        return None
    return purged


def broker_cleanup_commands() -> str:
    """What the operator runs to empty the broker by hand, for this deployment's broker."""
    purge = "celery -A privacyportal purge -f -Q " + ",".join(outbox.QUEUES)
    url = str(current_app.conf.broker_url or "")
    if not url.startswith(("redis://", "rediss://")):
        return purge
    # The broker's own URL (host, port, password, TLS, database), by the variable that holds it: never printed.
    variable = next((v for v in ("BROKER_URL", "CELERY_BROKER_URL", "REDIS_URL") if os.environ.get(v)), "")
    name = variable or "BROKER_URL"
    return f'{purge}; on Redis also redis-cli -u "${name}" DEL unacked unacked_index'
