"""Private brokers for the fault tests: a RabbitMQ node and a Redis server of the test run's own.

Each has its own ports, data and log directories under a fresh temporary directory (and RabbitMQ its own node name
and Erlang cookie), so stopping, restarting or emptying one harms no queue but this run's, as tests/mailserver.py
does for Dovecot. Use the `broker` fixture (tests/conftest.py), parametrised over both: it skips a broker whose
server is not installed (apt-get install rabbitmq-server redis-server), and fails under CI=1, where .ci/run
installs them.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from kombu import Connection

from tests.mailserver import free_port

RABBITMQ_BIN = Path("/usr/lib/rabbitmq/bin")
RABBITMQ_SERVER = RABBITMQ_BIN / "rabbitmq-server"
REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"

# What the operator guide asks of a production node: a consumer timeout longer than a task may hold its message.
RABBITMQ_CONF = """\
listeners.tcp.default = 127.0.0.1:{port}
consumer_timeout = 7200000
disk_free_limit.absolute = 50MB
log.console = false
log.file.level = warning
"""


def installed(kind: str) -> bool:
    return RABBITMQ_SERVER.exists() if kind == "rabbitmq" else Path(REDIS_SERVER).exists()


def _wait_for_port(port: int, seconds: float, what: str, log: Path) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), 1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{what} does not answer on {port}: {log.read_text() if log.exists() else ''}")


class PrivateBroker:
    kind = ""
    url = ""
    # What kombu's transport needs beyond the URL: settings.py's for this kind of broker (the timeouts too, or a
    # frozen broker holds this process's publish for ever).
    transport_options: dict[str, Any] = {}
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def remove(self) -> None:
        raise NotImplementedError

    def restart(self) -> None:
        self.stop()
        self.start()

    def lose_everything(self) -> None:
        """Every queued message gone, as when the broker's disk or memory is lost."""
        raise NotImplementedError

    def frozen(self) -> Any:
        """A context in which the broker accepts connections and answers nothing."""
        raise NotImplementedError

    def counts(self, queue: str) -> tuple[int, int]:
        """(messages waiting in `queue`, messages delivered and not yet acknowledged)."""
        raise NotImplementedError


class PrivateRedis(PrivateBroker):
    """A redis-server persisting to an append-only file, as docker-compose.yml runs it: a restart keeps the queues."""

    kind = "redis"

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="ppredis-"))
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.transport_options = {
            "visibility_timeout": 3600,
            "socket_connect_timeout": 0.5,
            "socket_timeout": 0.5,
        }
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [REDIS_SERVER, "--bind", "127.0.0.1", "--port", str(self.port), "--dir", str(self.root),
             "--save", "", "--appendonly", "yes", "--appendfsync", "always", "--logfile", "redis.log"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        _wait_for_port(self.port, 15, "redis-server", self.root / "redis.log")

    def client(self) -> Any:
        import redis

        return redis.Redis(host="127.0.0.1", port=self.port)

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.send_signal(signal.SIGCONT)  # a frozen server cannot act on SIGTERM
        self.process.terminate()  # SIGTERM: Redis writes its append-only file and exits
        self.process.wait(timeout=30)
        self.process = None

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    @contextmanager
    def frozen(self) -> Iterator[None]:
        """Running but not answering (a stalled host, a network that drops packets): connections are accepted
        by the kernel and then nothing comes back."""
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)
        try:
            yield
        finally:
            self.process.send_signal(signal.SIGCONT)

    def lose_everything(self) -> None:
        self.client().flushdb()

    def counts(self, queue: str) -> tuple[int, int]:
        # kombu keeps a queue as lists named after it (one per priority step) and every message delivered but not
        # yet acknowledged in the `unacked` hash.
        client = self.client()
        queued = sum(
            client.llen(key) for key in client.scan_iter(match=f"{queue}*") if client.type(key) == b"list"
        )
        return queued, int(client.hlen("unacked"))


