"""The assumptions log: every default the model relies on, with its source or the word
ASSUMPTION, read from the one table that holds them, in ``docs/model.md``.

``docs/model.md`` section 11 ("Assumptions and limitations") is the project's table of every
default with its source; section 12 ("Sources") says what each tag (``[HNY]``) stands for.
The board pack shows both from here, so the log a board reads is the table the modellers
keep, never a copy that drifts from it. The repository ships ``docs/`` beside ``sim/`` and
the app and the CLI run from the repository, so the file is read where it lies;
:class:`AssumptionsError` says so plainly when it is not there or its tables cannot be read.

:func:`assumptions_log` is the log as the board pack shows it: grouped, with the sources
it cites, each tag linked to its reference. The modellers' text is made plain on the way (:func:`plain`): code spans lose their
backticks and underscores, links keep their words, and a bracket of only file names or
commands is left out, since a board reader cannot use them.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from markupsafe import Markup, escape

from sim.scenario.format import Scenario

#: The model reference, in the repository beside the package.
MODEL_DOC = Path(__file__).resolve().parents[2] / "docs" / "model.md"
#: The headings of the two sections read.
TABLE_HEADING = "## 11. Assumptions and limitations"
SOURCES_HEADING = "## 12. Sources"
#: The word that marks a value the modellers chose rather than took from a source.
ASSUMPTION = "ASSUMPTION"
#: A source tag: ``[HNY]``, ``[NHSE-ALLOC]``, ``[CBP10031]``.
TAG = re.compile(r"\[([A-Z][A-Z0-9-]*)\]")
#: The groups the log is shown in: each group's name and the assumption that opens it
#: (rows follow in the table's order, so a row added later joins the group above it).
GROUPS: tuple[tuple[str, str], ...] = (
    ("Money coming in", "First-year allocation"),
    ("How the money is split", "Sector shares"),
    ("The annual plan and the board's say in it", "Cost-improvement target"),
    ("Need and spill-over to hospitals", "Need levels"),
    ("In-year financial management", "In-year model"),
    ("Deficits", "Deficit regimes"),
    ("The board", "Board composition"),
    ("Places, pooled money and ring-fences", "Delegated places, pooled money"),
)
#: Words that mark a row that applies only under the alternative in-year model.
BOARD_VOTE_ONLY = re.compile(r"board-vote", re.IGNORECASE)


class AssumptionsError(RuntimeError):
    """The assumptions table of ``docs/model.md`` is missing or cannot be read."""


@dataclass(frozen=True)
class Assumption:
    """One row of the log: what is assumed, its default, and its source."""

    group: str
    name: str
    default: str
    #: The source in words, with its tags (``[HNY]``), or the word ASSUMPTION.
    source: str

    @property
    def assumed(self) -> bool:
        """Whether the modellers chose the value (wholly or in part)."""
        return ASSUMPTION in self.source

    @property
    def tags(self) -> list[str]:
        """The source tags the row cites, in order."""
        return list(dict.fromkeys(TAG.findall(self.source)))

    @property
    def board_vote_only(self) -> bool:
        """Whether the row applies only under the board's vote on in-year transfers."""
        return bool(BOARD_VOTE_ONLY.search(self.name))


@dataclass(frozen=True)
class Source:
    """One reference of section 12: its tag and what it is."""

    tag: str
    text: str


# A bracket holding only code spans (file names, commands) and joining words.
_CODE_ONLY = re.compile(r"\s*\((?:\s*`[^`]*`\s*(?:,|;|and|or|in)?)+\s*\)")
_CODE = re.compile(r"`([^`]*)`")
_LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)")
_BOLD = re.compile(r"\*\*([^*]+)\*\*")
#: A field's name written bare (``need_ratio``).
_SNAKE = re.compile(r"\b[a-z]+(?:_[a-z]+)+\b")


def _code(m: re.Match[str]) -> str:
    text = m.group(1)
    # A name of the format reads as words; a path or a formula is kept as written.
    return text.replace("_", " ") if re.fullmatch(r"[A-Za-z0-9_.]+", text) else text


def _link(m: re.Match[str]) -> str:
    text, target = m.group(1), m.group(2)
    # A link to another page of the documentation is named as the file a reader can open.
    if target.endswith(".md") and "/" not in target and "://" not in target:
        return f"docs/{target}"
    return text


def _drop_files(m: re.Match[str]) -> str:
    # Only a bracket of file names or commands goes; one naming a field reads as words.
    spans = _CODE.findall(m.group(0))
    return "" if all(re.search(r"[/. ]", s) for s in spans) else m.group(0)


def plain(markdown: str) -> str:
    """A cell of the model reference as plain text (see the module's docstring)."""
    text = _CODE_ONLY.sub(_drop_files, markdown)
    text = _LINK.sub(_link, text)
    text = _CODE.sub(_code, text)
    text = _BOLD.sub(r"\1", text)
    text = _SNAKE.sub(lambda m: m.group(0).replace("_", " "), text)
    # Tags written together (``[SPLIT][CBP10031]``) read apart.
    text = re.sub(r"\]\[", "] [", text)
    return re.sub(r"\s+", " ", text).strip()


