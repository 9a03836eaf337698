"""The board pack printed to PDF by headless chromium, as a reader prints it.

Needs Debian's chromium (or ``$CHROMIUM``), as the browser tests do: without it the test is
skipped ("install chromium to run the browser tests"), except in CI, where it fails.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from sim import load_scenario, run
from sim.app.headline import HEADLINES
from sim.report.board_pack import PackRun, render_board_pack
from tests.app.browser.conftest import CHROMIUM_FLAGS, require_chromium
from tests.io.test_board_pack import SMALL, b_of
from tests.paths import SCENARIOS

#: A4 in PDF points, within a point.
A4 = (595, 842)


@pytest.fixture(scope="module")
def chromium() -> str:
    return require_chromium()


def pages(pdf: bytes) -> int:
    """Pages of a PDF: its page objects (chromium writes them uncompressed)."""
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", pdf))


def test_pack_prints_to_a4_pdf(chromium: str, tmp_path: Path) -> None:
    a = load_scenario(SCENARIOS / "baseline.toml").model_copy(update=SMALL)
    page = render_board_pack(PackRun.of(run(b_of(a))), HEADLINES, None, PackRun.of(run(a)))
    source, out = tmp_path / "pack.html", tmp_path / "pack.pdf"
    source.write_text(page, encoding="utf-8")
    done = subprocess.run(
        [
            chromium,
            "--headless",
            *CHROMIUM_FLAGS,
            "--no-pdf-header-footer",
            f"--print-to-pdf={out}",
            source.as_uri(),
        ],
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert out.is_file(), done.stderr.decode(errors="replace")[-2000:]
    pdf = out.read_bytes()
    assert pdf.startswith(b"%PDF-")
    # The pack's sections over several pages, and charts drawn as vectors (not a blank page
    # or a screenshot): a sane size.
    assert 4 <= pages(pdf) <= 20, pages(pdf)
    assert 50_000 < len(pdf) < 5_000_000, len(pdf)
    boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)
    assert boxes and all(
        abs(float(w) - A4[0]) < 1 and abs(float(h) - A4[1]) < 1 for w, h in boxes
    ), boxes[:3]
