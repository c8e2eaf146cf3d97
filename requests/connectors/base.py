"""What every connector promises (DESIGN §13): the protocol, and the results it hands back.

A connector reaches one company system. It finds a person's records, exports them, plans an erasure (the dry run
the DPO approves), carries the plan out, corrects, restricts and opts out, and says per record what it did, what it
kept and why. Results hold table names, primary keys and column names, never personal values, except `Export`,
whose rows are the person's data itself. Everything the portal stores between steps (a plan awaiting approval, a
result for the certificate) turns into JSON and back with `to_json()` / `from_json()`.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, Protocol, TypeAlias

# A JSON-safe value: what an export row holds and a primary key is made of.
Scalar: TypeAlias = str | int | float | bool | None
Key: TypeAlias = tuple[str | int, ...]

# What a connector can do; a capability absent from `Connector.capabilities` is done by hand (an owner task).
CAPABILITIES = frozenset({"test", "find", "export", "erase", "rectify", "restrict", "opt_out", "compare"})

# The details a requester may give to be matched against what a system holds (requests/forms.py DATA_POINTS).
Detail: TypeAlias = Literal["phone", "postal_address", "account_reference", "date_of_birth"]
DETAILS: tuple[Detail, ...] = ("phone", "postal_address", "account_reference", "date_of_birth")
# Per detail, the values a record holds: each value one field, or several joined in order (street, postcode).
Spec: TypeAlias = tuple[tuple[str, ...], ...]
# Which fields of a system's records hold which detail: per table (or module), per detail.
DetailMap: TypeAlias = Mapping[str, Mapping[Detail, Spec]]

PlannedAction: TypeAlias = Literal["delete", "anonymise", "keep"]
# What happened to one record. "already ..." is a re-run finding the work done (a crash after the commit).
Done: TypeAlias = Literal[
    "deleted", "already deleted", "anonymised", "already anonymised", "kept", "rectified", "already correct",
    "restricted", "already restricted", "unrestricted", "already unrestricted", "opted out", "already opted out",
]  # fmt: skip


class ConnectorError(Exception):
    """Something a DPO or operator can act on, in plain words.

    Never holds personal data, SQL, parameters or a password: only our own words, table and column names, the
    account's user name and a database error code. `transient` errors (a server that is down or busy, a timeout)
    are worth retrying with backoff; the others need a person.
    """

    def __init__(self, message: str, *, transient: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.transient = transient


class DatasetError(ConnectorError):
    """The dataset description is wrong: every problem found, each naming the table, column or field at fault."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("The dataset description has problems: " + "; ".join(problems))


@dataclass(frozen=True)
class Subject:
    """The identifiers we hold for the person, email first."""

    email: str
    phone: str = ""
    account_ids: tuple[str, ...] = ()


@dataclass(frozen=True, order=True)
class RecordRef:
    """One record by its table and primary key: no personal values."""

    table: str
    key: Key

    def to_json(self) -> list[Any]:
        return [self.table, list(self.key)]

    @classmethod
    def from_json(cls, data: list[Any]) -> RecordRef:
        return cls(str(data[0]), tuple(data[1]))


@dataclass(frozen=True)
class ConnectionCheck:
    """What `test()` found: a sentence for the admin, and whether erasure and correction can run."""

    message: str
    can_write: bool


@dataclass(frozen=True)
class Found:
    """The person's records in one system, in the order the system reported them."""

    refs: tuple[RecordRef, ...]

    def by_table(self) -> dict[str, list[Key]]:
        tables: dict[str, list[Key]] = {}
        for ref in self.refs:
            tables.setdefault(ref.table, []).append(ref.key)
        return tables

    def counts(self) -> dict[str, int]:
        return dict(Counter(ref.table for ref in self.refs))

    def to_json(self) -> dict[str, Any]:
        return {"refs": [ref.to_json() for ref in self.refs]}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Found:
        return cls(tuple(RecordRef.from_json(item) for item in data["refs"]))


@dataclass(frozen=True)
class Export:
    """The person's data: per table, its column names and the rows as JSON-safe dicts (dates in ISO 8601,
    decimals as strings, bytes in base64)."""

    columns: Mapping[str, tuple[str, ...]]
    rows: Mapping[str, list[dict[str, Scalar]]]

    def counts(self) -> dict[str, int]:
        return {table: len(rows) for table, rows in self.rows.items()}

    def as_csv(self, table: str) -> str:
        """One table as CSV, the columns in the database's order (what a packet's extract holds)."""
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=list(self.columns[table]))
        writer.writeheader()
        writer.writerows(self.rows[table])
        return out.getvalue()

    def to_json(self) -> dict[str, Any]:
        return {"columns": {t: list(c) for t, c in self.columns.items()}, "rows": dict(self.rows)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Export:
        return cls({t: tuple(c) for t, c in data["columns"].items()}, dict(data["rows"]))


@dataclass(frozen=True)
class Step:
    """What the erasure will do to one record: delete it, anonymise the named columns, or keep it on a ground.

    `kept` names the columns an anonymised record keeps and the ground for each; `reason` says why the action
    differs from the table's own rule (a record kept records still refer to is anonymised, not deleted).
    """

    ref: RecordRef
    action: PlannedAction
    nulled: tuple[str, ...] = ()
    masked: tuple[str, ...] = ()
    kept: tuple[tuple[str, str], ...] = ()
    ground: str = ""
    reason: str = ""

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"ref": self.ref.to_json(), "action": self.action}
        for name in ("nulled", "masked"):
            if getattr(self, name):
                data[name] = list(getattr(self, name))
        if self.kept:
            data["kept"] = [list(pair) for pair in self.kept]
        if self.ground:
            data["ground"] = self.ground
        if self.reason:
            data["reason"] = self.reason
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Step:
        return cls(
            ref=RecordRef.from_json(data["ref"]), action=data["action"], nulled=tuple(data.get("nulled", ())),
            masked=tuple(data.get("masked", ())), kept=tuple((c, g) for c, g in data.get("kept", ())),
            ground=data.get("ground", ""), reason=data.get("reason", ""),
        )  # fmt: skip


