"""The churn model: a scikit-learn pipeline (one-hot tier, gradient-boosted trees, isotonic calibration)
trained on earlier as-of dates and judged on the latest labelled one.

    result = train_churn(training_rows(connection))
    result.metrics["roc_auc"], result.validation  # holdout rows with their calibrated scores

Time-based split: the validation rows are the newest labelled as-of date, training rows every earlier one,
so no row of a customer's future trains the model that scores their past. The hyper-parameter search
(a small grid, 3 folds grouped by customer) and the calibration use training rows only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.calibration import CalibratedClassifierCV, calibration_curve
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.inspection import permutation_importance
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score
from sklearn.model_selection import GridSearchCV, GroupKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder
from threadpoolctl import threadpool_limits

from ml.features import CHURN_CATEGORICAL, CHURN_FEATURES, CHURN_KEYS, CHURN_LABEL, CHURN_NUMERIC

PARAM_GRID = {"learning_rate": [0.05, 0.1], "max_leaf_nodes": [15, 31]}
CALIBRATION_BINS = 10
LEAK_AUC = 0.99  # a single feature this good on the holdout is the label in disguise


@dataclass
class ChurnResult:
    model: Pipeline
    features: tuple[str, ...]
    params: dict[str, Any]
    metrics: dict[str, float]
    validation: pd.DataFrame  # CHURN_KEYS, label, score
    train_dates: list[Any]
    validation_dates: list[Any]
    importance: pd.DataFrame  # feature, mean, std (drop in ROC AUC on the holdout)
    calibration: pd.DataFrame  # bin mean score, observed rate
    checks: dict[str, str] = field(default_factory=dict)  # check -> "" when passed, else why not


def split_by_time(rows: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(training rows: every labelled as-of date but the newest; validation rows: the newest)."""
    dates = sorted(rows["as_of_date"].unique())
    if len(dates) < 2:
        raise ValueError(f"churn training needs two labelled as-of dates, the mart has {len(dates)}: {dates}")
    newest = dates[-1]
    return rows[rows["as_of_date"] < newest], rows[rows["as_of_date"] == newest]


def build_pipeline(features: Sequence[str] = CHURN_FEATURES, **params: Any) -> Pipeline:
    """Preprocessing + calibrated gradient boosting. Missing numbers (no order yet) stay NaN: the trees
    route them on their own."""
    numeric = [f for f in features if f in CHURN_NUMERIC]
    categorical = [f for f in features if f in CHURN_CATEGORICAL]
    preprocess = ColumnTransformer(
        [("numeric", "passthrough", numeric)]
        + ([("categorical", OneHotEncoder(handle_unknown="ignore"), categorical)] if categorical else []),
        verbose_feature_names_out=False,
    )
    trees = HistGradientBoostingClassifier(max_iter=100, early_stopping=False, random_state=0, **params)
    return Pipeline(
        [("preprocess", preprocess), ("model", CalibratedClassifierCV(trees, method="isotonic", cv=3))]
    )


def search(train: pd.DataFrame, features: Sequence[str]) -> tuple[dict[str, Any], pd.DataFrame]:
    """Best parameters of the uncalibrated trees by ROC AUC, 3 folds grouped by customer."""
    pipeline = build_pipeline(features)
    grid = {f"model__estimator__{name}": values for name, values in PARAM_GRID.items()}
    folds = GroupKFold(n_splits=3)
    searcher = GridSearchCV(pipeline, grid, scoring="roc_auc", cv=folds, n_jobs=1)
    searcher.fit(train[list(features)], train[CHURN_LABEL], groups=train["customer_id"])
    best = {name.removeprefix("model__estimator__"): value for name, value in searcher.best_params_.items()}
    table = pd.DataFrame(searcher.cv_results_)[["params", "mean_test_score", "std_test_score"]]
    return best, table


def evaluate(y: np.ndarray, score: np.ndarray) -> dict[str, float]:
    """ROC AUC, PR AUC, Brier score, expected calibration error and the rates, on holdout rows."""
    return {
        "roc_auc": float(roc_auc_score(y, score)),
        "pr_auc": float(average_precision_score(y, score)),
        "brier": float(brier_score_loss(y, score)),
        "calibration_error": expected_calibration_error(y, score),
        "label_rate": float(np.mean(y)),
        "mean_score": float(np.mean(score)),
        "rows": float(len(y)),
    }


