"""File-level validation of a landing zone, before anything is loaded.

Row-level problems (a bad value, an unknown product) are bronze's job: those rows are quarantined with a
reason. This module catches what would make a whole file unreadable or ambiguous and names the file, line
and problem. Severity `error` (wrong encoding, delimiter, columns, truncation, changed Parquet schema, ...):
the raw load leaves the file out and records it in quality.rejected_files. Severity `warn`: benign variants
a partner sends sooner or later (a UTF-8 byte-order mark, CRLF line ends, the contract's columns in another
order); the file loads, normalised (ingest/normalise.py) or read by column name.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from emporium.contract import BOOL, BY_NAME, ID, MONEY, TS, Entity
from ingest.landing_zone import TRUTH_DIR, is_partition, landing_day_of, partition_day

ERROR, WARN = "error", "warn"
# Python's csv module must not refuse what the line-length check lets through.
CSV_FIELD_LIMIT = 256 * 1024 * 1024
# DuckDB's CSV reader (the raw load, and the JSON-lines reader built on it) refuses longer lines by default.
MAX_LINE_BYTES = 2 * 1024 * 1024
# Arrow types the contract's column kinds are written as in Parquet; anything else is a schema change.
PARQUET_TYPES = {ID: "int64", MONEY: "decimal128(18, 2)", TS: "timestamp[us]", BOOL: "bool"}
BOM = "\ufeff"
BOM_WARNING = "UTF-8 byte-order mark at the start: removed on load"
CRLF_WARNING = "Windows line ends (CRLF): converted to \\n on load"


@dataclass(frozen=True, order=True)
class Problem:
    path: str  # relative to the landing root
    line: int | None  # 1-based line in the file, None for whole-file problems
    severity: str  # error: the file is rejected (left out, recorded) | warn: recorded, the file loads
    problem: str

    @property
    def entity(self) -> str:
        return Path(self.path).parts[0]

    @property
    def landing_day(self) -> date | None:
        return landing_day_of(self.path)


def validate_landing(
    landing_dir: Path, since: date | None = None, days: Collection[date] | None = None
) -> list[Problem]:
    """Every problem in the landing zone; with `since`/`days`, only partitions from / of those days.

    Problems outside any valid partition (unknown folders, stray files, impossible dates) are always
    reported: they never load, so every load should say so."""
    if not landing_dir.is_dir():
        return [Problem(str(landing_dir), None, ERROR, "landing directory does not exist")]
    problems: list[Problem] = []
    for source_dir in sorted(p for p in landing_dir.iterdir() if p.name != TRUTH_DIR):
        entity = BY_NAME.get(source_dir.name)
        if entity is None or not source_dir.is_dir():
            problems.append(Problem(source_dir.name, None, ERROR, "not an entity of the contract"))
            continue
        for path in sorted(source_dir.rglob("*")):
            day = landing_day_of(path.relative_to(landing_dir))
            wanted = day is None or ((since is None or day >= since) and (days is None or day in days))
            if path.is_file() and wanted:
                problems += validate_file(landing_dir, entity, path)
    return sorted(problems)


def validate_file(root: Path, entity: Entity, path: Path) -> list[Problem]:
    """The problems of one file of `entity` (empty: clean)."""
    relative = path.relative_to(root).as_posix()
    if path.parent.parent != root / entity.name or not is_partition(path.parent.name):
        return [Problem(relative, None, ERROR, f"not inside a {entity.name}/date=YYYY-MM-DD/ partition")]
    if partition_day(path.parent.name) is None:
        return [Problem(relative, None, ERROR, f"partition {path.parent.name!r} is not a valid date")]
    if not path.name.startswith(f"{entity.name}_") or path.suffix != f".{entity.ext}":
        return [Problem(relative, None, ERROR, f"unexpected file: want {entity.name}_<date>.{entity.ext}")]
    if path.stat().st_size == 0 and entity.fmt != "jsonl":  # a quiet day's JSON lines are an empty file
        return [Problem(relative, None, ERROR, "empty file (0 bytes): not even a header")]
    if entity.fmt == "parquet":
        return list(_check_parquet(relative, path, entity))
    text, problems = _check_text(relative, path)
    if text is not None and entity.fmt == "csv":
        problems += _check_csv(relative, text, entity)
    # JSON lines: a broken line is quarantined by bronze as malformed_json
    return problems


def _check_text(relative: str, path: Path) -> tuple[str | None, list[Problem]]:
    """The file's text as the loader will read it (BOM removed, LF line ends) and its problems; no text
    when an encoding or line problem makes it unreadable."""
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        bad = data[error.start : error.start + 1]
        return None, [Problem(relative, line, ERROR, f"not UTF-8: byte {bad!r} at offset {error.start}")]
    problems = []
    if text.startswith(BOM):
        problems.append(Problem(relative, 1, WARN, BOM_WARNING))
        text = text[1:]
    if "\r\n" in text:
        line = text.count("\n", 0, text.index("\r\n")) + 1
        problems.append(Problem(relative, line, WARN, CRLF_WARNING))
        text = text.replace("\r\n", "\n")
    long_line = _first_long_line(data)
    if long_line is not None:
        number, length = long_line
        message = f"line of {length:,} bytes (huge field?): the limit is 2 MiB"
        return None, [*problems, Problem(relative, number, ERROR, message)]
    return text, problems


def _first_long_line(data: bytes) -> tuple[int, int] | None:
    """(1-based number, bytes) of the first line longer than MAX_LINE_BYTES, None when there is none.

    Jumps from the last newline of one window of MAX_LINE_BYTES + 1 bytes to the next, a few steps per file
    in C, where splitting into lines cost a Python step per line (most of the validation's time)."""
    start = 0
    while len(data) - start > MAX_LINE_BYTES:
        last = data.rfind(b"\n", start, start + MAX_LINE_BYTES + 1)
        if last < 0:  # no line end in the window: the line from `start` is too long
            end = data.find(b"\n", start)
            return data.count(b"\n", 0, start) + 1, (len(data) if end < 0 else end) - start
        start = last + 1
    return None


def _check_columns(relative: str, found: list[str], entity: Entity, ordered: bool) -> Iterator[Problem]:
    expected = set(entity.columns)
    missing = [c for c in entity.columns if c not in found]
    unknown = [c for c in found if c not in expected]
    duplicated = sorted({c for c in found if found.count(c) > 1})
    if missing and len(found) == 1 and any(sep in found[0] for sep in ";|\t"):
        yield Problem(relative, 1, ERROR, f"wrong delimiter: header {found[0][:60]!r} is one field")
        return
    if missing:
        yield Problem(relative, 1, ERROR, f"missing column(s): {', '.join(missing)}")
    if unknown:
        yield Problem(relative, 1, ERROR, f"unknown column(s): {', '.join(unknown)} (schema change?)")
    if duplicated:
        yield Problem(relative, 1, ERROR, f"duplicated column(s): {', '.join(duplicated)}")
    if not (missing or unknown or duplicated) and ordered and found != list(entity.columns):
        # the loader reads columns by name, so another order is harmless, but the partner should know
        yield Problem(relative, 1, WARN, "columns in another order than the contract: read by name")


def _check_csv(relative: str, text: str, entity: Entity) -> list[Problem]:
    csv.field_size_limit(CSV_FIELD_LIMIT)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader)
    except StopIteration:
        return [Problem(relative, 1, ERROR, "no header row")]
    header_problems = list(_check_columns(relative, header, entity, ordered=True))
    if any(p.severity == ERROR for p in header_problems):
        return header_problems
    if _plain_rows_fit(text, len(header)):
        return header_problems
    try:
        for row in reader:
            if len(row) != len(header):
                kind = "truncated row" if len(row) < len(header) else "too many fields"
                message = f"{kind}: expected {len(header)} fields, found {len(row)}"
                return [*header_problems, Problem(relative, reader.line_num, ERROR, message)]
    except csv.Error as error:
        message = f"malformed CSV ({error}); truncated file?"
        return [*header_problems, Problem(relative, reader.line_num, ERROR, message)]
    if not text.endswith("\n"):
        message = "no newline at the end: truncated file?"
        return [*header_problems, Problem(relative, reader.line_num, ERROR, message)]
    return header_problems


