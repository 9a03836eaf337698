"""The app's charts as specs (sim.charts.app_fans, scales, alt_text): value axes that hold
every band and label every tick differently, shared scales, overlapping series told apart,
text contrast as drawn, and the words that describe a chart."""

from __future__ import annotations

import inspect
import re
from typing import Any

import numpy as np
import pytest

from sim.analysis.monthly import Band, band
from sim.app.charts import show_fan
from sim.app.views.decisions import row_height
from sim.charts import palette, theme
from sim.charts.alt_text import describe_fan, month_words
from sim.charts.app_fans import app_fan, fan_panels
from sim.charts.axes import month_x
from sim.charts.bars import power_by_bloc
from sim.charts.fan import WRAP, band_rows, fan_chart, legend_label_expr
from sim.charts.render import to_svg
from sim.charts.scales import apply_axis, shared_axis, value_axis

LABELS = [f"{2025 + (m + 3) // 12}-{(m + 3) % 12 + 1:02d}" for m in range(60)]
LONG_B = "B: 3 GP seats of 14, a 13% primary-care minimum and in-year protection as well"


def _rows(series: str, level: float, spread: float, seed: int = 1) -> list[dict[str, Any]]:
    rng = np.random.default_rng(seed)
    return band_rows(
        series, band(level + np.cumsum(rng.normal(0, spread, (40, 60)), axis=1)), LABELS, 1.0
    )


def _y(spec: dict[str, Any]) -> dict[str, Any]:
    """The y channel that carries the scale and axis (the 90% band's)."""
    return next(
        layer["encoding"]["y"] for layer in spec["layer"] if "axis" in layer["encoding"]["y"]
    )


# -- value axes ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("low", "high", "percent", "zero"),
    [
        (0.0894, 0.0900, True, False),  # mental health's share, 9.00% to 8.94%
        (0.12331, 0.12336, True, False),  # narrower still
        (1995.0, 2243.0, False, True),  # acute's budget from £0m
        (0.0, 302.1, False, True),  # cumulative unmet need
        (-20.7, 139.4, False, False),  # a deficit that can be negative
        (0.13, 0.13, True, False),  # a flat line
        (-5.0, 430.0, False, True),  # money moved, a little back at times
    ],
)
def test_value_axis_holds_the_data_and_labels_every_tick_differently(
    low: float, high: float, percent: bool, zero: bool
) -> None:
    axis = value_axis([low, high, None, float("nan")], percent, zero)
    assert axis.low < low or (zero and axis.low == 0 <= low)
    assert axis.high > high, "room above the top of the band"
    labels = axis.labels()
    assert 3 <= len(labels) <= 9 and len(set(labels)) == len(labels), labels
    assert axis.low <= axis.ticks[0] and axis.ticks[-1] == axis.high
    assert axis.ticks[0] - axis.low < (axis.ticks[1] - axis.ticks[0]) / 2, "no wasted step"
    steps = np.diff(axis.ticks)
    assert np.allclose(steps, steps[0]), "evenly spaced"
    if zero:
        assert 0.0 in axis.ticks


def test_narrow_mental_health_axis_does_not_read_10_percent_everywhere() -> None:
    labels = value_axis([0.0894, 0.0900], True, False).labels()
    assert labels[0] != labels[-1] and all(re.fullmatch(r"\d\.\d+%", t) for t in labels)


def test_the_spec_carries_the_axis_domain_ticks_and_format() -> None:
    rows = _rows("primary care", 0.13, 3e-4)
    spec = app_fan(rows, "share", percent=True, zero=False)
    y = _y(spec)
    low, high = y["scale"]["domain"]
    assert y["scale"]["nice"] is False, "a nice domain could move its ends"
    drawn = [r[k] for r in rows for k in ("p05", "p95", "mean")]
    assert low < min(drawn) and max(drawn) < high, "every band inside the plot"
    assert y["axis"]["values"][0] >= low and y["axis"]["values"][-1] == high
    assert re.fullmatch(r"\.\d%", y["axis"]["format"])
    assert y["axis"]["labelOverlap"] is False
    clipped = [layer["mark"].get("clip") for layer in spec["layer"]]
    assert all(clipped), "marks stay inside the plot"
    # Drawn: the tick labels are the axis's own, all different.
    svg = to_svg({**spec, "width": 400})
    shown = [t for t in re.findall(r"<text[^>]*>([^<]*%)</text>", svg)]
    assert shown == value_axis([*drawn], True, False).labels()


