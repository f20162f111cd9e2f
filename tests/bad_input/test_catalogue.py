"""A bad file does not stop the world. A broken landing file is named (file, line, problem), left out and
recorded in quality.rejected_files while every other file loads; a benign variant loads with a warning and
gives the same bronze rows as the clean file; bad rows are quarantined with a reason while every good row
still reaches silver. Never a bare stack trace, nothing lost silently."""

from __future__ import annotations

import shutil
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from emporium.config import Settings
from emporium.contract import ENTITIES
from emporium.engine import connect, fetch_all
from ingest.raw_load import LoadReport
from ingest.validation import validate_landing
from orchestration import cli
from tests.bad_input.catalogue import (
    FILE_CASES,
    MARKER,
    FileCase,
    RowCase,
    inject_row_cases,
    make_benign_changes,
    make_benign_variants,
)
from tests.ingest.build import build, copy_landing, load
from tests.support import LOAD_TIME_COLUMNS, generate
from tests.warehouse.truth import read_csv_rows

REJECTED_CASES = [case for case in FILE_CASES if case.severity == "error"]
BENIGN_CASES = [case for case in FILE_CASES if case.severity == "warn"]


@pytest.fixture(scope="module")
def base_landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("bad-input-base")
    generate(root / "landing", root / "seeds", days="6")
    return root / "landing"


def raw_rows(settings: Settings) -> dict[str, Counter[tuple[Any, ...]]]:
    """file -> its rows in raw (the row's own columns, lineage included)."""
    rows: dict[str, Counter[tuple[Any, ...]]] = {}
    with connect(settings) as connection:
        for entity in ENTITIES:
            for row in fetch_all(connection, f"select * from raw.{entity.name}"):
                rows.setdefault(row[-2], Counter())[row] += 1  # _source_file is the last but one column
    return rows


@pytest.fixture(scope="module")
def base_raw(
    base_landing: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Counter[tuple[Any, ...]]]:
    settings = copy_landing(base_landing, tmp_path_factory.mktemp("bad-input-clean-raw"))
    load(settings, "clean")
    return raw_rows(settings)


def test_generated_zone_passes_and_has_header_only_files(base_landing: Path) -> None:
    assert validate_landing(base_landing) == []
    header_only = [p for p in base_landing.rglob("*.csv") if p.read_text(encoding="utf-8").count("\n") == 1]
    assert header_only, "quiet days must land as header-only files, and those are valid"


@pytest.mark.parametrize("case", FILE_CASES, ids=lambda case: case.name)
def test_broken_file_is_named_with_its_problem(case: FileCase, base_landing: Path, tmp_path: Path) -> None:
    landing = copy_landing(base_landing, tmp_path).landing_dir
    broken = case.mutate(landing).relative_to(landing).as_posix()
    problems = validate_landing(landing)
    assert {p.path for p in problems} == {broken}, "exactly the broken file is reported"
    assert {p.severity for p in problems} == {case.severity}
    assert any(case.expected in p.problem for p in problems)


@pytest.mark.parametrize("case", REJECTED_CASES, ids=lambda case: case.name)
def test_broken_file_is_rejected_and_recorded_while_the_rest_loads(
    case: FileCase, base_landing: Path, base_raw: dict[str, Counter[tuple[Any, ...]]], tmp_path: Path
) -> None:
    settings = copy_landing(base_landing, tmp_path)
    broken = case.mutate(settings.landing_dir).relative_to(settings.landing_dir).as_posix()
    report = load(settings, "broken")
    assert {issue.file for issue in report.rejected} == {broken}
    assert any(case.expected in issue.problem for issue in report.rejected)
    assert report.warnings == []
    expected = {file: rows for file, rows in base_raw.items() if file != broken}
    assert raw_rows(settings) == expected, "every other file loads, row for row"
    with connect(settings) as connection:
        recorded = fetch_all(
            connection, "select file, line, problem from quality.rejected_files where resolved_at is null"
        )
    assert recorded == [(i.file, i.line, i.problem) for i in report.rejected]


@pytest.mark.parametrize("case", BENIGN_CASES, ids=lambda case: case.name)
def test_benign_variant_loads_with_a_warning_and_the_same_raw_rows(
    case: FileCase, base_landing: Path, base_raw: dict[str, Counter[tuple[Any, ...]]], tmp_path: Path
) -> None:
    settings = copy_landing(base_landing, tmp_path)
    variant = case.mutate(settings.landing_dir).relative_to(settings.landing_dir).as_posix()
    report = load(settings, "benign")
    assert report.rejected == []
    assert {issue.file for issue in report.warnings} == {variant}
    assert any(case.expected in issue.problem for issue in report.warnings)
    assert raw_rows(settings) == base_raw, "normalised on load: the rows are the clean file's"
    with connect(settings) as connection:
        recorded = fetch_all(connection, "select distinct file from quality.landing_warnings")
    assert recorded == [(variant,)]


def _cli_env(monkeypatch: pytest.MonkeyPatch, settings: Settings) -> None:
    monkeypatch.setenv("EMPORIUM_DATA_DIR", str(settings.data_dir))
    monkeypatch.delenv("EMPORIUM_LANDING_DIR", raising=False)
    monkeypatch.delenv("EMPORIUM_WAREHOUSE_PATH", raising=False)
    monkeypatch.setenv("DBT_TARGET", "duckdb")


