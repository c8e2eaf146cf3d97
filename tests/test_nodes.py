"""Two nodes at once (issue 24): two web processes and two workers on one database, one broker and one file store.

What an operator scaling out must be able to count on: every request sent to either web process is saved once,
every email is sent once (by whichever worker took it), and a packet asked for on both web processes at the same
moment is built once. bench/bench_nodes.py runs the same with 1,000 requests (docs/benchmarks.md).
"""

from __future__ import annotations

from collections import Counter
from email.utils import parseaddr
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import override_settings

from privacyportal import files
from requests.models import PrivacyRequest
from tests.brokers import PrivateBroker
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
from tests.workers import database_url

REQUESTS = 120
PACKETS = 6

DATABASE_CACHE = {
    "default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "portal_cache"}
}


@pytest.mark.django_db(transaction=True)
@pytest.mark.real_clock
def test_two_web_processes_and_two_workers_save_send_and_build_everything_once(
    tmp_path: Path, broker: PrivateBroker, s3server: Any, s3_private: str
) -> None:
    # With RabbitMQ and no Redis the nodes share the cache through the database: its table, made as migrate does.
    with override_settings(CACHES=DATABASE_CACHE):
        call_command("createcachetable", verbosity=0)
    cache_url = "" if broker.kind == "rabbitmq" else broker.url
    env = base_env(
        DJANGO_SETTINGS_MODULE="privacyportal.test_settings",
        DATABASE_URL=database_url(),
        BROKER_URL=broker.url,
        REDIS_URL="",
        CACHE_URL=cache_url,
        # The shared file store: this test's bucket on the local S3 server. Each node's own disk (its
        # VAR_DIR/test-private) holds nothing.
        **s3server.environment(s3_private),
    )
    cluster = Cluster(tmp_path, env)
    cluster.start()
    try:
        sent = send_requests(cluster, REQUESTS)
        # A copy of some emails' messages too, racing the first: each is still sent once.
        copies = publish_again("identity.tasks.send_verification_email", limit=REQUESTS // 4)
        assert sent.statuses == Counter({201: REQUESTS}), sent.statuses
        assert set(sent.per_node.values()) == {REQUESTS // 2}  # both web processes took their half
        wait_until_done(
            cluster, broker, lambda: sum(map(len, cluster.mails().values())) >= REQUESTS, seconds=120
        )
        dpo = make_dpo()
        references = packet_cases(PACKETS, dpo)
        before = files.names("packets")
        statuses = build_from_every_node(cluster, references, staff_token(dpo))
        copies += publish_again("requests.tasks.build_packet", references)
        wait_until_done(cluster, broker, lambda: packets_ready(references), seconds=120)
    finally:
        cluster.stop()
    assert copies >= REQUESTS // 4 + PACKETS  # published twice: every build, a quarter of the emails
    assert PrivacyRequest.objects.filter(requester_email__startswith="nodes-").count() == REQUESTS
    mails = cluster.mails()
    everything = [message for node_mails in mails.values() for message in node_mails]
    assert sent_twice(everything) == []  # no email twice
    requesters = {parseaddr(message["To"])[1] for message in everything} - {"nodes-dpo@example.com"}
    assert len(requesters) == REQUESTS  # every requester got theirs
    assert all(mails.values()), {name: len(m) for name, m in mails.items()}  # both workers sent some
    # Each case's packet asked for on both web processes: each answer accepted (a second build supersedes the
    # first) or refused, never an error; one packet per case, its last build built exactly once.
    assert set(statuses) <= {200, 202, 409} and sum(statuses.values()) == 2 * PACKETS, statuses
    assert packet_problems(references) == []
    assert len(files.names("packets") - before) == PACKETS  # one file each: no copy left by a second build
    for node in cluster.nodes:  # nothing private on a node's own disk
        assert not any((node.var / "test-private").rglob("*.bin")), node.name