class PrivateRabbitMQ(PrivateBroker):
    """A RabbitMQ node of its own: node name, ports, Mnesia and logs under its directory, no plugins."""

    kind = "rabbitmq"

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="pprabbit-"))
        self.port = free_port()
        self.node = f"pp-test-{uuid.uuid4().hex[:8]}@localhost"
        self.url = f"amqp://guest:guest@127.0.0.1:{self.port}//"
        self.transport_options = {"confirm_publish": True, "read_timeout": 2, "write_timeout": 2}
        (self.root / "home").mkdir()
        (self.root / "rabbitmq.conf").write_text(RABBITMQ_CONF.format(port=self.port))
        (self.root / "enabled_plugins").write_text("[].\n")
        (self.root / "rabbitmq-env.conf").write_text("")  # not /etc/rabbitmq's (the system node's name)
        self.env = {
            **os.environ,
            "HOME": str(self.root / "home"),  # its own Erlang cookie, made at the first start
            "RABBITMQ_NODENAME": self.node,
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(free_port()),
            "RABBITMQ_CONF_ENV_FILE": str(self.root / "rabbitmq-env.conf"),
            "RABBITMQ_CONFIG_FILE": str(self.root / "rabbitmq.conf"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.root / "enabled_plugins"),
            "RABBITMQ_MNESIA_BASE": str(self.root / "mnesia"),
            "RABBITMQ_LOG_BASE": str(self.root / "log"),
            "RABBITMQ_PID_FILE": str(self.root / "rabbit.pid"),
            "ERL_EPMD_ADDRESS": "127.0.0.1",
        }
        self.process: subprocess.Popen[bytes] | None = None

    def ctl(self, *args: str, timeout: float = 60) -> str:
        result = subprocess.run(
            [str(RABBITMQ_BIN / "rabbitmqctl"), "-n", self.node, *args],
            env=self.env, capture_output=True, text=True, timeout=timeout, check=False,
        )  # fmt: skip
        if result.returncode:
            raise RuntimeError(f"rabbitmqctl {' '.join(args)}: {result.stdout}{result.stderr}")
        return result.stdout

    def start(self) -> None:
        log = (self.root / "server.log").open("ab")
        self.process = subprocess.Popen(
            [str(RABBITMQ_SERVER)],
            env=self.env,
            cwd=self.root,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
        )
        log.close()
        _wait_for_port(self.port, 60, "rabbitmq-server", self.root / "server.log")

    def stop(self) -> None:
        if self.process is None:
            return
        try:
            self.ctl("shutdown", timeout=60)
        except (RuntimeError, subprocess.TimeoutExpired):
            self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    @contextmanager
    def frozen(self) -> Iterator[None]:
        """Running but not answering, as PrivateRedis.frozen: the node's Erlang VM stopped with SIGSTOP."""
        pid = int((self.root / "rabbit.pid").read_text().strip())
        os.kill(pid, signal.SIGSTOP)
        try:
            yield
        finally:
            os.kill(pid, signal.SIGCONT)

    def lose_everything(self) -> None:
        for line in self.ctl("list_queues", "name", "--quiet", "--no-table-headers").splitlines():
            if line.strip():
                self.ctl("purge_queue", line.strip())

    def counts(self, queue: str) -> tuple[int, int]:
        listing = self.ctl(
            "list_queues",
            "name",
            "messages_ready",
            "messages_unacknowledged",
            "--quiet",
            "--no-table-headers",
        )
        for line in listing.splitlines():
            name, *numbers = line.split()
            if name == queue:
                return int(numbers[0]), int(numbers[1])
        return 0, 0


def make(kind: str) -> PrivateBroker:
    return PrivateRabbitMQ() if kind == "rabbitmq" else PrivateRedis()


def reachable(url: str) -> bool:
    try:
        with Connection(url, connect_timeout=2) as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
    except Exception:
        return False
    return True
