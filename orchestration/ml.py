"""ML on the asset graph: training (its own job and schedule) and batch scoring (with the daily graph).

- `ml/churn_model`, `ml/recommender_model`: train -> evaluate -> register -> approve (ml/training.py), in
  the job `ml_training` on the schedule `ml_training_weekly` (and launched by name by the drift sensor). Not
  part of the warehouse selection: the landing sensor, the daily schedule and the test suite's builds never
  train. Asset checks: metric floors and no leakage, from the run's own holdout.
- `ml/churn_predictions` + `ml/recommendations` (one op, `batch_scoring`): the champions score every current
  customer into the warehouse and the online store. Cheap, so it runs with every warehouse build; with no
  champion yet it writes empty tables and leaves the online store alone (a fresh world's builds stay
  without ML, and import no MLflow). Asset check: one prediction per current customer.
The planted truth (raw_truth, _truth/) is compared here, in the application, never inside ml/.
"""

from collections.abc import Iterator
from typing import Any

import dagster as dg

from orchestration.instance import WAREHOUSE_POOL
from orchestration.partitions import single_run
from orchestration.resources import EmporiumResource

CHURN_MODEL = dg.AssetKey(["ml", "churn_model"])
RECOMMENDER_MODEL = dg.AssetKey(["ml", "recommender_model"])
CHURN_PREDICTIONS = dg.AssetKey(["ml", "churn_predictions"])
RECOMMENDATIONS = dg.AssetKey(["ml", "recommendations"])
MODEL_VERSIONS = dg.AssetKey(["ml", "model_versions"])
TRAINING_JOB = "ml_training"


def oracle_auc(connection: Any, validation: Any) -> dict[str, float]:
    """ROC AUC of the generator's churn probability on the model's holdout rows (raw_truth.churn_labels)."""
    import pandas as pd
    from sklearn.metrics import roc_auc_score

    from emporium.engine import engine_of, fetch_frame, list_tables

    if "churn_labels" not in list_tables(connection, "raw_truth"):
        return {}
    double = engine_of(connection).column_type("double precision")
    truth = fetch_frame(
        connection,
        "select cast(customer_id as bigint) as customer_id, cast(as_of_date as date) as as_of_date,"
        f" cast(churn_probability as {double}) as oracle from raw_truth.churn_labels",
    )
    truth["as_of_date"] = pd.to_datetime(truth["as_of_date"]).dt.date  # as features.churn_frame types it
    rows = validation.merge(truth, on=["customer_id", "as_of_date"], how="inner")
    if len(rows) != len(validation) or rows["churned_next_60d"].nunique() < 2:
        return {}
    oracle = float(roc_auc_score(rows["churned_next_60d"], rows["oracle"]))
    model = float(roc_auc_score(rows["churned_next_60d"], rows["score"]))
    return {"oracle_roc_auc": oracle, "roc_auc_over_oracle": model / oracle}


def oracle_recall(truth_dir: Any, k: int) -> Any:
    """recall@k of the generator's oracle ranking (_truth/) on the recommender's evaluation window."""

    def _truth(bought: Any) -> dict[str, float]:
        from generator.recommendation_oracle import top_products
        from ml.recommend import recall_and_ndcg

        if not (truth_dir / "customer_preferences.csv").exists():
            return {}
        metrics = recall_and_ndcg(top_products(truth_dir, k), bought, k)
        return {
            f"oracle_recall_at_{k}": metrics[f"recall_at_{k}"],
            f"oracle_ndcg_at_{k}": metrics[f"ndcg_at_{k}"],
        }

    return _truth


def _floor_checks(key: dg.AssetKey, outcome: Any, floor: tuple[str, float]) -> list[dg.AssetCheckResult]:
    metric, minimum = floor
    reason = outcome.decision.reason
    return [
        dg.AssetCheckResult(
            asset_key=key,
            check_name="metric_floor",
            passed=outcome.metrics[metric] >= minimum,
            metadata={metric: outcome.metrics[metric], "floor": minimum},
        ),
        dg.AssetCheckResult(
            asset_key=key,
            check_name="no_leakage",
            passed="no leakage" not in reason,
            metadata={"approval": reason},
        ),
    ]


