"""The one chart system (sim.charts): palette and contrast, the app's fan-chart spec, the
report's charts and their SVG (deterministic, offline, accessible)."""

from __future__ import annotations

import copy
import json
import math
import re
import subprocess
import sys
from typing import Any

import altair as alt
import numpy as np
import pytest
import vl_convert as vlc

from sim.analysis.monthly import Band, band
from sim.charts import axes, palette, theme
from sim.charts.bars import power_by_bloc, ring_fence_bindings
from sim.charts.fan import BANDS, band_rows, fan_chart, fan_spec
from sim.charts.lines import line_chart
from sim.charts.render import SVG_NS, UnsafeSVG, check_safe, to_svg
from tests.paths import ROOT
from tests.svg_checks import assert_svg_numbers_finite, svg_label, svg_texts

LABELS = [f"{2025 + (m + 3) // 12}-{(m + 3) % 12 + 1:02d}" for m in range(24)]


def _band(level: float, spread: float, months: int = 24, seed: int = 1) -> Band:
    rng = np.random.default_rng(seed)
    return band(level + np.cumsum(rng.normal(0, spread, (30, months)), axis=1))


def _share_rows(series: str = "share", level: float = 0.1232, spread: float = 1e-5) -> list[Any]:
    return band_rows(series, _band(level, spread), LABELS, 1.0)


def _y_labels(svg: str) -> list[str]:
    """The tick labels of a chart's y axis (right-aligned text)."""
    return [
        t
        for t in re.findall(r'<text text-anchor="end"[^>]*>([^<]*)</text>', svg)
        if re.search(r"\d", t)
    ]


# -- palette ----------------------------------------------------------------------------


def test_contrast_ratio_follows_wcag() -> None:
    assert palette.contrast_ratio("#000000", "#ffffff") == pytest.approx(21.0)
    assert palette.contrast_ratio("#fff", "#ffffff") == pytest.approx(1.0)
    assert palette.contrast_ratio("#767676") == pytest.approx(4.54, abs=0.01)  # AA's edge
    with pytest.raises(ValueError):
        palette.relative_luminance("blue")


def test_every_text_colour_has_enough_contrast() -> None:
    for text in palette.TEXT_COLOURS:
        for background in palette.BACKGROUNDS:
            ratio = palette.contrast_ratio(text, background)
            assert ratio >= palette.MIN_TEXT_CONTRAST, (text, background, ratio)


def _text_colours(spec: Any) -> set[str]:
    """Colours a spec draws text in: the config's label, title and text colours, and the
    colour of every text mark."""
    out: set[str] = set()
    if isinstance(spec, dict):
        for key, value in spec.items():
            if key in ("labelColor", "titleColor", "subtitleColor") and isinstance(value, str):
                out.add(value)
            elif key == "text" and isinstance(value, dict) and "color" in value:
                out.add(value["color"])
            elif key == "mark" and isinstance(value, dict) and value.get("type") == "text":
                out.add(value.get("color", palette.INK))
            out |= _text_colours(value)
    elif isinstance(spec, list):
        for value in spec:
            out |= _text_colours(value)
    return out


def test_charts_draw_text_only_in_the_text_colours() -> None:
    for spec in _every_chart():
        colours = _text_colours(spec)
        assert colours and colours <= set(palette.TEXT_COLOURS), colours
        assert spec["config"]["font"] == palette.FONT, "the shared config is applied"


def test_palette_is_okabe_ito_without_yellow_and_dashes_beyond_it() -> None:
    assert len(set(palette.PALETTE)) == 7 and "#F0E442" not in palette.PALETTE
    assert [palette.dash(i) for i in range(7)] == [[]] * 7
    styles = {(palette.colour(i), tuple(palette.dash(i))) for i in range(28)}
    assert len(styles) == 28, "the first 28 series all look different"


# -- the app's fan chart ------------------------------------------------------------------


def test_band_rows_are_the_apps() -> None:
    b = Band(*(np.array([1.0, 2.0]) * k for k in (10, 1, 5, 10, 15, 20)))
    assert band_rows("s", b, ["2025-04", "2025-05"], 10.0) == [
        {"month": "2025-04-01", "series": "s", "mean": 1.0, "p05": 0.1}
        | {"p25": 0.5, "p50": 1.0, "p75": 1.5, "p95": 2.0},
        {"month": "2025-05-01", "series": "s", "mean": 2.0, "p05": 0.2}
        | {"p25": 1.0, "p50": 2.0, "p75": 3.0, "p95": 4.0},
    ]


