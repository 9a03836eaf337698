"""The published figures in ``data/``: one reader, which checks every value has a source.

Each table is a CSV file with the columns of :data:`COLUMNS` (``data/README.md``). Nothing is
downloaded: the files ship with the project, and a figure without a source or a date is an
error, not a warning, so that no unsourced number can reach a calibration.
"""

from __future__ import annotations

import csv
import math
import re
from dataclasses import dataclass
from pathlib import Path

#: The data folder shipped with the project (beside ``sim/``).
DATA_DIR = Path(__file__).resolve().parents[2] / "data"
#: The columns every table has, in order.
COLUMNS = ("item", "year", "value", "unit", "source", "published", "url", "note")
UNITS = ("fraction a year", "fraction", "£m")
_YEAR = re.compile(r"^\d{4}/\d{2}(-\d{4}/\d{2})?$")
_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


class DataError(ValueError):
    """A data file that cannot be used: names the file, the row and the reason."""


@dataclass(frozen=True)
class Figure:
    """One published figure."""

    item: str
    year: str
    value: float
    unit: str
    source: str
    published: str
    url: str
    note: str


def read_table(name: str, data_dir: Path = DATA_DIR) -> list[Figure]:
    """Every figure of ``data_dir/history/NAME.csv``, checked (:class:`DataError` if not)."""
    return read_file(data_dir / "history" / f"{name}.csv")


def read_file(path: Path) -> list[Figure]:
    """Every figure of one table file, checked."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise DataError(f"{path}: cannot read ({exc.strerror or exc})") from None
    rows = list(csv.reader(text.splitlines()))
    if not rows or tuple(rows[0]) != COLUMNS:
        raise DataError(f"{path}: the header must be {','.join(COLUMNS)}")
    out: list[Figure] = []
    seen: set[tuple[str, str]] = set()
    for line, row in enumerate(rows[1:], start=2):
        if not row:
            continue
        where = f"{path}, line {line}"
        if len(row) != len(COLUMNS):
            raise DataError(f"{where}: {len(row)} fields, expected {len(COLUMNS)}")
        item, year, value, unit, source, published, url, note = (c.strip() for c in row)
        try:
            number = float(value)
        except ValueError:
            raise DataError(f"{where}: value must be a number, got {value!r}") from None
        problems = [
            ("item", not item, "is empty"),
            ("year", not _YEAR.match(year), "must be like 2022/23 or 2016/17-2022/23"),
            ("value", not math.isfinite(number), "must be finite"),
            ("unit", unit not in UNITS, f"must be one of {', '.join(UNITS)}"),
            ("source", not source, "is empty: every figure needs its source"),
            ("published", not _DATE.match(published), "must be a date, YYYY[-MM[-DD]]"),
            ("url", not url.startswith(("http://", "https://")), "must be a web address"),
        ]
        for column, bad, why in problems:
            if bad:
                raise DataError(f"{where}: {column} {why}")
        if (item, year) in seen:
            raise DataError(f"{where}: {item} {year} appears twice")
        seen.add((item, year))
        out.append(Figure(item, year, number, unit, source, published, url, note))
    if not out:
        raise DataError(f"{path}: no figures")
    return out


def tables(data_dir: Path = DATA_DIR) -> list[str]:
    """The names of the tables shipped in ``data_dir/history``."""
    return sorted(p.stem for p in (data_dir / "history").glob("*.csv"))


def figure(name: str, item: str, year: str | None = None, data_dir: Path = DATA_DIR) -> Figure:
    """One figure of a table, by item (and year, where the item has several)."""
    rows = [f for f in read_table(name, data_dir) if f.item == item]
    if year is not None:
        rows = [f for f in rows if f.year == year]
    if len(rows) != 1:
        what = item if year is None else f"{item} {year}"
        count = "no" if not rows else "several"
        raise DataError(f"{data_dir / 'history' / name}.csv: {count} figures for {what}")
    return rows[0]
