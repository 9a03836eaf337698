"""How numbers are shown to people: the one set of formatters and the one fixed-width table.

The CLI, the report and the app all show a measure's value through :func:`value`, so a
share reads ``12.32%`` and money ``£162.6m`` wherever it appears. Values that are not
finite read ``n/a``; a value that rounds to zero never reads ``-0``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence


def number(x: float, decimals: int = 1) -> str:
    """``1,234.5``-style; never ``-0``; ``n/a`` when not finite."""
    if not math.isfinite(x):
        return "n/a"
    text = f"{x:,.{decimals}f}"
    if text.lstrip("-").strip("0.,") == "":
        text = text.lstrip("-")
    return text


def percent(fraction: float, decimals: int = 1) -> str:
    """A fraction as a percentage: ``0.1232`` -> ``12.3%``."""
    return "n/a" if not math.isfinite(fraction) else number(100 * fraction, decimals) + "%"


def pounds_m(x: float, decimals: int = 1) -> str:
    """Money in £ million: ``162.6`` -> ``£162.6m``, ``-3`` -> ``-£3.0m``."""
    if not math.isfinite(x):
        return "n/a"
    text = number(abs(x), decimals)
    return f"{'-' if x < 0 and text.strip('0.,') else ''}£{text}m"


#: The unit of a growth rate (``real_growth``).
RATE = "fraction a year"


def value(x: float, unit: str) -> str:
    """A measure's value in its unit (``fraction``, ``£m``, ``times``, ``meetings``)."""
    if unit == "fraction":
        return percent(x, 2)
    if unit == RATE:
        return f"{percent(x, 2)} a year"
    if unit == "£m":
        return pounds_m(x)
    if unit in ("times", "meetings"):
        return number(x, 1)
    return number(x, 3)


def plain(x: float, unit: str) -> str:
    """A measure's value for a fixed-width terminal table: no £ or %, more digits for
    fractions (so columns of one unit line up and can be pasted into a spreadsheet)."""
    return number(x, 4) if unit in ("fraction", RATE) else number(x, 1)


def span(low: float, high: float, unit: str) -> str:
    """A range for a fixed-width table, ``low to high`` (:func:`plain` each end)."""
    return f"{plain(low, unit)} to {plain(high, unit)}"


def delta(x: float, unit: str) -> str:
    """A signed change in a measure's unit: ``+0.52 pts``, ``-£3.1m``, ``+1.0``."""
    if not math.isfinite(x):
        return "n/a"
    if unit in ("fraction", RATE):
        text = number(abs(x) * 100, 2)
        return f"{'-' if x < 0 and text.strip('0.') else '+'}{text} pts"
    if unit == "£m":
        text = pounds_m(abs(x))
        return ("-" if x < 0 and text.strip("£m0.,") else "+") + text
    text = number(abs(x), 1)
    return f"{'-' if x < 0 and text.strip('0.,') else '+'}{text}"


#: Each unit of ``summary.csv`` in the words a reader sees (never ``fraction``).
UNIT_WORDS: dict[str, str] = {
    "fraction": "%",
    RATE: "% a year",
    "£m": "£ million",
    "times": "times",
    "meetings": "meetings",
}


def size(x: float, unit: str) -> str:
    """The size of a change, without its sign: ``1.40 points``, ``£75.2m``, ``3.0 times``."""
    if not math.isfinite(x):
        return "n/a"
    if unit == "fraction":
        return f"{number(abs(x) * 100, 2)} points"
    if unit == RATE:
        return f"{number(abs(x) * 100, 2)} points a year"
    if unit == "£m":
        return pounds_m(abs(x))
    if unit in ("times", "meetings"):
        return f"{number(abs(x), 1)} {unit}"
    return number(abs(x), 3)


def count(n: int, noun: str) -> str:
    """``1 replication``, ``2,000 replications``."""
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], right: Sequence[bool]) -> str:
    """A fixed-width text table: a header, a rule, then the rows.

    Args:
        headers: column headings.
        rows: cells, already formatted as text, one sequence per row.
        right: per column, whether it is right-aligned (numbers) or left-aligned (names).
    """
    widths = [max([len(h), *(len(r[j]) for r in rows)]) for j, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        parts = [
            c.rjust(w) if r else c.ljust(w) for c, w, r in zip(cells, widths, right, strict=True)
        ]
        return "  ".join(parts).rstrip()

    head = line(headers)
    return "\n".join([head, "-" * len(head), *(line(r) for r in rows)])
