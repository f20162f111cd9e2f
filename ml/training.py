"""Train -> evaluate -> register -> approve, for both models, into the MLflow store of the settings.

Comparisons with the generator's truth do not live in this domain: the caller (the Dagster asset, a test,
a benchmark) may pass `truth`, a function of the holdout that returns extra metrics (the oracle's AUC on
the same rows, the oracle ranking's recall on the same window); they are logged and put in the model card.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from emporium.config import Settings
from ml import registry
from ml.churn import ChurnResult, train_churn
from ml.features import (
    CHURN_FEATURES,
    CHURN_LABEL,
    current_as_of,
    get_features,
    purchases_between,
    training_rows,
)
from ml.recommend import NEIGHBOURS, ItemItemModel, fit_item_item, recall_and_ndcg, to_ranking

Truth = Callable[[pd.DataFrame], dict[str, float]]
EVALUATION_WINDOW_DAYS = 30
# scikit-learn classes skops (MLflow's sklearn format) must be told to trust in a file we wrote ourselves
TRUSTED_TYPES = [
    "sklearn.calibration._CalibratedClassifier",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
]  # the recommender is judged on the purchases of the last 30 days


@dataclass(frozen=True)
class TrainingOutcome:
    model_name: str
    version: str
    run_id: str
    metrics: dict[str, float]
    decision: registry.Decision


def _log_common(card: str, metrics: dict[str, float], params: dict[str, Any], tags: dict[str, str]) -> None:
    import mlflow

    mlflow.log_params({k: str(v)[:500] for k, v in params.items()})
    mlflow.log_metrics({k: float(v) for k, v in metrics.items() if v is not None and np.isfinite(v)})
    mlflow.set_tags(tags)
    mlflow.log_text(card, "model_card.md")


def _requirements() -> list[str]:
    """The model's pip requirements, stated rather than inferred: MLflow's inference loads the model in a
    fresh Python process to see what it imports (tens of seconds here, minutes on busy cores)."""
    from importlib.metadata import version

    return [f"{name}=={version(name)}" for name in ("mlflow", "scikit-learn", "pandas", "numpy", "scipy")]


def _card(title: str, sections: dict[str, str]) -> str:
    return f"# {title}\n\n" + "\n\n".join(f"## {name}\n{body}" for name, body in sections.items()) + "\n"


def _metric_lines(metrics: dict[str, float]) -> str:
    return "\n".join(f"- {name}: {value:.4f}" for name, value in sorted(metrics.items()))


def train_churn_model(
    settings: Settings,
    connection: Any,
    *,
    features: Sequence[str] = CHURN_FEATURES,
    truth: Truth | None = None,
) -> TrainingOutcome:
    """Train on the feature mart, log to MLflow, register a version and run the approval step."""
    import mlflow
    from mlflow.models import infer_signature

    ml = settings.ml
    rows = training_rows(connection)
    result = train_churn(rows, features)
    metrics = dict(result.metrics)
    if truth is not None:
        metrics.update(truth(result.validation))
    champion = _churn_champion_auc(settings, rows, result)
    failed = _churn_failures(settings, result)
    experiment = registry.experiment_id(settings)
    with mlflow.start_run(
        experiment_id=experiment, run_name=f"churn {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M}"
    ) as run:
        if champion is not None:
            metrics["champion_roc_auc_same_holdout"] = champion
        params = {
            **result.params,
            "features": ",".join(result.features),
            "train_as_of_dates": ",".join(map(str, result.train_dates)),
            "validation_as_of_dates": ",".join(map(str, result.validation_dates)),
        }
        _log_common(_churn_card(result, metrics, failed), metrics, params, {"model": "churn"})
        mlflow.log_figure(_calibration_figure(result), "calibration.png")
        mlflow.log_text(result.importance.to_csv(index=False), "permutation_importance.csv")
        example = rows[list(result.features)].head(5)  # features only: no customer id, no dates
        info = mlflow.sklearn.log_model(
            result.model,
            name="model",
            signature=infer_signature(example, result.model.predict_proba(example)),
            input_example=example,
            pyfunc_predict_fn="predict_proba",
            pip_requirements=_requirements(),
            skops_trusted_types=TRUSTED_TYPES,
            registered_model_name=ml.churn_model,
        )
    version = str(info.registered_model_version)
    decision = registry.decide(metrics["roc_auc"], champion, failed, ml.promotion_margin, "holdout ROC AUC")
    registry.record(settings, ml.churn_model, version, decision)
    return TrainingOutcome(ml.churn_model, version, run.info.run_id, metrics, decision)


def _churn_failures(settings: Settings, result: ChurnResult) -> list[str]:
    failed = [f"no leakage: {why}" for why in result.checks.values() if why]
    if result.metrics["roc_auc"] < settings.ml.min_churn_auc:
        failed.append(f"ROC AUC {result.metrics['roc_auc']:.4f} below the floor {settings.ml.min_churn_auc}")
    if result.metrics["calibration_error"] > settings.ml.max_calibration_error:
        failed.append(
            f"calibration error {result.metrics['calibration_error']:.4f} above {settings.ml.max_calibration_error}"
        )
    return failed


def _churn_champion_auc(settings: Settings, rows: pd.DataFrame, result: ChurnResult) -> float | None:
    """The champion's ROC AUC on this run's holdout rows (None: no champion yet)."""
    from sklearn.metrics import roc_auc_score

    if registry.alias_versions(settings, settings.ml.churn_model)[registry.CHAMPION] is None:
        return None
    champion = registry.load_model(settings, settings.ml.churn_model, flavor="sklearn")
    holdout = rows[rows["as_of_date"].isin(result.validation_dates)]
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="openmp"):  # see ml/churn.py
        score = champion.predict_proba(holdout[list(champion.feature_names_in_)])[:, 1]
    return float(roc_auc_score(holdout[CHURN_LABEL], score))


def _calibration_figure(result: ChurnResult) -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(5, 5))
    axes.plot([0, 1], [0, 1], linestyle=":", color="grey", label="perfectly calibrated")
    axes.plot(
        result.calibration["mean_score"], result.calibration["observed_rate"], marker="o", label="model"
    )
    axes.set_xlabel("predicted churn probability (holdout, 10 bins)")
    axes.set_ylabel("observed churn rate")
    axes.legend(loc="upper left")
    plt.close(figure)
    return figure


def _churn_card(result: ChurnResult, metrics: dict[str, float], failed: list[str]) -> str:
    oracle = metrics.get("oracle_roc_auc")
    truth = (
        f"The generator's own churn probability on the same holdout rows reaches ROC AUC {oracle:.4f}; the model"
        f" reaches {metrics['roc_auc'] / oracle:.1%} of it."
        if oracle
        else "No planted truth was available for this run."
    )
    top = ", ".join(f"{r.feature} ({r.mean:.3f})" for r in result.importance.head(5).itertuples())
    return _card(
        "Churn model (emporium_churn)",
        {
            "Data window": f"ml.fm_customer_churn_features; trained on as-of dates {result.train_dates[0]} .."
            f" {result.train_dates[-1]}, validated on {', '.join(map(str, result.validation_dates))} (time split).",
            "Model": f"HistGradientBoosting + isotonic calibration, parameters {result.params} (grid search, 3"
            f" folds grouped by customer, training rows only). Inputs: {', '.join(result.features)}.",
            "Metrics (holdout)": _metric_lines(metrics),
            "Truth comparison": truth,
            "Permutation importance (drop in ROC AUC)": top,
            "Checks": "all passed" if not failed else "; ".join(failed),
            "Caveats": "Features are by event time: rows landing up to max_late_days late change a past feature"
            " (docs/ml.md). Training labels of the as-of dates just before the holdout look into the holdout's"
            " 60-day window; the holdout's features do not.",
        },
    )


def recommend_all(
    model: ItemItemModel, interactions: pd.DataFrame, customers: Sequence[int], k: int
) -> pd.DataFrame:
    """k products for every customer in `customers`: the model's for those with history, the popular ones
    (source 'popular') for the rest."""
    ranked = model.recommend(interactions[interactions["customer_id"].isin(customers)], k).assign(
        source="item_item"
    )
    cold = sorted(set(int(c) for c in customers) - set(ranked["customer_id"].astype(int)))
    popular = model.popular(k)
    fallback = pd.DataFrame(
        {
            "customer_id": np.repeat(np.array(cold, dtype="int64"), len(popular)),
            "rank": np.tile(np.arange(1, len(popular) + 1), len(cold)).astype("int64"),
            "product_id": np.tile(np.array(popular, dtype="int64"), len(cold)),
            "score": 0.0,
            "source": "popular",
        }
    )
    return pd.concat([ranked, fallback], ignore_index=True).sort_values(
        ["customer_id", "rank"], ignore_index=True
    )


def recommender_window(connection: Any) -> tuple[dt.date, dt.date]:
    """[start, end) of the evaluation window: the last EVALUATION_WINDOW_DAYS landing days."""
    end = current_as_of(connection)
    return end - dt.timedelta(days=EVALUATION_WINDOW_DAYS), end


def evaluate_recommender(
    model: ItemItemModel, interactions: pd.DataFrame, bought: pd.DataFrame, k: int
) -> dict[str, float]:
    """recall@k and NDCG@k of the model, and of popularity alone, for the customers who bought in the window."""
    buyers = sorted(bought["customer_id"].astype(int).unique())
    ranking = to_ranking(recommend_all(model, interactions, buyers, k))
    metrics = recall_and_ndcg(ranking, bought, k)
    popular = model.popular(k)
    baseline = recall_and_ndcg({c: popular for c in buyers}, bought, k)
    metrics[f"popularity_recall_at_{k}"] = baseline[f"recall_at_{k}"]
    metrics[f"popularity_ndcg_at_{k}"] = baseline[f"ndcg_at_{k}"]
    metrics["recall_lift_over_popularity"] = metrics[f"recall_at_{k}"] / max(baseline[f"recall_at_{k}"], 1e-9)
    return metrics


def recommender_importance(
    model: ItemItemModel,
    interactions: pd.DataFrame,
    bought: pd.DataFrame,
    k: int,
    base: float,
    *,
    seed: int = 0,
) -> pd.DataFrame:
    """Permutation importance of the model's inputs: the drop from `base` (the model's recall@k on these
    inputs) when one input column of the customers' histories (which products, how much weight) is shuffled
    across rows."""
    rng = np.random.default_rng(seed)
    rows = []
    for column in ("product_id", "weight"):
        shuffled = interactions.assign(**{column: rng.permutation(interactions[column].to_numpy())})
        rows.append(
            {
                "feature": column,
                "mean": base - evaluate_recommender(model, shuffled, bought, k)[f"recall_at_{k}"],
            }
        )
    return pd.DataFrame(rows).sort_values("mean", ascending=False, ignore_index=True)


def train_recommender_model(
    settings: Settings, connection: Any, *, truth: Truth | None = None
) -> TrainingOutcome:
    """Fit on the interactions before the last window, judge on its purchases, register, approve."""
    import mlflow
    from mlflow.models import infer_signature

    ml, k = settings.ml, settings.ml.recommendation_k
    start, end = recommender_window(connection)
    interactions = get_features(
        connection, "customer_product", as_of=start, half_life_days=ml.interaction_half_life_days
    )
    products = get_features(connection, "product")
    bought = purchases_between(connection, start, end)
    model = fit_item_item(interactions, products)
    metrics = evaluate_recommender(model, interactions, bought, k)
    importance = recommender_importance(model, interactions, bought, k, metrics[f"recall_at_{k}"])
    if truth is not None:
        metrics.update(truth(bought))
    champion = None
    if registry.alias_versions(settings, ml.recommender_model)[registry.CHAMPION] is not None:
        loaded = registry.load_model(settings, ml.recommender_model).unwrap_python_model().model
        champion = evaluate_recommender(loaded, interactions, bought, k)[f"recall_at_{k}"]
        metrics[f"champion_recall_at_{k}_same_window"] = champion
    failed = []
    if len(interactions) and pd.to_datetime(interactions["last_event_date"]).max().date() >= start:
        failed.append("no leakage: the model saw interactions of the evaluation window")
    if metrics["recall_lift_over_popularity"] < ml.min_recall_lift:
        failed.append(
            f"recall@{k} lift over popularity {metrics['recall_lift_over_popularity']:.3f} below {ml.min_recall_lift}"
        )
    experiment = registry.experiment_id(settings)
    example = pd.DataFrame(
        {
            "product_id": model.product_ids[:3].astype("int64"),
            "weight": [1.0, 3.0, 5.0][: min(3, len(model.product_ids))],
        }
    )
    with mlflow.start_run(
        experiment_id=experiment, run_name=f"recommender {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M}"
    ) as run:
        params = {
            "neighbours": NEIGHBOURS,
            "popularity_blend": model.popularity_blend,
            "half_life_days": ml.interaction_half_life_days,
            "window": f"{start}..{end - dt.timedelta(days=1)}",
            "k": k,
        }
        _log_common(
            _recommender_card(start, end, metrics, failed, k, importance),
            metrics,
            params,
            {"model": "recommender"},
        )
        mlflow.log_text(importance.to_csv(index=False), "permutation_importance.csv")
        from ml.recommender_model import RecommenderModel

        python_model = RecommenderModel(model, k)
        info = mlflow.pyfunc.log_model(
            name="model",
            python_model=python_model,
            signature=infer_signature(example, python_model.predict(None, example)),
            input_example=example,
            pip_requirements=_requirements(),
            registered_model_name=ml.recommender_model,
        )
    version = str(info.registered_model_version)
    decision = registry.decide(
        metrics[f"recall_at_{k}"], champion, failed, ml.promotion_margin, f"recall@{k}"
    )
    registry.record(settings, ml.recommender_model, version, decision)
    return TrainingOutcome(ml.recommender_model, version, run.info.run_id, metrics, decision)


def _recommender_card(
    start: dt.date,
    end: dt.date,
    metrics: dict[str, float],
    failed: list[str],
    k: int,
    importance: pd.DataFrame,
) -> str:
    oracle = metrics.get(f"oracle_recall_at_{k}")
    truth = (
        f"The generator's oracle ranking (its own choice probabilities) reaches recall@{k} {oracle:.4f} on the"
        f" same window; popularity {metrics[f'popularity_recall_at_{k}']:.4f};"
        f" the model {metrics[f'recall_at_{k}']:.4f}."
        if oracle
        else "No planted truth was available for this run."
    )
    return _card(
        "Recommender (emporium_recommender)",
        {
            "Data window": f"Interactions (ml.fm_customer_product_interactions, time-decayed) before {start};"
            f" judged on the products bought in [{start}, {end}).",
            "Model": "Item-item cosine similarity over the customer x product weight matrix, top 50 neighbours per"
            " product, blended with popularity; popular products for customers without history.",
            "Metrics (evaluation window)": _metric_lines(metrics),
            "Truth comparison": truth,
            f"Permutation importance (drop in recall@{k})": ", ".join(
                f"{r.feature} ({r.mean:.3f})" for r in importance.itertuples()
            ),
            "Checks": "all passed" if not failed else "; ".join(failed),
            "Caveats": "Implicit feedback only; products launched after the training cut have no neighbours until"
            " the next training run.",
        },
    )
