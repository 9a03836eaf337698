"""Writing a calibration's or a sensitivity analysis's results: tables, charts and a
manifest, published together.

The folder is written as a hidden temporary beside the destination and renamed into place
when complete (an interrupted write leaves the previous results, or nothing).
A destination that exists and was not written by these commands (no ``manifest.json`` of
ours) is refused, never replaced: nothing the user wrote is deleted.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sim.store.temporaries import temporary_dir
from sim.version import __version__

#: What a results folder's manifest.json says it is.
KINDS = ("calibration", "sensitivity")


class OutputError(RuntimeError):
    """Results that cannot be written: names the folder and the reason."""


def refusal(path: Path) -> str | None:
    """Why ``path`` may not be replaced by results, or None when it may be."""
    if not path.exists() and not path.is_symlink():
        return None
    if not path.is_dir() or path.is_symlink():
        return "exists and is not a results folder"
    try:
        doc = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None if not any(path.iterdir()) else "exists and has no manifest.json of ours"
    except (OSError, ValueError):
        return "exists and its manifest.json cannot be read"
    if not (isinstance(doc, dict) and doc.get("kind") in KINDS):
        return "exists and was not written by calibrate or sensitivity"
    return None


def claim(final: Path, kind: str) -> None:
    """Make ``final`` ours before anything is written into it (refused if it is not ours):
    a manifest saying the results are not complete yet."""
    why = refusal(final)
    if why:
        raise OutputError(f"{final} {why}; move it away or choose another --out")
    if (final / "manifest.json").exists():
        return
    try:
        final.mkdir(parents=True, exist_ok=True)
        doc = {"kind": kind, "version": __version__, "complete": False}
        (final / "manifest.json").write_text(json.dumps(doc) + "\n", encoding="utf-8")
    except OSError as exc:
        raise OutputError(f"{final}: cannot write ({exc.strerror or exc})") from None


def csv_text(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A CSV table as text; floats are written in full (``repr``), so nothing is rounded,
    and NaN as an empty cell."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    for row in rows:
        # Floats in full (repr), and NaN (an index SALib cannot give) as an empty cell.
        w.writerow([("" if v != v else repr(v)) if isinstance(v, float) else v for v in row])
    return buf.getvalue()


def publish(
    final: Path,
    kind: str,
    manifest: dict[str, Any],
    files: dict[str, str | bytes],
    keep: Sequence[str] = (),
) -> Path:
    """Write ``files`` (name -> content) and a manifest as the folder ``final``, whole.

    Everything is written to a hidden temporary folder beside it, which then replaces the
    previous folder in one rename: a reader sees the old results or the new, never a mix,
    and files of an earlier call that this one did not write (a backtest not asked for
    again) do not survive. The entries named in ``keep`` (a sensitivity analysis's
    ``samples/``, which ``--resume`` reuses) are moved over from the previous folder.
    """
    why = refusal(final)
    if why:
        raise OutputError(f"{final} {why}; move it away or choose another --out")
    parent = final.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        tmp = temporary_dir(parent, final.name)
    except OSError as exc:
        raise OutputError(f"{parent}: cannot write ({exc.strerror or exc})") from None
    try:
        doc = {"kind": kind, "version": __version__, "complete": True, **manifest}
        contents = {**files, "manifest.json": json.dumps(doc, indent=2, sort_keys=True) + "\n"}
        for name, content in contents.items():
            data = content.encode("utf-8") if isinstance(content, str) else content
            (tmp / name).write_bytes(data)
        if final.exists():
            for name in keep:
                if (final / name).exists():
                    os.replace(final / name, tmp / name)
            old = tmp.with_name(tmp.name + ".old")
            os.replace(final, old)
            os.replace(tmp, final)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, final)
    except OSError as exc:
        raise OutputError(f"{final}: cannot write ({exc.strerror or exc})") from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return final
