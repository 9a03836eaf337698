"""Input the reader must survive, and messages that are safe to print (issue 12, items 1-2).

Each case writes a hostile file (or passes a hostile ``--set``) in a temporary folder and runs
``python -m sim validate`` in-process: the answer is exit code 2 and one short line naming
the file, never a traceback, a hang or the terminal obeying what the file holds.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest

from sim.cli import main
from sim.scenario.loader import MAX_FILE_BYTES, load_scenario, read_toml
from tests.paths import SCENARIOS

BASELINE_TEXT = (SCENARIOS / "baseline.toml").read_text(encoding="utf-8")
#: The documented limit (docs/scenarios.md): sixteen levels of arrays and tables.
NESTING = "arrays or tables nested more than 16 levels deep"


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty working folder holding a copy of the baseline, for children to extend."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "baseline.toml").write_text(BASELINE_TEXT, encoding="utf-8")
    return tmp_path


def validate(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[str]]:
    """``python -m sim validate ARGS`` in-process: (exit code, the lines on stderr)."""
    code = main(["validate", *args])
    return code, capsys.readouterr().err.splitlines()


def child(text: str) -> str:
    """A file extending the baseline with ``text`` after it."""
    return f'extends = "baseline.toml"\n{text}'


# --- 1. nesting, over-long names and huge sweeps -----------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("x = " + "[" * 500 + "]" * 500, f"invalid TOML: {NESTING}", id="arrays-500"),
        pytest.param(
            "x = " + "{a = " * 500 + "1" + "}" * 500, f"invalid TOML: {NESTING}", id="tables-500"
        ),
        pytest.param("x = " + "[" * 20 + "]" * 20, f"x: {NESTING}", id="arrays-20"),
        pytest.param("a." * 5000 + "b = 1", f"a: {NESTING}", id="dotted-key-5000"),
        pytest.param("[" + "t." * 3000 + "u]\nv = 1", f"t: {NESTING}", id="table-header-3000"),
    ],
)
def test_deep_nesting_is_one_line(
    text: str, expected: str, in_tmp: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (in_tmp / "deep.toml").write_text(text, encoding="utf-8")
    assert validate(capsys, "deep.toml") == (2, [f"deep.toml: {expected}"])


def test_nesting_a_scenario_needs_is_accepted(in_tmp: Path) -> None:
    """The limit is far above what the format uses (four levels)."""
    (in_tmp / "tilt.toml").write_text(
        child("[board.plan_tilt.trust]\nprimary = 0.5\n"), encoding="utf-8"
    )
    assert load_scenario("tilt.toml").board.plan_tilt["trust"]["primary"] == 0.5


def test_deep_nesting_in_a_set_override(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = validate(capsys, "baseline.toml", "--set", "x=" + "[" * 500 + "]" * 500)
    assert (code, err) == (2, [f"baseline.toml: --set x: {NESTING}"])
    code, err = validate(capsys, "baseline.toml", "--set", "x" + ".y" * 500 + "=1")
    assert code == 2 and err == [
        f"baseline.toml: --set x{'.y' * 29}.… (1,001 characters): more than 16 steps deep"
    ]


def test_a_set_value_with_a_line_break_is_not_cut_short(
    in_tmp: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``seed=5`` then a second line used to set seed to 5 and drop the rest silently."""
    code, err = validate(capsys, "baseline.toml", "--set", "seed=5\nreplications = 7")
    assert (code, err) == (
        2,
        ["baseline.toml: seed: must be a whole number, got '5\\nreplications = 7'"],
    )


