"""The Zoho CRM connector: the CRM v8 REST API over httpx, authorised by an OAuth 2.0 refresh token.

The operator makes a "self client" in Zoho's API console, generates a refresh token with the scopes docs/zoho.md
lists, and stores client ID, client secret and refresh token as the system's credentials. The connector swaps the
refresh token for an access token at the accounts server of the account's data centre (the token response's
`api_domain` then says where the CRM API lives), keeps it in the instance, and refreshes it when it is about to
expire or the API refuses it (401 INVALID_TOKEN, once).

Shapes, from Zoho's published v8 documentation (each call below names its page):
  search    GET    {api}/crm/v8/{module}/search?email=|phone=&page=&per_page=     ("Search Records")
  by lookup GET    {api}/crm/v8/Deals/search?criteria=(Contact_Name:equals:{id})   ("Search Records")
  a record  GET    {api}/crm/v8/{module}/{id}                                      ("Get Records")
  some      GET    {api}/crm/v8/{module}?ids=&fields=                              ("Get Records")
  related   GET    {api}/crm/v8/{module}/{id}/Notes|Attachments?fields=&page=      ("Get Related Records")
  update    PUT    {api}/crm/v8/{module}  {"data": [{"id": ..., ...}]}             ("Update Records")
  delete    DELETE {api}/crm/v8/{module}?ids=                                      ("Delete Records")
  purge     DELETE {api}/crm/v8/settings/recycle_bin?ids=                          ("Delete Recycle Bin Records")
  org       GET    {api}/crm/v8/org                                                ("Organization")
  token     POST   {accounts}/oauth/v2/token?grant_type=refresh_token&...          ("Refresh Access Token")

Nothing Zoho says is passed on verbatim and no URL is logged (a search URL holds the person's email): errors are
mapped by Zoho's error code to sentences of our own, and the log holds module names and counts.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
import urllib.parse
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, TypeVar

import httpx

from requests.connectors.base import (
    ConnectionCheck,
    ConnectorError,
    Detail,
    DetailMap,
    Done,
    ErasurePlan,
    Export,
    Found,
    Outcome,
    RecordRef,
    Result,
    Scalar,
    Spec,
    Step,
    Subject,
    rectify_targets,
)
from requests.connectors.compare import parse_details

log = logging.getLogger(__name__)
T = TypeVar("T")

# Zoho's accounts servers by data centre ("Multi DC Support"; Canada's is zohocloud.ca).
DATA_CENTRES = {
    "com": "https://accounts.zoho.com",
    "eu": "https://accounts.zoho.eu",
    "in": "https://accounts.zoho.in",
    "com.au": "https://accounts.zoho.com.au",
    "jp": "https://accounts.zoho.jp",
    "ca": "https://accounts.zohocloud.ca",
    "sa": "https://accounts.zoho.sa",
    "com.cn": "https://accounts.zoho.com.cn",
}
MODULES = ("Leads", "Contacts", "Accounts", "Deals")
OPT_OUT_MODULES = ("Leads", "Contacts")  # the standard modules with Email_Opt_Out
# GDPR Compliance Settings apply to Leads, Contacts, Vendors and custom modules ("GDPR Compliance").
COMPLIANCE_MODULES = ("Leads", "Contacts", "Vendors")
# "Data Processing Basis" values include "Stop Processing" (the GDPR Compliance pages); the v8 page does not show a
# write sample, so the field and values are settings (restrict_field, restrict_value, unrestrict_value).
RESTRICT_FIELD, RESTRICT_VALUE, UNRESTRICT_VALUE = (
    "Data_Processing_Basis",
    "Stop Processing",
    "Not Applicable",
)
PER_PAGE = 200  # the documented maximum for search and related records
MAX_IDS = 100  # the documented maximum for update, delete and recycle-bin delete
SEARCH_LIMIT = 2000  # "Search Records": only the first 2000 matches can be paged to
MAX_CRITERIA = 10  # "Search Records": at most 10 criteria in one `criteria`
NOTE_FIELDS = "id,Note_Title,Note_Content,Parent_Id,Created_Time,Modified_Time,Owner"
ATTACHMENT_FIELDS = "id,File_Name,Size,Parent_Id,Created_Time,Modified_Time,Owner"
TIMEOUT = 30.0
# The only hosts a plain http:// accounts server or API may be on: this machine (the simulator, tests/fakes/zoho.py).
# Anywhere else the client secret, refresh token and people's data would cross the network unencrypted.
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
MAX_WAIT = 60.0  # the longest single wait for a rate limit; longer and the run is retried later instead
RATE_RETRIES = 4
# Few calls left: at or below this many, or this share of the limit, the next call first waits for the reset.
LOW_REMAINING_CALLS = 5
LOW_REMAINING_SHARE = 0.05
RESET_MARGIN = 1.0  # seconds past the announced reset
MIN_PHONE_DIGITS = 7
READING = ("finding records", "exporting records", "planning the erasure", "testing the connection")
# Which standard fields hold the details a requester may give, per module ("Fields" metadata of the standard
# modules); the `details` setting replaces a module's entry per detail, and `account_field` names the field of a
# customer or account number in every module that has one (Accounts' standard Account_Number by default).
DETAIL_FIELDS: dict[str, dict[Detail, Spec]] = {
    "Leads": {"phone": (("Phone",), ("Mobile",)), "postal_address": (("Street", "City", "Zip_Code"),)},
    "Contacts": {
        "phone": (("Phone",), ("Mobile",), ("Home_Phone",), ("Other_Phone",)),
        "postal_address": (("Mailing_Street", "Mailing_City", "Mailing_Zip"), ("Other_Street", "Other_City", "Other_Zip")),
        "date_of_birth": (("Date_of_Birth",),),
    },
    "Accounts": {
        "phone": (("Phone",),),
        "postal_address": (("Billing_Street", "Billing_City", "Billing_Code"),
                           ("Shipping_Street", "Shipping_City", "Shipping_Code")),
    },
}  # fmt: skip
ACCOUNT_FIELD = "Account_Number"


class _QuietUrls(logging.Filter):
    """httpx logs every request's URL at INFO; a search URL holds the person's email. Drop those lines."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("HTTP Request:")


