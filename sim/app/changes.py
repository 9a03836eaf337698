"""The differences between two scenarios, field by field, as the app lists them.

``board.quorum: 0.5 -> 0.6``: one line per changed field, under "What you changed from the
file", in "Compare A and B" and at the head of the hand-off file (:mod:`sim.app.handoff`).
"""

from __future__ import annotations

from typing import Any

from sim.scenario.format import Scenario
from sim.scenario.toml_text import inline
from sim.store.writer import scenario_document


def _named(items: Any) -> bool:
    return isinstance(items, list) and all(isinstance(i, dict) and "name" in i for i in items)


def diff_documents(old: Any, new: Any, path: str = "") -> list[str]:
    """Field-by-field differences, one line each: ``board.quorum: 0.5 -> 0.6``.

    Tables are compared key by key (a missing table counts as empty); lists of named tables
    (sectors, places, members, ring-fences) item by item by name, with added and removed
    items named; other values as a whole. The top-level ``name`` is left out.
    """
    if isinstance(old, dict) or isinstance(new, dict):
        o = old if isinstance(old, dict) else {}
        n = new if isinstance(new, dict) else {}
        lines: list[str] = []
        for key in [*o, *(k for k in n if k not in o)]:
            if not path and key == "name":
                continue
            sub = f"{path}.{key}" if path else str(key)
            lines += diff_documents(o.get(key), n.get(key), sub)
        return lines
    if _named(old) and _named(new) and (old or new):
        return _diff_named(old, new, path)
    if old == new and type(old) is type(new):
        return []
    return [f"{path}: {inline(old)} -> {inline(new)}"]


def _diff_named(old: list[dict[str, Any]], new: list[dict[str, Any]], path: str) -> list[str]:
    by_name = {i["name"]: i for i in old}
    new_names = [i["name"] for i in new]
    lines: list[str] = []
    for i, item in enumerate(new):
        if item["name"] in by_name:
            lines += diff_documents(by_name[item["name"]], item, f"{path}[{i}]")
        else:
            rest = {k: v for k, v in item.items() if k != "name"}
            lines.append(f"{path}[{i}]: added {inline(item['name'])} {inline(rest)}")
    lines += [f"{path}: removed {inline(i['name'])}" for i in old if i["name"] not in new_names]
    kept_old = [i["name"] for i in old if i["name"] in new_names]
    kept_new = [n for n in new_names if n in by_name]
    if kept_old != kept_new:
        lines.append(f"{path}: order changed to {inline(kept_new)}")
    return lines


def scenario_changes(original: Scenario, scenario: Scenario) -> list[str]:
    """What the app changed, field by field (see :func:`diff_documents`)."""
    return diff_documents(scenario_document(original), scenario_document(scenario))
