"""Filters the packet report needs: rows are dicts keyed by column names that are not identifiers."""

from __future__ import annotations

import json
from typing import Any

from django import template

register = template.Library()


@register.filter
def get_item(row: dict[str, Any], key: str) -> Any:
    value = row.get(key)
    # Nested JSON values are shown as JSON text, not as a Python repr.
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return value
