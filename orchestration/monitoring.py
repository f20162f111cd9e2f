"""Monitoring: input drift per landing day, the alarm that retrains, and the prediction API's log.

- `ml/drift_reports` (in the daily graph, after gold): ml/drift.py's reports of the run's landing days into
  ml.drift_reports; cheap (a few aggregate queries), so every landing day gets its report.
- `drift_alarm` (sensor): when a new materialisation of ml/drift_reports reports an alarm at least a
  reference window (28 days) after the alarm it last retrained for, it launches the training job, which
  goes through the registry's approval step. Reads the materialisation's metadata, never the warehouse
  (the daily run may hold the writer's lock).
- `ml/prediction_log`, `ml/prediction_version_report` (job `prediction_log`, hourly): the service's
  append-only log (serving/prediction_log.py) copied into ml.prediction_log, new rows only, and a comparison
  of the model versions on live traffic (per version and role: predictions, mean score, latency; for
  shadowed requests the gap between the served and the shadow score).
"""

import datetime as dt
import json

import dagster as dg

from emporium.contract import lookback_days
from orchestration.instance import WAREHOUSE_POOL
from orchestration.ml import TRAINING_JOB
from orchestration.partitions import days_in, single_run, window
from orchestration.resources import EmporiumResource

DRIFT_REPORTS = dg.AssetKey(["ml", "drift_reports"])
PREDICTION_LOG = dg.AssetKey(["ml", "prediction_log"])
VERSION_REPORT = dg.AssetKey(["ml", "prediction_version_report"])
DRIFT_INPUTS = [
    dg.AssetKey(["gold", "fct_sessions"]),
    dg.AssetKey(["gold", "fct_orders"]),
    dg.AssetKey(["gold", "dim_products"]),
    dg.AssetKey(["silver", "web_events"]),
]


@dg.asset(
    key=DRIFT_REPORTS,
    group_name="ml",
    deps=DRIFT_INPUTS,
    pool=WAREHOUSE_POOL,
    backfill_policy=single_run,  # a range run reports its days once
    description="input drift per landing day and column against the 28 days before (ml/drift.py)",
)
def drift_reports(context: dg.AssetExecutionContext, emporium: EmporiumResource) -> dg.MaterializeResult:
    from ml.drift import monitor

    span = window(context)
    # late rows of the days before the run's first land in its files: their reports change too
    days = None if span is None else days_in((span[0] - dt.timedelta(days=lookback_days()), span[1]))
    rows = monitor(emporium.settings(), days)
    alarms = sorted({(row.report_date, row.column_name) for row in rows if row.alarm})
    alarm_days = sorted({day.isoformat() for day, _ in alarms})
    if alarms:
        context.log.warning(f"drift alarms on {len(alarm_days)} day(s), first {alarm_days[0]}: "
                            + ", ".join(f"{day} {column}" for day, column in alarms[:10]))  # fmt: skip
    return dg.MaterializeResult(
        metadata={
            "report_rows": len(rows),
            "days": len({row.report_date for row in rows}),
            "alarm_days": json.dumps(alarm_days),
            "newest_alarm": alarm_days[-1] if alarm_days else "",
        }
    )


@dg.sensor(
    name="drift_alarm",
    job_name=TRAINING_JOB,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="launches the training job when a drift report raises a new alarm",
)
def drift_alarm(context: dg.SensorEvaluationContext) -> dg.SensorResult | dg.SkipReason:
    from ml.drift import REFERENCE_DAYS

    records = context.instance.fetch_materializations(DRIFT_REPORTS, limit=1).records
    seen = json.loads(context.cursor) if context.cursor else {"storage_id": 0, "trained_for": ""}
    if not records or records[0].storage_id <= seen["storage_id"]:
        return dg.SkipReason("no new drift report")
    seen["storage_id"] = records[0].storage_id
    newest = records[0].asset_materialization.metadata.get("newest_alarm")
    newest = newest.value if newest is not None else ""
    last = seen["trained_for"]
    # one retraining per drift: later alarms within a reference window of the one trained for are the same
    if not newest or (
        last and dt.date.fromisoformat(newest) < dt.date.fromisoformat(last) + dt.timedelta(REFERENCE_DAYS)
    ):
        reason = "no alarm" if not newest else f"alarm on {newest}: already retrained for the alarm on {last}"
        return dg.SensorResult(skip_reason=reason, cursor=json.dumps(seen))
    seen["trained_for"] = newest
    return dg.SensorResult(
        run_requests=[
            dg.RunRequest(run_key=f"drift-{newest}", tags={"emporium/trigger": f"drift alarm {newest}"})
        ],
        cursor=json.dumps(seen),
    )


@dg.asset(
    key=PREDICTION_LOG,
    group_name="ml",
    pool=WAREHOUSE_POOL,
    description="the prediction API's append-only log (EMPORIUM_PREDICTION_LOG), new rows appended",
)
def prediction_log(emporium: EmporiumResource) -> dg.MaterializeResult:
    from orchestration.prediction_log import load_prediction_log

    added, total = load_prediction_log(emporium.settings())
    return dg.MaterializeResult(metadata={"rows_added": added, "rows": total})


@dg.asset(
    key=VERSION_REPORT,
    group_name="ml",
    deps=[PREDICTION_LOG],
    pool=WAREHOUSE_POOL,
    description="model versions compared on live traffic: predictions, scores, latency, shadow gaps",
)
def prediction_version_report(emporium: EmporiumResource) -> dg.MaterializeResult:
    from orchestration.prediction_log import write_version_report

    report = write_version_report(emporium.settings())
    return dg.MaterializeResult(
        metadata={
            "versions": dg.MetadataValue.md(
                report.to_markdown(index=False) if len(report) else "no predictions"
            )
        }
    )


PREDICTION_LOG_ASSETS = dg.AssetSelection.assets(PREDICTION_LOG, VERSION_REPORT)
prediction_log_job = dg.define_asset_job(
    "prediction_log",
    selection=PREDICTION_LOG_ASSETS,
    description="the prediction API's log into the warehouse",
)
prediction_log_hourly = dg.ScheduleDefinition(
    name="prediction_log_hourly",
    job=prediction_log_job,
    cron_schedule="15 * * * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
)

MONITORING_ASSETS = [drift_reports, prediction_log, prediction_version_report]
