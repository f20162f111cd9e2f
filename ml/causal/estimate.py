"""The estimate every estimator returns, normal-theory inference from an influence function, and the checks
on the caller's DataFrame (a missing column or a bad value names itself)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

Z_95 = float(stats.norm.ppf(0.975))


class CausalInputError(ValueError):
    """The DataFrame handed to an estimator cannot give an estimate (names the column and the row)."""


@dataclass(frozen=True)
class Estimate:
    """One estimator's answer: `effect` (treatment minus control on `estimand`), its standard error, the 95 %
    normal confidence interval, the two-sided p-value against no effect, the units used, and diagnostics
    (variance reduction, sample-ratio check, balance, overlap: whatever the estimator measured)."""

    estimator: str
    estimand: str
    effect: float
    std_error: float
    ci_lower: float
    ci_upper: float
    p_value: float
    n: int
    n_treated: int
    n_control: int
    diagnostics: dict[str, Any] = field(default_factory=dict)

    def covers(self, value: float) -> bool:
        return self.ci_lower <= value <= self.ci_upper

    def as_row(self) -> dict[str, Any]:
        return asdict(self)


def from_influence(
    estimator: str,
    estimand: str,
    effect: float,
    influence: np.ndarray,
    treated: np.ndarray,
    diagnostics: dict[str, Any] | None = None,
) -> Estimate:
    """An estimate whose sampling variance is var(influence) / n (one influence value per unit)."""
    n = len(influence)
    std_error = float(np.sqrt(np.var(influence, ddof=1) / n))
    return normal_estimate(estimator, estimand, effect, std_error, treated, diagnostics)


def normal_estimate(
    estimator: str,
    estimand: str,
    effect: float,
    std_error: float,
    treated: np.ndarray,
    diagnostics: dict[str, Any] | None = None,
) -> Estimate:
    z = effect / std_error if std_error > 0 else np.inf
    n_treated = int(treated.sum())
    return Estimate(
        estimator=estimator,
        estimand=estimand,
        effect=float(effect),
        std_error=std_error,
        ci_lower=float(effect - Z_95 * std_error),
        ci_upper=float(effect + Z_95 * std_error),
        p_value=float(2 * stats.norm.sf(abs(z))),
        n=len(treated),
        n_treated=n_treated,
        n_control=len(treated) - n_treated,
        diagnostics=diagnostics or {},
    )


@dataclass(frozen=True)
class Units:
    """The caller's DataFrame as arrays, one entry per unit: treatment indicator, outcome numerator and
    denominator (ones for a per-unit mean) and covariates."""

    treated: np.ndarray
    numerator: np.ndarray
    denominator: np.ndarray
    covariates: np.ndarray
    covariate_names: tuple[str, ...]


@dataclass(frozen=True)
class Design:
    """Which columns of a DataFrame (one row per unit: whatever was randomised or targeted) say what: the
    unit id, the 0/1 treatment, the outcome (the numerator of a ratio metric), its denominator (None for a
    per-unit mean) and the pre-treatment covariates."""

    unit: str
    treatment: str
    outcome: str
    denominator: str | None = None
    covariates: tuple[str, ...] = ()

    def metric(self) -> str:
        if self.denominator:
            return f"sum({self.outcome}) / sum({self.denominator})"
        return f"mean {self.outcome}"

    def units(self, data: pd.DataFrame) -> Units:
        """Check and convert: one row per unit, a 0/1 or boolean treatment with both arms present, numeric
        outcome columns and covariates without missing values, denominators >= 0 and not all zero."""
        unit, treatment, denominator = self.unit, self.treatment, self.denominator
        columns = [unit, treatment, self.outcome, *([denominator] if denominator else []), *self.covariates]
        missing = [c for c in columns if c not in data.columns]
        if missing:
            raise CausalInputError(
                f"column(s) {missing} not in the DataFrame (columns: {list(data.columns)})"
            )
        duplicated = data[unit].duplicated()
        if duplicated.any():
            raise CausalInputError(
                f"unit column {unit!r} must identify one row per unit: {data.loc[duplicated, unit].iloc[0]} "
                f"repeats (row {int(np.flatnonzero(duplicated.to_numpy())[0])})"
            )
        treated = _numeric(data, treatment)
        bad = ~np.isin(treated, (0.0, 1.0))
        if bad.any():
            raise CausalInputError(
                f"treatment {treatment!r} must be 0/1 or boolean: {_first(data, unit, bad)}"
            )
        if treated.min() == treated.max():
            raise CausalInputError(f"treatment {treatment!r} has one arm only ({int(treated[0])})")
        numerator = _numeric(data, self.outcome)
        den = _numeric(data, denominator) if denominator else np.ones(len(data))
        if denominator and (den < 0).any():
            raise CausalInputError(f"denominator {denominator!r} is negative: {_first(data, unit, den < 0)}")
        for arm in (0, 1):
            if den[treated == arm].sum() <= 0:
                raise CausalInputError(f"denominator {denominator!r} sums to zero in arm {arm}")
        x = np.column_stack([_numeric(data, c) for c in self.covariates]) if self.covariates else None
        x = np.zeros((len(data), 0)) if x is None else x
        return Units(treated.astype(bool), numerator, den, x, tuple(self.covariates))


def _numeric(data: pd.DataFrame, column: str) -> np.ndarray:
    values = pd.to_numeric(data[column], errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(values)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise CausalInputError(
            f"column {column!r} needs finite numbers: row {row} holds {data[column].iloc[row]!r}"
        )
    return values


def _first(data: pd.DataFrame, unit: str, mask: np.ndarray) -> str:
    row = int(np.flatnonzero(mask)[0])
    return f"row {row} ({unit} = {data[unit].iloc[row]})"
