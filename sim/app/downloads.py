"""The app's downloads: the files ``python -m sim run`` writes for the run on show, the
board pack, and the buttons that offer them and the hand-off scenario file.

The ``*_bytes`` functions, :func:`report_html` and :func:`board_pack_html` build the files
from :mod:`sim.store.writer` and :mod:`sim.report` (tested without a browser: AppTest cannot
read a download's bytes); :func:`result_downloads`, :func:`board_pack_download` and
:func:`scenario_download` put the buttons on the page.
"""

from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow.parquet as pq
import streamlit as st

from sim.analysis.summary import summarise
from sim.app.headline import HEADLINES
from sim.app.memory import uncached
from sim.app.run_cache import Run
from sim.engine.results import Results
from sim.scenario.format import Scenario
from sim.store.tables import timeseries_table
from sim.store.writer import write_run, write_summary_csv

if TYPE_CHECKING:
    from sim.report.board_pack import PackRun


def summary_csv_bytes(res: Results) -> bytes:
    """``summary.csv`` of a run (as ``python -m sim run`` writes it)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "summary.csv"
        write_summary_csv(summarise(uncached(res)), path)
        return path.read_bytes()


def timeseries_parquet_bytes(res: Results) -> bytes:
    """``timeseries.parquet`` of a run (as ``python -m sim run`` writes it)."""
    buf = io.BytesIO()
    pq.write_table(timeseries_table(uncached(res)), buf)
    return buf.getvalue()


def outputs_zip_bytes(res: Results) -> bytes:
    """Every output file of ``python -m sim run`` for this run, zipped in a folder.

    The large tables are directories of part files (see :mod:`sim.store.writer`); they are zipped
    as they are, so the unzipped folder reads like a run directory.
    """
    buf = io.BytesIO()
    with tempfile.TemporaryDirectory() as tmp:
        run_dir = write_run(uncached(res), tmp)
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
            for f in sorted(p for p in run_dir.rglob("*") if p.is_file()):
                zf.write(f, f"{run_dir.name}/{f.relative_to(run_dir).as_posix()}")
    return buf.getvalue()


def report_html(res: Results) -> str:
    """The HTML report of this run (:func:`sim.report.page.render_report` of its outputs)."""
    from sim.report.page import render_report

    with tempfile.TemporaryDirectory() as tmp:
        run_dir = write_run(uncached(res), tmp)
        return render_report([run_dir])


def result_downloads(res: Results, name: str) -> None:
    """Four buttons: the summary, the time series, every output file and the report.

    Large files are built when clicked (the button is given a function, not bytes), each
    from a copy of the results whose caches go with it (:func:`sim.app.memory.uncached`),
    so that a download leaves the run's memory as it was.
    """
    c1, c2, c3, c4 = st.columns(4)
    c1.download_button(
        "Summary (CSV)",
        summary_csv_bytes(res),
        f"{name}-summary.csv",
        "text/csv",
        key="dl_summary",
        icon=":material/table:",
    )
    c2.download_button(
        "Time series (Parquet)",
        lambda: timeseries_parquet_bytes(res),
        f"{name}-timeseries.parquet",
        "application/octet-stream",
        key="dl_timeseries",
        icon=":material/timeline:",
    )
    c3.download_button(
        "All output files (zip)",
        lambda: outputs_zip_bytes(res),
        f"{name}.zip",
        "application/zip",
        key="dl_zip",
        icon=":material/folder_zip:",
    )
    c4.download_button(
        "Report (HTML)",
        lambda: report_html(res),
        f"{name}-report.html",
        "text/html",
        key="dl_report",
        icon=":material/description:",
    )


def pack_run(run: Run) -> PackRun:
    """What the board pack reads of a run the app holds (its parts already built)."""
    # The pack's renderer (Jinja, the SVG charts) is imported when a pack is asked for, not
    # with the page: the first page is on screen sooner.
    from sim.report.board_pack import PackRun

    return PackRun(run.results.scenario, run.summary, run.digest, run.measures)


def board_pack_html(current: Run, question: str, pinned: Run | None = None) -> str:
    """The board pack of the run on show, compared with the pinned A's run if given (run
    with B's seed and replications, :func:`sim.analysis.compare.paired_with`), with the
    app's headline measures."""
    from sim.report.board_pack import render_board_pack

    return render_board_pack(
        pack_run(current), HEADLINES, question, pack_run(pinned) if pinned else None
    )


def board_pack_download(current: Run, question: str, pinned: Run | None, name: str) -> None:
    """The board pack's button; the pack is built when clicked."""
    st.download_button(
        "Board pack (HTML, print to PDF)",
        lambda: board_pack_html(current, question, pinned),
        f"{name}-board-pack.html",
        "text/html",
        key="dl_board_pack",
        icon=":material/print:",
        help="One document for a board paper: the question, the settings in words, the answer "
        "with likely ranges"
        + (", B against the pinned A" if pinned else "")
        + ", three charts and the assumptions with their sources. Open it in a browser and "
        "print it, or save it as PDF (A4).",
    )


def scenario_download(scenario: Scenario, text: str) -> None:
    """The sidebar's hand-off button: the scenario with the current settings, as TOML."""
    st.sidebar.download_button(
        "Download scenario (TOML)",
        text,
        f"{scenario.name}.toml",
        "application/toml",
        key="dl_scenario",
        icon=":material/download:",
        help="The full scenario with these settings, headed by what changed from the file. "
        "python -m sim run on it gives exactly these results.",
    )
