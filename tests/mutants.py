"""Hostile variations of the shipped scenarios, for the fuzz suite (tests/io/test_fuzz.py).

A :class:`Mutant` is one shipped scenario file with edits to its parsed document (fields
deleted, retyped or set to extremes, unknown keys, odd ``extends``, huge sweeps), sometimes
edits to the parent it extends, and edits to the written text (a byte-order mark, deep
nesting, truncation, stray bytes). :func:`write` lays it out in a folder with the odd
neighbours an ``extends`` may name: a folder, links, a foreign TOML file, a cycle.
"""

from __future__ import annotations

import copy
import os
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomli_w
from hypothesis import strategies as st

from tests.paths import SCENARIOS

#: Every shipped scenario, by file name, as text and as its parsed document.
SHIPPED = {p.name: p.read_text(encoding="utf-8") for p in sorted(SCENARIOS.glob("*.toml"))}
DOCUMENTS = {name: tomllib.loads(text) for name, text in SHIPPED.items()}
#: A value of a foreign file that must never reach a message.
SECRET = "secret-value-8d1f"
#: File names the mutant may have, with how a message must name each (escaped).
FILE_NAMES = {
    "mutant.toml": "mutant.toml",
    "m\x1b[31m.toml": "m\\x1b[31m.toml",
    "m\nx.toml": "m\\nx.toml",
    "café.toml": "café.toml",
}

Loc = tuple[str | int, ...]
#: One edit of a document: ("delete", loc), ("set", loc, value) or ("add", loc, key, value).
Edit = tuple[Any, ...]


@dataclass
class Mutant:
    base: str  # the shipped file it starts from
    file_name: str
    edits: list[Edit] = field(default_factory=list)
    parent_edits: list[Edit] = field(default_factory=list)
    text_edits: list[tuple[str, Any]] = field(default_factory=list)


def locations(doc: Any, here: Loc = ()) -> list[Loc]:
    """The location of every value in a document (tables' keys and arrays' indices)."""
    out: list[Loc] = []
    stack: list[tuple[Any, Loc]] = [(doc, here)]
    while stack:
        node, loc = stack.pop()
        items = (
            node.items()
            if isinstance(node, dict)
            else enumerate(node)
            if isinstance(node, list)
            else ()
        )
        for key, child in items:
            out.append((*loc, key))
            stack.append((child, (*loc, key)))
    return out


def tables(doc: dict[str, Any]) -> list[Loc]:
    return [()] + [loc for loc in locations(doc) if isinstance(_get(doc, loc), dict)]


def _get(doc: Any, loc: Loc) -> Any:
    for key in loc:
        doc = doc[key]
    return doc


def deep(levels: int) -> Any:
    value: Any = 1
    for _ in range(levels):
        value = [value]
    return value


ODD_STRINGS = st.sampled_from(
    [
        "",
        " ",
        "x" * 100_000,
        "\x1b[31mred\x1b[0m",
        "a\nb",
        "\u202egnp.exe",
        "2027-13",
        "\x00",
        "é" * 80,
    ]
)
SCALARS = st.one_of(
    st.sampled_from([0, -1, 1, 2**63 - 1, -(2**63), 10**18, 2**64]),
    st.integers(),
    st.sampled_from([float("nan"), float("inf"), -float("inf"), 1e308, -1e308, 5e-324, -0.0]),
    st.floats(),
    st.booleans(),
    st.text(max_size=30),
    ODD_STRINGS,
    st.dates(),
    st.times(),
)
VALUES = st.one_of(
    SCALARS,
    st.lists(SCALARS, max_size=4),
    st.dictionaries(st.text(max_size=8), SCALARS, max_size=4),
    st.integers(8, 30).map(deep),
)
KEYS = st.one_of(st.text(max_size=20), ODD_STRINGS, st.sampled_from(["extends", "sweep", "name"]))
EXTENDS = st.one_of(
    st.sampled_from(
        [
            "baseline.toml",
            "../baseline.toml",
            "sub/../baseline.toml",
            "missing.toml",
            "mutant.toml",
            "loop.toml",
            "/etc/passwd",
            "/dev/null",
            "",
            "..",
            "folder.toml",
            "a" * 300 + ".toml",
            "a\x00.toml",
            "link.toml",
            "notes.toml",
            "other.toml",
        ]
    ),
    st.text(max_size=20),
    SCALARS,
    st.lists(st.just("baseline.toml"), max_size=2),
)


