"""A two-day backfill equals a full build: the tiny world built without its last two landing days, then those
days land and one range run over them (what `dagster asset materialize --partition-range` and
`emporium run --start --end` start) brings the warehouse (every schema a build writes) to what a full build
of every day gives."""

import json
import shutil
from pathlib import Path

import dagster as dg

from emporium.config import Settings
from ingest.landing_zone import landing_day_of, landing_days
from orchestration.instance import get_instance
from orchestration.partitions import range_tags
from tests.support import assert_same_warehouse, build, settings_for


def _move_days(source: Path, target: Path, days: set[str]) -> int:
    """Move the landing files of `days` from one landing root to the same paths under another."""
    moved = 0
    for path in sorted(source.rglob("*")):
        day = landing_day_of(path.relative_to(source).as_posix()) if path.is_file() else None
        if day is not None and day.isoformat() in days:
            destination = target / path.relative_to(source)
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(path, destination)
            moved += 1
            if not any(path.parent.iterdir()):
                path.parent.rmdir()  # a day is landed when its date= folder exists
    return moved


def _full_parses(target: Path) -> int:
    """How often the dbt processes writing under `target` (one folder per op) re-parsed the whole project."""
    return sum(
        log.read_text(encoding="utf-8").count('"UnableToPartialParse"') for log in target.glob("*/dbt.log*")
    )


def _tests_run(target: Path) -> dict[str, tuple[str, str]]:
    """Test name -> (its compiled SQL, the dbt invocation's id) of the tests the dbt ops under `target` ran."""
    tests = {}
    for path in target.glob("*/run_results.json"):
        results = json.loads(path.read_text(encoding="utf-8"))
        for result in results["results"]:
            if result["unique_id"].startswith("test."):
                name = result["unique_id"].split(".")[2]
                tests[name] = (result["compiled_code"], results["metadata"]["invocation_id"])
    return tests


def test_a_two_day_backfill_equals_a_full_build(tiny_warehouse: Settings, tmp_path: Path) -> None:
    settings = settings_for(tmp_path / "data")
    shutil.copytree(tiny_warehouse.landing_dir, settings.landing_dir)
    start, end = landing_days(settings.landing_dir)[-2:]
    later, truth = tmp_path / "later", tmp_path / "truth"
    assert _move_days(settings.landing_dir, later, {start.isoformat(), end.isoformat()}) >= 11
    shutil.move(settings.truth_dir, truth)  # it counts the two days not landed yet

    first = build(settings, full_refresh=True)
    assert first.success, first.render()

    _move_days(later, settings.landing_dir, {start.isoformat(), end.isoformat()})
    shutil.move(truth, settings.truth_dir)  # the truth tests run in the backfill, on every day
    parsed = _full_parses(settings.dbt_target_path)
    backfill = build(settings, full_refresh=False, window=(start, end))
    assert backfill.success, backfill.render()
    # a new window is no reason to parse again (emporium/dbt.py): each of the run's dbt processes re-uses the parse
    assert _full_parses(settings.dbt_target_path) == parsed, (
        "a dbt op of the backfill parsed the project again"
    )
    run = get_instance(settings).get_run_by_id(backfill.run_id)
    assert run is not None and run.status == dg.DagsterRunStatus.SUCCESS
    assert range_tags(start, end).items() <= run.tags.items(), "one run over the two days"
    # the row-level tests of the twelve incremental models read the rows the backfill's dbt build wrote, a
    # uniqueness test every row with a key it wrote, the tests of the other models every row (macros/test_window.sql)
    tests = _tests_run(settings.dbt_target_path)
    sql, invocation = tests["not_null_fct_orders_order_id"]
    assert f"where _invocation_id = '{invocation}')" in sql, sql
    sql, invocation = tests["unique_fct_sessions_session_id"]
    assert (
        "where session_id in (select session_id from" in sql and f"_invocation_id = '{invocation}'" in sql
    ), sql
    assert "_invocation_id" not in tests["not_null_dim_customers_customer_sk"][0]
    # a relationship reads every child row: the parent may have lost a key that an old row points to
    assert (
        "_invocation_id"
        not in tests["relationships_fct_orders_customer_sk__customer_sk__ref_dim_customers_"][0]
    )
    assert sum("_invocation_id" in sql for sql, _ in tests.values()) >= 90

    assert_same_warehouse(
        settings.warehouse_path,
        tiny_warehouse.warehouse_path,
        "the backfill writes what the full build writes",
    )
