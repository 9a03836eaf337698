"""Values as written in TOML: in full (``inline``, for the docs and the app's differences
between two scenarios) or in short (``shown``, for error messages, where a table or list is
named by its type rather than echoed)."""

from __future__ import annotations

import datetime
import json
from typing import Any

#: How a field without a value reads.
NOT_SET = "(not set)"


def inline(value: Any) -> str:
    """A value as TOML would write it inline: ``"two_thirds"``, ``true``, ``0.13``,
    ``[1, 2]``, ``{a = 1}``; None (a field left out) as ``(not set)``."""
    if value is None:
        return NOT_SET
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(inline(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {inline(v)}" for k, v in value.items()) + "}"
    return str(value)


def type_name(value: Any) -> str:
    """The TOML name of a parsed value's type, for messages."""
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, datetime.date | datetime.time):
        return "a date"
    return type(value).__name__


def shown(value: Any) -> str:
    """A parsed TOML value as written in TOML (``true``, ``'text'``, ``2027-04-01``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
        return str(int(value))  # 1e12 reads as 1000000000000, not 1000000000000.0
    if isinstance(value, int | float | str):
        return repr(value)
    if isinstance(value, datetime.date | datetime.time):
        return f"the date {value.isoformat()}"
    return type_name(value)
