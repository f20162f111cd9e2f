"""Causal estimates on the asset graph: `ml/causal_estimates` reads the gold marts of experiments and
campaigns, runs the standard analyses (ml/causal/analyses.py), writes one row per analysis x estimator to
the table ml.causal_estimates and logs a Markdown report with its plots as an MLflow run (experiment
`emporium_causal`; the report is also kept as <data>/causal/report.md). dbt's gold.mart_experiment_results
reads the table (source python_outputs, op gold_after_python).

Its own job `causal_estimates` (the asset and the mart after it) on a weekly schedule: an experiment's
readout does not change by the day, so neither the landing sensor, the daily schedule nor the test suite's
warehouse builds run it (automation.WAREHOUSE leaves it out); `emporium run` runs the job once after the
warehouse run."""

import datetime as dt
import json
import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import dagster as dg

from emporium.config import Settings
from orchestration.instance import WAREHOUSE_POOL
from orchestration.resources import EmporiumResource

CAUSAL_ESTIMATES = dg.AssetKey(["ml", "causal_estimates"])
# the estimates and the dbt models over them (gold/mart_experiment_results)
# the estimates and the marts over them; the dashboards read those marts but build in their own job
CAUSAL = dg.AssetSelection.assets(CAUSAL_ESTIMATES).downstream() - dg.AssetSelection.groups("dashboards")
MLFLOW_EXPERIMENT = "emporium_causal"
TABLE = "ml.causal_estimates"
COLUMNS = {
    "analysis_type": "varchar", "analysis_id": "bigint", "estimator": "varchar", "is_primary": "boolean",
    "estimand": "varchar", "effect": "double precision", "std_error": "double precision",
    "ci_lower": "double precision", "ci_upper": "double precision", "p_value": "double precision",
    "n_units": "bigint", "n_treated": "bigint", "n_control": "bigint", "diagnostics_passed": "boolean",
    "decision": "varchar", "decision_reason": "varchar", "diagnostics": "varchar",
    "mlflow_run_id": "varchar", "estimated_at": "timestamp",
}  # fmt: skip


def read_marts(settings: Settings) -> tuple[Any, Any]:
    """(experiment customers, campaign customers) from gold, numbers as floats."""
    from emporium.engine import connect, engine_for, fetch_frame

    double = engine_for(settings).column_type("double precision")
    with connect(settings) as connection:
        experiments = fetch_frame(
            connection,
            f"select experiment_id, customer_id, variant, cast(pre_period_revenue as {double})"
            " as pre_period_revenue, pre_period_orders, pre_period_sessions, sessions, converting_sessions"
            " from gold.mart_experiment_customers order by experiment_id, customer_id",
        )
        campaigns = fetch_frame(
            connection,
            f"select campaign_id, customer_id, contacted, cast(spend_before_start as {double})"
            " as spend_before_start, tenure_days, pre_period_orders, pre_period_sessions, sessions,"
            " converting_sessions from gold.mart_campaign_customers order by campaign_id, customer_id",
        )
    return experiments, campaigns


def analyse(experiments: Any, campaigns: Any) -> list[Any]:
    from ml.causal.analyses import campaign_results, experiment_results

    results = []
    for experiment_id, frame in experiments.groupby("experiment_id"):
        results += experiment_results(frame, int(experiment_id))
    for campaign_id, frame in campaigns.groupby("campaign_id"):
        results += campaign_results(frame, int(campaign_id))
    return results


def write_table(settings: Settings, results: Sequence[Any], run_id: str) -> None:
    """Replace ml.causal_estimates with `results`, in one transaction."""
    from emporium.engine import engine_for

    now = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    engine = engine_for(settings)
    with engine.connect(read_only=False) as connection:
        engine.begin(connection)
        engine.query(connection, "create schema if not exists ml")
        engine.query(connection, f"drop table if exists {TABLE}")
        definition = ", ".join(f"{c} {engine.column_type(t)}" for c, t in COLUMNS.items())
        engine.query(connection, f"create table {TABLE} ({definition}){engine.table_options}")
        insert = f"insert into {TABLE} values ({', '.join(['%s'] * len(COLUMNS))})"
        for result in results:
            engine.query(connection, insert, _row(result, run_id, now))


