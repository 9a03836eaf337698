"""Charts to SVG for the offline report: :func:`to_svg`, with ``vl_convert``.

The SVG is self-contained and safe to inline in a page: no scripts, no external references
(no URLs, no web fonts: text uses the system fonts of :mod:`sim.charts.palette`), and an
accessible name (``role="img"``, ``aria-label`` and a ``<title>``) saying what the chart
shows, taken from the spec's ``description``. The same spec gives the same bytes.

``vl_convert`` starts a JavaScript engine on its first call (about a second) and reuses it
for every later call in the process, so render all of a report's charts in one process.
Text is laid out with the fonts installed where it is rendered, so two machines with
different fonts may place labels a pixel or two apart.
"""

from __future__ import annotations

import copy
import functools
import json
import re
from html import escape
from typing import Any

import vl_convert as vlc

from sim.charts.theme import SupportsToDict

SVG_NS = "http://www.w3.org/2000/svg"
_ROOT = re.compile(r"<svg\b[^>]*>")
_XLINK = ' xmlns:xlink="http://www.w3.org/1999/xlink"'
_SCHEMA = re.compile(r"/vega-lite/v(\d+)\.(\d+)")


class UnsafeSVG(ValueError):
    """The renderer produced SVG with a script or an external reference."""


def _version(spec: dict[str, Any]) -> str | None:
    """The Vega-Lite version the spec was written for, if ``vl_convert`` has it."""
    m = _SCHEMA.search(str(spec.get("$schema", "")))
    if not m:
        return None
    version = f"{m.group(1)}.{m.group(2)}"
    return version if version in vlc.get_vegalite_versions() else None


def _title_text(spec: dict[str, Any]) -> str:
    title = spec.get("title")
    if isinstance(title, dict):
        title = title.get("text", "")
    if isinstance(title, list):
        title = " ".join(str(t) for t in title)
    return str(title or "")


def _accessible(svg: str, label: str) -> str:
    """The root element with ``role="img"``, an ``aria-label`` and a ``<title>``."""
    root = _ROOT.search(svg)
    if root is None:
        raise UnsafeSVG("the renderer returned no <svg> element")
    tag = root.group(0)
    if "xlink:" not in svg:
        tag = tag.replace(_XLINK, "")
    text = escape(label, quote=True)
    tag = tag[:-1] + f' role="img" aria-label="{text}">'
    return svg[: root.start()] + tag + f"<title>{text}</title>" + svg[root.end() :]


def check_safe(svg: str) -> str:
    """``svg`` itself, or :class:`UnsafeSVG` if it holds a script, an event handler, a
    foreign object or a reference to anything outside it."""
    problems = []
    if re.search(r"(?i)<\s*(script|foreignObject|iframe|image|use)\b", svg):
        problems.append("an embedded element")
    if re.search(r"(?i)\son[a-z]+\s*=", svg):
        problems.append("an event handler")
    if re.search(r"(?i)@import|@font-face|url\s*\(\s*['\"]?\s*(?!#)", svg):
        problems.append("a style sheet reference")
    if set(re.findall(r"(?i)(?:https?:|file:|data:)[^\s\"'<>)]*", svg)) - {SVG_NS}:
        problems.append("a URL")
    if re.search(r"(?i)\bhref\s*=\s*[\"'](?!#)", svg):
        problems.append("a link")
    if problems:
        raise UnsafeSVG("chart SVG holds " + ", ".join(problems))
    return svg


#: Placeholders that stand for a chart's own data and title while its layout is compiled.
_ROWS = "__rows__"
_TEXT = "__title__"
_SUBTITLE = "__subtitle__"


@functools.lru_cache(maxsize=256)
def _compiled(layout: str) -> str:
    """A Vega-Lite layout (JSON, its data named :data:`_ROWS`) compiled to Vega JSON.

    Compiling takes about as long as drawing; the report draws many charts of few layouts.
    """
    spec = json.loads(layout)
    return json.dumps(vlc.vegalite_to_vega(spec, vl_version=_version(spec)))


def _static(spec: Any) -> Any:
    """``spec`` without tooltips, which a still image cannot show (and which cost time)."""
    if isinstance(spec, dict):
        return {
            k: _static(v)
            for k, v in spec.items()
            if not (k == "tooltip" and isinstance(v, list | dict))
        }
    if isinstance(spec, list):
        return [_static(v) for v in spec]
    return spec


def _vega(spec: dict[str, Any]) -> dict[str, Any]:
    """The Vega spec of a Vega-Lite one, compiled once per layout: the data, title,
    description and padding are filled into a cached compilation."""
    data = spec.get("data")
    if not (isinstance(data, dict) and isinstance(data.get("values"), list)):
        return dict(vlc.vegalite_to_vega(spec, vl_version=_version(spec)))
    layout = {k: _static(v) for k, v in spec.items() if k not in ("data", "description", "padding")}
    layout["data"] = {"name": _ROWS}
    title = spec.get("title")
    if isinstance(title, dict) and isinstance(title.get("text"), str):
        layout["title"] = {**title, "text": _TEXT}
        if isinstance(title.get("subtitle"), str):
            layout["title"]["subtitle"] = _SUBTITLE
    vega: dict[str, Any] = json.loads(_compiled(json.dumps(layout, sort_keys=True)))
    for d in vega.get("data", []):
        if d.get("name") == _ROWS:
            d["values"] = data["values"]
    if isinstance(title, dict) and isinstance(vega.get("title"), dict):
        vega["title"] = {**vega["title"], "text": title.get("text")}
        if "subtitle" in title:
            vega["title"]["subtitle"] = title["subtitle"]
    for key in ("description", "padding"):
        if key in spec:
            vega[key] = spec[key]
    return vega


def to_svg(chart: dict[str, Any] | SupportsToDict, label: str | None = None) -> str:
    """A chart as one self-contained ``<svg>`` element.

    Args:
        chart: a Vega-Lite dict (e.g. :func:`sim.charts.fan.fan_chart`) or an Altair chart,
            with its data inline.
        label: what the chart shows, for screen readers and as its hover text (default: the
            spec's ``description``, else its title).

    Raises:
        UnsafeSVG: the SVG would hold a script or an external reference.
    """
    spec = chart if isinstance(chart, dict) else chart.to_dict()
    spec = copy.copy(spec)
    # ARIA of every mark and axis is noise once the whole image has a name.
    spec["config"] = {**(spec.get("config") or {}), "aria": False}
    text = label or str(spec.get("description") or "") or _title_text(spec) or "Chart"
    svg = vlc.vega_to_svg(_vega(spec))
    return check_safe(_accessible(svg, text))