def test_apply_axis_leaves_text_unclipped() -> None:
    spec = {"layer": [{"mark": "area", "encoding": {"y": {"field": "a", "scale": {}}}}]}
    spec["layer"].append({"mark": {"type": "text"}, "encoding": {"y": {"field": "a"}}})
    apply_axis(spec, value_axis([1.0, 2.0], False, True))
    assert spec["layer"][0]["mark"] == {"type": "area", "clip": True}
    assert "clip" not in spec["layer"][1]["mark"], "a label beside the plot must show"


def test_month_axis_uses_date_times_and_chooses_label_length_by_width() -> None:
    months = [f"{m}-01" for m in LABELS]
    axis = month_x(True, months, 0).to_dict()["axis"]
    # Numbers here would draw no axis at all in the app (its Vega drops them).
    assert axis["values"][0] == {"year": 2025, "month": 4, "date": 1, "utc": True}
    assert len(axis["values"]) == 5 and axis["labelExpr"].startswith("width / 5 < 56 ?")
    long = [f"{2025 + (m + 3) // 12}-{(m + 3) % 12 + 1:02d}-01" for m in range(12 * 40)]
    assert len(month_x(True, long, 800).to_dict()["axis"]["values"]) <= 10, "every few years"


# -- small multiples ----------------------------------------------------------------------


def _sectors() -> list[dict[str, Any]]:
    return (
        _rows("acute", 0.55, 1e-4)
        + _rows("mental health", 0.09, 1e-5, seed=2)
        + _rows("pharmacy, dental and optometry", 0.04, 1e-5, seed=3)
    )


def test_panels_share_one_scale_or_each_fit_their_own() -> None:
    shared = fan_panels(_sectors(), "share", percent=True, zero=True)
    domains = {tuple(_y(p.spec)["scale"]["domain"]) for p in shared}
    assert len(domains) == 1, "one scale for every sector"
    ((low, high),) = domains
    assert low == 0 and high > 0.55
    own = fan_panels(_sectors(), "share", percent=True, zero=False, shared_y=False)
    assert len({tuple(_y(p.spec)["scale"]["domain"]) for p in own}) == 3
    assert [p.series for p in own] == ["acute", "mental health", "pharmacy, dental and optometry"]
    # Each panel in its own palette colour, titled with its series (long titles wrapped,
    # every title as many lines, so that a row's plots line up).
    assert [p.spec["data"]["values"][0]["colour"] for p in own] == list(palette.PALETTE[:3])
    titles = [p.spec["title"]["text"] for p in own]
    assert titles[2] == ["pharmacy, dental and", "optometry"]
    assert {len(t) for t in titles} == {2}
    assert re.match(r"Mental health share: from 9\.0\d*% in April 2025 to ", own[1].words)


def test_panels_are_as_wide_as_their_container() -> None:
    for p in fan_panels(_sectors(), "share", percent=True):
        assert "width" not in p.spec and "facet" not in p.spec, "the column's width"


def test_show_fan_keeps_its_signature_and_adds_keywords_only() -> None:
    params = list(inspect.signature(show_fan).parameters.values())
    names = [p.name for p in params[:6]]
    assert names == ["rows", "y_title", "percent", "facet", "zero", "shared_y"]
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in params[6:])


# -- overlapping series -------------------------------------------------------------------


