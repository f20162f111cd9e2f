"""When the warehouse is built without anyone asking: a sensor on the landing zone and a daily schedule.

- `landing_files` (sensor): every 30 s (EMPORIUM_SENSOR_INTERVAL_SECONDS) it fingerprints the landing
  files and compares them with what was already requested or loaded (the cursor; on its first tick the
  ledger the raw load keeps). New or changed files (a new day, late rows, a corrected re-send of an old
  day) give one run per unbroken stretch of affected landing days, new days are registered as partitions
  first. A file of an older day that changed (a re-send) rebuilds from its day to the newest: the later
  days were validated without it (e.g. orders of the customers in a rejected customers file were held
  meanwhile, and are judged again).
- `daily_newest_partition` (schedule): rebuilds the newest landing day every morning, a safety net for
  the sensor (e.g. while it was stopped).
Both target the warehouse: every asset but the generator's, the models' training, the causal estimates,
the dashboards and the prediction log's (their own jobs).
"""

import datetime as dt
import hashlib
import json

import dagster as dg

from emporium.config import load_settings
from orchestration.causal import CAUSAL
from orchestration.dashboards import DASHBOARDS
from orchestration.ingest import read_ledger
from orchestration.ml import TRAINING
from orchestration.monitoring import PREDICTION_LOG_ASSETS
from orchestration.partitions import LANDING_DAY, contiguous_ranges, landing_days, range_tags
from orchestration.resources import EmporiumResource

# training, the causal estimates, the site build and loading the prediction API's log are jobs of their own
# (orchestration/ml.py, causal.py, dashboards.py, monitoring.py): never on a landing day's run
WAREHOUSE = (
    dg.AssetSelection.all()
    - dg.AssetSelection.groups("landing")
    - TRAINING
    - CAUSAL
    - DASHBOARDS
    - PREDICTION_LOG_ASSETS
)
# WAREHOUSE in the `dagster asset materialize --select` syntax, for a range backfill from the CLI (README)
WAREHOUSE_CLI_SELECTION = (
    'not group:landing and not group:dashboards and not key:"ml/churn_model" and not key:"ml/recommender_model"'
    ' and not key:"ml/causal_estimates"+ and not key:"ml/prediction_log"'
    ' and not key:"ml/prediction_version_report"'
)
SENSOR_INTERVAL_SECONDS = load_settings().sensor_interval_seconds
TRIGGER_TAG = "emporium/trigger"


@dg.sensor(
    name="landing_files",
    target=WAREHOUSE,
    minimum_interval_seconds=SENSOR_INTERVAL_SECONDS,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="runs the warehouse for the landing days whose files are new or changed",
)
def landing_files(
    context: dg.SensorEvaluationContext, emporium: EmporiumResource
) -> dg.SensorResult | dg.SkipReason:
    from ingest.raw_load import file_fingerprints, landing_day_of

    settings = emporium.settings()
    current = file_fingerprints(settings.landing_dir)
    seen = json.loads(context.cursor) if context.cursor else read_ledger(settings.dagster_home)
    changed = sorted(path for path, fingerprint in current.items() if seen.get(path) != fingerprint)
    if not changed:
        return dg.SkipReason(f"no new or changed files among {len(current)} landing files")
    # files outside a date= partition (_truth/) ride along with the next day's run
    days = sorted({day for day in map(landing_day_of, changed) if day is not None})
    if not days:
        return dg.SkipReason(f"only files outside the landing partitions changed: {', '.join(changed[:3])}")
    known = set(context.instance.get_dynamic_partitions(LANDING_DAY))
    new_keys = sorted(day.isoformat() for day in days if day.isoformat() not in known)
    days = _with_days_after_resends(days, [p for p in changed if p in seen], known | set(new_keys))
    digest = hashlib.sha256("\n".join(f"{p}={current[p]}" for p in changed).encode()).hexdigest()[:12]
    requests = [
        dg.RunRequest(
            run_key=f"landing-{start}-{end}-{digest}",
            tags={**range_tags(start, end), TRIGGER_TAG: "landing_files"},
        )
        for start, end in contiguous_ranges(days)
    ]
    context.log.info(
        f"{len(changed)} new or changed landing files on {len(days)} day(s): {len(requests)} run(s)"
    )
    return dg.SensorResult(
        run_requests=requests,
        cursor=json.dumps({**seen, **current}, sort_keys=True),
        dynamic_partitions_requests=[landing_days.build_add_request(new_keys)] if new_keys else [],
    )


def _with_days_after_resends(days: list[dt.date], resent: list[str], partitions: set[str]) -> list[dt.date]:
    """`days`, plus every partition from the oldest re-sent file's day to the newest."""
    from ingest.raw_load import landing_day_of

    resent_days = [day for day in map(landing_day_of, resent) if day is not None]
    if not resent_days:
        return days
    oldest = min(resent_days)
    later = {dt.date.fromisoformat(key) for key in partitions if key >= oldest.isoformat()}
    return sorted(set(days) | later)


@dg.schedule(
    name="daily_newest_partition",
    cron_schedule="0 6 * * *",
    execution_timezone="UTC",
    target=WAREHOUSE,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="rebuilds the newest landing day every morning",
)
def daily_newest_partition(context: dg.ScheduleEvaluationContext) -> dg.RunRequest | dg.SkipReason:
    keys = context.instance.get_dynamic_partitions(LANDING_DAY)
    if not keys:
        return dg.SkipReason("no landing day has been registered yet")
    newest = max(keys)
    when = context.scheduled_execution_time.strftime("%Y-%m-%d")
    return dg.RunRequest(
        run_key=f"daily-{newest}-{when}", partition_key=newest, tags={TRIGGER_TAG: "schedule"}
    )
