"""Several nodes at once (issue 24): web processes (gunicorn) and Celery workers on one database and one broker.

Each node has a working folder of its own (VAR_DIR: its mail, its own PRIVATE_ROOT, the beat schedule), as a
container or a machine would; only the database, the broker and the private-file store are shared. The store is
what the caller's environment names: a bucket of the local S3 server (PRIVATE_S3_*, tests/s3server.py), or one
folder every node mounts (PRIVATE_ROOT), as compose's `private` volume.

The helpers send requests through the public API spread over every web process, then asks for packets from
every web process at once for some cases, and reports what an operator would count: cases saved, emails sent (by
which node), packets built. tests/test_nodes.py runs it small; bench/bench_nodes.py runs 1,000 requests.
"""

from __future__ import annotations

import email
import http.client
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from email.utils import parseaddr
from pathlib import Path
from typing import Any

from tests.mailserver import free_port
from tests.workers import stop

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Node:
    """One web process and one worker sharing a working folder, as one machine or one pair of containers."""

    name: str
    var: Path
    port: int
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def mail_dir(self) -> Path:
        return self.var / "mail"

    def log(self, what: str) -> str:
        path = self.var / f"{what}.log"
        return path.read_text() if path.exists() else ""


class Cluster:
    """`nodes` nodes on the database, broker and file store that `env` names (DATABASE_URL, BROKER_URL,
    PRIVATE_ROOT or TEST_PRIVATE_ROOT, the keys); each node's VAR_DIR and EMAIL_URL are its own."""

    def __init__(self, root: Path, env: dict[str, str], nodes: int = 2) -> None:
        self.env = env
        self.nodes = [Node(f"node{n}", root / f"node{n}", free_port()) for n in range(1, nodes + 1)]

    def node_env(self, node: Node) -> dict[str, str]:
        return {**self.env, "VAR_DIR": str(node.var), "EMAIL_URL": f"filemail://{node.mail_dir}"}

    def start(self) -> None:
        for node in self.nodes:
            node.var.mkdir(parents=True, exist_ok=True)
            env = self.node_env(node)
            web_log = (node.var / "web.log").open("wb")
            worker_log = (node.var / "worker.log").open("wb")
            node.processes = [
                subprocess.Popen(
                    [sys.executable, "-m", "gunicorn", "-c", "python:privacyportal.gunicorn_conf",
                     "privacyportal.wsgi", "--bind", f"127.0.0.1:{node.port}", "--workers", "2"],
                    cwd=ROOT, env=env, stdout=web_log, stderr=subprocess.STDOUT,
                ),
                subprocess.Popen(
                    [sys.executable, "-m", "celery", "-A", "privacyportal", "worker", "-l", "info",
                     "-Q", "default,pdf", "--pool", "prefork", "--concurrency", "2", "--without-gossip",
                     "--without-mingle", "-n", f"{node.name}-{uuid.uuid4().hex[:6]}@%h"],
                    cwd=ROOT, env=env, stdout=worker_log, stderr=subprocess.STDOUT,
                ),
            ]  # fmt: skip
            web_log.close()
            worker_log.close()
        for node in self.nodes:
            self._wait_until_up(node)

    def _wait_until_up(self, node: Node) -> None:
        deadline = time.monotonic() + 90
        web_up = False
        while not (web_up and " ready." in node.log("worker")):
            for process in node.processes:
                assert process.poll() is None, node.log("web") + node.log("worker")
            assert time.monotonic() < deadline, f"{node.name} did not start in 90 s"
            if not web_up:
                try:
                    socket.create_connection(("127.0.0.1", node.port), 1).close()
                    web_up = True
                except OSError:
                    pass
            time.sleep(0.2)

    def stop(self) -> None:
        for node in self.nodes:  # all at once: each shuts down while the others do
            for process in node.processes:
                process.terminate()
        for node in self.nodes:
            for process in node.processes:
                stop(process)

    def alive(self) -> None:
        for node in self.nodes:
            for process in node.processes:
                assert process.poll() is None, (
                    f"{node.name} died: {node.log('web')[-3000:]}{node.log('worker')[-3000:]}"
                )

    def mails(self) -> dict[str, list[email.message.Message]]:
        """Every email each node sent, by node.

        Django's file backend appends each message and a line of dashes to a file named after the second and the
        backend object's id(): two worker children forked alike can write one file in the same second.
        """
        return {
            node.name: [
                email.message_from_string(text)
                for path in (sorted(node.mail_dir.iterdir()) if node.mail_dir.exists() else [])
                for text in path.read_text().split("\n" + "-" * 79 + "\n")
                if text.strip()
            ]
            for node in self.nodes
        }


