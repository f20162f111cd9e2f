"""The dbt project as Dagster assets (dagster-dbt): every seed, model and snapshot an asset, every dbt test
an asset check (error severity blocks downstream assets).

Asset keys are `<warehouse schema>/<name>`: the dbt folder, the schema and the key prefix agree (`bronze/
stg_shop__orders`, `silver/orders`, `gold/fct_orders`, `ml/fm_customer_churn_features`, `seeds/countries`,
`snapshots/snap_customers`; the dbt source `shop` maps to `raw/shop` and `truth` to `raw_truth/<name>`, the
assets the raw load writes). One op per gated layer (seeds with bronze, snapshots with gold), so each
layer's Great Expectations gate (orchestration/quality.py) runs between two layers and can stop the next
one. Every op builds with the run's landing-day range (the raw load's partitions, orchestration/partitions.py):
incremental models touch only those days.
"""

import fcntl
import json
import shutil
import subprocess
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, dbt_assets

from emporium.config import PROJECT_ROOT, dbt_env, load_settings
from emporium.dbt import AFTER_PYTHON, dbt_executable
from orchestration.ingest import RAW_SHOP
from orchestration.instance import WAREHOUSE_POOL
from orchestration.partitions import is_full_refresh, single_run, window
from orchestration.resources import EmporiumResource, dbt_environment

MANIFESTS_DIR = PROJECT_ROOT / "target" / "dagster-manifest"
# What the manifest is parsed from: any change here makes the next definitions load re-parse.
DBT_INPUTS = (
    "dbt_project.yml",
    "profiles",
    "models",
    "macros",
    "seeds",
    "snapshots",
    "tests/dbt",
    "analyses",
)


def _newest_input_mtime() -> float:
    newest = 0.0
    for name in DBT_INPUTS:
        path = PROJECT_ROOT / name
        files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
        newest = max([newest, *(f.stat().st_mtime for f in files)])
    return newest


