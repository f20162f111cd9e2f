"""The ML models against the planted truth, at SF 0.1 (what `make run` builds).

    .venv/bin/python benchmarks/ml_benchmark.py [--data-dir data]

Reads a built warehouse (default `data/`; read only: training goes to a throwaway MLflow store) and
reports, in benchmarks/results/ml.md:
- churn: for every labelled as-of date from the third on, the model trained on the earlier dates (as the
  training job does for the newest one) against the oracle, the generator's own churn probability
  (raw_truth.churn_labels), on the same rows: ROC AUC, the ratio (goal >= 0.95), PR AUC, Brier, calibration
  error; the best single feature for scale;
- recommendations: recall@10 and NDCG@10 on the purchases of the last 30 days, of the model, of popularity
  (goal: recall >= 1.3 x popularity) and of the oracle ranking (generator/recommendation_oracle.py);
- times: the training job's two models end to end into MLflow, and batch scoring of every current customer.
"""

import argparse
import dataclasses
import datetime as dt
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from sklearn.metrics import roc_auc_score

from emporium.config import PROJECT_ROOT, load_settings
from emporium.engine import connect, fetch_frame
from generator.recommendation_oracle import top_products
from ml.churn import train_churn
from ml.features import CHURN_LABEL, CHURN_NUMERIC, get_features, purchases_between, training_rows
from ml.recommend import fit_item_item, recall_and_ndcg
from ml.training import evaluate_recommender, recommender_window
from orchestration.ml import oracle_auc, oracle_recall

RESULTS = PROJECT_ROOT / "benchmarks" / "results" / "ml.md"
K = 10


