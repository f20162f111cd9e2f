"""Reading a landing zone back, independently of the generator's in-memory data."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pyarrow.parquet as pq

QUARANTINE = "quarantine"


def read_rows(landing: Path, entity: str) -> list[dict[str, object]]:
    """Every row of every partition, with `_source_file` and `_landing_date` added; broken JSON lines
    come back as {'_raw': line}."""
    rows: list[dict[str, object]] = []
    for path in sorted((landing / entity).glob("date=*/*")):
        source = str(path.relative_to(landing))
        day = path.parent.name.removeprefix("date=")
        if path.suffix == ".csv":
            with path.open(newline="", encoding="utf-8") as handle:
                found = [dict(r) for r in csv.DictReader(handle)]
        elif path.suffix == ".jsonl":
            found = []
            for line in path.read_text(encoding="utf-8").splitlines():
                try:
                    found.append(json.loads(line))
                except json.JSONDecodeError:
                    found.append({"_raw": line})
        else:
            found = pq.read_table(path).to_pylist()
        for row in found:
            row["_source_file"], row["_landing_date"] = source, day
        rows += found
    return rows


def defect_log(landing: Path) -> list[dict[str, str]]:
    with (landing / "_truth" / "defect_log.csv").open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def quarantined_keys(landing: Path, entity: str) -> set[str]:
    return {
        r["record_key"] for r in defect_log(landing) if r["entity"] == entity and r["outcome"] == QUARANTINE
    }


def valid_rows(landing: Path, entity: str, key: str) -> list[dict[str, object]]:
    """Rows a correct bronze layer keeps: not broken JSON, key present, key not logged as quarantined."""
    bad = quarantined_keys(landing, entity)
    return [
        r
        for r in read_rows(landing, entity)
        if "_raw" not in r and r.get(key) not in (None, "") and str(r[key]) not in bad
    ]


def truth_csv(landing: Path, name: str) -> list[dict[str, str]]:
    with (landing / "_truth" / name).open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))
