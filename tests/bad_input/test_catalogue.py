"""Every broken landing file either stops the run with a message naming file and problem, or has its bad rows
quarantined with a reason while every good row still reaches silver. Never a bare stack trace."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from emporium.config import Settings
from emporium.engine import connect, fetch_all
from orchestration import cli
from quality.landing import validate_landing
from tests.bad_input.catalogue import FILE_CASES, MARKER, FileCase, inject_row_cases, make_benign_changes
from tests.support import generate, settings_for
from tests.warehouse.truth import read_csv_rows


@pytest.fixture(scope="module")
def base_landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("bad-input-base")
    generate(root / "landing", root / "seeds", days="6")
    return root / "landing"


def copy_landing(base: Path, data_dir: Path) -> Settings:
    settings = settings_for(data_dir)
    shutil.copytree(base, settings.landing_dir)
    return settings


def test_generated_zone_passes_and_has_header_only_files(base_landing: Path) -> None:
    assert validate_landing(base_landing) == []
    header_only = [p for p in base_landing.rglob("*.csv") if p.read_text(encoding="utf-8").count("\n") == 1]
    assert header_only, "quiet days must land as header-only files, and those are valid"


@pytest.mark.parametrize("case", FILE_CASES, ids=lambda case: case.name)
def test_broken_file_is_named_with_its_problem(case: FileCase, base_landing: Path, tmp_path: Path) -> None:
    landing = copy_landing(base_landing, tmp_path).landing_dir
    broken = str(case.mutate(landing).relative_to(landing))
    errors = [p for p in validate_landing(landing) if p.severity == "error"]
    assert [p.path for p in errors] == [broken], "exactly the broken file is reported"
    assert case.expected in errors[0].problem


def test_run_stops_before_loading_and_names_the_file(
    base_landing: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = copy_landing(base_landing, tmp_path)
    broken = FILE_CASES[0].mutate(settings.landing_dir).relative_to(settings.landing_dir)
    monkeypatch.setenv("EMPORIUM_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("EMPORIUM_LANDING_DIR", raising=False)
    monkeypatch.delenv("EMPORIUM_WAREHOUSE_PATH", raising=False)
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path / "target"))
    assert cli.main(["run", "--skip-generate"]) == 1
    output = capsys.readouterr()
    assert str(broken) in output.out + output.err
    assert "Traceback" not in output.out + output.err
    assert not settings.warehouse_path.exists(), "nothing is built from a zone with a broken file"


@pytest.fixture(scope="module")
def row_world(
    base_landing: Path,
    tmp_path_factory: pytest.TempPathFactory,
    build_warehouse: Callable[[Settings, bool], None],
) -> tuple[Settings, list]:
    settings = copy_landing(base_landing, tmp_path_factory.mktemp("bad-rows"))
    # the planted truth no longer holds once rows are injected: keep it beside, out of dbt's reach
    shutil.move(settings.truth_dir, settings.data_dir / "truth")
    cases = inject_row_cases(settings.landing_dir)
    make_benign_changes(settings.landing_dir)
    assert validate_landing(settings.landing_dir) == [], (
        "row-level defects are bronze's job, not the validator's"
    )
    build_warehouse(settings, True)
    return settings, cases


def test_each_bad_row_is_quarantined_with_its_reason(row_world: tuple[Settings, list]) -> None:
    settings, cases = row_world
    with connect(settings) as connection:
        for case in cases:
            key_column = fetch_all(
                connection,
                "select column_name from information_schema.columns where table_schema = 'bronze'"
                f" and table_name = 'quarantine_{case.entity}' and column_name like '%_id' order by ordinal_position",
            )[0][0]
            table = f"bronze.quarantine_{case.entity}"
            if case.key:
                rows = fetch_all(
                    connection, f"select reason from {table} where {key_column} = %s", (case.key,)
                )
                assert rows == [(case.reason,)], case.name
                in_silver = fetch_all(
                    connection, f"select count(*) from silver.{case.entity} where {key_column} = {case.key}"
                )
                assert in_silver == [(0,)], case.name
            else:
                reasons = fetch_all(
                    connection, f"select count(*) from {table} where reason = %s", (case.reason,)
                )
                assert reasons[0][0] >= 1, case.name


def test_no_good_row_is_lost(row_world: tuple[Settings, list]) -> None:
    """Silver holds exactly the clean world, plus the one benign ticket with a quoted comma and newline."""
    settings, _ = row_world
    expected = {
        row["entity"]: int(row["clean_rows"])
        for row in read_csv_rows(settings.data_dir / "truth" / "row_counts.csv")
    }
    expected["support_tickets"] += 1
    with connect(settings) as connection:
        silver = {e: fetch_all(connection, f"select count(*) from silver.{e}")[0][0] for e in expected}
        (topic,) = fetch_all(
            connection, f"select topic from silver.support_tickets where ticket_id = {MARKER + 20}"
        )[0]
        gold_orders = fetch_all(
            connection, f"select count(*) from gold.fct_orders where order_id >= {MARKER}"
        )[0][0]
    assert silver == expected
    assert topic == 'billing, "urgent"\nsecond line'
    assert gold_orders == 0
