"""The one palette of every chart: series colours, dash patterns, text and rule colours.

Series colours are Okabe-Ito's (safe for the common colour-vision deficiencies) without the
yellow, which is unreadable on white. Series beyond the seventh repeat the colours with a
dash pattern (:func:`dash`), so no two of the first 28 series look alike.

Text is drawn only in :data:`INK` and :data:`MUTED` (and links in :data:`ACCENT`), each
with a contrast ratio of at least 4.5:1 (WCAG 2.x, level AA for body text) against white
and against the report's light backgrounds (:data:`BACKGROUNDS`); :func:`contrast_ratio`
computes it and a test checks it. Series colours are for lines, bands and bars, not text.
"""

from __future__ import annotations

#: Okabe-Ito colours without the yellow, as ``#rrggbb``.
PALETTE: tuple[str, ...] = (
    "#0072B2",  # blue
    "#D55E00",  # vermilion
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#E69F00",  # orange
    "#56B4E9",  # sky blue
    "#000000",  # black
)
#: Dash patterns (Vega ``strokeDash``: dash and gap lengths in pixels); the first is solid.
DASHES: tuple[tuple[int, ...], ...] = ((), (7, 4), (2, 3), (9, 3, 2, 3))

#: Body text, titles, axis titles.
INK = "#1f2328"
#: Secondary text: subtitles, axis labels, notes. Darker than the 4.5:1 minimum needs
#: (7.4:1 on white): small grey text loses contrast to anti-aliasing when drawn.
MUTED = "#4d5661"
#: Links and the report's accent (the first series colour, dark enough for text).
ACCENT = PALETTE[0]
#: Grid lines.
GRID = "#e4e7eb"
#: Axis lines and ticks.
AXIS = "#8c959f"
#: Table rules and borders.
LINE = "#d8dee4"
#: The page and the report's tinted panels (table heads, the reading guide, notes).
WHITE = "#ffffff"
SOFT = "#f6f8fa"
NOTE = "#fff4ec"
BACKGROUNDS: tuple[str, ...] = (WHITE, SOFT, NOTE)
#: Every colour text is drawn in.
TEXT_COLOURS: tuple[str, ...] = (INK, MUTED, ACCENT)
#: Least contrast ratio of text against its background (WCAG AA, normal-size text).
MIN_TEXT_CONTRAST = 4.5

#: System fonts only: nothing is fetched, so charts render offline everywhere.
FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif'
#: Font sizes, pixels.
FONT_SIZE = 12
TITLE_SIZE = 14

#: Opacity of a fan chart's 90% and 50% bands.
OPACITY_90 = 0.16
OPACITY_50 = 0.36
#: Opacity of the first series' band where several series' bands overlap (A and B); the
#: others are outlines only, so no two fills blend.
OVERLAP_FILL = 0.14


def colour(i: int) -> str:
    """The colour of the ``i``-th series (the palette repeats)."""
    return PALETTE[i % len(PALETTE)]


def dash(i: int) -> list[int]:
    """The dash pattern of the ``i``-th series: solid for the first seven, then dashed."""
    return list(DASHES[(i // len(PALETTE)) % len(DASHES)])


def _channel(value: int) -> float:
    """One sRGB channel (0-255), linearised."""
    c = value / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def relative_luminance(hex_colour: str) -> float:
    """WCAG relative luminance of ``#rrggbb`` (or ``#rgb``): 0 for black, 1 for white."""
    h = hex_colour.lstrip("#")
    if len(h) == 3:
        h = "".join(c * 2 for c in h)
    if len(h) != 6:
        raise ValueError(f"not a #rrggbb colour: {hex_colour!r}")
    r, g, b = (_channel(int(h[k : k + 2], 16)) for k in (0, 2, 4))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(foreground: str, background: str = WHITE) -> float:
    """WCAG contrast ratio of two colours, from 1 (none) to 21 (black on white)."""
    a, b = sorted((relative_luminance(foreground), relative_luminance(background)), reverse=True)
    return (a + 0.05) / (b + 0.05)


def blend(foreground: str, background: str = WHITE, opacity: float = 1.0) -> str:
    """The colour seen where ``foreground`` is drawn at ``opacity`` over ``background``
    (as ``#rrggbb``): what text drawn with opacity really contrasts with."""

    def rgb(c: str) -> tuple[int, ...]:
        h = c.lstrip("#")
        h = "".join(x * 2 for x in h) if len(h) == 3 else h
        return tuple(int(h[k : k + 2], 16) for k in (0, 2, 4))

    fg, bg = rgb(foreground), rgb(background)
    mixed = (round(opacity * f + (1 - opacity) * b) for f, b in zip(fg, bg, strict=True))
    return "#" + "".join(f"{v:02x}" for v in mixed)


def rendered_contrast(foreground: str, background: str = WHITE, opacity: float = 1.0) -> float:
    """The contrast ratio of text in ``foreground`` drawn at ``opacity`` on ``background``."""
    return contrast_ratio(blend(foreground, background, opacity), background)
