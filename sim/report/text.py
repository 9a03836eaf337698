"""The report's figures and words: numbers as shown (through :mod:`sim.units.display`),
measure labels (from :data:`sim.analysis.measures.REGISTRY`), variant names, periods, board
sizes and ring-fence rules in words.

Everything here returns plain text, except :func:`name_html`, which returns escaped
:class:`markupsafe.Markup` (the template escapes everything else).
"""

from __future__ import annotations

import math
import re
from html import escape
from typing import Any

from markupsafe import Markup

from sim.analysis.measures import REGISTRY, SCOPE_LABELS
from sim.analysis.summary import SummaryRow
from sim.report.variant import Variant
from sim.units import display
from sim.units.calendar import Calendar

#: The unit of a measure in the comparison table's headings.
UNIT_WORDS = {
    "fraction": "share",
    display.RATE: "%",
    "£m": "£m",
    "times": "times",
    "meetings": "meetings",
}


def label(measure: str) -> str:
    """A measure's label (the registry's), or its name if the registry lacks it."""
    info = REGISTRY.get(measure)
    return info.label if info is not None else measure


def what(measure: str) -> str:
    """What a measure's number is, for a table heading: ``£m, summed over the horizon``."""
    info = REGISTRY.get(measure)
    if info is None:
        return ""
    join = " " if info.unit == display.RATE else ", "  # "% a year, first to last year"
    return f"{UNIT_WORDS.get(info.unit, info.unit)}{join}{SCOPE_LABELS[info.scope]}"


def value(x: float, unit: str, short: bool = False) -> str:
    """A measure's value as shown: ``12.32%``, ``£162.6m``, ``3.0`` (:func:`display.value`).

    ``short``: a growth rate without its ``a year`` (``-0.32%``), for a table whose caption
    says it is a year.
    """
    if short and unit == display.RATE:
        return display.percent(x, 2)
    return display.value(x, unit)


def ci(row: SummaryRow, short: bool = False) -> str:
    """The 95% confidence interval of the mean, ``low to high`` (``short``: as :func:`value`)."""
    if row.n < 2 or not (math.isfinite(row.ci95_low) and math.isfinite(row.ci95_high)):
        return "n/a (1 replication)" if row.n < 2 else "n/a"
    return f"{value(row.ci95_low, row.unit, short)} to {value(row.ci95_high, row.unit, short)}"


def spread(row: SummaryRow) -> str:
    """The 5th to 95th percentile over replications, ``low to high``."""
    return f"{value(row.p05, row.unit)} to {value(row.p95, row.unit)}"


def name_html(name: str) -> Markup:
    """A variant name as HTML that may break after ``_``, ``.`` and ``-`` (sweep variants
    have long names)."""
    return Markup(re.sub(r"([_-]+|\.(?!\d))", r"\1<wbr>", escape(name)))


def slug(name: str, taken: set[str]) -> str:
    """An ``id`` for a variant's section, unique among ``taken`` (which it joins)."""
    base = "v-" + (re.sub(r"[^A-Za-z0-9_-]+", "-", name).strip("-") or "variant")
    out, k = base, 2
    while out in taken:
        out, k = f"{base}-{k}", k + 1
    taken.add(out)
    return out


def years_label(v: Variant, short: bool = False) -> str:
    """The horizon in financial years: ``2025/26 to 2029/30 (5 years)``."""
    cal = Calendar(v.bands.start_year, v.years)
    first, last = cal.financial_year(0), cal.financial_year(v.years - 1)
    span = first if v.years == 1 else f"{first} to {last}"
    return span if short else f"{span} ({display.count(v.years, 'year')})"


def board_size(v: Variant) -> str:
    """Members of the first board composition, and how often it changes."""
    periods = v.compositions()
    if not periods:
        return ""
    first = sum(1 for r in v.power if r.from_period == periods[0] and r.level == "member")
    text = f"{first} members"
    if len(periods) > 1:
        text += f", {display.count(len(periods) - 1, 'change')}"
    return text


def describe_rule(rule: dict[str, Any]) -> str:
    """A ring-fence rule in words, from the resolved scenario."""
    kind_name = str(rule.get("kind") or "").replace("_", " ")
    target = rule.get("sector") or (f"{kind_name} sectors" if kind_name else "")
    kind = rule.get("rule", "")
    if kind == "min_share" and isinstance(rule.get("min_share"), int | float):
        text = f"{target}: at least {100 * rule['min_share']:g}% of the allocation"
    elif kind == "min_growth":
        growth = rule.get("growth")
        text = (
            f"{target}: grows at least as fast as the allocation"
            if growth == "overall"
            else f"{target}: grows at least {100 * float(growth or 0):g}% a year"
        )
    elif kind == "no_transfers_out":
        text = f"no in-year transfers out of {target}"
    elif kind == "cap_transfers_out" and isinstance(rule.get("cap"), int | float):
        text = f"in-year transfers out of {target} at most {100 * rule['cap']:g}% of the budget"
    elif kind == "real_terms_floor":
        text = f"{target}: grows at least with inflation"
    else:
        text = f"{kind} on {target}".strip()
    if rule.get("place", "all") != "all":
        text += f", in {rule['place']}"
    start, until = rule.get("from"), rule.get("until")
    if start and until:
        text += f", {start} to {until}"
    elif start:
        text += f", from {start}"
    elif until:
        text += f", until {until}"
    return text


def rule_descriptions(v: Variant) -> dict[str, str]:
    """Each ring-fence rule of a variant's scenario, by name, in words."""
    rules = v.scenario.get("ring_fences") or []
    return {
        str(r.get("name")): describe_rule(r)
        for r in rules
        if isinstance(r, dict) and r.get("name") is not None
    }
