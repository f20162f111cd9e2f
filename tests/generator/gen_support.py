"""Shared parameters and helpers of the generator tests."""

from __future__ import annotations

import hashlib
from pathlib import Path

from generator.config import DefectRates, Params

DAYS = 30
# higher defect rates than the defaults, so every kind shows up in a small month
RATES = DefectRates(**{name: 0.03 for name in DefectRates.names()})
PARAMS = Params(seed=7, scale=0.01, days=DAYS, defects=RATES)


def file_hashes(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }
