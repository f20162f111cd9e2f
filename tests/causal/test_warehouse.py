"""The causal plumbing on the tiny world: the marts against the truth files' counts, and the job
causal_estimates (estimates -> ml.causal_estimates -> gold.mart_experiment_results, the report in MLflow)
on a copy of the shared warehouse. The tiny world's estimates are too noisy to judge the estimators; the
benchmark does that at SF 0.1 (benchmarks/results/causal.md)."""

from __future__ import annotations

import json
import shutil

import duckdb
import pytest
import yaml

from emporium.config import PROJECT_ROOT, Settings
from orchestration.runner import RunOutcome, estimate_effects
from tests.support import settings_for


def _truth(settings: Settings, name: str) -> dict:
    return json.loads((settings.truth_dir / name).read_text(encoding="utf-8"))


def _query(settings: Settings, sql: str) -> list[tuple]:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as connection:
        return connection.execute(sql).fetchall()


def test_the_experiment_mart_counts_the_truths_customers_and_sessions(tiny_warehouse: Settings) -> None:
    truth = _truth(tiny_warehouse, "experiment.json")
    registry = yaml.safe_load((PROJECT_ROOT / "dbt_project.yml").read_text())["vars"]["experiments"]
    assert registry == [
        {"experiment_id": 1, "start_date": truth["start_date"], "end_date": truth["end_date"]}
    ]
    rows = _query(tiny_warehouse, "select variant, count(*), sum(sessions), sum(converting_sessions)"
                  " from gold.mart_experiment_customers where experiment_id = 1 group by 1")  # fmt: skip
    arms = {variant: (customers, sessions, converting) for variant, customers, sessions, converting in rows}
    assert sum(a[0] for a in arms.values()) == truth["assigned_customers"]
    for variant in ("control", "treatment"):
        _, sessions, converting = arms[variant]
        assert sessions == truth["observed"][f"{variant}_sessions"]
        assert converting / sessions == pytest.approx(truth["observed"][f"{variant}_rate"], abs=1e-6)


def test_the_campaign_mart_counts_the_truths_eligible_customers_and_sessions(
    tiny_warehouse: Settings,
) -> None:
    truth = _truth(tiny_warehouse, "campaign.json")
    rows = _query(tiny_warehouse, "select contacted, count(*), sum(sessions), sum(converting_sessions)"
                  " from gold.mart_campaign_customers where campaign_id = 1 group by 1")  # fmt: skip
    arms = {
        contacted: (customers, sessions, converting) for contacted, customers, sessions, converting in rows
    }
    assert arms[True][0] + arms[False][0] == truth["eligible_customers"]
    assert arms[True][0] == truth["contacted_customers"]
    for contacted, key in ((True, "contacted"), (False, "not_contacted")):
        _, sessions, converting = arms[contacted]
        assert sessions == truth["naive"][f"{key}_sessions"]
        assert converting / sessions == pytest.approx(truth["naive"][f"{key}_rate"], abs=1e-6)


def test_the_warehouse_build_leaves_the_causal_job_out(tiny_run: RunOutcome) -> None:
    assert "gold/mart_campaign_customers" in tiny_run.materialized
    assert "ml/causal_estimates" not in tiny_run.materialized + tiny_run.not_materialized
    assert "gold/mart_experiment_results" not in tiny_run.materialized + tiny_run.not_materialized


@pytest.fixture(scope="module")
def causal_run(
    tiny_warehouse: Settings, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Settings, RunOutcome]:
    """The job causal_estimates on a copy of the tiny warehouse (it writes ml and gold tables)."""
    data_dir = tmp_path_factory.mktemp("causal")
    shutil.copyfile(tiny_warehouse.warehouse_path, data_dir / "warehouse.duckdb")
    settings = settings_for(data_dir, EMPORIUM_LANDING_DIR=str(tiny_warehouse.landing_dir))
    return settings, estimate_effects(settings)


def test_the_causal_job_writes_estimates_the_mart_reads(causal_run: tuple[Settings, RunOutcome]) -> None:
    settings, outcome = causal_run
    assert outcome.success, outcome.render()
    assert set(outcome.materialized) == {"ml/causal_estimates", "gold/mart_experiment_results"}
    estimates = _query(settings, "select analysis_type, analysis_id, estimator, effect, ci_lower, ci_upper,"
                       " decision from ml.causal_estimates order by 1, 2, 3")  # fmt: skip
    mart = _query(settings, "select analysis_type, analysis_id, estimator, effect, ci_lower, ci_upper, decision"
                  " from gold.mart_experiment_results order by 1, 2, 3")  # fmt: skip
    assert mart == estimates
    assert [row[:3] for row in mart] == [
        ("campaign", 1, "aipw"), ("campaign", 1, "ipw"), ("campaign", 1, "naive"),
        ("experiment", 1, "cuped"), ("experiment", 1, "difference_in_means"),
    ]  # fmt: skip
    assert all(low <= effect <= high for *_, effect, low, high, _ in mart)
    assert {row[-1] for row in mart} <= {"ship", "don't ship", "inconclusive"}
    (naive_passed,) = _query(settings, "select diagnostics_passed from gold.mart_experiment_results"
                             " where estimator = 'naive'")[0]  # fmt: skip
    assert not naive_passed  # the targeting unbalanced the arms: the naive difference is never trusted


def test_the_report_is_logged_as_an_mlflow_run(causal_run: tuple[Settings, RunOutcome]) -> None:
    from mlflow import MlflowClient

    settings, _ = causal_run
    ((run_id,),) = _query(settings, "select distinct mlflow_run_id from ml.causal_estimates")
    client = MlflowClient(tracking_uri=settings.ml.tracking_uri)
    logged = {artifact.path for artifact in client.list_artifacts(run_id, "report")}
    assert {"report/report.md", "report/campaign_1_balance.png", "report/campaign_1_overlap.png",
            "report/experiment_1_effects.png", "report/campaign_1_effects.png"} <= logged  # fmt: skip
    metrics = client.get_run(run_id).data.metrics
    ((effect,),) = _query(settings, "select effect from ml.causal_estimates where estimator = 'cuped'")
    assert metrics["experiment_1.cuped.effect"] == pytest.approx(effect)
    report = (settings.data_dir / "causal" / "report.md").read_text(encoding="utf-8")
    assert "## Experiment 1" in report and "## Campaign 1" in report and "![propensity overlap" in report


def test_the_causal_job_runs_weekly_on_its_own() -> None:
    from orchestration.definitions import defs

    job = defs.get_job_def("causal_estimates")
    keys = {key.to_user_string() for key in job.asset_layer.selected_asset_keys}
    assert keys == {"ml/causal_estimates", "gold/mart_experiment_results"}
    schedule = defs.get_schedule_def("causal_estimates_weekly")
    assert schedule.job_name == "causal_estimates" and schedule.cron_schedule == "0 7 * * 1"