def test_cli_load_says_what_it_rejected_and_loads_the_rest(
    base_landing: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = copy_landing(base_landing, tmp_path)
    broken = REJECTED_CASES[0].mutate(settings.landing_dir).relative_to(settings.landing_dir).as_posix()
    _cli_env(monkeypatch, settings)
    assert cli.main(["load"]) == 1, "a rejected file makes the load exit non-zero"
    output = capsys.readouterr()
    assert "REJECTED" in output.out and broken in output.out
    assert "Traceback" not in output.out + output.err
    with connect(settings) as connection:
        assert fetch_all(connection, "select count(*) from raw.orders")[0][0] > 0, "the rest loaded"
    assert cli.main(["validate"]) == 1
    assert broken in capsys.readouterr().out


def test_cli_validate_passes_benign_variants_with_warnings(
    base_landing: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = copy_landing(base_landing, tmp_path)
    touched = make_benign_variants(settings.landing_dir)
    _cli_env(monkeypatch, settings)
    assert cli.main(["validate"]) == 0
    output = capsys.readouterr().out
    assert "0 error(s)" in output and all(f in output for f in touched if not f.endswith(".parquet"))


# --- one warehouse with row-level defects and benign variants, built through bronze, silver and gold ------


@dataclass(frozen=True)
class RowWorld:
    settings: Settings
    cases: list[RowCase]
    report: LoadReport
    variants: list[str]  # files changed into benign variants


@pytest.fixture(scope="module")
def row_world(base_landing: Path, tmp_path_factory: pytest.TempPathFactory) -> RowWorld:
    settings = copy_landing(base_landing, tmp_path_factory.mktemp("bad-rows"))
    # the planted truth no longer holds once rows are injected: keep it beside, out of dbt's reach
    shutil.move(settings.truth_dir, settings.data_dir / "truth")
    cases = inject_row_cases(settings.landing_dir)
    make_benign_changes(settings.landing_dir)
    variants = make_benign_variants(settings.landing_dir)
    assert [p for p in validate_landing(settings.landing_dir) if p.severity == "error"] == [], (
        "row-level defects are bronze's job, not the validator's"
    )
    report = load(settings, "rows")
    build(settings, truth=False)
    return RowWorld(settings, cases, report, variants)


@pytest.fixture(scope="module")
def clean_bronze(base_landing: Path, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The untouched base zone through bronze: what the benign variants' rows must look like."""
    settings = copy_landing(base_landing, tmp_path_factory.mktemp("clean-bronze"))
    load(settings, "clean")
    build(settings, truth=False, select=["path:models/bronze"], command="run")
    return settings


def _quarantined(settings: Settings, entity: str, reason: str) -> int:
    with connect(settings) as connection:
        return fetch_all(
            connection, f"select count(*) from bronze.quarantine_{entity} where reason = %s", (reason,)
        )[0][0]


def test_each_bad_row_is_quarantined_with_its_reason(row_world: RowWorld, clean_bronze: Settings) -> None:
    # a row without a key cannot be found by it: count them, over what the untouched zone quarantines already
    keyless = Counter((case.entity, case.reason) for case in row_world.cases if not case.key)
    assert sum(keyless.values()) == 3
    for (entity, reason), injected in keyless.items():
        added = _quarantined(row_world.settings, entity, reason) - _quarantined(clean_bronze, entity, reason)
        assert added == injected, (entity, reason, added, injected)
    with connect(row_world.settings) as connection:
        for case in [case for case in row_world.cases if case.key]:
            key_column = fetch_all(
                connection,
                "select column_name from information_schema.columns where table_schema = 'bronze'"
                f" and table_name = 'quarantine_{case.entity}' and column_name like '%_id' order by ordinal_position",
            )[0][0]
            table = f"bronze.quarantine_{case.entity}"
            rows = fetch_all(connection, f"select reason from {table} where {key_column} = %s", (case.key,))
            assert rows == [(case.reason,)], case.name
            in_silver = fetch_all(
                connection, f"select count(*) from silver.{case.entity} where {key_column} = {case.key}"
            )
            assert in_silver == [(0,)], case.name


def test_no_good_row_is_lost(row_world: RowWorld) -> None:
    """Silver holds exactly the clean world, plus the one benign ticket with a quoted comma and newline."""
    settings = row_world.settings
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


def bronze_rows(settings: Settings, files: list[str]) -> Counter[tuple[str, tuple[Any, ...]]]:
    """(model, row) of every stg_/quarantine_ model row from `files`, load-time columns left out."""
    rows: Counter[tuple[str, tuple[Any, ...]]] = Counter()
    listed = ", ".join(f"'{f}'" for f in files)
    with connect(settings) as connection:
        for entity in ENTITIES:
            for model in (f"stg_shop__{entity.name}", f"quarantine_{entity.name}"):
                cursor = connection.cursor()
                cursor.execute(f"select * from bronze.{model} where _source_file in ({listed})")
                keep = [i for i, c in enumerate(cursor.description) if c[0] not in LOAD_TIME_COLUMNS]
                rows.update((model, tuple(row[i] for i in keep)) for row in cursor.fetchall())
                cursor.close()
    return rows


def test_benign_variants_load_with_warnings_and_type_like_the_clean_files(
    row_world: RowWorld, clean_bronze: Settings
) -> None:
    report, variants = row_world.report, row_world.variants
    assert report.rejected == [], "BOM, CRLF and column order are warnings, not rejections"
    warned = {issue.file for issue in report.warnings}
    assert warned == {f for f in variants if not f.endswith(".parquet")}, "Parquet column order is no warning"
    variant_rows = bronze_rows(row_world.settings, variants)
    assert {model for model, _ in variant_rows} >= {"stg_shop__orders", "stg_shop__web_events"}
    assert variant_rows == bronze_rows(clean_bronze, variants), "typed exactly as from the clean files"
