"""The generator's planted truth (`_truth/*.csv`) into schema raw_truth, every value as text, for the
reconciliation tests (dbt source `truth`). Replaced on every load; a zone without `_truth/` loads nothing."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from emporium.config import Settings
from emporium.engine import Engine, engine_for
from ingest.raw_tables import TRUTH_SCHEMA, LoadError, prepare_table, query


def load_truth(settings: Settings) -> dict[str, int]:
    """Load every `_truth/*.csv`; returns rows per table (file stem)."""
    paths = sorted(settings.truth_dir.glob("*.csv")) if settings.truth_dir.is_dir() else []
    if not paths:
        return {}
    engine = engine_for(settings)
    with engine.connect(read_only=False) as connection:
        return {path.stem: _load(connection, engine, path) for path in paths}


def _load(connection: Any, engine: Engine, path: Path) -> int:
    with path.open(newline="", encoding="utf-8") as handle:
        header = next(csv.reader(handle), None)
    if not header:
        raise LoadError(f"{path}: empty truth file, expected a header row")
    prepare_table(connection, TRUTH_SCHEMA, path.stem, header, replace=True)
    table = f"{TRUTH_SCHEMA}.{path.stem}"
    engine.load_csv(connection, table, header, path)
    return int(query(connection, f"select count(*) from {table}")[0][0])