def prepare_manifest(target: str) -> Path:
    """target/dagster-manifest/<dbt target>/manifest.json, re-parsed with `dbt parse` when any dbt input is newer.

    The definitions need a current manifest whenever they load: under `dagster dev`, but also in `emporium run`,
    the tests and the benchmarks. dagster-dbt's `DbtProject.prepare_if_dev` parses only under `dagster dev` and
    otherwise expects a manifest packaged at deploy time (`dagster-dbt project prepare-and-package`), which a
    model edited since would silently outdate; its `prepare` parses on every load. So the project keeps this
    one check: parse when an input is newer than the manifest (under a lock: two processes may load at once).
    One manifest per dbt target: what a target builds may differ (Spark has no snapshots, dbt_project.yml), and
    code locations of two targets must not overwrite each other's."""
    manifest_dir = MANIFESTS_DIR / target
    manifest_dir.mkdir(parents=True, exist_ok=True)
    manifest = manifest_dir / "manifest.json"
    with (manifest_dir / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if manifest.exists() and manifest.stat().st_mtime >= _newest_input_mtime():
            return manifest
        # parse needs a profile but no connection; an empty scratch path keeps it away from real data
        env = {
            "DBT_TARGET": target,
            "DBT_TARGET_PATH": str(manifest_dir),
            "EMPORIUM_WAREHOUSE_PATH": str(manifest_dir / "parse.duckdb"),
        }
        settings = load_settings()
        result = subprocess.run(
            [dbt_executable(), "parse", "--profiles-dir", str(settings.profiles_dir), "--no-partial-parse"],
            cwd=PROJECT_ROOT,
            env={**dbt_env(settings), **env},
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(f"`dbt parse` failed, the dbt project does not load:\n{result.stdout[-4000:]}")
    return manifest


# dbt sources the raw load writes: the landing tables (shop) and its record of rejected files (raw_load)
RAW_LOAD_SOURCES = ("shop", "raw_load")


class EmporiumTranslator(DagsterDbtTranslator):
    """Keys and groups from the warehouse schema each node lives in; a model also depends on the seeds its
    tests compare it with (e.g. silver.orders' channel codes against seeds.channels), so the seeds are
    built before the layer whose tests read them."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if (
            dbt_resource_props["resource_type"] == "source"
            and dbt_resource_props["source_name"] in RAW_LOAD_SOURCES
        ):
            return RAW_SHOP  # the raw load writes these tables as one asset (orchestration/ingest.py)
        return dg.AssetKey([dbt_resource_props["schema"], dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return dbt_resource_props["schema"]

    def get_asset_spec(self, manifest: Mapping[str, Any], unique_id: str, project: Any) -> dg.AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        seeds = _seeds_read_by_tests(manifest).get(unique_id, ())
        known = {dep.asset_key for dep in spec.deps}
        extra = [self.get_asset_key(manifest["nodes"][seed]) for seed in seeds]
        return spec.merge_attributes(deps=[key for key in extra if key not in known]) if extra else spec


def _seeds_read_by_tests(manifest: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
    """model unique_id -> the seeds the tests attached to it depend on."""
    seeds: dict[str, set[str]] = {}
    for node in manifest["nodes"].values():
        attached = node.get("attached_node")
        if node["resource_type"] == "test" and attached:
            parents = node["depends_on"]["nodes"]
            seeds.setdefault(attached, set()).update(p for p in parents if p.startswith("seed."))
    return {model: tuple(sorted(found)) for model, found in seeds.items()}


TRANSLATOR = EmporiumTranslator(
    DagsterDbtTranslatorSettings(enable_asset_checks=True, enable_duplicate_source_asset_keys=True)
)
# The code location's target (DBT_TARGET): a node a target does not build (Spark: no snapshots) is no asset.
MANIFEST = prepare_manifest(load_settings().dbt_target)


def _build(
    context: dg.AssetExecutionContext,
    dbt: DbtCliResource,
    emporium: EmporiumResource,
) -> Iterator[Any]:
    """`dbt build` of this op's (selected) nodes with the run's landing-day range, if it has one."""
    settings = emporium.settings()
    args = ["build"]
    if is_full_refresh(context):
        args.append("--full-refresh")
    # Each test runs with the node it is attached to (its Dagster check: dagster-dbt attaches a generic test to
    # its node, a singular one to its only parent or its `meta.dagster.ref`), not with whichever op builds one
    # of its parents first (dbt's eager indirect selection), so no test reads a layer that is not built yet.
    # The selected checks also honour a check selection made in the UI.
    tests = sorted(check.name for check in context.selected_asset_check_keys)
    args += ["--indirect-selection", "empty"]
    if tests:
        args += ["--select", " ".join(tests)]  # one value: dagster-dbt folds it into its own selection
    if not settings.truth_dir.exists():
        args += ["--exclude", "tag:truth"]  # real data has no planted truth to reconcile with
    # Each op keeps its own target path (its artifacts stay readable), but all read one partial-parse file, so
    # no op re-parses what an earlier one (of this run or the last) parsed.
    shared_parse = settings.dbt_target_path / "partial_parse.msgpack"
    if shared_parse.exists():
        args += ["--partial-parse-file-path", str(shared_parse)]
    target_path = settings.dbt_target_path / context.op_execution_context.op.name
    # dbt writes the file only when it parsed: a stale copy from an earlier run must not overwrite the shared one
    (target_path / "partial_parse.msgpack").unlink(missing_ok=True)
    # the run's landing-day range reaches the incremental models as environment variables (emporium/dbt.py)
    with dbt_environment(settings, window(context)):
        invocation = dbt.cli(args, context=context, target_path=target_path)
    yield from invocation.stream()
    if (target_path / "partial_parse.msgpack").exists():
        shutil.copyfile(target_path / "partial_parse.msgpack", shared_parse)


def _layer_assets(name: str, select: str, exclude: str = "") -> dg.AssetsDefinition:
    @dbt_assets(
        manifest=MANIFEST,
        select=select,
        exclude=exclude,
        name=name,
        dagster_dbt_translator=TRANSLATOR,
        backfill_policy=single_run,  # a backfill of a day range runs them once, with that range
        pool=WAREHOUSE_POOL,
    )
    def _assets(context: dg.AssetExecutionContext, dbt: DbtCliResource, emporium: EmporiumResource):
        yield from _build(context, dbt, emporium)

    return _assets


# One op per gated layer: each layer's gate runs between two layers and can stop the next one; blocking checks
# inside a layer would otherwise split it into several dbt processes. Each op is a dbt process that pays its
# start-up and parse, so the seeds build with bronze (whose tests read them) and the snapshots with gold (like
# gold, they record silver once its gate has passed).
bronze = _layer_assets("bronze", "resource_type:seed path:models/bronze")
silver = _layer_assets("silver", "path:models/silver")
# (snapshots only where the target builds them: not on Spark, whose plain Parquet tables cannot hold them)
_NODES = json.loads(MANIFEST.read_text(encoding="utf-8"))["nodes"].values()
SNAPSHOTS = " resource_type:snapshot" if any(n["resource_type"] == "snapshot" for n in _NODES) else ""
gold = _layer_assets("gold", f"path:models/gold{SNAPSHOTS}", exclude=AFTER_PYTHON)
# models over tables the Python assets and checks write (ml.churn_predictions, quality.gate_results, ...):
# after them, or gold -> Python -> gold would be a cycle (models/gold/_python_outputs__sources.yml)
gold_after_python = _layer_assets("gold_after_python", "tag:python_inputs")

DBT_ASSETS = (bronze, silver, gold, gold_after_python)
