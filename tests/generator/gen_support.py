"""Shared parameters and helpers of the generator tests."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from pathlib import Path

from generator.config import DefectRates, Params
from tests.support import TINY

DAYS = 40
# higher defect rates than the defaults, so every kind shows up in a small month; the drift day and the
# first as-of date (2025-02-01) inside the horizon, so append is checked against their truth too
RATES = DefectRates(**{name: 0.03 for name in DefectRates.names()})
PARAMS = Params(seed=7, scale=0.01, days=DAYS, drift_date=dt.date(2025, 1, 26), defects=RATES)
# the tiny world the whole test suite builds its warehouse from (tests/support.py)
TINY_PARAMS = dataclasses.replace(
    Params(seed=int(TINY["seed"]), scale=float(TINY["scale"]), days=int(TINY["days"])),
    drift_date=Params().start_date + dt.timedelta(days=int(TINY["drift_day"])),
)


def file_hashes(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }
