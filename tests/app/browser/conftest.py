"""Browser tests: the app served by Streamlit, driven in Debian's chromium.

Nothing downloads a browser: the tests use the system chromium (``apt-get install
chromium``), or the executable ``$CHROMIUM`` names. Without it they are skipped ("install
chromium to run the browser tests"), except in CI (the ``CI`` variable set), where they fail.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserType

from tests.paths import ROOT

CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
#: Seconds to wait for the server to answer its health check.
START_TIMEOUT = 60


def find_chromium() -> str | None:
    """Debian's chromium, or the executable named by $CHROMIUM, if it is there."""
    chosen = os.environ.get("CHROMIUM")
    candidates = [chosen] if chosen else ["/usr/bin/chromium", shutil.which("chromium")]
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return candidate
    return None


def require_chromium() -> str:
    """The chromium executable; without it the calling test is skipped, or fails in CI
    (where a skipped browser test would hide that nothing was checked)."""
    path = find_chromium()
    if path is None:
        message = "install chromium to run the browser tests (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(f"CI is set and chromium is missing: {message}")
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def chromium() -> str:
    """The chromium executable (:func:`require_chromium`)."""
    return require_chromium()


@pytest.fixture(scope="session")
def browser_type_launch_args(
    browser_type_launch_args: dict[str, Any], chromium: str
) -> dict[str, Any]:
    """Launch the system chromium (pytest-playwright would look for its own download)."""
    return {**browser_type_launch_args, "executable_path": chromium, "args": CHROMIUM_FLAGS}


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as r:
            return bool(r.status == 200 and r.read().strip() == b"ok")
    except OSError:
        return False


@pytest.fixture(scope="module")
def browser(
    browser_type: BrowserType, browser_type_launch_args: dict[str, Any]
) -> Iterator[Browser]:
    """One chromium for the browser tests, closed when they end rather than with the session.

    (pytest-playwright keeps its browser for the whole session; other tests count this
    process's grandchildren, which chromium's processes would be.)
    """
    launched = browser_type.launch(**browser_type_launch_args)
    yield launched
    launched.close()


@pytest.fixture(scope="module")
def app_url(chromium: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Serve app.py on a free local port for the browser tests; stop it after them."""
    port = _free_port()
    if _port_in_use(port):  # a stale server there could make the tests pass falsely
        pytest.fail(f"port {port} is already in use")
    log_path = tmp_path_factory.mktemp("server") / "streamlit.log"
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false"}
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                "app.py",
                "--server.headless",
                "true",
                "--server.address",
                "127.0.0.1",
                "--server.port",
                str(port),
                "--browser.gatherUsageStats",
                "false",
                "--",
                "scenarios/baseline.toml",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + START_TIMEOUT
            while not _healthy(url):
                if proc.poll() is not None:
                    pytest.fail(f"streamlit exited with {proc.returncode}:\n{log_path.read_text()}")
                if time.monotonic() > deadline:
                    pytest.fail(
                        f"streamlit not healthy after {START_TIMEOUT} s:\n{log_path.read_text()}"
                    )
                time.sleep(0.1)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the browser tests save their full-page screenshots ($APP_SCREENSHOTS or a tmp dir)."""
    chosen = os.environ.get("APP_SCREENSHOTS")
    if chosen:
        path = Path(chosen)
        path.mkdir(parents=True, exist_ok=True)
        return path
    return tmp_path_factory.mktemp("screenshots")
