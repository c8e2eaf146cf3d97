"""A local Zoho CRM: the accounts server (OAuth 2.0 refresh-token grant) and the CRM v8 REST API, on 127.0.0.1.

Built from Zoho's published documentation (read, not copied); each handler names the page its shapes come from.
Where the documentation is silent, the comment says so and what this simulator does instead.

    sim = ZohoSim().start()                       # a real HTTP server on 127.0.0.1:<free port>
    sim.add("Leads", Email="ada@example.org", Last_Name="Lovelace")
    settings = {"accounts_url": sim.url, ...}     # the token response's api_domain points back at sim.url
    sim.fail_429_on = {5}                         # the 5th CRM call answers 429 with the rate-limit headers
    sim.expire_tokens()                           # every access token issued so far has now expired
    sim.stop()

Run alone (for a look with curl or a development portal; `make run` runs it so, for the demo's Zoho CRM):

    python -m tests.fakes.zoho --port 8765 --seed demo

and `GET /` (http://127.0.0.1:8765/ in a browser) shows its records, their opt-out flags and the Recycle Bin.
"""

from __future__ import annotations

import argparse
import itertools
import json
import re
import socket
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

CLIENT_ID = "1000.SIMCLIENTID0000000000000000000"
CLIENT_SECRET = "sim-client-secret-0000000000000000000000"
REFRESH_TOKEN = "1000.simrefresh0000000000000000.simrefresh0000000000000000"
# Every scope the connector may ask for (docs/zoho.md lists the least a right needs).
ALL_SCOPES = "ZohoCRM.org.READ ZohoCRM.modules.ALL ZohoCRM.settings.recycle_bin.READ ZohoCRM.settings.recycle_bin.DELETE"
READ_SCOPES = (
    "ZohoCRM.org.READ ZohoCRM.modules.leads.READ ZohoCRM.modules.contacts.READ ZohoCRM.modules.accounts.READ "
    "ZohoCRM.modules.deals.READ ZohoCRM.modules.notes.READ ZohoCRM.modules.attachments.READ"
)

# The standard modules' fields this simulator knows (Zoho's "Modules" and "Fields" metadata pages list the
# standard API names). Accounts and Deals have no standard email field; accounts often add one, as here. A deal's
# Contact_Name and Account_Name are lookups: {"name": ..., "id": <the related record's id>}.
FIELDS: dict[str, tuple[str, ...]] = {
    "Leads": ("First_Name", "Last_Name", "Company", "Email", "Secondary_Email", "Phone", "Mobile",
              "Lead_Source", "Lead_Status", "Email_Opt_Out", "Description", "Data_Processing_Basis",
              "Street", "City", "Zip_Code"),
    "Contacts": ("First_Name", "Last_Name", "Account_Name", "Email", "Secondary_Email", "Phone", "Mobile",
                 "Mailing_City", "Email_Opt_Out", "Description", "Data_Processing_Basis",
                 "Mailing_Street", "Mailing_Zip", "Date_of_Birth"),
    "Accounts": ("Account_Name", "Phone", "Website", "Billing_City", "Billing_Email", "Description",
                 "Billing_Street", "Billing_Code", "Account_Number"),
    "Deals": ("Deal_Name", "Stage", "Amount", "Closing_Date", "Contact_Name", "Account_Name", "Contact_Email",
              "Description"),
}  # fmt: skip
EMAIL_FIELDS = {"Email", "Secondary_Email", "Billing_Email", "Contact_Email"}
PHONE_FIELDS = {"Phone", "Mobile"}
# GDPR "Compliance Settings" apply to Leads, Contacts, Vendors and custom modules (v8 "GDPR Compliance" page).
COMPLIANCE_MODULES = {"Leads", "Contacts"}
SYSTEM_FIELDS = ("Owner", "Created_Time", "Modified_Time", "Created_By", "Modified_By")
LOOKUPS = {"Deals": {"Contact_Name", "Account_Name"}}
USER_LOOKUPS = {"Owner", "Created_By", "Modified_By"}
NOTE_FIELDS = ("Note_Title", "Note_Content", "Parent_Id", "Created_Time", "Modified_Time")
ATTACHMENT_FIELDS = ("File_Name", "Size", "Parent_Id", "Created_Time", "Modified_Time")
MAX_PER_PAGE = 200  # search and get records: "per_page ... maximum 200" (v8 "Search Records" / "Get Records")
MAX_IDS = 100  # update and delete: up to 100 records a call (v8 "Update Records" / "Delete Records")
SEARCH_LIMIT = 2000  # v8 "Search Records": only the first 2000 matches are reachable by page
MAX_CRITERIA = 10  # v8 "Search Records": "a maximum of 10 criteria (with same or different columns)"
# v8 "Search Records" lists more (greater_than, between...); these are what this simulator evaluates.
OPERATORS = {"equals", "not_equal", "starts_with", "in"}
LOOKUP_OPERATORS = {"equals", "not_equal", "in"}  # "Lookup: equals, not_equal, in"