logging.getLogger("httpx").addFilter(_QuietUrls())


def granted(scopes: str, area: str, op: str) -> bool:
    """Whether Zoho scopes grant `op` (READ, UPDATE, DELETE) on `area` ("modules.leads", "settings.recycle_bin",
    "org"): the scope itself, ALL at that level or above, or the operation on every module ("OAuth Scopes").
    Zoho compares scope names without regard to case."""
    have = {s.lower() for s in scopes.replace(",", " ").split()}
    parts = area.lower().split(".")
    for i in range(1, len(parts) + 1):
        prefix = "zohocrm." + ".".join(parts[:i])
        if f"{prefix}.all" in have:
            return True
        if (i == len(parts) or parts[0] == "modules") and f"{prefix}.{op.lower()}" in have:
            return True
    return False


def scope_name(area: str, op: str) -> str:
    return f"ZohoCRM.{area}.{op}"


def _scalar(value: Any) -> Scalar:
    """A field's value as an export cell: lookups, lists and subforms as compact JSON."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def insecure_url(url: str) -> bool:
    """Whether `url` may not carry Zoho credentials: anything but https://host, or http:// on this machine."""
    parts = urllib.parse.urlsplit(url.strip())
    return not parts.hostname or not (
        parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in LOCAL_HOSTS)
    )


def _header_int(headers: httpx.Headers, name: str) -> int | None:
    value = headers.get(name, "").strip()
    return int(value) if value.isdigit() else None


def _reset_in(headers: httpx.Headers) -> float | None:
    """Seconds until X-RATELIMIT-RESET (epoch milliseconds), if the answer says, and a second more: our clock and
    Zoho's differ, and a call a moment early would find the old limit still in force."""
    reset = _header_int(headers, "X-RATELIMIT-RESET")
    return None if reset is None else max(0.0, reset / 1000 - time.time()) + RESET_MARGIN


def _criterion_value(value: str) -> str:
    """A value in a search `criteria`: backslash, parentheses and comma escaped with a backslash ("Search
    Records"); httpx then percent-encodes the whole parameter, as the page asks."""
    return "".join("\\" + ch if ch in "\\()," else ch for ch in value)


def detail_fields(modules: Sequence[str], details: Any, account_field: str) -> DetailMap:
    """The defaults for the modules searched, each module's entries replaced by the `details` setting's
    ({module: {detail: field, [fields] or [[fields of one address]]}}); ConnectorError naming every problem."""
    problems: list[str] = []
    if not isinstance(details, Mapping):
        problems.append('expected modules and their details, e.g. {"Contacts": {"phone": ["Phone"]}}')
        details = {}
    if not isinstance(account_field, str):
        problems.append("'account_field' must be a field's API name")
        account_field = ""
    fields: dict[str, dict[Detail, Spec]] = {}
    for module in modules:
        mine = dict(DETAIL_FIELDS.get(module, {}))
        if account_field.strip():
            mine["account_reference"] = ((account_field.strip(),),)
        mine.update(parse_details(details.get(module, {}), f"details.{module}", problems) or {})
        if mapped := {detail: spec for detail, spec in mine.items() if spec}:
            fields[module] = mapped
    if unknown := sorted(set(details) - set(modules)):
        problems.append(f"details: {', '.join(unknown)} not among the modules searched")
    if problems:
        raise ConnectorError("The Zoho 'details' setting has problems: " + "; ".join(problems))
    return fields