@dg.multi_asset(
    name="train_models",  # not the job's name: a job and an op may not share one in a code location
    specs=[
        dg.AssetSpec(
            CHURN_MODEL,
            deps=[dg.AssetKey(["ml", "fm_customer_churn_features"])],
            group_name="ml",
            kinds={"mlflow", "scikit-learn"},
            description="Churn model: trained on earlier as-of dates, judged on the newest labelled one, registered"
            " in MLflow (emporium_churn) as challenger, champion if it passes the approval step",
        ),
        dg.AssetSpec(
            RECOMMENDER_MODEL,
            deps=[
                dg.AssetKey(["ml", "fm_customer_product_interactions"]),
                dg.AssetKey(["ml", "fm_product_features"]),
            ],
            group_name="ml",
            kinds={"mlflow", "scikit-learn"},
            description="Item-item recommender: fit before the last 30 days, judged on their purchases, registered"
            " (emporium_recommender) through the same approval step",
        ),
    ],
    check_specs=[
        dg.AssetCheckSpec(name, asset=key, description=text)
        for key in (CHURN_MODEL, RECOMMENDER_MODEL)
        for name, text in (
            ("metric_floor", "holdout metric at or above its floor (emporium/config.py MLSettings)"),
            ("no_leakage", "inputs hold no id, date or label; training data older than the holdout"),
        )
    ],
    pool=WAREHOUSE_POOL,
)
def train_models(context: dg.AssetExecutionContext, emporium: EmporiumResource) -> Iterator[Any]:
    from emporium.engine import connect
    from ml.training import train_churn_model, train_recommender_model

    settings = emporium.settings()
    with connect(settings) as connection:
        churn = train_churn_model(settings, connection, truth=lambda rows: oracle_auc(connection, rows))
        recommender = train_recommender_model(
            settings, connection, truth=oracle_recall(settings.truth_dir, settings.ml.recommendation_k)
        )
    k = settings.ml.recommendation_k
    for key, outcome, floor in (
        (CHURN_MODEL, churn, ("roc_auc", settings.ml.min_churn_auc)),
        (RECOMMENDER_MODEL, recommender, ("recall_lift_over_popularity", settings.ml.min_recall_lift)),
    ):
        context.log.info(f"{outcome.model_name} v{outcome.version}: {outcome.decision.reason}")
        shown = {m: v for m, v in outcome.metrics.items() if "auc" in m or "brier" in m or f"_at_{k}" in m}
        metadata = {"version": outcome.version, "run_id": outcome.run_id, "approval": outcome.decision.reason}
        yield dg.MaterializeResult(
            asset_key=key, metadata={**metadata, **{m: float(v) for m, v in shown.items()}}
        )
        yield from _floor_checks(key, outcome, floor)


@dg.multi_asset(
    name="batch_scoring",
    backfill_policy=single_run,  # in a range run (a CLI backfill) it scores once, like the dbt layers
    specs=[
        dg.AssetSpec(
            CHURN_PREDICTIONS,
            deps=[
                dg.AssetKey(["ml", "fv_customer_churn_current"]),
                dg.AssetKey(["ml", "fm_customer_churn_features"]),
            ],
            group_name="ml",
            description="Table ml.churn_predictions: the champion's churn probability per current customer",
        ),
        dg.AssetSpec(
            RECOMMENDATIONS,
            deps=[
                dg.AssetKey(["ml", "fm_customer_product_interactions"]),
                dg.AssetKey(["ml", "fm_product_features"]),
            ],
            group_name="ml",
            description="Table ml.recommendations: the champion's top products per current customer; and the"
            " online store (MLSettings.online_store_path) the serving layer reads",
        ),
        dg.AssetSpec(
            MODEL_VERSIONS,
            deps=[CHURN_MODEL, RECOMMENDER_MODEL],
            group_name="ml",
            description="Table ml.model_versions: the registry's versions of both models as scored against (alias,"
            " approval decision, metrics), for the dashboards",
        ),
    ],
    check_specs=[
        dg.AssetCheckSpec(
            "one_prediction_per_current_customer",
            asset=CHURN_PREDICTIONS,
            description="exactly one churn prediction per customer of ml.fv_customer_churn_current, when a"
            " champion exists",
        )
    ],
    pool=WAREHOUSE_POOL,
)
def batch_scoring(context: dg.AssetExecutionContext, emporium: EmporiumResource) -> Iterator[Any]:
    import pandas as pd

    from emporium.engine import connect, engine_for
    from ml.online_store import write_online_store
    from ml.registry import version_records
    from ml.scoring import TABLES, empty_scores, score_current, write_predictions

    settings = emporium.settings()
    with connect(settings) as connection:
        scores = score_current(settings, connection)
    frames = empty_scores() if scores is None else {
        "ml.churn_predictions": scores.churn, "ml.recommendations": scores.recommendations}  # fmt: skip
    frames["ml.model_versions"] = pd.DataFrame(
        version_records(settings), columns=[name for name, _ in TABLES["ml.model_versions"]]
    )
    with connect(settings, read_only=False) as connection:
        write_predictions(settings, connection, frames)
        # on the writing connection itself, inside its transaction (a DuckDB cursor would not see the rows)
        ((customers, predicted, distinct),) = engine_for(settings).query(
            connection,
            "select (select count(*) from ml.fv_customer_churn_current), count(*), count(distinct customer_id)"
            " from ml.churn_predictions",
        )
    if scores is None:
        context.log.warning("no champion model yet (run the ml_training job): wrote empty prediction tables")
    else:
        write_online_store(settings.ml.online_store_path, scores.snapshot)
    versions = {} if scores is None else scores.snapshot.models
    tables = ((CHURN_PREDICTIONS, "ml.churn_predictions"), (RECOMMENDATIONS, "ml.recommendations"),
              (MODEL_VERSIONS, "ml.model_versions"))  # fmt: skip
    for key, table in tables:
        yield dg.MaterializeResult(asset_key=key, metadata={"rows": len(frames[table]), **versions})
    yield dg.AssetCheckResult(
        asset_key=CHURN_PREDICTIONS,
        check_name="one_prediction_per_current_customer",
        passed=scores is None or predicted == distinct == customers,
        metadata={"current_customers": customers, "predictions": predicted, "champion": scores is not None},
    )


ML_ASSETS = (train_models, batch_scoring)
TRAINING = dg.AssetSelection.assets(CHURN_MODEL, RECOMMENDER_MODEL)
training_job = dg.define_asset_job(TRAINING_JOB, selection=TRAINING, description="train, register, approve")
training_schedule = dg.ScheduleDefinition(
    name="ml_training_weekly",
    job=training_job,
    cron_schedule="0 7 * * 1",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="retrains both models every Monday morning (the drift sensor may launch it sooner)",
)
