from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests import brokers, clock
from tests import mailserver as mailserver_module
from tests import s3server as s3server_module
from tests.factories import StaffFactory


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--clock-offset-days",
        type=int,
        default=0,
        help="run the suite this many days in the future (tests marked real_clock are skipped)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "real_clock: talks to another process (a Celery worker, a browser) that keeps the machine's clock; "
        "skipped under --clock-offset-days",
    )
    # Started before Django and the test database are set up, so nothing in the run sees the real date.
    clock.start(config.getoption("--clock-offset-days"))


def pytest_unconfigure(config: pytest.Config) -> None:
    clock.stop()


# --- Nothing a test run makes lands in the working tree ------------------------------------------------------
ROOT = Path(__file__).resolve().parents[1]
# Meant for people to look at (screenshots); git-ignored and kept out of the image.
ARTIFACT_FOLDERS = ("test-artifacts/",)
_UNTRACKED = pytest.StashKey[set[str]]()


def _untracked() -> set[str]:
    """Files git would offer to commit: untracked and not ignored."""
    try:
        result = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=all"],
            cwd=ROOT, capture_output=True, text=True, check=False,
        )  # fmt: skip
    except OSError:
        return set()  # no git on this machine: nothing to compare
    if result.returncode:
        return set()  # not a git checkout (an unpacked archive): nothing to compare
    lines = (line[3:] for line in result.stdout.splitlines() if line.startswith("?? "))
    return {path for path in lines if not path.startswith(ARTIFACT_FOLDERS)}


def pytest_sessionstart(session: pytest.Session) -> None:
    session.config.stash[_UNTRACKED] = _untracked()
    # Hypothesis keeps its examples beside the test database, not in a .hypothesis folder in the tree.
    from django.conf import settings
    from hypothesis import settings as hypothesis_settings
    from hypothesis.database import DirectoryBasedExampleDatabase

    database = DirectoryBasedExampleDatabase(str(Path(settings.VAR_DIR) / "hypothesis"))
    hypothesis_settings.register_profile("portal", database=database)
    if not session.config.getoption("hypothesis_profile", None):  # --hypothesis-profile still wins
        hypothesis_settings.load_profile("portal")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    before: set[str] = session.config.stash.get(_UNTRACKED, set())
    new = sorted(_untracked() - before)
    if not new:
        return
    message = "a test wrote into the working tree (write under tmp_path or settings.VAR_DIR): " + ", ".join(
        new
    )
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(message, red=True)
    if os.environ.get("CI"):  # locally a file created by hand during the run would trip it too
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_report_header(config: pytest.Config) -> str | None:
    days = config.getoption("--clock-offset-days")
    return f"clock: moved {days} days ahead (tests marked real_clock are skipped)" if days else None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    days = config.getoption("--clock-offset-days")
    if not days:
        return
    skip = pytest.mark.skip(reason=f"keeps the real clock; this pass runs {days} days ahead")
    for item in items:
        if item.get_closest_marker("real_clock"):
            item.add_marker(skip)


@pytest.fixture
def dpo(db: Any) -> Any:
    return StaffFactory(username="dpo", first_name="Dana")


@pytest.fixture
def handler(db: Any) -> Any:
    return StaffFactory(username="handler", first_name="Hal")


@pytest.fixture
def other_handler(db: Any) -> Any:
    return StaffFactory(username="other_handler")


@pytest.fixture
def auditor(db: Any) -> Any:
    return StaffFactory(username="auditor")


@pytest.fixture
def data_subject() -> dict[str, str]:
    """The person asking: data subjects have no account, only the details they submit."""
    return {"requester_name": "Зоя Космодемьянская", "requester_email": "zoya@example.ru", "country": "GB"}


@pytest.fixture(autouse=True)
def _isolated_side_effects(settings: Any) -> Any:
    """Tasks run in-process unless a test starts a real worker; rate-limit counters start at zero."""
    from django.core.cache import cache
    from django.utils import translation

    from privacyportal.celery import app

    cache.clear()
    translation.activate("en")  # a Russian page in an earlier test must not leak into this one
    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager = False


@pytest.fixture
def details_to_match(settings: Any) -> None:
    """An operator that asks for two matching details before access, portability and erasure, everywhere.

    The tier matrix's defaults ask only for the confirmed email outside California (identity/tiers.py); tests of
    the staff identity check itself (verify, compare, what waits for it) use this to have a case wait for staff.
    """
    settings.PRIVACY_VERIFICATION_TIERS = {
        "default": {"access": "matched", "portability": "matched", "erasure": "matched"}
    }


@pytest.fixture(scope="session")
def dovecot() -> Any:
    """A private Dovecot for the whole run (tests/mailserver.py); skipped without it, except under CI=1."""
    yield from mailserver_module.running_dovecot()


@pytest.fixture
def mailserver(dovecot: Any, settings: Any) -> Any:
    """The private Dovecot with an empty mailbox, and the MAILBOX_* settings pointing at it."""
    dovecot.empty()
    for name, value in dovecot.settings().items():
        setattr(settings, name, value)
    return dovecot


@pytest.fixture(scope="session", params=["redis", "rabbitmq"])
def broker_server(request: pytest.FixtureRequest) -> Iterator[brokers.PrivateBroker]:
    """A private Redis, then a private RabbitMQ node, for the whole run (tests/brokers.py): the broker fault
    tests run against each. Skipped when the server is not installed, except under CI=1."""
    kind = request.param
    if not brokers.installed(kind):
        if os.environ.get("CI"):
            pytest.fail(f"{kind} is not installed: CI must run the broker fault tests against it (.ci/run)")
        pytest.skip(
            f"needs {kind} (apt-get install {'rabbitmq-server' if kind == 'rabbitmq' else 'redis-server'})"
        )
    server = brokers.make(kind)
    server.start()
    try:
        yield server
    finally:
        server.remove()


@pytest.fixture
def broker(broker_server: brokers.PrivateBroker) -> Iterator[brokers.PrivateBroker]:
    """The private broker, running and empty, with this process's tasks published to it, not run in-process."""
    from privacyportal.celery import app
    from tests.workers import reset_connections

    if broker_server.process is None:  # a test that stopped it failed before starting it again
        broker_server.start()
    keys = ("task_always_eager", "broker_url", "broker_transport_options")
    before = {key: app.conf.get(key) for key in keys}
    app.conf.update(
        task_always_eager=False,
        broker_url=broker_server.url,
        broker_transport_options=broker_server.transport_options,
    )
    reset_connections(app)
    try:
        yield broker_server
    finally:
        if broker_server.process is None:
            broker_server.start()
        broker_server.lose_everything()  # nothing of this test's is left for the next one
        app.conf.update(before)
        reset_connections(app)


@pytest.fixture(scope="session")
def s3server() -> Any:
    """A local S3-compatible server (moto) for the whole run (tests/s3server.py); skipped without it, except
    under CI=1."""
    yield from s3server_module.running_s3server()


@pytest.fixture
def s3_private(s3server: Any, settings: Any) -> Any:
    """This process's private files on a fresh bucket of the local S3 server; yields the bucket's name."""
    bucket = s3server.new_bucket()
    settings.STORAGES = {**settings.STORAGES, "private": s3server.storage(bucket)}
    return bucket
