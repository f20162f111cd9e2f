"""Drift of the churn model's features as scored, and of its predictions, from the warehouse.

The features are the training mart's point-in-time rows (ml.fm_customer_churn_features: the scoring view's
macro, evaluated as of every first of a month): exactly what batch scoring scored on the landing day before
each as-of date, for every current customer. A report compares the rows of an as-of date a (report day
a - 1, the last landing day they include; window 1: one day's scoring) with those of the as-of date before
it (the reference, a month earlier), per column:

- each numeric feature: the two-sample Kolmogorov-Smirnov test (scipy.stats.ks_2samp) with its distance D as
  the effect. The count and amount features over a window (orders, revenue, sessions, tickets in the last
  30 / 90 days) are first brought to the same demand (anonymous sessions in their windows, as ml/drift.py
  divides it out): the busier snapshot's counts thinned, its amounts scaled, so the season and events
  (the December wave, Black Friday) do not read as drift;
- loyalty_tier: Pearson's chi-square test of the tier counts, PSI as the effect (ml.drift.compare);
- churn_probability: the champion's scores of both as-of dates' rows (none without a champion), KS.

A column reports only when its window lies wholly inside the data in both snapshots (a feature without a
window, e.g. days_since_last_order, and the score when the reference is 90 days in), so the start of the
data is not judged as drift. Alarm: p < ALPHA and D (PSI) at least the column's threshold. The
thresholds and what they detect on the main job's world are in docs/serving.md.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from emporium.config import Settings
from emporium.engine import fetch_all
from ml.drift import ALPHA, COLUMNS, DriftRow, compare
from ml.features import CHURN_CATEGORICAL, CHURN_FEATURES, CHURN_NUMERIC, TRAINING_MART, get_features

PREDICTION = "churn_probability"
# days of each count feature's window (divided by the window's demand); the others are levels
WINDOW_DAYS = {
    "orders_last_30d": 30, "orders_last_90d": 90, "revenue_last_30d": 30, "revenue_last_90d": 90,
    "support_tickets_last_90d": 90, "sessions_last_30d": 30, "sessions_last_90d": 90,
}  # fmt: skip
AMOUNTS = ("revenue_last_30d", "revenue_last_90d")  # scaled; the other windowed columns are counts
# how far into the data the reference as-of date lies at least, for a column without a window: a level
# (days since the last order, returns so far) grows with the data's length at its start
LEVEL_COVERAGE_DAYS = 90
# the KS distance (PSI for the tier) a column must also reach: above what the months before the drift show
THRESHOLDS = {
    **dict.fromkeys(CHURN_NUMERIC, 0.10),
    "days_since_last_order": 0.15,  # still settling 120 days into the data (D 0.12 on the main job's world)
    "loyalty_tier": 0.05,
    PREDICTION: 0.10,
}
SHARE = next(column for column in COLUMNS if column.effect == "psi")  # compare()'s PSI for the tier
assert set(WINDOW_DAYS) <= set(CHURN_NUMERIC), "ml.scored_drift.WINDOW_DAYS names a column the model lacks"


def as_of_dates(connection: Any) -> list[dt.date]:
    return [
        d if isinstance(d, dt.date) else dt.date.fromisoformat(str(d)[:10])
        for (d,) in fetch_all(connection, f"select distinct as_of_date from {TRAINING_MART} order by 1")
    ]


def anonymous_sessions(connection: Any, first: dt.date, last: dt.date) -> dict[dt.date, int]:
    rows = fetch_all(
        connection,
        "select session_date, count(*) from gold.fct_sessions where customer_id is null"
        " and session_date between %s and %s group by 1",
        (first, last),
    )
    return {d if isinstance(d, dt.date) else dt.date.fromisoformat(str(d)[:10]): int(n) for d, n in rows}


def _demand(anonymous: dict[dt.date, int], as_of: dt.date, days: int) -> float:
    """Anonymous sessions per thousand in the `days` days before `as_of`."""
    return sum(anonymous.get(as_of - dt.timedelta(days=i), 0) for i in range(1, days + 1)) / 1000


def same_demand(values: list[np.ndarray], demands: tuple[float, float], *, counts: bool) -> list[np.ndarray]:
    """Both snapshots' values at the lower of their windows' demands: the busier one's counts thinned
    binomially (a Poisson count at rate r x demand, thinned by p, is one at rate r x demand x p: the
    distribution stays discrete, which KS needs to compare like with like), amounts scaled."""
    if min(demands) <= 0:
        return values
    busier = 0 if demands[0] > demands[1] else 1
    keep = min(demands) / max(demands)
    thinned = list(values)
    series = values[busier]
    if counts:
        present = ~np.isnan(series)
        out = series.copy()
        rng = np.random.default_rng(0)  # the same report twice is the same report
        out[present] = rng.binomial(series[present].astype("int64"), keep)
        thinned[busier] = out
    else:
        thinned[busier] = series * keep
    return thinned


def _ks(current: np.ndarray, reference: np.ndarray) -> tuple[float, float]:
    from scipy.stats import ks_2samp

    current, reference = current[~np.isnan(current)], reference[~np.isnan(reference)]
    if not len(current) or not len(reference):
        return 0.0, 1.0
    result = ks_2samp(current, reference)
    return float(result.statistic), float(result.pvalue)


def scored_drift_rows(
    connection: Any, days: Sequence[dt.date], first_day: dt.date, champion: Callable[[], Any | None]
) -> list[DriftRow]:
    """Rows of the report days in `days` (the day before an as-of date of the mart); `champion` gives the
    churn champion's pipeline or None (no prediction column), asked only when there is a report day."""
    wanted = set(days)
    grid = as_of_dates(connection)
    pairs = [(ref, cur) for ref, cur in itertools.pairwise(grid) if cur - dt.timedelta(days=1) in wanted]
    if not pairs:
        return []
    model = champion()
    anonymous = anonymous_sessions(connection, pairs[0][0] - dt.timedelta(days=90), pairs[-1][1])
    frames: dict[dt.date, pd.DataFrame] = {}

    def features(as_of: dt.date) -> pd.DataFrame:
        if as_of not in frames:
            frame = get_features(connection, "customer", as_of=as_of)
            if model is not None and len(frame):
                from threadpoolctl import threadpool_limits

                with threadpool_limits(limits=1, user_api="openmp"):  # see ml/churn.py
                    frame[PREDICTION] = model.predict_proba(frame[list(CHURN_FEATURES)])[:, 1]
            frames[as_of] = frame
        return frames[as_of]

    rows = []
    for reference_as_of, as_of in pairs:
        current, reference = features(as_of), features(reference_as_of)
        report_day = as_of - dt.timedelta(days=1)
        columns = [*CHURN_NUMERIC, *CHURN_CATEGORICAL, *([PREDICTION] if model is not None else [])]
        for column in columns:
            # the score reads every window: it reports once the longest lies inside the data
            coverage = (
                max(WINDOW_DAYS.values())
                if column == PREDICTION
                else WINDOW_DAYS.get(column, LEVEL_COVERAGE_DAYS)
            )
            if reference_as_of - dt.timedelta(days=coverage) < first_day:
                continue
            if column in CHURN_CATEGORICAL:
                counts = [
                    frame[column].fillna("none").value_counts().to_dict() for frame in (current, reference)
                ]
                statistic, p_value, effect = compare(SHARE, *counts)
                test, effect_name = "chi_square", "psi"
            else:
                values = [
                    frame[column].to_numpy(dtype="float64", na_value=np.nan) for frame in (current, reference)
                ]
                if column in WINDOW_DAYS:
                    window = WINDOW_DAYS[column]
                    demands = (_demand(anonymous, as_of, window), _demand(anonymous, reference_as_of, window))
                    values = same_demand(values, demands, counts=column not in AMOUNTS)
                statistic, p_value = _ks(*values)
                test, effect_name, effect = "ks", "ks_distance", statistic
            threshold = THRESHOLDS[column]
            rows.append(DriftRow(
                report_day, f"scored.{column}", 1, test, statistic, p_value, ALPHA, effect_name, effect,
                threshold, bool(p_value < ALPHA and abs(effect) >= threshold), len(current), len(reference),
                reference_as_of - dt.timedelta(days=1), reference_as_of - dt.timedelta(days=1),
            ))  # fmt: skip
    return rows


def churn_champion(settings: Settings) -> Any | None:
    """The churn champion's scikit-learn pipeline, or None (no registry or no champion yet). A local store
    that was never written is answered without importing MLflow (seconds on every landing day's run)."""
    uri = settings.ml.tracking_uri
    if uri.startswith("sqlite:///") and not Path(uri.removeprefix("sqlite:///")).exists():
        return None
    from ml import registry

    if registry.alias_versions(settings, settings.ml.churn_model)[registry.CHAMPION] is None:
        return None
    return registry.load_model(settings, settings.ml.churn_model, flavor="sklearn")
