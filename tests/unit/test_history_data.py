"""The published figures in data/: every table parses, every value has a source and a date,
and the figures the issue and the docs quote are the ones shipped."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.calibration.history import COLUMNS, DATA_DIR, DataError, figure, read_file, tables
from sim.calibration.spec import DEFAULT_SPEC, load_spec, target_values

HEADER = ",".join(COLUMNS)
ROW = 'acute,2016/17-2022/23,0.044,fraction a year,"Nuffield Trust",2024-05-30,https://x.org,'


def test_every_table_parses_and_every_value_has_a_source() -> None:
    names = tables()
    assert {"sector_real_growth", "icb_allocations", "deficits"} <= set(names)
    for name in names:
        for f in read_file(DATA_DIR / "history" / f"{name}.csv"):
            assert f.source and f.published and f.url.startswith("http"), (name, f.item)


def test_the_calibration_targets_are_the_published_ones() -> None:
    growth = {f.item: f.value for f in read_file(DATA_DIR / "history" / "sector_real_growth.csv")}
    assert growth["acute"] == 0.044
    assert growth["mental health"] == 0.053
    assert growth["general practice"] == 0.033
    assert growth["community"] == 0.005
    assert growth["prescribing"] == -0.005
    assert growth["dentistry"] == -0.022
    assert growth["ophthalmic and pharmacy"] == -0.020
    assert growth["total"] == 0.031
    assert figure("icb_allocations", "ICB allocations", "2023/24").value == 123_900
    assert figure("icb_allocations", "primary medical care", "2022/23").value == 9_671
    assert figure("deficits", "system deficits", "2023/24").value == 1_400
    assert figure("deficits", "planned system deficits", "2024/25").value == 2_200
    spec, _ = load_spec(DEFAULT_SPEC)
    by_detail = dict(zip([t.detail for t in spec.targets], target_values(spec), strict=True))
    assert by_detail["pharmacy, dental and optometry"] == pytest.approx(-0.021)


def test_allocation_tables_add_up() -> None:
    # The 2016 settlement's programmes sum to its subtotal (CIPFA's table: £95,167m in 2016/17).
    rows = read_file(DATA_DIR / "history" / "nhs_england_allocations.csv")
    got = sum(
        f.value
        for f in rows
        if f.year == "2016/17" and f.item in ("CCG programme", "primary care", "specialised")
    )
    assert got == 95_167


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (ROW.replace('"Nuffield Trust"', '""'), "source is empty"),
        (ROW.replace("0.044", "lots"), "value must be a number"),
        (ROW.replace("0.044", "nan"), "value must be finite"),
        (ROW.replace("2024-05-30", "last May"), "published must be a date"),
        (ROW.replace("https://x.org", "x.org"), "url must be a web address"),
        (ROW.replace("fraction a year", "percent"), "unit must be one of"),
        (ROW + "\n" + ROW, "appears twice"),
        (ROW.rsplit(",", 1)[0], "fields, expected 8"),
    ],
)
def test_a_figure_without_its_source_or_in_the_wrong_form_is_an_error(
    tmp_path: Path, body: str, reason: str
) -> None:
    path = tmp_path / "t.csv"
    path.write_text(HEADER + "\n" + body + "\n", encoding="utf-8")
    with pytest.raises(DataError, match=reason) as err:
        read_file(path)
    assert str(err.value).startswith(str(path)) and "\n" not in str(err.value)


def test_a_table_with_another_header_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(DataError, match="the header must be"):
        read_file(path)
