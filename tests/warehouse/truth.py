"""Reading the generator's planted truth in tests."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path


def read_csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def quarantine_defects(truth_dir: Path) -> Counter[tuple[str, str]]:
    """(entity, defect) -> rows the defect log says bronze must quarantine."""
    return Counter(
        (row["entity"], row["defect"])
        for row in read_csv_rows(truth_dir / "defect_log.csv")
        if row["outcome"] == "quarantine"
    )