def call(
    port: int, method: str, path: str, body: dict[str, Any] | None = None, token: str = ""
) -> tuple[int, Any]:
    """One HTTP request to a node, on a connection of its own, as separate clients would."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Content-Type": "application/json", "Host": "127.0.0.1"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    try:
        connection.request(method, path, json.dumps(body) if body is not None else None, headers)
        response = connection.getresponse()
        data = response.read()
    finally:
        connection.close()
    return response.status, json.loads(data) if data.startswith(b"{") else data


def intake_body(n: int) -> dict[str, Any]:
    return {
        "kind": "access", "requester_name": f"Node Tester {n}", "requester_email": f"nodes-{n}@example.org",
        "relationship": "self", "country": "GB", "language": "en", "period": "12_months",
    }  # fmt: skip


@dataclass
class Outcome:
    requests: int
    seconds: float
    statuses: Counter[int]
    per_node: Counter[str]


def send_requests(cluster: Cluster, count: int, clients: int = 8) -> Outcome:
    """`count` requests through the public API, request n to node n mod the number of nodes."""
    statuses: Counter[int] = Counter()
    per_node: Counter[str] = Counter()
    lock = threading.Lock()

    def one(n: int) -> None:
        node = cluster.nodes[n % len(cluster.nodes)]
        status, _body = call(node.port, "POST", "/api/v1/public/requests/", intake_body(n))
        with lock:
            statuses[status] += 1
            per_node[node.name] += 1

    started = time.monotonic()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(one, range(count)))
    return Outcome(count, time.monotonic() - started, statuses, per_node)


def build_from_every_node(cluster: Cluster, references: list[str], token: str) -> Counter[int]:
    """Ask every web process at the same moment to build each case's packet, as two staff clicking at once."""
    statuses: Counter[int] = Counter()
    lock = threading.Lock()

    def both(reference: str) -> None:
        barrier = threading.Barrier(len(cluster.nodes))

        def one(node: Node) -> None:
            barrier.wait()
            status, _body = call(node.port, "POST", f"/api/v1/cases/{reference}/packet/build/", {}, token)
            with lock:
                statuses[status] += 1

        threads = [threading.Thread(target=one, args=(node,)) for node in cluster.nodes]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    for reference in references:
        both(reference)
    return statuses


def wait_until_done(cluster: Cluster, broker: Any, check: Any, seconds: float) -> None:
    """Until `check()` holds and the broker has nothing waiting or unfinished (seen twice in a row)."""
    deadline = time.monotonic() + seconds
    quiet = 0
    while quiet < 2:
        cluster.alive()
        counts = {queue: broker.counts(queue) for queue in ("default", "pdf")}
        done = check()
        assert time.monotonic() < deadline, (
            f"not done in {seconds:.0f} s: {counts} (waiting, unfinished); {done=}"
        )
        quiet = quiet + 1 if done and set(counts.values()) == {(0, 0)} else 0
        time.sleep(0.5)


