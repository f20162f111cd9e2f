"""The Dagster code location: one asset graph from the landing files to gold, joined from its domains.

    .venv/bin/emporium dev    # dagster dev on 127.0.0.1, after writing DAGSTER_HOME/dagster.yaml (telemetry
                              # off, one writer): plain `dagster dev` would start without it

ingest (landing files, raw load) -> warehouse (dbt: seeds, bronze, silver, snapshots, gold + ml) with
quality (Great Expectations gates between the layers) -> dashboards (the BI site, a job of its own) ->
later: ml, serving.
"""

from __future__ import annotations

import dagster as dg

from orchestration.automation import daily_newest_partition, landing_files
from orchestration.dashboards import DASHBOARD_ASSETS, dashboards_job, dashboards_schedule
from orchestration.ingest import INGEST_ASSETS
from orchestration.instance import configure_process
from orchestration.quality import GATES
from orchestration.resources import EmporiumResource, dbt_resource
from orchestration.warehouse import DBT_ASSETS


def build_definitions(overrides: dict[str, str] | None = None) -> dg.Definitions:
    """The definitions, with settings from the environment, `overrides` winning (tests use a scratch folder)."""
    return dg.Definitions(
        assets=[*INGEST_ASSETS, *DBT_ASSETS, *DASHBOARD_ASSETS],
        asset_checks=[*GATES],
        jobs=[dashboards_job],
        sensors=[landing_files],
        schedules=[daily_newest_partition, dashboards_schedule],
        resources={"emporium": EmporiumResource(overrides=overrides or {}), "dbt": dbt_resource()},
        executor=dg.in_process_executor,  # one step at a time: DuckDB has one writer
    )


configure_process()  # the code server, the run workers and `emporium run` all import this module
defs = build_definitions()