def _row(result: Any, run_id: str, now: dt.datetime) -> list[Any]:
    e = result.estimate
    verdict, reason = result.decision()
    return [
        result.analysis_type, result.analysis_id, e.estimator, result.is_primary, e.estimand, e.effect,
        e.std_error, e.ci_lower, e.ci_upper, e.p_value, e.n, e.n_treated, e.n_control,
        result.diagnostics_passed, verdict, reason, json.dumps(e.diagnostics, sort_keys=True), run_id, now,
    ]  # fmt: skip


def log_report(settings: Settings, results: Sequence[Any]) -> tuple[str, Path]:
    """The report and its plots as an MLflow run (metrics: each estimate's effect and CI); returns the run
    id and the local copy of the report."""
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")  # no usage data leaves the machine
    import mlflow

    from ml.causal.report import write_report

    mlflow.set_tracking_uri(settings.ml.tracking_uri)
    experiment = mlflow.get_experiment_by_name(MLFLOW_EXPERIMENT)
    if experiment is None:
        location = settings.ml.artifact_root / "causal"
        location.mkdir(parents=True, exist_ok=True)
        experiment_id = mlflow.create_experiment(MLFLOW_EXPERIMENT, location.as_uri())
    else:
        experiment_id = experiment.experiment_id
    with tempfile.TemporaryDirectory() as scratch, mlflow.start_run(experiment_id=experiment_id) as run:
        report = write_report(results, Path(scratch))
        for r in results:
            prefix = f"{r.analysis_type}_{r.analysis_id}.{r.estimate.estimator}"
            e = r.estimate
            mlflow.log_metrics({f"{prefix}.effect": e.effect, f"{prefix}.ci_lower": e.ci_lower,
                                f"{prefix}.ci_upper": e.ci_upper, f"{prefix}.p_value": e.p_value})  # fmt: skip
        mlflow.log_artifacts(scratch, artifact_path="report")
        kept = settings.data_dir / "causal"
        shutil.rmtree(kept, ignore_errors=True)
        shutil.copytree(scratch, kept)
        return run.info.run_id, kept / report.name


@dg.asset(
    key=CAUSAL_ESTIMATES,
    deps=[
        dg.AssetKey(["gold", "mart_experiment_customers"]),
        dg.AssetKey(["gold", "mart_campaign_customers"]),
    ],
    group_name="ml",
    kinds={"python", "mlflow"},
    pool=WAREHOUSE_POOL,
    description="Effect, CI, p-value and decision per experiment / campaign and estimator (ml/causal)",
)
def causal_estimates(context: dg.AssetExecutionContext, emporium: EmporiumResource) -> dg.MaterializeResult:
    settings = emporium.settings()
    results = analyse(*read_marts(settings))
    run_id, report = log_report(settings, results)
    write_table(settings, results, run_id)
    primary = {f"{r.analysis_type}_{r.analysis_id}": r for r in results if r.is_primary}
    for name, r in primary.items():
        context.log.info(f"{name} ({r.estimate.estimator}): {r.estimate.effect:+.4f} "
                         f"[{r.estimate.ci_lower:+.4f}, {r.estimate.ci_upper:+.4f}] -> {r.decision()[0]}")  # fmt: skip
    return dg.MaterializeResult(
        metadata={
            "rows": len(results),
            "mlflow_run_id": run_id,
            "report": dg.MetadataValue.path(str(report)),
            **{f"{name}_effect": r.estimate.effect for name, r in primary.items()},
        }
    )


causal_job = dg.define_asset_job(
    "causal_estimates", selection=CAUSAL, description="causal estimates, then the results mart"
)
causal_schedule = dg.ScheduleDefinition(
    name="causal_estimates_weekly",
    job=causal_job,
    cron_schedule="0 7 * * 1",  # Mondays 07:00 UTC, after the daily build
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
CAUSAL_ASSETS = (causal_estimates,)
