"""Generator parameters: one frozen dataclass, stored in and read back from `_truth/manifest.json`."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field, replace
from typing import Any

GENERATOR_VERSION = "1.0.0"

# Fixed so that the drift day does not move when the horizon grows (append must equal a longer generate):
# 219 days is 60 % of the default 365-day horizon.
DEFAULT_DRIFT_OFFSET_DAYS = 219

# Volumes at scale factor 1, per day or in total; everything scales linearly with `scale`.
SF1_INITIAL_CUSTOMERS = 30_000
SF1_SIGNUPS_PER_DAY = 27.4  # 20k more customers over two years -> ~50k
SF1_PRODUCTS = 5_000
SF1_NEW_PRODUCTS_PER_DAY = 0.7
SF1_KNOWN_SESSIONS_PER_DAY = 1_830.0  # logged-in sessions; ~36 % convert -> ~675 orders/day before the drift
SF1_ANONYMOUS_SESSIONS_PER_DAY = 700.0


@dataclass(frozen=True)
class DefectRates:
    """Share of rows (per entity) that get each defect; quarantine kinds add extra rows."""

    exact_duplicate: float = 0.01
    near_duplicate: float = 0.005
    late_arrival: float = 0.02
    null_optional: float = 0.01
    whitespace_case_noise: float = 0.01
    missing_key: float = 0.005
    invalid_timestamp: float = 0.005
    timestamp_in_future: float = 0.005
    negative_quantity: float = 0.005
    negative_amount: float = 0.005
    unknown_product: float = 0.005
    unknown_customer: float = 0.005
    malformed_email: float = 0.005
    malformed_json: float = 0.005

    @classmethod
    def names(cls) -> list[str]:
        return list(cls.__dataclass_fields__)


@dataclass(frozen=True)
class Params:
    seed: int = 42
    scale: float = 0.1
    start_date: dt.date = dt.date(2025, 1, 1)
    days: int = 365
    drift_date: dt.date | None = None  # None -> start + DEFAULT_DRIFT_OFFSET_DAYS
    max_late_days: int = 3
    defects: DefectRates = field(default_factory=DefectRates)

    def __post_init__(self) -> None:
        if self.days < 1:
            raise ValueError("days must be >= 1")
        if self.scale <= 0:
            raise ValueError("scale must be > 0")
        if self.drift_date is None:
            drift = self.start_date + dt.timedelta(days=DEFAULT_DRIFT_OFFSET_DAYS)
            object.__setattr__(self, "drift_date", drift)

    @property
    def end_date(self) -> dt.date:
        return self.start_date + dt.timedelta(days=self.days - 1)

    @property
    def drift_day(self) -> int:
        assert self.drift_date is not None
        return (self.drift_date - self.start_date).days

    def date_of(self, day: int) -> dt.date:
        return self.start_date + dt.timedelta(days=day)

    def with_days(self, days: int) -> Params:
        return replace(self, days=days)

    def to_manifest(self) -> dict[str, Any]:
        return {
            "generator_version": GENERATOR_VERSION,
            "seed": self.seed,
            "scale": self.scale,
            "start_date": self.start_date.isoformat(),
            "end_date": self.end_date.isoformat(),
            "days": self.days,
            "drift_date": self.drift_date.isoformat() if self.drift_date else None,
            "max_late_days": self.max_late_days,
            "defect_rates": asdict(self.defects),
        }

    @classmethod
    def from_manifest(cls, manifest: dict[str, Any]) -> Params:
        return cls(
            seed=int(manifest["seed"]),
            scale=float(manifest["scale"]),
            start_date=dt.date.fromisoformat(manifest["start_date"]),
            days=int(manifest["days"]),
            drift_date=dt.date.fromisoformat(manifest["drift_date"]),
            max_late_days=int(manifest["max_late_days"]),
            defects=DefectRates(**manifest["defect_rates"]),
        )