def _plain_rows_fit(text: str, fields: int) -> bool:
    """True when the text has no quotes and no CR, ends with a newline and every line after the header has
    exactly `fields` fields: what the row-by-row csv check would accept, counted with numpy in one pass.
    False means nothing: the row-by-row check then runs and names the line and problem."""
    _, newline, body = text.partition("\n")
    if not newline or not body.endswith("\n") or '"' in text or "\r" in text:
        return False
    data = np.frombuffer(body.encode("utf-8"), dtype=np.uint8)
    line_ends = np.flatnonzero(data == ord("\n"))
    commas_per_line = np.diff(np.cumsum(data == ord(","))[line_ends], prepend=0)
    return bool((commas_per_line == fields - 1).all())


def _check_parquet(relative: str, path: Path, entity: Entity) -> Iterator[Problem]:
    try:
        schema = pq.read_schema(path)
    except Exception as error:  # pyarrow raises several types for a damaged file
        yield Problem(relative, None, ERROR, f"not a readable Parquet file: {error}")
        return
    yield from _check_columns(relative, list(schema.names), entity, ordered=False)
    for column in entity.columns:
        expected = PARQUET_TYPES.get(entity.kind(column), "string")
        if column in schema.names and str(schema.field(column).type) != expected:
            found = schema.field(column).type
            yield Problem(relative, None, ERROR, f"column {column} has type {found}, expected {expected}")
