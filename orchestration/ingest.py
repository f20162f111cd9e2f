"""Assets upstream of bronze: the generated landing zone and the raw load into the warehouse.

`landing/<entity>` (+ `landing/truth`): the files the generator writes (generator.run.generate), one asset
per landing source. Real feeds land the same files from outside; the landing sensor (automation.py) notices.
`raw/shop`: the accepted landing files of a range of landing days, loaded into schema `raw` (DuckDB or
Postgres, ingest.raw_load), one table per entity: the dbt source `shop`. A file that fails validation is
left out and recorded in `quality.rejected_files`; the entity's `files_accepted_<entity>` check fails (error
severity, not blocking: the rest of the partition loads and the run goes on).
`raw_truth/<name>`: the generator's planted truth (`_truth/*.csv`) for the reconciliation tests.
"""

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dagster as dg
import yaml

from emporium.config import PROJECT_ROOT
from emporium.contract import ENTITIES
from orchestration.instance import WAREHOUSE_POOL
from orchestration.partitions import days_in, is_full_refresh, landing_days, register_days, single_run, window
from orchestration.resources import EmporiumResource

LANDING_TRUTH = dg.AssetKey(["landing", "truth"])
SOURCES_YML = PROJECT_ROOT / "models" / "bronze" / "_shop__sources.yml"


def truth_tables() -> tuple[str, ...]:
    """The tables of the dbt source `truth`, as its YAML declares them (the planted truth dbt tests read)."""
    sources = yaml.safe_load(SOURCES_YML.read_text(encoding="utf-8"))["sources"]
    return tuple(
        table["name"] for source in sources if source["name"] == "truth" for table in source["tables"]
    )


TRUTH_TABLES = truth_tables()


def landing_key(entity: str) -> dg.AssetKey:
    return dg.AssetKey(["landing", entity])


class GenerateConfig(dg.Config):
    """A fresh synthetic world (generator.config.Params); the previous landing zone is replaced."""

    scale: float = 0.1
    days: int = 365
    seed: int = 42


@dg.multi_asset(
    name="generate_landing",
    specs=[
        *(
            dg.AssetSpec(
                landing_key(e.name), group_name="landing", kinds={e.fmt}, description=f"{e.name} files"
            )
            for e in ENTITIES
        ),
        dg.AssetSpec(
            LANDING_TRUTH, group_name="landing", kinds={"csv"}, description="_truth/: planted truth"
        ),
    ],
)
def generate_landing(
    context: dg.AssetExecutionContext, config: GenerateConfig, emporium: EmporiumResource
) -> Iterator[dg.MaterializeResult]:
    from generator.config import Params
    from generator.run import generate

    settings = emporium.settings()
    params = Params(seed=config.seed, scale=config.scale, days=config.days)
    generate(params, settings.landing_dir, settings.seeds_dir)
    added = register_days(context.instance, (params.date_of(day) for day in range(params.days)))
    context.log.info(
        f"generated {params.days} landing days into {settings.landing_dir}; {len(added)} new partitions"
    )
    for entity in ENTITIES:
        files = sorted((settings.landing_dir / entity.name).glob(f"*/*.{entity.ext}"))
        yield dg.MaterializeResult(
            asset_key=landing_key(entity.name),
            metadata={"files": len(files), "bytes": sum(f.stat().st_size for f in files)},
        )
    yield dg.MaterializeResult(asset_key=LANDING_TRUTH, metadata={"params": json.dumps(params.to_manifest())})


RAW_SHOP = dg.AssetKey(["raw", "shop"])


@dg.asset(
    key=RAW_SHOP,
    deps=[landing_key(e.name) for e in ENTITIES],
    group_name="raw",
    description=(
        "Schema raw: the accepted landing files of each entity as text (raw.<entity>, with _source_file and "
        "date), the dbt source `shop`. One asset for the eleven tables: Dagster stores one event per asset "
        "and partition, and a year of days times eleven tables cost half a minute of bookkeeping per build."
    ),
    check_specs=[
        dg.AssetCheckSpec(
            f"files_accepted_{e.name}",
            asset=RAW_SHOP,
            description=f"every {e.name} landing file of the partitions loaded (none rejected by validation)",
        )
        for e in ENTITIES
    ],
    partitions_def=landing_days,
    backfill_policy=single_run,
    pool=WAREHOUSE_POOL,
)
def load_raw(context: dg.AssetExecutionContext, emporium: EmporiumResource) -> Iterator[Any]:
    from ingest.raw_load import load_raw as load

    settings = emporium.settings()
    span = window(context)
    days = None if is_full_refresh(context) or span is None else days_in(span)
    report = load(settings, days, run_id=context.run.run_id)
    if report.rejected:
        context.log.error(
            "REJECTED landing files (left out, recorded in quality.rejected_files):\n" + report.render()
        )
    else:
        context.log.info(report.render())
    write_ledger(settings.dagster_home, report.fingerprints)
    metadata: dict[str, Any] = {f"rows_{name}": rows for name, rows in report.rows.items()}
    metadata |= {"files": sum(report.files.values()), "rejected_files": len(report.rejected)}
    yield dg.MaterializeResult(asset_key=RAW_SHOP, metadata=metadata)
    for entity in ENTITIES:
        rejected = report.rejected_for(entity.name)
        yield dg.AssetCheckResult(
            asset_key=RAW_SHOP,
            check_name=f"files_accepted_{entity.name}",
            passed=not rejected,
            severity=dg.AssetCheckSeverity.ERROR,
            metadata={"rejected": dg.MetadataValue.md(_rejected_md(rejected))} if rejected else {},
        )


def _rejected_md(rejected: list[Any]) -> str:
    rows = "\n".join(f"| {r.file} | {r.line or ''} | {r.problem} |" for r in rejected)
    return "| file | line | problem |\n|---|---|---|\n" + rows


@dg.multi_asset(
    name="load_truth",
    specs=[
        dg.AssetSpec(
            ["raw_truth", name], deps=[LANDING_TRUTH], group_name="raw", description=f"_truth/{name}.csv"
        )
        for name in TRUTH_TABLES
    ],
    backfill_policy=single_run,  # a backfill of a day range reloads it once
    pool=WAREHOUSE_POOL,
)
def load_truth(
    context: dg.AssetExecutionContext, emporium: EmporiumResource
) -> Iterator[dg.MaterializeResult]:
    from ingest.raw_load import load_truth as load

    counts = load(emporium.settings())
    for name in TRUTH_TABLES:
        yield dg.MaterializeResult(
            asset_key=dg.AssetKey(["raw_truth", name]), metadata={"rows": counts.get(name, 0)}
        )


# The landing ledger: the fingerprint of every landing file a run has loaded (or rejected), so the landing
# sensor starts from what the warehouse already has instead of from nothing.
LEDGER = "landing_ledger.json"


def read_ledger(dagster_home: Path) -> dict[str, str]:
    path = dagster_home / LEDGER
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def write_ledger(dagster_home: Path, fingerprints: dict[str, str]) -> None:
    ledger = {**read_ledger(dagster_home), **fingerprints}
    dagster_home.mkdir(parents=True, exist_ok=True)
    tmp = dagster_home / f"{LEDGER}.tmp"
    tmp.write_text(json.dumps(ledger, sort_keys=True), encoding="utf-8")
    tmp.replace(dagster_home / LEDGER)


INGEST_ASSETS = (generate_landing, load_raw, load_truth)
