"""Writing one entity's landed rows as one file per landing day, deterministically (byte for byte)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from generator.defects import (
    DEFECT,
    EXACT,
    LAND,
    LATE,
    NEAR,
    NOISE,
    NULLED,
    PART,
    QUARANTINE,
    QUARANTINE_KINDS,
)
from generator.entities import Entity
from generator.formatting import csv_lines, header, json_lines, malformed_json, render, with_prefix
from generator.simulate.tables import Table

CHUNK_ROWS = 1_000_000  # rows rendered at once; bounds memory for the big entities
ROW_GROUP_SIZE = 65_536
OUTCOMES = {
    "exact_duplicate": "collapse",
    "near_duplicate": "collapse",
    "late_arrival": "clean",
    "null_optional": "clean",
    "whitespace_case_noise": "clean",
} | dict.fromkeys(QUARANTINE_KINDS, "quarantine")


def _day_chunks(land: np.ndarray, first_day: int, last_day: int) -> Iterator[tuple[int, int]]:
    """(first, last) landing-day ranges whose rows add up to about CHUNK_ROWS."""
    bounds = np.searchsorted(land, np.arange(first_day, last_day + 2))
    start = first_day
    for day in range(first_day, last_day + 1):
        rows = bounds[day + 1 - first_day] - bounds[start - first_day]
        if rows >= CHUNK_ROWS or day == last_day:
            yield start, day
            start = day + 1


def write_entity(
    entity: Entity,
    table: Table,
    root: Path,
    start: dt.date,
    first_day: int,
    last_day: int,
    epoch0: int,
    write_from: int,
) -> list[tuple[str, str, str, str, str]]:
    """Writes partitions write_from..last_day of `table` (sorted by landing day); returns the defect-log
    rows of first_day..last_day (the log always covers the whole landing zone)."""
    land = table[LAND]
    log: list[tuple[str, str, str, str, str]] = []
    for lo_day, hi_day in _day_chunks(land, first_day, last_day):
        lo, hi = np.searchsorted(land, [lo_day, hi_day + 1])
        chunk = {name: values[lo:hi] for name, values in table.items()}  # views, no copy
        typed = entity.fmt == "parquet"
        cols = render(entity, chunk, epoch0, typed)
        cut: dict[int, bytes] = {}  # whole lines that replace rows (malformed JSON)
        if entity.fmt == "csv":
            lines = csv_lines(entity, cols)
        elif entity.fmt == "jsonl":
            lines = json_lines(entity, cols)
            cut = malformed_json(entity, lines, chunk[DEFECT])
        day_bounds = np.searchsorted(chunk[LAND], np.arange(lo_day, hi_day + 2))
        for day in range(max(lo_day, write_from), hi_day + 1):
            a, b = int(day_bounds[day - lo_day]), int(day_bounds[day - lo_day + 1])
            date_iso = (start + dt.timedelta(days=day)).isoformat()
            path = root / entity.source_file(date_iso)
            path.parent.mkdir(parents=True, exist_ok=True)
            if typed:
                piece = pa.table({c: cols[c].slice(a, b - a) for c in entity.columns})
                pq.write_table(piece, path, row_group_size=ROW_GROUP_SIZE, compression="snappy")
            else:
                with path.open("wb") as handle:
                    handle.write(_head(entity))
                    handle.writelines(line_bytes(lines, a, b, cut))
        log += _log_rows(entity, chunk, cols[entity.key], start)
    return log


def _head(entity: Entity) -> bytes:
    return header(entity) if entity.fmt == "csv" else b""


def line_bytes(lines: pa.Array, a: int, b: int, cut: dict[int, bytes]) -> list[memoryview | bytes]:
    """The bytes of lines[a:b] as views of the Arrow buffers (no copy), with the rows in `cut`
    replaced: patching the few broken lines here is much cheaper than rebuilding the whole array."""
    if b <= a:
        return []
    width = 8 if pa.types.is_large_string(lines.type) else 4
    offsets = np.frombuffer(
        lines.buffers()[1],
        dtype=np.int64 if width == 8 else np.int32,
        count=len(lines) + 1,
        offset=lines.offset * width,
    )
    data = memoryview(lines.buffers()[2])
    pieces: list[memoryview | bytes] = []
    start = int(offsets[a])
    for row in [r for r in cut if a <= r < b]:  # `cut` is in row order
        pieces += [data[start : int(offsets[row])], cut[row]]
        start = int(offsets[row + 1])
    pieces.append(data[start : int(offsets[b])])
    return pieces


def _log_rows(
    entity: Entity, chunk: Table, keys: pa.Array, start: dt.date
) -> list[tuple[str, str, str, str, str]]:
    """One defect-log row per injected defect, in file order."""
    part, base = chunk[PART], chunk[PART] == 0
    quarantine = np.flatnonzero(part == QUARANTINE)
    hits = [
        (np.flatnonzero(chunk[NOISE] & base), "whitespace_case_noise"),
        (np.flatnonzero(chunk[NULLED] & base), "null_optional"),
        (np.flatnonzero(chunk[LATE] & base), "late_arrival"),
        (np.flatnonzero(part == EXACT), "exact_duplicate"),
        (np.flatnonzero(part == NEAR), "near_duplicate"),
    ]
    index = np.concatenate([i for i, _ in hits] + [quarantine])
    names = np.concatenate(
        [np.full(len(i), name, dtype=object) for i, name in hits]
        + [np.array(QUARANTINE_KINDS, dtype=object)[chunk[DEFECT][quarantine]]]
    )
    order = np.argsort(index, kind="stable")
    index, names = index[order], names[order]
    taken = with_prefix(entity, entity.key, keys.take(pa.array(index, pa.int64())).cast(pa.string()))
    key_text = taken.fill_null("").to_pylist()
    files = {
        day: entity.source_file((start + dt.timedelta(days=int(day))).isoformat())
        for day in np.unique(chunk[LAND][index])
    }
    return [
        (entity.name, files[day], key, name, OUTCOMES[name])
        for day, key, name in zip(chunk[LAND][index], key_text, names, strict=True)
    ]
