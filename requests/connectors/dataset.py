"""The dataset description of a SQL system: which tables hold people's data and what erasure does to them.

Written by a DPO in YAML (or JSON), validated on save with `parse()` and against the live database with
`Dataset.check_against()`; docs/connectors.md is the reference, `requests/connectors/sample.py` a worked example.

    tables:
      customers:
        identify: {email: email, phone: phone, account_id: account_no}
        erase: delete                 # delete | anonymise | keep (with ground)
        columns: {name: mask, email: mask, phone: null, address: null}   # when a row must be anonymised
        rectify: [name, email, phone, address]
        restrict: {column: processing_restricted, value: true}
        details: {phone: phone, postal_address: address, account_reference: account_no}   # compared, never changed
      orders:
        parent: customers via customer_id     # declared foreign keys are followed without this
        erase: anonymise
        columns: {shipping_address: null, total: {keep: "Tax law: 10 years"}}
      invoices:
        erase: keep
        ground: "Invoices are kept 6 years (tax law)"

Every error names the table, column or field at fault, never a value from the database.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Literal, TypeAlias, cast

import yaml

from requests.connectors.base import DatasetError, Detail, DetailMap, Scalar, Spec
from requests.connectors.compare import detail_columns, parse_details, spec_to_json

IdentifierKind: TypeAlias = Literal["email", "phone", "account_id"]
RowStrategy: TypeAlias = Literal["delete", "anonymise", "keep"]
ColumnStrategy: TypeAlias = Literal["null", "mask", "keep"]
IDENTIFIER_KINDS: tuple[IdentifierKind, ...] = ("email", "phone", "account_id")
ROW_STRATEGIES: tuple[RowStrategy, ...] = ("delete", "anonymise", "keep")
TABLE_FIELDS = (
    "primary_key",
    "identify",
    "parent",
    "erase",
    "ground",
    "columns",
    "rectify",
    "restrict",
    "opt_out",
    "details",
)
# Column kinds as `check_against` sees them (the connector maps its database's types onto these).
TEXT = "text"


@dataclass(frozen=True)
class ColumnRule:
    """What anonymising a row does to one column: set it null, mask it, or keep it on a legal ground."""

    strategy: ColumnStrategy
    ground: str = ""


@dataclass(frozen=True)
class Relation:
    """Rows of this table belong to the person when `column` holds a key of a found row of `parent`."""

    column: str
    parent: str
    references: str = ""  # the parent's column; "" until resolved: its primary key
    declared: bool = True  # False: followed because the database declares the foreign key


@dataclass(frozen=True)
class Flag:
    """A column that records a choice: restriction of processing, an opt-out."""

    column: str
    value: Scalar
    undo: Scalar = None


@dataclass(frozen=True)
class TableRule:
    name: str
    primary_key: tuple[str, ...] = ()  # () until resolved: reflected
    identify: Mapping[IdentifierKind, tuple[str, ...]] | None = None
    parents: tuple[Relation, ...] | None = None  # None: every declared foreign key to a described table
    erase: RowStrategy = "delete"
    ground: str = ""
    columns: Mapping[str, ColumnRule] | None = None
    rectify: tuple[str, ...] = ()
    restrict: Flag | None = None
    opt_out: Flag | None = None
    # Which columns hold the details a requester may give, for comparing them (requests/connectors/compare.py).
    details: Mapping[Detail, Spec] | None = None

    def identifying_columns(self) -> tuple[str, ...]:
        return tuple(c for cols in (self.identify or {}).values() for c in cols)

    def can_anonymise(self) -> bool:
        """Whether every identifying column has a rule, so that anonymising leaves nothing that identifies."""
        rules = self.columns or {}
        return bool(rules) and all(c in rules for c in self.identifying_columns())


@dataclass(frozen=True)
class ColumnInfo:
    name: str
    kind: str  # text, integer, number, boolean, date, datetime, binary, other
    nullable: bool
    length: int | None = None


@dataclass(frozen=True)
class ForeignKey:
    columns: tuple[str, ...]
    table: str
    references: tuple[str, ...]


@dataclass(frozen=True)
class TableInfo:
    name: str
    columns: Mapping[str, ColumnInfo]
    primary_key: tuple[str, ...]
    foreign_keys: tuple[ForeignKey, ...] = ()


@dataclass(frozen=True)
class Schema:
    """What the database says it holds: the connector reflects it, `check_against` compares."""

    tables: Mapping[str, TableInfo]


@dataclass(frozen=True)
class Dataset:
    tables: Mapping[str, TableRule]

    def digest(self) -> str:
        """Names the rules as written: a plan made under other rules is refused. Which columns are compared
        with a requester's details has nothing to do with erasure: mapping them does not void a plan."""
        rules = self.to_json()
        for table in rules["tables"].values():
            table.pop("details", None)
        text = json.dumps(rules, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def detail_fields(self) -> DetailMap:
        """Per table, the columns that hold each detail (tables without `details` are left out)."""
        return {name: rule.details for name, rule in self.tables.items() if rule.details}

    def to_json(self) -> dict[str, Any]:
        return {"tables": {name: _table_json(rule) for name, rule in self.tables.items()}}

    def check_against(self, schema: Schema) -> Dataset:
        """The rules with primary keys and followed foreign keys filled in from the database; DatasetError
        listing every table or column the database does not have, and every rule it makes impossible."""
        problems: list[str] = []
        resolved: dict[str, TableRule] = {}
        for name, rule in self.tables.items():
            info = schema.tables.get(name)
            if info is None:
                problems.append(f"table '{name}' is not in the database")
                continue
            resolved[name] = _resolve(rule, info, self, schema, problems)
        for name, rule in resolved.items():
            _check_columns(rule, schema.tables[name], problems)
        if not problems:
            _check_graph(resolved, schema, problems)
        if problems:
            raise DatasetError(problems)
        return Dataset(resolved)


def parse(text: str) -> Dataset:
    """A dataset description from YAML or JSON text (JSON when it starts with `{`)."""
    try:
        data = json.loads(text) if text.lstrip().startswith("{") else yaml.safe_load(text)
    except json.JSONDecodeError as exc:
        raise DatasetError([f"not valid JSON (line {exc.lineno}, column {exc.colno}): {exc.msg}"]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        raise DatasetError([f"not valid YAML{where}"]) from None
    return from_data(data)


def from_data(data: Any) -> Dataset:
    problems: list[str] = []
    if not isinstance(data, dict) or not isinstance(data.get("tables"), dict) or not data["tables"]:
        raise DatasetError(["the description needs a 'tables:' section naming at least one table"])
    if extra := sorted(set(data) - {"tables"}):
        problems.append(f"unknown field {', '.join(map(repr, extra))} at the top (only 'tables')")
    tables = {}
    for name, body in data["tables"].items():
        if not isinstance(body, dict):
            problems.append(f"tables.{name}: expected the table's fields (identify, erase, ...)")
            continue
        tables[str(name)] = _table(str(name), body, problems)
    for name, rule in tables.items():
        for relation in rule.parents or ():
            if relation.parent not in tables:
                problems.append(f"tables.{name}.parent: table '{relation.parent}' is not described")
    if not any(rule.identify for rule in tables.values()):
        problems.append("no table has 'identify': nothing would ever be found")
    if problems:
        raise DatasetError(problems)
    return Dataset(tables)


def _table(name: str, body: dict[str, Any], problems: list[str]) -> TableRule:
    where = f"tables.{name}"
    if unknown := sorted(set(body) - set(TABLE_FIELDS)):
        problems.append(
            f"{where}: unknown field {', '.join(map(repr, unknown))} (known: {', '.join(TABLE_FIELDS)})"
        )
    erase = body.get("erase", "delete")
    if erase not in ROW_STRATEGIES:
        problems.append(f"{where}.erase: '{erase}' is not one of {', '.join(ROW_STRATEGIES)}")
        erase = "delete"
    ground = _text(body.get("ground", ""), f"{where}.ground", problems)
    if erase == "keep" and not ground:
        problems.append(f"{where}: 'erase: keep' needs a 'ground' (the legal reason the rows are kept)")
    return TableRule(
        name=name,
        primary_key=_names(body.get("primary_key", []), f"{where}.primary_key", problems),
        identify=_identify(body.get("identify"), f"{where}.identify", problems),
        parents=_parents(body["parent"], f"{where}.parent", problems) if "parent" in body else None,
        erase=cast(RowStrategy, erase),
        ground=ground,
        columns=_columns(body.get("columns"), f"{where}.columns", problems),
        rectify=_names(body.get("rectify", []), f"{where}.rectify", problems),
        restrict=_flag(body.get("restrict"), f"{where}.restrict", problems, needs_undo=True),
        opt_out=_flag(body.get("opt_out"), f"{where}.opt_out", problems, needs_undo=False),
        details=parse_details(body.get("details"), f"{where}.details", problems),
    )


def _text(value: Any, where: str, problems: list[str]) -> str:
    if not isinstance(value, str):
        problems.append(f"{where}: expected text")
        return ""
    return value.strip()


def _names(value: Any, where: str, problems: list[str]) -> tuple[str, ...]:
    """A column name or a list of them."""
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(item, str) and item for item in items):
        problems.append(f"{where}: expected a column name or a list of column names")
        return ()
    return tuple(items)


def _identify(value: Any, where: str, problems: list[str]) -> dict[IdentifierKind, tuple[str, ...]] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        problems.append(
            f"{where}: expected kinds and their columns, e.g. {{email: email, phone: [phone, mobile]}}"
        )
        return None
    found: dict[IdentifierKind, tuple[str, ...]] = {}
    for kind, columns in value.items():
        if kind not in IDENTIFIER_KINDS:
            problems.append(f"{where}: '{kind}' is not one of {', '.join(IDENTIFIER_KINDS)}")
            continue
        found[cast(IdentifierKind, kind)] = _names(columns, f"{where}.{kind}", problems)
    return found


def _parents(value: Any, where: str, problems: list[str]) -> tuple[Relation, ...]:
    """`customers via customer_id`, `{table: customers, column: customer_id, references: id}`, a list of
    those, or `none` / `[]` (follow no foreign key)."""
    if value is None or value == "none":
        return ()
    items = value if isinstance(value, list) else [value]
    relations = []
    for item in items:
        if isinstance(item, str) and len(words := item.split()) == 3 and words[1] == "via":
            relations.append(Relation(column=words[2], parent=words[0]))
        elif isinstance(item, dict) and {"table", "column"} <= set(item) <= {"table", "column", "references"}:
            relations.append(Relation(column=str(item["column"]), parent=str(item["table"]),
                                      references=str(item.get("references", ""))))  # fmt: skip
        else:
            problems.append(f"{where}: expected 'TABLE via COLUMN' (e.g. 'customers via customer_id')")
    return tuple(relations)


def _columns(value: Any, where: str, problems: list[str]) -> dict[str, ColumnRule] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        problems.append(f"{where}: expected columns and their rules, e.g. {{phone: null, name: mask}}")
        return None
    rules: dict[str, ColumnRule] = {}
    for column, rule in value.items():
        # YAML and JSON both read a bare `null` as None: "set it null" is what the DPO wrote.
        if rule is None or rule in ("null", "mask"):
            rules[str(column)] = ColumnRule("mask" if rule == "mask" else "null")
        elif (
            isinstance(rule, dict)
            and set(rule) == {"keep"}
            and isinstance(rule["keep"], str)
            and rule["keep"]
        ):
            rules[str(column)] = ColumnRule("keep", rule["keep"].strip())
        elif rule == "keep":
            problems.append(f'{where}.{column}: keep needs a legal ground: {column}: {{keep: "the ground"}}')
        else:
            problems.append(f'{where}.{column}: expected null, mask or {{keep: "the ground"}}')
    return rules


def _flag(value: Any, where: str, problems: list[str], *, needs_undo: bool) -> Flag | None:
    if value is None:
        return None
    scalars = (str, int, float, bool)
    if (
        not isinstance(value, dict)
        or not isinstance(value.get("column"), str)
        or not isinstance(value.get("value"), scalars)
        or not set(value) <= {"column", "value", "undo"}
    ):
        problems.append(
            f"{where}: expected {{column: NAME, value: VALUE}} (and 'undo: VALUE' unless it is true/false)"
        )
        return None
    undo = value.get("undo")
    if undo is None and isinstance(value["value"], bool):
        undo = not value["value"]
    if needs_undo and not isinstance(undo, scalars):
        problems.append(f"{where}: 'undo' is needed to lift it (the value the column goes back to)")
    return Flag(value["column"], value["value"], undo)


def _table_json(rule: TableRule) -> dict[str, Any]:
    data: dict[str, Any] = {"erase": rule.erase}
    if rule.primary_key:
        data["primary_key"] = list(rule.primary_key)
    if rule.identify is not None:
        data["identify"] = {kind: list(cols) for kind, cols in rule.identify.items()}
    if rule.parents is not None:
        data["parent"] = [
            {"table": r.parent, "column": r.column, "references": r.references} for r in rule.parents
        ]
    if rule.ground:
        data["ground"] = rule.ground
    if rule.columns is not None:
        data["columns"] = {
            c: (r.strategy if r.strategy != "keep" else {"keep": r.ground}) for c, r in rule.columns.items()
        }
    if rule.rectify:
        data["rectify"] = list(rule.rectify)
    for name in ("restrict", "opt_out"):
        flag: Flag | None = getattr(rule, name)
        if flag is not None:
            data[name] = {"column": flag.column, "value": flag.value, "undo": flag.undo}
    if rule.details is not None:
        data["details"] = spec_to_json(rule.details)
    return data


def _resolve(
    rule: TableRule, info: TableInfo, dataset: Dataset, schema: Schema, problems: list[str]
) -> TableRule:
    """The primary key and the relations to follow, from the description or else from the database."""
    primary_key = rule.primary_key or info.primary_key
    if not primary_key:
        problems.append(
            f"table '{rule.name}' has no primary key in the database: name one with 'primary_key'"
        )
    if rule.parents is not None:
        parents = []
        for relation in rule.parents:
            parent = schema.tables.get(relation.parent)
            references = relation.references
            if parent is not None and not references:
                parent_key = dataset.tables[relation.parent].primary_key or parent.primary_key
                if len(parent_key) != 1:
                    problems.append(
                        f"tables.{rule.name}.parent: '{relation.parent}' has no single-column primary key: "
                        "name the column referred to with 'references'"
                    )
                    continue
                references = parent_key[0]
            if parent is not None and references not in parent.columns:
                problems.append(
                    f"tables.{rule.name}.parent: column '{relation.parent}.{references}' is not in the database"
                )
            parents.append(replace(relation, references=references))
    else:
        parents = [
            Relation(column=fk.columns[0], parent=fk.table, references=fk.references[0], declared=False)
            for fk in info.foreign_keys
            if fk.table in dataset.tables and fk.table != rule.name and len(fk.columns) == 1
        ]
    return replace(rule, primary_key=primary_key, parents=tuple(parents))


def _check_columns(rule: TableRule, info: TableInfo, problems: list[str]) -> None:
    where = f"tables.{rule.name}"
    named = [
        ("primary_key", rule.primary_key), ("identify", rule.identifying_columns()),
        ("parent", tuple(r.column for r in rule.parents or ())), ("columns", tuple(rule.columns or {})),
        ("rectify", rule.rectify),
        ("restrict", (rule.restrict.column,) if rule.restrict else ()),
        ("opt_out", (rule.opt_out.column,) if rule.opt_out else ()),
        ("details", detail_columns(rule.details or {})),
    ]  # fmt: skip
    missing = False
    for field_name, columns in named:
        for column in columns:
            if column not in info.columns:
                problems.append(f"{where}.{field_name}: column '{rule.name}.{column}' is not in the database")
                missing = True
    if missing:
        return
    for column, column_rule in (rule.columns or {}).items():
        col = info.columns[column]
        if column in rule.primary_key and column_rule.strategy != "keep":
            problems.append(f"{where}.columns.{column}: a primary key column cannot be nulled or masked")
        elif column_rule.strategy == "null" and not col.nullable:
            problems.append(f"{where}.columns.{column}: the column is NOT NULL in the database; use mask")
        elif column_rule.strategy == "mask" and col.kind != TEXT:
            problems.append(
                f"{where}.columns.{column}: mask works on text columns only ({col.kind}); use null"
            )
    for kind in ("email", "phone"):
        for column in (rule.identify or {}).get(kind, ()):
            if info.columns[column].kind != TEXT:
                problems.append(f"{where}.identify.{kind}: column '{column}' is not a text column")
    for column in rule.rectify:
        if column in rule.primary_key:
            problems.append(f"{where}.rectify: '{column}' is part of the primary key and cannot be corrected")
    if rule.erase == "anonymise" and not rule.can_anonymise():
        left = [c for c in rule.identifying_columns() if c not in (rule.columns or {})]
        detail = f"say what happens to {', '.join(left)}" if left else "name the columns to null or mask"
        problems.append(f"{where}: 'erase: anonymise' needs 'columns': {detail}")


def _check_graph(tables: Mapping[str, TableRule], schema: Schema, problems: list[str]) -> None:
    """Every table is reachable from a person, no table the description leaves out refers to one it describes
    (its rows would be missed by access and break or be cascaded away by erasure), and a table whose rows may
    be kept by their children can fall back to anonymising."""
    for name, rule in tables.items():
        if not rule.identify and not rule.parents:
            problems.append(
                f"tables.{name}: nothing leads to its rows: add 'identify', or a 'parent' (no foreign key is declared)"
            )
    for info in schema.tables.values():
        if info.name in tables:
            continue
        for fk in info.foreign_keys:
            if fk.table in tables:
                problems.append(
                    f"table '{info.name}' refers to '{fk.table}' ({', '.join(fk.columns)}) but is not described: "
                    "describe it (erase: delete, anonymise, or keep with a ground) so its rows are found and erased"
                )
    if cycle := _cycle(tables):
        problems.append(
            f"the parents form a loop ({' -> '.join(cycle)}): erasure could not order its deletes"
        )
        return
    # Rows that may stay: kept or anonymised by their table's rule, or referred to by rows that may stay.
    stays = {name for name, rule in tables.items() if rule.erase != "delete"}
    for name in reversed(order(tables)):
        if any(r.parent == name for child in stays for r in tables[child].parents or ()):
            stays.add(name)
    for name, rule in tables.items():
        if rule.erase != "delete" or name not in stays:
            continue
        holders = sorted(
            child
            for child in stays
            if any(r.parent == name for r in tables[child].parents or ()) and child != name
        )
        if holders and not rule.can_anonymise():
            problems.append(
                f"tables.{name}: rows that kept or anonymised rows of {', '.join(holders)} refer to cannot be "
                "deleted and must be anonymised instead: give 'columns' a rule for each identifying column"
            )


def order(tables: Mapping[str, TableRule]) -> list[str]:
    """The tables parents first (erasure deletes in the reverse order); tables in a loop come last."""
    done, looped = _ordered(tables)
    return done + looped


def _cycle(tables: Mapping[str, TableRule]) -> list[str]:
    """The tables in a loop of parents (a table that is its own parent is allowed), if any."""
    return _ordered(tables)[1]


def _ordered(tables: Mapping[str, TableRule]) -> tuple[list[str], list[str]]:
    done: list[str] = []
    pending = list(tables)
    while pending:
        ready = [
            name
            for name in pending
            if all(r.parent in done or r.parent == name for r in tables[name].parents or ())
        ]
        if not ready:
            break
        done += ready
        pending = [name for name in pending if name not in ready]
    return done, pending