def test_fan_spec_refers_to_the_named_data_set_the_app_fills() -> None:
    spec = fan_spec("share", True, False, ("A", "B"), zero=False)
    assert spec["data"] == {"name": BANDS} and "datasets" not in spec
    marks = [layer["mark"]["type"] for layer in spec["layer"]]
    assert marks == ["area", "area", "line"], "90% band, 50% band, mean line"
    outer, inner, line = (layer["encoding"] for layer in spec["layer"])
    assert (outer["y"]["field"], outer["y2"]["field"]) == ("p05", "p95")
    assert (inner["y"]["field"], inner["y2"]["field"]) == ("p25", "p75")
    assert line["y"]["field"] == "mean" and outer["y"]["scale"]["zero"] is False
    assert outer["color"]["scale"]["range"] == list(palette.PALETTE)
    assert outer["color"]["sort"] == ["A", "B"]
    spec["data"] = {"values": _share_rows("A") + _share_rows("B", 0.13)}  # as the app does
    svg = to_svg(spec)
    assert {"A", "B", "share"} <= set(svg_texts(svg))
    # A fresh copy each call: filling one in leaves the next alone.
    assert fan_spec("share", True, False, ("A", "B"), zero=False)["data"] == {"name": BANDS}


def test_fan_spec_facets_with_own_or_shared_y_scales() -> None:
    own = fan_spec("£m a year", False, True, ("a", "b", "c"), columns=2)
    assert own["data"] == {"name": BANDS}
    assert own["facet"]["field"] == "series" and own["columns"] == 2
    assert own["resolve"]["scale"]["y"] == "independent", "the app's default"
    shared = fan_spec("£m a year", False, True, ("a", "b", "c"), shared_y=True)
    assert shared["resolve"]["scale"]["y"] == "shared"
    rows = band_rows("a", _band(10, 1), LABELS, 1.0) + band_rows("b", _band(500, 5), LABELS, 1.0)
    numbers = {}
    for name, spec in (("own", own), ("shared", shared)):
        spec["data"] = {"values": rows}
        numbers[name] = [float(t.replace(",", "")) for t in _y_labels(to_svg(spec))]
    # Own scales: panel a's ticks are a few units apart, b's hundreds; shared: one scale
    # (drawn once per row of panels) that reaches b's values.
    assert any(0 < x < 50 for x in numbers["own"]) and max(numbers["own"]) >= 400
    assert all(x == 0 or x >= 100 for x in numbers["shared"]) and max(numbers["shared"]) >= 400


@pytest.mark.parametrize("facet", [False, True])
def test_percent_axis_labels_never_all_read_the_same(facet: bool) -> None:
    """However narrow the range (here 12.31% to 12.33%), ticks get enough decimals."""
    spec = fan_spec("share", True, facet, ("share",), zero=False)
    spec["data"] = {"values": _share_rows()}
    labels = _y_labels(to_svg(spec))
    assert len(labels) >= 3 and len(set(labels)) == len(labels), labels
    assert all(t.endswith("%") for t in labels)
    inline = _y_labels(to_svg(fan_chart(_share_rows(), percent=True, zero=False, title="T")))
    assert len(inline) >= 3 and len(set(inline)) == len(inline), inline


def test_specs_are_valid_vega_lite() -> None:
    """Building skips Altair's schema check (it is slow); every layout is checked here."""
    apps = [fan_spec("x", False, True, ("a",)), fan_spec("x", True, False, ())]
    for spec in [*_every_chart(), *apps]:
        kind = (
            alt.FacetChart if "facet" in spec else alt.LayerChart if "layer" in spec else alt.Chart
        )
        kind.from_dict(copy.deepcopy(spec))  # raises on a spec Vega-Lite would reject
    bad = fan_spec("x", True, False, ("a",))
    bad["layer"][0]["mark"]["type"] = "nonsense"
    with pytest.raises(Exception, match="nonsense"):
        alt.LayerChart.from_dict(bad)


# -- the report's charts ------------------------------------------------------------------


