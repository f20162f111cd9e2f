"""The code location loads and shows one connected graph whose names match dbt's folders and schemas."""

import json
from typing import Any

import dagster as dg
import pytest

from emporium.config import PROJECT_ROOT
from orchestration.automation import WAREHOUSE, WAREHOUSE_CLI_SELECTION
from orchestration.dashboards import DASHBOARDS, GOLD_COPY, SITE
from orchestration.definitions import defs
from orchestration.instance import WAREHOUSE_POOL
from orchestration.warehouse import MANIFEST
from quality.gates import gate_checks

LAYER_OF_FOLDER = {"bronze": "bronze", "silver": "silver", "gold": "gold", "gold/ml": "ml"}


@pytest.fixture(scope="module")
def graph() -> Any:
    return defs.resolve_asset_graph()


@pytest.fixture(scope="module")
def manifest() -> dict:
    return json.loads(MANIFEST.read_text(encoding="utf-8"))


def test_every_dbt_node_is_an_asset_keyed_by_its_folder_and_schema(graph: Any, manifest: dict) -> None:
    keys = graph.get_all_asset_keys()
    nodes = [n for n in manifest["nodes"].values() if n["resource_type"] in ("model", "seed", "snapshot")]
    assert len(nodes) > 40
    for node in nodes:
        key = dg.AssetKey([node["schema"], node["name"]])
        assert key in keys, key
        if node["resource_type"] == "model":
            folder = node["original_file_path"].removeprefix("models/").rsplit("/", 1)[0]
            assert LAYER_OF_FOLDER[folder] == node["schema"], node["original_file_path"]
        assert graph.get(key).group_name == node["schema"]


def test_dbt_tests_are_checks_and_error_severity_blocks(graph: Any, manifest: dict) -> None:
    checks = {(c.asset_key, c.name): c for c in (graph.get_check_spec(k) for k in graph.asset_check_keys)}
    tests = [n for n in manifest["nodes"].values() if n["resource_type"] == "test" and n.get("attached_node")]
    assert len(tests) > 300
    for test in tests:
        parent = manifest["nodes"][test["attached_node"]]
        spec = checks[(dg.AssetKey([parent["schema"], parent["name"]]), test["name"])]
        assert spec.blocking == (test["config"]["severity"].lower() == "error"), test["name"]


# References kept when their target was quarantined: their relationship tests warn (README, Quality 5)
DANGLING_REFERENCES = {
    ("orders", "campaign_id"),
    ("campaign_contacts", "campaign_id"),
    ("support_tickets", "order_id"),
}


def test_relationships_block_except_the_references_the_readme_names(manifest: dict) -> None:
    relationships = [
        n for n in manifest["nodes"].values() if (n.get("test_metadata") or {}).get("name") == "relationships"
        and manifest["nodes"][n["attached_node"]]["schema"] == "silver"
    ]  # fmt: skip
    assert len(relationships) > 10
    warned = set()
    for test in relationships:
        model = manifest["nodes"][test["attached_node"]]["name"]
        if test["config"]["severity"].lower() == "warn":
            warned.add((model, test["column_name"]))
    assert warned == DANGLING_REFERENCES
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    assert all(f"`{column}`" in readme for _, column in DANGLING_REFERENCES)


def _singular_test_target(test: dict, manifest: dict) -> dg.AssetKey | None:
    """The model a singular test checks: the one its `meta.dagster.ref` names (dagster-dbt's convention for a
    test reading several models), else its only parent model; None when neither says."""
    ref = ((test["config"].get("meta") or {}).get("dagster") or {}).get("ref", {}).get("name")
    nodes = [manifest["nodes"][p] for p in test["depends_on"]["nodes"] if p in manifest["nodes"]]
    if ref:
        nodes = [n for n in manifest["nodes"].values() if n["name"] == ref and n["resource_type"] != "test"]
    return dg.AssetKey([nodes[0]["schema"], nodes[0]["name"]]) if len(nodes) == 1 else None


def test_singular_tests_are_checks_on_their_models(graph: Any, manifest: dict) -> None:
    singular = [
        n for n in manifest["nodes"].values() if n["resource_type"] == "test" and not n.get("attached_node")
    ]
    names = {test["name"] for test in singular}
    # the truth tests of tests/dbt/ (gold and quarantine against the planted truth) and the held-rows test
    assert {
        "assert_daily_revenue_matches_truth",
        "assert_quarantine_matches_defect_log",
        "assert_row_counts_match_truth",
        "assert_churn_labels_match_truth",
        "assert_held_rows_wait_for_a_missing_parent",
    } <= names
    for test in singular:
        target = _singular_test_target(test, manifest)
        assert target is not None, f"{test['name']} checks no one model: name it in meta.dagster.ref"
        key = dg.AssetCheckKey(target, test["name"])
        assert key in graph.asset_check_keys, key
        assert graph.get_check_spec(key).blocking == (test["config"]["severity"].lower() == "error"), key


