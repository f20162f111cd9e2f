"""The Dagster code location: one asset graph from the landing files to gold, joined from its domains.

    .venv/bin/emporium dev    # dagster dev on 127.0.0.1, after writing DAGSTER_HOME/dagster.yaml (telemetry
                              # off, one writer): plain `dagster dev` would start without it

ingest (landing files, raw load) -> warehouse (dbt: seeds, bronze, silver, snapshots, gold, and the ML
feature marts in schema ml) with quality (Great Expectations gates between the layers) -> ml (batch scoring with
the graph; training as the job `ml_training` on its own schedule); causal (estimates of the experiments and
campaigns, their own job `causal_estimates`); dashboards (the BI site, its own job `dashboards`). Serving
joins here with its own assets and jobs.
"""

from __future__ import annotations

import dagster as dg

from orchestration.automation import daily_newest_partition, landing_files
from orchestration.causal import CAUSAL_ASSETS, causal_job, causal_schedule
from orchestration.dashboards import DASHBOARD_ASSETS, dashboards_job, dashboards_schedule
from orchestration.ingest import INGEST_ASSETS
from orchestration.instance import configure_process
from orchestration.ml import ML_ASSETS, training_job, training_schedule
from orchestration.monitoring import MONITORING_ASSETS, drift_alarm, prediction_log_hourly, prediction_log_job
from orchestration.quality import GATES
from orchestration.resources import EmporiumResource, dbt_resource
from orchestration.warehouse import DBT_ASSETS


def build_definitions(overrides: dict[str, str] | None = None) -> dg.Definitions:
    """The definitions, with settings from the environment, `overrides` winning (tests use a scratch folder)."""
    return dg.Definitions(
        assets=[
            *INGEST_ASSETS,
            *DBT_ASSETS,
            *ML_ASSETS,
            *CAUSAL_ASSETS,
            *DASHBOARD_ASSETS,
            *MONITORING_ASSETS,
        ],
        asset_checks=[*GATES],
        jobs=[training_job, causal_job, dashboards_job, prediction_log_job],
        sensors=[landing_files, drift_alarm],
        schedules=[
            daily_newest_partition,
            training_schedule,
            causal_schedule,
            dashboards_schedule,
            prediction_log_hourly,
        ],
        resources={"emporium": EmporiumResource(overrides=overrides or {}), "dbt": dbt_resource()},
        executor=dg.in_process_executor,  # one step at a time: DuckDB has one writer
    )


configure_process()  # the code server, the run workers and `emporium run` all import this module
defs = build_definitions()
