"""ML end to end on the tiny world (plumbing, not the goals: benchmarks/ml_benchmark.py measures those).

One copy of the tiny warehouse and one MLflow store in a temp folder serve the module: the training job
and batch scoring run once through Dagster (as `emporium run` does on a fresh clone), the approval step
runs against a second store; MLflow costs seconds per process, so everything shares this one."""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
from pathlib import Path

import pandas as pd
import pytest

from emporium.config import Settings
from emporium.dbt import run_dbt
from emporium.engine import connect, execute, fetch_all, fetch_frame
from ml import registry
from ml.churn import train_churn
from ml.features import CHURN_FEATURES, CHURN_KEYS, CHURN_LABEL, get_features, training_rows
from ml.online_store import OnlineStore
from orchestration.runner import RunOutcome, score_models, train_models
from tests.support import settings_for


@pytest.fixture(scope="module")
def ml_world(tiny_warehouse: Settings, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """A private copy of the tiny warehouse with an MLflow store of its own."""
    data_dir = tmp_path_factory.mktemp("ml")
    settings = settings_for(data_dir, EMPORIUM_LANDING_DIR=str(tiny_warehouse.landing_dir))
    settings.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(tiny_warehouse.warehouse_path, settings.warehouse_path)
    return settings


@pytest.fixture(scope="module")
def trained(ml_world: Settings) -> tuple[RunOutcome, RunOutcome]:
    """The training job, then batch scoring, each one Dagster run."""
    return train_models(ml_world), score_models(ml_world)


def test_the_warehouse_build_scored_nothing_without_a_champion(tiny_warehouse: Settings) -> None:
    with connect(tiny_warehouse) as connection:
        assert fetch_all(connection, "select count(*) from ml.churn_predictions") == [(0,)]
        assert fetch_all(connection, "select count(*) from gold.mart_customer_churn_risk") == [(0,)]
    assert not tiny_warehouse.ml.online_store_path.exists()
    assert not (tiny_warehouse.data_dir / "ml" / "mlflow.db").exists(), "a warehouse build never trains"


def test_training_registers_both_models_and_the_first_passing_version_is_champion(
    ml_world: Settings, trained: tuple[RunOutcome, RunOutcome]
) -> None:
    training, _ = trained
    assert training.success, training.render()
    assert training.failed_checks == []
    assert {"ml/churn_model", "ml/recommender_model"} <= set(training.materialized)
    client = registry.client(ml_world)
    for name in (ml_world.ml.churn_model, ml_world.ml.recommender_model):
        assert registry.alias_versions(ml_world, name) == {"champion": "1", "challenger": None}
        version = client.get_model_version(name, "1")
        assert version.tags["approval.status"] == "champion"
        assert "first version to pass" in version.tags["approval.reason"]
    churn = client.get_model_version(ml_world.ml.churn_model, "1")
    run = client.get_run(churn.run_id)
    for metric in ("roc_auc", "pr_auc", "brier", "calibration_error", "oracle_roc_auc"):
        assert metric in run.data.metrics
    artifacts = {a.path for a in client.list_artifacts(churn.run_id)}
    assert {"model_card.md", "calibration.png", "permutation_importance.csv"} <= artifacts
    card = Path(client.download_artifacts(churn.run_id, "model_card.md", str(ml_world.data_dir))).read_text()
    assert "oracle" in card.lower() and "Permutation importance" in card
    # the signature and the input example hold the model's features only: no customer id, no dates
    from mlflow.models import get_model_info

    info = get_model_info(registry.model_uri(ml_world.ml.churn_model))
    assert info.signature.inputs.input_names() == list(CHURN_FEATURES)
    recommender = client.get_run(client.get_model_version(ml_world.ml.recommender_model, "1").run_id)
    assert {"recall_at_10", "ndcg_at_10", "popularity_recall_at_10", "oracle_recall_at_10"} <= set(
        recommender.data.metrics
    )
    assert "permutation_importance.csv" in {a.path for a in client.list_artifacts(recommender.info.run_id)}


def test_metrics_come_from_held_out_rows_only(ml_world: Settings) -> None:
    with connect(ml_world) as connection:
        rows = training_rows(connection)
    result = train_churn(rows, importance_repeats=1)
    newest = max(rows["as_of_date"])
    assert result.validation_dates == [newest] and max(result.train_dates) < newest
    assert set(result.validation["as_of_date"]) == {newest}
    assert len(result.validation) == (rows["as_of_date"] == newest).sum() == result.metrics["rows"]
    assert result.metrics["train_rows"] == (rows["as_of_date"] < newest).sum()
    from sklearn.metrics import roc_auc_score

    held_out = result.validation
    assert roc_auc_score(held_out[CHURN_LABEL], held_out["score"]) == pytest.approx(result.metrics["roc_auc"])
    assert result.checks == {"no_leakage": ""}


def test_a_worse_model_is_not_promoted_and_a_better_one_is(ml_world: Settings, tmp_path: Path) -> None:
    from ml.training import train_churn_model

    # a store of its own, with bounds a one-feature model passes
    store = dataclasses.replace(
        ml_world.ml, tracking_uri=f"sqlite:///{tmp_path / 'mlflow.db'}", artifact_root=tmp_path / "artifacts",
        min_churn_auc=0.0, max_calibration_error=1.0,
    )  # fmt: skip
    settings = dataclasses.replace(ml_world, ml=store)
    name = store.churn_model
    with connect(settings) as connection:
        first = train_churn_model(settings, connection, features=("tenure_days",))
        better = train_churn_model(settings, connection)
        worse = train_churn_model(settings, connection, features=("tenure_days",))
    assert first.decision.promote and first.version == "1"
    # the better one is judged against the champion re-scored on its own holdout rows
    assert better.metrics["champion_roc_auc_same_holdout"] == pytest.approx(first.metrics["roc_auc"])
    assert better.decision.promote, better.decision.reason
    assert worse.metrics["roc_auc"] < better.metrics["roc_auc"]
    assert not worse.decision.promote
    assert registry.alias_versions(settings, name) == {"champion": "2", "challenger": "3"}
    client = registry.client(settings)
    tags = client.get_model_version(name, "3").tags
    assert tags["approval.status"] == "challenger"
    assert "does not beat the champion" in tags["approval.reason"]
    assert client.get_model_version(name, "1").tags["approval.replaced_by"] == "2"
    # the manual override is logged on the version it promotes
    registry.manual_promote(settings, name, "3", "rollback drill", by="test")
    assert registry.alias_versions(settings, name)["champion"] == "3"
    assert client.get_model_version(name, "3").tags["approval.reason"] == "manual override: rollback drill"


def test_scoring_writes_one_row_per_current_customer(
    ml_world: Settings, trained: tuple[RunOutcome, RunOutcome]
) -> None:
    _, scoring = trained
    assert scoring.success and scoring.failed_checks == [], scoring.render()
    assert "gold/mart_customer_churn_risk" in scoring.materialized
    k = ml_world.ml.recommendation_k
    with connect(ml_world) as connection:
        ((current, predicted, distinct, versions),) = fetch_all(
            connection,
            "select (select count(*) from ml.fv_customer_churn_current), count(*), count(distinct customer_id),"
            " count(distinct model_version) from ml.churn_predictions",
        )
        ((per_customer,),) = fetch_all(
            connection,
            "select count(distinct n) from (select count(*) as n from ml.recommendations group by customer_id)",
        )
        ((mart,),) = fetch_all(connection, "select count(*) from gold.mart_customer_churn_risk")
        ((recommended,),) = fetch_all(
            connection, "select count(distinct customer_id) from ml.recommendations"
        )
        current_features = get_features(connection, "customer")
    assert current > 0 and predicted == distinct == current == recommended == mart and versions == 1
    assert per_customer == 1
    store = OnlineStore(ml_world.ml.online_store_path)
    pd.testing.assert_frame_equal(store.features(), current_features)
    some = int(current_features["customer_id"].iloc[0])
    assert len(store.recommendations(some, k)) == k and len(store.popular(k)) == k
    meta = store.meta()
    assert meta["features_as_of"] == current_features["as_of_date"].max().isoformat()
    assert meta["models"] == {ml_world.ml.churn_model: "1", ml_world.ml.recommender_model: "1"}
    assert 0 < meta["base_churn_rate"] < 1


def test_retrieval_returns_exactly_the_training_rows(ml_world: Settings) -> None:
    with connect(ml_world) as connection:
        rows = training_rows(connection)
        for as_of in sorted(rows["as_of_date"].unique()):
            expected = rows[rows["as_of_date"] == as_of][[*CHURN_KEYS, *CHURN_FEATURES]].reset_index(
                drop=True
            )
            ids = expected["customer_id"].tolist()
            pd.testing.assert_frame_equal(get_features(connection, "customer", ids, as_of), expected)
        with pytest.raises(ValueError, match="no churn features as of 2020-01-01"):
            get_features(connection, "customer", None, dt.date(2020, 1, 1))


def test_changing_rows_after_as_of_date_changes_no_feature(ml_world: Settings, tmp_path: Path) -> None:
    """Delete every order, session, return and ticket from an as-of date on and rebuild the marts: the
    features of that date stay the same, the label does not."""
    settings = settings_for(tmp_path, EMPORIUM_LANDING_DIR=str(ml_world.landing_dir))
    settings.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(ml_world.warehouse_path, settings.warehouse_path)
    with connect(settings) as connection:
        before = fetch_frame(connection, "select * from ml.fm_customer_churn_features")
    as_of = sorted(before["as_of_date"].unique())[-2]
    with connect(settings, read_only=False) as connection:
        for table, column in (("gold.fct_orders", "ordered_at"), ("gold.fct_sessions", "session_started_at"),
                              ("silver.returns", "requested_at"), ("silver.support_tickets", "opened_at")):  # fmt: skip
            execute(connection, f"delete from {table} where {column} >= %s", (as_of,))
    run_dbt(settings, "run", "--select", "fm_customer_churn_features", quiet=True)
    with connect(settings) as connection:
        after = fetch_frame(connection, "select * from ml.fm_customer_churn_features")
    keys = list(CHURN_KEYS)
    old = before[before["as_of_date"] == as_of].sort_values(keys, ignore_index=True)
    new = after[after["as_of_date"] == as_of].sort_values(keys, ignore_index=True)
    pd.testing.assert_frame_equal(old[[*keys, *CHURN_FEATURES]], new[[*keys, *CHURN_FEATURES]])
    assert (old[CHURN_LABEL] != new[CHURN_LABEL]).any(), "the deleted rows did reach the label"


def test_purge_reaches_every_ml_copy_of_a_customer(
    ml_world: Settings, trained: tuple[RunOutcome, RunOutcome], monkeypatch: pytest.MonkeyPatch
) -> None:
    from emporium.config import settings_env
    from orchestration import cli

    with connect(ml_world) as connection:
        ((customer,),) = fetch_all(
            connection,
            "select min(p.customer_id) from ml.churn_predictions as p inner join"
            " ml.fm_customer_product_interactions as i on p.customer_id = i.customer_id",
        )
    tables = ("ml.churn_predictions", "ml.recommendations", "ml.fm_customer_product_interactions",
              "gold.mart_customer_churn_risk", "ml.fm_customer_churn_features")  # fmt: skip
    for name, value in settings_env(ml_world).items():
        monkeypatch.setenv(name, value)
    assert cli.main(["purge", str(customer)]) == 0
    with connect(ml_world) as connection:
        for table in tables:
            assert fetch_all(
                connection, f"select count(*) from {table} where customer_id = %s", (customer,)
            ) == [(0,)], table
    store = OnlineStore(ml_world.ml.online_store_path)
    assert store.features([customer]).empty and store.recommendations(customer) == []


def test_training_is_its_own_job_never_a_warehouse_build() -> None:
    from orchestration.automation import WAREHOUSE
    from orchestration.definitions import defs
    from orchestration.ml import CHURN_MODEL, CHURN_PREDICTIONS, RECOMMENDER_MODEL, TRAINING_JOB

    graph = defs.resolve_asset_graph()
    warehouse = WAREHOUSE.resolve(graph)
    assert CHURN_MODEL not in warehouse and RECOMMENDER_MODEL not in warehouse
    assert CHURN_PREDICTIONS in warehouse
    assert defs.resolve_job_def(TRAINING_JOB) is not None
    assert defs.resolve_schedule_def("ml_training_weekly").job_name == TRAINING_JOB


def test_the_feature_columns_are_declared_once(ml_world: Settings) -> None:
    """The marts' columns are ml.features' names: the keys, CHURN_FEATURES in order, the label."""
    with connect(ml_world) as connection:
        mart = fetch_frame(connection, "select * from ml.fm_customer_churn_features limit 0")
        view = fetch_frame(connection, "select * from ml.fv_customer_churn_current limit 0")
    assert list(mart.columns) == [*CHURN_KEYS, *CHURN_FEATURES, CHURN_LABEL]
    assert list(view.columns) == [*CHURN_KEYS, *CHURN_FEATURES]