@dataclass(frozen=True)
class ErasurePlan:
    """The dry run: every step in the order it will run (children before the rows they refer to).

    `dataset` is a digest of the dataset description the plan was made with: a plan made under other rules is
    refused, so what the DPO approved is what runs.
    """

    dataset: str
    steps: tuple[Step, ...]

    def counts(self) -> dict[str, int]:
        return dict(Counter(step.action for step in self.steps))

    def summary(self, separator: str = "; ") -> str:
        """'delete 3, anonymise 1, keep 4 (ground: ...)', per table (tables joined by `separator`)."""
        return _summary(((s.ref.table, s.action, s.ground) for s in self.steps), separator)

    def to_json(self) -> dict[str, Any]:
        return {"dataset": self.dataset, "steps": [step.to_json() for step in self.steps]}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ErasurePlan:
        return cls(str(data["dataset"]), tuple(Step.from_json(item) for item in data["steps"]))


@dataclass(frozen=True)
class Outcome:
    """What was done to one record, and why (the ground for a kept record, the columns changed)."""

    ref: RecordRef
    action: Done
    reason: str = ""

    def to_json(self) -> list[Any]:
        return [self.ref.to_json(), self.action, self.reason]

    @classmethod
    def from_json(cls, data: list[Any]) -> Outcome:
        return cls(RecordRef.from_json(data[0]), data[1], data[2])


@dataclass(frozen=True)
class Result:
    """Per record what an action did, kept and why: the system's part of the completion letter."""

    action: str
    outcomes: tuple[Outcome, ...]

    def counts(self) -> dict[str, int]:
        """Per outcome, how many records: what an audit event records (counts, never values)."""
        return dict(Counter(outcome.action for outcome in self.outcomes))

    def summary(self, separator: str = "; ") -> str:
        """'customers: anonymised 1; invoices: kept 4 (ground: tax law); orders: deleted 3', in plain words."""
        return _summary(
            ((o.ref.table, o.action, o.reason if o.action == "kept" else "") for o in self.outcomes),
            separator,
        )

    def to_json(self) -> dict[str, Any]:
        return {"action": self.action, "outcomes": [outcome.to_json() for outcome in self.outcomes]}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Result:
        return cls(str(data["action"]), tuple(Outcome.from_json(item) for item in data["outcomes"]))


def _summary(items: Iterable[tuple[str, str, str]], separator: str = "; ") -> str:
    tables: dict[str, Counter[tuple[str, str]]] = {}
    for table, action, ground in items:
        tables.setdefault(table, Counter())[(action, ground)] += 1
    parts = []
    for table in sorted(tables):
        counted = ", ".join(
            f"{action} {n}" + (f" (ground: {ground})" if ground else "")
            for (action, ground), n in sorted(tables[table].items())
        )
        parts.append(f"{table}: {counted}")
    return separator.join(parts) or "no records"


def rectify_targets(
    field: str, allowed: set[tuple[str, str]], *, allows: str, remedy: str
) -> list[tuple[str, str]]:
    """Where a correction of `field` goes: `table.column` (a module's field), or a bare name meaning every table
    whose corrections may change it; a plain refusal naming what is allowed otherwise."""
    if "." in field:
        name, _, column = field.partition(".")
        targets = [(name, column)] if (name, column) in allowed else []
    else:
        targets = sorted(pair for pair in allowed if pair[1] == field)
    if not targets:
        permitted = ", ".join(f"{n}.{c}" for n, c in sorted(allowed)) or "none"
        raise ConnectorError(
            f"'{field}' may not be corrected through this connector ({allows}: {permitted}); {remedy}."
        )
    return targets


class Connector(Protocol):
    """One company system. Every method raises ConnectorError (and only that) when the system says no."""

    kind: str
    capabilities: frozenset[str]
    # Which fields hold the details a requester may give ("compare" needs at least one table in it).
    detail_fields: DetailMap

    def test(self) -> ConnectionCheck:
        """Connect, check the dataset against the system, and say whether erasure and correction can run."""
        ...

    def find(self, subject: Subject) -> Found:
        """The person's records: matched on their identifiers, then every record that belongs to those."""
        ...

    def export(self, found: Found) -> Export:
        """Every column of every found record that still exists."""
        ...

    def plan_erasure(self, found: Found) -> ErasurePlan:
        """The dry run: what erasure would do to each record. Changes nothing."""
        ...

    def erase(self, plan: ErasurePlan) -> Result:
        """Carry out an approved plan in one transaction; a re-run reports work already done as such."""
        ...

    def rectify(self, found: Found, changes: Mapping[str, str]) -> Result:
        """Set columns the dataset lets a correction change (`{"table.column" or "column": new value}`)."""
        ...

    def restrict(self, found: Found) -> Result:
        """Mark the records as restricted (processing stopped), where the dataset says how."""
        ...

    def unrestrict(self, found: Found) -> Result:
        """Lift a restriction."""
        ...

    def opt_out(self, found: Found) -> Result:
        """Stop marketing, sale or sharing, where the dataset says how."""
        ...

    def close(self) -> None:
        """Let go of connections."""
        ...
