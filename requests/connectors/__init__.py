"""Connectors: the portal's hands in the company's systems (DESIGN §13).

    connector = build("sql", settings, credentials)
    found = connector.find(Subject(email="ada@example.org"))
    plan = connector.plan_erasure(found)          # the dry run, for the DPO's approval
    result = connector.erase(plan)                # per record: deleted, anonymised, kept and why

`build` knows the kinds in KINDS; `base` holds the protocol and the results, `dataset` the SQL connector's
dataset description. Connectors import no Django and no case logic: a service records what they return.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from requests.connectors.base import (
    CAPABILITIES,
    ConnectionCheck,
    Connector,
    ConnectorError,
    DatasetError,
    ErasurePlan,
    Export,
    Found,
    Outcome,
    RecordRef,
    Result,
    Step,
    Subject,
)
from requests.connectors.dataset import parse as parse_dataset
from requests.connectors.sql import SqlConnector
from requests.connectors.zoho import ZohoConnector

Factory = Callable[[Mapping[str, Any], Mapping[str, Any]], Connector]
# Connector kinds by the name a CompanySystem stores.
KINDS: dict[str, Factory] = {"sql": SqlConnector.from_settings, "zoho": ZohoConnector.from_settings}


def build(kind: str, settings: Mapping[str, Any], credentials: Mapping[str, Any]) -> Connector:
    """The connector for one system: `settings` as the admin stores them, `credentials` decrypted."""
    if kind not in KINDS:
        raise ConnectorError(f"Unknown connector kind '{kind}' (known: {', '.join(sorted(KINDS))}).")
    return KINDS[kind](settings, credentials)


__all__ = [
    "CAPABILITIES", "KINDS", "ConnectionCheck", "Connector", "ConnectorError", "DatasetError", "ErasurePlan",
    "Export", "Found", "Outcome", "RecordRef", "Result", "SqlConnector", "Step", "Subject", "ZohoConnector",
    "build",
    "parse_dataset",
]  # fmt: skip