def _section(text: str, heading: str) -> list[str]:
    """The lines of a ``## `` section, without its heading."""
    lines = text.splitlines()
    try:
        start = lines.index(heading)
    except ValueError:
        raise AssumptionsError(f"{MODEL_DOC.name} has no section {heading!r}") from None
    out = []
    for line in lines[start + 1 :]:
        if line.startswith("## ") or line.strip() == "---":
            break
        out.append(line)
    return out


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def table_lines(text: str) -> list[str]:
    """The body rows of the first table of section 11, as written (header and rule left
    out): what :func:`parse_assumptions` turns into rows, counted apart by the tests."""
    lines = _section(text, TABLE_HEADING)
    first = next((i for i, line in enumerate(lines) if line.startswith("|")), None)
    if first is None:
        raise AssumptionsError(f"{MODEL_DOC.name} section 11 has no table")
    rows = []
    for line in lines[first:]:
        if not line.startswith("|"):
            break
        rows.append(line)
    return rows[2:]


def parse_assumptions(text: str) -> list[Assumption]:
    """Every row of the assumptions table, in its groups (:data:`GROUPS`)."""
    openers = {name: group for group, name in GROUPS}
    group = GROUPS[0][0]
    out = []
    for line in table_lines(text):
        cells = _cells(line)
        if len(cells) < 3:
            raise AssumptionsError(f"{MODEL_DOC.name} section 11: a row has too few cells")
        name = plain(cells[0])
        group = openers.get(name, group)
        out.append(Assumption(group, name, plain(cells[1]), plain(cells[2])))
    return out


def parse_sources(text: str) -> dict[str, Source]:
    """The references of section 12 by tag (an item may run over several lines)."""
    items: list[str] = []
    for line in _section(text, SOURCES_HEADING):
        if line.startswith("- "):
            items.append(line[2:])
        elif line.startswith("  ") and items:
            items[-1] += " " + line.strip()
    out = {}
    for item in items:
        m = re.match(r"\*\*\[([A-Z][A-Z0-9-]*)\]\*\*\s*(.*)", item)
        if m:
            out[m.group(1)] = Source(m.group(1), plain(m.group(2)))
    return out


@functools.cache
def _read() -> str:
    try:
        return MODEL_DOC.read_text(encoding="utf-8")
    except OSError as exc:
        raise AssumptionsError(
            f"the model reference {MODEL_DOC} cannot be read ({exc.strerror}); the assumptions "
            "log is read from the repository's docs/ folder"
        ) from exc


def assumptions() -> list[Assumption]:
    """The assumptions log of ``docs/model.md``."""
    return parse_assumptions(_read())


def sources() -> dict[str, Source]:
    """The references of ``docs/model.md`` by tag."""
    return parse_sources(_read())


def cited(rows: list[Assumption], refs: dict[str, Source]) -> list[Source]:
    """The references the rows cite, and those they cite in turn, in the rows' order."""
    order = [t for r in rows for t in r.tags]
    seen: list[str] = []
    while order:
        tag = order.pop(0)
        if tag in seen or tag not in refs:
            continue
        seen.append(tag)
        order += TAG.findall(refs[tag].text)
    return [refs[t] for t in seen]


def _cite(text: str, known: dict[str, Source]) -> Markup:
    """A source's words with each known tag linked to its reference below."""
    out = escape(text)
    linked = Markup(
        re.sub(
            r"\[([A-Z][A-Z0-9-]*)\]",
            lambda m: (
                f'<a class="nw" href="#source-{m.group(1)}">[{m.group(1)}]</a>'
                if m.group(1) in known
                else m.group(0)
            ),
            str(out),
        )
    )
    return Markup(re.sub(r"\bASSUMPTIONS?\b", r"<strong>\g<0></strong>", str(linked)))


def assumptions_log(sc: Scenario) -> dict[str, Any]:
    """The assumptions log grouped, with the references it cites (or why it cannot be read)."""
    try:
        rows, refs = assumptions(), sources()
    except AssumptionsError as exc:
        return {"error": str(exc), "groups": [], "sources": [], "left_out": ""}
    board_vote = sc.recovery.model == "board_vote"
    kept = [r for r in rows if board_vote or not r.board_vote_only]
    groups: dict[str, list[dict[str, Any]]] = {}
    for r in kept:
        groups.setdefault(r.group, []).append(
            {"name": r.name, "default": r.default, "source": _cite(r.source, refs)}
        )
    used = cited(kept, refs)
    return {
        "error": "",
        "groups": list(groups.items()),
        "sources": [{"tag": s.tag, "text": _cite(s.text, refs)} for s in used],
        "assumed": sum(r.assumed for r in kept),
        "total": len(kept),
        "left_out": ""
        if board_vote
        else "Defaults of the alternative in-year model (the board's vote on transfers) are "
        "left out: this scenario uses the recovery plan.",
    }
