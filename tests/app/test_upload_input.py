"""Hostile uploads go through the CLI's reader: one safe line each (issue 12, items 1-2)."""

from __future__ import annotations

import pytest

from sim.app.handoff import read_upload
from sim.scenario.errors import ScenarioError
from tests.paths import SCENARIOS


def refused(file_name: str, data: bytes) -> list[str]:
    """The lines of the error an upload gives."""
    with pytest.raises(ScenarioError) as err:
        read_upload(file_name, data)
    return err.value.lines()


def test_a_deeply_nested_upload_is_one_line() -> None:
    data = b"x = " + b"[" * 500 + b"]" * 500
    assert refused("deep.toml", data) == [
        "deep.toml (upload): invalid TOML: arrays or tables nested more than 16 levels deep"
    ]


def test_an_upload_still_cannot_extend_a_file() -> None:
    assert refused("x.toml", b'extends = "/etc/passwd"\n') == [
        "x.toml (upload): extends: an upload cannot extend another file ('/etc/passwd' is not "
        "here); upload a complete scenario, such as one downloaded from this app"
    ]


def test_an_upload_name_with_escape_codes_is_shown_escaped() -> None:
    assert refused("a\x1b[2J\n.toml", b"seed = -1\n")[0].startswith("a\\x1b[2J\\n.toml (upload): ")


def test_an_upload_with_a_byte_order_mark_is_read() -> None:
    data = b"\xef\xbb\xbf" + (SCENARIOS / "baseline.toml").read_bytes()
    assert read_upload("baseline.toml", data).name == "baseline"


def test_a_huge_extends_value_in_an_upload_is_cut_in_the_message() -> None:
    from sim.app.handoff import read_upload
    from sim.scenario.errors import ScenarioError

    data = ('extends = "' + "x" * 100_000 + '"\n').encode()
    try:
        read_upload("big.toml", data)
    except ScenarioError as exc:
        message = str(exc)
    else:
        raise AssertionError("an upload with extends was accepted")
    assert "extend another file" in message and len(message) < 400