def _every_chart() -> list[dict[str, Any]]:
    rows = band_rows("acute", _band(2000, 20), LABELS, 1.0)
    lines: list[dict[str, Any]] = []
    for i in range(9):
        lines += band_rows(f"variant {i}", _band(0.12 + i / 100, 1e-4, seed=i), LABELS, 1.0)
    power = [
        {"bloc": bloc, "index": index, "power": p, "voting members": 3}
        for bloc, p in (("primary care", 0.3), ("acute trusts", 0.5), ("chair", 0.2))
        for index in ("Shapley-Shubik", "Banzhaf")
    ]
    return [
        fan_chart(_share_rows(), percent=True, zero=False, title="Share", subtitle="%"),
        fan_chart(rows, title="acute", subtitle="£m", colour=palette.PALETTE[3], decimals=0),
        fan_chart(rows + _share_rows("b", 1500), facet=True, shared_y=True, title="Facets"),
        line_chart(lines, percent=True, title="Many lines", subtitle="% of budgets"),
        power_by_bloc(power, title="Board from 2025-04", labels=True, width=300),
        power_by_bloc(power),
        ring_fence_bindings([{"rule": "floor", "bound": 0.8}, {"rule": "cap", "bound": 1.0}]),
    ]


def test_report_charts_say_what_they_show() -> None:
    share, acute, _, lines, power, _, fences = (to_svg(s) for s in _every_chart())
    label = svg_label(share)
    assert label.startswith("Share. %. share: mean 12.3")
    assert "in the last (90% interval" in label and "year ends: 2026-03 mean" in label
    end = re.search(r"mean \S+ in the first month, (\S+) in the last", label)
    assert end and end.group(1) in svg_texts(share), "the end label reads the last mean"
    assert re.search(r"<title>Share\. %\. share: mean", share)
    assert "acute" in svg_texts(acute) and "2025/26" in svg_texts(acute)
    assert "variant 8 ends at " in svg_label(lines)
    assert 'stroke-dasharray="7,4"' in lines, "lines beyond the palette are dashed"
    assert {"acute trusts", "50.0%", "Shapley-Shubik"} <= set(svg_texts(power))
    texts = svg_texts(power)
    assert texts.index("acute trusts") < texts.index("primary care") < texts.index("chair")
    assert {"floor", "80%", "100%"} <= set(svg_texts(fences))
    assert svg_label(fences).endswith("floor: 80%; cap: 100%.")


def test_values_that_are_not_finite_are_left_out() -> None:
    values = np.array([1.0, 2.0, np.nan, 4.0, np.inf, 6.0] * 4)
    b = Band(values, values - 1, values - 0.5, values, values + 0.5, values + 1)
    rows = band_rows("gaps", b, LABELS, 1.0)
    spec = fan_chart(rows, title="Gaps")
    assert None in [r["mean"] for r in spec["data"]["values"]], "JSON has no NaN"
    svg = to_svg(spec)
    assert_svg_numbers_finite(svg)
    lines = to_svg(line_chart(rows, title="Gaps"))
    assert_svg_numbers_finite(lines)


def test_bands_keep_clear_of_the_frame() -> None:
    """Data that reaches a round number does not touch the top: invisible marks just beyond
    the data stretch the axis; an axis from zero keeps zero at its foot."""
    flat = Band(*(np.full(24, 0.13) for _ in range(6)))
    spec = fan_chart(band_rows("s", flat, LABELS, 1.0), percent=True, zero=False)
    rooms = [r[axes.ROOM] for r in spec["data"]["values"] if axes.ROOM in r]
    assert len(rooms) == 2 and rooms[0] < 0.13 < rooms[1]
    assert axes.headroom([0.0, 250.0], zero=True) == (0.0, 260.0)
    assert axes.headroom([-10.0, 10.0], zero=True) == (-10.8, 10.8)
    assert axes.headroom([math.nan, None], zero=False) is None


def test_label_decimals_follow_the_range() -> None:
    assert axes.label_decimals([0.1231, 0.1233], percent=True) == 4
    assert axes.label_decimals([0.09, 0.13], percent=True) == 1
    assert axes.label_decimals([1995.3, 2481.0], percent=False) == 1
    assert axes.label_decimals([5.0, 5.0], percent=False) == 2
    assert axes.label_decimals([], percent=False) == 1
    for span in (0.003, 0.7, 4.0, 417.0, 1e6):
        step = axes.nice_step(span)
        mantissa = step / 10 ** math.floor(math.log10(step))
        assert round(mantissa, 6) in (1.0, 2.0, 5.0, 10.0)


