"""A shop's database, as a company might run it: the SQL connector's worked example.

Customers, their orders and order lines, invoices kept for the tax office, newsletter subscribers (some of them
never customers) and support tickets with free text. Used by the tests, the benchmark (`populate_bulk`: a
million rows) and the demo (`populate_people`: seed_demo's requesters); docs/connectors.md walks through DATASET.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

TAX_GROUND = "Invoices are kept for 6 years under tax law (HGB §257, AO §147)"

DATASET = f"""\
tables:
  customers:
    identify:
      email: email
      phone: phone
      account_id: account_no
    erase: delete
    # A customer whose orders or tickets stay (below) is anonymised instead of deleted: these say how.
    columns:
      name: mask
      email: mask
      account_no: mask
      phone: null
      address: null
      birth_date: null
    rectify: [name, email, phone, address, birth_date]
    restrict: {{column: processing_restricted, value: true}}
    # What a requester's details are compared with while their identity is checked.
    details:
      phone: phone
      postal_address: address
      account_reference: account_no
      date_of_birth: birth_date
  orders:
    # customers via customer_id: a declared foreign key, followed without being named
    erase: anonymise
    columns:
      shipping_address: null
      delivery_notes: null
      total: {{keep: "{TAX_GROUND}"}}
    details: {{postal_address: shipping_address}}
  order_lines:
    erase: delete
  invoices:
    erase: keep
    ground: "{TAX_GROUND}"
    details: {{postal_address: billing_address}}
  newsletter_subscribers:
    identify:
      email: email
    erase: delete
    rectify: [email]
    opt_out: {{column: subscribed, value: false}}
  support_tickets:
    identify:
      email: contact_email
    parent: customers via customer_id
    erase: anonymise
    columns:
      contact_email: null
      subject: mask
      body: mask
      attachment: null