class _Error(Exception):
    """A documented error body: {"code", "details", "message", "status": "error"} with its HTTP status."""

    def __init__(self, http: int, code: str, message: str, details: Mapping[str, Any] | None = None) -> None:
        super().__init__(code)
        self.http, self.body = http, {"code": code, "details": dict(details or {}), "message": message,
                                      "status": "error"}  # fmt: skip


@dataclass
class Token:
    scope: str
    expires_at: float


@dataclass
class Call:
    """One request as the simulator saw it: what the contract test and the benchmark read."""

    method: str
    path: str
    query: dict[str, str]
    body: Any
    status: int
    headers: dict[str, str] = field(default_factory=dict)


def _digits(value: str) -> str:
    return "".join(ch for ch in value if ch.isdigit())


def _granted(scopes: str, area: str, op: str) -> bool:
    """Whether a scope list grants `op` on `area` ("modules.leads", "settings.recycle_bin", "org"): the exact
    scope, ALL at that level, or the operation or ALL at a level above (v8 "OAuth Scopes": "ZohoCRM.modules.ALL",
    "ZohoCRM.modules.leads.READ", ...). Zoho compares scope names without regard to case."""
    have = {s.lower() for s in scopes.replace(",", " ").split()}
    parts = area.lower().split(".")
    for i in range(1, len(parts) + 1):
        prefix = "zohocrm." + ".".join(parts[:i])
        if f"{prefix}.all" in have or (i == len(parts) and f"{prefix}.{op.lower()}" in have):
            return True
        if i < len(parts) and parts[0] == "modules" and f"{prefix}.{op.lower()}" in have:
            return True  # ZohoCRM.modules.READ: that operation on every module
    return False


Record = Mapping[str, Any]
Test = Callable[[Record], bool]


def _criteria(text: str, fields: set[str], lookups: set[str]) -> Test:
    """A v8 "Search Records" `criteria`: `(field:operator:value)`, or such terms in parentheses joined by `and` or
    `or` ("((A:equals:x)and(B:starts_with:y))"), at most 10 terms; in a value, a backslash escapes `(`, `)`, `,`
    and itself. Documented behaviour kept here: `equals` on text behaves like "contains"; `in` takes
    comma-separated values and matches any; a lookup field is compared by the related record's id and takes
    equals, not_equal and in only. Not documented, so this simulator's choice: text is compared without regard
    to case, a lookup's `equals` is exact, and and/or mixed in one group without parentheses is refused."""
    count = 0

    def fail(why: str) -> _Error:
        return _Error(400, "INVALID_QUERY", f"invalid query formed: {why}", {"param": "criteria"})

    def group(i: int) -> tuple[Test, int]:
        if text[i : i + 1] != "(":
            raise fail("expected '('")
        if text[i + 1 : i + 2] != "(":
            end = i + 1
            while end < len(text) and text[end] != ")":
                end += 2 if text[end] == "\\" else 1
            if end >= len(text):
                raise fail("expected ')'")
            return term(text[i + 1 : end]), end + 1
        parts: list[Test] = []
        joins: set[str] = set()
        i += 1
        while True:
            part, i = group(i)
            parts.append(part)
            if text[i : i + 1] == ")":
                break
            join = next((j for j in ("and", "or") if text[i : i + len(j)].lower() == j), None)
            if join is None:
                raise fail("expected 'and' or 'or'")
            joins.add(join)
            i += len(join)
        if len(joins) > 1:
            raise fail("'and' and 'or' mixed in one group")
        if joins == {"or"}:
            return (lambda r: any(p(r) for p in parts)), i + 1
        return (lambda r: all(p(r) for p in parts)), i + 1

    def term(raw: str) -> Test:
        nonlocal count
        count += 1
        if count > MAX_CRITERIA:
            raise fail(f"more than {MAX_CRITERIA} criteria")
        field, _, rest = raw.partition(":")
        operator, _, value = rest.partition(":")
        if field not in fields:
            raise fail(f"unknown field {field}")
        lookup = field in lookups
        if operator not in (LOOKUP_OPERATORS if lookup else OPERATORS):
            raise fail(f"operator {operator} is not supported for {field}")
        raw_values = re.split(r"(?<!\\),", value) if operator == "in" else [value]
        wanted = [_unescape(v).lower() for v in raw_values]

        def test(record: Record) -> bool:
            current = record.get(field)
            if lookup:
                current = current.get("id") if isinstance(current, dict) else None
            have = "" if current is None else str(current).lower()
            if operator == "equals":
                return have == wanted[0] if lookup else wanted[0] in have
            if operator == "not_equal":
                return have != wanted[0]
            if operator == "starts_with":
                return have.startswith(wanted[0])
            return have in wanted

        return test

    if not text.startswith("("):  # one term may come without its parentheses (the page's own example)
        return term(text)
    test, end = group(0)
    if end != len(text):
        raise fail("text after the last ')'")
    return test