def test_text_width_is_generous() -> None:
    """Wider than the renderer measures: DejaVu Sans, 12 px, draws this in about 219 px."""
    assert axes.text_width("mental_health_investment_standard") >= 219
    assert axes.overhang("11.99%", bold=True) > 0


# -- rendering ----------------------------------------------------------------------------


def test_svg_is_deterministic_within_and_across_processes() -> None:
    spec = _every_chart()[0]
    svg = to_svg(spec)
    assert to_svg(copy.deepcopy(spec)) == svg
    code = (
        "import json, sys; from sim.charts.render import to_svg; "
        "sys.stdout.write(to_svg(json.loads(sys.stdin.read())))"
    )
    other = subprocess.run(
        [sys.executable, "-c", code],
        input=json.dumps(spec),
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    assert other.stdout == svg


def test_svg_needs_nothing_from_outside() -> None:
    for spec in _every_chart():
        svg = to_svg(spec)
        assert svg.startswith(f'<svg xmlns="{SVG_NS}"') and svg.endswith("</svg>")
        assert set(re.findall(r"https?://[^\s\"'<>]+", svg)) == {SVG_NS}, "a name, not a fetch"
        assert not re.search(r"(?i)<script|<image|<use\b|href=|@import|@font-face|url\(", svg)
        fonts = set(re.findall(r'font-family="([^"]*)"', svg))
        assert fonts == {palette.FONT.replace('"', "&quot;")}, "system fonts only"
        assert check_safe(svg) == svg


def test_check_safe_refuses_scripts_and_references() -> None:
    good = f'<svg xmlns="{SVG_NS}"><path d="M0,0" clip-path="url(#clip1)"/></svg>'
    assert check_safe(good) == good
    for bad in (
        "<svg><script>alert(1)</script></svg>",
        '<svg><rect onload="alert(1)"/></svg>',
        '<svg><image href="https://example.org/x.png"/></svg>',
        "<svg><style>@import 'https://example.org/a.css';</style></svg>",
        '<svg><a href="http://example.org">x</a></svg>',
        '<svg><text style="font-family:url(https://example.org/f.woff)">x</text></svg>',
    ):
        with pytest.raises(UnsafeSVG):
            check_safe(bad)


def test_svg_root_is_named_for_screen_readers() -> None:
    spec = fan_chart(_share_rows(), percent=True, title='Quotes " & <angles>')
    svg = to_svg(spec)
    root = svg[: svg.index(">") + 1]
    assert 'role="img"' in root
    assert 'aria-label="Quotes &quot; &amp; &lt;angles&gt;. share: mean' in root
    assert svg[len(root) :].startswith("<title>Quotes &quot; &amp; &lt;angles&gt;.")
    assert svg_label(to_svg(spec, label="Just this")) == "Just this"


def test_cached_compilation_draws_what_vl_convert_draws() -> None:
    """to_svg compiles each layout once and fills each chart's data and title in; the
    picture is the one vl_convert draws from the whole spec."""
    for spec in _every_chart():
        mine = re.sub(r"^<svg\b[^>]*>(<title>[^<]*</title>)?", "", to_svg(spec))
        static = copy.deepcopy(spec)
        static["config"]["aria"] = False
        for layer in static.get("layer", []) + static.get("spec", {}).get("layer", []):
            layer.get("encoding", {}).pop("tooltip", None)
        static.get("encoding", {}).pop("tooltip", None)
        theirs = re.sub(r"^<svg\b[^>]*>", "", vlc.vegalite_to_svg(static))
        assert mine == theirs


def test_theme_merges_a_specs_own_config() -> None:
    spec = theme.themed({"config": {"axis": {"labelColor": palette.INK}, "autosize": "pad"}})
    assert spec["config"]["axis"]["labelColor"] == palette.INK
    assert spec["config"]["axis"]["titleColor"] == palette.INK
    assert spec["config"]["autosize"] == "pad" and spec["config"]["font"] == palette.FONT