def test_a_whole_number_of_thousands_of_digits(
    in_tmp: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (in_tmp / "big.toml").write_text("seed = " + "9" * 5000 + "\n", encoding="utf-8")
    code, err = validate(capsys, "big.toml")
    assert (code, err) == (2, ["big.toml: invalid TOML: a whole number has more than 4300 digits"])


def test_extends_name_longer_than_the_file_system_allows(
    in_tmp: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    name = "a" * 300 + ".toml"
    (in_tmp / "long.toml").write_text(f'extends = "{name}"\n', encoding="utf-8")
    code, err = validate(capsys, "long.toml")
    assert code == 2 and len(err) == 1
    assert err[0].startswith("long.toml: extends: cannot read parent file aaaa")
    assert err[0].endswith("aaaa.toml (File name too long)") and len(err[0]) < 250


def test_file_name_longer_than_the_file_system_allows(
    in_tmp: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = validate(capsys, "b" * 300 + ".toml")
    assert code == 2 and len(err) == 1
    assert err[0].endswith("bbbb.toml: cannot read file (File name too long)")
    assert len(err[0]) < 250


def sweep_file(folder: Path, axes: dict[str, list[Any]], extra: str = "") -> str:
    lines = [f"{extra}[sweep]"] + [f'"{k}" = {v!r}'.replace("'", '"') for k, v in axes.items()]
    (folder / "sweep.toml").write_text(child("\n".join(lines) + "\n"), encoding="utf-8")
    return "sweep.toml"


def test_a_huge_sweep_is_refused_before_it_is_expanded(
    in_tmp: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """24 million variants: counted from the lists' lengths, refused at once."""
    axes: dict[str, list[Any]] = {
        "seed": list(range(4000)),
        "replications": list(range(1, 3001)),
        "board.quorum": [0.5],
    }
    axes["allocation.growth_rate"] = [0.01, 0.02]
    start = time.monotonic()
    code, err = validate(capsys, sweep_file(in_tmp, axes))
    assert time.monotonic() - start < 5
    assert (code, err) == (
        2,
        [
            "sweep.toml: sweep: gives 24,000,000 variants, more than the limit of 1,000 "
            "(--max-variants sets another)"
        ],
    )
    for command in (["validate"], ["run", "--out", str(in_tmp / "out")]):
        assert main([*command, "sweep.toml", "--max-variants", "10"]) == 2
        assert "more than the limit of 10 (" in capsys.readouterr().err
    assert not (in_tmp / "out").exists()


def test_max_variants_lets_a_sweep_through(
    in_tmp: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sweep_file(in_tmp, {"seed": [1, 2, 3]})
    assert validate(capsys, "sweep.toml", "--max-variants", "2")[0] == 2
    assert main(["validate", "sweep.toml", "--max-variants", "3"]) == 0
    assert capsys.readouterr().out.count("ok: ") == 3


def test_a_grid_too_big_to_count(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    axes = {f"a{i}": [1, 2] for i in range(5000)}
    code, err = validate(capsys, sweep_file(in_tmp, axes))
    assert (code, err) == (
        2,
        [
            "sweep.toml: sweep: gives more than 1,000,000,000,000,000,000 variants, more than "
            "the limit of 1,000 (--max-variants sets another)"
        ],
    )


def test_variants_sharing_an_error_say_it_once(
    in_tmp: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sweep_file(in_tmp, {"seed": list(range(600))}, extra="horizon_years = 0\n")
    assert validate(capsys, "sweep.toml", "--max-variants", "600") == (
        2,
        ["sweep.toml: horizon_years: must be >= 1, got 0 (in 600 of 600 variants)"],
    )


def test_thousands_of_different_errors_are_counted_not_printed(
    in_tmp: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sweep_file(in_tmp, {"allocation.growth_rate": [1 + i / 1000 for i in range(1000)]})
    code, err = validate(capsys, "sweep.toml")
    assert code == 2 and len(err) == 21
    assert err[0] == "sweep.toml: allocation.growth_rate: must be between -0.5 and 0.5, got 1"
    assert err[-1] == "sweep.toml: 980 more errors not shown (1,000 of 1,000 variants are invalid)"


def test_sweep_values_are_set_as_they_are(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A date crashed the sweep (TypeError); nan was read back as the text 'NaN'."""
    (in_tmp / "sweep.toml").write_text(child("[sweep]\nseed = [1979-05-27]\n"), encoding="utf-8")
    assert validate(capsys, "sweep.toml") == (
        2,
        [
            "sweep.toml: sweep.seed: values must be numbers, text or true/false, got the date "
            "1979-05-27"
        ],
    )
    (in_tmp / "sweep.toml").write_text(
        child('[sweep]\n"allocation.growth_rate" = [nan]\n'), encoding="utf-8"
    )
    assert validate(capsys, "sweep.toml") == (
        2,
        ["sweep.toml: allocation.growth_rate: must be between -0.5 and 0.5, got nan"],
    )


# --- 2. messages that are safe to print ----------------------------------------------------


def test_echoed_keys_and_values_are_cut(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (in_tmp / "long.toml").write_text(
        child("k" * 100_000 + ' = 1\ndescription = "x"\nseed = "' + "s" * 100_000 + '"\n'),
        encoding="utf-8",
    )
    code, err = validate(capsys, "long.toml")
    assert code == 2
    assert err == [
        f"long.toml: seed: must be a whole number, got '{'s' * 60}…' (100,000 characters)",
        f"long.toml: {'k' * 60}… (100,000 characters): unknown field (check the spelling)",
    ]


def test_control_characters_are_escaped(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (in_tmp / "esc.toml").write_text(
        child('"a\\u001b[31mred\\nline" = 1\nseed = "x\\u001b[2J\\u202e"\n'), encoding="utf-8"
    )
    code, err = validate(capsys, "esc.toml")
    assert (code, err) == (
        2,
        [
            "esc.toml: seed: must be a whole number, got 'x\\x1b[2J\\u202e'",
            "esc.toml: a\\x1b[31mred\\nline: unknown field (check the spelling)",
        ],
    )


def test_control_characters_in_file_names_are_escaped(
    in_tmp: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    name = "bad\n\x1b[31m.toml"
    (in_tmp / name).write_text("seed = -1\n", encoding="utf-8")
    code, err = validate(capsys, name)
    assert code == 2
    assert err[0] == "bad\\n\\x1b[31m.toml: seed: must be >= 0, got -1"
    assert all("\x1b" not in line for line in err)
    code, err = validate(capsys, "missing\x1b[2J*.toml")
    assert (code, err) == (2, ["missing\\x1b[2J*.toml: no files match"])


def test_printable_and_cut() -> None:
    from sim.scenario.errors import cut, printable

    assert (
        printable("a\tb\r\n\x00\x7f\u202e\U000e0001 é")
        == "a\\tb\\r\\n\\x00\\x7f\\u202e\\U000e0001 é"
    )
    assert cut("x" * 61) == "x" * 60 + "… (61 characters)"
    assert cut("x" * 60) == "x" * 60


def test_a_byte_order_mark_is_accepted(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (in_tmp / "bom.toml").write_bytes(b"\xef\xbb\xbf" + BASELINE_TEXT.encode())
    assert main(["validate", "bom.toml"]) == 0
    assert capsys.readouterr().out == "ok: baseline\n"


def test_a_file_is_read_only_up_to_the_size_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A device or endless file (``/dev/zero``) is not read to the end of memory."""

    class Endless:
        def __enter__(self) -> Endless:
            return self

        def __exit__(self, *exc: object) -> None:
            pass

        def read(self, n: int = -1) -> bytes:
            assert 0 <= n <= MAX_FILE_BYTES + 1, "read without a bound"
            return b"#" * n

    monkeypatch.setattr(Path, "open", lambda *args, **kwargs: Endless())
    with pytest.raises(Exception, match=f"file is larger than {MAX_FILE_BYTES} bytes"):
        read_toml(tmp_path / "zero.toml")


def test_extends_only_names_toml_files(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (in_tmp / "passwd.toml").write_text('extends = "/etc/passwd"\n', encoding="utf-8")
    assert validate(capsys, "passwd.toml") == (
        2,
        ["passwd.toml: extends: must name a .toml scenario file, got '/etc/passwd'"],
    )


def test_extends_with_a_nul_character(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """No file name holds NUL; the file system's ValueError was a traceback."""
    (in_tmp / "nul.toml").write_text('extends = "a\\u0000.toml"\n', encoding="utf-8")
    assert validate(capsys, "nul.toml") == (
        2,
        ["nul.toml: extends: must be a file name, got 'a\\x00.toml'"],
    )


def test_extends_only_follows_links_to_regular_toml_files(
    in_tmp: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (in_tmp / "notes.txt").write_text("seed = 'secret'\n", encoding="utf-8")
    os.symlink(in_tmp / "notes.txt", in_tmp / "notes.toml")
    os.symlink(os.devnull, in_tmp / "null.toml")
    (in_tmp / "a.toml").write_text('extends = "notes.toml"\n', encoding="utf-8")
    (in_tmp / "b.toml").write_text('extends = "null.toml"\n', encoding="utf-8")
    code, err = validate(capsys, "a.toml", "b.toml")
    assert (code, err) == (
        2,
        [
            "a.toml: extends: parent is a link to a file that is not .toml: notes.txt",
            "b.toml: extends: parent is not a regular file: null.toml",
        ],
    )


def test_a_foreign_toml_file_is_not_a_parent_and_its_values_are_not_shown(
    in_tmp: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (in_tmp / "tool.toml").write_text(
        'seed = "hunter2"\ntoken = "hunter2"\n[tool.x]\npassword = "hunter2"\n', encoding="utf-8"
    )
    (in_tmp / "bad.toml").write_text('extends = "tool.toml"\n', encoding="utf-8")
    assert validate(capsys, "bad.toml") == (
        2,
        [
            "bad.toml: extends: parent file tool.toml: not a scenario file ('token', 'tool': "
            "not scenario fields)"
        ],
    )


def test_a_parent_that_fails_is_named_as_the_parent(
    in_tmp: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (in_tmp / "mid.toml").write_text('extends = "gone.toml"\n', encoding="utf-8")
    (in_tmp / "top.toml").write_text('extends = "mid.toml"\n', encoding="utf-8")
    assert validate(capsys, "top.toml") == (
        2,
        ["top.toml: extends: parent file mid.toml: extends: parent file not found: gone.toml"],
    )


def test_a_value_set_by_a_parent_names_the_parent(
    in_tmp: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (in_tmp / "parent.toml").write_text(
        BASELINE_TEXT.replace("horizon_years = 5", "horizon_years = 0"), encoding="utf-8"
    )
    (in_tmp / "own.toml").write_text(
        'extends = "parent.toml"\n[allocation]\ngrowth_rate = 0.9\n', encoding="utf-8"
    )
    assert validate(capsys, "own.toml") == (
        2,
        [
            "own.toml: horizon_years: must be >= 1, got 0 (set in parent file parent.toml)",
            "own.toml: allocation.growth_rate: must be between -0.5 and 0.5, got 0.9",
        ],
    )
    # A value the command sets is the command's, not the parent's.
    assert (
        validate(capsys, "own.toml", "--set", "horizon_years=-1")[1][0]
        == "own.toml: horizon_years: must be >= 1, got -1"
    )


def test_a_file_name_in_another_alphabet_gives_an_ascii_name(in_tmp: Path) -> None:
    (in_tmp / "café.toml").write_text(child(""), encoding="utf-8")
    assert load_scenario("café.toml").name == "caf_"