def expected_calibration_error(y: np.ndarray, score: np.ndarray, bins: int = CALIBRATION_BINS) -> float:
    """Sum over equal-width score bins of (rows in bin / rows) x |mean score - observed rate|."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(score, edges[1:-1]), 0, bins - 1)
    error = 0.0
    for b in range(bins):
        mask = which == b
        if mask.any():
            error += mask.mean() * abs(score[mask].mean() - y[mask].mean())
    return float(error)


def leakage_failures(result_features: Sequence[str], train: pd.DataFrame, valid: pd.DataFrame) -> list[str]:
    """Why the model might see its label: an id, date or label among its inputs, training rows not older
    than the holdout, or a single feature that alone separates the holdout almost perfectly."""
    failures = []
    forbidden = {*CHURN_KEYS, CHURN_LABEL} & set(result_features)
    if forbidden:
        failures.append(f"inputs include {sorted(forbidden)}")
    if train["as_of_date"].max() >= valid["as_of_date"].min():
        failures.append("training rows are not all older than the holdout")
    y = valid[CHURN_LABEL].to_numpy()
    for feature in result_features:
        if feature in CHURN_NUMERIC and len(np.unique(y)) == 2:
            values = valid[feature].fillna(valid[feature].max() + 1 if valid[feature].notna().any() else 0)
            auc = roc_auc_score(y, values)
            if max(auc, 1 - auc) > LEAK_AUC:
                failures.append(f"{feature} alone has holdout ROC AUC {max(auc, 1 - auc):.3f}")
    return failures


def train_churn(
    rows: pd.DataFrame,
    features: Sequence[str] = CHURN_FEATURES,
    *,
    importance_repeats: int = 3,
    params: dict[str, Any] | None = None,
) -> ChurnResult:
    """Search (unless `params` are given), fit and evaluate on the newest labelled as-of date. `rows` as
    features.training_rows."""
    # one OpenMP thread: the trees' threads spin-wait for each other and crawl when the cores are shared
    with threadpool_limits(limits=1, user_api="openmp"):
        return _train(rows, tuple(features), importance_repeats, params)


def _train(
    rows: pd.DataFrame, features: tuple[str, ...], importance_repeats: int, params: dict[str, Any] | None
) -> ChurnResult:
    train, valid = split_by_time(rows)
    if train[CHURN_LABEL].nunique() < 2 or valid[CHURN_LABEL].nunique() < 2:
        raise ValueError("churn training needs both labels among the training and the holdout rows")
    if params is None:
        params, _ = search(train, features)
    model = build_pipeline(features, **params).fit(train[list(features)], train[CHURN_LABEL])
    score = model.predict_proba(valid[list(features)])[:, 1]
    y = valid[CHURN_LABEL].to_numpy()
    metrics = evaluate(y, score)
    metrics["train_rows"] = float(len(train))
    observed, predicted = calibration_curve(y, score, n_bins=CALIBRATION_BINS, strategy="uniform")
    importance = permutation_importance(
        model, valid[list(features)], y, scoring="roc_auc", n_repeats=importance_repeats, random_state=0
    )
    validation = valid[[*CHURN_KEYS, CHURN_LABEL]].reset_index(drop=True).assign(score=score)
    return ChurnResult(
        model=model,
        features=features,
        params=params,
        metrics=metrics,
        validation=validation,
        train_dates=sorted(train["as_of_date"].unique()),
        validation_dates=sorted(valid["as_of_date"].unique()),
        importance=pd.DataFrame(
            {"feature": features, "mean": importance.importances_mean, "std": importance.importances_std}
        ).sort_values("mean", ascending=False, ignore_index=True),
        calibration=pd.DataFrame({"mean_score": predicted, "observed_rate": observed}),
        checks={"no_leakage": "; ".join(leakage_failures(features, train, valid))},
    )
