"""Values as written in TOML: in full (``inline``, for the docs and the app's differences
between two scenarios) or by their type (``type_name``, for error messages, where a table or
list is named rather than echoed); and parsed documents: how deeply they nest, and how a
child file's document merges over its parent's."""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterable, Sequence
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


def too_deep(document: dict[str, Any], levels: int) -> str | None:
    """The top-level key under which arrays or tables nest more than ``levels`` deep, or None.

    Iterative, so that a document of any depth is measured without recursion: the code that
    reads a document further (merging, copying, validating) recurses, and is only given
    documents this check has passed.
    """
    stack: list[tuple[Any, str, int]] = [(v, k, 1) for k, v in document.items()]
    while stack:
        node, top, depth = stack.pop()
        if isinstance(node, dict):
            children: Iterable[Any] = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        if depth > levels:
            return top
        stack.extend((child, top, depth + 1) for child in children)
    return None


def deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Merge ``override`` into ``base``: tables merge key by key, everything else is replaced.

    Arrays (sectors, members, ring-fences) are replaced whole, so a child file states the
    complete list it wants rather than patching items by position.
    """
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def leaf_paths(data: dict[str, Any], prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """The key path of every value of ``data`` that is not a table (arrays are leaves, since
    :func:`deep_merge` replaces them whole)."""
    out = []
    for key, value in data.items():
        here = (*prefix, key)
        out += leaf_paths(value, here) if isinstance(value, dict) and value else [here]
    return out


def sets_path(data: dict[str, Any], keys: Sequence[str]) -> bool:
    """Whether merging ``data`` over a document replaces its value at the key path ``keys``:
    ``data`` has that path, or a value that is not a table above it."""
    node: Any = data
    for key in keys:
        if not isinstance(node, dict):
            return True
        if key not in node:
            return False
        node = node[key]
    return True
