"""The whole graph materialised through Dagster, and a failing blocking gate stopping what is downstream."""

import datetime as dt
import shutil
from pathlib import Path

import dagster as dg
import duckdb
import yaml

from emporium.config import Settings, settings_env
from orchestration.automation import WAREHOUSE
from orchestration.definitions import build_definitions
from orchestration.instance import get_instance
from orchestration.partitions import register_days
from orchestration.runner import RunOutcome
from quality.gates import gate_checks
from tests.support import settings_for


def test_whole_graph_materialised_with_every_check_passing(
    tiny_warehouse: Settings, tiny_run: RunOutcome
) -> None:
    assert tiny_run.success and not tiny_run.failed_steps
    assert tiny_run.not_materialized == [], "every asset downstream of the landing files was built"
    assert tiny_run.failed_checks == []
    layers = {key.split("/")[0] for key in tiny_run.materialized}
    assert {"raw", "raw_truth", "seeds", "bronze", "silver", "snapshots", "gold", "ml"} <= layers


def test_the_run_is_recorded_in_dagster_home_with_telemetry_off(
    tiny_warehouse: Settings, tiny_run: RunOutcome
) -> None:
    config = yaml.safe_load((tiny_warehouse.dagster_home / "dagster.yaml").read_text(encoding="utf-8"))
    assert config["telemetry"] == {"enabled": False}
    assert config["concurrency"]["pools"]["default_limit"] == 1
    instance = get_instance(tiny_warehouse)
    run = instance.get_run_by_id(tiny_run.run_id)
    assert run is not None and run.status == dg.DagsterRunStatus.SUCCESS
    # runs the daemon launched are retried once after a crash; an in-process run is its caller's to rerun
    assert (instance.run_retries_enabled, instance.run_retries_max_retries) == (True, 1)
    assert not instance.run_retries_retry_on_asset_or_op_failure
    assert run.tags["dagster/max_retries"] == "0"
    checks = instance.event_log_storage.get_latest_asset_check_execution_by_key(
        [dg.AssetCheckKey(dg.AssetKey(["silver", "orders"]), "row_accounting")]
    )
    assert checks, "the silver gate's row accounting was recorded as an asset check"


def _gate_then_gold(settings: Settings) -> tuple[dg.ExecuteInProcessResult, list[dg.EventLogEntry]]:
    """The silver gate's checks and everything in gold and ml a landing day's run builds (not the jobs of their
    own: training, causal estimates, the prediction log), as one job over the first landing day."""
    definitions = build_definitions(settings_env(settings))
    graph = definitions.resolve_asset_graph()
    downstream = [key for key in WAREHOUSE.resolve(graph) if key.path[0] in ("gold", "ml")]
    silver_gate = [
        dg.AssetCheckKey(dg.AssetKey(c.relation.split(".")), c.name) for c in gate_checks("silver")
    ]
    job = dg.define_asset_job(
        "gate_then_gold", dg.AssetSelection.assets(*downstream) | dg.AssetSelection.checks(*silver_gate)
    )
    merged = dg.Definitions.merge(definitions, dg.Definitions(jobs=[job]))
    instance = get_instance(settings)
    register_days(instance, [dt.date(2025, 1, 1)])
    result = merged.resolve_job_def("gate_then_gold").execute_in_process(
        instance=instance,
        tags={
            "dagster/asset_partition_range_start": "2025-01-01",
            "dagster/asset_partition_range_end": "2025-01-01",
        },
        raise_on_error=False,
    )
    return result, list(instance.all_logs(result.run_id))


def _steps(logs: list[dg.EventLogEntry], event_type: dg.DagsterEventType) -> set[str]:
    return {e.step_key for e in logs if e.dagster_event and e.dagster_event.event_type == event_type}


def test_failing_blocking_gate_check_stops_downstream_assets(
    tiny_warehouse: Settings, tiny_run: RunOutcome, tmp_path: Path
) -> None:
    settings = settings_for(tmp_path, EMPORIUM_LANDING_DIR=str(tiny_warehouse.landing_dir))
    settings.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(tiny_warehouse.warehouse_path, settings.warehouse_path)
    # control: the run that built this world passed the same gate and executed every step after it
    control = list(get_instance(tiny_warehouse).all_logs(tiny_run.run_id))
    assert {"silver_gate", "gold", "gold_gate"} <= _steps(control, dg.DagsterEventType.STEP_SUCCESS)

    with duckdb.connect(str(settings.warehouse_path)) as connection:  # rows lost between bronze and silver
        connection.execute(
            "delete from silver.orders where order_id in (select order_id from silver.orders limit 3)"
        )
    result, logs = _gate_then_gold(settings)
    evaluations = [
        e.event_specific_data for e in result.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"
    ]
    failed = {(e.asset_key.to_user_string(), e.check_name) for e in evaluations if not e.passed}
    assert ("silver/orders", "row_accounting") in failed
    materialized = [e for e in result.all_events if e.event_type_value == "ASSET_MATERIALIZATION"]
    assert not result.success and materialized == [], (
        "no gold asset materialises after a failed blocking check"
    )
    # the gate's step fails because its blocking check failed, and nothing else does ...
    (failure,) = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    assert failure.step_key == "silver_gate"
    error = failure.step_failure_data.error
    assert error.cls_name == "DagsterAssetCheckFailedError" and "silver/orders: " in error.message
    assert "row_accounting" in error.message
    # ... every step downstream never starts: Dagster does not execute it, its dependency having failed
    assert _steps(logs, dg.DagsterEventType.STEP_START) == {"silver_gate"}
    reasons = {e.step_key: e.user_message for e in logs if (e.user_message or "").endswith("Not executing.")}
    assert "gold" in reasons and reasons.keys() <= _steps(control, dg.DagsterEventType.STEP_SUCCESS)
    assert "failed: ['silver_gate'" in reasons["gold"], "gold waits on the gate's step"
    assert all("failed: ['silver_gate'" in r or "were not executed" in r for r in reasons.values())