@pytest.mark.parametrize("layer", ["bronze", "silver", "gold"])
def test_each_gate_check_is_declared_on_its_relation(graph: Any, layer: str) -> None:
    declared = gate_checks(layer)
    assert declared
    for check in declared:
        key = dg.AssetCheckKey(dg.AssetKey(check.relation.split(".")), check.name)
        assert key in graph.asset_check_keys, key
        assert graph.get_check_spec(key).blocking == (check.severity == "error")


def test_one_connected_graph_from_landing_files_to_the_feature_mart(graph: Any) -> None:
    mart = dg.AssetKey(["ml", "fm_customer_churn_features"])
    upstream = dg.AssetSelection.assets(mart).upstream().resolve(graph)
    assert dg.AssetKey(["landing", "orders"]) in upstream
    assert {dg.AssetKey(["raw", "shop"]), dg.AssetKey(["bronze", "stg_shop__orders"])} <= upstream
    assert dg.AssetKey(["silver", "orders"]) in upstream and dg.AssetKey(["gold", "fct_orders"]) in upstream
    # one component: following dependencies either way (a check's reads included: the planted truth is read
    # only by the reconciliation checks), every asset is reached from the landing files; the prediction
    # service's log (its own source: what the service answered, orchestration/monitoring.py) through the
    # gold mart over it (gold/mart_prediction_monitoring_daily, which the dashboards read)
    check_edges: dict[dg.AssetKey, set[dg.AssetKey]] = {}
    for check_key in graph.asset_check_keys:
        for dep in graph.get_check_spec(check_key).additional_deps:
            check_edges.setdefault(check_key.asset_key, set()).add(dep.asset_key)
            check_edges.setdefault(dep.asset_key, set()).add(check_key.asset_key)
    reached, frontier = set(), [dg.AssetKey(["landing", "orders"])]
    while frontier:
        key = frontier.pop()
        if key not in reached:
            reached.add(key)
            node = graph.get(key)
            frontier += [*node.parent_keys, *node.child_keys, *check_edges.get(key, ())]
    assert reached == set(graph.get_all_asset_keys())


def test_partitions_single_run_backfills_and_automation(graph: Any) -> None:
    raw = graph.get(dg.AssetKey(["raw", "shop"]))
    assert raw.partitions_def.name == "landing_day"
    # every warehouse asset runs once per run, with the run's landing-day range (a CLI range backfill needs it)
    for key in (
        ["raw", "shop"],
        ["bronze", "stg_shop__orders"],
        ["silver", "orders"],
        ["gold", "fct_orders"],
    ):
        assert graph.get(dg.AssetKey(key)).backfill_policy == dg.BackfillPolicy.single_run(), key
    assert graph.get(dg.AssetKey(["gold", "fct_orders"])).partitions_def is None
    assert {s.name for s in defs.sensors} == {"landing_files", "drift_alarm"}
    assert {s.name for s in defs.schedules} == {
        "daily_newest_partition",
        "ml_training_weekly",
        "causal_estimates_weekly",
        "dashboards_schedule",
        "prediction_log_hourly",
    }
    # the site build is its own job: never in the warehouse selection the sensor, schedule and tests run
    warehouse = WAREHOUSE.resolve(graph)
    assert DASHBOARDS.resolve(graph) == {GOLD_COPY, SITE} and not warehouse & {GOLD_COPY, SITE}
    assert graph.get(GOLD_COPY).pools == {WAREHOUSE_POOL} and not graph.get(SITE).pools
    assert dg.AssetKey(["gold", "mart_daily_revenue"]) in graph.get(GOLD_COPY).parent_keys


def test_the_code_location_loads_as_the_ui_and_daemon_load_it() -> None:
    # what `dagster dev` does on start: every job of the location resolved (e.g. no job named like an op);
    # the in-process runs resolve only the jobs they run and would not notice
    dg.Definitions.validate_loadable(defs)


def test_the_cli_backfill_selection_is_the_warehouse(graph: Any) -> None:
    # the README's `dagster asset materialize --select` string selects what the sensor and schedule build
    assert dg.AssetSelection.from_string(WAREHOUSE_CLI_SELECTION).resolve(graph) == WAREHOUSE.resolve(graph)
    assert all(graph.get(key).backfill_policy == dg.BackfillPolicy.single_run() for key in WAREHOUSE.resolve(graph)
               if graph.get(key).is_materializable)  # fmt: skip