@st.composite
def document_edits(draw: st.DrawFn, doc: dict[str, Any]) -> list[Edit]:
    """Up to three edits of ``doc``, each drawn against the document as edited so far."""
    doc = copy.deepcopy(doc)
    edits: list[Edit] = []
    for _ in range(draw(st.integers(0, 3))):
        kind = draw(st.sampled_from(["delete", "set", "set", "add", "extends", "sweep", "tweak"]))
        places = locations(doc)
        numbers = [p for p in places if type(_get(doc, p)) in (int, float)]
        if kind == "tweak" and numbers:
            # A number moved a little (often still valid): accepted mutants off the beaten track.
            loc = draw(st.sampled_from(numbers))
            old = _get(doc, loc)
            factor = draw(st.sampled_from([0, 0.5, 0.9, 1.1, 2]))
            edit: Edit = ("set", loc, type(old)(old * factor) if factor else old + 1)
        elif kind in ("delete", "set") and places:
            loc = draw(st.sampled_from(places))
            edit = ("delete", loc) if kind == "delete" else ("set", loc, draw(VALUES))
        elif kind == "extends":
            edit = ("add", (), "extends", draw(EXTENDS))
        elif kind == "sweep":
            edit = ("add", (), "sweep", draw(sweeps(places)))
        else:
            edit = ("add", draw(st.sampled_from(tables(doc))), draw(KEYS), draw(VALUES))
        apply(doc, [edit])
        edits.append(edit)
    return edits


@st.composite
def sweeps(draw: st.DrawFn, places: list[Loc]) -> Any:
    """A ``[sweep]`` table: small grids (which are validated) or huge ones (refused)."""
    paths = [".".join(str(k) if isinstance(k, str) else f"[{k}]" for k in loc) for loc in places]
    paths = [p.replace(".[", "[") for p in paths] or ["seed"]
    axes: dict[str, Any] = {}
    for _ in range(draw(st.integers(1, 3))):
        key = draw(st.sampled_from(paths) | KEYS)
        if draw(st.integers(0, 4)) == 0:
            axes[key] = list(range(draw(st.integers(1_000, 30_000))))  # a huge axis
        else:
            axes[key] = draw(st.lists(SCALARS, min_size=0, max_size=3))
    return axes if draw(st.integers(0, 9)) else draw(VALUES)  # now and then not a table


TEXT_EDITS = st.one_of(
    st.tuples(st.just("bom"), st.none()),
    st.tuples(st.just("nest"), st.integers(17, 3_000)),
    st.tuples(st.just("nest_tables"), st.integers(17, 1_000)),
    st.tuples(st.just("truncate"), st.floats(0, 1)),
    st.tuples(st.just("insert"), st.tuples(st.floats(0, 1), st.binary(min_size=1, max_size=8))),
)


@st.composite
def mutants(draw: st.DrawFn) -> Mutant:
    """A shipped scenario made hostile."""
    base = draw(st.sampled_from(sorted(SHIPPED)))
    mutant = Mutant(base, draw(st.sampled_from(sorted(FILE_NAMES))))
    mutant.edits = draw(document_edits(DOCUMENTS[base]))
    if base != "baseline.toml" and draw(st.integers(0, 4)) == 0:
        mutant.parent_edits = draw(document_edits(DOCUMENTS["baseline.toml"]))
    if draw(st.integers(0, 3)) == 0:
        mutant.text_edits = draw(st.lists(TEXT_EDITS, min_size=1, max_size=2))
    return mutant


def apply(doc: dict[str, Any], edits: list[Edit]) -> None:
    """Apply edits in place (an edit whose location has gone is skipped)."""
    for edit in edits:
        try:
            if edit[0] == "add":
                _get(doc, edit[1])[edit[2]] = edit[3]
                continue
            node, last = _get(doc, edit[1][:-1]), edit[1][-1]
            if edit[0] == "delete":
                del node[last]
            else:
                node[last] = edit[2]
        except (KeyError, IndexError, TypeError):
            continue


def text_of(
    doc: dict[str, Any], edits: list[Edit], text_edits: Sequence[tuple[str, Any]] = ()
) -> bytes:
    """A document edited and written as TOML, then its text edited."""
    doc = copy.deepcopy(doc)
    apply(doc, edits)
    data = tomli_w.dumps(doc).encode()
    for kind, arg in text_edits:
        if kind == "bom":
            data = b"\xef\xbb\xbf" + data
        elif kind == "nest":
            data += b"\nx = " + b"[" * arg + b"]" * arg + b"\n"
        elif kind == "nest_tables":
            data += b"\nx = " + b"{a = " * arg + b"1" + b"}" * arg + b"\n"
        elif kind == "truncate":
            data = data[: int(len(data) * arg)]
        else:
            at = int(len(data) * arg[0])
            data = data[:at] + arg[1] + data[at:]
    return data


def write(mutant: Mutant, folder: Path) -> Path:
    """Lay the mutant out in ``folder`` with the files an ``extends`` may name; its path."""
    (folder / "baseline.toml").write_bytes(text_of(DOCUMENTS["baseline.toml"], mutant.parent_edits))
    path = folder / mutant.file_name
    path.write_bytes(text_of(DOCUMENTS[mutant.base], mutant.edits, mutant.text_edits))
    (folder / "folder.toml").mkdir()
    (folder / "sub").mkdir()
    (folder / "notes.txt").write_text(f"seed = '{SECRET}'\n", encoding="utf-8")
    os.symlink(folder / "notes.txt", folder / "notes.toml")
    os.symlink(os.devnull, folder / "link.toml")
    (folder / "other.toml").write_text(
        f"seed = '{SECRET}'\n[tool.settings]\npassword = '{SECRET}'\n", encoding="utf-8"
    )
    (folder / "loop.toml").write_text(tomli_w.dumps({"extends": mutant.file_name}), "utf-8")
    return path
