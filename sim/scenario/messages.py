"""Pydantic's validation errors as one-line problems a modeller can act on: the field as
written in TOML, and the reason in words (``must be a number, got 'high'``)."""

from __future__ import annotations

import datetime
import re
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from sim.scenario.errors import ECHO_LIMIT, Problem, cut, field_path
from sim.scenario.finance import REMOVED_FIELDS
from sim.scenario.toml_text import type_name

#: Pydantic labels for the branches of a union (``float``, ``constrained-float``,
#: ``literal['overall']``, ``function-after[_month(), str]``, ...): not field names.
_BRANCH_LABEL = re.compile(
    r"^(float|int|str|bool|none|constrained-\w+|(literal|function-\w+|nullable|list|dict)\[.*\])$"
)
#: Error types meaning "the value is not of this type" (rather than "out of bounds").
_TYPE_ERRORS = {
    "float_type": "a number",
    "float_parsing": "a number",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "string_type": "a string",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
}


def shown(value: Any) -> str:
    """A parsed TOML value as a message echoes it (``true``, ``'text'``, ``2027-04-01``): a
    table or list by its type, and a long text or number cut, saying how long it was."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
        return str(int(value))  # 1e12 reads as 1000000000000, not 1000000000000.0
    if isinstance(value, str) and len(value) > ECHO_LIMIT:
        return f"{value[:ECHO_LIMIT] + '…'!r} ({len(value):,} characters)"
    if isinstance(value, int | float | str):
        return cut(repr(value))  # repr escapes line breaks and control characters
    if isinstance(value, datetime.date | datetime.time):
        return f"the date {value.isoformat()}"
    return type_name(value)


def _expected(err: ErrorDetails) -> str | None:
    """What a type error wanted (``a number``, ``'overall'``), or None for other errors."""
    if err["type"] == "literal_error":
        return str((err.get("ctx") or {}).get("expected"))
    return _TYPE_ERRORS.get(err["type"])


def _reason(err: ErrorDetails) -> str:
    """Translate a pydantic error into the project's wording."""
    kind = err["type"]
    ctx = err.get("ctx", {}) or {}
    got = shown(err.get("input"))
    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        return "unknown field (check the spelling)"
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        op = {
            "greater_than": ">",
            "greater_than_equal": ">=",
            "less_than": "<",
            "less_than_equal": "<=",
        }[kind]
        limit = shown(next(iter(ctx.values())))
        return f"must be {op} {limit}, got {got}"
    if kind in _TYPE_ERRORS:
        return f"must be {_TYPE_ERRORS[kind]}, got {got}"
    if kind in ("list_type", "model_type", "dict_type", "model_attributes_type"):
        want = "a list" if kind == "list_type" else "a table"
        return f"must be {want}, got {type_name(err.get('input'))}"
    if kind == "literal_error":
        expected = str(ctx.get("expected"))
        one_of = "one of " if "," in expected or " or " in expected else ""
        return f"must be {one_of}{expected}, got {got}"
    if kind in ("too_short", "too_long"):
        bound = "at least" if kind == "too_short" else "at most"
        n = ctx.get("min_length" if kind == "too_short" else "max_length")
        return f"must have {bound} {n} item(s), got {ctx.get('actual_length')}"
    if kind == "string_too_short":
        return "must not be empty"
    if kind == "string_too_long":
        return f"must be at most {ctx.get('max_length')} characters long"
    if kind == "string_pattern_mismatch":
        return f"must match {ctx.get('pattern')}, got {got}"
    if kind == "month":
        # The custom error's template uses {got!r}, which pydantic does not format.
        return f"must be a month like '2027-04', got {shown(ctx.get('got'))}"
    return str(err["msg"]).splitlines()[0]


def _field(loc: tuple[int | str, ...]) -> tuple[str, bool]:
    """A location as a field path without union-branch labels, and whether it had any."""
    kept: list[int | str] = []
    branch = False
    for i, part in enumerate(loc):
        if part == "[key]":  # the previous part is a dictionary key that is itself invalid
            continue
        is_key = i + 1 < len(loc) and loc[i + 1] == "[key]"
        if isinstance(part, str) and not is_key and _BRANCH_LABEL.match(part):
            branch = True
            continue
        kept.append(part)
    return field_path(tuple(kept)), branch


def problems_of(exc: ValidationError) -> list[Problem]:
    """One problem per field: the branches of a union (a number or 'overall') give one line."""
    groups: dict[str, list[ErrorDetails]] = {}
    unions: set[str] = set()
    for err in exc.errors():
        path, branch = _field(tuple(err["loc"]))
        groups.setdefault(path, []).append(err)
        if branch:
            unions.add(path)
    out = []
    for path, errs in groups.items():
        if path in unions and len(errs) > 1:
            # A branch whose type matched failed a bound: that is the relevant message.
            bounded = [e for e in errs if _expected(e) is None]
            if bounded:
                out.append(Problem(path, _reason(bounded[0])))
                continue
            wanted = " or ".join(dict.fromkeys(str(_expected(e)) for e in errs))
            out.append(Problem(path, f"must be {wanted}, got {shown(errs[0].get('input'))}"))
        elif (
            errs[0]["type"] == "extra_forbidden" and re.sub(r"\[\d+\]", "", path) in REMOVED_FIELDS
        ):
            # A field of the first version that has gone: say what to write instead.
            out.append(Problem(path, REMOVED_FIELDS[re.sub(r"\[\d+\]", "", path)]))
        else:
            out.append(Problem(path, _reason(errs[0])))
    return out
