"""The SQL connector: the company's own database (PostgreSQL, MySQL/MariaDB, SQLite) through SQLAlchemy Core.

What it touches is what the dataset description names (requests/connectors/dataset.py), checked against the
schema the database reports: table and column names come only from that reflected schema, and every value
travels as a bound parameter. Nothing the database says is passed on or logged: its messages hold statements and
sometimes values ("Key (email)=(ada@…) already exists"), so errors are mapped by code to sentences of our own.

Matching (DESIGN §6): the database only narrows (`lower(trim(email)) IN (spellings)`); whether a row is the
person's is decided here with the portal's normaliser, so no database's case folding ever decides.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import logging
import unicodedata
import urllib.parse
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection, Engine

from privacyportal.addresses import normalise_email
from requests.connectors import dataset as ds
from requests.connectors.base import (
    ConnectionCheck,
    ConnectorError,
    Done,
    ErasurePlan,
    Export,
    Found,
    Key,
    Outcome,
    RecordRef,
    Result,
    Scalar,
    Step,
    Subject,
    rectify_targets,
)

log = logging.getLogger(__name__)
T = TypeVar("T")

DRIVERS = {
    "postgresql": "postgresql+psycopg2",
    "mysql": "mysql+pymysql",
    "mariadb": "mysql+pymysql",
    "sqlite": "sqlite",
}
# Keys per IN list: well under every database's limit on bound parameters (SQLite's old default is 999).
CHUNK = 500
CONNECT_TIMEOUT = 10
MASK_PREFIX = "erased-"
PHONE_PUNCTUATION = (" ", "-", "(", ")", ".", "/")
MIN_PHONE_DIGITS = 7  # fewer would match strangers' extensions and short codes
FLAG_LABELS: dict[tuple[str, bool], tuple[Done, Done]] = {
    ("restrict", False): ("restricted", "already restricted"),
    ("restrict", True): ("unrestricted", "already unrestricted"),
    ("opt_out", False): ("opted out", "already opted out"),
}


class SqlConnector:
    """One SQL database and its dataset description. Cheap to build; connects on first use."""

    kind = "sql"

    def __init__(
        self,
        url: sa.URL,
        description: str | ds.Dataset,
        *,
        schema: str | None = None,
        connect_args: Mapping[str, Any] | None = None,
    ) -> None:
        self.dataset = ds.parse(description) if isinstance(description, str) else description
        self.url = url
        self.schema = schema or None
        self.engine: Engine = sa.create_engine(
            url, hide_parameters=True, pool_pre_ping=True, connect_args=dict(connect_args or {})
        )
        self.detail_fields = self.dataset.detail_fields()
        self.capabilities = frozenset(
            {"test", "find", "export", "erase"}
            | ({"rectify"} if any(r.rectify for r in self.dataset.tables.values()) else set())
            | ({"restrict"} if any(r.restrict for r in self.dataset.tables.values()) else set())
            | ({"opt_out"} if any(r.opt_out for r in self.dataset.tables.values()) else set())
            | ({"compare"} if self.detail_fields else set())
        )
        self._rules: dict[str, ds.TableRule] = {}
        self._tables: dict[str, sa.Table] = {}
        self._info: dict[str, ds.TableInfo] = {}
        self._at = ""  # the table in hand, for an error message

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any], credentials: Mapping[str, Any]) -> SqlConnector:
        """`settings`: dialect (postgresql, mysql, mariadb, sqlite), host, port, database (a file path for
        SQLite), schema, dataset (the description's text), read_only (SQLite: open the file read-only);
        `credentials`: username, password."""
        dialect = str(settings.get("dialect", ""))
        if dialect not in DRIVERS:
            raise ConnectorError(
                f"Unknown database kind '{dialect}': use one of {', '.join(sorted(DRIVERS))}."
            )
        timeout = int(settings.get("connect_timeout", CONNECT_TIMEOUT))
        if dialect == "sqlite":
            # A URI with a mode, so that a wrong path is an error rather than a new, empty database file.
            mode = "ro" if settings.get("read_only") else "rw"
            path = urllib.parse.quote(str(settings.get("database", "")))
            url = sa.URL.create("sqlite", database=f"file:{path}?mode={mode}", query={"uri": "true"})
            connect_args: dict[str, Any] = {"timeout": timeout}
        else:
            url = sa.URL.create(
                DRIVERS[dialect],
                username=credentials.get("username") or None,
                password=credentials.get("password") or None,
                host=settings.get("host") or "127.0.0.1",
                port=int(settings["port"]) if settings.get("port") else None,
                database=settings.get("database") or None,
                query={"charset": "utf8mb4"} if DRIVERS[dialect].startswith("mysql") else {},
            )
            connect_args = {"connect_timeout": timeout}
            if dialect == "postgresql":
                connect_args["application_name"] = "privacy-portal"
        return cls(
            url, str(settings.get("dataset", "")), schema=settings.get("schema"), connect_args=connect_args
        )

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> SqlConnector:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- the protocol -----------------------------------------------------------------------------------

    def test(self) -> ConnectionCheck:
        def work() -> ConnectionCheck:
            self._prepare()
            verbs = {name: _verbs(rule) for name, rule in self._rules.items()}
            can_write = self._writable({name: v for name, v in verbs.items() if v}, answer=True)
            who = f" as '{self.url.username}'" if self.url.username else ""
            access = (
                "Erasure and correction can run."
                if can_write
                else "The account can only read: access and export work; erasure and correction need write permission."
            )
            message = f"Connected to {self._where()}{who}. The {len(self._rules)} tables described are there. {access}"
            return ConnectionCheck(message, can_write)

        return self._call("testing the connection", work)

    def find(self, subject: Subject) -> Found:
        return self._call("finding records", lambda: self._find(subject))

    def export(self, found: Found) -> Export:
        return self._call("exporting records", lambda: self._export(found))

    def plan_erasure(self, found: Found) -> ErasurePlan:
        return self._call("planning the erasure", lambda: self._plan(found))

    def erase(self, plan: ErasurePlan) -> Result:
        if plan.dataset != self.dataset.digest():
            raise ConnectorError(
                "The dataset description changed after this dry run: run the dry run again and have it approved."
            )
        return self._call("erasure", lambda: self._erase(plan))

    def rectify(self, found: Found, changes: Mapping[str, str]) -> Result:
        return self._call("correction", lambda: self._rectify(found, changes))

    def restrict(self, found: Found) -> Result:
        return self._call("restriction", lambda: self._flag(found, "restrict", undo=False))

    def unrestrict(self, found: Found) -> Result:
        return self._call("lifting the restriction", lambda: self._flag(found, "restrict", undo=True))

    def opt_out(self, found: Found) -> Result:
        return self._call("the opt-out", lambda: self._flag(found, "opt_out", undo=False))

    # --- schema -----------------------------------------------------------------------------------------

    def _prepare(self) -> None:
        """Reflect the described tables and check the description against them, once."""
        if self._rules:
            return
        with self.engine.connect() as conn:
            inspector = sa.inspect(conn)
            names = set(inspector.get_table_names(schema=self.schema))
            described = [name for name in self.dataset.tables if name in names]
            metadata = sa.MetaData(schema=self.schema)
            metadata.reflect(bind=conn, only=described, resolve_fks=False)
            foreign_keys = {
                name: _foreign_keys(fks)
                for (_, name), fks in inspector.get_multi_foreign_keys(schema=self.schema).items()
            }
        tables = {table.name: table for table in metadata.tables.values()}
        info = {name: _table_info(table, foreign_keys.get(name, ())) for name, table in tables.items()}
        for name, fks in foreign_keys.items():
            if name in names and name not in info:  # not described: only its foreign keys matter
                info[name] = ds.TableInfo(name, {}, (), fks)
        resolved = self.dataset.check_against(ds.Schema(info))
        self._tables = tables
        self._info = info
        self._rules = {name: resolved.tables[name] for name in ds.order(resolved.tables)}

    def _key_columns(self, name: str) -> list[sa.Column[Any]]:
        return [self._tables[name].c[column] for column in self._rules[name].primary_key]

    def _in_keys(self, name: str, keys: Sequence[Key]) -> sa.ColumnElement[bool]:
        columns = self._key_columns(name)
        if len(columns) == 1:
            return columns[0].in_([_bind(columns[0], key[0]) for key in keys])
        return sa.tuple_(*columns).in_(
            [tuple(_bind(c, v) for c, v in zip(columns, key, strict=True)) for key in keys]
        )

    # --- find and export --------------------------------------------------------------------------------

    def _find(self, subject: Subject) -> Found:
        self._prepare()
        found: dict[str, dict[Key, None]] = {name: {} for name in self._rules}  # dicts keep the order found
        with self.engine.connect() as conn:
            for name, rule in self._rules.items():
                self._at = name
                for kind, columns in (rule.identify or {}).items():
                    for column in columns:
                        for key in self._match(conn, name, kind, column, subject):
                            found[name][key] = None
            self._follow(conn, found)
        refs = tuple(
            RecordRef(name, key) for name, keys in found.items() for key in sorted(keys, key=_sort_key)
        )
        log.info("sql connector: found %d records in %d tables", len(refs), len({r.table for r in refs}))
        return Found(refs)

    def _match(self, conn: Connection, name: str, kind: str, column: str, subject: Subject) -> Iterator[Key]:
        """Rows whose `column` holds one of the subject's identifiers of this kind: narrowed by the database,
        decided here."""
        table = self._tables[name]
        col = table.c[column]
        text = ds.TEXT == self._info[name].columns[column].kind
        decide: Callable[[Any], bool]
        if kind == "email" and subject.email.strip():
            target = normalise_email(subject.email)
            where = sa.func.lower(sa.func.trim(col)).in_(sorted(email_spellings(subject.email)))
            decide = lambda value: normalise_email(str(value)) == target  # noqa: E731
        elif kind == "phone" and len(digits := phone_digits(subject.phone)) >= MIN_PHONE_DIGITS:
            stripped: sa.ColumnElement[Any] = col
            for mark in PHONE_PUNCTUATION:
                stripped = sa.func.replace(stripped, mark, "")
            where = stripped.in_(phone_spellings(subject.phone))
            decide = lambda value: phone_digits(str(value)) == digits  # noqa: E731
        elif kind == "account_id" and (ids := {a.strip() for a in subject.account_ids if a.strip()}):
            if text:
                where = sa.func.trim(col).in_(sorted(ids))
            elif self._info[name].columns[column].kind == "integer":
                numbers = sorted(int(a) for a in ids if a.isascii() and a.isdigit())
                if not numbers:
                    return
                where = col.in_(numbers)
            else:
                where = col.in_(sorted(ids))
            decide = lambda value: str(value).strip() in ids  # noqa: E731
        else:
            return
        statement = sa.select(*self._key_columns(name), col).where(where)
        for row in conn.execute(statement):
            if row[-1] is not None and decide(row[-1]):
                yield _key(row[:-1])

    def _follow(self, conn: Connection, found: dict[str, dict[Key, None]]) -> None:
        """Add the rows that belong to found rows (order_lines of orders of customers), until nothing new."""
        seen: dict[tuple[str, str], int] = {}  # per (table, column) followed: how many parent keys done
        changed = True
        while changed:
            changed = False
            for name, rule in self._rules.items():
                for relation in rule.parents or ():
                    parent_keys = list(found[relation.parent])
                    done = seen.get((name, relation.column), 0)
                    seen[(name, relation.column)] = len(parent_keys)
                    self._at = name
                    column = self._tables[name].c[relation.column]
                    for values in self._referenced(conn, relation, parent_keys[done:]):
                        bound = [_bind(column, value) for value in values]
                        statement = sa.select(*self._key_columns(name)).where(column.in_(bound))
                        for row in conn.execute(statement):
                            if (key := _key(row)) not in found[name]:
                                found[name][key] = None
                                changed = True

    def _referenced(self, conn: Connection, relation: ds.Relation, keys: list[Key]) -> Iterator[list[Any]]:
        """In chunks, the values of `relation.references` in the parent's rows with these keys."""
        parent = relation.parent
        for chunk in _chunks(keys):
            if (relation.references,) == self._rules[parent].primary_key:
                yield [key[0] for key in chunk]
            else:
                column = self._tables[parent].c[relation.references]
                values: Iterable[Any] = conn.execute(
                    sa.select(column).where(self._in_keys(parent, chunk))
                ).scalars()
                yield [value for value in values if value is not None]

    def _export(self, found: Found) -> Export:
        self._prepare()
        columns: dict[str, tuple[str, ...]] = {}
        rows: dict[str, list[dict[str, Scalar]]] = {}
        with self.engine.connect() as conn:
            for name, keys in self._found_tables(found):
                self._at = name
                table = self._tables[name]
                columns[name] = tuple(table.c.keys())
                rows[name] = []
                for chunk in _chunks(keys):
                    statement = (
                        sa.select(table).where(self._in_keys(name, chunk)).order_by(*self._key_columns(name))
                    )
                    for row in conn.execute(statement):
                        rows[name].append(
                            {column: json_safe(value) for column, value in row._mapping.items()}
                        )
        return Export(columns, rows)

    def _found_tables(self, found: Found) -> Iterator[tuple[str, list[Key]]]:
        """The found keys per table, in the dataset's order; a table the dataset no longer describes is refused."""
        by_table = found.by_table()
        if unknown := sorted(set(by_table) - set(self._rules)):
            raise ConnectorError(
                f"The records name tables the dataset does not describe: {', '.join(unknown)}."
            )
        for name in self._rules:
            if name in by_table:
                yield name, by_table[name]

    # --- erasure ----------------------------------------------------------------------------------------

    def _plan(self, found: Found) -> ErasurePlan:
        """Children first; a row that rows which stay (kept or anonymised) refer to is anonymised, not deleted,
        so that erasure neither breaks their reference nor lets the database cascade them away."""
        self._prepare()
        by_table = dict(self._found_tables(found))
        staying: dict[str, list[Key]] = {}
        steps: list[Step] = []
        with self.engine.connect() as conn:
            for name in reversed(self._rules):
                rule = self._rules[name]
                self._at = name
                held = self._held(conn, name, staying) if rule.erase == "delete" else {}
                table_steps = []
                for key in sorted(by_table.get(name, ()), key=_sort_key):
                    ref = RecordRef(name, key)
                    if rule.erase == "keep":
                        table_steps.append(Step(ref, "keep", ground=rule.ground))
                    elif rule.erase == "anonymise" or key in held:
                        reason = (
                            f"not deleted: kept or anonymised rows of {held[key]} refer to it"
                            if key in held
                            else ""
                        )
                        table_steps.append(_anonymise_step(ref, rule, reason))
                    else:
                        table_steps.append(Step(ref, "delete"))
                staying[name] = [step.ref.key for step in table_steps if step.action != "delete"]
                steps += table_steps
        return ErasurePlan(self.dataset.digest(), tuple(steps))

    def _held(self, conn: Connection, name: str, staying: Mapping[str, list[Key]]) -> dict[Key, str]:
        """The rows of `name` that staying rows of its children refer to, with those children's names."""
        held: dict[Key, set[str]] = {}
        for child, rule in self._rules.items():
            for relation in rule.parents or ():
                if relation.parent != name or not staying.get(child):
                    continue
                column = self._tables[child].c[relation.column]
                for chunk in _chunks(staying[child]):
                    values: Iterable[Any] = conn.execute(
                        sa.select(column).where(self._in_keys(child, chunk))
                    ).scalars()
                    referenced = {value for value in values if value is not None}
                    for key in self._keys_where(conn, name, relation.references, referenced):
                        held.setdefault(key, set()).add(child)
        return {key: ", ".join(sorted(children)) for key, children in held.items()}

    def _keys_where(self, conn: Connection, name: str, column: str, values: set[Any]) -> Iterator[Key]:
        if (column,) == self._rules[name].primary_key:
            yield from ((_json_key_value(value),) for value in values)
            return
        col = self._tables[name].c[column]
        for chunk in _chunks(sorted(values, key=str)):
            for row in conn.execute(sa.select(*self._key_columns(name)).where(col.in_(chunk))):
                yield _key(row)

    def _erase(self, plan: ErasurePlan) -> Result:
        self._prepare()
        groups: dict[str, list[Step]] = {}
        for step in plan.steps:
            if step.ref.table not in self._rules:
                raise ConnectorError(
                    f"The plan names table '{step.ref.table}', which the dataset does not describe."
                )
            groups.setdefault(step.ref.table, []).append(step)
        self._writable({
            name: {"delete" if s.action == "delete" else "update" for s in steps if s.action != "keep"}
            for name, steps in groups.items()
        })  # fmt: skip
        outcomes: list[Outcome] = []
        with self.engine.begin() as conn:  # one transaction: all of it or, after a crash, none of it
            for name, steps in groups.items():
                self._at = name
                outcomes += self._apply(conn, name, steps)
        result = Result("erase", tuple(outcomes))
        log.info("sql connector: erasure done: %s", result.counts())
        return result

    def _apply(self, conn: Connection, name: str, steps: list[Step]) -> list[Outcome]:
        """One table's steps, by their primary keys: what is gone or already anonymised is reported as such."""
        outcomes: dict[RecordRef, Outcome] = {}
        table = self._tables[name]
        keys = self._key_columns(name)
        deletes = [step.ref.key for step in steps if step.action == "delete"]
        for chunk in _chunks(deletes):
            present = {_key(row) for row in conn.execute(sa.select(*keys).where(self._in_keys(name, chunk)))}
            if present:
                conn.execute(sa.delete(table).where(self._in_keys(name, sorted(present, key=_sort_key))))
            for key in chunk:
                ref = RecordRef(name, key)
                outcomes[ref] = Outcome(ref, "deleted" if key in present else "already deleted")
        anonymise: dict[tuple[tuple[str, ...], tuple[str, ...]], list[Step]] = {}
        for step in steps:
            if step.action == "anonymise":
                anonymise.setdefault((step.nulled, step.masked), []).append(step)
        for (nulled, masked), group in anonymise.items():
            for ref, outcome in self._anonymise(conn, name, nulled, masked, group):
                outcomes[ref] = outcome
        for step in steps:
            if step.action == "keep":
                outcomes[step.ref] = Outcome(step.ref, "kept", step.ground)
        return [outcomes[step.ref] for step in steps]

    def _anonymise(
        self, conn: Connection, name: str, nulled: tuple[str, ...], masked: tuple[str, ...], steps: list[Step]
    ) -> Iterator[tuple[RecordRef, Outcome]]:
        table = self._tables[name]
        keys = self._key_columns(name)
        columns = [table.c[c] for c in (*nulled, *masked)]
        lengths = {c: self._info[name].columns[c].length for c in masked}
        # Bound names of our own: a bindparam named like a column clashes with it in UPDATE ... SET.
        update = (
            sa.update(table)
            .where(*(key == sa.bindparam(f"k{i}") for i, key in enumerate(keys)))
            .values({**{c: None for c in nulled}, **{c: sa.bindparam(f"m{i}") for i, c in enumerate(masked)}})
        )
        by_key = {step.ref.key: step for step in steps}
        for chunk in _chunks(list(by_key)):
            current = {_key(row[: len(keys)]): row[len(keys) :] for row in conn.execute(
                sa.select(*keys, *columns).where(self._in_keys(name, chunk))
            )}  # fmt: skip
            batch = []
            for key in chunk:
                step = by_key[key]
                if key not in current:
                    yield step.ref, Outcome(step.ref, "already deleted", "the record no longer exists")
                    continue
                masks = [mask_value(name, key, lengths[c]) for c in masked]
                values = current[key]
                if all(v is None for v in values[: len(nulled)]) and list(values[len(nulled) :]) == masks:
                    yield step.ref, Outcome(step.ref, "already anonymised", _anonymised(step))
                    continue
                params = {f"k{i}": _bind(col, v) for i, (col, v) in enumerate(zip(keys, key, strict=True))}
                batch.append(params | {f"m{i}": mask for i, mask in enumerate(masks)})
                yield step.ref, Outcome(step.ref, "anonymised", _anonymised(step))
            if batch:
                conn.execute(update, batch)

    def _writable(self, verbs: Mapping[str, set[str]], *, answer: bool = False) -> bool:
        """Whether the account may DELETE from / UPDATE these tables: each statement runs with a condition no
        row meets, then all is rolled back. Databases check privileges before they look at rows, so a read-only
        account is refused here, before anything changes. With `answer` (for `test()`) a refusal is returned as
        False; otherwise it raises, and `_call` turns it into the error the DPO sees."""
        with self.engine.connect() as conn:
            try:
                with conn.begin() as transaction:
                    for name, wanted in verbs.items():
                        self._at = name
                        table = self._tables[name]
                        if "delete" in wanted:
                            conn.execute(sa.delete(table).where(sa.false()))
                        if "update" in wanted:
                            column = table.c[self._rules[name].primary_key[0]]
                            conn.execute(sa.update(table).where(sa.false()).values({column: column}))
                    transaction.rollback()
            except sa_exc.DBAPIError as exc:
                if answer and _category(exc)[0] in ("permission", "read-only"):
                    return False
                raise
        self._at = ""
        return True

    # --- correction, restriction, opt-out ---------------------------------------------------------------

    def _rectify(self, found: Found, changes: Mapping[str, str]) -> Result:
        self._prepare()
        by_table = dict(self._found_tables(found))
        targets: dict[str, dict[str, Any]] = {}
        for field, value in changes.items():
            for name, column in self._targets(field):
                targets.setdefault(name, {})[column] = self._coerce(name, column, value)
        self._writable({name: {"update"} for name in targets if name in by_table})
        outcomes: list[Outcome] = []
        with self.engine.begin() as conn:
            for name, new in targets.items():
                self._at = name
                outcomes += self._set(
                    conn, name, by_table.get(name, []), new, ("rectified", "already correct")
                )
        return Result("rectify", tuple(outcomes))

    def _targets(self, field: str) -> list[tuple[str, str]]:
        """`table.column` or a bare column (every table that lets a correction change it)."""
        allowed = {(name, column) for name, rule in self._rules.items() for column in rule.rectify}
        return rectify_targets(
            field,
            allowed,
            allows="the dataset allows",
            remedy="correct it by hand or add it to the table's 'rectify' list",
        )

    def _coerce(self, name: str, column: str, value: str) -> Any:
        """The new value as the column's type wants it; a refusal names the column, never the value."""
        info = self._info[name].columns[column]
        try:
            if info.kind == "integer":
                return int(value)
            if info.kind == "number":
                return Decimal(value)
            if info.kind == "boolean":
                return {"true": True, "false": False, "1": True, "0": False}[value.strip().lower()]
            if info.kind == "date":
                return date.fromisoformat(value.strip())
            if info.kind == "datetime":
                return datetime.fromisoformat(value.strip())
        except (ValueError, KeyError, InvalidOperation):
            raise ConnectorError(f"The new value for '{name}.{column}' is not a valid {info.kind}.") from None
        if info.length is not None and len(value) > info.length:
            raise ConnectorError(
                f"The new value for '{name}.{column}' is longer than the column allows ({info.length})."
            )
        return value

    def _flag(self, found: Found, which: str, *, undo: bool) -> Result:
        self._prepare()
        flags = {
            name: flag for name, rule in self._rules.items() if (flag := getattr(rule, which)) is not None
        }
        if not flags:
            raise ConnectorError(
                f"The dataset does not say how this system records {which.replace('_', '-')}: do it by hand."
            )
        labels = FLAG_LABELS[(which, undo)]
        by_table = dict(self._found_tables(found))
        self._writable({name: {"update"} for name in flags if name in by_table})
        outcomes: list[Outcome] = []
        with self.engine.begin() as conn:
            for name, flag in flags.items():
                self._at = name
                new = {flag.column: flag.undo if undo else flag.value}
                outcomes += self._set(conn, name, by_table.get(name, []), new, labels)
        return Result(which if not undo else "unrestrict", tuple(outcomes))

    def _set(
        self, conn: Connection, name: str, keys: list[Key], new: Mapping[str, Any], labels: tuple[Done, Done]
    ) -> list[Outcome]:
        """Set columns on these rows where they differ; per row whether it changed."""
        table = self._tables[name]
        key_columns = self._key_columns(name)
        columns = list(new)
        outcomes = []
        for chunk in _chunks(keys):
            statement = sa.select(*key_columns, *(table.c[c] for c in columns)).where(
                self._in_keys(name, chunk)
            )
            current = {
                _key(row[: len(key_columns)]): tuple(row[len(key_columns) :])
                for row in conn.execute(statement)
            }
            changing = [key for key in chunk if key in current and current[key] != tuple(new.values())]
            if changing:
                conn.execute(sa.update(table).where(self._in_keys(name, changing)).values(dict(new)))
            for key in chunk:
                ref = RecordRef(name, key)
                if key not in current:
                    outcomes.append(Outcome(ref, "already deleted", "the record no longer exists"))
                else:
                    outcomes.append(
                        Outcome(ref, labels[0] if key in changing else labels[1], ", ".join(columns))
                    )
        return outcomes

    # --- errors -----------------------------------------------------------------------------------------

    def _call(self, doing: str, work: Callable[[], T]) -> T:
        """Run `work`, turning what the database says into a ConnectorError of our own words. The error is
        raised outside the `except` so it carries no context: the driver's text never travels with it."""
        self._at = ""
        try:
            return work()
        except sa_exc.SQLAlchemyError as exc:
            error = self._error(exc, doing)
        log.warning("sql connector: %s failed: %s", doing, error.message)
        raise error

    def _where(self) -> str:
        url = self.url
        if url.get_backend_name() == "sqlite":
            path = urllib.parse.unquote((url.database or "").removeprefix("file:").rpartition("?")[0])
            return f"the SQLite file '{path}'"
        port = f":{url.port}" if url.port else ""
        return f"the {url.get_backend_name()} database '{url.database}' on {url.host}{port}"

    def _error(self, exc: sa_exc.SQLAlchemyError, doing: str) -> ConnectorError:
        category, code = _category(exc)
        user = self.url.username or ""
        table = f"table '{self._at}'" if self._at else "the tables"
        coded = f" (database code {code})" if code else ""
        if category == "auth":
            return ConnectorError(f"The database refused the password for user '{user}' ({self._where()}).")
        if category == "unknown-database":
            return ConnectorError(
                f"There is no database '{self.url.database}' on {self.url.host}: check the name."
            )
        if category == "unreachable" and self.url.get_backend_name() == "sqlite":
            return ConnectorError(
                f"Could not open {self._where()}: check the path and that the portal may read it."
            )
        if category == "unreachable":
            return ConnectorError(
                f"Could not reach {self._where()}: it refused the connection or did not answer in time. "
                "The portal tries again later.",
                transient=True,
            )
        if category == "busy":
            return ConnectorError(
                f"The database was busy (a lock, a deadlock or too many connections) during {doing}{coded}; "
                "nothing was changed. The portal tries again later.",
                transient=True,
            )
        if category in ("permission", "read-only"):
            if doing in (
                "finding records",
                "exporting records",
                "planning the erasure",
                "testing the connection",
            ):
                return ConnectorError(
                    f"The account '{user}' may not read {table}{coded}: give it read access."
                )
            return ConnectorError(
                f"The account '{user}' can read but cannot change {table}: {doing} needs write permission "
                f"(UPDATE and DELETE){coded}. Nothing was changed."
            )
        if category == "integrity":
            return ConnectorError(
                f"The database refused {doing} in {table} because other rows refer to these records{coded}; "
                "nothing was changed. Describe the referring table in the dataset."
            )
        if category == "duplicate":
            return ConnectorError(
                f"The database refused {doing} in {table}: the new value is already used by another record{coded}. "
                "Nothing was changed."
            )
        if category == "missing":
            return ConnectorError(
                f"{table.capitalize()} no longer has the columns the dataset names{coded}: check the dataset."
            )
        return ConnectorError(f"The database reported an error during {doing} in {table}{coded}.")


# --- matching ---------------------------------------------------------------------------------------------


def email_spellings(address: str) -> set[str]:
    """Spellings a stored address of the same person may take, as the database's lower(trim(...)) gives
    them: the normalised form, the domain in Unicode and in IDNA, with a trailing dot, the local part quoted,
    composed and decomposed, lower-cased by ASCII rules or fully. A net for the database; the decision is
    `normalise_email` on what comes back."""
    normalised = normalise_email(address)
    local, at, domain = normalised.rpartition("@")
    if not at:
        return {normalised, normalised.lower()}
    domains = {domain}
    with contextlib.suppress(UnicodeError):  # not a valid IDNA name: only its own spelling can match
        domains.add(domain.encode("ascii").decode("idna"))
    locals_ = {local, f'"{local}"'}
    spellings = set()
    for name in domains:
        for part in locals_:
            for end in ("", "."):
                for form in ("NFC", "NFD"):
                    spelling = unicodedata.normalize(form, f"{part}@{name}{end}")
                    spellings |= {spelling, spelling.lower()}
    return spellings


def phone_digits(phone: str) -> str:
    """A phone number as matched: digits only, a leading + or 00 kept as +."""
    text = phone.strip()
    digits = "".join(ch for ch in text if ch.isascii() and ch.isdigit())
    if text.startswith("+"):
        return "+" + digits
    if digits.startswith("00"):
        return "+" + digits[2:]
    return digits


def phone_spellings(phone: str) -> list[str]:
    digits = phone_digits(phone)
    if digits.startswith("+"):
        return [digits, "00" + digits[1:]]
    return [digits]


# --- values -----------------------------------------------------------------------------------------------


def mask_value(table: str, key: Key, length: int | None = None) -> str:
    """What a masked column holds: the same for the same record (so a re-run sees the work done), different
    for different records (so a unique column stays unique), and nothing about the person."""
    digest = hashlib.sha256(json.dumps([table, list(key)]).encode()).hexdigest()[:12]
    value = MASK_PREFIX + digest
    return value[:length] if length else value


def json_safe(value: Any) -> Scalar:
    """A database value as an export holds it: dates in ISO 8601, decimals as text, bytes in base64."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    return str(value)


def _json_key_value(value: Any) -> str | int:
    return value if isinstance(value, int) and not isinstance(value, bool) else str(value)


def _key(row: Iterable[Any]) -> Key:
    return tuple(_json_key_value(value) for value in row)


def _sort_key(key: Key) -> tuple[tuple[int, str | int], ...]:
    return tuple((0, v) if isinstance(v, int) else (1, v) for v in key)


def _bind(column: sa.Column[Any], value: str | int) -> Any:
    """A key value from JSON as the column's type binds it."""
    if isinstance(column.type, sa.Integer):
        return int(value)
    if isinstance(column.type, sa.Uuid) and column.type.as_uuid:
        return uuid.UUID(str(value))
    return value


def _chunks(items: Sequence[T]) -> Iterator[list[T]]:
    for start in range(0, len(items), CHUNK):
        yield list(items[start : start + CHUNK])


def _verbs(rule: ds.TableRule) -> set[str]:
    """What erasure, correction, restriction and opt-out may do to a table: a kept table needs no writes."""
    verbs = {"delete"} if rule.erase == "delete" else set()
    if rule.erase == "anonymise" or rule.columns or rule.rectify or rule.restrict or rule.opt_out:
        verbs.add("update")
    return verbs


def _anonymise_step(ref: RecordRef, rule: ds.TableRule, reason: str) -> Step:
    columns = rule.columns or {}
    return Step(
        ref, "anonymise", reason=reason,
        nulled=tuple(c for c, r in columns.items() if r.strategy == "null"),
        masked=tuple(c for c, r in columns.items() if r.strategy == "mask"),
        kept=tuple((c, r.ground) for c, r in columns.items() if r.strategy == "keep"),
    )  # fmt: skip


def _anonymised(step: Step) -> str:
    parts = []
    if step.nulled:
        parts.append("emptied " + ", ".join(step.nulled))
    if step.masked:
        parts.append("masked " + ", ".join(step.masked))
    parts += [f"kept {column} (ground: {ground})" for column, ground in step.kept]
    if step.reason:
        parts.append(step.reason)
    return "; ".join(parts)


def _kind(type_: sa.types.TypeEngine[Any]) -> str:
    if isinstance(type_, sa.Boolean):
        return "boolean"
    if isinstance(type_, sa.Enum):
        return "other"
    if isinstance(type_, sa.String):
        return ds.TEXT
    if isinstance(type_, sa.Integer):
        return "integer"
    if isinstance(type_, sa.Numeric):
        return "number"
    if isinstance(type_, sa.DateTime):
        return "datetime"
    if isinstance(type_, sa.Date):
        return "date"
    if isinstance(type_, sa.LargeBinary):
        return "binary"
    return "other"


def _table_info(table: sa.Table, foreign_keys: tuple[ds.ForeignKey, ...]) -> ds.TableInfo:
    columns = {
        c.name: ds.ColumnInfo(c.name, _kind(c.type), bool(c.nullable), getattr(c.type, "length", None))
        for c in table.columns
    }
    return ds.TableInfo(table.name, columns, tuple(c.name for c in table.primary_key.columns), foreign_keys)


def _foreign_keys(fks: Iterable[Mapping[str, Any]]) -> tuple[ds.ForeignKey, ...]:
    return tuple(
        ds.ForeignKey(
            tuple(fk["constrained_columns"]), str(fk["referred_table"]), tuple(fk["referred_columns"])
        )
        for fk in fks
    )


# --- what the database said, by code ---------------------------------------------------------------------

# SQLSTATE classes and codes (PostgreSQL), MySQL/MariaDB error numbers, SQLite result names.
_PG = {
    "28P01": "auth", "28000": "auth", "3D000": "unknown-database", "42501": "permission", "25006": "read-only",
    "40001": "busy", "40P01": "busy", "55P03": "busy", "53300": "busy", "57014": "busy", "57P01": "unreachable",
    "57P03": "unreachable", "23503": "integrity", "23505": "duplicate", "42P01": "missing", "42703": "missing",
}  # fmt: skip
_MYSQL = {
    1045: "auth", 1044: "permission", 1049: "unknown-database", 1142: "permission", 1143: "permission",
    1227: "permission", 1290: "read-only", 1792: "read-only", 1205: "busy", 1213: "busy", 1040: "busy",
    2003: "unreachable", 2005: "unreachable", 2006: "unreachable", 2013: "unreachable", 1451: "integrity",
    1452: "integrity", 1062: "duplicate", 1146: "missing", 1054: "missing",
}  # fmt: skip
_SQLITE = {
    "SQLITE_READONLY": "read-only", "SQLITE_PERM": "permission", "SQLITE_AUTH": "permission",
    "SQLITE_BUSY": "busy", "SQLITE_LOCKED": "busy", "SQLITE_CANTOPEN": "unreachable",
    "SQLITE_CONSTRAINT_FOREIGNKEY": "integrity", "SQLITE_CONSTRAINT_UNIQUE": "duplicate",
}  # fmt: skip
# libpq reports a failed connection as text only (no SQLSTATE); read, never repeated.
_PG_CONNECT = (
    ("password authentication failed", "auth"), ("no password supplied", "auth"), ("role \"", "auth"),
    ("does not exist", "unknown-database"), ("timeout expired", "unreachable"), ("could not connect", "unreachable"),
    ("connection refused", "unreachable"), ("could not translate host name", "unreachable"),
    ("server closed the connection", "unreachable"),
)  # fmt: skip


def _category(exc: sa_exc.SQLAlchemyError) -> tuple[str, str]:
    """What kind of failure, and the database's code for it: from codes, never from message text we pass on."""
    if isinstance(exc, sa_exc.TimeoutError):
        return "busy", ""
    orig = getattr(exc, "orig", None)
    pgcode = getattr(orig, "pgcode", None)
    if pgcode:
        return _PG.get(pgcode) or ("unreachable" if pgcode.startswith("08") else "other"), pgcode
    errorname = getattr(orig, "sqlite_errorname", None)
    if errorname:
        return _SQLITE.get(errorname, "other"), errorname
    args = getattr(orig, "args", ())
    if args and isinstance(args[0], int):  # PyMySQL: (errno, message)
        return _MYSQL.get(args[0], "other"), str(args[0])
    if type(orig).__module__.startswith("psycopg2"):
        text = str(orig).lower()
        for needle, category in _PG_CONNECT:
            if needle in text:
                return category, ""
    if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
        return "unreachable", ""
    return "other", ""
