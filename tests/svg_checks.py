"""Checks of SVG text shared by the report's tests (tests/io) and the charts' (tests/unit)."""

from __future__ import annotations

import html
import math
import re

#: Attributes that hold one number (a length may end in ``px``).
_NUMERIC = re.compile(
    r"\s(x|y|x1|x2|y1|y2|cx|cy|r|width|height|opacity|fill-opacity|stroke-opacity|"
    r'stroke-width|stroke-miterlimit|font-size)="([^"]*)"'
)
_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


def svgs(text: str) -> list[str]:
    """Every inline ``<svg>`` element of a page."""
    return re.findall(r"<svg\b.*?</svg>", text, flags=re.S)


def svg_label(svg: str) -> str:
    """The accessible name of a chart: its root's ``aria-label``, unescaped."""
    m = re.match(r'<svg\b[^>]*\saria-label="([^"]*)"', svg)
    assert m, "the chart has an aria-label"
    return html.unescape(m.group(1))


def svg_texts(svg: str) -> list[str]:
    """The text drawn in a chart (``<text>`` elements), unescaped."""
    return [html.unescape(t) for t in re.findall(r"<text\b[^>]*>([^<]*)</text>", svg)]


def assert_svg_numbers_finite(svg: str) -> None:
    """Every coordinate and size in an SVG is a finite number (no NaN or infinity drawn)."""
    for name, value in _NUMERIC.findall(svg):
        assert math.isfinite(float(value.removesuffix("px"))), (name, value)
    for transform in re.findall(r'transform="([^"]*)"', svg):
        for args in re.findall(r"\(([^)]*)\)", transform):
            for number in re.split(r"[\s,]+", args.strip()):
                assert math.isfinite(float(number)), transform
    for path in re.findall(r'\sd="([^"]*)"', svg):
        assert not re.search(r"[^MmLlHhVvCcSsQqTtAaZz0-9eE.,\s+-]", path), path[:80]
        for number in _NUMBER.findall(path):
            assert math.isfinite(float(number)), path[:80]
    for points in re.findall(r'points="([^"]*)"', svg):
        for pair in points.split():
            x, y = pair.split(",")
            assert math.isfinite(float(x)) and math.isfinite(float(y)), pair
    assert not re.search(r"(?i)\b-?(nan|inf|infinity)\b", svg)