def base_env(**extra: str) -> dict[str, str]:
    """What every node of a run shares beyond the caller's database, broker and keys: no rate limit in the way
    of 1,000 requests from one address, plain HTTP on the loopback."""
    return {
        **os.environ,
        "RATELIMIT_SUBMIT": "1000000/h",
        "RATELIMIT_STEPS": "1000000/h",
        "RATELIMIT_RECIPIENT_VERIFY": "1000000/h",
        "SECURE_SSL_REDIRECT": "false",
        "SECURE_COOKIES": "false",
        "LOG_LEVEL": "WARNING",
        **extra,
    }


# --- In the process that drives the nodes (Django set up on the same database) ----------------------------------


def make_dpo() -> Any:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from requests.roles import ensure_roles

    ensure_roles()
    user = get_user_model().objects.create_user(
        "nodes-dpo", "nodes-dpo@example.com", "correct horse battery staple", is_staff=True
    )
    user.groups.add(Group.objects.get(name="DPO"))
    return user


def staff_token(user: Any) -> str:
    from identity import tokens

    _token, plaintext = tokens.create_token(user, name="nodes", days=30)
    return plaintext


def packet_cases(count: int, dpo: Any) -> list[str]:
    """`count` of the requests sent, made ready for a packet as staff would: email confirmed, assigned, one
    system's export attached (stored in the shared file store, where the workers read it)."""
    from requests.models import PrivacyRequest
    from tests.factories import ready_for_packet

    references = []
    for case in PrivacyRequest.objects.filter(requester_email__startswith="nodes-").order_by("pk")[:count]:
        rows = [f"Node Tester,{case.requester_email},{n} Engine Way" for n in range(200)]
        case = ready_for_packet(case, dpo, rows)
        references.append(case.reference)
    return references


def packets_ready(references: list[str]) -> bool:
    from requests.models import Packet, PacketStatus

    return Packet.objects.filter(
        privacy_request__reference__in=references, status=PacketStatus.READY
    ).count() == len(references)


def packet_problems(references: list[str]) -> list[str]:
    """What is wrong with the packets of these cases: empty when each case has one packet, ready, its last build
    built exactly once, no build built twice, and its file in the shared store."""
    from privacyportal import files
    from requests.models import Packet, PacketStatus

    problems = []
    for reference in references:
        packet = Packet.objects.select_related("privacy_request").get(privacy_request__reference=reference)
        builds = Counter(
            event.data["build"] for event in packet.privacy_request.events.filter(verb="packet_built")
        )
        if packet.status != PacketStatus.READY:
            problems.append(f"{reference}: {packet.status}")
        if builds[packet.build] != 1 or max(builds.values(), default=0) != 1:
            problems.append(f"{reference}: builds {dict(builds)}, packet at build {packet.build}")
        if not files.exists(packet.stored_name, "packets"):
            problems.append(f"{reference}: its file is not in the shared store")
    return problems


def publish_again(name: str, references: list[str] | None = None, limit: int = 1000) -> int:
    """Publish the outbox rows of task `name` (of these cases) once more, under the same task id, as the outbox's
    sweep does for a message it believes lost: a second copy racing the first, maybe to the other worker."""
    from celery import current_app

    from privacyportal import outbox
    from privacyportal.models import QueuedTask
    from requests.models import PrivacyRequest

    current_app.loader.import_default_modules()  # the tasks, as a worker (where the sweep runs) has them
    rows = QueuedTask.objects.filter(name=name).order_by("pk")
    if references is not None:
        pks = list(PrivacyRequest.objects.filter(reference__in=references).values_list("pk", flat=True))
        rows = rows.filter(args__0__in=pks)
    return sum(outbox.publish(row) for row in rows[:limit])


def sent_twice(messages: list[email.message.Message]) -> list[tuple[str, str]]:
    """(recipient, kind of email) pairs sent more than once. The kind is the subject without its numbers: a
    verification email sent twice carries two different codes."""
    sent = Counter((parseaddr(m["To"])[1], re.sub(r"\d+", "#", str(m["Subject"]))) for m in messages)
    return [key for key, times in sent.items() if times > 1]