def churn_by_as_of(connection, last: int) -> tuple[list[dict], float]:
    """The newest `last` labelled as-of dates; the newest with the grid search, the others with its
    parameters (a search per date costs minutes on two shared cores)."""
    rows = training_rows(connection)
    dates = sorted(rows["as_of_date"].unique())
    table, seconds, params = [], 0.0, None
    for date in reversed(dates[max(2, len(dates) - last) :]):
        started = time.perf_counter()
        result = train_churn(rows[rows["as_of_date"] <= date], importance_repeats=1, params=params)
        params = result.params
        seconds = time.perf_counter() - started
        truth = oracle_auc(connection, result.validation)
        holdout = rows[rows["as_of_date"] == date]
        best = max(
            (max(a, 1 - a), f)
            for f in CHURN_NUMERIC
            for a in [roc_auc_score(holdout[CHURN_LABEL], holdout[f].fillna(holdout[f].max() + 1))]
        )
        table.append({"as_of": date, "train_dates": len(result.train_dates), **result.metrics, **truth,
                      "best_feature": f"{best[1]} ({best[0]:.3f})", "seconds": seconds})  # fmt: skip
        print(table[-1], flush=True)
    return sorted(table, key=lambda r: r["as_of"]), seconds


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data-dir", type=Path, default=PROJECT_ROOT / "data")
    parser.add_argument("--as-of-dates", type=int, default=4, help="newest labelled as-of dates to judge")
    args = parser.parse_args()
    base = load_settings({"EMPORIUM_DATA_DIR": str(args.data_dir.resolve())})
    store = Path(tempfile.mkdtemp(prefix="emporium-ml-benchmark-"))
    ml = dataclasses.replace(base.ml, tracking_uri=f"sqlite:///{store / 'mlflow.db'}", artifact_root=store / "art",
                             online_store_path=store / "online_store.sqlite")  # fmt: skip
    settings = dataclasses.replace(base, ml=ml)
    lines = [
        "# ML benchmark: churn and recommendations against the planted truth",
        "",
        f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, {platform.node()}, Python {platform.python_version()},"
        f" warehouse {base.warehouse_path} (2 cores shared with other jobs).",
        "",
    ]
    with connect(settings) as connection:
        ((customers, first, last),) = fetch_frame(
            connection, "select (select count(*) from gold.dim_customers where is_current), min(date_day),"
            " max(date_day) from gold.dim_date").itertuples(index=False)  # fmt: skip
        lines += [f"World: {customers} customers, {first} .. {last}.", ""]
        print("churn by as-of date ...", flush=True)
        table, _ = churn_by_as_of(connection, args.as_of_dates)
        lines += [
            "## Churn: model vs oracle, per as-of date",
            "Each row: trained on every earlier labelled as-of date (isotonic calibration; the grid search on the"
            " newest date, its parameters reused for the older ones), judged on that date's rows; the oracle is the"
            " generator's churn probability on the same rows.",
            "",
            "| as-of date | train dates | rows | label rate | ROC AUC | oracle AUC | AUC / oracle | PR AUC | Brier |"
            " calibration error | best single feature | fit s |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        for r in table:
            lines.append(
                f"| {r['as_of']} | {r['train_dates']} | {int(r['rows'])} | {r['label_rate']:.3f} | {r['roc_auc']:.4f} |"
                f" {r.get('oracle_roc_auc', float('nan')):.4f} | {r.get('roc_auc_over_oracle', float('nan')):.3f} |"
                f" {r['pr_auc']:.4f} | {r['brier']:.4f} | {r['calibration_error']:.4f} | {r['best_feature']} |"
                f" {r['seconds']:.1f} |"
            )
        ratios = [r["roc_auc_over_oracle"] for r in table if "roc_auc_over_oracle" in r]
        newest = table[-1]
        lines += [
            "",
            f"Newest as-of date (what the training job validates on): ROC AUC {newest['roc_auc']:.4f} vs oracle"
            f" {newest.get('oracle_roc_auc', float('nan')):.4f} ="
            f" **{newest.get('roc_auc_over_oracle', float('nan')):.3f} x oracle** (goal 0.95); mean ratio over"
            f" the {len(ratios)} dates {np.mean(ratios):.3f}, min {np.min(ratios):.3f}.",
            "",
        ]
        print("recommendations ...", flush=True)
        start, end = recommender_window(connection)
        started = time.perf_counter()
        interactions = get_features(connection, "customer_product", as_of=start)
        model = fit_item_item(interactions, get_features(connection, "product"))
        bought = purchases_between(connection, start, end)
        metrics = evaluate_recommender(model, interactions, bought, K)
        fit_seconds = time.perf_counter() - started
        metrics.update(oracle_recall(base.truth_dir, K)(bought))
        oracle_ndcg = recall_and_ndcg(top_products(base.truth_dir, K), bought, K)[f"ndcg_at_{K}"]
        lines += [
            f"## Recommendations: last 30 days ({start} .. {end - dt.timedelta(days=1)})",
            f"{int(metrics['eval_customers'])} customers bought in the window; the model and popularity learnt"
            f" from the interactions before it.",
            "",
            "| ranking | recall@10 | NDCG@10 | recall vs popularity |",
            "|---|---|---|---|",
            f"| item-item CF + popularity prior | {metrics['recall_at_10']:.4f} | {metrics['ndcg_at_10']:.4f} |"
            f" {metrics['recall_lift_over_popularity']:.2f} x |",
            f"| popularity | {metrics['popularity_recall_at_10']:.4f} | {metrics['popularity_ndcg_at_10']:.4f} |"
            " 1.00 x |",
            f"| oracle (generator's choice probabilities) | {metrics['oracle_recall_at_10']:.4f} |"
            f" {oracle_ndcg:.4f} | {metrics['oracle_recall_at_10'] / metrics['popularity_recall_at_10']:.2f} x |",
            "",
            f"Goal recall@10 >= 1.3 x popularity: **{metrics['recall_lift_over_popularity']:.2f} x**."
            f" Fit + evaluation {fit_seconds:.1f} s.",
            "",
        ]
        print("training job and scoring ...", flush=True)
        from ml.scoring import score_current
        from ml.training import train_churn_model, train_recommender_model

        started = time.perf_counter()
        import mlflow  # noqa: F401  (import time reported apart)

        import_seconds = time.perf_counter() - started
        started = time.perf_counter()
        churn = train_churn_model(settings, connection, truth=lambda rows: oracle_auc(connection, rows))
        churn_seconds = time.perf_counter() - started
        started = time.perf_counter()
        train_recommender_model(settings, connection)
        recommender_seconds = time.perf_counter() - started
        started = time.perf_counter()
        scores = score_current(settings, connection)
        scoring_seconds = time.perf_counter() - started
    lines += [
        "## Times",
        "| step | seconds |",
        "|---|---|",
        f"| import MLflow (cold process) | {import_seconds:.1f} |",
        f"| churn: train (search, calibration, importance) + log + register + approve | {churn_seconds:.1f} |",
        f"| recommender: fit + evaluate + log + register + approve | {recommender_seconds:.1f} |",
        f"| batch scoring of {len(scores.churn)} current customers (load both champions, churn + top 10) |"
        f" {scoring_seconds:.1f} |",
        "",
        f"Registered churn model: holdout ROC AUC {churn.metrics['roc_auc']:.4f},"
        f" {churn.metrics.get('roc_auc_over_oracle', float('nan')):.3f} x oracle; {churn.decision.reason}.",
    ]
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