"""

# For a database that declares no foreign keys: the same rules with every relation named.
PARENTS = {
    "orders": "customers via customer_id",
    "order_lines": "orders via order_id",
    "invoices": "orders via order_id",
}


def dataset(*, declared_parents: bool = False) -> str:
    """DATASET, or with `declared_parents` every relation written out (for a schema without foreign keys)."""
    if not declared_parents:
        return DATASET
    text = DATASET
    for table, parent in PARENTS.items():
        text = text.replace(f"  {table}:\n", f"  {table}:\n    parent: {parent}\n", 1)
    return text


def metadata(*, foreign_keys: bool = True) -> sa.MetaData:
    """The shop's tables; without `foreign_keys` the references are plain integer columns."""

    def ref(target: str) -> list[Any]:
        return [sa.ForeignKey(target)] if foreign_keys else []

    meta = sa.MetaData()
    sa.Table(
        "customers", meta,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("email", sa.String(254), nullable=False, unique=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("phone", sa.String(40)),
        sa.Column("account_no", sa.String(20), nullable=False, unique=True),
        sa.Column("address", sa.Text),
        sa.Column("birth_date", sa.Date),
        sa.Column("processing_restricted", sa.Boolean, nullable=False, default=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )  # fmt: skip
    sa.Table(
        "orders", meta,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("customer_id", sa.Integer, *ref("customers.id"), nullable=False, index=True),
        sa.Column("placed_at", sa.DateTime, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("total", sa.Numeric(10, 2), nullable=False),
        sa.Column("shipping_address", sa.Text),
        sa.Column("delivery_notes", sa.Text),
    )  # fmt: skip
    sa.Table(
        "order_lines", meta,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("order_id", sa.Integer, *ref("orders.id"), nullable=False, index=True),
        sa.Column("product", sa.String(200), nullable=False),
        sa.Column("quantity", sa.Integer, nullable=False),
        sa.Column("unit_price", sa.Numeric(10, 2), nullable=False),
    )  # fmt: skip
    sa.Table(
        "invoices", meta,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("order_id", sa.Integer, *ref("orders.id"), nullable=False, index=True),
        sa.Column("number", sa.String(30), nullable=False, unique=True),
        sa.Column("issued_on", sa.Date, nullable=False),
        sa.Column("amount", sa.Numeric(10, 2), nullable=False),
        sa.Column("billing_name", sa.String(200), nullable=False),
        sa.Column("billing_address", sa.Text, nullable=False),
    )  # fmt: skip
    sa.Table(
        "newsletter_subscribers", meta,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("subscribed", sa.Boolean, nullable=False),
        sa.Column("subscribed_at", sa.DateTime, nullable=False),
    )  # fmt: skip
    sa.Table(
        "support_tickets", meta,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("customer_id", sa.Integer, *ref("customers.id"), index=True),
        sa.Column("contact_email", sa.String(254)),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("attachment", sa.LargeBinary),
        sa.Column("opened_at", sa.DateTime, nullable=False),
    )  # fmt: skip
    return meta


# The shop stores naive timestamps in UTC, as many applications do.
START = datetime(2024, 1, 1, 9, 0)  # noqa: DTZ001


def populate_example(conn: Connection, meta: sa.MetaData) -> None:
    """A few people: Ada (customer, orders, an invoice, newsletter, tickets, one sent from a guest address),
    Bob with look-alike addresses (never Ada's), Cy (a customer with nothing else), Dee (newsletter only)."""
    t = meta.tables
    conn.execute(t["customers"].insert(), [
        _customer(1, "Ada.Lovelace@Example.org", "Ada Lovelace", "+44 20 7946 0001", "A-1001",
                  "12 St James's Square, London", date(1815, 12, 10)),
        _customer(2, "ada.lovelace@example.org.uk", "Bob Babbage", "+44 20 7946 0002", "A-1002",
                  "1 Dorset Street, London", None),
        _customer(3, "cy@example.net", "Cy Young", None, "A-1003", None, None),
        _customer(4, "adа.lovelace@example.org", "Bob Look-alike", "+44 20 7946 0004", "A-1004", None, None),
    ])  # fmt: skip
    conn.execute(t["orders"].insert(), [
        _order(10, 1, "49.90", "12 St James's Square, London", "Leave with the porter"),
        _order(11, 1, "15.00", "12 St James's Square, London", None),
        _order(20, 2, "99.00", "1 Dorset Street, London", None),
    ])  # fmt: skip
    conn.execute(t["order_lines"].insert(), [
        _line(100, 10, "Difference Engine manual", 1, "29.90"), _line(101, 10, "Punched cards (100)", 2, "10.00"),
        _line(110, 11, "Notes on the Analytical Engine", 1, "15.00"), _line(200, 20, "Brass gears", 9, "11.00"),
    ])  # fmt: skip
    conn.execute(t["invoices"].insert(), [
        _invoice(1000, 10, "INV-2024-1000", "49.90", "Ada Lovelace", "12 St James's Square, London"),
        _invoice(2000, 20, "INV-2024-2000", "99.00", "Bob Babbage", "1 Dorset Street, London"),
    ])  # fmt: skip
    conn.execute(t["newsletter_subscribers"].insert(), [
        _subscriber(1, " ADA.LOVELACE@EXAMPLE.ORG "), _subscriber(2, "ada.lovelace@example.org.uk"),
        _subscriber(3, "dee@example.com"),
    ])  # fmt: skip
    conn.execute(t["support_tickets"].insert(), [
        _ticket(1, 1, None, "Late delivery", "Hello, this is Ada Lovelace; my order has not arrived.", b"\x89PNG"),
        _ticket(2, None, " ada.lovelace@EXAMPLE.org", "Question", "Do you ship to Ockham Park? Ada"),
        _ticket(3, 2, None, "Refund", "Bob here, please refund order 20."),
        _ticket(4, None, "adа.lovelace@example.org", "Hi", "Look-alike address, not Ada."),
    ])  # fmt: skip


def populate_people(
    conn: Connection, meta: sa.MetaData, people: Sequence[tuple[str, str]], *, on: datetime = START
) -> None:
    """More customers beside the example's (ids from 101; the demo's requesters): each with an order of one
    line, its invoice, a newsletter subscription and a support ticket, so access finds six tables and erasure
    deletes, anonymises and keeps. Their records are dated `on` (the demo: recent, so that an access request's
    period covers them)."""
    t = meta.tables
    rows: dict[str, list[dict[str, Any]]] = {name: [] for name in t}
    for n, (name, email) in enumerate(people, start=101):
        address = f"{n} Demo Street"
        rows["customers"].append(_customer(n, email, name, None, f"D-{n}", address, None))
        rows["orders"].append(_order(n, n, "25.00", address, None))
        rows["order_lines"].append(_line(200 + n, n, "Gift card", 1, "25.00"))  # the example's end at 200
        rows["invoices"].append(_invoice(2000 + n, n, f"INV-2024-D{n}", "25.00", name, address))
        rows["newsletter_subscribers"].append(_subscriber(n, email))
        rows["support_tickets"].append(_ticket(n, n, None, "My order", f"Hello, this is {name}."))
    dated = {"created_at": on, "placed_at": on, "issued_on": on.date(), "subscribed_at": on, "opened_at": on}
    for table in meta.sorted_tables:  # parents before children
        if rows[table.name]:
            conn.execute(
                table.insert(),
                [{**row, **{k: v for k, v in dated.items() if k in row}} for row in rows[table.name]],
            )


def populate_bulk(conn: Connection, meta: sa.MetaData, *, total_rows: int, subject_rows: int) -> int:
    """`total_rows` rows, of which `subject_rows` belong to customer 1 (subject@example.org); returns the rows
    written. Everyone else has one customer row, 2 orders, 5 order lines, an invoice and, every other person,
    a ticket and a newsletter subscription (10 rows a person)."""
    t = meta.tables
    orders = subject_rows // 5
    lines = orders * 3
    invoices = orders // 2
    tickets = subject_rows - 2 - orders - lines - invoices
    people = (total_rows - subject_rows) // 10
    written = 0

    def insert(name: str, rows: Iterator[dict[str, Any]]) -> None:
        nonlocal written
        while batch := list(itertools.islice(rows, 5000)):
            conn.execute(t[name].insert(), batch)
            written += len(batch)

    subject = "subject@example.org"
    insert("customers", itertools.chain(
        [_customer(1, subject, "Sam Subject", "+44 20 7946 9999", "S-1", "1 Main Street", date(1980, 1, 1))],
        (_customer(p, f"person{p}@example.org", f"Person {p}", f"+44 20 {p:08d}", f"P-{p}", f"{p} High Street", None)
         for p in range(2, people + 2)),
    ))  # fmt: skip
    # Ids: the subject's orders first, then two per other person.
    insert("orders", itertools.chain(
        (_order(o, 1, "19.99", "1 Main Street", "ring twice") for o in range(1, orders + 1)),
        (_order(orders + 2 * (p - 2) + i + 1, p, "9.99", f"{p} High Street", None)
         for p in range(2, people + 2) for i in range(2)),
    ))  # fmt: skip
    insert("order_lines", itertools.chain(
        (_line(n + 1, n // 3 + 1, "Widget", 1, "6.66") for n in range(lines)),
        (_line(lines + n + 1, orders + n * 2 // 5 + 1, "Gadget", 2, "1.99") for n in range(people * 5)),
    ))  # fmt: skip
    insert("invoices", itertools.chain(
        (_invoice(n + 1, 2 * n + 1, f"S-{n + 1}", "19.99", "Sam Subject", "1 Main Street") for n in range(invoices)),
        (_invoice(invoices + n + 1, orders + 2 * n + 1, f"P-{n + 1}", "9.99", f"Person {n + 2}", "High Street")
         for n in range(people)),
    ))  # fmt: skip
    insert("support_tickets", itertools.chain(
        (_ticket(n + 1, 1, None, "Question", f"Sam Subject asks question {n}.") for n in range(tickets)),
        (_ticket(tickets + n + 1, 2 * n + 2, None, "Question", f"Person {2 * n + 2} asks.") for n in range(people // 2)),
    ))  # fmt: skip
    insert("newsletter_subscribers", itertools.chain(
        [_subscriber(1, subject)],
        (_subscriber(n + 2, f"person{2 * n + 3}@example.org") for n in range(people - people // 2)),
    ))  # fmt: skip
    return written


def _customer(
    id: int, email: str, name: str, phone: str | None, account: str, address: str | None, born: date | None
) -> dict[str, Any]:
    return {"id": id, "email": email, "name": name, "phone": phone, "account_no": account, "address": address,
            "birth_date": born, "processing_restricted": False, "created_at": START}  # fmt: skip


def _order(id: int, customer: int, total: str, address: str, notes: str | None) -> dict[str, Any]:
    return {"id": id, "customer_id": customer, "placed_at": START + timedelta(days=id % 300), "status": "delivered",
            "total": Decimal(total), "shipping_address": address, "delivery_notes": notes}  # fmt: skip


def _line(id: int, order: int, product: str, quantity: int, price: str) -> dict[str, Any]:
    return {
        "id": id,
        "order_id": order,
        "product": product,
        "quantity": quantity,
        "unit_price": Decimal(price),
    }


def _invoice(id: int, order: int, number: str, amount: str, name: str, address: str) -> dict[str, Any]:
    return {"id": id, "order_id": order, "number": number, "issued_on": date(2024, 3, 1), "amount": Decimal(amount),
            "billing_name": name, "billing_address": address}  # fmt: skip


def _subscriber(id: int, email: str) -> dict[str, Any]:
    return {"id": id, "email": email, "subscribed": True, "subscribed_at": START}


def _ticket(
    id: int, customer: int | None, email: str | None, subject: str, body: str, attachment: bytes | None = None
) -> dict[str, Any]:
    return {"id": id, "customer_id": customer, "contact_email": email, "subject": subject, "body": body,
            "attachment": attachment, "opened_at": START + timedelta(days=id % 200)}  # fmt: skip