def test_overlapping_series_are_told_apart_without_a_muddy_blend() -> None:
    rows = _rows("A: 1 GP seat of 12", 0.13, 3e-4) + _rows(LONG_B, 0.1302, 3e-4, seed=2)
    spec = app_fan(rows, "share", percent=True, zero=False)
    marks = [layer["mark"]["type"] for layer in spec["layer"]]
    assert marks == ["area", "line", "line", "line"], "band, its two edges, the mean"
    area = spec["layer"][0]["encoding"]
    assert area["fillOpacity"]["scale"]["range"] == [palette.OVERLAP_FILL, 0.0], "one fill"
    dashes = spec["layer"][-1]["encoding"]["strokeDash"]["scale"]["range"]
    assert dashes[0] == [] and dashes[1], "B dashed"
    colours = spec["layer"][-1]["encoding"]["color"]["scale"]["range"]
    assert colours == [palette.PALETTE[0], palette.PALETTE[1]]
    legend = spec["layer"][0]["encoding"]["color"]["legend"]
    assert legend["labelLimit"] == 0 and legend["direction"] == "vertical"
    assert legend["orient"] == "top"
    # Drawn on a narrow chart, B's long name shows whole, wrapped onto two lines.
    svg = to_svg({**spec, "width": 380})
    words = " ".join(re.findall(r"<tspan[^>]*>([^<]*)</tspan>", svg)).replace("&#37;", "%")
    assert "A: 1 GP seat of 12" in svg and LONG_B in " ".join(words.split())
    assert "…" not in svg


def test_legend_wraps_only_long_names() -> None:
    assert legend_label_expr(["A", "B"]) == "datum.label"
    expr = legend_label_expr([LONG_B])
    assert expr.endswith("[datum.label] || datum.label")
    lines = re.findall(r'"([^"]+)"', expr)[1:]
    assert " ".join(lines) == LONG_B and all(len(line) <= WRAP for line in lines)


# -- contrast, as drawn -------------------------------------------------------------------


def _theme_text() -> list[tuple[str, str, float]]:
    """Every (where, colour, opacity) the shared theme draws text in."""
    cfg = theme.config()
    out = []
    for section, value in cfg.items():
        if not isinstance(value, dict):
            continue
        for key in ("labelColor", "titleColor", "subtitleColor", "color"):
            if key in value and (key != "color" or section in ("text", "title")):
                alpha = "opacity" if key == "color" else key.replace("Color", "Opacity")
                opacity = float(value.get(alpha, 1.0))
                out.append((f"{section}.{key}", value[key], opacity))
    return out


def test_every_theme_text_colour_has_enough_contrast_as_drawn() -> None:
    found = _theme_text()
    assert {"axis.labelColor", "axis.titleColor", "legend.labelColor", "title.color"} <= {
        where for where, _, _ in found
    }
    for where, colour, opacity in found:
        for background in palette.BACKGROUNDS:
            ratio = palette.rendered_contrast(colour, background, opacity)
            assert ratio >= palette.MIN_TEXT_CONTRAST, (where, colour, background, ratio)


def test_blend_and_rendered_contrast() -> None:
    assert palette.blend("#000000", "#ffffff", 0.5) == "#808080"
    assert palette.blend(palette.MUTED, palette.WHITE, 1.0) == palette.MUTED
    # The old axis grey at 60% opacity would fail, as the browser measured.
    assert palette.rendered_contrast("#59636e", opacity=0.6) < palette.MIN_TEXT_CONTRAST
    assert palette.contrast_ratio(palette.MUTED) >= 7.0, "room for anti-aliasing"


def _drawn_text(svg: str) -> list[tuple[str, float]]:
    """(fill, opacity) of every visible text element of an SVG."""
    out = []
    for attrs in re.findall(r"<text\b([^>]*)>", svg):
        fill = re.search(r'fill="(#[0-9a-fA-F]{3,6})"', attrs)
        opacity = re.search(r'(?:fill-)?opacity="([\d.]+)"', attrs)
        alpha = float(opacity.group(1)) if opacity else 1.0
        if alpha > 0:  # labels Vega hid for overlap are not read
            out.append((fill.group(1) if fill else "#000000", alpha))
    return out


