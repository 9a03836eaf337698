"""The offline batch report: one self-contained ``report.html`` for a batch of runs.

:func:`write_report` reads the run directories ``sim.store.writer.write_run`` wrote
(``DIR/<scenario-name>/``, :mod:`sim.report.variant`) and writes ``report.html``: a
comparison of the variants, then for each variant fan charts of the monthly measures (from
``bands.parquet``, the bands merged chunk by chunk as the run was written), how often each
ring-fence bound, the voting power of each board composition and every headline measure.

The page is the Jinja2 template ``templates/report.html.j2`` (autoescaped) filled with
:mod:`sim.report.sections`; its charts are inline SVG drawn by :mod:`sim.charts`. The file
needs nothing else to open: no scripts, no style sheets, fonts or images from elsewhere.

A run directory that is missing or cannot be read is left out with a visible note; the
others are still reported. The same run directories give the same bytes (no timestamps).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from pathlib import Path

import jinja2

from sim.charts.palette import ACCENT, INK, LINE, MUTED, NOTE, PALETTE, SOFT, colour
from sim.report.sections import comparison, header, variant_section
from sim.report.text import name_html, slug
from sim.report.variant import Variant, fans, load_variant
from sim.store.run_dir import RunDirError
from sim.store.temporaries import temporary_file

REPORT_FILE = "report.html"
DEFAULT_TITLE = "ICB funding simulator: batch report"
TEMPLATE = "report.html.j2"
#: Section ids the variants' ids must not take.
RESERVED_IDS = frozenset(
    {"top", "comparison", "comparison-money", "comparison-section", "by-sector", "skipped"}
)


@functools.cache
def environment() -> jinja2.Environment:
    """The report's templates, from this package (autoescaped)."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader("sim.report", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )


def render_report(run_dirs: Sequence[Path], title: str = DEFAULT_TITLE) -> str:
    """The report of the given run directories (``DIR/<scenario-name>/``) as HTML.

    Run directories that are missing or unreadable are listed in a note and left out.
    """
    variants: list[Variant] = []
    skipped: list[tuple[Path, str]] = []
    for d in run_dirs:
        try:
            variants.append(load_variant(Path(d)))
        except RunDirError as exc:
            skipped.append((Path(d), str(exc)))
    taken = set(RESERVED_IDS)
    slugs = [slug(v.name, taken) for v in variants]
    all_fans = [fans(v.bands) for v in variants]
    versions = sorted({str(v.manifest.get("package_version", "?")) for v in variants})
    return (
        environment()
        .get_template(TEMPLATE)
        .render(
            title=title,
            header=header(title, variants, slugs),
            toc=[(s, name_html(v.name)) for v, s in zip(variants, slugs, strict=True)],
            skipped=skipped,
            comparison=comparison(variants, slugs, all_fans) if variants else None,
            sections=[
                variant_section(v, s, f, colour(i))
                for i, (v, s, f) in enumerate(zip(variants, slugs, all_fans, strict=True))
            ],
            versions=", ".join(versions),
            colours={
                "ink": INK,
                "muted": MUTED,
                "line": LINE,
                "soft": SOFT,
                "note": NOTE,
                "accent": ACCENT,
                "warn": PALETTE[1],
            },
        )
    )


def write_report(out_dir: Path, run_dirs: Sequence[Path]) -> Path:
    """Write ``out_dir/report.html`` atomically and return its path.

    The report is rendered first, written to a temporary file in ``out_dir`` and renamed
    over any previous report, so ``report.html`` is always a whole report.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    text = render_report(run_dirs)
    final = out_dir / REPORT_FILE
    # Named after this process, so a later run removes it if this one is killed.
    fd, tmp = temporary_file(out_dir, "report", ".html.tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, final)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return final