def _unescape(value: str) -> str:
    return re.sub(r"\\(.)", r"\1", value)


class ZohoSim:
    """State and behaviour; `start()` puts a server in front of it. Thread-safe: one lock around each request."""

    def __init__(
        self,
        *,
        scopes: str = ALL_SCOPES,
        token_ttl: float = 3600.0,
        privacy_settings: bool = False,
        clients: Mapping[str, str] | None = None,
        refresh_tokens: Iterable[str] = (REFRESH_TOKEN,),
    ) -> None:
        self.scopes = scopes
        self.token_ttl = token_ttl
        self.privacy_settings = privacy_settings
        self.clients = dict({CLIENT_ID: CLIENT_SECRET} if clients is None else clients)
        self.refresh_tokens = set(refresh_tokens)
        self.records: dict[str, dict[str, dict[str, Any]]] = {m: {} for m in FIELDS}
        self.notes: dict[str, dict[str, Any]] = {}
        self.attachments: dict[str, dict[str, Any]] = {}
        # id -> (module, record, its notes, its attachments): a plain delete moves a record here (60 days).
        self.recycle_bin: dict[
            str, tuple[str, dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]
        ] = {}
        self.tokens: dict[str, Token] = {}
        self.log: list[Call] = []
        self.credits = 0
        self.token_requests = 0
        self.fail_429_on: set[int] = (
            set()
        )  # CRM call numbers (1-based, counting every CRM call) that get a 429
        self.retry_after = 2  # seconds, in the 429's headers
        self.api_calls = 0
        # The account's allowance (v8 "API Limits": credits a day, by edition and licences): `credit_limit` credits
        # a window of `window` seconds; past it, 429 until the window resets. Set with `allowance()`; `advance()`
        # moves the clock on.
        self.credit_limit = 100000
        self.window = 86400.0
        self.window_used = 0
        self.clock_offset = 0.0
        self._window_end = time.time() + self.window
        self._counter = itertools.count(4876876000000100001)
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self.url = ""

    # --- set-up and switches ----------------------------------------------------------------------------

    def start(self, port: int = 0) -> ZohoSim:
        server = ThreadingHTTPServer(("127.0.0.1", port), _handler(self))
        server.daemon_threads = True
        self._server = server
        self.url = f"http://127.0.0.1:{server.server_address[1]}"
        threading.Thread(target=server.serve_forever, args=(0.05,), name="zoho-sim", daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> ZohoSim:
        return self.start() if self._server is None else self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def new_id(self) -> str:
        return str(next(self._counter))

    def add(self, module: str, **values: Any) -> str:
        """A record with these fields (the rest null), as the CRM would return it."""
        unknown = set(values) - set(FIELDS[module])
        assert not unknown, f"{module} has no fields {unknown}"
        record_id = self.new_id()
        record: dict[str, Any] = {"id": record_id, **{f: None for f in FIELDS[module]}, **values}
        if "Email_Opt_Out" in record and record["Email_Opt_Out"] is None:
            record["Email_Opt_Out"] = False
        record.update(Owner={"name": "Sim Admin", "id": "4876876000000000001"},
                      Created_Time="2026-01-05T10:00:00+01:00", Modified_Time="2026-01-05T10:00:00+01:00",
                      Created_By={"name": "Sim Admin", "id": "4876876000000000001"},
                      Modified_By={"name": "Sim Admin", "id": "4876876000000000001"})  # fmt: skip
        self.records[module][record_id] = record
        return record_id

    def add_note(self, module: str, parent: str, title: str, content: str) -> str:
        note_id = self.new_id()
        self.notes[note_id] = {"id": note_id, "Note_Title": title, "Note_Content": content,
                               "Parent_Id": {"module": {"api_name": module}, "id": parent},
                               "Created_Time": "2026-01-06T09:00:00+01:00",
                               "Modified_Time": "2026-01-06T09:00:00+01:00"}  # fmt: skip
        return note_id

    def add_attachment(self, module: str, parent: str, file_name: str, size: int) -> str:
        attachment_id = self.new_id()
        self.attachments[attachment_id] = {"id": attachment_id, "File_Name": file_name, "Size": str(size),
                                           "Parent_Id": {"module": {"api_name": module}, "id": parent},
                                           "Created_Time": "2026-01-06T09:00:00+01:00",
                                           "Modified_Time": "2026-01-06T09:00:00+01:00"}  # fmt: skip
        return attachment_id

    def expire_tokens(self) -> None:
        """Every access token issued so far expires now (what an hour's wait would do)."""
        with self._lock:
            for token in self.tokens.values():
                token.expires_at = 0.0

    def revoke(self, refresh_token: str = REFRESH_TOKEN) -> None:
        """The refresh token is revoked (or was deleted in the API console), its access tokens with it."""
        with self._lock:
            self.refresh_tokens.discard(refresh_token)
            self.tokens.clear()

    def allowance(self, credits: int, every: float, *, used: int = 0) -> None:
        """`credits` calls a window of `every` seconds, starting now with `used` of them gone."""
        with self._lock:
            self.credit_limit, self.window, self.window_used = credits, every, used
            self._window_end = self.now() + every

    def now(self) -> float:
        """The simulator's clock (epoch seconds): real time plus what `advance` added."""
        return time.time() + self.clock_offset

    def advance(self, seconds: float) -> None:
        """Time passes for the rate limit's window (what a connector's injected sleep can call instead of sleeping)."""
        with self._lock:
            self.clock_offset += seconds

    def calls(self, method: str = "", path_contains: str = "") -> list[Call]:
        return [c for c in self.log if (not method or c.method == method) and path_contains in c.path]

    def seed_demo(self) -> None:
        ada = self.add("Leads", First_Name="Ada", Last_Name="Lovelace", Company="Analytical Engines",
                       Email="ada@example.org", Phone="+44 20 7946 0018")  # fmt: skip
        self.add_note("Leads", ada, "Call back", "Asked about the difference engine.")
        self.add_attachment("Leads", ada, "brochure.pdf", 48213)
        contact = self.add("Contacts", First_Name="Ada", Last_Name="Lovelace", Email="ADA@example.org")
        self.add_note("Contacts", contact, "Met at a fair", "Interested in the analytical engine.")
        self.add("Accounts", Account_Name="Lovelace Household", Billing_Email="ada@example.org")
        self.add("Deals", Deal_Name="Engine parts", Stage="Qualification", Contact_Email="ada@example.org")
        # No email of its own: reached through its contact.
        self.add("Deals", Deal_Name="Service contract", Stage="Negotiation",
                 Contact_Name={"name": "Ada Lovelace", "id": contact})  # fmt: skip
        self.add("Leads", First_Name="Charles", Last_Name="Babbage", Email="charles@example.org")
        self._seed_demo_requesters()

    def _seed_demo_requesters(self) -> None:
        """The requesters of the portal's demo cases (requests/management/commands/seed_demo.py DEMO_CASES), each a
        Lead and a Contact, not opted out: an opt-out by one of them visibly sets Email_Opt_Out. Some have deals
        (through their contact only, as deals usually are), an account or a note."""
        people = [
            ("Olivia", "Bennett", "olivia@example.org", "+44 20 7946 0321", "London"),
            ("Lukas", "Schmidt", "lukas@example.de", "+49 30 901820", "Berlin"),
            ("Maria", "Gonzalez", "maria@example.com", "+1 415 555 0142", "San Francisco"),
            ("Иван", "Петров", "ivan@example.ru", "+7 495 123 4567", "Москва"),
            ("Ana", "Souza", "ana@example.com.br", "+55 11 5555 0199", "São Paulo"),
            ("Sam", "Carter", "sam@example.com", "+1 213 555 0188", "Los Angeles"),
        ]
        for first, last, email, phone, city in people:
            self.add("Leads", First_Name=first, Last_Name=last, Email=email, Phone=phone, Company=f"{last} & Co",
                     Lead_Source="Web Site", Lead_Status="Contacted", Email_Opt_Out=False)  # fmt: skip
            contact = self.add("Contacts", First_Name=first, Last_Name=last, Email=email, Mobile=phone,
                               Mailing_City=city, Email_Opt_Out=False)  # fmt: skip
            if email in ("olivia@example.org", "lukas@example.de", "sam@example.com"):
                self.add("Deals", Deal_Name=f"{last}: implementation project", Stage="Closed Won", Amount=4800,
                         Closing_Date="2026-03-31", Contact_Name={"name": f"{first} {last}", "id": contact})  # fmt: skip
            if email == "olivia@example.org":
                self.add(
                    "Accounts", Account_Name="Bennett Consulting", Billing_Email=email, Billing_City=city
                )
                self.add_note("Contacts", contact, "Kick-off call", "Wants the CRM migration done by spring.")

    def overview(self) -> dict[str, Any]:
        """What `GET /` shows someone watching the demo (no such page in Zoho): each module's records with their
        email and opt-out flag, what the Recycle Bin holds, and how many API calls were made."""
        summary = ("First_Name", "Last_Name", "Account_Name", "Deal_Name", "Email", "Billing_Email",
                   "Email_Opt_Out", "Data_Processing_Basis", "Contact_Name")  # fmt: skip
        return {
            "simulator": "Zoho CRM simulator (tests/fakes/zoho.py): not Zoho; state in memory, gone when it stops",
            "api_calls": self.api_calls,
            "records": {module: [{"id": i, **{f: r[f] for f in summary if r.get(f) is not None}}
                                 for i, r in records.items()] for module, records in self.records.items()},
            "recycle_bin": sorted(self.recycle_bin),
        }  # fmt: skip

    # --- accounts server ("Refresh Access Token" in Zoho's OAuth pages) -----------------------------------

    def token(self, params: Mapping[str, str]) -> tuple[int, dict[str, Any]]:
        """POST {accounts}/oauth/v2/token with grant_type=refresh_token, client_id, client_secret,
        refresh_token as query parameters (form fields accepted too). Zoho answers refusals with HTTP 200 and
        {"error": ...}: "invalid_client" for an unknown client or secret (what a wrong data centre's accounts
        server says: the client is registered in one data centre only), "invalid_code" for a refresh token that
        is wrong or revoked. The docs list the success keys; the error body's exact status is our reading."""
        self.token_requests += 1
        if params.get("grant_type") != "refresh_token":
            return 200, {"error": "unsupported_grant_type"}
        if self.clients.get(params.get("client_id", "")) != params.get("client_secret") or not params.get(
            "client_secret"
        ):
            return 200, {"error": "invalid_client"}
        if params.get("refresh_token") not in self.refresh_tokens:
            return 200, {"error": "invalid_code"}
        access = f"1000.{self.new_id()}.sim{len(self.tokens):08d}"
        self.tokens[access] = Token(self.scopes, time.monotonic() + self.token_ttl)
        return 200, {"access_token": access, "scope": self.scopes, "api_domain": self.url,
                     "token_type": "Bearer", "expires_in": int(self.token_ttl)}  # fmt: skip

    # --- the CRM API ------------------------------------------------------------------------------------

    def api(
        self, method: str, path: str, query: Mapping[str, str], body: Any, auth: str
    ) -> tuple[int, Any, dict[str, str]]:
        self.api_calls += 1
        now = self.now()
        if now >= self._window_end:
            self.window_used, self._window_end = 0, now + self.window
        exhausted = self.window_used >= self.credit_limit
        if self.api_calls in self.fail_429_on or exhausted:
            # v8 "API Limits": concurrency or credit limits exceeded answer 429 TOO_MANY_REQUESTS. The docs
            # do not promise a Retry-After header; this simulator sends one and the X-RATELIMIT-* headers.
            wait = max(1, int(self._window_end - now + 0.999)) if exhausted else self.retry_after
            headers = {"X-RATELIMIT-LIMIT": str(self.credit_limit), "X-RATELIMIT-REMAINING": "0",
                       "X-RATELIMIT-RESET": str(int((now + wait) * 1000)), "Retry-After": str(wait)}  # fmt: skip
            return 429, {"code": "TOO_MANY_REQUESTS", "details": {},
                         "message": "The API request limit has been exceeded", "status": "error"}, headers  # fmt: skip
        try:
            scopes = self._authorise(auth)
            self.credits += 1  # v8 "API Limits": one credit a call for these APIs
            self.window_used += 1
            status, payload = self._route(method, path, query, body, scopes)
        except _Error as error:
            return error.http, error.body, self._limit_headers()
        return status, payload, self._limit_headers()

    def _limit_headers(self) -> dict[str, str]:
        """On every answer, this call counted: the limit, what is left of it, and when it resets (epoch ms). Zoho
        sends X-RATELIMIT-* headers but the v8 pages do not document them; these are the connector's reading."""
        return {"X-RATELIMIT-LIMIT": str(self.credit_limit),
                "X-RATELIMIT-REMAINING": str(max(0, self.credit_limit - self.window_used)),
                "X-RATELIMIT-RESET": str(int(self._window_end * 1000))}  # fmt: skip

    def _authorise(self, auth: str) -> str:
        """Header `Authorization: Zoho-oauthtoken <token>` (v8 "OAuth Authentication"). A missing, unknown or
        expired token: 401 INVALID_TOKEN "invalid oauth token" (v8 "Status Codes")."""
        scheme, _, value = auth.partition(" ")
        token = self.tokens.get(value) if scheme == "Zoho-oauthtoken" else None
        if token is None or token.expires_at <= time.monotonic():
            raise _Error(401, "INVALID_TOKEN", "invalid oauth token")
        return token.scope

    def _need(self, scopes: str, area: str, op: str) -> None:
        if not _granted(scopes, area, op):
            # v8 "Status Codes": 401 OAUTH_SCOPE_MISMATCH "invalid oauth scope to access this URL".
            raise _Error(401, "OAUTH_SCOPE_MISMATCH", "invalid oauth scope to access this URL")

    def _module(self, name: str) -> str:
        if name not in FIELDS:
            raise _Error(400, "INVALID_MODULE", "the module name given seems to be invalid", {})
        return name

    def _route(
        self, method: str, path: str, query: Mapping[str, str], body: Any, scopes: str
    ) -> tuple[int, Any]:
        parts = path.strip("/").split("/")
        if parts[:2] != ["crm", "v8"]:
            raise _Error(
                404, "INVALID_URL_PATTERN", "Please check if the URL trying to access is a correct one"
            )
        rest = parts[2:]
        if rest == ["org"] and method == "GET":
            self._need(scopes, "org", "READ")
            return self._org()
        if rest[:2] == ["settings", "recycle_bin"] and len(rest) == 2:
            if method == "GET":
                self._need(scopes, "settings.recycle_bin", "READ")
                return self._recycle_list(query)
            if method == "DELETE":
                self._need(scopes, "settings.recycle_bin", "DELETE")
                return self._recycle_delete(query)
        if len(rest) >= 1 and rest[0] in FIELDS:
            module = self._module(rest[0])
            area = f"modules.{module.lower()}"
            if len(rest) == 2 and rest[1] == "search" and method == "GET":
                self._need(scopes, area, "READ")
                return self._search(module, query)
            if len(rest) == 1 and method == "GET":
                self._need(scopes, area, "READ")
                return self._get_many(module, query)
            if len(rest) == 1 and method == "PUT":
                self._need(scopes, area, "UPDATE")
                return self._update(module, body)
            if len(rest) == 1 and method == "DELETE":
                self._need(scopes, area, "DELETE")
                return self._delete(module, query)
            if len(rest) == 2 and method == "GET":
                self._need(scopes, area, "READ")
                record = self.records[module].get(rest[1])
                return (200, {"data": [record]}) if record else (204, None)
            if len(rest) == 3 and rest[2] in ("Notes", "Attachments") and method == "GET":
                self._need(scopes, area, "READ")
                self._need(scopes, f"modules.{rest[2].lower()}", "READ")
                return self._related(module, rest[1], rest[2], query)
        raise _Error(404, "INVALID_URL_PATTERN", "Please check if the URL trying to access is a correct one")

    def _org(self) -> tuple[int, Any]:
        """GET /crm/v8/org (v8 "Organization"): {"org": [{...}]}; `privacy_settings` is true when Compliance
        Settings are on (v8 "GDPR Compliance")."""
        return 200, {"org": [{"id": "4876876000000000100", "company_name": "Sim Ltd", "country": "DE",
                              "primary_email": "admin@sim.example", "privacy_settings": self.privacy_settings,
                              "time_zone": "Europe/Berlin"}]}  # fmt: skip

    def _page(
        self, query: Mapping[str, str], items: list[dict[str, Any]], *, cap: int | None = None
    ) -> tuple[int, Any]:
        """`page` (from 1) and `per_page` (at most 200), `info.more_records`; 204 No Content when nothing
        matches (v8 "Search Records" and "Get Related Records")."""
        try:
            page = int(query.get("page", "1"))
            per_page = int(query.get("per_page", str(MAX_PER_PAGE)))
        except ValueError:
            raise _Error(400, "INVALID_DATA", "invalid data", {"param": "page"}) from None
        if page < 1 or not 1 <= per_page <= MAX_PER_PAGE:
            raise _Error(400, "INVALID_DATA", "invalid data", {"param": "per_page" if page >= 1 else "page"})
        if cap is not None:
            items = items[:cap]
        if not items:
            return 204, None
        start = (page - 1) * per_page
        chunk = items[start : start + per_page]
        info = {"per_page": per_page, "count": len(chunk), "page": page,
                "more_records": start + per_page < len(items)}  # fmt: skip
        if not chunk:
            return 204, None
        return 200, {"data": chunk, "info": info}

    def _search(self, module: str, query: Mapping[str, str]) -> tuple[int, Any]:
        """GET /crm/v8/{module}/search?email=|phone=|word=|criteria= (v8 "Search Records"). `email` matches
        every email field of the module, without regard to case; `phone` every phone field. How Zoho
        normalises phone numbers is not documented: this simulator compares the digits only. `criteria`: see
        `_criteria`."""
        given = [k for k in ("email", "phone", "word", "criteria") if k in query]
        if len(given) != 1:
            raise _Error(400, "REQUIRED_PARAM_MISSING", "One of the expected parameter is missing",
                         {"param": "criteria"})  # fmt: skip
        kind, value = given[0], query[given[0]]
        if kind == "email":
            if not re.fullmatch(r"[^@\s]+@[^@\s]+", value):
                raise _Error(400, "INVALID_QUERY", "invalid query formed", {"param": "email"})
            wanted = value.strip().lower()
            match = [r for r in self.records[module].values()
                     if any(isinstance(r.get(f), str) and r[f].strip().lower() == wanted
                            for f in EMAIL_FIELDS if f in r)]  # fmt: skip
        elif kind == "phone":
            wanted = _digits(value)
            match = [r for r in self.records[module].values()
                     if wanted and any(isinstance(r.get(f), str) and _digits(r[f]) == wanted
                                       for f in PHONE_FIELDS if f in r)]  # fmt: skip
        elif kind == "criteria":
            test = _criteria(
                value, {"id", *FIELDS[module], *SYSTEM_FIELDS}, LOOKUPS.get(module, set()) | USER_LOOKUPS
            )
            match = [r for r in self.records[module].values() if test(r)]
        else:
            raise _Error(
                400, "INVALID_QUERY", "this simulator supports email, phone and criteria searches only"
            )
        return self._page(query, match, cap=SEARCH_LIMIT)

    def _ids(self, query: Mapping[str, str]) -> list[str]:
        ids = [i for i in query.get("ids", "").split(",") if i]
        if not ids:
            raise _Error(
                400, "REQUIRED_PARAM_MISSING", "One of the expected parameter is missing", {"param": "ids"}
            )
        if len(ids) > MAX_IDS:
            raise _Error(400, "LIMIT_EXCEEDED", "the number of ids exceeds the limit", {"limit": MAX_IDS})
        return ids

    def _get_many(self, module: str, query: Mapping[str, str]) -> tuple[int, Any]:
        """GET /crm/v8/{module}?ids=...&fields=... (v8 "Get Records": `fields` is required, up to 50)."""
        fields = [f for f in query.get("fields", "").split(",") if f]
        if not fields:
            raise _Error(400, "REQUIRED_PARAM_MISSING", "One of the expected parameter is missing",
                         {"param": "fields"})  # fmt: skip
        ids = self._ids(query)
        rows = [{"id": i, **{f: r.get(f) for f in fields}} for i in ids if (r := self.records[module].get(i))]
        return self._page({}, rows)

    def _related(self, module: str, parent: str, related: str, query: Mapping[str, str]) -> tuple[int, Any]:
        """GET /crm/v8/{module}/{id}/Notes|Attachments?fields=... (v8 "Get Related Records": `fields` is
        required). A parent that does not exist: 400 INVALID_DATA "the related id given seems to be invalid"."""
        if not query.get("fields"):
            raise _Error(400, "REQUIRED_PARAM_MISSING", "One of the expected parameter is missing",
                         {"param": "fields"})  # fmt: skip
        if parent not in self.records[module]:
            raise _Error(400, "INVALID_DATA", "the related id given seems to be invalid", {"id": parent})
        fields = query["fields"].split(",")
        store = self.notes if related == "Notes" else self.attachments
        rows = [{"id": i, **{f: item.get(f) for f in fields if f != "id"}}
                for i, item in store.items() if item["Parent_Id"]["id"] == parent]  # fmt: skip
        return self._page(query, rows)

    def _update(self, module: str, body: Any) -> tuple[int, Any]:
        """PUT /crm/v8/{module} {"data": [{"id": ..., field: value}, ...]} (v8 "Update Records"): per record
        {"code": "SUCCESS", "details": {"id", "Modified_Time"}, "message": "record updated", "status": "success"}
        or an error entry; 200 when all succeed, 207 Multi-Status when some do, 400 when none do."""
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, list) or not data:
            raise _Error(400, "INVALID_DATA", "invalid data", {"api_name": "data"})
        if len(data) > MAX_IDS:
            raise _Error(400, "LIMIT_EXCEEDED", "the number of records exceeds the limit", {"limit": MAX_IDS})
        out = []
        for item in data:
            record = self.records[module].get(str(item.get("id")))
            unknown = [k for k in item if k != "id" and k not in FIELDS[module]]
            if record is None:
                out.append({"code": "INVALID_DATA", "details": {"api_name": "id"},
                            "message": "the id given seems to be invalid", "status": "error"})  # fmt: skip
            elif unknown:
                out.append({"code": "INVALID_DATA", "details": {"api_name": unknown[0]},
                            "message": "invalid data", "status": "error"})  # fmt: skip
            else:
                record.update({k: v for k, v in item.items() if k != "id"})
                record["Modified_Time"] = "2026-02-01T12:00:00+01:00"
                out.append({"code": "SUCCESS", "details": {"id": record["id"], "Modified_Time": record["Modified_Time"]},
                            "message": "record updated", "status": "success"})  # fmt: skip
        return self._multi(out, "data")

    def _multi(self, out: list[dict[str, Any]], key: str) -> tuple[int, Any]:
        ok = sum(1 for o in out if o["status"] == "success")
        return (200 if ok == len(out) else 207 if ok else 400), {key: out}

    def _delete(self, module: str, query: Mapping[str, str]) -> tuple[int, Any]:
        """DELETE /crm/v8/{module}?ids=a,b (v8 "Delete Records", up to 100): the records, with their notes and
        attachments, move to the Recycle Bin for 60 days. Per id SUCCESS "record deleted" or INVALID_DATA."""
        out = []
        for record_id in self._ids(query):
            record = self.records[module].pop(record_id, None)
            if record is None:
                out.append({"code": "INVALID_DATA", "details": {"id": record_id},
                            "message": "the related id given seems to be invalid", "status": "error"})  # fmt: skip
                continue
            notes = [
                self.notes.pop(i) for i, n in list(self.notes.items()) if n["Parent_Id"]["id"] == record_id
            ]
            files = [self.attachments.pop(i) for i, a in list(self.attachments.items())
                     if a["Parent_Id"]["id"] == record_id]  # fmt: skip
            self.recycle_bin[record_id] = (module, record, notes, files)
            out.append({"code": "SUCCESS", "details": {"id": record_id}, "message": "record deleted",
                        "status": "success"})  # fmt: skip
        return self._multi(out, "data")

    def _recycle_list(self, query: Mapping[str, str]) -> tuple[int, Any]:
        """GET /crm/v8/settings/recycle_bin?module=... (v8 "Get Recycle Bin Records"): {"recycle_bin": [...],
        "info": {...}}. The entry's keys beyond id, module and deleted_time are not pinned here."""
        module = query.get("module")
        rows = [{"id": i, "module": {"api_name": m}, "display_name": i, "deleted_time": "2026-02-01T12:00:00+01:00"}
                for i, (m, *_) in self.recycle_bin.items() if module in (None, m)]  # fmt: skip
        status, payload = self._page(query, rows)
        if payload is not None:
            payload = {"recycle_bin": payload["data"], "info": payload["info"]}
        return status, payload

    def _recycle_delete(self, query: Mapping[str, str]) -> tuple[int, Any]:
        """DELETE /crm/v8/settings/recycle_bin?ids=... (v8 "Delete Recycle Bin Records", up to 100): gone for
        good, with the record's notes and attachments. The per-id response shape is not shown for an id that
        is not in the bin; this simulator answers like Delete Records (INVALID_DATA)."""
        out = []
        for record_id in self._ids(query):
            if self.recycle_bin.pop(record_id, None) is None:
                out.append({"code": "INVALID_DATA", "details": {"id": record_id},
                            "message": "the given id is not in the recycle bin", "status": "error"})  # fmt: skip
            else:
                out.append({"code": "SUCCESS", "details": {"id": record_id}, "message": "record deleted",
                            "status": "success"})  # fmt: skip
        return self._multi(out, "recycle_bin")


