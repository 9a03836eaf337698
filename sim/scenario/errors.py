"""Errors raised for invalid scenario input, each one line: file, field path, reason."""

from __future__ import annotations

from dataclasses import dataclass


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
        super().__init__(self.lines()[0] if problems else source)

    def lines(self) -> list[str]:
        """The error as one line per problem."""
        out = []
        for p in self.problems:
            where = f"{p.field}: " if p.field else ""
            out.append(f"{self.source}: {where}{p.reason}")
        return out

    def __str__(self) -> str:
        return "\n".join(self.lines())


def field_path(loc: tuple[int | str, ...]) -> str:
    """Render a location tuple as ``ring_fences[2].min_share``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + part
    return out