def _chunks(items: Sequence[str], size: int = MAX_IDS) -> Iterator[list[str]]:
    for i in range(0, len(items), size):
        yield list(items[i : i + size])


class ZohoConnector:
    """One Zoho CRM account. Cheap to build; asks for a token on first use."""

    kind = "zoho"

    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str,
        refresh_token: str,
        data_centre: str = "com",
        modules: Sequence[str] = MODULES,
        rectify: Mapping[str, Sequence[str]] | None = None,
        keep: Mapping[str, str] | None = None,
        compliance: bool = False,
        opt_out: Sequence[str] = OPT_OUT_MODULES,
        accounts_url: str = "",
        timeout: float = TIMEOUT,
        max_wait: float = MAX_WAIT,
        restrict_field: str = RESTRICT_FIELD,
        restrict_value: str = RESTRICT_VALUE,
        unrestrict_value: str = UNRESTRICT_VALUE,
        sleep: Callable[[float], None] = time.sleep,
        details: Mapping[str, Any] | None = None,
        account_field: str = ACCOUNT_FIELD,
    ) -> None:
        dc = data_centre.strip().lstrip(".").lower()
        if dc not in DATA_CENTRES:
            raise ConnectorError(
                f"Unknown Zoho data centre '{data_centre}': use one of {', '.join(DATA_CENTRES)} "
                "(the ending of the address you sign in to Zoho with)."
            )
        missing = [name for name, v in (("client ID", client_id), ("client secret", client_secret),
                                        ("refresh token", refresh_token)) if not v]  # fmt: skip
        if missing:
            raise ConnectorError(f"The Zoho credentials lack the {', '.join(missing)}: see docs/zoho.md.")
        if accounts_url and insecure_url(accounts_url):
            raise ConnectorError(
                "The Zoho accounts server's address must begin with https:// (plain http:// only for 127.0.0.1 "
                "or localhost, such as the simulator)."
            )
        self.data_centre = dc
        self.accounts_url = (accounts_url or DATA_CENTRES[dc]).rstrip("/")
        self.modules = tuple(modules)
        self.rectify_fields = {m: tuple(f) for m, f in (rectify or {}).items() if m in self.modules}
        self.keep = {m: g for m, g in (keep or {}).items() if g}
        self.compliance = bool(compliance)
        self.opt_out_modules = tuple(m for m in opt_out if m in self.modules)
        self.restrict_field, self.restrict_value, self.unrestrict_value = (
            restrict_field, restrict_value, unrestrict_value
        )  # fmt: skip
        self.max_wait = max_wait
        self.sleep = sleep
        self._credentials = {
            "client_id": client_id,
            "client_secret": client_secret,
            "refresh_token": refresh_token,
        }
        self._http = httpx.Client(timeout=timeout, headers={"User-Agent": "privacy-portal"})
        self._token = ""
        self._scopes = ""
        self._expires = 0.0
        self._api = ""
        self.requests = 0  # CRM API calls made (each costs Zoho API credits)
        self._resume_at: float | None = None  # time.monotonic() before which the next call may not go out
        self.capabilities = frozenset(
            {"test", "find", "export", "erase"}
            | ({"rectify"} if any(self.rectify_fields.values()) else set())
            | ({"restrict"} if self.compliance else set())
            | ({"opt_out"} if self.opt_out_modules else set())
        )
        self.detail_fields = detail_fields(self.modules, details or {}, account_field)
        if self.detail_fields:
            self.capabilities |= {"compare"}

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any], credentials: Mapping[str, Any]) -> ZohoConnector:
        """`settings`: data_centre (com, eu, in, com.au, jp, ca, sa, com.cn), modules, rectify ({module: [field]}),
        keep ({module: legal ground}), compliance (bool), opt_out (modules with Email_Opt_Out), timeout,
        max_wait, restrict_field / restrict_value / unrestrict_value, details ({module: {detail: fields}}, over
        DETAIL_FIELDS), account_field, accounts_url (testing only);
        `credentials`: client_id, client_secret, refresh_token."""
        return cls(
            client_id=str(credentials.get("client_id", "")),
            client_secret=str(credentials.get("client_secret", "")),
            refresh_token=str(credentials.get("refresh_token", "")),
            data_centre=str(settings.get("data_centre", "com")),
            modules=tuple(settings.get("modules") or MODULES),
            rectify=settings.get("rectify") or {},
            keep=settings.get("keep") or {},
            compliance=bool(settings.get("compliance", False)),
            opt_out=tuple(settings.get("opt_out") or OPT_OUT_MODULES),
            accounts_url=str(settings.get("accounts_url", "")),
            timeout=float(settings.get("timeout", TIMEOUT)),
            max_wait=float(settings.get("max_wait", MAX_WAIT)),
            restrict_field=str(settings.get("restrict_field", RESTRICT_FIELD)),
            restrict_value=str(settings.get("restrict_value", RESTRICT_VALUE)),
            unrestrict_value=str(settings.get("unrestrict_value", UNRESTRICT_VALUE)),
            details=settings.get("details") or {},
            account_field=settings.get("account_field", ACCOUNT_FIELD),
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> ZohoConnector:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- the protocol -----------------------------------------------------------------------------------

    def test(self) -> ConnectionCheck:
        def work() -> ConnectionCheck:
            self._refresh()
            org = self._call("GET", "/org", scope=("org", "READ"))[1]["org"][0]
            unreadable = [
                scope_name(area, "READ")
                for area in self._module_areas()
                if not granted(self._scopes, area, "READ")
            ]
            if unreadable:
                raise ConnectorError(
                    f"The refresh token lacks the scope {', '.join(unreadable)}: generate a new one with the "
                    "scopes docs/zoho.md lists."
                )
            missing = self._write_scopes_missing()
            name = org.get("company_name") or "the organisation"
            message = f"Connected to Zoho CRM (data centre .{self.data_centre}), organisation '{name}'. "
            message += f"The modules {', '.join(self.modules)} can be read. "
            if missing:
                message += (
                    "The token can only read: access and export work; erasure, correction and opt-out need "
                    f"the scopes {', '.join(missing)}."
                )
            else:
                message += "Erasure, correction and opt-out can run."
            if self.compliance and not org.get("privacy_settings"):
                message += " Compliance Settings are off in this account: restriction will be refused."
            return ConnectionCheck(message, not missing)

        return self._guard("testing the connection", work)

    def find(self, subject: Subject) -> Found:
        return self._guard("finding records", lambda: self._find(subject))

    def export(self, found: Found) -> Export:
        return self._guard("exporting records", lambda: self._export(found))

    def plan_erasure(self, found: Found) -> ErasurePlan:
        return self._guard("planning the erasure", lambda: self._plan(found))

    def erase(self, plan: ErasurePlan) -> Result:
        if plan.dataset != self.digest():
            raise ConnectorError(
                "The Zoho settings changed after this dry run: run the dry run again and have it approved."
            )
        return self._guard("erasure", lambda: self._erase(plan))

    def rectify(self, found: Found, changes: Mapping[str, str]) -> Result:
        return self._guard("correction", lambda: self._rectify(found, changes))

    def restrict(self, found: Found) -> Result:
        return self._guard("restriction", lambda: self._restrict(found, undo=False))

    def unrestrict(self, found: Found) -> Result:
        return self._guard("lifting the restriction", lambda: self._restrict(found, undo=True))

    def opt_out(self, found: Found) -> Result:
        return self._guard("the opt-out", lambda: self._opt_out(found))

    def digest(self) -> str:
        """What an erasure plan depends on: the modules searched and the grounds to keep."""
        text = json.dumps({"modules": self.modules, "keep": self.keep}, sort_keys=True)
        return "zoho:" + hashlib.sha256(text.encode()).hexdigest()[:16]

    # --- finding and exporting --------------------------------------------------------------------------

    def _find(self, subject: Subject) -> Found:
        searches = [("email", subject.email.strip())] if subject.email.strip() else []
        if len("".join(ch for ch in subject.phone if ch.isdigit())) >= MIN_PHONE_DIGITS:
            searches.append(("phone", subject.phone.strip()))
        refs: dict[RecordRef, None] = {}
        for module in self.modules:
            for kind, value in searches:
                for record in self._pages(
                    f"/{module}/search", {kind: value}, ("modules." + module.lower(), "READ")
                ):
                    refs[RecordRef(module, (str(record["id"]),))] = None
        if "Deals" in self.modules and "Contacts" in self.modules:
            contacts = [str(ref.key[0]) for ref in refs if ref.table == "Contacts"]
            for deal_id in self._deals_of(contacts):
                refs[RecordRef("Deals", (deal_id,))] = None
        found = Found(tuple(refs))
        log.info("zoho connector: found %s", found.counts())
        return found

    def _deals_of(self, contact_ids: Sequence[str]) -> list[str]:
        """The Deals whose Contact_Name lookup is one of these Contacts: a deal often has no email of its own, so
        the email search misses it. "Search Records" takes up to 10 criteria, and a lookup field is matched by
        the related record's id with `equals`; the page also says `equals` may behave like "contains", so each
        answer is checked against the ids asked for."""
        deals: dict[str, None] = {}
        for chunk in _chunks(contact_ids, MAX_CRITERIA):
            terms = [f"(Contact_Name:equals:{_criterion_value(i)})" for i in chunk]
            criteria = terms[0] if len(terms) == 1 else "(" + "or".join(terms) + ")"
            for record in self._pages("/Deals/search", {"criteria": criteria}, ("modules.deals", "READ")):
                lookup = record.get("Contact_Name")
                if isinstance(lookup, dict) and str(lookup.get("id")) in chunk:
                    deals[str(record["id"])] = None
        return list(deals)

    def _pages(
        self, path: str, params: Mapping[str, str], scope: tuple[str, str], *, key: str = "data"
    ) -> Iterator[dict[str, Any]]:
        """Every page to the end: `page` from 1, `per_page` 200, until `info.more_records` is false or 204."""
        page = 1
        while True:
            status, body = self._call("GET", path, {**params, "page": str(page), "per_page": str(PER_PAGE)},
                                      scope=scope)  # fmt: skip
            if status == 204 or not body:
                return
            yield from body.get(key) or []
            if not (body.get("info") or {}).get("more_records"):
                return
            if page * PER_PAGE >= SEARCH_LIMIT and path.endswith("/search"):
                raise ConnectorError(
                    f"More than {SEARCH_LIMIT} records match in {path.split('/')[1]}, which is as far as Zoho's "
                    "search goes: find the rest by hand in Zoho."
                )
            page += 1

    def _export(self, found: Found) -> Export:
        columns: dict[str, dict[str, None]] = {}
        rows: dict[str, list[dict[str, Scalar]]] = {}

        def add(table: str, record: Mapping[str, Any]) -> None:
            row = {name: _scalar(value) for name, value in record.items()}
            columns.setdefault(table, {}).update(dict.fromkeys(row))
            rows.setdefault(table, []).append(row)

        for module, ids in self._by_module(found).items():
            area = "modules." + module.lower()
            columns.setdefault(module, {})
            rows.setdefault(module, [])
            for record_id in ids:
                status, body = self._call("GET", f"/{module}/{record_id}", scope=(area, "READ"))
                if status == 204 or not body or not body.get("data"):
                    continue  # deleted since it was found
                add(module, body["data"][0])
                for related, fields in (("Notes", NOTE_FIELDS), ("Attachments", ATTACHMENT_FIELDS)):
                    table = f"{module}.{related}"
                    columns.setdefault(table, {})
                    rows.setdefault(table, [])
                    for item in self._pages(f"/{module}/{record_id}/{related}", {"fields": fields},
                                            ("modules." + related.lower(), "READ")):  # fmt: skip
                        add(table, item)
        for table in columns:  # every row with every column of its table, in the order Zoho gave them
            rows[table] = [{c: row.get(c) for c in columns[table]} for row in rows[table]]
        export = Export({t: tuple(c) for t, c in columns.items()}, rows)
        log.info("zoho connector: exported %s", export.counts())
        return export

    def _by_module(self, found: Found) -> dict[str, list[str]]:
        tables: dict[str, list[str]] = {}
        for module, keys in found.by_table().items():
            if module not in self.modules:
                raise ConnectorError(
                    f"The records name the module '{module}', which this system does not search."
                )
            tables[module] = [str(key[0]) for key in keys]
        return tables

    # --- erasure ----------------------------------------------------------------------------------------

    def _plan(self, found: Found) -> ErasurePlan:
        steps = []
        for module, ids in self._by_module(found).items():
            for record_id in ids:
                ref = RecordRef(module, (record_id,))
                if module in self.keep:
                    steps.append(Step(ref, "keep", ground=self.keep[module]))
                else:
                    steps.append(
                        Step(
                            ref, "delete", reason="with its notes and attachments, then from the Recycle Bin"
                        )
                    )
        return ErasurePlan(self.digest(), tuple(steps))

    def _erase(self, plan: ErasurePlan) -> Result:
        deletes: dict[str, list[str]] = {}
        for step in plan.steps:
            if step.ref.table not in self.modules:
                raise ConnectorError(
                    f"The plan names the module '{step.ref.table}', which this system does not search."
                )
            if step.action == "delete":
                deletes.setdefault(step.ref.table, []).append(str(step.ref.key[0]))
            elif step.action != "keep":
                raise ConnectorError("Zoho records are deleted or kept; the plan asks for something else.")
        self._ensure_token()
        needed = [scope_name(f"modules.{m.lower()}", "DELETE") for m in deletes
                  if not granted(self._scopes, f"modules.{m.lower()}", "DELETE")]  # fmt: skip
        if deletes and not granted(self._scopes, "settings.recycle_bin", "DELETE"):
            needed.append(scope_name("settings.recycle_bin", "DELETE"))
        if needed:
            raise ConnectorError(
                f"The refresh token lacks the scope {', '.join(needed)}: erasure needs it. Nothing was changed; "
                "generate a new token as docs/zoho.md says."
            )
        done: dict[RecordRef, Done] = {}
        for module, ids in deletes.items():
            for chunk in _chunks(ids):
                # "Delete Records" moves them to the Recycle Bin (60 days); "Delete Recycle Bin Records" ends that.
                moved = self._each("DELETE", f"/{module}", {"ids": ",".join(chunk)},
                                   (f"modules.{module.lower()}", "DELETE"), "data")  # fmt: skip
                purged = self._each("DELETE", "/settings/recycle_bin", {"ids": ",".join(chunk)},
                                    ("settings.recycle_bin", "DELETE"), "recycle_bin")  # fmt: skip
                for record_id in chunk:
                    gone = record_id in moved or record_id in purged
                    done[RecordRef(module, (record_id,))] = "deleted" if gone else "already deleted"
        outcomes = []
        for step in plan.steps:
            if step.action == "keep":
                outcomes.append(Outcome(step.ref, "kept", step.ground))
            else:
                outcomes.append(Outcome(step.ref, done[step.ref], "" if done[step.ref] == "deleted"
                                        else "the record no longer exists"))  # fmt: skip
        result = Result("erase", tuple(outcomes))
        log.info("zoho connector: erasure done: %s", result.counts())
        return result

    def _each(
        self, method: str, path: str, params: Mapping[str, str], scope: tuple[str, str], key: str
    ) -> set[str]:
        """A bulk call answered per record (200, 207 Multi-Status or 400 when none succeeded): the ids done."""
        _, body = self._call(method, path, params, scope=scope, per_record=True)
        return {str((item.get("details") or {}).get("id")) for item in (body or {}).get(key) or []
                if item.get("status") == "success"}  # fmt: skip

    # --- correction, restriction, opt-out ---------------------------------------------------------------

    def _rectify(self, found: Found, changes: Mapping[str, str]) -> Result:
        targets: dict[str, dict[str, str]] = {}
        allowed = {(m, f) for m, fields in self.rectify_fields.items() for f in fields}
        for name, value in changes.items():
            pairs = rectify_targets(
                name,
                allowed,
                allows="the settings allow",
                remedy="correct it by hand in Zoho or add it to the 'rectify' setting",
            )
            for module, field in pairs:
                targets.setdefault(module, {})[field] = value
        by_module = self._by_module(found)
        outcomes: list[Outcome] = []
        for module, new in targets.items():
            outcomes += self._set(module, by_module.get(module, []), new, ("rectified", "already correct"))
        return Result("rectify", tuple(outcomes))

    def _restrict(self, found: Found, *, undo: bool) -> Result:
        if not self.compliance:
            raise ConnectorError(
                "Restriction is not supported here: this Zoho system is not set up with Compliance Settings. "
                "Do it by hand in Zoho (Data Privacy: stop processing) and tick the checklist."
            )
        org = self._call("GET", "/org", scope=("org", "READ"))[1]["org"][0]
        if not org.get("privacy_settings"):
            raise ConnectorError(
                "Compliance Settings are off in this Zoho account, so there is no 'stop processing' to set: "
                "turn them on (Setup > Security Control > Compliance Settings) or restrict by hand."
            )
        labels: tuple[Done, Done] = ("unrestricted", "already unrestricted") if undo else (
            "restricted", "already restricted")  # fmt: skip
        new = {self.restrict_field: self.unrestrict_value if undo else self.restrict_value}
        outcomes: list[Outcome] = []
        for module, ids in self._by_module(found).items():
            if module in COMPLIANCE_MODULES:
                outcomes += self._set(module, ids, new, labels)
        return Result("unrestrict" if undo else "restrict", tuple(outcomes))

    def _opt_out(self, found: Found) -> Result:
        outcomes: list[Outcome] = []
        for module, ids in self._by_module(found).items():
            if module in self.opt_out_modules:
                outcomes += self._set(
                    module, ids, {"Email_Opt_Out": True}, ("opted out", "already opted out")
                )
        return Result("opt_out", tuple(outcomes))

    def _set(
        self, module: str, ids: list[str], new: Mapping[str, Any], labels: tuple[Done, Done]
    ) -> list[Outcome]:
        """Set fields on these records where they differ ("Get Records" by ids, then "Update Records")."""
        self._ensure_token()
        area = f"modules.{module.lower()}"
        if ids and not granted(self._scopes, area, "UPDATE"):
            raise ConnectorError(
                f"The refresh token lacks the scope {scope_name(area, 'UPDATE')}: nothing was changed; generate a "
                "new token as docs/zoho.md says."
            )
        outcomes = []
        for chunk in _chunks(ids):
            status, body = self._call("GET", f"/{module}", {"ids": ",".join(chunk), "fields": ",".join(new)},
                                      scope=(area, "READ"))  # fmt: skip
            current = {str(r["id"]): r for r in ((body or {}).get("data") or [])} if status != 204 else {}
            changing = [
                i for i in chunk if i in current and any(current[i].get(f) != v for f, v in new.items())
            ]
            updated: set[str] = set()
            if changing:
                data = [{"id": i, **new} for i in changing]
                status, body = self._call("PUT", f"/{module}", json_body={"data": data}, scope=(area, "UPDATE"),
                                          per_record=True)  # fmt: skip
                for item in (body or {}).get("data") or []:
                    if item.get("status") == "success":
                        updated.add(str((item.get("details") or {}).get("id")))
                    else:
                        field = (item.get("details") or {}).get("api_name", "")
                        raise ConnectorError(
                            f"Zoho refused the change to {module}"
                            + (f" (field '{field}')" if field else "")
                            + f": {item.get('code', 'error')}. Check the field's API name in the settings."
                        )
            for record_id in chunk:
                ref = RecordRef(module, (record_id,))
                fields = ", ".join(new)
                if record_id not in current:
                    outcomes.append(Outcome(ref, "already deleted", "the record no longer exists"))
                else:
                    outcomes.append(Outcome(ref, labels[0] if record_id in updated else labels[1], fields))
        log.info("zoho connector: %s: %s in %s", labels[0], len(outcomes), module)
        return outcomes

    # --- HTTP, tokens, limits, errors -------------------------------------------------------------------

    def _module_areas(self) -> list[str]:
        return [f"modules.{m.lower()}" for m in self.modules] + ["modules.notes", "modules.attachments"]

    def _write_scopes_missing(self) -> list[str]:
        wanted = [(f"modules.{m.lower()}", "DELETE") for m in self.modules]
        wanted += [(f"modules.{m.lower()}", "UPDATE") for m in self.modules
                   if self.rectify_fields.get(m) or m in self.opt_out_modules
                   or (self.compliance and m in COMPLIANCE_MODULES)]  # fmt: skip
        wanted.append(("settings.recycle_bin", "DELETE"))
        return [scope_name(a, op) for a, op in wanted if not granted(self._scopes, a, op)]

    def _ensure_token(self) -> None:
        if not self._token or time.monotonic() >= self._expires:
            self._refresh()

    def _refresh(self) -> None:
        """POST {accounts}/oauth/v2/token, grant_type=refresh_token ("Refresh Access Token"). Zoho answers a
        refusal with {"error": ...}: invalid_client (client unknown, as in another data centre) or invalid_code
        (refresh token wrong, expired or revoked)."""
        where = f"Zoho's accounts server for data centre .{self.data_centre}"
        try:
            response = self._http.post(
                f"{self.accounts_url}/oauth/v2/token",
                params={"grant_type": "refresh_token", **self._credentials},
            )
        except httpx.TimeoutException:
            raise ConnectorError(
                f"{where} did not answer in time. The portal tries again later.", transient=True
            ) from None
        except httpx.HTTPError:
            raise ConnectorError(
                f"Could not reach {where}. The portal tries again later.", transient=True
            ) from None
        if response.status_code >= 500 or response.status_code == 429:
            raise ConnectorError(f"{where} is busy or down (HTTP {response.status_code}). The portal tries again later.",
                                 transient=True)  # fmt: skip
        try:
            body = response.json()
        except ValueError:
            body = {}
        error = body.get("error") if isinstance(body, dict) else "unreadable"
        if error == "invalid_client":
            raise ConnectorError(
                f"{where} does not know this client ID and secret. Check them, and that the data centre is the "
                "one the Zoho account lives in (the ending of the address you sign in with): see docs/zoho.md."
            )
        if error == "invalid_code":
            raise ConnectorError(
                "Zoho refused the refresh token: it is wrong, expired or revoked, or belongs to another data "
                "centre. Create a new one, see docs/zoho.md."
            )
        if error or not body.get("access_token"):
            raise ConnectorError(f"{where} refused the token request ({str(error)[:40]}): see docs/zoho.md.")
        api_domain = str(body.get("api_domain") or "").rstrip("/")
        if insecure_url(api_domain):
            raise ConnectorError(
                f"{where} named no secure address for the CRM API; the portal sends nothing there."
            )
        expires_in = float(body.get("expires_in") or 3600)
        self._token = str(body["access_token"])
        self._scopes = str(body.get("scope") or "")
        self._expires = time.monotonic() + expires_in - min(60.0, expires_in / 10)
        self._api = api_domain + "/crm/v8"
        log.info("zoho connector: access token refreshed (data centre .%s)", self.data_centre)

    def _call(
        self,
        method: str,
        path: str,
        params: Mapping[str, str] | None = None,
        *,
        json_body: Any = None,
        scope: tuple[str, str],
        per_record: bool = False,
    ) -> tuple[int, Any]:
        """One API call with a fresh token; 401 INVALID_TOKEN refreshes once; 429 waits as the headers say; and
        when the last answer said few calls remain, it first waits for the limit to reset."""
        self._ensure_token()
        refreshed = False
        waits = 0
        while True:
            self._wait_for_quota()
            try:
                response = self._http.request(
                    method, self._api + path, params=params, json=json_body,
                    headers={"Authorization": f"Zoho-oauthtoken {self._token}"},
                )  # fmt: skip
            except httpx.TimeoutException:
                raise ConnectorError("Zoho CRM did not answer in time. The portal tries again later.",
                                     transient=True) from None  # fmt: skip
            except httpx.HTTPError:
                raise ConnectorError(
                    "Could not reach Zoho CRM. The portal tries again later.", transient=True
                ) from None
            self.requests += 1
            status = response.status_code
            if status != 429:
                self._note_quota(response.headers)
            body: Any = None
            if status != 204 and response.content:
                try:
                    body = response.json()
                except ValueError:
                    body = None
            code = body.get("code") if isinstance(body, dict) else None
            if status == 401 and code == "INVALID_TOKEN" and not refreshed:
                refreshed = True
                self._refresh()
                continue
            if status == 429:
                wait = self._wait_for(response.headers, waits)
                if wait is None or waits >= RATE_RETRIES:
                    raise ConnectorError(
                        "Zoho's API limit for this account is reached (too many requests or no API credits "
                        "left). The portal tries again later.",
                        transient=True,
                    )
                waits += 1
                log.info("zoho connector: rate limited, waiting %.1f s", wait)
                self.sleep(wait)
                continue
            if status < 300 or (per_record and status in (207, 400) and isinstance(body, dict)
                                and any(isinstance(body.get(k), list) for k in ("data", "recycle_bin"))):  # fmt: skip
                return status, body
            raise self._error(status, code, scope)

    def _wait_for(self, headers: httpx.Headers, attempt: int) -> float | None:
        """Seconds to wait after a 429: Retry-After, else X-RATELIMIT-RESET (epoch milliseconds), else a backoff
        (Zoho's "API Limits" page documents the 429 and the limits, not a header promising when to retry).
        None when the wait is longer than we will block a worker for."""
        retry_after = headers.get("Retry-After", "").strip()
        wait = float(retry_after) if retry_after.isdigit() else _reset_in(headers)
        if wait is None:
            wait = float(2 ** (attempt + 1))
        return wait if wait <= self.max_wait else None

    def _note_quota(self, headers: httpx.Headers) -> None:
        """X-RATELIMIT-REMAINING (of X-RATELIMIT-LIMIT), read as after a 429 and as undocumented: when few calls
        remain, the next call waits for X-RATELIMIT-RESET rather than run into a 429 and take the account's last
        credits from its other integrations. Without a reset time there is nothing to wait for: the 429 path
        then deals with it."""
        remaining = _header_int(headers, "X-RATELIMIT-REMAINING")
        if remaining is None:
            return
        limit = _header_int(headers, "X-RATELIMIT-LIMIT") or 0
        if remaining > max(LOW_REMAINING_CALLS, limit * LOW_REMAINING_SHARE):
            return
        wait = _reset_in(headers)
        if wait is not None:
            self._resume_at = time.monotonic() + wait

    def _wait_for_quota(self) -> None:
        """Before a call: the wait `_note_quota` asked for, bounded as a 429's is (longer, and the run is retried
        later instead of blocking a worker)."""
        if self._resume_at is None:
            return
        wait = self._resume_at - time.monotonic()
        if wait > self.max_wait:
            raise ConnectorError(
                "Zoho's API limit for this account is nearly used up and resets later than the portal waits. "
                "The portal tries again later.",
                transient=True,
            )
        self._resume_at = None
        if wait > 0:
            log.info("zoho connector: few API calls left, waiting %.1f s for the limit to reset", wait)
            self.sleep(wait)

    def _error(self, status: int, code: str | None, scope: tuple[str, str]) -> ConnectorError:
        if status == 401 and code == "OAUTH_SCOPE_MISMATCH":
            return ConnectorError(
                f"The refresh token lacks the scope {scope_name(*scope)}: generate a new one with the scopes "
                "docs/zoho.md lists."
            )
        if status == 401:
            return ConnectorError(
                "Zoho refused the access token even after a refresh: check that the refresh token belongs to this "
                "data centre and was not revoked, see docs/zoho.md."
            )
        if code == "INVALID_MODULE":
            return ConnectorError(
                "Zoho does not know one of the modules in the settings: check their API names."
            )
        if status >= 500:
            return ConnectorError(f"Zoho CRM had an error (HTTP {status}). The portal tries again later.",
                                  transient=True)  # fmt: skip
        if status == 403 or code in ("NO_PERMISSION", "AUTHORIZATION_FAILED"):
            return ConnectorError(
                f"The Zoho user behind the token may not do this ({code or status}): give their profile the "
                "permission, or use an administrator's token."
            )
        return ConnectorError(f"Zoho CRM refused the request (HTTP {status}, {code or 'no code'}).")

    def _guard(self, doing: str, work: Callable[[], T]) -> T:
        try:
            return work()
        except ConnectorError as error:
            log.warning("zoho connector: %s failed: %s", doing, error.message)
            raise
