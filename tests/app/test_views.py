"""The app's modules import without Streamlit running, and each view is one module."""

from __future__ import annotations

import ast
import importlib
import pkgutil
import subprocess
import sys

import sim.app
import sim.app.views
from tests.paths import ROOT

#: The tabs, in order (as tests/app/test_app.py and docs/app.md name them).
TITLES = [
    "Where the money goes",
    "Primary to hospital care",
    "Deficits",
    "Board power",
    "Decision log",
    "Compare A and B",
    "Summary and downloads",
]
VIEW_MODULES = sorted(m.name for m in pkgutil.iter_modules(sim.app.views.__path__))
APP_MODULES = sorted(m.name for m in pkgutil.iter_modules(sim.app.__path__))


def test_every_view_module_imports_without_streamlit_running() -> None:
    # A fresh interpreter, no Streamlit server or script run: importing must draw nothing,
    # and Streamlit would warn (on stderr) of any call made without a script run.
    names = [f"sim.app.views.{m}" for m in VIEW_MODULES] + [f"sim.app.{m}" for m in APP_MODULES]
    code = (
        "import importlib, sys\n"
        f"for name in {names!r}:\n"
        "    importlib.import_module(name)\n"
        "print('imported', len(sys.modules) > 0)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "imported True"
    assert done.stderr == ""


def test_each_view_has_a_title_and_a_show_function() -> None:
    titles = {}
    for name in VIEW_MODULES:
        module = importlib.import_module(f"sim.app.views.{name}")
        assert callable(module.show), name
        assert module.show.__doc__, name
        titles[module.TITLE] = name
    assert sorted(titles) == sorted(TITLES)


def test_app_py_lists_every_view_in_tab_order() -> None:
    tree = ast.parse((ROOT / "app.py").read_text())
    (views,) = [
        node.value
        for node in tree.body
        if isinstance(node, ast.AnnAssign)
        and isinstance(node.target, ast.Name)
        and node.target.id == "VIEWS"
    ]
    assert isinstance(views, ast.Tuple)
    listed = [e.id for e in views.elts if isinstance(e, ast.Name)]
    assert sorted(listed) == VIEW_MODULES
    titles = [importlib.import_module(f"sim.app.views.{m}").TITLE for m in listed]
    assert titles == TITLES


def test_the_app_stays_in_small_modules() -> None:
    assert len((ROOT / "app.py").read_text().splitlines()) < 100
    folder = ROOT / "sim" / "app"
    for path in sorted(folder.rglob("*.py")):
        lines = len(path.read_text().splitlines())
        assert lines <= 400, f"{path.relative_to(ROOT)} has {lines} lines"
