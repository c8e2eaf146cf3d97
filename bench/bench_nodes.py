"""Several nodes at once (issue 24): two web processes and two workers on one PostgreSQL database, one RabbitMQ
broker and one object store; 1,000 requests, every one saved once, every email sent once, packets built once.

Each node is a gunicorn (`privacyportal/gunicorn_conf.py`, 2 sync workers, DEBUG off, its static files collected)
and a Celery worker (prefork, 2 children, queues default and pdf) with a VAR_DIR of its own (its mail folder,
through the file email backend, counts what it sent); the private files are in one bucket of a local S3 server
(moto, tests/s3server.py), set through PRIVATE_S3_* as an operator sets them. The broker is a private RabbitMQ node (tests/brokers.py): Celery's
recommended broker, the one issue 24 adds, and the one whose restarts lose nothing it took. No Redis: the nodes
share the cache through the database, as they do with RabbitMQ and no REDIS_URL.

8 client threads send 1,000 requests through the public API (POST /api/v1/public/requests/), request n to node
n mod 2; the workers send each one's verification email. Then 20 of the cases are made ready for a packet (email
confirmed, assigned, one system's export attached) and each packet is asked for on both web processes at the same
moment (the staff API, a DPO's token). A quarter of the emails' messages and every packet build's are published
a second time meanwhile, as the outbox's sweep does for a message it believes lost. Fails unless every request answered 201 and was saved once, every
requester got one verification email and no email went twice, both workers sent some, and each packet was built
once (its last build, one file). Needs PostgreSQL (BENCH_POSTGRES; `privacyportal_bench_nodes` is created and
dropped), rabbitmq-server and moto in .venv-tools (made on first use). About three minutes.

    .venv/bin/python bench/bench_nodes.py
"""

from __future__ import annotations

import base64
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from email.utils import parseaddr
from pathlib import Path

# The project root, so that `bench.common` (and the tests' helpers) import when this file runs as a script.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.common import ROOT, Row, drop_database, finish, recreate_database

DATABASE = "privacyportal_bench_nodes"
REQUESTS = int(os.environ.get("BENCH_NODES_REQUESTS", "1000"))
PACKETS = 20


def main() -> None:
    from tests.brokers import PrivateRabbitMQ
    from tests.nodes import (
        Cluster,
        base_env,
        build_from_every_node,
        make_dpo,
        packet_cases,
        packet_problems,
        packets_ready,
        publish_again,
        send_requests,
        sent_twice,
        staff_token,
        wait_until_done,
    )
    from tests.s3server import S3Server, ensure_tools

    database_url = recreate_database(DATABASE)
    work = Path(tempfile.mkdtemp(prefix="bench-nodes-"))
    broker = PrivateRabbitMQ()
    broker.start()
    ensure_tools()
    store = S3Server()
    store.start()
    bucket = store.new_bucket()
    # What every node and this process share: the database, the broker, the file store and the keys.
    os.environ.update(
        DJANGO_SETTINGS_MODULE="privacyportal.settings", DATABASE_URL=database_url, BROKER_URL=broker.url,
        REDIS_URL="", CACHE_URL="", DEBUG="false", SECRET_KEY=secrets.token_urlsafe(50),
        ENCRYPTION_KEYS=base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        AUDIT_KEYS=secrets.token_urlsafe(32), VAR_DIR=str(work / "driver"),
        EMAIL_URL=f"filemail://{work / 'driver' / 'mail'}", **store.environment(bucket),
    )  # fmt: skip
    import django

    django.setup()
    from django.core.management import call_command

    from privacyportal import files
    from requests.models import PrivacyRequest

    call_command("migrate", verbosity=0)  # and the cache table the nodes share
    cluster = Cluster(work, base_env())
    for node in cluster.nodes:
        # As each node's image has them: DEBUG off serves static files from the manifest (the letters need it).
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
            cwd=ROOT, env=cluster.node_env(node), check=True,
        )  # fmt: skip
    try:
        cluster.start()
        sent = send_requests(cluster, REQUESTS)
        # A copy of some emails' messages too, racing the first: each is still sent once.
        copies = publish_again("identity.tasks.send_verification_email", limit=REQUESTS // 4)
        started = time.monotonic() - sent.seconds
        wait_until_done(
            cluster, broker, lambda: sum(map(len, cluster.mails().values())) >= REQUESTS, seconds=600
        )
        all_sent = time.monotonic() - started
        dpo = make_dpo()
        references = packet_cases(PACKETS, dpo)
        packets_at = time.monotonic()
        statuses = build_from_every_node(cluster, references, staff_token(dpo))
        copies += publish_again("requests.tasks.build_packet", references)
        wait_until_done(cluster, broker, lambda: packets_ready(references), seconds=600)
        packets_seconds = time.monotonic() - packets_at
        saved = PrivacyRequest.objects.filter(requester_email__startswith="nodes-").count()
        mails = cluster.mails()
        problems = packet_problems(references)
        packet_files = len(files.names("packets"))
    finally:
        cluster.stop()
        broker.remove()
        store.stop()
        from django.db import connections

        connections.close_all()
        drop_database(DATABASE)
        shutil.rmtree(work, ignore_errors=True)

    everything = [message for node_mails in mails.values() for message in node_mails]
    twice = len(sent_twice(everything))
    verified = {parseaddr(message["To"])[1] for message in everything} - {"nodes-dpo@example.com"}
    per_worker = ", ".join(f"{name} {len(node_mails)}" for name, node_mails in mails.items())
    checks = {
        "every request answered 201": sent.statuses == Counter({201: REQUESTS}),
        "every request saved once": saved == REQUESTS,
        "every requester emailed": len(verified) == REQUESTS,
        "no email twice": twice == 0,
        "both workers sent": all(mails.values()),
        "both web processes took half": set(sent.per_node.values()) == {REQUESTS // 2},
        "every packet built once": problems == [] and packet_files == PACKETS,
        "packet requests answered": set(statuses) <= {200, 202, 409},
    }
    failed = [name for name, ok in checks.items() if not ok]
    print(f"requests {dict(sent.statuses)} in {sent.seconds:.1f} s; mails {per_worker}; twice {twice}")
    print(f"packets: answers {dict(statuses)}, {packet_files} files, problems {problems}")
    finish(
        [
            Row(
                benchmark="bench_nodes.py",
                measure=f"two web processes + two workers, one PostgreSQL, RabbitMQ and S3 bucket (moto): {REQUESTS:,} "
                f"requests through the public API over both, then {PACKETS} packets asked for on both at once",
                budget="each saved once, each email sent once, each packet built once",
                measured=f"{REQUESTS / sent.seconds:.0f} requests/s ({sent.seconds:.1f} s), every email sent "
                f"{all_sent:.1f} s after the first request ({per_worker}); {saved:,} cases, {len(everything):,} "
                f"emails, none twice ({copies} messages published twice); packets {packets_seconds:.1f} s, answers {dict(sorted(statuses.items()))}, "
                f"{packet_files} files" + (f"; FAILED: {', '.join(failed)}" if failed else ""),
                ok=not failed,
            )
        ]
    )


if __name__ == "__main__":
    main()
