"""The sample shop (requests/connectors/sample.py) in a real SQLite, PostgreSQL and MariaDB, each test on fresh
tables, with an account that can read and not write beside the one that can do both.

PostgreSQL: CONNECTOR_POSTGRES_URL (default the suite's server, postgres/postgres on 127.0.0.1:5432).
MariaDB: MARIADB_URL (default portal/portal on 127.0.0.1:3306, as .ci/run creates it). Each run makes its own
`connector_test_*` databases and drops them. A server that cannot be reached skips its tests here, and fails
them in CI.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from requests.connectors import sample
from requests.connectors.sql import SqlConnector

POSTGRES_URL = os.environ.get("CONNECTOR_POSTGRES_URL", "postgresql://postgres:postgres@127.0.0.1:5432")
MARIADB_URL = os.environ.get("MARIADB_URL", "mysql://portal:portal@127.0.0.1:3306")
HOW = {
    "postgresql": "start PostgreSQL on 127.0.0.1:5432 (postgres/postgres) or set CONNECTOR_POSTGRES_URL",
    "mariadb": "start MariaDB (`service mariadb start`), create the user as .ci/run does, or set MARIADB_URL",
}
RO_PASSWORD = "read/only@pass"  # a / and an @: the URL must carry them as they are


@dataclass
class Server:
    kind: str
    settings: dict[str, Any]
    credentials: dict[str, str]
    read_only: dict[str, str]
    engine: sa.Engine


@dataclass
class Shop:
    """One database holding the sample shop, and the means to look at it from outside the connector."""

    kind: str
    settings: dict[str, Any]
    credentials: dict[str, str]
    read_only_settings: dict[str, Any]
    read_only_credentials: dict[str, str]
    engine: sa.Engine
    meta: sa.MetaData = field(default_factory=sample.metadata)

    def connector(
        self, *, read_only: bool = False, dataset: str = sample.DATASET, **settings: Any
    ) -> SqlConnector:
        base = self.read_only_settings if read_only else self.settings
        credentials = self.read_only_credentials if read_only else self.credentials
        return SqlConnector.from_settings({**base, "dataset": dataset, **settings}, credentials)

    def rows(self, table: str) -> dict[int, dict[str, Any]]:
        with self.engine.connect() as conn:
            return {row.id: dict(row._mapping) for row in conn.execute(sa.select(self.meta.tables[table]))}

    def snapshot(self) -> dict[str, dict[int, dict[str, Any]]]:
        return {name: self.rows(name) for name in self.meta.tables}


def unavailable(kind: str) -> None:
    message = f"{kind} is not reachable: {HOW[kind]}"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def _admin(url: sa.URL) -> sa.Engine:
    return sa.create_engine(url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5})


@pytest.fixture(scope="session")
def postgresql_server() -> Iterator[Server]:
    url = sa.make_url(POSTGRES_URL).set(drivername="postgresql+psycopg2")
    name, role = f"connector_test_{uuid.uuid4().hex[:8]}", f"connector_ro_{uuid.uuid4().hex[:8]}"
    admin = _admin(url.set(database="postgres"))
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
            conn.exec_driver_sql(f"CREATE ROLE \"{role}\" LOGIN PASSWORD '{RO_PASSWORD}'")
    except sa.exc.OperationalError:
        admin.dispose()
        unavailable("postgresql")
    engine = _admin(url.set(database=name))
    with engine.connect() as conn:
        conn.exec_driver_sql(f'GRANT USAGE ON SCHEMA public TO "{role}"')
        # Tables are made afresh for every test: the read-only role may read each of them, never change one.
        conn.exec_driver_sql(f'ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO "{role}"')
    settings = {"dialect": "postgresql", "host": url.host, "port": url.port or 5432, "database": name}
    yield Server("postgresql", settings, {"username": url.username or "", "password": url.password or ""},
                 {"username": role, "password": RO_PASSWORD}, engine)  # fmt: skip
    engine.dispose()
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.exec_driver_sql(f'DROP ROLE IF EXISTS "{role}"')
    admin.dispose()


@pytest.fixture(scope="session")
def mariadb_server() -> Iterator[Server]:
    url = sa.make_url(MARIADB_URL).set(drivername="mysql+pymysql", query={"charset": "utf8mb4"})
    name, user = f"connector_test_{uuid.uuid4().hex[:8]}", f"connector_ro_{uuid.uuid4().hex[:6]}"
    admin = _admin(url.set(database=None))
    host = url.host or "127.0.0.1"
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
            conn.exec_driver_sql(f"CREATE USER '{user}'@'{host}' IDENTIFIED BY '{RO_PASSWORD}'")
            conn.exec_driver_sql(f"GRANT SELECT ON `{name}`.* TO '{user}'@'{host}'")
    except sa.exc.OperationalError:
        admin.dispose()
        unavailable("mariadb")
    engine = _admin(url.set(database=name))
    settings = {"dialect": "mariadb", "host": host, "port": url.port or 3306, "database": name}
    yield Server("mariadb", settings, {"username": url.username or "", "password": url.password or ""},
                 {"username": user, "password": RO_PASSWORD}, engine)  # fmt: skip
    engine.dispose()
    with admin.connect() as conn:
        conn.exec_driver_sql(f"DROP DATABASE IF EXISTS `{name}`")
        conn.exec_driver_sql(f"DROP USER IF EXISTS '{user}'@'{host}'")
    admin.dispose()


def make_shop(
    kind: str, request: pytest.FixtureRequest, tmp_path: Path, *, foreign_keys: bool = True
) -> Shop:
    """The sample shop, empty tables made afresh and the example people in them."""
    if kind == "sqlite":
        path = str(tmp_path / "shop.sqlite3")
        settings = {"dialect": "sqlite", "database": path}
        shop = Shop(
            "sqlite", settings, {}, {**settings, "read_only": True}, {}, sa.create_engine(f"sqlite:///{path}")
        )
    else:
        server: Server = request.getfixturevalue(f"{kind}_server")
        shop = Shop(
            kind, server.settings, server.credentials, server.settings, server.read_only, server.engine
        )
    shop.meta = sample.metadata(foreign_keys=foreign_keys)
    with shop.engine.begin() as conn:
        existing = sa.MetaData()  # whatever an earlier test left
        existing.reflect(conn)
        existing.drop_all(conn)
        shop.meta.create_all(conn)
        sample.populate_example(conn, shop.meta)
    return shop


@pytest.fixture(params=["sqlite", "postgresql", "mariadb"])
def shop(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Shop]:
    made = make_shop(request.param, request, tmp_path)
    yield made
    if made.kind == "sqlite":
        made.engine.dispose()
