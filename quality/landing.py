"""File-level validation of a landing zone, before anything is loaded.

Row-level problems (a bad value, an unknown product) are bronze's job: those rows are quarantined with a
reason. This module catches what would make a whole file unreadable or ambiguous (wrong encoding,
delimiter, columns, truncation, changed Parquet schema) and names the file, line and problem, so the run
stops before loading instead of failing somewhere inside dbt with a stack trace.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pyarrow.parquet as pq

from generator.entities import BOOL, BY_NAME, ID, MONEY, TS, Entity

PARTITION = re.compile(r"^date=(\d{4}-\d{2}-\d{2})$")
# Python's csv module must not refuse what the line-length check lets through.
CSV_FIELD_LIMIT = 256 * 1024 * 1024
# DuckDB's CSV reader (bronze, and the JSON-lines reader built on it) refuses longer lines by default.
MAX_LINE_BYTES = 2 * 1024 * 1024
TRUTH_DIR = "_truth"
# Arrow types the contract's column kinds are written as in Parquet; anything else is a schema change.
PARQUET_TYPES = {ID: "int64", MONEY: "decimal128(18, 2)", TS: "timestamp[us]", BOOL: "bool"}


@dataclass(frozen=True, order=True)
class Problem:
    path: str  # relative to the landing root
    line: int | None  # 1-based line in the file, None for whole-file problems
    severity: str  # error: the run stops | warn: recorded, the run goes on
    problem: str


def validate_landing(landing_dir: Path, since: date | None = None) -> list[Problem]:
    """Every problem found in the landing zone (partitions before `since` are skipped)."""
    if not landing_dir.is_dir():
        return [Problem(str(landing_dir), None, "error", "landing directory does not exist")]
    problems: list[Problem] = []
    for source_dir in sorted(p for p in landing_dir.iterdir() if p.name != TRUTH_DIR):
        entity = BY_NAME.get(source_dir.name)
        if entity is None or not source_dir.is_dir():
            problems.append(Problem(source_dir.name, None, "error", "not an entity of the contract"))
            continue
        for path in sorted(source_dir.rglob("*")):
            if path.is_file():
                problems += _validate_file(landing_dir, entity, path, since)
    return sorted(problems)


def _validate_file(root: Path, entity: Entity, path: Path, since: date | None) -> list[Problem]:
    relative = str(path.relative_to(root))
    partition = PARTITION.match(path.parent.name)
    if path.parent.parent != root / entity.name or partition is None:
        return [Problem(relative, None, "error", f"not inside a {entity.name}/date=YYYY-MM-DD/ partition")]
    try:
        landing_day = date.fromisoformat(partition.group(1))
    except ValueError:
        return [Problem(relative, None, "error", f"partition {path.parent.name!r} is not a valid date")]
    if since is not None and landing_day < since:
        return []
    if not path.name.startswith(f"{entity.name}_") or path.suffix != f".{entity.ext}":
        return [Problem(relative, None, "error", f"unexpected file: want {entity.name}_<date>.{entity.ext}")]
    if path.stat().st_size == 0:
        return [Problem(relative, None, "error", "empty file (0 bytes): not even a header")]
    if entity.fmt == "parquet":
        return list(_check_parquet(relative, path, entity))
    text = _check_text(relative, path)
    if isinstance(text, Problem):
        return [text]
    if entity.fmt == "csv":
        return list(_check_csv(relative, text, entity))
    return []  # JSON lines: a broken line is quarantined by bronze as malformed_json


def _check_text(relative: str, path: Path) -> str | Problem:
    """The file's text, or the encoding / line problem that would make DuckDB's CSV reader refuse it."""
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        bad = data[error.start : error.start + 1]
        return Problem(relative, line, "error", f"not UTF-8: byte {bad!r} at offset {error.start}")
    if data.startswith(b"\xef\xbb\xbf"):
        return Problem(relative, 1, "error", "UTF-8 byte-order mark at the start: write UTF-8 without BOM")
    if b"\r\n" in data:
        line = data.count(b"\n", 0, data.index(b"\r\n")) + 1
        return Problem(relative, line, "error", "Windows line ends (CRLF): the contract says \\n")
    for number, line in enumerate(data.split(b"\n"), start=1):
        if len(line) > MAX_LINE_BYTES:
            size = f"{len(line):,} bytes"
            return Problem(relative, number, "error", f"line of {size} (huge field?): the limit is 2 MiB")
    return text


def _check_columns(relative: str, found: list[str], entity: Entity, ordered: bool) -> Iterator[Problem]:
    expected = set(entity.columns)
    missing = [c for c in entity.columns if c not in found]
    unknown = [c for c in found if c not in expected]
    duplicated = sorted({c for c in found if found.count(c) > 1})
    if missing and len(found) == 1 and any(sep in found[0] for sep in ";|\t"):
        yield Problem(relative, 1, "error", f"wrong delimiter: header {found[0][:60]!r} is one field")
        return
    if missing:
        yield Problem(relative, 1, "error", f"missing column(s): {', '.join(missing)}")
    if unknown:
        yield Problem(relative, 1, "error", f"unknown column(s): {', '.join(unknown)} (schema change?)")
    if duplicated:
        yield Problem(relative, 1, "error", f"duplicated column(s): {', '.join(duplicated)}")
    if not (missing or unknown or duplicated) and ordered and found != list(entity.columns):
        # bronze reads every file of an entity with one header layout: order is part of the contract
        yield Problem(
            relative, 1, "error", f"columns out of contract order: expected {', '.join(entity.columns)}"
        )


def _check_csv(relative: str, text: str, entity: Entity) -> Iterator[Problem]:
    csv.field_size_limit(CSV_FIELD_LIMIT)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader)
    except StopIteration:
        yield Problem(relative, 1, "error", "no header row")
        return
    header_problems = list(_check_columns(relative, header, entity, ordered=True))
    if header_problems:
        yield from header_problems
        return
    try:
        for row in reader:
            if len(row) != len(header):
                kind = "truncated row" if len(row) < len(header) else "too many fields"
                yield Problem(
                    relative,
                    reader.line_num,
                    "error",
                    f"{kind}: expected {len(header)} fields, found {len(row)}",
                )
                return
    except csv.Error as error:
        yield Problem(relative, reader.line_num, "error", f"malformed CSV ({error}); truncated file?")
        return
    if not text.endswith("\n"):
        yield Problem(relative, reader.line_num, "error", "no newline at the end: truncated file?")


def _check_parquet(relative: str, path: Path, entity: Entity) -> Iterator[Problem]:
    try:
        schema = pq.read_schema(path)
    except Exception as error:  # pyarrow raises several types for a damaged file
        yield Problem(relative, None, "error", f"not a readable Parquet file: {error}")
        return
    yield from _check_columns(relative, list(schema.names), entity, ordered=False)
    for column in entity.columns:
        expected = PARQUET_TYPES.get(entity.kind(column), "string")
        if column in schema.names and str(schema.field(column).type) != expected:
            found = schema.field(column).type
            yield Problem(relative, None, "error", f"column {column} has type {found}, expected {expected}")
