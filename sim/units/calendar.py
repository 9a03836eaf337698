"""The financial calendar: months indexed from April of the first year, April-March years."""

from __future__ import annotations

import re
from dataclasses import dataclass

MONTH_PATTERN = re.compile(r"^(\d{4})-(\d{2})$")
#: A financial year label, ``2026/27``.
YEAR_PATTERN = re.compile(r"^(\d{4})/(\d{2})$")
MONTH_NAMES = ("Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec", "Jan", "Feb", "Mar")


def financial_year_start(label: str) -> int:
    """The calendar year in which a financial year starts: ``2026/27`` -> ``2026``."""
    m = YEAR_PATTERN.match(label)
    if not m:
        raise ValueError(f"must be a financial year like '2026/27', got {label!r}")
    return int(m.group(1))


def financial_year_label(first_year: int) -> str:
    """The financial year that starts in April of ``first_year``: ``2025`` -> ``2025/26``."""
    return f"{first_year}/{(first_year + 1) % 100:02d}"


@dataclass(frozen=True)
class Calendar:
    """Month ``0`` is April of ``start_year``; the horizon is ``years`` whole financial years."""

    start_year: int
    years: int

    @property
    def months(self) -> int:
        """Number of monthly steps in the horizon."""
        return 12 * self.years

    def month_index(self, text: str) -> int:
        """Index of a ``YYYY-MM`` month relative to April of the start year (may be outside)."""
        m = MONTH_PATTERN.match(text)
        if not m:
            raise ValueError(f"must be a month like '2027-04', got {text!r}")
        year, month = int(m.group(1)), int(m.group(2))
        if not 1 <= month <= 12:
            raise ValueError(f"must be a month like '2027-04', got {text!r}")
        return (year - self.start_year) * 12 + (month - 4)

    def label(self, month: int) -> str:
        """``YYYY-MM`` label of a month index."""
        calendar_month = (month + 3) % 12 + 1
        year = self.start_year + (month + 3) // 12
        return f"{year:04d}-{calendar_month:02d}"

    def financial_year(self, year_index: int) -> str:
        """Label such as ``2025/26`` for the ``year_index``-th financial year."""
        return financial_year_label(self.start_year + year_index)

    @property
    def last_month_label(self) -> str:
        """``YYYY-MM`` of the final month (a March)."""
        return self.label(self.months - 1)
