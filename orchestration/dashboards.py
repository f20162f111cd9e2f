"""The BI site (dashboards/, Evidence) as two assets in a job of their own, `dashboards`: not on every
landing day's run (a build takes tens of seconds) and not in the warehouse selection the sensor, schedule
and tests materialise.

- `dashboards/gold_copy`: the gold marts the pages read, copied out of the warehouse while holding the
  `warehouse` pool (DuckDB has one writer; Evidence's connector would otherwise open the pipeline's file).
- `dashboards/site`: `evidence sources` + `evidence build` over that copy, outside the pool.
"""

import dagster as dg

from dashboards.site import build_site, copy_gold, source_tables
from orchestration.instance import WAREHOUSE_POOL
from orchestration.resources import EmporiumResource

GROUP = "dashboards"
GOLD_COPY = dg.AssetKey([GROUP, "gold_copy"])
SITE = dg.AssetKey([GROUP, "site"])


@dg.asset(
    key=GOLD_COPY,
    deps=[dg.AssetKey(["gold", table]) for table in source_tables()],
    group_name=GROUP,
    pool=WAREHOUSE_POOL,
    description="The gold marts the dashboards read, copied for the site build (DuckDB: a file of its own).",
)
def gold_copy(context: dg.AssetExecutionContext, emporium: EmporiumResource) -> dg.MaterializeResult:
    path = copy_gold(emporium.settings())
    return dg.MaterializeResult(metadata={"tables": ", ".join(source_tables()), "path": str(path)})


@dg.asset(
    key=SITE,
    deps=[GOLD_COPY],
    group_name=GROUP,
    description="The Evidence site over the gold copy: static pages with their queries prerendered.",
)
def site(context: dg.AssetExecutionContext, emporium: EmporiumResource) -> dg.MaterializeResult:
    build = build_site(emporium.settings())
    context.log.info(f"site built in {sum(build.seconds.values()):.1f} s: {build.site_dir}")
    metadata = {"site_dir": str(build.site_dir), "pages": ", ".join(build.pages)}
    return dg.MaterializeResult(
        metadata={**metadata, **{f"{k}_s": round(v, 1) for k, v in build.seconds.items()}}
    )


DASHBOARDS = dg.AssetSelection.groups(GROUP)
DASHBOARD_ASSETS = (gold_copy, site)
dashboards_job = dg.define_asset_job(GROUP, selection=DASHBOARDS, description="Copy gold, build the BI site.")
# after the 06:00 rebuild of the newest landing day
dashboards_schedule = dg.ScheduleDefinition(
    job=dashboards_job, cron_schedule="0 7 * * *", execution_timezone="UTC"
)
