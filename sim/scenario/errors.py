"""Errors raised for invalid scenario input, each one line: file, field path, reason.

Every part of a line may come from the input (a file name, a key, a value), so each is made
safe to print: cut to a readable length and with line breaks, terminal escape codes and
other invisible characters written as escapes, so that one problem stays one line and the
terminal shows what the file holds rather than obeying it.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Most characters of a value or key echoed in a message; a longer one is cut, with its length.
ECHO_LIMIT = 60
#: Most characters of a file name in a message; a longer one keeps its start and its end.
PATH_LIMIT = 160
_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def printable(text: str) -> str:
    """``text`` with every character a terminal would not show as itself written as an
    escape (``\\n``, ``\\x1b``, ``\\u202e``): control, format and separator characters."""
    if text.isprintable():
        return text
    out = []
    for c in text:
        if c.isprintable():
            out.append(c)
        elif c in _ESCAPES:
            out.append(_ESCAPES[c])
        else:
            code = ord(c)
            out.append(
                f"\\x{code:02x}"
                if code < 0x100
                else f"\\u{code:04x}"
                if code < 0x10000
                else f"\\U{code:08x}"
            )
    return "".join(out)


def cut(text: str, limit: int = ECHO_LIMIT) -> str:
    """``text`` cut to ``limit`` characters, ending ``…`` and saying how long it was."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text):,} characters)"


def echo(text: str, limit: int = ECHO_LIMIT) -> str:
    """Input text as a message shows it: cut to ``limit`` characters and printable."""
    return printable(cut(text, limit))


def echo_path(text: str) -> str:
    """A file name as a message shows it: its start and end if it is long, printable."""
    if len(text) > PATH_LIMIT:
        half = PATH_LIMIT // 2
        text = f"{text[:half]}…{text[-half:]}"
    return printable(text)


@dataclass(frozen=True)
class Problem:
    """One problem in a scenario: where it is (a field path) and why it is wrong."""

    field: str
    reason: str


class ScenarioError(Exception):
    """A scenario file (or dictionary) is invalid.

    ``str(error)`` gives one line per problem, each of the form
    ``scenarios/x.toml: ring_fences[2].min_share: must be between 0 and 1, got 1.4``.
    """

    def __init__(self, source: str, problems: list[Problem]) -> None:
        self.source = source
        self.problems = problems
        super().__init__(self.lines()[0] if problems else echo_path(source))

    @classmethod
    def at(cls, source: str, field: str, reason: str) -> ScenarioError:
        """An error of one problem: ``field`` of ``source`` is wrong for ``reason``."""
        return cls(source, [Problem(field, reason)])

    def lines(self) -> list[str]:
        """The error as one line per problem, each safe to print."""
        out = []
        for p in self.problems:
            where = f"{printable(p.field)}: " if p.field else ""
            out.append(f"{echo_path(self.source)}: {where}{printable(p.reason)}")
        return out

    def __str__(self) -> str:
        return "\n".join(self.lines())


def field_path(loc: tuple[int | str, ...]) -> str:
    """Render a location tuple as ``ring_fences[2].min_share`` (long keys cut, printable)."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + echo(part)
    return out