def test_every_chart_draws_its_text_with_enough_contrast() -> None:
    power = [
        {"bloc": b, "index": i, "power": p, "voting members": 3}
        for b, p in (("primary care", 0.3), ("acute trusts", 0.7))
        for i in ("Shapley-Shubik", "Banzhaf")
    ]
    specs = [
        app_fan(_rows("a", 0.13, 3e-4) + _rows("b", 0.131, 3e-4), "share", percent=True),
        fan_panels(_sectors(), "share", percent=True)[0].spec,
        fan_chart(_rows("a", 2000, 5), title="T", subtitle="£m"),
        power_by_bloc(power, title="Board", labels=True, width=300),
    ]
    for spec in specs:
        drawn = _drawn_text(to_svg({"width": 400, **spec}))
        assert drawn
        for fill, alpha in drawn:
            ratio = palette.rendered_contrast(fill, palette.WHITE, alpha)
            assert ratio >= palette.MIN_TEXT_CONTRAST, (fill, alpha, ratio)


# -- words --------------------------------------------------------------------------------


def test_describe_fan_says_start_end_and_where_9_in_10_futures_end() -> None:
    months = ["2025-04", "2025-05", "2030-03"]
    b = Band(
        mean=np.array([0.130, 0.128, 0.123]),
        p05=np.array([0.129, 0.126, 0.122]),
        p25=np.array([0.1295, 0.127, 0.1225]),
        p50=np.array([0.130, 0.128, 0.123]),
        p75=np.array([0.1305, 0.129, 0.1235]),
        p95=np.array([0.131, 0.130, 0.125]),
    )
    rows = band_rows("primary care", b, months, 1.0)
    assert describe_fan(rows, "share", percent=True) == (
        "Primary care share: from 13.0% in April 2025 to 12.3% in March 2030; 9 in 10 "
        "simulated futures end between 12.2% and 12.5%."
    )
    money = band_rows("system deficit", b, months, 1e-3)  # £130m to £123m
    assert describe_fan(money, "£m", percent=False) == (
        "System deficit (£m): from 130 in April 2025 to 123 in March 2030; 9 in 10 "
        "simulated futures end between 122 and 125."
    )
    two = rows + band_rows("A: 1 GP seat of 12", b, months, 1.0)
    assert describe_fan(two, "share", True).count("9 in 10") == 2
    assert "A: 1 GP seat of 12: from" in describe_fan(two, "share", True)
    gaps = [dict(r, mean=None) for r in rows[:1]] + rows[1:]
    assert describe_fan(gaps, "share", True).startswith("Primary care share: from 12.8% in May")
    assert describe_fan([], "share", True) == ""
    assert month_words("2030-03-01") == "March 2030"


def test_charts_carry_their_words_as_the_description() -> None:
    rows = _rows("primary care", 0.13, 3e-4)
    spec = app_fan(rows, "share", percent=True, zero=False)
    assert spec["description"] == describe_fan(rows, "share", True)
    assert spec["config"]["mark"]["aria"] is False, "no screen-reader name for every point"
    assert app_fan(rows, "share", words="Just this")["description"] == "Just this"
    report = fan_chart(rows, percent=True, title="Share")
    assert report["description"].endswith(describe_fan(rows, None, True))


def test_decision_log_rows_are_tall_enough_to_wrap() -> None:
    # Streamlit wraps a cell's text only in rows taller than 64 pixels.
    assert row_height(0) > 64 and row_height(400) > row_height(100)
    assert row_height(10**6) == row_height(10**7), "capped"


def test_shared_axis_covers_every_group() -> None:
    a, b = _rows("a", 10.0, 0.1), _rows("b", 500.0, 1.0)
    axis = shared_axis([a, b], percent=False, zero=True)
    assert axis.low == 0 and axis.high > max(r["p95"] for r in b)