def _handler(sim: ZohoSim) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as Zoho's servers

        def setup(self) -> None:
            super().setup()
            # Headers and body go out in two writes: without this, Nagle's algorithm and a delayed ACK cost
            # every keep-alive request 40 ms, which Zoho's servers do not.
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def log_message(self, format: str, *args: Any) -> None:  # quiet: the request log is `sim.log`
            return

        def _serve(self) -> None:
            url = urllib.parse.urlsplit(self.path)
            query = dict(urllib.parse.parse_qsl(url.query, keep_blank_values=True))
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            body: Any = None
            if raw and "json" in (self.headers.get("Content-Type") or ""):
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = None
            elif raw:
                body = dict(urllib.parse.parse_qsl(raw.decode()))
            with sim._lock:
                headers: dict[str, str] = {}
                if (
                    url.path == "/" and self.command == "GET"
                ):  # for people watching, not the API: no log, no credit
                    status, payload = 200, sim.overview()
                elif url.path == "/oauth/v2/token" and self.command == "POST":
                    status, payload = sim.token({**query, **(body if isinstance(body, dict) else {})})
                else:
                    status, payload, headers = sim.api(
                        self.command, url.path, query, body, self.headers.get("Authorization", "")
                    )
                if url.path != "/":
                    sim.log.append(Call(self.command, url.path, query, body, status, headers))
            data = b"" if payload is None else json.dumps(payload).encode()
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            if payload is not None:
                self.send_header("Content-Type", "application/json;charset=UTF-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_DELETE = _serve

    return Handler


def main() -> None:
    parser = argparse.ArgumentParser(description="A local Zoho CRM simulator (accounts server + CRM v8 API).")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--seed", choices=["demo", "none"], default="demo")
    args = parser.parse_args()
    sim = ZohoSim()
    if args.seed == "demo":
        sim.seed_demo()
    sim.start(args.port)
    print(f"Zoho CRM simulator on {sim.url} (a simulator: state in memory, gone when it stops): "
          f"accounts_url={sim.url}, client_id={CLIENT_ID}, client_secret={CLIENT_SECRET}, "
          f"refresh_token={REFRESH_TOKEN}", flush=True)  # fmt: skip
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        sim.stop()


if __name__ == "__main__":
    main()
