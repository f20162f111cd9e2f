"""Drift of the churn model's inputs per landing day, from the warehouse (never the planted truth).

Each column is a table of counts per (day, category), read from gold/silver:
- `device_type`: sessions per device (gold.fct_sessions, every session);
- `product_view_category`: product views per category (silver.web_events, the product's version valid
  at the event, gold.dim_products);
- `sessions_per_customer`: identified sessions against anonymous ones. Anonymous visits follow the day's
  demand (weekday, season, Black Friday) and not a customer's visit rate, so this odds is sessions per
  customer with the day's expected demand divided out;
- `orders_per_customer`: orders placed (gold.fct_orders) against anonymous sessions, likewise;
- `conversion`: identified sessions with and without a purchase.

For a landing day d and a window of w days (1: the day itself; 7: the week ending on d, every weekday
once; for the shares also 28, four weeks, which small shops need), the current counts are the window's and
the reference counts those of the REFERENCE_DAYS (28) days before the window. The odds columns have no
four-week window: over four weeks a planned intervention (an A/B test, a campaign running for weeks) moves
conversion legitimately, and a monitor should not call that drift. Statistic: Pearson's chi-square test
of homogeneity between the two count vectors (scipy.stats.chi2_contingency), and an effect size: the
population stability index for shares (PSI, the symmetric Kullback-Leibler divergence from
scipy.stats.entropy, counts smoothed by 0.5) and the relative change of the odds for the two-category
columns. A column alarms when the test is significant at ALPHA
and the effect passes the column's threshold: the p-value alone would alarm on trivial shifts of large
worlds, the effect alone on noise of small ones. Shares and demand-normalised odds do not move with
weekday, season or events, so those raise no alarm (docs/serving.md has the record on the main job's world).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from emporium.config import Settings
from emporium.engine import engine_for, fetch_all

REFERENCE_DAYS = 28
SHARE_WINDOWS, ODDS_WINDOWS = (1, 7, 28), (1, 7)
# one significance level for every test: about 365 days x 12 series a year, so a false alarm of
# pure noise stays rare (expected 0.05 a year)
ALPHA = 1e-5
TABLE = "ml.drift_reports"
SMOOTHING = 0.5  # counts added to each cell before the PSI (an empty category would be infinite)


@dataclass(frozen=True)
class Column:
    name: str
    effect: str  # "psi" (shares of several categories) or "odds_change" (two categories: |ratio - 1|)
    threshold: float  # the effect the column must also reach
    sql: str  # rows (day, category, count) for days in [%s, %s]

    @property
    def windows(self) -> tuple[int, ...]:
        return SHARE_WINDOWS if self.effect == "psi" else ODDS_WINDOWS


_SESSIONS = "select session_date, {category}, count(*) from gold.fct_sessions"
COLUMNS = (
    Column(
        "device_type", "psi", 0.05,
        _SESSIONS.format(category="device_type")
        + " where session_date between %s and %s group by 1, 2",
    ),
    Column(
        "product_view_category", "psi", 0.04,
        "select cast(web_events.occurred_at as date), dim_products.category_code, count(*)"
        " from silver.web_events inner join gold.dim_products"
        " on web_events.product_id = dim_products.product_id"
        " and (web_events.occurred_at >= dim_products.valid_from or dim_products.version_number = 1)"
        " and (web_events.occurred_at < dim_products.valid_to or dim_products.valid_to is null)"
        " where web_events.event_type = 'product_view'"
        " and cast(web_events.occurred_at as date) between %s and %s group by 1, 2",
    ),
    Column(
        "sessions_per_customer", "odds_change", 0.1,
        _SESSIONS.format(category="case when customer_id is null then 'anonymous' else 'identified' end")
        + " where session_date between %s and %s group by 1, 2",
    ),
    Column(
        "orders_per_customer", "odds_change", 0.1,
        "select order_date, 'orders', count(*) from gold.fct_orders where order_date between %s and %s"
        " group by 1, 2 union all " + _SESSIONS.format(category="'anonymous'")
        + " where customer_id is null and session_date between %s and %s group by 1, 2",
    ),
    Column(
        "conversion", "odds_change", 0.1,
        _SESSIONS.format(category="case when has_purchase then 'purchase' else 'no_purchase' end")
        + " where customer_id is not null and session_date between %s and %s group by 1, 2",
    ),
)  # fmt: skip
# the category whose odds against the other the odds_change columns follow
ODDS_NUMERATOR = {"sessions_per_customer": "identified", "orders_per_customer": "orders",
                  "conversion": "purchase"}  # fmt: skip

REPORT_COLUMNS = (
    ("report_date", "date"),
    ("column_name", "varchar"),
    ("window_days", "integer"),
    ("statistic", "varchar"),
    ("statistic_value", "double precision"),
    ("p_value", "double precision"),
    ("alpha", "double precision"),
    ("effect_name", "varchar"),
    ("effect", "double precision"),
    ("threshold", "double precision"),
    ("alarm", "boolean"),
    ("current_count", "bigint"),
    ("reference_count", "bigint"),
    ("reference_from", "date"),
    ("reference_to", "date"),
)


@dataclass(frozen=True)
class DriftRow:
    report_date: dt.date
    column_name: str
    window_days: int
    statistic: str
    statistic_value: float
    p_value: float
    alpha: float
    effect_name: str
    effect: float
    threshold: float
    alarm: bool
    current_count: int
    reference_count: int
    reference_from: dt.date
    reference_to: dt.date

    def values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name, _ in REPORT_COLUMNS)


def daily_counts(
    connection: Any, column: Column, first: dt.date, last: dt.date
) -> dict[dt.date, dict[str, int]]:
    """day -> category -> count for `column` over [first, last]."""
    params = (first, last) * column.sql.count("between")
    counts: dict[dt.date, dict[str, int]] = {}
    for day, category, count in fetch_all(connection, column.sql, params):
        day = day if isinstance(day, dt.date) else dt.date.fromisoformat(str(day)[:10])
        counts.setdefault(day, {})[str(category)] = counts.get(day, {}).get(str(category), 0) + int(count)
    return counts


def _count_matrix(
    counts: dict[dt.date, dict[str, int]], first: dt.date, length: int
) -> tuple[list[str], np.ndarray]:
    """(categories, a days x categories matrix of counts from `first` on, `length` days)."""
    categories = sorted({category for per_day in counts.values() for category in per_day})
    index = {category: i for i, category in enumerate(categories)}
    matrix = np.zeros((length, len(categories)), dtype=np.int64)
    for day, per_day in counts.items():
        for category, count in per_day.items():
            matrix[(day - first).days, index[category]] += count
    return categories, matrix


def compare_many(
    column: Column, categories: Sequence[str], current: np.ndarray, reference: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(chi-square statistics, p-values, effects) of each row of `current` against the same row of
    `reference` (counts, n x len(categories)): Pearson's test of homogeneity of the 2 x k table without
    the categories both rows lack (scipy.stats.chi2_contingency without Yates' correction, as arrays: a
    full build reports every day), and (0, 1, 0) where fewer than two categories or an empty row remain."""
    from scipy.stats import chi2

    table = np.stack([current, reference], axis=1).astype(np.float64)  # n x 2 x k
    present = table.sum(axis=1) > 0  # n x k: the categories the row's table keeps
    sides = table.sum(axis=2)  # n x 2
    valid = (present.sum(axis=1) >= 2) & (sides > 0).all(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        expected = sides[:, :, None] * table.sum(axis=1)[:, None, :] / sides.sum(axis=1)[:, None, None]
        cells = np.where(present[:, None, :], (table - expected) ** 2 / expected, 0.0)
    statistic = cells.sum(axis=(1, 2))
    p_value = chi2.sf(statistic, np.maximum(present.sum(axis=1) - 1, 1))
    if column.effect == "psi":  # symmetric Kullback-Leibler divergence of the smoothed shares
        smoothed = np.where(present[:, None, :], table + SMOOTHING, 0.0)
        with np.errstate(divide="ignore", invalid="ignore"):  # rows without categories are not valid
            shares = smoothed / smoothed.sum(axis=2, keepdims=True)
            ratio = np.where(present, shares[:, 0] / shares[:, 1], 1.0)
        effect = ((shares[:, 0] - shares[:, 1]) * np.log(ratio)).sum(axis=1)
    else:
        numerator = ODDS_NUMERATOR[column.name]
        at = [i for i, category in enumerate(categories) if category == numerator]
        cur_num = current[:, at].sum(axis=1)
        ref_num = reference[:, at].sum(axis=1)
        cur_rest, ref_rest = current.sum(axis=1) - cur_num, reference.sum(axis=1) - ref_num
        effect = ((cur_num + SMOOTHING) / (cur_rest + SMOOTHING)) / (
            (ref_num + SMOOTHING) / (ref_rest + SMOOTHING)
        ) - 1
    return np.where(valid, statistic, 0.0), np.where(valid, p_value, 1.0), np.where(valid, effect, 0.0)


def compare(column: Column, current: dict[str, int], reference: dict[str, int]) -> tuple[float, float, float]:
    """(chi-square statistic, its p-value, the effect) of current against reference counts."""
    categories = sorted(set(current) | set(reference))
    rows = [
        np.array([[counts.get(c, 0) for c in categories]], dtype=np.int64) for counts in (current, reference)
    ]
    statistic, p_value, effect = compare_many(column, categories, *rows)
    return float(statistic[0]), float(p_value[0]), float(effect[0])


def drift_rows(connection: Any, days: Sequence[dt.date], first_day: dt.date) -> list[DriftRow]:
    """The report rows of `days` (each window whose reference lies on or after `first_day`, the first
    landing day: a shorter reference would judge the start of the data, not drift)."""
    if not days:
        return []
    ordered = sorted(days)
    first = ordered[0] - dt.timedelta(days=REFERENCE_DAYS + max(SHARE_WINDOWS) - 1)
    rows = []
    for column in COLUMNS:
        categories, matrix = _count_matrix(
            daily_counts(connection, column, first, ordered[-1]), first, (ordered[-1] - first).days + 1
        )
        # window sums as differences of running totals: every day's windows in a few array operations
        running = np.vstack([np.zeros((1, len(categories)), dtype=np.int64), matrix.cumsum(axis=0)])
        results = {}
        for window in column.windows:
            starts = [day - dt.timedelta(days=window - 1) for day in ordered]
            reported = [
                i for i, start in enumerate(starts) if start - dt.timedelta(days=REFERENCE_DAYS) >= first_day
            ]
            at = np.array([(starts[i] - first).days for i in reported], dtype=np.int64)
            current = running[at + window] - running[at]
            reference = running[at] - running[at - REFERENCE_DAYS]
            tested = compare_many(column, categories, current, reference)
            for n, i in enumerate(reported):
                results[i, window] = (*(float(values[n]) for values in tested),
                                      int(current[n].sum()), int(reference[n].sum()))  # fmt: skip
        for i, day in enumerate(ordered):
            for window in column.windows:
                if (i, window) not in results:
                    continue
                statistic, p_value, effect, current_count, reference_count = results[i, window]
                start = day - dt.timedelta(days=window - 1)
                rows.append(DriftRow(
                    day, column.name, window, "chi_square", statistic, p_value, ALPHA, column.effect,
                    effect, column.threshold, bool(p_value < ALPHA and abs(effect) >= column.threshold),
                    current_count, reference_count, start - dt.timedelta(days=REFERENCE_DAYS),
                    start - dt.timedelta(days=1),
                ))  # fmt: skip
    return rows


def write_reports(settings: Settings, rows: Iterable[DriftRow], days: Sequence[dt.date]) -> int:
    """Replace the reports of `days` in ml.drift_reports (created if missing) with `rows`, in one
    transaction; returns the rows written."""
    engine = engine_for(settings)
    rows = list(rows)
    columns = ", ".join(f"{name} {engine.column_type(kind)}" for name, kind in REPORT_COLUMNS)
    with engine.connect(read_only=False) as connection:
        engine.begin(connection)
        engine.query(connection, "create schema if not exists ml")
        engine.query(connection, f"create table if not exists {TABLE} ({columns}){engine.table_options}")
        if days:
            listed = ", ".join(f"date '{day.isoformat()}'" for day in days)
            engine.delete_where(connection, TABLE, f"report_date in ({listed})")
        if rows:  # one bulk load: a full build reports every day (about 13 rows a day)
            frame = pd.DataFrame([row.values() for row in rows], columns=[name for name, _ in REPORT_COLUMNS])
            engine.load_frame(connection, TABLE, frame)
    return len(rows)


def landing_range(connection: Any) -> tuple[dt.date, dt.date] | None:
    """The first and last day of sessions in the warehouse (None: no sessions yet)."""
    ((first, last),) = fetch_all(
        connection, "select min(session_date), max(session_date) from gold.fct_sessions"
    )
    return None if first is None else (first, last)


def monitor(settings: Settings, days: Sequence[dt.date] | None = None) -> list[DriftRow]:
    """Compute and store the reports of `days` (default: every day of data), the landing columns here and
    the scored features and predictions (ml/scored_drift.py); returns the rows."""
    from ml.scored_drift import churn_champion, scored_drift_rows

    engine = engine_for(settings)
    with engine.connect(read_only=True) as connection:
        span = landing_range(connection)
        if span is None:
            return []
        if days is None:
            days = [span[0] + dt.timedelta(days=i) for i in range((span[1] - span[0]).days + 1)]
        rows = drift_rows(connection, days, span[0])
        rows += scored_drift_rows(connection, days, span[0], lambda: churn_champion(settings))
    write_reports(settings, rows, days)
    return rows
